"""SPMF text format: byte-level parser and writer kernels.

Parser grammar, one sequence per line: ``[<time>] item ... -1 [<time>] item ... -1 -2``.
Lines that are empty or start with '#', '%' or '@' are skipped. Error codes are returned with
the 1-based line number; the driver turns them into messages.
"""

import numpy as np

from seqmine._kernels._jit import kernel

ERR_NONE = 0
ERR_TOKEN = 1          # a token that is not an integer, -1, -2 or <time>
ERR_EMPTY_ITEMSET = 2  # -1 with no item before it
ERR_UNCLOSED = 3       # line ends without -2
ERR_AFTER_END = 4      # tokens after -2 on the same line
ERR_OPEN_ITEMSET = 5   # -2 while an itemset is still open (items without a closing -1)
ERR_RANGE = 6          # a number of more than 18 digits: it would overflow int64


@kernel
def parse(buf):
    """Parse SPMF bytes -> (status, bad_line, values, evt_ptr, seq_ptr, times, has_times)."""
    n = len(buf)
    cap = n // 2 + 2
    values = np.empty(cap, np.int64)
    evt_ptr = np.zeros(cap + 1, np.int64)
    seq_ptr = np.zeros(cap + 1, np.int64)
    times = np.empty(cap, np.int64)
    n_items = 0
    n_evt = 0
    n_seq = 0
    has_times = False
    line = 1
    i = 0
    while i < n:
        # start of a line
        c = buf[i]
        if c == 10:  # '\n'
            line += 1
            i += 1
            continue
        if c == 13 or c == 32 or c == 9:
            # leading whitespace: find first non-space on this line
            j = i
            while j < n and (buf[j] == 32 or buf[j] == 9 or buf[j] == 13):
                j += 1
            if j >= n or buf[j] == 10:
                i = j
                continue
            c = buf[j]
            i = j
        if c == 35 or c == 37 or c == 64:  # '#', '%', '@' comment / metadata lines
            while i < n and buf[i] != 10:
                i += 1
            continue
        # a sequence line
        open_items = 0
        pos_in_seq = 0
        pending_time = -1
        pending_has_time = False
        closed = False
        while i < n and buf[i] != 10:
            c = buf[i]
            if c == 32 or c == 9 or c == 13:
                i += 1
                continue
            if closed:
                return ERR_AFTER_END, line, values[:0], evt_ptr[:1], seq_ptr[:1], times[:0], False
            if c == 60:  # '<' time
                j = i + 1
                t_neg = j < n and buf[j] == 45  # times before 0 are written as <-5>
                if t_neg:
                    j += 1
                v = 0
                nd = 0
                while j < n and buf[j] >= 48 and buf[j] <= 57:
                    v = v * 10 + (buf[j] - 48)
                    j += 1
                    nd += 1
                if nd == 0 or j >= n or buf[j] != 62:
                    return ERR_TOKEN, line, values[:0], evt_ptr[:1], seq_ptr[:1], times[:0], False
                if nd > 18:
                    return ERR_RANGE, line, values[:0], evt_ptr[:1], seq_ptr[:1], times[:0], False
                pending_time = -v if t_neg else v
                pending_has_time = True
                has_times = True
                i = j + 1
                continue
            neg = False
            j = i
            if c == 45:  # '-'
                neg = True
                j += 1
            v = 0
            nd = 0
            while j < n and buf[j] >= 48 and buf[j] <= 57:
                v = v * 10 + (buf[j] - 48)
                j += 1
                nd += 1
            if nd == 0 or (j < n and not (buf[j] == 32 or buf[j] == 9 or buf[j] == 13
                                          or buf[j] == 10)):
                return ERR_TOKEN, line, values[:0], evt_ptr[:1], seq_ptr[:1], times[:0], False
            if nd > 18:
                return ERR_RANGE, line, values[:0], evt_ptr[:1], seq_ptr[:1], times[:0], False
            i = j
            if not neg:
                values[n_items] = v
                n_items += 1
                open_items += 1
            elif v == 1:
                if open_items == 0:
                    return (ERR_EMPTY_ITEMSET, line, values[:0], evt_ptr[:1], seq_ptr[:1],
                            times[:0], False)
                times[n_evt] = pending_time if pending_has_time else pos_in_seq
                pending_has_time = False
                n_evt += 1
                evt_ptr[n_evt] = n_items
                pos_in_seq += 1
                open_items = 0
            elif v == 2:
                if open_items != 0:
                    return (ERR_OPEN_ITEMSET, line, values[:0], evt_ptr[:1], seq_ptr[:1],
                            times[:0], False)
                n_seq += 1
                seq_ptr[n_seq] = n_evt
                closed = True
            else:
                return ERR_TOKEN, line, values[:0], evt_ptr[:1], seq_ptr[:1], times[:0], False
        if not closed:
            return ERR_UNCLOSED, line, values[:0], evt_ptr[:1], seq_ptr[:1], times[:0], False
    return (ERR_NONE, 0, values[:n_items].copy(), evt_ptr[:n_evt + 1].copy(),
            seq_ptr[:n_seq + 1].copy(), times[:n_evt].copy(), has_times)


