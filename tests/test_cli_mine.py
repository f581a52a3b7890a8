"""`seqmine mine`: outputs, summaries, exit codes, budgets and a clean Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import seqmine
from seqmine.cli.main import cli

SPMF = "1 -1 2 3 -1 4 -1 -2\n1 -1 3 -1 4 -1 -2\n1 2 -1 3 -1 -2\n"


@pytest.fixture
def spmf_file(tmp_path: Path) -> Path:
    path = tmp_path / "db.txt"
    path.write_text(SPMF)
    return path


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_mine_prints_top_patterns_and_summary(spmf_file):
    result = invoke("mine", str(spmf_file), "--minsup", "2")
    assert result.exit_code == 0
    assert "8 patterns from 3 sequences (min_count=2, auto: " in result.output
    assert "[[1], [3], [4]]" in result.output


@pytest.mark.parametrize("suffix", [".parquet", ".txt", ".csv"])
def test_mine_writes_each_format(spmf_file, tmp_path, suffix):
    out = tmp_path / f"patterns{suffix}"
    result = invoke("mine", str(spmf_file), "--minsup", "0.6", "-o", str(out))
    assert result.exit_code == 0, result.output
    expected = seqmine.mine(seqmine.SequenceDatabase.from_spmf(spmf_file), 0.6)
    if suffix == ".parquet":
        assert seqmine.PatternSet.read_parquet(out) == expected
    elif suffix == ".txt":
        lines = out.read_text().splitlines()
        assert len(lines) == len(expected) and lines[0] == "1 -1 #SUP: 3"
    else:
        text = out.read_text().splitlines()
        assert text[0] == "pattern,support,frequency,size,length"
        assert len(text) == len(expected) + 1
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_constraints_reach_the_miner(spmf_file):
    result = invoke("mine", str(spmf_file), "--minsup", "2", "--max-gap", "1",
                    "--must-contain", "4", "--top", "50")
    assert result.exit_code == 0
    expected = seqmine.mine(seqmine.SequenceDatabase.from_spmf(spmf_file), 2, max_gap=1,
                            must_contain=[4])
    assert f"{len(expected)} patterns" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["--minsup", "0"], "minsup"),
    (["--minsup", "abc"], "--minsup"),
    (["--minsup", "2", "--max-gap", "soon"], "duration"),
    (["--minsup", "2", "-o", "out.xyz"], "output format"),
])
def test_bad_input_exits_2_without_traceback(spmf_file, args, message):
    result = invoke("mine", str(spmf_file), *args)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_pattern_budget_exits_3(spmf_file, tmp_path):
    out = tmp_path / "p.parquet"
    result = invoke("mine", str(spmf_file), "--minsup", "1", "--max-patterns", "3",
                    "-o", str(out))
    assert result.exit_code == 3
    assert "max_patterns=3" in result.output and "raise minsup" in result.output
    assert not out.exists()


def test_ctrl_c_stops_cleanly_and_writes_nothing(tmp_path):
    rng = np.random.default_rng(0)
    lines = [" -1 ".join(map(str, rng.integers(1, 30, size=40))) + " -1 -2"
             for _ in range(3000)]
    data = tmp_path / "big.txt"
    data.write_text("\n".join(lines) + "\n")
    out = tmp_path / "p.parquet"
    proc = subprocess.Popen(
        [sys.executable, "-m", "seqmine", "mine", str(data), "--minsup", "2",
         "--progress", "-o", str(out)],
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, env={**os.environ})
    assert proc.stderr is not None
    deadline = time.monotonic() + 300
    seen = b""
    while b"prefix" not in seen and time.monotonic() < deadline:  # progress bar is up
        chunk = os.read(proc.stderr.fileno(), 4096)
        assert chunk, f"seqmine exited early: {seen.decode(errors='replace')}"
        seen += chunk
    time.sleep(0.5)
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert time.monotonic() - started < 30
    assert b"interrupted" in seen + err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["big.txt"]


@pytest.mark.parametrize(("flag", "function"), [("--closed", seqmine.closed),
                                                  ("--maximal", seqmine.maximal)])
def test_condensed_flags(spmf_file, flag, function):
    result = invoke("mine", str(spmf_file), "--minsup", "2", flag, "--top", "50")
    assert result.exit_code == 0, result.output
    expected = function(seqmine.SequenceDatabase.from_spmf(spmf_file), 2)
    assert f"{len(expected)} patterns" in result.output
    assert len(expected) < len(seqmine.mine(seqmine.SequenceDatabase.from_spmf(spmf_file), 2))


def test_top_k_flag_needs_no_minsup(spmf_file):
    result = invoke("mine", str(spmf_file), "--top-k", "2")
    assert result.exit_code == 0, result.output
    expected = seqmine.top_k(seqmine.SequenceDatabase.from_spmf(spmf_file), 2)
    assert f"{len(expected)} patterns" in result.output


@pytest.mark.parametrize("args", [["--closed", "--top-k", "3", "--minsup", "2"],
                                  ["--closed", "--minsup", "2", "-a", "gsp"],
                                  []])
def test_conflicting_or_missing_options(spmf_file, args):
    result = invoke("mine", str(spmf_file), *args)
    assert result.exit_code == 2 and "Traceback" not in result.output
