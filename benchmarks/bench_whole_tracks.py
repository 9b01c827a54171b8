"""Whole tracks (60-90 s, encoded the ordinary way): audiodecode vs librosa, from one run.

For each track of the parity suite's whole-track set (``tests/_whole_tracks.py``: VBR, CBR and
cover-art MP3, FLAC, Vorbis, Opus) and each ``sr``, both loaders run interleaved, ``--rounds``
times, after one warm-up; the table gives the medians, the ratio and whether the arrays are
identical. ``--memory`` adds the peak RSS above a fresh process's baseline for one load of the
VBR cover-art MP3 at 16 kHz, each loader in its own child process.

Usage (from the repository root)::

    python benchmarks/bench_whole_tracks.py --rounds 5 --memory
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import librosa
import numpy as np

import audiodecode

# The generator is the parity suite's, so the benchmark measures the very files it checks.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from _whole_tracks import TRACKS, write_tracks  # noqa: E402

# Linux: writing 5 to clear_refs resets the peak (VmHWM) to the current RSS, so the import's
# own peak does not hide the load's.
_PEAK_RSS = """
import sys
import numpy as np
import {module}

def kib(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1])

{module}.load(sys.argv[1], sr=16000)  # warm: first-call allocations are not the load's
open("/proc/self/clear_refs", "w").write("5")
base = kib("VmRSS:")
y, _ = {module}.load(sys.argv[1], sr=16000)
print((kib("VmHWM:") - base) / 1024, y.nbytes / 2**20)
"""


def time_once(function, path: Path, sr: int | None) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    y, _ = function(path, sr=sr)
    return time.perf_counter() - start, y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--memory", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        names = [name for name, track in TRACKS.items() if track.librosa_reads]
        paths = write_tracks(Path(folder), names)
        print(f"audiodecode {audiodecode.__version__}, librosa {librosa.__version__}, "
              f"Python {sys.version.split()[0]}; median of {args.rounds} interleaved rounds\n")
        print("| track | s | sr | librosa ms | audiodecode ms | speedup | identical |")
        print("|---|---:|---|---:|---:|---:|---|")
        for name in names:
            for sr in (None, 16000):
                times: dict[str, list[float]] = {"librosa": [], "audiodecode": []}
                arrays = {}
                for round_index in range(args.rounds + 1):
                    for label, function in (("librosa", librosa.load),
                                            ("audiodecode", audiodecode.load)):
                        seconds, arrays[label] = time_once(function, paths[name], sr)
                        if round_index:  # the first round warms up
                            times[label].append(seconds)
                ours = statistics.median(times["audiodecode"]) * 1e3
                theirs = statistics.median(times["librosa"]) * 1e3
                same = np.array_equal(arrays["librosa"], arrays["audiodecode"])
                print(f"| {name} | {TRACKS[name].seconds:.0f} | {sr or 'native'} | "
                      f"{theirs:.1f} | {ours:.1f} | {theirs / ours:.2f}x | {same} |")
        if args.memory:
            path = paths["mp3_vbr_44k_stereo_cover"]
            print("\nPeak RSS above baseline, one load of mp3_vbr_44k_stereo_cover at 16 kHz\n")
            print("| loader | MiB | output MiB |")
            print("|---|---:|---:|")
            for module in ("audiodecode", "librosa"):
                out = subprocess.run(
                    [sys.executable, "-c", _PEAK_RSS.format(module=module), str(path)],
                    capture_output=True, text=True, check=True,
                ).stdout.split()
                print(f"| {module} | {float(out[0]):.1f} | {float(out[1]):.1f} |")
        print("\n" + json.dumps({"command": " ".join(sys.argv)}))


if __name__ == "__main__":
    main()
