"""Scaling benchmark: Dask-distributed PrefixSpan on a 10^7-event synthetic log.

    python -m benchmarks.suites.scaling                       # 1e7 events, 3 interleaved rounds
    python -m benchmarks.suites.scaling --events 2e6 --repeat 1 --minsup 0.003

Cases, all on the same machine and data (``seqmine.datasets.synthetic``: Quest-style,
Zipf items, one item per event; a NumPy stand-in when that module is absent):

* local PrefixSpan with 1 and 2 threads (``mine(..., n_jobs=k)``);
* Dask LocalClusters of 1 and 2 single-threaded worker processes mining the in-memory
  database (whole reduced database on each worker, first-level chunks spread);
* the same 2-worker cluster with ``max_local_size`` small enough to force distributed rounds;
* end to end from a folder of Parquet files in time order (every user spans several files,
  so the workers' hash shuffle on the user key is exercised) against ``read_events`` + local.

Wall times are medians over interleaved rounds. Because a shared machine's other load shows
in wall time, CPU seconds are reported as well: the local process's, and per Dask worker
process (getrusage deltas); "critical path" is the busiest worker's CPU time, what a run takes
when each worker has a core to itself. Per-stage task times (Dask's task stream) give the
per-partition costs docs/scaling.md extrapolates from. Every run's PatternSet must equal the
local one, or the benchmark fails. Writes benchmarks/results/scaling.md.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import harness
from benchmarks.harness import fmt_s, median

RESULTS = harness.ROOT / "benchmarks" / "results" / "scaling.md"


# --- data -------------------------------------------------------------------------------------
def make_database(n_events: int, seed: int = 0) -> Any:
    """About ``n_events`` events, ten per sequence on average, one item each."""
    n_sequences = max(1, int(n_events) // 10)
    try:
        from seqmine.datasets.synthetic import synthetic
    except ImportError:  # the generator is another module's; keep the benchmark standalone
        return _numpy_database(n_sequences, seed)
    return synthetic(n_sequences, mean_events=10, mean_itemset_size=1, n_items=10_000,
                     n_patterns=200, seed=seed)


def _numpy_database(n_sequences: int, seed: int) -> Any:
    """Stand-in generator: Poisson lengths, Zipf-like item popularity."""
    import pyarrow as pa

    from seqmine import Codebook, SequenceArrays, SequenceDatabase
    rng = np.random.default_rng(seed)
    lengths = 1 + rng.poisson(9, n_sequences)
    n = int(lengths.sum())
    weights = 1.0 / np.arange(1, 10_001)
    items = rng.choice(10_000, size=n, p=weights / weights.sum()).astype(np.int64)
    values = np.unique(items)
    seq_ptr = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    times = np.arange(n, dtype=np.int64) - np.repeat(seq_ptr[:-1], lengths)
    arrays = SequenceArrays(seq_ptr, np.arange(n + 1, dtype=np.int64),
                            np.searchsorted(values, items).astype(np.int32), times)
    return SequenceDatabase(arrays, Codebook(pa.array(values + 1)))


def write_parquet_log(db: Any, folder: Path, n_files: int) -> int:
    """The database as an event log in global time order, cut into ``n_files`` files."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    table = db.to_arrow()
    # spread each user's events over the whole period, then order all rows by time
    rng = np.random.default_rng(1)
    n_seq = db.n_sequences
    start = rng.integers(0, 30 * 86_400, n_seq)
    seq_of_row = np.repeat(np.arange(n_seq), np.diff(db.arrays.seq_ptr))
    stamp = start[seq_of_row] + 600 * table["timestamp"].to_numpy()
    order = np.argsort(stamp, kind="stable")
    table = pa.table({"user_id": table["user_id"].take(pa.array(order)),
                      "item_id": table["item_id"].take(pa.array(order)),
                      "timestamp": pa.array(stamp[order])})
    folder.mkdir(parents=True, exist_ok=True)
    bounds = np.linspace(0, table.num_rows, n_files + 1).astype(np.int64)
    for k in range(n_files):
        pq.write_table(table.slice(int(bounds[k]), int(bounds[k + 1] - bounds[k])),
                       folder / f"part-{k:03d}.parquet")
    return int(table.num_rows)


# --- measurement helpers ---------------------------------------------------------------------
def _worker_cpu() -> float:
    import resource
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _worker_peak_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


