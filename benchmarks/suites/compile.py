"""Compile benchmark: first-call (JIT) time against warm time for each kernel that mining uses,
and the cost of ``import seqmine``.

    python -m benchmarks.run compile                    # SIGN at 30%, 3 rounds
    python -m benchmarks.run compile --dataset BMS1 --percent 0.1 --repeat 5

A child process wraps every *entry* kernel of ``seqmine._kernels`` (a jitted function that no
other kernel calls, so wrapping it cannot change what Numba compiles) with a timer, then runs
the ``seqmine mine ... -o out.txt`` path twice: read the SPMF file, mine, write the patterns
in SPMF format. The first round pays compilation (empty NUMBA_CACHE_DIR) or cache loading
(a second child on the filled cache); the second round is warm. A kernel's time includes the
helper kernels it calls, which compile with it. ``import seqmine`` is timed in fresh
processes (median of 5), with what it pulled in. Writes benchmarks/results/compile.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import importlib
import json
import pkgutil
import sys
import tempfile
import time
import types
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks import harness
from benchmarks.harness import fmt_s, median

STAGES = {  # entry kernel -> the mining stage it belongs to
    "spmf.parse": "parse SPMF",
    "dbops.sort_within_events": "parse SPMF",
    "projection.positions_in_sequence": "reduce database",
    "projection.item_supports": "reduce database",
    "projection.sequences_containing_all": "reduce database",
    "projection.reduce_database": "reduce database",
    "projection.inverted_index": "inverted index",
    "prefixspan.grow": "prefixspan grow",
    "patterns.decode_tree": "decode/sort patterns",
    "patterns.canonical_order": "decode/sort patterns",
    "spmf.write_patterns": "write SPMF output (CLI)",
}
STAGE_ORDER = ["parse SPMF", "reduce database", "inverted index", "prefixspan grow",
               "decode/sort patterns", "write SPMF output (CLI)"]
SAMPLE = harness.ROOT / "datasets" / "sample.spmf"


# === child side ================================================================================
def _global_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def wrap_entry_kernels(timings: dict[str, list[float]]) -> list[str]:
    """Replace each entry kernel on its module with a timing wrapper; return their names."""
    from numba.core.registry import CPUDispatcher

    import seqmine._kernels as package

    modules = [importlib.import_module(f"seqmine._kernels.{m.name}")
               for m in pkgutil.iter_modules(package.__path__)]
    kernels: dict[str, tuple[types.ModuleType, str, Any]] = {}
    referenced: set[str] = set()
    for module in modules:
        for name, value in vars(module).items():
            if isinstance(value, CPUDispatcher):
                referenced |= _global_names(value.py_func.__code__)
                if value.py_func.__module__ == module.__name__:
                    short = module.__name__.rsplit(".", 1)[1]
                    kernels[f"{short}.{name}"] = (module, name, value)
    wrapped = []
    for key, (module, name, dispatcher) in kernels.items():
        if name in referenced:
            continue  # called from jitted code: compiled as part of its caller

        def timed(*args: Any, _d: Any = dispatcher, _k: str = key, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return _d(*args, **kwargs)
            finally:
                timings[_k].append(time.perf_counter() - t0)

        setattr(module, name, functools.wraps(dispatcher.py_func)(timed))
        wrapped.append(key)
    return wrapped


def worker(path: str, percent: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    import seqmine
    from seqmine.data.spmf import read_spmf
    import_s = time.perf_counter() - t0
    timings: dict[str, list[float]] = defaultdict(list)
    wrapped = wrap_entry_kernels(timings)
    minsup = float(percent) / 100.0
    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(2):
            timings.clear()
            c0, t0 = time.process_time(), time.perf_counter()
            db = read_spmf(path)
            t1 = time.perf_counter()
            patterns = seqmine.mine(db, minsup)
            t2 = time.perf_counter()
            patterns.to_spmf(Path(tmp) / "out.txt")
            t3 = time.perf_counter()
            rounds.append({"read_s": t1 - t0, "mine_s": t2 - t1, "write_s": t3 - t2,
                           "total_s": t3 - t0, "cpu_s": time.process_time() - c0,
                           "patterns": len(patterns),
                           "kernels": {k: {"s": sum(v), "calls": len(v)}
                                       for k, v in timings.items()}})
    return {"import_s": import_s, "wrapped": wrapped, "rounds": rounds}


def import_probe() -> dict[str, Any]:
    t0 = time.perf_counter()
    import seqmine  # noqa: F401
    seconds = time.perf_counter() - t0
    heavy = ["numba", "pyarrow", "pandas", "torch", "dask", "llvmlite", "matplotlib"]
    return {"import_s": seconds, "loaded": [m for m in heavy if m in sys.modules]}


# === parent side ===============================================================================
def run(args: argparse.Namespace) -> int:
    if args.dataset.lower() == "sample":
        path, percent, label = SAMPLE, args.percent, f"datasets/sample.spmf at {args.percent}%"
    else:
        path = harness.SHARED_SPM / f"{args.dataset}.txt.gz"
        percent, label = args.percent, f"{args.dataset} at {args.percent}%"
        if not path.is_file():
            print(f"  {path} not found (shared SPM data sets absent): using the bundled "
                  f"{SAMPLE.relative_to(harness.ROOT)} instead", file=sys.stderr)
            path, label = SAMPLE, f"datasets/sample.spmf at {percent}%"
    started = time.perf_counter()
    load_start = harness.load_average()
    cold_runs: list[dict[str, Any]] = []
    cached_runs: list[dict[str, Any]] = []
    for rnd in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="seqmine-compile-numba-") as cache:
            env = harness.python_env(NUMBA_CACHE_DIR=cache)
            for kind, bucket in (("cold", cold_runs), ("cached", cached_runs)):
                run_ = harness.measure([sys.executable, "-m", "benchmarks.suites.compile",
                                        "--worker", str(path), percent], env=env, timeout=1800)
                if not run_.ok:
                    print(f"compile worker ({kind}) failed: {run_.why()}\n{run_.stderr[-2000:]}",
                          file=sys.stderr)
                    return 1
                result = run_.json()
                result["process_s"] = run_.wall_s
                bucket.append(result)
                print(f"  round {rnd + 1} {kind}: first read+mine+write "
                      f"{result['rounds'][0]['total_s']:.2f} s, warm "
                      f"{result['rounds'][1]['total_s']:.2f} s", file=sys.stderr, flush=True)

    imports = []
    for _ in range(5):
        run_ = harness.measure([sys.executable, "-m", "benchmarks.suites.compile",
                                "--import-probe"], env=harness.python_env(), timeout=300)
        if run_.ok:
            imports.append({**run_.json(), "process_s": run_.wall_s,
                            "maxrss_mib": run_.maxrss_mib})
    bare = [harness.measure([sys.executable, "-c", "pass"], timeout=60).wall_s for _ in range(5)]
    cli = [harness.measure([*harness.seqmine_command(), "--version"], timeout=120,
                           env=harness.python_env()) for _ in range(5)]

    meta = {
        "command": "python -m benchmarks.run compile " + " ".join(args.argv),
        "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "machine": harness.machine_line(),
        "load": (f"{load_start} at the start, {harness.load_average()} at the end, shared with "
                 f"other people's work; the run took "
                 f"{(time.perf_counter() - started) / 60:.1f} min"),
        "git": harness.git_state(), "label": label, "repeat": args.repeat,
    }
    data = {"meta": meta, "cold": cold_runs, "cached": cached_runs, "imports": imports,
            "bare_python_s": bare, "cli_version_s": [c.wall_s for c in cli if c.ok]}
    out = Path(args.results_dir) / "compile.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=1), encoding="utf-8")
    out.with_suffix(".md").write_text(markdown(data), encoding="utf-8")
    print(f"wrote {out.with_suffix('.md')}", file=sys.stderr)
    return 0


def _kernel_s(runs: list[dict[str, Any]], rnd: int, key: str) -> float | None:
    return median([r["rounds"][rnd]["kernels"].get(key, {}).get("s", 0.0) for r in runs])


def markdown(data: dict[str, Any]) -> str:
    meta, cold, cached = data["meta"], data["cold"], data["cached"]
    imports, bare = data["imports"], data["bare_python_s"]
    keys = sorted({k for r in cold + cached for rnd in r["rounds"] for k in rnd["kernels"]},
                  key=lambda k: (STAGE_ORDER.index(STAGES[k]) if k in STAGES else 99, k))
    lines = [
        "# Compile benchmark: Numba first-call cost per mining kernel, and `import seqmine`",
        "",
        f"Written by `{meta['command'].strip()}` on {meta['date']}.",
        "",
        f"- Machine: {meta['machine']}.",
        f"- Load average (1/5/15 min): {meta['load']}.",
        f"- seqmine: {meta['git']}.",
        f"- Workload: the `seqmine mine` path on {meta['label']} (read the SPMF file, mine, "
        f"write the patterns as SPMF text), {meta['repeat']} round(s); medians.",
        "",
        "Per kernel: *first call, empty cache* is the kernel's time in the first round of a "
        "process whose NUMBA_CACHE_DIR is empty (compilation + run); *first call, cached* the "
        "same in a process reusing that cache (loading + run); *warm* is the second round. "
        "Compile = empty-cache first call - warm; cache load = cached first call - warm. A "
        "kernel's figure includes the helper kernels it calls (they compile with it). The first "
        "kernel a process calls (here `spmf.parse`) also carries Numba's one-time start-up "
        "(typing and LLVM initialisation), which is why its cache load stands out.",
        "",
        "| stage | entry kernel | first call, empty cache s | first call, cached s | warm s "
        "| compile s | cache load s |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    sums = [0.0, 0.0, 0.0]
    for key in keys:
        c1, k1, w = _kernel_s(cold, 0, key), _kernel_s(cached, 0, key), _kernel_s(cold, 1, key)
        c1, k1, w = c1 or 0.0, k1 or 0.0, w or 0.0
        sums = [sums[0] + c1, sums[1] + k1, sums[2] + w]
        lines.append(f"| {STAGES.get(key, 'other')} | `{key}` | {fmt_s(c1)} | {fmt_s(k1)} "
                     f"| {fmt_s(w)} | {fmt_s(c1 - w)} | {fmt_s(k1 - w)} |")
    lines.append(f"| **all entry kernels** | | {fmt_s(sums[0])} | {fmt_s(sums[1])} "
                 f"| {fmt_s(sums[2])} | {fmt_s(sums[0] - sums[2])} | {fmt_s(sums[1] - sums[2])} |")

    def whole(runs: list[dict[str, Any]], rnd: int, field: str) -> float | None:
        return median([r["rounds"][rnd][field] for r in runs])

    lines += ["", "Whole steps (wall s; CPU s of the whole round in the last column):", "",
              "| round | read | mine | write | total | CPU |", "|---|---:|---:|---:|---:|---:|"]
    for title, runs, rnd in (("first, empty cache", cold, 0), ("first, cached", cached, 0),
                             ("warm (second round)", cold, 1)):
        lines.append(f"| {title} | " + " | ".join(
            fmt_s(whole(runs, rnd, f)) for f in ("read_s", "mine_s", "write_s", "total_s",
                                                  "cpu_s")) + " |")
    wrapped = sorted(set(cold[0]["wrapped"])) if cold else []
    unused: dict[str, int] = defaultdict(int)
    for k in wrapped:
        if k not in keys:
            unused[k.split(".")[0]] += 1
    if unused:
        lines += ["", f"{sum(unused.values())} other entry kernels are not on this path "
                  "(by module: " + ", ".join(f"{m} {n}" for m, n in sorted(unused.items()))
                  + "); they compile when their own miners or commands first run."]

    imp = median([i["import_s"] for i in imports])
    proc = median([i["process_s"] for i in imports])
    rss = median([i["maxrss_mib"] for i in imports])
    bare_s = median(bare)
    cli_s = median(data["cli_version_s"])
    loaded = sorted({m for i in imports for m in i["loaded"]})
    lines += [
        "", "## `import seqmine`", "",
        "| measure | median of 5 |", "|---|---:|",
        f"| `import seqmine` inside a fresh process, s | {fmt_s(imp)} |",
        f"| whole `python -c \"import seqmine\"` process, s | {fmt_s(proc)} |",
        f"| whole `python -c pass` process (Python start alone), s | {fmt_s(bare_s)} |",
        f"| whole `seqmine --version` process, s | {fmt_s(cli_s)} |",
        f"| peak RSS after `import seqmine`, MiB | {rss:.0f} |" if rss else "",
        "",
        f"Heavy modules loaded by `import seqmine`: {', '.join(loaded) or 'none'} "
        "(torch and dask must never be among them). No kernel compiles at import: compilation "
        "is lazy and cached.",
        "",
    ]
    return "\n".join(line for line in lines if line is not None)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        print(json.dumps(worker(argv[1], argv[2])))
        return 0
    if argv[:1] == ["--render"]:  # rewrite compile.md from compile.json
        path = Path(argv[1])
        path.with_suffix(".md").write_text(markdown(json.loads(path.read_text())),
                                           encoding="utf-8")
        return 0
    if argv[:1] == ["--import-probe"]:
        print(json.dumps(import_probe()))
        return 0
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run compile",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="SIGN",
                        help="a shared SPM data set, or 'sample' for datasets/sample.spmf")
    parser.add_argument("--percent", default="30", help="minsup in percent of sequences")
    parser.add_argument("--repeat", type=int, default=3, help="cold/cached process pairs")
    parser.add_argument("--results-dir", default=str(harness.RESULTS))
    args = parser.parse_args(argv)
    args.argv = argv
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
