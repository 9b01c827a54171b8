"""The decode cache's store (audiodecode.cache._store), driven through ``load``: what makes
an entry, what a hit returns, damaged entries, concurrent writers, eviction, sizes.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import _corpus
import numpy as np
import pytest
from _assert import assert_same_array
from _cache_helpers import child_env, fresh_decode, refuse_decoding, stored_entries, write_files

import audiodecode
from audiodecode import cache
from audiodecode._options import LoadOptions
from audiodecode.batch import load_batch
from audiodecode.cache._store import DecodeCache, parse_size


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return write_files(tmp_path / "audio")


@pytest.fixture
def store(tmp_path: Path):
    yield cache.enable(tmp_path / "cache")
    cache.disable()


LAYOUT_FLAGS = ("C_CONTIGUOUS", "F_CONTIGUOUS", "WRITEABLE", "ALIGNED", "OWNDATA")


@pytest.mark.parametrize("kind", ["wav", "flac", "mp3", "m4a"])
@pytest.mark.parametrize(
    "kwargs",
    [{"sr": None}, {"sr": 16000}, {"sr": None, "mono": False}, {"sr": 16000, "mono": False},
     {"sr": 8000, "offset": 0.1, "duration": 0.2, "dtype": np.float64}],
    ids=["native", "16k", "native-stereo", "16k-stereo", "offset-duration-f64"],
)
def test_a_hit_is_the_fresh_decode_with_its_layout(files, store, kind, kwargs, monkeypatch):
    expected, expected_sr = fresh_decode(files[kind], **kwargs)
    first, first_sr = audiodecode.load(files[kind], **kwargs)  # decoded and stored
    refuse_decoding(monkeypatch)
    hit, hit_sr = audiodecode.load(files[kind], **kwargs)
    for y in (first, hit):
        assert_same_array(y, expected)
        assert [y.flags[f] for f in LAYOUT_FLAGS] == [expected.flags[f] for f in LAYOUT_FLAGS]
    assert hit_sr == first_sr == expected_sr
    assert type(hit_sr) is type(expected_sr)
    hit[...] = 0  # the caller's own array: changing it changes nothing stored
    again, _ = audiodecode.load(files[kind], **kwargs)
    assert_same_array(again, expected)
    # Each entry is a plain .npy file holding the array.
    (entry,) = stored_entries(store)
    assert_same_array(np.load(entry), expected)


def test_every_argument_that_changes_the_array_has_its_own_entry(files, store):
    path = files["flac"]
    variants = [
        {}, {"sr": None}, {"sr": 16000}, {"mono": False}, {"offset": 0.1},
        {"duration": 0.2}, {"dtype": np.float64}, {"res_type": "soxr_vhq"},
        {"backend": "pyav"},
    ]
    arrays = [audiodecode.load(path, **kwargs)[0] for kwargs in variants]
    assert len(stored_entries(store)) == len(variants)
    for kwargs, y in zip(variants, arrays, strict=True):
        assert_same_array(audiodecode.load(path, **kwargs)[0], y)
    # The same array asked for differently shares an entry: sr 16000 and 16000.0.
    audiodecode.load(path, sr=16000.0)
    assert len(stored_entries(store)) == len(variants)


@pytest.mark.parametrize("sr", [None, 16000])
def test_a_hit_longer_than_max_duration_is_refused_as_a_decode_would_be(files, store, sr):
    path = files["flac"]  # 0.5 s
    audiodecode.load(path, sr=sr)  # stored, under the default limit of 24 hours
    with pytest.raises(audiodecode.AudioTooLargeError):
        fresh_decode(path, sr=sr, max_duration=0.25)
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
    assert len(stored_entries(store)) == 1
    assert_same_array(y, fresh_decode(path, sr=sr)[0])


def test_a_modified_file_is_a_miss(files, store, tmp_path):
    path = tmp_path / "changing.wav"
    shutil.copy(files["wav"], path)
    before, _ = audiodecode.load(path, sr=None)
    _corpus.write(path, "wav_pcm16", sample_rate=44100, channels=2, seconds=0.5, seed=9)
    after, _ = audiodecode.load(path, sr=None)
    assert_same_array(after, fresh_decode(path, sr=None)[0])
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
    assert_same_array(after, fresh_decode(path, sr=None)[0])
    assert not np.array_equal(before, after)


@pytest.mark.parametrize("damage", ["truncated", "empty", "header", "trailing", "foreign"])
def test_a_damaged_entry_is_a_miss_and_is_replaced(files, store, damage):
    expected, _ = fresh_decode(files["flac"], sr=16000, mono=False)
    audiodecode.load(files["flac"], sr=16000, mono=False)
    audiodecode.load(files["wav"], sr=None)
    entry = next(e for e in stored_entries(store)
                 if np.load(e).shape == expected.shape and np.array_equal(np.load(e), expected))
    other = next(e for e in stored_entries(store) if e != entry)
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
    assert_same_array(y, expected)
    assert entry.read_bytes() == whole  # written again


def test_two_processes_writing_the_same_entries_at_once(files, tmp_path):
    cache_dir = tmp_path / "shared"
    paths = [str(p) for p in files.values()]
    expected = {p: fresh_decode(Path(p), sr=16000, mono=False)[0] for p in paths}
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
                want = expected[f"arr_{{i}}"]
                assert (y.dtype, y.shape, y.tobytes()) == (want.dtype, want.shape, want.tobytes())
        print("ok")
    """
    env = child_env()
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
    expected, _ = fresh_decode(files["m4a"], sr=16000)
    results = load_batch([files["m4a"]] * 16, sr=16000, workers=2)
    for y, _ in results:
        assert_same_array(y, expected)
    assert len(stored_entries(store)) == 1


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
        entries = stored_entries(store)
        assert len(entries) == 5
        # Make them old, the first the oldest of all; then use it: now the most recent.
        for age, offset in enumerate(offsets[:5]):
            (path,) = [e for e in entries if e.name == entry_name(offset)]
            os.utime(path, (1e9 + age, 1e9 + age))
        audiodecode.load(source, sr=None, offset=offsets[0])  # a hit
        for offset in offsets[5:]:
            audiodecode.load(source, sr=None, offset=offset)
            total = sum(e.stat().st_size for e in stored_entries(store))
            assert total <= store.max_size
        survivors = {e.name for e in stored_entries(store)}
        assert survivors == {entry_name(o) for o in (offsets[0], *offsets[5:])}
    finally:
        cache.disable()


