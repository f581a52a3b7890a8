# mypy: disallow-untyped-calls=False
# (dask.distributed is partly untyped)
"""PrefixSpan on a Dask cluster: the same kernels, the same PatternSet as the local run.

Pipeline (every step is a pure Dask task, so a lost worker's share is recomputed from its
lineage; see docs/scaling.md for the costs):

1. Partitions. A SequenceDatabase is cut into slices of whole sequences, each sent inside
   its own task (the scheduler keeps it as the root of the lineage: scattered data could
   not be recomputed). A folder of Parquet is read by the workers themselves
   (pyarrow.dataset), rows are hashed on the sequence key into buckets (the one shuffle of
   raw events) and each bucket builds its sequences exactly as ``read_events`` does.
2. Distributed count. The item codebook is the union of the buckets' distinct items; item
   supports are summed over the partitions; each partition then drops infrequent items and
   relabels the frequent ones densely (``mining.prepare``'s reduction, partition by
   partition).
3. Mining. A prefix whose projected database holds at most ``max_local_size`` items is mined
   on one worker by the Numba kernel from a local copy of that projected database (the
   threshold plays the part of Spark's ``maxLocalProjDBSize``). When the whole reduced
   database is that small it is copied once to each worker and the first-level prefixes are
   split into chunks across workers. Otherwise prefixes are grown in distributed rounds:
   each partition counts the children of the large prefixes on its own sequences (only the
   counts go back), then writes the projections of the children that stay large and cuts
   out the projected databases of the small ones, which are gathered per bin of prefixes and
   mined. Pattern trees stream back as they finish.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import operator
import threading
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa

try:
    import distributed
    from distributed import Client, Future, as_completed
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "distributed mining needs Dask: install the extra with "
        "`pip install 'seqmine[dask]'` (it brings dask[distributed])") from exc

from seqmine._kernels import _jit, projection
from seqmine._kernels import distributed as kdist
from seqmine._kernels import patterns as kpatterns
from seqmine._kernels import prefixspan as kprefixspan
from seqmine.data.codebook import Codebook
from seqmine.data.database import SequenceDatabase
from seqmine.errors import BudgetExceededError, InputError, MiningInterrupted
from seqmine.mining.runner import make_chunks
from seqmine.options import Budget, Constraints, resolve_minsup
from seqmine.patterns.csr import lengths_to_ptr, take_ranges
from seqmine.patterns.patternset import PatternSet

__all__ = ["DEFAULT_MAX_LOCAL_SIZE", "ParquetSource", "cli_source", "dask_client",
           "items_are_integers", "prefixspan_dask"]

DEFAULT_MAX_LOCAL_SIZE = 32_000_000
"""Items a projected database may hold and still be mined on one worker (Spark's
``maxLocalProjDBSize`` default). A local projected database costs about 12-20 bytes per
item plus the kernel's arena, so 32M items is roughly 0.5-1 GB on the worker mining it."""

_LOG = logging.getLogger(__name__)
_INT_MAX = np.iinfo(np.int64).max // 4
_ROWS_PER_BUCKET = 4_000_000
_FAN_IN = 16


@dataclass(frozen=True)
class ParquetSource:
    """An event log in Parquet (a file or a folder of partitioned files) that the workers
    read themselves; the options mean what they mean in :func:`seqmine.read_events`."""

    path: str | Path
    sequence: str | None = None
    item: str = "item_id"
    time: str | None = "timestamp"
    itemsets: str = "event"
    filter: Any = None


# --------------------------------------------------------------------------------------
# values that travel between tasks (plain tuples of arrays: cheap to pickle)

class _Raw(NamedTuple):
    """Whole sequences of one partition. ``evt_ptr`` None: one item per event; ``times``
    None: not needed; ``values`` the partition's own codebook (None: codes are global)."""

    seq_ptr: np.ndarray
    evt_ptr: np.ndarray | None
    items: np.ndarray
    times: np.ndarray | None
    values: pa.Array | None = None
    time_unit: str | None = None


class _Reduced(NamedTuple):
    """A partition after the reduction: frequent items only, dense codes, gap coordinate.

    Kept compact for the whole run: ``evt_ptr`` None when every event holds one item,
    ``coord`` None without a gap or span constraint; :meth:`full` gives the kernels' view.
    """

    seq_ptr: np.ndarray
    evt_ptr: np.ndarray | None
    items: np.ndarray
    coord: np.ndarray | None

    def full(self) -> _Reduced:
        evt_ptr = self.evt_ptr if self.evt_ptr is not None else np.arange(
            len(self.items) + 1, dtype=np.int64)
        # without a window the kernels read the coordinate but never use it: any long array
        coord = self.coord if self.coord is not None else evt_ptr
        return _Reduced(self.seq_ptr, evt_ptr, self.items, coord)


class _Proj(NamedTuple):
    """Occurrences (sid, end, start) of several prefixes in one partition, CSR by prefix."""

    ptr: np.ndarray
    sid: np.ndarray
    end: np.ndarray
    start: np.ndarray


@dataclass(frozen=True)
class _Params:
    """What every mining task needs; small, so it travels inside the task specs."""

    n_items: int
    min_count: int
    single: bool
    keep_all: bool
    has_window: bool
    min_gap: int
    max_gap: int
    max_span: int
    max_length: int
    max_size: int
    required_codes: tuple[int, ...]
    max_patterns: int
    max_bytes: int
    max_local_size: int
    n_threads: int

    def flags(self) -> np.ndarray:
        """Required items as the kernels take them (one flag per dense item code)."""
        out = np.zeros(self.n_items, np.bool_)
        out[list(self.required_codes)] = True
        return out


# --------------------------------------------------------------------------------------
# public entry points

def prefixspan_dask(source: SequenceDatabase | ParquetSource | str | Path,
                    minsup: int | float, *, client: Client | None = None,
                    constraints: Constraints | None = None, budget: Budget | None = None,
                    progress: bool = False, return_partial: bool = False,
                    max_local_size: int = DEFAULT_MAX_LOCAL_SIZE,
                    n_partitions: int | None = None,
                    on_result: Callable[[int, int], None] | None = None) -> PatternSet:
    """Frequent sequential patterns of ``source`` mined on a Dask cluster.

    The result equals ``seqmine.mine(db, minsup, ...)`` on the same data and options
    (same patterns, supports, order and codebook). ``source``: a SequenceDatabase (sent
    from this process, one task per partition), or a Parquet file/folder (a path or a
    :class:`ParquetSource`) that the workers read. ``client``: a ``distributed.Client``
    (default: the current one).
    ``max_local_size``: projected databases of at most this many items are mined on one
    worker; larger ones are grown in distributed rounds. ``n_partitions``: sequence
    partitions (default: from the data size and the cluster's threads). ``on_result(done,
    submitted)`` is called as each mining task's patterns come back.
    """
    constraints = constraints or Constraints()
    budget = budget or Budget()
    if isinstance(max_local_size, bool) or not isinstance(max_local_size, int) \
            or max_local_size < 1:
        raise InputError(f"max_local_size must be an int >= 1, got {max_local_size!r}")
    if n_partitions is not None and (isinstance(n_partitions, bool) or not isinstance(
            n_partitions, int) or n_partitions < 1):
        raise InputError(f"n_partitions must be an int >= 1, got {n_partitions!r}")
    client = _resolve_client(client)
    run = _Run(client)
    try:
        return _mine(run, source, minsup, constraints, budget, progress, return_partial,
                     max_local_size, n_partitions, on_result)
    finally:
        run.release()


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None
                ) -> Iterator[Client | None]:
    """The client ``--scheduler``/``--workers`` ask for (None when neither is given)."""
    if scheduler is not None and workers is not None:
        raise InputError("give --scheduler or --workers, not both")
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="30s")
        except OSError as exc:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
        with client:
            yield client
    elif workers is not None:
        import dask
        # a batch job needs no statistical profiler (it samples every 10 ms per worker)
        with dask.config.set({"distributed.worker.profile.enabled": False}):
            cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1,
                                               processes=True, dashboard_address=":0")
        with cluster, Client(cluster) as client:
            yield client
    else:
        yield None


