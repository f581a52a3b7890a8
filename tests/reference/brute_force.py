"""The judge: brute-force sequential pattern and itemset enumeration on tiny databases.

Everything here is written to be obviously correct, not fast. It follows DESIGN.md's
semantics literally:

- A pattern is a tuple of itemsets, each itemset a sorted tuple of item values, e.g.
  ``((1,), (2, 3))`` is <{1} {2,3}>.
- Pattern <A1..Ak> is contained in sequence <I1..Im> if positions j1 < ... < jk exist with
  Ai ⊆ I(ji). With constraints, the sequence counts only if at least ONE embedding satisfies
  all of them at once: ``min_gap <= c(j[i+1]) - c(j[i]) <= max_gap`` for consecutive matched
  events and ``c(jk) - c(j1) <= max_span``, where ``c`` is the event's coordinate: its time
  when ``times`` is given, else its 0-based position (so adjacent events have gap 1).
- support = number of sequences containing the pattern; size = number of itemsets;
  length = number of items.

Sequences are lists of events; each event is an iterable of hashable, sortable item values.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

Pattern = tuple[tuple[Any, ...], ...]

__all__ = [
    "closed",
    "contains",
    "frequent_itemsets",
    "frequent_patterns",
    "is_subpattern",
    "maximal",
    "n_items",
    "support",
    "top_k",
]


# --- input checks -----------------------------------------------------------------------------
def _check_count(name: str, value: Any, minimum: int, allow_none: bool = True) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")


def _normalise(sequences: Sequence[Sequence[Iterable[Hashable]]],
               times: Sequence[Sequence[int]] | None
               ) -> list[tuple[list[tuple[Any, ...]], list[int]]]:
    """Each sequence as (events as sorted unique tuples, coordinates)."""
    if times is not None and len(times) != len(sequences):
        raise ValueError("times must have one list per sequence")
    out = []
    for s, seq in enumerate(sequences):
        events = [tuple(sorted(set(event))) for event in seq]
        if any(len(e) == 0 for e in events):
            raise ValueError(f"sequence {s} has an empty itemset")
        if times is None:
            coords = list(range(len(events)))
        else:
            coords = list(times[s])
            if len(coords) != len(events):
                raise ValueError(f"sequence {s}: {len(coords)} times for {len(events)} events")
            if any(b < a for a, b in itertools.pairwise(coords)):
                raise ValueError(f"sequence {s}: times must be non-decreasing")
        out.append((events, coords))
    return out


def _check_constraints(min_count: int, max_length: int | None, max_size: int | None,
                       min_gap: int | None, max_gap: int | None, max_span: int | None) -> None:
    _check_count("min_count", min_count, 1, allow_none=False)
    _check_count("max_length", max_length, 1)
    _check_count("max_size", max_size, 1)
    _check_count("min_gap", min_gap, 0)
    _check_count("max_gap", max_gap, 0)
    _check_count("max_span", max_span, 0)


# --- containment ------------------------------------------------------------------------------
def _embedding_ok(coords: Sequence[int], positions: Sequence[int], min_gap: int | None,
                  max_gap: int | None, max_span: int | None) -> bool:
    """Do these matched positions satisfy every gap and span constraint?"""
    for a, b in itertools.pairwise(positions):
        gap = coords[b] - coords[a]
        if min_gap is not None and gap < min_gap:
            return False
        if max_gap is not None and gap > max_gap:
            return False
    return max_span is None or coords[positions[-1]] - coords[positions[0]] <= max_span


def contains(sequence: Sequence[Iterable[Hashable]], pattern: Pattern, *,
             times: Sequence[int] | None = None, min_gap: int | None = None,
             max_gap: int | None = None, max_span: int | None = None) -> bool:
    """Is ``pattern`` contained in ``sequence`` by at least one embedding meeting the
    constraints? Tries every tuple of increasing positions (exponential; tiny inputs only)."""
    [(events, coords)] = _normalise([sequence], None if times is None else [times])
    if len(pattern) == 0:
        return True
    for positions in itertools.combinations(range(len(events)), len(pattern)):
        if all(set(a) <= set(events[j]) for a, j in zip(pattern, positions, strict=True)) \
                and _embedding_ok(coords, positions, min_gap, max_gap, max_span):
            return True
    return False


def support(sequences: Sequence[Sequence[Iterable[Hashable]]], pattern: Pattern, *,
            times: Sequence[Sequence[int]] | None = None, min_gap: int | None = None,
            max_gap: int | None = None, max_span: int | None = None) -> int:
    """Number of sequences that contain ``pattern`` (see :func:`contains`)."""
    return sum(
        contains(seq, pattern, times=None if times is None else times[s],
                 min_gap=min_gap, max_gap=max_gap, max_span=max_span)
        for s, seq in enumerate(sequences))


def is_subpattern(p: Pattern, q: Pattern) -> bool:
    """p ⊑ q: positions j1 < ... < jk of q's itemsets exist with p[i] ⊆ q[j_i] (p == q counts).

    Matching each itemset of p at the leftmost possible itemset of q is optimal (taking an
    earlier match never removes a choice for the rest), so one left-to-right scan decides it.
    """
    j = 0
    for a in p:
        need = set(a)
        while j < len(q) and not need <= set(q[j]):
            j += 1
        if j == len(q):
            return False
        j += 1
    return True


def n_items(pattern: Pattern) -> int:
    """Length of a pattern: its number of items."""
    return sum(len(a) for a in pattern)


# --- the enumerator ---------------------------------------------------------------------------
def _nonempty_subsets(itemset: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    return [c for r in range(1, len(itemset) + 1) for c in itertools.combinations(itemset, r)]


def _patterns_of_sequence(events: list[tuple[Any, ...]], coords: list[int],
                          max_length: int | None, max_size: int | None, min_gap: int | None,
                          max_gap: int | None, max_span: int | None) -> set[Pattern]:
    """Every distinct pattern with an embedding in this sequence that meets the constraints.

    Walks every embedding: a tuple of increasing positions plus, at each position, a non-empty
    subset of that event's items. Every constraint holds for each prefix of a valid embedding,
    so a branch is cut as soon as its newest position breaks one; every prefix of a valid
    embedding is itself a valid embedding and is recorded.
    """
    choices = [_nonempty_subsets(e) for e in events]
    found: set[Pattern] = set()

    def allowed(first: int, last: int, j: int) -> bool:
        """May position j follow ``last`` in an embedding that started at ``first``?"""
        if last < 0:
            return True
        gap = coords[j] - coords[last]
        return ((min_gap is None or gap >= min_gap) and (max_gap is None or gap <= max_gap)
                and (max_span is None or coords[j] - coords[first] <= max_span))

    def grow(pattern: Pattern, length: int, first: int, last: int) -> None:
        if max_size is not None and len(pattern) >= max_size:
            return
        for j in range(last + 1, len(events)):
            if not allowed(first, last, j):
                continue
            for subset in choices[j]:
                if max_length is not None and length + len(subset) > max_length:
                    continue
                grown = (*pattern, subset)
                found.add(grown)
                grow(grown, length + len(subset), j if last < 0 else first, j)

    grow((), 0, -1, -1)
    return found


def frequent_patterns(
    sequences: Sequence[Sequence[Iterable[Hashable]]],
    min_count: int,
    *,
    times: Sequence[Sequence[int]] | None = None,
    max_length: int | None = None,
    max_size: int | None = None,
    min_gap: int | None = None,
    max_gap: int | None = None,
    max_span: int | None = None,
    must_contain: Iterable[Hashable] = (),
    exclude: Iterable[Hashable] = (),
) -> dict[Pattern, int]:
    """All sequential patterns with support >= ``min_count``, mapped to their support.

    ``must_contain``: every listed item appears in the pattern; ``exclude``: none does.
    Tiny databases only: the work grows with the number of embeddings per sequence.
    """
    _check_constraints(min_count, max_length, max_size, min_gap, max_gap, max_span)
    data = _normalise(sequences, times)
    must = set(must_contain)
    banned = set(exclude)
    # An item found in fewer than min_count sequences is in no frequent pattern (any pattern
    # holding it is contained only in sequences holding it): drop it, along with excluded items.
    item_support = Counter(item for events, _ in data for item in set().union(*events))
    keep = {x for x, n in item_support.items() if n >= min_count and x not in banned}
    counts: Counter[Pattern] = Counter()
    for events, coords in data:
        pruned = [tuple(x for x in e if x in keep) for e in events]
        # An event left empty can match nothing, but it still holds its position and time.
        counts.update(_patterns_of_sequence(
            pruned, coords, max_length, max_size, min_gap, max_gap, max_span))
    return {
        p: n for p, n in counts.items()
        if n >= min_count and must <= {x for a in p for x in a}
    }


# --- closed / maximal / top-k -----------------------------------------------------------------
def _one_item_deletions(p: Pattern) -> set[Pattern]:
    """Patterns obtained from p by deleting one item (an itemset left empty disappears)."""
    out = set()
    for i, a in enumerate(p):
        for x in a:
            rest = tuple(y for y in a if y != x)
            out.add(p[:i] + ((rest,) if rest else ()) + p[i + 1:])
    out.discard(())
    return out


def _downward_closed_and_monotone(patterns: dict[Pattern, int]) -> bool:
    """Every one-item deletion of a pattern is present with support >= the pattern's."""
    for q, sup in patterns.items():
        for d in _one_item_deletions(q):
            if patterns.get(d, -1) < sup:
                return False
    return True


