"""SPMF text format: parse and write back byte for byte, clear errors with line numbers."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given

import seqmine
from seqmine import InputError, SequenceDatabase
from seqmine.data.spmf import parse_spmf, read_spmf, spmf_bytes, write_spmf
from tests import strategies

SHARED_SPM = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "spm"


def decoded(db):
    return [db[i] for i in range(len(db))]


@pytest.mark.parametrize("text", [
    b"1 -1 2 -1 -2\n",
    b"1 2 -1 3 -1 -2\n4 -1 -2\n",
    b"0 -1 123456789012345678 -1 7 -1 -2\n",
    b"5 9 12 -1 -2\n1 -1 1 -1 1 -1 -2\n",
    b"1 -1 -2\n-2\n3 -1 -2\n",  # an empty sequence survives
    b"<0> 1 -1 <5> 2 3 -1 <5> 4 -1 -2\n<100> 7 -1 -2\n",
    b"<-5> 1 -1 <3> 2 -1 -2\n",
    b"@CONVERTED_FROM_TEXT\n@ITEM=1=apple\n@ITEM=2=banana\n@ITEM=3=cherry pie\n"
    b"1 2 -1 3 -1 -2\n2 -1 -2\n",
])
def test_round_trip_is_byte_identical(text, tmp_path):
    db = parse_spmf(text)
    db.validate()
    assert spmf_bytes(db) == text
    path = tmp_path / "db.txt"
    path.write_bytes(text)
    db.to_spmf(tmp_path / "out.txt")
    assert (tmp_path / "out.txt").read_bytes() == text
    assert decoded(read_spmf(path)) == decoded(db)


def test_parsed_arrays_by_hand():
    db = parse_spmf(b"3 1 -1 2 -1 -2\n2 -1 -2\n")
    a = db.arrays
    assert a.seq_ptr.tolist() == [0, 2, 3]
    assert a.evt_ptr.tolist() == [0, 2, 3, 4]
    assert db.codebook.values.to_pylist() == [1, 2, 3]
    assert a.items.tolist() == [0, 2, 1, 1]  # codes, sorted inside each itemset
    assert a.times.tolist() == [0, 1, 0]  # positions when the file has no <t>
    assert decoded(db) == [[[1, 3], [2]], [[2]]]


def test_timestamps_are_parsed_and_written_back():
    db = parse_spmf(b"<10> 1 -1 <10> 2 -1 <25> 1 -1 -2\n<3> 4 -1 -2\n")
    assert db.arrays.times.tolist() == [10, 10, 25, 3]
    assert decoded(db) == [[[1], [2], [1]], [[4]]]
    assert spmf_bytes(db) == b"<10> 1 -1 <10> 2 -1 <25> 1 -1 -2\n<3> 4 -1 -2\n"


def test_times_equal_to_positions_are_not_written():
    # <t> carries no information when every time is the event's position.
    db = parse_spmf(b"<0> 1 -1 <1> 2 -1 -2\n")
    assert db.arrays.times.tolist() == [0, 1]
    assert spmf_bytes(db) == b"1 -1 2 -1 -2\n"


def test_comments_metadata_blank_lines_and_whitespace_are_skipped():
    text = b"# comment\n% also\n@META=1\n\n   \n  3 1 -1\t2 -1 -2  \r\n\n 5 -1 -2"
    db = parse_spmf(text)
    assert decoded(db) == [[[1, 3], [2]], [[5]]]
    assert spmf_bytes(db) == b"1 3 -1 2 -1 -2\n5 -1 -2\n"


def test_duplicates_inside_an_itemset_are_removed():
    db = parse_spmf(b"2 1 2 -1 3 3 -1 2 -1 -2\n")
    assert decoded(db) == [[[1, 2], [3], [2]]]
    assert np.diff(db.arrays.evt_ptr).tolist() == [2, 1, 1]
    db.validate()
    assert spmf_bytes(db) == b"1 2 -1 3 -1 2 -1 -2\n"


def test_text_items_round_trip_through_their_names():
    text = (b"@CONVERTED_FROM_TEXT\n@ITEM=7=zeta\n@ITEM=3=alpha\n@ITEM=5=mid=dle\n"
            b"7 3 -1 5 -1 -2\n3 -1 -2\n")
    db = parse_spmf(text)
    assert db.codebook.values.to_pylist() == ["alpha", "mid=dle", "zeta"]
    assert decoded(db) == [[["alpha", "zeta"], ["mid=dle"]], [["alpha"]]]
    # written back with names numbered 1.. in sorted order: the same database
    out = spmf_bytes(db)
    assert out == (b"@CONVERTED_FROM_TEXT\n@ITEM=1=alpha\n@ITEM=2=mid=dle\n@ITEM=3=zeta\n"
                   b"1 3 -1 2 -1 -2\n1 -1 -2\n")
    assert decoded(parse_spmf(out)) == decoded(db)


def test_string_items_from_an_event_log_are_written_as_text_items(tmp_path):
    db = seqmine.read_events(pa.table({"user_id": [1, 1, 2], "item_id": ["b", "a", "b"],
                                       "timestamp": [0, 1, 0]}))
    db.to_spmf(tmp_path / "out.txt")
    back = SequenceDatabase.from_spmf(tmp_path / "out.txt")
    assert decoded(back) == decoded(db) == [[["b"], ["a"]], [["b"]]]
    assert (tmp_path / "out.txt").read_bytes().startswith(b"@CONVERTED_FROM_TEXT\n@ITEM=1=a\n")


def test_gzip_output_and_input(tmp_path):
    db = parse_spmf(b"1 -1 2 -1 -2\n3 -1 -2\n")
    write_spmf(db, tmp_path / "db.txt.gz")
    raw = (tmp_path / "db.txt.gz").read_bytes()
    assert raw[:2] == b"\x1f\x8b"
    assert gzip.decompress(raw) == b"1 -1 2 -1 -2\n3 -1 -2\n"
    assert decoded(read_spmf(tmp_path / "db.txt.gz")) == [[[1], [2]], [[3]]]
    # read_events recognises SPMF by content, whatever the name says
    assert decoded(seqmine.read_events(tmp_path / "db.txt.gz")) == [[[1], [2]], [[3]]]
    (tmp_path / "db.spmf").write_bytes(b"1 -1 2 -1 -2\n")
    assert decoded(seqmine.read_events(tmp_path / "db.spmf")) == [[[1], [2]]]


@given(drawn=strategies.databases(with_times=True))
def test_any_database_round_trips(drawn):
    seqs, times = drawn
    db = strategies.to_db(seqs, times)
    text = spmf_bytes(db)
    back = parse_spmf(text)
    assert decoded(back) == seqs
    np.testing.assert_array_equal(back.arrays.times, db.arrays.times)
    assert spmf_bytes(back) == text


# --- errors -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("line", "problem"), [
    (b"1 -1 x -1 -2", "not an item"),
    (b"1 -1 2x -1 -2", "not an item"),
    (b"+1 -1 -2", "not an item"),
    (b"1 -3 -2", "not an item"),
    (b"<a> 1 -1 -2", "not an item"),
    (b"<5 1 -1 -2", "not an item"),
    (b"-1 -2", "empty itemset"),
    (b"1 -1 -1 -2", "empty itemset"),
    (b"1 -1 2 -1", "not closed with -2"),
    (b"1 -1 -2 3 -1 -2", "tokens after -2"),
    (b"1 -2", "missing -1"),
    (b"99999999999999999999 -1 -2", "beyond the int64 range"),
    (b"<3> 1 -1 <1> 2 -1 -2", "times go backwards"),
])
def test_malformed_line_reports_its_1_based_line_number(line, problem):
    text = b"# header\n1 -1 -2\n\n@META\n2 -1 3 -1 -2\r\n" + line + b"\n4 -1 -2\n"
    with pytest.raises(InputError, match=rf"data\.txt, line 6: malformed SPMF \(.*{problem}"):
        parse_spmf(text, "data.txt")
    with pytest.raises(InputError, match=r"line 1: "):
        parse_spmf(line)


def test_error_message_quotes_the_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"1 -1 -2\n1 -1 oops -1 -2\n")
    with pytest.raises(InputError, match=r"bad\.txt, line 2: .*'1 -1 oops -1 -2'"):
        read_spmf(path)


def test_other_bad_files(tmp_path):
    with pytest.raises(InputError, match="no sequences found"):
        parse_spmf(b"# only a comment\n\n")
    with pytest.raises(InputError, match="no sequences found"):
        parse_spmf(b"")
    with pytest.raises(InputError, match=r"items without an @ITEM name: \[2\]"):
        parse_spmf(b"@CONVERTED_FROM_TEXT\n@ITEM=1=a\n1 2 -1 -2\n")
    with pytest.raises(InputError, match="no such file"):
        read_spmf(tmp_path / "missing.txt")
    (tmp_path / "bad.txt.gz").write_bytes(b"not gzip at all")
    with pytest.raises(InputError, match=r"could not read .*bad\.txt\.gz"):
        read_spmf(tmp_path / "bad.txt.gz")


# --- the shared data sets ---------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(p.name for p in SHARED_SPM.glob("*.txt.gz"))
                         or ["(none)"])
def test_shared_data_sets_round_trip_byte_identical(name, spm):
    path = spm(name)
    text = gzip.decompress(path.read_bytes())
    db = parse_spmf(text, name)
    db.validate()
    assert len(db) == text.count(b"-2\n")
    assert spmf_bytes(db) == text