_STAGES = ("_read_split", "_build_bucket", "_globalize", "_supports", "_reduce", "_size",
           "_stats", "_concat", "_expanded", "_mine_chunk", "_count_round",
           "_project_level_one", "_project_round", "_mine_bin")


def _instrument() -> None:
    """On a worker: wrap the stage functions of seqmine.mining.distributed so that each
    records its calls and thread CPU seconds (tasks resolve functions by module attribute,
    so they run the wrappers). Idempotent; also resets the counters."""
    import collections
    import time as _time

    import seqmine.mining.distributed as m
    m._BENCH = collections.defaultdict(lambda: [0, 0.0])  # type: ignore[attr-defined]
    for name in _STAGES:
        func = getattr(m, name)
        func = getattr(func, "_bench_orig", func)

        def wrapper(*args: Any, _func: Any = func, _name: str = name, **kwargs: Any) -> Any:
            start = _time.thread_time()
            try:
                return _func(*args, **kwargs)
            finally:
                row = m._BENCH[_name]  # type: ignore[attr-defined]
                row[0] += 1
                row[1] += _time.thread_time() - start

        wrapper._bench_orig = func  # type: ignore[attr-defined]
        setattr(m, name, wrapper)


def _stage_cpu() -> dict[str, list[float]]:
    import seqmine.mining.distributed as m
    return {k: list(v) for k, v in getattr(m, "_BENCH", {}).items()}


def timed_local(db: Any, minsup: float, n_jobs: int) -> dict[str, Any]:
    from seqmine import mine
    c0, t0 = time.process_time(), time.perf_counter()
    patterns = mine(db, minsup, n_jobs=n_jobs)
    return {"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0,
            "patterns": patterns}


def timed_dask(client: Any, source: Any, minsup: float, **kwargs: Any) -> dict[str, Any]:
    from distributed import get_task_stream

    from seqmine.mining.distributed import prefixspan_dask
    client.run(_reset_peak)
    client.run(_instrument)
    before = client.run(_worker_cpu)
    c0, t0 = time.process_time(), time.perf_counter()
    with get_task_stream(client) as stream:
        patterns = prefixspan_dask(source, minsup, client=client, **kwargs)
    wall = time.perf_counter() - t0
    client_cpu = time.process_time() - c0
    after = client.run(_worker_cpu)
    per_worker = [after[w] - before.get(w, 0.0) for w in after]
    stages: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0])
    for worker_stages in client.run(_stage_cpu).values():
        for name, (calls, cpu) in worker_stages.items():
            stages[name][0] += calls
            stages[name][1] += cpu
    return {"wall": wall, "client_cpu": client_cpu, "worker_cpu": per_worker,
            "stage_cpu": dict(stages),
            "peak_mib": max(client.run(_worker_peak_mib).values()),
            "stream": stream.data, "patterns": patterns}