def cli_source(source: str | Path, sequence: str | None, item: str, time: str | None,
               itemsets: str) -> ParquetSource | None:
    """For ``seqmine mine SOURCE --scheduler/--workers``: a Parquet file or folder becomes a
    ParquetSource the workers read; None for anything else (SPMF, CSV, a built-in data set),
    which the CLI reads itself and passes as a SequenceDatabase (sent to the workers)."""
    path = Path(source)
    if path.exists() and (path.is_dir() or path.suffix.lower() in (".parquet", ".pq")):
        return ParquetSource(path, sequence, item, time, itemsets)
    return None


def items_are_integers(source: SequenceDatabase | ParquetSource) -> bool:
    """Whether item ids are integers (to type --must-contain/--exclude values)."""
    if isinstance(source, SequenceDatabase):
        return source.codebook.is_integer
    import pyarrow.dataset as ds
    field = ds.dataset(source.path, format="parquet", partitioning="hive").schema.field(
        source.item)
    kind = field.type.value_type if pa.types.is_dictionary(field.type) else field.type
    return bool(pa.types.is_integer(kind))


def _resolve_client(client: Client | None) -> Client:
    if client is None:
        try:
            current: Client = distributed.default_client()
            return current
        except ValueError:
            raise InputError(
                "backend='dask' needs a Dask client: pass client=Client(...) (for example "
                "Client(LocalCluster(n_workers=4))) or create one first") from None
    if not isinstance(client, Client):
        raise InputError(f"client must be a distributed.Client, got {type(client).__name__}")
    return client


class _Run:
    """Submits the run's tasks under readable, unique keys (``seqmine-<stage>-<run>-<n>``:
    the task stream and the logs tell the stages apart)."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.token = uuid.uuid4().hex[:10]
        self.n = 0
        info = client.scheduler_info(n_workers=-1) if _takes_n_workers(client) \
            else client.scheduler_info()
        workers = info.get("workers", {})
        self.n_threads = max(1, sum(w.get("nthreads", 1) for w in workers.values()))
        self.threads_per_worker = max([w.get("nthreads", 1) for w in workers.values()] or [1])

    def submit(self, stage: str, func: Callable[..., Any], *args: Any,
               priority: int = 0) -> Future[Any]:
        self.n += 1
        return self.client.submit(func, *args, key=f"seqmine-{stage}-{self.token}-{self.n}",
                                  pure=False, priority=priority)

    def tree(self, stage: str, func: Callable[..., Any], futures: Sequence[Any]) -> Future[Any]:
        """Combine ``futures`` with ``func(*parts)`` in a tree of fan-in ``_FAN_IN``."""
        level = list(futures)
        while len(level) > 1 or not isinstance(level[0], Future):
            level = [self.submit(stage, func, *level[i:i + _FAN_IN])
                     for i in range(0, len(level), _FAN_IN)]
        return level[0]

    def release(self) -> None:
        """Drop the workers' cached databases. The run's futures are referenced only by the
        driver's frames, so Dask forgets them when these unwind."""
        with contextlib.suppress(Exception):
            self.client.run(_clear_cache)


def _takes_n_workers(client: Client) -> bool:
    import inspect
    return "n_workers" in inspect.signature(client.scheduler_info).parameters


# --------------------------------------------------------------------------------------
# the driver

def _mine(run: _Run, source: Any, minsup: Any, constraints: Constraints, budget: Budget,
          progress: bool, return_partial: bool, max_local_size: int,
          n_partitions: int | None, on_result: Callable[[int, int], None] | None
          ) -> PatternSet:
    # 1. partitions of whole sequences, with global item codes
    if isinstance(source, SequenceDatabase):
        parts, codebook, n_sequences, time_unit, use_time, window = _send_database(
            run, source, constraints, n_partitions)
    elif isinstance(source, (str, Path, ParquetSource)):
        spec = source if isinstance(source, ParquetSource) else ParquetSource(source)
        parts, codebook, n_sequences, time_unit = _read_parquet(run, spec, n_partitions)
        use_time, window = _window(constraints, time_unit)
    else:
        raise InputError(f"expected a SequenceDatabase, a Parquet path or a ParquetSource, "
                         f"got {type(source).__name__}")
    min_count = resolve_minsup(minsup, n_sequences)
    min_gap, max_gap, max_span = window
    options = {"algorithm": "prefixspan", "minsup": minsup, **constraints.to_dict()}
    context = {"codebook": codebook, "n_sequences": n_sequences, "min_count": min_count,
               "options": options}
    n_all = len(codebook)

    # 2. distributed count, relabelling, reduction
    required_codes, required_missing = _codes_present(codebook, constraints.must_contain)
    excluded_codes, _ = _codes_present(codebook, constraints.exclude)
    supports = [run.submit("support", _supports, p, required_codes, n_all) for p in parts]
    support_f = run.tree("support-sum", _sum_sparse, supports)
    counted = support_f.result()
    support = _dense(counted, n_all)
    original_code = _frequent_codes(support, min_count, excluded_codes, required_codes,
                                    required_missing)
    n_items = len(original_code)
    if n_items == 0:
        return _empty(context)
    new_code = np.full(n_all, -1, np.int32)
    new_code[original_code] = np.arange(n_items, dtype=np.int32)
    code_f = run.submit("relabel", _relabel, support_f, n_all, min_count, excluded_codes,
                        required_codes, required_missing)
    reduced = [run.submit("reduce", _reduce, p, code_f, required_codes, use_time,
                          constraints.has_window) for p in parts]
    del supports, support_f
    total_items = int(_dense((counted[0], counted[2]), n_all)[original_code].sum())
    if counted[4] <= 1:  # one item per event before the reduction, so after it too
        max_itemset = 1
    else:  # the widest event after dropping infrequent items decides the kernels' path
        sizes = run.tree("size-sum", _merge_sizes,
                         [run.submit("size", _size, r) for r in reduced])
        total_items, max_itemset = sizes.result()
    single = max_itemset == 1
    has_window = constraints.has_window
    max_bytes = budget.memory_bytes() // run.threads_per_worker
    params = _Params(
        n_items=n_items, min_count=min_count, single=single,
        keep_all=has_window or not single, has_window=has_window, min_gap=min_gap,
        max_gap=max_gap, max_span=max_span, max_length=constraints.max_length or _INT_MAX,
        max_size=constraints.max_size or _INT_MAX,
        required_codes=tuple(int(c) for c in new_code[required_codes]),
        max_patterns=budget.max_patterns if budget.max_patterns is not None else _INT_MAX,
        max_bytes=max_bytes, max_local_size=max_local_size, n_threads=run.n_threads)

    # 3. mining
    collector = _Collector(run, params, budget, progress, on_result)
    _LOG.info("%d partitions, %d frequent items, %d items after reduction (local limit %d)",
              len(reduced), n_items, total_items, max_local_size)
    try:
        if total_items <= max_local_size:
            _mine_whole(run, reduced, params, collector,
                        _dense((counted[0], counted[3]), n_all)[original_code])
        else:
            _mine_rounds(run, reduced, params, collector)
        collector.drain()
    except KeyboardInterrupt:
        collector.interrupted = True
    finally:
        collector.close()
    patterns = collector.patternset(original_code, context)
    return collector.raise_for_status(patterns, min_count, return_partial)


