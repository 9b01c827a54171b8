"""The results of a benchmark run: plain dataclasses that serialise to JSON."""

from __future__ import annotations

import contextlib
import math
import os
import platform
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .loaders import LoaderStatus, package_version

MiB = 1 << 20


@dataclass(frozen=True)
class Parity:
    """How one loader's outputs compare with librosa's over a group's files."""

    files: int  # compared (both read the file)
    identical: int  # same values, shape, dtype and returned rate
    max_abs_diff: float | None  # over the files of equal shape
    min_correlation: float | None
    length_mismatches: int  # files whose output shape differs from librosa's


@dataclass(frozen=True)
class LoaderResult:
    """One loader on one group."""

    files_read: int
    files_failed: int
    median_ms: float | None  # median over files of the per-file median
    speedup: float | None  # this loader's time / audiodecode's, over the files both read
    parity: Parity | None  # against librosa; None when librosa is absent or read nothing
    error: str = ""  # the first failure, when there was one
    warning: str = ""  # the first warning the loader raised, e.g. librosa's fallback notice


@dataclass(frozen=True)
class FileResult:
    path: str
    seconds: float
    times_ms: dict[str, list[float]]  # loader -> one figure per iteration
    errors: dict[str, str]


@dataclass(frozen=True)
class GroupResult:
    name: str
    sr: float | None
    mono: bool
    files: int
    audio_seconds: float  # total over the files
    sample_rates: list[int]
    loaders: dict[str, LoaderResult]  # only the loaders that apply to the group
    per_file: list[FileResult]
    durations: list[float] = field(default_factory=list)  # seconds, one per file
    #: How librosa decoded these files when not with soundfile, e.g. "audioread (the ffmpeg
    #: command-line tool)" under librosa 0.x; its arrays are then no reference to match.
    librosa_route: str = ""


@dataclass(frozen=True)
class ColdStartSpec:
    """Where and how to measure cold starts; ``path=None`` takes the shortest file read."""

    path: str | None = None
    sr: float | None = None
    mono: bool = True
    repeats: int = 5


@dataclass(frozen=True)
class ColdStartResult:
    path: str
    sr: float | None
    mono: bool
    repeats: int
    interpreter_ms: float  # ``python -c pass``: the floor under every row
    loaders: dict[str, dict[str, Any]]  # name -> median_ms, times_ms, speedup, error


@dataclass(frozen=True)
class MemorySpec:
    """Where to measure peak memory; ``path=None`` takes the longest file read."""

    path: str | None = None
    settings: tuple[tuple[float | None, bool], ...] = ((16000, True), (None, True))


@dataclass(frozen=True)
class MemoryResult:
    path: str
    seconds: float
    method: str  # how the baseline was taken (see _MEMORY_PROBE)
    rows: list[dict[str, Any]]  # one per setting: sr, mono, output_mib, loaders


@dataclass(frozen=True)
class Report:
    """Everything one benchmark run measured; ``to_dict`` is the ``--json`` output."""

    settings: dict[str, Any]
    machine: dict[str, Any]
    loaders: list[LoaderStatus]
    groups: list[GroupResult]
    cold_start: ColdStartResult | None = None
    memory: MemoryResult | None = None
    unreadable: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["loaders"] = {s.name: {**asdict(s), "label": s.label} for s in self.loaders}
        finite: dict[str, Any] = _finite(data)
        return finite

    def group(self, name: str) -> GroupResult:
        for group in self.groups:
            if group.name == name:
                return group
        raise KeyError(name)


def _finite(value: Any) -> Any:
    """JSON has no NaN: turn non-finite floats into ``None``, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def machine_info() -> dict[str, Any]:
    """CPU, cores, OS and Python: the context without which a timing means nothing."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "soxr": package_version("soxr"),
    }
