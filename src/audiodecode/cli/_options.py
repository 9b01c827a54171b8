"""Options that several subcommands share, so they parse and read the same everywhere."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .._options import LoadOptions


def sample_rate(text: str) -> float | None:
    """``--sr``'s type: a rate ``load`` accepts, or ``native``/``none`` for the file's own.

    The range is ``load``'s own (:meth:`audiodecode._options.LoadOptions.checked`), checked
    while the command line is parsed: a rate ``load`` would refuse is a usage error (exit 2,
    one line) before anything is read or written.
    """
    if text.lower() in ("native", "none"):
        return None
    try:
        value = float(text)
    except ValueError:
        msg = f"{text!r} is not a sampling rate in Hz or 'native'"
        raise argparse.ArgumentTypeError(msg) from None
    rate = int(value) if value.is_integer() else value
    return check_load_options(sr=rate).sr


def check_load_options(**keywords: Any) -> LoadOptions:
    """``LoadOptions(**keywords).checked()``, its ``ValueError`` as an argparse usage error.

    Examples
    --------
    >>> check_load_options(sr=16000).sr
    16000
    >>> check_load_options(sr=1e9)
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: sr=1000000000.0 must be None or a number of Hz from 1 to 1.04858e+06
    """
    from .._options import LoadOptions

    try:
        return LoadOptions(**keywords).checked()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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
