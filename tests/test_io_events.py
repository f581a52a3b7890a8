"""read_events: every supported source gives the same database; bad input gets an InputError
that names the problem and the column."""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

import seqmine
from seqmine import InputError

# user 2's rows come first and users interleave, so grouping and sorting are both exercised.
EVENTS = {
    "user_id": [2, 1, 2, 1, 2, 1],
    "item_id": [30, 10, 10, 20, 20, 30],
    "timestamp": [5, 3, 1, 1, 9, 2],
    "event_type": ["view", "buy", "view", "view", "buy", "view"],
}
# user 1: 20@1, 30@2, 10@3;  user 2: 10@1, 30@5, 20@9
EXPECTED = [[[20], [30], [10]], [[10], [30], [20]]]
EXPECTED_TIMES = [1, 2, 3, 1, 5, 9]


def decoded(db):
    return [db[i] for i in range(len(db))]


def assert_same_db(a, b):
    for name in ("seq_ptr", "evt_ptr", "items", "times"):
        np.testing.assert_array_equal(getattr(a.arrays, name), getattr(b.arrays, name), name)
        assert getattr(a.arrays, name).dtype == getattr(b.arrays, name).dtype, name
    assert a.codebook == b.codebook
    assert a.sequence_ids.to_pylist() == b.sequence_ids.to_pylist()
    assert a.time_unit == b.time_unit


def check_expected(db):
    assert decoded(db) == EXPECTED
    assert db.arrays.times.tolist() == EXPECTED_TIMES
    assert db.sequence_ids.to_pylist() == [1, 2]
    assert db.codebook.values.to_pylist() == [10, 20, 30]
    assert db.arrays.items.dtype == np.int32
    assert db.arrays.times.dtype == np.int64
    db.validate()


# --- every source -----------------------------------------------------------------------------
def test_arrow_table():
    check_expected(seqmine.read_events(pa.table(EVENTS)))


def test_pandas_dataframe():
    check_expected(seqmine.read_events(pd.DataFrame(EVENTS)))


def test_parquet_file(write_parquet):
    path = write_parquet(EVENTS)
    check_expected(seqmine.read_events(path))
    check_expected(seqmine.read_events(str(path)))


def test_parquet_file_with_string_keys(write_parquet):
    table = pa.table({**EVENTS, "user_id": [f"u{u}" for u in EVENTS["user_id"]]})
    db = seqmine.read_events(write_parquet(table))
    assert decoded(db) == EXPECTED
    assert db.sequence_ids.to_pylist() == ["u1", "u2"]


def test_folder_of_hive_partitioned_parquet(tmp_path):
    pq.write_to_dataset(pa.table(EVENTS), tmp_path / "by_type", partition_cols=["event_type"])
    check_expected(seqmine.read_events(tmp_path / "by_type"))
    # partitioned by the sequence key itself: the key comes back from the folder names
    pq.write_to_dataset(pa.table(EVENTS), tmp_path / "by_user", partition_cols=["user_id"])
    db = seqmine.read_events(tmp_path / "by_user")
    assert decoded(db) == EXPECTED
    assert db.sequence_ids.to_pylist() == [1, 2]


def test_folder_filter_on_partition_column(tmp_path):
    pq.write_to_dataset(pa.table(EVENTS), tmp_path / "ds", partition_cols=["event_type"])
    db = seqmine.read_events(tmp_path / "ds", filter=pc.field("event_type") == "buy")
    assert decoded(db) == [[[10]], [[20]]]
    assert db.arrays.times.tolist() == [3, 9]


def test_csv_and_gzipped_csv(tmp_path):
    text = pd.DataFrame(EVENTS).to_csv(index=False)
    (tmp_path / "events.csv").write_text(text)
    check_expected(seqmine.read_events(tmp_path / "events.csv"))
    (tmp_path / "events.csv.gz").write_bytes(gzip.compress(text.encode()))
    check_expected(seqmine.read_events(tmp_path / "events.csv.gz"))
    (tmp_path / "events.tsv").write_text(pd.DataFrame(EVENTS).to_csv(index=False, sep="\t"))
    check_expected(seqmine.read_events(tmp_path / "events.tsv"))


def test_all_sources_build_identical_databases(tmp_path, write_parquet):
    reference = seqmine.read_events(pa.table(EVENTS))
    pd.DataFrame(EVENTS).to_csv(tmp_path / "e.csv", index=False)
    for source in (pd.DataFrame(EVENTS), write_parquet(EVENTS), tmp_path / "e.csv"):
        assert_same_db(seqmine.read_events(source), reference)


