"""audiodecode.torchaudio against torchaudio 2.8's rules, without torchaudio installed.

The oracles are written here from torchaudio 2.8's source: its soundfile backend is a few
soundfile calls (reproduced in ``_soundfile_oracle``); its FFmpeg backend decodes every frame
and converts with FFmpeg's ``aformat=fltp`` (reproduced with a plain PyAV loop and PyAV's
``AudioResampler``, i.e. swresample, in ``_ffmpeg_oracle``). ``benchmarks/torchaudio_parity.py``
compares against torchaudio 2.8 itself.
"""

from __future__ import annotations

import importlib
import io
import sys
import warnings

import av
import numpy as np
import pytest
import soundfile as sf
from _file_objects import ReadOnly, TwoBytesAtATime

from audiodecode.bench import synth

torch = pytest.importorskip("torch")
adta = importlib.import_module("audiodecode.torchaudio")

RATE = 8000
FRAMES = 4000


def _signal(frames: int, channels: int, rate: int = RATE) -> np.ndarray:
    return synth.signal(frames, channels, sample_rate=rate).astype(np.float32)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("torchaudio")
    stereo = _signal(FRAMES, 2)
    files = {}
    for name, subtype, data in [
        ("wav_u8", "PCM_U8", stereo), ("wav_s16", "PCM_16", stereo),
        ("wav_s24", "PCM_24", stereo), ("wav_s32", "PCM_32", stereo),
        ("wav_f32", "FLOAT", stereo), ("wav_f64", "DOUBLE", stereo),
        ("wav_6ch", "PCM_16", _signal(FRAMES, 6)), ("wav_ulaw", "ULAW", stereo),
    ]:
        files[name] = str(folder / f"{name}.wav")
        sf.write(files[name], data, RATE, subtype=subtype)
    for name, subtype in [("flac_16", "PCM_16"), ("flac_24", "PCM_24")]:
        files[name] = str(folder / f"{name}.flac")
        sf.write(files[name], stereo, RATE, subtype=subtype)
    files["mp3"] = str(folder / "a.mp3")
    sf.write(files["mp3"], _signal(FRAMES, 2, 16000), 16000, format="MP3",
             subtype="MPEG_LAYER_III")
    files["vorbis"] = str(folder / "a.ogg")
    sf.write(files["vorbis"], stereo, RATE, subtype="VORBIS")
    files["opus"] = str(folder / "b.ogg")
    sf.write(files["opus"], _signal(FRAMES, 2, 48000), 48000, subtype="OPUS")
    files["aac"] = str(folder / "a.m4a")
    synth.write(files["aac"], "m4a_aac", data=_signal(FRAMES, 2, 16000), sample_rate=16000)
    return files


SOUNDFILE_FILES = ["wav_u8", "wav_s16", "wav_s24", "wav_s32", "wav_f32", "wav_f64", "wav_6ch",
                   "wav_ulaw", "flac_16", "flac_24", "mp3", "vorbis", "opus"]
ALL_FILES = [*SOUNDFILE_FILES, "aac"]


def _same(ours: tuple[torch.Tensor, int], oracle: tuple[np.ndarray, int]) -> None:
    tensor, sr = ours
    expected, expected_sr = oracle
    assert sr == expected_sr
    assert str(tensor.dtype).removeprefix("torch.") == expected.dtype.name
    assert tuple(tensor.shape) == expected.shape
    assert tensor.contiguous().numpy().tobytes() == np.ascontiguousarray(expected).tobytes()


# -- backend="soundfile" ----------------------------------------------------------------------

_SUBTYPE2DTYPE = {"PCM_S8": "int8", "PCM_U8": "uint8", "PCM_16": "int16", "PCM_32": "int32",
                  "FLOAT": "float32", "DOUBLE": "float64"}


def _soundfile_oracle(path, frame_offset, num_frames, normalize, channels_first):
    """torchaudio 2.8's soundfile_backend.load, with soundfile."""
    with sf.SoundFile(path, "r") as f:
        if f.format != "WAV" or normalize:
            dtype = "float32"
        elif f.subtype not in _SUBTYPE2DTYPE:
            msg = f"Unsupported subtype: {f.subtype}"
            raise ValueError(msg)
        else:
            dtype = _SUBTYPE2DTYPE[f.subtype]
        frames = f._prepare_read(frame_offset, None, num_frames)
        waveform = f.read(frames, dtype, always_2d=True)
        rate = f.samplerate
    return (waveform.T if channels_first else waveform), rate


