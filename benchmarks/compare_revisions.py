"""audiodecode at two or more git revisions, timed in one interleaved run.

A refactor must not cost speed, and figures from different days (or machines, or librosa
releases) cannot show that: this script checks out each revision into a temporary worktree
and times ``audiodecode.load`` from each in turn, in fresh processes that alternate revision
by revision, so that machine drift falls on all of them alike. The files are made once, by
the current checkout's corpus writer:

* a 3 s 48 kHz mono 16-bit WAV, loaded at the native rate and at 16 kHz (a speech clip);
* three 6 s 44.1 kHz stereo files each of FLAC, Ogg Vorbis and M4A (AAC), at the native rate;
* with ``--batch``, ``load_batch`` over 300 speech clips on 1 worker and 2 threads, through
  each revision's own ``benchmarks/bench_batch.py --measure`` (best of 3 passes; with
  ``--first-pass``, one pass over clips the process has not decoded, as that script's option).

Each figure is the best of several passes inside a process; the table gives, per revision,
the range over the processes (``--rounds`` of them). Overlapping ranges mean "no difference
this run can see".

    python benchmarks/compare_revisions.py c716364 HEAD
    python benchmarks/compare_revisions.py 37616ca HEAD --batch --rounds 5
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Runs in each revision's interpreter: imports only what every revision has.
_LOAD_TIMER = r"""
import json, sys, time
import audiodecode

cases = json.loads(sys.argv[1])
results = {}
for name, paths, sr, loads in cases:
    for path in paths:
        audiodecode.load(path, sr=sr)
    best = float("inf")
    for _ in range(7):
        start = time.perf_counter()
        for _ in range(loads):
            for path in paths:
                audiodecode.load(path, sr=sr)
        best = min(best, (time.perf_counter() - start) / (loads * len(paths)))
    results[name] = best
print(json.dumps(results))
"""


def _make_files(folder: Path) -> list[tuple[str, list[str], int | None, int]]:
    sys.path.insert(0, str(ROOT / "src"))
    from audiodecode.bench import synth

    speech = str(synth.write(folder / "speech.wav", "wav_pcm16", sample_rate=48000,
                               channels=1, seconds=3.0))
    cases: list[tuple[str, list[str], int | None, int]] = [
        ("WAV 3 s mono, native", [speech], None, 400),
        ("WAV 3 s mono, to 16 kHz", [speech], 16000, 40),
    ]
    for label, kind, extension in (("FLAC", "flac_16", "flac"), ("Vorbis", "ogg_vorbis", "ogg"),
                                   ("M4A (AAC)", "m4a_aac", "m4a")):
        paths = [str(synth.write(folder / f"{kind}_{i}.{extension}", kind, sample_rate=44100,
                                   channels=2, seconds=6.0, seed=i)) for i in range(3)]
        cases.append((f"{label} 6 s stereo, native", paths, None, 3))
    return cases


def _speech_folder(folder: Path, n_files: int) -> Path:
    sys.path.insert(0, str(ROOT / "examples" / "speech_emotion"))
    from ravdess import make_ravdess_folder

    make_ravdess_folder(folder / "clips", n_files=n_files)
    paths = sorted(str(p) for p in (folder / "clips").glob("*.wav"))[:n_files]
    paths_file = folder / "paths.txt"
    paths_file.write_text("\n".join(paths))
    return paths_file


def _run(source: Path, *args: str) -> str:
    # Only this revision's package is importable: no editable install of another one.
    env = {"PYTHONPATH": str(source / "src"), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    done = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        msg = f"{source}: {' '.join(args[:2])} failed:\n{done.stderr}"
        raise RuntimeError(msg)
    return done.stdout.strip().splitlines()[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revisions", nargs="+", help="git revisions (HEAD: the committed tree)")
    parser.add_argument("--rounds", type=int, default=4, help="processes per revision")
    parser.add_argument("--batch", action="store_true", help="also time load_batch")
    parser.add_argument("--first-pass", action="store_true",
                        help="time load_batch's first pass over new clips (with --batch)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        trees = {}
        for revision in args.revisions:
            tree = scratch / f"tree-{len(trees)}"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach",
                            str(tree), revision], check=True)
            trees[revision] = tree
        try:
            cases = _make_files(scratch)
            # bench_batch --first-pass warms up on 16 clips beyond the 300 it times.
            n_clips = 300 + (16 if args.first_pass else 0)
            paths_file = _speech_folder(scratch, n_clips) if args.batch else None
            figures: dict[tuple[str, str], list[float]] = {}
            order = list(trees.items())
            for round_index in range(args.rounds):
                for revision, tree in order if round_index % 2 == 0 else order[::-1]:
                    times = json.loads(_run(tree, "-c", _LOAD_TIMER, json.dumps(cases)))
                    for name, seconds in times.items():
                        figures.setdefault((name, revision), []).append(seconds * 1e6)
                    if paths_file is None:
                        continue
                    script = str(tree / "benchmarks" / "bench_batch.py")
                    for method in ("load_batch, 1 worker", "load_batch, 2 threads"):
                        for sr in (0, 16000):
                            out = _run(tree, script, "--measure", method, "--paths-file",
                                       str(paths_file), "--sr", str(sr), "--repeats", "3",
                                       *(["--first-pass"] if args.first_pass else []))
                            label = f"{method}, {'16 kHz' if sr else 'native'} (files/s)"
                            figures.setdefault((label, revision), []).append(
                                json.loads(out)["files_per_s"])
        finally:
            for tree in trees.values():
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                str(tree)], check=False)

    names = list(dict.fromkeys(name for name, _ in figures))
    print("| measurement | " + " | ".join(f"`{r}`" for r in args.revisions) + " |")
    print("|---|" + "---:|" * len(args.revisions))
    for name in names:
        unit = "" if "files/s" in name else " µs"
        cells = []
        for revision in args.revisions:
            values = figures[name, revision]
            cells.append(f"{min(values):,.1f}-{max(values):,.1f}{unit}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print()
    print("Command: `python benchmarks/compare_revisions.py "
          + " ".join(argv if argv is not None else sys.argv[1:]) + "`")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
