"""torchaudio 2.8's ``load``, ``info`` and ``save``, decoded by audiodecode.

Since torchaudio 2.9, ``torchaudio.load`` and ``torchaudio.save`` are
``load_with_torchcodec``/``save_with_torchcodec``: they need torchcodec, FFmpeg's shared
libraries and a torch build that matches both, and torchaudio itself ends at 2.11. A training
script migrates its audio I/O with one line::

    import audiodecode.torchaudio as torchaudio

    waveform, sample_rate = torchaudio.load("speech.flac")   # torch.float32, [channel, time]

The signatures, defaults and results are torchaudio 2.8's:

* ``backend="soundfile"`` is torchaudio 2.8's soundfile backend: libsndfile's samples, its
  frame arithmetic (a negative ``frame_offset`` counts from the end, as a Python slice), and
  ``normalize=False`` giving ``int16``/``int32``/``float64`` for such WAV files only.
* ``backend="ffmpeg"`` is torchaudio 2.8's FFmpeg backend: FFmpeg's decoder (through PyAV),
  ``float32`` scaled as FFmpeg's ``aformat=fltp`` filter scales it, and with
  ``normalize=False`` the decoder's own sample type (``int16`` for 16-bit FLAC or WAV,
  ``int32`` for 24-bit, ``uint8`` for 8-bit WAV, ``float32`` for lossy codecs).
* ``backend=None`` gives FFmpeg's answer too, because that is what torchaudio users got:
  torchaudio 2.8 picks its FFmpeg backend first whenever FFmpeg's libraries are installed,
  and torchaudio >= 2.9 decodes everything through torchcodec, i.e. FFmpeg. Where a faster
  reader provably returns the same samples (PCM WAV through the numpy reader, 24-bit WAV and
  FLAC through libsndfile: exact integers scaled by a power of two either way, and the same
  bytes in ``benchmarks/torchaudio_parity.py``) it is used instead, for normalized loads;
  lossy codecs always go to FFmpeg, whose decoders differ from libsndfile's.

Decoding runs audiodecode's one pipeline (:func:`audiodecode._api.decode_frames`); ``uri``
may be a path, an ``os.PathLike``, a binary file object or a URL (fsspec). ``format`` is
accepted for compatibility: the container is recognised from its bytes, never from a hint.

Examples
--------
>>> import numpy as np, soundfile as sf
>>> sf.write("stereo.wav", np.zeros((800, 2), dtype="int16"), 8000, subtype="PCM_16")
>>> waveform, sr = load("stereo.wav", frame_offset=100, num_frames=50)
>>> tuple(waveform.shape), waveform.dtype, sr
((2, 50), torch.float32, 8000)
"""

from __future__ import annotations

import contextlib
import os
import re
import warnings
from typing import IO, TYPE_CHECKING, Any

import numpy as np

try:
    import torch
except ImportError as exc:  # pragma: no cover - exercised where torch is absent
    msg = "audiodecode.torchaudio needs PyTorch: pip install 'audiodecode[torch]'"
    raise ImportError(msg) from exc

from ._api import decode_frames
from ._source import open_source, sniff
from .backends import open_reader
from .backends.sndfile import SndfileReader
from .errors import AudioDecodeError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .backends import Reader

__all__ = ["AudioMetaData", "NoSuchFileError", "info", "list_audio_backends", "load", "save"]

#: torchaudio's backend names -> ours.
_BACKENDS = {"ffmpeg": "pyav", "soundfile": "sndfile"}


class AudioMetaData:
    """What :func:`info` returns: torchaudio 2.8's ``AudioMetaData``, field for field.

    Attributes
    ----------
    sample_rate : int
    num_frames : int
        Frames per channel; ``0`` where the backend cannot tell.
    num_channels : int
    bits_per_sample : int
        ``0`` for lossy codecs or where it cannot be inferred.
    encoding : str
        torchaudio's names: ``"PCM_S"``, ``"PCM_U"``, ``"PCM_F"``, ``"FLAC"``, ``"ULAW"``,
        ``"ALAW"``, ``"MP3"``, ``"VORBIS"``, ``"OPUS"``, ``"AAC"``..., ``"UNKNOWN"``.

    Examples
    --------
    >>> AudioMetaData(16000, 32000, 1, 16, "PCM_S").num_frames
    32000
    """

    def __init__(self, sample_rate: int, num_frames: int, num_channels: int,
                 bits_per_sample: int, encoding: str) -> None:
        self.sample_rate = sample_rate
        self.num_frames = num_frames
        self.num_channels = num_channels
        self.bits_per_sample = bits_per_sample
        self.encoding = encoding

    def __str__(self) -> str:
        return (f"AudioMetaData(sample_rate={self.sample_rate}, num_frames={self.num_frames}, "
                f"num_channels={self.num_channels}, bits_per_sample={self.bits_per_sample}, "
                f"encoding={self.encoding})")

    __repr__ = __str__