# --- columns ----------------------------------------------------------------------------------
def test_sequence_column_is_session_id_then_user_id():
    both = pa.table({"session_id": [1, 1], "user_id": [7, None], "item_id": [1, 2],
                     "timestamp": [0, 1]})
    assert seqmine.read_events(both).sequence_ids.to_pylist() == [1]
    users = pa.table({"user_id": [7, 8], "item_id": [1, 2], "timestamp": [0, 1]})
    assert seqmine.read_events(users).sequence_ids.to_pylist() == [7, 8]
    session = pa.table({"session_id": ["s", "s"], "item_id": [1, 2], "timestamp": [0, 1]})
    db = seqmine.read_events(session)
    assert decoded(db) == [[[1], [2]]]
    assert db.sequence_ids.to_pylist() == ["s"]


def test_named_columns():
    table = pa.table({"sid": ["b", "a", "b"], "product": ["x", "y", "z"], "ts": [2, 1, 1]})
    db = seqmine.read_events(table, sequence="sid", item="product", time="ts")
    assert decoded(db) == [[["y"]], [["z"], ["x"]]]
    assert db.sequence_ids.to_pylist() == ["a", "b"]
    assert db.codebook.values.to_pylist() == ["x", "y", "z"]


def test_time_none_keeps_file_order_and_uses_positions(write_parquet):
    table = pa.table({"user_id": [2, 1, 2, 1, 1], "item_id": [5, 6, 7, 8, 6]})
    for source in (table, write_parquet(table)):
        db = seqmine.read_events(source, time=None)
        assert decoded(db) == [[[6], [8], [6]], [[5], [7]]]
        # times are positions inside each sequence, as for SPMF data without <t>
        assert db.arrays.times.tolist() == [0, 1, 2, 0, 1]
        assert db.time_unit is None


def test_timestamp_and_date_time_columns():
    ts = pa.array([3_000, 1_000, 2_000], pa.timestamp("ms"))
    db = seqmine.read_events(pa.table({"user_id": [1, 1, 1], "item_id": [1, 2, 3],
                                       "timestamp": ts}))
    assert decoded(db) == [[[2], [3], [1]]]
    assert db.arrays.times.tolist() == [1_000, 2_000, 3_000]
    assert db.time_unit == "ms"
    dates = pa.array([1, 0], pa.date32())  # days since 1970-01-01
    db = seqmine.read_events(pa.table({"user_id": [1, 1], "item_id": [1, 2],
                                       "timestamp": dates}))
    assert decoded(db) == [[[2], [1]]]
    assert db.arrays.times.tolist() == [0, 86_400]
    assert db.time_unit == "s"


def test_dictionary_encoded_columns():
    table = pa.table({"user_id": pa.array(["a", "b", "a"]).dictionary_encode(),
                      "item_id": pa.array(["x", "x", "y"]).dictionary_encode(),
                      "timestamp": [1, 1, 2]})
    db = seqmine.read_events(table)
    assert decoded(db) == [[["x"], ["y"]], [["x"]]]
    assert db.sequence_ids.to_pylist() == ["a", "b"]


# --- ordering and itemsets --------------------------------------------------------------------
def test_equal_timestamps_keep_file_order():
    table = pa.table({"user_id": [1, 2, 1, 1, 2, 1],
                      "item_id": ["a", "q", "b", "c", "p", "d"],
                      "timestamp": [5, 0, 5, 1, 0, 5]})
    db = seqmine.read_events(table)
    assert decoded(db) == [[["c"], ["a"], ["b"], ["d"]], [["q"], ["p"]]]
    assert db.arrays.times.tolist() == [1, 5, 5, 5, 0, 0]


def test_itemsets_by_timestamp_merge_and_deduplicate():
    table = pa.table({"user_id": [1, 1, 1, 1, 2, 1],
                      "item_id": ["b", "a", "b", "c", "a", "a"],
                      "timestamp": [5, 5, 5, 1, 5, 7]})
    db = seqmine.read_events(table, itemsets="timestamp")
    assert decoded(db) == [[["c"], ["a", "b"], ["a"]], [["a"]]]
    assert db.arrays.times.tolist() == [1, 5, 7, 5]
    assert np.diff(db.arrays.evt_ptr).tolist() == [1, 2, 1, 1]
    db.validate()
    # the default makes one event per row
    assert decoded(seqmine.read_events(table)) == [
        [["c"], ["b"], ["a"], ["b"], ["a"]], [["a"]]]


