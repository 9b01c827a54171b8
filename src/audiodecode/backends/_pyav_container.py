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

from .._source import sniff

if TYPE_CHECKING:
    from .._source import Source

__all__ = [
    "allowed_demuxers", "bits_per_sample", "error_message", "format_name", "open_container",
    "referencing_kind",
]

# av.open keyword arguments; PyAV < 19 decodes metadata strictly by default, and a tag that
# is not UTF-8 must not make an audio file unreadable (we never look at the metadata).
_OPEN_KWARGS: dict[str, Any] = {"metadata_errors": "replace"}

# Bytes FFmpeg may read to recognise the container and find the stream's parameters (its
# default is 5 MB, and 5 s of audio). Probing buffers every packet it reads, and a stream of
# tiny packets costs hundreds of bytes of memory per byte probed: a 2 MB "WAV" with format
# tag 0 at 7 Hz took 1.2 GB and 14 s to be called undecodable. 128 KiB bounds that to about
# 20 MB and a second, and holds the header of every container we sniff.
PROBE_BYTES = 1 << 17
PROBE_MICROSECONDS = 5_000_000

# Demuxers that open resources other than the input (playlists, concat scripts, image
# sequences, network sessions, devices, filter graphs that read files): never used, whatever
# the input says it is. FFmpeg probes every demuxer it has, so a file named ``clip.wav``
# holding ``ffconcat version 1.0`` would otherwise be read as the files it lists.
UNSAFE_DEMUXERS = frozenset({
    "concat", "hls", "applehttp", "dash", "imf", "image2", "sdp", "rtp", "rtsp", "sap",
    "webm_dash_manifest", "lavfi", "avisynth", "vapoursynth", "dvdvideo", "bluray",
    "libcdio", "alsa", "oss", "pulse", "jack", "sndio", "openal", "fbdev", "kmsgrab",
    "x11grab", "xcbgrab", "video4linux2", "v4l2", "decklink", "iec61883", "dshow",
    "avfoundation", "gdigrab", "vfwcap", "android_camera", "ffmetadata",
})  # fmt: skip

# Containers whose magic bytes (``_source.sniff``) name one demuxer: only it may open them.
_DEMUXER_BY_CONTAINER = {
    "wav": "wav", "w64": "w64", "aiff": "aiff", "flac": "flac", "ogg": "ogg", "caf": "caf",
    "au": "au", "mp4": "mov", "matroska": "matroska", "asf": "asf",
}  # fmt: skip

# Text that starts a playlist or a script naming other files; recognised before FFmpeg is
# asked, to say what the file is (FFmpeg only says its format is not allowed).
_REFERENCING_HEADS = (
    (b"ffconcat version", "an ffconcat script"),
    (b"#EXTM3U", "an M3U/HLS playlist"),
    (b"[playlist]", "a PLS playlist"),
    (b"v=0", "an SDP session description"),
    (b"<MPD", "a DASH manifest"),
    (b"<?xml", "an XML document (a DASH manifest or playlist?)"),
)


def referencing_kind(head: bytes) -> str | None:
    """What a playlist or script that names other resources is, from its first bytes.

    Examples
    --------
    >>> referencing_kind(b"ffconcat version 1.0\\nfile a.wav\\n")
    'an ffconcat script'
    >>> referencing_kind(b"RIFF") is None
    True
    """
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")  # a UTF-8 BOM, blank lines
    for magic, kind in _REFERENCING_HEADS:
        if text.startswith(magic):
            return kind
    return None


def allowed_demuxers(kind: str) -> str:
    """FFmpeg's ``format_whitelist`` for an input sniffed as ``kind``: its own demuxer when
    the magic bytes name one, else every demuxer but :data:`UNSAFE_DEMUXERS`."""
    named = _DEMUXER_BY_CONTAINER.get(kind)
    if named is not None:
        return named
    global _SAFE_DEMUXERS
    if _SAFE_DEMUXERS is None:
        names = set()
        for name in av.formats_available:
            try:
                av.format.ContainerFormat(name, "r")
            except ValueError:  # a muxer only
                continue
            names.update(name.split(","))
        _SAFE_DEMUXERS = ",".join(sorted(names - UNSAFE_DEMUXERS))
    return _SAFE_DEMUXERS


_SAFE_DEMUXERS: str | None = None


def open_container(source: Source) -> av.container.InputContainer:
    """``av.open`` on the source's path or (rewound) file object; FFmpeg errors propagate.

    FFmpeg may use only the demuxers :func:`allowed_demuxers` gives for the sniffed
    container, probe at most :data:`PROBE_BYTES`, and open no resource but the input: the
    ``file`` protocol for a path (nothing else a name could mean, such as ``concat:`` or
    ``subfile,,``), no protocol at all for a file object.
    """
    global _OPEN_KWARGS
    kwargs: dict[str, Any] = dict(_OPEN_KWARGS)
    options = {
        "format_whitelist": allowed_demuxers(sniff(source.head())),
        "probesize": str(PROBE_BYTES),
        "analyzeduration": str(PROBE_MICROSECONDS),
    }
    if source.path is not None:
        # "file:" makes FFmpeg read the name as a path, whatever it looks like (PyAV passes
        # a name that is not UTF-8 as its bytes). The name, not the Source's descriptor: a
        # few raw formats are recognised by their extension alone.
        target: Any = "file:" + source.path
        options["protocol_whitelist"] = "file"
    else:
        target = source.fileobj
        # av reads sequentially from the current position but seeks to absolute offsets:
        # byte 0 of the object must be byte 0 of the file.
        target.seek(0)
        # PyAV reads the object itself; any protocol would be a second resource.
        options["protocol_whitelist"] = ""
    kwargs["container_options"] = options
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
