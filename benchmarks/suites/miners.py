"""Per-miner benchmark: every seqmine miner beside the Python-reachable peers, on the shared
SPM data sets at the levels of their reference table.

    python -m benchmarks run miners                          # every data set and level
    python -m benchmarks run miners --quick                  # SIGN 30% and KOSARAK10K 0.5%
    python -m benchmarks run miners --datasets SIGN --miners prefixspan,spade --peers pycspade

Contenders: seqmine's sequential miners (prefixspan, spade, spam, gsp and auto), its closed,
maximal and top-k miners (top-k with k = the level's pattern count, which must return exactly
the level's patterns), its itemset miners (fpgrowth, apriori, eclat; each sequence one
transaction), and the peers of ``benchmarks/peers`` (PyPI prefixspan, effspm, gsppy,
pycspade, seq2pat, pyspark for sequences; mlxtend for itemsets). SPMF's figures from the
reference table are a labelled column, never a measurement of this run.

How, for each level:

- One seqmine worker process per data set reads the file once and loads every miner's
  kernels on a tiny database from the Numba cache (compiling what is not cached yet, before
  any timing); each request (``benchmarks.harness.Worker``) then times one
  miner call with one thread: wall and CPU seconds, peak resident memory (VmHWM reset before
  the call) and the count. A call past ``--timeout`` kills the worker (a fresh one serves the
  next request) and is reported as a time-out.
- Every peer run is a process of its own under ``--timeout`` and an address-space cap.
- Rounds are interleaved: each round runs every contender once in the same order (A B A B),
  so drift of the shared machine hits all alike; figures are medians of the rounds. A run of
  10 s or more is not repeated; a time-out, out-of-memory or pattern explosion skips that
  contender at the data set's lower (harder) levels.
- First-call compile time: per miner, a fresh process with an empty Numba cache times its
  first call at the run's first level against a second call (``--compile isolated``, the
  default), or all miners one after the other in one such process (``shared``, for --quick).

Counts must agree: seqmine's sequential miners and top-k with the reference count, closed and
maximal with SPMF's CM-ClaSP / VMSP counts where the table has them, the three itemset miners
with each other, and every peer under its documented convention. A mismatch is printed in a
banner when seen, shown in the tables, and fails the run (exit 1) after they are written.
Writes results/miners.{md,json,png} (miners-quick.* with --quick).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks import harness
from benchmarks.harness import Level, fmt_ratio, fmt_s, median
from benchmarks.peers import PEERS, adapter, installed

SEQUENTIAL = ("prefixspan", "spade", "spam", "gsp", "auto")
CONDENSED = ("closed", "maximal", "top_k")
ITEMSETS = ("fpgrowth", "apriori", "eclat")
MINERS = SEQUENTIAL + CONDENSED + ITEMSETS
#: an itemset miner stops (BudgetExceededError) past this many itemsets: a pattern explosion
ITEMSET_BUDGET = 2_000_000
#: a contender run taking this long or longer is not repeated
REPEAT_BELOW_S = 10.0
#: slow peers run at the highest N levels of each data set unless told otherwise
DEFAULT_PEER_LEVELS = "prefixspan:2,gsppy:1,pyspark:1"
QUICK_DATASETS = "SIGN,KOSARAK10K"
#: extra seconds a pyspark run gets on top of --timeout for its JVM start-up
SPARK_STARTUP_ALLOWANCE_S = 90.0
AUTO_TARGET = 1.2       # issue 4: auto within 1.2x of the fastest seqmine miner
CONDENSED_TARGET = 2.0  # issue 4: closed/maximal at most half of SPMF's time
ITEMSET_TARGET = 20.0   # issue 4: itemset miners at least 20x faster than mlxtend


# === child side ================================================================================
def call_miner(db: Any, miner: str, relative: float, k: int) -> Any:
    """One seqmine miner on ``db`` with one thread (the benchmark's unit of work)."""
    import seqmine
    if miner in SEQUENTIAL:
        return seqmine.mine(db, relative, algorithm=miner)
    if miner == "closed":
        return seqmine.closed(db, relative)
    if miner == "maximal":
        return seqmine.maximal(db, relative)
    if miner == "top_k":
        return seqmine.top_k(db, k)
    return seqmine.itemsets(db, relative, algorithm=miner, max_patterns=ITEMSET_BUDGET)


def describe_result(result: Any, miner: str) -> dict[str, Any]:
    """The count of a result, and for sequential patterns the length-1 count (the peers that
    omit them are checked with it) and what auto chose."""
    out: dict[str, Any] = {"patterns": len(result)}
    if miner in SEQUENTIAL:
        out["singletons"] = int((result.length == 1).sum())
    if miner == "auto":
        out["chosen"] = result.options.get("chosen_algorithm")
    return out


def serve_dataset(path: str) -> None:
    """The seqmine worker of one data set (see benchmarks.harness.Worker)."""
    state: dict[str, Any] = {}

    def start() -> dict[str, Any]:
        t0 = time.perf_counter()
        from seqmine.data.spmf import parse_spmf, read_spmf
        import_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        tiny = parse_spmf(harness.TINY_SPMF)
        for miner in MINERS:
            call_miner(tiny, miner, 0.5, 3)
        warmup_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        state["db"] = read_spmf(path)
        return {"import_s": import_s, "warmup_s": warmup_s, "read_s": time.perf_counter() - t0,
                "n_sequences": state["db"].n_sequences,
                "rss_mib": (harness.status_kib("VmRSS") or 0) / 1024}

    def handle(request: dict[str, Any]) -> dict[str, Any]:
        from seqmine.errors import BudgetExceededError
        miner = request["miner"]
        before = harness.n_signatures()
        try:
            result, cost = harness.timed_call(lambda: call_miner(
                state["db"], miner, float(request["percent"]) / 100, int(request["k"])))
        except BudgetExceededError:
            return {"budget": True}
        return {**cost, **describe_result(result, miner),
                "compiled": harness.n_signatures() != before}

    harness.serve(start, handle)


def first_calls(path: str, percent: str, k: int, miners: list[str]) -> dict[str, Any]:
    """In a process with an empty Numba cache: each miner's first call against its second."""
    t0 = time.perf_counter()
    from seqmine.data.spmf import read_spmf
    out: dict[str, Any] = {"import_s": time.perf_counter() - t0}
    reads = []
    for _ in range(2):
        t0 = time.perf_counter()
        db = read_spmf(path)
        reads.append(time.perf_counter() - t0)
    out["read"] = {"first_s": reads[0], "second_s": reads[1]}
    for miner in miners:
        calls = [harness.timed_call(lambda m=miner: call_miner(db, m, float(percent) / 100, k))[1]
                 for _ in range(2)]
        out[miner] = {"first_s": calls[0]["wall_s"], "second_s": calls[1]["wall_s"],
                      "first_cpu_s": calls[0]["cpu_s"], "second_cpu_s": calls[1]["cpu_s"]}
    return out


# === parent side: measuring ====================================================================
def contender(kind: str, name: str) -> str:
    return f"{kind}:{name}"


def split_contender(key: str) -> tuple[str, str]:
    kind, name = key.split(":", 1)
    return kind, name


def label(key: str) -> str:
    """Column title: seqmine miners by name, peers by theirs (the PyPI prefixspan marked)."""
    kind, name = split_contender(key)
    if kind == "seqmine":
        return name
    return "PyPI prefixspan" if name == "prefixspan" else name


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median time and CPU of the finished runs (runs that compiled inside the timed call are
    left out when others exist), the largest peak memory, and the counts seen; or how the
    contender failed."""
    ok = [r for r in runs if r["status"] == "ok"]
    if not ok:
        if not runs:
            return {"status": "not run"}
        first = runs[0]
        return {"status": first["status"], "why": first.get("why", first["status"])}
    clean = [r for r in ok if not r.get("compiled")] or ok
    counts = sorted({r["patterns"] for r in ok})
    out: dict[str, Any] = {
        "status": "ok", "runs": len(ok), "seconds": median([r["seconds"] for r in clean]),
        "cpu_s": median([r.get("cpu_s") for r in clean]),
        "peak_mib": max((r.get("peak_mib") or 0.0) for r in ok) or None,
        "patterns": counts[0] if len(counts) == 1 else counts,
        "compiled": any(r.get("compiled") for r in ok)}
    for key in ("chosen", "singletons", "startup_s", "growth_mib"):
        if ok[0].get(key) is not None:
            out[key] = ok[0][key]
    return out


def expected_counts(level: Level, summaries: dict[str, dict[str, Any]]) -> dict[str, int | None]:
    """The count each finished contender must report at ``level``; None where nothing can
    be checked (no reference, or a peer omitting singletons when no seqmine count says how
    many there are)."""
    singletons = next((s["singletons"] for key, s in summaries.items()
                       if s.get("singletons") is not None), None)
    itemset_counts = [s["patterns"] for key, s in summaries.items()
                      if s["status"] == "ok" and key in {contender("seqmine", m) for m in ITEMSETS}]
    consensus = itemset_counts[0] if itemset_counts else None
    expected: dict[str, int | None] = {}
    for key in summaries:
        kind, name = split_contender(key)
        if kind == "seqmine":
            if name in SEQUENTIAL or name == "top_k":
                expected[key] = level.patterns
            elif name in ("closed", "maximal"):
                ref = level.closed if name == "closed" else level.maximal
                expected[key] = ref.patterns if ref is not None else None
            else:
                expected[key] = consensus
        elif adapter(name).KIND == "itemsets":
            expected[key] = consensus
        elif adapter(name).INCLUDES_SINGLETONS:
            expected[key] = level.patterns
        else:
            expected[key] = None if singletons is None else level.patterns - singletons
    return expected


def count_problems(level: Level, summaries: dict[str, dict[str, Any]]) -> list[str]:
    """Every finished contender whose count differs from what it must be (see
    :func:`expected_counts`), as sentences for the failure banner and the report."""
    expected = expected_counts(level, summaries)
    problems = []
    for key, s in summaries.items():
        if s["status"] != "ok" or expected[key] is None:
            continue
        if s["patterns"] != expected[key]:
            kind = split_contender(key)[0]
            problems.append(f"{level.dataset} {level.label}: {label(key)} ({kind}) found "
                            f"{s['patterns']} patterns, expected {expected[key]:,}")
    return problems


class Run:
    """One benchmark run: its settings, the seqmine worker of the current data set, the
    contenders skipped at lower levels, and the failures that will fail it."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.env = harness.python_env()
        self.memory = int(args.memory_gib * 2**30)
        self.blocked: dict[str, dict[str, str]] = defaultdict(dict)  # data set -> key -> why
        self.failures: list[str] = []
        self.worker: harness.Worker | None = None

    def fail(self, text: str) -> None:
        self.failures.append(text)
        bar = "!" * 78
        print(f"\n{bar}\nBENCHMARK FAILURE: {text}\n{bar}\n", file=sys.stderr, flush=True)

    def open_dataset(self, level: Level) -> None:
        self.close()
        self.worker = harness.Worker([sys.executable, "-m", "benchmarks.suites.miners",
                                      "--serve", str(level.path)], env=self.env,
                                     memory_limit_bytes=self.memory, start_timeout=1800.0)

    def close(self) -> None:
        if self.worker is not None:
            self.worker.close()
            self.worker = None

    def run_one(self, key: str, level: Level, exploded: set[str]) -> dict[str, Any]:
        """One measured run of one contender at ``level``."""
        kind, name = split_contender(key)
        timeout = self.args.timeout
        if kind == "seqmine":
            assert self.worker is not None
            reply = self.worker.call({"miner": name, "percent": level.percent,
                                      "k": level.patterns}, timeout)
            if not reply.ok:
                return {"status": reply.status, "why": reply.why}
            if reply.data.get("budget"):
                exploded.add(key)
                return {"status": "budget", "why": f"more than {ITEMSET_BUDGET:,} itemsets"}
            return {"status": "ok", "seconds": reply.data["wall_s"], **reply.data}
        if adapter(name).KIND == "itemsets" and exploded:
            return {"status": "budget", "why": f"not run: more than {ITEMSET_BUDGET:,} itemsets"}
        if name == "pyspark":
            timeout += SPARK_STARTUP_ALLOWANCE_S
        result = harness.run_peer(name, level.path, level.min_count, env=self.env,
                                  timeout=timeout, memory_limit_bytes=self.memory)
        return {**result, "peak_mib": result.get("maxrss_mib")}

    def measure_level(self, level: Level, keys: list[str]) -> dict[str, Any]:
        exploded: set[str] = set()
        started = time.perf_counter()
        runs = harness.interleaved(keys, self.args.repeat,
                                   lambda key, _round: self.run_one(key, level, exploded),
                                   repeat_below_s=REPEAT_BELOW_S)
        summaries = {key: summarise(runs[key]) for key in keys}
        problems = count_problems(level, summaries)
        for problem in problems:
            self.fail(problem)
        expected = expected_counts(level, summaries)
        for key, s in summaries.items():
            s["expected"] = expected[key]
            if s["status"] in ("timeout", "oom", "budget", "crash"):
                what = {"timeout": "timed out", "oom": "out of memory", "crash": "crashed",
                        "budget": "pattern explosion"}[s["status"]]
                self.blocked[level.dataset][key] = f"{what} at {level.label}"
        return {"dataset": level.dataset, "percent": level.percent,
                "min_count": level.min_count, "reference": level.patterns,
                "spmf_own_s": level.spmf_own_s, "spmf_own_algo": level.spmf_own_algo,
                "closed_ref": level.closed and level.closed.text,
                "closed_ref_s": level.closed and level.closed.seconds,
                "maximal_ref": level.maximal and level.maximal.text,
                "maximal_ref_s": level.maximal and level.maximal.seconds,
                "contenders": {key: {"summary": summaries[key], "runs": runs[key]}
                               for key in keys},
                "problems": problems, "load": harness.load_average(),
                "timeout_s": self.args.timeout,
                "seconds": time.perf_counter() - started}


def measure_compile(level: Level, miners: list[str], isolated: bool, timeout: float,
                    env: dict[str, str]) -> dict[str, Any]:
    """First-call figures per miner from fresh processes with empty Numba caches."""
    groups = [[m] for m in miners] if isolated else [miners]
    found: dict[str, Any] = {}
    for group in groups:
        with tempfile.TemporaryDirectory(prefix="seqmine-cold-numba-") as cold:
            run = harness.measure([sys.executable, "-m", "benchmarks.suites.miners", "--first",
                                   str(level.path), level.percent, str(level.patterns),
                                   ",".join(group)], timeout=timeout,
                                  env=dict(env, NUMBA_CACHE_DIR=cold))
        if not run.ok:
            for miner in group:
                found[miner] = {"status": run.status, "why": run.why()}
            continue
        data = run.json()
        found.setdefault("read", data["read"])
        for miner in group:
            d = data[miner]
            found[miner] = {**d, "status": "ok", "compile_s": d["first_s"] - d["second_s"],
                            "compile_cpu_s": d["first_cpu_s"] - d["second_cpu_s"]}
    return {"level": f"{level.dataset} {level.label}", "isolated": isolated, "miners": found}


def plan_level(level: Level, run: Run, miners: list[str], peers: list[str],
               versions: dict[str, str | None], index: int,
               peer_levels: dict[str, int], peer_datasets: dict[str, set[str]]
               ) -> tuple[list[str], dict[str, str]]:
    """The contenders to run at ``level`` in round order, and why each other one is not."""
    keys, skipped = [], {}
    for miner in miners:
        key = contender("seqmine", miner)
        if key in run.blocked[level.dataset]:
            skipped[key] = run.blocked[level.dataset][key]
        else:
            keys.append(key)
    for peer in peers:
        key = contender("peer", peer)
        if versions[peer] is None:
            skipped[key] = installed(peer)[1]
        elif key in run.blocked[level.dataset]:
            skipped[key] = run.blocked[level.dataset][key]
        elif peer in peer_datasets and level.dataset not in peer_datasets[peer]:
            skipped[key] = "not run on this data set"
        elif index >= peer_levels.get(peer, index + 1):
            n = peer_levels[peer]
            skipped[key] = f"run at the highest {n} level{'s' * (n > 1)} only"
        else:
            keys.append(key)
    return keys, skipped


def run(args: argparse.Namespace) -> int:
    from benchmarks.suites.mining import parse_peer_datasets, parse_peer_levels, select_levels
    if harness.spm_missing("miners"):
        return 0
    levels = select_levels(args)
    miners = [m.strip() for m in args.miners.split(",") if m.strip()]
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    for name, known in (*((m, MINERS) for m in miners), *((p, tuple(PEERS)) for p in peers)):
        if name not in known:
            raise SystemExit(f"unknown miner or peer {name!r}; choose from {', '.join(known)}")
    versions = {peer: installed(peer)[0] for peer in peers}
    peer_levels = parse_peer_levels(args.peer_levels, peers)
    peer_datasets = parse_peer_datasets(args.peer_datasets, peers)
    machine_start = harness.machine()
    started = time.perf_counter()
    stamp = harness.seqmine_source_stamp()
    bench = Run(args)
    stem = "miners-quick" if args.quick else "miners"

    def meta(state: str) -> dict[str, Any]:
        return {
            "command": "python -m benchmarks run miners " + shlex.join(args.argv),
            "state": state, "machine": machine_start, "machine_end": harness.machine(),
            "minutes": (time.perf_counter() - started) / 60,
            "sources_changed": harness.seqmine_source_stamp() != stamp,
            "peers": {p: versions[p] or installed(p)[1] for p in peers},
            "settings": {"repeat": args.repeat, "timeout_s": args.timeout,
                         "memory_gib": args.memory_gib, "peer_levels": args.peer_levels,
                         "peer_datasets": args.peer_datasets, "compile": args.compile,
                         "quick": args.quick, "repeat_below_s": REPEAT_BELOW_S,
                         "itemset_budget": ITEMSET_BUDGET},
            "notes": args.note, "failures": list(bench.failures)}

    rows: list[dict[str, Any]] = []
    compiled: dict[str, Any] = {}
    try:
        if levels and miners and args.compile != "none":
            print(f"  first-call compile times at {levels[0].dataset} {levels[0].label} "
                  f"({args.compile}) ...", file=sys.stderr, flush=True)
            compiled = measure_compile(levels[0], miners, args.compile == "isolated",
                                       max(900.0, 5 * args.timeout), bench.env)
        index: dict[str, int] = defaultdict(int)
        for level in levels:
            if not rows or rows[-1]["dataset"] != level.dataset:
                bench.open_dataset(level)
            keys, skipped = plan_level(level, bench, miners, peers, versions,
                                       index[level.dataset], peer_levels, peer_datasets)
            index[level.dataset] += 1
            row = bench.measure_level(level, keys)
            row["skipped"] = skipped
            starts = bench.worker.starts if bench.worker is not None else []
            row["worker"] = starts[-1].data if starts and starts[-1].ok else None
            row["order"] = [contender("seqmine", m) for m in miners] + [
                contender("peer", p) for p in peers]
            rows.append(row)
            # the tables so far after every level, so a long run can be read as it goes
            write_outputs(Path(args.results_dir), stem, {
                "meta": meta(f"in progress: {len(rows)} of {len(levels)} levels"),
                "compile": compiled, "rows": rows}, quiet=True)
            print(f"  {level.dataset} {level.label}: " + ", ".join(
                f"{label(k)} {cell(row, k)}" for k in keys) + f"  [{row['seconds']:.0f} s]",
                file=sys.stderr, flush=True)
    finally:
        bench.close()
    write_outputs(Path(args.results_dir), stem, {"meta": meta("complete"), "compile": compiled,
                                                 "rows": rows})
    if bench.failures:
        print(f"\nMINERS BENCHMARK FAILED: {len(bench.failures)} count problem(s):",
              file=sys.stderr)
        for failure in bench.failures:
            print("  - " + failure, file=sys.stderr)
        return 1
    return 0


# === reporting =================================================================================
def _summary(row: dict[str, Any], key: str) -> dict[str, Any] | None:
    entry = row["contenders"].get(key)
    return entry["summary"] if entry else None


def seconds_of(row: dict[str, Any], key: str, field: str = "seconds") -> float | None:
    s = _summary(row, key)
    return s.get(field) if s and s["status"] == "ok" else None


def cell(row: dict[str, Any], key: str, versus: float | None = None, cpu: bool = False) -> str:
    """A table cell: the median seconds (and the ratio to ``versus``), or why there is none."""
    s = _summary(row, key)
    if s is None:
        why = row.get("skipped", {}).get(key)
        return f"skipped ({why})" if why and not why.startswith("not installed") else (
            why or "n/a")
    if s["status"] != "ok":
        if s["status"] == "timeout":
            limit = row.get("timeout_s")
            return "timeout" + (f" (>{limit:.0f} s)" if limit else "")
        return s.get("why", s["status"])
    value = s["cpu_s"] if cpu else s["seconds"]
    if value is None:
        return "n/a"
    text = fmt_s(value)
    if s["expected"] is not None and s["patterns"] != s["expected"]:
        text += f" **count {s['patterns']} ≠ {s['expected']:,}**"
    if versus is not None:
        text += f" ({fmt_ratio(value, versus)})"
    return text


def fastest(row: dict[str, Any], names: tuple[str, ...], field: str = "seconds"
            ) -> tuple[str | None, float | None]:
    """The seqmine miner among ``names`` with the lowest median ``field`` at this row."""
    best: tuple[str | None, float | None] = (None, None)
    for name in names:
        value = seconds_of(row, contender("seqmine", name), field)
        if value is not None and (best[1] is None or value < best[1]):
            best = (name, value)
    return best


def _table(head: list[str], rows: list[list[str]], n_left: int = 2) -> list[str]:
    """A Markdown table: the first ``n_left`` columns left-aligned, the others right."""
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join(["---"] * n_left + ["---:"] * (len(head) - n_left)) + "|"]
    return lines + ["| " + " | ".join(r) + " |" for r in rows] + [""]


