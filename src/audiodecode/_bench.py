"""The benchmark engine behind ``audiodecode bench`` and ``benchmarks/run_benchmarks.py``.

One engine, two front ends: the command line benchmarks a user's files (or a generated demo
corpus), the benchmark script a fixed corpus with fixed settings; both call :func:`benchmark`
and render its :class:`Report` with the functions at the end of this module.

What is measured, and how it is kept fair
-----------------------------------------
* **Same work for every loader.** Each loader decodes to float32, downmixes with librosa's
  ``np.mean`` over the channel axis, and resamples with soxr ``soxr_hq`` (librosa's default)
  when it has no resampler of its own, then trims/pads to librosa's length. pedalboard has a
  resampler (``AudioFile.resampled_to``) but it is a different filter; it gets soxr like the
  others, so that its column measures its decoder, not a choice of filter.
* **Interleaved.** After one untimed warm-up call per loader and file, every iteration
  gives each loader in turn one pass over each group's files, in an order that rotates
  from one iteration (and group) to the next, so a burst of machine noise hits all loaders
  alike, while each loader still runs in its own steady state, as in a data-loading loop
  (see ``_timed_iterations``). Figures are medians: per file over the iterations, then over
  the files of a group.
* **Parity.** The warm-up outputs are compared with ``librosa.load``'s (the oracle), file by
  file: identical (values, shape, dtype and returned rate), max absolute difference,
  correlation.
* **Cold start and peak memory** run in fresh child processes whose source is exactly the
  loader's own function (``inspect.getsource``) plus one call, so that a child imports what
  that loader imports and nothing else (not even audiodecode, for the peers).
* A loader that fails on a file is reported for that file; only audiodecode failing makes
  the file "unreadable" (and the command's exit status 1).
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import inspect
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from typing_extensions import Self

    from ._info import AudioInfo

__all__ = [
    "DEMO_CLIPS_PER_FORMAT",
    "DEMO_LONG_SECONDS",
    "LOADERS",
    "ColdStartSpec",
    "FileEntry",
    "Group",
    "Loader",
    "MemorySpec",
    "Report",
    "benchmark",
    "find_files",
    "format_report",
    "group_by_format",
    "make_demo_corpus",
    "plot",
    "resolve_loaders",
    "summary_table",
    "table",
]

#: Size of the demo corpus ``audiodecode bench`` generates when given no paths.
DEMO_CLIPS_PER_FORMAT = 8
DEMO_LONG_SECONDS = 60.0

MiB = 1 << 20


# ------------------------------------------------------------------------------------------
# The loaders. Each is a plain function ``(path, sr, mono) -> (y, sr)`` that imports its own
# library, so its source can run on its own in a child process. ``_finish`` is the shared tail
# of the peers; it is copied into the child together with the loader that calls it.


def _finish(y: np.ndarray, sr_native: float, sr: float | None, mono: bool) -> tuple[Any, float]:
    """librosa's downmix, soxr_hq resampling and length fix, for ``(channels, n)`` input."""
    import numpy as np

    y = np.asarray(y, dtype=np.float32)
    if mono and y.shape[0] > 1:
        y = np.mean(y, axis=0)  # librosa.to_mono
    elif y.shape[0] == 1:
        y = y[0]  # librosa returns a one-channel file as 1-d, whatever ``mono`` says
    if sr is None or sr == sr_native:
        return y, sr_native
    import math

    import soxr

    n_out = math.ceil(y.shape[-1] * (float(sr) / sr_native))  # librosa.resample's length
    y = soxr.resample(y.T, sr_native, sr, quality="soxr_hq").T
    if y.shape[-1] != n_out:
        fixed = np.zeros((*y.shape[:-1], n_out), dtype=y.dtype)
        n = min(n_out, y.shape[-1])
        fixed[..., :n] = y[..., :n]
        y = fixed
    return y, sr


def _load_audiodecode(path: str, sr: float | None, mono: bool) -> tuple[Any, float]:
    import audiodecode

    return audiodecode.load(path, sr=sr, mono=mono)


def _load_audiodecode_cached(path: str, sr: float | None, mono: bool) -> tuple[Any, float]:
    # audiodecode.load with its decode cache on, in the folder the benchmark made for it
    # (a child process gets it from the environment too). Everything a hit costs is timed,
    # the store's construction included; the warm-up load writes the entry.
    import os

    import numpy as np

    import audiodecode
    from audiodecode.cache import DecodeCache

    store = DecodeCache(os.environ["AUDIODECODE_BENCH_CACHE_DIR"])
    entry = store.entry(path, sr, mono, 0.0, None, np.dtype(np.float32), "soxr_hq", None)
    hit = entry.read(sr) if entry is not None else None
    if hit is not None:
        return hit
    y, sr_out = audiodecode.load(path, sr=sr, mono=mono)
    if entry is not None:
        entry.write(y, sr_out)
    return y, sr_out


def _load_librosa(path: str, sr: float | None, mono: bool) -> tuple[Any, float]:
    import librosa

    return librosa.load(path, sr=sr, mono=mono)


def _load_soundfile(path: str, sr: float | None, mono: bool) -> tuple[Any, float]:
    import soundfile

    y, sr_native = soundfile.read(path, dtype="float32", always_2d=True)
    return _finish(y.T, sr_native, sr, mono)


