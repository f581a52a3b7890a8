"""Distributed benchmark: Dask PrefixSpan on a 10^7-event synthetic log, 1 vs 2 workers.

    nice -n 5 python -m benchmarks.suites.distributed                 # 1e7 events, 3 rounds
    nice -n 5 python -m benchmarks.suites.distributed --quick        # 2e6 events, 1 round

Cases, all on the same machine and data (``seqmine.datasets.synthetic``: Quest-style, Zipf
item popularity, one item per event):

* local PrefixSpan with 1 and 2 threads (``mine(..., n_jobs=k)``);
* Dask LocalClusters of 1 and 2 single-threaded worker processes mining the in-memory
  database (the whole reduced database on each worker, first-level chunks spread);
* the 2-worker cluster with ``max_local_size`` small enough to force distributed rounds;
* end to end from a folder of Parquet files in time order (every user spans several files,
  so the workers' hash shuffle on the user key runs) against ``read_events`` + local mining.

Targets (issue 9): 2 workers at least 1.7x faster than 1 worker, and at most 10% slower than
the local 2-thread run on the same cores. Wall times are medians over interleaved rounds. A
shared machine's other load shows in wall time, so CPU seconds are reported too: the local
process's, and each Dask worker process's (getrusage deltas); the "critical path" is the
busiest worker's CPU seconds, what a run takes when each worker has a core to itself. The
load average is recorded before and after. Per-stage costs (thread CPU inside each stage
function, and Dask's task stream) are what docs/scaling.md extrapolates from. Every run's
PatternSet must equal the local one, or the benchmark fails.
Writes benchmarks/results/distributed.md.
"""

from __future__ import annotations

import argparse
import collections
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

RESULTS = harness.ROOT / "benchmarks" / "results" / "distributed.md"
TARGET_SPEEDUP = 1.7
TARGET_VS_LOCAL = 1.10