def _level_cells(row: dict[str, Any]) -> list[str]:
    return [row["dataset"], f"{row['percent']}% ({row['min_count']})"]


def markdown(data: dict[str, Any]) -> str:
    meta, rows, compiled = data["meta"], data["rows"], data["compile"]
    settings = meta["settings"]
    present = {key for row in rows for key in row["order"]}
    seq = [m for m in SEQUENTIAL if contender("seqmine", m) in present]
    seq_peers = [split_contender(k)[1] for k in rows[0]["order"]
                 if k.startswith("peer:") and adapter(split_contender(k)[1]).KIND
                 == "sequential"] if rows else []
    item_peers = [split_contender(k)[1] for k in rows[0]["order"]
                  if k.startswith("peer:") and adapter(split_contender(k)[1]).KIND
                  == "itemsets"] if rows else []
    lines = [
        "# Every seqmine miner beside the Python-reachable peers",
        "",
        f"Written by `{meta['command']}` in {meta['minutes']:.0f} min"
        + ("." if meta.get("state", "complete") == "complete"
           else f" (**{meta['state']}**)."),
        "",
        f"- Machine: {harness.machine_line(meta['machine'])}.",
        f"- Load average at the end: {meta['machine_end']['load_average']} (1/5/15 min) on "
        f"{meta['machine']['cores']} CPUs shared with other work; per level in the details.",
        "- Peers: " + ", ".join(f"{p} {v}" for p, v in meta["peers"].items()) + ".",
        "- SPMF (Java) is not run: its figures are reference columns copied from "
        "../shared/datasets/spm/README.md (SPMF v2.66 on this kind of machine).",
        f"- Settings: {settings['repeat']} interleaved round(s) per level, a run of "
        f"{settings['repeat_below_s']:.0f} s or more not repeated; time-out "
        f"{settings['timeout_s']:.0f} s per run (pyspark: + {SPARK_STARTUP_ALLOWANCE_S:.0f} s "
        f"for its start-up); address-space cap {settings['memory_gib']:g} GiB; itemset budget "
        f"{settings['itemset_budget']:,}; peer levels {settings['peer_levels'] or 'all'}"
        + (f"; peer data sets {settings['peer_datasets']}" if settings["peer_datasets"] else "")
        + ".",
        "",
        "Times are warm wall seconds of the mining call, one thread, median of the rounds "
        "(reading the file and converting it to a peer's input are not timed). Ratios are "
        "*other ÷ seqmine*: above 1 means seqmine is faster. `timeout`, `out of memory`, "
        "`crash` and `pattern explosion` are reported where they happened, and the contender "
        "is skipped at the data set's lower (harder) levels.",
        "",
    ]
    if meta["failures"]:
        lines += ["**COUNT PROBLEMS IN THIS RUN (it exited 1):**", ""]
        lines += [f"- {f}" for f in meta["failures"]] + [""]
    if meta.get("sources_changed"):
        lines += ["**seqmine's sources changed during this run**: later rows may reflect "
                  "newer code.", ""]

    lines += ["## Sequential miners", "",
              "Every count equals the reference count unless marked. *auto* shows what it "
              "picked; *auto ÷ fastest* compares it with the fastest of the other seqmine "
              "miners in the same rounds (issue 4 target: at most "
              f"{AUTO_TARGET}x), in wall and in CPU time. SPMF: its fastest algorithm's own "
              "time (reference).", ""]
    body = []
    for row in rows:
        name, best = fastest(row, tuple(m for m in seq if m != "auto"))
        _, best_cpu = fastest(row, tuple(m for m in seq if m != "auto"), "cpu_s")
        auto_key = contender("seqmine", "auto")
        auto_s = seconds_of(row, auto_key)
        auto_cpu = seconds_of(row, auto_key, "cpu_s")
        chosen = (_summary(row, auto_key) or {}).get("chosen")
        body.append(_level_cells(row) + [f"{row['reference']:,}"]
                    + [cell(row, contender("seqmine", m)) for m in seq if m != "auto"]
                    + [cell(row, auto_key) + (f" {chosen}" if chosen else ""),
                       f"{fmt_ratio(auto_s, best)} / {fmt_ratio(auto_cpu, best_cpu)}"
                       + (f" ({name})" if name else ""),
                       f"{fmt_s(row['spmf_own_s'])} {row['spmf_own_algo']}",
                       fmt_ratio(row["spmf_own_s"], best)])
    lines += _table(["data set", "minsup", "patterns", *[m for m in seq if m != "auto"],
                     "auto (picks)", "auto ÷ fastest (wall / CPU)", "SPMF own s (ref)",
                     "SPMF ÷ fastest"], body)

    if seq_peers:
        lines += ["## Sequential peers", "",
                  "Peer seconds and their ratio to seqmine's default miner (auto), measured in "
                  "the same rounds. Conventions are listed at the end; a peer that omits "
                  "length-1 patterns is checked against the reference minus the frequent single "
                  "items.", ""]
        body = []
        for row in rows:
            auto_s = seconds_of(row, contender("seqmine", "auto"))
            cells = []
            for peer in seq_peers:
                text = cell(row, contender("peer", peer), auto_s)
                startup = (_summary(row, contender("peer", peer)) or {}).get("startup_s")
                if startup is not None:
                    text += f", start {fmt_s(startup)} s"
                cells.append(text)
            body.append([*_level_cells(row), fmt_s(auto_s), *cells])
        lines += _table(["data set", "minsup", "seqmine auto s",
                         *[f"{label(contender('peer', p))} s (÷ auto)" for p in seq_peers]],
                        body)

    lines += ["## Closed, maximal and top-k", "",
              "Counts are checked against SPMF's CM-ClaSP (closed) and VMSP (maximal) where the "
              "reference table has them; SPMF times are reference figures (one run each). "
              "Issue 4 target: seqmine at most half of SPMF's time (ratio >= "
              f"{CONDENSED_TARGET:g}). top-k runs with k = the level's pattern count, so it must "
              "return exactly the level's patterns without being told the threshold; its ratio "
              "is to `mine()` with auto.", ""]
    body = []
    for row in rows:
        cells = _level_cells(row)
        for name, ref, ref_s in (("closed", row["closed_ref"], row["closed_ref_s"]),
                                 ("maximal", row["maximal_ref"], row["maximal_ref_s"])):
            s = _summary(row, contender("seqmine", name))
            count = f"{s['patterns']:,}" if s and s["status"] == "ok" else "n/a"
            mine_s = seconds_of(row, contender("seqmine", name))
            mine_cpu = seconds_of(row, contender("seqmine", name), "cpu_s")
            cells += [count, cell(row, contender("seqmine", name)), ref or "n/a",
                      f"{fmt_ratio(ref_s, mine_s)} / {fmt_ratio(ref_s, mine_cpu)}"]
        cells.append(cell(row, contender("seqmine", "top_k"),
                          seconds_of(row, contender("seqmine", "auto"))))
        body.append(cells)
    lines += _table(["data set", "minsup", "closed", "closed s", "CM-ClaSP (ref)",
                     "CM-ClaSP ÷ seqmine (wall / CPU)", "maximal", "maximal s", "VMSP (ref)",
                     "VMSP ÷ seqmine (wall / CPU)", "top-k s (÷ auto)"], body)

    lines += ["## Frequent itemsets (each sequence one transaction)", "",
              "The three seqmine miners must agree, and every itemset peer with them. Issue 4 "
              f"target: at least {ITEMSET_TARGET:g}x faster than mlxtend (ratio to the fastest "
              "seqmine itemset miner).", ""]
    body = []
    for row in rows:
        _, best = fastest(row, ITEMSETS)
        _, best_cpu = fastest(row, ITEMSETS, "cpu_s")
        counts = {(_summary(row, contender("seqmine", m)) or {}).get("patterns")
                  for m in ITEMSETS} - {None}
        peer_cells = []
        for peer in item_peers:
            text = cell(row, contender("peer", peer), best)
            peer_cpu = seconds_of(row, contender("peer", peer), "cpu_s")
            if peer_cpu is not None:
                text += f", CPU {fmt_ratio(peer_cpu, best_cpu)}"
            peer_cells.append(text)
        body.append([*_level_cells(row), ", ".join(f"{c:,}" for c in sorted(counts)) or "n/a",
                     *[cell(row, contender("seqmine", m)) for m in ITEMSETS], *peer_cells])
    lines += _table(["data set", "minsup", "itemsets", *ITEMSETS,
                     *[f"{p} s (÷ fastest seqmine, wall, CPU)" for p in item_peers]], body)

    lines += _targets(rows, seq)
    lines += _compile_lines(compiled)
    lines += _memory_lines(rows)
    lines += ["## Peers and their conventions", ""]
    for key in (rows[0]["order"] if rows else []):
        kind, name = split_contender(key)
        if kind == "peer":
            mod = adapter(name)
            lines.append(f"- **{label(key)}** (`{mod.PACKAGE}`): {mod.NOTE}.")
    lines += ["- **SPMF** (Java) figures are copied from the shared README; the machine there "
              "was of this kind, but the runs were not these.", ""]
    if meta["notes"]:
        lines += ["## Notes", ""] + [f"- {n}" for n in meta["notes"]] + [""]
    return "\n".join(lines)


