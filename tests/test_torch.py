"""audiodecode.torch: AudioDataset and collate_audio, serial and in DataLoader workers.

librosa is the oracle for the decoded arrays.
"""

from __future__ import annotations

import functools

import librosa
import numpy as np
import pytest
import soundfile as sf
import torch  # the [torch] extra, which the test environment installs
from _assert import assert_same_array
from torch.utils.data import DataLoader

import audiodecode.torch as adtorch
from audiodecode._load import load_with_options
from audiodecode.torch import AudioDataset, collate_audio


def _signal(n_frames: int, channels: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    chirp = np.sin(np.cumsum(np.linspace(0.01, 0.6, n_frames)))[:, None]
    return (0.3 * rng.uniform(-1, 1, (n_frames, channels)) + 0.3 * chirp).astype(np.float32)


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Eight 48 kHz clips of 0.6-1.3 s, some stereo, WAV and FLAC."""
    folder = tmp_path_factory.mktemp("speech")
    paths = []
    for i in range(8):
        path = folder / f"utt{i}{('.wav', '.flac')[i % 2]}"
        sf.write(path, _signal(int(48000 * (0.6 + 0.1 * i)), 1 + (i % 3 == 2), seed=i), 48000)
        paths.append(str(path))
    return paths


def assert_same_tensor(actual: torch.Tensor, expected: torch.Tensor) -> None:
    """Bytes, as every parity comparison (``assert_close`` calls -0.0 and +0.0 equal)."""
    assert_same_array(actual.numpy(), expected.numpy())


def _librosa(path: str, **kwargs: object) -> torch.Tensor:
    y, _ = librosa.load(path, **kwargs)
    return torch.from_numpy(y)


def _find_slice(whole: np.ndarray, piece: np.ndarray) -> list[int]:
    """Every start ``k`` with ``whole[..., k:k+n] == piece``."""
    n = piece.shape[-1]
    first = whole.reshape(-1, whole.shape[-1])[0]
    candidates = np.flatnonzero(first[: first.size - n + 1] == piece.reshape(-1, n)[0, 0])
    return [int(k) for k in candidates if np.array_equal(whole[..., k : k + n], piece)]


# --- items ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("mono", [True, False])
def test_items_equal_librosa(speech: list[str], mono: bool) -> None:
    dataset = AudioDataset(speech, sr=16000, mono=mono)
    assert len(dataset) == len(speech)
    for i, path in enumerate(speech):
        item = dataset[i]
        assert_same_tensor(item, _librosa(path, sr=16000, mono=mono))
        assert item.dtype == torch.float32


def test_the_options_read_back_as_attributes(speech: list[str]) -> None:
    dataset = AudioDataset(speech, sr=8000, mono=False, offset=0.25, duration=0.5)
    assert (dataset.sr, dataset.mono, dataset.offset, dataset.duration) == (8000, False, 0.25, 0.5)
    assert dataset.random_crop is False
    assert repr(dataset) == "AudioDataset(8 files, sr=8000, mono=False, duration=0.5)"


def test_labels_come_with_their_items(speech: list[str]) -> None:
    labels = [f"speaker{i % 3}" for i in range(len(speech))]
    dataset = AudioDataset(speech, labels, sr=None, duration=0.5, offset=0.1)
    waveform, label = dataset[4]
    assert label == "speaker1"
    assert_same_tensor(
        waveform, _librosa(speech[4], sr=None, offset=0.1, duration=0.5)
    )


def test_transform_replaces_the_waveform(speech: list[str]) -> None:
    def energy(waveform: torch.Tensor, sr: float) -> torch.Tensor:
        return (waveform**2).sum() / sr

    dataset = AudioDataset(speech, sr=8000, transform=energy)
    expected = (_librosa(speech[0], sr=8000) ** 2).sum() / 8000
    torch.testing.assert_close(dataset[0], expected)


# --- DataLoader ------------------------------------------------------------------------------------


def test_two_workers_give_the_same_tensors_as_a_serial_loop(speech: list[str]) -> None:
    labels = list(range(len(speech)))
    dataset = AudioDataset(speech, labels, sr=16000)
    parallel = DataLoader(dataset, batch_size=3, num_workers=2, collate_fn=collate_audio)
    batches = list(parallel)
    audio = torch.cat([torch.nn.functional.pad(a, (0, 30000 - a.shape[-1])) for a, _, _ in batches])
    lengths = torch.cat([n for _, n, _ in batches])
    got_labels = torch.cat([lab for _, _, lab in batches])
    assert got_labels.tolist() == labels
    for i in range(len(dataset)):
        waveform, _ = dataset[i]  # the serial loop
        assert lengths[i] == waveform.shape[-1]
        assert_same_tensor(audio[i, : lengths[i]], waveform)
        assert_same_tensor(waveform, _librosa(speech[i], sr=16000))
        assert not audio[i, lengths[i] :].any()  # the padding is zeros


def test_random_crops_are_slices_of_the_whole_file(speech: list[str]) -> None:
    dataset = AudioDataset(speech, sr=None, mono=False, duration=0.25, random_crop=True)
    torch.manual_seed(0)
    starts = []
    for i, path in enumerate(speech):
        whole, _ = librosa.load(path, sr=None, mono=False)
        for _ in range(3):
            crop = dataset[i].numpy()
            assert crop.shape[-1] == int(0.25 * 48000)
            found = _find_slice(whole, crop)
            assert found, f"crop of {path} is not a slice of the whole file"
            starts.append(found[0])
    assert len(set(starts)) > len(starts) // 2  # random, not always the same place


def test_random_crops_decode_only_their_segment(speech: list[str], monkeypatch) -> None:
    calls = []

    def spy(path, options):
        calls.append(options)
        return load_with_options(path, options)

    monkeypatch.setattr(adtorch, "load_with_options", spy)
    dataset = AudioDataset(speech, sr=16000, duration=0.3, random_crop=True)
    torch.manual_seed(1)
    for i, path in enumerate(speech):
        crop = dataset[i]
        offset = calls[-1].offset
        assert calls[-1].duration == 0.3
        # With resampling, a crop is what librosa gives for the same offset and duration.
        assert_same_tensor(
            crop, _librosa(path, sr=16000, offset=offset, duration=0.3)
        )


def test_random_crops_repeat_with_the_same_seed(speech: list[str]) -> None:
    dataset = AudioDataset(speech, sr=None, duration=0.2, random_crop=True)

    def epoch(seed: int) -> list[torch.Tensor]:
        loader = DataLoader(
            dataset,
            batch_size=4,
            num_workers=2,
            shuffle=True,
            generator=torch.Generator().manual_seed(seed),
            collate_fn=collate_audio,
        )
        return [audio for audio, _ in loader]

    first, again, other = epoch(5), epoch(5), epoch(6)
    for a, b in zip(first, again, strict=True):
        torch.testing.assert_close(a, b)
    assert any(not torch.equal(a, b) for a, b in zip(first, other, strict=True))


def test_crop_longer_than_the_file_gives_the_whole_file(speech: list[str]) -> None:
    dataset = AudioDataset(speech[:1], sr=None, duration=5.0, random_crop=True)
    assert_same_tensor(dataset[0], _librosa(speech[0], sr=None))


def test_crop_offsets_land_on_the_intended_sample() -> None:
    for rate in (8000, 22050, 44100, 48000):
        for frame in [*range(200), *range(10**6, 10**6 + 200)]:
            seconds = adtorch._seconds_at_frame(frame, rate)
            assert int(seconds * rate) == frame


def test_a_corrupt_file_fails_the_loader_naming_it(speech: list[str], tmp_path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x24\x00\x00\x00WAVE" + bytes(range(256)) * 4)
    dataset = AudioDataset([speech[0], str(bad)], sr=16000)
    loader = DataLoader(dataset, batch_size=1, num_workers=2, collate_fn=collate_audio)
    # DataLoader rebuilds worker errors from a message; ours take (source, reason), so it
    # raises a RuntimeError (AudioDecodeError's base) carrying the original text.
    batches = iter(loader)
    try:
        with pytest.raises(RuntimeError, match=r"CorruptAudioError.*bad\.wav"):
            list(batches)
    finally:
        # Stop the workers now: left to the garbage collector, the failed iterator's
        # shutdown waits out torch's 5 s join timeout per worker, in whichever test runs then.
        batches._shutdown_workers()


# --- collate_audio -------------------------------------------------------------------------------


def test_collate_pads_to_the_longest() -> None:
    audio, lengths = collate_audio([torch.arange(1.0, 4.0), torch.arange(1.0, 6.0)])
    assert audio.tolist() == [[1, 2, 3, 0, 0], [1, 2, 3, 4, 5]]
    assert lengths.tolist() == [3, 5]
    assert lengths.dtype == torch.long


def test_collate_to_a_fixed_length_pads_and_crops() -> None:
    batch = [(torch.arange(1.0, 7.0), 0), (torch.arange(1.0, 3.0), 1)]
    audio, lengths, labels = functools.partial(collate_audio, length=4, pad_value=-1.0)(batch)
    assert audio.tolist() == [[1, 2, 3, 4], [1, 2, -1, -1]]
    assert lengths.tolist() == [4, 2]
    assert labels.tolist() == [0, 1]


def test_collate_keeps_channels_first() -> None:
    audio, lengths = collate_audio([torch.ones(2, 3), torch.ones(2, 5)])
    assert audio.shape == (2, 2, 5)
    assert lengths.tolist() == [3, 5]
    assert audio[0, :, 3:].eq(0).all()


@pytest.mark.parametrize(
    ("batch", "kwargs", "error", "match"),
    [
        ([], {}, ValueError, "empty batch"),
        ([torch.ones(3)], {"length": 0}, ValueError, "length=0"),
        ([torch.ones(2, 3), torch.ones(1, 3)], {}, ValueError, "differ in channels"),
        ([np.ones(3)], {}, TypeError, "waveform tensors"),
    ],
    ids=["empty", "length", "channels", "numpy"],
)
def test_collate_rejects_what_it_cannot_stack(batch, kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        collate_audio(batch, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"labels": [1]}, "1 labels for 2 paths"),
        ({"duration": 0}, "duration=0"),
        ({"random_crop": True}, "needs a duration"),
        ({"random_crop": True, "duration": 1.0, "offset": 0.5}, "leave offset=0"),
    ],
)
def test_dataset_rejects_inconsistent_options(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        AudioDataset(["a.wav", "b.wav"], **kwargs)
