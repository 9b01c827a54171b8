"""Remote and in-memory files through fsspec: load, info, load_batch, imap, the datasets.

``memory://`` is fsspec's in-process filesystem: it stands in for s3://, gs://, https://...
without a network. A counting filesystem checks that a seek fetches only what it needs.
Ray's workers are other processes, which a ``memory://`` store does not reach: test_ray.py
reads through fsspec with ``local://`` instead.
"""

from __future__ import annotations

import io
import sys
from typing import ClassVar

import librosa
import numpy as np
import pytest
import soundfile as sf
from _assert import assert_same_array

import audiodecode
from audiodecode.batch import imap, load_batch

fsspec = pytest.importorskip("fsspec", reason="remote files need the optional fsspec")
from fsspec.spec import AbstractBufferedFile, AbstractFileSystem


def _signal(n_frames: int, channels: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    chirp = np.sin(np.cumsum(np.linspace(0.01, 0.5, n_frames)))[:, None]
    return (0.3 * rng.uniform(-1, 1, (n_frames, channels)) + 0.3 * chirp).astype(np.float32)


def _encoded(fmt: str, rate: int, channels: int, seconds: float, seed: int = 0) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, _signal(int(rate * seconds), channels, seed), rate, format=fmt)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def on_disk_and_in_memory(tmp_path_factory: pytest.TempPathFactory):
    """The same files on disk (for librosa, the oracle) and under memory://."""
    folder = tmp_path_factory.mktemp("remote")
    memory = fsspec.filesystem("memory")
    pairs = []
    for i, (fmt, rate, channels) in enumerate(
        [("WAV", 48000, 1), ("FLAC", 44100, 2), ("OGG", 22050, 1), ("WAV", 16000, 2)]
    ):
        data = _encoded(fmt, rate, channels, seconds=0.5 + 0.2 * i, seed=i)
        local = folder / f"clip{i}.{fmt.lower()}"
        local.write_bytes(data)
        url = f"memory://audiodecode-tests/clips/clip{i}.{fmt.lower()}"
        memory.pipe(url, data)
        pairs.append((str(local), url))
    yield pairs
    memory.rm("memory://audiodecode-tests", recursive=True)


# --- load / info ---------------------------------------------------------------------------------


@pytest.mark.parametrize("sr", [None, 16000])
def test_load_a_memory_url_equals_librosa(on_disk_and_in_memory, sr: int | None) -> None:
    for local, url in on_disk_and_in_memory:
        y, rate = audiodecode.load(url, sr=sr, mono=False)
        expected, expected_rate = librosa.load(local, sr=sr, mono=False)
        assert_same_array(y, expected)
        assert rate == expected_rate


def test_info_of_a_memory_url(on_disk_and_in_memory) -> None:
    for local, url in on_disk_and_in_memory:
        header = sf.info(local)
        got = audiodecode.info(url)
        assert (got.sample_rate, got.channels, got.frames) == (
            header.samplerate,
            header.channels,
            header.frames,
        )
        assert audiodecode.get_duration(path=url) == librosa.get_duration(path=local)


def test_a_missing_url_is_file_not_found() -> None:
    with pytest.raises(FileNotFoundError):
        audiodecode.load("memory://audiodecode-tests/nothing-here.wav")


def test_without_fsspec_the_error_names_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "fsspec", None)
    with pytest.raises(ImportError, match=r"audiodecode\[remote\]"):
        audiodecode.load("s3://bucket/clip.wav")


# --- batches -------------------------------------------------------------------------------------


def test_load_batch_over_memory_urls(on_disk_and_in_memory) -> None:
    urls = [url for _, url in on_disk_and_in_memory]
    results = load_batch(urls, workers=2, sr=16000)  # threads share this process's store
    for (y, rate), (local, _) in zip(results, on_disk_and_in_memory, strict=True):
        expected, expected_rate = librosa.load(local, sr=16000)
        assert_same_array(y, expected)
        assert rate == expected_rate


def test_imap_over_memory_urls(on_disk_and_in_memory) -> None:
    urls = (url for _, url in on_disk_and_in_memory)
    lengths = [len(y) for y, _ in imap(urls, workers=2, sr=None)]
    assert lengths == [len(librosa.load(local, sr=None)[0]) for local, _ in on_disk_and_in_memory]


