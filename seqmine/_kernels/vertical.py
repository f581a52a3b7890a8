"""Vertical miners: SPADE (Zaki, 2001) over id-lists and CM-SPAM (Fournier-Viger et al.,
2014) over bitmaps, both depth-first over equivalence classes with co-occurrence-map pruning.

Id-list: a run of occurrence triples (sid, eid, start) sorted by (sid, eid) in one shared
arena: ``eid`` is an event where the pattern's last itemset is matched, ``start`` the latest
first event of an embedding ending there that meets the gap/span limits (only read when a
window is set). Every valid end is kept, so the joins are exact under min_gap, max_gap and
max_span.

Bitmap: sparse over sequences (only sequences with a set bit have an entry), dense inside a
sequence: entry (sid, wofs) owns ``n_words[sid]`` 64-bit words in a word arena, bit j being
the sequence's j-th event. A bit marks a valid end of the pattern; the s-step transform marks
the events that may follow one (the first set bit's successors without a window, gap-checked
successors with one). Ends alone cannot carry the embedding start, so bitmaps refuse
max_span (the driver says so).

The class structure (which siblings a node joins with) is shared: a node X with last item x
has i-extension candidates among its i-siblings (X an i-extension) or s-siblings (X an
s-extension) with item > x, and s-extension candidates among its parent's frequent
s-extensions. With max_gap, P->x->y frequent does not make P->y frequent (deleting a middle
itemset can break a gap), so an s-extension node then takes every item as s-candidate.
A CMAP row (items y with co-occurrence count >= min_count) prunes both: a count is an upper
bound of the support of any pattern ending in x then y (or {x, y}), whatever the
constraints.

Patterns are emitted as a tree (parent node, item, s-extension flag, support, emit) in
depth-first order with children in token order (item, i- before s-extension), as PrefixSpan
does, so the driver decodes them to canonically ordered CSR.
"""

import numpy as np

from seqmine._kernels._jit import INTERRUPTED, MEMORY_BUDGET, OK, PATTERN_BUDGET, kernel
from seqmine._kernels.bitset import ZERO, after_first, and_into, grow_u64, has_bit, set_bit
from seqmine._kernels.buffers import grow_i8, grow_i32, grow_i64


@kernel
def seek(arr, lo, hi, target):
    """First index in lo:hi with arr[index] >= target (arr ascending there), by galloping
    from lo: cheap when the answer is near, logarithmic when far."""
    if lo >= hi or arr[lo] >= target:
        return lo
    prev = lo
    step = 1
    cur = lo + 1
    while cur < hi and arr[cur] < target:
        prev = cur
        step *= 2
        cur = prev + step
    if cur > hi:
        cur = hi
    lo2 = prev + 1
    while lo2 < cur:
        mid = (lo2 + cur) >> 1
        if arr[mid] < target:
            lo2 = mid + 1
        else:
            cur = mid
    return lo2


