"""The FFmpeg backend reader (``audiodecode.backends.pyav``) against a plain PyAV decode.

Every fixture is encoded here, through PyAV, from a seeded noise + chirp signal. A format is
skipped only when this PyAV build lacks its encoder. The reference is an *independent* decode
written in this module: ``container.decode(audio=0)`` + ``frame.to_ndarray()`` + the scaling
libsndfile and FFmpeg use (convert to the output type, then multiply by a power of two). It
shares no code with the reader.

Damaged files: FFmpeg either fails (the reader must raise an ``AudioDecodeError`` subclass)
or decodes what it can, e.g. the readable prefix of a truncated Ogg or raw AC-3 stream and,
for Opus or Ogg pages it can resynchronise on, the rest; then the reader must return exactly
what the plain loop returns. ``test_damaged_file`` checks whichever of the two FFmpeg does.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import struct
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import av
import numpy as np
import pytest
from _assert import assert_same_array
from _plain_pyav import plain_decode

from audiodecode._source import Source, open_source
from audiodecode.backends._base import Decline, Length
from audiodecode.backends.pyav import PyAVReader
from audiodecode.errors import (
    AudioDecodeError,
    CorruptAudioError,
    UnsupportedFormatError,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

SECONDS = 4.0
DTYPES = [np.float32, np.float64]


@dataclass(frozen=True)
class Spec:
    """One fixture: how to encode it and what the reader should report."""

    name: str
    filename: str
    encoder: str
    rate: int
    channels: int
    sample_format: str | None  # encoder input format; None: the encoder's first
    format: str  # expected ``reader.format``
    codec: str  # expected ``reader.codec``
    bits: int | None  # expected ``reader.bits_per_sample``
    # How a far seek must be served: "pts" (container.seek placed by timestamp), "restart"
    # (decode from the start), or None (either; the pts path may reject the timestamps).
    seek_path: str | None
    video: bool = False
    options: dict[str, str] = field(default_factory=dict)
    bit_rate: int | None = None
    extra_encoders: tuple[str, ...] = ()


SPECS = [
    Spec("aac_m4a", "aac.m4a", "aac", 44100, 2, None, "mp4", "aac", None, "restart"),
    Spec("alac16_m4a", "alac16.m4a", "alac", 44100, 2, "s16p", "mp4", "alac", 16, "pts"),
    Spec("alac24_m4a", "alac24.m4a", "alac", 48000, 2, "s32p", "mp4", "alac", 24, "pts"),
    Spec("opus_webm", "opus.webm", "libopus", 48000, 2, None, "matroska", "opus", None, "restart"),
    Spec("opus_mono_ogg", "opus.opus", "libopus", 48000, 1, None, "ogg", "opus", None, "restart"),
    Spec(
        "wma_asf",
        "wma.wma",
        "wmav2",
        44100,
        2,
        None,
        "asf",
        "wmav2",
        None,
        "restart",
        bit_rate=128000,
    ),
    Spec("ac3", "a.ac3", "ac3", 48000, 2, None, "ac3", "ac3", None, "restart"),
    Spec("mp3", "a.mp3", "libmp3lame", 44100, 2, None, "mp3", "mp3", None, "restart"),
    Spec("mp3_in_mp4", "mp3.mp4", "libmp3lame", 44100, 2, None, "mp4", "mp3", None, "pts"),
    Spec(
        "video_mp4",
        "video.mp4",
        "aac",
        44100,
        2,
        None,
        "mp4",
        "aac",
        None,
        "restart",
        video=True,
        extra_encoders=("mpeg4",),
    ),
    Spec("flac24", "a.flac", "flac", 44100, 2, "s32", "flac", "flac", 24, "pts"),
    Spec("flac_in_ogg", "flac.oga", "flac", 44100, 2, "s16", "ogg", "flac", 16, None),
    Spec(
        "vorbis_ogg",
        "vorbis.ogg",
        "vorbis",
        44100,
        2,
        None,
        "ogg",
        "vorbis",
        None,
        "pts",
        options={"strict": "experimental"},
    ),
    Spec("pcm_u8_wav", "u8.wav", "pcm_u8", 22050, 1, "u8", "wav", "pcm_u8", 8, "pts"),
    Spec("pcm_f64_wav", "f64.wav", "pcm_f64le", 16000, 2, "dbl", "wav", "pcm_f64le", 64, "pts"),
    # FFmpeg decodes 64-bit integer PCM to s64, which PyAV's to_ndarray does not handle
    Spec("pcm_s64_wav", "s64.wav", "(hand-built)", 8000, 2, None, "wav", "pcm_s64le", 64, "pts"),
]
SPEC = {spec.name: spec for spec in SPECS}
NAMES = [spec.name for spec in SPECS]


# -- fixture files ---------------------------------------------------------------------------


def _signal(n: int, channels: int, rate: int, seed: int = 0) -> np.ndarray:
    """Seeded noise + a rising chirp, ``(channels, n)`` float32 in [-1, 1]."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / rate
    top = min(6000.0, rate / 2.5)
    chirp = 0.45 * np.sin(2 * np.pi * (80.0 * t + (top - 80.0) / (2 * SECONDS) * t**2))
    rows = [(1.0 - 0.3 * c) * chirp + 0.1 * rng.standard_normal(n) for c in range(channels)]
    return np.clip(np.stack(rows), -1.0, 1.0).astype(np.float32)


