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

Each entry is one ``.npy`` file (``np.load`` reads it) named ``xx/<30 hex digits>.npy`` by
the key's hash, whose header also records the key and the sampling rate
(:mod:`audiodecode.cache._format`). A hit is one ``open``, one ``fstat`` and two reads, the
second straight into a new array: no pickle, no database.

Threat model
------------
The folder is trusted only if no other user can change it, the rule OpenSSH applies to
``~/.ssh``: :class:`DecodeCache` raises :class:`~audiodecode.errors.UnsafeCacheFolderError`
(naming the folder and the fix) when the folder is owned by another user, or is writable by
group or others, or when a folder above it is owned by a user other than us or root, or is
writable by group or others without the sticky bit (``/tmp`` is fine; a folder we made in it
is ours alone). As root, "another user" is any uid but 0. A folder that does not exist yet
is created on the first write, each missing level with mode 0o700 and checked after
``mkdir``. An existing folder of ours that is group-writable is refused, not silently
``chmod``-ed: the message gives the ``chmod go-w`` that fixes it, as ssh does. Platforms
without uids (Windows) leave this to the folder's ACL.

In such a folder nobody but us (and root) can create, rename or replace anything, so nobody
can plant an entry or a symlink; the measures below are defence in depth, and what keeps a
damaged or odd file (ours, or put there by hand) from hanging or exhausting ``load``:

* Writes hold the entry's two-character subfolder open (``O_DIRECTORY | O_NOFOLLOW``; a
  symlinked subfolder is refused, not followed), check that it is ours and private, create a
  temporary file in it with ``O_CREAT | O_EXCL | O_NOFOLLOW``, mode 0o600, under a random name
  (``secrets.token_hex``), and rename it over the entry (``os.replace``, relative to the held
  folder) once complete, so readers see a whole entry or none and no name an attacker could
  guess or point elsewhere is ever opened for writing. Any number of processes (DataLoader
  workers, Ray tasks, ``load_batch`` processes) may write the same entry at once; the last
  rename wins, with identical bytes. A failed write only loses the entry. The rename
  replaces only a regular file of ours (a damaged entry); anything else there is left alone.
* Reads open the subfolder with ``O_DIRECTORY | O_NOFOLLOW`` (and ``fstat`` it: ours alone)
  and the entry in it with ``O_NOFOLLOW | O_NONBLOCK``, and accept only a regular file that
  we own and no larger than ``max_size`` (nothing larger is ever written): a FIFO there is a
  miss at once, not a ``load`` blocked for ever, and a file of another user is a miss. The
  header must be exactly the one its key and shape give, and the file's size the header's
  plus the samples' *before* the array is allocated, so a header claiming a 4 TiB shape is
  a miss, not a ``MemoryError``. A truncated, garbled or foreign file never becomes an
  array; it is written again on the next decode if it is a regular file of ours.
* The samples carry no checksum and no keyed hash: in a folder only we can write there is
  nobody to authenticate against, and hashing the samples would cost more than reading them
  (see ``docs/guide/cache.md``). A flipped bit on the disk is the file system's to catch.
* ``clear``, ``info`` and eviction count and delete only the cache's own files: regular files
  of ours in ``xx/`` subfolders of ours, named as entries and whose header carries the cache's
  marker and the digest the name spells (:func:`~audiodecode.cache._format.is_cache_header`),
  and our temporary files (eviction, which lists often, reads a header only before deleting
  its file). Anything else (a folder of ``decode`` outputs, a ``.npy`` someone saved there)
  is left alone and only counted (:attr:`FolderScan.others`).
* Entries are parsed (:func:`~audiodecode.cache._format.parse_header`), never unpickled.

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

