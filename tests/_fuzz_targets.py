"""The fuzz targets: what ``tests/test_fuzz.py``'s Hypothesis tests and the atheris harness
(``tests/_fuzz_atheris.py``) both feed, and the only answers each may give.

Each target raises ``AssertionError`` on a finding; any other exception escaping it is one too.
"""

from __future__ import annotations

import io

import numpy as np

import audiodecode
from audiodecode._source import Source, sniff
from audiodecode.backends._base import Decline
from audiodecode.backends.wav import WavReader

CONTAINERS = {"wav", "w64", "aiff", "flac", "ogg", "caf", "au", "mp4", "matroska", "asf",
              "amr", "ac3", "mp3", "aac", "midi", "unknown"}


def check_sniff(head: bytes) -> None:
    """The sniffer names one of its containers for any bytes."""
    name = sniff(head)
    assert name in CONTAINERS, name


def check_wav_header(data: bytes) -> None:
    """The WAV header parser reads or declines; it never promises more frames than the bytes
    behind the header hold."""
    source = Source("<fuzz>", fileobj=io.BytesIO(data), owned=True)
    try:
        reader = WavReader(source)
    except (Decline, audiodecode.AudioDecodeError):
        return
    try:
        assert reader.frames * reader._block_align <= len(data), "more frames than bytes"
        assert reader.channels >= 1
        assert reader.sample_rate >= 1
    finally:
        reader.close()


def check_load(data: bytes, sr: float | None = None, mono: bool = False) -> None:
    """``load`` on the bytes returns float32 audio as promised, or our error naming them."""
    try:
        y, rate = audiodecode.load(data, sr=sr, mono=mono)
    except audiodecode.AudioDecodeError as exc:
        source = exc.source
    else:
        source = None
    if source is not None:
        assert source == "<bytes>", source
        return
    assert isinstance(y, np.ndarray)
    assert y.dtype == np.float32, y.dtype
    assert y.ndim == 1 if mono else y.ndim in (1, 2), y.shape
    assert rate == sr or sr is None, rate