def list_audio_backends() -> list[str]:
    """The backends ``backend=`` accepts, as torchaudio names them.

    Examples
    --------
    >>> list_audio_backends()
    ['ffmpeg', 'soundfile']
    """
    return list(_BACKENDS)


def _check_backend(backend: str | None) -> None:
    if backend is not None and backend not in _BACKENDS:
        # torchaudio 2.8's own error for a backend it does not have
        msg = (f"Unsupported backend '{backend}' specified; please select one of "
               f"{list(_BACKENDS)} instead.")
        raise ValueError(msg)


class NoSuchFileError(FileNotFoundError, RuntimeError):
    """A path that names no file. Also a ``RuntimeError``: both torchaudio 2.8 backends raised
    one (FFmpeg's "Failed to open the input", soundfile's ``LibsndfileError``), so
    ``except RuntimeError`` in code written for them still catches it.

    Examples
    --------
    >>> isinstance(NoSuchFileError(2, "No such file or directory", "a.wav"), RuntimeError)
    True
    """


@contextlib.contextmanager
def _torchaudio_errors() -> Iterator[None]:
    try:
        yield
    except FileNotFoundError as exc:
        if isinstance(exc, NoSuchFileError):
            raise
        raise NoSuchFileError(exc.errno, exc.strerror, exc.filename) from None


# -- load ------------------------------------------------------------------------------------

def load(
    uri: str | os.PathLike[str] | IO[bytes],
    frame_offset: int = 0,
    num_frames: int = -1,
    normalize: bool = True,
    channels_first: bool = True,
    format: str | None = None,  # noqa: A002 - torchaudio's name
    buffer_size: int = 4096,
    backend: str | None = None,
) -> tuple[torch.Tensor, int]:
    """Load audio as a tensor, as ``torchaudio.load`` did in torchaudio 2.8.

    Parameters
    ----------
    uri : str, os.PathLike or binary file object
        A path, a URL (fsspec), or an object with ``read``.
    frame_offset : int
        Frames to skip. ``backend="soundfile"``: a negative one counts from the end (a Python
        slice's rule); elsewhere it must be >= 0.
    num_frames : int
        Frames to read at most; ``-1`` reads to the end.
    normalize : bool
        ``True``: ``float32`` in [-1, 1]. ``False``: the stored integers, where torchaudio
        2.8 returned them (see the module's notes).
    channels_first : bool
        ``[channel, time]`` if true, else ``[time, channel]``.
    format : str or None
        Accepted and ignored: the container is recognised from its bytes.
    buffer_size : int
        Accepted and ignored.
    backend : {"ffmpeg", "soundfile"} or None
        Whose decoding to reproduce; ``None`` is FFmpeg's (see the module's notes).

    Returns
    -------
    waveform : torch.Tensor
    sample_rate : int

    Raises
    ------
    RuntimeError
        FFmpeg semantics: a negative ``frame_offset``, ``num_frames`` 0 or below -1, or no
        frame left to return (torchaudio 2.8's errors).
    ValueError
        ``backend="soundfile"``, ``normalize=False``: a WAV subtype torchaudio 2.8 refused.
    AudioDecodeError
        The file cannot be decoded (it names the file and the reason).
    NoSuchFileError
        ``uri`` names no file: a ``FileNotFoundError`` that is also the ``RuntimeError``
        torchaudio 2.8 raised.

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> sf.write("ramp.wav", np.arange(1000, dtype="int16"), 16000, subtype="PCM_16")
    >>> waveform, sr = load("ramp.wav", frame_offset=10, num_frames=3, normalize=False)
    >>> waveform.tolist(), sr
    ([[10, 11, 12]], 16000)
    """
    _check_backend(backend)
    with _torchaudio_errors():
        if backend == "soundfile":
            y, sample_rate = _load_soundfile(uri, frame_offset, num_frames, normalize)
        else:
            y, sample_rate = _load_ffmpeg(uri, frame_offset, num_frames, normalize,
                                          fast=backend is None)
    waveform = torch.from_numpy(y)
    # ``.t()`` of the (time, channel) array, as both torchaudio backends return it: a view.
    return (waveform.t() if channels_first else waveform), sample_rate


