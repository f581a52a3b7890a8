"""`seqmine hybrid`, `seqmine recommend` and `seqmine evaluate --report` through CliRunner."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from seqmine.cli.hybrid_commands import COMMANDS, hybrid, recommend
from seqmine.cli.main import cli
from seqmine.hybrid import load


@pytest.fixture
def events(tmp_path):
    rng = np.random.default_rng(0)
    rows = []
    for user in range(40):
        start = int(rng.integers(0, 30))
        for pos in range(8):  # mostly runs of consecutive items: rules have something to find
            item = (start + pos) % 30 if rng.random() < 0.8 else int(rng.integers(0, 30))
            rows.append((user, item * 10 + 100, pos))
    path = tmp_path / "events.parquet"
    pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"]).to_parquet(path)
    return path


def test_commands_registered():
    assert [c.name for c in COMMANDS] == ["hybrid", "recommend"]
    assert {"hybrid", "recommend", "evaluate"} <= set(cli.commands)


def test_hybrid_then_recommend(events, tmp_path):
    runner = CliRunner()
    out = tmp_path / "h"
    res = runner.invoke(hybrid, [str(events), "-o", str(out), "--exclude-seen"])
    assert res.exit_code == 0, res.output
    assert "weights rules" in res.output
    assert "popularity" in res.output
    model = load(out)
    assert model.fit_info["exclude_seen"] is True

    text = runner.invoke(recommend, [str(out), "--history", "150,160,170", "-k", "4",
                                     "--explain"])
    assert text.exit_code == 0, text.output
    assert "weights: rules" in text.output
    assert " => 180" in text.output  # a rule that fired for the next item of the run

    js = runner.invoke(recommend, [str(out), "--history", "150,160,170", "-k", "4",
                                   "--explain", "--exclude-seen", "--format", "json"])
    assert js.exit_code == 0, js.output
    payload = json.loads(js.output)
    assert payload["history"] == [150, 160, 170]
    items = payload["items"]
    assert len(items) == 4
    assert not {150, 160, 170} & {row["item"] for row in items}
    codes = model.codebook.code_of([150, 160, 170]).tolist()
    top = model.recommend(codes, 4, exclude_seen=True)
    assert [row["item"] for row in items] == model.codebook.decode_list(top.items[0])
    for row in items:
        assert sum(row["contributions"].values()) == pytest.approx(row["score"], rel=1e-12)
        fired = sum(rule["contribution"] for rule in row["rules"])
        assert fired == pytest.approx(row["contributions"]["rules"], rel=1e-6, abs=1e-12)


def test_recommend_errors_and_rule_files(events, tmp_path):
    runner = CliRunner()
    out = tmp_path / "h"
    assert runner.invoke(hybrid, [str(events), "-o", str(out), "--no-popularity"]).exit_code == 0
    bad = runner.invoke(recommend, [str(out), "--history", "150,99999"])
    assert bad.exit_code == 2
    assert "99999" in bad.output
    text = runner.invoke(recommend, [str(out), "--history", "150,x"])
    assert text.exit_code == 2
    assert "integers" in text.output
    missing = runner.invoke(recommend, [str(tmp_path / "nope"), "--history", "150"])
    assert missing.exit_code == 2
    assert "no seqmine model" in missing.output
    # a rule recommender file works on its own, explained by its rules
    rules_file = out / "components" / "0-rules" / "rules.parquet"
    assert rules_file.is_file()
    res = runner.invoke(recommend, [str(rules_file), "--history", "150,160", "-k", "3",
                                    "--explain", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)["items"]
    for row in rows:
        assert sum(r["contribution"] for r in row["rules"]) == pytest.approx(row["score"])
    none = runner.invoke(hybrid, [str(events), "-o", str(tmp_path / "x"), "--no-rules",
                                  "--no-popularity"])
    assert none.exit_code == 2
    assert "nothing to blend" in none.output


SMALL = ["--epochs", "2", "--max-len", "8", "--dim", "16", "--layers", "1", "--lr", "0.01",
         "--threads", "1", "--quiet"]


def test_neural_hybrid_evaluate_report(events, tmp_path, monkeypatch):
    pytest.importorskip("torch")
    runner = CliRunner()
    neural = tmp_path / "gru"
    trained = runner.invoke(cli, ["train", str(events), "--model", "gru", "-o", str(neural),
                                  *SMALL])
    assert trained.exit_code == 0, trained.output
    out = tmp_path / "h"
    res = runner.invoke(hybrid, [str(events), "-o", str(out), "--neural", str(neural),
                                 "--resolution", "4"])
    assert res.exit_code == 0, res.output
    model = load(out)
    assert model.names == ("rules", "gru", "popularity")
    rec = runner.invoke(recommend, [str(out), "--history", "150,160", "--explain"])
    assert rec.exit_code == 0
    assert "gru" in rec.output
    plain = runner.invoke(recommend, [str(neural), "--history", "150,160", "--explain"])
    assert plain.exit_code == 0
    assert "not explained by rules" in plain.output

    report = tmp_path / "report.md"
    ev = runner.invoke(cli, ["evaluate", str(out), str(events), "-k", "5", "-k", "10",
                             "--popularity", "--report", str(report)])
    assert ev.exit_code == 0, ev.output
    text = report.read_text()
    assert "## Hybrid `hybrid`: components" in text
    assert "| hybrid/gru |" in text
    assert "| hybrid/rules |" in text
    assert "Δ NDCG@10" in text
    assert "by history length" in text
    pytest.importorskip("matplotlib")
    for name in ("report-metrics.png", "report-by-length.png"):
        png = tmp_path / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({name})" in text

    # without matplotlib: the report is written, the plots are skipped with a message
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    bare = tmp_path / "bare.md"
    ev = runner.invoke(cli, ["evaluate", str(neural), str(events), "-k", "10", "--report",
                             str(bare)])
    assert ev.exit_code == 0, ev.output
    assert "matplotlib is not installed" in ev.output
    assert "matplotlib is not installed" in bare.read_text()
    assert not (tmp_path / "bare-metrics.png").exists()
