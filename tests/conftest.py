"""Shared test set-up: Hypothesis profiles, the shared data folder, temporary Parquet files.

Hypothesis profile: ``HYPOTHESIS_PROFILE=ci`` (derandomised, so CI runs are reproducible) or
``dev`` (the default). Both have no deadline: Numba compiles a kernel on its first call, which
would otherwise fail whichever example happens to run first.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, settings

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"

# `from tests import strategies` and `from tests.reference import brute_force` must work under
# plain `pytest` too, not only `python -m pytest` (which puts the working folder on sys.path).
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

settings.register_profile(
    "dev", max_examples=60, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "ci", max_examples=60, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def spm_file(name: str) -> Path:
    """Path of a shared SPMF data set (``BMS1.txt.gz``...); skips the test when it is absent."""
    path = SHARED_DIR / "datasets" / "spm" / name
    if not path.is_file():
        pytest.skip(f"../shared/datasets/spm not present: {path} is missing")
    return path


@pytest.fixture(scope="session")
def spm() -> Callable[[str], Path]:
    """The :func:`spm_file` helper as a fixture (no import of conftest needed)."""
    return spm_file


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only ../shared folder beside the repository (data sets, DESIGN.md)."""
    return SHARED_DIR


@pytest.fixture
def write_parquet(tmp_path: Path) -> Callable[..., Path]:
    """``write_parquet(data, name="events.parquet")``: write a pyarrow Table, a pandas
    DataFrame or a dict of columns as Parquet under ``tmp_path`` and return its path."""

    def write(data: Any, name: str = "events.parquet") -> Path:
        if isinstance(data, dict):
            table = pa.table(data)
        elif isinstance(data, pa.Table):
            table = data
        else:
            table = pa.Table.from_pandas(data, preserve_index=False)
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)
        return path

    return write