# soundfile subtype -> numpy dtype torchaudio 2.8 asked soundfile for, normalize=False, WAV
_SUBTYPE2DTYPE = {"PCM_S8": "int8", "PCM_U8": "uint8", "PCM_16": "int16", "PCM_32": "int32",
                  "FLOAT": "float32", "DOUBLE": "float64"}


def _libsndfile_names(reader: Reader) -> tuple[str, str]:
    # libsndfile's own format and subtype names ("WAV", "PCM_16"), which torchaudio's
    # soundfile backend reads from SoundFile.format and .subtype.
    assert isinstance(reader, SndfileReader)
    return reader.libsndfile_format, reader.libsndfile_subtype


def _load_soundfile(
    uri: Any, frame_offset: int, num_frames: int, normalize: bool
) -> tuple[np.ndarray, int]:
    def choose_dtype(reader: Reader) -> str:
        major_format, subtype = _libsndfile_names(reader)
        if major_format != "WAV" or normalize:
            return "float32"
        dtype = _SUBTYPE2DTYPE.get(subtype)
        if dtype is None:
            msg = f"Unsupported subtype: {subtype}"
            raise ValueError(msg)
        if dtype in ("int8", "uint8"):
            # SoundFile.read's own refusal: libsndfile has no 8-bit read.
            msg = (f"dtype must be one of ['float32', 'float64', 'int16', 'int32'] and not "
                   f"'{dtype}'")
            raise ValueError(msg)
        return dtype

    start = frame_offset
    if start < 0:
        # SoundFile._prepare_read: slice(start, None).indices(frames)
        start = slice(start, None).indices(_frames_via_soundfile(uri))[0]
    # A count below zero reads to the end, as SoundFile.read(frames=-n) does.
    return decode_frames(uri, start_frame=start, n_frames=max(num_frames, -1),
                         backend="sndfile", choose_dtype=choose_dtype)


def _frames_via_soundfile(uri: Any) -> int:
    position = uri.tell() if hasattr(uri, "read") else None
    with open_source(uri) as source, open_reader(source, "sndfile", decoding=False) as reader:
        frames = int(reader.frames)
    if position is not None:
        uri.seek(position)
    return frames


def _load_ffmpeg(
    uri: Any, frame_offset: int, num_frames: int, normalize: bool, *, fast: bool
) -> tuple[np.ndarray, int]:
    # torchaudio 2.8's _get_load_filter checks, word for word
    if frame_offset < 0:
        msg = f"Invalid argument: frame_offset must be non-negative. Found: {frame_offset}"
        raise RuntimeError(msg)
    if num_frames == 0 or num_frames < -1:
        msg = f"Invalid argument: num_frames must be -1 or greater than 0. Found: {num_frames}"
        raise RuntimeError(msg)
    y: np.ndarray | None = None
    sample_rate = 0
    reader = _fast_reader(uri) if fast and normalize else None
    if reader is not None:
        try:
            y, sample_rate = decode_frames(uri, start_frame=frame_offset, n_frames=num_frames,
                                           backend=reader)
        except AudioDecodeError:
            y = None  # a WAV the numpy reader declines (mu-law, ADPCM...): FFmpeg reads it
    if y is None:
        y, sample_rate = decode_frames(
            uri, start_frame=frame_offset, n_frames=num_frames, backend="pyav",
            choose_dtype=(None if normalize else _native_dtype),
        )
    if len(y) == 0:
        # torchaudio's StreamReader pops no chunk when the window holds no frame.
        msg = "Failed to decode audio."
        raise RuntimeError(msg)
    return y, sample_rate


def _native_dtype(reader: Reader) -> Any:
    return reader.native_dtype  # type: ignore[attr-defined]


