"""Neural next-item rankers (the only part of seqmine that imports torch).

``train(split, model="sasrec" | "gru" | "lstm", ...)`` returns a :class:`NeuralRecommender`
with ``score``, ``recommend`` and ``save``; :func:`load` reads a saved one back.
``train(..., features=rules_or_patterns, feature_mode="logit" | "embedding" | "both")`` joins
mined rules and patterns to the ranker (:mod:`seqmine.neural.features`).
``train_distributed(nproc, split, ...)`` runs the same training on ``nproc`` processes
(torch.distributed: gloo on CPU, NCCL with one GPU per process).
"""

from seqmine.neural.distributed import train_distributed
from seqmine.neural.features import MinedFeatures, PatternFeatures, build_features
from seqmine.neural.models import AttentionRanker, Ranker, RecurrentRanker, build_model
from seqmine.neural.predict import NeuralRecommender, load
from seqmine.neural.train import train

__all__ = [
    "AttentionRanker",
    "MinedFeatures",
    "NeuralRecommender",
    "PatternFeatures",
    "Ranker",
    "RecurrentRanker",
    "build_features",
    "build_model",
    "load",
    "train",
    "train_distributed",
]
