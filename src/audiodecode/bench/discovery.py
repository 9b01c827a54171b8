"""Finding audio files (recognised from their bytes) and grouping them into tables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .._info import AudioInfo


@dataclass(frozen=True)
class FileEntry:
    """One file to benchmark; ``info`` is ``None`` when audiodecode cannot read its header."""

    path: str
    info: AudioInfo | None
    container: str  # from the first bytes (``_source.sniff``), "unknown" when unrecognised
    not_audio: bool = False  # MIDI, an image, text...: ``audiodecode._discovery``'s rule

    @property
    def seconds(self) -> float:
        return self.info.duration if self.info is not None else 0.0

    @classmethod
    def from_path(cls, path: str | os.PathLike[str]) -> FileEntry:
        from .._discovery import NOT_AUDIO, classify

        path = os.fspath(path)
        verdict = classify(path, probe=True)
        return cls(path, verdict.info, verdict.container, not_audio=verdict.kind == NOT_AUDIO)


@dataclass(frozen=True)
class Group:
    """Files loaded with the same settings; one table of the report."""

    name: str
    files: tuple[FileEntry, ...]
    sr: float | None = None
    mono: bool = True

    @classmethod
    def from_paths(
        cls, name: str, paths: Sequence[str | os.PathLike[str]], *, sr: float | None = None,
        mono: bool = True,
    ) -> Group:
        """A group from explicit paths (the fixed groups of ``benchmarks/``)."""
        return cls(name, tuple(FileEntry.from_path(p) for p in paths), sr, mono)


@dataclass(frozen=True)
class Found:
    """What :func:`find_files` found: files to benchmark, and files that are not audio."""

    files: list[FileEntry]
    skipped: list[dict[str, str]]


def find_files(paths: Sequence[str | os.PathLike[str]]) -> Found:
    """Every file under ``paths``, found and judged as ``decode``, ``info`` and
    ``audiodecode.ray.list_audio_files`` find them (``audiodecode._discovery``).

    Folders are searched recursively (sorted, hidden entries skipped, links to folders not
    followed); the format comes from each file's first bytes, never from its name. A file
    inside a folder that is not audio (MIDI, an image, text, a video without sound, or
    something no backend recognises) is skipped as "not audio"; a damaged audio file is
    kept, to be reported as unreadable. A file named on the command line is always kept, so
    that an unreadable one is reported. The same file reached twice (through a link) is
    measured once.

    Raises
    ------
    FileNotFoundError
        A path does not exist.

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> from pathlib import Path
    >>> Path("clips").mkdir(exist_ok=True)
    >>> sf.write("clips/a.wav", np.zeros(800, dtype="float32"), 8000)
    >>> _ = Path("clips/notes.txt").write_text("not audio")
    >>> found = find_files(["clips"])
    >>> [Path(f.path).name for f in found.files], found.skipped
    (['a.wav'], [{'path': 'clips/notes.txt', 'reason': 'not audio'}])
    """
    from .._discovery import walk

    files, skipped, seen = [], [], set()
    for candidate in walk(paths):
        real = os.path.realpath(candidate.path)
        if real in seen:
            continue
        seen.add(real)
        entry = FileEntry.from_path(candidate.path)
        if entry.not_audio and not candidate.named:
            skipped.append({"path": candidate.path, "reason": "not audio"})
            continue
        files.append(entry)
    return Found(files, skipped)


# Container order of the tables: the formats people benchmark most first.
_CONTAINER_ORDER = ("wav", "w64", "aiff", "flac", "mp3", "ogg", "mp4", "matroska", "asf")
_CHANNEL_WORDS = {1: "mono", 2: "stereo"}


def group_by_format(
    files: Sequence[FileEntry], *, sr: float | None = None, mono: bool = True
) -> list[Group]:
    """One group per container, codec and channel count, all with the same settings.

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> sf.write("a.wav", np.zeros(800, dtype="float32"), 8000, subtype="PCM_16")
    >>> sf.write("b.flac", np.zeros((800, 2), dtype="float32"), 8000)
    >>> [g.name for g in group_by_format([FileEntry.from_path(p) for p in ("a.wav", "b.flac")])]
    ['WAV pcm_s16le, mono', 'FLAC pcm_s16, stereo']
    """
    keyed: dict[tuple[str, str, int], list[FileEntry]] = {}
    for entry in files:
        if entry.info is not None:
            key = (entry.info.format, entry.info.codec, entry.info.channels)
        else:
            key = (entry.container, "", 0)
        keyed.setdefault(key, []).append(entry)

    def order(key: tuple[str, str, int]) -> tuple[int, str, str, int]:
        container, codec, channels = key
        rank = _CONTAINER_ORDER.index(container) if container in _CONTAINER_ORDER else 99
        return (rank, container, codec, channels)

    groups = []
    for key in sorted(keyed, key=order):
        container, codec, channels = key
        if codec:
            words = _CHANNEL_WORDS.get(channels, f"{channels} channels")
            name = f"{container.upper()} {codec}, {words}"
        else:
            name = f"{container.upper()} (header unreadable)"
        groups.append(Group(name, tuple(keyed[key]), sr, mono))
    return groups
