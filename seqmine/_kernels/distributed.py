"""Kernels of distributed PrefixSpan: partition-local child counting and projection, the
extraction of small projected databases, and growth from arbitrary seed prefixes.

A partition is a slice of whole sequences (the reduced, densely relabelled database of
``mining.prepare``), so every count below is exact per partition and sums across them.
Projections use PrefixSpan's occurrence triples (sid, end, start) and its one-pass child scan
(``_scan``), so the children found here are exactly those ``prefixspan.grow`` would find.
"""

import numpy as np

from seqmine._kernels._jit import INTERRUPTED, MEMORY_BUDGET, OK, PATTERN_BUDGET, kernel
from seqmine._kernels.buffers import grow_i8, grow_i32, grow_i64
from seqmine._kernels.prefixspan import (
    _add_node,
    _lay_out_children,
    _scan,
    _scan_bound,
)


@kernel
def level_one_stats(seq_ptr, evt_ptr, items, n_items):
    """Per item: sequences containing it, and projected size (items from its first event to
    the end of the sequence, summed over those sequences)."""
    support = np.zeros(n_items, np.int64)
    size = np.zeros(n_items, np.int64)
    last = np.full(n_items, -1, np.int64)
    for s in range(len(seq_ptr) - 1):
        end_item = evt_ptr[seq_ptr[s + 1]]
        for e in range(seq_ptr[s], seq_ptr[s + 1]):
            for q in range(evt_ptr[e], evt_ptr[e + 1]):
                x = items[q]
                if last[x] != s:
                    last[x] = s
                    support[x] += 1
                    size[x] += end_item - evt_ptr[e]
    return support, size


@kernel
def project_items(seq_ptr, evt_ptr, items, child_of_item, n_child, keep_all):
    """First-level projections of the items with ``child_of_item >= 0``: CSR by child of
    occurrences (sid, end, start=end), every occurrence when ``keep_all`` else the first per
    sequence; sorted by (sid, end) inside each child."""
    n_items = len(child_of_item)
    counts = np.zeros(n_child + 1, np.int64)
    last = np.full(n_items, -1, np.int64)
    for s in range(len(seq_ptr) - 1):
        for e in range(seq_ptr[s], seq_ptr[s + 1]):
            for q in range(evt_ptr[e], evt_ptr[e + 1]):
                x = items[q]
                c = child_of_item[x]
                if c >= 0 and (keep_all or last[x] != s):
                    last[x] = s
                    counts[c + 1] += 1
    ptr = np.cumsum(counts)
    cursor = ptr[:-1].copy()
    sid = np.empty(ptr[-1], np.int32)
    end = np.empty(ptr[-1], np.int32)
    last[:] = -1
    for s in range(len(seq_ptr) - 1):
        for e in range(seq_ptr[s], seq_ptr[s + 1]):
            for q in range(evt_ptr[e], evt_ptr[e + 1]):
                x = items[q]
                c = child_of_item[x]
                if c >= 0 and (keep_all or last[x] != s):
                    last[x] = s
                    k = cursor[c]
                    sid[k] = s
                    end[k] = e
                    cursor[c] = k + 1
    return ptr, sid, end, end.copy()


@kernel
def _scan_prefix(seq_ptr, evt_ptr, items, coord, A_sid, A_end, A_start, pb, pe, last_item,
                 allow_i, allow_s, single, keep_all, has_window, min_gap, max_gap, max_span,
                 sup_s, sup_i, occ_s, occ_i, seen_s, seen_i, stamp, touched_s, touched_i,
                 T_sid, T_item, T_end, T_start, T_sext):
    """``_scan`` of one prefix's projection with the scratch grown to fit; returns the
    (possibly reallocated) record arrays with the counts."""
    bound = _scan_bound(seq_ptr, evt_ptr, A_sid, A_end, pb, pe, allow_i, allow_s)
    if bound > len(T_sid):
        T_sid = grow_i32(T_sid, bound)
        T_item = grow_i32(T_item, bound)
        T_end = grow_i32(T_end, bound)
        T_start = grow_i32(T_start, bound)
        T_sext = grow_i8(T_sext, bound)
    nts, nti, nt, stamp = _scan(
        seq_ptr, evt_ptr, items, coord, A_sid, A_end, A_start, pb, pe, last_item, allow_i,
        allow_s, single, keep_all, has_window, min_gap, max_gap, max_span, sup_s, sup_i,
        occ_s, occ_i, seen_s, seen_i, stamp, touched_s, touched_i, T_sid, T_item, T_end,
        T_start, T_sext)
    if not keep_all:
        # the one-item, no-window path of _scan records s-extensions only and leaves the
        # flag (and the start, never read without a window) unwritten
        for t in range(nt):
            T_sext[t] = 1
            T_start[t] = T_end[t]
    return nts, nti, nt, stamp, T_sid, T_item, T_end, T_start, T_sext


