"""File objects of the kinds torchaudio 2.8 took (its own tests pass them): ``read(n)`` that
returns a few bytes at a time, ``seek`` that needs its ``whence``, or ``read(n)`` alone."""

from __future__ import annotations

import io


class TwoBytesAtATime:
    """``read(n)`` returns at most 2 bytes; ``seek`` needs its ``whence``."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def read(self, n: int) -> bytes:
        return self._inner.read(min(n, 2))

    def seek(self, offset: int, whence: int) -> int:
        return self._inner.seek(offset, whence)


class ReadOnly:
    """``read(n)`` and nothing else, with no default ``n`` (an HTTP body, say)."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def read(self, n: int) -> bytes:
        return self._inner.read(n)
