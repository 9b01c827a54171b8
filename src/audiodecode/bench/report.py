"""Rendering: aligned pipe tables, readable in a terminal and valid Markdown."""

from __future__ import annotations

import math
import textwrap
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


def format_speedup(value: float | None) -> str:
    """A speedup as the tables print it (``12.3x``); "-" when there is none.

    Examples
    --------
    >>> format_speedup(12.34), format_speedup(1.5), format_speedup(None)
    ('12.3x', '1.50x', '-')
    """
    if value is None:
        return "-"
    if value < 0.1:  # a warm cache's fraction of a cold load
        return f"{value:.2g}x"
    return f"{value:.1f}x" if value >= 10 else f"{value:.2f}x"


def _rate(value: float | None) -> str:
    return "native" if value is None else f"{value:g}"


def _hz(value: float) -> str:
    return f"{value / 1000:g} kHz"


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 600 else f"{value / 60:.1f} min"


#: How to get a loader that is not installed.
INSTALL_HINTS = {
    "librosa": "pip install 'audiodecode[bench]'",
    "pedalboard": "pip install 'audiodecode[bench]'",
    "torchcodec": "pip install torchcodec",
}
#: audioread's backends as the parity cells name them (the notes say them in full).
_SHORT_ROUTES = {
    "the ffmpeg command-line tool": "ffmpeg CLI",
    "Python's wave/aifc modules": "wave module",
}


def _short_route(route: str) -> str:
    for long, short in _SHORT_ROUTES.items():
        route = route.replace(long, short)
    return route


def _parity_text(parity: Parity | None) -> str:
    if parity is None:
        return ""
    text = f"{parity.identical}/{parity.files} identical"
    if parity.identical < parity.files:
        if parity.length_mismatches:
            text += f", {parity.length_mismatches} of another length"
        if parity.max_abs_diff is not None:
            text += f", max abs diff {parity.max_abs_diff:.2g}"
        if parity.min_correlation is not None and parity.min_correlation < 0.9999:
            text += f", correlation {parity.min_correlation:.4f}"
    return text


def loader_labels(report: Report) -> dict[str, str]:
    """Loader name -> how the tables name it, with its version (``librosa 0.11.0``)."""
    return {s.name: s.label for s in report.loaders} | {
        name: name.replace("_", " ") for name in LOADER_NAMES
        if name not in {s.name for s in report.loaders}
    }


def _files_line(group: GroupResult) -> str:
    rates = "/".join(_hz(r) for r in group.sample_rates) or "rate unknown"
    durations = group.durations or [group.audio_seconds / max(group.files, 1)] * group.files
    if group.files == 1:
        return f"1 file, {rates}, {_seconds(durations[0])}"
    shortest, longest = min(durations), max(durations)
    each = (_seconds(shortest) if f"{shortest:.1f}" == f"{longest:.1f}"
            else f"{shortest:.1f}-{_seconds(longest)}")
    return (f"{group.files} files, {rates}, {each} each "
            f"({_seconds(group.audio_seconds)} in all)")


def _output_line(sr: float | None, mono: bool) -> str:
    channels = ("mono (the channels averaged, as librosa.to_mono)" if mono
                else "every channel kept (--stereo)")
    rate = ("at each file's own rate (no resampling)" if sr is None
            else f"resampled to {_hz(sr)} (soxr_hq)")
    return f"float32, {channels}, {rate}"


#: Where PyAV's av.open costs more than decoding (measured: 40-75 ms against under 5 ms
#: of decoding for a 2.4 s WAV clip; FLAC opens in under 1 ms).
_PCM_CONTAINERS = ("WAV", "W64", "AIFF")
_PYAV_PROBING = (
    "pyav: av.open probes the stream before decoding (avformat_find_stream_info, bounded by "
    "FFmpeg's 5 MB probesize); on PCM files that probing, not decoding, is most of PyAV's "
    "time, so this speedup measures per-file set-up, not decoders.")


