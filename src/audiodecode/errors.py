"""Exceptions raised by audiodecode.

Every class keeps its constructor arguments in ``args`` so that it pickles: errors cross
process boundaries in :func:`audiodecode.load_batch` and in PyTorch ``DataLoader`` workers.
"""

from __future__ import annotations

__all__ = [
    "AudioDecodeError",
    "CorruptAudioError",
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
