"""Containment of sequential patterns in sequences (DESIGN.md semantics), with gap/span
constraints, batch support counting, occurrence lists and pattern prefix/suffix matching.

Patterns are two-level CSR (``pat_ptr`` -> itemsets, ``pset_ptr`` -> ``pitems``), sequences
the database's CSR (``seq_ptr`` -> events, ``evt_ptr`` -> ``items``); itemsets of both are
sorted ascending and unique. ``coord`` is the gap/span coordinate of each event (its global
event index for positions, or its time); only differences of it are used.
"""

import numpy as np
from numba import prange

from seqmine._kernels._jit import kernel, parallel_kernel
from seqmine._kernels.buffers import grow_i64


@kernel
def is_subset(items, i0, i1, pitems, p0, p1):
    """True when sorted ``pitems[p0:p1]`` is a subset of sorted ``items[i0:i1]``."""
    i = i0
    for p in range(p0, p1):
        x = pitems[p]
        while i < i1 and items[i] < x:
            i += 1
        if i == i1 or items[i] != x:
            return False
        i += 1
    return True


@kernel
def _greedy(evt_ptr, items, e0, e1, pset_ptr, pitems, s0, s1, pos):
    """Leftmost embedding of itemsets ``s0:s1`` in events ``e0:e1``; writes the matched events
    to ``pos[0:s1-s0]`` and returns the last one, or -1 when there is none."""
    e = e0
    for s in range(s0, s1):
        while e < e1 and not is_subset(items, evt_ptr[e], evt_ptr[e + 1], pitems,
                                       pset_ptr[s], pset_ptr[s + 1]):
            e += 1
        if e >= e1:
            return -1
        pos[s - s0] = e
        e += 1
    return pos[s1 - s0 - 1] if s1 > s0 else -1


@kernel
def _window(evt_ptr, items, coord, st, e1, pset_ptr, pitems, s0, s1, min_gap, max_gap,
            max_span, reach, pos):
    """Embedding of itemsets ``s0:s1`` starting at event ``st`` (whose itemset must hold
    itemset ``s0``) under the gap/span constraints, ending as early as possible.

    Dynamic programme over events ``st:e1``: ``reach[level, j]`` says itemset ``level`` can be
    matched at event ``st + j`` by a valid partial embedding. Writes the matched events to
    ``pos`` and returns the last one, or -1. ``reach`` is scratch of shape >= (k, e1 - st).
    """
    k = s1 - s0
    m = e1 - st
    for j in range(m):
        reach[0, j] = False
    reach[0, 0] = True
    for lev in range(1, k):
        s = s0 + lev
        any_ = False
        for j in range(m):
            reach[lev, j] = False
        for j in range(1, m):
            e = st + j
            if coord[e] - coord[st] > max_span:
                break
            if not is_subset(items, evt_ptr[e], evt_ptr[e + 1], pitems, pset_ptr[s],
                             pset_ptr[s + 1]):
                continue
            for jp in range(j - 1, -1, -1):
                gap = coord[e] - coord[st + jp]
                if gap > max_gap:
                    break
                if reach[lev - 1, jp] and gap >= min_gap:
                    reach[lev, j] = True
                    any_ = True
                    break
        if not any_:
            return -1
    end = -1
    for j in range(m):
        if reach[k - 1, j]:
            end = j
            break
    if end < 0:
        return -1
    pos[k - 1] = st + end
    cur = end
    for lev in range(k - 2, -1, -1):
        for jp in range(cur - 1, -1, -1):
            gap = coord[st + cur] - coord[st + jp]
            if gap > max_gap:
                break
            if reach[lev, jp] and gap >= min_gap:
                cur = jp
                break
        pos[lev] = st + cur
    return pos[k - 1]


@kernel
def contains(evt_ptr, items, coord, e0, e1, pset_ptr, pitems, s0, s1, has_window, min_gap,
             max_gap, max_span, reach, pos):
    """Is the pattern with itemsets ``s0:s1`` contained in events ``e0:e1``?"""
    if not has_window:
        return _greedy(evt_ptr, items, e0, e1, pset_ptr, pitems, s0, s1, pos) >= 0
    for st in range(e0, e1):
        if is_subset(items, evt_ptr[st], evt_ptr[st + 1], pitems, pset_ptr[s0],
                     pset_ptr[s0 + 1]) and _window(
                evt_ptr, items, coord, st, e1, pset_ptr, pitems, s0, s1, min_gap, max_gap,
                max_span, reach, pos) >= 0:
            return True
    return False


