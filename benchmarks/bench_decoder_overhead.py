"""``audiodecode.load`` against a bare ``soundfile.read``: what audiodecode adds to the decoder.

For a file libsndfile reads, ``load(path, sr=None)`` makes the decoder calls
``soundfile.read(path, dtype="float32")`` makes, so everything it takes beyond that is its own
overhead: opening and sniffing the file, planning the output, and at ``mono=True`` librosa
1.0's ``+ 0.0`` over a one-channel float signal (``-0.0`` becomes ``+0.0``), which
``soundfile.read`` does not do. The ratio is ``soundfile.read``'s time over ``load``'s: 1.00x
or more means no overhead.

Files (written here with libsndfile's encoders through ``audiodecode.bench.synth``, seeded):

* clips: 6 s of speech-like signal (``synth.voiced``) at 22.05 kHz (Opus at 24 kHz, a rate
  its encoder takes), mono and stereo: the shape of most speech corpora;
* whole tracks: 70 s of ``synth.signal`` at 44.1 kHz (Opus at 48 kHz), mono and stereo;

each as 16-bit FLAC, MP3, Ogg Vorbis and Ogg Opus. A mono file is loaded with ``load``'s
default ``mono=True``, a stereo one with ``mono=False`` (the decoder's samples, as librosa's
``(channels, n)`` view); the bytes are first checked equal to librosa's read. For MP3 they are
not ``soundfile.read``'s in the last bits (up to 6e-8): ``soundfile.read`` seeks to frame 0
before reading, and libmpg123 decodes differently after a seek, which is why librosa reads
with ``SoundFile.read`` and no seek.

Both loaders run in one process, interleaved, the first of each round alternating, after one
warm-up each, with the garbage collector off while timing. The table gives each loader's
median, the ratio of the medians, the ratio of the best rounds (the least disturbed by other
work on the machine) and, for the noise, the interquartile range of the per-round ratios.

``--instructions N`` counts instead of timing: each clip is loaded ``N`` times (each track
``N // 10`` times) by each loader
in a child process under valgrind's callgrind, and a third child that only imports both and
warms them up gives the baseline; ``(count - baseline) / N`` is one load's instructions. The
count is the same from run to run whatever else the machine does, but it weighs every
instruction alike (a cache miss costs nothing in it), so it complements the times rather than
replacing them. It needs valgrind (Debian's ``valgrind`` package).

Usage (from the repository root)::

    python benchmarks/bench_decoder_overhead.py --clip-rounds 101 --track-rounds 15
    python benchmarks/bench_decoder_overhead.py --instructions 5
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import soundfile as sf

import audiodecode
from audiodecode.bench import synth

if TYPE_CHECKING:
    from collections.abc import Callable

CODECS = {"flac": "flac_16", "mp3": "mp3", "vorbis": "ogg_vorbis", "opus": "ogg_opus"}
# (kind, seconds, rate, Opus's rate)
SHAPES = {"clip": (6.0, 22050, 24000), "track": (70.0, 44100, 48000)}


def write_corpus(folder: Path) -> list[tuple[str, str, int, Path]]:
    """``(shape, codec, channels, path)`` for every file of the module's corpus."""
    files = []
    for shape, (seconds, rate, opus_rate) in SHAPES.items():
        for channels in (1, 2):
            for codec, kind in CODECS.items():
                sample_rate = opus_rate if codec == "opus" else rate
                frames = round(seconds * sample_rate)
                data = (synth.voiced(frames, channels, sample_rate=sample_rate, seed=channels)
                        if shape == "clip" else
                        synth.signal(frames, channels, sample_rate=sample_rate, seed=channels))
                name = f"{shape}_{codec}_{channels}ch{synth.DEMO_KINDS[kind].extension}"
                path = synth.write(folder / name, kind, sample_rate=sample_rate, data=data)
                files.append((shape, codec, channels, path))
    return files


