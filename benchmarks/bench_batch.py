"""Throughput of audiodecode.load_batch against the usual ways of loading a speech dataset.

Writes a RAVDESS-shaped folder of speech clips (48 kHz mono 16-bit WAV, 2-4 s each; nothing is
downloaded; ``--format flac`` converts them), then measures files per second, at the native rate
and at 16 kHz, for:

* a plain loop over ``librosa.load`` (what most pipelines do);
* ``audiodecode.load_batch`` with 1 worker (the calling thread) and with 2 worker threads, and
  with 2 worker processes (to show why threads are the default);
* ``torch.utils.data.DataLoader`` with 2 workers over ``librosa.load``, and over
  ``audiodecode.torch.AudioDataset`` (if PyTorch is installed).

Every method keeps all the decoded clips, as ``load_batch`` does (allocating them is part of
the cost; a loop that drops each clip at once is faster: glibc then reuses the same memory).
Every figure is the best of ``--repeats`` full passes after one warm-up pass (so the files are
in the page cache and every import is done); a pass includes starting its workers, except
load_batch's threads, which are kept from one call to the next. It prints a markdown table for
BENCHMARKS.md and the command that produced it.

    python benchmarks/bench_batch.py --files 300
    python benchmarks/bench_batch.py --files 300 --format flac
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import audiodecode
from audiodecode._corpus import make_ravdess_folder
from audiodecode.batch import load_batch

if TYPE_CHECKING:
    from collections.abc import Callable


def _librosa_loop(paths: list[str], sr: int | None) -> list[Any]:
    import librosa

    return [librosa.load(path, sr=sr) for path in paths]


class _LibrosaDataset:
    """The Dataset people write today: one ``librosa.load`` per item."""

    def __init__(self, paths: list[str], sr: int | None) -> None:
        self.paths, self.sr = paths, sr

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> Any:
        import librosa

        y, _ = librosa.load(self.paths[index], sr=self.sr)
        return y


def _first(batch: list[Any]) -> Any:
    return batch[0]


def _dataloader(dataset: Any) -> list[Any]:
    from torch.utils.data import DataLoader

    # batch_size=1 with a pass-through collate: the clips differ in length, and stacking
    # them is not what is being measured.
    return list(DataLoader(dataset, batch_size=1, num_workers=2, collate_fn=_first))


def _methods(paths: list[str], sr: int | None) -> dict[str, Callable[[], Any]]:
    methods: dict[str, Callable[[], Any]] = {
        "librosa.load, plain loop": lambda: _librosa_loop(paths, sr),
        "load_batch, 1 worker": lambda: load_batch(paths, workers=1, sr=sr),
        "load_batch, 2 threads": lambda: load_batch(paths, workers=2, sr=sr),
        "load_batch, 2 processes": lambda: load_batch(paths, workers=2, executor="process", sr=sr),
    }
    try:
        import torch  # noqa: F401
    except ImportError:
        return methods
    from audiodecode.torch import AudioDataset

    methods["DataLoader(2 workers), librosa.load"] = lambda: _dataloader(_LibrosaDataset(paths, sr))
    methods["DataLoader(2 workers), AudioDataset"] = lambda: _dataloader(AudioDataset(paths, sr=sr))
    return methods


def _best_rate(run: Callable[[], Any], n_files: int, repeats: int) -> float:
    run()  # warm-up: page cache, imports, forkserver
    best = min(_timed(run) for _ in range(repeats))
    return n_files / best


def _timed(run: Callable[[], Any]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _check_same_arrays(paths: list[str]) -> None:
    # A benchmark of wrong answers is worthless: the batch must equal librosa, file by file.
    import librosa

    for (y, _), path in zip(load_batch(paths[:5], workers=2, sr=16000), paths[:5], strict=True):
        expected, _ = librosa.load(path, sr=16000)
        if not np.array_equal(y, expected):
            msg = f"load_batch differs from librosa.load on {path}"
            raise AssertionError(msg)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=300, help="clips in the folder (max 1440)")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes per method")
    parser.add_argument("--folder", type=Path, help="reuse (or create) the clips here")
    parser.add_argument(
        "--format",
        choices=("wav", "flac"),
        default="wav",
        help="decode the clips as 16-bit WAV (memory-bound) or FLAC (decoder-bound)",
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as scratch:
        folder = args.folder or Path(scratch) / "ravdess"
        existing = sorted(folder.glob("*.wav")) if folder.exists() else []
        if len(existing) < args.files:
            make_ravdess_folder(folder, n_files=args.files)
        paths = [str(p) for p in sorted(folder.glob("*.wav"))[: args.files]]
        if args.format == "flac":
            paths = _as_flac(paths, Path(scratch) / "flac")
        _check_same_arrays(paths)
        seconds = sum(audiodecode.get_duration(path=p) for p in paths)

        rows = []
        for sr in (None, 16000):
            for name, run in _methods(paths, sr).items():
                rate = _best_rate(run, len(paths), args.repeats)
                rows.append((name, "native (48 kHz)" if sr is None else "16 kHz", rate))
                print(f"  {name:40s} sr={sr}: {rate:8.1f} files/s", file=sys.stderr)

    print(_table(rows, len(paths), seconds, args.format.upper()))
    print()
    print("Command: `python benchmarks/bench_batch.py " + shlex.join(argv or sys.argv[1:]) + "`")
    print(_machine())
    return 0


def _as_flac(paths: list[str], folder: Path) -> list[str]:
    import soundfile as sf

    folder.mkdir(exist_ok=True)
    flac_paths = []
    for path in paths:
        target = folder / (Path(path).stem + ".flac")
        data, rate = sf.read(path, dtype="int16")
        sf.write(target, data, rate, subtype="PCM_16")
        flac_paths.append(str(target))
    return flac_paths


def _table(rows: list[tuple[str, str, float]], n_files: int, seconds: float, fmt: str) -> str:
    baseline = {rate_name: r for name, rate_name, r in rows if name == "librosa.load, plain loop"}
    one_worker = {rate_name: r for name, rate_name, r in rows if name == "load_batch, 1 worker"}
    lines = [
        (
            f"{n_files} clips, 48 kHz mono 16-bit {fmt}, {seconds / n_files:.2f} s on average "
            f"({seconds / 60:.1f} min of audio in all)"
        ),
        "",
        "| method | output rate | files/s | vs librosa loop | vs 1 worker |",
        "|---|---|---:|---:|---:|",
    ]
    for name, rate_name, rate in rows:
        vs_one = f"{rate / one_worker[rate_name]:.2f}x" if name.startswith("load_batch") else ""
        lines.append(
            f"| {name} | {rate_name} | {rate:,.0f} | {rate / baseline[rate_name]:.2f}x | {vs_one} |"
        )
    return "\n".join(lines)


def _machine() -> str:
    import soxr

    versions = [
        f"audiodecode {audiodecode.__version__}",
        f"numpy {np.__version__}",
        f"soxr {soxr.__version__}",
    ]
    import importlib.util

    versions.extend(
        f"{module} {__import__(module).__version__}"
        for module in ("librosa", "torch")
        if importlib.util.find_spec(module) is not None
    )
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"Machine: {cores} cores ({platform.processor() or platform.machine()}), "
        f"Python {platform.python_version()}, " + ", ".join(versions)
    )


if __name__ == "__main__":
    raise SystemExit(main())
