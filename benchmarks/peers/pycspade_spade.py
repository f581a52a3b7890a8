"""``pycspade`` (Zaki's C++ cSPADE behind a Cython wrapper)."""

from __future__ import annotations

import os
import tempfile

from benchmarks.peers import Stopwatch, read_sequences, relative_threshold

NAME = "pycspade"
PACKAGE = "pycspade==0.6.6"
MODULE = "pycspade"
KIND = "sequential"
INCLUDES_SINGLETONS = True
# cSPADE reads past the end of a heap buffer: whether that lands on an unmapped page (SIGSEGV)
# depends on the memory layout, so it crashed even on SIGN from some working directories and
# not from others. glibc's M_TOP_PAD keeps spare heap mapped above the top; with it the runs
# finish, and their counts are checked against the reference like every other peer's.
ENV = {"MALLOC_TOP_PAD_": str(256 << 20)}
NOTE = ("C++ cSPADE; input 'sid eid n items' lines with item ids remapped to 1..K; takes a "
        "fraction and rounds r*N one higher when it is an integer, so (min_count - 0.5) / N "
        "is passed; default maxlen/maxsize 100; it converts and reads the file inside the "
        "timed call. Run with MALLOC_TOP_PAD_=256 MiB (glibc): without it cSPADE reads past "
        "its heap's end and segfaults depending on the memory layout (here even on SIGN, "
        "from some working directories), which is likely the segfaults the spm README saw")


def run(path: str, min_count: int) -> tuple[int, float]:
    from pycspade.helpers import spade

    sequences = read_sequences(path)
    ids = sorted({item for seq in sequences for item in seq})
    dense = {item: k for k, item in enumerate(ids, 1)}
    with tempfile.TemporaryDirectory(prefix="cspade-input-") as folder:
        name = os.path.join(folder, "input.txt")
        with open(name, "w") as fh:
            for sid, seq in enumerate(sequences, 1):
                for eid, item in enumerate(seq, 1):
                    fh.write(f"{sid} {eid} 1 {dense[item]}\n")
        with Stopwatch() as watch:
            result = spade(filename=name, support=relative_threshold(min_count, len(sequences)),
                           parse=False)
    lines = result["seqstrm"].split("\n")
    return sum(1 for line in lines if line[:1].isdigit()), watch.wall_s
