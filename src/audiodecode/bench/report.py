"""Rendering: aligned pipe tables, readable in a terminal and valid Markdown."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from .loaders import LOADER_NAMES

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .results import ColdStartResult, GroupResult, MemoryResult, Parity, Report


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    """An aligned pipe table (valid Markdown); columns whose index is in ``right`` align right.

    Examples
    --------
    >>> print(table(["loader", "ms"], [["audiodecode", "0.21"]], right=[1]))
    | loader      |   ms |
    |-------------|-----:|
    | audiodecode | 0.21 |
    """
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        padded = [c.rjust(w) if i in right else c.ljust(w)
                  for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if i in right else "-" * (w + 2)
                          for i, w in enumerate(widths)) + "|"
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def _ms(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if value >= 0.1 else f"{value:.3f}"


def _times(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 0.1:  # a warm cache's fraction of a cold load
        return f"{value:.2g}x"
    return f"{value:.1f}x" if value >= 10 else f"{value:.2f}x"


def _rate(value: float | None) -> str:
    return "native" if value is None else f"{value:g}"


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _parity_text(parity: Parity | None) -> str:
    if parity is None:
        return ""
    text = f"{parity.identical}/{parity.files} identical"
    if parity.identical < parity.files:
        if parity.length_mismatches:
            text += f", {parity.length_mismatches} of other length"
        if parity.max_abs_diff is not None:
            text += f", max abs diff {parity.max_abs_diff:.2g}"
        if parity.min_correlation is not None:
            text += f", r >= {parity.min_correlation:.6f}"
    return text


def _labels(report: Report) -> dict[str, str]:
    return {s.name: s.label for s in report.loaders} | {
        name: name.replace("_", " ") for name in LOADER_NAMES
        if name not in {s.name for s in report.loaders}
    }


def format_group(group: GroupResult, labels: dict[str, str], has_librosa: bool) -> str:
    """One group's table: a row per loader, ms per file, speedup, parity against librosa."""
    rates = "/".join(f"{r / 1000:g} kHz" for r in group.sample_rates)
    title = (f"{group.name}, {rates}: {group.files} file{'s' * (group.files != 1)}, "
             f"{group.audio_seconds / max(group.files, 1):.1f} s each on average "
             f"(sr={_rate(group.sr)}, {'mono' if group.mono else 'channels kept'})")
    rows = []
    for name, result in group.loaders.items():
        if result.files_read == 0:
            timing, speedup = "cannot read", ""
            note = _short(result.error)
        else:
            timing, speedup = _ms(result.median_ms), _times(result.speedup)
            if name == "librosa":
                note = "the reference"
            elif not has_librosa:
                note = "librosa not installed"
            elif result.parity is None:
                note = "librosa cannot read"
            else:
                note = _parity_text(result.parity)
            if result.files_failed:
                note += f"; failed on {result.files_failed}: {_short(result.error, 40)}"
        if name == "audiodecode_cached" and result.speedup:
            note += f"; {_times(1 / result.speedup)} faster than decoding"
        if result.warning:
            note += f"; warns: {_short(result.warning, 50)}"
        rows.append([labels.get(name, name), timing, speedup, note.strip("; ")])
    body = table(["loader", "ms per file", "audiodecode speedup", "parity vs librosa"],
                 rows, right=(1, 2))
    return f"{title}\n\n{body}"


def format_cold_start(cold: ColdStartResult, labels: dict[str, str]) -> str:
    rows = [["python (nothing imported)", _ms(cold.interpreter_ms), "", ""]]
    for name, row in cold.loaders.items():
        rows.append([labels.get(name, name),
                     _ms(row["median_ms"]) if not row["error"] else "failed",
                     _times(row["speedup"]), _short(row["error"])])
    title = (f"Cold start: a fresh `python -c \"import X; load one file\"`, median of "
             f"{cold.repeats}; {Path(cold.path).name}, sr={_rate(cold.sr)}")
    body = table(["process", "ms", "audiodecode speedup", "error"], rows, right=(1, 2))
    return f"{title}\n\n{body}"


