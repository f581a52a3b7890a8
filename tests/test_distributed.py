"""Dask-distributed PrefixSpan: the same PatternSet as the local run, on a LocalCluster of two
worker processes, for in-memory and Parquet input, in both mining modes (whole database per
worker; distributed rounds with small projected databases mined locally), with budgets,
streaming progress and a worker killed mid-run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

distributed = pytest.importorskip("distributed")

import dask  # noqa: E402
from distributed.diagnostics.plugin import SchedulerPlugin  # noqa: E402

import seqmine  # noqa: E402
from seqmine import BudgetExceededError, InputError, SequenceDatabase, mine  # noqa: E402
from seqmine.mining import distributed as dmine  # noqa: E402
from seqmine.options import Constraints  # noqa: E402
from tests import strategies  # noqa: E402
from tests.conftest import spm_file  # noqa: E402

pytestmark = pytest.mark.dask

# Forces distributed rounds on small data, as Spark's tests set maxLocalProjDBSize = 16.
TINY = 16
WHOLE = 10**12


def _random_db(seed: int, n: int = 300, n_items: int = 12, itemsets: bool = True,
               max_events: int = 9) -> SequenceDatabase:
    rng = np.random.default_rng(seed)
    seqs = []
    for _ in range(n):
        events = []
        for _ in range(rng.integers(1, max_events)):
            k = int(rng.integers(1, 3)) if itemsets else 1
            events.append(tuple(rng.choice(n_items, size=k, replace=False).tolist()))
        seqs.append(events)
    return SequenceDatabase.from_sequences(seqs)


# Sized for a loaded 2-core machine: a worker process starved of CPU for a while must not
# read as dead (comm timeouts); a killed worker's nanny must be left to restart it however
# long that takes (LocalCluster closes the nanny of a worker that has not come back within
# lost-worker-timeout, 15 s by default); nothing here needs the 10 ms profiler.
_CLUSTER_CONFIG = {
    "distributed.comm.timeouts.connect": "120s",
    "distributed.comm.timeouts.tcp": "300s",
    "distributed.deploy.lost-worker-timeout": "600s",
    "distributed.worker.profile.enabled": False,
}
_WAIT_S = 180


@pytest.fixture(scope="module")
def cluster():
    """One LocalCluster of two single-threaded worker processes for the whole module."""
    with dask.config.set(_CLUSTER_CONFIG):
        # Compile the kernels once, in this process, before two worker processes would each
        # compile them at the same time (they then load Numba's on-disk cache).
        with distributed.Client(processes=False, n_workers=1, dashboard_address=":0") as warm:
            db = _random_db(0, n=40)
            for size in (WHOLE, TINY):
                for window in ({}, {"max_gap": 2}):
                    dmine.prefixspan_dask(db, 3, client=warm, max_local_size=size,
                                          constraints=Constraints(**window))
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=":0") as cl:
            yield cl


@pytest.fixture(scope="module")
def client(cluster):
    with distributed.Client(cluster, timeout=_WAIT_S) as c:
        c.wait_for_workers(2, timeout=_WAIT_S)
        yield c


def _dask(db, minsup, client, max_local_size=WHOLE, **options):
    return dmine.prefixspan_dask(db, minsup, client=client, max_local_size=max_local_size,
                                 constraints=Constraints(**options))


# Dask's client thread uses the `random` module while examples are drawn; Hypothesis would
# take that for a strategy doing so and warn.
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
@settings(max_examples=10)
@given(data=strategies.databases(max_sequences=10, max_events=6, max_items=5,
                                 with_times=True),
       min_count=strategies.minsups(3), options=strategies.constraints(max_items=5),
       use_times=st.booleans(), max_local_size=st.sampled_from([TINY, WHOLE]))
def test_identical_to_local_on_generated_data(client, data, min_count, options, use_times,
                                              max_local_size):
    seqs, times = data
    if use_times:
        options = {**options, "gap_unit": "time"}
    else:
        times = None
    db = strategies.to_db(seqs, times)
    expected = mine(db, min_count, algorithm="prefixspan", **options)
    got = _dask(db, min_count, client, max_local_size, **options)
    assert got == expected
    assert (got.n_sequences, got.min_count, got.options) == \
        (expected.n_sequences, expected.min_count, expected.options)


@pytest.mark.parametrize("options", [{}, {"max_gap": 2, "max_span": 4},
                                     {"must_contain": (3,), "max_length": 4}])
@pytest.mark.parametrize("max_local_size", [40, WHOLE])
def test_identical_in_every_mode(client, options, max_local_size):
    """Several distributed levels (40 items), or the whole database on each worker."""
    db = _random_db(1)
    expected = mine(db, 12, **options)
    assert len(expected) > 30
    assert _dask(db, 12, client, max_local_size, **options) == expected


def test_shared_spmf_data_set(client):
    db = seqmine.SequenceDatabase.from_spmf(spm_file("BMS1.txt.gz"))
    expected = mine(db, 0.002)
    assert len(expected) == 798
    for size in (WHOLE, 50_000):
        assert _dask(db, 0.002, client, size) == expected


def _write_log(root, seed=0, strings=True):
    """A log with equal timestamps and the rows of one user spread over files and hive
    partitions (items as strings or ints)."""
    db = _random_db(seed, n=200, itemsets=False)
    table = db.to_arrow()
    rng = np.random.default_rng(seed)
    n = table.num_rows
    items = table["item_id"].to_pylist()
    table = pa.table({
        "user_id": table["user_id"],
        "item_id": pa.array([f"p{v}" for v in items]) if strings else table["item_id"],
        "timestamp": pa.array(rng.integers(0, 6, n)),
    })
    day = rng.integers(0, 3, n)
    for d in range(3):
        part = table.filter(pa.array(day == d))
        (root / f"day={d}").mkdir(parents=True)
        half = part.num_rows // 2
        pq.write_table(part.slice(0, half), root / f"day={d}" / "a.parquet")
        pq.write_table(part.slice(half), root / f"day={d}" / "b.parquet")


@pytest.mark.parametrize("itemsets", ["event", "timestamp"])
@pytest.mark.parametrize("max_local_size", [400, WHOLE])
def test_parquet_folder_read_by_the_workers(client, tmp_path, itemsets, max_local_size):
    # integer ids take the counting-sort bucket builder, strings build_database's
    _write_log(tmp_path / "log", strings=itemsets == "timestamp")
    local_db = seqmine.read_events(tmp_path / "log", itemsets=itemsets)
    expected = mine(local_db, 8, max_gap=3)
    source = dmine.ParquetSource(tmp_path / "log", itemsets=itemsets)
    got = _dask(source, 8, client, max_local_size, max_gap=3)
    assert got == expected  # includes the codebook: the union of the buckets' items
    assert got.n_sequences == local_db.n_sequences


def test_parquet_file_order_and_partition_key(client, tmp_path):
    """time=None keeps file order; the sequence key may be a hive partition column."""
    _write_log(tmp_path / "log", strings=False)
    for sequence in ("user_id", "day"):
        local_db = seqmine.read_events(tmp_path / "log", sequence=sequence, time=None)
        expected = mine(local_db, 2, max_length=2, max_gap=2)
        got = _dask(dmine.ParquetSource(tmp_path / "log", sequence=sequence, time=None), 2,
                    client, max_length=2, max_gap=2)
        assert got == expected


def test_parquet_errors_are_input_errors(client, tmp_path):
    _write_log(tmp_path / "log")
    with pytest.raises(InputError, match="missing column"):
        _dask(dmine.ParquetSource(tmp_path / "log", item="sku"), 2, client)
    with pytest.raises(InputError, match="no such file"):
        _dask(tmp_path / "nope", 2, client)


def test_mine_dispatches_to_dask(client):
    db = _random_db(2)
    expected = mine(db, 15, max_size=3)
    assert mine(db, 15, max_size=3, backend="dask", client=client) == expected
    with pytest.raises(InputError, match="backend"):
        mine(db, 15, backend="spark")
    with pytest.raises(InputError, match="prefixspan"):
        mine(db, 15, algorithm="gsp", backend="dask", client=client)


def test_pattern_budget(client):
    db = _random_db(3)
    full = mine(db, 10)
    for size in (WHOLE, TINY):
        with pytest.raises(BudgetExceededError, match="max_patterns") as info:
            dmine.prefixspan_dask(db, 10, client=client, max_local_size=size,
                                  budget=seqmine.Budget(max_patterns=25), return_partial=True)
        partial = info.value.partial
        assert len(partial) == 25
        assert set(partial.as_dict().items()) <= set(full.as_dict().items())


def test_balanced_chunks():
    """Contiguous root ranges (results stay in token order) of about equal cost, heaviest
    first, covering every root once."""
    cost = np.array([3, 1, 100, 2, 1, 1, 4, 1, 1, 2], np.int64)
    chunks = dmine._balanced_chunks(cost, 4)
    assert sorted(np.concatenate(chunks).tolist()) == list(range(len(cost)))
    assert all((np.diff(c) == 1).all() for c in chunks)
    weights = [int((cost[c] + 1).sum()) for c in chunks]
    assert weights == sorted(weights, reverse=True)
    assert 2 in chunks[0]
    assert len(chunks) > 2  # the light roots are not lumped into one chunk


def test_results_stream_back_with_progress(client):
    seen = []
    db = _random_db(4)
    got = dmine.prefixspan_dask(db, 12, client=client, max_local_size=100,
                                on_result=lambda done, total: seen.append((done, total)))
    assert got == mine(db, 12)
    assert [d for d, _ in seen] == list(range(1, len(seen) + 1))
    assert seen[-1][0] == seen[-1][1] > 1


def test_cli_source(tmp_path):
    _write_log(tmp_path / "log")
    source = dmine.cli_source(tmp_path / "log", None, "item_id", "timestamp", "event")
    assert source == dmine.ParquetSource(tmp_path / "log", None, "item_id", "timestamp",
                                         "event")
    assert not dmine.items_are_integers(source)  # the log's items are strings
    assert dmine.cli_source("sample", None, "item_id", "timestamp", "event") is None
    assert dmine.items_are_integers(_random_db(0, n=3))


def _cli(*args):
    from click.testing import CliRunner

    from seqmine.cli.main import cli
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_cli_mines_a_folder_on_the_cluster(cluster, tmp_path):
    """``seqmine mine DIR --scheduler ADDRESS``: the workers read the folder, string item
    ids in --must-contain stay strings, and the output equals the local command's."""
    _write_log(tmp_path / "log")
    common = ["mine", tmp_path / "log", "--minsup", "6", "--max-gap", "3",
              "--must-contain", "p3"]
    local = _cli(*common, "-o", tmp_path / "local.parquet")
    remote = _cli(*common, "--scheduler", cluster.scheduler_address,
                  "-o", tmp_path / "dask.parquet")
    assert local.exit_code == remote.exit_code == 0, remote.output
    expected = seqmine.PatternSet.read_parquet(tmp_path / "local.parquet")
    assert len(expected) > 10
    assert seqmine.PatternSet.read_parquet(tmp_path / "dask.parquet") == expected
    assert "prefixspan" in remote.output