def target_verdicts(row: dict[str, Any], seq: list[str]) -> dict[str, dict[str, bool]]:
    """Issue 4's targets at one level, judged on wall and on CPU time ({} where a side is
    missing): auto within AUTO_TARGET of the fastest other sequential miner; closed and
    maximal at least CONDENSED_TARGET times faster than SPMF's reference; the fastest itemset
    miner at least ITEMSET_TARGET times faster than mlxtend (a mlxtend time-out counts when the
    limit itself is that far above)."""
    others = tuple(m for m in seq if m != "auto")
    out: dict[str, dict[str, bool]] = defaultdict(dict)
    for field, side in (("seconds", "wall"), ("cpu_s", "cpu")):
        auto = seconds_of(row, contender("seqmine", "auto"), field)
        best = fastest(row, others, field)[1]
        if auto is not None and best is not None:
            out["auto"][side] = auto <= AUTO_TARGET * best
        for name, ref_s in (("closed", row["closed_ref_s"]), ("maximal", row["maximal_ref_s"])):
            mine_s = seconds_of(row, contender("seqmine", name), field)
            if ref_s is not None and mine_s:
                out[name][side] = ref_s / mine_s >= CONDENSED_TARGET
        item_best = fastest(row, ITEMSETS, field)[1]
        mlx = seconds_of(row, contender("peer", "mlxtend"), field)
        mlx_status = (_summary(row, contender("peer", "mlxtend")) or {}).get("status")
        if item_best and mlx is not None:
            out["itemsets"][side] = mlx / item_best >= ITEMSET_TARGET
        elif item_best and mlx_status == "timeout":
            out["itemsets"][side] = row["timeout_s"] / item_best >= ITEMSET_TARGET
    return out


