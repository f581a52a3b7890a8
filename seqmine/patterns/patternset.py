"""PatternSet: mined sequential patterns as CSR arrays with their mining context."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from seqmine._kernels import patterns as kpatterns
from seqmine.data.codebook import Codebook
from seqmine.errors import FormatVersionError, InputError
from seqmine.io.atomic import atomic_path
from seqmine.patterns.csr import lengths_to_ptr, take_ranges

FORMAT = "seqmine.patterns"
FORMAT_VERSION = 1

Pattern = tuple[tuple[Any, ...], ...]


class PatternSet:
    """Frequent sequential patterns, canonically ordered (support desc, size, length, items).

    Canonical order: support descending, then size, length, and the item tokens position by
    position (item, then whether it opens a new itemset). Storage is two-level CSR over item codes: pattern k owns itemsets
    ``pat_ptr[k]:pat_ptr[k+1]``, itemset j owns items ``pitems[pset_ptr[j]:pset_ptr[j+1]]``
    (sorted, unique). ``support`` counts sequences. The codebook, ``n_sequences``,
    ``min_count`` and the options used travel with the patterns.
    """

    def __init__(self, pat_ptr: np.ndarray, pset_ptr: np.ndarray, pitems: np.ndarray,
                 support: np.ndarray, codebook: Codebook, n_sequences: int, min_count: int,
                 options: dict[str, Any] | None = None, *, sort: bool = True,
                 token_ordered: bool = False) -> None:
        self.pat_ptr = np.asarray(pat_ptr, np.int64)
        self.pset_ptr = np.asarray(pset_ptr, np.int64)
        self.pitems = np.asarray(pitems, np.int32)
        self.support = np.asarray(support, np.int64)
        self.codebook = codebook
        self.n_sequences = int(n_sequences)
        self.min_count = int(min_count)
        self.options = dict(options or {})
        if sort and len(self.support) > 1:
            if token_ordered:
                # input already in token order: a stable sort on the leading keys finishes
                order = np.lexsort((self.length, self.size, -self.support))
            else:
                order = kpatterns.canonical_order(self.support, self.pat_ptr,
                                                  self.pset_ptr, self.pitems)
            self._take_inplace(order)

    # --- construction -------------------------------------------------------------------
    @classmethod
    def from_flat(cls, item_ptr: np.ndarray, pitems: np.ndarray, newset: np.ndarray,
                  support: np.ndarray, **context: Any) -> PatternSet:
        """From per-pattern item runs with a flag marking the first item of each itemset."""
        set_starts = np.flatnonzero(newset)
        pset_ptr = np.append(set_starts, len(pitems)).astype(np.int64)
        sets_before = np.concatenate(([0], np.cumsum(newset)))
        pat_ptr = sets_before[item_ptr].astype(np.int64)
        return cls(pat_ptr, pset_ptr, pitems, support, **context)

    @classmethod
    def from_patterns(cls, patterns: dict[Pattern, int], codebook: Codebook, n_sequences: int,
                      min_count: int, options: dict[str, Any] | None = None) -> PatternSet:
        """From ``{pattern: support}`` with patterns as tuples of itemsets of item values."""
        set_lengths: list[int] = []
        n_sets: list[int] = []
        flat: list[Any] = []
        for pattern in patterns:
            n_sets.append(len(pattern))
            for itemset in pattern:
                set_lengths.append(len(itemset))
                flat.extend(sorted(itemset))
        codes = codebook.code_of(flat) if flat else np.zeros(0, np.int32)
        return cls(lengths_to_ptr(np.array(n_sets, np.int64)),
                   lengths_to_ptr(np.array(set_lengths, np.int64)), codes,
                   np.fromiter(patterns.values(), np.int64, len(patterns)), codebook,
                   n_sequences, min_count, options)

    def _take_inplace(self, idx: np.ndarray) -> None:
        sets = take_ranges(self.pat_ptr, idx)
        items = take_ranges(self.pset_ptr, sets)
        self.pat_ptr = lengths_to_ptr(np.diff(self.pat_ptr)[idx])
        self.pset_ptr = lengths_to_ptr(np.diff(self.pset_ptr)[sets])
        self.pitems = self.pitems[items]
        self.support = self.support[idx]

    def take(self, idx: np.ndarray | Iterable[int]) -> PatternSet:
        """The patterns at positions ``idx``, in canonical order."""
        idx = np.asarray(list(idx) if not isinstance(idx, np.ndarray) else idx, np.int64)
        out = PatternSet(self.pat_ptr, self.pset_ptr, self.pitems, self.support,
                         self.codebook, self.n_sequences, self.min_count, self.options,
                         sort=False)
        out._take_inplace(idx)
        if len(idx) > 1 and np.any(np.diff(idx) < 0):
            order = kpatterns.canonical_order(out.support, out.pat_ptr, out.pset_ptr,
                                              out.pitems)
            out._take_inplace(order)
        return out

    # --- basic views --------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.support)

    @property
    def size(self) -> np.ndarray:
        """Number of itemsets per pattern."""
        return np.diff(self.pat_ptr)

    @property
    def length(self) -> np.ndarray:
        """Number of items per pattern."""
        return self.pset_ptr[self.pat_ptr[1:]] - self.pset_ptr[self.pat_ptr[:-1]]

    def codes(self, k: int) -> tuple[tuple[int, ...], ...]:
        """Pattern ``k`` as tuples of item codes."""
        return tuple(tuple(self.pitems[self.pset_ptr[j]:self.pset_ptr[j + 1]].tolist())
                     for j in range(self.pat_ptr[k], self.pat_ptr[k + 1]))

    def __getitem__(self, k: int) -> Pattern:
        """Pattern ``k`` decoded to original item values."""
        if not -len(self) <= k < len(self):
            raise IndexError(f"pattern index {k} out of range for {len(self)} patterns")
        k %= len(self)
        return tuple(tuple(self.codebook.decode_list(list(s))) for s in self.codes(k))

    def __iter__(self) -> Iterator[tuple[Pattern, int]]:
        table = self.to_arrow()
        for pattern, support in zip(table.column("pattern").to_pylist(),
                                    self.support.tolist()):
            yield tuple(tuple(s) for s in pattern), support

    def as_dict(self) -> dict[Pattern, int]:
        """``{pattern: support}`` with decoded patterns (tuples of itemsets)."""
        return dict(iter(self))

    def __repr__(self) -> str:
        return (f"PatternSet({len(self)} patterns, min_count={self.min_count}, "
                f"n_sequences={self.n_sequences})")

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, PatternSet) and np.array_equal(self.pat_ptr, other.pat_ptr)
                and np.array_equal(self.pset_ptr, other.pset_ptr)
                and np.array_equal(self.pitems, other.pitems)
                and np.array_equal(self.support, other.support)
                and self.codebook == other.codebook)

    # --- tables -------------------------------------------------------------------------
    def _nested(self, values: pa.Array) -> pa.Array:
        sets = pa.ListArray.from_arrays(pa.array(self.pset_ptr.astype(np.int32)), values)
        return pa.ListArray.from_arrays(pa.array(self.pat_ptr.astype(np.int32)), sets)

    def to_arrow(self) -> pa.Table:
        """Columns: pattern (list of itemsets of original ids), support, frequency, size,
        length."""
        return pa.table({
            "pattern": self._nested(self.codebook.decode(self.pitems)),
            "support": pa.array(self.support),
            "frequency": pa.array(self.support / max(self.n_sequences, 1)),
            "size": pa.array(self.size),
            "length": pa.array(self.length),
        })

    def to_pandas(self):  # type: ignore[no-untyped-def]
        return self.to_arrow().to_pandas()

    # --- selection ----------------------------------------------------------------------
    def filter(self, *, min_support: int | float | None = None, min_size: int | None = None,
               max_size: int | None = None, min_length: int | None = None,
               max_length: int | None = None, contains: Iterable[Any] = ()) -> PatternSet:
        """Patterns meeting every bound given; ``contains`` items must all appear."""
        keep = np.ones(len(self), dtype=bool)
        if min_support is not None:
            from seqmine.options import resolve_minsup
            keep &= self.support >= resolve_minsup(min_support, self.n_sequences)
        size, length = self.size, self.length
        for bound, values, is_min in ((min_size, size, True), (max_size, size, False),
                                      (min_length, length, True),
                                      (max_length, length, False)):
            if bound is not None:
                keep &= values >= bound if is_min else values <= bound
        wanted = list(contains)
        if wanted:
            pattern_of_item = np.repeat(np.repeat(np.arange(len(self)), size),
                                        np.diff(self.pset_ptr))
            for code in self.codebook.code_of(wanted):
                has = np.zeros(len(self), dtype=bool)
                has[pattern_of_item[self.pitems == code]] = True
                keep &= has
        return self.take(np.flatnonzero(keep))

    def top(self, k: int) -> PatternSet:
        """The first ``k`` patterns in canonical order (highest support first)."""
        return self.take(np.arange(min(k, len(self))))

    # --- persistence --------------------------------------------------------------------
    def header(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": FORMAT_VERSION, "n_sequences": self.n_sequences,
                "min_count": self.min_count, "options": self.options,
                "codebook_type": str(self.codebook.values.type)}

    def to_parquet(self, path: str | Path) -> None:
        """Parquet with decoded patterns, the codes, and a JSON header (atomic write)."""
        table = self.to_arrow().append_column(
            "pattern_codes", self._nested(pa.array(self.pitems)))
        header = self.header()
        header["codebook"] = self.codebook.values.to_pylist()
        table = table.replace_schema_metadata(
            {b"seqmine": json.dumps(header, default=str).encode()})
        with atomic_path(path) as tmp:
            pq.write_table(table, tmp, compression="zstd")

    @classmethod
    def read_parquet(cls, path: str | Path) -> PatternSet:
        path = Path(path)
        try:
            table = pq.read_table(path)
        except (OSError, pa.ArrowInvalid) as exc:
            raise InputError(f"could not read patterns from {path}: {exc}") from exc
        raw = (table.schema.metadata or {}).get(b"seqmine")
        if raw is None:
            raise InputError(f"{path} is not a seqmine pattern file (no header)")
        header = json.loads(raw)
        if header.get("format") != FORMAT or header.get("version") != FORMAT_VERSION:
            raise FormatVersionError(
                f"{path}: format {header.get('format')} v{header.get('version')}, "
                f"expected {FORMAT} v{FORMAT_VERSION}")
        codes = table.column("pattern_codes").combine_chunks()
        pat_ptr = codes.offsets.to_numpy().astype(np.int64)
        sets = codes.flatten()
        pset_ptr = sets.offsets.to_numpy().astype(np.int64)
        pitems = sets.flatten().to_numpy().astype(np.int32)
        return cls(pat_ptr - pat_ptr[0], pset_ptr - pset_ptr[0], pitems,
                   table.column("support").to_numpy(),
                   Codebook(pa.array(header["codebook"], type=_arrow_type(header))),
                   header["n_sequences"], header["min_count"], header["options"], sort=False)

    def to_spmf(self, path: str | Path) -> None:
        """SPMF's output format, one pattern a line: ``1 -1 2 3 -1 #SUP: 5`` (atomic).

        Integer items are written by a kernel; text items are written as they are (SPMF
        itself would need them mapped to integers).
        """
        if self.codebook.is_integer:
            from seqmine._kernels import spmf as kspmf
            values = self.codebook.values.to_numpy().astype(np.int64)[self.pitems]
            data = kspmf.write_patterns(self.pat_ptr, self.pset_ptr, values,
                                        self.support).tobytes()
        else:
            names = self.codebook.decode(self.pitems).to_pylist()
            lines = []
            for k in range(len(self)):
                sets = [" ".join(names[self.pset_ptr[j]:self.pset_ptr[j + 1]])
                        for j in range(self.pat_ptr[k], self.pat_ptr[k + 1])]
                lines.append(" -1 ".join(sets) + f" -1 #SUP: {self.support[k]}\n")
            data = "".join(lines).encode("utf-8")
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            fh.write(data)

def _arrow_type(header: dict[str, Any]) -> pa.DataType:
    return pa.string() if header["codebook_type"] in ("string", "large_string") else pa.int64()
