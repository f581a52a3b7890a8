"""Frequent itemset kernels: transactions from the sequence arrays, FP-growth over an
array-encoded FP-tree, Eclat over tid-lists, and Apriori's level step (join, prune, count).

Items inside the kernels are dense ranks 0..n_ranks-1 of the frequent items (the driver
picks the order each miner prefers); transactions are CSR with ranks ascending and unique.
Every miner writes its itemsets as CSR (``out_ptr``, ``out_items`` in any order within an
itemset, ``out_count``); the driver maps ranks back to codes and sorts canonically.
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

# hashing by multiplication modulo the prime 2**31 - 1: no int64 overflow, so the kernels
# run the same as plain Python (NUMBA_DISABLE_JIT) without overflow warnings
_PRIME = 2147483647
_MULT = 48271


@kernel
def _sort_run(values, a, b):
    """Sort values[a:b] ascending in place (insertion sort for the usual short runs)."""
    if b - a > 32:
        values[a:b] = np.sort(values[a:b])
        return
    for i in range(a + 1, b):
        x = values[i]
        j = i - 1
        while j >= a and values[j] > x:
            values[j + 1] = values[j]
            j -= 1
        values[j + 1] = x


# --- transactions ------------------------------------------------------------------------------
@kernel
def sequence_transactions(seq_ptr, evt_ptr, items, n_items):
    """One transaction per sequence: the union of its events' items, ascending and unique."""
    n_seq = len(seq_ptr) - 1
    tx_ptr = np.zeros(n_seq + 1, np.int64)
    out = np.empty(len(items), np.int32)
    last = np.full(n_items, -1, np.int64)
    n = 0
    for s in range(n_seq):
        start = n
        for q in range(evt_ptr[seq_ptr[s]], evt_ptr[seq_ptr[s + 1]]):
            x = items[q]
            if last[x] != s:
                last[x] = s
                out[n] = x
                n += 1
        _sort_run(out, start, n)
        tx_ptr[s + 1] = n
    return tx_ptr, out[:n].copy()


@kernel
def relabel_transactions(tx_ptr, tx_items, rank):
    """Keep the items with ``rank >= 0``, relabelled to their rank and sorted ascending;
    empty transactions stay (they still count as transactions)."""
    n_tx = len(tx_ptr) - 1
    out_ptr = np.zeros(n_tx + 1, np.int64)
    out = np.empty(len(tx_items), np.int32)
    n = 0
    for t in range(n_tx):
        start = n
        for q in range(tx_ptr[t], tx_ptr[t + 1]):
            r = rank[tx_items[q]]
            if r >= 0:
                out[n] = r
                n += 1
        _sort_run(out, start, n)
        out_ptr[t + 1] = n
    return out_ptr, out[:n].copy()


@kernel
def tid_lists(tx_ptr, tx_items, n_ranks):
    """Vertical layout: for each rank, the ascending ids of the transactions holding it."""
    counts = np.zeros(n_ranks + 1, np.int64)
    for q in range(len(tx_items)):
        counts[tx_items[q] + 1] += 1
    ptr = np.cumsum(counts)
    cursor = ptr[:-1].copy()
    tids = np.empty(len(tx_items), np.int32)
    for t in range(len(tx_ptr) - 1):
        for q in range(tx_ptr[t], tx_ptr[t + 1]):
            x = tx_items[q]
            tids[cursor[x]] = t
            cursor[x] += 1
    return ptr, tids


@kernel
def sort_segments(ptr, values):
    """Sort each CSR segment of ``values`` ascending, in place."""
    for k in range(len(ptr) - 1):
        _sort_run(values, ptr[k], ptr[k + 1])


@kernel
def _intersect(a, a0, a1, b, b0, b1, out, o0, min_count):
    """a[a0:a1] ∩ b[b0:b1] (both ascending) written at out[o0:]; returns the size, or -1 as
    soon as min_count can no longer be reached."""
    i = a0
    j = b0
    n = 0
    while i < a1 and j < b1:
        if n + min(a1 - i, b1 - j) < min_count:
            return -1
        x = a[i]
        y = b[j]
        if x == y:
            out[o0 + n] = x
            n += 1
            i += 1
            j += 1
        elif x < y:
            i += 1
        else:
            j += 1
    return n if n >= min_count else -1


@kernel
def _intersect_count(a, a0, a1, b, b0, b1, min_count):
    """|a[a0:a1] ∩ b[b0:b1]|, or -1 as soon as min_count can no longer be reached."""
    i = a0
    j = b0
    n = 0
    while i < a1 and j < b1:
        if n + min(a1 - i, b1 - j) < min_count:
            return -1
        x = a[i]
        y = b[j]
        if x == y:
            n += 1
            i += 1
            j += 1
        elif x < y:
            i += 1
        else:
            j += 1
    return n if n >= min_count else -1


# --- output buffer -----------------------------------------------------------------------------
@inline_kernel
def _emit(out_ptr, out_items, out_count, n_out, prefix, depth, extra, n_extra, count):
    """Append itemset prefix[:depth] + extra[:n_extra]; returns the (possibly grown) buffers."""
    out_ptr = grow_i64(out_ptr, n_out + 2)
    out_count = grow_i64(out_count, n_out + 1)
    start = out_ptr[n_out]
    out_items = grow_i32(out_items, start + depth + n_extra)
    for j in range(depth):
        out_items[start + j] = prefix[j]
    for j in range(n_extra):
        out_items[start + depth + j] = extra[j]
    out_ptr[n_out + 1] = start + depth + n_extra
    out_count[n_out] = count
    return out_ptr, out_items, out_count


@kernel
def pack_itemset_words(item_ptr, items, bits, per_word, n_words):
    """uint64[n, n_words]: each itemset's items packed ``per_word`` to a word, ``bits`` bits
    each, first item in the most significant bits, a partial last word right-aligned (so
    two itemsets of one length compare as their items do, word by word)."""
    n = len(item_ptr) - 1
    out = np.zeros((n, n_words), np.uint64)
    shift = np.uint64(bits)
    for k in range(n):
        w = 0
        filled = 0
        word = np.uint64(0)
        for p in range(item_ptr[k], item_ptr[k + 1]):
            word = (word << shift) | np.uint64(items[p])
            filled += 1
            if filled == per_word:
                out[k, w] = word
                w += 1
                word = np.uint64(0)
                filled = 0
        if filled > 0:
            out[k, w] = word
    return out


# --- FP-growth ---------------------------------------------------------------------------------
@kernel
def _hash_slot(keys, stamps, gen, key, mask):
    """Open-addressing slot of ``key``: where it is (stamps == gen) or the first free slot."""
    slot = (key % _PRIME) * _MULT % _PRIME & mask
    while stamps[slot] == gen and keys[slot] != key:
        slot = (slot + 1) & mask
    return slot


