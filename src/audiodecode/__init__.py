"""audiodecode: ``librosa.load``'s exact array, several times faster, for every format FFmpeg reads.

Switch by changing one import::

    # before
    from librosa import load
    # after
    from audiodecode import load

    y, sr = load("speech.wav", sr=16000)   # the same array as librosa.load, bit for bit

WAV, AIFF, FLAC, Ogg Vorbis/Opus and MP3 decode through libsndfile (librosa's own decoder) or a
bit-identical numpy fast path; AAC/M4A, ALAC, WMA, AC3, Opus in WebM/MP4 and the soundtrack of
video files decode in-process through FFmpeg (PyAV). Resampling uses soxr, as librosa does.

Importing this package loads numpy and nothing heavier: decoders, resamplers and the optional
integrations are imported when first used.
"""

from __future__ import annotations

import os as _os
from typing import TYPE_CHECKING, Any

from ._api import get_duration, get_samplerate, info, stream
from ._info import AudioInfo
from ._load import load
from ._options import set_max_duration
from ._version import __version__
from .errors import (
    AudioDecodeError,
    AudioTooLargeError,
    CorruptAudioError,
    DecodeTimeoutError,
    NonFiniteAudioError,
    NotRegularFileError,
    UnsupportedFormatError,
)

if TYPE_CHECKING:
    from . import cache, compat
    from .batch import imap, load_batch

__all__ = [
    "AudioDecodeError",
    "AudioInfo",
    "AudioTooLargeError",
    "CorruptAudioError",
    "DecodeTimeoutError",
    "NonFiniteAudioError",
    "NotRegularFileError",
    "UnsupportedFormatError",
    "__version__",
    "cache",
    "compat",
    "get_duration",
    "get_samplerate",
    "imap",
    "info",
    "load",
    "load_batch",
    "set_max_duration",
    "stream",
]

# Submodules with optional dependencies, and the batch functions (concurrent.futures costs
# import time), resolve on first attribute access (PEP 562).
_LAZY_SUBMODULES = frozenset({"compat", "batch", "cache", "torch", "ray", "cli", "bench"})
_LAZY_FUNCTIONS = {"load_batch": "batch", "imap": "batch"}


def __getattr__(name: str) -> Any:
    import importlib

    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY_FUNCTIONS:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY_FUNCTIONS[name]}"), name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


# The two switches a deployment sets before the program starts, read once here so that a
# program needs no code change; unset, neither module is imported.
# AUDIODECODE_CACHE_DIR turns the decode cache on (audiodecode.cache).
if _os.environ.get("AUDIODECODE_CACHE_DIR"):
    from .cache import _enable_from_environment

    _enable_from_environment()
# AUDIODECODE_PATCH_LIBROSA=1 (or _TORCHAUDIO, _DATASETS) patches that library
# (audiodecode.compat.patch_from_environment).
if any(_os.environ.get(f"AUDIODECODE_PATCH_{_name}", "").strip() == "1"
       for _name in ("LIBROSA", "TORCHAUDIO", "DATASETS")):
    from .compat import patch_from_environment as _patch_from_environment

    _patch_from_environment()
