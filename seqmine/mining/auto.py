"""``algorithm="auto"``: pick the miner expected to be fastest from the database's shape and
the constraints, then run it."""

from __future__ import annotations

from dataclasses import dataclass

from seqmine._kernels import projection
from seqmine.data.database import SequenceDatabase
from seqmine.errors import BudgetExceededError, MiningInterrupted
from seqmine.mining.gsp import gsp
from seqmine.mining.prefixspan import prefixspan
from seqmine.mining.prepare import check_database
from seqmine.mining.spade import spade, spam
from seqmine.options import Budget, Constraints
from seqmine.patterns.patternset import PatternSet

MINERS = {"prefixspan": prefixspan, "spade": spade, "spam": spam, "gsp": gsp}

#: at most this many leading sequences are read to estimate the repeat rate (< 1 ms)
SAMPLE_SEQUENCES = 4000
#: mean items per event from which a database counts as an itemset database
ITEMSET_SIZE = 1.1
#: occurrences per (sequence, item) pair above which items count as repeating
REPEAT = 1.02


@dataclass(frozen=True)
class Shape:
    """What the rule reads: sequences, mean events per sequence, mean items per event, and
    the repeat rate (item occurrences per distinct (sequence, item) pair, 1.0 when no item
    occurs twice in a sequence; estimated on the first SAMPLE_SEQUENCES sequences)."""

    n_sequences: int
    mean_events: float
    mean_itemset_size: float
    repeat: float


def shape(db: SequenceDatabase) -> Shape:
    """The database shape :func:`choose` reads (cheap: O(1) plus a bounded sample)."""
    a = db.arrays
    n = db.n_sequences
    n_events = len(a.evt_ptr) - 1
    k = min(n, SAMPLE_SEQUENCES)
    if k == 0 or n_events == 0:
        return Shape(n, 0.0, 0.0, 1.0)
    sample_ptr = a.seq_ptr[:k + 1]
    occurrences = int(a.evt_ptr[sample_ptr[-1]] - a.evt_ptr[sample_ptr[0]])
    distinct = int(projection.item_supports(sample_ptr, a.evt_ptr, a.items,
                                            db.n_items).sum())
    return Shape(n, n_events / n, len(a.items) / n_events,
                 occurrences / distinct if distinct else 1.0)


def choose(db: SequenceDatabase, constraints: Constraints | None = None
           ) -> tuple[str, str]:
    """(algorithm, reason) that ``auto`` runs for this database and these constraints.

    The rule, measured on the shared SPMF data sets (BMS1, KOSARAK10K/70K, SIGN, FIFA,
    BIBLE, LEVIATHAN at their benchmark levels) and on synthetic Quest-style itemset data,
    comparing CPU time of prefixspan, spade, spam and gsp:

    1. ``max_gap`` set -> prefixspan. Its scan stops at the gap; SPADE/SPAM lose their
       sibling pruning under max_gap and join with every item (2-4x slower measured).
    2. another window (``min_gap`` or ``max_span``) -> spade. Pattern growth must then keep
       every embedding end and rescan; SPADE's id-lists already hold them (2-6x faster).
    3. itemsets (mean items per event >= 1.1) -> spade. PrefixSpan keeps every end for
       i-extensions too; SPADE was up to 2x faster, never more than 1.1x slower.
    4. one item per event, items repeating inside sequences (repeat rate > 1.02: text such
       as BIBLE and LEVIATHAN, FIFA's click-stream) -> prefixspan: SPADE's id-lists hold
       every occurrence while pseudo-projection needs only the first (1.2-2x faster).
    5. otherwise (no repeats: BMS1, KOSARAK, SIGN) -> spade: CMAP-pruned joins beat
       rescanning suffixes (up to 4x faster at low minsup).

    GSP (3-10x slower than the fastest everywhere) and SPAM (never fastest by more than
    noise, never fastest at low minsup) are not chosen.
    """
    check_database(db)
    c = constraints or Constraints()
    if c.max_gap is not None:
        return "prefixspan", "max_gap: pattern growth stops its scans at the gap"
    if c.has_window:
        return "spade", "min_gap/max_span: id-lists keep every embedding end already"
    s = shape(db)
    if s.mean_itemset_size >= ITEMSET_SIZE:
        return "spade", f"itemsets ({s.mean_itemset_size:.2f} items per event)"
    if s.repeat > REPEAT:
        return "prefixspan", f"items repeat within sequences (rate {s.repeat:.3f})"
    return "spade", f"one item per event, no repeats (rate {s.repeat:.3f})"


def auto(db: SequenceDatabase, minsup: int | float, *,
         constraints: Constraints | None = None, budget: Budget | None = None,
         n_jobs: int | None = 1, progress: bool = False,
         return_partial: bool = False) -> PatternSet:
    """Frequent sequential patterns by the miner :func:`choose` picks for this database
    (see its docstring for the rule and the measurements behind it).

    Every miner returns the same patterns, so only speed depends on the choice. The
    result's ``options`` record ``algorithm="auto"`` and ``chosen_algorithm``.
    """
    name, reason = choose(db, constraints)
    record = {"algorithm": "auto", "chosen_algorithm": name, "auto_reason": reason}
    try:
        patterns = MINERS[name](db, minsup, constraints=constraints, budget=budget,
                                n_jobs=n_jobs, progress=progress,
                                return_partial=return_partial)
    except (BudgetExceededError, MiningInterrupted) as exc:
        if isinstance(exc.partial, PatternSet):
            exc.partial.options.update(record)
        raise
    patterns.options.update(record)
    return patterns


__all__ = ["Shape", "auto", "choose", "shape"]
