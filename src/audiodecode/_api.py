"""The public functions: validate the arguments, then run the pipeline."""

from __future__ import annotations

import math
import os
import sys
from contextvars import ContextVar
from typing import TYPE_CHECKING

import numpy as np

from . import _cache_slot, _rollback
from ._info import AudioInfo
from ._librosa import original
from ._options import FLOAT32, LoadOptions, set_max_duration
from ._pipeline import Run, decode, frame_blocks, plan
from ._resample import SOXR_TYPES
from ._source import AudioSource, open_source
from .backends import check_backend, decode_with_fallback, open_reader

if TYPE_CHECKING:
    from collections.abc import Generator

    from numpy.typing import DTypeLike

    from .backends import Reader

__all__ = ["get_duration", "get_samplerate", "info", "load", "load_with_options",
           "set_max_duration", "stream"]


# AUDIODECODE_CACHE_DIR is read once, here; cache.enable()/disable() fill the slot at run time.
if os.environ.get("AUDIODECODE_CACHE_DIR"):
    from .cache import _from_environment

    _cache_slot.active = _from_environment()

#: Where true, ``load`` and ``info`` refuse a file that libsndfile does not read. The librosa
#: patch sets it for a path under librosa < 1.0, which reads such a file with audioread: the
#: refusal sends the call to librosa, for its own answer. Which decoder answers is known only
#: once the file is open, so the check is made here.
libsndfile_only: ContextVar[bool] = ContextVar("libsndfile_only", default=False)


#: Where true, ``stream`` reads and ends its blocks as librosa 0.11's ``stream`` does
#: (``SoundFile.blocks`` with an overlap; no block made only of the previous one's overlap).
#: ``stream`` itself follows librosa 1.0 whatever is installed; the librosa patch sets this
#: under librosa 0.11, so that a patched program sees no change. Read when ``stream`` is
#: called, not when its blocks are drawn.
librosa_011_stream: ContextVar[bool] = ContextVar("librosa_011_stream", default=False)


class _NotLibsndfiles(Exception):  # noqa: N818 - a refusal, not an error any caller sees
    """Raised under ``libsndfile_only``; not an AudioDecodeError, so that no other backend is
    tried (the librosa patch catches it and calls librosa)."""

# What the wav backend reads and libsndfile reads too (libsndfile refuses integer PCM wider
# than 32 bits, which the wav backend reads).
_LIBSNDFILE_WAV_CODECS = frozenset({
    "pcm_u8", "pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_f32le", "pcm_f64le",
})


def _libsndfile_opens(path: str | os.PathLike[str]) -> bool:
    """Whether libsndfile opens the file's header (a cached answer's test under the patch)."""
    import soundfile as sf

    try:
        sf.SoundFile(path).close()
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError):
        return False
    return True


def _refuse_unless_libsndfile(reader: Reader, source_name: str) -> None:
    if reader.name == "sndfile" or (
        reader.name == "wav" and reader.codec in _LIBSNDFILE_WAV_CODECS
    ):
        return
    msg = f"{source_name}: read by {reader.name}, not libsndfile"
    raise _NotLibsndfiles(msg)


