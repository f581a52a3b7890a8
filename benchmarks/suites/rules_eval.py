"""Rule recommender evaluation: RuleRecommender vs the item-pair baseline vs popularity on
every shared recsys file, with the shared protocol (seqmine.split / seqmine.evaluate).

    python -m benchmarks.suites.rules_eval                       # every data set
    python -m benchmarks.suites.rules_eval --datasets s3rec_beauty,sasrec_ml1m
    python -m benchmarks.suites.rules_eval --quick               # small grid, for a smoke run
    python -m benchmarks.suites.rules_eval --ablation            # + mined-rule rows (sessions)

Protocol, per data set:
* user files (SASRec / S3-Rec / MovieLens ratings): leave-one-out, seen items excluded (the
  protocol of the S3-Rec papers, and the one under which the issue's baseline figures hold);
  session files (YooChoose, DIGINETICA): global temporal split (last 10 % of events test,
  10 % before that validation, every event of a window a target), seen items kept (repeat
  clicks are real targets there).
* RuleRecommender parameters are chosen on the validation split only (rules fit on
  split.train; a fixed random sample of at most --valid-sample (10000) validation
  instances). The baseline and popularity have no parameters to tune.
* For the test figures every model is refit on all events before the test targets
  (``split.train_and_valid()``: nothing from a test event), then ranks every
  catalogue item for every test instance (full ranking). Both models see the same data.
* The rules-minus-baseline NDCG@10 difference comes with a 95 % paired bootstrap interval
  over test instances (1000 resamples).
* Serving: p50 / p99 latency of ``recommend(history, k=10)`` for single test histories, and
  histories per second when scoring the whole test set in batches.

Writes benchmarks/results/rules_eval.md and rules_eval.json.
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

from seqmine.io.atomic import atomic_write_bytes

DATA_DIR = Path(os.environ.get("SEQMINE_RECSYS_DIR", "/work/shared/datasets/recsys"))
RESULTS = Path(__file__).resolve().parents[1] / "results"

#: file -> (sequence column, split, exclude_seen, timestamps in Unix seconds)
DATASETS: dict[str, tuple[str | None, str, bool, bool]] = {
    "sasrec_ml1m": (None, "leave-one-out", True, False),
    "s3rec_beauty": (None, "leave-one-out", True, False),
    "s3rec_sports": (None, "leave-one-out", True, False),
    "s3rec_yelp": (None, "leave-one-out", True, False),
    "sasrec_video": (None, "leave-one-out", True, False),
    "ml1m_ratings_users1-2999": (None, "leave-one-out", True, True),
    "yoochoose_clicks_100k": ("session_id", "temporal", False, True),
    "diginetica_views_sample": ("session_id", "temporal", False, True),
}

#: figures of the issue's baseline (NDCG@10, HR@10), leave-one-out, full ranking, seen excluded
ISSUE_BASELINE = {"s3rec_beauty": (0.060, 0.095), "sasrec_ml1m": (0.142, 0.242)}

GRID: dict[str, list[Any]] = {
    "decay": [0.5, 1.0],
    "last": [10],
    "recency": [1.0, 2.0],
    "normalize": [0.0, 0.5, 1.0],
    "shrinkage": [0.0, 20.0],
    "backward": [0.0, 0.25],
    "min_count": [1, 2],
}
#: added to GRID for data with real timestamps (seconds): pairs within a day, antecedents
#: within the hour before the history's last event
TIME_GRID: dict[str, list[Any]] = {"window_seconds": [None, 86400],
                                   "last_seconds": [None, 3600]}
QUICK_GRID: dict[str, list[Any]] = {"last": [3, 10], "normalize": [0.0, 1.0],
                                    "backward": [0.0, 0.25]}


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def load(name: str, data_dir: Path) -> Any:
    """The data set as a SequenceDatabase; files with Unix-second timestamps get time unit
    "s" (so that the time windows of RuleRecommender apply)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    import seqmine
    sequence, _, _, unix_seconds = DATASETS[name]
    path = data_dir / f"{name}.parquet"
    if not unix_seconds:
        return seqmine.read_events(path, sequence=sequence)
    table = pq.read_table(path)
    table = table.set_column(table.schema.get_field_index("timestamp"), "timestamp",
                             pc.cast(table["timestamp"], pa.timestamp("s")))
    return seqmine.read_events(table, sequence=sequence)


