"""The decoding core's entry points: validate the arguments, then run the pipeline.

Everything here looks down only (``_pipeline``, ``_source``, ``backends``). What a layer above
needs from a call it passes as an argument: the librosa patch's ``libsndfile_only`` (which
decoders may answer), ``one_channel_as_decoded`` (librosa 0.11's signed zeros) and
``librosa_011`` (librosa 0.11's read sizes for ``stream``). The
public ``load``, which adds the rollback switch and the decode cache around :func:`decode`,
is in :mod:`audiodecode._load`.
"""

from __future__ import annotations

import math
import os
import sys
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ._info import AudioInfo
from ._options import LoadOptions
from ._pipeline import Run, frame_blocks, plan
from ._pipeline import decode as _pipeline_decode
from ._resample import SOXR_TYPES
from ._source import AudioSource, open_source
from .backends import check_backend, decode_with_fallback, open_reader
from .errors import NonFiniteAudioError

if TYPE_CHECKING:
    import os
    from collections.abc import Generator

    from numpy.typing import DTypeLike

    from .backends import Reader

__all__ = [
    "BlockShape",
    "NotReadByLibsndfile",
    "decode",
    "get_duration",
    "get_samplerate",
    "info",
    "libsndfile_reads",
    "native_block_step",
    "read_info",
    "stream",
    "stream_blocks",
    "stream_options",
]


class NotReadByLibsndfile(Exception):  # noqa: N818 - a refusal, not an error any caller sees
    """Raised where ``libsndfile_only=True`` and another decoder would answer.

    Not an AudioDecodeError, so that no other backend is tried. The librosa patch asks for it
    under librosa < 1.0, which reads such a file with audioread: catching it, the patch hands
    the call to librosa for its own answer. Which decoder answers is known only once the file
    is open, so the refusal is made here.
    """

# What the wav backend reads and libsndfile reads too (libsndfile refuses integer PCM wider
# than 32 bits, which the wav backend reads).
_LIBSNDFILE_WAV_CODECS = frozenset({
    "pcm_u8", "pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_f32le", "pcm_f64le",
})


def libsndfile_reads(path: str | os.PathLike[str]) -> bool:
    """Whether libsndfile opens the file's header (a cached answer's test under the patch).

    Opened as the decoders open it, by descriptor, so that a name in any encoding gives the
    answer a decode would.

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> sf.write("tone.flac", np.zeros(800, dtype="float32"), 8000)
    >>> libsndfile_reads("tone.flac")
    True
    """
    import soundfile as sf

    try:
        with open_source(path) as source:
            if source.fd is None:
                return False
            sf.SoundFile(source.fd, closefd=False).close()
    # AudioDecodeError is a RuntimeError: a file that became unreadable reads as "no".
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError, OSError):
        return False
    return True


def _refuse_unless_libsndfile(reader: Reader, source_name: str) -> None:
    if reader.name == "sndfile" or (
        reader.name == "wav" and reader.codec in _LIBSNDFILE_WAV_CODECS
    ):
        return
    msg = f"{source_name}: read by {reader.name}, not libsndfile"
    raise NotReadByLibsndfile(msg)


def decode(
    path: AudioSource, options: LoadOptions, *, libsndfile_only: bool = False,
    one_channel_as_decoded: bool = False,
) -> tuple[np.ndarray, float]:
    """Decode ``path`` with checked ``options``: the core of :func:`audiodecode.load`.

    Parameters
    ----------
    path : str, os.PathLike, int, bytes, binary file-like, or soundfile.SoundFile
        As in :func:`audiodecode.load`.
    options : LoadOptions
        Checked (:meth:`LoadOptions.checked`).
    libsndfile_only : bool
        Refuse, with :class:`NotReadByLibsndfile`, a file that libsndfile does not read (the
        librosa patch under librosa < 1.0, whose own ``load`` reads such a file otherwise).
    one_channel_as_decoded : bool
        At ``mono=True``, return a one-channel signal's samples as decoded, ``-0.0`` kept, as
        librosa 0.11's ``load`` does (the librosa patch under librosa < 1.0). By default they
        pass through librosa 1.0's ``to_mono``, which makes them ``+0.0``.

    Returns
    -------
    y : np.ndarray
    sr : number > 0

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> sf.write("tone.wav", np.sin(np.arange(8000) / 10).astype("float32"), 8000)
    >>> y, sr = decode("tone.wav", LoadOptions(sr=None).checked())
    >>> y.shape, sr
    ((8000,), 8000)
    """

    def decode_all(reader: Reader) -> tuple[np.ndarray, float, Reader]:
        if libsndfile_only:
            _refuse_unless_libsndfile(reader, source.name)
        y = _pipeline_decode(reader, plan(reader, options),
                             one_channel_as_decoded=one_channel_as_decoded)
        return y, (reader.sample_rate if options.sr is None else options.sr), reader

    with open_source(path) as source:
        y, sr, reader = decode_with_fallback(source, options.backend, decode_all)
    if (options.mono or options.sr is not None) and _may_be_nonfinite(reader):
        _refuse_nonfinite(y, source.name, reader.name)
    return y, sr


