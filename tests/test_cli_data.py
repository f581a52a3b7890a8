"""`seqmine info` and `seqmine convert` through click's CliRunner, on the bundled samples."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import seqmine
from seqmine import datasets
from seqmine.cli.main import cli
from seqmine.data.spmf import spmf_bytes

REPO = Path(__file__).resolve().parents[1]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def same_database(a: seqmine.SequenceDatabase, b: seqmine.SequenceDatabase,
                  ids: bool = True) -> None:
    for name, x, y in zip(a.arrays._fields, a.arrays, b.arrays, strict=True):
        assert x.dtype == y.dtype, name
        np.testing.assert_array_equal(x, y, err_msg=name)
    assert a.codebook == b.codebook
    if ids:
        assert a.sequence_ids.equals(b.sequence_ids)


# --- info ----------------------------------------------------------------------------------------
def test_info_json_on_the_builtin_sample():
    code, out, _ = run("info", "sample", "--json")
    assert code == 0
    info = json.loads(out)
    table = pq.read_table(datasets.path("sample"))
    assert info["source"] == "sample"
    assert info["sequences"] == 2_000
    assert info["events"] == info["item_occurrences"] == table.num_rows
    assert info["distinct_items"] == len(set(table["item_id"].to_pylist()))
    assert info["itemset_sizes"] == {"1": table.num_rows}
    assert sum(h["sequences"] for h in info["sequence_length_histogram"]) == 2_000
    lengths = np.bincount(table["user_id"].to_numpy())[1:]
    assert info["events_per_sequence"]["max"] == lengths.max()
    assert info["events_per_sequence"]["mean"] == pytest.approx(lengths.mean(), abs=1e-3)
    ts = table["timestamp"].to_numpy()
    assert (info["time"]["min"], info["time"]["max"]) == (ts.min(), ts.max())
    assert info["time"]["unit"] is None


def test_info_text_and_every_way_to_name_the_same_data():
    code, text, _ = run("info", "sample")
    assert code == 0
    assert "sequences         2,000" in text
    assert "itemset sizes     1: " in text
    assert "sequence lengths" in text
    assert "#" in text
    code, by_path, _ = run("info", str(REPO / "datasets" / "sample_events.parquet"), "--json")
    assert json.loads(by_path) | {"source": "sample"} == json.loads(run(
        "info", "sample", "--json")[1])
    spmf = json.loads(run("info", str(REPO / "datasets" / "sample.spmf"), "--json")[1])
    builtin = json.loads(run("info", "sample_spmf", "--json")[1])
    assert spmf | {"source": "x"} == builtin | {"source": "x"}
    sizes = np.diff(datasets.load("sample_spmf").arrays.evt_ptr)
    assert sum(builtin["itemset_sizes"].values()) == len(sizes)
    assert builtin["itemset_sizes"]["1"] == int((sizes == 1).sum())
    assert builtin["items_per_event"]["max"] == sizes.max()


def test_info_with_column_options_and_timestamp_units(tmp_path):
    table = pa.table({"sess": ["a", "a", "b"], "product": [5, 6, 5],
                      "ts": pa.array([0, 90, 30], pa.timestamp("s"))})
    pq.write_table(table, tmp_path / "t.parquet")
    code, out, err = run("info", str(tmp_path / "t.parquet"), "--sequence", "sess",
                         "--item", "product", "--time", "ts", "--json")
    assert code == 0, err
    info = json.loads(out)
    assert (info["sequences"], info["events"], info["distinct_items"]) == (2, 3, 2)
    assert info["time"]["first"] == "1970-01-01T00:00:00+00:00"
    assert info["time"]["seconds"] == 90
    code, out, _ = run("info", str(tmp_path / "t.parquet"), "--sequence", "sess",
                       "--item", "product", "--time", "ts")
    assert "time span         1970-01-01T00:00:00+00:00 .. 1970-01-01T00:01:30+00:00" in out
    code, out, _ = run("info", str(tmp_path / "t.parquet"), "--sequence", "sess",
                       "--item", "product", "--time", "none", "--itemsets", "timestamp",
                       "--json")
    assert json.loads(out)["time"] == {"min": 0, "max": 1, "unit": None}


# --- convert -------------------------------------------------------------------------------------
def test_round_trip_spmf_parquet_csv_is_exact(tmp_path):
    source = REPO / "datasets" / "sample.spmf"
    chain = ["a.parquet", "b.csv", "c.spmf", "d.csv.gz", "e.pq", "f.txt.gz", "g.tsv", "h.txt"]
    previous = str(source)
    for name in chain:
        # an itemset becomes one row per item sharing its time: read back by timestamp
        code, _, err = run("convert", previous, str(tmp_path / name), "--itemsets", "timestamp")
        assert code == 0, err
        assert f"wrote {tmp_path / name}" in err
        previous = str(tmp_path / name)
    assert (tmp_path / "h.txt").read_bytes() == source.read_bytes()
    assert gzip.decompress((tmp_path / "f.txt.gz").read_bytes()) == source.read_bytes()
    original = seqmine.read_events(source)
    assert original.max_itemset_size > 1
    for name in chain:
        same_database(seqmine.read_events(tmp_path / name, itemsets="timestamp"), original)
    split = seqmine.read_events(tmp_path / "a.parquet")  # default: one itemset per row
    assert split.n_events == len(original.arrays.items) > original.n_events


def test_event_log_round_trip_keeps_ids_and_times(tmp_path):
    sample = datasets.load("sample")
    for name in ("s.csv", "s.parquet", "s.tsv.gz"):
        code, _, err = run("convert", "sample", str(tmp_path / name))
        assert code == 0, err
        back = seqmine.read_events(tmp_path / name)
        same_database(back, sample)
        assert back.time_unit is None
    assert pq.read_table(tmp_path / "s.parquet").equals(
        pq.read_table(datasets.path("sample")))
    # via SPMF the database survives; the user ids become 0..N-1 (SPMF has no ids)
    run("convert", "sample", str(tmp_path / "s.spmf"))
    assert (tmp_path / "s.spmf").read_bytes() == spmf_bytes(sample)
    same_database(seqmine.read_events(tmp_path / "s.spmf"), sample, ids=False)


def test_convert_names_columns_after_the_options(tmp_path):
    table = pa.table({"session_id": [3, 3, 4], "sku": ["x", "y", "x"], "t": [5, 6, 1]})
    pq.write_table(table, tmp_path / "in.parquet")
    code, _, err = run("convert", str(tmp_path / "in.parquet"), str(tmp_path / "out.csv"),
                       "--item", "sku", "--time", "t")
    assert code == 0, err
    out = (tmp_path / "out.csv").read_text().splitlines()
    assert out == ['"session_id","sku","t"', '3,"x",5', '3,"y",6', '4,"x",1']
    code, _, err = run("convert", str(tmp_path / "in.parquet"), str(tmp_path / "out.spmf"),
                       "--item", "sku", "--time", "t")
    assert code == 0, err
    text = (tmp_path / "out.spmf").read_text()
    assert text == ("@CONVERTED_FROM_TEXT\n@ITEM=1=x\n@ITEM=2=y\n"
                    "<5> 1 -1 <6> 2 -1 -2\n<1> 1 -1 -2\n")


def test_convert_a_partitioned_folder(tmp_path):
    table = pa.table({"user_id": [1, 1, 2, 2], "item_id": [7, 8, 7, 9],
                      "timestamp": [0, 1, 0, 1], "day": [1, 1, 2, 2]})
    pq.write_to_dataset(table, tmp_path / "log", partition_cols=["day"])
    code, _, err = run("convert", str(tmp_path / "log"), str(tmp_path / "log.spmf"))
    assert code == 0, err
    assert (tmp_path / "log.spmf").read_text() == "7 -1 8 -1 -2\n7 -1 9 -1 -2\n"


# --- errors: exit code 2, one clear line, no traceback -------------------------------------------
def bad(*args: str) -> str:
    code, out, err = run(*args)
    assert code == 2, (code, out, err)
    assert "Traceback" not in err
    assert out == ""
    assert err.startswith("seqmine: error: ")
    return err


def test_bad_inputs(tmp_path):
    assert "no such file or folder: nope.parquet (nor a built-in data set: sample" in bad(
        "info", "nope.parquet")
    malformed = tmp_path / "bad.spmf"
    malformed.write_text("1 -1 2 -1 -2\n3 -1 x -1 -2\n")
    assert "line 2: malformed SPMF" in bad("info", str(malformed))
    log = tmp_path / "log.csv"
    log.write_text("user_id,item_id\n1,2\n")
    assert "missing column(s) ['timestamp']" in bad("info", str(log))
    assert "missing column(s) ['sku']" in bad("info", str(log), "--item", "sku",
                                               "--time", "none")
    nulls = tmp_path / "nulls.parquet"
    pq.write_table(pa.table({"user_id": [1, None], "item_id": [1, 2], "timestamp": [0, 1]}),
                   nulls)
    assert "column 'user_id' has 1 null" in bad("info", str(nulls))


def test_convert_errors_write_nothing(tmp_path):
    assert "cannot tell the output format" in bad("convert", "sample", str(tmp_path / "x.xlsx"))
    copy = tmp_path / "s.spmf"
    copy.write_bytes(datasets.path("sample_spmf").read_bytes())
    assert "same file as SOURCE" in bad("convert", str(copy), str(copy))
    malformed = tmp_path / "bad.txt"
    malformed.write_text("1 -1 -2\n1 2\n")
    assert "line 2" in bad("convert", str(malformed), str(tmp_path / "out.parquet"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.txt", "s.spmf"]


def test_help_lists_the_data_commands():
    code, out, _ = run("--help")
    assert code == 0
    assert "info" in out
    assert "convert" in out
    code, out, _ = run("convert", "--help")
    for word in ("--sequence", "--itemsets", ".parquet"):
        assert word in out
