"""``load`` on formats librosa cannot read, against an independent decode.

The expected array is built from a plain PyAV loop (``tests/_plain_pyav.py``:
``container.decode`` and ``frame.to_ndarray``, not the library's reader), cut with librosa's
``int(seconds * sr)`` arithmetic, downmixed as librosa 1.0's ``to_mono`` does and resampled
with ``librosa.resample``: the same semantics ``load`` promises for every format. Arrays are
compared by their bytes.
"""

from __future__ import annotations

import av
import librosa
import pytest
from _assert import assert_same_load
from _plain_pyav import as_loaded, plain_decode

import audiodecode


def expected_load(path, *, sr, mono, offset, duration):
    y, sr_native = plain_decode(path)
    if offset >= 0:
        start = int(offset * sr_native)
    else:
        start = len(y) - int(abs(offset) * sr_native)
    stop = len(y) if duration is None else start + int(duration * sr_native)
    y = as_loaded(y[start:stop])
    if mono:
        # librosa 1.0: the mean added into a zeroed array (-0.0 becomes +0.0 on one channel too)
        y = librosa.to_mono(y)
        y = y + y.dtype.type(0)
    if sr is not None:
        y = librosa.resample(y, orig_sr=sr_native, target_sr=sr)
    return y, (sr_native if sr is None else sr)


@pytest.mark.parametrize(
    ("sr", "mono", "offset", "duration"),
    [(None, True, 0.0, None), (None, False, 0.0, None), (16000, True, 0.0, None),
     (22050, False, 0.25, 0.5), (None, True, -0.3, None), (8000, False, 0.5, None)],
    ids=["native-mono", "native-multi", "16k-mono", "22k-multi-span", "tail", "8k-offset"],
)
def test_load_matches_an_independent_decode(corpus, pyav_kind, sr, mono, offset, duration):
    path = corpus[pyav_kind]
    y, sr_out = audiodecode.load(path, sr=sr, mono=mono, offset=offset, duration=duration)
    expected = expected_load(path, sr=sr, mono=mono, offset=offset, duration=duration)
    assert_same_load((y, sr_out), expected)


def test_info_of_ffmpeg_formats(corpus, pyav_kind):
    details = audiodecode.info(corpus[pyav_kind])
    y, sr = plain_decode(corpus[pyav_kind])
    assert details.backend == "pyav"
    assert (details.sample_rate, details.channels) == (sr, y.shape[1])
    if details.frames_exact:
        assert details.frames == len(y)
    else:
        # An estimate from container timestamps: Matroska stores no per-stream duration, so
        # a video file's estimate is the whole file's (20% long for mkv_video), hence the margin.
        assert details.frames == pytest.approx(len(y), rel=0.25)


def test_video_soundtrack_is_found(corpus):
    with av.open(str(corpus["mp4_video"])) as container:
        assert container.streams[0].type == "video"
    samples, sr = plain_decode(corpus["mp4_video"])
    assert_same_load(audiodecode.load(corpus["mp4_video"], sr=None, mono=False),
                     (as_loaded(samples), sr))
