"""Resampling with librosa's semantics, block by block where the method allows it.

``librosa.resample`` runs ``soxr.resample`` over the whole signal, then fixes the length to
``ceil(n * sr_out / sr_in)`` (trimming, or padding with zeros) and casts back to the input
dtype. ``soxr.ResampleStream`` fed block by block gives the same samples as the one-shot call,
mono and multichannel (python-soxr tests this; our tests check it too), so the soxr methods run
in constant memory. A signal short enough to be read in one block goes through libsoxr's
one-shot call instead, which runs without the GIL (:mod:`audiodecode._libsoxr`). The other
methods (``scipy``/``fft``, ``polyphase``, the ``samplerate`` and ``resampy`` filters) need the
whole signal, so they collect it first and then call the same function librosa calls, imported
only when asked for.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from audiodecode._libsoxr import oneshot

if TYPE_CHECKING:
    from collections.abc import Callable

SOXR_TYPES = frozenset({"soxr_vhq", "soxr_hq", "soxr_mq", "soxr_lq", "soxr_qq"})
_SCIPY_TYPES = frozenset({"scipy", "fft", "polyphase"})
_SAMPLERATE_TYPES = frozenset(
    {"linear", "zero_order_hold", "sinc_best", "sinc_medium", "sinc_fastest"}
)
_RESAMPY_TYPES = frozenset({"kaiser_best", "kaiser_fast"})
RES_TYPES = SOXR_TYPES | _SCIPY_TYPES | _SAMPLERATE_TYPES | _RESAMPY_TYPES

#: The target rates ``load`` and ``stream`` accept, in Hz: 1 Hz to 2**20 Hz (1,048,576). Far
#: outside it libsoxr fails in ways a caller cannot catch: ``sr=1e-300`` designs its filter
#: forever, ``sr=1e9`` overflows its 32-bit output lengths (a segmentation fault).
SR_MIN, SR_MAX = 1.0, float(1 << 20)
#: The steepest downsampling accepted, ``sr / native rate``: libsoxr's filter design time
#: grows with the inverse ratio (0.3 s at 1/16384, minutes at 1/10**6), without the GIL and
#: beyond Ctrl-C. A file whose rate and ``sr`` are further apart than this (or than
#: ``MAX_RATIO``) is refused with ``UnsupportedFormatError``.
MIN_RATIO = 2.0**-14
#: The steepest upsampling accepted: beyond it libsoxr's internal buffers grow far past the
#: output (330 MB held for an 84 MB output at a ratio of 22050, a 1 Hz header at the default
#: sr), however the input is cut up. 1024 covers 1 kHz to 1 MHz.
MAX_RATIO = 1024.0


def check_res_type(res_type: str) -> None:
    """Raise ``ValueError`` unless ``librosa.resample`` knows ``res_type``."""
    if res_type not in RES_TYPES:
        names = ", ".join(sorted(RES_TYPES))
        msg = f"res_type={res_type!r} is not a resampling method; expected one of {names}"
        raise ValueError(msg)


def output_length(n_frames: int, sr_in: float, sr_out: float) -> int:
    """``librosa.resample``'s final length, with the same floating-point steps."""
    ratio = float(sr_out) / sr_in
    return math.ceil(n_frames * ratio)


