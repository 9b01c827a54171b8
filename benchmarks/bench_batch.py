"""Throughput of audiodecode.load_batch against the usual ways of loading a speech dataset.

Writes a RAVDESS-shaped folder of speech clips (48 kHz mono 16-bit WAV, 2-4 s each; nothing is
downloaded; ``--format flac`` converts them), then measures files per second, at the native rate
and at 16 kHz, for:

* a plain loop over ``librosa.load`` (what most pipelines do);
* ``audiodecode.load_batch`` with 1 worker (the calling thread) and with 2 worker threads, and
  with 2 worker processes (to show why threads are the default);
* ``torch.utils.data.DataLoader`` with 2 workers over ``librosa.load``, and over
  ``audiodecode.torch.AudioDataset`` (if PyTorch is installed);
* two controls. One has no audiodecode in it, on 1 and 2 bare threads: the least any loader
  must do per clip (three system calls to read the file into a reused buffer, its samples
  scaled into a new float32 array; at 16 kHz into a reused one, resampled by a reused soxr
  stream). The other is ``audiodecode.load`` in two processes forked from a warm one, each
  loading half the clips, sharing nothing and returning nothing.

Why every figure comes from a fresh process: a speech clip's load is short (0.1-0.8 ms) and a
large part of it is the kernel supplying pages for the new output array. How many of those
page faults a pass takes depends on what the allocator kept from earlier work in the same
process (0 to 340 per clip measured here), so methods timed one after another in one process
measured each other's leftovers. Each measurement therefore runs in its own new interpreter:
one warm-up pass (page cache, imports, thread pools), then the best of ``--repeats`` passes.
With ``--first-pass`` it instead warms up on 16 other clips and times one pass over clips the
process has not decoded, so every output array is new memory: a script that loads a dataset
once. The best-of passes reuse what the previous pass freed, as a training loop's epochs do.
The methods take turns, round after round (``--rounds``), and the table gives each one's median
over the rounds with its range, so a ratio compares figures taken minutes apart at most.

Every method keeps all the decoded clips, as ``load_batch`` does. It prints a markdown table for
BENCHMARKS.md and the command that produced it.

    python benchmarks/bench_batch.py --files 300
    python benchmarks/bench_batch.py --files 300 --format flac
    python benchmarks/bench_batch.py --files 300 --first-pass
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from _bare_threads import bare_thread_pass

import audiodecode
from audiodecode.batch import load_batch

# The RAVDESS-shaped folder the speech-emotion example generates, from the example itself.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples" / "speech_emotion"))
from ravdess import make_ravdess_folder  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable

LIBROSA_LOOP = "librosa.load, plain loop"
ONE_WORKER = "load_batch, 1 worker"
FLOOR_ONE = "control: read + convert, 1 thread"
FORKED = "control: load in 2 forked processes"
METHODS = (
    LIBROSA_LOOP,
    ONE_WORKER,
    "load_batch, 2 threads",
    "load_batch, 2 processes",
    "DataLoader(2 workers), librosa.load",
    "DataLoader(2 workers), AudioDataset",
    FLOOR_ONE,
    "control: read + convert, 2 threads",
    FORKED,
)


# --- the methods, each run in its own process ------------------------------------------------


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


class _Floor(threading.local):
    """The control: a WAV clip's samples into a new array, with as little Python as possible.

    Three system calls per clip (open, one ``preadv`` of the whole file into a per-thread
    buffer, close), the samples scaled into a new float32 array (at 16 kHz into a per-thread
    one, then resampled by a per-thread soxr stream, cleared between clips, whose output is
    the new array): what ``load`` does for such a clip, minus its generality.
    """

    def __init__(self) -> None:
        self.raw = np.empty(1 << 21, np.uint8)
        self.native = np.empty(1 << 19, np.float32)
        self.streams: dict[int, Any] = {}

    def load(self, path: str, sr: int | None) -> np.ndarray:
        fd = os.open(path, os.O_RDONLY)
        try:
            got = os.preadv(fd, [self.raw.data], 0)
        finally:
            os.close(fd)
        # The corpus writes canonical 44-byte headers; the data chunk runs to the end.
        samples = self.raw[44:got].view("<i2")
        y = np.empty(len(samples), np.float32) if sr is None else self.native[: len(samples)]
        np.copyto(y, samples, casting="unsafe")
        np.multiply(y, np.float32(1 / 32768), out=y)
        if sr is None:
            return y
        stream = self.streams.get(sr)
        if stream is None:
            import soxr

            stream = self.streams[sr] = soxr.ResampleStream(48000, sr, 1, dtype=np.float32)
        else:
            stream.clear()
        resampled: np.ndarray = stream.resample_chunk(y, last=True)
        return resampled


def _floor_pass(paths: list[str], sr: int | None, threads: int) -> list[Any]:
    """The control over every clip: in this thread, or in bare threads sharing a counter."""
    floor = _Floor()
    return bare_thread_pass(paths, lambda path: floor.load(path, sr), threads)


def _forked_pass(paths: list[str], sr: int | None) -> None:
    """Two processes, forked from this warm one, each loading half the clips (and keeping them).

    Nothing is shared between them (no GIL, no allocator, no page tables) and nothing is sent
    back: what two workers could do at best on this machine.
    """
    children = []
    for half in (paths[0::2], paths[1::2]):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            kept = [audiodecode.load(path, sr=sr) for path in half]
            os._exit(0 if len(kept) == len(half) else 1)
        children.append(pid)
    for pid in children:
        _, status = os.waitpid(pid, 0)
        if status != 0:
            msg = "a forked control process failed"
            raise RuntimeError(msg)


def _method(name: str, paths: list[str], sr: int | None) -> Callable[[], Any]:
    if name == LIBROSA_LOOP:
        return lambda: _librosa_loop(paths, sr)
    if name == ONE_WORKER:
        return lambda: load_batch(paths, workers=1, sr=sr)
    if name == "load_batch, 2 threads":
        return lambda: load_batch(paths, workers=2, sr=sr)
    if name == "load_batch, 2 processes":
        return lambda: load_batch(paths, workers=2, executor="process", sr=sr)
    # The DataLoader's workers are forked from this process for every pass. Loading one clip
    # here first, as a script usually has by then, lets them inherit librosa's lazily imported
    # modules (several hundred ms per worker otherwise), and audiodecode's soxr.
    if name == "DataLoader(2 workers), librosa.load":
        import librosa

        librosa.load(paths[0], sr=sr)
        return lambda: _dataloader(_LibrosaDataset(paths, sr))
    if name == "DataLoader(2 workers), AudioDataset":
        from audiodecode.torch import AudioDataset

        audiodecode.load(paths[0], sr=sr)
        return lambda: _dataloader(AudioDataset(paths, sr=sr))
    if name == FORKED:
        audiodecode.load(paths[0], sr=sr)  # the children inherit every import and kept stream
        return lambda: _forked_pass(paths, sr)
    threads = 1 if name == FLOOR_ONE else 2
    # The floor's threads are started inside the pass, like the DataLoader's workers; a
    # thread start costs ~0.1 ms against the ~100 ms of a pass.
    return lambda: _floor_pass(paths, sr, threads)


# Clips beyond ``--files``, decoded only to warm up a ``--first-pass`` measurement.
WARM_UP_CLIPS = 16


def _measure(
    name: str, paths: list[str], sr: int | None, repeats: int, *, first_pass: bool = False
) -> float:
    """Files per second: the best of ``repeats`` passes after one warm-up pass.

    With ``first_pass``, the last ``WARM_UP_CLIPS`` paths are only the warm-up, and the one
    timed pass is over the others.
    """
    if first_pass:
        _method(name, paths[-WARM_UP_CLIPS:], sr)()  # imports, thread pools, the forkserver
        run = _method(name, paths[:-WARM_UP_CLIPS], sr)
        start = time.perf_counter()
        results = run()
        elapsed = time.perf_counter() - start
        del results
        return (len(paths) - WARM_UP_CLIPS) / elapsed
    run = _method(name, paths, sr)
    run()  # warm-up: page cache, imports, thread pools, the forkserver
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        results = run()
        best = min(best, time.perf_counter() - start)
        del results
    return len(paths) / best


# --- the driver: every measurement in a new interpreter, methods taking turns -----------------


def _available(name: str) -> bool:
    if not name.startswith("DataLoader"):
        return True
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def _measure_in_new_process(
    name: str, paths_file: Path, sr: int | None, repeats: int, *, first_pass: bool
) -> float:
    command = [
        sys.executable,
        __file__,
        "--measure",
        name,
        "--paths-file",
        str(paths_file),
        "--sr",
        str(sr or 0),
        "--repeats",
        str(repeats),
        *(["--first-pass"] if first_pass else []),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        msg = f"measuring {name!r} at sr={sr} failed:\n{done.stderr}"
        raise RuntimeError(msg)
    rate: float = json.loads(done.stdout.strip().splitlines()[-1])["files_per_s"]
    return rate


def _check_same_arrays(paths: list[str]) -> None:
    # A benchmark of wrong answers is worthless: the batch must equal librosa, file by file,
    # and the control must compute the same samples.
    import librosa

    floor = _Floor()
    for sr in (None, 16000):
        batch = load_batch(paths[:5], workers=2, sr=sr)
        for (y, _), path in zip(batch, paths[:5], strict=True):
            expected, _ = librosa.load(path, sr=sr)
            if not np.array_equal(y, expected):
                msg = f"load_batch differs from librosa.load on {path} at sr={sr}"
                raise AssertionError(msg)
            control = floor.load(path, sr) if path.endswith(".wav") else y
            n = min(len(control), len(y))  # librosa pads soxr's output by a sample or so
            if not np.array_equal(control[:n], y[:n]):
                msg = f"the control computes other samples than librosa.load for {path}"
                raise AssertionError(msg)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=300, help="clips in the folder (max 1440)")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes per measurement")
    parser.add_argument("--rounds", type=int, default=5, help="measurements per method")
    parser.add_argument("--folder", type=Path, help="reuse (or create) the clips here")
    parser.add_argument(
        "--format",
        choices=("wav", "flac"),
        default="wav",
        help="decode the clips as 16-bit WAV (memory-bound) or FLAC (decoder-bound)",
    )
    parser.add_argument(
        "--first-pass",
        action="store_true",
        help="time one pass over clips not decoded before in the process (new output memory)",
    )
    parser.add_argument("--measure", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--paths-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--sr", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.measure:  # one measurement, in this (new) interpreter
        paths = args.paths_file.read_text().splitlines()
        rate = _measure(
            args.measure, paths, args.sr or None, args.repeats, first_pass=args.first_pass
        )
        print(json.dumps({"files_per_s": rate}))
        return 0

    with tempfile.TemporaryDirectory() as scratch:
        folder = args.folder or Path(scratch) / "ravdess"
        n_clips = args.files + (WARM_UP_CLIPS if args.first_pass else 0)
        existing = sorted(folder.glob("*.wav")) if folder.exists() else []
        if len(existing) < n_clips:
            make_ravdess_folder(folder, n_files=n_clips)
        paths = [str(p) for p in sorted(folder.glob("*.wav"))[:n_clips]]
        if args.format == "flac":
            paths = _as_flac(paths, Path(scratch) / "flac")
        _check_same_arrays(paths)
        paths_file = Path(scratch) / "paths.txt"
        paths_file.write_text("\n".join(paths))
        paths = paths[: args.files]  # the timed clips
        seconds = sum(audiodecode.get_duration(path=p) for p in paths)

        names = [
            name
            for name in METHODS
            if _available(name) and not (args.format == "flac" and name.startswith("control: read"))
        ]
        jobs = [(name, sr) for sr in (None, 16000) for name in names]
        rates: dict[tuple[str, int | None], list[float]] = {job: [] for job in jobs}
        for round_index in range(args.rounds):
            # Each round starts one method later, so no method always follows the same one.
            shift = round_index % len(jobs)
            for name, sr in jobs[shift:] + jobs[:shift]:
                rate = _measure_in_new_process(
                    name, paths_file, sr, args.repeats, first_pass=args.first_pass
                )
                rates[name, sr].append(rate)
                print(f"  round {round_index + 1}: {name:40s} sr={sr}: {rate:8.1f} files/s",
                      file=sys.stderr)

    print(_table(rates, len(paths), seconds, args.format.upper(), first_pass=args.first_pass))
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


def _table(
    rates: dict[tuple[str, int | None], list[float]],
    n_files: int,
    seconds: float,
    fmt: str,
    *,
    first_pass: bool,
) -> str:
    median = {job: statistics.median(values) for job, values in rates.items()}
    n_rounds = min(len(values) for values in rates.values())
    passes = (
        "the first pass over them in the process (every output array new memory)"
        if first_pass
        else "the best of the passes after a warm-up pass"
    )
    lines = [
        (
            f"{n_files} clips, 48 kHz mono 16-bit {fmt}, {seconds / n_files:.2f} s on average "
            f"({seconds / 60:.1f} min of audio in all); files/s is the median of {n_rounds} "
            f"rounds, each measured in a new process (range in brackets), timing {passes}"
        ),
        "",
        "| method | output rate | files/s | vs librosa loop | vs 1 worker |",
        "|---|---|---:|---:|---:|",
    ]
    for (name, sr), rate in median.items():
        if name.startswith("load_batch") or name == FORKED:
            vs_one = f"{rate / median[ONE_WORKER, sr]:.2f}x"
        elif name.startswith("control: read") and (FLOOR_ONE, sr) in median:
            vs_one = f"{rate / median[FLOOR_ONE, sr]:.2f}x"
        else:
            vs_one = ""
        low, high = min(rates[name, sr]), max(rates[name, sr])
        lines.append(
            f"| {name} | {'native (48 kHz)' if sr is None else '16 kHz'} "
            f"| {rate:,.0f} ({low:,.0f}-{high:,.0f}) "
            f"| {rate / median[LIBROSA_LOOP, sr]:.2f}x | {vs_one} |"
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
