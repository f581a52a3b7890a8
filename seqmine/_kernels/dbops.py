"""Kernels on the flat database arrays: sorting within events, gathering sequences."""

import numpy as np

from seqmine._kernels._jit import kernel


@kernel
def sort_within_events(evt_ptr, items):
    """Return a copy of ``items`` sorted ascending inside each event (insertion sort: events
    are small)."""
    out = items.copy()
    for e in range(len(evt_ptr) - 1):
        lo = evt_ptr[e]
        hi = evt_ptr[e + 1]
        for i in range(lo + 1, hi):
            v = out[i]
            j = i - 1
            while j >= lo and out[j] > v:
                out[j + 1] = out[j]
                j -= 1
            out[j + 1] = v
    return out


@kernel
def gather_sequences(seq_ptr, evt_ptr, items, times, chosen):
    """CSR arrays of the sequences ``chosen`` (in that order)."""
    n = len(chosen)
    new_seq_ptr = np.zeros(n + 1, np.int64)
    n_evt = 0
    n_items = 0
    for k in range(n):
        s = chosen[k]
        n_evt += seq_ptr[s + 1] - seq_ptr[s]
        n_items += evt_ptr[seq_ptr[s + 1]] - evt_ptr[seq_ptr[s]]
        new_seq_ptr[k + 1] = n_evt
    new_evt_ptr = np.zeros(n_evt + 1, np.int64)
    new_items = np.empty(n_items, items.dtype)
    new_times = np.empty(n_evt, times.dtype)
    e_out = 0
    i_out = 0
    for k in range(n):
        s = chosen[k]
        for e in range(seq_ptr[s], seq_ptr[s + 1]):
            new_times[e_out] = times[e]
            for i in range(evt_ptr[e], evt_ptr[e + 1]):
                new_items[i_out] = items[i]
                i_out += 1
            e_out += 1
            new_evt_ptr[e_out] = i_out
    return new_seq_ptr, new_evt_ptr, new_items, new_times
