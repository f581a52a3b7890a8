"""Option values shared by the miners: support thresholds, constraints, budgets."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from seqmine.errors import InputError

_UNITS_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def resolve_minsup(minsup: Any, n_sequences: int) -> int:
    """Absolute support threshold: an int >= 1 is absolute, a float in (0, 1] is relative
    and becomes ceil(minsup * N) (DESIGN.md)."""
    if isinstance(minsup, (bool, np.bool_)):
        raise InputError(f"minsup must be an int >= 1 or a float in (0, 1], got {minsup!r}")
    if isinstance(minsup, (int, np.integer)):
        if minsup < 1:
            raise InputError(f"minsup as an absolute count must be >= 1, got {minsup}")
        return int(minsup)
    if isinstance(minsup, (float, np.floating)):
        if not (0.0 < minsup <= 1.0) or math.isnan(minsup):
            raise InputError(f"minsup as a fraction must be in (0, 1], got {minsup}")
        # round away float noise such as 0.07 * 100 = 7.000000000000001 before the ceil
        return max(1, math.ceil(round(minsup * n_sequences, 9)))
    raise InputError(f"minsup must be an int >= 1 or a float in (0, 1], got {minsup!r}")


def _duration_in_units(value: Any, name: str, time_unit: str | None) -> tuple[int, bool]:
    """(value in the database's time coordinate, is_time) for a gap/span option.

    Plain ints count event positions; timedeltas (datetime, numpy or pandas) are durations
    and need a database with real times.
    """
    if isinstance(value, (bool, np.bool_)):
        raise InputError(f"{name} must be an int or a duration, got {value!r}")
    if isinstance(value, (int, np.integer)):
        if value < 0:
            raise InputError(f"{name} must be >= 0, got {value}")
        return int(value), False
    if isinstance(value, np.timedelta64):
        value = value.astype("timedelta64[ns]").astype(np.int64) / 1e9
        value = dt.timedelta(seconds=float(value))
    if hasattr(value, "to_pytimedelta"):
        value = value.to_pytimedelta()
    if isinstance(value, dt.timedelta):
        if time_unit is None:
            raise InputError(f"{name} is a duration but the database has no time unit "
                             "(its times are positions or plain numbers): give an int")
        per_second = _UNITS_PER_SECOND[time_unit]
        units = value // dt.timedelta(microseconds=1) * per_second // 1_000_000
        if units < 0:
            raise InputError(f"{name} must be >= 0, got {value}")
        return int(units), True
    raise InputError(f"{name} must be an int (event positions) or a timedelta, got {value!r}")


@dataclass(frozen=True)
class Constraints:
    """Pattern constraints (DESIGN.md): size/length bounds, gaps and span, item filters.

    Gaps and span are measured between matched events: in event positions when given as ints
    (adjacent events have gap 1), in time when given as timedeltas. Support counts sequences
    with at least one embedding meeting all constraints together.
    """

    max_length: int | None = None
    max_size: int | None = None
    min_gap: Any = None
    max_gap: Any = None
    max_span: Any = None
    must_contain: tuple[Any, ...] = ()
    exclude: tuple[Any, ...] = ()
    gap_unit: str | None = None

    def __post_init__(self) -> None:
        if self.gap_unit not in (None, "events", "time"):
            raise InputError(f"gap_unit must be 'events' or 'time', got {self.gap_unit!r}")
        for name in ("max_length", "max_size"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(
                    value, (int, np.integer)) or value < 1):
                raise InputError(f"{name} must be an int >= 1, got {value!r}")
        object.__setattr__(self, "must_contain", tuple(self.must_contain or ()))
        object.__setattr__(self, "exclude", tuple(self.exclude or ()))
        overlap = set(self.must_contain) & set(self.exclude)
        if overlap:
            raise InputError(f"items both required and excluded: {sorted(overlap, key=str)}")

    @property
    def has_window(self) -> bool:
        """True when gaps or span restrict which embeddings count."""
        return self.min_gap is not None or self.max_gap is not None or self.max_span is not None

    def resolved_window(self, time_unit: str | None) -> tuple[int, int, int, bool]:
        """(min_gap, max_gap, max_span, use_time) in the database's coordinate.

        Ints count event positions unless ``gap_unit="time"`` says they are in the
        database's time unit; timedeltas are always time. In time, the least gap is 0
        (events may share a timestamp); in positions it is 1 (adjacent events).
        """
        big = np.iinfo(np.int64).max // 4
        raw = {name: getattr(self, name) for name in ("min_gap", "max_gap", "max_span")}
        given = {k: v for k, v in raw.items() if v is not None}
        durations = {k for k, v in given.items()
                     if not isinstance(v, (int, np.integer)) or isinstance(v, bool)}
        if self.gap_unit == "events" and durations:
            raise InputError(f"gap_unit='events' but {sorted(durations)} given as durations")
        if durations and len(durations) != len(given):
            raise InputError("give min_gap, max_gap and max_span all as ints or all as "
                             "durations, not a mix")
        use_time = bool(durations) or self.gap_unit == "time"
        values: dict[str, int] = {}
        for name, value in given.items():
            if use_time and name not in durations:
                if isinstance(value, bool) or value < 0:
                    raise InputError(f"{name} must be >= 0, got {value!r}")
                values[name] = int(value)
            else:
                values[name] = _duration_in_units(value, name, time_unit)[0]
        min_gap = values.get("min_gap", 0 if use_time else 1)
        max_gap = values.get("max_gap", big)
        max_span = values.get("max_span", big)
        if not use_time and min_gap < 1:
            raise InputError("min_gap in event positions must be >= 1 (adjacent events have "
                             "gap 1)")
        if max_gap < min_gap:
            raise InputError(f"max_gap ({self.max_gap}) is below min_gap ({self.min_gap})")
        return min_gap, max_gap, max_span, use_time

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, (dt.timedelta, np.timedelta64)) or hasattr(
                    value, "to_pytimedelta"):
                out[key] = str(value)
            elif isinstance(value, tuple):
                out[key] = list(value)
        return out


@dataclass(frozen=True)
class Budget:
    """Limits that stop an exploding run with a message instead of exhausting memory.

    max_patterns: most patterns to return; max_memory: bytes of working memory for the
    mining buffers (None: a quarter of physical memory).
    """

    max_patterns: int | None = None
    max_memory: int | None = None

    def __post_init__(self) -> None:
        if self.max_patterns is not None and self.max_patterns < 1:
            raise InputError(f"max_patterns must be >= 1, got {self.max_patterns}")
        if self.max_memory is not None and self.max_memory < 1 << 20:
            raise InputError(f"max_memory must be at least 1 MiB, got {self.max_memory}")

    def memory_bytes(self) -> int:
        if self.max_memory is not None:
            return int(self.max_memory)
        try:
            import os
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            total = 8 << 30
        return int(total // 4)