def _may_be_nonfinite(reader: Reader) -> bool:
    """Whether the decoder can produce NaN or infinity: float PCM, or FFmpeg's lossy decoders.

    Integer codecs cannot, and libsndfile's MP3, Vorbis and Opus decoders produce bounded
    samples; checking those would cost a pass over every clip for nothing.
    """
    if reader.integer_samples:
        return False
    return reader.name == "pyav" or reader.codec.startswith(("pcm_f", "float"))


def _refuse_nonfinite(y: np.ndarray, source_name: str, backend: str) -> None:
    """Raise :class:`NonFiniteAudioError` where ``y`` holds NaN or infinity, as librosa's
    ``to_mono`` and ``resample`` do (``librosa.util.valid_audio``)."""
    # NaN and infinity survive a sum; a finite sum proves every sample finite. A sum that
    # overflows (samples near float32's limit) is checked sample by sample.
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf: the NaN is the answer
        total = float(np.sum(y, dtype=np.float64))
    if math.isfinite(total) or bool(np.isfinite(y).all()):
        return
    reason = ("the samples include NaN or infinity, which librosa refuses too "
              "(ParameterError: Audio buffer is not finite everywhere); "
              "load it with mono=False, sr=None to get them as they are")
    raise NonFiniteAudioError(source_name, reason, backend)


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
        As in :func:`audiodecode.load`; a caller's ``SoundFile`` is left open, as librosa leaves it.
    block_length : int > 0
        Frames per block.
    frame_length : int > 0
        Samples per frame.
    hop_length : int > 0
        Samples between frame starts.
    sr : number from 1 to 2**20, or None
        Target sampling rate in Hz (librosa 1.0); ``None`` keeps the native rate.
    mono, offset, duration, dtype
        As in :func:`audiodecode.load`.
    fill_value : float or None
        Pad the last block to full length with this value; ``None`` yields it short.
    res_type : str
        A ``soxr_*`` method; the others cannot stream.
    backend : str or None
        As in :func:`audiodecode.load`.

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
    shape = BlockShape(block_length, frame_length, hop_length, fill_value).checked()
    options = stream_options(LoadOptions(sr, mono, offset, duration, dtype, res_type, backend))
    return stream_blocks(path, options, shape)


class BlockShape(NamedTuple):
    """The block geometry of :func:`stream`: ``block_length`` frames of ``frame_length``
    samples, ``hop_length`` apart; the last block padded with ``fill_value`` (``None``: short).

    Examples
    --------
    >>> BlockShape(256, 2048, 512).checked().block_size
    132608
    >>> BlockShape(0, 2048, 512).checked()
    Traceback (most recent call last):
    ...
    ValueError: block_length=0 must be a positive integer
    """

    block_length: int
    frame_length: int
    hop_length: int
    fill_value: float | None = None

    def checked(self) -> BlockShape:
        """This shape, or a ``ValueError`` naming the first length that is not a positive
        integer."""
        for name, value in zip(self._fields[:3], self[:3], strict=True):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
                msg = f"{name}={value} must be a positive integer"
                raise ValueError(msg)
        return self

    @property
    def block_size(self) -> int:
        """Samples in a full block."""
        return (self.block_length - 1) * self.hop_length + self.frame_length

    @property
    def advance(self) -> int:
        """Samples from one block's start to the next's."""
        return self.block_length * self.hop_length


def stream_options(options: LoadOptions) -> LoadOptions:
    """``options`` checked for :func:`stream`: a ``soxr_*`` ``res_type`` (the others cannot
    stream), and no ``max_duration`` (a stream's memory is bounded by its block size).

    Examples
    --------
    >>> stream_options(LoadOptions(sr=None)).max_duration
    inf
    """
    if options.res_type not in SOXR_TYPES:
        msg = f"res_type={options.res_type} is not a valid soxr resampling mode for streaming"
        raise ValueError(msg)
    return options._replace(max_duration=math.inf).checked()


