"""The one loop: block size never changes the answer (streaming equals one-shot)."""

from __future__ import annotations

import librosa
import numpy as np
import pytest
import soundfile as sf
import soxr
from _assert import assert_same_array, assert_same_load

import audiodecode
from audiodecode import _pipeline


@pytest.fixture(params=[1, 17, 509, 4096, 1 << 20], ids=lambda b: f"block{b}")
def block_frames(request, monkeypatch):
    monkeypatch.setattr(_pipeline, "BLOCK_FRAMES", request.param)
    return request.param


_LIBROSA: dict[tuple, tuple] = {}  # the oracle's answers, computed once for every block size


@pytest.mark.parametrize("kwargs", [
    {"sr": None, "mono": True}, {"sr": None, "mono": False}, {"sr": 16000, "mono": True},
    {"sr": 16000, "mono": False}, {"sr": 8000, "mono": True, "offset": 0.1, "duration": 0.05},
], ids=lambda k: "-".join(f"{a}{b}" for a, b in k.items()))
@pytest.mark.parametrize("kind", ["wav_pcm16", "flac_16", "mp3"])
def test_block_size_does_not_change_the_result(short_corpus, kind, kwargs, block_frames):
    """Whatever the block size, the array is librosa's."""
    path = short_corpus[kind]
    key = (kind, *sorted(kwargs.items()))
    if key not in _LIBROSA:
        _LIBROSA[key] = librosa.load(path, **kwargs)
    assert_same_load(audiodecode.load(path, **kwargs), _LIBROSA[key])


@pytest.mark.parametrize("channels", [1, 2, 6])
@pytest.mark.parametrize("chunk", [1, 17, 509, 44100])
def test_soxr_stream_equals_one_shot_per_channel(channels, chunk):
    """The property the pipeline relies on: ResampleStream == librosa's per-channel resample."""
    rng = np.random.default_rng(channels)
    x = rng.uniform(-0.5, 0.5, (9001, channels)).astype(np.float32)
    stream = soxr.ResampleStream(44100, 16000, channels, dtype=np.float32, quality="soxr_hq")
    parts = [stream.resample_chunk(x[i : i + chunk]) for i in range(0, len(x), chunk)]
    parts.append(stream.resample_chunk(x[:0], last=True))
    y = np.concatenate(parts)
    for c in range(channels):
        assert_same_array(y[:, c], soxr.resample(x[:, c].copy(), 44100, 16000))


# Every quality at one ratio, every ratio (down, by two, up, fractional) at librosa's default.
QUALITY_RATES = [
    *[(q, (48000, 16000)) for q in ["soxr_vhq", "soxr_hq", "soxr_mq", "soxr_lq", "soxr_qq"]],
    *[("soxr_hq", r) for r in [(44100, 22050), (8000, 44100), (22050, 16000.5)]],
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("quality", "rates"), QUALITY_RATES,
                         ids=lambda v: v if isinstance(v, str) else "{}-{}".format(*v))
@pytest.mark.parametrize("path", ["libsoxr", "python-soxr"])
def test_whole_signal_equals_one_shot_call_after_call(dtype, quality, rates, path, monkeypatch):
    """Whole signals go through libsoxr's one-shot call or, without it, a cleared, reused
    python-soxr stream: either way librosa's soxr.resample.

    ``whole`` also fixes the length as librosa does (cut, or padded with zeros, to
    ``ceil(n * sr_out / sr_in)``), growing soxr's array in place when it can.
    """
    from audiodecode import _resample
    from audiodecode._resample import SoxrResampler

    if path == "python-soxr":
        monkeypatch.setattr(_resample, "oneshot", lambda: None)

    rng = np.random.default_rng(7)
    sr_in, sr_out = rates
    for channels in (1, 2, 3):
        resampler = SoxrResampler(sr_in, sr_out, channels, np.dtype(dtype), quality)
        # Lengths in an order that leaves a longer signal's state behind a shorter one.
        outputs, expected = [], []
        for n in (100003, 7, 1, 0, 4097, 100003):
            x = rng.uniform(-1, 1, (n, channels) if channels > 1 else n).astype(dtype)
            one_shot = soxr.resample(x, sr_in, sr_out, quality=quality)
            length = int(np.ceil(n * float(sr_out) / sr_in))
            fixed = np.zeros((length, *one_shot.shape[1:]), dtype)
            fixed[: min(length, len(one_shot))] = one_shot[:length]
            expected.append(fixed)
            outputs.append(resampler.whole(x))
        # Compared at the end: load keeps these arrays, so no later call may write into them.
        for y, y_ref in zip(outputs, expected, strict=True):
            assert_same_array(y, y_ref)