import contextlib
import functools
import hashlib
import os
import re
import secrets
import shlex
import stat
import sys
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from ..errors import UnsafeCacheFolderError
from ._format import (
    DIR_FLAGS,
    DTYPES,
    FORMAT,
    HEADER_BYTES,
    READ_FLAGS,
    WRITE_FLAGS,
    build_header,
    is_cache_header,
    parse_header,
    payload_bytes,
    read_exactly,
    read_header,
    touch,
    write_all,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType
    from typing import Self

    from .._options import LoadOptions
    from .._source import AudioSource

__all__ = ["DEFAULT_MAX_SIZE", "DecodeCache", "Entry", "FolderScan", "check_folder",
           "list_entries", "parse_size", "scan_folder"]

DEFAULT_MAX_SIZE = 20 * 10**9

# A hit refreshes the entry's mtime (its LRU age) only when older than this: most hits write nothing.
_TOUCH_AFTER = 60.0
# Temporary files older than this were left by a killed process.
_STALE_TMP = 3600.0
_EVICT_TO = 0.9
_SCAN_EVERY = 1 / 16
_SIZE_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
               "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}

# Our uid; None where files have no owner uid (Windows: the folder's ACL is the user's to set).
_UID: int | None = os.getuid() if hasattr(os, "getuid") else None
_SUBFOLDER = re.compile(r"[0-9a-f]{2}")
_ENTRY = re.compile(r"[0-9a-f]{30}\.npy")
# ".<digest>.<random hex>.tmp"; releases before 0.2 wrote ".<digest>.<pid>.<thread id>.tmp".
_TMP = re.compile(r"\.[0-9a-f]{30}\.[0-9a-f]+(?:\.[0-9]+)?\.tmp")
# Work inside a held folder by name (openat, mkdirat, renameat...) wherever the OS can; Windows,
# which cannot open a folder, works on paths.
_AT = {os.open, os.mkdir, os.stat, os.unlink, os.rename} <= os.supports_dir_fd and bool(
    getattr(os, "O_DIRECTORY", 0))
# The top folder may be a symlink the user made (~/.cache on a bigger disk): followed, then checked.
_ROOT_FLAGS = DIR_FLAGS & ~getattr(os, "O_NOFOLLOW", 0)

_T = TypeVar("_T")


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


# --- who may change the folder ------------------------------------------------------------------


def _owned(st: os.stat_result) -> bool:
    return _UID is None or st.st_uid == _UID


def _writers(mode: int) -> str:
    who = [name for bit, name in ((stat.S_IWGRP, "group"), (stat.S_IWOTH, "others"))
           if mode & bit]
    return " and ".join(who)


def _private_problem(path: str, st: os.stat_result) -> str | None:
    """Why a folder of the cache is not ours alone to change (with the fix), or None."""
    if _UID is None:
        return None
    if st.st_uid != _UID:
        return (f"owned by uid {st.st_uid}, not by you (uid {_UID}): its owner could plant "
                "entries that load would return; use a cache folder of your own (the default "
                "is ~/.cache/audiodecode)")
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return (f"writable by {_writers(st.st_mode)} (mode {stat.S_IMODE(st.st_mode):#o}): "
                "they could plant entries that load would return, or symlinks that make it "
                f"overwrite other files; make it yours alone with: chmod go-w {shlex.quote(path)}")
    return None


def _holder_problem(path: str, st: os.stat_result) -> str | None:
    """Why a folder above the cache lets someone else replace it (with the fix), or None."""
    if _UID is None:
        return None
    if st.st_uid not in (0, _UID):
        return (f"{path}, above it, is owned by uid {st.st_uid}, who could replace the cache "
                "folder with one of their own; use a cache folder elsewhere, such as the "
                "default ~/.cache/audiodecode")
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not st.st_mode & stat.S_ISVTX:
        return (f"{path}, above it, is writable by {_writers(st.st_mode)} without the sticky "
                f"bit (mode {stat.S_IMODE(st.st_mode):#o}), so they could replace the cache "
                f"folder; run: chmod go-w {shlex.quote(path)}, or use a cache folder elsewhere")
    return None


def _above(path: str) -> list[str]:
    """The folders above ``path``, nearest first, both as written and as symlinks resolve."""
    seen: list[str] = []
    for start in (path, os.path.realpath(path)):
        current = start
        while (parent := os.path.dirname(current)) != current:
            if parent not in seen:
                seen.append(parent)
            current = parent
    return seen


def check_folder(directory: str) -> None:
    """Refuse a cache folder that someone other than this user (or root) could change.

    ``directory`` (if it exists) must be owned by this user and not writable by group or
    others; every folder above it must be owned by this user or root and not writable by
    group or others unless it has the sticky bit (``/tmp``). See the module docstring. The
    folders above are checked once per process for each ``directory`` (and again before a
    missing level is made), the folder itself every time.

    Raises
    ------
    UnsafeCacheFolderError
        Naming ``directory``, what is wrong and the fix.

    Examples
    --------
    >>> import tempfile
    >>> check_folder(tempfile.mkdtemp())  # made 0o700 by us: fine
    >>> shared = tempfile.mkdtemp()
    >>> os.chmod(shared, 0o777)
    >>> check_folder(shared)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    audiodecode.errors.UnsafeCacheFolderError: ...: writable by group and others (mode 0o777): ...
    """
    if _UID is None:
        return
    try:
        st = os.stat(directory)
    except OSError:
        pass  # not there yet: made 0o700 on the first write (or not reachable: writes fail)
    else:
        if stat.S_ISDIR(st.st_mode):
            problem = _private_problem(directory, st)
            if problem is not None:
                raise UnsafeCacheFolderError(directory, problem)
    if directory not in _safe_holders:  # a realpath and a stat per level: once per process
        _check_holders(directory)
        _safe_holders.add(directory)


# Folders whose holders this process found safe: a store made again for one of them (``info``,
# a benchmark's per-call store) checks only the folder itself.
_safe_holders: set[str] = set()


def _check_holders(directory: str) -> None:
    for holder in _above(directory):
        try:
            st = os.stat(holder)
        except OSError:
            continue  # a level still to be made
        problem = _holder_problem(holder, st)
        if problem is not None:
            raise UnsafeCacheFolderError(directory, problem)


def _make_levels(directory: str) -> None:
    """Create ``directory`` and the missing folders above it, each 0o700 and checked."""
    try:
        _check_holders(directory)  # a missing level may have been made by someone else since
    except UnsafeCacheFolderError:
        _safe_holders.discard(directory)
        raise
    missing: list[str] = []
    level = directory
    while not os.path.lexists(level):
        missing.append(level)
        parent = os.path.dirname(level)
        if parent == level:
            break
        level = parent
    for level in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile by another process: checked
            os.mkdir(level, 0o700)
        st = os.lstat(level)
        if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
            raise UnsafeCacheFolderError(level, "appeared as a symlink or a file while made")
        problem = _private_problem(level, st)
        if problem is not None:
            raise UnsafeCacheFolderError(level, problem)


class _Folder:
    """A folder of the cache held open, so that renaming or replacing it by a symlink cannot
    redirect what we create, read or delete inside it (``fd`` is None on Windows: paths)."""

    __slots__ = ("fd", "path")

    def __init__(self, path: str, fd: int | None) -> None:
        self.path, self.fd = path, fd

    @classmethod
    def root(cls, directory: str, *, private: bool = True) -> _Folder:
        """The cache folder; ``private`` refuses it unless it is ours alone."""
        if not _AT:
            return cls._vetted(directory, None, functools.partial(os.stat, directory),
                               private=private)
        fd = os.open(directory, _ROOT_FLAGS)
        return cls._vetted(directory, fd, functools.partial(os.fstat, fd), private=private)

    def subfolder(self, name: str, *, create: bool) -> _Folder:
        """A two-character subfolder, never through a symlink, refused unless ours alone."""
        path = os.path.join(self.path, name)
        if self.fd is None:  # lstat: a symlink is not a folder here
            found = self._made(name, functools.partial(os.lstat, path), create=create)
            return _Folder._vetted(path, None, lambda: found)
        fd = self._made(name, functools.partial(os.open, name, DIR_FLAGS, dir_fd=self.fd),
                        create=create)
        return _Folder._vetted(path, fd, functools.partial(os.fstat, fd))

    def _made(self, name: str, reach: Callable[[], _T], *, create: bool) -> _T:
        """``reach()`` of the subfolder ``name``, made first (private) if it is missing and
        ``create``; another process making it meanwhile is no error, it is checked after."""
        try:
            return reach()
        except FileNotFoundError:
            if not create:
                raise
        with contextlib.suppress(FileExistsError):
            os.mkdir(self.at(name), 0o700, dir_fd=self.fd)
        return reach()

    @classmethod
    def _vetted(cls, path: str, fd: int | None, describe: Callable[[], os.stat_result], *,
                private: bool = True) -> _Folder:
        """``path`` (held by ``fd``) once ``describe()`` shows a folder, ours alone when
        ``private``; otherwise ``fd`` is closed here, since no caller will ever hold it."""
        try:
            st = describe()
            if not stat.S_ISDIR(st.st_mode):
                raise NotADirectoryError(path)
            problem = _private_problem(path, st) if private else None
            if problem is not None:
                raise UnsafeCacheFolderError(path, problem)
        except BaseException:
            if fd is not None:
                os.close(fd)
            raise
        return cls(path, fd)

    def at(self, name: str) -> str:
        """``name`` for an ``os`` call with ``dir_fd=self.fd``."""
        return name if self.fd is not None else os.path.join(self.path, name)

    def lstat(self, name: str) -> os.stat_result:
        return os.stat(self.at(name), dir_fd=self.fd, follow_symlinks=False)

    def names(self) -> list[str]:
        return os.listdir(self.fd if self.fd is not None else self.path)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


# --- the store --------------------------------------------------------------------------------


class DecodeCache:
    """One cache folder; ``audiodecode.load`` asks :meth:`entry` for each local file.

    Parameters
    ----------
    directory : str or os.PathLike
        The folder (``~`` is expanded); created with mode 0o700 on first write if missing.
        It must be ours alone (see the module docstring's threat model).
    max_size : int or str
        Bound on the entries' total size, as bytes or ``"20GB"``.
    identity : {"stat", "content"}
        How a source file is recognised: by path, inode and times (free), or by a hash of
        its bytes (one read per file and process; entries survive copies and moves).

    Raises
    ------
    UnsafeCacheFolderError
        The folder, or one above it, could be changed by another user.

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
        check_folder(self.directory)
        self._lock = threading.Lock()
        _stores.add(self)
        self._known_size: int | None = None  # the folder's size at our last listing
        self._written = 0  # bytes this process wrote since then
        self._content_digests: dict[tuple[Any, ...], str] = {}

    # --- lookup -----------------------------------------------------------------------------

    def entry(
        self, path: AudioSource, options: LoadOptions, *, one_channel_as_decoded: bool = False
    ) -> Entry | None:
        """The entry for loading ``path`` with checked ``options``, or ``None`` when ``path``
        is not a regular file. ``one_channel_as_decoded`` is the core's (librosa 0.11's signed
        zeros at ``mono=True``): it has entries of its own.

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
            "-" if sr is None else float(sr).hex(),
            ("1-as-decoded" if one_channel_as_decoded else "1") if options.mono else "0",
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
            # Non-blocking, then checked: the file may have become a FIFO since the stat above.
            fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                         | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0))
            with open(fd, "rb") as f:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise IsADirectoryError(name)  # any OSError: no entry, load reports it
                for block in iter(functools.partial(f.read, 1 << 20), b""):
                    hasher.update(block)
            digest = f"content:{hasher.hexdigest()}"
            self._content_digests[memo_key] = digest
        return digest

    # --- writing and eviction ---------------------------------------------------------------

    def _subfolder(self, name: str) -> _Folder:
        """The held, checked subfolder ``name``, made (with the cache folder) if missing."""
        try:
            root = _Folder.root(self.directory)
        except FileNotFoundError:
            _make_levels(self.directory)  # the first write, or the folder was deleted meanwhile
            root = _Folder.root(self.directory)
        with root:
            return root.subfolder(name, create=True)

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
        docstring); safe while other processes read and write. Only the cache's own entries
        are counted and deleted.
        """
        with self._lock:
            self._written = 0
            # Named and owned as entries; each header is read only before deleting its file.
            scan = scan_folder(self.directory, remove_tmp_after=_STALE_TMP, verify=False)
            entries, total = scan.entries, scan.size
            removed = 0
            if total > self.max_size:
                entries.sort()  # oldest mtime first
                target = self.max_size * _EVICT_TO
                for _, size, path in entries:
                    if total <= target:
                        break
                    if not _is_entry_path(path):
                        total -= size  # not the cache's: neither counted nor deleted
                        continue
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
        self.path = os.path.join(store.directory, digest[:2], digest[2:] + ".npy")

    def read(self, options: LoadOptions) -> tuple[np.ndarray, float] | None:
        """``(y, sr)`` as ``load`` returns them, or ``None`` for a miss (absent, not whole, not
        a regular file of ours, or longer than ``options.max_duration``, which a decode would
        refuse). Never blocks on a FIFO and allocates nothing before the header's shape is
        checked against the file's size."""
        try:
            fd = self._open()
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or not _owned(st):
                return None  # a FIFO or a device (O_NONBLOCK made the open return), or not ours
            if st.st_size > HEADER_BYTES + self._store.max_size:
                return None  # write() never stores more: not an entry of this cache
            parsed = parse_header(read_header(fd), self.digest)
            if parsed is None:
                return None
            shape, dtype, fortran, stored_sr = parsed
            if st.st_size != HEADER_BYTES + payload_bytes(shape, dtype):
                return None  # the header's shape is a claim: the file's size must back it
            sr = stored_sr if options.sr is None else options.sr
            if shape[-1] > options.resolved_max_duration() * sr + 1:
                return None  # a decode, now, would raise AudioTooLargeError
            base = np.empty(shape[::-1] if fortran else shape, dtype)
            if base.nbytes and not read_exactly(fd, base, HEADER_BYTES):
                return None
            if time.time() - st.st_mtime > _TOUCH_AFTER:
                touch(fd)
        except (OSError, MemoryError):  # MemoryError: a whole entry too big for this machine
            return None
        finally:
            os.close(fd)
        y = base.T if fortran else base.reshape(shape)  # a view, as a fresh decode returns
        return y, sr

    def _open(self) -> int:
        """The entry, opened for reading inside a subfolder that is ours alone, following
        neither a symlinked subfolder nor a symlinked entry."""
        if not _AT:
            return os.open(self.path, READ_FLAGS)
        folder = os.open(os.path.dirname(self.path), DIR_FLAGS)
        try:
            if _private_problem(self.path, os.fstat(folder)) is not None:
                raise PermissionError(self.path)  # others could have put anything there
            return os.open(os.path.basename(self.path), READ_FLAGS, dir_fd=folder)
        finally:
            os.close(folder)

    def write(self, y: np.ndarray, sr: float) -> None:
        """Store a decoded array; any failure (disk full, permissions, a folder that is not
        ours) leaves no entry, and a file at the entry's name that is not a regular file of
        ours is left as it is."""
        store = self._store
        if y.dtype.str not in DTYPES or y.ndim not in (1, 2) or y.nbytes > store.max_size:
            return
        fortran = y.ndim == 2 and y.flags.f_contiguous and not y.flags.c_contiguous
        data = y.T if fortran else np.ascontiguousarray(y)
        name = self.digest[2:] + ".npy"
        tmp = f".{self.digest[2:]}.{secrets.token_hex(8)}.tmp"
        try:
            header = build_header(y.shape, y.dtype.str, fortran, sr, self.digest)
            with store._subfolder(self.digest[:2]) as folder:
                if not _replaceable(folder, name):
                    return
                fd = os.open(folder.at(tmp), WRITE_FLAGS, 0o600, dir_fd=folder.fd)
                try:
                    try:
                        write_all(fd, header)
                        if data.nbytes:
                            write_all(fd, data.data.cast("B"))
                    finally:
                        os.close(fd)
                    os.replace(folder.at(tmp), folder.at(name), src_dir_fd=folder.fd,
                               dst_dir_fd=folder.fd)
                except BaseException:
                    with contextlib.suppress(OSError):
                        os.unlink(folder.at(tmp), dir_fd=folder.fd)
                    raise
        except OSError:
            return
        store._wrote(HEADER_BYTES + data.nbytes)


