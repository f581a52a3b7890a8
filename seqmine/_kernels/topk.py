"""Top-k sequential patterns (TKS-style, Fournier-Viger et al. 2013) by pseudo-projection.

PrefixSpan's search (the scan and fill helpers are shared with ``prefixspan``) with a support
threshold that rises as patterns are found: once k patterns of support >= t are known, no
pattern below t can be among the k best, and prefix growth never increases support (also
under gap/span constraints), so subtrees below t are cut. Children are visited in descending
support so the threshold rises early. Each call keeps its own threshold (the k-th best support
among what it emitted) and shares it through ``shared_thr``; any thread's value is a valid
lower bound of the final k-th support, so a stale read only prunes less.
"""

import numpy as np

from seqmine._kernels._jit import INTERRUPTED, MEMORY_BUDGET, OK, kernel
from seqmine._kernels.buffers import grow_i8, grow_i32, grow_i64
from seqmine._kernels.prefixspan import _add_node, _lay_out_children, _scan, _scan_bound


@kernel
def grow(seq_ptr, evt_ptr, items, coord, n_items, idx_ptr, idx_sid, idx_evt, roots,
         min_count, k, n_sequences, shared_thr, single, keep_all, has_window, min_gap,
         max_gap, max_span, max_length, max_size, required, n_required, max_bytes, cancel):
    """Explore, from the first items ``roots``, every pattern that can still be among the k
    of highest support (at least ``min_count``).

    Returns PrefixSpan's tree (status, parent, item, sext, support, emit) and a histogram by
    support of the patterns met but left below the threshold; the driver keeps the emitted
    nodes whose support reaches the k-th highest emitted support of all calls.
    """
    out_parent = np.empty(1024, np.int64)
    out_item = np.empty(1024, np.int32)
    out_sext = np.empty(1024, np.int8)
    out_support = np.empty(1024, np.int64)
    out_emit = np.empty(1024, np.int8)
    n_out = 0
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
    # own threshold: hist[s] emitted patterns of support s; n_ge of them have s >= t_own
    hist = np.zeros(n_sequences + 2, np.int64)
    # rejected[s]: patterns of support s seen but left below the threshold
    rejected = np.zeros(n_sequences + 2, np.int64)
    t_own = min_count
    n_ge = 0
    thr = max(min_count, shared_thr[0])
    n_present = 0
    stamp = 0
    status = OK

    for r in roots:
        a_top = 0
        c_top = 0
        b = idx_ptr[r]
        e = idx_ptr[r + 1]
        A_sid = grow_i32(A_sid, e - b)
        A_end = grow_i32(A_end, e - b)
        A_start = grow_i32(A_start, e - b)
        last_sid = -1
        sup = 0
        for j in range(b, e):
            sid = idx_sid[j]
            if sid != last_sid:
                sup += 1
            elif not keep_all:
                continue
            last_sid = sid
            A_sid[a_top] = sid
            A_end[a_top] = idx_evt[j]
            A_start[a_top] = idx_evt[j]
            a_top += 1
        thr = max(thr, shared_thr[0])
        if sup < thr:
            rejected[sup] += 1
            continue
        d = 0
        pending = True
        p_item = r
        p_sext = 1
        p_sup = sup
        p_pb = 0
        p_pe = a_top
        p_parent = -1
        p_len = 0
        p_size = 0
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
                    hist[p_sup] += 1
                    if p_sup >= t_own:
                        n_ge += 1
                    while n_ge - hist[t_own] >= k:
                        n_ge -= hist[t_own]
                        t_own += 1
                    if t_own > shared_thr[0]:
                        shared_thr[0] = t_own
                    thr = max(thr, t_own, shared_thr[0])
                if (n_out & 4095) == 0:
                    if cancel[0] != 0:
                        status = INTERRUPTED
                        break
                    thr = max(thr, shared_thr[0])
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
                        thr, nti, nts, nt, keep_all, True, S_cur[d], rejected,
                        touched_i, touched_s, sup_i, sup_s, occ_i, occ_s, cur_i, cur_s,
                        T_sid, T_item, T_end, T_start, T_sext,
                        A_sid, A_end, A_start, a_top, C_item, C_sext, C_b, C_e, C_sup, c_top)
                    S_ce[d] = c_top
                    used = ((len(A_sid) + len(T_sid)) * 13 + len(out_parent) * 30
                            + len(C_item) * 37 + n_items * 84 + len(hist) * 8)
                    if used > max_bytes:
                        status = MEMORY_BUDGET
                        break
                d += 1
            if d == 0:
                break
            top = d - 1
            # children come in descending support: the first one below the (risen)
            # threshold ends the frame
            if S_cur[top] < S_ce[top] and C_sup[S_cur[top]] >= thr:
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
    return (status, out_parent[:n_out].copy(), out_item[:n_out].copy(),
            out_sext[:n_out].copy(), out_support[:n_out].copy(), out_emit[:n_out].copy(),
            rejected)
