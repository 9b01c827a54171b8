"""Whole tracks (60-75 s): audiodecode vs librosa, from one run.

The tracks are written here, with the package's own generator (``audiodecode.bench.synth``,
libsndfile's encoders): MP3 (LAME, with an ID3v2 tag carrying 100 KB of cover art, as taggers
write it), 16-bit FLAC, Vorbis and Opus, stereo and mono. For each track and each ``sr``, both
loaders run interleaved, ``--rounds`` times, after one warm-up; the table gives the medians, the
ratio and whether the arrays are identical (their bytes). ``--memory`` adds the peak RSS above a
fresh process's baseline for one load of the cover-art MP3 at 16 kHz, each loader in its own
child process.

Usage (from the repository root)::

    python benchmarks/bench_whole_tracks.py --rounds 5 --memory
"""

from __future__ import annotations

import argparse
import json
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import librosa
import numpy as np

import audiodecode
from audiodecode.bench import synth

# name: (synth kind, sample rate, channels, seconds)
TRACKS = {
    "mp3_44k_stereo_cover": ("mp3", 44100, 2, 75.0),
    "mp3_48k_mono": ("mp3", 48000, 1, 66.0),
    "flac_44k_stereo": ("flac_16", 44100, 2, 68.0),
    "vorbis_44k_stereo": ("ogg_vorbis", 44100, 2, 72.0),
    "opus_48k_stereo": ("ogg_opus", 48000, 2, 66.0),
}
COVER_ART_TRACK = "mp3_44k_stereo_cover"


def _id3v23_cover_tag(image: bytes) -> bytes:
    """An ID3v2.3 tag with a title and a front cover (APIC), plus padding, as taggers write."""
    def frame(frame_id: bytes, payload: bytes) -> bytes:
        return frame_id + struct.pack(">I", len(payload)) + b"\x00\x00" + payload

    body = (frame(b"TIT2", b"\x00Whole track")
            + frame(b"APIC", b"\x00image/png\x00\x03cover\x00" + image) + bytes(2048))
    size = len(body)
    syncsafe = bytes(((size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F))
    return b"ID3\x03\x00\x00" + syncsafe + body


def write_tracks(folder: Path) -> dict[str, Path]:
    paths = {}
    for seed, (name, (kind, rate, channels, seconds)) in enumerate(TRACKS.items()):
        path = synth.write(folder / f"{name}{synth.DEMO_KINDS[kind].extension}", kind,
                           sample_rate=rate, channels=channels, seconds=seconds, seed=seed)
        if name == COVER_ART_TRACK:
            image = np.random.default_rng(seed).integers(0, 256, 100_000, np.uint8).tobytes()
            path.write_bytes(_id3v23_cover_tag(image) + path.read_bytes())
        paths[name] = path
    return paths

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
        names = list(TRACKS)
        paths = write_tracks(Path(folder))
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
                a, b = arrays["librosa"], arrays["audiodecode"]
                same = (a.dtype, a.shape, a.tobytes()) == (b.dtype, b.shape, b.tobytes())
                print(f"| {name} | {TRACKS[name][3]:.0f} | {sr or 'native'} | "
                      f"{theirs:.1f} | {ours:.1f} | {theirs / ours:.2f}x | {same} |")
        if args.memory:
            path = paths[COVER_ART_TRACK]
            print(f"\nPeak RSS above baseline, one load of {COVER_ART_TRACK} at 16 kHz\n")
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
