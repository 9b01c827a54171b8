"""A persistent decode cache: decode each file once, load it again in the time of a read.

Off by default. Turn it on for every process started afterwards with an environment variable,
or in this process with :func:`enable`::

    AUDIODECODE_CACHE_DIR=~/.cache/audiodecode python train.py

    import audiodecode.cache
    audiodecode.cache.enable("~/.cache/audiodecode", max_size="20GB")

Then every :func:`audiodecode.load` of a local file (and so ``load_batch``, ``imap``,
``audiodecode.torch.AudioDataset``, ``audiodecode.ray.read_audio`` and the patched
``librosa.load``, which all call it) first looks for the array it would decode. A hit returns
an array equal to a fresh decode in values, shape, dtype and memory layout (a ``(channels,
n)`` result is the same Fortran-ordered view a decode gives), writable and the caller's own.
``AUDIODECODE_CACHE_SIZE`` (or ``max_size``) bounds the folder, default 20 GB. Inputs other
than a path to a regular file (URLs, bytes, file objects) are decoded as usual.

When a load is a hit
--------------------
An entry is found again only for the same file, unchanged (a file modified in place, or
replaced by another of the same size and mtime, is a miss), loaded with the same ``sr``,
``mono``, ``offset``, ``duration``, ``dtype``, ``res_type`` and ``backend``, by the same
versions of audiodecode and of the decoders and resamplers (after an upgrade, old entries
only wait for eviction). Reading those versions imports soundfile, av and soxr once per
process (0.12-0.14 s here) on the first cached load. With ``enable(..., identity="content")``
a file is recognised by a hash of its bytes instead, so that copies and moved datasets share
entries (one read of each file per process).

Each ``(offset, duration)`` is an entry of its own: random crops (``AudioDataset(...,
random_crop=True)``) miss every time and only fill the folder; cache whole files and crop
them after loading instead.

Any number of one user's processes (DataLoader workers, Ray tasks, ``load_batch`` processes)
may share one folder; a folder that another user could write is refused (see
:mod:`audiodecode.cache._store`). A damaged entry (truncated, garbled, another key's) is a
miss, never an array, and is written again; a write that fails (disk full, permissions) only
loses its entry. When the folder passes ``max_size``, the least recently used entries are
deleted until 90% of it is left (it may pass the bound by up to 1/16 of it per writing
process between two checks).
The key, the safety of concurrent writes and the eviction policy are described in
:mod:`audiodecode.cache._store`, the file format and why it is plain ``.npy`` files in
:mod:`audiodecode.cache._format`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import _load
from .._api import NotReadByLibsndfile, decode, libsndfile_reads
from ..errors import UnsafeCacheFolderError
from ._store import (
    DEFAULT_MAX_SIZE,
    DecodeCache,
    list_entries,
    parse_size,  # noqa: F401 - public here, as before the store moved
)

if TYPE_CHECKING:
    import numpy as np

    from .._options import LoadOptions

__all__ = ["CacheInfo", "DecodeCache", "clear", "disable", "enable", "info", "is_enabled"]

ENV_DIR = "AUDIODECODE_CACHE_DIR"
ENV_SIZE = "AUDIODECODE_CACHE_SIZE"


@dataclass(frozen=True)
class CacheInfo:
    """What :func:`info` reports about a cache folder.

    Attributes
    ----------
    directory : str
        The folder.
    entries : int
        Decoded arrays stored.
    size : int
        Their total size in bytes.
    max_size : int
        The bound in bytes.
    enabled : bool
        Whether ``load`` uses this folder in this process.
    """

    directory: str
    entries: int
    size: int
    max_size: int
    enabled: bool


# --- the public switches ----------------------------------------------------------------------


def default_directory() -> str:
    """``$AUDIODECODE_CACHE_DIR``, else ``$XDG_CACHE_HOME/audiodecode`` or ``~/.cache/audiodecode``.

    Examples
    --------
    >>> default_directory().endswith("audiodecode") or "AUDIODECODE_CACHE_DIR" in os.environ
    True
    """
    configured = os.environ.get(ENV_DIR)
    if configured:
        return os.path.abspath(os.path.expanduser(configured))
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "audiodecode")


def enable(
    directory: str | os.PathLike[str] | None = None,
    *,
    max_size: int | str | None = None,
    identity: str = "stat",
) -> DecodeCache:
    """Turn the decode cache on for this process and the processes it starts afterwards.

    Parameters
    ----------
    directory : str or os.PathLike, optional
        The cache folder; by default :func:`default_directory`.
    max_size : int or str, optional
        Bound on its size (``"20GB"``); by default ``$AUDIODECODE_CACHE_SIZE`` or 20 GB.
    identity : {"stat", "content"}
        See :class:`DecodeCache`.

    Returns
    -------
    DecodeCache

    Notes
    -----
    Also sets ``AUDIODECODE_CACHE_DIR`` and ``AUDIODECODE_CACHE_SIZE`` in ``os.environ``, so
    that worker processes started later (spawned DataLoader workers, ``load_batch``'s process
    pool) use the same folder; forked workers inherit the setting anyway. Ray workers get
    the variables through ``runtime_env={"env_vars": {...}}``.

    Examples
    --------
    >>> import tempfile, numpy as np, soundfile as sf, audiodecode
    >>> folder = tempfile.mkdtemp()
    >>> sf.write(f"{folder}/clip.wav", np.random.default_rng(0).uniform(-.5, .5, 8000), 8000)
    >>> _ = enable(f"{folder}/cache", max_size="1GB")
    >>> first, _ = audiodecode.load(f"{folder}/clip.wav")   # decoded, then stored
    >>> again, _ = audiodecode.load(f"{folder}/clip.wav")   # read back
    >>> bool(np.array_equal(first, again)), info().entries
    (True, 1)
    >>> disable()
    """
    if max_size is None:
        max_size = os.environ.get(ENV_SIZE) or DEFAULT_MAX_SIZE
    store = DecodeCache(directory if directory is not None else default_directory(),
                        max_size=max_size, identity=identity)
    os.environ[ENV_DIR] = store.directory
    os.environ[ENV_SIZE] = str(store.max_size)
    _use(store)
    return store


def disable() -> None:
    """Turn the cache off in this process (and for processes started afterwards); keep its files.

    Examples
    --------
    >>> disable()
    >>> is_enabled()
    False
    """
    os.environ.pop(ENV_DIR, None)
    os.environ.pop(ENV_SIZE, None)
    _use(None)


def is_enabled() -> bool:
    """Whether ``load`` uses the cache in this process.

    Examples
    --------
    >>> isinstance(is_enabled(), bool)
    True
    """
    return _active is not None


def _current(directory: str | os.PathLike[str] | None) -> DecodeCache:
    active = _active
    if directory is None and active is not None:
        return active
    folder = os.path.abspath(os.path.expanduser(os.fspath(directory))) if directory else (
        default_directory())
    if active is not None and active.directory == folder:
        return active
    size = os.environ.get(ENV_SIZE) or DEFAULT_MAX_SIZE
    return DecodeCache(folder, max_size=size)


def info(directory: str | os.PathLike[str] | None = None) -> CacheInfo:
    """Entries and size of a cache folder (the active one, or the default).

    Examples
    --------
    >>> import tempfile
    >>> info(tempfile.mkdtemp()).entries
    0
    """
    store = _current(directory)
    entries, total = list_entries(store.directory, remove_tmp_after=None)
    active = _active
    return CacheInfo(store.directory, len(entries), total, store.max_size,
                     active is not None and active.directory == store.directory)


def clear(directory: str | os.PathLike[str] | None = None) -> int:
    """Delete every entry (and leftover temporary file) of a cache folder; return the count.

    Only the cache's own files are removed (recognised by their name, owner and header), so
    a folder passed by mistake loses nothing else.

    Examples
    --------
    >>> import tempfile
    >>> clear(tempfile.mkdtemp())
    0
    """
    store = _current(directory)
    removed = 0
    entries, _ = list_entries(store.directory, remove_tmp_after=0.0)
    for _, _, path in entries:
        try:
            os.unlink(path)
            removed += 1
        except OSError:  # noqa: PERF203 - each entry may vanish on its own
            continue
    store.note_emptied()
    return removed


# The store in use in this process; None while the cache is off.
_active: DecodeCache | None = None


def _use(store: DecodeCache | None) -> None:
    """Make ``store`` the one every load goes through (``None``: decode every time)."""
    global _active  # noqa: PLW0603 - the process's one switch
    _active = store
    _load.use_cache(None if store is None else _decode_through_cache)


def _decode_through_cache(
    path: str | os.PathLike[str], options: LoadOptions, libsndfile_only: bool,
    one_channel_as_decoded: bool,
) -> tuple[np.ndarray, float]:
    """The active store's array for ``path``, or the core's decode of it, stored on the way."""
    store = _active
    entry = (store.entry(path, options, one_channel_as_decoded=one_channel_as_decoded)
             if store is not None else None)
    hit = entry.read(options) if entry is not None else None
    if hit is not None:
        if libsndfile_only and not libsndfile_reads(path):
            # FFmpeg's answer, cached by a plain load: librosa 0.11 answers this path.
            msg = f"{os.fspath(path)!s}: libsndfile does not read it"
            raise NotReadByLibsndfile(msg)
        return hit
    y, sr = decode(path, options, libsndfile_only=libsndfile_only,
                   one_channel_as_decoded=one_channel_as_decoded)
    if entry is not None:
        entry.write(y, sr)
    return y, sr


def _enable_from_environment() -> None:
    """Turn on the cache ``AUDIODECODE_CACHE_DIR`` asks for (read once, at ``import
    audiodecode``); a bad ``AUDIODECODE_CACHE_SIZE`` leaves it off, with a warning."""
    directory = os.environ.get(ENV_DIR)
    if not directory:
        return
    try:
        store = DecodeCache(directory, max_size=os.environ.get(ENV_SIZE) or DEFAULT_MAX_SIZE)
    except (ValueError, UnsafeCacheFolderError) as exc:
        # A bad size, or a folder others could write: `import audiodecode` must still work.
        import warnings

        variable = ENV_DIR if isinstance(exc, UnsafeCacheFolderError) else ENV_SIZE
        warnings.warn(f"{variable}: {exc}; the decode cache stays off", RuntimeWarning,
                      stacklevel=2)
        return
    _use(store)