def _as_input(block: np.ndarray, sample_format: str) -> np.ndarray:
    """A ``(channels, k)`` float block in the layout ``AudioFrame.from_ndarray`` expects."""
    if sample_format.startswith("s16"):
        data: np.ndarray = np.round(block * 32767).astype(np.int16)
    elif sample_format.startswith("s32"):
        # 24 significant bits, as a 24-bit encoder expects them in s32
        data = (np.round(block * 8388607).astype(np.int32) << 8).astype(np.int32)
    elif sample_format.startswith("u8"):
        data = np.round(block * 127 + 128).astype(np.uint8)
    elif sample_format.startswith("dbl"):
        data = block.astype(np.float64)
    else:
        data = block
    if not sample_format.endswith("p"):
        data = data.T.reshape(1, -1)  # packed: one plane, channels interleaved
    return np.ascontiguousarray(data)


def _missing_encoders(spec: Spec) -> list[str]:
    if spec.encoder == "(hand-built)":
        return []
    available = av.codecs_available
    return [name for name in (spec.encoder, *spec.extra_encoders) if name not in available]


def _encode(path: Path, spec: Spec) -> None:
    if spec.encoder == "(hand-built)":
        path.write_bytes(_s64_wav(spec))
        return
    n = int(SECONDS * spec.rate)
    x = _signal(n, spec.channels, spec.rate)
    layout = "mono" if spec.channels == 1 else "stereo"
    with av.open(str(path), "w") as out:
        video = None
        if spec.video:
            # the video stream comes first: the reader must find the audio at index 1
            video = out.add_stream("mpeg4", rate=25)
            video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        stream = out.add_stream(spec.encoder, rate=spec.rate)
        stream.layout = layout
        if spec.bit_rate:
            stream.bit_rate = spec.bit_rate
        if spec.options:
            stream.codec_context.options = dict(spec.options)
        sample_format = spec.sample_format or stream.codec.audio_formats[0].name
        stream.format = sample_format
        hop, shown = 1000, 0
        for start in range(0, n, hop):
            frame = av.AudioFrame.from_ndarray(
                _as_input(x[:, start : start + hop], sample_format),
                format=sample_format,
                layout=layout,
            )
            frame.sample_rate = spec.rate
            frame.pts = start
            frame.time_base = Fraction(1, spec.rate)
            for packet in stream.encode(frame):
                out.mux(packet)
            while video is not None and shown / 25 <= (start + hop) / spec.rate:
                image = np.full((48, 64, 3), (7 * shown) % 256, np.uint8)
                vframe = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(
                    format="yuv420p"
                )
                vframe.pts = shown
                for packet in video.encode(vframe):
                    out.mux(packet)
                shown += 1
        for packet in stream.encode(None):
            out.mux(packet)
        if video is not None:
            for packet in video.encode(None):
                out.mux(packet)


def _s64_wav(spec: Spec) -> bytes:
    """A WAV of 64-bit integer PCM, which FFmpeg reads as pcm_s64le."""
    n = int(SECONDS * spec.rate)
    x = _signal(n, spec.channels, spec.rate)
    data = (x.T.astype(np.float64) * 2.0**62).astype("<i8").tobytes()
    block = 8 * spec.channels
    fmt = struct.pack("<HHIIHH", 1, spec.channels, spec.rate, spec.rate * block, block, 64)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pyav_backend")


_FILES: dict[str, Path] = {}


