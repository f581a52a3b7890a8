"""Paired bootstrap confidence intervals for the difference of a metric between two
recommenders on the same evaluation instances.

Both recommenders rank the same targets, so their per-instance metrics are paired: the
interval is for ``mean(a) - mean(b)``, drawn by resampling *users* (the sequences the
instances come from) with replacement, which keeps the several instances of one session or
user together (under leave-one-out every user has one instance, so this is the usual
per-instance bootstrap). A resample's difference is the mean over the instances of the
drawn users (a user drawn twice counts twice). The interval is the percentile interval of
``n_resamples`` resampled differences.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from seqmine.data.split import EvalSet
from seqmine.errors import InputError

__all__ = ["BootstrapInterval", "compare", "paired_bootstrap"]


@dataclass(frozen=True)
class BootstrapInterval:
    """``difference`` = mean(a) - mean(b) over all instances, with its ``confidence``
    interval ``[low, high]`` from ``n_resamples`` resamples of ``n_groups`` users."""

    difference: float
    low: float
    high: float
    confidence: float
    n_resamples: int
    n_groups: int

    def __str__(self) -> str:
        return (f"{self.difference:+.4f} [{self.low:+.4f}, {self.high:+.4f}] "
                f"({self.confidence:.0%} CI)")


def paired_bootstrap(a: np.ndarray, b: np.ndarray, groups: np.ndarray | None = None, *,
                     n_resamples: int = 1000, confidence: float = 0.95,
                     seed: int = 0) -> BootstrapInterval:
    """Percentile bootstrap interval of ``mean(a - b)``, resampling ``groups``.

    ``a``, ``b`` : per-instance metric values of the two recommenders (same instances, same
    order). ``groups`` : the user (sequence) of each instance; None resamples instances.
    Resample ``r`` draws ``rng.integers(0, G, G)`` (G groups, ``rng`` seeded by ``seed``).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.ndim != 1 or a.shape != b.shape:
        raise InputError(f"a and b must be 1-D arrays of the same length, got shapes "
                         f"{a.shape} and {b.shape}")
    if len(a) == 0:
        raise InputError("no instances to bootstrap")
    if not 0.0 < confidence < 1.0:
        raise InputError(f"confidence must be in (0, 1), got {confidence!r}")
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, (int, np.integer)) \
            or n_resamples < 1:
        raise InputError(f"n_resamples must be an int >= 1, got {n_resamples!r}")
    diff = a - b
    if groups is None:
        label = np.arange(len(diff))
    else:
        groups = np.asarray(groups)
        if groups.shape != diff.shape:
            raise InputError("groups must give one user per instance")
        _, label = np.unique(groups, return_inverse=True)
    n_groups = int(label.max()) + 1
    total = np.bincount(label, weights=diff, minlength=n_groups)
    count = np.bincount(label, minlength=n_groups).astype(np.float64)
    rng = np.random.default_rng(seed)
    means = np.empty(n_resamples)
    for r in range(n_resamples):
        drawn = np.bincount(rng.integers(0, n_groups, n_groups), minlength=n_groups)
        means[r] = (drawn @ total) / (drawn @ count)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return BootstrapInterval(float(diff.mean()), float(low), float(high), float(confidence),
                             int(n_resamples), n_groups)


def compare(a: Any, b: Any, evalset: EvalSet, *, metric: str = "NDCG", k: int = 10,
            exclude_seen: bool = False, mode: str = "full", ties: str = "item-order",
            by: str = "user", n_resamples: int = 1000, confidence: float = 0.95,
            seed: int = 0) -> BootstrapInterval:
    """Paired bootstrap interval of ``metric@k`` of recommender ``a`` minus ``b`` on
    ``evalset`` under the evaluation protocol (see :func:`seqmine.evaluate`); ``by`` =
    "user" resamples users, "instance" single instances."""
    from seqmine.evaluate.protocol import rank_targets
    if metric not in ("HR", "NDCG", "MRR", "Recall"):
        raise InputError(f"metric must be HR, NDCG, MRR or Recall (per-user metrics), got "
                         f"{metric!r}")
    if by not in ("user", "instance"):
        raise InputError(f"by must be 'user' or 'instance', got {by!r}")
    per = []
    for rec in (a, b):
        ranking = rank_targets(rec, evalset, mode=mode, exclude_seen=exclude_seen, ties=ties,
                               top=k, seed=seed)
        per.append(np.asarray(ranking.metric(metric, k, per_user=True)))
    groups = evalset.sequence if by == "user" else None
    return paired_bootstrap(per[0], per[1], groups, n_resamples=n_resamples,
                            confidence=confidence, seed=seed)
