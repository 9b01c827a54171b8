"""``audiodecode cache info|clear``: show or empty the decode cache (:mod:`audiodecode.cache`)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse


def add_parser(subparsers: Any) -> None:
    """Register ``audiodecode cache``."""
    parser = subparsers.add_parser(
        "cache",
        help="show or empty the decode cache (AUDIODECODE_CACHE_DIR)",
        description=(
            "Show the decode cache's folder, entries and size, or delete its entries. The "
            "folder is --dir, else $AUDIODECODE_CACHE_DIR, else ~/.cache/audiodecode. Only "
            "files the cache wrote are counted or deleted; anything else in the folder is "
            "left alone. A folder another user could write to is refused."
        ),
    )
    parser.add_argument("action", choices=("info", "clear"))
    parser.add_argument("--dir", metavar="FOLDER", default=None, help="the cache folder")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print or clear; returns the exit code."""
    from dataclasses import asdict

    from .. import cache
    from ..cache._store import scan_folder
    from ..errors import UnsafeCacheFolderError

    try:
        if args.action == "clear":
            removed = cache.clear(args.dir)
            details = cache.info(args.dir)
            record: dict[str, Any] = {"directory": details.directory, "removed": removed}
            text = f"removed {removed} entries from {details.directory}"
        else:
            details = cache.info(args.dir)
            record = asdict(details)
            del record["enabled"]  # always False here: this process decodes nothing
            text = (f"{details.directory}: {details.entries} entries, "
                    f"{_human(details.size)} of {_human(details.max_size)}")
    except (ValueError, UnsafeCacheFolderError) as exc:  # a bad size; a folder others can write
        print(f"audiodecode cache: error: {exc}", file=sys.stderr)
        return 2
    others = scan_folder(details.directory, remove_tmp_after=None).others
    if others:
        text += f" ({others} other files or folders, not the cache's, left alone)"
    print(json.dumps(record) if args.json else text)
    return 0


def _human(n_bytes: int) -> str:
    size = float(n_bytes)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000:
            return f"{size:.3g} {unit}"
        size /= 1000
    return f"{size:.3g} TB"
