"""Packed bitsets for the SPAM-style miners: one bit per event, each sequence's bits in its
own run of 64-bit words (bit j of a sequence's run is its j-th event), so a sequence never
shares a word with another and the s-step transform stays inside its words."""

import numpy as np

from seqmine._kernels._jit import kernel

ZERO = np.uint64(0)
ONE = np.uint64(1)
ALL = ~np.uint64(0)


@kernel
def grow_u64(arr, need):
    """Return ``arr`` or a copy with capacity >= need (doubling), contents preserved."""
    if need <= len(arr):
        return arr
    cap = max(need, 2 * len(arr), 16)
    out = np.empty(cap, np.uint64)
    out[:len(arr)] = arr
    return out


@kernel
def words_per_sequence(seq_ptr):
    """Number of 64-bit words each sequence's bitmap run needs (at least one)."""
    n = len(seq_ptr) - 1
    out = np.empty(n, np.int64)
    for s in range(n):
        out[s] = (seq_ptr[s + 1] - seq_ptr[s] + 63) >> 6
    return out


@kernel
def item_bitmaps(seq_ptr, n_items, idx_ptr, idx_sid, idx_evt, n_words):
    """Sparse vertical bitmap of every item: for item y, entries ptr[y]:ptr[y+1] give the
    sequences holding y (ascending sid), each with its word run at ``wofs`` in ``words``.

    Built from the inverted index (occurrences sorted by sid, then event)."""
    n_entries = 0
    total_words = 0
    for y in range(n_items):
        last = -1
        for j in range(idx_ptr[y], idx_ptr[y + 1]):
            s = idx_sid[j]
            if s != last:
                last = s
                n_entries += 1
                total_words += n_words[s]
    ptr = np.zeros(n_items + 1, np.int64)
    sid = np.empty(n_entries, np.int32)
    wofs = np.empty(n_entries, np.int64)
    words = np.zeros(total_words, np.uint64)
    k = 0
    w = 0
    for y in range(n_items):
        last = -1
        for j in range(idx_ptr[y], idx_ptr[y + 1]):
            s = idx_sid[j]
            if s != last:
                last = s
                sid[k] = s
                wofs[k] = w
                w += n_words[s]
                k += 1
            local = idx_evt[j] - seq_ptr[s]
            words[wofs[k - 1] + (local >> 6)] |= ONE << np.uint64(local & 63)
        ptr[y + 1] = k
    return ptr, sid, wofs, words


@kernel
def after_first(src, so, dst, do, nw):
    """dst[do:do+nw] = every bit strictly after the first set bit of src[so:so+nw] (SPAM's
    s-step transform without gap constraints). Returns False when src has no set bit."""
    k = 0
    while k < nw and src[so + k] == ZERO:
        dst[do + k] = ZERO
        k += 1
    if k == nw:
        return False
    w = src[so + k]
    # w ^ (w - 1) sets the lowest set bit and every bit below it
    dst[do + k] = ~(w ^ (w - ONE))
    for m in range(k + 1, nw):
        dst[do + m] = ALL
    return True


@kernel
def and_into(a, ao, b, bo, dst, do, nw):
    """dst[do:do+nw] = a[ao:ao+nw] & b[bo:bo+nw]; returns whether any bit is set."""
    any_set = False
    for m in range(nw):
        w = a[ao + m] & b[bo + m]
        dst[do + m] = w
        if w != ZERO:
            any_set = True
    return any_set


@kernel
def has_bit(words, wo, j):
    return ((words[wo + (j >> 6)] >> np.uint64(j & 63)) & ONE) != ZERO


@kernel
def set_bit(words, wo, j):
    words[wo + (j >> 6)] |= ONE << np.uint64(j & 63)


@kernel
def popcount(words, wo, nw):
    """Number of set bits in words[wo:wo+nw]."""
    n = 0
    for m in range(nw):
        w = words[wo + m]
        while w != ZERO:
            w &= w - ONE
            n += 1
    return n
