"""Closed, maximal and top-k sequential patterns: equal to post-filters of the brute-force
set (itemsets, constraints), hand-worked BIDE cases, search-time pruning, n_jobs
determinism, budgets, clear refusals, and the SPMF reference counts (CM-ClaSP, VMSP)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqmine import BudgetExceededError, InputError, SequenceDatabase, mine
from seqmine.mining.condensed import closed, maximal, top_k
from tests import strategies
from tests.reference import brute_force as bf

WINDOW = ("min_gap", "max_gap", "max_span")


def P(*itemsets):  # noqa: N802 - reads like the pattern notation <{..} {..}>
    return tuple(tuple(sorted(a)) for a in itemsets)


# --- contract: post-filters of the brute-force set ---------------------------------------------
@given(seqs=strategies.databases(max_sequences=8, max_events=6, max_items=5),
       min_count=strategies.minsups())
def test_closed_and_maximal_match_brute_force(seqs, min_count):
    db = strategies.to_db(seqs)
    frequent = bf.frequent_patterns(seqs, min_count)
    assert closed(db, min_count).as_dict() == bf.closed(frequent)
    assert maximal(db, min_count).as_dict() == bf.maximal(frequent)


@given(seqs=strategies.databases(max_sequences=10, max_events=8, max_items=6,
                                 max_itemset_size=1),
       min_count=strategies.minsups())
def test_single_item_events(seqs, min_count):
    """The benchmark data's shape: one item per event, BackScan pruning at work."""
    db = strategies.to_db(seqs)
    frequent = bf.frequent_patterns(seqs, min_count)
    assert closed(db, min_count).as_dict() == bf.closed(frequent)
    assert maximal(db, min_count).as_dict() == bf.maximal(frequent)


@given(seqs=strategies.databases(max_sequences=6, max_events=4, max_items=4),
       min_count=strategies.minsups(3), options=strategies.constraints(max_items=4))
def test_closed_and_maximal_within_the_constrained_family(seqs, min_count, options):
    """Closed/maximal among the patterns the constraints allow; gaps/span are refused."""
    db = strategies.to_db(seqs)
    window = [k for k in WINDOW if k in options]
    if window:
        for miner in (closed, maximal):
            with pytest.raises(InputError, match=window[0]):
                miner(db, min_count, **options)
        options = {k: v for k, v in options.items() if k not in WINDOW}
    family = bf.frequent_patterns(seqs, min_count, **options)
    assert closed(db, min_count, **options).as_dict() == bf.closed(family)
    assert maximal(db, min_count, **options).as_dict() == bf.maximal(family)


@given(data=strategies.databases(max_sequences=8, max_events=5, max_items=4,
                                 with_times=True),
       k=st.integers(1, 15), min_count=strategies.minsups(2),
       options=strategies.constraints(max_items=4), use_times=st.booleans())
def test_top_k_matches_brute_force_with_every_constraint(data, k, min_count, options,
                                                         use_times):
    seqs, times = data
    run_options = {**options, "gap_unit": "time"} if use_times else options
    db = strategies.to_db(seqs, times if use_times else None)
    family = bf.frequent_patterns(seqs, min_count, times=times if use_times else None,
                                  **options)
    got = top_k(db, k, minsup=min_count, **run_options)
    assert got.as_dict() == bf.top_k(family, k)


@given(seqs=strategies.databases(max_sequences=10, max_events=6, max_items=5),
       k=st.integers(1, 40))
def test_top_k_without_a_floor(seqs, k):
    got = top_k(strategies.to_db(seqs), k)
    want = bf.top_k(bf.frequent_patterns(seqs, 1), k)
    assert got.as_dict() == want
    assert len(got) >= min(k, len(bf.frequent_patterns(seqs, 1)))


# --- hand-worked cases ---------------------------------------------------------------------------
def test_backward_extension_beyond_the_first_instance():
    # <1> is in both sequences; <2 1> too, though in the first only after the first 1
    db = SequenceDatabase.from_sequences([[1, 2, 1], [2, 1]])
    assert closed(db, 2).as_dict() == {P([2], [1]): 2}
    assert maximal(db, 2).as_dict() == {P([2], [1]): 2}


def test_item_added_inside_an_earlier_itemset():
    # <{1} {3}> always comes with 2 beside its 1: <{1,2} {3}> has the same support
    seqs = [[(1, 2), 3], [(1, 2), 5, 3], [1, 4]]
    got = closed(SequenceDatabase.from_sequences(seqs), 2).as_dict()
    assert got == {P([1]): 3, P([1, 2], [3]): 2}
    assert got == bf.closed(bf.frequent_patterns(
        [[e if isinstance(e, tuple) else (e,) for e in s] for s in seqs], 2))