def _window(constraints: Constraints, time_unit: str | None
            ) -> tuple[bool, tuple[int, int, int]]:
    min_gap, max_gap, max_span, use_time = constraints.resolved_window(time_unit)
    return use_time, (min_gap, max_gap, max_span)


def _codes_present(codebook: Codebook, values: tuple[Any, ...]) -> tuple[np.ndarray, bool]:
    """Codes of ``values`` in the codebook and whether one was absent (``prepare``'s rule)."""
    codes = []
    missing = False
    for value in values:
        try:
            codes.append(int(codebook.code_of([value])[0]))
        except InputError:
            missing = True
    return np.array(sorted(set(codes)), dtype=np.int64), missing


def _frequent_codes(support: np.ndarray, min_count: int, excluded: np.ndarray,
                    required: np.ndarray, required_missing: bool) -> np.ndarray:
    frequent = support >= min_count
    frequent[excluded] = False
    if required_missing or (len(required) and not frequent[required].all()):
        frequent[:] = False
    return np.flatnonzero(frequent).astype(np.int32)


def _empty(context: dict[str, Any]) -> PatternSet:
    zero = np.zeros(1, np.int64)
    return PatternSet(zero, zero, np.zeros(0, np.int32), np.zeros(0, np.int64), **context)


# --------------------------------------------------------------------------------------
# 1. partitions

def _send_database(run: _Run, db: SequenceDatabase, constraints: Constraints,
                   n_partitions: int | None
                   ) -> tuple[list[Future[Any]], Codebook, int, str | None, bool,
                              tuple[int, int, int]]:
    """Slices of whole sequences of an in-memory database, each the argument of a task:
    the scheduler keeps the task specs, so a partition lost with its worker is sent again
    (``client.scatter`` data has no lineage, and Dask's active memory manager drops the
    extra replicas ``replicate`` makes). Only what the kernels read is sent: no evt_ptr
    with one item per event, no times without a time window."""
    use_time, window = _window(constraints, db.time_unit)
    a = db.arrays
    n_seq = db.n_sequences
    if n_partitions is None:
        n_partitions = _default_partitions(run, len(a.items))
    n_partitions = max(1, min(n_partitions, n_seq))
    single_items = len(a.items) == db.n_events
    # cut at sequence boundaries so that partitions hold about equal numbers of items
    bounds = np.searchsorted(a.evt_ptr[a.seq_ptr], np.linspace(0, len(a.items),
                                                               n_partitions + 1))
    bounds[0], bounds[-1] = 0, n_seq
    bounds = np.unique(bounds)
    raws = []
    for lo, hi in itertools.pairwise(bounds):
        e0, e1 = a.seq_ptr[lo], a.seq_ptr[hi]
        i0, i1 = a.evt_ptr[e0], a.evt_ptr[e1]
        raws.append(_Raw(a.seq_ptr[lo:hi + 1] - e0,
                         None if single_items else a.evt_ptr[e0:e1 + 1] - i0,
                         a.items[i0:i1], a.times[e0:e1] if use_time else None))
    if not raws:
        raws.append(_Raw(np.zeros(1, np.int64), None, np.zeros(0, np.int32), None))
    with warnings.catch_warnings():
        # "Large object ... in task graph": intended, these specs are the lineage root
        warnings.filterwarnings("ignore", message="Large object", category=UserWarning)
        warnings.filterwarnings("ignore", message="Sending large graph", category=UserWarning)
        futures = [run.submit("input", _identity, raw) for raw in raws]
    return futures, db.codebook, n_seq, db.time_unit, use_time, window


def _default_partitions(run: _Run, n_rows: int) -> int:
    """About _ROWS_PER_BUCKET rows each, and a multiple of the cluster's threads so that the
    per-partition steps end together."""
    wanted = max(run.n_threads, math.ceil(n_rows / _ROWS_PER_BUCKET))
    return int(math.ceil(wanted / run.n_threads) * run.n_threads)


def _identity(raw: _Raw) -> _Raw:
    return raw


def _read_parquet(run: _Run, spec: ParquetSource, n_partitions: int | None
                  ) -> tuple[list[Future[Any]], Codebook, int, str | None]:
    """Workers read the files, hash rows on the sequence key into buckets, and build each
    bucket's sequences; the codebook is the union of the buckets' items."""
    import pyarrow.dataset as ds

    from seqmine.data.build import _pick_sequence_column
    path = Path(spec.path)
    if not path.exists():
        raise InputError(f"no such file or folder: {path}")
    if spec.itemsets not in ("event", "timestamp"):
        raise InputError(f"itemsets must be 'event' or 'timestamp', got {spec.itemsets!r}")
    try:
        dataset = ds.dataset(path, format="parquet", partitioning="hive")
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"could not read {path} as Parquet: {exc}") from exc
    if not dataset.files:
        raise InputError(f"no Parquet files in the folder {path}")
    names = dataset.schema.names
    sequence = _pick_sequence_column(names, spec.sequence)
    columns = [c for c in (sequence, spec.item, spec.time) if c is not None]
    missing = [c for c in columns if c not in names]
    if missing:
        raise InputError(f"missing column(s) {missing}; columns present: {names}")
    n_rows = dataset.count_rows(filter=spec.filter)
    if n_rows == 0:
        raise InputError("the event log is empty (no rows after filtering)")
    if n_partitions is None:
        n_partitions = _default_partitions(run, n_rows)
    files = list(dataset.files)
    n_read = min(len(files), max(n_partitions, 4 * run.n_threads))
    partitioning = getattr(dataset, "partitioning", None)
    part_schema = partitioning.schema if partitioning is not None else None
    base = str(path) if path.is_dir() else None
    reads = [run.submit("read", _read_split, [str(f) for f in group], base, part_schema,
                        dataset.schema, columns, sequence, spec.filter, n_partitions)
             for group in np.array_split(np.array(files, dtype=object), n_read)]
    buckets = []
    for b in range(n_partitions):
        pieces = [run.submit("shuffle", operator.getitem, r, b) for r in reads]
        buckets.append(run.submit("bucket", _build_bucket, sequence, spec.item, spec.time,
                                  spec.itemsets, *pieces))
    del reads
    meta_f = run.tree("codebook", _merge_meta, [run.submit("meta", _meta, b)
                                                for b in buckets])
    values, n_sequences, units = meta_f.result()
    parts = [run.submit("globalize", _globalize, b, meta_f) for b in buckets]
    return parts, Codebook(values), n_sequences, units[0] if units else None


