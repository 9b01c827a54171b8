"""``compare_backends``: time ``librosa.load`` against :func:`audiodecode.load` on one file.

A check a user runs before switching (``from audiodecode.bench import compare_backends``
still works). It never imports :mod:`audiodecode.compat`: librosa's own ``load`` is found
behind the patch's wrapper (``audiodecode._load.original``).
"""

from __future__ import annotations

import math
import os
import statistics
import time
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _load, info, load
from .._load import BACKEND_ENV, original

if TYPE_CHECKING:
    from collections.abc import Callable

    from .._source import AudioSource



@dataclass(frozen=True)
class BackendComparison:
    """Timings and agreement of ``librosa.load`` and :func:`audiodecode.load` on one file.

    Times are medians over the timed iterations, in seconds, per call.
    """

    path: str
    sr: float | None
    iterations: int
    #: Median seconds per ``audiodecode.load`` call.
    audiodecode_seconds: float
    #: The decoder audiodecode used: ``"wav"``, ``"sndfile"`` or ``"pyav"``.
    audiodecode_backend: str
    #: Samples per channel audiodecode returned.
    audiodecode_length: int
    #: Median seconds per ``librosa.load`` call; None when librosa cannot read the file.
    librosa_seconds: float | None
    #: Samples per channel librosa returned; None when it cannot read the file.
    librosa_length: int | None
    #: Same values, shape and dtype; None when librosa cannot read the file.
    identical: bool | None
    #: Largest absolute difference over the samples both returned.
    max_abs_diff: float | None
    #: Pearson correlation over the samples both returned (nan for constant signals).
    correlation: float | None
    #: Why librosa failed (``"LibsndfileError: ..."``), or None.
    librosa_error: str | None = None
    #: Warnings librosa gave on the way (0.11's fallback to audioread, for one).
    librosa_warnings: tuple[str, ...] = ()
    audiodecode_times: tuple[float, ...] = ()
    librosa_times: tuple[float, ...] = ()

    @property
    def speedup(self) -> float | None:
        """librosa's time over audiodecode's; None when librosa cannot read the file."""
        if self.librosa_seconds is None:
            return None
        return self.librosa_seconds / self.audiodecode_seconds

    def report(self) -> str:
        """The comparison as a few readable lines (what :func:`compare_backends` prints)."""
        rate = "native rate" if self.sr is None else f"sr={self.sr:g}"
        lines = [f"{self.path} ({rate}, median of {self.iterations} calls each)"]
        if self.librosa_seconds is None:
            lines.append(f"  librosa.load      cannot read it: {self.librosa_error}")
        else:
            lines.append(f"  librosa.load      {_ms(self.librosa_seconds)}")
        lines.append(
            f"  audiodecode.load  {_ms(self.audiodecode_seconds)}  "
            f"(backend: {self.audiodecode_backend})"
        )
        if self.speedup is not None:
            lines.append(f"  speedup           {self.speedup:.1f}x")
            verdict = "yes" if self.identical else "NO"
            lines.append(f"  identical arrays  {verdict}")
            lines.append(f"  max |difference|  {self.max_abs_diff:.3g}")
            lines.append(f"  correlation       {self.correlation:.9f}")
            lines.append(
                f"  length            {self.librosa_length} (librosa), "
                f"{self.audiodecode_length} (audiodecode) samples"
            )
        else:
            lines.append(f"  length            {self.audiodecode_length} samples (audiodecode)")
        lines.extend(f"  librosa warned    {message}" for message in self.librosa_warnings)
        if _load.ROLLED_BACK:
            lines.append(f"  note              {BACKEND_ENV}=librosa: audiodecode.load is librosa's")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:9.2f} ms"


