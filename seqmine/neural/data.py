"""Model inputs built with NumPy from the flat database arrays.

Token convention: a token is an item code shifted by one (``code + 1``); 0 is padding.
Windows are **left**-padded, so the most recent item always sits in the last column and a
learned position embedding reads as recency. Itemsets are read in event order, items within
an event by code (the same order as :func:`seqmine.recommend.history_items`).
"""

from __future__ import annotations

import numpy as np

from seqmine.data.database import SequenceArrays, SequenceDatabase
from seqmine.errors import InputError
from seqmine.recommend import history_items

__all__ = ["PAD", "history_windows", "left_padded", "training_windows"]

PAD = 0


def left_padded(items: np.ndarray, lo: np.ndarray, hi: np.ndarray, width: int) -> np.ndarray:
    """int64[W, width] tokens: row ``w`` holds ``items[max(lo[w], hi[w]-width):hi[w]] + 1``,
    right-aligned, 0 on the left. One vectorised gather, no per-row Python."""
    lo = np.asarray(lo, np.int64)
    hi = np.asarray(hi, np.int64)
    idx = hi[:, None] - width + np.arange(width, dtype=np.int64)[None, :]
    real = idx >= lo[:, None]
    if len(items) == 0:
        return np.zeros((len(hi), width), np.int64)
    tokens = np.asarray(items, np.int64)[np.clip(idx, 0, len(items) - 1)] + 1
    return np.where(real, tokens, PAD)


def training_windows(db: SequenceDatabase, max_len: int, windows: str = "last") -> np.ndarray:
    """int64[W, max_len + 1] token windows for next-item training.

    Column ``t + 1`` is the target of input column ``t`` (inputs ``w[:, :-1]``, targets
    ``w[:, 1:]``); a position trains only when both its input and its target are real.
    ``windows="last"`` takes the last ``max_len + 1`` items of every sequence (SASRec);
    ``"all"`` tiles each sequence from its end with windows overlapping by one item, so every
    transition is trained once. Sequences with fewer than 2 items give no window.
    """
    if windows not in ("last", "all"):
        raise InputError(f"windows must be 'last' or 'all', got {windows!r}")
    if max_len < 1:
        raise InputError(f"max_len must be >= 1, got {max_len}")
    a = db.arrays
    ptr = a.evt_ptr[a.seq_ptr]
    n = np.diff(ptr)
    if windows == "last":
        count = (n >= 2).astype(np.int64)
    else:
        count = np.where(n >= 2, -(-(n - 1) // max_len), 0)
    seq = np.repeat(np.arange(len(n)), count)
    j = np.arange(int(count.sum()), dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
    hi = ptr[seq + 1] - j * max_len
    return left_padded(a.items, ptr[seq], hi, max_len + 1)


def history_windows(histories: SequenceArrays, max_len: int) -> np.ndarray:
    """int64[B, max_len] tokens: the last ``max_len`` items of each history, left-padded."""
    ptr, items = history_items(histories)
    return left_padded(items, ptr[:-1], ptr[1:], max_len)
