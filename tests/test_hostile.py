"""Untrusted input: no crash, no hang, no untyped error, no allocation from a lying header.

The corpus (``tests/_hostile.py``) is generated here: truncations and mutations of ten
formats, hand-made headers that lie, special paths and extreme arguments. Each case runs in
its own forked child with a timeout (a crash or a hang cannot take the test run down), and
the table the README's "Untrusted input" section shows is printed (``pytest -s``). The other
tests are the regressions for what the corpus found, one cause each.
"""

from __future__ import annotations

import os
import pickle
import socket
import struct

import _hostile
import numpy as np
import pytest
import soundfile as sf

import audiodecode
from audiodecode import (
    AudioDecodeError,
    AudioTooLargeError,
    CorruptAudioError,
    DecodeTimeoutError,
    NotRegularFileError,
    _corpus,
)
from audiodecode._libsoxr import oneshot
from audiodecode._options import LoadOptions
from audiodecode._pipeline import RESAMPLE_CALL_FRAMES, Run, plan
from audiodecode._source import open_source
from audiodecode.backends import open_reader


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    cases = _hostile.write_hostile_corpus(folder, truncations=12, mutations=16, seed=7)
    return {case.name: case for case in cases}, _hostile.run_cases(cases, timeout=30.0)


def test_the_corpus_covers_every_kind_of_case(hostile):
    cases, _ = hostile
    groups = {case.group for case in cases.values()}
    assert groups == {"intact", "truncated", "mutated", "header", "special", "arguments"}
    kinds = {name.split("/")[1].split("@")[0].split("#")[0] for name in cases
             if name.startswith(("truncated/", "mutated/"))}
    assert kinds == {k for k in _hostile.MUTATED_KINDS if _corpus.KINDS[k].available()}
    assert len(cases) > 400


def test_no_crash_hang_untyped_error_or_over_allocation(hostile):
    _, outcomes = hostile
    print("\n" + _hostile.table(outcomes))
    bad = [o for o in outcomes if o.outcome in ("other", "crash", "hang") or o.over_allocation]
    assert bad == [], "\n".join(f"{o.name}: {o.outcome} {o.detail}" for o in bad)


def test_typed_errors_name_the_file(hostile):
    _, outcomes = hostile
    unnamed = [o.name for o in outcomes if o.outcome == "typed error" and not o.named]
    assert unnamed == []


def test_intact_files_decode_and_memory_stays_near_the_output(hostile):
    _, outcomes = hostile
    intact = [o for o in outcomes if o.group == "intact"]
    assert intact
    assert all(o.outcome == "array" and not o.zeros for o in intact)
    # 2 s of stereo: a few hundred kilobytes out; what the decoders need besides is small.
    assert all(o.reserved < 8 * o.output_bytes + (4 << 20) for o in intact)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("special/fifo", "NotRegularFileError"),  # hung for ever in open()
        ("special/socket", "NotRegularFileError"),
        ("special/dev_zero", "NotRegularFileError"),
        ("special/pipe_fd", "NotRegularFileError"),
        ("special/symlink_loop", "FileNotFoundError"),
        ("special/trailing_slash", "FileNotFoundError"),
        ("special/closed_fd", "ValueError"),
        ("header/wav_1hz_1mb", "AudioTooLargeError"),  # crashed libsoxr (2**31 frames)
        ("header/wav_1hz_2kb", "UnsupportedFormatError"),  # 330 MB inside libsoxr
        ("header/wav_rate_4ghz", "UnsupportedFormatError"),  # minutes of filter design
        ("arguments/wav_pcm16/sr=1e9", "ValueError"),  # hung, then crashed
        ("arguments/m4a_aac/sr=1e9", "ValueError"),
        ("arguments/wav_pcm16/sr=1e-300", "ValueError"),  # hung in libsoxr
        ("arguments/flac_16/max_duration=0.1", "AudioTooLargeError"),
    ],
)
def test_what_used_to_crash_or_hang_now_raises_at_once(hostile, name, expected):
    _, outcomes = hostile
    (outcome,) = [o for o in outcomes if o.name == name]
    assert outcome.detail.split(":")[0] == expected, outcome.detail


