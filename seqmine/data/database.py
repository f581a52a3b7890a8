"""SequenceDatabase: the flat, integer-encoded sequence database every miner reads."""

from __future__ import annotations

from collections import namedtuple
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from seqmine.data.codebook import Codebook
from seqmine.errors import InputError

SequenceArrays = namedtuple("SequenceArrays", ["seq_ptr", "evt_ptr", "items", "times"])
SequenceArrays.__doc__ = """The flat arrays Numba kernels take.

seq_ptr : int64[N+1]  sequence s owns events seq_ptr[s]:seq_ptr[s+1]
evt_ptr : int64[E+1]  event e owns items evt_ptr[e]:evt_ptr[e+1]
items   : int32[M]    item codes; sorted ascending and unique within each event
times   : int64[E]    event times, non-decreasing within each sequence
"""


class SequenceDatabase:
    """N sequences of itemsets as CSR arrays plus a codebook back to the original item ids.

    Build one with :func:`seqmine.read_events`, :meth:`from_spmf` or :meth:`from_sequences`.
    ``sequence_ids`` holds the original sequence key of each sequence (user or session id);
    ``time_unit`` is the unit of ``times`` ("s", "ms", "us", "ns") or None for plain numbers
    and positions.
    """

    __slots__ = ("arrays", "codebook", "sequence_ids", "time_unit")

    def __init__(
        self,
        arrays: SequenceArrays,
        codebook: Codebook,
        sequence_ids: pa.Array | None = None,
        time_unit: str | None = None,
    ) -> None:
        self.arrays = arrays
        self.codebook = codebook
        n = len(arrays.seq_ptr) - 1
        self.sequence_ids = sequence_ids if sequence_ids is not None else pa.array(
            np.arange(n, dtype=np.int64))
        self.time_unit = time_unit

    # --- construction -------------------------------------------------------------------
    @classmethod
    def from_sequences(cls, sequences: list[list[Any]], times: list[list[int]] | None = None
                       ) -> SequenceDatabase:
        """Small databases from Python lists, e.g. ``[[1, (2, 3)], [[1], [3]]]``.

        An element that is a list/tuple/set is an itemset; anything else is a one-item event.
        Meant for examples and tests; large data goes through read_events or from_spmf.
        """
        flat_items: list[Any] = []
        evt_sizes: list[int] = []
        seq_sizes: list[int] = []
        for seq in sequences:
            seq_sizes.append(len(seq))
            for event in seq:
                members = sorted(set(event)) if isinstance(event, (list, tuple, set, frozenset)) \
                    else [event]
                if not members:
                    raise InputError("empty itemset in from_sequences input")
                flat_items.extend(members)
                evt_sizes.append(len(members))
        n_events = len(evt_sizes)
        if times is None:
            evt_times = np.concatenate([np.arange(k, dtype=np.int64) for k in seq_sizes]) \
                if n_events else np.zeros(0, np.int64)
        else:
            evt_times = np.array([t for ts in times for t in ts], dtype=np.int64)
            if len(evt_times) != n_events:
                raise InputError("times must give one time per event")
        if flat_items:
            codebook, codes = Codebook.encode(pa.array(flat_items))
        else:
            codebook, codes = Codebook(pa.array([], pa.int64())), np.zeros(0, np.int32)
        seq_ptr = np.zeros(len(seq_sizes) + 1, np.int64)
        np.cumsum(seq_sizes, out=seq_ptr[1:])
        evt_ptr = np.zeros(n_events + 1, np.int64)
        np.cumsum(evt_sizes, out=evt_ptr[1:])
        from seqmine.data.build import sort_within_events
        codes = sort_within_events(evt_ptr, codes)
        return cls(SequenceArrays(seq_ptr, evt_ptr, codes, evt_times), codebook)

    @classmethod
    def from_spmf(cls, path: str | Path) -> SequenceDatabase:
        """Read an SPMF sequence file (``1 -1 2 3 -1 -2`` lines; .gz accepted)."""
        from seqmine.data.spmf import read_spmf
        return read_spmf(path)

    # --- size and inspection ------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.arrays.seq_ptr) - 1

    @property
    def n_sequences(self) -> int:
        return len(self)

    @property
    def n_events(self) -> int:
        return len(self.arrays.evt_ptr) - 1

    @property
    def n_items(self) -> int:
        """Number of distinct items (size of the codebook)."""
        return len(self.codebook)

    @property
    def max_itemset_size(self) -> int:
        return int(np.diff(self.arrays.evt_ptr).max()) if self.n_events else 0

    def sequence_codes(self, i: int) -> list[list[int]]:
        """Sequence ``i`` as lists of item codes (for kernels' test oracles and inspection)."""
        a = self.arrays
        if not -len(self) <= i < len(self):
            raise IndexError(f"sequence index {i} out of range for {len(self)} sequences")
        i %= len(self)
        return [a.items[a.evt_ptr[e]:a.evt_ptr[e + 1]].tolist()
                for e in range(a.seq_ptr[i], a.seq_ptr[i + 1])]

    def __getitem__(self, i: int) -> list[list[Any]]:
        """Sequence ``i`` decoded to original item values (one list per itemset)."""
        return [self.codebook.decode_list(codes) for codes in self.sequence_codes(i)]

    def __iter__(self):  # type: ignore[no-untyped-def]
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        return (f"SequenceDatabase({self.n_sequences} sequences, {self.n_events} events, "
                f"{len(self.arrays.items)} items, {self.n_items} distinct)")

    def describe(self) -> dict[str, Any]:
        """Summary statistics: counts, itemset sizes, sequence lengths, time span."""
        a = self.arrays
        seq_len = np.diff(a.seq_ptr)
        set_size = np.diff(a.evt_ptr)

        def dist(x: np.ndarray) -> dict[str, float]:
            if len(x) == 0:
                return {"min": 0, "mean": 0.0, "median": 0.0, "p90": 0.0, "max": 0}
            return {"min": int(x.min()), "mean": round(float(x.mean()), 3),
                    "median": float(np.median(x)), "p90": float(np.percentile(x, 90)),
                    "max": int(x.max())}

        return {
            "sequences": self.n_sequences,
            "events": self.n_events,
            "item_occurrences": int(len(a.items)),
            "distinct_items": self.n_items,
            "events_per_sequence": dist(seq_len),
            "items_per_event": dist(set_size),
            "time_min": int(a.times.min()) if self.n_events else None,
            "time_max": int(a.times.max()) if self.n_events else None,
            "time_unit": self.time_unit,
        }

    def validate(self) -> None:
        """Check the CSR invariants; raises InputError naming the first one broken."""
        from seqmine.data.build import check_invariants
        check_invariants(self)

    # --- export -------------------------------------------------------------------------
    def to_spmf(self, path: str | Path) -> None:
        """Write the SPMF text format (atomically)."""
        from seqmine.data.spmf import write_spmf
        write_spmf(self, path)

    def to_arrow(self, sequence: str = "user_id", item: str = "item_id",
                 time: str = "timestamp") -> pa.Table:
        """One row per (event, item): the event log this database came from."""
        a = self.arrays
        evt_of_item = np.repeat(np.arange(self.n_events, dtype=np.int64), np.diff(a.evt_ptr))
        seq_of_evt = np.repeat(np.arange(len(self), dtype=np.int64), np.diff(a.seq_ptr))
        time_type = pa.timestamp(self.time_unit) if self.time_unit else pa.int64()
        return pa.table({
            sequence: self.sequence_ids.take(pa.array(seq_of_evt[evt_of_item])),
            item: self.codebook.decode(a.items),
            time: pa.array(a.times[evt_of_item]).cast(time_type),
        })

    def to_pandas(self, **names: str):  # type: ignore[no-untyped-def]
        return self.to_arrow(**names).to_pandas()

    def to_parquet(self, path: str | Path, **names: str) -> None:
        """Write the event log as Parquet (atomically)."""
        import pyarrow.parquet as pq

        from seqmine.io.atomic import atomic_path
        with atomic_path(path) as tmp:
            pq.write_table(self.to_arrow(**names), tmp, compression="zstd")

    def subset(self, sequence_indices: np.ndarray) -> SequenceDatabase:
        """A database of the chosen sequences (same codebook), in the order given."""
        from seqmine.data.build import take_sequences
        return take_sequences(self, np.asarray(sequence_indices, dtype=np.int64))