@kernel
def cooccurrence_rows(seq_ptr, evt_ptr, items, n_items, idx_ptr, idx_sid, idx_evt, lo, hi,
                      min_count, with_i):
    """CMAP rows of items lo..hi-1 (CM-SPADE/CM-SPAM's co-occurrence map, kept sparse).

    Row x of the s-map lists, ascending, the items y found in an event after an x in at
    least ``min_count`` sequences; row x of the i-map the items y > x sharing an event with
    x in at least ``min_count`` sequences. Returns (s_ptr, s_y, i_ptr, i_y), rows local to
    lo..hi-1.
    """
    cnt_s = np.zeros(n_items, np.int64)
    cnt_i = np.zeros(n_items, np.int64)
    seen_s = np.full(n_items, -1, np.int64)
    seen_i = np.full(n_items, -1, np.int64)
    touched_s = np.empty(n_items, np.int32)
    touched_i = np.empty(n_items, np.int32)
    s_ptr = np.zeros(hi - lo + 1, np.int64)
    i_ptr = np.zeros(hi - lo + 1, np.int64)
    s_y = np.empty(1024, np.int32)
    i_y = np.empty(1024, np.int32)
    ns = 0
    ni = 0
    stamp = 0
    for x in range(lo, hi):
        nts = 0
        nti = 0
        j = idx_ptr[x]
        e = idx_ptr[x + 1]
        while j < e:
            sid = idx_sid[j]
            stamp += 1
            first = idx_evt[j]
            for q in range(evt_ptr[first + 1], evt_ptr[seq_ptr[sid + 1]]):
                y = items[q]
                if seen_s[y] != stamp:
                    seen_s[y] = stamp
                    if cnt_s[y] == 0:
                        touched_s[nts] = y
                        nts += 1
                    cnt_s[y] += 1
            while j < e and idx_sid[j] == sid:
                if with_i:
                    ev = idx_evt[j]
                    for q in range(evt_ptr[ev], evt_ptr[ev + 1]):
                        y = items[q]
                        if y > x and seen_i[y] != stamp:
                            seen_i[y] = stamp
                            if cnt_i[y] == 0:
                                touched_i[nti] = y
                                nti += 1
                            cnt_i[y] += 1
                j += 1
        ts = np.sort(touched_s[:nts])
        s_y = grow_i32(s_y, ns + nts)
        for y in ts:
            if cnt_s[y] >= min_count:
                s_y[ns] = y
                ns += 1
            cnt_s[y] = 0
        s_ptr[x - lo + 1] = ns
        ti = np.sort(touched_i[:nti])
        i_y = grow_i32(i_y, ni + nti)
        for y in ti:
            if cnt_i[y] >= min_count:
                i_y[ni] = y
                ni += 1
            cnt_i[y] = 0
        i_ptr[x - lo + 1] = ni
    return s_ptr, s_y[:ns].copy(), i_ptr, i_y[:ni].copy()


@kernel
def _candidates(x, x_sext, at_root, all_s, allow_i, allow_s, C_item, C_sext, sb, se,
                cs_y, csb, cse, ci_y, cib, cie, I_item, I_sib, S_item, S_sib,
                K_item, K_sext, K_sib):
    """Candidate extensions of node X (last item x) in token order into K_*; returns their
    number. K_sib is the sibling atom (index into C_*) to join with, or -1 for the item's own
    list. Siblings are the atoms sb:se of X's class (X among them), in token order."""
    ni = 0
    if allow_i:
        if at_root:
            for r in range(cib, cie):
                I_item[ni] = ci_y[r]
                I_sib[ni] = -1
                ni += 1
        else:
            want = 1 if x_sext else 0
            r = cib
            for j in range(sb, se):
                if C_sext[j] != want:
                    continue
                y = C_item[j]
                if y <= x:
                    continue
                while r < cie and ci_y[r] < y:
                    r += 1
                if r == cie:
                    break
                if ci_y[r] == y:
                    I_item[ni] = y
                    I_sib[ni] = j
                    ni += 1
    ns = 0
    if allow_s:
        if at_root or (all_s and x_sext):
            for r in range(csb, cse):
                S_item[ns] = cs_y[r]
                S_sib[ns] = -1
                ns += 1
        else:
            r = csb
            for j in range(sb, se):
                if C_sext[j] != 1:
                    continue
                y = C_item[j]
                while r < cse and cs_y[r] < y:
                    r += 1
                if r == cse:
                    break
                if cs_y[r] == y:
                    S_item[ns] = y
                    S_sib[ns] = j
                    ns += 1
    a = 0
    b = 0
    n = 0
    while a < ni or b < ns:
        if b == ns or (a < ni and I_item[a] <= S_item[b]):
            K_item[n] = I_item[a]
            K_sext[n] = 0
            K_sib[n] = I_sib[a]
            a += 1
        else:
            K_item[n] = S_item[b]
            K_sext[n] = 1
            K_sib[n] = S_sib[b]
            b += 1
        n += 1
    return n