def test_lying_headers_reserve_nothing_from_their_claims(hostile):
    """FLAC totals, Xing counts, granules and durations asked np.empty for 8 GiB to 171 PiB."""
    _, outcomes = hostile
    lying = [o for o in outcomes if o.group == "header" and o.name.split("/")[1].split("_")[0]
             in ("flac", "mp3", "ogg", "opus", "mka", "mp4", "asf")]
    assert len(lying) >= 20
    for o in lying:
        assert o.outcome in ("array", "typed error"), (o.name, o.detail)
        assert o.reserved < 24 << 20, (o.name, o.reserved)


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile_sources")
    return {kind: _corpus.write(folder / f"{kind}{_corpus.KINDS[kind].extension}", kind,
                                seconds=2.0)
            for kind in ("mka_opus", "ogg_vorbis", "mp3", "flac_16", "wma")
            if _corpus.KINDS[kind].available()}


def _patched(path, tmp_path, patch, variant):
    data = dict(patch(bytearray(path.read_bytes())))[variant]
    out = tmp_path / f"patched{path.suffix}"
    out.write_bytes(bytes(data))
    return out


@pytest.mark.parametrize("variant", ["huge", "tiny", "negative", "nan"])
def test_a_matroska_duration_that_lies_changes_nothing(sources, tmp_path, variant):
    """librosa (through FFmpeg) returns these files' audio; so must we, the same samples."""
    path = sources["mka_opus"]
    lying = _patched(path, tmp_path, _hostile._matroska_duration, variant)
    for sr in (None, 16000):
        expected, _ = audiodecode.load(path, sr=sr, mono=False)
        got, _ = audiodecode.load(lying, sr=sr, mono=False)
        np.testing.assert_array_equal(got, expected, strict=True)
        assert _owner_bytes(got) <= got.nbytes + (1 << 20)


@pytest.mark.parametrize(("kind", "patch", "variant"), [
    ("ogg_vorbis", _hostile._ogg_granule, "1e12"),
    ("mp3", _hostile._xing_frames, "1e8"),
    ("wma", _hostile._asf_duration, "max"),
])
def test_a_length_claimed_far_beyond_the_file_is_not_kept_alive(sources, tmp_path, kind, patch,
                                                                 variant):
    if kind not in sources:
        pytest.skip(f"this build cannot write {kind}")
    lying = _patched(sources[kind], tmp_path, patch, variant)
    y, _ = audiodecode.load(lying, sr=None)
    assert 1.5 * 44100 < len(y) < 3 * 44100  # the 2 s that are there
    assert _owner_bytes(y) <= y.nbytes + (1 << 20)


def _owner_bytes(y):
    while y.base is not None:
        y = y.base
    return y.nbytes


def _wav(path, rate, n_frames, *, channels=1):
    samples = np.random.default_rng(0).integers(-20000, 20000, n_frames * channels, np.int16)
    path.write_bytes(_hostile._riff_wav(channels, rate, 16, samples.astype("<i2").tobytes()))
    return path


