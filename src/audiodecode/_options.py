"""``load``'s keywords as one checked value: each layer builds it once and passes it down.

``load``, ``stream``, ``load_batch``/``imap``, ``AudioDataset``, ``DecodeBatch``,
``read_audio`` and the librosa patch each take the keywords in their own signature (so that
help and type checkers show them), turn them into a :class:`LoadOptions` and check it once,
before any file is opened; the cache key and the pipeline's :func:`~audiodecode._pipeline.plan`
read that one value. ``tests/test_signatures.py`` holds every signature to
:data:`LoadOptions`'s fields and defaults.
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from ._resample import RES_TYPES, SR_MAX, SR_MIN, check_res_type
from ._span import check_span
from .backends import check_backend

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["MAX_DURATION", "LoadOptions", "set_max_duration"]

FLOAT32, _FLOAT64 = np.dtype(np.float32), np.dtype(np.float64)

#: The default ``max_duration`` of :func:`~audiodecode.load`, in seconds (24 hours); see
#: :func:`set_max_duration`.
MAX_DURATION = DEFAULT_MAX_DURATION = 24 * 3600.0


class LoadOptions(NamedTuple):
    """What to decode, whatever the file: the keywords of :func:`~audiodecode.load`.

    A named tuple rather than a frozen dataclass: one is built on every ``load``, and a
    dataclass's ``__init__`` costs a microsecond that the speech-clip benchmark sees. Build
    one with the keywords, then call :meth:`checked`; the layers keep the checked value.

    Examples
    --------
    >>> options = LoadOptions(sr=16000, mono=False).checked()
    >>> options.sr, options.dtype
    (16000, dtype('float32'))
    >>> LoadOptions(sr=-1).checked()
    Traceback (most recent call last):
    ...
    ValueError: sr=-1 must be None or a number of Hz from 1 to 1.04858e+06
    """

    sr: float | None = 22050
    mono: bool = True
    offset: float = 0.0
    duration: float | None = None
    #: Resolved to ``np.dtype(np.float32)`` or ``np.dtype(np.float64)`` by :meth:`checked`.
    dtype: Any = np.float32
    res_type: str = "soxr_hq"
    backend: str | None = None
    #: ``None``: the process default, :data:`MAX_DURATION`, read when a file is planned.
    max_duration: float | None = None

    def checked(self) -> LoadOptions:
        """These options, validated, with ``dtype`` resolved.

        Checks what no file could satisfy; ``offset`` against the file's length is checked
        once the file is open.

        Raises
        ------
        ValueError
            ``sr`` outside 1 to 2**20 Hz, a ``dtype`` other than float32/float64, an unknown
            ``res_type`` (when resampling) or ``backend``, a non-finite ``offset``, a NaN
            ``duration``, a ``max_duration`` that is not a positive number.

        Examples
        --------
        >>> LoadOptions(dtype="float64").checked().dtype
        dtype('float64')
        """
        # Run on every load: locals and inline tests, as each attribute read and call shows.
        sr, _, offset, duration, dtype, res_type, backend, max_duration = self
        if sr is not None:
            if isinstance(sr, bool) or not isinstance(sr, _REAL_TYPES) or not (
                SR_MIN <= sr <= SR_MAX
            ):
                msg = f"sr={sr!r} must be None or a number of Hz from {SR_MIN:g} to {SR_MAX:g}"
                raise ValueError(msg)
            if res_type not in RES_TYPES:
                check_res_type(res_type)
        if backend is not None:
            check_backend(backend)
        if offset != 0.0 or duration is not None:
            _check_seconds(offset, duration)
            check_span(offset, duration)
        if max_duration is not None:
            check_max_duration(max_duration)
        if dtype is FLOAT32 or dtype is _FLOAT64:
            return self
        return self._replace(dtype=_resolve_dtype(dtype))

    @classmethod
    def from_keywords(cls, keywords: Mapping[str, Any], caller: str) -> LoadOptions:
        """Checked options from a ``**load_kwargs`` mapping that ``caller`` passes on.

        Examples
        --------
        >>> LoadOptions.from_keywords({"sr": 16000}, "load_batch").sr
        16000
        >>> LoadOptions.from_keywords({"rate": 16000}, "load_batch")
        Traceback (most recent call last):
        ...
        TypeError: got an unexpected keyword argument 'rate'; load_batch passes these keywords to audiodecode.load
        """
        for name in keywords:
            if name not in cls._field_defaults:
                msg = (f"got an unexpected keyword argument {name!r}; {caller} passes these "
                       "keywords to audiodecode.load")
                raise TypeError(msg)
        return cls(**keywords).checked()

    def resolved_max_duration(self) -> float:
        """``max_duration``, or the process default when it is ``None``."""
        return MAX_DURATION if self.max_duration is None else self.max_duration

    def keywords(self) -> dict[str, Any]:
        """The options as ``load``'s keyword arguments (``load(path, **options.keywords())``)."""
        return self._asdict()

    def librosa_keywords(self) -> dict[str, Any]:
        """The options ``librosa.load`` takes (all but ``backend`` and ``max_duration``)."""
        keywords = self._asdict()
        del keywords["backend"], keywords["max_duration"]
        return keywords