def _read_split(files: list[str], base: str | None, part_schema: pa.Schema | None,
                schema: pa.Schema, columns: list[str], sequence: str, filter: Any,
                n_buckets: int) -> tuple[pa.Table, ...]:
    """Rows of ``files`` (in file order) split by a hash of the sequence key."""
    import pandas as pd
    import pyarrow.dataset as ds
    partitioning = ds.partitioning(part_schema, flavor="hive") if part_schema else None
    dataset = ds.dataset(files, schema=schema, format="parquet", partitioning=partitioning,
                         partition_base_dir=base)
    table = dataset.to_table(columns=columns, filter=filter)
    arrays = []
    for name in columns:
        col = table.column(name)
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        arrays.append(col)
    table = pa.table(dict(zip(columns, arrays, strict=True)))
    keys = table.column(sequence)
    if keys.null_count:
        raise InputError(f"column '{sequence}' has {keys.null_count} null value(s); "
                         "drop or fill them first")
    hashed = pd.util.hash_array(keys.to_numpy()) if pa.types.is_integer(keys.type) else \
        pd.util.hash_array(np.asarray(keys.to_numpy(), dtype=object))
    bucket = (hashed % np.uint64(n_buckets)).astype(np.int64)
    order = np.argsort(bucket, kind="stable")
    bounds = np.concatenate(([0], np.cumsum(np.bincount(bucket, minlength=n_buckets))))
    # one compact table per bucket (slices would share, and pickle, the whole buffers)
    return tuple(table.take(pa.array(order[bounds[b]:bounds[b + 1]]))
                 for b in range(n_buckets))


def _build_bucket(sequence: str, item: str, time: str | None, itemsets: str,
                  *pieces: pa.Table) -> _Raw:
    """The sequences of one bucket, built by ``build_database`` (same grouping, time order,
    tie order and itemset rule as the local reader) with the bucket's own codebook."""
    from seqmine.data.build import build_database
    table = pa.concat_tables(pieces)
    if table.num_rows == 0:
        return _Raw(np.zeros(1, np.int64), np.zeros(1, np.int64), np.zeros(0, np.int32),
                    np.zeros(0, np.int64), None, None)
    if itemsets == "event" and all(pa.types.is_integer(table.column(c).type)
                                   for c in (sequence, item)) \
            and not any(table.column(c).null_count for c in table.column_names):
        return _build_int_bucket(table, sequence, item, time)
    db = build_database(table, sequence, item, time, itemsets)
    a = db.arrays
    return _Raw(a.seq_ptr, a.evt_ptr, a.items, a.times, db.codebook.values, db.time_unit)


def _build_int_bucket(table: pa.Table, sequence: str, item: str, time: str | None) -> _Raw:
    """``build_database``'s result for integer keys and items, one itemset per row, by the
    streaming reader's counting-sort route (no comparison sort of all rows): group by a
    stable scatter, then sort each sequence by time where it is out of order."""
    from seqmine._kernels import ingest as kingest
    from seqmine.data.build import _encode_int64, _time_column
    n = table.num_rows
    _, seq_codes = _encode_int64(table.column(sequence).to_numpy().astype(np.int64))
    seq_ptr = lengths_to_ptr(np.bincount(seq_codes))
    items = table.column(item).to_numpy().astype(np.int64)
    if time is None:
        times, unit = np.arange(n, dtype=np.int64), None
    else:
        times, unit = _time_column(table, time)
    times = kingest.scatter_by_sequence(seq_codes, seq_ptr, np.ascontiguousarray(times))
    items = kingest.scatter_by_sequence(seq_codes, seq_ptr, items)
    kingest.sort_segments_by_time(seq_ptr, times, items)
    values, codes = _encode_int64(items)
    if time is None:  # file order: positions within each sequence
        times = np.arange(n, dtype=np.int64) - np.repeat(seq_ptr[:-1], np.diff(seq_ptr))
    return _Raw(seq_ptr, None, codes, times, values, unit)


def _meta(raw: _Raw) -> tuple[pa.Array | None, int, tuple[str | None, ...]]:
    units = (raw.time_unit,) if raw.values is not None else ()
    return raw.values, len(raw.seq_ptr) - 1, units


def _merge_meta(*metas: tuple[Any, int, tuple[str | None, ...]]
                ) -> tuple[pa.Array, int, tuple[str | None, ...]]:
    """Union of the codebooks (sorted, distinct), total sequences, the time unit."""
    import pyarrow.compute as pc
    values = [m[0] for m in metas if m[0] is not None and len(m[0])]
    units = tuple(u for m in metas for u in (m[2] if len(m[2]) else ()))
    n = sum(m[1] for m in metas)
    if not values:
        return pa.array([], pa.int64()), n, units
    merged = values[0] if len(values) == 1 else pc.unique(pa.concat_arrays(values))
    merged = merged.take(pc.sort_indices(merged))
    return merged, n, units


def _globalize(raw: _Raw, meta: tuple[pa.Array, int, Any]) -> _Raw:
    """The bucket with codes of the global codebook (codes follow value order in both, so
    items stay sorted inside events)."""
    import pyarrow.compute as pc
    values = meta[0]
    if raw.values is None or len(raw.items) == 0:
        return _Raw(raw.seq_ptr, raw.evt_ptr, raw.items, raw.times)
    lookup = pc.index_in(raw.values, value_set=values).to_numpy().astype(np.int32)
    items = lookup[raw.items]
    evt_ptr = raw.evt_ptr
    if evt_ptr is not None and len(evt_ptr) - 1 == len(items):
        evt_ptr = None
    return _Raw(raw.seq_ptr, evt_ptr, items, raw.times)


# --------------------------------------------------------------------------------------
# 2. distributed count and reduction (run on the workers)

def _evt_ptr(raw: _Raw) -> np.ndarray:
    return raw.evt_ptr if raw.evt_ptr is not None else np.arange(len(raw.items) + 1,
                                                                  dtype=np.int64)


def _keep(raw: _Raw, required_codes: np.ndarray, n_all: int) -> Any:
    if not len(required_codes):
        return None
    flags = np.zeros(n_all, np.bool_)
    flags[required_codes] = True
    return projection.sequences_containing_all(raw.seq_ptr, _evt_ptr(raw), raw.items, flags,
                                               len(required_codes))


_Counted = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]


def _supports(raw: _Raw, required_codes: np.ndarray, n_all: int) -> _Counted:
    """Sequences containing each item, counted (like ``prepare``) only over the sequences
    that hold every required item, with the item's occurrences, its projected size (items
    from its first event on, summed over those sequences: the cost estimate of its subtree)
    and the widest event there; sparse (codes, supports, occurrences, sizes, widest) over
    the items present, so that what crosses the network scales with the partition, not
    with the codebook."""
    evt_ptr = _evt_ptr(raw)
    keep = _keep(raw, required_codes, n_all)
    seq_ptr, items = raw.seq_ptr, raw.items
    if keep is not None:
        from seqmine._kernels import dbops
        seq_ptr, evt_ptr, items, _ = dbops.gather_sequences(
            raw.seq_ptr, evt_ptr, raw.items, np.zeros(len(evt_ptr) - 1, np.int64),
            np.flatnonzero(keep))
    support, size = kdist.level_one_stats(seq_ptr, evt_ptr, items, n_all)
    codes = np.flatnonzero(support)
    occurrences = np.bincount(items, minlength=n_all)[codes]
    widest = int(np.diff(evt_ptr).max()) if len(evt_ptr) > 1 else 0
    return (codes.astype(np.int32), support[codes], occurrences.astype(np.int64),
            size[codes], widest)


