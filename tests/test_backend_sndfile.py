"""The libsndfile reader: reads as librosa reads, whatever the block size.

``SoundFile.read`` is one ``sf_readf_*`` call and a seek to where it stopped; reading a track
block by block through soundfile seeks after every block, and libmpg123 decodes differently
after a seek. The reader calls ``sf_readf_*`` itself, so any block size gives the samples of
librosa's one read; ``stream`` asks for soundfile's seeks back, as ``librosa.stream`` has them.
"""

from __future__ import annotations

import functools
import hashlib
import io
from typing import TYPE_CHECKING

import numpy as np
import pytest
import soundfile as sf
from _assert import assert_same_array
from _whole_tracks import shared_folder, write_tracks

import audiodecode
from audiodecode._source import open_source
from audiodecode.backends.sndfile import SndfileReader

if TYPE_CHECKING:
    from pathlib import Path

TRACKS = ["mp3_vbr_48k_mono", "mp3_sndfile_44k_stereo", "vorbis_44k_stereo",
          "opus_48k_stereo", "flac_44k_stereo"]


@pytest.fixture(scope="module")
def tracks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_tracks(shared_folder(tmp_path_factory), TRACKS)


def read_in_blocks(path: Path, block_frames: int, dtype: str, *, seek_after_read: bool = False,
                   first: int | None = None) -> np.ndarray:
    with open_source(path) as source, SndfileReader(source) as reader:
        if seek_after_read:
            reader.seek(0)  # librosa.stream seeks to its start even at 0 (Opus starts elsewhere)
            reader.seek_after_read = True
        out = np.empty((reader.frames, reader.channels), dtype)
        done, size = 0, first or block_frames
        while got := reader.readinto(out[done : done + size]):
            done += got
            size = block_frames
        return out[:done]


# Every track at the pipeline's and odd block sizes; one MP3 also a few frames per call.
BLOCK_CASES = [(name, frames) for name in TRACKS for frames in (1151, 4096, 65536, 1 << 22)]
BLOCK_CASES.append(("mp3_vbr_48k_mono", 7))


def one_soundfile_read(path: Path, dtype: str) -> np.ndarray:
    with sf.SoundFile(path) as handle:
        return handle.read(dtype=dtype, always_2d=True)


def identity(array: np.ndarray) -> tuple[str, tuple[int, ...], str]:
    """dtype, shape and SHA-256 of the bytes: equal exactly when ``assert_same_array`` passes."""
    return str(array.dtype), array.shape, hashlib.sha256(array.tobytes()).hexdigest()


