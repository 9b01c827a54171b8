"""Inputs are told apart once, and the container is sniffed from bytes, not names."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf
from _assert import assert_same_array
from _file_objects import ReadOnly, TwoBytesAtATime

import audiodecode
from audiodecode._source import open_source, sniff


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "wav"),
        (b"RF64\xff\xff\xff\xffWAVEds64", "wav"),
        (b"FORM\x00\x00\x00\x00AIFFCOMM", "aiff"),
        (b"FORM\x00\x00\x00\x00AIFCFVER", "aiff"),
        (b"fLaC\x00\x00\x00\x22", "flac"),
        (b"OggS\x00\x02", "ogg"),
        (b"ID3\x04\x00\x00", "mp3"),
        (b"\xff\xfb\x90\x64", "mp3"),
        (b"\xff\xf1\x50\x80", "aac"),
        (b"\x00\x00\x00\x20ftypM4A ", "mp4"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81", "matroska"),
        (bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c"), "asf"),
        (b"\x0b\x77\x12\x34", "ac3"),
        (b"#!AMR\n\x3c", "amr"),
        (b"caff\x00\x01", "caf"),
        (b"hello world", "unknown"),
        (b"", "unknown"),
    ],
)
def test_sniff(head, kind):
    assert sniff(head) == kind


def test_missing_path_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError) as excinfo:
        audiodecode.load(tmp_path / "nope.wav")
    assert "nope.wav" in str(excinfo.value)


def test_directory_is_refused(tmp_path):
    with pytest.raises(IsADirectoryError):
        audiodecode.load(tmp_path)


def test_text_mode_file_gets_a_helpful_type_error(tmp_path):
    path = tmp_path / "x.wav"
    path.write_text("not audio")
    with path.open() as handle, pytest.raises(TypeError, match="'rb'"):
        audiodecode.load(handle)


def test_unsupported_argument_type():
    with pytest.raises(TypeError, match="expected a path"):
        audiodecode.load([1, 2, 3])


def test_container_is_sniffed_not_guessed_from_the_name(corpus, tmp_path):
    misnamed = tmp_path / "actually_flac.mp3"
    misnamed.write_bytes(corpus["flac_16"].read_bytes())
    assert audiodecode.info(misnamed).format == "flac"
    y1, _ = audiodecode.load(misnamed, sr=None)
    y2, _ = audiodecode.load(corpus["flac_16"], sr=None)
    assert (y1 == y2).all()


def test_non_seekable_file_object_is_buffered(corpus):
    data = corpus["wav_pcm16"].read_bytes()

    class Pipe(io.RawIOBase):
        def __init__(self):
            self._inner = io.BytesIO(data)

        def readable(self):
            return True

        def seekable(self):
            return False

        def readinto(self, buffer):
            chunk = self._inner.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    y_pipe, _ = audiodecode.load(Pipe(), sr=None)
    y_path, _ = audiodecode.load(corpus["wav_pcm16"], sr=None)
    assert (y_pipe == y_path).all()


def test_bytes_source_is_named_in_errors():
    with pytest.raises(audiodecode.AudioDecodeError, match="<bytes>"):
        audiodecode.load(b"definitely not audio" * 10)


def test_source_closes_only_what_it_opened(corpus):
    handle = corpus["wav_pcm16"].open("rb")
    with open_source(handle) as source:
        assert source.fileobj is handle
    assert not handle.closed
    handle.close()


def test_bytes_that_only_look_like_mp3_get_a_decode_error(tmp_path):
    """libsndfile's odd "not a regular file" message is not the last word: FFmpeg tries too."""
    path = tmp_path / "noise.bin"
    path.write_bytes(b"\xff\xfb\x90\x64" + bytes(range(256)) * 40)
    with pytest.raises(audiodecode.AudioDecodeError, match=r"noise\.bin.*FFmpeg cannot read"):
        audiodecode.load(path)


def test_file_object_with_only_read_and_seek(corpus):
    """A minimal file object (no readinto, short reads) reads like the path."""
    data = corpus["wav_pcm16"].read_bytes()

    class Minimal:
        def __init__(self):
            self._inner = io.BytesIO(data)

        def read(self, size=-1):
            return self._inner.read(min(size, 1000) if size and size > 0 else size)

        def seek(self, offset, whence=0):
            return self._inner.seek(offset, whence)

        def tell(self):
            return self._inner.tell()

    y_minimal, _ = audiodecode.load(Minimal(), sr=None, mono=False)
    y_path, _ = audiodecode.load(corpus["wav_pcm16"], sr=None, mono=False)
    np.testing.assert_array_equal(y_minimal, y_path, strict=True)


def _raw_file(path):
    return open(path, "rb", buffering=0)  # noqa: SIM115 - closed by the test


@pytest.mark.parametrize("kind", ["wav_pcm16", "flac_16", "ogg_vorbis", "mp3"])
@pytest.mark.parametrize("wrap", [TwoBytesAtATime, ReadOnly, "raw"])
def test_file_objects_that_read_short_or_only_read_n(short_corpus, kind, wrap):
    """Short reads are not the end of the file, a read(n) that needs its n gets one, and the
    samples are libsndfile's from the path (SoundFile.read with no seek: librosa's read)."""
    path = short_corpus[kind]
    if wrap == "raw":
        with _raw_file(path) as first, _raw_file(path) as second:
            y, sr = audiodecode.load(first, sr=None, mono=False)
            details = audiodecode.info(second)
            assert not first.closed  # the caller's, left open
            assert not second.closed
    else:
        y, sr = audiodecode.load(wrap(path.read_bytes()), sr=None, mono=False)
        details = audiodecode.info(wrap(path.read_bytes()))
    with sf.SoundFile(path) as file:
        expected = file.read(dtype="float32")
    assert sr == file.samplerate
    assert_same_array(np.ascontiguousarray(y.T), expected)
    assert (details.frames, details.channels) == (len(expected), expected.shape[1])


def _open_descriptors() -> int:
    import os

    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not __import__("os").path.isdir("/proc/self/fd"), reason="needs /proc")
def test_local_files_leave_no_descriptor_open(tmp_path, short_corpus):
    """Local files are opened as bare descriptors: every path, failing or not, closes them."""
    (tmp_path / "text.wav").write_bytes(b"RIFF....WAVE" + b"not a chunk" * 10)
    before = _open_descriptors()
    for _ in range(20):
        audiodecode.load(short_corpus["wav_pcm16"], sr=16000)
        audiodecode.info(short_corpus["wav_pcm16"])
        for bad in (tmp_path, tmp_path / "missing.wav", tmp_path / "text.wav"):
            with pytest.raises((OSError, audiodecode.AudioDecodeError)):
                audiodecode.load(bad)
    assert _open_descriptors() == before


def test_directory_error_names_the_path(tmp_path):
    with pytest.raises(IsADirectoryError) as excinfo:
        audiodecode.load(tmp_path)
    assert str(tmp_path) in str(excinfo.value)
