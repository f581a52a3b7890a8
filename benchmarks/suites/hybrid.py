"""Hybrid ablation: popularity, rules only, neural only, neural + pattern features and the
hybrid blend, on the same split and protocol, with the hybrid's margin over the best single
component and its paired bootstrap interval.

    python -m benchmarks.suites.hybrid                                   # every data set
    python -m benchmarks.suites.hybrid --model-dir /work/models          # reuse trained models
    python -m benchmarks.suites.hybrid --datasets sasrec_ml1m --epochs 50 --checkpoint-dir ck
    python -m benchmarks.suites.hybrid --quick                           # smoke run

Protocol, per data set (the split and seen-item rule of benchmarks/suites/rules_eval.py and
ranking.py): sasrec_ml1m and s3rec_beauty leave-one-out (``seqmine.split(db,
"leave-one-out")``), S3-Rec files with seen items excluded; yoochoose_clicks_100k and
diginetica_views_sample the global temporal split (last 10 % of events test, 10 % before
that validation), seen items kept. Full ranking over the whole catalogue.

* Rules: RuleRecommender with the parameters rules_eval chose on the validation split
  (benchmarks/results/rules_eval.json; the quick grid on validation when absent, or with
  ``--tune-rules``), fit on ``split.train``. Popularity: counts on ``split.train``.
* Neural: ``--model-dir DIR`` loads ``DIR/<dataset>-<model>`` (a model saved by
  ranking.py ``--save-dir``, trained on ``split.train`` with early stopping on
  ``split.valid``); otherwise one is trained here the same way (``--epochs``,
  ``--checkpoint-dir``, ``--save-dir``).
* Neural + pattern features: ``seqmine.neural.train(split, model, features=rules,
  feature_mode=...)`` with the train-split rules (``last_seconds`` dropped: the features
  read item windows without times; loaded from
  ``DIR/<dataset>-<model>-features-<mode>`` when present). Reported as "pending" while
  ``seqmine.neural.train`` has no ``feature_mode``.
* Hybrid: ``HybridScorer({"rules", "neural", "popularity"}, fit_on=split.valid)`` under the
  same protocol (NDCG@10, weight lattice step 1/20; see seqmine/hybrid.py for the method).
* Test rows: rules and popularity are refit on every event before the test targets
  (``split.train_and_valid()``, as rules_eval does; ``--no-refit`` keeps the train-split
  fits), the hybrid keeps its validation weights with those components; the neural models
  are not refit. Margin = hybrid NDCG@10 minus the best of popularity / rules only / neural
  only on the test set, with a 95 % paired bootstrap interval over users.

Writes benchmarks/results/hybrid.md and hybrid.json (rows of other data sets are kept);
``--quick`` (300 users, 2 epochs, small model) writes to a temporary folder unless ``--out``
is given.
"""

from __future__ import annotations

import argparse
import datetime as dt
import inspect
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.suites.rules_eval import DATASETS as RULE_DATASETS
from benchmarks.suites.rules_eval import QUICK_GRID, cpu_name
from benchmarks.suites.rules_eval import load as load_dataset

DATA_DIR = Path(os.environ.get("SEQMINE_RECSYS_DIR", "/work/shared/datasets/recsys"))
RESULTS = Path(__file__).resolve().parents[1] / "results"
DATASETS = ("sasrec_ml1m", "s3rec_beauty", "yoochoose_clicks_100k", "diginetica_views_sample")


def features_available() -> bool:
    from seqmine.neural import train
    return "feature_mode" in inspect.signature(train).parameters


def rule_params(name: str, sp: Any, exclude_seen: bool, args: argparse.Namespace
                ) -> tuple[dict[str, Any], str]:
    """The RuleRecommender parameters and where they come from (validation split only)."""
    from seqmine.rules import tune
    stored = RESULTS / "rules_eval.json"
    if not args.tune_rules and stored.exists():
        for res in json.loads(stored.read_text()):
            if res["dataset"] == name:
                return dict(res["best_params"]), "rules_eval.json (chosen on validation)"
    best, _ = tune(sp, QUICK_GRID, exclude_seen=exclude_seen, sample=args.valid_sample,
                   seed=args.seed)
    return best.get_params(), "quick grid on validation"


