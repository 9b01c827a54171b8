"""``offset``/``duration`` in seconds -> frames, with librosa's own arithmetic.

librosa converts with ``int(seconds * sr_native)`` (truncation toward zero), counts a
negative ``offset`` back from the end (``seek(-int(abs(offset) * sr), SEEK_END)``), reads to
the end when ``duration`` is ``None`` (or negative, as ``SoundFile.read`` does), and - in
``load`` but not in ``stream`` - does not seek at all when ``offset == 0``, which matters for
libsndfile's MP3 decoder.
"""

from __future__ import annotations

import math


def check_span(offset: float, duration: float | None) -> None:
    """Raise ``ValueError`` for an offset or duration no file could satisfy."""
    if not math.isfinite(offset):
        msg = f"offset={offset} must be a finite number of seconds"
        raise ValueError(msg)
    if duration is not None and math.isnan(duration):
        msg = f"duration={duration} must be a number of seconds or None"
        raise ValueError(msg)


def resolve_span(
    offset: float,
    duration: float | None,
    sample_rate: float,
    frames: int,
    *,
    seek_at_zero: bool = False,
) -> tuple[int | None, int]:
    """Return ``(start_frame, n_frames)``, for an ``offset`` and ``duration`` that
    :func:`check_span` accepts (``LoadOptions.checked`` has checked them).

    ``start_frame`` is ``None`` when librosa would not seek (``offset == 0`` and not
    ``seek_at_zero``). ``n_frames`` is ``-1`` for "to the end", else the number of frames
    requested (possibly past the end: the reader stops there).

    Raises
    ------
    ValueError
        ``offset`` points before the start or past the end of the audio.

    Examples
    --------
    >>> resolve_span(1.5, 2.0, 16000, 80000)
    (24000, 32000)
    >>> resolve_span(-1.0, None, 16000, 80000)
    (64000, -1)
    >>> resolve_span(0.0, None, 16000, 80000)
    (None, -1)
    """
    start: int | None
    if offset > 0:
        start = int(offset * sample_rate)
    elif offset < 0:
        start = frames - int(abs(offset) * sample_rate)
    else:
        start = 0 if seek_at_zero else None
    if start is not None and not 0 <= start <= frames:
        length = frames / sample_rate
        msg = f"offset={offset} s is outside the audio, which lasts {length:.6g} s"
        raise ValueError(msg)
    if duration is None or duration == math.inf:
        n_frames = -1
    else:
        n_frames = max(-1, int(duration * sample_rate))
    return start, n_frames
