"""seqmine.datasets: built-in samples, format readers, the synthetic generator, and the
streaming Parquet ingest it feeds."""

from __future__ import annotations

import gzip
import importlib.util
import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import seqmine
from seqmine import datasets
from seqmine.data import build
from seqmine.data.spmf import read_spmf as core_read_spmf
from seqmine.data.spmf import spmf_bytes
from seqmine.errors import InputError

REPO = Path(__file__).resolve().parents[1]


def same_database(a: seqmine.SequenceDatabase, b: seqmine.SequenceDatabase) -> None:
    for name, x, y in zip(a.arrays._fields, a.arrays, b.arrays, strict=True):
        assert x.dtype == y.dtype, name
        np.testing.assert_array_equal(x, y, err_msg=name)
    assert a.codebook == b.codebook
    assert a.sequence_ids.equals(b.sequence_ids)
    assert a.time_unit == b.time_unit


def as_sets(db: seqmine.SequenceDatabase) -> list[list[frozenset]]:
    return [[frozenset(event) for event in seq] for seq in db]


def contains(sequence: list[frozenset], pattern: tuple[tuple[int, ...], ...]) -> bool:
    """DESIGN.md containment: increasing positions with each itemset a subset (greedy
    leftmost matching is exact for this)."""
    k = 0
    for event in sequence:
        if k < len(pattern) and event.issuperset(pattern[k]):
            k += 1
    return k == len(pattern)


def support(sequences: list[list[frozenset]], pattern: tuple[tuple[int, ...], ...]) -> int:
    return sum(contains(s, pattern) for s in sequences)


# --- built-in data -------------------------------------------------------------------------------
def test_available_lists_names_with_descriptions():
    names = datasets.available()
    assert set(names) == {"sample", "sample_spmf"}
    assert all(isinstance(d, str) and len(d) > 20 and "\n" not in d for d in names.values())


def test_load_sample_matches_its_parquet_file():
    db = datasets.load("sample")
    table = pq.read_table(datasets.path("sample"))
    assert table.column_names == ["user_id", "item_id", "timestamp"]
    assert db.n_sequences == 2_000
    assert db.n_events == table.num_rows
    assert 5_000 <= db.n_events <= 50_000
    assert db.max_itemset_size == 1
    assert db.n_items == len(pc.unique(table["item_id"]))
    db.validate()


def test_load_sample_spmf_and_read_options():
    db = datasets.load("sample_spmf")
    assert db.n_sequences == 500
    assert db.max_itemset_size > 1
    assert spmf_bytes(db) == datasets.path("sample_spmf").read_bytes()
    merged = datasets.load("sample", itemsets="timestamp")
    assert merged.n_events == datasets.load("sample").n_events  # distinct times per user


def test_unknown_name_lists_the_available_ones():
    with pytest.raises(InputError, match="no built-in data set 'nope'; available: sample"):
        datasets.load("nope")
    with pytest.raises(InputError, match="available"):
        datasets.planted("nope")


def test_package_copies_equal_the_repository_copies():
    for name in ("sample", "sample_spmf"):
        packaged = datasets.path(name)
        assert packaged.parent == datasets.DATA_DIR
        assert (REPO / "datasets" / packaged.name).read_bytes() == packaged.read_bytes()


