"""``info`` reads headers and container metadata only: its cost does not grow with length."""

from __future__ import annotations

import io
import os

import _corpus
import pytest

import audiodecode
from audiodecode import AudioDecodeError
from audiodecode.cli.info import _exact


class CountingBytesIO(io.BytesIO):
    """A file object that counts the bytes a reader takes from it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk

    def readinto(self, buffer) -> int:
        n = super().readinto(buffer)
        self.bytes_read += n
        return n


# Long enough that libsndfile's Ogg length scan (the last ~80 KB) is under a third of the file;
# every second more costs encoding time in every run.
LONG = 30


@pytest.fixture(scope="module")
def long_and_short(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lengths")
    kinds = ["wav_pcm16", "flac_16", "mp3", "ogg_vorbis", "ogg_opus", "m4a_aac", "webm_opus",
             "wma", "aiff_pcm16"]
    return {
        kind: {
            seconds: _corpus.write(folder / f"{kind}_{seconds}{_corpus.KINDS[kind].extension}",
                                   kind, seconds=seconds)
            for seconds in (1, LONG)
        }
        for kind in kinds
    }


@pytest.mark.parametrize("kind", ["wav_pcm16", "flac_16", "mp3", "ogg_vorbis", "ogg_opus",
                                  "m4a_aac", "webm_opus", "wma", "aiff_pcm16"])
def test_info_does_not_read_the_audio(long_and_short, kind):
    """On a long file, info reads a bounded number of bytes, a small fraction of the file."""
    counts = {}
    for seconds, path in long_and_short[kind].items():
        data = path.read_bytes()
        handle = CountingBytesIO(data)
        details = audiodecode.info(handle)
        assert not handle.closed
        assert details.duration == pytest.approx(seconds, rel=0.05)
        counts[seconds] = (handle.bytes_read, len(data))
    read_long, size_long = counts[LONG]
    assert read_long < 128 * 1024
    assert read_long < size_long / 3


def test_info_fields(corpus):
    wav = audiodecode.info(corpus["wav_pcm24"])
    assert (wav.format, wav.codec, wav.bits_per_sample, wav.backend) == (
        "wav", "pcm_s24le", 24, "wav")
    flac = audiodecode.info(corpus["flac_16"])
    assert (flac.format, flac.bits_per_sample, flac.frames_exact) == ("flac", 16, True)
    mp3 = audiodecode.info(corpus["mp3"])
    assert (mp3.format, mp3.codec, mp3.bits_per_sample) == ("mp3", "mp3", None)
    m4a = audiodecode.info(corpus["m4a_aac"])
    assert (m4a.codec, m4a.backend, m4a.channels) == ("aac", "pyav", 2)


def test_info_is_frozen(corpus):
    details = audiodecode.info(corpus["wav_pcm16"])
    with pytest.raises(AttributeError):
        details.frames = 0


def test_info_leaves_a_caller_soundfile_open(corpus):
    import soundfile as sf

    with sf.SoundFile(corpus["flac_16"]) as handle:
        assert audiodecode.get_samplerate(handle) == handle.samplerate
        assert not handle.closed


@pytest.mark.parametrize("name", ["empty", "text_as_wav", "random_bytes"])
def test_info_on_non_audio_raises_our_error(edge_files, name):
    with pytest.raises(audiodecode.AudioDecodeError):
        audiodecode.info(edge_files[name])


# The files neither libsndfile nor FFmpeg decode (libsndfile 1.2, FFmpeg 7/8): not audio at
# all, and damaged copies whose damage both decoders report as an error.
REFUSED = {
    "edge/empty", "edge/random_bytes", "edge/text_as_wav",
    "edge/corrupt_m4a_aac", "edge/corrupt_mp3", "edge/truncated_flac_16",
    "edge/truncated_m4a_aac",
}


def _every_test_file(corpus, corpus_mono, edge_files):
    files = {f"corpus/{k}": p for k, p in corpus.items()}
    files.update({f"corpus_mono/{k}": p for k, p in corpus_mono.items()})
    files.update({f"edge/{k}": p for k, p in edge_files.items()})
    return files


def test_every_test_file_loads_as_info_describes_it_or_is_refused_with_a_reason(
    corpus, corpus_mono, edge_files
):
    """Rate, channels and length agree between ``info`` and ``load`` on every generated file;
    a file neither reads is refused with our error, whose message names it and says why.
    Which files are refused is part of the contract: exactly ``REFUSED``."""
    files = _every_test_file(corpus, corpus_mono, edge_files)
    loaded, refusals = 0, []
    for name, path in files.items():
        try:
            details = audiodecode.info(path)
            y, sr = audiodecode.load(path, sr=None, mono=False)
        except AudioDecodeError as exc:
            refusals.append((name, os.path.basename(path), exc))
            continue
        assert sr == details.sample_rate, name
        assert (1 if y.ndim == 1 else y.shape[0]) == details.channels, name
        if not details.frames_exact:
            # An estimate from container timestamps, marked "~" by `audiodecode info`, whose
            # --exact counts what load returns.
            details = _exact(str(path), details)
        if name.startswith(("edge/truncated_", "edge/corrupt_")):
            # The header cannot know the damage: load returns what decodes, as librosa does.
            assert 0 < y.shape[-1] <= details.frames, name
        else:
            assert y.shape[-1] == details.frames, name
        loaded += 1
    assert {name for name, _, _ in refusals} == REFUSED
    assert loaded == len(files) - len(REFUSED)
    for _, file_name, exc in refusals:
        assert file_name in str(exc)
        assert exc.reason
