"""Naive rules: DESIGN.md's rule measures and the rule recommender's scoring, written out
literally for tiny inputs (the judges of tests/test_rules.py and test_rule_recommender.py).

Patterns are tuples of itemsets of item values (as in brute_force.py). Nothing here is fast.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from tests.reference import brute_force

Pattern = tuple[tuple[Any, ...], ...]
Rule = tuple[Pattern, Pattern]


def sequential_rules(sequences: Sequence[Sequence[Sequence[Any]]], min_count: int,
                     min_confidence: float = 0.0, kind: str = "sequential",
                     **constraints: Any) -> dict[Rule, tuple[int, int, int]]:
    """{(X, Y): (support(X·Y), support(X), support(Y))} for every frequent pattern X·Y split at
    an itemset boundary (``kind="next-item"``: only Y = one single-item itemset at the end),
    with support(X·Y) / support(X) >= min_confidence. Supports are counted directly."""
    out = {}
    for pattern, sup in brute_force.frequent_patterns(sequences, min_count,
                                                      **constraints).items():
        splits = range(1, len(pattern))
        if kind == "next-item":
            if len(pattern) < 2 or len(pattern[-1]) != 1:
                continue
            splits = range(len(pattern) - 1, len(pattern))
        for j in splits:
            x, y = pattern[:j], pattern[j:]
            sx = brute_force.support(sequences, x, **constraints)
            sy = brute_force.support(sequences, y, **constraints)
            if sup / sx >= min_confidence:
                out[(x, y)] = (sup, sx, sy)
    return out


def _before(sequence: Sequence[Sequence[Any]], x: frozenset[Any], y: frozenset[Any]) -> bool:
    """Every item of x occurs before every item of y: there is a cut c with all of x in
    events < c and all of y in events >= c (strict order of events)."""
    for cut in range(1, len(sequence)):
        head = set().union(*map(set, sequence[:cut]))
        tail = set().union(*map(set, sequence[cut:]))
        if x <= head and y <= tail:
            return True
    return False


def partially_ordered_rules(sequences: Sequence[Sequence[Sequence[Any]]], min_count: int,
                            min_confidence: float = 0.0, max_antecedent: int | None = None,
                            max_consequent: int | None = None
                            ) -> dict[tuple[frozenset[Any], frozenset[Any]],
                                      tuple[int, int, int]]:
    """{(X, Y): (support, support(X), support(Y))} over every pair of disjoint non-empty item
    sets, X before Y (see :func:`_before`); support(S) counts sequences holding all of S."""
    items = sorted({i for seq in sequences for event in seq for i in event})
    holds = [set().union(*map(set, seq)) if seq else set() for seq in sequences]
    out = {}
    subsets = [frozenset(c) for r in range(1, len(items) + 1)
               for c in itertools.combinations(items, r)]
    # the cuts of every sequence: (items before the cut, items from the cut on)
    cuts = [[(set().union(*map(set, seq[:c])), set().union(*map(set, seq[c:])))
             for c in range(1, len(seq))] for seq in sequences]
    for x in subsets:
        if max_antecedent is not None and len(x) > max_antecedent:
            continue
        sx = sum(x <= h for h in holds)
        if sx < min_count:
            continue
        for y in subsets:
            if x & y or (max_consequent is not None and len(y) > max_consequent):
                continue
            sup = sum(any(x <= head and y <= tail for head, tail in seq_cuts)
                      for seq_cuts in cuts)
            if sup >= min_count and sup / sx >= min_confidence:
                out[(x, y)] = (sup, sx, sum(y <= h for h in holds))
    return out


def window_rule_stats(sequences: Sequence[Sequence[Sequence[Any]]], window: int,
                      decay: Any, times: Sequence[Sequence[int]] | None = None,
                      max_dt: int | None = None
                      ) -> tuple[dict[tuple[Any, Any], list[float]], dict[Any, int]]:
    """Item-to-item statistics the RuleRecommender fits: for every pair of events (i, t) of
    one sequence with 0 < |t - i| <= window (and, with ``max_dt``, at most ``max_dt`` apart
    in ``times``), every a in event i and y in event t add
    ``decay(|t - i|)`` to forward[a, y] (t after i) or backward[a, y] (t before i), and one
    to that direction's pair count. Returns ({(a, y): [forward, backward, forward count,
    backward count]}, {a: events holding a})."""
    stats: dict[tuple[Any, Any], list[float]] = defaultdict(lambda: [0.0, 0.0, 0, 0])
    occurrences: dict[Any, int] = defaultdict(int)
    for s, seq in enumerate(sequences):
        for i, event in enumerate(seq):
            for a in set(event):
                occurrences[a] += 1
                for t in range(max(0, i - window), min(len(seq), i + window + 1)):
                    if t == i:
                        continue
                    if max_dt is not None and abs(times[s][t] - times[s][i]) > max_dt:
                        continue
                    for y in set(seq[t]):
                        entry = stats[(a, y)]
                        if t > i:
                            entry[0] += decay(t - i)
                            entry[2] += 1
                        else:
                            entry[1] += decay(i - t)
                            entry[3] += 1
    return dict(stats), dict(occurrences)


def rule_scores(history: Sequence[Sequence[Any]], weights: dict[tuple[Any, Any], float],
                last: int, recency: Any, times: Sequence[int] | None = None,
                max_age: int | None = None) -> dict[Any, float]:
    """Scores of the item-to-item rules a => y with weight ``weights[a, y]``: each antecedent
    item fires once, at its most recent position j (0 = last event) among the last ``last``
    events (and, with ``max_age``, at most ``max_age`` before the last event in ``times``),
    adding ``recency(j) * weight`` to y."""
    scores: dict[Any, float] = defaultdict(float)
    fired: set[Any] = set()
    for j in range(min(last, len(history))):
        if max_age is not None and times[-1] - times[len(history) - 1 - j] > max_age:
            continue
        for a in sorted(set(history[len(history) - 1 - j])):
            if a in fired:
                continue
            fired.add(a)
            for (aa, y), w in weights.items():
                if aa == a:
                    scores[y] += recency(j) * w
    return dict(scores)


def generic_rule_scores(history: Sequence[Sequence[Any]],
                        rules: list[tuple[Pattern, Any, float]], last: int,
                        recency: Any) -> dict[Any, float]:
    """Scores of next-item rules (antecedent pattern, consequent item, weight): a rule fires
    at the most recent j < last where its antecedent's last itemset is inside event
    n - 1 - j and the rest of the antecedent is contained in the events before it."""
    scores: dict[Any, float] = defaultdict(float)
    n = len(history)
    for antecedent, y, w in rules:
        for j in range(min(last, n)):
            e = n - 1 - j
            if set(antecedent[-1]) <= set(history[e]) and (
                    len(antecedent) == 1
                    or brute_force.contains(history[:e], antecedent[:-1])):
                scores[y] += recency(j) * w
                break
    return dict(scores)
