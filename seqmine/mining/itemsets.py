"""Frequent itemsets (FP-growth, Apriori, Eclat) and association rules.

Itemset mining ignores order: by default each sequence is one transaction holding the union
of its items (DESIGN.md); ``transactions="event"`` makes each event (itemset) a transaction
instead. Relative thresholds and supports are fractions of the number of transactions.
The tables mirror mlxtend's (``support`` + ``itemsets`` columns; rule columns
``antecedents``, ``consequents``, ``antecedent support`` ... ``kulczynski``) so code can move
between the two, but they carry ``n_transactions`` themselves: association_rules needs no
``num_itemsets`` argument.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from seqmine._kernels import _jit
from seqmine._kernels import itemsets as kitemsets
from seqmine.data.codebook import Codebook
from seqmine.data.database import SequenceDatabase
from seqmine.errors import (
    BudgetExceededError,
    FormatVersionError,
    InputError,
    MiningInterrupted,
)
from seqmine.io.atomic import atomic_path
from seqmine.mining.prepare import check_database
from seqmine.mining.runner import make_chunks, resolve_n_jobs, run_chunks
from seqmine.options import Budget, resolve_minsup
from seqmine.patterns.csr import lengths_to_ptr, take_ranges

ITEMSET_ALGORITHMS = ("fpgrowth", "apriori", "eclat")
TRANSACTIONS = ("sequence", "event")
RULE_METRICS = ("support", "confidence", "lift", "leverage", "conviction", "zhangs_metric",
                "jaccard", "certainty", "kulczynski", "antecedent support",
                "consequent support", "representativity")
# kernel ids of the metrics (see _kernels.itemsets.rule_metric)
_METRIC_ID = {"support": 0, "confidence": 1, "lift": 2, "leverage": 3, "conviction": 4,
              "zhangs_metric": 5, "jaccard": 6, "certainty": 7, "kulczynski": 8,
              "antecedent support": 9, "consequent support": 10, "representativity": 11}
# mlxtend's column order (0.23+)
RULE_COLUMNS = ("antecedents", "consequents", "antecedent support", "consequent support",
                "support", "confidence", "lift", "representativity", "leverage", "conviction",
                "zhangs_metric", "jaccard", "certainty", "kulczynski")

FORMAT = "seqmine.itemsets"
FORMAT_VERSION = 1
_INT_MAX = np.iinfo(np.int64).max // 4


#: Eclat mines a first-level class over bitsets when its root item is in at most this many
#: transactions (tests set 0 to check the tid-list / diffset path on the same data)
_ECLAT_BITSET_MAX = kitemsets.BITSET_MAX_TRANSACTIONS


def canonical_itemset_order(count: np.ndarray, item_ptr: np.ndarray,
                            items: np.ndarray) -> np.ndarray:
    """Permutation into the canonical order (count desc, length, items lexicographically;
    the order PatternSet uses). Each itemset's items are packed several to a uint64 word
    (a kernel); per length, one sort of the words gives the lexicographic rank, then one
    sort of a packed (count, length, rank) key -- far cheaper than a comparison sort over
    variable-length rows when there are millions of itemsets."""
    item_ptr = np.asarray(item_ptr, np.int64)
    lengths = np.diff(item_ptr)
    bits = max(1, int(items.max()).bit_length()) if len(items) else 1
    per_word = 64 // bits
    words = kitemsets.pack_itemset_words(item_ptr, np.asarray(items, np.int32), bits,
                                         per_word, max(1, -(-int(lengths.max(initial=0))
                                                           // per_word)))
    lex_rank = np.empty(len(lengths), np.int64)
    for length in np.unique(lengths):
        rows = np.flatnonzero(lengths == length)
        n_words = -(-int(length) // per_word)
        if n_words <= 1:  # stable: equal rows (never made by a miner) keep their order
            order = np.argsort(words[rows, 0], kind="stable")
        else:
            order = np.lexsort(words[rows, :n_words].T[::-1])
        lex_rank[rows[order]] = np.arange(len(rows))
    deficit = int(count.max()) - np.asarray(count, np.int64) if len(count) else count
    rank_bits = max(1, len(lengths).bit_length())
    length_bits = max(1, int(lengths.max(initial=0)).bit_length())
    if int(deficit.max(initial=0)).bit_length() + length_bits + rank_bits <= 63:
        # one key, unique (lex_rank is unique within a length): any sort is stable here
        key = (deficit << (length_bits + rank_bits)) | (lengths << rank_bits) | lex_rank
        return np.argsort(key)
    return np.lexsort((lex_rank, lengths, deficit))


class ItemsetTable:
    """Frequent itemsets with their counts, canonically ordered (count desc, length, items).

    Itemset k owns item codes ``items[item_ptr[k]:item_ptr[k+1]]`` (ascending, unique);
    ``count`` is the number of transactions holding it and ``support`` that count over
    ``n_transactions``. The codebook, thresholds and options travel with the table.
    """

    def __init__(self, item_ptr: np.ndarray, items: np.ndarray, count: np.ndarray,
                 codebook: Codebook, n_transactions: int, min_count: int,
                 options: dict[str, Any] | None = None, *, sort: bool = True) -> None:
        self.item_ptr = np.asarray(item_ptr, np.int64)
        self.items = np.asarray(items, np.int32)
        self.count = np.asarray(count, np.int64)
        self.codebook = codebook
        self.n_transactions = int(n_transactions)
        self.min_count = int(min_count)
        self.options = dict(options or {})
        if sort and len(self.count) > 1:
            self._take_inplace(canonical_itemset_order(self.count, self.item_ptr, self.items))

    def _take_inplace(self, idx: np.ndarray) -> None:
        self.items = self.items[take_ranges(self.item_ptr, idx)]
        self.item_ptr = lengths_to_ptr(np.diff(self.item_ptr)[idx])
        self.count = self.count[idx]

    # --- views ----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.count)

    def __repr__(self) -> str:
        return (f"ItemsetTable({len(self)} itemsets, min_count={self.min_count}, "
                f"n_transactions={self.n_transactions})")

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, ItemsetTable)
                and np.array_equal(self.item_ptr, other.item_ptr)
                and np.array_equal(self.items, other.items)
                and np.array_equal(self.count, other.count)
                and self.n_transactions == other.n_transactions
                and self.codebook == other.codebook)

    @property
    def support(self) -> np.ndarray:
        """Fraction of transactions holding each itemset."""
        return self.count / max(self.n_transactions, 1)

    @property
    def length(self) -> np.ndarray:
        return np.diff(self.item_ptr)

    def codes(self, k: int) -> tuple[int, ...]:
        return tuple(self.items[self.item_ptr[k]:self.item_ptr[k + 1]].tolist())

    def __getitem__(self, k: int) -> frozenset[Any]:
        """Itemset ``k`` as a frozenset of original item values."""
        if not -len(self) <= k < len(self):
            raise IndexError(f"itemset index {k} out of range for {len(self)} itemsets")
        k %= len(self)
        return frozenset(self.codebook.decode_list(list(self.codes(k))))

    def __iter__(self) -> Iterator[tuple[frozenset[Any], int]]:
        values = self.codebook.decode(self.items).to_pylist()
        for k in range(len(self)):
            yield (frozenset(values[self.item_ptr[k]:self.item_ptr[k + 1]]),
                   int(self.count[k]))

    def as_dict(self) -> dict[frozenset[Any], int]:
        """``{frozenset(items): count}``."""
        return dict(iter(self))

    def top(self, k: int) -> ItemsetTable:
        """The first ``k`` itemsets (highest support first)."""
        out = ItemsetTable(self.item_ptr, self.items, self.count, self.codebook,
                           self.n_transactions, self.min_count, self.options, sort=False)
        out._take_inplace(np.arange(min(k, len(self))))
        return out

    # --- tables -----------------------------------------------------------------------------
    def to_arrow(self) -> pa.Table:
        """Columns: itemsets (list of original ids, ascending), support, count, length."""
        return pa.table({
            "itemsets": pa.ListArray.from_arrays(pa.array(self.item_ptr.astype(np.int32)),
                                                 self.codebook.decode(self.items)),
            "support": pa.array(self.support),
            "count": pa.array(self.count),
            "length": pa.array(self.length),
        })

    def to_pandas(self) -> Any:
        """mlxtend's shape: ``support`` then ``itemsets`` (frozensets), plus count and length."""
        import pandas as pd
        return pd.DataFrame({
            "support": self.support,
            "itemsets": [s for s, _ in self],
            "count": self.count,
            "length": self.length,
        })

    # --- persistence ----------------------------------------------------------------------
    def header(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": FORMAT_VERSION,
                "n_transactions": self.n_transactions, "min_count": self.min_count,
                "options": self.options, "codebook_type": str(self.codebook.values.type)}

    def to_parquet(self, path: str | Path) -> None:
        """Parquet with decoded itemsets, their codes and a JSON header (atomic write)."""
        import pyarrow.parquet as pq
        table = self.to_arrow().append_column("itemset_codes", pa.ListArray.from_arrays(
            pa.array(self.item_ptr.astype(np.int32)), pa.array(self.items)))
        header = self.header()
        header["codebook"] = self.codebook.values.to_pylist()
        table = table.replace_schema_metadata(
            {b"seqmine": json.dumps(header, default=str).encode()})
        with atomic_path(path) as tmp:
            pq.write_table(table, tmp, compression="zstd")

    @classmethod
    def read_parquet(cls, path: str | Path) -> ItemsetTable:
        import pyarrow.parquet as pq
        path = Path(path)
        try:
            table = pq.read_table(path)
        except (OSError, pa.ArrowInvalid) as exc:
            raise InputError(f"could not read itemsets from {path}: {exc}") from exc
        raw = (table.schema.metadata or {}).get(b"seqmine")
        if raw is None:
            raise InputError(f"{path} is not a seqmine itemset file (no header)")
        header = json.loads(raw)
        if header.get("format") != FORMAT or header.get("version") != FORMAT_VERSION:
            raise FormatVersionError(
                f"{path}: format {header.get('format')} v{header.get('version')}, "
                f"expected {FORMAT} v{FORMAT_VERSION}")
        codes = table.column("itemset_codes").combine_chunks()
        ptr = codes.offsets.to_numpy().astype(np.int64)
        value_type = pa.string() if header["codebook_type"] in ("string", "large_string") \
            else pa.int64()
        return cls(ptr - ptr[0], codes.flatten().to_numpy().astype(np.int32),
                   table.column("count").to_numpy(),
                   Codebook(pa.array(header["codebook"], type=value_type)),
                   header["n_transactions"], header["min_count"], header["options"],
                   sort=False)


