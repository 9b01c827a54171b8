"""The decode cache: a warm hit against a cold load, librosa.load and np.load of the same bytes.

Writes one file per format (WAV 16-bit, FLAC, MP3, Ogg Vorbis, AAC in M4A; 44.1 kHz stereo,
``--seconds`` long, 30 by default; nothing is downloaded), then, for ``sr=None`` and
``sr=16000`` (mono, as librosa.load's default), times in one interleaved run (each round
runs every method once, in turn; the table gives medians over ``--rounds``):

* ``librosa.load`` (for M4A, which libsndfile cannot read, librosa runs audioread, which
  decodes with the ``ffmpeg`` program: this needs it installed);
* ``cold``: ``audiodecode.load`` with the cache off;
* ``miss``: with the cache on and the entry deleted first: the decode plus writing the entry;
* ``warm``: with the cache on and the entry present: a hit;
* ``np.load``: ``numpy.load`` of the entry's file, the cost of reading those bytes at all.

``--store`` instead compares the cache's store with ``diskcache`` (in the ``bench`` extra)
for one hit of a 3 s speech clip (16 kHz mono) and of a 60 s stereo file (44.1 kHz, both
channels), against np.load of the same .npy bytes.

    python benchmarks/bench_cache.py
    python benchmarks/bench_cache.py --store

The page cache is warm for every method (each file has been read before): these are the
figures of a dataset that fits in memory, the case of a training loop's epochs or of a
hyperparameter search on one machine.
"""

from __future__ import annotations

import argparse
import gc
import os
import shlex
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import audiodecode
from audiodecode import cache
from audiodecode._options import LoadOptions
from audiodecode.bench import machine_info, synth

if TYPE_CHECKING:
    from collections.abc import Callable

FORMATS = (
    ("WAV 16-bit", "wav_pcm16", ".wav"),
    ("FLAC", "flac_16", ".flac"),
    ("MP3", "mp3", ".mp3"),
    ("Ogg Vorbis", "ogg_vorbis", ".ogg"),
    ("M4A (AAC)", "m4a_aac", ".m4a"),
)
METHODS = ("librosa.load", "cold", "miss", "warm", "np.load")


