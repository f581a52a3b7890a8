"""Metrics and the ranking protocol against textbook definitions (tests/reference)."""

import math

import numpy as np
import pytest
from reference import metrics_naive as naive

import seqmine
from seqmine.data.split import EvalSet, split
from seqmine.errors import InputError
from seqmine.evaluate import coverage, evaluate, hit_rate, mrr, ndcg, rank_targets, recall
from seqmine.evaluate.protocol import format_table
from seqmine.recommend import (
    PopularityRecommender,
    Recommender,
    RecommenderBase,
    as_histories,
    history_items,
    top_k,
)

# --- metric functions on hand-made rank lists --------------------------------------------


def test_single_target_hand_made():
    ranks = np.array([0, 1, 4, 9, 10, 1000])
    assert hit_rate(ranks, 10) == pytest.approx(4 / 6)
    assert recall(ranks, 10) == pytest.approx(4 / 6)
    assert mrr(ranks, 10) == pytest.approx((1 + 1 / 2 + 1 / 5 + 1 / 10) / 6)
    expected = (1 + 1 / math.log2(3) + 1 / math.log2(6) + 1 / math.log2(11)) / 6
    assert ndcg(ranks, 10) == pytest.approx(expected)
    assert hit_rate(ranks, 1) == pytest.approx(1 / 6)
    assert ndcg(ranks, 1) == pytest.approx(1 / 6)
    per_user = ndcg(ranks, 5, per_user=True)
    np.testing.assert_allclose(per_user, [1, 1 / math.log2(3), 1 / math.log2(6), 0, 0, 0])


def test_multi_target_hand_made():
    # user 0: targets at 1-based positions 1 and 4; user 1: one target at position 6
    ranks = np.array([0, 3, 5])
    ptr = np.array([0, 2, 3])
    assert hit_rate(ranks, 5, ptr) == pytest.approx(0.5)
    assert recall(ranks, 5, ptr) == pytest.approx(0.5)
    assert recall(ranks, 2, ptr) == pytest.approx(0.25)
    assert mrr(ranks, 5, ptr) == pytest.approx(0.5)
    dcg0 = 1 + 1 / math.log2(5)
    idcg0 = 1 + 1 / math.log2(3)
    assert ndcg(ranks, 5, ptr) == pytest.approx(dcg0 / idcg0 / 2)
    assert ndcg(ranks, 1, ptr) == pytest.approx(0.5)  # ideal list of length 1
    assert ndcg(ranks, 10, ptr, per_user=True)[1] == pytest.approx(1 / math.log2(7))


def test_metric_functions_match_naive_lists():
    rng = np.random.default_rng(1)
    n_items = 30
    lists, relevant, ranks, ptr = [], [], [], [0]
    for _ in range(200):
        ranked = list(rng.permutation(n_items))
        rel = set(rng.choice(n_items, size=int(rng.integers(1, 4)), replace=False).tolist())
        lists.append(ranked)
        relevant.append(rel)
        ranks.extend(ranked.index(t) for t in sorted(rel))
        ptr.append(len(ranks))
    ranks, ptr = np.array(ranks), np.array(ptr)
    for k in (1, 3, 10, 30):
        pairs = list(zip(lists, relevant))
        assert hit_rate(ranks, k, ptr) == pytest.approx(naive.mean(naive.hit_rate(a, b, k)
                                                                   for a, b in pairs))
        assert recall(ranks, k, ptr) == pytest.approx(naive.mean(naive.recall(a, b, k)
                                                                 for a, b in pairs))
        assert mrr(ranks, k, ptr) == pytest.approx(naive.mean(naive.mrr(a, b, k)
                                                              for a, b in pairs))
        assert ndcg(ranks, k, ptr) == pytest.approx(naive.mean(naive.ndcg(a, b, k)
                                                               for a, b in pairs))


def test_coverage_hand_made():
    top = np.array([[0, 1, 2], [0, 3, -1]])
    assert coverage(top, 10) == pytest.approx(4 / 10)
    assert coverage(top, 10, k=1) == pytest.approx(1 / 10)
    assert coverage(top, 10, k=2) == pytest.approx(3 / 10)


