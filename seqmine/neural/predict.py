"""The trained-model object: batched scoring, top-k (seen items masked by index), save/load.

A :class:`NeuralRecommender` follows :class:`seqmine.recommend.Recommender`: ``score`` gives
``float32[B, n_items]`` (column = item code) from the hidden state of each history's last
item, computed in float32 without autocast so scores are reproducible; ``recommend`` and the
seen-item masking come from :class:`seqmine.recommend.RecommenderBase`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import torch
from torch import nn

from seqmine.data.codebook import Codebook
from seqmine.data.database import SequenceArrays
from seqmine.errors import FormatVersionError, InputError
from seqmine.io.atomic import atomic_path, atomic_write_bytes
from seqmine.neural.data import history_windows
from seqmine.neural.features import PatternFeatures
from seqmine.neural.models import Ranker, SparseLogits, build_model
from seqmine.recommend import RecommenderBase, as_histories

__all__ = ["FORMAT", "FORMAT_VERSION", "NeuralRecommender", "load", "resolve_device"]

FORMAT = "seqmine-neural"
FORMAT_VERSION = 1


def resolve_device(device: str | torch.device) -> torch.device:
    """"auto" -> CUDA when available, else CPU; asking for CUDA without one is an error."""
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except RuntimeError as exc:
        raise InputError(f"unknown device {device!r}; use auto, cpu or cuda") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InputError("device 'cuda' asked for, but no CUDA GPU is available (use auto/cpu)")
    return dev


def feature_outputs(features: nn.Module | None, tokens: torch.Tensor,
                    prepared: dict[str, torch.Tensor] | None = None
                    ) -> tuple[torch.Tensor | None, torch.Tensor | SparseLogits | None]:
    """``(extra_inputs, extra_logits)`` from an optional feature module (hybrid hook).

    A feature module maps tokens ``[B, L]`` to a pair: extra input embeddings ``[B, L, dim]``
    and extra logits ``[B, L, n_items]`` (either may be None); see
    :mod:`seqmine.neural.models` for what each must satisfy. Mined features
    (:class:`~seqmine.neural.features.PatternFeatures`) also take the ``prepared`` rows
    the training loop computed once per window.
    """
    if features is None:
        return None, None
    if isinstance(features, PatternFeatures):
        return cast(tuple[torch.Tensor | None, SparseLogits | None],
                    features(tokens, prepared))
    out = features(tokens)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise InputError("a feature module must return (extra_inputs, extra_logits)")
    return out


class NeuralRecommender(RecommenderBase):
    """A trained ranker with its codebook; what :func:`seqmine.neural.train` returns.

    ``history`` holds one record per trained epoch (loss, validation metrics, timings);
    ``train_config`` the training options.
    """

    def __init__(self, module: Ranker, codebook: Codebook | None = None,
                 device: str | torch.device = "cpu", history: list[dict[str, Any]] | None = None,
                 train_config: dict[str, Any] | None = None,
                 features: nn.Module | None = None) -> None:
        self.module = module
        self.codebook = codebook
        self.device = resolve_device(device)
        self.module.to(self.device)
        self.features = features.to(self.device) if features is not None else None
        self.history = list(history or [])
        self.train_config = dict(train_config or {})
        self.batch_size = 256

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.module.kind

    @property
    def n_items(self) -> int:
        return self.module.n_items

    @property
    def max_len(self) -> int:
        return self.module.max_len

    def __repr__(self) -> str:
        cfg = self.module.config()
        return f"NeuralRecommender({cfg['model']}, {self.n_items} items, dim {cfg['dim']})"

    def tokens(self, histories: Any) -> np.ndarray:
        """Left-padded model input ``int64[B, max_len]`` for a batch of histories."""
        h = as_histories(histories)
        if len(h.items) and (int(h.items.max()) >= self.n_items or int(h.items.min()) < 0):
            raise InputError(f"history item codes must be in 0..{self.n_items - 1} (the "
                             "model's catalogue); convert original ids with "
                             "codebook.code_of(...)")
        return history_windows(h, self.max_len)

    def score(self, histories: SequenceArrays | Any) -> np.ndarray:
        """``float32[B, n_items]`` next-item scores (higher is better)."""
        tokens = self.tokens(histories)
        was_training = self.module.training
        features_training = self.features.training if self.features is not None else False
        self.module.eval()
        if self.features is not None:
            self.features.eval()
        out = np.empty((len(tokens), self.n_items), np.float32)
        try:
            with torch.inference_mode():
                for lo in range(0, len(tokens), self.batch_size):
                    tok = torch.from_numpy(tokens[lo:lo + self.batch_size]).to(self.device)
                    extra_in, extra_logits = feature_outputs(self.features, tok)
                    hidden = self.module.encode(tok, extra_in)[:, -1]
                    last_extra = extra_logits[:, -1] if extra_logits is not None else None
                    logits = self.module.logits(hidden, last_extra)
                    out[lo:lo + len(tok)] = logits.float().cpu().numpy()
        finally:
            self.module.train(was_training)
            if self.features is not None:
                self.features.train(features_training)
        return out

    # --- persistence ------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the model to folder ``path``: weights.pt, codebook.parquet, config.json
        (written last, so a folder with a config is complete). Returns the folder."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu() for k, v in self.module.state_dict().items()}
        with atomic_path(folder / "weights.pt") as tmp:
            torch.save(state, tmp)
        if self.features is not None:
            with atomic_path(folder / "features.pt") as tmp:
                torch.save({k: v.detach().cpu() for k, v in self.features.state_dict().items()},
                           tmp)
        if self.codebook is not None:
            with atomic_path(folder / "codebook.parquet") as tmp:
                pq.write_table(pa.table({"item": self.codebook.to_arrow()}), tmp)
        config = {"format": FORMAT, "version": FORMAT_VERSION, "model": self.module.config(),
                  "train": self.train_config, "history": self.history,
                  "has_features": self.features is not None}
        if isinstance(self.features, PatternFeatures):
            config["features"] = self.features.config()
        atomic_write_bytes(folder / "config.json",
                           json.dumps(config, indent=2, default=_json_default).encode())
        return folder


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    return str(value)


def load(path: str | Path, device: str | torch.device = "cpu",
         features: nn.Module | None = None) -> NeuralRecommender:
    """Load a model written by :meth:`NeuralRecommender.save`.

    Mined features (``train(features=rules, ...)``) are restored from features.pt with
    everything they need; a model trained with a custom feature module needs a fresh
    instance of that module as ``features`` (its weights are restored from features.pt).
    """
    folder = Path(path)
    config_path = folder / "config.json"
    if not config_path.is_file():
        raise InputError(f"{folder} holds no seqmine model (config.json missing)")
    try:
        config = json.loads(config_path.read_text())
    except json.JSONDecodeError as exc:
        raise InputError(f"{config_path} is not valid JSON: {exc}") from exc
    if config.get("format") != FORMAT:
        raise InputError(f"{folder} is not a seqmine neural model")
    if config.get("version") != FORMAT_VERSION:
        raise FormatVersionError(f"{folder} has model format version {config.get('version')}; "
                                 f"this seqmine reads version {FORMAT_VERSION}")
    module = build_model(config["model"])
    module.load_state_dict(torch.load(folder / "weights.pt", map_location="cpu",
                                      weights_only=True))
    if config.get("has_features"):
        state = torch.load(folder / "features.pt", map_location="cpu", weights_only=True)
        if features is None and "features" in config:
            features = PatternFeatures.from_state(config["features"], state)
        elif features is None:
            raise InputError(f"the model in {folder} was trained with a feature module: pass "
                             "a fresh instance as features=...")
        else:
            features.load_state_dict(state)
    elif features is not None:
        raise InputError(f"the model in {folder} was trained without a feature module")
    codebook = None
    if (folder / "codebook.parquet").is_file():
        codebook = Codebook(pq.read_table(folder / "codebook.parquet").column("item")
                            .combine_chunks())
    return NeuralRecommender(module, codebook, device, config.get("history"),
                             config.get("train"), features)
