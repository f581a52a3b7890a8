"""HybridScorer: normalisation and lattice against naive references, the fitted objective
equal to the evaluation protocol at every weight vector, no leakage, explanations that add
up, save/load, and errors."""

from __future__ import annotations

import json
from math import comb

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seqmine
from seqmine.data.split import split
from seqmine.errors import InputError
from seqmine.evaluate import evaluate
from seqmine.hybrid import HybridScorer, load, load_recommender, normalise, simplex_lattice
from seqmine.recommend import PopularityRecommender, RecommenderBase, as_histories, history_items
from seqmine.rules import RuleRecommender


class TableRecommender(RecommenderBase):
    """Scores by a fixed table row of the history's last item (ties and -inf on purpose)."""

    name = "table"

    def __init__(self, table: np.ndarray) -> None:
        self.table = table.astype(np.float32)

    @property
    def n_items(self) -> int:
        return self.table.shape[1]

    def score(self, histories):
        ptr, items = history_items(as_histories(histories))
        return self.table[items[ptr[1:] - 1]].copy()


def random_db(seed, n_users=40, n_items=12, itemsets=False):
    rng = np.random.default_rng(seed)
    seqs = []
    for _ in range(n_users):
        length = int(rng.integers(3, 9))
        seq = []
        for _ in range(length):
            if itemsets and rng.random() < 0.3:
                seq.append(tuple(int(x) for x in rng.choice(n_items, 2, replace=False)))
            else:
                seq.append(int(rng.integers(n_items)))
        seqs.append(seq)
    return seqmine.SequenceDatabase.from_sequences(seqs)


def tables(seed, n, count):
    rng = np.random.default_rng(seed)
    out = []
    for c in range(count):
        t = np.round(rng.normal(size=(n, n)) * (2 + c), 0)  # coarse: many ties
        if c == 1:
            t[rng.random((n, n)) < 0.05] = -np.inf
        out.append(t)
    return out


# --- normalisation and lattice ------------------------------------------------------------

def naive_normalise(row, how, center):
    vals = [v for v in row if np.isfinite(v)]
    if how == "sum":
        scale = sum(vals)
        out = [v / scale if scale > 0 else 0.0 for v in row]
    elif how == "softmax":
        top = max(vals) if vals else 0.0
        scale = sum(np.exp(v - top) for v in vals)
        out = [np.exp(v - top) / scale if np.isfinite(v) else 0.0 for v in row]
    else:
        mean = sum(vals) / len(vals) if vals else 0.0
        scale = (sum((v - mean) ** 2 for v in vals) / len(vals)) ** 0.5 if vals else 0.0
        out = [((v - mean) if center else v) / scale if scale > 0 else 0.0 for v in row]
    return [x if np.isfinite(v) else 0.0 for x, v in zip(out, row, strict=True)], scale


@given(rows=st.lists(st.lists(st.sampled_from([-2.0, 0.0, 0.5, 1.0, 3.0, -np.inf]),
                              min_size=4, max_size=4), min_size=1, max_size=4),
       how=st.sampled_from(["sum", "softmax", "zscore"]), center=st.booleans())
def test_normalise_matches_naive(rows, how, center):
    s = np.array(rows, dtype=np.float32)
    if how == "sum":
        s = np.abs(s)
    z, finite, scale = normalise(s, how, center)
    np.testing.assert_array_equal(finite, np.isfinite(s))
    for b, row in enumerate(s.tolist()):
        want, want_scale = naive_normalise(row, how, center)
        assert scale[b] == pytest.approx(want_scale, abs=1e-12)
        np.testing.assert_allclose(z[b], want, rtol=1e-12, atol=1e-12)
    if how != "zscore":  # a distribution over the finite items (or nothing)
        np.testing.assert_allclose(z.sum(axis=1), (scale > 0).astype(float), atol=1e-12)


def test_normalise_rejects():
    with pytest.raises(InputError, match="non-negative"):
        normalise(np.array([[1.0, -1.0]]), "sum")
    with pytest.raises(InputError, match="normalisation must be"):
        normalise(np.array([[1.0]]), "max")


