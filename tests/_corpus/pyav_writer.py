"""The corpus's PyAV (FFmpeg) writer: the kinds of :data:`_corpus.KINDS` that only
FFmpeg reads (``writer="pyav"``), and the encoder look-up that decides which ones this build
can write.

av is imported inside the functions: importing this module must stay cheap.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from .signals import quantise

if TYPE_CHECKING:
    from pathlib import Path

    from . import Kind

__all__ = ["first_encoder", "write_pyav"]

# Bit depth of the samples that integer lossless PyAV kinds store (see _pyav_samples).
_PYAV_INT_KINDS = frozenset({"m4a_alac", "mkv_flac"})


@functools.cache
def first_encoder(names: tuple[str, ...]) -> str | None:
    """The first of the PyAV encoders ``names`` this build has, or None."""
    import av

    for name in names:
        # codecs_available mixes encoders and decoders: ask for the encoder itself.
        if name in av.codecs_available and _has_encoder(av, name):
            return name
    return None


def _has_encoder(av: Any, name: str) -> bool:
    try:
        av.Codec(name, "w")
    except ValueError:  # UnknownCodecError in recent PyAV, plain ValueError in old ones
        return False
    return True


_LAYOUTS = {1: "mono", 2: "stereo", 3: "2.1", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}

# Sample formats to ask an encoder for, best first: float for lossy codecs (no extra
# quantisation before the codec's own), 16-bit for lossless ones (so they hold exactly the
# integers a 16-bit WAV of the same signal holds).
_FLOAT_FIRST = ("fltp", "flt", "s16p", "s16", "s32p", "s32")
_INT16_FIRST = ("s16p", "s16", "s32p", "s32", "fltp", "flt")


def write_pyav(path: Path, kind: Kind, data: np.ndarray, rate: int) -> None:
    """Write ``data`` (float, shape ``(frames, channels)``) at ``rate`` to ``path`` as the PyAV
    ``kind`` (:func:`_corpus.write` checks that the kind is available)."""
    import av

    channels = data.shape[1]
    layout = _LAYOUTS.get(channels)
    if layout is None:
        msg = f"{kind.name}: no standard channel layout for {channels} channels"
        raise ValueError(msg)
    codec_name = kind.audio_codec()
    codec = av.Codec(codec_name, "w")
    offered = [f.name for f in codec.audio_formats or ()]
    prefs = _INT16_FIRST if kind.name in _PYAV_INT_KINDS else _FLOAT_FIRST
    sample_format = next((f for f in prefs if f in offered), offered[0] if offered else "fltp")

    # bitexact keeps FFmpeg's version string and random Matroska UIDs out of the file, so the
    # same seed gives the same bytes (for a given FFmpeg).
    options = {"fflags": "+bitexact", **dict(kind.muxer_options)}
    with av.open(os.fspath(path), "w", format=kind.format, options=options) as container:
        video = None
        if kind.video_codecs:
            video = container.add_stream(first_encoder(kind.video_codecs), rate=5)
            video.width = 16
            video.height = 16
            video.pix_fmt = "yuv420p"
            video.codec_context.options = {"g": "5"}
        audio = container.add_stream(codec_name, rate=rate)
        ctx = audio.codec_context
        ctx.layout = layout
        ctx.format = sample_format
        if codec_name == "wmav2":
            ctx.bit_rate = 128000  # its default (0) makes avcodec_open2 fail
        if codec_name in {"opus", "vorbis"}:
            ctx.options = {"strict": "-2"}  # FFmpeg's native ones are "experimental"
        ctx.open()
        frame_size = ctx.frame_size or 4096

        samples = _pyav_samples(data, sample_format)
        planar = sample_format.endswith("p")
        n = data.shape[0]
        next_video = 0
        for start in range(0, n, frame_size):
            block = samples[start : start + frame_size]
            array = np.ascontiguousarray(block.T) if planar else block.reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(array, format=sample_format, layout=layout)
            frame.sample_rate = rate
            frame.pts = start
            for packet in audio.encode(frame):
                container.mux(packet)
            # Interleave video frames (5 per second) as a camera would.
            while video is not None and next_video * rate <= (start + frame_size) * 5:
                _mux_video_frame(container, video, next_video)
                next_video += 1
        for packet in audio.encode(None):
            container.mux(packet)
        if video is not None:
            while next_video * rate < n * 5:
                _mux_video_frame(container, video, next_video)
                next_video += 1
            for packet in video.encode(None):
                container.mux(packet)


def _pyav_samples(data: np.ndarray, sample_format: str) -> np.ndarray:
    if sample_format.startswith("flt"):
        return data.astype(np.float32)
    if sample_format.startswith("s16"):
        return quantise(data, "int16")
    if sample_format.startswith("s32"):
        return quantise(data, "int32")
    msg = f"unsupported sample format {sample_format!r}"
    raise ValueError(msg)


def _mux_video_frame(container: Any, stream: Any, index: int) -> None:
    import av

    # A flat grey that changes every frame: cheap to encode, but not a constant stream.
    plane = np.full((24, 16), 16 + (index * 37) % 200, dtype=np.uint8)
    plane[16:] = 128  # chroma planes: neutral
    frame = av.VideoFrame.from_ndarray(plane, format="yuv420p")
    frame.pts = index
    for packet in stream.encode(frame):
        container.mux(packet)
