"""Pattern tables as CSR: decoding the miners' pattern trees and the canonical order."""

import numpy as np

from seqmine._kernels._jit import kernel


@kernel
def decode_tree(parent, item, sext, emit):
    """Tree nodes (parents precede children) -> CSR of the emitted patterns.

    Returns (node_of_pattern, item_ptr, pitems, newset): pattern k has items
    pitems[item_ptr[k]:item_ptr[k+1]] in order; newset flags the first item of each itemset.
    """
    n = len(parent)
    depth = np.empty(n, np.int64)
    n_emit = 0
    total = 0
    for v in range(n):
        depth[v] = 1 if parent[v] < 0 else depth[parent[v]] + 1
        if emit[v]:
            n_emit += 1
            total += depth[v]
    node_of = np.empty(n_emit, np.int64)
    item_ptr = np.zeros(n_emit + 1, np.int64)
    pitems = np.empty(total, np.int32)
    newset = np.empty(total, np.bool_)
    k = 0
    for v in range(n):
        if emit[v]:
            node_of[k] = v
            item_ptr[k + 1] = item_ptr[k] + depth[v]
            pos = item_ptr[k + 1] - 1
            m = v
            while m >= 0:
                pitems[pos] = item[m]
                newset[pos] = sext[m] != 0
                pos -= 1
                m = parent[m]
            k += 1
    return node_of, item_ptr, pitems, newset


@kernel
def _less(a, b, support, n_sets, item_ptr, pitems, newset):
    """Canonical order: support desc, size, length, then the token sequence
    (item, starts-a-new-itemset) compared position by position, item first."""
    if support[a] != support[b]:
        return support[a] > support[b]
    if n_sets[a] != n_sets[b]:
        return n_sets[a] < n_sets[b]
    la = item_ptr[a + 1] - item_ptr[a]
    lb = item_ptr[b + 1] - item_ptr[b]
    if la != lb:
        return la < lb
    for t in range(la):
        x = pitems[item_ptr[a] + t]
        y = pitems[item_ptr[b] + t]
        if x != y:
            return x < y
        fx = newset[item_ptr[a] + t]
        fy = newset[item_ptr[b] + t]
        if fx != fy:
            return fy
    return a < b


@kernel
def canonical_order(support, pat_ptr, pset_ptr, pitems):
    """Permutation sorting patterns canonically (bottom-up stable merge sort)."""
    n = len(support)
    n_sets = np.diff(pat_ptr)
    item_ptr = pset_ptr[pat_ptr]
    newset = np.zeros(len(pitems), np.bool_)
    for j in range(len(pset_ptr) - 1):
        newset[pset_ptr[j]] = True
    order = np.arange(n)
    tmp = np.empty(n, np.int64)
    width = 1
    while width < n:
        for lo in range(0, n, 2 * width):
            mid = min(lo + width, n)
            hi = min(lo + 2 * width, n)
            i = lo
            j = mid
            k = lo
            while i < mid and j < hi:
                if _less(order[j], order[i], support, n_sets, item_ptr, pitems, newset):
                    tmp[k] = order[j]
                    j += 1
                else:
                    tmp[k] = order[i]
                    i += 1
                k += 1
            while i < mid:
                tmp[k] = order[i]
                i += 1
                k += 1
            while j < hi:
                tmp[k] = order[j]
                j += 1
                k += 1
        order, tmp = tmp, order
        width *= 2
    return order
