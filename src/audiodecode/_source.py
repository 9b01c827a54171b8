"""Normalise whatever the caller passed into one :class:`Source`, and sniff its container.

Every public function accepts the same inputs (librosa's, plus ``bytes``): a path (``str`` or
``os.PathLike``), a URL with a scheme that fsspec knows, an integer file descriptor, a binary
file-like object, ``bytes``/``bytearray``/``memoryview``, or an open ``soundfile.SoundFile``.
They are told apart here, once, so that no backend repeats the ladder.
"""

from __future__ import annotations

import errno
import io
import os
import stat
import sys
from typing import IO, TYPE_CHECKING, Any, Union

from .errors import AudioDecodeError, NotRegularFileError

if TYPE_CHECKING:
    from typing import Self

    import soundfile

#: What ``load``, ``stream``, ``info``... accept as their first argument.
AudioSource = Union[
    str, "os.PathLike[str]", int, bytes, bytearray, memoryview, IO[bytes], "soundfile.SoundFile"
]

# Enough bytes to recognise every container, and to parse nearly every WAV header in one read.
HEAD_BYTES = 4096


class Source:
    """One input, ready for a backend.

    One of ``path`` (a local file), ``fileobj`` and ``soundfile`` is given. A local file is
    opened as a bare descriptor, ``fd``, read with ``os.pread``: each system call is also a
    release and re-take of the GIL, which in worker threads costs more than the call itself,
    so a WAV clip's load makes four (open, the head, the samples, close) where a Python file
    object would add two ``fstat``. ``raw_file()`` wraps it in a file object for the backends
    that want one. ``name`` is what error messages print. ``owned`` says whether the file
    object (or ``SoundFile``) is ours to close; ``close()`` releases what we opened, never a
    caller's file.
    """

    __slots__ = ("_head", "_size", "fd", "fileobj", "name", "owned", "path", "soundfile")

    def __init__(
        self,
        name: str,
        *,
        path: str | None = None,
        fileobj: IO[bytes] | None = None,
        soundfile: soundfile.SoundFile | None = None,
        owned: bool = False,
    ) -> None:
        self.name = name
        self.path = path
        self.fileobj = fileobj
        self.soundfile = soundfile
        self.owned = owned
        self.fd: int | None = None
        self._head: bytes | None = None
        self._size: int | None = None
        if path is not None:
            # Whether it is a regular file is checked by ``open_source``, after the first read.
            self.fd = _open_regular_file(path)

    def size(self) -> int | None:
        """The data's length in bytes, or ``None`` where it cannot be known cheaply.

        Readers bound what they allocate by it: a header may claim any length, but a file
        cannot hold more samples than its bytes can code.
        """
        if self._size is None and self.fd is not None:
            self._size = _regular_file_size(self.fd, self.name)
        elif self._size is None and self.fileobj is not None:
            fileobj = self.fileobj
            if isinstance(fileobj, io.BytesIO):
                self._size = fileobj.getbuffer().nbytes
            else:
                try:
                    here = fileobj.tell()
                    self._size = fileobj.seek(0, os.SEEK_END)
                    fileobj.seek(here)
                except (OSError, ValueError, AttributeError):
                    return None
        return self._size

    def read_at(self, offset: int, size: int) -> bytes:
        """Up to ``size`` bytes from ``offset``: ``pread`` on a local file, else seek and read.

        For header parsing beyond :meth:`head`; a caller's file object is left wherever the
        read ends (every backend seeks before it reads).
        """
        if self.fd is not None:
            return os.pread(self.fd, size, offset)
        fileobj = self.raw_file()
        fileobj.seek(offset)
        return fileobj.read(size)

    def head(self) -> bytes:
        """The first ``HEAD_BYTES`` bytes of the file (fewer if it is shorter)."""
        if self._head is None:
            if self.soundfile is not None:
                self._head = b""
            elif self.fd is not None:
                try:
                    self._head = os.pread(self.fd, HEAD_BYTES, 0)
                except IsADirectoryError as exc:
                    raise IsADirectoryError(exc.errno, exc.strerror, self.path) from None
                except OSError as exc:
                    if exc.errno == errno.ESPIPE:  # a FIFO or a socket: say which
                        _regular_file_size(self.fd, self.name)
                    # EIO, or a file system that fails under us
                    reason = f"cannot read the file: {exc.strerror or exc}"
                    raise AudioDecodeError(self.name, reason) from None
            else:
                assert self.fileobj is not None
                self.fileobj.seek(0)
                self._head = self.fileobj.read(HEAD_BYTES)
        return self._head

    def raw_file(self) -> IO[bytes]:
        """A binary file object over the data: the caller's, or one over ``fd``."""
        if self.fileobj is None:
            assert self.fd is not None
            self.fileobj = open(self.fd, "rb", buffering=0, closefd=False)  # noqa: SIM115
            self.owned = True
        return self.fileobj

    def close(self) -> None:
        if self.owned and self.fileobj is not None:
            self.fileobj.close()
        if self.fd is not None:
            fd, self.fd = self.fd, None
            os.close(fd)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Source({self.name!r})"


