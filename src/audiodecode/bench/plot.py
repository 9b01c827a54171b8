"""A bar chart of the speedups (needs matplotlib)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .loaders import LOADER_NAMES
from .report import _labels, _times

if TYPE_CHECKING:
    import os

    from .results import Report


def plot(report: Report, path: str | os.PathLike[str]) -> None:
    """Write a bar chart of audiodecode's speedup over each loader, per group.

    Raises
    ------
    ImportError
        matplotlib is not installed (``pip install 'audiodecode[plot]'``).
    """
    try:
        from matplotlib.figure import Figure
    except ImportError:
        msg = "--plot needs matplotlib: pip install 'audiodecode[plot]'"
        raise ImportError(msg) from None
    labels = _labels(report)
    names = [n for n in LOADER_NAMES if n != "audiodecode"
             and any(g.loaders.get(n) and g.loaders[n].speedup for g in report.groups)]
    # A Figure without pyplot: no GUI backend, no global state.
    figure = Figure(figsize=(max(6.0, 1.4 * len(report.groups) + 2), 4.5), layout="constrained")
    axes = figure.add_subplot()
    width = 0.8 / max(len(names), 1)
    positions = np.arange(len(report.groups))
    for k, name in enumerate(names):
        values = [g.loaders[name].speedup if name in g.loaders else None for g in report.groups]
        # Bars grow from 1x: up where audiodecode is faster, down where it is slower.
        bars = axes.bar(positions + (k - (len(names) - 1) / 2) * width,
                        [math.nan if v is None else v - 1 for v in values], width, bottom=1.0,
                        label=labels.get(name, name))
        axes.bar_label(bars, labels=["" if v is None else _times(v) for v in values], fontsize=7)
    # Speedups span 0.5x to 100x: a log axis keeps "2x slower" and "2x faster" equally tall.
    axes.set_yscale("log")
    axes.yaxis.set_major_formatter("{x:g}x")
    axes.axhline(1.0, color="black", linewidth=0.8)
    axes.set_xticks(positions, [g.name.replace(", ", "\n", 1) for g in report.groups],
                    fontsize=8)
    axes.set_ylabel("their time / audiodecode's (above 1: audiodecode is faster)")
    axes.set_title(f"audiodecode {report.settings['audiodecode']}: speedup over other loaders, "
                   f"median time per file")
    axes.legend(fontsize=8)
    figure.savefig(path, dpi=120)
