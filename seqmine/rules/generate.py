"""Rules from mined patterns: next-item rules X => y and sequential rules X => Y.

Every rule comes from one frequent pattern P = X·Y split at an itemset boundary; its support
is support(P), and support(X), support(Y) are looked up in the same PatternSet (both are
frequent sub-patterns of P, so a complete PatternSet holds them). The look-up is one Numba
pass over hashed pattern prefixes and suffixes, confirmed item by item (no Python dict).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqmine._kernels import rules as krules
from seqmine.data.database import SequenceDatabase
from seqmine.data.split import concat_ranges
from seqmine.errors import InputError
from seqmine.patterns.csr import lengths_to_ptr
from seqmine.patterns.patternset import PatternSet
from seqmine.rules.ruleset import RuleSet

RULE_KINDS = ("next-item", "sequential", "partially-ordered")


def rules(source: PatternSet | SequenceDatabase, min_confidence: float = 0.0,
          kind: str = "next-item", *, minsup: int | float | None = None,
          min_lift: float | None = None, max_antecedent: int | None = None,
          max_consequent: int | None = None, db: SequenceDatabase | None = None,
          max_rules: int | None = None, n_jobs: int | None = 1, progress: bool = False,
          **mine_options: Any) -> RuleSet:
    """Rules with confidence >= ``min_confidence`` (DESIGN.md, "Rules").

    Parameters
    ----------
    source : a PatternSet for ``kind="next-item"`` / ``"sequential"`` (rules are read off
        its patterns), or a SequenceDatabase, mined first with ``minsup`` and
        ``mine_options`` (e.g. ``max_length``, ``max_gap``; gaps and span given as
        timedeltas are time windows on a database with timestamps, and every support,
        confidence and lift is then counted within that window). ``kind="partially-ordered"``
        needs a SequenceDatabase and ``minsup``: those rules (unordered antecedent and
        consequent item sets, RuleGrowth style) are mined directly, not from patterns.
    kind : "next-item" (X => one item y right after X), "sequential" (X => Y, any split of a
        pattern at an itemset boundary) or "partially-ordered".
    min_lift : optional lower bound on lift.
    max_antecedent, max_consequent : most items on each side.
    db : the database the patterns came from; only needed when the PatternSet lacks a
        sub-pattern (mined with must_contain/exclude or a pattern budget): their supports
        are then counted on ``db``.

    Rules are ordered by confidence, support and lift (descending), ties in pattern order.
    """
    if kind not in RULE_KINDS:
        raise InputError(f"unknown rule kind {kind!r}; use one of {RULE_KINDS}")
    _check_fraction("min_confidence", min_confidence)
    if kind == "partially-ordered":
        from seqmine.rules.partial_order import partially_ordered_rules
        if not isinstance(source, SequenceDatabase):
            raise InputError("partially-ordered rules are mined from a SequenceDatabase, not "
                             "from a PatternSet: rules(db, minsup=..., "
                             "kind='partially-ordered')")
        if minsup is None:
            raise InputError("partially-ordered rules need minsup")
        if mine_options:
            raise InputError(f"options {sorted(mine_options)} do not apply to "
                             "partially-ordered rules")
        out = partially_ordered_rules(source, minsup, min_confidence,
                                      max_antecedent=max_antecedent,
                                      max_consequent=max_consequent, max_rules=max_rules,
                                      n_jobs=n_jobs, progress=progress)
        return out.filter(min_lift=min_lift) if min_lift is not None else out
    if isinstance(source, SequenceDatabase):
        if minsup is None:
            raise InputError("give minsup to mine the patterns the rules come from "
                             "(or pass a PatternSet)")
        from seqmine.mining import mine
        db = source
        source = mine(source, minsup, n_jobs=n_jobs, progress=progress, **mine_options)
    elif not isinstance(source, PatternSet):
        raise InputError(f"rules() takes a PatternSet or a SequenceDatabase, got "
                         f"{type(source).__name__}")
    elif minsup is not None or mine_options:
        raise InputError("minsup and mining options apply only when rules() mines a "
                         "SequenceDatabase; filter the PatternSet instead")
    return rules_from_patterns(source, min_confidence, kind=kind, min_lift=min_lift,
                               max_antecedent=max_antecedent, max_consequent=max_consequent,
                               db=db, max_rules=max_rules)


def rules_from_patterns(patterns: PatternSet, min_confidence: float = 0.0, *,
                        kind: str = "next-item", min_lift: float | None = None,
                        max_antecedent: int | None = None, max_consequent: int | None = None,
                        db: SequenceDatabase | None = None,
                        max_rules: int | None = None) -> RuleSet:
    """Next-item or sequential rules of a PatternSet (see :func:`rules`)."""
    if kind not in ("next-item", "sequential"):
        raise InputError(f"rules from patterns are 'next-item' or 'sequential', got {kind!r}")
    p = patterns
    pat, nx, sup_x, sup_y = krules.split_supports(p.pat_ptr, p.pset_ptr, p.pitems, p.support,
                                                  kind == "next-item")
    missing = (sup_x < 0) | (sup_y < 0)
    if missing.any():
        sup_x, sup_y = _count_missing(p, pat, nx, sup_x, sup_y, missing, db)
    support = p.support[pat]
    confidence = support / sup_x
    keep = confidence >= min_confidence
    if min_lift is not None:
        keep &= confidence * p.n_sequences / sup_y >= min_lift
    x_start = p.pat_ptr[pat]
    split_at = x_start + nx
    x_len = _lengths(p, x_start, split_at)
    y_len = _lengths(p, split_at, p.pat_ptr[pat + 1])
    if max_antecedent is not None:
        keep &= x_len <= max_antecedent
    if max_consequent is not None:
        keep &= y_len <= max_consequent
    idx = np.flatnonzero(keep)
    pat, x_start, split_at = pat[idx], x_start[idx], split_at[idx]
    ant_sets = concat_ranges(x_start, split_at)
    con_sets = concat_ranges(split_at, p.pat_ptr[pat + 1])
    set_len = np.diff(p.pset_ptr)
    out = RuleSet(
        lengths_to_ptr(split_at - x_start), lengths_to_ptr(set_len[ant_sets]),
        p.pitems[concat_ranges(p.pset_ptr[ant_sets], p.pset_ptr[ant_sets + 1])],
        lengths_to_ptr(p.pat_ptr[pat + 1] - split_at), lengths_to_ptr(set_len[con_sets]),
        p.pitems[concat_ranges(p.pset_ptr[con_sets], p.pset_ptr[con_sets + 1])],
        support[idx], sup_x[idx], sup_y[idx], codebook=p.codebook, kind=kind,
        n_sequences=p.n_sequences, min_count=p.min_count,
        options={"min_confidence": min_confidence, "min_lift": min_lift,
                 "max_antecedent": max_antecedent, "max_consequent": max_consequent,
                 "patterns": p.options})
    out = out.sort()
    if max_rules is not None and len(out) > max_rules:
        from seqmine.errors import BudgetExceededError
        raise BudgetExceededError(
            f"{len(out)} rules exceed max_rules={max_rules}; raise min_confidence or minsup",
            out.take(np.arange(max_rules)))
    return out


def _lengths(p: PatternSet, set_start: np.ndarray, set_stop: np.ndarray) -> np.ndarray:
    return np.asarray(p.pset_ptr[set_stop] - p.pset_ptr[set_start], np.int64)


def _check_fraction(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) \
            or not 0.0 <= value <= 1.0:
        raise InputError(f"{name} must be a number in [0, 1], got {value!r}")


def _count_missing(p: PatternSet, pat: np.ndarray, nx: np.ndarray, sup_x: np.ndarray,
                   sup_y: np.ndarray, missing: np.ndarray, db: SequenceDatabase | None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Supports of the sides the PatternSet lacks, counted on ``db`` (same constraints)."""
    if db is None:
        raise InputError(
            f"{int(missing.sum())} rules need the support of a sub-pattern this PatternSet "
            "lacks (mined with must_contain/exclude, a pattern budget, or closed/maximal/"
            "top-k): pass db= (the mined database) to count them")
    if db.codebook != p.codebook:
        raise InputError("db= must be the database the patterns were mined from (its "
                         "codebook differs)")
    from seqmine.explore import support_of_codes
    window = {k: p.options.get(k) for k in ("min_gap", "max_gap", "max_span", "gap_unit")}
    sup_x = sup_x.copy()
    sup_y = sup_y.copy()
    for sup, lo, hi in ((sup_x, p.pat_ptr[pat], p.pat_ptr[pat] + nx),
                        (sup_y, p.pat_ptr[pat] + nx, p.pat_ptr[pat + 1])):
        need = np.flatnonzero(sup < 0)
        if not len(need):
            continue
        sets = concat_ranges(lo[need], hi[need])
        q_ptr = lengths_to_ptr(hi[need] - lo[need])
        q_set_ptr = lengths_to_ptr(np.diff(p.pset_ptr)[sets])
        q_items = p.pitems[concat_ranges(p.pset_ptr[sets], p.pset_ptr[sets + 1])]
        sup[need] = support_of_codes(db, q_ptr, q_set_ptr, q_items, **_window_values(window))
    return sup_x, sup_y


def _window_values(window: dict[str, Any]) -> dict[str, Any]:
    """Gap/span options as saved in a PatternSet (durations were saved as text)."""
    out: dict[str, Any] = {}
    for key, value in window.items():
        if isinstance(value, str) and key != "gap_unit":
            import pandas as pd
            value = pd.Timedelta(value).to_pytimedelta()
        out[key] = value
    return out
