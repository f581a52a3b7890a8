"""Rules: generation from patterns and partially-ordered growth against the naive reference,
RuleSet tables (order, selection, persistence), and the ``seqmine rules`` command."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import seqmine
from seqmine.errors import BudgetExceededError, FormatVersionError, InputError
from seqmine.rules import RuleSet, partially_ordered_rules, rules
from tests import strategies
from tests.reference import rules_naive

TINY = [[1, 2, 3], [1, 3], [2, 1, 3], [1, (2, 3)], [3, 1]]


def as_naive(rs: RuleSet) -> dict:
    """{(antecedent, consequent): (support, antecedent support, consequent support)}."""
    out = {}
    for r in range(len(rs)):
        key = rs[r]
        if rs.kind == "partially-ordered":
            key = (frozenset(key[0][0]), frozenset(key[1][0]))
        out[key] = (int(rs.support[r]), int(rs.antecedent_support[r]),
                    int(rs.consequent_support[r]))
    return out


def naive_db(seqs):
    return [[list(e) if isinstance(e, (list, tuple)) else [e] for e in s] for s in seqs]


# --- rules from patterns ----------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["next-item", "sequential"])
@given(db=strategies.databases(max_sequences=8, max_events=5, max_items=4),
       min_count=strategies.minsups(3), min_conf=st.sampled_from([0.0, 0.3, 0.7, 1.0]))
def test_rules_from_patterns_match_naive(kind, db, min_count, min_conf):
    patterns = seqmine.mine(strategies.to_db(db), min_count)
    got = rules(patterns, min_conf, kind=kind)
    assert as_naive(got) == rules_naive.sequential_rules(db, min_count, min_conf, kind=kind)


@given(db=strategies.databases(max_sequences=6, max_events=4, max_items=4),
       min_count=strategies.minsups(2), max_gap=st.integers(1, 2))
@settings(max_examples=25)
def test_rules_under_gap_constraints_match_naive(db, min_count, max_gap):
    patterns = seqmine.mine(strategies.to_db(db), min_count, max_gap=max_gap)
    got = rules(patterns, 0.0, kind="sequential")
    assert as_naive(got) == rules_naive.sequential_rules(db, min_count, 0.0, kind="sequential",
                                                         max_gap=max_gap)


@pytest.mark.parametrize("kind", ["next-item", "sequential"])
@given(data=strategies.databases(max_sequences=6, max_events=4, max_items=4, with_times=True),
       min_count=strategies.minsups(2), max_gap=st.integers(0, 3),
       max_span=st.one_of(st.none(), st.integers(0, 5)))
@settings(max_examples=25)
def test_rules_in_time_windows_match_naive(kind, data, min_count, max_gap, max_span):
    # durations on a database with real timestamps (seconds): gaps measured in time
    seqs, times = data
    plain = strategies.to_db(seqs, times)
    db = seqmine.SequenceDatabase(plain.arrays, plain.codebook, plain.sequence_ids, "s")
    window = {"max_gap": dt.timedelta(seconds=max_gap)}
    naive = {"max_gap": max_gap}
    if max_span is not None:
        window["max_span"] = dt.timedelta(seconds=max_span)
        naive["max_span"] = max_span
    got = rules(db, 0.0, kind=kind, minsup=min_count, **window)
    assert as_naive(got) == rules_naive.sequential_rules(seqs, min_count, 0.0, kind=kind,
                                                         times=times, **naive)


def test_measures_follow_design_formulas():
    db = seqmine.SequenceDatabase.from_sequences(TINY)
    rs = rules(seqmine.mine(db, 2), 0.0, kind="sequential")
    for r in range(len(rs)):
        a, c = rs[r]
        sup = rules_naive.brute_force.support(naive_db(TINY), a + c)
        sa = rules_naive.brute_force.support(naive_db(TINY), a)
        sc = rules_naive.brute_force.support(naive_db(TINY), c)
        assert rs.support[r] == sup
        assert rs.confidence[r] == pytest.approx(sup / sa)
        assert rs.lift[r] == pytest.approx(sup / sa / (sc / len(TINY)))
    # canonical order: confidence, then support, then lift, all descending
    keys = list(zip(-rs.confidence, -rs.support, -rs.lift, strict=False))
    assert keys == sorted(keys)


def test_next_item_rule_values():
    db = seqmine.SequenceDatabase.from_sequences(TINY)
    got = rules(seqmine.mine(db, 2), 0.0).as_dict()
    # 1 -> 3 in 4 of the 5 sequences ({2,3} after 1 holds 3); 1 occurs in all 5
    support, confidence, lift = got[(((1,),), ((3,),))]
    assert support == 4
    assert confidence == pytest.approx(4 / 5)
    assert lift == pytest.approx((4 / 5) / (5 / 5))


def test_limits_on_sides_and_lift():
    db = seqmine.SequenceDatabase.from_sequences(TINY)
    patterns = seqmine.mine(db, 1)
    full = rules(patterns, 0.0, kind="sequential")
    small = rules(patterns, 0.0, kind="sequential", max_antecedent=1, max_consequent=1,
                  min_lift=1.0)
    assert len(small) < len(full)
    assert (small.antecedent_length <= 1).all()
    assert (small.consequent_length <= 1).all()
    assert (small.lift >= 1.0).all()
    expected = full.filter(max_antecedent_length=1, max_consequent_length=1, min_lift=1.0)
    assert as_naive(small) == as_naive(expected)


def test_missing_subpatterns_need_the_database():
    seqs = TINY
    db = seqmine.SequenceDatabase.from_sequences(seqs)
    patterns = seqmine.mine(db, 1, must_contain=[3])
    with pytest.raises(InputError, match="pass db="):
        rules(patterns, 0.0, kind="sequential")
    got = rules(patterns, 0.0, kind="sequential", db=db)
    want = {k: v for k, v in rules_naive.sequential_rules(naive_db(seqs), 1, 0.0).items()
            if any(3 in s for s in k[0] + k[1])}
    assert as_naive(got) == want


def test_rules_mines_a_database_when_given_one():
    db = seqmine.SequenceDatabase.from_sequences(TINY)
    assert rules(db, 0.5, minsup=2) == rules(seqmine.mine(db, 2), 0.5)
    with pytest.raises(InputError, match="minsup"):
        rules(db, 0.5)
    with pytest.raises(InputError, match="PatternSet"):
        rules(seqmine.mine(db, 2), 0.5, minsup=2)


@pytest.mark.parametrize("bad", [-0.1, 1.5, "0.3", True])
def test_min_confidence_is_checked(bad):
    db = seqmine.SequenceDatabase.from_sequences(TINY)
    with pytest.raises(InputError, match="min_confidence"):
        rules(seqmine.mine(db, 2), bad)


def test_unknown_kind_and_budget():
    db = seqmine.SequenceDatabase.from_sequences(TINY)
    patterns = seqmine.mine(db, 1)
    with pytest.raises(InputError, match="unknown rule kind"):
        rules(patterns, kind="fuzzy")
    with pytest.raises(BudgetExceededError) as info:
        rules(patterns, 0.0, kind="sequential", max_rules=3)
    assert len(info.value.partial) == 3


# --- partially-ordered rules ------------------------------------------------------------------

@given(db=strategies.databases(max_sequences=7, max_events=5, max_items=4),
       min_count=strategies.minsups(3), min_conf=st.sampled_from([0.0, 0.5, 1.0]),
       max_ant=st.sampled_from([None, 1, 2]), max_con=st.sampled_from([None, 1, 2]))
def test_partially_ordered_rules_match_naive(db, min_count, min_conf, max_ant, max_con):
    got = rules(strategies.to_db(db), min_conf, kind="partially-ordered", minsup=min_count,
                max_antecedent=max_ant, max_consequent=max_con)
    assert got.kind == "partially-ordered"
    assert as_naive(got) == rules_naive.partially_ordered_rules(db, min_count, min_conf,
                                                                max_ant, max_con)


def test_partially_ordered_is_the_same_for_any_n_jobs():
    rng = np.random.default_rng(3)
    seqs = [[int(x) for x in rng.integers(1, 12, rng.integers(2, 9))] for _ in range(150)]
    db = seqmine.SequenceDatabase.from_sequences(seqs)
    one = partially_ordered_rules(db, 5, 0.1, n_jobs=1)
    two = partially_ordered_rules(db, 5, 0.1, n_jobs=2)
    assert len(one) > 50
    assert one == two


def test_partially_ordered_semantics_by_hand():
    # 1 and 2 both before 3 in the first two sequences; in the third, 2 comes after 3
    seqs = [[1, 2, 3], [2, 1, 4, 3], [1, 3, 2]]
    got = as_naive(rules(seqmine.SequenceDatabase.from_sequences(seqs), 0.0,
                         kind="partially-ordered", minsup=1))
    assert got[(frozenset({1, 2}), frozenset({3}))] == (2, 3, 3)
    assert got[(frozenset({1}), frozenset({2, 3}))] == (2, 3, 3)
    # items of one event are not "before" each other
    same_event = seqmine.SequenceDatabase.from_sequences([[(1, 2)], [(1, 2)]])
    assert len(rules(same_event, 0.0, kind="partially-ordered", minsup=1)) == 0


def test_partially_ordered_input_errors():
    db = seqmine.SequenceDatabase.from_sequences(TINY)
    with pytest.raises(InputError, match="SequenceDatabase"):
        rules(seqmine.mine(db, 2), kind="partially-ordered", minsup=2)
    with pytest.raises(InputError, match="minsup"):
        rules(db, kind="partially-ordered")
    with pytest.raises(InputError, match="max_antecedent"):
        partially_ordered_rules(db, 2, max_antecedent=0)
    with pytest.raises(BudgetExceededError):
        partially_ordered_rules(db, 1, max_rules=2)


# --- RuleSet ----------------------------------------------------------------------------------

@pytest.fixture
def ruleset() -> RuleSet:
    db = seqmine.SequenceDatabase.from_sequences(TINY)
    return rules(seqmine.mine(db, 1), 0.0, kind="sequential")


def test_ruleset_table_columns_and_pandas(ruleset):
    frame = ruleset.to_pandas()
    assert list(frame.columns) == ["antecedent", "consequent", "support", "confidence", "lift",
                                   "antecedent_support", "consequent_support"]
    assert len(frame) == len(ruleset)
    assert frame["confidence"].to_numpy() == pytest.approx(ruleset.confidence)
    a, c = ruleset[0]
    assert [list(s) for s in frame["antecedent"][0]] == [list(s) for s in a]
    assert [list(s) for s in frame["consequent"][0]] == [list(s) for s in c]


def test_sort_filter_top(ruleset):
    by_support = ruleset.sort("support")
    assert (np.diff(by_support.support) <= 0).all()
    asc = ruleset.sort(["lift", "support"], ascending=True)
    assert (np.diff(asc.lift) >= -1e-12).all()
    top = ruleset.top(3, by="lift")
    assert len(top) == 3
    assert top.lift[0] == ruleset.lift.max()
    picked = ruleset.filter(min_confidence=0.8, consequent_contains=[3])
    assert len(picked) > 0
    assert all(3 in {i for s in ruleset_c for i in s}
               for ruleset_c in (picked[r][1] for r in range(len(picked))))
    assert (picked.confidence >= 0.8).all()
    assert len(ruleset.filter(min_support=0.99)) == len(ruleset.filter(min_support=5))
    with pytest.raises(InputError, match="unknown rule measure"):
        ruleset.sort("size")


def test_parquet_round_trip(ruleset, tmp_path: Path):
    path = tmp_path / "rules.parquet"
    ruleset.to_parquet(path)
    back = RuleSet.read_parquet(path)
    assert back == ruleset
    assert back.kind == ruleset.kind
    assert back.min_count == ruleset.min_count
    assert back.options == json.loads(json.dumps(ruleset.options))
    assert [back[r] for r in range(len(back))] == [ruleset[r] for r in range(len(ruleset))]


def test_parquet_round_trip_of_string_items_and_weighted_support(tmp_path: Path):
    db = seqmine.SequenceDatabase.from_sequences([["a", "b"], ["a", "b", "c"], ["b", "a"]])
    rs = rules(seqmine.mine(db, 1), 0.0)
    rs.to_parquet(tmp_path / "s.parquet")
    assert RuleSet.read_parquet(tmp_path / "s.parquet") == rs
    from seqmine.rules import RuleRecommender
    window_rules = RuleRecommender(backward=0.5).fit(db).rules_
    assert window_rules.support.dtype == np.float64
    window_rules.to_parquet(tmp_path / "w.parquet")
    back = RuleSet.read_parquet(tmp_path / "w.parquet")
    assert back == window_rules
    assert back.unit == "events"


def test_read_errors(ruleset, tmp_path: Path):
    path = tmp_path / "r.parquet"
    ruleset.to_parquet(path)
    table = pq.read_table(path)
    header = json.loads(table.schema.metadata[b"seqmine"])
    header["version"] = 99
    pq.write_table(table.replace_schema_metadata({b"seqmine": json.dumps(header).encode()}),
                   tmp_path / "v99.parquet")
    with pytest.raises(FormatVersionError):
        RuleSet.read_parquet(tmp_path / "v99.parquet")
    pq.write_table(table.replace_schema_metadata({}), tmp_path / "plain.parquet")
    with pytest.raises(InputError, match="not a seqmine rule file"):
        RuleSet.read_parquet(tmp_path / "plain.parquet")
    with pytest.raises(InputError, match="could not read"):
        RuleSet.read_parquet(tmp_path / "missing.parquet")


# --- CLI --------------------------------------------------------------------------------------

@pytest.fixture
def cli():
    import click

    import seqmine.cli.main  # noqa: F401  (registers the lead's commands first)
    from seqmine.cli import mining_commands, rule_commands

    @click.group()
    def group() -> None:
        pass

    for command in mining_commands.COMMANDS + rule_commands.COMMANDS:
        group.add_command(command)
    return group


def test_cli_rules_from_events_and_from_a_pattern_file(cli, tmp_path: Path):
    runner = CliRunner()
    spmf = tmp_path / "tiny.txt"
    seqmine.SequenceDatabase.from_sequences(TINY).to_spmf(spmf)
    out = tmp_path / "rules.parquet"
    res = runner.invoke(cli, ["rules", str(spmf), "-s", "2", "-c", "0.5", "-o", str(out)])
    assert res.exit_code == 0, res.output
    db = seqmine.SequenceDatabase.from_spmf(spmf)
    assert RuleSet.read_parquet(out) == rules(db, 0.5, minsup=2)
    pats = tmp_path / "p.parquet"
    assert runner.invoke(cli, ["mine", str(spmf), "-s", "2", "-o", str(pats)]).exit_code == 0
    res = runner.invoke(cli, ["rules", str(pats), "-c", "0.5", "--kind", "sequential"])
    assert res.exit_code == 0, res.output
    assert "sequential rules from 5 sequences" in res.output
    res = runner.invoke(cli, ["rules", str(spmf), "-s", "2", "--kind", "partially-ordered",
                              "-o", str(tmp_path / "po.csv")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "po.csv").read_text().startswith("antecedent,consequent,support")


def test_cli_rules_errors(cli, tmp_path: Path):
    runner = CliRunner()
    spmf = tmp_path / "tiny.txt"
    seqmine.SequenceDatabase.from_sequences(TINY).to_spmf(spmf)
    res = runner.invoke(cli, ["rules", str(spmf), "-c", "0.5"])
    assert res.exit_code == 2
    assert "--minsup is required" in res.output
    res = runner.invoke(cli, ["rules", str(spmf), "-s", "2", "-o", str(tmp_path / "r.xyz")])
    assert res.exit_code == 2
    assert "output format" in res.output
