"""GSP beyond the contract suite: the brute-force judge on generated databases (itemsets,
times, constraints), join and prune units (the contiguous prune under max_gap), embeddings
the leftmost match misses, n_jobs determinism, budgets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqmine import BudgetExceededError, SequenceDatabase, mine
from seqmine._kernels import gsp as kgsp
from seqmine._kernels import patterns as kpatterns
from tests import strategies
from tests.reference import brute_force


def judge(seqs, min_count, **constraints):
    events = [[e if isinstance(e, tuple) else (e,) for e in seq] for seq in seqs]
    return brute_force.frequent_patterns(events, min_count, **constraints)


def run(seqs, min_count, times=None, **options):
    db = SequenceDatabase.from_sequences(seqs, times)
    return mine(db, min_count, algorithm="gsp", **options).as_dict()


def tokens(*pattern):
    """Token row of a pattern of item codes: 2 * item + (1 if it opens an itemset)."""
    row = []
    for itemset in pattern:
        for k, x in enumerate(itemset):
            row.append(2 * x + (1 if k == 0 else 0))
    return row


@settings(max_examples=25)
@given(seqs=strategies.databases(max_sequences=8, max_events=5, max_items=5,
                                  max_itemset_size=2),
       min_count=strategies.minsups(3))
def test_itemset_databases_match_brute_force(seqs, min_count):
    assert run(seqs, min_count) == brute_force.frequent_patterns(seqs, min_count)


@settings(max_examples=25)
@given(data=strategies.databases(max_sequences=8, max_events=6, max_items=4,
                                 with_times=True),
       min_count=strategies.minsups(3), options=strategies.constraints(max_items=4),
       use_times=st.booleans())
def test_constraints_match_brute_force(data, min_count, options, use_times):
    seqs, times = data
    run_options = {**options, "gap_unit": "time"} if use_times else options
    got = run(seqs, min_count, times if use_times else None, **run_options)
    assert got == brute_force.frequent_patterns(seqs, min_count,
                                                times=times if use_times else None, **options)


def test_join_level_one_makes_sequences_and_itemsets():
    level = np.array([[1], [3]], np.int32)  # <0>, <1>
    cand = kgsp.join(level, True, 10)
    assert cand.tolist() == [[1, 1], [1, 2], [1, 3], [3, 1], [3, 3]]
    assert kgsp.join(level, False, 10).tolist() == [[1, 1], [1, 3], [3, 1], [3, 3]]
    assert kgsp.join(level, True, 1).tolist() == [[1, 2]]  # max_size 1: itemsets only


def test_join_matches_suffix_with_prefix():
    level = np.array(sorted([tokens([0], [1]), tokens([1], [2]), tokens([1, 2]),
                             tokens([2], [0])]), np.int32)
    cand = kgsp.join(level, True, 10)
    got = {tuple(r) for r in cand.tolist()}
    assert got == {tuple(tokens([0], [1], [2])), tuple(tokens([0], [1, 2])),
                   tuple(tokens([1], [2], [0])), tuple(tokens([1, 2], [0])),
                   tuple(tokens([2], [0], [1]))}
    assert cand.tolist() == sorted(cand.tolist())


def test_prune_checks_inner_deletions_and_only_contiguous_ones_under_max_gap():
    # frequent 2-patterns: <0 1>, <1 2> but not <0 2>
    level = np.array(sorted([tokens([0], [1]), tokens([1], [2])]), np.int32)
    cand = np.array([tokens([0], [1], [2])], np.int32)
    assert kgsp.prune(cand, level, False).tolist() == [False]  # needs <0 2>
    assert kgsp.prune(cand, level, True).tolist() == [True]    # <0 2> is not contiguous
    # <{0,1} 2>: deleting 1 from the 2-item itemset gives <0 2>, contiguous: pruned
    cand = np.array([tokens([0, 1], [2])], np.int32)
    level = np.array(sorted([tokens([0, 1]), tokens([1], [2])]), np.int32)
    assert kgsp.prune(cand, level, True).tolist() == [False]


def test_max_gap_keeps_patterns_with_an_infrequent_subsequence():
    seqs = [[1, 2, 3], [1, 2, 3], [1, 3]]
    got = run(seqs, 2, max_gap=1)
    assert got[((1,), (2,), (3,))] == 2
    assert ((1,), (3,)) not in got
    assert got == judge(seqs, 2, max_gap=1)


def test_max_gap_uses_a_later_embedding():
    seqs = [[1, 9, 2, 1, 2], [1, 2]]
    got = run(seqs, 2, max_gap=1)
    assert got[((1,), (2,))] == 2
    assert got == judge(seqs, 2, max_gap=1)


def test_max_span_uses_the_latest_start():
    assert run([[1, 1, 2], [1, 2]], 2, max_span=1)[((1,), (2,))] == 2
    assert ((1,), (2,)) not in run([[1, 9, 2], [1, 2]], 2, max_span=1)


def test_itemset_extension_needs_a_later_end():
    assert run([[1, 5, (1, 2)], [3, (1, 2)]], 2)[((1, 2),)] == 2


def test_time_window_with_equal_timestamps():
    seqs = [[1, 2, 3], [1, 2, 3]]
    times = [[0, 0, 4], [0, 2, 2]]
    for options in ({"max_gap": 2}, {"min_gap": 0, "max_span": 2}, {"min_gap": 2}):
        got = run(seqs, 2, times, gap_unit="time", **options)
        assert got == judge(seqs, 2, times=times, **options)


def _random_db(seed, n=300, n_items=12, itemsets=True):
    rng = np.random.default_rng(seed)
    seqs = []
    for _ in range(n):
        events = []
        for _ in range(rng.integers(1, 9)):
            k = int(rng.integers(1, 3)) if itemsets else 1
            events.append(tuple(rng.choice(n_items, size=k, replace=False).tolist()))
        seqs.append(events)
    return SequenceDatabase.from_sequences(seqs)


@pytest.mark.parametrize("kwargs", [{}, {"max_gap": 2}, {"max_span": 3, "min_gap": 1}])
def test_output_identical_for_any_n_jobs_and_equal_to_prefixspan(kwargs):
    db = _random_db(0)
    one = mine(db, 15, algorithm="gsp", n_jobs=1, **kwargs)
    assert mine(db, 15, algorithm="gsp", n_jobs=3, **kwargs) == one
    assert mine(db, 15, algorithm="prefixspan", **kwargs) == one
    assert len(one) > 50
    order = kpatterns.canonical_order(one.support, one.pat_ptr, one.pset_ptr, one.pitems)
    assert np.array_equal(order, np.arange(len(one)))


def test_pattern_budget_stops_with_remedies_and_partial():
    db = _random_db(2)
    full = mine(db, 10, algorithm="gsp")
    with pytest.raises(BudgetExceededError, match="raise minsup") as info:
        mine(db, 10, algorithm="gsp", max_patterns=25, return_partial=True)
    partial = info.value.partial
    assert len(partial) == 25
    assert set(partial.as_dict().items()) <= set(full.as_dict().items())


def test_memory_budget_stops_cleanly():
    db = _random_db(3, n=3000, n_items=40)
    with pytest.raises(BudgetExceededError, match="memory budget") as info:
        mine(db, 2, algorithm="gsp", max_memory=1 << 20, return_partial=True)
    assert len(info.value.partial) > 0  # the levels completed before the stop


def test_must_contain_exclude_length_and_size():
    seqs = [[1, (2, 3), 4, 5]] * 3 + [[1, 2, 3]]
    for options in ({"must_contain": (3,)}, {"exclude": (1,)}, {"max_length": 2},
                    {"max_size": 2}, {"must_contain": (1, 5), "max_size": 3}):
        assert run(seqs, 3, **options) == judge(seqs, 3, **options)
    assert run(seqs, 2, must_contain=[42]) == {}