@kernel
def count_children(seq_ptr, evt_ptr, items, coord, n_items, f_ptr, occ_sid, occ_end,
                   occ_start, f_last, f_allow_i, f_allow_s, single, keep_all, has_window,
                   min_gap, max_gap, max_span):
    """Candidate children of every frontier prefix f (projection f_ptr[f]:f_ptr[f+1]) in
    this partition: returns (f, item, sext, support, size) for each candidate seen, where
    size is the child's projected size (items from its first end to the sequence's end)."""
    sup_s = np.zeros(n_items, np.int64)
    sup_i = np.zeros(n_items, np.int64)
    occ_s = np.zeros(n_items, np.int64)
    occ_i = np.zeros(n_items, np.int64)
    seen_s = np.full(n_items, -1, np.int64)
    seen_i = np.full(n_items, -1, np.int64)
    size_s = np.zeros(n_items, np.int64)
    size_i = np.zeros(n_items, np.int64)
    last_s = np.full(n_items, -1, np.int64)
    last_i = np.full(n_items, -1, np.int64)
    touched_s = np.empty(n_items, np.int32)
    touched_i = np.empty(n_items, np.int32)
    T_sid = np.empty(1024, np.int32)
    T_item = np.empty(1024, np.int32)
    T_end = np.empty(1024, np.int32)
    T_start = np.empty(1024, np.int32)
    T_sext = np.empty(1024, np.int8)
    o_f = np.empty(256, np.int64)
    o_item = np.empty(256, np.int32)
    o_sext = np.empty(256, np.int8)
    o_sup = np.empty(256, np.int64)
    o_size = np.empty(256, np.int64)
    n_o = 0
    stamp = 0
    for f in range(len(f_ptr) - 1):
        pb = f_ptr[f]
        pe = f_ptr[f + 1]
        if pe == pb or not (f_allow_i[f] or f_allow_s[f]):
            continue
        nts, nti, nt, stamp, T_sid, T_item, T_end, T_start, T_sext = _scan_prefix(
            seq_ptr, evt_ptr, items, coord, occ_sid, occ_end, occ_start, pb, pe, f_last[f],
            f_allow_i[f], f_allow_s[f], single, keep_all, has_window, min_gap, max_gap,
            max_span, sup_s, sup_i, occ_s, occ_i, seen_s, seen_i, stamp, touched_s,
            touched_i, T_sid, T_item, T_end, T_start, T_sext)
        for t in range(nt):
            y = T_item[t]
            s = T_sid[t]
            rest = evt_ptr[seq_ptr[s + 1]] - evt_ptr[T_end[t]]
            if T_sext[t]:
                if last_s[y] != s:
                    last_s[y] = s
                    size_s[y] += rest
            elif last_i[y] != s:
                last_i[y] = s
                size_i[y] += rest
        need = n_o + nts + nti
        o_f = grow_i64(o_f, need)
        o_item = grow_i32(o_item, need)
        o_sext = grow_i8(o_sext, need)
        o_sup = grow_i64(o_sup, need)
        o_size = grow_i64(o_size, need)
        for k in range(nti):
            y = touched_i[k]
            o_f[n_o] = f
            o_item[n_o] = y
            o_sext[n_o] = 0
            o_sup[n_o] = sup_i[y]
            o_size[n_o] = size_i[y]
            n_o += 1
            sup_i[y] = 0
            occ_i[y] = 0
            size_i[y] = 0
            last_i[y] = -1
        for k in range(nts):
            y = touched_s[k]
            o_f[n_o] = f
            o_item[n_o] = y
            o_sext[n_o] = 1
            o_sup[n_o] = sup_s[y]
            o_size[n_o] = size_s[y]
            n_o += 1
            sup_s[y] = 0
            occ_s[y] = 0
            size_s[y] = 0
            last_s[y] = -1
    return (o_f[:n_o].copy(), o_item[:n_o].copy(), o_sext[:n_o].copy(), o_sup[:n_o].copy(),
            o_size[:n_o].copy())


