"""The loaders the benchmark compares, and which of them can run here."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._child import FUNCTIONS

if TYPE_CHECKING:
    from .. import AudioInfo


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

    def child_arguments(self, mode: str, path: str, sr: float | None, mono: bool) -> list[str]:
        """Arguments of a child process that runs this loader's own function once (``cold``)
        or measures its peak memory (``memory``); see ``_child.main``."""
        rate = "native" if sr is None else repr(float(sr))
        channels = "mono" if mono else "stereo"
        if mode == "cold":
            return ["cold", self.name, path, rate, channels]
        return ["memory", self.name, self.module, path, rate, channels]


#: Every loader the benchmark knows, in the order of the tables.
LOADERS: tuple[Loader, ...] = (
    Loader("audiodecode", FUNCTIONS["audiodecode"], "audiodecode", "audiodecode"),
    Loader("audiodecode_cached", FUNCTIONS["audiodecode_cached"], "audiodecode.cache", "audiodecode"),
    Loader("librosa", FUNCTIONS["librosa"], "librosa", "librosa"),
    Loader("soundfile", FUNCTIONS["soundfile"], "soundfile", "soundfile"),
    Loader("pyav", FUNCTIONS["pyav"], "av", "av"),
    Loader("pedalboard", FUNCTIONS["pedalboard"], "pedalboard.io", "pedalboard"),
    Loader("torchcodec", FUNCTIONS["torchcodec"], "torchcodec.decoders", "torchcodec"),
    Loader("numpy_floor", FUNCTIONS["numpy_floor"], "numpy", "", reference=True),
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
            reason = "not installed" if isinstance(exc, ImportError) else describe_error(exc)
            statuses.append(LoaderStatus(name, False, "", reason))
            continue
        loaders.append(loader)
        statuses.append(LoaderStatus(name, True, package_version(loader.distribution or "numpy")))
    return loaders, statuses


def package_version(distribution: str) -> str:
    """The installed version of ``distribution``, or "" when it is not installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return ""


def describe_error(exc: BaseException) -> str:
    """``"TypeName: first line of the message"``, as the tables show a failure."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
