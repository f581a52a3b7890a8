"""The Recommender protocol shared by the rule, neural and hybrid recommenders.

A *history* is a sequence of itemsets in the item codes of a database's codebook (0-based,
``0 .. n_items-1``). A batch of histories travels as :class:`~seqmine.SequenceArrays` (the
same CSR layout as a database: ``seq_ptr`` -> events, ``evt_ptr`` -> items), so histories are
flat arrays end to end and a recommender that cares about itemsets (rules) keeps them, while
one that does not (neural rankers) reads the items in event order.

A recommender scores every item of the catalogue for every history of a batch
(:meth:`Recommender.score`, a dense ``float32[B, n_items]``); higher is better. Ranking,
top-k lists and seen-item masking are done once, here, for all of them, with one tie rule:
equal scores are ordered by item code (lowest first), so evaluation ranks and the lists
:meth:`RecommenderBase.recommend` returns always agree.

torch is never imported here (``import seqmine`` must stay light).
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol, runtime_checkable

import numpy as np

from seqmine.data.database import SequenceArrays, SequenceDatabase
from seqmine.errors import InputError

__all__ = [
    "PopularityRecommender",
    "Recommender",
    "RecommenderBase",
    "TopK",
    "as_histories",
    "check_scores",
    "decode_topk",
    "history_items",
    "mask_seen",
    "slice_histories",
    "top_k",
]


class TopK(NamedTuple):
    """Top-k recommendations of a batch: ``items`` int32[B, k] codes, ``scores`` float32[B, k].

    Rows are sorted by score descending, ties by item code ascending. Where a row has fewer
    than k items with a finite score (seen items excluded from a tiny catalogue), the rest of
    the row holds item -1 and score -inf.
    """

    items: np.ndarray
    scores: np.ndarray


@runtime_checkable
class Recommender(Protocol):
    """What :func:`seqmine.evaluate` and the hybrid scorer need from a recommender.

    ``n_items`` is the catalogue size (the codebook length); ``score`` returns a dense
    ``float32[B, n_items]`` array for a batch of histories (``SequenceArrays`` in item
    codes), higher is better, and never NaN. ``recommend`` returns :class:`TopK`.
    """

    @property
    def n_items(self) -> int: ...

    def score(self, histories: SequenceArrays) -> np.ndarray: ...

    def recommend(self, histories: Any, k: int = 10, exclude_seen: bool = False) -> TopK: ...


class RecommenderBase:
    """Mixin: ``recommend`` (batched, with seen-item masking) built on ``score``.

    Subclasses define ``n_items`` and ``score(histories: SequenceArrays) -> float32[B, n]``.
    """

    name: str = "recommender"
    #: histories per call to ``score`` inside ``recommend`` (bounds the dense score block)
    score_batch_items: int = 1 << 24

    @property
    def n_items(self) -> int:
        raise NotImplementedError  # pragma: no cover - subclasses define it

    def score(self, histories: SequenceArrays) -> np.ndarray:
        raise NotImplementedError  # pragma: no cover - subclasses define it

    def recommend(self, histories: Any, k: int = 10, exclude_seen: bool = False) -> TopK:
        """Top ``k`` item codes per history (see :class:`TopK`); ``exclude_seen`` drops the
        items a history already holds."""
        h = as_histories(histories)
        n_hist = len(h.seq_ptr) - 1
        step = max(1, self.score_batch_items // max(1, self.n_items))
        parts = []
        for lo in range(0, max(n_hist, 1), step):
            batch = slice_histories(h, lo, min(lo + step, n_hist))
            scores = np.array(self.score(batch), dtype=np.float32, copy=True)
            check_scores(scores, len(batch.seq_ptr) - 1, self.n_items)
            if exclude_seen:
                mask_seen(scores, batch)
            parts.append(top_k(scores, k))
        if len(parts) == 1:
            return parts[0]
        return TopK(np.concatenate([p.items for p in parts]),
                    np.concatenate([p.scores for p in parts]))


# --- histories ----------------------------------------------------------------------------

def _is_scalar(x: Any) -> bool:
    return isinstance(x, (int, np.integer))


def as_histories(histories: Any) -> SequenceArrays:
    """A batch of histories as ``SequenceArrays`` of item codes.

    Accepts ``SequenceArrays`` (returned as is), a ``SequenceDatabase`` (its arrays), one
    history given as a flat list / 1-D array of item codes, or a list of histories where
    each history is a list whose elements are item codes (one-item events) or lists of codes
    (itemsets). Times of histories built from lists are event positions. To convert
    original item ids, use ``codebook.code_of(ids)`` first.
    """
    if isinstance(histories, SequenceArrays):
        return histories
    if isinstance(histories, SequenceDatabase):
        return histories.arrays
    if isinstance(histories, np.ndarray):
        if histories.ndim != 1:
            raise InputError("a history array must be 1-D (one item code per event); "
                             "give a batch as a list of histories")
        histories = [histories.tolist()]
    elif isinstance(histories, (list, tuple)):
        if len(histories) and all(_is_scalar(x) for x in histories):
            histories = [list(histories)]
    else:
        raise InputError(f"cannot read histories from a {type(histories).__name__}: give "
                         "SequenceArrays, a SequenceDatabase or lists of item codes")
    seq_sizes: list[int] = []
    evt_sizes: list[int] = []
    flat: list[int] = []
    for hist in histories:
        if isinstance(hist, np.ndarray):
            hist = hist.tolist()
        if not isinstance(hist, (list, tuple)):
            raise InputError("each history must be a list of item codes or itemsets")
        seq_sizes.append(len(hist))
        for event in hist:
            members = sorted(set(event)) if isinstance(event, (list, tuple, set, frozenset)) \
                else [event]
            if not members or not all(_is_scalar(m) for m in members):
                raise InputError(f"bad event {event!r} in a history: give item codes (ints)")
            flat.extend(int(m) for m in members)
            evt_sizes.append(len(members))
    seq_ptr = np.zeros(len(seq_sizes) + 1, np.int64)
    np.cumsum(seq_sizes, out=seq_ptr[1:])
    evt_ptr = np.zeros(len(evt_sizes) + 1, np.int64)
    np.cumsum(evt_sizes, out=evt_ptr[1:])
    items = np.asarray(flat, dtype=np.int64)
    if len(items) and items.min() < 0:
        raise InputError("item codes must be >= 0")
    times = (np.arange(len(evt_sizes), dtype=np.int64)
             - np.repeat(seq_ptr[:-1], seq_sizes)) if evt_sizes else np.zeros(0, np.int64)
    return SequenceArrays(seq_ptr, evt_ptr, items.astype(np.int32), times)


def slice_histories(h: SequenceArrays, lo: int, hi: int) -> SequenceArrays:
    """Histories ``lo:hi`` of a batch (contiguous, so a cheap rebased slice)."""
    e0, e1 = int(h.seq_ptr[lo]), int(h.seq_ptr[hi])
    i0, i1 = int(h.evt_ptr[e0]), int(h.evt_ptr[e1])
    return SequenceArrays(h.seq_ptr[lo:hi + 1] - e0, h.evt_ptr[e0:e1 + 1] - i0,
                          h.items[i0:i1], h.times[e0:e1])


def history_items(h: SequenceArrays) -> tuple[np.ndarray, np.ndarray]:
    """Item-level CSR of a batch: ``(item_ptr int64[B+1], items int32)``.

    Itemsets are read in event order, items within an event by code; history ``b`` owns
    ``items[item_ptr[b]:item_ptr[b+1]]``. No copy: CSR histories are already contiguous.
    """
    item_ptr = np.asarray(h.evt_ptr)[np.asarray(h.seq_ptr)]
    start = int(item_ptr[0]) if len(item_ptr) else 0
    return item_ptr - start, np.asarray(h.items)[start:int(item_ptr[-1]) if len(item_ptr) else 0]


def check_scores(scores: np.ndarray, n_histories: int, n_items: int) -> None:
    """InputError unless ``scores`` is ``[n_histories, n_items]`` and free of NaN."""
    if scores.shape != (n_histories, n_items):
        raise InputError(f"score() returned shape {scores.shape}; expected "
                         f"({n_histories}, {n_items}) = (histories, catalogue items)")
    if np.isnan(scores).any():
        raise InputError("score() returned NaN; scores must be real numbers (use -inf to rule "
                         "an item out)")


def mask_seen(scores: np.ndarray, histories: SequenceArrays) -> np.ndarray:
    """Set ``scores[b, item] = -inf`` for every item of history ``b`` (in place, vectorised)."""
    ptr, items = history_items(histories)
    rows = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))
    scores[rows, items] = -np.inf
    return scores


def top_k(scores: np.ndarray, k: int) -> TopK:
    """Top ``k`` columns of each row: score descending, ties by column (item code) ascending.

    O(B * n) with ``np.partition``; exact tie handling at the k-th value, so the result is
    deterministic and equals a stable sort of each row by descending score.
    """
    scores = np.asarray(scores, dtype=np.float32)
    n_rows, n = scores.shape
    if k < 1:
        raise InputError(f"k must be >= 1, got {k}")
    k_eff = min(k, n)
    if n_rows == 0 or k_eff == 0:
        return TopK(np.full((n_rows, k), -1, np.int32), np.full((n_rows, k), -np.inf, np.float32))
    kth = np.partition(scores, n - k_eff, axis=1)[:, n - k_eff][:, None]
    greater = scores > kth
    equal = scores == kth
    need = k_eff - greater.sum(axis=1, keepdims=True)
    chosen = greater | (equal & (np.cumsum(equal, axis=1) <= need))
    cols = np.nonzero(chosen)[1].reshape(n_rows, k_eff).astype(np.int32)
    vals = np.take_along_axis(scores, cols, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    cols = np.take_along_axis(cols, order, axis=1)
    vals = np.take_along_axis(vals, order, axis=1)
    invalid = ~np.isfinite(vals) & (vals < 0)
    cols[invalid] = -1
    if k_eff < k:
        cols = np.pad(cols, ((0, 0), (0, k - k_eff)), constant_values=-1)
        vals = np.pad(vals, ((0, 0), (0, k - k_eff)), constant_values=-np.inf)
    return TopK(cols, vals)


# --- baseline -----------------------------------------------------------------------------

class PopularityRecommender(RecommenderBase):
    """Scores every item by how often it occurs in the training database (same for every
    history). The floor any recommender must beat, and a prior for the hybrid scorer.

    ``by="events"`` counts occurrences; ``by="sequences"`` counts sequences holding the item.
    Scores are the counts as float32; ties are broken by item code (see module docstring).
    """

    name = "popularity"

    def __init__(self, by: str = "events") -> None:
        if by not in ("events", "sequences"):
            raise InputError(f"by must be 'events' or 'sequences', got {by!r}")
        self.by = by
        self.counts: np.ndarray | None = None

    def fit(self, train: SequenceDatabase) -> PopularityRecommender:
        """Count items in ``train`` (fit on ``split.train`` only: no leakage)."""
        if not isinstance(train, SequenceDatabase):
            raise InputError("PopularityRecommender.fit takes a SequenceDatabase "
                             "(e.g. split.train)")
        a = train.arrays
        n = train.n_items
        if self.by == "events":
            counts = np.bincount(a.items, minlength=n)
        else:
            seq_of_item = np.repeat(np.repeat(np.arange(len(train)), np.diff(a.seq_ptr)),
                                    np.diff(a.evt_ptr))
            pairs = np.unique(seq_of_item.astype(np.int64) * n + a.items)
            counts = np.bincount(pairs % n, minlength=n)
        self.counts = counts.astype(np.float32)
        return self

    @property
    def n_items(self) -> int:
        if self.counts is None:
            raise InputError("PopularityRecommender is not fitted: call fit(split.train)")
        return len(self.counts)

    def score(self, histories: SequenceArrays) -> np.ndarray:
        n_hist = len(as_histories(histories).seq_ptr) - 1
        return np.tile(self.counts, (n_hist, 1)) if n_hist else \
            np.zeros((0, self.n_items), np.float32)


def decode_topk(top: TopK, codebook: Any) -> list[list[Any]]:
    """Original item ids of a :class:`TopK` (padding -1 dropped), for display."""
    out: list[list[Any]] = []
    for row in top.items:
        valid = row[row >= 0]
        out.append(codebook.decode_list(valid) if len(valid) else [])
    return out
