"""``seqmine hybrid`` (fit and save a hybrid scorer), ``seqmine recommend`` (top-k for one
history, with explanations) and the Markdown report of ``seqmine evaluate --report``.

torch is imported only when a neural model is loaded.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import click
import numpy as np

from seqmine.cli.errors import friendly_errors
from seqmine.cli.neural_commands import _make_split, split_options
from seqmine.cli.options import data_options, load_source
from seqmine.errors import InputError

#: history-length buckets (events) of the report's breakdown table
LENGTH_BUCKETS = (1, 6, 11, 21, 51)


@click.command("hybrid")
@click.argument("events", type=click.Path())
@data_options
@split_options
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              help="Folder the hybrid is saved to (config.json + one folder per component).")
@click.option("--neural", "neural_dirs", multiple=True, type=click.Path(),
              help="A model folder from `seqmine train` on the same EVENTS and split "
                   "(repeat for several).")
@click.option("--rules/--no-rules", default=True, show_default=True,
              help="A RuleRecommender fit on the training split.")
@click.option("--tune-rules", is_flag=True,
              help="Choose the rule parameters on the validation split first (grid search).")
@click.option("--popularity/--no-popularity", default=True, show_default=True,
              help="The popularity prior (counts on the training split).")
@click.option("--metric", type=click.Choice(["NDCG", "HR", "MRR", "Recall"]), default="NDCG",
              show_default=True, help="Validation objective of the weight search.")
@click.option("-k", "k", type=int, default=10, show_default=True, help="Its cut-off.")
@click.option("--resolution", type=int, default=10, show_default=True,
              help="Weight lattice step 1/RESOLUTION.")
@click.option("--exclude-seen", is_flag=True,
              help="Fit under the protocol that removes history items before ranking.")
@click.option("--valid-max", type=int, default=None,
              help="Fit on a fixed random sample of at most this many validation instances.")
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda or auto.")
@friendly_errors
def hybrid(events: str, sequence: str | None, item: str, time_column: str, itemsets: str,
           split_kind: str, test_start: str | None, valid_start: str | None,
           test_fraction: float, valid_fraction: float, output: str,
           neural_dirs: tuple[str, ...], rules: bool, tune_rules: bool, popularity: bool,
           metric: str, k: int, resolution: int, exclude_seen: bool, valid_max: int | None,
           device: str) -> None:
    """Blend rules, neural models and popularity with weights fit on the validation split
    of EVENTS (the test targets are never read) and save the hybrid to OUTPUT."""
    from seqmine.hybrid import HybridScorer
    from seqmine.recommend import PopularityRecommender
    from seqmine.rules import RuleRecommender, tune

    db = load_source(events, sequence, item, time_column, itemsets)
    sp = _make_split(db, split_kind, test_start, valid_start, test_fraction, valid_fraction)
    components: dict[str, Any] = {}
    if rules:
        components["rules"] = tune(sp, exclude_seen=exclude_seen, sample=valid_max)[0] \
            if tune_rules else RuleRecommender().fit(sp.train)
    for folder in neural_dirs:
        model = load_matching(folder, db, events, device)
        trained_on = model.train_config.get("split", {}).get("kind")
        if trained_on not in (None, sp.kind):
            raise InputError(f"the model in {folder} was trained on a {trained_on} split; "
                             f"this hybrid uses {sp.kind}")
        components[f"{model.name}:{Path(folder).name}" if model.name in components
                   else model.name] = model
    if popularity:
        components["popularity"] = PopularityRecommender().fit(sp.train)
    if not components:
        raise InputError("nothing to blend: give --neural, or keep --rules / --popularity")
    scorer = HybridScorer(components, fit_on=sp.valid, metric=metric, k=k,
                          exclude_seen=exclude_seen, resolution=resolution,
                          max_instances=valid_max)
    scorer.save(output)
    info = scorer.fit_info
    shown = ", ".join(f"{n} {w:.2f}" for n, w in zip(scorer.names, scorer.weights,
                                                     strict=True))
    alone = ", ".join(f"{n} {v:.4f}" for n, v in info["single"].items())
    click.echo(f"weights {shown}; valid {metric}@{k} {info['objective']:.4f} (alone: {alone}) "
               f"-> {output}")


def load_matching(path: str, db: Any, events: str, device: str) -> Any:
    """The recommender saved at ``path``, checked to use the catalogue of ``db`` (read from
    ``events``)."""
    from seqmine.hybrid import load_recommender
    model = load_recommender(path, device=device)
    codebook = getattr(model, "codebook", None)
    if codebook is not None and codebook != db.codebook:
        raise InputError(f"the model in {path} was trained on another item catalogue "
                         f"({model.n_items} items) than {events} ({db.n_items} items)")
    return model


def _parse_history(text: str, codebook: Any) -> list[int]:
    """Comma-separated original item ids -> codes (ids are codes when there is no
    codebook)."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise InputError("--history is empty: give item ids, e.g. --history 12,7,93")
    integer = codebook is None or codebook.is_integer
    if integer:
        try:
            values: list[Any] = [int(p) for p in parts]
        except ValueError as exc:
            raise InputError(f"--history: item ids of this model are integers ({exc})") from exc
    else:
        values = parts
    if codebook is None:
        return [int(v) for v in values]
    return [int(c) for c in codebook.code_of(values)]


