"""PrefixSpan driver: validate, prepare, mine first-level prefixes in chunks, build the
PatternSet."""

from __future__ import annotations

from typing import Any

import numpy as np

from seqmine._kernels import _jit, prefixspan as kprefixspan, projection
from seqmine._kernels import patterns as kpatterns
from seqmine.data.database import SequenceDatabase
from seqmine.errors import BudgetExceededError, InputError, MiningInterrupted
from seqmine.mining.prepare import PreparedDatabase, prepare
from seqmine.mining.runner import make_chunks, resolve_n_jobs, run_chunks
from seqmine.options import Budget, Constraints
from seqmine.patterns.patternset import PatternSet

_INT_MAX = np.iinfo(np.int64).max // 4


def prefixspan(db: SequenceDatabase, minsup: int | float, *,
               constraints: Constraints | None = None, budget: Budget | None = None,
               n_jobs: int | None = 1, progress: bool = False,
               return_partial: bool = False) -> PatternSet:
    """Frequent sequential patterns by prefix-projected growth (Pei et al., 2001).

    Exact under DESIGN.md semantics, including itemsets and gap/span constraints (every
    valid embedding end is tracked where a constraint needs it). ``n_jobs`` threads mine
    disjoint first-level prefixes; the result is identical for any ``n_jobs``.
    Raises BudgetExceededError (with ``.partial`` when ``return_partial``) when
    ``budget.max_patterns`` or ``budget.max_memory`` is exceeded.
    """
    constraints = constraints or Constraints()
    budget = budget or Budget()
    prepared = prepare(db, minsup, constraints)
    n_workers = resolve_n_jobs(n_jobs)
    options = {"algorithm": "prefixspan", "minsup": minsup, **constraints.to_dict()}
    context = {"codebook": db.codebook, "n_sequences": db.n_sequences,
               "min_count": prepared.min_count, "options": options}
    if prepared.n_items == 0:
        return _empty(context)

    p = prepared
    if len(p.evt_ptr) > np.iinfo(np.int32).max:
        raise InputError("more than 2**31 events after removing infrequent items: split the "
                         "database (distributed mining) or raise minsup")
    single = p.max_itemset_size == 1
    keep_all = constraints.has_window or not single
    idx_ptr, idx_sid, idx_evt = projection.inverted_index(p.seq_ptr, p.evt_ptr, p.items,
                                                          p.n_items)
    max_patterns = budget.max_patterns if budget.max_patterns is not None else _INT_MAX
    max_bytes = budget.memory_bytes() // n_workers
    max_length = constraints.max_length or _INT_MAX
    max_size = constraints.max_size or _INT_MAX
    n_required = int(p.required.sum())

    def run_one(roots: np.ndarray, cancel: np.ndarray) -> tuple[Any, ...]:
        return kprefixspan.grow(
            p.seq_ptr, p.evt_ptr, p.items, p.coord, p.n_items, idx_ptr, idx_sid, idx_evt,
            roots, p.min_count, single, keep_all, constraints.has_window, p.min_gap, p.max_gap,
            p.max_span, max_length, max_size, p.required, n_required, max_patterns,
            max_bytes, cancel)

    emitted = 0
    kept_bytes = 0
    over_memory = False

    def stop(result: tuple[Any, ...]) -> bool:
        """Budgets over all chunks so far (each kernel also checks its own share)."""
        nonlocal emitted, kept_bytes, over_memory
        emitted += int(result[5].sum())
        kept_bytes += sum(a.nbytes for a in result[1:])
        over_memory = kept_bytes > budget.memory_bytes()
        return result[0] != _jit.OK or emitted > max_patterns or over_memory

    chunks = make_chunks(p.n_items, n_workers)
    bar = _progress_bar(progress, p.n_items)
    try:
        results, interrupted = run_chunks(run_one, chunks, n_workers, stop,
                                          bar.update if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()
    patterns = _to_patternset(results, p, context)
    statuses = {int(r[0]) for r in results}
    if interrupted or _jit.INTERRUPTED in statuses:
        raise MiningInterrupted(f"interrupted after {len(patterns)} patterns",
                                patterns if return_partial else None)
    if _jit.PATTERN_BUDGET in statuses or len(patterns) > max_patterns:
        raise BudgetExceededError(
            f"more than max_patterns={max_patterns} patterns at min_count={p.min_count}; "
            "raise minsup, bound max_length/max_size, or raise max_patterns",
            patterns.top(max_patterns) if return_partial else None)
    if _jit.MEMORY_BUDGET in statuses or over_memory:
        raise BudgetExceededError(
            f"mining buffers exceeded the memory budget ({budget.memory_bytes()} bytes); "
            "raise minsup, bound max_length, use fewer n_jobs, or raise max_memory",
            patterns if return_partial else None)
    return patterns


def _progress_bar(enabled: bool, total: int) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm
    return tqdm(total=total, unit="prefix", desc="prefixspan", leave=False)


def _empty(context: dict[str, Any]) -> PatternSet:
    zero = np.zeros(1, np.int64)
    return PatternSet(zero, zero, np.zeros(0, np.int32), np.zeros(0, np.int64), **context)


def _to_patternset(results: list[tuple[Any, ...]], p: PreparedDatabase,
                   context: dict[str, Any]) -> PatternSet:
    """Join the chunks' pattern trees (in chunk order) and decode them to a PatternSet."""
    if not results:
        return _empty(context)
    sizes = [len(r[1]) for r in results]
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    parent = np.concatenate([np.where(r[1] >= 0, r[1] + off, -1)
                             for r, off in zip(results, offsets)])
    item = np.concatenate([r[2] for r in results])
    sext = np.concatenate([r[3] for r in results])
    support = np.concatenate([r[4] for r in results])
    emit = np.concatenate([r[5] for r in results])
    node_of, item_ptr, pitems, newset = kpatterns.decode_tree(parent, item, sext, emit)
    # chunks cover roots in ascending order and the kernel visits children in token order
    return PatternSet.from_flat(item_ptr, p.original_code[pitems], newset, support[node_of],
                                token_ordered=True, **context)