# --- data -------------------------------------------------------------------------------------
def make_database(n_events: int, seed: int = 0) -> Any:
    """About ``n_events`` events, ten per sequence on average, one item each."""
    from seqmine.datasets.synthetic import synthetic
    return synthetic(max(1, int(n_events) // 10), mean_events=10, mean_itemset_size=1,
                     n_items=10_000, n_patterns=200, seed=seed)


def write_parquet_log(db: Any, folder: Path, n_files: int) -> None:
    """The database as an event log in global time order, cut into ``n_files`` files."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    table = db.to_arrow()
    # spread each user's events over a month, then order all rows by time
    rng = np.random.default_rng(1)
    n_seq = db.n_sequences
    start = rng.integers(0, 30 * 86_400, n_seq)
    seq_of_row = np.repeat(np.arange(n_seq), np.diff(db.arrays.seq_ptr))
    stamp = start[seq_of_row] + 600 * table["timestamp"].to_numpy()
    order = pa.array(np.argsort(stamp, kind="stable"))
    table = pa.table({"user_id": table["user_id"].take(order),
                      "item_id": table["item_id"].take(order),
                      "timestamp": pa.array(stamp).take(order)})
    folder.mkdir(parents=True, exist_ok=True)
    bounds = np.linspace(0, table.num_rows, n_files + 1).astype(np.int64)
    for k in range(n_files):
        pq.write_table(table.slice(int(bounds[k]), int(bounds[k + 1] - bounds[k])),
                       folder / f"part-{k:03d}.parquet")


# --- run on the workers -----------------------------------------------------------------------
def _worker_cpu() -> float:
    import resource
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _worker_peak_mib() -> float:
    kib = harness.status_kib("VmHWM")
    return kib / 1024 if kib is not None else float("nan")


_STAGES = ("_read_split", "_build_bucket", "_globalize", "_supports", "_reduce", "_size",
           "_stats", "_concat", "_expanded", "_mine_chunk", "_count_round",
           "_project_level_one", "_project_round", "_mine_bin")


def _instrument() -> None:
    """Wrap the stage functions of seqmine.mining.distributed so that each records its
    calls and thread CPU seconds (tasks look functions up by module attribute, so they run
    the wrappers). Idempotent; resets the counters."""
    import seqmine.mining.distributed as m
    m._BENCH = collections.defaultdict(lambda: [0, 0.0])  # type: ignore[attr-defined]
    for name in _STAGES:
        func = getattr(m, name)
        func = getattr(func, "_bench_orig", func)

        def wrapper(*args: Any, _func: Any = func, _name: str = name, **kwargs: Any) -> Any:
            start = time.thread_time()
            try:
                return _func(*args, **kwargs)
            finally:
                row = m._BENCH[_name]  # type: ignore[attr-defined]
                row[0] += 1
                row[1] += time.thread_time() - start

        wrapper._bench_orig = func  # type: ignore[attr-defined]
        setattr(m, name, wrapper)


def _stage_cpu() -> dict[str, list[float]]:
    import seqmine.mining.distributed as m
    return {k: list(v) for k, v in getattr(m, "_BENCH", {}).items()}


# --- timed runs -------------------------------------------------------------------------------
def timed_local(db: Any, minsup: float, n_jobs: int) -> dict[str, Any]:
    from seqmine import mine
    c0, t0 = time.process_time(), time.perf_counter()
    patterns = mine(db, minsup, algorithm="prefixspan", n_jobs=n_jobs)
    return {"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0,
            "patterns": patterns}


def timed_dask(client: Any, source: Any, minsup: float, **kwargs: Any) -> dict[str, Any]:
    from distributed import get_task_stream

    from seqmine.mining.distributed import prefixspan_dask
    client.run(harness.reset_peak)
    client.run(_instrument)
    before = client.run(_worker_cpu)
    c0, t0 = time.process_time(), time.perf_counter()
    with get_task_stream(client) as stream:
        patterns = prefixspan_dask(source, minsup, client=client, **kwargs)
    wall = time.perf_counter() - t0
    client_cpu = time.process_time() - c0
    after = client.run(_worker_cpu)
    stages: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0])
    for worker_stages in client.run(_stage_cpu).values():
        for name, (calls, cpu) in worker_stages.items():
            stages[name][0] += calls
            stages[name][1] += cpu
    return {"wall": wall, "client_cpu": client_cpu,
            "worker_cpu": [after[w] - before.get(w, 0.0) for w in after],
            "stage_cpu": dict(stages), "peak_mib": max(client.run(_worker_peak_mib).values()),
            "stream": stream.data, "patterns": patterns}


def stage_table(stream: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per task kind (the key's stage word): tasks, compute seconds, result bytes."""
    out: dict[str, dict[str, float]] = collections.defaultdict(
        lambda: {"tasks": 0, "compute": 0.0, "max": 0.0, "nbytes": 0.0, "transfer": 0.0})
    for record in stream:
        key = str(record["key"])
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


def _start_cluster(n_workers: int, db: Any, n_events: int) -> tuple[Any, Any]:
    """A LocalCluster of single-threaded worker processes, with every code path loaded in
    each worker (compile time is the compile suite's business)."""
    import dask
    from distributed import Client, LocalCluster

    from seqmine.mining.distributed import ParquetSource, prefixspan_dask
    # the workers' statistical profiler samples every 10 ms: measurable on 2 CPUs
    with dask.config.set({"distributed.worker.profile.enabled": False}):
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0")
    client = Client(cluster)
    prefixspan_dask(db, 0.2, client=client)
    prefixspan_dask(db, 0.2, client=client, max_local_size=n_events // 8)
    with tempfile.TemporaryDirectory() as tmp:  # pyarrow.dataset and pandas imports
        write_parquet_log(make_database(10_000, seed=2), Path(tmp) / "log", 2)
        prefixspan_dask(ParquetSource(Path(tmp) / "log"), 0.2, client=client)
    return cluster, client


def run(args: argparse.Namespace) -> str:
    from seqmine.mining.distributed import ParquetSource
    machine = harness.machine()
    n_events = int(float(args.events))
    t0 = time.perf_counter()
    db = make_database(n_events)
    gen_s = time.perf_counter() - t0
    print(f"data: {db} in {gen_s:.1f} s", file=sys.stderr)
    reference = timed_local(db, args.minsup, 2)["patterns"]
    print(f"{len(reference)} patterns at minsup {args.minsup}", file=sys.stderr)

    def check(patterns: Any, expected: Any, what: str) -> None:
        if patterns != expected:
            raise SystemExit(f"{what}: PatternSet differs from the local run")

    rows: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    clusters = {n: _start_cluster(n, db, n_events) for n in (1, 2)}
    parquet: dict[str, dict[str, Any]] = {}
    try:
        for r in range(args.repeat):
            for n_jobs in (1, 2):
                rows[f"local-{n_jobs}"].append(timed_local(db, args.minsup, n_jobs))
            for n in (1, 2):
                rows[f"dask-{n}"].append(timed_dask(clusters[n][1], db, args.minsup))
            rows["dask-2-rounds"].append(timed_dask(clusters[2][1], db, args.minsup,
                                                    max_local_size=args.local_size))
            for name, results in rows.items():
                check(results[-1]["patterns"], reference, name)
            print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]['wall']:.1f}s"
                                                 for k, v in rows.items()), file=sys.stderr)
        if not args.no_parquet:
            parquet = _parquet_runs(args, db, clusters, ParquetSource, check)
    finally:
        for cluster, client in clusters.values():
            client.close()
            cluster.close()
    return report(args, machine, db, len(reference), gen_s, rows, parquet)


