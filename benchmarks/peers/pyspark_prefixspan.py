"""Spark's PrefixSpan (``pyspark.ml.fpm.PrefixSpan``) in local mode, one core."""

from __future__ import annotations

import time
from typing import Any

from benchmarks.peers import Stopwatch, read_sequences, relative_threshold

NAME = "pyspark"
PACKAGE = "pyspark>=3.4"
MODULE = "pyspark"
PROGRAMS = ("java",)
KIND = "sequential"
INCLUDES_SINGLETONS = True
#: longer than any frequent pattern here (Spark's default maxPatternLength, 10, drops some)
MAX_PATTERN_LENGTH = 1000
NOTE = ("Spark's PrefixSpan in local mode with one core (`local[1]`, like seqmine's one "
        "thread); needs a Java runtime. Its start-up (JVM, SparkSession, and a warm-up job on "
        "three sequences) is reported separately as `start s`; the DataFrame is built and "
        "cached before the timed `findFrequentSequentialPatterns(...).count()`. "
        "maxPatternLength 1000 (its default 10 drops longer patterns); minSupport "
        "(min_count - 0.5) / N, which its ceil maps back to min_count. CPU time is not "
        "reported: the work runs in the JVM, a process of its own")


def run(path: str, min_count: int) -> tuple[int, float, dict[str, Any]]:
    started = time.perf_counter()
    from pyspark.ml.fpm import PrefixSpan
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[1]").appName("seqmine-benchmark")
             .config("spark.ui.enabled", "false").config("spark.driver.memory", "2g")
             .getOrCreate())
    try:
        spark.sparkContext.setLogLevel("ERROR")
        tiny = spark.createDataFrame([([[1], [2]],), ([[1], [2]],), ([[2]],)], ["sequence"])
        PrefixSpan(minSupport=0.5).findFrequentSequentialPatterns(tiny).count()
        startup_s = time.perf_counter() - started
        sequences = read_sequences(path)
        frame = spark.createDataFrame([([[item] for item in seq],) for seq in sequences],
                                      ["sequence"]).cache()
        frame.count()
        miner = PrefixSpan(minSupport=relative_threshold(min_count, len(sequences)),
                           maxPatternLength=MAX_PATTERN_LENGTH)
        with Stopwatch() as watch:
            n_patterns = miner.findFrequentSequentialPatterns(frame).count()
    finally:
        spark.stop()
    return n_patterns, watch.wall_s, {"startup_s": startup_s, "cpu_s": None}
