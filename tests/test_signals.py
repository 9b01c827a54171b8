"""Tests of the corpus's sample arrays (_corpus.signals): the signals every corpus file
holds, and their quantisation as libsndfile stores it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest
import soundfile as sf
from _corpus.signals import pcm, signal, voiced

if TYPE_CHECKING:
    from pathlib import Path


def test_signal_shape_peak_and_determinism() -> None:
    x = signal(44100, 3, sample_rate=44100, seed=5)
    assert x.shape == (44100, 3)
    assert x.dtype == np.float64
    assert 0.7 < np.abs(x).max() <= 0.8
    assert abs(x.mean()) < 0.01
    np.testing.assert_array_equal(x, signal(44100, 3, sample_rate=44100, seed=5))
    assert not np.array_equal(x, signal(44100, 3, sample_rate=44100, seed=6))


def test_signal_channels_differ_and_never_silent() -> None:
    x = signal(22050, 2, sample_rate=22050)
    assert np.corrcoef(x[:, 0], x[:, 1])[0, 1] < 0.9
    windows = x[: 22050 // 441 * 441].reshape(-1, 441, 2)
    assert np.sqrt((windows**2).mean(axis=1)).min() > 0.1


def test_signal_is_a_prefix_of_a_longer_one() -> None:
    # Truncated files are compared with the start of the full signal.
    np.testing.assert_array_equal(
        signal(1000, 2, sample_rate=8000), signal(5000, 2, sample_rate=8000)[:1000]
    )


@pytest.mark.parametrize("n_frames", [0, 1])
def test_signal_tiny(n_frames: int) -> None:
    assert signal(n_frames, 2, sample_rate=44100).shape == (n_frames, 2)


def test_signal_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError, match="channels"):
        signal(10, 0, sample_rate=8000)


@pytest.mark.parametrize(
    ("subtype", "fmt", "dtype", "flac"),
    [
        ("PCM_16", "WAV", "int16", False),
        ("PCM_32", "WAV", "int32", False),
        ("PCM_U8", "WAV", "uint8", False),
        ("PCM_16", "AIFF", "int16", False),
        ("PCM_16", "FLAC", "int16", True),
    ],
)
def test_pcm_matches_libsndfile_quantisation(
    tmp_path: Path, subtype: str, fmt: str, dtype: str, flac: bool
) -> None:
    x = signal(4410, 2, sample_rate=44100)
    path = tmp_path / "a"
    sf.write(path, x, 44100, format=fmt, subtype=subtype)
    expected = pcm(4410, 2, sample_rate=44100, dtype=dtype, flac=flac)
    if dtype == "uint8":
        # soundfile cannot return uint8; the bytes after the 44-byte header are the samples.
        stored = np.frombuffer(path.read_bytes()[44:], np.uint8).reshape(-1, 2)
    else:
        stored, _ = sf.read(path, dtype=dtype)
    np.testing.assert_array_equal(stored, expected)


def _pitch(frame: np.ndarray, rate: int) -> float:
    """Fundamental frequency of one voiced frame, by autocorrelation (60-400 Hz)."""
    frame = frame - frame.mean()
    ac = np.correlate(frame, frame, "full")[frame.size - 1 :]
    lo, hi = rate // 400, rate // 60
    return rate / (lo + int(np.argmax(ac[lo:hi])))


def test_voiced_is_speech_like() -> None:
    rate = 16000
    x = voiced(rate * 3, 2, sample_rate=rate, seed=1)
    assert x.shape == (rate * 3, 2)
    assert np.abs(x).max() == pytest.approx(0.5)
    np.testing.assert_array_equal(x, voiced(rate * 3, 2, sample_rate=rate, seed=1))
    assert not np.array_equal(x[:, 0], x[:, 1])
    frames = x[:, 0].reshape(-1, 400)
    rms = np.sqrt((frames**2).mean(axis=1))
    # Quiet lead-in, then syllables: loudness moves a lot, but never reaches digital zero.
    assert rms.min() > 0
    assert rms.max() / np.median(rms) > 2
    assert rms[:8].max() < 0.05 * rms.max()
    pitches = [_pitch(f, rate) for f in frames[rms > 0.5 * rms.max()]]
    assert len(pitches) > 10
    assert 95 <= np.median(pitches) <= 260
    assert np.ptp(pitches) > 10, "the pitch glides"
