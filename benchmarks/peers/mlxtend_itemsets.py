"""``mlxtend`` frequent itemsets (FP-growth), each sequence one transaction."""

from __future__ import annotations

from benchmarks.peers import Stopwatch, read_sequences, relative_threshold

NAME = "mlxtend"
PACKAGE = "mlxtend==0.25.0"
MODULE = "mlxtend"
KIND = "itemsets"
INCLUDES_SINGLETONS = True
#: one-hot tables up to this many cells are dense bool frames, larger ones sparse
DENSE_CELLS = 200_000_000
NOTE = ("`mlxtend.frequent_patterns.fpgrowth` (its fastest miner) with each sequence one "
        "transaction (the set of its items), as seqmine.itemsets does by default; the "
        "one-hot DataFrame is built first and not timed (dense bool up to 2e8 cells, else "
        "sparse); min_support (min_count - 0.5) / N, so that `support >= min_support` "
        "keeps exactly the itemsets in at least min_count transactions")


def run(path: str, min_count: int) -> tuple[int, float]:
    import pandas as pd
    from mlxtend.frequent_patterns import fpgrowth
    from mlxtend.preprocessing import TransactionEncoder

    transactions = [sorted(set(seq)) for seq in read_sequences(path)]
    encoder = TransactionEncoder().fit(transactions)
    columns = [str(item) for item in encoder.columns_]  # mlxtend's sparse path wants strings
    if len(transactions) * len(columns) <= DENSE_CELLS:
        frame = pd.DataFrame(encoder.transform(transactions), columns=columns)
    else:
        frame = pd.DataFrame.sparse.from_spmatrix(encoder.transform(transactions, sparse=True),
                                                  columns=columns)
    with Stopwatch() as watch:
        found = fpgrowth(frame, min_support=relative_threshold(min_count, len(transactions)))
    return len(found), watch.wall_s
