"""Scaling benchmark: how seqmine's mining time and memory grow with the data and with a lower
minsup, with one and two threads.

    python -m benchmarks run scaling                  # 10^4 .. 10^7 events, minsup sweep at 10^6
    python -m benchmarks run scaling --quick          # 10^4 .. 10^6 events, sweep at 10^5
    python -m benchmarks run scaling --sizes 1e5,1e6 --sweep-events 1e5 --repeat 5

Data (:func:`synthetic_database`): ``seqmine.datasets.synthetic``, Quest-style, ten events per
sequence on average, one item per event, 10,000 items of Zipf-like popularity, 200 planted
patterns, a fixed seed. The size sweep keeps the relative minsup fixed (``--minsup``), so the
number of patterns stays about the same while the data grow; the minsup sweep mines one size
at falling thresholds, so the work grows with the patterns.

Each point is a fresh child process: it mines a small synthetic database first (kernels,
imports and first-use costs are paid there), generates the database, then times
``mine(db, minsup)`` (algorithm auto) with n_jobs=1 and n_jobs=2 in interleaved rounds
(1 2 1 2 ...): wall and CPU seconds, and the growth of the resident size during the call
(VmHWM reset before it). Every round must find the same pattern count, or the
run fails. Slopes are least-squares fits of log time (and log memory) on log events, or on
log patterns for the sweep: 1.0 is linear. Writes results/scaling.{md,json,png}.
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import harness
from benchmarks.harness import fmt_s, median

SIZES = "1e4,3e4,1e5,3e5,1e6,3e6,1e7"
QUICK_SIZES = "1e4,1e5,1e6"
SWEEP = "0.02,0.01,0.005,0.003,0.002,0.001"
QUICK_SWEEP = "0.02,0.01,0.005,0.002"
JOBS = (1, 2)
#: slopes are also fitted from this size up, where fixed per-call costs no longer dominate
LARGE_EVENTS = 100_000


def synthetic_database(n_events: int, seed: int = 0) -> Any:
    """About ``n_events`` events, ten per sequence on average, one item each."""
    from seqmine.datasets.synthetic import synthetic
    return synthetic(max(1, int(n_events) // 10), mean_events=10, mean_itemset_size=1,
                     n_items=10_000, n_patterns=200, seed=seed)


# === child side ================================================================================
def measure_point(n_events: int, minsup: float, rounds: int) -> dict[str, Any]:
    """Generate, warm up, then time mine() with each n_jobs in interleaved rounds."""
    import seqmine
    warm = synthetic_database(20_000, seed=1)  # the same code paths, so the first timed call
    for n_jobs in JOBS:                        # pays no import, compile or first-use cost
        seqmine.mine(warm, minsup, n_jobs=n_jobs)
    del warm
    t0 = time.perf_counter()
    db = synthetic_database(n_events)
    gen_s = time.perf_counter() - t0
    a = db.arrays
    out: dict[str, Any] = {
        "events": db.n_events, "sequences": db.n_sequences, "items": db.n_items,
        "gen_s": gen_s, "db_mib": sum(x.nbytes for x in (a.seq_ptr, a.evt_ptr, a.items, a.times))
        / 2**20, "runs": {str(n): [] for n in JOBS}}
    for _ in range(rounds):
        for n_jobs in JOBS:
            patterns, cost = harness.timed_call(
                lambda n_jobs=n_jobs: seqmine.mine(db, minsup, n_jobs=n_jobs))
            out["runs"][str(n_jobs)].append({**cost, "patterns": len(patterns)})
            out["chosen"] = patterns.options["chosen_algorithm"]
            del patterns
    return out


# === parent side ===============================================================================
def fit_slope(xs: list[float], ys: list[float | None]) -> float | None:
    """Least-squares slope of log y on log x over the points that have a y (None if < 2)."""
    pairs = [(math.log(x), math.log(y)) for x, y in zip(xs, ys, strict=True)
             if y is not None and y > 0 and x > 0]
    if len(pairs) < 2:
        return None
    mx = sum(p[0] for p in pairs) / len(pairs)
    my = sum(p[1] for p in pairs) / len(pairs)
    sxx = sum((p[0] - mx) ** 2 for p in pairs)
    if sxx == 0:
        return None
    return sum((p[0] - mx) * (p[1] - my) for p in pairs) / sxx


def summarise_point(point: dict[str, Any]) -> dict[str, Any]:
    """Medians per n_jobs, and the pattern counts seen (all rounds must agree)."""
    out: dict[str, Any] = {"counts": sorted({r["patterns"] for rs in point["runs"].values()
                                             for r in rs})}
    for n, runs in point["runs"].items():
        out[n] = {"wall_s": median([r["wall_s"] for r in runs]),
                  "cpu_s": median([r["cpu_s"] for r in runs]),
                  "growth_mib": max(r["growth_mib"] for r in runs),
                  "peak_mib": max(r["peak_mib"] for r in runs)}
    return out


def run_point(n_events: int, minsup: float, args: argparse.Namespace,
              failures: list[str]) -> dict[str, Any]:
    run = harness.measure([sys.executable, "-m", "benchmarks.suites.scaling", "--point",
                           str(n_events), repr(minsup), str(args.repeat)],
                          timeout=args.timeout, env=harness.python_env(),
                          memory_limit_bytes=int(args.memory_gib * 2**30))
    base = {"n_events": n_events, "minsup": minsup, "load": harness.load_average()}
    if not run.ok:
        failures.append(f"{n_events:.0e} events, minsup {minsup}: {run.why()}")
        return {**base, "status": run.status, "why": run.why()}
    point = run.json()
    summary = summarise_point(point)
    if len(summary["counts"]) != 1:
        failures.append(f"{n_events:.0e} events, minsup {minsup}: the rounds found different "
                        f"pattern counts {summary['counts']}")
    print(f"  {point['events']:>10,} events, minsup {minsup}: {summary['counts']} patterns, "
          + ", ".join(f"n_jobs={n} {fmt_s(summary[str(n)]['wall_s'])} s" for n in JOBS),
          file=sys.stderr, flush=True)
    return {**base, "status": "ok", **point, "summary": summary}


def _series(points: list[dict[str, Any]], n: int, field: str) -> list[float | None]:
    return [p["summary"][str(n)][field] if p["status"] == "ok" else None for p in points]


def slopes(data: dict[str, Any]) -> dict[str, float | None]:
    """Fitted log-log slopes: time and memory on events (size sweep), time on patterns."""
    sizes = data["sizes"]
    events = [p.get("events", p["n_events"]) for p in sizes]
    sweep = [p for p in data["sweep"] if p["status"] == "ok"]
    patterns = [p["summary"]["counts"][0] for p in sweep]
    large = [i for i, e in enumerate(events) if e >= LARGE_EVENTS]
    out: dict[str, float | None] = {}
    for n in JOBS:
        for name, field in (("time", "wall_s"), ("cpu", "cpu_s"), ("memory", "growth_mib")):
            ys = _series(sizes, n, field)
            out[f"{name}_events_n{n}"] = fit_slope(events, ys)
            out[f"{name}_large_n{n}"] = fit_slope([events[i] for i in large],
                                                  [ys[i] for i in large])
        out[f"time_patterns_n{n}"] = fit_slope(patterns, _series(sweep, n, "wall_s"))
    return out


def _slope_text(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def markdown(data: dict[str, Any]) -> str:
    meta, fit = data["meta"], data["slopes"]
    lines = [
        "# Scaling: mining time and memory against data size and minsup",
        "",
        f"Written by `{meta['command']}` in {meta['minutes']:.1f} min.",
        "",
        f"- Machine: {harness.machine_line(meta['machine'])}.",
        f"- Load average at the end: {meta['machine_end']['load_average']} (1/5/15 min).",
        f"- Data: `synthetic_database(n_events)` (seqmine.datasets.synthetic, ten one-item "
        f"events per sequence on average, 10,000 items, 200 planted patterns, seed 0); "
        f"algorithm auto (it picked {', '.join(sorted(meta['chosen'])) or 'n/a'}); "
        f"{meta['repeat']} interleaved round(s) of n_jobs 1 and 2 per point, medians.",
        "",
    ]
    lines += harness.failure_lines(meta["failures"])
    lines += [
        "## Fitted slopes (log-log)",
        "",
        "1.0 means linear growth. Memory: growth of the resident size during the call. The "
        "smallest sizes carry fixed per-call costs, so the fits from "
        f"{LARGE_EVENTS:,} events up show the growth itself.",
        "",
        "| fit | n_jobs=1 | n_jobs=2 |",
        "|---|---:|---:|",
        f"| wall time ~ events^s (minsup {meta['minsup']}) | "
        f"{_slope_text(fit['time_events_n1'])} | {_slope_text(fit['time_events_n2'])} |",
        f"| CPU time ~ events^s | {_slope_text(fit['cpu_events_n1'])} | "
        f"{_slope_text(fit['cpu_events_n2'])} |",
        f"| memory ~ events^s | {_slope_text(fit['memory_events_n1'])} | "
        f"{_slope_text(fit['memory_events_n2'])} |",
        f"| wall time ~ events^s, from {LARGE_EVENTS:,} events | "
        f"{_slope_text(fit.get('time_large_n1'))} | {_slope_text(fit.get('time_large_n2'))} |",
        f"| memory ~ events^s, from {LARGE_EVENTS:,} events | "
        f"{_slope_text(fit.get('memory_large_n1'))} | "
        f"{_slope_text(fit.get('memory_large_n2'))} |",
        f"| wall time ~ patterns^s (minsup sweep at {meta['sweep_events']:,.0f} events) | "
        f"{_slope_text(fit['time_patterns_n1'])} | {_slope_text(fit['time_patterns_n2'])} |",
        "",
    ]
    head = ("| {x} | patterns | n_jobs=1 s (CPU) | n_jobs=2 s (CPU) | speed-up | "
            "memory growth MiB (1 / 2) | bytes / event (1) | database MiB | load |")
    sep = "|---|---:|---:|---:|---:|---:|---:|---:|---|"
    for title, key, x in ((f"## Data size (minsup {meta['minsup']})", "sizes", "events"),
                          (f"## minsup sweep ({meta['sweep_events']:,.0f} events)", "sweep",
                           "minsup")):
        lines += [title, "", head.format(x=x), sep]
        for p in data[key]:
            first = f"{p['events']:,}" if key == "sizes" and "events" in p else (
                f"{p['n_events']:.0e}" if key == "sizes" else f"{p['minsup']:g}")
            if p["status"] != "ok":
                lines.append(f"| {first} | {p['why']} | | | | | | | {p['load']} |")
                continue
            s = p["summary"]
            one, two = s["1"], s["2"]
            lines.append(
                f"| {first} | {s['counts'][0]:,} | {fmt_s(one['wall_s'])} ({fmt_s(one['cpu_s'])})"
                f" | {fmt_s(two['wall_s'])} ({fmt_s(two['cpu_s'])}) | "
                f"{one['wall_s'] / two['wall_s']:.2f}x | {one['growth_mib']:.0f} / "
                f"{two['growth_mib']:.0f} | {one['growth_mib'] * 2**20 / p['events']:.0f} | "
                f"{p['db_mib']:.0f} | {p['load']} |")
        lines.append("")
    lines += ["On a shared 2-core machine the second thread competes with other work, so the "
              "2-thread speed-up is a lower bound of what an idle machine shows.", ""]
    return "\n".join(lines)


def plot(data: dict[str, Any], path: Path) -> bool:
    """Log-log: time and memory against events, time against patterns (the minsup sweep)."""
    plt = harness.pyplot()
    fit = data["slopes"]
    sizes = [p for p in data["sizes"] if p["status"] == "ok"]
    sweep = [p for p in data["sweep"] if p["status"] == "ok"]
    if plt is None or (not sizes and not sweep):
        return False
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    panels = ((axes[0], sizes, "events", "wall_s", "time_events", "mining wall s"),
              (axes[1], sizes, "events", "growth_mib", "memory_events", "memory growth MiB"),
              (axes[2], sweep, "patterns", "wall_s", "time_patterns", "mining wall s"))
    for ax, points, xname, field, fit_key, ylabel in panels:
        if not points:
            continue
        xs = [p["events"] if xname == "events" else p["summary"]["counts"][0] for p in points]
        for n in JOBS:
            ys = [p["summary"][str(n)][field] for p in points]
            slope = fit[f"{fit_key}_n{n}"]
            ax.plot(xs, ys, "o-", label=f"n_jobs={n} (slope {_slope_text(slope)})")
        if xname == "patterns":
            for p, x in zip(points, xs, strict=True):
                ax.annotate(f"{p['minsup']:g}", (x, p["summary"]["1"][field]), fontsize=7,
                            textcoords="offset points", xytext=(3, 3))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(xname + (" (labels: minsup)" if xname == "patterns" else ""))
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    axes[0].set_title(f"time vs data size (minsup {data['meta']['minsup']})", fontsize=9)
    axes[1].set_title("memory vs data size", fontsize=9)
    axes[2].set_title(f"time vs patterns (minsup sweep, {data['meta']['sweep_events']:,.0f} "
                      "events)", fontsize=9)
    fig.tight_layout()
    harness.save_figure(fig, path)
    return True


def _numbers(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--point"]:
        print(json.dumps(measure_point(int(float(argv[1])), float(argv[2]), int(argv[3]))))
        return 0
    if argv[:1] == ["--render"]:
        source = Path(argv[1])
        data = json.loads(source.read_text())
        data["slopes"] = slopes(data)
        harness.write_results(source.parent, source.stem, data, markdown, plot)
        return 0
    parser = argparse.ArgumentParser(prog="python -m benchmarks run scaling",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", help=f"events per point (default {SIZES}; "
                                        f"{QUICK_SIZES} with --quick)")
    parser.add_argument("--minsup", type=float, default=0.003,
                        help="relative minsup of the size sweep")
    parser.add_argument("--sweep", help=f"minsups of the sweep (default {SWEEP}; "
                                        f"{QUICK_SWEEP} with --quick)")
    parser.add_argument("--sweep-events", type=float, default=None,
                        help="events of the minsup sweep (default 1e6; 1e5 with --quick)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="interleaved rounds per point (default 3; 2 with --quick)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per point")
    parser.add_argument("--memory-gib", type=float, default=12.0,
                        help="address-space cap of each point's process")
    parser.add_argument("--quick", action="store_true", help="smaller sizes and sweep, 2 "
                        "rounds; writes scaling-quick.*")
    parser.add_argument("--results-dir", default=str(harness.RESULTS))
    args = parser.parse_args(argv)
    sizes = [int(x) for x in _numbers(args.sizes or (QUICK_SIZES if args.quick else SIZES))]
    sweep = _numbers(args.sweep or (QUICK_SWEEP if args.quick else SWEEP))
    sweep_events = int(args.sweep_events or (1e5 if args.quick else 1e6))
    if args.repeat is None:
        args.repeat = 2 if args.quick else 3
    machine = harness.machine()
    started = time.perf_counter()
    failures: list[str] = []
    print(f"  size sweep at minsup {args.minsup}", file=sys.stderr)
    size_points = [run_point(n, args.minsup, args, failures) for n in sizes]
    print(f"  minsup sweep at {sweep_events:,} events", file=sys.stderr)
    sweep_points = [run_point(sweep_events, m, args, failures) for m in sweep]
    chosen = {p["chosen"] for p in size_points + sweep_points if p["status"] == "ok"}
    data: dict[str, Any] = {
        "meta": {"command": "python -m benchmarks run scaling " + shlex.join(argv),
                 "machine": machine, "machine_end": harness.machine(),
                 "minutes": (time.perf_counter() - started) / 60, "minsup": args.minsup,
                 "sweep_events": sweep_events, "repeat": args.repeat,
                 "chosen": sorted(chosen), "failures": failures},
        "sizes": size_points, "sweep": sweep_points}
    data["slopes"] = slopes(data)
    harness.write_results(Path(args.results_dir), "scaling-quick" if args.quick else "scaling",
                          data, markdown, plot)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
