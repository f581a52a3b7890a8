"""Shared benchmark plumbing: measured subprocesses, the shared SPM reference table, the
machine description and small formatting helpers.

Every measured run happens in its own child process, started here: wall time comes from the
parent's clock, CPU time and peak resident memory (``ru_maxrss``) from ``os.wait4`` on that
child alone, so the figures of two runs never mix and a crashing or hanging peer cannot take
the benchmark down with it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import importlib.metadata
import json
import math
import os
import platform
import re
import resource
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
SHARED_SPM = Path(os.environ.get("SEQMINE_SPM_DIR", ROOT.parent / "shared" / "datasets" / "spm"))
RESULTS = ROOT / "benchmarks" / "results"
#: three sequences: enough to make every miner load (or compile) its kernels
TINY_SPMF = b"1 -1 2 -1 3 -1 -2\n1 -1 3 -1 2 -1 -2\n2 -1 1 -1 3 -1 -2\n"


# --- measured child processes ------------------------------------------------------------------
@dataclasses.dataclass
class Measured:
    """One child process: how it ended and what it cost."""

    status: str  # "ok", "timeout", "oom", "crash", "error"
    returncode: int | None
    wall_s: float
    cpu_s: float
    maxrss_mib: float
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def json(self) -> dict[str, Any]:
        """The last stdout line that parses as a JSON object (workers print one)."""
        for line in reversed(self.stdout.strip().splitlines()):
            line = line.strip()
            if line.startswith("{"):
                try:
                    value = json.loads(line)
                except ValueError:
                    continue
                if isinstance(value, dict):
                    return value
        raise ValueError("the child printed no JSON result line")

    def why(self) -> str:
        """A one-line reason for a failure, for tables and logs."""
        return failure_reason(self.status, self.returncode, self.stderr)


def failure_reason(status: str, returncode: int | None, stderr: str) -> str:
    """'timeout', 'out of memory', 'crash (SIGSEGV)' or 'error: <last stderr line>'."""
    if status == "timeout":
        return "timeout"
    if status == "oom":
        return "out of memory"
    if status == "crash":
        sig = -(returncode or 0)
        try:
            return f"crash ({signal.Signals(sig).name})"
        except ValueError:
            return f"crash (signal {sig})"
    tail = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    return "error: " + (tail[-1][:120] if tail else f"exit {returncode}")


_OOM_MARKERS = ("MemoryError", "std::bad_alloc", "bad_alloc", "Cannot allocate memory",
                "out of memory")


def _limiter(memory_limit_bytes: int | None) -> Callable[[], None] | None:
    """A preexec_fn capping the child's address space (RLIMIT_AS), so a runaway process fails
    with an allocation error instead of pushing the shared machine into swap."""
    if not memory_limit_bytes:
        return None

    def limit() -> None:  # runs in the child between fork and exec
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit_bytes, memory_limit_bytes))
    return limit


def classify(returncode: int | None, stderr: str, *, timed_out: bool,
             memory_limited: bool) -> str:
    """How a child ended: "timeout", "ok", "oom", "crash" (killed by a signal) or "error"."""
    if timed_out:
        return "timeout"
    if returncode == 0:
        return "ok"
    if any(m in stderr for m in _OOM_MARKERS) or (memory_limited and returncode == -signal.SIGABRT
                                                 and "alloc" in stderr):
        return "oom"
    if returncode is not None and returncode < 0:
        return "crash"
    return "error"


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def measure(cmd: Sequence[str], *, timeout: float | None = None, env: dict[str, str] | None = None,
            memory_limit_bytes: int | None = None, cwd: Path | None = None) -> Measured:
    """Run ``cmd`` in a new session; kill the whole group at ``timeout`` seconds.

    ``memory_limit_bytes`` caps the child's address space (see :func:`_limiter`).
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=err, env=env, cwd=cwd or ROOT,
                                start_new_session=True,
                                preexec_fn=_limiter(memory_limit_bytes))
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            _kill_group(proc.pid)

        timer = threading.Timer(timeout, kill) if timeout else None
        if timer is not None:
            timer.daemon = True
            timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            if timer is not None:
                timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        _kill_group(proc.pid)  # leftovers of the child's group (a peer's own helpers) go too
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    state = classify(proc.returncode, stderr, timed_out=timed_out.is_set(),
                     memory_limited=bool(memory_limit_bytes))
    return Measured(state, proc.returncode, wall, usage.ru_utime + usage.ru_stime,
                    usage.ru_maxrss / 1024, stdout, stderr)