def _file(fixture_dir: Path, name: str) -> Path:
    """The fixture file ``name``, encoded on first use; skips if the encoder is absent."""
    spec = SPEC[name]
    missing = _missing_encoders(spec)
    if missing:
        pytest.skip(f"{name}: this PyAV build has no {', '.join(missing)} encoder")
    if name not in _FILES:
        path = fixture_dir / spec.filename
        _encode(path, spec)
        _FILES[name] = path
    return _FILES[name]


# -- the independent reference decode (tests/_plain_pyav.py) ---------------------------------


def _plain_decode(source: Any, dtype: type = np.float32) -> np.ndarray:
    return plain_decode(source, dtype)[0]


_REFERENCES: dict[tuple[str, Any], np.ndarray] = {}


def _reference(fixture_dir: Path, name: str, dtype: type = np.float32) -> np.ndarray:
    key = (name, dtype)
    if key not in _REFERENCES:
        _REFERENCES[key] = _plain_decode(str(_file(fixture_dir, name)), dtype)
    return _REFERENCES[key]


@contextlib.contextmanager
def _reader(obj: Any) -> Iterator[PyAVReader]:
    """A reader on ``obj``; closes the reader, then the ``Source`` (which owns its files)."""
    with open_source(obj) as source:
        reader = PyAVReader(source)
        try:
            yield reader
        finally:
            reader.close()


def _read_all(reader: PyAVReader, dtype: type = np.float32, block: int = 1 << 16) -> np.ndarray:
    chunks = []
    while True:
        buf = np.empty((block, reader.channels), dtype)
        got = reader.readinto(buf)
        chunks.append(buf[:got])
        if got < block:
            break
    return np.concatenate(chunks)


# -- decoding ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_attributes(fixture_dir: Path, name: str) -> None:
    spec = SPEC[name]
    path = _file(fixture_dir, name)
    ref = _reference(fixture_dir, name)
    with _reader(path) as reader:
        assert reader.name == "pyav"
        assert reader.sample_rate == spec.rate
        assert isinstance(reader.sample_rate, int)
        assert reader.channels == spec.channels == ref.shape[1]
        assert reader.format == spec.format
        assert reader.codec == spec.codec
        assert reader.bits_per_sample == spec.bits
        assert reader.length is Length.ESTIMATED
        assert isinstance(reader.frames, int)
        # an estimate from metadata: the right order of magnitude, never a decode
        assert abs(reader.frames - len(ref)) <= 0.05 * len(ref) + 2048
        assert reader.tell() == 0


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_full_decode_equals_plain_loop(fixture_dir: Path, name: str, dtype: type) -> None:
    path = _file(fixture_dir, name)
    ref = _reference(fixture_dir, name, dtype)
    with _reader(path) as reader:
        out = np.full((len(ref) + 100, reader.channels), np.nan, dtype)
        got = reader.readinto(out)
        assert got == len(ref)
        assert_same_array(out[:got], ref)
        assert np.isnan(out[got:]).all()  # nothing written past the end
        assert reader.readinto(out) == 0  # and the end stays the end
        assert reader.tell() == len(ref)


@pytest.mark.parametrize("name", NAMES)
def test_odd_block_sizes(fixture_dir: Path, name: str) -> None:
    path = _file(fixture_dir, name)
    ref = _reference(fixture_dir, name)
    sizes = (1, 17, 509, 4096)
    chunks, i = [], 0
    with _reader(path) as reader:
        while True:
            size = sizes[i % len(sizes)]
            i += 1
            buf = np.empty((size, reader.channels), np.float32)
            got = reader.readinto(buf)
            chunks.append(buf[:got].copy())
            if got < size:
                break
        assert reader.readinto(np.empty((10, reader.channels), np.float32)) == 0
    assert_same_array(np.concatenate(chunks), ref)


def test_single_frame_blocks(fixture_dir: Path) -> None:
    ref = _reference(fixture_dir, "aac_m4a")
    with _reader(_file(fixture_dir, "aac_m4a")) as reader:
        one = np.empty((1, 2), np.float32)
        got = []
        for _ in range(3000):  # across the first frames' boundaries, one frame at a time
            assert reader.readinto(one) == 1
            got.append(one[0].copy())
        assert_same_array(np.array(got), ref[:3000])


def _first_frame_samples(path: Path) -> int:
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            return int(frame.samples)
    return 0


