"""Neural next-item rankers (the only part of seqmine that imports torch).

``train(split, model="sasrec" | "gru" | "lstm", ...)`` returns a :class:`NeuralRecommender`
with ``score``, ``recommend`` and ``save``; :func:`load` reads a saved one back.
"""

from seqmine.neural.models import AttentionRanker, Ranker, RecurrentRanker, build_model
from seqmine.neural.predict import NeuralRecommender, load
from seqmine.neural.train import train

__all__ = [
    "AttentionRanker",
    "NeuralRecommender",
    "Ranker",
    "RecurrentRanker",
    "build_model",
    "load",
    "train",
]