def _fast_reader(uri: Any) -> str | None:
    """Our reader whose float samples are FFmpeg's for this local file, or None."""
    if not isinstance(uri, (str, os.PathLike)):
        return None
    path = os.fspath(uri)
    if isinstance(path, bytes) or "://" in path:
        return None
    try:
        with open(path, "rb") as file:
            head = file.read(64)
    except OSError:
        return None  # the pipeline raises the OS's error with its own words
    kind = sniff(head)
    if kind == "wav" and head[12:16] == b"fmt " and head[34:36] == b"\x18\x00":
        return "sndfile"  # 24-bit: libsndfile unpacks it faster than the numpy reader
    return {"wav": "wav", "flac": "sndfile"}.get(kind)


# -- info ------------------------------------------------------------------------------------

# soundfile subtype -> bits, as torchaudio 2.8's soundfile backend reports them
_SUBTYPE_TO_BITS = {
    "PCM_S8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32, "PCM_U8": 8, "FLOAT": 32,
    "DOUBLE": 64, "ULAW": 8, "ALAW": 8, "IMA_ADPCM": 0, "MS_ADPCM": 0, "GSM610": 0,
    "VOX_ADPCM": 0, "G721_32": 0, "G723_24": 0, "G723_40": 0, "DWVW_12": 12, "DWVW_16": 16,
    "DWVW_24": 24, "DWVW_N": 0, "DPCM_8": 8, "DPCM_16": 16, "VORBIS": 0, "ALAC_16": 16,
    "ALAC_20": 20, "ALAC_24": 24, "ALAC_32": 32,
}
_SUBTYPE_TO_ENCODING = {
    "PCM_S8": "PCM_S", "PCM_16": "PCM_S", "PCM_24": "PCM_S", "PCM_32": "PCM_S",
    "PCM_U8": "PCM_U", "FLOAT": "PCM_F", "DOUBLE": "PCM_F", "ULAW": "ULAW", "ALAW": "ALAW",
    "VORBIS": "VORBIS",
}


def info(
    uri: str | os.PathLike[str] | IO[bytes],
    format: str | None = None,  # noqa: A002 - torchaudio's name
    buffer_size: int = 4096,
    backend: str | None = None,
) -> AudioMetaData:
    """Rate, length, channels, bit depth and encoding, as ``torchaudio.info`` (2.8) reports them.

    Parameters
    ----------
    uri : str, os.PathLike or binary file object
        As in :func:`load`.
    format, buffer_size
        Accepted and ignored.
    backend : {"ffmpeg", "soundfile"} or None
        ``"soundfile"``: libsndfile's figures and torchaudio's soundfile names (a FLAC is
        ``"FLAC"``, an MP3 ``"UNKNOWN"`` with 0 bits). ``"ffmpeg"`` or ``None``: FFmpeg's
        (``num_frames`` from the container's frame count, or a full decode where it has none,
        as torchaudio 2.8 did).

    Returns
    -------
    AudioMetaData

    Raises
    ------
    NoSuchFileError
        As in :func:`load`.

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> sf.write("clip.flac", np.zeros((4000, 2)), 16000, subtype="PCM_24")
    >>> print(info("clip.flac"))
    AudioMetaData(sample_rate=16000, num_frames=4000, num_channels=2, bits_per_sample=24, encoding=FLAC)
    """  # noqa: E501 - a doctest's output line
    _check_backend(backend)
    with _torchaudio_errors():
        return _info(uri, backend)


def _info(uri: Any, backend: str | None) -> AudioMetaData:
    with open_source(uri) as source:
        if backend == "soundfile":
            with open_reader(source, "sndfile", decoding=False) as reader:
                major_format, subtype = _libsndfile_names(reader)
                return AudioMetaData(reader.sample_rate, reader.frames, reader.channels,
                                     _bit_depth(subtype),
                                     "FLAC" if major_format == "FLAC" else
                                     _SUBTYPE_TO_ENCODING.get(subtype, "UNKNOWN"))
        # A PCM WAV's figures are in its header: FFmpeg's come from decoding it all (torchaudio
        # 2.8 did), which for PCM gives the header's count.
        name = "wav" if backend is None and sniff(source.head()) == "wav" else "pyav"
        try:
            reader = open_reader(source, name, decoding=False)
        except AudioDecodeError:
            if name == "pyav":
                raise
            name, reader = "pyav", open_reader(source, "pyav", decoding=False)
        with reader:
            if name == "wav":
                num_frames = int(reader.frames)
            else:
                stream = reader._stream  # type: ignore[attr-defined]  # noqa: SLF001
                # torchaudio's StreamReader: AVStream.nb_frames, else a decode of everything
                num_frames = int(stream.frames or 0) or reader.count_frames()
            codec = str(reader.codec).upper()
            bits = reader.bits_per_sample or 0
            match = re.search(r"PCM_\w(\d+)\w*", codec)
            if match:
                bits = int(match.group(1))
            elif codec in ("PCM_ALAW", "PCM_MULAW"):
                bits = 8
            return AudioMetaData(int(reader.sample_rate), num_frames, int(reader.channels),
                                 bits, _ffmpeg_encoding(codec))


