"""Closed (BIDE, Wang & Han 2004) and maximal (VMSP-style candidates) sequential patterns by
pseudo-projection, with BIDE's BackScan pruning, generalised to itemset sequences.

The search is PrefixSpan's (same projection arena, same one-pass child scan, imported from
``prefixspan``); what is added is a per-pattern look at the supporting sequences.
For pattern p = <A_1 .. A_k> and a sequence S holding it, let l_i be the leftmost embedding,
LF_i the latest embedding ending at l_k ("last-in-first") and R_i the rightmost embedding
("last-in-last"). With l_0 = -1 (before the sequence) and R_{k+1} = len(S):

* inserting item e as a new itemset before A_i keeps S's containment iff e occurs in an
  event strictly between l_{i-1} and R_i;
* adding e to A_i keeps it iff e occurs in an event strictly between l_{i-1} and R_{i+1}
  that contains A_i.

p is closed iff no such insertion, nor a forward extension, is contained in every supporting
sequence. Using LF_i (LF_{i+1}) in place of R_i (R_{i+1}) the inserted pattern keeps the
first end and hence the whole projection of p, so every extension of p has an equally
frequent super-pattern: the subtree is pruned (BackScan). Pruning is not applied to the last
itemset's own i-insertions (that changes the projection) nor under max_length/max_size (the
bigger pattern could leave the family).

Maximal mode emits candidates: unpruned patterns without a frequent forward extension. Every
maximal pattern is one, and every other candidate lies inside a maximal one, so
``not_contained`` (a containment pass over the candidates, by item posting lists) finishes.
"""

import numpy as np

from seqmine._kernels._jit import INTERRUPTED, MEMORY_BUDGET, OK, PATTERN_BUDGET, kernel
from seqmine._kernels.buffers import grow_i8, grow_i32, grow_i64
from seqmine._kernels.prefixspan import _add_node, _lay_out_children, _scan, _scan_bound

CLOSED = 0
MAXIMAL = 1


@kernel
def _holds(evt_ptr, items, e, tok_item, a, b):
    """Does event ``e`` contain the items tok_item[a:b] (ascending)?"""
    q = evt_ptr[e]
    qe = evt_ptr[e + 1]
    if qe - q < b - a:
        return False
    for t in range(a, b):
        x = tok_item[t]
        while q < qe and items[q] < x:
            q += 1
        if q == qe or items[q] != x:
            return False
        q += 1
    return True


@kernel
def _embed_left(seq_ptr, evt_ptr, items, sid, first_end, tok_item, set_ptr, k, L, off):
    """Leftmost embedding L of the pattern's k itemsets in sequence ``sid`` (its last
    itemset at ``first_end``, the projection's first end); written at L[off:off+k]."""
    e = seq_ptr[sid]
    for i in range(k - 1):
        while not _holds(evt_ptr, items, e, tok_item, set_ptr[i], set_ptr[i + 1]):
            e += 1
        L[off + i] = e
        e += 1
    L[off + k - 1] = first_end


@kernel
def _embed_right(evt_ptr, items, last, first_end, tok_item, set_ptr, k, R, off):
    """Latest embedding whose last itemset is at or before ``last`` (R: ``last`` is the
    sequence's final event, the "last-in-last" appearance; LF: ``last`` is the first end,
    the "last-in-first" appearance); written at R[off:off+k]."""
    e = last
    while not _holds(evt_ptr, items, e, tok_item, set_ptr[k - 1], set_ptr[k]):
        e -= 1
    R[off + k - 1] = e
    for i in range(k - 2, -1, -1):
        e = R[off + i + 1] - 1
        while not _holds(evt_ptr, items, e, tok_item, set_ptr[i], set_ptr[i + 1]):
            e -= 1
        R[off + i] = e