SOUNDFILE_WINDOWS = [(0, -1), (100, 500), (-300, -1), (FRAMES - 50, 200), (FRAMES + 10, -1),
                     (7, 0), (3, -5)]


@pytest.mark.parametrize("name", SOUNDFILE_FILES)
@pytest.mark.parametrize("normalize", [True, False])
def test_soundfile_backend_matches_torchaudio_28_rules(corpus, name, normalize):
    path = corpus[name]
    for frame_offset, num_frames in SOUNDFILE_WINDOWS:
        for channels_first in (True, False):
            args = (path, frame_offset, num_frames, normalize, channels_first)
            try:
                oracle = _soundfile_oracle(*args)
            except ValueError as exc:
                with pytest.raises(ValueError, match=str(exc).split(" and ")[0][:20]):
                    adta.load(*args, backend="soundfile")
                continue
            _same(adta.load(*args, backend="soundfile"), oracle)


def test_soundfile_backend_refusals(corpus):
    with pytest.raises(ValueError, match="Unsupported subtype: PCM_24"):
        adta.load(corpus["wav_s24"], normalize=False, backend="soundfile")
    with pytest.raises(ValueError, match="dtype must be one of"):
        adta.load(corpus["wav_u8"], normalize=False, backend="soundfile")


# -- backend="ffmpeg" / None ------------------------------------------------------------------

def _ffmpeg_oracle(path, frame_offset, num_frames, normalize, channels_first):
    """torchaudio 2.8's FFmpeg backend: decode everything, ``aformat=fltp`` if normalizing,
    ``atrim`` the window (sample counts from the first decoded sample)."""
    blocks = []
    with av.open(path) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt") if normalize else None
        rate = None
        for frame in container.decode(stream):
            rate = frame.sample_rate
            frames = resampler.resample(frame) if resampler else [frame]
            for f in frames:
                array = f.to_ndarray()
                if f.format.is_planar:
                    array = array.T
                else:
                    array = array.reshape(-1, len(f.layout.channels))
                blocks.append(array)
        if resampler:
            blocks.extend(f.to_ndarray().reshape(-1, len(f.layout.channels))
                          for f in resampler.resample(None))
    data = np.concatenate(blocks)
    stop = None if num_frames == -1 else frame_offset + num_frames
    data = data[frame_offset:stop]
    if len(data) == 0:
        msg = "Failed to decode audio."
        raise RuntimeError(msg)
    return (data.T if channels_first else data), rate


FFMPEG_WINDOWS = [(0, -1), (100, 500), (1, 1), (FRAMES - 50, 200)]


@pytest.mark.parametrize("name", ALL_FILES)
@pytest.mark.parametrize("normalize", [True, False])
def test_ffmpeg_backend_matches_a_plain_pyav_decode(corpus, name, normalize):
    path = corpus[name]
    for frame_offset, num_frames in FFMPEG_WINDOWS:
        for channels_first in (True, False):
            args = (path, frame_offset, num_frames, normalize, channels_first)
            _same(adta.load(*args, backend="ffmpeg"), _ffmpeg_oracle(*args))


@pytest.mark.parametrize("name", ALL_FILES)
def test_default_backend_gives_ffmpegs_samples(corpus, name):
    """backend=None reads WAV/FLAC with faster readers: the bytes must still be FFmpeg's."""
    for frame_offset, num_frames in FFMPEG_WINDOWS:
        args = (corpus[name], frame_offset, num_frames)
        _same(adta.load(*args), _ffmpeg_oracle(*args, True, True))
    _same(adta.load(corpus[name], normalize=False), _ffmpeg_oracle(corpus[name], 0, -1, False, True))


def test_ffmpeg_normalize_false_types(corpus):
    dtypes = {name: adta.load(corpus[name], normalize=False, backend="ffmpeg")[0].dtype
              for name in ("wav_u8", "wav_s16", "wav_s24", "flac_16", "flac_24", "mp3")}
    assert dtypes == {"wav_u8": torch.uint8, "wav_s16": torch.int16, "wav_s24": torch.int32,
                      "flac_16": torch.int16, "flac_24": torch.int32, "mp3": torch.float32}