def compare_backends(
    path: AudioSource, iterations: int = 5, sr: float | None = None, **load_kwargs: Any
) -> BackendComparison:
    """Time ``librosa.load`` against :func:`audiodecode.load` on one file and compare the arrays.

    Each function is called once to warm up (imports, caches), then ``iterations`` times,
    interleaved (alternating which goes first) so that both see the same machine state.
    Prints a short report and returns the same figures. librosa's own ``load`` is used even
    while librosa is patched. Where librosa cannot read the file the report says so and still
    gives audiodecode's time.

    Parameters
    ----------
    path : str, os.PathLike or bytes
        The file (anything both functions accept, read afresh on every call).
    iterations : int > 0
        Timed calls of each function.
    sr : number > 0 or None
        Passed to both; ``None`` (the default here) keeps the native rate, so only decoding
        is timed. Pass ``sr=22050`` to include librosa's default resampling.
    **load_kwargs
        More arguments for both (``mono``, ``offset``, ``duration``, ``dtype``,
        ``res_type``); ``backend`` goes to audiodecode only.

    Returns
    -------
    BackendComparison

    Raises
    ------
    ImportError
        librosa is not installed.
    AudioDecodeError
        audiodecode cannot read the file.

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> sf.write("noise.flac", np.random.default_rng(0).uniform(-0.5, 0.5, 44100), 44100)
    >>> result = compare_backends("noise.flac", iterations=2)  # doctest: +ELLIPSIS
    noise.flac (native rate, median of 2 calls each)
      librosa.load ...
    >>> result.identical, result.audiodecode_backend
    (True, 'sndfile')
    """
    if not isinstance(iterations, int) or iterations < 1:
        msg = f"iterations={iterations!r} must be a positive integer"
        raise ValueError(msg)
    backend = load_kwargs.pop("backend", None)
    librosa_load = original("load")

    def run_audiodecode() -> np.ndarray:
        y, _ = load(path, sr=sr, backend=backend, **load_kwargs)
        return y

    def run_librosa() -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # recorded once, during the warm-up
            y: np.ndarray = librosa_load(path, sr=sr, **load_kwargs)[0]
        return y

    y_audiodecode = run_audiodecode()
    y_librosa, librosa_error, librosa_warnings = _warm_up_librosa(
        librosa_load, path, sr, load_kwargs
    )
    times: dict[str, list[float]] = {"audiodecode": [], "librosa": []}
    runners = [("audiodecode", run_audiodecode)]
    if y_librosa is not None:
        runners.append(("librosa", run_librosa))
    for i in range(iterations):
        for label, run in runners if i % 2 == 0 else runners[::-1]:
            start = time.perf_counter()
            run()
            times[label].append(time.perf_counter() - start)

    comparison = BackendComparison(
        path=_display_name(path),
        sr=sr,
        iterations=iterations,
        audiodecode_seconds=statistics.median(times["audiodecode"]),
        audiodecode_backend=info(path, backend=backend).backend,
        audiodecode_length=int(y_audiodecode.shape[-1]),
        librosa_seconds=statistics.median(times["librosa"]) if times["librosa"] else None,
        librosa_length=None if y_librosa is None else int(y_librosa.shape[-1]),
        librosa_error=librosa_error,
        librosa_warnings=librosa_warnings,
        audiodecode_times=tuple(times["audiodecode"]),
        librosa_times=tuple(times["librosa"]),
        **_agreement(y_librosa, y_audiodecode),
    )
    print(comparison.report())
    return comparison


def _display_name(path: Any) -> str:
    if isinstance(path, (str, os.PathLike)):
        return os.fsdecode(path)
    return f"<{type(path).__name__}>"


def _warm_up_librosa(
    librosa_load: Callable[..., Any], path: Any, sr: float | None, load_kwargs: dict[str, Any]
) -> tuple[np.ndarray | None, str | None, tuple[str, ...]]:
    """librosa's array (or why it has none) and the warnings it gave."""
    y: np.ndarray | None = None
    error: str | None = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            y = librosa_load(path, sr=sr, **load_kwargs)[0]
        except Exception as exc:  # noqa: BLE001 - whatever librosa (or audioread) raises
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    # What librosa tells its users (UserWarning, FutureWarning), not the DeprecationWarnings
    # its dependencies raise while being imported.
    messages = tuple(dict.fromkeys(
        " ".join(str(w.message).split()) for w in caught
        if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning))
    ))
    return y, error, messages


def _agreement(expected: np.ndarray | None, actual: np.ndarray) -> dict[str, Any]:
    if expected is None:
        return {"identical": None, "max_abs_diff": None, "correlation": None}
    identical = (
        expected.shape == actual.shape
        and expected.dtype == actual.dtype
        and expected.tobytes() == actual.tobytes()  # np.array_equal calls -0.0 == +0.0
    )
    # Compare what both returned: the common length of the common channels.
    a = np.atleast_2d(expected)
    b = np.atleast_2d(actual)
    channels, n = min(len(a), len(b)), min(a.shape[-1], b.shape[-1])
    a = a[:channels, :n].astype(np.float64).ravel()
    b = b[:channels, :n].astype(np.float64).ravel()
    max_abs_diff = float(np.max(np.abs(a - b))) if a.size else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        correlation = float(np.corrcoef(a, b)[0, 1]) if a.size > 1 else math.nan
    return {"identical": identical, "max_abs_diff": max_abs_diff, "correlation": correlation}