@kernel
def _common_item(seq_ptr, evt_ptr, items, n_grp, G_sid, G_end, k, L, LF, R, n_emb,
                 tok_item, set_ptr, i, iset, semi, mark, cnt, touched):
    """Is some one-item insertion at itemset ``i`` contained in all n_grp supporting
    sequences? ``iset``: an item added to A_i (items outside A_i, flagged in ``mark``, in an
    event holding A_i), else a new itemset before A_i. ``semi`` bounds by LF (BackScan:
    insertions that keep the projection), else by R (every insertion).

    Candidates are intersected sequence by sequence and most checks end after a few
    sequences, so embeddings are computed lazily: n_emb counts the sequences whose L, LF
    and R are known so far (a long sequence makes them the main cost).
    """
    n_touched = 0
    alive = 0
    a = set_ptr[i]
    b = set_ptr[i + 1]
    for t in range(n_grp):
        sid = G_sid[t]
        if t == n_emb[0]:
            _embed_left(seq_ptr, evt_ptr, items, sid, G_end[t], tok_item, set_ptr, k, L,
                        t * k)
            n_emb[0] += 1
        if semi and t == n_emb[1]:
            _embed_right(evt_ptr, items, G_end[t], G_end[t], tok_item, set_ptr, k, LF, t * k)
            n_emb[1] += 1
        if not semi and t == n_emb[2]:
            _embed_right(evt_ptr, items, seq_ptr[sid + 1] - 1, G_end[t], tok_item, set_ptr,
                         k, R, t * k)
            n_emb[2] += 1
        base = t * k
        lo = L[base + i - 1] if i > 0 else seq_ptr[sid] - 1
        if not iset:
            hi = LF[base + i] if semi else R[base + i]
        elif i == k - 1:
            hi = seq_ptr[sid + 1]
        else:
            hi = LF[base + i + 1] if semi else R[base + i + 1]
        alive = 0
        for e in range(lo + 1, hi):
            if iset and not _holds(evt_ptr, items, e, tok_item, a, b):
                continue
            for q in range(evt_ptr[e], evt_ptr[e + 1]):
                y = items[q]
                if iset and mark[y]:
                    continue
                # cnt[y] == t: y was found in every sequence before this one
                if t == 0:
                    if cnt[y] == 0:
                        cnt[y] = 1
                        touched[n_touched] = y
                        n_touched += 1
                        alive += 1
                elif cnt[y] == t:
                    cnt[y] = t + 1
                    alive += 1
        if alive == 0:
            break
    for j in range(n_touched):
        cnt[touched[j]] = 0
    return alive > 0


@kernel
def _insertion_exists(seq_ptr, evt_ptr, items, n_grp, G_sid, G_end, k, L, LF, R, n_emb,
                      tok_item, set_ptr, semi, allow_s, allow_i, mark, cnt, touched):
    """Is some one-item insertion into the pattern (a new itemset before A_i, or an item added
    to A_i) contained in every supporting sequence? See _common_item."""
    for i in range(k):
        if allow_s and _common_item(seq_ptr, evt_ptr, items, n_grp, G_sid, G_end, k, L, LF,
                                    R, n_emb, tok_item, set_ptr, i, False, semi, mark, cnt,
                                    touched):
            return True
        if allow_i and not (semi and i == k - 1):
            for q in range(set_ptr[i], set_ptr[i + 1]):
                mark[tok_item[q]] = True
            found = _common_item(seq_ptr, evt_ptr, items, n_grp, G_sid, G_end, k, L, LF, R,
                                 n_emb, tok_item, set_ptr, i, True, semi, mark, cnt, touched)
            for q in range(set_ptr[i], set_ptr[i + 1]):
                mark[tok_item[q]] = False
            if found:
                return True
    return False


@kernel
def _contained(p_ptr, q_ptr, pitems, set_start):
    """Is pattern p (tokens p_ptr[0]:p_ptr[1]) a sub-pattern of q (q_ptr[0]:q_ptr[1])?
    Tokens are items with ``set_start`` flagging the first item of each itemset; greedy
    leftmost matching of p's itemsets in q decides it."""
    i = p_ptr[0]
    j = q_ptr[0]
    p_end = p_ptr[1]
    q_end = q_ptr[1]
    while i < p_end:
        i_next = i + 1
        while i_next < p_end and not set_start[i_next]:
            i_next += 1
        # find the first itemset of q at or after j holding p's itemset i:i_next
        matched = False
        while j < q_end and not matched:
            j_next = j + 1
            while j_next < q_end and not set_start[j_next]:
                j_next += 1
            a = i
            for b in range(j, j_next):
                if a < i_next and pitems[b] == pitems[a]:
                    a += 1
            matched = a == i_next
            j = j_next
        if not matched:
            return False
        i = i_next
    return True


