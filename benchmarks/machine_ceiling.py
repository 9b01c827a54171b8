"""How far two threads can scale on this machine, for work with nothing of audiodecode in it.

``bench_batch.py`` asks ``load_batch`` for at least 1.8x from 1 to 2 workers. This script
measures what the machine gives work that never contends for the GIL, so that figure can be
read against a ceiling rather than against an ideal 2x:

* ``sha256``: hashing 64 KB blocks (hashlib releases the GIL above 2 KB): pure computation
  in the core's own caches, no memory allocation.
* ``soxr``: resampling a 3 s, 48 kHz clip to 16 kHz from memory with ``soxr.resample``, what
  ``librosa.load(sr=16000)`` spends most of a speech clip's time on.
* ``fresh pages``: filling newly mapped memory, one page fault per 4 KB page, as every new
  output array does the first time its pages are touched; also the cost of one fault.

Each workload runs the same number of items in this thread and then split over 2 new threads,
``--rounds`` times; the table gives the median per-round ratio and its range.

    python benchmarks/machine_ceiling.py --rounds 7
"""

from __future__ import annotations

import argparse
import hashlib
import mmap
import platform
import statistics
import threading
import time
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable

_BLOCK = b"\x5a" * 65536
_CLIP = np.random.default_rng(0).uniform(-0.5, 0.5, 3 * 48000).astype(np.float32)
_MAPPING_BYTES = 32 << 20


def _sha256(items: int) -> None:
    for _ in range(items):
        hashlib.sha256(_BLOCK).digest()


def _soxr(items: int) -> None:
    import soxr

    for _ in range(items):
        soxr.resample(_CLIP, 48000, 16000, "soxr_hq")


def _fresh_pages(items: int) -> None:
    for _ in range(items):
        mapping = mmap.mmap(-1, _MAPPING_BYTES, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        pages = np.frombuffer(mapping, np.float32)
        np.copyto(pages, np.float32(1.0))  # writes every page; numpy releases the GIL
        del pages
        mapping.close()


WORKLOADS: dict[str, tuple[Callable[[int], None], int]] = {
    # name: (function, items per measurement); each measurement takes 0.1-0.5 s on one core
    "sha256 of 64 KB blocks": (_sha256, 2000),
    "soxr.resample, 3 s clip 48 -> 16 kHz": (_soxr, 400),
    "fresh pages (32 MB mappings)": (_fresh_pages, 8),
}


def _timed(function: Callable[[int], None], items: int, threads: int) -> float:
    if threads == 1:
        start = time.perf_counter()
        function(items)
        return time.perf_counter() - start
    workers = [threading.Thread(target=function, args=(items // threads,)) for _ in range(threads)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)

    print("| work, nothing shared between the threads | 1 thread | 2 threads / 1 thread |")
    print("|---|---:|---:|")
    for name, (function, items) in WORKLOADS.items():
        function(max(1, items // 10))  # warm-up: imports, caches
        ratios, single = [], []
        for _ in range(args.rounds):
            one = _timed(function, items, 1)
            two = _timed(function, items, 2)
            ratios.append(one / two)
            single.append(one / items)
        per_item = statistics.median(single)
        if name.startswith("fresh pages"):
            cost = f"{1e6 * per_item / (_MAPPING_BYTES // 4096):.2f} us per 4 KB page"
        else:
            cost = f"{1e6 * per_item:,.0f} us per item"
        print(
            f"| {name} | {cost} | **{statistics.median(ratios):.2f}x** "
            f"({min(ratios):.2f}-{max(ratios):.2f}) |"
        )
    print()
    print(
        f"Command: `python benchmarks/machine_ceiling.py --rounds {args.rounds}`; "
        f"medians of {args.rounds} rounds (range in brackets)."
    )
    print(
        f"Machine: {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, numpy {np.__version__}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
