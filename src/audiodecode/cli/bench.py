"""``audiodecode bench [PATH ...]``: how much faster than librosa, on your own files.

Loads every audio file under the given paths with audiodecode and with every other loader
that is installed (librosa, soundfile, PyAV, pedalboard, torchcodec; plus a numpy floor for
plain WAV), interleaved, and prints per format the median time per file, audiodecode's
speedup over each, and whether the arrays equal librosa's. Without paths it benchmarks a
generated demo corpus. The engine is :mod:`audiodecode.bench`.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import TYPE_CHECKING, Any, NoReturn

from ._options import add_load_options, positive_int

if TYPE_CHECKING:
    from collections.abc import Iterator

_EPILOG = """\
examples:
  audiodecode bench                            a generated demo corpus: about 30 s of CPU
                                               time, about a minute on two cores (longer
                                               when they are busy or on the first run)
  audiodecode bench data/speech --sr 16000     your files, resampled as your pipeline does
  audiodecode bench song.mp3 --stereo --json   keep the channels; machine-readable output
  audiodecode bench clips/ --quick --loaders librosa,soundfile --plot speedups.png

Every loader does the same work: decode to float32, average the channels (as librosa.to_mono),
resample with soxr_hq where it has no resampler of its own (pedalboard's is not used either,
so every column compares decoders); the notes under the tables say what each loader runs.
Progress goes to stderr, the report to stdout. Exit status: 0 when audiodecode read every
audio file, 1 when it could not read one (they are listed), 2 for bad usage.
"""


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="compare load times and outputs with librosa and other loaders (the main job)",
        description=(
            "Time audiodecode against every other installed loader on audio files (folders "
            "are searched recursively; formats are recognised from the bytes, not the name), "
            "and check that its arrays equal librosa.load's. Without PATH, a demo corpus of "
            "WAV, FLAC, MP3, Ogg Vorbis, Ogg Opus and M4A speech clips (3 of each) and one "
            "20 s WAV is generated in a temporary folder (--keep DIR keeps it)."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="audio files or folders")
    add_load_options(
        parser,
        sr_help="target sampling rate, as librosa.load's sr (default: native, no resampling)",
    )
    parser.add_argument(
        "--iterations", type=positive_int, default=None, metavar="K",
        help=f"timed loads of each file by each loader, after a warm-up (default: "
        f"{_ITERATIONS}; {_DEMO_ITERATIONS} on the demo corpus); cold starts per loader: K, "
        f"at most {_COLD_START_REPEATS}",
    )
    parser.add_argument(
        "--loaders", type=_loader_names, default=None, metavar="NAME,...",
        help="compare with these only (audiodecode always runs): librosa, soundfile, pyav, "
        "pedalboard, torchcodec, numpy_floor; default: every one installed",
    )
    parser.add_argument(
        "--cache", action="store_true",
        help="also time audiodecode with a warm decode cache (audiodecode.cache) beside the "
        "cold loads: the same arrays, read back instead of decoded",
    )
    parser.add_argument(
        "--quick", action="store_true",
        help="skip the child-process measurements (cold start and peak memory)",
    )
    parser.add_argument(
        "--keep", metavar="DIR",
        help="without PATH: write the demo corpus into DIR (a new or empty folder) and keep "
        "it, instead of a temporary folder deleted at the end",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--plot", metavar="FILE.png",
                        help="also write a bar chart of the speedups (needs matplotlib: "
                        "pip install 'audiodecode[plot]')")
    parser.set_defaults(func=run)
    # ``add_parser`` builds the class of the main parser; ours differs only in its errors.
    parser.__class__ = _BenchParser


class _BenchParser(argparse.ArgumentParser):
    """Usage errors in one line, not argparse's usage block over a dozen options."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def parse_known_args(  # type: ignore[override]  # the signature differs across Pythons
        self, args: Any = None, namespace: Any = None,
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:  # else the main parser reports them, with its usage block
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras


def _loader_names(text: str) -> list[str]:
    from ..bench import LOADER_NAMES

    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in LOADER_NAMES]
    if unknown or not names:
        problem = f"unknown loader {unknown[0]!r}" if unknown else "no loader named"
        msg = f"{problem}; choose from {', '.join(LOADER_NAMES)}"
        raise argparse.ArgumentTypeError(msg)
    return names


def _error(message: str, code: int = 2) -> int:
    print(f"audiodecode bench: error: {message}", file=sys.stderr)
    return code


def run(args: argparse.Namespace) -> int:
    import json
    import os

    from .. import bench
    from ..bench import demo

    missing = [path for path in args.paths if not os.path.exists(path)]
    if missing:
        return _error(f"no such file or directory: {missing[0]}")
    if args.keep is not None:
        if args.paths:
            return _error("--keep keeps the generated demo corpus: use it without PATH")
        if os.path.exists(args.keep) and (not os.path.isdir(args.keep) or os.listdir(args.keep)):
            return _error(f"--keep {args.keep}: not a new or empty folder (to benchmark what "
                          f"it holds: audiodecode bench {args.keep})")
    if args.plot:
        try:
            import matplotlib  # noqa: F401 - fail now, not after minutes of measuring
        except ImportError:
            return _error("--plot needs matplotlib: pip install 'audiodecode[plot]'", code=1)
    names = args.loaders
    if args.cache:
        others = bench.DEFAULT_LOADER_NAMES if names is None else names
        names = [*others, "audiodecode_cached"]
    loaders, statuses = bench.resolve_loaders(names)
    with _corpus_folder(args.keep) as scratch:
        if args.paths:
            found = bench.find_files(args.paths)
        else:
            where = (f"in {scratch} (kept)" if args.keep is not None else
                     "in a temporary folder, deleted at the end (--keep DIR keeps it)")
            print(f"No PATH given: writing a demo corpus {where}; pass files or folders to "
                  f"benchmark your own", file=sys.stderr, flush=True)
            demo.make_demo_corpus(
                scratch, clips_per_format=demo.DEMO_CLIPS_PER_FORMAT,
                long_seconds=demo.DEMO_LONG_SECONDS,
                progress=lambda group: print(f"      writing {group} ...", file=sys.stderr,
                                             flush=True))
            found = bench.find_files([scratch])
        if not found.files:
            return _error("no audio files found", code=1)
        iterations = args.iterations or (_ITERATIONS if args.paths else _DEMO_ITERATIONS)
        report = bench.benchmark(
            bench.group_by_format(found.files, sr=args.sr, mono=args.mono),
            loaders=loaders,
            iterations=iterations,
            cold_start=None if args.quick else bench.ColdStartSpec(
                sr=args.sr, mono=args.mono, repeats=min(iterations, _COLD_START_REPEATS)),
            memory=None if args.quick else bench.MemorySpec(
                settings=((16000, True), (None, args.mono))),
            progress=True,
            statuses=statuses,
            skipped=found.skipped,
        )
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(bench.format_report(report), end="")
    if args.plot:
        bench.plot(report, args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)
    if args.keep is not None:
        print(f"The demo corpus is kept in {args.keep}: audiodecode bench {args.keep} "
              f"runs it again", file=sys.stderr)
    return 1 if report.unreadable else 0


#: Timed loads of each file by each loader; fewer on the demo corpus, whose ratios settle
#: within 3 and whose time a first-time user waits for.
_ITERATIONS = 5
_DEMO_ITERATIONS = 3
#: Cold starts per loader: each is a whole interpreter importing its library (librosa takes
#: seconds), and their ratios are large; more rounds cost much and change little.
_COLD_START_REPEATS = 3


@contextlib.contextmanager
def _corpus_folder(keep: str | None) -> Iterator[str]:
    """``keep`` (created), or a temporary folder removed on the way out."""
    import os
    import tempfile

    if keep is not None:
        os.makedirs(keep, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="audiodecode-bench-") as scratch:
        yield scratch