def _bit_depth(subtype: str) -> int:
    if subtype not in _SUBTYPE_TO_BITS:
        warnings.warn(
            f"The {subtype} subtype is unknown to TorchAudio. As a result, the bits_per_sample "
            "attribute will be set to 0.", stacklevel=4,
        )
    return _SUBTYPE_TO_BITS.get(subtype, 0)


def _ffmpeg_encoding(codec: str) -> str:
    for family in ("PCM_S", "PCM_U", "PCM_F"):
        if family in codec:
            return family
    return {"PCM_MULAW": "ULAW", "PCM_ALAW": "ALAW"}.get(codec, codec)


# -- save ------------------------------------------------------------------------------------

# Extensions libsndfile does not write, and the (muxer, encoder) FFmpeg writes them with.
_PYAV_FORMATS = {
    "m4a": ("mp4", "aac"), "mp4": ("mp4", "aac"), "aac": ("adts", "aac"),
    "opus": ("opus", "libopus"), "webm": ("webm", "libopus"), "mka": ("matroska", "libopus"),
    "ac3": ("ac3", "ac3"),
}


def save(
    uri: str | os.PathLike[str] | IO[bytes],
    src: torch.Tensor,
    sample_rate: int,
    channels_first: bool = True,
    format: str | None = None,  # noqa: A002 - torchaudio's name
    encoding: str | None = None,
    bits_per_sample: int | None = None,
    buffer_size: int = 4096,
    backend: str | None = None,
    compression: Any = None,
) -> None:
    """Write a ``[channel, time]`` (or ``[time, channel]``) tensor to an audio file.

    WAV, FLAC, Ogg Vorbis/Opus, MP3 and NIST SPHERE go through libsndfile with torchaudio
    2.8's soundfile rules for ``encoding``/``bits_per_sample`` (a WAV's default subtype follows
    the tensor's dtype: ``float32`` -> 32-bit float, ``int16`` -> 16-bit PCM; FLAC defaults
    to 16 bits). Formats libsndfile does not write (``.m4a``/``.mp4``/``.aac``, ``.opus``,
    ``.webm``, ``.mka``, ``.ac3``) are encoded by FFmpeg through PyAV.

    Parameters
    ----------
    uri : str, os.PathLike or binary file object
        Where to write; a file object needs ``format``.
    src : torch.Tensor
        Two-dimensional.
    sample_rate : int
    channels_first : bool
        ``src`` is ``[channel, time]`` if true, else ``[time, channel]``.
    format : str or None
        Overrides the extension (``"wav"``, ``"flac"``, ``"ogg"``, ``"mp3"``, ``"m4a"``...).
    encoding : {"PCM_S", "PCM_U", "PCM_F", "ULAW", "ALAW"} or None
        WAV and SPHERE only; ``"vorbis"``/``"opus"`` for Ogg.
    bits_per_sample : {8, 16, 24, 32, 64} or None
    buffer_size : int
        Accepted and ignored.
    backend : {"ffmpeg", "soundfile"} or None
        Accepted; the rules above apply to all three.
    compression : torchaudio.io.CodecConfig or None
        ``backend="soundfile"`` refuses one, as torchaudio 2.8's soundfile backend did.
        Otherwise a ``CodecConfig`` (torchaudio 2.8's FFmpeg backend took one; any object with
        its attributes will do) is accepted: its ``compression_level`` (0-8) sets a FLAC
        file's libsndfile compression level; its other fields are ignored.

    Raises
    ------
    ValueError
        A combination torchaudio 2.8's soundfile backend refuses, a tensor that is not 2D, a
        ``compression`` that is not a ``CodecConfig``.
    RuntimeError
        A file object without ``format``.

    Examples
    --------
    >>> import torch
    >>> save("tone.flac", torch.zeros(2, 1600), 16000, bits_per_sample=16)
    >>> print(info("tone.flac", backend="soundfile"))
    AudioMetaData(sample_rate=16000, num_frames=1600, num_channels=2, bits_per_sample=16, encoding=FLAC)
    """  # noqa: E501 - a doctest's output line
    _check_backend(backend)
    if src.ndim != 2:
        msg = f"Expected 2D Tensor, got {src.ndim}D."
        raise ValueError(msg)
    options = _compression_options(compression, backend)
    if hasattr(uri, "write"):
        if format is None:
            msg = "`format` is required when saving to file object."
            raise RuntimeError(msg)
        ext = format.lower()
    else:
        ext = str(uri).split(".")[-1].lower() if format is None else format.lower()
    if bits_per_sample not in (None, 8, 16, 24, 32, 64):
        msg = "Invalid bits_per_sample."
        raise ValueError(msg)
    if channels_first:
        src = src.t()
    if ext in _PYAV_FORMATS:
        _save_pyav(uri, np.asarray(src), sample_rate, *_PYAV_FORMATS[ext])
        return
    if bits_per_sample == 24:
        warnings.warn("Saving audio with 24 bits per sample might warp samples near -1. "
                      "Using 16 bits per sample might be able to avoid this.", stacklevel=2)
    subtype = _subtype(src.dtype, ext, encoding, bits_per_sample)
    if ext in ("nis", "nist", "sph") and format is None:
        format = "NIST"  # noqa: A001 - libsndfile does not know .sph
    import soundfile

    data = np.asarray(src)
    if data.dtype == np.uint8 and backend != "soundfile":
        # soundfile writes no uint8 array (torchaudio 2.8's soundfile backend failed there;
        # its FFmpeg backend took one). As int16 the 8 bits are exact in every subtype.
        data = (data.astype(np.int16) - 128) << 8
    if backend != "soundfile" and subtype in ("FLOAT", "DOUBLE") and data.dtype.kind == "i":
        # Integers into a float file: libsndfile stores them unscaled (+-2^31 for int32;
        # torchaudio 2.8's soundfile backend wrote such files), FFmpeg scales them into
        # [-1, 1) by a power of two. An exact scaling, in FFmpeg's precision.
        real = np.float64 if subtype == "DOUBLE" else np.float32
        unscaled: np.ndarray[Any, np.dtype[np.floating[Any]]] = data.astype(real)
        data = unscaled * real(2.0 ** (1 - 8 * data.dtype.itemsize))
    if ext != "flac":
        options = {}  # the only level libsndfile sets that a CodecConfig names the same way
    if len(data) <= _WRITE_BLOCK:
        soundfile.write(file=uri, data=data, samplerate=sample_rate, subtype=subtype,
                        format=format, **options)
        return
    # One large write crashes the process in libsndfile 1.2's Vorbis encoder (3 M stereo
    # frames are enough); torchaudio 2.8's soundfile backend crashed the same way. Blocks
    # make the same file.
    with soundfile.SoundFile(uri, "w", sample_rate, data.shape[1], subtype=subtype,
                             format=format, **options) as f:
        for start in range(0, len(data), _WRITE_BLOCK):
            f.write(data[start : start + _WRITE_BLOCK])


