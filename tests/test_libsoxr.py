"""libsoxr's one-shot call through ctypes: python-soxr's samples, librosa's length, no GIL."""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import librosa
import numpy as np
import pytest
import soxr
from _assert import assert_same_array

import audiodecode
from audiodecode import _libsoxr, _resample

QUALITIES = ["soxr_vhq", "soxr_hq", "soxr_mq", "soxr_lq", "soxr_qq"]


@pytest.fixture
def resample() -> _libsoxr.OneShot:
    binding = _libsoxr.oneshot()
    if binding is None:  # pragma: no cover - see test_the_binding_is_made_on_linux
        pytest.skip("python-soxr's extension does not export libsoxr's C API here")
    return binding


@pytest.mark.skipif(sys.platform != "linux", reason="other platforms may not export the C API")
def test_the_binding_is_made_on_linux():
    """On Linux python-soxr's wheels export libsoxr's API: a silent fallback would be a slowdown."""
    assert _libsoxr.oneshot() is not None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("quality", QUALITIES)
@pytest.mark.parametrize(
    "rates", [(48000, 16000), (44100, 22050), (16000, 48000), (22050, 16000.5), (8000, 44100)]
)
def test_equals_librosa_resample(resample, dtype, quality, rates):
    """librosa.resample is the oracle: soxr's samples, cut or zero-padded to ceil(n * ratio)."""
    sr_in, sr_out = rates
    rng = np.random.default_rng(3)
    for n in (1, 2, 7, 480, 4097, 48000, 144001):
        for channels in (1, 2, 6):
            x = rng.uniform(-1, 1, (channels, n)).astype(dtype)
            expected = librosa.resample(
                x[0] if channels == 1 else x, orig_sr=sr_in, target_sr=sr_out, res_type=quality
            )
            signal = x[0] if channels == 1 else x.T  # ours is (n, channels), not contiguous
            got = resample(signal, sr_in, sr_out, quality, expected.shape[-1])
            assert got is not None
            assert_same_array(got if channels == 1 else got.T, expected)


def test_output_is_a_new_array_at_the_requested_length(resample):
    x = np.ones(48000, np.float32)
    first = resample(x, 48000, 16000, "soxr_hq", 16000)
    second = resample(x, 48000, 16000, "soxr_hq", 16000)
    assert first.shape == (16000,)
    assert not np.shares_memory(first, second)
    longer = resample(x, 48000, 16000, "soxr_hq", 16010)
    np.testing.assert_array_equal(longer[16000:], np.zeros(10, np.float32))


def test_threads_get_the_samples_of_one_thread(resample):
    """The point of the binding is calls in parallel: each must be independent of the others."""
    rng = np.random.default_rng(5)
    signals = [rng.uniform(-1, 1, int(n)).astype(np.float32) for n in rng.integers(1, 60000, 64)]
    expected = [soxr.resample(x, 48000, 16000) for x in signals]
    start = threading.Barrier(4)

    def run(indices: range) -> list[np.ndarray | None]:
        start.wait()
        return [resample(signals[i], 48000, 16000, "soxr_hq", len(expected[i])) for i in indices]

    with ThreadPoolExecutor(4) as pool:
        results = [y for part in pool.map(run, [range(k, 64, 4) for k in range(4)]) for y in part]
    order = [i for k in range(4) for i in range(k, 64, 4)]
    for i, y in zip(order, results, strict=True):
        assert_same_array(y, expected[i])


@pytest.mark.parametrize(
    ("signal", "sr_in", "sr_out", "quality"),
    [
        (np.ones(10, np.int16), 48000, 16000, "soxr_hq"),  # a dtype libsoxr is not set up for
        (np.ones(10, np.float32), 48000, 16000, "kaiser_best"),  # not a soxr quality
        (np.ones(10, np.float32), 48000, float("inf"), "soxr_hq"),
        (np.ones(10, np.float32), 0, 16000, "soxr_hq"),
        (np.ones(0, np.float32), 48000, 16000, "soxr_hq"),
    ],
)
def test_what_it_does_not_handle_is_left_to_python_soxr(resample, signal, sr_in, sr_out, quality):
    assert resample(signal, sr_in, sr_out, quality, 4) is None


def test_an_error_from_libsoxr_is_left_to_python_soxr(resample, monkeypatch):
    monkeypatch.setattr(resample, "_call", lambda *args: b"some libsoxr error")
    assert resample(np.ones(10, np.float32), 48000, 16000, "soxr_hq", 4) is None


def test_a_binding_that_disagrees_with_python_soxr_is_not_used():
    def off_by_one(signal, sr_in, sr_out, quality, length):
        return soxr.resample(signal, sr_in, sr_out, quality=quality)[:length] + 1e-7

    assert not _libsoxr._same_as_python_soxr(off_by_one)
    assert not _libsoxr._same_as_python_soxr(lambda *args: None)


def test_without_a_binding_python_soxr_resamples(monkeypatch):
    monkeypatch.setattr(_libsoxr, "_EXTENSION_MODULES", ("no.such.module",))
    _libsoxr.oneshot.cache_clear()
    try:
        assert _libsoxr.oneshot() is None
    finally:
        monkeypatch.undo()
        _libsoxr.oneshot.cache_clear()


def test_load_is_the_same_with_or_without_the_binding(short_corpus, monkeypatch):
    path = short_corpus["wav_pcm16"]
    requests = [{"sr": sr, "mono": mono} for sr in (16000, 8000) for mono in (True, False)]
    expected = [audiodecode.load(path, **kwargs)[0] for kwargs in requests]
    monkeypatch.setattr(_resample, "oneshot", lambda: None)
    for kwargs, y_ref in zip(requests, expected, strict=True):
        assert_same_array(audiodecode.load(path, **kwargs)[0], y_ref)


def test_the_environment_switch_turns_the_binding_off(short_corpus):
    """``AUDIODECODE_SOXR_ONESHOT=0``: python-soxr resamples, and the arrays are librosa's."""
    import os
    import subprocess
    import sys

    script = (
        "import sys, numpy as np, librosa, audiodecode\n"
        "from audiodecode import _libsoxr\n"
        "assert _libsoxr.oneshot() is None\n"
        "for path in sys.argv[1:]:\n"
        "    ours, _ = audiodecode.load(path, sr=16000)\n"
        "    theirs, _ = librosa.load(path, sr=16000)\n"
        "    np.testing.assert_array_equal(ours, theirs, strict=True)\n"
        "print('ok')\n"
    )
    paths = [str(short_corpus[kind]) for kind in ("wav_pcm16", "flac_16", "mp3")]
    done = subprocess.run([sys.executable, "-c", script, *paths], capture_output=True, text=True,
                          env=dict(os.environ, AUDIODECODE_SOXR_ONESHOT="0"), check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"
