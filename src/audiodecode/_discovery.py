"""Finding audio files: one walker and one rule for "is it audio", for every layer that searches.

``audiodecode.ray.list_audio_files``, ``audiodecode.bench.find_files`` and the ``decode`` and
``info`` commands all list folders with :func:`walk` and judge each file with
:func:`classify`, so a file is audio to all of them or to none.

The walker
    Folders are searched recursively, in sorted order (the result does not depend on the file
    system's order). Hidden entries (``.name``) are skipped. A symbolic link to a *file* is
    taken (symlink farms and git-annex trees are made of them); a symbolic link to a *folder*
    is not followed: what it leads to is outside the tree, or inside it and found under its
    own name, and not following them is what makes a loop impossible. A path given by the
    caller is taken as given, a symbolic link included.

The rule
    A file is *audio* when a backend can open it as audio. A file that FFmpeg or libsndfile
    recognises as something else (a MIDI sequence, an image, text, a video without a
    soundtrack), or that nothing recognises, is *not audio*, never "corrupt". A file whose
    bytes say it is audio (a WAV, FLAC, MP3... signature) but that no backend can read is
    *corrupt*. The first bytes are sniffed before any decoder is opened: a file with an
    audio-only signature is audio without opening it, unless ``probe=True`` asks for its
    header (a damaged one then says "corrupt"); MIDI is not audio without opening it.
"""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING, NamedTuple

from ._source import HEAD_BYTES, NOT_AUDIO_CONTAINERS, open_source, sniff
from .errors import AudioDecodeError, UnsupportedFormatError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ._info import AudioInfo

__all__ = ["AUDIO", "CORRUPT", "NOT_AUDIO", "Found", "Verdict", "classify", "walk"]

AUDIO = "audio"
NOT_AUDIO = "not audio"
CORRUPT = "corrupt"

# Signatures of containers that hold nothing but audio: a file that has one is audio (or a
# damaged audio file), so listing a folder need not open a decoder for it.
_AUDIO_ONLY = frozenset({"wav", "w64", "aiff", "flac", "ogg", "caf", "au", "amr", "ac3", "aac",
                         "mp3"})


class Found(NamedTuple):
    """One file :func:`walk` found."""

    path: str
    #: Given by the caller rather than found in a folder: a consumer reports it whatever it
    #: holds, where a file found in a folder that is not audio is only skipped.
    named: bool
    #: The folder it was found under, as the caller spelled it (the file itself when named).
    root: str


class Verdict(NamedTuple):
    """What :func:`classify` says about a file."""

    #: :data:`AUDIO`, :data:`NOT_AUDIO` or :data:`CORRUPT`.
    kind: str
    #: The container its first bytes name (``_source.sniff``); ``"unknown"`` when none.
    container: str
    #: Why it is not audio or is corrupt; empty for audio.
    reason: str = ""
    #: The header, when a backend was opened to judge it.
    info: AudioInfo | None = None


def walk(paths: Iterable[str | os.PathLike[str]]) -> list[Found]:
    """Every file under ``paths``: folders recursively (sorted, hidden entries skipped, links
    to folders not followed), files as given; each path once.

    Only regular files (and links to them) are found in folders; a path given by the caller is
    returned whatever it is, for :func:`classify` to name.

    Raises
    ------
    FileNotFoundError
        A path does not exist.
    PermissionError
        A folder cannot be listed (its files would otherwise be missing without a word).

    Examples
    --------
    >>> from pathlib import Path
    >>> Path("tree/b").mkdir(parents=True, exist_ok=True)
    >>> for name in ("tree/b/x.wav", "tree/a.wav", "tree/.hidden.wav"):
    ...     _ = Path(name).write_bytes(b"")
    >>> [found.path for found in walk(["tree", "tree/a.wav"])]
    ['tree/a.wav', 'tree/b/x.wav']
    """
    found: list[Found] = []
    seen: set[str] = set()
    for path in (os.fspath(p) for p in paths):
        if os.path.isdir(path):
            names = sorted(_files_under(path))
            entries = [Found(name, False, path) for name in names]
        elif os.path.lexists(path):
            entries = [Found(path, True, path)]
        else:
            raise FileNotFoundError(2, "No such file or directory", path)
        for entry in entries:
            key = os.path.normpath(os.path.abspath(entry.path))
            if key not in seen:
                seen.add(key)
                found.append(entry)
    return found


