"""``effspm`` (C++ via pybind11): its PrefixProjection miner on a file it reads itself."""

from __future__ import annotations

import os
import tempfile

from benchmarks.peers import Stopwatch, read_sequences

NAME = "effspm"
PACKAGE = "effspm==1.0.0"
MODULE = "effspm"
KIND = "sequential"
INCLUDES_SINGLETONS = False
NOTE = ("C++; input one sequence per line, a negative item opens a new itemset (so every "
        "item is written negated here); reports no length-1 patterns, so its count is "
        "compared after adding the number of frequent single items; it reads the file inside "
        "the timed call")


def run(path: str, min_count: int) -> tuple[int, float]:
    import effspm

    sequences = read_sequences(path)
    fd, name = tempfile.mkstemp(prefix="effspm-", suffix=".txt")
    try:
        with os.fdopen(fd, "w") as fh:
            for seq in sequences:
                fh.write(" ".join(str(-item) for item in seq))
                fh.write("\n")
        with Stopwatch() as watch:
            # an absolute threshold (>= 1) is used as is; time_limit is effspm's own stop
            result = effspm.PrefixProjection(name, minsup=float(min_count), time_limit=36000)
        seconds = watch.wall_s
        return len(result["patterns"]), seconds
    finally:
        os.unlink(name)