@pytest.mark.parametrize(("n", "r"), [(1, 3), (2, 4), (3, 10), (4, 5)])
def test_simplex_lattice(n, r):
    lat = simplex_lattice(n, r)
    assert len(lat) == comb(r + n - 1, n - 1)
    assert np.allclose(lat.sum(axis=1), 1.0)
    assert np.allclose(lat * r, np.round(lat * r))
    assert len({tuple(x) for x in lat}) == len(lat)
    assert tuple(lat[0]) == (1.0,) + (0.0,) * (n - 1)
    for c in range(n):  # every component alone is a candidate
        assert any(x[c] == 1.0 for x in lat)


# --- the fit agrees with the evaluation protocol --------------------------------------------

@pytest.mark.parametrize(("seed", "exclude_seen", "ties", "itemsets", "metric", "how"), [
    (0, False, "item-order", False, "NDCG", "zscore"),
    (1, True, "item-order", False, "HR", "softmax"),
    (2, False, "pessimistic", True, "NDCG", "zscore"),
    (3, True, "pessimistic", True, "MRR", "softmax"),
    (4, True, "item-order", True, "Recall", "zscore"),
])
def test_fit_objective_equals_protocol(seed, exclude_seen, ties, itemsets, metric, how):
    """The weights' validation objective is exactly what seqmine.evaluate reports for the
    blend with those weights, at every vector of the lattice; the winner is the best."""
    db = random_db(seed, itemsets=itemsets)
    sp = split(db, "leave-one-out")
    comps = {f"t{c}": TableRecommender(t) for c, t in enumerate(tables(seed, db.n_items, 3))}
    comps["t2"].table = np.abs(comps["t2"].table)  # non-negative: "sum" applies
    norm = {"t0": how, "t1": how, "t2": "sum"}
    k = 3
    hybrid = HybridScorer(comps, fit_on=sp.valid, metric=metric, k=k, ties=ties,
                          exclude_seen=exclude_seen, resolution=4, normalize=norm)
    col = f"{metric}@{k}"
    table = hybrid.validation_
    assert len(table) == comb(6, 2)
    for row in table.itertuples(index=False):
        w = list(row[:3])
        fixed = HybridScorer(comps, weights=w, normalize=norm)
        got = evaluate(fixed, sp, k=[k], on="valid", exclude_seen=exclude_seen, ties=ties)
        assert got[col].iloc[0] == pytest.approx(row[3], abs=1e-12), w
    best = table[col].to_numpy()
    assert hybrid.fit_info["objective"] == best.max()
    assert tuple(hybrid.weights) == tuple(table.iloc[int(np.argmax(best)), :3])


def test_blend_at_least_as_good_as_each_component_on_valid():
    db = random_db(7, n_users=80, n_items=15)
    sp = split(db, "leave-one-out")
    rules = RuleRecommender().fit(sp.train)
    pop = PopularityRecommender().fit(sp.train)
    table = TableRecommender(tables(7, db.n_items, 1)[0])
    hybrid = HybridScorer([rules, table, pop], fit_on=sp, exclude_seen=True)
    res = evaluate({"rules": rules, "table": table, "pop": pop, "hybrid": hybrid}, sp,
                   k=[10], on="valid", exclude_seen=True)["NDCG@10"]
    assert res["hybrid"] == pytest.approx(hybrid.fit_info["objective"], abs=1e-12)
    for name in ("rules", "table", "pop"):
        assert res["hybrid"] >= res[name]
    assert hybrid.fit_info["single"]["rules"] == pytest.approx(res["rules"], abs=1e-12)


# --- no leakage -----------------------------------------------------------------------------

def _with_new_test_items(db, seed):
    """The same database with every user's last event (the test target) replaced."""
    rng = np.random.default_rng(seed)
    seqs = []
    a = db.arrays
    ids = db.codebook.decode_list(np.arange(db.n_items))
    for s in range(len(db)):
        events = [ids[a.items[a.evt_ptr[e]]] for e in range(a.seq_ptr[s], a.seq_ptr[s + 1])]
        if len(events) >= 3:
            events[-1] = ids[int(rng.integers(db.n_items))]
        seqs.append(events)
    return seqmine.SequenceDatabase.from_sequences(seqs)