@pytest.mark.parametrize("bad", [
    dict(ranks=np.array([-1]), k=1),
    dict(ranks=np.array([0]), k=0),
    dict(ranks=np.array([0, 1]), k=1, ptr=np.array([0, 2, 2])),
    dict(ranks=np.array([0, 1]), k=1, ptr=np.array([0, 1])),
])
def test_metric_input_errors(bad):
    with pytest.raises(InputError):
        hit_rate(bad["ranks"], bad["k"], bad.get("ptr"))


# --- the protocol against naive ranked lists ---------------------------------------------

class HashScores(RecommenderBase):
    """Scores that depend only on the history (so batching cannot change them), quantised
    to a few levels so that ties happen often."""

    name = "hash"

    def __init__(self, n_items, levels=4):
        self._n = n_items
        self.levels = levels

    @property
    def n_items(self):
        return self._n

    def vector(self, items):
        seed = abs(hash(tuple(int(i) for i in items))) % (2 ** 32)
        return np.random.default_rng(seed).integers(0, self.levels, self._n).astype(np.float32)

    def score(self, histories):
        ptr, items = history_items(histories)
        return np.stack([self.vector(items[ptr[b]:ptr[b + 1]]) for b in range(len(ptr) - 1)])


def toy_db(seed=0, n_seq=40, n_items=12, itemsets=True):
    rng = np.random.default_rng(seed)
    seqs = []
    for _ in range(n_seq):
        length = int(rng.integers(1, 7))
        seq = []
        for _ in range(length):
            size = int(rng.integers(1, 3)) if itemsets else 1
            event = sorted(set(rng.integers(0, n_items, size).tolist()))
            seq.append(event if len(event) > 1 else event[0])
        seqs.append(seq)
    seqs.append(list(range(n_items)))  # every item appears
    return seqmine.SequenceDatabase.from_sequences(seqs)


@pytest.mark.parametrize("exclude_seen", [False, True])
def test_evaluate_equals_naive_definitions(exclude_seen):
    db = toy_db()
    sp = split(db)
    rec = HashScores(db.n_items)
    ks = [1, 3, 5]
    table = evaluate(rec, sp, k=ks, exclude_seen=exclude_seen, batch_size=7)
    test = sp.test
    hist = test.histories()
    hptr, hitems = history_items(hist)
    tptr, titems = test.targets()
    lists, rel = [], []
    for i in range(len(test)):
        h = hitems[hptr[i]:hptr[i + 1]].tolist()
        scores = rec.vector(h).tolist()
        lists.append(naive.ranked_list(scores, exclude=set(h) if exclude_seen else ()))
        rel.append(set(titems[tptr[i]:tptr[i + 1]].tolist()))
    for k in ks:
        row = table.iloc[0]
        pairs = list(zip(lists, rel))
        assert row[f"HR@{k}"] == pytest.approx(naive.mean(naive.hit_rate(a, b, k)
                                                          for a, b in pairs))
        assert row[f"NDCG@{k}"] == pytest.approx(naive.mean(naive.ndcg(a, b, k)
                                                            for a, b in pairs))
        assert row[f"MRR@{k}"] == pytest.approx(naive.mean(naive.mrr(a, b, k)
                                                          for a, b in pairs))
        assert row[f"Recall@{k}"] == pytest.approx(naive.mean(naive.recall(a, b, k)
                                                              for a, b in pairs))
        assert row[f"Coverage@{k}"] == pytest.approx(naive.coverage(lists, db.n_items, k))
    assert table.iloc[0]["mode"] == "full"
    assert bool(table.iloc[0]["exclude_seen"]) is exclude_seen


