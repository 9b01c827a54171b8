"""Synthetic audio for ``audiodecode bench``'s demo corpus: deterministic for a seed, made on
the spot, so the demo needs no download.

* :func:`signal`: a chirp plus a little noise (the long WAV); :func:`voiced`: a speech-like
  signal (the clips).
* :func:`write`: one file of a :data:`DEMO_KINDS` kind, with soundfile (libsndfile) or, for
  AAC in MP4, PyAV.

Only numpy is imported here; soundfile and av inside :func:`write`.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["DEMO_KINDS", "DemoKind", "seed_int", "seeded_rng", "signal", "voiced", "write"]


def seeded_rng(seed: int | Sequence[int]) -> np.random.Generator:
    return np.random.default_rng(seed)


def seed_int(parts: Sequence[int]) -> int:
    """One int from several, stable across runs and platforms (``hash()`` is salted)."""
    return int(np.random.SeedSequence(list(parts)).generate_state(1)[0])


def signal(n_frames: int, channels: int, *, sample_rate: int, seed: int = 0) -> np.ndarray:
    """A deterministic test signal: a repeating log chirp plus a little noise.

    Never silent, every channel different (its own chirp phase, timing and noise), peak about
    0.8, no DC. The result does not depend on ``n_frames`` beyond its length: a shorter call
    returns a prefix of a longer one, so a truncated file can be compared with the start of the
    full signal.

    Parameters
    ----------
    n_frames, channels
        Shape of the result.
    sample_rate
        Sets the chirp's frequencies in Hz (100 Hz up to ``min(6000, 0.35 * sample_rate)``,
        every 2 seconds).
    seed
        Seeds the noise.

    Returns
    -------
    numpy.ndarray
        float64, shape ``(n_frames, channels)``.

    Examples
    --------
    >>> x = signal(44100, 2, sample_rate=44100)
    >>> x.shape, x.dtype, bool(0.7 < abs(x).max() <= 0.8)
    ((44100, 2), dtype('float64'), True)
    """
    if n_frames < 0 or channels < 1:
        msg = f"need n_frames >= 0 and channels >= 1, got {n_frames} and {channels}"
        raise ValueError(msg)
    f0 = 100.0
    f1 = min(6000.0, 0.35 * sample_rate)
    period = 2.0
    t = np.arange(n_frames, dtype=np.float64) / sample_rate
    out = np.empty((n_frames, channels), dtype=np.float64)
    for c in range(channels):
        # A fixed-period sweep with a channel-dependent offset: frequencies differ between
        # channels at every instant, so a decoder that swaps or duplicates channels fails.
        u = ((t + 0.37 * c) % period) / period
        k = math.log(f1 / f0)
        # Phase of an exponential sweep, integrated in closed form per period so that it does
        # not depend on n_frames (cumsum would); the jump at the wrap is harmless.
        phase = 2 * np.pi * f0 * period / k * np.expm1(k * u) + c * np.pi / 3
        out[:, c] = 0.7 * np.sin(phase)
    # Row-major draws: the first m rows are the same whatever n_frames is.
    noise = seeded_rng([seed, 1]).standard_normal((n_frames, channels))
    out += np.clip(0.03 * noise, -0.1, 0.1)
    return out


def voiced(
    n_frames: int,
    channels: int = 1,
    *,
    sample_rate: int,
    seed: int = 0,
    pitch: tuple[float, float] = (100.0, 250.0),
    syllables_per_second: float = 4.0,
    level: float = 0.5,
    lead_in: float = 0.3,
) -> np.ndarray:
    """A speech-like signal: a gliding harmonic series cut into syllables, with breath noise.

    The pitch wanders inside ``pitch`` (Hz), each syllable has its own vowel-like spectral
    shape and a smooth envelope, and there is near-silence before and after (like a RAVDESS
    clip), so pitch, MFCC, onset and loudness features computed on it all move.

    Parameters
    ----------
    n_frames, channels
        Shape of the result; extra channels are the first one with a small delay, gain
        difference and their own noise (a stereo microphone pair).
    sample_rate
        Rate the signal is meant for (harmonics stop below 0.45 of it).
    seed
        Seeds the syllable timing, the pitch contour and the noise.
    pitch
        Lowest and highest fundamental frequency, Hz.
    syllables_per_second
        Average speaking rate.
    level
        Peak amplitude of the result.
    lead_in
        Seconds of near-silence at the start and the end.

    Returns
    -------
    numpy.ndarray
        float64, shape ``(n_frames, channels)``.

    Examples
    --------
    >>> x = voiced(48000 * 2, sample_rate=48000, seed=3)
    >>> x.shape, round(float(abs(x).max()), 2)
    ((96000, 1), 0.5)
    """
    rng = seeded_rng([seed, 2])
    sr = float(sample_rate)
    t = np.arange(n_frames, dtype=np.float64) / sr
    duration = n_frames / sr
    lo, hi = pitch
    # Intonation: two slow sinusoids with random phases, mapped onto [lo, hi].
    r1, r2 = rng.uniform(0.15, 0.5, size=2)
    p1, p2 = rng.uniform(0, 2 * np.pi, size=2)
    contour = 0.5 + 0.3 * np.sin(2 * np.pi * r1 * t + p1) + 0.2 * np.sin(2 * np.pi * r2 * t + p2)
    f0 = lo + (hi - lo) * np.clip(contour, 0.0, 1.0)
    phase = 2 * np.pi * np.cumsum(f0) / sr

    # Syllables: voiced stretches with gaps, each with a vowel (formant pair).
    env = np.zeros(n_frames)
    formant1 = np.full(n_frames, 500.0)
    formant2 = np.full(n_frames, 1500.0)
    pos = lead_in
    mean_len = 1.0 / syllables_per_second
    while pos < duration - lead_in - 0.05:
        length = min(rng.uniform(0.5, 1.0) * mean_len, duration - lead_in - pos)
        gap = rng.uniform(0.1, 0.5) * mean_len
        a, b = int(pos * sr), int((pos + length) * sr)
        if b > a:
            env[a:b] = np.hanning(b - a + 2)[1:-1] * rng.uniform(0.6, 1.0)
            formant1[a:b] = rng.uniform(300, 800)
            formant2[a:b] = rng.uniform(900, 2500)
        pos += length + gap

    n_harmonics = max(1, min(24, int(0.45 * sr / hi)))
    mono = np.zeros(n_frames)
    for h in range(1, n_harmonics + 1):
        freq = h * f0
        # Source tilt (1/h) times two resonances: a crude vowel.
        gain = (1.0 / h) * (
            1.0
            + 2.0 / (1.0 + ((freq - formant1) / 120.0) ** 2)
            + 1.2 / (1.0 + ((freq - formant2) / 180.0) ** 2)
        )
        mono += gain * np.sin(h * phase)
    mono *= env
    peak = float(np.abs(mono).max()) if n_frames else 0.0
    if peak > 0:
        mono *= level / peak * 0.97

    out = np.empty((n_frames, channels))
    noise = rng.standard_normal((n_frames, channels))
    for c in range(channels):
        delay = 7 * c  # samples: a few cm between microphones
        shifted = np.concatenate([np.zeros(min(delay, n_frames)), mono[: n_frames - delay]])
        # Breath noise during syllables, a faint floor everywhere: never digital silence.
        out[:, c] = (1.0 - 0.08 * c) * shifted + noise[:, c] * (0.0015 + 0.01 * env * level)
    peak = float(np.abs(out).max()) if n_frames else 0.0
    if peak > 0:
        out *= level / peak
    return out


class DemoKind(NamedTuple):
    """A kind of file the demo writes: soundfile's ``format``/``subtype``, or an FFmpeg
    muxer and encoder where ``subtype`` is empty."""

    extension: str
    format: str
    subtype: str
    description: str


#: The demo's kinds; FFmpeg writes ``m4a_aac`` (libsndfile has no AAC).
DEMO_KINDS: dict[str, DemoKind] = {
    "wav_pcm16": DemoKind(".wav", "WAV", "PCM_16", "WAV, 16-bit PCM"),
    "flac_16": DemoKind(".flac", "FLAC", "PCM_16", "FLAC, 16-bit"),
    "mp3": DemoKind(".mp3", "MP3", "MPEG_LAYER_III", "MP3 (libsndfile/LAME)"),
    "ogg_vorbis": DemoKind(".ogg", "OGG", "VORBIS", "Ogg Vorbis"),
    "ogg_opus": DemoKind(".opus", "OGG", "OPUS", "Ogg Opus"),
    "m4a_aac": DemoKind(".m4a", "ipod", "", "AAC-LC in MP4 (.m4a)"),
}


def write(
    path: str | os.PathLike[str],
    kind: str,
    *,
    sample_rate: int,
    data: np.ndarray | None = None,
    channels: int = 1,
    seconds: float = 1.0,
    seed: int = 0,
) -> Path:
    """Write ``data`` (float, ``(frames,)`` or ``(frames, channels)``), or ``seconds`` of
    :func:`signal`, to ``path`` as ``kind`` (a key of :data:`DEMO_KINDS`).

    Examples
    --------
    >>> import tempfile, soundfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write(f"{d}/x.flac", "flac_16", sample_rate=22050, seconds=0.5)
    ...     soundfile.info(p).frames
    11025
    """
    spec = DEMO_KINDS[kind]
    path = Path(path)
    if data is None:
        data = signal(round(seconds * sample_rate), channels, sample_rate=sample_rate, seed=seed)
    data = np.asarray(data, dtype=np.float64)
    if data.ndim == 1:
        data = data[:, None]
    if spec.subtype:
        import soundfile

        # libsndfile 1.2's Vorbis encoder crashes the process on one large write (a 60 s
        # stereo buffer is enough); writing in blocks gives the same file.
        block = 1 << 15
        with soundfile.SoundFile(path, "w", sample_rate, data.shape[1], format=spec.format,
                                 subtype=spec.subtype) as f:
            for start in range(0, max(len(data), 1), block):
                f.write(data[start : start + block])
    else:
        _write_aac(path, data, sample_rate)
    return path


def _write_aac(path: Path, data: np.ndarray, sample_rate: int) -> None:
    import av

    layout = {1: "mono", 2: "stereo"}[data.shape[1]]
    planar = np.ascontiguousarray(data.T.astype(np.float32))
    with av.open(os.fspath(path), "w", format="ipod",
                 options={"fflags": "+bitexact", "movflags": "+faststart"}) as container:
        stream = container.add_stream("aac", rate=sample_rate)
        stream.codec_context.layout = layout
        stream.codec_context.format = "fltp"
        stream.codec_context.open()
        step = stream.codec_context.frame_size or 1024
        for start in range(0, planar.shape[1], step):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(planar[:, start : start + step]), format="fltp",
                layout=layout)
            frame.sample_rate = sample_rate
            frame.pts = start
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
