"""A bar chart of the speedups (needs matplotlib)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .loaders import LOADER_NAMES
from .report import format_speedup, loader_labels

if TYPE_CHECKING:
    import os

    from matplotlib.figure import Figure

    from .results import Report


def plot(report: Report, path: str | os.PathLike[str]) -> None:
    """Write a bar chart of audiodecode's speedup over each loader, per group (a PNG, or any
    format matplotlib infers from ``path``).

    Raises
    ------
    ImportError
        matplotlib is not installed (``pip install 'audiodecode[plot]'``).
    """
    speedup_figure(report).savefig(path, dpi=120)


def speedup_figure(report: Report) -> Figure:
    """The chart :func:`plot` writes, as a matplotlib ``Figure`` (no pyplot state).

    One group of bars per table of the report, a bar per loader that ran on it, growing from
    1x on a log axis; a loader that ran but read nothing is an "x" marked "cannot read". Value
    labels stand upright on their bars and the legend sits under the axes, so neither can
    cover a bar or another label.

    Raises
    ------
    ImportError
        matplotlib is not installed (``pip install 'audiodecode[plot]'``).
    """
    try:
        from matplotlib.figure import Figure
        from matplotlib.patches import Rectangle
    except ImportError:
        msg = "--plot needs matplotlib: pip install 'audiodecode[plot]'"
        raise ImportError(msg) from None
    labels = loader_labels(report)
    groups = report.groups
    names = [n for n in LOADER_NAMES if n != "audiodecode" and any(n in g.loaders for g in groups)]
    colors = {name: f"C{k}" for k, name in enumerate(names)}
    # Each group gets slots for the loaders that ran on it only (the numpy floor runs on plain
    # WAV only), centred on its tick; a loader that ran but read nothing gets a marked slot.
    slots = max((sum(n in g.loaders for n in names) for g in groups), default=1) or 1
    width = 0.8 / slots
    speedups = [r.speedup for g in groups for r in g.loaders.values() if r.speedup]
    top = max(speedups, default=2.0)
    bottom = min(speedups, default=1.0)
    # A Figure without pyplot: no GUI backend, no global state.
    chart = Figure(figsize=(max(6.5, 1.25 * len(groups) + 2.5), 5.0), layout="constrained")
    axes = chart.add_subplot()
    # Speedups span 0.5x to 100x: a log axis keeps "2x slower" and "2x faster" equally tall.
    axes.set_yscale("log")
    # Head room above the tallest bar for its upright label, foot room below the lowest.
    axes.set_ylim(min(bottom, 1.0) / 2.5, max(top, 1.0) * 4.0)
    handles = {}
    for i, group in enumerate(groups):
        present = [n for n in names if n in group.loaders]
        for k, name in enumerate(present):
            x = i + (k - (len(present) - 1) / 2) * width
            result = group.loaders[name]
            if result.files_read == 0:
                axes.plot([x], [1.0], marker="x", markersize=7, color=colors[name])
                axes.text(x, 1.35, "cannot read", rotation=90, ha="center", va="bottom",
                          fontsize=7, color=colors[name])
                continue
            value = result.speedup
            if value is None:
                continue
            # Bars grow from 1x: up where audiodecode is faster, down where it is slower.
            handles[name] = axes.bar(x, value - 1.0, width * 0.92, bottom=1.0,
                                     color=colors[name])[0]
            # Upright labels a bar wide never collide with their neighbours.
            above = value >= 1.0
            axes.text(x, value * (1.08 if above else 1 / 1.08), format_speedup(value),
                      rotation=90, ha="center", va="bottom" if above else "top", fontsize=7)
    axes.yaxis.set_major_formatter("{x:g}x")
    axes.axhline(1.0, color="black", linewidth=0.8)
    axes.set_xticks(np.arange(len(groups)), [g.name.replace(", ", "\n", 1) for g in groups],
                    fontsize=8)
    axes.set_xlim(-0.6, len(groups) - 0.4)
    axes.set_ylabel("their time / audiodecode's (above 1x: audiodecode is faster)")
    chart.suptitle(f"audiodecode {report.settings['audiodecode']}: speedup over other "
                    f"loaders, median time per file", fontsize=10)
    # Outside the axes, under the group names: it can never hide a bar or a label.
    chart.legend([handles.get(n) or Rectangle((0, 0), 1, 1, color=colors[n]) for n in names],
                  [labels.get(n, n) for n in names], loc="outside lower center",
                  ncols=min(len(names), 6), fontsize=8, frameon=False)
    return chart