def test_ffmpeg_argument_errors(corpus):
    path = corpus["wav_s16"]
    with pytest.raises(RuntimeError, match="frame_offset must be non-negative"):
        adta.load(path, frame_offset=-1, backend="ffmpeg")
    for bad in (0, -2):
        with pytest.raises(RuntimeError, match="num_frames must be -1 or greater than 0"):
            adta.load(path, num_frames=bad)
    with pytest.raises(RuntimeError, match="Failed to decode audio"):
        adta.load(path, frame_offset=FRAMES + 1)
    with pytest.raises(ValueError, match="Unsupported backend 'sox'"):
        adta.load(path, backend="sox")


@pytest.mark.parametrize("name", ["wav_s16", "wav_ulaw", "flac_24", "mp3", "vorbis", "aac"])
@pytest.mark.parametrize("backend", ["soundfile", "ffmpeg", None])
def test_file_objects_with_and_without_format(corpus, name, backend):
    if backend == "soundfile" and name == "aac":
        return  # libsndfile does not read AAC: covered by the error test below
    expected = adta.load(corpus[name], 10, 700, backend=backend)
    with open(corpus[name], "rb") as file:
        data = file.read()
    for fmt in (None, corpus[name].rsplit(".", 1)[1]):
        got = adta.load(io.BytesIO(data), 10, 700, format=fmt, backend=backend)
        _same(got, (expected[0].numpy(), expected[1]))
        if backend != "soundfile":  # (libsndfile's MP3 subtype warns: tested above)
            assert str(adta.info(io.BytesIO(data), fmt, backend=backend)) == str(
                adta.info(corpus[name], backend=backend))


@pytest.mark.parametrize("name", ["wav_s16", "flac_24", "mp3", "vorbis"])
@pytest.mark.parametrize("wrapper", [TwoBytesAtATime, ReadOnly])
@pytest.mark.parametrize("backend", ["soundfile", "ffmpeg", None])
def test_file_objects_with_read_n_only(corpus, name, wrapper, backend):
    path = corpus[name]
    with open(path, "rb") as file:
        data = file.read()
    oracle = (_soundfile_oracle if backend == "soundfile" else _ffmpeg_oracle)(
        path, 10, 700, True, True)
    _same(adta.load(wrapper(data), 10, 700, backend=backend), oracle)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # libsndfile's MP3 subtype: tested above
        assert str(adta.info(wrapper(data), backend=backend)) == str(
            adta.info(path, backend=backend))


@pytest.mark.parametrize("backend", ["soundfile", "ffmpeg", None])
def test_missing_file_is_a_runtime_error_as_in_torchaudio_28(tmp_path, backend):
    # torchaudio 2.8 raised RuntimeError for a missing file from both backends
    path = str(tmp_path / "non_existing_audio.wav")
    for call in (adta.load, adta.info):
        with pytest.raises(RuntimeError, match=r"non_existing_audio\.wav") as caught:
            call(path, backend=backend)
        assert isinstance(caught.value, FileNotFoundError)


def test_soundfile_backend_refuses_aac(corpus):
    from audiodecode.errors import AudioDecodeError

    with pytest.raises(AudioDecodeError):
        adta.load(corpus["aac"], backend="soundfile")


# -- info -------------------------------------------------------------------------------------

_BITS = {"PCM_U8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32, "FLOAT": 32, "DOUBLE": 64,
         "VORBIS": 0, "ULAW": 8}
_ENCODING = {"PCM_U8": "PCM_U", "PCM_16": "PCM_S", "PCM_24": "PCM_S", "PCM_32": "PCM_S",
             "FLOAT": "PCM_F", "DOUBLE": "PCM_F", "VORBIS": "VORBIS", "ULAW": "ULAW"}


@pytest.mark.parametrize("name", SOUNDFILE_FILES)
def test_info_soundfile_backend(corpus, name):
    expected = sf.info(corpus[name])
    unknown = expected.subtype in ("MPEG_LAYER_III", "OPUS")  # torchaudio 2.8 warns for these
    with pytest.warns(UserWarning, match="unknown to TorchAudio") if unknown else _nothing():
        got = adta.info(corpus[name], backend="soundfile")
    assert (got.sample_rate, got.num_frames, got.num_channels) == (
        expected.samplerate, expected.frames, expected.channels)
    assert got.bits_per_sample == _BITS.get(expected.subtype, 0)
    encoding = "FLAC" if expected.format == "FLAC" else _ENCODING.get(expected.subtype, "UNKNOWN")
    assert got.encoding == encoding


