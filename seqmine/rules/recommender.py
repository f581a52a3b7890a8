"""RuleRecommender: next-item recommendations from sequential rules, with exact explanations.

Rules
-----
``fit(train)`` learns item-to-item rules a => y from the training sequences (kind
``"next-item-window"``): for every pair of events i, t of one sequence with
0 < t - i <= ``window``, each item a of event i and y of event t add ``(t - i) ** -decay``
to the rule's support (the sequential-rules "SR" recipe of Ludewig & Jannach's session-based
evaluations, where it is a strong baseline). With ``backward > 0``, pairs where y comes
*before* a add ``backward`` times their weight too (the association-rule side, "AR"; it helps
on session logs). ``antecedent_support`` counts the events holding a, so
``confidence = support / antecedent_support`` (a weighted confidence: it can exceed 1 when y
recurs within the window of one occurrence of a, or with backward pairs).
:meth:`from_rules` uses mined rules instead (any next-item RuleSet, antecedents of any
length, with itemsets).

Time windows: with ``window_seconds``, a pair also needs its two events at most that many
seconds apart (``window`` still bounds it in events, and ``decay`` still weighs the event
distance). They need real timestamps: a database whose times have a unit (``s``, ``ms``,
``us``, ``ns``; read the time column as a timestamp type). Seconds convert to the unit
rounding down.

Scoring
-------
Each rule X => y has a weight ``support / (antecedent_support + shrinkage) ** normalize``:
``normalize=1, shrinkage=0`` is its confidence; ``shrinkage > 0`` pulls the confidence of
rarely seen antecedents toward 0 (a prior of ``shrinkage`` occurrences of X not followed by
y); ``normalize=0`` uses the raw support (what the item-pair baseline does). A rule fires for
a history when a match of its antecedent ends in one of the history's last ``last`` events:
the antecedent's last itemset lies in that event and the rest of it earlier in the history.
It fires once, at the most recent such event, j events before the end (j = 0 for the last
event), and adds ``(j + 1) ** -recency * weight`` to the score of y. With ``last_seconds``,
that event must also be at most that many seconds before the history's last event (the
histories' own times are read: pass ``SequenceArrays`` with times in the training data's
unit, e.g. ``EvalSet.histories()``; histories given as lists are refused). An item's score
is the sum over the rules that fire for it; items no rule reaches score 0.

Explanations are exact: :meth:`explain` lists every contribution to an item, and added in
the order listed (float64) they give its score exactly (``score`` returns that sum rounded
to float32). Scoring runs in one Numba kernel over the whole batch (parallel over blocks of
histories); nothing loops over rules in Python.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

from seqmine._kernels import rules as krules
from seqmine.data.codebook import Codebook
from seqmine.data.database import SequenceArrays, SequenceDatabase
from seqmine.errors import InputError
from seqmine.options import _UNITS_PER_SECOND
from seqmine.patterns.csr import lengths_to_ptr
from seqmine.recommend import (
    RecommenderBase,
    TopK,
    as_histories,
    check_scores,
    mask_seen,
    slice_histories,
    top_k,
)
from seqmine.rules.ruleset import RuleSet

if TYPE_CHECKING:
    import pandas as pd

#: parameters that change only how rules are weighted and matched (no refit needed)
SCORING_PARAMS = ("last", "last_seconds", "recency", "normalize", "shrinkage", "backward",
                  "min_count", "max_rules_per_item")
#: the scoring parameters that change rule weights (the others apply at scoring time)
WEIGHT_PARAMS = ("normalize", "shrinkage", "backward", "min_count", "max_rules_per_item")
#: batches of more than this many histories are scored in parallel
PARALLEL_FROM = 256
#: parameters that change the rule statistics (fit again)
FIT_PARAMS = ("window", "window_seconds", "decay")
#: stands for "no limit" in the time-window kernels' int64 comparisons
NO_LIMIT = np.iinfo(np.int64).max // 4


#: what the scoring kernels take after the histories: the rule index (8 arrays), last,
#: max_age, the recency weights and n_items
_KernelArgs = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                    np.ndarray, np.ndarray, int, int, np.ndarray, int]


@dataclass(frozen=True)
class Explanation:
    """Recommendations for one history and the rules behind each score.

    ``items`` int32[k] item codes (best first; -1 pads a short list), ``scores`` float64[k]
    (exact sums; the float32 scores of :meth:`RuleRecommender.score` are these rounded).
    ``rules`` has one row per contribution: ``rank``, ``item`` (code), ``item_id``
    (original id), ``antecedent``, ``consequent`` (original ids), ``position`` (events
    between the antecedent match and the end of the history; 0 = last event),
    ``recency_weight``, ``rule_weight``, ``confidence``, ``contribution`` (=
    recency_weight * rule_weight) and ``rule`` (row of :attr:`RuleRecommender.rules_`). For
    each item, its rows summed in order equal its score exactly.
    """

    items: np.ndarray
    scores: np.ndarray
    rules: pd.DataFrame
    codebook: Codebook | None = None

    def item_ids(self) -> list[Any]:
        """Original ids of the recommended items (codes when no codebook is known)."""
        valid = self.items[self.items >= 0]
        return self.codebook.decode_list(valid) if self.codebook is not None else \
            valid.tolist()

    def for_item(self, item: int) -> pd.DataFrame:
        """The contributions to one item (by code)."""
        return self.rules[self.rules["item"] == item]

    def to_pandas(self) -> pd.DataFrame:
        """One row per recommended item: rank, item, item_id, score, rules (count)."""
        import pandas as pd
        n_rules = self.rules.groupby("rank").size()
        ranks = np.arange(len(self.items))
        valid = self.items >= 0
        ids = self.codebook.decode_list(self.items[valid]) if self.codebook is not None \
            else self.items[valid].tolist()
        return pd.DataFrame({"rank": ranks[valid], "item": self.items[valid], "item_id": ids,
                             "score": self.scores[valid],
                             "rules": n_rules.reindex(ranks[valid], fill_value=0).to_numpy()})


class RuleRecommender(RecommenderBase):
    """Next-item recommender from sequential rules (see the module docstring for the exact
    scoring). Satisfies :class:`seqmine.recommend.Recommender`.

    Parameters
    ----------
    window : events after an antecedent occurrence in which a consequent counts (fit).
    window_seconds : if given, a consequent also counts only within this many seconds of
        the antecedent (fit; needs timestamps).
    decay : exponent of the pair weight ``distance ** -decay`` (0: all pairs weigh 1).
    last : history events in which an antecedent match may end.
    last_seconds : if given, an antecedent match must also end within this many seconds
        before the history's last event.
    recency : exponent of the firing weight ``(j + 1) ** -recency``.
    normalize : exponent on ``antecedent_support + shrinkage`` dividing the support (1:
        confidence, 0: raw support).
    shrinkage : pseudo-occurrences added to every antecedent's support.
    backward : weight of pairs where the consequent precedes the antecedent (0: strictly
        sequential rules).
    min_count : rules seen in fewer event pairs (forward + backward) are dropped.
    max_rules_per_item : keep only this many heaviest rules per antecedent (None: all).
    """

    name = "rules"

    def __init__(self, *, window: int = 10, window_seconds: float | None = None,
                 decay: float = 1.0, last: int = 10, last_seconds: float | None = None,
                 recency: float = 1.0, normalize: float = 1.0, shrinkage: float = 0.0,
                 backward: float = 0.0, min_count: int = 1,
                 max_rules_per_item: int | None = None) -> None:
        self.params: dict[str, Any] = {}
        self._check_and_set(window=window, window_seconds=window_seconds, decay=decay,
                            last=last, last_seconds=last_seconds, recency=recency,
                            normalize=normalize, shrinkage=shrinkage, backward=backward,
                            min_count=min_count, max_rules_per_item=max_rules_per_item)
        self.time_unit: str | None = None
        self._stats: dict[str, np.ndarray] | None = None
        self._source: RuleSet | None = None
        self._index: dict[str, np.ndarray] | None = None
        self._rules: RuleSet | None = None
        self.codebook: Codebook | None = None
        self._n: int | None = None

    # --- parameters ---------------------------------------------------------------------
    def _check_and_set(self, **params: Any) -> None:
        for name, value in params.items():
            if name in ("window", "last", "min_count"):
                ok = not isinstance(value, bool) and isinstance(value, (int, np.integer)) \
                    and value >= 1
                want = "an int >= 1"
            elif name == "max_rules_per_item":
                ok = value is None or (not isinstance(value, bool) and isinstance(
                    value, (int, np.integer)) and value >= 1)
                want = "None or an int >= 1"
            elif name in ("window_seconds", "last_seconds"):
                ok = value is None or (not isinstance(value, bool) and isinstance(
                    value, (int, float, np.integer, np.floating)) and np.isfinite(value)
                    and value > 0)
                want = "None or a number of seconds > 0"
            elif name in ("decay", "recency", "normalize", "shrinkage", "backward"):
                ok = not isinstance(value, bool) and isinstance(
                    value, (int, float, np.integer, np.floating)) and np.isfinite(value) \
                    and value >= 0
                want = "a number >= 0"
            else:
                raise InputError(f"unknown RuleRecommender parameter {name!r}; use one of "
                                 f"{FIT_PARAMS + SCORING_PARAMS}")
            if not ok:
                raise InputError(f"{name} must be {want}, got {value!r}")
            self.params[name] = value

    def get_params(self) -> dict[str, Any]:
        return dict(self.params)

    def set_params(self, **params: Any) -> RuleRecommender:
        """Change scoring parameters in place (no refit; the rule index is rebuilt).
        ``window`` and ``decay`` change the rule statistics: make a new recommender."""
        refit = [p for p in params if p in FIT_PARAMS and params[p] != self.params[p]]
        if refit and self._stats is not None:
            raise InputError(f"{refit} change the fitted rule statistics: create a new "
                             "RuleRecommender and fit it")
        reweight = any(params[p] != self.params[p] for p in params if p in WEIGHT_PARAMS)
        self._check_and_set(**params)
        if reweight and (self._stats is not None or self._source is not None):
            self._build_index()
        return self

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v}" for k, v in self.params.items())
        state = f"{self.n_rules} rules" if self._index is not None else "not fitted"
        return f"RuleRecommender({shown}; {state})"

    # --- fitting ------------------------------------------------------------------------
    def fit(self, train: SequenceDatabase) -> RuleRecommender:
        """Learn item-to-item rules from ``train`` (``split.train`` only: no leakage)."""
        if not isinstance(train, SequenceDatabase):
            raise InputError(f"RuleRecommender.fit takes a SequenceDatabase (e.g. "
                             f"split.train), got {type(train).__name__}")
        self.time_unit = train.time_unit
        max_dt = self._in_units("window_seconds")
        self._in_units("last_seconds")
        a = train.arrays
        n = train.n_items
        seq_of_evt = np.repeat(np.arange(len(train), dtype=np.int64), np.diff(a.seq_ptr))
        evt_of_item = np.repeat(np.arange(train.n_events, dtype=np.int64),
                                np.diff(a.evt_ptr))
        order = np.argsort(a.items, kind="stable")
        occ_ptr = lengths_to_ptr(np.bincount(a.items, minlength=n))
        window = int(self.params["window"])
        distance = np.arange(window + 1, dtype=np.float64)
        distance[0] = 1.0
        decay = distance ** -float(self.params["decay"])
        ptr, con, fw, bw, fn, bn = krules.window_pairs(
            seq_of_evt, a.seq_ptr, a.evt_ptr, a.items, a.times, occ_ptr, evt_of_item[order], n,
            window, max_dt, decay)
        self._stats = {"ptr": ptr, "con": con.astype(np.int32), "forward": fw,
                       "backward": bw, "forward_count": fn, "backward_count": bn,
                       "occurrences": np.diff(occ_ptr).astype(np.int64),
                       "n_events": np.array(train.n_events)}
        self._source = None
        self.codebook = train.codebook
        self._n = n
        self._n_sequences = len(train)
        self._build_index()
        return self

    def _in_units(self, name: str) -> int:
        """Parameter ``name`` (seconds, or None) in the data's time unit (NO_LIMIT for None)."""
        seconds = self.params[name]
        if seconds is None:
            return int(NO_LIMIT)
        if self.time_unit not in _UNITS_PER_SECOND:
            raise InputError(f"{name} needs timestamps, but the data's times have no time "
                             "unit (they are positions or plain numbers): read the time "
                             "column as a timestamp type, e.g. pa.timestamp('s')")
        # round away float noise (0.003 s * 1000 = 2.9999999999999996 ms) before the floor
        return math.floor(round(float(seconds) * _UNITS_PER_SECOND[self.time_unit], 6))

    @classmethod
    def from_rules(cls, rules: RuleSet, *, last: int = 10, last_seconds: float | None = None,
                   recency: float = 1.0, normalize: float = 1.0, shrinkage: float = 0.0,
                   max_rules_per_item: int | None = None,
                   time_unit: str | None = None) -> RuleRecommender:
        """A recommender scoring with mined next-item rules (``seqmine.rules(...,
        kind="next-item")`` or another recommender's ``rules_``). Antecedents may be any
        patterns; they match as described in the module docstring. ``last_seconds`` needs
        the time unit of the histories' times (``time_unit``, e.g. ``db.time_unit``;
        rules saved by :meth:`to_parquet` remember it)."""
        if not isinstance(rules, RuleSet):
            raise InputError(f"from_rules takes a RuleSet, got {type(rules).__name__}")
        if rules.kind not in ("next-item", "next-item-window"):
            raise InputError(f"from_rules needs next-item rules (one consequent item), got "
                             f"{rules.kind!r} rules")
        rec = cls(last=last, last_seconds=last_seconds, recency=recency, normalize=normalize,
                  shrinkage=shrinkage, max_rules_per_item=max_rules_per_item)
        rec.time_unit = time_unit if time_unit is not None else rules.options.get("time_unit")
        rec._in_units("last_seconds")
        rec._source = rules
        rec.codebook = rules.codebook
        rec._n = len(rules.codebook)
        rec._n_sequences = rules.n_sequences
        rec._build_index()
        return rec

    def _build_index(self) -> None:
        """Rule weights and the matching index, from the statistics or the source rules."""
        p = self.params
        if self._stats is not None:
            s = self._stats
            n = self.n_items
            assert self.codebook is not None
            backward = float(p["backward"])
            support = s["forward"] + backward * s["backward"]
            pairs = s["forward_count"] + (s["backward_count"] if backward > 0 else 0)
            antecedent = np.repeat(np.arange(n, dtype=np.int64), np.diff(s["ptr"]))
            idx = np.flatnonzero((pairs >= p["min_count"]) & (support > 0))
            one = np.arange(len(idx) + 1, dtype=np.int64)
            rules = RuleSet(one, one, antecedent[idx].astype(np.int32), one, one,
                            s["con"][idx], support[idx], s["occurrences"][antecedent[idx]],
                            s["occurrences"][s["con"][idx]], codebook=self.codebook,
                            kind="next-item-window", n_sequences=self._n_sequences,
                            unit="events", n_units=int(s["n_events"]),
                            options={"window": p["window"],
                                     "window_seconds": p["window_seconds"],
                                     "decay": p["decay"], "backward": backward,
                                     "min_count": p["min_count"],
                                     "time_unit": self.time_unit})
        else:
            assert self._source is not None
            rules = self._source
        weight = np.asarray(rules.support, np.float64) / (
            np.asarray(rules.antecedent_support, np.float64) + float(p["shrinkage"])
        ) ** float(p["normalize"])
        self._rules = rules
        self._index = _rule_index(rules, weight, p["max_rules_per_item"], self.n_items)

    # --- the Recommender protocol -------------------------------------------------------
    @property
    def n_items(self) -> int:
        if self._n is None:
            raise InputError("RuleRecommender is not fitted: call fit(split.train) or use "
                             "RuleRecommender.from_rules(rules)")
        return self._n

    def to_parquet(self, path: str | Path) -> None:
        """Save the rules and the scoring parameters (a RuleSet file, atomic write);
        :meth:`read_parquet` gives a recommender with exactly the same scores."""
        rules = self.rules_
        scoring = {k: self.params[k] for k in ("last", "last_seconds", "recency", "normalize",
                                                "shrinkage", "max_rules_per_item")}
        scoring["time_unit"] = self.time_unit
        saved = RuleSet(rules.ant_ptr, rules.ant_set_ptr, rules.ant_items, rules.con_ptr,
                        rules.con_set_ptr, rules.con_items, rules.support,
                        rules.antecedent_support, rules.consequent_support,
                        codebook=rules.codebook, kind=rules.kind,
                        n_sequences=rules.n_sequences, min_count=rules.min_count,
                        unit=rules.unit, n_units=rules.n_units,
                        options={**rules.options, "recommender": scoring})
        saved.to_parquet(path)

    @classmethod
    def read_parquet(cls, path: str | Path) -> RuleRecommender:
        """A recommender saved by :meth:`to_parquet` (or any next-item rule file, scored
        with the default parameters)."""
        rules = RuleSet.read_parquet(path)
        return cls.from_rules(rules, **rules.options.get("recommender", {}))

    @property
    def rules_(self) -> RuleSet:
        """The rules the recommender scores with (row numbers are the ``rule`` ids of
        explanations)."""
        if self._rules is None:
            raise InputError("RuleRecommender is not fitted")
        return self._rules

    @property
    def n_rules(self) -> int:
        return 0 if self._index is None else len(self._index["r_con"])

    def _recency(self) -> np.ndarray:
        last = int(self.params["last"])
        return np.arange(1, last + 1, dtype=np.float64) ** -float(self.params["recency"])

    def _histories(self, histories: Any) -> SequenceArrays:
        """``as_histories``, refusing lists when ``last_seconds`` needs real times."""
        if self.params["last_seconds"] is not None and not isinstance(
                histories, (SequenceArrays, SequenceDatabase)):
            raise InputError("last_seconds reads the histories' times: give SequenceArrays "
                             "(e.g. EvalSet.histories()) or a SequenceDatabase, not lists "
                             "(their times are positions)")
        return as_histories(histories)

    def _kernel_args(self) -> _KernelArgs:
        """The rule index and the matching window, as the scoring kernels take them."""
        ix = self._index
        if ix is None:
            raise InputError("RuleRecommender is not fitted")
        return (ix["anc_ptr"], ix["anc_ant"], ix["a_pat_ptr"], ix["a_pset_ptr"], ix["a_items"],
                ix["r_ptr"], ix["r_con"], ix["r_w"], int(self.params["last"]),
                self._in_units("last_seconds"), self._recency(), self.n_items)

    def score(self, histories: Any) -> np.ndarray:
        """Rule scores float32[B, n_items] of a batch of histories (item codes)."""
        h = self._histories(histories)
        args = self._kernel_args()
        out = np.zeros((len(h.seq_ptr) - 1, self.n_items), np.float32)
        e0 = int(h.seq_ptr[0]) if len(h.seq_ptr) else 0
        i0 = int(h.evt_ptr[e0]) if len(h.evt_ptr) else 0
        kernel = krules.score_histories if len(out) <= PARALLEL_FROM else \
            krules.score_histories_parallel
        kernel(h.seq_ptr - e0, h.evt_ptr[e0:] - i0,
               np.ascontiguousarray(h.items[i0:], dtype=np.int32),
               np.ascontiguousarray(h.times[e0:], dtype=np.int64), *args, out)
        return out

    @overload
    def recommend(self, histories: Any, k: int = ..., exclude_seen: bool = ..., *,
                  explain: Literal[False] = ...) -> TopK: ...

    @overload
    def recommend(self, histories: Any, k: int = ..., exclude_seen: bool = ..., *,
                  explain: Literal[True]) -> list[Explanation]: ...

    def recommend(self, histories: Any, k: int = 10, exclude_seen: bool = False, *,
                  explain: bool = False) -> TopK | list[Explanation]:
        """Top ``k`` items per history (:class:`TopK`); with ``explain`` a list of
        :class:`Explanation`, one per history, with the same items and scores."""
        h = self._histories(histories)
        if not explain:
            return super().recommend(h, k, exclude_seen)
        return [self.explain(slice_histories(h, b, b + 1), k, exclude_seen)
                for b in range(len(h.seq_ptr) - 1)]

    def explain(self, history: Any, k: int = 10, exclude_seen: bool = False, *,
                items: Iterable[int] | None = None) -> Explanation:
        """The top ``k`` items for one history (or the given ``items``, codes) with every
        rule contribution to each (see :class:`Explanation`)."""
        h = self._histories(history)
        if len(h.seq_ptr) != 2:
            raise InputError(f"explain takes one history, got {len(h.seq_ptr) - 1}")
        args = self._kernel_args()
        n = self.n_items
        e0, e1 = int(h.seq_ptr[0]), int(h.seq_ptr[1])
        head = (h.evt_ptr, np.ascontiguousarray(h.items, np.int32),
                np.ascontiguousarray(h.times, np.int64), e0, e1)
        scores64, _ = krules.explain_history(*head, *args, np.zeros(n, dtype=bool))
        if items is None:
            row = scores64.astype(np.float32)[None, :]
            check_scores(row, 1, n)
            if exclude_seen:
                mask_seen(row, h)
            chosen = top_k(row, k).items[0]
        else:
            chosen = np.asarray(list(items), np.int32)
            if len(chosen) and (chosen.min() < 0 or chosen.max() >= n):
                raise InputError(f"items must be codes in 0..{n - 1}")
        mask = np.zeros(n, dtype=bool)
        mask[chosen[chosen >= 0]] = True
        _, rec = krules.explain_history(*head, *args, mask)
        scores = np.where(chosen >= 0, scores64[np.maximum(chosen, 0)], -np.inf)
        return Explanation(chosen, scores, self._contributions(rec, chosen), self.codebook)

    def _contributions(self, rec: np.ndarray, chosen: np.ndarray) -> pd.DataFrame:
        import pandas as pd
        ix = self._index
        assert ix is not None
        assert self._rules is not None
        rule_pos, j = rec[:, 1], rec[:, 2]
        item = ix["r_con"][rule_pos]
        rank_of = {int(c): r for r, c in enumerate(chosen.tolist()) if c >= 0}
        rank = np.array([rank_of[int(c)] for c in item], dtype=np.int64)
        order = np.argsort(rank, kind="stable")  # by rank, accumulation order within an item
        rule_pos, j, item, rank = rule_pos[order], j[order], item[order], rank[order]
        rule_id = ix["r_rule"][rule_pos]
        recency = self._recency()[j]
        weight = ix["r_w"][rule_pos]
        table = self._rules.take(rule_id).to_arrow() if len(rule_id) else None
        decoded = self.codebook.decode_list(item) if self.codebook is not None else \
            item.tolist()
        return pd.DataFrame({
            "rank": rank, "item": item.astype(np.int32), "item_id": decoded,
            "antecedent": table.column("antecedent").to_pylist() if table else [],
            "consequent": table.column("consequent").to_pylist() if table else [],
            "position": j, "recency_weight": recency, "rule_weight": weight,
            "confidence": self._rules.confidence[rule_id],
            "contribution": recency * weight, "rule": rule_id})