def _parquet_runs(args: argparse.Namespace, db: Any, clusters: dict[int, Any],
                  source_type: Any, check: Any) -> dict[str, dict[str, Any]]:
    import seqmine
    out: dict[str, dict[str, Any]] = {}
    folder = Path(tempfile.mkdtemp(prefix="seqmine-distributed-"))
    try:
        write_parquet_log(db, folder / "log", args.files)
        c0, t0 = time.process_time(), time.perf_counter()
        local_db = seqmine.read_events(folder / "log")
        read_s = time.perf_counter() - t0
        expected = seqmine.mine(local_db, args.minsup, algorithm="prefixspan", n_jobs=2)
        out["local-2"] = {"wall": time.perf_counter() - t0, "read": read_s,
                          "cpu": time.process_time() - c0}
        for n in (1, 2):
            result = timed_dask(clusters[n][1], source_type(folder / "log"), args.minsup)
            check(result["patterns"], expected, f"parquet, {n} worker(s)")
            out[f"dask-{n}"] = result
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return out


# --- report -----------------------------------------------------------------------------------
def report(args: argparse.Namespace, machine: dict[str, Any], db: Any, n_patterns: int,
           gen_s: float, rows: dict[str, list[dict[str, Any]]],
           parquet: dict[str, dict[str, Any]]) -> str:
    def med(rs: list[dict[str, Any]], key: str) -> float | None:
        return median([r[key] for r in rs])

    def crit(rs: list[dict[str, Any]]) -> float | None:
        return median([max(r["worker_cpu"]) for r in rs])

    def total(rs: list[dict[str, Any]]) -> float | None:
        return median([sum(r["worker_cpu"]) + r["client_cpu"] for r in rs])

    lines = [
        "# Distributed: Dask PrefixSpan, 1 vs 2 workers",
        "",
        f"Generated by `nice -n 5 python -m benchmarks.suites.distributed --events "
        f"{args.events} --repeat {args.repeat}`.",
        "",
        f"- machine: {harness.machine_line(machine)}",
        f"- load average (1/5/15 min) at the start: {machine['load_average']}; at the end: "
        f"{harness.load_average()}",
        f"- data: {db!r} (synthetic, generated in {gen_s:.1f} s); minsup {args.minsup} "
        f"-> {n_patterns} patterns; {args.repeat} interleaved round(s), medians",
        "- every run below returned a PatternSet equal to the local run's",
        "",
        "## In-memory database",
        "",
        "| run | wall s | CPU s (all processes) | critical path CPU s | CPU s per worker | "
        "peak RSS / worker MiB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for n_jobs in (1, 2):
        rs = rows[f"local-{n_jobs}"]
        path = med(rs, "cpu") if n_jobs == 1 else None
        lines.append(f"| local, {n_jobs} thread(s) | {fmt_s(med(rs, 'wall'))} | "
                     f"{fmt_s(med(rs, 'cpu'))} | {fmt_s(path)} | | |")
    labels = {"dask-1": "Dask, 1 worker", "dask-2": "Dask, 2 workers",
              "dask-2-rounds": f"Dask, 2 workers, rounds (max_local_size={args.local_size:,})"}
    for name, label in labels.items():
        rs = rows[name]
        per_worker = " / ".join(fmt_s(median([sorted(r["worker_cpu"])[k] for r in rs]))
                                for k in range(len(rs[0]["worker_cpu"])))
        lines.append(f"| {label} | {fmt_s(med(rs, 'wall'))} | {fmt_s(total(rs))} | "
                     f"{fmt_s(crit(rs))} | {per_worker} | {med(rs, 'peak_mib'):.0f} |")
    w1, w2, l2 = med(rows["dask-1"], "wall"), med(rows["dask-2"], "wall"), \
        med(rows["local-2"], "wall")
    c1, c2, lc2 = crit(rows["dask-1"]), crit(rows["dask-2"]), med(rows["local-2"], "cpu")

    def ratio(a: float | None, b: float | None) -> str:
        return f"{a / b:.2f}" if a is not None and b else "n/a"

    lines += [
        "",
        "| ratio | target | wall | CPU critical path |",
        "|---|---:|---:|---:|",
        f"| 1 worker / 2 workers | >= {TARGET_SPEEDUP} | {ratio(w1, w2)} | {ratio(c1, c2)} |",
        f"| 2 workers / local 2 threads | <= {TARGET_VS_LOCAL:.2f} | {ratio(w2, l2)} | "
        f"{ratio(c2, lc2 / 2 if lc2 is not None else None)} |",
        "",
        "The critical path is the busiest worker's CPU seconds (for the local 2-thread run, "
        "half its CPU seconds): the wall time each worker would take on a core of its own. "
        "CPU seconds depend much less than wall time on the machine's other load, but not "
        "at all only on an idle machine (shared cores and caches slow every instruction).",
        "",
    ]
    lines += _stage_lines("Per-stage costs, 2 workers, whole database per worker",
                          rows["dask-2"][-1], db.n_events)
    lines += _stage_lines("Per-stage costs, 2 workers, distributed rounds",
                          rows["dask-2-rounds"][-1], db.n_events)
    if parquet:
        local = parquet["local-2"]
        lines += [
            f"## End to end from Parquet ({args.files} files in time order)",
            "",
            "| run | wall s | CPU s (all processes) | critical path CPU s | "
            "peak RSS / worker MiB |",
            "|---|---:|---:|---:|---:|",
            f"| read_events + local mine, 2 threads (read {local['read']:.1f} s) | "
            f"{fmt_s(local['wall'])} | {fmt_s(local['cpu'])} | | |",
        ]
        for n in (1, 2):
            r = parquet[f"dask-{n}"]
            lines.append(f"| Dask, {n} worker(s), workers read the files | {fmt_s(r['wall'])} | "
                         f"{fmt_s(sum(r['worker_cpu']) + r['client_cpu'])} | "
                         f"{fmt_s(max(r['worker_cpu']))} | {r['peak_mib']:.0f} |")
        lines.append("")
        lines += _stage_lines("Per-stage costs, Parquet, 2 workers", parquet["dask-2"],
                              db.n_events)
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
    parser = argparse.ArgumentParser(prog="python -m benchmarks.suites.distributed",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", default="1e7", help="events in the synthetic log")
    parser.add_argument("--minsup", type=float, default=0.003)
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--local-size", type=int, default=2_000_000,
                        help="max_local_size of the distributed-rounds case")
    parser.add_argument("--files", type=int, default=16, help="Parquet files of the log")
    parser.add_argument("--no-parquet", action="store_true")
    parser.add_argument("--quick", action="store_true",
                        help="2e6 events, one round (a smoke run; results not comparable)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.quick:
        args.events, args.repeat = "2e6", 1
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    text = run(args)
    harness.write_text(args.output, text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
