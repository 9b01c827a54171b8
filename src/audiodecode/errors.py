"""Exceptions raised by audiodecode.

Every class keeps its constructor arguments in ``args`` so that it pickles: errors cross
process boundaries in :func:`audiodecode.load_batch` and in PyTorch ``DataLoader`` workers.
"""

from __future__ import annotations

import errno

__all__ = [
    "AudioDecodeError",
    "AudioTooLargeError",
    "CorruptAudioError",
    "DecodeTimeoutError",
    "NonFiniteAudioError",
    "NotRegularFileError",
    "UnsafeCacheFolderError",
    "UnsupportedFormatError",
]


class AudioDecodeError(RuntimeError):
    """The audio could not be decoded.

    Parameters
    ----------
    source : str
        A printable name of what was being read (a path, ``"<bytes>"``, ``"<BytesIO>"``...).
    reason : str
        Why it failed, in words a user can act on.
    backend : str, optional
        The backend that failed (``"wav"``, ``"sndfile"`` or ``"pyav"``), when one had started.

    Examples
    --------
    >>> err = AudioDecodeError("song.mp3", "truncated frame", backend="pyav")
    >>> str(err)
    'song.mp3: truncated frame [pyav]'
    """

    #: True for a refusal that no other backend could change (a rate too far from ``sr``):
    #: the loader then tries no other backend. Kept by pickling (it is in ``__dict__``).
    refused: bool = False

    def __init__(self, source: str, reason: str = "", backend: str | None = None) -> None:
        # ``reason`` has a default because some frameworks rebuild an exception from its
        # message alone (PyTorch's DataLoader does, for errors raised in its workers).
        # pickling rebuilds from ``args``: keep every field in it
        super().__init__(source, reason, backend)
        self.source = source
        self.reason = reason
        self.backend = backend

    def __str__(self) -> str:
        where = f" [{self.backend}]" if self.backend else ""
        reason = f": {self.reason}" if self.reason else ""
        return f"{self.source}{reason}{where}"


class UnsupportedFormatError(AudioDecodeError):
    """No backend reads this container or codec (including data that is not audio at all)."""


class CorruptAudioError(AudioDecodeError):
    """The header or the coded stream is damaged or truncated."""


class NonFiniteAudioError(CorruptAudioError):
    """The samples include NaN or infinity, where ``librosa.load`` refuses them.

    librosa checks the samples (``librosa.util.valid_audio``: "Audio buffer is not finite
    everywhere") in ``to_mono`` and ``resample``, so ``load`` refuses them with ``mono=True`` or
    a target ``sr``, and returns them with ``mono=False, sr=None``, as librosa does. Only
    floating-point files (float WAV/AIFF/CAF) and FFmpeg's decoders can produce them.
    """


class AudioTooLargeError(AudioDecodeError):
    """The audio is longer than the ``max_duration`` limit of :func:`audiodecode.load`, or
    decodes to far more than its bytes can honestly code (a decompression bomb).

    With the default ``max_duration``, a file may decode to at most 1024 bytes of output per
    byte of the file (at the target rate and dtype), or 256 MiB, whichever is more; passing
    any ``max_duration`` (``math.inf`` included), per call or with
    :func:`audiodecode.set_max_duration`, replaces that bound with the duration alone.
    Raised before the output is allocated when the file's length is known, otherwise as soon
    as the decoded audio passes the limit (a header can lie about the length; the samples
    cannot); also when the memory for the output cannot be had (never a bare ``MemoryError``).
    """


class NotRegularFileError(AudioDecodeError):
    """The path or descriptor names a FIFO, a socket or a device, not a regular file.

    Such a file can block a read forever (a FIFO without a writer) or never end
    (``/dev/zero``), so it is refused before anything is read from it. Read it yourself and
    pass the bytes to decode what it holds.
    """


class DecodeTimeoutError(AudioDecodeError):
    """A file took longer than the ``timeout`` of :func:`audiodecode.load_batch` or ``imap``.

    The batch stops waiting for it and goes on; the worker that decodes it cannot be stopped
    from Python (the time is spent in C) and is busy until the call returns.
    """


def describe_failure(exc: BaseException) -> str:
    """One line for a failed file in a batch's report: the error's type, reason and backend.

    Examples
    --------
    >>> describe_failure(CorruptAudioError("a.mp3", "truncated frame", backend="pyav"))
    'CorruptAudioError: truncated frame [pyav]'
    >>> describe_failure(ValueError("sr=-1 must be a positive number or None"))
    'ValueError: sr=-1 must be a positive number or None'
    """
    if isinstance(exc, AudioDecodeError):
        where = f" [{exc.backend}]" if exc.backend else ""
        return f"{type(exc).__name__}: {exc.reason}{where}"
    return f"{type(exc).__name__}: {exc}"


class UnsafeCacheFolderError(PermissionError):
    """A decode-cache folder that another user could write to, refused before any use.

    Raised by :func:`audiodecode.cache.enable` (and the cache's other entry points) when the
    folder, or a folder above it, is owned by another user or writable by group or others, as
    OpenSSH refuses such a ``~/.ssh``: whoever can write there could plant entries that
    ``load`` returns, or symlinks that make it overwrite their target.

    Parameters
    ----------
    directory : str
        The cache folder.
    reason : str
        What is wrong and the command or choice that fixes it.

    Examples
    --------
    >>> err = UnsafeCacheFolderError("/srv/cache", "writable by others; run: chmod go-w /srv/cache")
    >>> str(err)
    '/srv/cache: writable by others; run: chmod go-w /srv/cache'
    """

    def __init__(self, directory: str, reason: str = "") -> None:
        super().__init__(errno.EACCES, reason or "unsafe cache folder", directory)
        self.directory = directory
        self.reason = reason

    def __reduce__(self) -> tuple[type[UnsafeCacheFolderError], tuple[str, str]]:
        # OSError pickles as (errno, strerror, filename): rebuild from our own fields instead.
        return type(self), (self.directory, self.reason)

    def __str__(self) -> str:
        return f"{self.directory}: {self.reason}" if self.reason else self.directory