def stage_table(stream: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per stage (the task key's second word): tasks, compute seconds, result bytes."""
    out: dict[str, dict[str, float]] = collections.defaultdict(
        lambda: {"tasks": 0, "compute": 0.0, "max": 0.0, "nbytes": 0.0, "transfer": 0.0})
    for record in stream:
        key = record["key"] if isinstance(record["key"], str) else str(record["key"])
        if not key.startswith("seqmine-"):
            continue
        row = out[key[len("seqmine-"):].rsplit("-", 2)[0]]
        row["tasks"] += 1
        row["nbytes"] += record.get("nbytes", 0) or 0
        for s in record["startstops"]:
            if s["action"] == "compute":
                row["compute"] += s["stop"] - s["start"]
                row["max"] = max(row["max"], s["stop"] - s["start"])
            elif s["action"] == "transfer":
                row["transfer"] += s["stop"] - s["start"]
    return dict(out)


# --- the run ----------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> str:
    import dask
    from distributed import Client, LocalCluster

    from seqmine.mining.distributed import ParquetSource
    n_events = int(float(args.events))
    t0 = time.perf_counter()
    db = make_database(n_events)
    gen_s = time.perf_counter() - t0
    print(f"data: {db} in {gen_s:.1f} s", file=sys.stderr)
    reference = timed_local(db, args.minsup, 2)["patterns"]
    print(f"{len(reference)} patterns at minsup {args.minsup}", file=sys.stderr)

    def check(result: dict[str, Any], what: str) -> None:
        if result["patterns"] != reference:
            raise SystemExit(f"{what}: PatternSet differs from the local run")

    rows: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    clusters = {}
    for n in (1, 2):
        # the workers' statistical profiler samples every 10 ms: measurable on 2 vCPUs
        with dask.config.set({"distributed.worker.profile.enabled": False}):
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                   dashboard_address=":0")
        client = Client(cluster)
        # load the kernels in each worker (compile time is the compile suite's business)
        from seqmine.mining.distributed import prefixspan_dask
        prefixspan_dask(db, 0.2, client=client)
        prefixspan_dask(db, 0.2, client=client, max_local_size=n_events // 8)
        with tempfile.TemporaryDirectory() as tmp:  # pyarrow.dataset and pandas imports
            write_parquet_log(make_database(10_000, seed=2), Path(tmp) / "log", 2)
            prefixspan_dask(ParquetSource(Path(tmp) / "log"), 0.2, client=client)
        clusters[n] = (cluster, client)
    for r in range(args.repeat):
        for n_jobs in (1, 2):
            result = timed_local(db, args.minsup, n_jobs)
            check(result, f"local {n_jobs}")
            rows[f"local-{n_jobs}"].append(result)
        for n in (1, 2):
            result = timed_dask(clusters[n][1], db, args.minsup)
            check(result, f"dask {n}")
            rows[f"dask-{n}"].append(result)
        result = timed_dask(clusters[2][1], db, args.minsup, max_local_size=args.local_size)
        check(result, "dask rounds")
        rows["dask-2-rounds"].append(result)
        print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]['wall']:.1f}s"
                                             for k, v in rows.items()), file=sys.stderr)

    parquet: dict[str, dict[str, Any]] = {}
    if not args.no_parquet:
        folder = Path(tempfile.mkdtemp(prefix="seqmine-scaling-"))
        try:
            write_parquet_log(db, folder / "log", args.files)
            import seqmine
            c0, t0 = time.process_time(), time.perf_counter()
            local_db = seqmine.read_events(folder / "log")
            read_s = time.perf_counter() - t0
            patterns = seqmine.mine(local_db, args.minsup, n_jobs=2)
            parquet["local-2"] = {"wall": time.perf_counter() - t0, "read": read_s,
                                  "cpu": time.process_time() - c0, "patterns": patterns}
            expected = patterns
            for n in (1, 2):
                result = timed_dask(clusters[n][1], ParquetSource(folder / "log"),
                                    args.minsup)
                if result["patterns"] != expected:
                    raise SystemExit(f"parquet dask {n}: PatternSet differs from the local run")
                parquet[f"dask-{n}"] = result
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    for cluster, client in clusters.values():
        client.close()
        cluster.close()
    return report(args, db, len(reference), gen_s, rows, parquet)


# --- report -----------------------------------------------------------------------------------
def _med(rows: list[dict[str, Any]], key: str) -> float | None:
    return median([r[key] for r in rows])