# --- long-lived workers --------------------------------------------------------------------------
REPLY_PREFIX = "@@bench "


@dataclasses.dataclass
class Reply:
    """One answer of a :class:`Worker`: how the request ended, the parent's wall clock for it,
    and the worker's JSON figures (empty unless status is "ok")."""

    status: str  # "ok", "timeout", "oom", "crash", "error"
    wall_s: float
    data: dict[str, Any]
    why: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class Worker:
    """A child process that answers JSON requests, one line each, under a time limit per request.

    The child runs :func:`serve`: it prints a ready line when started (its start-up figures),
    then one reply line per request. A request that runs past its limit kills the child's whole
    process group and reports "timeout"; a child that dies reports "crash", "oom" or "error".
    Either way the next request starts a fresh child, so one slow or crashing miner never
    takes the others down with it, and the data are read once per child, not per request.
    """

    def __init__(self, cmd: Sequence[str], *, env: dict[str, str] | None = None,
                 memory_limit_bytes: int | None = None, start_timeout: float = 600.0) -> None:
        self.cmd = list(cmd)
        self.env = env
        self.memory_limit_bytes = memory_limit_bytes
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts: list[Reply] = []  # the ready line of every start, in order
        self._err: IO[str] | None = None
        self._buffer = b""

    def call(self, request: dict[str, Any], timeout: float) -> Reply:
        """Send ``request`` and wait at most ``timeout`` seconds for its reply."""
        if self.proc is None:
            ready = self._start()
            if not ready.ok:
                return ready
        assert self.proc is not None
        assert self.proc.stdin is not None
        start = time.perf_counter()
        try:
            self.proc.stdin.write((json.dumps(request) + "\n").encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            return self._ended(start, timed_out=False)
        return self._reply(start, timeout)

    def close(self) -> None:
        """End the child (it is also ended at a time-out or when it dies)."""
        if self.proc is not None:
            _kill_group(self.proc.pid)
            self.proc.wait()
            for pipe in (self.proc.stdin, self.proc.stdout):
                if pipe is not None:
                    with contextlib.suppress(OSError):  # a dead child's pipe may be broken
                        pipe.close()
            self.proc = None
        if self._err is not None:
            self._err.close()
            self._err = None

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> Reply:
        self.close()
        self._err = tempfile.TemporaryFile("w+")  # noqa: SIM115 - lives as long as the child
        self._buffer = b""
        start = time.perf_counter()
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._err, env=self.env, cwd=ROOT,
                                     start_new_session=True,
                                     preexec_fn=_limiter(self.memory_limit_bytes))
        ready = self._reply(start, self.start_timeout)
        self.starts.append(ready)
        return ready

    def _reply(self, start: float, timeout: float) -> Reply:
        assert self.proc is not None
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = start + timeout
        while True:
            while b"\n" in self._buffer:
                line, self._buffer = self._buffer.split(b"\n", 1)
                text = line.decode(errors="replace")
                if not text.startswith(REPLY_PREFIX):
                    continue  # stray output of the child
                data = json.loads(text[len(REPLY_PREFIX):])
                wall = time.perf_counter() - start
                if data.pop("ok"):
                    return Reply("ok", wall, data)
                return Reply("error", wall, {}, "error: " + str(data.get("error", "?"))[:160])
            left = deadline - time.perf_counter()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return self._ended(start, timed_out=True)
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return self._ended(start, timed_out=False)
            self._buffer += chunk

    def _ended(self, start: float, *, timed_out: bool) -> Reply:
        """The child is gone (or is killed now): how it ended, and a fresh start next time."""
        assert self.proc is not None
        assert self._err is not None
        _kill_group(self.proc.pid)
        returncode = self.proc.wait()
        self._err.seek(0)
        stderr = self._err.read()
        status = classify(returncode, stderr, timed_out=timed_out,
                          memory_limited=bool(self.memory_limit_bytes))
        if status == "ok":  # exited 0 without answering
            status = "error"
        self.close()
        return Reply(status, time.perf_counter() - start, {},
                     failure_reason(status, returncode, stderr))