class AssociationRuleTable:
    """Association rules A -> C from an ItemsetTable, with mlxtend's metric columns.

    Antecedent/consequent item codes are CSR (``ant_ptr``/``ant_items``, ``cons_ptr``/
    ``cons_items``, ascending within each); ``count``, ``antecedent_count`` and
    ``consequent_count`` are transaction counts of A | C, A and C; the metrics follow from
    them and ``n_transactions`` (no missing values, so representativity is 1).
    """

    def __init__(self, ant_ptr: np.ndarray, ant_items: np.ndarray, cons_ptr: np.ndarray,
                 cons_items: np.ndarray, count: np.ndarray, antecedent_count: np.ndarray,
                 consequent_count: np.ndarray, codebook: Codebook, n_transactions: int,
                 options: dict[str, Any] | None = None) -> None:
        self.ant_ptr = np.asarray(ant_ptr, np.int64)
        self.ant_items = np.asarray(ant_items, np.int32)
        self.cons_ptr = np.asarray(cons_ptr, np.int64)
        self.cons_items = np.asarray(cons_items, np.int32)
        self.count = np.asarray(count, np.int64)
        self.antecedent_count = np.asarray(antecedent_count, np.int64)
        self.consequent_count = np.asarray(consequent_count, np.int64)
        self.codebook = codebook
        self.n_transactions = int(n_transactions)
        self.options = dict(options or {})

    def __len__(self) -> int:
        return len(self.count)

    def __repr__(self) -> str:
        return (f"AssociationRuleTable({len(self)} rules, "
                f"n_transactions={self.n_transactions})")

    def metrics(self) -> dict[str, np.ndarray]:
        """Every metric column, vectorised (the same formulas the miner filtered with)."""
        n = float(max(self.n_transactions, 1))
        n_ac = self.count.astype(np.float64)
        n_a = self.antecedent_count.astype(np.float64)
        n_c = self.consequent_count.astype(np.float64)
        s_ac, s_a, s_c = n_ac / n, n_a / n, n_c / n
        conf = n_ac / n_a
        leverage = s_ac - s_a * s_c
        with np.errstate(divide="ignore", invalid="ignore"):
            conviction = np.where(conf >= 1.0, np.inf, (1.0 - s_c) / (1.0 - conf))
            zden = np.maximum(s_ac * (1.0 - s_a), s_a * (s_c - s_ac))
            zhang = np.where(zden == 0.0, 0.0, leverage / zden)
            cden = 1.0 - s_c
            certainty = np.where(cden == 0.0, 0.0, (conf - s_c) / cden)
        return {
            "antecedent support": s_a, "consequent support": s_c, "support": s_ac,
            "confidence": conf, "lift": conf / s_c,
            "representativity": np.ones(len(self)), "leverage": leverage,
            "conviction": conviction, "zhangs_metric": zhang,
            "jaccard": s_ac / (s_a + s_c - s_ac), "certainty": certainty,
            "kulczynski": (conf + n_ac / n_c) / 2.0,
        }

    def _lists(self, ptr: np.ndarray, items: np.ndarray) -> pa.Array:
        return pa.ListArray.from_arrays(pa.array(ptr.astype(np.int32)),
                                        self.codebook.decode(items))

    def to_arrow(self) -> pa.Table:
        """mlxtend's columns (antecedents/consequents as lists), then the three counts."""
        columns: dict[str, Any] = {
            "antecedents": self._lists(self.ant_ptr, self.ant_items),
            "consequents": self._lists(self.cons_ptr, self.cons_items)}
        columns.update({name: pa.array(values) for name, values in self.metrics().items()})
        columns["count"] = pa.array(self.count)
        columns["antecedent count"] = pa.array(self.antecedent_count)
        columns["consequent count"] = pa.array(self.consequent_count)
        return pa.table(columns)

    def to_pandas(self) -> Any:
        """mlxtend's rule DataFrame (frozenset antecedents/consequents), plus the counts."""
        import pandas as pd
        ant = self.codebook.decode(self.ant_items).to_pylist()
        cons = self.codebook.decode(self.cons_items).to_pylist()
        frame = pd.DataFrame({
            "antecedents": [frozenset(ant[self.ant_ptr[r]:self.ant_ptr[r + 1]])
                            for r in range(len(self))],
            "consequents": [frozenset(cons[self.cons_ptr[r]:self.cons_ptr[r + 1]])
                            for r in range(len(self))]})
        for name, values in self.metrics().items():
            frame[name] = values
        frame["count"] = self.count
        frame["antecedent count"] = self.antecedent_count
        frame["consequent count"] = self.consequent_count
        return frame

    def to_parquet(self, path: str | Path) -> None:
        """Parquet (atomic) with a JSON header holding n_transactions and the options."""
        import pyarrow.parquet as pq
        header = {"format": "seqmine.association_rules", "version": 1,
                  "n_transactions": self.n_transactions, "options": self.options}
        table = self.to_arrow().replace_schema_metadata(
            {b"seqmine": json.dumps(header, default=str).encode()})
        with atomic_path(path) as tmp:
            pq.write_table(table, tmp, compression="zstd")


