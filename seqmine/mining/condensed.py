"""Condensed pattern sets: closed, maximal and top-k sequential patterns.

The drivers follow PrefixSpan's (prepare -> chunks of first-level items in threads ->
kernel -> PatternSet); only the kernels differ (``_kernels.condensed``, ``_kernels.topk``).
Semantics are DESIGN.md's, taken over the family of patterns the constraints allow:

* closed: frequent patterns with no super-pattern in the family of the same support;
* maximal: frequent patterns with no frequent super-pattern in the family;
* top-k: the k patterns of highest support in the family; every pattern tied with the k-th
  support is kept too (so more than k may come back, never fewer unless fewer exist).

must_contain / exclude / max_length / max_size are supported everywhere (``exclude`` mines
the database without those items; ``must_contain`` keeps the patterns holding them).
Gap and span constraints are supported by top_k only: under them the family is not closed
under sub-patterns, and closed/maximal raise InputError instead of guessing a meaning.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from seqmine._kernels import _jit, projection
from seqmine._kernels import condensed as kcondensed
from seqmine._kernels import patterns as kpatterns
from seqmine._kernels import topk as ktopk
from seqmine.data.database import SequenceDatabase
from seqmine.errors import BudgetExceededError, InputError, MiningInterrupted
from seqmine.mining.prepare import PreparedDatabase, check_database, prepare
from seqmine.mining.runner import make_chunks, resolve_n_jobs, run_chunks
from seqmine.options import Budget, Constraints
from seqmine.patterns.csr import lengths_to_ptr, take_ranges
from seqmine.patterns.patternset import PatternSet

_INT_MAX = np.iinfo(np.int64).max // 4


def closed(db: SequenceDatabase, minsup: int | float, *, max_length: int | None = None,
           max_size: int | None = None, min_gap: Any = None, max_gap: Any = None,
           max_span: Any = None, must_contain: Any = (), exclude: Any = (),
           gap_unit: str | None = None, max_patterns: int | None = None,
           max_memory: int | None = None, n_jobs: int | None = 1, progress: bool = False,
           return_partial: bool = False) -> PatternSet:
    """Closed sequential patterns: frequent, and no super-pattern has the same support.

    BIDE-style search (Wang & Han, 2004) generalised to itemsets: each pattern is checked for
    an equally supported one-item extension or insertion, and a prefix whose projection an
    insertion preserves is pruned with its whole subtree (BackScan), so the non-closed part of
    the search space is mostly never visited. Options as in :func:`seqmine.mine`; gap/span
    constraints raise InputError. The result is identical for any ``n_jobs``.
    """
    constraints, budget = _options(max_length, max_size, min_gap, max_gap, max_span,
                                   must_contain, exclude, gap_unit, max_patterns, max_memory)
    _refuse_window("closed", constraints)
    return _mine_condensed(db, minsup, kcondensed.CLOSED, "closed", constraints, budget,
                           n_jobs, progress, return_partial)


def maximal(db: SequenceDatabase, minsup: int | float, *, max_length: int | None = None,
            max_size: int | None = None, min_gap: Any = None, max_gap: Any = None,
            max_span: Any = None, must_contain: Any = (), exclude: Any = (),
            gap_unit: str | None = None, max_patterns: int | None = None,
            max_memory: int | None = None, n_jobs: int | None = 1, progress: bool = False,
            return_partial: bool = False) -> PatternSet:
    """Maximal sequential patterns: frequent, and no super-pattern is frequent.

    VMSP-style (Fournier-Viger et al., 2014): the closed search with its BackScan pruning
    (a maximal pattern is closed) keeps as candidates the patterns without a frequent forward
    extension; a candidate is maximal unless another candidate contains it (every frequent
    super-pattern lies under some maximal candidate), which an item-indexed containment pass
    decides. Options as in :func:`closed`.
    """
    constraints, budget = _options(max_length, max_size, min_gap, max_gap, max_span,
                                   must_contain, exclude, gap_unit, max_patterns, max_memory)
    _refuse_window("maximal", constraints)
    return _mine_condensed(db, minsup, kcondensed.MAXIMAL, "maximal", constraints, budget,
                           n_jobs, progress, return_partial)


def top_k(db: SequenceDatabase, k: int, *, minsup: int | float = 1,
          max_length: int | None = None, max_size: int | None = None, min_gap: Any = None,
          max_gap: Any = None, max_span: Any = None, must_contain: Any = (),
          exclude: Any = (), gap_unit: str | None = None, max_patterns: int | None = None,
          max_memory: int | None = None, n_jobs: int | None = 1, progress: bool = False,
          return_partial: bool = False) -> PatternSet:
    """The ``k`` sequential patterns of highest support (TKS-style, Fournier-Viger et al.
    2013), never below ``minsup``.

    Tie rule: every pattern whose support equals the k-th highest support is included, so the
    result can hold more than k patterns (it is the set of patterns with support >= the k-th
    highest support); fewer come back only when fewer than k patterns reach ``minsup``.
    The threshold rises during the search, so low-support subtrees are never explored.
    All constraints of :func:`seqmine.mine` apply, gaps and span included (the k best
    patterns among those the constraints allow). ``max_patterns`` bounds the returned set.
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InputError(f"k must be an int >= 1, got {k!r}")
    constraints, budget = _options(max_length, max_size, min_gap, max_gap, max_span,
                                   must_contain, exclude, gap_unit, max_patterns, max_memory)
    return _mine_top_k(db, int(k), minsup, constraints, budget, n_jobs, progress,
                       return_partial)


