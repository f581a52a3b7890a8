"""Mining benchmark: seqmine's PrefixSpan beside the Python-reachable peers and SPMF's figures.

    python -m benchmarks.run mining                                  # every data set and level
    python -m benchmarks.run mining --datasets SIGN,BMS1 --repeat 5
    python -m benchmarks.run mining --peers effspm,pycspade --timeout 60
    python -m benchmarks.run mining --quick                          # highest level of each

Levels, reference counts and SPMF's times come from the table in
``../shared/datasets/spm/README.md`` (the run is skipped with a message when it is absent).
For each level, ``--repeat`` rounds run interleaved (seqmine worker, seqmine CLI, each peer,
then again), each run in its own child process:

- seqmine warm: a child reads the file, warms the kernels on a tiny database (loading them
  from the Numba cache), then times ``mine(db, minsup)`` with n_jobs=1 and then n_jobs=2
  (wall and process CPU; peak memory from VmHWM, reset before each call). A check on the
  kernels' signatures makes sure nothing compiled inside a timed call.
- seqmine compile, once per data set at its highest level: a child with an empty
  NUMBA_CACHE_DIR times its first read+mine against a second one in the same process (the
  difference is compilation), and a child reusing the cache does the same (cache loading).
- seqmine CLI: the whole ``seqmine mine FILE --minsup X% -o out.txt`` process (Python start,
  imports, cached kernels, reading, mining, writing SPMF output), its ru_maxrss and the
  number of lines it wrote.
- peers: ``python -m benchmarks.peers NAME FILE MIN_COUNT`` under ``--timeout`` and an
  address-space cap. A peer slower than 10 s runs once; a peer that times out or runs out
  of memory is skipped at the lower levels of that data set (they are harder).

A seqmine count different from the reference fails the run (exit 1) after the tables are
written; a peer's count is compared under its documented convention and reported.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import shlex
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks import harness
from benchmarks.harness import Level, fmt_ratio, fmt_s, median
from benchmarks.peers import PEERS, adapter, installed

PEER_REPEAT_BELOW_S = 10.0
#: the sequential peers run by default (pyspark is opt-in here: its JVM start-up alone takes
#: longer than most levels; the miners suite runs it)
DEFAULT_PEERS = ("prefixspan", "effspm", "gsppy", "pycspade", "seq2pat")
#: data sets of --quick (highest level of each): a few minutes on a 2-core machine
QUICK_DATASETS = "SIGN,BMS1,KOSARAK10K"


# === child side ================================================================================
def worker_warm(path: str, percent: str) -> dict[str, Any]:
    """Read, warm the kernels on a tiny database, then time mine() with 1 and 2 threads."""
    t0 = time.perf_counter()
    import seqmine
    from seqmine.data.spmf import parse_spmf, read_spmf
    import_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    tiny = parse_spmf(harness.TINY_SPMF)
    tiny_patterns = seqmine.mine(tiny, 2)
    tiny_patterns_2 = seqmine.mine(tiny, 2, n_jobs=2)
    warmup_s = time.perf_counter() - t0
    assert len(tiny_patterns) == len(tiny_patterns_2) > 0

    t0 = time.perf_counter()
    db = read_spmf(path)
    read_s = time.perf_counter() - t0
    relative = float(percent) / 100.0
    out: dict[str, Any] = {"import_s": import_s, "warmup_s": warmup_s, "read_s": read_s,
                           "n_sequences": db.n_sequences}
    signatures = harness.n_signatures()
    for n_jobs in (1, 2):
        patterns, cost = harness.timed_call(
            lambda n_jobs=n_jobs: seqmine.mine(db, relative, n_jobs=n_jobs))
        out[f"n{n_jobs}"] = {**cost, "patterns": len(patterns), "min_count": patterns.min_count,
                             "singletons": int((patterns.length == 1).sum())}
        del patterns
    out["compiled_in_timed_call"] = harness.n_signatures() != signatures
    return out


def worker_first(path: str, percent: str) -> dict[str, Any]:
    """First read+mine of the process against the second (compilation or cache loading)."""
    t0 = time.perf_counter()
    import seqmine
    from seqmine.data.spmf import read_spmf
    import_s = time.perf_counter() - t0
    relative = float(percent) / 100.0
    out: dict[str, Any] = {"import_s": import_s}
    for call in (1, 2):
        c0, t0 = time.process_time(), time.perf_counter()
        db = read_spmf(path)
        t1 = time.perf_counter()
        patterns = seqmine.mine(db, relative)
        t2 = time.perf_counter()
        out[f"read{call}_s"], out[f"mine{call}_s"] = t1 - t0, t2 - t1
        out[f"cpu{call}_s"] = time.process_time() - c0
        out[f"patterns{call}"] = len(patterns)
        del db, patterns
    return out


# === parent side ===============================================================================
def _worker(kind: str, level: Level, env: dict[str, str], timeout: float) -> harness.Measured:
    return harness.measure([sys.executable, "-m", "benchmarks.suites.mining", "--worker", kind,
                            str(level.path), level.percent], timeout=timeout, env=env)


def _count_lines(path: Path) -> int:
    n = 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            n += block.count(b"\n")
    return n


class Failures:
    """seqmine problems that must fail the run; printed loudly as they happen."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, text: str) -> None:
        self.items.append(text)
        bar = "!" * 78
        print(f"\n{bar}\nSEQMINE FAILURE: {text}\n{bar}\n", file=sys.stderr, flush=True)


