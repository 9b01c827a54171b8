"""The independent FFmpeg oracle: a plain PyAV decode, sharing no code with the library.

``container.decode(audio=0)`` and ``frame.to_ndarray()``, then the scaling libsndfile and
FFmpeg use for integer samples (convert to the output type, then multiply by a power of two).
Wherever ``load`` decodes a file with FFmpeg, this loop gives the expected samples; librosa's
own steps (``to_mono``, ``resample``) give the rest.
"""

from __future__ import annotations

from typing import Any

import av
import numpy as np

_SCALES = {"s16": 2.0**-15, "s32": 2.0**-31, "s64": 2.0**-63, "u8": 2.0**-7}


def frame_array(frame: Any, dtype: Any = np.float32) -> np.ndarray:
    """One decoded frame as ``(samples, channels)`` in ``dtype``, scaled like libsndfile."""
    name = frame.format.name
    planar = name.endswith("p")
    base = "dbl" if name == "dblp" else name.rstrip("p")
    channels = frame.layout.nb_channels
    if base == "s64":  # to_ndarray has no s64
        count = frame.samples if planar else frame.samples * channels
        raw = np.vstack([np.frombuffer(p, np.int64, count=count) for p in frame.planes])
    else:
        raw = frame.to_ndarray()
    raw = raw.reshape(channels, -1) if planar else raw.reshape(-1, channels).T
    if base in _SCALES:
        x = raw.astype(dtype)  # the integer, rounded to the output type
        if base == "u8":
            x -= 128
        x *= np.dtype(dtype).type(_SCALES[base])
    else:
        with np.errstate(over="ignore", invalid="ignore"):  # damaged doubles: inf, nan
            x = raw.astype(dtype)
    return x.T


def plain_decode(source: Any, dtype: Any = np.float32) -> tuple[np.ndarray, int]:
    """``((frames, channels) array, rate)`` of the first audio stream of ``source`` (a path or
    a file object), every frame FFmpeg's decoder gives, in order."""
    if not hasattr(source, "read"):
        source = str(source)
    with av.open(source) as container:
        stream = container.streams.audio[0]
        rate = int(stream.codec_context.sample_rate)
        channels = stream.codec_context.channels
        blocks = [frame_array(f, dtype) for f in container.decode(stream)]
    if not blocks:
        return np.zeros((0, channels), dtype), rate
    return np.concatenate(blocks), rate


def as_loaded(samples: np.ndarray) -> np.ndarray:
    """A ``(frames, channels)`` decode shaped as ``load(..., mono=False)`` returns it:
    ``(channels, frames)``, or ``(frames,)`` for one channel (librosa's ``always_2d=False``)."""
    return samples[:, 0] if samples.shape[1] == 1 else samples.T
