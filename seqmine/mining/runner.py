"""Run a kernel over chunks of first-level prefixes: serially or in threads (the kernels
release the GIL), with progress, budgets and a clean Ctrl-C between and inside chunks."""

from __future__ import annotations

import collections
import itertools
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
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
    interrupted = False
    # Even one worker runs in a thread: the main thread stays free to take Ctrl-C at once
    # and raise the cancel flag, which a running kernel polls.
    # At most two chunks per worker are in flight, so a budget stop wastes little work.
    with ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="seqmine") as pool:
        pending = iter(chunks)
        window: collections.deque[tuple[Future[ChunkResult], int]] = collections.deque(
            (pool.submit(run_one, roots, cancel), len(roots))
            for roots in itertools.islice(pending, 2 * n_workers))
        try:
            while window:
                future, size = window.popleft()
                result = future.result()
                results.append(result)
                if progress:
                    progress(size)
                if stop(result):
                    cancel[0] = 1
                    break
                roots = next(pending, None)
                if roots is not None:
                    window.append((pool.submit(run_one, roots, cancel), len(roots)))
        except KeyboardInterrupt:
            interrupted = True
            cancel[0] = 1
        finally:
            for future, _ in window:
                future.cancel()
    return results, interrupted
