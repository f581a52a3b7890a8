"""Exploring patterns and rules: selection by items, containment, occurrences, firing rules.

Patterns given by hand are lists of events in original item ids; an event is an item or a
list/tuple/set of items (an itemset): ``[1, (2, 3)]`` is <{1} {2,3}>. A history is given
the same way. Containment follows DESIGN.md (events in order, each pattern itemset inside
its event), with the same gap/span options as :func:`seqmine.mine`. Everything that counts
runs in Numba kernels (``seqmine._kernels.contain``), in parallel over patterns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from seqmine._kernels import contain as kcontain
from seqmine.data.codebook import Codebook
from seqmine.data.database import SequenceArrays, SequenceDatabase
from seqmine.errors import InputError
from seqmine.options import Constraints
from seqmine.patterns.csr import lengths_to_ptr
from seqmine.patterns.patternset import PatternSet

if TYPE_CHECKING:
    import pandas as pd

    from seqmine.rules.recommender import RuleRecommender
    from seqmine.rules.ruleset import RuleSet

__all__ = [
    "containing",
    "ending_with",
    "firing_rules",
    "matching",
    "occurrences",
    "starting_with",
    "support",
]

PatternCSR = tuple[np.ndarray, np.ndarray, np.ndarray]


# --- parsing ------------------------------------------------------------------------------

def _events(pattern: Any, what: str) -> list[list[Any]]:
    if isinstance(pattern, (str, bytes)) or not isinstance(pattern, Iterable):
        return [[pattern]]
    events = []
    for event in pattern:
        members = sorted(set(event), key=_sort_key) \
            if isinstance(event, (list, tuple, set, frozenset)) else [event]
        if not members:
            raise InputError(f"empty itemset in {what} {pattern!r}")
        events.append(members)
    if not events:
        raise InputError(f"empty {what}")
    return events


def _sort_key(value: Any) -> tuple[str, Any]:
    return (type(value).__name__, value)


def _codes(codebook: Codebook, values: list[Any]) -> np.ndarray:
    """Codes of ``values``; -1 for values the codebook does not hold (they match nothing)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    if not values:
        return np.zeros(0, np.int64)
    try:
        arr = pa.array(values, type=codebook.values.type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError) as exc:
        raise InputError(f"items {values[:5]!r} do not have the database's item type "
                         f"({codebook.values.type})") from exc
    index = pc.index_in(arr, value_set=codebook.values)
    return np.asarray(index.fill_null(-1).to_numpy(zero_copy_only=False), np.int64)


def pattern_csr(patterns: Sequence[Any] | PatternSet, codebook: Codebook
                ) -> tuple[PatternCSR, np.ndarray]:
    """User patterns -> two-level CSR of codes (each itemset sorted by code), and a mask of
    the patterns holding an item unknown to the codebook (they are contained nowhere)."""
    if isinstance(patterns, PatternSet):
        return (patterns.pat_ptr, patterns.pset_ptr, patterns.pitems), \
            np.zeros(len(patterns), dtype=bool)
    n_sets: list[int] = []
    set_len: list[int] = []
    flat: list[Any] = []
    for pattern in patterns:
        events = _events(pattern, "pattern")
        n_sets.append(len(events))
        for event in events:
            set_len.append(len(event))
            flat.extend(event)
    codes = _codes(codebook, flat)
    pat_ptr = lengths_to_ptr(np.array(n_sets, np.int64))
    pset_ptr = lengths_to_ptr(np.array(set_len, np.int64))
    set_of_item = np.repeat(np.arange(len(set_len)), set_len)
    unknown_set = np.zeros(len(set_len), dtype=bool)
    unknown_set[set_of_item[codes < 0]] = True
    pat_of_set = np.repeat(np.arange(len(n_sets)), n_sets)
    unknown = np.zeros(len(n_sets), dtype=bool)
    unknown[pat_of_set[unknown_set]] = True
    # sort items within each itemset by code (the kernels' invariant)
    order = np.lexsort((codes, set_of_item))
    return (pat_ptr, pset_ptr, np.maximum(codes[order], 0).astype(np.int32)), unknown


def history_arrays(history: Any, codebook: Codebook) -> SequenceArrays:
    """One history (original ids) as ``SequenceArrays`` of codes; unknown items are dropped
    (their events stay, possibly empty, so positions do not move)."""
    if isinstance(history, SequenceArrays):
        return history
    events = _events(history, "history") if len(history) else []
    sizes = []
    flat: list[Any] = []
    for event in events:
        codes = _codes(codebook, event)
        codes = np.unique(codes[codes >= 0])
        sizes.append(len(codes))
        flat.extend(codes.tolist())
    evt_ptr = lengths_to_ptr(np.array(sizes, np.int64))
    return SequenceArrays(np.array([0, len(events)], np.int64), evt_ptr,
                          np.array(flat, np.int32), np.arange(len(events), dtype=np.int64))


