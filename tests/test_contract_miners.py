"""The contract every sequential miner meets: exactly the brute-force (pattern, support) set,
for plain mining, itemsets, times and every constraint; miners that refuse an option say so
with an InputError naming it."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from seqmine import InputError, mine
from seqmine.mining import ALGORITHMS
from tests import strategies
from tests.reference import brute_force

MINERS = sorted(ALGORITHMS)


def run(algorithm, db, min_count, **options):
    try:
        return mine(db, min_count, algorithm=algorithm, **options).as_dict()
    except InputError as exc:
        # a miner may refuse an option, but only by naming it
        named = [k for k in options if k in str(exc)]
        assert named, f"{algorithm} refused {options} without naming the option: {exc}"
        assume(False)


@pytest.mark.parametrize("algorithm", MINERS)
@given(seqs=strategies.databases(max_sequences=10, max_events=6, max_items=5),
       min_count=strategies.minsups())
def test_matches_brute_force(algorithm, seqs, min_count):
    got = run(algorithm, strategies.to_db(seqs), min_count)
    assert got == brute_force.frequent_patterns(seqs, min_count)


@pytest.mark.parametrize("algorithm", MINERS)
@given(data=strategies.databases(max_sequences=8, max_events=6, max_items=4,
                                 with_times=True),
       min_count=strategies.minsups(3), options=strategies.constraints(max_items=4),
       use_times=st.booleans())
def test_matches_brute_force_under_constraints(algorithm, data, min_count, options,
                                               use_times):
    seqs, times = data
    if use_times:
        options_run = {**options, "gap_unit": "time"}  # ints in the database's time
    else:
        times, options_run = None, options
    got = run(algorithm, strategies.to_db(seqs, times), min_count, **options_run)
    assert got == brute_force.frequent_patterns(seqs, min_count, times=times, **options)


@pytest.mark.parametrize("algorithm", MINERS)
@given(seqs=strategies.databases(max_sequences=12, max_events=8, max_items=6,
                                 max_itemset_size=1),
       min_count=strategies.minsups())
def test_single_item_events(algorithm, seqs, min_count):
    """The shape of the standard benchmark data (one item per event) takes fast paths."""
    got = run(algorithm, strategies.to_db(seqs), min_count)
    assert got == brute_force.frequent_patterns(seqs, min_count)


@pytest.mark.parametrize("algorithm", MINERS)
def test_relative_minsup_is_ceil(algorithm):
    seqs = [[[1], [2]]] * 3 + [[[1]]] * 4
    db = strategies.to_db(seqs)
    got = mine(db, 0.4, algorithm=algorithm)  # ceil(0.4 * 7) = 3
    assert got.min_count == 3
    assert got.as_dict() == brute_force.frequent_patterns(seqs, 3)