_FFMPEG_INFO = {  # (bits_per_sample, encoding) as torchaudio 2.8's FFmpeg backend maps them
    "wav_u8": (8, "PCM_U"), "wav_s16": (16, "PCM_S"), "wav_s24": (24, "PCM_S"),
    "wav_s32": (32, "PCM_S"), "wav_f32": (32, "PCM_F"), "wav_f64": (64, "PCM_F"),
    "wav_6ch": (16, "PCM_S"), "wav_ulaw": (8, "ULAW"), "flac_16": (16, "FLAC"), "flac_24": (24, "FLAC"),
    "mp3": (0, "MP3"), "vorbis": (0, "VORBIS"), "opus": (0, "OPUS"), "aac": (0, "AAC"),
}


@pytest.mark.parametrize("name", ALL_FILES)
@pytest.mark.parametrize("backend", ["ffmpeg", None])
def test_info_ffmpeg_backend(corpus, name, backend):
    with av.open(corpus[name]) as container:
        stream = container.streams.audio[0]
        frames = stream.frames or sum(f.samples for f in container.decode(stream))
        rate, channels = stream.codec_context.sample_rate, stream.codec_context.channels
    got = adta.info(corpus[name], backend=backend)
    assert (got.sample_rate, got.num_frames, got.num_channels) == (rate, frames, channels)
    assert (got.bits_per_sample, got.encoding) == _FFMPEG_INFO[name]
    assert str(got).startswith(f"AudioMetaData(sample_rate={rate}, num_frames={frames}")


# -- save -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("ext", "kwargs", "dtype", "subtype"), [
    ("wav", {}, torch.float32, "FLOAT"),
    ("wav", {}, torch.int16, "PCM_16"),
    ("wav", {}, torch.int32, "PCM_32"),
    ("wav", {}, torch.float64, "DOUBLE"),
    ("wav", {"bits_per_sample": 16}, torch.float32, "PCM_16"),
    ("wav", {"encoding": "PCM_S"}, torch.float32, "PCM_32"),
    ("wav", {"encoding": "PCM_U"}, torch.float32, "PCM_U8"),
    ("wav", {"encoding": "ULAW"}, torch.float32, "ULAW"),
    ("flac", {}, torch.float32, "PCM_16"),
    ("flac", {"bits_per_sample": 24}, torch.float32, "PCM_24"),
    ("ogg", {}, torch.float32, "VORBIS"),
    ("mp3", {}, torch.float32, "MPEG_LAYER_III"),
])
def test_save_follows_torchaudio_28_soundfile_rules(tmp_path, ext, kwargs, dtype, subtype):
    signal = torch.from_numpy(_signal(1600, 2).T.copy())
    if dtype == torch.int16:
        signal = (signal * 32767).to(torch.int16)
    elif dtype == torch.int32:
        signal = (signal * 2**30).to(torch.int32)
    else:
        signal = signal.to(dtype)
    ours, oracle = tmp_path / f"ours.{ext}", tmp_path / f"oracle.{ext}"
    warns_24 = kwargs.get("bits_per_sample") == 24  # torchaudio 2.8's warning, kept
    with pytest.warns(UserWarning, match="24 bits") if warns_24 else _nothing():
        adta.save(str(ours), signal, RATE, **kwargs)
    sf.write(str(oracle), signal.t().numpy(), RATE, subtype=subtype)
    assert sf.info(str(ours)).subtype == subtype
    if ext in ("wav", "flac"):  # lossless: the files are the same bytes
        assert _bytes(ours) == _bytes(oracle)
    back, sr = adta.load(str(ours), backend="soundfile")
    assert sr == RATE
    assert tuple(back.shape) == (2, 1600)


