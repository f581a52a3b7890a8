"""Rule kernels: sub-pattern supports from a pattern table, partially-ordered rule growth,
windowed next-item rule counts, and rule scoring of histories (with exact explanations).

Patterns and antecedents are two-level CSR (``*_ptr`` -> itemsets, ``*set_ptr`` -> items);
itemsets are sorted ascending and unique. Hashes are polynomial modulo a prime, and every
hash hit is confirmed by comparing the patterns, so a collision cannot give a wrong
support.
"""

import numpy as np
from numba import prange

from seqmine._kernels._jit import INTERRUPTED, OK, PATTERN_BUDGET, kernel, parallel_kernel
from seqmine._kernels.buffers import grow_i64
from seqmine._kernels.contain import is_subset, latest_prefix_before

# Polynomial hashing modulo a prime below 2**31: products stay below 2**62, so int64 never
# overflows (in compiled code and under NUMBA_DISABLE_JIT alike). Hits are always confirmed
# item by item, so a collision costs a comparison, never a wrong support.
_MOD = 2147483647
_BASE = 1000003


# --- sub-pattern supports (rules from a PatternSet) -----------------------------------------

@kernel
def _upow(b, e):
    """b ** e modulo _MOD."""
    r = 1
    b = b % _MOD
    while e > 0:
        if e & 1:
            r = (r * b) % _MOD
        b = (b * b) % _MOD
        e >>= 1
    return r


@kernel
def prefix_hashes(pat_ptr, pset_ptr, pitems):
    """Per itemset j: hash and token count of its pattern's itemsets up to and including j.

    Token of an item: 2 * code + 2, plus 1 when it opens an itemset (so <{a}{b}> and <{a,b}>
    differ).
    """
    n_sets = len(pset_ptr) - 1
    h_set = np.zeros(n_sets, np.int64)
    nt_set = np.zeros(n_sets, np.int64)
    for k in range(len(pat_ptr) - 1):
        h = 0
        nt = 0
        for j in range(pat_ptr[k], pat_ptr[k + 1]):
            for p in range(pset_ptr[j], pset_ptr[j + 1]):
                tok = (2 * np.int64(pitems[p]) + 2 + (1 if p == pset_ptr[j] else 0)) % _MOD
                h = (h * _BASE + tok) % _MOD
                nt += 1
            h_set[j] = h
            nt_set[j] = nt
    return h_set, nt_set


@kernel
def _same(pat_ptr, pset_ptr, pitems, c, a, b):
    """Is pattern ``c`` equal to the itemsets ``a:b`` (of any pattern)?"""
    if pat_ptr[c + 1] - pat_ptr[c] != b - a:
        return False
    for i in range(b - a):
        j1 = pat_ptr[c] + i
        j2 = a + i
        n1 = pset_ptr[j1 + 1] - pset_ptr[j1]
        if n1 != pset_ptr[j2 + 1] - pset_ptr[j2]:
            return False
        for t in range(n1):
            if pitems[pset_ptr[j1] + t] != pitems[pset_ptr[j2] + t]:
                return False
    return True


@kernel
def _find(sorted_h, order, h, pat_ptr, pset_ptr, pitems, a, b):
    i = np.searchsorted(sorted_h, h)
    while i < len(sorted_h) and sorted_h[i] == h:
        c = order[i]
        if _same(pat_ptr, pset_ptr, pitems, c, a, b):
            return c
        i += 1
    return -1


