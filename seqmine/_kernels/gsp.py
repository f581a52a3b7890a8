"""GSP (Srikant & Agrawal, 1996): candidate join, prune and counting over sorted candidate
arrays.

A pattern of length k is a row of k tokens, token = 2 * item + (1 if the item opens a new
itemset else 0); the first token always opens one. A level is a C-contiguous int32 matrix of
such rows sorted lexicographically (which is also seqmine's canonical tie order), so rows
sharing a prefix form one contiguous range: the sorted matrix is an implicit prefix tree,
and binary search over a column plays the part of GSP's hash tree.
"""

import numpy as np

from seqmine._kernels._jit import INTERRUPTED, OK, kernel
from seqmine._kernels.buffers import grow_i32


@kernel
def _row_cmp(F, i, key, ncols):
    """Compare F[i, :ncols] with key[:ncols]: -1, 0 or 1."""
    for c in range(ncols):
        a = F[i, c]
        b = key[c]
        if a != b:
            return -1 if a < b else 1
    return 0


@kernel
def _prefix_range(F, key, ncols):
    """Rows of sorted F whose first ncols tokens equal key: (lo, hi)."""
    lo = 0
    hi = F.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if _row_cmp(F, mid, key, ncols) < 0:
            lo = mid + 1
        else:
            hi = mid
    start = lo
    hi = F.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if _row_cmp(F, mid, key, ncols) <= 0:
            lo = mid + 1
        else:
            hi = mid
    return start, lo


@kernel
def join(F, allow_i, max_size):
    """GSP candidate generation: the (k+1)-candidates of the sorted frequent k-patterns F.

    k = 1: <x y> for every x, y and <{x, y}> for x < y (when ``allow_i``). k > 1: s1 and s2
    join when s1 without its first item equals s2 without its last item; the candidate is s1
    followed by s2's last token (a new itemset or the same one, as in s2). Candidates with
    more than ``max_size`` itemsets are dropped. Rows come out sorted and unique."""
    n = F.shape[0]
    k = F.shape[1]
    size = np.zeros(n, np.int64)
    for i in range(n):
        for c in range(k):
            size[i] += F[i, c] & 1
    out = np.empty(1024, np.int32)
    m = 0
    if k == 1:
        for i in range(n):
            x = F[i, 0] >> 1
            for j in range(n):
                y = F[j, 0] >> 1
                if allow_i and y > x:
                    out = grow_i32(out, (m + 1) * 2)
                    out[2 * m] = F[i, 0]
                    out[2 * m + 1] = 2 * y
                    m += 1
                if max_size >= 2:
                    out = grow_i32(out, (m + 1) * 2)
                    out[2 * m] = F[i, 0]
                    out[2 * m + 1] = 2 * y + 1
                    m += 1
        return out[:2 * m].copy().reshape(m, 2)
    key = np.empty(k, np.int32)
    for i in range(n):
        for c in range(1, k):
            key[c - 1] = F[i, c]
        key[0] |= 1  # dropping the first item: the next one opens the first itemset
        lo, hi = _prefix_range(F, key, k - 1)
        for j in range(lo, hi):
            t = F[j, k - 1]
            if size[i] + (t & 1) > max_size:
                continue
            out = grow_i32(out, (m + 1) * (k + 1))
            for c in range(k):
                out[m * (k + 1) + c] = F[i, c]
            out[m * (k + 1) + k] = t
            m += 1
    return out[:m * (k + 1)].copy().reshape(m, k + 1)


