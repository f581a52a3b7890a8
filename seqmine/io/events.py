"""Read raw event tables (Parquet file or folder, CSV, DataFrame, Arrow) into Arrow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from seqmine.errors import InputError

EventSource = Any  # str | Path | pandas.DataFrame | pa.Table

_CSV_SUFFIXES = (".csv", ".tsv", ".csv.gz", ".tsv.gz", ".dat")


def sniff_spmf(path: Path) -> bool:
    """True when a text file looks like SPMF sequence data (``1 -1 2 -1 -2`` lines)."""
    import gzip
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    if head.startswith(b"PAR1"):
        return False
    for line in head.splitlines():
        line = line.strip()
        if not line or line[:1] in (b"#", b"%", b"@"):
            continue
        tokens = line.split()
        return (bool(tokens) and tokens[-1] == b"-2") or b"-1" in tokens
    return False


def read_table(source: EventSource, columns: list[str] | None = None,
               filter: Any = None, csv_delimiter: str | None = None) -> pa.Table:
    """Read ``source`` into an Arrow table, keeping ``columns`` (all when None).

    ``filter`` is a pyarrow compute expression (``pc.field("event_type") == "click"``),
    pushed down to Parquet where possible.
    """
    if isinstance(source, pa.Table):
        table = source
    elif type(source).__name__ == "DataFrame":
        try:
            table = pa.Table.from_pandas(source, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
            # e.g. an object column mixing ints and strings; Arrow's message names the column
            raise InputError(f"cannot convert the DataFrame to Arrow: {exc}") from exc
    elif isinstance(source, (str, Path)):
        return _read_path(Path(source), columns, filter, csv_delimiter)
    else:
        raise InputError(
            f"cannot read events from a {type(source).__name__}: give a path, a folder, "
            "a pandas DataFrame or a pyarrow Table")
    if filter is not None:
        table = _apply_filter(table, filter)
    if columns is not None:
        _require_columns(table.column_names, columns, "the table")
        table = table.select(columns)
    return table


def _apply_filter(table: pa.Table, filter: Any) -> pa.Table:
    try:
        return table.filter(filter)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, KeyError) as exc:
        raise InputError(f"filter could not be applied: {exc}") from exc


def _require_columns(present: list[str], wanted: list[str], where: str) -> None:
    missing = [c for c in wanted if c not in present]
    if missing:
        raise InputError(f"missing column(s) {missing} in {where}; columns present: {present}")


def _read_path(path: Path, columns: list[str] | None, filter: Any,
               csv_delimiter: str | None) -> pa.Table:
    if not path.exists():
        raise InputError(f"no such file or folder: {path}")
    name = path.name.lower()
    if path.is_dir() or name.endswith((".parquet", ".pq")):
        fmt = "parquet"
    elif name.endswith(_CSV_SUFFIXES):
        fmt = "csv"
    else:
        raise InputError(f"cannot tell the format of {path}: use .parquet, a folder of Parquet "
                         "files, .csv/.tsv, or SPMF text")
    try:
        if fmt == "csv":
            import pyarrow.csv as pcsv
            delimiter = csv_delimiter or ("\t" if ".tsv" in name else ",")
            table = pcsv.read_csv(path, parse_options=pcsv.ParseOptions(delimiter=delimiter))
            if filter is not None:
                table = _apply_filter(table, filter)
        else:
            import pyarrow.dataset as ds  # lazy: it pulls in pandas (~0.15 s at import)
            dataset = ds.dataset(path, format="parquet", partitioning="hive")
            if not dataset.files:
                raise InputError(f"no Parquet files in the folder {path}")
            if columns is not None:
                _require_columns(dataset.schema.names, columns, str(path))
            table = dataset.to_table(columns=columns, filter=filter)
    except InputError:
        raise
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
        raise InputError(f"could not read {path} as {fmt}: {exc}") from exc
    if columns is not None:
        _require_columns(table.column_names, columns, str(path))
        table = table.select(columns)
    return table


def null_count(column: pa.ChunkedArray | pa.Array) -> int:
    return int(column.null_count)


def is_sorted_nondecreasing(column: pa.Array) -> bool:
    if len(column) < 2:
        return True
    return bool(pc.all(pc.greater_equal(column[1:], column[:-1])).as_py())
