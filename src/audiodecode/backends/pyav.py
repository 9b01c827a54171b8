"""FFmpeg, in-process, through PyAV: every container and codec FFmpeg reads.

What this reader returns is, sample for sample, what a plain PyAV loop returns::

    for frame in container.decode(audio=0): ...

Encoder delay and padding are trimmed inside libavformat/libavcodec (edit lists, skip-samples
and discard-padding side data) because we decode through the ordinary demux/decode path, the
one ``ffmpeg -i FILE -f f32le -`` uses too. (Sample counts depend on the libav* version: the
same MKV/AAC file gives 1024 samples more through FFmpeg 5.1's CLI than through FFmpeg 8.1.)

Seeking
-------
``seek`` returns exactly what a decode from the start returns there. Where the codec and the
demuxer allow it (``_pyav_seek`` says which, and why) that is ``container.seek`` with a
pre-roll, placed by timestamp; elsewhere the reader decodes forward, from a fresh open when
the target is behind.

``_pyav_container`` opens and names the file; ``_pyav_frames`` converts decoded samples.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import av
import numpy as np

from .._source import sniff
from ..errors import AudioDecodeError, CorruptAudioError, UnsupportedFormatError
from ._base import Decline, Length, Reader
from ._pyav_container import (
    bits_per_sample,
    error_message,
    format_name,
    open_container,
    referencing_kind,
)
from ._pyav_frames import SAMPLE_FORMATS, copy_frame
from ._pyav_seek import NEAR_SECONDS, SEEK_ATTEMPTS, SampleClock, exact_timestamps, preroll

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .._source import Source

__all__ = ["PyAVReader"]


class _Restart(Exception):
    """Internal: a pts-based seek could not be trusted; decode from the start instead."""


class PyAVReader(Reader):
    """Read the first audio stream of anything FFmpeg opens.

    Parameters
    ----------
    source : Source
        A local path or a seekable binary file object (``soundfile`` sources decline).

    Raises
    ------
    Decline
        The source is an open ``soundfile.SoundFile``.
    UnsupportedFormatError
        FFmpeg does not recognise the data, it has no audio stream, or no decoder for it.
    CorruptAudioError
        The container is recognised but broken, or its first audio packet does not decode.
    """

    name = "pyav"

    def __init__(self, source: Source, *, decoding: bool = True) -> None:
        super().__init__(source, decoding=decoding)
        if source.soundfile is not None:
            msg = "an open soundfile.SoundFile is read by the sndfile backend"
            raise Decline(msg)
        self._container: av.container.InputContainer | None = None
        self._frames_iter: Iterator[av.AudioFrame] | None = None
        self._pending: av.AudioFrame | None = None  # decoded, partly returned frame
        self._pending_off = 0  # frames of ``_pending`` already returned
        self._pos = 0  # index of the next frame readinto returns
        self._eof = False
        self._error: AudioDecodeError | None = None  # a decode error, raised again until seek
        self._count: int | None = None  # exact length, once known
        self._closed = False
        self.channels = 0  # set from the first decoded frame
        # The numpy type of the first frame's samples, as the decoder makes them.
        self.native_dtype: np.dtype[Any] = np.dtype(np.float32)
        # timestamps <-> sample indices, while they may place a frame after container.seek
        self._clock: SampleClock | None = None  # (see _setup_seeking)
        self._seek_check = False  # raise _Restart on a pts mismatch while placing a seek
        # how the last seek was served: "none", "forward", "pts" or "restart" (for tests)
        self._last_seek = "none"
        try:
            self._open()
            self._describe()
        except BaseException:
            self.close()
            raise

    # -- opening ---------------------------------------------------------------------------

    def _fail(self, cls: type[AudioDecodeError], reason: str) -> AudioDecodeError:
        return cls(self.source.name, reason, self.name)

    def _open(self) -> None:
        """Open the container and the decoder, positioned before the first frame."""
        kind = referencing_kind(self.source.head())
        if kind is not None:
            reason = (f"refused: the data is {kind}, which names other files or URLs; "
                      "audiodecode reads only the file it is given")
            raise self._fail(UnsupportedFormatError, reason)
        try:
            container = open_container(self.source)
        except (av.FFmpegError, OSError, ValueError, EOFError) as exc:
            # The Source has opened the file already, so an errno from FFmpeg is its verdict
            # on the data, not the OS's on the file: its demuxers return EPERM, ENOENT or EIO
            # for damaged headers (PyAV raises them as PermissionError...).
            raise self._open_error(exc) from exc
        self._container = container
        audio = container.streams.audio
        if not audio:
            raise self._fail(UnsupportedFormatError, "no audio stream in the file")
        stream = audio[0]
        if stream.codec_context is None:
            raise self._fail(UnsupportedFormatError, "FFmpeg has no decoder for its audio codec")
        # Video, subtitles, other audio tracks: let the demuxer skip their packets unread.
        for other in container.streams:
            if other.index != stream.index:
                try:
                    other.discard = av.stream.Discard.all
                except (AttributeError, ValueError):  # pragma: no cover - old PyAV
                    pass
        self._stream = stream
        self._frames_iter = container.decode(stream)

    def _open_error(self, exc: BaseException) -> AudioDecodeError:
        """Classify an ``av.open`` failure: broken data of a known kind, or not ours at all."""
        try:
            kind = sniff(self.source.head())
        except (OSError, ValueError):
            kind = "unknown"
        detail = error_message(exc)
        if kind != "unknown":
            reason = f"looks like {kind} but FFmpeg cannot read it: {detail}"
            return self._fail(CorruptAudioError, reason)
        reason = (
            f"FFmpeg does not recognise the data: {detail} (formats that open other files, "
            "such as playlists, concat scripts and image sequences, are refused)"
        )
        return self._fail(UnsupportedFormatError, reason)

    def _describe(self) -> None:
        """Fill in the public attributes; decodes the first frame (cheap, and authoritative)."""
        container, stream = self._container, self._stream
        assert container is not None
        ctx = stream.codec_context
        self.format = format_name(container)
        self.codec = ctx.codec.canonical_name
        self.bits_per_sample = bits_per_sample(stream, self.codec)
        # The decoder, not the container header, decides the output: HE-AAC doubles the
        # header's rate, parametric stereo turns mono into stereo.
        first = self._pull()
        if first is not None:
            layout = SAMPLE_FORMATS.get(first.format.name)
            if layout is not None:
                self.native_dtype = layout[0]
            self.sample_rate = int(first.sample_rate)
            self.channels = int(first.layout.nb_channels)
            self._pending, self._pending_off = first, 0
        else:
            self.sample_rate = int(ctx.sample_rate or 0)
            self.channels = int(ctx.channels or 0)
            self._count = 0
        if self.sample_rate <= 0 or self.channels <= 0:
            raise self._fail(CorruptAudioError, "the audio stream has no sample rate or channels")
        self._setup_seeking(first)
        self.frames = self._estimate_frames()
        self.length = Length.ESTIMATED
        if self._count is not None:
            self.frames, self.length = self._count, Length.COUNTED

    def _estimate_frames(self) -> int:
        """Length from the container's metadata, without decoding (see ``count_frames``)."""
        stream, container = self._stream, self._container
        assert container is not None
        rate = self.sample_rate
        if stream.duration is not None and stream.duration > 0 and stream.time_base:
            return round(stream.duration * stream.time_base * rate)
        if container.duration is not None and container.duration > 0:
            return round(container.duration * rate / av.time_base)
        frame_size = stream.codec_context.frame_size
        if stream.frames and frame_size:
            return int(stream.frames * frame_size)
        return 0

    def _setup_seeking(self, first: av.AudioFrame | None) -> None:
        """Decide whether ``container.seek`` can be made sample-exact for this stream."""
        self._preroll = preroll(self.codec)
        tb = self._stream.time_base
        demuxer = self._container.format.name.split(",")[0] if self._container else ""
        if (
            self._preroll is not None
            and first is not None
            and first.pts is not None
            and exact_timestamps(demuxer, self.codec, tb, self.sample_rate)
        ):
            assert tb is not None
            self._clock = SampleClock.start(tb, self.sample_rate, first.pts)

    # -- decoding --------------------------------------------------------------------------

    def _pull(self) -> av.AudioFrame | None:
        """The next decoded frame (its first sample is frame ``self._pos``), or None at EOF."""
        if self._error is not None:
            raise self._error
        if self._eof or self._frames_iter is None:
            return None
        try:
            frame = next(self._frames_iter)
        except StopIteration:
            self._eof = True
            if self._count is None:
                self._count = self._pos
            return None
        except (av.FFmpegError, ValueError, EOFError) as exc:
            self._error = self._fail(
                CorruptAudioError, f"decoding failed near frame {self._pos}: {error_message(exc)}"
            )
            raise self._error from exc
        except OSError as exc:  # the caller's file object failed
            self._error = self._fail(
                AudioDecodeError, f"read error near frame {self._pos}: {error_message(exc)}"
            )
            raise self._error from exc
        if (
            frame.samples
            and self.channels
            and (frame.sample_rate != self.sample_rate or frame.layout.nb_channels != self.channels)
        ):
            # ffmpeg's CLI would insert a resampler here; librosa never sees such a stream
            self._error = self._fail(
                CorruptAudioError,
                f"the stream changes from {self.channels} channels at {self.sample_rate} Hz "
                f"to {frame.layout.nb_channels} at {frame.sample_rate} Hz near frame "
                f"{self._pos}; such streams are not supported",
            )
            raise self._error
        clock = self._clock
        if (
            clock is not None
            and frame.pts is not None
            and frame.pts * clock.num != (self._pos + clock.base) * clock.den
        ):
            # Sequential decoding is the ground truth; a timestamp that disagrees with it
            # means this stream's timestamps cannot place a frame after a seek.
            self._clock = None
            if self._seek_check:
                raise _Restart
        return frame

    def readinto(self, out: np.ndarray) -> int:
        """Decode up to ``len(out)`` frames into ``out``; see :meth:`Reader.readinto`."""
        if self._closed:
            msg = "I/O operation on a closed reader"
            raise ValueError(msg)
        if out.ndim != 2 or out.shape[1] != self.channels or not out.flags.c_contiguous:
            msg = f"out must be a C-contiguous (k, {self.channels}) array, got {out.shape}"
            raise ValueError(msg)
        if out.dtype not in (np.float32, np.float64) and out.dtype != self.native_dtype:
            # The decoder's own integer type is read unscaled (``audiodecode.torchaudio``'s
            # ``normalize=False``, as torchaudio 2.8's FFmpeg backend returns it).
            msg = f"out must be float32, float64 or {self.native_dtype}, got {out.dtype}"
            raise TypeError(msg)
        want = out.shape[0]
        written = 0
        while written < want:
            frame = self._pending
            if frame is None:
                frame = self._pull()
                if frame is None:
                    break
                self._pending, self._pending_off = frame, 0
            off = self._pending_off
            n = min(frame.samples - off, want - written)
            if n > 0:
                layout = SAMPLE_FORMATS.get(frame.format.name)
                if layout is None:
                    reason = f"FFmpeg decodes to sample format {frame.format.name!r}, not read here"
                    raise self._fail(UnsupportedFormatError, reason)
                copy_frame(frame, layout, off, n, out[written : written + n])
                written += n
                self._pos += n
                off += n
            if off >= frame.samples:
                self._pending = None
            else:
                self._pending_off = off
        return written

    def _skip(self, n: int) -> None:
        """Drop the next ``n`` frames (fewer at EOF) without converting them."""
        while n > 0:
            frame = self._pending
            if frame is None:
                frame = self._pull()
                if frame is None:
                    return
                self._pending, self._pending_off = frame, 0
            k = min(frame.samples - self._pending_off, n)
            n -= k
            self._pos += k
            self._pending_off += k
            if self._pending_off >= frame.samples:
                self._pending = None

    # -- positioning -----------------------------------------------------------------------

    def tell(self) -> int:
        """The frame the next ``readinto`` starts at."""
        return self._pos

    def seek(self, frame: int) -> None:
        """Make the next ``readinto`` start at ``frame``, exactly as a decode from 0 would.

        A target past the end leaves the reader at the end (``readinto`` then returns 0).
        """
        if self._closed:
            msg = "I/O operation on a closed reader"
            raise ValueError(msg)
        target = int(frame)
        if target < 0:
            msg = f"cannot seek to a negative frame ({target})"
            raise ValueError(msg)
        if self._count is not None:
            target = min(target, self._count)
        if target == self._pos and self._error is None:
            self._last_seek = "none"
            return
        near = (self._preroll or 0) + int(NEAR_SECONDS * self.sample_rate)
        ahead = target - self._pos
        if self._error is None and 0 <= ahead and (ahead <= near or self._clock is None):
            # Decoding forward is exact, and cheaper than a seek plus its pre-roll.
            self._last_seek = "forward"
            self._skip(ahead)
            return
        if self._clock is not None and target > near and self._seek_by_pts(target):
            self._last_seek = "pts"
            return
        self._last_seek = "restart"
        self._restart()
        self._skip(target)

    def _restart(self) -> None:
        """Reopen the file: the only way back to a decoder state identical to a fresh open."""
        self._close_container()
        self._pending, self._pending_off = None, 0
        self._pos = 0
        self._eof = False
        self._error = None
        try:
            self._open()
        except BaseException:
            self._close_container()
            raise

    def _seek_by_pts(self, target: int) -> bool:
        """Seek with ``container.seek`` and place the result by timestamp; False to give up."""
        clock = self._clock
        assert self._container is not None
        assert self._preroll is not None
        assert clock is not None
        margin = self._preroll
        for _ in range(SEEK_ATTEMPTS):
            start = target - margin
            if start <= 0:
                return False
            ts = clock.pts(start)  # rounded down: at or before frame ``start``
            self._pending, self._pending_off = None, 0
            self._eof = False
            self._error = None
            self._drop_decoder_iterator()
            try:
                self._container.seek(ts, stream=self._stream, backward=True)
                self._frames_iter = self._container.decode(self._stream)
                first = next(self._frames_iter, None)
            except (av.FFmpegError, OSError, ValueError, EOFError):
                # e.g. the FLAC demuxer refuses (EPERM) targets in its last frames
                return False
            if first is None:
                return False
            if first.pts is None:
                self._clock = None  # no timestamps after a seek: never try again
                return False
            index = clock.index(first.pts)
            if index is None or index < 0:
                self._clock = None  # a timestamp that is not a sample index
                return False
            if index == 0:
                # Back at the very start: start trimming may differ from a fresh open.
                return False
            if index > start:
                # Landed after the pre-roll point (sparse index, Ogg page granularity).
                margin = 4 * margin + int(self.sample_rate)
                continue
            self._pos = index
            self._pending, self._pending_off = first, 0
            self._seek_check = True
            try:
                self._skip(target - self._pos)
            except (_Restart, AudioDecodeError):
                # _Restart: the timestamps disagree with the decoded sample count (``_pull``
                # has switched timestamp seeking off for good). A decode error right after a
                # seek may be the seek's doing: a decode from the start decides.
                return False
            finally:
                self._seek_check = False
            return True
        return False

    def count_frames(self) -> int:
        """The exact number of frames: decodes the rest of the stream the first time.

        The position is kept (by seeking back). Afterwards ``frames`` is exact too.
        """
        if self._count is None:
            if self._closed:
                msg = "I/O operation on a closed reader"
                raise ValueError(msg)
            here = self._pos
            self._skip(1 << 62)
            if self._count is None:  # pragma: no cover - _pull sets it at EOF
                self._count = self._pos
            self.frames, self.length = self._count, Length.COUNTED
            self.seek(here)
        return self._count

    # -- closing ---------------------------------------------------------------------------

    def _drop_decoder_iterator(self) -> None:
        frames_iter, self._frames_iter = self._frames_iter, None
        close = getattr(frames_iter, "close", None)
        if close is not None:
            # run the generator's cleanup now, while the container it reads is still open
            close()

    def _close_container(self) -> None:
        self._pending = None
        self._drop_decoder_iterator()
        container, self._container = self._container, None
        if container is not None:
            container.close()

    def close(self) -> None:
        """Close the container (never the caller's file object). Idempotent."""
        if not self._closed:
            self._closed = True
            self._close_container()

