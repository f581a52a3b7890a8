"""Mined rules and patterns as ranker features: rule scores equal RuleRecommender's at every
position, pattern ids equal a brute-force matcher, both variants are causal, the rule
feature carries signal the plain model lacks, saved models reload with identical scores,
and features mined on more than split.train are refused."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import seqmine  # noqa: E402
from seqmine.data.split import split  # noqa: E402
from seqmine.errors import InputError  # noqa: E402
from seqmine.evaluate import evaluate  # noqa: E402
from seqmine.neural import MinedFeatures, PatternFeatures, build_features, load, train  # noqa: E402
from seqmine.neural.data import training_windows  # noqa: E402
from seqmine.neural.features import RuleLogits  # noqa: E402
from seqmine.neural.models import AttentionRanker  # noqa: E402

SMALL = dict(max_len=12, dim=16, layers=1, dropout=0.0, progress=False, threads=1,
             batch_size=8)


def random_db(seed, n_seq=30, n_items=12, max_len=14):
    rng = np.random.default_rng(seed)
    seqs = [rng.integers(0, n_items, rng.integers(2, max_len)).tolist() for _ in range(n_seq)]
    return seqmine.SequenceDatabase.from_sequences(seqs)


def positions(tokens):
    """Every (row, t) with a real token, and the history (item codes) it ends."""
    rows, ts = np.nonzero(tokens)
    hist = [[int(x) - 1 for x in tokens[r, :t + 1] if x] for r, t in zip(rows, ts, strict=True)]
    return rows, ts, hist


def rule_scores(features, tokens):
    pre = features.prepare_tensors(tokens, torch.device("cpu"))
    _, logits = features(torch.from_numpy(tokens), pre)
    return logits.scores().numpy()


@pytest.mark.parametrize(("seed", "params"), [
    (0, {}),
    (1, {"last": 3, "recency": 2.0, "normalize": 0.5, "shrinkage": 5.0}),
    (2, {"last": 20, "recency": 0.0, "backward": 0.3, "window": 4, "decay": 0.5}),
    (3, {"last": 1, "normalize": 0.0, "min_count": 2}),
])
def test_rule_scores_equal_recommender_at_every_position(seed, params):
    db = random_db(seed)
    rec = seqmine.RuleRecommender(**params).fit(db)
    features = build_features(MinedFeatures(rec, top_k=None), n_items=db.n_items, dim=8)
    tokens = training_windows(db, 16)[:, :-1]
    rows, ts, hist = positions(tokens)
    got = rule_scores(features, tokens)[rows, ts]
    np.testing.assert_allclose(got, rec.score(hist), rtol=1e-5, atol=1e-7)
    assert (got > 0).any()
    # top_k is RuleRecommender's max_rules_per_item
    truncated = build_features(MinedFeatures(rec, top_k=2), n_items=db.n_items, dim=8)
    rec.set_params(max_rules_per_item=2)
    np.testing.assert_allclose(rule_scores(truncated, tokens)[rows, ts], rec.score(hist),
                               rtol=1e-5, atol=1e-7)


def test_mined_rules_with_long_antecedents_equal_recommender():
    db = random_db(4, n_seq=40, n_items=6)
    ruleset = seqmine.rules(seqmine.mine(db, 4, max_length=3), kind="next-item")
    assert (ruleset.antecedent_length >= 2).any()
    for rec in (seqmine.RuleRecommender.from_rules(ruleset),
                seqmine.RuleRecommender.from_rules(ruleset, last=2, recency=1.5,
                                                   shrinkage=3.0)):
        features = build_features(MinedFeatures(rec, top_k=None), n_items=db.n_items, dim=8)
        tokens = training_windows(db, 16)[:, :-1]  # whole sequences: windows hold them
        rows, ts, hist = positions(tokens)
        np.testing.assert_allclose(rule_scores(features, tokens)[rows, ts], rec.score(hist),
                                   rtol=1e-5, atol=1e-7)
    # a RuleSet is scored as RuleRecommender.from_rules does by default
    direct = build_features(MinedFeatures(ruleset, top_k=None), n_items=db.n_items, dim=8)
    np.testing.assert_allclose(rule_scores(direct, tokens)[rows, ts],
                               seqmine.RuleRecommender.from_rules(ruleset).score(hist),
                               rtol=1e-5, atol=1e-7)


def brute_force_pattern_ids(tokens, vocab, window, per_position):
    """Ids + 1 of the patterns ending at each position, best first (longer, then lower id:
    the vocabulary is ordered by support)."""
    out = []
    for row in tokens:
        out_row = []
        for t, x in enumerate(row):
            before = [int(v) for v in row[max(0, t - window):t]]
            found = []
            for p, pat in enumerate(vocab):
                if x == 0 or pat[-1] != x:
                    continue
                it = iter(before)
                if all(any(v == want for v in it) for want in pat[:-1]):
                    found.append(p)
            found.sort(key=lambda p: (-len(vocab[p]), p))
            out_row.append([p + 1 for p in found[:per_position]])
        out.append(out_row)
    return out


@pytest.mark.parametrize(("window", "per_position"), [(3, 1), (10, 3), (1, 2)])
def test_pattern_ids_match_brute_force(window, per_position):
    db = random_db(5, n_seq=40, n_items=6)
    patterns = seqmine.mine(db, 3, max_length=4)
    features = build_features(MinedFeatures(patterns=patterns, window=window,
                                            per_position=per_position, max_patterns=60),
                              n_items=db.n_items, dim=8)
    assert features.mode == "embedding"
    ptr = features.pat_run_ptr.numpy()
    tok = features.pat_run_tok.numpy()
    vocab = [tuple(tok[ptr[p]:ptr[p + 1]]) for p in range(len(ptr) - 1)]
    # the vocabulary: patterns of length >= 2 in support order, the first max_patterns
    expected = [tuple(c + 1 for (c,) in patterns.codes(k)) for k in range(len(patterns))
                if patterns.length[k] >= 2][:60]
    assert vocab == expected
    tokens = training_windows(db, 16)[:, :-1]
    ids = features.prepare(tokens)["pattern_ids"]
    got = [[[int(v) for v in cell if v] for cell in row] for row in ids]
    assert got == brute_force_pattern_ids(tokens, vocab, window, per_position)
    assert any(cell for row in got for cell in row)


def test_rule_patterns_are_the_embedding_vocabulary_without_a_patternset():
    db = random_db(6)
    rec = seqmine.RuleRecommender(window=3).fit(db)
    features = build_features(rec, "embedding", n_items=db.n_items, dim=8)
    ptr = features.pat_run_ptr.numpy()
    tok = features.pat_run_tok.numpy()
    vocab = {tuple(tok[ptr[p]:ptr[p + 1]] - 1) for p in range(len(ptr) - 1)}
    rules = rec.rules_
    pairs = {(rules.antecedent_codes(r)[0][0], rules.consequent_codes(r)[0][0])
             for r in range(len(rules))}
    assert vocab == pairs


@pytest.mark.parametrize("mode", ["logit", "embedding", "both"])
def test_features_are_causal(mode):
    db = random_db(7, n_items=8)
    rec = seqmine.RuleRecommender(last=5).fit(db)
    features = build_features(rec, mode, n_items=db.n_items, dim=16)
    if features.uses_patterns:
        with torch.no_grad():
            features.pattern_emb.weight.normal_()
    model = AttentionRanker(db.n_items, max_len=10, dim=16, layers=1, dropout=0.0).eval()
    model.extra_logit_weight.data.fill_(1.0)
    rng = np.random.default_rng(0)
    tokens = rng.integers(1, db.n_items + 1, (6, 10))
    tokens[:, :2] = 0

    def outputs(tok):
        t = torch.from_numpy(tok)
        extra_in, extra_logits = features(t)
        return features.prepare(tok), model(t, extra_in, extra_logits).detach()

    base_pre, base = outputs(tokens)
    for s in range(2, 10):
        changed = tokens.copy()
        changed[:, s] = changed[:, s] % db.n_items + 1
        pre, out = outputs(changed)
        for key in base_pre:
            width = min(pre[key].shape[2], base_pre[key].shape[2])
            np.testing.assert_array_equal(pre[key][:, :s, :width], base_pre[key][:, :s, :width])
            assert not pre[key][:, :s, width:].any()
            assert not base_pre[key][:, :s, width:].any()
        torch.testing.assert_close(out[:, :s], base[:, :s])
        assert not torch.equal(out[:, s:], base[:, s:])


def test_pattern_embeddings_are_summed_and_scaled_like_item_embeddings():
    sp = chain_split(n_seq=20)
    patterns = seqmine.mine(sp.train, 2, max_length=3)
    features = build_features(MinedFeatures(patterns=patterns, per_position=3),
                              n_items=sp.n_items, dim=8, input_scale=3.0)
    with torch.no_grad():
        features.pattern_emb.weight[1:].normal_()
    tokens = training_windows(sp.train, 8)[:, :-1]
    ids = torch.from_numpy(features.prepare(tokens)["pattern_ids"]).long()
    assert ids.shape[2] == 3
    extra_in, extra_logits = features(torch.from_numpy(tokens))
    assert extra_logits is None
    torch.testing.assert_close(extra_in, 3.0 * features.pattern_emb.weight[ids].sum(2))
    model = train(sp, "sasrec", features=patterns, epochs=1, **SMALL)
    assert model.features.input_scale == 4.0  # sqrt(dim), as SASRec scales item embeddings
    assert model.module.extra_logit_weight.item() == 0.0  # no rules: the hook stays unused


def test_sparse_rule_logits_agree_with_dense():
    db = random_db(8)
    rec = seqmine.RuleRecommender().fit(db)
    features = build_features(rec, "logit", n_items=db.n_items, dim=8)
    tokens = training_windows(db, 10)[:, :-1]
    _, extra = features(torch.from_numpy(tokens))
    keep = torch.from_numpy(tokens != 0)
    rows = extra[keep]
    dense = rows.values()
    np.testing.assert_allclose(dense.numpy(), np.log1p(
        rows.scores().numpy() / features.rule_scale.numpy()), rtol=1e-6)
    target = torch.from_numpy(np.random.default_rng(0).integers(0, db.n_items, len(dense)))
    torch.testing.assert_close(rows.at_targets(target), dense.gather(1, target[:, None])[:, 0])
    neg = torch.tensor([3, 0, 3, 11, 5])
    torch.testing.assert_close(rows.at_columns(neg), dense[:, neg])
    logits = torch.randn(len(dense), db.n_items)
    weight = torch.tensor(0.7, requires_grad=True)
    out = rows.add_to(logits, weight)
    torch.testing.assert_close(out, logits + 0.7 * dense)
    out.sum().backward()
    torch.testing.assert_close(weight.grad, dense.sum())
    assert isinstance(extra[:, -1], RuleLogits)
    assert extra[:, -1].scores().shape == (len(tokens), db.n_items)


def chain_split(n_items=40, n_seq=60, length=9, seed=0):
    """Walks along one fixed random cycle: the next item is a function of the current one."""
    rng = np.random.default_rng(seed)
    nxt = rng.permutation(n_items)
    seqs = []
    for _ in range(n_seq):
        s = [int(rng.integers(n_items))]
        while len(s) < length:
            s.append(int(nxt[s[-1]]))
        seqs.append(s)
    return split(seqmine.SequenceDatabase.from_sequences(seqs))


def test_rule_feature_carries_the_signal():
    # 200 items, each transition seen a few times: one epoch cannot teach the network the
    # chain, the rules know it
    sp = chain_split(n_items=200, n_seq=100)
    rec = seqmine.RuleRecommender(window=1, last=1).fit(sp.train)
    kw = dict(SMALL, epochs=1, lr=1e-3, seed=0)
    plain = train(sp, "sasrec", **kw)
    with_rules = train(sp, "sasrec", features=rec, feature_mode="logit", **kw)
    hr_plain = evaluate(plain, sp.valid, k=[1]).iloc[0]["HR@1"]
    hr_rules = evaluate(with_rules, sp.valid, k=[1]).iloc[0]["HR@1"]
    hr_rules_alone = evaluate(rec, sp.valid, k=[1]).iloc[0]["HR@1"]
    assert hr_plain <= 0.05
    assert hr_rules >= max(0.8, hr_rules_alone - 0.1)
    sp = chain_split()
    rec = seqmine.RuleRecommender(window=1, last=1).fit(sp.train)
    # starting from weight 0 (the ablation), the model learns to trust the rules
    zero = train(sp, "gru", features=MinedFeatures(rec, init_weight=0.0),
                 **dict(kw, epochs=5, lr=1e-2))
    assert zero.module.extra_logit_weight.item() > 0.03
    assert zero.history[-1]["valid_NDCG@10"] > train(sp, "gru", **dict(kw, epochs=5, lr=1e-2)
                                                     ).history[-1]["valid_NDCG@10"]


@pytest.mark.parametrize(("mode", "loss"), [("both", "ce"), ("embedding", "sampled"),
                                            ("logit", "sampled")])
def test_save_load_identical_scores(tmp_path, mode, loss):
    sp = chain_split(n_seq=20)
    rec = seqmine.RuleRecommender().fit(sp.train)
    patterns = seqmine.mine(sp.train, 3, max_length=3)
    source = (rec, patterns) if mode != "logit" else rec
    model = train(sp, "gru", features=source, feature_mode=mode, epochs=2, lr=1e-2,
                  loss=loss, negatives=8, **{k: v for k, v in SMALL.items() if k != "layers"})
    assert isinstance(model.features, PatternFeatures)
    assert model.features.mode == mode
    if mode != "logit":
        assert model.features.pattern_emb.weight.abs().sum() > 0  # the embeddings trained
    hist = [[1, 2, 3], [4], list(range(15))]
    folder = model.save(tmp_path / "m")
    again = load(folder)
    assert isinstance(again.features, PatternFeatures)
    np.testing.assert_array_equal(again.score(hist), model.score(hist))
    assert again.features.checksum() == model.features.checksum()


def test_resume_with_features_continues_exactly(tmp_path):
    sp = chain_split(n_seq=20)
    rec = seqmine.RuleRecommender().fit(sp.train)
    kw = dict(SMALL, features=rec, feature_mode="both", lr=1e-2, seed=3)
    straight = train(sp, "gru", epochs=3, **kw)
    train(sp, "gru", epochs=2, checkpoint_dir=tmp_path, **kw)
    resumed = train(sp, "gru", epochs=3, checkpoint_dir=tmp_path, **kw)
    hist = [[1, 2, 3], [5, 6]]
    np.testing.assert_array_equal(resumed.score(hist), straight.score(hist))
    other = seqmine.RuleRecommender(last=2).fit(sp.train)
    with pytest.raises(InputError, match="other settings"):
        train(sp, "gru", epochs=3, checkpoint_dir=tmp_path, **dict(kw, features=other))


def test_features_come_from_the_training_split_only():
    # item 99 occurs once, as the test target of the first user: no training event holds it
    seqs = [[1, 2, 3, 4, 99]] + [[1, 2, 3, 4, 5, 6]] * 5 + [[4, 99 - 1, 2, 5]] * 3
    db = seqmine.SequenceDatabase.from_sequences(seqs)
    sp = split(db)
    code = int(db.codebook.code_of([99])[0])
    assert code not in sp.train.arrays.items
    rec = seqmine.RuleRecommender().fit(sp.train)
    features = build_features(rec, "logit", n_items=db.n_items, dim=8)
    test_hist = sp.test.histories(slice(0, 1))
    tokens = np.array([[c + 1 for c in test_hist.items]])
    scores = rule_scores(features, tokens)
    assert scores[0, -1, code] == 0.0  # the transition 4 => 99 was never seen in training
    assert scores[0, -1].sum() > 0
    leaky = seqmine.RuleRecommender().fit(db)
    with pytest.raises(InputError, match=r"split\.train"):
        train(sp, "gru", features=leaky, epochs=1, **SMALL)


def test_feature_input_errors():
    sp = chain_split(n_seq=10)
    rec = seqmine.RuleRecommender().fit(sp.train)
    patterns = seqmine.mine(sp.train, 2, max_length=2)
    kw = dict(SMALL, epochs=1)
    with pytest.raises(InputError, match="feature_mode"):
        train(sp, "gru", features=rec, feature_mode="logits", **kw)
    with pytest.raises(InputError, match="needs rules"):
        train(sp, "gru", features=patterns, feature_mode="logit", **kw)
    with pytest.raises(InputError, match="custom module"):
        train(sp, "gru", features=torch.nn.Identity(), feature_mode="logit", **kw)
    with pytest.raises(InputError, match="features must be"):
        train(sp, "gru", features=(rec, rec), **kw)
    with pytest.raises(InputError, match="codebook"):
        train(sp, "gru", features=seqmine.RuleRecommender().fit(random_db(0)), **kw)
    with pytest.raises(InputError, match="disagrees"):
        train(sp, "gru", features=MinedFeatures(rec, mode="logit"), feature_mode="both", **kw)
    with pytest.raises(InputError, match="per_position"):
        MinedFeatures.of(MinedFeatures(rec, per_position=0))
    with pytest.raises(InputError, match="model size"):
        train(sp, "gru", features=build_features(rec, n_items=sp.n_items, dim=4), **kw)