@kernel
def not_contained(item_ptr, pitems, set_start, n_items):
    """Mask of the patterns that no other (longer) pattern in the list contains.

    Patterns are CSR runs item_ptr[k]:item_ptr[k+1] of item codes (ascending within an
    itemset), ``set_start`` flagging itemset starts; patterns are distinct. Candidates for a
    container come from the posting list of the pattern's rarest item, longest first, and a
    64-bit item signature filters them before the exact test.
    """
    n = len(item_ptr) - 1
    length = np.empty(n, np.int64)
    sig = np.zeros(n, np.uint64)
    for k in range(n):
        length[k] = item_ptr[k + 1] - item_ptr[k]
        for q in range(item_ptr[k], item_ptr[k + 1]):
            sig[k] |= np.uint64(1) << np.uint64(pitems[q] & 63)
    order = np.argsort(-length, kind="mergesort")
    # posting lists: for each item, the patterns holding it, longest first
    counts = np.zeros(n_items + 1, np.int64)
    last = np.full(n_items, -1, np.int64)
    for k in range(n):
        for q in range(item_ptr[k], item_ptr[k + 1]):
            x = pitems[q]
            if last[x] != k:
                last[x] = k
                counts[x + 1] += 1
    post_ptr = np.cumsum(counts)
    cursor = post_ptr[:-1].copy()
    post = np.empty(post_ptr[-1], np.int64)
    last[:] = -1
    for r in range(n):
        k = order[r]
        for q in range(item_ptr[k], item_ptr[k + 1]):
            x = pitems[q]
            if last[x] != k:
                last[x] = k
                post[cursor[x]] = k
                cursor[x] += 1
    keep = np.ones(n, np.bool_)
    p_rng = np.empty(2, np.int64)
    q_rng = np.empty(2, np.int64)
    for k in range(n):
        best = -1
        best_len = 1 << 62
        for q in range(item_ptr[k], item_ptr[k + 1]):
            x = pitems[q]
            if post_ptr[x + 1] - post_ptr[x] < best_len:
                best_len = post_ptr[x + 1] - post_ptr[x]
                best = x
        p_rng[0] = item_ptr[k]
        p_rng[1] = item_ptr[k + 1]
        for j in range(post_ptr[best], post_ptr[best + 1]):
            o = post[j]
            if length[o] <= length[k]:
                break
            if (sig[k] & sig[o]) != sig[k]:
                continue
            q_rng[0] = item_ptr[o]
            q_rng[1] = item_ptr[o + 1]
            if _contained(p_rng, q_rng, pitems, set_start):
                keep[k] = False
                break
    return keep


