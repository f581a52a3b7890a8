"""``gsppy`` (GSP, Python with optional accelerated backends)."""

from __future__ import annotations

import logging

from benchmarks.peers import Stopwatch, read_sequences, relative_threshold

NAME = "gsppy"
PACKAGE = "gsppy==5.3.0"
MODULE = "gsppy"
KIND = "sequential"
INCLUDES_SINGLETONS = True
NOTE = ("level-wise GSP in Python; takes a fraction and rounds it up, so the fraction passed "
        "is (min_count - 0.5) / N")


def run(path: str, min_count: int) -> tuple[int, float]:
    from gsppy.gsp import GSP

    logging.getLogger("gsppy").setLevel(logging.WARNING)
    sequences = read_sequences(path)
    miner = GSP(sequences)
    with Stopwatch() as watch:
        levels = miner.search(min_support=relative_threshold(min_count, len(sequences)))
    seconds = watch.wall_s
    return sum(len(level) for level in levels), seconds
