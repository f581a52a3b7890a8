"""One entry point for the benchmark suites.

    python -m benchmarks.run mining [--datasets SIGN,BMS1] [--repeat 3] [--timeout 120]
                                    [--peers prefixspan,effspm,gsppy,pycspade] [--quick]
    python -m benchmarks.run compile [--repeat 3] [--dataset SIGN --percent 30]
    python -m benchmarks.run ingest  [...]   # read_events throughput (benchmarks/suites/ingest.py)
    python -m benchmarks.run scaling [...]   # Dask / threads on a synthetic log (suites/scaling.py)
    python -m benchmarks.run rules   [...]   # rule recommender evaluation (suites/rules_eval.py)
    python -m benchmarks.run ranking [...]   # neural rankers (benchmarks/suites/ranking.py)

Each suite writes its tables under benchmarks/results/; ``python -m benchmarks.run SUITE -h``
lists its options. See benchmarks/README.md for what is measured and how to read it.
"""

from __future__ import annotations

import importlib
import sys

SUITES = {
    "mining": "benchmarks.suites.mining",
    "compile": "benchmarks.suites.compile",
    "ingest": "benchmarks.suites.ingest",
    "scaling": "benchmarks.suites.scaling",
    "rules": "benchmarks.suites.rules_eval",
    "ranking": "benchmarks.suites.ranking",
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in SUITES:
        print(__doc__, file=sys.stderr)
        if argv and argv[0] not in ("-h", "--help"):
            print(f"unknown suite {argv[0]!r}; choose from {', '.join(SUITES)}", file=sys.stderr)
            return 2
        return 0
    module = importlib.import_module(SUITES[argv[0]])
    return int(module.main(argv[1:]) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