def _rule_index(rules: RuleSet, weight: np.ndarray, max_per_item: int | None,
                n_items: int) -> dict[str, np.ndarray]:
    """Rules grouped by antecedent, heaviest first within a group; antecedents indexed by
    their anchor (the first item of their last itemset, which the matching history event
    must hold).

    Groups hold identical antecedents (sorted by hash, confirmed item by item); a hash
    collision can only split a group in two, which changes nothing but speed: every rule
    still fires once, at its antecedent's most recent match.
    """
    live = np.flatnonzero(weight > 0)
    h_set, _ = krules.prefix_hashes(rules.ant_ptr, rules.ant_set_ptr, rules.ant_items)
    key = h_set[rules.ant_ptr[1:][live] - 1]
    order = live[np.argsort(key, kind="stable")]
    new = krules.new_groups(rules.ant_ptr, rules.ant_set_ptr, rules.ant_items, order)
    group = np.cumsum(new) - 1
    by_weight = np.lexsort((np.arange(len(order)), -weight[order], group))
    order, group = order[by_weight], group[by_weight]
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if len(order) else \
        np.zeros(0, np.int64)
    if max_per_item is not None and len(order):
        pos = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
        keep = pos < max_per_item
        order, group = order[keep], group[keep]
        starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    sub = rules.take(order[starts])
    n_ant = len(sub)
    anchor = sub.ant_items[sub.ant_set_ptr[sub.ant_ptr[1:] - 1]] if n_ant else \
        np.zeros(0, np.int32)
    return {
        "a_pat_ptr": sub.ant_ptr, "a_pset_ptr": sub.ant_set_ptr, "a_items": sub.ant_items,
        "anc_ptr": lengths_to_ptr(np.bincount(anchor, minlength=n_items)[:n_items]),
        "anc_ant": np.argsort(anchor, kind="stable").astype(np.int64),
        "r_ptr": lengths_to_ptr(np.bincount(group, minlength=n_ant)) if n_ant else
        np.zeros(1, np.int64),
        "r_con": rules.con_items[rules.con_set_ptr[rules.con_ptr[order]]].astype(np.int64),
        "r_w": weight[order].astype(np.float64),
        "r_rule": order.astype(np.int64),
    }


