"""Ranking metrics from rank arrays (pure NumPy).

Conventions
-----------
* ``ranks`` are **0-based** positions of target items in a ranked list (0 = top). A target
  that cannot be ranked (masked out, or beyond the list a recommender returned) has any rank
  ``>= n_items``: it counts as a miss at every k.
* One target per instance: ``ptr`` is None and ``ranks[i]`` is instance ``i``'s target rank.
  Several targets per instance (itemset events): ``ptr`` is int64[n+1] and instance ``i``
  owns ``ranks[ptr[i]:ptr[i+1]]`` (each target's position in the same list). Every instance
  needs at least one target.

Definitions (per instance, then averaged over instances)
-----------
HR@k       1 if some target has rank < k, else 0.
Recall@k   (number of targets with rank < k) / (number of targets).
MRR@k      1 / (r + 1) for r the best target rank when r < k, else 0.
NDCG@k     DCG / IDCG with DCG = sum over targets with rank r < k of 1 / log2(r + 2) and IDCG
           the DCG of a list with all targets on top, i.e. sum_{j < min(#targets, k)}
           1 / log2(j + 2). With one target: 1 / log2(rank + 2) when rank < k.
coverage@k distinct items in the union of all top-k lists / catalogue size.
"""

from __future__ import annotations

import numpy as np

from seqmine.errors import InputError

__all__ = ["coverage", "hit_rate", "mrr", "ndcg", "recall"]


def _prepare(ranks: np.ndarray, k: int, ptr: np.ndarray | None
             ) -> tuple[np.ndarray, np.ndarray | None, int]:
    ranks = np.asarray(ranks)
    if ranks.ndim != 1:
        raise InputError("ranks must be a 1-D array")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InputError(f"k must be an int >= 1, got {k!r}")
    if len(ranks) and ranks.min() < 0:
        raise InputError("ranks are 0-based and must be >= 0")
    if ptr is None:
        return ranks, None, len(ranks)
    ptr = np.asarray(ptr, np.int64)
    if ptr.ndim != 1 or len(ptr) < 1 or ptr[0] != 0 or ptr[-1] != len(ranks):
        raise InputError("ptr must be int64[n+1] with ptr[0] = 0 and ptr[-1] = len(ranks)")
    if np.any(np.diff(ptr) < 1):
        raise InputError("every instance needs at least one target (ptr strictly increasing)")
    return ranks, ptr, len(ptr) - 1


def _group(ptr: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))


def _finish(values: np.ndarray, per_user: bool) -> np.ndarray | float:
    if per_user:
        return values
    return float(values.mean()) if len(values) else float("nan")


def hit_rate(ranks: np.ndarray, k: int, ptr: np.ndarray | None = None,
             per_user: bool = False) -> np.ndarray | float:
    """HR@k: share of instances with a target in the top k (mean, or per instance)."""
    ranks, ptr, n = _prepare(ranks, k, ptr)
    hit = ranks < k
    if ptr is not None:
        hit = np.bincount(_group(ptr), weights=hit, minlength=n) > 0
    return _finish(hit.astype(np.float64), per_user)


def recall(ranks: np.ndarray, k: int, ptr: np.ndarray | None = None,
           per_user: bool = False) -> np.ndarray | float:
    """Recall@k: share of each instance's targets in the top k (equals HR@k with one target)."""
    ranks, ptr, n = _prepare(ranks, k, ptr)
    hit = (ranks < k).astype(np.float64)
    if ptr is not None:
        hit = np.bincount(_group(ptr), weights=hit, minlength=n) / np.diff(ptr)
    return _finish(hit, per_user)


def mrr(ranks: np.ndarray, k: int, ptr: np.ndarray | None = None,
        per_user: bool = False) -> np.ndarray | float:
    """MRR@k: reciprocal of the best target's 1-based rank, 0 beyond k."""
    ranks, ptr, n = _prepare(ranks, k, ptr)
    best = ranks if ptr is None else np.minimum.reduceat(ranks, ptr[:-1]) if n else ranks[:0]
    best = best.astype(np.float64)
    values = np.where(best < k, 1.0 / (best + 1.0), 0.0)
    return _finish(values, per_user)


def ndcg(ranks: np.ndarray, k: int, ptr: np.ndarray | None = None,
         per_user: bool = False) -> np.ndarray | float:
    """NDCG@k with binary relevance (see the module docstring for DCG and IDCG)."""
    ranks, ptr, n = _prepare(ranks, k, ptr)
    r = ranks.astype(np.float64)
    gain = np.where(ranks < k, 1.0 / np.log2(np.minimum(r, k) + 2.0), 0.0)
    if ptr is None:
        return _finish(gain, per_user)
    dcg = np.bincount(_group(ptr), weights=gain, minlength=n)
    ideal_cum = np.cumsum(1.0 / np.log2(np.arange(k, dtype=np.float64) + 2.0))
    idcg = ideal_cum[np.minimum(np.diff(ptr), k) - 1]
    return _finish(dcg / idcg, per_user)


def coverage(top_items: np.ndarray, n_items: int, k: int | None = None) -> float:
    """Share of the catalogue that appears in at least one top-k list.

    ``top_items`` is int[B, K] (item codes, -1 for empty slots); ``k`` uses its first k
    columns (all when None).
    """
    top_items = np.asarray(top_items)
    if top_items.ndim != 2:
        raise InputError("top_items must be a 2-D array (one top-k list per row)")
    if n_items < 1:
        raise InputError("n_items must be >= 1")
    cols = top_items if k is None else top_items[:, :k]
    present = np.zeros(n_items, dtype=bool)
    valid = cols[cols >= 0]
    present[valid] = True
    return float(present.sum()) / n_items
