"""``audiodecode.compat.patch_datasets``: ``datasets.Audio`` decoded by audiodecode.

The arrays are checked byte for byte against ``audiodecode.load`` (the documented contract),
against soundfile where no resampling or downmix is involved (an independent decoder), and
against ``librosa.load`` for the resampled mono array (the project's oracle).
"""

from __future__ import annotations

import importlib.util
import os
import pickle
import shutil
import subprocess
import sys
from io import BytesIO

import datasets
import fsspec
import librosa
import numpy as np
import pytest
import soundfile as sf
import torch
from _assert import assert_same_array
from datasets import Audio, Dataset, Features, Value, load_dataset

import audiodecode
from audiodecode.compat import (
    _datasets_decoder,
    is_datasets_patched,
    patch_datasets,
    unpatch_datasets,
)

RATE = 44100


def _signal(seconds: float, channels: int, seed: int, rate: int = RATE) -> np.ndarray:
    """Seeded noise plus a chirp, ``(frames, channels)``, well inside [-1, 1]."""
    n = int(seconds * rate)
    t = np.arange(n) / rate
    chirp = 0.3 * np.sin(2 * np.pi * (200 + 2000 * t) * t)
    noise = np.random.default_rng(seed).uniform(-0.2, 0.2, (n, channels))
    return (noise + chirp[:, None]).astype(np.float32)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Stereo 16-bit WAV and FLAC at 44.1 kHz, a mono FLAC at 22.05 kHz, a stereo MP3."""
    folder = tmp_path_factory.mktemp("clips")
    paths = {
        "wav": folder / "stereo.wav",
        "flac": folder / "stereo.flac",
        "mono": folder / "mono.flac",
        "mp3": folder / "stereo.mp3",
    }
    sf.write(paths["wav"], _signal(0.5, 2, 0), RATE, subtype="PCM_16")
    sf.write(paths["flac"], _signal(0.4, 2, 1), RATE, subtype="PCM_16")
    sf.write(paths["mono"], _signal(0.3, 1, 2, 22050), 22050, subtype="PCM_16")
    sf.write(paths["mp3"], _signal(0.5, 2, 3), RATE, format="MP3")
    return {name: str(path) for name, path in paths.items()}


@pytest.fixture
def patched():
    patch_datasets()
    yield
    unpatch_datasets()


def _same(actual: np.ndarray, expected: np.ndarray) -> None:
    assert_same_array(actual, expected)
    assert actual.tobytes() == expected.tobytes()


def _load(path, **kwargs) -> np.ndarray:
    y, _ = audiodecode.load(path, dtype=np.float32, **kwargs)
    return y


def _samples(value) -> np.ndarray:
    data = value.get_all_samples().data
    assert isinstance(data, torch.Tensor)  # torch is installed here
    return data.numpy()


# ------------------------------------------------------------------------------------------
# installing and removing the patch


def test_missing_datasets_raises_import_error_saying_what_to_install(monkeypatch):
    unpatch_datasets()
    monkeypatch.setitem(sys.modules, "datasets", None)  # what ``import datasets`` then raises
    with pytest.raises(ImportError, match=r"pip install datasets"):
        patch_datasets()
    assert not is_datasets_patched()


def test_datasets_3_is_refused(monkeypatch):
    monkeypatch.setattr(datasets, "__version__", "3.6.0")
    with pytest.raises(ImportError, match=r"datasets 3\.6\.0 decodes with soundfile"):
        patch_datasets()
    assert not is_datasets_patched()


@pytest.mark.skipif(importlib.util.find_spec("torchcodec") is not None,
                    reason="torchcodec is installed: datasets decodes without the patch")
def test_unpatched_datasets_needs_torchcodec(files):
    ds = Dataset.from_dict({"audio": [files["wav"]]}).cast_column("audio", Audio())
    with pytest.raises(ImportError, match="torchcodec"):
        ds[0]  # noqa: B018


def test_unpatch_restores_datasets_own_methods():
    from datasets.features import features as features_module
    from datasets.formatting.np_formatter import NumpyFormatter

    before = (Audio.decode_example, Audio.encode_example, vars(Audio).get("__reduce__"),
              features_module._cast_to_python_objects, NumpyFormatter._tensorize)
    patch_datasets()
    patch_datasets()  # a second call does nothing
    assert is_datasets_patched()
    assert Audio.decode_example is not before[0]
    unpatch_datasets()
    after = (Audio.decode_example, Audio.encode_example, vars(Audio).get("__reduce__"),
             features_module._cast_to_python_objects, NumpyFormatter._tensorize)
    assert after == before
    assert not is_datasets_patched()


# ------------------------------------------------------------------------------------------
# the arrays


@pytest.mark.usefixtures("patched")
@pytest.mark.parametrize("kind", ["wav", "flac", "mono"])
def test_native_rate_is_what_soundfile_reads(files, kind):
    ds = Dataset.from_dict({"audio": [files[kind]]}).cast_column("audio", Audio())
    value = ds[0]["audio"]
    expected, rate = sf.read(files[kind], dtype="float32", always_2d=True)
    assert value["sampling_rate"] == rate
    samples = value.get_all_samples()
    assert samples.sample_rate == rate
    assert samples.pts_seconds == 0.0
    assert samples.duration_seconds == expected.shape[0] / rate
    _same(_samples(value), np.ascontiguousarray(expected.T))
    _same(value["array"], _load(files[kind], sr=None, mono=True))


@pytest.mark.usefixtures("patched")
@pytest.mark.parametrize("kind", ["wav", "flac", "mono", "mp3"])
def test_resampled_to_16k_is_audiodecode_load(files, kind):
    ds = Dataset.from_dict({"audio": [files[kind]]}).cast_column(
        "audio", Audio(sampling_rate=16000))
    value = ds[0]["audio"]
    assert value["sampling_rate"] == 16000
    assert value.get_all_samples().sample_rate == 16000
    _same(value["array"], _load(files[kind], sr=16000, mono=True))
    stereo = _load(files[kind], sr=16000, mono=False)
    _same(_samples(value), stereo.reshape(1, -1) if stereo.ndim == 1 else stereo)


@pytest.mark.usefixtures("patched")
@pytest.mark.parametrize("kind", ["wav", "flac", "mono"])
def test_resampled_mono_array_is_librosa_load(files, kind):
    ds = Dataset.from_dict({"audio": [files[kind]]}).cast_column(
        "audio", Audio(sampling_rate=16000))
    expected, _ = librosa.load(files[kind], sr=16000, mono=True, dtype=np.float32)
    _same(ds[0]["audio"]["array"], expected)


@pytest.mark.usefixtures("patched")
def test_num_channels(files):
    ds = Dataset.from_dict({"audio": [files["wav"], files["mono"]]})
    mono = ds.cast_column("audio", Audio(num_channels=1, sampling_rate=16000))
    # channels averaged first, then resampled: audiodecode.load(mono=True)
    _same(_samples(mono[0]["audio"]), _load(files["wav"], sr=16000, mono=True)[None])
    stereo = ds.cast_column("audio", Audio(num_channels=2))
    one_channel, _ = sf.read(files["mono"], dtype="float32")
    _same(_samples(stereo[1]["audio"]), np.stack([one_channel, one_channel]))
    native, _ = sf.read(files["wav"], dtype="float32")
    _same(_samples(stereo[0]["audio"]), np.ascontiguousarray(native.T))


@pytest.mark.usefixtures("patched")
def test_range_is_a_slice_of_all_samples_cut_as_torchcodec_cuts(files):
    value = Dataset.from_dict({"audio": [files["wav"]]}).cast_column(
        "audio", Audio(sampling_rate=16000))[0]["audio"]
    whole = _samples(value)
    part = value.get_samples_played_in_range(0.1, 0.30003)
    assert part.pts_seconds == 0.1
    # floor(t * rate + 0.5): 1600 and floor(4800.48 + 0.5) = 4800
    _same(part.data.numpy(), whole[:, 1600:4800])
    assert value.get_samples_played_in_range(0.2).data.shape == (2, whole.shape[1] - 3200)
    with pytest.raises(ValueError, match="less than or equal to stop"):
        value.get_samples_played_in_range(0.3, 0.2)


def test_samples_are_numpy_where_torch_does_not_import(files, monkeypatch):
    # (the value alone: datasets' own code imports torch wherever torch is in sys.modules)
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.setattr(_datasets_decoder, "_TORCH", [])
    data = _datasets_decoder.AudioDecoder(files["flac"]).get_all_samples().data
    assert type(data) is np.ndarray
    expected, _ = sf.read(files["flac"], dtype="float32")
    _same(data, np.ascontiguousarray(expected.T))


# ------------------------------------------------------------------------------------------
# where the audio comes from


@pytest.mark.usefixtures("patched")
def test_embedded_bytes(files):
    with open(files["flac"], "rb") as f:
        encoded = f.read()
    features = Features({"audio": Audio(sampling_rate=16000)})
    ds = Dataset.from_dict({"audio": [{"bytes": encoded, "path": "clip.flac"}]},
                           features=features)
    value = ds[0]["audio"]
    assert value.metadata.path == "clip.flac"
    _same(value["array"], _load(files["flac"], sr=16000, mono=True))


@pytest.mark.usefixtures("patched")
def test_undecodable_bytes_are_named_by_the_example_path():
    broken = {"bytes": b"RIFF\x10\x00\x00\x00WAVEjunk", "path": "bad.wav"}
    ds = Dataset.from_dict({"audio": [broken]}, features=Features({"audio": Audio()}))
    with pytest.raises(audiodecode.CorruptAudioError, match=r"^bad\.wav: ") as caught:
        ds[0]["audio"]["array"]  # noqa: B018
    assert caught.value.source == "bad.wav"


@pytest.fixture
def memory_url(files):
    fs = fsspec.filesystem("memory")
    with open(files["wav"], "rb") as f:
        fs.pipe("/audiodecode-test/clip.wav", f.read())
    yield "memory://audiodecode-test/clip.wav"
    fs.rm("/audiodecode-test", recursive=True)


@pytest.mark.usefixtures("patched")
def test_remote_file_through_datasets_xopen(files, memory_url):
    ds = Dataset.from_dict({"audio": [memory_url]}).cast_column(
        "audio", Audio(sampling_rate=16000))
    value = ds[0]["audio"]
    assert value.metadata.path == memory_url
    _same(value["array"], _load(files["wav"], sr=16000, mono=True))


@pytest.mark.usefixtures("patched")
def test_nothing_is_read_until_the_value_is_used(files, tmp_path):
    path = tmp_path / "gone.wav"
    shutil.copy(files["wav"], path)
    value = Dataset.from_dict({"audio": [str(path)]}).cast_column("audio", Audio())[0]["audio"]
    path.unlink()
    with pytest.raises(FileNotFoundError):
        value["array"]  # noqa: B018


@pytest.mark.usefixtures("patched")
def test_audiofolder(files, tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    for name in ("wav", "flac"):
        shutil.copy(files[name], folder)
    ds = load_dataset("audiofolder", data_dir=str(folder), split="train",
                      cache_dir=str(tmp_path / "cache"))
    ds = ds.cast_column("audio", Audio(sampling_rate=16000))
    assert len(ds) == 2
    for row in ds:
        value = row["audio"]
        _same(value["array"], _load(value.metadata.path, sr=16000, mono=True))


def test_stream_index(files, patched):
    wav = Dataset.from_dict({"audio": [files["wav"]]})
    value = wav.cast_column("audio", Audio(stream_index=0))[0]["audio"]
    assert value.stream_index == 0
    assert value["array"].shape == (22050,)
    other = wav.cast_column("audio", Audio(stream_index=1))[0]["audio"]
    with pytest.raises(ValueError, match="stream_index=1"):
        other["array"]  # noqa: B018


def test_decode_false_gives_the_stored_dict(files, patched):
    ds = Dataset.from_dict({"audio": [files["wav"]]}).cast_column("audio", Audio(decode=False))
    assert ds[0]["audio"] == {"path": files["wav"], "bytes": None}
    with pytest.raises(RuntimeError, match="Decoding is disabled"):
        Audio(decode=False).decode_example({"path": files["wav"], "bytes": None})


# ------------------------------------------------------------------------------------------
# datasets' machinery


def _summary(example):
    array = example["audio"]["array"]
    return {"n": len(array), "checksum": array.tobytes().hex()[:64]}


@pytest.mark.usefixtures("patched")
def test_map_in_two_processes(files):
    paths = [files["wav"], files["flac"], files["mono"], files["mp3"]]
    ds = Dataset.from_dict({"audio": paths}).cast_column("audio", Audio(sampling_rate=16000))
    out = ds.map(_summary, num_proc=2, remove_columns=["audio"])
    expected = [_load(p, sr=16000, mono=True) for p in paths]
    assert out["n"] == [len(y) for y in expected]
    assert out["checksum"] == [y.tobytes().hex()[:64] for y in expected]


def test_unpickled_audio_patches_a_fresh_process(patched):
    # map(num_proc=N) workers started by spawn/forkserver import datasets unpatched; the
    # Audio features pickled to them with the dataset patch them.
    pickled = pickle.dumps(Features({"audio": Audio(sampling_rate=16000)}))
    code = (
        "import pickle, sys\n"
        "from audiodecode.compat import is_datasets_patched\n"
        "import datasets\n"
        "assert not is_datasets_patched()\n"
        "features = pickle.loads(sys.stdin.buffer.read())\n"
        "print(is_datasets_patched(), features['audio'].sampling_rate)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], input=pickled, capture_output=True,
                         check=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.stdout.split() == [b"True", b"16000"]


@pytest.mark.usefixtures("patched")
def test_map_keeps_the_stored_audio(files):
    ds = Dataset.from_dict({"audio": [files["wav"]], "text": ["a"]}).cast_column("audio", Audio())
    out = ds.map(lambda example: {"audio": example["audio"], "copy": example["audio"]})
    stored = out.cast_column("audio", Audio(decode=False))[0]
    assert stored["audio"] == {"path": files["wav"], "bytes": None}
    # a new column without an Audio feature stores the value as datasets stores torchcodec's
    assert stored["copy"] == {"path": files["wav"], "bytes": None}


@pytest.mark.usefixtures("patched")
@pytest.mark.parametrize("fmt", ["numpy", "torch"])
def test_formatted_dataset(files, fmt):
    ds = Dataset.from_dict({"audio": [files["wav"]], "label": [3]}).cast_column(
        "audio", Audio(sampling_rate=16000))
    row = ds.with_format(fmt)[0]
    assert isinstance(row["audio"], _datasets_decoder.AudioDecoder)
    _same(row["audio"]["array"], _load(files["wav"], sr=16000, mono=True))
    label_type = np.integer if fmt == "numpy" else torch.Tensor
    assert isinstance(row["label"], label_type)  # other columns formatted as before
    column = ds.with_format(fmt)["audio"]
    assert isinstance(column[0], _datasets_decoder.AudioDecoder)


@pytest.mark.usefixtures("patched")
def test_encode_example_of_decoded_values_and_arrays(files):
    feature = Audio(sampling_rate=16000)
    with open(files["flac"], "rb") as f:
        encoded = f.read()
    for stored in ({"path": files["wav"], "bytes": None}, {"path": "x.flac", "bytes": encoded}):
        assert feature.encode_example(feature.decode_example(stored)) == stored
    # an array is stored as 16-bit PCM WAV, as datasets 3 (soundfile) and 4 (torchcodec) store it
    array = _signal(0.1, 2, 5, 16000).T
    wav = feature.encode_example({"array": array, "sampling_rate": 16000})
    assert wav["path"] is None
    assert sf.info(BytesIO(wav["bytes"])).subtype == "PCM_16"
    back, rate = sf.read(BytesIO(wav["bytes"]), dtype="float32")
    assert rate == 16000
    np.testing.assert_allclose(back.T, array, atol=1 / 32767)
    ds = Dataset.from_dict({"audio": [{"array": array[0], "sampling_rate": 16000}],
                            "id": [1]}, features=Features({"audio": Audio(), "id": Value("int64")}))
    assert ds[0]["audio"]["array"].shape == (1600,)


def test_the_datasets_switch_patches_datasets_alone_on_import():
    """``AUDIODECODE_PATCH_DATASETS=1`` patches datasets when audiodecode is imported, quietly,
    and leaves librosa alone."""
    import subprocess
    import sys

    from audiodecode import compat

    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIODECODE_")}
    env[compat.patch_switch("datasets")] = "1"
    code = ("import audiodecode; "
            "print(audiodecode.compat.is_datasets_patched(), audiodecode.compat.is_patched())")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, check=True, timeout=120)
    assert result.stdout.split() == ["True", "False"]
    assert result.stderr == ""
