"""Tests of the synthetic corpus generator (_corpus) itself.

The decoding tests trust these files; here we check that each file is what its kind says,
with libsndfile and FFmpeg as the judges.
"""

from __future__ import annotations

import dataclasses
import struct
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import _corpus
import av
import numpy as np
import pytest
import soundfile as sf
from _corpus import KINDS
from _corpus.signals import pcm, signal
from _edge_cases import HAND_BUILT

from audiodecode.bench.demo import make_demo_corpus

if TYPE_CHECKING:
    from pathlib import Path


# Decoded length of a lossy file may differ from what was encoded: encoder priming and
# padding, and whether FFmpeg honours the MP4 edit list (FFmpeg 8 does not for AAC, 9 does),
# WMA dropping its last partial frame. Two codec frames at most, for every codec here.
LOSSY_FRAME_MARGIN = 4096

# Bits per sample of the lossless libsndfile kinds, for the quantisation tolerance.
_BITS = {
    "PCM_U8": 8,
    "PCM_16": 16,
    "PCM_24": 24,
    "PCM_32": 32,
    "FLOAT": 24,  # float32 mantissa
    "DOUBLE": 53,
}
_INT16_KINDS = [k for k, v in KINDS.items() if v.writer == "soundfile" and v.subtype == "PCM_16"]


