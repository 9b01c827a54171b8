"""Opening a file with PyAV, and what the FFmpeg reader (``backends.pyav``) reads off it.

``open_container`` opens a path, or a caller's file object from its byte 0, and keeps FFmpeg
inside those bytes; ``format_name`` and ``bits_per_sample`` name what was opened as the
other backends do; ``error_message`` turns FFmpeg's exceptions into the words of an
:class:`audiodecode.AudioDecodeError`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

import av

if TYPE_CHECKING:
    from .._source import Source

__all__ = ["bits_per_sample", "error_message", "format_name", "open_container"]

# av.open keyword arguments; PyAV < 19 decodes metadata strictly by default, and a tag that
# is not UTF-8 must not make an audio file unreadable (we never look at the metadata).
_OPEN_KWARGS: dict[str, Any] = {"metadata_errors": "replace"}


def open_container(source: Source) -> av.container.InputContainer:
    """``av.open`` on the source's path or (rewound) file object; FFmpeg errors propagate."""
    global _OPEN_KWARGS
    kwargs: dict[str, Any] = dict(_OPEN_KWARGS)
    if source.path is not None:
        target: Any = source.path
    else:
        target = source.fileobj
        # av reads sequentially from the current position but seeks to absolute offsets:
        # byte 0 of the object must be byte 0 of the file.
        target.seek(0)
        # Bytes handed to us are one file. Without this, a playlist or reference inside them
        # (an ``ffconcat`` list, HLS, DASH) makes FFmpeg open other files, relative to the
        # working directory, or URLs. ``data:`` URIs carry their bytes inline.
        kwargs["container_options"] = {"protocol_whitelist": "data"}
    try:
        container = av.open(target, "r", **kwargs)
    except TypeError as exc:
        if "metadata_errors" not in str(exc) or "metadata_errors" not in _OPEN_KWARGS:
            raise
        # PyAV >= 19 dropped the argument (and decodes metadata leniently itself).
        _OPEN_KWARGS = {}
        kwargs.pop("metadata_errors")
        if source.fileobj is not None:
            source.fileobj.seek(0)
        container = av.open(target, "r", **kwargs)
    return cast("av.container.InputContainer", container)


def format_name(container: av.container.InputContainer) -> str:
    """``Reader.format``: FFmpeg's first name for the demuxer, but ``mp4`` or ``mov``."""
    names = container.format.name.split(",")
    if names[0] == "mov":
        # One demuxer reads QuickTime and the whole ISO family; the brand tells them apart.
        brand = container.metadata.get("major_brand", "").strip()
        return "mov" if brand == "qt" else "mp4"
    return names[0]


def bits_per_sample(stream: av.audio.stream.AudioStream, codec: str) -> int | None:
    """Bits per raw sample of a lossless codec, when FFmpeg (or its extradata) says."""
    ctx = stream.codec_context
    if not ctx.codec.lossless:
        return None
    bits = getattr(ctx, "bits_per_raw_sample", 0)  # PyAV >= 19
    if bits:
        return int(bits)
    match = re.fullmatch(r"pcm_[suf](\d+)(?:[lb]e)?(?:_planar)?", codec)
    if match:
        return int(match.group(1))
    extradata = ctx.extradata or b""
    if codec == "alac" and len(extradata) >= 36 and extradata[4:8] == b"alac":
        return extradata[17]  # ALACSpecificConfig.bitDepth
    if codec == "flac" and len(extradata) >= 34:
        # STREAMINFO: 5 bits of (bits per sample - 1) straddle bytes 12 and 13
        return (((extradata[12] & 1) << 4) | (extradata[13] >> 4)) + 1
    return {"s16": 16, "s16p": 16, "u8": 8, "u8p": 8}.get(ctx.format.name if ctx.format else "")


def error_message(exc: BaseException) -> str:
    """An exception as words: FFmpeg's message without its errno number."""
    if isinstance(exc, av.FFmpegError) and exc.strerror:
        return str(exc.strerror)
    return str(exc) or type(exc).__name__
