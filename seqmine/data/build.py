"""Event table -> SequenceDatabase: validate, encode, stable time sort, group (vectorised)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seqmine._kernels import dbops
from seqmine._kernels import ingest as kingest
from seqmine.data.codebook import Codebook
from seqmine.data.database import SequenceArrays, SequenceDatabase
from seqmine.errors import InputError
from seqmine.io.events import EventSource, read_table, sniff_spmf

_SEQUENCE_DEFAULTS = ("session_id", "user_id")  # a session log may also carry users
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
    sequence : column holding the sequence key. Default: ``session_id`` if present (a session
        log may also carry a mostly-null user column), else ``user_id``.
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
    if (filter is None and itemsets == "event" and isinstance(source, (str, Path))
            and _is_parquet_path(Path(source))):
        db = _stream_parquet(Path(source), sequence, item, time)
        if db is not None:
            return db
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


_BATCH_ROWS = 1 << 18


def _is_parquet_path(path: Path) -> bool:
    return path.is_dir() or path.name.lower().endswith((".parquet", ".pq"))


def _int_like(t: pa.DataType) -> bool:
    return bool(pa.types.is_integer(t) or (pa.types.is_dictionary(t)
                                           and pa.types.is_integer(t.value_type)))


def _stream_parquet(path: Path, sequence: str | None, item: str, time: Any
                    ) -> SequenceDatabase | None:
    """Low-memory ingest of a Parquet log with integer keys, batch by batch.

    Each batch is copied straight into preallocated ``times`` and raw item arrays and then
    dropped, so the whole Arrow table never exists; when the rows come grouped by sequence
    in time order (the usual layout) sequences are found from key changes without hashing
    the keys. Returns None, and :func:`read_events` takes its general path (which also
    words every error), for anything else: string keys, nulls, missing columns, no rows.
    The result equals that of the general path.
    """
    import pyarrow.parquet as pq
    try:
        if path.is_dir():
            import pyarrow.dataset as ds
            source: Any = ds.dataset(path, format="parquet", partitioning="hive")
            schema = source.schema
        else:  # one open serves schema, row count and batches: a few ms less per file
            source = pq.ParquetFile(path, pre_buffer=False)
            schema = source.schema_arrow
        sequence = _pick_sequence_column(schema.names, sequence)
    except (pa.ArrowException, OSError, InputError):
        return None
    if time is _UNSET:
        time = _TIME_DEFAULT
    wanted = [c for c in (sequence, item, time) if c is not None]
    if len(set(wanted)) < len(wanted) or any(c not in schema.names for c in wanted):
        return None
    if not (_int_like(schema.field(sequence).type) and _int_like(schema.field(item).type)):
        return None
    if time is not None:
        tt = schema.field(time).type
        if not (pa.types.is_integer(tt) or pa.types.is_timestamp(tt) or pa.types.is_date(tt)):
            return None
    n = source.count_rows() if path.is_dir() else source.metadata.num_rows
    if n == 0:
        return None
    times = np.empty(n, np.int64)
    raw_items = np.empty(n, np.int64)
    raw_seq: np.ndarray | None = None  # per-row keys, only once rows prove not grouped
    run_starts: list[np.ndarray] = []
    run_keys: list[np.ndarray] = []
    last_key = last_time = 0
    unit = None
    pos = 0
    t = times[:0]
    try:  # an unreadable file: the general path words the error
        for batch in _parquet_batches(source, wanted):
            m = batch.num_rows
            if m == 0:
                continue
            if pos + m > n:
                return None
            part = pa.Table.from_batches([batch])
            if any(part.column(c).null_count for c in wanted):
                return None
            keys = _column(part, sequence).cast(pa.int64()).to_numpy()
            raw_items[pos:pos + m] = _column(part, item).cast(pa.int64()).to_numpy()
            if time is None:
                times[pos:pos + m] = np.arange(pos, pos + m)
            else:
                times[pos:pos + m], unit = _time_column(part, time)
            t = times[pos:pos + m]
            if raw_seq is None:
                same = keys[1:] == keys[:-1]
                grouped = bool(np.all(same | (keys[1:] > keys[:-1]))
                               and np.all(~same | (t[1:] >= t[:-1])))
                if pos and grouped:
                    grouped = keys[0] > last_key or (keys[0] == last_key and t[0] >= last_time)
                if grouped:
                    new = np.empty(m, dtype=bool)
                    new[0] = pos == 0 or keys[0] != last_key
                    np.not_equal(keys[1:], keys[:-1], out=new[1:])
                    starts = np.flatnonzero(new)
                    run_starts.append(starts + pos)
                    run_keys.append(keys[starts])
                    last_key, last_time = keys[-1], t[-1]
                else:
                    raw_seq = np.empty(n, np.int64)
                    if pos:
                        starts = np.concatenate(run_starts)
                        raw_seq[:pos] = np.repeat(np.concatenate(run_keys),
                                                  np.diff(np.append(starts, pos)))
                    run_starts, run_keys = [], []
            if raw_seq is not None:
                raw_seq[pos:pos + m] = keys
            pos += m
    except (pa.ArrowException, OSError):
        return None
    del t  # a view of ``times``: it would keep the array alive after the scatter below
    if pos != n:
        return None

    if raw_seq is None:
        seq_ptr = np.append(np.concatenate(run_starts), n).astype(np.int64)
        sequence_ids = pa.array(np.concatenate(run_keys))
    else:
        sequence_ids, seq_codes = _encode_int64(raw_seq)
        del raw_seq
        seq_ptr = np.zeros(len(sequence_ids) + 1, dtype=np.int64)
        np.cumsum(kingest.count_codes(seq_codes, len(sequence_ids)), out=seq_ptr[1:])
        times = kingest.scatter_by_sequence(seq_codes, seq_ptr, times)
        raw_items = kingest.scatter_by_sequence(seq_codes, seq_ptr, raw_items)
        del seq_codes
        kingest.sort_segments_by_time(seq_ptr, times, raw_items)
    item_values, item_codes = _encode_int64(raw_items)
    del raw_items
    if time is None:  # positions within the sequence, as build_database gives them
        times[:] = np.arange(n, dtype=np.int64)
        times -= np.repeat(seq_ptr[:-1], np.diff(seq_ptr))
    arrays = SequenceArrays(seq_ptr, np.arange(n + 1, dtype=np.int64), item_codes, times)
    return SequenceDatabase(arrays, Codebook(item_values), sequence_ids, unit)


def _encode_int64(raw: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """(distinct values ascending, int32 rank codes), as Codebook.encode gives them.

    Ids in a compact range (the usual case) go through a lookup table: no hash table,
    4 bytes per row. Others are hashed by Arrow, whose freed pages are then handed back, or
    they would stay resident beside the NumPy arrays that follow.
    """
    lo, hi = int(raw.min()), int(raw.max())
    span = hi - lo + 1
    if span <= max(len(raw), 1 << 22):
        values, codes = kingest.dense_codes(raw, lo, span)
        return pa.array(values), codes
    book, codes = Codebook.encode(pa.array(raw))
    pa.default_memory_pool().release_unused()
    return book.values, np.ascontiguousarray(codes, np.int32)


def _parquet_batches(source: Any, columns: list[str]) -> Any:
    """Record batches in file order with little read-ahead (Arrow's defaults buffer whole row
    groups several deep: 100-200 MB on a 10M-row file, more than the database itself).
    ``source`` is a pyarrow Dataset (a folder) or a ParquetFile opened without pre-buffering.
    """
    import pyarrow.parquet as pq
    if isinstance(source, pq.ParquetFile):
        return source.iter_batches(batch_size=_BATCH_ROWS, columns=columns)
    import pyarrow.dataset as ds
    return source.to_batches(
        columns=columns, batch_size=_BATCH_ROWS, batch_readahead=1, fragment_readahead=1,
        fragment_scan_options=ds.ParquetFragmentScanOptions(pre_buffer=False))


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
    if arr.type == pa.uint64() and len(arr) and pc.max(arr).as_py() >= 1 << 63:
        raise InputError(f"column '{name}' has uint64 values above the int64 range "
                         f"(max {pc.max(arr).as_py()}); seqmine keeps ids and times as int64")
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
        order = _stable_order([seq_codes, times, item_codes])
    elif _is_grouped_and_ordered(seq_codes, times):
        order = None
    else:
        order = _stable_order([seq_codes, times])
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
    if time is None:
        # File order: an event's time is its 0-based position in its sequence, as for
        # from_sequences and SPMF files without <t> (not its row number in the file).
        times = np.arange(len(evt_seq), dtype=np.int64) - np.repeat(seq_ptr[:-1],
                                                                    np.diff(seq_ptr))
    arrays = SequenceArrays(seq_ptr, evt_ptr, np.ascontiguousarray(item_codes, np.int32),
                            np.ascontiguousarray(times, np.int64))
    return SequenceDatabase(arrays, codebook, seq_book.values, unit)


def _stable_order(keys: list[np.ndarray]) -> np.ndarray:
    """Row order sorting by keys[0], then keys[1], ...; ties keep their row order.

    Keys whose value ranges multiply to less than 2**63 are folded into one int64 key and
    sorted by one stable argsort: several times faster than np.lexsort, which makes one
    indirect pass per key. Keys that do not fit fall back to lexsort on the folded groups.
    """
    groups: list[np.ndarray] = []
    combined: np.ndarray | None = None
    total = 1
    for key in keys:
        lo, hi = int(key.min()), int(key.max())
        span = hi - lo + 1
        if span >= 1 << 63:  # key - lo would overflow int64: sort this key as it is
            shifted, span = key.astype(np.int64), 1 << 64
        else:
            shifted = key.astype(np.int64) - lo
        if combined is not None and total * span < 1 << 63:
            combined = combined * span + shifted
            total *= span
        else:
            if combined is not None:
                groups.append(combined)
            combined, total = shifted, span
    assert combined is not None
    groups.append(combined)
    if len(groups) == 1:
        return np.argsort(groups[0], kind="stable")
    return np.lexsort(groups[::-1])


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
