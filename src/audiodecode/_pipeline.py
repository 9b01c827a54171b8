"""The one decoding loop that every public function runs.

    source -> reader (native-rate blocks from the start frame) -> downmix -> resample -> sink

``load`` sends the blocks into one preallocated array; ``stream`` frames them into
librosa's overlapping blocks. When there is neither a downmix nor a resampling step, the reader
decodes straight into the output array and nothing is copied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._resample import Resampler, make_resampler, output_length
from ._scratch import borrow_array, give_back
from ._span import resolve_span

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .backends import Reader

# "Until the decoder stops", for streams whose length is only estimated.
UNBOUNDED = 1 << 62

# Signals up to this many native frames (11 s at 48 kHz) are resampled by one soxr call,
# which is faster than block by block for speech-length clips; longer ones stream.
ONE_SHOT_FRAMES = 1 << 19

# Native frames decoded per step when the output cannot be written in place: big enough to
# amortise per-call costs, small enough to stay in cache and bound memory.
BLOCK_FRAMES = 1 << 16


class Plan:
    """What to read from an open reader, and what to do with it."""

    # A plain class with slots: built on every load, where a frozen dataclass's __init__
    # costs microseconds that the speech-clip benchmark can see.
    __slots__ = ("downmix", "dtype", "expected_frames", "n_frames", "out_channels",
                 "read_sizes", "resampler", "start_frame")

    def __init__(
        self,
        start_frame: int | None,
        n_frames: int,
        expected_frames: int,
        downmix: bool,
        out_channels: int,
        resampler: Resampler | None,
        dtype: np.dtype,
        read_sizes: tuple[int, int] | None = None,
    ) -> None:
        self.start_frame = start_frame  # None: do not seek (librosa.load with offset == 0)
        self.n_frames = n_frames  # native frames to read at most (clipped if the length is known)
        self.expected_frames = expected_frames  # native frames expected: the size to allocate
        self.downmix = downmix  # average the channels
        self.out_channels = out_channels
        self.resampler = resampler
        self.dtype = dtype
        # ``(first, then)``: native frames per read, each read followed by a seek to where it
        # stopped, exactly as ``librosa.stream`` reads through ``SoundFile.blocks``. Seeking
        # changes what libmpg123 decodes next, so stream's blocks are librosa's only if the
        # reads are. ``None``: read as fast as possible (sequential reads, no seeks).
        self.read_sizes = read_sizes

    def output_frames(self, n_read: int, sr_in: float, sr_out: float | None) -> int:
        if self.resampler is None or sr_out is None:
            return n_read
        return output_length(n_read, sr_in, sr_out)


def plan(
    reader: Reader,
    *,
    sr: float | None,
    mono: bool,
    offset: float,
    duration: float | None,
    dtype: np.dtype,
    res_type: str,
    seek_at_zero: bool = False,
    read_sizes: tuple[int, int] | None = None,
) -> Plan:
    """Resolve the request against the stream's rate, channels and length."""
    frames = reader.frames
    if not reader.frames_exact and (offset < 0 or offset * reader.sample_rate >= frames):
        # The length is only an estimate and the offset depends on it: count exactly.
        frames = reader.count_frames()
    start, n_frames = resolve_span(
        offset, duration, reader.sample_rate, frames, seek_at_zero=seek_at_zero
    )
    position = start if start is not None else reader.tell()
    available = max(0, frames - position)
    if reader.frames_exact:
        expected = n_frames = available if n_frames < 0 else min(n_frames, available)
    else:
        # Read until the decoder stops (or the duration is reached); allocate for the estimate.
        expected = available if n_frames < 0 else min(n_frames, available)
        n_frames = UNBOUNDED if n_frames < 0 else n_frames
    downmix = mono and reader.channels > 1
    out_channels = 1 if mono else reader.channels
    resampler = make_resampler(reader.sample_rate, sr, res_type, out_channels, dtype)
    return Plan(start, n_frames, expected, downmix, out_channels, resampler, dtype, read_sizes)


