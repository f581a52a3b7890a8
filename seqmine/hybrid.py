"""HybridScorer: a weighted blend of recommenders (rules, neural rankers, popularity), with
weights fit on the validation split and explanations that add up.

Method
------
Normalisation. For each history, each component's scores over the catalogue become a
distribution over the items, so the blend is a mixture of next-item distributions:

* ``"softmax"`` for neural rankers: their scores are the logits of a softmax trained with
  cross-entropy, so the softmax gives their next-item probabilities;
* ``"sum"`` for rule recommenders (and the item-pair baseline) and popularity: their
  scores (sums of rule weights, counts) are non-negative, and divided by their sum over
  the catalogue they are a distribution;
* ``"zscore"`` (standardised over the catalogue) for any other recommender.

``normalize={"name": "zscore", ...}`` overrides the defaults. Rule scores stay linear in
the rules' contributions ("sum", or "zscore" without centring: a shift of every item of a
history never changes a ranking), so the rules of an explanation add up to the rule
component; "softmax" is refused for them. A row whose normaliser is 0 (a history no rule
fires for) normalises to 0 everywhere. An item some component scores ``-inf`` is ruled out
of the blend.

Blend. ``score = float32(sum_c w[c] * z[c])`` summed in component order in float64, with
``w`` on the simplex (``w >= 0``, ``sum(w) = 1``).

Fitting (validation only). Every weight vector of the simplex lattice with step
``1 / resolution`` (66 vectors for 3 components at the default resolution 10; the vertices,
i.e. each component alone, are among them) is scored on the validation instances with the
evaluation protocol's rules (full ranking, ``exclude_seen``, the tie rule) and the weights
with the best ``metric@k`` (NDCG@10 by default) win; ties go to the vector listed first
(lexicographic, first component's weight largest). Components are scored once per batch
of validation histories and one Numba pass ranks the targets under every vector, exactly as
:func:`seqmine.evaluate` would rank them under the blended scores. So on the validation
instances the blend is at least as good as each component alone.

Explanations. :meth:`HybridScorer.explain` gives, for each recommended item, each
component's contribution ``w[c] * z[c]`` (they add up, in order, to the blended score) and
the rules that fired for it, each with its share of the rule component (its rule
contribution times ``w / scale``, the row's normaliser; they add up to the rule component
up to the float32 rounding of the rule scores).

torch is imported only when a saved neural component is loaded.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

from seqmine._kernels import blend as kblend
from seqmine.data.codebook import Codebook
from seqmine.data.split import EvalSet, Split
from seqmine.errors import FormatVersionError, InputError
from seqmine.evaluate import metrics
from seqmine.io.atomic import atomic_path, atomic_write_bytes
from seqmine.recommend import (
    PopularityRecommender,
    RecommenderBase,
    TopK,
    as_histories,
    check_scores,
    mask_seen,
    slice_histories,
    top_k,
)
from seqmine.rules.baseline import ItemPairBaseline
from seqmine.rules.recommender import RuleRecommender

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FORMAT", "FORMAT_VERSION", "NORMALISATIONS", "HybridExplanation", "HybridScorer",
           "default_normalisation", "load", "load_recommender", "normalise", "simplex_lattice"]

FORMAT = "seqmine-hybrid"
FORMAT_VERSION = 1
METRICS = {"HR": metrics.hit_rate, "NDCG": metrics.ndcg, "MRR": metrics.mrr,
           "Recall": metrics.recall}
NORMALISATIONS = ("sum", "softmax", "zscore")
#: bytes of normalised scores held per validation batch while fitting
_FIT_BLOCK_BYTES = 1 << 26


def normalise(scores: np.ndarray, how: str = "zscore", center: bool = True
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-row normalised scores, the mask of finite entries and each row's scale.

    Returns ``(z float64[B, n], finite bool[B, n], scale float64[B])``; over each row's finite
    entries (``z`` is 0 elsewhere):

    * ``"sum"``: ``z = s / sum(s)`` (non-negative scores: a distribution), scale ``sum(s)``;
    * ``"softmax"``: ``z = exp(s - max) / sum(exp(s - max))``, scale that sum;
    * ``"zscore"``: ``z = (s - mean) / sd`` (``s / sd`` without ``center``), scale ``sd``.

    A row whose scale is 0 (nothing scored, or no spread) normalises to 0 everywhere.
    """
    s = np.asarray(scores, dtype=np.float64)
    finite = np.isfinite(s)
    s0 = np.where(finite, s, 0.0)
    if how == "sum":
        if np.any(s0 < 0):
            raise InputError("normalisation 'sum' needs non-negative scores; use 'softmax' "
                             "or 'zscore'")
        z = s0
    elif how == "softmax":
        top = np.where(finite, s, -np.inf).max(axis=1, keepdims=True) if s.shape[1] else \
            np.zeros((len(s), 1))
        z = np.where(finite, np.exp(s0 - np.where(np.isfinite(top), top, 0.0)), 0.0)
    elif how == "zscore":
        count = np.maximum(finite.sum(axis=1, keepdims=True), 1)
        mean = s0.sum(axis=1, keepdims=True) / count
        dev = np.where(finite, s0 - mean, 0.0)
        scale = np.sqrt((dev ** 2).sum(axis=1) / count[:, 0])
        z = dev if center else s0
    else:
        raise InputError(f"normalisation must be one of {NORMALISATIONS}, got {how!r}")
    if how != "zscore":
        scale = z.sum(axis=1)
    safe = np.where(scale > 0, scale, 1.0)[:, None]
    z = z / safe
    z[~finite | (scale == 0)[:, None]] = 0.0
    return z, finite, scale