def load(
    path: AudioSource,
    *,
    sr: float | None = 22050,
    mono: bool = True,
    offset: float = 0.0,
    duration: float | None = None,
    dtype: DTypeLike = np.float32,
    res_type: str = "soxr_hq",
    backend: str | None = None,
    max_duration: float | None = None,
) -> tuple[np.ndarray, float]:
    """Decode an audio file into a NumPy array, exactly as ``librosa.load`` would.

    Parameters
    ----------
    path : str, os.PathLike, int, bytes, binary file-like, or soundfile.SoundFile
        What to read: a path or URL, an open file descriptor (closed afterwards, as soundfile
        does), a binary file object, the file's bytes, or an open ``SoundFile`` (closed
        afterwards, as ``librosa.load`` does). The container is recognised from its first
        bytes, not its name.
    sr : number from 1 to 2**20, or None
        Target sampling rate in Hz; ``None`` keeps the file's own rate. Beyond that range
        libsoxr hangs or crashes (librosa accepts it and does).
    mono : bool
        Average all channels into one (``librosa.to_mono``).
    offset : float
        Start, in seconds; negative counts back from the end.
    duration : float or None
        Length to read, in seconds; ``None`` reads to the end.
    dtype : np.float32 or np.float64
        Floating-point type of ``y``.
    res_type : str
        Resampling method, as ``librosa.resample`` names them: ``"soxr_hq"`` (default),
        ``"soxr_vhq"``, ``"soxr_mq"``, ``"soxr_lq"``, ``"soxr_qq"``, ``"scipy"``/``"fft"``,
        ``"polyphase"``, ``"linear"``, ``"zero_order_hold"``, ``"sinc_best"``,
        ``"sinc_medium"``, ``"sinc_fastest"``, ``"kaiser_best"``, ``"kaiser_fast"``. Only the
        ``soxr_*`` methods stream in constant memory; the others need their package installed.
    backend : {"wav", "sndfile", "pyav"} or None
        Force one decoder; by default the first that reads the file, in that order.
    max_duration : float > 0 or None
        Refuse audio lasting longer than this many seconds (of the part read) with
        :class:`~audiodecode.AudioTooLargeError`; ``None`` uses the process default, 24 hours
        (:func:`set_max_duration`). Not a ``librosa.load`` argument.

    Returns
    -------
    y : np.ndarray [shape=(n,) or (channels, n)]
        The samples; one-dimensional when mono or when the file has one channel.
    sr : number > 0
        ``sr`` as passed, or the file's native rate when ``sr=None``.

    Raises
    ------
    FileNotFoundError, IsADirectoryError, PermissionError
        ``path`` does not name a file (missing, a dangling symlink, a symlink loop,
        ``song.wav/``), names a directory, or names a file we may not read.
    ValueError
        An argument is out of range (``sr`` outside 1 to 2**20 Hz, an ``offset`` outside the
        audio, a file descriptor that is not open...).
    AudioDecodeError
        The data cannot be decoded; the message names the file and the reason. Subclasses:
        :class:`~audiodecode.CorruptAudioError`, :class:`~audiodecode.UnsupportedFormatError`
        (including a header rate beyond 16384 times ``sr``),
        :class:`~audiodecode.AudioTooLargeError` (``max_duration``) and
        :class:`~audiodecode.NotRegularFileError` (a FIFO, socket or device).

    See Also
    --------
    stream : The same pipeline, in fixed-size overlapping blocks.
    info : Rate, channels and length, without decoding.

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> sf.write("noise.wav", np.random.default_rng(0).uniform(-0.5, 0.5, 48000), 48000)
    >>> y, sr = load("noise.wav", sr=16000)
    >>> y.shape, y.dtype, sr
    ((16000,), dtype('float32'), 16000)
    """
    # The default dtype goes in resolved: checked() then has nothing to rebuild (``load`` is
    # called per file, and a rebuild costs as much as every check together).
    resolved = FLOAT32 if dtype is np.float32 else dtype
    options = LoadOptions(sr, mono, offset, duration, resolved, res_type, backend, max_duration)
    return load_with_options(path, options.checked())


def load_with_options(path: AudioSource, options: LoadOptions) -> tuple[np.ndarray, float]:
    """:func:`load` with checked options: what the layers call for each file.

    ``load_batch``, ``imap``, ``AudioDataset``, ``DecodeBatch`` and the librosa patch check
    the options once (:meth:`LoadOptions.checked`), then call this per file.

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> sf.write("tone.wav", np.sin(np.arange(8000) / 10).astype("float32"), 8000)
    >>> y, sr = load_with_options("tone.wav", LoadOptions(sr=None).checked())
    >>> y.shape, sr
    ((8000,), 8000)
    """
    if _rollback.ROLLED_BACK:
        # librosa's own load, behind the patch's wrapper if librosa is patched.
        result: tuple[np.ndarray, float] = original("load")(path, **options.librosa_keywords())
        return result
    refusing = libsndfile_only.get()  # false but where the librosa patch sets it
    entry = None
    store = _cache_slot.active
    if store is not None and isinstance(path, (str, os.PathLike)):
        entry = store.entry(path, options)
        hit = entry.read(options) if entry is not None else None
        if hit is not None:
            if refusing and not _libsndfile_opens(path):
                # FFmpeg's answer, cached by a plain load: librosa 0.11 answers this path.
                msg = f"{os.fspath(path)!s}: libsndfile does not read it"
                raise _NotLibsndfiles(msg)
            return hit

    def decode_all(reader: Reader) -> tuple[np.ndarray, float]:
        if refusing:
            _refuse_unless_libsndfile(reader, source.name)
        y = decode(reader, plan(reader, options))
        return y, (reader.sample_rate if options.sr is None else options.sr)

    with open_source(path) as source:
        y, sr_out = decode_with_fallback(source, options.backend, decode_all)
    if entry is not None:
        entry.write(y, sr_out)
    return y, sr_out