def measure_compile(level: Level, env: dict[str, str], timeout: float,
                    failures: Failures, cold_dir: str | None = None) -> dict[str, Any]:
    """Compile (empty cache) and cache-load times, at this level, in two fresh children.

    The cold child uses ``cold_dir`` (must be empty; a temporary one when None) and the
    cached child ``env``'s cache; pass the benchmark's own, still empty, cache as
    ``cold_dir`` to fill it on the way.
    """
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="seqmine-cold-numba-") as tmp_dir:
        cold_env = dict(env, NUMBA_CACHE_DIR=cold_dir or tmp_dir)
        for kind, cache_env in (("cold", cold_env), ("cached", env)):
            run = _worker("first", level, cache_env, timeout)
            if not run.ok:
                failures.add(f"{level.dataset} {level.label}: compile worker ({kind}): "
                             f"{run.why()}\n{run.stderr[-1500:]}")
                continue
            r = run.json()
            first = r["read1_s"] + r["mine1_s"]
            warm = r["read2_s"] + r["mine2_s"]
            result[kind] = {**r, "first_s": first, "warm_s": warm, "extra_s": first - warm,
                            "extra_cpu_s": r["cpu1_s"] - r["cpu2_s"], "process_s": run.wall_s,
                            "dataset": level.dataset, "percent": level.percent}
    return result


def run_seqmine_round(level: Level, env: dict[str, str], timeout: float, out_dir: Path,
                      failures: Failures) -> dict[str, Any]:
    """One interleaved round of seqmine: the warm worker, then the whole CLI process."""
    found: dict[str, Any] = {}
    run = _worker("warm", level, env, timeout)
    if run.ok:
        r = run.json()
        found["warm"] = {**r, "maxrss_mib": run.maxrss_mib, "process_s": run.wall_s}
        for key in ("n1", "n2"):
            got = r[key]
            if got["min_count"] != level.min_count or got["patterns"] != level.patterns:
                failures.add(f"{level.dataset} {level.label}: mine(n_jobs={key[1]}) found "
                             f"{got['patterns']:,} patterns at min_count={got['min_count']}, "
                             f"reference {level.patterns:,} at {level.min_count}")
        if r["compiled_in_timed_call"]:
            print(f"  warning: {level.dataset} {level.label}: a kernel compiled inside a timed "
                  "call (the warm-up missed a specialisation)", file=sys.stderr)
    else:
        failures.add(f"{level.dataset} {level.label}: warm worker {run.why()}\n"
                     f"{run.stderr[-1500:]}")

    out = out_dir / "patterns.txt"
    cli = harness.measure([*harness.seqmine_command(), "mine", str(level.path), "--minsup",
                           f"{level.percent}%", "-o", str(out), "--no-progress"],
                          timeout=timeout, env=env)
    if cli.ok and out.exists():
        n = _count_lines(out)
        out.unlink()
        found["cli"] = {"wall_s": cli.wall_s, "cpu_s": cli.cpu_s, "maxrss_mib": cli.maxrss_mib,
                        "patterns": n}
        if n != level.patterns:
            failures.add(f"{level.dataset} {level.label}: `seqmine mine` wrote {n:,} patterns, "
                         f"reference {level.patterns:,}")
    else:
        failures.add(f"{level.dataset} {level.label}: `seqmine mine` {cli.why()}\n"
                     f"{cli.stderr[-1500:]}")
    return found


def peer_versions(peers: list[str]) -> dict[str, str | None]:
    return {peer: installed(peer)[0] for peer in peers}


def summarise_peer(runs: list[dict[str, Any]], skipped: str | None, expected: int | None,
                   seqmine_warm: float | None, timeout: float) -> dict[str, Any]:
    """Median of a peer's runs at one level, its ratio to seqmine, and its count check."""
    if skipped is not None:
        return {"cell": f"skipped ({skipped})", "status": "skipped", "ratio": None}
    if not runs:
        return {"cell": "n/a", "status": "n/a", "ratio": None}
    ok = [r for r in runs if r["status"] == "ok"]
    if not ok:
        first = runs[0]
        if first["status"] == "timeout":
            return {"cell": f"timeout (>{timeout:.0f} s, "
                            f"{fmt_ratio(timeout, seqmine_warm, lower_bound=True)})",
                    "status": "timeout",
                    "ratio": timeout / seqmine_warm if seqmine_warm else None}
        return {"cell": first["why"], "status": first["status"], "ratio": None}
    seconds = median([r["seconds"] for r in ok])
    counts = sorted({r["patterns"] for r in ok})
    agree = expected is not None and counts == [expected]
    return {"cell": f"{fmt_s(seconds)} ({fmt_ratio(seconds, seqmine_warm)})", "status": "ok",
            "seconds": seconds, "cpu_s": median([r.get("cpu_s") for r in ok]),
            "ratio": seconds / seqmine_warm if seqmine_warm else None,
            "patterns": counts[0] if len(counts) == 1 else counts, "agree": agree,
            "runs": len(ok), "process_s": median([r["process_s"] for r in ok]),
            "maxrss_mib": max(r["maxrss_mib"] for r in ok)}


