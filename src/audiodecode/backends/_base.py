"""What every backend reader provides.

A reader decodes one audio stream at its native rate. It knows nothing of ``mono``, ``sr``,
``offset`` or ``duration``: the pipeline (``audiodecode._pipeline``) turns those into
``seek(frame)`` and ``readinto(block)`` calls, and does the downmix and the resampling.

A *frame* is one sample per channel (soundfile's meaning).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from typing_extensions import Self

    from .._source import Source


def to_float(samples: np.ndarray, out: np.ndarray) -> None:
    """Write stored samples into ``out`` (float32/64), scaled as libsndfile and FFmpeg do.

    Signed integers are converted to ``out``'s type (round to nearest) and multiplied by a
    power of two (int16 / 2**15, int32 / 2**31, ...), which is exact; unsigned 8-bit samples
    are centred on 128 first; floats are copied (double to float rounds, and values beyond
    float32's range become +-inf, as in C). ``samples`` and ``out`` have the same shape.
    """
    kind, bits = samples.dtype.kind, 8 * samples.dtype.itemsize
    if kind == "f":
        with np.errstate(over="ignore", invalid="ignore"):
            np.copyto(out, samples, casting="unsafe")
    elif kind == "u":
        np.subtract(samples, 1 << (bits - 1), out=out, dtype=out.dtype, casting="unsafe")
        out *= out.dtype.type(2.0 ** -(bits - 1))
    else:
        # A cast then an in-place scaling measured faster than one casting multiply.
        np.copyto(out, samples, casting="unsafe")
        np.multiply(out, out.dtype.type(2.0 ** -(bits - 1)), out=out)


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
        Number of frames in the stream. Exact when ``frames_exact`` is true; otherwise an
        estimate from the container's metadata (``count_frames`` gives the exact figure).
    frames_exact : bool
        Whether ``frames`` is exact.
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
    frames_exact: bool = True
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
        """The exact number of frames; decodes the stream when ``frames_exact`` is false.

        Afterwards the reader is at frame 0 again, and ``frames`` is exact.
        """
        if self.frames_exact:
            return self.frames
        import numpy as np

        self.seek(0)
        scratch = np.empty((1 << 14, self.channels), np.float32)
        total = 0
        while got := self.readinto(scratch):
            total += got
        self.seek(0)
        self.frames, self.frames_exact = total, True
        return total

    def close(self) -> None:
        """Release the file and the decoder. Idempotent."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