def bootstrap_ci(diff: np.ndarray, n: int = 1000, seed: int = 0) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    means = np.empty(n)
    for i in range(n):
        means[i] = diff[rng.integers(0, len(diff), len(diff))].mean()
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(lo), float(hi)


def latency(rec: Any, evalset: Any, n: int = 1000, seed: int = 0) -> dict[str, float]:
    """Single-history ``recommend(h, k=10)`` latency (wall clock, and the calling thread's
    CPU time, which leaves out waiting for a core on a shared machine) and batch
    throughput of ``score`` over the whole set."""
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(evalset), size=min(n, len(evalset)), replace=False))
    hist = [evalset.histories(np.array([i])) for i in idx]
    for h in hist[:20]:
        rec.recommend(h, 10)
    wall, cpu = [], []
    for h in hist:
        t0, c0 = time.perf_counter(), time.thread_time()
        rec.recommend(h, 10)
        cpu.append(time.thread_time() - c0)
        wall.append(time.perf_counter() - t0)
    rec.score(evalset.histories(np.arange(min(1024, len(evalset)))))
    t0 = time.perf_counter()
    for lo in range(0, len(evalset), 1024):
        rec.score(evalset.histories(np.arange(lo, min(lo + 1024, len(evalset)))))
    batch_s = time.perf_counter() - t0
    return {"p50_ms": float(np.percentile(wall, 50) * 1e3),
            "p99_ms": float(np.percentile(wall, 99) * 1e3),
            "cpu_p50_ms": float(np.percentile(cpu, 50) * 1e3),
            "cpu_p99_ms": float(np.percentile(cpu, 99) * 1e3),
            "batch_histories_per_s": float(len(evalset) / batch_s)}


def serving_only(name: str, args: argparse.Namespace, previous: dict[str, Any]
                 ) -> dict[str, Any] | None:
    """Re-measure serving speed for a data set already in the results (same parameters)."""
    from seqmine.data.split import split
    from seqmine.rules import RuleRecommender
    if name not in previous:
        print(f"skipped {name}: no earlier result to attach serving figures to",
              file=sys.stderr)
        return None
    sp = split(load(name, args.data_dir), DATASETS[name][1])
    rec = RuleRecommender(**previous[name]["best_params"]).fit(sp.train_and_valid())
    res = dict(previous[name])
    res["serving"] = latency(rec, sp.test, seed=args.seed)
    return res


