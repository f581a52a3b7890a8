"""The benchmark harness's logic (no timings): interleaving, time-outs and failures of child
processes, count checks, the reference table, slopes, and README's generated block."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

from benchmarks import harness, readme
from benchmarks.suites import miners, scaling


# --- interleaving ------------------------------------------------------------------------------
def test_interleaved_runs_every_contender_once_per_round_in_the_same_order() -> None:
    calls: list[tuple[str, int]] = []

    def run(name: str, rnd: int) -> dict[str, object]:
        calls.append((name, rnd))
        return {"status": "ok", "seconds": 0.1}

    results = harness.interleaved(["A", "B", "C"], 3, run, repeat_below_s=10.0)
    assert calls == [("A", 0), ("B", 0), ("C", 0), ("A", 1), ("B", 1), ("C", 1),
                     ("A", 2), ("B", 2), ("C", 2)]
    assert {name: len(runs) for name, runs in results.items()} == {"A": 3, "B": 3, "C": 3}


def test_interleaved_does_not_repeat_slow_or_failed_contenders() -> None:
    calls: list[str] = []
    outcome = {"A": {"status": "ok", "seconds": 0.1}, "slow": {"status": "ok", "seconds": 12.0},
               "dead": {"status": "timeout"}}

    def run(name: str, rnd: int) -> dict[str, object]:
        calls.append(name)
        return dict(outcome[name])

    results = harness.interleaved(["A", "slow", "dead"], 3, run, repeat_below_s=10.0)
    assert calls == ["A", "slow", "dead", "A", "A"]
    assert [len(results[n]) for n in ("A", "slow", "dead")] == [3, 1, 1]


# --- child processes ---------------------------------------------------------------------------
def test_measure_reports_a_timeout_and_kills_the_child() -> None:
    run = harness.measure([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.5)
    assert run.status == "timeout"
    assert run.why() == "timeout"
    assert run.wall_s < 20


def test_measure_reports_a_crash_by_its_signal() -> None:
    run = harness.measure([sys.executable, "-c", "import os, signal; "
                           "os.kill(os.getpid(), signal.SIGSEGV)"], timeout=60)
    assert run.status == "crash"
    assert run.why() == "crash (SIGSEGV)"


def test_measure_reports_an_error_with_the_last_stderr_line() -> None:
    run = harness.measure([sys.executable, "-c", "raise SystemExit('peer failed here')"],
                          timeout=60)
    assert run.status == "error"
    assert run.why() == "error: peer failed here"


WORKER = textwrap.dedent("""
    import os, signal, sys, time
    from benchmarks import harness

    def handle(request):
        if request.get("crash"):
            os.kill(os.getpid(), signal.SIGSEGV)
        if request.get("fail"):
            raise ValueError("bad request")
        print("stray output on stdout")
        time.sleep(request.get("sleep", 0))
        return {"pid": os.getpid(), "echo": request.get("echo")}

    harness.serve(lambda: {"pid": os.getpid()}, handle)
