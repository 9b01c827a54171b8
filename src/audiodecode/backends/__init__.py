"""Backend readers and the choice between them.

The container is recognised from its first bytes (``_source.sniff``), never from the file name,
and mapped to an ordered list of backends. Each backend either reads the file or declines, and
the next one is tried:

* ``wav``: numpy fast path for PCM/float RIFF and RF64 WAV;
* ``sndfile``: libsndfile, librosa's own decoder, for everything it reads;
* ``pyav``: FFmpeg for the rest (AAC/M4A, ALAC, WMA, AC3, Opus outside Ogg, video files...).

Each module imports its library itself, so a WAV load never imports av (or soundfile).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._source import sniff
from ..errors import AudioDecodeError, UnsupportedFormatError
from ._base import Decline, Reader

if TYPE_CHECKING:
    from .._source import Source

__all__ = ["BACKENDS", "Decline", "Reader", "open_reader"]

BACKENDS = ("wav", "sndfile", "pyav")

# Containers libsndfile reads go to it first: that is where librosa gets its samples.
_ORDER_BY_CONTAINER: dict[str, tuple[str, ...]] = {
    "wav": ("wav", "sndfile", "pyav"),
    "w64": ("sndfile", "pyav"),
    "aiff": ("sndfile", "pyav"),
    "flac": ("sndfile", "pyav"),
    "ogg": ("sndfile", "pyav"),
    "mp3": ("sndfile", "pyav"),
    "caf": ("sndfile", "pyav"),
    "au": ("sndfile", "pyav"),
    # libsndfile also reads a dozen rarer formats we do not sniff (VOC, PAF, SD2, ...).
    "unknown": ("sndfile", "pyav"),
}
_FFMPEG_ONLY = ("pyav",)


def _reader_class(name: str) -> type[Reader]:
    # Looked up on every load: an import statement here cost ~1.5 us per call.
    reader = _READERS.get(name)
    if reader is None:
        reader = _READERS[name] = _import_reader_class(name)
    return reader


_READERS: dict[str, type[Reader]] = {}


def _import_reader_class(name: str) -> type[Reader]:
    if name == "wav":
        from .wav import WavReader

        return WavReader
    if name == "sndfile":
        from .sndfile import SndfileReader

        return SndfileReader
    if name == "pyav":
        from .pyav import PyAVReader

        return PyAVReader
    msg = f"backend={name!r}; expected one of {', '.join(BACKENDS)} or None"
    raise ValueError(msg)


def backend_order(source: Source, backend: str | None = None) -> tuple[str, ...]:
    """The backends to try for ``source``, best first."""
    if backend is not None:
        _reader_class(backend)  # validates the name
        return (backend,)
    if source.soundfile is not None:
        return ("sndfile",)
    return _ORDER_BY_CONTAINER.get(sniff(source.head()), _FFMPEG_ONLY)


def open_reader(source: Source, backend: str | None = None, *, decoding: bool = True) -> Reader:
    """Open the first backend that reads ``source``.

    ``decoding=False`` says only the metadata is wanted, so no reader reads samples ahead.

    Raises
    ------
    UnsupportedFormatError
        Every backend declined (not audio, or a codec none of them has).
    AudioDecodeError
        A backend recognised the data but found it broken.
    """
    if source.soundfile is None and not source.head():
        raise UnsupportedFormatError(source.name, "the file is empty")
    reasons = []
    for name in backend_order(source, backend):
        try:
            return _reader_class(name)(source, decoding=decoding)
        except Decline as exc:  # noqa: PERF203 - trying each backend in turn is the point
            reasons.append(f"{name}: {exc}")
        except AudioDecodeError:
            raise
    raise UnsupportedFormatError(source.name, "not a readable audio file (" + "; ".join(reasons) + ")")
