"""RuleSet: rules X => Y as flat CSR arrays with their measures and mining context."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from seqmine.data.codebook import Codebook
from seqmine.errors import FormatVersionError, InputError
from seqmine.io.atomic import atomic_path
from seqmine.patterns.csr import lengths_to_ptr, take_ranges

FORMAT = "seqmine.rules"
FORMAT_VERSION = 1

KINDS = ("next-item", "sequential", "partially-ordered", "next-item-window")
SORT_KEYS = ("confidence", "support", "lift", "antecedent_support", "consequent_support",
             "antecedent_length", "consequent_length")

Pattern = tuple[tuple[Any, ...], ...]


class RuleSet:
    """Rules X => Y with support, confidence and lift (DESIGN.md, "Rules").

    Both sides are patterns stored as two-level CSR over item codes: rule r's antecedent owns
    itemsets ``ant_ptr[r]:ant_ptr[r+1]``, itemset j owns ``ant_items[ant_set_ptr[j]:
    ant_set_ptr[j+1]]`` (sorted, unique); the same with ``con_*`` for the consequent.

    ``kind``:
      * ``"next-item"``: X a pattern, Y one item right after it (X·<{y}> frequent);
      * ``"sequential"``: X, Y patterns, X then Y;
      * ``"partially-ordered"``: X, Y unordered item sets (one itemset each), every item of X
        before every item of Y (RuleGrowth semantics);
      * ``"next-item-window"``: the RuleRecommender's item-to-item rules, counted over event
        pairs within a window (``unit="events"``, support weighted by distance).

    Measures: ``support`` counts ``unit`` ("sequences", or "events") holding X then Y,
    ``confidence = support / antecedent_support``, ``lift = confidence /
    (consequent_support / n_units)`` with ``n_units`` the number of sequences (or events).
    Rules are kept in the order given; :meth:`sort` reorders them.
    """

    def __init__(self, ant_ptr: np.ndarray, ant_set_ptr: np.ndarray, ant_items: np.ndarray,
                 con_ptr: np.ndarray, con_set_ptr: np.ndarray, con_items: np.ndarray,
                 support: np.ndarray, antecedent_support: np.ndarray,
                 consequent_support: np.ndarray, *, codebook: Codebook, kind: str,
                 n_sequences: int, min_count: int = 1, unit: str = "sequences",
                 n_units: int | None = None, options: dict[str, Any] | None = None) -> None:
        if kind not in KINDS:
            raise InputError(f"unknown rule kind {kind!r}; use one of {KINDS}")
        if unit not in ("sequences", "events"):
            raise InputError(f"unit must be 'sequences' or 'events', got {unit!r}")
        self.ant_ptr = np.asarray(ant_ptr, np.int64)
        self.ant_set_ptr = np.asarray(ant_set_ptr, np.int64)
        self.ant_items = np.asarray(ant_items, np.int32)
        self.con_ptr = np.asarray(con_ptr, np.int64)
        self.con_set_ptr = np.asarray(con_set_ptr, np.int64)
        self.con_items = np.asarray(con_items, np.int32)
        self.support = _numeric(support)
        self.antecedent_support = _numeric(antecedent_support)
        self.consequent_support = _numeric(consequent_support)
        n = len(self.support)
        if not (len(self.ant_ptr) == len(self.con_ptr) == n + 1
                and len(self.antecedent_support) == len(self.consequent_support) == n):
            raise InputError("RuleSet arrays disagree on the number of rules")
        self.codebook = codebook
        self.kind = kind
        self.n_sequences = int(n_sequences)
        self.min_count = int(min_count)
        self.unit = unit
        self.n_units = int(n_units if n_units is not None else n_sequences)
        self.options = dict(options or {})

    # --- construction -------------------------------------------------------------------
    @classmethod
    def empty(cls, codebook: Codebook, kind: str, n_sequences: int, **context: Any) -> RuleSet:
        zero = np.zeros(1, np.int64)
        none = np.zeros(0, np.int64)
        return cls(zero, zero, none, zero, zero, none, none, none, none, codebook=codebook,
                   kind=kind, n_sequences=n_sequences, **context)

    def _context(self) -> dict[str, Any]:
        return {"codebook": self.codebook, "kind": self.kind, "n_sequences": self.n_sequences,
                "min_count": self.min_count, "unit": self.unit, "n_units": self.n_units,
                "options": self.options}

    def take(self, idx: np.ndarray | Iterable[int]) -> RuleSet:
        """The rules at positions ``idx``, in that order."""
        idx = np.asarray(list(idx) if not isinstance(idx, np.ndarray) else idx, np.int64)
        a_sets = take_ranges(self.ant_ptr, idx)
        c_sets = take_ranges(self.con_ptr, idx)
        return RuleSet(
            lengths_to_ptr(np.diff(self.ant_ptr)[idx]),
            lengths_to_ptr(np.diff(self.ant_set_ptr)[a_sets]),
            self.ant_items[take_ranges(self.ant_set_ptr, a_sets)],
            lengths_to_ptr(np.diff(self.con_ptr)[idx]),
            lengths_to_ptr(np.diff(self.con_set_ptr)[c_sets]),
            self.con_items[take_ranges(self.con_set_ptr, c_sets)],
            self.support[idx], self.antecedent_support[idx], self.consequent_support[idx],
            **self._context())

    # --- measures -----------------------------------------------------------------------
    @property
    def confidence(self) -> np.ndarray:
        """support / antecedent_support (float64)."""
        return np.asarray(self.support / np.maximum(self.antecedent_support, 1), np.float64)

    @property
    def lift(self) -> np.ndarray:
        """confidence / (consequent_support / n_units) (float64)."""
        return np.asarray(self.confidence * self.n_units
                          / np.maximum(self.consequent_support, 1), np.float64)

    @property
    def antecedent_length(self) -> np.ndarray:
        """Items in each antecedent."""
        return self.ant_set_ptr[self.ant_ptr[1:]] - self.ant_set_ptr[self.ant_ptr[:-1]]

    @property
    def consequent_length(self) -> np.ndarray:
        return self.con_set_ptr[self.con_ptr[1:]] - self.con_set_ptr[self.con_ptr[:-1]]

    def measure(self, name: str) -> np.ndarray:
        if name not in SORT_KEYS:
            raise InputError(f"unknown rule measure {name!r}; use one of {SORT_KEYS}")
        return np.asarray(getattr(self, name))

    # --- views --------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.support)

    def __repr__(self) -> str:
        return (f"RuleSet({len(self)} {self.kind} rules, min_count={self.min_count}, "
                f"n_sequences={self.n_sequences})")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RuleSet):
            return False
        names = ("ant_ptr", "ant_set_ptr", "ant_items", "con_ptr", "con_set_ptr", "con_items",
                 "support", "antecedent_support", "consequent_support")
        return (self.kind == other.kind and self.codebook == other.codebook
                and self.n_units == other.n_units
                and all(np.array_equal(getattr(self, n), getattr(other, n)) for n in names))

    def antecedent_codes(self, r: int) -> tuple[tuple[int, ...], ...]:
        return _codes(self.ant_ptr, self.ant_set_ptr, self.ant_items, r)

    def consequent_codes(self, r: int) -> tuple[tuple[int, ...], ...]:
        return _codes(self.con_ptr, self.con_set_ptr, self.con_items, r)

    def __getitem__(self, r: int) -> tuple[Pattern, Pattern]:
        """Rule ``r`` as (antecedent, consequent), decoded to original item values."""
        if not -len(self) <= r < len(self):
            raise IndexError(f"rule index {r} out of range for {len(self)} rules")
        r %= len(self)
        decode = self.codebook.decode_list
        return (tuple(tuple(decode(list(s))) for s in self.antecedent_codes(r)),
                tuple(tuple(decode(list(s))) for s in self.consequent_codes(r)))

    def __iter__(self) -> Iterator[tuple[Pattern, Pattern]]:
        table = self.to_arrow()
        for a, c in zip(table.column("antecedent").to_pylist(),
                        table.column("consequent").to_pylist(), strict=False):
            yield tuple(tuple(s) for s in a), tuple(tuple(s) for s in c)

    def as_dict(self) -> dict[tuple[Pattern, Pattern], tuple[Any, float, float]]:
        """``{(antecedent, consequent): (support, confidence, lift)}`` with decoded sides."""
        conf, lift = self.confidence.tolist(), self.lift.tolist()
        return {rule: (s, c, lf) for rule, s, c, lf in
                zip(iter(self), self.support.tolist(), conf, lift, strict=False)}

    # --- tables -------------------------------------------------------------------------
    def _nested(self, ptr: np.ndarray, set_ptr: np.ndarray, values: pa.Array) -> pa.Array:
        sets = pa.ListArray.from_arrays(pa.array(set_ptr.astype(np.int32)), values)
        return pa.ListArray.from_arrays(pa.array(ptr.astype(np.int32)), sets)

    def to_arrow(self) -> pa.Table:
        """Columns: antecedent, consequent (lists of itemsets of original ids), support,
        confidence, lift, antecedent_support, consequent_support."""
        decode = self.codebook.decode
        return pa.table({
            "antecedent": self._nested(self.ant_ptr, self.ant_set_ptr, decode(self.ant_items)),
            "consequent": self._nested(self.con_ptr, self.con_set_ptr, decode(self.con_items)),
            "support": pa.array(self.support),
            "confidence": pa.array(self.confidence),
            "lift": pa.array(self.lift),
            "antecedent_support": pa.array(self.antecedent_support),
            "consequent_support": pa.array(self.consequent_support),
        })

    def to_pandas(self):  # type: ignore[no-untyped-def]
        return self.to_arrow().to_pandas()

    # --- order and selection ------------------------------------------------------------
    def sort(self, by: str | Sequence[str] = ("confidence", "support", "lift"),
             ascending: bool = False) -> RuleSet:
        """Rules ordered by the measures ``by`` (first key first); ties keep their order."""
        keys = [by] if isinstance(by, str) else list(by)
        if not keys:
            raise InputError("sort needs at least one measure")
        sign = 1.0 if ascending else -1.0
        columns = [sign * self.measure(k).astype(np.float64) for k in reversed(keys)]
        order = np.lexsort([np.arange(len(self)), *columns])
        return self.take(order)

    def top(self, k: int, by: str | Sequence[str] = ("confidence", "support", "lift")
            ) -> RuleSet:
        """The ``k`` best rules by ``by`` (descending)."""
        return self.sort(by).take(np.arange(min(k, len(self))))

    def filter(self, *, min_support: float | None = None, min_confidence: float | None = None,
               min_lift: float | None = None, max_antecedent_length: int | None = None,
               max_consequent_length: int | None = None,
               antecedent_contains: Iterable[Any] = (),
               consequent_contains: Iterable[Any] = ()) -> RuleSet:
        """Rules meeting every bound given; ``*_contains`` items must all be on that side.

        ``min_support``: an int is a count of ``unit``; a float in (0, 1) a fraction of
        ``n_units``.
        """
        keep = np.ones(len(self), dtype=bool)
        if min_support is not None:
            bound = (min_support * self.n_units
                     if isinstance(min_support, float) and min_support < 1 else min_support)
            keep &= self.support >= bound
        if min_confidence is not None:
            keep &= self.confidence >= min_confidence
        if min_lift is not None:
            keep &= self.lift >= min_lift
        if max_antecedent_length is not None:
            keep &= self.antecedent_length <= max_antecedent_length
        if max_consequent_length is not None:
            keep &= self.consequent_length <= max_consequent_length
        for wanted, ptr, set_ptr, items in (
                (antecedent_contains, self.ant_ptr, self.ant_set_ptr, self.ant_items),
                (consequent_contains, self.con_ptr, self.con_set_ptr, self.con_items)):
            values = list(wanted)
            if not values:
                continue
            rule_of_item = np.repeat(np.repeat(np.arange(len(self)), np.diff(ptr)),
                                     np.diff(set_ptr))
            for code in self.codebook.code_of(values):
                has = np.zeros(len(self), dtype=bool)
                has[rule_of_item[items == code]] = True
                keep &= has
        return self.take(np.flatnonzero(keep))

    # --- persistence --------------------------------------------------------------------
    def header(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": FORMAT_VERSION, "kind": self.kind,
                "n_sequences": self.n_sequences, "min_count": self.min_count,
                "unit": self.unit, "n_units": self.n_units, "options": self.options,
                "support_dtype": str(self.support.dtype),
                "codebook_type": str(self.codebook.values.type)}

    def to_parquet(self, path: str | Path) -> None:
        """Parquet with decoded rules, the codes, and a JSON header (atomic write)."""
        table = self.to_arrow()
        table = table.append_column("antecedent_codes", self._nested(
            self.ant_ptr, self.ant_set_ptr, pa.array(self.ant_items)))
        table = table.append_column("consequent_codes", self._nested(
            self.con_ptr, self.con_set_ptr, pa.array(self.con_items)))
        header = self.header()
        header["codebook"] = self.codebook.values.to_pylist()
        table = table.replace_schema_metadata(
            {b"seqmine": json.dumps(header, default=str).encode()})
        with atomic_path(path) as tmp:
            pq.write_table(table, tmp, compression="zstd")

    @classmethod
    def read_parquet(cls, path: str | Path) -> RuleSet:
        path = Path(path)
        try:
            table = pq.read_table(path)
        except (OSError, pa.ArrowInvalid) as exc:
            raise InputError(f"could not read rules from {path}: {exc}") from exc
        raw = (table.schema.metadata or {}).get(b"seqmine")
        if raw is None:
            raise InputError(f"{path} is not a seqmine rule file (no header)")
        header = json.loads(raw)
        if header.get("format") != FORMAT or header.get("version") != FORMAT_VERSION:
            raise FormatVersionError(
                f"{path}: format {header.get('format')} v{header.get('version')}, "
                f"expected {FORMAT} v{FORMAT_VERSION}")
        sides = []
        for name in ("antecedent_codes", "consequent_codes"):
            codes = table.column(name).combine_chunks()
            ptr = codes.offsets.to_numpy().astype(np.int64)
            sets = codes.flatten()
            set_ptr = sets.offsets.to_numpy().astype(np.int64)
            sides.append((ptr - ptr[0], set_ptr - set_ptr[0],
                          sets.flatten().to_numpy().astype(np.int32)))
        vtype = pa.string() if header["codebook_type"] in ("string", "large_string") \
            else pa.int64()
        return cls(*sides[0], *sides[1], table.column("support").to_numpy(),
                   table.column("antecedent_support").to_numpy(),
                   table.column("consequent_support").to_numpy(),
                   codebook=Codebook(pa.array(header["codebook"], type=vtype)),
                   kind=header["kind"], n_sequences=header["n_sequences"],
                   min_count=header["min_count"], unit=header["unit"],
                   n_units=header["n_units"], options=header["options"])


def _numeric(values: Any) -> np.ndarray:
    """int64 counts, or float64 when the supports are weighted."""
    arr = np.asarray(values)
    if arr.dtype.kind in "iub":
        return arr.astype(np.int64)
    return arr.astype(np.float64)


def _codes(ptr: np.ndarray, set_ptr: np.ndarray, items: np.ndarray,
           r: int) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(items[set_ptr[j]:set_ptr[j + 1]].tolist())
                 for j in range(ptr[r], ptr[r + 1]))
