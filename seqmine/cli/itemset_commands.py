"""``seqmine itemsets``: frequent itemsets (and optionally association rules) of an event
log, each sequence (or event) one transaction; outputs written atomically."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from seqmine.cli.errors import friendly_errors
from seqmine.cli.mining_commands import parse_minsup
from seqmine.cli.options import data_options, load_source
from seqmine.errors import InputError
from seqmine.mining.itemsets import (
    ITEMSET_ALGORITHMS,
    RULE_METRICS,
    TRANSACTIONS,
    AssociationRuleTable,
    ItemsetTable,
    association_rules,
)
from seqmine.mining.itemsets import itemsets as mine_itemsets

_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


def _format_of(path: Path) -> str:
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"cannot tell the output format from {path.name}: use .parquet or "
                         ".csv")
    return fmt


def _joined(values: Iterable[Any]) -> str:
    return " ".join(str(v) for v in sorted(values, key=str))


def write_itemsets(table: ItemsetTable, out: Path) -> None:
    """Parquet (with the JSON header) or CSV with space-separated itemsets."""
    if _format_of(out) == "parquet":
        table.to_parquet(out)
        return
    from seqmine.io.atomic import atomic_path
    frame = table.to_pandas()
    frame["itemsets"] = [_joined(s) for s in frame["itemsets"]]
    with atomic_path(out) as tmp:
        frame.to_csv(tmp, index=False)


def write_rules(rules: AssociationRuleTable, out: Path) -> None:
    """Parquet or CSV with space-separated antecedents and consequents."""
    if _format_of(out) == "parquet":
        rules.to_parquet(out)
        return
    from seqmine.io.atomic import atomic_path
    frame = rules.to_pandas()
    for column in ("antecedents", "consequents"):
        frame[column] = [_joined(s) for s in frame[column]]
    with atomic_path(out) as tmp:
        frame.to_csv(tmp, index=False)


@click.command("itemsets")
@click.argument("source")
@data_options
@click.option("--minsup", "-s", required=True,
              help="Count (5), fraction of transactions (0.01) or percentage (1%).")
@click.option("--algorithm", "-a", type=click.Choice(ITEMSET_ALGORITHMS),
              default="fpgrowth", show_default=True)
@click.option("--max-len", type=click.IntRange(min=1), help="Most items per itemset.")
@click.option("--transactions", type=click.Choice(TRANSACTIONS), default="sequence",
              show_default=True,
              help="One transaction per sequence (union of its items) or per event.")
@click.option("--max-patterns", type=click.IntRange(min=1),
              help="Stop with a message beyond this many itemsets.")
@click.option("--jobs", "-j", type=int, default=1, show_default=True,
              help="Threads over first-level items (-1: all cores).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Itemsets file (.parquet or .csv); written atomically.")
@click.option("--rules", "rules_output", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write association rules to this file (.parquet or .csv).")
@click.option("--metric", type=click.Choice(RULE_METRICS), default="confidence",
              show_default=True, help="Rule metric that --min-threshold applies to.")
@click.option("--min-threshold", type=float, default=0.8, show_default=True,
              help="Keep rules whose metric is at least this.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar [default: when stderr is a terminal].")
@click.option("--top", type=int, default=20, show_default=True,
              help="Itemsets to print when no --output is given.")
@friendly_errors
def itemsets_command(source: str, sequence: str | None, item: str, time_column: str,
                     itemsets: str, minsup: str, algorithm: str, max_len: int | None,
                     transactions: str, max_patterns: int | None, jobs: int,
                     output: Path | None, rules_output: Path | None, metric: str,
                     min_threshold: float, progress: bool | None, top: int) -> None:
    """Mine the frequent itemsets of SOURCE (event log, SPMF file or data set)."""
    started = time.perf_counter()
    if output is not None:
        _format_of(output)  # a bad name fails before the mining, not after
    if rules_output is not None:
        _format_of(rules_output)
    db = load_source(source, sequence, item, time_column, itemsets)
    show_progress = sys.stderr.isatty() if progress is None else progress
    table = mine_itemsets(db, parse_minsup(minsup), algorithm=algorithm, max_len=max_len,
                          transactions=transactions, max_patterns=max_patterns,
                          n_jobs=jobs, progress=show_progress)
    rules = None
    if rules_output is not None:
        rules = association_rules(table, metric=metric, min_threshold=min_threshold)
    elapsed = time.perf_counter() - started
    summary = (f"{len(table)} itemsets from {table.n_transactions} transactions "
               f"(min_count={table.min_count}, {algorithm}) in {elapsed:.2f} s")
    if rules is not None and rules_output is not None:
        write_rules(rules, rules_output)
        summary += f"; {len(rules)} rules ({metric} >= {min_threshold:g}) -> {rules_output}"
    if output is not None:
        write_itemsets(table, output)
        click.echo(f"{summary}; itemsets -> {output}", err=True)
        return
    frame = table.top(top).to_pandas()
    if len(frame):
        frame["itemsets"] = [sorted(s, key=str) for s in frame["itemsets"]]
        click.echo(frame.to_string(index=False))
    else:
        click.echo("(no itemsets)")
    click.echo(summary, err=True)


COMMANDS = [itemsets_command]
