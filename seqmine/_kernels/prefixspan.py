"""PrefixSpan (Pei et al., 2001) by pseudo-projection over the flat database arrays.

A projection is a run of occurrence triples (sid, end, start) in one shared arena: ``end`` is
an event where the prefix's last itemset is matched, ``start`` the latest first-event of an
embedding ending there (what max_span needs). Without constraints and with one item per
event only the first end per sequence matters; otherwise (itemsets or gap/span constraints)
every valid end is kept, because i-extensions and gap windows may need a later embedding.

Depth-first growth uses an explicit stack; each frame's children projections are laid out
above it in the arena and released when the frame pops. Patterns are emitted as a tree
(parent node, item, s-extension flag, support) which the driver decodes to CSR.
"""

import numpy as np

from seqmine._kernels._jit import (
    INTERRUPTED,
    MEMORY_BUDGET,
    OK,
    PATTERN_BUDGET,
    inline_kernel,
    kernel,
)
from seqmine._kernels.buffers import grow_i8, grow_i32, grow_i64


@kernel
def _window_start(coord, A_end, A_start, g_begin, g_end, p, min_gap, max_gap, max_span):
    """Latest embedding start among occurrences g_begin:g_end that event ``p`` may follow
    under the gap and span limits; -1 when none."""
    cp = coord[p]
    best = -1
    for j in range(g_begin, g_end):
        e = A_end[j]
        if e >= p:
            break
        gap = cp - coord[e]
        if (min_gap <= gap <= max_gap and cp - coord[A_start[j]] <= max_span
                and A_start[j] > best):
            best = A_start[j]
    return best


@kernel
def _scan_bound(seq_ptr, evt_ptr, A_sid, A_end, pb, pe, allow_i, allow_s):
    """Upper bound on the candidate occurrences _scan can record for projection pb:pe."""
    bound = 0
    k = pb
    while k < pe:
        sid = A_sid[k]
        g_end = k + 1
        while g_end < pe and A_sid[g_end] == sid:
            g_end += 1
        if allow_i:
            for j in range(k, g_end):
                bound += evt_ptr[A_end[j] + 1] - evt_ptr[A_end[j]]
        if allow_s:
            bound += evt_ptr[seq_ptr[sid + 1]] - evt_ptr[A_end[k] + 1]
        k = g_end
    return bound


@kernel
def _scan(seq_ptr, evt_ptr, items, coord, A_sid, A_end, A_start, pb, pe, last_item,
          allow_i, allow_s, single, keep_all, has_window, min_gap, max_gap, max_span,
          sup_s, sup_i, occ_s, occ_i, seen_s, seen_i, stamp, touched_s, touched_i,
          T_sid, T_item, T_end, T_start, T_sext):
    """One pass over the projection pb:pe: count the support (distinct sequences) and the
    occurrences of every i- and s-extension item, and record each candidate occurrence
    (sid, item, end, start, is_s) in the scratch arrays T_* so the children's projections
    can be written without scanning the suffixes again.

    Returns (n_touched_s, n_touched_i, n_recorded, stamp)."""
    nts = 0
    nti = 0
    nt = 0
    k = pb
    while k < pe:
        sid = A_sid[k]
        g_end = k + 1
        while g_end < pe and A_sid[g_end] == sid:
            g_end += 1
        stamp += 1
        if allow_i:
            for j in range(k, g_end):
                e = A_end[j]
                for q in range(evt_ptr[e], evt_ptr[e + 1]):
                    y = items[q]
                    if y > last_item:
                        if seen_i[y] != stamp:
                            seen_i[y] = stamp
                            if sup_i[y] == 0:
                                touched_i[nti] = y
                                nti += 1
                            sup_i[y] += 1
                        occ_i[y] += 1
                        T_sid[nt] = sid
                        T_item[nt] = y
                        T_end[nt] = e
                        T_start[nt] = A_start[j]
                        T_sext[nt] = 0
                        nt += 1
        if allow_s:
            s_end = seq_ptr[sid + 1]
            last_end_coord = coord[A_end[g_end - 1]]
            start = A_start[k]
            if single and not has_window:
                # one item per event, first end only: the plain PrefixSpan hot loop
                for p in range(A_end[k] + 1, s_end):
                    y = items[p]
                    if seen_s[y] != stamp:
                        seen_s[y] = stamp
                        if sup_s[y] == 0:
                            touched_s[nts] = y
                            nts += 1
                        sup_s[y] += 1
                        occ_s[y] += 1
                        T_sid[nt] = sid
                        T_item[nt] = y
                        T_end[nt] = p
                        nt += 1
                k = g_end
                continue
            for p in range(A_end[k] + 1, s_end):
                if has_window:
                    if coord[p] - last_end_coord > max_gap:
                        break
                    start = _window_start(coord, A_end, A_start, k, g_end, p,
                                          min_gap, max_gap, max_span)
                    if start < 0:
                        continue
                for q in range(evt_ptr[p], evt_ptr[p + 1]):
                    y = items[q]
                    if seen_s[y] != stamp:
                        seen_s[y] = stamp
                        if sup_s[y] == 0:
                            touched_s[nts] = y
                            nts += 1
                        sup_s[y] += 1
                    elif not keep_all:
                        continue
                    occ_s[y] += 1
                    T_sid[nt] = sid
                    T_item[nt] = y
                    T_end[nt] = p
                    T_start[nt] = start
                    T_sext[nt] = 1
                    nt += 1
        k = g_end
    return nts, nti, nt, stamp


