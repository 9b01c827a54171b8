"""When the FFmpeg reader (``backends.pyav``) may trust ``container.seek``, and how it places one.

A seek must return exactly the samples a decode from frame 0 returns at that position. That
is only possible after ``container.seek`` when the decoder's output depends on a *bounded*
window of preceding packets and on nothing else. Measured and read from the decoders:

* intra-only lossless codecs (PCM, FLAC, ALAC, WavPack, TTA) decode every packet on its own;
* MPEG audio layers I-III and Vorbis need a bounded history (MP3: the bit reservoir and the
  synthesis window; Vorbis: one block overlap), so a fixed pre-roll makes them exact;
* AAC is *never* exact after a seek: perceptual noise substitution (PNS, on by default in
  FFmpeg's own encoder and common elsewhere) draws from a random-number generator whose state
  carries over from the first packet of the stream; a seek continues from a different state.
  AC-3/E-AC-3 (mantissa dithering) and WMA (noise coding) have the same kind of state, and
  Opus/CELT carries IIR filter state that converges only approximately;
* every other codec is assumed unsafe.

The position of the first frame after a seek comes from its timestamp, which must map to an
exact sample index. That holds only for demuxers whose timestamps count samples (MP4/MOV
``stts``, FLAC frame headers, PCM containers; Ogg granule positions only for Vorbis: FLAC in
Ogg comes out a page late) and only when the time base resolves single samples. Matroska/WebM
and ASF store milliseconds; the MP3 and raw ADTS/AC-3 demuxers *estimate* the timestamp after
a seek from the byte offset. Timestamps are also checked against the decoded sample count on
every frame, and a seek whose placement disagrees with them falls back to the start.

Everything else decodes forward to the target, dropping samples without converting them:
from the current position when the target is ahead, else from the start of a freshly opened
file (``container.seek(0)`` is not a fresh start: seeking AAC in MP4 or MP3 back to 0 did not
reproduce a fresh decode). That is what ``librosa.load`` itself does for these files.

This module is that knowledge as data and pure functions; it does not import FFmpeg.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fractions import Fraction

__all__ = [
    "EXACT_SEEK_TIMESTAMPS",
    "NEAR_SECONDS",
    "SEEKABLE_CODECS",
    "SEEK_ATTEMPTS",
    "SampleClock",
    "exact_timestamps",
    "preroll",
]

# Codecs whose decoded output depends on nothing but a bounded window of earlier packets,
# with the number of samples of decoded history (at the stream's rate) that a seek decodes
# and drops before the target. See the module docstring for why the others are absent.
_MPEG_AUDIO_PREROLL = 32 * 1152  # MP3 bit reservoir (<= 511 bytes, so up to ~21 small
# frames back at 8 kbit/s) plus the 512-tap synthesis window: 32 frames is ample.
SEEKABLE_CODECS: dict[str, int] = {
    "flac": 0,
    "alac": 0,
    "wavpack": 0,
    "tta": 0,
    "mp1": _MPEG_AUDIO_PREROLL,
    "mp2": _MPEG_AUDIO_PREROLL,
    "mp3": _MPEG_AUDIO_PREROLL,
    "vorbis": 4 * 8192,  # the longest Vorbis block is 8192 samples; its overlap is half
}
# Demuxer -> the codecs for which its timestamps after a seek are exact sample counts (given
# a time base fine enough, checked separately). MP4/MOV: ``stts`` durations. Ogg: granule
# positions, but the first packets after a seek are placed right only for codecs whose packet
# durations the demuxer computes (Vorbis); for FLAC in Ogg they come out a page late. WAV-like
# containers: byte offsets, which count samples only for PCM. ``None`` stands for any PCM.
EXACT_SEEK_TIMESTAMPS: dict[str, frozenset[str | None]] = {
    "mov": frozenset({None, "alac", "flac", "mp1", "mp2", "mp3"}),
    "ogg": frozenset({"vorbis"}),
    "flac": frozenset({"flac"}),
    "wav": frozenset({None}),
    "w64": frozenset({None}),
    "aiff": frozenset({None}),
}

# A forward seek closer than this (in seconds, plus the pre-roll) just decodes forward.
NEAR_SECONDS = 1.0
# How many times a seek that lands after the wanted pre-roll point is retried further back.
SEEK_ATTEMPTS = 3


def preroll(codec: str) -> int | None:
    """Samples a seek must decode and drop before its target, or None: no seek is exact.

    ``codec`` is FFmpeg's canonical codec name.

    Examples
    --------
    >>> preroll("flac"), preroll("pcm_s16le"), preroll("mp3"), preroll("aac")
    (0, 0, 36864, None)
    """
    frames = SEEKABLE_CODECS.get(codec)
    if frames is None and codec.startswith("pcm_"):
        return 0
    return frames


def exact_timestamps(
    demuxer: str, codec: str, time_base: Fraction | None, sample_rate: int
) -> bool:
    """Whether the ``demuxer``'s timestamps after a seek count samples of ``codec`` exactly.

    ``demuxer`` is the first of FFmpeg's names for the input format (``"mov"`` for MP4 and
    QuickTime). Each tick of ``time_base`` must also be a whole fraction 1/n of a sample, or
    timestamps are rounded.

    Examples
    --------
    >>> from fractions import Fraction
    >>> exact_timestamps("mov", "alac", Fraction(1, 44100), 44100)
    True
    >>> exact_timestamps("matroska", "flac", Fraction(1, 1000), 44100)
    False
    """
    codec_key = None if codec.startswith("pcm_") else codec
    return (
        codec_key in EXACT_SEEK_TIMESTAMPS.get(demuxer, ())
        and time_base is not None
        and time_base > 0
        and (time_base.denominator % (time_base.numerator * sample_rate)) == 0
    )


@dataclass(frozen=True, slots=True)
class SampleClock:
    """A stream's timestamps as sample indices: ``pts * num / den == index + base``.

    ``num`` and ``den`` come from the time base and the sample rate; ``base`` is the index
    the first decoded frame's timestamp gives (not always 0: encoder delay, edit lists).

    Examples
    --------
    >>> from fractions import Fraction
    >>> clock = SampleClock.start(Fraction(1, 88200), 44100, first_pts=4224)
    >>> clock.base, clock.index(6224), clock.pts(1000)
    (2112, 1000, 6224)
    >>> clock.index(6225) is None  # half a sample: not a sample index
    True
    """

    num: int
    den: int
    base: int

    @classmethod
    def start(cls, time_base: Fraction, sample_rate: int, first_pts: int) -> SampleClock | None:
        """The clock that makes ``first_pts`` index 0, or None if it is not a whole sample."""
        num, den = time_base.numerator * sample_rate, time_base.denominator
        base, rem = divmod(first_pts * num, den)
        return cls(num, den, int(base)) if rem == 0 else None

    def index(self, pts: int) -> int | None:
        """The sample index of timestamp ``pts``, or None if it falls between samples."""
        index, rem = divmod(pts * self.num, self.den)
        return None if rem else int(index) - self.base

    def pts(self, index: int) -> int:
        """The timestamp of sample ``index``, rounded down to a whole tick."""
        return (index + self.base) * self.den // self.num
