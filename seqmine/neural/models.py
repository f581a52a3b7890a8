"""Next-item rankers: SASRec-style causal self-attention, and GRU / LSTM.

Every ranker maps left-padded tokens ``int64[B, L]`` (item code + 1, 0 = padding; see
:mod:`seqmine.neural.data`) to hidden states ``[B, L, dim]``; position ``t`` sees tokens
``0..t`` only (causal) and never a padding token. Scores are dot products with the **tied**
item embeddings, one column per catalogue item in code order: the padding token has no
column, so it can never be scored or recommended.

Hooks for pattern features (the hybrid issue builds on them; both are tested):

* ``extra_inputs``: float ``[B, L, dim]`` added to the input embeddings of each position
  (for example embeddings of the mined patterns that end there). Must itself be causal:
  row ``t`` may depend on tokens ``0..t`` only.
* ``extra_logits``: float ``[..., n_items]`` (aligned with the logits it is added to) added
  through the learned scalar ``extra_logit_weight`` (initialised to 0, so a model starts as
  the ablation without features and learns how much to trust them); for example the rule
  score of every candidate item. It may also be a :class:`SparseLogits` (the mined rule
  features of :mod:`seqmine.neural.features`), which adds itself without a dense input.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import torch
import torch.nn.functional as F
from torch import nn

from seqmine.errors import InputError

__all__ = ["MODELS", "AttentionRanker", "Ranker", "RecurrentRanker", "SparseLogits",
           "build_model"]


class SparseLogits(Protocol):
    """Extra logits kept sparse (rows select with ``[...]`` like a ``[..., n_items]``
    tensor); ``add_to`` returns ``logits + weight * values``, the ``at_*`` methods the
    values at given items (sampled softmax)."""

    def __getitem__(self, index: Any) -> SparseLogits: ...

    def add_to(self, logits: torch.Tensor, weight: torch.Tensor) -> torch.Tensor: ...

    def at_targets(self, target: torch.Tensor) -> torch.Tensor: ...

    def at_columns(self, items: torch.Tensor) -> torch.Tensor: ...


class Ranker(nn.Module):
    """Shared parts: tied item embeddings (row 0 = padding, kept at zero), the extra-logit
    weight, and scoring. Subclasses implement :meth:`encode`."""

    kind = "ranker"

    def __init__(self, n_items: int, max_len: int, dim: int) -> None:
        super().__init__()
        if n_items < 1 or max_len < 1 or dim < 1:
            raise InputError("n_items, max_len and dim must be >= 1")
        self.n_items = n_items
        self.max_len = max_len
        self.dim = dim
        self.item_emb = nn.Embedding(n_items + 1, dim, padding_idx=0)
        nn.init.normal_(self.item_emb.weight, std=dim ** -0.5)
        with torch.no_grad():
            self.item_emb.weight[0].zero_()
        self.extra_logit_weight = nn.Parameter(torch.zeros(()))

    def config(self) -> dict[str, Any]:
        raise NotImplementedError  # pragma: no cover - subclasses define it

    def encode(self, tokens: torch.Tensor, extra_inputs: torch.Tensor | None = None
               ) -> torch.Tensor:
        raise NotImplementedError  # pragma: no cover - subclasses define it

    @property
    def item_weight(self) -> torch.Tensor:
        """The ``[n_items, dim]`` output matrix: item embeddings without the padding row."""
        return self.item_emb.weight[1:]

    def logits(self, hidden: torch.Tensor,
               extra_logits: torch.Tensor | SparseLogits | None = None) -> torch.Tensor:
        """Scores of every item for hidden states ``[..., dim]`` -> ``[..., n_items]``."""
        out = hidden @ self.item_weight.t()
        if isinstance(extra_logits, torch.Tensor):
            out = out + self.extra_logit_weight * extra_logits
        elif extra_logits is not None:
            out = extra_logits.add_to(out, self.extra_logit_weight)
        return out

    def forward(self, tokens: torch.Tensor, extra_inputs: torch.Tensor | None = None,
                extra_logits: torch.Tensor | SparseLogits | None = None) -> torch.Tensor:
        """Logits ``[B, L, n_items]`` for every position (training and tests; scoring uses
        :meth:`encode` on the last position only)."""
        return self.logits(self.encode(tokens, extra_inputs), extra_logits)

    def _embed(self, tokens: torch.Tensor, extra_inputs: torch.Tensor | None,
               scale: float = 1.0) -> torch.Tensor:
        if tokens.dim() != 2:
            raise InputError(f"tokens must be [batch, length], got shape {tuple(tokens.shape)}")
        x = self.item_emb(tokens)
        if scale != 1.0:
            x = x * scale
        if extra_inputs is not None:
            x = x + extra_inputs
        return x


class CausalSelfAttention(nn.Module):
    def __init__(self, dim: int, heads: int, attn_dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.dropout = attn_dropout

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask,
                                           dropout_p=self.dropout if self.training else 0.0)
        return self.out(y.transpose(1, 2).reshape(b, n, d))


class Block(nn.Module):
    """Pre-LayerNorm transformer block: x + Attn(LN(x)), then x + FFN(LN(x))."""

    def __init__(self, dim: int, heads: int, ffn_dim: int, dropout: float,
                 attn_dropout: float) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = CausalSelfAttention(dim, heads, attn_dropout)
        self.ln2 = nn.LayerNorm(dim)
        self.ffn = nn.Sequential(nn.Linear(dim, ffn_dim), nn.GELU(), nn.Dropout(dropout),
                                 nn.Linear(ffn_dim, dim))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = x + self.drop(self.attn(self.ln1(x), mask))
        return x + self.drop(self.ffn(self.ln2(x)))


class AttentionRanker(Ranker):
    """SASRec-style ranker: item + learned position embeddings, pre-LN causal self-attention
    blocks (``scaled_dot_product_attention``), a final LayerNorm, tied output embeddings.

    Position ``j`` of the left-padded window has embedding ``pos_emb[j]``, so the last
    (most recent) item always has position ``max_len - 1``. Attention is causal and ignores
    padding keys; a padding query attends to itself only (its output is never used).
    ``dropout`` applies to embeddings and residual branches; ``attn_dropout`` to attention
    probabilities (0 by default: on CPU its random mask, ``[B, heads, L, L]``, costs more
    than the rest of the forward pass). ``ffn_dim`` defaults to ``dim`` as in SASRec.
    """

    kind = "sasrec"

    def __init__(self, n_items: int, max_len: int = 200, dim: int = 64, layers: int = 2,
                 heads: int = 1, dropout: float = 0.2, ffn_dim: int | None = None,
                 attn_dropout: float = 0.0) -> None:
        super().__init__(n_items, max_len, dim)
        if dim % heads:
            raise InputError(f"dim ({dim}) must be a multiple of heads ({heads})")
        self.layers, self.heads, self.dropout_p = layers, heads, dropout
        self.attn_dropout = attn_dropout
        self.ffn_dim = ffn_dim or dim
        self.pos_emb = nn.Embedding(max_len, dim)
        nn.init.normal_(self.pos_emb.weight, std=dim ** -0.5)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(Block(dim, heads, self.ffn_dim, dropout, attn_dropout)
                                    for _ in range(layers))
        self.ln_f = nn.LayerNorm(dim)
        self.register_buffer("causal", torch.ones(max_len, max_len, dtype=torch.bool).tril(),
                             persistent=False)

    def config(self) -> dict[str, Any]:
        return {"model": self.kind, "n_items": self.n_items, "max_len": self.max_len,
                "dim": self.dim, "layers": self.layers, "heads": self.heads,
                "dropout": self.dropout_p, "ffn_dim": self.ffn_dim,
                "attn_dropout": self.attn_dropout}

    def encode(self, tokens: torch.Tensor, extra_inputs: torch.Tensor | None = None
               ) -> torch.Tensor:
        n = tokens.shape[1]
        if n > self.max_len:
            raise InputError(f"window of {n} tokens is longer than max_len={self.max_len}")
        real = tokens != 0
        x = self._embed(tokens, extra_inputs, math.sqrt(self.dim))
        x = x + self.pos_emb.weight[self.max_len - n:]
        x = self.drop(x) * real.unsqueeze(-1)
        causal = self.causal[:n, :n]
        eye = torch.eye(n, dtype=torch.bool, device=tokens.device)
        mask = (causal & (real.unsqueeze(1) | eye)).unsqueeze(1)  # [B, 1, L, L]
        for block in self.blocks:
            x = block(x, mask)
        return self.ln_f(x) * real.unsqueeze(-1)


class RecurrentRanker(Ranker):
    """GRU4Rec-style ranker (``cell="gru"`` or ``"lstm"``) with tied output embeddings.

    Left padding would let the recurrent state drift through the padding (biases act on zero
    inputs), making scores depend on the window width; so each row is rotated to put its
    items first, run, and rotated back: the state at an item depends only on earlier items.
    """

    def __init__(self, n_items: int, max_len: int = 200, dim: int = 64, layers: int = 1,
                 dropout: float = 0.2, cell: str = "gru") -> None:
        super().__init__(n_items, max_len, dim)
        if cell not in ("gru", "lstm"):
            raise InputError(f"cell must be 'gru' or 'lstm', got {cell!r}")
        self.kind = cell
        self.layers, self.dropout_p = layers, dropout
        rnn = nn.GRU if cell == "gru" else nn.LSTM
        self.rnn = rnn(dim, dim, num_layers=layers, batch_first=True,
                       dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.ln_f = nn.LayerNorm(dim)

    def config(self) -> dict[str, Any]:
        return {"model": self.kind, "n_items": self.n_items, "max_len": self.max_len,
                "dim": self.dim, "layers": self.layers, "dropout": self.dropout_p}

    def encode(self, tokens: torch.Tensor, extra_inputs: torch.Tensor | None = None
               ) -> torch.Tensor:
        n = tokens.shape[1]
        real = tokens != 0
        x = self.drop(self._embed(tokens, extra_inputs))
        shift = (n - real.sum(dim=1)).unsqueeze(1)  # padding width of each row
        ar = torch.arange(n, device=tokens.device).unsqueeze(0)
        to_front = ((ar + shift) % n).unsqueeze(-1).expand(-1, -1, self.dim)
        h, _ = self.rnn(torch.gather(x, 1, to_front))
        back = ((ar - shift) % n).unsqueeze(-1).expand(-1, -1, self.dim)
        h = torch.gather(h, 1, back)
        return self.ln_f(self.drop(h)) * real.unsqueeze(-1)


MODELS = ("sasrec", "gru", "lstm")


def build_model(config: dict[str, Any]) -> Ranker:
    """A fresh ranker from its ``config()`` dict (used by load and resume)."""
    cfg = dict(config)
    kind = cfg.pop("model")
    if kind == "sasrec":
        return AttentionRanker(**cfg)
    if kind in ("gru", "lstm"):
        return RecurrentRanker(cell=kind, **cfg)
    raise InputError(f"unknown model {kind!r}; use one of {MODELS}")