@pytest.mark.parametrize("name", NAMES)
def test_seek_is_sample_exact(fixture_dir: Path, name: str) -> None:
    spec = SPEC[name]
    path = _file(fixture_dir, name)
    ref = _reference(fixture_dir, name)
    n_total = len(ref)
    first = _first_frame_samples(path)
    rng = np.random.default_rng(7)
    targets = [
        0,
        1,
        first // 2,
        first,
        first + 1,
        n_total // 2,
        n_total - 10,
        n_total - 1,
        n_total,
        0,
        n_total - 5000,
        3,
        n_total // 3,  # backwards again, forwards again
        *rng.integers(0, n_total, 8).tolist(),
    ]
    paths = set()
    with _reader(path) as reader:
        for k in targets:
            reader.seek(k)
            paths.add(reader._last_seek)
            assert reader.tell() == k
            buf = np.empty((777, reader.channels), np.float32)
            got = reader.readinto(buf)
            assert got == min(777, n_total - k), k
            assert_same_array(buf[:got], ref[k : k + got], str((k, reader._last_seek)))
    if spec.seek_path == "pts":
        assert "pts" in paths  # the container.seek path was exercised, not only restarts
    elif spec.seek_path == "restart":
        assert "pts" not in paths


@pytest.mark.parametrize("name", ["alac16_m4a", "mp3_in_mp4", "vorbis_ogg", "aac_m4a"])
def test_far_seek_from_a_fresh_reader(fixture_dir: Path, name: str) -> None:
    spec = SPEC[name]
    ref = _reference(fixture_dir, name)
    for k in (len(ref) - 4321, len(ref) // 2 + 17):
        with _reader(_file(fixture_dir, name)) as reader:
            reader.seek(k)
            # forward from a fresh reader: by timestamp, or by decoding on (no restart)
            assert reader._last_seek == ("pts" if spec.seek_path == "pts" else "forward")
            rest = _read_all(reader, block=3001)
            assert_same_array(rest, ref[k:])


def test_seek_past_the_end(fixture_dir: Path) -> None:
    ref = _reference(fixture_dir, "alac16_m4a")
    with _reader(_file(fixture_dir, "alac16_m4a")) as reader:
        reader.seek(len(ref) + 12345)
        assert reader.readinto(np.empty((100, 2), np.float32)) == 0
        reader.seek(5)
        buf = np.empty((100, 2), np.float32)
        assert reader.readinto(buf) == 100
        assert_same_array(buf, ref[5:105])
    with _reader(_file(fixture_dir, "alac16_m4a")) as reader, pytest.raises(ValueError, match="-1"):
        reader.seek(-1)


@pytest.mark.parametrize("name", NAMES)
def test_count_frames(fixture_dir: Path, name: str) -> None:
    path = _file(fixture_dir, name)
    ref = _reference(fixture_dir, name)
    with _reader(path) as reader:
        assert reader.count_frames() == len(ref)
        assert reader.frames == len(ref)
        assert reader.length is Length.COUNTED
        assert reader.tell() == 0
        assert_same_array(_read_all(reader), ref)
    with _reader(path) as reader:
        head = np.empty((1234, reader.channels), np.float32)
        assert reader.readinto(head) == 1234
        assert reader.count_frames() == len(ref)  # decodes the rest, then comes back
        assert reader.tell() == 1234
        assert_same_array(np.concatenate([head, _read_all(reader)]), ref)
        assert reader.count_frames() == len(ref)  # cached


@pytest.mark.parametrize("name", NAMES)
def test_file_object_equals_path(fixture_dir: Path, name: str) -> None:
    path = _file(fixture_dir, name)
    ref = _reference(fixture_dir, name)
    with _reader(io.BytesIO(path.read_bytes())) as reader:
        assert_same_array(_read_all(reader), ref)
        reader.seek(len(ref) // 2)
        assert_same_array(_read_all(reader), ref[len(ref) // 2 :])
    with path.open("rb") as f:
        f.seek(100)  # byte 0 of the object is the start of the file, wherever it stands
        with _reader(f) as reader:
            assert_same_array(
                _read_all(reader, np.float64), _reference(fixture_dir, name, np.float64)
            )
        assert not f.closed  # the caller's file object is the caller's to close


def test_video_file_reads_its_soundtrack(fixture_dir: Path) -> None:
    path = _file(fixture_dir, "video_mp4")
    with av.open(str(path)) as container:
        assert container.streams[0].type == "video"
        assert container.streams.audio[0].index == 1
    with _reader(path) as reader:
        assert_same_array(_read_all(reader), _reference(fixture_dir, "video_mp4"))


# -- errors --------------------------------------------------------------------------------


def _damage(data: bytes, how: str) -> bytes:
    if how == "truncated":
        return data[: int(len(data) * 0.6)]
    rng = np.random.default_rng(3)
    middle = bytearray(data)
    start, size = len(data) // 3, max(len(data) // 10, 64)
    middle[start : start + size] = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
    return bytes(middle)


@pytest.mark.parametrize("how", ["corrupt", "truncated"])
@pytest.mark.parametrize("name", NAMES)
def test_damaged_file(fixture_dir: Path, name: str, how: str) -> None:
    """Either an AudioDecodeError, or exactly the samples a plain PyAV loop returns."""
    data = _damage(_file(fixture_dir, name).read_bytes(), how)
    try:
        expected: np.ndarray | None = _plain_decode(io.BytesIO(data))
    except (av.FFmpegError, ValueError, EOFError, OSError):
        expected = None
    if expected is None:
        errors = (CorruptAudioError, UnsupportedFormatError)
        with pytest.raises(errors) as info, _reader(data) as reader:
            _read_all(reader, block=4096)
        assert info.value.backend == "pyav"
        assert info.value.source == "<bytes>"
    else:
        with _reader(data) as reader:
            got = _read_all(reader, block=4096)
        assert_same_array(got, expected)  # bytes: random bytes as doubles make NaNs, compared too


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello world, this is plainly not audio.\n" * 200,
        np.random.default_rng(5).integers(0, 256, 100_000, dtype=np.uint8).tobytes(),
        b"\x89PNG\r\n\x1a\n" + bytes(500),
    ],
    ids=["empty", "text", "random", "png-header"],
)
def test_not_audio_is_unsupported(data: bytes, tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFormatError) as info, _reader(data):
        pass
    assert info.value.backend == "pyav"
    path = tmp_path / "notes.txt"
    path.write_bytes(data)
    with pytest.raises(UnsupportedFormatError) as info, _reader(path):
        pass
    assert info.value.source == str(path)


def test_recognised_but_broken_is_corrupt(fixture_dir: Path) -> None:
    # an MP4 whose index (moov, written last) is cut off: FFmpeg knows the container
    data = _file(fixture_dir, "alac16_m4a").read_bytes()[:5000]
    with pytest.raises(CorruptAudioError), _reader(data):
        pass


def test_file_without_audio(tmp_path: Path) -> None:
    if "mpeg4" not in av.codecs_available:
        pytest.skip("this PyAV build has no mpeg4 encoder")
    path = tmp_path / "silent_film.mp4"
    with av.open(str(path), "w") as out:
        video = out.add_stream("mpeg4", rate=25)
        video.width, video.height, video.pix_fmt = 32, 32, "yuv420p"
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
            frame = frame.reformat(format="yuv420p")
            frame.pts = i
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)
    with pytest.raises(UnsupportedFormatError, match="no audio stream"), _reader(path):
        pass


def test_empty_audio_stream() -> None:
    fmt = struct.pack("<HHIIHH", 1, 2, 8000, 32000, 4, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", 0)
    wav = b"RIFF" + struct.pack("<I", len(body)) + body
    assert len(_plain_decode(io.BytesIO(wav))) == 0
    with _reader(wav) as reader:
        assert (reader.sample_rate, reader.channels) == (8000, 2)
        assert (reader.frames, reader.length) == (0, Length.COUNTED)
        assert reader.readinto(np.empty((10, 2), np.float32)) == 0
        reader.seek(5)
        assert reader.tell() == 0
        assert reader.count_frames() == 0


def test_rate_change_mid_stream_is_an_error(fixture_dir: Path) -> None:
    """Two ADTS streams end to end: FFmpeg's frames change rate; the reader refuses."""
    if "aac" not in av.codecs_available:
        pytest.skip("this PyAV build has no aac encoder")
    parts = []
    for rate in (44100, 22050):
        spec = Spec(
            f"adts{rate}", f"part{rate}.aac", "aac", rate, 2, None, "aac", "aac", None, None
        )
        _encode(fixture_dir / spec.filename, spec)
        parts.append((fixture_dir / spec.filename).read_bytes())
    with _reader(b"".join(parts)) as reader:
        assert reader.sample_rate == 44100
        with pytest.raises(CorruptAudioError, match="22050 Hz"):
            _read_all(reader)


def test_decode_error_is_raised_again_until_seek(fixture_dir: Path) -> None:
    data = _damage(_file(fixture_dir, "aac_m4a").read_bytes(), "corrupt")
    with pytest.raises((av.FFmpegError, ValueError)):
        _plain_decode(io.BytesIO(data))  # (the premise: FFmpeg fails on this one)
    with _reader(data) as reader:
        buf = np.empty((1 << 20, 2), np.float32)
        with pytest.raises(CorruptAudioError, match="decoding failed"):
            reader.readinto(buf)
        with pytest.raises(CorruptAudioError):  # not a silent, early end of stream
            reader.readinto(buf)
        reader.seek(0)
        small = np.empty((100, 2), np.float32)
        assert reader.readinto(small) == 100  # the start still decodes
        with pytest.raises(CorruptAudioError):
            reader.count_frames()


def test_bytes_cannot_reach_other_files(fixture_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # FFmpeg's concat demuxer probes this text and would open "aac.m4a" in the working
    # directory; from a path that is FFmpeg's (and ffmpeg's) behaviour, from bytes it is not.
    _file(fixture_dir, "aac_m4a")
    monkeypatch.chdir(fixture_dir)
    playlist = b"ffconcat version 1.0\nfile aac.m4a\n"
    with av.open(io.BytesIO(playlist)) as container:
        assert container.format.name == "concat"  # (the premise)
    with pytest.raises(UnsupportedFormatError), _reader(playlist):
        pass


def test_soundfile_source_declines() -> None:
    with pytest.raises(Decline):
        PyAVReader(Source("x.wav", soundfile=object()))  # type: ignore[arg-type]


def test_readinto_checks_its_argument(fixture_dir: Path) -> None:
    with _reader(_file(fixture_dir, "alac16_m4a")) as reader:
        with pytest.raises(ValueError, match="C-contiguous"):
            reader.readinto(np.empty((10, 3), np.float32))
        with pytest.raises(ValueError, match="C-contiguous"):
            reader.readinto(np.empty((2, 10), np.float32).T)
        # The decoder's own type (int16 for 16-bit ALAC) is read unscaled; any other integer
        # type is refused.
        with pytest.raises(TypeError, match="float32, float64 or int16"):
            reader.readinto(np.empty((10, 2), np.int32))
        assert reader.readinto(np.empty((0, 2), np.float32)) == 0


def test_close_is_idempotent(fixture_dir: Path) -> None:
    with _reader(_file(fixture_dir, "aac_m4a")) as reader:
        reader.close()
        reader.close()
        with pytest.raises(ValueError, match="closed"):
            reader.readinto(np.empty((10, 2), np.float32))
        with pytest.raises(ValueError, match="closed"):
            reader.seek(10)


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
def test_no_file_descriptor_leak(fixture_dir: Path) -> None:
    path = _file(fixture_dir, "aac_m4a")
    broken = _damage(path.read_bytes(), "truncated")
    broken_path = fixture_dir / "broken.m4a"
    broken_path.write_bytes(broken)
    for _ in range(5):  # warm up: imports, lazily opened libraries
        with _reader(path):
            pass
    gc.collect()
    before = _open_fds()
    buf = np.empty((100, 2), np.float32)
    for i in range(300):
        source = open_source(path)
        reader = PyAVReader(source)
        reader.readinto(buf)
        if i % 3 == 0:
            reader.seek(50_000)  # a restart reopens the file: the old one must be closed
            reader.readinto(buf)
        reader.close()
        source.close()
        if i % 10 == 0:
            with open_source(broken_path) as broken_source, pytest.raises(AudioDecodeError):
                PyAVReader(broken_source)  # a failed open closes what it opened
    # no gc.collect() before counting: close() alone must release the files
    assert _open_fds() <= before


def test_corpus_files_match_plain_loop(corpus: dict[str, Path], corpus_kind: str) -> None:
    """The shared corpus (tests/conftest.py): FFmpeg reads every kind, the reader too."""
    path = corpus[corpus_kind]
    expected = _plain_decode(str(path))
    with _reader(path) as reader:
        assert_same_array(_read_all(reader), expected)
        k = len(expected) // 2
        reader.seek(k)
        assert_same_array(_read_all(reader), expected[k:])