def neural_model(name: str, sp: Any, exclude_seen: bool, args: argparse.Namespace,
                 tag: str = "", **extra: Any) -> tuple[Any, str]:
    """A ranker trained on ``sp.train``: loaded from --model-dir, or trained here."""
    from seqmine.neural import load, train
    folder = f"{name}-{args.model}{tag}"
    if args.model_dir is not None and (args.model_dir / folder / "config.json").is_file():
        model = load(args.model_dir / folder, device=args.device)
        if model.codebook is not None and model.codebook != sp.codebook:
            raise SystemExit(f"{args.model_dir / folder} was trained on another catalogue")
        cfg = model.train_config
        return model, (f"loaded {folder} (best epoch {cfg.get('best_epoch', '?')} of "
                       f"{len(model.history)})")
    t0 = time.perf_counter()
    model = train(sp, args.model, max_len=args.max_len, dim=args.dim, layers=args.layers,
                  epochs=args.epochs, patience=args.patience, lr=args.lr,
                  batch_size=args.batch_size, valid_exclude_seen=exclude_seen,
                  valid_max=args.valid_sample, device=args.device, seed=args.seed,
                  threads=args.threads, progress=not args.quiet,
                  checkpoint_dir=(args.checkpoint_dir / folder if args.checkpoint_dir
                                  else None), **extra)
    if args.save_dir is not None:
        model.save(args.save_dir / folder)
    return model, (f"trained here: {len(model.history)} epochs (best "
                   f"{model.train_config.get('best_epoch')}), max_len {args.max_len}, dim "
                   f"{args.dim}, {time.perf_counter() - t0:.0f} s")


def run_dataset(name: str, args: argparse.Namespace) -> dict[str, Any] | None:
    from seqmine.data.split import split
    from seqmine.evaluate import paired_bootstrap, rank_targets
    from seqmine.hybrid import HybridScorer
    from seqmine.recommend import PopularityRecommender
    from seqmine.rules import RuleRecommender

    path = args.data_dir / f"{name}.parquet"
    if not path.exists():
        print(f"skipped {name}: {path} not found", file=sys.stderr)
        return None
    how = RULE_DATASETS[name][1]
    exclude_seen = name.startswith("s3rec") if args.exclude_seen == "auto" \
        else args.exclude_seen == "yes"
    db = load_dataset(name, args.data_dir)  # as rules_eval reads it (time units included)
    if args.max_users and args.max_users < len(db):
        rng = np.random.default_rng(args.seed)
        db = db.subset(np.sort(rng.choice(len(db), args.max_users, replace=False)))
    sp = split(db, how)
    params, params_from = rule_params(name, sp, exclude_seen, args)
    rules = RuleRecommender(**params).fit(sp.train)
    pop = PopularityRecommender().fit(sp.train)
    neural, neural_from = neural_model(name, sp, exclude_seen, args)
    sources = {"rules": params_from, "neural": f"{neural_from}, on {neural.device}"}
    featured: dict[str, Any] = {}
    if features_available() and args.feature_modes:
        # the features read token windows without times: time-limited matching is left out
        feature_rules = rules if params.get("last_seconds") is None else \
            RuleRecommender(**{**params, "last_seconds": None}).fit(sp.train)
        for mode in args.feature_modes:
            featured[mode], trained = neural_model(
                name, sp, exclude_seen, args, tag=f"-features-{mode}", features=feature_rules,
                feature_mode=mode)
            sources[f"features-{mode}"] = f"{trained}, on {featured[mode].device}"
    if args.refit:
        data = sp.train_and_valid()
        rules_test = RuleRecommender(**params).fit(data)
        pop_test = PopularityRecommender().fit(data)
    else:
        rules_test, pop_test = rules, pop
    models: dict[str, Any] = {"popularity": pop_test, "rules only": rules_test,
                              "neural only": neural}
    # one hybrid per neural ranker: the plain one, then each pattern-feature variant
    neurals = {"neural only": (neural, sources["neural"])}
    for mode, model in featured.items():
        models[f"neural + pattern features ({mode})"] = model
        neurals[f"neural + pattern features ({mode})"] = (model, sources[f"features-{mode}"])
    hybrids = []
    for source, (model, trained) in neurals.items():
        label = "hybrid blend" if source == "neural only" else \
            f"hybrid blend with {source.removeprefix('neural + ')}"
        t0 = time.perf_counter()
        fitted = HybridScorer({"rules": rules, "neural": model, "popularity": pop},
                              fit_on=sp.valid, exclude_seen=exclude_seen,
                              resolution=args.resolution, max_instances=args.valid_sample,
                              seed=args.seed)
        info = fitted.fit_info
        hybrids.append({"model": label, "neural": source, "neural_model": trained,
                        "fit_s": time.perf_counter() - t0,
                        "weights": dict(zip(fitted.names, fitted.weights.tolist(),
                                            strict=True)),
                        "valid": {"blend": info["objective"], **info["single"],
                                  "instances": info["instances"]}})
        print(f"{name}: {label} {fitted!r}; valid NDCG@10 {info['objective']:.4f}",
              file=sys.stderr)
        models[label] = HybridScorer({"rules": rules_test, "neural": model,
                                      "popularity": pop_test}, weights=fitted.weights)
    rows, per_user = [], {}
    for label, model in models.items():
        t1 = time.perf_counter()
        ranking = rank_targets(model, sp.test, exclude_seen=exclude_seen, top=10)
        per_user[label] = np.asarray(ranking.metric("NDCG", 10, per_user=True))
        rows.append({"model": label, **{f"{m}@10": float(ranking.metric(m, 10))
                                        for m in ("HR", "NDCG", "MRR", "Coverage")},
                     "eval_s": time.perf_counter() - t1})
        print(f"  {name:26s} {label:44s} NDCG@10 {rows[-1]['NDCG@10']:.4f}", file=sys.stderr)
    if not features_available():
        rows.insert(3, {"model": "neural + pattern features", "pending": True})
    ndcg = {r["model"]: r["NDCG@10"] for r in rows if not r.get("pending")}
    for h in hybrids:
        # the hybrid's own components: popularity, rules only and its neural ranker
        best = max(("popularity", "rules only", h["neural"]), key=ndcg.__getitem__)
        ci = paired_bootstrap(per_user[h["model"]], per_user[best], sp.test.sequence,
                              n_resamples=args.n_resamples, seed=args.seed)
        h.update(best_single=best, margin=ci.difference, ci=[ci.low, ci.high])
    return {
        "dataset": name, "split": how, "exclude_seen": exclude_seen, "users": len(db),
        "items": db.n_items, "test_instances": len(sp.test), "rows": rows,
        "hybrids": hybrids, "sources": sources, "refit": args.refit, "model": args.model,
        "resolution": args.resolution, "rule_params": params, "quick": args.quick,
        "date": dt.date.today().isoformat(),
    }


