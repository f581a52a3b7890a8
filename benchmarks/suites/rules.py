"""Rule recommender serving: fit time, single-history latency (p50 / p99) and batch throughput
(histories per second) of ``seqmine.rules.RuleRecommender`` on the shared recsys files.

    python -m benchmarks run rules                          # every data set of rules-eval
    python -m benchmarks run rules --quick                  # sasrec_ml1m and yoochoose only
    python -m benchmarks run rules --datasets s3rec_beauty --histories 5000

Per data set, in a child process: read it as the rules-eval suite does, split it the same way,
fit RuleRecommender on the training part with the parameters rules-eval chose on validation
(``results/rules_eval.json``; the defaults when a data set is not there), then measure with
``rules_eval.latency``: ``recommend(history, k=10)`` for single test histories (wall clock and
the calling thread's CPU time), and ``score`` over every test history in blocks of 1024 (the
parallel kernel, on ``NUMBA_NUM_THREADS`` threads). Quality figures are rules-eval's business.
Writes results/rules.{md,json,png}.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import harness
from benchmarks.harness import fmt_s

QUICK_DATASETS = "sasrec_ml1m,yoochoose_clicks_100k"


# === child side ================================================================================
def serve_dataset(name: str, histories: int, params: dict[str, Any]) -> dict[str, Any]:
    import numba

    from benchmarks.suites.rules_eval import DATA_DIR, DATASETS, latency, load
    from seqmine.data.split import split
    from seqmine.rules import RuleRecommender
    t0 = time.perf_counter()
    db = load(name, DATA_DIR)
    sp = split(db, DATASETS[name][1])
    read_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    rec = RuleRecommender(**params).fit(sp.train)
    fit_s = time.perf_counter() - t0
    return {"events": db.n_events, "sequences": len(db), "items": db.n_items,
            "test_histories": len(sp.test), "split": DATASETS[name][1], "read_s": read_s,
            "fit_s": fit_s, "rules": rec.n_rules, "threads": numba.get_num_threads(),
            **latency(rec, sp.test, n=histories)}


# === parent side ===============================================================================
def tuned_params(results: Path) -> dict[str, dict[str, Any]]:
    """RuleRecommender parameters rules-eval chose per data set ({} when it has not run)."""
    path = results / "rules_eval.json"
    if not path.is_file():
        return {}
    return {r["dataset"]: r["best_params"] for r in json.loads(path.read_text())}


def markdown(data: dict[str, Any]) -> str:
    meta = data["meta"]
    lines = [
        "# Rule recommender serving latency and throughput",
        "",
        f"Written by `{meta['command']}` in {meta['minutes']:.1f} min.",
        "",
        f"- Machine: {harness.machine_line(meta['machine'])}.",
        f"- Load average at the end: {meta['machine_end']['load_average']} (1/5/15 min): "
        "wall-clock p99 includes waiting for a core on this shared machine; the CPU columns "
        "(the calling thread's CPU time) leave that out.",
        f"- {meta['histories']} random test histories per data set for the single-history "
        "latency of `recommend(history, k=10)` (full catalogue, top-k included); batch: "
        "`score` over every test history in blocks of 1024. Parameters: rules-eval's choice "
        "on validation (results/rules_eval.json), fit on the training split.",
        "",
        "| data set | split | events | items | rules | fit s | p50 ms | p99 ms | CPU p50 / "
        "p99 ms | histories/s (batch, threads) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in data["rows"]:
        if row["status"] != "ok":
            lines.append(f"| {row['dataset']} | {row['why']} | | | | | | | | |")
            continue
        lines.append(
            f"| {row['dataset']} | {row['split']} | {row['events']:,} | {row['items']:,} | "
            f"{row['rules']:,} | {fmt_s(row['fit_s'])} | {row['p50_ms']:.3f} | "
            f"{row['p99_ms']:.3f} | {row['cpu_p50_ms']:.3f} / {row['cpu_p99_ms']:.3f} | "
            f"{row['batch_histories_per_s']:,.0f} ({row['threads']}) |")
    return "\n".join(lines + harness.failure_lines(meta["failures"])) + "\n"


def plot(data: dict[str, Any], path: Path) -> bool:
    plt = harness.pyplot()
    if plt is None:
        return False
    rows = [r for r in data["rows"] if r["status"] == "ok"]
    if not rows:
        return False
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
    x = range(len(rows))
    for offset, field, name in ((-0.2, "cpu_p50_ms", "CPU p50"), (0.2, "cpu_p99_ms", "CPU p99")):
        left.bar([i + offset for i in x], [r[field] for r in rows], 0.4, label=name)
    left.set_ylabel("ms per recommend(history, k=10)")
    left.legend(fontsize=8)
    right.bar(x, [r["batch_histories_per_s"] for r in rows], color="C2")
    right.set_ylabel("histories / s (batch score)")
    for ax in (left, right):
        ax.set_xticks(list(x))
        ax.set_xticklabels([r["dataset"] for r in rows], rotation=30, ha="right", fontsize=7)
    fig.suptitle(f"RuleRecommender serving ({harness.cpu_model()})", fontsize=9)
    fig.tight_layout()
    harness.save_figure(fig, path)
    return True


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        print(json.dumps(serve_dataset(argv[1], int(argv[2]), json.loads(argv[3]))))
        return 0
    from benchmarks.suites.rules_eval import DATA_DIR, DATASETS
    parser = argparse.ArgumentParser(prog="python -m benchmarks run rules",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", help=f"default: every rules-eval data set; "
                        f"{QUICK_DATASETS} with --quick")
    parser.add_argument("--histories", type=int, default=None,
                        help="single-history latency samples (default 1000; 300 with --quick)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per data set")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--results-dir", default=str(harness.RESULTS))
    args = parser.parse_args(argv)
    names = (args.datasets or (QUICK_DATASETS if args.quick else ",".join(DATASETS))).split(",")
    unknown = [n for n in names if n not in DATASETS]
    if unknown:
        parser.error(f"unknown data sets {unknown}; choose from {list(DATASETS)}")
    histories = args.histories or (300 if args.quick else 1000)
    params = tuned_params(harness.RESULTS)
    machine = harness.machine()
    started = time.perf_counter()
    rows, failures = [], []
    for name in names:
        if not (DATA_DIR / f"{name}.parquet").is_file():
            print(f"  skipped {name}: not in {DATA_DIR}", file=sys.stderr)
            continue
        run = harness.measure([sys.executable, "-m", "benchmarks.suites.rules", "--worker", name,
                               str(histories), json.dumps(params.get(name, {}))],
                              timeout=args.timeout, env=harness.python_env())
        if not run.ok:
            failures.append(f"{name}: {run.why()}")
            rows.append({"dataset": name, "status": run.status, "why": run.why()})
            continue
        row = {"dataset": name, "status": "ok", "params": params.get(name, "defaults"),
               "load": harness.load_average(), **run.json()}
        rows.append(row)
        print(f"  {name}: p50 {row['p50_ms']:.3f} ms, p99 {row['p99_ms']:.3f} ms, "
              f"{row['batch_histories_per_s']:,.0f} histories/s", file=sys.stderr, flush=True)
    data = {"meta": {"command": "python -m benchmarks run rules " + shlex.join(argv),
                     "machine": machine, "machine_end": harness.machine(),
                     "minutes": (time.perf_counter() - started) / 60, "histories": histories,
                     "failures": failures},
            "rows": rows}
    harness.write_results(Path(args.results_dir), "rules-quick" if args.quick else
                          "rules", data, markdown, plot)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