# O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer, possibly forever. It
# changes nothing for regular files, the only kind read after the ``fstat`` below.
_OPEN_FLAGS = (
    os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    | getattr(os, "O_NONBLOCK", 0)
)  # fmt: skip

# Errors of ``open`` that mean "this path names no file": raised as FileNotFoundError (with
# the OS's own errno and message), the builtin ``load`` documents for a path that is not a file.
_NOT_A_FILE_ERRNOS = frozenset(
    getattr(errno, name) for name in ("ENOENT", "ENOTDIR", "ELOOP", "ENAMETOOLONG")
    if hasattr(errno, name)
)  # fmt: skip
# ``open`` on a socket file fails with ENXIO (no such device or address).
_SPECIAL_FILE_ERRNOS = frozenset(
    getattr(errno, name) for name in ("ENXIO", "ENODEV") if hasattr(errno, name)
)  # fmt: skip


def _open_regular_file(path: str) -> int:
    """``os.open`` for reading, with every failure mapped to a documented exception."""
    try:
        return os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno in _NOT_A_FILE_ERRNOS:
            raise FileNotFoundError(exc.errno, exc.strerror, path) from None
        if exc.errno in _SPECIAL_FILE_ERRNOS:
            reason = f"not a regular file (a socket or device): {exc.strerror}"
            raise NotRegularFileError(path, reason) from None
        if isinstance(exc, (PermissionError, IsADirectoryError)):
            raise type(exc)(exc.errno, exc.strerror, path) from None
        raise AudioDecodeError(path, f"cannot open the file: {exc.strerror or exc}") from None


_WAV_TAGS = (b"RIFF", b"RF64", b"BW64")


def _regular_file_size(fd: int, name: str) -> int:
    """The size of the file open on ``fd``; raises unless it is a regular file.

    A FIFO or a socket can block a read forever and a character device (``/dev/zero``) never
    ends: they are refused before anything is read from them.
    """
    try:
        mode_and_size = os.fstat(fd)
    except OverflowError:  # beyond a C int: no descriptor has that number
        msg = f"{name}: file descriptor {fd} is not open (not a valid descriptor number)"
        raise ValueError(msg) from None
    except OSError as exc:
        if exc.errno == errno.EBADF:
            msg = f"{name}: file descriptor {fd} is not open"
            raise ValueError(msg) from None
        raise
    mode = mode_and_size.st_mode
    if stat.S_ISREG(mode):
        return mode_and_size.st_size
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "Is a directory, not an audio file", name)
    kind = (
        "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
        else "a character device" if stat.S_ISCHR(mode) else "a block device"
        if stat.S_ISBLK(mode) else "not a regular file"
    )  # fmt: skip
    reason = f"{kind}, not a regular file; read it yourself and pass the bytes"
    raise NotRegularFileError(name, reason)


