"""RuleRecommender: fitted statistics and scores against the naive reference, exact
explanations, the item-pair baseline, the Recommender protocol, and no leakage."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seqmine
import seqmine.explore
from seqmine.data.database import SequenceArrays
from seqmine.data.split import split
from seqmine.errors import InputError
from seqmine.evaluate import evaluate
from seqmine.recommend import Recommender, TopK
from seqmine.rules import Explanation, ItemPairBaseline, RuleRecommender, rules, tune
from seqmine.rules import recommender as rec_module
from tests import strategies
from tests.reference import rules_naive

params_strategy = st.fixed_dictionaries({
    "window": st.integers(1, 4),
    "decay": st.sampled_from([0.0, 0.5, 1.0, 2.0]),
    "last": st.integers(1, 5),
    "recency": st.sampled_from([0.0, 1.0, 2.0]),
    "normalize": st.sampled_from([0.0, 0.5, 1.0]),
    "shrinkage": st.sampled_from([0.0, 3.0]),
    "backward": st.sampled_from([0.0, 0.3]),
    "min_count": st.integers(1, 2),
})


def naive_weights(seqs, p):
    stats, occ = rules_naive.window_rule_stats(seqs, p["window"], lambda d: d ** -p["decay"])
    out = {}
    for (a, y), (fw, bw, fn, bn) in stats.items():
        support = fw + p["backward"] * bw
        pairs = fn + (bn if p["backward"] > 0 else 0)
        if support > 0 and pairs >= p["min_count"]:
            out[(a, y)] = support / (occ[a] + p["shrinkage"]) ** p["normalize"]
    return out


def codes_of(db, history):
    return [[int(c) for c in db.codebook.code_of(list(e))] for e in history]


def recency_fn(p):
    return lambda j: (j + 1) ** -p["recency"]


@given(db=strategies.databases(max_sequences=6, max_events=6, max_items=5,
                               max_itemset_size=2),
       history=strategies.sequences(max_events=6, max_items=5, max_itemset_size=2),
       params=params_strategy)
def test_scores_match_naive(db, history, params):
    sdb = strategies.to_db(db)
    rec = RuleRecommender(**params).fit(sdb)
    history = [[i for i in e if i in set(sdb.codebook.values.to_pylist())] or
               [sdb.codebook.values[0].as_py()] for e in history]
    got = rec.score([codes_of(sdb, history)])[0]
    want = rules_naive.rule_scores(history, naive_weights(db, params), params["last"],
                                   recency_fn(params))
    expected = np.zeros(sdb.n_items)
    for item, value in want.items():
        expected[sdb.codebook.code_of([item])[0]] = value
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)


@given(db=strategies.databases(max_sequences=6, max_events=6, max_items=5,
                               max_itemset_size=2),
       history=strategies.sequences(max_events=6, max_items=5, max_itemset_size=2),
       params=params_strategy)
def test_explanations_are_exact(db, history, params):
    sdb = strategies.to_db(db)
    rec = RuleRecommender(**params).fit(sdb)
    known = set(sdb.codebook.values.to_pylist())
    history = [[i for i in e if i in known] or [min(known)] for e in history]
    h = [codes_of(sdb, history)]
    exp = rec.explain(h, k=sdb.n_items)
    scores32 = rec.score(h)[0]
    weights = naive_weights(db, params)
    n = len(history)
    for rank, item in enumerate(exp.items.tolist()):
        rows = exp.rules[exp.rules["rank"] == rank]
        assert (rows["item"] == item).all()
        # contributions, added in the listed order, give the score exactly
        total = functools.reduce(lambda acc, v: acc + v, rows["contribution"].tolist(), 0.0)
        assert total == exp.scores[rank]
        assert np.float32(exp.scores[rank]) == scores32[item]
        assert (rows["contribution"] == rows["recency_weight"] * rows["rule_weight"]).all()
        # exactly the rules that fired for this item: each antecedent item at its most
        # recent position among the last `last` events
        item_id = sdb.codebook.decode_list([item])[0]
        fired = set()
        seen = set()
        for j in range(min(params["last"], n)):
            for a in sorted(set(history[n - 1 - j])):
                if a not in seen:
                    seen.add(a)
                    if (a, item_id) in weights:
                        fired.add(((a,), j))
        listed = {(tuple(x for s in ant for x in s), int(j))
                  for ant, j in zip(rows["antecedent"], rows["position"], strict=False)}
        assert listed == fired
        assert len(rows) == len(fired)


@given(db=strategies.databases(max_sequences=7, max_events=5, max_items=4,
                               max_itemset_size=2),
       history=strategies.sequences(max_events=5, max_items=4, max_itemset_size=2),
       last=st.integers(1, 4), recency=st.sampled_from([0.0, 1.0]),
       normalize=st.sampled_from([0.0, 1.0]), shrinkage=st.sampled_from([0.0, 2.0]))
@settings(max_examples=40)
def test_mined_rules_score_like_the_naive_matcher(db, history, last, recency, normalize,
                                                   shrinkage):
    sdb = strategies.to_db(db)
    rs = rules(seqmine.mine(sdb, 1, max_length=3), 0.0, kind="next-item")
    rec = RuleRecommender.from_rules(rs, last=last, recency=recency, normalize=normalize,
                                     shrinkage=shrinkage)
    known = set(sdb.codebook.values.to_pylist())
    history = [[i for i in e if i in known] or [min(known)] for e in history]
    got = rec.score([codes_of(sdb, history)])[0]
    naive_rules = [(rs[r][0], rs[r][1][0][0],
                    rs.support[r] / (rs.antecedent_support[r] + shrinkage) ** normalize)
                   for r in range(len(rs))]
    want = rules_naive.generic_rule_scores(history, naive_rules, last,
                                           lambda j: (j + 1) ** -recency)
    expected = np.zeros(sdb.n_items)
    for item, value in want.items():
        expected[sdb.codebook.code_of([item])[0]] = value
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
    exp = rec.explain([codes_of(sdb, history)], k=sdb.n_items)
    for rank, item in enumerate(exp.items.tolist()):
        rows = exp.rules[exp.rules["rank"] == rank]
        total = functools.reduce(lambda acc, v: acc + v, rows["contribution"].tolist(), 0.0)
        assert total == exp.scores[rank]
        assert np.float32(total) == got[item]


def shuffled_db(n_seq=300, n_items=40, seed=0):
    rng = np.random.default_rng(seed)
    seqs = [[int(x) for x in rng.permutation(n_items)[:rng.integers(3, 12)] + 1]
            for _ in range(n_seq)]
    return seqmine.SequenceDatabase.from_sequences(seqs)


def test_equals_the_item_pair_baseline_with_its_settings():
    db = shuffled_db()  # no item repeats within a sequence
    sp = split(db, "leave-one-out")
    base = ItemPairBaseline(window=10, last=3).fit(sp.train)
    rec = RuleRecommender(window=10, decay=1.0, last=3, recency=1.0, normalize=0.0).fit(
        sp.train)
    h = sp.test.histories()
    np.testing.assert_allclose(rec.score(h), base.score(h), rtol=1e-6)
    a = evaluate(base, sp, k=[10], exclude_seen=True)
    b = evaluate(rec, sp, k=[10], exclude_seen=True)
    assert a["NDCG@10"].iloc[0] == pytest.approx(b["NDCG@10"].iloc[0], abs=1e-3)


def test_baseline_counts_by_hand():
    db = seqmine.SequenceDatabase.from_sequences([[1, 2, 3], [1, 3]])
    base = ItemPairBaseline(window=10, last=3).fit(db)
    # history 1: C[1, 2] = 1, C[1, 3] = 1/2 + 1 ; C[2, 3] = 1
    s = base.score([[0]])[0]
    assert s.tolist() == pytest.approx([0.0, 1.0, 1.5])
    s = base.score([[0, 1]])[0]  # last item 2 (weight 1), then 1 (weight 1/2)
    assert s.tolist() == pytest.approx([0.0, 0.5, 1.0 + 0.75])
    with pytest.raises(InputError, match="window"):
        ItemPairBaseline(window=0)


def test_recommender_protocol_and_recommend():
    db = shuffled_db(seed=1)
    sp = split(db, "leave-one-out")
    rec = RuleRecommender().fit(sp.train)
    assert isinstance(rec, Recommender)
    assert rec.n_items == db.n_items
    top = rec.recommend(sp.test.histories(np.arange(5)), k=4, exclude_seen=True)
    assert isinstance(top, TopK)
    assert top.items.shape == (5, 4)
    explained = rec.recommend(sp.test.histories(np.arange(5)), k=4, exclude_seen=True,
                              explain=True)
    assert all(isinstance(e, Explanation) for e in explained)
    for b, e in enumerate(explained):
        assert e.items.tolist() == top.items[b].tolist()
        assert np.float32(e.scores).tolist() == top.scores[b].tolist()
        table = e.to_pandas()
        assert table["item"].tolist() == top.items[b].tolist()
        assert e.item_ids() == db.codebook.decode_list(top.items[b])
    table = evaluate({"rules": rec}, sp, k=[5, 10])
    assert 0.0 < table["HR@10"].iloc[0] <= 1.0


def test_parallel_scoring_equals_serial(monkeypatch):
    db = shuffled_db(n_seq=700, seed=2)
    rec = RuleRecommender(backward=0.2).fit(db)
    h = db.arrays
    monkeypatch.setattr(rec_module, "PARALLEL_FROM", 10**9)
    serial = rec.score(h)
    monkeypatch.setattr(rec_module, "PARALLEL_FROM", 1)
    parallel = rec.score(h)
    assert np.array_equal(serial, parallel)
    assert serial.dtype == np.float32
    assert serial.shape == (len(db), db.n_items)


def test_no_leakage_from_validation_or_test_events():
    # 8 -> 9 only ever happens as (validation target, test target)
    seqs = [[1, 2, 3, 8, 9], [2, 3, 1, 8, 9], [3, 1, 2, 4, 5]]
    db = seqmine.SequenceDatabase.from_sequences(seqs)
    sp = split(db, "leave-one-out")
    rec = RuleRecommender().fit(sp.train)
    consequents = set(rec.rules_.con_items.tolist())
    assert db.codebook.code_of([9])[0] not in consequents
    assert rec.score([[int(db.codebook.code_of([8])[0])]]).sum() == 0.0
    with pytest.raises(InputError, match="validation"):
        tune(sp, {"last": [1, 2]}, on="test")


def test_tune_picks_the_best_validation_row():
    db = shuffled_db(seed=4)
    sp = split(db, "leave-one-out")
    best, table = tune(sp, {"last": [1, 5], "normalize": [0.0, 1.0],
                            "shrinkage": [0.0, 5.0]})
    # normalize=0 ignores shrinkage: that combination is evaluated once
    assert len(table) == 2 * (1 + 2)
    assert table["NDCG@10"].is_monotonic_decreasing
    for key in ("last", "normalize", "shrinkage"):
        assert best.get_params()[key] == table.iloc[0][key]
    score = evaluate(best, sp.valid, k=[10])["NDCG@10"].iloc[0]
    assert score == pytest.approx(table["NDCG@10"].iloc[0])


def test_parameters_are_checked():
    with pytest.raises(InputError, match="window"):
        RuleRecommender(window=0)
    with pytest.raises(InputError, match="normalize"):
        RuleRecommender(normalize=-1)
    with pytest.raises(InputError, match="unknown RuleRecommender parameter"):
        RuleRecommender().set_params(alpha=1)
    rec = RuleRecommender().fit(shuffled_db(n_seq=20))
    with pytest.raises(InputError, match="create a new RuleRecommender"):
        rec.set_params(window=3)
    before = rec.n_rules
    rec.set_params(min_count=3)
    assert rec.n_rules < before
    with pytest.raises(InputError, match="not fitted"):
        RuleRecommender().score([[1]])
    with pytest.raises(InputError, match="one history"):
        rec.explain([[1], [2]])
    with pytest.raises(InputError, match="next-item"):
        RuleRecommender.from_rules(rules(shuffled_db(n_seq=20), kind="partially-ordered",
                                         minsup=2))


def test_max_rules_per_item_keeps_the_heaviest():
    db = shuffled_db(seed=5)
    full = RuleRecommender().fit(db)
    capped = RuleRecommender(max_rules_per_item=3).fit(db)
    assert capped.n_rules <= 3 * db.n_items < full.n_rules
    h = [[0]]
    s_full, s_cap = full.score(h)[0], capped.score(h)[0]
    kept = np.flatnonzero(s_cap > 0)
    assert len(kept) == 3
    assert set(kept) == set(np.argsort(-s_full, kind="stable")[:3])


def test_save_and_load_give_the_same_scores(tmp_path):
    db = shuffled_db(seed=6)
    rec = RuleRecommender(decay=0.5, last=4, recency=2.0, normalize=0.5, shrinkage=3.0,
                          backward=0.3).fit(db)
    rec.to_parquet(tmp_path / "rec.parquet")
    back = RuleRecommender.read_parquet(tmp_path / "rec.parquet")
    assert back.get_params()["last"] == 4
    assert back.get_params()["shrinkage"] == 3.0
    h = db.arrays
    assert np.array_equal(back.score(h), rec.score(h))
    assert back.rules_ == rec.rules_


# --- time windows -----------------------------------------------------------------------------

def timed(sequences, times, unit):
    """A database of ``sequences`` whose int ``times`` are in ``unit`` (real timestamps)."""
    db = seqmine.SequenceDatabase.from_sequences(sequences, times)
    return seqmine.SequenceDatabase(db.arrays, db.codebook, db.sequence_ids, unit)


def history_arrays(db, history, times):
    codes = codes_of(db, history)
    evt_ptr = np.cumsum([0] + [len(e) for e in codes])
    return SequenceArrays(np.array([0, len(codes)]), evt_ptr.astype(np.int64),
                          np.array([c for e in codes for c in e], np.int32),
                          np.array(times, np.int64))


@st.composite
def timed_history(draw):
    history = draw(strategies.sequences(max_events=6, max_items=5, max_itemset_size=2))
    return history, draw(strategies.event_times(len(history)))


@given(data=strategies.databases(max_sequences=6, max_events=6, max_items=5,
                                 max_itemset_size=2, with_times=True),
       hist=timed_history(), params=params_strategy,
       window_units=st.integers(0, 4), last_units=st.one_of(st.none(), st.integers(0, 6)),
       unit=st.sampled_from(["s", "ms"]))
def test_time_windows_match_naive(data, hist, params, window_units, last_units, unit):
    seqs, times = data
    per_second = {"s": 1, "ms": 1000}[unit]
    sdb = timed(seqs, times, unit)
    rec = RuleRecommender(**params, window_seconds=(window_units or 0.5) / per_second,
                          last_seconds=None if last_units is None else
                          (last_units or 0.5) / per_second).fit(sdb)
    history, h_times = hist
    known = set(sdb.codebook.values.to_pylist())
    history = [[i for i in e if i in known] or [min(known)] for e in history]
    h = history_arrays(sdb, history, h_times)
    stats, occ = rules_naive.window_rule_stats(seqs, params["window"],
                                               lambda d: d ** -params["decay"], times,
                                               window_units)
    weights = {}
    for (a, y), (fw, bw, fn, bn) in stats.items():
        support = fw + params["backward"] * bw
        if support > 0 and fn + (bn if params["backward"] > 0 else 0) >= params["min_count"]:
            weights[(a, y)] = support / (occ[a] + params["shrinkage"]) ** params["normalize"]
    want = rules_naive.rule_scores(history, weights, params["last"], recency_fn(params),
                                   h_times, last_units)
    expected = np.zeros(sdb.n_items)
    for item, value in want.items():
        expected[sdb.codebook.code_of([item])[0]] = value
    got = rec.score(h)[0]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
    exp = rec.explain(h, k=sdb.n_items)
    for rank, item in enumerate(exp.items.tolist()):
        rows = exp.rules[exp.rules["rank"] == rank]
        total = functools.reduce(lambda acc, v: acc + v, rows["contribution"].tolist(), 0.0)
        assert np.float32(total) == got[item]
        if last_units is not None:
            assert all(h_times[-1] - h_times[len(history) - 1 - j] <= last_units
                       for j in rows["position"])


def test_time_windows_by_hand():
    # 1 -> 2 five seconds apart, 1 -> 3 two hours apart; history events 0 s and 100 s old
    db = timed([[1, 2, 3], [1, 2]], [[0, 5, 7205], [0, 5]], "s")
    code = {v: int(db.codebook.code_of([v])[0]) for v in (1, 2, 3)}
    near = RuleRecommender(window_seconds=60, normalize=0.0, decay=0.0).fit(db)
    far = RuleRecommender(normalize=0.0, decay=0.0).fit(db)
    assert near.rules_.as_dict() != far.rules_.as_dict()
    h = history_arrays(db, [[1]], [0])
    assert near.score(h)[0][code[3]] == 0.0
    assert far.score(h)[0][code[3]] == 1.0
    assert near.score(h)[0][code[2]] == far.score(h)[0][code[2]] == 2.0
    # last_seconds drops the antecedent 1 that is 100 s before the history's last event
    h2 = history_arrays(db, [[1], [3]], [0, 100])
    recent = RuleRecommender(last_seconds=60, normalize=0.0, decay=0.0).fit(db)
    assert recent.score(h2)[0][code[2]] == 0.0 < far.score(h2)[0][code[2]]
    # at 100 s it fires, one event back: recency weight 1/2
    assert recent.set_params(last_seconds=100).score(h2)[0][code[2]] == 2.0 / 2
    # saved and loaded, the time unit and last_seconds come back
    back = RuleRecommender.from_rules(recent.rules_, last_seconds=60, normalize=0.0)
    assert back.time_unit == "s"
    assert back.score(h2)[0][code[2]] == 0.0


def test_time_windows_need_timestamps(tmp_path):
    db = shuffled_db(n_seq=20)
    with pytest.raises(InputError, match="timestamp"):
        RuleRecommender(window_seconds=60).fit(db)
    with pytest.raises(InputError, match="timestamp"):
        RuleRecommender(last_seconds=60).fit(db)
    with pytest.raises(InputError, match="seconds"):
        RuleRecommender(window_seconds=0)
    rec = RuleRecommender().fit(db)
    with pytest.raises(InputError, match="timestamp"):
        rec.set_params(last_seconds=5).score(db.arrays)
    sdb = timed([[1, 2, 3], [2, 3]], [[0, 1, 2], [0, 1]], "s")
    rec = RuleRecommender(last_seconds=5).fit(sdb)
    with pytest.raises(InputError, match="SequenceArrays"):
        rec.recommend([[0, 1]])
    with pytest.raises(InputError, match="SequenceArrays"):
        seqmine.explore.firing_rules(rec, [1, 2])
    rec.to_parquet(tmp_path / "timed.parquet")
    back = RuleRecommender.read_parquet(tmp_path / "timed.parquet")
    assert back.time_unit == "s"
    assert back.get_params()["last_seconds"] == 5
    assert np.array_equal(back.score(sdb.arrays), rec.score(sdb.arrays))
