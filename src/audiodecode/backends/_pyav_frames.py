"""Decoded frames into the caller's float array, for the FFmpeg reader (``backends.pyav``).

FFmpeg decodes to one of a dozen sample formats, interleaved (one plane) or planar (one per
channel); ``SAMPLE_FORMATS`` maps each to its numpy dtype and layout, and ``copy_frame``
converts a frame's samples from views of FFmpeg's buffers straight into the output.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._base import to_float

if TYPE_CHECKING:
    import av

__all__ = ["SAMPLE_FORMATS", "copy_frame"]

# Sample format -> (numpy dtype of the decoded data, planar). ``to_float`` scales them as
# libsndfile and FFmpeg's swresample both do.
SAMPLE_FORMATS: dict[str, tuple[np.dtype[Any], bool]] = {
    "flt": (np.dtype(np.float32), False),
    "fltp": (np.dtype(np.float32), True),
    "dbl": (np.dtype(np.float64), False),
    "dblp": (np.dtype(np.float64), True),
    "s16": (np.dtype(np.int16), False),
    "s16p": (np.dtype(np.int16), True),
    "s32": (np.dtype(np.int32), False),
    "s32p": (np.dtype(np.int32), True),
    "s64": (np.dtype(np.int64), False),
    "s64p": (np.dtype(np.int64), True),
    "u8": (np.dtype(np.uint8), False),
    "u8p": (np.dtype(np.uint8), True),
}


def copy_frame(
    frame: av.AudioFrame,
    layout: tuple[np.dtype[Any], bool],
    off: int,
    n: int,
    dst: np.ndarray,
) -> None:
    """Write frames ``off:off + n`` of ``frame`` into ``dst`` (``(n, channels)``), as float.

    The samples go from views of FFmpeg's buffers straight into ``dst``: one pass, no
    intermediate array. A plane's buffer may be longer than the frame; ``count`` bounds it.
    """
    dtype, planar = layout
    planes: Any = frame.planes  # buffer-protocol objects that numpy's stubs do not list
    convert = _copy if dst.dtype == dtype else to_float  # the decoder's own type: unscaled
    if planar:
        for channel, plane in enumerate(planes):
            src = np.frombuffer(plane, dtype, count=off + n)[off:]
            convert(src, dst[:, channel])
    else:
        channels = dst.shape[1]
        src = np.frombuffer(planes[0], dtype, count=(off + n) * channels)[off * channels :]
        convert(src.reshape(n, channels), dst)


def _copy(samples: np.ndarray, out: np.ndarray) -> None:
    np.copyto(out, samples)
