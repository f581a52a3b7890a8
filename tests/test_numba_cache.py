"""Compiled kernels are cached on disk and reused; results do not depend on the cache, the
thread count, or on JIT at all (the kernels also run as plain Python)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import seqmine
db = seqmine.SequenceDatabase.from_sequences(
    [[1, (2, 3), 4, 1], [1, 3, 4], [(1, 2), 3, 4], [4, 1, (2, 3)]])
ps = seqmine.mine(db, 2, n_jobs=2)
ps2 = seqmine.mine(db, 2, max_gap=1)
print(sorted(ps.as_dict().items()), sorted(ps2.as_dict().items()))
"""


def _run(env_extra: dict[str, str]) -> str:
    env = {**os.environ, **env_extra}
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         env=env, check=True, timeout=600)
    return out.stdout


def test_cache_is_written_and_reused(tmp_path: Path):
    cache = str(tmp_path / "numba-cache")
    first = _run({"NUMBA_CACHE_DIR": cache, "NUMBA_NUM_THREADS": "2"})
    index_files = list(Path(cache).rglob("*prefixspan*.nbi"))
    assert index_files, "the PrefixSpan kernel was not cached"
    stamp = {p: p.stat().st_mtime_ns for p in index_files}
    second = _run({"NUMBA_CACHE_DIR": cache, "NUMBA_NUM_THREADS": "4"})
    assert second == first
    assert {p: p.stat().st_mtime_ns for p in index_files} == stamp  # reused, not rewritten


def test_kernels_run_without_jit():
    assert _run({"NUMBA_DISABLE_JIT": "1"}) == _run({})
