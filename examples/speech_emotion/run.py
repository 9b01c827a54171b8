"""Speech-emotion features four ways, timed, with a check that they agree to the last bit.

    python examples/speech_emotion/run.py --n-files 48 [--folder DIR] [--repeat 3]

1. ``librosa``: ``classic.py`` as it is.
2. ``librosa + patch``: the same code, after the two lines

       from audiodecode.compat import patch_librosa
       patch_librosa()

3. ``audiodecode``: ``idiomatic.py``, which reads the durations from the headers and decodes
   each file once.
4. ``audiodecode, load_batch(transform=features)``: the same, with decoding and features run
   on every core by ``audiodecode.load_batch``.

Without ``--folder`` the clips are generated in a temporary folder: RAVDESS-style names
(``03-01-EE-01-SS-RR-AA.wav``, EE the emotion), 48 kHz mono 16-bit, 2 to 4 s of synthetic
voice. ``--folder`` points at existing ``.wav`` files instead (the real RAVDESS speech set,
say), or at a folder to generate them in if it holds none.

A variant is a function from the list of files to a :class:`Result`; add one to ``VARIANTS``
to compare another way of doing it.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import classic
import idiomatic
import librosa
import numpy as np
from ravdess import make_ravdess_folder

import audiodecode
from audiodecode.compat import librosa_patched

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence


@dataclass(frozen=True)
class Result:
    """What a variant produced: the feature matrix, and the wall time of each phase."""

    features: np.ndarray
    seconds: dict[str, float]

    @property
    def total(self) -> float:
        return sum(self.seconds.values())


class Stopwatch:
    """Times named phases: ``with clock.phase("features"): ...``."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.seconds[name] = time.perf_counter() - start


# ---------------------------------------------------------------------------- the variants


def plain_librosa(paths: Sequence[Path]) -> Result:
    clock = Stopwatch()
    with clock.phase("get_max_min"):
        _, shortest = classic.get_max_min(paths)
    with clock.phase("load"):
        clips = classic.load_clips(paths, shortest)
    with clock.phase("features"):
        matrix = classic.feature_matrix(clips)
    return Result(matrix, clock.seconds)


def librosa_with_patch(paths: Sequence[Path]) -> Result:
    # In a script: `patch_librosa()` once at the top. Here the patch is undone afterwards, so
    # that the other variants get librosa as it is.
    with librosa_patched():
        return plain_librosa(paths)


def audiodecode_rewrite(paths: Sequence[Path]) -> Result:
    clock = Stopwatch()
    with clock.phase("get_max_min"):
        _, shortest = idiomatic.get_max_min(paths)
    with clock.phase("load"):
        clips = idiomatic.load_clips(paths, shortest)
    with clock.phase("features"):
        matrix = classic.feature_matrix(clips)
    return Result(matrix, clock.seconds)


def audiodecode_parallel(paths: Sequence[Path]) -> Result:
    clock = Stopwatch()
    with clock.phase("get_max_min"):
        _, shortest = idiomatic.get_max_min(paths)
    with clock.phase("load + features"):
        matrix = idiomatic.extract_features_on_every_core(paths, shortest)
    return Result(matrix, clock.seconds)


VARIANTS: dict[str, Callable[[Sequence[Path]], Result]] = {
    "librosa": plain_librosa,
    "librosa + patch": librosa_with_patch,
    "audiodecode": audiodecode_rewrite,
    "audiodecode, load_batch(transform=features)": audiodecode_parallel,
}


# ------------------------------------------------------------------------------- the driver


def warm_up(path: Path) -> None:
    """Pay the one-time costs (imports, numba compilation) before anything is timed."""
    y, sr = librosa.load(path, duration=0.5)
    audiodecode.load(path, duration=0.5)
    classic.features(y, sr)


def compare(
    paths: Sequence[Path],
    variants: dict[str, Callable[[Sequence[Path]], Result]],
    repeat: int = 1,
) -> dict[str, Result]:
    """Run every variant ``repeat`` times, in turn; keep each phase's best time."""
    warm_up(paths[0])
    runs: dict[str, list[Result]] = {name: [] for name in variants}
    for _ in range(repeat):
        for name, variant in variants.items():
            runs[name].append(variant(paths))
    return {name: best_of(results) for name, results in runs.items()}


def best_of(results: Sequence[Result]) -> Result:
    """The fastest time of each phase (the least disturbed by other work on the machine)."""
    phases = results[0].seconds
    return Result(results[-1].features, {p: min(r.seconds[p] for r in results) for p in phases})


def all_identical(results: dict[str, Result]) -> bool:
    """Whether every variant's feature matrix equals the first one's: values, shape, dtype."""
    reference, *others = results.values()
    return all(
        other.features.dtype == reference.features.dtype
        and np.array_equal(other.features, reference.features)
        for other in others
    )


#: The phases that decode audio (the rest is librosa's feature computation).
DECODING_PHASES = ("get_max_min", "load")


def decoding_seconds(result: Result) -> float | None:
    """Time spent reading audio; None if the variant does not time it apart."""
    if not all(phase in result.seconds for phase in DECODING_PHASES):
        return None
    return sum(result.seconds[phase] for phase in DECODING_PHASES)


def table(results: dict[str, Result]) -> str:
    """The timings as a Markdown table, with speedups over the first variant.

    "decoding" compares the phases that read audio (:data:`DECODING_PHASES`); a variant that
    does not time them apart from the features gets a dash there.
    """
    phases = list(dict.fromkeys(p for result in results.values() for p in result.seconds))
    baseline = next(iter(results.values()))
    header = ["variant", *phases, "total", "decoding speedup", "total speedup"]
    rows = []
    for name, result in results.items():
        ours, theirs = decoding_seconds(result), decoding_seconds(baseline)
        rows.append([
            name,
            *(f"{result.seconds[p]:.3f} s" if p in result.seconds else "-" for p in phases),
            f"{result.total:.3f} s",
            f"{theirs / ours:.1f}x" if ours and theirs else "-",
            f"{baseline.total / result.total:.2f}x",
        ])
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [header, ["-" * w for w in widths], *rows]
    return "\n".join(
        "| " + " | ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                          for i, (cell, w) in enumerate(zip(line, widths, strict=True))) + " |"
        for line in lines
    )


def find_or_make_clips(folder: Path, n_files: int) -> list[Path]:
    """The first ``n_files`` ``.wav`` files under ``folder``; generated there if it has none."""
    existing = sorted(folder.rglob("*.wav")) if folder.is_dir() else []
    if existing:
        return existing[:n_files]
    return make_ravdess_folder(folder, n_files=n_files)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-files", type=int, default=48, help="how many clips (default 48)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each variant; the table shows the best (default 3)")
    parser.add_argument("--folder", type=Path, default=None,
                        help="folder of .wav clips, or where to generate them "
                             "(default: a temporary folder)")
    args = parser.parse_args(argv)

    with contextlib.ExitStack() as stack:
        folder = args.folder or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        paths = find_or_make_clips(folder, args.n_files)
        print(f"{len(paths)} clips in {folder}; best of {args.repeat} runs per variant")
        results = compare(paths, VARIANTS, repeat=args.repeat)

    print(table(results))
    if all_identical(results):
        n_clips, n_features = next(iter(results.values())).features.shape
        print(f"The {len(results)} feature matrices ({n_clips} clips x {n_features} features) "
              "are identical, bit for bit.")
        return 0
    print("The feature matrices DIFFER.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