def run_dataset(name: str, args: argparse.Namespace) -> dict[str, Any] | None:
    from seqmine.data.split import split
    from seqmine.evaluate import evaluate, rank_targets
    from seqmine.recommend import PopularityRecommender
    from seqmine.rules import ItemPairBaseline, RuleRecommender, tune

    path = args.data_dir / f"{name}.parquet"
    if not path.exists():
        print(f"skipped {name}: {path} not found", file=sys.stderr)
        return None
    _, how, exclude_seen, timestamps = DATASETS[name]
    db = load(name, args.data_dir)
    sp = split(db, how)
    t0 = time.perf_counter()
    grid = QUICK_GRID if args.quick else {**GRID, **(TIME_GRID if timestamps else {})}
    tuned, table = tune(sp, grid, exclude_seen=exclude_seen, sample=args.valid_sample,
                        seed=args.seed)
    tune_s = time.perf_counter() - t0
    best = tuned.get_params()
    print(f"{name}: tuned in {tune_s:.0f} s -> {best}; valid NDCG@10 "
          f"{table['NDCG@10'].iloc[0]:.4f}", file=sys.stderr)
    # baseline on the same validation sample, for the record
    valid = sp.valid if args.valid_sample is None else sp.valid.sample(args.valid_sample,
                                                                       args.seed)
    base_valid = evaluate(ItemPairBaseline().fit(sp.train), valid, k=[10],
                          exclude_seen=exclude_seen)
    refit = sp.train_and_valid()
    models: dict[str, Any] = {}
    fit_s: dict[str, float] = {}
    for label, make in (("popularity", lambda: PopularityRecommender()),
                        ("item-pair baseline", lambda: ItemPairBaseline()),
                        ("RuleRecommender", lambda: RuleRecommender(**best))):
        t1 = time.perf_counter()
        models[label] = make().fit(refit)
        fit_s[label] = time.perf_counter() - t1
    if args.ablation and how == "temporal":
        # the same scoring over rules mined by PrefixSpan (sequence support, a threshold)
        from seqmine.rules import rules as mine_rules
        t1 = time.perf_counter()
        mined = mine_rules(refit, 0.0, kind="next-item", minsup=2, max_length=3)
        label = "mined next-item rules (PrefixSpan, minsup 2, length <= 3)"
        models[label] = RuleRecommender.from_rules(
            mined, **{k: best[k] for k in ("last", "recency", "normalize", "shrinkage")})
        fit_s[label] = time.perf_counter() - t1
    ks = [10]
    table_test = evaluate(models, sp.test, k=ks, exclude_seen=exclude_seen)
    rank_rules = rank_targets(models["RuleRecommender"], sp.test, exclude_seen=exclude_seen)
    rank_base = rank_targets(models["item-pair baseline"], sp.test, exclude_seen=exclude_seen)
    diff = rank_rules.metric("NDCG", 10, per_user=True) - rank_base.metric("NDCG", 10,
                                                                            per_user=True)
    ci = bootstrap_ci(np.asarray(diff), seed=args.seed)
    serving = latency(models["RuleRecommender"], sp.test, seed=args.seed)
    rows = []
    for label in models:
        r = table_test.loc[label]
        rows.append({"model": label, "HR@10": float(r["HR@10"]), "NDCG@10": float(r["NDCG@10"]),
                     "MRR@10": float(r["MRR@10"]), "Coverage@10": float(r["Coverage@10"]),
                     "fit_s": fit_s[label]})
    return {
        "dataset": name, "split": how, "exclude_seen": exclude_seen,
        "sequences": len(db), "items": db.n_items, "events": db.n_events,
        "test_instances": len(sp.test), "valid_instances_used": len(valid),
        "rows": rows, "best_params": best, "tune_s": tune_s, "grid_size": len(table),
        "valid_ndcg_rules": float(table["NDCG@10"].iloc[0]),
        "valid_ndcg_baseline": float(base_valid["NDCG@10"].iloc[0]),
        "delta_ndcg": float(np.mean(diff)), "delta_ci": ci, "serving": serving,
        "n_rules": models["RuleRecommender"].n_rules,
        "protocol": table_test.attrs.get("protocol", ""),
        "date": dt.date.today().isoformat(),
    }


