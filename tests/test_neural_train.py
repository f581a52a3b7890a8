"""Training: overfitting a toy, save/load, checkpoint resume after a kill, early stopping,
determinism, the feature hook; and `import seqmine` staying free of torch."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import seqmine  # noqa: E402
from seqmine.data.split import EvalSet, split  # noqa: E402
from seqmine.errors import FormatVersionError, InputError  # noqa: E402
from seqmine.evaluate import evaluate  # noqa: E402
from seqmine.neural import NeuralRecommender, load, train  # noqa: E402
from seqmine.recommend import Recommender  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SMALL = dict(max_len=8, dim=16, layers=1, lr=1e-2, dropout=0.1, progress=False, threads=1,
             batch_size=8)


def toy_sequences(n=20, length=8, n_items=30, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.choice(n_items, length, replace=False).tolist() for _ in range(n)]


@pytest.fixture(scope="module")
def toy_db():
    return seqmine.SequenceDatabase.from_sequences(toy_sequences())


def last_items(db):
    """Instances predicting each sequence's last item from the rest (training data)."""
    return EvalSet.from_targets(db.arrays, db.arrays.seq_ptr[1:] - 1, db.n_items)


def weights(model):
    return {k: v.clone() for k, v in model.module.state_dict().items()}


def assert_same_weights(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


@pytest.mark.parametrize("kind", ["sasrec", "gru", "lstm"])
def test_tiny_model_overfits_toy_set(toy_db, kind):
    model = train(toy_db, kind, max_len=8, dim=32, layers=1, epochs=100, lr=1e-2, dropout=0.0,
                  progress=False, threads=1, seed=0)
    table = evaluate(model, last_items(toy_db), k=[1])
    assert table.iloc[0]["HR@1"] == 1.0
    losses = [r["loss"] for r in model.history]
    assert losses[-1] < losses[0] / 5


def test_sampled_softmax_training_learns(toy_db):
    model = train(toy_db, "sasrec", max_len=8, dim=32, layers=1, epochs=100, lr=1e-2,
                  dropout=0.0, progress=False, threads=1, loss="sampled", negatives=16)
    assert evaluate(model, last_items(toy_db), k=[1]).iloc[0]["HR@1"] >= 0.9


def test_save_load_identical_scores(toy_db, tmp_path):
    model = train(toy_db, "sasrec", epochs=3, seed=1, **SMALL)
    hist = [[1, 2, 3], [4], list(range(12))]
    folder = model.save(tmp_path / "m")
    assert {p.name for p in folder.iterdir()} >= {"config.json", "weights.pt",
                                                   "codebook.parquet"}
    again = load(folder)
    np.testing.assert_array_equal(again.score(hist), model.score(hist))
    np.testing.assert_array_equal(again.recommend(hist, 5, exclude_seen=True).items,
                                  model.recommend(hist, 5, exclude_seen=True).items)
    assert again.codebook == toy_db.codebook
    assert again.history == model.history
    assert again.train_config["epochs"] == 3
    with pytest.raises(InputError):
        load(tmp_path / "nothing-here")
    cfg = (folder / "config.json").read_text().replace('"version": 1', '"version": 99')
    (folder / "config.json").write_text(cfg)
    with pytest.raises(FormatVersionError):
        load(folder)


class Interrupt(Exception):
    pass


def test_resume_after_interruption_continues_identically(toy_db, tmp_path):
    full = train(toy_db, "sasrec", epochs=5, seed=3, checkpoint_dir=tmp_path / "a", **SMALL)

    def stop_after_two(record):
        if record["epoch"] == 2:
            raise Interrupt

    with pytest.raises(Interrupt):
        train(toy_db, "sasrec", epochs=5, seed=3, checkpoint_dir=tmp_path / "b",
              callback=stop_after_two, **SMALL)
    seen = []
    resumed = train(toy_db, "sasrec", epochs=5, seed=3, checkpoint_dir=tmp_path / "b",
                    callback=lambda r: seen.append(r["epoch"]), **SMALL)
    assert seen == [3, 4, 5]  # picked up after the saved epoch 2
    assert_same_weights(weights(resumed), weights(full))
    assert [r["loss"] for r in resumed.history] == [r["loss"] for r in full.history]
    # a finished run is not redone; other settings are refused
    again = train(toy_db, "sasrec", epochs=5, seed=3, checkpoint_dir=tmp_path / "b",
                  callback=lambda r: seen.append(r["epoch"]), **SMALL)
    assert seen == [3, 4, 5]
    assert_same_weights(weights(again), weights(full))
    with pytest.raises(InputError, match="other settings"):
        train(toy_db, "sasrec", epochs=5, seed=4, checkpoint_dir=tmp_path / "b", **SMALL)


CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import seqmine
    from seqmine.neural import train
    db = seqmine.read_events(sys.argv[1])
    def pause(record):
        if record["epoch"] == 2:
            Path(sys.argv[3]).write_text("2")
            time.sleep(120)
    train(db, "gru", epochs=4, seed=5, checkpoint_dir=sys.argv[2], callback=pause,
          max_len=8, dim=16, layers=1, lr=1e-2, dropout=0.1, progress=False, threads=1,
          batch_size=8)
""")


def test_resume_after_sigkill(toy_db, tmp_path):
    events = tmp_path / "events.parquet"
    toy_db.to_parquet(events)
    db = seqmine.read_events(events)
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    marker = tmp_path / "epoch2"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    child = subprocess.Popen([sys.executable, str(script), str(events), str(tmp_path / "ck"),
                              str(marker)], env=env)
    try:
        deadline = time.monotonic() + 300  # generous: shared CI machines can be slow
        while not marker.exists():
            assert child.poll() is None, "training child exited early"
            assert time.monotonic() < deadline, "child did not reach epoch 2"
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL
    seen = []
    resumed = train(db, "gru", epochs=4, seed=5, checkpoint_dir=tmp_path / "ck",
                    callback=lambda r: seen.append(r["epoch"]), **SMALL)
    assert seen == [3, 4]
    full = train(db, "gru", epochs=4, seed=5, **SMALL)
    assert_same_weights(weights(resumed), weights(full))


def test_early_stopping_keeps_best_epoch(toy_db):
    sp = split(toy_db)
    model = train(sp, "gru", epochs=40, patience=2, seed=0, **SMALL)
    best = model.train_config["best_epoch"]
    history = model.history
    assert model.train_config["stopped"] == "patience"
    assert len(history) == best + 2
    ndcgs = [r["valid_NDCG@10"] for r in history]
    assert ndcgs[best - 1] == max(ndcgs)
    # the returned weights are the best epoch's: validation NDCG@10 reproduces its record
    got = evaluate(model, sp, k=[10], on="valid").iloc[0]["NDCG@10"]
    assert got == pytest.approx(ndcgs[best - 1])


def test_same_seed_same_model(toy_db):
    a = train(toy_db, "sasrec", epochs=2, seed=7, **SMALL)
    b = train(toy_db, "sasrec", epochs=2, seed=7, **SMALL)
    c = train(toy_db, "sasrec", epochs=2, seed=8, **SMALL)
    assert_same_weights(weights(a), weights(b))
    assert not torch.equal(a.module.item_emb.weight, c.module.item_emb.weight)


class NextItemHint(torch.nn.Module):
    """A feature module: an extra logit of 1 on the item that followed the current item in
    training (a stand-in for a mined next-item rule)."""

    def __init__(self, table, n_items):
        super().__init__()
        self.register_buffer("table", torch.as_tensor(table))
        self.n_items = n_items

    def forward(self, tokens):
        nxt = self.table[tokens]  # [B, L], -1 where unknown
        extra = torch.zeros(*tokens.shape, self.n_items)
        rows = nxt >= 0
        extra[rows, nxt[rows]] = 1.0
        return None, extra


def test_feature_hook_trains_and_saves(toy_db, tmp_path):
    seqs = [[e[0] for e in toy_db.sequence_codes(i)] for i in range(len(toy_db))]
    table = np.full(toy_db.n_items + 1, -1)
    for s in seqs:
        for a, b in zip(s, s[1:]):
            table[a + 1] = b
    hint = NextItemHint(table, toy_db.n_items)
    model = train(toy_db, "gru", epochs=10, seed=0, features=hint, **SMALL)
    assert model.module.extra_logit_weight.item() > 0.05  # learned to trust the feature
    hist = [seqs[0][:4], seqs[1][:2]]
    folder = model.save(tmp_path / "f")
    with pytest.raises(InputError, match="feature module"):
        load(folder)
    again = load(folder, features=NextItemHint(np.zeros_like(table), toy_db.n_items))
    np.testing.assert_array_equal(again.score(hist), model.score(hist))


def test_train_input_errors(toy_db):
    with pytest.raises(InputError):
        train(toy_db, "bert", epochs=1, **SMALL)
    with pytest.raises(InputError):
        train(toy_db, "gru", epochs=1, loss="bpr", **{k: v for k, v in SMALL.items()})
    with pytest.raises(InputError):
        train([[1, 2]], "gru", epochs=1)
    with pytest.raises(InputError):
        train(toy_db, "gru", epochs=0, **SMALL)
    with pytest.raises(InputError):
        train(seqmine.SequenceDatabase.from_sequences([[1], [2]]), "gru", epochs=1, **SMALL)
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="CUDA"):
            train(toy_db, "gru", epochs=1, device="cuda", **SMALL)


def test_recommender_protocol(toy_db):
    model = train(toy_db, "gru", epochs=1, **SMALL)
    assert isinstance(model, NeuralRecommender)
    assert isinstance(model, Recommender)
    assert model.n_items == toy_db.n_items and model.name == "gru"
    assert model.history[0]["sequences_per_s"] > 0


def test_import_seqmine_does_not_import_torch():
    code = ("import sys, seqmine, seqmine.data.split, seqmine.evaluate, seqmine.recommend; "
            "import seqmine.evaluate.metrics, seqmine.evaluate.protocol; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=str(REPO)), check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_training_with_bf16_and_compile(toy_db, tmp_path):
    model = train(toy_db, "sasrec", max_len=8, dim=32, layers=1, epochs=100, lr=1e-2,
                  dropout=0.0, progress=False, device="cuda", compile=True,
                  checkpoint_dir=tmp_path / "ck")
    assert model.device.type == "cuda"
    assert evaluate(model, last_items(toy_db), k=[1]).iloc[0]["HR@1"] >= 0.95
    again = load(model.save(tmp_path / "m"), device="cpu")
    np.testing.assert_allclose(again.score([[1, 2, 3]]), model.score([[1, 2, 3]]),
                               rtol=1e-4, atol=1e-4)