def test_other_inputs_are_decoded_as_usual(files, store):
    data = files["wav"].read_bytes()
    y, _ = audiodecode.load(data, sr=None)
    with open(files["wav"], "rb") as f:
        z, _ = audiodecode.load(f, sr=None)
    assert_same_array(y, z)
    assert stored_entries(store) == []
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
    assert_same_array(y, fresh_decode(files["wav"], sr=None)[0])


def test_content_identity_shares_entries_between_copies(files, tmp_path, monkeypatch):
    store = cache.enable(tmp_path / "by-content", identity="content")
    try:
        expected, _ = audiodecode.load(files["mp3"], sr=None)
        copy = tmp_path / "elsewhere" / "copy.mp3"
        copy.parent.mkdir()
        shutil.copy(files["mp3"], copy)
        refuse_decoding(monkeypatch)
        y, _ = audiodecode.load(copy, sr=None)
    finally:
        cache.disable()
    assert_same_array(y, expected)
    assert len(stored_entries(store)) == 1


def test_sizes_parse_and_bad_ones_are_refused():
    assert parse_size("20GB") == 20 * 10**9
    assert parse_size("512 MiB") == 512 * 2**20
    assert parse_size(1234) == 1234
    for bad in ("", "-1GB", "0", "12 parsecs", True):
        with pytest.raises(ValueError, match="max_size"):
            parse_size(bad)
    with pytest.raises(ValueError, match="identity"):
        DecodeCache("/tmp/x", identity="path")


def test_each_level_the_cache_makes_is_private_whatever_the_umask(files, tmp_path):
    previous = os.umask(0)  # os.makedirs would have made the upper levels 0o777
    try:
        store = cache.enable(tmp_path / "a" / "b" / "cache")
        try:
            audiodecode.load(files["wav"], sr=None)
        finally:
            cache.disable()
    finally:
        os.umask(previous)
    (entry,) = stored_entries(store)
    assert entry.relative_to(tmp_path).parts[:3] == ("a", "b", "cache")
    levels = [tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "cache", entry.parent]
    assert [oct(stat.S_IMODE(p.stat().st_mode)) for p in levels] == [oct(0o700)] * 4
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]{30}\.npy", entry.relative_to(store.directory)
                        .as_posix())
    assert [p.name for p in entry.parent.iterdir()] == [entry.name]  # no temporary file left


def test_a_cache_folder_deleted_meanwhile_is_made_again(files, store):
    audiodecode.load(files["wav"], sr=None)
    shutil.rmtree(store.directory)
    audiodecode.load(files["flac"], sr=None)
    assert len(stored_entries(store)) == 1
    assert stat.S_IMODE(os.stat(store.directory).st_mode) == 0o700