# --- selection by items ------------------------------------------------------------------

def containing(patterns: PatternSet, items: Any) -> PatternSet:
    """Patterns holding every one of ``items`` (an item or a list of items), anywhere."""
    wanted = list(items) if isinstance(items, (list, tuple, set, frozenset)) else [items]
    return patterns.filter(contains=wanted)


def _aligned(patterns: PatternSet, query: Any, at_end: bool) -> PatternSet:
    (_q_ptr, q_set_ptr, q_items), unknown = pattern_csr([query], patterns.codebook)
    if unknown[0]:
        return patterns.take(np.zeros(0, np.int64))
    mask = kcontain.aligned_match(patterns.pat_ptr, patterns.pset_ptr, patterns.pitems,
                                  q_set_ptr, q_items, at_end)
    return patterns.take(np.flatnonzero(mask))


def starting_with(patterns: PatternSet, prefix: Any) -> PatternSet:
    """Patterns whose first itemsets hold ``prefix``'s itemsets, one by one.

    ``prefix`` is an item (the first itemset holds it) or a pattern: ``[1, 2]`` selects
    patterns whose first itemset holds 1 and second holds 2.
    """
    return _aligned(patterns, prefix, at_end=False)


def ending_with(patterns: PatternSet, suffix: Any) -> PatternSet:
    """Patterns whose last itemsets hold ``suffix``'s itemsets, one by one (aligned at the
    end)."""
    return _aligned(patterns, suffix, at_end=True)


# --- containment -------------------------------------------------------------------------

def _window(db_time_unit: str | None, min_gap: Any, max_gap: Any, max_span: Any,
            gap_unit: str | None) -> tuple[bool, int, int, int, bool]:
    c = Constraints(min_gap=min_gap, max_gap=max_gap, max_span=max_span, gap_unit=gap_unit)
    lo, hi, span, use_time = c.resolved_window(db_time_unit)
    return c.has_window, lo, hi, span, use_time


def _coord(a: SequenceArrays, use_time: bool) -> np.ndarray:
    return np.asarray(a.times, np.int64) if use_time else \
        np.arange(len(a.evt_ptr) - 1, dtype=np.int64)