# --- mining --------------------------------------------------------------------------------
def itemsets(db: SequenceDatabase, minsup: int | float, *, algorithm: str = "fpgrowth",
             max_len: int | None = None, transactions: str = "sequence",
             max_patterns: int | None = None, max_memory: int | None = None,
             n_jobs: int | None = 1, progress: bool = False,
             return_partial: bool = False) -> ItemsetTable:
    """Frequent itemsets of ``db``.

    transactions: "sequence" (default; each sequence is one transaction, the union of its
    items) or "event" (each event is one). minsup: int >= 1 (count) or float in (0, 1]
    (fraction of transactions, rounded up). algorithm: "fpgrowth" (FP-tree, Han et al. 2000),
    "apriori" (level-wise candidates, Agrawal & Srikant 1994; counted by tid-list
    intersection) or "eclat" (vertical tid-lists, Zaki 2000): the same table from each.
    max_len: most items per itemset. max_patterns / max_memory: budgets that stop the run
    with BudgetExceededError. n_jobs: threads over first-level items (over parent itemsets
    per level for Apriori); the result is identical for any n_jobs.
    """
    check_database(db)
    if algorithm not in ITEMSET_ALGORITHMS:
        raise InputError(f"unknown itemset algorithm {algorithm!r}; choose from "
                         f"{list(ITEMSET_ALGORITHMS)}")
    if transactions not in TRANSACTIONS:
        raise InputError(f"transactions must be one of {list(TRANSACTIONS)}, got "
                         f"{transactions!r}")
    if max_len is not None and (isinstance(max_len, bool) or not isinstance(
            max_len, (int, np.integer)) or max_len < 1):
        raise InputError(f"max_len must be an int >= 1, got {max_len!r}")
    budget = Budget(max_patterns=max_patterns, max_memory=max_memory)
    n_workers = resolve_n_jobs(n_jobs)
    a = db.arrays
    if transactions == "sequence":
        tx_ptr, tx_items = kitemsets.sequence_transactions(a.seq_ptr, a.evt_ptr, a.items,
                                                           db.n_items)
    else:
        tx_ptr, tx_items = a.evt_ptr, a.items
    n_tx = len(tx_ptr) - 1
    min_count = resolve_minsup(minsup, n_tx)
    options = {"algorithm": algorithm, "minsup": minsup, "max_len": max_len,
               "transactions": transactions}
    context: dict[str, Any] = {"codebook": db.codebook, "n_transactions": n_tx,
                               "min_count": min_count, "options": options}
    support = np.bincount(tx_items, minlength=db.n_items).astype(np.int64)
    frequent = np.flatnonzero(support >= min_count)
    if len(frequent) == 0 or n_tx == 0:
        return ItemsetTable(np.zeros(1, np.int64), np.zeros(0, np.int32),
                            np.zeros(0, np.int64), **context)
    # rank order per miner: FP-growth wants frequent items near the root, Eclat rare items
    # first (short tid-lists), Apriori any fixed order
    if algorithm == "fpgrowth":
        code_of_rank = frequent[np.lexsort((frequent, -support[frequent]))]
    elif algorithm == "eclat":
        code_of_rank = frequent[np.lexsort((frequent, support[frequent]))]
    else:
        code_of_rank = frequent
    code_of_rank = code_of_rank.astype(np.int32)
    rank = np.full(db.n_items, -1, np.int32)
    rank[code_of_rank] = np.arange(len(code_of_rank), dtype=np.int32)
    r_ptr, r_items = kitemsets.relabel_transactions(tx_ptr, tx_items, rank)
    n_ranks = len(code_of_rank)
    max_items = budget.max_patterns if budget.max_patterns is not None else _INT_MAX
    max_bytes = budget.memory_bytes() // n_workers
    length_cap = max_len if max_len is not None else _INT_MAX

    if algorithm == "apriori":
        results, interrupted = _apriori(r_ptr, r_items, n_ranks, min_count, length_cap,
                                        max_items, max_bytes, n_workers, progress)
        over_memory = False
    else:
        if algorithm == "fpgrowth":
            parent, item, count, hdr_ptr, hdr_nodes = kitemsets.fp_tree(r_ptr, r_items,
                                                                         n_ranks)

            def run_one(roots: np.ndarray, cancel: np.ndarray) -> tuple[Any, ...]:
                result: tuple[Any, ...] = kitemsets.fpgrowth(
                    parent, item, count, hdr_ptr, hdr_nodes, n_ranks, roots, min_count,
                    length_cap, max_items, max_bytes, cancel)
                return result
        else:
            tid_ptr, tids = kitemsets.tid_lists(r_ptr, r_items, n_ranks)

            def run_one(roots: np.ndarray, cancel: np.ndarray) -> tuple[Any, ...]:
                result: tuple[Any, ...] = kitemsets.eclat(
                    tid_ptr, tids, r_ptr, r_items, roots, n_ranks, min_count, length_cap,
                    max_items, max_bytes, cancel, _ECLAT_BITSET_MAX)
                return result

        results, interrupted, over_memory = _run_roots(run_one, n_ranks, n_workers,
                                                       max_items, budget, progress, algorithm)
    table = _to_table(results, code_of_rank, context)
    statuses = {int(r[0]) for r in results}
    if interrupted or _jit.INTERRUPTED in statuses:
        raise MiningInterrupted(f"interrupted after {len(table)} itemsets",
                                table if return_partial else None)
    if _jit.PATTERN_BUDGET in statuses or len(table) > max_items:
        raise BudgetExceededError(
            f"more than max_patterns={max_items} itemsets at min_count={min_count}; raise "
            "minsup, set max_len, or raise max_patterns",
            table.top(max_items) if return_partial else None)
    if over_memory or _jit.MEMORY_BUDGET in statuses:
        raise BudgetExceededError(
            f"mining buffers exceeded the memory budget ({budget.memory_bytes()} bytes); "
            "raise minsup, set max_len, use fewer n_jobs, or raise max_memory",
            table if return_partial else None)
    return table


