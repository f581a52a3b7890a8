"""``seqmine info`` and ``seqmine convert``: look at a data set, change its format."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click
import numpy as np
import pyarrow as pa

from seqmine.cli.errors import friendly_errors
from seqmine.cli.options import data_options, load_source, resolve_source
from seqmine.data.database import SequenceDatabase
from seqmine.errors import InputError
from seqmine.io.atomic import atomic_path

_SIZE_BUCKETS = 8  # itemset sizes 1..8 listed one by one, larger ones together


# --- info ----------------------------------------------------------------------------------------
def _quantiles(x: np.ndarray) -> dict[str, float]:
    if len(x) == 0:
        return {}
    q = np.percentile(x, [10, 50, 90, 99])
    return {"min": int(x.min()), "p10": float(q[0]), "median": float(q[1]),
            "mean": round(float(x.mean()), 3), "p90": float(q[2]), "p99": float(q[3]),
            "max": int(x.max())}


def _length_histogram(lengths: np.ndarray) -> list[dict[str, int]]:
    """Sequences per power-of-two length bucket: 1, 2, 3-4, 5-8, 9-16, ..."""
    if len(lengths) == 0:
        return []
    top = int(lengths.max())
    edges = [1, 2, 3]
    while edges[-1] <= top:
        edges.append(2 * edges[-1] - 1)
    counts = np.histogram(lengths, bins=np.array(edges) - 0.5)[0]
    out = []
    for lo, hi, n in zip(edges[:-1], np.array(edges[1:]) - 1, counts, strict=True):
        if n:
            out.append({"from": int(lo), "to": int(hi), "sequences": int(n)})
    return out


def _itemset_sizes(sizes: np.ndarray) -> dict[str, int]:
    counts = np.bincount(np.minimum(sizes, _SIZE_BUCKETS + 1))
    out = {str(k): int(counts[k]) for k in range(1, min(len(counts), _SIZE_BUCKETS + 1))
           if counts[k]}
    if len(counts) > _SIZE_BUCKETS + 1 and counts[_SIZE_BUCKETS + 1]:
        out[f"{_SIZE_BUCKETS + 1}+"] = int(counts[_SIZE_BUCKETS + 1])
    return out


_UNIT_SECONDS = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}


def _time_span(db: SequenceDatabase) -> dict[str, Any]:
    t = db.arrays.times
    if len(t) == 0:
        return {}
    lo, hi = int(t.min()), int(t.max())
    span: dict[str, Any] = {"min": lo, "max": hi, "unit": db.time_unit}
    if db.time_unit in _UNIT_SECONDS:
        per_s = _UNIT_SECONDS[db.time_unit]
        span["first"] = dt.datetime.fromtimestamp(lo / per_s, dt.timezone.utc).isoformat()
        span["last"] = dt.datetime.fromtimestamp(hi / per_s, dt.timezone.utc).isoformat()
        span["seconds"] = (hi - lo) / per_s
    return span


def database_info(db: SequenceDatabase) -> dict[str, Any]:
    """The statistics ``seqmine info`` prints, as plain JSON-ready values."""
    a = db.arrays
    lengths = np.diff(a.seq_ptr)
    sizes = np.diff(a.evt_ptr)
    return {
        "sequences": db.n_sequences,
        "events": db.n_events,
        "item_occurrences": len(a.items),
        "distinct_items": db.n_items,
        "item_type": str(db.codebook.values.type),
        "events_per_sequence": _quantiles(lengths),
        "sequence_length_histogram": _length_histogram(lengths),
        "items_per_event": _quantiles(sizes),
        "itemset_sizes": _itemset_sizes(sizes),
        "time": _time_span(db),
    }


def _render(source: str, info: dict[str, Any]) -> str:
    def dist(d: dict[str, float]) -> str:
        return "  ".join(f"{k} {v:g}" for k, v in d.items())

    lines = [
        f"source            {source}",
        f"sequences         {info['sequences']:,}",
        f"events            {info['events']:,}",
        f"item occurrences  {info['item_occurrences']:,}",
        f"distinct items    {info['distinct_items']:,} ({info['item_type']})",
        f"events/sequence   {dist(info['events_per_sequence'])}",
        f"items/event       {dist(info['items_per_event'])}",
        "itemset sizes     " + "  ".join(f"{k}: {v:,}" for k, v in info["itemset_sizes"].items()),
        "sequence lengths",
    ]
    hist = info["sequence_length_histogram"]
    width = max((h["sequences"] for h in hist), default=1)
    for h in hist:
        label = str(h["from"]) if h["from"] == h["to"] else f"{h['from']}-{h['to']}"
        bar = "#" * max(1, round(30 * h["sequences"] / width))
        lines.append(f"  {label:>11}  {h['sequences']:>10,}  {bar}")
    t = info["time"]
    if t:
        if "first" in t:
            lines.append(f"time span         {t['first']} .. {t['last']} "
                         f"({dt.timedelta(seconds=round(t['seconds']))})")
        else:
            lines.append(f"time span         {t['min']} .. {t['max']} "
                         "(plain numbers or positions, no unit)")
    return "\n".join(lines)


@click.command()
@click.argument("source")
@data_options
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@friendly_errors
def info(source: str, sequence: str | None, item: str, time_column: str, itemsets: str,
         as_json: bool) -> None:
    """Summarise SOURCE: sequences, events, items, itemset sizes, lengths, time span.

    SOURCE is a Parquet file or folder, a CSV/TSV file, an SPMF text file, or the name of a
    built-in data set (see `seqmine.datasets.available()`).
    """
    db = load_source(source, sequence, item, time_column, itemsets)
    stats = database_info(db)
    if as_json:
        click.echo(json.dumps({"source": source, **stats}, indent=2))
    else:
        click.echo(_render(source, stats))


# --- convert -------------------------------------------------------------------------------------
_PARQUET = (".parquet", ".pq")
_CSV = (".csv", ".tsv", ".csv.gz", ".tsv.gz")
_SPMF = (".txt", ".spmf", ".txt.gz", ".spmf.gz")


def output_format(path: str) -> str:
    """'parquet', 'csv' or 'spmf', from the output file name's extension."""
    name = Path(path).name.lower()
    for fmt, suffixes in (("parquet", _PARQUET), ("csv", _CSV), ("spmf", _SPMF)):
        if name.endswith(suffixes):
            return fmt
    raise InputError(f"cannot tell the output format of {path!r} from its extension: use "
                     f"{', '.join(_PARQUET + _CSV + _SPMF)}")