def format_group(group: GroupResult, labels: dict[str, str], has_librosa: bool, *,
                 no_reference: str = "not checked: librosa not installed") -> str:
    """One group's block: what the files are, what every loader outputs, then a row per
    loader (ms per file, speedup, parity with librosa) and the footnotes of its cells.

    The heading is the files' format as their headers say (container, codec, channels); the
    ``output:`` line is what every loader returns for them (``sr``, ``mono``).
    """
    notes: list[str] = []

    def footnote(text: str) -> str:
        if text not in notes:
            notes.append(text)
        return f"[{notes.index(text) + 1}]"

    route = _short_route(group.librosa_route)
    librosa_label = labels.get("librosa", "librosa")
    rows = []
    for name, result in group.loaders.items():
        label = labels.get(name, name)
        cells: list[str] = []
        if result.files_read == 0:
            timing, speedup = "cannot read", ""
            cells.append(f"error {footnote(f'{label}: {result.error}')}")
        else:
            timing, speedup = _ms(result.median_ms), format_speedup(result.speedup)
            if name == "librosa":
                cells.append(f"the reference, via {route}" if route else "the reference")
            elif not has_librosa:
                cells.append(no_reference)
            elif result.parity is None:
                cells.append("librosa cannot read these files")
            elif route:
                cells.append(f"vs {librosa_label} via {route}: {_parity_text(result.parity)}")
            else:
                cells.append(_parity_text(result.parity))
            if result.files_failed:
                failed = f"{label}, on {result.files_failed} file(s): {result.error}"
                cells.append(f"failed on {result.files_failed} {footnote(failed)}")
            if name == "pyav" and group.name.startswith(_PCM_CONTAINERS):
                cells.append(f"mostly set-up {footnote(_PYAV_PROBING)}")
        if name == "audiodecode_cached" and result.speedup:
            cells.append(f"{format_speedup(1 / result.speedup)} faster than decoding")
        if result.warning:
            cells.append(f"warns {footnote(f'{label} warns: {result.warning}')}")
        rows.append([label, timing, speedup, "; ".join(cells)])
    body = table(["loader", "ms per file", "audiodecode speedup", "parity with librosa.load"],
                 rows, right=(1, 2))
    lines = [group.name, f"  files:  {_files_line(group)}",
             f"  output: {_output_line(group.sr, group.mono)}", "", body]
    if notes:
        lines += ["", *(f"[{k}] {text}" for k, text in enumerate(notes, 1))]
    return "\n".join(lines)


