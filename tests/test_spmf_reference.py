"""Exact agreement with the reference pattern counts of the shared SPMF data sets.

Levels and counts are read from ../shared/datasets/spm/README.md (the table "Benchmark
levels, reference pattern counts"), so a new data set or level there is checked too.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest

from seqmine import mine
from seqmine.data.spmf import read_spmf

SPM = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "spm"
_ROW = re.compile(r"^\|\s*(\w+)\s*\|\s*([\d.]+)%\s*\|\s*(\d+)\s*\|\s*([\d,]+)\s*\|")


def reference_rows() -> list[tuple[str, float, int, int]]:
    readme = SPM / "README.md"
    if not readme.exists():
        return []
    rows = []
    for line in readme.read_text().splitlines():
        m = _ROW.match(line)
        if m:
            name, pct, absolute, count = m.groups()
            rows.append((name, float(pct) / 100, int(absolute), int(count.replace(",", ""))))
    return rows


@lru_cache(maxsize=2)
def database(name: str):
    return read_spmf(SPM / f"{name}.txt.gz")


ROWS = reference_rows()


def test_reference_table_is_readable():
    if not SPM.exists():
        pytest.skip("../shared/datasets/spm is not present (fresh clone without shared data)")
    assert len(ROWS) >= 20, "could not parse the reference table of the spm README"


@pytest.mark.slow
@pytest.mark.parametrize(("name", "relative", "absolute", "count"), ROWS,
                         ids=[f"{r[0]}-{r[1]:g}" for r in ROWS])
def test_prefixspan_matches_reference_counts(name, relative, absolute, count):
    db = database(name)
    patterns = mine(db, relative, algorithm="prefixspan")
    assert patterns.min_count == absolute
    assert len(patterns) == count
