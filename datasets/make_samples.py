"""Regenerate the bundled sample data sets exactly (seeded; see datasets/README.md).

    python datasets/make_samples.py          # write the files
    python datasets/make_samples.py --check  # verify the committed files match the generator

The canonical copies live in ``seqmine/datasets/data/`` (they ship inside the wheel, so
``seqmine.datasets.load("sample")`` works from an installed package); this folder keeps
byte-identical copies of the two data files for people working from a clone.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seqmine.data.spmf import spmf_bytes  # noqa: E402
from seqmine.datasets.synthetic import synthetic, synthetic_events  # noqa: E402

PACKAGE_DATA = ROOT / "seqmine" / "datasets" / "data"
CLONE_DATA = ROOT / "datasets"

SAMPLE = {  # click-stream: one item per event, timestamps in Unix seconds
    "n_sequences": 2_000, "mean_events": 10.0, "mean_itemset_size": 1.0, "n_patterns": 20,
    "n_items": 300, "pattern_length": 3.5, "corruption": 0.1, "noise": 0.5,
    "item_skew": 0.8, "seed": 20240101,
}
SAMPLE_SPMF = {  # Quest-like itemset sequences (T=2.5 as in Agrawal & Srikant's runs)
    "n_sequences": 500, "mean_events": 8.0, "mean_itemset_size": 2.5, "n_patterns": 10,
    "n_items": 100, "pattern_length": 3.0, "pattern_itemset_size": 2.0, "corruption": 0.1,
    "noise": 0.5, "item_skew": 1.0, "seed": 19950306,
}


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def build() -> dict[str, bytes]:
    """File name -> exact bytes of every generated file."""
    events = synthetic_events(**SAMPLE)
    _, sample_planted = synthetic(**SAMPLE, timestamps=True, return_planted=True)
    spmf_db, spmf_planted = synthetic(**SAMPLE_SPMF, return_planted=True)

    def records(params: dict[str, Any], planted: list[Any]) -> str:
        # one pattern per line keeps the file readable and its diffs small
        rows = ",\n".join("   " + json.dumps({"itemsets": p.as_lists(),
                                               "weight": round(p.weight, 6),
                                               "embedded": p.embedded}) for p in planted)
        return (f'{{\n  "parameters": {json.dumps(params)},\n  "patterns": [\n{rows}\n  ]\n }}')

    planted_json = (f'{{\n "sample": {records(SAMPLE, sample_planted)},\n'
                    f' "sample_spmf": {records(SAMPLE_SPMF, spmf_planted)}\n}}')
    json.loads(planted_json)  # fail here, not in load(), if the hand-made layout breaks
    return {"sample_events.parquet": _parquet_bytes(events),
            "sample.spmf": spmf_bytes(spmf_db),
            "planted.json": (planted_json + "\n").encode("utf-8")}


def _targets(name: str) -> list[Path]:
    places = [PACKAGE_DATA / name]
    if name != "planted.json":
        places.append(CLONE_DATA / name)
    return places


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with the files on disk instead of writing them")
    args = parser.parse_args()
    files = build()
    bad = 0
    for name, data in files.items():
        for target in _targets(name):
            if args.check:
                same = target.is_file() and target.read_bytes() == data
                if not same and name.endswith(".parquet") and target.is_file():
                    # another pyarrow version writes other metadata bytes: compare content
                    same = pq.read_table(target).equals(pq.read_table(io.BytesIO(data)))
                print(f"{'ok     ' if same else 'DIFFERS'} {target.relative_to(ROOT)}")
                bad += not same
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                print(f"wrote {target.relative_to(ROOT)} ({len(data):,} bytes)")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
