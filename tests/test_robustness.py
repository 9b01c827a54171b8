"""Garbage in never crashes, hangs or yields silent zeros: it raises our typed errors, or
returns exactly what an independent decoder makes of the same bytes."""

from __future__ import annotations

import io
import struct

import av
import numpy as np
import pytest
import soundfile as sf
from _assert import assert_same_array
from _plain_pyav import as_loaded, plain_decode
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import audiodecode
from audiodecode import AudioDecodeError

MAGICS = {
    "riff": b"RIFF\x00\x00\x00\x00WAVE",
    "rf64": b"RF64\xff\xff\xff\xffWAVE",
    "flac": b"fLaC",
    "ogg": b"OggS\x00\x02",
    "mp4": b"\x00\x00\x00\x20ftypM4A ",
    "id3": b"ID3\x04\x00\x00\x00\x00\x00\x00",
    "matroska": b"\x1a\x45\xdf\xa3",
    "aiff": b"FORM\x00\x00\x00\x00AIFF",
    "none": b"",
}


def _independent_decode(data: bytes) -> np.ndarray | None:
    """What libsndfile (soundfile), else a plain PyAV loop, decodes from ``data``; None if
    neither reads it. Shaped as ``load(..., mono=False)`` returns it."""
    try:
        with sf.SoundFile(io.BytesIO(data)) as f:
            return as_loaded(f.read(dtype="float32", always_2d=True))
    except (sf.LibsndfileError, RuntimeError, ValueError, TypeError):
        pass
    try:
        samples, _ = plain_decode(io.BytesIO(data))
    except (av.FFmpegError, ValueError, EOFError, OSError, IndexError, KeyError):
        return None
    return as_loaded(samples)


def _load_or_our_error(data: bytes) -> None:
    try:
        y, _ = audiodecode.load(data, sr=None, mono=False)
    except (AudioDecodeError, ValueError):
        return
    # What decodes is what libsndfile or FFmpeg decode (values may be anything a float WAV
    # holds, inf and nan included): never samples made up where a decoder failed.
    expected = _independent_decode(data)
    if expected is None:
        # Neither reads it (libsndfile refuses more than 1024 channels, FFmpeg a rate of
        # 1 Hz), but the WAV reader reads the header: only an empty stream may come back.
        assert y.size == 0, f"load made up {y.shape} samples that neither decoder reads"
        assert y.dtype == np.float32
        return
    assert_same_array(y, expected)


@pytest.mark.parametrize("magic", MAGICS.values(), ids=MAGICS.keys())
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=st.binary(min_size=0, max_size=4096))
def test_random_bytes_behind_a_magic_number(magic, payload):
    _load_or_our_error(magic + payload)


@settings(max_examples=60, deadline=None)
@given(
    tag=st.sampled_from([1, 3, 0xFFFE, 2, 0x55]),
    channels=st.integers(0, 65535),
    rate=st.integers(0, 2**32 - 1),
    block_align=st.integers(0, 65535),
    bits=st.sampled_from([0, 8, 12, 16, 24, 32, 64, 65535]),
    data_size=st.integers(0, 2**32 - 1),
    data=st.binary(max_size=512),
)
# More channels than libsndfile takes, a rate FFmpeg refuses, no data: an empty array.
@example(tag=1, channels=1025, rate=1, block_align=1025, bits=8, data_size=0, data=b"")
def test_wav_headers_with_any_fields(tag, channels, rate, block_align, bits, data_size, data):
    """The WAV fast path declines or reads; libsndfile and FFmpeg get what it declines."""
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * block_align % 2**32, block_align,
                      bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt
    body += b"data" + struct.pack("<I", data_size) + data
    _load_or_our_error(b"RIFF" + struct.pack("<I", len(body)) + body)