def write_markdown(results: list[dict[str, Any]], path: Path, hardware: str) -> None:
    lines = [
        "# Hybrid ablation: popularity, rules, neural, neural + pattern features, hybrid", "",
        f"Written by `python -m benchmarks.suites.hybrid` ({hardware}). Full ranking over the "
        "whole catalogue; leave-one-out for the user files (S3-Rec with seen items "
        "excluded), global temporal split for the session files (seen items kept). Rules "
        "and popularity fit on the training split (test rows: refit on every event before "
        "the test targets unless noted); hybrid weights fit on the validation split only "
        "(a mixture of next-item distributions: neural softmax, rule and popularity scores "
        "divided by their sums; simplex lattice search maximising NDCG@10; "
        "seqmine/hybrid.py). Margin = hybrid NDCG@10 minus the best single component "
        "(popularity, rules only, neural only) on test, with a 95 % paired bootstrap "
        "interval over users.", "",
        "| data set | model | HR@10 | NDCG@10 | MRR@10 | Coverage@10 |",
        "|---|---|---:|---:|---:|---:|"]
    for res in results:
        for row in res["rows"]:
            if row.get("pending"):
                lines.append(f"| {res['dataset']} | {row['model']} | pending | pending | "
                             "pending | pending |")
                continue
            lines.append(f"| {res['dataset']} | {row['model']} | {row['HR@10']:.4f} | "
                         f"{row['NDCG@10']:.4f} | {row['MRR@10']:.4f} | "
                         f"{row['Coverage@10']:.4f} |")
    lines += ["", "## Margin over the best single component, weights, provenance", "",
              "| data set | split | users | hybrid | minus best single NDCG@10 [95 % CI] | "
              "best single | weights (rules / neural / popularity) | valid NDCG@10 blend "
              "(rules, neural, popularity alone) | neural model | date |",
              "|---|---|---:|---|---|---|---|---|---|---|"]
    for res in results:
        for h in res["hybrids"]:
            w, v = h["weights"], h["valid"]
            lo, hi = h["ci"]
            lines.append(
                f"| {res['dataset']}{' (quick)' if res['quick'] else ''} | {res['split']}"
                f"{', seen excluded' if res['exclude_seen'] else ''} | {res['users']} | "
                f"{h['model']} | {h['margin']:+.4f} [{lo:+.4f}, {hi:+.4f}] | "
                f"{h['best_single']} | {w['rules']:.2f} / {w['neural']:.2f} / "
                f"{w['popularity']:.2f} | {v['blend']:.4f} ({v['rules']:.4f}, "
                f"{v['neural']:.4f}, {v['popularity']:.4f}) | {res['model']}: "
                f"{h['neural_model']} | "
                f"{res['date']} |")
    notes = [f"- {res['dataset']}: rule parameters from {res['sources']['rules']}; weight "
             f"lattice step 1/{res['resolution']}"
             + ("" if res["refit"] else "; no refit for the test rows") for res in results]
    lines += ["", *notes, ""]
    from seqmine.io.atomic import atomic_write_bytes
    atomic_write_bytes(path, "\n".join(lines).encode())


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", default=",".join(DATASETS))
    p.add_argument("--data-dir", type=Path, default=DATA_DIR)
    p.add_argument("--model-dir", type=Path, default=None,
                   help="load neural models saved as DIR/<dataset>-<model>[-features-<mode>]")
    p.add_argument("--save-dir", type=Path, default=None,
                   help="save models trained here as DIR/<dataset>-<model>[-features-<mode>]")
    p.add_argument("--checkpoint-dir", type=Path, default=None,
                   help="checkpoint training under DIR/<dataset>-<model>...; a rerun resumes")
    p.add_argument("--model", default="sasrec", choices=["sasrec", "gru", "lstm"])
    p.add_argument("--feature-modes", default="logit",
                   help="comma-separated feature_mode values for the pattern-feature rows")
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--patience", type=int, default=10)
    p.add_argument("--max-len", type=int, default=200)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--max-users", type=int, default=0, help="random subset of users (0: all)")
    p.add_argument("--valid-sample", type=int, default=None,
                   help="fit weights / validate on at most this many validation instances")
    p.add_argument("--exclude-seen", choices=["auto", "yes", "no"], default="auto",
                   help="auto: S3-Rec files only")
    p.add_argument("--tune-rules", action="store_true",
                   help="tune rule parameters here (quick grid) instead of rules_eval.json")
    p.add_argument("--no-refit", dest="refit", action="store_false")
    p.add_argument("--resolution", type=int, default=20, help="weight lattice 1/RESOLUTION")
    p.add_argument("--n-resamples", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 300 users, 2 epochs, max_len 20, dim 16, 1 layer")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    if args.quick:
        args.max_users = args.max_users or 300
        args.epochs, args.max_len, args.dim, args.layers = 2, 20, 16, 1
        args.resolution, args.n_resamples = 5, 200
        args.quiet = True
    if args.out is None:
        args.out = Path(tempfile.gettempdir()) / "seqmine-hybrid-quick" if args.quick \
            else RESULTS
    args.feature_modes = [m.strip() for m in args.feature_modes.split(",") if m.strip()]
    return args


def main(argv: list[str] | None = None) -> int:
    from seqmine.io.atomic import atomic_write_bytes
    args = parse(argv)
    names = [n.strip() for n in args.datasets.split(",") if n.strip()]
    unknown = [n for n in names if n not in RULE_DATASETS]
    if unknown:
        print(f"unknown data sets {unknown}; choose from {list(RULE_DATASETS)}",
              file=sys.stderr)
        return 2
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    if not features_available():
        print("neural + pattern features: pending (seqmine.neural.train has no feature_mode "
              "yet)", file=sys.stderr)
    args.out.mkdir(parents=True, exist_ok=True)
    json_path = args.out / "hybrid.json"
    merged = {r["dataset"]: r for r in (json.loads(json_path.read_text())
                                        if json_path.exists() else [])}
    for name in names:
        res = run_dataset(name, args)
        if res is None:
            continue
        merged[name] = res
        ordered = [merged[n] for n in RULE_DATASETS if n in merged]
        atomic_write_bytes(json_path, json.dumps(ordered, indent=1, default=float).encode())
        write_markdown(ordered, args.out / "hybrid.md", f"{cpu_name()}, {os.cpu_count()} cores")
    print(f"wrote {args.out / 'hybrid.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
