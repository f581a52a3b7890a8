"""Small vectorised helpers over CSR offsets."""

from __future__ import annotations

import numpy as np


def take_ranges(ptr: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(ptr[i], ptr[i+1])`` for i in ``idx`` (no Python loop)."""
    idx = np.asarray(idx, dtype=np.int64)
    starts = ptr[idx]
    lengths = ptr[idx + 1] - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    offsets = np.zeros(len(idx), np.int64)
    np.cumsum(lengths[:-1], out=offsets[1:])
    return np.repeat(starts - offsets, lengths) + np.arange(total, dtype=np.int64)


def lengths_to_ptr(lengths: np.ndarray) -> np.ndarray:
    ptr = np.zeros(len(lengths) + 1, np.int64)
    np.cumsum(lengths, out=ptr[1:])
    return ptr