def serve(start: Callable[[], dict[str, Any]],
          handle: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """The child side of :class:`Worker`: ``start()`` once (its figures are the ready line),
    then ``handle(request)`` for each request line on stdin, each answer one reply line.
    An exception in ``handle`` is answered as an error and the child goes on."""

    def answer(ok: bool, data: dict[str, Any]) -> None:
        sys.stdout.write(REPLY_PREFIX + json.dumps({"ok": ok, **data}) + "\n")
        sys.stdout.flush()

    answer(True, start())
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            result = handle(json.loads(line))
        except Exception as exc:  # reported to the parent, which goes on
            answer(False, {"error": f"{type(exc).__name__}: {exc}"})
        else:
            answer(True, result)


# --- interleaved rounds --------------------------------------------------------------------------
def interleaved(names: Sequence[str], rounds: int,
                run: Callable[[str, int], dict[str, Any]], *,
                repeat_below_s: float) -> dict[str, list[dict[str, Any]]]:
    """Run every contender once per round, in the same order each round (A B C A B C ...), so
    a drift of the shared machine's load hits all of them alike and cancels in the ratios.

    ``run(name, round)`` returns a dict with "status" and, when "ok", "seconds". A contender
    whose last run failed (time-out, crash ...) or took ``repeat_below_s`` seconds or more is
    not run again: its figures come from the runs it has.
    """
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for rnd in range(rounds):
        for name in names:
            done = results[name]
            if done and (done[-1]["status"] != "ok" or done[-1]["seconds"] >= repeat_below_s):
                continue
            done.append(run(name, rnd))
    return results


# --- inside a measuring child --------------------------------------------------------------------
def status_kib(field: str) -> int | None:
    """A field of /proc/self/status in KiB (VmRSS, VmHWM), or None where there is none."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak() -> bool:
    """Reset VmHWM to the current resident size (Linux >= 4.0); False where that fails."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def n_signatures() -> int:
    """Compiled specialisations over every seqmine kernel loaded so far (a change across a
    timed call means something compiled inside it)."""
    from numba.core.registry import CPUDispatcher
    seen: dict[int, int] = {}
    for name, module in list(sys.modules.items()):
        if name.startswith("seqmine._kernels") and module is not None:
            for value in vars(module).values():
                if isinstance(value, CPUDispatcher):
                    seen[id(value)] = len(value.signatures)
    return sum(seen.values())


def timed_call(fn: Callable[[], Any]) -> tuple[Any, dict[str, float | bool]]:
    """``fn()`` and what it cost in this process: wall and CPU seconds, the peak resident size
    during the call (MiB) and its growth over the size before the call."""
    import gc
    gc.collect()
    rss = status_kib("VmRSS") or 0
    exact = reset_peak()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    result = fn()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    peak = status_kib("VmHWM") or 0
    return result, {"wall_s": wall, "cpu_s": cpu, "peak_mib": peak / 1024,
                    "growth_mib": max(0, peak - rss) / 1024, "exact_peak": exact}


def run_peer(peer: str, path: Path, min_count: int, *, env: dict[str, str], timeout: float,
             memory_limit_bytes: int) -> dict[str, Any]:
    """One run of a peer adapter (``python -m benchmarks.peers``) in its own process group,
    working directory and TMPDIR (removed afterwards: a killed peer leaves files there), under
    a time limit and an address-space cap. Returns its figures, or how it failed."""
    from benchmarks.peers import adapter
    env = dict(env, **getattr(adapter(peer), "ENV", {}))  # a peer's own settings, if any
    with tempfile.TemporaryDirectory(prefix=f"seqmine-bench-{peer}-") as tmp:
        run = measure([sys.executable, "-m", "benchmarks.peers", peer, str(path), str(min_count)],
                      timeout=timeout, env=dict(env, TMPDIR=tmp), cwd=Path(tmp),
                      memory_limit_bytes=memory_limit_bytes)
    if run.ok:
        r = run.json()
        return {**r, "status": "ok", "process_s": run.wall_s, "maxrss_mib": run.maxrss_mib}
    return {"status": run.status, "why": run.why(), "process_s": run.wall_s,
            "maxrss_mib": run.maxrss_mib, "stderr": run.stderr[-600:]}


def python_env(**extra: str) -> dict[str, str]:
    """The environment for child Pythons: the repository on the path, no stray threads."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH")
                                      else "")
    env.setdefault("PYTHONHASHSEED", "0")
    env.update(extra)
    return env


def seqmine_command() -> list[str]:
    """The installed ``seqmine`` console script (the real one, not a version-manager shim,
    whose start-up is not seqmine's), else ``python -m seqmine.cli.main``."""
    script = Path(sys.executable).parent / "seqmine"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "seqmine.cli.main"]


# --- the shared SPM reference table -----------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Condensed:
    """A closed or maximal cell of the reference table: "1,928 in 0.68 s", or a text such as
    "not run" or "timeout (>60 s)" (then patterns and seconds are None)."""

    text: str
    patterns: int | None
    seconds: float | None


@dataclasses.dataclass(frozen=True)
class Level:
    """One row of the spm README's table "Benchmark levels, reference pattern counts"."""

    dataset: str
    percent: str            # as written, e.g. "0.07" for 0.07 %
    min_count: int
    patterns: int
    spmf_own_algo: str
    spmf_own_s: float | None
    spmf_whole_algo: str
    spmf_whole_s: float | None
    closed: Condensed | None = None   # SPMF's CM-ClaSP (closed) on this level
    maximal: Condensed | None = None  # SPMF's VMSP (maximal) on this level

    @property
    def relative(self) -> float:
        return float(self.percent) / 100.0

    @property
    def label(self) -> str:
        return f"{self.percent}%"

    @property
    def path(self) -> Path:
        return SHARED_SPM / f"{self.dataset}.txt.gz"


_LEVEL_ROW = re.compile(r"^\|\s*(\w+)\s*\|\s*([\d.]+)%\s*\|\s*(\d+)\s*\|\s*([\d,]+)\s*\|"
                        r"\s*([^|]*)\|\s*([^|]*)\|(?:([^|]*)\|([^|]*)\|)?")
_SPMF_CELL = re.compile(r"^\s*([\w-]+)\s+([\d.]+)\s*s\s*$")
_CONDENSED_CELL = re.compile(r"^\s*([\d,]+)\s+in\s+([\d.]+)\s*s\s*$")


def _condensed_cell(text: str | None) -> Condensed | None:
    if text is None or not text.strip():
        return None
    m = _CONDENSED_CELL.match(text)
    if m:
        return Condensed(text.strip(), int(m.group(1).replace(",", "")), float(m.group(2)))
    return Condensed(text.strip(), None, None)


def _spmf_cell(text: str) -> tuple[str, float | None]:
    m = _SPMF_CELL.match(text)
    return (m.group(1), float(m.group(2))) if m else (text.strip(), None)


def reference_levels() -> list[Level]:
    """Every level of the shared README's table, in its order; [] when shared/ is absent."""
    readme = SHARED_SPM / "README.md"
    if not readme.is_file():
        return []
    levels = []
    for line in readme.read_text(encoding="utf-8").splitlines():
        m = _LEVEL_ROW.match(line)
        if m:
            own_algo, own_s = _spmf_cell(m.group(5))
            whole_algo, whole_s = _spmf_cell(m.group(6))
            levels.append(Level(m.group(1), m.group(2), int(m.group(3)),
                                int(m.group(4).replace(",", "")), own_algo, own_s,
                                whole_algo, whole_s, _condensed_cell(m.group(7)),
                                _condensed_cell(m.group(8))))
    return levels


# --- the machine ---------------------------------------------------------------------------------
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("nan")


def load_average() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def git_state() -> str:
    """HEAD commit and whether seqmine/ has uncommitted changes (the tree is shared)."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                                  check=False, timeout=20).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "seqmine")
    return head + (" + uncommitted changes in seqmine/" if dirty else "")


def seqmine_source_stamp() -> float:
    """Newest modification time under seqmine/ (to notice edits during a long run)."""
    newest = 0.0
    for path in (ROOT / "seqmine").rglob("*.py"):
        with contextlib.suppress(OSError):
            newest = max(newest, path.stat().st_mtime)
    return newest


def version_of(distribution: str) -> str | None:
    """The installed version of a distribution, without importing it; None if absent."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def machine() -> dict[str, Any]:
    """What every result records about where and when it was measured."""
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "memory_gib": round(memory_gib(), 1),
            "os": f"{platform.system()} {platform.machine()}",
            "load_average": load_average(), "python": platform.python_version(),
            **{name: version_of(name) or "not installed"
               for name in ("numpy", "numba", "torch")},
            "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
            "git": git_state()}