class Resampler:
    """Turns native-rate blocks into target-rate blocks; ``flush`` returns the tail.

    Blocks are ``(k,)`` for one channel and ``(k, channels)`` otherwise. The output is *not*
    length-fixed: the caller pads or trims to :func:`output_length`, because only it knows how
    many frames were read in the end.
    """

    def __init__(self, sr_in: float, sr_out: float, channels: int, dtype: np.dtype) -> None:
        self.sr_in, self.sr_out, self.channels, self.dtype = sr_in, sr_out, channels, dtype

    def push(self, block: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def flush(self) -> np.ndarray:
        raise NotImplementedError

    def whole(self, signal: np.ndarray) -> np.ndarray:
        """Resample a complete signal in one call (instead of ``push`` + ``flush``).

        The result has librosa's length, :func:`output_length` of the signal's, and is a new
        array that nothing else refers to: the caller may keep it.
        """
        resampled = np.concatenate((self.push(signal), self.flush()))
        length = output_length(len(signal), self.sr_in, self.sr_out)
        if resampled.ndim == 2:
            return fit_length(resampled, length)
        return fit_length(resampled[:, None], length)[:, 0]


class SoxrResampler(Resampler):
    def __init__(
        self, sr_in: float, sr_out: float, channels: int, dtype: np.dtype, quality: str
    ) -> None:
        super().__init__(sr_in, sr_out, channels, dtype)
        self.quality = quality
        self._stream: Any = None  # created on the first push; ``whole`` needs none

    def push(self, block: np.ndarray) -> np.ndarray:
        if self._stream is None:
            self._stream = _new_stream(
                self.sr_in, self.sr_out, self.channels, self.dtype, self.quality
            )
        out: np.ndarray = self._stream.resample_chunk(block)
        return out

    def flush(self) -> np.ndarray:
        empty = np.empty((0,) if self.channels == 1 else (0, self.channels), self.dtype)
        if self._stream is None:  # nothing was pushed: an empty signal
            self.push(empty)
        out: np.ndarray = self._stream.resample_chunk(empty, last=True)
        return out

    def whole(self, signal: np.ndarray) -> np.ndarray:
        length = output_length(len(signal), self.sr_in, self.sr_out)
        resample = oneshot()
        if resample is not None:
            # All of it without the GIL, straight into the array returned (``_libsoxr``).
            resampled = resample(signal, self.sr_in, self.sr_out, self.quality, length)
            if resampled is not None:
                return resampled
        # Where the binding is not made (or is switched off): a python-soxr stream, which
        # gives the same samples as its one-shot ``soxr.resample`` (a stream internally).
        # Not ``soxr.resample`` itself: for ``(n, 1)`` input it returns a view, which
        # ``fit_length`` cannot grow, so the third of speech clips that soxr leaves one frame
        # short would be copied; a stream's result owns its samples.
        stream = _new_stream(self.sr_in, self.sr_out, self.channels, self.dtype, self.quality)
        # soxr's result is passed on without a name: a local reference to it would stop
        # ``fit_length`` growing it. Mono goes through as ``(n, 1)``, whose result is the
        # array that owns the samples (python-soxr's own mono path returns a view of it).
        if signal.ndim == 2:
            return fit_length(stream.resample_chunk(signal, last=True), length)
        return fit_length(stream.resample_chunk(signal[:, None], last=True), length)[:, 0]


def fit_length(resampled: np.ndarray, length: int) -> np.ndarray:
    """A new ``(k, channels)`` array, cut or zero-padded to ``length`` frames.

    As ``librosa.util.fix_length`` does after resampling, without its copy when the array can
    grow in place: soxr returns one frame short of librosa's length for about a third of
    speech clips, and a copy there cost a new array's page faults on top of the memcpy.
    python-soxr's result owns its memory, so ``ndarray.resize`` extends it with ``realloc``;
    when anything else still refers to it, numpy refuses and the frames are copied instead.
    """
    frames = len(resampled)
    if frames >= length:
        return resampled[:length]
    if resampled.base is None and resampled.flags.owndata:
        try:
            resampled.resize((length, resampled.shape[1]), refcheck=True)
        except ValueError:
            pass
        else:
            resampled[frames:] = 0
            return resampled
    padded = np.zeros((length, resampled.shape[1]), resampled.dtype)
    padded[:frames] = resampled
    return padded


def _new_stream(sr_in: float, sr_out: float, channels: int, dtype: np.dtype, quality: str) -> Any:
    import soxr

    return soxr.ResampleStream(sr_in, sr_out, channels, dtype=dtype, quality=quality)


class WholeSignalResampler(Resampler):
    """Collects the signal, then resamples it in one call, as ``librosa.resample`` does."""

    def __init__(
        self, sr_in: float, sr_out: float, channels: int, dtype: np.dtype, res_type: str
    ) -> None:
        super().__init__(sr_in, sr_out, channels, dtype)
        self.res_type = res_type
        self._function = _whole_signal_function(res_type, sr_in, sr_out)
        self._blocks: list[np.ndarray] = []

    def push(self, block: np.ndarray) -> np.ndarray:
        self._blocks.append(block.copy())
        return block[:0]

    def flush(self) -> np.ndarray:
        shape = (0,) if self.channels == 1 else (0, self.channels)
        y = np.concatenate(self._blocks) if self._blocks else np.empty(shape, self.dtype)
        self._blocks = []
        # librosa works on (channels, n) and resamples along the last axis.
        y_hat = self._function(y.T, output_length(y.shape[0], self.sr_in, self.sr_out))
        out: np.ndarray = np.asarray(y_hat, dtype=self.dtype).T
        return out


def _whole_signal_function(
    res_type: str, sr_in: float, sr_out: float
) -> Callable[[np.ndarray, int], Any]:
    ratio = float(sr_out) / sr_in
    if res_type in _SCIPY_TYPES:
        signal = _optional_import("scipy.signal", "scipy", res_type)
        if res_type != "polyphase":
            return lambda y, n: signal.resample(y, n, axis=-1)
        if int(sr_in) != sr_in or int(sr_out) != sr_out:
            msg = "polyphase resampling is only supported for integer-valued sampling rates."
            raise ValueError(msg)
        gcd = math.gcd(int(sr_in), int(sr_out))
        up, down = int(sr_out) // gcd, int(sr_in) // gcd
        return lambda y, n: signal.resample_poly(y, up, down, axis=-1)
    if res_type in _SAMPLERATE_TYPES:
        samplerate = _optional_import("samplerate", "samplerate", res_type)
        return lambda y, n: np.apply_along_axis(
            samplerate.resample, axis=-1, arr=y, ratio=ratio, converter_type=res_type
        )
    resampy = _optional_import("resampy", "resampy", res_type)
    return lambda y, n: resampy.resample(y, sr_in, sr_out, filter=res_type, axis=-1)


def _optional_import(module: str, package: str, res_type: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        msg = (
            f"res_type={res_type!r} needs the {package!r} package: "
            f"pip install {package}  (or pip install 'audiodecode[resample]')"
        )
        raise ImportError(msg) from None


def make_resampler(
    sr_in: float, sr_out: float | None, res_type: str, channels: int, dtype: np.dtype
) -> Resampler | None:
    """The resampler for this request, or ``None`` when the rates are equal (librosa's test)."""
    if sr_out is None or sr_in == sr_out:
        return None
    if res_type in SOXR_TYPES:
        return SoxrResampler(sr_in, sr_out, channels, dtype, res_type)
    return WholeSignalResampler(sr_in, sr_out, channels, dtype, res_type)