def _pyav_decode(path: Path, sample_format: str = "flt") -> dict[str, Any]:
    """Everything PyAV says about a file's first audio stream, plus its decoded samples."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        blocks = [frame.to_ndarray() for frame in container.decode(stream)]
        types = [s.type for s in container.streams]
        channels = stream.codec_context.channels
        out = {
            "rate": stream.codec_context.sample_rate,
            "channels": channels,
            "index": stream.index,
            "types": types,
            "codec": stream.codec_context.name,
            "format": stream.codec_context.format.name,
        }
    planar = out["format"].endswith("p")
    if blocks:
        samples = np.concatenate(
            [b.T if planar else b.reshape(-1, channels) for b in blocks], axis=0
        )
    else:
        samples = np.zeros((0, channels))
    out["samples"] = samples
    out["frames"] = samples.shape[0]
    return out


def _aligned_correlation(decoded: np.ndarray, reference: np.ndarray) -> tuple[int, list[float]]:
    """Best lag of ``decoded`` against ``reference`` (channel 0, within +-LOSSY_FRAME_MARGIN),
    and each channel's correlation coefficient at that lag.

    A lossy codec changes the samples, delays them (priming) or drops the first frame (WMA)
    and may smear the very end, but the content must still be the reference's, channel for
    channel. Lag ``k`` means ``decoded[i + k] ~ reference[i]``.
    """
    margin = LOSSY_FRAME_MARGIN
    size = 1 << (decoded.shape[0] + reference.shape[0]).bit_length()
    spectrum = np.fft.rfft(decoded[:, 0].astype(np.float64), size) * np.conj(
        np.fft.rfft(reference[:, 0], size)
    )
    xcorr = np.fft.irfft(spectrum, size)
    lags = np.r_[-margin : margin + 1]
    lag = int(lags[np.argmax(xcorr[lags])])  # negative lags wrap to the end, as wanted
    # Compare the middle 80 % of the overlap: away from priming and the codec's last frame.
    start_ref = max(0, -lag) + reference.shape[0] // 20
    n = int(min(reference.shape[0] - start_ref, decoded.shape[0] - start_ref - lag) * 0.85)
    coefficients = []
    for c in range(reference.shape[1]):
        segment = decoded[start_ref + lag : start_ref + lag + n, c].astype(np.float64)
        coefficients.append(
            float(np.corrcoef(segment, reference[start_ref : start_ref + n, c])[0, 1])
        )
    return lag, coefficients


# --------------------------------------------------------------------------------------------
# importing


def test_importing_the_demo_writer_does_not_import_av_or_soundfile() -> None:
    # audiodecode bench imports it at start-up, before it knows whether a demo is wanted.
    code = (
        "import sys, audiodecode.bench.synth; "
        "assert 'av' not in sys.modules and 'soundfile' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------------------------
# the table


def test_kinds_table() -> None:
    expected = {
        "wav_pcm16", "wav_pcm24", "wav_pcm32", "wav_u8", "wav_float32", "wav_float64",
        "wavex_pcm16", "wavex_pcm24", "rf64_pcm16", "w64_pcm16", "aiff_pcm16", "aifc_float32",
        "flac_16", "flac_24", "ogg_vorbis", "ogg_opus", "mp3",
        "m4a_aac", "m4a_alac", "aac_adts", "webm_opus", "mka_opus", "mp4_opus", "wma", "ac3",
        "mkv_flac", "mp4_video", "mkv_video",
    }  # fmt: skip
    assert set(KINDS) == expected
    for name, kind in KINDS.items():
        assert kind.name == name
        assert kind.extension.startswith(".")
        assert kind.writer in {"soundfile", "pyav"}
        assert kind.librosa_reads == (kind.writer == "soundfile")
        assert kind.description
    assert set(_corpus.LIBROSA_KINDS) | set(_corpus.PYAV_KINDS) == expected
    with pytest.raises(dataclasses.FrozenInstanceError):
        KINDS["mp3"].name = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kind", "asked", "got"),
    [
        ("wav_pcm16", 12345, 12345),
        ("ogg_opus", 44100, 48000),
        ("ogg_opus", 16000, 16000),
        ("webm_opus", 16000, 48000),
        ("ac3", 22050, 48000),
        ("ac3", 44100, 44100),
        ("mp3", 96000, 48000),
        ("m4a_aac", 22050, 22050),
    ],
)
def test_rate_for(kind: str, asked: int, got: int) -> None:
    assert KINDS[kind].rate_for(asked) == got


def test_soundfile_kinds_are_available_here() -> None:
    # libsndfile >= 1.1 writes all of them; a failure means an old libsndfile.
    assert _corpus.available_kinds(_corpus.LIBROSA_KINDS) == list(_corpus.LIBROSA_KINDS)


def test_unknown_kind(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        _corpus.write(tmp_path / "x", "wav_pcm17")


# --------------------------------------------------------------------------------------------
# the corpus fixtures


def _check_soundfile_kind(path: Path, name: str, rate: int, channels: int) -> None:
    kind = KINDS[name]
    expected_rate = kind.rate_for(rate)
    info = sf.info(path)
    assert info.samplerate == expected_rate
    assert info.channels == channels
    data, _ = sf.read(path, always_2d=True)
    if kind.lossless:
        assert info.frames == data.shape[0] == expected_rate
        expected = signal(expected_rate, channels, sample_rate=expected_rate)
        atol = 2.0 / 2 ** (_BITS[kind.subtype] - 1)
        np.testing.assert_allclose(data, expected, rtol=0, atol=atol)
    else:
        assert abs(data.shape[0] - expected_rate) <= LOSSY_FRAME_MARGIN
        reference = signal(expected_rate, channels, sample_rate=expected_rate)
        lag, coefficients = _aligned_correlation(data, reference)
        assert lag == 0, "libsndfile removes encoder delay"
        assert min(coefficients) > 0.9


def test_librosa_kind_reads_with_soundfile(corpus: dict[str, Path], librosa_kind: str) -> None:
    path = corpus[librosa_kind]
    assert path.name == librosa_kind + KINDS[librosa_kind].extension
    _check_soundfile_kind(path, librosa_kind, 44100, 2)


def test_librosa_kind_reads_with_soundfile_mono(
    corpus_mono: dict[str, Path], librosa_kind: str
) -> None:
    _check_soundfile_kind(corpus_mono[librosa_kind], librosa_kind, 22050, 1)


@pytest.mark.parametrize("name", _INT16_KINDS)
def test_int16_kinds_hold_exactly_pcm(corpus: dict[str, Path], name: str) -> None:
    stored, _ = sf.read(corpus[name], dtype="int16")
    flac = KINDS[name].format == "FLAC"
    np.testing.assert_array_equal(stored, pcm(44100, 2, sample_rate=44100, flac=flac))


def test_aifc_is_really_aifc(corpus: dict[str, Path]) -> None:
    head = corpus["aifc_float32"].read_bytes()[:12]
    assert head[:4] == b"FORM"
    assert head[8:] == b"AIFC"


def _check_pyav_kind(path: Path, name: str, rate: int, channels: int) -> None:
    kind = KINDS[name]
    expected_rate = kind.rate_for(rate)
    got = _pyav_decode(path)
    assert got["rate"] == expected_rate
    assert got["channels"] == channels
    assert got["codec"] in {*kind.codecs, "opus"}  # libopus-encoded decodes as "opus"
    if kind.lossless:
        assert got["frames"] == expected_rate
    else:
        assert abs(got["frames"] - expected_rate) <= LOSSY_FRAME_MARGIN
    samples = got["samples"].astype(np.float64)
    if got["format"].startswith("s16"):
        samples /= 32768
    reference = signal(expected_rate, channels, sample_rate=expected_rate)
    _, coefficients = _aligned_correlation(samples, reference)
    assert min(coefficients) > 0.9
    if kind.video_codecs:
        # The video stream comes first: readers must pick the audio stream, not stream 0.
        assert got["types"] == ["video", "audio"]
        assert got["index"] == 1
    else:
        assert got["types"] == ["audio"]


def test_pyav_kind_decodes(corpus: dict[str, Path], pyav_kind: str) -> None:
    path = corpus[pyav_kind]
    assert path.name == pyav_kind + KINDS[pyav_kind].extension
    _check_pyav_kind(path, pyav_kind, 44100, 2)


def test_pyav_kind_decodes_mono(corpus_mono: dict[str, Path], pyav_kind: str) -> None:
    _check_pyav_kind(corpus_mono[pyav_kind], pyav_kind, 22050, 1)


def test_pyav_kinds_are_not_readable_by_libsndfile(corpus: dict[str, Path], pyav_kind: str) -> None:
    with pytest.raises(sf.LibsndfileError):
        sf.info(corpus[pyav_kind])


@pytest.mark.parametrize("name", ["m4a_alac", "mkv_flac"])
def test_lossless_pyav_kinds_hold_the_16_bit_wav_samples(
    corpus: dict[str, Path], name: str
) -> None:
    if not KINDS[name].available():
        pytest.skip(f"no {name} encoder")
    got = _pyav_decode(corpus[name])
    assert got["format"].startswith("s16")
    wav, _ = sf.read(corpus["wav_pcm16"], dtype="int16")
    np.testing.assert_array_equal(got["samples"], wav)


def test_m4a_has_its_index_first(corpus: dict[str, Path]) -> None:
    if "m4a_aac" not in corpus:
        pytest.skip("no AAC encoder")
    raw = corpus["m4a_aac"].read_bytes()
    assert 0 < raw.find(b"moov") < raw.find(b"mdat")


def _without_peak_timestamp(data: bytes) -> bytes:
    # libsndfile's PEAK chunk (float WAV/AIFF) records the second it was written: two writes
    # straddling a second differ there and nowhere else.
    peak = data.find(b"PEAK")
    if peak < 0:
        return data
    stamp = peak + 12  # chunk id, size, version, then the 32-bit timestamp
    return data[:stamp] + bytes(4) + data[stamp + 4 :]


def test_corpus_is_deterministic(tmp_path: Path, lossless_kind: str) -> None:
    kwargs = {"sample_rate": 16000, "channels": 2, "seconds": 0.25, "seed": 3}
    a = _corpus.write(tmp_path / "a", lossless_kind, **kwargs)
    b = _corpus.write(tmp_path / "b", lossless_kind, **kwargs)
    c = _corpus.write(tmp_path / "c", lossless_kind, **{**kwargs, "seed": 4})
    assert _without_peak_timestamp(a.read_bytes()) == _without_peak_timestamp(b.read_bytes())
    assert a.read_bytes() != c.read_bytes()


def test_write_corpus_subset_and_names(tmp_path: Path) -> None:
    files = _corpus.write_corpus(tmp_path, ["flac_16", "wav_u8"], seconds=0.1, channels=1)
    assert list(files) == ["flac_16", "wav_u8"]
    assert {p.name for p in tmp_path.iterdir()} == {"flac_16.flac", "wav_u8.wav"}
    assert sf.info(files["wav_u8"]).frames == 4410


# --------------------------------------------------------------------------------------------
# edge cases


def _riff_chunks(raw: bytes) -> list[tuple[bytes, int, int]]:
    """(fourcc, declared size, payload offset) of each top-level chunk, honouring pad bytes."""
    assert raw[:4] == b"RIFF"
    assert raw[8:12] == b"WAVE"
    chunks, pos = [], 12
    while pos + 8 <= len(raw):
        fourcc, size = raw[pos : pos + 4], struct.unpack("<I", raw[pos + 4 : pos + 8])[0]
        chunks.append((fourcc, size, pos + 8))
        pos += 8 + size + (size & 1)
    assert pos == len(raw), "chunks do not end exactly at the end of the file"
    return chunks


def test_edge_keys(edge_files: dict[str, Path]) -> None:
    required = {
        "empty", "zero_frames", "zero_frames_flac", "one_sample", "six_channels", "sr8000",
        "sr192000", "odd_chunk", "extra_chunks", "wav_header_too_long", "text_as_wav",
        "random_bytes",
    }  # fmt: skip
    for kind in ("wav_pcm16", "flac_16", "ogg_vorbis", "mp3", "m4a_aac"):
        if KINDS[kind].available():
            required |= {f"truncated_{kind}", f"corrupt_{kind}"}
    assert required <= set(edge_files)
    assert all(p.exists() for p in edge_files.values())


def test_zero_frames(edge_files: dict[str, Path]) -> None:
    raw = edge_files["zero_frames"].read_bytes()
    assert len(raw) == 44
    assert [c[:2] for c in _riff_chunks(raw)] == [(b"fmt ", 16), (b"data", 0)]
    info = sf.info(edge_files["zero_frames"])
    assert (info.frames, info.samplerate, info.subtype) == (0, 44100, "PCM_16")


def test_zero_frames_flac(edge_files: dict[str, Path]) -> None:
    raw = edge_files["zero_frames_flac"].read_bytes()
    assert raw[:4] == b"fLaC"
    assert len(raw) == 4 + 4 + 34
    got = _pyav_decode(edge_files["zero_frames_flac"])
    assert (got["rate"], got["channels"], got["frames"]) == (44100, 1, 0)


def test_one_sample(edge_files: dict[str, Path]) -> None:
    data, rate = sf.read(edge_files["one_sample"], dtype="int16", always_2d=True)
    assert rate == 44100
    np.testing.assert_array_equal(data, pcm(**HAND_BUILT["one_sample"]))
    assert data.shape == (1, 1)


@pytest.mark.parametrize(
    ("key", "rate", "channels", "frames", "subtype"),
    [
        ("six_channels", 48000, 6, 12000, "PCM_16"),
        ("sr8000", 8000, 1, 8000, "PCM_16"),
        ("sr192000", 192000, 2, 48000, "PCM_24"),
    ],
)
def test_extreme_formats(
    edge_files: dict[str, Path], key: str, rate: int, channels: int, frames: int, subtype: str
) -> None:
    info = sf.info(edge_files[key])
    assert (info.samplerate, info.channels, info.frames, info.subtype) == (
        rate,
        channels,
        frames,
        subtype,
    )


def test_odd_chunk_layout_and_values(edge_files: dict[str, Path]) -> None:
    raw = edge_files["odd_chunk"].read_bytes()
    assert struct.unpack("<I", raw[4:8])[0] == len(raw) - 8
    chunks = _riff_chunks(raw)
    assert [c[0] for c in chunks] == [b"fmt ", b"LIST", b"data"]
    (_, list_size, list_at), (_, data_size, data_at) = chunks[1], chunks[2]
    assert list_size % 2 == 1
    assert raw[list_at + list_size] == 0, "pad byte after the odd LIST chunk"
    assert data_size == 1001
    assert raw[data_at + data_size :] == b"\x00", "pad byte after the odd data chunk"
    expected = pcm(**HAND_BUILT["odd_chunk"])
    assert expected.dtype == np.uint8
    assert raw[data_at : data_at + data_size] == expected.tobytes()
    # libsndfile maps unsigned 8-bit v to (v - 128) << 8.
    data, rate = sf.read(edge_files["odd_chunk"], dtype="int16", always_2d=True)
    assert rate == 11025
    np.testing.assert_array_equal(data, (expected.astype(np.int16) - 128) << 8)


def test_extra_chunks_layout_and_values(edge_files: dict[str, Path]) -> None:
    raw = edge_files["extra_chunks"].read_bytes()
    chunks = _riff_chunks(raw)
    assert [c[0] for c in chunks] == [b"fmt ", b"LIST", b"id3 ", b"data", b"LIST", b"id3 "]
    for fourcc, _, at in chunks:
        if fourcc == b"id3 ":
            assert raw[at : at + 3] == b"ID3"
        if fourcc == b"LIST":
            assert raw[at : at + 4] == b"INFO"
    data, rate = sf.read(edge_files["extra_chunks"], dtype="int16", always_2d=True)
    assert rate == 22050
    np.testing.assert_array_equal(data, pcm(**HAND_BUILT["extra_chunks"]))


def test_header_too_long(edge_files: dict[str, Path]) -> None:
    raw = edge_files["wav_header_too_long"].read_bytes()
    declared = struct.unpack("<I", raw[40:44])[0]
    assert raw[36:40] == b"data"
    assert declared == len(raw) - 44 + 4096 * 4
    # libsndfile clamps to what is there; the values are intact.
    data, _ = sf.read(edge_files["wav_header_too_long"], dtype="int16", always_2d=True)
    np.testing.assert_array_equal(data, pcm(**HAND_BUILT["wav_header_too_long"]))


@pytest.mark.parametrize("key", ["empty", "text_as_wav", "random_bytes"])
def test_garbage_is_rejected(edge_files: dict[str, Path], key: str) -> None:
    assert edge_files[key].suffix == ".wav"
    with pytest.raises(sf.LibsndfileError):
        sf.read(edge_files[key])
    with pytest.raises(av.error.InvalidDataError):
        av.open(str(edge_files[key])).close()


@pytest.mark.parametrize("kind", ["wav_pcm16", "flac_16", "ogg_vorbis", "mp3", "m4a_aac"])
def test_damaged_copies(edge_files: dict[str, Path], kind: str) -> None:
    if not KINDS[kind].available():
        pytest.skip(f"cannot write {kind}")
    source = edge_files[f"source_{kind}"].read_bytes()
    truncated = edge_files[f"truncated_{kind}"].read_bytes()
    corrupt = edge_files[f"corrupt_{kind}"].read_bytes()
    assert truncated == source[: len(source) * 6 // 10]
    assert len(corrupt) == len(source)
    differing = np.flatnonzero(np.frombuffer(corrupt, np.uint8) != np.frombuffer(source, np.uint8))
    start = len(source) // 2 - 1024
    assert start >= 1024, "the header must stay intact"
    assert differing.min() >= start
    assert differing.max() < start + 2048
    assert len(differing) > 1900


def test_truncated_wav_reads_a_prefix(edge_files: dict[str, Path]) -> None:
    data, _ = sf.read(edge_files["truncated_wav_pcm16"], dtype="int16", always_2d=True)
    full = pcm(88200, 2, sample_rate=44100)
    assert 0 < data.shape[0] < full.shape[0]
    np.testing.assert_array_equal(data, full[: data.shape[0]])


# --------------------------------------------------------------------------------------------
# demo corpus and RAVDESS folder


def test_demo_corpus(tmp_path: Path) -> None:
    groups = make_demo_corpus(tmp_path, clips_per_format=2, long_seconds=1.5)
    expected = {"wav_speech", "flac", "mp3", "ogg_vorbis", "ogg_opus", "wav_long"}
    if KINDS["m4a_aac"].available():
        expected.add("m4a_aac")
    assert set(groups) == expected
    assert all(len(paths) == 2 for group, paths in groups.items() if group != "wav_long")
    for path in groups["wav_speech"]:
        info = sf.info(path)
        assert (info.samplerate, info.channels, info.subtype) == (48000, 1, "PCM_16")
        assert 2.0 <= info.duration <= 3.0
    for group in ("flac", "mp3", "ogg_vorbis"):
        info = sf.info(groups[group][0])
        assert (info.samplerate, info.channels) == (44100, 2)
        assert 2.0 <= info.duration <= 3.0
    assert sf.info(groups["ogg_opus"][0]).samplerate == 48000
    (long,) = groups["wav_long"]
    info = sf.info(long)
    assert (info.samplerate, info.channels, info.frames) == (44100, 2, 66150)