def _strict_super_exists(p: Pattern, others: Iterable[Pattern]) -> bool:
    return any(q != p and n_items(q) > n_items(p) and is_subpattern(p, q) for q in others)


def closed(patterns: dict[Pattern, int]) -> dict[Pattern, int]:
    """The patterns with no strict super-pattern of the same support among ``patterns``.

    By definition this compares every pair with equal support. When ``patterns`` is
    downward closed with monotone supports (true for the unconstrained frequent patterns of a
    database) a shortcut gives the same answer: if p ⊏ q with equal support, some p' with one
    item more than p lies between them, is present, and has that support too; so only one-item
    extensions need checking. The tests check that both routes agree.
    """
    if _downward_closed_and_monotone(patterns):
        not_closed = {d for q, sup in patterns.items() for d in _one_item_deletions(q)
                      if patterns[d] == sup}
        return {p: n for p, n in patterns.items() if p not in not_closed}
    return _closed_pairwise(patterns)


def _closed_pairwise(patterns: dict[Pattern, int]) -> dict[Pattern, int]:
    by_support: dict[int, list[Pattern]] = {}
    for p, n in patterns.items():
        by_support.setdefault(n, []).append(p)
    return {p: n for p, n in patterns.items() if not _strict_super_exists(p, by_support[n])}


