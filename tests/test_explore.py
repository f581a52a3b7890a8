"""Exploration API: containment counting and occurrences against brute force, selection by
items, patterns a history matches, rules that fire for a history."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seqmine
from seqmine import explore
from seqmine.errors import InputError
from seqmine.rules import RuleRecommender, rules
from tests import strategies
from tests.reference import brute_force

TINY = [[1, 2, 3], [1, 3], [2, 1, 3], [1, (2, 3)], [3, 1]]


def naive(seqs):
    return [[list(e) if isinstance(e, (list, tuple)) else [e] for e in s] for s in seqs]


def to_tuple(pattern):
    return tuple(tuple(sorted(e)) for e in pattern)


window_options = st.fixed_dictionaries({}, optional={
    "min_gap": st.integers(1, 2), "max_gap": st.integers(2, 4), "max_span": st.integers(0, 5)})


@given(data=strategies.databases(max_sequences=8, max_events=6, max_items=4,
                                 with_times=True),
       patterns=st.lists(strategies.sequences(max_events=3, max_items=5, max_itemset_size=2),
                         min_size=1, max_size=6),
       window=window_options, use_time=st.booleans())
def test_support_matches_brute_force(data, patterns, window, use_time):
    seqs, times = data
    db = strategies.to_db(seqs, times if use_time else None)
    got = explore.support(db, patterns, gap_unit="time" if use_time else None, **window)
    want = [brute_force.support(seqs, to_tuple(p), times=times if use_time else None,
                                **window) for p in patterns]
    assert got.tolist() == want


@given(seqs=strategies.databases(max_sequences=6, max_events=6, max_items=3),
       pattern=strategies.sequences(max_events=3, max_items=3, max_itemset_size=2),
       window=window_options)
@settings(max_examples=40)
def test_occurrences_are_valid_earliest_embeddings_from_every_start(seqs, pattern, window):
    db = strategies.to_db(seqs)
    occ = explore.occurrences(db, pattern, **window)
    p = to_tuple(pattern)
    expected_rows = []
    for s, seq in enumerate(seqs):
        for start in range(len(seq)):
            ends = [end for end in range(start, len(seq))
                    if _starts_at(seq, start, end, p, window)]
            if ends:
                expected_rows.append((s, start, ends[0]))
    got_rows = list(zip(occ["sequence"], occ["start"], occ["end"], strict=False))
    assert got_rows == expected_rows
    for s, positions in zip(occ["sequence"], occ["positions"], strict=False):
        events = seqs[s]
        assert all(set(a) <= set(events[j]) for a, j in zip(p, positions, strict=False))
        assert positions == sorted(set(positions))
    first = explore.occurrences(db, pattern, first_only=True, **window)
    assert list(first["sequence"]) == sorted(set(occ["sequence"]))
    assert len(first) == explore.support(db, [pattern], **window)[0]


def _starts_at(seq, start, end, p, window):
    """Is there an embedding of p whose first itemset is at `start` and last at `end`?"""
    import itertools
    if not set(p[0]) <= set(seq[start]) or not set(p[-1]) <= set(seq[end]):
        return False
    if len(p) == 1:
        return start == end
    if end - start < len(p) - 1:
        return False
    for mid in itertools.combinations(range(start + 1, end), len(p) - 2):
        pos = (start, *mid, end)
        if all(set(a) <= set(seq[j]) for a, j in zip(p, pos, strict=False)) and \
                brute_force._embedding_ok(list(range(len(seq))), pos, window.get("min_gap"),
                                          window.get("max_gap"), window.get("max_span")):
            return True
    return False


def test_occurrences_with_times_and_ids():
    frame = pd.DataFrame({
        "user_id": [7, 7, 7, 9, 9, 9],
        "item_id": [1, 2, 3, 1, 3, 2],
        "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-05",
                                     "2024-02-01", "2024-02-03", "2024-03-01"])})
    db = seqmine.SequenceDatabase.from_sequences([[1, 2, 3], [1, 3, 2]])
    occ = explore.occurrences(db, [1, 3])
    assert occ["positions"].tolist() == [[0, 2], [0, 1]]
    import pyarrow as pa
    table = pa.Table.from_pandas(frame, preserve_index=False)
    from seqmine.data.build import build_database
    tdb = build_database(table, "user_id", "item_id", "timestamp", "event")
    occ = explore.occurrences(tdb, [1, 3])
    assert occ["sequence_id"].tolist() == [7, 9]
    assert occ["start_time"].tolist() == [pd.Timestamp("2024-01-01"),
                                          pd.Timestamp("2024-02-01")]
    assert occ["end_time"].tolist() == [pd.Timestamp("2024-01-05"),
                                        pd.Timestamp("2024-02-03")]
    near = explore.occurrences(tdb, [1, 3], max_span=dt.timedelta(days=3))
    assert near["sequence_id"].tolist() == [9]
    assert len(explore.occurrences(tdb, [1, 42])) == 0


def test_unknown_items_have_zero_support():
    db = seqmine.SequenceDatabase.from_sequences(TINY)
    assert explore.support(db, [[1, 3], [1, 99], [(2, 3)], [99]]).tolist() == [4, 0, 1, 0]


def test_selection_by_items():
    db = seqmine.SequenceDatabase.from_sequences(TINY)
    pats = seqmine.mine(db, 1)
    all_p = pats.as_dict()
    got = explore.containing(pats, [1, 3]).as_dict()
    assert got == {p: s for p, s in all_p.items() if {1, 3} <= {i for e in p for i in e}}
    got = explore.starting_with(pats, 1).as_dict()
    assert got == {p: s for p, s in all_p.items() if 1 in p[0]}
    got = explore.starting_with(pats, [1, 3]).as_dict()
    assert got == {p: s for p, s in all_p.items()
                   if len(p) >= 2 and 1 in p[0] and 3 in p[1]}
    got = explore.ending_with(pats, [(2, 3)]).as_dict()
    assert got == {p: s for p, s in all_p.items() if {2, 3} <= set(p[-1])}
    assert len(explore.starting_with(pats, 42)) == 0


@given(seqs=strategies.databases(max_sequences=6, max_events=5, max_items=4),
       history=strategies.sequences(max_events=5, max_items=4, max_itemset_size=2))
@settings(max_examples=40)
def test_matching_patterns_of_a_history(seqs, history):
    pats = seqmine.mine(strategies.to_db(seqs), 1, max_length=3)
    got = explore.matching(pats, history).as_dict()
    want = {p: s for p, s in pats.as_dict().items() if brute_force.contains(history, p)}
    assert got == want
    at_end = explore.matching(pats, history, at_end=True).as_dict()
    n = len(history)
    want_end = {p: s for p, s in want.items()
                if set(p[-1]) <= set(history[-1])
                and brute_force.contains(history[:n - 1], p[:-1])}
    assert at_end == want_end


@given(seqs=strategies.databases(max_sequences=6, max_events=5, max_items=4),
       history=strategies.sequences(max_events=5, max_items=4, max_itemset_size=2),
       last=st.sampled_from([None, 1, 2]))
@settings(max_examples=40)
def test_firing_rules(seqs, history, last):
    db = strategies.to_db(seqs)
    rs = rules(seqmine.mine(db, 1, max_length=3), 0.0, kind="sequential")
    got = {rs_key for rs_key in explore.firing_rules(rs, history, last=last)}
    n = len(history)
    lo = 0 if last is None else max(0, n - last)
    want = set()
    for key in rs:
        ant = key[0]
        for end in range(n - 1, lo - 1, -1):
            if set(ant[-1]) <= set(history[end]) and brute_force.contains(history[:end],
                                                                          ant[:-1]):
                want.add(key)
                break
    assert got == want
    po = rules(db, 0.0, kind="partially-ordered", minsup=1)
    window = history[lo:]
    present = {i for e in window for i in e}
    got = set(explore.firing_rules(po, history, last=last))
    assert got == {key for key in po if set(key[0][0]) <= present}


def test_firing_rules_of_a_recommender_and_errors():
    db = seqmine.SequenceDatabase.from_sequences([[1, 2, 3], [1, 3], [2, 3, 1]])
    rec = RuleRecommender().fit(db)
    table = explore.firing_rules(rec, [1, 2])
    # antecedent 2 reaches 3 and 1, antecedent 1 reaches 2 and 3
    assert set(table["item_id"]) == {1, 2, 3}
    assert (table["contribution"] > 0).all()
    with pytest.raises(InputError, match="RuleSet or a RuleRecommender"):
        explore.firing_rules("rules", [1])
    with pytest.raises(InputError, match="last"):
        explore.firing_rules(rules(db, 0.0, minsup=1), [1], last=0)
    with pytest.raises(InputError, match="at_end"):
        explore.matching(seqmine.mine(db, 1), [1, 2], at_end=True, max_gap=1)
    with pytest.raises(InputError, match="SequenceDatabase"):
        explore.support([[1]], [[1]])


def test_support_of_a_patternset_recounts_it():
    rng = np.random.default_rng(0)
    seqs = [[int(x) for x in rng.integers(1, 8, rng.integers(2, 8))] for _ in range(60)]
    db = seqmine.SequenceDatabase.from_sequences(seqs)
    pats = seqmine.mine(db, 3)
    assert np.array_equal(explore.support(db, pats), pats.support)
    tight = seqmine.mine(db, 1, max_gap=1)
    recount = explore.support(db, pats, max_gap=1)
    lookup = tight.as_dict()
    assert recount.tolist() == [lookup.get(p, 0) for p, _ in pats]
