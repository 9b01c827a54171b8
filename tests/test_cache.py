"""The decode cache, driven as users drive it: env variable, enable(), other processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

import audiodecode
from audiodecode import _api, _cache_slot, _corpus, cache
from audiodecode._options import LoadOptions
from audiodecode.batch import imap, load_batch

SRC = str(Path(audiodecode.__file__).parents[1])


def _env(cache_dir: Path | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIODECODE_")}
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    if cache_dir is not None:
        env["AUDIODECODE_CACHE_DIR"] = str(cache_dir)
    env.update(extra)
    return env


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


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "audio"
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


@pytest.fixture
def store(tmp_path: Path):
    yield cache.enable(tmp_path / "cache")
    cache.disable()


def _fresh(path: Path, **kwargs):
    active = _cache_slot.active
    _cache_slot.active = None
    try:
        return audiodecode.load(path, **kwargs)
    finally:
        _cache_slot.active = active


def _entries(store: cache.DecodeCache) -> list[Path]:
    return sorted(Path(store.directory).glob("??/*.npy"))


def _refuse_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        msg = "decoded instead of reading the cache"
        raise AssertionError(msg)

    monkeypatch.setattr(_api, "open_source", refuse)


LAYOUT_FLAGS = ("C_CONTIGUOUS", "F_CONTIGUOUS", "WRITEABLE", "ALIGNED", "OWNDATA")


@pytest.mark.parametrize("kind", ["wav", "flac", "mp3", "m4a"])
@pytest.mark.parametrize(
    "kwargs",
    [{"sr": None}, {"sr": 16000}, {"sr": None, "mono": False}, {"sr": 16000, "mono": False},
     {"sr": 8000, "offset": 0.1, "duration": 0.2, "dtype": np.float64}],
    ids=["native", "16k", "native-stereo", "16k-stereo", "offset-duration-f64"],
)
def test_a_hit_is_the_fresh_decode_with_its_layout(files, store, kind, kwargs, monkeypatch):
    expected, expected_sr = _fresh(files[kind], **kwargs)
    first, first_sr = audiodecode.load(files[kind], **kwargs)  # decoded and stored
    _refuse_decoding(monkeypatch)
    hit, hit_sr = audiodecode.load(files[kind], **kwargs)
    for y in (first, hit):
        np.testing.assert_array_equal(y, expected, strict=True)
        assert [y.flags[f] for f in LAYOUT_FLAGS] == [expected.flags[f] for f in LAYOUT_FLAGS]
    assert hit_sr == first_sr == expected_sr
    assert type(hit_sr) is type(expected_sr)
    hit[...] = 0  # the caller's own array: changing it changes nothing stored
    again, _ = audiodecode.load(files[kind], **kwargs)
    np.testing.assert_array_equal(again, expected, strict=True)
    # Each entry is a plain .npy file holding the array.
    (entry,) = _entries(store)
    np.testing.assert_array_equal(np.load(entry), expected, strict=True)


def test_every_argument_that_changes_the_array_has_its_own_entry(files, store):
    path = files["flac"]
    variants = [
        {}, {"sr": None}, {"sr": 16000}, {"mono": False}, {"offset": 0.1},
        {"duration": 0.2}, {"dtype": np.float64}, {"res_type": "soxr_vhq"},
        {"backend": "pyav"},
    ]
    arrays = [audiodecode.load(path, **kwargs)[0] for kwargs in variants]
    assert len(_entries(store)) == len(variants)
    for kwargs, y in zip(variants, arrays, strict=False):
        np.testing.assert_array_equal(audiodecode.load(path, **kwargs)[0], y, strict=True)
    # The same array asked for differently shares an entry: sr 16000 and 16000.0.
    audiodecode.load(path, sr=16000.0)
    assert len(_entries(store)) == len(variants)


@pytest.mark.parametrize("sr", [None, 16000])
def test_a_hit_longer_than_max_duration_is_refused_as_a_decode_would_be(files, store, sr):
    path = files["flac"]  # 0.5 s
    audiodecode.load(path, sr=sr)  # stored, under the default limit of 24 hours
    with pytest.raises(audiodecode.AudioTooLargeError):
        _fresh(path, sr=sr, max_duration=0.25)
    with pytest.raises(audiodecode.AudioTooLargeError):
        audiodecode.load(path, sr=sr, max_duration=0.25)
    previous = audiodecode.set_max_duration(0.25)
    try:
        with pytest.raises(audiodecode.AudioTooLargeError):
            audiodecode.load(path, sr=sr)
    finally:
        audiodecode.set_max_duration(previous)
    # A limit the audio is within still reads the one entry.
    y, _ = audiodecode.load(path, sr=sr, max_duration=0.5)
    assert len(_entries(store)) == 1
    np.testing.assert_array_equal(y, _fresh(path, sr=sr)[0], strict=True)


def test_the_environment_variable_turns_it_on_for_other_processes(files, tmp_path):
    cache_dir = tmp_path / "from-env"
    code = f"""
        import audiodecode, numpy as np
        y, sr = audiodecode.load({str(files['mp3'])!r}, sr=16000)
        np.save({str(tmp_path / 'first.npy')!r}, y)
    """
    _python(code, _env(cache_dir))
    assert len(list(cache_dir.glob("??/*.npy"))) == 1
    code = NO_DECODING + textwrap.dedent(f"""
        import numpy as np
        y, sr = audiodecode.load({str(files['mp3'])!r}, sr=16000)
        np.testing.assert_array_equal(y, np.load({str(tmp_path / 'first.npy')!r}), strict=True)
        print(sr)
    """)
    assert _python(code, _env(cache_dir)).strip() == "16000"
    assert (cache_dir.stat().st_mode & 0o777) == 0o700
    (entry,) = cache_dir.glob("??/*.npy")
    assert (entry.stat().st_mode & 0o777) == 0o600
    assert (entry.parent.stat().st_mode & 0o777) == 0o700


def test_off_costs_no_import_and_on_imports_no_decoder(tmp_path):
    probe = "import sys, audiodecode; print(sorted(sys.modules))"
    off = _python(probe, _env())
    assert "audiodecode.cache" not in off
    on = _python(probe, _env(tmp_path / "c"))
    assert "audiodecode.cache" in on
    assert not {"av", "soundfile", "soxr"} & set(eval(on))  # noqa: S307 - our own output


def test_enable_reaches_processes_started_later(files, store):
    code = "import audiodecode.cache as c; print(c.is_enabled(), c.info().directory)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": SRC}, check=True).stdout.split()
    assert out == ["True", store.directory]


def test_a_modified_file_is_a_miss(files, store, tmp_path):
    path = tmp_path / "changing.wav"
    shutil.copy(files["wav"], path)
    before, _ = audiodecode.load(path, sr=None)
    _corpus.write(path, "wav_pcm16", sample_rate=44100, channels=2, seconds=0.5, seed=9)
    after, _ = audiodecode.load(path, sr=None)
    np.testing.assert_array_equal(after, _fresh(path, sr=None)[0], strict=True)
    assert not np.array_equal(before, after)


def test_a_file_replaced_with_the_same_size_and_mtime_is_a_miss(files, store, tmp_path):
    path = tmp_path / "replaced.wav"
    shutil.copy(files["wav"], path)
    before, _ = audiodecode.load(path, sr=None)
    st = path.stat()
    other = tmp_path / "other.wav"
    _corpus.write(other, "wav_pcm16", sample_rate=44100, channels=2, seconds=0.5, seed=9)
    assert other.stat().st_size == st.st_size
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(other, path)
    assert path.stat().st_mtime_ns == st.st_mtime_ns
    assert path.stat().st_ino != st.st_ino
    after, _ = audiodecode.load(path, sr=None)
    np.testing.assert_array_equal(after, _fresh(path, sr=None)[0], strict=True)
    assert not np.array_equal(before, after)


@pytest.mark.parametrize("damage", ["truncated", "empty", "header", "trailing", "foreign"])
def test_a_damaged_entry_is_a_miss_and_is_replaced(files, store, damage):
    expected, _ = _fresh(files["flac"], sr=16000, mono=False)
    audiodecode.load(files["flac"], sr=16000, mono=False)
    audiodecode.load(files["wav"], sr=None)
    entry = next(e for e in _entries(store)
                 if np.load(e).shape == expected.shape and np.array_equal(np.load(e), expected))
    other = next(e for e in _entries(store) if e != entry)
    whole = entry.read_bytes()
    damaged = {
        "truncated": whole[: len(whole) - 7],
        "empty": b"",
        "header": whole[:40] + b"'shape': (99, 3)" + whole[56:],
        "trailing": whole + b"\0" * 8,
        "foreign": other.read_bytes(),  # another key's entry under this name
    }[damage]
    entry.write_bytes(damaged)
    y, _ = audiodecode.load(files["flac"], sr=16000, mono=False)
    np.testing.assert_array_equal(y, expected, strict=True)
    assert entry.read_bytes() == whole  # written again


def test_two_processes_writing_the_same_entries_at_once(files, tmp_path):
    cache_dir = tmp_path / "shared"
    paths = [str(p) for p in files.values()]
    expected = {p: _fresh(Path(p), sr=16000, mono=False)[0] for p in paths}
    np.savez(tmp_path / "expected.npz", *[expected[p] for p in paths])
    # Each process deletes and rewrites every entry, again and again, while the other reads
    # and writes them: every load must still be the decode.
    code = f"""
        import os, numpy as np, audiodecode, audiodecode.cache as c
        from audiodecode._options import LoadOptions
        paths = {paths!r}
        expected = np.load({str(tmp_path / 'expected.npz')!r})
        store = c.enable({str(cache_dir)!r})
        for round in range(25):
            for i, path in enumerate(paths):
                if round % 2:
                    entry = store.entry(path, LoadOptions(sr=16000, mono=False).checked())
                    try:
                        os.unlink(entry.path)
                    except FileNotFoundError:
                        pass
                y, sr = audiodecode.load(path, sr=16000, mono=False)
                np.testing.assert_array_equal(y, expected[f"arr_{{i}}"], strict=True)
        print("ok")
    """
    env = _env()
    children = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(2)]
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        assert out.strip() == "ok"
    assert len(list(cache_dir.glob("??/*.npy"))) == len(paths)
    assert not list(cache_dir.glob("??/.*.tmp"))  # no leftovers


def test_threads_writing_the_same_entry_at_once(files, store):
    expected, _ = _fresh(files["m4a"], sr=16000)
    results = load_batch([files["m4a"]] * 16, sr=16000, workers=2)
    for y, _ in results:
        np.testing.assert_array_equal(y, expected, strict=True)
    assert len(_entries(store)) == 1


def test_eviction_keeps_the_folder_under_its_bound_least_recently_used_first(tmp_path):
    source = tmp_path / "long.wav"
    _corpus.write(source, "wav_pcm16", sample_rate=8000, channels=1, seconds=2.0)
    entry_size = 256 + 16000 * 4
    store = cache.enable(tmp_path / "small", max_size=entry_size * 5 + 100)
    try:
        offsets = [i / 100 for i in range(8)]  # a different entry for each offset

        def entry_name(offset: float) -> str:
            entry = store.entry(source, LoadOptions(sr=None, offset=offset).checked())
            assert entry is not None
            return Path(entry.path).name

        for offset in offsets[:5]:
            audiodecode.load(source, sr=None, offset=offset)
        entries = _entries(store)
        assert len(entries) == 5
        # Make them old, the first the oldest of all; then use it: now the most recent.
        for age, offset in enumerate(offsets[:5]):
            (path,) = [e for e in entries if e.name == entry_name(offset)]
            os.utime(path, (1e9 + age, 1e9 + age))
        audiodecode.load(source, sr=None, offset=offsets[0])  # a hit
        for offset in offsets[5:]:
            audiodecode.load(source, sr=None, offset=offset)
            total = sum(e.stat().st_size for e in _entries(store))
            assert total <= store.max_size
        survivors = {e.name for e in _entries(store)}
        assert survivors == {entry_name(o) for o in (offsets[0], *offsets[5:])}
    finally:
        cache.disable()


def test_load_batch_imap_and_the_librosa_patch_read_the_cache(files, store, monkeypatch):
    paths = list(files.values())
    expected = [_fresh(p, sr=16000)[0] for p in paths]
    load_batch(paths, sr=16000, workers=2)
    assert len(_entries(store)) == len(paths)
    _refuse_decoding(monkeypatch)
    for (y, sr), want in zip(load_batch(paths, sr=16000, workers=2), expected, strict=False):
        np.testing.assert_array_equal(y, want, strict=True)
        assert sr == 16000
    for (y, _), want in zip(imap(paths, sr=16000, workers=2), expected, strict=False):
        np.testing.assert_array_equal(y, want, strict=True)

    import librosa

    from audiodecode.compat import patch_librosa, unpatch_librosa

    patch_librosa(verbose=False)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y, sr = librosa.load(paths[1], sr=16000)
    finally:
        unpatch_librosa()
    np.testing.assert_array_equal(y, expected[1], strict=True)


def test_audio_dataset_in_dataloader_workers_shares_the_cache(files, store):
    torch = pytest.importorskip("torch")  # the [torch] extra
    from torch.utils.data import DataLoader

    from audiodecode.torch import AudioDataset

    paths = [files["flac"], files["mp3"]]
    expected = [_fresh(p, sr=16000)[0] for p in paths]
    dataset = AudioDataset(paths, sr=16000)
    # Two worker processes decode and store; the entries are then what a later epoch reads.
    loader = DataLoader(dataset, batch_size=None, num_workers=2)
    for tensor, want in zip(loader, expected, strict=True):
        np.testing.assert_array_equal(tensor.numpy(), want, strict=True)
    assert len(_entries(store)) == len(paths)
    for path, want in zip(paths, expected, strict=True):
        np.testing.assert_array_equal(np.load(_entries_for(store, path)), want, strict=True)
    assert isinstance(dataset[0], torch.Tensor)


def _entries_for(store: cache.DecodeCache, path: Path) -> str:
    entry = store.entry(path, LoadOptions(sr=16000).checked())
    assert entry is not None
    return entry.path


def test_other_inputs_are_decoded_as_usual(files, store):
    data = files["wav"].read_bytes()
    y, _ = audiodecode.load(data, sr=None)
    with open(files["wav"], "rb") as f:
        z, _ = audiodecode.load(f, sr=None)
    np.testing.assert_array_equal(y, z, strict=True)
    assert _entries(store) == []
    with pytest.raises(FileNotFoundError):
        audiodecode.load(files["wav"].parent / "missing.wav")


def test_a_cache_that_cannot_be_written_only_loses_its_entries(files, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    cache.enable(blocker / "cache")
    try:
        y, _ = audiodecode.load(files["wav"], sr=None)
    finally:
        cache.disable()
    np.testing.assert_array_equal(y, _fresh(files["wav"], sr=None)[0], strict=True)


def test_content_identity_shares_entries_between_copies(files, tmp_path, monkeypatch):
    store = cache.enable(tmp_path / "by-content", identity="content")
    try:
        expected, _ = audiodecode.load(files["mp3"], sr=None)
        copy = tmp_path / "elsewhere" / "copy.mp3"
        copy.parent.mkdir()
        shutil.copy(files["mp3"], copy)
        _refuse_decoding(monkeypatch)
        y, _ = audiodecode.load(copy, sr=None)
    finally:
        cache.disable()
    np.testing.assert_array_equal(y, expected, strict=True)
    assert len(_entries(store)) == 1


def test_the_cache_command_shows_and_clears(files, tmp_path):
    cache_dir = tmp_path / "cli"
    _python(f"import audiodecode; audiodecode.load({str(files['wav'])!r}); "
            f"audiodecode.load({str(files['flac'])!r})", _env(cache_dir))

    def command(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "audiodecode", "cache", *args],
                              env=env, capture_output=True, text=True, check=False)

    shown = command("info", "--json", env=_env(cache_dir))
    assert shown.returncode == 0, shown.stderr
    details = json.loads(shown.stdout)
    entries = list(cache_dir.glob("??/*.npy"))
    assert details == {"directory": str(cache_dir), "entries": 2,
                       "size": sum(e.stat().st_size for e in entries),
                       "max_size": cache.DEFAULT_MAX_SIZE}
    text = command("info", "--dir", str(cache_dir), env=_env())
    assert text.stdout.startswith(f"{cache_dir}: 2 entries")
    cleared = command("clear", "--json", env=_env(cache_dir))
    assert json.loads(cleared.stdout) == {"directory": str(cache_dir), "removed": 2}
    assert list(cache_dir.glob("??/*")) == []
    bad = command("info", env=_env(cache_dir, AUDIODECODE_CACHE_SIZE="lots"))
    assert bad.returncode == 2
    assert "lots" in bad.stderr
    assert command("frobnicate", env=_env()).returncode == 2


def test_sizes_parse_and_bad_ones_are_refused():
    assert cache.parse_size("20GB") == 20 * 10**9
    assert cache.parse_size("512 MiB") == 512 * 2**20
    assert cache.parse_size(1234) == 1234
    for bad in ("", "-1GB", "0", "12 parsecs", True):
        with pytest.raises(ValueError, match="max_size"):
            cache.parse_size(bad)
    with pytest.raises(ValueError, match="identity"):
        cache.DecodeCache("/tmp/x", identity="path")