def _progress(progress: bool, total: int | None, desc: str) -> Any:
    if not progress:
        return None
    from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, leave=False)


def _run_roots(run_one: Any, n_ranks: int, n_workers: int, max_items: int, budget: Budget,
               progress: bool, desc: str) -> tuple[list[tuple[Any, ...]], bool, bool]:
    """Run a root-chunked miner; returns (results in chunk order, interrupted,
    over_memory)."""
    found = 0
    kept = 0

    def stop(result: tuple[Any, ...]) -> bool:
        nonlocal found, kept
        found += len(result[3])
        kept += sum(x.nbytes for x in result[1:])
        return result[0] != _jit.OK or found > max_items or kept > budget.memory_bytes()

    bar = _progress(progress, n_ranks, desc)
    try:
        results, interrupted = run_chunks(run_one, make_chunks(n_ranks, n_workers),
                                          n_workers, stop,
                                          bar.update if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()
    return results, interrupted, kept > budget.memory_bytes()


def _apriori(r_ptr: np.ndarray, r_items: np.ndarray, n_ranks: int, min_count: int,
             max_len: int, max_items: int, max_bytes: int, n_workers: int,
             progress: bool) -> tuple[list[tuple[Any, ...]], bool]:
    """Level-wise loop in Python (progress, budgets and Ctrl-C between levels), each level's
    join/prune/count in the kernel, in chunks of parent itemsets."""
    tid_ptr, tids = kitemsets.tid_lists(r_ptr, r_items, n_ranks)
    counts = np.diff(tid_ptr)
    level = np.arange(n_ranks, dtype=np.int32)[counts >= min_count].reshape(-1, 1)
    results = [_level_result(_jit.OK, level, counts[counts >= min_count])]
    found = len(level)
    bar = _progress(progress, max_len if max_len < _INT_MAX else None, "apriori")
    interrupted = False
    try:
        while len(level) > 1 and level.shape[1] < max_len and found <= max_items:
            prev = np.ascontiguousarray(level)

            def run_one(parents: np.ndarray, cancel: np.ndarray, prev: np.ndarray = prev,
                        left: int = max_items - found) -> tuple[Any, ...]:
                result: tuple[Any, ...] = kitemsets.apriori_level(
                    prev, tid_ptr, tids, parents, min_count, left, max_bytes, cancel)
                return result

            parts, interrupted = run_chunks(run_one, make_chunks(len(prev), n_workers),
                                            n_workers, lambda r: r[0] != _jit.OK)
            status = max((int(p[0]) for p in parts), default=_jit.OK)
            level = np.concatenate([p[1] for p in parts]) if parts else prev[:0]
            level_counts = np.concatenate([p[2] for p in parts]) if parts \
                else np.zeros(0, np.int64)
            results.append(_level_result(status, level, level_counts))
            found += len(level)
            if bar is not None:
                bar.update(1)
            if interrupted or status != _jit.OK:
                break
    finally:
        if bar is not None:
            bar.close()
    return results, interrupted


def _level_result(status: int, rows: np.ndarray, counts: np.ndarray) -> tuple[Any, ...]:
    """An Apriori level in the miners' CSR result shape."""
    n, width = rows.shape if rows.ndim == 2 else (0, 1)
    ptr = np.arange(n + 1, dtype=np.int64) * width
    return status, ptr, rows.reshape(-1).astype(np.int32), counts.astype(np.int64)


def _to_table(results: list[tuple[Any, ...]], code_of_rank: np.ndarray,
              context: dict[str, Any]) -> ItemsetTable:
    if not results:
        return ItemsetTable(np.zeros(1, np.int64), np.zeros(0, np.int32),
                            np.zeros(0, np.int64), **context)
    lengths = np.concatenate([np.diff(r[1]) for r in results])
    ptr = lengths_to_ptr(lengths)
    items = code_of_rank[np.concatenate([r[2] for r in results])]
    kitemsets.sort_segments(ptr, items)
    count = np.concatenate([r[3] for r in results])
    return ItemsetTable(ptr, items, count, **context)


# --- rules ---------------------------------------------------------------------------------
def association_rules(itemsets: ItemsetTable, metric: str = "confidence",
                      min_threshold: float = 0.8, *,
                      max_rules: int | None = None) -> AssociationRuleTable:
    """Association rules A -> C (mlxtend's definition and columns) from frequent itemsets.

    Every split of a listed itemset into non-empty A and C is a candidate; it is kept when
    ``metric`` (one of RULE_METRICS; supports are fractions of the table's
    n_transactions) is >= ``min_threshold``. A and C are themselves in the table (every
    subset of a frequent itemset is frequent, also under max_len). ``max_rules`` stops an
    exploding run with BudgetExceededError.
    """
    if not isinstance(itemsets, ItemsetTable):
        raise InputError("association_rules expects the ItemsetTable from "
                         f"seqmine.itemsets(...), got {type(itemsets).__name__}")
    if metric not in _METRIC_ID:
        raise InputError(f"unknown metric {metric!r}; choose from {list(RULE_METRICS)}")
    if isinstance(min_threshold, bool) or not isinstance(min_threshold, (int, float)) \
            or np.isnan(min_threshold):
        raise InputError(f"min_threshold must be a number, got {min_threshold!r}")
    if max_rules is not None and (isinstance(max_rules, bool) or max_rules < 1):
        raise InputError(f"max_rules must be an int >= 1, got {max_rules!r}")
    longest = int(itemsets.length.max()) if len(itemsets) else 0
    if longest > 62:
        raise InputError(f"an itemset of {longest} items has 2**{longest} rules: mine with "
                         "max_len, or raise minsup")
    options = {"metric": metric, "min_threshold": float(min_threshold)}
    table, mask = kitemsets.itemset_index(itemsets.item_ptr, itemsets.items)
    limit = max_rules if max_rules is not None else _INT_MAX
    (status, itemset_of_rule, a_ptr, a_items, c_ptr, c_items, n_a,
     n_c) = kitemsets.association_rules(itemsets.item_ptr, itemsets.items, itemsets.count,
                                        table, mask, float(itemsets.n_transactions),
                                        _METRIC_ID[metric], float(min_threshold), limit,
                                        max(longest, 1))
    rules = AssociationRuleTable(a_ptr, a_items, c_ptr, c_items,
                                 itemsets.count[itemset_of_rule], n_a, n_c,
                                 itemsets.codebook, itemsets.n_transactions, options)
    if status == _jit.PATTERN_BUDGET:
        raise BudgetExceededError(
            f"more than max_rules={max_rules} rules; raise min_threshold or filter the "
            "itemsets first", rules)
    return rules


__all__ = ["ITEMSET_ALGORITHMS", "RULE_COLUMNS", "RULE_METRICS", "TRANSACTIONS",
           "AssociationRuleTable", "ItemsetTable", "association_rules", "itemsets"]
