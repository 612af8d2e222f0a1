"""Bar charts as inline SVG, drawn by matplotlib (imported here only, when HTML is rendered).

SVG is matplotlib's own vector format: it scales and prints sharply, needs no image files or
network beside the report, and its text stays text. Every label drawn here is a number or a
fixed word: names that came from submissions are written in the HTML around a chart, never
inside it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

WIDTH_IN, HEIGHT_IN = 6.0, 2.2
BAR_COLOUR = "#3b6ea8"


def _pyplot() -> Any:
    """matplotlib's pyplot on the Agg backend (no display), text kept as SVG text."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update({"svg.fonttype": "none", "font.size": 9})
    from matplotlib import pyplot

    return pyplot


def bar_chart(
    counts: Sequence[int], labels: Sequence[str], *, xlabel: str, key: str, ylabel: str = "submissions"
) -> str:
    """One `<svg>` element: a bar per label, its count written above it. `key` makes its
    clip-path ids its own, so that charts in one page never clip by each other's."""
    pyplot = _pyplot()
    pyplot.rcParams["svg.hashsalt"] = key
    figure, axes = pyplot.subplots(figsize=(WIDTH_IN, HEIGHT_IN))
    try:
        positions = range(len(counts))
        bars = axes.bar(positions, counts, color=BAR_COLOUR, width=0.8)
        axes.bar_label(bars, labels=[str(c) if c else "" for c in counts], fontsize=8)
        axes.set_xticks(list(positions), list(labels), fontsize=7)
        axes.set_xlabel(xlabel)
        axes.set_ylabel(ylabel)
        axes.set_ylim(0, max(max(counts, default=0), 1) * 1.2)
        axes.spines[["top", "right"]].set_visible(False)
        figure.tight_layout()
        stream = io.StringIO()
        figure.savefig(stream, format="svg", metadata={"Date": None})
    finally:
        pyplot.close(figure)
    text = stream.getvalue()
    return text[text.index("<svg") :]


def bins_of(values: Sequence[float], maximum: float, count: int = 10) -> tuple[list[int], list[str]]:
    """Counts of `values` in `count` equal bins of 0..maximum (the maximum in the last), and
    each bin's label in points."""
    counts = [0] * count
    for value in values:
        share = value / maximum if maximum else 0.0
        counts[min(max(int(share * count), 0), count - 1)] += 1
    step = maximum / count if maximum else 0.0
    labels = [f"{_short(i * step)}–{_short((i + 1) * step)}" for i in range(count)]
    return counts, labels


def _short(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")
