"""How each call to a patched librosa function is routed: to audiodecode, or back to librosa.

:func:`audiodecode.compat.patch_librosa` installs one wrapper per patched function, built by
:func:`make_wrapper`; the table of which calls audiodecode answers is in compat's docstring.
This module is the implementation of that table.

A wrapper binds the call's arguments to librosa's own signature (a call that does not fit goes
to librosa, which raises its own ``TypeError``) and hands them to the function's router. A
router fills in librosa's defaults (:func:`_options`: a parameter audiodecode does not know,
given a value other than its default, sends the call to librosa) and returns either
audiodecode's answer or ``_DEFER``, on which the wrapper calls librosa's function unchanged.
Nothing is routed while the patch is off or the rollback switch (``AUDIODECODE_BACKEND``) is
set: a reference taken during the patch calls librosa after it.

audiodecode's attempt runs first; where it raises, :func:`_answer_or_defer` (and, for
``stream``, :func:`_stream_or_defer` before the first block) rewinds the source and asks
librosa, so the result or exception is librosa's own. A source that cannot be rewound (a file
descriptor, an open ``SoundFile``, an unseekable stream) keeps audiodecode's exception. Which
calls fell back, and why, goes to the ``audiodecode.compat`` logger at DEBUG level.

librosa < 1.0 (``STATE.legacy_librosa``) reads a path libsndfile cannot read with audioread;
audiodecode is asked to refuse such paths by passing ``libsndfile_only=True`` down
(:func:`_refuses_audioread_paths`), and its ``stream`` to follow 0.11's block rules by passing
``librosa_011=True`` (``_api.stream_blocks``).
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import pathlib
import sys
from collections.abc import Callable, Generator
from typing import Any

import numpy as np

from .. import _api, _load
from .._load import PATCH_MARK
from .._options import LoadOptions
from .._resample import RES_TYPES, SOXR_TYPES
from ._state import STATE

__all__ = ["make_wrapper"]

# compat's docstring names this logger: the one users configure, wherever the code lives.
_logger = logging.getLogger("audiodecode.compat")

# What a router returns when librosa should answer the call.
_DEFER = object()

Router = Callable[[inspect.BoundArguments, Callable[[], Any]], Any]


def make_wrapper(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    """The patch's stand-in for ``original``, the librosa function ``name`` (or something that
    wraps it): routed to audiodecode while the patch is on, ``original`` itself otherwise."""
    signature = inspect.signature(original)  # follows __wrapped__ to the undecorated function
    router = _ROUTERS[name]

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if STATE.active and not _load.ROLLED_BACK:
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError:
                pass  # librosa raises its own TypeError below
            else:
                result = router(bound, lambda: original(*args, **kwargs))
                if result is not _DEFER:
                    return result
        return original(*args, **kwargs)

    setattr(wrapper, PATCH_MARK, True)  # librosa's own function stays findable (_librosa)
    wrapper.__doc__ = (
        f"[Patched by audiodecode.compat.patch_librosa: decodes with audiodecode where it "
        f"gives librosa's answer, see help(audiodecode.compat).]\n\n{original.__doc__ or ''}"
    )
    return wrapper


def _options(bound: inspect.BoundArguments, known: frozenset[str]) -> dict[str, Any] | None:
    """librosa's arguments (defaults filled in), or None if one is unknown and not default.

    Filling in librosa's own defaults, rather than relying on audiodecode's, keeps the answer
    right even if a librosa release changes a default.
    """
    parameters = bound.signature.parameters
    bound.apply_defaults()
    options = {}
    for key, value in bound.arguments.items():
        if key in known:
            options[key] = value
        elif value is not parameters[key].default:
            return None
    return options


def _float_dtype(dtype: Any) -> bool:
    if dtype is None:  # np.dtype(None) is float64, but soundfile refuses None
        return False
    try:
        return np.dtype(dtype) in (np.dtype(np.float32), np.dtype(np.float64))
    except TypeError:
        return False


def _is_audioread_object(obj: Any) -> bool:
    return type(obj).__module__.split(".")[0] == "audioread"


def _rewinder(source: Any) -> Callable[[], None] | None:
    """How to give ``source`` to librosa after audiodecode failed on it; None if it cannot be.

    Paths and bytes are read afresh. A caller's file object is put back where it stood. A
    file descriptor or ``SoundFile`` has been closed or moved by the failed attempt.
    """
    if isinstance(source, (str, os.PathLike, bytes, bytearray, memoryview)):
        return lambda: None
    soundfile = sys.modules.get("soundfile")
    if isinstance(source, int) or (soundfile and isinstance(source, soundfile.SoundFile)):
        return None
    try:
        if callable(getattr(source, "seekable", None)) and not source.seekable():
            return None
        position = source.tell()
    except (AttributeError, OSError, ValueError):
        return None
    return lambda: source.seek(position)


def _answer_or_defer(
    name: str, source: Any, answer: Callable[[], Any], call_librosa: Callable[[], Any]
) -> Any:
    """audiodecode's answer; librosa's (result or exception) when audiodecode raises."""
    rewind = _rewinder(source)
    try:
        return answer()
    except Exception as exc:  # any failure: librosa gives its own answer
        if rewind is None:
            raise
        _logger.debug("librosa.%s: audiodecode failed (%r); librosa answers", name, exc)
    rewind()
    return call_librosa()


_LOAD_OPTIONS = frozenset({"path", "sr", "mono", "offset", "duration", "dtype", "res_type"})


def _route_load(bound: inspect.BoundArguments, call_librosa: Callable[[], Any]) -> Any:
    options = _options(bound, _LOAD_OPTIONS)
    if (
        options is None
        or _is_audioread_object(options["path"])
        or not _float_dtype(options["dtype"])
        or (options["sr"] is not None and options["res_type"] not in RES_TYPES)
        or (STATE.legacy_librosa and _negative(options["offset"]))
    ):
        return _DEFER
    path = options.pop("path")
    only = _refuses_audioread_paths(path)
    # Checked inside the answer: where audiodecode refuses an argument, librosa answers.
    # librosa 0.11 returns a one-channel signal at mono=True as decoded, -0.0 kept.
    answer = lambda: _load.load_with_options(  # noqa: E731 - one call, deferred
        path, LoadOptions(**options).checked(), libsndfile_only=only,
        one_channel_as_decoded=STATE.legacy_librosa)
    return _answer_or_defer("load", path, answer, call_librosa)


def _refuses_audioread_paths(path: Any) -> bool:
    """Whether audiodecode must refuse ``path`` where libsndfile does not read it.

    librosa 0.11 gives a path that libsndfile cannot read (AAC, WMA, video, integer WAV wider
    than 32 bits...) to audioread, with a warning: that answer is librosa's to give, not
    FFmpeg's or audiodecode's WAV reader's. Which decoder answers is known only once the file
    is open, so audiodecode is asked to refuse what libsndfile does not read
    (``libsndfile_only``), and its refusal sends the call to librosa (:func:`_answer_or_defer`).
    """
    return STATE.legacy_librosa and isinstance(path, (str, pathlib.PurePath))


def _negative(offset: Any) -> bool:
    try:
        return bool(offset < 0)
    except TypeError:
        return False


def _route_get_duration(bound: inspect.BoundArguments, call_librosa: Callable[[], Any]) -> Any:
    options = _options(bound, frozenset({"y", "sr", "S", "n_fft", "hop_length", "center", "path"}))
    if options is None or options["path"] is None:
        return _DEFER
    path = options["path"]
    only = _refuses_audioread_paths(path)
    answer = lambda: _api.read_info(path, libsndfile_only=only).duration  # noqa: E731
    return _answer_or_defer("get_duration", path, answer, call_librosa)


def _route_get_samplerate(bound: inspect.BoundArguments, call_librosa: Callable[[], Any]) -> Any:
    options = _options(bound, frozenset({"path"}))
    if options is None or _is_audioread_object(options["path"]):
        return _DEFER
    path = options["path"]
    only = _refuses_audioread_paths(path)
    answer = lambda: _api.read_info(path, libsndfile_only=only).sample_rate  # noqa: E731
    return _answer_or_defer("get_samplerate", path, answer, call_librosa)


_STREAM_OPTIONS = frozenset({
    "path", "block_length", "frame_length", "hop_length", "sr", "mono", "offset", "duration",
    "fill_value", "res_type", "dtype",
})


def _route_stream(bound: inspect.BoundArguments, call_librosa: Callable[[], Any]) -> Any:
    if STATE.stream_is_decorated and "sr" not in bound.arguments:
        return _DEFER  # librosa's decorator warns that sr's default changes: let it
    options = _options(bound, _STREAM_OPTIONS)
    if (
        options is None
        or not _float_dtype(options["dtype"])
        or options.get("res_type", "soxr_hq") not in SOXR_TYPES  # librosa 0.11 has no res_type
        or (STATE.legacy_librosa and (_negative(options["offset"]) or options["duration"] == 0))
    ):
        return _DEFER
    path = options.pop("path")
    try:
        # validates now, reads on the first next(); librosa 0.11's block rules where it is 0.11
        shape = _api.BlockShape(options.pop("block_length"), options.pop("frame_length"),
                                options.pop("hop_length"), options.pop("fill_value")).checked()
        # stream's sr defaults to None (librosa 0.11's stream has no sr at all)
        checked = _api.stream_options(LoadOptions(**{"sr": None, **options}))
        blocks = _api.stream_blocks(path, checked, shape, librosa_011=STATE.legacy_librosa)
    except (ValueError, TypeError):
        return _DEFER  # librosa raises its ParameterError, at the first next() as it does
    return _stream_or_defer(blocks, path, call_librosa)


def _stream_or_defer(
    blocks: Generator[np.ndarray, None, None], path: Any, call_librosa: Callable[[], Any]
) -> Generator[np.ndarray, None, None]:
    """audiodecode's blocks; librosa's stream instead if audiodecode fails before the first."""
    rewind = _rewinder(path)
    try:
        try:
            first = next(blocks)
        except StopIteration:
            return
        except Exception as exc:  # any failure: librosa gives its own answer
            if rewind is None:
                raise
            _logger.debug("librosa.stream: audiodecode failed (%r); librosa answers", exc)
            rewind()
            yield from call_librosa()
            return
        yield first
        yield from blocks
    finally:
        blocks.close()


_ROUTERS: dict[str, Router] = {
    "load": _route_load,
    "get_duration": _route_get_duration,
    "get_samplerate": _route_get_samplerate,
    "stream": _route_stream,
}