def _bytes(path) -> bytes:
    """A file's bytes, with the time libsndfile stamps into a float WAV's PEAK chunk zeroed:
    two writes a second apart differ there and nowhere else."""
    data = bytearray(path.read_bytes())
    at = data.find(b"PEAK")
    if at >= 0:
        data[at + 12 : at + 16] = bytes(4)  # 'PEAK', size, version, then the timestamp
    return bytes(data)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_save_channels_last_and_file_objects(tmp_path):
    signal = _signal(800, 2)
    buffer = io.BytesIO()
    adta.save(buffer, torch.from_numpy(signal), RATE, channels_first=False, format="wav")
    back, _sr = sf.read(io.BytesIO(buffer.getvalue()), dtype="float32")
    assert back.tobytes() == signal.tobytes()
    with pytest.raises(RuntimeError, match="`format` is required"):
        adta.save(io.BytesIO(), torch.from_numpy(signal.T.copy()), RATE)


def test_save_refusals(tmp_path):
    two_d = torch.zeros(1, 10)
    with pytest.raises(ValueError, match="Expected 2D Tensor, got 1D"):
        adta.save(str(tmp_path / "a.wav"), torch.zeros(10), RATE)
    with pytest.raises(ValueError, match="Invalid bits_per_sample"):
        adta.save(str(tmp_path / "a.wav"), two_d, RATE, bits_per_sample=12)
    with pytest.raises(ValueError, match="flac does not support bits_per_sample > 24"):
        adta.save(str(tmp_path / "a.flac"), two_d, RATE, bits_per_sample=32)
    with pytest.raises(ValueError, match="wav does not support 8-bit signed PCM"):
        adta.save(str(tmp_path / "a.wav"), two_d, RATE, encoding="PCM_S", bits_per_sample=8)
    with pytest.raises(ValueError, match="Unsupported format: xyz"):
        adta.save(str(tmp_path / "a.xyz"), two_d, RATE)
    with pytest.raises(ValueError, match="does not support argument `compression`"):
        adta.save(str(tmp_path / "a.wav"), two_d, RATE, compression=5, backend="soundfile")
    with pytest.raises(ValueError, match=r"to be of type `torchaudio\.io\.CodecConfig`"):
        adta.save(str(tmp_path / "a.wav"), two_d, RATE, compression=5)
    with pytest.raises(ValueError, match="dtype must be one of"):  # soundfile takes no uint8
        adta.save(str(tmp_path / "a.wav"), two_d.to(torch.uint8), RATE, backend="soundfile")


class _CodecConfig:
    """The fields of torchaudio 2.8's ``torchaudio.io.CodecConfig`` (torio's), defaults kept."""

    def __init__(self, compression_level: int = -1, qscale: float | None = None) -> None:
        self.bit_rate, self.gop_size, self.max_b_frames = -1, -1, -1
        self.compression_level, self.qscale = compression_level, qscale


@pytest.mark.parametrize("backend", ["ffmpeg", None])
def test_save_takes_a_codec_config(tmp_path, backend):
    signal = _signal(4000, 2)
    for level in (-1, 0, 8):
        ours, oracle = tmp_path / f"ours{level}.flac", tmp_path / f"oracle{level}.flac"
        adta.save(str(ours), torch.from_numpy(signal.T.copy()), RATE, backend=backend,
                  compression=_CodecConfig(compression_level=level))
        options = {} if level < 0 else {"compression_level": level / 8}
        sf.write(str(oracle), signal, RATE, subtype="PCM_16", **options)
        assert _bytes(ours) == _bytes(oracle)
    # a lossy format keeps its defaults: the file is made and reads back
    path = tmp_path / "q.ogg"
    adta.save(str(path), torch.from_numpy(signal.T.copy()), RATE, backend=backend,
              compression=_CodecConfig(qscale=5))
    assert sf.info(str(path)).frames == 4000


@pytest.mark.parametrize("backend", ["ffmpeg", None])
@pytest.mark.parametrize(("dtype", "bits"), [(np.int16, 16), (np.int32, 32)])
@pytest.mark.parametrize(("subtype", "real"), [("FLOAT", np.float32), ("DOUBLE", np.float64)])
def test_save_integers_to_float_wav_scaled_as_ffmpeg(tmp_path, backend, dtype, bits, subtype,
                                                     real):
    # torchaudio 2.8's FFmpeg backend: s16/s32 -> flt/dbl is x * 2^-(bits-1), in that precision
    values = np.linspace(np.iinfo(dtype).min, np.iinfo(dtype).max, 999).astype(dtype)
    values = np.stack([values, values[::-1]], axis=1)
    path = str(tmp_path / "f.wav")
    adta.save(path, torch.from_numpy(values.T.copy()), RATE, backend=backend,
              encoding="PCM_F", bits_per_sample=32 if subtype == "FLOAT" else 64)
    back, _sr = sf.read(path, dtype=real.__name__)
    assert sf.info(path).subtype == subtype
    assert back.tobytes() == (values.astype(real) * real(2.0 ** (1 - bits))).tobytes()


