"""The numpy WAV reader on local files, against libsndfile (librosa's decoder) as the oracle.

A local file's samples are read with its header when they are short (up to 1 MiB), and as they
are decoded otherwise; both ways must read exactly what libsndfile reads, including files whose
header promises more samples than the file holds.
"""

from __future__ import annotations

import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from _assert import assert_same_array
from hypothesis import given, settings
from hypothesis import strategies as st

import audiodecode
from audiodecode import AudioDecodeError
from audiodecode.backends.wav import _SMALL_DATA_BYTES


def _wav(channels: int, frames: int, *, claimed: int | None = None, junk: int = 0,
         trailer: bytes = b"") -> bytes:
    """A 16-bit PCM RIFF file; ``claimed`` overrides the data chunk's size field."""
    rng = np.random.default_rng(frames + channels)
    samples = rng.integers(-32768, 32767, (frames, channels), dtype=np.int16).tobytes()
    fmt = struct.pack("<HHIIHH", 1, channels, 48000, 48000 * 2 * channels, 2 * channels, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt
    if junk:
        body += b"JUNK" + struct.pack("<I", junk) + bytes(junk)
    size = len(samples) if claimed is None else claimed
    body += b"data" + struct.pack("<I", size) + samples + trailer
    return b"RIFF" + struct.pack("<I", len(body)) + body


SMALL = 4800  # frames: 19 kB of samples, read with the header
LARGE = _SMALL_DATA_BYTES // 2 + 1000  # mono frames just past the threshold: read as decoded


@pytest.mark.parametrize("frames", [SMALL, LARGE], ids=["small", "large"])
@pytest.mark.parametrize(
    "layout",
    ["plain", "claims_more_than_there", "trailing_chunk", "junk_before_data", "claims_zero"],
)
def test_local_wav_reads_what_libsndfile_reads(tmp_path: Path, frames: int, layout: str) -> None:
    kwargs: dict = {
        "plain": {},
        "claims_more_than_there": {"claimed": 4 * frames},
        "trailing_chunk": {"trailer": b"LIST" + struct.pack("<I", 4) + b"INFO"},
        "junk_before_data": {"junk": 5000},  # the data chunk starts after the 4 kB head
        "claims_zero": {"claimed": 0},  # a streaming writer's placeholder: libsndfile decides
    }[layout]
    path = tmp_path / f"{layout}.wav"
    path.write_bytes(_wav(1, frames, **kwargs))
    expected, rate = sf.read(path, dtype="float32")
    y, sr = audiodecode.load(path, sr=None)
    assert sr == rate
    assert_same_array(y, expected)
    if len(expected) < 2880:
        assert layout == "claims_zero"  # libsndfile reads no samples from such a file
        return
    # A piece from the middle: the same samples whichever way the file was read.
    piece, _ = audiodecode.load(path, sr=None, offset=0.05, duration=0.01)
    assert_same_array(piece, expected[2400:2880])


def test_stereo_small_wav_reads_what_libsndfile_reads(tmp_path: Path) -> None:
    path = tmp_path / "stereo.wav"
    path.write_bytes(_wav(2, SMALL))
    native, _ = audiodecode.load(path, sr=None, mono=False)
    assert_same_array(native, sf.read(path, dtype="float32")[0].T)


@settings(max_examples=40, deadline=None)
@given(
    channels=st.integers(0, 9),
    block_align=st.integers(0, 40),
    data_size=st.integers(0, 2**32 - 1),
    data=st.binary(max_size=600),
)
def test_local_wav_with_any_sizes_reads_or_raises_ours(channels, block_align, data_size, data):
    """Header fields that disagree with the file: a typed error or libsndfile's samples."""
    fmt = struct.pack("<HHIIHH", 1, channels, 8000, 8000 * block_align, block_align, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt
    body += b"data" + struct.pack("<I", data_size) + data
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "any.wav"
        path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
        try:
            y, _ = audiodecode.load(path, sr=None, mono=False)
        except AudioDecodeError:
            return
        expected, _ = sf.read(path, dtype="float32", always_2d=True)
        assert_same_array(np.atleast_2d(y), expected.T)


def test_metadata_reads_no_samples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """info() and get_duration() read the header only; load() reads a short file in one go."""
    import os

    path = tmp_path / "clip.wav"
    path.write_bytes(_wav(1, SMALL))
    sample_reads: list[int] = []
    real_preadv = os.preadv

    def counting_preadv(fd: int, buffers: list, offset: int) -> int:
        sample_reads.append(offset)
        return real_preadv(fd, buffers, offset)

    monkeypatch.setattr(os, "preadv", counting_preadv)
    assert audiodecode.info(path).frames == SMALL
    assert audiodecode.get_duration(path=path) == SMALL / 48000
    assert sample_reads == []
    audiodecode.load(path, sr=None)
    assert sample_reads == [44]  # one read, of the data chunk, right after the 44-byte header


def _wide_pcm_wav(path: Path, values: np.ndarray, bits: int, sample_rate: int = 8000) -> None:
    """PCM WAV with ``bits`` valid bits in ``ceil(bits / 8)``-byte containers, left-justified
    (as the format requires and scipy writes them); ``values`` is ``(frames, channels)`` int64
    holding the container's integer in its top bytes."""
    width = (bits + 7) // 8
    frames, channels = values.shape
    raw = values.astype("<i8").view(np.uint8).reshape(frames, channels, 8)[:, :, 8 - width :]
    fmt = struct.pack("<HHIIHH", 1, channels, sample_rate, sample_rate * width * channels,
                      width * channels, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt
    body += b"data" + struct.pack("<I", raw.size) + raw.tobytes()
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bits", [36, 40, 45, 48, 53, 56, 64])
def test_wide_integer_wav_reads_as_its_integers_over_two_to_the_63(
    tmp_path: Path, bits: int, dtype: type
) -> None:
    """libsndfile refuses 33- to 64-bit PCM and FFmpeg 5- to 7-byte samples; scipy writes them."""
    width = (bits + 7) // 8
    rng = np.random.default_rng(bits)
    top = rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), (3000, 3), dtype=np.int64)
    values = top << (64 - bits)  # left-justified: the low bits of the container are zero
    values[:2] = [[-(1 << 63), (1 << 63) - (1 << (64 - bits)), 0], [1 << 62, -(1 << 62), 0]]
    path = tmp_path / f"wide{bits}.wav"
    _wide_pcm_wav(path, values, bits)
    y, sr = audiodecode.load(path, sr=None, mono=False, dtype=dtype)
    expected = (values.astype(np.float64) * 2.0**-63).astype(dtype).T
    assert sr == 8000
    assert_same_array(y, expected)
    details = audiodecode.info(path)
    assert (details.frames, details.channels, details.bits_per_sample) == (3000, 3, bits)
    assert details.codec == f"pcm_s{8 * width}le"


@pytest.mark.parametrize("bits", [36, 45, 53, 64])
def test_scipys_wide_test_files_read_as_scipy_reads_them(bits: int) -> None:
    from scipy.io import wavfile
    from scipy.io.tests import __file__ as scipy_tests

    path = Path(scipy_tests).parent / "data" / f"test-8000Hz-le-3ch-5S-{bits}bit.wav"
    _, integers = wavfile.read(path)  # int64, left-justified
    y, _ = audiodecode.load(path, sr=None, mono=False, dtype=np.float64)
    assert_same_array(y, integers.T * 2.0**-63)


@pytest.mark.parametrize("chunk", [b"ds64", b"fmt "])
def test_a_file_that_ends_inside_its_header_chunk_is_declined(chunk: bytes) -> None:
    """Found by the fuzzer: ``RIFF....WAVEds64`` with a 16-byte size and no body raised
    struct.error from the ds64 parse; the WAV reader now declines, and libsndfile and FFmpeg
    refuse it with our error."""
    data = b"RIFF\x00\x00\x00\x00WAVE" + chunk + b"\x10\x00\x00\x00" + b"\x01" * 3
    with pytest.raises(AudioDecodeError):
        audiodecode.load(data, sr=None)
