"""``seq2pat`` (Amazon's C++ miner behind a Cython wrapper, ``sequential.seq2pat``)."""

from __future__ import annotations

from benchmarks.peers import Stopwatch, read_sequences

NAME = "seq2pat"
PACKAGE = "seq2pat==2.0.0"
MODULE = "sequential.seq2pat"
KIND = "sequential"
INCLUDES_SINGLETONS = False
NOTE = ("C++ behind a Python API; reports no length-1 patterns, so its count is compared "
        "after adding the number of frequent single items; its default max_span=10 silently "
        "drops longer patterns, so max_span=None is passed; building the Seq2Pat object (its "
        "input conversion) is not timed, get_patterns(min_frequency=min_count) is")


def run(path: str, min_count: int) -> tuple[int, float]:
    from sequential.seq2pat import Seq2Pat

    miner = Seq2Pat(sequences=read_sequences(path), max_span=None)
    with Stopwatch() as watch:
        patterns = miner.get_patterns(min_frequency=min_count)
    return len(patterns), watch.wall_s