@kernel
def project_children(seq_ptr, evt_ptr, items, coord, n_items, f_ptr, occ_sid, occ_end,
                     occ_start, f_last, f_allow_i, f_allow_s, single, keep_all, has_window,
                     min_gap, max_gap, max_span, child_ptr_of_f, child_item, child_sext):
    """Projections of chosen children: the children of prefix f are
    ``child_ptr_of_f[f]:child_ptr_of_f[f+1]`` (item, sext). Returns CSR by child of the
    occurrences (sid, end, start), each child's run sorted by (sid, end)."""
    n_child = len(child_item)
    sup_s = np.zeros(n_items, np.int64)
    sup_i = np.zeros(n_items, np.int64)
    occ_s = np.zeros(n_items, np.int64)
    occ_i = np.zeros(n_items, np.int64)
    seen_s = np.full(n_items, -1, np.int64)
    seen_i = np.full(n_items, -1, np.int64)
    child_s = np.full(n_items, -1, np.int64)
    child_i = np.full(n_items, -1, np.int64)
    touched_s = np.empty(n_items, np.int32)
    touched_i = np.empty(n_items, np.int32)
    T_sid = np.empty(1024, np.int32)
    T_item = np.empty(1024, np.int32)
    T_end = np.empty(1024, np.int32)
    T_start = np.empty(1024, np.int32)
    T_sext = np.empty(1024, np.int8)
    # records of chosen children in scan order, then a stable counting sort by child
    r_child = np.empty(1024, np.int64)
    r_sid = np.empty(1024, np.int32)
    r_end = np.empty(1024, np.int32)
    r_start = np.empty(1024, np.int32)
    n_r = 0
    stamp = 0
    for f in range(len(f_ptr) - 1):
        cb = child_ptr_of_f[f]
        ce = child_ptr_of_f[f + 1]
        if cb == ce:
            continue
        pb = f_ptr[f]
        pe = f_ptr[f + 1]
        nts, nti, nt, stamp, T_sid, T_item, T_end, T_start, T_sext = _scan_prefix(
            seq_ptr, evt_ptr, items, coord, occ_sid, occ_end, occ_start, pb, pe, f_last[f],
            f_allow_i[f], f_allow_s[f], single, keep_all, has_window, min_gap, max_gap,
            max_span, sup_s, sup_i, occ_s, occ_i, seen_s, seen_i, stamp, touched_s,
            touched_i, T_sid, T_item, T_end, T_start, T_sext)
        for k in range(nti):
            y = touched_i[k]
            sup_i[y] = 0
            occ_i[y] = 0
        for k in range(nts):
            y = touched_s[k]
            sup_s[y] = 0
            occ_s[y] = 0
        for c in range(cb, ce):
            if child_sext[c]:
                child_s[child_item[c]] = c
            else:
                child_i[child_item[c]] = c
        r_child = grow_i64(r_child, n_r + nt)
        r_sid = grow_i32(r_sid, n_r + nt)
        r_end = grow_i32(r_end, n_r + nt)
        r_start = grow_i32(r_start, n_r + nt)
        for t in range(nt):
            y = T_item[t]
            c = child_s[y] if T_sext[t] else child_i[y]
            if c >= 0:
                r_child[n_r] = c
                r_sid[n_r] = T_sid[t]
                r_end[n_r] = T_end[t]
                r_start[n_r] = T_start[t]
                n_r += 1
        for c in range(cb, ce):
            child_s[child_item[c]] = -1
            child_i[child_item[c]] = -1
    counts = np.zeros(n_child + 1, np.int64)
    for r in range(n_r):
        counts[r_child[r] + 1] += 1
    ptr = np.cumsum(counts)
    cursor = ptr[:-1].copy()
    sid = np.empty(n_r, np.int32)
    end = np.empty(n_r, np.int32)
    start = np.empty(n_r, np.int32)
    for r in range(n_r):
        k = cursor[r_child[r]]
        sid[k] = r_sid[r]
        end[k] = r_end[r]
        start[k] = r_start[r]
        cursor[r_child[r]] = k + 1
    return ptr, sid, end, start