@kernel
def split_supports(pat_ptr, pset_ptr, pitems, support, next_item):
    """Rule candidates of a pattern table, with the supports of both sides looked up.

    Every pattern of size >= 2 splits at each itemset boundary into X (first j itemsets) and
    Y (the rest); ``next_item`` keeps only the split before the last itemset, and only when
    that itemset is a single item. Returns (pattern int64[n], n_x_sets int64[n],
    sup_x int64[n], sup_y int64[n]); a side absent from the table has support -1.
    """
    n_pat = len(pat_ptr) - 1
    h_set, nt_set = prefix_hashes(pat_ptr, pset_ptr, pitems)
    full = np.zeros(n_pat, np.int64)
    for k in range(n_pat):
        if pat_ptr[k + 1] > pat_ptr[k]:
            full[k] = h_set[pat_ptr[k + 1] - 1]
    order = np.argsort(full)
    sorted_h = full[order]
    n = 0
    for k in range(n_pat):
        size = pat_ptr[k + 1] - pat_ptr[k]
        if size < 2:
            continue
        if next_item:
            last = pat_ptr[k + 1] - 1
            if pset_ptr[last + 1] - pset_ptr[last] == 1:
                n += 1
        else:
            n += size - 1
    out_pat = np.empty(n, np.int64)
    out_nx = np.empty(n, np.int64)
    sup_x = np.empty(n, np.int64)
    sup_y = np.empty(n, np.int64)
    i = 0
    for k in range(n_pat):
        s0 = pat_ptr[k]
        s1 = pat_ptr[k + 1]
        size = s1 - s0
        if size < 2:
            continue
        first_split = 1
        if next_item:
            if pset_ptr[s1] - pset_ptr[s1 - 1] != 1:
                continue
            first_split = size - 1
        nt_full = nt_set[s1 - 1]
        for j in range(first_split, size):
            jl = s0 + j - 1
            hx = h_set[jl]
            cx = _find(sorted_h, order, hx, pat_ptr, pset_ptr, pitems, s0, s0 + j)
            hy = (full[k] - hx * _upow(_BASE, nt_full - nt_set[jl])) % _MOD
            cy = _find(sorted_h, order, hy, pat_ptr, pset_ptr, pitems, s0 + j, s1)
            out_pat[i] = k
            out_nx[i] = j
            sup_x[i] = support[cx] if cx >= 0 else -1
            sup_y[i] = support[cy] if cy >= 0 else -1
            i += 1
    return out_pat, out_nx, sup_x, sup_y


@kernel
def new_groups(pat_ptr, pset_ptr, pitems, order):
    """True where pattern ``order[i]`` differs from pattern ``order[i-1]`` (and at i = 0)."""
    n = len(order)
    out = np.ones(n, np.bool_)
    for i in range(1, n):
        c = order[i]
        d = order[i - 1]
        out[i] = not _same(pat_ptr, pset_ptr, pitems, c, pat_ptr[d], pat_ptr[d + 1])
    return out


# --- partially-ordered rules (RuleGrowth-style growth) --------------------------------------

@kernel
def _find_item(d_item, lo, hi, x):
    """Index of ``x`` in the sorted ``d_item[lo:hi]``, or -1."""
    a = lo
    b = hi
    while a < b:
        mid = (a + b) >> 1
        if d_item[mid] < x:
            a = mid + 1
        else:
            b = mid
    if a < hi and d_item[a] == x:
        return a
    return -1


@kernel
def _set_support(d_ptr, d_item, inv_ptr, inv_sid, xs, n):
    """Number of sequences holding every item of ``xs[0:n]`` (anywhere)."""
    best = xs[0]
    for i in range(1, n):
        if inv_ptr[xs[i] + 1] - inv_ptr[xs[i]] < inv_ptr[best + 1] - inv_ptr[best]:
            best = xs[i]
    c = 0
    for t in range(inv_ptr[best], inv_ptr[best + 1]):
        s = inv_sid[t]
        ok = True
        for i in range(n):
            if xs[i] != best and _find_item(d_item, d_ptr[s], d_ptr[s + 1], xs[i]) < 0:
                ok = False
                break
        if ok:
            c += 1
    return c


