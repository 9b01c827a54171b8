"""Options that several subcommands share, so they parse and read the same everywhere."""

from __future__ import annotations

import argparse
import math


def sample_rate(text: str) -> float | None:
    """``--sr``'s type: a positive rate, or ``native``/``none`` for the file's own."""
    if text.lower() in ("native", "none"):
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        msg = f"{text!r} is not a positive sampling rate or 'native'"
        raise argparse.ArgumentTypeError(msg)
    return int(value) if value.is_integer() else value


def positive_int(text: str) -> int:
    """The type of counts such as ``--workers`` and ``--iterations``."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        msg = f"{text!r} is not a positive integer"
        raise argparse.ArgumentTypeError(msg)
    return value


def add_load_options(parser: argparse.ArgumentParser, *, sr_help: str) -> None:
    """``--sr`` and ``--mono``/``--stereo``, with ``load``'s defaults except the rate."""
    parser.add_argument("--sr", type=sample_rate, default=None, metavar="N|native", help=sr_help)
    channels = parser.add_mutually_exclusive_group()
    channels.add_argument("--mono", dest="mono", action="store_true", default=True,
                          help="average the channels, as librosa.load does (default)")
    channels.add_argument("--stereo", dest="mono", action="store_false",
                          help="keep every channel (librosa.load(..., mono=False))")
