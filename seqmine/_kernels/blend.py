"""Hybrid-scorer kernel: target ranks under many candidate weight vectors in one pass.

``z`` float64[B, n, C] holds the normalised scores of C components for a batch of B
histories; a weight vector ``w`` blends an item's scores as ``float32(sum_c w[c] * z[c])``,
summed in component order in float64 and then rounded, exactly as the hybrid scorer's
``score`` does, so a rank found here equals the rank the evaluation protocol gives.
"""

import numpy as np
from numba import prange

from seqmine._kernels._jit import kernel, parallel_kernel


@kernel
def _blend(z, b, i, w, g):
    acc = 0.0
    for c in range(z.shape[2]):
        acc += w[g, c] * z[b, i, c]
    return np.float32(acc)


@parallel_kernel
def blend_ranks(z, banned, t_row, t_item, weights, k, pessimistic, out):
    """``out[g, t]`` = 0-based rank of target ``t`` (item ``t_item[t]`` of history
    ``t_row[t]``) under weights ``weights[g]``, capped at ``k``: counting stops once ``k``
    items are ahead, so ``k`` means "not in the top k". Banned items (``banned[b, i]``) are
    never ahead; a banned target gets ``k``. Ties: with ``pessimistic`` every tied item is
    ahead, otherwise only tied items with a lower code (the protocol's item-order rule)."""
    n_items = z.shape[1]
    for t in prange(len(t_row)):
        b = t_row[t]
        ti = t_item[t]
        if banned[b, ti]:
            for g in range(weights.shape[0]):
                out[g, t] = k
            continue
        for g in range(weights.shape[0]):
            target = _blend(z, b, ti, weights, g)
            ahead = 0
            for i in range(n_items):
                if i == ti or banned[b, i]:
                    continue
                s = _blend(z, b, i, weights, g)
                if s > target or (s == target and (pessimistic or i < ti)):
                    ahead += 1
                    if ahead >= k:
                        break
            out[g, t] = ahead