def _input_columns(source: str) -> list[str] | None:
    """Column names of a Parquet/CSV input, cheaply (schema or header only); None otherwise."""
    import pyarrow.dataset as ds
    path = Path(str(resolve_source(source)))
    name = path.name.lower()
    try:
        if path.is_dir() or name.endswith(_PARQUET):
            return list(ds.dataset(path, format="parquet", partitioning="hive").schema.names)
        if name.endswith(_CSV):
            import pyarrow.csv as pcsv
            sep = "\t" if ".tsv" in name else ","
            with pcsv.open_csv(path, parse_options=pcsv.ParseOptions(delimiter=sep)) as reader:
                return list(reader.schema.names)
    except (pa.ArrowException, OSError):
        return None
    return None


def write_table_csv(table: pa.Table, path: str) -> None:
    """Write ``table`` as CSV (tab-separated for .tsv, gzip for .gz), atomically."""
    import pyarrow.csv as pcsv
    name = path.lower()
    options = pcsv.WriteOptions(delimiter="\t" if ".tsv" in name else ",")
    with atomic_path(path) as tmp:
        if name.endswith(".gz"):
            with pa.CompressedOutputStream(tmp, "gzip") as sink:
                pcsv.write_csv(table, sink, write_options=options)
        else:
            pcsv.write_csv(table, tmp, write_options=options)


@click.command()
@click.argument("source")
@click.argument("output")
@data_options
@friendly_errors
def convert(source: str, output: str, sequence: str | None, item: str, time_column: str,
            itemsets: str) -> None:
    """Convert SOURCE to OUTPUT: event log (Parquet, CSV) <-> SPMF text.

    SOURCE is read like every command reads data (Parquet file or partitioned folder, CSV,
    SPMF text, a built-in data set name). OUTPUT's extension picks the format: .parquet,
    .csv/.tsv (.gz), or .txt/.spmf (.gz) for SPMF. Event-log columns are named after
    --sequence/--item/--time (defaults user_id, item_id, timestamp), one row per item: the
    items of an itemset share its time, so read such a log back with --itemsets timestamp.
    SPMF keeps no sequence ids; text items are written SPMF's @ITEM way. The output is
    written atomically: it is replaced only when complete.
    """
    fmt = output_format(output)
    if Path(output).resolve() == Path(source).resolve():
        raise InputError("OUTPUT is the same file as SOURCE")
    db = load_source(source, sequence, item, time_column, itemsets)
    if fmt == "spmf":
        db.to_spmf(output)
    else:
        seq_name = sequence
        if seq_name is None:
            columns = _input_columns(source) or []
            seq_name = "session_id" if "session_id" in columns and "user_id" not in columns \
                else "user_id"
        time_name = "timestamp" if time_column.lower() == "none" else time_column
        names = {"sequence": seq_name, "item": item, "time": time_name}
        if len(set(names.values())) != 3:
            raise InputError(f"output column names must differ, got {names}")
        if fmt == "parquet":
            db.to_parquet(output, **names)
        else:
            write_table_csv(db.to_arrow(**names), output)
    click.echo(f"wrote {output} ({fmt}): {db.n_sequences:,} sequences, "
               f"{db.n_events:,} events", err=True)


COMMANDS = [info, convert]
