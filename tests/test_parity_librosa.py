"""``audiodecode.load``/``stream`` against the installed librosa, the oracle.

Every comparison is of bytes (``_assert.assert_same_array``): same dtype, same shape, same
``tobytes()``, so ``-0.0`` is not ``+0.0``; the returned ``sr`` and its type are compared too.
CI runs this module against librosa 0.11 (Python 3.11) and librosa 1.0 (Python 3.12).

The grid is chosen by what can differ, not as every product of settings: each format of the
corpus at the rates that take different paths (``None``; the native rate, where librosa does not
resample; a downsample; an upsample), with and without the downmix, in both dtypes; the spans
(offsets and durations, inside, at and past the ends) per format at one rate and natively;
every input type with every format, the cases rotated so that each input type meets each.

librosa 0.11 has no negative offsets (it seeks before the start and fails); librosa 1.0
counts them back from the end. For 0.11 the expected array for a negative offset is built
with librosa 1.0's recipe from soundfile and librosa 0.11's own ``to_mono``/``resample``
(see ``librosa10_load``), never from audiodecode. Likewise librosa 1.0's ``load(mono=True)``
passes a one-channel signal through ``to_mono``, which turns its ``-0.0`` into ``+0.0``;
0.11 returns it untouched. ``load`` follows 1.0, so under 0.11 the oracle's ``to_mono`` is
0.11's plus that step (``to_mono_1``), and ``test_mono_file_signed_zeros_follow_librosa_1``
records the difference itself.
"""

from __future__ import annotations

import importlib
import io
import os
import warnings
from pathlib import Path

import av
import librosa
import librosa.core.audio
import numpy as np
import pytest
import soundfile as sf
from _assert import assert_same_array, assert_same_blocks, assert_same_load
from _plain_pyav import as_loaded, plain_decode
from _streams import stream_as_patched

import audiodecode
from audiodecode import AudioDecodeError

LIBROSA_MAJOR = int(librosa.__version__.split(".")[0])

# The corpus is 44.1 kHz (Opus: 48 kHz): native, the native rate itself (librosa does not
# resample), a downsample, an upsample.
SRS = [None, 44100, 16000, 48000]
SPANS = [  # (offset, duration) in seconds, for ~1 s fixtures
    (0.0, None),
    (0.25, None),
    (0.1, 0.5),
    (-0.4, None),
    (-0.6, 0.25),
    (0.0, 5.0),  # duration past the end
    (0.9, 0.5),  # starts inside, ends past the end
    (1e-9, None),  # rounds to frame 0 but still seeks, as librosa does
]
DTYPES = [np.float32, np.float64]
GRID_KINDS = ["wav_pcm16", "flac_16", "mp3", "ogg_vorbis"]


_TO_MONO = librosa.to_mono


def to_mono_1(y):
    """librosa 1.0's ``to_mono``: the mean over channels added into a zeroed array, which
    turns a one-channel signal's ``-0.0`` into ``+0.0`` (0.11 returns a 1-D signal as is)."""
    y = _TO_MONO(y)
    return y + y.dtype.type(0)


def librosa10_load(path, *, sr=22050, mono=True, offset=0.0, duration=None,
                   dtype=np.float32, res_type="soxr_hq"):
    """librosa 1.0's ``load`` steps, built from soundfile and the installed librosa."""
    with (path if isinstance(path, sf.SoundFile) else sf.SoundFile(path)) as f:
        sr_native = f.samplerate
        if offset > 0:
            f.seek(int(offset * sr_native))
        elif offset < 0:
            f.seek(-int(abs(offset) * sr_native), whence=sf.SEEK_END)
        frames = int(duration * sr_native) if duration is not None else -1
        y = f.read(frames=frames, dtype=dtype, always_2d=False).T
    if mono:
        y = to_mono_1(y)
    if sr is not None:
        y = librosa.resample(y, orig_sr=sr_native, target_sr=sr, res_type=res_type)
    else:
        sr = sr_native
    return y, sr


class LibrosaCannotRead(Exception):
    """librosa's soundfile path failed (0.11 would then retry with audioread)."""


def _no_audioread(*args, **kwargs):
    raise LibrosaCannotRead


