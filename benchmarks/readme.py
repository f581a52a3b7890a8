"""README's performance section, generated from the committed benchmark results.

    python -m benchmarks readme            # rewrite the block in README.md
    python -m benchmarks readme --check    # exit 1 if the block is not what the results give

The block is everything between ``<!-- bench:start -->`` and ``<!-- bench:end -->`` in
README.md; the rest of the file is never touched. It is built only from
``benchmarks/results/*.json`` (no clock, no machine probing), so the same results always give
the same text and a test can check that README and results agree. Tables stay short: the
lowest level of each data set, and links to the full result files.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any

from benchmarks import harness
from benchmarks.harness import fmt_ratio, fmt_s
from benchmarks.suites.miners import (
    AUTO_TARGET,
    ITEMSETS,
    SEQUENTIAL,
    contender,
    fastest,
    label,
    seconds_of,
)

START = "<!-- bench:start -->"
END = "<!-- bench:end -->"
README = harness.ROOT / "README.md"
LINK = "benchmarks/results"
WIDTH = 95


def replace_block(text: str, block: str) -> str:
    """``text`` with the lines between the two markers replaced by ``block``.

    Raises ValueError unless each marker occurs exactly once, start before end.
    """
    starts, ends = text.count(START), text.count(END)
    if starts != 1 or ends != 1:
        raise ValueError(f"README must hold {START} and {END} once each (found {starts} and "
                         f"{ends})")
    head, rest = text.split(START)
    if END not in rest:
        raise ValueError(f"{END} comes before {START} in the README")
    _, tail = rest.split(END)
    return f"{head}{START}\n{block.strip()}\n{END}{tail}"


def _load(results: Path, name: str) -> dict[str, Any] | None:
    path = results / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _when(meta: dict[str, Any]) -> str:
    m = meta["machine"]
    return (f"{m['date']}, {m['cpu']} ({m['cores']} CPUs), load {m['load_average'].split(' / ')[0]}"
            f" at the start")


def _agrees(row: dict[str, Any], key: str) -> bool:
    """Whether a contender finished with the count it must have (or one nothing can check)."""
    summary = row["contenders"][key]["summary"]
    return summary["status"] == "ok" and summary.get("expected") in (None, summary["patterns"])


def _miners_lines(data: dict[str, Any]) -> list[str]:
    rows = data["rows"]
    lowest: dict[str, dict[str, Any]] = {}
    for row in rows:
        lowest[row["dataset"]] = row
    state = data["meta"].get("state", "complete")
    lines = [f"**Every miner beside the peers** ([{LINK}/miners.md]({LINK}/miners.md); "
             f"{_when(data['meta'])}"
             + ("" if state == "complete" else f"; **{state}**")
             + "). Each data set's lowest level; warm seconds, one thread, "
             "medians of interleaved rounds; SPMF figures are reference values from the "
             "shared README, not measured here.", "",
             "| data set | patterns | seqmine auto s (picks) | fastest other seqmine miner "
             "| SPMF own s (ref) | fastest peer (÷ auto) | closed s / CM-ClaSP s "
             "| maximal s / VMSP s "
             "| itemsets: fastest seqmine / mlxtend |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, row in lowest.items():
        auto = seconds_of(row, contender("seqmine", "auto"))
        chosen = (row["contenders"].get(contender("seqmine", "auto"), {})
                  .get("summary", {}).get("chosen", ""))
        best_name, best = fastest(row, tuple(m for m in SEQUENTIAL if m != "auto"))
        peers = [(seconds_of(row, key), label(key)) for key in row["contenders"]
                 if key.startswith("peer:") and key != contender("peer", "mlxtend")
                 and _agrees(row, key)]
        peer = min(peers) if peers else None
        item_name, item_best = fastest(row, ITEMSETS)
        mlx = seconds_of(row, contender("peer", "mlxtend"))
        lines.append(
            f"| {name} {row['percent']}% | {row['reference']:,} | {fmt_s(auto)} ({chosen}) | "
            f"{fmt_s(best)}" + (f" {best_name}" if best_name else "")
            + f" | {fmt_s(row['spmf_own_s'])} | "
            + (f"{peer[1]} {fmt_s(peer[0])} ({fmt_ratio(peer[0], auto)})" if peer else "none")
            + f" | {fmt_s(seconds_of(row, contender('seqmine', 'closed')))} / "
            f"{fmt_s(row['closed_ref_s'])} | "
            f"{fmt_s(seconds_of(row, contender('seqmine', 'maximal')))} / "
            f"{fmt_s(row['maximal_ref_s'])} | {fmt_s(item_best)}"
            + (f" {item_name}" if item_name else "") + " / "
            f"{fmt_s(mlx) if mlx is not None else 'n/a'} |")
    counts = []
    for field in ("seconds", "cpu_s"):
        pairs = [(seconds_of(r, contender("seqmine", "auto"), field),
                  fastest(r, tuple(m for m in SEQUENTIAL if m != "auto"), field)[1])
                 for r in rows]
        scored = [(a, b) for a, b in pairs if a is not None and b is not None]
        counts.append(f"{sum(1 for a, b in scored if a <= AUTO_TARGET * b)} of {len(scored)}")
    lines += ["", f"auto was within {AUTO_TARGET}x of the fastest other seqmine miner at "
              f"{counts[0]} levels in wall time and {counts[1]} in CPU time (the full file has "
              "every level, every peer, memory and first-call compile times)."]
    if data["meta"]["failures"]:
        lines += ["", f"**That run reported {len(data['meta']['failures'])} count problem(s)**"
                  " (see the file)."]
    return lines


def _power(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _scaling_lines(data: dict[str, Any]) -> list[str]:
    fit, meta = data["slopes"], data["meta"]
    done = [p for p in data["sizes"] if p["status"] == "ok"]
    lines = [f"**Scaling** ([{LINK}/scaling.md]({LINK}/scaling.md); {_when(meta)}): synthetic "
             f"data at minsup {meta['minsup']}; from 100,000 events up, mining time grows as "
             f"events^{_power(fit.get('time_large_n1'))} with one thread and events^"
             f"{_power(fit.get('time_large_n2'))} with two (log-log fit; 1.0 is linear), "
             f"memory as events^{_power(fit.get('memory_large_n1'))}."]
    if done:
        top = done[-1]["summary"]
        lines[-1] += (f" At {done[-1]['events']:,} events: {fmt_s(top['1']['wall_s'])} s with "
                      f"one thread, {fmt_s(top['2']['wall_s'])} s with two, "
                      f"{top['1']['growth_mib']:.0f} MiB above the database.")
    return lines


def _rules_lines(data: dict[str, Any]) -> list[str]:
    rows = [r for r in data["rows"] if r["status"] == "ok"]
    lines = [f"**Rule recommender serving** ([{LINK}/rules.md]({LINK}/rules.md); "
             f"{_when(data['meta'])}): CPU time of one `recommend(history, k=10)` over the "
             "whole catalogue, and batch throughput of `score`.", ""]
    if not rows:
        return [*lines, "No data set ran."]
    return lines + ["| data set | rules | p50 / p99 ms | histories/s (batch) |",
                    "|---|---:|---:|---:|"] + [
        f"| {r['dataset']} | {r['rules']:,} | {r['cpu_p50_ms']:.2f} / {r['cpu_p99_ms']:.2f} | "
        f"{r['batch_histories_per_s']:,.0f} |" for r in rows]


def _neural_lines(data: dict[str, Any]) -> list[str]:
    rows = [r for r in data["rows"] if r["summary"]["status"] == "ok"]
    text = "; ".join(f"{r['model']} ({r['loss']}, {r['device']}) "
                     f"{r['summary']['sequences_per_s']:,.0f} windows/s" for r in rows)
    hardware = rows[0]["summary"]["hardware"] if rows else "n/a"
    return [f"**Neural training throughput** ([{LINK}/neural.md]({LINK}/neural.md); "
            f"{data['meta']['source']}, {hardware}): {text or 'no configuration ran'}."]


SECTIONS = (("miners", _miners_lines), ("scaling", _scaling_lines), ("rules", _rules_lines),
            ("neural", _neural_lines))


def render_block(results: Path = harness.RESULTS) -> str:
    """The block's Markdown from the result files present in ``results``."""
    lines = ["<!-- generated by `python -m benchmarks readme` from benchmarks/results/*.json; "
             "edit benchmarks/readme.py, not this block -->", "",
             "`python -m benchmarks run mining|miners|scaling|rules|neural|all [--quick]` runs "
             "the suites ([benchmarks/README.md](benchmarks/README.md) says what each measures "
             "and how to read it). The machine these ran on has 2 cores shared with other "
             "work, so wall times are noisy; every result file records the machine and its "
             "load.", ""]
    for name, section in SECTIONS:
        data = _load(results, name)
        if data is None:
            lines += [f"**{name}**: not run yet (`python -m benchmarks run {name}`).", ""]
        else:
            lines += [*section(data), ""]
    others = [f"[{name}]({LINK}/{name}.md)" for name in
              ("mining", "compile", "ingest", "distributed", "rules_eval", "ranking")
              if (results / f"{name}.md").is_file()]
    if others:
        lines.append("Other result files: " + ", ".join(others) + ".")
    return "\n".join(_wrap(line) for line in lines)


def _wrap(line: str) -> str:
    """Prose lines wrapped at README's width; table rows and comments as they are."""
    if line.startswith(("|", "<!--")) or len(line) <= WIDTH:
        return line
    return textwrap.fill(line, WIDTH, break_long_words=False, break_on_hyphens=False)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = README.read_text(encoding="utf-8")
    new = replace_block(text, render_block())
    if argv[:1] == ["--check"]:
        if new != text:
            print("README's benchmark block is not what benchmarks/results gives; run "
                  "`python -m benchmarks readme`", file=sys.stderr)
            return 1
        return 0
    if new != text:
        harness.write_text(README, new)
        print(f"rewrote the benchmark block of {README}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
