"""The classic speech-emotion feature extraction, written for librosa.

This is the shape of the code found in many speech-emotion-recognition notebooks and
repositories built on RAVDESS: one feature vector per clip (librosa features averaged over
time), a first pass that loads every file to find the shortest and longest clip, and a second
pass that loads every file again to compute the features (``extract_features``, split into
``load_clips`` and ``feature_matrix`` so that ``run.py`` can time decoding apart from the
features). Nothing here knows about audiodecode: ``run.py`` runs it as it is, and again with
librosa patched.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import librosa
import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

#: librosa.load's default rate, which the feature extraction keeps.
SAMPLE_RATE = 22050


def features(y: np.ndarray, sr: float) -> np.ndarray:
    """One vector for one clip: every feature below, averaged over time.

    Pitch statistics (piptrack), spectral centroid and flatness, 50 MFCCs, chroma, a mel
    spectrogram, spectral contrast, zero-crossing rate and RMS energy: 210 numbers in all.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        A mono clip.
    sr : number > 0
        Its sampling rate.

    Returns
    -------
    np.ndarray [shape=(210,)]

    Examples
    --------
    >>> y = np.sin(2 * np.pi * 150 * np.arange(SAMPLE_RATE) / SAMPLE_RATE).astype(np.float32)
    >>> features(y, SAMPLE_RATE).shape
    (210,)
    """
    magnitude = np.abs(librosa.stft(y))

    # Pitch: per frame, the frequency of the strongest peak within a speaking voice's range.
    pitches, magnitudes = librosa.piptrack(S=magnitude, sr=sr, fmin=70, fmax=400)
    pitch = pitches[magnitudes.argmax(axis=0), np.arange(pitches.shape[1])]
    tuning = librosa.pitch_tuning(pitches)

    centroid = librosa.feature.spectral_centroid(y=y, sr=sr)
    centroid = centroid / np.sum(centroid)  # the shape of the curve, not the voice's register
    flatness = librosa.feature.spectral_flatness(y=y)
    mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=50)
    chroma = librosa.feature.chroma_stft(S=magnitude, sr=sr)
    mel = librosa.feature.melspectrogram(y=y, sr=sr)
    contrast = librosa.feature.spectral_contrast(S=magnitude, sr=sr)
    zero_crossings = librosa.feature.zero_crossing_rate(y)
    rms = librosa.feature.rms(S=magnitude)[0]

    return np.hstack([
        [np.mean(pitch), np.std(pitch), np.max(pitch), np.min(pitch), tuning],
        [np.mean(centroid), np.std(centroid), np.max(centroid)],
        [np.mean(flatness)],
        np.mean(mfcc, axis=1),  # 50
        np.mean(chroma, axis=1),  # 12
        np.mean(mel, axis=1),  # 128
        np.mean(contrast, axis=1),  # 7
        [np.mean(zero_crossings)],
        [np.mean(rms), np.std(rms), np.max(rms)],
    ])


def get_max_min(paths: Sequence[Path]) -> tuple[float, float]:
    """The longest and the shortest clip, in seconds. Decodes every file to measure it."""
    longest, shortest = 0.0, math.inf
    for path in paths:
        y, sr = librosa.load(path, sr=None)
        seconds = len(y) / sr
        longest, shortest = max(longest, seconds), min(shortest, seconds)
    return longest, shortest


def extract_features(paths: Sequence[Path], duration: float) -> np.ndarray:
    """The feature matrix, one row per file, each clip cut to ``duration`` seconds.

    Cutting every clip to the shortest one's length makes each row summarise the same
    amount of speech.
    """
    return feature_matrix(load_clips(paths, duration))


def load_clips(paths: Sequence[Path], duration: float) -> list[tuple[np.ndarray, float]]:
    """``(y, sr)`` of every file: mono, at ``SAMPLE_RATE``, the first ``duration`` seconds."""
    return [librosa.load(path, sr=SAMPLE_RATE, duration=duration) for path in paths]


def feature_matrix(clips: Sequence[tuple[np.ndarray, float]]) -> np.ndarray:
    """:func:`features` of every clip, one row each."""
    return np.vstack([features(y, sr) for y, sr in clips])