@kernel
def _rarest_item(pset_ptr, pitems, s0, s1, inv_ptr):
    best = -1
    best_n = -1
    for p in range(pset_ptr[s0], pset_ptr[s1]):
        x = pitems[p]
        n = inv_ptr[x + 1] - inv_ptr[x]
        if best < 0 or n < best_n:
            best = x
            best_n = n
    return best


@parallel_kernel
def count_support(seq_ptr, evt_ptr, items, coord, pat_ptr, pset_ptr, pitems, inv_ptr,
                  inv_sid, max_seq_len, has_window, min_gap, max_gap, max_span):
    """Support (sequences containing it) of every pattern, in parallel over patterns.

    Only the sequences holding the pattern's rarest item are checked (``inv_ptr``/``inv_sid``:
    item -> sorted unique sequence ids). Items outside the inverted index's range must have
    been mapped to an empty list by the caller. Empty patterns get support 0.
    """
    n_pat = len(pat_ptr) - 1
    out = np.zeros(n_pat, np.int64)
    for k in prange(n_pat):
        s0 = pat_ptr[k]
        s1 = pat_ptr[k + 1]
        if s1 == s0:
            continue
        pos = np.empty(s1 - s0, np.int64)
        reach = np.empty((s1 - s0 if has_window else 1, max_seq_len if has_window else 1),
                         np.bool_)
        x = _rarest_item(pset_ptr, pitems, s0, s1, inv_ptr)
        c = 0
        for t in range(inv_ptr[x], inv_ptr[x + 1]):
            sid = inv_sid[t]
            if contains(evt_ptr, items, coord, seq_ptr[sid], seq_ptr[sid + 1], pset_ptr,
                        pitems, s0, s1, has_window, min_gap, max_gap, max_span, reach, pos):
                c += 1
        out[k] = c
    return out


@kernel
def occurrences(seq_ptr, evt_ptr, items, coord, pset_ptr, pitems, s0, s1, cand_sid,
                max_seq_len, has_window, min_gap, max_gap, max_span, first_only):
    """Occurrences of one pattern (itemsets ``s0:s1``) in the sequences ``cand_sid``.

    One occurrence per start event (an event holding the first itemset from which an
    embedding exists): the embedding starting there that ends earliest, itemsets matched as
    early as possible. ``first_only`` keeps only the first occurrence of each sequence.
    Returns (sid int64[n], events int64[n * k]) with global event indices, in sequence then
    start order.
    """
    k = s1 - s0
    pos = np.empty(k, np.int64)
    reach = np.empty((k if has_window else 1, max_seq_len if has_window else 1), np.bool_)
    out_sid = np.empty(16, np.int64)
    out_evt = np.empty(16 * k, np.int64)
    n = 0
    for t in range(len(cand_sid)):
        sid = cand_sid[t]
        e0 = seq_ptr[sid]
        e1 = seq_ptr[sid + 1]
        for st in range(e0, e1):
            if not is_subset(items, evt_ptr[st], evt_ptr[st + 1], pitems, pset_ptr[s0],
                             pset_ptr[s0 + 1]):
                continue
            if has_window:
                end = _window(evt_ptr, items, coord, st, e1, pset_ptr, pitems, s0, s1,
                              min_gap, max_gap, max_span, reach, pos)
            else:
                end = _greedy(evt_ptr, items, st, e1, pset_ptr, pitems, s0, s1, pos)
            if end < 0:
                if not has_window:
                    break  # no embedding from here means none from any later start
                continue
            out_sid = grow_i64(out_sid, n + 1)
            out_evt = grow_i64(out_evt, (n + 1) * k)
            out_sid[n] = sid
            for i in range(k):
                out_evt[n * k + i] = pos[i]
            n += 1
            if first_only:
                break
    return out_sid[:n], out_evt[:n * k]


@kernel
def latest_prefix_before(evt_ptr, items, h0, e_end, pset_ptr, pitems, s0, s1):
    """Is the pattern with itemsets ``s0:s1`` contained in events ``h0:e_end``? (Greedy from
    the right: every itemset as late as possible; no gap constraints.)"""
    e = e_end - 1
    for s in range(s1 - 1, s0 - 1, -1):
        while e >= h0 and not is_subset(items, evt_ptr[e], evt_ptr[e + 1], pitems,
                                        pset_ptr[s], pset_ptr[s + 1]):
            e -= 1
        if e < h0:
            return False
        e -= 1
    return True