def _sum_sparse(*parts: _Counted) -> _Counted:
    codes, inverse = np.unique(np.concatenate([p[0] for p in parts]), return_inverse=True)
    sums = [np.rint(np.bincount(inverse, np.concatenate([p[k] for p in parts]).astype(
        np.float64), minlength=len(codes))).astype(np.int64) for k in (1, 2, 3)]
    return codes.astype(np.int32), sums[0], sums[1], sums[2], max(p[4] for p in parts)


def _dense(sparse: Any, n: int) -> np.ndarray:
    out = np.zeros(n, np.int64)
    out[sparse[0]] = sparse[1]
    return out


def _sum_arrays(*arrays: np.ndarray) -> Any:
    out = arrays[0].copy()
    for a in arrays[1:]:
        out += a
    return out


def _relabel(sparse: _Counted, n_all: int, min_count: int,
             excluded: np.ndarray, required: np.ndarray, required_missing: bool) -> np.ndarray:
    """Global code -> dense code of the frequent items (-1: dropped)."""
    support = _dense(sparse, n_all)
    original = _frequent_codes(support, min_count, excluded, required, required_missing)
    new_code = np.full(len(support), -1, np.int32)
    new_code[original] = np.arange(len(original), dtype=np.int32)
    return new_code


def _reduce(raw: _Raw, new_code: np.ndarray, required_codes: np.ndarray,
            use_time: bool, has_window: bool) -> _Reduced:
    """``prepare``'s reduction of one partition: frequent items relabelled, emptied events
    and sequences dropped, each kept event's gap coordinate carried along (without a gap
    or span constraint ``coord`` is ``evt_ptr`` itself: the kernels read it, never use it)."""
    evt_ptr = _evt_ptr(raw)
    keep = _keep(raw, required_codes, len(new_code))
    if keep is None:
        keep = np.ones(len(raw.seq_ptr) - 1, np.bool_)
    coord: Any = evt_ptr  # without a window: read by the kernels, never used; no copy kept
    if has_window:
        coord = raw.times if use_time else projection.positions_in_sequence(raw.seq_ptr)
    seq_ptr, evt_ptr, items, coord = projection.reduce_database(
        raw.seq_ptr, evt_ptr, raw.items, coord, new_code, keep)
    single = len(evt_ptr) - 1 == len(items)
    return _Reduced(seq_ptr, None if single else evt_ptr, items, coord if has_window else None)


def _size(part: _Reduced) -> tuple[int, int]:
    """Items in the partition and the most items in one event."""
    if part.evt_ptr is None:
        return len(part.items), 1 if len(part.items) else 0
    widest = int(np.diff(part.evt_ptr).max()) if len(part.evt_ptr) > 1 else 0
    return len(part.items), widest


def _merge_sizes(*sizes: tuple[int, int]) -> tuple[int, int]:
    return sum(s[0] for s in sizes), max(s[1] for s in sizes)


