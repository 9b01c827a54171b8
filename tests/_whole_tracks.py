"""Whole tracks as people have them: a minute or more, encoded the ordinary way.

Short clean clips hide what breaks on real files (libmpg123's state across reads, the bit
reservoir, Xing/LAME headers, ID3v2 tags carrying cover art, Opus resampled from 22.05 kHz), so
the parity suite also runs on these. MP3, Opus and AAC are encoded with FFmpeg's own encoders
through PyAV (libmp3lame as ``ffmpeg -q:a 4`` / ``-b:a 192k`` configures it, libopus after
FFmpeg's resampler as ``ffmpeg -c:a libopus`` inserts it for a 22.05 kHz source); FLAC, Vorbis
and one MP3 by libsndfile through soundfile. Cover art is an ID3v2.3 APIC frame with a real PNG,
as taggers write it. Nothing is downloaded; the signal is seeded, so every run writes the same
files.
"""

from __future__ import annotations

import concurrent.futures
import fcntl
import os
import struct
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import av
import numpy as np
import soundfile as sf

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

# libmp3lame's VBR quality is set through FFmpeg's global_quality in lambda units
# (``ffmpeg -q:a 4`` multiplies by FF_QP2LAMBDA = 118 and sets the qscale flag).
_FF_QP2LAMBDA = 118


@dataclass(frozen=True)
class Track:
    """One whole-track fixture: how it is written, and whether librosa reads it."""

    name: str
    writer: str  # "pyav" or "soundfile"
    sample_rate: int  # of the source signal
    channels: int
    seconds: float
    codec: str = ""  # PyAV encoder name
    container: str = ""  # PyAV muxer, or soundfile's format
    subtype: str | None = None  # soundfile's subtype
    options: dict[str, str] = field(default_factory=dict)
    bit_rate: int | None = None
    encode_rate: int | None = None  # resample the source to this rate first (as ffmpeg does)
    cover_art: bool = False
    librosa_reads: bool = True

    @property
    def suffix(self) -> str:
        return {"mp3": ".mp3", "ogg": ".ogg", "ipod": ".m4a", "FLAC": ".flac", "OGG": ".ogg",
                "MP3": ".mp3"}[self.container]


_VBR_Q4 = {"flags": "+qscale", "global_quality": str(4 * _FF_QP2LAMBDA)}

TRACKS: dict[str, Track] = {
    track.name: track
    for track in (
        Track("mp3_vbr_44k_stereo_cover", "pyav", 44100, 2, 75.0, "libmp3lame", "mp3",
              options=_VBR_Q4, cover_art=True),
        Track("mp3_vbr_48k_mono", "pyav", 48000, 1, 66.0, "libmp3lame", "mp3", options=_VBR_Q4),
        Track("mp3_vbr_22k_stereo", "pyav", 22050, 2, 90.0, "libmp3lame", "mp3",
              options=_VBR_Q4),
        Track("mp3_cbr_44k_mono_cover", "pyav", 44100, 1, 61.0, "libmp3lame", "mp3",
              bit_rate=128_000, cover_art=True),
        Track("mp3_cbr_48k_stereo", "pyav", 48000, 2, 70.0, "libmp3lame", "mp3",
              bit_rate=192_000),
        Track("mp3_cbr_22k_mono", "pyav", 22050, 1, 64.0, "libmp3lame", "mp3", bit_rate=64_000),
        Track("mp3_sndfile_44k_stereo", "soundfile", 44100, 2, 62.0, container="MP3",
              subtype="MPEG_LAYER_III"),
        Track("flac_44k_stereo", "soundfile", 44100, 2, 68.0, container="FLAC", subtype="PCM_16"),
        Track("flac_48k_mono_24bit", "soundfile", 48000, 1, 61.0, container="FLAC",
              subtype="PCM_24"),
        Track("vorbis_44k_stereo", "soundfile", 44100, 2, 72.0, container="OGG",
              subtype="VORBIS"),
        Track("opus_48k_stereo", "pyav", 48000, 2, 66.0, "libopus", "ogg"),
        Track("opus_from_22k_mono", "pyav", 22050, 1, 63.0, "libopus", "ogg",
              encode_rate=24000),
        Track("aac_44k_stereo", "pyav", 44100, 2, 65.0, "aac", "ipod", bit_rate=160_000,
              librosa_reads=False),
    )
}


def music_like(sample_rate: int, channels: int, seconds: float, seed: int) -> np.ndarray:
    """``(channels, n)`` float32 in [-1, 1]: notes with harmonics, a chirp, noise bursts.

    Transients and quiet passages make a lossy encoder switch block types and spend its bit
    reservoir unevenly, which is where decoders' states diverge.
    """
    rng = np.random.default_rng(seed)
    n = int(sample_rate * seconds)
    t = np.arange(n) / sample_rate
    signal = np.zeros((channels, n))
    note_length = int(0.25 * sample_rate)
    for start in range(0, n, note_length):
        stop = min(start + note_length, n)
        envelope = np.exp(-np.arange(stop - start) / (0.12 * sample_rate))
        for channel in range(channels):
            pitch = 110.0 * 2 ** (rng.integers(0, 36) / 12)
            for harmonic in (1, 2, 3, 5):
                if pitch * harmonic < sample_rate / 2:
                    phase = 2 * np.pi * pitch * harmonic * t[start:stop]
                    signal[channel, start:stop] += 0.12 / harmonic * envelope * np.sin(phase)
    sweep = 0.05 * np.sin(2 * np.pi * (40 + (sample_rate / 4) * t / seconds) * t)
    signal += sweep
    bursts = rng.standard_normal((channels, n)) * (np.sin(2 * np.pi * 0.3 * t) > 0.9)
    signal += 0.05 * bursts
    signal[:, int(0.4 * n) : int(0.43 * n)] *= 0.001  # a near-silent passage
    return np.clip(signal, -1, 1).astype(np.float32)


