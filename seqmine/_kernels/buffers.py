"""Growable flat buffers (capacity doubling) used by the mining kernels."""

import numpy as np

from seqmine._kernels._jit import kernel


@kernel
def grow_i64(arr, need):
    """Return ``arr`` or a copy with capacity >= need (doubling), contents preserved."""
    if need <= len(arr):
        return arr
    cap = max(need, 2 * len(arr), 16)
    out = np.empty(cap, np.int64)
    out[:len(arr)] = arr
    return out


@kernel
def grow_i32(arr, need):
    if need <= len(arr):
        return arr
    cap = max(need, 2 * len(arr), 16)
    out = np.empty(cap, np.int32)
    out[:len(arr)] = arr
    return out


@kernel
def grow_i8(arr, need):
    if need <= len(arr):
        return arr
    cap = max(need, 2 * len(arr), 16)
    out = np.empty(cap, np.int8)
    out[:len(arr)] = arr
    return out
