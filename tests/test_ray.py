"""audiodecode.ray: read_audio and DecodeBatch on a local Ray instance (loopback only).

librosa is the oracle for the decoded arrays.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys

import librosa
import numpy as np
import pytest
import soundfile as sf
from _assert import assert_same_array

from audiodecode.ray import DecodeBatch, list_audio_files, read_audio

# Ray warns about its own deprecated settings while it builds its DataContext.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.*")


def _signal(n_frames: int, channels: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    chirp = np.sin(np.cumsum(np.linspace(0.01, 0.4, n_frames)))[:, None]
    return (0.3 * rng.uniform(-1, 1, (n_frames, channels)) + 0.3 * chirp).astype(np.float32)


@pytest.fixture(scope="module")
def ray_local():
    """A two-CPU Ray instance on this machine, shut down afterwards; nothing leaves the host."""
    ray = pytest.importorskip("ray", reason="Ray is an optional extra")
    pytest.importorskip("ray.data", reason="Ray Data is an optional extra")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RAY_USAGE_STATS_ENABLED", "0")  # no usage report to the internet
        ray.init(
            num_cpus=2, include_dashboard=False, logging_level=logging.WARNING, log_to_driver=False
        )
        yield ray
        ray.shutdown()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A folder as people have them: nested, mixed formats, one broken file, some non-audio."""
    root = tmp_path_factory.mktemp("corpus")
    (root / "speaker1").mkdir()
    (root / "speaker2" / "session").mkdir(parents=True)
    (root / ".cache").mkdir()
    good = {
        root / "speaker1" / "a.wav": (48000, 1, 0.8, "WAV"),
        root / "speaker1" / "b.flac": (44100, 2, 0.5, "FLAC"),
        root / "speaker2" / "session" / "c.ogg": (22050, 1, 0.6, "OGG"),
        root / "speaker2" / "take_004": (16000, 1, 0.4, "FLAC"),  # no extension: sniffed
    }
    for i, (path, (rate, channels, seconds, fmt)) in enumerate(good.items()):
        sf.write(path, _signal(int(rate * seconds), channels, seed=i), rate, format=fmt)
    broken = root / "speaker2" / "broken.wav"
    broken.write_bytes(b"RIFF\x24\x00\x00\x00WAVE" + bytes(range(256)) * 8)
    (root / "speaker1" / "notes.txt").write_text("not audio")
    # Not audio whatever the name says: text named .wav, a MIDI sequence (MThd + one MTrk).
    (root / "speaker1" / "transcript.wav").write_text("not audio despite its name")
    (root / "speaker2" / "melody.mid").write_bytes(
        b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x00\x60MTrk\x00\x00\x00\x04\x00\xff\x2f\x00"
    )
    (root / "speaker1" / "._a.wav").write_bytes(b"\x00\x05\x16\x07 AppleDouble")  # hidden
    shutil.copy(root / "speaker1" / "a.wav", root / ".cache" / "a.wav")  # hidden folder
    return {"root": str(root), "good": sorted(map(str, good)), "broken": str(broken)}


def _rows_by_path(ds) -> dict[str, dict]:
    rows = ds.take_all()
    by_path = {row["path"]: row for row in rows}
    assert len(by_path) == len(rows)
    return by_path


# --- listing (no Ray needed) -----------------------------------------------------------------


def test_listing_finds_audio_by_content_whatever_the_name(corpus: dict) -> None:
    # The damaged WAV is kept (it becomes a row with an error); text and MIDI are not.
    assert list_audio_files(corpus["root"]) == sorted([*corpus["good"], corpus["broken"]])


def test_listing_a_file_is_an_error(corpus: dict) -> None:
    with pytest.raises(NotADirectoryError):
        list_audio_files(corpus["good"][0])


# --- read_audio ----------------------------------------------------------------------------------


def test_read_audio_on_a_directory_equals_load(ray_local, corpus: dict) -> None:
    rows = _rows_by_path(read_audio(corpus["root"], sr=16000, batch_size=2))
    assert sorted(rows) == sorted([*corpus["good"], corpus["broken"]])
    for path in corpus["good"]:
        expected, expected_sr = librosa.load(path, sr=16000)
        assert_same_array(rows[path]["audio"], expected)
        assert rows[path]["sample_rate"] == expected_sr
        assert rows[path]["error"] is None


def test_a_broken_file_is_a_row_with_an_error(ray_local, corpus: dict) -> None:
    rows = _rows_by_path(read_audio(corpus["root"], sr=16000, batch_size=2))
    broken = rows[corpus["broken"]]
    assert broken["error"].startswith("CorruptAudioError: ")
    assert broken["sample_rate"] is None
    assert broken["audio"].shape == (0,)
    assert broken["audio"].dtype == np.float32