# --- SPADE ------------------------------------------------------------------------------
@kernel
def _sjoin(coord, X_sid, X_eid, X_st, xb, xe, Y_sid, Y_eid, yb, ye, has_window, min_gap,
           max_gap, max_span, O_sid, O_eid, O_st, o):
    """Temporal join: the ends of Y (a superset of the events where the new last item may
    match) that validly follow an end of X. Writes triples from ``o``; returns (o, support).

    Without a window only X's first end per sequence matters; with one, the new start is
    the latest X start among ends within the gap limits, and the span is checked on it."""
    i = xb
    j = yb
    sup = 0
    while i < xe and j < ye:
        sx = X_sid[i]
        sy = Y_sid[j]
        if sx < sy:
            i = seek(X_sid, i + 1, xe, sy)
            continue
        if sy < sx:
            j = seek(Y_sid, j + 1, ye, sx)
            continue
        gi = seek(X_sid, i + 1, xe, sx + 1)
        gj = j + 1
        while gj < ye and Y_sid[gj] == sx:
            gj += 1
        o_before = o
        if not has_window:
            first = X_eid[i]
            for k in range(j, gj):
                p = Y_eid[k]
                if p > first:
                    O_sid[o] = sx
                    O_eid[o] = p
                    o += 1
        else:
            for k in range(j, gj):
                p = Y_eid[k]
                cp = coord[p]
                best = -1
                for m in range(i, gi):
                    e = X_eid[m]
                    if e >= p:
                        break
                    gap = cp - coord[e]
                    if gap > max_gap:
                        continue
                    if gap < min_gap:
                        break  # coordinates never decrease: later ends are nearer still
                    if X_st[m] > best:
                        best = X_st[m]
                if best >= 0 and cp - coord[best] <= max_span:
                    O_sid[o] = sx
                    O_eid[o] = p
                    O_st[o] = best
                    o += 1
        if o > o_before:
            sup += 1
        i = gi
        j = gj
    return o, sup


@kernel
def _ijoin(X_sid, X_eid, X_st, xb, xe, Y_sid, Y_eid, yb, ye, O_sid, O_eid, O_st, o):
    """Equality join: the ends shared by X and Y (the same pattern grown by two items in
    its last itemset). The start of an end depends only on the end and the earlier
    itemsets, so X's start is the new one. Returns (o, support)."""
    i = xb
    j = yb
    sup = 0
    last = -1
    while i < xe and j < ye:
        sx = X_sid[i]
        sy = Y_sid[j]
        if sx < sy:
            i = seek(X_sid, i + 1, xe, sy)
            continue
        if sy < sx:
            j = seek(Y_sid, j + 1, ye, sx)
            continue
        ex = X_eid[i]
        ey = Y_eid[j]
        if ex < ey:
            i += 1
        elif ey < ex:
            j += 1
        else:
            O_sid[o] = sx
            O_eid[o] = ex
            O_st[o] = X_st[i]
            o += 1
            if sx != last:
                last = sx
                sup += 1
            i += 1
            j += 1
    return o, sup