@kernel
def fp_tree(tx_ptr, tx_items, n_ranks):
    """FP-tree of the transactions (ranks ascending = most frequent first when the driver
    ranks by support). Node 0 is the root. Returns (parent, item, count, hdr_ptr,
    hdr_nodes): the nodes of rank r are hdr_nodes[hdr_ptr[r]:hdr_ptr[r+1]]."""
    cap = len(tx_items) + 1
    parent = np.empty(cap, np.int32)
    item = np.empty(cap, np.int32)
    count = np.zeros(cap, np.int64)
    parent[0] = -1
    item[0] = -1
    n = 1
    size = 16
    while size < 2 * cap:
        size *= 2
    mask = size - 1
    keys = np.empty(size, np.int64)
    vals = np.empty(size, np.int32)
    stamps = np.zeros(size, np.int8)
    for t in range(len(tx_ptr) - 1):
        node = 0
        for q in range(tx_ptr[t], tx_ptr[t + 1]):
            y = tx_items[q]
            key = np.int64(node) * n_ranks + y
            slot = _hash_slot(keys, stamps, 1, key, mask)
            if stamps[slot] != 1:
                stamps[slot] = 1
                keys[slot] = key
                vals[slot] = n
                parent[n] = node
                item[n] = y
                n += 1
            node = vals[slot]
            count[node] += 1
    hdr_count = np.zeros(n_ranks + 1, np.int64)
    for v in range(1, n):
        hdr_count[item[v] + 1] += 1
    hdr_ptr = np.cumsum(hdr_count)
    cursor = hdr_ptr[:-1].copy()
    hdr_nodes = np.empty(n - 1, np.int32)
    for v in range(1, n):
        hdr_nodes[cursor[item[v]]] = v
        cursor[item[v]] += 1
    return parent[:n].copy(), item[:n].copy(), count[:n].copy(), hdr_ptr, hdr_nodes


@kernel
def _prefix_counts(src_parent, src_item, src_count, nodes, hb, he, cond_sup, touched):
    """Per item, the summed counts of the prefix paths of nodes[hb:he] (the conditional
    pattern base). Returns (n_touched, total path length)."""
    n_touched = 0
    total = 0
    for h in range(hb, he):
        v = nodes[h]
        c = src_count[v]
        u = src_parent[v]
        while u >= 0 and src_item[u] >= 0:
            y = src_item[u]
            if cond_sup[y] == 0:
                touched[n_touched] = y
                n_touched += 1
            cond_sup[y] += c
            total += 1
            u = src_parent[u]
    return n_touched, total


@kernel
def _build_conditional(src_parent, src_item, src_count, nodes, hb, he, cond_sup, min_count,
                       n_ranks, dst_parent, dst_item, dst_count, nb, keys, vals, stamps, gen,
                       mask, path, n_child):
    """Conditional FP-tree of the prefix paths of nodes[hb:he], frequent items only, written
    at dst[nb:]; a node's parent is -1 for the (implicit) root. Returns (ne, single_path)."""
    ne = nb
    single = True
    for h in range(hb, he):
        v = nodes[h]
        c = src_count[v]
        n_path = 0
        u = src_parent[v]
        while u >= 0 and src_item[u] >= 0:
            y = src_item[u]
            if cond_sup[y] >= min_count:
                path[n_path] = y
                n_path += 1
            u = src_parent[u]
        node = -1
        for j in range(n_path - 1, -1, -1):
            y = path[j]
            key = (np.int64(node) + 1) * n_ranks + y
            slot = _hash_slot(keys, stamps, gen, key, mask)
            if stamps[slot] != gen:
                stamps[slot] = gen
                keys[slot] = key
                vals[slot] = ne
                dst_parent[ne] = node
                dst_item[ne] = y
                dst_count[ne] = 0
                n_child[ne - nb] = 0
                if node >= 0:
                    n_child[node - nb] += 1
                    if n_child[node - nb] > 1:
                        single = False
                elif ne > nb:
                    single = False  # a second child of the root
                ne += 1
            node = vals[slot]
            dst_count[node] += c
    return ne, single


