"""Partially-ordered sequential rules (RuleGrowth / ERMiner family), mined directly.

A rule X => Y has unordered item sets X and Y (disjoint). Sequence s supports it when every
item of X occurs before every item of Y: the largest first-occurrence event of X's items is
before the smallest last-occurrence event of Y's items (strictly, so items in one event are
not "before" each other). support = number of such sequences; confidence = support /
(sequences holding all of X); lift = confidence / (sequences holding all of Y / N).

The miner grows rules depth-first from {x} => {} (Fournier-Viger, Nkambou & Tseng,
"RuleGrowth", 2011): it only ever visits rules with support >= minsup, never all patterns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from seqmine._kernels import _jit
from seqmine._kernels import rules as krules
from seqmine.data.database import SequenceDatabase
from seqmine.errors import BudgetExceededError, InputError, MiningInterrupted
from seqmine.options import resolve_minsup
from seqmine.patterns.csr import lengths_to_ptr
from seqmine.rules.ruleset import RuleSet


@dataclass(frozen=True)
class ItemOccurrences:
    """Per sequence, its distinct items (ascending) with first and last event positions;
    and the inverted index item -> sorted sequence ids. Only items kept by the caller."""

    d_ptr: np.ndarray
    d_item: np.ndarray
    d_first: np.ndarray
    d_last: np.ndarray
    inv_ptr: np.ndarray
    inv_sid: np.ndarray


def item_occurrences(db: SequenceDatabase, keep_item: np.ndarray | None = None
                     ) -> ItemOccurrences:
    """Vectorised: sort (sequence, item, event) once and read group boundaries."""
    a = db.arrays
    n_items = db.n_items
    n_evt_per_seq = np.diff(a.seq_ptr)
    seq_of_evt = np.repeat(np.arange(len(db), dtype=np.int64), n_evt_per_seq)
    local = np.arange(db.n_events, dtype=np.int64) - a.seq_ptr[seq_of_evt]
    size = np.diff(a.evt_ptr)
    seq = np.repeat(seq_of_evt, size)
    evt = np.repeat(local, size)
    item = a.items.astype(np.int64)
    if keep_item is not None:
        mask = keep_item[item]
        seq, evt, item = seq[mask], evt[mask], item[mask]
    key = seq * n_items + item
    order = np.lexsort((evt, key))
    key, evt = key[order], evt[order]
    start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    stop = np.r_[start[1:], len(key)] - 1
    ukey = key[start]
    d_seq = ukey // n_items
    d_item = (ukey % n_items).astype(np.int64)
    d_ptr = np.zeros(len(db) + 1, np.int64)
    np.cumsum(np.bincount(d_seq, minlength=len(db)), out=d_ptr[1:])
    by_item = np.argsort(d_item, kind="stable")
    inv_ptr = np.zeros(n_items + 1, np.int64)
    np.cumsum(np.bincount(d_item, minlength=n_items), out=inv_ptr[1:])
    return ItemOccurrences(d_ptr, d_item, evt[start].astype(np.int64),
                           evt[stop].astype(np.int64), inv_ptr, d_seq[by_item])


def partially_ordered_rules(db: SequenceDatabase, minsup: int | float,
                            min_confidence: float = 0.0, *, max_antecedent: int | None = None,
                            max_consequent: int | None = None, max_rules: int | None = None,
                            n_jobs: int | None = 1, progress: bool = False,
                            return_partial: bool = False) -> RuleSet:
    """Rules X => Y (item sets, "all of X before all of Y") with support >= minsup and
    confidence >= min_confidence; see the module docstring.

    max_antecedent / max_consequent bound the number of items on each side. ``n_jobs``
    threads mine disjoint sets of smallest antecedent items; the output is the same for any
    ``n_jobs``. Rules come back sorted by confidence, support and lift (descending), ties
    in growth order (deterministic).
    """
    if not isinstance(db, SequenceDatabase):
        raise InputError(f"expected a SequenceDatabase, got {type(db).__name__}")
    if isinstance(min_confidence, bool) or not isinstance(
            min_confidence, (int, float, np.floating)) or not 0.0 <= min_confidence <= 1.0:
        raise InputError(f"min_confidence must be in [0, 1], got {min_confidence!r}")
    for name, value in (("max_antecedent", max_antecedent), ("max_consequent", max_consequent),
                        ("max_rules", max_rules)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 1):
            raise InputError(f"{name} must be an int >= 1, got {value!r}")
    min_count = resolve_minsup(minsup, len(db))
    options = {"minsup": minsup, "min_confidence": min_confidence,
               "max_antecedent": max_antecedent, "max_consequent": max_consequent}
    context: dict[str, Any] = {"codebook": db.codebook, "kind": "partially-ordered",
                               "n_sequences": len(db), "min_count": min_count,
                               "options": options}
    all_occ = item_occurrences(db)
    item_support = np.diff(all_occ.inv_ptr)
    frequent = item_support >= min_count
    if frequent.sum() < 2:
        return RuleSet.empty(**context)
    occ = item_occurrences(db, frequent)
    n_freq = int(frequent.sum())
    max_ant = max_antecedent if max_antecedent is not None else n_freq
    max_con = max_consequent if max_consequent is not None else n_freq
    budget = max_rules if max_rules is not None else np.iinfo(np.int64).max // 4
    roots = np.flatnonzero(frequent).astype(np.int64)

    from seqmine.mining.runner import resolve_n_jobs, run_chunks
    n_workers = resolve_n_jobs(n_jobs)
    n_chunks = max(1, min(len(roots), 16 * n_workers, 256))
    chunks = [c for c in np.array_split(roots, n_chunks) if len(c)]

    def run_one(chunk: np.ndarray, cancel: np.ndarray) -> tuple[Any, ...]:
        return tuple(krules.grow_partial_order(occ.d_ptr, occ.d_item, occ.d_first, occ.d_last,
                                         occ.inv_ptr, occ.inv_sid, db.n_items, chunk,
                                         min_count, float(min_confidence), max_ant, max_con,
                                         budget, cancel))

    found = 0

    def stop(result: tuple[Any, ...]) -> bool:
        nonlocal found
        found += len(result[5])
        return result[0] != _jit.OK or found > budget

    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(roots), unit="item", desc="rulegrowth", leave=False)
    try:
        results, interrupted = run_chunks(run_one, chunks, n_workers, stop,
                                          bar.update if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()
    out = _to_ruleset(results, all_occ, context)
    statuses = {int(r[0]) for r in results}
    if interrupted or _jit.INTERRUPTED in statuses:
        raise MiningInterrupted(f"interrupted after {len(out)} rules",
                                out if return_partial else None)
    if _jit.PATTERN_BUDGET in statuses or len(out) > budget:
        raise BudgetExceededError(
            f"more than max_rules={max_rules} rules at min_count={min_count}; raise minsup "
            "or min_confidence, bound max_antecedent/max_consequent, or raise max_rules",
            out.take(np.arange(min(len(out), budget))) if return_partial else None)
    return out


def _to_ruleset(results: list[tuple[Any, ...]], occ: ItemOccurrences,
                context: dict[str, Any]) -> RuleSet:
    if not results or sum(len(r[5]) for r in results) == 0:
        return RuleSet.empty(**context)
    x_len = np.concatenate([np.diff(r[1]) for r in results])
    y_len = np.concatenate([np.diff(r[3]) for r in results])
    x_items = np.concatenate([r[2] for r in results]).astype(np.int32)
    y_items = np.concatenate([r[4] for r in results]).astype(np.int32)
    support = np.concatenate([r[5] for r in results])
    sup_x = np.concatenate([r[6] for r in results])
    y_ptr = lengths_to_ptr(y_len)
    sup_y = krules.set_supports(occ.d_ptr, occ.d_item, occ.inv_ptr, occ.inv_sid, y_ptr,
                                y_items.astype(np.int64))
    one = np.arange(len(support) + 1, dtype=np.int64)  # one itemset per side
    out = RuleSet(one, lengths_to_ptr(x_len), x_items, one, y_ptr, y_items, support, sup_x,
                  sup_y, **context)
    return out.sort()