def format_memory(memory: MemoryResult, labels: dict[str, str]) -> str:
    headers = ["loader"]
    for row in memory.rows:
        setting = f"sr={_rate(row['sr'])} {'mono' if row['mono'] else 'stereo'}"
        headers += [f"{setting}: MiB", "x output"]
    names = [n for n in LOADER_NAMES if any(n in row["loaders"] for row in memory.rows)]
    rows = []
    for name in names:
        cells = [labels.get(name, name)]
        for row in memory.rows:
            figures = row["loaders"].get(name)
            if figures is None:
                cells += ["-", "-"]
            elif "error" in figures:
                cells += ["failed", _short(figures["error"], 30)]
            else:
                ratio = figures["ratio_to_output"]
                cells += [f"{figures['peak_above_baseline_mib']:.1f}",
                          "-" if ratio is None else f"{ratio:.2f}"]
        rows.append(cells)
    outputs = ", ".join(f"{row['output_mib']:.1f} MiB at sr={_rate(row['sr'])}"
                        for row in memory.rows if row["output_mib"] is not None)
    title = (f"Peak memory above the process's own baseline, one load of "
             f"{Path(memory.path).name} ({memory.seconds:.0f} s); output array {outputs}")
    return f"{title}\n\n{table(headers, rows, right=range(1, len(headers)))}"


def format_report(report: Report) -> str:
    """The whole report as text: settings, one table per group, cold start, memory, problems."""
    labels = _labels(report)
    available = {s.name for s in report.loaders if s.available}
    machine = report.machine
    lines = [
        (f"audiodecode {report.settings['audiodecode']} benchmark on {machine['cpu']} "
         f"({machine['cores']} cores), Python {machine['python']}, "
         f"{report.settings['iterations']} timed iteration(s) after a warm-up"),
        "compared: " + ", ".join(labels[s.name] for s in report.loaders if s.available),
    ]
    missing = [f"{s.name} ({s.reason})" for s in report.loaders if not s.available]
    if missing:
        lines.append("not compared: " + ", ".join(missing))
    blocks = ["\n".join(lines)]
    blocks += [format_group(g, labels, "librosa" in available) for g in report.groups]
    if report.cold_start is not None:
        blocks.append(format_cold_start(report.cold_start, labels))
    if report.memory is not None:
        blocks.append(format_memory(report.memory, labels))
    if report.unreadable:
        problems = [f"  {u['path']}: {u['error']}"
                    + (f" (readable by {', '.join(u['readable_by'])})" if u["readable_by"] else "")
                    for u in report.unreadable]
        blocks.append(f"audiodecode could not read {len(report.unreadable)} file(s):\n"
                      + "\n".join(problems))
    if report.skipped:
        blocks.append(f"skipped {len(report.skipped)} file(s) that are not audio, e.g. "
                      f"{report.skipped[0]['path']}")
    return "\n\n".join(blocks) + "\n"


def summary_table(report: Report) -> str:
    """All groups in one table: audiodecode's time, each peer's time and speedup, parity."""
    labels = _labels(report)
    names = [n for n in LOADER_NAMES if n != "audiodecode"
             and any(n in g.loaders for g in report.groups)]
    headers = ["group", "sr", "files", "audiodecode ms"]
    headers += [f"{labels.get(n, n)} ms (speedup)" for n in names]
    headers.append("parity vs librosa")
    rows = []
    for g in report.groups:
        ours = g.loaders.get("audiodecode")
        cells = [g.name, _rate(g.sr) + ("" if g.mono else ", channels kept"), str(g.files),
                 _ms(ours.median_ms if ours else None)]
        for name in names:
            result = g.loaders.get(name)
            if result is None:
                cells.append("n/a")
            elif result.files_read == 0:
                cells.append("cannot read")
            else:
                cells.append(f"{_ms(result.median_ms)} ({_times(result.speedup)})")
        parity = ours.parity if ours else None
        lib = g.loaders.get("librosa")
        cells.append(_parity_text(parity) if parity else
                     ("librosa cannot read" if lib is not None else "n/a"))
        rows.append(cells)
    return table(headers, rows, right=range(2, len(headers) - 1))