@kernel
def _fill_single(n_recorded, T_sid, T_item, T_end, cur_s, A_sid, A_end):
    """_fill for one-item events without constraints: only s-extensions exist and the
    embedding start is never read."""
    for t in range(n_recorded):
        y = T_item[t]
        c = cur_s[y]
        if c >= 0:
            cur_s[y] = c + 1
            A_sid[c] = T_sid[t]
            A_end[c] = T_end[t]


@kernel
def _fill(n_recorded, T_sid, T_item, T_end, T_start, T_sext, cur_s, cur_i,
          A_sid, A_end, A_start):
    """Copy the recorded occurrences of frequent children (cursor >= 0) into the arena
    slots reserved for them; the scan order keeps each child's run sorted by (sid, end)."""
    for t in range(n_recorded):
        y = T_item[t]
        if T_sext[t]:
            c = cur_s[y]
            if c < 0:
                continue
            cur_s[y] = c + 1
        else:
            c = cur_i[y]
            if c < 0:
                continue
            cur_i[y] = c + 1
        A_sid[c] = T_sid[t]
        A_end[c] = T_end[t]
        A_start[c] = T_start[t]


@inline_kernel
def _add_node(out_parent, out_item, out_sext, out_support, out_emit, n_out, parent, item,
              sext, support, emit):
    """Append one node to the output pattern tree (growing its buffers); returns the
    buffers and the new node count (the node's index is the old count)."""
    if n_out == len(out_parent):
        out_parent = grow_i64(out_parent, n_out + 1)
        out_item = grow_i32(out_item, n_out + 1)
        out_sext = grow_i8(out_sext, n_out + 1)
        out_support = grow_i64(out_support, n_out + 1)
        out_emit = grow_i8(out_emit, n_out + 1)
    out_parent[n_out] = parent
    out_item[n_out] = item
    out_sext[n_out] = sext
    out_support[n_out] = support
    out_emit[n_out] = 1 if emit else 0
    return out_parent, out_item, out_sext, out_support, out_emit, n_out + 1


