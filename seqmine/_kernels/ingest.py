"""Kernels of the streaming event-log ingest: stable grouping by sequence, time sort inside."""

import numpy as np

from seqmine._kernels._jit import kernel


@kernel
def scatter_by_sequence(codes, seq_ptr, src):
    """Stable counting-sort scatter: rows grouped by sequence code, file order kept inside.

    ``seq_ptr`` are the group offsets (cumulated counts of ``codes``); returns a new array.
    """
    nxt = seq_ptr[:-1].copy()
    dst = np.empty_like(src)
    for i in range(len(codes)):
        c = codes[i]
        dst[nxt[c]] = src[i]
        nxt[c] += 1
    return dst


@kernel
def sort_segments_by_time(seq_ptr, times, values):
    """Stable-sort each sequence's rows by time, in place, where they are out of order.

    Returns the number of sequences that needed it.
    """
    n_sorted = 0
    for s in range(len(seq_ptr) - 1):
        lo = seq_ptr[s]
        hi = seq_ptr[s + 1]
        ordered = True
        for k in range(lo + 1, hi):
            if times[k] < times[k - 1]:
                ordered = False
                break
        if ordered:
            continue
        order = np.argsort(times[lo:hi], kind="mergesort")
        t = times[lo:hi].copy()
        v = values[lo:hi].copy()
        for k in range(hi - lo):
            times[lo + k] = t[order[k]]
            values[lo + k] = v[order[k]]
        n_sorted += 1
    return n_sorted


@kernel
def dense_codes(raw, lo, span):
    """Rank-encode integers whose range ``lo .. lo+span-1`` is small, through a lookup table.

    Returns (values, codes): ``values`` the distinct values ascending (int64), ``codes[i]``
    the rank of ``raw[i]`` among them (int32), exactly what a sort-based encoding gives,
    without hashing or sorting.
    """
    rank = np.full(span, -1, np.int32)
    for i in range(len(raw)):
        rank[raw[i] - lo] = 0
    k = 0
    for j in range(span):
        if rank[j] == 0:
            rank[j] = k
            k += 1
    values = np.empty(k, np.int64)
    for j in range(span):
        if rank[j] >= 0:
            values[rank[j]] = lo + j
    codes = np.empty(len(raw), np.int32)
    for i in range(len(raw)):
        codes[i] = rank[raw[i] - lo]
    return values, codes


@kernel
def count_codes(codes, n_codes):
    """Occurrences of each code 0..n_codes-1 (np.bincount without its int64 copy of codes)."""
    counts = np.zeros(n_codes, np.int64)
    for i in range(len(codes)):
        counts[codes[i]] += 1
    return counts