""")


@pytest.fixture
def worker() -> harness.Worker:
    w = harness.Worker([sys.executable, "-c", WORKER], env=harness.python_env(),
                       start_timeout=60)
    yield w
    w.close()


def test_worker_answers_requests_in_one_child(worker: harness.Worker) -> None:
    first = worker.call({"echo": 1}, timeout=60)
    second = worker.call({"echo": 2}, timeout=60)
    assert (first.status, first.data["echo"]) == ("ok", 1)
    assert (second.status, second.data["echo"]) == ("ok", 2)
    assert first.data["pid"] == second.data["pid"]
    assert len(worker.starts) == 1


def test_worker_time_out_is_reported_and_the_next_request_gets_a_fresh_child(
        worker: harness.Worker) -> None:
    before = worker.call({}, timeout=60).data["pid"]
    slow = worker.call({"sleep": 30}, timeout=0.5)
    assert slow.status == "timeout"
    assert slow.why == "timeout"
    after = worker.call({"echo": 3}, timeout=60)
    assert after.ok
    assert after.data["pid"] != before
    assert len(worker.starts) == 2


def test_worker_crash_and_exception_are_reported(worker: harness.Worker) -> None:
    failed = worker.call({"fail": True}, timeout=60)
    assert failed.status == "error"
    assert "ValueError: bad request" in failed.why
    assert worker.call({}, timeout=60).ok
    assert len(worker.starts) == 1  # an exception leaves the child alive
    crashed = worker.call({"crash": True}, timeout=60)
    assert (crashed.status, crashed.why) == ("crash", "crash (SIGSEGV)")
    assert worker.call({}, timeout=60).ok
    assert len(worker.starts) == 2


# --- count checks ------------------------------------------------------------------------------
LEVEL = harness.Level("SIGN", "30", 219, 1928, "CM-SPADE", 0.45, "CM-SPADE", 1.13,
                      harness.Condensed("1,928 in 0.68 s", 1928, 0.68),
                      harness.Condensed("not run", None, None))


def ok(patterns: int, **extra: object) -> dict[str, object]:
    return {"status": "ok", "patterns": patterns, "seconds": 0.1, **extra}


def test_count_problems_flags_each_mismatch_and_accepts_documented_conventions() -> None:
    summaries = {
        "seqmine:prefixspan": ok(1928, singletons=73),
        "seqmine:spade": ok(1927, singletons=73),             # wrong
        "seqmine:closed": ok(1928),
        "seqmine:maximal": ok(805),                           # no reference: unchecked
        "seqmine:top_k": ok(1928),
        "seqmine:fpgrowth": ok(24090), "seqmine:eclat": ok(24090),
        "seqmine:apriori": ok(24091),                         # disagrees with the others
        "peer:effspm": ok(1928 - 73),                         # omits singletons: right
        "peer:seq2pat": ok(1928),                             # omits singletons: wrong
        "peer:pycspade": ok(1928),
        "peer:mlxtend": ok(24090),
        "peer:gsppy": {"status": "timeout", "why": "timeout"},
    }
    problems = miners.count_problems(LEVEL, summaries)
    assert len(problems) == 3
    assert any("spade (seqmine) found 1927" in p for p in problems)
    assert any("apriori (seqmine) found 24091" in p for p in problems)
    assert any("seq2pat (peer) found 1928 patterns, expected 1,855" in p for p in problems)
    expected = miners.expected_counts(LEVEL, summaries)
    assert expected["seqmine:maximal"] is None
    assert expected["peer:effspm"] == 1855


def test_peers_omitting_singletons_are_unchecked_without_a_seqmine_count() -> None:
    summaries = {"seqmine:prefixspan": {"status": "timeout", "why": "timeout"},
                 "peer:effspm": ok(5)}
    assert miners.expected_counts(LEVEL, summaries)["peer:effspm"] is None
    assert miners.count_problems(LEVEL, summaries) == []


def test_summary_cell_reports_a_timeout_and_a_count_mismatch() -> None:
    runs = [{"status": "timeout", "why": "timeout"}]
    row = {"contenders": {"peer:gsppy": {"summary": miners.summarise(runs)},
                          "seqmine:gsp": {"summary": {**miners.summarise([ok(7), ok(7)]),
                                                      "expected": 8}}},
           "skipped": {"peer:prefixspan": "timed out at 30%"}, "timeout_s": 120.0}
    assert miners.cell(row, "peer:gsppy") == "timeout (>120 s)"
    assert miners.cell(row, "peer:prefixspan") == "skipped (timed out at 30%)"
    assert "**count 7 ≠ 8**" in miners.cell(row, "seqmine:gsp")


def test_summarise_takes_medians_and_leaves_out_runs_that_compiled() -> None:
    runs = [ok(3, seconds=9.0, cpu_s=9.0, compiled=True), ok(3, seconds=1.0, cpu_s=0.5),
            ok(3, seconds=3.0, cpu_s=1.5)]
    s = miners.summarise(runs)
    assert (s["seconds"], s["cpu_s"], s["runs"], s["patterns"]) == (2.0, 1.0, 3, 3)


def test_target_verdicts_judge_wall_and_cpu_time() -> None:
    def summary(seconds: float, cpu: float) -> dict[str, object]:
        return {"summary": {"status": "ok", "seconds": seconds, "cpu_s": cpu}}

    row = {"closed_ref_s": 0.68, "maximal_ref_s": None, "timeout_s": 120.0, "contenders": {
        "seqmine:prefixspan": summary(1.0, 0.5), "seqmine:spade": summary(0.5, 0.4),
        "seqmine:auto": summary(0.55, 0.5),           # wall 1.1x (yes), CPU 1.25x (no)
        "seqmine:closed": summary(0.5, 0.2),          # 1.36x (no), 3.4x (yes)
        "seqmine:fpgrowth": summary(2.0, 1.0),
        "peer:mlxtend": {"summary": {"status": "timeout", "why": "timeout"}}}}
    verdicts = miners.target_verdicts(row, ["prefixspan", "spade", "auto"])
    assert verdicts["auto"] == {"wall": True, "cpu": False}
    assert verdicts["closed"] == {"wall": False, "cpu": True}
    assert "maximal" not in verdicts
    assert verdicts["itemsets"] == {"wall": True, "cpu": True}  # 120 s limit / 2 s = 60x


@pytest.mark.parametrize("dense_cells", [0, 10**9])  # sparse, then dense one-hot frames
def test_mlxtend_adapter_counts_what_seqmine_itemsets_counts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dense_cells: int) -> None:
    pytest.importorskip("mlxtend")
    import seqmine
    from benchmarks.peers import mlxtend_itemsets
    path = tmp_path / "db.spmf"
    path.write_text("1 -1 2 -1 3 -1 -2\n1 -1 3 -1 -2\n2 -1 3 -1 4 -1 -2\n1 -1 2 -1 -2\n")
    monkeypatch.setattr(mlxtend_itemsets, "DENSE_CELLS", dense_cells)
    n_found, seconds = mlxtend_itemsets.run(str(path), 2)
    assert n_found == len(seqmine.itemsets(seqmine.SequenceDatabase.from_spmf(path), 2))
    assert seconds >= 0


# --- the reference table and slopes ------------------------------------------------------------
def test_reference_levels_parse_the_spm_table(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "README.md").write_text("\n".join([
        "| data set | minsup | abs | patterns | own | whole | closed | maximal |",
        "|---|---|---|---:|---|---|---|---|",
        "| SIGN | 30% | 219 | 1,928 | CM-SPADE 0.45 s | CM-SPADE 1.13 s | 1,928 in 0.68 s "
        "| 805 in 0.68 s |",
        "| LEVIATHAN | 1% | 59 | 167,189 | PrefixSpan 7.26 s | PrefixSpan 7.90 s "
        "| 160,406 in 28.50 s | timeout (>60 s) |"]))
    monkeypatch.setattr(harness, "SHARED_SPM", tmp_path)
    sign, lev = harness.reference_levels()
    assert (sign.dataset, sign.min_count, sign.patterns, sign.spmf_own_s) == (
        "SIGN", 219, 1928, 0.45)
    assert sign.maximal == harness.Condensed("805 in 0.68 s", 805, 0.68)
    assert lev.closed == harness.Condensed("160,406 in 28.50 s", 160406, 28.5)
    assert lev.maximal == harness.Condensed("timeout (>60 s)", None, None)
    assert lev.relative == pytest.approx(0.01)


def test_fit_slope_recovers_a_power_law_and_skips_missing_points() -> None:
    xs = [1e4, 1e5, 1e6, 1e7]
    assert scaling.fit_slope(xs, [3 * x ** 1.5 for x in xs]) == pytest.approx(1.5)
    assert scaling.fit_slope(xs, [None, 2.0, None, 20.0]) == pytest.approx(0.5)
    assert scaling.fit_slope(xs, [None, None, None, 1.0]) is None


# --- README's generated block ------------------------------------------------------------------
def test_replace_block_rewrites_only_between_the_markers() -> None:
    text = f"# Title\n\nintro\n{readme.START}\nold table\n{readme.END}\nafter\n"
    new = readme.replace_block(text, "new table\n")
    assert new == f"# Title\n\nintro\n{readme.START}\nnew table\n{readme.END}\nafter\n"
    assert readme.replace_block(new, "new table") == new


@pytest.mark.parametrize("text", [
    "no markers at all\n",
    f"{readme.START}\nonly a start\n",
    f"{readme.START}\n{readme.END}\n{readme.START}\n{readme.END}\n",
    f"{readme.END}\nreversed\n{readme.START}\n",
])
def test_replace_block_refuses_missing_duplicated_or_reversed_markers(text: str) -> None:
    with pytest.raises(ValueError, match="README"):
        readme.replace_block(text, "x")


def test_render_block_says_which_suites_have_not_run(tmp_path: Path) -> None:
    data = {"meta": {"machine": {"date": "2026-01-01 00:00 UTC", "cpu": "CPU", "cores": 2,
                                 "load_average": "1.00 / 1.00 / 1.00"},
                     "minsup": 0.003},
            "slopes": {"time_large_n1": 1.02, "time_large_n2": 0.98,
                       "memory_large_n1": None},
            "sizes": [{"status": "ok", "events": 10_000_000,
                       "summary": {"1": {"wall_s": 5.0, "growth_mib": 300.0},
                                   "2": {"wall_s": 3.0}}}]}
    (tmp_path / "scaling.json").write_text(json.dumps(data))
    block = " ".join(readme.render_block(tmp_path).split())  # prose is wrapped
    assert "events^1.02 with one thread and events^0.98 with two" in block
    assert "memory as events^n/a" in block
    assert "At 10,000,000 events: 5.00 s with one thread, 3.00 s with two" in block
    for suite in ("miners", "rules", "neural"):
        assert f"`python -m benchmarks run {suite}`" in block


def test_readme_block_matches_the_committed_results() -> None:
    assert readme.main(["--check"]) == 0, "run `python -m benchmarks readme`"

