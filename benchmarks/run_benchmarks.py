"""Run the fixed benchmark suite and write BENCHMARKS.md.

The measuring is done by the engine of ``audiodecode bench`` (``audiodecode.bench``): this
script only fixes the corpus, the groups and their settings, and checks the figures against
the project's targets. Every ratio comes from one interleaved run.

Usage (from the repository root)::

    python benchmarks/run_benchmarks.py --write BENCHMARKS.md \\
        --legacy-python /path/to/python-with-librosa-0.11

``--legacy-python`` names an interpreter with librosa 0.11 (and audiodecode) installed; the
M4A group is run there too, to measure librosa 0.11's FFmpeg-subprocess fallback (audioread).
That figure needs an ``ffmpeg`` binary on PATH. Run on a quiet machine: the figures are
medians, but two busy cores still move them by tens of percent.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audiodecode import bench
from audiodecode.bench import synth

# ------------------------------------------------------------------------------------------
# The corpus: (key, files) for each kind of file, generated deterministically.

SPEECH_CLIPS = 20
SIX_SECOND_CLIPS = 8
LONG_SECONDS = 600.0
MANIFEST = "manifest.json"

# kind of file -> (corpus kind, sample rate, channels)
SIX_SECOND_KINDS = {
    "wav_stereo": ("wav_pcm16", 44100, 2),
    "flac": ("flac_16", 44100, 2),
    "mp3": ("mp3", 44100, 2),
    "ogg_vorbis": ("ogg_vorbis", 44100, 2),
    "ogg_opus": ("ogg_opus", 48000, 2),
    "m4a": ("m4a_aac", 44100, 2),
}


def make_corpus(folder: Path) -> dict[str, list[str]]:
    """Write the corpus into ``folder`` once; later runs (and the legacy run) reuse it."""
    manifest = folder / MANIFEST
    if manifest.exists():
        files: dict[str, list[str]] = json.loads(manifest.read_text())
        if all(Path(p).exists() for paths in files.values() for p in paths):
            return files
    folder.mkdir(parents=True, exist_ok=True)
    files = {"speech": []}
    for i in range(SPEECH_CLIPS):
        seconds = 2.0 + (i % 10) / 10  # 2.0 ... 2.9 s, like RAVDESS utterances
        data = synth.voiced(round(seconds * 48000), 1, sample_rate=48000, seed=i)
        path = folder / "speech" / f"speech_{i:02d}.wav"
        path.parent.mkdir(exist_ok=True)
        files["speech"].append(str(synth.write(path, "wav_pcm16", sample_rate=48000,
                                                 data=data)))
    for key, (kind, rate, channels) in SIX_SECOND_KINDS.items():
        sub = folder / key
        sub.mkdir(exist_ok=True)
        extension = synth.DEMO_KINDS[kind].extension
        files[key] = [
            str(synth.write(sub / f"{key}_{i}{extension}", kind, sample_rate=rate,
                              channels=channels, seconds=6.0, seed=i))
            for i in range(SIX_SECOND_CLIPS)
        ]
    long_path = folder / "long" / "ten_minutes.wav"
    long_path.parent.mkdir(exist_ok=True)
    synth.write(long_path, "wav_pcm16", sample_rate=44100, channels=2, seconds=LONG_SECONDS)
    files["long"] = [str(long_path)]
    manifest.write_text(json.dumps(files, indent=1))
    return files


# group key -> (title, files key, sr, mono)
GROUPS: dict[str, tuple[str, str, float | None, bool]] = {
    "speech": ("Speech WAV, 48 kHz mono 16-bit, 2-3 s", "speech", None, True),
    "speech_16k": ("Speech WAV, 48 kHz mono 16-bit, 2-3 s, to 16 kHz", "speech", 16000, True),
    "wav_stereo": ("WAV, 44.1 kHz stereo 16-bit, 6 s, to mono", "wav_stereo", None, True),
    "wav_stereo_kept": ("WAV, 44.1 kHz stereo 16-bit, 6 s, stereo out", "wav_stereo", None,
                        False),
    "flac": ("FLAC, 44.1 kHz stereo, 6 s", "flac", None, True),
    "mp3": ("MP3, 44.1 kHz stereo, 6 s", "mp3", None, True),
    "ogg_vorbis": ("Ogg Vorbis, 44.1 kHz stereo, 6 s", "ogg_vorbis", None, True),
    "ogg_opus": ("Ogg Opus, 48 kHz stereo, 6 s", "ogg_opus", None, True),
    "m4a": ("M4A (AAC-LC), 44.1 kHz stereo, 6 s", "m4a", None, True),
    "long": ("WAV, 44.1 kHz stereo 16-bit, 10 min, to mono", "long", None, True),
    "long_16k": ("WAV, 44.1 kHz stereo 16-bit, 10 min, to 16 kHz mono", "long", 16000, True),
}


# ------------------------------------------------------------------------------------------
# Targets: every one is a ratio read off one run.


@dataclass(frozen=True)
class Target:
    """``audiodecode`` against ``versus`` on ``group``.

    ``kind="faster"``: audiodecode's speedup (their time / ours) must be at least ``limit``
    (strictly more when ``strict``). ``kind="within"``: our time / theirs must be at most
    ``limit``.
    """

    text: str
    group: str
    versus: str
    kind: str
    limit: float
    strict: bool = False

    def check(self, speedup: float) -> tuple[str, bool]:
        if self.kind == "within":
            figure = 1 / speedup
            return f"{figure:.2f}x their time", figure <= self.limit
        met = speedup > self.limit if self.strict else speedup >= self.limit
        return f"{speedup:.2f}x faster", met


TARGETS = [
    Target("speech WAV, sr=None: >= 5x librosa", "speech", "librosa", "faster", 5.0),
    Target("speech WAV, sr=None: faster than pedalboard", "speech", "pedalboard", "faster", 1.0,
           strict=True),
    Target("speech WAV, sr=None: within 1.3x of the numpy floor", "speech", "numpy_floor",
           "within", 1.3),
    Target("44.1k stereo WAV, mono out: >= 5x librosa", "wav_stereo", "librosa", "faster", 5.0),
    Target("44.1k stereo WAV, mono out: faster than pedalboard", "wav_stereo", "pedalboard",
           "faster", 1.0, strict=True),
    Target("44.1k stereo WAV, stereo out: >= 5x librosa", "wav_stereo_kept", "librosa",
           "faster", 5.0),
    Target("44.1k stereo WAV, stereo out: faster than pedalboard", "wav_stereo_kept",
           "pedalboard", "faster", 1.0, strict=True),
    Target("FLAC: >= 1.5x librosa", "flac", "librosa", "faster", 1.5),
    Target("MP3: >= 1.2x librosa", "mp3", "librosa", "faster", 1.2),
    Target("MP3: never slower than soundfile read + downmix", "mp3", "soundfile", "faster", 1.0),
    Target("Ogg Vorbis: >= 1.2x librosa", "ogg_vorbis", "librosa", "faster", 1.2),
    Target("Ogg Vorbis: never slower than soundfile read + downmix", "ogg_vorbis", "soundfile",
           "faster", 1.0),
    Target("Ogg Opus: >= 1.2x librosa", "ogg_opus", "librosa", "faster", 1.2),
    Target("Ogg Opus: never slower than soundfile read + downmix", "ogg_opus", "soundfile",
           "faster", 1.0),
    Target("M4A (AAC): within 1.1x of a bare PyAV decode loop", "m4a", "pyav", "within", 1.1),
    Target("speech WAV, sr=16000: >= 2x librosa", "speech_16k", "librosa", "faster", 2.0),
    Target("10-min stereo WAV, sr=None mono: within 1.3x of the numpy floor", "long",
           "numpy_floor", "within", 1.3),
]


def check_targets(report: bench.Report, keys: dict[str, str],
                  legacy: dict[str, Any] | None) -> list[list[str]]:
    """One row per target: what, the figure, met or not."""
    rows = []
    librosa_version = next((s.version for s in report.loaders if s.name == "librosa"), "")
    by_title = {g.name: g for g in report.groups}
    for target in TARGETS:
        group = by_title.get(keys.get(target.group, ""))
        result = group.loaders.get(target.versus) if group else None
        if result is None or result.speedup is None:
            why = "not measured" if group is None else f"{target.versus} did not run"
            if result is not None and result.files_read == 0:
                why = f"not measured: {target.versus} cannot read it"
            elif group is not None and "audiodecode" in group.loaders and \
                    group.loaders["audiodecode"].files_read == 0:
                why = "not measured: audiodecode cannot read it"
            rows.append([target.text, why, "-"])
            continue
        figure, met = target.check(result.speedup)
        if target.versus == "librosa" and librosa_version:
            figure += f" (librosa {librosa_version})"
        rows.append([target.text, figure, "met" if met else "NOT MET"])
    rows.append(_fallback_row(report, keys, legacy))
    rows += _cold_start_rows(report, librosa_version)
    rows.append(_memory_row(report))
    return rows


def _fallback_row(report: bench.Report, keys: dict[str, str],
                  legacy: dict[str, Any] | None) -> list[str]:
    text = "M4A (AAC): >= 15x faster than librosa 0.11's ffmpeg subprocess fallback"
    if shutil.which("ffmpeg") is None:
        return [text, "not measured: ffmpeg not installed", "-"]
    here = report.to_dict()
    if here["loaders"].get("librosa", {}).get("version", "").startswith("0."):
        run = here  # this interpreter has librosa 0.x: the M4A group measured the fallback
    elif legacy is not None:
        run = legacy
    else:
        return [text, "not measured: pass --legacy-python (an interpreter with librosa 0.11)",
                "-"]
    version = run["loaders"]["librosa"]["version"]
    group = next((g for g in run["groups"] if g["name"] == keys["m4a"]), None)
    result = group["loaders"].get("librosa") if group else None
    if not result or result["speedup"] is None:
        return [text, f"not measured: librosa {version} did not read the M4A files", "-"]
    speedup = result["speedup"]
    return [text, f"{speedup:.1f}x faster (librosa {version}, in its own interleaved run)",
            "met" if speedup >= 15 else "NOT MET"]


def _cold_start_rows(report: bench.Report, librosa_version: str) -> list[list[str]]:
    cold = report.cold_start
    if cold is None:
        return [["cold start", "not measured", "-"]]
    rows = []
    lib = cold.loaders.get("librosa", {})
    text = "cold start: >= 4.5x faster than librosa 1.0"
    if lib.get("speedup"):
        figure = f"{lib['speedup']:.2f}x faster (librosa {librosa_version})"
        met = lib["speedup"] >= 4.5 if not librosa_version.startswith("0.") else None
        rows.append([text, figure, "-" if met is None else ("met" if met else "NOT MET")])
    else:
        rows.append([text, "not measured: " + (lib.get("error") or "librosa not installed"),
                     "-"])
    floor = cold.loaders.get("soundfile", {})
    text = "cold start: within ~1.15x of a numpy + soundfile process"
    if floor.get("speedup"):
        ratio = 1 / floor["speedup"]
        rows.append([text, f"{ratio:.2f}x its time", "met" if ratio <= 1.15 else "NOT MET"])
    else:
        rows.append([text, "not measured", "-"])
    return rows


def _memory_row(report: bench.Report) -> list[str]:
    text = "10-min WAV, sr=16000 mono: peak RSS above baseline <= 1.5x output + 20 MiB"
    memory = report.memory
    row = next((r for r in memory.rows if r["sr"] == 16000 and r["mono"]), None) if memory \
        else None
    ours = row["loaders"].get("audiodecode") if row else None
    if not ours or "error" in ours:
        return [text, "not measured", "-"]
    budget = 1.5 * ours["output_mib"] + 20
    figure = (f"{ours['peak_above_baseline_mib']:.1f} MiB, budget {budget:.1f} MiB "
              f"(output {ours['output_mib']:.1f} MiB)")
    return [text, figure, "met" if ours["peak_above_baseline_mib"] <= budget else "NOT MET"]


# ------------------------------------------------------------------------------------------
# BENCHMARKS.md


def render(report: bench.Report, targets: list[list[str]], command: str,
           legacy: dict[str, Any] | None, seconds: float) -> str:
    machine = report.machine
    versions = ", ".join(s.label for s in report.loaders if s.available)
    missing = ", ".join(s.name if s.reason == "not installed" else f"{s.name} ({s.reason})"
                        for s in report.loaders if not s.available)
    labels = {s.name: s.label for s in report.loaders}
    legacy_line = ""
    if legacy is not None:
        legacy_line = (f"\nThe librosa 0.11 fallback figure comes from the same script, M4A "
                       f"group only, under Python {legacy['machine']['python']} with "
                       f"{legacy['loaders']['librosa']['label']} (same corpus).\n")
    met = sum(row[2] == "met" for row in targets)
    missed = [row[0] for row in targets if row[2] == "NOT MET"]
    parts = [
        "# Benchmarks",
        "",
        ("Produced by `benchmarks/run_benchmarks.py`, which drives the engine of "
         "`audiodecode bench` over a fixed, generated corpus. Re-run it on a quiet machine "
         "before quoting a figure."),
        "",
        "```",
        command,
        "```",
        "",
        f"- Machine: {machine['cpu']}, {machine['cores']} cores, {machine['os']}",
        f"- Python {machine['python']}; numpy {machine['numpy']}, soxr {machine['soxr']}",
        f"- Loaders: {versions}" + (f"; not installed: {missing}" if missing else ""),
        (f"- {report.settings['iterations']} timed iterations per file and loader after one "
         f"warm-up, interleaved by passes (each loader in turn loads a whole group; the order "
         f"rotates per iteration and group); figures are the median over files of each file's "
         f"median; the run took {seconds:.0f} s."),
        legacy_line,
        "## How the comparison is kept fair",
        "",
        ("Every loader does the same work as `librosa.load`: decode to float32, average the "
         "channels (`np.mean` over the channel axis, as `librosa.to_mono`), resample with "
         "soxr `soxr_hq` when `sr` differs from the file's rate, fix the length as "
         "`librosa.resample` does. pedalboard has a resampler of its own "
         "(`AudioFile.resampled_to`), but it is another filter, so it gets soxr too: every "
         "column then measures the decoder. PyAV is a bare `av.open` / `decode(audio=0)` / "
         "`to_ndarray` / concatenate loop. The numpy floor reads a plain PCM WAV's data chunk "
         "into an array and scales it (summing the channels first when downmixing): the least "
         "any WAV reader must do. \"Parity\" compares each output with `librosa.load`'s."),
        "",
        "## Load time",
        "",
        ("Median milliseconds per file; in brackets, how many times faster audiodecode is "
         "(above 1: audiodecode is faster)."),
        "",
        bench.summary_table(report),
        "",
    ]
    if report.cold_start is not None:
        parts += ["## Cold start", "", bench.format_cold_start(report.cold_start, labels), ""]
    if report.memory is not None:
        parts += ["## Peak memory", "", bench.format_memory(report.memory, labels), "",
                  f"Method: {report.memory.method}.", ""]
    parts += [
        "## Targets",
        "",
        f"{met} of {len(targets)} met" + (f"; not met: {'; '.join(missed)}." if missed else "."),
        "",
        bench.table(["target", "figure", "status"], targets),
        "",
    ]
    if report.unreadable:
        parts += ["## Files audiodecode could not read", ""]
        parts += [f"- `{Path(u['path']).name}`: {u['error']}" for u in report.unreadable]
        parts.append("")
    return "\n".join(parts)


# ------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=7, help="timed loads per file")
    parser.add_argument("--cold-starts", type=int, default=7, help="fresh processes per loader")
    parser.add_argument("--corpus", type=Path, help="keep the generated corpus here (reused)")
    parser.add_argument("--only", nargs="+", choices=list(GROUPS), help="run these groups only")
    parser.add_argument("--no-children", action="store_true",
                        help="skip the cold-start and peak-memory child processes")
    parser.add_argument("--legacy-python", help="an interpreter with librosa 0.11, for the "
                        "M4A fallback figure")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--write", type=Path, help="write the Markdown report here")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="audiodecode-benchmarks-") as scratch:
        folder = args.corpus or Path(scratch)
        print(f"corpus: {folder}", file=sys.stderr)
        files = make_corpus(folder)
        keys = {key: title for key, (title, *_rest) in GROUPS.items()}
        selected = args.only or list(GROUPS)
        groups = [
            bench.Group.from_paths(GROUPS[key][0], files[GROUPS[key][1]], sr=GROUPS[key][2],
                                    mono=GROUPS[key][3])
            for key in selected
        ]
        children = not args.no_children
        started = time.perf_counter()
        loaders, statuses = bench.resolve_loaders()
        report = bench.benchmark(
            groups, loaders=loaders, statuses=statuses, iterations=args.iterations,
            cold_start=bench.ColdStartSpec(path=files["speech"][0], sr=None, mono=True,
                                            repeats=args.cold_starts) if children else None,
            memory=bench.MemorySpec(path=files["long"][0],
                                     settings=((16000, True), (None, True))) if children
            else None,
            progress=True,
        )
        seconds = time.perf_counter() - started
        legacy = None
        if args.legacy_python:
            legacy = _run_legacy(args.legacy_python, folder, args.iterations)

    if args.json:
        args.json.write_text(json.dumps({"report": report.to_dict(), "legacy": legacy},
                                        indent=1))
    print(bench.summary_table(report))
    targets = check_targets(report, keys, legacy)
    print()
    print(bench.table(["target", "figure", "status"], targets))
    if args.write:
        command = " ".join(["python", *sys.argv]) if argv is None else " ".join(argv)
        # Sections measured by other scripts (batch loading, the example) follow a marker and
        # are kept as they are.
        kept = ""
        if args.write.exists():
            old = args.write.read_text()
            if KEEP_MARKER in old:
                kept = "\n" + old[old.index(KEEP_MARKER):]
        args.write.write_text(render(report, targets, command, legacy, seconds) + kept)
        print(f"wrote {args.write}", file=sys.stderr)
    return 0


KEEP_MARKER = "<!-- measured by other scripts: kept when this report is rewritten -->"


def _run_legacy(python: str, folder: Path, iterations: int) -> dict[str, Any] | None:
    """Run the M4A group under another interpreter (librosa 0.11); its JSON report."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "legacy.json"
        done = subprocess.run(
            [python, __file__, "--only", "m4a", "--no-children", "--corpus", str(folder),
             "--iterations", str(iterations), "--json", str(out)],
            capture_output=True, text=True, check=False,
        )
        if done.returncode != 0:
            print(f"legacy run failed:\n{done.stderr}", file=sys.stderr)
            return None
        result: dict[str, Any] = json.loads(out.read_text())["report"]
        return result


if __name__ == "__main__":
    sys.exit(main())
