"""PrefixSpan beyond the contract suite: hand-made embedding cases, n_jobs determinism,
budgets, option errors."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import seqmine
from seqmine import BudgetExceededError, InputError, SequenceDatabase
from tests.reference import brute_force


def mine(db, minsup, **options):
    """seqmine.mine pinned to PrefixSpan (the default algorithm is "auto")."""
    return seqmine.mine(db, minsup, **{"algorithm": "prefixspan", **options})


def as_dict(patterns: seqmine.PatternSet) -> dict:
    return patterns.as_dict()


def judge(seqs, min_count, **constraints):
    """Brute force on from_sequences-style input (a bare item is a one-item event)."""
    events = [[e if isinstance(e, tuple) else (e,) for e in seq] for seq in seqs]
    return brute_force.frequent_patterns(events, min_count, **constraints)


def test_worked_example_itemsets():
    seqs = [[1, (2, 3), 4], [1, 3, 4], [(1, 2), 3]]
    got = as_dict(mine(SequenceDatabase.from_sequences(seqs), 2))
    assert got == {((1,),): 3, ((3,),): 3, ((1,), (3,)): 3, ((2,),): 2, ((4,),): 2,
                   ((1,), (4,)): 2, ((3,), (4,)): 2, ((1,), (3,), (4,)): 2}
    assert got == judge(seqs, 2)


def test_itemset_extension_needs_a_later_end():
    # <{1}> first ends at event 0, which lacks 2: <{1,2}> is only found at event 2
    seqs = [[1, 5, (1, 2)], [3, (1, 2)]]
    got = as_dict(mine(SequenceDatabase.from_sequences(seqs), 2))
    assert got[((1, 2),)] == 2


def test_max_gap_uses_a_later_embedding():
    # leftmost <1 2> in sequence 0 has gap 2; the later 1 -> 2 has gap 1
    seqs = [[1, 9, 2, 1, 2], [1, 2]]
    db = SequenceDatabase.from_sequences(seqs)
    got = as_dict(mine(db, 2, max_gap=1))
    assert got[((1,), (2,))] == 2
    assert got == judge(seqs, 2, max_gap=1)


def test_max_span_uses_the_latest_start():
    # <1 2> in [1, 1, 2]: start 0 has span 2, start 1 has span 1
    seqs = [[1, 1, 2], [1, 2]]
    got = as_dict(mine(SequenceDatabase.from_sequences(seqs), 2, max_span=1))
    assert got[((1,), (2,))] == 2
    assert as_dict(mine(SequenceDatabase.from_sequences([[1, 9, 2], [1, 2]]), 2,
                        max_span=1)).get(((1,), (2,))) is None


def test_min_gap_skips_near_events():
    seqs = [[1, 2, 3], [1, 3, 2]]
    got = as_dict(mine(SequenceDatabase.from_sequences(seqs), 2, min_gap=2))
    assert ((1,), (3,)) not in got  # gap 2 in the first sequence only
    assert got == judge(seqs, 2, min_gap=2)


def test_time_gaps_with_durations():
    import pyarrow as pa
    base = np.datetime64("2024-01-01T00:00:00", "s").astype(np.int64)
    table = pa.table({
        "user_id": [1, 1, 1, 2, 2],
        "item_id": [10, 20, 30, 10, 20],
        "timestamp": pa.array(base + np.array([0, 30, 4000, 0, 7200]), pa.int64())
        .cast(pa.timestamp("s")),
    })
    db = seqmine.read_events(table)
    assert db.time_unit == "s"
    within_hour = as_dict(mine(db, 1, max_gap=dt.timedelta(hours=1)))
    assert within_hour[((10,), (20,))] == 1      # user 2's gap is two hours
    assert ((20,), (30,)) not in within_hour      # 3970 s > 1 h
    assert as_dict(mine(db, 2, max_span=dt.timedelta(hours=3)))[((10,), (20,))] == 2
    with pytest.raises(InputError, match="positions"):
        mine(seqmine.SequenceDatabase.from_sequences([[1, 2]]), 1,
             max_gap=dt.timedelta(seconds=5))


def test_must_contain_and_exclude():
    seqs = [[1, 2, 3], [1, 3], [2, 3], [1, 2]]
    db = SequenceDatabase.from_sequences(seqs)
    got = as_dict(mine(db, 2, must_contain=[3]))
    assert got == judge(seqs, 2, must_contain=(3,))
    assert all(any(3 in s for s in p) for p in got)
    got = as_dict(mine(db, 2, exclude=[1]))
    assert got == judge(seqs, 2, exclude=(1,))
    assert len(mine(db, 2, must_contain=[42])) == 0    # absent: nothing can contain it
    assert mine(db, 2, exclude=[42]) == mine(db, 2)    # absent: nothing to exclude


def test_length_and_size_bounds():
    seqs = [[1, (2, 3), 4, 5]] * 3
    db = SequenceDatabase.from_sequences(seqs)
    got = mine(db, 3, max_length=2)
    assert got.length.max() == 2
    assert as_dict(got) == judge(seqs, 3, max_length=2)
    got = mine(db, 3, max_size=2)
    assert got.size.max() == 2
    assert as_dict(got) == judge(seqs, 3, max_size=2)


@pytest.mark.parametrize("minsup", [0, -1, 0.0, 1.5, float("nan"), "3", True, None])
def test_bad_minsup_is_a_clear_error(minsup):
    db = SequenceDatabase.from_sequences([[1, 2]])
    with pytest.raises(InputError, match="minsup"):
        mine(db, minsup)


def test_relative_minsup_rounds_up():
    db = SequenceDatabase.from_sequences([[1]] * 7 + [[2]] * 3)
    assert mine(db, 0.3).min_count == 3
    assert mine(db, 0.31).min_count == 4
    assert mine(db, 1.0).min_count == 10


def test_bad_options_are_clear_errors():
    db = SequenceDatabase.from_sequences([[1, 2]])
    for kwargs, word in [({"max_gap": 1, "min_gap": 2}, "max_gap"), ({"max_length": 0},
                         "max_length"), ({"n_jobs": 0}, "n_jobs"),
                         ({"algorithm": "nope"}, "algorithm"), ({"min_gap": 0}, "min_gap")]:
        with pytest.raises(InputError, match=word):
            mine(db, 1, **kwargs)
    with pytest.raises(InputError, match="SequenceDatabase"):
        mine([[1, 2]], 1)


def _random_db(seed: int, n: int = 300, n_items: int = 12, itemsets: bool = True):
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
def test_output_identical_for_any_n_jobs(kwargs):
    db = _random_db(0)
    one = mine(db, 15, n_jobs=1, **kwargs)
    for jobs in (2, 3, -1):
        assert mine(db, 15, n_jobs=jobs, **kwargs) == one
    assert len(one) > 50


def test_canonical_order_is_the_comparator_order():
    from seqmine._kernels import patterns as kpatterns
    ps = mine(_random_db(1), 20)
    order = kpatterns.canonical_order(ps.support, ps.pat_ptr, ps.pset_ptr, ps.pitems)
    assert np.array_equal(order, np.arange(len(ps)))
    assert np.all(np.diff(ps.support) <= 0)


def test_pattern_budget_stops_with_remedies_and_partial():
    db = _random_db(2)
    full = mine(db, 10)
    with pytest.raises(BudgetExceededError, match="raise minsup") as info:
        mine(db, 10, max_patterns=25, return_partial=True)
    partial = info.value.partial
    assert len(partial) == 25
    assert set(partial.as_dict().items()) <= set(full.as_dict().items())
    with pytest.raises(BudgetExceededError):
        mine(db, 10, max_patterns=25, n_jobs=2)


def test_memory_budget_stops_cleanly():
    db = _random_db(3, n=3000)
    with pytest.raises(BudgetExceededError, match="memory budget"):
        mine(db, 2, max_memory=1 << 20)


def test_empty_result_when_nothing_is_frequent():
    db = SequenceDatabase.from_sequences([[1], [2]])
    got = mine(db, 2)
    assert len(got) == 0
    assert got.to_pandas().shape == (0, 5)


def test_patternset_round_trips(tmp_path):
    db = _random_db(4, n=100)
    ps = mine(db, 8)
    ps.to_parquet(tmp_path / "p.parquet")
    back = seqmine.PatternSet.read_parquet(tmp_path / "p.parquet")
    assert back == ps
    assert back.n_sequences == 100 and back.min_count == 8
    assert back.options["algorithm"] == "prefixspan"
    ps.to_spmf(tmp_path / "p.txt")
    lines = (tmp_path / "p.txt").read_text().splitlines()
    assert len(lines) == len(ps)
    first = ps[0]
    assert lines[0] == " -1 ".join(" ".join(map(str, s)) for s in first) + \
        f" -1 #SUP: {ps.support[0]}"


def test_patternset_views():
    db = SequenceDatabase.from_sequences([["a", ("b", "c")], ["a", "b"], [("b", "c")]])
    ps = mine(db, 2)
    table = ps.to_pandas()
    assert list(table.columns) == ["pattern", "support", "frequency", "size", "length"]
    assert ps.filter(min_length=2).as_dict() == {(("a",), ("b",)): 2, (("b", "c"),): 2}
    assert ps.filter(contains=["c"]).as_dict() == {(("c",),): 2, (("b", "c"),): 2}
    assert len(ps.top(2)) == 2 and ps.top(2).support.tolist() == ps.support[:2].tolist()
    assert ps[-1] == ps[len(ps) - 1]