@kernel
def grow(seq_ptr, evt_ptr, items, coord, n_items, idx_ptr, idx_sid, idx_evt, roots,
         min_count, single, keep_all, mode, prune, max_length, max_size, required,
         n_required, max_patterns, max_bytes, cancel):
    """Mine the closed (mode CLOSED) patterns, or the maximal candidates (mode MAXIMAL),
    whose first item is in ``roots``; no gap/span constraints.

    Same inputs (``coord`` is only read, never used for a window) and output tree as
    ``prefixspan.grow``: (status, parent, item, sext, support,
    emit) over the explored nodes in depth-first token order; ``emit`` marks the closed
    (maximal) patterns that meet the must-contain filter.
    """
    out_parent = np.empty(1024, np.int64)
    out_item = np.empty(1024, np.int32)
    out_sext = np.empty(1024, np.int8)
    out_support = np.empty(1024, np.int64)
    out_emit = np.empty(1024, np.int8)
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
    S_size = np.empty(64, np.int64)
    S_len = np.empty(64, np.int64)
    # the current pattern as tokens: S_item[t], S_sext[t] for t <= depth
    S_item = np.empty(64, np.int32)
    S_sext = np.empty(64, np.int8)
    set_ptr = np.empty(65, np.int64)
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
    # insertion checks
    cnt = np.zeros(n_items, np.int64)
    touched = np.empty(n_items, np.int32)
    mark = np.zeros(n_items, np.bool_)
    n_emb = np.zeros(3, np.int64)
    G_sid = np.empty(256, np.int64)
    G_end = np.empty(256, np.int64)
    L = np.empty(256, np.int64)
    LF = np.empty(256, np.int64)
    R = np.empty(256, np.int64)
    T_sid = np.empty(1024, np.int32)
    T_item = np.empty(1024, np.int32)
    T_end = np.empty(1024, np.int32)
    T_start = np.empty(1024, np.int32)
    T_sext = np.empty(1024, np.int8)
    n_present = 0
    stamp = 0
    status = OK
    need_all = mode == CLOSED

    no_rejected = np.zeros(0, np.int64)  # only top-k tracks rejected supports
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
                if d == len(S_node):
                    S_node = grow_i64(S_node, d + 1)
                    S_pb = grow_i64(S_pb, d + 1)
                    S_pe = grow_i64(S_pe, d + 1)
                    S_cur = grow_i64(S_cur, d + 1)
                    S_ce = grow_i64(S_ce, d + 1)
                    S_atop = grow_i64(S_atop, d + 1)
                    S_ctop = grow_i64(S_ctop, d + 1)
                    S_size = grow_i64(S_size, d + 1)
                    S_len = grow_i64(S_len, d + 1)
                    S_item = grow_i32(S_item, d + 1)
                    S_sext = grow_i8(S_sext, d + 1)
                    set_ptr = grow_i64(set_ptr, d + 2)
                S_item[d] = p_item
                S_sext[d] = p_sext
                # itemset boundaries of the pattern's tokens 0..d
                k = 0
                for t in range(d + 1):
                    if S_sext[t]:
                        set_ptr[k] = t
                        k += 1
                set_ptr[k] = d + 1
                # supporting sequences and their leftmost ends
                n_grp = 0
                G_sid = grow_i64(G_sid, p_sup)
                G_end = grow_i64(G_end, p_sup)
                last_sid = -1
                for j in range(p_pb, p_pe):
                    if A_sid[j] != last_sid:
                        last_sid = A_sid[j]
                        G_sid[n_grp] = last_sid
                        G_end[n_grp] = A_end[j]
                        n_grp += 1
                L = grow_i64(L, n_grp * k)
                LF = grow_i64(LF, n_grp * k)
                R = grow_i64(R, n_grp * k)
                n_emb[:] = 0
                if prune:
                    pruned = _insertion_exists(
                        seq_ptr, evt_ptr, items, n_grp, G_sid, G_end, k, L, LF, R, n_emb,
                        S_item, set_ptr, True, True, not single, mark, cnt, touched)
                    if pruned:
                        # an insertion keeps the projection: nothing in this subtree is
                        # closed (maximal); drop the node itself too
                        if cancel[0] != 0:
                            status = INTERRUPTED
                            break
                        continue
                if required[p_item]:
                    req_count[p_item] += 1
                    if req_count[p_item] == 1:
                        n_present += 1
                node = n_out
                out_parent, out_item, out_sext, out_support, out_emit, n_out = _add_node(
                    out_parent, out_item, out_sext, out_support, out_emit, n_out, p_parent,
                    p_item, p_sext, p_sup, False)
                if (n_out & 4095) == 0 and cancel[0] != 0:
                    status = INTERRUPTED
                    break
                S_node[d] = node
                S_pb[d] = p_pb
                S_pe[d] = p_pe
                S_atop[d] = a_top
                S_ctop[d] = c_top
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
                        p_item, allow_i, allow_s, single, keep_all, False, 0, 0, 0,
                        sup_s, sup_i, occ_s, occ_i, seen_s, seen_i, stamp,
                        touched_s, touched_i, T_sid, T_item, T_end, T_start, T_sext)
                    (A_sid, A_end, A_start, a_top, C_item, C_sext, C_b, C_e, C_sup,
                     c_top) = _lay_out_children(
                        min_count, nti, nts, nt, keep_all, False, S_cur[d], no_rejected,
                        touched_i, touched_s, sup_i, sup_s, occ_i, occ_s, cur_i, cur_s,
                        T_sid, T_item, T_end, T_start, T_sext,
                        A_sid, A_end, A_start, a_top, C_item, C_sext, C_b, C_e, C_sup, c_top)
                    S_ce[d] = c_top
                # closed: no equally frequent one-item extension or insertion in the family;
                # maximal candidate: no frequent forward extension (the driver removes the
                # candidates that another candidate contains)
                keep = True
                if length < max_length:
                    for c in range(S_cur[d], S_ce[d]):
                        if not need_all or C_sup[c] == p_sup:
                            keep = False
                            break
                    if keep and need_all:
                        found = _insertion_exists(
                            seq_ptr, evt_ptr, items, n_grp, G_sid, G_end, k, L, LF, R, n_emb,
                            S_item, set_ptr, False, size < max_size, not single, mark, cnt,
                            touched)
                        keep = not found
                if keep and n_present == n_required:
                    out_emit[node] = 1
                    n_emitted += 1
                    if n_emitted > max_patterns:
                        status = PATTERN_BUDGET
                        break
                used = ((len(A_sid) + len(T_sid)) * 13 + len(out_parent) * 30
                        + len(C_item) * 37 + n_items * 125 + len(L) * 24)
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
