"""The PyPI ``prefixspan`` package (PrefixSpan-py, pure Python)."""

from __future__ import annotations

from benchmarks.peers import Stopwatch, read_sequences

NAME = "prefixspan"
PACKAGE = "prefixspan==0.5.2"
MODULE = "prefixspan"
KIND = "sequential"
INCLUDES_SINGLETONS = True
NOTE = ("pure Python; sequences of single items only; support >= minsup counts sequences; "
        "default maxlen 1000")


def run(path: str, min_count: int) -> tuple[int, float]:
    from prefixspan import PrefixSpan

    db = read_sequences(path)
    miner = PrefixSpan(db)
    with Stopwatch() as watch:
        patterns = miner.frequent(min_count)
    seconds = watch.wall_s
    return len(patterns), seconds