def _compression_options(compression: Any, backend: str | None) -> dict[str, float]:
    """``soundfile.write``'s options for torchaudio's ``compression``, or its refusal."""
    if backend == "soundfile":
        if compression:
            msg = "soundfile backend does not support argument `compression`."
            raise ValueError(msg)
        return {}
    if compression is None:
        return {}
    if not hasattr(compression, "compression_level"):
        # torchaudio 2.8's FFmpeg backend's refusal
        msg = ("FFmpeg backend expects non-`None` value for argument `compression` to be of "
               f"type `torchaudio.io.CodecConfig`, but received value of type "
               f"{type(compression)}")
        raise ValueError(msg)
    level = compression.compression_level
    if level is None or level < 0:  # CodecConfig's default, -1: the encoder's own
        return {}
    return {"compression_level": min(int(level), 8) / 8}


#: Frames per ``soundfile`` write when saving more than this (see :func:`save`).
_WRITE_BLOCK = 1 << 16


def _subtype(dtype: torch.dtype, ext: str, encoding: str | None, bits: int | None) -> str:
    """torchaudio 2.8's soundfile backend's choice of libsndfile subtype."""
    if ext == "wav":
        return _wav_subtype(dtype, encoding, bits)
    if ext == "flac":
        if encoding:
            msg = "flac does not support encoding."
            raise ValueError(msg)
        if not bits:
            return "PCM_16"
        if bits > 24:
            msg = "flac does not support bits_per_sample > 24."
            raise ValueError(msg)
        return "PCM_S8" if bits == 8 else f"PCM_{bits}"
    if ext in ("ogg", "vorbis"):
        if bits:
            msg = "ogg/vorbis does not support bits_per_sample."
            raise ValueError(msg)
        if encoding is None or encoding == "vorbis":
            return "VORBIS"
        if encoding == "opus":
            return "OPUS"
        msg = f"Unexpected encoding: {encoding}"
        raise ValueError(msg)
    if ext == "mp3":
        return "MPEG_LAYER_III"
    if ext == "sph":
        return _sphere_subtype(encoding, bits)
    if ext in ("nis", "nist"):
        return "PCM_16"
    msg = f"Unsupported format: {ext}"
    raise ValueError(msg)