@click.command("recommend")
@click.argument("model_dir", type=click.Path())
@click.option("--history", required=True,
              help="The user's items, oldest first, as original ids: 12,7,93.")
@click.option("-k", "k", type=int, default=10, show_default=True)
@click.option("--explain", is_flag=True,
              help="Show each component's contribution and the rules that fired.")
@click.option("--exclude-seen", is_flag=True, help="Do not recommend items of the history.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda or auto.")
@friendly_errors
def recommend(model_dir: str, history: str, k: int, explain: bool, exclude_seen: bool,
              fmt: str, device: str) -> None:
    """Top-k items for one history from MODEL_DIR (a hybrid or neural model folder, or a
    rule recommender file)."""
    from seqmine.hybrid import HybridScorer, load_recommender
    from seqmine.plots import format_pattern
    from seqmine.rules import RuleRecommender

    if k < 1:
        raise InputError(f"-k must be >= 1, got {k}")
    model = load_recommender(model_dir, device=device)
    codebook = getattr(model, "codebook", None)
    codes = _parse_history(history, codebook)
    parts: np.ndarray | None = None
    names: tuple[str, ...] = ()
    rules = None
    if isinstance(model, HybridScorer):
        hexp = model.explain(codes, k, exclude_seen)
        items, scores, rules = hexp.items, hexp.scores, hexp.rules
        parts, names = hexp.contributions, model.names
    elif isinstance(model, RuleRecommender):
        rexp = model.explain(codes, k, exclude_seen)
        valid = rexp.items >= 0
        items, scores, rules = rexp.items[valid], rexp.scores[valid], rexp.rules
    else:
        top = model.recommend(codes, k, exclude_seen)
        valid = top.items[0] >= 0
        items, scores = top.items[0][valid], top.scores[0][valid]
    ids = codebook.decode_list(items) if codebook is not None else items.tolist()
    rows = []
    for r, (item_id, score) in enumerate(zip(ids, scores, strict=True)):
        row: dict[str, Any] = {"rank": r + 1, "item": item_id, "score": float(score)}
        if parts is not None:
            row["contributions"] = {n: float(parts[r, c]) for c, n in enumerate(names)}
        if rules is not None:
            mine = rules[rules["rank"] == r]
            share = "hybrid_contribution" if "hybrid_contribution" in mine else "contribution"
            row["rules"] = [{"antecedent": format_pattern(a), "confidence": float(conf),
                             "position": int(pos), "contribution": float(c)}
                            for a, conf, pos, c in zip(mine["antecedent"], mine["confidence"],
                                                       mine["position"], mine[share],
                                                       strict=True)]
        rows.append(row)
    if fmt == "json":
        click.echo(json.dumps({"model": str(model_dir), "history": _decoded(codes, codebook),
                               "k": k, "exclude_seen": exclude_seen, "items": rows},
                              indent=2, default=str))
        return
    click.echo(f"{type(model).__name__} {model_dir}; history "
               f"{', '.join(map(str, _decoded(codes, codebook)))}")
    if isinstance(model, HybridScorer):
        click.echo("weights: " + ", ".join(f"{n} {w:.2f}" for n, w in
                                           zip(names, model.weights, strict=True)))
    for row in rows:
        line = f"{row['rank']:>3}. {row['item']!s:<12} score {row['score']:.4f}"
        if explain and "contributions" in row:
            line += "  = " + " + ".join(f"{n} {v:.4f}" for n, v in row["contributions"].items())
        click.echo(line)
        if explain and row.get("rules"):
            for rule in row["rules"]:
                click.echo(f"       {rule['antecedent']} => {row['item']}  (confidence "
                           f"{rule['confidence']:.3f}, {rule['position']} events ago) "
                           f"+{rule['contribution']:.4f}")
    if explain and rules is None:
        click.echo(f"({type(model).__name__} scores are not explained by rules; use a hybrid "
                   "or a rule recommender for explanations)")