# --- shared plumbing ----------------------------------------------------------------------
def _options(max_length: int | None, max_size: int | None, min_gap: Any, max_gap: Any,
             max_span: Any, must_contain: Any, exclude: Any, gap_unit: str | None,
             max_patterns: int | None, max_memory: int | None) -> tuple[Constraints, Budget]:
    for name, value in (("must_contain", must_contain), ("exclude", exclude)):
        if isinstance(value, (str, bytes)):
            raise InputError(f"{name} must be a collection of items, got the string {value!r}")
    constraints = Constraints(max_length=max_length, max_size=max_size, min_gap=min_gap,
                              max_gap=max_gap, max_span=max_span,
                              must_contain=tuple(must_contain or ()),
                              exclude=tuple(exclude or ()), gap_unit=gap_unit)
    return constraints, Budget(max_patterns=max_patterns, max_memory=max_memory)


def _refuse_window(what: str, constraints: Constraints) -> None:
    given = [name for name in ("min_gap", "max_gap", "max_span")
             if getattr(constraints, name) is not None]
    if given:
        raise InputError(
            f"{what} patterns do not support {', '.join(given)}: under gap/span constraints "
            f"a super-pattern can be more frequent than its sub-pattern, so '{what}' has no "
            "single clear meaning; mine with seqmine.mine(...) and filter, or drop the "
            "constraint")


def _context(db: SequenceDatabase, p: PreparedDatabase, algorithm: str, minsup: Any,
             constraints: Constraints, **extra: Any) -> dict[str, Any]:
    options = {"algorithm": algorithm, "minsup": minsup, **extra, **constraints.to_dict()}
    return {"codebook": db.codebook, "n_sequences": db.n_sequences,
            "min_count": p.min_count, "options": options}


def _empty(context: dict[str, Any]) -> PatternSet:
    zero = np.zeros(1, np.int64)
    return PatternSet(zero, zero, np.zeros(0, np.int32), np.zeros(0, np.int64), **context)


def _progress_bar(enabled: bool, total: int, desc: str) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm
    return tqdm(total=total, unit="prefix", desc=desc, leave=False)


def _check_events(p: PreparedDatabase) -> None:
    if len(p.evt_ptr) > np.iinfo(np.int32).max:
        raise InputError("more than 2**31 events after removing infrequent items: split the "
                         "database or raise minsup")