def test_cli_local_cluster_and_errors(tmp_path):
    """``--workers N`` starts (and closes) a LocalCluster; options it cannot honour fail
    with a message, before any cluster starts."""
    path = tmp_path / "db.txt"
    _random_db(6, n=60).to_spmf(path)
    local = _cli("mine", path, "--minsup", "5", "-o", tmp_path / "local.parquet")
    remote = _cli("mine", path, "--minsup", "5", "--workers", "1",
                  "-o", tmp_path / "dask.parquet")
    assert local.exit_code == remote.exit_code == 0, remote.output
    assert seqmine.PatternSet.read_parquet(tmp_path / "dask.parquet") == \
        seqmine.PatternSet.read_parquet(tmp_path / "local.parquet")
    for extra, message in [(["--scheduler", "tcp://127.0.0.1:1", "--workers", "2"], "not both"),
                           (["--workers", "2", "--closed"], "--closed runs locally"),
                           (["--workers", "2", "-a", "gsp"], "prefixspan")]:
        result = _cli("mine", path, "--minsup", "5", *extra)
        assert result.exit_code == 2
        assert message in result.output


def test_missing_dask_names_the_extra():
    code = ("import sys; sys.modules['distributed'] = None\n"
            "try:\n    import seqmine.mining.distributed\n"
            "except ImportError as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert "seqmine[dask]" in out.stdout


class _KillOnce(SchedulerPlugin):
    """Runs in the scheduler (in this process): SIGKILLs the victim's worker process the
    first time a task of ``stage`` is assigned to it (a deterministic kill point: the victim
    then holds partitions and has work in flight), and records where that task finished."""

    def __init__(self, scheduler, address: str, pid: int, stage: str) -> None:
        self.scheduler, self.address, self.pid = scheduler, address, pid
        self.stage = f"seqmine-{stage}"  # keys are seqmine-<stage>-<run token>-<n>
        self.killed_key = None
        self.finished_on: set[str] = set()

    def transition(self, key, start, finish, *args, stimulus_id, **kwargs):
        ts = self.scheduler.tasks.get(key)
        if ts is None:
            return
        if (self.killed_key is None and finish == "processing"
                and str(key).rsplit("-", 2)[0] == self.stage
                and ts.processing_on is not None and ts.processing_on.address == self.address):
            self.killed_key = key
            os.kill(self.pid, signal.SIGKILL)
        elif key == self.killed_key and finish == "memory":
            self.finished_on = {ws.address for ws in ts.who_has}


def _replaced(client, nanny, old_address: str) -> None:
    """Wait until the nanny's new worker process has joined and the dead one is gone."""
    deadline = time.monotonic() + _WAIT_S
    while True:
        workers = client.scheduler_info(n_workers=-1)["workers"]
        if (len(workers) == 2 and old_address not in workers
                and nanny.worker_address in workers):
            return
        assert time.monotonic() < deadline, "the killed worker was not replaced in time"
        time.sleep(0.2)


# Last in the module: each case costs a worker restart.
@pytest.mark.parametrize(("stage", "max_local_size"),
                         [("mine", WHOLE), ("mine", 1000), ("count", 1000)])
def test_worker_killed_mid_run(cluster, client, stage, max_local_size):
    """A worker process dies when it is given its first task of ``stage``: that task and the
    partitions, projections and databases the worker held are recomputed on the other
    worker from their lineage, and the result is identical."""
    db = _random_db(5, n=600, n_items=15, max_events=10)  # 1000: two distributed levels
    expected = mine(db, 12)
    name = sorted(cluster.workers)[0]
    nanny = cluster.workers[name]
    address, pid = nanny.worker_address, nanny.process.pid
    plugin = _KillOnce(cluster.scheduler, address, pid, stage)
    cluster.scheduler.add_plugin(plugin, name="seqmine-kill-once")
    try:
        got = dmine.prefixspan_dask(db, 12, client=client, max_local_size=max_local_size)
    finally:
        cluster.scheduler.remove_plugin(name="seqmine-kill-once")
    assert plugin.killed_key is not None  # the kill point was reached ...
    assert plugin.finished_on  # ... and the task it had was run again,
    assert address not in plugin.finished_on  # on the other worker
    assert got == expected
    _replaced(client, nanny, address)
    assert nanny.process.pid != pid
