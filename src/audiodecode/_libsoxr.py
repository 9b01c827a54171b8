"""libsoxr's one-shot resampling, called through ctypes so that none of it holds the GIL.

python-soxr releases the GIL while it resamples, but not while ``ResampleStream.clear()``
designs the filter again (tens of microseconds per call: BENCHMARKS.md, "What moved the 16 kHz
figure"), and that is the one Python-visible way to reuse a stream. Two threads loading
speech clips queue on that. libsoxr itself has ``soxr_oneshot``, which designs the filter,
resamples and flushes in one call; ctypes releases the GIL for the whole of a foreign call, and
the samples go straight into the array that ``load`` returns, already at librosa's length, so
nothing is zero-filled, copied or grown afterwards.

It is the library python-soxr's extension module carries (or links), with the same io and
quality specs that ``soxr.resample``, librosa's own call, passes, and the same output bound, so
the samples are the same. That is checked once per process against ``soxr.resample`` before the
binding is used. When the binding cannot be made (a build that does not export libsoxr's C API,
as on Windows; a libsoxr other than 0.1.x, whose structs we declare) or the check fails,
:func:`oneshot` returns ``None`` and the caller keeps using python-soxr.
"""

from __future__ import annotations

import ctypes
import functools
import importlib
import math
import os
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable


class _IOSpec(ctypes.Structure):  # soxr.h: struct soxr_io_spec
    _fields_ = (
        ("itype", ctypes.c_int),
        ("otype", ctypes.c_int),
        ("scale", ctypes.c_double),
        ("e", ctypes.c_void_p),
        ("flags", ctypes.c_ulong),
    )


class _QualitySpec(ctypes.Structure):  # soxr.h: struct soxr_quality_spec
    _fields_ = (
        ("precision", ctypes.c_double),
        ("phase_response", ctypes.c_double),
        ("passband_end", ctypes.c_double),
        ("stopband_begin", ctypes.c_double),
        ("e", ctypes.c_void_p),
        ("flags", ctypes.c_ulong),
    )


# soxr.h's datatype enum: interleaved float32 and float64, the dtypes the pipeline resamples.
_DATATYPES = {np.dtype(np.float32): 0, np.dtype(np.float64): 1}
# soxr.h's recipes, by the ``res_type`` names librosa gives them.
_RECIPES = {"soxr_qq": 0, "soxr_lq": 1, "soxr_mq": 2, "soxr_hq": 4, "soxr_vhq": 6}
# python-soxr's extension module: nanobind builds (>= 0.4), then Cython ones.
_EXTENSION_MODULES = ("soxr.soxr_ext", "soxr.cysoxr")


# Frames (per channel) one libsoxr call may produce.
_MAX_FRAMES = 1 << 31