def _targets(rows: list[dict[str, Any]], seq: list[str]) -> list[str]:
    """Issue 4's targets, per data set: how many levels meet each, on wall and CPU time."""
    per: dict[str, dict[str, dict[str, list[bool]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list)))
    for row in rows:
        for target, sides in target_verdicts(row, seq).items():
            for side, met in sides.items():
                per[row["dataset"]][target][side].append(met)

    def score(sides: dict[str, list[bool]]) -> str:
        return " ; ".join(f"{sum(sides[s])}/{len(sides[s])}" if sides.get(s) else "n/a"
                          for s in ("wall", "cpu"))

    lines = ["## Issue 4 targets (levels meeting each, per data set: wall ; CPU time)", "",
             f"auto ≤ {AUTO_TARGET}x the fastest other seqmine miner; closed and maximal ≥ "
             f"{CONDENSED_TARGET:g}x faster than SPMF's reference (a wall time measured elsewhere: "
             f"with this machine's load, the CPU column is the fairer one); itemsets ≥ "
             f"{ITEMSET_TARGET:g}x faster than mlxtend (a mlxtend time-out counts when the "
             "time-out itself is that far above seqmine).", ""]
    body = [[name] + [score(d[t]) for t in ("auto", "closed", "maximal", "itemsets")]
            for name, d in per.items()]
    return lines + _table(["data set", "auto within 1.2x", "closed ≤ ½ CM-ClaSP",
                           "maximal ≤ ½ VMSP", "itemsets ≥ 20x mlxtend"], body, n_left=5)


