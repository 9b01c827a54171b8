"""``audiodecode bench [PATH ...]``: how much faster than librosa, on your own files.

Loads every audio file under the given paths with audiodecode and with every other loader
that is installed (librosa, soundfile, PyAV, pedalboard, torchcodec; plus a numpy floor for
plain WAV), interleaved, and prints per format the median time per file, audiodecode's
speedup over each, and whether the arrays equal librosa's. Without paths it benchmarks a
generated demo corpus. The engine is :mod:`audiodecode.bench`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ._options import add_load_options, positive_int

_EPILOG = """\
examples:
  audiodecode bench                            a generated demo corpus (under a minute)
  audiodecode bench data/speech --sr 16000     your files, resampled as your pipeline does
  audiodecode bench song.mp3 --stereo --json   keep the channels; machine-readable output
  audiodecode bench clips/ --quick --loaders librosa,soundfile --plot speedups.png

Every loader does the same work: decode to float32, average the channels (as librosa.to_mono),
resample with soxr_hq where it has no resampler of its own (pedalboard's is not used either,
so every column compares decoders). Exit status: 0 when audiodecode read every audio file,
1 when it could not read one (they are listed), 2 for bad usage.
"""


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="compare load times and outputs with librosa and other loaders (the main job)",
        description=(
            "Time audiodecode against every other installed loader on audio files (folders "
            "are searched recursively; formats are recognised from the bytes, not the name), "
            "and check that its arrays equal librosa.load's. Without PATH, a demo corpus of "
            "WAV, FLAC, MP3, Ogg Vorbis, Ogg Opus and M4A clips and one long WAV is "
            "generated in a temporary folder."
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
        "--iterations", type=positive_int, default=5, metavar="K",
        help="timed loads of each file by each loader, after a warm-up (default: 5); "
        "also the number of cold starts per loader",
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
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--plot", metavar="FILE.png",
                        help="also write a bar chart of the speedups (needs matplotlib)")
    parser.set_defaults(func=run)


def _loader_names(text: str) -> list[str]:
    from ..bench import LOADER_NAMES

    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in LOADER_NAMES]
    if unknown or not names:
        problem = f"unknown loader {unknown[0]!r}" if unknown else "no loader named"
        msg = f"{problem}; choose from {', '.join(LOADER_NAMES)}"
        raise argparse.ArgumentTypeError(msg)
    return names


def run(args: argparse.Namespace) -> int:
    import json
    import os
    import tempfile

    from .. import bench

    missing = [path for path in args.paths if not os.path.exists(path)]
    if missing:
        print(f"audiodecode bench: error: no such file or directory: {missing[0]}",
              file=sys.stderr)
        return 2
    if args.plot:
        try:
            import matplotlib  # noqa: F401 - fail now, not after minutes of measuring
        except ImportError:
            print("audiodecode bench: error: --plot needs matplotlib: "
                  "pip install 'audiodecode[plot]'", file=sys.stderr)
            return 1
    names = args.loaders
    if args.cache:
        others = bench.DEFAULT_LOADER_NAMES if names is None else names
        names = [*others, "audiodecode_cached"]
    loaders, statuses = bench.resolve_loaders(names)
    with tempfile.TemporaryDirectory(prefix="audiodecode-bench-") as scratch:
        if args.paths:
            found = bench.find_files(args.paths)
        else:
            print(f"No PATH given: generating a demo corpus in {scratch} "
                  "(pass files or folders to benchmark your own)", file=sys.stderr)
            found = bench.make_demo_corpus(scratch)
        if not found.files:
            print("audiodecode bench: error: no audio files found", file=sys.stderr)
            return 1
        report = bench.benchmark(
            bench.group_by_format(found.files, sr=args.sr, mono=args.mono),
            loaders=loaders,
            iterations=args.iterations,
            cold_start=None if args.quick else bench.ColdStartSpec(
                sr=args.sr, mono=args.mono, repeats=args.iterations),
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
    return 1 if report.unreadable else 0