@functools.cache
def one_soundfile_read_identity(path: Path, dtype: str) -> tuple[str, tuple[int, ...], str]:
    """``identity`` of ``one_soundfile_read``: each track is decoded once per dtype for all its
    block sizes, not once per case, and no array is kept."""
    return identity(one_soundfile_read(path, dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("name", "block_frames"), BLOCK_CASES,
                         ids=[f"{name}-{frames}" for name, frames in BLOCK_CASES])
def test_any_block_size_gives_one_soundfile_read(
    tracks: dict[str, Path], name: str, block_frames: int, dtype: str
) -> None:
    got = read_in_blocks(tracks[name], block_frames, dtype)
    if identity(got) != one_soundfile_read_identity(tracks[name], dtype):
        # Decode the reference again, to say where the two differ.
        assert_same_array(got, one_soundfile_read(tracks[name], dtype))
        pytest.fail("soundfile's read of the track changed between two decodes")


def test_soundfile_blocks_differ_on_mp3_which_is_why_the_reader_exists(
    tracks: dict[str, Path],
) -> None:
    """The cause, kept as a test: soundfile's block reads are not its whole read on MP3."""
    path = tracks["mp3_vbr_48k_mono"]
    with sf.SoundFile(path) as handle:
        whole = handle.read(dtype="float32")
    with sf.SoundFile(path) as handle:
        blocks = np.concatenate(list(handle.blocks(65536, dtype="float32")))
    assert blocks.shape == whole.shape
    assert not np.array_equal(blocks, whole)


@pytest.mark.parametrize("name", TRACKS)
def test_seek_after_read_gives_soundfile_blocks(tracks: dict[str, Path], name: str) -> None:
    """``librosa.stream`` reads through ``SoundFile.blocks``; the reader can read the same way."""
    block, overlap = 9000, 1500
    with sf.SoundFile(tracks[name]) as handle:
        handle.seek(0)
        pieces = [b if i == 0 else b[overlap:]
                  for i, b in enumerate(handle.blocks(block, overlap=overlap, dtype="float32",
                                                      always_2d=True))]
    expected = np.concatenate(pieces)
    actual = read_in_blocks(tracks[name], block - overlap, "float32", seek_after_read=True,
                            first=block)
    assert_same_array(actual, expected)


def test_load_prints_nothing_from_libmpg123(
    tracks: dict[str, Path], capfd: pytest.CaptureFixture[str]
) -> None:
    """Block-wise reads with seeks made libmpg123 print ``part2_3_length`` lines per load."""
    for sr in (None, 16000):
        audiodecode.load(tracks["mp3_sndfile_44k_stereo"], sr=sr)
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("as_input", ["bytes", "BytesIO"])
def test_a_header_that_seeks_before_the_start_is_refused_quietly(tmp_path: Path,
                                                                  as_input: str) -> None:
    """Found by the fuzzer: this AIFF header makes libsndfile seek to -1. Through soundfile's
    virtual I/O that raised inside a cffi callback ("Exception ignored ..." on stderr, and an
    unraisable-exception warning); now the seek fails as fseek does, and the file is refused."""
    import gc
    import io
    import sys

    import _corpus

    data = bytearray(_corpus.write(tmp_path / "x.aiff", "aiff_pcm16", sample_rate=8000,
                                   channels=1, seconds=0.05).read_bytes())
    data[4:7] = bytes([154, 179, 223])  # the FORM size
    data[27:42] = bytes([20, 51, 200, 102, 133, 183, 240, 86, 104, 29, 81, 82, 175, 128, 60])
    source = bytes(data) if as_input == "bytes" else io.BytesIO(bytes(data))
    unraisable: list[str] = []
    previous, sys.unraisablehook = sys.unraisablehook, lambda u: unraisable.append(repr(u))
    try:
        with pytest.raises(audiodecode.AudioDecodeError):
            audiodecode.load(source, sr=None)
        gc.collect()
    finally:
        sys.unraisablehook = previous
    assert unraisable == []


def test_soundfile_still_has_the_bindings_we_call():
    """backends/_libsndfile calls libsndfile through soundfile's private cffi bindings: a
    soundfile release that renames them must fail here, by name, not deep inside a load."""
    import soundfile

    from audiodecode.backends import _libsndfile

    missing = [f"soundfile._snd.{name}" for name in
               (*_libsndfile.USED_FUNCTIONS, *_libsndfile.USED_CONSTANTS)
               if not hasattr(soundfile._snd, name)]
    missing += [f"soundfile.{name}" for name in _libsndfile.USED_MODULE_ATTRIBUTES
                if not hasattr(soundfile, name)]
    with soundfile.SoundFile(io.BytesIO(_wav_bytes()), "r") as file:
        missing += [f"soundfile.SoundFile().{name}" for name in
                    _libsndfile.USED_SOUNDFILE_ATTRIBUTES if not hasattr(file, name)]
    assert not missing, (
        f"soundfile {soundfile.__version__} no longer has {', '.join(missing)}, which "
        "audiodecode/backends/_libsndfile.py calls: adapt that module to this release")


@pytest.mark.parametrize(("fmt", "subtype"), [("WAV", "PCM_16"), ("WAV", "FLOAT"),
                                              ("FLAC", "PCM_24"), ("OGG", "VORBIS"),
                                              ("AIFF", "PCM_S8"), ("MP3", "MPEG_LAYER_III")])
def test_the_reader_names_format_and_subtype_as_soundfile_does(tmp_path, fmt, subtype):
    path = tmp_path / f"clip.{fmt.lower()}"
    sf.write(path, np.zeros((800, 2)), 8000, format=fmt, subtype=subtype)
    with sf.SoundFile(path) as oracle, open_source(path) as source, \
            SndfileReader(source) as reader:
        assert (reader.libsndfile_format, reader.libsndfile_subtype) == (oracle.format,
                                                                          oracle.subtype)
        assert (reader.sample_rate, reader.channels, reader.frames) == (
            oracle.samplerate, oracle.channels, oracle.frames)


def _wav_bytes() -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, np.zeros(16), 8000, format="WAV")
    return buffer.getvalue()