def test_make_samples_reproduces_the_files():
    spec = importlib.util.spec_from_file_location("make_samples",
                                                  REPO / "datasets" / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    files = module.build()
    assert files["sample.spmf"] == datasets.path("sample_spmf").read_bytes()
    assert files["planted.json"] == (datasets.DATA_DIR / "planted.json").read_bytes()
    regenerated = pq.read_table(io.BytesIO(files["sample_events.parquet"]))
    assert regenerated.equals(pq.read_table(datasets.path("sample")))


@pytest.mark.parametrize("name", ["sample", "sample_spmf"])
def test_planted_patterns_are_frequent_in_the_samples(name):
    planted = datasets.planted(name)
    sequences = as_sets(datasets.load(name))
    assert len(planted) >= 10
    assert [p.weight for p in planted] == sorted((p.weight for p in planted), reverse=True)
    for p in planted[:5]:
        assert p.size >= 2
        # the heaviest patterns were planted intact in at least 5% of the sequences
        assert p.embedded >= 0.05 * len(sequences)
    for p in planted:
        assert support(sequences, p.itemsets) >= p.embedded


# --- readers -------------------------------------------------------------------------------------
def test_read_spmf_is_the_core_reader():
    assert datasets.read_spmf is core_read_spmf


RATINGS_DAT = (b"1::1193::5::978300760\n"
               b"1::661::3::978302109\n"
               b"1::914::3::978300760\n"
               b"2::1357::5::978298709\n"
               b"2::3068::4::978299000\n")


def test_read_movielens_dat(tmp_path):
    path = tmp_path / "ratings.dat"
    path.write_bytes(RATINGS_DAT)
    db = datasets.read_movielens(path)
    # time order; ratings within the same second keep file order (1193 before 914)
    assert list(db) == [[[1193], [914], [661]], [[1357], [3068]]]
    assert db.sequence_ids.to_pylist() == [1, 2]
    assert db.time_unit == "s"
    assert db.arrays.times.tolist() == [978300760, 978300760, 978302109, 978298709, 978299000]
    liked = datasets.read_movielens(path, min_rating=4)
    assert list(liked) == [[[1193]], [[1357], [3068]]]
    merged = datasets.read_movielens(path, itemsets="timestamp")
    assert merged[0] == [[914, 1193], [661]]


def test_read_movielens_csv_and_gzip(tmp_path):
    csv = tmp_path / "ratings.csv"
    csv.write_text("userId,movieId,rating,timestamp\n1,10,4.5,100\n1,5,2.0,50\n3,10,3.5,70\n")
    db = datasets.read_movielens(csv)
    assert list(db) == [[[5], [10]], [[10]]]
    assert list(datasets.read_movielens(csv, min_rating=3.5)) == [[[10]], [[10]]]
    gz = tmp_path / "ratings.dat.gz"
    gz.write_bytes(gzip.compress(RATINGS_DAT))
    same_database(datasets.read_movielens(gz), datasets.read_movielens(
        _write(tmp_path / "plain.dat", RATINGS_DAT)))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(("data", "match"), [
    (b"1::1193::5::978300760\n1:661::3::978302109\n", "Expected 7 columns, got 6"),
    (b"1::x::5::978300760\n", "not a valid MovieLens ratings file"),
    (b"user,item\n1,2\n", "not a MovieLens ratings file"),
    (b"", "is empty"),
    (b"1::1193::5::978300760\n", None),
])
def test_read_movielens_bad_files(tmp_path, data, match):
    path = _write(tmp_path / "ratings.dat", data)
    if match is None:
        with pytest.raises(InputError, match="no rating >= 6"):
            datasets.read_movielens(path, min_rating=6)
        return
    with pytest.raises(InputError, match=match):
        datasets.read_movielens(path)


def test_read_movielens_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        datasets.read_movielens(tmp_path / "nope.dat")


def test_read_sasrec_pairs_and_per_user_lines_agree(tmp_path):
    pairs = _write(tmp_path / "ml.txt", b"1 5\n1 3\n2 7\n1 9\n2 5\n\n3 1\n")
    lines = _write(tmp_path / "beauty.txt", b"1 5 3 9\n2 7 5\n3 1\n")
    db = datasets.read_sasrec(pairs)
    assert list(db) == [[[5], [3], [9]], [[7], [5]], [[1]]]
    assert db.arrays.times.tolist() == [0, 1, 2, 0, 1, 0]  # positions, no real time
    assert db.sequence_ids.to_pylist() == [1, 2, 3]
    assert db.time_unit is None
    same_database(db, datasets.read_sasrec(lines))
    gz = _write(tmp_path / "ml.txt.gz", gzip.compress(pairs.read_bytes()))
    same_database(db, datasets.read_sasrec(gz))


def test_read_sasrec_string_ids_and_tabs(tmp_path):
    path = _write(tmp_path / "s.txt", b"u2\tb\nu1 a\nu2 a\n")
    db = datasets.read_sasrec(path)
    assert db.sequence_ids.to_pylist() == ["u1", "u2"]
    assert list(db) == [[["a"]], [["b"], ["a"]]]


def test_read_sasrec_bad_files(tmp_path):
    with pytest.raises(InputError, match=r"line 3: expected 'user item \[item ...\]', got '7'"):
        datasets.read_sasrec(_write(tmp_path / "a.txt", b"1 2\n1 3\n7\n"))
    with pytest.raises(InputError, match="is empty"):
        datasets.read_sasrec(_write(tmp_path / "b.txt", b"\n\n"))


DIGINETICA = (b"session_id;user_id;item_id;timeframe;eventdate\n"
              b"1;NA;81766;526309;2016-05-09\n"
              b"1;NA;31331;1031018;2016-05-09\n"
              b"2;NA;32118;243569;2016-05-09\n"
              b"1;NA;32118;75848;2016-05-09\n"
              b"3;5;9654;0;2016-05-10\n")


def test_read_session_csv_diginetica(tmp_path):
    path = _write(tmp_path / "train-item-views.csv", DIGINETICA)
    db = datasets.read_session_csv(path, time=("eventdate", "timeframe"))
    assert list(db) == [[[32118], [81766], [31331]], [[32118]], [[9654]]]
    day = 1462752000_000  # 2016-05-09 00:00 UTC in ms
    assert db.time_unit == "ms"
    assert db.arrays.times[:3].tolist() == [day + 75848, day + 526309, day + 1031018]
    assert db.arrays.times[4] == day + 86_400_000


def test_read_session_csv_yoochoose_raw_and_session_rec(tmp_path):
    raw = _write(tmp_path / "yoochoose-clicks.dat",
                 b"1,2014-04-07T10:54:09.868Z,214536500,0\n"
                 b"1,2014-04-07T10:51:09.277Z,214536502,0\n"
                 b"2,2014-04-06T15:26:58.255Z,214662742,S\n")
    db = datasets.read_session_csv(raw, names=["session_id", "timestamp", "item_id", "category"])
    assert list(db) == [[[214536502], [214536500]], [[214662742]]]
    tsv = _write(tmp_path / "rsc15.txt",
                 b"SessionId\tItemId\tTime\n7\t3\t1396314141.5\n7\t4\t1396314140.25\n")
    db = datasets.read_session_csv(tsv, "SessionId", "ItemId", "Time")
    assert list(db) == [[[4], [3]]]
    assert db.arrays.times.tolist() == [1396314140250, 1396314141500]
    assert db.time_unit == "ms"


def test_read_session_csv_text_times_filter_and_file_order(tmp_path):
    path = _write(tmp_path / "log.csv", b"sid,item,when,kind\n"
                                        b"a,x,03/01/2020,view\n"
                                        b"a,y,02/01/2020,buy\n"
                                        b"b,x,01/01/2020,view\n")
    db = datasets.read_session_csv(path, "sid", "item", "when", time_format="%d/%m/%Y")
    assert list(db) == [[["y"], ["x"]], [["x"]]]
    kept = datasets.read_session_csv(path, "sid", "item", None,
                                     filter=pc.field("kind") == "view")
    assert list(kept) == [[["x"]], [["x"]]]
    assert list(datasets.read_session_csv(path, "sid", "item", None)) == [[["x"], ["y"]],
                                                                          [["x"]]]


def test_read_session_csv_errors(tmp_path):
    path = _write(tmp_path / "d.csv", DIGINETICA)
    with pytest.raises(InputError, match=r"missing column\(s\) \['timestamp'\]; columns present"):
        datasets.read_session_csv(path)
    with pytest.raises(InputError, match="time must be a column name"):
        datasets.read_session_csv(path, time=("eventdate",))
    with pytest.raises(InputError, match="offset column 'eventdate' must hold integers"):
        datasets.read_session_csv(path, time=("timeframe", "eventdate"))
    with pytest.raises(InputError, match="column 'user_id' has 4 null"):
        datasets.read_session_csv(path, time=("eventdate", "user_id"))
    text = _write(tmp_path / "t.csv", b"session_id,item_id,timestamp\n1,2,yesterday\n")
    with pytest.raises(InputError, match="could not read column 'timestamp' as dates/times"):
        datasets.read_session_csv(text)
    ragged = _write(tmp_path / "r.csv", b"session_id,item_id,timestamp\n1,2,3\n1,2\n")
    with pytest.raises(InputError, match="Expected 3 columns, got 2"):
        datasets.read_session_csv(ragged)
    nulls = _write(tmp_path / "n.csv", b"session_id,item_id,timestamp\n1,,3\n")
    with pytest.raises(InputError, match="column 'item_id' has 1 null"):
        datasets.read_session_csv(nulls)


# --- synthetic data -------------------------------------------------------------------------------
def test_synthetic_is_deterministic_per_seed():
    a, pa_ = datasets.synthetic(300, seed=5, return_planted=True)
    b, pb = datasets.synthetic(300, seed=5, return_planted=True)
    same_database(a, b)
    assert pa_ == pb
    c = datasets.synthetic(300, seed=6)
    assert not np.array_equal(a.arrays.items[:200], c.arrays.items[:200])


@pytest.mark.parametrize(("mean_events", "itemset"), [(10.0, 1.0), (6.0, 2.5), (20.0, 3.0)])
def test_synthetic_shape_statistics(mean_events, itemset):
    db = datasets.synthetic(4_000, mean_events=mean_events, mean_itemset_size=itemset,
                            n_items=500, seed=11)
    db.validate()
    assert db.n_sequences == 4_000
    assert db.n_events / db.n_sequences == pytest.approx(mean_events, rel=0.05)
    assert len(db.arrays.items) / db.n_events == pytest.approx(itemset, rel=0.08)
    values = db.codebook.values.to_numpy()
    assert values.min() >= 1
    assert values.max() <= 500
    assert db.sequence_ids.to_pylist()[:3] == [1, 2, 3]
    assert np.all(db.arrays.times == np.arange(db.n_events) - np.repeat(
        db.arrays.seq_ptr[:-1], np.diff(db.arrays.seq_ptr)))


def test_synthetic_planted_patterns_are_contained_and_frequent():
    db, planted = datasets.synthetic(1_500, mean_events=8, mean_itemset_size=2,
                                     n_patterns=12, n_items=200, corruption=0.2, seed=3,
                                     return_planted=True)
    sequences = as_sets(db)
    assert len(planted) == 12
    assert sum(p.weight for p in planted) == pytest.approx(1.0)
    for p in planted:
        assert all(list(s) == sorted(set(s)) and s for s in p.itemsets)
        assert support(sequences, p.itemsets) >= p.embedded
    top = planted[0]
    assert top.embedded >= 0.05 * db.n_sequences


def test_synthetic_without_noise_or_patterns():
    db, planted = datasets.synthetic(500, n_patterns=0, seed=1, return_planted=True)
    assert planted == []
    db.validate()
    clean, planted = datasets.synthetic(500, mean_itemset_size=1, n_patterns=3,
                                        corruption=0.0, noise=0.0, seed=2,
                                        return_planted=True)
    sequences = as_sets(clean)
    for p in planted:
        assert support(sequences, p.itemsets) >= p.embedded > 0


def test_synthetic_extreme_settings_terminate():
    # near-degenerate popularity: planted itemsets still get distinct items
    db, planted = datasets.synthetic(100, item_skew=10.0, n_items=20, mean_itemset_size=4,
                                     seed=1, return_planted=True)
    db.validate()
    assert all(len(set(s)) == len(s) for p in planted for s in p.itemsets)
    tiny = datasets.synthetic(30, n_items=3, mean_itemset_size=6, seed=1)
    tiny.validate()
    assert tiny.max_itemset_size == 3


def test_synthetic_timestamps():
    db = datasets.synthetic(200, timestamps=True, start=1_000_000, span=100, mean_gap=5.0,
                            seed=4)
    assert db.time_unit == "s"
    t, ptr = db.arrays.times, db.arrays.seq_ptr
    first = t[ptr[:-1]]
    assert first.min() >= 1_000_000
    assert first.max() < 1_000_100
    inner = np.ones(len(t), dtype=bool)
    inner[ptr[:-1]] = False
    assert np.all(np.diff(t)[inner[1:]] >= 1)  # events of a sequence: strictly later


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"n_sequences": 0}, "n_sequences"),
    ({"mean_events": 0.5}, "mean_events"),
    ({"mean_itemset_size": float("nan")}, "mean_itemset_size"),
    ({"corruption": 1.0}, "corruption"),
    ({"noise": -0.1}, "noise"),
    ({"n_items": 0}, "n_items"),
    ({"seed": -1}, "seed"),
])
def test_synthetic_bad_parameters(kwargs, match):
    args = {"n_sequences": 10} | kwargs
    with pytest.raises(InputError, match=match):
        datasets.synthetic(**args)