def _load_pyav(path: str, sr: float | None, mono: bool) -> tuple[Any, float]:
    import av
    import numpy as np

    # A bare decode loop, as a PyAV user writes it: no resampler, ``to_ndarray`` per frame.
    chunks = []
    frame = None
    with av.open(path) as container:
        for frame in container.decode(audio=0):
            chunks.append(frame.to_ndarray())
    if frame is None:
        msg = "no audio frames decoded"
        raise ValueError(msg)
    sample_format = frame.format
    channels = len(frame.layout.channels)
    sr_native = frame.sample_rate
    y = np.concatenate(chunks, axis=1)
    if not sample_format.is_planar:  # packed: one row of interleaved samples
        y = y.reshape(-1, channels).T
    name = sample_format.name.rstrip("p")
    if name == "s16":
        y = y * np.float32(2.0**-15)
    elif name == "s32":
        y = y * np.float32(2.0**-31)
    elif name == "u8":
        y = (y.astype(np.float32) - 128) / 128
    return _finish(y, sr_native, sr, mono)


def _load_pedalboard(path: str, sr: float | None, mono: bool) -> tuple[Any, float]:
    from pedalboard.io import AudioFile

    with AudioFile(path) as f:
        y = f.read(f.frames)
        sr_native = f.samplerate
    return _finish(y, sr_native, sr, mono)


def _load_torchcodec(path: str, sr: float | None, mono: bool) -> tuple[Any, float]:
    from torchcodec.decoders import AudioDecoder

    samples = AudioDecoder(path).get_all_samples()
    return _finish(samples.data.numpy(), samples.sample_rate, sr, mono)


