"""SPADE and SPAM beyond the contract suite: the brute-force judge on generated databases
(itemsets, times, constraints), embeddings the leftmost match misses, the max_gap case where
apriori on siblings fails, n_jobs determinism, budgets, refused options, kernel units."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqmine import BudgetExceededError, InputError, SequenceDatabase, mine
from seqmine._kernels import bitset, projection, vertical
from seqmine._kernels import patterns as kpatterns
from seqmine.mining.prepare import prepare
from seqmine.options import Constraints
from tests import strategies
from tests.reference import brute_force

VERTICAL = ["spade", "spam"]


def judge(seqs, min_count, **constraints):
    events = [[e if isinstance(e, tuple) else (e,) for e in seq] for seq in seqs]
    return brute_force.frequent_patterns(events, min_count, **constraints)


def run(algorithm, seqs, min_count, times=None, **options):
    db = SequenceDatabase.from_sequences(seqs, times)
    return mine(db, min_count, algorithm=algorithm, **options).as_dict()


@pytest.mark.parametrize("algorithm", VERTICAL)
@settings(max_examples=25)
@given(seqs=strategies.databases(max_sequences=8, max_events=5, max_items=5,
                                  max_itemset_size=2),
       min_count=strategies.minsups(3))
def test_itemset_databases_match_brute_force(algorithm, seqs, min_count):
    assert run(algorithm, seqs, min_count) == brute_force.frequent_patterns(seqs, min_count)


@pytest.mark.parametrize("algorithm", VERTICAL)
@settings(max_examples=25)
@given(data=strategies.databases(max_sequences=8, max_events=6, max_items=4,
                                 with_times=True),
       min_count=strategies.minsups(3), options=strategies.constraints(max_items=4),
       use_times=st.booleans())
def test_constraints_match_brute_force(algorithm, data, min_count, options, use_times):
    seqs, times = data
    if algorithm == "spam":
        options.pop("max_span", None)
    run_options = {**options, "gap_unit": "time"} if use_times else options
    got = run(algorithm, seqs, min_count, times if use_times else None, **run_options)
    assert got == brute_force.frequent_patterns(seqs, min_count,
                                                times=times if use_times else None, **options)


@pytest.mark.parametrize("algorithm", VERTICAL)
def test_itemset_extension_needs_a_later_end(algorithm):
    seqs = [[1, 5, (1, 2)], [3, (1, 2)]]
    assert run(algorithm, seqs, 2)[((1, 2),)] == 2


@pytest.mark.parametrize("algorithm", VERTICAL)
def test_max_gap_uses_a_later_embedding(algorithm):
    # leftmost <1 2> in sequence 0 has gap 2; the later 1 -> 2 has gap 1
    seqs = [[1, 9, 2, 1, 2], [1, 2]]
    got = run(algorithm, seqs, 2, max_gap=1)
    assert got[((1,), (2,))] == 2
    assert got == judge(seqs, 2, max_gap=1)


@pytest.mark.parametrize("algorithm", VERTICAL)
def test_max_gap_keeps_patterns_with_an_infrequent_sibling(algorithm):
    # <1 2 3> holds with gaps 1, but <1 3> has gap 2: apriori on siblings would lose <1 2 3>
    seqs = [[1, 2, 3], [1, 2, 3], [1, 3]]
    got = run(algorithm, seqs, 2, max_gap=1)
    assert got[((1,), (2,), (3,))] == 2
    assert ((1,), (3,)) not in got
    assert got == judge(seqs, 2, max_gap=1)


def test_spade_max_span_uses_the_latest_start():
    seqs = [[1, 1, 2], [1, 2]]
    assert run("spade", seqs, 2, max_span=1)[((1,), (2,))] == 2
    assert ((1,), (2,)) not in run("spade", [[1, 9, 2], [1, 2]], 2, max_span=1)


@pytest.mark.parametrize("algorithm", VERTICAL)
def test_min_gap_in_time_units(algorithm):
    seqs = [[1, 2, 3], [1, 2, 3]]
    times = [[0, 1, 5], [0, 4, 5]]
    got = run(algorithm, seqs, 2, times, min_gap=3, gap_unit="time")
    assert got == judge(seqs, 2, min_gap=3, times=times)
    assert ((1,), (3,)) in got
    assert ((1,), (2,)) not in got


def test_spam_refuses_max_span_by_name():
    db = SequenceDatabase.from_sequences([[1, 2], [1, 2]])
    with pytest.raises(InputError, match="max_span"):
        mine(db, 1, algorithm="spam", max_span=2)


def _random_db(seed, n=300, n_items=12, itemsets=True, max_events=9):
    rng = np.random.default_rng(seed)
    seqs = []
    for _ in range(n):
        events = []
        for _ in range(rng.integers(1, max_events)):
            k = int(rng.integers(1, 3)) if itemsets else 1
            events.append(tuple(rng.choice(n_items, size=k, replace=False).tolist()))
        seqs.append(events)
    return SequenceDatabase.from_sequences(seqs)


@pytest.mark.parametrize("algorithm", VERTICAL)
@pytest.mark.parametrize("kwargs", [{}, {"max_gap": 2}, {"min_gap": 2, "max_length": 4}])
def test_output_identical_for_any_n_jobs_and_equal_to_prefixspan(algorithm, kwargs):
    db = _random_db(0)
    one = mine(db, 15, algorithm=algorithm, n_jobs=1, **kwargs)
    assert mine(db, 15, algorithm=algorithm, n_jobs=3, **kwargs) == one
    assert mine(db, 15, algorithm="prefixspan", **kwargs) == one
    assert len(one) > 50


@pytest.mark.parametrize("algorithm", VERTICAL)
def test_long_sequences_span_several_words(algorithm):
    rng = np.random.default_rng(5)
    seqs = [rng.integers(0, 6, size=int(rng.integers(60, 150))).tolist() for _ in range(40)]
    db = SequenceDatabase.from_sequences(seqs)
    for kwargs in ({"max_length": 3}, {"max_gap": 3, "max_length": 4}):
        assert mine(db, 30, algorithm=algorithm, **kwargs) == mine(db, 30, **kwargs)


@pytest.mark.parametrize("algorithm", VERTICAL)
def test_output_is_canonically_ordered(algorithm):
    ps = mine(_random_db(1), 20, algorithm=algorithm)
    order = kpatterns.canonical_order(ps.support, ps.pat_ptr, ps.pset_ptr, ps.pitems)
    assert np.array_equal(order, np.arange(len(ps)))
    assert ps.options["algorithm"] == algorithm


@pytest.mark.parametrize("algorithm", VERTICAL)
def test_pattern_budget_stops_with_remedies_and_partial(algorithm):
    db = _random_db(2)
    full = mine(db, 10, algorithm=algorithm)
    with pytest.raises(BudgetExceededError, match="raise minsup") as info:
        mine(db, 10, algorithm=algorithm, max_patterns=25, return_partial=True)
    partial = info.value.partial
    assert len(partial) == 25
    assert set(partial.as_dict().items()) <= set(full.as_dict().items())
    with pytest.raises(BudgetExceededError):
        mine(db, 10, algorithm=algorithm, max_patterns=25, n_jobs=2)


@pytest.mark.parametrize("algorithm", VERTICAL)
def test_memory_budget_stops_cleanly(algorithm):
    db = _random_db(3, n=3000)
    with pytest.raises(BudgetExceededError, match="memory budget"):
        mine(db, 2, algorithm=algorithm, max_memory=1 << 20)


@pytest.mark.parametrize("algorithm", VERTICAL)
def test_must_contain_exclude_and_nothing_frequent(algorithm):
    seqs = [[1, 2, 3], [1, 3], [2, 3], [1, 2]]
    assert run(algorithm, seqs, 2, must_contain=[3]) == judge(seqs, 2, must_contain=(3,))
    assert run(algorithm, seqs, 2, exclude=[1]) == judge(seqs, 2, exclude=(1,))
    assert run(algorithm, seqs, 2, must_contain=[42]) == {}
    assert run(algorithm, [[1], [2]], 2) == {}


# --- kernel units ---------------------------------------------------------------------------
def test_cooccurrence_rows_match_a_direct_count():
    seqs = [[1, (2, 3), 1, 4], [(1, 3), 2], [2, 1, (3, 4)]]
    p = prepare(SequenceDatabase.from_sequences(seqs), 1, Constraints())
    idx = projection.inverted_index(p.seq_ptr, p.evt_ptr, p.items, p.n_items)
    assert list(p.original_code) == [0, 1, 2, 3]  # items 1..4 have codes 0..3

    def rows(min_count):
        s_ptr, s_y, i_ptr, i_y = vertical.cooccurrence_rows(
            p.seq_ptr, p.evt_ptr, p.items, p.n_items, *idx, 0, p.n_items, min_count, True)
        return ({x + 1: [int(y) + 1 for y in s_y[s_ptr[x]:s_ptr[x + 1]]] for x in range(4)},
                {x + 1: [int(y) + 1 for y in i_y[i_ptr[x]:i_ptr[x + 1]]] for x in range(4)})

    # y in a later event than some x in >= 2 sequences; y > x in one event with x
    assert rows(2) == ({1: [2, 3, 4], 2: [1, 4], 3: [], 4: []},
                       {1: [], 2: [], 3: [], 4: []})
    assert rows(1) == ({1: [1, 2, 3, 4], 2: [1, 3, 4], 3: [1, 2, 4], 4: []},
                       {1: [3], 2: [3], 3: [4], 4: []})


def test_seek_gallops_to_the_first_not_smaller():
    arr = np.array([1, 3, 3, 5, 8, 13, 21, 34], np.int32)
    for lo in range(len(arr) + 1):
        for target in range(0, 40):
            expect = lo + int(np.searchsorted(arr[lo:], target, side="left"))
            assert vertical.seek(arr, lo, len(arr), target) == expect


def test_after_first_sets_every_later_bit():
    src = np.zeros(3, np.uint64)
    dst = np.zeros(3, np.uint64)
    bitset.set_bit(src, 0, 70)
    bitset.set_bit(src, 0, 100)
    assert bitset.after_first(src, 0, dst, 0, 3)
    bits = [j for j in range(192) if bitset.has_bit(dst, 0, j)]
    assert bits == list(range(71, 192))
    bitset.set_bit(src, 0, 63)
    bitset.after_first(src, 0, dst, 0, 3)
    assert [j for j in range(192) if bitset.has_bit(dst, 0, j)] == list(range(64, 192))
    assert not bitset.after_first(np.zeros(2, np.uint64), 0, dst, 0, 2)


def test_item_bitmaps_mark_each_occurrence():
    seqs = [[1, 2, 1], [2], [1] * 70]
    p = prepare(SequenceDatabase.from_sequences(seqs), 1, Constraints())
    idx = projection.inverted_index(p.seq_ptr, p.evt_ptr, p.items, p.n_items)
    n_words = bitset.words_per_sequence(p.seq_ptr)
    assert n_words.tolist() == [1, 1, 2]
    ptr, sid, wofs, words = bitset.item_bitmaps(p.seq_ptr, p.n_items, *idx, n_words)
    item1 = range(ptr[0], ptr[1])
    assert [int(sid[k]) for k in item1] == [0, 2]
    assert [j for j in range(3) if bitset.has_bit(words, wofs[ptr[0]], j)] == [0, 2]
    assert bitset.popcount(words, wofs[ptr[0] + 1], 2) == 70