def report(args: argparse.Namespace, db: Any, n_patterns: int, gen_s: float,
           rows: dict[str, list[dict[str, Any]]], parquet: dict[str, dict[str, Any]]) -> str:
    def crit(rs: list[dict[str, Any]]) -> float | None:
        return median([max(r["worker_cpu"]) for r in rs])

    def total(rs: list[dict[str, Any]]) -> float | None:
        return median([sum(r["worker_cpu"]) + r["client_cpu"] for r in rs])

    lines = [
        "# Scaling: Dask-distributed PrefixSpan",
        "",
        f"Generated by `python -m benchmarks.suites.scaling` on "
        f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC.",
        "",
        f"- machine: {harness.machine_line()}; load average at the end: "
        f"{harness.load_average()}",
        f"- code: {harness.git_state()}",
        f"- data: {db!r} (synthetic, generated in {gen_s:.1f} s); minsup {args.minsup} "
        f"-> {n_patterns} patterns; {args.repeat} interleaved round(s), medians",
        "- every run below returned a PatternSet equal to the local run's",
        "",
        "## In-memory database",
        "",
        "| run | wall s | CPU s (all processes) | critical path CPU s | peak RSS / worker MiB |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in ("local-1", "local-2"):
        rs = rows[name]
        path = _med(rs, "cpu") if name == "local-1" else None
        lines.append(f"| local, {name[-1]} thread(s) | {fmt_s(_med(rs, 'wall'))} | "
                     f"{fmt_s(_med(rs, 'cpu'))} | {fmt_s(path)} | |")
    labels = {"dask-1": "Dask, 1 worker", "dask-2": "Dask, 2 workers",
              "dask-2-rounds": f"Dask, 2 workers, rounds (max_local_size={args.local_size:,})"}
    for name, label in labels.items():
        rs = rows[name]
        lines.append(f"| {label} | {fmt_s(_med(rs, 'wall'))} | {fmt_s(total(rs))} | "
                     f"{fmt_s(crit(rs))} | {_med(rs, 'peak_mib'):.0f} |")
    w1, w2 = _med(rows["dask-1"], "wall"), _med(rows["dask-2"], "wall")
    l2 = _med(rows["local-2"], "wall")
    c1, c2 = crit(rows["dask-1"]), crit(rows["dask-2"])
    lines += [
        "",
        "| ratio | wall | CPU critical path |",
        "|---|---:|---:|",
        f"| 1 worker / 2 workers (target >= 1.7) | {w1 / w2:.2f} | {c1 / c2:.2f} |",
        f"| 2 workers / local 2 threads (target <= 1.10) | {w2 / l2:.2f} | "
        f"{c2 / (_med(rows['local-2'], 'cpu') / 2):.2f} |",
        "",
        "The CPU columns do not depend on the machine's other load: the critical path is the "
        "busiest worker's CPU seconds (for the local 2-thread run, half its CPU seconds), "
        "which is the wall time each worker would see on a core of its own.",
        "",
    ]
    lines += _stage_lines("Per-stage task costs, 2 workers, whole database per worker",
                          rows["dask-2"][-1], db.n_events)
    lines += _stage_lines("Per-stage task costs, 2 workers, distributed rounds",
                          rows["dask-2-rounds"][-1], db.n_events)
    if parquet:
        lines += [
            f"## End to end from Parquet ({args.files} files in time order)",
            "",
            "| run | wall s | CPU s (all processes) | critical path CPU s | "
            "peak RSS / worker MiB |",
            "|---|---:|---:|---:|---:|",
            f"| read_events + local mine, 2 threads (read {parquet['local-2']['read']:.1f} s) | "
            f"{fmt_s(parquet['local-2']['wall'])} | {fmt_s(parquet['local-2']['cpu'])} | | |",
        ]
        for n in (1, 2):
            r = parquet[f"dask-{n}"]
            lines.append(f"| Dask, {n} worker(s), workers read the files | {fmt_s(r['wall'])} | "
                         f"{fmt_s(sum(r['worker_cpu']) + r['client_cpu'])} | "
                         f"{fmt_s(max(r['worker_cpu']))} | {r['peak_mib']:.0f} |")
        lines.append("")
        lines += _stage_lines("Per-stage task costs, Parquet, 2 workers",
                              parquet["dask-2"], db.n_events)
    return "\n".join(lines) + "\n"


def _stage_lines(title: str, result: dict[str, Any], n_events: int) -> list[str]:
    """CPU per stage function (thread CPU, immune to other load; ``_mine_chunk`` includes
    ``_expanded``), then Dask's task stream by task kind (wall time, result sizes)."""
    lines = [f"### {title}", "",
             "| stage function | calls | CPU s (sum) | CPU ns / event |",
             "|---|---:|---:|---:|"]
    for name, (calls, cpu) in result["stage_cpu"].items():
        lines.append(f"| `{name}` | {calls:.0f} | {cpu:.3f} | {1e9 * cpu / n_events:.1f} |")
    lines += ["", "| task kind | tasks | wall s (sum) | slowest s | result MiB (sum) | "
              "result bytes / event | transfer s (sum) |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    for stage, row in stage_table(result["stream"]).items():
        lines.append(f"| {stage} | {row['tasks']:.0f} | {row['compute']:.3f} | "
                     f"{row['max']:.3f} | {row['nbytes'] / 2**20:.1f} | "
                     f"{row['nbytes'] / n_events:.1f} | {row['transfer']:.3f} |")
    return [*lines, ""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.suites.scaling",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", default="1e7", help="events in the synthetic log")
    parser.add_argument("--minsup", type=float, default=0.003)
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--local-size", type=int, default=2_000_000,
                        help="max_local_size of the distributed-rounds case")
    parser.add_argument("--files", type=int, default=16, help="Parquet files of the log")
    parser.add_argument("--no-parquet", action="store_true")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    text = run(args)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