def test_weights_and_rules_ignore_test_items():
    db = random_db(11, n_users=60, n_items=10)
    changed = _with_new_test_items(db, 1)
    assert changed.codebook == db.codebook
    out = []
    for d in (db, changed):
        sp = split(d, "leave-one-out")
        rules = RuleRecommender().fit(sp.train)
        pop = PopularityRecommender().fit(sp.train)
        table = TableRecommender(tables(11, d.n_items, 1)[0])
        hybrid = HybridScorer([rules, table, pop], fit_on=sp, resolution=10)
        out.append((hybrid.weights, hybrid.validation_, rules.rules_.to_pandas()))
    assert not np.array_equal(split(db, "leave-one-out").test.target_items,
                              split(changed, "leave-one-out").test.target_items)
    np.testing.assert_array_equal(out[0][0], out[1][0])
    assert out[0][1].equals(out[1][1])
    assert out[0][2].equals(out[1][2])


def test_fit_uses_the_validation_set_given():
    db = random_db(12, n_users=60)
    sp = split(db, "leave-one-out")
    comps = [TableRecommender(t) for t in tables(12, db.n_items, 2)]
    by_split = HybridScorer(comps, fit_on=sp)
    by_valid = HybridScorer(comps, fit_on=sp.valid)
    assert by_split.validation_.equals(by_valid.validation_)
    assert by_split.fit_info["instances"] == len(sp.valid)
    sample = HybridScorer(comps, fit_on=sp.valid, max_instances=10)
    assert sample.fit_info["instances"] == 10


# --- explanations ---------------------------------------------------------------------------

@pytest.fixture(scope="module", params=["sum", "zscore"])
def fitted(request):
    """Rules (normalised by ``request.param``), a z-scored table and popularity."""
    db = random_db(21, n_users=80, n_items=15, itemsets=True)
    sp = split(db, "leave-one-out")
    rules = RuleRecommender(window=3, last=4).fit(sp.train)
    pop = PopularityRecommender().fit(sp.train)
    table = TableRecommender(tables(21, db.n_items, 1)[0])
    hybrid = HybridScorer({"rules": rules, "seq": table, "pop": pop}, fit_on=sp,
                          normalize={"rules": request.param})
    assert hybrid.normalize == (request.param, "zscore", "sum")
    assert hybrid.weights[0] > 0  # the rules take part (else the explanation test is idle)
    return sp, hybrid


@settings(max_examples=25)
@given(index=st.integers(0, 60), k=st.integers(1, 15), exclude_seen=st.booleans())
def test_explanations_add_up(fitted, index, k, exclude_seen):
    sp, hybrid = fitted
    index %= len(sp.test)
    hist = sp.test.histories(np.array([index]))
    top = hybrid.recommend(hist, k, exclude_seen)
    (exp,) = hybrid.recommend(hist, k, exclude_seen, explain=True)
    valid = top.items[0] >= 0
    np.testing.assert_array_equal(exp.items, top.items[0][valid])
    np.testing.assert_array_equal(exp.scores.astype(np.float32), top.scores[0][valid])
    # the components' contributions add up, in order, to the blended score exactly
    total = np.zeros(len(exp.items))
    for c in range(len(exp.components)):
        total = total + exp.contributions[:, c]
    np.testing.assert_array_equal(total, exp.scores)
    # the listed rules are exactly those RuleRecommender lists, and they add up to the rule
    # component
    rules = hybrid.components[0]
    own = rules.explain(hist, items=exp.items).rules
    assert list(exp.rules["rule"]) == list(own["rule"])
    assert list(exp.rules["item"]) == list(own["item"])
    for r, item in enumerate(exp.items):
        mine = exp.rules[exp.rules["rank"] == r]
        assert mine["hybrid_contribution"].sum() == pytest.approx(exp.contributions[r, 0],
                                                                 rel=1e-6, abs=1e-9)
        assert (len(mine) == 0) == (rules.score(hist)[0, item] == 0)
    frame = exp.to_pandas()
    assert list(frame.columns) == ["rank", "item", "item_id", "score", "rules", "seq", "pop",
                                   "n_rules"]
    assert frame["item_id"].tolist() == hybrid.codebook.decode_list(exp.items)


def test_contributions_follow_the_weights(fitted):
    sp, hybrid = fitted
    hist = sp.test.histories(np.array([0]))
    only_seq = HybridScorer(dict(zip(hybrid.names, hybrid.components, strict=True)),
                            weights={"seq": 1.0})
    (exp,) = only_seq.recommend(hist, 5, explain=True)
    assert np.all(exp.contributions[:, [0, 2]] == 0)
    assert (exp.rules["hybrid_contribution"] == 0).all()


# --- persistence ----------------------------------------------------------------------------

