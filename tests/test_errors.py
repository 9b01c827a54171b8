"""Typed, picklable errors that name the file and the reason."""

from __future__ import annotations

import pickle

import pytest

from audiodecode import AudioDecodeError, CorruptAudioError, UnsupportedFormatError


@pytest.mark.parametrize("cls", [AudioDecodeError, CorruptAudioError, UnsupportedFormatError])
def test_errors_pickle_with_their_fields(cls):
    err = cls("clip.m4a", "moov atom not found", "pyav")
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is cls
    assert (copy.source, copy.reason, copy.backend) == ("clip.m4a", "moov atom not found", "pyav")
    assert str(copy) == "clip.m4a: moov atom not found [pyav]"


def test_errors_are_runtime_errors():
    assert issubclass(AudioDecodeError, RuntimeError)
    assert issubclass(CorruptAudioError, AudioDecodeError)
    assert issubclass(UnsupportedFormatError, AudioDecodeError)


def test_error_rebuilt_from_its_message_alone():
    """PyTorch's DataLoader re-raises worker errors as ``type(exc)(message)``."""
    err = AudioDecodeError("clip.wav: bad header [wav]")
    assert str(err) == "clip.wav: bad header [wav]"
