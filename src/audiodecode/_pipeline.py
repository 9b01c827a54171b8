"""The one decoding loop that every public function runs.

    source -> reader (native-rate blocks from the start frame) -> downmix -> resample -> sink

``load`` sends the blocks into one preallocated array; ``stream`` frames them into
librosa's overlapping blocks. When there is neither a downmix nor a resampling step, the reader
decodes straight into the output array and nothing is copied.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

import numpy as np

from . import _options
from ._options import DEFAULT_MAX_DURATION
from ._resample import MAX_RATIO, MIN_RATIO, Resampler, make_resampler, output_length
from ._scratch import borrow_array, give_back
from ._span import resolve_span
from .backends._base import Length
from .errors import AudioTooLargeError, UnsupportedFormatError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ._options import LoadOptions
    from .backends import Reader

# "Until the decoder stops", for streams whose length is only estimated.
UNBOUNDED = 1 << 62

# Signals up to this many native frames (11 s at 48 kHz) are resampled by one soxr call,
# which is faster than block by block for speech-length clips; longer ones stream.
ONE_SHOT_FRAMES = 1 << 19
# ... when that call makes at most this many frames: libsoxr's one-shot call buffers its whole
# output internally as well, and cannot be interrupted.
ONE_SHOT_OUTPUT_FRAMES = 1 << 22

# Native frames decoded per step when the output cannot be written in place: big enough to
# amortise per-call costs, small enough to stay in cache and bound memory.
BLOCK_FRAMES = 1 << 16
# At most this many samples (all channels) per scratch block, whatever a header says the
# channel count is (libsndfile allows 1024 channels, WAV 65535).
SCRATCH_SAMPLES = 1 << 21
# At most this many frames per read straight into the output (24 s at 44.1 kHz): one call
# decodes them in C without the GIL, and Python sees a signal only between calls.
IN_PLACE_READ_FRAMES = 1 << 20
# At most this many output frames per resampling call. Each call runs in C without the GIL;
# between calls Python sees Ctrl-C and a batch's timeout, and no length reaches the 2**31
# frames past which libsoxr's lengths overflow.
RESAMPLE_CALL_FRAMES = 1 << 20

# The output is allocated from the stream's length before decoding, for speed: one array,
# written in place. When that length comes from a header that may lie (all but the WAV
# reader's), the first allocation is at most this many bytes or what the file's size makes
# typical for its codec (``backends._base.EXPANSION``), whichever is larger; the array grows
# if more samples arrive. A header that tells the truth is trusted up to that point, which
# every real file reaches, so honest files are written in place as before.
FIRST_ALLOCATION_BYTES = 16 << 20
# The decompression-bomb bound, as Pillow's ``MAX_IMAGE_PIXELS`` is for images. Unless the
# caller chose a ``max_duration`` (per call or with ``set_max_duration``), a file may decode to
# at most EXPANSION_LIMIT bytes per byte of the file, counted at the target rate and dtype on
# every channel the decoder makes (before any downmix), or to OUTPUT_FLOOR_BYTES, whichever
# is more (the floor is 12 minutes of 44.1 kHz stereo float32). Honest audio stays below:
# FLAC of real recordings makes about 4 bytes of float32 per byte at its own rate, 128 kbit/s
# MP3 about 22, 6 kbit/s stereo Opus 512, an 8 kHz 8-bit WAV resampled to 192 kHz float64 192.
# What crosses it is a header's rate that is a lie (1.9 MB of PCM "at 22 Hz": 2004 bytes per
# byte at the default sr) or hours of digital silence (FLAC codes 192 kHz stereo silence in
# about 1/2048 of its float32 size). A length that a header claims is checked before anything
# is allocated; a length that is only decoded is checked as the samples arrive.
EXPANSION_LIMIT = 1024
OUTPUT_FLOOR_BYTES = 256 << 20
# An output this much larger than what was decoded (and by more than the decoded frames) is
# copied to its real length instead of returned as a slice that keeps the rest alive.
SLACK_BYTES = 1 << 20


class Plan:
    """What to read from an open reader, and what to do with it."""

    # A plain class with slots: built on every load, where a frozen dataclass's __init__
    # costs microseconds that the speech-clip benchmark can see.
    __slots__ = ("downmix", "dtype", "expected_frames", "limit_frames", "max_duration", "mono",
                 "n_frames", "out_channels", "read_sizes", "resampler", "start_frame")

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
        limit_frames: int = UNBOUNDED,
        max_duration: float = math.inf,
        mono: bool = False,
    ) -> None:
        self.start_frame = start_frame  # None: do not seek (librosa.load with offset == 0)
        self.n_frames = n_frames  # native frames to read at most (clipped if the length is known)
        self.expected_frames = expected_frames  # native frames expected: the size to allocate
        self.downmix = downmix  # average the channels
        self.mono = mono  # asked for one channel (``downmix`` or a one-channel stream)
        self.out_channels = out_channels
        self.resampler = resampler  # None: no resampling; else it holds both rates
        self.dtype = dtype
        # ``(first, then)``: native frames per read, each read followed by a seek to where it
        # stopped, exactly as ``librosa.stream`` reads through ``SoundFile.blocks``. Seeking
        # changes what libmpg123 decodes next, so stream's blocks are librosa's only if the
        # reads are. ``None``: read as fast as possible (sequential reads, no seeks).
        self.read_sizes = read_sizes
        self.limit_frames = limit_frames  # more native frames than this: AudioTooLargeError
        self.max_duration = max_duration  # the same limit in seconds, for the message

    def output_frames(self, n_read: int) -> int:
        """Output frames for ``n_read`` native ones: librosa's resampled length."""
        resampler = self.resampler
        if resampler is None:
            return n_read
        return output_length(n_read, resampler.sr_in, resampler.sr_out)


