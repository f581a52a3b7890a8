"""Plots: each picture is drawn from the right data and saved as a PNG; matplotlib stays out
of ``import seqmine``; ``seqmine plot`` writes the same pictures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import seqmine
from seqmine import plots
from seqmine.errors import InputError
from seqmine.rules import rules

matplotlib = pytest.importorskip("matplotlib")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def db() -> seqmine.SequenceDatabase:
    rng = np.random.default_rng(0)
    seqs = [[int(x) for x in rng.integers(1, 9, rng.integers(2, 8))] for _ in range(80)]
    times = [list(range(0, 10 * len(s), 10)) for s in seqs]
    return seqmine.SequenceDatabase.from_sequences(seqs, times)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_support_by_length(db, tmp_path: Path):
    pats = seqmine.mine(db, 5)
    fig = plots.support_by_length(pats, path=tmp_path / "a.png")
    ax = fig.axes[0]
    lengths = sorted(set(pats.length.tolist()))
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        f"{n}\n{c} pattern{'s' if c > 1 else ''}"
        for n, c in ((n, int((pats.length == n).sum())) for n in lengths)]
    assert ax.get_yscale() == "log"
    width, height = png_size(tmp_path / "a.png")
    assert width > 300
    assert height > 200


def test_top_patterns(db, tmp_path: Path):
    pats = seqmine.mine(db, 5)
    fig = plots.top_patterns(pats, 7, path=tmp_path / "b.png")
    ax = fig.axes[0]
    bars = ax.patches
    assert len(bars) == 7
    widths = [b.get_width() for b in bars]
    assert widths == pytest.approx((pats.support[:7] / len(db)).tolist())
    ticks = sorted(zip(ax.get_yticks(), (t.get_text() for t in ax.get_yticklabels()), strict=False),
                   key=lambda t: -t[0])
    assert [label for _, label in ticks] == [plots.format_pattern(p) for p, _ in pats.top(7)]
    png_size(tmp_path / "b.png")


def test_rule_scatter(db, tmp_path: Path):
    rs = rules(seqmine.mine(db, 3), 0.0, kind="sequential")
    fig = plots.rule_scatter(rs, path=tmp_path / "c.png", max_points=50)
    points = fig.axes[0].collections[0]
    shown = rs.top(50)
    assert points.get_offsets().shape == (50, 2)
    np.testing.assert_allclose(points.get_offsets()[:, 1], shown.confidence)
    np.testing.assert_allclose(points.get_array(), shown.lift)
    assert len(fig.axes) == 2  # the lift colour bar
    png_size(tmp_path / "c.png")


def test_occurrences_over_time(db, tmp_path: Path):
    fig = plots.occurrences_over_time(db, [1, 2], bins=5, path=tmp_path / "d.png")
    heights = [p.get_height() for p in fig.axes[0].patches]
    occ = seqmine.explore.occurrences(db, [1, 2])
    assert sum(heights) == len(occ)
    png_size(tmp_path / "d.png")
    with pytest.raises(InputError, match="does not occur"):
        plots.occurrences_over_time(db, [99])


def test_format_pattern_and_empty_inputs(db):
    assert plots.format_pattern(((1,), (2, 3))) == "1 → {2 3}"
    empty = seqmine.mine(db, 10**6)
    with pytest.raises(InputError, match="no patterns"):
        plots.support_by_length(empty)
    with pytest.raises(InputError, match="no rules"):
        plots.rule_scatter(rules(empty, 0.0))


def test_drawing_on_a_given_axis(db):
    from matplotlib.figure import Figure
    fig = Figure()
    ax1, ax2 = fig.subplots(1, 2)
    pats = seqmine.mine(db, 5)
    assert plots.top_patterns(pats, 3, ax=ax2) is fig
    assert len(ax2.patches) == 3
    assert len(ax1.patches) == 0


def test_import_seqmine_does_not_import_matplotlib():
    code = ("import sys, seqmine, seqmine.plots, seqmine.explore, seqmine.rules; "
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_cli_plot_commands(db, tmp_path: Path):
    import click

    import seqmine.cli.main  # noqa: F401  (registers the lead's commands first)
    from seqmine.cli import mining_commands, rule_commands

    @click.group()
    def group() -> None:
        pass

    for command in mining_commands.COMMANDS + rule_commands.COMMANDS:
        group.add_command(command)
    runner = CliRunner()
    spmf = tmp_path / "db.txt"
    db.to_spmf(spmf)
    pats, rule_file = tmp_path / "p.parquet", tmp_path / "r.parquet"
    assert runner.invoke(group, ["mine", str(spmf), "-s", "5", "-o", str(pats)]).exit_code == 0
    assert runner.invoke(group, ["rules", str(spmf), "-s", "5", "--kind", "sequential",
                                 "-o", str(rule_file)]).exit_code == 0
    for args in (["support-length", str(pats)], ["top", str(pats), "-k", "5"],
                 ["rules", str(rule_file)], ["occurrences", str(spmf), "-p", "1 -1 2"]):
        out = tmp_path / f"{args[0]}.png"
        res = runner.invoke(group, ["plot", *args, "-o", str(out)])
        assert res.exit_code == 0, res.output
        png_size(out)
    res = runner.invoke(group, ["plot", "top", str(rule_file), "-o", str(tmp_path / "x.png")])
    assert res.exit_code == 2
    assert "not a seqmine pattern file" in res.output
    res = runner.invoke(group, ["plot", "occurrences", str(spmf), "-p", "-1",
                                "-o", str(tmp_path / "y.png")])
    assert res.exit_code == 2
    assert "empty --pattern" in res.output