@kernel
def _po_candidates(ar, top, d_ptr, d_item, d_first, d_last, x_off, nx, y_off, ny, sid_off,
                   nsid, left_only, max_ant, max_con, min_count, cnt_r, cnt_l, in_x, in_y,
                   touched):
    """Frequent expansions of a rule node, appended to the arena at ``top`` as three blocks
    (items, kinds 0 = right / 1 = left, counts). Returns (arena, number of candidates)."""
    allow_right = (not left_only) and ny < max_con
    allow_left = ny > 0 and nx < max_ant
    if not allow_right and not allow_left:
        return ar, 0
    for i in range(nx):
        in_x[ar[x_off + i]] = True
    for i in range(ny):
        in_y[ar[y_off + i]] = True
    max_x = ar[x_off + nx - 1]
    max_y = ar[y_off + ny - 1] if ny > 0 else -1
    mfx_off = sid_off + nsid
    mly_off = mfx_off + nsid
    nt = 0
    for t in range(nsid):
        s = ar[sid_off + t]
        mfx = ar[mfx_off + t]
        mly = ar[mly_off + t]
        for q in range(d_ptr[s], d_ptr[s + 1]):
            c = d_item[q]
            if allow_right and c > max_y and not in_x[c] and d_last[q] > mfx:
                if cnt_r[c] == 0 and cnt_l[c] == 0:
                    touched[nt] = c
                    nt += 1
                cnt_r[c] += 1
            if allow_left and c > max_x and not in_y[c] and d_first[q] < mly:
                if cnt_r[c] == 0 and cnt_l[c] == 0:
                    touched[nt] = c
                    nt += 1
                cnt_l[c] += 1
    cand = np.sort(touched[:nt])
    n = 0
    for i in range(nt):
        c = cand[i]
        n += (1 if cnt_r[c] >= min_count else 0) + (1 if cnt_l[c] >= min_count else 0)
    ar = grow_i64(ar, top + 3 * n)
    w = 0
    for i in range(nt):
        c = cand[i]
        for kind in range(2):
            count = cnt_r[c] if kind == 0 else cnt_l[c]
            if count >= min_count:
                ar[top + w] = c
                ar[top + n + w] = kind
                ar[top + 2 * n + w] = count
                w += 1
        cnt_r[c] = 0
        cnt_l[c] = 0
    for i in range(nx):
        in_x[ar[x_off + i]] = False
    for i in range(ny):
        in_y[ar[y_off + i]] = False
    return ar, n


