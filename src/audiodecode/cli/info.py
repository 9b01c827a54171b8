"""``audiodecode info FILE ...``: rate, channels, length and codec, without decoding."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

    from .._info import AudioInfo


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "info",
        help="print sampling rate, channels, duration and codec of audio files",
        description="Print what each file's header says, without decoding the audio.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument(
        "--exact", action="store_true",
        help="decode files whose container only estimates the length, to count every frame",
    )
    parser.set_defaults(func=run)


# Printed under the listing when a length is marked: what the mark means and what to do.
ESTIMATE_NOTE = (
    "~ estimated: the file gives no exact length (a bitrate or stream duration, or a header "
    "promising more bytes than the file holds), so the figure may differ from what load() "
    "returns, which is every decoded sample. "
    "--exact decodes those files to count them."
)


def run(args: argparse.Namespace) -> int:
    from .. import AudioDecodeError

    failed = estimated = False
    for path in args.paths:
        try:
            details = _read_info(path, exact=args.exact)
        except (AudioDecodeError, OSError, ValueError) as exc:
            print(f"{path}: error: {exc}", file=sys.stderr)
            failed = True
            continue
        if args.json:
            record: dict[str, Any] = {"path": path, **asdict(details), "duration": details.duration}
            print(json.dumps(record))
            continue
        mark = "" if details.frames_exact else "~"
        estimated = estimated or not details.frames_exact
        bits = f", {details.bits_per_sample}-bit" if details.bits_per_sample else ""
        print(
            f"{path}: {details.format}/{details.codec}{bits}, {details.sample_rate} Hz, "
            f"{details.channels} ch, {mark}{details.duration:.3f} s ({mark}{details.frames} frames)"
        )
    if estimated:
        print(f"\n{ESTIMATE_NOTE}")
    return 1 if failed else 0


def _read_info(path: str, *, exact: bool) -> AudioInfo:
    from .. import info

    details = info(path)
    if not exact or details.frames_exact:
        return details
    from dataclasses import replace

    from .._source import open_source
    from ..backends import open_reader

    with open_source(path) as source, open_reader(source, details.backend) as reader:
        return replace(details, frames=reader.count_frames(), frames_exact=True)