def _compile_lines(compiled: dict[str, Any]) -> list[str]:
    if not compiled:
        return ["## First-call compile time", "", "Not measured in this run (`--compile none`, "
                "the default with `--quick`).", ""]
    how = ("each miner in a fresh process with an empty Numba cache" if compiled["isolated"]
           else "all miners one after the other in one fresh process with an empty Numba "
                "cache (a kernel shared with a miner above is already compiled)")
    lines = ["## First-call compile time", "",
             f"At {compiled['level']}, {how}: the first call (compile + run) against the second "
             "(warm), wall seconds (CPU in brackets). Numba caches the compiled kernels on disk, "
             "so this is paid once per machine and seqmine version.", ""]
    body = []
    read = compiled["miners"].get("read")
    if read:
        body.append(["read_spmf", fmt_s(read["first_s"]), fmt_s(read["second_s"]),
                     fmt_s(read["first_s"] - read["second_s"])])
    for miner, d in compiled["miners"].items():
        if miner == "read":
            continue
        if d["status"] != "ok":
            body.append([miner, d["why"], "", ""])
            continue
        body.append([miner, f"{fmt_s(d['first_s'])} ({fmt_s(d['first_cpu_s'])})",
                     f"{fmt_s(d['second_s'])} ({fmt_s(d['second_cpu_s'])})",
                     f"{fmt_s(d['compile_s'])} ({fmt_s(d['compile_cpu_s'])})"])
    return lines + _table(["miner", "first call s", "second call s", "compile s"], body,
                          n_left=1)