def _resolve_dtype(dtype: Any) -> np.dtype:
    if dtype is np.float32 or dtype is FLOAT32:  # the default: skip numpy's dtype machinery
        return FLOAT32
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    # ``dtype == None`` is true for float64 in numpy, so compare the scalar types.
    if dtype is None or resolved is None or resolved.type not in (np.float32, np.float64):
        msg = f"dtype={dtype!r} must be np.float32 or np.float64"
        raise ValueError(msg)
    return FLOAT32 if resolved.type is np.float32 else _FLOAT64


# Real numbers: numpy's complex scalars are ``np.number`` too, and compare by their real part.
_REAL_TYPES = (int, float, np.integer, np.floating)


def _check_seconds(offset: float, duration: float | None) -> None:
    """Raise ``ValueError`` for an offset or duration that is not a real number of seconds a
    float can hold (``10**400``, ``1j``), or a duration of minus infinity."""
    for name, value in (("offset", offset), ("duration", duration)):
        if value is None:
            continue
        text = repr(value) if len(repr(value)) <= 40 else repr(value)[:20] + "..."
        if not isinstance(value, numbers.Real):
            msg = f"{name}={text} must be a real number of seconds"
            raise ValueError(msg)  # noqa: TRY004 - every bad value of load's is a ValueError
        try:
            seconds = float(value)
        except OverflowError:
            msg = f"{name}={text} is too large to be a number of seconds"
            raise ValueError(msg) from None
        if name == "duration" and seconds == -math.inf:
            msg = "duration=-inf must be a number of seconds, math.inf or None"
            raise ValueError(msg)


def check_max_duration(seconds: float) -> None:
    """Raise ``ValueError`` unless ``seconds`` is a positive number (``math.inf`` included)."""
    if isinstance(seconds, bool) or not isinstance(seconds, _REAL_TYPES) or not (
        seconds > 0
    ):
        msg = f"max_duration={seconds!r} must be a positive number of seconds (math.inf: none)"
        raise ValueError(msg)


def set_max_duration(seconds: float) -> float:
    """Set the default ``max_duration`` of :func:`~audiodecode.load` for the process; return
    the old one.

    ``load`` refuses audio longer than this (:class:`~audiodecode.AudioTooLargeError`) unless
    called with its own ``max_duration``. While it is the default (24 hours) and a call
    passes none, a file may also decode to at most 1024 bytes per byte of the file (or 256
    MiB, whichever is more): the decompression-bomb bound. Setting any other value, like
    passing ``max_duration``, leaves the duration as the only bound. The limit guards against files whose few bytes
    decode to hours of samples (a header claiming 1 Hz, FLAC or Opus silence); it is a
    duration in seconds of the file's audio, so the output is at most ``seconds * sr``
    frames. ``math.inf`` removes it.

    Examples
    --------
    >>> previous = set_max_duration(3600.0)
    >>> previous
    86400.0
    >>> set_max_duration(previous)
    3600.0
    """
    global MAX_DURATION
    check_max_duration(seconds)
    previous, MAX_DURATION = MAX_DURATION, float(seconds)
    return previous