def shared_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder for this run's tracks, one for every pytest-xdist worker of the run.

    Each worker is a process of its own with a base temp folder of its own; their parent is
    the run's (xdist's documented way to share session fixtures), so each track is encoded
    once per run rather than once per worker.
    """
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    folder = base / "whole_tracks"
    folder.mkdir(exist_ok=True)
    return folder


def write_tracks(folder: Path, names: list[str] | None = None) -> dict[str, Path]:
    """Write the tracks (all, or ``names``) into ``folder``; returns ``{name: path}``.

    A track already in ``folder`` (written by this process or another: each is written under
    a lock, to a temporary name, then renamed) is not written again; a minute of MP3 takes
    seconds to encode, and several test modules read the same tracks (they never write to
    them). The files are the same either way (seeded signal, same encoders). Tracks are
    written on as many threads as there are cores: numpy, libsndfile and FFmpeg's encoders
    release the GIL, and encoding is most of what a test run spends on these files.
    """
    wanted = [(seed, track) for seed, track in enumerate(TRACKS.values())
              if names is None or track.name in names]
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        written = pool.map(lambda item: _write_once(folder, *item), wanted)
        return {track.name: path for (_, track), path in zip(wanted, written, strict=True)}


def _write_once(folder: Path, seed: int, track: Track) -> Path:
    path = folder / f"{track.name}{track.suffix}"
    with open(folder / f"{track.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not path.exists():
            partial = path.with_name(f".{track.name}.{os.getpid()}{track.suffix}")
            _write_track(partial, seed, track)
            partial.rename(path)
    return path


def _write_track(path: Path, seed: int, track: Track) -> None:
    signal = music_like(track.sample_rate, track.channels, track.seconds, seed)
    if track.writer == "soundfile":
        _write_with_soundfile(path, track, signal)
    else:
        _encode_with_pyav(path, track, signal)
    if track.cover_art:
        _add_cover_art(path)


def _write_with_soundfile(path: Path, track: Track, signal: np.ndarray) -> None:
    # In blocks: libsndfile 1.2's Vorbis encoder crashes on one very large write.
    with sf.SoundFile(path, "w", track.sample_rate, track.channels, track.subtype,
                      format=track.container) as out:
        for start in range(0, signal.shape[1], 1 << 15):
            out.write(signal[:, start : start + (1 << 15)].T)


def _encode_with_pyav(path: Path, track: Track, signal: np.ndarray) -> None:
    layout = "stereo" if track.channels == 2 else "mono"
    rate = track.encode_rate or track.sample_rate
    with av.open(str(path), "w", format=track.container) as container:
        stream = container.add_stream(track.codec, rate=rate, layout=layout,
                                      options=dict(track.options))
        if track.bit_rate:
            stream.bit_rate = track.bit_rate
        encoder_format = stream.codec_context.codec.audio_formats[0].name
        resampler = av.AudioResampler(format=encoder_format, layout=layout, rate=rate)
        step = 4096
        for start in range(0, signal.shape[1], step):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(signal[:, start : start + step]), format="fltp",
                layout=layout,
            )
            frame.sample_rate = track.sample_rate
            for converted in resampler.resample(frame):
                container.mux(stream.encode(converted))
        for converted in resampler.resample(None):
            container.mux(stream.encode(converted))
        container.mux(stream.encode(None))


def _png(width: int, height: int, seed: int) -> bytes:
    """A real RGB PNG (noise, so it does not compress: covers are tens to hundreds of KB)."""
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    raw = b"".join(b"\x00" + row.tobytes() for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def _syncsafe(n: int) -> bytes:
    return bytes(((n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F))


def _id3v23_frame(frame_id: bytes, payload: bytes) -> bytes:
    return frame_id + struct.pack(">I", len(payload)) + b"\x00\x00" + payload


def _add_cover_art(path: Path) -> None:
    """Replace the file's ID3v2 tag by one with a title, an artist and a front cover."""
    data = path.read_bytes()
    if data[:3] == b"ID3":  # the muxer's own small tag (TSSE): a tagger replaces it
        size = sum(b << (7 * (3 - i)) for i, b in enumerate(data[6:10])) + 10
        data = data[size:]
    frames = (
        _id3v23_frame(b"TIT2", b"\x00Whole track") + _id3v23_frame(b"TPE1", b"\x00audiodecode")
        + _id3v23_frame(b"APIC", b"\x00image/png\x00\x03cover\x00" + _png(240, 240, 7))
    )
    padding = b"\x00" * 2048  # taggers leave room to edit the tag in place
    body = frames + padding
    path.write_bytes(b"ID3\x03\x00\x00" + _syncsafe(len(body)) + body + data)
