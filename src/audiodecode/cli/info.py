"""``audiodecode info PATH ...``: rate, channels, length and codec, without decoding.

Folders are searched as ``decode`` and ``bench`` search them (``audiodecode._discovery``):
one line per audio file; files in them that are not audio are listed on stderr and skipped.
A file named on the command line that is not audio, or a damaged one, is an error (exit 1);
a path that does not exist is bad usage (exit 2, nothing printed).
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from ..errors import AudioDecodeError

if TYPE_CHECKING:
    import argparse

    from .._info import AudioInfo


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "info",
        help="print sampling rate, channels, duration and codec of audio files",
        description="Print what each file's header says, without decoding the audio.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="audio files or folders")
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
    from .._discovery import NOT_AUDIO, classify, walk

    try:
        found = walk(args.paths)
    except OSError as exc:
        print(f"audiodecode info: error: {exc.filename}: {exc.strerror or exc}",
              file=sys.stderr)
        return 2 if isinstance(exc, FileNotFoundError) else 1
    failed = estimated = False
    not_audio: list[str] = []
    for entry in found:
        verdict = classify(entry.path, probe=True)
        if verdict.kind == NOT_AUDIO and not entry.named:
            not_audio.append(f"  {entry.path}: {verdict.reason}")
            continue
        if verdict.info is None:
            what = "not audio" if verdict.kind == NOT_AUDIO else "cannot read it"
            print(f"{entry.path}: error: {what}: {verdict.reason}", file=sys.stderr)
            failed = True
            continue
        try:
            details = _exact(entry.path, verdict.info) if args.exact else verdict.info
        except (AudioDecodeError, OSError, ValueError) as exc:
            print(f"{entry.path}: error: {exc}", file=sys.stderr)
            failed = True
            continue
        _print(entry.path, details, as_json=args.json)
        estimated = estimated or not details.frames_exact
    if estimated and not args.json:
        print(f"\n{ESTIMATE_NOTE}")
    if not_audio:
        print(f"{len(not_audio)} files skipped as not audio:", *not_audio, sep="\n",
              file=sys.stderr)
    return 1 if failed else 0


def _print(path: str, details: AudioInfo, *, as_json: bool) -> None:
    if as_json:
        record: dict[str, Any] = {"path": path, **asdict(details), "duration": details.duration}
        print(json.dumps(record))
        return
    mark = "" if details.frames_exact else "~"
    bits = f", {details.bits_per_sample}-bit" if details.bits_per_sample else ""
    print(
        f"{path}: {details.format}/{details.codec}{bits}, {details.sample_rate} Hz, "
        f"{details.channels} ch, {mark}{details.duration:.3f} s ({mark}{details.frames} frames)"
    )


def _exact(path: str, details: AudioInfo) -> AudioInfo:
    """``details`` with every frame counted, when the container only estimates them."""
    if details.frames_exact:
        return details
    from dataclasses import replace

    from .._source import open_source
    from ..backends import open_reader

    with open_source(path) as source, open_reader(source, details.backend) as reader:
        return replace(details, frames=reader.count_frames(), frames_exact=True)