@kernel
def fpgrowth(g_parent, g_item, g_count, g_hdr_ptr, g_hdr_nodes, n_ranks, roots, min_count,
             max_len, max_itemsets, max_bytes, cancel):
    """Frequent itemsets whose least frequent item (highest rank) is in ``roots``
    (Han, Pei & Yin 2000), depth-first with an explicit stack of conditional trees.

    Conditional trees live in one arena (node arrays + per-tree header lists) released on
    pop; a single-path tree is expanded into all its combinations directly.
    Returns (status, out_ptr, out_items, out_count).
    """
    out_ptr = np.zeros(1024, np.int64)
    out_items = np.empty(4096, np.int32)
    out_count = np.empty(1024, np.int64)
    n_out = 0
    # arena of conditional trees
    A_parent = np.empty(1024, np.int32)
    A_item = np.empty(1024, np.int32)
    A_count = np.empty(1024, np.int64)
    # header arena: per tree the items (rank ascending), their node lists and supports
    H_item = np.empty(256, np.int32)
    H_beg = np.empty(256, np.int64)
    H_end = np.empty(256, np.int64)
    H_sup = np.empty(256, np.int64)
    H_nodes = np.empty(1024, np.int32)
    # frames
    F_hb = np.empty(64, np.int64)
    F_cur = np.empty(64, np.int64)
    F_atop = np.empty(64, np.int64)
    F_htop = np.empty(64, np.int64)
    F_ntop = np.empty(64, np.int64)
    prefix = np.empty(64, np.int32)
    combo = np.empty(64, np.int32)
    extra = np.empty(64, np.int32)
    cond_sup = np.zeros(n_ranks, np.int64)
    touched = np.empty(n_ranks, np.int32)
    node_seen = np.zeros(n_ranks, np.int64)
    path = np.empty(max(n_ranks, 1), np.int32)
    n_child = np.empty(1024, np.int32)
    keys = np.empty(1024, np.int64)
    vals = np.empty(1024, np.int32)
    stamps = np.zeros(1024, np.int8)
    gen = 0
    status = OK
    a_top = 0
    h_top = 0
    n_top = 0

    for x in roots:
        support = g_count[g_hdr_nodes[g_hdr_ptr[x]:g_hdr_ptr[x + 1]]].sum()
        if support < min_count:
            continue
        d = 0  # number of open frames (conditional trees)
        depth = 0  # prefix length
        # the root step works on the global tree; deeper steps on arena trees
        use_global = True
        cur_item = x
        cur_sup = support
        cur_hb = g_hdr_ptr[x]
        cur_he = g_hdr_ptr[x + 1]
        while True:
            if cur_item >= 0:
                # emit prefix + cur_item, then open its conditional tree
                prefix = grow_i32(prefix, depth + 1)
                prefix[depth] = cur_item
                out_ptr, out_items, out_count = _emit(out_ptr, out_items, out_count, n_out,
                                                      prefix, depth + 1, extra, 0, cur_sup)
                n_out += 1
                if n_out > max_itemsets:
                    status = PATTERN_BUDGET
                    break
                if (n_out & 4095) == 0 and cancel[0] != 0:
                    status = INTERRUPTED
                    break
                if depth + 1 < max_len:
                    if use_global:
                        n_touched, total = _prefix_counts(g_parent, g_item, g_count,
                                                          g_hdr_nodes, cur_hb, cur_he,
                                                          cond_sup, touched)
                    else:
                        n_touched, total = _prefix_counts(A_parent, A_item, A_count, H_nodes,
                                                          cur_hb, cur_he, cond_sup, touched)
                    # frequent items of the conditional base, rank ascending
                    ts = np.sort(touched[:n_touched])
                    n_freq = 0
                    for y in ts:
                        if cond_sup[y] >= min_count:
                            n_freq += 1
                    ne = a_top
                    single = True
                    if n_freq > 0:
                        A_parent = grow_i32(A_parent, a_top + total)
                        A_item = grow_i32(A_item, a_top + total)
                        A_count = grow_i64(A_count, a_top + total)
                        n_child = grow_i32(n_child, total)
                        size = 16
                        while size < 2 * total:
                            size *= 2
                        if size > len(keys):
                            keys = np.empty(size, np.int64)
                            vals = np.empty(size, np.int32)
                            stamps = np.zeros(size, np.int8)
                            gen = 0
                        gen += 1
                        if gen == 127:
                            stamps[:] = 0
                            gen = 1
                        mask = len(keys) - 1
                        if use_global:
                            ne, single = _build_conditional(
                                g_parent, g_item, g_count, g_hdr_nodes, cur_hb, cur_he,
                                cond_sup, min_count, n_ranks, A_parent, A_item, A_count, a_top,
                                keys, vals, stamps, gen, mask, path, n_child)
                        else:
                            ne, single = _build_conditional(
                                A_parent, A_item, A_count, H_nodes, cur_hb, cur_he,
                                cond_sup, min_count, n_ranks, A_parent, A_item, A_count, a_top,
                                keys, vals, stamps, gen, mask, path, n_child)
                    if n_freq > 0 and single:
                        # one path y_0..y_m (root to leaf, counts falling): every subset,
                        # whose support is the count of its deepest node
                        m = ne - a_top
                        limit = max_len - depth - 1
                        combo = grow_i32(combo, m + 1)
                        extra = grow_i32(extra, m + 1)
                        for j in range(m):
                            cnt_j = A_count[a_top + j]
                            # combinations of size s of the j nodes above, plus node j
                            for s in range(0, min(j, limit - 1) + 1):
                                for c in range(s):
                                    combo[c] = c
                                while True:
                                    for c in range(s):
                                        extra[c] = A_item[a_top + combo[c]]
                                    extra[s] = A_item[a_top + j]
                                    out_ptr, out_items, out_count = _emit(
                                        out_ptr, out_items, out_count, n_out, prefix,
                                        depth + 1, extra, s + 1, cnt_j)
                                    n_out += 1
                                    if n_out > max_itemsets:
                                        status = PATTERN_BUDGET
                                        break
                                    # next combination of s out of j
                                    c = s - 1
                                    while c >= 0 and combo[c] == j - s + c:
                                        c -= 1
                                    if c < 0:
                                        break
                                    combo[c] += 1
                                    for c2 in range(c + 1, s):
                                        combo[c2] = combo[c2 - 1] + 1
                                if status != OK:
                                    break
                            if status != OK:
                                break
                        if status != OK:
                            break
                        for y in ts:
                            cond_sup[y] = 0
                    elif n_freq > 0:
                        # header of the new tree: its items and node lists
                        H_item = grow_i32(H_item, h_top + n_freq)
                        H_beg = grow_i64(H_beg, h_top + n_freq)
                        H_end = grow_i64(H_end, h_top + n_freq)
                        H_sup = grow_i64(H_sup, h_top + n_freq)
                        H_nodes = grow_i32(H_nodes, n_top + (ne - a_top))
                        for v in range(a_top, ne):
                            node_seen[A_item[v]] += 1
                        hb = h_top
                        pos = n_top
                        for y in ts:
                            if cond_sup[y] >= min_count:
                                H_item[h_top] = y
                                H_beg[h_top] = pos
                                H_end[h_top] = pos
                                H_sup[h_top] = cond_sup[y]
                                pos += node_seen[y]
                                node_seen[y] = h_top  # reuse as the header slot of y
                                h_top += 1
                        for v in range(a_top, ne):
                            h = node_seen[A_item[v]]
                            H_nodes[H_end[h]] = v
                            H_end[h] += 1
                        for y in ts:
                            cond_sup[y] = 0
                            node_seen[y] = 0
                        if d == len(F_hb):
                            F_hb = grow_i64(F_hb, d + 1)
                            F_cur = grow_i64(F_cur, d + 1)
                            F_atop = grow_i64(F_atop, d + 1)
                            F_htop = grow_i64(F_htop, d + 1)
                            F_ntop = grow_i64(F_ntop, d + 1)
                        F_hb[d] = hb
                        F_cur[d] = h_top  # items are taken from the top down
                        F_atop[d] = a_top
                        F_htop[d] = hb
                        F_ntop[d] = n_top
                        a_top = ne
                        n_top = pos
                        d += 1
                        depth += 1
                        use_global = False
                        used = (len(A_parent) * 16 + len(H_item) * 28 + len(H_nodes) * 4
                                + len(keys) * 13 + len(out_items) * 4 + len(out_ptr) * 16)
                        if used > max_bytes:
                            status = MEMORY_BUDGET
                            break
                    else:
                        for y in ts:
                            cond_sup[y] = 0
            # next item of the innermost open tree, or pop it
            if d == 0:
                break
            top = d - 1
            if F_cur[top] > F_hb[top]:
                F_cur[top] -= 1
                h = F_cur[top]
                cur_item = H_item[h]
                cur_sup = H_sup[h]
                cur_hb = H_beg[h]
                cur_he = H_end[h]
            else:
                a_top = F_atop[top]
                h_top = F_htop[top]
                n_top = F_ntop[top]
                d -= 1
                depth -= 1
                cur_item = -1
        if status != OK:
            break
    return (status, out_ptr[:n_out + 1].copy(), out_items[:out_ptr[n_out]].copy(),
            out_count[:n_out].copy())