@kernel
def _lay_out_children(threshold, nti, nts, nt, keep_all, by_support, first, rejected,
                      touched_i, touched_s, sup_i, sup_s, occ_i, occ_s, cur_i, cur_s,
                      T_sid, T_item, T_end, T_start, T_sext,
                      A_sid, A_end, A_start, a_top, C_item, C_sext, C_b, C_e, C_sup, c_top):
    """Turn one _scan's counts into child frames.

    Children with support >= ``threshold`` get a run of the arena (their recorded occurrences
    are copied there) and a child slot; the others are counted in ``rejected`` by support
    when it is non-empty (top-k keeps that histogram). The scan's per-item counters are reset
    for the next scan. Child slots ``first:c_top`` end up in token order (item, then i-
    before s-extension), or by descending support then token order when ``by_support``.
    Returns the (possibly regrown) arena and child buffers and the new ``a_top``, ``c_top``.
    """
    ti = touched_i[:nti]
    ts = touched_s[:nts]
    track = len(rejected) > 0
    total = 0
    n_child = 0
    for y in ti:
        if sup_i[y] >= threshold:
            total += occ_i[y]
            n_child += 1
        elif track:
            rejected[sup_i[y]] += 1
    for y in ts:
        if sup_s[y] >= threshold:
            total += occ_s[y]
            n_child += 1
        elif track:
            rejected[sup_s[y]] += 1
    A_sid = grow_i32(A_sid, a_top + total)
    A_end = grow_i32(A_end, a_top + total)
    A_start = grow_i32(A_start, a_top + total)
    C_item = grow_i32(C_item, c_top + n_child)
    C_sext = grow_i8(C_sext, c_top + n_child)
    C_b = grow_i64(C_b, c_top + n_child)
    C_e = grow_i64(C_e, c_top + n_child)
    C_sup = grow_i64(C_sup, c_top + n_child)
    for y in ti:
        if sup_i[y] >= threshold:
            C_item[c_top] = y
            C_sext[c_top] = 0
            C_b[c_top] = a_top
            C_e[c_top] = a_top + occ_i[y]
            C_sup[c_top] = sup_i[y]
            cur_i[y] = a_top
            a_top += occ_i[y]
            c_top += 1
    for y in ts:
        if sup_s[y] >= threshold:
            C_item[c_top] = y
            C_sext[c_top] = 1
            C_b[c_top] = a_top
            C_e[c_top] = a_top + occ_s[y]
            C_sup[c_top] = sup_s[y]
            cur_s[y] = a_top
            a_top += occ_s[y]
            c_top += 1
    if n_child > 0 and not keep_all:
        _fill_single(nt, T_sid, T_item, T_end, cur_s, A_sid, A_end)
    elif n_child > 0:
        _fill(nt, T_sid, T_item, T_end, T_start, T_sext, cur_s, cur_i, A_sid, A_end, A_start)
    for y in ti:
        sup_i[y] = 0
        occ_i[y] = 0
        cur_i[y] = -1
    for y in ts:
        sup_s[y] = 0
        occ_s[y] = 0
        cur_s[y] = -1
    # insertion sort on one int64 key (token, minus support times a stride that exceeds
    # every token when by_support): a node has few children and they arrive nearly sorted
    stride = 2 * len(sup_i) + 2 if by_support else 0
    for c in range(first + 1, c_top):
        t_item = C_item[c]
        t_sext = C_sext[c]
        t_b = C_b[c]
        t_e = C_e[c]
        t_sup = C_sup[c]
        key = 2 * t_item + t_sext - t_sup * stride
        m = c - 1
        while m >= first and 2 * C_item[m] + C_sext[m] - C_sup[m] * stride > key:
            C_item[m + 1] = C_item[m]
            C_sext[m + 1] = C_sext[m]
            C_b[m + 1] = C_b[m]
            C_e[m + 1] = C_e[m]
            C_sup[m + 1] = C_sup[m]
            m -= 1
        C_item[m + 1] = t_item
        C_sext[m + 1] = t_sext
        C_b[m + 1] = t_b
        C_e[m + 1] = t_e
        C_sup[m + 1] = t_sup
    return A_sid, A_end, A_start, a_top, C_item, C_sext, C_b, C_e, C_sup, c_top


@kernel
def grow(seq_ptr, evt_ptr, items, coord, n_items, idx_ptr, idx_sid, idx_evt, roots,
         min_count, single, keep_all, has_window, min_gap, max_gap, max_span, max_length, max_size,
         required, n_required, max_patterns, max_bytes, cancel):
    """Mine every frequent pattern whose first item is in ``roots``.

    Items are dense codes 0..n_items-1, all frequent. ``single``: every event holds one
    item (so evt_ptr is the identity); event indices must fit in int32. Returns (status,
    parent, item, sext, support, emit) for the nodes of the pattern tree in depth-first
    order; ``emit`` marks nodes that meet the must-contain filter (``required``).
    """
    # output tree
    out_parent = np.empty(1024, np.int64)
    out_item = np.empty(1024, np.int32)
    out_sext = np.empty(1024, np.int8)
    out_support = np.empty(1024, np.int64)
    out_emit = np.empty(1024, np.int8)
    n_out = 0
    n_emitted = 0
    # projection arena
    A_sid = np.empty(1024, np.int32)
    A_end = np.empty(1024, np.int32)
    A_start = np.empty(1024, np.int32)
    # children arena
    C_item = np.empty(256, np.int32)
    C_sext = np.empty(256, np.int8)
    C_b = np.empty(256, np.int64)
    C_e = np.empty(256, np.int64)
    C_sup = np.empty(256, np.int64)
    # frame stack
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
    # per-item scratch
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
    n_present = 0
    stamp = 0
    status = OK

    no_rejected = np.zeros(0, np.int64)  # only top-k tracks rejected supports
    for r in roots:
        # first-level projection of root r, from the inverted index
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
        if sup < min_count:
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
                    n_emitted += 1
                    if n_emitted > max_patterns:
                        status = PATTERN_BUDGET
                        break
                if (n_out & 4095) == 0 and cancel[0] != 0:
                    status = INTERRUPTED
                    break
                # push the frame of this node
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
                        p_item, allow_i, allow_s, single, keep_all, has_window, min_gap, max_gap,
                        max_span, sup_s, sup_i, occ_s, occ_i, seen_s, seen_i, stamp,
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
    return (status, out_parent[:n_out].copy(), out_item[:n_out].copy(),
            out_sext[:n_out].copy(), out_support[:n_out].copy(), out_emit[:n_out].copy())
