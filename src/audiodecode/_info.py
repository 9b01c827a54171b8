"""``AudioInfo``: what the container says about the audio, read without decoding it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AudioInfo:
    """Stream properties from the file's header and container metadata.

    Examples
    --------
    >>> import numpy as np, soundfile as sf, audiodecode
    >>> sf.write("tone.wav", np.zeros((48000, 2), dtype="int16"), 48000, subtype="PCM_16")
    >>> info = audiodecode.info("tone.wav")
    >>> info.sample_rate, info.channels, info.frames, info.duration, info.bits_per_sample
    (48000, 2, 48000, 1.0, 16)
    """

    sample_rate: int
    """Native sampling rate in Hz, as the decoder that ``load`` uses reports it."""
    channels: int
    """Number of channels."""
    frames: int
    """Frames (samples per channel) at ``sample_rate``; an estimate if not ``frames_exact``."""
    format: str
    """Container: ``"wav"``, ``"flac"``, ``"ogg"``, ``"mp3"``, ``"mp4"``, ``"matroska"``..."""
    codec: str
    """Codec: ``"pcm_s16le"``, ``"flac"``, ``"vorbis"``, ``"mp3"``, ``"aac"``..."""
    bits_per_sample: int | None = None
    """Bits per stored sample for PCM-like codecs; ``None`` for lossy ones."""
    frames_exact: bool = True
    """False when ``frames`` comes from container timestamps rather than an exact count."""
    backend: str = ""
    """The backend ``load`` uses for this file: ``"wav"``, ``"sndfile"`` or ``"pyav"``."""

    @property
    def duration(self) -> float:
        """Length in seconds: ``frames / sample_rate``, the same division soundfile makes."""
        return float(self.frames) / self.sample_rate
