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

Any number of processes (DataLoader workers, Ray tasks, ``load_batch`` processes) may share
one folder. A damaged entry (truncated, garbled, another key's) is a miss, never an array,
and is written again; a write that fails (disk full, permissions) only loses its entry. When
the folder passes ``max_size``, the least recently used entries are deleted until 90% of it
is left (it may pass the bound by up to 1/16 of it per writing process between two checks).
The key, the safety of concurrent writes and the eviction policy are described in
:mod:`audiodecode.cache._store`, the file format and why it is plain ``.npy`` files in
:mod:`audiodecode.cache._format`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .. import _cache_slot
from ..errors import UnsafeCacheFolderError
from ._store import (
    DEFAULT_MAX_SIZE,
    DecodeCache,
    list_entries,
    parse_size,  # noqa: F401 - public here, as before the store moved
)

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
    _cache_slot.active = store
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
    _cache_slot.active = None


def is_enabled() -> bool:
    """Whether ``load`` uses the cache in this process.

    Examples
    --------
    >>> isinstance(is_enabled(), bool)
    True
    """
    return _cache_slot.active is not None


def _current(directory: str | os.PathLike[str] | None) -> DecodeCache:
    active = _cache_slot.active
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
    active = _cache_slot.active
    return CacheInfo(store.directory, len(entries), total, store.max_size,
                     active is not None and active.directory == store.directory)


def clear(directory: str | os.PathLike[str] | None = None) -> int:
    """Delete every entry (and leftover temporary file) of a cache folder; return the count.

    Only files the cache names (``xx/*.npy`` and ``xx/.*.tmp``) are removed, so a folder
    passed by mistake loses nothing else.

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


def _from_environment() -> DecodeCache | None:
    """The cache ``AUDIODECODE_CACHE_DIR`` asks for, read once when ``_api`` is imported."""
    directory = os.environ.get(ENV_DIR)
    if not directory:
        return None
    import warnings

    try:
        return DecodeCache(directory, max_size=os.environ.get(ENV_SIZE) or DEFAULT_MAX_SIZE)
    except ValueError as exc:
        warnings.warn(f"{ENV_SIZE}: {exc}; the decode cache stays off", RuntimeWarning,
                      stacklevel=2)
    except UnsafeCacheFolderError as exc:  # refused, but `import audiodecode` must still work
        warnings.warn(f"{ENV_DIR}: {exc}; the decode cache stays off", RuntimeWarning,
                      stacklevel=2)
    return None
