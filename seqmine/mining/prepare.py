"""Shared first step of the miners: resolve options, drop what cannot be frequent, relabel
the frequent items densely, and remember how to map back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from seqmine._kernels import projection
from seqmine.data.database import SequenceDatabase
from seqmine.errors import InputError
from seqmine.options import Constraints, resolve_minsup


@dataclass(frozen=True)
class PreparedDatabase:
    """The reduced database a miner's kernels run on.

    Items are relabelled 0..n_items-1 in original code order; ``original_code`` maps back.
    ``coord`` is the gap/span coordinate of each kept event (position or time), so dropping
    infrequent items never changes distances. ``required`` flags must-contain items.
    """

    seq_ptr: np.ndarray
    evt_ptr: np.ndarray
    items: np.ndarray
    coord: np.ndarray
    original_code: np.ndarray
    required: np.ndarray
    min_count: int
    min_gap: int
    max_gap: int
    max_span: int

    @property
    def n_items(self) -> int:
        return len(self.original_code)

    @property
    def max_itemset_size(self) -> int:
        return int(np.diff(self.evt_ptr).max()) if len(self.evt_ptr) > 1 else 0


def check_database(db: Any) -> SequenceDatabase:
    if not isinstance(db, SequenceDatabase):
        raise InputError(f"expected a SequenceDatabase, got {type(db).__name__}; build one "
                         "with seqmine.read_events(...) or SequenceDatabase.from_spmf(...)")
    return db


def _codes_present(db: SequenceDatabase, values: tuple[Any, ...]) -> tuple[np.ndarray, bool]:
    """Codes of the ``values`` found in the codebook, and whether any was absent (an absent
    required item means no pattern qualifies; an absent excluded item changes nothing)."""
    codes = []
    missing = False
    for value in values:
        try:
            codes.append(int(db.codebook.code_of([value])[0]))
        except InputError:
            missing = True
    return np.array(sorted(set(codes)), dtype=np.int64), missing


def prepare(db: SequenceDatabase, minsup: Any, constraints: Constraints) -> PreparedDatabase:
    """Resolve minsup and constraints against ``db`` and build the reduced database."""
    check_database(db)
    min_count = resolve_minsup(minsup, db.n_sequences)
    min_gap, max_gap, max_span, use_time = constraints.resolved_window(db.time_unit)
    a = db.arrays
    coord = a.times if use_time else projection.positions_in_sequence(a.seq_ptr)
    n_items = db.n_items

    required_codes, required_missing = _codes_present(db, constraints.must_contain)
    excluded_codes, _ = _codes_present(db, constraints.exclude)
    keep_seq = np.ones(db.n_sequences, dtype=np.bool_)
    if len(required_codes):
        required_full = np.zeros(n_items, dtype=np.bool_)
        required_full[required_codes] = True
        keep_seq = projection.sequences_containing_all(
            a.seq_ptr, a.evt_ptr, a.items, required_full, len(required_codes))
        # support is counted on the sequences that can hold an output pattern only
        sub = db.subset(np.flatnonzero(keep_seq))
        support = projection.item_supports(sub.arrays.seq_ptr, sub.arrays.evt_ptr,
                                           sub.arrays.items, n_items)
    else:
        support = projection.item_supports(a.seq_ptr, a.evt_ptr, a.items, n_items)
    frequent = support >= min_count
    frequent[excluded_codes] = False
    if required_missing or (len(required_codes) and not frequent[required_codes].all()):
        frequent[:] = False  # a required item is infrequent: no pattern can qualify
    original_code = np.flatnonzero(frequent).astype(np.int32)
    new_code = np.full(n_items, -1, np.int32)
    new_code[original_code] = np.arange(len(original_code), dtype=np.int32)
    seq_ptr, evt_ptr, items, kept_coord = projection.reduce_database(
        a.seq_ptr, a.evt_ptr, a.items, coord, new_code, keep_seq)
    required = np.zeros(len(original_code), dtype=np.bool_)
    if len(required_codes) and len(original_code):
        required[new_code[required_codes]] = True
    return PreparedDatabase(seq_ptr, evt_ptr, items, kept_coord, original_code, required,
                            min_count, min_gap, max_gap, max_span)