@kernel
def grow_partial_order(d_ptr, d_item, d_first, d_last, inv_ptr, inv_sid, n_items, roots,
                       min_count, min_conf, max_ant, max_con, max_rules, cancel):
    """Rules X => Y (X, Y disjoint item sets; every item of X occurs before every item of Y:
    max first position of X < min last position of Y) with support >= min_count and
    confidence >= min_conf, for the rules whose smallest antecedent item is in ``roots``.

    Per sequence s, ``d_item[d_ptr[s]:d_ptr[s+1]]`` are its distinct items (sorted) with their
    first and last event positions; ``inv_ptr``/``inv_sid``: item -> sorted sequence ids.
    Growth (Fournier-Viger et al.'s RuleGrowth): from {x} => {}, add consequent items in
    increasing order, then antecedent items in increasing order, so each rule is reached once;
    support only falls along the way, so infrequent nodes are pruned.
    Returns (status, x_ptr, x_items, y_ptr, y_items, support, antecedent_support).
    """
    big = np.int64(1) << 40
    depth_cap = max_ant + max_con + 1
    f_x = np.zeros(depth_cap, np.int64)
    f_nx = np.zeros(depth_cap, np.int64)
    f_y = np.zeros(depth_cap, np.int64)
    f_ny = np.zeros(depth_cap, np.int64)
    f_sid = np.zeros(depth_cap, np.int64)
    f_nsid = np.zeros(depth_cap, np.int64)
    f_cand = np.zeros(depth_cap, np.int64)
    f_ncand = np.zeros(depth_cap, np.int64)
    f_next = np.zeros(depth_cap, np.int64)
    f_left = np.zeros(depth_cap, np.bool_)
    f_supx = np.zeros(depth_cap, np.int64)
    f_base = np.zeros(depth_cap, np.int64)
    cnt_r = np.zeros(n_items, np.int64)
    cnt_l = np.zeros(n_items, np.int64)
    in_x = np.zeros(n_items, np.bool_)
    in_y = np.zeros(n_items, np.bool_)
    touched = np.empty(n_items, np.int64)
    xs = np.empty(max_ant + 1, np.int64)
    ar = np.empty(1024, np.int64)
    ox_ptr = np.zeros(16, np.int64)
    oy_ptr = np.zeros(16, np.int64)
    ox = np.empty(16, np.int64)
    oy = np.empty(16, np.int64)
    osup = np.empty(16, np.int64)
    osupx = np.empty(16, np.int64)
    n_out = 0
    status = OK
    for r in range(len(roots)):
        if cancel[0] != 0:
            status = INTERRUPTED
            break
        x = roots[r]
        nsid = inv_ptr[x + 1] - inv_ptr[x]
        if nsid < min_count:
            continue
        # root node {x} => {}: arena [X | Y | sids | mfx | mly]
        top = 0
        ar = grow_i64(ar, 1 + 3 * nsid)
        ar[0] = x
        sid_off = 1
        for t in range(nsid):
            s = inv_sid[inv_ptr[x] + t]
            ar[sid_off + t] = s
            ar[sid_off + nsid + t] = d_first[_find_item(d_item, d_ptr[s], d_ptr[s + 1], x)]
            ar[sid_off + 2 * nsid + t] = big
        top = 1 + 3 * nsid
        ar, nc = _po_candidates(ar, top, d_ptr, d_item, d_first, d_last, 0, 1, 1, 0, sid_off,
                                nsid, False, max_ant, max_con, min_count, cnt_r, cnt_l, in_x,
                                in_y, touched)
        if nc == 0:
            continue
        f_x[0] = 0
        f_nx[0] = 1
        f_y[0] = 1
        f_ny[0] = 0
        f_sid[0] = sid_off
        f_nsid[0] = nsid
        f_cand[0] = top
        f_ncand[0] = nc
        f_next[0] = 0
        f_left[0] = False
        f_supx[0] = nsid
        f_base[0] = 0
        top += 3 * nc
        depth = 1
        while depth > 0:
            f = depth - 1
            if f_next[f] == f_ncand[f]:
                top = f_base[f]
                depth -= 1
                continue
            ci = f_next[f]
            f_next[f] += 1
            nc_f = f_ncand[f]
            c = ar[f_cand[f] + ci]
            left = ar[f_cand[f] + nc_f + ci] == 1
            count = ar[f_cand[f] + 2 * nc_f + ci]
            nx = f_nx[f] + (1 if left else 0)
            ny = f_ny[f] + (0 if left else 1)
            base = top
            ar = grow_i64(ar, top + nx + ny + 3 * count)
            # child X, Y (sorted: c is larger than every item it joins)
            for i in range(f_nx[f]):
                ar[top + i] = ar[f_x[f] + i]
            if left:
                ar[top + nx - 1] = c
            x_off = top
            top += nx
            for i in range(f_ny[f]):
                ar[top + i] = ar[f_y[f] + i]
            if not left:
                ar[top + ny - 1] = c
            y_off = top
            top += ny
            sid_off = top
            p_sid = f_sid[f]
            p_n = f_nsid[f]
            w = 0
            for t in range(p_n):
                s = ar[p_sid + t]
                q = _find_item(d_item, d_ptr[s], d_ptr[s + 1], c)
                if q < 0:
                    continue
                mfx = ar[p_sid + p_n + t]
                mly = ar[p_sid + 2 * p_n + t]
                if left:
                    if d_first[q] < mly:
                        ar[sid_off + w] = s
                        ar[sid_off + count + w] = max(mfx, d_first[q])
                        ar[sid_off + 2 * count + w] = mly
                        w += 1
                elif d_last[q] > mfx:
                    ar[sid_off + w] = s
                    ar[sid_off + count + w] = mfx
                    ar[sid_off + 2 * count + w] = min(mly, d_last[q])
                    w += 1
            top = sid_off + 3 * count
            if left:
                for i in range(nx):
                    xs[i] = ar[x_off + i]
                supx = _set_support(d_ptr, d_item, inv_ptr, inv_sid, xs, nx)
            else:
                supx = f_supx[f]
            if count / supx >= min_conf:
                if n_out >= max_rules:
                    status = PATTERN_BUDGET
                    break
                ox_ptr = grow_i64(ox_ptr, n_out + 2)
                oy_ptr = grow_i64(oy_ptr, n_out + 2)
                ox = grow_i64(ox, ox_ptr[n_out] + nx)
                oy = grow_i64(oy, oy_ptr[n_out] + ny)
                for i in range(nx):
                    ox[ox_ptr[n_out] + i] = ar[x_off + i]
                for i in range(ny):
                    oy[oy_ptr[n_out] + i] = ar[y_off + i]
                ox_ptr[n_out + 1] = ox_ptr[n_out] + nx
                oy_ptr[n_out + 1] = oy_ptr[n_out] + ny
                osup = grow_i64(osup, n_out + 1)
                osupx = grow_i64(osupx, n_out + 1)
                osup[n_out] = count
                osupx[n_out] = supx
                n_out += 1
            ar, nc = _po_candidates(ar, top, d_ptr, d_item, d_first, d_last, x_off, nx,
                                    y_off, ny, sid_off, count, left, max_ant, max_con,
                                    min_count, cnt_r, cnt_l, in_x, in_y, touched)
            if nc == 0:
                top = base
                continue
            d = depth
            f_x[d] = x_off
            f_nx[d] = nx
            f_y[d] = y_off
            f_ny[d] = ny
            f_sid[d] = sid_off
            f_nsid[d] = count
            f_cand[d] = top
            f_ncand[d] = nc
            f_next[d] = 0
            f_left[d] = left
            f_supx[d] = supx
            f_base[d] = base
            top += 3 * nc
            depth += 1
        if status != OK:
            break
    return (status, ox_ptr[:n_out + 1].copy(), ox[:ox_ptr[n_out]].copy(),
            oy_ptr[:n_out + 1].copy(), oy[:oy_ptr[n_out]].copy(), osup[:n_out].copy(),
            osupx[:n_out].copy())