def _decoded(codes: list[int], codebook: Any) -> list[Any]:
    return codebook.decode_list(codes) if codebook is not None else codes


# --- the evaluation report --------------------------------------------------------------------

def write_report(path: str | Path, recommenders: dict[str, Any], split: Any, table: Any,
                 ks: list[int], *, mode: str, exclude_seen: bool, on: str, ties: str) -> list[str]:
    """Write the Markdown report of ``seqmine evaluate --report`` (atomically) and its PNG
    plots beside it; returns the notes printed to the user (plots skipped, ...)."""
    from seqmine.evaluate import evaluate, format_table, paired_bootstrap, rank_targets
    from seqmine.hybrid import HybridScorer
    from seqmine.io.atomic import atomic_write_bytes

    out = Path(path)
    evalset = split.test if on == "test" else split.valid
    rows = dict(recommenders)
    lines = [f"# Evaluation report: {', '.join(recommenders)}", "",
             f"Protocol: {table.attrs.get('protocol', '')}.", "",
             "## Metrics", "", format_table(table, markdown=True).split("\n\n", 1)[-1], ""]
    for name, rec in recommenders.items():
        if not isinstance(rec, HybridScorer):
            continue
        alone = {f"{name}/{n}": c for n, c in zip(rec.names, rec.components, strict=True)}
        rows.update(alone)
        parts = evaluate(alone, split, k=ks, mode=mode, exclude_seen=exclude_seen, on=on,
                         ties=ties)
        fit = rec.fit_info
        lines += [f"## Hybrid `{name}`: components", "",
                  "| component | weight | valid " + (f"{fit['metric']}@{fit['k']} alone |"
                                                     if fit else "objective |"),
                  "|---|---:|---:|"]
        for n, w in zip(rec.names, rec.weights, strict=True):
            single = fit.get("single", {}).get(n)
            lines.append(f"| {n} | {w:.2f} | {'-' if single is None else f'{single:.4f}'} |")
        if fit:
            lines += ["", f"Weights fit on {fit['instances']} validation instances (lattice "
                      f"step 1/{fit['resolution']}); blend {fit['metric']}@{fit['k']} "
                      f"{fit['objective']:.4f} on validation."]
        lines += ["", f"Each component alone on the {on} set:", "",
                  format_table(parts, markdown=True).split("\n\n", 1)[-1], ""]
    k = 10 if 10 in ks else max(ks)
    rankings = {n: rank_targets(r, evalset, mode=mode, exclude_seen=exclude_seen, ties=ties,
                                top=max(ks)) for n, r in rows.items()}
    ndcg = {n: np.asarray(r.metric("NDCG", k, per_user=True)) for n, r in rankings.items()}
    first = next(iter(recommenders))
    others = [n for n in rows if n != first]
    if others:
        lines += [f"## {first} minus each other model: NDCG@{k}", "",
                  "Paired bootstrap over users (1000 resamples), 95 % interval.", "",
                  f"| model | Δ NDCG@{k} [95 % CI] |", "|---|---|"]
        for n in others:
            ci = paired_bootstrap(ndcg[first], ndcg[n], evalset.sequence)
            lines.append(f"| {n} | {ci.difference:+.4f} [{ci.low:+.4f}, {ci.high:+.4f}] |")
        lines.append("")
    lengths = evalset.history_lengths()
    bucket = np.searchsorted(np.asarray(LENGTH_BUCKETS), lengths, side="right") - 1
    labels = [f"{lo}-{hi - 1}" for lo, hi in itertools.pairwise(LENGTH_BUCKETS)] + \
        [f"{LENGTH_BUCKETS[-1]}+"]
    present = [b for b in range(len(labels)) if np.any(bucket == b)]
    by_length = {n: [float(v[bucket == b].mean()) for b in present] for n, v in ndcg.items()}
    lines += [f"## NDCG@{k} by history length (events)", "",
              "| model | " + " | ".join(f"{labels[b]} ({int(np.sum(bucket == b))})"
                                         for b in present) + " |",
              "|---|" + "---:|" * len(present)]
    lines += [f"| {n} | " + " | ".join(f"{v:.4f}" for v in vals) + " |"
              for n, vals in by_length.items()]
    lines.append("")
    notes: list[str] = []
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        notes.append("plots skipped: matplotlib is not installed (pip install matplotlib)")
        lines += [f"_{notes[-1]}._", ""]
    else:
        curves = {n: [float(r.metric(m, kk)) for m in ("HR", "NDCG") for kk in ks]
                  for n, r in rankings.items()}
        metrics_png = out.with_name(f"{out.stem}-metrics.png")
        _plot_metrics(curves, ks, metrics_png)
        length_png = out.with_name(f"{out.stem}-by-length.png")
        _plot_by_length(by_length, [labels[b] for b in present], k, length_png)
        lines += ["## Plots", "", f"![HR@k and NDCG@k]({metrics_png.name})", "",
                  f"![NDCG@{k} by history length]({length_png.name})", ""]
    atomic_write_bytes(out, "\n".join(lines).encode())
    return notes


