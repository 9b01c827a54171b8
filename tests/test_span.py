"""``resolve_span``: librosa's ``int(seconds * sr)`` arithmetic, property-tested."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audiodecode._span import check_span, resolve_span

rates = st.sampled_from([8000, 11025, 16000, 22050, 44100, 48000, 96000, 192000])
seconds = st.floats(min_value=0, max_value=100, allow_nan=False)


@given(sr=rates, frames=st.integers(0, 10**8), offset=seconds, duration=st.none() | seconds)
def test_positive_offsets_follow_librosa(sr, frames, offset, duration):
    start = int(offset * sr)
    if start > frames:
        with pytest.raises(ValueError, match="outside the audio"):
            resolve_span(offset, duration, sr, frames)
        return
    got_start, n_frames = resolve_span(offset, duration, sr, frames)
    assert got_start == (start if offset != 0 else None)
    assert n_frames == (-1 if duration is None else int(duration * sr))


@given(sr=rates, frames=st.integers(0, 10**8), offset=st.floats(-100, -1e-12))
def test_negative_offsets_count_from_the_end(sr, frames, offset):
    start = frames - int(abs(offset) * sr)
    if start < 0:
        with pytest.raises(ValueError, match="outside the audio"):
            resolve_span(offset, None, sr, frames)
    else:
        assert resolve_span(offset, None, sr, frames) == (start, -1)


def test_zero_offset_seeks_only_when_asked():
    assert resolve_span(0.0, None, 16000, 100) == (None, -1)
    assert resolve_span(0.0, None, 16000, 100, seek_at_zero=True) == (0, -1)


@pytest.mark.parametrize("duration", [-1.0, -1e-3])
def test_negative_duration_reads_to_the_end_like_soundfile(duration):
    assert resolve_span(0.0, duration, 16000, 100)[1] == -1


def test_tiny_negative_duration_reads_nothing():
    # int(-1e-9 * 16000) == 0 frames, as SoundFile.read(frames=0)
    assert resolve_span(0.0, -1e-9, 16000, 100)[1] == 0


@pytest.mark.parametrize("offset", [math.nan, math.inf, -math.inf])
def test_non_finite_offset_is_a_value_error(offset):
    with pytest.raises(ValueError, match="offset"):
        check_span(offset, None)