# --- Eclat -----------------------------------------------------------------------------------
@kernel
def _difference(a, a0, a1, b, b0, b1, out, o0, max_size):
    """a[a0:a1] minus b[b0:b1] (both ascending) written at out[o0:]; returns the size, or -1
    as soon as it would exceed max_size."""
    i = a0
    j = b0
    n = 0
    while i < a1:
        x = a[i]
        while j < b1 and b[j] < x:
            j += 1
        if j < b1 and b[j] == x:
            j += 1
        else:
            if n == max_size:
                return -1
            out[o0 + n] = x
            n += 1
        i += 1
    return n


@kernel
def _to_diffsets(parent, p0, p1, T, M_b, M_e, mb, me, t_top):
    """Rewrite the tid-lists of class members mb..me-1 (stacked in T from M_b[mb] to t_top,
    each a subset of parent[p0:p1]) as diffsets parent minus tid-list; returns (T, t_top)."""
    tb = M_b[mb]
    total = 0
    for i in range(mb, me):
        total += (p1 - p0) - (M_e[i] - M_b[i])
    T = grow_i32(T, t_top + total)
    w = t_top
    for i in range(mb, me):
        n = _difference(parent, p0, p1, T, M_b[i], M_e[i], T, w, p1 - p0)
        M_b[i] = w - (t_top - tb)
        M_e[i] = w + n - (t_top - tb)
        w += n
    for p in range(t_top, w):
        T[p - (t_top - tb)] = T[p]
    return T, w - (t_top - tb)


@kernel
def _diffsets_pay(M_b, M_e, mb, me, parent_support):
    """True when the class members' diffsets would be shorter than their tid-lists together
    (dense data: children keep most of their parent's transactions)."""
    tid_total = 0
    for i in range(mb, me):
        tid_total += M_e[i] - M_b[i]
    return (me - mb) * parent_support - tid_total < tid_total


@kernel
def _root_class(a, tid_ptr, tids, tx_ptr, tx_items, min_count, co_count, member_of, touched,
                T, M_item, M_sup, M_b, M_e):
    """Members of the class of {a}: every b > a in at least min_count of a's transactions,
    ascending, with tid-list t(a) ∩ t(b) stacked in T from 0. Two scans of a's transactions
    (count, then fill) cost sum |t|, not a merge of t(a) with every other tid-list. Returns
    (T, number of members); when that exceeds len(M_item) nothing was written."""
    n_touched = 0
    for q in range(tid_ptr[a], tid_ptr[a + 1]):
        t = tids[q]
        for p in range(tx_ptr[t], tx_ptr[t + 1]):
            b = tx_items[p]
            if b > a:
                if co_count[b] == 0:
                    touched[n_touched] = b
                    n_touched += 1
                co_count[b] += 1
    _sort_run(touched, 0, n_touched)
    n_members = 0
    total = 0
    for i in range(n_touched):
        b = touched[i]
        if co_count[b] >= min_count:
            member_of[b] = n_members
            n_members += 1
            total += co_count[b]
        else:
            member_of[b] = -1
    if n_members <= len(M_item):
        T = grow_i32(T, total)
        m = 0
        for i in range(n_touched):
            b = touched[i]
            if member_of[b] >= 0:
                M_item[m] = b
                M_sup[m] = co_count[b]
                M_b[m] = 0 if m == 0 else M_b[m - 1] + M_sup[m - 1]
                M_e[m] = M_b[m]
                m += 1
        for q in range(tid_ptr[a], tid_ptr[a + 1]):
            t = tids[q]
            for p in range(tx_ptr[t], tx_ptr[t + 1]):
                b = tx_items[p]
                if b > a and member_of[b] >= 0:
                    m = member_of[b]
                    T[M_e[m]] = t
                    M_e[m] += 1
    for i in range(n_touched):
        co_count[touched[i]] = 0
    return T, n_members


@kernel
def _emit_with_perfect(out_ptr, out_items, out_count, n_out, prefix, depth, perfect,
                       n_perfect, limit, count, chosen, next_index, max_itemsets, cancel):
    """Emit prefix[:depth] joined with every subset of perfect[:n_perfect] of at most
    ``limit`` items, all with ``count``: a perfect extension (an item in every transaction
    of the prefix) adds to an itemset without changing its support, so the subtree is
    mined once without it and written out twice. ``chosen`` and ``next_index`` are scratch
    of at least n_perfect + 1 entries. Returns the buffers, n_out and a status."""
    out_ptr, out_items, out_count = _emit(out_ptr, out_items, out_count, n_out, prefix,
                                          depth, chosen, 0, count)
    n_out += 1
    if n_out > max_itemsets:
        return out_ptr, out_items, out_count, n_out, PATTERN_BUDGET
    if n_perfect == 0 or limit <= 0:
        return out_ptr, out_items, out_count, n_out, OK
    # subsets in lexicographic depth-first order: next_index[level] is the next perfect
    # item to try at that level
    next_index[0] = 0
    level = 0
    while level >= 0:
        if level < limit and next_index[level] < n_perfect:
            i = next_index[level]
            next_index[level] = i + 1
            chosen[level] = perfect[i]
            out_ptr, out_items, out_count = _emit(out_ptr, out_items, out_count, n_out,
                                                  prefix, depth, chosen, level + 1, count)
            n_out += 1
            if n_out > max_itemsets:
                return out_ptr, out_items, out_count, n_out, PATTERN_BUDGET
            if (n_out & 4095) == 0 and cancel[0] != 0:
                return out_ptr, out_items, out_count, n_out, INTERRUPTED
            level += 1
            next_index[level] = i + 1
        else:
            level -= 1
    return out_ptr, out_items, out_count, n_out, OK


@inline_kernel
def _emit_node(out_ptr, out_items, out_count, n_out, prefix, depth, perfect, n_perfect, limit,
               count, chosen, next_index, max_itemsets, cancel):
    """Emit a search node's itemset prefix[:depth] (with every allowed subset of the perfect
    extensions in force); returns (out_ptr, out_items, out_count, n_out, status, chosen,
    next_index), the scratch grown as needed."""
    if n_perfect == 0 or limit <= 0:
        out_ptr, out_items, out_count = _emit(out_ptr, out_items, out_count, n_out, prefix,
                                              depth, chosen, 0, count)
        n_out += 1
        status = PATTERN_BUDGET if n_out > max_itemsets else OK
        return out_ptr, out_items, out_count, n_out, status, chosen, next_index
    chosen = grow_i32(chosen, n_perfect + 1)
    next_index = grow_i64(next_index, n_perfect + 1)
    out_ptr, out_items, out_count, n_out, status = _emit_with_perfect(
        out_ptr, out_items, out_count, n_out, prefix, depth, perfect, n_perfect, limit, count,
        chosen, next_index, max_itemsets, cancel)
    return out_ptr, out_items, out_count, n_out, status, chosen, next_index


