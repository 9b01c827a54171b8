"""The file a decode-cache entry is: a ``.npy`` file whose fixed 256-byte header names its key.

An entry is a ``.npy`` version 1.0 file, so ``np.load`` reads it: the preamble, the header
dict padded with spaces to 256 bytes (so the samples are aligned), then the samples, in C
order or, for the ``(channels, n)`` view a decode returns, Fortran order. After the dict, a
comment that ``np.load`` skips repeats the dtype, order and shape and records the sampling
rate (an int as written, a float as its hex) and the digest of the entry's key.

The comment is also how the cache knows its own files: it starts with the marker
``# audiodecode-cache <FORMAT>`` and ends with the digest that the entry's name spells, so
:func:`is_cache_header` tells an entry (of any format version, so that old ones are still
evicted) from a ``.npy`` file someone else put in the folder, which ``clear``, ``info`` and
eviction leave alone. Every future format keeps that preamble, marker and final digest.

:func:`parse_header` accepts a header only if it is byte for byte the one
:func:`build_header` writes for the fields it finds and the digest it is given, so a
truncated, garbled or foreign file is never read as an array. Entries hold float32 or
float64 samples (:data:`DTYPES`) in one or two dimensions. :data:`FORMAT` is in both the
comment and the key: bumping it turns every older entry into a miss.

This module knows bytes and file descriptors only: :mod:`audiodecode.cache._store` names,
reads, writes and evicts the entries.

Why plain files and not ``diskcache``
-------------------------------------
``diskcache`` 5.6.3 (a well-kept store with size-bounded eviction) was measured for the same
job, a hit against ``np.load`` of the same ``.npy`` bytes (``python benchmarks/bench_cache.py
--store --rounds 9``; BENCHMARKS.md). For a 3 s speech clip at 16 kHz: np.load 34 us, the
store 19 us (0.55x), diskcache with its LRU policy 51 us (1.51x; every ``get`` records the
access in SQLite, a write transaction under a lock shared by all processes) or 85 us reading
the raw ``.npy`` through ``get(read=True)``; its default policy (least recently *stored*,
not LRU) 22 us. For 60 s of stereo at 44.1 kHz (21 MB): np.load 0.79 ms, the store 0.87 ms
(1.11x), diskcache 2.0-2.4 ms (2.6-3.1x: its values come back through pickle or a second
file object, one more copy). Only plain files met the 1.3x target on both; they also need
no dependency, no lock between processes, and no pickle (which runs code from whoever can
write to the folder).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

__all__ = ["DIR_FLAGS", "DTYPES", "FORMAT", "HEADER_BYTES", "READ_FLAGS", "WRITE_FLAGS",
           "build_header", "is_cache_header", "parse_header", "payload_bytes", "read_exactly",
           "read_header", "touch", "write_all"]

# Bumped whenever the key or the entry layout changes: old entries then simply miss.
FORMAT = "1"
# .npy v1.0 preamble (magic, version, header length) + header, padded so samples are aligned.
HEADER_BYTES = 256
_PREAMBLE = b"\x93NUMPY\x01\x00" + (HEADER_BYTES - 10).to_bytes(2, "little")
_MARKER = " # audiodecode-cache "
_COMMENT = f"{_MARKER}{FORMAT} "
DTYPES: dict[str, np.dtype[Any]] = {"<f4": np.dtype("<f4"), "<f8": np.dtype("<f8")}

_BINARY = getattr(os, "O_BINARY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # absent on Windows only
# An entry's name is never followed if it is a symlink, and opening a FIFO put there returns
# at once (the store then refuses it by fstat) instead of waiting for a writer for ever.
READ_FLAGS = os.O_RDONLY | _BINARY | _CLOEXEC | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0)
# A new file under a fresh random name, or nothing: never one that exists, nor a symlink's target.
WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY | _CLOEXEC | _NOFOLLOW
# A folder of the cache, opened to work inside it, and never through a symlink.
DIR_FLAGS = os.O_RDONLY | _CLOEXEC | _NOFOLLOW | getattr(os, "O_DIRECTORY", 0)


def build_header(
    shape: tuple[int, ...], descr: str, fortran: bool, sr: float, digest: str
) -> bytes:
    """The :data:`HEADER_BYTES` that start the entry of key ``digest`` holding these samples.

    Raises ``OSError`` (a failed write, to the caller) when the fields do not fit.

    Examples
    --------
    >>> import io
    >>> header = build_header((2, 3), "<f4", False, 16000, "ab" * 16)
    >>> len(header), np.load(io.BytesIO(header + bytes(2 * 3 * 4))).shape  # np.load reads it
    (256, (2, 3))
    """
    dims = repr(tuple(int(n) for n in shape))  # as np.save writes it
    sr_text = f"i{sr}" if isinstance(sr, (int, np.integer)) else f"f{float(sr).hex()}"
    text = (
        f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {dims}, }}"
        f"{_COMMENT}{descr} {'F' if fortran else 'C'} "
        f"{'x'.join(str(n) for n in shape)} {sr_text} {digest}"
    )
    room = HEADER_BYTES - len(_PREAMBLE) - 1
    if len(text) > room:
        msg = f"cache header too long for shape {shape}"
        raise OSError(msg)  # treated as a failed write
    return _PREAMBLE + text.ljust(room).encode("ascii") + b"\n"


def parse_header(
    header: bytes, digest: str
) -> tuple[tuple[int, ...], np.dtype, bool, float] | None:
    """The header's fields if it is exactly the header they give, for this key; else None.

    Returns ``(shape, dtype, fortran, sr)``.

    Examples
    --------
    >>> header = build_header((2, 8000), "<f4", False, 16000, "ab" * 16)
    >>> parse_header(header, "ab" * 16)
    ((2, 8000), dtype('float32'), False, 16000)
    >>> parse_header(header, "cd" * 16) is None  # another key's entry
    True
    """
    if len(header) != HEADER_BYTES or not header.startswith(_PREAMBLE):
        return None
    text = header.decode("ascii", "replace")
    at = text.find(_COMMENT)
    if at < 0:
        return None
    fields = text[at + len(_COMMENT):].split()
    if len(fields) != 5 or fields[4] != digest or fields[0] not in DTYPES:
        return None
    descr, order, dims, sr_text = fields[:4]
    try:
        shape = tuple(int(n) for n in dims.split("x"))
        stored_sr: float = int(sr_text[1:]) if sr_text[0] == "i" else float.fromhex(sr_text[1:])
    except (ValueError, IndexError):
        return None
    if order not in ("C", "F") or len(shape) not in (1, 2) or min(shape) < 0:
        return None
    fortran = order == "F"
    try:
        expected = build_header(shape, descr, fortran, stored_sr, digest)
    except OSError:
        return None
    if expected != header:
        return None
    return shape, DTYPES[descr], fortran, stored_sr


def payload_bytes(shape: tuple[int, ...], dtype: np.dtype[Any]) -> int:
    """How many bytes of samples follow the header, in Python integers (which cannot overflow),
    so that a header's claim is checked against the file's size before anything is allocated.

    Examples
    --------
    >>> payload_bytes((2**20, 2**20), np.dtype("<f4")) // 2**40  # TiB
    4
    """
    count = 1
    for n in shape:
        count *= n
    return count * dtype.itemsize


def is_cache_header(header: bytes, digest: str) -> bool:
    """Whether ``header`` starts an entry this cache wrote under the name ``digest`` spells,
    in any format version (what ``clear``, ``info`` and eviction may count and delete).

    Examples
    --------
    >>> header = build_header((8000,), "<f4", False, 16000, "ab" * 16)
    >>> is_cache_header(header, "ab" * 16), is_cache_header(header, "cd" * 16)
    (True, False)
    >>> import io
    >>> plain = io.BytesIO()
    >>> np.save(plain, np.zeros(8000, "<f4"))  # a .npy file, but not one of ours
    >>> is_cache_header(plain.getvalue()[:HEADER_BYTES], "ab" * 16)
    False
    """
    if len(header) != HEADER_BYTES or not header.startswith(_PREAMBLE):
        return False
    text = header[len(_PREAMBLE):].decode("ascii", "replace")
    at = text.find(_MARKER)
    return at >= 0 and text[at + len(_MARKER):].split()[-1:] == [digest]


def read_header(fd: int) -> bytes:
    """The first :data:`HEADER_BYTES` of ``fd`` (fewer if the file is shorter)."""
    if hasattr(os, "pread"):
        return os.pread(fd, HEADER_BYTES, 0)
    os.lseek(fd, 0, os.SEEK_SET)  # pragma: no cover - Windows
    return os.read(fd, HEADER_BYTES)  # pragma: no cover


def read_exactly(fd: int, array: np.ndarray, offset: int) -> bool:
    """Fill ``array``'s bytes from ``fd`` at ``offset``; False if the file ends first."""
    view = array.data.cast("B")
    done, total = 0, len(view)
    while done < total:
        got = _pread_into(fd, view[done:], offset + done)
        if got <= 0:
            return False
        done += got
    return True


if hasattr(os, "preadv"):
    def _pread_into(fd: int, view: memoryview, offset: int) -> int:
        return os.preadv(fd, [view], offset)
else:  # pragma: no cover - macOS before 11, Windows
    def _pread_into(fd: int, view: memoryview, offset: int) -> int:
        chunk = os.pread(fd, len(view), offset) if hasattr(os, "pread") else _seek_read(
            fd, len(view), offset)
        view[: len(chunk)] = chunk
        return len(chunk)

    def _seek_read(fd: int, n: int, offset: int) -> bytes:
        os.lseek(fd, offset, os.SEEK_SET)
        return os.read(fd, n)


def write_all(fd: int, data: bytes | memoryview) -> None:
    """Write every byte of ``data`` to ``fd`` (``os.write`` may write fewer)."""
    view = memoryview(data)
    while len(view):
        written = os.write(fd, view)
        view = view[written:]


def touch(fd: int) -> None:
    """Set the open file's mtime to now, its last use for eviction; errors are ignored."""
    try:
        if os.utime in os.supports_fd:
            os.utime(fd)
    except OSError:
        pass  # a read-only cache still serves hits
