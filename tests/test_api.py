"""The public functions' own rules (``audiodecode._api``), beyond what librosa checks."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import audiodecode
from audiodecode._api import native_block_step

STREAMING_GUIDE = Path(__file__).resolve().parent.parent / "docs" / "guide" / "streaming.md"


def _streaming_example() -> str:
    """The streaming guide's first example (the README shows the same one)."""
    match = re.search(r"```python\n(.*?)```", STREAMING_GUIDE.read_text(), re.DOTALL)
    assert match is not None
    return match.group(1)


@pytest.mark.parametrize("sample_rate", [22050, 44100, 48000, 24000, 8000])
def test_the_streaming_example_runs_at_common_rates(tmp_path: Path, sample_rate: int) -> None:
    path = tmp_path / "audiobook.mp3"
    noise = np.random.default_rng(0).uniform(-0.3, 0.3, (sample_rate * 6, 2))
    sf.write(path, noise, sample_rate, format="MP3")
    code = _streaming_example().replace('"audiobook.mp3"', repr(str(path)))
    namespace: dict[str, object] = {}
    exec(compile(code, "streaming.md", "exec"), namespace)  # noqa: S102 - the guide's own code
    spectrum = namespace["spectrum"]  # the last block's frames
    assert isinstance(spectrum, np.ndarray)
    assert spectrum.shape[1] == 201  # 400-sample frames: 201 bins
    assert np.any(spectrum > 0)


@pytest.mark.parametrize(
    ("sr_native", "sr", "block_length", "hop_length", "advice"),
    [
        (22050, 16000, 256, 512, "multiple of 5 (e.g. 255 or 260) with hop_length=512"),
        (44100, 16000, 3, 100, "multiple of 8 (e.g. 8) with hop_length=100"),
        (44100, 16000, 3, 100, "hop_length that is a multiple of 160 (e.g. 160) with block_length=3"),
    ],
)
def test_fractional_step_error_says_what_works(
    sr_native: int, sr: int, block_length: int, hop_length: int, advice: str
) -> None:
    with pytest.raises(ValueError, match="fractional sample advance") as raised:
        native_block_step(block_length, hop_length, sr, sr_native)
    assert advice in str(raised.value)


@pytest.mark.parametrize(("sr_native", "sr"), [(22050, 16000), (44100, 16000), (48000, 44100),
                                               (32000, 22050), (11025, 16000)])
def test_suggested_block_length_is_accepted(sr_native: int, sr: int) -> None:
    block_length, hop_length = 256, 512
    with pytest.raises(ValueError, match="fractional") as raised:
        native_block_step(block_length, hop_length, sr, sr_native)
    suggested = re.search(r"block_length that is a multiple of \d+ \(e\.g\. (\d+)",
                          str(raised.value))
    assert suggested is not None
    block = int(suggested.group(1))
    step = native_block_step(block, hop_length, sr, sr_native)
    assert step == block * hop_length * sr_native / sr


def test_stream_refuses_an_odd_rate_ratio_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "clip.wav"
    sf.write(path, np.zeros(22050), 22050)
    with pytest.raises(ValueError, match="simple fraction"):
        list(audiodecode.stream(path, block_length=4, frame_length=400, hop_length=160,
                                sr=16000.3))


# Non-finite samples: librosa (0.11 and 1.0) checks them in to_mono and in resample
# (librosa.util.valid_audio), so load refuses them with mono=True or a target sr, and returns
# them with mono=False, sr=None. librosa itself is the oracle.


@pytest.fixture(scope="module")
def nonfinite_wavs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("nonfinite")
    rng = np.random.default_rng(7)
    paths = {}
    for name, bad in (("nan", np.nan), ("inf", np.inf), ("finite", 0.25)):
        y = rng.uniform(-0.5, 0.5, (8000, 2)).astype(np.float32)
        y[1000, 1] = bad
        y[4000, 0] = -bad if name == "inf" else bad
        paths[name] = folder / f"{name}.wav"
        sf.write(paths[name], y, 8000, subtype="FLOAT")
    return paths


def _librosa_outcome(path: Path, **kwargs: object) -> object:
    import librosa

    try:
        return librosa.load(path, **kwargs)
    except librosa.util.exceptions.ParameterError as exc:
        return exc


@pytest.mark.parametrize("kind", ["nan", "inf"])
@pytest.mark.parametrize(("mono", "sr"), [(True, None), (False, 4000), (True, 16000)])
def test_nonfinite_samples_are_refused_where_librosa_refuses_them(nonfinite_wavs, kind, mono, sr):
    path = nonfinite_wavs[kind]
    expected = _librosa_outcome(path, mono=mono, sr=sr)
    assert isinstance(expected, Exception)
    assert "not finite" in str(expected)
    with pytest.raises(audiodecode.NonFiniteAudioError, match=r"NaN or infinity") as caught:
        audiodecode.load(path, mono=mono, sr=sr)
    assert str(path) in str(caught.value)
    assert isinstance(caught.value, audiodecode.CorruptAudioError)


@pytest.mark.parametrize("kind", ["nan", "inf", "finite"])
def test_nonfinite_samples_are_returned_where_librosa_returns_them(nonfinite_wavs, kind):
    path = nonfinite_wavs[kind]
    y, sr = audiodecode.load(path, mono=False, sr=None)
    expected, expected_sr = _librosa_outcome(path, mono=False, sr=None)
    assert sr == expected_sr == 8000
    assert (y.dtype, y.shape) == (expected.dtype, expected.shape)
    assert y.tobytes() == expected.tobytes()


def test_finite_float_samples_are_librosas_bytes(nonfinite_wavs):
    y, sr = audiodecode.load(nonfinite_wavs["finite"], sr=16000)
    expected, expected_sr = _librosa_outcome(nonfinite_wavs["finite"], sr=16000)
    assert sr == expected_sr
    assert y.tobytes() == expected.tobytes()


def test_a_patched_librosa_raises_librosas_own_error_for_nonfinite_samples(nonfinite_wavs):
    import librosa

    from audiodecode import compat

    compat.patch_librosa(verbose=False)
    try:
        with pytest.raises(librosa.util.exceptions.ParameterError, match="not finite"):
            librosa.load(nonfinite_wavs["nan"])
    finally:
        compat.unpatch_librosa()
