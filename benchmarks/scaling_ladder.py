"""What costs audiodecode two-thread scaling on speech WAV clips at 16 kHz: a ladder of loops.

Each rung is a loop over the same clips, from the least a loader can do in Python up to
``audiodecode.load`` itself, run on 1 thread and on 2 bare threads sharing a counter. Each
figure comes from a new interpreter (one warm-up pass, then the best of 3), the rungs take
turns over ``--rounds``, and the table gives medians. A rung that scales worse than the one
below it has found a cost that appears only when two threads run at once.

    python benchmarks/scaling_ladder.py --files 300 --rounds 4

Rungs:

* ``minimal``: open, one ``preadv`` of the whole file into a per-thread buffer, close; the
  samples scaled into a per-thread float32 buffer; a per-thread soxr stream, cleared, makes
  the new output array (what ``bench_batch.py``'s control does).
* ``+ head read``: the 4 kB header read first, then the samples (``load``'s four calls).
* ``+ padding``: the output padded to librosa's length in place (``fit_length``).
* ``+ 16 us Python``: a pure-Python loop that holds the GIL for ~16 us per clip.
* ``+ 25 objects``: 25 small Python objects created and dropped per clip.
* ``+ 25 views``: 25 numpy views created and dropped per clip.
* ``audiodecode source+reader``: ``load``'s source and WAV reader, the minimal resampling.
* ``+ pooled float buffer``: the float samples in a buffer borrowed from ``_scratch``.
* ``+ audiodecode resampler``: resampled by ``SoxrResampler.whole`` (libsoxr's one-shot call
  without the GIL, or per-thread python-soxr streams where that cannot be bound).
* ``audiodecode plan+decode``: ``load`` without its argument checks: plan, then the pipeline.
* ``audiodecode.load``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from _bare_threads import bare_thread_pass

# The RAVDESS-shaped folder the speech-emotion example generates, from the example itself.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples" / "speech_emotion"))
from ravdess import make_ravdess_folder  # noqa: E402

RUNGS = (
    "minimal",
    "+ head read",
    "+ padding",
    "+ 16 us Python",
    "+ 25 objects",
    "+ 25 views",
    "audiodecode source+reader",
    "+ pooled float buffer",
    "+ audiodecode resampler",
    "audiodecode plan+decode",
    "audiodecode.load",
)
RATE = 16000


def _busy(n: int) -> int:
    total = 0
    for i in range(n):
        total += i
    return total


class _Small:
    __slots__ = ("a", "b")

    def __init__(self) -> None:
        self.a, self.b = 1, 2


class _PerThread(threading.local):
    def __init__(self) -> None:
        import soxr

        self.raw = np.empty(1 << 21, np.uint8)
        self.native = np.empty(1 << 19, np.float32)
        self.stream = soxr.ResampleStream(48000, RATE, 1, dtype=np.float32, quality="soxr_hq")


def _loader(rung: str) -> Any:
    import audiodecode
    from audiodecode._options import LoadOptions
    from audiodecode._pipeline import decode, plan
    from audiodecode._resample import SoxrResampler, fit_length
    from audiodecode._scratch import borrow_array, give_back
    from audiodecode._source import open_source
    from audiodecode.backends import open_reader

    float32 = np.dtype(np.float32)

    local = _PerThread()
    level = RUNGS.index(rung)

    def resample(y: np.ndarray) -> np.ndarray:
        local.stream.clear()
        if level >= RUNGS.index("+ padding"):
            length = -(-len(y) * RATE // 48000)
            return fit_length(local.stream.resample_chunk(y[:, None], last=True), length)[:, 0]
        out: np.ndarray = local.stream.resample_chunk(y, last=True)
        return out

    def load_one(path: str) -> Any:
        if rung == "audiodecode.load":
            return audiodecode.load(path, sr=RATE)
        if rung == "audiodecode plan+decode":
            with open_source(path) as source, open_reader(source, None) as reader:
                the_plan = plan(reader, LoadOptions(sr=RATE).checked())
                return decode(reader, the_plan)
        if level >= RUNGS.index("audiodecode source+reader"):
            buffer = None
            with open_source(path) as source, open_reader(source, None) as reader:
                if level >= RUNGS.index("+ pooled float buffer"):
                    buffer, y = borrow_array((reader.frames,), float32)
                else:
                    y = local.native[: reader.frames]
                reader.readinto(y[:, None])
            if level >= RUNGS.index("+ audiodecode resampler"):
                out = SoxrResampler(48000, RATE, 1, float32, "soxr_hq").whole(y)
            else:
                out = resample(y)
            if buffer is not None:
                give_back(buffer)
            return out
        fd = os.open(path, os.O_RDONLY)
        try:
            if level >= RUNGS.index("+ head read"):
                os.pread(fd, 4096, 0)
                got = os.preadv(fd, [local.raw.data], 44)
                samples = local.raw[:got].view("<i2")
            else:
                got = os.preadv(fd, [local.raw.data], 0)
                samples = local.raw[44:got].view("<i2")  # the corpus's canonical header
        finally:
            os.close(fd)
        y = local.native[: len(samples)]
        np.copyto(y, samples, casting="unsafe")
        np.multiply(y, np.float32(1 / 32768), out=y)
        if rung == "+ 16 us Python":
            _busy(600)
        elif rung == "+ 25 objects":
            for _ in range(25):
                _Small()
        elif rung == "+ 25 views":
            for _ in range(25):
                y[:100].reshape(-1, 1)[:, 0]
        return resample(y)

    return load_one


def _pass(paths: list[str], rung: str, threads: int) -> list[Any]:
    # The loader's buffers and soxr stream are per thread (``_PerThread``), made on first use.
    return bare_thread_pass(paths, _loader(rung), threads)


def _measure(paths: list[str], rung: str, threads: int) -> float:
    _pass(paths, rung, threads)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        results = _pass(paths, rung, threads)
        best = min(best, time.perf_counter() - start)
        del results
    return len(paths) / best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--measure", choices=RUNGS, help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--paths-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        paths = args.paths_file.read_text().splitlines()
        print(json.dumps({"files_per_s": _measure(paths, args.measure, args.threads)}))
        return 0

    
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "ravdess"
        make_ravdess_folder(folder, n_files=args.files)
        paths_file = Path(scratch) / "paths.txt"
        paths_file.write_text("\n".join(str(p) for p in sorted(folder.glob("*.wav"))))
        rates: dict[tuple[str, int], list[float]] = {}
        for round_index in range(args.rounds):
            for rung in RUNGS:
                for threads in (1, 2):
                    command = [sys.executable, __file__, "--measure", rung, "--threads",
                               str(threads), "--paths-file", str(paths_file)]
                    done = subprocess.run(command, capture_output=True, text=True, check=True)
                    rate = json.loads(done.stdout.strip().splitlines()[-1])["files_per_s"]
                    rates.setdefault((rung, threads), []).append(rate)
                    print(f"  round {round_index + 1}: {rung:28s} {threads} thread(s): "
                          f"{rate:8.1f} files/s", file=sys.stderr)
    print(f"{args.files} speech clips (48 kHz mono 16-bit WAV) to {RATE} Hz; files/s, median "
          f"of {args.rounds} rounds, each measured in a new process\n")
    print("| loop | 1 thread | 2 threads | 2 vs 1 |")
    print("|---|---:|---:|---:|")
    for rung in RUNGS:
        one = statistics.median(rates[rung, 1])
        two = statistics.median(rates[rung, 2])
        print(f"| {rung} | {one:,.0f} | {two:,.0f} | {two / one:.2f}x |")
    print("\nCommand: `python benchmarks/scaling_ladder.py " + " ".join(argv or sys.argv[1:])
          + "`")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
