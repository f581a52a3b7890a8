"""algorithm="auto": the documented rule, equality with the miner it picks, the brute-force
judge; and the reference pattern counts of the shared SPMF data sets for gsp, spade, spam
and auto."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from seqmine import BudgetExceededError, InputError, SequenceDatabase, mine
from seqmine.data.spmf import read_spmf
from seqmine.mining import ALGORITHMS
from seqmine.mining.auto import choose, shape
from seqmine.options import Constraints
from tests import strategies
from tests.reference import brute_force


def _db(seed, n=200, n_items=30, length=6, itemset=1, repeats=False):
    rng = np.random.default_rng(seed)
    seqs = []
    for _ in range(n):
        k = int(rng.integers(1, 2 * length))
        if itemset == 1:
            if repeats:
                events = rng.integers(0, n_items, size=k).tolist()
            else:
                events = rng.permutation(n_items)[:k].tolist()
        else:
            events = [tuple(rng.choice(n_items, size=itemset, replace=False).tolist())
                      for _ in range(k)]
        seqs.append(events)
    return SequenceDatabase.from_sequences(seqs)


def test_rule_follows_the_documented_order():
    no_repeats = _db(0)
    repeats = _db(1, n_items=5, repeats=True)
    itemsets = _db(2, itemset=3)
    assert shape(no_repeats).repeat == 1.0
    assert shape(repeats).repeat > 1.02
    assert shape(itemsets).mean_itemset_size == 3.0
    assert choose(no_repeats)[0] == "spade"
    assert choose(repeats)[0] == "prefixspan"
    assert choose(itemsets)[0] == "spade"
    for db in (no_repeats, repeats, itemsets):
        assert choose(db, Constraints(max_gap=3))[0] == "prefixspan"
        assert choose(db, Constraints(max_gap=3, max_span=5))[0] == "prefixspan"
        assert choose(db, Constraints(min_gap=2))[0] == "spade"
        assert choose(db, Constraints(max_span=4))[0] == "spade"
        assert choose(db, Constraints(max_length=3))[0] == choose(db)[0]


def test_auto_equals_the_miner_it_chooses_and_says_which():
    for db in (_db(3), _db(4, n_items=5, repeats=True)):
        got = mine(db, 10, algorithm="auto")
        name = choose(db)[0]
        assert got.options["algorithm"] == "auto"
        assert got.options["chosen_algorithm"] == name
        assert got == mine(db, 10, algorithm=name)
        assert got == mine(db, 10, algorithm="auto", n_jobs=2)


def test_auto_budget_and_errors_pass_through():
    db = _db(5, n_items=8, repeats=True)
    with pytest.raises(BudgetExceededError) as info:
        mine(db, 5, algorithm="auto", max_patterns=10, return_partial=True)
    assert len(info.value.partial) == 10
    assert info.value.partial.options["algorithm"] == "auto"
    with pytest.raises(InputError, match="SequenceDatabase"):
        mine([[1, 2]], 1, algorithm="auto")
    with pytest.raises(InputError, match="minsup"):
        mine(db, 0, algorithm="auto")


def test_empty_database_shape():
    db = SequenceDatabase.from_sequences([])
    assert shape(db).n_sequences == 0
    assert len(mine(db, 1, algorithm="auto")) == 0


@settings(max_examples=30)
@given(seqs=strategies.databases(max_sequences=8, max_events=5, max_items=5,
                                  max_itemset_size=2),
       min_count=strategies.minsups(3))
def test_auto_matches_brute_force(seqs, min_count):
    got = mine(strategies.to_db(seqs), min_count, algorithm="auto").as_dict()
    assert got == brute_force.frequent_patterns(seqs, min_count)


# --- reference counts on the shared data (README of ../shared/datasets/spm) ----------------
MINERS = ["gsp", "spade", "spam", "auto"]
FAST = [("SIGN", 0.3, 219, 1928), ("KOSARAK10K", 0.005, 50, 1716)]
SLOW = [("BMS1", 0.001, 60, 3991), ("LEVIATHAN", 0.05, 292, 3698),
        ("KOSARAK70K", 0.005, 350, 1638), ("BIBLE", 0.05, 1819, 774),
        ("FIFA", 0.2, 4090, 938)]


def _check(spm, name, relative, absolute, count, algorithm):
    db = read_spmf(spm(f"{name}.txt.gz"))
    patterns = mine(db, relative, algorithm=algorithm)
    assert patterns.min_count == absolute
    assert len(patterns) == count


def test_miners_are_registered():
    assert set(MINERS) <= set(ALGORITHMS)


@pytest.mark.parametrize("algorithm", MINERS)
@pytest.mark.parametrize(("name", "relative", "absolute", "count"), FAST,
                         ids=[f"{r[0]}-{r[1]:g}" for r in FAST])
def test_reference_counts_at_the_highest_level(spm, name, relative, absolute, count,
                                               algorithm):
    _check(spm, name, relative, absolute, count, algorithm)


@pytest.mark.slow
@pytest.mark.parametrize("algorithm", MINERS)
@pytest.mark.parametrize(("name", "relative", "absolute", "count"), SLOW,
                         ids=[f"{r[0]}-{r[1]:g}" for r in SLOW])
def test_reference_counts_at_the_highest_level_slow(spm, name, relative, absolute, count,
                                                    algorithm):
    _check(spm, name, relative, absolute, count, algorithm)