def _plot_metrics(curves: dict[str, list[float]], ks: list[int], path: Path) -> None:
    from matplotlib.figure import Figure

    from seqmine.plots import _save as save_png
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    axes = fig.subplots(1, 2)
    for m, ax in enumerate(axes):
        for name, values in curves.items():
            ax.plot(ks, values[m * len(ks):(m + 1) * len(ks)], marker="o", label=name)
        ax.set_xticks(ks)
        ax.set_xlabel("k")
        ax.set_title(("HR@k", "NDCG@k")[m])
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    save_png(fig, path, 110)


def _plot_by_length(by_length: dict[str, list[float]], labels: list[str], k: int,
                    path: Path) -> None:
    from matplotlib.figure import Figure

    from seqmine.plots import _save as save_png
    fig = Figure(figsize=(8, 3.6), layout="constrained")
    ax = fig.subplots()
    width = 0.8 / max(1, len(by_length))
    x = np.arange(len(labels))
    for j, (name, values) in enumerate(by_length.items()):
        ax.bar(x + j * width, values, width, label=name)
    ax.set_xticks(x + width * (len(by_length) - 1) / 2, labels)
    ax.set_xlabel("history length (events)")
    ax.set_ylabel(f"NDCG@{k}")
    ax.legend(fontsize=8)
    save_png(fig, path, 110)


COMMANDS = [hybrid, recommend]