def test_save_integers_to_float_wav_unscaled_under_soundfile(tmp_path):
    # torchaudio 2.8's soundfile backend handed soundfile the integers: libsndfile stores them
    values = np.array([[-(2**31), 0, 2**31 - 1]], dtype=np.int32)
    path, oracle = tmp_path / "f.wav", tmp_path / "oracle.wav"
    adta.save(str(path), torch.from_numpy(values), RATE, encoding="PCM_F", backend="soundfile")
    sf.write(str(oracle), values.T, RATE, subtype="FLOAT")
    assert _bytes(path) == _bytes(oracle)


@pytest.mark.parametrize("backend", ["ffmpeg", None])
def test_save_uint8_as_torchaudio_28_ffmpeg_took_it(tmp_path, backend):
    values = np.arange(256, dtype=np.uint8).repeat(2).reshape(-1, 2)
    path = str(tmp_path / "u8.wav")
    adta.save(path, torch.from_numpy(values.T.copy()), RATE, backend=backend)
    assert sf.info(path).subtype == "PCM_U8"
    back, _sr = sf.read(path, dtype="int16")  # libsndfile: (u8 - 128) << 8
    assert ((back >> 8) + 128).astype(np.uint8).tobytes() == values.tobytes()


@pytest.mark.parametrize(("ext", "subtype"), [("wav", "FLOAT"), ("flac", "PCM_16")])
def test_save_longer_than_a_block_writes_torchaudio_28s_file(tmp_path, ext, subtype):
    # More than one write block: the file is still the one a single soundfile.write makes.
    signal = _signal(70_000, 2)
    ours, oracle = tmp_path / f"ours.{ext}", tmp_path / f"oracle.{ext}"
    adta.save(str(ours), torch.from_numpy(signal.T.copy()), RATE, backend="ffmpeg")
    sf.write(str(oracle), signal, RATE, subtype=subtype)
    assert _bytes(ours) == _bytes(oracle)


def test_save_long_vorbis_does_not_crash(tmp_path):
    # One soundfile.write of 3.2 M stereo frames to Ogg Vorbis ends the process with SIGSEGV
    # in libsndfile 1.2 (torchaudio 2.8's soundfile backend did exactly that; torchaudio's own
    # ffmpeg save test of an hour of 8 kHz stereo found it). save writes in blocks.
    frames = 3_200_000
    path = tmp_path / "long.ogg"
    adta.save(str(path), torch.linspace(-0.5, 0.5, frames).repeat(2, 1), RATE)
    assert sf.info(str(path)).frames == frames


@pytest.mark.parametrize(("ext", "rate", "codec"), [("m4a", 16000, "aac"),
                                                     ("opus", 48000, "opus")])
def test_save_through_ffmpeg_round_trips(tmp_path, ext, rate, codec):
    signal = _signal(rate // 2, 2, rate)
    path = str(tmp_path / f"a.{ext}")
    adta.save(path, torch.from_numpy(signal.T.copy()), rate)
    with av.open(path) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.codec.canonical_name == codec
        decoded = np.concatenate([f.to_ndarray() for f in container.decode(stream)], axis=1)
    assert decoded.shape[0] == 2
    assert abs(decoded.shape[1] - len(signal)) < 3000  # priming and padding
    back, sr = adta.load(path)
    assert sr == rate
    assert back.shape[0] == 2


# -- import -----------------------------------------------------------------------------------

def test_import_without_torch_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # what an absent package looks like
    monkeypatch.delitem(sys.modules, "audiodecode.torchaudio")
    with pytest.raises(ImportError, match=r"pip install 'audiodecode\[torch\]'"):
        importlib.import_module("audiodecode.torchaudio")
