"""Codebook: dense int32 item codes <-> original item values (ints or strings)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seqmine.errors import InputError


class Codebook:
    """Maps dense codes ``0..n-1`` to original item values, sorted ascending.

    Codes follow the sort order of the values, so sorting an itemset by code sorts it by
    value too (which keeps SPMF files byte-identical on a round trip).
    """

    __slots__ = ("_index", "values")

    def __init__(self, values: pa.Array) -> None:
        if not (pa.types.is_integer(values.type) or pa.types.is_string(values.type)
                or pa.types.is_large_string(values.type)):
            raise InputError(f"item values must be integers or strings, got {values.type}")
        self.values = values
        self._index: dict[Any, int] | None = None

    @classmethod
    def encode(cls, column: pa.Array | pa.ChunkedArray) -> tuple[Codebook, np.ndarray]:
        """Encode a column of item values: returns the codebook and int32 codes (vectorised)."""
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        if pa.types.is_large_string(column.type):
            column = column.cast(pa.string())
        if pa.types.is_integer(column.type) and column.type != pa.int64():
            column = column.cast(pa.int64())
        encoded = column.dictionary_encode()
        dictionary = encoded.dictionary
        order = pc.sort_indices(dictionary).to_numpy()
        rank = np.empty(len(order), dtype=np.int32)
        rank[order] = np.arange(len(order), dtype=np.int32)
        codes = rank[encoded.indices.to_numpy(zero_copy_only=False)]
        return cls(dictionary.take(pa.array(order))), codes

    def __len__(self) -> int:
        return len(self.values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Codebook) and self.values.equals(other.values)

    def __repr__(self) -> str:
        return f"Codebook({len(self)} items, {self.values.type})"

    @property
    def is_integer(self) -> bool:
        return pa.types.is_integer(self.values.type)

    def decode(self, codes: np.ndarray) -> pa.Array:
        """Original values of ``codes`` (vectorised Arrow take)."""
        return self.values.take(pa.array(np.asarray(codes, dtype=np.int64)))

    def decode_list(self, codes: Sequence[int] | np.ndarray) -> list[Any]:
        """Original values as a Python list (for inspection and small outputs)."""
        return list(self.decode(np.asarray(codes)).to_pylist())

    def code_of(self, values: Sequence[Any]) -> np.ndarray:
        """Codes of original ``values``; InputError names any value not in the codebook."""
        if self._index is None:
            self._index = {v: i for i, v in enumerate(self.values.to_pylist())}
        missing = [v for v in values if v not in self._index]
        if missing:
            raise InputError(f"items not in the database: {missing[:10]!r}")
        return np.array([self._index[v] for v in values], dtype=np.int32)

    def to_arrow(self) -> pa.Array:
        return self.values
