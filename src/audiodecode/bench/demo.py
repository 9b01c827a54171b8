"""The demo corpus ``audiodecode bench`` generates when it is given no paths."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .synth import DEMO_KINDS, seed_int, seeded_rng, voiced, write

if TYPE_CHECKING:
    import os
    from collections.abc import Callable

    import numpy as np


#: Size of the demo corpus ``audiodecode bench`` writes when it is given no paths: enough
#: files for a stable median per format, few enough that the whole command costs about 30 s
#: of CPU time (librosa 0.x reads each M4A clip through a separate ffmpeg process; the
#: cold-start and peak-memory child processes, librosa's above all, take half of it).
DEMO_CLIPS_PER_FORMAT = 3
DEMO_LONG_SECONDS = 20.0


# Demo groups of speech clips: group -> (kind, rate, channels). Mono 48 kHz WAV is what
# RAVDESS-like speech sets hold; the compressed groups are what music/podcast sets hold.
_DEMO_CLIPS: dict[str, tuple[str, int, int]] = {
    "wav_speech": ("wav_pcm16", 48000, 1),
    "flac": ("flac_16", 44100, 2),
    "mp3": ("mp3", 44100, 2),
    "ogg_vorbis": ("ogg_vorbis", 44100, 2),
    "ogg_opus": ("ogg_opus", 48000, 2),
    "m4a_aac": ("m4a_aac", 44100, 2),
}


def make_demo_corpus(
    folder: str | os.PathLike[str],
    *,
    clips_per_format: int = DEMO_CLIPS_PER_FORMAT,
    long_seconds: float = DEMO_LONG_SECONDS,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, list[Path]]:
    """Write the folder ``audiodecode bench`` uses when given no paths.

    Groups (one sub-folder each):

    * ``wav_speech`` -- speech-length clips (2-3 s of :func:`voiced`), 48 kHz mono 16-bit WAV,
      like RAVDESS;
    * ``flac``, ``mp3``, ``ogg_vorbis``, ``m4a_aac`` -- the same kind of clips at 44.1 kHz
      stereo, ``ogg_opus`` at 48 kHz stereo (``m4a_aac`` only if PyAV has an AAC encoder);
    * ``wav_long`` -- one 44.1 kHz stereo 16-bit WAV of ``long_seconds`` (:func:`signal`).

    Parameters
    ----------
    folder
        Created if missing.
    clips_per_format
        Clips in each speech group.
    long_seconds
        Length of the long WAV.
    seed
        Base seed; clip ``i`` of every group uses the same voice (``seed``, ``i``).
    progress
        Called with the name of each group before it is written (the command line prints
        it: encoding takes seconds).

    Returns
    -------
    dict
        Group name -> list of paths.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     groups = make_demo_corpus(d, clips_per_format=1, long_seconds=1.0)
    ...     [len(v) for v in groups.values()][:2]
    [1, 1]
    """
    folder = Path(folder)
    groups: dict[str, list[Path]] = {}
    # Four groups share 44.1 kHz stereo: synthesise each clip once, not once per group.
    clips: dict[tuple[int, int, int], np.ndarray] = {}
    for group, (kind, rate, channels) in _DEMO_CLIPS.items():
        if progress is not None:
            progress(group)
        sub = folder / group
        sub.mkdir(parents=True, exist_ok=True)
        paths = []
        for i in range(clips_per_format):
            if (i, rate, channels) not in clips:
                seconds = 2.0 + float(seeded_rng([seed, i, 5]).uniform(0.0, 1.0))
                clips[i, rate, channels] = voiced(
                    round(seconds * rate), channels, sample_rate=rate, seed=seed_int([seed, i])
                )
            data = clips[i, rate, channels]
            path = sub / f"clip_{i:03d}{DEMO_KINDS[kind].extension}"
            paths.append(write(path, kind, sample_rate=rate, data=data))
        groups[group] = paths
    if progress is not None:
        progress("wav_long")
    sub = folder / "wav_long"
    sub.mkdir(parents=True, exist_ok=True)
    groups["wav_long"] = [
        write(sub / "long.wav", "wav_pcm16", sample_rate=44100, channels=2,
              seconds=long_seconds, seed=seed)
    ]
    return groups