def test_list_audio_files_under_a_memory_url(on_disk_and_in_memory) -> None:
    from audiodecode.ray import list_audio_files

    memory = fsspec.filesystem("memory")
    memory.pipe("memory://audiodecode-tests/clips/readme.txt", b"not audio")
    memory.pipe("memory://audiodecode-tests/clips/untitled", _encoded("FLAC", 8000, 1, 0.1))
    try:
        found = list_audio_files("memory://audiodecode-tests")
        assert all(audiodecode.info(url).frames > 0 for url in found)  # usable URLs
    finally:
        memory.rm("memory://audiodecode-tests/clips/readme.txt")
        memory.rm("memory://audiodecode-tests/clips/untitled")
    expected = sorted(
        [*(url for _, url in on_disk_and_in_memory), "memory://audiodecode-tests/clips/untitled"]
    )
    assert [u.replace("memory:///", "memory://") for u in found] == expected


def test_torch_dataset_over_memory_urls(on_disk_and_in_memory) -> None:
    pytest.importorskip("torch", reason="PyTorch is an optional extra")
    from audiodecode.torch import AudioDataset

    urls = [url for _, url in on_disk_and_in_memory]
    dataset = AudioDataset(urls, sr=16000, duration=0.3, random_crop=True)
    for i, (local, _) in enumerate(on_disk_and_in_memory):
        crop = dataset[i].numpy()
        assert crop.shape == (
            int(np.ceil(int(0.3 * sf.info(local).samplerate) * 16000 / sf.info(local).samplerate)),
        )


# --- a seek fetches a part, not the whole object ------------------------------------------------


class _CountingFile(AbstractBufferedFile):
    def _fetch_range(self, start: int, end: int) -> bytes:
        data = self.fs.store[self.path][start:end]
        CountingFileSystem.fetched += len(data)
        return data


class CountingFileSystem(AbstractFileSystem):
    """Read-only, in memory, like an object store: every byte fetched is counted."""

    protocol = "counting"
    store: ClassVar[dict[str, bytes]] = {}  # shared by every instance; the fixture resets it
    fetched = 0

    def info(self, path: str, **kwargs) -> dict:
        path = self._strip_protocol(path)
        if path in self.store:
            return {"name": path, "size": len(self.store[path]), "type": "file"}
        if any(key.startswith(path.rstrip("/") + "/") for key in self.store):
            return {"name": path, "size": 0, "type": "directory"}
        raise FileNotFoundError(path)

    def ls(self, path: str, detail: bool = True, **kwargs):
        path = self._strip_protocol(path).rstrip("/")
        names = [k for k in self.store if k.rsplit("/", 1)[0] == path]
        return [self.info(n) for n in names] if detail else names

    def _open(
        self,
        path: str,
        mode: str = "rb",
        block_size=None,
        autocommit=True,
        cache_options=None,
        **kwargs,
    ) -> _CountingFile:
        return _CountingFile(
            self, self._strip_protocol(path), mode, block_size=1 << 15, cache_type="readahead"
        )


@pytest.fixture
def counting():
    CountingFileSystem.store = {}
    CountingFileSystem.fetched = 0
    fsspec.register_implementation("counting", CountingFileSystem, clobber=True)
    return CountingFileSystem


@pytest.mark.parametrize("fmt", ["WAV", "FLAC"])
def test_an_excerpt_of_a_long_remote_file_fetches_a_fraction(counting, fmt: str) -> None:
    data = _encoded(fmt, 48000, 2, seconds=20.0)
    counting.store["bucket/long"] = data
    y, _ = audiodecode.load("counting://bucket/long", sr=16000, offset=12.0, duration=0.5)
    assert y.shape == (8000,)
    with io.BytesIO(data) as whole:
        expected, _ = librosa.load(whole, sr=16000, offset=12.0, duration=0.5)
    assert_same_array(y, expected)
    assert counting.fetched < len(data) / 10, f"fetched {counting.fetched} of {len(data)} bytes"


def test_info_of_a_remote_file_reads_only_its_header(counting) -> None:
    data = _encoded("WAV", 48000, 2, seconds=20.0)
    counting.store["bucket/long.wav"] = data
    assert audiodecode.info("counting://bucket/long.wav").frames == 20 * 48000
    assert counting.fetched <= 2 * (1 << 15)


def test_random_crops_of_a_remote_file_fetch_a_fraction(counting) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is an optional extra")
    from audiodecode.torch import AudioDataset

    data = _encoded("WAV", 48000, 1, seconds=60.0)
    counting.store["bucket/speech.wav"] = data
    dataset = AudioDataset(
        ["counting://bucket/speech.wav"] * 4, sr=16000, duration=1.0, random_crop=True
    )
    torch.manual_seed(0)
    crops = [dataset[i] for i in range(len(dataset))]
    assert all(c.shape == (16000,) for c in crops)
    assert counting.fetched < len(data) / 4, f"fetched {counting.fetched} of {len(data)} bytes"
