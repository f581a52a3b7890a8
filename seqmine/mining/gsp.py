"""GSP driver (Srikant & Agrawal, 1996): level-wise candidate generation in Python, joins,
prunes and counting in Numba kernels over sorted candidate arrays."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from seqmine._kernels import _jit, projection
from seqmine._kernels import gsp as kgsp
from seqmine.data.database import SequenceDatabase
from seqmine.errors import InputError
from seqmine.mining.prepare import PreparedDatabase, prepare
from seqmine.mining.runner import resolve_n_jobs, run_chunks
from seqmine.mining.spade import INT_MAX, context_of, empty_patterns, progress_bar, raise_for_status
from seqmine.options import Budget, Constraints
from seqmine.patterns.patternset import PatternSet


def gsp(db: SequenceDatabase, minsup: int | float, *,
        constraints: Constraints | None = None, budget: Budget | None = None,
        n_jobs: int | None = 1, progress: bool = False,
        return_partial: bool = False) -> PatternSet:
    """Frequent sequential patterns by GSP (Srikant & Agrawal, 1996): level by level, join
    the frequent k-patterns into (k+1)-candidates, prune those with an infrequent
    subsequence, and count the rest in one pass over the database.

    Exact under DESIGN.md semantics with itemsets and every constraint, GSP's time
    constraints included: min_gap, max_gap and max_span (GSP's window is max_span here: an
    itemset matches inside one event, as DESIGN.md defines containment). With max_gap the
    prune checks only contiguous subsequences, as in the paper, since deleting a middle
    itemset can break a gap. ``n_jobs`` threads count disjoint blocks of sequences; the
    output is identical for any ``n_jobs``. Budgets are checked between levels (patterns
    and the memory of the candidate arrays) and raise BudgetExceededError with the
    patterns of the completed levels as ``.partial`` when ``return_partial``.
    """
    constraints = constraints or Constraints()
    budget = budget or Budget()
    prepared = prepare(db, minsup, constraints)
    n_workers = resolve_n_jobs(n_jobs)
    context = context_of(db, "gsp", minsup, constraints, prepared.min_count)
    if prepared.n_items == 0:
        return empty_patterns(context)
    p = prepared
    if len(p.evt_ptr) > np.iinfo(np.int32).max:
        raise InputError("more than 2**31 events after removing infrequent items: split the "
                         "database (distributed mining) or raise minsup")
    single = p.max_itemset_size == 1
    has_window = constraints.has_window
    contiguous_only = constraints.max_gap is not None
    max_patterns = budget.max_patterns if budget.max_patterns is not None else INT_MAX
    memory = budget.memory_bytes()
    max_length = constraints.max_length or INT_MAX
    max_size = constraints.max_size or INT_MAX
    required_codes = np.flatnonzero(p.required)

    level = (2 * np.arange(p.n_items, dtype=np.int32) + 1).reshape(-1, 1)
    support = projection.item_supports(p.seq_ptr, p.evt_ptr, p.items, p.n_items)
    levels: list[tuple[np.ndarray, np.ndarray]] = [(level, support)]
    emitted = _n_emitted(level, required_codes)
    statuses: set[int] = set()
    interrupted = False
    over_memory = False
    bar = progress_bar(progress, None, "gsp", unit="level")
    try:
        while len(level) and level.shape[1] < max_length and emitted <= max_patterns:
            cand = kgsp.join(level, not single, max_size)
            if level.shape[1] > 1 and len(cand):
                cand = cand[kgsp.prune(cand, level, contiguous_only)]
            if not len(cand):
                break
            held = sum(t.nbytes + s.nbytes for t, s in levels)
            if held + cand.nbytes + len(cand) * 8 * (n_workers + 1) > memory:
                over_memory = True
                break
            status, counts, interrupted = _count(p, cand, single, has_window, n_workers)
            statuses.add(status)
            if interrupted or status != _jit.OK:
                break
            keep = counts >= p.min_count
            level, support = cand[keep], counts[keep]
            if len(level):
                levels.append((level, support))
                emitted += _n_emitted(level, required_codes)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    patterns = _to_patternset(levels, p, required_codes, context)
    raise_for_status(statuses, interrupted, patterns, len(patterns), max_patterns,
                     over_memory, memory, p.min_count, return_partial)
    return patterns


def _count(p: PreparedDatabase, cand: np.ndarray, single: bool, has_window: bool,
           n_workers: int) -> tuple[int, np.ndarray, bool]:
    """Supports of the candidate rows, counted over blocks of sequences in threads."""
    n_seq = len(p.seq_ptr) - 1
    n_chunks = max(1, min(n_seq, 4 * n_workers))
    chunks = [c for c in np.array_split(np.arange(n_seq), n_chunks) if len(c)]
    total = np.zeros(len(cand), np.int64)
    lock = threading.Lock()

    def run_one(block: np.ndarray, cancel: np.ndarray) -> tuple[Any, ...]:
        status, counts = kgsp.count(p.seq_ptr, p.evt_ptr, p.items, p.coord, p.n_items, cand,
                                    int(block[0]), int(block[-1]) + 1, single, has_window,
                                    p.min_gap, p.max_gap, p.max_span, cancel)
        with lock:  # integer sums: the order of the chunks cannot change the result
            total[:] += counts
        return (status,)

    results, interrupted = run_chunks(run_one, chunks, n_workers,
                                      lambda result: result[0] != _jit.OK)
    statuses = [int(r[0]) for r in results if r[0] != _jit.OK]
    return (statuses[0] if statuses else _jit.OK), total, interrupted


def _n_emitted(level: np.ndarray, required_codes: np.ndarray) -> int:
    return int(_emit_mask(level, required_codes).sum())


def _emit_mask(level: np.ndarray, required_codes: np.ndarray) -> np.ndarray:
    """Rows holding every must-contain item."""
    keep = np.ones(len(level), bool)
    items = level >> 1
    for code in required_codes:
        keep &= (items == code).any(axis=1)
    return keep


def _to_patternset(levels: list[tuple[np.ndarray, np.ndarray]], p: PreparedDatabase,
                   required_codes: np.ndarray, context: dict[str, Any]) -> PatternSet:
    """Concatenate the levels (each sorted in token order, lengths ascending) into CSR."""
    rows, sups = [], []
    for level, support in levels:
        keep = _emit_mask(level, required_codes)
        rows.append(level[keep])
        sups.append(support[keep])
    lengths = np.concatenate([np.full(len(r), r.shape[1], np.int64) for r in rows])
    if not len(lengths):
        return empty_patterns(context)
    tokens = np.concatenate([r.ravel() for r in rows])
    item_ptr = np.concatenate(([0], np.cumsum(lengths)))
    return PatternSet.from_flat(item_ptr, p.original_code[tokens >> 1], (tokens & 1) == 1,
                                np.concatenate(sups), token_ordered=True, **context)


__all__ = ["gsp"]
