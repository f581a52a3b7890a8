"""Drivers of the vertical miners: SPADE (id-lists, Zaki 2001) and SPAM with co-occurrence-map
pruning (bitmaps, CM-SPAM, Fournier-Viger et al. 2014).

Both validate and prepare like PrefixSpan, build the CMAP once (in chunks of items, in
threads), then mine first-level items in chunks through the runner and decode the kernels'
pattern trees into a PatternSet.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from seqmine._kernels import _jit, bitset, projection, vertical
from seqmine._kernels import patterns as kpatterns
from seqmine.data.database import SequenceDatabase
from seqmine.errors import BudgetExceededError, InputError, MiningInterrupted
from seqmine.mining.prepare import PreparedDatabase, prepare
from seqmine.mining.runner import make_chunks, resolve_n_jobs, run_chunks
from seqmine.options import Budget, Constraints
from seqmine.patterns.patternset import PatternSet

INT_MAX = np.iinfo(np.int64).max // 4


def spade(db: SequenceDatabase, minsup: int | float, *,
          constraints: Constraints | None = None, budget: Budget | None = None,
          n_jobs: int | None = 1, progress: bool = False,
          return_partial: bool = False) -> PatternSet:
    """Frequent sequential patterns by SPADE (Zaki, 2001): vertical id-lists of (sequence,
    event) with temporal joins, depth-first over equivalence classes, CMAP pruning
    (CM-SPADE).

    Exact under DESIGN.md semantics, itemsets and every constraint included: id-lists keep
    every valid end with the latest embedding start, so min_gap, max_gap and max_span hold
    exactly. ``n_jobs`` threads mine disjoint first-level items; the output is identical for
    any ``n_jobs``. Budgets, ``progress`` and ``return_partial`` work as in
    :func:`seqmine.mining.prefixspan.prefixspan`.
    """
    return _mine_vertical("spade", db, minsup, constraints, budget, n_jobs, progress,
                          return_partial)


def spam(db: SequenceDatabase, minsup: int | float, *,
         constraints: Constraints | None = None, budget: Budget | None = None,
         n_jobs: int | None = 1, progress: bool = False,
         return_partial: bool = False) -> PatternSet:
    """Frequent sequential patterns by CM-SPAM (Ayres et al., 2002; Fournier-Viger et al.,
    2014): one bit per event, each sequence's bits in its own 64-bit words, s-steps
    (transform + AND) and i-steps (AND), with co-occurrence-map pruning.

    Bitmaps are kept sparse over sequences (a pattern's bitmap holds only the sequences it
    occurs in), so memory follows support rather than database size. Exact under DESIGN.md
    semantics with max_length, max_size, min_gap, max_gap, must_contain and exclude. A bit
    marks an end, not where the embedding started, so ``max_span`` is refused with an
    InputError (use spade or prefixspan).
    """
    constraints = constraints or Constraints()
    if constraints.max_span is not None:
        raise InputError("spam does not support max_span (its bitmaps mark where an "
                         "embedding ends, not where it starts); use algorithm='spade' or "
                         "'prefixspan' for max_span")
    return _mine_vertical("spam", db, minsup, constraints, budget, n_jobs, progress,
                          return_partial)


# --- shared driver pieces (GSP uses them too) ---------------------------------------------
def context_of(db: SequenceDatabase, algorithm: str, minsup: Any, constraints: Constraints,
               min_count: int) -> dict[str, Any]:
    """The mining context a PatternSet carries."""
    options = {"algorithm": algorithm, "minsup": minsup, **constraints.to_dict()}
    return {"codebook": db.codebook, "n_sequences": db.n_sequences, "min_count": min_count,
            "options": options}


def empty_patterns(context: dict[str, Any]) -> PatternSet:
    zero = np.zeros(1, np.int64)
    return PatternSet(zero, zero, np.zeros(0, np.int32), np.zeros(0, np.int64), **context)


def progress_bar(enabled: bool, total: int | None, desc: str,
                 unit: str = "prefix") -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm
    return tqdm(total=total, unit=unit, desc=desc, leave=False)


def raise_for_status(statuses: set[int], interrupted: bool, patterns: PatternSet,
                     n_patterns: int, max_patterns: int, over_memory: bool,
                     memory_bytes: int, min_count: int, return_partial: bool) -> None:
    """Turn kernel statuses and the driver's own budget checks into exceptions."""
    if interrupted or _jit.INTERRUPTED in statuses:
        raise MiningInterrupted(f"interrupted after {n_patterns} patterns",
                                patterns if return_partial else None)
    if _jit.PATTERN_BUDGET in statuses or n_patterns > max_patterns:
        raise BudgetExceededError(
            f"more than max_patterns={max_patterns} patterns at min_count={min_count}; "
            "raise minsup, bound max_length/max_size, or raise max_patterns",
            patterns.top(max_patterns) if return_partial else None)
    if _jit.MEMORY_BUDGET in statuses or over_memory:
        raise BudgetExceededError(
            f"mining buffers exceeded the memory budget ({memory_bytes} bytes); "
            "raise minsup, bound max_length, use fewer n_jobs, or raise max_memory",
            patterns if return_partial else None)


def tree_to_patternset(results: list[tuple[Any, ...]], p: PreparedDatabase,
                       context: dict[str, Any]) -> PatternSet:
    """Join the chunks' pattern trees (in chunk order) and decode them to a PatternSet.

    Chunks cover the roots in ascending order and the kernels visit children in token
    order, so the decoded patterns are in token order already."""
    if not results:
        return empty_patterns(context)
    sizes = [len(r[1]) for r in results]
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    parent = np.concatenate([np.where(r[1] >= 0, r[1] + off, -1)
                             for r, off in zip(results, offsets, strict=True)])
    item = np.concatenate([r[2] for r in results])
    sext = np.concatenate([r[3] for r in results])
    support = np.concatenate([r[4] for r in results])
    emit = np.concatenate([r[5] for r in results])
    node_of, item_ptr, pitems, newset = kpatterns.decode_tree(parent, item, sext, emit)
    return PatternSet.from_flat(item_ptr, p.original_code[pitems], newset, support[node_of],
                                token_ordered=True, **context)