@kernel
def extract_piece(seq_ptr, evt_ptr, items, coord, child_ptr, occ_sid, occ_end, occ_start,
                  c0, c1, has_window, single, first):
    """The projected database of children c0:c1 as a standalone CSR piece.

    Holds, for every sequence some child occurs in (ascending sid), the events from the
    earliest one a child needs (its first end; its first start under a window) to the end;
    occurrences are re-indexed into the piece. ``first`` is int64 scratch of one slot per
    sequence, all -1 on entry and on exit. Compact: with ``single`` (one item per event) the
    piece's evt_ptr, and without ``has_window`` its coord, are left empty (the receiver
    rebuilds or does not need them).
    Returns (seq_ptr, evt_ptr, items, coord, child_ptr, sid, end, start).
    """
    sids = np.empty(16, np.int64)
    n_s = 0
    for j in range(child_ptr[c0], child_ptr[c1]):
        s = occ_sid[j]
        need = occ_start[j] if has_window else occ_end[j]
        if first[s] < 0:
            sids = grow_i64(sids, n_s + 1)
            sids[n_s] = s
            n_s += 1
            first[s] = need
        elif need < first[s]:
            first[s] = need
    sids = np.sort(sids[:n_s])
    p_seq_ptr = np.zeros(n_s + 1, np.int64)
    n_evt = 0
    n_it = 0
    for k in range(n_s):
        s = sids[k]
        n_evt += seq_ptr[s + 1] - first[s]
        n_it += evt_ptr[seq_ptr[s + 1]] - evt_ptr[first[s]]
        p_seq_ptr[k + 1] = n_evt
    p_evt_ptr = np.zeros(1 if single else n_evt + 1, np.int64)
    p_items = np.empty(n_it, np.int32)
    p_coord = np.empty(n_evt if has_window else 0, np.int64)
    # per sequence: local index and the shift from partition to piece event indices
    local = np.empty(n_s, np.int64)
    e_out = 0
    i_out = 0
    for k in range(n_s):
        s = sids[k]
        local[k] = p_seq_ptr[k] - first[s]
        for e in range(first[s], seq_ptr[s + 1]):
            if has_window:
                p_coord[e_out] = coord[e]
            for q in range(evt_ptr[e], evt_ptr[e + 1]):
                p_items[i_out] = items[q]
                i_out += 1
            e_out += 1
            if not single:
                p_evt_ptr[e_out] = i_out
        first[s] = -(k + 2)  # remember k while the occurrences are re-indexed
    n_occ = child_ptr[c1] - child_ptr[c0]
    p_child_ptr = child_ptr[c0:c1 + 1] - child_ptr[c0]
    p_sid = np.empty(n_occ, np.int32)
    p_end = np.empty(n_occ, np.int32)
    p_start = np.empty(n_occ, np.int32)
    for j in range(child_ptr[c0], child_ptr[c1]):
        k = -first[occ_sid[j]] - 2
        o = j - child_ptr[c0]
        p_sid[o] = k
        p_end[o] = occ_end[j] + local[k]
        p_start[o] = occ_start[j] + local[k] if has_window else p_end[o]
    for k in range(n_s):
        first[sids[k]] = -1
    return p_seq_ptr, p_evt_ptr, p_items, p_coord, p_child_ptr, p_sid, p_end, p_start