def _load_numpy_floor(path: str, sr: float | None, mono: bool) -> tuple[Any, float]:
    import os
    import struct

    import numpy as np

    # The least any reader of a plain PCM WAV must do: find the data chunk, read its bytes
    # into an array, then scale (and sum the channels) in as few numpy passes as possible.
    # No validation and no fallbacks: it is a yardstick, run only on files known to be plain.
    with open(path, "rb") as f:
        f.seek(12)
        fmt = b""
        while True:
            chunk_id, size = struct.unpack("<4sI", f.read(8))
            if chunk_id == b"data":
                break
            if chunk_id == b"fmt ":
                fmt = f.read(size + (size & 1))
            else:
                f.seek(size + (size & 1), 1)
        tag, channels, sr_native, _, block_align, bits = struct.unpack("<HHIIHH", fmt[:16])
        if tag == 0xFFFE:  # WAVE_FORMAT_EXTENSIBLE: the real tag opens the subformat GUID
            (tag,) = struct.unpack("<H", fmt[24:26])
        stored = {(1, 16): "<i2", (1, 32): "<i4", (3, 32): "<f4"}[(tag, bits)]
        size = min(size, os.fstat(f.fileno()).st_size - f.tell())  # RF64 says 0xFFFFFFFF
        raw = np.empty((size // block_align) * channels, dtype=stored)
        f.readinto(raw.view(np.uint8).data)
    scale = np.float32(1.0 if tag == 3 else 2.0 ** (1 - bits))
    frames = raw.reshape(-1, channels)
    if mono and channels > 1:
        # Summing integer channels, then one scaling, gives librosa's mean exactly for
        # 16-bit stereo, in two passes instead of a strided reduction over the channels.
        y = np.add(frames[:, 0], frames[:, 1], dtype=np.float32)
        for channel in range(2, channels):
            y += frames[:, channel]
        y *= scale / np.float32(channels)
        return _finish(y[np.newaxis], sr_native, sr, mono)
    return _finish(np.multiply(frames, scale, dtype=np.float32).T, sr_native, sr, mono)


LoadFunction = Callable[[str, float | None, bool], tuple[Any, float]]

# What the numpy floor reads: the plain PCM/float WAV layouts (``AudioInfo.codec`` names).
_FLOOR_CODECS = frozenset({"pcm_s16le", "pcm_s32le", "pcm_f32le"})


@dataclass(frozen=True)
class Loader:
    """One way of loading audio that the benchmark compares.

    Attributes
    ----------
    name : str
        Key in the results and in ``--loaders``.
    function : callable
        ``(path, sr, mono) -> (y, sr)``, doing the same work as ``librosa.load``.
    module : str
        What must import for the loader to be available.
    distribution : str
        The package whose version is reported; empty for the numpy floor.
    reference : bool
        A yardstick, not a library people choose (the numpy floor); only for plain PCM WAV.
    """

    name: str
    function: LoadFunction
    module: str
    distribution: str
    reference: bool = False

    def applies_to(self, info: AudioInfo | None) -> bool:
        """Whether this loader is meant to read a file (the floor reads plain PCM WAV only)."""
        if not self.reference:
            return True
        return info is not None and info.format == "wav" and info.codec in _FLOOR_CODECS

    def source(self) -> str:
        """This loader's function (and ``_finish`` if it uses it) as standalone source.

        A child process running it imports exactly what the loader imports and nothing else,
        so ``source() + call(...)`` is the ``python -c "import X; load one file"`` of a cold
        start or a peak-memory figure. Annotations stay strings, as they are here.
        """
        parts = ["from __future__ import annotations"]
        own = inspect.getsource(self.function)
        if "_finish(" in own:
            parts.append(inspect.getsource(_finish))
        parts.append(own)
        return "\n".join(parts)

    def call(self, path: str, sr: float | None, mono: bool) -> str:
        """Source of one call of the function, binding its output to ``y``."""
        return f"y, _ = {self.function.__name__}({path!r}, {sr!r}, {mono!r})\n"


#: Every loader the benchmark knows, in the order of the tables.
LOADERS: tuple[Loader, ...] = (
    Loader("audiodecode", _load_audiodecode, "audiodecode", "audiodecode"),
    Loader("audiodecode_cached", _load_audiodecode_cached, "audiodecode.cache", "audiodecode"),
    Loader("librosa", _load_librosa, "librosa", "librosa"),
    Loader("soundfile", _load_soundfile, "soundfile", "soundfile"),
    Loader("pyav", _load_pyav, "av", "av"),
    Loader("pedalboard", _load_pedalboard, "pedalboard.io", "pedalboard"),
    Loader("torchcodec", _load_torchcodec, "torchcodec.decoders", "torchcodec"),
    Loader("numpy_floor", _load_numpy_floor, "numpy", "", reference=True),
)
LOADER_NAMES: tuple[str, ...] = tuple(loader.name for loader in LOADERS)
#: What runs when no loaders are named: the warm cache only with ``bench --cache``.
DEFAULT_LOADER_NAMES: tuple[str, ...] = tuple(n for n in LOADER_NAMES if n != "audiodecode_cached")
_LOADERS_BY_NAME = {loader.name: loader for loader in LOADERS}


@dataclass(frozen=True)
class LoaderStatus:
    """Whether a loader can run here, and which version of its package it would use."""

    name: str
    available: bool
    version: str
    reason: str = ""  # why it is not available

    @property
    def label(self) -> str:
        if self.name == "numpy_floor":
            return f"numpy floor (numpy {self.version})" if self.version else "numpy floor"
        if self.name == "audiodecode_cached":
            return f"audiodecode {self.version}, warm cache".replace("  ", " ")
        return f"{self.name} {self.version}".strip()


def resolve_loaders(names: Sequence[str] | None = None) -> tuple[list[Loader], list[LoaderStatus]]:
    """The loaders to compare (audiodecode first, always) and the status of every one asked for.

    A loader whose package does not import is left out, with the reason, never an error:
    only audiodecode itself is required.

    Parameters
    ----------
    names : sequence of str, optional
        Loader names (see :data:`LOADER_NAMES`); by default every one that is installed,
        except ``audiodecode_cached`` (audiodecode with a warm decode cache: ``bench --cache``).

    Examples
    --------
    >>> loaders, statuses = resolve_loaders(["soundfile"])
    >>> [loader.name for loader in loaders]
    ['audiodecode', 'soundfile']
    """
    wanted = list(DEFAULT_LOADER_NAMES) if names is None else ["audiodecode", *names]
    unknown = [name for name in wanted if name not in _LOADERS_BY_NAME]
    if unknown:
        msg = f"unknown loader {unknown[0]!r}; expected one of {', '.join(LOADER_NAMES)}"
        raise ValueError(msg)
    loaders, statuses = [], []
    for name in dict.fromkeys(wanted):
        loader = _LOADERS_BY_NAME[name]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a peer's import-time notices are not ours
                importlib.import_module(loader.module)
        except Exception as exc:  # noqa: BLE001 - a broken install is "not available" too
            reason = "not installed" if isinstance(exc, ImportError) else _describe(exc)
            statuses.append(LoaderStatus(name, False, "", reason))
            continue
        loaders.append(loader)
        statuses.append(LoaderStatus(name, True, _version(loader.distribution or "numpy")))
    return loaders, statuses


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return ""


# ------------------------------------------------------------------------------------------
# Finding and grouping files


@dataclass(frozen=True)
class FileEntry:
    """One file to benchmark; ``info`` is ``None`` when audiodecode cannot read its header."""

    path: str
    info: AudioInfo | None
    container: str  # from the first bytes (``_source.sniff``), "unknown" when unrecognised
    not_audio: bool = False  # nothing recognises it: neither sniff nor any backend

    @property
    def seconds(self) -> float:
        return self.info.duration if self.info is not None else 0.0

    @classmethod
    def from_path(cls, path: str | os.PathLike[str]) -> FileEntry:
        from . import info
        from ._source import HEAD_BYTES, sniff
        from .errors import UnsupportedFormatError

        path = os.fspath(path)
        with open(path, "rb") as f:
            container = sniff(f.read(HEAD_BYTES))
        try:
            return cls(path, info(path), container)
        except UnsupportedFormatError:
            return cls(path, None, container, not_audio=container == "unknown")
        except Exception:  # noqa: BLE001 - the warm-up load reports the error properly
            return cls(path, None, container)


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
    """Every file under ``paths`` (folders recursively, hidden entries skipped), sniffed.

    The format comes from each file's first bytes, never from its name. A file inside a
    folder that nothing recognises (``sniff`` says "unknown" and no audiodecode backend reads
    its header) is skipped as "not audio"; a file named on the command line is always kept,
    so that an unreadable one is reported.

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
    candidates: list[tuple[str, bool]] = []
    for path in (os.fspath(p) for p in paths):
        if os.path.isdir(path):
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                candidates += [(os.path.join(root, n), False) for n in sorted(names)
                               if not n.startswith(".")]
        elif os.path.exists(path):
            candidates.append((path, True))
        else:
            raise FileNotFoundError(2, "No such file or directory", path)
    files, skipped, seen = [], [], set()
    for path, named in candidates:
        real = os.path.realpath(path)
        if real in seen or not os.path.isfile(path):
            continue
        seen.add(real)
        entry = FileEntry.from_path(path)
        if entry.not_audio and not named:
            skipped.append({"path": path, "reason": "not audio"})
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


def make_demo_corpus(folder: str | os.PathLike[str]) -> Found:
    """Write the demo corpus (``_corpus.make_demo_corpus``) into ``folder`` and find it."""
    from . import _corpus

    _corpus.make_demo_corpus(
        folder, clips_per_format=DEMO_CLIPS_PER_FORMAT, long_seconds=DEMO_LONG_SECONDS
    )
    return find_files([folder])


# ------------------------------------------------------------------------------------------
# Results


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
        "soxr": _version("soxr"),
    }


# ------------------------------------------------------------------------------------------
# Running


class _Progress:
    """A rich progress bar on stderr when rich is installed and wanted, else nothing."""

    def __init__(self, total: int, enabled: bool) -> None:
        self._bar: Any = None
        self._task: Any = None
        if not enabled:
            return
        try:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )
        except ImportError:
            return  # the bar is a nicety: rich comes with the ``cli`` extra
        self._bar = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=Console(stderr=True), transient=True,
        )
        self._task = self._bar.add_task("benchmark", total=total)

    def __enter__(self) -> Self:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def describe(self, text: str) -> None:
        if self._bar is not None:
            self._bar.update(self._task, description=text)

    def advance(self, steps: int = 1) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, steps)


@dataclass
class _Call:
    ms: float
    y: Any = None
    sr: float | None = None
    error: str = ""
    warning: str = ""


def _call(function: LoadFunction, path: str, sr: float | None, mono: bool,
          record_warnings: bool) -> _Call:
    # Warnings are caught for every loader alike, outside the timed region: librosa 0.11
    # warns on every file it hands to audioread, and pytest may turn warnings into errors.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always" if record_warnings else "ignore")
        start = time.perf_counter_ns()
        try:
            y, sr_out = function(path, sr, mono)
        except Exception as exc:  # noqa: BLE001 - a loader failing is a result, not a crash
            # The file's name is enough in a table; temporary folders make paths long.
            error = _describe(exc).replace(path, os.path.basename(path))
            return _Call((time.perf_counter_ns() - start) / 1e6, error=error)
        elapsed = (time.perf_counter_ns() - start) / 1e6
    # Deprecation notices are about code (librosa 0.11 importing aifc), not about the file.
    notices = [w for w in caught if not issubclass(w.category, DeprecationWarning)]
    warning = str(notices[0].message).strip().splitlines()[0] if notices else ""
    return _Call(elapsed, y, sr_out, warning=warning)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _compare(y: Any, sr: float | None, ref: Any, ref_sr: float | None) -> dict[str, Any]:
    same_shape = np.shape(y) == np.shape(ref)
    result: dict[str, Any] = {
        "identical": bool(same_shape and y.dtype == ref.dtype and sr == ref_sr
                          and np.array_equal(y, ref)),
        "same_shape": same_shape,
        "max_abs_diff": None,
        "correlation": None,
    }
    if same_shape and np.size(y):
        a, b = np.asarray(y, np.float64).ravel(), np.asarray(ref, np.float64).ravel()
        result["max_abs_diff"] = float(np.max(np.abs(a - b)))
        if np.std(a) > 0 and np.std(b) > 0:
            result["correlation"] = float(np.corrcoef(a, b)[0, 1])
    return result


@dataclass
class _FileRun:
    entry: FileEntry
    group: str
    loaders: list[Loader]  # those that apply to this file
    times: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)
    parity: dict[str, dict[str, Any]] = field(default_factory=dict)

    def readers(self) -> list[Loader]:
        return [loader for loader in self.loaders if loader.name not in self.errors]


def benchmark(
    groups: Sequence[Group],
    *,
    loaders: Sequence[Loader] | None = None,
    iterations: int = 5,
    cold_start: ColdStartSpec | None = None,
    memory: MemorySpec | None = None,
    progress: bool = False,
    statuses: Sequence[LoaderStatus] = (),
    skipped: Sequence[dict[str, str]] = (),
) -> Report:
    """Time every loader on every group, check parity with librosa, and measure the children.

    Parameters
    ----------
    groups : sequence of Group
        What to load, and with which ``sr``/``mono``.
    loaders : sequence of Loader, optional
        From :func:`resolve_loaders`; by default every installed one. audiodecode must be
        among them: speedups and readability are relative to it.
    iterations : int > 0
        Timed loads of each file by each loader, after one untimed warm-up load.
    cold_start, memory : ColdStartSpec, MemorySpec, optional
        The child-process measurements; skipped when ``None``.
    progress : bool
        Show a progress bar on stderr (when rich is installed).
    statuses, skipped
        Passed through to the report (loader availability; files that are not audio).

    Returns
    -------
    Report

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> sf.write("x.wav", np.random.default_rng(0).uniform(-1, 1, 8000), 8000, subtype="PCM_16")
    >>> loaders, statuses = resolve_loaders(["soundfile"])
    >>> report = benchmark([Group.from_paths("x", ["x.wav"])], loaders=loaders, iterations=1)
    >>> sorted(report.groups[0].loaders)
    ['audiodecode', 'soundfile']
    """
    if iterations < 1:
        msg = f"iterations={iterations} must be a positive integer"
        raise ValueError(msg)
    if loaders is None:
        loaders, statuses = resolve_loaders()
    if not any(loader.name == "audiodecode" for loader in loaders):
        msg = "the audiodecode loader must be among the loaders"
        raise ValueError(msg)
    loaders = sorted(loaders, key=lambda loader: LOADER_NAMES.index(loader.name))
    with _warm_cache_folder(loaders):
        return _benchmark(groups, loaders, iterations, cold_start, memory, progress, statuses,
                          skipped)


@contextlib.contextmanager
def _warm_cache_folder(loaders: Sequence[Loader]) -> Iterator[None]:
    """A private cache folder for ``audiodecode_cached``, named in the environment so that
    its cold-start and peak-memory children find the entries the warm-up wrote."""
    if not any(loader.name == "audiodecode_cached" for loader in loaders):
        yield
        return
    previous = os.environ.get(_CACHE_VARIABLE)
    with tempfile.TemporaryDirectory(prefix="audiodecode-bench-cache-") as folder:
        os.environ[_CACHE_VARIABLE] = folder
        try:
            yield
        finally:
            if previous is None:
                del os.environ[_CACHE_VARIABLE]
            else:
                os.environ[_CACHE_VARIABLE] = previous


_CACHE_VARIABLE = "AUDIODECODE_BENCH_CACHE_DIR"


def _benchmark(
    groups: Sequence[Group], loaders: list[Loader], iterations: int,
    cold_start: ColdStartSpec | None, memory: MemorySpec | None, progress: bool,
    statuses: Sequence[LoaderStatus], skipped: Sequence[dict[str, str]],
) -> Report:
    runs = [[_FileRun(e, g.name, [lo for lo in loaders if lo.applies_to(e.info)])
             for e in g.files] for g in groups]
    n_calls = sum(len(r.loaders) for file_runs in runs for r in file_runs)
    n_children = 0
    if cold_start is not None:
        n_children += cold_start.repeats * (len(loaders) + 1)
    if memory is not None:
        n_children += len(memory.settings) * len(loaders)
    unreadable: list[dict[str, Any]] = []
    with _Progress(n_calls * (iterations + 1) + n_children, progress) as bar:
        for group, file_runs in zip(groups, runs, strict=True):
            bar.describe(f"warm-up: {group.name}")
            for run in file_runs:
                _warm_up(run, group, bar)
                if "audiodecode" in run.errors:
                    unreadable.append({
                        "path": run.entry.path,
                        "error": run.errors["audiodecode"],
                        "readable_by": [lo.name for lo in run.readers()],
                    })
                    bar.advance(len(run.loaders) * iterations)
        timed = [(group, run) for group, file_runs in zip(groups, runs, strict=True)
                 for run in file_runs if "audiodecode" not in run.errors]
        _timed_iterations(timed, iterations, bar)
        group_results = [_summarise(g, [r for r in rs if "audiodecode" not in r.errors])
                         for g, rs in zip(groups, runs, strict=True)]
        readable = [run for _, run in timed]
        cold = memory_result = None
        if cold_start is not None and readable:
            bar.describe("cold start (fresh processes)")
            cold = _cold_start(cold_start, loaders, readable, bar)
        if memory is not None and readable:
            bar.describe("peak memory (fresh processes)")
            memory_result = _peak_memory(memory, loaders, readable, bar)
    settings = {
        "iterations": iterations,
        "cold_start_repeats": cold_start.repeats if cold_start is not None else 0,
        "audiodecode": _version("audiodecode"),
    }
    return Report(settings, machine_info(), list(statuses), [g for g in group_results if g.files],
                  cold, memory_result, unreadable, list(skipped))


def _warm_up(run: _FileRun, group: Group, bar: _Progress) -> None:
    # librosa first: its output is the reference each later output is compared with, and
    # only one output besides it is alive at a time (they can be hundreds of MiB each).
    order = sorted(run.loaders, key=lambda loader: loader.name != "librosa")
    reference: _Call | None = None
    for loader in order:
        call = _call(loader.function, run.entry.path, group.sr, group.mono, record_warnings=True)
        bar.advance()
        if call.warning:
            run.warnings[loader.name] = call.warning
        if call.error:
            run.errors[loader.name] = call.error
            continue  # audiodecode failing too: the others' outcome goes in the bug report
        if loader.name == "librosa":
            reference = call
        elif reference is not None:
            run.parity[loader.name] = _compare(call.y, call.sr, reference.y, reference.sr)
        run.times[loader.name] = []


def _timed_iterations(timed: list[tuple[Group, _FileRun]], iterations: int,
                      bar: _Progress) -> None:
    # Interleaved by passes: in every iteration each loader in turn loads all the files of a
    # group, the order of the loaders rotating from one iteration (and group) to the next,
    # so machine noise still hits every loader alike. Interleaving file by file instead lets
    # each loader inherit the caches the previous one left: after PyAV's per-frame Python
    # loop a 0.1 ms WAV load took 0.2 ms, which compressed every sub-millisecond ratio.
    by_group: dict[int, tuple[Group, list[_FileRun]]] = {}
    for group, run in timed:
        by_group.setdefault(id(group), (group, []))[1].append(run)
    # Collections triggered inside a timed call would otherwise walk everything imported so
    # far (librosa brings scipy and numba); freezing that heap makes them cheap for all.
    gc.collect()
    gc.freeze()
    try:
        for iteration in range(iterations):
            bar.describe(f"timing: iteration {iteration + 1} of {iterations}")
            for index, (group, file_runs) in enumerate(by_group.values()):
                names = list(dict.fromkeys(lo.name for r in file_runs for lo in r.loaders))
                shift = (iteration + index) % len(names)
                for name in names[shift:] + names[:shift]:
                    for run in file_runs:
                        loader = next((lo for lo in run.readers() if lo.name == name), None)
                        if loader is not None:
                            _timed_call(loader, run, group)
                        bar.advance(int(any(lo.name == name for lo in run.loaders)))
    finally:
        gc.unfreeze()


def _timed_call(loader: Loader, run: _FileRun, group: Group) -> None:
    call = _call(loader.function, run.entry.path, group.sr, group.mono, record_warnings=False)
    call.y = None  # free the output before the next call
    if call.error:  # failed now, though it read the file in the warm-up
        run.errors[loader.name] = call.error
        run.times.pop(loader.name, None)
    elif loader.name in run.times:
        run.times[loader.name].append(call.ms)


def _summarise(group: Group, file_runs: list[_FileRun]) -> GroupResult:
    names = [lo.name for lo in LOADERS if any(lo in r.loaders for r in file_runs)]
    per_file_median = [
        {name: statistics.median(t) for name, t in r.times.items() if t} for r in file_runs
    ]
    results = {}
    for name in names:
        applicable = [i for i, r in enumerate(file_runs) if any(lo.name == name for lo in r.loaders)]
        read = [i for i in applicable if name in per_file_median[i]]
        both = [i for i in read if "audiodecode" in per_file_median[i]]
        median_ms = statistics.median(per_file_median[i][name] for i in read) if read else None
        speedup = None
        if both and name != "audiodecode":
            ours = statistics.median(per_file_median[i]["audiodecode"] for i in both)
            speedup = statistics.median(per_file_median[i][name] for i in both) / ours
        errors = [file_runs[i].errors[name] for i in applicable if name in file_runs[i].errors]
        warned = [file_runs[i].warnings[name] for i in applicable
                  if name in file_runs[i].warnings]
        results[name] = LoaderResult(
            files_read=len(read), files_failed=len(applicable) - len(read), median_ms=median_ms,
            speedup=speedup, parity=_parity([file_runs[i].parity.get(name) for i in read]),
            error=errors[0] if errors else "", warning=warned[0] if warned else "",
        )
    return GroupResult(
        name=group.name, sr=group.sr, mono=group.mono, files=len(file_runs),
        audio_seconds=sum(r.entry.seconds for r in file_runs),
        sample_rates=sorted({r.entry.info.sample_rate for r in file_runs if r.entry.info}),
        loaders=results,
        per_file=[FileResult(r.entry.path, r.entry.seconds, dict(r.times), dict(r.errors))
                  for r in file_runs],
    )


def _parity(comparisons: list[dict[str, Any] | None]) -> Parity | None:
    done = [c for c in comparisons if c is not None]
    if not done:
        return None
    diffs = [c["max_abs_diff"] for c in done if c["max_abs_diff"] is not None]
    correlations = [c["correlation"] for c in done if c["correlation"] is not None]
    return Parity(
        files=len(done), identical=sum(c["identical"] for c in done),
        max_abs_diff=max(diffs) if diffs else None,
        min_correlation=min(correlations) if correlations else None,
        length_mismatches=sum(not c["same_shape"] for c in done),
    )


# ------------------------------------------------------------------------------------------
# Child processes: cold start and peak memory


def _run_child(script: str, timeout: float = 300.0) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter_ns()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=timeout, check=False)
    return (time.perf_counter_ns() - start) / 1e6, done


def _child_error(done: subprocess.CompletedProcess[str]) -> str:
    lines = done.stderr.strip().splitlines()
    return lines[-1] if lines else f"exit status {done.returncode}"


def _cold_start(spec: ColdStartSpec, loaders: Sequence[Loader], readable: list[_FileRun],
                bar: _Progress) -> ColdStartResult:
    if spec.path is not None:
        target = next((r for r in readable if r.entry.path == spec.path), None)
        path = spec.path
    else:
        # The shortest file of the first table (WAV when there is one): the cost of a load
        # is then nearly all start-up, which is what this measures.
        first_group = [r for r in readable if r.group == readable[0].group]
        target = min(first_group, key=lambda r: r.entry.seconds)
        path = target.entry.path
    rows: dict[str, dict[str, Any]] = {}
    runnable = []
    for loader in loaders:
        info = target.entry.info if target is not None else FileEntry.from_path(path).info
        if not loader.applies_to(info):
            continue
        if target is not None and loader.name in target.errors:
            rows[loader.name] = {"median_ms": None, "times_ms": [], "speedup": None,
                                 "error": "cannot read this file"}
            continue
        rows[loader.name] = {"median_ms": None, "times_ms": [], "speedup": None, "error": ""}
        runnable.append(loader)
    interpreter: list[float] = []
    for repeat in range(spec.repeats):
        # Round-robin, rotated, as in the timed loop: noise hits every loader alike.
        shift = repeat % max(len(runnable), 1)
        for child in [None, *runnable[shift:], *runnable[:shift]]:
            script = "pass" if child is None else child.source() + "\n" + child.call(
                path, spec.sr, spec.mono)
            ms, done = _run_child(script)
            bar.advance()
            if child is None:
                interpreter.append(ms)
            elif done.returncode != 0:
                rows[child.name]["error"] = _child_error(done)
            else:
                rows[child.name]["times_ms"].append(ms)
    for row in rows.values():
        if row["times_ms"] and not row["error"]:
            row["median_ms"] = statistics.median(row["times_ms"])
    ours = rows.get("audiodecode", {}).get("median_ms")
    for name, row in rows.items():
        if ours and row["median_ms"] and name != "audiodecode":
            row["speedup"] = row["median_ms"] / ours
    return ColdStartResult(path, spec.sr, spec.mono, spec.repeats,
                           statistics.median(interpreter) if interpreter else math.nan, rows)


# The measuring half of a peak-memory child. Its first load pulls in every lazy import and
# cache (librosa imports scipy and numba on first use; that is start-up, not loading); then
# the kernel's high-water mark is reset (5 > clear_refs, Linux >= 4.0) and a second load is
# measured against the resident size right before it: what one more file costs a warm
# process, such as a DataLoader worker. Where the mark cannot be reset (macOS, old kernels)
# the first load is measured instead, against the peak after importing the loader's module,
# and the method says so.
_MEMORY_PROBE = """
import gc, importlib, json, sys

def _kib(key):
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak

def _reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True

importlib.import_module(MODULE)
after_import = _kib("VmHWM")
CALL
output_bytes = int(y.nbytes)
del y
gc.collect()
if _reset_peak():
    method, baseline = "second load, peak minus resident size before it", _kib("VmRSS")
    CALL
else:
    method, baseline = "first load, peak minus peak after import", after_import
print(json.dumps({"baseline_kib": baseline, "peak_kib": _kib("VmHWM"),
                  "output_bytes": output_bytes, "method": method}))
"""


def _memory_script(loader: Loader, path: str, sr: float | None, mono: bool) -> str:
    probe = _MEMORY_PROBE.replace("MODULE", repr(loader.module))
    return loader.source() + "\n" + probe.replace("CALL", loader.call(path, sr, mono).strip())


def _peak_memory(spec: MemorySpec, loaders: Sequence[Loader], readable: list[_FileRun],
                 bar: _Progress) -> MemoryResult:
    if spec.path is not None:
        target = next((r for r in readable if r.entry.path == spec.path), None)
        entry = target.entry if target is not None else FileEntry.from_path(spec.path)
    else:
        target = max(readable, key=lambda r: r.entry.seconds)
        entry = target.entry
    rows = []
    methods = set()
    for sr, mono in spec.settings:
        row: dict[str, Any] = {"sr": sr, "mono": mono, "output_mib": None, "loaders": {}}
        for loader in loaders:
            if not loader.applies_to(entry.info):
                bar.advance()
                continue
            if target is not None and loader.name in target.errors:
                row["loaders"][loader.name] = {"error": "cannot read this file"}
                bar.advance()
                continue
            _, done = _run_child(_memory_script(loader, entry.path, sr, mono))
            bar.advance()
            if done.returncode != 0:
                row["loaders"][loader.name] = {"error": _child_error(done)}
                continue
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            methods.add(figures["method"])
            above = max(0, figures["peak_kib"] - figures["baseline_kib"]) * 1024 / MiB
            output = figures["output_bytes"] / MiB
            row["loaders"][loader.name] = {
                "peak_above_baseline_mib": above, "baseline_mib": figures["baseline_kib"] / 1024,
                "output_mib": output, "ratio_to_output": above / output if output else None,
            }
            if loader.name == "audiodecode":
                row["output_mib"] = output
        rows.append(row)
    return MemoryResult(entry.path, entry.seconds, "; ".join(sorted(methods)), rows)


# ------------------------------------------------------------------------------------------
# Rendering: aligned pipe tables, readable in a terminal and valid Markdown


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    """An aligned pipe table (valid Markdown); columns whose index is in ``right`` align right.

    Examples
    --------
    >>> print(table(["loader", "ms"], [["audiodecode", "0.21"]], right=[1]))
    | loader      |   ms |
    |-------------|-----:|
    | audiodecode | 0.21 |
    """
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        padded = [c.rjust(w) if i in right else c.ljust(w)
                  for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if i in right else "-" * (w + 2)
                          for i, w in enumerate(widths)) + "|"
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def _ms(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if value >= 0.1 else f"{value:.3f}"


def _times(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 0.1:  # a warm cache's fraction of a cold load
        return f"{value:.2g}x"
    return f"{value:.1f}x" if value >= 10 else f"{value:.2f}x"


def _rate(value: float | None) -> str:
    return "native" if value is None else f"{value:g}"


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _parity_text(parity: Parity | None) -> str:
    if parity is None:
        return ""
    text = f"{parity.identical}/{parity.files} identical"
    if parity.identical < parity.files:
        if parity.length_mismatches:
            text += f", {parity.length_mismatches} of other length"
        if parity.max_abs_diff is not None:
            text += f", max abs diff {parity.max_abs_diff:.2g}"
        if parity.min_correlation is not None:
            text += f", r >= {parity.min_correlation:.6f}"
    return text


def _labels(report: Report) -> dict[str, str]:
    return {s.name: s.label for s in report.loaders} | {
        name: name.replace("_", " ") for name in LOADER_NAMES
        if name not in {s.name for s in report.loaders}
    }


def format_group(group: GroupResult, labels: dict[str, str], has_librosa: bool) -> str:
    """One group's table: a row per loader, ms per file, speedup, parity against librosa."""
    rates = "/".join(f"{r / 1000:g} kHz" for r in group.sample_rates)
    title = (f"{group.name}, {rates}: {group.files} file{'s' * (group.files != 1)}, "
             f"{group.audio_seconds / max(group.files, 1):.1f} s each on average "
             f"(sr={_rate(group.sr)}, {'mono' if group.mono else 'channels kept'})")
    rows = []
    for name, result in group.loaders.items():
        if result.files_read == 0:
            timing, speedup = "cannot read", ""
            note = _short(result.error)
        else:
            timing, speedup = _ms(result.median_ms), _times(result.speedup)
            if name == "librosa":
                note = "the reference"
            elif not has_librosa:
                note = "librosa not installed"
            elif result.parity is None:
                note = "librosa cannot read"
            else:
                note = _parity_text(result.parity)
            if result.files_failed:
                note += f"; failed on {result.files_failed}: {_short(result.error, 40)}"
        if name == "audiodecode_cached" and result.speedup:
            note += f"; {_times(1 / result.speedup)} faster than decoding"
        if result.warning:
            note += f"; warns: {_short(result.warning, 50)}"
        rows.append([labels.get(name, name), timing, speedup, note.strip("; ")])
    body = table(["loader", "ms per file", "audiodecode speedup", "parity vs librosa"],
                 rows, right=(1, 2))
    return f"{title}\n\n{body}"


def format_cold_start(cold: ColdStartResult, labels: dict[str, str]) -> str:
    rows = [["python (nothing imported)", _ms(cold.interpreter_ms), "", ""]]
    for name, row in cold.loaders.items():
        rows.append([labels.get(name, name),
                     _ms(row["median_ms"]) if not row["error"] else "failed",
                     _times(row["speedup"]), _short(row["error"])])
    title = (f"Cold start: a fresh `python -c \"import X; load one file\"`, median of "
             f"{cold.repeats}; {Path(cold.path).name}, sr={_rate(cold.sr)}")
    body = table(["process", "ms", "audiodecode speedup", "error"], rows, right=(1, 2))
    return f"{title}\n\n{body}"


def format_memory(memory: MemoryResult, labels: dict[str, str]) -> str:
    headers = ["loader"]
    for row in memory.rows:
        setting = f"sr={_rate(row['sr'])} {'mono' if row['mono'] else 'stereo'}"
        headers += [f"{setting}: MiB", "x output"]
    names = [n for n in LOADER_NAMES if any(n in row["loaders"] for row in memory.rows)]
    rows = []
    for name in names:
        cells = [labels.get(name, name)]
        for row in memory.rows:
            figures = row["loaders"].get(name)
            if figures is None:
                cells += ["-", "-"]
            elif "error" in figures:
                cells += ["failed", _short(figures["error"], 30)]
            else:
                ratio = figures["ratio_to_output"]
                cells += [f"{figures['peak_above_baseline_mib']:.1f}",
                          "-" if ratio is None else f"{ratio:.2f}"]
        rows.append(cells)
    outputs = ", ".join(f"{row['output_mib']:.1f} MiB at sr={_rate(row['sr'])}"
                        for row in memory.rows if row["output_mib"] is not None)
    title = (f"Peak memory above the process's own baseline, one load of "
             f"{Path(memory.path).name} ({memory.seconds:.0f} s); output array {outputs}")
    return f"{title}\n\n{table(headers, rows, right=range(1, len(headers)))}"


def format_report(report: Report) -> str:
    """The whole report as text: settings, one table per group, cold start, memory, problems."""
    labels = _labels(report)
    available = {s.name for s in report.loaders if s.available}
    machine = report.machine
    lines = [
        (f"audiodecode {report.settings['audiodecode']} benchmark on {machine['cpu']} "
         f"({machine['cores']} cores), Python {machine['python']}, "
         f"{report.settings['iterations']} timed iteration(s) after a warm-up"),
        "compared: " + ", ".join(labels[s.name] for s in report.loaders if s.available),
    ]
    missing = [f"{s.name} ({s.reason})" for s in report.loaders if not s.available]
    if missing:
        lines.append("not compared: " + ", ".join(missing))
    blocks = ["\n".join(lines)]
    blocks += [format_group(g, labels, "librosa" in available) for g in report.groups]
    if report.cold_start is not None:
        blocks.append(format_cold_start(report.cold_start, labels))
    if report.memory is not None:
        blocks.append(format_memory(report.memory, labels))
    if report.unreadable:
        problems = [f"  {u['path']}: {u['error']}"
                    + (f" (readable by {', '.join(u['readable_by'])})" if u["readable_by"] else "")
                    for u in report.unreadable]
        blocks.append(f"audiodecode could not read {len(report.unreadable)} file(s):\n"
                      + "\n".join(problems))
    if report.skipped:
        blocks.append(f"skipped {len(report.skipped)} file(s) that are not audio, e.g. "
                      f"{report.skipped[0]['path']}")
    return "\n\n".join(blocks) + "\n"


def summary_table(report: Report) -> str:
    """All groups in one table: audiodecode's time, each peer's time and speedup, parity."""
    labels = _labels(report)
    names = [n for n in LOADER_NAMES if n != "audiodecode"
             and any(n in g.loaders for g in report.groups)]
    headers = ["group", "sr", "files", "audiodecode ms"]
    headers += [f"{labels.get(n, n)} ms (speedup)" for n in names]
    headers.append("parity vs librosa")
    rows = []
    for g in report.groups:
        ours = g.loaders.get("audiodecode")
        cells = [g.name, _rate(g.sr) + ("" if g.mono else ", channels kept"), str(g.files),
                 _ms(ours.median_ms if ours else None)]
        for name in names:
            result = g.loaders.get(name)
            if result is None:
                cells.append("n/a")
            elif result.files_read == 0:
                cells.append("cannot read")
            else:
                cells.append(f"{_ms(result.median_ms)} ({_times(result.speedup)})")
        parity = ours.parity if ours else None
        lib = g.loaders.get("librosa")
        cells.append(_parity_text(parity) if parity else
                     ("librosa cannot read" if lib is not None else "n/a"))
        rows.append(cells)
    return table(headers, rows, right=range(2, len(headers) - 1))


def plot(report: Report, path: str | os.PathLike[str]) -> None:
    """Write a bar chart of audiodecode's speedup over each loader, per group.

    Raises
    ------
    ImportError
        matplotlib is not installed (``pip install 'audiodecode[plot]'``).
    """
    try:
        from matplotlib.figure import Figure
    except ImportError:
        msg = "--plot needs matplotlib: pip install 'audiodecode[plot]'"
        raise ImportError(msg) from None
    labels = _labels(report)
    names = [n for n in LOADER_NAMES if n != "audiodecode"
             and any(g.loaders.get(n) and g.loaders[n].speedup for g in report.groups)]
    # A Figure without pyplot: no GUI backend, no global state.
    figure = Figure(figsize=(max(6.0, 1.4 * len(report.groups) + 2), 4.5), layout="constrained")
    axes = figure.add_subplot()
    width = 0.8 / max(len(names), 1)
    positions = np.arange(len(report.groups))
    for k, name in enumerate(names):
        values = [g.loaders[name].speedup if name in g.loaders else None for g in report.groups]
        # Bars grow from 1x: up where audiodecode is faster, down where it is slower.
        bars = axes.bar(positions + (k - (len(names) - 1) / 2) * width,
                        [math.nan if v is None else v - 1 for v in values], width, bottom=1.0,
                        label=labels.get(name, name))
        axes.bar_label(bars, labels=["" if v is None else _times(v) for v in values], fontsize=7)
    # Speedups span 0.5x to 100x: a log axis keeps "2x slower" and "2x faster" equally tall.
    axes.set_yscale("log")
    axes.yaxis.set_major_formatter("{x:g}x")
    axes.axhline(1.0, color="black", linewidth=0.8)
    axes.set_xticks(positions, [g.name.replace(", ", "\n", 1) for g in report.groups],
                    fontsize=8)
    axes.set_ylabel("their time / audiodecode's (above 1: audiodecode is faster)")
    axes.set_title(f"audiodecode {report.settings['audiodecode']}: speedup over other loaders, "
                   f"median time per file")
    axes.legend(fontsize=8)
    figure.savefig(path, dpi=120)
