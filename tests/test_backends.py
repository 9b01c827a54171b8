"""The backend chain (``audiodecode.backends``): sniffed order, and falling through on failure.

A backend that claims a file but cannot decode it (libsndfile on a stream it calls malformed,
a sample width it lacks) must not end the search: the next backend decodes from the start,
and only when every one fails is an error raised, naming each one's reason.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
import soundfile as sf
from _assert import assert_same_array

import audiodecode
from audiodecode import CorruptAudioError, UnsupportedFormatError
from audiodecode.backends.sndfile import SndfileReader

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def flac(tmp_path: Path) -> Path:
    path = tmp_path / "song.flac"
    sf.write(path, np.random.default_rng(0).uniform(-0.5, 0.5, (44100, 2)), 44100)
    return path


@pytest.fixture
def malformed_for_libsndfile(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """libsndfile opens every file but fails on its first read, as on a 'malformed' stream."""
    calls: list[int] = []

    def fail(self: SndfileReader, out: np.ndarray) -> int:
        calls.append(len(out))
        raise CorruptAudioError(self.source.name, "Error : malformed file", self.name)

    monkeypatch.setattr(SndfileReader, "readinto", fail)
    return calls


@pytest.mark.parametrize("as_input", ["path", "BytesIO"])
def test_a_backend_that_fails_to_decode_hands_over_to_the_next(
    flac: Path, malformed_for_libsndfile: list[int], as_input: str
) -> None:
    source: Any = flac if as_input == "path" else io.BytesIO(flac.read_bytes())
    y, sr = audiodecode.load(source, sr=None, mono=False)
    assert malformed_for_libsndfile  # libsndfile was asked first, and failed
    expected, _ = audiodecode.load(flac, sr=None, mono=False, backend="pyav")
    assert_same_array(y, expected)
    assert sr == 44100


def test_when_every_backend_fails_the_error_names_each_reason(
    flac: Path, malformed_for_libsndfile: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from audiodecode.backends.pyav import PyAVReader

    def fail(self: PyAVReader, out: np.ndarray) -> int:
        raise CorruptAudioError(self.source.name, "decoding failed near frame 0", self.name)

    monkeypatch.setattr(PyAVReader, "readinto", fail)
    with pytest.raises(CorruptAudioError) as raised:
        audiodecode.load(flac, sr=16000)
    message = str(raised.value)
    assert message.startswith(str(flac))
    assert "sndfile: Error : malformed file" in message
    assert "pyav: decoding failed near frame 0" in message
    assert isinstance(raised.value.__cause__, CorruptAudioError)


def test_a_forced_backend_keeps_its_own_error(flac: Path, malformed_for_libsndfile: list[int]) -> None:
    with pytest.raises(CorruptAudioError) as raised:
        audiodecode.load(flac, backend="sndfile")
    assert str(raised.value) == f"{flac}: Error : malformed file [sndfile]"


def test_an_argument_error_does_not_fall_through(flac: Path) -> None:
    with pytest.raises(ValueError, match="outside the audio"):
        audiodecode.load(flac, offset=5.0)


def test_not_audio_lists_every_backend_that_declined(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp3"
    path.write_text("just some text, not audio at all\n" * 40)
    with pytest.raises(UnsupportedFormatError) as raised:
        audiodecode.load(path)
    assert "sndfile:" in str(raised.value)
    assert "pyav:" in str(raised.value)


def test_a_broken_header_is_corrupt_with_every_backends_reason(tmp_path: Path) -> None:
    path = tmp_path / "broken.wav"
    path.write_bytes(b"RIFF????WAVE but then just text " * 40)
    with pytest.raises(CorruptAudioError) as raised:
        audiodecode.load(path)
    for name in ("wav: ", "sndfile: ", "pyav: looks like wav"):
        assert name in str(raised.value)
