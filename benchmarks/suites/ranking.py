"""Ranking benchmark: train SASRec / GRU / LSTM on the shared recsys files, evaluate with the
leave-one-out protocol (full ranking), and record training throughput.

    python -m benchmarks.suites.ranking --dataset s3rec_beauty --epochs 5 --max-len 50
    python -m benchmarks.suites.ranking --dataset sasrec_ml1m --max-users 1000 --epochs 3

Rows are merged into ``benchmarks/results/ranking.json`` (same dataset, model, settings and
device replace the old row) and the Markdown table ``benchmarks/results/ranking.md`` is
rewritten from it. Every row says what was run: epochs (run / best), device, threads, model
size, window, users. S3-Rec files are evaluated with seen items excluded (their papers'
protocol); the others with seen items kept. A missing data set is skipped with a message.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

DATA_DIR = Path(os.environ.get("SEQMINE_RECSYS_DIR", "/work/shared/datasets/recsys"))
RESULTS = Path(__file__).resolve().parents[1] / "results"

# published full-ranking figures quoted in issue 6, for the table's reference rows
REFERENCES = {
    "sasrec_ml1m": "SASRec full CE (RecSys 2023 reproducibility): HR@10 0.315, NDCG@10 0.182 "
                   "(their code filters seen items: compare with the 'excluded' rows)",
    "s3rec_beauty": "published SASRec (exclude seen): HR@10 0.0605, NDCG@10 0.0318; "
                    "BSARec 0.1008 / 0.0611",
}


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def device_name(device: str) -> str:
    import torch
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(0)
    return f"{cpu_name()} ({torch.get_num_threads()} threads)"


def run_dataset(name: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    import torch

    import seqmine
    from seqmine.data.split import split
    from seqmine.evaluate import evaluate
    from seqmine.neural import train
    from seqmine.recommend import PopularityRecommender

    path = args.data_dir / f"{name}.parquet"
    if not path.exists():
        print(f"skipped {name}: {path} not found", file=sys.stderr)
        return []
    if args.threads:
        torch.set_num_threads(args.threads)
    db = seqmine.read_events(path)
    if args.max_users and args.max_users < len(db):
        # a fixed random subset of users, not the first ones (ids may follow some order)
        rng = np.random.default_rng(args.seed)
        db = db.subset(np.sort(rng.choice(len(db), args.max_users, replace=False)))
    sp = split(db, "leave-one-out")
    exclude_seen = name.startswith("s3rec") if args.exclude_seen == "auto" \
        else args.exclude_seen == "yes"
    # the protocol validation uses first; in auto mode the other files are also reported
    # with seen items excluded, the protocol of the published ML-1M figures (their code
    # filters seen items)
    protocols = [exclude_seen] + ([True] if args.exclude_seen == "auto" and not exclude_seen
                                  else [])
    common = {"dataset": name, "users": len(db), "items": db.n_items,
              "exclude_seen": exclude_seen, "date": dt.date.today().isoformat()}
    rows = []
    if args.popularity:
        pop = PopularityRecommender().fit(sp.train)
        for protocol in protocols:
            table = evaluate(pop, sp, k=[10], exclude_seen=protocol)
            rows.append({**common, "exclude_seen": protocol, "model": "popularity",
                         "config": "-", "device": "-", "hardware": "-", "epochs": "-",
                         "best_epoch": "-", **_metrics(table), "s_per_epoch": None,
                         "seq_per_s": None, "time_to_best_s": None})
    for model in args.models:
        t0 = time.perf_counter()
        kw = dict(max_len=args.max_len, dim=args.dim, layers=args.layers if model == "sasrec"
                  else args.rnn_layers, dropout=args.dropout, epochs=args.epochs,
                  batch_size=args.batch_size, lr=args.lr, loss=args.loss,
                  patience=args.patience, valid_exclude_seen=exclude_seen,
                  valid_max=args.valid_max or None, device=args.device, compile=args.compile,
                  seed=args.seed, progress=not args.quiet,
                  checkpoint_dir=(args.checkpoint_dir / f"{name}-{model}"
                                  if args.checkpoint_dir else None))
        trained = train(sp, model, **kw)
        if args.save_dir:
            trained.save(args.save_dir / f"{name}-{model}")
        wall = time.perf_counter() - t0
        hist = trained.history
        best = trained.train_config["best_epoch"]
        to_best = sum(r["train_seconds"] + r.get("valid_seconds", 0.0) for r in hist[:best])
        device = hist[-1]["device"]
        config = (f"max_len {args.max_len}, dim {args.dim}, layers {kw['layers']}, "
                  f"batch {args.batch_size}, lr {args.lr}, dropout {args.dropout}, "
                  f"loss {args.loss}" + (", compiled" if args.compile else ""))
        for protocol in protocols:
            table = evaluate(trained, sp, k=[10], exclude_seen=protocol)
            rows.append({**common, "exclude_seen": protocol, "model": model,
                         "config": config, "device": device,
                         "hardware": device_name(device), "epochs": len(hist),
                         "best_epoch": best, **_metrics(table),
                         "s_per_epoch": float(np.median([r["train_seconds"] for r in hist])),
                         "seq_per_s": float(np.median([r["sequences_per_s"] for r in hist])),
                         "time_to_best_s": to_best, "wall_s": wall,
                         "max_epochs": args.epochs, "load": _load(),
                         **({"note": args.note} if args.note else {})})
            print(f"{name} {model} (seen {'excluded' if protocol else 'kept'}): HR@10 "
                  f"{rows[-1]['HR@10']:.4f} NDCG@10 {rows[-1]['NDCG@10']:.4f}, {len(hist)} "
                  f"epochs, {rows[-1]['seq_per_s']:.0f} seq/s on {device}", file=sys.stderr)
    return rows


def _load() -> str:
    """Host 1-minute load average / CPUs: on a shared machine, wall-clock figures are only
    meaningful next to it."""
    try:
        return f"{os.getloadavg()[0]:.1f}/{os.cpu_count()}"
    except OSError:
        return "-"


def _metrics(table: Any) -> dict[str, float]:
    row = table.iloc[0]
    return {"HR@10": float(row["HR@10"]), "NDCG@10": float(row["NDCG@10"]),
            "MRR@10": float(row["MRR@10"])}


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["dataset"], row["users"], row["model"], row["config"], row["device"],
            row.get("max_epochs"), row["exclude_seen"])


def merge(rows: list[dict[str, Any]], path: Path) -> list[dict[str, Any]]:
    old = json.loads(path.read_text()) if path.exists() else []
    keys = {_key(r) for r in rows}
    return [r for r in old if _key(r) not in keys] + rows


def _fmt(value: Any, spec: str) -> str:
    return "-" if value is None or value == "-" else format(value, spec)


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "# Ranking benchmark",
        "",
        "Written by `python -m benchmarks.suites.ranking`. Protocol: leave-one-out (last item "
        "test, second-last validation), **full ranking** over all items; S3-Rec files with "
        "seen items excluded, the others reported both ways (validation keeps them; the "
        "published ML-1M figures come from code that excludes them, and a MovieLens user "
        "rates a film once, so excluding there never removes a test item). Early stopping "
        "on validation NDCG@10; the test metrics are the best epoch's. Throughput = "
        "training sequences (windows) per second, median over epochs, validation excluded. "
        "Rows with few epochs are **short measurement runs, not converged models**: compare "
        "them with the published figures only as such. Host load = 1-minute load average / "
        "CPUs when the row finished: above 1 per CPU, other jobs shared the cores and the "
        "timings are slower than the hardware allows.",
        "",
        "| dataset | users | items | seen | model | epochs run (best) / max | device | "
        "HR@10 | NDCG@10 | MRR@10 | s/epoch | seq/s | to best (s) | host load | config | "
        "date |",
        "|---|---:|---:|---|---|---|---|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: (r["dataset"], r["users"], r["model"] != "popularity",
                                         r["model"])):
        epochs = "-" if r["epochs"] == "-" else \
            f"{r['epochs']} ({r['best_epoch']}) / {r.get('max_epochs', '-')}"
        lines.append(
            f"| {r['dataset']} | {r['users']} | {r['items']} | "
            f"{'excluded' if r['exclude_seen'] else 'kept'} | {r['model']} | {epochs} | "
            f"{r['device'] if r['device'] == '-' else r['device'] + ': ' + r['hardware']} | "
            f"{r['HR@10']:.4f} | {r['NDCG@10']:.4f} | {r['MRR@10']:.4f} | "
            f"{_fmt(r['s_per_epoch'], '.1f')} | {_fmt(r['seq_per_s'], '.0f')} | "
            f"{_fmt(r['time_to_best_s'], '.0f')} | {r.get('load', '-')} | {r['config']} | "
            f"{r['date']} |")
    notes = [f"- {r['dataset']} {r['model']}: {r['note']}" for r in rows if r.get("note")]
    if notes:
        lines += ["", "Notes:", "", *dict.fromkeys(notes)]
    refs = sorted({r["dataset"] for r in rows} & REFERENCES.keys())
    if refs:
        lines += ["", "Published full-ranking figures for reference (from issue 6):", ""]
        lines += [f"- {d}: {REFERENCES[d]}" for d in refs]
    return "\n".join(lines) + "\n"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", default="s3rec_beauty",
                   help="comma-separated names of files in --data-dir (without .parquet)")
    p.add_argument("--data-dir", type=Path, default=DATA_DIR)
    p.add_argument("--models", default="sasrec,gru")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--patience", type=int, default=5)
    p.add_argument("--max-len", type=int, default=50)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--layers", type=int, default=2, help="SASRec blocks")
    p.add_argument("--rnn-layers", type=int, default=1)
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--loss", choices=["ce", "sampled"], default="ce")
    p.add_argument("--max-users", type=int, default=0, help="random subset of users (0: all)")
    p.add_argument("--valid-max", type=int, default=0, help="validation sample (0: all)")
    p.add_argument("--exclude-seen", choices=["auto", "yes", "no"], default="auto")
    p.add_argument("--device", default="auto")
    p.add_argument("--compile", action="store_true")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint-dir", type=Path, default=None,
                   help="checkpoint every epoch under DIR/<dataset>-<model>; a rerun resumes")
    p.add_argument("--save-dir", type=Path, default=None,
                   help="save each trained model to DIR/<dataset>-<model> (for the hybrid)")
    p.add_argument("--no-popularity", dest="popularity", action="store_false")
    p.add_argument("--output", type=Path, default=RESULTS / "ranking.md")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--note", default="", help="a sentence stored with each trained row")
    args = p.parse_args(argv)
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    rows: list[dict[str, Any]] = []
    for name in [d.strip() for d in args.dataset.split(",") if d.strip()]:
        rows += run_dataset(name, args)
    if not rows:
        print("nothing was run (no data set found); results left as they were",
              file=sys.stderr)
        return 0
    store = args.output.with_suffix(".json")
    merged = merge(rows, store)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    store.write_text(json.dumps(merged, indent=1) + "\n")
    args.output.write_text(markdown(merged))
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