def test_item_below_the_last_itemsets_items():
    # <{2}> always holds 1 too: the closure adds an item smaller than the last one
    seqs = [[(1, 2)], [(1, 2), 3]]
    assert closed(SequenceDatabase.from_sequences(seqs), 2).as_dict() == {P([1, 2]): 2}


def test_max_length_keeps_the_longest_family_members():
    seqs = [[1, 2, 3]] * 2
    db = SequenceDatabase.from_sequences(seqs)
    assert closed(db, 2).as_dict() == {P([1], [2], [3]): 2}
    assert closed(db, 2, max_length=2).as_dict() == {
        P([1], [2]): 2, P([1], [3]): 2, P([2], [3]): 2}
    assert maximal(db, 2, max_size=1).as_dict() == {P([1]): 2, P([2]): 2, P([3]): 2}


def test_top_k_ties_at_the_kth_support_are_all_kept():
    db = SequenceDatabase.from_sequences([[1, 2], [1, 2], [3], [4]])
    got = top_k(db, 2).as_dict()
    assert got == {P([1]): 2, P([2]): 2, P([1], [2]): 2}  # three tied at support 2
    assert top_k(db, 4).as_dict() == {**got, P([3]): 1, P([4]): 1}
    assert len(top_k(db, 100)) == 5  # fewer patterns than k: all of them
    assert top_k(db, 1, minsup=3).as_dict() == {}
    assert top_k(db, 2).min_count == 2  # the k-th support


def test_back_scan_prunes_during_the_search():
    """Every sequence holds 9 before its 1: no pattern starting with 1 is closed, and the
    kernel never even outputs the 1-subtree (it is pruned at its root)."""
    from seqmine._kernels import condensed as kcondensed
    from seqmine._kernels import projection
    from seqmine.mining.prepare import prepare
    from seqmine.options import Constraints

    rng = np.random.default_rng(0)
    seqs = [[9, 1, *rng.integers(2, 6, size=4).tolist()] for _ in range(30)]
    db = SequenceDatabase.from_sequences(seqs)
    p = prepare(db, 3, Constraints())
    index = projection.inverted_index(p.seq_ptr, p.evt_ptr, p.items, p.n_items)
    root = np.array([np.flatnonzero(p.original_code == db.codebook.code_of([1])[0])[0]],
                    np.int32)
    big = 1 << 60
    status, parent, *_ = kcondensed.grow(
        p.seq_ptr, p.evt_ptr, p.items, p.coord, p.n_items, *index, root, 3, True, False,
        kcondensed.CLOSED, True, big, big, p.required, 0, big, big, np.zeros(1, np.int8))
    assert status == 0
    assert len(parent) == 0
    assert all(pat[0] != (1,) for pat in closed(db, 3).as_dict())
    assert len(mine(db, 3)) > 50


# --- determinism, budgets, errors ---------------------------------------------------------------
def _random_db(seed: int, n: int = 300, n_items: int = 12, itemsets: bool = True):
    rng = np.random.default_rng(seed)
    seqs = []
    for _ in range(n):
        events = []
        for _ in range(rng.integers(1, 9)):
            k = int(rng.integers(1, 3)) if itemsets else 1
            events.append(tuple(rng.choice(n_items, size=k, replace=False).tolist()))
        seqs.append(events)
    return SequenceDatabase.from_sequences(seqs)


@pytest.mark.parametrize("itemsets", [True, False])
def test_output_identical_for_any_n_jobs(itemsets):
    db = _random_db(0, itemsets=itemsets)
    runs = [lambda j: closed(db, 12, n_jobs=j), lambda j: maximal(db, 12, n_jobs=j),
            lambda j: top_k(db, 150, n_jobs=j), lambda j: top_k(db, 60, max_gap=2, n_jobs=j)]
    for run in runs:
        one = run(1)
        assert len(one) > 20
        for jobs in (2, 3):
            assert run(jobs) == one


def test_results_agree_with_post_filters_of_prefixspan():
    db = _random_db(5, n=200, itemsets=True)
    frequent = mine(db, 10).as_dict()
    assert closed(db, 10).as_dict() == bf.closed(frequent)
    assert maximal(db, 10).as_dict() == bf.maximal(frequent)
    everything = mine(db, 1).as_dict()
    assert top_k(db, 300).as_dict() == bf.top_k(everything, 300)


def test_pattern_budget_stops_with_partial():
    db = _random_db(2)
    full = closed(db, 10)
    for miner in (closed, maximal):
        with pytest.raises(BudgetExceededError, match="max_patterns") as info:
            miner(db, 10, max_patterns=5, return_partial=True)
        assert len(info.value.partial) == 5
    assert set(closed(db, 10, max_patterns=len(full)).as_dict().items()) == \
        set(full.as_dict().items())
    with pytest.raises(BudgetExceededError):
        top_k(db, 50, max_patterns=10)


def test_memory_budget_stops_cleanly():
    db = _random_db(3, n=3000)
    for run in (lambda: closed(db, 2, max_memory=1 << 20),
                lambda: maximal(db, 2, max_memory=1 << 20),
                lambda: top_k(db, 10**6, max_memory=1 << 20)):
        with pytest.raises(BudgetExceededError, match="memory budget"):
            run()


def test_clear_errors():
    db = SequenceDatabase.from_sequences([[1, 2]])
    for miner in (closed, maximal):
        for name in WINDOW:
            with pytest.raises(InputError, match=name):
                miner(db, 1, **{name: 2})
        with pytest.raises(InputError, match="minsup"):
            miner(db, 0)
        with pytest.raises(InputError, match="SequenceDatabase"):
            miner([[1, 2]], 1)
    for k in (0, -1, 1.5, True, None):
        with pytest.raises(InputError, match="k must be"):
            top_k(db, k)
    with pytest.raises(InputError, match="must_contain"):
        closed(db, 1, must_contain="ab")


def test_empty_and_absent_items():
    db = SequenceDatabase.from_sequences([[1], [2]])
    for miner in (closed, maximal):
        assert len(miner(db, 2)) == 0
        assert len(miner(db, 1, must_contain=[42])) == 0
        assert miner(db, 1, exclude=[42]) == miner(db, 1)
    assert top_k(db, 3).as_dict() == {P([1]): 1, P([2]): 1}


def test_options_are_recorded():
    db = _random_db(4, n=50)
    assert closed(db, 5).options["algorithm"] == "closed"
    assert maximal(db, 5, max_length=3).options["max_length"] == 3
    got = top_k(db, 10)
    assert got.options["algorithm"] == "top_k"
    assert got.options["k"] == 10


# --- SPMF reference counts ---------------------------------------------------------------------
SPM = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "spm"
_ROW = re.compile(r"^\|\s*(\w+)\s*\|\s*([\d.]+)%\s*\|\s*(\d+)\s*\|.*\|\s*([^|]*)\|\s*([^|]*)\|\s*$")
_COUNT = re.compile(r"^([\d,]+) in")
# levels that run in well under a second here; the rest are marked slow
QUICK = {("SIGN", 0.3), ("BMS1", 0.001), ("KOSARAK10K", 0.005)}


def reference_rows() -> list[tuple[str, float, str, int]]:
    readme = SPM / "README.md"
    if not readme.exists():
        return []
    rows = []
    for line in readme.read_text().splitlines():
        m = _ROW.match(line)
        if not m:
            continue
        name, pct, _, closed_text, maximal_text = m.groups()
        for kind, text in (("closed", closed_text), ("maximal", maximal_text)):
            count = _COUNT.match(text.strip())
            if count:
                rows.append((name, float(pct) / 100, kind, int(count[1].replace(",", ""))))
    return rows


@lru_cache(maxsize=2)
def database(name: str):
    from seqmine.data.spmf import read_spmf
    return read_spmf(SPM / f"{name}.txt.gz")


ROWS = reference_rows()


def test_reference_columns_are_readable():
    if not SPM.exists():
        pytest.skip("../shared/datasets/spm is not present (fresh clone without shared data)")
    assert sum(kind == "closed" for *_, kind, _ in ROWS) >= 10
    assert sum(kind == "maximal" for *_, kind, _ in ROWS) >= 10


@pytest.mark.parametrize(
    ("name", "relative", "kind", "count"),
    [pytest.param(*row, marks=() if row[:2] in QUICK else pytest.mark.slow)
     for row in ROWS],
    ids=[f"{r[0]}-{r[1]:g}-{r[2]}" for r in ROWS])
def test_matches_spmf_reference_counts(name, relative, kind, count):
    miner = closed if kind == "closed" else maximal
    assert len(miner(database(name), relative)) == count
