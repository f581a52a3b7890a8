"""Evaluation: ranking metrics (pure NumPy) and the full / sampled ranking protocol.

torch-free: any object with ``n_items`` and ``score(histories)`` (or ``recommend``) can be
evaluated, see :mod:`seqmine.recommend`.
"""

from seqmine.evaluate.bootstrap import BootstrapInterval, compare, paired_bootstrap
from seqmine.evaluate.metrics import coverage, hit_rate, mrr, ndcg, recall
from seqmine.evaluate.protocol import Ranking, evaluate, format_table, rank_targets

__all__ = [
    "BootstrapInterval",
    "Ranking",
    "compare",
    "coverage",
    "evaluate",
    "format_table",
    "hit_rate",
    "mrr",
    "ndcg",
    "paired_bootstrap",
    "rank_targets",
    "recall",
]