def test_loads_resampled_in_one_call_are_separate_arrays(short_corpus):
    """The resampler's output becomes the result: two loads never share memory."""
    first, _ = audiodecode.load(short_corpus["wav_pcm16"], sr=16000)
    kept = first.copy()
    second, _ = audiodecode.load(short_corpus["wav_pcm16"], sr=16000)
    assert not np.shares_memory(first, second)
    assert_same_array(first, kept)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("channels", [2, 3, 4, 5, 6, 7, 8, 9, 12, 16])
def test_blockwise_downmix_equals_librosa_to_mono(channels, dtype):
    """Our downmix, block by block, gives librosa.to_mono's bytes on the whole (channels, n)
    array, signed zeros included: ``-0.0`` in every channel (silence as Vorbis and float WAV
    decode it) averages to librosa's ``+0.0``, ``-0.0`` in some channels as well."""
    rng = np.random.default_rng(channels)
    x = rng.uniform(-1, 1, (10007, channels)).astype(dtype)
    x[:5] = -0.0  # every channel
    x[5:9, 0] = -0.0  # one channel
    x[9:12] = 0.0
    x[12:15, 1:] = -0.0  # all but one
    x[15:18, 0] = 0.0
    x[15:18, 1:] = -0.0
    whole = librosa.to_mono(x.T)
    assert not np.signbit(whole[:5]).any()  # (the premise: librosa's mean is +0.0 there)
    out = np.empty(len(x), dtype)
    for i in range(0, len(x), 333):
        _pipeline.downmix(x[i : i + 333], out[i : i + 333])
    assert_same_array(out, whole)


def test_signed_zeros_are_librosas_in_a_float_wav(tmp_path):
    """Runs of -0.0 in a float WAV (every channel, one channel, a mono file): ``load``'s bytes
    are librosa 1.0's. librosa 0.11 leaves a one-channel file's -0.0 alone at ``mono=True``
    (``test_parity_librosa.test_mono_file_signed_zeros_follow_librosa_1``)."""
    x = np.random.default_rng(5).uniform(-1, 1, (4000, 2)).astype(np.float32)
    x[100:300] = -0.0
    x[400:500, 0] = -0.0
    x[700:710, 1] = -0.0
    for channels in (2, 1):
        path = tmp_path / f"zeros{channels}.wav"
        sf.write(path, x[:, :channels], 16000, subtype="FLOAT")
        for backend in ("wav", "sndfile", "pyav"):
            for mono in (True, False):
                y, sr = audiodecode.load(path, sr=None, mono=mono, backend=backend)
                stored = sf.read(path, dtype="float32", always_2d=True)[0].T
                # librosa 1.0: to_mono adds the channels' mean into a zeroed array
                expected = np.zeros(len(x), np.float32) + np.mean(stored, axis=0) if mono \
                    else stored[0] if channels == 1 else stored
                assert_same_load((y, sr), (expected, 16000), f"{channels}ch {backend} {mono}")


def test_unknown_res_type_is_a_value_error(short_corpus):
    with pytest.raises(ValueError, match="res_type"):
        audiodecode.load(short_corpus["wav_pcm16"], sr=16000, res_type="best")


@pytest.mark.parametrize("sr", [0, -16000, float("nan"), float("inf"), "16000"])
def test_bad_sr_is_a_value_error(short_corpus, sr):
    with pytest.raises(ValueError, match="sr="):
        audiodecode.load(short_corpus["wav_pcm16"], sr=sr)


@pytest.mark.parametrize("dtype", [np.int16, np.float16, "complex64", "nonsense"])
def test_non_float_dtype_is_a_value_error(short_corpus, dtype):
    with pytest.raises(ValueError, match="dtype"):
        audiodecode.load(short_corpus["wav_pcm16"], dtype=dtype)


