"""The benchmark suites by name, and ``all``.

    python -m benchmarks run SUITE [--quick] [options]     (also: python -m benchmarks.run SUITE)

Suites: mining (seqmine's PrefixSpan, its CLI and compile time beside the peers), miners
(every seqmine miner beside the peers), scaling (synthetic data from 10^4 to 10^7 events,
minsup sweep, 1 and 2 threads), rules (rule recommender serving latency and throughput),
neural (training throughput), and the specialised compile, ingest, distributed (Dask),
rules-eval and ranking. ``all`` runs mining, miners, scaling, rules and neural one after the
other, passing ``--quick`` on. See benchmarks/README.md for what each measures.
"""

from __future__ import annotations

import importlib
import sys

SUITES = {
    "mining": "benchmarks.suites.mining",
    "miners": "benchmarks.suites.miners",
    "scaling": "benchmarks.suites.scaling",
    "rules": "benchmarks.suites.rules",
    "neural": "benchmarks.suites.neural",
    "compile": "benchmarks.suites.compile",
    "ingest": "benchmarks.suites.ingest",
    "distributed": "benchmarks.suites.distributed",
    "rules-eval": "benchmarks.suites.rules_eval",
    "ranking": "benchmarks.suites.ranking",
}
#: what ``all`` runs, in this order
ALL = ("mining", "miners", "scaling", "rules", "neural")


def run_suite(name: str, argv: list[str]) -> int:
    module = importlib.import_module(SUITES[name])
    return int(module.main(argv) or 0)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__, file=sys.stderr)
        return 0
    name, rest = argv[0], argv[1:]
    if name == "all":
        unknown = [a for a in rest if a != "--quick"]
        if unknown:
            print(f"`all` takes only --quick (got {unknown}); run suites one by one for "
                  "their options", file=sys.stderr)
            return 2
        codes = {suite: run_suite(suite, rest) for suite in ALL}
        failed = [suite for suite, code in codes.items() if code]
        if failed:
            print(f"failed suites: {', '.join(failed)}", file=sys.stderr)
        return 1 if failed else 0
    if name not in SUITES:
        print(f"unknown suite {name!r}; choose from {', '.join([*SUITES, 'all'])}",
              file=sys.stderr)
        return 2
    return run_suite(name, rest)


if __name__ == "__main__":
    raise SystemExit(main())