@kernel
def prune(C, F, contiguous_only):
    """Apriori prune: keep a candidate when every (k)-subsequence obtained by deleting one
    item is frequent (in sorted F). Deleting the first or last item gives the two joined
    patterns, so only inner positions are checked. With ``contiguous_only`` (GSP under
    max_gap) only contiguous subsequences are required: deleting an item from an itemset of
    two or more items (the first and last itemsets are never inner single items here)."""
    m = C.shape[0]
    kk = C.shape[1]
    keep = np.ones(m, np.bool_)
    sub = np.empty(kk - 1, np.int32)
    for r in range(m):
        for d in range(1, kk - 1):
            opens = (C[r, d] & 1) == 1
            next_opens = (C[r, d + 1] & 1) == 1
            if contiguous_only and opens and next_opens:
                continue  # a one-item itemset inside the pattern: not contiguous
            w = 0
            for c in range(kk):
                if c != d:
                    sub[w] = C[r, c]
                    w += 1
            if opens and not next_opens:
                sub[d] |= 1
            lo, hi = _prefix_range(F, sub, kk - 1)
            if lo == hi:
                keep[r] = False
                break
    return keep


@kernel
def _lower(C, d, lo, hi, t):
    """First row in lo:hi with C[row, d] >= t (column d ascending there)."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if C[mid, d] < t:
            lo = mid + 1
        else:
            hi = mid
    return lo


@kernel
def count(seq_ptr, evt_ptr, items, coord, n_items, C, s_lo, s_hi, single, has_window,
          min_gap, max_gap, max_span, cancel):
    """Support of every candidate row of sorted C over sequences s_lo..s_hi-1.

    Each sequence walks the implicit prefix tree of C depth first. A tree node's state is
    the list of (end event, latest start) of the embeddings of its prefix that meet the
    gap/span limits; a child keeps the state entries whose event holds its item
    (same itemset) or the item's later events that may follow one (new itemset). A row
    whose full state is non-empty is contained. Children are found by merging the node's
    column with the sequence's own items, from whichever side is shorter.
    Returns (status, counts)."""
    m = C.shape[0]
    K = C.shape[1]
    counts = np.zeros(m, np.int64)
    loc_stamp = np.full(n_items, -1, np.int64)
    loc_of = np.zeros(n_items, np.int64)
    loc_items = np.empty(16, np.int32)
    loc_cnt = np.zeros(16, np.int64)
    loc_ptr = np.zeros(17, np.int64)
    loc_evt = np.empty(16, np.int32)
    st_e = np.empty(256, np.int32)
    st_s = np.empty(256, np.int32)
    F_lo = np.empty(K, np.int64)
    F_hi = np.empty(K, np.int64)
    F_sb = np.empty(K, np.int64)
    F_se = np.empty(K, np.int64)
    F_cur = np.empty(K, np.int64)
    F_q = np.empty(K, np.int64)
    F_mode = np.empty(K, np.int8)
    for s in range(s_lo, s_hi):
        if ((s - s_lo) & 255) == 0 and cancel[0] != 0:
            return INTERRUPTED, counts
        # local index of the sequence: distinct items (sorted) and their events
        eb = seq_ptr[s]
        ee = seq_ptr[s + 1]
        n_occ = evt_ptr[ee] - evt_ptr[eb]
        loc_evt = grow_i32(loc_evt, n_occ)
        if len(loc_items) < n_occ:
            loc_items = np.empty(n_occ, np.int32)
            loc_cnt = np.zeros(n_occ, np.int64)
            loc_ptr = np.zeros(n_occ + 1, np.int64)
        D = 0
        for q in range(evt_ptr[eb], evt_ptr[ee]):
            y = items[q]
            if loc_stamp[y] != s:
                loc_stamp[y] = s
                loc_items[D] = y
                D += 1
        srt = np.sort(loc_items[:D])
        for a in range(D):
            loc_items[a] = srt[a]
            loc_of[srt[a]] = a
            loc_cnt[a] = 0
        for q in range(evt_ptr[eb], evt_ptr[ee]):
            loc_cnt[loc_of[items[q]]] += 1
        loc_ptr[0] = 0
        for a in range(D):
            loc_ptr[a + 1] = loc_ptr[a] + loc_cnt[a]
            loc_cnt[a] = loc_ptr[a]
        for e in range(eb, ee):
            for q in range(evt_ptr[e], evt_ptr[e + 1]):
                a = loc_of[items[q]]
                loc_evt[loc_cnt[a]] = e
                loc_cnt[a] += 1
        # depth-first walk of the candidate prefix tree
        top = 0
        F_lo[0] = 0
        F_hi[0] = m
        F_sb[0] = 0
        F_se[0] = 0
        F_cur[0] = 0
        F_q[0] = 0
        F_mode[0] = 1 if m <= 2 * D else 0
        st_top = 0
        while top >= 0:
            d = top
            hi = F_hi[d]
            cur = F_cur[d]
            # next child token t with rows clo:chi, or none
            found = False
            t = 0
            clo = 0
            chi = 0
            if F_mode[d] == 1:
                while cur < hi:
                    t = C[cur, d]
                    clo = cur
                    chi = cur + 1
                    while chi < hi and C[chi, d] == t:
                        chi += 1
                    cur = chi
                    if loc_stamp[t >> 1] == s:
                        found = True
                        break
            else:
                q = F_q[d]
                while q < 2 * D and cur < hi:
                    t = 2 * loc_items[q >> 1] + (q & 1)
                    q += 1
                    clo = _lower(C, d, cur, hi, t)
                    cur = clo
                    if clo < hi and C[clo, d] == t:
                        chi = _lower(C, d, clo, hi, t + 1)
                        cur = chi
                        found = True
                        break
                F_q[d] = q
            F_cur[d] = cur
            if not found:
                top -= 1
                if top >= 0:
                    st_top = F_se[top]
                continue
            y = t >> 1
            a = loc_of[y]
            ob = loc_ptr[a]
            oe = loc_ptr[a + 1]
            leaf = d + 1 == K
            st_e = grow_i32(st_e, st_top + (oe - ob))
            st_s = grow_i32(st_s, st_top + (oe - ob))
            n_new = 0
            sb = F_sb[d]
            se = F_se[d]
            if d == 0:
                for k in range(ob, oe):
                    st_e[st_top + n_new] = loc_evt[k]
                    st_s[st_top + n_new] = loc_evt[k]
                    n_new += 1
                    if leaf or (single and not has_window):
                        break
            elif (t & 1) == 0:
                # same itemset: state ends that also hold y
                i = sb
                k = ob
                while i < se and k < oe:
                    if st_e[i] < loc_evt[k]:
                        i += 1
                    elif st_e[i] > loc_evt[k]:
                        k += 1
                    else:
                        st_e[st_top + n_new] = st_e[i]
                        st_s[st_top + n_new] = st_s[i]
                        n_new += 1
                        if leaf:
                            break
                        i += 1
                        k += 1
            elif not has_window:
                first = st_e[sb]
                for k in range(ob, oe):
                    if loc_evt[k] > first:
                        st_e[st_top + n_new] = loc_evt[k]
                        st_s[st_top + n_new] = 0
                        n_new += 1
                        if leaf or single:
                            break
            else:
                for k in range(ob, oe):
                    p = loc_evt[k]
                    cp = coord[p]
                    best = -1
                    for i in range(sb, se):
                        e = st_e[i]
                        if e >= p:
                            break
                        gap = cp - coord[e]
                        if gap > max_gap:
                            continue
                        if gap < min_gap:
                            break
                        if st_s[i] > best:
                            best = st_s[i]
                    if best >= 0 and cp - coord[best] <= max_span:
                        st_e[st_top + n_new] = p
                        st_s[st_top + n_new] = best
                        n_new += 1
                        if leaf:
                            break
            if n_new == 0:
                continue
            if leaf:
                for r in range(clo, chi):
                    counts[r] += 1
                continue
            top = d + 1
            F_lo[top] = clo
            F_hi[top] = chi
            F_sb[top] = st_top
            F_se[top] = st_top + n_new
            st_top += n_new
            F_cur[top] = clo
            F_q[top] = 0
            F_mode[top] = 1 if chi - clo <= 2 * D else 0
    return OK, counts