def _stats(part: _Reduced, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    """Per first-level item: supporting sequences and projected size in the partition."""
    part = part.full()
    support, size = kdist.level_one_stats(part.seq_ptr, part.evt_ptr, part.items, n_items)
    return support, size


def _merge_stats(*stats: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    return _sum_arrays(*[s[0] for s in stats]), _sum_arrays(*[s[1] for s in stats])


# --------------------------------------------------------------------------------------
# 3a. the whole reduced database is small: one copy per worker, first-level chunks

_CACHE: dict[str, tuple[np.ndarray, ...]] = {}
_CACHE_LOCK = threading.Lock()


def _clear_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()


def _concat(params: _Params, *parts: _Reduced) -> tuple[np.ndarray, ...]:
    """The reduced database in one piece, in its compact form for the trip to each worker
    (no evt_ptr with one item per event, no coordinate without a window)."""
    seq_ptr = [np.zeros(1, np.int64)]
    evt_ptr = [np.zeros(1, np.int64)]
    n_evt = n_it = 0
    for p in parts:
        seq_ptr.append(p.seq_ptr[1:] + n_evt)
        if not params.single:
            full_evt_ptr: np.ndarray = p.full().evt_ptr  # type: ignore[assignment]
            evt_ptr.append(full_evt_ptr[1:] + n_it)
        n_evt += int(p.seq_ptr[-1])
        n_it += len(p.items)
    items = np.concatenate([p.items for p in parts])
    coord = np.concatenate([p.full().coord for p in parts]) if params.has_window \
        else np.zeros(0, np.int64)
    evt = np.concatenate(evt_ptr) if not params.single else np.zeros(0, np.int64)
    return np.concatenate(seq_ptr), evt, items, coord


def _expanded(key: str, lpd: tuple[np.ndarray, ...], params: _Params) -> tuple[np.ndarray, ...]:
    """The database with evt_ptr, coordinate and inverted index, built once per worker."""
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            return hit
        seq_ptr, evt_ptr, items, coord = lpd
        if params.single:
            evt_ptr = np.arange(len(items) + 1, dtype=np.int64)
        if not params.has_window:
            coord = evt_ptr  # read, never used without a window
        index = projection.inverted_index(seq_ptr, evt_ptr, items, params.n_items)
        out = (seq_ptr, evt_ptr, items, coord, *index)
        _CACHE.clear()
        _CACHE[key] = out
        return out


def _mine_chunk(lpd: tuple[np.ndarray, ...], key: str, roots: np.ndarray,
                params: _Params) -> Any:
    seq_ptr, evt_ptr, items, coord, idx_ptr, idx_sid, idx_evt = _expanded(key, lpd, params)
    if len(evt_ptr) > np.iinfo(np.int32).max:
        raise InputError("more than 2**31 events in one local projected database: lower "
                         "max_local_size")
    cancel = np.zeros(1, np.int8)
    return kprefixspan.grow(
        seq_ptr, evt_ptr, items, coord, params.n_items, idx_ptr, idx_sid, idx_evt, roots,
        params.min_count, params.single, params.keep_all, params.has_window, params.min_gap,
        params.max_gap, params.max_span, params.max_length, params.max_size,
        params.flags(), len(params.required_codes), params.max_patterns, params.max_bytes,
        cancel)


def _mine_whole(run: _Run, reduced: list[Future[Any]], params: _Params,
                collector: _Collector, cost: np.ndarray) -> None:
    """First-level chunks over the workers, heaviest first (``cost``: projected size per
    root item, the estimate of its subtree's work)."""
    lpd = run.submit("local-db", _concat, params, *reduced)
    chunks = _balanced_chunks(cost, len(make_chunks(params.n_items, run.n_threads)))
    for rank, roots in enumerate(chunks):
        collector.add(run.submit("mine", _mine_chunk, lpd, lpd.key, roots, params,
                                 priority=len(chunks) - rank), None)


def _balanced_chunks(cost: np.ndarray, n_chunks: int) -> list[np.ndarray]:
    """Contiguous ranges of root items of about equal total ``cost`` (a root costlier than
    an equal share alone), heaviest first: a subtree much longer than the others starts at
    once rather than ending the run on one worker while the others idle (equal-count chunks
    put 20% of the work in one chunk on the benchmark's Zipf data)."""
    weight = cost.astype(np.float64) + 1.0  # every root costs something
    is_heavy = weight > weight.sum() / n_chunks
    heavy = np.flatnonzero(is_heavy)
    light = np.cumsum(np.where(is_heavy, 0.0, weight))
    n_light = max(1, n_chunks - len(heavy))
    cuts = np.searchsorted(light, light[-1] * np.arange(1, n_light) / n_light, side="right")
    bounds = np.unique(np.concatenate(([0, len(cost)], cuts, heavy, heavy + 1)))
    chunks = [np.arange(lo, hi, dtype=np.int32) for lo, hi in itertools.pairwise(bounds)]
    total = [weight[c].sum() for c in chunks]
    return [chunks[k] for k in np.argsort(total, kind="stable")[::-1]]


# --------------------------------------------------------------------------------------
# 3b. distributed rounds over the partitions, small prefixes mined locally

@dataclass
class _Plan:
    """Children of one round. Children are sorted by (parent, item, sext); ``large``
    children form the next frontier (in ``large_order``), small ones are cut into bins of
    contiguous children (``bin_ptr`` over ``small_order``)."""

    parent: np.ndarray
    item: np.ndarray
    sext: np.ndarray
    support: np.ndarray
    length0: np.ndarray     # prefix length before the child's token
    size0: np.ndarray       # prefix size before the child's token
    req_ptr: np.ndarray     # required items of the parent prefix (CSR by child)
    req_items: np.ndarray
    large_order: np.ndarray
    small_order: np.ndarray
    bin_ptr: np.ndarray
    f_child_ptr: np.ndarray  # children of frontier prefix f: f_child_ptr[f]:[f+1]

    def frontier(self, params: _Params) -> tuple[np.ndarray, ...]:
        """Kernel view of the next frontier: last item, allow_i, allow_s."""
        c = self.large_order
        length = self.length0[c] + 1
        size = self.size0[c] + self.sext[c]
        allow_s = (length < params.max_length) & (size < params.max_size)
        allow_i = (length < params.max_length) & params.keep_all
        return self.item[c].astype(np.int64), allow_i, allow_s

    def frontier_req(self, params: _Params) -> tuple[np.ndarray, np.ndarray]:
        """Required items of each next-frontier prefix (its parent's plus its own token)."""
        lengths = []
        chunks = []
        for c in self.large_order:
            own = self.req_items[self.req_ptr[c]:self.req_ptr[c + 1]]
            if self.item[c] in params.required_codes:
                own = np.append(own, self.item[c])
            lengths.append(len(own))
            chunks.append(own)
        items = np.concatenate(chunks).astype(np.int32) if chunks else np.zeros(0, np.int32)
        return lengths_to_ptr(np.array(lengths, np.int64)), items


def _plan(parent: np.ndarray, item: np.ndarray, sext: np.ndarray, support: np.ndarray,
          size: np.ndarray, n_frontier: int, f_length: np.ndarray, f_size: np.ndarray,
          f_req_ptr: np.ndarray, f_req_items: np.ndarray, params: _Params) -> _Plan:
    """Split frequent children into large (next round) and bins of small ones (local)."""
    order = np.lexsort((sext, item, parent))
    parent, item, sext, support, size = (parent[order], item[order], sext[order],
                                         support[order], size[order])
    large = size > params.max_local_size
    small_order = np.flatnonzero(~large)
    small_total = int(size[small_order].sum())
    target = max(1, min(params.max_local_size,
                        math.ceil(small_total / (4 * params.n_threads)) if small_total else 1))
    cuts = [0]
    acc = 0
    for k, c in enumerate(small_order):
        if acc and acc + size[c] > target:
            cuts.append(k)
            acc = 0
        acc += int(size[c])
    cuts.append(len(small_order))
    bin_ptr = np.unique(np.array(cuts, np.int64)) if len(small_order) else np.zeros(1,
                                                                                    np.int64)
    req_len = np.diff(f_req_ptr)[parent] if len(parent) else np.zeros(0, np.int64)
    req_items = f_req_items[take_ranges(f_req_ptr, parent)] if len(parent) else \
        np.zeros(0, np.int32)
    f_child_ptr = np.searchsorted(parent, np.arange(n_frontier + 1)).astype(np.int64)
    return _Plan(parent=parent, item=item.astype(np.int32), sext=sext.astype(np.int8),
                 support=support, length0=f_length[parent] if len(parent) else parent,
                 size0=f_size[parent] if len(parent) else parent,
                 req_ptr=lengths_to_ptr(req_len), req_items=req_items.astype(np.int32),
                 large_order=np.flatnonzero(large), small_order=small_order,
                 bin_ptr=bin_ptr, f_child_ptr=f_child_ptr)


def _plan_level_one(stats: tuple[np.ndarray, np.ndarray], params: _Params) -> _Plan:
    """The first level: children of the empty prefix are the frequent items."""
    support, size = stats
    n = params.n_items
    zero = np.zeros(n, np.int64)
    return _plan(zero, np.arange(n, dtype=np.int64), np.ones(n, np.int8), support, size, 1,
                 np.zeros(1, np.int64), np.zeros(1, np.int64), np.zeros(2, np.int64),
                 np.zeros(0, np.int32), params)


def _plan_round(merged: tuple[np.ndarray, ...], prev: _Plan, params: _Params) -> _Plan:
    f, item, sext, support, size = merged
    c = prev.large_order
    f_length = prev.length0[c] + 1
    f_size = prev.size0[c] + prev.sext[c]
    f_req_ptr, f_req_items = prev.frontier_req(params)
    return _plan(f, item, sext, support, size, len(c), f_length, f_size, f_req_ptr,
                 f_req_items, params)


def _count_round(part: _Reduced, proj: _Proj, prev: _Plan, params: _Params) -> Any:
    last, allow_i, allow_s = prev.frontier(params)
    part = part.full()
    return kdist.count_children(
        part.seq_ptr, part.evt_ptr, part.items, part.coord, params.n_items, proj.ptr,
        proj.sid, proj.end, proj.start, last, allow_i, allow_s, params.single,
        params.keep_all, params.has_window, params.min_gap, params.max_gap, params.max_span)


def _merge_counts(*counts: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """Sum the partitions' (f, item, sext, support, size) by (f, item, sext)."""
    f = np.concatenate([c[0] for c in counts])
    item = np.concatenate([c[1] for c in counts])
    sext = np.concatenate([c[2] for c in counts])
    key = (f * (1 << 32) + item.astype(np.int64)) * 2 + sext
    uniq, inverse = np.unique(key, return_inverse=True)
    support = np.bincount(inverse, np.concatenate([c[3] for c in counts]),
                          minlength=len(uniq)).astype(np.int64)
    size = np.bincount(inverse, np.concatenate([c[4] for c in counts]),
                       minlength=len(uniq)).astype(np.int64)
    return (uniq >> 33, ((uniq >> 1) & 0xFFFFFFFF).astype(np.int32),
            (uniq & 1).astype(np.int8), support, size)


def _frequent(merged: tuple[np.ndarray, ...], min_count: int) -> tuple[np.ndarray, ...]:
    keep = merged[3] >= min_count
    return tuple(a[keep] for a in merged)


def _project_level_one(part: _Reduced, plan: _Plan, params: _Params
                       ) -> tuple[_Proj, tuple[Any, ...]]:
    child_of_item = np.full(params.n_items, -1, np.int64)
    child_of_item[plan.item] = np.arange(len(plan.item))
    part = part.full()
    ptr, sid, end, start = kdist.project_items(part.seq_ptr, part.evt_ptr, part.items,
                                               child_of_item, len(plan.item), params.keep_all)
    return _split(part, _Proj(ptr, sid, end, start), plan, params)


def _project_round(part: _Reduced, proj: _Proj, prev: _Plan, plan: _Plan, params: _Params
                   ) -> tuple[_Proj, tuple[Any, ...]]:
    last, allow_i, allow_s = prev.frontier(params)
    part = part.full()
    ptr, sid, end, start = kdist.project_children(
        part.seq_ptr, part.evt_ptr, part.items, part.coord, params.n_items, proj.ptr,
        proj.sid, proj.end, proj.start, last, allow_i, allow_s, params.single,
        params.keep_all, params.has_window, params.min_gap, params.max_gap, params.max_span,
        plan.f_child_ptr, plan.item, plan.sext)
    return _split(part, _Proj(ptr, sid, end, start), plan, params)


def _take_children(proj: _Proj, children: np.ndarray) -> _Proj:
    idx = take_ranges(proj.ptr, children)
    return _Proj(lengths_to_ptr(np.diff(proj.ptr)[children]), proj.sid[idx], proj.end[idx],
                 proj.start[idx])


def _split(part: _Reduced, proj: _Proj, plan: _Plan, params: _Params
           ) -> tuple[_Proj, tuple[Any, ...]]:
    """The next frontier's projections and one projected-database piece per bin."""
    frontier = _take_children(proj, plan.large_order)
    small = _take_children(proj, plan.small_order)
    first = np.full(len(part.seq_ptr) - 1, -1, np.int64)
    pieces = tuple(
        kdist.extract_piece(part.seq_ptr, part.evt_ptr, part.items, part.coord, small.ptr,
                            small.sid, small.end, small.start, int(plan.bin_ptr[b]),
                            int(plan.bin_ptr[b + 1]), params.has_window, params.single, first)
        for b in range(len(plan.bin_ptr) - 1))
    return frontier, pieces


def _piece(split: tuple[_Proj, tuple[Any, ...]], b: int) -> Any:
    return split[1][b]


def _frontier_of(split: tuple[_Proj, tuple[Any, ...]]) -> _Proj:
    return split[0]


def _mine_bin(plan: _Plan, b: int, params: _Params, *pieces: tuple[np.ndarray, ...]
              ) -> tuple[Any, ...]:
    """Gather one bin's projected database from its pieces and grow every prefix in it."""
    seq_ptr = [np.zeros(1, np.int64)]
    evt_ptr = [np.zeros(1, np.int64)]
    items, coord, occ_child, sid, end, start = [], [], [], [], [], []
    n_seq = n_evt = n_it = 0
    for p in pieces:
        p_seq, p_evt, p_items, p_coord, p_child, p_sid, p_end, p_start = p
        seq_ptr.append(p_seq[1:] + n_evt)
        if not params.single:
            evt_ptr.append(p_evt[1:] + n_it)
        items.append(p_items)
        coord.append(p_coord)
        occ_child.append(np.repeat(np.arange(len(p_child) - 1), np.diff(p_child)))
        sid.append(p_sid.astype(np.int64) + n_seq)
        end.append(p_end.astype(np.int64) + n_evt)
        start.append(p_start.astype(np.int64) + n_evt)
        n_seq += len(p_seq) - 1
        n_evt += p_seq[-1]
        n_it += len(p_items)
    if n_evt > np.iinfo(np.int32).max:
        raise InputError("more than 2**31 events in one local projected database: lower "
                         "max_local_size")
    children = plan.small_order[plan.bin_ptr[b]:plan.bin_ptr[b + 1]]
    child = np.concatenate(occ_child)
    order = np.argsort(child, kind="stable")  # by child, then piece order = sid order
    seed_ptr = lengths_to_ptr(np.bincount(child, minlength=len(children)))
    req_idx = take_ranges(plan.req_ptr, children)
    all_evt_ptr = np.arange(n_it + 1, dtype=np.int64) if params.single \
        else np.concatenate(evt_ptr)
    # without a window the kernels read the coordinate but never use it: any long array
    all_coord = np.concatenate(coord) if params.has_window else all_evt_ptr
    cancel = np.zeros(1, np.int8)
    result = kdist.grow_seeded(
        np.concatenate(seq_ptr), all_evt_ptr, np.concatenate(items), all_coord,
        params.n_items, seed_ptr,
        np.concatenate(sid)[order].astype(np.int32), np.concatenate(end)[order].astype(np.int32),
        np.concatenate(start)[order].astype(np.int32), plan.item[children],
        plan.sext[children], plan.length0[children], plan.size0[children],
        lengths_to_ptr(np.diff(plan.req_ptr)[children]), plan.req_items[req_idx],
        params.min_count, params.single, params.keep_all, params.has_window, params.min_gap,
        params.max_gap, params.max_span, params.max_length, params.max_size, params.flags(),
        len(params.required_codes), params.max_patterns, params.max_bytes, cancel)
    status, parent, item, sext, support, emit, root_seed = result
    return status, parent, item, sext, support, emit, children[root_seed]


def _mine_rounds(run: _Run, reduced: list[Future[Any]], params: _Params,
                 collector: _Collector) -> None:
    """Level by level: large prefixes are counted and projected on the partitions, small
    ones are gathered per bin and grown on one worker."""
    stats_f = run.tree("stats-sum", _merge_stats,
                       [run.submit("stats", _stats, r, params.n_items) for r in reduced])
    plan_f = run.submit("plan", _plan_level_one, stats_f, params)
    plan = plan_f.result()
    splits = [run.submit("project", _project_level_one, r, plan_f, params)
              for r in reduced]
    prefixes: list[tuple[tuple[int, int], ...]] = [()]  # token lists of the frontier
    level = 1
    while True:
        collector.emit_large(plan, prefixes)
        n_bins = len(plan.bin_ptr) - 1
        _LOG.info("level %d: %d prefixes stay distributed, %d go to %d local bins", level,
                  len(plan.large_order), len(plan.small_order), n_bins)
        level += 1
        for b in range(n_bins):
            pieces = [run.submit("piece", _piece, s, b) for s in splits]
            collector.add(run.submit("mine", _mine_bin, plan_f, b, params, *pieces),
                          (plan, prefixes))
        if not len(plan.large_order) or collector.stopped():
            return
        frontier = [run.submit("frontier", _frontier_of, s) for s in splits]
        counts = [run.submit("count", _count_round, r, fr, plan_f, params)
                  for r, fr in zip(reduced, frontier, strict=True)]
        merged = run.tree("count-sum", _merge_counts, counts)
        merged = run.submit("frequent", _frequent, merged, params.min_count)
        next_plan_f = run.submit("plan", _plan_round, merged, plan_f, params)
        next_plan = next_plan_f.result()
        splits = [run.submit("project", _project_round, r, fr, plan_f, next_plan_f,
                             params) for r, fr in zip(reduced, frontier, strict=True)]
        prefixes = [prefixes[plan.parent[c]] + ((int(plan.item[c]), int(plan.sext[c])),)
                    for c in plan.large_order]
        plan, plan_f = next_plan, next_plan_f


# --------------------------------------------------------------------------------------
# results: streaming, budgets, decoding

class _Collector:
    """Takes pattern trees as they finish; keeps budgets, progress and Ctrl-C."""

    def __init__(self, run: _Run, params: _Params, budget: Budget, progress: bool,
                 on_result: Callable[[int, int], None] | None) -> None:
        self.run = run
        self.params = params
        self.budget = budget
        self.on_result = on_result
        self.pending = as_completed()
        self.context: dict[Any, Any] = {}
        self.futures: dict[Any, Future[Any]] = {}
        self.results: list[tuple[tuple[Any, ...], Any]] = []
        self.large: list[tuple[tuple[tuple[int, int], ...], int]] = []
        self.submitted = 0
        self.done = 0
        self.emitted = 0
        self.kept_bytes = 0
        self.statuses: set[int] = set()
        self.interrupted = False
        self.over_budget = False
        self.bar = None
        if progress:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=0, unit="task", desc="prefixspan[dask]", leave=False)

    def add(self, future: Future[Any], origin: Any) -> None:
        self.context[future.key] = origin
        self.futures[future.key] = future
        self.pending.add(future)
        self.submitted += 1
        if self.bar is not None:
            self.bar.total = self.submitted
            self.bar.refresh()
        self._take(block=False)

    def emit_large(self, plan: _Plan, prefixes: list[tuple[tuple[int, int], ...]]) -> None:
        """Large children are patterns too; they are emitted here, not by a kernel."""
        n_required = len(self.params.required_codes)
        for c in plan.large_order:
            tokens = prefixes[plan.parent[c]] + ((int(plan.item[c]), int(plan.sext[c])),)
            present = {y for y, _ in tokens if y in self.params.required_codes}
            if len(present) == n_required:
                self.large.append((tokens, int(plan.support[c])))
                self.emitted += 1
        self._check()

    def stopped(self) -> bool:
        return self.over_budget or self.interrupted

    def _take(self, block: bool) -> None:
        while not self.stopped() and ((block and not self.pending.is_empty())
                                      or self.pending.has_ready()):
            future = next(self.pending)
            result = future.result()
            origin = self.context.pop(future.key)
            del self.futures[future.key]
            self.results.append((result, origin))
            self.statuses.add(int(result[0]))
            self.emitted += int(result[5].sum())
            self.kept_bytes += sum(a.nbytes for a in result[1:])
            self.done += 1
            if self.bar is not None:
                self.bar.update(1)
            if self.on_result is not None:
                self.on_result(self.done, self.submitted)
            self._check()

    def _check(self) -> None:
        if (self.statuses - {_jit.OK} or self.emitted > self.params.max_patterns
                or self.kept_bytes > self.budget.memory_bytes()):
            self.over_budget = True
            self.cancel()

    def cancel(self) -> None:
        """Stop the mining tasks still queued or running (their results are not needed)."""
        if self.futures:
            self.run.client.cancel(list(self.futures.values()))
            self.futures.clear()
            self.pending.clear()

    def drain(self) -> None:
        self._take(block=True)

    def close(self) -> None:
        self.cancel()
        if self.bar is not None:
            self.bar.close()

    # --- decoding -----------------------------------------------------------------------
    def patternset(self, original_code: np.ndarray, context: dict[str, Any]) -> PatternSet:
        """Decode every tree (prefix tokens of its seeds prepended) and the large patterns
        into one canonically sorted PatternSet."""
        item_ptrs, items, newsets, supports = [], [], [], []
        whole = all(origin is None for _, origin in self.results) and not self.large
        if whole:
            # chunks in root order: already token ordered, exactly as the local driver
            self.results.sort(key=lambda r: int(r[0][2][0]) if len(r[0][2]) else -1)
        for result, origin in self.results:
            parent, item, sext, support, emit = result[1:6]
            if not len(parent):
                continue
            node_of, item_ptr, pitems, newset = kpatterns.decode_tree(parent, item, sext, emit)
            if origin is not None:
                plan, prefixes = origin
                is_root = parent < 0
                rank = np.cumsum(is_root) - 1
                children = result[6]
                seed_prefix = [prefixes[plan.parent[c]] for c in children]
                item_ptr, pitems, newset = _prepend(seed_prefix, rank[node_of], item_ptr,
                                                    pitems, newset)
            item_ptrs.append(item_ptr)
            items.append(pitems)
            newsets.append(newset)
            supports.append(support[node_of])
        for tokens, support in self.large:
            item_ptrs.append(np.array([0, len(tokens)], np.int64))
            items.append(np.array([t[0] for t in tokens], np.int32))
            newsets.append(np.array([t[1] == 1 for t in tokens], np.bool_))
            supports.append(np.array([support], np.int64))
        if not items:
            return _empty(context)
        lengths = np.concatenate([np.diff(p) for p in item_ptrs])
        pitems = np.concatenate(items)
        return PatternSet.from_flat(lengths_to_ptr(lengths), original_code[pitems],
                                    np.concatenate(newsets), np.concatenate(supports),
                                    token_ordered=whole, **context)

    def raise_for_status(self, patterns: PatternSet, min_count: int,
                         return_partial: bool) -> PatternSet:
        max_patterns = self.params.max_patterns
        if self.interrupted or _jit.INTERRUPTED in self.statuses:
            raise MiningInterrupted(f"interrupted after {len(patterns)} patterns",
                                    patterns if return_partial else None)
        if _jit.PATTERN_BUDGET in self.statuses or len(patterns) > max_patterns:
            raise BudgetExceededError(
                f"more than max_patterns={max_patterns} patterns at min_count={min_count}; "
                "raise minsup, bound max_length/max_size, or raise max_patterns",
                patterns.top(max_patterns) if return_partial else None)
        if _jit.MEMORY_BUDGET in self.statuses or self.kept_bytes > self.budget.memory_bytes():
            raise BudgetExceededError(
                f"mining buffers exceeded the memory budget ({self.budget.memory_bytes()} "
                "bytes); raise minsup, bound max_length, lower max_local_size, or raise "
                "max_memory", patterns if return_partial else None)
        return patterns


def _prepend(prefixes: list[tuple[tuple[int, int], ...]], seed_of_pattern: np.ndarray,
             item_ptr: np.ndarray, pitems: np.ndarray, newset: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Patterns of a subtree with their seed's prefix tokens put in front (vectorised)."""
    pre_len = np.array([len(p) for p in prefixes], np.int64)
    if not pre_len.any():
        return item_ptr, pitems, newset
    pre_ptr = lengths_to_ptr(pre_len)
    pre_items = np.array([t[0] for p in prefixes for t in p], np.int32)
    pre_new = np.array([t[1] == 1 for p in prefixes for t in p], np.bool_)
    own_len = np.diff(item_ptr)
    first_len = pre_len[seed_of_pattern]
    # interleave ranges: prefix of pattern k, then its own tokens
    starts = np.empty(2 * len(own_len), np.int64)
    lengths = np.empty(2 * len(own_len), np.int64)
    starts[0::2] = pre_ptr[seed_of_pattern]
    lengths[0::2] = first_len
    starts[1::2] = len(pre_items) + item_ptr[:-1]
    lengths[1::2] = own_len
    total = int(lengths.sum())
    offsets = np.zeros(len(starts), np.int64)
    np.cumsum(lengths[:-1], out=offsets[1:])
    idx = np.repeat(starts - offsets, lengths) + np.arange(total, dtype=np.int64)
    pool_items = np.concatenate([pre_items, pitems])
    pool_new = np.concatenate([pre_new, newset])
    return lengths_to_ptr(own_len + first_len), pool_items[idx], pool_new[idx]
