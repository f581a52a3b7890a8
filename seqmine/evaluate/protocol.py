"""The evaluation protocol: rank each target item, then average the metrics.

Full ranking (the default) ranks a target among **all** catalogue items. ``"sampled-100"``
ranks it among 100 items drawn uniformly (fixed seed) from the items the instance's history
and targets do not hold, as SASRec's paper did; it exists only to compare with papers that
used it, its figures are not comparable to full-ranking ones, and every output says so (the
``mode`` column, metric names suffixed ``[sampled-100]``, the table header).

Tie rule: an item with a score equal to the target's is ranked before it when its code is
lower (the same order as :func:`seqmine.recommend.top_k`, so HR@k is exactly "the target is in
``recommend(h, k)``"). ``ties="pessimistic"`` ranks the target after every tied item instead,
a lower bound for recommenders that score many items equally (counts, rules). A target
scored ``-inf`` (for example a seen item under ``exclude_seen=True``, the protocol of the
S3-Rec family of papers) is never recommended and counts as a miss.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from seqmine.data.split import EvalSet, Split
from seqmine.errors import InputError
from seqmine.evaluate import metrics as M
from seqmine.recommend import check_scores, history_items, mask_seen, top_k

__all__ = ["Ranking", "evaluate", "format_table", "rank_targets"]

MODES = ("full", "sampled-100")
TIES = ("item-order", "pessimistic")
_SAMPLED = 100
_NEG_CHUNK = 512  # instances per negative-sampling block: fixed, so results ignore batch_size


@dataclass(frozen=True, eq=False)
class Ranking:
    """Target ranks of one recommender on one EvalSet, with the protocol that produced them.

    ``ranks`` int64 (0-based, ``>= n_items`` = miss) grouped by ``ptr`` per instance;
    ``top_items`` int32[n, K] are the full-catalogue top-K lists (for coverage).
    """

    ranks: np.ndarray
    ptr: np.ndarray
    top_items: np.ndarray
    n_items: int
    mode: str
    exclude_seen: bool
    ties: str

    def metric(self, name: str, k: int, per_user: bool = False) -> np.ndarray | float:
        """``name`` in HR, NDCG, MRR, Recall (per instance when ``per_user``), or Coverage."""
        ptr = None if len(self.ptr) - 1 == len(self.ranks) else self.ptr
        fn = {"HR": M.hit_rate, "NDCG": M.ndcg, "MRR": M.mrr, "Recall": M.recall}.get(name)
        if name == "Coverage":
            return M.coverage(self.top_items, self.n_items, k)
        if fn is None:
            raise InputError(f"unknown metric {name!r}; use HR, NDCG, MRR, Recall or Coverage")
        return fn(self.ranks, k, ptr, per_user=per_user)


def _negatives(evalset: EvalSet, n_items: int, seed: int) -> np.ndarray:
    """int32[n, 100]: per instance, distinct items outside its history and targets (-1 where
    the catalogue has fewer than 100 such items). Uniform without replacement: the 100
    smallest of i.i.d. uniform keys, forbidden items given key 2."""
    rng = np.random.default_rng(seed)
    n = len(evalset)
    out = np.full((n, _SAMPLED), -1, np.int32)
    take = min(_SAMPLED, n_items)
    for lo in range(0, n, _NEG_CHUNK):
        idx = np.arange(lo, min(lo + _NEG_CHUNK, n))
        keys = rng.random((len(idx), n_items), dtype=np.float32)
        hptr, hitems = history_items(evalset.histories(idx))
        keys[np.repeat(np.arange(len(idx)), np.diff(hptr)), hitems] = 2.0
        tptr, titems = evalset.targets(idx)
        keys[np.repeat(np.arange(len(idx)), np.diff(tptr)), titems] = 2.0
        if take < n_items:
            cand = np.argpartition(keys, take - 1, axis=1)[:, :take]
        else:
            cand = np.broadcast_to(np.arange(n_items), (len(idx), n_items))
        ok = np.take_along_axis(keys, cand, axis=1) < 2.0
        out[idx, :take] = np.where(ok, cand, -1)
    return out


def rank_targets(recommender: Any, evalset: EvalSet, *, mode: str = "full",
                 exclude_seen: bool = False, ties: str = "item-order", top: int = 20,
                 batch_size: int | None = None, seed: int = 0,
                 progress: bool = False) -> Ranking:
    """Rank every target of ``evalset`` under ``recommender`` (see the module docstring).

    ``recommender`` needs ``n_items`` and ``score(histories)``; an object with only
    ``recommend(histories, k, exclude_seen)`` is accepted for full ranking, where a target
    outside its top-``top`` list counts as a miss (so only metrics at k <= ``top`` are exact).
    """
    if mode not in MODES:
        raise InputError(f"mode must be one of {MODES}, got {mode!r}")
    if ties not in TIES:
        raise InputError(f"ties must be one of {TIES}, got {ties!r}")
    if not isinstance(evalset, EvalSet):
        raise InputError(f"expected an EvalSet (split.test / split.valid), got "
                         f"{type(evalset).__name__}")
    n_items = int(getattr(recommender, "n_items", evalset.n_items))
    if n_items != evalset.n_items:
        raise InputError(f"the recommender scores {n_items} items but the split's catalogue "
                         f"has {evalset.n_items}: fit it on this split's training data")
    has_score = callable(getattr(recommender, "score", None))
    if not has_score and not callable(getattr(recommender, "recommend", None)):
        raise InputError(f"{type(recommender).__name__} has neither score() nor recommend()")
    if not has_score and mode != "full":
        raise InputError("sampled ranking needs score(); this recommender only recommends")
    n = len(evalset)
    if batch_size is None:
        batch_size = int(max(1, min(1024, (1 << 23) // max(1, n_items))))
    negatives = _negatives(evalset, n_items, seed) if mode == "sampled-100" else None
    codes = np.arange(n_items)
    ranks = np.empty(len(evalset.target_items), np.int64)
    top_items = np.empty((n, top), np.int32)
    starts = range(0, n, batch_size)
    if progress:
        from tqdm.auto import tqdm
        starts = tqdm(starts, desc="evaluate", unit="batch", leave=False)
    for lo in starts:
        idx = np.arange(lo, min(lo + batch_size, n))
        hist = evalset.histories(idx)
        tptr, titems = evalset.targets(idx)
        trow = np.repeat(np.arange(len(idx)), np.diff(tptr))
        out = slice(evalset.target_ptr[lo], evalset.target_ptr[idx[-1] + 1])
        if not has_score:
            got = recommender.recommend(hist, top, exclude_seen=exclude_seen)
            items = np.asarray(got.items)[:, :top]
            if items.shape[1] < top:  # a shorter list: the rest is "not recommended"
                items = np.pad(items, ((0, 0), (0, top - items.shape[1])), constant_values=-1)
            match = items[trow] == titems[:, None]
            ranks[out] = np.where(match.any(axis=1), match.argmax(axis=1), n_items)
            top_items[idx] = items
            continue
        scores = np.array(recommender.score(hist), dtype=np.float32, copy=True)
        check_scores(scores, len(idx), n_items)
        if exclude_seen:
            mask_seen(scores, hist)
        tscore = scores[trow, titems][:, None]
        if negatives is None:
            # one target per instance (the usual case): rows align, no copy of the block
            single = len(trow) == len(idx)
            cand_scores, cand_codes, valid = (scores if single else scores[trow]), \
                codes[None, :], None
        else:
            neg = negatives[idx][trow]
            valid = neg >= 0
            cand_scores = np.where(valid, scores[trow[:, None], np.maximum(neg, 0)], -np.inf)
            cand_codes = neg
        greater = cand_scores > tscore
        equal = cand_scores == tscore
        if valid is not None:
            greater &= valid
            equal &= valid
        if ties == "item-order":
            rank = greater.sum(axis=1) + (equal & (cand_codes < titems[:, None])).sum(axis=1)
        else:
            rank = greater.sum(axis=1) + equal.sum(axis=1) - (negatives is None)
        ranks[out] = np.where(np.isneginf(tscore[:, 0]), n_items, rank)
        top_items[idx] = top_k(scores, top).items
    return Ranking(ranks, evalset.target_ptr.copy(), top_items, n_items, mode,
                   bool(exclude_seen), ties)


def _recommender_items(recommenders: Any, name: str | None) -> list[tuple[str, Any]]:
    if isinstance(recommenders, dict):
        return [(str(key), rec) for key, rec in recommenders.items()]
    if isinstance(recommenders, (list, tuple)):
        return [(getattr(r, "name", type(r).__name__), r) for r in recommenders]
    return [(name or getattr(recommenders, "name", type(recommenders).__name__), recommenders)]


def evaluate(recommender: Any, split: Split | EvalSet,
             k: int | Sequence[int] = (1, 5, 10, 20), mode: str = "full",
             exclude_seen: bool = False, on: str = "test", *, ties: str = "item-order",
             batch_size: int | None = None, seed: int = 0, name: str | None = None,
             progress: bool = False) -> pd.DataFrame:
    """Evaluate one recommender (or a list, or a dict name -> recommender) on a split.

    Returns a DataFrame with one row per recommender (index ``model``): HR@k, NDCG@k, MRR@k,
    Recall@k and Coverage@k for every k, then the protocol (``mode``, ``exclude_seen``,
    ``ties``, ``split``, ``on``, ``instances``, ``items``). Under ``mode="sampled-100"`` the
    metric names carry ``[sampled-100]``. ``df.attrs["protocol"]`` describes the protocol in
    words; :func:`format_table` prints both.
    """
    ks = [k] if isinstance(k, (int, np.integer)) else list(k)
    if not ks or any(isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < 1
                     for x in ks):
        raise InputError(f"k must be ints >= 1, got {k!r}")
    ks = sorted({int(x) for x in ks})
    if isinstance(split, Split):
        if on not in ("test", "valid"):
            raise InputError(f"on must be 'test' or 'valid', got {on!r}")
        evalset, kind = (split.test if on == "test" else split.valid), split.kind
    elif isinstance(split, EvalSet):
        evalset, kind, on = split, "custom", "given"
    else:
        raise InputError(f"evaluate() takes a Split or an EvalSet, got {type(split).__name__}")
    if len(evalset) == 0:
        raise InputError(f"the {on} set is empty: nothing to evaluate")
    suffix = "" if mode == "full" else f"[{mode}]"
    rows = []
    names = []
    for rec_name, rec in _recommender_items(recommender, name):
        ranking = rank_targets(rec, evalset, mode=mode, exclude_seen=exclude_seen, ties=ties,
                               top=max(ks), batch_size=batch_size, seed=seed,
                               progress=progress)
        row: dict[str, Any] = {}
        for metric in ("HR", "NDCG", "MRR", "Recall", "Coverage"):
            for kk in ks:
                row[f"{metric}@{kk}{suffix if metric != 'Coverage' else ''}"] = \
                    ranking.metric(metric, kk)
        row.update({"mode": mode, "exclude_seen": bool(exclude_seen), "ties": ties,
                    "split": kind, "on": on, "instances": len(evalset),
                    "items": evalset.n_items})
        rows.append(row)
        names.append(rec_name)
    df = pd.DataFrame(rows, index=pd.Index(names, name="model"))
    df.attrs["protocol"] = describe_protocol(mode, exclude_seen, kind, on, len(evalset),
                                             evalset.n_items, ties)
    return df


def describe_protocol(mode: str, exclude_seen: bool, kind: str, on: str, n: int,
                      n_items: int, ties: str) -> str:
    if mode == "full":
        how = f"full ranking over all {n_items} items"
    else:
        how = ("SAMPLED ranking: each target against 100 sampled negatives (sampled-100; "
               "not comparable with full ranking)")
    seen = "seen items excluded" if exclude_seen else "seen items kept"
    return f"{how}; {seen}; ties {ties}; split {kind}, on {on} ({n} instances)"


def format_table(df: pd.DataFrame, floatfmt: str = "{:.4f}",
                 markdown: bool = False) -> str:
    """The metric table as text (or Markdown), headed by its protocol line."""
    protocol = df.attrs.get("protocol", "")
    metric_cols = [c for c in df.columns if "@" in c]
    shown = df[metric_cols].map(lambda v: floatfmt.format(v))
    if markdown:
        header = "| model | " + " | ".join(metric_cols) + " |"
        rule = "|---|" + "---:|" * len(metric_cols)
        lines = [header, rule] + [f"| {idx} | " + " | ".join(row) + " |"
                                  for idx, row in zip(shown.index, shown.values.tolist())]
        return (f"Protocol: {protocol}\n\n" if protocol else "") + "\n".join(lines)
    return (f"Protocol: {protocol}\n" if protocol else "") + shown.to_string()
