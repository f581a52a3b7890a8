"""Quest-style synthetic sequence databases (Agrawal & Srikant, 1995), generated in Numba.

All randomness comes from one splitmix64 stream held in ``state`` (a 1-element uint64
array), so a seed gives the same database on every platform and every Numba/NumPy version
(NumPy's and Numba's own generators do not promise stable distribution streams).
Everything runs serially on that one stream: determinism matters more than a second core.

Item ids are 1-based (``1..n_items``), as in SPMF; the driver turns them into codes.
"""

import math

import numpy as np

from seqmine._kernels._jit import kernel

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0


# --- random numbers ------------------------------------------------------------------------
@kernel
def next_u64(state):
    """splitmix64 (Steele, Lea & Flood 2014): advance ``state[0]`` and return 64 random bits."""
    x = state[0] + _GOLDEN
    state[0] = x
    z = (x ^ (x >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@kernel
def uniform(state):
    """A float64 in [0, 1) with 53 random bits."""
    return float(next_u64(state) >> _S11) * _INV53


@kernel
def exponential(state):
    """Exponential with mean 1."""
    return -math.log(1.0 - uniform(state))


@kernel
def poisson(state, lam):
    """Poisson(lam): multiplication method for small lam, Hormann's PTRS (1993) above 10."""
    if lam <= 0.0:
        return 0
    if lam < 10.0:
        limit = math.exp(-lam)
        k = 0
        p = uniform(state)
        while p > limit:
            k += 1
            p *= uniform(state)
        return k
    slam = math.sqrt(lam)
    loglam = math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    v_r = 0.9277 - 3.6224 / (b - 2.0)
    while True:
        u = uniform(state) - 0.5
        v = uniform(state)
        us = 0.5 - abs(u)
        k = math.floor((2.0 * a / us + b) * u + lam + 0.43)
        if us >= 0.07 and v <= v_r:
            return k
        if k < 0 or (us < 0.013 and v > us):
            continue
        if (math.log(v) + math.log(inv_alpha) - math.log(a / (us * us) + b)
                <= -lam + k * loglam - math.lgamma(k + 1.0)):
            return k


@kernel
def draw(cdf, state):
    """Index drawn with probabilities given by the cumulative array ``cdf`` (last = 1)."""
    i = np.searchsorted(cdf, uniform(state), side="right")
    return min(i, len(cdf) - 1)


# --- the pattern pool ----------------------------------------------------------------------
@kernel
def item_popularity(n_items, skew, state):
    """Zipf-like popularity: (cdf over ranks, item id of each rank), ranks shuffled over ids."""
    item_of_rank = np.arange(1, n_items + 1).astype(np.int32)
    for i in range(n_items - 1, 0, -1):  # Fisher-Yates
        j = int(uniform(state) * (i + 1))
        t = item_of_rank[i]
        item_of_rank[i] = item_of_rank[j]
        item_of_rank[j] = t
    cdf = np.empty(n_items, np.float64)
    total = 0.0
    for r in range(n_items):
        total += 1.0 / (r + 1.0) ** skew
        cdf[r] = total
    for r in range(n_items):
        cdf[r] /= total
    cdf[n_items - 1] = 1.0
    return cdf, item_of_rank


@kernel
def make_patterns(n_patterns, mean_size, min_size, mean_itemset_size, item_cdf, item_of_rank,
                  state):
    """The potential sequential patterns, as CSR: (pat_ptr, pset_ptr, pitems, weights).

    Pattern p has itemsets pat_ptr[p]:pat_ptr[p+1]; itemset j has items pset_ptr[j]:pset_ptr[j+1]
    (distinct, ascending item ids). Sizes are ``min_size + Poisson(mean_size - min_size)``
    itemsets and ``1 + Poisson(mean_itemset_size - 1)`` items (at most n_items). Weights are
    Exp(1), normalised to sum 1, as in Quest.
    """
    n_items = len(item_cdf)
    pat_ptr = np.zeros(n_patterns + 1, np.int64)
    sizes = np.empty(n_patterns, np.int64)
    for p in range(n_patterns):
        sizes[p] = min_size + poisson(state, mean_size - min_size)
        pat_ptr[p + 1] = pat_ptr[p] + sizes[p]
    n_sets = pat_ptr[n_patterns]
    pset_ptr = np.zeros(n_sets + 1, np.int64)
    set_sizes = np.empty(n_sets, np.int64)
    for j in range(n_sets):
        set_sizes[j] = min(1 + poisson(state, mean_itemset_size - 1.0), n_items)
        pset_ptr[j + 1] = pset_ptr[j] + set_sizes[j]
    pitems = np.empty(pset_ptr[n_sets], np.int32)
    for j in range(n_sets):
        lo = pset_ptr[j]
        hi = pset_ptr[j + 1]
        k = lo
        misses = 0
        while k < hi:
            if misses < 32:
                item = item_of_rank[draw(item_cdf, state)]
            else:  # a very skewed popularity keeps repeating the top items: draw uniformly
                item = item_of_rank[int(uniform(state) * n_items)]
            dup = False
            for m in range(lo, k):
                if pitems[m] == item:
                    dup = True
                    break
            if dup:
                misses += 1
            else:
                pitems[k] = item
                k += 1
        _insertion_sort(pitems, lo, hi)
    weights = np.empty(n_patterns, np.float64)
    total = 0.0
    for p in range(n_patterns):
        weights[p] = exponential(state)
        total += weights[p]
    for p in range(n_patterns):
        weights[p] /= total
    return pat_ptr, pset_ptr, pitems, weights


@kernel
def _insertion_sort(a, lo, hi):
    for i in range(lo + 1, hi):
        v = a[i]
        j = i - 1
        while j >= lo and a[j] > v:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = v


@kernel
def _grow_i64(a, need):
    cap = len(a)
    while cap < need:
        cap *= 2
    out = np.empty(cap, np.int64)
    out[:len(a)] = a
    return out


@kernel
def _grow_i32(a, need):
    cap = len(a)
    while cap < need:
        cap *= 2
    out = np.empty(cap, np.int32)
    out[:len(a)] = a
    return out


# --- the sequences -------------------------------------------------------------------------
@kernel
def generate(n_sequences, mean_events, mean_itemset_size, noise, corruption, item_cdf,
             item_of_rank, pat_ptr, pset_ptr, pitems, pat_cdf, with_times, t_start, t_range,
             mean_gap, state):
    """Build the database: (seq_ptr, evt_ptr, items, times, embedded).

    Per sequence: ``1 + Poisson(mean_events - 1)`` events, each with a target size of
    ``1 + Poisson(mean_itemset_size - 1)`` items. Patterns, drawn by weight, are embedded
    (itemset j of the pattern into the j-th of k sorted random distinct events that still have
    room, each item dropped with probability ``corruption``) until they fill ``1 - noise`` of
    the target item slots; popularity-drawn noise items then fill every event up to its
    target, less what planted itemsets overfilled elsewhere in the sequence, so the mean
    itemset size stays close to ``mean_itemset_size``.
    ``embedded[p]`` counts the sequences that received pattern p with no item dropped, so
    support(p) >= embedded[p]. Times are event positions, or when ``with_times`` Unix-style
    seconds: a start in [t_start, t_start + t_range) and gaps of 1 + Exp(mean_gap).
    Items of an event are distinct and ascending; ``items`` holds 1-based item ids.
    """
    n_patterns = len(pat_ptr) - 1
    est_events = int(n_sequences * mean_events * 1.05) + 16
    est_items = int(est_events * (mean_itemset_size * 1.25 + 0.5)) + 16
    seq_ptr = np.zeros(n_sequences + 1, np.int64)
    evt_ptr = np.zeros(est_events + 1, np.int64)
    times = np.empty(est_events, np.int64)
    items = np.empty(est_items, np.int32)
    embedded = np.zeros(n_patterns, np.int64)
    last_seq = np.full(n_patterns, -1, np.int64)

    target = np.empty(64, np.int64)       # per event of the current sequence: target size
    used = np.empty(64, np.int64)         # pattern items placed per event
    free = np.empty(64, np.int64)         # events with room left, for one pattern draw
    count = np.empty(65, np.int64)        # counting-sort offsets of the placed items
    uniq = np.empty(64, np.int64)         # distinct placed items per event
    pair_evt = np.empty(256, np.int64)    # (event, item) pairs placed by patterns
    pair_item = np.empty(256, np.int32)
    by_event = np.empty(256, np.int32)    # placed items grouped by event
    n_evt = 0
    n_out = 0
    for s in range(n_sequences):
        n_ev = 1 + poisson(state, mean_events - 1.0)
        if n_ev > len(target):
            target = _grow_i64(target, n_ev)
            used = _grow_i64(used, n_ev)
            free = _grow_i64(free, n_ev)
            uniq = _grow_i64(uniq, n_ev)
            count = _grow_i64(count, n_ev + 1)
        slots = 0
        for e in range(n_ev):
            target[e] = 1 + poisson(state, mean_itemset_size - 1.0)
            used[e] = 0
            slots += target[e]
        budget = (1.0 - noise) * slots

        n_pairs = 0
        placed = 0
        tries = 0
        max_tries = 16 + 4 * n_ev
        while n_patterns > 0 and placed < budget and tries < max_tries:
            tries += 1
            p = draw(pat_cdf, state)
            k = pat_ptr[p + 1] - pat_ptr[p]
            # Quest fills transactions: only events with room left take a planted itemset
            n_free = 0
            for e in range(n_ev):
                if used[e] < target[e]:
                    free[n_free] = e
                    n_free += 1
            if k > n_free:
                continue
            need = n_pairs + pset_ptr[pat_ptr[p + 1]] - pset_ptr[pat_ptr[p]]
            if need > len(pair_evt):
                pair_evt = _grow_i64(pair_evt, need)
                pair_item = _grow_i32(pair_item, need)
            intact = True
            # selection sampling (Knuth's algorithm S): k sorted distinct free events
            j = 0
            for f in range(n_free):
                if j == k:
                    break
                if uniform(state) * (n_free - f) < k - j:
                    e = free[f]
                    pset = pat_ptr[p] + j
                    for m in range(pset_ptr[pset], pset_ptr[pset + 1]):
                        if corruption > 0.0 and uniform(state) < corruption:
                            intact = False
                            continue
                        pair_evt[n_pairs] = e
                        pair_item[n_pairs] = pitems[m]
                        n_pairs += 1
                        used[e] += 1
                        placed += 1
                    j += 1
            if intact and last_seq[p] != s:  # each sequence counts once
                embedded[p] += 1
                last_seq[p] = s

        # group the placed items by event (counting sort), then dedupe each group
        for e in range(n_ev + 1):
            count[e] = 0
        for q in range(n_pairs):
            count[pair_evt[q] + 1] += 1
        for e in range(n_ev):
            count[e + 1] += count[e]
        if n_pairs > len(by_event):
            by_event = _grow_i32(by_event, n_pairs)
        for q in range(n_pairs):
            e = pair_evt[q]
            by_event[count[e + 1] - used[e]] = pair_item[q]
            used[e] -= 1
        excess = 0  # items beyond the targets; taken back from the noise of other events
        for e in range(n_ev):
            lo = count[e]
            hi = count[e + 1]
            _insertion_sort(by_event, lo, hi)
            u = 0
            for q in range(lo, hi):
                if u == 0 or by_event[lo + u - 1] != by_event[q]:
                    by_event[lo + u] = by_event[q]
                    u += 1
            uniq[e] = u
            if u > target[e]:
                excess += u - target[e]

        if n_evt + n_ev + 1 > len(evt_ptr):
            evt_ptr = _grow_i64(evt_ptr, n_evt + n_ev + 1)
            times = _grow_i64(times, n_evt + n_ev + 1)
        if n_out + n_pairs + slots > len(items):
            items = _grow_i32(items, n_out + n_pairs + slots)

        t = t_start + int(uniform(state) * t_range) if with_times else 0
        for e in range(n_ev):
            lo = n_out
            for q in range(count[e], count[e] + uniq[e]):
                items[n_out] = by_event[q]
                n_out += 1
            fill_to = target[e]
            if excess > 0 and fill_to > max(uniq[e], 1):
                cut = min(excess, fill_to - max(uniq[e], 1))
                fill_to -= cut
                excess -= cut
            attempts = 0
            while n_out - lo < fill_to and attempts < 8 * fill_to:
                attempts += 1
                v = item_of_rank[draw(item_cdf, state)]
                dup = False
                for m in range(lo, n_out):
                    if items[m] == v:
                        dup = True
                        break
                if not dup:
                    items[n_out] = v
                    n_out += 1
            _insertion_sort(items, lo, n_out)
            if with_times:
                if e > 0:
                    t += 1 + int(exponential(state) * mean_gap)
                times[n_evt] = t
            else:
                times[n_evt] = e
            n_evt += 1
            evt_ptr[n_evt] = n_out
        seq_ptr[s + 1] = n_evt
    return (seq_ptr, evt_ptr[:n_evt + 1].copy(), items[:n_out].copy(), times[:n_evt].copy(),
            embedded)