def _check_readable(fd: int, name: str) -> None:
    """Raise ``ValueError`` for a descriptor open for writing only (reading it fails)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: the first read says it
        return
    if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY:
        msg = f"{name}: file descriptor {fd} is open for writing only; open it for reading"
        raise ValueError(msg)


def open_source(obj: Any) -> Source:
    """Turn a user's argument into a :class:`Source`.

    Raises
    ------
    FileNotFoundError, IsADirectoryError, PermissionError
        A path that names no file (missing, a dangling symlink or a symlink loop, a file
        used as a directory as in ``song.wav/``), a directory, or a file we may not read.
    NotRegularFileError
        A FIFO, socket or device, by path or descriptor.
    ValueError
        A file descriptor that is not open, or open for writing only.
    TypeError
        Something that is not one of the accepted kinds (a text-mode file, a list...).
    """
    if isinstance(obj, (str, os.PathLike)):
        path = os.fspath(obj)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if "://" in path and not path.startswith("file://"):
            return _open_url(path)
        path = path.removeprefix("file://")
        source = Source(path, path=path)
        try:
            head = source.head()  # fail now, with the OS's own errors (mapped above)
            if not (head[:4] in _WAV_TAGS and head[8:12] == b"WAVE"):
                # A FIFO or a socket failed the read (ESPIPE); a device did not: refuse it
                # here. A WAV header from a device is beyond belief, and the one ``fstat``
                # saved is 2% of a speech clip's load; ``size()`` makes it when it is needed.
                source.size()
        except BaseException:
            source.close()
            raise
        return source
    if isinstance(obj, (bytes, bytearray, memoryview)):
        if isinstance(obj, memoryview) and not obj.contiguous:
            obj = obj.tobytes()  # a strided view: BytesIO takes contiguous buffers only
        return Source(f"<{type(obj).__name__}>", fileobj=io.BytesIO(obj), owned=True)
    if isinstance(obj, int) and not isinstance(obj, bool):
        name = f"<fd {obj}>"
        # A pipe, socket or device given as a descriptor is refused like one given by path.
        size = _regular_file_size(obj, name)
        _check_readable(obj, name)
        # soundfile (and so librosa) closes a descriptor it was given; so do we.
        source = Source(name, fileobj=os.fdopen(obj, "rb", closefd=True), owned=True)
        source._size = size
        return source
    sf_module = sys.modules.get("soundfile")
    if sf_module is not None and isinstance(obj, sf_module.SoundFile):
        return Source(str(obj.name), soundfile=obj, owned=True)  # librosa.load closes it
    if isinstance(obj, io.TextIOBase):
        msg = f"{_fileobj_name(obj)} is open in text mode; open it with 'rb' to read audio"
        raise TypeError(msg)
    if hasattr(obj, "read"):
        name = _fileobj_name(obj)
        fileobj = _filled_reads(obj)
        if not fileobj.seekable():
            return Source(name, fileobj=io.BytesIO(fileobj.read()), owned=True)
        # A wrapper is ours to close; closing it leaves the caller's object open.
        return Source(name, fileobj=fileobj, owned=fileobj is not obj)
    msg = (
        "expected a path, a URL, a file descriptor, a binary file object, bytes or a "
        f"soundfile.SoundFile, got {type(obj).__name__}"
    )
    raise TypeError(msg)


def _filled_reads(obj: Any) -> Any:
    """``obj`` as a file object whose ``read(n)`` returns ``n`` bytes until the end.

    A buffered ``io`` object (``BytesIO``, ``open(..., "rb")``) or any other ``io`` object
    but a raw one (fsspec's files) is that already. A raw one (``buffering=0``, a socket's
    file) may return fewer bytes than asked anywhere, and so may an object that only has
    ``read(n)`` (an HTTP body), whose ``read`` may also need its ``n`` and whose ``seek`` its
    ``whence``: libsndfile and the header parsers would take a short read for the end, so
    these are read through a ``BufferedReader``, which asks again until ``n`` bytes came.
    """
    if isinstance(obj, io.IOBase) and not isinstance(obj, io.RawIOBase):
        return obj
    return io.BufferedReader(_ReadCalls(obj))


class _ReadCalls(io.RawIOBase):
    """A raw ``io`` stream over an object's ``read(n)`` (and ``seek(offset, whence)`` where
    it has one), whatever number of bytes each call returns. Closing it leaves the object
    open: it is the caller's."""

    def __init__(self, obj: Any) -> None:
        super().__init__()
        self._obj = obj
        self._position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._obj.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self._position += n
        return n

    def seekable(self) -> bool:
        seekable = getattr(self._obj, "seekable", None)
        return bool(seekable()) if callable(seekable) else hasattr(self._obj, "seek")

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if not self.seekable():
            msg = f"{type(self._obj).__name__} has no seek"
            raise io.UnsupportedOperation(msg)
        result = self._obj.seek(offset, whence)
        if isinstance(result, int):
            self._position = result
        elif whence == os.SEEK_SET:
            self._position = offset
        elif whence == os.SEEK_CUR:
            self._position += offset
        else:
            self._position = self._obj.tell()
        return self._position

    def tell(self) -> int:
        return self._position


