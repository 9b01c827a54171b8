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


@pytest.mark.parametrize("backend", [None, "wav", "sndfile", "pyav"])
def test_a_midi_file_is_not_audio_not_corrupt(tmp_path, backend):
    """MIDI holds notes, not sound: every entry point calls it unsupported ("not audio"), as
    a folder's listing does, never a damaged audio file, and asks no decoder."""
    import struct

    import audiodecode
    from audiodecode._discovery import NOT_AUDIO, classify

    path = tmp_path / "song.mid"
    path.write_bytes(b"MThd" + struct.pack(">IHHH", 6, 0, 1, 96)
                     + b"MTrk" + struct.pack(">I", 4) + b"\x00\xff\x2f\x00")
    calls = [lambda: audiodecode.load(path, backend=backend),
             lambda: audiodecode.info(path, backend=backend),
             lambda: next(iter(audiodecode.stream(path, block_length=1, frame_length=512,
                                                  hop_length=512, backend=backend)))]
    for call in calls:
        with pytest.raises(UnsupportedFormatError, match="not audio: a MIDI sequence") as info:
            call()
        assert not isinstance(info.value, CorruptAudioError)
        assert info.value.source == str(path)
    assert classify(path).kind == NOT_AUDIO