def test_filter_expression(write_parquet):
    keep_views = pc.field("event_type") == "view"
    expected = [[[20], [30]], [[10], [30]]]
    assert decoded(seqmine.read_events(pa.table(EVENTS), filter=keep_views)) == expected
    assert decoded(seqmine.read_events(write_parquet(EVENTS), filter=keep_views)) == expected
    assert decoded(seqmine.read_events(pd.DataFrame(EVENTS), filter=keep_views)) == expected


def _reference_build(users, items, times, merge):
    """Plain-Python grouping: sequences by sorted key, rows by time (ties: file order)."""
    sequences, seq_times = [], []
    for u in sorted(set(users)):
        rows = sorted((t, k) for k, (uu, t) in enumerate(zip(users, times, strict=True))
                      if uu == u)
        events, ev_times = [], []
        for t, k in rows:
            if merge and ev_times and ev_times[-1] == t:
                events[-1] = sorted(set(events[-1]) | {items[k]})
            else:
                events.append([items[k]])
                ev_times.append(t)
        sequences.append(events)
        seq_times.extend(ev_times)
    return sorted(set(users)), sequences, seq_times


time_values = st.one_of(st.integers(0, 6), st.integers(-(2 ** 62), 2 ** 62))


@given(rows=st.lists(st.tuples(st.integers(0, 4), st.sampled_from("abcde"), time_values),
                     min_size=1, max_size=40),
       merge=st.booleans(), string_users=st.booleans(), via_parquet=st.booleans())
def test_matches_a_plain_python_grouping(rows, merge, string_users, via_parquet):
    users = [f"u{u}" if string_users else u for u, _, _ in rows]
    items = [i for _, i, _ in rows]
    times = [t for _, _, t in rows]
    table = pa.table({"user_id": users, "item_id": items, "timestamp": times})
    itemsets = "timestamp" if merge else "event"
    if via_parquet:
        with tempfile.TemporaryDirectory() as folder:
            pq.write_table(table, Path(folder) / "e.parquet", row_group_size=7)
            db = seqmine.read_events(Path(folder) / "e.parquet", itemsets=itemsets)
    else:
        db = seqmine.read_events(table, itemsets=itemsets)
    keys, sequences, seq_times = _reference_build(users, items, times, merge)
    assert db.sequence_ids.to_pylist() == keys
    assert decoded(db) == sequences
    assert db.arrays.times.tolist() == seq_times
    db.validate()


# --- bad input --------------------------------------------------------------------------------
def events_with(**changes):
    cols = {**EVENTS, **changes}
    return pa.table({k: v for k, v in cols.items() if v is not None})


@pytest.mark.parametrize(("table", "match"), [
    (events_with(item_id=None), r"missing column.*'item_id'"),
    (events_with(timestamp=None), r"missing column 'timestamp'.*time=None"),
    (events_with(user_id=None), r"no sequence column.*session_id.*user_id"),
])
def test_missing_columns(table, match):
    with pytest.raises(InputError, match=match):
        seqmine.read_events(table)


def test_missing_named_columns():
    with pytest.raises(InputError, match=r"missing column.*'product'"):
        seqmine.read_events(pa.table(EVENTS), item="product")
    with pytest.raises(InputError, match=r"missing column.*'ts'"):
        seqmine.read_events(pa.table(EVENTS), time="ts")
    with pytest.raises(InputError, match=r"missing column.*'sid'"):
        seqmine.read_events(pa.table(EVENTS), sequence="sid")


@pytest.mark.parametrize("column", ["user_id", "item_id", "timestamp"])
def test_null_values_name_the_column(column, write_parquet):
    values = list(EVENTS[column])
    values[3] = None
    table = events_with(**{column: values})
    for source in (table, write_parquet(table)):
        with pytest.raises(InputError, match=rf"column '{column}' has 1 null value"):
            seqmine.read_events(source)


def test_nan_items_in_a_dataframe_are_nulls():
    df = pd.DataFrame({"user_id": [1, 1], "item_id": [1.0, np.nan], "timestamp": [0, 1]})
    with pytest.raises(InputError, match="column 'item_id' has 1 null"):
        seqmine.read_events(df)


