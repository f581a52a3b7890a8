"""Tests of the judge itself: hand-worked examples, then cross-checks against a second,
independent route (trying every position tuple per candidate pattern)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests import strategies
from tests.reference import brute_force as bf
from tests.reference.brute_force import closed, frequent_patterns, maximal, top_k


def P(*itemsets):  # noqa: N802 - reads like the pattern notation <{..} {..}>
    """P([1], [2, 3]) is the pattern <{1} {2,3}>."""
    return tuple(tuple(sorted(a)) for a in itemsets)


# --- containment and support, worked by hand -----------------------------------------------------
def test_every_pattern_of_three_small_sequences():
    db = [[[1], [2]], [[2], [1]], [[1, 2]]]
    assert frequent_patterns(db, 1) == {
        P([1]): 3, P([2]): 3, P([1], [2]): 1, P([2], [1]): 1, P([1, 2]): 1}
    assert frequent_patterns(db, 2) == {P([1]): 3, P([2]): 3}
    assert frequent_patterns(db, 4) == {}


def test_itemset_containment_needs_one_event():
    # {1,2} is not contained in <{1} {2}>, and <{1} {2}> is not contained in <{1,2}>.
    assert frequent_patterns([[[1], [2]]], 1) == {P([1]): 1, P([2]): 1, P([1], [2]): 1}
    assert frequent_patterns([[[2, 1]]], 1) == {P([1]): 1, P([2]): 1, P([1, 2]): 1}
    # A subset of a larger event matches it: <{1,3}> in <{1,2,3}>.
    assert frequent_patterns([[[1, 2, 3]], [[3, 1]]], 2) == {P([1]): 2, P([3]): 2, P([1, 3]): 2}


def test_a_sequence_counts_once_however_often_it_contains_the_pattern():
    assert frequent_patterns([[[1], [1], [1]]], 1) == {
        P([1]): 1, P([1], [1]): 1, P([1], [1], [1]): 1}
    db = [[[7], [7], [8]], [[8], [7]]]
    assert frequent_patterns(db, 1) == {
        P([7]): 2, P([8]): 2, P([7], [7]): 1, P([7], [8]): 1, P([7], [7], [8]): 1,
        P([8], [7]): 1}


def test_string_items_and_duplicate_items_in_an_event():
    got = frequent_patterns([[["b", "a", "a"], ["c"]]], 1)
    assert got == {P(["a"]): 1, P(["b"]): 1, P(["c"]): 1, P(["a", "b"]): 1, P(["a"], ["c"]): 1,
                   P(["b"], ["c"]): 1, P(["a", "b"], ["c"]): 1}


def test_max_length_and_max_size():
    db = [[[1, 2], [3]]]
    everything = {P([1]): 1, P([2]): 1, P([1, 2]): 1, P([3]): 1, P([1], [3]): 1,
                  P([2], [3]): 1, P([1, 2], [3]): 1}
    assert frequent_patterns(db, 1) == everything
    assert frequent_patterns(db, 1, max_length=2) == {
        p: n for p, n in everything.items() if p != P([1, 2], [3])}
    assert frequent_patterns(db, 1, max_length=1) == {P([1]): 1, P([2]): 1, P([3]): 1}
    assert frequent_patterns(db, 1, max_size=1) == {
        P([1]): 1, P([2]): 1, P([1, 2]): 1, P([3]): 1}


def test_max_gap_uses_a_later_embedding_when_the_leftmost_fails():
    # <1 2> in <1 3 1 2>: leftmost 1 (position 0) is 3 away from the 2; the second 1 is 1 away.
    db = [[[1], [3], [1], [2]]]
    assert frequent_patterns(db, 1, max_gap=1)[P([1], [2])] == 1
    # <3 2> is 2 positions apart in its only embedding.
    assert P([3], [2]) not in frequent_patterns(db, 1, max_gap=1)
    assert frequent_patterns(db, 1, max_gap=2)[P([3], [2])] == 1


def test_min_gap_uses_a_later_embedding_when_the_leftmost_fails():
    # <1 2> in <1 2 3 2>: the first 2 is at gap 1, the second at gap 3.
    db = [[[1], [2], [3], [2]]]
    got = frequent_patterns(db, 1, min_gap=2)
    assert got[P([1], [2])] == 1
    assert P([2], [3]) not in got  # gap 1 only
    assert P([1], [2], [3]) not in got  # would need 2 at position 1
    assert got == {P([1]): 1, P([2]): 1, P([3]): 1, P([1], [2]): 1, P([1], [3]): 1,
                   P([2], [2]): 1}


def test_max_span_uses_a_later_embedding_when_the_leftmost_fails():
    # <1 3> in <1 2 1 3>: from position 0 the span is 3, from position 2 it is 1.
    db = [[[1], [2], [1], [3]]]
    assert frequent_patterns(db, 1, max_span=1)[P([1], [3])] == 1
    assert P([1], [2], [3]) not in frequent_patterns(db, 1, max_span=2)
    assert frequent_patterns(db, 1, max_span=3)[P([1], [2], [3])] == 1
    # A one-itemset pattern has span 0, so max_span=0 keeps exactly those.
    assert frequent_patterns(db, 1, max_span=0) == {P([1]): 1, P([2]): 1, P([3]): 1}


def test_all_constraints_must_hold_on_the_same_embedding():
    # Two embeddings of <1 2 3>: the first has gaps (2, 2) but span 4, the second has span 3 but
    # a gap of 3; mixed ones have gaps of 6 or more. Each constraint alone is met by one of them.
    seq = [[1], [2], [3], [1], [2], [3]]
    times = [[0, 2, 4, 10, 10, 13]]
    pattern = P([1], [2], [3])
    assert frequent_patterns([seq], 1, times=times, max_gap=2)[pattern] == 1
    assert frequent_patterns([seq], 1, times=times, max_span=3)[pattern] == 1
    assert pattern not in frequent_patterns([seq], 1, times=times, max_gap=2, max_span=3)
    # min_gap and max_gap together: only 1@0 then 2@2 has a gap of exactly 2.
    got = frequent_patterns([[[1], [1], [2]]], 1, min_gap=2, max_gap=2)
    assert got == {P([1]): 1, P([2]): 1, P([1], [2]): 1}


def test_times_replace_positions_as_coordinates():
    seq = [[1], [2], [3]]
    # Positions: gaps 1 and 1. Times 0, 5, 5: gaps 5 and 0.
    assert frequent_patterns([seq], 1, max_gap=1)[P([1], [2], [3])] == 1
    with_times = frequent_patterns([seq], 1, times=[[0, 5, 5]], max_gap=1)
    assert with_times == {P([1]): 1, P([2]): 1, P([3]): 1, P([2], [3]): 1}
    # Equal times are a gap of 0: min_gap=1 forbids matching them as consecutive events.
    assert P([2], [3]) not in frequent_patterns([seq], 1, times=[[0, 5, 5]], min_gap=1)
    assert frequent_patterns([seq], 1, times=[[0, 5, 5]], min_gap=1)[P([1], [3])] == 1


def test_must_contain_and_exclude():
    db = [[[1], [2], [3]]]
    assert frequent_patterns(db, 1, must_contain=[2]) == {
        P([2]): 1, P([1], [2]): 1, P([2], [3]): 1, P([1], [2], [3]): 1}
    assert frequent_patterns(db, 1, must_contain=[1, 3]) == {
        P([1], [3]): 1, P([1], [2], [3]): 1}
    assert frequent_patterns(db, 1, exclude=[2]) == {P([1]): 1, P([3]): 1, P([1], [3]): 1}
    # Excluding an item of an event still lets the rest of the event match.
    assert frequent_patterns([[[1, 2]]], 1, exclude=[2]) == {P([1]): 1}
    assert frequent_patterns(db, 1, must_contain=[2], exclude=[2]) == {}
    assert frequent_patterns(db, 1, must_contain=[9]) == {}


def test_min_count_above_an_item_support_drops_that_item_everywhere():
    db = [[[1], [2]], [[1], [2]], [[1], [3], [2]]]
    assert frequent_patterns(db, 3) == {P([1]): 3, P([2]): 3, P([1], [2]): 3}
    assert frequent_patterns(db, 2) == {P([1]): 3, P([2]): 3, P([1], [2]): 3}
    assert frequent_patterns(db, 1)[P([1], [3], [2])] == 1


@pytest.mark.parametrize("kwargs", [
    {"min_count": 0}, {"min_count": 1.5}, {"min_count": True}, {"min_count": 1, "max_gap": -1},
    {"min_count": 1, "max_length": 0}, {"min_count": 1, "max_span": 1.0},
])
def test_invalid_arguments_are_rejected(kwargs):
    with pytest.raises(ValueError, match=next(iter(k for k in kwargs if k != "min_count"),
                                              "min_count")):
        frequent_patterns([[[1]]], **kwargs)


def test_invalid_databases_are_rejected():
    with pytest.raises(ValueError, match="empty itemset"):
        frequent_patterns([[[1], []]], 1)
    with pytest.raises(ValueError, match="non-decreasing"):
        frequent_patterns([[[1], [2]]], 1, times=[[3, 2]])
    with pytest.raises(ValueError, match="2 times for 1 events"):
        frequent_patterns([[[1]]], 1, times=[[3, 4]])


def test_contains_and_support_directly():
    seq = [[1], [3], [1], [2]]
    assert bf.contains(seq, P([1], [2]))
    assert not bf.contains(seq, P([2], [1]))
    assert bf.contains(seq, P([1], [2]), max_gap=1)
    assert not bf.contains(seq, P([1], [3], [2]), max_gap=1)
    assert bf.contains(seq, P([1], [3], [2]), max_gap=2)
    assert bf.contains(seq, P([1], [2]), times=[0, 1, 7, 9], max_gap=2)
    assert not bf.contains(seq, P([1], [2]), times=[0, 1, 6, 9], max_gap=2)
    assert bf.support([seq, [[2], [1]], [[1, 2]]], P([1], [2])) == 1
    assert bf.support([seq, [[2], [1]], [[1, 2]]], P([1])) == 3


# --- sub-patterns, closed, maximal, top-k ---------------------------------------------------------
@pytest.mark.parametrize(("p", "q", "expected"), [
    (P([1], [2]), P([1, 3], [2]), True),
    (P([1], [2]), P([0], [1], [5], [2, 4]), True),
    (P([1, 2]), P([1], [2]), False),
    (P([2], [1]), P([1], [2]), False),
    (P([1], [1]), P([1]), False),
    (P([1], [1]), P([1, 2], [1]), True),
    (P([1], [2]), P([1], [2]), True),
    (P([1, 3]), P([1, 2, 3]), True),
    (P([1], [2]), P([1, 2]), False),
    ((), P([1]), True),
])
def test_is_subpattern(p, q, expected):
    assert bf.is_subpattern(p, q) is expected


def test_closed_maximal_top_k_by_hand():
    db = [[[1], [2]], [[1], [2]], [[1]]]
    patterns = frequent_patterns(db, 1)
    assert patterns == {P([1]): 3, P([2]): 2, P([1], [2]): 2}
    assert closed(patterns) == {P([1]): 3, P([1], [2]): 2}
    assert maximal(patterns) == {P([1], [2]): 2}
    assert top_k(patterns, 1) == {P([1]): 3}
    assert top_k(patterns, 2) == patterns  # (2) and <1 2> tie at the 2nd support
    assert top_k(patterns, 50) == patterns


def test_closed_and_maximal_with_itemsets_by_hand():
    db = [[[1, 2]], [[1, 2], [3]], [[1]]]
    patterns = frequent_patterns(db, 1)
    assert patterns == {P([1]): 3, P([2]): 2, P([1, 2]): 2, P([3]): 1, P([1], [3]): 1,
                        P([2], [3]): 1, P([1, 2], [3]): 1}
    assert closed(patterns) == {P([1]): 3, P([1, 2]): 2, P([1, 2], [3]): 1}
    assert maximal(patterns) == {P([1, 2], [3]): 1}
    frequent = frequent_patterns(db, 2)
    assert closed(frequent) == {P([1]): 3, P([1, 2]): 2}
    assert maximal(frequent) == {P([1, 2]): 2}
    assert top_k(patterns, 3) == {P([1]): 3, P([2]): 2, P([1, 2]): 2}


def test_closed_and_maximal_of_a_constrained_family():
    # Under max_gap=1, <1 3> is absent while its super-pattern <1 2 3> is present: the family
    # is not downward closed, so the definition (pairwise comparison) must be used.
    patterns = frequent_patterns([[[1], [2], [3]]], 1, max_gap=1)
    assert P([1], [3]) not in patterns
    assert maximal(patterns) == {P([1], [2], [3]): 1}
    assert closed(patterns) == {P([1], [2], [3]): 1}
    # Supports that rise from a sub-pattern to its super-pattern: {3} has support 2 but <1 3>
    # has support 1; <1> (support 3) is closed, <3> is not a sub-pattern of anything of support 2.
    family = {P([1]): 3, P([3]): 2, P([1], [3]): 1, P([1], [2], [3]): 2}
    assert closed(family) == {P([1]): 3, P([1], [2], [3]): 2, P([1], [3]): 1}
    assert maximal(family) == {P([1], [2], [3]): 2}


def test_top_k_rejects_bad_k():
    with pytest.raises(ValueError, match="k must be"):
        top_k({P([1]): 1}, 0)


def test_frequent_itemsets_by_hand():
    transactions = [{1, 2, 3}, {1, 2}, {2, 3}]
    assert bf.frequent_itemsets(transactions, 2) == {
        frozenset({1}): 2, frozenset({2}): 3, frozenset({3}): 2, frozenset({1, 2}): 2,
        frozenset({2, 3}): 2}
    assert bf.frequent_itemsets(transactions, 1)[frozenset({1, 2, 3})] == 1
    assert bf.frequent_itemsets(transactions, 1, max_len=1) == {
        frozenset({1}): 2, frozenset({2}): 3, frozenset({3}): 2}
    assert bf.frequent_itemsets([["a", "a", "b"]], 1) == {
        frozenset({"a"}): 1, frozenset({"b"}): 1, frozenset({"a", "b"}): 1}


# --- cross-checks against the second route --------------------------------------------------------
SMALL = {"max_sequences": 5, "max_events": 4, "max_items": 4, "max_itemset_size": 2}


def _one_item_extensions(p, items):
    """Every pattern with one item more than p (a new singleton anywhere, or an item added)."""
    out = set()
    for x in items:
        for i in range(len(p) + 1):
            out.add((*p[:i], (x,), *p[i:]))
        for i, a in enumerate(p):
            if x not in a:
                out.add((*p[:i], tuple(sorted((*a, x))), *p[i + 1:]))
    return out


@given(db=strategies.databases(**SMALL), min_count=strategies.minsups(3))
def test_unconstrained_result_is_sound_and_complete(db, min_count):
    got = frequent_patterns(db, min_count)
    items = sorted({x for seq in db for event in seq for x in event})
    # Sound: each support recounted by trying every position tuple.
    for p, n in got.items():
        assert n == bf.support(db, p) >= min_count
    # Complete: frequent patterns are downward closed, so a missing one would be a singleton
    # or a one-item extension of a present one.
    candidates = {((x,),) for x in items}.union(
        *(_one_item_extensions(p, items) for p in got))
    for q in candidates - got.keys():
        assert bf.support(db, q) < min_count


@given(drawn=strategies.databases(**SMALL, with_times=True), min_count=strategies.minsups(2),
       use_times=st.booleans(), options=strategies.constraints(max_items=4))
def test_constrained_result_is_the_filtered_recount_of_the_unconstrained_one(
        drawn, min_count, use_times, options):
    db, times = drawn
    times = times if use_times else None
    got = frequent_patterns(db, min_count, times=times, **options)
    # A constrained embedding is an embedding, so candidates are the unconstrained patterns.
    expected = {}
    for p in frequent_patterns(db, min_count):
        flat = [x for a in p for x in a]
        if (len(flat) > options.get("max_length", 99) or len(p) > options.get("max_size", 99)
                or not set(options.get("must_contain", ())) <= set(flat)
                or set(options.get("exclude", ())) & set(flat)):
            continue
        n = bf.support(db, p, times=times, min_gap=options.get("min_gap"),
                       max_gap=options.get("max_gap"), max_span=options.get("max_span"))
        if n >= min_count:
            expected[p] = n
    assert got == expected


@given(db=strategies.databases(**SMALL), min_count=strategies.minsups(2))
def test_closed_and_maximal_shortcuts_match_the_definition(db, min_count):
    patterns = frequent_patterns(db, min_count)
    closed_ones, maximal_ones = closed(patterns), maximal(patterns)
    assert closed_ones == bf._closed_pairwise(patterns)
    assert maximal_ones == bf._maximal_pairwise(patterns)
    # Every frequent pattern lies under a maximal one, and closed patterns keep all supports.
    for p, n in patterns.items():
        assert any(bf.is_subpattern(p, m) for m in maximal_ones)
        assert max(c_n for c, c_n in closed_ones.items() if bf.is_subpattern(p, c)) == n


@given(p=st.lists(strategies.itemsets(4, 2), max_size=3),
       q=st.lists(strategies.itemsets(4, 3), max_size=4))
def test_is_subpattern_agrees_with_exhaustive_containment(p, q):
    pattern = tuple(tuple(a) for a in p)
    assert bf.is_subpattern(pattern, tuple(tuple(a) for a in q)) == bf.contains(q, pattern)


@given(patterns=st.dictionaries(st.lists(strategies.itemsets(3, 2), min_size=1, max_size=2)
                                .map(lambda p: tuple(tuple(a) for a in p)),
                                st.integers(1, 5), max_size=8),
       k=st.integers(1, 10))
def test_top_k_keeps_the_highest_supports_and_all_ties(patterns, k):
    got = top_k(patterns, k)
    assert len(got) >= min(k, len(patterns))
    assert all(patterns[p] == n for p, n in got.items())
    if got:
        lowest = min(got.values())
        assert all(n < lowest for p, n in patterns.items() if p not in got)
        # Dropping the lowest tied support would leave fewer than k.
        assert sum(n > lowest for n in got.values()) < k


@given(db=strategies.databases(**SMALL), min_count=strategies.minsups(3),
       max_len=st.none() | st.integers(1, 3))
def test_frequent_itemsets_agree_with_direct_counting(db, min_count, max_len):
    transactions = [{x for event in seq for x in event} for seq in db]
    got = bf.frequent_itemsets(transactions, min_count, max_len)
    for s, n in got.items():
        assert n == sum(s <= t for t in transactions) >= min_count
        assert max_len is None or len(s) <= max_len
    # Single items: exactly those in >= min_count transactions.
    items = {x for t in transactions for x in t}
    assert {next(iter(s)) for s in got if len(s) == 1} == {
        x for x in items if sum(x in t for t in transactions) >= min_count}
