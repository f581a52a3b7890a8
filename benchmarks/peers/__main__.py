"""``python -m benchmarks.peers NAME PATH MIN_COUNT``: run one peer, print one JSON line."""

from __future__ import annotations

import json
import sys

from benchmarks.peers import Stopwatch, adapter


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    name, path, min_count = args[0], args[1], int(args[2])
    n_patterns, seconds, *extra = adapter(name).run(path, min_count)
    print(json.dumps({"peer": name, "patterns": int(n_patterns), "seconds": float(seconds),
                      "cpu_s": Stopwatch.last_cpu_s, **(extra[0] if extra else {})}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
