"""The FFmpeg reader's seek policy (``audiodecode.backends._pyav_seek``): pure tables and
arithmetic, no FFmpeg. ``test_backend_pyav.py`` checks that seeks through it are exact."""

from __future__ import annotations

from fractions import Fraction

import pytest

from audiodecode.backends._pyav_seek import (
    EXACT_SEEK_TIMESTAMPS,
    SampleClock,
    exact_timestamps,
    preroll,
)


@pytest.mark.parametrize("codec", ["aac", "ac3", "eac3", "wmav2", "opus", "alac_x", "", "pcm"])
def test_codecs_with_decoder_state_beyond_a_window_are_never_seekable(codec: str) -> None:
    assert preroll(codec) is None


@pytest.mark.parametrize("codec", ["pcm_s16le", "pcm_f64le", "pcm_u8", "pcm_s24be", "flac",
                                   "alac", "wavpack", "tta"])
def test_intra_only_codecs_need_no_preroll(codec: str) -> None:
    assert preroll(codec) == 0


def test_mpeg_audio_and_vorbis_decode_a_history_first() -> None:
    assert preroll("mp1") == preroll("mp2") == preroll("mp3") == 32 * 1152
    assert preroll("vorbis") == 4 * 8192


@pytest.mark.parametrize(
    ("demuxer", "codec", "expected"),
    [
        ("mov", "alac", True),
        ("mov", "pcm_s16le", True),
        ("mov", "mp3", True),
        ("mov", "aac", False),
        ("ogg", "vorbis", True),
        ("ogg", "flac", False),  # a page late after a seek
        ("flac", "flac", True),
        ("wav", "pcm_s24le", True),
        ("wav", "mp3", False),  # byte offsets count samples only for PCM
        ("aiff", "pcm_s16be", True),
        ("matroska", "flac", False),  # milliseconds
        ("mp3", "mp3", False),  # estimated from the byte offset
    ],
)
def test_which_demuxers_count_samples(demuxer: str, codec: str, expected: bool) -> None:
    assert exact_timestamps(demuxer, codec, Fraction(1, 44100), 44100) is expected


@pytest.mark.parametrize(
    ("time_base", "expected"),
    [
        (Fraction(1, 44100), True),
        (Fraction(1, 88200), True),  # half-sample ticks still name every sample
        (Fraction(1, 90000), False),  # ticks that are not whole fractions of a sample
        (Fraction(1, 1000), False),
        (Fraction(0, 1), False),
        (None, False),
    ],
)
def test_the_time_base_must_resolve_single_samples(
    time_base: Fraction | None, expected: bool
) -> None:
    assert exact_timestamps("mov", "alac", time_base, 44100) is expected


def test_every_demuxer_entry_names_a_codec_a_seek_can_serve() -> None:
    for codecs in EXACT_SEEK_TIMESTAMPS.values():
        for codec in codecs:
            assert preroll(codec or "pcm_s16le") is not None, codec


def test_the_clock_maps_timestamps_to_samples_both_ways() -> None:
    clock = SampleClock.start(Fraction(1, 88200), 44100, first_pts=-4224)  # edit-list delay
    assert clock is not None
    assert clock.base == -2112
    assert clock.index(-4224) == 0
    for index in (0, 1, 1000, 44100 * 3600):
        assert clock.index(clock.pts(index)) == index
    assert clock.index(-4223) is None  # between two samples
    assert clock.index(-4226) == -1


def test_the_clock_rounds_timestamps_down_on_coarse_ticks() -> None:
    clock = SampleClock.start(Fraction(1, 22050), 44100, first_pts=0)  # two samples a tick
    assert clock is not None
    assert [clock.pts(i) for i in range(5)] == [0, 0, 1, 1, 2]
    assert clock.index(3) == 6


def test_a_first_timestamp_between_samples_gives_no_clock() -> None:
    assert SampleClock.start(Fraction(1, 88200), 44100, first_pts=1) is None
    assert SampleClock.start(Fraction(1, 88200), 44100, first_pts=2) == SampleClock(44100, 88200, 1)
