"""Regenerate the README's pictures (docs/images/*.png) from MovieLens ratings.

    python docs/make_figures.py                       # data from ../shared/datasets/recsys
    python docs/make_figures.py --data-dir DIR --out docs/images

Data: the first 2,999 users of MovieLens-1M (``ml1m_ratings_users1-2999.parquet``: user,
movie, rating, Unix timestamp) with the titles of ``ml1m_movies.parquet``; see the shared
data README for provenance. Every rating is an event, in time order per user; items are
short titles ("Star Wars: Episode IV (1977)") so that the labels fit.

What is drawn (all with :mod:`seqmine.plots`, the functions behind ``seqmine plot``):
patterns with support >= 3 % of users, at most 4 movies, consecutive matched ratings at most
10 ratings apart; the sequential rules read off them; and when the most frequent two-movie
pattern occurred (real timestamps). Deterministic: the same data give the same images.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("SEQMINE_RECSYS_DIR", ROOT.parent / "shared/datasets/recsys"))
RATINGS = "ml1m_ratings_users1-2999.parquet"
MOVIES = "ml1m_movies.parquet"
MINSUP = 0.03
MINING = {"max_length": 4, "max_gap": 10}


def short_title(title: str) -> str:
    """"Godfather: Part II, The (1974)" -> "The Godfather: Part II (1974)"; a subtitle after
    " - " is dropped ("Star Wars: Episode IV - A New Hope (1977)" -> "Star Wars: Episode IV
    (1977)")."""
    match = re.fullmatch(r"(.*?)(?: \((\d{4})\))?", title.strip())
    assert match is not None  # the pattern matches any string
    name, year = match.group(1), match.group(2)
    article = re.fullmatch(r"(.*), (The|A|An)", name)
    if article:
        name = f"{article.group(2)} {article.group(1)}"
    name = name.split(" - ")[0]
    if len(name) > 30:
        name = name[:29].rstrip() + "…"
    return f"{name} ({year})" if year else name


def movielens(data_dir: Path) -> Any:
    """The ratings as a SequenceDatabase of short titles with timestamps in seconds."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    import seqmine
    missing = [n for n in (RATINGS, MOVIES) if not (data_dir / n).is_file()]
    if missing:
        sys.exit(f"missing {missing} in {data_dir}: pass --data-dir (the shared recsys folder)")
    movies = pq.read_table(data_dir / MOVIES).to_pandas()
    short = movies["title"].map(short_title)
    # two movies may shorten to the same label: those keep their full titles
    clash = short.duplicated(keep=False)
    movies["label"] = short.where(~clash, movies["title"])
    ratings = pq.read_table(data_dir / RATINGS, columns=["user_id", "item_id", "timestamp"])
    labels = pa.Table.from_pandas(movies[["movie_id", "label"]], preserve_index=False)
    table = ratings.join(labels.cast(pa.schema([("movie_id", pa.int32()),
                                                ("label", pa.string())])),
                         "item_id", "movie_id")
    table = table.set_column(table.schema.get_field_index("timestamp"), "timestamp",
                             pc.cast(table["timestamp"], pa.timestamp("s")))
    return seqmine.read_events(table, sequence="user_id", item="label", time="timestamp")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args(argv)

    import seqmine
    from seqmine import plots
    db = movielens(args.data_dir)
    patterns = seqmine.mine(db, MINSUP, **MINING)
    rules = seqmine.rules(patterns, 0.0, kind="sequential")
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out
    plots.support_by_length(patterns, path=out / "support_by_length.png", dpi=100)
    plots.top_patterns(patterns.filter(min_length=2), 15, path=out / "top_patterns.png",
                       dpi=100)
    plots.rule_scatter(rules, path=out / "rule_scatter.png", dpi=100)
    first = patterns.filter(min_length=2).top(1)[0]  # its pattern: a tuple of itemsets
    plots.occurrences_over_time(db, [list(event) for event in first], bins=40,
                                max_gap=MINING["max_gap"],
                                path=out / "occurrences_over_time.png", dpi=100)
    print(f"{db}: {len(patterns)} patterns, {len(rules)} rules -> {out}")


if __name__ == "__main__":
    main()