@kernel
def _split_perfect(M_item, M_sup, M_b, M_e, mb, me, parent_support, perfect, n_perfect):
    """Move the class members with the parent's support (perfect extensions) from
    mb..me-1 to ``perfect``, keeping the others' order; returns (perfect, n_perfect, new me)."""
    kept = mb
    for i in range(mb, me):
        if M_sup[i] == parent_support:
            perfect = grow_i32(perfect, n_perfect + 1)
            perfect[n_perfect] = M_item[i]
            n_perfect += 1
        else:
            M_item[kept] = M_item[i]
            M_sup[kept] = M_sup[i]
            M_b[kept] = M_b[i]
            M_e[kept] = M_e[i]
            kept += 1
    return perfect, n_perfect, kept


# --- Eclat over per-root bitsets ------------------------------------------------------------------
_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_H01 = np.uint64(0x0101010101010101)
_ONE = np.uint64(1)
_S1 = np.uint64(1)
_S2 = np.uint64(2)
_S4 = np.uint64(4)
_S56 = np.uint64(56)
#: a first-level class goes to bitsets when its root is in at most this many transactions
#: (64 words per member) and its members average at least one transaction per word
BITSET_MAX_TRANSACTIONS = 4096


@inline_kernel
def _popcount(x):
    """Set bits of a uint64 (the SWAR idiom, which LLVM turns into one popcnt)."""
    x = x - ((x >> _S1) & _M1)
    x = (x & _M2) + ((x >> _S2) & _M2)
    x = (x + (x >> _S4)) & _M4
    return (x * _H01) >> _S56


@kernel
def _bitsets_pay(n_a, M_b, M_e, m_count, bitset_max):
    """Bitsets over t(a) for the class of {a}: at most ``bitset_max`` transactions, and no
    sparser than the lists."""
    words = (n_a + 63) // 64
    if n_a > bitset_max:
        return False
    total = 0
    for i in range(m_count):
        total += M_e[i] - M_b[i]
    return total >= m_count * words