def test_synthetic_events_round_trip_through_read_events():
    table = datasets.synthetic_events(400, mean_itemset_size=2.0, seed=8)
    assert table.schema == pa.schema([("user_id", pa.int64()), ("item_id", pa.int64()),
                                      ("timestamp", pa.int64())])
    db = datasets.synthetic(400, mean_itemset_size=2.0, seed=8, timestamps=True)
    back = seqmine.read_events(table, itemsets="timestamp")
    np.testing.assert_array_equal(back.arrays.seq_ptr, db.arrays.seq_ptr)
    np.testing.assert_array_equal(back.arrays.evt_ptr, db.arrays.evt_ptr)
    np.testing.assert_array_equal(back.arrays.items, db.arrays.items)
    np.testing.assert_array_equal(back.arrays.times, db.arrays.times)
    assert back.codebook == db.codebook
    by_time = datasets.synthetic_events(400, mean_itemset_size=2.0, seed=8, order="time")
    assert np.all(np.diff(by_time["timestamp"].to_numpy()) >= 0)
    same_database(seqmine.read_events(by_time, itemsets="timestamp"), back)
    with pytest.raises(InputError, match="order"):
        datasets.synthetic_events(10, order="user")


# --- the streaming Parquet ingest of read_events ------------------------------------------------
@pytest.mark.parametrize("layout", ["grouped", "time order", "grouped then not", "positions"])
def test_streaming_parquet_ingest_equals_the_table_path(tmp_path, monkeypatch, layout):
    table = datasets.synthetic_events(300, mean_events=6, n_items=50, seed=9)
    if layout == "time order":
        table = table.take(np.argsort(table["timestamp"].to_numpy(), kind="stable"))
    elif layout == "grouped then not":  # disorder appears only in a later batch
        n = table.num_rows
        table = table.take(np.r_[np.arange(n // 2), np.arange(n // 2, n)[::-1]])
    table = table.set_column(0, "user_id", pc.multiply(table["user_id"], 7).cast(pa.int32()))
    path = tmp_path / "log.parquet"
    pq.write_table(table, path, row_group_size=97)
    monkeypatch.setattr(build, "_BATCH_ROWS", 61)
    time = None if layout == "positions" else "timestamp"
    streamed = seqmine.read_events(path, time=time)
    same_database(streamed, build.build_database(table, "user_id", "item_id", time))
    streamed.validate()


def test_streaming_ingest_wide_ids_and_partitioned_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "_BATCH_ROWS", 50)
    table = datasets.synthetic_events(120, mean_events=5, n_items=30, seed=10)
    wide = table.set_column(1, "item_id", pc.multiply(table["item_id"], 10**15))
    pq.write_table(wide, tmp_path / "wide.parquet", row_group_size=70)
    same_database(seqmine.read_events(tmp_path / "wide.parquet"),
                  build.build_database(wide, "user_id", "item_id", "timestamp"))
    parts = table.append_column("day", pc.divide(table["user_id"], 40))
    pq.write_to_dataset(parts, tmp_path / "folder", partition_cols=["day"])
    folder = seqmine.read_events(tmp_path / "folder")
    assert folder.n_events == table.num_rows
    same_database(folder, build.build_database(
        pq.read_table(tmp_path / "folder"), "user_id", "item_id", "timestamp"))