def _wav_subtype(dtype: torch.dtype, encoding: str | None, bits: int | None) -> str:
    if not encoding:
        if not bits:
            subtype = {torch.uint8: "PCM_U8", torch.int16: "PCM_16", torch.int32: "PCM_32",
                       torch.float32: "FLOAT", torch.float64: "DOUBLE"}.get(dtype)
            if not subtype:
                msg = f"Unsupported dtype for wav: {dtype}"
                raise ValueError(msg)
            return subtype
        return "PCM_U8" if bits == 8 else f"PCM_{bits}"
    rules: dict[str, tuple[dict[int | None, str], str]] = {
        "PCM_U": ({None: "PCM_U8", 8: "PCM_U8"}, "wav only supports 8-bit unsigned PCM encoding."),
        "PCM_F": ({None: "FLOAT", 32: "FLOAT", 64: "DOUBLE"},
                  "wav only supports 32/64-bit float PCM encoding."),
        "ULAW": ({None: "ULAW", 8: "ULAW"}, "wav only supports 8-bit mu-law encoding."),
        "ALAW": ({None: "ALAW", 8: "ALAW"}, "wav only supports 8-bit a-law encoding."),
    }
    if encoding == "PCM_S":
        if not bits:
            return "PCM_32"
        if bits == 8:
            msg = "wav does not support 8-bit signed PCM encoding."
            raise ValueError(msg)
        return f"PCM_{bits}"
    if encoding not in rules:
        msg = f"wav does not support {encoding}."
        raise ValueError(msg)
    table, refusal = rules[encoding]
    if bits not in table:
        raise ValueError(refusal)
    return table[bits]


def _sphere_subtype(encoding: str | None, bits: int | None) -> str:
    if encoding in (None, "PCM_S"):
        return f"PCM_{bits}" if bits else "PCM_32"
    if encoding in ("PCM_U", "PCM_F"):
        msg = f"sph does not support {encoding} encoding."
        raise ValueError(msg)
    if encoding == "ULAW":
        if bits in (None, 8):
            return "ULAW"
        msg = "sph only supports 8-bit for mu-law encoding."
        raise ValueError(msg)
    if encoding == "ALAW":
        return "ALAW"
    msg = f"sph does not support {encoding}."
    raise ValueError(msg)


# tensor dtype -> FFmpeg's packed sample format of the same type
_SAMPLE_FORMATS = {"uint8": "u8", "int16": "s16", "int32": "s32", "int64": "s64",
                   "float32": "flt", "float64": "dbl"}


def _save_pyav(uri: Any, samples: np.ndarray, sample_rate: int, muxer: str, codec: str) -> None:
    """Encode ``(time, channel)`` samples with FFmpeg; its resampler converts the type."""
    import av

    sample_format = _SAMPLE_FORMATS.get(samples.dtype.name)
    if sample_format is None:
        msg = f"Unsupported dtype: {samples.dtype}"
        raise ValueError(msg)
    channels = samples.shape[1]
    target = uri if hasattr(uri, "write") else os.fspath(uri)
    with av.open(target, "w", format=muxer) as container:
        stream: Any = container.add_stream(codec, rate=sample_rate)
        stream.layout = "mono" if channels == 1 else "stereo" if channels == 2 else \
            av.AudioLayout(channels).name
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples).reshape(1, -1), format=sample_format,
            layout=stream.layout.name,
        )
        frame.sample_rate = sample_rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
