"""Neural training throughput: training windows and positions per second of each ranker, on the
CPU (and on CUDA when this machine has it), labelled with the hardware.

    python -m benchmarks run neural                     # sasrec_ml1m, every user, max_len 200
    python -m benchmarks run neural --quick             # 300 users, max_len 50, 2 models
    python -m benchmarks run neural --models sasrec,gru --threads 2 --device cpu,cuda

Each configuration (model, loss, device) is a child process that reads the data set, trains
``--epochs`` epochs with ``seqmine.neural.train`` (no validation, no checkpoints, fixed seed)
and reports the per-epoch figures ``train()`` records; the first epoch is left out of the
median when there are more (it pays allocation and warm-up). Rounds are interleaved
(A B C A B C). This measures speed only: the models are not trained to convergence (see the
ranking suite for accuracy). A missing data set falls back to seqmine's synthetic generator,
and the report says so. Writes results/neural.{md,json,png}.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import harness
from benchmarks.harness import fmt_s, median

DATA_DIR = Path(os.environ.get("SEQMINE_RECSYS_DIR", harness.ROOT.parent / "shared" / "datasets"
                               / "recsys"))
CONFIGS = "sasrec:ce,sasrec:sampled,gru:ce,lstm:ce"
QUICK_CONFIGS = "sasrec:ce,gru:ce"


# === child side ================================================================================
def load(dataset: str, max_users: int) -> tuple[Any, str]:
    """The training data and where it came from: a shared recsys file, else synthetic."""
    import numpy as np

    import seqmine
    path = DATA_DIR / f"{dataset}.parquet"
    if path.is_file():
        db, source = seqmine.read_events(path), dataset
    else:
        from seqmine.datasets.synthetic import synthetic
        db = synthetic(6000, mean_events=50, mean_itemset_size=1, n_items=3500, seed=0)
        source = f"synthetic (6,000 sequences; {path} not found)"
    if max_users and max_users < len(db):
        rng = np.random.default_rng(0)  # a fixed random subset, not the first users
        db = db.subset(np.sort(rng.choice(len(db), max_users, replace=False)))
    return db, source


def train_config(config: dict[str, Any]) -> dict[str, Any]:
    """Train one configuration and return train()'s per-epoch records and the hardware."""
    import torch

    from seqmine.neural import train
    db, source = load(config["dataset"], config["max_users"])
    t0 = time.perf_counter()
    model = train(db, config["model"], loss=config["loss"], epochs=config["epochs"],
                  max_len=config["max_len"], dim=config["dim"], batch_size=config["batch_size"],
                  device=config["device"], threads=config["threads"], progress=False, seed=0)
    seconds = time.perf_counter() - t0
    device = str(model.device)
    if device.startswith("cuda"):
        hardware = torch.cuda.get_device_name(0)
    else:
        hardware = f"{harness.cpu_model()} ({torch.get_num_threads()} threads)"
    return {"source": source, "sequences": len(db), "items": db.n_items,
            "events": db.n_events, "history": model.history, "seconds": seconds,
            "device": device, "hardware": hardware, "torch": torch.__version__}


