"""Database preparation for the pattern-growth miners: item supports, dense relabelling of
frequent items, and the item -> (sid, event) inverted index that seeds first-level
projections."""

import numpy as np

from seqmine._kernels._jit import kernel


@kernel
def item_supports(seq_ptr, evt_ptr, items, n_items):
    """Number of sequences containing each item (each sequence counts once)."""
    support = np.zeros(n_items, np.int64)
    last = np.full(n_items, -1, np.int64)
    for s in range(len(seq_ptr) - 1):
        for q in range(evt_ptr[seq_ptr[s]], evt_ptr[seq_ptr[s + 1]]):
            x = items[q]
            if last[x] != s:
                last[x] = s
                support[x] += 1
    return support


@kernel
def sequences_containing_all(seq_ptr, evt_ptr, items, required, n_required):
    """Mask of sequences that contain every item flagged in ``required`` (bool per item)."""
    n_seq = len(seq_ptr) - 1
    keep = np.zeros(n_seq, np.bool_)
    last = np.full(len(required), -1, np.int64)
    for s in range(n_seq):
        found = 0
        for q in range(evt_ptr[seq_ptr[s]], evt_ptr[seq_ptr[s + 1]]):
            x = items[q]
            if required[x] and last[x] != s:
                last[x] = s
                found += 1
        keep[s] = found == n_required
    return keep


@kernel
def reduce_database(seq_ptr, evt_ptr, items, coord, new_code, keep_seq):
    """Keep items with ``new_code >= 0`` (relabelled) in sequences with ``keep_seq``; drop
    events and sequences left empty. ``coord`` (event position or time) travels with each
    kept event so gap constraints still see original distances."""
    n_seq = len(seq_ptr) - 1
    out_seq_ptr = np.zeros(n_seq + 1, np.int64)
    out_evt_ptr = np.zeros(len(evt_ptr), np.int64)
    out_items = np.empty(len(items), np.int32)
    out_coord = np.empty(len(evt_ptr), np.int64)
    ns = 0
    ne = 0
    ni = 0
    for s in range(n_seq):
        if not keep_seq[s]:
            continue
        ne_before = ne
        for e in range(seq_ptr[s], seq_ptr[s + 1]):
            ni_before = ni
            for q in range(evt_ptr[e], evt_ptr[e + 1]):
                c = new_code[items[q]]
                if c >= 0:
                    out_items[ni] = c
                    ni += 1
            if ni > ni_before:
                out_coord[ne] = coord[e]
                ne += 1
                out_evt_ptr[ne] = ni
        if ne > ne_before:
            ns += 1
            out_seq_ptr[ns] = ne
    return (out_seq_ptr[:ns + 1].copy(), out_evt_ptr[:ne + 1].copy(), out_items[:ni].copy(),
            out_coord[:ne].copy())


@kernel
def inverted_index(seq_ptr, evt_ptr, items, n_items):
    """CSR by item of its occurrences (sid, event), sorted by sid then event."""
    counts = np.zeros(n_items + 1, np.int64)
    for q in range(len(items)):
        counts[items[q] + 1] += 1
    ptr = np.cumsum(counts)
    cursor = ptr[:-1].copy()
    occ_sid = np.empty(len(items), np.int32)
    occ_evt = np.empty(len(items), np.int32)
    for s in range(len(seq_ptr) - 1):
        for e in range(seq_ptr[s], seq_ptr[s + 1]):
            for q in range(evt_ptr[e], evt_ptr[e + 1]):
                x = items[q]
                k = cursor[x]
                occ_sid[k] = s
                occ_evt[k] = e
                cursor[x] = k + 1
    return ptr, occ_sid, occ_evt


@kernel
def positions_in_sequence(seq_ptr):
    """0-based position of each event within its sequence."""
    out = np.empty(seq_ptr[-1], np.int64)
    for s in range(len(seq_ptr) - 1):
        for e in range(seq_ptr[s], seq_ptr[s + 1]):
            out[e] = e - seq_ptr[s]
    return out