def machine_line(info: dict[str, Any] | None = None) -> str:
    """The machine description as one line (``info`` from :func:`machine`, or now)."""
    m = info or machine()
    return (f"{m['cpu']}, {m['cores']} CPUs, {m['memory_gib']:.0f} GiB RAM, {m['os']}, "
            f"load average {m['load_average']} (1/5/15 min), Python {m['python']}, "
            f"numpy {m['numpy']}, numba {m['numba']}, torch {m['torch']}; {m['date']}; "
            f"seqmine {m['git']}")


def write_text(path: Path, text: str) -> None:
    """Write a result file atomically (a reader never sees half of it)."""
    from seqmine.io.atomic import atomic_path
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")


def write_json(path: Path, data: Any) -> None:
    write_text(path, json.dumps(data, indent=1, default=str) + "\n")


def pyplot() -> Any:
    """matplotlib's pyplot on the Agg backend, or None without matplotlib (no plots then)."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save_figure(fig: Any, path: Path) -> None:
    """Save a figure as PNG atomically and free it."""
    from seqmine.io.atomic import atomic_path
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    pyplot().close(fig)


def write_results(folder: Path, stem: str, data: dict[str, Any],
                  markdown: Callable[[dict[str, Any]], str],
                  plot: Callable[[dict[str, Any], Path], bool], *, quiet: bool = False) -> None:
    """A suite's outputs, each written atomically: <stem>.json (every figure and the machine),
    <stem>.md (``markdown(data)``) and <stem>.png (``plot``; skipped without matplotlib)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / f"{stem}.json", data)
    write_text(folder / f"{stem}.md", markdown(data))
    wrote = [f"{stem}.json", f"{stem}.md"]
    if plot(data, folder / f"{stem}.png"):
        wrote.append(f"{stem}.png")
    if not quiet:
        print(f"wrote {', '.join(str(folder / w) for w in wrote)}", file=sys.stderr)


def failure_lines(failures: list[str]) -> list[str]:
    """The Markdown that heads a report whose run failed (nothing when it did not)."""
    if not failures:
        return []
    return ["", "**FAILURES IN THIS RUN (it exited 1):**", "", *[f"- {f}" for f in failures], ""]


def spm_missing(suite: str) -> bool:
    """True (with a message) when the shared SPM data sets are absent: the suite is skipped."""
    if (SHARED_SPM / "README.md").is_file():
        return False
    print(f"{suite} benchmark skipped: {SHARED_SPM} (the shared SPM data sets) is not present; "
          "set SEQMINE_SPM_DIR to its location", file=sys.stderr)
    return True


# --- numbers -------------------------------------------------------------------------------------
def median(values: Sequence[float]) -> float | None:
    values = [v for v in values if v is not None and not math.isnan(v)]
    return statistics.median(values) if values else None


def fmt_s(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def fmt_ratio(num: float | None, den: float | None, lower_bound: bool = False) -> str:
    if num is None or den is None or den <= 0:
        return "n/a"
    r = num / den
    text = f"{r:.0f}x" if r >= 10 else f"{r:.1f}x" if r >= 1 else f"{r:.2f}x"
    return (">" + text) if lower_bound else text