def _inverted(a: SequenceArrays, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    """item -> sorted unique ids of the sequences holding it."""
    n_seq = len(a.seq_ptr) - 1
    seq = np.repeat(np.repeat(np.arange(n_seq, dtype=np.int64), np.diff(a.seq_ptr)),
                    np.diff(a.evt_ptr))
    key = np.unique(np.asarray(a.items, np.int64) * max(n_seq, 1) + seq)
    item = key // max(n_seq, 1)
    ptr = lengths_to_ptr(np.bincount(item, minlength=n_items)[:n_items])
    return ptr, key % max(n_seq, 1)


def _position_index(a: SequenceArrays, n_items: int) -> tuple[np.ndarray, ...]:
    """Per sequence its distinct items (ascending), each with the sorted events holding it;
    and the inverted index item -> sequences. One sort of (sequence, item, event)."""
    n_seq = len(a.seq_ptr) - 1
    n_evt = len(a.evt_ptr) - 1
    evt = np.repeat(np.arange(n_evt, dtype=np.int64), np.diff(a.evt_ptr))
    seq = np.repeat(np.repeat(np.arange(n_seq, dtype=np.int64), np.diff(a.seq_ptr)),
                    np.diff(a.evt_ptr))
    key = seq * n_items + np.asarray(a.items, np.int64)
    order = np.lexsort((evt, key))
    key, g_evt = key[order], evt[order]
    start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else \
        np.zeros(0, np.int64)
    ukey = key[start]
    d_seq, d_item = ukey // n_items, ukey % n_items
    d_ptr = lengths_to_ptr(np.bincount(d_seq, minlength=n_seq))
    g_ptr = np.r_[start, len(key)].astype(np.int64)
    by_item = np.argsort(d_item, kind="stable")
    inv_ptr = lengths_to_ptr(np.bincount(d_item, minlength=n_items)[:n_items])
    return d_ptr, d_item, g_ptr, g_evt, inv_ptr, d_seq[by_item]


def support_of_codes(db: SequenceDatabase | SequenceArrays, pat_ptr: np.ndarray,
                     pset_ptr: np.ndarray, pitems: np.ndarray, *, n_items: int | None = None,
                     time_unit: str | None = None, min_gap: Any = None, max_gap: Any = None,
                     max_span: Any = None, gap_unit: str | None = None) -> np.ndarray:
    """Support of CSR patterns (item codes) in a database or in raw ``SequenceArrays``."""
    if isinstance(db, SequenceDatabase):
        a, n_items, time_unit = db.arrays, db.n_items, db.time_unit
    else:
        a = db
        n_items = n_items if n_items is not None else int(np.max(a.items, initial=-1)) + 1
    n_items = max(n_items, int(np.max(pitems, initial=-1)) + 1)
    has_window, lo, hi, span, use_time = _window(time_unit, min_gap, max_gap, max_span,
                                                 gap_unit)
    pat_ptr = np.asarray(pat_ptr, np.int64)
    pset_ptr = np.asarray(pset_ptr, np.int64)
    pitems = np.asarray(pitems, np.int32)
    if not has_window:
        d_ptr, d_item, g_ptr, g_evt, inv_ptr, inv_sid = _position_index(a, n_items)
        return np.asarray(kcontain.count_support_indexed(
            a.seq_ptr, d_ptr, d_item, g_ptr, g_evt, pat_ptr, pset_ptr, pitems, inv_ptr,
            inv_sid), np.int64)
    inv_ptr, inv_sid = _inverted(a, n_items)
    max_len = int(np.diff(a.seq_ptr).max(initial=0))
    return np.asarray(kcontain.count_support(a.seq_ptr, a.evt_ptr, a.items, _coord(a, use_time),
                                  pat_ptr, pset_ptr, pitems, inv_ptr, inv_sid, max_len,
                                  has_window, lo, hi, span), np.int64)


def support(db: SequenceDatabase, patterns: Sequence[Any] | PatternSet, *,
            min_gap: Any = None, max_gap: Any = None, max_span: Any = None,
            gap_unit: str | None = None) -> np.ndarray:
    """Support (number of sequences containing it) of each pattern, in the order given.

    ``patterns`` is a list of patterns in original item ids (or a PatternSet, e.g. to
    recount it under other gap constraints). Only sequences holding a pattern's rarest item
    are checked; patterns are counted in parallel. A pattern with an item the database does
    not hold has support 0.
    """
    if not isinstance(db, SequenceDatabase):
        raise InputError(f"support() takes a SequenceDatabase, got {type(db).__name__}")
    if isinstance(patterns, PatternSet) and patterns.codebook != db.codebook:
        raise InputError("the PatternSet was mined from a database with another codebook")
    (pat_ptr, pset_ptr, pitems), unknown = pattern_csr(patterns, db.codebook)
    out = support_of_codes(db, pat_ptr, pset_ptr, pitems, min_gap=min_gap, max_gap=max_gap,
                           max_span=max_span, gap_unit=gap_unit)
    out[unknown] = 0
    return out


def occurrences(db: SequenceDatabase, pattern: Any, *, min_gap: Any = None,
                max_gap: Any = None, max_span: Any = None, gap_unit: str | None = None,
                first_only: bool = False) -> pd.DataFrame:
    """Where ``pattern`` occurs: one row per occurrence.

    An occurrence starts at an event holding the pattern's first itemset and is the
    embedding from there that ends earliest (each itemset matched as early as the
    constraints allow); ``first_only`` keeps the first occurrence of each sequence.
    Columns: ``sequence`` (index in ``db``), ``sequence_id`` (original key), ``start`` and
    ``end`` (event positions within the sequence), ``start_time``, ``end_time`` (in the
    database's time unit, as datetimes when it has one) and ``positions`` (the matched event
    position of every itemset).
    """
    import pandas as pd
    if not isinstance(db, SequenceDatabase):
        raise InputError(f"occurrences() takes a SequenceDatabase, got {type(db).__name__}")
    (pat_ptr, pset_ptr, pitems), unknown = pattern_csr([pattern], db.codebook)
    a = db.arrays
    k = int(pat_ptr[1])
    has_window, lo, hi, span, use_time = _window(db.time_unit, min_gap, max_gap, max_span,
                                                 gap_unit)
    if unknown[0]:
        sid = np.zeros(0, np.int64)
        evt = np.zeros(0, np.int64)
    else:
        inv_ptr, inv_sid = _inverted(a, db.n_items)
        rarest = pitems[np.argmin(np.diff(inv_ptr)[pitems])]
        cand = inv_sid[inv_ptr[rarest]:inv_ptr[rarest + 1]]
        sid, evt = kcontain.occurrences(a.seq_ptr, a.evt_ptr, a.items, _coord(a, use_time),
                                        pset_ptr, pitems, 0, k, cand,
                                        int(np.diff(a.seq_ptr).max(initial=0)), has_window,
                                        lo, hi, span, first_only)
    matched = evt.reshape(-1, k)
    local = matched - a.seq_ptr[sid][:, None]
    start_time = a.times[matched[:, 0]] if len(matched) else np.zeros(0, np.int64)
    end_time = a.times[matched[:, -1]] if len(matched) else np.zeros(0, np.int64)
    if db.time_unit:
        start_time = pd.to_datetime(start_time, unit=db.time_unit)
        end_time = pd.to_datetime(end_time, unit=db.time_unit)
    return pd.DataFrame({
        "sequence": sid,
        "sequence_id": db.sequence_ids.take(sid).to_pylist() if len(sid) else [],
        "start": local[:, 0] if len(matched) else np.zeros(0, np.int64),
        "end": local[:, -1] if len(matched) else np.zeros(0, np.int64),
        "start_time": start_time,
        "end_time": end_time,
        "positions": [row.tolist() for row in local],
    })


def matching(patterns: PatternSet, history: Any, *, at_end: bool = False,
             min_gap: Any = None, max_gap: Any = None, max_span: Any = None) -> PatternSet:
    """The patterns contained in ``history`` (original item ids); with ``at_end`` only those
    with an embedding that ends at the history's last event (no gap options then)."""
    h = history_arrays(history, patterns.codebook)
    if at_end:
        if min_gap is not None or max_gap is not None or max_span is not None:
            raise InputError("at_end=True takes no gap/span options")
        n = len(h.evt_ptr) - 1
        ends = kcontain.latest_ends(h.evt_ptr, h.items, 0, n, patterns.pat_ptr,
                                    patterns.pset_ptr, patterns.pitems)
        return patterns.take(np.flatnonzero(ends == n - 1))
    found = support_of_codes(h, patterns.pat_ptr, patterns.pset_ptr, patterns.pitems,
                             n_items=len(patterns.codebook), min_gap=min_gap, max_gap=max_gap,
                             max_span=max_span)
    return patterns.take(np.flatnonzero(found > 0))


def firing_rules(rules: RuleSet | RuleRecommender, history: Any, *,
                 last: int | None = None) -> Any:
    """The rules that fire for ``history`` (original item ids).

    For a RuleSet: rules whose antecedent is contained in the history and, when ``last`` is
    given, has a match ending within its last ``last`` events (partially-ordered rules: all
    antecedent items occur, within the last ``last`` events when given); returns a RuleSet.
    For a RuleRecommender: its exact explanation of every scored item (a DataFrame, see
    :meth:`RuleRecommender.explain`).
    """
    from seqmine.rules.recommender import RuleRecommender
    from seqmine.rules.ruleset import RuleSet
    if isinstance(rules, RuleRecommender):
        if rules.params["last_seconds"] is not None and not isinstance(history,
                                                                       SequenceArrays):
            raise InputError("this recommender has last_seconds: give the history as "
                             "SequenceArrays with its times (item ids carry no times)")
        h = history_arrays(history, rules.codebook) if rules.codebook is not None \
            else history
        return rules.explain(h, k=rules.n_items).rules
    if not isinstance(rules, RuleSet):
        raise InputError(f"firing_rules() takes a RuleSet or a RuleRecommender, got "
                         f"{type(rules).__name__}")
    if last is not None and (isinstance(last, bool) or not isinstance(last, int) or last < 1):
        raise InputError(f"last must be an int >= 1, got {last!r}")
    h = history_arrays(history, rules.codebook)
    n = len(h.evt_ptr) - 1
    lo = 0 if last is None else max(0, n - last)
    if rules.kind == "partially-ordered":
        present = np.zeros(len(rules.codebook) + 1, dtype=bool)
        present[h.items[h.evt_ptr[lo]:]] = True
        hit = present[rules.ant_items]
        fires = np.logical_and.reduceat(hit, rules.ant_set_ptr[:-1]) if len(hit) else \
            np.zeros(len(rules), dtype=bool)
        return rules.take(np.flatnonzero(fires))
    ends = kcontain.latest_ends(h.evt_ptr, h.items, 0, n, rules.ant_ptr, rules.ant_set_ptr,
                                rules.ant_items)
    return rules.take(np.flatnonzero(ends >= lo if last is not None else ends >= 0))
