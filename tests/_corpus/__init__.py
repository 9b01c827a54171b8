"""Synthetic audio files, made on the spot: for the tests, the benchmark and the examples.

Nothing here downloads anything: every file is generated from a seeded signal, so a test suite
or a first-time user gets the same corpus on any machine with the same libsndfile/FFmpeg.

Three layers:

* :mod:`.signals` makes the sample arrays (:func:`~.signals.signal`, :func:`~.signals.voiced`;
  deterministic for a seed).
* This module: :data:`KINDS` lists every container/codec combination the project cares about,
  and :func:`write` / :func:`write_corpus` write them -- with soundfile (libsndfile) for what
  ``librosa.load`` itself can read, with PyAV (FFmpeg, :mod:`.pyav_writer`) for what only
  FFmpeg reads.
* The special folders are built where they are used: the benchmark's demo corpus in
  :mod:`audiodecode.bench.demo`, broken and odd files in the tests (``tests/_edge_cases.py``),
  a RAVDESS-shaped speech folder in ``examples/speech_emotion/ravdess.py``.

soundfile and av are imported inside the functions that use them: importing this module (which
``audiodecode bench`` does at start-up) must stay cheap and must not pull in FFmpeg.

Sample rates that a codec cannot store become 48000 Hz (see :meth:`Kind.rate_for`); the rates
kept are:

* ``ogg_opus`` (libsndfile): 8000, 12000, 16000, 24000, 48000;
* ``webm_opus``, ``mka_opus``, ``mp4_opus``, ``mkv_video``: 48000 only;
* ``mp3`` (LAME): 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000;
* ``m4a_aac``, ``aac_adts``, ``mp4_video``: the 13 AAC rates, 7350 to 96000;
* ``ac3``: 32000, 44100, 48000;
* ``wma``: 8000, 11025, 16000, 22050, 32000, 44100, 48000;
* every other kind: any rate.

Decoder quirks the corpus exposes (libsndfile 1.2.2, FFmpeg 8/9):

* libsndfile decodes Ogg Opus at the rate it was written with (a 16 kHz ``ogg_opus`` reads as
  16000 Hz) while FFmpeg always decodes Opus at 48000 Hz.
* libsndfile's Opus writer garbles the last few milliseconds of mono files (a burst that can
  exceed full scale); every decoder reproduces it: it is in the packets.
* FFmpeg's WMA round trip loses the first frame (2048 samples at 44.1 kHz), so ``wma`` starts
  late and is short; AAC in MP4 decodes with priming and padding (45056 frames for 44100) with
  FFmpeg 8 and to the exact length with FFmpeg 9 (edit list honoured).
* libsndfile quantises doubles to 8/16/24-bit WAV/AIFF by flooring, to FLAC by rounding: see
  :func:`_corpus.signals.pcm`.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .pyav_writer import first_encoder, write_pyav
from .signals import signal

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "KINDS",
    "LIBROSA_KINDS",
    "LOSSLESS_KINDS",
    "PYAV_KINDS",
    "Kind",
    "KindUnavailableError",
    "available_kinds",
    "write",
    "write_corpus",
]

PathLike = str | os.PathLike[str]

# Rates the codecs can store (see the module docstring).
_OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
_MP3_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
_AAC_RATES = (
    7350,
    8000,
    11025,
    12000,
    16000,
    22050,
    24000,
    32000,
    44100,
    48000,
    64000,
    88200,
    96000,
)
_AC3_RATES = (32000, 44100, 48000)
_WMA_RATES = (8000, 11025, 16000, 22050, 32000, 44100, 48000)

# What a codec-forced rate falls back to: the rate every one of the codecs above supports.
_FALLBACK_RATE = 48000


class KindUnavailableError(RuntimeError):
    """The installed libsndfile or PyAV build cannot write this kind of file."""


@dataclass(frozen=True)
class Kind:
    """One container/codec combination of the corpus.

    Parameters
    ----------
    name
        Key in :data:`KINDS`, also the file stem :func:`write_corpus` uses.
    extension
        File extension, with the dot.
    writer
        ``"soundfile"`` (libsndfile) or ``"pyav"`` (FFmpeg).
    librosa_reads
        True when libsndfile can read the file, i.e. ``librosa.load`` (>= 1.0, which has no
        audioread fallback) reads it.
    lossless
        True when decoding gives back exactly the samples that were written (after the
        quantisation of the stored sample format).
    description
        One line for humans (``audiodecode bench`` prints it).
    format
        soundfile ``format`` or FFmpeg muxer name.
    subtype
        soundfile ``subtype``; empty for PyAV kinds.
    codecs
        PyAV audio encoders, in order of preference (the first one the build has is used).
    video_codecs
        PyAV video encoders, in order of preference; empty for audio-only kinds.
    rates
        Sample rates the codec can store; empty means any.
    muxer_options
        Extra options for the FFmpeg muxer, as ``(key, value)`` pairs.
    """

    name: str
    extension: str
    writer: Literal["soundfile", "pyav"]
    librosa_reads: bool
    lossless: bool
    description: str
    format: str = ""
    subtype: str = ""
    codecs: tuple[str, ...] = ()
    video_codecs: tuple[str, ...] = ()
    rates: tuple[int, ...] = ()
    muxer_options: tuple[tuple[str, str], ...] = ()

    def rate_for(self, sample_rate: int) -> int:
        """The rate a file of this kind written at ``sample_rate`` actually gets.

        Examples
        --------
        >>> KINDS["ogg_opus"].rate_for(44100)
        48000
        >>> KINDS["wav_pcm16"].rate_for(44100)
        44100
        """
        if not self.rates or sample_rate in self.rates:
            return sample_rate
        return _FALLBACK_RATE

    def available(self) -> bool:
        """Whether the installed soundfile/PyAV build can write this kind."""
        return _kind_available(self)

    def audio_codec(self) -> str:
        """The PyAV encoder :func:`write` would use.

        Raises
        ------
        KindUnavailableError
            None of :attr:`codecs` is in this PyAV build.
        """
        codec = first_encoder(self.codecs)
        if codec is None:
            msg = f"{self.name}: this PyAV build has none of the encoders {', '.join(self.codecs)}"
            raise KindUnavailableError(msg)
        return codec


def _sf(
    name: str,
    ext: str,
    fmt: str,
    subtype: str,
    lossless: bool,
    desc: str,
    rates: tuple[int, ...] = (),
) -> Kind:
    return Kind(
        name, ext, "soundfile", True, lossless, desc, format=fmt, subtype=subtype, rates=rates
    )


def _av(
    name: str,
    ext: str,
    muxer: str,
    codecs: tuple[str, ...],
    lossless: bool,
    desc: str,
    rates: tuple[int, ...] = (),
    video: tuple[str, ...] = (),
    options: tuple[tuple[str, str], ...] = (),
) -> Kind:
    return Kind(
        name,
        ext,
        "pyav",
        False,
        lossless,
        desc,
        format=muxer,
        codecs=codecs,
        video_codecs=video,
        rates=rates,
        muxer_options=options,
    )


# Opus: prefer libopus; FFmpeg's native encoder is experimental (needs strict=-2).
_OPUS = ("libopus", "opus")
# Distributed .m4a files usually have the index (moov) first; that also keeps a truncated
# copy decodable up to the cut, which is the interesting case for a decoder.
_FASTSTART = (("movflags", "+faststart"),)

#: Every kind of file the corpus can make, by name.
# fmt: off
KINDS: dict[str, Kind] = {
    k.name: k
    for k in [
        _sf("wav_pcm16", ".wav", "WAV", "PCM_16", True, "WAV, 16-bit PCM"),
        _sf("wav_pcm24", ".wav", "WAV", "PCM_24", True, "WAV, 24-bit PCM"),
        _sf("wav_pcm32", ".wav", "WAV", "PCM_32", True, "WAV, 32-bit PCM"),
        _sf("wav_u8", ".wav", "WAV", "PCM_U8", True, "WAV, 8-bit unsigned PCM"),
        _sf("wav_float32", ".wav", "WAV", "FLOAT", True, "WAV, 32-bit float"),
        _sf("wav_float64", ".wav", "WAV", "DOUBLE", True, "WAV, 64-bit float"),
        _sf("wavex_pcm16", ".wav", "WAVEX", "PCM_16", True, "WAVE_FORMAT_EXTENSIBLE, 16-bit"),
        _sf("wavex_pcm24", ".wav", "WAVEX", "PCM_24", True, "WAVE_FORMAT_EXTENSIBLE, 24-bit"),
        _sf("rf64_pcm16", ".wav", "RF64", "PCM_16", True, "RF64 (64-bit RIFF), 16-bit PCM"),
        _sf("w64_pcm16", ".w64", "W64", "PCM_16", True, "Sony Wave64, 16-bit PCM"),
        _sf("aiff_pcm16", ".aiff", "AIFF", "PCM_16", True, "AIFF, 16-bit big-endian PCM"),
        # libsndfile writes FORM/AIFC (compression type fl32) for AIFF + FLOAT.
        _sf("aifc_float32", ".aifc", "AIFF", "FLOAT", True, "AIFF-C, 32-bit float"),
        _sf("flac_16", ".flac", "FLAC", "PCM_16", True, "FLAC, 16-bit"),
        _sf("flac_24", ".flac", "FLAC", "PCM_24", True, "FLAC, 24-bit"),
        _sf("ogg_vorbis", ".ogg", "OGG", "VORBIS", False, "Ogg Vorbis (libsndfile)"),
        _sf("ogg_opus", ".opus", "OGG", "OPUS", False, "Ogg Opus (libsndfile)", _OPUS_RATES),
        _sf("mp3", ".mp3", "MP3", "MPEG_LAYER_III", False, "MP3 (libsndfile/LAME)", _MP3_RATES),
        _av("m4a_aac", ".m4a", "ipod", ("aac",), False, "AAC-LC in MP4 (.m4a)", _AAC_RATES,
            options=_FASTSTART),
        _av("m4a_alac", ".m4a", "ipod", ("alac",), True, "Apple Lossless in MP4 (.m4a), 16-bit",
            options=_FASTSTART),
        _av("aac_adts", ".aac", "adts", ("aac",), False, "raw AAC-LC, ADTS frames", _AAC_RATES),
        _av("webm_opus", ".webm", "webm", _OPUS, False, "Opus in WebM", (48000,)),
        _av("mka_opus", ".mka", "matroska", _OPUS, False, "Opus in Matroska audio", (48000,)),
        _av("mp4_opus", ".mp4", "mp4", _OPUS, False, "Opus in MP4", (48000,)),
        _av("wma", ".wma", "asf", ("wmav2",), False, "Windows Media Audio 2 in ASF", _WMA_RATES),
        _av("ac3", ".ac3", "ac3", ("ac3",), False, "raw Dolby AC-3", _AC3_RATES),
        _av("mkv_flac", ".mkv", "matroska", ("flac",), True, "FLAC in Matroska, 16-bit"),
        # Video first in both: that is what cameras and phones write, and it makes sure a
        # reader picks the audio stream rather than stream 0.
        _av("mp4_video", ".mp4", "mp4", ("aac",), False, "16x16 H.264/MPEG-4 video + AAC (MP4)",
            _AAC_RATES, video=("libx264", "mpeg4")),
        _av("mkv_video", ".mkv", "matroska", _OPUS, False, "16x16 MPEG-4 video + Opus (MKV)",
            (48000,), video=("mpeg4", "libx264")),
    ]
}
# fmt: on

#: Kinds libsndfile reads (so ``librosa.load`` gives a reference result), in table order.
LIBROSA_KINDS: tuple[str, ...] = tuple(k for k, v in KINDS.items() if v.librosa_reads)
#: Kinds only FFmpeg reads, in table order (some may be unavailable: see :func:`available_kinds`).
PYAV_KINDS: tuple[str, ...] = tuple(k for k, v in KINDS.items() if not v.librosa_reads)
#: Kinds whose decoded samples equal the written ones after quantisation.
LOSSLESS_KINDS: tuple[str, ...] = tuple(k for k, v in KINDS.items() if v.lossless)


# --------------------------------------------------------------------------------------------
# writing one kind


@functools.cache
def _kind_available(kind: Kind) -> bool:
    if kind.writer == "soundfile":
        import soundfile

        return bool(soundfile.check_format(kind.format, kind.subtype))
    if first_encoder(kind.codecs) is None:
        return False
    return not kind.video_codecs or first_encoder(kind.video_codecs) is not None


def available_kinds(kinds: Iterable[str] | None = None) -> list[str]:
    """Names of the kinds (all of :data:`KINDS`, or ``kinds``) this machine can write.

    Examples
    --------
    >>> "wav_pcm16" in available_kinds()
    True
    """
    names = list(KINDS) if kinds is None else list(kinds)
    return [name for name in names if _kind(name).available()]


def _kind(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        msg = f"unknown kind {name!r}; known: {', '.join(KINDS)}"
        raise ValueError(msg) from None


def write(
    path: PathLike,
    kind: str,
    *,
    sample_rate: int = 44100,
    channels: int = 2,
    seconds: float = 1.0,
    seed: int = 0,
    data: np.ndarray | None = None,
) -> Path:
    """Write one file of ``kind`` holding :func:`~_corpus.signals.signal` (or ``data``).

    The file is written to ``path`` whatever its extension (the container is chosen from the
    kind, not from the name). The rate is changed where the codec requires it, see
    :meth:`Kind.rate_for`: e.g. ``ogg_opus`` and the PyAV Opus kinds become 48000 Hz, ``ac3``
    at 22050 Hz becomes 48000 Hz. Read the actual rate back from the file (or ask ``rate_for``).

    Parameters
    ----------
    path
        File to create (overwritten if it exists).
    kind
        A key of :data:`KINDS`.
    sample_rate, channels, seconds, seed
        Passed to :func:`~_corpus.signals.signal` (``round(seconds * rate)`` frames at
        the actual rate).
    data
        Float samples, shape ``(frames, channels)`` in [-1, 1), to write instead of
        :func:`~_corpus.signals.signal`; ``sample_rate`` is then taken as theirs even if
        the codec forces another (they are not resampled), so pass a rate the kind accepts.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    KindUnavailableError
        The installed libsndfile/PyAV cannot write this kind.

    Examples
    --------
    >>> import tempfile, soundfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write(f"{d}/x.flac", "flac_16", sample_rate=22050, channels=1, seconds=0.5)
    ...     soundfile.info(p).frames
    11025
    """
    k = _kind(kind)
    if not k.available():
        msg = f"{kind}: this build cannot write {k.description}"
        raise KindUnavailableError(msg)
    path = Path(path)
    if data is None:
        rate = k.rate_for(sample_rate)
        data = signal(round(seconds * rate), channels, sample_rate=rate, seed=seed)
    else:
        rate = sample_rate
        data = np.asarray(data, dtype=np.float64)
        if data.ndim == 1:
            data = data[:, None]
    if k.writer == "soundfile":
        _write_soundfile(path, k, data, rate)
    else:
        write_pyav(path, k, data, rate)
    return path


def _write_soundfile(path: Path, kind: Kind, data: np.ndarray, rate: int) -> None:
    import soundfile

    # libsndfile 1.2's Vorbis encoder crashes the process on one large write (a 60 s stereo
    # buffer is enough); writing in blocks avoids it and gives the same file.
    block = 1 << 15
    with soundfile.SoundFile(
        path, "w", rate, data.shape[1], format=kind.format, subtype=kind.subtype
    ) as f:
        for start in range(0, max(len(data), 1), block):
            f.write(data[start : start + block])


def write_corpus(
    folder: PathLike,
    kinds: Iterable[str] | None = None,
    **kwargs: Any,
) -> dict[str, Path]:
    """Write one file per kind into ``folder``, named ``<kind><extension>``.

    Parameters
    ----------
    folder
        Created if missing.
    kinds
        Names from :data:`KINDS`; by default every kind this machine can write (PyAV kinds
        whose encoder is missing are skipped silently). Kinds named explicitly must be
        writable.
    **kwargs
        ``sample_rate``, ``channels``, ``seconds``, ``seed``: passed to :func:`write`.

    Returns
    -------
    dict
        Kind name -> path, in :data:`KINDS` order (or the order of ``kinds``).

    Raises
    ------
    KindUnavailableError
        A kind named in ``kinds`` cannot be written here.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     files = write_corpus(d, ["wav_pcm16", "flac_16"], seconds=0.1)
    ...     sorted(p.name for p in files.values())
    ['flac_16.flac', 'wav_pcm16.wav']
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = available_kinds() if kinds is None else list(kinds)
    return {
        name: write(folder / f"{name}{_kind(name).extension}", name, **kwargs) for name in names
    }
