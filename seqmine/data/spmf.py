"""SPMF sequence format <-> SequenceDatabase (https://www.philippe-fournier-viger.com/spmf/).

``1 -1 2 3 -1 -2``: items are integers, ``-1`` ends an itemset, ``-2`` ends the sequence.
Optional ``<t>`` before an itemset gives its time. Text items are written SPMF's way, as
``@CONVERTED_FROM_TEXT`` plus ``@ITEM=code=name`` header lines, and read back the same way.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pyarrow as pa

from seqmine._kernels import spmf as kspmf
from seqmine.data.build import sort_within_events
from seqmine.data.codebook import Codebook
from seqmine.data.database import SequenceArrays, SequenceDatabase
from seqmine.errors import InputError
from seqmine.io.atomic import atomic_path

_ERRORS = {
    kspmf.ERR_TOKEN: "a token that is not an item (integer), -1, -2 or <time>",
    kspmf.ERR_EMPTY_ITEMSET: "-1 closes an empty itemset",
    kspmf.ERR_UNCLOSED: "the sequence is not closed with -2",
    kspmf.ERR_AFTER_END: "tokens after -2",
    kspmf.ERR_OPEN_ITEMSET: "-2 while an itemset is open (missing -1)",
    kspmf.ERR_RANGE: "a number of more than 18 digits, beyond the int64 range",
}


def _read_bytes(path: Path) -> bytes:
    try:
        if path.name.endswith(".gz"):
            with gzip.open(path, "rb") as fh:
                return fh.read()
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"no such file: {path}") from None
    except (OSError, EOFError) as exc:
        raise InputError(f"could not read {path}: {exc}") from exc


def _item_names(data: bytes) -> dict[int, str] | None:
    """The @ITEM=code=name lines of a converted-from-text file, if any."""
    if b"@ITEM=" not in data[:1 << 20] and not data.startswith(b"@CONVERTED_FROM_TEXT"):
        return None
    names: dict[int, str] = {}
    for raw in data.splitlines():
        if raw.startswith(b"@ITEM="):
            code, _, name = raw[6:].decode("utf-8").partition("=")
            names[int(code)] = name
        elif raw and raw[:1] not in (b"@", b"#", b"%"):
            break
    return names or None


def parse_spmf(data: bytes, source: str = "<bytes>") -> SequenceDatabase:
    """Parse SPMF text held in memory."""
    buf = np.frombuffer(data, dtype=np.uint8)
    status, line, values, evt_ptr, seq_ptr, times, has_times = kspmf.parse(buf)
    if status != kspmf.ERR_NONE:
        text = data.splitlines()[line - 1][:80].decode("utf-8", "replace")
        raise InputError(f"{source}, line {line}: malformed SPMF ({_ERRORS[status]}): {text!r}")
    if len(seq_ptr) == 1:
        raise InputError(f"{source}: no sequences found")
    names = _item_names(data)
    if names is not None:
        missing = set(np.unique(values).tolist()) - names.keys()
        if missing:
            raise InputError(f"{source}: items without an @ITEM name: {sorted(missing)[:10]}")
        codebook, codes = Codebook.encode(pa.array([names[v] for v in values.tolist()]))
    else:
        codebook, codes = Codebook.encode(pa.array(values))
    codes = sort_within_events(evt_ptr, codes)
    codes, evt_ptr = _dedupe_within_events(codes, evt_ptr)
    if has_times:
        _check_times(data, source, seq_ptr, times)
    arrays = SequenceArrays(seq_ptr, evt_ptr, codes, times)
    return SequenceDatabase(arrays, codebook)


def _check_times(data: bytes, source: str, seq_ptr: np.ndarray, times: np.ndarray) -> None:
    """InputError with the line number of the first sequence whose times go backwards."""
    back = np.flatnonzero(np.diff(times) < 0) + 1  # events earlier than the event before
    back = back[~np.isin(back, seq_ptr)]  # ... inside one sequence
    if len(back) == 0:
        return
    seq = int(np.searchsorted(seq_ptr, back[0], side="right")) - 1
    lines = [k for k, raw in enumerate(data.splitlines(), 1)
             if raw.strip() and raw.strip()[:1] not in (b"#", b"%", b"@")]
    text = data.splitlines()[lines[seq] - 1][:80].decode("utf-8", "replace")
    raise InputError(f"{source}, line {lines[seq]}: malformed SPMF (times go backwards; an "
                     f"itemset without <t> takes its position as time): {text!r}")


def _dedupe_within_events(codes: np.ndarray, evt_ptr: np.ndarray
                          ) -> tuple[np.ndarray, np.ndarray]:
    """Drop repeated items inside an event (``1 1 -1`` is the itemset {1})."""
    if len(codes) < 2:
        return codes, evt_ptr
    dup = np.zeros(len(codes), dtype=bool)
    dup[1:] = codes[1:] == codes[:-1]
    dup[evt_ptr[:-1]] = False
    if not dup.any():
        return codes, evt_ptr
    kept_before = np.concatenate(([0], np.cumsum(~dup)))
    return codes[~dup], kept_before[evt_ptr]


def read_spmf(path: str | Path) -> SequenceDatabase:
    """Read an SPMF sequence file (plain or .gz)."""
    path = Path(path)
    return parse_spmf(_read_bytes(path), str(path))


def spmf_bytes(db: SequenceDatabase) -> bytes:
    """The SPMF text of ``db``; times are written only when they are not plain positions."""
    a = db.arrays
    positions = np.arange(db.n_events, dtype=np.int64) - np.repeat(a.seq_ptr[:-1],
                                                                   np.diff(a.seq_ptr))
    with_times = not np.array_equal(a.times, positions)
    header = b""
    if db.codebook.is_integer:
        values = db.codebook.values.to_numpy().astype(np.int64)[a.items]
    else:
        values = a.items.astype(np.int64) + 1
        names = db.codebook.values.to_pylist()
        header = b"@CONVERTED_FROM_TEXT\n" + "".join(
            f"@ITEM={i + 1}={name}\n" for i, name in enumerate(names)).encode("utf-8")
    body = kspmf.write(a.seq_ptr, a.evt_ptr, values, a.times, with_times)
    return header + body.tobytes()


def write_spmf(db: SequenceDatabase, path: str | Path) -> None:
    """Write ``db`` as SPMF text, atomically (gzip when the name ends in .gz)."""
    data = spmf_bytes(db)
    with atomic_path(path) as tmp:
        if str(path).endswith(".gz"):
            with gzip.open(tmp, "wb") as fh:
                fh.write(data)
        else:
            Path(tmp).write_bytes(data)
