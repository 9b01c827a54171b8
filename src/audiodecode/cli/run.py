"""``audiodecode run script.py [args...]``: run an unmodified program with librosa patched.

As ``coverage run`` does, the program runs in this interpreter as ``__main__``, with its own
``sys.argv`` and ``sys.path[0]``; its exit code and its traceback are the ones it would give if
run with ``python`` directly. ``audiodecode run -m package.module [args...]`` runs a module, as
``python -m`` does. librosa stays patched until the process exits.

One difference: ``sys.argv[0]`` is the script's absolute path (as ``__file__`` is, for
``python`` too), where ``python`` keeps it as typed; ``runpy`` sets both from one value.
"""

from __future__ import annotations

import argparse
import os
import sys
import types
from typing import Any

_OWN_FRAMES = frozenset({"runpy", __name__})


def add_parser(subparsers: Any) -> None:
    """Register ``audiodecode run``."""
    parser = subparsers.add_parser(
        "run",
        help="run a Python script or module with librosa.load decoding through audiodecode",
        description=(
            "Run a Python program unchanged, with librosa.load, get_duration, get_samplerate "
            "and stream patched to decode with audiodecode (the same arrays, faster). "
            "Everything after SCRIPT is passed to the program."
        ),
        usage="audiodecode run [-h] [-v] [-m] SCRIPT [ARGS ...]",
    )
    parser.add_argument(
        "-m", dest="as_module", action="store_true",
        help="SCRIPT is a module name, run as 'python -m' runs it",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="say on stderr what was patched"
    )
    parser.add_argument("target", metavar="SCRIPT", help="path of the script (or, with -m, module)")
    parser.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS",
                        help="arguments for the program")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Patch librosa, then run the program; returns its exit code (``SystemExit`` passes)."""
    from ..compat import patch_librosa

    if not args.as_module and not os.path.exists(args.target):
        print(f"audiodecode run: can't open file {os.path.abspath(args.target)!r}: "
              "[Errno 2] No such file or directory", file=sys.stderr)
        return 2  # what python itself returns for a missing script
    try:
        patch_librosa(verbose=args.verbose)
    except ImportError as exc:
        print(f"audiodecode run: {exc}", file=sys.stderr)
        return 1
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    # python puts the script's folder (for -m: the current folder) first on sys.path; that
    # entry is now the audiodecode launcher's, so it is replaced, not added to. Under -P
    # (safe_path, Python 3.11+) python adds nothing, and neither do we.
    if not getattr(sys.flags, "safe_path", False):
        here = os.getcwd() if args.as_module else os.path.dirname(os.path.abspath(args.target))
        sys.path[0:1] = [here]
    try:
        if args.as_module and not _module_exists(args.target):
            print(f"audiodecode run: No module named {args.target}", file=sys.stderr)
            return 1
        sys.argv = [args.target, *args.args]
        _run_target(args.target, as_module=args.as_module)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - printed as python would, then exit 1
        _print_program_traceback(exc)
        return 1
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
    return 0


def _run_target(target: str, *, as_module: bool) -> None:
    import runpy

    if as_module:
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        # python gives the main script an absolute __file__ (3.9+), which tracebacks show
        runpy.run_path(os.path.abspath(target), run_name="__main__")


def _module_exists(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _print_program_traceback(exc: BaseException) -> None:
    """Print the traceback python would print: from the program's first frame, not ours."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_globals.get("__name__") in _OWN_FRAMES:
        tb = tb.tb_next
    exc.__traceback__ = tb
    sys.excepthook(type(exc), exc, tb if isinstance(tb, types.TracebackType) else None)
