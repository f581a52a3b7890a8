"""Mined rules and patterns as features of the neural ranker.

Two variants, switchable with ``mode`` (``train(..., features=..., feature_mode=...)``):

* ``"logit"``: the rule score of every candidate item at every position, exactly as
  :meth:`seqmine.RuleRecommender.score` gives it for the window read up to that position,
  enters that position's logits as ``extra_logit_weight * g(score)`` (the ranker's learned
  weight; ``g`` = ``log1p(score / scale)`` by default, ``score / scale`` with
  ``transform="linear"``). ``scale`` is the share of an antecedent's total rule weight
  (averaged over antecedents) that one item would get if it were spread evenly over the
  catalogue, so ``g`` reads as the log of a lift over uniform and one learned weight suits
  every data set. ``init_weight`` (1.0: the network's softmax times ``1 + score / scale``, a
  product of experts) starts the ranker as the rule recommender plus an untrained network:
  it learns the residual instead of first having to find the rules' weight with a step of
  about ``lr`` per batch.
* ``"embedding"``: embeddings of the mined patterns that end at each position are added to
  that position's input embedding. A pattern ends at t when its last item is the item at t
  and its other items occur, in order, among the ``window`` items before t; the
  ``per_position`` best (longest, then most supported) are used, embedded by a table
  initialised to zero (so training starts from the plain model) and scaled as the ranker
  scales its item embeddings (``sqrt(dim)`` for SASRec). Patterns come from a
  :class:`~seqmine.PatternSet`, or, given only rules, are the rules' ``antecedent + [item]``
  (the ``max_patterns`` most supported either way).
* ``"both"``.

Both are causal: row t depends on the items at positions 0..t only. Windows are read as one
item per event (the token sequence the network reads), so patterns or antecedents with an
itemset of two or more items never match and are left out; on one-item-per-event data (every
shared recommendation data set) the rule scores equal ``RuleRecommender.score`` exactly,
apart from two deliberate differences: each antecedent keeps its ``top_k`` heaviest rules
(``RuleRecommender(max_rules_per_item=top_k)``; ``None`` keeps all) and only the model's
window (the last ``max_len`` items) is read. On the shared data sets top_k=100 changes
validation NDCG@10 of the rule recommender by less than 0.001.

Efficiency: which antecedents fire at each position (and which patterns end there) is
computed once per training window by Numba kernels (``int32[W, L, F]``, F <= ``last`` for
item-to-item rules), and the network only turns the positions it trains on into rule scores:
a gather of the firing antecedents' top_k consequents and a ``scatter_add`` into those rows.
Everything the features need (rule tables, pattern index, embeddings) is module state, so a
saved model reloads with identical scores.
"""

from __future__ import annotations

import dataclasses
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from seqmine._kernels import features as kfeatures
from seqmine.errors import InputError
from seqmine.patterns.csr import lengths_to_ptr, take_ranges
from seqmine.patterns.patternset import PatternSet
from seqmine.rules.recommender import RuleRecommender
from seqmine.rules.ruleset import RuleSet

__all__ = ["MODES", "MinedFeatures", "PatternFeatures", "RuleLogits", "build_features"]

MODES = ("logit", "embedding", "both")
TRANSFORMS = ("log", "linear")


# --- patterns as token runs ---------------------------------------------------------------