def _replaceable(folder: _Folder, name: str) -> bool:
    """Whether an entry may be renamed over ``name``: nothing there, or a regular file of ours."""
    try:
        st = folder.lstat(name)
    except FileNotFoundError:
        return True
    return stat.S_ISREG(st.st_mode) and _owned(st)


# --- listing ----------------------------------------------------------------------------------


@dataclass
class FolderScan:
    """What :func:`scan_folder` finds under a cache folder.

    Attributes
    ----------
    entries : list of (mtime_ns, size, path)
        The cache's own entries.
    size : int
        Their total size in bytes.
    others : int
        Files and folders the cache did not write, which it leaves alone (a two-character
        folder of someone else's counts as one).
    """

    entries: list[tuple[int, int, str]] = field(default_factory=list)
    size: int = 0
    others: int = 0


def scan_folder(
    directory: str, *, remove_tmp_after: float | None, verify: bool = True
) -> FolderScan:
    """The cache's own entries under ``directory``, told from anything else by format.

    An entry is a regular file of ours named ``xx/<30 hex digits>.npy`` in a subfolder of ours
    (never reached through a symlink) whose header is the cache's for the digest its name
    spells (:func:`~audiodecode.cache._format.is_cache_header`). Our temporary files older than
    ``remove_tmp_after`` seconds are deleted on the way; everything else is only counted.
    ``verify=False`` skips reading the headers, which make a listing about 2.5 times slower
    (eviction reads the header of each file it is about to delete instead).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / "en").mkdir()
    >>> np.save(folder / "en" / "take1.npy", np.zeros(3))  # not the cache's
    >>> scan = scan_folder(str(folder), remove_tmp_after=None)
    >>> scan.entries, scan.others
    ([], 1)
    """
    scan = FolderScan()
    now = time.time()
    try:
        root = _Folder.root(directory, private=False)
    except OSError:
        return scan
    with root:
        try:
            names = root.names()
        except OSError:
            return scan
        for name in names:
            if not _SUBFOLDER.fullmatch(name):
                scan.others += 1
                continue
            try:
                folder = root.subfolder(name, create=False)
            except OSError:
                scan.others += 1  # a symlink, a file, a folder that is not ours alone
                continue
            with folder:
                _scan_subfolder(folder, name, scan, now, remove_tmp_after, verify)
    return scan