def plan(
    reader: Reader,
    options: LoadOptions,
    *,
    seek_at_zero: bool = False,
    read_sizes: tuple[int, int] | None = None,
    span: tuple[int, int] | None = None,
) -> Plan:
    """Resolve checked ``options`` against the stream's rate, channels and length.

    ``span``, ``(start_frame, n_frames)`` in native frames (``n_frames == -1``: to the end),
    replaces ``options.offset``/``duration`` for callers that address frames, not seconds
    (``audiodecode.torchaudio``); the reader stops at the end if the span runs past it.

    Raises :class:`AudioTooLargeError` when the part to read is known to last longer than
    ``options.max_duration`` seconds; a stream whose length is only claimed raises it while
    decoding.
    """
    sr, mono, offset, duration, dtype, res_type, _, _ = options
    max_duration = options.resolved_max_duration()
    frames = reader.frames
    if span is None and not reader.length.exact and (
        offset < 0 or offset * reader.sample_rate >= frames
    ):
        # The length is only an estimate and the offset depends on it: count exactly.
        frames = reader.count_frames()
    start, n_frames = span if span is not None else resolve_span(
        offset, duration, reader.sample_rate, frames, seek_at_zero=seek_at_zero
    )
    position = start if start is not None else reader.tell()
    available = max(0, frames - position)
    if reader.length.exact:
        expected = n_frames = available if n_frames < 0 else min(n_frames, available)
    else:
        # Read until the decoder stops (or the duration is reached); allocate for the estimate,
        # plus room for what it commonly misses (AAC's 2112 frames of priming and padding, a
        # rounding): growing the output copies it, for a moment twice its size in memory.
        headroom = available + available // 64 + 4096
        expected = headroom if n_frames < 0 else min(n_frames, headroom)
        n_frames = UNBOUNDED if n_frames < 0 else n_frames
    limit = UNBOUNDED
    if reader.length is Length.PROVEN:
        if expected > max_duration * reader.sample_rate:  # n_frames == expected: exact
            raise _too_large(reader, max_duration, expected)
    elif max_duration < math.inf:
        limit = min(UNBOUNDED, math.floor(max_duration * reader.sample_rate))
        # One frame past the limit is read to tell "exactly at the limit" from "beyond it".
        n_frames = min(n_frames, limit + 1)
        expected = min(expected, limit + 1)
    downmix = mono and reader.channels > 1
    out_channels = 1 if mono else reader.channels
    if sr is not None and not MIN_RATIO <= sr / reader.sample_rate <= MAX_RATIO:
        reason = (
            f"resampling from its rate, {reader.sample_rate} Hz, to sr={sr:g} is refused: "
            f"the ratio is outside 1/{1 / MIN_RATIO:g} to {MAX_RATIO:g}, where libsoxr takes "
            "minutes and gigabytes (a header's rate may be a lie); load it with sr=None"
        )
        error = UnsupportedFormatError(reader.source.name, reason, reader.name)
        error.refused = True  # a verdict on the rate this decoder reports: ask no other one
        raise error
    ratio = 1.0 if sr is None else sr / reader.sample_rate
    bound = None
    # A WAV's output within the floor needs no file size: spare a speech clip the fstat.
    if reader.length is not Length.PROVEN or (
        expected * reader.channels * dtype.itemsize * ratio > OUTPUT_FLOOR_BYTES
    ):
        bound = _expansion_bound(reader, options, dtype, ratio)
    if bound is not None and bound < limit:
        if reader.length.exact and expected > bound and (
            reader.length is Length.PROVEN or _credible(reader, expected)
        ):
            raise _bomb(reader, sr, dtype, ratio, expected)
        if reader.length is not Length.PROVEN:
            # A length that is only claimed: checked on the decoded frames (``Run``).
            limit = bound
            n_frames = min(n_frames, limit + 1)
            expected = min(expected, limit + 1)
    resampler = make_resampler(reader.sample_rate, sr, res_type, out_channels, dtype)
    if reader.length is not Length.PROVEN:
        if resampler is None:
            ratio = 1.0
        expected = _credible_frames(reader, expected, dtype, ratio)
    return Plan(start, n_frames, expected, downmix, out_channels, resampler, dtype, read_sizes,
                limit, max_duration, mono)