def test_hit_rate_is_target_in_recommend_list():
    db = toy_db(seed=3, itemsets=False)
    sp = split(db)
    rec = HashScores(db.n_items, levels=2)  # many ties
    ranking = rank_targets(rec, sp.test, top=5)
    top = rec.recommend(sp.test.histories(), 5)
    _, targets = sp.test.targets()
    in_list = (top.items == targets[:, None]).any(axis=1)
    np.testing.assert_array_equal(ranking.ranks < 5, in_list)


def test_pessimistic_ties():
    db = seqmine.SequenceDatabase.from_sequences([[0, 1, 2], [1, 2, 3], [0, 1, 2, 3, 4]])
    sp = split(db)

    class Flat(RecommenderBase):
        n_items = 5

        def score(self, histories):
            return np.zeros((len(histories.seq_ptr) - 1, 5), np.float32)

    optimistic = rank_targets(Flat(), sp.test).ranks
    pessimistic = rank_targets(Flat(), sp.test, ties="pessimistic").ranks
    _, targets = sp.test.targets()
    np.testing.assert_array_equal(optimistic, targets)  # item order: code = position
    np.testing.assert_array_equal(pessimistic, [4, 4, 4])


class CodeScores(RecommenderBase):
    """Score = item code: the rank of a target among candidates is easy to count."""

    def __init__(self, n):
        self._n = n

    @property
    def n_items(self):
        return self._n

    def score(self, histories):
        return np.tile(np.arange(self._n, dtype=np.float32), (len(histories.seq_ptr) - 1, 1))


def test_sampled_100_is_labelled_and_counts_negatives():
    n_items = 300
    rng = np.random.default_rng(0)
    seqs = [rng.choice(n_items, size=6, replace=False).tolist() for _ in range(50)]
    seqs.append(list(range(n_items)))
    db = seqmine.SequenceDatabase.from_sequences(seqs)
    sp = split(db)
    rec = CodeScores(n_items)
    table = evaluate(rec, sp, k=[10], mode="sampled-100")
    assert "HR@10[sampled-100]" in table.columns and "HR@10" not in table.columns
    assert table.iloc[0]["mode"] == "sampled-100"
    assert "SAMPLED" in table.attrs["protocol"] and "SAMPLED" in format_table(table)
    from seqmine.evaluate.protocol import _negatives
    neg = _negatives(sp.test, n_items, seed=0)
    ranking = rank_targets(rec, sp.test, mode="sampled-100", seed=0)
    hptr, hitems = history_items(sp.test.histories())
    _, targets = sp.test.targets()
    for i in range(len(sp.test)):
        row = neg[i][neg[i] >= 0]
        forbidden = set(hitems[hptr[i]:hptr[i + 1]].tolist()) | {int(targets[i])}
        assert len(set(row.tolist())) == len(row)  # distinct
        assert not forbidden & set(row.tolist())
        assert len(row) == min(100, n_items - len(forbidden))
        assert ranking.ranks[i] == int((row > targets[i]).sum())
    # independent of batch size
    again = rank_targets(rec, sp.test, mode="sampled-100", seed=0, batch_size=3)
    np.testing.assert_array_equal(ranking.ranks, again.ranks)


def test_recommend_only_objects_are_accepted():
    db = toy_db(seed=5, itemsets=False)
    sp = split(db)
    full = HashScores(db.n_items)

    class OnlyRecommend:
        n_items = db.n_items

        def recommend(self, histories, k, exclude_seen=False):
            return full.recommend(histories, k, exclude_seen=exclude_seen)

    a = evaluate(full, sp, k=[1, 3])
    b = evaluate(OnlyRecommend(), sp, k=[1, 3])
    for col in ("HR@1", "HR@3", "NDCG@3", "MRR@3", "Coverage@3"):
        assert a.iloc[0][col] == pytest.approx(b.iloc[0][col])
    with pytest.raises(InputError, match="sampled"):
        evaluate(OnlyRecommend(), sp, mode="sampled-100")