def test_read_audio_native_rate_multichannel(ray_local, corpus: dict) -> None:
    paths = corpus["good"]
    rows = _rows_by_path(
        read_audio(paths, sr=None, mono=False, offset=0.1, duration=0.25, dtype=np.float64)
    )
    for path in paths:
        expected, expected_sr = librosa.load(
            path, sr=None, mono=False, offset=0.1, duration=0.25, dtype=np.float64
        )
        assert_same_array(rows[path]["audio"], expected)
        assert rows[path]["sample_rate"] == expected_sr


def test_transform_runs_in_the_tasks(ray_local, corpus: dict) -> None:
    def loudness(y: np.ndarray, sr: float) -> np.ndarray:
        # A closure is fine: Ray pickles it by value into its workers.
        return np.array([np.sqrt(np.mean(y**2)), len(y) / sr, os.getpid()])

    rows = _rows_by_path(read_audio(corpus["root"], sr=8000, transform=loudness))
    for path in corpus["good"]:
        expected = loudness(*librosa.load(path, sr=8000))
        np.testing.assert_array_equal(rows[path]["audio"][:2], expected[:2])
        assert rows[path]["audio"][2] != os.getpid()  # computed in a Ray worker
    broken = rows[corpus["broken"]]
    assert broken["error"] is not None
    assert broken["audio"].shape == (0,)  # shaped like its neighbours' features


def test_decode_batch_on_read_binary_files(ray_local, corpus: dict) -> None:
    ds = ray_local.data.read_binary_files(corpus["good"], include_paths=True)
    ds = ds.map_batches(DecodeBatch(column="bytes", sr=16000), batch_size=2)
    rows = ds.take_all()
    assert len(rows) == len(corpus["good"])
    for row in rows:
        path = next(p for p in corpus["good"] if row["path"].endswith(os.path.basename(p)))
        assert_same_array(row["audio"], librosa.load(path, sr=16000)[0])


def test_decode_batch_keeps_the_other_columns(ray_local, corpus: dict) -> None:
    items = [{"path": p, "label": i} for i, p in enumerate(corpus["good"])]
    ds = ray_local.data.from_items(items).map_batches(DecodeBatch(sr=None), batch_size=3)
    rows = _rows_by_path(ds)
    for i, path in enumerate(corpus["good"]):
        assert rows[path]["label"] == i
        assert_same_array(rows[path]["audio"], librosa.load(path, sr=None)[0])


def test_read_audio_through_fsspec(ray_local, corpus: dict) -> None:
    pytest.importorskip("fsspec")
    # memory:// lives inside one process, and Ray's workers are other processes; local://
    # goes through fsspec's LocalFileSystem, which every worker of this machine can open.
    url = "local://" + corpus["root"]
    rows = _rows_by_path(read_audio(url, sr=16000))
    for path in corpus["good"]:
        row = rows["local://" + path]
        assert_same_array(row["audio"], librosa.load(path, sr=16000)[0])
        assert row["error"] is None


# --- checks before any work ------------------------------------------------------------------


def test_missing_path_fails_at_once(ray_local, corpus: dict) -> None:
    with pytest.raises(FileNotFoundError):
        read_audio(os.path.join(corpus["root"], "nope"))


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"sr": 0}, ValueError), ({"batch_size": 0}, ValueError), ({"transform": 3}, TypeError)],
)
def test_bad_options_fail_at_once(ray_local, corpus: dict, kwargs: dict, error: type) -> None:
    with pytest.raises(error):
        read_audio(corpus["root"], **kwargs)


def test_without_ray_the_error_names_the_extra(corpus: dict, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    monkeypatch.setitem(sys.modules, "ray.data", None)
    with pytest.raises(ImportError, match=r"pip install 'audiodecode\[ray\]'"):
        read_audio(corpus["root"])


# --- DecodeBatch as a plain function -------------------------------------------------------------


def test_decode_batch_placeholder_keeps_the_column_type(corpus: dict) -> None:
    batch = {"path": np.array([corpus["good"][0], corpus["broken"]])}
    out = DecodeBatch(sr=None, dtype=np.float64)(batch)
    assert out["audio"][1].dtype == np.float64
    assert out["audio"][1].shape == (0,)
    assert out["error"][0] is None
    assert out["sample_rate"][1] is None
    scalar = DecodeBatch(sr=None, transform=lambda y, sr: float(y.max()))(batch)
    assert isinstance(scalar["audio"][0], float)
    assert scalar["audio"][1] is None


def test_decode_batch_names_a_missing_column() -> None:
    with pytest.raises(KeyError, match="no column 'path'"):
        DecodeBatch()({"bytes": np.array([b"x"])})