@parallel_kernel
def aligned_match(pat_ptr, pset_ptr, pitems, q_set_ptr, q_items, at_end):
    """For each pattern P: do the itemsets of query Q (``q_set_ptr``/``q_items``, one pattern)
    lie inside P's first |Q| itemsets (``at_end`` False) or last |Q| itemsets (True),
    position by position (Q_i a subset of P_i)?"""
    n_pat = len(pat_ptr) - 1
    nq = len(q_set_ptr) - 1
    out = np.zeros(n_pat, np.bool_)
    for k in prange(n_pat):
        size = pat_ptr[k + 1] - pat_ptr[k]
        if size < nq:
            continue
        first = pat_ptr[k] if not at_end else pat_ptr[k + 1] - nq
        ok = True
        for i in range(nq):
            j = first + i
            if not is_subset(pitems, pset_ptr[j], pset_ptr[j + 1], q_items, q_set_ptr[i],
                             q_set_ptr[i + 1]):
                ok = False
                break
        out[k] = ok
    return out


@parallel_kernel
def latest_ends(evt_ptr, items, e0, e1, pat_ptr, pset_ptr, pitems):
    """For each pattern: the latest event of ``e0:e1`` where an embedding of it can end (no
    gap constraints), or -1. The last itemset goes in the latest event holding it; if the
    rest does not fit before that event, it fits before no earlier one either."""
    n_pat = len(pat_ptr) - 1
    out = np.full(n_pat, -1, np.int64)
    for k in prange(n_pat):
        s0 = pat_ptr[k]
        s1 = pat_ptr[k + 1]
        if s1 == s0:
            continue
        for e in range(e1 - 1, e0 - 1, -1):
            if is_subset(items, evt_ptr[e], evt_ptr[e + 1], pitems, pset_ptr[s1 - 1],
                         pset_ptr[s1]):
                if latest_prefix_before(evt_ptr, items, e0, e, pset_ptr, pitems, s0, s1 - 1):
                    out[k] = e
                break
    return out


@kernel
def _next_event(d_ptr, d_item, g_ptr, g_evt, s, x, e):
    """First event >= e of sequence s holding item x, or -1 (position index lookup)."""
    lo = d_ptr[s]
    hi = d_ptr[s + 1]
    while lo < hi:
        mid = (lo + hi) >> 1
        if d_item[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    if lo == d_ptr[s + 1] or d_item[lo] != x:
        return -1
    a = g_ptr[lo]
    b = g_ptr[lo + 1]
    while a < b:
        mid = (a + b) >> 1
        if g_evt[mid] < e:
            a = mid + 1
        else:
            b = mid
    return g_evt[a] if a < g_ptr[lo + 1] else -1


@kernel
def _contains_indexed(d_ptr, d_item, g_ptr, g_evt, s, e0, pset_ptr, pitems, s0, s1):
    """Greedy leftmost containment (no gap constraints) by jumping between occurrences:
    O(pattern length * log) per sequence instead of a scan of its events."""
    p = e0
    for j in range(s0, s1):
        e = p
        while True:
            settled = True
            for t in range(pset_ptr[j], pset_ptr[j + 1]):
                q = _next_event(d_ptr, d_item, g_ptr, g_evt, s, pitems[t], e)
                if q < 0:
                    return False
                if q > e:
                    e = q
                    settled = False
            if settled:
                break
        p = e + 1
    return True


@parallel_kernel
def count_support_indexed(seq_ptr, d_ptr, d_item, g_ptr, g_evt, pat_ptr, pset_ptr, pitems,
                          inv_ptr, inv_sid):
    """Support of every pattern without gap constraints, through the position index:
    per sequence s, its distinct items ``d_item[d_ptr[s]:d_ptr[s+1]]`` (ascending), item
    group g holding the sorted global events ``g_evt[g_ptr[g]:g_ptr[g+1]]``. Candidates are
    the sequences of each pattern's rarest item; parallel over patterns."""
    n_pat = len(pat_ptr) - 1
    out = np.zeros(n_pat, np.int64)
    for k in prange(n_pat):
        s0 = pat_ptr[k]
        s1 = pat_ptr[k + 1]
        if s1 == s0:
            continue
        x = _rarest_item(pset_ptr, pitems, s0, s1, inv_ptr)
        c = 0
        for t in range(inv_ptr[x], inv_ptr[x + 1]):
            sid = inv_sid[t]
            if _contains_indexed(d_ptr, d_item, g_ptr, g_evt, sid, seq_ptr[sid], pset_ptr,
                                 pitems, s0, s1):
                c += 1
        out[k] = c
    return out
