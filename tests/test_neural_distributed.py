"""Data-parallel training on two CPU processes (gloo): the same weights as one process on the
same global batches (dropout 0), replicas that stay identical, a loss that goes down, errors
from the ranks brought back, and ``seqmine train --nproc``."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

torch = pytest.importorskip("torch")

import torch.distributed as dist  # noqa: E402

import seqmine  # noqa: E402
from seqmine.cli.main import cli  # noqa: E402
from seqmine.errors import InputError  # noqa: E402
from seqmine.neural import load, train  # noqa: E402
from seqmine.neural.distributed import check_in_sync, launch, train_distributed  # noqa: E402

# dropout 0: one process and two draw different dropout masks, nothing else differs
OPTIONS = {"max_len": 8, "dim": 16, "layers": 1, "dropout": 0.0, "epochs": 3,
           "batch_size": 8, "lr": 5e-3, "seed": 0, "threads": 1, "progress": False,
           "device": "cpu"}


def _toy_split():
    """60 sequences over 12 items with a strong next-item rule (i -> i + 1)."""
    rng = np.random.default_rng(0)
    seqs = []
    for _ in range(60):
        start = int(rng.integers(0, 12))
        seqs.append([((start + k) % 12,) for k in range(int(rng.integers(4, 9)))])
    return seqmine.split(seqmine.SequenceDatabase.from_sequences(seqs), "leave-one-out")


def _assert_same_weights(a, b):
    sa, sb = a.module.state_dict(), b.module.state_dict()
    assert sa.keys() == sb.keys()
    for key in sa:
        torch.testing.assert_close(sb[key], sa[key], rtol=1e-4, atol=1e-5, msg=key)


def test_two_processes_train_as_one():
    """Same global batches, gradients weighted by target count: the 2-process run follows
    the 1-process run (up to float summation order), loss and validation included. Every
    epoch ends with check_in_sync, so finishing means the ranks stayed bit-identical."""
    sp = _toy_split()
    assert len(sp.train) % 2 == 0  # one window per sequence: no padding of the epoch
    # GRU: attention's key bias has a zero gradient (softmax ignores it), so AdamW would
    # turn float noise into O(lr) steps there and no two runs would compare weight by weight
    one = train(sp, "gru", **OPTIONS)
    two = train_distributed(2, sp, "gru", **OPTIONS)
    _assert_same_weights(one, two)
    assert two.train_config["nproc"] == 2
    assert len(two.history) == len(one.history) == OPTIONS["epochs"]
    for h1, h2 in zip(one.history, two.history, strict=True):
        assert h2["loss"] == pytest.approx(h1["loss"], rel=1e-4)
        assert h2["valid_NDCG@10"] == pytest.approx(h1["valid_NDCG@10"], abs=1e-6)
    losses = [h["loss"] for h in two.history]
    assert losses[-1] < 0.8 * losses[0]


def _diverge() -> None:
    """On each rank: identical weights pass the check, one changed weight fails it."""
    model = torch.nn.Linear(3, 2)
    with torch.no_grad():
        model.weight.fill_(0.5)
        model.bias.zero_()
    check_in_sync([model])
    if dist.get_rank() == 1:
        with torch.no_grad():
            model.bias[0] = 1e-7
    with pytest.raises(RuntimeError, match="diverged"):
        check_in_sync([model])


def test_diverged_replicas_are_caught():
    launch(2, _diverge)


def test_errors():
    sp = _toy_split()
    with pytest.raises(InputError, match="multiple of nproc"):
        train_distributed(2, sp, "gru", **{**OPTIONS, "batch_size": 7})
    with pytest.raises(InputError, match="nproc must be"):
        train_distributed(0, sp, "gru", **OPTIONS)
    # raised on the ranks (train's own checks), brought back with its message
    with pytest.raises(InputError, match="dropout must be"):
        train_distributed(2, sp, "gru", **{**OPTIONS, "dropout": 1.5})


def _cli_train_args(tmp_path) -> list[str]:
    """``seqmine train`` arguments for a small GRU run on a file written under tmp_path."""
    db = seqmine.SequenceDatabase.from_sequences(
        [[((s + k) % 12,) for k in range(6)] for s in range(24)])
    db.to_spmf(tmp_path / "db.txt")
    return ["train", str(tmp_path / "db.txt"), "--model", "gru", "--epochs", "2",
            "--max-len", "8", "--dim", "16", "--layers", "1", "--dropout", "0",
            "--batch-size", "8", "--threads", "1", "--device", "cpu", "-q"]


def test_cli_nproc(tmp_path):
    """``seqmine train --nproc 2`` saves rank 0's model; it matches ``--nproc 1``."""
    args = _cli_train_args(tmp_path)
    runner = CliRunner()
    one = runner.invoke(cli, [*args, "-o", str(tmp_path / "one")], catch_exceptions=False)
    two = runner.invoke(cli, [*args, "--nproc", "2", "-o", str(tmp_path / "two")],
                        catch_exceptions=False)
    assert one.exit_code == two.exit_code == 0, two.output
    assert "(2 processes)" in two.output
    _assert_same_weights(load(tmp_path / "one"), load(tmp_path / "two"))


def test_cli_under_torchrun(tmp_path):
    """``torchrun --nproc-per-node 2 -m seqmine train ...`` (the multi-machine launch, here on
    one machine): the ranks join torchrun's group, rank 0 alone writes the model, and it
    matches the one-process model."""
    import subprocess
    import sys
    args = _cli_train_args(tmp_path)
    one = CliRunner().invoke(cli, [*args, "-o", str(tmp_path / "one")],
                             catch_exceptions=False)
    assert one.exit_code == 0, one.output
    run = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
         "-m", "seqmine", *args, "-o", str(tmp_path / "two")],
        capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("(2 processes)") == 1  # one rank reports and saves
    _assert_same_weights(load(tmp_path / "one"), load(tmp_path / "two"))
