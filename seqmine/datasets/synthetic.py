"""Seeded synthetic sequence data with planted patterns, in the style of IBM's Quest generator.

Agrawal & Srikant (1995), "Mining Sequential Patterns": a pool of potential sequential
patterns (itemsets over items of Zipf-like popularity, Exp(1) weights) is drawn first; each
sequence then receives patterns picked by weight, with some of their items dropped
(corruption), plus noise items. Because the generator records how many sequences received
each pattern intact, a test or a demo can check that mining finds what was planted.
The generation loop is a Numba kernel (:mod:`seqmine._kernels.synthetic`) writing the CSR
arrays directly; 10 million events take a few seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, overload

import numpy as np
import pyarrow as pa

from seqmine._kernels import synthetic as ksyn
from seqmine.data.codebook import Codebook
from seqmine.data.database import SequenceArrays, SequenceDatabase
from seqmine.errors import InputError

__all__ = ["PlantedPattern", "synthetic", "synthetic_events"]

_DEFAULT_START = 1_704_067_200  # 2024-01-01 00:00:00 UTC, in Unix seconds
_DEFAULT_SPAN = 30 * 86_400


@dataclass(frozen=True)
class PlantedPattern:
    """A pattern the generator planted.

    ``itemsets`` holds original item ids (1-based ints), each itemset ascending. ``weight`` is
    the pattern's share of the draws (weights sum to 1). ``embedded`` counts the sequences
    that received the pattern with no item dropped: a lower bound of its support.
    """

    itemsets: tuple[tuple[int, ...], ...]
    weight: float
    embedded: int

    @property
    def size(self) -> int:
        """Number of itemsets."""
        return len(self.itemsets)

    @property
    def length(self) -> int:
        """Number of items."""
        return sum(len(s) for s in self.itemsets)

    def as_lists(self) -> list[list[int]]:
        return [list(s) for s in self.itemsets]


@dataclass(frozen=True)
class _Raw:
    seq_ptr: np.ndarray
    evt_ptr: np.ndarray
    items: np.ndarray   # 1-based item ids, int32
    times: np.ndarray
    planted: list[PlantedPattern]


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise InputError(message)


def _generate(n_sequences: int, mean_events: float, mean_itemset_size: float, n_patterns: int,
              n_items: int, pattern_length: float, pattern_itemset_size: float | None,
              corruption: float, noise: float, item_skew: float, seed: int,
              with_times: bool, start: int, span: int, mean_gap: float) -> _Raw:
    _check(isinstance(n_sequences, (int, np.integer)) and n_sequences >= 1,
           f"n_sequences must be an integer >= 1, got {n_sequences!r}")
    _check(isinstance(n_items, (int, np.integer)) and n_items >= 1,
           f"n_items must be an integer >= 1, got {n_items!r}")
    _check(isinstance(n_patterns, (int, np.integer)) and n_patterns >= 0,
           f"n_patterns must be an integer >= 0, got {n_patterns!r}")
    _check(isinstance(seed, (int, np.integer)) and 0 <= seed < 2**64,
           f"seed must be an integer in [0, 2**64), got {seed!r}")
    if pattern_itemset_size is None:
        pattern_itemset_size = mean_itemset_size
    for name, value in (("mean_events", mean_events), ("mean_itemset_size", mean_itemset_size),
                        ("pattern_length", pattern_length),
                        ("pattern_itemset_size", pattern_itemset_size)):
        _check(isinstance(value, (int, float)) and math.isfinite(value) and 1 <= value <= 1e6,
               f"{name} must be a number in [1, 1e6], got {value!r}")
    _check(0.0 <= corruption < 1.0, f"corruption must be in [0, 1), got {corruption!r}")
    _check(0.0 <= noise <= 1.0, f"noise must be in [0, 1], got {noise!r}")
    _check(0.0 <= item_skew <= 10.0, f"item_skew must be in [0, 10], got {item_skew!r}")
    _check(mean_gap >= 0 and span >= 1, "mean_gap must be >= 0 and span >= 1")

    state = np.array([seed], dtype=np.uint64)
    item_cdf, item_of_rank = ksyn.item_popularity(int(n_items), float(item_skew), state)
    min_size = 2.0 if pattern_length >= 2 else 1.0
    pat_ptr, pset_ptr, pitems, weights = ksyn.make_patterns(
        int(n_patterns), float(pattern_length), min_size, float(pattern_itemset_size),
        item_cdf, item_of_rank, state)
    pat_cdf = np.cumsum(weights)
    if len(pat_cdf):
        pat_cdf[-1] = 1.0
    seq_ptr, evt_ptr, items, times, embedded = ksyn.generate(
        int(n_sequences), float(mean_events), float(mean_itemset_size), float(noise),
        float(corruption), item_cdf, item_of_rank, pat_ptr, pset_ptr, pitems, pat_cdf,
        bool(with_times), int(start), int(span), float(mean_gap), state)

    planted = []
    for p in range(int(n_patterns)):
        itemsets = tuple(tuple(pitems[pset_ptr[j]:pset_ptr[j + 1]].tolist())
                         for j in range(pat_ptr[p], pat_ptr[p + 1]))
        planted.append(PlantedPattern(itemsets, float(weights[p]), int(embedded[p])))
    planted.sort(key=lambda pp: (-pp.weight, pp.itemsets))
    return _Raw(seq_ptr, evt_ptr, items, times, planted)


@overload
def synthetic(n_sequences: int = ..., *, mean_events: float = ...,
              mean_itemset_size: float = ..., n_patterns: int = ..., n_items: int = ...,
              pattern_length: float = ..., pattern_itemset_size: float | None = ...,
              corruption: float = ..., noise: float = ..., item_skew: float = ...,
              seed: int = ..., timestamps: bool = ..., start: int = ..., span: int = ...,
              mean_gap: float = ..., return_planted: Literal[False] = ...
              ) -> SequenceDatabase: ...


@overload
def synthetic(n_sequences: int = ..., *, mean_events: float = ...,
              mean_itemset_size: float = ..., n_patterns: int = ..., n_items: int = ...,
              pattern_length: float = ..., pattern_itemset_size: float | None = ...,
              corruption: float = ..., noise: float = ..., item_skew: float = ...,
              seed: int = ..., timestamps: bool = ..., start: int = ..., span: int = ...,
              mean_gap: float = ..., return_planted: Literal[True]
              ) -> tuple[SequenceDatabase, list[PlantedPattern]]: ...


def synthetic(
    n_sequences: int = 10_000,
    *,
    mean_events: float = 10.0,
    mean_itemset_size: float = 2.0,
    n_patterns: int = 100,
    n_items: int = 1_000,
    pattern_length: float = 4.0,
    pattern_itemset_size: float | None = None,
    corruption: float = 0.1,
    noise: float = 0.5,
    item_skew: float = 1.0,
    seed: int = 0,
    timestamps: bool = False,
    start: int = _DEFAULT_START,
    span: int = _DEFAULT_SPAN,
    mean_gap: float = 600.0,
    return_planted: bool = False,
) -> SequenceDatabase | tuple[SequenceDatabase, list[PlantedPattern]]:
    """A seeded Quest-style sequence database with planted sequential patterns.

    Parameters
    ----------
    n_sequences : number of sequences.
    mean_events : mean events (itemsets) per sequence; 1 + Poisson(mean_events - 1).
    mean_itemset_size : mean target items per event; 1 + Poisson(mean - 1). Events that
        receive a planted itemset larger than their target grow, so the realised mean is a
        little higher when itemsets are larger than 1.
    n_patterns : size of the pool of potential patterns (0: pure noise).
    n_items : items are the integers 1..n_items, with Zipf-like popularity.
    pattern_length : mean itemsets per planted pattern (at least 2 when >= 2).
    pattern_itemset_size : mean items per planted itemset (default: mean_itemset_size).
    corruption : probability that a planted item is dropped at one embedding.
    noise : share of each sequence's item slots kept for noise items (0: patterns only).
    item_skew : Zipf exponent of item popularity (0: uniform).
    seed : the one seed; the same seed gives the same data on every platform.
    timestamps : event times in Unix seconds (``time_unit="s"``: a start in
        [start, start + span) then gaps of 1 + Exp(mean_gap) s) instead of positions.
    return_planted : also return the planted patterns, heaviest first.

    Returns
    -------
    SequenceDatabase, or ``(database, planted)`` when ``return_planted``. Sequence ids are
    1..n_sequences; item values are the 1-based item ids.
    """
    raw = _generate(n_sequences, mean_events, mean_itemset_size, n_patterns, n_items,
                    pattern_length, pattern_itemset_size, corruption, noise, item_skew, seed,
                    timestamps, start, span, mean_gap)
    present = np.zeros(int(n_items) + 1, dtype=bool)
    present[raw.items] = True
    code_of_id = (np.cumsum(present) - 1).astype(np.int32)
    codebook = Codebook(pa.array(np.flatnonzero(present).astype(np.int64)))
    arrays = SequenceArrays(raw.seq_ptr, raw.evt_ptr, code_of_id[raw.items], raw.times)
    sequence_ids = pa.array(np.arange(1, n_sequences + 1, dtype=np.int64))
    db = SequenceDatabase(arrays, codebook, sequence_ids, "s" if timestamps else None)
    if return_planted:
        return db, raw.planted
    return db


def synthetic_events(
    n_sequences: int = 10_000,
    *,
    mean_events: float = 10.0,
    mean_itemset_size: float = 1.0,
    n_patterns: int = 100,
    n_items: int = 1_000,
    pattern_length: float = 4.0,
    pattern_itemset_size: float | None = None,
    corruption: float = 0.1,
    noise: float = 0.5,
    item_skew: float = 1.0,
    seed: int = 0,
    start: int = _DEFAULT_START,
    span: int = _DEFAULT_SPAN,
    mean_gap: float = 600.0,
    order: Literal["sequence", "time"] = "sequence",
) -> pa.Table:
    """The synthetic data of :func:`synthetic` as an event log, for ingest tests and benchmarks.

    Columns: ``user_id`` (int64, 1..n_sequences), ``item_id`` (int64), ``timestamp`` (int64,
    Unix seconds). One row per item; the items of one itemset share a timestamp, and distinct
    events of a user never do, so ``read_events(table, itemsets="timestamp")`` gives back the
    database of ``synthetic(..., timestamps=True)`` with the same arguments.
    ``order="sequence"`` groups rows by user in time order (like the shared logs);
    ``order="time"`` sorts all rows by timestamp (stable), as a raw log arrives.
    Note the default ``mean_itemset_size`` is 1 here: most event logs have one item per row.
    """
    if order not in ("sequence", "time"):
        raise InputError(f"order must be 'sequence' or 'time', got {order!r}")
    raw = _generate(n_sequences, mean_events, mean_itemset_size, n_patterns, n_items,
                    pattern_length, pattern_itemset_size, corruption, noise, item_skew, seed,
                    True, start, span, mean_gap)
    evt_sizes = np.diff(raw.evt_ptr)
    seq_of_evt = np.repeat(np.arange(1, n_sequences + 1, dtype=np.int64), np.diff(raw.seq_ptr))
    user = np.repeat(seq_of_evt, evt_sizes)
    stamp = np.repeat(raw.times, evt_sizes)
    item = raw.items.astype(np.int64)
    del seq_of_evt, evt_sizes
    if order == "time":
        perm = np.argsort(stamp, kind="stable")
        user, item, stamp = user[perm], item[perm], stamp[perm]
    return pa.table({"user_id": user, "item_id": item, "timestamp": stamp})
