"""Model shapes, causality, padding, the pattern-feature hooks, and the NumPy input pipeline."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import seqmine  # noqa: E402
from seqmine.neural.data import history_windows, left_padded, training_windows  # noqa: E402
from seqmine.neural.models import (  # noqa: E402
    AttentionRanker,
    RecurrentRanker,
    build_model,
)
from seqmine.neural.predict import NeuralRecommender  # noqa: E402
from seqmine.recommend import as_histories  # noqa: E402

N_ITEMS = 23
MAX_LEN = 12


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def make(kind, seed=0, **kw):
    torch.manual_seed(seed)
    cfg = {"model": kind, "n_items": N_ITEMS, "max_len": MAX_LEN, "dim": 16, "layers": 2,
           "dropout": 0.3}
    if kind == "sasrec":
        cfg.update(heads=2, attn_dropout=0.1)
    cfg.update(kw)
    return build_model(cfg).eval()


def tokens(batch=4, pad=(0, 3, 5, 11), seed=0):
    g = torch.Generator().manual_seed(seed)
    t = torch.randint(1, N_ITEMS + 1, (batch, MAX_LEN), generator=g)
    for b, p in enumerate(pad[:batch]):
        t[b, :p] = 0
    return t


KINDS = ["sasrec", "gru", "lstm"]


@pytest.mark.parametrize("kind", KINDS)
def test_shapes_and_no_padding_column(kind):
    m = make(kind)
    out = m(tokens())
    assert out.shape == (4, MAX_LEN, N_ITEMS)  # one column per item: padding has none
    rec = NeuralRecommender(m)
    scores = rec.score([[0, 1, 2], [5]])
    assert scores.shape == (2, N_ITEMS) and scores.dtype == np.float32
    top = rec.recommend([[0, 1, 2], [5]], k=N_ITEMS)
    assert sorted(top.items[0].tolist()) == list(range(N_ITEMS))
    with pytest.raises(seqmine.InputError, match="catalogue"):
        rec.score([[N_ITEMS]])  # a code past the catalogue (e.g. a raw id) is refused


@pytest.mark.parametrize("kind", KINDS)
def test_causality(kind):
    """Changing the item at position t never changes the outputs at positions < t."""
    m = make(kind)
    base = tokens(pad=(0, 2, 4, 6))
    with torch.no_grad():
        ref = m(base)
        for t in (3, 7, MAX_LEN - 1):
            changed = base.clone()
            changed[:, t] = (changed[:, t] % N_ITEMS) + 1
            changed[base[:, t] == 0, t] = 0  # keep padding where it was
            out = m(changed)
            torch.testing.assert_close(out[:, :t], ref[:, :t], rtol=0, atol=0)
            assert not torch.equal(out[:, t:], ref[:, t:])


@pytest.mark.parametrize("kind", KINDS)
def test_padding_is_never_read(kind):
    """Outputs at real positions ignore the padding: a non-zero padding embedding and a
    wider window give the same result."""
    m = make(kind)
    t = tokens(pad=(2, 5, 7, 9))
    real = t != 0
    with torch.no_grad():
        ref = m.encode(t)
        m.item_emb.weight[0].normal_()
        poisoned = m.encode(t)
        torch.testing.assert_close(poisoned[real], ref[real], rtol=1e-5, atol=1e-5)
        assert torch.all(poisoned[~real] == 0)
        m.item_emb.weight[0].zero_()
        narrow = m.encode(t[1:, 5:])  # drop five padding columns (rows have >= 5)
        torch.testing.assert_close(narrow, ref[1:, 5:], rtol=1e-5, atol=1e-5)


def test_history_scores_do_not_depend_on_batch_neighbours():
    m = make("sasrec")
    rec = NeuralRecommender(m)
    alone = rec.score([[3, 4, 5]])
    mixed = rec.score([[1] * 20, [3, 4, 5], []])
    np.testing.assert_allclose(mixed[1], alone[0], rtol=1e-5, atol=1e-5)
    assert np.isfinite(mixed).all()


@pytest.mark.parametrize("kind", KINDS)
def test_extra_logit_hook(kind):
    m = make(kind)
    t = tokens()
    extra = torch.randn(4, MAX_LEN, N_ITEMS)
    with torch.no_grad():
        base = m(t)
        assert torch.equal(m(t, extra_logits=extra), base)  # weight starts at 0 (ablation)
        m.extra_logit_weight.fill_(0.5)
        torch.testing.assert_close(m(t, extra_logits=extra), base + 0.5 * extra)
    m.train()
    m.extra_logit_weight.data.zero_()
    loss = torch.nn.functional.cross_entropy(
        m(t, extra_logits=extra)[:, -1], torch.arange(4))
    loss.backward()
    assert m.extra_logit_weight.grad is not None and m.extra_logit_weight.grad != 0


@pytest.mark.parametrize("kind", KINDS)
def test_extra_input_hook_is_causal(kind):
    m = make(kind)
    t = tokens(pad=(0, 0, 0, 0))
    with torch.no_grad():
        base = m.encode(t)
        assert torch.equal(m.encode(t, torch.zeros(4, MAX_LEN, 16)), base)
        extra = torch.zeros(4, MAX_LEN, 16)
        extra[:, 8] = torch.randn(4, 16)
        out = m.encode(t, extra)
        torch.testing.assert_close(out[:, :8], base[:, :8], rtol=0, atol=0)
        assert not torch.equal(out[:, 8:], base[:, 8:])


def test_config_round_trip_and_errors():
    for kind in KINDS:
        m = make(kind)
        again = build_model(m.config())
        again.load_state_dict(m.state_dict())
        assert again.config() == m.config()
    with pytest.raises(seqmine.InputError):
        build_model({"model": "transformer-xl", "n_items": 3, "max_len": 4, "dim": 8})
    with pytest.raises(seqmine.InputError):
        AttentionRanker(5, dim=10, heads=3)
    with pytest.raises(seqmine.InputError):
        RecurrentRanker(5, cell="rnn")
    with pytest.raises(seqmine.InputError):
        make("sasrec")(torch.ones(2, MAX_LEN + 1, dtype=torch.long))


# --- NumPy input pipeline against per-sequence Python ------------------------------------

def naive_left_pad(seq, width):
    seq = [x + 1 for x in seq][-width:]
    return [0] * (width - len(seq)) + seq


def test_history_windows_match_naive():
    rng = np.random.default_rng(0)
    hists = [rng.integers(0, 9, int(rng.integers(0, 15))).tolist() for _ in range(30)]
    got = history_windows(as_histories(hists), 6)
    assert got.tolist() == [naive_left_pad(h, 6) for h in hists]
    itemsets = as_histories([[[2, 1], 3]])
    assert history_windows(itemsets, 4).tolist() == [[0, 2, 3, 4]]


@pytest.mark.parametrize("mode", ["last", "all"])
def test_training_windows_match_naive(mode):
    rng = np.random.default_rng(1)
    seqs = [rng.integers(0, 9, int(rng.integers(1, 14))).tolist() for _ in range(25)]
    db = seqmine.SequenceDatabase.from_sequences(seqs)
    width = 5
    win = training_windows(db, width - 1, mode)
    expected = []
    for s in range(len(db)):
        flat = [e[0] for e in db.sequence_codes(s)]
        if len(flat) < 2:
            continue
        ends = [len(flat)] if mode == "last" else list(range(len(flat), 1, -(width - 1)))
        expected += [naive_left_pad(flat[max(0, e - width):e], width) for e in ends]
    assert win.tolist() == expected
    if mode == "all":
        # every transition (input item -> next item) is trained exactly once
        pairs = sum(((w[:-1] != 0) & (w[1:] != 0)).sum() for w in win)
        assert pairs == sum(max(0, len(db.sequence_codes(s)) - 1) for s in range(len(db)))


def test_left_padded_empty():
    assert left_padded(np.zeros(0, np.int32), np.array([0]), np.array([0]), 3).tolist() == \
        [[0, 0, 0]]


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_bf16_autocast_close_to_float32_on_cuda():
    m = make("sasrec").cuda()
    t = tokens().cuda()
    with torch.no_grad():
        ref = m(t)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            low = m(t).float()
    assert torch.allclose(low, ref, atol=0.1, rtol=0.05)
