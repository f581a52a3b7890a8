"""Atomic output: a reader sees the old file or the complete new one, never a partial one."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from seqmine import SequenceDatabase
from seqmine.io.atomic import atomic_path, atomic_write_bytes


def leftovers(folder: Path, keep: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != keep)


def test_success_replaces_the_file_in_one_step(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with atomic_path(target) as tmp:
        assert Path(tmp).parent == tmp_path  # same folder: os.replace stays one rename
        assert Path(tmp).name.startswith(".out.bin.")
        Path(tmp).write_bytes(b"new contents")
        assert target.read_bytes() == b"old"  # nothing visible until the block ends
    assert target.read_bytes() == b"new contents"
    assert leftovers(tmp_path, "out.bin") == []


@pytest.mark.parametrize("error", [ValueError("boom"), KeyboardInterrupt()])
def test_failure_keeps_the_old_file_and_leaves_no_temp_file(tmp_path, error):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    def write_then_fail():
        with atomic_path(target) as tmp:
            Path(tmp).write_bytes(b"half writ")
            raise error

    with pytest.raises(type(error)):
        write_then_fail()
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path, "out.bin") == []


def test_failure_without_an_old_file_creates_nothing(tmp_path):
    def write_then_interrupt():
        with atomic_path(tmp_path / "new" / "out.bin") as tmp:
            Path(tmp).write_bytes(b"partial")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_then_interrupt()
    assert list((tmp_path / "new").iterdir()) == []  # the folder is made, the file is not


def test_suffix_and_parent_folders(tmp_path):
    target = tmp_path / "a" / "b" / "t.parquet"
    with atomic_path(target, suffix=".parquet") as tmp:
        assert tmp.endswith(".parquet")
        Path(tmp).write_bytes(b"x")
    assert target.read_bytes() == b"x"


def test_new_files_follow_the_umask_not_0600(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "f.txt", b"data")
    finally:
        os.umask(old)
    assert (tmp_path / "f.txt").read_bytes() == b"data"
    assert stat.S_IMODE((tmp_path / "f.txt").stat().st_mode) == 0o644


def test_interrupted_parquet_export_keeps_the_old_file(tmp_path, monkeypatch):
    db = SequenceDatabase.from_sequences([[1, 2], [3]])
    target = tmp_path / "events.parquet"
    db.to_parquet(target)
    before = target.read_bytes()

    def write_half_then_interrupt(table, where, **kwargs):
        Path(where).write_bytes(b"PAR1 half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(pq, "write_table", write_half_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        SequenceDatabase.from_sequences([[9]]).to_parquet(target)
    assert target.read_bytes() == before
    assert leftovers(tmp_path, "events.parquet") == []


def test_interrupted_spmf_export_keeps_the_old_file(tmp_path, monkeypatch):
    import gzip

    target = tmp_path / "db.txt.gz"
    SequenceDatabase.from_sequences([[1, 2]]).to_spmf(target)
    assert gzip.decompress(target.read_bytes()) == b"1 -1 2 -1 -2\n"

    class Interrupting:
        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def write(self, data):
            raise KeyboardInterrupt

    monkeypatch.setattr(gzip, "open", Interrupting)
    with pytest.raises(KeyboardInterrupt):
        SequenceDatabase.from_sequences([[7]]).to_spmf(target)
    monkeypatch.undo()
    assert gzip.decompress(target.read_bytes()) == b"1 -1 2 -1 -2\n"
    assert leftovers(tmp_path, "db.txt.gz") == []