def _credible_frames(reader: Reader, claimed: int, dtype: np.dtype, ratio: float) -> int:
    """How many of the ``claimed`` frames to allocate before any is decoded (see
    ``FIRST_ALLOCATION_BYTES``)."""
    frame_bytes = max(reader.channels, 1) * dtype.itemsize * max(ratio, 1.0)
    budget = int(FIRST_ALLOCATION_BYTES / frame_bytes)
    bounds = reader.frame_bounds()
    if bounds is None:
        return min(claimed, budget)
    typical, worst = bounds
    return min(claimed, worst, max(budget, typical))


def _expansion_bound(
    reader: Reader, options: LoadOptions, dtype: np.dtype, ratio: float
) -> int | None:
    """The most native frames the file may decode to (``EXPANSION_LIMIT``), or ``None``
    when the caller chose a ``max_duration`` or the file's size is unknown."""
    if options.max_duration is not None or _options.MAX_DURATION != DEFAULT_MAX_DURATION:
        return None
    size = reader.source.size()
    if size is None:
        return None
    allowed = max(OUTPUT_FLOOR_BYTES, EXPANSION_LIMIT * size)
    return int(allowed / (max(reader.channels, 1) * dtype.itemsize * ratio))


def _credible(reader: Reader, frames: int) -> bool:
    """Whether a file of this size and codec can code ``frames`` frames at all: a claim
    beyond that is a header's lie, and what decodes is checked instead."""
    bounds = reader.frame_bounds()
    return bounds is None or frames <= bounds[1]


def _bomb(
    reader: Reader, sr: float | None, dtype: np.dtype, ratio: float, frames: int | None
) -> AudioTooLargeError:
    size = reader.source.size() or 0
    frame_bytes = max(reader.channels, 1) * dtype.itemsize * ratio
    allowed = max(OUTPUT_FLOOR_BYTES, EXPANSION_LIMIT * size)
    rate = "its own rate" if sr is None else f"sr={sr:g}"
    if frames is None:
        makes = f"decodes to more than {allowed / 2**20:.6g} MiB"
    else:
        makes = f"would decode to {frames * frame_bytes / 2**20:.6g} MiB"
    reason = (
        f"{makes} of {dtype.name} at {rate} ({reader.sample_rate} Hz, {reader.channels} "
        f"channels), more than {EXPANSION_LIMIT} bytes per byte of its {size} bytes or "
        f"{OUTPUT_FLOOR_BYTES >> 20} MiB: a header's rate or length that lies, or a "
        "decompression bomb; if you trust it, pass max_duration (e.g. math.inf, or "
        "audiodecode.set_max_duration for every call), or offset/duration to read a part"
    )
    return AudioTooLargeError(reader.source.name, reason, reader.name)


def _limit_error(reader: Reader, plan: Plan, frames: int) -> AudioTooLargeError:
    """The error for a decode that went past ``plan.limit_frames``: the duration or the
    expansion bound, whichever set it."""
    if frames <= plan.max_duration * reader.sample_rate:
        resampler = plan.resampler
        if resampler is None:
            return _bomb(reader, None, plan.dtype, 1.0, None)
        ratio = resampler.sr_out / resampler.sr_in
        return _bomb(reader, resampler.sr_out, plan.dtype, ratio, None)
    return _too_large(reader, plan.max_duration, frames)


