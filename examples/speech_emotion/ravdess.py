"""A RAVDESS-shaped speech-emotion folder, generated: the example's data set.

RAVDESS (the Ryerson Audio-Visual Database of Emotional Speech and Song) names each of its
1,440 speech clips ``03-01-EE-II-SS-RR-AA.wav`` (modality, vocal channel, emotion, intensity,
statement, repetition, actor); the classic feature pipelines parse the emotion from the name.
:func:`make_ravdess_folder` writes clips with those names and voiced, emotion-shaped synthetic
speech (48 kHz mono 16-bit WAV), so the example and the benchmarks run anywhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from audiodecode.bench.synth import seed_int, seeded_rng, voiced, write

if TYPE_CHECKING:
    import os

#: RAVDESS emotion codes.
RAVDESS_EMOTIONS = {
    1: "neutral",
    2: "calm",
    3: "happy",
    4: "sad",
    5: "angry",
    6: "fearful",
    7: "disgust",
    8: "surprised",
}

# How each emotion sounds in the synthetic voice: pitch range relative to the speaker's base
# (low, high), syllables per second, level. Loosely after the prosody literature (anger and
# happiness high and fast, sadness low and slow), so an emotion classifier trained on the
# synthetic folder has something real to learn.
_EMOTION_PROSODY: dict[int, tuple[float, float, float, float]] = {
    1: (0.95, 1.25, 4.0, 0.35),
    2: (0.90, 1.15, 3.2, 0.28),
    3: (1.10, 1.90, 5.0, 0.55),
    4: (0.85, 1.05, 2.8, 0.22),
    5: (1.05, 1.80, 5.5, 0.80),
    6: (1.30, 2.10, 5.8, 0.45),
    7: (0.90, 1.30, 3.5, 0.45),
    8: (1.25, 2.30, 4.5, 0.60),
}


def ravdess_name(
    actor: int,
    emotion: int,
    statement: int,
    repetition: int,
    intensity: int = 1,
    *,
    modality: int = 3,
    vocal_channel: int = 1,
) -> str:
    """A RAVDESS file name: ``MM-VV-EE-II-SS-RR-AA.wav``.

    Fields: modality (03 audio-only), vocal channel (01 speech), emotion (01 neutral, 02 calm,
    03 happy, 04 sad, 05 angry, 06 fearful, 07 disgust, 08 surprised), intensity (01 normal,
    02 strong; neutral has no strong), statement (01 "Kids are talking by the door", 02 "Dogs
    are sitting by the door"), repetition (01/02), actor (01-24; odd male, even female).

    Examples
    --------
    >>> ravdess_name(actor=12, emotion=6, statement=2, repetition=1)
    '03-01-06-01-02-01-12.wav'
    """
    checks = {
        "actor": (actor, range(1, 25)),
        "emotion": (emotion, range(1, 9)),
        "statement": (statement, range(1, 3)),
        "repetition": (repetition, range(1, 3)),
        "intensity": (intensity, range(1, 3)),
    }
    for field, (value, allowed) in checks.items():
        if value not in allowed:
            msg = f"RAVDESS {field} must be in {allowed.start}..{allowed.stop - 1}, got {value}"
            raise ValueError(msg)
    if emotion == 1 and intensity == 2:
        msg = "RAVDESS has no strong-intensity neutral recordings"
        raise ValueError(msg)
    fields = (modality, vocal_channel, emotion, intensity, statement, repetition, actor)
    return "-".join(f"{f:02d}" for f in fields) + ".wav"


def parse_ravdess_name(name: str) -> dict[str, int]:
    """The fields of a RAVDESS file name (the inverse of :func:`ravdess_name`).

    Examples
    --------
    >>> parse_ravdess_name("03-01-06-01-02-01-12.wav")["emotion"]
    6
    """
    stem = Path(name).name.split(".")[0]
    keys = ("modality", "vocal_channel", "emotion", "intensity", "statement", "repetition", "actor")
    values = stem.split("-")
    if len(values) != len(keys) or not all(v.isdigit() for v in values):
        msg = f"not a RAVDESS file name: {name!r}"
        raise ValueError(msg)
    return dict(zip(keys, map(int, values), strict=True))


def _ravdess_grid(seed: int) -> list[tuple[int, int, int, int, int]]:
    # Every (actor, emotion, statement, repetition, intensity) RAVDESS has (1440), shuffled
    # within each emotion and dealt round-robin, so any prefix is balanced across emotions.
    rng = seeded_rng([seed, 6])
    by_emotion = []
    for emotion in range(1, 9):
        intensities = (1,) if emotion == 1 else (1, 2)
        combos = [
            (actor, emotion, statement, repetition, intensity)
            for actor in range(1, 25)
            for intensity in intensities
            for statement in (1, 2)
            for repetition in (1, 2)
        ]
        order = rng.permutation(len(combos))
        by_emotion.append([combos[i] for i in order])
    grid: list[tuple[int, int, int, int, int]] = []
    for i in range(max(len(g) for g in by_emotion)):
        grid.extend(g[i] for g in by_emotion if i < len(g))
    return grid


def make_ravdess_folder(
    folder: str | os.PathLike[str],
    n_files: int = 48,
    *,
    seed: int = 0,
    actor_folders: bool = False,
) -> list[Path]:
    """Write a folder shaped like RAVDESS speech: synthetic voices under RAVDESS names.

    Each file is 48 kHz mono 16-bit WAV, 2 to 4 s of :func:`voiced` audio whose pitch, tempo
    and loudness depend on the emotion code (and the pitch on the actor: even actors are
    female in RAVDESS, so their voices are higher), so an emotion classifier can learn from it.
    The files cover the emotions evenly (``n_files=8`` gives one of each).

    Parameters
    ----------
    folder
        Created if missing.
    n_files
        How many files, at most 1440 (the size of the real grid).
    seed
        Chooses which (actor, emotion, ...) combinations, and seeds each voice.
    actor_folders
        Put each file in ``Actor_AA/`` as the real download does, instead of directly in
        ``folder``.

    Returns
    -------
    list of pathlib.Path
        The files, in writing order.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     paths = make_ravdess_folder(d, n_files=2)
    ...     [p.name[6:8] for p in paths]  # emotion codes
    ['01', '02']
    """
    grid = _ravdess_grid(seed)
    if not 0 <= n_files <= len(grid):
        msg = f"n_files must be in 0..{len(grid)}, got {n_files}"
        raise ValueError(msg)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rate = 48000
    paths = []
    for actor, emotion, statement, repetition, intensity in grid[:n_files]:
        name = ravdess_name(actor, emotion, statement, repetition, intensity)
        file_seed = seed_int([seed, actor, emotion, statement, repetition, intensity])
        rng = seeded_rng([file_seed, 7])
        low, high, tempo, level = _EMOTION_PROSODY[emotion]
        base = (165.0 if actor % 2 == 0 else 100.0) * rng.uniform(0.9, 1.1)
        strong = intensity == 2
        seconds = float(rng.uniform(2.0, 4.0))
        data = voiced(
            round(seconds * rate),
            1,
            sample_rate=rate,
            seed=file_seed,
            pitch=(base * low, base * high * (1.15 if strong else 1.0)),
            syllables_per_second=tempo * (1.1 if strong else 1.0),
            level=min(0.95, level * (1.3 if strong else 1.0)),
        )
        target = folder / f"Actor_{actor:02d}" if actor_folders else folder
        target.mkdir(parents=True, exist_ok=True)
        paths.append(write(target / name, "wav_pcm16", sample_rate=rate, data=data))
    return paths