def test_sr_outside_the_documented_range_is_a_value_error(tmp_path):
    path = _wav(tmp_path / "a.wav", 8000, 800)
    for sr in (0.5, 1e-300, 2.0**20 + 1, 1e9, float("nan"), float("inf"), True):
        with pytest.raises(ValueError, match=r"from 1 to 1\.04858e\+06"):
            audiodecode.load(path, sr=sr)
    y, _ = audiodecode.load(path, sr=2**20)  # the top of the range works
    assert len(y) == -(-800 * 2**20 // 8000)  # librosa: ceil(n * sr_out / sr_in)


def test_max_duration_per_call_and_for_the_process(tmp_path):
    path = _wav(tmp_path / "a.wav", 8000, 8000)
    with pytest.raises(AudioTooLargeError, match=r"lasts 1 s, longer than max_duration=0.5"):
        audiodecode.load(path, sr=None, max_duration=0.5)
    assert len(audiodecode.load(path, sr=None, max_duration=1.0)[0]) == 8000
    assert len(audiodecode.load(path, sr=None, duration=0.5, max_duration=0.5)[0]) == 4000
    previous = audiodecode.set_max_duration(0.25)
    try:
        with pytest.raises(AudioTooLargeError):
            audiodecode.load(path, sr=None)
        assert len(audiodecode.load(path, sr=None, max_duration=float("inf"))[0]) == 8000
    finally:
        audiodecode.set_max_duration(previous)
    with pytest.raises(ValueError, match=r"max_duration"):
        audiodecode.load(path, max_duration=0)


def test_max_duration_is_enforced_while_decoding_when_the_length_is_only_claimed(sources):
    """A compressed stream's length is a claim: the limit is checked on the decoded frames."""
    with pytest.raises(AudioTooLargeError, match=r"lasts longer than max_duration=0.5"):
        audiodecode.load(sources["flac_16"], sr=16000, max_duration=0.5)
    with pytest.raises(AudioTooLargeError):
        audiodecode.load(sources["mka_opus"], sr=None, max_duration=0.5)


def test_steep_upsampling_is_streamed_in_bounded_calls_with_librosa_samples(tmp_path):
    """A 1 s WAV at 8 Hz to 8192 Hz: 4x the one-shot bound, so it is resampled block by block.

    librosa resamples the whole signal in one soxr call; the blocks give the same samples.
    """
    import librosa

    path = _wav(tmp_path / "slow.wav", 8, 16384)
    expected, _ = librosa.load(path, sr=8192)
    got, _ = audiodecode.load(path, sr=8192)
    np.testing.assert_array_equal(got, expected, strict=True)
    with open_source(path) as source, open_reader(source) as reader:
        the_plan = plan(reader, LoadOptions(sr=8192).checked())
        sizes = [len(block) for block, _ in Run(reader, the_plan)]
    assert len(sizes) > 8
    assert max(sizes) <= 2 * RESAMPLE_CALL_FRAMES


def test_libsoxr_one_shot_refuses_lengths_it_would_overflow():
    resample = oneshot()
    if resample is None:
        pytest.skip("libsoxr's one-shot call cannot be bound here")
    signal = np.zeros(16, np.float32)
    with pytest.raises(ValueError, match=r"too many"):
        resample(signal, 1.0, 2.0**28, "soxr_hq", 2**32)


def test_ffmpeg_eperm_on_open_is_a_corrupt_file_not_a_permission_error(tmp_path, monkeypatch):
    import av

    from audiodecode.backends import pyav

    path = tmp_path / "broken.wma"
    path.write_bytes(bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c") + bytes(200))

    def refuse(*args, **kwargs):
        raise av.error.PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(pyav.av, "open", refuse)
    with pytest.raises(CorruptAudioError, match=r"broken.wma.*Operation not permitted"):
        audiodecode.load(path, backend="pyav")


def test_special_files_are_refused_in_process(tmp_path):
    fifo = tmp_path / "fifo.wav"
    os.mkfifo(fifo)
    with pytest.raises(NotRegularFileError, match=r"fifo.wav: a FIFO"):
        audiodecode.load(fifo)
    with pytest.raises(NotRegularFileError, match=r"character device"):
        audiodecode.info("/dev/zero")
    sock_path = tmp_path / "sock.wav"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(sock_path))
    try:
        with pytest.raises(NotRegularFileError, match=r"sock.wav"):
            audiodecode.load(sock_path)
    finally:
        listener.close()
    reader_end, writer_end = os.pipe()
    try:
        with pytest.raises(NotRegularFileError, match=r"<fd"):
            audiodecode.load(reader_end)
    finally:
        os.close(reader_end)
        os.close(writer_end)


def test_paths_that_name_no_file_raise_file_not_found(tmp_path):
    wav = _wav(tmp_path / "a.wav", 8000, 80)
    loop = tmp_path / "loop.wav"
    os.symlink(loop, loop)
    for path in (f"{wav}/", loop, tmp_path / "missing.wav"):
        with pytest.raises(FileNotFoundError) as info:
            audiodecode.load(path)
        assert str(path) in str(info.value)
    with pytest.raises(IsADirectoryError):
        audiodecode.load(tmp_path)
    fd = os.open(wav, os.O_RDONLY)
    os.close(fd)
    with pytest.raises(ValueError, match=f"file descriptor {fd} is not open"):
        audiodecode.load(fd)


@pytest.mark.parametrize("cls", [AudioTooLargeError, NotRegularFileError, DecodeTimeoutError])
def test_new_errors_are_typed_and_pickle(cls):
    err = cls("clip.flac", "too long", "sndfile")
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is cls
    assert isinstance(copy, AudioDecodeError)
    assert str(copy) == "clip.flac: too long [sndfile]"


def _slow_transform(y, sr):
    import time

    time.sleep(2.5 if len(y) == 800 else 0)
    return len(y)


def test_load_batch_timeout_reports_a_slow_file_as_a_failure(tmp_path):
    fast = _wav(tmp_path / "fast.wav", 8000, 400)
    slow = _wav(tmp_path / "slow.wav", 8000, 800)
    with pytest.warns(audiodecode.batch.SkippedFilesWarning, match="DecodeTimeoutError"):
        results = audiodecode.load_batch([fast, slow, fast], sr=None, workers=2, timeout=1.0,
                                         transform=_slow_transform, on_error="skip")
    assert list(results) == [400, None, 400]
    (failure,) = results.failures
    assert failure.index == 1
    assert isinstance(failure.exception, DecodeTimeoutError)
    with pytest.raises(DecodeTimeoutError, match=r"slow.wav: not done after timeout=1 s"):
        list(audiodecode.imap([slow], sr=None, timeout=1.0, transform=_slow_transform))
    with pytest.raises(ValueError, match=r"timeout"):
        audiodecode.load_batch([fast], timeout=0)


def test_a_header_claiming_65535_channels_allocates_bounded_scratch(tmp_path):
    path = tmp_path / "wide.wav"
    payload = bytes(range(256)) * 768  # 3 frames of 65535 one-byte samples
    path.write_bytes(_hostile._riff_wav(65535, 8000, 8, payload))
    y, _ = audiodecode.load(path, sr=16000)
    assert y.shape == (6,)


def test_riff_helper_writes_what_libsndfile_reads(tmp_path):
    path = tmp_path / "x.wav"
    path.write_bytes(_hostile._riff_wav(2, 8000, 16, struct.pack("<4h", 1, 2, 3, 4)))
    assert sf.info(path).frames == 2


def test_an_honest_file_beyond_the_first_allocation_grows_to_librosa_samples(tmp_path):
    """70 s of a staircase FLAC is a few kilobytes: its true header is believed only up to the
    first allocation's bound, and the output grows (in place, and when resampled)."""
    import librosa

    steps = np.repeat(np.linspace(-0.5, 0.5, 70), 44100)
    path = tmp_path / "stairs.flac"
    sf.write(path, np.stack([steps, -steps], axis=1), 44100, subtype="PCM_16")
    with open_source(path) as source, open_reader(source) as reader:
        the_plan = plan(reader, LoadOptions(sr=None, mono=False).checked())
        assert the_plan.expected_frames < reader.frames == len(steps)
    expected, _ = sf.read(path, dtype="float32", always_2d=True)
    got, _ = audiodecode.load(path, sr=None, mono=False)
    np.testing.assert_array_equal(got, expected.T, strict=True)
    expected, _ = librosa.load(path, sr=22050)
    got, _ = audiodecode.load(path, sr=22050)
    np.testing.assert_array_equal(got, expected, strict=True)


def test_long_files_peak_near_their_output(tmp_path):
    """2 minutes of FLAC, MP3 and AAC: the peak RSS stays within 16 MiB of the output. FFmpeg's
    estimated length used to fall 96 frames short for AAC, and the output doubled to grow."""
    cases = [c for c in _hostile.write_hostile_corpus(tmp_path, truncations=0, mutations=0,
                                                      kinds=(), long_seconds=120.0)
             if c.name.startswith("intact/long_")]
    assert len(cases) == 3
    for o in _hostile.run_cases(cases, timeout=60.0):
        assert o.outcome == "array", o.detail
        assert o.output_bytes > 40 << 20
        assert o.rss_growth < o.output_bytes + (16 << 20), (o.name, o.rss_growth)
        assert o.reserved < o.output_bytes + (16 << 20), (o.name, o.reserved)