def _too_large(reader: Reader, max_duration: float, frames: int) -> AudioTooLargeError:
    # Known in advance (a WAV's length) or found while decoding, one frame past the limit.
    known = reader.length is Length.PROVEN and frames <= reader.frames
    lasts = f"lasts {frames / reader.sample_rate:.6g} s, longer" if known else "lasts longer"
    reason = (
        f"the audio {lasts} than max_duration={max_duration:g} s; pass a larger max_duration "
        "(audiodecode.set_max_duration for every call), or offset/duration to read a part"
    )
    return AudioTooLargeError(reader.source.name, reason, reader.name)


class Run:
    """THE loop: iterate to get ``(block, owned)`` pairs; ``frames_read`` counts native frames.

    Blocks are ``(k,)`` for one output channel, else ``(k, C)``, at the target rate. With
    ``into`` (an ``(n, channels)`` array, only for a plan that neither downmixes nor resamples
    on an exact-length reader), frames are decoded straight into it and the blocks are views
    of it; otherwise they are views of a scratch buffer, valid until the next block. ``owned``
    is true for a block that is a new array nothing else refers to (the resampler's output for
    a whole signal): the consumer may keep it instead of copying it. A reader that only
    estimates its length is read until its decoder stops.
    """

    def __init__(
        self, reader: Reader, plan: Plan, into: np.ndarray | None = None, *,
        positive_zeros: bool = False,
    ) -> None:
        self.reader, self.plan, self.into = reader, plan, into
        self.frames_read = 0
        # A one-channel stream at ``mono=True`` gets ``+ 0.0`` before resampling, as
        # ``librosa.load`` 1.0's ``to_mono`` does (``stream`` does not call it there).
        self.positive_zeros = (positive_zeros and plan.mono and not plan.downmix
                               and not reader.integer_samples)

    def __iter__(self) -> Iterator[tuple[np.ndarray, bool]]:
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
                resampler = plan.resampler
                ratio = 1.0 if resampler is None else resampler.sr_out / resampler.sr_in
                if plan.read_sizes is not None:
                    block_frames = max(plan.read_sizes)
                elif (
                    resampler is not None
                    and remaining <= ONE_SHOT_FRAMES
                    and remaining * ratio <= ONE_SHOT_OUTPUT_FRAMES
                ):
                    block_frames = remaining  # one read, one resampling call (``whole`` below)
                elif ratio > 1.0:
                    block_frames = min(block_frames, max(1, int(RESAMPLE_CALL_FRAMES / ratio)))
                block_frames = min(block_frames, max(remaining, 1))
                if plan.read_sizes is None:  # stream's reads are librosa's sizes, whatever
                    block_frames = min(block_frames, max(1, SCRATCH_SAMPLES // reader.channels))
                buffer = _borrow(borrowed, (block_frames, reader.channels), plan.dtype)
                if plan.downmix:
                    mix_buffer = _borrow(borrowed, (block_frames,), plan.dtype)
            yield from self._blocks(remaining, buffer, into is not None, mix_buffer)
        finally:
            _give_back(borrowed)

    def _blocks(
        self, remaining: int, buffer: np.ndarray, in_place: bool, mix_buffer: np.ndarray | None
    ) -> Iterator[tuple[np.ndarray, bool]]:
        reader, plan = self.reader, self.plan
        # A signal read in one block is resampled by one call, which soxr runs faster than
        # block by block; the samples are the same either way.
        whole = (plan.resampler is not None and plan.read_sizes is None
                 and remaining <= len(buffer))
        read_size = len(buffer) if plan.read_sizes is None else plan.read_sizes[0]
        while remaining > 0:
            if in_place:
                if self.frames_read == len(buffer):
                    # The header claimed fewer frames than arrive, or more than was believed
                    # (``plan``): grow the output as the samples come.
                    buffer = self.into = _grow(
                        buffer, self.frames_read + 1, most=self.frames_read + remaining
                    )
                # Decoding in place needs no scratch; the read is cut up only so that no call
                # into C (libsndfile's, without the GIL) keeps Ctrl-C and timeouts waiting.
                step = min(remaining, IN_PLACE_READ_FRAMES)
                target = buffer[self.frames_read : self.frames_read + step]
            else:
                target = buffer[: min(remaining, read_size)]
                if plan.read_sizes is not None:
                    read_size = plan.read_sizes[1]
            got = reader.readinto(target)
            if got == 0:
                break
            self.frames_read += got
            remaining -= got
            if self.frames_read > plan.limit_frames:
                raise _limit_error(reader, plan, self.frames_read)
            native = target[:got]
            if plan.downmix:
                assert mix_buffer is not None
                block = downmix(native, mix_buffer[:got])
            elif plan.out_channels == 1:
                block = native[:, 0]
                if self.positive_zeros:
                    positive_zeros(block)  # ``native`` is scratch or the output: ours
            else:
                block = native
            if plan.resampler is not None:
                if whole and remaining == 0:
                    yield plan.resampler.whole(block), True
                    return
                block = plan.resampler.push(block)
            yield block, False
            if got < len(target):
                break
        if plan.resampler is not None:
            yield plan.resampler.flush(), False


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

    numpy's reduction starts from its identity, ``+0.0``: where every channel holds ``-0.0``
    (Vorbis and float WAV decode silence so), librosa's mean is ``+0.0``, while a sum that
    starts from the first channel is ``-0.0``. The two sums differ in nothing but that sign,
    so one ``+ 0.0`` (which turns ``-0.0`` into ``+0.0`` and leaves every other value alone)
    gives librosa's bytes. librosa 1.0's ``to_mono`` adds the mean into a zeroed array, the
    same ``+ 0.0``.
    """
    channels = block.shape[1]
    if channels >= 8:
        return np.mean(block.T, axis=0, out=out)
    np.add(block[:, 0], block[:, 1], out=out)
    for channel in range(2, channels):
        out += block[:, channel]
    out += out.dtype.type(0)  # -0.0 becomes +0.0, as in numpy's sum from its identity
    if channels == 2:
        out *= out.dtype.type(0.5)  # exact, like the division by 2
    else:
        np.divide(out, channels, out=out)
    return out


def positive_zeros(block: np.ndarray) -> np.ndarray:
    """``block + 0.0`` in place: ``-0.0`` becomes ``+0.0``, nothing else changes.

    librosa 1.0's ``load(mono=True)`` passes a one-channel signal through ``to_mono`` too,
    which adds it into a zeroed array; librosa 0.11 returns it untouched.
    """
    np.add(block, block.dtype.type(0), out=block)
    return block


def decode(reader: Reader, plan: Plan, *, one_channel_as_decoded: bool = False) -> np.ndarray:
    """The array sink: run the loop into one array shaped as ``librosa.load`` returns it.

    At ``mono=True`` a one-channel signal's ``-0.0`` become ``+0.0``, as in librosa 1.0's
    ``load``; librosa 0.11 returns them as decoded (``one_channel_as_decoded``), the one place
    the two differ here.

    Raises :class:`AudioTooLargeError`, not ``MemoryError``, when the output (or the
    resampler's) cannot be allocated.
    """
    try:
        return _decode(reader, plan, positive_zeros=not one_channel_as_decoded)
    except MemoryError as exc:
        frame_bytes = plan.out_channels * plan.dtype.itemsize
        wanted = plan.output_frames(plan.expected_frames) * frame_bytes
        reason = (
            f"cannot allocate the output ({exc or 'out of memory'}; about "
            f"{wanted / 2**20:.6g} MiB expected); pass offset/duration to read a part, or "
            "a lower sr"
        )
        raise AudioTooLargeError(reader.source.name, reason, reader.name) from exc


def _decode(reader: Reader, plan: Plan, *, positive_zeros: bool) -> np.ndarray:
    channels = plan.out_channels
    expected = plan.output_frames(plan.expected_frames)
    if plan.resampler is None and not plan.downmix and reader.length.exact:
        run = Run(reader, plan, into=np.empty((expected, reader.channels), plan.dtype),
                  positive_zeros=positive_zeros)
        deque(run, maxlen=0)  # the blocks are views of ``into``: keep none of them alive
        assert run.into is not None
        out, written = run.into, run.frames_read  # ``into`` is a bigger array if it grew
    else:
        collected: np.ndarray | None = None  # allocated when the first block arrives
        run = Run(reader, plan, positive_zeros=positive_zeros)
        written = 0
        for block, owned in run:
            k = len(block)
            if collected is None:
                if owned:  # the whole signal, resampled: keep it, do not copy it
                    collected, written = block.reshape(k, channels), k
                    continue
                collected = np.empty((expected, channels), plan.dtype)
            if written + k > len(collected):
                # Past a length that was only estimated (or believed only up to
                # FIRST_ALLOCATION_BYTES): a quarter more each time. numpy's resize copies
                # when it grows, so each step briefly holds 2.25 times the output so far.
                size = max(written + k, len(collected) + max(len(collected) // 4, BLOCK_FRAMES))
                collected = _resized(collected, size)
            collected[written : written + k] = block.reshape(k, channels)
            written += k
        if collected is None:  # nothing was read
            collected = np.empty((0, channels), plan.dtype)
        out = collected
    final = plan.output_frames(run.frames_read)
    # No view of ``out`` is alive here: it may be resized in place.
    if final > written:
        if final > len(out):
            out = _resized(out, final)
        out[written:final] = 0  # librosa.util.fix_length pads with zeros
    slack = len(out) - final
    if slack * out.itemsize * out.shape[1] > SLACK_BYTES and slack * 8 > final:
        # A header or an estimate claimed more than the file held: give the rest back rather
        # than return a slice that keeps it reserved.
        out = _resized(out, final)
    out = out[:final]
    if channels == 1:
        return out.reshape(final)
    transposed: np.ndarray = out.T  # (channels, n), a view, as librosa's ``read(...).T``
    return transposed


def frame_blocks(
    run: Run, plan: Plan, block_size: int, advance: int, fill_value: float | None, *,
    librosa_011_tail: bool = False,
) -> Iterator[np.ndarray]:
    """The stream sink: cut the processed signal ``z`` into ``z[i*advance : i*advance +
    block_size]``, as ``(channels, block_size)`` (or ``(block_size,)``) arrays.

    librosa 1.0 yields block ``i`` while ``i * advance < len(z)``; librosa 0.11 (soundfile's
    ``blocks``) only while the block holds a sample beyond the previous block's overlap:
    ``librosa_011_tail``, which only the librosa patch asks for under librosa 0.11.

    Raises :class:`AudioTooLargeError`, not ``MemoryError``, when a block (a ``block_size``
    that does not fit in memory) cannot be allocated.
    """
    try:
        yield from _frame_blocks(run, plan, block_size, advance, fill_value, librosa_011_tail)
    except MemoryError as exc:
        block_bytes = block_size * plan.out_channels * plan.dtype.itemsize
        reason = (f"cannot allocate a block of {block_bytes / 2**20:.6g} MiB "
                  f"({exc or 'out of memory'}); pass a smaller block_length")
        raise AudioTooLargeError(run.reader.source.name, reason, run.reader.name) from exc


def _frame_blocks(
    run: Run, plan: Plan, block_size: int, advance: int, fill_value: float | None,
    librosa_011_tail: bool,
) -> Iterator[np.ndarray]:
    overlap = block_size - advance if librosa_011_tail else 0
    channels = plan.out_channels
    shape = (block_size,) if channels == 1 else (block_size, channels)
    # Ring of pending samples: at most one block plus one processed chunk.
    pending = np.empty((0, *shape[1:]), plan.dtype)
    for chunk, _ in run:
        pending = np.concatenate((pending, chunk)) if len(pending) else chunk.copy()
        while len(pending) >= block_size:
            yield pending[:block_size].T.copy()
            pending = pending[advance:]
    while len(pending) > overlap and len(pending) > 0:
        block = pending[:block_size]
        if len(block) < block_size and fill_value is not None:
            padded = np.full(shape, fill_value, plan.dtype)
            padded[: len(block)] = block
            block = padded
        yield block.T.copy()
        pending = pending[advance:]


def _resized(out: np.ndarray, size: int) -> np.ndarray:
    """``out`` with ``size`` frames, its first ones kept (new ones are zero).

    Through ``ndarray.resize`` (``realloc``) when ``out`` owns its memory, which the caller
    guarantees no view refers to: shrinking then gives the tail back without a copy (growing
    copies all the same, measured: a 121 MB array's peak RSS doubles); else a copy.
    """
    if out.base is None and out.flags.owndata and out.flags.c_contiguous:
        out.resize((size, *out.shape[1:]), refcheck=False)
        return out
    resized = np.empty((size, *out.shape[1:]), out.dtype)
    kept = min(size, len(out))
    resized[:kept] = out[:kept]
    return resized


def _grow(out: np.ndarray, needed: int, *, most: int) -> np.ndarray:
    """A copy of ``out`` with room for ``needed`` frames or more (twice, up to ``most``).

    For ``Run``'s output, which views yielded earlier may still refer to: never in place.
    """
    size = min(max(needed, 2 * len(out), 1024), max(most, needed))
    bigger = np.empty((size, *out.shape[1:]), out.dtype)
    bigger[: len(out)] = out
    return bigger