# --- reporting -----------------------------------------------------------------------------------
def _csv_rows(rows: list[dict[str, Any]], peers: list[str]) -> list[dict[str, Any]]:
    flat = []
    for row in rows:
        item: dict[str, Any] = {
            "dataset": row["dataset"], "minsup_percent": row["percent"],
            "min_count": row["min_count"], "reference_patterns": row["reference"],
            "seqmine_patterns": row.get("patterns"),
            "seqmine_warm_s": row.get("warm_s"), "seqmine_warm_cpu_s": row.get("warm_cpu_s"),
            "seqmine_2threads_s": row.get("n2_s"), "seqmine_2threads_cpu_s": row.get("n2_cpu_s"),
            "seqmine_read_s": row.get("read_s"), "seqmine_compile_s": row.get("compile_s"),
            "seqmine_cache_load_s": row.get("cache_load_s"),
            "seqmine_cli_s": row.get("cli_s"), "seqmine_cli_cpu_s": row.get("cli_cpu_s"),
            "seqmine_cli_peak_mib": row.get("cli_peak_mib"),
            "seqmine_mine_peak_mib": row.get("mine_peak_mib"),
            "seqmine_mine_growth_mib": row.get("mine_growth_mib"),
            "spmf_own_s": row["spmf_own_s"], "spmf_own_algorithm": row["spmf_own_algo"],
            "spmf_whole_s": row["spmf_whole_s"], "spmf_whole_algorithm": row["spmf_whole_algo"],
            "seqmine_runs": row.get("runs"), "load_average": row.get("load"),
        }
        for peer in peers:
            p = row["peers"][peer]
            item[f"{peer}_status"] = p["status"]
            item[f"{peer}_s"] = p.get("seconds")
            item[f"{peer}_cpu_s"] = p.get("cpu_s")
            item[f"{peer}_process_s"] = p.get("process_s")
            item[f"{peer}_patterns"] = p.get("patterns")
            item[f"{peer}_agree"] = p.get("agree")
            item[f"{peer}_runs"] = p.get("runs")
        flat.append(item)
    return flat


def _agree_cell(row: dict[str, Any], peers: list[str]) -> str:
    problems = []
    if row.get("patterns") != row["reference"] or row.get("cli_patterns") != row["reference"]:
        problems.append(f"**seqmine {row.get('patterns')} / CLI {row.get('cli_patterns')}**")
    for peer in peers:
        p = row["peers"][peer]
        if p["status"] == "ok" and not p["agree"]:
            problems.append(f"{peer} {p['patterns']:,} vs {p['expected']:,}")
    finished = [peer for peer in peers if row["peers"][peer]["status"] == "ok"]
    if problems:
        return "no: " + "; ".join(problems)
    return "yes" + (f" (seqmine, {', '.join(finished)})" if finished else " (seqmine)")


