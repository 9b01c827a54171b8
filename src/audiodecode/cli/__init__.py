"""The ``audiodecode`` command line: ``bench`` (the main job), ``run``, ``info``, ``decode``
and ``cache``.

Each subcommand lives in its own module with two functions: ``add_parser(subparsers)``
registers it, and the parser's ``func`` runs it and returns the exit code. Modules import
only the standard library at import time, so ``audiodecode --help`` is instant.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, NoReturn

from .._version import __version__

if TYPE_CHECKING:
    from collections.abc import Sequence


class _Parser(argparse.ArgumentParser):
    """argparse's parser, with usage errors on one line (exit 2): the usage text is a
    ``--help`` away, and one line is what a script's log can show."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``audiodecode`` argument parser with every subcommand registered."""
    from . import bench, cache, decode, info, run

    parser = _Parser(
        prog="audiodecode",
        description="Load audio for machine learning: librosa.load's exact array, faster.",
    )
    parser.add_argument("--version", action="version", version=f"audiodecode {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (bench, run, info, decode, cache):
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 failure, 2 bad usage).

    Examples
    --------
    >>> main(["--version"])  # doctest: +SKIP
    audiodecode 0.1.0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    code: int = args.func(args)
    return code