def oracle_load(path, **kwargs):
    """What librosa returns from libsndfile.

    librosa 0.11 retries a path that soundfile cannot read with audioread (an ffmpeg
    subprocess when one is installed, 16-bit samples); that retry is not the oracle, since
    audiodecode decodes such files with FFmpeg in-process at full precision. For negative
    offsets on 0.11, librosa 1.0's recipe stands in (see ``librosa10_load``); 0.11's
    ``to_mono`` gets 1.0's signed-zero step (``to_mono_1``).
    """
    if kwargs.get("offset", 0.0) < 0 and LIBROSA_MAJOR < 1:
        return librosa10_load(path, **kwargs)
    with warnings.catch_warnings(), pytest.MonkeyPatch.context() as patch:
        warnings.simplefilter("ignore", UserWarning)  # 0.11: "PySoundFile failed. Trying..."
        if LIBROSA_MAJOR < 1:
            patch.setattr(importlib.import_module("librosa.core.audio"), "__audioread_load",
                          _no_audioread)
            patch.setattr(librosa.core.audio, "to_mono", to_mono_1)
        return librosa.load(path, **kwargs)


assert_same = assert_same_load


def span_id(span):
    return f"off{span[0]}-dur{span[1]}"


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("mono", [True, False], ids=["mono", "multi"])
@pytest.mark.parametrize("sr", SRS, ids=lambda s: f"sr{s}")
@pytest.mark.parametrize("kind", GRID_KINDS)
def test_rates(corpus, kind, sr, mono, dtype):
    kwargs = {"sr": sr, "mono": mono, "dtype": dtype}
    assert_same(audiodecode.load(corpus[kind], **kwargs), oracle_load(corpus[kind], **kwargs))


@pytest.mark.parametrize("sr", [None, 22050], ids=lambda s: f"sr{s}")
@pytest.mark.parametrize("span", SPANS, ids=span_id)
@pytest.mark.parametrize("kind", GRID_KINDS)
def test_spans(corpus, kind, span, sr):
    offset, duration = span
    kwargs = {"sr": sr, "offset": offset, "duration": duration}
    assert_same(audiodecode.load(corpus[kind], **kwargs), oracle_load(corpus[kind], **kwargs))


# Each format of the corpus once per row: (sr, mono, offset).
EVERY_FORMAT_CASES = [(None, False, 0.0), (None, True, 0.3), (16000, True, -0.2),
                      (16000, False, 0.0)]


@pytest.mark.parametrize(("sr", "mono", "offset"), EVERY_FORMAT_CASES,
                         ids=lambda v: f"{v}")
def test_every_librosa_format(corpus, librosa_kind, sr, mono, offset):
    path = corpus[librosa_kind]
    kwargs = {"sr": sr, "mono": mono, "offset": offset}
    assert_same(audiodecode.load(path, **kwargs), oracle_load(path, **kwargs))


@pytest.mark.parametrize("mono", [True, False], ids=["mono", "multi"])
@pytest.mark.parametrize("sr", [None, 16000], ids=lambda s: f"sr{s}")
def test_every_librosa_format_mono_source(corpus_mono, librosa_kind, sr, mono):
    path = corpus_mono[librosa_kind]
    kwargs = {"sr": sr, "mono": mono}
    assert_same(audiodecode.load(path, **kwargs), oracle_load(path, **kwargs))


@pytest.fixture(scope="module")
def signed_zeros(tmp_path_factory):
    """One-channel and stereo float WAVs with runs of -0.0 (every channel, one channel)."""
    x = np.random.default_rng(11).uniform(-1, 1, (6000, 2)).astype(np.float32)
    x[100:400] = -0.0
    x[1000:1200, 0] = -0.0
    folder = tmp_path_factory.mktemp("signed_zeros")
    files = {}
    for channels in (1, 2):
        files[channels] = folder / f"zeros{channels}.wav"
        sf.write(files[channels], x[:, :channels], 16000, subtype="FLOAT")
    return files


@pytest.mark.parametrize("sr", [None, 8000], ids=lambda s: f"sr{s}")
@pytest.mark.parametrize("mono", [True, False], ids=["mono", "multi"])
@pytest.mark.parametrize("channels", [1, 2])
def test_signed_zeros_are_librosas(signed_zeros, channels, mono, sr):
    path = signed_zeros[channels]
    kwargs = {"sr": sr, "mono": mono}
    assert_same(audiodecode.load(path, **kwargs), oracle_load(path, **kwargs))


