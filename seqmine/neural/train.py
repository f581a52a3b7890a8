"""Training: AdamW, early stopping on validation NDCG@10, checkpoints that survive a kill.

Determinism: the model is initialised from ``seed``; epoch ``e`` reseeds torch (dropout) and
NumPy (batch order) from ``(seed, e)`` and draws sampled-softmax negatives from its own
generator seeded the same way. So a run resumed from the checkpoint of epoch ``e`` continues
exactly as the uninterrupted run would have (tested on CPU; on CUDA the usual
non-determinism of some kernels applies).

Checkpoints: after every epoch, ``checkpoint_dir/last.pt`` is replaced atomically with the
model, optimiser, early-stopping state (best weights included) and the epoch log; a run
started with the same settings and ``resume=True`` picks up from it.

On CUDA: bf16 autocast for the forward pass (the loss in float32), TF32 matmuls, and
``compile=True`` wraps the encoder in ``torch.compile``. On CPU both are off.
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from seqmine.data.database import SequenceDatabase
from seqmine.data.split import EvalSet, Split
from seqmine.errors import InputError
from seqmine.evaluate.protocol import rank_targets
from seqmine.io.atomic import atomic_path
from seqmine.neural import distributed as ddp
from seqmine.neural.data import training_windows
from seqmine.neural.features import MinedFeatures, PatternFeatures, build_features
from seqmine.neural.losses import full_softmax_ce, proposal, sample_negatives, sampled_softmax_ce
from seqmine.neural.models import MODELS, Ranker, SparseLogits, build_model
from seqmine.neural.predict import NeuralRecommender, feature_outputs, resolve_device
from seqmine.rules.recommender import RuleRecommender

__all__ = ["train"]

CHECKPOINT_VERSION = 1
# options that do not change the result (or may legitimately change on resume)
_NOT_IN_FINGERPRINT = ("epochs", "patience", "device", "compile", "progress", "threads",
                       "checkpoint_dir", "resume")


def _epoch_seed(seed: int, epoch: int) -> int:
    return (seed * 1_000_003 + epoch * 7_919 + 17) % (2 ** 63 - 1)


def _model_config(model: str, n_items: int, max_len: int, dim: int, layers: int, heads: int,
                  dropout: float, ffn_dim: int | None, attn_dropout: float) -> dict[str, Any]:
    if model not in MODELS:
        raise InputError(f"model must be one of {MODELS}, got {model!r}")
    cfg: dict[str, Any] = {"model": model, "n_items": n_items, "max_len": max_len, "dim": dim,
                           "layers": layers, "dropout": dropout}
    if model == "sasrec":
        cfg.update(heads=heads, ffn_dim=ffn_dim or dim, attn_dropout=attn_dropout)
    return cfg


def _param_groups(modules: list[nn.Module], weight_decay: float) -> list[dict[str, Any]]:
    decay, no_decay = [], []
    for module in modules:
        for p in module.parameters():
            if p.requires_grad:
                (decay if p.dim() >= 2 else no_decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0}]


def _checksum(*arrays: np.ndarray) -> int:
    crc = 0
    for a in arrays:
        crc = zlib.crc32(np.ascontiguousarray(a).view(np.uint8), crc)
    return crc


def train(data: SequenceDatabase | Split, model: str = "sasrec", *,
          valid: EvalSet | Split | None = None, max_len: int = 200, dim: int = 64,
          layers: int = 2, heads: int = 1, dropout: float = 0.2, ffn_dim: int | None = None,
          attn_dropout: float = 0.0, epochs: int = 200,
          batch_size: int = 128, lr: float = 1e-3, weight_decay: float = 0.0,
          loss: str = "ce", negatives: int = 1024, sampler: str = "popularity",
          patience: int = 10, valid_exclude_seen: bool = False, valid_max: int | None = None,
          windows: str = "last", max_grad_norm: float | None = None,
          device: str = "auto", compile: bool = False, amp: bool = True,
          checkpoint_dir: str | Path | None = None, resume: bool = True, seed: int = 0,
          threads: int | None = None, progress: bool = True,
          features: nn.Module | Any = None, feature_mode: str | None = None,
          callback: Callable[[dict[str, Any]], None] | None = None) -> NeuralRecommender:
    """Train a next-item ranker on ``data`` and return it as a :class:`NeuralRecommender`.

    Parameters
    ----------
    data : a Split (trains on ``split.train``, validates on ``split.valid``) or a
        SequenceDatabase of training sequences (then ``valid`` is optional).
    model : "sasrec" (causal self-attention), "gru" or "lstm".
    dim, layers, heads, dropout, ffn_dim, attn_dropout : model size and regularisation
        (heads, ffn_dim and attn_dropout apply to "sasrec" only; see AttentionRanker).
    valid : validation instances for early stopping (EvalSet, or a Split's ``valid``); None
        trains all ``epochs`` and keeps the last weights.
    max_len : window of most recent items the model reads.
    loss : "ce" (full softmax) or "sampled" (``negatives`` shared negatives drawn from
        ``sampler`` = "popularity" or "uniform", with log-q correction).
    patience : epochs without a better validation NDCG@10 before stopping; the best epoch's
        weights are returned.
    valid_exclude_seen, valid_max : validation protocol (seen items masked; a fixed random
        sample of at most ``valid_max`` instances, for speed).
    windows : "last" (the last max_len + 1 items of each sequence, SASRec) or "all".
    device : "auto" (CUDA when available), "cpu" or "cuda".
    compile, amp : torch.compile and bf16 autocast, used on CUDA only.
    checkpoint_dir, resume : where to checkpoint each epoch; resume from it when present.
    threads : torch CPU threads (None leaves torch's default).
    features : mined features, trained jointly with the ranker (see
        :mod:`seqmine.neural.features`): a RuleRecommender fit on ``split.train`` or
        next-item rules (RuleSet), and / or a PatternSet, alone or as a tuple, or a
        :class:`~seqmine.neural.MinedFeatures` with options; or a custom ``nn.Module``
        mapping tokens to ``(extra_inputs, extra_logits)`` (the hooks of
        :mod:`seqmine.neural.models`).
    feature_mode : for mined features, "logit" (rule scores added to the logits through
        the learned ``extra_logit_weight``), "embedding" (embeddings of the patterns ending
        at each position added to its input) or "both"; default "logit" when rules are
        given, else "embedding".
    callback : called with each epoch's record after its checkpoint is written.
    """
    if isinstance(data, Split):
        train_db = data.train
        if valid is None:
            valid = data.valid
    elif isinstance(data, SequenceDatabase):
        train_db = data
    else:
        raise InputError(f"train() takes a Split or a SequenceDatabase, got "
                         f"{type(data).__name__}")
    if isinstance(valid, Split):
        valid = valid.valid
    if valid is not None and not isinstance(valid, EvalSet):
        raise InputError("valid must be an EvalSet (split.valid) or a Split")
    if valid is not None and len(valid) == 0:
        valid = None
    if valid is not None and valid_max is not None:
        valid = valid.sample(valid_max, seed=seed)
    if loss not in ("ce", "sampled"):
        raise InputError(f"loss must be 'ce' or 'sampled', got {loss!r}")
    for name, value in (("epochs", epochs), ("batch_size", batch_size), ("max_len", max_len),
                        ("dim", dim), ("layers", layers), ("heads", heads),
                        ("patience", patience)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise InputError(f"{name} must be an int >= 1, got {value!r}")
    if not 0.0 <= dropout < 1.0:
        raise InputError(f"dropout must be in [0, 1), got {dropout!r}")
    if threads is not None:
        torch.set_num_threads(int(threads))
    dev = resolve_device(device)
    on_cuda = dev.type == "cuda"
    n_items = train_db.n_items
    if not 0.0 <= attn_dropout < 1.0:
        raise InputError(f"attn_dropout must be in [0, 1), got {attn_dropout!r}")
    model_cfg = _model_config(model, n_items, max_len, dim, layers, heads, dropout, ffn_dim,
                              attn_dropout)
    features = _resolve_features(features, feature_mode, train_db, dim,
                                 math.sqrt(dim) if model == "sasrec" else 1.0)

    win = training_windows(train_db, max_len, windows)
    if len(win) == 0:
        raise InputError("no training sequence has 2 or more items: nothing to learn from")
    options = {"model": model, "max_len": max_len, "dim": dim, "layers": layers,
               "heads": heads, "dropout": dropout, "ffn_dim": ffn_dim,
               "attn_dropout": attn_dropout, "epochs": epochs, "batch_size": batch_size,
               "lr": lr, "weight_decay": weight_decay, "loss": loss, "negatives": negatives,
               "sampler": sampler, "patience": patience,
               "valid_exclude_seen": valid_exclude_seen, "valid_max": valid_max,
               "windows": windows, "max_grad_norm": max_grad_norm, "seed": seed,
               "amp": amp, "features": features is not None}
    if isinstance(features, PatternFeatures):
        options["features"] = features.config()
    fingerprint = {k: v for k, v in options.items() if k not in _NOT_IN_FINGERPRINT}
    if isinstance(features, PatternFeatures):
        fingerprint["feature_tables"] = features.checksum()
    fingerprint["data"] = {"n_items": n_items, "windows": len(win), "crc": _checksum(win)}
    if valid is not None:
        fingerprint["valid"] = {"n": len(valid), "crc": _checksum(valid.target_items,
                                                                   valid.hist_stop)}

    torch.manual_seed(seed)
    module = build_model(model_cfg).to(dev)
    if features is not None:
        features.to(dev)
    if isinstance(features, PatternFeatures) and features.uses_rules:
        with torch.no_grad():
            module.extra_logit_weight.fill_(features.init_weight)
    modules: list[nn.Module] = [module] + ([features] if features is not None else [])
    optim = torch.optim.AdamW(_param_groups(modules, weight_decay), lr=lr,
                              fused=True if on_cuda else None)
    if on_cuda:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True

    state: dict[str, Any] = {"epoch": -1, "best": -1.0, "best_epoch": -1, "best_state": None,
                             "bad_epochs": 0, "history": [], "stopped": None}
    ckpt_path = Path(checkpoint_dir) / "last.pt" if checkpoint_dir is not None else None
    if ckpt_path is not None and ckpt_path.is_file() and resume:
        saved = torch.load(ckpt_path, map_location="cpu", weights_only=True)
        if saved.get("version") != CHECKPOINT_VERSION or saved.get("fingerprint") != fingerprint:
            raise InputError(f"the checkpoint in {checkpoint_dir} was made with other settings "
                             "or data; use another checkpoint folder or resume=False")
        module.load_state_dict(saved["module"])
        if features is not None:
            features.load_state_dict(saved["features"])
        optim.load_state_dict(saved["optimizer"])
        state = saved["state"]

    recommender = NeuralRecommender(module, train_db.codebook, dev, train_config=options,
                                    features=features)
    stopped_by_patience = state["stopped"] == "patience"
    windows_t = torch.from_numpy(win).to(dev)
    prepared = None
    if isinstance(features, PatternFeatures):
        t_prep = time.perf_counter()
        prepared = features.prepare_tensors(win[:, :-1], dev)  # once per window, not per step
        recommender.train_config["feature_prepare_seconds"] = time.perf_counter() - t_prep
    q = log_q = None
    if loss == "sampled":
        q_np = proposal(np.bincount(train_db.arrays.items, minlength=n_items), sampler)
        q = torch.from_numpy(q_np).float().to(dev)
        log_q = torch.log(q)
    encode = module.encode
    if compile and on_cuda:
        encode = torch.compile(module.encode)
    autocast = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if (on_cuda and amp) \
        else contextlib.nullcontext

    first = state["epoch"] + 1
    for epoch in range(first, epochs):
        if stopped_by_patience:
            break
        torch.manual_seed(_epoch_seed(seed, epoch))
        gen = torch.Generator(device=dev).manual_seed(_epoch_seed(seed, epoch))
        order = ddp.pad_order(torch.from_numpy(  # padded for equal shards on N processes
            np.random.default_rng([seed, epoch]).permutation(len(win))).to(dev))
        module.train()
        if features is not None:
            features.train()
        n_batches = -(-len(order) // batch_size)
        bar = _bar(n_batches, f"{model} {epoch + 1}/{epochs}", progress)
        total_loss = torch.zeros((), device=dev)
        total_n = 0
        if on_cuda:
            torch.cuda.synchronize(dev)
        t0 = time.perf_counter()
        for b in range(n_batches):
            rows = ddp.shard(order[b * batch_size:(b + 1) * batch_size])  # this rank's
            w = windows_t[rows]
            inp, tgt = w[:, :-1], w[:, 1:]
            keep = (inp != 0) & (tgt != 0)
            target = tgt[keep] - 1
            pre = None if prepared is None else {k: v[rows] for k, v in prepared.items()}
            with autocast():
                extra_in, extra_logits = feature_outputs(features, inp, pre)
                hidden = encode(inp, extra_in)[keep]
                extra = extra_logits[keep] if extra_logits is not None else None
                if loss == "ce":
                    value = full_softmax_ce(module.logits(hidden, extra), target)
                else:
                    value = _sampled_loss(module, hidden, target, extra, q, log_q, negatives,
                                          gen)
            optim.zero_grad(set_to_none=True)
            value.backward()
            ddp.average_gradients(modules, len(target))  # the global batch's gradient
            if max_grad_norm is not None:
                torch.nn.utils.clip_grad_norm_([p for m in modules for p in m.parameters()],
                                               max_grad_norm)
            optim.step()
            total_loss += value.detach() * len(target)
            total_n += len(target)
            if bar is not None and (b % 20 == 0 or b == n_batches - 1):
                bar.set_postfix(loss=f"{value.item():.4f}")
            if bar is not None:
                bar.update(1)
        if on_cuda:
            torch.cuda.synchronize(dev)
        seconds = time.perf_counter() - t0
        total_loss, total_n = ddp.sum_over_ranks(total_loss, total_n)
        record: dict[str, Any] = {
            "epoch": epoch + 1, "loss": float(total_loss.item() / max(total_n, 1)),
            "train_seconds": seconds, "sequences_per_s": len(win) / seconds,
            "positions_per_s": total_n / seconds, "device": str(dev)}
        if valid is not None:
            t1 = time.perf_counter()
            ranking = rank_targets(recommender, valid, exclude_seen=valid_exclude_seen, top=10)
            record["valid_NDCG@10"] = float(ranking.metric("NDCG", 10))
            record["valid_HR@10"] = float(ranking.metric("HR", 10))
            record["valid_seconds"] = time.perf_counter() - t1
            if record["valid_NDCG@10"] > state["best"]:
                state["best"] = record["valid_NDCG@10"]
                state["best_epoch"] = epoch + 1
                state["best_state"] = {k: v.detach().cpu().clone()
                                       for k, v in _joint_state(module, features).items()}
                state["bad_epochs"] = 0
            else:
                state["bad_epochs"] += 1
            record["best_epoch"] = state["best_epoch"]
        if bar is not None:
            post = {"loss": f"{record['loss']:.4f}"}
            if valid is not None:
                post["val_ndcg@10"] = f"{record['valid_NDCG@10']:.4f}"
                post["best"] = f"{state['best']:.4f}@{state['best_epoch']}"
            bar.set_postfix(post)
            bar.close()
        state["epoch"] = epoch
        state["history"].append(record)
        if valid is not None and state["bad_epochs"] >= patience:
            state["stopped"] = "patience"
            stopped_by_patience = True
        ddp.check_in_sync(modules)
        if ckpt_path is not None and ddp.is_main():
            _save_checkpoint(ckpt_path, fingerprint, module, features, optim, state)
        if callback is not None:
            callback(dict(record))

    if state["best_state"] is not None:
        _load_joint_state(module, features, state["best_state"])
    recommender.history = copy.deepcopy(state["history"])
    recommender.train_config = dict(recommender.train_config, **options,
                                    best_epoch=state["best_epoch"],
                                    best_valid_NDCG10=state["best"] if valid else None,
                                    stopped=state["stopped"] or "epochs")
    return recommender


def _resolve_features(features: Any, feature_mode: str | None, train_db: SequenceDatabase,
                      dim: int, input_scale: float) -> nn.Module | None:
    """The feature module: a custom one as given, mined features built (and checked to
    come from the training data: same codebook; item-to-item rules counted on exactly the
    training events); ``input_scale`` is the model's item-embedding scale."""
    if features is None or isinstance(features, nn.Module):
        if feature_mode is not None:
            raise InputError("feature_mode applies to mined features (rules / patterns), not "
                             "to " + ("no features" if features is None else "a custom module"))
        if isinstance(features, PatternFeatures) and (
                features.n_items != train_db.n_items or features.cfg["dim"] != dim):
            raise InputError("the PatternFeatures module was built for another catalogue or "
                             "model size")
        return features
    spec = MinedFeatures.of(features, feature_mode)
    built = build_features(spec, n_items=train_db.n_items, dim=dim, codebook=train_db.codebook,
                           input_scale=input_scale)
    rules = spec.rules.rules_ if isinstance(spec.rules, RuleRecommender) else spec.rules
    if rules is not None and rules.unit == "events" and rules.n_units != train_db.n_events:
        raise InputError(f"the rules were counted on {rules.n_units} events, the training "
                         f"data has {train_db.n_events}: fit them on split.train only (rules "
                         "fit on more data leak validation / test items into training)")
    return built


def _extra_at(extra: torch.Tensor | SparseLogits, target: torch.Tensor, neg: torch.Tensor
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """Extra logits ``[N]`` of each row's target and ``[N, M]`` of the shared negatives."""
    if isinstance(extra, torch.Tensor):
        return extra.gather(1, target.unsqueeze(1)).squeeze(1), extra[:, neg]
    return extra.at_targets(target), extra.at_columns(neg)


def _sampled_loss(module: Ranker, hidden: torch.Tensor, target: torch.Tensor,
                  extra: torch.Tensor | SparseLogits | None, q: torch.Tensor,
                  log_q: torch.Tensor, m: int, gen: torch.Generator) -> torch.Tensor:
    neg = sample_negatives(q, m, gen)
    weight = module.item_weight
    pos_logits = (hidden * weight[target]).sum(-1)
    neg_logits = hidden @ weight[neg].t()
    if extra is not None:
        w = module.extra_logit_weight
        pos_extra, neg_extra = _extra_at(extra, target, neg)
        pos_logits = pos_logits + w * pos_extra
        neg_logits = neg_logits + w * neg_extra
    accidental = neg.unsqueeze(0) == target.unsqueeze(1)
    return sampled_softmax_ce(pos_logits, neg_logits, log_q[neg], accidental)


def _joint_state(module: nn.Module, features: nn.Module | None) -> dict[str, torch.Tensor]:
    out = {f"module.{k}": v for k, v in module.state_dict().items()}
    if features is not None:
        out.update({f"features.{k}": v for k, v in features.state_dict().items()})
    return out


def _load_joint_state(module: nn.Module, features: nn.Module | None,
                      joint: dict[str, torch.Tensor]) -> None:
    module.load_state_dict({k[7:]: v for k, v in joint.items() if k.startswith("module.")})
    if features is not None:
        features.load_state_dict({k[9:]: v for k, v in joint.items()
                                  if k.startswith("features.")})


def _save_checkpoint(path: Path, fingerprint: dict[str, Any], module: nn.Module,
                     features: nn.Module | None, optim: torch.optim.Optimizer,
                     state: dict[str, Any]) -> None:
    payload = {"version": CHECKPOINT_VERSION, "fingerprint": fingerprint,
               "module": module.state_dict(),
               "features": features.state_dict() if features is not None else None,
               "optimizer": optim.state_dict(), "state": state}
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def _bar(total: int, desc: str, progress: bool) -> Any:
    if not progress:
        return None
    from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, unit="batch", leave=True, dynamic_ncols=True)
