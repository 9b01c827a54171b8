"""Draw docs/_static/benchmarks.png from BENCHMARKS.md's load-time table.

    python docs/_scripts/plot_benchmarks.py [--output docs/_static/benchmarks.png]

The figures are copied from the "Load time" table of BENCHMARKS.md (the run of 2026-12-04:
Python 3.12, librosa 1.0.1, 2-core AMD EPYC; median ms per file), not measured here: when the
table is re-run, copy its new figures into ``ROWS`` and run this again. Needs matplotlib
(``pip install 'audiodecode[plot]'``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

LOADERS = ("audiodecode", "librosa 1.0", "soundfile", "pedalboard")
COLOURS = ("#1f6feb", "#8b949e", "#d29922", "#8250df")

# group -> median ms per file for each of LOADERS; None where the loader cannot read the file.
ROWS: dict[str, tuple[float | None, ...]] = {
    "speech WAV 48 kHz mono, 2-3 s": (0.063, 0.32, 0.19, 0.12),
    "WAV 44.1 kHz stereo 6 s, to mono": (0.34, 3.92, 3.78, 0.65),
    "FLAC 44.1 kHz stereo 6 s": (4.24, 7.19, 7.05, 3.59),
    "MP3 44.1 kHz stereo 6 s": (4.31, 7.28, 7.12, 9.52),
    "Ogg Vorbis 44.1 kHz stereo 6 s": (8.04, 11.1, 10.9, 7.37),
    "M4A (AAC) 44.1 kHz stereo 6 s": (4.66, None, None, None),
    "WAV 10 min stereo, to mono": (33.8, 638, 388, 96.9),
}


def plot(output: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # a file, never a window
    import matplotlib.pyplot as plt

    groups = list(ROWS)
    height = 0.2
    figure, axes = plt.subplots(figsize=(9, 5.6), dpi=120)
    for index, (loader, colour) in enumerate(zip(LOADERS, COLOURS, strict=True)):
        for row, group in enumerate(groups):
            y = row + (index - 1.5) * height
            ms = ROWS[group][index]
            if ms is None:
                axes.text(0.04, y, "cannot read", va="center", fontsize=7, color=colour)
                continue
            axes.barh(y, ms, height=height, color=colour, label=loader if row == 0 else None)
            axes.text(ms * 1.08, y, f"{ms:g}", va="center", fontsize=7, color="#24292f")
    axes.set_xscale("log")
    axes.set_xlim(0.03, 3000)
    axes.set_yticks(range(len(groups)), groups)
    axes.invert_yaxis()
    axes.set_xlabel("median ms per file (log scale; shorter is faster)")
    axes.set_title(
        "Load time, librosa.load's work (float32, mono, native rate)\n"
        "2-core AMD EPYC, Python 3.12, librosa 1.0.1; every array librosa reads is identical to its own",
        fontsize=10,
    )
    axes.legend(loc="upper right", frameon=False)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    output.parent.mkdir(parents=True, exist_ok=True)
    # No timestamp in the file: the same figures give the same bytes.
    figure.savefig(output, metadata={"Software": None})
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parent.parent / "_static" / "benchmarks.png"
    parser.add_argument("--output", type=Path, default=default)
    plot(parser.parse_args().output)


if __name__ == "__main__":
    main()