def maximal(patterns: dict[Pattern, int]) -> dict[Pattern, int]:
    """The patterns with no strict super-pattern among ``patterns`` (all assumed frequent).

    Same shortcut as :func:`closed`: in a downward-closed family any strict super-pattern
    implies a present one with exactly one item more.
    """
    if _downward_closed_and_monotone(patterns):
        covered = {d for q in patterns for d in _one_item_deletions(q)}
        return {p: n for p, n in patterns.items() if p not in covered}
    return _maximal_pairwise(patterns)


def _maximal_pairwise(patterns: dict[Pattern, int]) -> dict[Pattern, int]:
    return {p: n for p, n in patterns.items() if not _strict_super_exists(p, patterns)}


def top_k(patterns: dict[Pattern, int], k: int) -> dict[Pattern, int]:
    """The k patterns of highest support; every pattern tied with the k-th support is kept."""
    _check_count("k", k, 1, allow_none=False)
    if len(patterns) <= k:
        return dict(patterns)
    kth = sorted(patterns.values(), reverse=True)[k - 1]
    return {p: n for p, n in patterns.items() if n >= kth}


# --- itemsets ---------------------------------------------------------------------------------
def frequent_itemsets(transactions: Iterable[Iterable[Hashable]], min_count: int,
                      max_len: int | None = None) -> dict[frozenset[Any], int]:
    """All non-empty itemsets contained in >= ``min_count`` transactions, with their counts.

    Each transaction is a set of items; every non-empty subset (of at most ``max_len`` items)
    of every transaction is counted once per transaction.
    """
    _check_count("min_count", min_count, 1, allow_none=False)
    _check_count("max_len", max_len, 1)
    counts: Counter[frozenset[Any]] = Counter()
    for transaction in transactions:
        items = sorted(set(transaction))
        top = len(items) if max_len is None else min(max_len, len(items))
        for r in range(1, top + 1):
            counts.update(frozenset(c) for c in itertools.combinations(items, r))
    return {s: n for s, n in counts.items() if n >= min_count}
