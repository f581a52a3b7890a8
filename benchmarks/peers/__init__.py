"""Thin adapters that put each Python-reachable peer on the same contract.

Every adapter module has ``NAME``, ``PACKAGE`` (the pip requirement), ``MODULE`` (what it
imports), ``KIND`` ("sequential" patterns or "itemsets", each sequence one transaction),
``INCLUDES_SINGLETONS`` (whether its count holds the length-1 patterns), ``NOTE`` (its
conventions, for the report), optionally ``ENV`` (environment variables its process needs)
and ``PROGRAMS`` (executables it needs, e.g. java), and
``run(path, min_count) -> (n_patterns, seconds[, extra])``: mine the SPMF file at ``path``
with the absolute threshold ``min_count`` and return how many patterns it found, how long
the mining call took, and optionally a dict of extra figures (e.g. a start-up time).
Converting the file to the peer's own input is done first and not timed; where the peer only
takes a file (effspm, pycspade), its own reading of that file is inside the timed call, as it
is in SPMF's "own time".

Adapters are run by ``python -m benchmarks.peers NAME PATH MIN_COUNT`` in a child process
(see ``benchmarks.harness.measure``), so a crash, a time-out or an out-of-memory of a peer
is recorded and the benchmark goes on.
"""

from __future__ import annotations

import gzip
import importlib
import importlib.metadata
import importlib.util
import re
import resource
import shutil
import time
from pathlib import Path
from types import ModuleType, TracebackType

PEERS = {
    "prefixspan": "benchmarks.peers.prefixspan_pypi",
    "effspm": "benchmarks.peers.effspm_prefixprojection",
    "gsppy": "benchmarks.peers.gsppy_gsp",
    "pycspade": "benchmarks.peers.pycspade_spade",
    "seq2pat": "benchmarks.peers.seq2pat_sp",
    "pyspark": "benchmarks.peers.pyspark_prefixspan",
    "mlxtend": "benchmarks.peers.mlxtend_itemsets",
}


def adapter(name: str) -> ModuleType:
    try:
        return importlib.import_module(PEERS[name])
    except KeyError:
        raise SystemExit(f"unknown peer {name!r}; choose from {', '.join(PEERS)}") from None


def installed(name: str) -> tuple[str | None, str]:
    """(version, "") when the peer can run here, else (None, why not): its module is missing,
    or a program it needs (``PROGRAMS``) is not on the PATH."""
    mod = adapter(name)
    if importlib.util.find_spec(mod.MODULE) is None:
        return None, "not installed"
    for program in getattr(mod, "PROGRAMS", ()):
        if shutil.which(program) is None:
            return None, f"not installed ({program} not found)"
    try:
        return importlib.metadata.version(re.split(r"[<>=!~ ]", mod.PACKAGE)[0]), ""
    except importlib.metadata.PackageNotFoundError:
        return "?", ""


def read_sequences(path: str | Path) -> list[list[int]]:
    """The sequences of an SPMF file as lists of items, one item per event.

    The shared SPM files hold exactly one item per event; a file with larger itemsets is
    refused, because the peers here take plain item sequences only.
    """
    opener = gzip.open if str(path).endswith(".gz") else open
    sequences: list[list[int]] = []
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line or line[0] in "#%@":
                continue
            seq: list[int] = []
            in_event = 0
            for token in line.split():
                if token == "-1":
                    in_event = 0
                elif token == "-2":
                    break
                else:
                    if in_event:
                        raise ValueError(f"{path}: itemsets of more than one item are not "
                                         "supported by the peer adapters")
                    seq.append(int(token))
                    in_event = 1
            sequences.append(seq)
    return sequences


def relative_threshold(min_count: int, n_sequences: int) -> float:
    """A fraction that every peer's rounding (ceil, or floor + 1) maps back to ``min_count``:
    half a sequence below it, so float noise cannot push the threshold to min_count + 1."""
    return (min_count - 0.5) / n_sequences


class Stopwatch:
    """Times the peer's mining call: wall seconds (the contract's figure) and CPU seconds of
    the process and of any worker processes it reaped (kept in ``Stopwatch.last_cpu_s`` for
    the report's CPU view)."""

    last_cpu_s: float | None = None

    def __enter__(self) -> Stopwatch:
        self._cpu = _cpu_now()
        self._wall = time.perf_counter()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.wall_s = time.perf_counter() - self._wall
        self.cpu_s = _cpu_now() - self._cpu
        Stopwatch.last_cpu_s = self.cpu_s


def _cpu_now() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime
