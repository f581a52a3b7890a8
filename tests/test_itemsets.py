"""Frequent itemsets and association rules: every algorithm equals the brute-force
enumeration and each other, agrees with mlxtend on random data, meets its budgets, keeps its
context through Parquet, and the ``seqmine itemsets`` command writes what the API returns."""

from __future__ import annotations

import math
import warnings
from itertools import combinations
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from seqmine import BudgetExceededError, InputError, SequenceDatabase
from seqmine.mining import itemsets as itemsets_module
from seqmine.mining.itemsets import (
    ITEMSET_ALGORITHMS,
    RULE_COLUMNS,
    RULE_METRICS,
    ItemsetTable,
    association_rules,
    itemsets,
)
from tests import strategies
from tests.reference import brute_force as bf


def transactions_of(seqs, per_event: bool):
    if per_event:
        return [set(event) for seq in seqs for event in seq]
    return [set().union(*map(set, seq)) for seq in seqs]


# --- contract ------------------------------------------------------------------------------------
@pytest.mark.parametrize("algorithm", [*ITEMSET_ALGORITHMS, "eclat-lists"])
@given(seqs=strategies.databases(max_sequences=10, max_events=5, max_items=7),
       min_count=strategies.minsups(), max_len=st.none() | st.integers(1, 3),
       per_event=st.booleans())
def test_matches_brute_force(algorithm, seqs, min_count, max_len, per_event):
    """"eclat-lists": Eclat with its bitset path off, so its tid-list / diffset path is
    checked on the same small databases."""
    db = strategies.to_db(seqs)
    with mock.patch.object(itemsets_module, "_ECLAT_BITSET_MAX",
                           0 if algorithm == "eclat-lists" else
                           itemsets_module._ECLAT_BITSET_MAX):
        got = itemsets(db, min_count, algorithm=algorithm.split("-")[0], max_len=max_len,
                       transactions="event" if per_event else "sequence")
    want = bf.frequent_itemsets(transactions_of(seqs, per_event), min_count, max_len)
    assert got.as_dict() == want
    assert got.n_transactions == len(transactions_of(seqs, per_event))


def _random_db(seed: int, n: int = 400, n_items: int = 25, density: float = 0.3):
    rng = np.random.default_rng(seed)
    weights = rng.random(n_items) ** 2
    seqs = []
    for _ in range(n):
        events = []
        for _ in range(rng.integers(1, 5)):
            chosen = np.flatnonzero(rng.random(n_items) < weights * density)
            events.append(tuple(chosen.tolist()) or (int(rng.integers(n_items)),))
        seqs.append(events)
    return SequenceDatabase.from_sequences(seqs)


@pytest.mark.parametrize("per_event", [False, True])
def test_all_algorithms_return_the_same_table(per_event):
    db = _random_db(0)
    mode = "event" if per_event else "sequence"
    minsup = 0.01 if per_event else 0.05
    tables = [itemsets(db, minsup, algorithm=a, transactions=mode)
              for a in ITEMSET_ALGORITHMS]
    assert len(tables[0]) > 100
    for table in tables[1:]:
        assert table == tables[0]
    # canonical order: count descending, then length, then items
    assert np.all(np.diff(tables[0].count) <= 0)


@pytest.mark.parametrize("algorithm", ITEMSET_ALGORITHMS)
def test_identical_for_any_n_jobs(algorithm):
    db = _random_db(1)
    one = itemsets(db, 0.04, algorithm=algorithm)
    for jobs in (2, 3):
        assert itemsets(db, 0.04, algorithm=algorithm, n_jobs=jobs) == one


def test_relative_minsup_counts_transactions():
    seqs = [[(1, 2), (3,)], [(1,), (2,)], [(3,)]]
    db = SequenceDatabase.from_sequences(seqs)
    per_sequence = itemsets(db, 0.5)               # ceil(0.5 * 3 sequences) = 2
    assert per_sequence.min_count == 2
    assert per_sequence.as_dict() == {frozenset({1}): 2, frozenset({2}): 2,
                                      frozenset({3}): 2, frozenset({1, 2}): 2}
    per_event = itemsets(db, 0.5, transactions="event")  # ceil(0.5 * 5 events) = 3
    assert per_event.min_count == 3
    assert per_event.n_transactions == 5
    assert per_event.as_dict() == {}


@given(rows=st.lists(st.sets(st.integers(0, 300), min_size=0, max_size=6), max_size=40),
       counts=st.data())
def test_canonical_order_equals_the_pattern_comparator(rows, counts):
    """The vectorised itemset sort equals the general pattern comparator (count desc,
    size, items), including item codes too wide to pack many to a word."""
    from seqmine._kernels.patterns import canonical_order
    from seqmine.mining.itemsets import canonical_itemset_order
    items = np.array([x for r in rows for x in sorted(r)], np.int32)
    ptr = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
    count = np.array(counts.draw(st.lists(st.integers(1, 4), min_size=len(rows),
                                          max_size=len(rows))), np.int64)
    got = canonical_itemset_order(count, ptr, items)
    want = canonical_order(count, np.arange(len(rows) + 1), ptr, items)
    assert np.array_equal(got, want)


@pytest.mark.parametrize("bitset_max", [0, 4096])
def test_eclat_dense_and_wide_classes(bitset_max):
    """Dense data (diffsets after the first level, or bitsets) and a first-level class wider
    than the kernel's initial member buffers: Eclat equals FP-growth and the closed-form
    count, on either path."""
    rng = np.random.default_rng(5)
    block = list(range(12))                      # in every one of 30 transactions
    seqs = [[tuple(block + rng.choice(np.arange(12, 40), 3, replace=False).tolist())]
            for _ in range(30)]
    seqs += [[tuple(range(100, 400))], [tuple(range(100, 400))]]  # 300 items, 2 rows
    db = SequenceDatabase.from_sequences(seqs)
    with mock.patch.object(itemsets_module, "_ECLAT_BITSET_MAX", bitset_max):
        dense = itemsets(db, 30, algorithm="eclat")
        wide = itemsets(db, 2, algorithm="eclat", max_len=2)
    assert len(dense) == 2 ** 12 - 1
    assert dense == itemsets(db, 30, algorithm="fpgrowth")
    assert wide == itemsets(db, 2, algorithm="fpgrowth", max_len=2)
    assert sum(1 for s, _ in wide if min(s) >= 100) == 300 + 300 * 299 // 2


# --- mlxtend -------------------------------------------------------------------------------------
def _mlxtend_frame(db: SequenceDatabase):
    import pandas as pd
    rows = [sorted(set(x for event in db[i] for x in event)) for i in range(len(db))]
    items = sorted({x for row in rows for x in row})
    return pd.DataFrame([[x in row for x in items] for row in rows], columns=items)


@pytest.mark.parametrize("seed", range(4))
def test_agrees_with_mlxtend(seed):
    mlxtend = pytest.importorskip("mlxtend.frequent_patterns")
    db = _random_db(seed, n=150, n_items=10, density=0.6)
    frame = _mlxtend_frame(db)
    minsup = 0.1 + 0.05 * seed
    theirs = mlxtend.fpgrowth(frame, min_support=minsup, use_colnames=True)
    ours = itemsets(db, minsup)
    assert ours.as_dict() == {s: round(v * len(db)) for s, v in
                              zip(theirs["itemsets"], theirs["support"], strict=True)}
    ours_frame = ours.to_pandas()
    assert list(ours_frame.columns[:2]) == ["support", "itemsets"]
    for metric, threshold in [("confidence", 0.6), ("lift", 1.05), ("leverage", 0.01),
                              ("conviction", 1.1), ("jaccard", 0.3),
                              ("zhangs_metric", 0.1), ("certainty", 0.1),
                              ("kulczynski", 0.5), ("support", 0.15)]:
        with warnings.catch_warnings():
            # mlxtend divides by zero for a consequent in every transaction, then masks it
            warnings.simplefilter("ignore", RuntimeWarning)
            their_rules = mlxtend.association_rules(theirs, num_itemsets=len(db),
                                                    metric=metric, min_threshold=threshold)
        our_rules = association_rules(ours, metric=metric, min_threshold=threshold)
        ours_df = our_rules.to_pandas()
        assert list(ours_df.columns[:len(RULE_COLUMNS)]) == list(RULE_COLUMNS)
        mine_by_key = {(a, c): row for a, c, row in
                       zip(ours_df["antecedents"], ours_df["consequents"],
                           ours_df.to_dict("records"), strict=True)}
        theirs_by_key = {(a, c): row for a, c, row in
                         zip(their_rules["antecedents"], their_rules["consequents"],
                             their_rules.to_dict("records"), strict=True)}
        # a rule exactly at the threshold may fall either side of it by float rounding
        near = {key for key, row in {**mine_by_key, **theirs_by_key}.items()
                if math.isclose(row[metric], threshold, rel_tol=1e-9, abs_tol=1e-12)}
        assert set(mine_by_key) - near == set(theirs_by_key) - near, metric
        for key in set(mine_by_key) & set(theirs_by_key):
            for column in RULE_COLUMNS[2:]:
                a, b = mine_by_key[key][column], theirs_by_key[key][column]
                if column == "conviction" and max(a, b) > 1e9:
                    continue  # confidence 1 up to rounding: inf on one side, huge on the other
                assert a == pytest.approx(b, rel=1e-9, abs=1e-12), (metric, column)


# --- rules by their definition -----------------------------------------------------------------
@given(seqs=strategies.databases(max_sequences=10, max_events=4, max_items=5),
       min_count=strategies.minsups(3),
       metric=st.sampled_from(RULE_METRICS), threshold=st.sampled_from([0.0, 0.3, 0.7, 1.0]))
def test_rules_follow_their_definition(seqs, min_count, metric, threshold):
    table = itemsets(strategies.to_db(seqs), min_count)
    counts = table.as_dict()
    n = table.n_transactions
    want = set()
    for itemset, n_ac in counts.items():
        for r in range(1, len(itemset)):
            for ant in combinations(sorted(itemset), r):
                a, c = frozenset(ant), itemset - frozenset(ant)
                s_ac, s_a, s_c = n_ac / n, counts[a] / n, counts[c] / n
                conf = n_ac / counts[a]
                value = {"support": s_ac, "confidence": conf, "lift": conf / s_c,
                         "leverage": s_ac - s_a * s_c,
                         "conviction": math.inf if conf >= 1 else (1 - s_c) / (1 - conf),
                         "jaccard": s_ac / (s_a + s_c - s_ac),
                         "kulczynski": (conf + n_ac / counts[c]) / 2,
                         "antecedent support": s_a, "consequent support": s_c,
                         "representativity": 1.0}.get(metric)
                if metric == "zhangs_metric":
                    den = max(s_ac * (1 - s_a), s_a * (s_c - s_ac))
                    value = 0.0 if den == 0 else (s_ac - s_a * s_c) / den
                if metric == "certainty":
                    value = 0.0 if s_c == 1 else (conf - s_c) / (1 - s_c)
                if value >= threshold:
                    want.add((a, c))
    rules = association_rules(table, metric=metric, min_threshold=threshold)
    frame = rules.to_pandas()
    assert set(zip(frame["antecedents"], frame["consequents"], strict=True)) == want
    assert len(rules) == len(want)
    if len(rules):
        assert np.array_equal(frame["count"].to_numpy(),
                              [counts[a | c] for a, c in zip(frame["antecedents"],
                                                             frame["consequents"],
                                                             strict=True)])


def test_rule_table_shape_and_order():
    db = SequenceDatabase.from_sequences([[("a", "b", "c")], [("a", "b")], [("a", "c")]])
    rules = association_rules(itemsets(db, 1), min_threshold=0.0)
    frame = rules.to_pandas()
    assert list(frame.columns) == [*RULE_COLUMNS, "count", "antecedent count",
                                   "consequent count"]
    assert rules.n_transactions == 3
    assert rules.to_arrow().num_rows == len(rules)
    # per itemset, larger antecedents first
    first = frame[frame["antecedents"].map(len) + frame["consequents"].map(len) == 3]
    assert first["antecedents"].map(len).tolist() == [2, 2, 2, 1, 1, 1]
    row = frame[(frame["antecedents"] == frozenset({"b"}))
                & (frame["consequents"] == frozenset({"a"}))].iloc[0]
    assert row["confidence"] == 1.0
    assert row["conviction"] == math.inf
    assert row["support"] == pytest.approx(2 / 3)


# --- budgets, errors, persistence, CLI ------------------------------------------------------------
@pytest.mark.parametrize("algorithm", ITEMSET_ALGORITHMS)
def test_pattern_budget(algorithm):
    db = _random_db(2)
    full = itemsets(db, 0.05, algorithm=algorithm)
    with pytest.raises(BudgetExceededError, match="max_patterns") as info:
        itemsets(db, 0.05, algorithm=algorithm, max_patterns=20, return_partial=True)
    partial = info.value.partial
    assert len(partial) == 20
    assert set(partial.as_dict().items()) <= set(full.as_dict().items())
    assert itemsets(db, 0.05, algorithm=algorithm, max_patterns=len(full)) == full


@pytest.mark.parametrize("algorithm", ITEMSET_ALGORITHMS)
def test_memory_budget(algorithm):
    db = _random_db(3, n=3000, n_items=40, density=0.9)
    with pytest.raises(BudgetExceededError, match="memory budget"):
        itemsets(db, 2, algorithm=algorithm, max_memory=1 << 20)


def test_rule_budget():
    table = itemsets(_random_db(4), 0.05)
    with pytest.raises(BudgetExceededError, match="max_rules") as info:
        association_rules(table, min_threshold=0.0, max_rules=10)
    assert len(info.value.partial) >= 10


def test_clear_errors():
    db = SequenceDatabase.from_sequences([[1, 2]])
    for kwargs, word in [({"algorithm": "nope"}, "algorithm"),
                         ({"transactions": "user"}, "transactions"),
                         ({"max_len": 0}, "max_len"), ({"n_jobs": 0}, "n_jobs")]:
        with pytest.raises(InputError, match=word):
            itemsets(db, 1, **kwargs)
    for bad in (0, 1.5, "1"):
        with pytest.raises(InputError, match="minsup"):
            itemsets(db, bad)
    table = itemsets(db, 1)
    with pytest.raises(InputError, match="metric"):
        association_rules(table, metric="nope")
    with pytest.raises(InputError, match="ItemsetTable"):
        association_rules(table.to_pandas())
    with pytest.raises(InputError, match="min_threshold"):
        association_rules(table, min_threshold=float("nan"))


def test_empty_results():
    db = SequenceDatabase.from_sequences([[1], [2]])
    table = itemsets(db, 2)
    assert len(table) == 0
    assert list(table.to_pandas().columns[:2]) == ["support", "itemsets"]
    assert len(association_rules(table)) == 0


def test_parquet_round_trip(tmp_path: Path):
    db = SequenceDatabase.from_sequences([[("x", "y"), "z"], [("x", "z")], ["y"]])
    table = itemsets(db, 1, algorithm="eclat")
    table.to_parquet(tmp_path / "i.parquet")
    back = ItemsetTable.read_parquet(tmp_path / "i.parquet")
    assert back == table
    assert back.options["algorithm"] == "eclat"
    assert back.min_count == 1
    assert back[0] == frozenset({"x"}) or back[0] == frozenset({"y"}) or \
        back[0] == frozenset({"z"})
    rules = association_rules(table, min_threshold=0.5)
    rules.to_parquet(tmp_path / "r.parquet")
    import pyarrow.parquet as pq
    assert pq.read_table(tmp_path / "r.parquet").num_rows == len(rules)


def test_cli_writes_what_the_api_returns(tmp_path: Path):
    from seqmine.cli.itemset_commands import COMMANDS
    command = COMMANDS[0]
    source = tmp_path / "db.txt"
    source.write_text("1 -1 2 3 -1 4 -1 -2\n1 -1 3 -1 4 -1 -2\n1 2 -1 3 -1 -2\n")
    out, rules_out = tmp_path / "i.parquet", tmp_path / "r.csv"
    result = CliRunner().invoke(command, [str(source), "--minsup", "0.6", "-a", "apriori",
                                          "-o", str(out), "--rules", str(rules_out),
                                          "--min-threshold", "0.9"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    expected = itemsets(SequenceDatabase.from_spmf(source), 0.6)
    assert ItemsetTable.read_parquet(out).as_dict() == expected.as_dict()
    lines = rules_out.read_text().splitlines()
    assert lines[0].startswith("antecedents,consequents,antecedent support")
    assert len(lines) - 1 == len(association_rules(expected, min_threshold=0.9))
    printed = CliRunner().invoke(command, [str(source), "--minsup", "2"])
    assert printed.exit_code == 0
    assert "11 itemsets from 3 transactions" in printed.output
    bad = CliRunner().invoke(command, [str(source), "--minsup", "2", "-o",
                                       str(tmp_path / "x.txt")])
    assert bad.exit_code == 2
    assert "parquet" in bad.output


NO_JIT_SCRIPT = """
import warnings
warnings.simplefilter("error")
import seqmine
from seqmine.mining.condensed import closed, maximal, top_k
from seqmine.mining.itemsets import association_rules, itemsets
db = seqmine.SequenceDatabase.from_sequences(
    [[1, (2, 3), 4, 1], [1, 3, 4], [(1, 2), 3, 4], [4, 1, (2, 3)], [5, 1, 4]])
out = [sorted(closed(db, 2, n_jobs=2).as_dict().items()),
       sorted(maximal(db, 2).as_dict().items()),
       sorted(top_k(db, 5, max_gap=2).as_dict().items())]
for algorithm in ("fpgrowth", "apriori", "eclat"):
    table = itemsets(db, 2, algorithm=algorithm)
    out.append(sorted((sorted(k), v) for k, v in table.as_dict().items()))
rules = association_rules(itemsets(db, 2), min_threshold=0.5).to_pandas()
out.append(sorted(zip(map(sorted, rules.antecedents), map(sorted, rules.consequents),
                      rules["count"])))
print(out)
"""


def test_kernels_run_without_jit():
    """The condensed and itemset kernels also run as plain Python, warning-free and with the
    same results (the coverage run uses NUMBA_DISABLE_JIT=1)."""
    import os
    import subprocess
    import sys

    def run(extra):
        return subprocess.run([sys.executable, "-c", NO_JIT_SCRIPT], capture_output=True,
                              text=True, env={**os.environ, **extra}, check=True,
                              timeout=600).stdout

    assert run({"NUMBA_DISABLE_JIT": "1"}) == run({})
