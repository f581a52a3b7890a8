"""Training losses: full softmax cross-entropy, and sampled softmax with log-q correction.

Full softmax (the default) normalises over the whole catalogue. For catalogues too large for
it, the sampled softmax draws ``M`` negatives from a proposal ``q`` (with replacement, shared
by the batch) and estimates the partition function by importance sampling (Bengio and
Senecal, 2008): each sampled item's logit is corrected by ``- log(M * q_j)``, so that

    E[ sum_j exp(s_j - log(M q_j)) ] = sum over all items i of exp(s_i).

Negatives equal to the row's target ("accidental hits") are removed, so the estimate covers
the other items, and the loss ``logsumexp([s_pos, corrected negatives]) - s_pos`` tends to
the full cross-entropy as ``M`` grows. Without the correction a popularity proposal would
push frequent items down twice (tested numerically in ``tests/test_neural_losses.py``).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from seqmine.errors import InputError

__all__ = ["full_softmax_ce", "proposal", "sample_negatives", "sampled_softmax_ce"]


def full_softmax_ce(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of ``logits [N, n_items]`` against item codes ``targets [N]``
    (computed in float32 even under bf16 autocast)."""
    return F.cross_entropy(logits.float(), targets)


def sampled_softmax_ce(pos_logits: torch.Tensor, neg_logits: torch.Tensor,
                       neg_log_q: torch.Tensor, accidental: torch.Tensor | None = None
                       ) -> torch.Tensor:
    """Mean sampled-softmax loss.

    pos_logits : [N] the target's logit.
    neg_logits : [N, M] logits of the M sampled negatives.
    neg_log_q : [M] or [N, M], ``log q_j`` of each sampled negative under the proposal.
    accidental : optional bool [N, M], True where a negative is the row's target (removed).
    """
    m = neg_logits.shape[-1]
    corrected = neg_logits.float() - (neg_log_q.float() + np.log(m))
    if accidental is not None:
        corrected = corrected.masked_fill(accidental, float("-inf"))
    pos = pos_logits.float()
    both = torch.cat([pos.unsqueeze(1), corrected], dim=1)
    return (torch.logsumexp(both, dim=1) - pos).mean()


def proposal(counts: np.ndarray, kind: str = "popularity", alpha: float = 0.75) -> np.ndarray:
    """Proposal ``q`` over item codes: "uniform", or "popularity" ``(count + 1) ** alpha``
    normalised (add-one so unseen items keep a chance of being sampled)."""
    counts = np.asarray(counts, dtype=np.float64)
    if kind == "uniform":
        q = np.ones_like(counts)
    elif kind == "popularity":
        q = (counts + 1.0) ** alpha
    else:
        raise InputError(f"sampler must be 'uniform' or 'popularity', got {kind!r}")
    return q / q.sum()


def sample_negatives(q: torch.Tensor, m: int, generator: torch.Generator | None = None
                     ) -> torch.Tensor:
    """``m`` item codes drawn with replacement from ``q`` (a probability vector)."""
    if m < 1:
        raise InputError(f"the number of negatives must be >= 1, got {m}")
    return torch.multinomial(q, m, replacement=True, generator=generator)
