"""``load`` on formats librosa cannot read, against an independent decode.

The expected array is built from a plain PyAV loop written here (``container.decode`` and
``frame.to_ndarray``, not the library's reader), cut with librosa's ``int(seconds * sr)``
arithmetic, downmixed with ``librosa.to_mono`` and resampled with ``librosa.resample``: the
same semantics ``load`` promises for every format.
"""

from __future__ import annotations

import av
import librosa
import numpy as np
import pytest

import audiodecode

_SCALE = {"s16": 2.0**-15, "s32": 2.0**-31}


def plain_decode(path) -> tuple[np.ndarray, int]:
    """(frames, channels) float32 and the rate, decoded with nothing but PyAV."""
    blocks = []
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            array = frame.to_ndarray()
            planar = frame.format.is_planar
            fmt = frame.format.name.rstrip("p")
            block = array.T if planar else array.reshape(-1, frame.layout.nb_channels)
            if fmt in _SCALE:
                block = block.astype(np.float32) * np.float32(_SCALE[fmt])
            blocks.append(block.astype(np.float32, copy=False))
            rate = frame.sample_rate
    return np.concatenate(blocks), rate


def expected_load(path, *, sr, mono, offset, duration):
    y, sr_native = plain_decode(path)
    if offset >= 0:
        start = int(offset * sr_native)
    else:
        start = len(y) - int(abs(offset) * sr_native)
    stop = len(y) if duration is None else start + int(duration * sr_native)
    y = y[start:stop].T
    if y.shape[0] == 1:
        y = y[0]
    if mono:
        y = librosa.to_mono(y)
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
    y_ref, sr_ref = expected_load(path, sr=sr, mono=mono, offset=offset, duration=duration)
    np.testing.assert_array_equal(y, y_ref, strict=True)
    assert sr_out == sr_ref


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
    y, _ = audiodecode.load(corpus["mp4_video"], sr=None)
    assert y.size > 0
