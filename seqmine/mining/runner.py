"""Run a kernel over chunks of first-level prefixes: serially or in threads (the kernels
release the GIL), with progress, budgets and a clean Ctrl-C between and inside chunks."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from seqmine.errors import InputError

ChunkResult = tuple[Any, ...]


def resolve_n_jobs(n_jobs: int | None) -> int:
    """None or 1: serial; -1: one thread per core; k > 1: k threads."""
    if n_jobs is None:
        return 1
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise InputError(f"n_jobs must be a positive int or -1 (all cores), got {n_jobs!r}")
    return os.cpu_count() or 1 if n_jobs == -1 else n_jobs


def make_chunks(n_roots: int, n_workers: int) -> list[np.ndarray]:
    """Root items split into contiguous chunks: several per worker for load balance, and
    enough of them that progress moves."""
    n_chunks = max(1, min(n_roots, 16 * n_workers, 256))
    return [c.astype(np.int32) for c in np.array_split(np.arange(n_roots), n_chunks) if len(c)]


def run_chunks(run_one: Callable[[np.ndarray, np.ndarray], ChunkResult],
               chunks: Sequence[np.ndarray], n_workers: int,
               stop: Callable[[ChunkResult], bool],
               progress: Callable[[int], None] | None = None
               ) -> tuple[list[ChunkResult], bool]:
    """Call ``run_one(roots, cancel)`` on every chunk; results come back in chunk order.

    ``cancel`` is a one-element int8 array the kernels poll; it is set on Ctrl-C and when
    ``stop(result)`` says a budget was hit. Returns (results so far, interrupted).
    """
    cancel = np.zeros(1, np.int8)
    results: list[ChunkResult] = []
    if n_workers == 1:
        try:
            for roots in chunks:
                result = run_one(roots, cancel)
                results.append(result)
                if progress:
                    progress(len(roots))
                if stop(result):
                    break
        except KeyboardInterrupt:
            return results, True
        return results, False
    interrupted = False
    with ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="seqmine") as pool:
        futures = [pool.submit(run_one, roots, cancel) for roots in chunks]
        try:
            for roots, future in zip(chunks, futures):
                result = future.result()
                results.append(result)
                if progress:
                    progress(len(roots))
                if stop(result):
                    cancel[0] = 1
                    break
        except KeyboardInterrupt:
            interrupted = True
            cancel[0] = 1
        finally:
            for future in futures:
                future.cancel()
    return results, interrupted
