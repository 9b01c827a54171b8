"""The sample arrays of the synthetic corpus: deterministic for a seed, generated on the spot.

* :func:`signal` is the test signal every corpus file holds (a chirp plus a little noise);
  :func:`voiced` a speech-like one (the benchmark's speech clips, the RAVDESS-shaped example).
* :func:`pcm` / :func:`quantise` turn samples into the integers libsndfile's writers store,
  so hand-built files and the integer PyAV kinds can be compared bit for bit.
* :func:`seeded_rng` / :func:`seed_int` derive the random streams from seeds.

Only numpy is imported: the files themselves are written by :mod:`_corpus`.
"""

from __future__ import annotations

import numpy as np

from audiodecode.bench.synth import seed_int, seeded_rng, signal, voiced

__all__ = ["pcm", "quantise", "seed_int", "seeded_rng", "signal", "voiced"]


def pcm(
    n_frames: int,
    channels: int,
    *,
    sample_rate: int,
    dtype: str = "int16",
    seed: int = 0,
    flac: bool = False,
) -> np.ndarray:
    """:func:`signal` quantised exactly as libsndfile's WAV/AIFF writer quantises it.

    libsndfile 1.1+ (measured on 1.2.2) turns a double into 32 bits with ``lrint(x * 2**31)``
    (round half to even, clipped to the int32 range) and keeps the top bits with an arithmetic
    shift, so 8-, 16- and 24-bit PCM are *floored*, not rounded, from ``x * 2**(bits-1)``;
    unsigned 8-bit then adds 128. Hand-built files and the integer PyAV kinds (``m4a_alac``,
    ``mkv_flac``) use this, so they store exactly what a 16-bit WAV of the same signal stores.

    libsndfile's FLAC writer is different: ``lrint(x * 2**(bits-1))``, clipped. ``flac_16``
    therefore holds values up to one step away from ``wav_pcm16``; use ``flac=True`` for
    those.

    Parameters
    ----------
    n_frames, channels, sample_rate, seed
        As for :func:`signal`.
    dtype
        ``"int16"``, ``"int32"`` or ``"uint8"``.
    flac
        Quantise as libsndfile's FLAC writer does (``int16`` only).

    Examples
    --------
    >>> pcm(3, 1, sample_rate=8000, dtype="uint8").dtype
    dtype('uint8')
    """
    x = signal(n_frames, channels, sample_rate=sample_rate, seed=seed)
    if flac:
        if dtype != "int16":
            msg = "flac=True is only implemented for int16"
            raise ValueError(msg)
        stored: np.ndarray = np.clip(np.rint(x * 0x8000), -0x8000, 0x7FFF).astype(np.int16)
        return stored
    return quantise(x, dtype)


def quantise(x: np.ndarray, dtype: str) -> np.ndarray:
    """Float samples ``x`` as ``dtype`` (``"int16"``, ``"int32"`` or ``"uint8"``), quantised
    as libsndfile's WAV/AIFF writer does (see :func:`pcm`).

    Examples
    --------
    >>> quantise(np.array([0.5, -1.0]), "int16")
    array([ 16384, -32768], dtype=int16)
    """
    # See pcm(): libsndfile's double -> int32 -> shift, so that integer PyAV kinds and
    # hand-built WAVs agree bit for bit with soundfile-written WAVs.
    wide = np.rint(np.clip(x * 2.0**31, -(2.0**31), 2.0**31 - 1)).astype(np.int32)
    if dtype == "int32":
        return wide
    if dtype == "int16":
        return (wide >> 16).astype(np.int16)
    if dtype == "uint8":
        return ((wide >> 24) + 128).astype(np.uint8)
    msg = f"unsupported dtype {dtype!r}"
    raise ValueError(msg)
