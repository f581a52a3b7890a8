"""Miners and the ``mine()`` entry point."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from seqmine.data.database import SequenceDatabase
from seqmine.errors import InputError
from seqmine.mining.auto import auto
from seqmine.mining.gsp import gsp
from seqmine.mining.prefixspan import prefixspan
from seqmine.mining.spade import spade, spam
from seqmine.options import Budget, Constraints
from seqmine.patterns.patternset import PatternSet

ALGORITHMS: dict[str, Callable[..., PatternSet]] = {
    "prefixspan": prefixspan,
    "gsp": gsp,
    "spade": spade,
    "spam": spam,
    "auto": auto,
}


def mine(db: SequenceDatabase, minsup: int | float, *, algorithm: str = "auto",
         max_length: int | None = None, max_size: int | None = None, min_gap: Any = None,
         max_gap: Any = None, max_span: Any = None, must_contain: Any = (),
         exclude: Any = (), gap_unit: str | None = None, max_patterns: int | None = None, max_memory: int | None = None,
         n_jobs: int | None = 1, progress: bool = False,
         return_partial: bool = False, backend: str = "local", client: Any = None
         ) -> PatternSet:
    """Frequent sequential patterns of ``db`` (DESIGN.md semantics).

    algorithm: "auto" (default) picks the fastest exact miner for the data's shape and the
    constraints (see ``seqmine.mining.auto.choose``); or "prefixspan", "spade", "spam",
    "gsp". Every algorithm returns the same PatternSet.

    minsup: int >= 1 (absolute count) or float in (0, 1] (fraction of sequences, rounded
    up). Gaps/span: ints count event positions (adjacent events: gap 1), timedeltas measure
    time; ``gap_unit="time"`` reads ints in the database's own time unit (plain numeric
    times). must_contain / exclude: item ids that every pattern must hold / never holds.
    max_patterns / max_memory: budgets that stop the run with BudgetExceededError.
    n_jobs: threads over first-level prefixes (-1: all cores); output is the same for any.
    backend: "local", or "dask" to mine on the Dask cluster of ``client`` (default: the
    current client); then ``db`` may also be a Parquet path or a ParquetSource, the
    algorithm is prefixspan ("auto" picks it), and the result equals the local one (needs
    seqmine[dask]).
    """
    try:
        miner = ALGORITHMS[algorithm]
    except KeyError:
        raise InputError(f"unknown algorithm {algorithm!r}; choose from "
                         f"{sorted(ALGORITHMS)}") from None
    constraints = Constraints(max_length=max_length, max_size=max_size, min_gap=min_gap,
                              max_gap=max_gap, max_span=max_span,
                              must_contain=tuple(must_contain), exclude=tuple(exclude),
                              gap_unit=gap_unit)
    budget = Budget(max_patterns=max_patterns, max_memory=max_memory)
    if backend == "dask":
        if algorithm not in ("prefixspan", "auto"):  # auto: prefixspan is the one there
            raise InputError(f"backend='dask' runs algorithm='prefixspan' only, got "
                             f"{algorithm!r}")
        from seqmine.mining.distributed import prefixspan_dask  # needs the dask extra
        return prefixspan_dask(db, minsup, client=client, constraints=constraints,
                               budget=budget, progress=progress,
                               return_partial=return_partial)
    if backend != "local" or client is not None:
        raise InputError(f"backend must be 'local' or 'dask' (client= goes with 'dask'), "
                         f"got backend={backend!r}")
    return miner(db, minsup, constraints=constraints, budget=budget, n_jobs=n_jobs,
                 progress=progress, return_partial=return_partial)


__all__ = ["ALGORITHMS", "mine", "prefixspan"]