def default_normalisation(component: Any) -> str:
    """"sum" for rule, item-pair and popularity recommenders (non-negative scores),
    "softmax" for neural rankers, else "zscore" (see the module docstring)."""
    if isinstance(component, (RuleRecommender, ItemPairBaseline, PopularityRecommender)):
        return "sum"
    if type(component).__module__.startswith("seqmine.neural"):
        return "softmax"
    return "zscore"


def simplex_lattice(n_components: int, resolution: int) -> np.ndarray:
    """float64[G, C]: every weight vector with entries in multiples of ``1 / resolution``
    summing to 1, lexicographically descending (so ``(1, 0, ..., 0)`` first)."""
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) \
            or resolution < 1:
        raise InputError(f"resolution must be an int >= 1, got {resolution!r}")
    rows = [c for c in itertools.product(range(resolution, -1, -1), repeat=n_components)
            if sum(c) == resolution]
    return np.asarray(rows, dtype=np.float64) / resolution


@dataclass(frozen=True)
class HybridExplanation:
    """Recommendations for one history, with what each component and each rule added.

    ``items`` int32[k'] codes (best first; ``k' <= k`` when fewer items can be ranked),
    ``scores`` float64[k'] blended scores (``HybridScorer.score`` gives them rounded to
    float32), ``contributions`` float64[k', C]: component ``c``'s part ``w[c] * z[c]`` of each
    score (summed in column order they give ``scores`` exactly). ``rules`` has one row per
    fired rule and recommended item, as :class:`seqmine.rules.Explanation.rules`, plus
    ``component`` (the rule component's name) and ``hybrid_contribution`` (the rule's share
    of that component's contribution).
    """

    items: np.ndarray
    scores: np.ndarray
    components: tuple[str, ...]
    weights: np.ndarray
    contributions: np.ndarray
    rules: pd.DataFrame
    codebook: Codebook | None = None

    def item_ids(self) -> list[Any]:
        """Original ids of the recommended items (codes when no codebook is known)."""
        return self.codebook.decode_list(self.items) if self.codebook is not None else \
            self.items.tolist()

    def to_pandas(self) -> pd.DataFrame:
        """One row per item: rank, item, item_id, score, one column per component (its
        contribution), n_rules (rules that fired for the item)."""
        import pandas as pd
        frame = pd.DataFrame({"rank": np.arange(len(self.items)), "item": self.items,
                              "item_id": self.item_ids(), "score": self.scores})
        fixed = {*frame.columns, "n_rules"}
        for c, name in enumerate(self.components):
            frame[name if name not in fixed else f"{name} (component)"] = \
                self.contributions[:, c]
        counts = self.rules.groupby("rank").size() if len(self.rules) else pd.Series(
            dtype=np.int64)
        frame["n_rules"] = counts.reindex(frame["rank"], fill_value=0).to_numpy()
        return frame


