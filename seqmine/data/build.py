"""Event table -> SequenceDatabase: validate, encode, stable time sort, group (vectorised)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seqmine._kernels import dbops
from seqmine.data.codebook import Codebook
from seqmine.data.database import SequenceArrays, SequenceDatabase
from seqmine.errors import InputError
from seqmine.io.events import EventSource, read_table, sniff_spmf

_SEQUENCE_DEFAULTS = ("user_id", "session_id")
_TIME_DEFAULT = "timestamp"
_UNSET: Any = object()


def read_events(
    source: EventSource,
    sequence: str | None = None,
    item: str = "item_id",
    time: str | None = _UNSET,
    itemsets: Literal["event", "timestamp"] = "event",
    filter: Any = None,
) -> SequenceDatabase:
    """Build a SequenceDatabase from an event log.

    Parameters
    ----------
    source : path to a Parquet file, a folder of (partitioned) Parquet, a CSV/TSV file or an
        SPMF text file (recognised by content), or a pandas DataFrame / pyarrow Table.
    sequence : column holding the sequence key. Default: ``user_id`` if present, else
        ``session_id``.
    item : column holding item ids (integers or strings).
    time : column ordering events within a sequence (integers, timestamps or dates); default
        ``timestamp``. ``None`` keeps the file order.
    itemsets : "event" makes one itemset per row; "timestamp" merges the rows of a sequence
        that share a time into one itemset.
    filter : a pyarrow expression selecting rows, e.g. ``pc.field("event_type") == "click"``.
    """
    if itemsets not in ("event", "timestamp"):
        raise InputError(f"itemsets must be 'event' or 'timestamp', got {itemsets!r}")
    if isinstance(source, (str, Path)) and Path(source).is_file() and sniff_spmf(Path(source)):
        from seqmine.data.spmf import read_spmf
        return read_spmf(source)
    table = read_table(source, filter=filter)
    sequence = _pick_sequence_column(table.column_names, sequence)
    if time is _UNSET:
        if _TIME_DEFAULT not in table.column_names:
            raise InputError(
                f"missing column '{_TIME_DEFAULT}'; columns present: {table.column_names}. "
                "Name the time column with time=... (--time), or pass time=None to keep file order")
        time = _TIME_DEFAULT
    wanted = [c for c in (sequence, item, time) if c is not None]
    missing = [c for c in wanted if c not in table.column_names]
    if missing:
        raise InputError(f"missing column(s) {missing}; columns present: {table.column_names}")
    return build_database(table, sequence, item, time, itemsets)


def _pick_sequence_column(columns: list[str], sequence: str | None) -> str:
    if sequence is not None:
        return sequence
    for name in _SEQUENCE_DEFAULTS:
        if name in columns:
            return name
    raise InputError(f"no sequence column: none of {list(_SEQUENCE_DEFAULTS)} in {columns}; "
                     "name it with sequence=... (--sequence)")


def _column(table: pa.Table, name: str) -> pa.Array:
    col = table.column(name)
    if col.null_count:
        raise InputError(f"column '{name}' has {col.null_count} null value(s); "
                         "drop or fill them first")
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    return arr


def _key_column(table: pa.Table, name: str, role: str) -> pa.Array:
    arr = _column(table, name)
    t = arr.type
    if not (pa.types.is_integer(t) or pa.types.is_string(t) or pa.types.is_large_string(t)):
        raise InputError(f"{role} column '{name}' has unsupported type {t}; "
                         "use integers or strings")
    return arr


def _time_column(table: pa.Table, name: str) -> tuple[np.ndarray, str | None]:
    arr = _column(table, name)
    t = arr.type
    if pa.types.is_integer(t):
        return arr.cast(pa.int64()).to_numpy(), None
    if pa.types.is_timestamp(t):
        return arr.cast(pa.int64()).to_numpy(), t.unit
    if pa.types.is_date(t):
        return arr.cast(pa.date32()).cast(pa.int32()).cast(pa.int64()).to_numpy() * 86400, "s"
    raise InputError(f"time column '{name}' has unsupported type {t}; use integers, "
                     "timestamps or dates (convert floats, e.g. seconds*1000 as int64)")


def build_database(table: pa.Table, sequence: str, item: str, time: str | None,
                   itemsets: str = "event") -> SequenceDatabase:
    """Group, order and encode a validated table (see :func:`read_events`)."""
    if table.num_rows == 0:
        raise InputError("the event log is empty (no rows after filtering)")
    seq_arr = _key_column(table, sequence, "sequence")
    item_arr = _key_column(table, item, "item")
    if time is None:
        times, unit = np.arange(table.num_rows, dtype=np.int64), None
    else:
        times, unit = _time_column(table, time)
    seq_book, seq_codes = Codebook.encode(seq_arr)
    codebook, item_codes = Codebook.encode(item_arr)

    if itemsets == "timestamp":
        order = np.lexsort((item_codes, times, seq_codes))
    elif _is_grouped_and_ordered(seq_codes, times):
        order = None
    else:
        order = np.lexsort((times, seq_codes))
    if order is not None:
        seq_codes, times, item_codes = seq_codes[order], times[order], item_codes[order]

    n_seq = len(seq_book)
    if itemsets == "timestamp":
        new_event = np.empty(len(times), dtype=bool)
        new_event[0] = True
        new_event[1:] = (seq_codes[1:] != seq_codes[:-1]) | (times[1:] != times[:-1])
        keep = np.ones(len(times), dtype=bool)
        keep[1:] = new_event[1:] | (item_codes[1:] != item_codes[:-1])
        new_event, seq_codes, times, item_codes = (
            new_event[keep], seq_codes[keep], times[keep], item_codes[keep])
        starts = np.flatnonzero(new_event)
        evt_ptr = np.append(starts, len(item_codes)).astype(np.int64)
        evt_seq = seq_codes[starts]
        times = times[starts]
    else:
        evt_ptr = np.arange(len(item_codes) + 1, dtype=np.int64)
        evt_seq = seq_codes
    seq_ptr = np.zeros(n_seq + 1, dtype=np.int64)
    np.cumsum(np.bincount(evt_seq, minlength=n_seq), out=seq_ptr[1:])
    arrays = SequenceArrays(seq_ptr, evt_ptr, np.ascontiguousarray(item_codes, np.int32),
                            np.ascontiguousarray(times, np.int64))
    return SequenceDatabase(arrays, codebook, seq_book.values, unit)


def _is_grouped_and_ordered(seq_codes: np.ndarray, times: np.ndarray) -> bool:
    """True when rows are already sorted by sequence code, then time (the common case)."""
    if len(seq_codes) < 2:
        return True
    same = seq_codes[1:] == seq_codes[:-1]
    if not np.all(same | (seq_codes[1:] > seq_codes[:-1])):
        return False
    return bool(np.all(~same | (times[1:] >= times[:-1])))


def sort_within_events(evt_ptr: np.ndarray, items: np.ndarray) -> np.ndarray:
    if len(items) == 0:
        return items.astype(np.int32)
    return dbops.sort_within_events(evt_ptr, np.asarray(items, np.int32))


def take_sequences(db: SequenceDatabase, chosen: np.ndarray) -> SequenceDatabase:
    a = db.arrays
    if len(chosen) and (chosen.min() < 0 or chosen.max() >= len(db)):
        raise InputError("sequence index out of range")
    seq_ptr, evt_ptr, items, times = dbops.gather_sequences(
        a.seq_ptr, a.evt_ptr, a.items, a.times, chosen)
    return SequenceDatabase(SequenceArrays(seq_ptr, evt_ptr, items, times), db.codebook,
                            db.sequence_ids.take(pa.array(chosen)), db.time_unit)


def check_invariants(db: SequenceDatabase) -> None:
    """Raise InputError naming the first broken CSR invariant (used by tests and loaders)."""
    a = db.arrays
    checks = [
        (a.seq_ptr.dtype == np.int64 and a.evt_ptr.dtype == np.int64, "pointer dtypes int64"),
        (a.items.dtype == np.int32 and a.times.dtype == np.int64, "items int32, times int64"),
        (a.seq_ptr[0] == 0 and a.seq_ptr[-1] == len(a.evt_ptr) - 1, "seq_ptr spans events"),
        (a.evt_ptr[0] == 0 and a.evt_ptr[-1] == len(a.items), "evt_ptr spans items"),
        (bool(np.all(np.diff(a.seq_ptr) >= 0)), "seq_ptr non-decreasing"),
        (bool(np.all(np.diff(a.evt_ptr) >= 1)), "events are non-empty"),
        (len(a.times) == len(a.evt_ptr) - 1, "one time per event"),
        (len(a.items) == 0 or (a.items.min() >= 0 and a.items.max() < len(db.codebook)),
         "item codes within the codebook"),
    ]
    for ok, what in checks:
        if not ok:
            raise InputError(f"database invariant broken: {what}")
    inner = np.ones(len(a.items), dtype=bool)
    inner[a.evt_ptr[:-1]] = False
    if len(a.items) > 1 and not np.all(np.diff(a.items)[inner[1:]] > 0):
        raise InputError("database invariant broken: items sorted and unique within events")
    seq_start = np.zeros(len(a.times), dtype=bool)
    seq_start[a.seq_ptr[:-1][np.diff(a.seq_ptr) > 0]] = True
    if len(a.times) > 1 and not np.all((np.diff(a.times) >= 0) | seq_start[1:]):
        raise InputError("database invariant broken: times non-decreasing within sequences")
