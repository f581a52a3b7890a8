"""Options shared by every command that reads data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from seqmine.data.build import read_events
from seqmine.data.database import SequenceDatabase


def data_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--sequence/--item/--time/--itemsets, applied to a command taking a data SOURCE."""
    options = [
        click.option("--sequence", default=None,
                     help="Sequence key column [default: session_id, else user_id]."),
        click.option("--item", default="item_id", show_default=True, help="Item column."),
        click.option("--time", "time_column", default="timestamp", show_default=True,
                     help="Time column; 'none' keeps file order."),
        click.option("--itemsets", type=click.Choice(["event", "timestamp"]), default="event",
                     show_default=True,
                     help="One itemset per row, or merge rows with equal timestamps."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def resolve_source(source: str) -> str | Path:
    """``source`` itself, or the file of the built-in data set of that name when no file or
    folder called ``source`` exists (so ``seqmine info sample`` works anywhere)."""
    if not Path(source).exists():
        from seqmine import datasets
        from seqmine.errors import InputError
        if source in datasets.available():
            return datasets.path(source)
        raise InputError(f"no such file or folder: {source} (nor a built-in data set: "
                         f"{', '.join(datasets.available())})")
    return source


def load_source(source: str, sequence: str | None, item: str, time_column: str,
                itemsets: str) -> SequenceDatabase:
    """Read any supported input (Parquet file/folder, CSV, SPMF text, or a built-in data set
    name) into a database."""
    time = None if time_column.lower() == "none" else time_column
    return read_events(resolve_source(source), sequence=sequence, item=item, time=time,
                       itemsets=itemsets)  # type: ignore[arg-type]
