"""SequenceDatabase: construction, inspection, slicing, export, and its invariant check."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given

import seqmine
from seqmine import InputError, SequenceArrays, SequenceDatabase
from seqmine.data.spmf import parse_spmf
from tests import strategies
from tests.reference import brute_force


def decoded(db):
    return [db[i] for i in range(len(db))]


@pytest.fixture
def db():
    # <{1} {2,3}>, <{2} {1,5} {1}>
    return SequenceDatabase.from_sequences([[1, (3, 2)], [[2], [5, 1], [1]]])


def test_from_sequences_arrays_by_hand(db):
    a = db.arrays
    assert a.seq_ptr.tolist() == [0, 2, 5]
    assert a.evt_ptr.tolist() == [0, 1, 3, 4, 6, 7]
    assert db.codebook.values.to_pylist() == [1, 2, 3, 5]
    assert a.items.tolist() == [0, 1, 2, 1, 0, 3, 0]
    assert a.times.tolist() == [0, 1, 0, 1, 2]
    assert (a.seq_ptr.dtype, a.evt_ptr.dtype, a.items.dtype, a.times.dtype) == (
        np.int64, np.int64, np.int32, np.int64)
    db.validate()


def test_from_sequences_with_times_and_strings():
    db = SequenceDatabase.from_sequences([[["b", "a"], "c"]], times=[[10, 40]])
    assert decoded(db) == [[["a", "b"], ["c"]]]
    assert db.arrays.times.tolist() == [10, 40]
    with pytest.raises(InputError, match="one time per event"):
        SequenceDatabase.from_sequences([[1, 2]], times=[[1]])
    with pytest.raises(InputError, match="empty itemset"):
        SequenceDatabase.from_sequences([[1, []]])


def test_len_sizes_and_repr(db):
    assert len(db) == db.n_sequences == 2
    assert db.n_events == 5
    assert db.n_items == 4
    assert db.max_itemset_size == 2
    assert repr(db) == "SequenceDatabase(2 sequences, 5 events, 7 items, 4 distinct)"


def test_describe(db):
    assert db.describe() == {
        "sequences": 2, "events": 5, "item_occurrences": 7, "distinct_items": 4,
        "events_per_sequence": {"min": 2, "mean": 2.5, "median": 2.5, "p90": 2.9, "max": 3},
        "items_per_event": {"min": 1, "mean": 1.4, "median": 1.0, "p90": 2.0, "max": 2},
        "time_min": 0, "time_max": 2, "time_unit": None,
    }


def test_indexing_decodes_and_accepts_negative_indices(db):
    assert db[0] == [[1], [2, 3]]
    assert db[1] == [[2], [1, 5], [1]]
    assert db[-1] == db[1]
    assert db[-2] == db[0]
    assert db.sequence_codes(1) == [[1], [0, 3], [0]]
    assert list(db) == [db[0], db[1]]
    for bad in (2, -3, 100):
        with pytest.raises(IndexError, match=f"sequence index {bad} out of range for 2"):
            db[bad]


def test_subset(db):
    sub = db.subset([1, 0, 1])
    assert decoded(sub) == [db[1], db[0], db[1]]
    assert sub.arrays.times.tolist() == [0, 1, 2, 0, 1, 0, 1, 2]
    assert sub.sequence_ids.to_pylist() == [1, 0, 1]
    assert sub.codebook == db.codebook
    sub.validate()
    empty = db.subset(np.array([], dtype=np.int64))
    assert len(empty) == 0
    assert empty.n_events == 0
    for bad in ([2], [-1]):
        with pytest.raises(InputError, match="sequence index out of range"):
            db.subset(bad)


def test_to_arrow(db):
    table = db.to_arrow()
    assert table.column_names == ["user_id", "item_id", "timestamp"]
    assert table.to_pydict() == {
        "user_id": [0, 0, 0, 1, 1, 1, 1],
        "item_id": [1, 2, 3, 2, 1, 5, 1],
        "timestamp": [0, 1, 1, 0, 1, 1, 2],
    }
    renamed = db.to_arrow(sequence="sid", item="product", time="t")
    assert renamed.column_names == ["sid", "product", "t"]


def test_to_parquet_and_back_is_identical(db, tmp_path):
    db.to_parquet(tmp_path / "events.parquet")
    back = seqmine.read_events(tmp_path / "events.parquet", itemsets="timestamp")
    for name in SequenceArrays._fields:
        np.testing.assert_array_equal(getattr(back.arrays, name), getattr(db.arrays, name))
    assert back.codebook == db.codebook
    assert back.sequence_ids.to_pylist() == db.sequence_ids.to_pylist()
    # the file holds exactly the event log, one row per (event, item)
    assert pq.read_table(tmp_path / "events.parquet").equals(db.to_arrow())


def test_event_log_round_trip_keeps_ids_types_and_time_unit(tmp_path):
    log = pa.table({"user_id": ["u2", "u1", "u2"], "item_id": ["x", "y", "z"],
                    "timestamp": pa.array([5, 9, 7], pa.timestamp("ms"))})
    db = seqmine.read_events(log)
    db.to_parquet(tmp_path / "out" / "events.parquet", time="timestamp")
    back = seqmine.read_events(tmp_path / "out" / "events.parquet")
    assert back.time_unit == "ms"
    assert back.sequence_ids.to_pylist() == ["u1", "u2"]
    assert decoded(back) == [[["y"]], [["x"], ["z"]]]
    np.testing.assert_array_equal(back.arrays.times, [9, 5, 7])
    assert back.codebook == db.codebook
    assert not list((tmp_path / "out").glob(".*"))  # no temporary file left behind


def test_spmf_database_survives_a_parquet_round_trip(tmp_path):
    db = parse_spmf(b"1 2 -1 3 -1 -2\n4 -1 1 3 -1 -2\n2 -1 -2\n")
    db.to_parquet(tmp_path / "e.parquet")
    back = seqmine.read_events(tmp_path / "e.parquet", itemsets="timestamp")
    for name in SequenceArrays._fields:
        np.testing.assert_array_equal(getattr(back.arrays, name), getattr(db.arrays, name))
    assert back.codebook == db.codebook


# --- validate ---------------------------------------------------------------------------------
def broken(db, **arrays):
    return SequenceDatabase(db.arrays._replace(**arrays), db.codebook)


@pytest.mark.parametrize(("change", "message"), [
    ({"items": np.array([0, 2, 1, 1, 0, 3, 0], np.int32)}, "items sorted and unique"),
    ({"items": np.array([0, 1, 1, 1, 0, 3, 0], np.int32)}, "items sorted and unique"),
    ({"items": np.array([0, 1, 2, 1, 0, 4, 0], np.int32)}, "item codes within the codebook"),
    ({"items": np.array([0, 1, 2, 1, 0, 3, 0], np.int64)}, "items int32"),
    ({"times": np.array([0, 1, 0, 2, 1])}, "times non-decreasing"),
    ({"times": np.array([0, 1, 0, 1])}, "one time per event"),
    ({"evt_ptr": np.array([0, 1, 3, 3, 4, 6, 7])}, "seq_ptr spans events"),
    ({"evt_ptr": np.array([0, 1, 3, 4, 6, 6])}, "evt_ptr spans items"),
    ({"seq_ptr": np.array([0, 2, 4])}, "seq_ptr spans events"),
    ({"seq_ptr": np.array([0, 2, 5], np.int32)}, "pointer dtypes"),
])
def test_validate_names_the_broken_invariant(db, change, message):
    db.validate()
    with pytest.raises(InputError, match=f"database invariant broken: {message}"):
        broken(db, **change).validate()


def test_validate_catches_an_empty_event(db):
    bad = SequenceDatabase(SequenceArrays(np.array([0, 2]), np.array([0, 1, 1]),
                                          np.array([0], np.int32), np.array([0, 1])),
                           db.codebook)
    with pytest.raises(InputError, match="events are non-empty"):
        bad.validate()


def test_times_may_repeat_and_restart_between_sequences(db):
    broken(db, times=np.array([7, 7, 3, 3, 3])).validate()


# --- from_sequences agrees with the judge -----------------------------------------------------
@given(drawn=strategies.databases(with_times=True), min_count=strategies.minsups())
def test_from_sequences_holds_exactly_the_drawn_database(drawn, min_count):
    seqs, times = drawn
    db = strategies.to_db(seqs, times)
    db.validate()
    assert decoded(db) == seqs
    assert db.arrays.times.tolist() == [t for ts in times for t in ts]
    assert strategies.to_db(seqs).arrays.times.tolist() == [
        k for s in seqs for k in range(len(s))]
    # Item supports computed from the flat arrays equal the judge's one-item patterns.
    a = db.arrays
    seq_of_item = np.repeat(np.repeat(np.arange(len(db)), np.diff(a.seq_ptr)),
                            np.diff(a.evt_ptr))
    pairs = np.unique(np.stack([seq_of_item, a.items]), axis=1)
    counts = Counter(db.codebook.decode(pairs[1]).to_pylist())
    expected = {p[0][0]: n for p, n in brute_force.frequent_patterns(
        seqs, min_count, max_length=1).items()}
    assert {x: n for x, n in counts.items() if n >= min_count} == expected


def test_from_sequences_and_brute_force_on_a_trivial_case():
    seqs = [[[1], [2]], [[1, 2]], [[2], [1]]]
    db = strategies.to_db(seqs)
    assert brute_force.frequent_patterns(decoded(db), 2) == {((1,),): 3, ((2,),): 3}
    assert brute_force.frequent_patterns(decoded(db), 1) == brute_force.frequent_patterns(
        seqs, 1)