@kernel
def spade_grow(seq_ptr, coord, n_items, idx_ptr, idx_sid, idx_evt, cs_ptr, cs_y, ci_ptr,
               ci_y, roots, min_count, single, has_window, all_s, min_gap, max_gap,
               max_span, max_length, max_size, required, n_required, max_patterns,
               max_bytes, cancel):
    """SPADE: mine every frequent pattern whose first item is in ``roots``.

    Items are dense codes 0..n_items-1, all frequent; (idx_ptr, idx_sid, idx_evt) is the
    item -> (sid, event) index (the 1-item id-lists); (cs_*, ci_*) the CMAP rows. Returns
    (status, parent, item, sext, support, emit) like prefixspan.grow.
    """
    out_parent = np.empty(1024, np.int64)
    out_item = np.empty(1024, np.int32)
    out_sext = np.empty(1024, np.int8)
    out_support = np.empty(1024, np.int64)
    out_emit = np.empty(1024, np.int8)
    n_out = 0
    n_emitted = 0
    A_sid = np.empty(1024, np.int32)
    A_eid = np.empty(1024, np.int32)
    A_st = np.empty(1024, np.int32)
    C_item = np.empty(256, np.int32)
    C_sext = np.empty(256, np.int8)
    C_b = np.empty(256, np.int64)
    C_e = np.empty(256, np.int64)
    C_sup = np.empty(256, np.int64)
    S_node = np.empty(64, np.int64)
    S_cb = np.empty(64, np.int64)
    S_ce = np.empty(64, np.int64)
    S_cur = np.empty(64, np.int64)
    S_atop = np.empty(64, np.int64)
    S_item = np.empty(64, np.int64)
    S_size = np.empty(64, np.int64)
    S_len = np.empty(64, np.int64)
    I_item = np.empty(n_items, np.int32)
    I_sib = np.empty(n_items, np.int64)
    S_item_c = np.empty(n_items, np.int32)
    S_sib = np.empty(n_items, np.int64)
    K_item = np.empty(2 * n_items, np.int32)
    K_sext = np.empty(2 * n_items, np.int8)
    K_sib = np.empty(2 * n_items, np.int64)
    req_count = np.zeros(n_items, np.int64)
    n_present = 0
    status = OK

    for r in roots:
        b = idx_ptr[r]
        e = idx_ptr[r + 1]
        A_sid = grow_i32(A_sid, e - b)
        A_eid = grow_i32(A_eid, e - b)
        A_st = grow_i32(A_st, e - b)
        a_top = 0
        c_top = 0
        sup = 0
        last = -1
        for j in range(b, e):
            s = idx_sid[j]
            if s != last:
                last = s
                sup += 1
            A_sid[a_top] = s
            A_eid[a_top] = idx_evt[j]
            A_st[a_top] = idx_evt[j]
            a_top += 1
        if sup < min_count:
            continue
        d = 0
        pending = True
        p_item = r
        p_sext = 1
        p_sup = sup
        p_b = 0
        p_e = a_top
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
                if n_out == len(out_parent):
                    out_parent = grow_i64(out_parent, n_out + 1)
                    out_item = grow_i32(out_item, n_out + 1)
                    out_sext = grow_i8(out_sext, n_out + 1)
                    out_support = grow_i64(out_support, n_out + 1)
                    out_emit = grow_i8(out_emit, n_out + 1)
                node = n_out
                out_parent[node] = p_parent
                out_item[node] = p_item
                out_sext[node] = p_sext
                out_support[node] = p_sup
                emit = n_present == n_required
                out_emit[node] = 1 if emit else 0
                n_out += 1
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
                    S_cb = grow_i64(S_cb, d + 1)
                    S_ce = grow_i64(S_ce, d + 1)
                    S_cur = grow_i64(S_cur, d + 1)
                    S_atop = grow_i64(S_atop, d + 1)
                    S_item = grow_i64(S_item, d + 1)
                    S_size = grow_i64(S_size, d + 1)
                    S_len = grow_i64(S_len, d + 1)
                S_node[d] = node
                S_atop[d] = a_top
                S_item[d] = p_item
                S_size[d] = size
                S_len[d] = length
                S_cb[d] = c_top
                S_cur[d] = c_top
                allow_i = (not single) and length < max_length
                allow_s = length < max_length and size < max_size
                if allow_i or allow_s:
                    sb = S_cb[d - 1] if d > 0 else 0
                    se = S_ce[d - 1] if d > 0 else 0
                    n_k = _candidates(p_item, p_sext, d == 0, all_s, allow_i, allow_s,
                                      C_item, C_sext, sb, se, cs_y, cs_ptr[p_item],
                                      cs_ptr[p_item + 1], ci_y, ci_ptr[p_item],
                                      ci_ptr[p_item + 1], I_item, I_sib, S_item_c, S_sib,
                                      K_item, K_sext, K_sib)
                    C_item = grow_i32(C_item, c_top + n_k)
                    C_sext = grow_i8(C_sext, c_top + n_k)
                    C_b = grow_i64(C_b, c_top + n_k)
                    C_e = grow_i64(C_e, c_top + n_k)
                    C_sup = grow_i64(C_sup, c_top + n_k)
                    for k in range(n_k):
                        y = K_item[k]
                        sib = K_sib[k]
                        is_s = K_sext[k] != 0
                        if sib >= 0:
                            yb = C_b[sib]
                            ye = C_e[sib]
                        else:
                            yb = idx_ptr[y]
                            ye = idx_ptr[y + 1]
                        need = a_top + (ye - yb if is_s else min(ye - yb, p_e - p_b))
                        A_sid = grow_i32(A_sid, need)
                        A_eid = grow_i32(A_eid, need)
                        A_st = grow_i32(A_st, need)
                        if sib >= 0:
                            if is_s:
                                o, csup = _sjoin(coord, A_sid, A_eid, A_st, p_b, p_e, A_sid,
                                                 A_eid, yb, ye, has_window, min_gap, max_gap,
                                                 max_span, A_sid, A_eid, A_st, a_top)
                            else:
                                o, csup = _ijoin(A_sid, A_eid, A_st, p_b, p_e, A_sid, A_eid,
                                                 yb, ye, A_sid, A_eid, A_st, a_top)
                        else:
                            if is_s:
                                o, csup = _sjoin(coord, A_sid, A_eid, A_st, p_b, p_e, idx_sid,
                                                 idx_evt, yb, ye, has_window, min_gap,
                                                 max_gap, max_span, A_sid, A_eid, A_st,
                                                 a_top)
                            else:
                                o, csup = _ijoin(A_sid, A_eid, A_st, p_b, p_e, idx_sid,
                                                 idx_evt, yb, ye, A_sid, A_eid, A_st, a_top)
                        if csup >= min_count:
                            C_item[c_top] = y
                            C_sext[c_top] = 1 if is_s else 0
                            C_b[c_top] = a_top
                            C_e[c_top] = o
                            C_sup[c_top] = csup
                            c_top += 1
                            a_top = o
                    used = (len(A_sid) * 12 + len(out_parent) * 30 + len(C_item) * 37
                            + n_items * 56)
                    if used > max_bytes:
                        status = MEMORY_BUDGET
                        break
                S_ce[d] = c_top
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
                p_b = C_b[c]
                p_e = C_e[c]
                p_parent = S_node[top]
                p_len = S_len[top]
                p_size = S_size[top]
            else:
                a_top = S_atop[top]
                c_top = S_cb[top]
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