@kernel
def set_supports(d_ptr, d_item, inv_ptr, inv_sid, set_ptr, set_items):
    """Sequences holding every item of each set (``set_ptr``/``set_items`` CSR)."""
    n = len(set_ptr) - 1
    out = np.zeros(n, np.int64)
    for k in range(n):
        m = set_ptr[k + 1] - set_ptr[k]
        if m > 0:
            out[k] = _set_support(d_ptr, d_item, inv_ptr, inv_sid,
                                  set_items[set_ptr[k]:set_ptr[k + 1]], m)
    return out


# --- windowed next-item rules for the recommender ------------------------------------------

@kernel
def window_pairs(seq_of_evt, seq_ptr, evt_ptr, items, times, occ_ptr, occ_evt, n_items,
                 window, max_dt, decay):
    """Item-to-item rules a => y from event pairs (i, t) of one sequence, 0 < |t - i| <= window
    and |times[t] - times[i]| <= max_dt.

    ``decay[d]`` weighs a pair at distance d. Per antecedent item a (CSR ``ptr``), consequents
    ascending, with: forward weight (sum of decay over pairs with t after i), backward
    weight (t before i), and the forward pair count. ``occ_ptr``/``occ_evt``: item -> events
    holding it (ascending). Also returns the backward pair count.
    """
    ptr = np.zeros(n_items + 1, np.int64)
    con = np.empty(1024, np.int64)
    fw = np.empty(1024, np.float64)
    bw = np.empty(1024, np.float64)
    fn = np.empty(1024, np.int64)
    bn = np.empty(1024, np.int64)
    acc_f = np.zeros(n_items, np.float64)
    acc_b = np.zeros(n_items, np.float64)
    cnt = np.zeros(n_items, np.int64)
    cnt_b = np.zeros(n_items, np.int64)
    seen = np.zeros(n_items, np.bool_)
    touched = np.empty(n_items, np.int64)
    n = 0
    for a in range(n_items):
        nt = 0
        for q in range(occ_ptr[a], occ_ptr[a + 1]):
            i = occ_evt[q]
            s = seq_of_evt[i]
            lo = max(seq_ptr[s], i - window)
            hi = min(seq_ptr[s + 1], i + window + 1)
            for t in range(lo, hi):
                if t == i or abs(times[t] - times[i]) > max_dt:
                    continue
                d = t - i if t > i else i - t
                for p in range(evt_ptr[t], evt_ptr[t + 1]):
                    y = items[p]
                    if not seen[y]:
                        seen[y] = True
                        touched[nt] = y
                        nt += 1
                    if t > i:
                        acc_f[y] += decay[d]
                        cnt[y] += 1
                    else:
                        acc_b[y] += decay[d]
                        cnt_b[y] += 1
        order = np.sort(touched[:nt])
        con = grow_i64(con, n + nt)
        fn = grow_i64(fn, n + nt)
        bn = grow_i64(bn, n + nt)
        if len(fw) < n + nt:
            cap = max(n + nt, 2 * len(fw))
            fw2 = np.empty(cap, np.float64)
            bw2 = np.empty(cap, np.float64)
            fw2[:n] = fw[:n]
            bw2[:n] = bw[:n]
            fw = fw2
            bw = bw2
        for i in range(nt):
            y = order[i]
            con[n + i] = y
            fw[n + i] = acc_f[y]
            bw[n + i] = acc_b[y]
            fn[n + i] = cnt[y]
            bn[n + i] = cnt_b[y]
            acc_f[y] = 0.0
            acc_b[y] = 0.0
            cnt[y] = 0
            cnt_b[y] = 0
            seen[y] = False
        n += nt
        ptr[a + 1] = n
    return ptr, con[:n].copy(), fw[:n].copy(), bw[:n].copy(), fn[:n].copy(), bn[:n].copy()


