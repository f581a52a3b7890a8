"""The item-pair baseline of issue 5: the floor a rule recommender has to clear.

It is deliberately the short, well-known recipe (the "sequential rules" baseline of
session-based recommendation evaluations, Ludewig & Jannach 2018): count ordered item pairs
within a window of 10 positions, weighted 1/distance, and score candidates from the last 3
history items, the most recent weighted 1, then 1/2, 1/3 (with equal weights it scores
NDCG@10 0.055 / HR@10 0.090 on S3-Rec Beauty instead of the issue's 0.060 / 0.095, which the
harmonic weights reproduce exactly). Pure NumPy, kept independent of the Numba rule kernels
so that tests can check RuleRecommender against it. Itemsets are read item by item in event
order (items of an event by code), as one flat sequence.
"""

from __future__ import annotations

import numpy as np

from seqmine.data.database import SequenceArrays, SequenceDatabase
from seqmine.errors import InputError
from seqmine.patterns.csr import lengths_to_ptr, take_ranges
from seqmine.recommend import RecommenderBase, as_histories, history_items


class ItemPairBaseline(RecommenderBase):
    """score(y | h) = sum_{j < last} C[h_{-1-j}, y] / (j + 1), where C[a, y] sums 1/d over
    training positions with a at i and y at i + d, 0 < d <= window (same sequence)."""

    name = "item-pair baseline"

    def __init__(self, window: int = 10, last: int = 3) -> None:
        for label, value in (("window", window), ("last", last)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"{label} must be an int >= 1, got {value!r}")
        self.window, self.last = window, last
        self._n: int | None = None

    def fit(self, train: SequenceDatabase) -> ItemPairBaseline:
        """Count the pairs of ``train`` (use ``split.train`` or earlier data only)."""
        if not isinstance(train, SequenceDatabase):
            raise InputError("ItemPairBaseline.fit takes a SequenceDatabase")
        n = self._n = train.n_items
        ptr, items = history_items(train.arrays)
        seq = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))
        keys, weights = [], []
        for d in range(1, self.window + 1):
            same = seq[d:] == seq[:-d]
            keys.append(items[:-d][same].astype(np.int64) * n + items[d:][same])
            weights.append(np.full(int(same.sum()), 1.0 / d))
        key, inverse = np.unique(np.concatenate(keys), return_inverse=True)
        self.value = np.bincount(inverse, weights=np.concatenate(weights))
        self.consequent = (key % n).astype(np.int32)
        self.ptr = lengths_to_ptr(np.bincount(key // n, minlength=n))
        return self

    @property
    def n_items(self) -> int:
        if self._n is None:
            raise InputError("ItemPairBaseline is not fitted: call fit(split.train)")
        return self._n

    def score(self, histories: SequenceArrays) -> np.ndarray:
        ptr, items = history_items(as_histories(histories))
        out = np.zeros((len(ptr) - 1, self.n_items), np.float64)
        for j in range(self.last):
            rows = np.flatnonzero(np.diff(ptr) > j)
            antecedent = items[ptr[rows + 1] - 1 - j]
            idx = take_ranges(self.ptr, antecedent)
            row_of = np.repeat(rows, np.diff(self.ptr)[antecedent])
            np.add.at(out, (row_of, self.consequent[idx]), self.value[idx] / (j + 1))
        return out.astype(np.float32)
