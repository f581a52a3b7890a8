"""Pattern features of token windows: which mined patterns end at each position, and which
rule antecedents fire there (the inputs of the neural ranker's pattern features).

Windows are ``int64[W, L]`` tokens (item code + 1, 0 = padding), one item per position, read
as one-item events. A pattern is a run of tokens ``pat_tok[pat_ptr[p]:pat_ptr[p+1]]``;
``anc_ptr``/``anc_pat`` index the patterns by their last token (patterns ending in token x
are ``anc_pat[anc_ptr[x]:anc_ptr[x+1]]``, in priority order). Row ``t`` of every output
depends on tokens ``0..t`` of its window only (causal).
"""

import numpy as np
from numba import prange

from seqmine._kernels._jit import parallel_kernel

# rows per parallel task: each task owns one scratch array, reused across its rows
_BLOCK = 64


@parallel_kernel
def pattern_ends(tokens, anc_ptr, anc_pat, pat_ptr, pat_tok, window, cap, out, counts):
    """Patterns with a match ending at each position.

    Pattern p ends at t when its last token is ``tokens[w, t]`` and its other tokens are a
    subsequence of ``tokens[w, lo:t]``, ``lo = max(0, t - window)`` (``window <= 0``: the
    whole window). Candidates are tried in ``anc_pat`` order and the first ``cap`` found
    are kept (``cap <= 0``: all). ``counts[w, t]`` gets the number kept; their ids + 1 go to
    ``out[w, t, :]`` while it has room (call with ``out`` of width 0 to count first).
    """
    n_rows, n_pos = tokens.shape
    width = out.shape[2]
    n_anchor = len(anc_ptr) - 1
    for w in prange(n_rows):
        for t in range(n_pos):
            x = tokens[w, t]
            n = 0
            if 0 < x < n_anchor:
                lo = 0 if window <= 0 else max(0, t - window)
                for q in range(anc_ptr[x], anc_ptr[x + 1]):
                    p = anc_pat[q]
                    # earlier tokens of p, matched greedily from the right
                    e = t - 1
                    ok = True
                    for i in range(pat_ptr[p + 1] - 2, pat_ptr[p] - 1, -1):
                        while e >= lo and tokens[w, e] != pat_tok[i]:
                            e -= 1
                        if e < lo:
                            ok = False
                            break
                        e -= 1
                    if not ok:
                        continue
                    if n < width:
                        out[w, t, n] = p + 1
                    n += 1
                    if 0 < cap <= n:
                        break
            counts[w, t] = n


@parallel_kernel
def fired(ends, last, n_pat, out_id, out_j, counts):
    """Rule antecedents that fire at each position (RuleRecommender semantics).

    ``ends[w, t, :]`` holds ids + 1 of the antecedents ending at t (0 ends a row, as from
    :func:`pattern_ends`). At position t an antecedent fires once, at its most recent end
    ``t - j`` with ``j < last``. ``counts[w, t]`` gets the number firing; ids + 1 and j go to
    ``out_id[w, t, :]`` / ``out_j[w, t, :]`` (by j, then in ``ends`` order) while there is
    room (call with width 0 to count first).
    """
    n_rows, n_pos, n_ends = ends.shape
    width = out_id.shape[2]
    for blk in prange((n_rows + _BLOCK - 1) // _BLOCK):
        stamp = np.full(n_pat + 1, -1, np.int64)
        for w in range(blk * _BLOCK, min((blk + 1) * _BLOCK, n_rows)):
            for t in range(n_pos):
                key = w * n_pos + t
                n = 0
                for j in range(min(last, t + 1)):
                    for g in range(n_ends):
                        p = ends[w, t - j, g]
                        if p == 0:
                            break
                        if stamp[p] == key:
                            continue
                        stamp[p] = key
                        if n < width:
                            out_id[w, t, n] = p
                            out_j[w, t, n] = j
                        n += 1
                counts[w, t] = n