@pytest.mark.parametrize(("column", "values", "match"), [
    ("item_id", [1.5] * 6, r"item column 'item_id' has unsupported type double"),
    ("item_id", [[1]] * 6, r"item column 'item_id' has unsupported type list"),
    ("item_id", [True] * 6, r"item column 'item_id' has unsupported type bool"),
    ("user_id", [0.5] * 6, r"sequence column 'user_id' has unsupported type double"),
    ("timestamp", [1.5] * 6, r"time column 'timestamp' has unsupported type double"),
    ("timestamp", ["2020-01-01"] * 6, r"time column 'timestamp' has unsupported type string"),
])
def test_unsupported_types_name_the_column(column, values, match, write_parquet):
    table = events_with(**{column: values})
    for source in (table, write_parquet(table)):
        with pytest.raises(InputError, match=match):
            seqmine.read_events(source)


def test_mixed_type_dataframe_column():
    df = pd.DataFrame({"user_id": [1, 2], "item_id": [1, "a"], "timestamp": [0, 1]})
    with pytest.raises(InputError, match="item_id"):
        seqmine.read_events(df)


def test_uint64_beyond_int64_names_the_column():
    table = pa.table({"user_id": [1, 1], "item_id": pa.array([2 ** 63 + 5, 1], pa.uint64()),
                      "timestamp": [0, 1]})
    with pytest.raises(InputError, match="column 'item_id' has uint64 values"):
        seqmine.read_events(table)
    small = table.set_column(1, "item_id", pa.array([7, 1], pa.uint64()))
    assert decoded(seqmine.read_events(small)) == [[[7], [1]]]


def test_empty_input(write_parquet):
    empty = pa.table(EVENTS).slice(0, 0)
    for source in (empty, write_parquet(empty)):
        with pytest.raises(InputError, match="empty"):
            seqmine.read_events(source)
    with pytest.raises(InputError, match="empty"):
        seqmine.read_events(pa.table(EVENTS), filter=pc.field("event_type") == "none")


def test_empty_csv_and_empty_folder(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(InputError, match=r"could not read .*empty\.csv as csv"):
        seqmine.read_events(tmp_path / "empty.csv")
    (tmp_path / "header.csv").write_text("user_id,item_id,timestamp\n")
    with pytest.raises(InputError, match="empty"):
        seqmine.read_events(tmp_path / "header.csv")
    (tmp_path / "folder").mkdir()
    with pytest.raises(InputError, match="no Parquet files"):
        seqmine.read_events(tmp_path / "folder")


def test_corrupt_files(tmp_path):
    (tmp_path / "bad.parquet").write_bytes(b"this is not parquet at all")
    with pytest.raises(InputError, match=r"could not read .*bad\.parquet as parquet"):
        seqmine.read_events(tmp_path / "bad.parquet")
    good = tmp_path / "cut.parquet"
    pq.write_table(pa.table(EVENTS), good)
    good.write_bytes(good.read_bytes()[:-20])  # footer cut off
    with pytest.raises(InputError, match=r"could not read .*cut\.parquet"):
        seqmine.read_events(good)
    (tmp_path / "bad.csv.gz").write_bytes(b"not gzip data")
    with pytest.raises(InputError, match=r"could not read .*bad\.csv\.gz as csv"):
        seqmine.read_events(tmp_path / "bad.csv.gz")


def test_unknown_extension_and_missing_path(tmp_path):
    (tmp_path / "events.xlsx").write_bytes(b"PK\x03\x04 spreadsheet")
    with pytest.raises(InputError, match=r"cannot tell the format of .*events\.xlsx"):
        seqmine.read_events(tmp_path / "events.xlsx")
    with pytest.raises(InputError, match=r"no such file or folder: .*nope\.parquet"):
        seqmine.read_events(tmp_path / "nope.parquet")


def test_bad_filter_and_options():
    with pytest.raises(InputError, match="filter could not be applied"):
        seqmine.read_events(pa.table(EVENTS), filter=pc.field("nope") == 1)
    with pytest.raises(InputError, match="itemsets must be 'event' or 'timestamp'"):
        seqmine.read_events(pa.table(EVENTS), itemsets="session")
    with pytest.raises(InputError, match="cannot read events from a list"):
        seqmine.read_events([1, 2, 3])


def test_bad_filter_on_a_parquet_file_names_the_field(write_parquet):
    with pytest.raises(InputError, match="nope"):
        seqmine.read_events(write_parquet(EVENTS), filter=pc.field("nope") == 1)
