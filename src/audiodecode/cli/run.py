"""``audiodecode run script.py [args...]``: run an unmodified program with librosa,
torchaudio and Hugging Face datasets patched, wherever each is installed.

As ``coverage run`` does, the program runs in this interpreter as ``__main__``, with its own
``sys.argv`` and ``sys.path[0]``; its exit code and its traceback are the ones it would give if
run with ``python`` directly. ``audiodecode run -m package.module [args...]`` runs a module, as
``python -m`` does. The patches stay until the process exits. One line on stderr says what
was patched; ``AUDIODECODE_PATCH_<NAME>=0`` leaves a library alone
(:func:`audiodecode.compat.patch_installed`).

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
        help="run a Python script or module with librosa, torchaudio and datasets decoding "
             "through audiodecode",
        description=(
            "Run a Python program unchanged, with librosa (load, get_duration, get_samplerate, "
            "stream), torchaudio (load, info, save) and Hugging Face datasets (Audio) decoding "
            "through audiodecode, wherever each is installed; one line on stderr says which. "
            "AUDIODECODE_PATCH_LIBROSA=0 (or _TORCHAUDIO, _DATASETS) leaves one alone. "
            "Everything after SCRIPT is passed to the program."
        ),
        usage="audiodecode run [-h] [-v] [-m] SCRIPT [ARGS ...]",
    )
    parser.add_argument(
        "-m", dest="as_module", action="store_true",
        help="SCRIPT is a module name, run as 'python -m' runs it",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true",
        help="say on stderr what each patch replaced"
    )
    parser.add_argument("target", metavar="SCRIPT", help="path of the script (or, with -m, module)")
    parser.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS",
                        help="arguments for the program")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Patch what is installed, then run the program; returns its exit code (``SystemExit``
    passes)."""
    from ..compat import patch_installed

    if not args.as_module and not os.path.exists(args.target):
        print(f"audiodecode run: can't open file {os.path.abspath(args.target)!r}: "
              "[Errno 2] No such file or directory", file=sys.stderr)
        return 2  # what python itself returns for a missing script
    outcome = patch_installed(verbose=args.verbose)
    print(f"audiodecode run: {_summary(outcome)}", file=sys.stderr)
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


def _summary(outcome: dict[str, str]) -> str:
    """One line: which libraries decode through audiodecode, and why the others do not."""
    patched = [name for name, what in outcome.items() if what == "patched"]
    others = [f"{name}: {what}" for name, what in outcome.items() if what != "patched"]
    verb = "decodes" if len(patched) == 1 else "decode"
    said = (f"{' and '.join(patched)} {verb} through audiodecode" if patched
            else "nothing patched")
    return f"{said} ({'; '.join(others)})" if others else said


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
