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
import json
import math
import os
import platform
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED_SPM = Path(os.environ.get("SEQMINE_SPM_DIR", ROOT.parent / "shared" / "datasets" / "spm"))
RESULTS = ROOT / "benchmarks" / "results"


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
        if self.status == "timeout":
            return "timeout"
        if self.status == "oom":
            return "out of memory"
        if self.status == "crash":
            sig = -(self.returncode or 0)
            try:
                return f"crash ({signal.Signals(sig).name})"
            except ValueError:
                return f"crash (signal {sig})"
        tail = [ln for ln in self.stderr.strip().splitlines() if ln.strip()]
        return "error: " + (tail[-1][:120] if tail else f"exit {self.returncode}")


_OOM_MARKERS = ("MemoryError", "std::bad_alloc", "bad_alloc", "Cannot allocate memory",
                "out of memory")


def measure(cmd: Sequence[str], *, timeout: float | None = None, env: dict[str, str] | None = None,
            memory_limit_bytes: int | None = None, cwd: Path | None = None) -> Measured:
    """Run ``cmd`` in a new session; kill the whole group at ``timeout`` seconds.

    ``memory_limit_bytes`` caps the child's address space (RLIMIT_AS), so a runaway peer fails
    with an allocation error instead of pushing the shared machine into swap.
    """

    def limit() -> None:  # runs in the child between fork and exec
        if memory_limit_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit_bytes, memory_limit_bytes))

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=err, env=env, cwd=cwd or ROOT,
                                start_new_session=True, preexec_fn=limit)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

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
        # leftovers of the child's group (a peer's own helpers) go too
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    rc = proc.returncode
    if timed_out.is_set():
        state = "timeout"
    elif rc == 0:
        state = "ok"
    elif any(m in stderr for m in _OOM_MARKERS) or (memory_limit_bytes and rc == -signal.SIGABRT
                                                     and "alloc" in stderr):
        state = "oom"
    elif rc is not None and rc < 0:
        state = "crash"
    else:
        state = "error"
    return Measured(state, rc, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
                    stdout, stderr)


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
                        r"\s*([^|]*)\|\s*([^|]*)\|")
_SPMF_CELL = re.compile(r"^\s*([\w-]+)\s+([\d.]+)\s*s\s*$")


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
                                whole_algo, whole_s))
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


def machine_line() -> str:
    import numba
    import numpy
    return (f"{cpu_model()}, {os.cpu_count()} CPUs, {memory_gib():.0f} GiB RAM, "
            f"{platform.system()} {platform.machine()}, Python {platform.python_version()}, "
            f"numpy {numpy.__version__}, numba {numba.__version__}")


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
