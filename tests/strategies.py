"""Hypothesis strategies for seqmine's tests: tiny sequence databases, thresholds, constraints.

Items are small positive ints (1..max_items), so they never equal their 0-based codes and a
code/value mix-up shows. A drawn database is a list of sequences, each a non-empty list of
events, each event a non-empty sorted list of distinct items: the shape
``SequenceDatabase.from_sequences`` and ``brute_force.frequent_patterns`` both take.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

import seqmine

Sequences = list[list[list[int]]]
Times = list[list[int]]


def itemsets(max_items: int = 5, max_itemset_size: int = 3) -> st.SearchStrategy[list[int]]:
    """A non-empty sorted list of distinct items from 1..max_items."""
    size = min(max_itemset_size, max_items)
    return st.sets(st.integers(1, max_items), min_size=1, max_size=size).map(sorted)


def sequences(max_events: int = 6, max_items: int = 5,
              max_itemset_size: int = 3) -> st.SearchStrategy[list[list[int]]]:
    """One sequence: 1..max_events itemsets."""
    return st.lists(itemsets(max_items, max_itemset_size), min_size=1, max_size=max_events)


def event_times(n_events: int, max_step: int = 3) -> st.SearchStrategy[list[int]]:
    """Non-decreasing integer times for ``n_events`` events (equal times allowed)."""
    return st.tuples(st.integers(0, 5),
                     st.lists(st.integers(0, max_step), min_size=n_events - 1,
                              max_size=n_events - 1)
                     ).map(lambda t: [t[0] + sum(t[1][:i]) for i in range(n_events)])


@st.composite
def _with_times(draw: st.DrawFn, seqs: st.SearchStrategy[Sequences]) -> tuple[Sequences, Times]:
    drawn = draw(seqs)
    return drawn, [draw(event_times(len(s))) for s in drawn]


def databases(max_sequences: int = 10, max_events: int = 6, max_items: int = 5,
              max_itemset_size: int = 3, with_times: bool = False
              ) -> st.SearchStrategy[Sequences] | st.SearchStrategy[tuple[Sequences, Times]]:
    """1..max_sequences sequences; with ``with_times`` a ``(sequences, times)`` pair instead,
    ``times[s]`` holding one non-decreasing int per event of sequence s."""
    seqs = st.lists(sequences(max_events, max_items, max_itemset_size),
                    min_size=1, max_size=max_sequences)
    return _with_times(seqs) if with_times else seqs


def minsups(max_count: int = 4) -> st.SearchStrategy[int]:
    """An absolute minimum support (min_count) from 1..max_count."""
    return st.integers(1, max_count)


@st.composite
def constraints(draw: st.DrawFn, max_items: int = 5) -> dict[str, Any]:
    """Keyword arguments for ``brute_force.frequent_patterns``: some subset of min_gap,
    max_gap, max_span, max_length, max_size, must_contain and exclude, with small valid values
    (1 <= min_gap <= max_gap; must_contain and exclude disjoint)."""
    out: dict[str, Any] = {}
    if draw(st.booleans()):
        out["min_gap"] = draw(st.integers(1, 3))
    if draw(st.booleans()):
        out["max_gap"] = draw(st.integers(out.get("min_gap", 1), out.get("min_gap", 1) + 3))
    if draw(st.booleans()):
        out["max_span"] = draw(st.integers(0, 6))
    if draw(st.booleans()):
        out["max_length"] = draw(st.integers(1, 5))
    if draw(st.booleans()):
        out["max_size"] = draw(st.integers(1, 4))
    item = st.integers(1, max_items)
    if draw(st.booleans()):
        out["must_contain"] = tuple(sorted(draw(st.sets(item, min_size=1, max_size=2))))
    free = [x for x in range(1, max_items + 1) if x not in out.get("must_contain", ())]
    if free and draw(st.booleans()):
        out["exclude"] = tuple(sorted(draw(st.sets(st.sampled_from(free),
                                                   min_size=1, max_size=2))))
    return out


def to_db(sequences: Sequences, times: Times | None = None) -> seqmine.SequenceDatabase:
    """The seqmine database of drawn ``sequences`` (and ``times``, else positions)."""
    return seqmine.SequenceDatabase.from_sequences(sequences, times)
