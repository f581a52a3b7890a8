"""``python -m benchmarks``: run a benchmark suite, or rewrite README's performance section.

    python -m benchmarks run mining|miners|scaling|rules|neural|all [--quick] [suite options]
    python -m benchmarks run compile|ingest|distributed|rules-eval|ranking [suite options]
    python -m benchmarks readme [--check]

``run SUITE -h`` lists a suite's options. Every suite writes benchmarks/results/<suite>.md,
a JSON file of the raw figures and its plots, with the machine description; ``--quick``
writes <suite>-quick.* instead (not for committing). ``readme`` rewrites the block between
``<!-- bench:start -->`` and ``<!-- bench:end -->`` in README.md from the results.
"""

from __future__ import annotations

import sys

from benchmarks import run


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["run"]:
        return run.main(argv[1:])
    if argv[:1] == ["readme"]:
        from benchmarks import readme
        return readme.main(argv[1:])
    print(__doc__, file=sys.stderr)
    return 0 if argv[:1] in ([], ["-h"], ["--help"]) else 2


if __name__ == "__main__":
    raise SystemExit(main())