@kernel
def _write_int(out, pos, v):
    if v < 0:
        out[pos] = 45
        pos += 1
        v = -v
    if v == 0:
        out[pos] = 48
        return pos + 1
    start = pos
    while v > 0:
        out[pos] = 48 + v % 10
        v //= 10
        pos += 1
    # reverse the digits just written
    a = start
    b = pos - 1
    while a < b:
        t = out[a]
        out[a] = out[b]
        out[b] = t
        a += 1
        b -= 1
    return pos


@kernel
def write(seq_ptr, evt_ptr, item_values, times, with_times):
    """Encode a database as SPMF bytes; ``item_values`` are the int64 values per item slot."""
    n_evt = len(evt_ptr) - 1
    cap = 24 * (len(item_values) + 1) + 48 * (n_evt + 1) + 4 * len(seq_ptr)
    out = np.empty(cap, np.uint8)
    pos = 0
    for s in range(len(seq_ptr) - 1):
        for e in range(seq_ptr[s], seq_ptr[s + 1]):
            if with_times:
                out[pos] = 60
                pos = _write_int(out, pos + 1, times[e])
                out[pos] = 62
                out[pos + 1] = 32
                pos += 2
            for k in range(evt_ptr[e], evt_ptr[e + 1]):
                pos = _write_int(out, pos, item_values[k])
                out[pos] = 32
                pos += 1
            out[pos] = 45
            out[pos + 1] = 49
            out[pos + 2] = 32
            pos += 3
        out[pos] = 45
        out[pos + 1] = 50
        out[pos + 2] = 10
        pos += 3
    return out[:pos]


@kernel
def write_patterns(pat_ptr, pset_ptr, item_values, support):
    """SPMF's pattern output, one line per pattern: ``1 -1 2 3 -1 #SUP: 5``."""
    n_pat = len(pat_ptr) - 1
    cap = 24 * (len(item_values) + 1) + 4 * len(pset_ptr) + 32 * (n_pat + 1)
    out = np.empty(cap, np.uint8)
    pos = 0
    for k in range(n_pat):
        for j in range(pat_ptr[k], pat_ptr[k + 1]):
            for q in range(pset_ptr[j], pset_ptr[j + 1]):
                pos = _write_int(out, pos, item_values[q])
                out[pos] = 32
                pos += 1
            out[pos] = 45
            out[pos + 1] = 49
            out[pos + 2] = 32
            pos += 3
        for c in "#SUP: ":
            out[pos] = ord(c)
            pos += 1
        pos = _write_int(out, pos, support[k])
        out[pos] = 10
        pos += 1
    return out[:pos]
