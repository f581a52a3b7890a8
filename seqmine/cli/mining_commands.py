"""``seqmine mine``: frequent sequential patterns of an event log, written atomically."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from seqmine.cli.errors import friendly_errors
from seqmine.cli.options import data_options, load_source, resolve_source
from seqmine.errors import InputError
from seqmine.mining import ALGORITHMS, condensed as condensed_miners, mine as mine_patterns
from seqmine.patterns.patternset import PatternSet

_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".txt": "spmf", ".spmf": "spmf",
            ".csv": "csv"}


def parse_minsup(text: str) -> int | float:
    """'5' -> 5 (absolute count), '0.01' or '1%' -> 0.01 (fraction of sequences)."""
    text = text.strip()
    try:
        if text.endswith("%"):
            return float(text[:-1]) / 100.0
        if any(c in text for c in ".eE"):
            return float(text)
        return int(text)
    except ValueError:
        raise InputError(f"--minsup must be a count (5), a fraction (0.01) or a percentage "
                         f"(1%), got {text!r}") from None


def parse_gap(text: str | None) -> Any:
    """'3' -> 3 event positions; '30s', '5min', '2h', '1 day' -> a duration."""
    if text is None:
        return None
    text = text.strip()
    if text.isdigit():
        return int(text)
    import pandas as pd
    try:
        return pd.Timedelta(text).to_pytimedelta()
    except ValueError:
        raise InputError(f"gap/span must be an int (event positions) or a duration such as "
                         f"30s, 5min, 2h, 1d; got {text!r}") from None


def parse_items(text: str | None, integer_items: bool) -> tuple[Any, ...]:
    """Comma-separated item ids, typed like the data's items (ints or strings)."""
    if not text:
        return ()
    values = [v.strip() for v in text.split(",") if v.strip()]
    if integer_items:
        try:
            return tuple(int(v) for v in values)
        except ValueError:
            raise InputError(f"items must be integers for this database, got {text!r}") \
                from None
    return tuple(values)


def write_patterns(patterns: PatternSet, out: Path, fmt: str | None) -> str:
    fmt = fmt or _FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise InputError(f"cannot tell the output format from {out.name}: use .parquet, "
                         ".csv, .txt/.spmf or --format")
    if fmt == "parquet":
        patterns.to_parquet(out)
    elif fmt == "spmf":
        patterns.to_spmf(out)
    else:
        from seqmine.io.atomic import atomic_path
        frame = patterns.to_pandas()
        frame["pattern"] = [" -1 ".join(" ".join(map(str, s)) for s in p) + " -1"
                            for p in frame["pattern"]]
        with atomic_path(out) as tmp:
            frame.to_csv(tmp, index=False)
    return fmt


@click.command("mine")
@click.argument("source")
@data_options
@click.option("--minsup", "-s",
              help="Count (5), fraction of sequences (0.01) or percentage (1%); with "
                   "--top-k a floor [default: 1].")
@click.option("--algorithm", "-a", type=click.Choice(sorted(ALGORITHMS)),
              default="auto", show_default=True,
              help="Miner; 'auto' picks the fastest for the data (all give the same result).")
@click.option("--max-length", type=click.IntRange(min=1), help="Most items per pattern.")
@click.option("--max-size", type=click.IntRange(min=1), help="Most itemsets per pattern.")
@click.option("--min-gap", help="Least gap between matched events: positions or a duration.")
@click.option("--max-gap", help="Largest gap between matched events: positions or duration.")
@click.option("--max-span", help="Largest first-to-last distance: positions or a duration.")
@click.option("--must-contain", help="Comma-separated items every pattern must hold.")
@click.option("--exclude", help="Comma-separated items no pattern may hold.")
@click.option("--max-patterns", type=click.IntRange(min=1),
              help="Stop with a message beyond this many patterns.")
@click.option("--closed", "condensed", flag_value="closed",
              help="Only closed patterns (no super-pattern with the same support).")
@click.option("--maximal", "condensed", flag_value="maximal",
              help="Only maximal patterns (no frequent super-pattern).")
@click.option("--top-k", "top_k", type=click.IntRange(min=1),
              help="The K patterns of highest support (every tie at the K-th kept).")
@click.option("--jobs", "-j", type=int, default=1, show_default=True,
              help="Threads over first-level prefixes (-1: all cores).")
@click.option("--scheduler", metavar="ADDRESS",
              help="Mine on the Dask cluster of this scheduler (tcp://host:8786): PrefixSpan, "
                   "same result as a local run; the workers read a Parquet SOURCE "
                   "themselves. Needs seqmine[dask].")
@click.option("--workers", type=click.IntRange(min=1),
              help="Mine on a local Dask cluster of this many worker processes, one thread "
                   "each (as --scheduler).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Output file (.parquet, .csv, .txt/.spmf); written atomically.")
