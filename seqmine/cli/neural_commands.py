"""``seqmine train`` and ``seqmine evaluate``: neural rankers from the command line.

torch is imported inside the command bodies only, so ``seqmine --help`` and the mining
commands stay light.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from seqmine.cli.errors import friendly_errors
from seqmine.cli.options import data_options, load_source

MODELS = ("sasrec", "gru", "lstm")


def split_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--split and the temporal cut-off options."""
    options = [
        click.option("--split", "split_kind", type=click.Choice(["leave-one-out", "temporal"]),
                     default="leave-one-out", show_default=True,
                     help="Evaluation protocol: last event per sequence is the test target, "
                          "or one global time cut-off."),
        click.option("--test-start", default=None,
                     help="Temporal split: first test time (int, or a date when the time "
                          "column holds dates/timestamps). Default: from --test-fraction."),
        click.option("--valid-start", default=None,
                     help="Temporal split: first validation time. Default: from "
                          "--valid-fraction."),
        click.option("--test-fraction", type=float, default=0.1, show_default=True,
                     help="Temporal split: share of events in the test window."),
        click.option("--valid-fraction", type=float, default=0.1, show_default=True,
                     help="Temporal split: share of events in the validation window."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _cut(value: str | None) -> Any:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return value


def _make_split(db: Any, split_kind: str, test_start: str | None, valid_start: str | None,
                test_fraction: float, valid_fraction: float) -> Any:
    from seqmine.data.split import split
    if split_kind == "leave-one-out":
        return split(db, "leave-one-out")
    return split(db, "temporal", test_start=_cut(test_start), valid_start=_cut(valid_start),
                 test_fraction=test_fraction, valid_fraction=valid_fraction)


@click.command("train")
@click.argument("events", type=click.Path())
@data_options
@split_options
@click.option("--model", type=click.Choice(MODELS), default="sasrec", show_default=True,
              help="Ranker: causal self-attention (SASRec-style), GRU or LSTM.")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              help="Model folder (created). Checkpoints go to OUTPUT/checkpoints; running the "
                   "same command again resumes from them.")
@click.option("--epochs", type=int, default=200, show_default=True)
@click.option("--max-len", type=int, default=200, show_default=True,
              help="Most recent items the model reads.")
@click.option("--dim", type=int, default=64, show_default=True)
@click.option("--layers", type=int, default=2, show_default=True)
@click.option("--heads", type=int, default=1, show_default=True)
@click.option("--dropout", type=float, default=0.2, show_default=True)
@click.option("--batch-size", type=int, default=128, show_default=True)
@click.option("--lr", type=float, default=1e-3, show_default=True)
@click.option("--weight-decay", type=float, default=0.0, show_default=True)
@click.option("--loss", type=click.Choice(["ce", "sampled"]), default="ce", show_default=True,
              help="Full softmax cross-entropy, or sampled softmax with log-q correction.")
@click.option("--negatives", type=int, default=1024, show_default=True,
              help="Sampled negatives per batch (--loss sampled).")
@click.option("--patience", type=int, default=10, show_default=True,
              help="Stop after this many epochs without a better validation NDCG@10.")
@click.option("--exclude-seen", is_flag=True,
              help="Validate with seen items excluded (the S3-Rec protocol).")
@click.option("--valid-max", type=int, default=None,
              help="Validate on a fixed random sample of at most this many instances.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu or cuda.")
@click.option("--compile", "use_compile", is_flag=True, help="torch.compile (CUDA only).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--threads", type=int, default=None,
              help="torch CPU threads (per process with --nproc).")
@click.option("--nproc", type=click.IntRange(min=1), default=1, show_default=True,
              help="Data-parallel processes (torch.distributed: gloo on CPU, one GPU each "
                   "on CUDA); --batch-size is the global batch, a multiple of NPROC. Or "
                   "start the command with torchrun (several machines too).")
@click.option("--restart", is_flag=True, help="Ignore existing checkpoints and start over.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
@friendly_errors
def train(events: str, sequence: str | None, item: str, time_column: str, itemsets: str,
          split_kind: str, test_start: str | None, valid_start: str | None,
          test_fraction: float, valid_fraction: float, model: str, output: str, epochs: int,
          max_len: int, dim: int, layers: int, heads: int, dropout: float, batch_size: int,
          lr: float, weight_decay: float, loss: str, negatives: int, patience: int,
          exclude_seen: bool, valid_max: int | None, device: str, use_compile: bool,
          seed: int, threads: int | None, nproc: int, restart: bool, quiet: bool) -> None:
    """Train a next-item ranker on EVENTS (validated on the split's validation targets; the
    test targets are never read) and save it to OUTPUT."""
    from seqmine.neural.distributed import torchrun_rank, train_distributed

    db = load_source(events, sequence, item, time_column, itemsets)
    sp = _make_split(db, split_kind, test_start, valid_start, test_fraction, valid_fraction)
    out = Path(output)
    checkpoints = out / "checkpoints"
    resumed = (checkpoints / "last.pt").is_file() and not restart
    if resumed:
        click.echo(f"resuming from {checkpoints / 'last.pt'}", err=True)
    model_obj = train_distributed(
        nproc, sp, model, max_len=max_len, dim=dim, layers=layers, heads=heads, dropout=dropout,
        epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay, loss=loss,
        negatives=negatives, patience=patience, valid_exclude_seen=exclude_seen,
        valid_max=valid_max, device=device, compile=use_compile, checkpoint_dir=checkpoints,
        resume=not restart, seed=seed, threads=threads, progress=not quiet)
    launched = torchrun_rank()
    if launched is not None and launched[0] != 0:
        return  # under torchrun rank 0 writes the model
    nproc = launched[1] if launched is not None else nproc
    model_obj.train_config["split"] = {"kind": sp.kind, **sp.options}
    model_obj.train_config["events"] = str(events)
    model_obj.save(out)
    cfg = model_obj.train_config
    best = cfg.get("best_valid_NDCG10")
    epochs_run = len(model_obj.history)
    summary = f"trained {model}: {epochs_run} epoch(s)"
    if best is not None:
        summary += f", best epoch {cfg['best_epoch']} (valid NDCG@10 {best:.4f})"
    if model_obj.history:
        summary += f", {model_obj.history[-1]['sequences_per_s']:.0f} sequences/s on " \
                   f"{model_obj.history[-1]['device']}"
    if nproc > 1:
        summary += f" ({nproc} processes)"
    click.echo(f"{summary} -> {out}")


@click.command("evaluate")
@click.argument("model_dir", type=click.Path())
@click.argument("events", type=click.Path())
@data_options
@split_options
@click.option("-k", "ks", type=int, multiple=True, default=(1, 5, 10, 20), show_default=True,
              help="Cut-offs (repeat the option for several).")
@click.option("--mode", type=click.Choice(["full", "sampled-100"]), default="full",
              show_default=True,
              help="Full ranking over all items, or against 100 sampled negatives (only to "
                   "compare with papers that used it; labelled in the output).")
@click.option("--exclude-seen", is_flag=True,
              help="Remove items already in the history before ranking (S3-Rec protocol).")
@click.option("--on", "on", type=click.Choice(["test", "valid"]), default="test",
              show_default=True)
@click.option("--ties", type=click.Choice(["item-order", "pessimistic"]), default="item-order",
              show_default=True, help="Where a target goes among items with its score.")
@click.option("--popularity", is_flag=True,
              help="Add the popularity baseline (fit on the training split) as a row.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "csv", "json"]),
              default="text", show_default=True)
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda or auto.")
@click.option("--report", type=click.Path(dir_okay=False), default=None,
              help="Also write a Markdown report (tables, bootstrap intervals, PNG plots "
                   "beside it) to this file.")
@friendly_errors
def evaluate(model_dir: str, events: str, sequence: str | None, item: str, time_column: str,
             itemsets: str, split_kind: str, test_start: str | None, valid_start: str | None,
             test_fraction: float, valid_fraction: float, ks: tuple[int, ...], mode: str,
             exclude_seen: bool, on: str, ties: str, popularity: bool, fmt: str,
             device: str, report: str | None) -> None:
    """Evaluate the model in MODEL_DIR (a neural or hybrid model folder, or a rule
    recommender file) on EVENTS and print the metric table."""
    from seqmine.cli.hybrid_commands import load_matching, write_report
    from seqmine.evaluate import evaluate as run_evaluation
    from seqmine.evaluate.protocol import format_table
    from seqmine.recommend import PopularityRecommender

    db = load_source(events, sequence, item, time_column, itemsets)
    model = load_matching(model_dir, db, events, device)
    sp = _make_split(db, split_kind, test_start, valid_start, test_fraction, valid_fraction)
    recommenders: dict[str, Any] = {model.name: model}
    if popularity:
        recommenders["popularity"] = PopularityRecommender().fit(sp.train)
    table = run_evaluation(recommenders, sp, k=list(ks), mode=mode, exclude_seen=exclude_seen,
                           on=on, ties=ties)
    if fmt == "text":
        click.echo(format_table(table))
    elif fmt == "markdown":
        click.echo(format_table(table, markdown=True))
    elif fmt == "csv":
        click.echo(f"# {table.attrs['protocol']}")
        click.echo(table.to_csv(), nl=False)
    else:
        payload = {"protocol": table.attrs["protocol"],
                   "rows": json.loads(table.reset_index().to_json(orient="records"))}
        click.echo(json.dumps(payload, indent=2))
    if report is not None:
        for note in write_report(report, recommenders, sp, table, sorted(set(ks)), mode=mode,
                                 exclude_seen=exclude_seen, on=on, ties=ties):
            click.echo(note, err=True)
        click.echo(f"report -> {report}", err=True)


COMMANDS = [train, evaluate]
