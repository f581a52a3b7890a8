"""seqmine: sequential pattern mining in Numba, joined to neural next-item ranking.

``import seqmine`` is light: it compiles no kernel and never imports torch (the neural
ranker lives in ``seqmine.neural``).
"""

from seqmine import datasets, explore
from seqmine.data.build import read_events
from seqmine.data.codebook import Codebook
from seqmine.data.database import SequenceArrays, SequenceDatabase
from seqmine.data.split import Split, split
from seqmine.errors import (
    BudgetExceededError,
    FormatVersionError,
    InputError,
    MiningInterrupted,
    SeqmineError,
)
from seqmine.hybrid import HybridScorer
from seqmine.mining import ALGORITHMS, mine
from seqmine.mining.condensed import closed, maximal, top_k
from seqmine.mining.itemsets import (
    AssociationRuleTable,
    ItemsetTable,
    association_rules,
    itemsets,
)
from seqmine.options import Budget, Constraints
from seqmine.patterns.patternset import PatternSet
from seqmine.recommend import PopularityRecommender
from seqmine.rules import ItemPairBaseline, RuleRecommender, RuleSet

# after the subpackage imports above, so that seqmine.rules and seqmine.evaluate are the
# functions the API promises (the packages stay importable by their full names)
from seqmine.rules import rules  # noqa: E402  (isort: skip)
from seqmine.evaluate import evaluate  # noqa: E402  (isort: skip)

__version__ = "0.1.0"

__all__ = [
    "ALGORITHMS",
    "AssociationRuleTable",
    "Budget",
    "BudgetExceededError",
    "Codebook",
    "Constraints",
    "FormatVersionError",
    "HybridScorer",
    "InputError",
    "ItemPairBaseline",
    "ItemsetTable",
    "MiningInterrupted",
    "PatternSet",
    "PopularityRecommender",
    "RuleRecommender",
    "RuleSet",
    "SeqmineError",
    "SequenceArrays",
    "SequenceDatabase",
    "Split",
    "__version__",
    "association_rules",
    "closed",
    "evaluate",
    "itemsets",
    "maximal",
    "mine",
    "read_events",
    "rules",
    "split",
    "top_k",
]