def stream(
    path: AudioSource,
    *,
    block_length: int,
    frame_length: int,
    hop_length: int,
    sr: float | None = None,
    mono: bool = True,
    offset: float = 0.0,
    duration: float | None = None,
    fill_value: float | None = None,
    res_type: str = "soxr_hq",
    dtype: DTypeLike = np.float32,
    backend: str | None = None,
) -> Generator[np.ndarray, None, None]:
    """Yield fixed-size, overlapping blocks of audio, as ``librosa.stream`` does.

    Block ``i`` holds samples ``[i * block_length * hop_length, ... + (block_length - 1) *
    hop_length + frame_length)`` of the (downmixed, resampled) signal, so that framing each
    block with ``frame_length`` and ``hop_length`` gives ``block_length`` frames without
    overlap between blocks. Memory stays bounded by the block size, whatever the file's
    length.

    Parameters
    ----------
    path : str, os.PathLike, int, bytes, binary file-like, or soundfile.SoundFile
        As in :func:`load`; a caller's ``SoundFile`` is left open, as librosa leaves it.
    block_length : int > 0
        Frames per block.
    frame_length : int > 0
        Samples per frame.
    hop_length : int > 0
        Samples between frame starts.
    sr : number from 1 to 2**20, or None
        Target sampling rate in Hz (librosa 1.0); ``None`` keeps the native rate.
    mono, offset, duration, dtype
        As in :func:`load`.
    fill_value : float or None
        Pad the last block to full length with this value; ``None`` yields it short.
    res_type : str
        A ``soxr_*`` method; the others cannot stream.
    backend : str or None
        As in :func:`load`.

    Yields
    ------
    y : np.ndarray [shape=(n,) or (channels, n)]

    Raises
    ------
    ValueError
        A non-positive length, an ``sr`` whose block step is a fractional number of native
        samples (at the call for an open ``SoundFile``, whose rate is known; else at the first
        block), a non-soxr ``res_type``, or an ``offset`` outside the audio.

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> sf.write("long.wav", np.random.default_rng(0).uniform(-0.5, 0.5, 44100 * 3), 44100)
    >>> blocks = stream("long.wav", block_length=16, frame_length=2048, hop_length=512)
    >>> [b.shape for b in blocks][:2]
    [(9728,), (9728,)]
    """
    for name, value in (("block_length", block_length), ("frame_length", frame_length),
                        ("hop_length", hop_length)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
            msg = f"{name}={value} must be a positive integer"
            raise ValueError(msg)
    if res_type not in SOXR_TYPES:
        msg = f"res_type={res_type} is not a valid soxr resampling mode for streaming"
        raise ValueError(msg)
    # A stream's memory is bounded by its block size, whatever the file's length.
    options = LoadOptions(sr, mono, offset, duration, dtype, res_type, backend, math.inf).checked()
    soundfile = sys.modules.get("soundfile")
    if sr is not None and soundfile is not None and isinstance(path, soundfile.SoundFile):
        # An open SoundFile knows its rate: a step that does not fit it fails now, before the
        # caller's file has moved (so that the librosa patch can still hand the call over).
        native_block_step(block_length, hop_length, sr, path.samplerate)
    return _stream(path, options, block_length, frame_length, hop_length, fill_value,
                   librosa_011_stream.get())


def _stream(
    path: AudioSource, options: LoadOptions, block_length: int, frame_length: int,
    hop_length: int, fill_value: float | None, librosa_011: bool,
) -> Generator[np.ndarray, None, None]:
    block_size = (block_length - 1) * hop_length + frame_length
    advance = block_length * hop_length
    with open_source(path) as source:
        if source.soundfile is not None:
            source.owned = False  # librosa.stream leaves a caller's SoundFile open
        with open_reader(source, options.backend) as reader:
            native_step = native_block_step(block_length, hop_length, options.sr,
                                            reader.sample_rate)
            if librosa_011 and native_step == advance:
                # librosa 0.11: SoundFile.blocks(blocksize=block_size, overlap=...) reads one
                # block, then one advance at a time.
                read_sizes = (block_size, advance)
            else:
                # librosa 1.0: SoundFile.blocks(blocksize=native_step, overlap=0).
                read_sizes = (native_step, native_step)
            the_plan = plan(reader, options, seek_at_zero=True, read_sizes=read_sizes)
            yield from frame_blocks(Run(reader, the_plan), the_plan, block_size, advance,
                                    fill_value, librosa_011_tail=librosa_011)


def native_block_step(
    block_length: int, hop_length: int, sr: float | None, sr_native: float
) -> int:
    """Native samples per block of ``block_length * hop_length`` target samples (librosa 1.0's
    rule).

    librosa 1.0 requires each block to advance by a whole number of native samples; when it
    does not, the error says which ``block_length`` and ``hop_length`` would.

    Examples
    --------
    >>> native_block_step(256, 160, sr=16000, sr_native=44100)
    112896
    """
    advance = block_length * hop_length
    if sr is None or sr == sr_native:
        return advance
    exact = advance * sr_native / sr
    if math.isclose(exact, round(exact), rel_tol=1e-7, abs_tol=1e-5):
        return round(exact)
    msg = (
        f"Target block step of {advance} samples at {sr} results in a fractional sample "
        f"advance at original sampling rate {sr_native}. "
        + _whole_step_hint(sr, sr_native, block_length, hop_length)
    )
    raise ValueError(msg)


def _whole_step_hint(sr: float, sr_native: float, block_length: int, hop_length: int) -> str:
    """Which block_length or hop_length give a whole number of native samples per block."""
    from fractions import Fraction

    # block_length * hop_length * sr_native / sr is whole iff the product is a multiple of
    # the reduced ratio's denominator.
    denominator = (Fraction(sr_native) / Fraction(sr)).denominator
    if denominator > 1 << 20:  # rates such as 16000.3: no block of a sensible size works
        return "Use a target rate whose ratio to the file's rate is a simple fraction."

    def nearest(current: int, unit: int) -> str:
        below, above = current - current % unit, current - current % unit + unit
        choices = [str(n) for n in (below, above) if n > 0]
        return f"a multiple of {unit} (e.g. {' or '.join(choices)})"

    block_unit = denominator // math.gcd(hop_length, denominator)
    hop_unit = denominator // math.gcd(block_length, denominator)
    return (
        f"For a {sr_native:g} Hz file at sr={sr:g}, use a block_length that is "
        f"{nearest(block_length, block_unit)} with hop_length={hop_length}, or a hop_length "
        f"that is {nearest(hop_length, hop_unit)} with block_length={block_length}."
    )


def info(path: AudioSource, *, backend: str | None = None) -> AudioInfo:
    """Read the sampling rate, channel count, length and codec without decoding the audio.

    Parameters
    ----------
    path : str, os.PathLike, int, bytes, binary file-like, or soundfile.SoundFile
        As in :func:`load`. A caller's ``SoundFile`` is left open.
    backend : str or None
        As in :func:`load`: the figures are those of the decoder ``load`` would use.

    Returns
    -------
    AudioInfo

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> sf.write("clip.flac", np.zeros(22050, dtype="float32"), 22050)
    >>> info("clip.flac").duration
    1.0
    """
    check_backend(backend)
    with open_source(path) as source:
        if source.soundfile is not None:
            source.owned = False  # metadata only: the caller goes on using it
        with open_reader(source, backend, decoding=False) as reader:
            if libsndfile_only.get():
                _refuse_unless_libsndfile(reader, source.name)
            return AudioInfo(
                sample_rate=reader.sample_rate,
                channels=reader.channels,
                frames=reader.frames,
                format=reader.format,
                codec=reader.codec,
                bits_per_sample=reader.bits_per_sample,
                frames_exact=reader.frames_exact and not reader.length_in_doubt,
                backend=reader.name,
            )


def get_duration(
    *,
    y: np.ndarray | None = None,
    sr: float = 22050,
    S: np.ndarray | None = None,  # noqa: N803 - librosa's name
    n_fft: int = 2048,
    hop_length: int = 512,
    center: bool = True,
    path: AudioSource | None = None,
) -> float:
    """Duration in seconds of a file (from its metadata), a signal, or a spectrogram.

    Mirrors ``librosa.get_duration``; with ``path`` it reads the header only, so its cost
    does not grow with the file's length.

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> sf.write("two_seconds.wav", np.zeros(32000, dtype="float32"), 16000)
    >>> get_duration(path="two_seconds.wav")
    2.0
    >>> get_duration(y=np.zeros(22050))
    1.0
    """
    if path is not None:
        return info(path).duration
    if y is None:
        if S is None:
            msg = "At least one of (y, sr), S, or path must be provided"
            raise ValueError(msg)
        n_samples = n_fft + hop_length * (S.shape[-1] - 1)
        if center:
            n_samples = n_samples - 2 * int(n_fft // 2)
    else:
        n_samples = y.shape[-1]
    return float(n_samples) / sr


def get_samplerate(path: AudioSource) -> float:
    """The file's native sampling rate, from its header (``librosa.get_samplerate``).

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> sf.write("clip.wav", np.zeros(441, dtype="float32"), 44100)
    >>> get_samplerate("clip.wav")
    44100
    """
    return info(path).sample_rate


if TYPE_CHECKING:
    from collections.abc import Callable


def decode_frames(
    path: AudioSource,
    *,
    start_frame: int,
    n_frames: int = -1,
    dtype: DTypeLike = np.float32,
    backend: str | None = None,
    choose_dtype: Callable[[Reader], DTypeLike] | None = None,
) -> tuple[np.ndarray, int]:
    """Decode native frames ``start_frame`` to ``start_frame + n_frames``, at the file's rate.

    The frame-addressed entry to the pipeline (``audiodecode.torchaudio``'s ``frame_offset``
    and ``num_frames``): no downmix, no resampling, no duration limit, and ``dtype`` may be the
    reader's own integer type (``int16``/``int32`` through libsndfile, the decoder's sample
    type through FFmpeg), read unscaled.

    Parameters
    ----------
    path : str, os.PathLike, bytes, binary file-like
        As in :func:`load`.
    start_frame : int >= 0
        First frame; at or past the end gives no frames.
    n_frames : int
        Frames to read at most; ``-1`` reads to the end.
    dtype : numpy dtype
        Type of the samples; an integer type needs ``backend="sndfile"`` (``int16``,
        ``int32``) or ``backend="pyav"`` (the decoder's own type).
    backend : {"wav", "sndfile", "pyav"} or None
        As in :func:`load`.
    choose_dtype : callable or None
        Called with the open reader, returns the dtype (overrides ``dtype``); it may raise to
        refuse the file.

    Returns
    -------
    y : np.ndarray [shape=(n, channels)]
        C-contiguous, one row per frame.
    sr : int
        The file's rate.

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> sf.write("ramp.wav", np.arange(100, dtype="int16"), 8000, subtype="PCM_16")
    >>> y, sr = decode_frames("ramp.wav", start_frame=10, n_frames=3, dtype="int16",
    ...                       backend="sndfile")
    >>> y.ravel().tolist(), y.shape, sr
    ([10, 11, 12], (3, 1), 8000)
    """
    # The pipeline's array sink, by its own module's name: this module's names change.
    from ._pipeline import decode as pipeline_decode

    check_backend(backend)

    def decode_span(reader: Reader) -> tuple[np.ndarray, int]:
        kind = np.dtype(dtype if choose_dtype is None else choose_dtype(reader))
        if kind.kind != "f" and reader.name == "wav":
            # The numpy WAV reader converts to float only; libsndfile and FFmpeg read integers.
            msg = f"dtype={kind} needs backend='sndfile' or 'pyav', not {reader.name!r}"
            raise TypeError(msg)
        options = LoadOptions(None, False, 0.0, None, kind, "soxr_hq", backend, math.inf)
        start = min(start_frame, reader.frames) if reader.frames_exact else start_frame
        y = pipeline_decode(reader, plan(reader, options, span=(start, n_frames)))
        frames = y.reshape(-1, 1) if y.ndim == 1 else y.T  # (n, channels), C-contiguous
        return frames, int(reader.sample_rate)

    with open_source(path) as source:
        return decode_with_fallback(source, backend, decode_span)