def write_markdown(results: list[dict[str, Any]], path: Path, hardware: str) -> None:
    lines = ["# Rule recommender vs item-pair baseline vs popularity", "",
             "Written by `python -m benchmarks.suites.rules_eval` "
             f"({results[0]['date'] if results else ''}; {hardware}). Full ranking over the "
             "whole catalogue. Test figures: every model refit on all events before the test "
             "targets; RuleRecommender parameters chosen on the validation split only (rules "
             "fit on split.train). User files: leave-one-out, seen items excluded; session "
             "files: temporal split (last 10 % of events test, 10 % validation), seen items "
             "kept. Δ NDCG = RuleRecommender minus baseline with a 95 % paired bootstrap "
             "interval over test instances.", ""]
    lines += [
        "RuleRecommender (seqmine.rules.RuleRecommender) scores a candidate y by the rules "
        "a => y whose antecedent item a is among the last 10 history events: weight "
        "`support / (antecedent_support + shrinkage) ** normalize` times the recency "
        "`(j + 1) ** -recency`; support sums `distance ** -decay` over event pairs within "
        "10 positions, plus `backward` times the pairs in reverse order; rules seen in "
        "fewer than `min_count` event pairs are dropped. On the files with real timestamps "
        "(MovieLens ratings, YooChoose, DIGINETICA) the grid also tries time windows: pairs "
        "at most a day apart (`window_seconds`), antecedents at most an hour before the "
        "history's last event (`last_seconds`). The baseline is RuleRecommender's special "
        "case decay 1, normalize 0, last 3, recency 1, backward 0, min_count 1 (a test "
        "checks the scores are equal). Grid: "
        + ", ".join(f"{k} {v}" for k, v in GRID.items()) + ".", ""]
    lines += ["| data set | split | model | HR@10 | NDCG@10 | MRR@10 | Coverage@10 | fit s |",
              "|---|---|---|---:|---:|---:|---:|---:|"]
    for res in results:
        for row in res["rows"]:
            lines.append(f"| {res['dataset']} | {res['split']} | {row['model']} | "
                         f"{row['HR@10']:.4f} | {row['NDCG@10']:.4f} | {row['MRR@10']:.4f} | "
                         f"{row['Coverage@10']:.4f} | {row['fit_s']:.1f} |")
    lines += ["", "## Margin, chosen parameters, serving speed", "",
              "| data set | Δ NDCG@10 [95 % CI] | valid NDCG rules / baseline | parameters "
              "(window 10, decay 1, min_count 1 unless listed) | rules | p50 ms | p99 ms "
              "| CPU p50 / p99 ms | histories/s (batch) |",
              "|---|---|---|---|---:|---:|---:|---:|---:|"]
    for res in results:
        p = res["best_params"]
        usual = {"window": 10, "decay": 1.0, "min_count": 1}
        shown = ", ".join(f"{k} {v}" for k, v in p.items()
                          if v is not None and usual.get(k) != v)
        s = res["serving"]
        lo, hi = res["delta_ci"]
        lines.append(f"| {res['dataset']} | {res['delta_ndcg']:+.4f} [{lo:+.4f}, {hi:+.4f}] | "
                     f"{res['valid_ndcg_rules']:.4f} / {res['valid_ndcg_baseline']:.4f} | "
                     f"{shown} | {res['n_rules']} | {s['p50_ms']:.3f} | {s['p99_ms']:.3f} | "
                     f"{s.get('cpu_p50_ms', float('nan')):.3f} / "
                     f"{s.get('cpu_p99_ms', float('nan')):.3f} | "
                     f"{s['batch_histories_per_s']:.0f} |")
    lines += ["", "Issue 5's figures for the baseline (NDCG@10 / HR@10): "
              + "; ".join(f"{k} {v[0]:.3f} / {v[1]:.3f}" for k, v in ISSUE_BASELINE.items())
              + ". Latency: one history per call, `recommend(history, k=10)` including "
              "top-k selection over the whole catalogue, 1000 random test histories. The "
              "machine is shared (other jobs running), so wall-clock p99 includes waiting "
              "for a core; CPU p50 / p99 is the calling thread's CPU time per call. "
              "Batch: `score` over all test histories in blocks of 1024 (dense "
              "float32 rows, parallel kernel).", ""]
    atomic_write_bytes(path, "\n".join(lines).encode())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--valid-sample", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--serving-only", action="store_true",
                        help="Only re-measure serving speed of data sets already reported.")
    parser.add_argument("--ablation", action="store_true",
                        help="Session files: add a row scoring with PrefixSpan-mined rules.")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.datasets.split(",") if n.strip()]
    unknown = [n for n in names if n not in DATASETS]
    if unknown:
        parser.error(f"unknown data sets {unknown}; choose from {list(DATASETS)}")
    args.out.mkdir(parents=True, exist_ok=True)
    json_path = args.out / "rules_eval.json"
    previous = json.loads(json_path.read_text()) if json_path.exists() else []
    merged = {r["dataset"]: r for r in previous}
    for name in names:
        res = serving_only(name, args, merged) if args.serving_only else \
            run_dataset(name, args)
        if res is None:
            continue
        merged[name] = res
        ordered = [merged[n] for n in DATASETS if n in merged]
        atomic_write_bytes(json_path, json.dumps(ordered, indent=1, default=float).encode())
        hardware = f"{cpu_name()}, {os.cpu_count()} cores"
        write_markdown(ordered, args.out / "rules_eval.md", hardware)
        for row in res["rows"]:
            print(f"  {name:28s} {row['model']:20s} HR@10 {row['HR@10']:.4f} "
                  f"NDCG@10 {row['NDCG@10']:.4f}", file=sys.stderr)


if __name__ == "__main__":
    main()