def test_save_load_same_scores(fitted, tmp_path):
    sp, hybrid = fitted
    comps = dict(zip(hybrid.names, hybrid.components, strict=True))
    saveable = HybridScorer({"rules": comps["rules"], "pop": comps["pop"]}, fit_on=sp)
    folder = saveable.save(tmp_path / "hybrid")
    config = json.loads((folder / "config.json").read_text())
    assert config["format"] == "seqmine-hybrid"
    assert [c["kind"] for c in config["components"]] == ["rules", "popularity"]
    again = load(folder)
    assert again.names == saveable.names
    assert again.normalize == saveable.normalize == ("sum", "sum")
    np.testing.assert_array_equal(again.weights, saveable.weights)
    assert again.codebook == saveable.codebook
    assert again.fit_info == saveable.fit_info
    hist = sp.test.histories()
    np.testing.assert_array_equal(again.score(hist), saveable.score(hist))
    assert isinstance(load_recommender(folder), HybridScorer)
    comps["rules"].to_parquet(tmp_path / "rules.parquet")
    assert isinstance(load_recommender(tmp_path / "rules.parquet"), RuleRecommender)
    with pytest.raises(InputError, match="cannot save a component"):
        hybrid.save(tmp_path / "other")  # the table recommender has no saved form


def test_save_load_with_neural(tmp_path):
    pytest.importorskip("torch")
    from seqmine.neural import NeuralRecommender, train
    db = random_db(31, n_users=40, n_items=12)
    sp = split(db, "leave-one-out")
    model = train(sp, "gru", max_len=6, dim=8, layers=1, epochs=2, lr=0.01, threads=1,
                  progress=False, device="cpu")
    rules = RuleRecommender().fit(sp.train)
    hybrid = HybridScorer([rules, model], fit_on=sp, resolution=4)
    folder = hybrid.save(tmp_path / "h")
    again = load(folder)
    assert isinstance(again.components[1], NeuralRecommender)
    assert again.normalize == hybrid.normalize == ("sum", "softmax")
    hist = sp.test.histories()
    np.testing.assert_array_equal(again.score(hist), hybrid.score(hist))
    assert isinstance(load_recommender(tmp_path / "h" / "components" / "1-gru"),
                      NeuralRecommender)


# --- errors ---------------------------------------------------------------------------------

def test_errors(fitted):
    sp, hybrid = fitted
    comps = list(hybrid.components)
    with pytest.raises(InputError, match="either fit_on"):
        HybridScorer(comps)
    with pytest.raises(InputError, match="either fit_on"):
        HybridScorer(comps, fit_on=sp, weights=[1, 1, 1])
    with pytest.raises(InputError, match="one weight per component"):
        HybridScorer(comps, weights=[1, 1])
    with pytest.raises(InputError, match=">= 0"):
        HybridScorer(comps, weights=[1, -1, 1])
    with pytest.raises(InputError, match="unknown components"):
        HybridScorer({"a": comps[0]}, weights={"b": 1.0})
    with pytest.raises(InputError, match="different catalogues"):
        HybridScorer([comps[0], TableRecommender(np.zeros((3, 3)))], weights=[1, 1])
    with pytest.raises(InputError, match="not a recommender"):
        HybridScorer([comps[0], object()], weights=[1, 1])
    with pytest.raises(InputError, match="a softmax"):
        HybridScorer(comps, weights=[1, 1, 1], normalize={"rules": "softmax"})
    with pytest.raises(InputError, match="normalize names unknown"):
        HybridScorer(comps, weights=[1, 1, 1], normalize={"other": "sum"})
    with pytest.raises(InputError, match="must be one of"):
        HybridScorer(comps, weights=[1, 1, 1], normalize={"table": "rank"})
    negative = HybridScorer(comps, weights=[1, 1, 1], normalize={"table": "sum"})
    with pytest.raises(InputError, match=r"component .table.: normalisation 'sum' needs"):
        negative.score(sp.test.histories())
    with pytest.raises(InputError, match="metric"):
        HybridScorer(comps, fit_on=sp, metric="AUC")
    with pytest.raises(InputError, match="fit_on must be"):
        HybridScorer(comps, fit_on=sp.train)
    with pytest.raises(InputError, match="one history"):
        hybrid.explain(sp.test.histories(np.arange(2)))
    two = HybridScorer([comps[0], comps[0]], weights=[1, 3])
    assert two.names == ("rules", "rules-2")
    np.testing.assert_allclose(two.weights, [0.25, 0.75])
