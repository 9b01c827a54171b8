"""The same extraction, written for audiodecode: each file is decoded once.

Two changes to ``classic.py``, and the feature matrix is identical (a third,
``extract_features_on_every_core``, also runs the features in parallel):

* the clip lengths come from the headers (``audiodecode.info``), without decoding anything;
* ``audiodecode.load`` decodes each file once, for the features (same arguments, same array
  as ``librosa.load``).

The features themselves are ``classic.feature_matrix``, unchanged: they are librosa's job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from classic import SAMPLE_RATE, feature_matrix, features

import audiodecode

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path


def get_max_min(paths: Sequence[Path]) -> tuple[float, float]:
    """The longest and the shortest clip, in seconds, read from the file headers.

    ``info(path).duration`` is ``frames / sample_rate``: the very number ``len(y) / sr``
    gives after ``librosa.load(path, sr=None)``.
    """
    durations = [audiodecode.info(path).duration for path in paths]
    return max(durations), min(durations)


def extract_features(paths: Sequence[Path], duration: float) -> np.ndarray:
    """As ``classic.extract_features``."""
    return feature_matrix(load_clips(paths, duration))


def load_clips(paths: Sequence[Path], duration: float) -> list[tuple[np.ndarray, float]]:
    """As ``classic.load_clips``, with ``audiodecode.load`` in place of ``librosa.load``."""
    return [audiodecode.load(path, sr=SAMPLE_RATE, duration=duration) for path in paths]


def extract_features_on_every_core(
    paths: Sequence[Path], duration: float, workers: int | None = None
) -> np.ndarray:
    """Decode and compute the features of every clip in parallel, one row each.

    ``transform=features`` runs librosa's feature code inside the worker that decoded the
    clip, so only the 210 numbers of each clip come back, in input order.
    """
    rows = audiodecode.load_batch(
        paths, sr=SAMPLE_RATE, duration=duration, transform=features, workers=workers
    )
    return np.vstack(rows)