# --- CM-SPAM ----------------------------------------------------------------------------
@kernel
def _transform(seq_ptr, coord, n_words, B_sid, B_wofs, W, xb, xe, wb, has_window, min_gap,
               max_gap, TX):
    """SPAM's s-step transform of bitmap X (entries xb:xe, words from wb) into TX, aligned
    with X's words: the events that may follow one of X's ends. Without a window that is
    every event after the first end; with one, every event within the gap limits of an end
    (checked on the event coordinates)."""
    for i in range(xb, xe):
        sid = B_sid[i]
        nw = n_words[sid]
        xo = B_wofs[i]
        to = xo - wb
        if not has_window:
            after_first(W, xo, TX, to, nw)
            continue
        for m in range(nw):
            TX[to + m] = ZERO
        base = seq_ptr[sid]
        n_ev = seq_ptr[sid + 1] - base
        for ev in range(n_ev):
            if not has_bit(W, xo, ev):
                continue
            ce = coord[base + ev]
            for p in range(ev + 1, n_ev):
                gap = coord[base + p] - ce
                if gap > max_gap:
                    break
                if gap >= min_gap:
                    set_bit(TX, to, p)


@kernel
def _andstep(n_words, B_sid, B_wofs, SRC, shift, W, xb, xe, Y_sid, Y_wofs, Y_words, yb, ye,
             o, wo):
    """AND each entry i of X (its words at SRC[B_wofs[i] - shift]) with item Y's bitmap:
    the i-step on X itself (SRC = W, shift 0), the s-step on X's transform. Entries left
    empty are dropped. Writes entries from ``o`` and words from ``wo``; returns (o, wo)."""
    j = yb
    for i in range(xb, xe):
        sid = B_sid[i]
        j = seek(Y_sid, j, ye, sid)
        if j == ye:
            break
        if Y_sid[j] != sid:
            continue
        nw = n_words[sid]
        if nw == 1:
            w = SRC[B_wofs[i] - shift] & Y_words[Y_wofs[j]]
            if w == ZERO:
                continue
            W[wo] = w
        elif not and_into(SRC, B_wofs[i] - shift, Y_words, Y_wofs[j], W, wo, nw):
            continue
        B_sid[o] = sid
        B_wofs[o] = wo
        o += 1
        wo += nw
    return o, wo


