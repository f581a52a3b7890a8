"""Ranking metrics from their textbook definitions, on explicit ranked lists.

Slow and obviously correct: a ranked list is a Python list of item ids (best first), the
relevant items a set. Used to judge ``seqmine.evaluate.metrics`` and the ranking protocol.
"""

import math


def ranked_list(scores, exclude=()):
    """Item ids sorted by score descending, ties by id ascending; ``exclude`` and -inf
    scores left out (they are never recommended)."""
    items = [i for i in range(len(scores)) if i not in exclude and scores[i] != -math.inf]
    return sorted(items, key=lambda i: (-scores[i], i))


def hit_rate(ranked, relevant, k):
    return 1.0 if any(item in relevant for item in ranked[:k]) else 0.0


def recall(ranked, relevant, k):
    return sum(1 for item in ranked[:k] if item in relevant) / len(relevant)


def mrr(ranked, relevant, k):
    for position, item in enumerate(ranked[:k], start=1):
        if item in relevant:
            return 1.0 / position
    return 0.0


def dcg(ranked, relevant, k):
    return sum(1.0 / math.log2(position + 1)
               for position, item in enumerate(ranked[:k], start=1) if item in relevant)


def ndcg(ranked, relevant, k):
    ideal = sum(1.0 / math.log2(position + 1)
                for position in range(1, min(len(relevant), k) + 1))
    return dcg(ranked, relevant, k) / ideal


def coverage(lists, n_items, k):
    return len({item for ranked in lists for item in ranked[:k]}) / n_items


def mean(values):
    values = list(values)
    return sum(values) / len(values)