class HybridScorer(RecommenderBase):
    """A weighted blend of recommenders (see the module docstring for the exact method).

    Parameters
    ----------
    components : recommenders with ``n_items`` and ``score(histories)`` on one catalogue
        (a list, names from their ``name``; or a dict name -> recommender).
    fit_on : validation instances to fit the weights on (``split.valid``, or a Split, whose
        ``valid`` is used); never the test set.
    weights : fixed weights instead of fitting (non-negative, normalised to sum to 1).
    metric, k : the validation objective, ``metric@k`` (HR, NDCG, MRR or Recall).
    exclude_seen, ties : the evaluation protocol the weights are fit under (as in
        :func:`seqmine.evaluate`).
    normalize : normalisation per component name ("sum", "softmax" or "zscore"); the
        defaults are in the module docstring.
    resolution : lattice step ``1 / resolution`` of the weight search.
    max_instances : fit on a fixed random sample of at most this many instances.
    """

    name = "hybrid"
    #: smaller blocks than other recommenders: each holds C float64 score arrays
    score_batch_items = 1 << 22

    def __init__(self, components: Sequence[Any] | Mapping[str, Any],
                 fit_on: EvalSet | Split | None = None, *,
                 weights: Sequence[float] | Mapping[str, float] | None = None,
                 normalize: Mapping[str, str] | None = None, metric: str = "NDCG",
                 k: int = 10, exclude_seen: bool = False, ties: str = "item-order",
                 resolution: int = 10,
                 max_instances: int | None = None, seed: int = 0,
                 progress: bool = False) -> None:
        self.names, self.components = _named(components)
        n_items = {int(c.n_items) for c in self.components}
        if len(n_items) != 1:
            raise InputError(f"components score different catalogues ({sorted(n_items)} "
                             "items): fit them on the same split")
        self._n = n_items.pop()
        self.codebook: Codebook | None = next(
            (c.codebook for c in self.components
             if isinstance(getattr(c, "codebook", None), Codebook)), None)
        self.normalize = self._check_normalize(normalize or {})
        self.fit_info: dict[str, Any] = {}
        self.validation_: pd.DataFrame | None = None
        if (fit_on is None) == (weights is None):
            raise InputError("give either fit_on (split.valid) to fit the weights, or weights")
        if weights is not None:
            self.weights = self._check_weights(weights)
        else:
            assert fit_on is not None
            self.weights = np.full(len(self.components), 1.0 / len(self.components))
            self.fit(fit_on, metric=metric, k=k, exclude_seen=exclude_seen, ties=ties,
                     resolution=resolution, max_instances=max_instances, seed=seed,
                     progress=progress)

    def __repr__(self) -> str:
        shown = ", ".join(f"{n} {w:.2f}" for n, w in zip(self.names, self.weights,
                                                         strict=True))
        return f"HybridScorer({shown}; {self.n_items} items)"

    @property
    def n_items(self) -> int:
        return self._n

    def _check_normalize(self, given: Mapping[str, str]) -> tuple[str, ...]:
        unknown = set(given) - set(self.names)
        if unknown:
            raise InputError(f"normalize names unknown components {sorted(unknown)}; "
                             f"components are {list(self.names)}")
        out = []
        for name, comp in zip(self.names, self.components, strict=True):
            how = given.get(name, default_normalisation(comp))
            if how not in NORMALISATIONS:
                raise InputError(f"normalisation of {name!r} must be one of {NORMALISATIONS}, "
                                 f"got {how!r}")
            if how == "softmax" and isinstance(comp, RuleRecommender):
                raise InputError(f"rule component {name!r}: use 'sum' or 'zscore' (a softmax "
                                 "would not keep the rules' contributions additive)")
            out.append(how)
        return tuple(out)

    def _check_weights(self, weights: Sequence[float] | Mapping[str, float]) -> np.ndarray:
        if isinstance(weights, Mapping):
            unknown = set(weights) - set(self.names)
            if unknown:
                raise InputError(f"weights name unknown components {sorted(unknown)}; "
                                 f"components are {list(self.names)}")
            weights = [float(weights.get(n, 0.0)) for n in self.names]
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (len(self.components),):
            raise InputError(f"need one weight per component ({len(self.components)}), got "
                             f"{w.shape[0] if w.ndim == 1 else w.shape}")
        if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise InputError(f"weights must be finite, >= 0 and not all 0, got {w.tolist()}")
        normalised: np.ndarray = w / w.sum()
        return normalised

    # --- scoring ---------------------------------------------------------------------------
    def _normalised(self, histories: Any) -> tuple[list[np.ndarray], np.ndarray,
                                                   list[np.ndarray]]:
        """``(z, banned, scale)`` of a batch: each component's normalised scores
        float64[B, n], the items some component rules out bool[B, n], each component's row
        normalisers (see :func:`normalise`)."""
        h = as_histories(histories)
        n_hist = len(h.seq_ptr) - 1
        zs, scales = [], []
        banned = np.zeros((n_hist, self._n), dtype=bool)
        for name, comp, how in zip(self.names, self.components, self.normalize, strict=True):
            s = np.asarray(comp.score(h), dtype=np.float32)
            check_scores(s, n_hist, self._n)
            try:
                z, finite, scale = normalise(s, how, center=not isinstance(comp,
                                                                           RuleRecommender))
            except InputError as exc:
                raise InputError(f"component {name!r}: {exc}") from exc
            banned |= ~finite
            zs.append(z)
            scales.append(scale)
        return zs, banned, scales

    def _blend(self, zs: list[np.ndarray], banned: np.ndarray) -> np.ndarray:
        acc = np.zeros(banned.shape, np.float64)
        for w, z in zip(self.weights, zs, strict=True):
            acc += w * z
        out = acc.astype(np.float32)
        out[banned] = -np.inf
        return out

    def score(self, histories: Any) -> np.ndarray:
        """Blended scores float32[B, n_items] (``-inf`` for items a component rules out)."""
        zs, banned, _ = self._normalised(histories)
        return self._blend(zs, banned)

    @overload
    def recommend(self, histories: Any, k: int = ..., exclude_seen: bool = ..., *,
                  explain: Literal[False] = ...) -> TopK: ...

    @overload
    def recommend(self, histories: Any, k: int = ..., exclude_seen: bool = ..., *,
                  explain: Literal[True]) -> list[HybridExplanation]: ...

    def recommend(self, histories: Any, k: int = 10, exclude_seen: bool = False, *,
                  explain: bool = False) -> TopK | list[HybridExplanation]:
        """Top ``k`` items per history (:class:`TopK`); with ``explain`` a list of
        :class:`HybridExplanation`, one per history, with the same items and scores."""
        if not explain:
            return super().recommend(histories, k, exclude_seen)
        h = as_histories(histories)
        return [self.explain(slice_histories(h, b, b + 1), k, exclude_seen)
                for b in range(len(h.seq_ptr) - 1)]

    def explain(self, history: Any, k: int = 10, exclude_seen: bool = False) -> \
            HybridExplanation:
        """The top ``k`` items for one history with every component's contribution and the
        rules that fired (see :class:`HybridExplanation`)."""
        import pandas as pd
        h = as_histories(history)
        if len(h.seq_ptr) != 2:
            raise InputError(f"explain takes one history, got {len(h.seq_ptr) - 1}")
        zs, banned, scales = self._normalised(h)
        blended = self._blend(zs, banned)
        if exclude_seen:
            mask_seen(blended, h)
        chosen = top_k(blended, k).items[0]
        chosen = chosen[chosen >= 0]
        parts = np.stack([w * z[0, chosen] for w, z in zip(self.weights, zs, strict=True)],
                         axis=1) if len(chosen) else np.zeros((0, len(zs)))
        scores = np.zeros(len(chosen))
        for c in range(parts.shape[1]):
            scores = scores + parts[:, c]
        frames = []
        for c, comp in enumerate(self.components):
            if not isinstance(comp, RuleRecommender) or not len(chosen):
                continue
            rules = comp.explain(h, items=chosen).rules.copy()
            scale = float(scales[c][0])
            # the rule component is w * s / scale, so a rule's share is its contribution
            # times w / scale; a row whose scale is 0 normalises to 0
            rules.insert(0, "component", self.names[c])
            rules["hybrid_contribution"] = rules["contribution"].to_numpy() * (
                self.weights[c] / scale if scale > 0 else 0.0)
            frames.append(rules)
        table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
            {"rank": np.zeros(0, np.int64), "item": np.zeros(0, np.int32),
             "component": np.zeros(0, str), "contribution": np.zeros(0),
             "hybrid_contribution": np.zeros(0)})
        return HybridExplanation(chosen.astype(np.int32), scores, self.names,
                                 self.weights.copy(), parts, table, self.codebook)

    # --- fitting ---------------------------------------------------------------------------
    def fit(self, fit_on: EvalSet | Split, *, metric: str = "NDCG", k: int = 10,
            exclude_seen: bool = False, ties: str = "item-order", resolution: int = 10,
            max_instances: int | None = None, seed: int = 0,
            progress: bool = False) -> HybridScorer:
        """Choose the weights on ``fit_on`` (validation instances) by the lattice search of
        the module docstring; the table of every vector tried is kept in ``validation_``."""
        import pandas as pd
        evalset = fit_on.valid if isinstance(fit_on, Split) else fit_on
        if not isinstance(evalset, EvalSet):
            raise InputError(f"fit_on must be split.valid (an EvalSet) or a Split, got "
                             f"{type(fit_on).__name__}")
        if metric not in METRICS:
            raise InputError(f"metric must be one of {sorted(METRICS)}, got {metric!r}")
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise InputError(f"k must be an int >= 1, got {k!r}")
        if ties not in ("item-order", "pessimistic"):
            raise InputError(f"ties must be 'item-order' or 'pessimistic', got {ties!r}")
        if evalset.n_items != self._n:
            raise InputError(f"the validation set's catalogue has {evalset.n_items} items; "
                             f"the components score {self._n}")
        if max_instances is not None:
            evalset = evalset.sample(max_instances, seed)
        if len(evalset) == 0:
            raise InputError("the validation set is empty: nothing to fit the weights on")
        lattice = simplex_lattice(len(self.components), resolution)
        ranks = self._lattice_ranks(evalset, lattice, int(k), exclude_seen,
                                    ties == "pessimistic", progress)
        ptr = None if len(evalset.target_items) == len(evalset) else evalset.target_ptr
        objective = np.array([float(METRICS[metric](ranks[g], int(k), ptr))
                              for g in range(len(lattice))])
        best = int(np.argmax(objective))
        self.weights = lattice[best].copy()
        column = f"{metric}@{k}"
        self.validation_ = pd.DataFrame(lattice, columns=list(self.names))
        self.validation_[column] = objective
        vertices = {name: float(objective[int(np.flatnonzero(lattice[:, c] == 1.0)[0])])
                    for c, name in enumerate(self.names)}
        self.fit_info = {"metric": metric, "k": int(k), "exclude_seen": bool(exclude_seen),
                         "ties": ties, "resolution": int(resolution),
                         "instances": len(evalset), "objective": float(objective[best]),
                         "single": vertices}
        return self

    def _lattice_ranks(self, evalset: EvalSet, lattice: np.ndarray, k: int,
                       exclude_seen: bool, pessimistic: bool, progress: bool) -> np.ndarray:
        """int64[G, targets]: each target's rank capped at ``k`` under every vector."""
        n = len(evalset)
        step = max(1, _FIT_BLOCK_BYTES // (8 * self._n * len(self.components)))
        out = np.empty((len(lattice), len(evalset.target_items)), np.int64)
        starts: Any = range(0, n, step)
        if progress:
            from tqdm.auto import tqdm
            starts = tqdm(starts, desc="fit hybrid weights", unit="batch", leave=False)
        for lo in starts:
            idx = np.arange(lo, min(lo + step, n))
            hist = evalset.histories(idx)
            zs, banned, _ = self._normalised(hist)
            if exclude_seen:
                seen = np.zeros(banned.shape, np.float32)
                mask_seen(seen, hist)
                banned |= np.isneginf(seen)
            tptr, titems = evalset.targets(idx)
            trow = np.repeat(np.arange(len(idx), dtype=np.int64), np.diff(tptr))
            cols = slice(int(evalset.target_ptr[lo]), int(evalset.target_ptr[idx[-1] + 1]))
            block = np.empty((len(lattice), len(trow)), np.int64)
            kblend.blend_ranks(np.stack(zs, axis=2), banned, trow,
                               titems.astype(np.int64), lattice, k, pessimistic, block)
            out[:, cols] = block
        return out

    # --- persistence -----------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the hybrid to folder ``path``: one sub-folder per component, codebook.parquet
        and config.json (written last, so a folder with a config is complete)."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        entries = []
        for i, (name, comp) in enumerate(zip(self.names, self.components, strict=True)):
            sub = folder / "components" / f"{i}-{_slug(name)}"
            sub.mkdir(parents=True, exist_ok=True)
            entries.append({"name": name, "path": str(sub.relative_to(folder)),
                            "normalize": self.normalize[i], **_save_component(comp, sub)})
        if self.codebook is not None:
            _write_codebook(self.codebook, folder / "codebook.parquet")
        config = {"format": FORMAT, "version": FORMAT_VERSION, "components": entries,
                  "weights": self.weights.tolist(), "fit": self.fit_info}
        atomic_write_bytes(folder / "config.json", json.dumps(config, indent=2).encode())
        return folder


def _named(components: Sequence[Any] | Mapping[str, Any]) -> tuple[tuple[str, ...], list[Any]]:
    if isinstance(components, Mapping):
        pairs = [(str(n), c) for n, c in components.items()]
    elif isinstance(components, (list, tuple)):
        pairs = [(str(getattr(c, "name", type(c).__name__)), c) for c in components]
    else:
        raise InputError("components must be a list of recommenders or a dict name -> "
                         "recommender")
    if not pairs:
        raise InputError("a hybrid needs at least one component")
    for name, comp in pairs:
        if not callable(getattr(comp, "score", None)) or not hasattr(comp, "n_items"):
            raise InputError(f"component {name!r} ({type(comp).__name__}) has no score() / "
                             "n_items: it is not a recommender")
    names: list[str] = []
    for name, _ in pairs:
        base, n = name, 2
        while name in names:  # two components of one kind: "rules", "rules-2"
            name, n = f"{base}-{n}", n + 1
        names.append(name)
    return tuple(names), [c for _, c in pairs]


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)