def markdown(rows: list[dict[str, Any]], peers: list[str], meta: dict[str, Any]) -> str:
    lines = [
        "# Mining benchmark: seqmine PrefixSpan vs SPMF (reference) and Python peers",
        "",
        f"Written by `{meta['command']}` on {meta['date']}.",
        "",
        f"- Machine: {meta['machine']}.",
        f"- Load: {meta['load_note']}",
        f"- seqmine: {meta['git']}{meta['source_note']}.",
        f"- Peers: {meta['peer_versions']}.",
        f"- Settings: {meta['settings']}.",
        "",
        "Times in seconds. *warm*: `mine(db, minsup)` in a child process after its kernels were "
        "loaded (median of the rounds; the file is already read), process CPU in brackets. "
        "*compile*: first read+mine of a fresh process with an empty Numba cache minus a second "
        "one (see below). *CLI*: the whole `seqmine mine FILE --minsup X% -o out.txt` "
        "process, Python start and cached kernels included; *peak MiB* is its ru_maxrss. "
        "SPMF columns are **reference figures** copied from ../shared/datasets/spm/README.md "
        "(SPMF v2.66 on this kind of machine, not run here): *own* is SPMF's self-reported "
        "time (read, mine, write; JVM start excluded), *whole* includes the JVM. Ratios above "
        "1 mean seqmine is faster: SPMF own ÷ seqmine warm, SPMF whole ÷ seqmine CLI, and "
        "peer ÷ seqmine warm for each peer (peer cells: median time (ratio)).",
        "",
    ]
    lines += [meta["compile_note"], ""]
    if meta["failures"]:
        lines += ["**SEQMINE FAILURES IN THIS RUN (the run exited 1):**", ""]
        lines += [f"- {f.splitlines()[0]}" for f in meta["failures"]] + [""]
    head = ["data set", "minsup", "patterns", "seqmine warm s (CPU s)", "seqmine 2 threads s",
            "seqmine compile s", "seqmine CLI whole s", "seqmine peak MiB",
            "SPMF own s (ref)", "SPMF whole s (ref)", "SPMF own ÷ warm", "SPMF whole ÷ CLI"]
    head += [f"{peer} s (÷ warm)" for peer in peers] + ["counts agree"]
    lines += ["| " + " | ".join(head) + " |",
              "|" + "|".join(["---", "---"] + ["---:"] * (len(head) - 3) + ["---"]) + "|"]
    for row in rows:
        cells = [row["dataset"], f"{row['percent']}% ({row['min_count']})",
                 f"{row['reference']:,}",
                 f"{fmt_s(row.get('warm_s'))} ({fmt_s(row.get('warm_cpu_s'))})",
                 fmt_s(row.get("n2_s")),
                 fmt_s(row.get("compile_s")), fmt_s(row.get("cli_s")),
                 f"{row['cli_peak_mib']:.0f}" if row.get("cli_peak_mib") else "n/a",
                 f"{fmt_s(row['spmf_own_s'])} {row['spmf_own_algo']}",
                 f"{fmt_s(row['spmf_whole_s'])} {row['spmf_whole_algo']}",
                 fmt_ratio(row["spmf_own_s"], row.get("warm_s")),
                 fmt_ratio(row["spmf_whole_s"], row.get("cli_s"))]
        cells += [row["peers"][peer]["cell"] for peer in peers]
        cells.append(_agree_cell(row, peers))
        lines.append("| " + " | ".join(cells) + " |")

    lines += ["", "## Targets at each data set's lowest level (issue 3)", "",
              "Wall-time verdicts as measured on the loaded machine; the CPU column applies the "
              "first target to seqmine's process CPU time instead (SPMF's figure stays wall).",
              "",
              "| data set | minsup | warm ≤ SPMF own / 2 | same, seqmine CPU time "
              "| CLI < SPMF whole | ≥ 100x PyPI prefixspan | faster than every other peer |",
              "|---|---|---|---|---|---|---|"]
    last: dict[str, dict[str, Any]] = {}
    for row in rows:
        last[row["dataset"]] = row
    for row in last.values():
        warm, cli = row.get("warm_s"), row.get("cli_s")
        own, whole = row["spmf_own_s"], row["spmf_whole_s"]
        t1 = "n/a" if warm is None or own is None else (
            f"{'yes' if warm <= own / 2 else 'no'} ({fmt_s(warm)} vs {fmt_s(own / 2)})")
        cpu = row.get("warm_cpu_s")
        t1c = "n/a" if cpu is None or own is None else (
            f"{'yes' if cpu <= own / 2 else 'no'} ({fmt_s(cpu)} vs {fmt_s(own / 2)})")
        t2 = "n/a" if cli is None or whole is None else (
            f"{'yes' if cli < whole else 'no'} ({fmt_s(cli)} vs {fmt_s(whole)})")
        ps = row["peers"].get("prefixspan")
        if ps is not None and ps["status"] == "skipped":
            measured = [r for r in rows if r["dataset"] == row["dataset"]
                        and r["peers"]["prefixspan"].get("ratio") is not None]
            if measured:  # the lowest level where it ran gives the best available figure
                ps, at = measured[-1]["peers"]["prefixspan"], measured[-1]["percent"]
                ps = {**ps, "note": f" at {at}%", "elsewhere": True}
        if ps is None or ps.get("ratio") is None:
            t3 = "not measured" if ps is None or ps["status"] in ("n/a", "skipped") else "n/a"
            if ps is not None and ps["status"] == "skipped":
                t3 = "not run here (" + ps["cell"] + ")"
        elif ps.get("elsewhere"):
            bound = "> " if ps["status"] == "timeout" else ""
            t3 = (f"not run at this level; {bound}{ps['ratio']:.0f}x{ps['note']}"
                  + (" (timed out)" if bound else ""))
        elif ps["status"] == "timeout":
            t3 = (("yes" if ps["ratio"] >= 100 else "unknown")
                  + f" (timed out: > {ps['ratio']:.0f}x)")
        else:
            t3 = f"{'yes' if ps['ratio'] >= 100 else 'no'} ({ps['ratio']:.0f}x)"
        others = []
        for peer in peers:
            if peer == "prefixspan":
                continue
            p = row["peers"][peer]
            if p["status"] == "ok":
                others.append(f"{peer} {'yes' if p['ratio'] > 1 else 'no'} "
                              f"({fmt_ratio(p['seconds'], warm)})")
            elif p["status"] == "timeout":
                others.append(f"{peer} yes (it timed out)")
            elif p["status"] in ("skipped", "n/a"):
                others.append(f"{peer} {p['cell']}")
            else:
                others.append(f"{peer} n/a ({p['cell']})")
        lines.append(f"| {row['dataset']} | {row['percent']}% | {t1} | {t1c} | {t2} | {t3} | "
                     f"{'; '.join(others) or 'n/a'} |")

    lines += ["", "## The same rows in CPU time", "",
              "On a shared, overloaded machine a single-threaded process gets only part of a "
              "core, so wall times above include waiting for the CPU. Process CPU time (user + "
              "system, all threads) is closer to what an idle machine would show; the SPMF "
              "figures are wall times from the reference runs, so compare them with care.", "",
              "| data set | minsup | seqmine warm CPU s | SPMF own ÷ seqmine CPU | "
              + " | ".join(f"{peer} CPU s (÷ seqmine CPU)" for peer in peers) + " |",
              "|---|---|---:|---:|" + "---:|" * len(peers)]
    for row in rows:
        cpu = row.get("warm_cpu_s")
        cells = []
        for peer in peers:
            p = row["peers"][peer]
            cells.append(f"{fmt_s(p['cpu_s'])} ({fmt_ratio(p['cpu_s'], cpu)})"
                         if p.get("cpu_s") is not None else p["cell"].split(" (")[0])
        lines.append(f"| {row['dataset']} | {row['percent']}% | {fmt_s(cpu)} "
                     f"| {fmt_ratio(row['spmf_own_s'], cpu)} | " + " | ".join(cells) + " |")

    lines += ["", "## seqmine details", "",
              "| data set | minsup | read s | warm CPU s (1 thread) | 2 threads wall / CPU s "
              "| mine() peak MiB (growth) | CLI CPU s | cache load s | first mine, cold s "
              "| load average (1/5/15 min) |", "|---|---|" + "---:|" * 7 + "---|"]
    for row in rows:
        peak = (f"{row['mine_peak_mib']:.0f} ({row['mine_growth_mib']:.0f})"
                if row.get("mine_peak_mib") is not None else "n/a")
        lines.append(
            f"| {row['dataset']} | {row['percent']}% | {fmt_s(row.get('read_s'))} "
            f"| {fmt_s(row.get('warm_cpu_s'))} "
            f"| {fmt_s(row.get('n2_s'))} / {fmt_s(row.get('n2_cpu_s'))} | {peak} "
            f"| {fmt_s(row.get('cli_cpu_s'))} | {fmt_s(row.get('cache_load_s'))} "
            f"| {fmt_s(row.get('cold_first_s'))} | {row.get('load', 'n/a')} |")

    lines += ["", "## Peers and their conventions", ""]
    for peer in peers:
        mod = adapter(peer)
        lines.append(f"- **{peer}** (`{mod.PACKAGE}`): {mod.NOTE}.")
    lines += ["", "## Notes", ""] + [f"- {n}" for n in meta["notes"]] + [""]
    return "\n".join(lines)