@click.option("--format", "fmt", type=click.Choice(["parquet", "spmf", "csv"]),
              help="Output format when the extension does not say it.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar [default: when stderr is a terminal].")
@click.option("--top", type=int, default=20, show_default=True,
              help="Patterns to print when no --output is given.")
@friendly_errors
def mine(source: str, sequence: str | None, item: str, time_column: str, itemsets: str,
         minsup: str | None, algorithm: str, max_length: int | None, max_size: int | None,
         min_gap: str | None, max_gap: str | None, max_span: str | None,
         must_contain: str | None, exclude: str | None, max_patterns: int | None,
         condensed: str | None, top_k: int | None, jobs: int, scheduler: str | None,
         workers: int | None, output: Path | None, fmt: str | None, progress: bool | None,
         top: int) -> None:
    """Mine the frequent sequential patterns of SOURCE (event log, SPMF file or data set)."""
    started = time.perf_counter()
    show_progress = sys.stderr.isatty() if progress is None else progress
    if condensed and top_k:
        raise InputError("choose one of --closed, --maximal and --top-k")
    if (condensed or top_k) and algorithm != "auto":
        raise InputError(f"--{condensed or 'top-k'} has its own search; drop --algorithm")
    if minsup is None and not top_k:
        raise InputError("--minsup is required (a count, a fraction or a percentage)")
    on_dask = scheduler is not None or workers is not None
    if on_dask:
        data, integer_items = _dask_source(source, sequence, item, time_column, itemsets,
                                           algorithm, condensed or ("top-k" if top_k else None))
    else:
        data = load_source(source, sequence, item, time_column, itemsets)
        integer_items = data.codebook.is_integer
    options: dict[str, Any] = dict(
        max_length=max_length, max_size=max_size, min_gap=parse_gap(min_gap),
        max_gap=parse_gap(max_gap), max_span=parse_gap(max_span),
        must_contain=parse_items(must_contain, integer_items),
        exclude=parse_items(exclude, integer_items), max_patterns=max_patterns,
        progress=show_progress)
    if on_dask:
        from seqmine.mining.distributed import dask_client
        with dask_client(scheduler, workers) as client:
            patterns = mine_patterns(data, parse_minsup(minsup), algorithm=algorithm,  # type: ignore[arg-type]
                                     backend="dask", client=client, **options)
    elif top_k:
        patterns = condensed_miners.top_k(data, top_k, minsup=parse_minsup(minsup or "1"),
                                          n_jobs=jobs, **options)
    elif condensed:
        miner = getattr(condensed_miners, condensed)
        patterns = miner(data, parse_minsup(minsup), n_jobs=jobs,  # type: ignore[arg-type]
                         **options)
    else:
        patterns = mine_patterns(data, parse_minsup(minsup), algorithm=algorithm,  # type: ignore[arg-type]
                                 n_jobs=jobs, **options)
    algorithm = str(patterns.options.get("algorithm", algorithm))
    if "chosen_algorithm" in patterns.options:
        algorithm = f"auto: {patterns.options['chosen_algorithm']}"
    elapsed = time.perf_counter() - started
    summary = (f"{len(patterns)} patterns from {patterns.n_sequences} sequences "
               f"(min_count={patterns.min_count}, {algorithm}) in {elapsed:.2f} s")
    if output is not None:
        written = write_patterns(patterns, output, fmt)
        click.echo(f"{summary} -> {output} ({written})", err=True)
        return
    frame = patterns.top(top).to_pandas()
    click.echo(frame.to_string(index=False) if len(frame) else "(no patterns)")
    click.echo(summary, err=True)


def _dask_source(source: str, sequence: str | None, item: str, time_column: str,
                 itemsets: str, algorithm: str, condensed: str | None
                 ) -> tuple[Any, bool]:
    """What ``--scheduler``/``--workers`` mine: a Parquet file or folder as a source the
    workers read themselves; any other input read here and sent to them. Also whether its
    items are integers (to type --must-contain / --exclude)."""
    if condensed:
        raise InputError(f"--{condensed} runs locally only; drop --scheduler/--workers")
    if algorithm not in ("auto", "prefixspan"):
        raise InputError(f"--scheduler/--workers mine with prefixspan; drop --algorithm "
                         f"{algorithm}")
    from seqmine.mining.distributed import cli_source, items_are_integers
    time = None if time_column.lower() == "none" else time_column
    data: Any = cli_source(resolve_source(source), sequence, item, time, itemsets)
    if data is None:
        data = load_source(source, sequence, item, time_column, itemsets)
    return data, items_are_integers(data)


COMMANDS = [mine]