def _time(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def measure(path: Path, channels: int, rounds: int) -> tuple[list[float], list[float]]:
    """Seconds per round of ``load`` and of ``soundfile.read``."""
    def ours() -> object:
        return audiodecode.load(path, sr=None, mono=channels == 1)

    def bare() -> object:
        return sf.read(path, dtype="float32")

    # The samples: librosa's read (``SoundFile.read`` with no seek first; ``soundfile.read``
    # seeks to frame 0, which makes libmpg123 decode an MP3's last bits differently), plus
    # librosa 1.0's ``+ 0.0`` for a one-channel signal at mono=True.
    y, _ = audiodecode.load(path, sr=None, mono=channels == 1)
    with sf.SoundFile(path) as file:
        reference = file.read(dtype="float32")
    if channels == 1:
        reference += np.float32(0)
    assert np.ascontiguousarray(y.T).tobytes() == reference.tobytes(), path
    ours_times, bare_times = [], []
    gc.collect()
    gc.disable()
    try:
        for round_ in range(rounds):
            if round_ % 2:
                ours_times.append(_time(ours))
                bare_times.append(_time(bare))
            else:
                bare_times.append(_time(bare))
                ours_times.append(_time(ours))
    finally:
        gc.enable()
    return ours_times, bare_times


def _child(mode: str, path: str, channels: int, loads: int) -> None:
    """What a callgrind child runs: both loaders warmed up, then ``loads`` loads by one."""
    def ours() -> object:
        return audiodecode.load(path, sr=None, mono=channels == 1)

    def bare() -> object:
        return sf.read(path, dtype="float32")

    ours()
    bare()
    function = {"ours": ours, "bare": bare}.get(mode)
    for _ in range(loads if function is not None else 0):
        function()  # type: ignore[misc]


# A child's count is the same from run to run only with a fixed hash seed (dict lookups) and
# no idle BLAS threads spinning beside it.
_DETERMINISTIC = {**os.environ, "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1",
                  "OMP_NUM_THREADS": "1"}


def instructions(path: Path, channels: int, loads: int) -> tuple[float, float]:
    """Instructions per load of ``load`` and of ``soundfile.read``, by callgrind."""
    counts = {}
    for mode in ("none", "ours", "bare"):
        command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                   sys.executable, __file__, "--child", mode, str(path), str(channels),
                   str(loads)]
        done = subprocess.run(command, capture_output=True, text=True, check=True,
                              env=_DETERMINISTIC)
        counts[mode] = int(re.search(r"Collected : (\d+)", done.stderr).group(1))  # type: ignore[union-attr]
    return ((counts["ours"] - counts["none"]) / loads, (counts["bare"] - counts["none"]) / loads)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clip-rounds", type=int, default=101)
    parser.add_argument("--track-rounds", type=int, default=9)
    parser.add_argument("--instructions", type=int, metavar="N",
                        help="count instructions under callgrind, N loads per loader")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        mode, path, channels, loads = args.child
        _child(mode, path, int(channels), int(loads))
        return 0
    if args.instructions:
        return _count_instructions(args.instructions)
    print(f"audiodecode {audiodecode.__version__}, soundfile {sf.__version__} "
          f"(libsndfile {sf.__libsndfile_version__}), numpy {np.__version__}, "
          f"Python {sys.version.split()[0]}")
    print()
    print("| file | channels | load ms | soundfile.read ms | ratio of medians | ratio of bests "
          "| per-round ratio, IQR |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for shape, codec, channels, path in write_corpus(Path(folder)):
            rounds = args.clip_rounds if shape == "clip" else args.track_rounds
            ours, bare = measure(path, channels, rounds)
            ratios = [b / o for o, b in zip(ours, bare, strict=True)]
            low, _, high = statistics.quantiles(ratios, n=4)
            ours_median, bare_median = statistics.median(ours), statistics.median(bare)
            print(f"| {codec} {shape} ({SHAPES[shape][0]:g} s) | {channels} | "
                  f"{ours_median * 1e3:.2f} | {bare_median * 1e3:.2f} | "
                  f"{bare_median / ours_median:.3f}x | {min(bare) / min(ours):.3f}x | "
                  f"{low:.3f}-{high:.3f} |", flush=True)
    return 0


def _count_instructions(loads: int) -> int:
    print("| file | channels | load, instructions | soundfile.read, instructions | ratio |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for shape, codec, channels, path in write_corpus(Path(folder)):
            ours, bare = instructions(path, channels, loads if shape == "clip" else
                                      max(1, loads // 10))
            print(f"| {codec} {shape} ({SHAPES[shape][0]:g} s) | {channels} | {ours:,.0f} | "
                  f"{bare:,.0f} | {bare / ours:.4f}x |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
