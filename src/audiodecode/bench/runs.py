"""What the benchmark gathers about one file while it runs, shared by the timed loop
(:mod:`.engine`) and the child-process measurements (:mod:`.children`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .discovery import FileEntry
    from .loaders import Loader


@dataclass
class FileRun:
    """One file of one group: its timings, failures, warnings and parity, per loader."""

    entry: FileEntry
    group: str
    loaders: list[Loader]  # those that apply to this file
    times: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)
    parity: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: How librosa decoded the file when it did not use soundfile (librosa 0.x's audioread
    #: fallback), e.g. "audioread (the ffmpeg command-line tool)"; empty otherwise.
    librosa_route: str = ""

    def readers(self) -> list[Loader]:
        """The loaders that have read this file so far."""
        return [loader for loader in self.loaders if loader.name not in self.errors]