def _timed(function: Callable[[], Any], repeats: int) -> float:
    """Best of ``repeats`` calls, in seconds (the least disturbed one)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def _entry_path(path: str, sr: int | None) -> str:
    store = cache._current(None)
    entry = store.entry(path, LoadOptions(sr=sr).checked())
    assert entry is not None
    return entry.path


def _one_round(path: str, sr: int | None, cache_dir: Path) -> dict[str, float]:
    """Each method once on one file (the best of a few calls for the fast ones)."""
    cache.enable(cache_dir)
    entry = _entry_path(path, sr)
    cache.disable()
    times = {
        "librosa.load": _timed(lambda: _librosa_load(path, sr), 1),
        "cold": _timed(lambda: audiodecode.load(path, sr=sr), 2),
    }
    cache.enable(cache_dir)

    def miss() -> None:
        os.unlink(entry)
        audiodecode.load(path, sr=sr)

    times["miss"] = _timed(miss, 2)
    times["warm"] = _timed(lambda: audiodecode.load(path, sr=sr), 5)
    times["np.load"] = _timed(lambda: np.load(entry), 5)
    cache.disable()
    return times


def _librosa_load(path: str, sr: int | None) -> Any:
    import librosa

    return librosa.load(path, sr=sr)


def formats_table(folder: Path, seconds: float, rounds: int) -> str:
    import librosa

    # librosa warns that it falls back to audioread for M4A, on every call.
    warnings.filterwarnings("ignore", module="librosa")
    warnings.filterwarnings("ignore", message="PySoundFile failed")
    cache_dir = folder / "cache"
    files = []
    for label, kind, ext in FORMATS:
        path = folder / f"{kind}{ext}"
        synth.write(path, kind, sample_rate=44100, channels=2, seconds=seconds)
        files.append((label, str(path)))
    cases = [(label, path, sr) for label, path in files for sr in (None, 16000)]
    samples: dict[tuple[str, int | None], dict[str, list[float]]] = {
        (label, sr): {m: [] for m in METHODS} for label, _, sr in cases
    }
    # Warm-up: imports, page cache, the entries, and a check that a hit is the decode.
    for label, path, sr in cases:
        cache.disable()
        fresh, _ = audiodecode.load(path, sr=sr)
        expected, _ = librosa.load(path, sr=sr)
        # librosa reads M4A through audioread (the ffmpeg program): another decode, not ours.
        assert np.array_equal(fresh, expected) or label.startswith("M4A"), label
        cache.enable(cache_dir)
        audiodecode.load(path, sr=sr)
        hit, _ = audiodecode.load(path, sr=sr)
        assert np.array_equal(hit, fresh), label
    cache.disable()
    for _ in range(rounds):
        for label, path, sr in cases:
            for method, best in _one_round(path, sr, cache_dir).items():
                samples[(label, sr)][method].append(best)
            gc.collect()
    lines = [
        (f"{len(cases) // 2} formats, 44.1 kHz stereo, {seconds:g} s each, loaded mono; "
        f"median over {rounds} interleaved rounds (ms per file)"),
        "",
        ("| format | sr | librosa.load | cold | miss (decode + store) | warm hit | np.load "
        "of the entry | warm / np.load | librosa / warm |"),
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, _, sr in cases:
        med = {m: statistics.median(v) * 1e3 for m, v in samples[(label, sr)].items()}
        lines.append(
            f"| {label} | {sr or 'native'} | {med['librosa.load']:.2f} | {med['cold']:.2f} | "
            f"{med['miss']:.2f} | {med['warm']:.3f} | {med['np.load']:.3f} | "
            f"{med['warm'] / med['np.load']:.2f}x | {med['librosa.load'] / med['warm']:.0f}x |"
        )
    return "\n".join(lines)


def store_table(folder: Path, rounds: int) -> str:
    """A hit of the plain-file store against diskcache's, and np.load of the same bytes."""
    speech = synth.write(folder / "speech.wav", "wav_pcm16", sample_rate=48000, channels=1,
                           seconds=3)
    stereo = synth.write(folder / "stereo.flac", "flac_16", sample_rate=44100, channels=2,
                           seconds=60)
    cases = [("3 s speech clip, 16 kHz mono", str(speech), {"sr": 16000}),
             ("60 s stereo, 44.1 kHz, mono=False", str(stereo), {"sr": None, "mono": False})]
    lines = [
        f"One hit, best of 20 calls, median over {rounds} rounds (us)",
        "",
        ("| clip | np.load (.npy bytes) | audiodecode.cache | diskcache LRU, pickled array | "
        "diskcache LRU, read=True + np.load | diskcache LRS (no LRU), pickled array |"),
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, path, kwargs in cases:
        med = _store_case(folder, path, kwargs, rounds)
        base = med["np.load"]
        lines.append(
            f"| {label} | {base:.0f} | {med['ours']:.0f} ({med['ours'] / base:.2f}x) | "
            f"{med['lru']:.0f} ({med['lru'] / base:.2f}x) | "
            f"{med['lru raw']:.0f} ({med['lru raw'] / base:.2f}x) | "
            f"{med['lrs']:.0f} ({med['lrs'] / base:.2f}x) |"
        )
    return "\n".join(lines)


def _store_case(folder: Path, path: str, kwargs: dict[str, Any], rounds: int) -> dict[str, float]:
    """Median microseconds of one hit by each store, and of np.load of the same bytes."""
    import io

    import diskcache

    y, _ = audiodecode.load(path, **kwargs)
    npy = folder / "plain.npy"
    np.save(npy, y)
    buffer = io.BytesIO()
    np.save(buffer, y)
    lru = diskcache.Cache(str(folder / "dc-lru"), eviction_policy="least-recently-used")
    lrs = diskcache.Cache(str(folder / "dc-lrs"))
    lru.set("array", y)
    lru.set("bytes", buffer.getvalue(), read=False)
    lrs.set("array", y)
    cache.enable(folder / "ours")
    audiodecode.load(path, **kwargs)

    def raw() -> Any:
        handle = lru.get("bytes", read=True)
        with handle:
            return np.load(handle)

    methods: dict[str, Callable[[], Any]] = {
        "np.load": lambda: np.load(npy),
        "ours": lambda: audiodecode.load(path, **kwargs)[0],
        "lru": lambda: lru.get("array"),
        "lru raw": raw,
        "lrs": lambda: lrs.get("array"),
    }
    for name, function in methods.items():  # each gives the same array
        assert np.array_equal(function(), y), name
    times: dict[str, list[float]] = {m: [] for m in methods}
    for _ in range(rounds):
        for name, function in methods.items():
            times[name].append(_timed(function, 20))
    cache.disable()
    lru.close()
    lrs.close()
    return {m: statistics.median(v) * 1e6 for m, v in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each file")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--store", action="store_true",
                        help="compare the store with diskcache instead")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as scratch:
        if args.store:
            table = store_table(Path(scratch), args.rounds)
        else:
            table = formats_table(Path(scratch), args.seconds, args.rounds)
    machine = machine_info()
    print(table)
    print()
    print("Machine: " + ", ".join(f"{k} {v}" for k, v in machine.items()))
    print("Command: python " + shlex.join([os.path.relpath(__file__), *sys.argv[1:]]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