def _singleton_runs(pat_ptr: np.ndarray, set_ptr: np.ndarray, items: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Patterns whose itemsets all hold one item, as token runs (code + 1).

    Returns (kept pattern indices, run ptr, tokens): the other patterns cannot match a
    window read as one item per event.
    """
    n = len(pat_ptr) - 1
    multi = np.diff(set_ptr) != 1
    pat_of_set = np.repeat(np.arange(n), np.diff(pat_ptr))
    kept = np.flatnonzero(np.bincount(pat_of_set, weights=multi, minlength=n) == 0)
    sets = take_ranges(pat_ptr, kept)
    return kept, lengths_to_ptr(np.diff(pat_ptr)[kept]), items[set_ptr[sets]].astype(np.int64) + 1


def _anchor_index(run_ptr: np.ndarray, tokens: np.ndarray, priority: np.ndarray,
                  n_items: int) -> tuple[np.ndarray, np.ndarray]:
    """Runs indexed by their last token (``anc_ptr`` over tokens 0..n_items), ordered by
    ``priority`` (ascending) within a token."""
    anchor = tokens[run_ptr[1:] - 1] if len(tokens) else np.zeros(0, np.int64)
    order = np.lexsort((np.arange(len(anchor)), priority, anchor))
    return lengths_to_ptr(np.bincount(anchor, minlength=n_items + 1)), order.astype(np.int64)


def _count_then_fill(call: Any, shape: tuple[int, ...], dtypes: tuple[Any, ...]
                     ) -> tuple[np.ndarray, ...]:
    """Run a kernel that counts per cell and fills outputs ``[*shape, width]`` while they
    have room: once with width 0 to count, once as wide as the largest count."""
    counts = np.zeros(shape, np.int64)
    call(*(np.zeros((*shape, 0), d) for d in dtypes), counts)
    width = int(counts.max(initial=0))
    outs = tuple(np.zeros((*shape, width), d) for d in dtypes)
    call(*outs, counts)
    return outs


def _ends(tokens: np.ndarray, matcher: tuple[np.ndarray, ...], window: int, cap: int
          ) -> np.ndarray:
    """``int32[W, L, G]``: ids + 1 of the runs ending at each position (0 = none)."""
    tokens = np.ascontiguousarray(tokens, np.int64)
    anc_ptr, anc_pat, run_ptr, run_tok = matcher
    return _count_then_fill(
        lambda out, counts: kfeatures.pattern_ends(tokens, anc_ptr, anc_pat, run_ptr, run_tok,
                                                   window, cap, out, counts),
        tokens.shape, (np.int32,))[0]


def _fired(ends: np.ndarray, last: int, n_runs: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids + 1, lags), both ``int32[W, L, F]``, of the antecedents firing at each
    position: each once, at its most recent end among the last ``last`` positions."""
    ids, lags = _count_then_fill(
        lambda i, j, counts: kfeatures.fired(ends, last, n_runs, i, j, counts),
        ends.shape[:2], (np.int32, np.int32))
    return ids, lags


# --- what to build -------------------------------------------------------------------------

@dataclass(frozen=True)
class MinedFeatures:
    """Mined features for :func:`seqmine.neural.train` and their options.

    rules : a fitted RuleRecommender, or next-item rules (RuleSet of kind "next-item" or
        "next-item-window", scored as ``RuleRecommender.from_rules`` does). Mine them on the
        training split only.
    patterns : a PatternSet for the embedding variant (default: the rules' patterns).
    mode : "logit", "embedding" or "both" (default: "logit" when rules are given, else
        "embedding").
    top_k : heaviest rules kept per antecedent (None: all).
    transform : "log" (``log1p(score / scale)``) or "linear" (``score / scale``).
    init_weight : initial value of the ranker's ``extra_logit_weight`` (logit variant).
    window : items before a position in which a pattern's earlier items must lie.
    per_position : patterns embedded per position (the longest, then most supported).
    max_patterns : size of the pattern vocabulary (most supported first).
    """

    rules: RuleRecommender | RuleSet | None = None
    patterns: PatternSet | None = None
    mode: str | None = None
    top_k: int | None = 100
    transform: str = "log"
    init_weight: float = 1.0
    window: int = 10
    per_position: int = 1
    max_patterns: int = 50_000

    @classmethod
    def of(cls, source: Any, mode: str | None = None) -> MinedFeatures:
        """From what ``train(features=...)`` accepts: a MinedFeatures, a rule source, a
        PatternSet, or a tuple / list of one rule source and one PatternSet."""
        if isinstance(source, MinedFeatures):
            if mode is not None and source.mode is not None and mode != source.mode:
                raise InputError(f"feature_mode={mode!r} disagrees with the MinedFeatures "
                                 f"mode {source.mode!r}")
            spec = source
        else:
            parts = list(source) if isinstance(source, (tuple, list)) else [source]
            rules = [p for p in parts if isinstance(p, (RuleRecommender, RuleSet))]
            patterns = [p for p in parts if isinstance(p, PatternSet)]
            if len(rules) + len(patterns) != len(parts) or len(rules) > 1 \
                    or len(patterns) > 1 or not parts:
                raise InputError("features must be an nn.Module, MinedFeatures, a "
                                 "RuleRecommender / RuleSet, a PatternSet, or a tuple of one "
                                 f"rule source and one PatternSet; got {source!r}")
            spec = cls(rules=rules[0] if rules else None,
                       patterns=patterns[0] if patterns else None)
        if mode is None:
            mode = spec.mode or ("logit" if spec.rules is not None else "embedding")
        spec = dataclasses.replace(spec, mode=mode)
        spec.check()
        return spec

    def check(self) -> None:
        """Raise InputError for an inconsistent spec."""
        if self.mode not in MODES:
            raise InputError(f"feature_mode must be one of {MODES}, got {self.mode!r}")
        if self.rules is None and self.patterns is None:
            raise InputError("MinedFeatures needs rules and / or patterns")
        if self.mode in ("logit", "both") and self.rules is None:
            raise InputError(f"feature_mode={self.mode!r} needs rules (a RuleRecommender fit "
                             "on split.train, or next-item rules from seqmine.rules(...))")
        if self.transform not in TRANSFORMS:
            raise InputError(f"transform must be one of {TRANSFORMS}, got {self.transform!r}")
        for name, value, low in (("window", self.window, 1),
                                 ("per_position", self.per_position, 1),
                                 ("max_patterns", self.max_patterns, 1),
                                 ("top_k", 1 if self.top_k is None else self.top_k, 1)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
                    or value < low:
                raise InputError(f"{name} must be an int >= {low}, got {value!r}")
        if not np.isfinite(self.init_weight):
            raise InputError(f"init_weight must be finite, got {self.init_weight!r}")

    @property
    def recommender(self) -> RuleRecommender | None:
        """The rule source as a fitted RuleRecommender (None without rules)."""
        if self.rules is None or isinstance(self.rules, RuleRecommender):
            return self.rules
        return RuleRecommender.from_rules(self.rules)

    @property
    def codebook(self) -> Any:
        source = self.rules if self.rules is not None else self.patterns
        return source.codebook if source is not None else None


def _rule_arrays(rec: RuleRecommender, top_k: int | None, n_items: int
                 ) -> dict[str, np.ndarray]:
    """The recommender's antecedents (as token runs) and, per antecedent, its ``top_k``
    heaviest consequents and weights (row 0: no antecedent, weight 0)."""
    ix = rec._index  # its scoring index: antecedents, and rules heaviest first within one
    if ix is None:
        raise InputError("the RuleRecommender is not fitted: fit it on split.train first")
    if rec.params.get("last_seconds") is not None:
        raise InputError("rule features read item windows without times: use a "
                         "RuleRecommender with last_seconds=None (last counts events)")
    kept, run_ptr, run_tok = _singleton_runs(ix["a_pat_ptr"], ix["a_pset_ptr"],
                                             ix["a_items"])
    if len(kept) == 0:
        raise InputError("no rule antecedent can match a one-item-per-event window (every "
                         "antecedent holds an itemset of two or more items)")
    counts = np.diff(ix["r_ptr"])[kept]
    k = int(counts.max(initial=1)) if top_k is None else min(int(top_k),
                                                           int(counts.max(initial=1)))
    take = np.minimum(counts, k)
    src = take_ranges(ix["r_ptr"], kept)  # every rule of a kept antecedent, heaviest first
    rank = np.arange(len(src)) - np.repeat(lengths_to_ptr(counts)[:-1], counts)
    row = np.repeat(np.arange(1, len(kept) + 1), counts)
    sel = rank < np.repeat(take, counts)
    con = np.zeros((len(kept) + 1, k), np.int64)
    weight = np.zeros((len(kept) + 1, k), np.float32)
    con[row[sel], rank[sel]] = ix["r_con"][src[sel]]
    weight[row[sel], rank[sel]] = ix["r_w"][src[sel]]
    anc_ptr, anc_pat = _anchor_index(run_ptr, run_tok, np.zeros(len(kept), np.int64), n_items)
    # an antecedent's total rule weight spread evenly over the catalogue (all its rules)
    mass = np.bincount(np.repeat(np.arange(len(kept)), counts), weights=ix["r_w"][src],
                       minlength=len(kept))
    scale = float(mass.mean()) / n_items if mass.sum() > 0 else 1.0
    last = int(rec.params["last"])
    return {"rule_anc_ptr": anc_ptr, "rule_anc_pat": anc_pat, "rule_run_ptr": run_ptr,
            "rule_run_tok": run_tok, "rule_con": con, "rule_weight": weight,
            "rule_recency": (np.arange(1, last + 1, dtype=np.float64)
                             ** -float(rec.params["recency"])).astype(np.float32),
            "rule_scale": np.array([scale], np.float32)}


def _pattern_arrays(spec: MinedFeatures, rec: RuleRecommender | None, n_items: int
                    ) -> dict[str, np.ndarray]:
    """The pattern vocabulary as token runs (length >= 2, most supported first), indexed by
    last token, longest then most supported first."""
    if spec.patterns is not None:
        ps = spec.patterns
        kept, run_ptr, run_tok = _singleton_runs(ps.pat_ptr, ps.pset_ptr, ps.pitems)
        support = ps.support[kept].astype(np.float64)
    else:
        assert rec is not None
        rules = rec.rules_
        kept, ant_ptr, ant_tok = _singleton_runs(rules.ant_ptr, rules.ant_set_ptr,
                                                 rules.ant_items)
        con_tok = rules.con_items[rules.con_set_ptr[rules.con_ptr[kept]]].astype(np.int64) + 1
        ant_len = np.diff(ant_ptr)
        run_ptr = lengths_to_ptr(ant_len + 1)
        run_tok = np.empty(run_ptr[-1], np.int64)
        is_last = np.zeros(run_ptr[-1], bool)
        is_last[run_ptr[1:] - 1] = True
        run_tok[is_last] = con_tok
        run_tok[~is_last] = ant_tok
        support = np.asarray(rules.support, np.float64)[kept]
    length = np.diff(run_ptr)
    long_enough = np.flatnonzero(length >= 2)
    chosen = long_enough[np.argsort(-support[long_enough], kind="stable")][:spec.max_patterns]
    if len(chosen) == 0:
        raise InputError("no pattern of two or more one-item itemsets to embed (mine longer "
                         "patterns, or use feature_mode='logit')")
    run_tok = run_tok[take_ranges(run_ptr, chosen)]
    run_ptr = lengths_to_ptr(length[chosen])
    # rank by (longer, more supported, earlier): the first per_position found are the best
    priority = np.lexsort((np.arange(len(chosen)), -support[chosen], -length[chosen]))
    rank = np.empty(len(chosen), np.int64)
    rank[priority] = np.arange(len(chosen))
    anc_ptr, anc_pat = _anchor_index(run_ptr, run_tok, rank, n_items)
    return {"pat_anc_ptr": anc_ptr, "pat_anc_pat": anc_pat, "pat_run_ptr": run_ptr,
            "pat_run_tok": run_tok}


def build_features(source: Any, mode: str | None = None, *, n_items: int, dim: int,
                   codebook: Any = None, input_scale: float = 1.0) -> PatternFeatures:
    """A :class:`PatternFeatures` module for a ranker over ``n_items`` items of size ``dim``
    from ``source`` (anything :meth:`MinedFeatures.of` takes); ``codebook``, when given,
    must be the one the features were mined with. ``input_scale`` multiplies the pattern
    embeddings as the ranker multiplies its item embeddings (``sqrt(dim)`` for SASRec), so
    both learn at the same pace."""
    spec = MinedFeatures.of(source, mode)
    if codebook is not None and spec.codebook is not None and spec.codebook != codebook:
        raise InputError("the rules / patterns were mined on a database with another "
                         "codebook than the training data (mine them on split.train)")
    rec = spec.recommender
    if rec is not None and rec.n_items != n_items:
        raise InputError(f"the rules cover {rec.n_items} items, the ranker {n_items}")
    arrays: dict[str, np.ndarray] = {}
    if spec.mode in ("logit", "both"):
        assert rec is not None
        arrays.update(_rule_arrays(rec, spec.top_k, n_items))
    if spec.mode in ("embedding", "both"):
        arrays.update(_pattern_arrays(spec, rec, n_items))
    config = {"n_items": n_items, "dim": dim, "mode": spec.mode,
              "last": int(rec.params["last"]) if rec is not None else 0,
              "window": spec.window, "per_position": spec.per_position,
              "transform": spec.transform, "init_weight": float(spec.init_weight),
              "top_k": spec.top_k, "max_patterns": spec.max_patterns,
              "input_scale": float(input_scale)}
    return PatternFeatures(config, arrays)


# --- the module ----------------------------------------------------------------------------

class RuleLogits:
    """Rule scores held sparsely: per row, the firing antecedents (``ids`` + 1, 0 = none)
    and their lags; a row's score of item y sums ``recency[lag] * weight`` over the
    firing antecedents' rules => y. Indexing selects rows (``[keep]``, ``[:, -1]``)."""

    def __init__(self, ids: torch.Tensor, lags: torch.Tensor, tables: PatternFeatures) -> None:
        self.ids = ids
        self.lags = lags
        self.tables = tables

    def __getitem__(self, index: Any) -> RuleLogits:
        return RuleLogits(self.ids[index], self.lags[index], self.tables)

    def _entries(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(items int64[N, F*K], contributions float32[N, F*K]) of the flattened rows."""
        t = self.tables
        f = self.ids.shape[-1]
        ids = self.ids.reshape(-1, f).long()
        lags = self.lags.reshape(-1, f).long()
        con = t.rule_con[ids]
        val = t.rule_weight[ids] * t.rule_recency[lags].unsqueeze(-1)
        return con.reshape(len(ids), -1), val.reshape(len(ids), -1)

    def scores(self) -> torch.Tensor:
        """The rule scores ``float32[..., n_items]`` (what RuleRecommender.score gives)."""
        con, val = self._entries()
        out = torch.zeros(len(con), self.tables.n_items, dtype=val.dtype, device=val.device)
        out.scatter_add_(1, con, val)
        return out.reshape(*self.ids.shape[:-1], self.tables.n_items)

    def _g(self, score: torch.Tensor) -> torch.Tensor:
        """``g(score)``, computed in place (scores are constants, never differentiated)."""
        score.div_(self.tables.rule_scale)
        return score.log1p_() if self.tables.transform == "log" else score

    def values(self) -> torch.Tensor:
        """The feature ``g(score)`` of every item, ``float32[..., n_items]``."""
        return self._g(self.scores())

    def add_to(self, logits: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        """``logits + weight * g(score)`` (the Ranker.logits hook), in float32, as one
        fused op over the dense block the logits already occupy."""
        values = self.values()
        return torch.addcmul(logits.to(values.dtype), values, weight)

    def at_targets(self, target: torch.Tensor) -> torch.Tensor:
        """``g(score)`` of one item per row: ``target`` int64[N] -> [N]."""
        con, val = self._entries()
        return self._g((val * (con == target.unsqueeze(1))).sum(1))

    def at_columns(self, items: torch.Tensor) -> torch.Tensor:
        """``g(score)`` of the same items in every row: ``items`` int64[M] -> [N, M]
        (sampled-softmax negatives; only the distinct items are scattered)."""
        con, val = self._entries()
        uniq, inverse = torch.unique(items, return_inverse=True)
        pos = torch.searchsorted(uniq, con).clamp_(max=len(uniq) - 1)
        col = torch.where(uniq[pos] == con, pos, len(uniq))
        out = torch.zeros(len(con), len(uniq) + 1, dtype=val.dtype, device=val.device)
        out.scatter_add_(1, col, val)
        return self._g(out[:, inverse])


class PatternFeatures(nn.Module):
    """Mined rules and patterns as ranker features (see the module docstring); built by
    :func:`build_features` (or by ``train(features=...)``), rebuilt by :meth:`from_state`.

    ``forward(tokens, prepared=None)`` returns ``(extra_inputs, extra_logits)`` for the
    ranker's hooks: ``[B, L, dim]`` pattern embeddings (or None) and a :class:`RuleLogits`
    (or None). ``prepared`` is what :meth:`prepare` computes from the tokens (the training
    loop computes it once per window and passes the rows of each batch).
    """

    def __init__(self, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        super().__init__()
        self.cfg = dict(config)
        self.n_items = int(config["n_items"])
        self.mode = str(config["mode"])
        self.transform = str(config["transform"])
        self.last = int(config["last"])
        self.window = int(config["window"])
        self.per_position = int(config["per_position"])
        self.input_scale = float(config["input_scale"])
        self.init_weight = float(config["init_weight"])
        for name, value in arrays.items():
            self.register_buffer(name, torch.from_numpy(np.ascontiguousarray(value)))
        self.uses_rules = self.mode in ("logit", "both")
        self.uses_patterns = self.mode in ("embedding", "both")
        if self.uses_patterns:
            n_pat = len(arrays["pat_run_ptr"]) - 1
            self.pattern_emb = nn.Embedding(n_pat + 1, int(config["dim"]), padding_idx=0)
            nn.init.zeros_(self.pattern_emb.weight)

    # rule tables (typed accessors of the buffers)
    rule_con: torch.Tensor
    rule_weight: torch.Tensor
    rule_recency: torch.Tensor
    rule_scale: torch.Tensor

    def config(self) -> dict[str, Any]:
        return dict(self.cfg)

    @classmethod
    def from_state(cls, config: dict[str, Any], state: dict[str, torch.Tensor]
                   ) -> PatternFeatures:
        """The module saved as ``config()`` and ``state_dict()``."""
        arrays = {k: v.numpy() for k, v in state.items() if "." not in k}  # the buffers
        module = cls(config, arrays)
        module.load_state_dict(state)
        return module

    def checksum(self) -> int:
        """CRC of the mined tables (the fingerprint a resumed run must match)."""
        crc = 0
        for name, buf in sorted(self.named_buffers()):
            crc = zlib.crc32(name.encode(), crc)
            crc = zlib.crc32(buf.cpu().numpy().tobytes(), crc)
        return crc

    def _matcher(self, prefix: str) -> tuple[np.ndarray, ...]:
        return tuple(getattr(self, f"{prefix}_{k}").cpu().numpy()
                     for k in ("anc_ptr", "anc_pat", "run_ptr", "run_tok"))

    def prepare(self, tokens: np.ndarray) -> dict[str, np.ndarray]:
        """Per-position inputs of ``tokens`` int64[B, L] (Numba, on the CPU): the
        antecedents firing there with their lags, and the ids of the patterns ending there.
        Row t depends on tokens 0..t only."""
        out: dict[str, np.ndarray] = {}
        if self.uses_rules:
            ends = _ends(tokens, self._matcher("rule"), 0, 0)
            out["rule_ids"], out["rule_lags"] = _fired(ends, self.last,
                                                       len(self.rule_con) - 1)
        if self.uses_patterns:
            out["pattern_ids"] = _ends(tokens, self._matcher("pat"), self.window,
                                       self.per_position)
        return out

    def prepare_tensors(self, tokens: np.ndarray, device: torch.device
                        ) -> dict[str, torch.Tensor]:
        """:meth:`prepare` as tensors on ``device``."""
        return {k: torch.from_numpy(v).to(device) for k, v in self.prepare(tokens).items()}

    def forward(self, tokens: torch.Tensor, prepared: dict[str, torch.Tensor] | None = None
                ) -> tuple[torch.Tensor | None, RuleLogits | None]:
        if prepared is None:
            prepared = self.prepare_tensors(tokens.cpu().numpy(), tokens.device)
        extra_inputs = None
        if self.uses_patterns:
            extra_inputs = self.pattern_emb(prepared["pattern_ids"].long()).sum(-2)
            if self.input_scale != 1.0:
                extra_inputs = extra_inputs * self.input_scale
        extra_logits = None
        if self.uses_rules:
            extra_logits = RuleLogits(prepared["rule_ids"], prepared["rule_lags"], self)
        return extra_inputs, extra_logits
