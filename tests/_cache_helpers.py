"""What tests/test_cache.py and tests/test_cache_store.py share: the audio files, a decode
that bypasses the cache, the entries on disk, and the environment of a child process.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import _corpus

import audiodecode
from audiodecode import _api
from audiodecode._options import LoadOptions

if TYPE_CHECKING:
    import numpy as np
    import pytest

    from audiodecode.cache._store import DecodeCache

#: The folder that holds the package, for a child process's PYTHONPATH.
SRC = str(Path(audiodecode.__file__).parents[1])


def child_env(cache_dir: Path | None = None, **extra: str) -> dict[str, str]:
    """This environment without AUDIODECODE_* variables, plus ``cache_dir`` if given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIODECODE_")}
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    if cache_dir is not None:
        env["AUDIODECODE_CACHE_DIR"] = str(cache_dir)
    env.update(extra)
    return env


def write_files(folder: Path) -> dict[str, Path]:
    """Four short files in a new ``folder``: WAV, FLAC, MP3 and M4A."""
    folder.mkdir()
    return {
        "wav": _corpus.write(folder / "a.wav", "wav_pcm16", sample_rate=44100, channels=2,
                             seconds=0.5),
        "flac": _corpus.write(folder / "b.flac", "flac_16", sample_rate=22050, channels=2,
                              seconds=0.5, seed=1),
        "mp3": _corpus.write(folder / "c.mp3", "mp3", sample_rate=44100, channels=1,
                             seconds=0.5, seed=2),
        "m4a": _corpus.write(folder / "d.m4a", "m4a_aac", sample_rate=44100, channels=2,
                             seconds=0.5, seed=3),
    }


def fresh_decode(path: Path, **kwargs: Any) -> tuple[np.ndarray, float]:
    """``audiodecode.load`` with the cache off for this one call."""
    return _api.decode(path, LoadOptions(**kwargs).checked())


def stored_entries(store: DecodeCache) -> list[Path]:
    """The store's entry files, sorted."""
    return sorted(Path(store.directory).glob("??/*.npy"))


def refuse_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any decode fail, so that a load that returns must have been a hit."""

    def refuse(*args: object, **kwargs: object) -> None:
        msg = "decoded instead of reading the cache"
        raise AssertionError(msg)

    monkeypatch.setattr(_api, "_pipeline_decode", refuse)
