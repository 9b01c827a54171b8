"""Backend readers and the choice between them.

The container is recognised from its first bytes (``_source.sniff``), never from the file name,
and mapped to an ordered list of backends. Each backend either reads the file or declines (or
fails on it), and the next one is tried; ``decode_with_fallback`` also moves on when a backend
that opened the file fails to decode it:

* ``wav``: numpy fast path for PCM/float RIFF and RF64 WAV;
* ``sndfile``: libsndfile, librosa's own decoder, for everything it reads;
* ``pyav``: FFmpeg for the rest (AAC/M4A, ALAC, WMA, AC3, Opus outside Ogg, video files...).

Each module imports its library itself, so a WAV load never imports av (or soundfile).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from .._source import NOT_AUDIO_CONTAINERS, sniff
from ..errors import AudioDecodeError, AudioTooLargeError, UnsupportedFormatError
from ._base import Decline, Reader

if TYPE_CHECKING:
    from collections.abc import Callable

    from .._source import Source

__all__ = ["BACKENDS", "Decline", "Reader", "check_backend", "decode_with_fallback",
           "open_reader"]

T = TypeVar("T")

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


def check_backend(backend: str | None) -> None:
    """Raise ``ValueError`` unless ``backend`` names a backend or is ``None``."""
    if backend is not None and backend not in BACKENDS:
        msg = f"backend={backend!r}; expected one of {', '.join(BACKENDS)} or None"
        raise ValueError(msg)


def _reader_class(name: str) -> type[Reader]:
    # Looked up on every load: an import statement here cost ~1.5 us per call.
    reader = _READERS.get(name)
    if reader is None:
        reader = _READERS[name] = _import_reader_class(name)
    return reader


_READERS: dict[str, type[Reader]] = {}


def _import_reader_class(name: str) -> type[Reader]:
    check_backend(name)
    if name == "wav":
        from .wav import WavReader

        return WavReader
    if name == "sndfile":
        from .sndfile import SndfileReader

        return SndfileReader
    from .pyav import PyAVReader

    return PyAVReader


def open_reader(source: Source, backend: str | None = None, *, decoding: bool = True) -> Reader:
    """Open the first backend that reads ``source``.

    ``decoding=False`` says only the metadata is wanted, so no reader reads samples ahead.

    Raises
    ------
    UnsupportedFormatError
        Every backend declined (not audio, or a codec none of them has).
    AudioDecodeError
        Every backend declined or failed, and one recognised the data but found it broken;
        the message gives each backend's reason.
    """
    failures: list[tuple[str, Exception]] = []
    try:
        opened = _open_first(source, _order(source, backend), 0, decoding, failures)
    except MemoryError as exc:
        raise _out_of_memory(source, None, exc) from exc
    if opened is None:
        raise _every_backend_failed(source, failures)
    return opened[0]


def decode_with_fallback(
    source: Source, backend: str | None, decode: Callable[[Reader], T]
) -> T:
    """Run ``decode(reader)`` on the first backend that opens *and decodes* ``source``.

    A backend that claims a file but fails on its samples (libsndfile on a stream it calls
    malformed, say) is closed and the next one in the order decodes from the start, so a file
    that FFmpeg reads is read. ``decode`` must not have handed anything out before it raises.
    With ``backend`` given there is no other backend to try.

    Raises
    ------
    AudioDecodeError
        Every backend failed; the message gives each one's reason.
    """
    failures: list[tuple[str, Exception]] = []
    order = _order(source, backend)
    index = 0
    # A loop rather than a generator of readers: this runs on every load, where a generator's
    # frame and resumptions are a measurable share of a short WAV clip's load.
    while (opened := _open_first_in_memory(source, order, index, failures)) is not None:
        reader, index = opened
        with reader:
            try:
                return decode(reader)
            except AudioTooLargeError:
                raise  # the audio's length, not this backend, is the problem: do not decode again
            except AudioDecodeError as exc:
                if exc.refused:
                    raise
                failures.append((reader.name, exc))
            except MemoryError as exc:
                raise _out_of_memory(source, reader.name, exc) from exc
        index += 1
    raise _every_backend_failed(source, failures)


def _open_first_in_memory(
    source: Source, order: tuple[str, ...], start: int, failures: list[tuple[str, Exception]]
) -> tuple[Reader, int] | None:
    try:
        return _open_first(source, order, start, True, failures)
    except MemoryError as exc:
        raise _out_of_memory(source, None, exc) from exc


def _out_of_memory(source: Source, backend: str | None, exc: MemoryError) -> AudioTooLargeError:
    # The pipeline bounds what a file may make (``_pipeline.EXPANSION_LIMIT``) and turns a
    # failed allocation of the output into this error itself; a decoder's own allocations
    # (FFmpeg's ENOMEM, libsoxr's buffers) end here, so that no bare MemoryError escapes.
    detail = str(exc) or "no detail"
    reason = f"out of memory while decoding ({detail}); pass offset/duration to read a part"
    return AudioTooLargeError(source.name, reason, backend)


def _order(source: Source, backend: str | None) -> tuple[str, ...]:
    """The backends to try for ``source``, best first; refuses what no backend should see."""
    if source.soundfile is not None:
        return ("sndfile",) if backend is None else _checked(backend)
    head = source.head()
    if not head:
        raise UnsupportedFormatError(source.name, "the file is empty")
    container = sniff(head)
    not_audio = NOT_AUDIO_CONTAINERS.get(container)
    if not_audio is not None:
        # Not a damaged audio file: no decoder is asked, whichever ``backend`` names.
        raise UnsupportedFormatError(source.name, f"not audio: {not_audio}")
    if backend is not None:
        return _checked(backend)
    return _ORDER_BY_CONTAINER.get(container, _FFMPEG_ONLY)


def _checked(backend: str) -> tuple[str, ...]:
    check_backend(backend)
    return (backend,)


def _open_first(
    source: Source, order: tuple[str, ...], start: int, decoding: bool,
    failures: list[tuple[str, Exception]],
) -> tuple[Reader, int] | None:
    """The first backend of ``order[start:]`` that opens ``source``, and its index; records
    why the others did not open."""
    for index in range(start, len(order)):
        name = order[index]
        if failures and source.fileobj is not None:
            source.fileobj.seek(0)  # the previous backend may have read anywhere
        try:
            return _reader_class(name)(source, decoding=decoding), index
        except (Decline, AudioDecodeError) as exc:  # noqa: PERF203 - trying each in turn
            failures.append((name, exc))
    return None


def _every_backend_failed(source: Source, failures: list[tuple[str, Exception]]) -> Exception:
    errors = [exc for _, exc in failures if isinstance(exc, AudioDecodeError)]
    if len(failures) == 1 and errors:
        return errors[0]  # one backend was asked: its own error, unchanged
    reasons = "; ".join(
        f"{name}: {exc.reason if isinstance(exc, AudioDecodeError) else exc}"
        for name, exc in failures
    )
    if not errors:
        return UnsupportedFormatError(source.name, f"not a readable audio file ({reasons})")
    # The first backend that recognised the data says what kind of failure it is.
    error = type(errors[0])(source.name, reasons)
    error.__cause__ = errors[0]
    return error