def tune(split: Any, grid: Mapping[str, Iterable[Any]] | None = None, *, on: str = "valid",
         k: int = 10, metric: str = "NDCG", exclude_seen: bool = False,
         sample: int | None = None, seed: int = 0) -> tuple[RuleRecommender, pd.DataFrame]:
    """Grid search of RuleRecommender parameters on the validation split only.

    Rules are fit on ``split.train``; every combination of ``grid`` (parameter -> values,
    see :class:`RuleRecommender`) is scored on ``split.valid`` (or a ``sample`` of it) with
    the shared protocol (full ranking). Statistics are fit once per (window, decay); the
    other parameters only re-weight them. Returns the best recommender (fit on
    ``split.train``) and the table of every combination, best first.
    """
    import pandas as pd

    from seqmine.evaluate import evaluate
    grid = dict(DEFAULT_GRID if grid is None else grid)
    unknown = set(grid) - set(FIT_PARAMS + SCORING_PARAMS)
    if unknown:
        raise InputError(f"unknown parameters in grid: {sorted(unknown)}")
    if on != "valid":
        raise InputError("tune on the validation split only (on='valid'): tuning on test "
                         "leaks")
    evalset = split.valid if sample is None else split.valid.sample(sample, seed)
    fit_keys = [p for p in FIT_PARAMS if p in grid]
    # weight-changing parameters outermost: the rule index is rebuilt only when they change
    score_keys = sorted((p for p in grid if p not in FIT_PARAMS),
                        key=lambda p: (p not in WEIGHT_PARAMS, p))
    column = f"{metric}@{k}"
    rows = []
    best: tuple[float, dict[str, Any]] | None = None
    for fit_values in itertools.product(*(list(grid[p]) for p in fit_keys)):
        fit_params = dict(zip(fit_keys, fit_values, strict=False))
        rec = RuleRecommender(**fit_params).fit(split.train)
        for values in itertools.product(*(list(grid[p]) for p in score_keys)):
            params = dict(zip(score_keys, values, strict=False))
            if params.get("normalize", 1) == 0 and "shrinkage" in params \
                    and params["shrinkage"] != next(iter(grid["shrinkage"])):
                continue  # shrinkage has no effect without normalisation
            rec.set_params(**params)
            table = evaluate(rec, evalset, k=[k], exclude_seen=exclude_seen)
            value = float(table[column].iloc[0])
            row = {**rec.get_params(), column: value, f"HR@{k}": float(table[f"HR@{k}"].iloc[0])}
            rows.append(row)
            if best is None or value > best[0]:
                best = (value, rec.get_params())
    assert best is not None
    results = pd.DataFrame(rows).sort_values(column, ascending=False, kind="stable")
    winner = RuleRecommender(**best[1]).fit(split.train)
    return winner, results.reset_index(drop=True)


DEFAULT_GRID: dict[str, list[Any]] = {
    "last": [3, 10],
    "normalize": [0.0, 0.5, 1.0],
    "shrinkage": [0.0, 10.0],
    "backward": [0.0, 0.3],
    "min_count": [1, 2],
}
