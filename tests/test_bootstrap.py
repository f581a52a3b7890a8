"""Paired bootstrap intervals against a naive resampling loop, and compare() on a split."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seqmine
from seqmine.data.split import split
from seqmine.errors import InputError
from seqmine.evaluate import compare, evaluate, paired_bootstrap, rank_targets
from seqmine.recommend import PopularityRecommender
from seqmine.rules import RuleRecommender


def naive_bootstrap(a, b, groups, n_resamples, confidence, seed):
    """Textbook version: draw users with replacement, pool their instances, average."""
    users = sorted(set(groups)) if groups is not None else list(range(len(a)))
    members = {u: [i for i in range(len(a)) if (groups[i] if groups is not None else i) == u]
               for u in users}
    rng = np.random.default_rng(seed)
    means = []
    for _ in range(n_resamples):
        pooled = []
        for j in rng.integers(0, len(users), len(users)):
            pooled += [a[i] - b[i] for i in members[users[j]]]
        means.append(sum(pooled) / len(pooled))
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return sum(x - y for x, y in zip(a, b, strict=True)) / len(a), low, high


@settings(max_examples=30)
@given(data=st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), st.integers(0, 5)),
                     min_size=1, max_size=25),
       grouped=st.booleans(), confidence=st.sampled_from([0.5, 0.9, 0.95]),
       seed=st.integers(0, 3))
def test_matches_naive(data, grouped, confidence, seed):
    a = [x for x, _, _ in data]
    b = [y for _, y, _ in data]
    groups = [g * 7 for _, _, g in data] if grouped else None  # labels need not be 0..G-1
    got = paired_bootstrap(np.array(a), np.array(b),
                           None if groups is None else np.array(groups), n_resamples=60,
                           confidence=confidence, seed=seed)
    diff, low, high = naive_bootstrap(a, b, groups, 60, confidence, seed)
    assert got.difference == pytest.approx(diff, abs=1e-12)
    assert got.low == pytest.approx(low, abs=1e-12)
    assert got.high == pytest.approx(high, abs=1e-12)
    assert got.n_groups == (len(set(groups)) if grouped else len(a))
    assert got.low <= got.high


def test_interval_behaviour():
    rng = np.random.default_rng(0)
    a = rng.random(500)
    same = paired_bootstrap(a, a)
    assert (same.difference, same.low, same.high) == (0.0, 0.0, 0.0)
    shifted = paired_bootstrap(a + 0.1, a + rng.normal(0, 0.01, 500))
    assert 0.09 < shifted.low < shifted.difference < shifted.high < 0.11
    wide = paired_bootstrap(a, rng.random(500), confidence=0.99)
    narrow = paired_bootstrap(a, rng.random(500), confidence=0.5)
    assert wide.high - wide.low > narrow.high - narrow.low
    assert "CI" in str(wide)


def test_errors():
    with pytest.raises(InputError, match="same length"):
        paired_bootstrap(np.zeros(3), np.zeros(4))
    with pytest.raises(InputError, match="no instances"):
        paired_bootstrap(np.zeros(0), np.zeros(0))
    with pytest.raises(InputError, match="confidence"):
        paired_bootstrap(np.zeros(3), np.zeros(3), confidence=1.0)
    with pytest.raises(InputError, match="one user per instance"):
        paired_bootstrap(np.zeros(3), np.zeros(3), np.zeros(2))
    with pytest.raises(InputError, match="n_resamples"):
        paired_bootstrap(np.zeros(3), np.zeros(3), n_resamples=0)


def test_compare_on_a_split():
    rng = np.random.default_rng(3)
    seqs = [[int(x) for x in rng.integers(0, 15, int(rng.integers(3, 9)))] for _ in range(80)]
    db = seqmine.SequenceDatabase.from_sequences(seqs)
    sp = split(db, "temporal", test_start=5, valid_start=4)
    rules = RuleRecommender().fit(sp.train)
    pop = PopularityRecommender().fit(sp.train)
    got = compare(rules, pop, sp.test, metric="NDCG", k=5, exclude_seen=True, n_resamples=200)
    table = evaluate({"r": rules, "p": pop}, sp.test, k=[5], exclude_seen=True)["NDCG@5"]
    assert got.difference == pytest.approx(table["r"] - table["p"], abs=1e-12)
    # users, not instances: a temporal split has several instances per sequence
    assert got.n_groups == len(np.unique(sp.test.sequence)) < len(sp.test)
    per = [rank_targets(r, sp.test, exclude_seen=True).metric("NDCG", 5, per_user=True)
           for r in (rules, pop)]
    by_hand = paired_bootstrap(per[0], per[1], sp.test.sequence, n_resamples=200)
    assert (got.low, got.high) == (by_hand.low, by_hand.high)
    by_instance = compare(rules, pop, sp.test, k=5, exclude_seen=True, by="instance")
    assert by_instance.n_groups == len(sp.test)
    with pytest.raises(InputError, match="per-user"):
        compare(rules, pop, sp.test, metric="Coverage")
    with pytest.raises(InputError, match="by must be"):
        compare(rules, pop, sp.test, by="session")