@kernel
def _eclat_bits(a, tid_ptr, tids, pos_of_tid, M_item, M_sup, M_b, M_e, T, m_count,
                min_count, max_len, max_itemsets, max_bytes, cancel, prefix, perfect,
                n_perfect, chosen, next_index, out_ptr, out_items, out_count, n_out):
    """Eclat below {a} with every tid-list a bitset over a's transactions (W words): a join
    is W ANDs and popcounts. The class members come as tid-lists (T[M_b[i]:M_e[i]]);
    perfect extensions as in :func:`eclat`. Returns (status, out_ptr, out_items, out_count,
    n_out, prefix, perfect, chosen, next_index)."""
    n_a = tid_ptr[a + 1] - tid_ptr[a]
    W = (n_a + 63) // 64
    for q in range(tid_ptr[a], tid_ptr[a + 1]):
        pos_of_tid[tids[q]] = q - tid_ptr[a]
    cap = max(64, 2 * m_count)
    bits = np.zeros(cap * W, np.uint64)
    C_item = np.empty(cap, np.int32)
    C_sup = np.empty(cap, np.int64)
    for i in range(m_count):
        C_item[i] = M_item[i]
        C_sup[i] = M_sup[i]
        for p in range(M_b[i], M_e[i]):
            x = pos_of_tid[T[p]]
            bits[i * W + x // 64] |= _ONE << np.uint64(x % 64)
    F_mb = np.empty(64, np.int64)
    F_me = np.empty(64, np.int64)
    F_cur = np.empty(64, np.int64)
    F_pbase = np.empty(64, np.int64)
    F_mb[0] = 0
    F_me[0] = m_count
    F_cur[0] = 0
    F_pbase[0] = n_perfect
    top = m_count
    status = OK
    d = 1
    while d > 0:
        f = d - 1
        if F_cur[f] == F_me[f]:
            top = F_mb[f]
            n_perfect = F_pbase[f]
            d -= 1
            continue
        m = F_cur[f]
        F_cur[f] = m + 1
        depth = f + 1  # prefix length of this class
        prefix[depth] = C_item[m]
        s_m = C_sup[m]
        mb = top
        p_base = n_perfect
        if depth + 1 < max_len and m + 1 < F_me[f]:
            need = top + F_me[f] - m - 1
            if need > len(C_item):
                new_cap = max(need, 2 * len(C_item))
                grown = np.zeros(new_cap * W, np.uint64)
                grown[:top * W] = bits[:top * W]
                bits = grown
                C_item = grow_i32(C_item, new_cap)
                C_sup = grow_i64(C_sup, new_cap)
            any_perfect = False
            for m2 in range(m + 1, F_me[f]):
                c = 0
                for w in range(W):
                    v = bits[m * W + w] & bits[m2 * W + w]
                    bits[top * W + w] = v
                    c += _popcount(v)
                if c >= min_count:
                    C_item[top] = C_item[m2]
                    C_sup[top] = c
                    top += 1
                    any_perfect |= c == s_m
            if any_perfect:  # perfect extensions leave the class, their bits with them
                kept = mb
                for i in range(mb, top):
                    if C_sup[i] == s_m:
                        perfect = grow_i32(perfect, n_perfect + 1)
                        perfect[n_perfect] = C_item[i]
                        n_perfect += 1
                    else:
                        if kept != i:
                            C_item[kept] = C_item[i]
                            C_sup[kept] = C_sup[i]
                            for w in range(W):
                                bits[kept * W + w] = bits[i * W + w]
                        kept += 1
                top = kept
        out_ptr, out_items, out_count, n_out, status, chosen, next_index = _emit_node(
            out_ptr, out_items, out_count, n_out, prefix, depth + 1, perfect, n_perfect,
            max_len - depth - 1, s_m, chosen, next_index, max_itemsets, cancel)
        if status != OK:
            break
        if (n_out & 4095) == 0 and cancel[0] != 0:
            status = INTERRUPTED
            break
        if top == mb:  # no class below
            n_perfect = p_base
            continue
        if d == len(F_mb):
            F_mb = grow_i64(F_mb, d + 1)
            F_me = grow_i64(F_me, d + 1)
            F_cur = grow_i64(F_cur, d + 1)
            F_pbase = grow_i64(F_pbase, d + 1)
        if depth + 1 >= len(prefix):
            prefix = grow_i32(prefix, depth + 2)
        F_mb[d] = mb
        F_me[d] = top
        F_cur[d] = mb
        F_pbase[d] = p_base
        d += 1
        if len(bits) * 8 + len(C_item) * 12 + len(out_items) * 4 + len(out_ptr) * 16 > max_bytes:
            status = MEMORY_BUDGET
            break
    return (status, out_ptr, out_items, out_count, n_out, prefix, perfect, chosen,
            next_index)


@kernel
def eclat(tid_ptr, tids, tx_ptr, tx_items, roots, n_ranks, min_count, max_len, max_itemsets,
          max_bytes, cancel, bitset_max):
    """Frequent itemsets whose first item (lowest rank) is in ``roots`` (Zaki 2000):
    depth-first over equivalence classes with early-abort joins. A class stores its
    members' tid-lists, or their diffsets against the class prefix once those are the
    shorter (dEclat, Zaki & Gouda 2003: support(PXY) = support(PX) - |d(PY) minus d(PX)|);
    perfect extensions (support(PXY) = support(PX)) leave the class and are added to every
    itemset of the subtree at output (Borgelt 2003). A first-level class whose root is in
    at most ``bitset_max`` transactions, densely enough, is mined over bitsets instead
    (:func:`_eclat_bits`). Returns (status, out_ptr, out_items, out_count)."""
    out_ptr = np.zeros(1024, np.int64)
    out_items = np.empty(4096, np.int32)
    out_count = np.empty(1024, np.int64)
    n_out = 0
    # members of open classes: item, support, tid-list or diffset range in T
    M_item = np.empty(256, np.int32)
    M_sup = np.empty(256, np.int64)
    M_b = np.empty(256, np.int64)
    M_e = np.empty(256, np.int64)
    T = np.empty(4096, np.int32)
    # open classes: member range, next member, T top at entry, members hold diffsets,
    # perfect-extension stack height before the class prefix's own perfect extensions
    F_mb = np.empty(64, np.int64)
    F_me = np.empty(64, np.int64)
    F_cur = np.empty(64, np.int64)
    F_ttop = np.empty(64, np.int64)
    F_diff = np.zeros(64, np.int8)
    F_pbase = np.empty(64, np.int64)
    prefix = np.empty(64, np.int32)
    perfect = np.empty(64, np.int32)
    chosen = np.empty(64, np.int32)
    next_index = np.empty(64, np.int64)
    co_count = np.zeros(n_ranks, np.int64)
    member_of = np.empty(n_ranks, np.int64)
    touched = np.empty(n_ranks, np.int32)
    pos_of_tid = np.empty(len(tx_ptr) - 1, np.int64)
    status = OK
    for a in roots:
        n_a = tid_ptr[a + 1] - tid_ptr[a]
        if n_a < min_count:
            continue
        prefix[0] = a
        m_top = 0
        n_perfect = 0
        if max_len > 1:
            # class of {a}: the b > a co-occurring with a in min_count transactions, their
            # tid-lists t(a) ∩ t(b) read off the horizontal layout
            T, m_top = _root_class(a, tid_ptr, tids, tx_ptr, tx_items, min_count, co_count,
                                   member_of, touched, T, M_item, M_sup, M_b, M_e)
            if m_top > len(M_item):  # grown inside: reallocate and redo (rare, amortised)
                M_item, M_sup, M_b, M_e = _grow_members(M_item, M_sup, M_b, M_e, m_top)
                T, m_top = _root_class(a, tid_ptr, tids, tx_ptr, tx_items, min_count,
                                       co_count, member_of, touched, T, M_item, M_sup, M_b,
                                       M_e)
            perfect, n_perfect, m_top = _split_perfect(M_item, M_sup, M_b, M_e, 0, m_top, n_a,
                                                       perfect, 0)
        out_ptr, out_items, out_count, n_out, status, chosen, next_index = _emit_node(
            out_ptr, out_items, out_count, n_out, prefix, 1, perfect, n_perfect,
            max_len - 1, n_a, chosen, next_index, max_itemsets, cancel)
        if status != OK:
            break
        if m_top == 0:
            continue
        if _bitsets_pay(n_a, M_b, M_e, m_top, bitset_max):
            (status, out_ptr, out_items, out_count, n_out, prefix, perfect, chosen,
             next_index) = _eclat_bits(a, tid_ptr, tids, pos_of_tid, M_item, M_sup, M_b, M_e,
                                       T, m_top, min_count, max_len, max_itemsets, max_bytes,
                                       cancel, prefix, perfect, n_perfect, chosen,
                                       next_index, out_ptr, out_items, out_count, n_out)
            if status != OK:
                break
            continue
        t_top = M_e[:m_top].max()  # perfect extensions left holes: the highest end
        F_diff[0] = 1 if _diffsets_pay(M_b, M_e, 0, m_top, n_a) else 0
        if F_diff[0] != 0:
            T, t_top = _to_diffsets(tids, tid_ptr[a], tid_ptr[a + 1], T, M_b, M_e, 0, m_top,
                                    t_top)
        F_mb[0] = 0
        F_me[0] = m_top
        F_cur[0] = 0
        F_ttop[0] = 0
        F_pbase[0] = 0
        d = 1
        while d > 0:
            top = d - 1
            if F_cur[top] == F_me[top]:
                m_top = F_mb[top]
                t_top = F_ttop[top]
                n_perfect = F_pbase[top]
                d -= 1
                continue
            m = F_cur[top]
            F_cur[top] = m + 1
            depth = top + 1  # prefix length of this class
            prefix[depth] = M_item[m]
            s_m = M_sup[m]
            mb = m_top
            tb = t_top
            p_base = n_perfect
            child_diff = F_diff[top] != 0
            if depth + 1 < max_len and m + 1 < F_me[top]:
                # room for every join of this member at once: no growth checks per join
                room = 0
                for m2 in range(m + 1, F_me[top]):
                    room += min(M_e[m2] - M_b[m2], s_m - min_count) if child_diff \
                        else M_e[m] - M_b[m]
                T = grow_i32(T, t_top + room)
                M_item, M_sup, M_b, M_e = _grow_members(M_item, M_sup, M_b, M_e,
                                                        m_top + F_me[top] - m - 1)
                any_perfect = False
                for m2 in range(m + 1, F_me[top]):
                    if child_diff:  # d(PXY) = d(PY) minus d(PX), at most s_m - min_count
                        n = _difference(T, M_b[m2], M_e[m2], T, M_b[m], M_e[m], T, t_top,
                                        s_m - min_count)
                        sup = s_m - n
                    else:
                        n = _intersect(T, M_b[m], M_e[m], T, M_b[m2], M_e[m2], T, t_top,
                                       min_count)
                        sup = n
                    if n >= 0:
                        M_item[m_top] = M_item[m2]
                        M_sup[m_top] = sup
                        M_b[m_top] = t_top
                        M_e[m_top] = t_top + n
                        m_top += 1
                        t_top += n
                        any_perfect |= sup == s_m
                if any_perfect:
                    perfect, n_perfect, m_top = _split_perfect(M_item, M_sup, M_b, M_e, mb,
                                                               m_top, s_m, perfect, n_perfect)
            out_ptr, out_items, out_count, n_out, status, chosen, next_index = _emit_node(
                out_ptr, out_items, out_count, n_out, prefix, depth + 1, perfect, n_perfect,
                max_len - depth - 1, s_m, chosen, next_index, max_itemsets, cancel)
            if status != OK:
                break
            if (n_out & 4095) == 0 and cancel[0] != 0:
                status = INTERRUPTED
                break
            if m_top == mb:  # no class below: drop its perfect extensions and T space
                n_perfect = p_base
                t_top = tb
                continue
            if not child_diff and _diffsets_pay(M_b, M_e, mb, m_top, s_m):
                T, t_top = _to_diffsets(T, M_b[m], M_e[m], T, M_b, M_e, mb, m_top, t_top)
                child_diff = True
            if d == len(F_mb):
                F_mb = grow_i64(F_mb, d + 1)
                F_me = grow_i64(F_me, d + 1)
                F_cur = grow_i64(F_cur, d + 1)
                F_ttop = grow_i64(F_ttop, d + 1)
                F_diff = grow_i8(F_diff, d + 1)
                F_pbase = grow_i64(F_pbase, d + 1)
            if depth + 1 >= len(prefix):
                prefix = grow_i32(prefix, depth + 2)
            F_mb[d] = mb
            F_me[d] = m_top
            F_cur[d] = mb
            F_ttop[d] = tb
            F_diff[d] = 1 if child_diff else 0
            F_pbase[d] = p_base
            d += 1
            used = len(T) * 4 + len(M_item) * 28 + len(out_items) * 4 + len(out_ptr) * 16
            if used > max_bytes:
                status = MEMORY_BUDGET
                break
        if status != OK:
            break
    return (status, out_ptr[:n_out + 1].copy(), out_items[:out_ptr[n_out]].copy(),
            out_count[:n_out].copy())


@kernel
def _grow_members(M_item, M_sup, M_b, M_e, need):
    """The member arrays, each grown to hold at least ``need`` entries."""
    return (grow_i32(M_item, need), grow_i64(M_sup, need), grow_i64(M_b, need),
            grow_i64(M_e, need))


# --- Apriori -----------------------------------------------------------------------------------
@kernel
def _row_less(rows, i, cand, skip, width):
    """rows[i] < cand-without-position-skip, lexicographically (both ``width`` long)."""
    c = 0
    for j in range(width):
        if c == skip:
            c += 1
        if rows[i, j] != cand[c]:
            return rows[i, j] < cand[c]
        c += 1
    return False


@kernel
def _row_equal(rows, i, cand, skip, width):
    c = 0
    for j in range(width):
        if c == skip:
            c += 1
        if rows[i, j] != cand[c]:
            return False
        c += 1
    return True


@kernel
def apriori_level(prev, tid_ptr, tids, parents, min_count, max_candidates, max_bytes, cancel):
    """One Apriori level (Agrawal & Srikant 1994): join the frequent (k-1)-itemsets ``prev``
    (rows ascending, lexicographically sorted) that share their first k-2 items, prune
    candidates with an infrequent (k-1)-subset, and count the rest by intersecting the
    parent's tid-list with the new item's. Only parents ``parents`` are joined here.
    Returns (status, rows (n, k), counts) in lexicographic order."""
    n_prev = prev.shape[0]
    w = prev.shape[1]
    k = w + 1
    out = np.empty((64, k), np.int32)
    counts = np.empty(64, np.int64)
    n_out = 0
    cand = np.empty(k, np.int32)
    buf_a = np.empty(16, np.int32)
    buf_b = np.empty(16, np.int32)
    status = OK
    n_candidates = 0
    for i in parents:
        # tid-list of the parent itemset prev[i]
        x0 = prev[i, 0]
        buf_a = grow_i32(buf_a, tid_ptr[x0 + 1] - tid_ptr[x0])
        buf_b = grow_i32(buf_b, tid_ptr[x0 + 1] - tid_ptr[x0])
        n_par = tid_ptr[x0 + 1] - tid_ptr[x0]
        buf_a[:n_par] = tids[tid_ptr[x0]:tid_ptr[x0 + 1]]
        for j in range(1, w):
            x = prev[i, j]
            n_par = _intersect(buf_a, 0, n_par, tids, tid_ptr[x], tid_ptr[x + 1], buf_b, 0, 0)
            buf_a, buf_b = buf_b, buf_a
        for j in range(i + 1, n_prev):
            same = True
            for c in range(w - 1):
                if prev[j, c] != prev[i, c]:
                    same = False
                    break
            if not same:
                break
            for c in range(w):
                cand[c] = prev[i, c]
            cand[w] = prev[j, w - 1]
            # every (k-1)-subset must be frequent; dropping the last or second-last item
            # gives the two joined rows, so check the others by binary search
            ok = True
            for skip in range(k - 2):
                lo = 0
                hi = n_prev
                while lo < hi:
                    mid = (lo + hi) // 2
                    if _row_less(prev, mid, cand, skip, w):
                        lo = mid + 1
                    else:
                        hi = mid
                if lo == n_prev or not _row_equal(prev, lo, cand, skip, w):
                    ok = False
                    break
            if not ok:
                continue
            n_candidates += 1
            y = cand[w]
            n = _intersect_count(buf_a, 0, n_par, tids, tid_ptr[y], tid_ptr[y + 1], min_count)
            if n >= 0:
                if n_out == out.shape[0]:
                    bigger = np.empty((2 * n_out, k), np.int32)
                    bigger[:n_out] = out
                    out = bigger
                    counts = grow_i64(counts, 2 * n_out)
                for c in range(k):
                    out[n_out, c] = cand[c]
                counts[n_out] = n
                n_out += 1
                if n_out > max_candidates:
                    status = PATTERN_BUDGET
                    break
        if status != OK:
            break
        if cancel[0] != 0:
            status = INTERRUPTED
            break
        if out.shape[0] * k * 4 + len(buf_a) * 8 > max_bytes:
            status = MEMORY_BUDGET
            break
    return status, out[:n_out].copy(), counts[:n_out].copy()


# --- association rules --------------------------------------------------------------------------
@kernel
def _itemset_hash(items, a, b):
    """Polynomial hash of items[a:b] modulo 2**31 - 1."""
    h = np.int64(0)
    for q in range(a, b):
        h = (h * _MULT + np.int64(items[q]) + 1) % _PRIME
    return h * _MULT % _PRIME


@kernel
def _find(keys_ptr, keys_items, table, mask, items, a, b):
    """Index of the itemset items[a:b] in the hash table of itemsets, or -1."""
    slot = _itemset_hash(items, a, b) & mask
    while table[slot] >= 0:
        k = table[slot]
        if keys_ptr[k + 1] - keys_ptr[k] == b - a:
            same = True
            for q in range(b - a):
                if keys_items[keys_ptr[k] + q] != items[a + q]:
                    same = False
                    break
            if same:
                return k
        slot = (slot + 1) & mask
    return -1


@kernel
def itemset_index(item_ptr, items):
    """Open-addressing hash table over the itemsets (items ascending within each)."""
    n = len(item_ptr) - 1
    size = 16
    while size < 2 * n:
        size *= 2
    mask = size - 1
    table = np.full(size, -1, np.int64)
    for k in range(n):
        slot = _itemset_hash(items, item_ptr[k], item_ptr[k + 1]) & mask
        while table[slot] >= 0:
            slot = (slot + 1) & mask
        table[slot] = k
    return table, mask


@kernel
def rule_metric(metric, n_ac, n_a, n_c, n_tx):
    """One of the association-rule metrics from the three counts (same formulas as the
    driver's vectorised columns)."""
    s_ac = n_ac / n_tx
    s_a = n_a / n_tx
    s_c = n_c / n_tx
    conf = n_ac / n_a
    if metric == 0:
        return s_ac
    if metric == 1:
        return conf
    if metric == 2:
        return conf / s_c
    if metric == 3:
        return s_ac - s_a * s_c
    if metric == 4:
        if conf >= 1.0:
            return np.inf
        return (1.0 - s_c) / (1.0 - conf)
    if metric == 5:
        den = max(s_ac * (1.0 - s_a), s_a * (s_c - s_ac))
        if den == 0.0:
            return 0.0
        return (s_ac - s_a * s_c) / den
    if metric == 6:
        return s_ac / (s_a + s_c - s_ac)
    if metric == 7:
        den = 1.0 - s_c
        if den == 0.0:
            return 0.0
        return (conf - s_c) / den
    if metric == 8:
        return (conf + n_ac / n_c) / 2.0
    if metric == 9:
        return s_a
    if metric == 10:
        return s_c
    return 1.0  # representativity: no missing values, so always 1


@kernel
def association_rules(item_ptr, items, count, table, mask, n_tx, metric, min_threshold,
                      max_rules, max_len):
    """Every rule A -> C with A | C a listed itemset, A and C non-empty and disjoint, whose
    metric reaches ``min_threshold``. Antecedents of an itemset come by size (largest first)
    then lexicographically. Itemsets longer than ``max_len`` are skipped by the driver's
    check. Returns (status, itemset, ant_ptr, ant_items, cons_ptr, cons_items, n_a, n_c)."""
    n = len(item_ptr) - 1
    r_set = np.empty(1024, np.int64)
    r_na = np.empty(1024, np.int64)
    r_nc = np.empty(1024, np.int64)
    a_ptr = np.zeros(1025, np.int64)
    a_items = np.empty(4096, np.int32)
    c_ptr = np.zeros(1025, np.int64)
    c_items = np.empty(4096, np.int32)
    n_rules = 0
    status = OK
    combo = np.empty(max_len + 1, np.int64)
    ant = np.empty(max_len + 1, np.int32)
    cons = np.empty(max_len + 1, np.int32)
    inside = np.zeros(max_len + 1, np.bool_)
    for k in range(n):
        b0 = item_ptr[k]
        size = item_ptr[k + 1] - b0
        if size < 2:
            continue
        for r in range(size - 1, 0, -1):
            for c in range(r):
                combo[c] = c
            while True:
                for c in range(size):
                    inside[c] = False
                for c in range(r):
                    inside[combo[c]] = True
                na = 0
                nc = 0
                for c in range(size):
                    if inside[c]:
                        ant[na] = items[b0 + c]
                        na += 1
                    else:
                        cons[nc] = items[b0 + c]
                        nc += 1
                ia = _find(item_ptr, items, table, mask, ant, 0, na)
                ic = _find(item_ptr, items, table, mask, cons, 0, nc)
                if ia >= 0 and ic >= 0:
                    score = rule_metric(metric, count[k], count[ia], count[ic], n_tx)
                    if score >= min_threshold:
                        r_set = grow_i64(r_set, n_rules + 1)
                        r_na = grow_i64(r_na, n_rules + 1)
                        r_nc = grow_i64(r_nc, n_rules + 1)
                        a_ptr = grow_i64(a_ptr, n_rules + 2)
                        c_ptr = grow_i64(c_ptr, n_rules + 2)
                        a_items = grow_i32(a_items, a_ptr[n_rules] + na)
                        c_items = grow_i32(c_items, c_ptr[n_rules] + nc)
                        a_items[a_ptr[n_rules]:a_ptr[n_rules] + na] = ant[:na]
                        c_items[c_ptr[n_rules]:c_ptr[n_rules] + nc] = cons[:nc]
                        a_ptr[n_rules + 1] = a_ptr[n_rules] + na
                        c_ptr[n_rules + 1] = c_ptr[n_rules] + nc
                        r_set[n_rules] = k
                        r_na[n_rules] = count[ia]
                        r_nc[n_rules] = count[ic]
                        n_rules += 1
                        if n_rules > max_rules:
                            status = PATTERN_BUDGET
                            break
                c = r - 1
                while c >= 0 and combo[c] == size - r + c:
                    c -= 1
                if c < 0:
                    break
                combo[c] += 1
                for c2 in range(c + 1, r):
                    combo[c2] = combo[c2 - 1] + 1
            if status != OK:
                break
        if status != OK:
            break
    return (status, r_set[:n_rules].copy(), a_ptr[:n_rules + 1].copy(),
            a_items[:a_ptr[n_rules]].copy(), c_ptr[:n_rules + 1].copy(),
            c_items[:c_ptr[n_rules]].copy(), r_na[:n_rules].copy(), r_nc[:n_rules].copy())