@kernel
def grow_seeded(seq_ptr, evt_ptr, items, coord, n_items, seed_ptr, seed_sid, seed_end,
                seed_start, seed_item, seed_sext, seed_len, seed_size, seed_req_ptr,
                seed_req_items, min_count, single, keep_all, has_window, min_gap, max_gap,
                max_span, max_length, max_size, required, n_required, max_patterns,
                max_bytes, cancel):
    """``prefixspan.grow`` started from arbitrary prefixes instead of first-level items.

    Seed k is a prefix whose last token is (seed_item[k], seed_sext[k]); its projection is
    seed_ptr[k]:seed_ptr[k+1] of (sid, end, start), sorted by (sid, end); seed_len/seed_size
    are the prefix's length and size *before* that token; seed_req_items[seed_req_ptr[k]:
    seed_req_ptr[k+1]] are the required items among those earlier tokens (with repeats).
    Seeds below min_count are skipped. Returns (status, parent, item, sext, support, emit,
    root_seed): the tree of every seed's subtree, the seed node itself as root, in
    depth-first order; root_seed[r] is the seed of the r-th root.
    The search below the seeds is grow's, statement for statement.
    """
    out_parent = np.empty(1024, np.int64)
    out_item = np.empty(1024, np.int32)
    out_sext = np.empty(1024, np.int8)
    out_support = np.empty(1024, np.int64)
    out_emit = np.empty(1024, np.int8)
    root_seed = np.empty(len(seed_item), np.int64)
    n_roots = 0
    n_out = 0
    n_emitted = 0
    A_sid = np.empty(1024, np.int32)
    A_end = np.empty(1024, np.int32)
    A_start = np.empty(1024, np.int32)
    C_item = np.empty(256, np.int32)
    C_sext = np.empty(256, np.int8)
    C_b = np.empty(256, np.int64)
    C_e = np.empty(256, np.int64)
    C_sup = np.empty(256, np.int64)
    S_node = np.empty(64, np.int64)
    S_pb = np.empty(64, np.int64)
    S_pe = np.empty(64, np.int64)
    S_cur = np.empty(64, np.int64)
    S_ce = np.empty(64, np.int64)
    S_atop = np.empty(64, np.int64)
    S_ctop = np.empty(64, np.int64)
    S_item = np.empty(64, np.int64)
    S_size = np.empty(64, np.int64)
    S_len = np.empty(64, np.int64)
    sup_s = np.zeros(n_items, np.int64)
    sup_i = np.zeros(n_items, np.int64)
    occ_s = np.zeros(n_items, np.int64)
    occ_i = np.zeros(n_items, np.int64)
    seen_s = np.full(n_items, -1, np.int64)
    seen_i = np.full(n_items, -1, np.int64)
    cur_s = np.full(n_items, -1, np.int64)
    cur_i = np.full(n_items, -1, np.int64)
    touched_s = np.empty(n_items, np.int32)
    touched_i = np.empty(n_items, np.int32)
    req_count = np.zeros(n_items, np.int64)
    T_sid = np.empty(1024, np.int32)
    T_item = np.empty(1024, np.int32)
    T_end = np.empty(1024, np.int32)
    T_start = np.empty(1024, np.int32)
    T_sext = np.empty(1024, np.int8)
    no_rejected = np.zeros(0, np.int64)  # only top-k tracks rejected supports
    n_present = 0
    stamp = 0
    status = OK

    for r in range(len(seed_item)):
        a_top = 0
        c_top = 0
        b = seed_ptr[r]
        e = seed_ptr[r + 1]
        A_sid = grow_i32(A_sid, e - b)
        A_end = grow_i32(A_end, e - b)
        A_start = grow_i32(A_start, e - b)
        last_sid = -1
        sup = 0
        for j in range(b, e):
            sid = seed_sid[j]
            if sid != last_sid:
                sup += 1
            elif not keep_all:
                continue
            last_sid = sid
            A_sid[a_top] = sid
            A_end[a_top] = seed_end[j]
            A_start[a_top] = seed_start[j]
            a_top += 1
        if sup < min_count:
            continue
        # required items of the prefix before the seed token
        for j in range(seed_req_ptr[r], seed_req_ptr[r + 1]):
            y = seed_req_items[j]
            req_count[y] += 1
            if req_count[y] == 1:
                n_present += 1
        root_seed[n_roots] = r
        n_roots += 1
        d = 0
        pending = True
        p_item = seed_item[r]
        p_sext = seed_sext[r]
        p_sup = sup
        p_pb = 0
        p_pe = a_top
        p_parent = -1
        p_len = seed_len[r]
        p_size = seed_size[r]
        while True:
            if pending:
                pending = False
                length = p_len + 1
                size = p_size + p_sext
                if required[p_item]:
                    req_count[p_item] += 1
                    if req_count[p_item] == 1:
                        n_present += 1
                node = n_out
                emit = n_present == n_required
                out_parent, out_item, out_sext, out_support, out_emit, n_out = _add_node(
                    out_parent, out_item, out_sext, out_support, out_emit, n_out, p_parent,
                    p_item, p_sext, p_sup, emit)
                if emit:
                    n_emitted += 1
                    if n_emitted > max_patterns:
                        status = PATTERN_BUDGET
                        break
                if (n_out & 4095) == 0 and cancel[0] != 0:
                    status = INTERRUPTED
                    break
                if d == len(S_node):
                    S_node = grow_i64(S_node, d + 1)
                    S_pb = grow_i64(S_pb, d + 1)
                    S_pe = grow_i64(S_pe, d + 1)
                    S_cur = grow_i64(S_cur, d + 1)
                    S_ce = grow_i64(S_ce, d + 1)
                    S_atop = grow_i64(S_atop, d + 1)
                    S_ctop = grow_i64(S_ctop, d + 1)
                    S_item = grow_i64(S_item, d + 1)
                    S_size = grow_i64(S_size, d + 1)
                    S_len = grow_i64(S_len, d + 1)
                S_node[d] = node
                S_pb[d] = p_pb
                S_pe[d] = p_pe
                S_atop[d] = a_top
                S_ctop[d] = c_top
                S_item[d] = p_item
                S_size[d] = size
                S_len[d] = length
                S_cur[d] = c_top
                S_ce[d] = c_top
                allow_i = keep_all and length < max_length
                allow_s = length < max_length and size < max_size
                if allow_i or allow_s:
                    bound = _scan_bound(seq_ptr, evt_ptr, A_sid, A_end, p_pb, p_pe,
                                        allow_i, allow_s)
                    if bound > len(T_sid):
                        T_sid = grow_i32(T_sid, bound)
                        T_item = grow_i32(T_item, bound)
                        T_end = grow_i32(T_end, bound)
                        T_start = grow_i32(T_start, bound)
                        T_sext = grow_i8(T_sext, bound)
                    nts, nti, nt, stamp = _scan(
                        seq_ptr, evt_ptr, items, coord, A_sid, A_end, A_start, p_pb, p_pe,
                        p_item, allow_i, allow_s, single, keep_all, has_window, min_gap,
                        max_gap, max_span, sup_s, sup_i, occ_s, occ_i, seen_s, seen_i, stamp,
                        touched_s, touched_i, T_sid, T_item, T_end, T_start, T_sext)
                    (A_sid, A_end, A_start, a_top, C_item, C_sext, C_b, C_e, C_sup,
                     c_top) = _lay_out_children(
                        min_count, nti, nts, nt, keep_all, False, S_cur[d], no_rejected,
                        touched_i, touched_s, sup_i, sup_s, occ_i, occ_s, cur_i, cur_s,
                        T_sid, T_item, T_end, T_start, T_sext,
                        A_sid, A_end, A_start, a_top, C_item, C_sext, C_b, C_e, C_sup, c_top)
                    S_ce[d] = c_top
                    used = ((len(A_sid) + len(T_sid)) * 13 + len(out_parent) * 30
                            + len(C_item) * 37 + n_items * 84)
                    if used > max_bytes:
                        status = MEMORY_BUDGET
                        break
                d += 1
            if d == 0:
                break
            top = d - 1
            if S_cur[top] < S_ce[top]:
                c = S_cur[top]
                S_cur[top] = c + 1
                pending = True
                p_item = C_item[c]
                p_sext = C_sext[c]
                p_sup = C_sup[c]
                p_pb = C_b[c]
                p_pe = C_e[c]
                p_parent = S_node[top]
                p_len = S_len[top]
                p_size = S_size[top]
            else:
                a_top = S_atop[top]
                c_top = S_ctop[top]
                y = S_item[top]
                if required[y]:
                    req_count[y] -= 1
                    if req_count[y] == 0:
                        n_present -= 1
                d -= 1
        if status != OK:
            break
        for j in range(seed_req_ptr[r], seed_req_ptr[r + 1]):
            y = seed_req_items[j]
            req_count[y] -= 1
            if req_count[y] == 0:
                n_present -= 1
    return (status, out_parent[:n_out].copy(), out_item[:n_out].copy(),
            out_sext[:n_out].copy(), out_support[:n_out].copy(), out_emit[:n_out].copy(),
            root_seed[:n_roots].copy())