def cooccurrence_map(p: PreparedDatabase, idx: tuple[np.ndarray, ...], n_workers: int,
                     with_i: bool) -> tuple[np.ndarray, ...]:
    """CMAP rows of every item as CSR (s_ptr, s_y, i_ptr, i_y), computed in item chunks."""
    idx_ptr, idx_sid, idx_evt = idx

    def run_one(roots: np.ndarray, cancel: np.ndarray) -> tuple[Any, ...]:
        rows: tuple[Any, ...] = vertical.cooccurrence_rows(
            p.seq_ptr, p.evt_ptr, p.items, p.n_items, idx_ptr, idx_sid, idx_evt,
            int(roots[0]), int(roots[-1]) + 1, p.min_count, with_i)
        return rows

    results, interrupted = run_chunks(run_one, make_chunks(p.n_items, n_workers), n_workers,
                                      lambda result: False)
    if interrupted:
        raise MiningInterrupted("interrupted while building the co-occurrence map", None)
    s_ptr, i_ptr = [np.zeros(1, np.int64)], [np.zeros(1, np.int64)]
    for r in results:
        s_ptr.append(r[0][1:] + s_ptr[-1][-1])
        i_ptr.append(r[2][1:] + i_ptr[-1][-1])
    return (np.concatenate(s_ptr), np.concatenate([r[1] for r in results]),
            np.concatenate(i_ptr), np.concatenate([r[3] for r in results]))


def _mine_vertical(algorithm: str, db: SequenceDatabase, minsup: Any,
                   constraints: Constraints | None, budget: Budget | None,
                   n_jobs: int | None, progress: bool, return_partial: bool) -> PatternSet:
    constraints = constraints or Constraints()
    budget = budget or Budget()
    prepared = prepare(db, minsup, constraints)
    n_workers = resolve_n_jobs(n_jobs)
    context = context_of(db, algorithm, minsup, constraints, prepared.min_count)
    if prepared.n_items == 0:
        return empty_patterns(context)
    p = prepared
    if len(p.evt_ptr) > np.iinfo(np.int32).max:
        raise InputError("more than 2**31 events after removing infrequent items: split the "
                         "database (distributed mining) or raise minsup")
    single = p.max_itemset_size == 1
    has_window = constraints.has_window
    # with max_gap, P->x->y frequent does not make P->y frequent: see _kernels/vertical.py
    all_s = constraints.max_gap is not None
    idx = projection.inverted_index(p.seq_ptr, p.evt_ptr, p.items, p.n_items)
    cs_ptr, cs_y, ci_ptr, ci_y = cooccurrence_map(p, idx, n_workers, not single)
    max_patterns = budget.max_patterns if budget.max_patterns is not None else INT_MAX
    max_bytes = budget.memory_bytes() // n_workers
    max_length = constraints.max_length or INT_MAX
    max_size = constraints.max_size or INT_MAX
    n_required = int(p.required.sum())
    idx_ptr, idx_sid, idx_evt = idx

    run_one: Callable[[np.ndarray, np.ndarray], tuple[Any, ...]]
    if algorithm == "spade":
        def run_one(roots: np.ndarray, cancel: np.ndarray) -> tuple[Any, ...]:
            tree: tuple[Any, ...] = vertical.spade_grow(
                p.seq_ptr, p.coord, p.n_items, idx_ptr, idx_sid, idx_evt, cs_ptr, cs_y,
                ci_ptr, ci_y, roots, p.min_count, single, has_window, all_s, p.min_gap,
                p.max_gap, p.max_span, max_length, max_size, p.required, n_required,
                max_patterns, max_bytes, cancel)
            return tree
    else:
        n_words = bitset.words_per_sequence(p.seq_ptr)
        ib_ptr, ib_sid, ib_wofs, ib_words = bitset.item_bitmaps(
            p.seq_ptr, p.n_items, idx_ptr, idx_sid, idx_evt, n_words)
        if ib_words.nbytes + ib_sid.nbytes * 3 > budget.memory_bytes():
            raise BudgetExceededError(
                f"the item bitmaps alone need {ib_words.nbytes + ib_sid.nbytes * 3} bytes, "
                f"over the memory budget ({budget.memory_bytes()} bytes); raise minsup, "
                "use algorithm='prefixspan', or raise max_memory", None)

        def run_one(roots: np.ndarray, cancel: np.ndarray) -> tuple[Any, ...]:
            tree: tuple[Any, ...] = vertical.spam_grow(
                p.seq_ptr, p.coord, p.n_items, n_words, ib_ptr, ib_sid, ib_wofs, ib_words,
                cs_ptr, cs_y, ci_ptr, ci_y, roots, p.min_count, single, has_window, all_s,
                p.min_gap, p.max_gap, max_length, max_size, p.required, n_required,
                max_patterns, max_bytes, cancel)
            return tree

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

    bar = progress_bar(progress, p.n_items, algorithm)
    try:
        results, interrupted = run_chunks(run_one, make_chunks(p.n_items, n_workers),
                                          n_workers, stop,
                                          bar.update if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()
    patterns = tree_to_patternset(results, p, context)
    raise_for_status({int(r[0]) for r in results}, interrupted, patterns, len(patterns),
                     max_patterns, over_memory, budget.memory_bytes(), p.min_count,
                     return_partial)
    return patterns
