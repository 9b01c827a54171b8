"""The decode cache, driven as users drive it: env variable, enable(), other processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings
from typing import TYPE_CHECKING

import numpy as np
import pytest
from _assert import assert_same_array
from _cache_helpers import (
    SRC,
    child_env,
    fresh_decode,
    refuse_decoding,
    stored_entries,
    write_files,
)

from audiodecode import cache
from audiodecode._options import LoadOptions
from audiodecode.batch import imap, load_batch
from audiodecode.cache import _store as _cache_store
from audiodecode.cache._store import DEFAULT_MAX_SIZE, DecodeCache

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return write_files(tmp_path / "audio")


@pytest.fixture
def store(tmp_path: Path):
    yield cache.enable(tmp_path / "cache")
    cache.disable()


def _python(code: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


# In a child process: make any decode fail, so a load that returns must have been a hit.
NO_DECODING = """
import audiodecode, audiodecode._api as api
def refuse(*args, **kwargs):
    raise AssertionError("decoded instead of reading the cache")
api.open_source = refuse
"""


def test_the_environment_variable_turns_it_on_for_other_processes(files, tmp_path):
    cache_dir = tmp_path / "from-env"
    code = f"""
        import audiodecode, numpy as np
        y, sr = audiodecode.load({str(files['mp3'])!r}, sr=16000)
        np.save({str(tmp_path / 'first.npy')!r}, y)
    """
    _python(code, child_env(cache_dir))
    assert len(list(cache_dir.glob("??/*.npy"))) == 1
    code = NO_DECODING + textwrap.dedent(f"""
        import numpy as np
        y, sr = audiodecode.load({str(files['mp3'])!r}, sr=16000)
        first = np.load({str(tmp_path / 'first.npy')!r})
        assert (y.dtype, y.shape, y.tobytes()) == (first.dtype, first.shape, first.tobytes())
        print(sr)
    """)
    assert _python(code, child_env(cache_dir)).strip() == "16000"
    assert (cache_dir.stat().st_mode & 0o777) == 0o700
    (entry,) = cache_dir.glob("??/*.npy")
    assert (entry.stat().st_mode & 0o777) == 0o600
    assert (entry.parent.stat().st_mode & 0o777) == 0o700


def test_off_costs_no_import_and_on_imports_no_decoder(tmp_path):
    probe = "import sys, audiodecode; print(sorted(sys.modules))"
    off = _python(probe, child_env())
    assert "audiodecode.cache" not in off
    on = _python(probe, child_env(tmp_path / "c"))
    assert "audiodecode.cache" in on
    assert not {"av", "soundfile", "soxr"} & set(eval(on))  # noqa: S307 - our own output


def test_enable_reaches_processes_started_later(files, store):
    code = "import audiodecode.cache as c; print(c.is_enabled(), c.info().directory)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": SRC}, check=True).stdout.split()
    assert out == ["True", store.directory]


def test_load_batch_imap_and_the_librosa_patch_read_the_cache(files, store, monkeypatch,
                                                              caplog):
    import librosa

    from audiodecode.compat import librosa_patched

    paths = list(files.values())
    expected = [fresh_decode(p, sr=16000)[0] for p in paths]
    load_batch(paths, sr=16000, workers=2)
    assert len(stored_entries(store)) == len(paths)
    with librosa_patched():
        # Under librosa 0.11 the patch's mono loads have entries of their own (0.11 keeps a
        # one-channel signal's -0.0): this one stores it; under 1.0 it is a hit already.
        librosa.load(paths[1], sr=16000)
    refuse_decoding(monkeypatch)
    for (y, sr), want in zip(list(load_batch(paths, sr=16000, workers=2)), expected, strict=True):
        assert_same_array(y, want)
        assert sr == 16000
    for (y, _), want in zip(list(imap(paths, sr=16000, workers=2)), expected, strict=True):
        assert_same_array(y, want)

    caplog.set_level("DEBUG", logger="audiodecode")
    with librosa_patched(), warnings.catch_warnings():
        warnings.simplefilter("error")
        y, sr = librosa.load(paths[1], sr=16000)
    assert not [r for r in caplog.records if "librosa answers" in r.getMessage()]
    assert_same_array(y, expected[1])


def test_audio_dataset_in_dataloader_workers_shares_the_cache(files, store):
    import torch  # the [torch] extra, which the test environment installs
    from torch.utils.data import DataLoader

    from audiodecode.torch import AudioDataset

    paths = [files["flac"], files["mp3"]]
    expected = [fresh_decode(p, sr=16000)[0] for p in paths]
    dataset = AudioDataset(paths, sr=16000)
    # Two worker processes decode and store; the entries are then what a later epoch reads.
    loader = DataLoader(dataset, batch_size=None, num_workers=2)
    for tensor, want in zip(loader, expected, strict=True):
        assert_same_array(tensor.numpy(), want)
    assert len(stored_entries(store)) == len(paths)
    for path, want in zip(paths, expected, strict=True):
        assert_same_array(np.load(_entries_for(store, path)), want)
    assert isinstance(dataset[0], torch.Tensor)


def _entries_for(store: DecodeCache, path: Path) -> str:
    entry = store.entry(path, LoadOptions(sr=16000).checked())
    assert entry is not None
    return entry.path


def test_the_cache_command_shows_and_clears(files, tmp_path):
    cache_dir = tmp_path / "cli"
    _python(f"import audiodecode; audiodecode.load({str(files['wav'])!r}); "
            f"audiodecode.load({str(files['flac'])!r})", child_env(cache_dir))

    def command(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "audiodecode", "cache", *args],
                              env=env, capture_output=True, text=True, check=False)

    shown = command("info", "--json", env=child_env(cache_dir))
    assert shown.returncode == 0, shown.stderr
    details = json.loads(shown.stdout)
    entries = list(cache_dir.glob("??/*.npy"))
    assert details == {"directory": str(cache_dir), "entries": 2,
                       "size": sum(e.stat().st_size for e in entries),
                       "max_size": DEFAULT_MAX_SIZE}
    text = command("info", "--dir", str(cache_dir), env=child_env())
    assert text.stdout.startswith(f"{cache_dir}: 2 entries")
    cleared = command("clear", "--json", env=child_env(cache_dir))
    assert json.loads(cleared.stdout) == {"directory": str(cache_dir), "removed": 2}
    assert list(cache_dir.glob("??/*")) == []
    bad = command("info", env=child_env(cache_dir, AUDIODECODE_CACHE_SIZE="lots"))
    assert bad.returncode == 2
    assert "lots" in bad.stderr
    assert command("frobnicate", env=child_env()).returncode == 2


def test_the_store_is_public_as_audiodecode_cache_decodecache():
    assert cache.DecodeCache is _cache_store.DecodeCache
    assert "DecodeCache" in cache.__all__
    assert cache.parse_size is _cache_store.parse_size