# === parent side ===============================================================================
def cuda_available() -> bool:
    """Whether a child would find CUDA (asked in a child: the parent never imports torch)."""
    run = harness.measure([sys.executable, "-c",
                           "import torch; print(int(torch.cuda.is_available()))"], timeout=300)
    return run.ok and run.stdout.strip().endswith("1")


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median throughput over the epochs after the first (or all, if only one) of every run."""
    ok = [r for r in runs if r["status"] == "ok"]
    if not ok:
        return {"status": runs[0]["status"], "why": runs[0]["why"]} if runs else {
            "status": "not run"}
    epochs = [e for r in ok for e in (r["history"][1:] or r["history"])]
    return {"status": "ok", "runs": len(ok), "epochs": len(epochs),
            "sequences_per_s": median([e["sequences_per_s"] for e in epochs]),
            "positions_per_s": median([e["positions_per_s"] for e in epochs]),
            "epoch_s": median([e["train_seconds"] for e in epochs]),
            "peak_mib": max(r["maxrss_mib"] for r in ok), "hardware": ok[0]["hardware"],
            "device": ok[0]["device"], "source": ok[0]["source"],
            "sequences": ok[0]["sequences"], "items": ok[0]["items"]}


def markdown(data: dict[str, Any]) -> str:
    meta = data["meta"]
    s = meta["settings"]
    lines = [
        "# Neural training throughput",
        "",
        f"Written by `{meta['command']}` in {meta['minutes']:.1f} min.",
        "",
        f"- Machine: {harness.machine_line(meta['machine'])}.",
        f"- Load average at the end: {meta['machine_end']['load_average']} (1/5/15 min); the "
        "CPU rows share the cores with other work, so they are lower bounds.",
        f"- Data: {meta['source']}; {s['epochs']} epoch(s) per run, {s['repeat']} interleaved "
        f"round(s); max_len {s['max_len']}, dim {s['dim']}, batch {s['batch_size']}, torch "
        f"threads {s['threads']}; GPU: {'yes' if meta['cuda'] else 'none on this machine'}.",
        "",
        "Throughput is the median over epochs after the first (the first pays allocation and "
        "warm-up), validation excluded: *windows/s* are training sequences (one window of at "
        "most max_len + 1 items per sequence), *positions/s* the predicted next items. Peak "
        "MiB: the whole training process.",
        "",
        "| model | loss | device (hardware) | windows/s | positions/s | s/epoch | peak MiB |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for row in data["rows"]:
        r = row["summary"]
        head = f"| {row['model']} | {row['loss']} | {row['device']}"
        if r["status"] != "ok":
            lines.append(f"{head} | {r.get('why', r['status'])} | | | | |")
            continue
        lines.append(f"{head} ({r['hardware']}) | {r['sequences_per_s']:,.0f} | "
                     f"{r['positions_per_s']:,.0f} | {fmt_s(r['epoch_s'])} | "
                     f"{r['peak_mib']:.0f} |")
    return "\n".join(lines + harness.failure_lines(meta["failures"])) + "\n"


def plot(data: dict[str, Any], path: Path) -> bool:
    plt = harness.pyplot()
    if plt is None:
        return False
    rows = [r for r in data["rows"] if r["summary"]["status"] == "ok"]
    if not rows:
        return False
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(rows) + 2), 4))
    names = [f"{r['model']}\n{r['loss']}\n{r['device']}" for r in rows]
    ax.bar(range(len(rows)), [r["summary"]["positions_per_s"] for r in rows],
           color=[f"C{i % 10}" for i in range(len(rows))])
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels(names, fontsize=8)
    ax.set_ylabel("predicted positions / s")
    ax.set_title(f"training throughput ({data['meta']['source']}; {rows[0]['summary']['hardware']}"
                 ")", fontsize=8)
    fig.tight_layout()
    harness.save_figure(fig, path)
    return True


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        print(json.dumps(train_config(json.loads(argv[1])), default=str))
        return 0
    parser = argparse.ArgumentParser(prog="python -m benchmarks run neural",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="sasrec_ml1m",
                        help=f"a file of {DATA_DIR} (synthetic data when absent)")
    parser.add_argument("--configs", default=None,
                        help=f"model:loss pairs (default {CONFIGS}; {QUICK_CONFIGS} with --quick)")
    parser.add_argument("--device", default=None,
                        help="devices, comma-separated (default: cpu, plus cuda when present)")
    parser.add_argument("--max-users", type=int, default=None,
                        help="random subset of users (default all; 300 with --quick)")
    parser.add_argument("--epochs", type=int, default=None, help="default 3; 2 with --quick")
    parser.add_argument("--max-len", type=int, default=None, help="default 200; 50 with --quick")
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--repeat", type=int, default=None, help="default 2; 1 with --quick")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per run")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--results-dir", default=str(harness.RESULTS))
    args = parser.parse_args(argv)
    quick = args.quick
    settings = {"epochs": args.epochs or (2 if quick else 3),
                "max_len": args.max_len or (50 if quick else 200), "dim": args.dim,
                "batch_size": args.batch_size, "threads": args.threads,
                "max_users": args.max_users if args.max_users is not None else (
                    300 if quick else 0),
                "repeat": args.repeat or (1 if quick else 2)}
    machine = harness.machine()
    started = time.perf_counter()
    cuda = cuda_available()
    devices = (args.device or ("cpu,cuda" if cuda else "cpu")).split(",")
    configs = [(model, loss, device) for model, _, loss in
               (pair.partition(":")
                for pair in (args.configs or (QUICK_CONFIGS if quick else CONFIGS)).split(","))
               for device in devices]
    keys = [":".join(c) for c in configs]

    def run_one(key: str, _round: int) -> dict[str, Any]:
        model, loss, device = key.split(":")
        config = {"dataset": args.dataset, "model": model, "loss": loss or "ce",
                  "device": device, **settings}
        run = harness.measure([sys.executable, "-m", "benchmarks.suites.neural", "--worker",
                               json.dumps(config)], timeout=args.timeout,
                              env=harness.python_env())
        if not run.ok:
            return {"status": run.status, "why": run.why()}
        result = run.json()
        epoch_s = result["history"][-1]["train_seconds"]
        print(f"  {key}: {result['history'][-1]['sequences_per_s']:,.0f} windows/s "
              f"({epoch_s:.1f} s/epoch)", file=sys.stderr, flush=True)
        return {**result, "status": "ok", "seconds": epoch_s, "maxrss_mib": run.maxrss_mib}

    # repeat_below_s=inf: every configuration runs in every round
    runs = harness.interleaved(keys, settings["repeat"], run_one, repeat_below_s=float("inf"))
    rows = []
    failures = []
    for key in keys:
        model, loss, device = key.split(":")
        summary = summarise(runs[key])
        if summary["status"] != "ok":
            failures.append(f"{key}: {summary.get('why', summary['status'])}")
        rows.append({"model": model, "loss": loss, "device": device, "summary": summary,
                     "runs": runs[key]})
    source = next((r["summary"]["source"] for r in rows if r["summary"]["status"] == "ok"),
                  args.dataset)
    users = next((r["summary"]["sequences"] for r in rows if r["summary"]["status"] == "ok"),
                 None)
    data = {"meta": {"command": "python -m benchmarks run neural " + shlex.join(argv),
                     "machine": machine, "machine_end": harness.machine(),
                     "minutes": (time.perf_counter() - started) / 60, "cuda": cuda,
                     "source": source + (f", {users:,} users" if users else ""),
                     "settings": settings, "failures": failures},
            "rows": rows}
    harness.write_results(Path(args.results_dir), "neural-quick" if quick else
                          "neural", data, markdown, plot)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