def plot(rows: list[dict[str, Any]], peers: list[str], path: Path) -> bool:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    series: list[tuple[str, list[float | None]]] = [
        ("seqmine warm", [r.get("warm_s") for r in rows]),
        ("seqmine CLI whole", [r.get("cli_s") for r in rows]),
        ("SPMF own (ref)", [r["spmf_own_s"] for r in rows]),
        ("SPMF whole (ref)", [r["spmf_whole_s"] for r in rows]),
    ] + [(peer, [r["peers"][peer].get("seconds") for r in rows]) for peer in peers]
    width = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(max(8, 0.75 * len(rows) + 2), 5))
    for k, (label, values) in enumerate(series):
        xs = [i + (k - len(series) / 2 + 0.5) * width for i, v in enumerate(values) if v]
        ax.bar(xs, [v for v in values if v], width, label=label, color=f"C{k % 10}")
    ax.set_yscale("log")
    shown = [v for _, values in series for v in values if v]
    if shown:
        ax.set_ylim(bottom=min(shown) / 2)
    ax.set_ylabel("seconds (log scale; missing bar = timeout, error or not run)")
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([f"{r['dataset']}\n{r['percent']}%" for r in rows], fontsize=7)
    ax.legend(fontsize=7, ncol=4)
    ax.set_title("seqmine vs SPMF (reference figures) and Python peers")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


# --- the run -------------------------------------------------------------------------------------
def select_levels(args: argparse.Namespace) -> list[Level]:
    levels = harness.reference_levels()
    if args.datasets:
        wanted = [d.strip().upper() for d in args.datasets.split(",") if d.strip()]
        known = {lv.dataset for lv in levels}
        unknown = [d for d in wanted if d not in known]
        if unknown:
            raise SystemExit(f"unknown data set(s) {unknown}; the reference table has "
                             f"{sorted(known)}")
        levels = [lv for lv in levels if lv.dataset in wanted]
    if args.quick:
        firsts: dict[str, Level] = {}
        for lv in levels:
            firsts.setdefault(lv.dataset, lv)
        levels = list(firsts.values())
    return levels


def parse_peer_levels(text: str | None, peers: list[str]) -> dict[str, int]:
    """'gsppy:1,prefixspan:2' -> {'gsppy': 1, 'prefixspan': 2}."""
    limits: dict[str, int] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, _, count = part.partition(":")
        name = name.strip()
        if name not in PEERS or not count.strip().isdigit() or int(count) < 1:
            raise SystemExit(f"--peer-levels wants PEER:N pairs with a known peer and N >= 1, "
                             f"got {part!r}")
        if name in peers:
            limits[name] = int(count)
    return limits


def parse_peer_datasets(text: str | None, peers: list[str]) -> dict[str, set[str]]:
    """'gsppy:SIGN+KOSARAK10K' -> {'gsppy': {'SIGN', 'KOSARAK10K'}}."""
    chosen: dict[str, set[str]] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, _, names = part.partition(":")
        name = name.strip()
        if name not in PEERS or not names.strip():
            raise SystemExit(f"--peer-datasets wants PEER:DATASET+DATASET pairs, got {part!r}")
        if name in peers:
            chosen[name] = {n.strip().upper() for n in names.split("+") if n.strip()}
    return chosen


