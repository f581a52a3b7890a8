"""Numerical checks of the losses: full softmax CE and sampled softmax with log-q correction."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from seqmine.errors import InputError  # noqa: E402
from seqmine.neural.losses import (  # noqa: E402
    full_softmax_ce,
    proposal,
    sample_negatives,
    sampled_softmax_ce,
)


def test_full_softmax_ce_is_minus_log_softmax():
    logits = torch.tensor([[1.0, 2.0, 0.5], [0.0, 0.0, 3.0]])
    targets = torch.tensor([1, 0])
    expected = [-(2.0 - math.log(math.exp(1) + math.exp(2) + math.exp(0.5))),
                -(0.0 - math.log(2 + math.exp(3)))]
    assert full_softmax_ce(logits, targets).item() == pytest.approx(np.mean(expected))
    assert full_softmax_ce(logits.bfloat16(), targets).dtype == torch.float32


def test_sampled_with_every_item_once_equals_full_softmax():
    """Negatives = the whole catalogue once, q uniform: M * q_j = 1, no correction; with the
    accidental hit removed the candidate set is exactly the catalogue."""
    torch.manual_seed(0)
    n, rows = 17, 9
    logits = torch.randn(rows, n, dtype=torch.float64) * 3
    targets = torch.randint(0, n, (rows,))
    neg = torch.arange(n)
    log_q = torch.full((n,), -math.log(n), dtype=torch.float64)
    got = sampled_softmax_ce(logits.gather(1, targets[:, None])[:, 0], logits[:, neg], log_q,
                             neg[None, :] == targets[:, None])
    assert got.item() == pytest.approx(full_softmax_ce(logits, targets).item(), abs=1e-6)


def test_log_q_correction_recovers_full_softmax_in_expectation():
    """Popularity proposal, many samples: the corrected loss tends to the full CE, and the
    importance-weighted partition estimate is unbiased; without correction it is biased."""
    gen = torch.Generator().manual_seed(0)
    n = 40
    counts = np.arange(n)[::-1] ** 2.0  # steep popularity ...
    q = torch.from_numpy(proposal(counts, "popularity", alpha=1.0))
    # ... that the model's scores follow, as on real data
    logits = torch.randn(1, n, generator=gen, dtype=torch.float64) + 0.5 * torch.log(q) * n
    logits = logits / 4
    target = torch.tensor([3])
    m, reps = 3000, 30
    full = full_softmax_ce(logits, target).item()
    losses, biased, z_est = [], [], []
    for _ in range(reps):
        neg = sample_negatives(q, m, gen)
        hit = neg[None, :] == target[:, None]
        pos = logits[:, 3]
        losses.append(sampled_softmax_ce(pos, logits[:, neg], torch.log(q[neg]), hit).item())
        uniform = torch.full((m,), -math.log(n), dtype=torch.float64)
        biased.append(sampled_softmax_ce(pos, logits[:, neg], uniform, hit).item())
        corrected = logits[0, neg] - torch.log(m * q[neg])
        z_est.append(torch.exp(corrected[~hit[0]]).sum().item())
    z_others = (torch.exp(logits[0]).sum() - torch.exp(logits[0, 3])).item()
    assert np.mean(z_est) == pytest.approx(z_others, rel=0.03)
    assert np.mean(losses) == pytest.approx(full, abs=0.02)
    assert abs(np.mean(biased) - full) > 0.1  # the correction matters


def test_sampled_gradient_tends_to_full_gradient():
    gen = torch.Generator().manual_seed(1)
    n = 30
    base = torch.randn(1, n, generator=gen, dtype=torch.float64)
    target = torch.tensor([5])
    q = torch.from_numpy(proposal(np.arange(1, n + 1) ** 1.5, "popularity", alpha=1.0))
    full_logits = base.clone().requires_grad_(True)
    full_softmax_ce(full_logits, target).backward()
    grads = []
    for _ in range(30):
        logits = base.clone().requires_grad_(True)
        neg = sample_negatives(q, 3000, gen)
        loss = sampled_softmax_ce(logits[:, 5], logits[:, neg], torch.log(q[neg]),
                                  neg[None, :] == target[:, None])
        loss.backward()
        grads.append(logits.grad.clone())
    mean_grad = torch.stack(grads).mean(0)
    torch.testing.assert_close(mean_grad, full_logits.grad, atol=0.01, rtol=0.1)


def test_accidental_hits_removed():
    pos = torch.tensor([2.0])
    neg = torch.tensor([[2.0, 2.0]])
    loss = sampled_softmax_ce(pos, neg, torch.zeros(2), torch.tensor([[True, True]]))
    assert loss.item() == pytest.approx(0.0)


def test_proposal_and_sampler():
    q = proposal(np.array([0, 1, 3]), "popularity", alpha=0.5)
    np.testing.assert_allclose(q, np.array([1, 2 ** 0.5, 2]) / (3 + 2 ** 0.5))
    np.testing.assert_allclose(proposal(np.array([5, 0]), "uniform"), [0.5, 0.5])
    with pytest.raises(InputError):
        proposal(np.array([1]), "zipf")
    with pytest.raises(InputError):
        sample_negatives(torch.tensor([1.0]), 0)
    gen = torch.Generator().manual_seed(0)
    draws = sample_negatives(torch.tensor([0.0, 1.0]), 50, gen)
    assert torch.all(draws == 1)