class OneShot:
    """``soxr_oneshot`` over numpy arrays; see :func:`oneshot`."""

    def __init__(self, library: ctypes.CDLL) -> None:
        library.soxr_io_spec.restype = _IOSpec
        library.soxr_io_spec.argtypes = (ctypes.c_int, ctypes.c_int)
        library.soxr_quality_spec.restype = _QualitySpec
        library.soxr_quality_spec.argtypes = (ctypes.c_ulong, ctypes.c_ulong)
        call = library.soxr_oneshot
        call.restype = ctypes.c_char_p  # NULL, or a static error message
        call.argtypes = (
            ctypes.c_double, ctypes.c_double, ctypes.c_uint,  # rates, channels
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p,  # in, ilen, idone
            ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t),  # out, olen, odone
            ctypes.POINTER(_IOSpec), ctypes.POINTER(_QualitySpec), ctypes.c_void_p,
        )  # fmt: skip
        self._call = call
        self._io_specs = {dtype: library.soxr_io_spec(t, t) for dtype, t in _DATATYPES.items()}
        self._quality_specs = {
            name: library.soxr_quality_spec(recipe, 0) for name, recipe in _RECIPES.items()
        }

    def __call__(
        self, signal: np.ndarray, sr_in: float, sr_out: float, quality: str, length: int
    ) -> np.ndarray | None:
        """``signal`` resampled and cut or zero-padded to ``length`` frames, as librosa does.

        ``signal`` is ``(n,)`` or ``(n, channels)``. Returns ``None`` when libsoxr reports an
        error, so that the caller's python-soxr path raises python-soxr's own.
        """
        io_spec = self._io_specs.get(signal.dtype)
        quality_spec = self._quality_specs.get(quality)
        rates_valid = 0 < sr_in < math.inf and 0 < sr_out < math.inf
        if io_spec is None or quality_spec is None or not rates_valid or not len(signal):
            return None
        signal = np.ascontiguousarray(signal)
        frames = len(signal)
        # python-soxr's bound on the output, in its floating-point steps: soxr stops where
        # ``soxr.resample`` stops, which is not always at librosa's length.
        capacity = int(float(frames) * float(sr_out) / float(sr_in) + 1.0)
        if max(capacity, length) >= _MAX_FRAMES:
            # libsoxr keeps lengths in 32-bit ints inside: past 2**31 frames it writes out of
            # bounds (a segmentation fault), past 2**32 it truncates. The pipeline resamples
            # such outputs in blocks; refuse rather than crash if a caller does not.
            msg = f"{max(capacity, length)} output frames are too many for one libsoxr call"
            raise ValueError(msg)
        out = np.empty((max(capacity, length), *signal.shape[1:]), signal.dtype)
        done = ctypes.c_size_t()
        channels = 1 if signal.ndim == 1 else signal.shape[1]
        error = self._call(
            sr_in, sr_out, channels,
            signal.ctypes.data, frames, None,
            out.ctypes.data, capacity, ctypes.byref(done),
            io_spec, quality_spec, None,
        )  # fmt: skip
        if error is not None:
            return None
        out[done.value : length] = 0
        return out[:length] if len(out) > length else out


#: ``AUDIODECODE_SOXR_ONESHOT=0`` turns the binding off (read once, at the first resampling):
#: the escape hatch should a python-soxr or libsoxr release ever disagree in a way the
#: self-check does not see. The samples are the same either way.
DISABLE_ENV = "AUDIODECODE_SOXR_ONESHOT"


@functools.cache
def oneshot() -> OneShot | None:
    """The process's :class:`OneShot`, or ``None`` where it cannot be used (module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> resample = oneshot()
    >>> y = np.ones(4800, np.float32)
    >>> resample(y, 48000, 16000, "soxr_hq", 1600).shape if resample else (1600,)
    (1600,)
    """
    if os.environ.get(DISABLE_ENV, "").strip() == "0":
        return None  # switched off: python-soxr's own calls resample whole signals too
    try:
        library = _extension_library()
        if not library.soxr_version().startswith(b"libsoxr-0.1."):
            return None
        resample = OneShot(library)
    except (ImportError, OSError, AttributeError):
        return None
    return resample if _same_as_python_soxr(resample) else None


def _extension_library() -> Any:
    for name in _EXTENSION_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        library = ctypes.CDLL(module.__file__)  # the loaded module itself; dlopen reuses it
        library.soxr_version.restype = ctypes.c_char_p
        return library
    msg = "no python-soxr extension module"
    raise ImportError(msg)


def _same_as_python_soxr(resample: Callable[..., np.ndarray | None]) -> bool:
    """Whether ``resample`` gives ``soxr.resample``'s samples on a mono and a stereo signal."""
    import soxr

    ramp = np.sin(np.arange(1201) * 0.07)
    for signal, sr_in, sr_out, quality in (
        (ramp.astype(np.float32), 48000, 16000, "soxr_hq"),
        (np.stack([ramp, -ramp], axis=1), 22050, 44100, "soxr_vhq"),
    ):
        expected = soxr.resample(signal, sr_in, sr_out, quality=quality)
        got = resample(signal, sr_in, sr_out, quality, len(expected))
        if got is None or got.dtype != expected.dtype or not np.array_equal(got, expected):
            return False
    return True