@kernel
def spam_grow(seq_ptr, coord, n_items, n_words, ib_ptr, ib_sid, ib_wofs, ib_words, cs_ptr,
              cs_y, ci_ptr, ci_y, roots, min_count, single, has_window, all_s, min_gap,
              max_gap, max_length, max_size, required, n_required, max_patterns, max_bytes,
              cancel):
    """CM-SPAM: mine every frequent pattern whose first item is in ``roots``.

    (ib_ptr, ib_sid, ib_wofs, ib_words) are the items' sparse bitmaps (bitset.item_bitmaps);
    (cs_*, ci_*) the CMAP rows. Returns (status, parent, item, sext, support, emit).
    """
    out_parent = np.empty(1024, np.int64)
    out_item = np.empty(1024, np.int32)
    out_sext = np.empty(1024, np.int8)
    out_support = np.empty(1024, np.int64)
    out_emit = np.empty(1024, np.int8)
    n_out = 0
    n_emitted = 0
    B_sid = np.empty(1024, np.int32)
    B_wofs = np.empty(1024, np.int64)
    W = np.empty(1024, np.uint64)
    TX = np.empty(1024, np.uint64)
    C_item = np.empty(256, np.int32)
    C_sext = np.empty(256, np.int8)
    C_b = np.empty(256, np.int64)
    C_e = np.empty(256, np.int64)
    C_wb = np.empty(256, np.int64)
    C_we = np.empty(256, np.int64)
    S_node = np.empty(64, np.int64)
    S_cb = np.empty(64, np.int64)
    S_ce = np.empty(64, np.int64)
    S_cur = np.empty(64, np.int64)
    S_atop = np.empty(64, np.int64)
    S_wtop = np.empty(64, np.int64)
    S_item = np.empty(64, np.int64)
    S_size = np.empty(64, np.int64)
    S_len = np.empty(64, np.int64)
    I_item = np.empty(n_items, np.int32)
    I_sib = np.empty(n_items, np.int64)
    S_item_c = np.empty(n_items, np.int32)
    S_sib = np.empty(n_items, np.int64)
    K_item = np.empty(2 * n_items, np.int32)
    K_sext = np.empty(2 * n_items, np.int8)
    K_sib = np.empty(2 * n_items, np.int64)
    req_count = np.zeros(n_items, np.int64)
    n_present = 0
    status = OK

    for r in roots:
        b = ib_ptr[r]
        e = ib_ptr[r + 1]
        a_top = e - b
        if a_top < min_count:
            continue
        w_first = ib_wofs[b]
        w_top = ib_wofs[e - 1] + n_words[ib_sid[e - 1]] - w_first
        B_sid = grow_i32(B_sid, a_top)
        B_wofs = grow_i64(B_wofs, a_top)
        W = grow_u64(W, w_top)
        for j in range(b, e):
            B_sid[j - b] = ib_sid[j]
            B_wofs[j - b] = ib_wofs[j] - w_first
        W[:w_top] = ib_words[w_first:w_first + w_top]
        c_top = 0
        d = 0
        pending = True
        p_item = r
        p_sext = 1
        p_b = 0
        p_e = a_top
        p_wb = 0
        p_we = w_top
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
                if n_out == len(out_parent):
                    out_parent = grow_i64(out_parent, n_out + 1)
                    out_item = grow_i32(out_item, n_out + 1)
                    out_sext = grow_i8(out_sext, n_out + 1)
                    out_support = grow_i64(out_support, n_out + 1)
                    out_emit = grow_i8(out_emit, n_out + 1)
                node = n_out
                out_parent[node] = p_parent
                out_item[node] = p_item
                out_sext[node] = p_sext
                out_support[node] = p_e - p_b
                emit = n_present == n_required
                out_emit[node] = 1 if emit else 0
                n_out += 1
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
                    S_cb = grow_i64(S_cb, d + 1)
                    S_ce = grow_i64(S_ce, d + 1)
                    S_cur = grow_i64(S_cur, d + 1)
                    S_atop = grow_i64(S_atop, d + 1)
                    S_wtop = grow_i64(S_wtop, d + 1)
                    S_item = grow_i64(S_item, d + 1)
                    S_size = grow_i64(S_size, d + 1)
                    S_len = grow_i64(S_len, d + 1)
                S_node[d] = node
                S_atop[d] = a_top
                S_wtop[d] = w_top
                S_item[d] = p_item
                S_size[d] = size
                S_len[d] = length
                S_cb[d] = c_top
                S_cur[d] = c_top
                allow_i = (not single) and length < max_length
                allow_s = length < max_length and size < max_size
                if allow_i or allow_s:
                    sb = S_cb[d - 1] if d > 0 else 0
                    se = S_ce[d - 1] if d > 0 else 0
                    n_k = _candidates(p_item, p_sext, d == 0, all_s, allow_i, allow_s,
                                      C_item, C_sext, sb, se, cs_y, cs_ptr[p_item],
                                      cs_ptr[p_item + 1], ci_y, ci_ptr[p_item],
                                      ci_ptr[p_item + 1], I_item, I_sib, S_item_c, S_sib,
                                      K_item, K_sext, K_sib)
                    C_item = grow_i32(C_item, c_top + n_k)
                    C_sext = grow_i8(C_sext, c_top + n_k)
                    C_b = grow_i64(C_b, c_top + n_k)
                    C_e = grow_i64(C_e, c_top + n_k)
                    C_wb = grow_i64(C_wb, c_top + n_k)
                    C_we = grow_i64(C_we, c_top + n_k)
                    n_x = p_e - p_b
                    w_x = p_we - p_wb
                    if allow_s:
                        TX = grow_u64(TX, w_x)
                        _transform(seq_ptr, coord, n_words, B_sid, B_wofs, W, p_b, p_e, p_wb,
                                   has_window, min_gap, max_gap, TX)
                    for k in range(n_k):
                        y = K_item[k]
                        is_s = K_sext[k] != 0
                        B_sid = grow_i32(B_sid, a_top + n_x)
                        B_wofs = grow_i64(B_wofs, a_top + n_x)
                        W = grow_u64(W, w_top + w_x)
                        if is_s:
                            o, wo = _andstep(n_words, B_sid, B_wofs, TX, p_wb, W, p_b, p_e,
                                             ib_sid, ib_wofs, ib_words, ib_ptr[y],
                                             ib_ptr[y + 1], a_top, w_top)
                        else:
                            o, wo = _andstep(n_words, B_sid, B_wofs, W, 0, W, p_b, p_e,
                                             ib_sid, ib_wofs, ib_words, ib_ptr[y],
                                             ib_ptr[y + 1], a_top, w_top)
                        if o - a_top >= min_count:
                            C_item[c_top] = y
                            C_sext[c_top] = 1 if is_s else 0
                            C_b[c_top] = a_top
                            C_e[c_top] = o
                            C_wb[c_top] = w_top
                            C_we[c_top] = wo
                            c_top += 1
                            a_top = o
                            w_top = wo
                    used = (len(B_sid) * 12 + (len(W) + len(TX)) * 8 + len(out_parent) * 30
                            + len(C_item) * 53 + n_items * 56)
                    if used > max_bytes:
                        status = MEMORY_BUDGET
                        break
                S_ce[d] = c_top
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
                p_b = C_b[c]
                p_e = C_e[c]
                p_wb = C_wb[c]
                p_we = C_we[c]
                p_parent = S_node[top]
                p_len = S_len[top]
                p_size = S_size[top]
            else:
                a_top = S_atop[top]
                w_top = S_wtop[top]
                c_top = S_cb[top]
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
