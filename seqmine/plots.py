"""Pictures of patterns and rules (matplotlib, imported only when a plot is drawn).

Every function draws on a new :class:`matplotlib.figure.Figure` (no pyplot state, so it
works headless and in threads), or on ``ax`` when given, saves a PNG when ``path`` is given
(written atomically) and returns the figure.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from seqmine.errors import InputError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from seqmine.data.database import SequenceDatabase
    from seqmine.patterns.patternset import PatternSet
    from seqmine.rules.ruleset import RuleSet

__all__ = [
    "format_pattern",
    "occurrences_over_time",
    "rule_scatter",
    "support_by_length",
    "top_patterns",
]


def _figure(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise InputError("plots need matplotlib: pip install 'seqmine[plot]'") from exc
    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.subplots()


def _save(fig: Figure, path: str | Path | None, dpi: int) -> Figure:
    if path is not None:
        from seqmine.io.atomic import atomic_path
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            fig.savefig(fh, format="png", dpi=dpi)
    return fig


def format_pattern(pattern: Any) -> str:
    """``((1,), (2, 3))`` -> ``"1 → {2 3}"`` (one-item itemsets without braces)."""
    parts = []
    for itemset in pattern:
        items = " ".join(str(v) for v in itemset)
        parts.append(items if len(itemset) == 1 else "{" + items + "}")
    return " → ".join(parts)


def support_by_length(patterns: PatternSet, *, path: str | Path | None = None,
                      ax: Axes | None = None, dpi: int = 120) -> Figure:
    """Support of the patterns of each length (box plot, log scale); each length's tick
    label gives its number of patterns."""
    if len(patterns) == 0:
        raise InputError("no patterns to plot")
    fig, ax = _figure(ax, (7, 4))
    length = patterns.length
    lengths = np.unique(length)
    data = [patterns.support[length == n] for n in lengths]
    ax.boxplot(data, positions=lengths, widths=0.6, medianprops={"color": "#c44e52"},
               flierprops={"markersize": 3, "alpha": 0.5})
    ax.set_yscale("log")
    _plain_numbers(ax.yaxis)
    ax.set_xticks(lengths, [f"{n}\n{len(d)} pattern{'s' if len(d) > 1 else ''}"
                            for n, d in zip(lengths, data, strict=False)])
    ax.set_xlabel("pattern length (items)")
    ax.set_ylabel("support (sequences)")
    ax.set_title(f"Support by length ({len(patterns)} patterns, min_count "
                 f"{patterns.min_count})", fontsize=10)
    return _save(fig, path, dpi)


def _plain_numbers(axis: Any) -> None:
    """Label a log axis 100, 200, 0.5 rather than 10^2, 2x10^2, 5x10^-1; of the minor
    ticks only the 2s and 5s, so labels do not crowd."""
    from matplotlib.ticker import FuncFormatter

    def minor(value: float, _pos: int) -> str:
        lead = value / 10 ** np.floor(np.log10(value)) if value > 0 else 0.0
        return f"{value:g}" if round(lead) in (2, 5) else ""

    axis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:g}"))
    axis.set_minor_formatter(FuncFormatter(minor))


def top_patterns(patterns: PatternSet, k: int = 20, *, path: str | Path | None = None,
                 ax: Axes | None = None, dpi: int = 120) -> Figure:
    """Horizontal bars of the ``k`` patterns of highest support (relative support on the
    axis, counts at the bar ends)."""
    if len(patterns) == 0:
        raise InputError("no patterns to plot")
    top = patterns.top(k)
    fig, ax = _figure(ax, (7, 0.3 * len(top) + 1.2))
    labels = [format_pattern(p) for p, _ in top]
    freq = top.support / max(top.n_sequences, 1)
    y = np.arange(len(top))[::-1]
    ax.barh(y, freq, color="#4c72b0")
    ax.set_yticks(y, labels, fontsize=8)
    for yy, f, s in zip(y, freq, top.support, strict=False):
        ax.annotate(str(int(s)), (f, yy), textcoords="offset points", xytext=(3, 0),
                    va="center", fontsize=7)
    ax.set_xlim(0, float(freq.max()) * 1.15)
    ax.set_xlabel("support (fraction of sequences)")
    ax.set_title(f"Top {len(top)} patterns by support", fontsize=10)
    return _save(fig, path, dpi)


def rule_scatter(rules: RuleSet, *, path: str | Path | None = None, ax: Axes | None = None,
                 max_points: int = 20000, dpi: int = 120) -> Figure:
    """Each rule at (support, confidence), coloured by lift (log colour scale); at most
    ``max_points`` rules, the most confident first."""
    if len(rules) == 0:
        raise InputError("no rules to plot")
    from matplotlib.colors import LogNorm
    shown = rules.top(max_points) if len(rules) > max_points else rules
    fig, ax = _figure(ax, (7, 5))
    lift = np.maximum(shown.lift, 1e-3)
    norm = LogNorm(vmin=float(lift.min()), vmax=max(float(lift.max()), float(lift.min()) * 1.01))
    points = ax.scatter(shown.support, shown.confidence, c=lift, cmap="viridis", norm=norm,
                        s=12, alpha=0.8, edgecolors="none")
    bar = fig.colorbar(points, ax=ax, label="lift")
    _plain_numbers(bar.ax.yaxis)
    ax.set_xscale("log")
    _plain_numbers(ax.xaxis)
    ax.set_xlabel(f"support ({rules.unit})")
    ax.set_ylabel("confidence")
    ax.set_title(f"{len(shown)} {rules.kind} rules", fontsize=10)
    return _save(fig, path, dpi)


def occurrences_over_time(db: SequenceDatabase, pattern: Any, *, bins: int = 50,
                          path: str | Path | None = None, ax: Axes | None = None,
                          dpi: int = 120, **window: Any) -> Figure:
    """Histogram of when ``pattern`` (original ids) occurs: the start time of every
    occurrence (:func:`seqmine.explore.occurrences`; ``window`` takes its gap options), in
    the database's time (dates when it has a time unit, else positions)."""
    from seqmine.explore import occurrences
    occ = occurrences(db, pattern, **window)
    if len(occ) == 0:
        raise InputError(f"pattern {pattern!r} does not occur in the database")
    fig, ax = _figure(ax, (8, 3.5))
    times = occ["start_time"]
    if db.time_unit:
        values = times.to_numpy().astype("datetime64[s]").astype(np.int64)
        counts, edges = np.histogram(values, bins=bins)
        starts = edges[:-1].astype("datetime64[s]")
        widths = np.diff(edges).astype("timedelta64[s]")
        ax.bar(starts, counts, width=widths, align="edge", color="#dd8452")
        fig.autofmt_xdate()
        ax.set_xlabel("time of the first matched event")
    else:
        ax.hist(np.asarray(times, dtype=np.float64), bins=bins, color="#dd8452")
        ax.set_xlabel("time / position of the first matched event")
    ax.set_ylabel("occurrences")
    label = format_pattern(tuple(tuple(e) if isinstance(e, (list, tuple, set, frozenset)) else (e,)
                      for e in (pattern if isinstance(pattern, (list, tuple)) else [pattern])))
    ax.set_title(f"{label}: {len(occ)} occurrences in {occ['sequence'].nunique()} sequences",
                 fontsize=10)
    return _save(fig, path, dpi)
