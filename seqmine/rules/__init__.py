"""Sequential rules: RuleSet tables, rule generation from patterns, partially-ordered rule
mining, and the rule recommender (with the item-pair baseline it is measured against)."""

from seqmine.rules.baseline import ItemPairBaseline
from seqmine.rules.generate import rules, rules_from_patterns
from seqmine.rules.partial_order import partially_ordered_rules
from seqmine.rules.recommender import Explanation, RuleRecommender, tune
from seqmine.rules.ruleset import RuleSet

__all__ = [
    "Explanation",
    "ItemPairBaseline",
    "RuleRecommender",
    "RuleSet",
    "partially_ordered_rules",
    "rules",
    "rules_from_patterns",
    "tune",
]