class _Footnotes:
    """Numbered notes under a table, so that no cell is ever cut short."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def mark(self, text: str) -> str:
        if text not in self.texts:
            self.texts.append(text)
        return f"[{self.texts.index(text) + 1}]"

    def lines(self) -> list[str]:
        return ["", *(f"[{k}] {t}" for k, t in enumerate(self.texts, 1))] if self.texts else []


def format_cold_start(cold: ColdStartResult, labels: dict[str, str]) -> str:
    """The cold-start table: a fresh process importing a loader and loading one file."""
    notes = _Footnotes()
    rows = [["python (nothing imported)", _ms(cold.interpreter_ms), "", ""]]
    for name, row in cold.loaders.items():
        label = labels.get(name, name)
        failed = bool(row["error"])
        rows.append([label, _ms(row["median_ms"]) if not failed else "failed",
                     format_speedup(row["speedup"]),
                     notes.mark(f"{label}: {row['error']}") if failed else ""])
    title = (f"Cold start: a fresh `python -c \"import X; load one file\"`, median of "
             f"{cold.repeats}; {Path(cold.path).name}, sr={_rate(cold.sr)}")
    body = table(["process", "ms", "audiodecode speedup", "error"], rows, right=(1, 2))
    return "\n".join([title, "", body, *notes.lines()])


def format_memory(memory: MemoryResult, labels: dict[str, str]) -> str:
    """The peak-memory table: one load in a fresh process, per setting."""
    notes = _Footnotes()
    headers = ["loader"]
    for row in memory.rows:
        setting = f"sr={_rate(row['sr'])} {'mono' if row['mono'] else 'stereo'}"
        headers += [f"{setting}: MiB", "x output"]
    names = [n for n in LOADER_NAMES if any(n in row["loaders"] for row in memory.rows)]
    rows = []
    for name in names:
        label = labels.get(name, name)
        cells = [label]
        for row in memory.rows:
            figures = row["loaders"].get(name)
            if figures is None:
                cells += ["-", "-"]
            elif "error" in figures:
                cells += ["failed", notes.mark(f"{label}: {figures['error']}")]
            else:
                ratio = figures["ratio_to_output"]
                cells += [f"{figures['peak_above_baseline_mib']:.1f}",
                          "-" if ratio is None else f"{ratio:.2f}"]
        rows.append(cells)
    outputs = ", ".join(f"{row['output_mib']:.1f} MiB at sr={_rate(row['sr'])}"
                        for row in memory.rows if row["output_mib"] is not None)
    title = (f"Peak memory above the process's own baseline, one load of "
             f"{Path(memory.path).name} ({memory.seconds:.0f} s); output array {outputs}")
    body = table(headers, rows, right=range(1, len(headers)))
    return "\n".join([title, "", body, *notes.lines()])


#: What each loader does, for the notes under the tables (only those in the report).
_LOADER_NOTES = {
    "audiodecode": "audiodecode.load(path, sr=..., mono=...).",
    "audiodecode_cached": (
        "audiodecode.load with its decode cache (--cache): the same array read back from a "
        "warm cache folder instead of decoded."),
    "librosa": "librosa.load(path, sr=..., mono=...) itself: the reference for parity.",
    "soundfile": "soundfile.read (libsndfile, the decoder librosa.load uses), then the "
                 "common steps.",
    "pyav": (
        "a plain av.open / container.decode(audio=0) / frame.to_ndarray loop, as PyAV's "
        "documentation shows, then the common steps (on WAV, av.open's probing is most of "
        "its time: see the note under those tables)."),
    "pedalboard": "pedalboard.io.AudioFile(path).read(frames) (JUCE's decoders), then the "
                  "common steps.",
    "torchcodec": "torchcodec.decoders.AudioDecoder(path).get_all_samples(), then the common "
                  "steps.",
    "numpy_floor": (
        "not a library but a yardstick: about 30 lines of numpy that find a plain PCM or "
        "float WAV's data chunk, read it into an array and scale it, with no checks and no "
        "fallbacks: the least any WAV reader must do. It runs on plain 16/32-bit PCM and "
        "32-bit float WAV only."),
}


def format_notes(report: Report) -> str:
    """How the figures were made and what each loader does: said once, under the tables."""
    iterations = report.settings["iterations"]
    names = [n for n in LOADER_NAMES if any(n in g.loaders for g in report.groups)]
    lines = [
        "How to read these tables",
        (f"- ms per file: the median over a table's files of each file's median over "
        f"{iterations} timed load(s), after one untimed warm-up load; the loaders take turns, "
        f"a table's files at a time, in a rotating order, so machine noise hits all alike."),
        ("- audiodecode speedup: that loader's time / audiodecode's (above 1x, audiodecode "
        "is faster)."),
        ("- The same work for every loader: decode to float32, average the channels as "
        "librosa.to_mono (unless --stereo), resample with soxr_hq where --sr differs from the "
        "file's rate (pedalboard too: its own resampler is another filter), and fix the "
        "length as librosa.resample does."),
        ("- parity: each loader's array from the warm-up load, compared with librosa.load's "
        "byte for byte (tobytes), with its dtype, shape and rate; where they differ, the "
        "largest absolute difference."),
        *(f"- {n.replace('_', ' ')}: {_LOADER_NOTES[n]}" for n in names if n in _LOADER_NOTES),
    ]
    routes = sorted({g.librosa_route for g in report.groups if g.librosa_route})
    if routes:
        lines.append(
            f"- librosa via {', '.join(routes)}: librosa 0.x hands the files libsndfile cannot "
            "open to audioread. Its ffmpeg command-line backend returns 16-bit samples, so "
            "that array is rounded to steps of 1/32768: differences up to 1.5e-05 (half a "
            "step) are that rounding. audiodecode decodes these files in-process with FFmpeg "
            "(PyAV) in float; librosa 1.x, without audioread, cannot read them.")
    # Wrapped for a terminal; each note stays one Markdown list item.
    return "\n".join(textwrap.fill(line, 100, subsequent_indent="  ") for line in lines)


def format_report(report: Report) -> str:
    """The whole report as text: settings, one table per group, cold start, memory, notes and
    problems."""
    labels = loader_labels(report)
    available = {s.name for s in report.loaders if s.available}
    machine = report.machine
    lines = [
        (f"audiodecode {report.settings['audiodecode']} benchmark on {machine['cpu']} "
         f"({machine['cores']} cores), Python {machine['python']}, "
         f"{report.settings['iterations']} timed iteration(s) after a warm-up"),
        "compared: " + ", ".join(labels[s.name] for s in report.loaders if s.available),
    ]
    missing = [s for s in report.loaders if not s.available]
    if missing:
        lines.append("not compared: " + ", ".join(
            f"{s.name} ({s.reason}" + (f": {INSTALL_HINTS[s.name]})" if s.name in INSTALL_HINTS
                                       and s.reason == "not installed" else ")")
            for s in missing))
    librosa = next((s for s in report.loaders if s.name == "librosa"), None)
    no_reference = "not checked: librosa not installed"
    if librosa is None:  # installed or not, left out by --loaders
        no_reference = "not checked: librosa not among --loaders"
    elif not librosa.available:
        lines.append(f"parity is not checked without librosa: {INSTALL_HINTS['librosa']} "
                     f"installs it (with pedalboard, rich and matplotlib)")
    blocks = ["\n".join(lines)]
    blocks += [format_group(g, labels, "librosa" in available, no_reference=no_reference)
               for g in report.groups]
    if report.cold_start is not None:
        blocks.append(format_cold_start(report.cold_start, labels))
    if report.memory is not None:
        blocks.append(format_memory(report.memory, labels))
    if report.groups:
        blocks.append(format_notes(report))
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
    labels = loader_labels(report)
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
                cells.append(f"{_ms(result.median_ms)} ({format_speedup(result.speedup)})")
        parity = ours.parity if ours else None
        lib = g.loaders.get("librosa")
        via = f"vs librosa via {_short_route(g.librosa_route)}: " if g.librosa_route else ""
        cells.append(via + _parity_text(parity) if parity else
                     ("librosa cannot read" if lib is not None else "n/a"))
        rows.append(cells)
    return table(headers, rows, right=range(2, len(headers) - 1))