def _scan_subfolder(folder: _Folder, prefix: str, scan: FolderScan, now: float,
                    remove_tmp_after: float | None, verify: bool) -> None:
    try:
        names = folder.names()
    except OSError:
        return
    for name in names:
        try:
            st = folder.lstat(name)
        except OSError:
            continue  # deleted meanwhile
        if not (stat.S_ISREG(st.st_mode) and _owned(st)):
            scan.others += 1
        elif _ENTRY.fullmatch(name) and (
                not verify or _is_entry(folder.fd, folder.at(name), prefix + name[:30])):
            scan.entries.append((st.st_mtime_ns, st.st_size, os.path.join(folder.path, name)))
            scan.size += st.st_size
        elif _TMP.fullmatch(name):
            if remove_tmp_after is not None and now - st.st_mtime >= remove_tmp_after:
                with contextlib.suppress(OSError):
                    os.unlink(folder.at(name), dir_fd=folder.fd)
        else:
            scan.others += 1


def _is_entry(dir_fd: int | None, name: str, digest: str) -> bool:
    """Whether ``name`` is a regular file of ours that starts as the cache's entry ``digest``."""
    try:
        fd = os.open(name, READ_FLAGS, dir_fd=dir_fd)
    except OSError:
        return False
    try:
        st = os.fstat(fd)
        return stat.S_ISREG(st.st_mode) and _owned(st) and is_cache_header(
            read_header(fd), digest)
    except OSError:
        return False
    finally:
        os.close(fd)


def _is_entry_path(path: str) -> bool:
    folder, name = os.path.split(path)
    return _is_entry(None, path, os.path.basename(folder) + name[:30])


def list_entries(
    directory: str, *, remove_tmp_after: float | None
) -> tuple[list[tuple[int, int, str]], int]:
    """``([(mtime_ns, size, path)], total size)`` of the cache's own entries under
    ``directory`` (see :func:`scan_folder`, which also counts what is not the cache's).

    Temporary files older than ``remove_tmp_after`` seconds are deleted on the way.

    Examples
    --------
    >>> import tempfile
    >>> list_entries(tempfile.mkdtemp(), remove_tmp_after=None)
    ([], 0)
    """
    scan = scan_folder(directory, remove_tmp_after=remove_tmp_after)
    return scan.entries, scan.size



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
