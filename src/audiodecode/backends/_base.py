"""What every backend reader provides.

A reader decodes one audio stream at its native rate. It knows nothing of ``mono``, ``sr``,
``offset`` or ``duration``: the pipeline (``audiodecode._pipeline``) turns those into
``seek(frame)`` and ``readinto(block)`` calls, and does the downmix and the resampling.

A *frame* is one sample per channel (soundfile's meaning).
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from typing import Self

    from .._source import Source


class Length(enum.Enum):
    """How far a reader's ``frames`` may be trusted: decided once, where the reader opens the
    stream, and raised to ``COUNTED`` by :meth:`Reader.count_frames`."""

    #: Bounded by the file's bytes: the WAV reader's data chunk, clipped to the file's size.
    PROVEN = "proven"
    #: Decoded and counted.
    COUNTED = "counted"
    #: A header's count, where the decoder stops (libsndfile's): exact for what the decoder
    #: returns, but a header may claim more than the file's bytes can code.
    CLAIMED = "claimed"
    #: A header's count that the file's size contradicts (an MP3 cut short of the byte count
    #: its Xing header gives): ``load`` keeps librosa's arithmetic on it and returns what
    #: decodes, ``info`` calls it an estimate.
    DOUBTED = "doubted"
    #: From the container's duration or bitrate; exact only once counted.
    ESTIMATED = "estimated"

    @property
    def exact(self) -> bool:
        """Whether the pipeline takes ``frames`` as where the stream ends."""
        return self is not Length.ESTIMATED

    @property
    def certain(self) -> bool:
        """Whether ``info`` reports ``frames`` as exact (``AudioInfo.frames_exact``)."""
        return self not in (Length.ESTIMATED, Length.DOUBTED)


def to_float(samples: np.ndarray, out: np.ndarray) -> None:
    """Write stored samples into ``out`` (float32/64), scaled as libsndfile and FFmpeg do.

    Signed integers are converted to ``out``'s type (round to nearest) and multiplied by a
    power of two (int16 / 2**15, int32 / 2**31, ...), which is exact; unsigned 8-bit samples
    are centred on 128 first; floats are copied (double to float rounds, and values beyond
    float32's range become +-inf, as in C). ``samples`` and ``out`` have the same shape.
    """
    kind, bits = samples.dtype.kind, 8 * samples.dtype.itemsize
    if kind == "f":
        if samples.dtype == out.dtype:
            # No cast, so nothing to overflow: np.errstate costs a microsecond per call, and
            # FFmpeg hands over planar float audio a channel of one frame at a time.
            np.copyto(out, samples)
            return
        with np.errstate(over="ignore", invalid="ignore"):
            np.copyto(out, samples, casting="unsafe")
    elif kind == "u":
        np.subtract(samples, 1 << (bits - 1), out=out, dtype=out.dtype, casting="unsafe")
        out *= out.dtype.type(2.0 ** -(bits - 1))
    else:
        # A cast then an in-place scaling measured faster than one casting multiply.
        np.copyto(out, samples, casting="unsafe")
        np.multiply(out, out.dtype.type(2.0 ** -(bits - 1)), out=out)


# How many samples (all channels counted) one byte of a file can decode to, by codec:
# ``(typical, worst)``. ``worst`` is beyond anything the codec can code (FLAC's constant
# subframes: a few bytes for a 65535-sample block; Opus: a 1-byte packet for 120 ms; MP3: the
# smallest frame of the lowest bitrate), so no honest header claims more. ``typical`` is a
# generous bound on real files (a 16 kbit/s Opus stream makes 48 samples a byte; 128 kbit/s MP3
# about 6). The pipeline allocates its output from a header only up to what these allow and
# grows it as samples arrive, so a header that lies costs nothing; a file beyond ``typical``
# costs a copy while it grows.
EXPANSION: dict[str, tuple[float, float]] = {
    "pcm": (1.0, 1.0),  # 8 bits or more per sample
    "adpcm": (8.0, 8.0),  # IMA/MS ADPCM, GSM 6.10, G.72x: 2 to 5 samples a byte
    "flac": (8.0, 16384.0),
    "alac": (8.0, 16384.0),
    "wavpack": (8.0, 16384.0),
    "mp3": (16.0, 128.0),
    "mp2": (16.0, 128.0),
    "mp1": (16.0, 128.0),
    "ac3": (24.0, 128.0),
    "eac3": (48.0, 4096.0),
    "aac": (48.0, 4096.0),
    "vorbis": (48.0, 16384.0),
    "opus": (96.0, 16384.0),
    "wmav1": (48.0, 4096.0),
    "wmav2": (48.0, 4096.0),
}
_UNKNOWN_EXPANSION = (96.0, 65536.0)


def expansion(format_name: str, codec: str) -> tuple[float, float]:
    """``(typical, worst)`` samples per byte of a file of this container and codec.

    Examples
    --------
    >>> expansion("wav", "pcm_s16le")
    (1.0, 1.0)
    >>> expansion("flac", "pcm_s16")  # libsndfile names FLAC's codec by its sample format
    (8.0, 16384.0)
    """
    if codec.startswith("pcm_"):
        # libsndfile reports FLAC (and FLAC in Ogg) by its sample format, "pcm_s16"...
        return EXPANSION["flac" if format_name in ("flac", "ogg") else "pcm"]
    key = codec.removesuffix("_float").split("_")[0]
    return EXPANSION.get(key, EXPANSION["adpcm"] if "adpcm" in codec or "gsm" in codec
                         else _UNKNOWN_EXPANSION)


class Decline(Exception):
    """Raised by a reader's constructor when it does not fully understand the data.

    ``open_reader`` then tries the next backend. A reader that *understands* the data but finds
    it broken raises :class:`audiodecode.AudioDecodeError` instead, which stops the search.
    """


class Reader:
    """Base class of the backend readers.

    Attributes
    ----------
    name : str
        ``"wav"``, ``"sndfile"`` or ``"pyav"``.
    sample_rate : int
        Native sampling rate in Hz, as the decoder reports it.
    channels : int
        Number of channels.
    frames : int
        Number of frames in the stream, as far as ``length`` says.
    length : Length
        How far ``frames`` may be trusted. Only a ``PROVEN`` length is bounded by the file's
        size; the pipeline allocates from any other only within :meth:`frame_bounds`, and an
        ``ESTIMATED`` one is read until the decoder stops (``count_frames`` counts it).
    format : str
        Container name: ``"wav"``, ``"flac"``, ``"ogg"``, ``"mp3"``, ``"mp4"``...
    codec : str
        Codec name: ``"pcm_s16le"``, ``"vorbis"``, ``"aac"``...
    bits_per_sample : int or None
        Bits per sample for PCM-like codecs, ``None`` for lossy ones.
    """

    name: str = "base"
    sample_rate: int
    channels: int
    frames: int
    length: Length = Length.CLAIMED
    format: str
    codec: str
    bits_per_sample: int | None = None
    # Set by the pipeline to make every ``readinto`` end with a seek to where it stopped, as
    # ``SoundFile.read`` does (``librosa.stream``'s reads): libsndfile's MP3 decoder decodes
    # differently after such a seek. Readers whose output a seek cannot change ignore it.
    seek_after_read: bool = False

    def __init__(self, source: Source, *, decoding: bool = True) -> None:
        # ``decoding`` is false when only the metadata is wanted (``info``): a reader may read
        # samples ahead when it is true, and must not when it is false.
        self.source = source

    @property
    def integer_samples(self) -> bool:
        """Whether the file codes integers (integer PCM, G.711, FLAC, ALAC): decoded to floats
        they hold no ``-0.0``, NaN or infinity, so the steps that look for those skip them."""
        codec = self.codec
        return codec.startswith(("pcm_s", "pcm_u", "pcm_mulaw", "pcm_alaw")) or codec in (
            "flac", "alac")

    def frame_bounds(self) -> tuple[int, int] | None:
        """``(typical, worst)``: the most frames a file of this size holds (see ``EXPANSION``).

        ``None`` when the size of the data is not known (a caller's ``SoundFile``).
        """
        size = self.source.size()
        if size is None:
            return None
        typical, worst = expansion(self.format, self.codec)
        channels = max(self.channels, 1)
        return int(size * typical) // channels + 1, int(size * worst) // channels + 1

    def seek(self, frame: int) -> None:
        """Make the next ``readinto`` start at ``frame`` (0 <= frame <= frames)."""
        raise NotImplementedError

    def readinto(self, out: np.ndarray) -> int:
        """Decode up to ``len(out)`` frames into ``out`` and return how many were written.

        ``out`` is C-contiguous, of shape ``(k, channels)`` and dtype float32 or float64.
        Samples are scaled as libsndfile scales them (int16 / 32768, ...). Fewer than ``k``
        frames are written only at the end of the stream.
        """
        raise NotImplementedError

    def tell(self) -> int:
        """The frame the next ``readinto`` starts at, before any ``seek``."""
        return 0

    def count_frames(self) -> int:
        """The exact number of frames; decodes the stream unless ``length`` is certain.

        Afterwards the reader is at frame 0 again, and ``length`` is ``COUNTED``.
        """
        if self.length.certain:
            return self.frames
        import numpy as np

        self.seek(0)
        scratch = np.empty((1 << 14, self.channels), np.float32)
        total = 0
        while got := self.readinto(scratch):
            total += got
        self.seek(0)
        self.frames, self.length = total, Length.COUNTED
        return total

    def close(self) -> None:
        """Release the file and the decoder. Idempotent."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