@pytest.mark.xfail(LIBROSA_MAJOR < 1, strict=True, reason=(
    "librosa 0.11's load(mono=True) returns a one-channel signal untouched, -0.0 included; "
    "librosa 1.0 (and load) pass it through to_mono, which makes it +0.0"))
def test_mono_file_signed_zeros_follow_librosa_1(signed_zeros):
    path = signed_zeros[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        expected = librosa.load(path, sr=None, mono=True)  # unpatched: 0.11 as it is
    assert np.signbit(sf.read(path, dtype="float32")[0][100:400]).all()  # (the premise)
    assert_same(audiodecode.load(path, sr=None, mono=True), expected)


@pytest.mark.parametrize("cached", [False, True], ids=["direct", "cached"])
def test_patched_librosa_load_keeps_the_installed_librosas_signed_zeros(
        signed_zeros, tmp_path, cached):
    """Under the patch, ``librosa.load`` answers as the installed librosa: 0.11 keeps a
    one-channel signal's -0.0 at mono=True, 1.0 makes it +0.0, while ``audiodecode.load``
    follows 1.0 either way. With the decode cache on, a plain load of the same file first
    must not hand the patch its array (the two are cached apart)."""
    import audiodecode.cache
    from audiodecode import compat

    cases = [(channels, mono, sr) for channels in (1, 2) for mono in (True, False)
             for sr in (None, 8000)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        expected = {case: librosa.load(signed_zeros[case[0]], sr=case[2], mono=case[1])
                    for case in cases}  # unpatched: the installed librosa itself
    if cached:
        audiodecode.cache.enable(tmp_path / "cache")
    try:
        for channels, mono, sr in cases:
            audiodecode.load(signed_zeros[channels], sr=sr, mono=mono)  # fills the cache
            with compat.librosa_patched():
                got = librosa.load(signed_zeros[channels], sr=sr, mono=mono)
            assert_same(got, expected[channels, mono, sr])
    finally:
        if cached:
            audiodecode.cache.disable()


@pytest.mark.parametrize(
    "res_type", ["soxr_vhq", "soxr_hq", "soxr_mq", "soxr_lq", "soxr_qq", "scipy", "fft",
                 "polyphase"]
)
@pytest.mark.parametrize("mono", [True, False], ids=["mono", "multi"])
def test_res_types(corpus, res_type, mono):
    kwargs = {"sr": 16000, "mono": mono, "res_type": res_type}
    assert_same(audiodecode.load(corpus["flac_16"], **kwargs),
                oracle_load(corpus["flac_16"], **kwargs))


# --- every kind of input ----------------------------------------------------------------

def _as_str(path):
    return str(path), str(path)


def _as_path(path):
    return Path(path), Path(path)


def _as_fd(path):
    # both soundfile and audiodecode close a descriptor they are given
    return os.open(path, os.O_RDONLY), os.open(path, os.O_RDONLY)


def _as_bytes(path):
    data = Path(path).read_bytes()
    return data, io.BytesIO(data)  # librosa reads bytes through a file object


def _as_memoryview(path):
    data = Path(path).read_bytes()
    return memoryview(data), io.BytesIO(data)


def _as_bytesio(path):
    data = Path(path).read_bytes()
    return io.BytesIO(data), io.BytesIO(data)


def _as_open_file(path):
    return open(path, "rb"), open(path, "rb")  # noqa: SIM115 - closed by the test


def _as_soundfile(path):
    return sf.SoundFile(path), sf.SoundFile(path)


INPUTS = {
    "str": _as_str, "pathlib": _as_path, "fd": _as_fd, "bytes": _as_bytes,
    "memoryview": _as_memoryview, "bytesio": _as_bytesio, "open_file": _as_open_file,
    "soundfile": _as_soundfile,
}


# (sr, span) cases, rotated over the formats so that every input type meets every case and
# every format: what an input type changes is how bytes are reached and seeked, which each
# format does its own way.
INPUT_CASES = [(None, (0.0, None)), (16000, (0.3, 0.4)), (None, (-0.5, None)),
               (16000, (0.0, None))]
INPUT_PARAMS = [
    pytest.param(kind, make_input, *INPUT_CASES[(i + j) % len(INPUT_CASES)],
                 id=f"{kind}-{name}")
    for j, (name, make_input) in enumerate(INPUTS.items())
    for i, kind in enumerate(GRID_KINDS)
]


@pytest.mark.parametrize(("kind", "make_input", "sr", "span"), INPUT_PARAMS)
def test_input_types(corpus, kind, make_input, sr, span):
    ours, theirs = make_input(corpus[kind])
    kwargs = {"sr": sr, "offset": span[0], "duration": span[1]}
    try:
        if isinstance(theirs, (str, Path, sf.SoundFile)) or span[0] >= 0:
            expected = oracle_load(theirs, **kwargs)
        else:  # librosa 0.11 cannot take a negative offset: rebuild from the path
            expected = oracle_load(corpus[kind], **kwargs)
        actual = audiodecode.load(ours, **kwargs)
    finally:
        for handle in (ours, theirs):
            if hasattr(handle, "close"):
                handle.close()
            elif isinstance(handle, int):  # a descriptor the oracle did not consume
                try:
                    os.close(handle)
                except OSError:
                    pass
    assert_same(actual, expected)


def test_soundfile_input_is_closed_like_librosa(corpus):
    handle = sf.SoundFile(corpus["flac_16"])
    audiodecode.load(handle, sr=None)
    assert handle.closed


def test_caller_file_object_stays_open(corpus):
    with open(corpus["wav_pcm16"], "rb") as handle:
        audiodecode.load(handle, sr=None)
        assert not handle.closed


# --- offsets past the end, edge files --------------------------------------------------

@pytest.mark.parametrize("offset", [1.5, -1.5, 30.0], ids=lambda o: f"off{o}")
@pytest.mark.parametrize("kind", GRID_KINDS)
def test_offset_outside_the_audio_raises_like_librosa(corpus, kind, offset):
    """librosa 1.0 fails (soundfile cannot seek there); so do we, with a ValueError.

    librosa 0.11's soundfile path fails the same way, but it then retries a path with
    audioread, whose stdlib WAV reader returns an empty array; that retry is not followed.
    """
    oracle = librosa10_load if LIBROSA_MAJOR < 1 else librosa.load
    with pytest.raises(sf.LibsndfileError):
        oracle(corpus[kind], offset=offset)
    with pytest.raises(ValueError, match="outside the audio"):
        audiodecode.load(corpus[kind], offset=offset)


def test_offset_exactly_at_the_end(corpus):
    path = corpus["wav_pcm16"]
    n = sf.info(path).frames
    offset = n / sf.info(path).samplerate
    for sr in (None, 16000):
        assert_same(audiodecode.load(path, sr=sr, offset=offset), oracle_load(path, sr=sr, offset=offset))


EDGE_READABLE = [
    "zero_frames", "one_sample", "six_channels", "sr8000", "sr192000",
    "odd_chunk", "extra_chunks", "wav_header_too_long",
]


@pytest.mark.parametrize("mono", [True, False], ids=["mono", "multi"])
@pytest.mark.parametrize("sr", [None, 22050], ids=lambda s: f"sr{s}")
@pytest.mark.parametrize("name", EDGE_READABLE)
def test_edge_files(edge_files, name, sr, mono):
    path = edge_files[name]
    assert_same(audiodecode.load(path, sr=sr, mono=mono), oracle_load(path, sr=sr, mono=mono))


def test_flac_without_a_sample_count_reads_to_the_end(corpus, edge_files, tmp_path):
    """A streamed FLAC (STREAMINFO total samples = 0): soundfile reports 2**63 - 1 frames and
    ``librosa.load`` fails allocating them; we decode it (through FFmpeg) to the end."""
    data = bytearray(corpus["flac_16"].read_bytes())
    streaminfo = 8  # after "fLaC" and the metadata block header
    data[streaminfo + 13] &= 0xF0  # the 36-bit sample count: low nibble of byte 13 ...
    data[streaminfo + 14 : streaminfo + 18] = bytes(4)  # ... and the next four bytes
    path = tmp_path / "streamed.flac"
    path.write_bytes(bytes(data))
    n_frames = sf.info(corpus["flac_16"]).frames
    assert sf.info(path).frames > 2**62
    # soundfile cannot read the streamed copy at all (every read calls tell(), which fails),
    # so the reference is libsndfile's decoding of the same frames with the count intact.
    expected = sf.read(corpus["flac_16"], dtype="float32")[0].T
    y, sr = audiodecode.load(path, sr=None, mono=False)
    assert_same_array(y, expected)
    assert audiodecode.info(path).frames_exact is False
    y_empty, _ = audiodecode.load(edge_files["zero_frames_flac"], sr=None)
    assert_same_array(y_empty, np.zeros(0, np.float32))
    y_tail, _ = audiodecode.load(path, sr=None, mono=False, offset=-0.25)
    assert_same_array(y_tail, expected[:, n_frames - int(0.25 * sr):])


@pytest.mark.parametrize("name", ["empty", "text_as_wav", "random_bytes"])
def test_not_audio(edge_files, name):
    with pytest.raises((sf.LibsndfileError, LibrosaCannotRead)):
        oracle_load(edge_files[name])
    with pytest.raises(AudioDecodeError, match=Path(edge_files[name]).name):
        audiodecode.load(edge_files[name])


@pytest.mark.parametrize("kind", ["wav_pcm16", "flac_16", "ogg_vorbis", "mp3"])
@pytest.mark.parametrize("damage", ["truncated", "corrupt"])
def test_damaged_files_match_librosa_or_fall_through_to_ffmpeg(edge_files, damage, kind):
    """Policy: where libsndfile reads a damaged file we return librosa's array. Where it fails,
    FFmpeg decodes the file from the start (as librosa 0.11's audioread fallback does,
    in-process): the plain PyAV decode is the oracle; where that fails too, our error gives
    both reasons."""
    path = edge_files[f"{damage}_{kind}"]
    try:
        expected = oracle_load(path, sr=None, mono=False)
    except (sf.LibsndfileError, LibrosaCannotRead):
        expected = None
    if expected is not None:
        assert_same(audiodecode.load(path, sr=None, mono=False), expected)
        return
    try:
        samples, rate = plain_decode(path)
    except (av.FFmpegError, ValueError, EOFError, OSError):
        with pytest.raises(AudioDecodeError, match=r"sndfile: .*; pyav: "):
            audiodecode.load(path, sr=None, mono=False)
    else:
        assert_same(audiodecode.load(path, sr=None, mono=False), (as_loaded(samples), rate))


# --- stream ----------------------------------------------------------------------------

STREAM_SHAPES = [(1, 2048, 512), (4, 1024, 256), (16, 2048, 512), (3, 512, 512), (2, 400, 160)]


def oracle_stream(path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # 0.11 deprecates stream
        return list(librosa.stream(path, **kwargs))


def ours_stream(path, **kwargs):
    """``audiodecode.stream``'s blocks; under librosa 0.11 with the block rules the librosa
    patch asks for there (``stream`` itself follows librosa 1.0, whatever is installed)."""
    return stream_as_patched(path, **kwargs)


# (mono, span, fill_value), each with every format, the block shapes rotated over them.
# librosa 0.11's stream cannot seek from the end (it fails): those cases exist for 1.0 only.
STREAM_CASES = [(True, (0.0, None), None), (False, (0.2, 0.5), 0.0), (False, (0.0, None), None),
                (True, (0.2, 0.5), None)]
if LIBROSA_MAJOR >= 1:
    STREAM_CASES += [(True, (-0.3, None), 0.0), (False, (-0.3, None), None)]
STREAM_PARAMS = [
    pytest.param(kind, STREAM_SHAPES[(i + j) % len(STREAM_SHAPES)], mono, span, fill_value,
                 id=f"{kind}-{'mono' if mono else 'multi'}-{span_id(span)}-fill{fill_value}")
    for i, kind in enumerate(["wav_pcm16", "flac_16", "mp3", "ogg_vorbis"])
    for j, (mono, span, fill_value) in enumerate(STREAM_CASES)
]


@pytest.mark.parametrize(("kind", "shape", "mono", "span", "fill_value"), STREAM_PARAMS)
def test_stream_native_rate(corpus, kind, shape, mono, span, fill_value):
    block_length, frame_length, hop_length = shape
    kwargs = {
        "block_length": block_length, "frame_length": frame_length, "hop_length": hop_length,
        "mono": mono, "offset": span[0], "duration": span[1], "fill_value": fill_value,
    }
    if LIBROSA_MAJOR >= 1:
        kwargs["sr"] = None
    assert_same_blocks(ours_stream(corpus[kind], **kwargs),
                       oracle_stream(corpus[kind], **kwargs))


@pytest.mark.parametrize("shape", STREAM_SHAPES, ids=lambda s: "b{}f{}h{}".format(*s))
def test_stream_shapes(corpus, shape):
    """Every block shape on one format, downmixed, from an offset."""
    block_length, frame_length, hop_length = shape
    kwargs = {"block_length": block_length, "frame_length": frame_length,
              "hop_length": hop_length, "offset": 0.1}
    if LIBROSA_MAJOR >= 1:
        kwargs["sr"] = None
    assert_same_blocks(ours_stream(corpus["flac_16"], **kwargs),
                       oracle_stream(corpus["flac_16"], **kwargs))


@pytest.mark.skipif(LIBROSA_MAJOR < 1, reason="librosa 0.11's stream has no sr argument")
@pytest.mark.parametrize("mono", [True, False], ids=["mono", "multi"])
@pytest.mark.parametrize("sr", [22050, 11025], ids=lambda s: f"sr{s}")
@pytest.mark.parametrize("kind", ["wav_pcm16", "flac_16", "mp3"])
def test_stream_resampled(corpus, kind, sr, mono):
    kwargs = {"block_length": 4, "frame_length": 2048, "hop_length": 512, "sr": sr, "mono": mono}
    assert_same_blocks(ours_stream(corpus[kind], **kwargs),
                       oracle_stream(corpus[kind], **kwargs))


@pytest.mark.skipif(LIBROSA_MAJOR < 1, reason="librosa 0.11's stream has no sr argument")
def test_stream_fractional_step_is_refused_like_librosa(corpus):
    kwargs = {"block_length": 1, "frame_length": 1000, "hop_length": 1001, "sr": 16000}
    with pytest.raises(Exception, match="fractional"):  # noqa: PT011 - librosa's ParameterError
        oracle_stream(corpus["wav_pcm16"], **kwargs)
    with pytest.raises(ValueError, match="fractional"):
        list(audiodecode.stream(corpus["wav_pcm16"], **kwargs))


def test_stream_leaves_caller_soundfile_open(corpus):
    with sf.SoundFile(corpus["flac_16"]) as handle:
        shape = {"block_length": 2, "frame_length": 1024, "hop_length": 512}
        assert_same_blocks(ours_stream(handle, **shape), oracle_stream(corpus["flac_16"], **shape))
        assert not handle.closed


# --- metadata --------------------------------------------------------------------------

def test_info_agrees_with_soundfile(corpus, librosa_kind):
    path = corpus[librosa_kind]
    ours = audiodecode.info(path)
    theirs = sf.info(path)
    assert (ours.sample_rate, ours.channels, ours.frames) == (
        theirs.samplerate, theirs.channels, theirs.frames)
    assert ours.duration == theirs.duration
    assert audiodecode.get_duration(path=path) == librosa.get_duration(path=path)
    assert audiodecode.get_samplerate(path) == librosa.get_samplerate(path)


def test_get_duration_without_a_file():
    y = np.zeros(44100)
    S = np.zeros((1025, 87))
    assert audiodecode.get_duration(y=y, sr=22050) == librosa.get_duration(y=y, sr=22050)
    assert audiodecode.get_duration(S=S, sr=22050) == librosa.get_duration(S=S, sr=22050)
    assert audiodecode.get_duration(S=S, center=False) == librosa.get_duration(S=S, center=False)


def test_load_signature_matches_librosa():
    import inspect

    ours = inspect.signature(audiodecode.load).parameters
    theirs = inspect.signature(librosa.load).parameters
    for name, parameter in theirs.items():
        assert name in ours
        assert ours[name].default == parameter.default
        assert ours[name].kind == parameter.kind