def test_evaluate_many_and_errors():
    db = toy_db(seed=2, itemsets=False)
    sp = split(db)
    pop = PopularityRecommender().fit(sp.train)
    table = evaluate({"pop": pop, "hash": HashScores(db.n_items)}, sp, k=10)
    assert list(table.index) == ["pop", "hash"]
    assert set(table["instances"]) == {len(sp.test)}
    assert evaluate(pop, sp.valid, k=1).iloc[0]["on"] == "given"
    with pytest.raises(InputError):
        evaluate(pop, sp, mode="sampled-50")
    with pytest.raises(InputError):
        evaluate(pop, sp, k=[0])
    with pytest.raises(InputError):
        evaluate(pop, sp, on="train")
    with pytest.raises(InputError, match="catalogue"):
        evaluate(HashScores(db.n_items + 1), sp)

    class NaNScores(HashScores):
        def score(self, histories):
            out = super().score(histories)
            out[0, 0] = np.nan
            return out

    with pytest.raises(InputError, match="NaN"):
        evaluate(NaNScores(db.n_items), sp)


# --- top-k, histories, popularity --------------------------------------------------------

def test_top_k_equals_stable_sort():
    rng = np.random.default_rng(4)
    scores = rng.integers(0, 5, size=(50, 40)).astype(np.float32)
    for k in (1, 7, 40, 45):
        got = top_k(scores, k)
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        np.testing.assert_array_equal(got.items[:, :min(k, 40)], order)
        if k > 40:
            assert (got.items[:, 40:] == -1).all()


def test_top_k_drops_minus_inf():
    scores = np.array([[1.0, -np.inf, 0.5]], np.float32)
    got = top_k(scores, 3)
    assert got.items.tolist() == [[0, 2, -1]]


def test_as_histories_forms():
    one = as_histories([3, 1, 2])
    assert one.seq_ptr.tolist() == [0, 3] and one.items.tolist() == [3, 1, 2]
    batch = as_histories([[1, [2, 0]], [4]])
    assert batch.seq_ptr.tolist() == [0, 2, 3]
    assert batch.evt_ptr.tolist() == [0, 1, 3, 4]
    assert batch.items.tolist() == [1, 0, 2, 4]
    assert as_histories(np.array([5, 6])).items.tolist() == [5, 6]
    with pytest.raises(InputError):
        as_histories("1,2")
    with pytest.raises(InputError):
        as_histories([[-1]])


def test_popularity_recommender():
    db = seqmine.SequenceDatabase.from_sequences([[0, 1, 1], [1, 2], [1, 2, 2]])
    pop = PopularityRecommender().fit(db)
    np.testing.assert_array_equal(pop.counts, [1, 4, 3])
    assert isinstance(pop, Recommender)
    top = pop.recommend([[0], [1, 2]], 2)
    assert top.items.tolist() == [[1, 2], [1, 2]]
    top = pop.recommend([[0], [1, 2]], 2, exclude_seen=True)
    assert top.items.tolist() == [[1, 2], [0, -1]]
    by_seq = PopularityRecommender(by="sequences").fit(db)
    np.testing.assert_array_equal(by_seq.counts, [1, 3, 2])
    with pytest.raises(InputError):
        PopularityRecommender().n_items


def test_evalset_subset_and_sample():
    db = toy_db(seed=6)
    sp = split(db)
    sub = sp.test.sample(5, seed=1)
    assert isinstance(sub, EvalSet) and len(sub) == 5
    idx = np.searchsorted(sp.test.hist_stop, sub.hist_stop)
    a, b = sp.test.targets(idx), sub.targets()
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_decode_topk_and_slices():
    from seqmine.recommend import decode_topk, slice_histories
    db = seqmine.SequenceDatabase.from_sequences([["b", "a"], ["c"]])
    top = top_k(np.array([[0.0, 2.0, 1.0], [1.0, -np.inf, -np.inf]], np.float32), 2)
    assert decode_topk(top, db.codebook) == [["b", "c"], ["a"]]
    h = as_histories([[1, 2], [3], [4, [5, 6]]])
    part = slice_histories(h, 1, 3)
    assert part.seq_ptr.tolist() == [0, 1, 3] and part.items.tolist() == [3, 4, 5, 6]