def _run(p: PreparedDatabase, run_one: Callable[[np.ndarray, np.ndarray], tuple[Any, ...]],
         chunks: list[np.ndarray], n_workers: int, budget: Budget, max_patterns: int,
         count_emitted: bool, progress: bool, desc: str
         ) -> tuple[list[tuple[Any, ...]], bool, bool]:
    """Run the chunks with the budgets checked between them; returns (results, interrupted,
    over_memory)."""
    emitted = 0
    kept_bytes = 0
    over_memory = False

    def stop(result: tuple[Any, ...]) -> bool:
        nonlocal emitted, kept_bytes, over_memory
        if count_emitted:
            emitted += int(result[5].sum())
        kept_bytes += sum(a.nbytes for a in result[1:])
        over_memory = kept_bytes > budget.memory_bytes()
        return result[0] != _jit.OK or emitted > max_patterns or over_memory

    bar = _progress_bar(progress, p.n_items, desc)
    try:
        results, interrupted = run_chunks(run_one, chunks, n_workers, stop,
                                          bar.update if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()
    return results, interrupted, over_memory


def _decode(results: list[tuple[Any, ...]], p: PreparedDatabase, context: dict[str, Any],
            emit: np.ndarray | None = None, token_ordered: bool = True,
            uncontained: bool = False) -> PatternSet:
    """Join the chunks' pattern trees in chunk order and decode the emitted nodes; with
    ``uncontained`` keep only those no other emitted pattern contains."""
    if not results:
        return _empty(context)
    sizes = [len(r[1]) for r in results]
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    parent = np.concatenate([np.where(r[1] >= 0, r[1] + off, -1)
                             for r, off in zip(results, offsets, strict=True)])
    item = np.concatenate([r[2] for r in results])
    sext = np.concatenate([r[3] for r in results])
    support = np.concatenate([r[4] for r in results])
    if emit is None:
        emit = np.concatenate([r[5] for r in results])
    node_of, item_ptr, pitems, newset = kpatterns.decode_tree(parent, item, sext, emit)
    if uncontained and len(node_of) > 1:
        keep = kcondensed.not_contained(item_ptr, pitems, newset, p.n_items)
        lengths = np.diff(item_ptr)[keep]
        pitems = pitems[take_ranges(item_ptr, np.flatnonzero(keep))]
        newset = newset[take_ranges(item_ptr, np.flatnonzero(keep))]
        item_ptr = lengths_to_ptr(lengths)
        node_of = node_of[keep]
    return PatternSet.from_flat(item_ptr, p.original_code[pitems], newset, support[node_of],
                                token_ordered=token_ordered, **context)


def _raise_for_status(results: list[tuple[Any, ...]], patterns: PatternSet, interrupted: bool,
                      over_memory: bool, over_patterns: bool, max_patterns: int,
                      budget: Budget, min_count: int, return_partial: bool) -> None:
    statuses = {int(r[0]) for r in results}
    if interrupted or _jit.INTERRUPTED in statuses:
        raise MiningInterrupted(f"interrupted after {len(patterns)} patterns",
                                patterns if return_partial else None)
    if over_patterns or _jit.PATTERN_BUDGET in statuses:
        raise BudgetExceededError(
            f"more than max_patterns={max_patterns} patterns at min_count={min_count}; "
            "raise minsup, bound max_length/max_size, or raise max_patterns",
            patterns.top(max_patterns) if return_partial else None)
    if over_memory or _jit.MEMORY_BUDGET in statuses:
        raise BudgetExceededError(
            f"mining buffers exceeded the memory budget ({budget.memory_bytes()} bytes); "
            "raise minsup, bound max_length, use fewer n_jobs, or raise max_memory",
            patterns if return_partial else None)


# --- closed and maximal ---------------------------------------------------------------------
def _mine_condensed(db: SequenceDatabase, minsup: Any, mode: int, name: str,
                    constraints: Constraints, budget: Budget, n_jobs: int | None,
                    progress: bool, return_partial: bool) -> PatternSet:
    check_database(db)
    p = prepare(db, minsup, constraints)
    n_workers = resolve_n_jobs(n_jobs)
    context = _context(db, p, name, minsup, constraints)
    if p.n_items == 0:
        return _empty(context)
    _check_events(p)
    single = p.max_itemset_size == 1
    idx_ptr, idx_sid, idx_evt = projection.inverted_index(p.seq_ptr, p.evt_ptr, p.items,
                                                          p.n_items)
    max_patterns = budget.max_patterns if budget.max_patterns is not None else _INT_MAX
    max_bytes = budget.memory_bytes() // n_workers
    max_length = constraints.max_length or _INT_MAX
    max_size = constraints.max_size or _INT_MAX
    # BackScan pruning replaces a pattern by a one-item-bigger one: only sound when every
    # bigger pattern stays in the family
    prune = constraints.max_length is None and constraints.max_size is None
    n_required = int(p.required.sum())

    # maximal: the kernel emits candidates (a superset), so the budget applies at the end
    kernel_max = max_patterns if mode == kcondensed.CLOSED else _INT_MAX

    def run_one(roots: np.ndarray, cancel: np.ndarray) -> tuple[Any, ...]:
        result: tuple[Any, ...] = kcondensed.grow(
            p.seq_ptr, p.evt_ptr, p.items, p.coord, p.n_items, idx_ptr, idx_sid, idx_evt, roots,
            p.min_count, single, not single, mode, prune, max_length, max_size, p.required,
            n_required, kernel_max, max_bytes, cancel)
        return result

    chunks = make_chunks(p.n_items, n_workers)
    results, interrupted, over_memory = _run(p, run_one, chunks, n_workers, budget,
                                             kernel_max, True, progress, name)
    patterns = _decode(results, p, context, uncontained=mode == kcondensed.MAXIMAL)
    _raise_for_status(results, patterns, interrupted, over_memory,
                      len(patterns) > max_patterns, max_patterns, budget, p.min_count,
                      return_partial)
    return patterns


# --- top-k ------------------------------------------------------------------------------------
def _mine_top_k(db: SequenceDatabase, k: int, minsup: Any, constraints: Constraints,
                budget: Budget, n_jobs: int | None, progress: bool,
                return_partial: bool) -> PatternSet:
    check_database(db)
    base = prepare(db, minsup, constraints)
    n_workers = resolve_n_jobs(n_jobs)
    context = _context(db, base, "top_k", minsup, constraints, k=k)
    if base.n_items == 0:
        return _empty(context)
    _check_events(base)
    max_patterns = budget.max_patterns if budget.max_patterns is not None else _INT_MAX
    n_required = int(base.required.sum())
    item_support = projection.item_supports(base.seq_ptr, base.evt_ptr, base.items,
                                            base.n_items)
    # one-item patterns are in the family (unless items are required), so the k-th highest
    # item support is a floor that surely lets k patterns through
    safe = base.min_count
    if n_required == 0 and len(item_support) >= k:
        safe = max(safe, int(np.sort(item_support)[::-1][k - 1]))
    # A depth-first search that starts far below the k-th support dives into deep,
    # low-support branches before its threshold rises. So the floor starts at the highest
    # item support and falls while a run finds fewer than k patterns (such a run is cheap:
    # it visits fewer than k patterns); the first run that finds k has a floor at or below
    # the k-th support and is exact, its threshold rising from there. Each run mines the
    # database reduced to the items that reach its floor.
    floor = max(safe, int(item_support.max()))
    history: list[tuple[int, int]] = []
    while True:
        p = base if floor == base.min_count else prepare(db, floor, constraints)
        results, interrupted, over_memory = _top_k_run(p, k, constraints, budget, n_workers,
                                                       max_patterns, progress)
        found = sum(int(r[5].sum()) for r in results)
        failed = interrupted or any(r[0] != _jit.OK for r in results) or over_memory
        if failed or found >= k or floor <= safe:
            break
        history.append((floor, found))
        floor = max(safe, _next_floor(history, k))
        if n_required == 0:
            # the patterns found plus those met below the floor are real ones: when they
            # are k or more, the k-th highest of their supports is a floor that succeeds
            met = sum(r[6] for r in results)
            for r in results:
                np.add.at(met, r[4][r[5] != 0], 1)
            reach = np.cumsum(met[::-1])[::-1]
            if reach[0] >= k:
                floor = max(floor, int(np.flatnonzero(reach >= k)[-1]))
    emit = None
    if results:
        support = np.concatenate([r[4] for r in results])
        emit = np.concatenate([r[5] for r in results]).astype(bool)
        kth = _kth_support(support[emit], k)
        emit = (emit & (support >= kth)).astype(np.int8)
        context["min_count"] = max(base.min_count, kth)
    patterns = _decode(results, p, context, emit=emit, token_ordered=False)
    _raise_for_status(results, patterns, interrupted, over_memory,
                      len(patterns) > max_patterns, max_patterns, budget, p.min_count,
                      return_partial)
    return patterns


def _top_k_run(p: PreparedDatabase, k: int, constraints: Constraints, budget: Budget,
               n_workers: int, max_patterns: int, progress: bool
               ) -> tuple[list[tuple[Any, ...]], bool, bool]:
    """One rising-threshold search over ``p`` with floor ``p.min_count``."""
    single = p.max_itemset_size == 1
    keep_all = constraints.has_window or not single
    idx_ptr, idx_sid, idx_evt = projection.inverted_index(p.seq_ptr, p.evt_ptr, p.items,
                                                          p.n_items)
    item_support = np.diff(idx_ptr)  # occurrences: only orders the roots
    # roots in descending support so the threshold rises early
    root_order = np.lexsort((np.arange(p.n_items), -item_support)).astype(np.int32)
    shared_thr = np.array([p.min_count], np.int64)
    max_bytes = budget.memory_bytes() // n_workers
    max_length = constraints.max_length or _INT_MAX
    max_size = constraints.max_size or _INT_MAX
    n_required = int(p.required.sum())
    n_sequences = len(p.seq_ptr) - 1

    def run_one(chunk: np.ndarray, cancel: np.ndarray) -> tuple[Any, ...]:
        result: tuple[Any, ...] = ktopk.grow(
            p.seq_ptr, p.evt_ptr, p.items, p.coord, p.n_items, idx_ptr, idx_sid, idx_evt,
            root_order[chunk], p.min_count, k, n_sequences, shared_thr, single, keep_all,
            constraints.has_window, p.min_gap, p.max_gap, p.max_span, max_length, max_size,
            p.required, n_required, max_bytes, cancel)
        return result

    if p.n_items == 0:
        return [], False, False
    return _run(p, run_one, make_chunks(p.n_items, n_workers), n_workers, budget,
                max_patterns, False, progress, "top_k")


def _next_floor(history: list[tuple[int, int]], k: int) -> int:
    """The next floor after runs at (floor, patterns found) that found fewer than k.

    Pattern counts grow roughly like a power of the falling threshold: fit it through the
    last two runs and aim at 1.25 k; without two informative runs, halve (or take 3/4 when
    close). Never below a quarter of the last floor, always below it.
    """
    floor, found = history[-1]
    guess = floor * (0.5 if found < k // 8 else 0.75)
    if len(history) >= 2:
        (f0, c0), (f1, c1) = history[-2], history[-1]
        if c0 >= 1 and c1 > c0 and f0 > f1:
            alpha = np.log(c1 / c0) / np.log(f0 / f1)
            guess = f1 * (c1 / (1.25 * k)) ** (1.0 / alpha)
    return int(min(floor - 1, max(guess, floor / 4)))


def _kth_support(supports: np.ndarray, k: int) -> int:
    """The k-th highest value (ties counted), or 0 when there are fewer than k."""
    if len(supports) < k:
        return 0
    return int(np.partition(supports, len(supports) - k)[len(supports) - k])


__all__ = ["closed", "maximal", "top_k"]
