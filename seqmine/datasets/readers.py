"""Readers for the public formats users bring: MovieLens ratings, SASRec text, session CSVs.

Every reader parses with pyarrow.csv / Arrow compute (multi-threaded C++, no Python loop per
row) and builds the database with :func:`seqmine.data.build.build_database`, so grouping,
ordering and encoding follow DESIGN.md exactly as :func:`seqmine.read_events` does.
A file that does not fit its format raises :class:`seqmine.InputError` naming the file and
the problem.
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from seqmine.data.build import build_database
from seqmine.data.database import SequenceArrays, SequenceDatabase
from seqmine.data.spmf import read_spmf
from seqmine.errors import InputError

__all__ = ["read_movielens", "read_sasrec", "read_session_csv", "read_spmf"]

Itemsets = Literal["event", "timestamp"]
_TIME = "__seqmine_time__"


def _existing_file(path: str | Path) -> Path:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"no such file: {p}")
    return p


def _first_line(path: Path) -> str:
    """The first line of a (possibly gzipped) text file, decoded leniently."""
    opener: Any = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            head: bytes = fh.read(65536)
    except (OSError, EOFError) as exc:
        raise InputError(f"could not read {path}: {exc}") from exc
    if not head.strip():
        raise InputError(f"{path} is empty")
    return head.lstrip().split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r")


def _read_csv(path: Path, what: str, **options: Any) -> pa.Table:
    try:
        return pcsv.read_csv(path, **options)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError, EOFError) as exc:
        raise InputError(f"{path}: not a valid {what}: {exc}") from exc


def _check_itemsets(itemsets: str) -> None:
    if itemsets not in ("event", "timestamp"):
        raise InputError(f"itemsets must be 'event' or 'timestamp', got {itemsets!r}")


# --- MovieLens ---------------------------------------------------------------------------------
def read_movielens(path: str | Path, min_rating: float | None = None,
                   itemsets: Itemsets = "event") -> SequenceDatabase:
    """Read MovieLens ratings: one sequence per user, movies in rating-time order.

    Accepts the GroupLens ``ratings.dat`` of ML-1M / ML-10M (``UserID::MovieID::Rating::
    Timestamp``, no header) and the ``ratings.csv`` of ML-20M / ML-latest (header
    ``userId,movieId,rating,timestamp``); ``.gz`` works too. Times are Unix seconds
    (``time_unit="s"``); ratings in the same second keep file order.

    min_rating : keep only ratings >= this value (e.g. 4 for "liked" items).
    itemsets : "timestamp" merges the movies a user rated in the same second into one itemset.
    """
    _check_itemsets(itemsets)
    p = _existing_file(path)
    head = _first_line(p)
    if "::" in head:
        # '::' splits into ':'-fields with empty ones between; keep the 4 real fields
        names = ["user_id", "_1", "item_id", "_2", "rating", "_3", "timestamp"]
        options = {"read_options": pcsv.ReadOptions(column_names=names),
                   "parse_options": pcsv.ParseOptions(delimiter=":", quote_char=False)}
    elif head.replace(" ", "").lower().startswith("userid,movieid,rating,timestamp"):
        names = ["user_id", "item_id", "rating", "timestamp"]
        options = {"read_options": pcsv.ReadOptions(column_names=names, skip_rows=1),
                   "parse_options": pcsv.ParseOptions(delimiter=",")}
    else:
        raise InputError(f"{p}: not a MovieLens ratings file: expected "
                         f"'UserID::MovieID::Rating::Timestamp' lines or a ratings.csv header "
                         f"'userId,movieId,rating,timestamp'; first line is {head[:80]!r}")
    types = {"user_id": pa.int64(), "item_id": pa.int64(), "rating": pa.float64(),
             "timestamp": pa.int64()}
    table = _read_csv(p, "MovieLens ratings file", convert_options=pcsv.ConvertOptions(
        include_columns=list(types), column_types=types), **options)
    if min_rating is not None:
        table = table.filter(pc.greater_equal(table["rating"], float(min_rating)))
        if table.num_rows == 0:
            raise InputError(f"{p}: no rating >= {min_rating}")
    table = table.set_column(3, "timestamp", table["timestamp"].cast(pa.timestamp("s")))
    return build_database(table, "user_id", "item_id", "timestamp", itemsets)


# --- SASRec / S3-Rec text ------------------------------------------------------------------------
def read_sasrec(path: str | Path) -> SequenceDatabase:
    """Read SASRec-style text: ``user item`` per line, in time order within each user.

    Also reads the one-line-per-user variant ``user item1 item2 ...`` (S3-Rec, ICLRec), since
    both say "the user, then items in time order". Whitespace separates fields; ids may be
    integers or strings; ``.gz`` works. The files carry no time, so event times are the
    0-based positions within each sequence; sequences are ordered by user id.
    """
    p = _existing_file(path)
    _first_line(p)  # a clear error for an empty file
    table = _read_csv(p, "SASRec text file", read_options=pcsv.ReadOptions(
        column_names=["line"]), parse_options=pcsv.ParseOptions(
        delimiter="\x1f", quote_char=False, escape_char=False, ignore_empty_lines=False),
        convert_options=pcsv.ConvertOptions(column_types={"line": pa.string()},
                                            strings_can_be_null=False))
    lines = pc.utf8_trim_whitespace(table["line"].combine_chunks())
    fields = pc.utf8_split_whitespace(lines)
    n_fields = pc.list_value_length(fields).to_numpy(zero_copy_only=False)
    blank = pc.equal(pc.utf8_length(lines), 0).to_numpy(zero_copy_only=False)
    short = np.flatnonzero((n_fields < 2) & ~blank)
    if len(short):
        line_no = int(short[0]) + 1
        raise InputError(f"{p}, line {line_no}: expected 'user item [item ...]', got "
                         f"{lines[short[0]].as_py()[:80]!r}")
    fields = fields.filter(pa.array(~blank))
    n_fields = n_fields[~blank]
    tokens = pc.list_flatten(fields)
    first = np.zeros(len(tokens), dtype=bool)
    first[np.concatenate(([0], np.cumsum(n_fields)[:-1]))] = True
    users = _ints_if_possible(tokens.filter(pa.array(first)))
    users = users.take(pa.array(np.repeat(np.arange(len(users)), n_fields - 1)))
    items = _ints_if_possible(tokens.filter(pa.array(~first)))
    db = build_database(pa.table({"user_id": users, "item_id": items}),
                        "user_id", "item_id", None)
    a = db.arrays
    positions = np.arange(db.n_events, dtype=np.int64) - np.repeat(a.seq_ptr[:-1],
                                                                   np.diff(a.seq_ptr))
    return SequenceDatabase(SequenceArrays(a.seq_ptr, a.evt_ptr, a.items, positions),
                            db.codebook, db.sequence_ids, None)


def _ints_if_possible(tokens: pa.Array) -> pa.Array:
    try:
        return pc.cast(tokens, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return tokens


# --- session CSVs --------------------------------------------------------------------------------
def read_session_csv(
    path: str | Path,
    session: str = "session_id",
    item: str = "item_id",
    time: str | Sequence[str] | None = "timestamp",
    *,
    sep: str | None = None,
    names: Sequence[str] | None = None,
    time_format: str | None = None,
    itemsets: Itemsets = "event",
    filter: Any = None,
) -> SequenceDatabase:
    """Read a session log in CSV form (YooChoose, DIGINETICA, session-rec, RetailRocket ...).

    Parameters
    ----------
    session, item : column names of the session key and the item.
    time : the time column, or a pair ``(date_column, offset_ms_column)`` for DIGINETICA's
        ``eventdate`` + ``timeframe`` (time = the date at 00:00 UTC plus the offset, in ms),
        or None to keep file order. Integer times are used as they are; floats are taken as
        seconds and kept to the millisecond (session-rec's ``Time``); ISO-8601 text
        (YooChoose's ``2014-04-07T10:51:09.277Z``) and dates are parsed; other text needs
        ``time_format`` (a strptime format).
    sep : field separator; sniffed from the header line (``,``, ``;``, tab or ``|``) if None.
    names : column names for a file without a header line (YooChoose's raw
        ``yoochoose-clicks.dat``: ``["session_id", "timestamp", "item_id", "category"]``).
    itemsets : "event" (one itemset per row) or "timestamp" (merge rows with equal times).
    filter : a pyarrow expression applied to the rows before building.

    Examples
    --------
    DIGINETICA ``train-item-views.csv``:
    ``read_session_csv(p, time=("eventdate", "timeframe"))`` (the ``;`` is sniffed).
    session-rec's YooChoose TSV: ``read_session_csv(p, "SessionId", "ItemId", "Time")``.
    """
    _check_itemsets(itemsets)
    p = _existing_file(path)
    head = _first_line(p)
    if sep is None:
        counts = {c: head.count(c) for c in (",", ";", "\t", "|")}
        sep = max(counts, key=lambda c: counts[c]) if max(counts.values()) else ","
    if len(sep) != 1:
        raise InputError(f"sep must be one character, got {sep!r}")
    columns = list(names) if names is not None else [c.strip().strip('"') for c in
                                                       head.split(sep)]
    if isinstance(time, str) or time is None:
        time_cols = [] if time is None else [time]
    else:
        time_cols = list(time)
        if len(time_cols) != 2:
            raise InputError("time must be a column name, a (date, offset_ms) pair or None")
    wanted = [session, item, *time_cols]
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise InputError(f"{p}: missing column(s) {missing}; columns present: {columns} "
                         f"(separator {sep!r}); name them with session=/item=/time= or sep=")
    read_options = pcsv.ReadOptions(column_names=list(names)) if names is not None else \
        pcsv.ReadOptions()
    convert = pcsv.ConvertOptions(include_columns=None if filter is not None else wanted,
                                  strings_can_be_null=False)
    table = _read_csv(p, f"{sep!r}-separated session file", read_options=read_options,
                      parse_options=pcsv.ParseOptions(delimiter=sep), convert_options=convert)
    if filter is not None:
        try:
            table = table.filter(filter)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, KeyError) as exc:
            raise InputError(f"filter could not be applied: {exc}") from exc
    cols: dict[str, Any] = {session: table[session], item: table[item]}
    if time_cols:
        cols[_TIME] = _session_time(table, time_cols, time_format, p)
    return build_database(pa.table(cols), session, item, _TIME if time_cols else None, itemsets)


def _session_time(table: pa.Table, time_cols: list[str], time_format: str | None,
                  path: Path) -> pa.ChunkedArray:
    for name in time_cols:
        if table[name].null_count:
            raise InputError(f"{path}: column '{name}' has {table[name].null_count} null "
                             "value(s); drop or fill them first")
    if len(time_cols) == 2:
        date_name, offset_name = time_cols
        day_ms = _as_timestamp(table[date_name], time_format, date_name, path)
        offset = table[offset_name]
        if not pa.types.is_integer(offset.type):
            raise InputError(f"{path}: offset column '{offset_name}' must hold integers "
                             f"(milliseconds), got {offset.type}")
        total = pc.add(day_ms.cast(pa.int64()), offset.cast(pa.int64()))
        return total.cast(pa.timestamp("ms"))
    name = time_cols[0]
    col = table[name]
    if pa.types.is_floating(col.type):
        ms = pc.round(pc.multiply(col, 1000.0)).cast(pa.int64())
        return ms.cast(pa.timestamp("ms"))
    if pa.types.is_integer(col.type) or pa.types.is_timestamp(col.type) \
            or pa.types.is_date(col.type):
        return col
    return _as_timestamp(col, time_format, name, path)


def _as_timestamp(col: pa.ChunkedArray, time_format: str | None, name: str,
                  path: Path) -> pa.ChunkedArray:
    """A date/timestamp/text column as timestamp[ms]."""
    try:
        if pa.types.is_date(col.type):
            return col.cast(pa.timestamp("ms"))
        if pa.types.is_timestamp(col.type):
            return col.cast(pa.timestamp("ms", col.type.tz))
        if time_format is not None:
            return pc.strptime(col, format=time_format, unit="ms")
        return col.cast(pa.timestamp("ms"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise InputError(f"{path}: could not read column '{name}' as dates/times ({exc}); "
                         "give time_format, e.g. '%Y-%m-%d %H:%M:%S'") from exc
