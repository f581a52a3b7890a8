"""Built-in sample data, readers for common public formats, and a synthetic generator.

- :func:`load` / :func:`available` / :func:`path` / :func:`planted`: the small data sets
  shipped inside the package (``seqmine/datasets/data/``, so they work from an installed
  wheel; ``datasets/README.md`` at the repository root documents them).
- Readers: :func:`read_spmf` (SPMF text), :func:`read_movielens` (``ratings.dat`` /
  ``ratings.csv``), :func:`read_sasrec` (``user item`` lines), :func:`read_session_csv`
  (YooChoose / DIGINETICA style session logs).
- :func:`synthetic` / :func:`synthetic_events`: seeded Quest-style data with planted patterns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqmine.data.database import SequenceDatabase
from seqmine.datasets.readers import read_movielens, read_sasrec, read_session_csv, read_spmf
from seqmine.datasets.synthetic import PlantedPattern, synthetic, synthetic_events
from seqmine.errors import InputError

__all__ = [
    "PlantedPattern",
    "available",
    "load",
    "path",
    "planted",
    "read_movielens",
    "read_sasrec",
    "read_session_csv",
    "read_spmf",
    "synthetic",
    "synthetic_events",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
_PLANTED_FILE = "planted.json"


@dataclass(frozen=True)
class _Builtin:
    filename: str
    description: str


# Regenerate the files with `python datasets/make_samples.py` (see datasets/README.md).
_BUILTIN: dict[str, _Builtin] = {
    "sample": _Builtin(
        "sample_events.parquet",
        "synthetic click-stream log (user_id, item_id, timestamp in Unix s): 2,000 users, "
        "~20k events, 300 items, 20 planted patterns"),
    "sample_spmf": _Builtin(
        "sample.spmf",
        "synthetic itemset sequences in SPMF text: 500 sequences, ~8 itemsets each, "
        "~2.5 items per itemset, 10 planted patterns"),
}


def available() -> dict[str, str]:
    """Names of the built-in data sets, each with a one-line description."""
    return {name: entry.description for name, entry in _BUILTIN.items()}


def _entry(name: str) -> _Builtin:
    try:
        return _BUILTIN[name]
    except (KeyError, TypeError):
        raise InputError(f"no built-in data set {name!r}; available: "
                         f"{', '.join(sorted(_BUILTIN))}") from None


def path(name: str) -> Path:
    """Path of the file behind built-in data set ``name`` (to pass to other tools)."""
    file = DATA_DIR / _entry(name).filename
    if not file.is_file():
        raise InputError(f"built-in data set {name!r} is missing its file {file}; "
                         "reinstall seqmine or run datasets/make_samples.py")
    return file


def load(name: str, **read_options: Any) -> SequenceDatabase:
    """Load built-in data set ``name`` (see :func:`available`) as a SequenceDatabase.

    ``read_options`` go to :func:`seqmine.read_events` (e.g. ``itemsets="timestamp"``).
    """
    from seqmine.data.build import read_events
    return read_events(path(name), **read_options)


def planted(name: str) -> list[PlantedPattern]:
    """The patterns planted in built-in data set ``name``, heaviest first.

    ``embedded`` of each is a lower bound of its support in the data set.
    """
    _entry(name)
    records = json.loads((DATA_DIR / _PLANTED_FILE).read_text(encoding="utf-8"))[name]
    return [PlantedPattern(tuple(tuple(s) for s in r["itemsets"]), r["weight"], r["embedded"])
            for r in records["patterns"]]