# --- scoring histories with rules -----------------------------------------------------------

@kernel
def _fire(h_evt_ptr, h_items, h_times, e0, e1, anc_ptr, anc_ant, a_pat_ptr, a_pset_ptr,
          a_items, r_ptr, r_con, r_w, last, max_age, recency, stamp, stamp_val, acc, seen,
          touched, nt, record, rec_mask, rec, n_rec):
    """Add the contributions of the rules that fire for history events ``e0:e1`` to ``acc``.

    A rule fires once, at the most recent event (among the last ``last``, and at most
    ``max_age`` before the last event in ``h_times``, non-decreasing) where a match of
    its antecedent ends: the antecedent's last itemset is inside that event and the rest of
    the antecedent is contained in the earlier events. Its contribution to its consequent is
    ``recency[j] * r_w[rule]`` with j the number of events after the match end. With
    ``record``, every contribution to an item flagged in ``rec_mask`` is appended to ``rec``
    as (antecedent, rule, j) in the order it is added (so summing them in that order gives
    ``acc`` exactly).
    """
    n_anchor = len(anc_ptr) - 1
    for j in range(min(last, e1 - e0)):
        e = e1 - 1 - j
        if h_times[e1 - 1] - h_times[e] > max_age:
            break
        w = recency[j]
        for p in range(h_evt_ptr[e], h_evt_ptr[e + 1]):
            x = h_items[p]
            if x < 0 or x >= n_anchor:
                continue
            for q in range(anc_ptr[x], anc_ptr[x + 1]):
                ant = anc_ant[q]
                if stamp[ant] == stamp_val:
                    continue
                ls = a_pat_ptr[ant + 1] - 1
                if not is_subset(h_items, h_evt_ptr[e], h_evt_ptr[e + 1], a_items,
                                 a_pset_ptr[ls], a_pset_ptr[ls + 1]):
                    continue
                if ls > a_pat_ptr[ant] and not latest_prefix_before(
                        h_evt_ptr, h_items, e0, e, a_pset_ptr, a_items, a_pat_ptr[ant], ls):
                    continue
                stamp[ant] = stamp_val
                for r in range(r_ptr[ant], r_ptr[ant + 1]):
                    y = r_con[r]
                    if not seen[y]:
                        seen[y] = True
                        touched[nt] = y
                        nt += 1
                    acc[y] += w * r_w[r]
                    if record and rec_mask[y]:
                        rec = grow_i64(rec, 3 * (n_rec + 1))
                        rec[3 * n_rec] = ant
                        rec[3 * n_rec + 1] = r
                        rec[3 * n_rec + 2] = j
                        n_rec += 1
    return nt, rec, n_rec