def stream_blocks(
    path: AudioSource, options: LoadOptions, shape: BlockShape, *, librosa_011: bool = False
) -> Generator[np.ndarray, None, None]:
    """:func:`stream`'s blocks for checked ``options`` (:func:`stream_options`) and ``shape``,
    with librosa 0.11's reads where ``librosa_011`` is true.

    :func:`stream` follows librosa 1.0 whatever is installed. Under librosa 0.11 the librosa
    patch passes ``librosa_011=True``: blocks are read as 0.11's ``stream`` reads them
    (``SoundFile.blocks`` with an overlap, no block made only of the previous one's overlap),
    so that a patched program sees no change. The file is read from the first ``next()``.

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> sf.write("long.wav", np.random.default_rng(0).uniform(-0.5, 0.5, 44100), 44100)
    >>> blocks = stream_blocks("long.wav", stream_options(LoadOptions(sr=None)),
    ...                        BlockShape(16, 2048, 512), librosa_011=True)
    >>> next(blocks).shape
    (9728,)
    """
    soundfile = sys.modules.get("soundfile")
    if options.sr is not None and soundfile is not None and isinstance(path, soundfile.SoundFile):
        # An open SoundFile knows its rate: a step that does not fit it fails now, before the
        # caller's file has moved (so that the librosa patch can still hand the call over).
        native_block_step(shape.block_length, shape.hop_length, options.sr, path.samplerate)
    return _stream(path, options, shape, librosa_011)


def _stream(
    path: AudioSource, options: LoadOptions, shape: BlockShape, librosa_011: bool
) -> Generator[np.ndarray, None, None]:
    block_size, advance = shape.block_size, shape.advance
    with open_source(path) as source:
        if source.soundfile is not None:
            source.owned = False  # librosa.stream leaves a caller's SoundFile open
        with open_reader(source, options.backend) as reader:
            native_step = native_block_step(shape.block_length, shape.hop_length, options.sr,
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
                                    shape.fill_value, librosa_011_tail=librosa_011)


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
        As in :func:`audiodecode.load`. A caller's ``SoundFile`` is left open.
    backend : str or None
        As in :func:`audiodecode.load`: the figures are those of the decoder ``load`` would use.

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
    return read_info(path, backend)


def read_info(
    path: AudioSource, backend: str | None = None, *, libsndfile_only: bool = False
) -> AudioInfo:
    """:func:`info`, refusing with :class:`NotReadByLibsndfile` where ``libsndfile_only`` is
    true and another decoder would answer (as :func:`decode`).

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> sf.write("clip.flac", np.zeros(22050, dtype="float32"), 22050)
    >>> read_info("clip.flac", libsndfile_only=True).backend
    'sndfile'
    """
    check_backend(backend)
    with open_source(path) as source:
        if source.soundfile is not None:
            source.owned = False  # metadata only: the caller goes on using it
        with open_reader(source, backend, decoding=False) as reader:
            if libsndfile_only:
                _refuse_unless_libsndfile(reader, source.name)
            return AudioInfo(
                sample_rate=reader.sample_rate,
                channels=reader.channels,
                frames=reader.frames,
                format=reader.format,
                codec=reader.codec,
                bits_per_sample=reader.bits_per_sample,
                frames_exact=reader.length.certain,
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
    check_backend(backend)

    def decode_span(reader: Reader) -> tuple[np.ndarray, int]:
        kind = np.dtype(dtype if choose_dtype is None else choose_dtype(reader))
        if kind.kind != "f" and reader.name == "wav":
            # The numpy WAV reader converts to float only; libsndfile and FFmpeg read integers.
            msg = f"dtype={kind} needs backend='sndfile' or 'pyav', not {reader.name!r}"
            raise TypeError(msg)
        options = LoadOptions(None, False, 0.0, None, kind, "soxr_hq", backend, math.inf)
        start = min(start_frame, reader.frames) if reader.length.exact else start_frame
        y = _pipeline_decode(reader, plan(reader, options, span=(start, n_frames)))
        frames = y.reshape(-1, 1) if y.ndim == 1 else y.T  # (n, channels), C-contiguous
        return frames, int(reader.sample_rate)

    with open_source(path) as source:
        return decode_with_fallback(source, backend, decode_span)