def test_unknown_backend_is_a_value_error(short_corpus):
    with pytest.raises(ValueError, match="backend"):
        audiodecode.load(short_corpus["wav_pcm16"], backend="gstreamer")


@pytest.mark.parametrize("backend", ["wav", "sndfile", "pyav"])
def test_every_backend_reads_pcm_wav_identically(short_corpus, backend):
    path = short_corpus["wav_pcm16"]
    stored, rate = sf.read(path, dtype="float32")
    assert_same_load(audiodecode.load(path, sr=None, mono=False, backend=backend),
                     (stored.T, rate))


def test_missing_optional_resampler_names_the_package(short_corpus, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "samplerate", None)
    with pytest.raises(ImportError, match="pip install samplerate"):
        audiodecode.load(short_corpus["wav_pcm16"], sr=16000, res_type="sinc_best")


def test_nested_runs_never_share_scratch(corpus, monkeypatch):
    """A load inside a stream loop (both borrow per-thread scratch) leaves the stream intact."""
    monkeypatch.setattr(_pipeline, "BLOCK_FRAMES", 1000)  # many scratch-backed chunks
    kwargs = {"block_length": 2, "frame_length": 1024, "hop_length": 512, "mono": True}
    alone = list(audiodecode.stream(corpus["flac_16"], **kwargs))
    nested = []
    for block in audiodecode.stream(corpus["flac_16"], **kwargs):
        audiodecode.load(corpus["wav_pcm16"], sr=16000)
        audiodecode.load(corpus["mp3"], sr=None, mono=True)
        nested.append(block)
    assert len(nested) == len(alone)
    for a, b in zip(nested, alone, strict=True):
        assert_same_array(a, b)


def test_fit_length_pads_in_place_only_what_nobody_else_holds():
    """Growing soxr's array in place must never resize an array the caller still refers to."""
    from audiodecode._resample import fit_length

    held = np.arange(1, 6, dtype=np.float32).reshape(5, 1)
    grown = fit_length(held, 7)  # ``held`` still refers to it: numpy refuses, frames copied
    assert held.shape == (5, 1)
    assert np.array_equal(held[:, 0], [1, 2, 3, 4, 5])
    assert np.array_equal(grown[:, 0], [1, 2, 3, 4, 5, 0, 0])
    assert not np.shares_memory(grown, held)
    view = fit_length(held[:, :], 7)  # a view: never resized
    assert held.shape == (5, 1)
    assert np.array_equal(view[:, 0], [1, 2, 3, 4, 5, 0, 0])
    assert np.array_equal(fit_length(np.ones((6, 2), np.float32), 4), np.ones((4, 2)))
    alone = fit_length(np.full((3, 2), 2.0), 5)  # nobody else holds it: grown, zero-padded
    assert np.array_equal(alone, [[2, 2], [2, 2], [2, 2], [0, 0], [0, 0]])


@pytest.mark.parametrize("fill_value", [None, 0.25])
def test_stream_follows_librosa_1_whatever_librosa_is_installed(corpus, fill_value):
    """librosa 1.0's rule: block ``i`` is ``z[i*advance : i*advance + block_size]`` for every
    ``i * advance < len(z)``, where ``z`` is what ``load`` returns; the last ones are short (or
    padded with ``fill_value``). librosa 0.11's rule is the librosa patch's to ask for."""
    block_length, frame_length, hop_length = 3, 1024, 256
    z, _ = audiodecode.load(corpus["wav_pcm16"], sr=None)
    block_size, advance = (block_length - 1) * hop_length + frame_length, block_length * hop_length
    expected = []
    for start in range(0, len(z), advance):
        block = z[start : start + block_size]
        if fill_value is not None and len(block) < block_size:
            block = np.concatenate([block, np.full(block_size - len(block), fill_value, z.dtype)])
        expected.append(block)
    actual = list(audiodecode.stream(corpus["wav_pcm16"], block_length=block_length,
                                     frame_length=frame_length, hop_length=hop_length,
                                     fill_value=fill_value))
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        assert_same_array(got, want)