def _files_under(folder: str) -> list[str]:
    def refuse(error: OSError) -> None:
        raise error

    files = []
    # followlinks=False (the default): a link to a folder stays in ``dirs`` and is never
    # descended into, so a link to an ancestor cannot make a loop.
    for parent, dirs, names in os.walk(folder, onerror=refuse):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            if name.startswith("."):
                continue
            path = os.path.join(parent, name)
            try:
                regular = stat.S_ISREG(os.stat(path).st_mode)
            except OSError:  # a dangling link: classify() names it when it is given
                regular = False
            if regular:
                files.append(path)
    return files


def classify(path: str | os.PathLike[str], *, probe: bool = False) -> Verdict:
    """Whether ``path`` is audio, not audio, or a damaged audio file (see the module's rule).

    Parameters
    ----------
    path : str or os.PathLike
        A local path or a URL (read through fsspec, as ``load`` reads it).
    probe : bool
        Open a backend even when the first bytes already say "audio", to fill
        :attr:`Verdict.info` and to call a damaged file corrupt now rather than when it is
        decoded.

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> from pathlib import Path
    >>> sf.write("tone.wav", np.zeros(800, dtype="float32"), 8000)
    >>> classify("tone.wav").kind
    'audio'
    >>> classify("tone.wav", probe=True).info.sample_rate
    8000
    >>> _ = Path("song.mid").write_bytes(b"MThd\\x00\\x00\\x00\\x06\\x00\\x00\\x00\\x01\\x00\\x60")
    >>> classify("song.mid")
    Verdict(kind='not audio', container='midi', reason='a MIDI sequence (notes, not sound)', info=None)
    >>> _ = Path("cut.wav").write_bytes(b"RIFF\\x24\\x00\\x00\\x00WAVEfmt \\x10\\x00")
    >>> classify("cut.wav", probe=True).kind
    'corrupt'
    """
    name = os.fspath(path)
    if "://" not in name or name.startswith("file://"):
        local = name.removeprefix("file://")
        problem = _not_a_file(local)
        if problem:
            return Verdict(NOT_AUDIO, "unknown", problem)
    try:
        with open_source(name) as source:
            head = source.head()
    except (AudioDecodeError, OSError) as exc:
        return Verdict(CORRUPT, "unknown", f"cannot read the file: {_reason(exc)}")
    container = sniff(head[:HEAD_BYTES])
    if container in NOT_AUDIO_CONTAINERS:
        return Verdict(NOT_AUDIO, container, NOT_AUDIO_CONTAINERS[container])
    if not head:
        return Verdict(NOT_AUDIO, container, "the file is empty")
    if container in _AUDIO_ONLY and not probe:
        return Verdict(AUDIO, container)
    from ._api import info

    try:
        details = info(name)
    except UnsupportedFormatError as exc:
        if container in _AUDIO_ONLY:
            return Verdict(CORRUPT, container, _reason(exc))
        # Each backend's refusal ("Format not recognised", "Invalid data") says the same.
        why = ("no audio stream in it" if "no audio stream" in exc.reason
               else "no audio decoder recognises it")
        return Verdict(NOT_AUDIO, container, why)
    except (AudioDecodeError, OSError) as exc:
        return Verdict(CORRUPT, container, _reason(exc))
    return Verdict(AUDIO, container, info=details)


def _not_a_file(path: str) -> str:
    """Why ``path`` is not a regular file, or ``""`` when it is one."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "a broken symbolic link" if os.path.islink(path) else "no such file"
    except OSError as exc:
        return f"cannot read the file: {exc.strerror or exc}"
    if stat.S_ISREG(mode):
        return ""
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file (a FIFO, socket or device)"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, AudioDecodeError):
        return exc.reason or str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)