def _fileobj_name(obj: Any) -> str:
    name = getattr(obj, "name", None)
    return name if isinstance(name, str) else f"<{type(obj).__name__}>"


def _open_url(url: str) -> Source:
    try:
        import fsspec
    except ImportError:
        msg = (
            f"{url}: reading URLs needs fsspec (pip install 'audiodecode[remote]', plus the "
            "filesystem's own package, e.g. s3fs or gcsfs)"
        )
        raise ImportError(msg) from None
    fs, fs_path = fsspec.core.url_to_fs(url)
    try:
        # fsspec's files read ahead in blocks and seek lazily: a reader that seeks fetches
        # only the ranges it needs instead of downloading the whole object. Opening directly
        # costs one request on object stores, where exists() + isdir() + open() cost three.
        remote = fs.open(fs_path, "rb")
    except FileNotFoundError:
        if fs.isdir(fs_path):
            raise IsADirectoryError(21, "Is a directory, not an audio file", url) from None
        raise FileNotFoundError(2, "No such file or directory", url) from None
    except IsADirectoryError:
        raise IsADirectoryError(21, "Is a directory, not an audio file", url) from None
    return Source(url, fileobj=remote, owned=True)


#: Containers :func:`sniff` recognises that hold no sound, and what they hold instead: no
#: backend is asked to decode them, and a folder's listing skips them as "not audio".
NOT_AUDIO_CONTAINERS = {"midi": "a MIDI sequence (notes, not sound)"}


def sniff(head: bytes) -> str:
    """Name the container from its first bytes; ``"unknown"`` when nothing matches.

    Examples
    --------
    >>> sniff(b"RIFF\\x24\\x00\\x00\\x00WAVEfmt ")
    'wav'
    >>> sniff(b"fLaC\\x00\\x00\\x00\\x22")
    'flac'
    >>> sniff(b"hello, world")
    'unknown'
    """
    tag4 = head[:4]
    if tag4 in (b"RIFF", b"RIFX", b"RF64", b"BW64") and head[8:12] == b"WAVE":
        return "wav"
    if tag4 == b"riff" and head[:16] == _W64_RIFF_GUID:
        return "w64"
    if tag4 == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if tag4 == b"fLaC":
        return "flac"
    if tag4 == b"OggS":
        return "ogg"
    if tag4 == b"caff":
        return "caf"
    if tag4 == b".snd":
        return "au"
    if head[4:8] == b"ftyp":
        return "mp4"
    if tag4 == b"\x1a\x45\xdf\xa3":
        return "matroska"
    if head[:16] == _ASF_HEADER_GUID:
        return "asf"
    if head[:6] == b"#!AMR\n" or head[:9] == b"#!AMR-WB\n":
        return "amr"
    if head[:2] == b"\x0b\x77":
        return "ac3"
    if head[:3] == b"ID3":
        return "mp3"  # an ID3v2 tag; nearly always MP3 behind it (AAC/ADTS is rare)
    if len(head) >= 2 and head[0] == 0xFF:
        if head[1] & 0xF6 == 0xF0:
            return "aac"  # ADTS: 12 sync bits, layer bits 00
        if head[1] & 0xE0 == 0xE0 and head[1] & 0x06:
            return "mp3"  # MPEG audio frame sync with a non-reserved layer
    if tag4 == b"MThd":
        return "midi"
    return "unknown"


_W64_RIFF_GUID = bytes.fromhex("726966662e91cf11a5d628db04c10000")
_ASF_HEADER_GUID = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")
