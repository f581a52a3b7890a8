"""Train / validation / test splits for next-item evaluation, built so nothing leaks.

Two protocols (DESIGN.md, "Evaluation protocol"):

* ``"leave-one-out"`` (the SASRec protocol): in every sequence of at least ``min_length``
  events, the last event is the test target, the second-last the validation target, and the
  events before them are training data. Shorter sequences go to training whole and are not
  evaluated (as in SASRec's code).
* ``"temporal"``: one global clock. Events before the validation cut-off are training data;
  events in ``[valid_start, test_start)`` are validation targets and events at or after
  ``test_start`` test targets, each with the history of all earlier events of its sequence.

Guarantee (tested): ``Split.train`` holds no test or validation target event, nor anything
later in the same sequence; under ``"temporal"``, no training event is at or after the
validation cut-off. An evaluation instance's history ends right before its target event.
Histories of evaluation instances may include earlier *evaluation* events (the test history
of leave-one-out includes the validation event): that is input at inference, never training.

Evaluation instances are kept as flat arrays of event ranges into the source database (no
per-user Python objects); :meth:`EvalSet.histories` gathers a batch as ``SequenceArrays``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from seqmine.data.database import SequenceArrays, SequenceDatabase
from seqmine.errors import InputError

__all__ = ["EvalSet", "Split", "split"]

_UNITS = ("s", "ms", "us", "ns")


def concat_ranges(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """``concatenate([arange(a, b) for a, b in zip(starts, stops)])`` without a Python loop."""
    starts = np.asarray(starts, np.int64)
    lengths = np.asarray(stops, np.int64) - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.arange(total, dtype=np.int64) - offsets + np.repeat(starts, lengths)


@dataclass(frozen=True, eq=False)
class EvalSet:
    """Evaluation instances: one target event per instance, with the history before it.

    Attributes (all flat NumPy arrays, one entry per instance unless said otherwise)
    ----------
    source : the arrays of the database the split was made from.
    hist_start, hist_stop : int64; the history is events ``hist_start:hist_stop`` of
        ``source`` (``hist_stop`` is the target event, so the history ends right before it).
    target_ptr : int64[n+1]; instance ``i`` has target items
        ``target_items[target_ptr[i]:target_ptr[i+1]]`` (the items of the target event,
        sorted by code; one item unless events are itemsets).
    sequence : int64; index of the instance's sequence in the source database.
    n_items : size of the catalogue (codebook length).
    """

    source: SequenceArrays
    hist_start: np.ndarray
    hist_stop: np.ndarray
    target_ptr: np.ndarray
    target_items: np.ndarray
    sequence: np.ndarray
    n_items: int

    @classmethod
    def from_targets(cls, source: SequenceArrays, target_event: np.ndarray,
                     n_items: int) -> EvalSet:
        """Instances whose targets are the events ``target_event`` (histories: every earlier
        event of the same sequence)."""
        target_event = np.asarray(target_event, np.int64)
        seq_of_evt = np.repeat(np.arange(len(source.seq_ptr) - 1, dtype=np.int64),
                               np.diff(source.seq_ptr))
        sequence = seq_of_evt[target_event]
        hist_start = source.seq_ptr[sequence].astype(np.int64)
        starts = source.evt_ptr[target_event]
        stops = source.evt_ptr[target_event + 1]
        target_ptr = np.zeros(len(target_event) + 1, np.int64)
        np.cumsum(stops - starts, out=target_ptr[1:])
        target_items = source.items[concat_ranges(starts, stops)].astype(np.int32)
        return cls(source, hist_start, target_event.copy(), target_ptr, target_items,
                   sequence, n_items)

    def __len__(self) -> int:
        return len(self.hist_start)

    def __repr__(self) -> str:
        return (f"EvalSet({len(self)} instances, {len(self.target_items)} target items, "
                f"{self.n_items} catalogue items)")

    @property
    def target_event(self) -> np.ndarray:
        """Index (in ``source``) of each instance's target event."""
        return self.hist_stop

    def histories(self, index: np.ndarray | slice | None = None) -> SequenceArrays:
        """Histories of instances ``index`` (all when None) as one ``SequenceArrays`` batch."""
        sel = np.arange(len(self))[index] if index is not None else np.arange(len(self))
        src = self.source
        starts, stops = self.hist_start[sel], self.hist_stop[sel]
        seq_ptr = np.zeros(len(sel) + 1, np.int64)
        np.cumsum(stops - starts, out=seq_ptr[1:])
        evt = concat_ranges(starts, stops)
        sizes = src.evt_ptr[evt + 1] - src.evt_ptr[evt]
        evt_ptr = np.zeros(len(evt) + 1, np.int64)
        np.cumsum(sizes, out=evt_ptr[1:])
        items = src.items[concat_ranges(src.evt_ptr[starts], src.evt_ptr[stops])]
        return SequenceArrays(seq_ptr, evt_ptr, items, src.times[evt])

    def targets(self, index: np.ndarray | slice | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(target_ptr, target_items)`` of instances ``index`` (all when None)."""
        if index is None:
            return self.target_ptr, self.target_items
        sel = np.arange(len(self))[index]
        starts, stops = self.target_ptr[sel], self.target_ptr[sel + 1]
        ptr = np.zeros(len(sel) + 1, np.int64)
        np.cumsum(stops - starts, out=ptr[1:])
        return ptr, self.target_items[concat_ranges(starts, stops)]

    def target_times(self) -> np.ndarray:
        return self.source.times[self.hist_stop]

    def history_lengths(self) -> np.ndarray:
        """Number of events in each history."""
        return self.hist_stop - self.hist_start

    def subset(self, index: np.ndarray) -> EvalSet:
        """The instances ``index`` (e.g. a random sample for fast validation)."""
        index = np.asarray(index, np.int64)
        ptr, items = self.targets(index)
        return EvalSet(self.source, self.hist_start[index], self.hist_stop[index], ptr, items,
                       self.sequence[index], self.n_items)

    def sample(self, n: int, seed: int = 0) -> EvalSet:
        """At most ``n`` instances drawn without replacement (kept in their order)."""
        if n >= len(self):
            return self
        rng = np.random.default_rng(seed)
        return self.subset(np.sort(rng.choice(len(self), size=n, replace=False)))


@dataclass(frozen=True, eq=False)
class Split:
    """A train / validation / test split of one database.

    ``train`` is a SequenceDatabase with the source's codebook (miners and rankers fit on
    it); ``train_sequence[i]`` is the source index of training sequence ``i`` (sequences
    left without training events are dropped). ``valid`` and ``test`` are :class:`EvalSet`.
    """

    kind: str
    train: SequenceDatabase
    valid: EvalSet
    test: EvalSet
    source: SequenceDatabase
    train_sequence: np.ndarray
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def codebook(self) -> Any:
        return self.source.codebook

    @property
    def n_items(self) -> int:
        return self.source.n_items

    def __repr__(self) -> str:
        return (f"Split({self.kind!r}: train {len(self.train)} sequences / "
                f"{self.train.n_events} events, valid {len(self.valid)}, "
                f"test {len(self.test)} instances)")

    def train_and_valid(self) -> SequenceDatabase:
        """Every event before the test targets: ``train`` plus the validation events (and,
        under ``"temporal"``, every other event before ``test_start``), with the source's
        codebook.

        It is what a model is refit on, once its parameters are chosen on ``valid``, before
        it scores ``test``: under leave-one-out the test history of a user is exactly that
        user's sequence here. Guarantee (tested): no test target event, nor any event at or
        after one in its sequence (leave-one-out) or at or after ``test_start`` (temporal).
        """
        a = self.source.arrays
        if self.kind == "temporal":
            keep = a.times < self.options["test_start"]
        else:
            keep = np.ones(self.source.n_events, dtype=bool)
            keep[self.test.target_event] = False  # each is its sequence's last event
        return select_events(self.source, keep)[0]

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "options": dict(self.options),
                "train_sequences": len(self.train), "train_events": self.train.n_events,
                "valid_instances": len(self.valid), "test_instances": len(self.test),
                "items": self.n_items}


def split(db: SequenceDatabase, how: str = "leave-one-out", *, min_length: int = 3,
          valid_start: Any = None, test_start: Any = None,
          valid_fraction: float = 0.1, test_fraction: float = 0.1,
          targets: str = "all", min_history: int = 1) -> Split:
    """Split ``db`` for next-item evaluation (see the module docstring for the protocols).

    Parameters
    ----------
    how : "leave-one-out" or "temporal".
    min_length : leave-one-out only; sequences with fewer events are training data only.
    valid_start, test_start : temporal only; cut-offs in the database's time coordinate (ints,
        or datetimes / ISO strings when the database has a time unit). When not given, they
        are the times that leave about ``valid_fraction`` / ``test_fraction`` of all events in
        the validation / test windows.
    targets : temporal only; "all" makes every event in a window a target (next-item at
        each position, the session-based protocol); "first" only the first event per
        sequence in each window.
    min_history : temporal only; targets need at least this many earlier events.
    """
    if not isinstance(db, SequenceDatabase):
        raise InputError(f"split() takes a SequenceDatabase, got {type(db).__name__}")
    if how == "leave-one-out":
        return _leave_one_out(db, min_length)
    if how == "temporal":
        return _temporal(db, valid_start, test_start, valid_fraction, test_fraction, targets,
                         min_history)
    raise InputError(f"unknown split {how!r}; use 'leave-one-out' or 'temporal'")


def _leave_one_out(db: SequenceDatabase, min_length: int) -> Split:
    if not isinstance(min_length, (int, np.integer)) or min_length < 3:
        raise InputError(f"min_length must be an int >= 3 (train, validation and test each "
                         f"need an event), got {min_length!r}")
    a = db.arrays
    lengths = np.diff(a.seq_ptr)
    evaluated = np.flatnonzero(lengths >= min_length)
    last = a.seq_ptr[evaluated + 1] - 1
    keep = np.ones(db.n_events, dtype=bool)
    keep[last] = False
    keep[last - 1] = False
    train, train_sequence = select_events(db, keep)
    valid = EvalSet.from_targets(a, last - 1, db.n_items)
    test = EvalSet.from_targets(a, last, db.n_items)
    return Split("leave-one-out", train, valid, test, db, train_sequence,
                 {"min_length": int(min_length)})


def _temporal(db: SequenceDatabase, valid_start: Any, test_start: Any, valid_fraction: float,
              test_fraction: float, targets: str, min_history: int) -> Split:
    if targets not in ("all", "first"):
        raise InputError(f"targets must be 'all' or 'first', got {targets!r}")
    if not isinstance(min_history, (int, np.integer)) or min_history < 1:
        raise InputError(f"min_history must be an int >= 1, got {min_history!r}")
    a = db.arrays
    if db.n_events == 0:
        raise InputError("cannot split an empty database")
    sorted_times = np.sort(a.times)
    t_test = (_cutoff(test_start, db.time_unit, "test_start") if test_start is not None
              else _quantile_cut(sorted_times, test_fraction, "test_fraction"))
    if valid_start is not None:
        t_valid = _cutoff(valid_start, db.time_unit, "valid_start")
    else:
        if not 0.0 <= valid_fraction < 1.0:
            raise InputError(f"valid_fraction must be in [0, 1), got {valid_fraction!r}")
        below = sorted_times[:np.searchsorted(sorted_times, t_test, side="left")]
        if len(below) == 0:
            raise InputError("no events before the test cut-off: nothing left to train on")
        share = valid_fraction * len(sorted_times) / len(below)
        if share >= 1.0:
            raise InputError(f"valid_fraction={valid_fraction} and the test window leave no "
                             "training events")
        t_valid = _quantile_cut(below, share, "valid_fraction", allow_zero=True)
    if t_valid > t_test:
        raise InputError(f"valid_start ({t_valid}) must not be after test_start ({t_test})")
    seq_of_evt = np.repeat(np.arange(len(db), dtype=np.int64), np.diff(a.seq_ptr))
    position = np.arange(db.n_events, dtype=np.int64) - a.seq_ptr[seq_of_evt]
    eligible = position >= min_history
    in_valid = (a.times >= t_valid) & (a.times < t_test) & eligible
    in_test = (a.times >= t_test) & eligible
    if targets == "first":
        in_valid = _first_per_sequence(in_valid, seq_of_evt)
        in_test = _first_per_sequence(in_test, seq_of_evt)
    train, train_sequence = select_events(db, a.times < t_valid)
    valid = EvalSet.from_targets(a, np.flatnonzero(in_valid), db.n_items)
    test = EvalSet.from_targets(a, np.flatnonzero(in_test), db.n_items)
    return Split("temporal", train, valid, test, db, train_sequence,
                 {"valid_start": int(t_valid), "test_start": int(t_test), "targets": targets,
                  "min_history": int(min_history), "time_unit": db.time_unit})


def _first_per_sequence(mask: np.ndarray, seq_of_evt: np.ndarray) -> np.ndarray:
    idx = np.flatnonzero(mask)
    first = np.ones(len(idx), dtype=bool)
    first[1:] = seq_of_evt[idx[1:]] != seq_of_evt[idx[:-1]]
    out = np.zeros_like(mask)
    out[idx[first]] = True
    return out


def _quantile_cut(sorted_times: np.ndarray, fraction: float, name: str,
                  allow_zero: bool = False) -> int:
    """The time that leaves about ``fraction`` of ``sorted_times`` at or after it (ties at
    the cut go after it, so the window may hold a little more)."""
    numeric = isinstance(fraction, (float, int)) and not isinstance(fraction, bool)
    if not numeric or not (0.0 <= fraction < 1.0 if allow_zero else 0.0 < fraction < 1.0):
        interval = "[0, 1)" if allow_zero else "(0, 1)"
        raise InputError(f"{name} must be a fraction in {interval}, got {fraction!r}")
    n = len(sorted_times)
    pos = math.ceil(round((1.0 - fraction) * n, 9))
    if pos >= n:
        return int(sorted_times[-1]) + 1
    return int(sorted_times[pos])


def _cutoff(value: Any, unit: str | None, name: str) -> int:
    if isinstance(value, (bool, np.bool_)):
        raise InputError(f"{name} must be a time, got {value!r}")
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (str, dt.datetime, dt.date, np.datetime64)) or hasattr(value,
                                                                                "to_datetime64"):
        if unit not in _UNITS:
            raise InputError(f"{name} is a date/time but the database's times are plain "
                             "numbers or positions: give an int")
        if hasattr(value, "to_datetime64"):
            value = value.to_datetime64()
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        try:
            return int(np.datetime64(value, unit).astype(np.int64))
        except ValueError as exc:
            raise InputError(f"cannot read {name}={value!r} as a time: {exc}") from exc
    raise InputError(f"{name} must be an int or a date/time, got {value!r}")


def select_events(db: SequenceDatabase, keep: np.ndarray) -> tuple[SequenceDatabase, np.ndarray]:
    """The database of the events where ``keep`` is True (same codebook, order kept);
    sequences left empty are dropped. Returns it and the source index of each sequence."""
    a = db.arrays
    keep = np.asarray(keep, dtype=bool)
    sizes = np.diff(a.evt_ptr)
    evt_ptr = np.zeros(int(keep.sum()) + 1, np.int64)
    np.cumsum(sizes[keep], out=evt_ptr[1:])
    items = np.ascontiguousarray(a.items[np.repeat(keep, sizes)])
    times = np.ascontiguousarray(a.times[keep])
    seq_of_evt = np.repeat(np.arange(len(db), dtype=np.int64), np.diff(a.seq_ptr))
    counts = np.bincount(seq_of_evt[keep], minlength=len(db))
    kept_seq = np.flatnonzero(counts > 0)
    seq_ptr = np.zeros(len(kept_seq) + 1, np.int64)
    np.cumsum(counts[kept_seq], out=seq_ptr[1:])
    ids = db.sequence_ids.take(pa.array(kept_seq))
    out = SequenceDatabase(SequenceArrays(seq_ptr, evt_ptr, items, times), db.codebook, ids,
                           db.time_unit)
    return out, kept_seq
