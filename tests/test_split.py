"""Splits: leave-one-out and temporal; above all, nothing leaks into training."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seqmine
from seqmine.data.split import EvalSet, Split, concat_ranges, split
from seqmine.errors import InputError

events = st.one_of(st.integers(0, 6), st.lists(st.integers(0, 6), min_size=1, max_size=3))
sequences = st.lists(st.lists(events, min_size=1, max_size=7), min_size=1, max_size=12)


def codes(db, i):
    return db.sequence_codes(i)


def history_lists(evalset, i):
    h = evalset.histories(np.array([i]))
    return [h.items[h.evt_ptr[e]:h.evt_ptr[e + 1]].tolist() for e in range(h.seq_ptr[1])]


def test_concat_ranges():
    got = concat_ranges(np.array([3, 0, 7]), np.array([5, 0, 9]))
    assert got.tolist() == [3, 4, 7, 8]
    assert concat_ranges(np.array([], np.int64), np.array([], np.int64)).tolist() == []


def test_leave_one_out_hand_made():
    db = seqmine.SequenceDatabase.from_sequences(
        [[1, 2, 3, 4], [5, 6], [7, [8, 9], 1]])
    sp = split(db)
    assert isinstance(sp, Split) and sp.kind == "leave-one-out"
    assert sp.train.codebook is db.codebook
    dec = db.codebook.decode_list
    train = [[dec(e) for e in sp.train.sequence_codes(i)] for i in range(len(sp.train))]
    assert train == [[[1], [2]], [[5], [6]], [[7]]]  # short sequence: train only
    assert sp.train_sequence.tolist() == [0, 1, 2]
    assert len(sp.valid) == len(sp.test) == 2
    assert [dec(t) for t in np.split(sp.valid.targets()[1], sp.valid.targets()[0][1:-1])] \
        == [[3], [8, 9]]
    assert [dec(t) for t in np.split(sp.test.targets()[1], sp.test.targets()[0][1:-1])] \
        == [[4], [1]]
    assert [[dec(e) for e in history_lists(sp.test, i)] for i in range(2)] == \
        [[[1], [2], [3]], [[7], [8, 9]]]
    assert sp.test.sequence.tolist() == [0, 2]
    sp.train.validate()


@settings(max_examples=60, deadline=None)
@given(sequences)
def test_leave_one_out_leaks_nothing(seqs):
    db = seqmine.SequenceDatabase.from_sequences(seqs)
    sp = split(db)
    sp.train.validate()
    lengths = np.diff(db.arrays.seq_ptr)
    train_of = {int(s): i for i, s in enumerate(sp.train_sequence)}
    evaluated = [s for s in range(len(db)) if lengths[s] >= 3]
    assert sp.test.sequence.tolist() == evaluated == sp.valid.sequence.tolist()
    for s in range(len(db)):
        full = codes(db, s)
        got_train = codes(sp.train, train_of[s])
        if lengths[s] >= 3:
            # training data stops before the validation event: no target, nothing later
            assert got_train == full[:-2]
        else:
            assert got_train == full
    for j, s in enumerate(evaluated):
        full = codes(db, s)
        assert history_lists(sp.valid, j) == full[:-2]
        assert history_lists(sp.test, j) == full[:-1]
        tptr, titems = sp.test.targets()
        assert titems[tptr[j]:tptr[j + 1]].tolist() == full[-1]
        vptr, vitems = sp.valid.targets()
        assert vitems[vptr[j]:vptr[j + 1]].tolist() == full[-2]
        # the target event is never among the training events of its sequence
        n_train = len(codes(sp.train, train_of[s]))
        assert sp.valid.target_event[j] == db.arrays.seq_ptr[s] + n_train
        assert sp.test.target_event[j] == db.arrays.seq_ptr[s] + n_train + 1
    assert sp.train.n_events == db.n_events - 2 * len(evaluated)


def timed_db():
    # times in seconds; three users
    seqs = [[1, 2, 3, 4], [5, 6, 7], [8, 9]]
    times = [[0, 10, 20, 30], [5, 15, 25], [26, 40]]
    db = seqmine.SequenceDatabase.from_sequences(seqs, times=times)
    return db


def test_temporal_with_cutoffs():
    db = timed_db()
    sp = split(db, "temporal", valid_start=20, test_start=26)
    assert sp.kind == "temporal"
    assert sp.options["valid_start"] == 20 and sp.options["test_start"] == 26
    assert sp.train.arrays.times.max() < 20
    dec = db.codebook.decode_list
    assert [dec(t) for t in [sp.valid.targets()[1]]] == [[3, 7]]
    assert sorted(dec(sp.test.targets()[1])) == [4, 9]  # item 8 starts user 3: no history
    for es in (sp.valid, sp.test):
        t = es.target_times()
        assert (t >= 20).all()
        for i in range(len(es)):
            h = es.histories(np.array([i]))
            assert (h.times < t[i]).all() and h.seq_ptr[1] >= 1
    assert (sp.test.target_times() >= 26).all()
    assert (sp.valid.target_times() < 26).all()


def test_temporal_first_only_and_min_history():
    db = timed_db()
    sp = split(db, "temporal", valid_start=10, test_start=25, targets="first")
    assert len(np.unique(sp.valid.sequence)) == len(sp.valid)
    assert len(np.unique(sp.test.sequence)) == len(sp.test)
    sp2 = split(db, "temporal", valid_start=10, test_start=25, min_history=2)
    assert (sp2.test.history_lengths() >= 2).all()


@settings(max_examples=50, deadline=None)
@given(sequences, st.integers(0, 2 ** 31 - 1))
def test_temporal_leaks_nothing(seqs, seed):
    rng = np.random.default_rng(seed)
    times = [np.sort(rng.integers(0, 50, len(s))).tolist() for s in seqs]
    db = seqmine.SequenceDatabase.from_sequences(seqs, times=times)
    try:
        sp = split(db, "temporal", valid_fraction=0.2, test_fraction=0.2)
    except InputError:
        return  # fractions left no training events: refused, not silently wrong
    cut_v, cut_t = sp.options["valid_start"], sp.options["test_start"]
    assert cut_v <= cut_t
    if sp.train.n_events:
        assert sp.train.arrays.times.max() < cut_v
    assert (sp.valid.target_times() >= cut_v).all() and (sp.valid.target_times() < cut_t).all()
    assert (sp.test.target_times() >= cut_t).all()
    # every event before the cut-off is in training (nothing dropped)
    assert sp.train.n_events == int((db.arrays.times < cut_v).sum())
    for es in (sp.valid, sp.test):
        assert (es.hist_stop - es.hist_start >= 1).all()
        assert (es.hist_start == db.arrays.seq_ptr[es.sequence]).all()


@settings(max_examples=50, deadline=None)
@given(sequences, st.integers(0, 2 ** 31 - 1), st.sampled_from(["all", "first"]))
def test_train_and_valid_holds_everything_before_the_test_targets(seqs, seed, targets):
    db = seqmine.SequenceDatabase.from_sequences(seqs)
    sp = split(db)
    tv = sp.train_and_valid()
    tv.validate()
    assert tv.codebook is db.codebook
    lengths = np.diff(db.arrays.seq_ptr)
    # leave-one-out: each sequence less its test target, which is its last event; a test
    # instance's history is exactly its user's refit sequence
    want = [codes(db, s)[:-1] if lengths[s] >= 3 else codes(db, s) for s in range(len(db))]
    assert [codes(tv, i) for i in range(len(tv))] == [w for w in want if w]
    by_seq = {s: i for i, s in enumerate(s for s in range(len(db)) if want[s])}
    for j, s in enumerate(sp.test.sequence.tolist()):
        assert history_lists(sp.test, j) == codes(tv, by_seq[s])
    assert tv.n_events == sp.train.n_events + len(sp.valid) == db.n_events - len(sp.test)

    rng = np.random.default_rng(seed)
    times = [np.sort(rng.integers(0, 50, len(s))).tolist() for s in seqs]
    tdb = seqmine.SequenceDatabase.from_sequences(seqs, times=times)
    try:
        tsp = split(tdb, "temporal", valid_fraction=0.2, test_fraction=0.2, targets=targets)
    except InputError:
        return
    tv = tsp.train_and_valid()
    cut = tsp.options["test_start"]
    assert tv.n_events == int((tdb.arrays.times < cut).sum())
    if tv.n_events:
        assert tv.arrays.times.max() < cut
    # training events and validation targets are all there, test targets none
    assert tv.n_events >= tsp.train.n_events + len(tsp.valid)
    assert (tsp.test.target_times() >= cut).all()


def test_train_and_valid_hand_made():
    db = seqmine.SequenceDatabase.from_sequences([[1, 2, 3, 4], [5, 6], [7, [8, 9], 1]])
    tv = split(db).train_and_valid()
    dec = db.codebook.decode_list
    assert [[dec(e) for e in tv.sequence_codes(i)] for i in range(len(tv))] == \
        [[[1], [2], [3]], [[5], [6]], [[7], [8, 9]]]
    tsp = split(timed_db(), "temporal", valid_start=20, test_start=26)
    tv = tsp.train_and_valid()
    dec = tv.codebook.decode_list
    assert [[dec(e) for e in tv.sequence_codes(i)] for i in range(len(tv))] == \
        [[[1], [2], [3]], [[5], [6], [7]]]


def test_temporal_fractions_and_dates():
    n = 1000
    frame = pd.DataFrame({"user_id": np.arange(n) % 50, "item_id": np.arange(n) % 37,
                          "timestamp": pd.to_datetime(np.arange(n), unit="h")})
    db = seqmine.read_events(frame)
    assert db.time_unit is not None
    sp = split(db, "temporal", valid_fraction=0.1, test_fraction=0.2)
    assert sp.train.n_events == pytest.approx(0.7 * n, abs=2)
    sp2 = split(db, "temporal", valid_start="1970-01-20", test_start=dt.datetime(1970, 1, 30))
    assert sp2.options["test_start"] == int(np.datetime64("1970-01-30", db.time_unit)
                                            .astype(np.int64))
    with pytest.raises(InputError):
        split(seqmine.SequenceDatabase.from_sequences([[1, 2, 3]]), "temporal",
              test_start="2020-01-01")


@pytest.mark.parametrize("kwargs", [
    dict(how="random"),
    dict(how="leave-one-out", min_length=2),
    dict(how="temporal", test_fraction=0.0),
    dict(how="temporal", test_fraction=1.5),
    dict(how="temporal", valid_fraction=-0.1),
    dict(how="temporal", targets="last"),
    dict(how="temporal", valid_start=30, test_start=10),
    dict(how="temporal", valid_fraction=0.9, test_fraction=0.5),
])
def test_split_errors(kwargs):
    with pytest.raises(InputError):
        split(timed_db(), **kwargs)
    with pytest.raises(InputError):
        split([[1, 2, 3]])


def test_split_on_shared_file_if_present():
    path = "/work/shared/datasets/recsys/sasrec_ml1m.parquet"
    import os
    if not os.path.exists(path):
        pytest.skip("shared data set absent")
    db = seqmine.read_events(path)
    sp = split(db)
    assert len(sp.test) == len(sp.valid) == 6040
    assert sp.train.n_events == db.n_events - 2 * 6040
    assert isinstance(sp.test, EvalSet)
