"""The decode cache's store: one folder of ``.npy`` entries, their key, safety and eviction.

:mod:`audiodecode.cache` is the public face (``enable``, ``disable``, ``info``, ``clear``);
this module is what it switches on: :class:`DecodeCache`, one folder, and :class:`Entry`,
one key's file in it, which ``audiodecode.load`` reads before decoding and writes after.
The bytes of an entry are :mod:`audiodecode.cache._format`'s.

What makes an entry
-------------------
The key holds the file's identity and every argument that changes the array:

* the file: its absolute path, device, inode, size, ``mtime_ns`` and ``ctime_ns`` (a file
  changed in place, or replaced by another with the same size and mtime, is a miss; the
  inode and device name the file that ``os.path.realpath`` would, without the 24 us of
  ``lstat`` calls realpath costs). With ``identity="content"`` a hash of its bytes instead,
  so that copies and moved datasets share entries (costs one read of the file per process);
* ``sr``, ``mono``, ``offset``, ``duration``, ``dtype``, ``res_type`` (ignored when ``sr`` is
  None), ``backend``;
* the versions of what decodes: audiodecode, numpy, libsndfile, FFmpeg and PyAV, libsoxr and
  python-soxr (and scipy, samplerate or resampy for the ``res_type`` that uses them).
  Reading them imports soundfile, av and soxr once per process (0.12-0.14 s here) on the
  first cached load.

Each entry is one ``.npy`` file (``np.load`` reads it) named by the key's hash, whose header
also records the key and the sampling rate (:mod:`audiodecode.cache._format`). A hit is one
``open``, one ``fstat`` and two reads, the second straight into a new array: no pickle, no
database.

Safety
------
* Writes go to a temporary file in the entry's folder, renamed over the entry
  (``os.replace``) once complete, so readers see a whole entry or none; any number of
  processes (DataLoader workers, Ray tasks, ``load_batch`` processes) may write the same entry
  at once, and the last rename wins with identical bytes. A failed write only loses the entry.
* An entry whose header is not exactly the one its key and shape give, or whose size is not
  the header's plus the samples', is a miss and is written again: a truncated, garbled or
  foreign file never becomes an array. The samples themselves carry no checksum (a checksum
  would cost more than the read); a flipped bit on the disk is the file system's to catch.
* The folder is created with mode 0o700 and the entries 0o600; entries are parsed
  (:func:`~audiodecode.cache._format.parse_header`), never unpickled.

Size and eviction
-----------------
Least recently used first. A hit marks its entry used by setting its mtime, at most once a
minute per entry (so most hits cost no write). Each process counts what it writes; after
1/16 of ``max_size``, or when the folder would pass ``max_size``, it lists the folder and
deletes the oldest entries until 90% of ``max_size`` is left (and temporary files a killed
process left for over an hour). The folder can therefore pass the bound by up to 1/16 of it
per writing process between two listings.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import stat
import sys
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any

import numpy as np

from ._format import (
    DTYPES,
    FORMAT,
    HEADER_BYTES,
    READ_FLAGS,
    WRITE_FLAGS,
    build_header,
    parse_header,
    read_exactly,
    touch,
    write_all,
)

if TYPE_CHECKING:
    from .._options import LoadOptions
    from .._source import AudioSource

__all__ = ["DEFAULT_MAX_SIZE", "DecodeCache", "Entry", "list_entries", "parse_size"]

DEFAULT_MAX_SIZE = 20 * 10**9

# A hit refreshes the entry's mtime (its LRU age) only when older than this: most hits write nothing.
_TOUCH_AFTER = 60.0
# Temporary files older than this were left by a killed process.
_STALE_TMP = 3600.0
_EVICT_TO = 0.9
_SCAN_EVERY = 1 / 16
_SIZE_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
               "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def parse_size(size: int | str) -> int:
    """Bytes from ``20000000000``, ``"20GB"``, ``"500 MB"`` or ``"1.5GiB"``.

    Examples
    --------
    >>> parse_size("20GB"), parse_size("1.5KiB"), parse_size(4096)
    (20000000000, 1536, 4096)
    """
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        value = int(size)
    else:
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([A-Za-z]*)\s*", str(size))
        unit = match.group(2).upper() if match else ""
        if match is None or unit not in _SIZE_UNITS:
            msg = f"max_size={size!r}: expected bytes or a size such as '20GB' or '500MiB'"
            raise ValueError(msg)
        value = int(float(match.group(1)) * _SIZE_UNITS[unit])
    if value <= 0:
        msg = f"max_size={size!r} must be positive"
        raise ValueError(msg)
    return value


class DecodeCache:
    """One cache folder; ``audiodecode.load`` asks :meth:`entry` for each local file.

    Parameters
    ----------
    directory : str or os.PathLike
        The folder (``~`` is expanded); created with mode 0o700 on first write if missing.
    max_size : int or str
        Bound on the entries' total size, as bytes or ``"20GB"``.
    identity : {"stat", "content"}
        How a source file is recognised: by path, inode and times (free), or by a hash of
        its bytes (one read per file and process; entries survive copies and moves).

    Examples
    --------
    >>> import tempfile
    >>> store = DecodeCache(tempfile.mkdtemp(), max_size="1GB")
    >>> store.max_size
    1000000000
    """

    def __init__(
        self, directory: str | os.PathLike[str], *, max_size: int | str = DEFAULT_MAX_SIZE,
        identity: str = "stat",
    ) -> None:
        if identity not in ("stat", "content"):
            msg = f"identity={identity!r}; expected 'stat' or 'content'"
            raise ValueError(msg)
        self.directory = os.path.abspath(os.path.expanduser(os.fspath(directory)))
        self.max_size = parse_size(max_size)
        self.identity = identity
        self._lock = threading.Lock()
        _stores.add(self)
        self._known_size: int | None = None  # the folder's size at our last listing
        self._written = 0  # bytes this process wrote since then
        self._made_dirs: set[str] = set()
        self._content_digests: dict[tuple[Any, ...], str] = {}

    # --- lookup -----------------------------------------------------------------------------

    def entry(self, path: AudioSource, options: LoadOptions) -> Entry | None:
        """The entry for loading ``path`` with checked ``options``, or ``None`` when ``path``
        is not a regular file.

        ``max_duration`` is not part of the key: a limit refuses a decode but does not change
        it, so :meth:`Entry.read` applies it to what the entry holds.
        """
        try:
            name = os.fsdecode(os.fspath(path))  # type: ignore[arg-type]
            st = os.stat(name)
        except (OSError, TypeError, ValueError):
            return None  # a URL, a missing file...: load decodes it and reports the error
        if not stat.S_ISREG(st.st_mode):
            return None
        if self.identity == "content":
            try:
                source = self._content_digest(name, st)
            except OSError:
                return None
        else:
            source = (f"{os.path.abspath(name)}|{st.st_dev}|{st.st_ino}|{st.st_size}|"
                      f"{st.st_mtime_ns}|{st.st_ctime_ns}")
        sr, res_type = options.sr, options.res_type
        key = "|".join((
            FORMAT, _fingerprint(), source,
            "-" if sr is None else float(sr).hex(), "1" if options.mono else "0",
            float(options.offset).hex(),
            "-" if options.duration is None else float(options.duration).hex(),
            options.dtype.str, "-" if sr is None else f"{res_type}{_resampler_version(res_type)}",
            options.backend or "-",
        ))
        digest = hashlib.blake2b(key.encode("utf-8", "surrogateescape"), digest_size=16)
        return Entry(self, digest.hexdigest())

    def _content_digest(self, name: str, st: os.stat_result) -> str:
        memo_key = (os.path.abspath(name), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns,
                    st.st_ctime_ns)
        digest = self._content_digests.get(memo_key)
        if digest is None:
            hasher = hashlib.blake2b(digest_size=32)
            with open(name, "rb") as f:
                for block in iter(functools.partial(f.read, 1 << 20), b""):
                    hasher.update(block)
            digest = f"content:{hasher.hexdigest()}"
            self._content_digests[memo_key] = digest
        return digest

    # --- writing and eviction ---------------------------------------------------------------

    def _folder(self, digest: str) -> str:
        return os.path.join(self.directory, digest[:2])

    def _ensure_folder(self, folder: str) -> None:
        if folder in self._made_dirs:
            return
        if not os.path.isdir(self.directory):
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
        os.makedirs(folder, mode=0o700, exist_ok=True)
        self._made_dirs.add(folder)

    def _wrote(self, n_bytes: int) -> None:
        with self._lock:
            self._written += n_bytes
            known = self._known_size or 0
            due = (self._written >= self.max_size * _SCAN_EVERY
                   or known + self._written > self.max_size)
        if due:
            self.evict()

    def note_emptied(self) -> None:
        """Count the folder as empty again: :func:`audiodecode.cache.clear` deleted it all."""
        with self._lock:
            self._known_size, self._written = 0, 0

    def evict(self) -> int:
        """List the folder; if over ``max_size``, delete the least recently used entries.

        Returns the number of entries deleted. Called after writes (see the module
        docstring); safe while other processes read and write.
        """
        with self._lock:
            self._written = 0
            entries, total = list_entries(self.directory, remove_tmp_after=_STALE_TMP)
            removed = 0
            if total > self.max_size:
                entries.sort()  # oldest mtime first
                target = self.max_size * _EVICT_TO
                for _, size, path in entries:
                    if total <= target:
                        break
                    try:
                        os.unlink(path)
                    except FileNotFoundError:
                        pass  # another process evicted it first
                    except OSError:
                        continue
                    total -= size
                    removed += 1
            self._known_size = total
            return removed


# A forked child (a DataLoader worker) may inherit a lock that a parent's thread held.
_stores: weakref.WeakSet[DecodeCache] = weakref.WeakSet()


def _new_locks_in_child() -> None:
    for store in list(_stores):
        store._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_locks_in_child)


class Entry:
    """One key's place in the cache: :meth:`read` it, or :meth:`write` what was decoded."""

    __slots__ = ("_store", "digest", "path")

    def __init__(self, store: DecodeCache, digest: str) -> None:
        self._store = store
        self.digest = digest
        self.path = os.path.join(store._folder(digest), digest[2:] + ".npy")

    def read(self, options: LoadOptions) -> tuple[np.ndarray, float] | None:
        """``(y, sr)`` as ``load`` returns them, or ``None`` for a miss (absent, not whole, or
        longer than ``options.max_duration``, which a decode would refuse)."""
        try:
            fd = os.open(self.path, READ_FLAGS)
        except OSError:
            return None
        try:
            parsed = parse_header(os.pread(fd, HEADER_BYTES, 0), self.digest)
            if parsed is None:
                return None
            shape, dtype, fortran, stored_sr = parsed
            sr = stored_sr if options.sr is None else options.sr
            if shape[-1] > options.resolved_max_duration() * sr + 1:
                return None  # a decode, now, would raise AudioTooLargeError
            base_shape = shape[::-1] if fortran else shape
            base = np.empty(base_shape, dtype)
            st = os.fstat(fd)
            if st.st_size != HEADER_BYTES + base.nbytes:
                return None
            if base.nbytes and not read_exactly(fd, base, HEADER_BYTES):
                return None
            if time.time() - st.st_mtime > _TOUCH_AFTER:
                touch(fd)
        except OSError:
            return None
        finally:
            os.close(fd)
        y = base.T if fortran else base.reshape(shape)  # a view, as a fresh decode returns
        return y, sr

    def write(self, y: np.ndarray, sr: float) -> None:
        """Store a decoded array; any failure (disk full, permissions) leaves no entry."""
        store = self._store
        if y.dtype.str not in DTYPES or y.ndim not in (1, 2) or y.nbytes > store.max_size:
            return
        fortran = y.ndim == 2 and y.flags.f_contiguous and not y.flags.c_contiguous
        data = y.T if fortran else np.ascontiguousarray(y)
        header = build_header(y.shape, y.dtype.str, fortran, sr, self.digest)
        folder = store._folder(self.digest)
        tmp = os.path.join(
            folder, f".{self.digest[2:]}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            store._ensure_folder(folder)
            fd = os.open(tmp, WRITE_FLAGS, 0o600)
            try:
                write_all(fd, header)
                if data.nbytes:
                    write_all(fd, data.data.cast("B"))
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
        except OSError:
            store._made_dirs.discard(folder)  # e.g. the folder was cleared meanwhile
            try:
                os.unlink(tmp)
            except OSError:
                pass
            return
        store._wrote(HEADER_BYTES + data.nbytes)


def list_entries(
    directory: str, *, remove_tmp_after: float | None
) -> tuple[list[tuple[int, int, str]], int]:
    """``([(mtime_ns, size, path)], total size)`` of the entries under ``directory``.

    Temporary files older than ``remove_tmp_after`` seconds are deleted on the way.

    Examples
    --------
    >>> import tempfile
    >>> list_entries(tempfile.mkdtemp(), remove_tmp_after=None)
    ([], 0)
    """
    entries: list[tuple[int, int, str]] = []
    total = 0
    now = time.time()
    try:
        folders = [d.path for d in os.scandir(directory)
                   if len(d.name) == 2 and d.is_dir(follow_symlinks=False)]
    except OSError:
        return entries, total
    for folder in folders:
        try:
            listing = list(os.scandir(folder))
        except OSError:
            continue
        for item in listing:
            try:
                if item.name.endswith(".npy"):
                    st = item.stat(follow_symlinks=False)
                    entries.append((st.st_mtime_ns, st.st_size, item.path))
                    total += st.st_size
                elif remove_tmp_after is not None and item.name.endswith(".tmp"):
                    age = now - item.stat(follow_symlinks=False).st_mtime
                    if age >= remove_tmp_after and item.name.startswith("."):
                        os.unlink(item.path)
            except OSError:  # noqa: PERF203 - each entry may vanish on its own
                continue  # deleted meanwhile
    return entries, total


@functools.cache
def _fingerprint() -> str:
    """The versions of everything that decodes, once per process (imports the decoders)."""
    from .._version import __version__

    parts = [f"audiodecode={__version__}", f"numpy={np.__version__}",
             f"python={sys.version_info[0]}.{sys.version_info[1]}"]
    try:
        import soundfile

        parts.append(f"soundfile={soundfile.__version__}")
        parts.append(f"libsndfile={soundfile.__libsndfile_version__}")
    except (ImportError, OSError):
        parts.append("soundfile=-")
    try:
        import av

        parts.append(f"av={av.__version__}")
        parts.append(f"ffmpeg={av.ffmpeg_version_info}")
        parts.append("libs=" + ",".join(f"{k}{v}" for k, v in sorted(av.library_versions.items())))
    except ImportError:
        parts.append("av=-")
    try:
        import soxr

        parts.append(f"soxr={soxr.__version__}")
        parts.append(f"libsoxr={getattr(soxr, '__libsoxr_version__', '?')}")
    except ImportError:
        parts.append("soxr=-")
    return ";".join(parts)


_RESAMPLER_PACKAGES = {"scipy": "scipy", "fft": "scipy", "polyphase": "scipy",
                       "linear": "samplerate", "zero_order_hold": "samplerate",
                       "sinc_best": "samplerate", "sinc_medium": "samplerate",
                       "sinc_fastest": "samplerate", "kaiser_best": "resampy",
                       "kaiser_fast": "resampy"}


@functools.cache
def _resampler_version(res_type: str) -> str:
    """The version of the package behind a non-soxr ``res_type`` (soxr's is in the fingerprint)."""
    package = _RESAMPLER_PACKAGES.get(res_type)
    if package is None:
        return ""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"@{package}={version(package)}"
    except PackageNotFoundError:
        return f"@{package}=-"