def _baseline(rows: list[dict[str, Any]]) -> str:
    """The range of the seqmine workers' resident size when ready, over the data sets."""
    sizes = [r["worker"]["rss_mib"] for r in rows if r.get("worker")]
    if not sizes:
        return "n/a"
    return f"{min(sizes):.0f}-{max(sizes):.0f}"


def _memory_lines(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return []
    keys = [k for k in rows[0]["order"] if any(k in r["contenders"] for r in rows)]
    lines = ["## Peak memory (MiB) and load", "",
             "seqmine: what the call added to its worker's resident size at its peak (the "
             "worker itself, with the database read and every miner's kernels loaded, held "
             f"{_baseline(rows)} MiB); peers: peak resident size of their whole process (its "
             "Python, the converted input and the miner).", ""]
    body = []
    for row in rows:
        cells = _level_cells(row)
        for key in keys:
            s = _summary(row, key)
            field = "growth_mib" if key.startswith("seqmine:") else "peak_mib"
            value = s.get(field) if s and s["status"] == "ok" else None
            cells.append("" if value is None else f"{value:.0f}")
        body.append([*cells, row["load"]])
    return lines + _table(["data set", "minsup", *[label(k) for k in keys], "load average"],
                          body)


def plot(data: dict[str, Any], path: Path) -> bool:
    """Seconds per level, log scale, one line per contender and data set: sequential miners
    and peers above (with SPMF's reference), the condensed and itemset miners below."""
    plt = harness.pyplot()
    rows = data["rows"]
    if plt is None or not rows:
        return False
    order = rows[0]["order"]
    sequential = [k for k in order if (split_contender(k)[1] in SEQUENTIAL
                                       if k.startswith("seqmine:")
                                       else adapter(split_contender(k)[1]).KIND == "sequential")]
    others = [k for k in order if k not in sequential]
    segments: dict[str, list[int]] = defaultdict(list)  # data set -> row indexes
    for i, row in enumerate(rows):
        segments[row["dataset"]].append(i)
    fig, axes = plt.subplots(2, 1, figsize=(max(9, 0.6 * len(rows) + 3), 9), sharex=True)
    panels = ((axes[0], [(label(k), k) for k in sequential],
               [("SPMF fastest, own (ref)", "spmf_own_s")], "sequential patterns"),
              (axes[1], [(label(k), k) for k in others],
               [("SPMF CM-ClaSP (ref)", "closed_ref_s"), ("SPMF VMSP (ref)", "maximal_ref_s")],
               "closed / maximal / top-k / itemsets"))
    for ax, series, references, title in panels:
        for n, (name, key) in enumerate(series):
            measured = key.startswith("seqmine:")
            for first, idx in enumerate(segments.values()):
                ax.plot(idx, [seconds_of(rows[i], key) or float("nan") for i in idx],
                        "-" if measured else "--", marker="o" if measured else "s",
                        markersize=4, color=f"C{n % 10}",
                        label=None if first else ("seqmine " if measured else "") + name)
        for n, (name, field) in enumerate(references):
            for first, idx in enumerate(segments.values()):
                ax.plot(idx, [rows[i][field] or float("nan") for i in idx], ":",
                        marker="x", color=("black", "grey")[n], label=None if first else name)
        ax.set_yscale("log")
        ax.set_ylabel("seconds (log)")
        ax.set_title(title, fontsize=9)
        ax.legend(fontsize=7, ncol=4)
        ax.grid(alpha=0.3)
    axes[1].set_xticks(range(len(rows)))
    axes[1].set_xticklabels([f"{r['dataset']}\n{r['percent']}%" for r in rows], fontsize=7)
    fig.suptitle("seqmine miners vs peers, warm, one thread (missing point: time-out, failure "
                 "or not run)", fontsize=10)
    fig.tight_layout()
    harness.save_figure(fig, path)
    return True


def write_outputs(folder: Path, stem: str, data: dict[str, Any], quiet: bool = False) -> None:
    harness.write_results(folder, stem, data, markdown, plot, quiet=quiet)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve"]:
        serve_dataset(argv[1])
        return 0
    if argv[:1] == ["--first"]:
        import json
        path, percent, k, miners = argv[1:5]
        print(json.dumps(first_calls(path, percent, int(k), miners.split(","))))
        return 0
    if argv[:1] == ["--render"]:
        import json
        source = Path(argv[1])
        write_outputs(source.parent, source.stem, json.loads(source.read_text()))
        return 0
    parser = argparse.ArgumentParser(prog="python -m benchmarks run miners",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", help="comma-separated data sets of the reference table "
                        f"(default: all; {QUICK_DATASETS} with --quick)")
    parser.add_argument("--miners", default=",".join(MINERS),
                        help=f"seqmine miners (default: all of {','.join(MINERS)})")
    parser.add_argument("--peers", default=None,
                        help=f"peers, '' for none (default: all of {','.join(PEERS)}; "
                             "without pyspark under --quick)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="interleaved rounds per level (default 3; 2 with --quick)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds per run of any contender (default 120; 20 with --quick)")
    parser.add_argument("--memory-gib", type=float, default=8.0,
                        help="address-space cap of every measured process")
    parser.add_argument("--peer-levels", default=DEFAULT_PEER_LEVELS,
                        help="run a slow peer at the highest N levels of each data set only "
                             f"(default {DEFAULT_PEER_LEVELS}; '' for every level)")
    parser.add_argument("--peer-datasets", help="run a slow peer on these data sets only, "
                        "e.g. gsppy:SIGN+KOSARAK10K")
    parser.add_argument("--compile", choices=("isolated", "shared", "none"), default=None,
                        help="first-call compile measurement (default isolated; none with "
                             "--quick: compiling every miner takes minutes on 2 cores)")
    parser.add_argument("--quick", action="store_true",
                        help=f"highest level of {QUICK_DATASETS}, 2 rounds, 20 s time-out, "
                             "no compile run, no pyspark; writes miners-quick.*")
    parser.add_argument("--results-dir", default=str(harness.RESULTS))
    parser.add_argument("--note", action="append", default=[],
                        help="a sentence for the report's notes (repeatable)")
    args = parser.parse_args(argv)
    args.argv = argv
    if args.quick and args.datasets is None:
        args.datasets = QUICK_DATASETS
    if args.repeat is None:
        args.repeat = 2 if args.quick else 3
    if args.timeout is None:
        args.timeout = 20.0 if args.quick else 120.0
    if args.compile is None:
        args.compile = "none" if args.quick else "isolated"
    if args.peers is None:
        args.peers = ",".join(p for p in PEERS if not (args.quick and p == "pyspark"))
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