class Run:
    """THE loop: iterate to get processed blocks; ``frames_read`` counts native frames.

    Blocks are ``(k,)`` for one output channel, else ``(k, C)``, at the target rate. With
    ``into`` (an ``(n, channels)`` array, only for a plan that neither downmixes nor resamples
    on an exact-length reader), frames are decoded straight into it and the blocks are views
    of it; otherwise they are views of a scratch buffer, valid until the next block. A reader
    that only estimates its length is read until its decoder stops.
    """

    def __init__(self, reader: Reader, plan: Plan, into: np.ndarray | None = None) -> None:
        self.reader, self.plan, self.into = reader, plan, into
        self.frames_read = 0
        # True while the block just yielded is a new array that nothing else refers to (the
        # resampler's output for a whole signal): the consumer may keep it instead of copying.
        self.block_is_new = False

    def __iter__(self) -> Iterator[np.ndarray]:
        reader, plan, into = self.reader, self.plan, self.into
        if plan.start_frame is not None:
            reader.seek(plan.start_frame)
        remaining = plan.n_frames
        borrowed: list[np.ndarray] = []
        mix_buffer = None
        try:
            if plan.read_sizes is not None:
                reader.seek_after_read = True
            if into is not None:
                buffer = into
            else:
                block_frames = BLOCK_FRAMES
                if plan.read_sizes is not None:
                    block_frames = max(plan.read_sizes)
                elif plan.resampler is not None and remaining <= ONE_SHOT_FRAMES:
                    block_frames = remaining  # one read, one resampling call (``whole`` below)
                block_frames = min(block_frames, max(remaining, 1))
                buffer = _borrow(borrowed, (block_frames, reader.channels), plan.dtype)
                if plan.downmix:
                    mix_buffer = _borrow(borrowed, (block_frames,), plan.dtype)
            yield from self._blocks(remaining, buffer, into is not None, mix_buffer)
        finally:
            _give_back(borrowed)

    def _blocks(
        self, remaining: int, buffer: np.ndarray, in_place: bool, mix_buffer: np.ndarray | None
    ) -> Iterator[np.ndarray]:
        reader, plan = self.reader, self.plan
        # A signal read in one block is resampled by one call, which soxr runs faster than
        # block by block; the samples are the same either way.
        whole = (plan.resampler is not None and plan.read_sizes is None
                 and remaining <= len(buffer))
        read_size = len(buffer) if plan.read_sizes is None else plan.read_sizes[0]
        while remaining > 0:
            if in_place:
                # Decoding in place needs no scratch, so there is no reason to cut the read up.
                target = buffer[self.frames_read : self.frames_read + remaining]
            else:
                target = buffer[: min(remaining, read_size)]
                if plan.read_sizes is not None:
                    read_size = plan.read_sizes[1]
            got = reader.readinto(target)
            if got == 0:
                break
            self.frames_read += got
            remaining -= got
            native = target[:got]
            if plan.downmix:
                assert mix_buffer is not None
                block = downmix(native, mix_buffer[:got])
            elif plan.out_channels == 1:
                block = native[:, 0]
            else:
                block = native
            if plan.resampler is not None:
                if whole and remaining == 0:
                    self.block_is_new = True
                    yield plan.resampler.whole(block)
                    self.block_is_new = False
                    return
                block = plan.resampler.push(block)
            yield block
            if got < len(target):
                break
        if plan.resampler is not None:
            yield plan.resampler.flush()


def _borrow(borrowed: list[np.ndarray], shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    buffer, array = borrow_array(shape, dtype)
    borrowed.append(buffer)
    return array


def _give_back(borrowed: list[np.ndarray]) -> None:
    for buffer in borrowed:
        give_back(buffer)


def downmix(block: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Average the channels of a ``(k, channels)`` block into ``out``, as ``librosa.to_mono``.

    librosa computes ``np.mean`` over the channel axis of the ``(channels, n)`` view. For
    fewer than 8 channels numpy sums them left to right (its pairwise summation only starts at
    8 terms) and divides by the count, so the same two steps give identical samples without
    the strided reduction, which is 40x slower for stereo. Wider blocks use ``np.mean`` itself.
    """
    channels = block.shape[1]
    if channels >= 8:
        return np.mean(block.T, axis=0, out=out)
    np.add(block[:, 0], block[:, 1], out=out)
    for channel in range(2, channels):
        out += block[:, channel]
    if channels == 2:
        out *= out.dtype.type(0.5)  # exact, like the division by 2
    else:
        np.divide(out, channels, out=out)
    return out


def decode(reader: Reader, plan: Plan, sr_out: float | None) -> np.ndarray:
    """Run the loop into one array shaped as ``librosa.load`` returns it."""
    channels = plan.out_channels
    expected = plan.output_frames(plan.expected_frames, reader.sample_rate, sr_out)
    if plan.resampler is None and not plan.downmix and reader.frames_exact:
        out = np.empty((expected, reader.channels), plan.dtype)
        run = Run(reader, plan, into=out)
        for _ in run:
            pass
        written = run.frames_read
    else:
        collected: np.ndarray | None = None  # allocated when the first block arrives
        run = Run(reader, plan)
        written = 0
        for block in run:
            k = len(block)
            if collected is None:
                if run.block_is_new:  # the whole signal, resampled: keep it, do not copy it
                    collected, written = block.reshape(k, channels), k
                    continue
                collected = np.empty((expected, channels), plan.dtype)
            if written + k > len(collected):
                collected = _grow(collected, written + k)
            collected[written : written + k] = block.reshape(k, channels)
            written += k
        if collected is None:  # nothing was read
            collected = np.empty((expected, channels), plan.dtype)
        out = collected
    final = plan.output_frames(run.frames_read, reader.sample_rate, sr_out)
    if final > written:
        if final > len(out):
            out = _grow(out, final, exactly=True)
        out[written:final] = 0  # librosa.util.fix_length pads with zeros
    out = out[:final]
    if channels == 1:
        return out.reshape(final)
    transposed: np.ndarray = out.T  # (channels, n), a view, as librosa's ``read(...).T``
    return transposed


def _grow(out: np.ndarray, needed: int, *, exactly: bool = False) -> np.ndarray:
    size = needed if exactly else max(needed, 2 * len(out), 1024)
    bigger = np.empty((size, *out.shape[1:]), out.dtype)
    bigger[: len(out)] = out
    return bigger