def _write_codebook(codebook: Codebook, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    with atomic_path(path) as tmp:
        pq.write_table(pa.table({"item": codebook.to_arrow()}), tmp)


def _read_codebook(path: Path) -> Codebook | None:
    import pyarrow.parquet as pq
    if not path.is_file():
        return None
    return Codebook(pq.read_table(path).column("item").combine_chunks())


def _save_component(comp: Any, folder: Path) -> dict[str, Any]:
    if isinstance(comp, RuleRecommender):
        comp.to_parquet(folder / "rules.parquet")
        return {"kind": "rules"}
    if isinstance(comp, PopularityRecommender):
        if comp.counts is None:
            raise InputError("the popularity component is not fitted")
        with atomic_path(folder / "counts.npy") as tmp, open(tmp, "wb") as fh:
            np.save(fh, comp.counts)
        return {"kind": "popularity", "by": comp.by}
    if type(comp).__module__.startswith("seqmine.neural"):
        comp.save(folder)
        return {"kind": "neural"}
    raise InputError(f"cannot save a component of type {type(comp).__name__}: a saved "
                     "hybrid holds rule, neural and popularity recommenders")


def _load_component(entry: Mapping[str, Any], folder: Path, device: str) -> Any:
    kind = entry.get("kind")
    if kind == "rules":
        return RuleRecommender.read_parquet(folder / "rules.parquet")
    if kind == "popularity":
        pop = PopularityRecommender(by=entry.get("by", "events"))
        pop.counts = np.load(folder / "counts.npy", allow_pickle=False).astype(np.float32)
        return pop
    if kind == "neural":
        from seqmine.neural import load as load_neural
        return load_neural(folder, device=device)
    raise InputError(f"unknown component kind {kind!r} in the hybrid at {folder.parent}")


def load(path: str | Path, device: str = "cpu") -> HybridScorer:
    """Read a hybrid written by :meth:`HybridScorer.save` (same weights, same scores)."""
    folder = Path(path)
    config = _read_config(folder)
    if config.get("format") != FORMAT:
        raise InputError(f"{folder} is not a seqmine hybrid model")
    if config.get("version") != FORMAT_VERSION:
        raise FormatVersionError(f"{folder} has hybrid format version {config.get('version')};"
                                 f" this seqmine reads version {FORMAT_VERSION}")
    comps = {e["name"]: _load_component(e, folder / e["path"], device)
             for e in config["components"]}
    hybrid = HybridScorer(comps, weights=config["weights"],
                          normalize={e["name"]: e["normalize"] for e in config["components"]})
    hybrid.fit_info = dict(config.get("fit", {}))
    codebook = _read_codebook(folder / "codebook.parquet")
    if codebook is not None:
        hybrid.codebook = codebook
    return hybrid


def _read_config(folder: Path) -> dict[str, Any]:
    path = folder / "config.json"
    if not path.is_file():
        raise InputError(f"{folder} holds no seqmine model (config.json missing)")
    try:
        config = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(config, dict):
        raise InputError(f"{path} is not a seqmine model config")
    return config


def load_recommender(path: str | Path, device: str = "cpu") -> Any:
    """Any saved seqmine recommender: a hybrid or neural model folder, or a rule
    recommender file (``RuleRecommender.to_parquet``; or a folder holding rules.parquet)."""
    p = Path(path)
    if p.is_dir() and not (p / "config.json").is_file() and (p / "rules.parquet").is_file():
        p = p / "rules.parquet"
    if p.is_file():
        return RuleRecommender.read_parquet(p)
    if not p.exists():
        raise InputError(f"no seqmine model at {p} (no such file or folder)")
    config = _read_config(p)
    if config.get("format") == FORMAT:
        return load(p, device)
    from seqmine.neural import load as load_neural
    return load_neural(p, device=device)
