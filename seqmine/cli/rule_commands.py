"""``seqmine rules`` and ``seqmine plot``: sequential rules and pictures of patterns/rules."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click

from seqmine.cli.errors import friendly_errors
from seqmine.cli.options import data_options, load_source
from seqmine.errors import InputError

_RULE_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


def _parse_minsup(text: str | None) -> int | float | None:
    if text is None:
        return None
    from seqmine.cli.mining_commands import parse_minsup
    return parse_minsup(text)


def _seqmine_header(path: str) -> dict[str, Any] | None:
    """The JSON header of a seqmine Parquet file (patterns or rules), else None."""
    p = Path(path)
    if p.suffix.lower() not in (".parquet", ".pq") or not p.is_file():
        return None
    import pyarrow.parquet as pq
    try:
        meta = pq.read_schema(p).metadata or {}
    except (OSError, ValueError):
        return None
    raw = meta.get(b"seqmine")
    return json.loads(raw) if raw else None


def _parse_pattern(text: str, integer: bool) -> list[list[Any]]:
    """SPMF style: itemsets separated by -1, items by spaces or commas: '1 -1 2 3'."""
    events: list[list[Any]] = []
    for chunk in text.replace(",", " ").split("-1"):
        values = chunk.split()
        if not values:
            continue
        if integer:
            try:
                events.append([int(v) for v in values])
            except ValueError:
                raise InputError(f"--pattern items must be integers here, got {text!r}") \
                    from None
        else:
            events.append(values)
    if not events:
        raise InputError(f"empty --pattern {text!r}; write itemsets separated by -1, e.g. "
                         "'1 -1 2 3'")
    return events


def _write_rules(rules: Any, out: Path, fmt: str | None) -> str:
    fmt = fmt or _RULE_FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise InputError(f"cannot tell the output format from {out.name}: use .parquet or "
                         ".csv, or --format")
    if fmt == "parquet":
        rules.to_parquet(out)
    else:
        from seqmine.io.atomic import atomic_path
        frame = _display_frame(rules)
        with atomic_path(out) as tmp:
            frame.to_csv(tmp, index=False)
    return fmt


def _display_frame(rules: Any) -> Any:
    from seqmine.plots import format_pattern
    frame = rules.to_pandas()
    for side in ("antecedent", "consequent"):
        if rules.kind == "partially-ordered":
            frame[side] = ["{" + " ".join(map(str, p[0])) + "}" for p in frame[side]]
        else:
            frame[side] = [format_pattern(p) for p in frame[side]]
    return frame


@click.command("rules")
@click.argument("source")
@data_options
@click.option("--kind", type=click.Choice(["next-item", "sequential", "partially-ordered"]),
              default="next-item", show_default=True, help="Rule family.")
@click.option("--minsup", "-s", help="Minimum support: count, fraction or percentage "
              "(needed unless SOURCE is a saved pattern file).")
@click.option("--min-confidence", "-c", type=click.FloatRange(0, 1), default=0.0,
              show_default=True)
@click.option("--min-lift", type=float, help="Keep rules with at least this lift.")
@click.option("--max-antecedent", type=click.IntRange(min=1), help="Most antecedent items.")
@click.option("--max-consequent", type=click.IntRange(min=1), help="Most consequent items.")
@click.option("--max-length", type=click.IntRange(min=1),
              help="Most items per mined pattern (next-item / sequential).")
@click.option("--max-gap", help="Largest gap between matched events when mining patterns.")
@click.option("--max-rules", type=click.IntRange(min=1),
              help="Stop with a message beyond this many rules.")
@click.option("--sort-by", type=click.Choice(["confidence", "support", "lift"]),
              default="confidence", show_default=True)
@click.option("--jobs", "-j", type=int, default=1, show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Output file (.parquet keeps everything; .csv for reading); atomic.")
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv"]))
@click.option("--top", type=int, default=20, show_default=True,
              help="Rules to print when no --output is given.")
@friendly_errors
def rules(source: str, sequence: str | None, item: str, time_column: str, itemsets: str,
          kind: str, minsup: str | None, min_confidence: float, min_lift: float | None,
          max_antecedent: int | None, max_consequent: int | None, max_length: int | None,
          max_gap: str | None, max_rules: int | None, sort_by: str, jobs: int,
          output: Path | None, fmt: str | None, top: int) -> None:
    """Sequential rules of SOURCE: an event log / SPMF file / data set (mined with --minsup),
    or a pattern file written by `seqmine mine -o patterns.parquet`."""
    from seqmine.cli.mining_commands import parse_gap
    from seqmine.patterns.patternset import PatternSet
    from seqmine.rules import rules as make_rules
    started = time.perf_counter()
    header = _seqmine_header(source)
    limits: dict[str, Any] = {"min_lift": min_lift, "max_antecedent": max_antecedent,
              "max_consequent": max_consequent, "max_rules": max_rules}
    if header is not None and header.get("format") == "seqmine.patterns":
        if kind == "partially-ordered":
            raise InputError("partially-ordered rules are mined from events, not from a "
                             "pattern file: give the event log")
        if minsup is not None or max_length is not None or max_gap is not None:
            raise InputError("--minsup/--max-length/--max-gap apply when mining; SOURCE is "
                             "already a pattern file")
        patterns = PatternSet.read_parquet(source)
        found = make_rules(patterns, min_confidence, kind=kind, **limits)
        n_seq = patterns.n_sequences
    else:
        db = load_source(source, sequence, item, time_column, itemsets)
        if minsup is None:
            raise InputError("--minsup is required when SOURCE is an event log")
        mining: dict[str, Any] = {}
        if kind != "partially-ordered":
            if max_length is not None:
                mining["max_length"] = max_length
            if max_gap is not None:
                mining["max_gap"] = parse_gap(max_gap)
        elif max_length is not None or max_gap is not None:
            raise InputError("--max-length/--max-gap do not apply to partially-ordered rules")
        found = make_rules(db, min_confidence, kind=kind, minsup=_parse_minsup(minsup),
                           n_jobs=jobs, **limits, **mining)
        n_seq = len(db)
    found = found.sort(sort_by)
    elapsed = time.perf_counter() - started
    summary = (f"{len(found)} {kind} rules from {n_seq} sequences "
               f"(min_confidence={min_confidence}) in {elapsed:.2f} s")
    if output is not None:
        written = _write_rules(found, output, fmt)
        click.echo(f"{summary} -> {output} ({written})", err=True)
        return
    frame = _display_frame(found.take(range(min(top, len(found)))))
    click.echo(frame.to_string(index=False) if len(frame) else "(no rules)")
    click.echo(summary, err=True)


@click.group("plot")
def plot() -> None:
    """Pictures of patterns and rules, saved as PNG."""


_out_option = click.option("--output", "-o", required=True,
                           type=click.Path(dir_okay=False, path_type=Path),
                           help="PNG file to write (atomically).")


def _load_patterns(path: str) -> Any:
    header = _seqmine_header(path)
    if header is None or header.get("format") != "seqmine.patterns":
        raise InputError(f"{path} is not a seqmine pattern file (seqmine mine -o FILE.parquet)")
    from seqmine.patterns.patternset import PatternSet
    return PatternSet.read_parquet(path)


@plot.command("support-length")
@click.argument("patterns")
@_out_option
@friendly_errors
def plot_support_length(patterns: str, output: Path) -> None:
    """Support by pattern length, from a pattern file."""
    from seqmine import plots
    plots.support_by_length(_load_patterns(patterns), path=output)
    click.echo(f"-> {output}", err=True)


@plot.command("top")
@click.argument("patterns")
@click.option("-k", type=click.IntRange(min=1), default=20, show_default=True)
@_out_option
@friendly_errors
def plot_top(patterns: str, k: int, output: Path) -> None:
    """The k patterns of highest support, from a pattern file."""
    from seqmine import plots
    plots.top_patterns(_load_patterns(patterns), k, path=output)
    click.echo(f"-> {output}", err=True)


@plot.command("rules")
@click.argument("rules_file")
@click.option("--max-points", type=click.IntRange(min=1), default=20000, show_default=True)
@_out_option
@friendly_errors
def plot_rules(rules_file: str, max_points: int, output: Path) -> None:
    """Rules at (support, confidence) coloured by lift, from a rule file."""
    header = _seqmine_header(rules_file)
    if header is None or header.get("format") != "seqmine.rules":
        raise InputError(f"{rules_file} is not a seqmine rule file (seqmine rules -o "
                         "FILE.parquet)")
    from seqmine import plots
    from seqmine.rules import RuleSet
    plots.rule_scatter(RuleSet.read_parquet(rules_file), max_points=max_points, path=output)
    click.echo(f"-> {output}", err=True)


@plot.command("occurrences")
@click.argument("source")
@data_options
@click.option("--pattern", "-p", required=True,
              help="Pattern in SPMF style: itemsets separated by -1 ('1 -1 2 3').")
@click.option("--bins", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--max-gap", help="Largest gap between matched events (positions or duration).")
@click.option("--max-span", help="Largest first-to-last distance.")
@_out_option
@friendly_errors
def plot_occurrences(source: str, sequence: str | None, item: str, time_column: str,
                     itemsets: str, pattern: str, bins: int, max_gap: str | None,
                     max_span: str | None, output: Path) -> None:
    """When a pattern occurs in SOURCE (histogram of occurrence start times)."""
    from seqmine import plots
    from seqmine.cli.mining_commands import parse_gap
    db = load_source(source, sequence, item, time_column, itemsets)
    events = _parse_pattern(pattern, db.codebook.is_integer)
    plots.occurrences_over_time(db, events, bins=bins, max_gap=parse_gap(max_gap),
                                max_span=parse_gap(max_span), path=output)
    click.echo(f"-> {output}", err=True)


COMMANDS = [rules, plot]
