"""``audiodecode info FILE ...``: rate, channels, length and codec, without decoding."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "info",
        help="print sampling rate, channels, duration and codec of audio files",
        description="Print what each file's header says, without decoding the audio.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .. import AudioDecodeError, info

    failed = False
    for path in args.paths:
        try:
            details = info(path)
        except (AudioDecodeError, OSError, ValueError) as exc:
            print(f"{path}: error: {exc}", file=sys.stderr)
            failed = True
            continue
        if args.json:
            record: dict[str, Any] = {"path": path, **asdict(details), "duration": details.duration}
            print(json.dumps(record))
        else:
            bits = f", {details.bits_per_sample}-bit" if details.bits_per_sample else ""
            print(
                f"{path}: {details.format}/{details.codec}{bits}, {details.sample_rate} Hz, "
                f"{details.channels} ch, {details.duration:.3f} s ({details.frames} frames)"
            )
    return 1 if failed else 0