def run(args: argparse.Namespace) -> int:
    if harness.spm_missing("mining"):
        return 0
    levels = select_levels(args)
    if not levels:
        print("mining benchmark: no level selected", file=sys.stderr)
        return 0
    peers = [p.strip() for p in args.peers.split(",") if p.strip()] if args.peers else []
    for peer in peers:
        if peer not in PEERS or adapter(peer).KIND != "sequential":
            raise SystemExit(f"unknown sequential peer {peer!r}; choose from "
                             f"{', '.join(p for p in PEERS if adapter(p).KIND == 'sequential')}")
    versions = peer_versions(peers)
    missing = [p for p, v in versions.items() if v is None]
    if missing:
        print(f"  peers not installed (shown as n/a): {', '.join(missing)}; see "
              "benchmarks/requirements.txt", file=sys.stderr)
    timeout = float(args.timeout)
    peer_levels = parse_peer_levels(args.peer_levels, peers)
    peer_datasets = parse_peer_datasets(args.peer_datasets, peers)
    level_index: dict[Level, int] = {}
    for level in levels:  # 0 for a data set's highest minsup, 1 for the next, ...
        level_index[level] = sum(1 for other in level_index if other.dataset == level.dataset)
    memory_bytes = int(args.peer_memory_gib * 2**30)
    seqmine_timeout = max(600.0, 10 * timeout)
    started = time.perf_counter()
    load_start = harness.load_average()
    stamp = harness.seqmine_source_stamp()
    git = harness.git_state()
    failures = Failures()

    cache_dir = tempfile.mkdtemp(prefix="seqmine-bench-numba-")
    out_dir = Path(tempfile.mkdtemp(prefix="seqmine-bench-out-"))
    env = harness.python_env(NUMBA_CACHE_DIR=cache_dir)
    peer_env = harness.python_env()
    rows: list[dict[str, Any]] = []
    try:
        # compile time, cold (filling the benchmark's own, empty, Numba cache) and cached
        compile_by_dataset: dict[str, dict[str, Any]] = {
            levels[0].dataset: measure_compile(levels[0], env, seqmine_timeout, failures,
                                               cold_dir=cache_dir)}
        # the CLI's own extra kernels (the SPMF pattern writer) go into the cache too
        prime = harness.measure([*harness.seqmine_command(), "mine", str(levels[0].path),
                                 "--minsup", f"{levels[0].percent}%", "-o",
                                 str(out_dir / "prime.txt")], timeout=seqmine_timeout, env=env)
        if not prime.ok:
            failures.add(f"priming run of `seqmine mine` failed: {prime.why()}\n"
                         f"{prime.stderr[-1500:]}")
            return finish(rows, peers, versions, args, failures, load_start, stamp, git,
                          started, timeout, compile_by_dataset)
        print(f"  compiled and primed the Numba cache in {time.perf_counter() - started:.0f} s",
              file=sys.stderr)
        blocked: dict[str, dict[str, str]] = defaultdict(dict)  # dataset -> peer -> reason
        for level in levels:
            t_level = time.perf_counter()
            if args.compile_every_dataset and level.dataset not in compile_by_dataset:
                compile_by_dataset[level.dataset] = measure_compile(level, env, seqmine_timeout,
                                                                    failures)
            compiled = compile_by_dataset.get(level.dataset) or compile_by_dataset[
                levels[0].dataset]
            seq_rounds: list[dict[str, Any]] = []
            peer_runs: dict[str, list[dict[str, Any]]] = {p: [] for p in peers}
            for rnd in range(args.repeat):
                seq_rounds.append(run_seqmine_round(level, env, seqmine_timeout, out_dir,
                                                    failures))
                for peer in peers:
                    if versions[peer] is None or peer in blocked[level.dataset]:
                        continue
                    if level_index[level] >= peer_levels.get(peer, len(levels)):
                        continue
                    if peer in peer_datasets and level.dataset not in peer_datasets[peer]:
                        continue
                    done = peer_runs[peer]
                    if rnd > 0 and (not done or done[0]["status"] != "ok"
                                    or done[0]["seconds"] >= PEER_REPEAT_BELOW_S):
                        continue
                    result = harness.run_peer(peer, level.path, level.min_count, env=peer_env,
                                              timeout=timeout, memory_limit_bytes=memory_bytes)
                    done.append(result)
                    if result["status"] in ("timeout", "oom"):
                        blocked[level.dataset][peer] = (
                            f"{'timed out' if result['status'] == 'timeout' else 'out of memory'}"
                            f" at {level.label}")
            row = assemble_row(level, seq_rounds, compiled)
            row["load"] = harness.load_average()
            for peer in peers:
                skipped = None
                if versions[peer] is None:
                    skipped = None
                elif not peer_runs[peer] and peer in blocked[level.dataset]:
                    skipped = blocked[level.dataset][peer]
                elif peer in peer_datasets and level.dataset not in peer_datasets[peer]:
                    skipped = "not run on this data set"
                elif level_index[level] >= peer_levels.get(peer, len(levels)):
                    n_top = peer_levels[peer]
                    skipped = f"run at the highest {n_top} level{'s' * (n_top > 1)} only"
                expected = level.patterns
                if not adapter(peer).INCLUDES_SINGLETONS and row.get("singletons") is not None:
                    expected = level.patterns - row["singletons"]
                p = summarise_peer(peer_runs[peer], skipped, expected, row.get("warm_s"),
                                   timeout)
                p["expected"] = expected
                if versions[peer] is None:
                    p = {"cell": "n/a (not installed)", "status": "n/a", "ratio": None}
                row["peers"][peer] = p
            rows.append(row)
            peer_text = ", ".join(f"{peer} {row['peers'][peer]['cell']}" for peer in peers)
            print(f"  {level.dataset} {level.label}: reference {level.patterns:,} patterns, warm "
                  f"{fmt_s(row.get('warm_s'))} s, CLI {fmt_s(row.get('cli_s'))} s"
                  + (f"; {peer_text}" if peer_text else "")
                  + f"  [{time.perf_counter() - t_level:.0f} s]", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
        shutil.rmtree(out_dir, ignore_errors=True)
    return finish(rows, peers, versions, args, failures, load_start, stamp, git, started,
                  timeout, compile_by_dataset)


def assemble_row(level: Level, rounds: list[dict[str, Any]],
                 compiled: dict[str, Any]) -> dict[str, Any]:
    warm = [r["warm"] for r in rounds if "warm" in r]
    cli = [r["cli"] for r in rounds if "cli" in r]
    row: dict[str, Any] = {
        "dataset": level.dataset, "percent": level.percent, "min_count": level.min_count,
        "reference": level.patterns, "spmf_own_s": level.spmf_own_s,
        "spmf_own_algo": level.spmf_own_algo, "spmf_whole_s": level.spmf_whole_s,
        "spmf_whole_algo": level.spmf_whole_algo, "peers": {}, "runs": len(warm)}
    if warm:
        row.update(
            patterns=warm[0]["n1"]["patterns"], singletons=warm[0]["n1"]["singletons"],
            warm_s=median([w["n1"]["wall_s"] for w in warm]),
            warm_cpu_s=median([w["n1"]["cpu_s"] for w in warm]),
            n2_s=median([w["n2"]["wall_s"] for w in warm]),
            n2_cpu_s=median([w["n2"]["cpu_s"] for w in warm]),
            read_s=median([w["read_s"] for w in warm]),
            mine_peak_mib=max(max(w["n1"]["peak_mib"], w["n2"]["peak_mib"]) for w in warm),
            mine_growth_mib=max(max(w["n1"]["growth_mib"], w["n2"]["growth_mib"])
                                for w in warm))
    if cli:
        row.update(cli_s=median([c["wall_s"] for c in cli]),
                   cli_cpu_s=median([c["cpu_s"] for c in cli]),
                   cli_peak_mib=max(c["maxrss_mib"] for c in cli),
                   cli_patterns=cli[0]["patterns"])
    if "cold" in compiled:
        row["compile_s"] = compiled["cold"]["extra_s"]
        row["cold_first_s"] = compiled["cold"]["mine1_s"]
    if "cached" in compiled:
        row["cache_load_s"] = compiled["cached"]["extra_s"]
    return row


def finish(rows: list[dict[str, Any]], peers: list[str], versions: dict[str, str | None],
           args: argparse.Namespace, failures: Failures, load_start: str, stamp: float,
           git: str, started: float, timeout: float,
           compile_by_dataset: dict[str, dict[str, Any]]) -> int:
    load_end = harness.load_average()
    changed = harness.seqmine_source_stamp() != stamp
    notes = [
        f"Each level ran {args.repeat} interleaved round(s): seqmine worker, seqmine CLI, then "
        "each peer, so drift of the shared machine hits all of them alike; seqmine figures "
        "are medians of the rounds. A peer run slower than "
        f"{PEER_REPEAT_BELOW_S:.0f} s was not repeated (single run).",
        f"Peers ran in child processes with a {timeout:.0f} s time-out and a "
        f"{args.peer_memory_gib:g} GiB address-space cap; a peer that timed out or ran out of "
        "memory was skipped at the lower levels of that data set. `timeout (>T s, >Rx)` gives "
        "a lower bound on the ratio.",
        "effspm reports no length-1 patterns: its count is compared with the reference minus "
        "the number of frequent single items (taken from seqmine's result).",
        "Peer times are their mining call only; converting the SPMF file to their input is "
        "not timed (where a peer reads its own input file, that reading is timed, as in "
        "SPMF's own time). seqmine warm excludes reading (see 'read s' in the details).",
        "The numbers are noisy: the machine is shared (see the load averages); read factors "
        "of 1.5, not 10%. Ratios within one row were measured in the same rounds.",
    ]
    notes += args.note
    if changed:
        notes.append("**seqmine's sources changed during this run** (someone edited the shared "
                     "tree): rows measured after the change may reflect the newer code.")
    elapsed = time.perf_counter() - started
    compile_note = "*Compile*: not measured (the run stopped early)."
    first = next(iter(compile_by_dataset.values()), {})
    if "cold" in first:
        cold = first["cold"]
        cached = first.get("cached", {})
        compile_note = (
            f"*Compile* (at {cold['dataset']} {cold['percent']}%"
            + ("; per data set in the table" if args.compile_every_dataset else
               ", the same kernels and types serve every row") + "): a fresh process with an "
            f"empty Numba cache took {fmt_s(cold['first_s'])} s for its first read+mine "
            f"({fmt_s(cold['cpu1_s'])} s CPU) against {fmt_s(cold['warm_s'])} s for the second, "
            f"so compilation costs {fmt_s(cold['extra_s'])} s wall, "
            f"{fmt_s(cold['extra_cpu_s'])} s CPU, once per machine and seqmine version"
            + (f"; a process reusing the cache spent {fmt_s(cached['extra_s'])} s "
               f"({fmt_s(cached['extra_cpu_s'])} s CPU) loading the compiled kernels."
               if cached else "."))
    meta = {
        "compile_note": compile_note,
        "command": "python -m benchmarks.run mining " + shlex.join(args.argv),
        "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "machine": harness.machine_line(),
        "machine_info": harness.machine(),
        "load_note": (f"load average (1/5/15 min) {load_start} at the start, {load_end} at the "
                      f"end, on {os.cpu_count()} CPUs shared with other people's work; the run "
                      f"took {elapsed / 60:.1f} min."),
        "git": git,
        "source_note": " (sources changed during the run)" if changed else "",
        "peer_versions": ", ".join(f"{p} {v or 'not installed'}" for p, v in versions.items())
                         or "none selected",
        "settings": (f"--repeat {args.repeat}, peer --timeout {timeout:.0f} s, "
                     + (f"--peer-levels {args.peer_levels}, " if args.peer_levels else "")
                     + (f"--peer-datasets {args.peer_datasets}, " if args.peer_datasets else "")
                     + f"peer memory cap {args.peer_memory_gib:g} GiB"
                     + (", --quick (highest level of each data set only)" if args.quick else "")),
        "failures": failures.items,
        "notes": notes,
    }
    stem = args.out_stem or ("mining-quick" if args.quick else "mining")
    out = Path(args.results_dir)
    out.mkdir(parents=True, exist_ok=True)
    harness.write_text(out / f"{stem}.md", markdown(rows, peers, meta))
    flat = _csv_rows(rows, peers)
    if flat:
        buffer = io.StringIO(newline="")
        writer = csv.DictWriter(buffer, fieldnames=list(flat[0]))
        writer.writeheader()
        writer.writerows(flat)
        harness.write_text(out / f"{stem}.csv", buffer.getvalue())
    harness.write_json(out / f"{stem}.json", {"meta": meta, "rows": rows})
    wrote = [f"{stem}.md", f"{stem}.csv", f"{stem}.json"]
    if rows and not args.no_plot and plot(rows, peers, out / f"{stem}.png"):
        wrote.append(f"{stem}.png")
    print(f"wrote {', '.join(str(out / w) for w in wrote)} in {elapsed / 60:.1f} min",
          file=sys.stderr)
    if failures.items:
        print(f"\nMINING BENCHMARK FAILED: {len(failures.items)} seqmine problem(s):",
              file=sys.stderr)
        for f in failures.items:
            print("  - " + f.splitlines()[0], file=sys.stderr)
        return 1
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--datasets", help="comma-separated data sets (default: all in the "
                        "reference table), e.g. SIGN,BMS1")
    parser.add_argument("--peers", default=",".join(DEFAULT_PEERS),
                        help="comma-separated sequential peers, '' for none (default: "
                             f"{','.join(DEFAULT_PEERS)}; pyspark is opt-in)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="interleaved rounds per level (default 3; 1 with --quick)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds per peer run (default 120; 20 with --quick)")
    parser.add_argument("--peer-levels", help="run a slow peer only at the highest N levels "
                        "of each data set, e.g. gsppy:1,prefixspan:2 (default: every level)")
    parser.add_argument("--peer-datasets", help="run a slow peer on these data sets only, "
                        "e.g. gsppy:SIGN+KOSARAK10K (default: every selected data set)")
    parser.add_argument("--peer-memory-gib", type=float, default=8.0,
                        help="address-space cap of each peer process")
    parser.add_argument("--quick", action="store_true",
                        help=f"highest level of {QUICK_DATASETS} (or --datasets) only, one "
                             "round, 20 s peer time-out unless told otherwise (writes "
                             "mining-quick.*)")
    parser.add_argument("--results-dir", default=str(harness.RESULTS))
    parser.add_argument("--out-stem", help="file name stem of the outputs (default: mining)")
    parser.add_argument("--no-plot", action="store_true")
    parser.add_argument("--note", action="append", default=[],
                        help="a sentence to add to the report's notes (repeatable)")
    parser.add_argument("--compile-every-dataset", action="store_true",
                        help="measure compile time at every data set's highest level, not only "
                             "at the first one (the kernels and their types are the same)")


def render(path: Path) -> int:
    """Rewrite the .md (and .png) of a run from its .json, e.g. after a change of layout."""
    data = json.loads(path.read_text(encoding="utf-8"))
    rows, meta = data["rows"], data["meta"]
    peers = list(rows[0]["peers"]) if rows else []
    harness.write_text(path.with_suffix(".md"), markdown(rows, peers, meta))
    plot(rows, peers, path.with_suffix(".png"))
    print(f"rewrote {path.with_suffix('.md')} from {path}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--render"]:
        return render(Path(argv[1]))
    if argv[:1] == ["--worker"]:
        kind, path, percent = argv[1:4]
        fn = worker_warm if kind == "warm" else worker_first
        print(json.dumps(fn(path, percent)))
        return 0
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run mining",
                                     description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    args.argv = argv
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    if args.timeout is None:
        args.timeout = 20.0 if args.quick else 120.0
    if args.quick and args.datasets is None:
        args.datasets = QUICK_DATASETS
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