@kernel
def _score_block(h_seq_ptr, h_evt_ptr, h_items, h_times, anc_ptr, anc_ant, a_pat_ptr,
                 a_pset_ptr, a_items, r_ptr, r_con, r_w, last, max_age, recency, n_items, lo,
                 hi, out):
    """Scores of histories ``lo:hi`` into ``out`` rows, with one float64 accumulator."""
    acc = np.zeros(n_items, np.float64)
    seen = np.zeros(n_items, np.bool_)
    touched = np.empty(n_items, np.int64)
    stamp = np.full(len(a_pat_ptr) - 1, -1, np.int64)
    rec = np.empty(0, np.int64)
    no_mask = np.zeros(1, np.bool_)
    for b in range(lo, hi):
        nt, rec, _ = _fire(h_evt_ptr, h_items, h_times, h_seq_ptr[b], h_seq_ptr[b + 1],
                           anc_ptr, anc_ant, a_pat_ptr, a_pset_ptr, a_items, r_ptr, r_con,
                           r_w, last, max_age, recency, stamp, b, acc, seen, touched, 0,
                           False, no_mask, rec, 0)
        for i in range(nt):
            y = touched[i]
            out[b, y] = acc[y]
            acc[y] = 0.0
            seen[y] = False


@kernel
def score_histories(h_seq_ptr, h_evt_ptr, h_items, h_times, anc_ptr, anc_ant, a_pat_ptr,
                    a_pset_ptr, a_items, r_ptr, r_con, r_w, last, max_age, recency, n_items,
                    out):
    """Rule scores of every history into ``out`` float32[B, n_items] (serial: for small
    batches and single histories, where starting threads costs more than it saves)."""
    _score_block(h_seq_ptr, h_evt_ptr, h_items, h_times, anc_ptr, anc_ant, a_pat_ptr,
                 a_pset_ptr, a_items, r_ptr, r_con, r_w, last, max_age, recency, n_items, 0,
                 len(h_seq_ptr) - 1, out)


@parallel_kernel
def score_histories_parallel(h_seq_ptr, h_evt_ptr, h_items, h_times, anc_ptr, anc_ant,
                             a_pat_ptr, a_pset_ptr, a_items, r_ptr, r_con, r_w, last, max_age,
                             recency, n_items, out):
    """As :func:`score_histories`, in parallel over blocks of 64 histories; a history's
    row depends only on that history (deterministic)."""
    n_hist = len(h_seq_ptr) - 1
    block = 64
    for blk in prange((n_hist + block - 1) // block):
        _score_block(h_seq_ptr, h_evt_ptr, h_items, h_times, anc_ptr, anc_ant, a_pat_ptr,
                     a_pset_ptr, a_items, r_ptr, r_con, r_w, last, max_age, recency, n_items,
                     blk * block, min((blk + 1) * block, n_hist), out)


@kernel
def explain_history(h_evt_ptr, h_items, h_times, e0, e1, anc_ptr, anc_ant, a_pat_ptr,
                    a_pset_ptr, a_items, r_ptr, r_con, r_w, last, max_age, recency, n_items,
                    rec_mask):
    """Scores (float64, exactly those ``score_histories`` rounds to float32) of one history
    and the contributions to the items in ``rec_mask``: int64[n, 3] rows (antecedent, rule,
    j) in accumulation order."""
    n_ant = len(a_pat_ptr) - 1
    acc = np.zeros(n_items, np.float64)
    seen = np.zeros(n_items, np.bool_)
    touched = np.empty(n_items, np.int64)
    stamp = np.full(n_ant, -1, np.int64)
    rec = np.empty(48, np.int64)
    _nt, rec, n_rec = _fire(h_evt_ptr, h_items, h_times, e0, e1, anc_ptr, anc_ant,
                           a_pat_ptr, a_pset_ptr, a_items, r_ptr, r_con, r_w, last, max_age,
                           recency, stamp, 0, acc, seen, touched, 0, True, rec_mask, rec, 0)
    return acc, rec[:3 * n_rec].reshape((n_rec, 3)).copy()
