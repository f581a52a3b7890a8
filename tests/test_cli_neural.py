"""`seqmine train` / `seqmine evaluate` through click's CliRunner."""

import json

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")

from click.testing import CliRunner  # noqa: E402

from seqmine.cli.neural_commands import COMMANDS, evaluate, train  # noqa: E402

SMALL = ["--epochs", "3", "--max-len", "8", "--dim", "16", "--layers", "1", "--lr", "0.01",
         "--threads", "1", "--quiet"]


@pytest.fixture
def events(tmp_path):
    rng = np.random.default_rng(0)
    rows = []
    for user in range(30):
        for pos, item in enumerate(rng.choice(40, 7, replace=False)):
            rows.append((user, int(item) * 10, pos))
    path = tmp_path / "events.parquet"
    pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"]).to_parquet(path)
    return path


def test_commands_exported():
    assert [c.name for c in COMMANDS] == ["train", "evaluate"]


def test_train_resume_and_evaluate(events, tmp_path):
    runner = CliRunner()
    out = tmp_path / "model"
    first = runner.invoke(train, [str(events), "--model", "gru", "-o", str(out), *SMALL])
    assert first.exit_code == 0, first.output
    assert "trained gru: 3 epoch(s)" in first.output
    assert (out / "config.json").is_file() and (out / "checkpoints" / "last.pt").is_file()
    config = json.loads((out / "config.json").read_text())
    assert config["train"]["split"]["kind"] == "leave-one-out"

    # more epochs: resumes from the checkpoint, trains only the new ones
    more = [a if a != "3" else "5" for a in SMALL]
    again = runner.invoke(train, [str(events), "--model", "gru", "-o", str(out), *more])
    assert again.exit_code == 0, again.output
    assert "trained gru: 5 epoch(s)" in again.output
    assert "resuming" in again.output

    table = runner.invoke(evaluate, [str(out), str(events), "-k", "5", "-k", "10",
                                     "--popularity"])
    assert table.exit_code == 0, table.output
    assert "full ranking over all 40 items" in table.output
    assert "HR@10" in table.output and "popularity" in table.output

    sampled = runner.invoke(evaluate, [str(out), str(events), "--mode", "sampled-100",
                                       "--format", "json"])
    assert sampled.exit_code == 0, sampled.output
    payload = json.loads(sampled.output)
    assert "SAMPLED" in payload["protocol"]
    assert payload["rows"][0]["mode"] == "sampled-100"
    assert "NDCG@10[sampled-100]" in payload["rows"][0]

    md = runner.invoke(evaluate, [str(out), str(events), "--exclude-seen", "--format",
                                  "markdown", "-k", "10"])
    assert md.exit_code == 0 and "| model |" in md.output and "seen items excluded" in md.output


def test_temporal_split_option(events, tmp_path):
    runner = CliRunner()
    out = tmp_path / "m2"
    res = runner.invoke(train, [str(events), "--model", "sasrec", "-o", str(out), "--split",
                                "temporal", "--test-start", "5", "--valid-start", "4", *SMALL])
    assert res.exit_code == 0, res.output
    table = runner.invoke(evaluate, [str(out), str(events), "--split", "temporal",
                                     "--test-start", "5", "--valid-start", "4", "-k", "10",
                                     "--format", "csv"])
    assert table.exit_code == 0, table.output
    assert "split temporal" in table.output


def test_errors_are_one_line(events, tmp_path):
    runner = CliRunner()
    missing = runner.invoke(train, [str(tmp_path / "nope.parquet"), "-o", str(tmp_path / "x"),
                                    *SMALL])
    assert missing.exit_code == 2
    assert "seqmine: error:" in missing.output and "Traceback" not in missing.output
    no_model = runner.invoke(evaluate, [str(tmp_path / "empty"), str(events)])
    assert no_model.exit_code == 2 and "no seqmine model" in no_model.output

    out = tmp_path / "model"
    assert runner.invoke(train, [str(events), "--model", "gru", "-o", str(out),
                                 *SMALL]).exit_code == 0
    other = tmp_path / "other.parquet"
    pd.DataFrame({"user_id": [1, 1, 1], "item_id": [1, 2, 3],
                  "timestamp": [0, 1, 2]}).to_parquet(other)
    mismatch = runner.invoke(evaluate, [str(out), str(other)])
    assert mismatch.exit_code == 2 and "catalogue" in mismatch.output
