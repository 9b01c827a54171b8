"""The timed, interleaved loop, the warm-ups and the parity checks."""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import statistics
import tempfile
import time
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .children import cold_start as measure_cold_start
from .children import peak_memory as measure_peak_memory
from .loaders import (
    LOADER_NAMES,
    LOADERS,
    Loader,
    LoaderStatus,
    LoadFunction,
    describe_error,
    package_version,
    resolve_loaders,
)
from .progress import Progress
from .results import (
    ColdStartSpec,
    FileResult,
    GroupResult,
    LoaderResult,
    MemorySpec,
    Parity,
    Report,
    machine_info,
)
from .runs import FileRun

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from .discovery import Group


@dataclass
class _Call:
    ms: float
    y: Any = None
    sr: float | None = None
    error: str = ""
    warning: str = ""  # the first one
    notices: tuple[str, ...] = ()  # every warning, first lines


def _call(function: LoadFunction, path: str, sr: float | None, mono: bool,
          record_warnings: bool) -> _Call:
    # Warnings are caught for every loader alike, outside the timed region: librosa 0.11
    # warns on every file it hands to audioread, and pytest may turn warnings into errors.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always" if record_warnings else "ignore")
        start = time.perf_counter_ns()
        try:
            y, sr_out = function(path, sr, mono)
        except Exception as exc:  # noqa: BLE001 - a loader failing is a result, not a crash
            # The file's name is enough in a table; temporary folders make paths long.
            error = describe_error(exc).replace(path, os.path.basename(path))
            return _Call((time.perf_counter_ns() - start) / 1e6, error=error)
        elapsed = (time.perf_counter_ns() - start) / 1e6
    # Deprecation notices are about code (librosa 0.11 importing aifc), not about the file.
    notices = [w for w in caught if not issubclass(w.category, DeprecationWarning)]
    lines = tuple((str(w.message).strip().splitlines() or [""])[0] for w in notices)
    return _Call(elapsed, y, sr_out, warning=lines[0] if lines else "", notices=lines)


def _compare(y: Any, sr: float | None, ref: Any, ref_sr: float | None) -> dict[str, Any]:
    same_shape = np.shape(y) == np.shape(ref)
    result: dict[str, Any] = {
        # Bytes, not np.array_equal, which calls -0.0 and +0.0 (and every NaN) equal.
        "identical": bool(same_shape and y.dtype == ref.dtype and sr == ref_sr
                          and y.tobytes() == ref.tobytes()),
        "same_shape": same_shape,
        "max_abs_diff": None,
        "correlation": None,
    }
    if same_shape and np.size(y):
        a, b = np.asarray(y, np.float64).ravel(), np.asarray(ref, np.float64).ravel()
        result["max_abs_diff"] = float(np.max(np.abs(a - b)))
        if np.std(a) > 0 and np.std(b) > 0:
            result["correlation"] = float(np.corrcoef(a, b)[0, 1])
    return result


#: What librosa 0.x warns when soundfile cannot read a file and it hands it to audioread.
_AUDIOREAD_FALLBACK = "audioread"
#: audioread's backends (``audioread.available_backends()``), in words.
_AUDIOREAD_BACKENDS = {
    "RawAudioFile": "Python's wave/aifc modules",
    "FFmpegAudioFile": "the ffmpeg command-line tool",
    "GstAudioFile": "GStreamer",
    "MadAudioFile": "pymad",
    "MacAudioFile": "Core Audio",
}


def _librosa_route(path: str) -> str:
    """Which audioread backend opens ``path``: the decoder behind librosa 0.x's fallback."""
    try:
        # librosa 0.x's dependency; untyped, and librosa 1.x does without it.
        audioread = importlib.import_module("audioread")
        with audioread.audio_open(path) as decoder:
            name = type(decoder).__name__
    except Exception:  # noqa: BLE001 - librosa read it, so audioread did; the name is a nicety
        return "audioread"
    return f"audioread ({_AUDIOREAD_BACKENDS.get(name, name)})"


def benchmark(
    groups: Sequence[Group],
    *,
    loaders: Sequence[Loader] | None = None,
    iterations: int = 5,
    cold_start: ColdStartSpec | None = None,
    memory: MemorySpec | None = None,
    progress: bool = False,
    statuses: Sequence[LoaderStatus] = (),
    skipped: Sequence[dict[str, str]] = (),
) -> Report:
    """Time every loader on every group, check parity with librosa, and measure the children.

    Parameters
    ----------
    groups : sequence of Group
        What to load, and with which ``sr``/``mono``.
    loaders : sequence of Loader, optional
        From :func:`resolve_loaders`; by default every installed one. audiodecode must be
        among them: speedups and readability are relative to it.
    iterations : int > 0
        Timed loads of each file by each loader, after one untimed warm-up load.
    cold_start, memory : ColdStartSpec, MemorySpec, optional
        The child-process measurements; skipped when ``None``.
    progress : bool
        Show a progress bar on stderr (when rich is installed).
    statuses, skipped
        Passed through to the report (loader availability; files that are not audio).

    Returns
    -------
    Report

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> from audiodecode.bench import Group
    >>> sf.write("x.wav", np.random.default_rng(0).uniform(-1, 1, 8000), 8000, subtype="PCM_16")
    >>> loaders, statuses = resolve_loaders(["soundfile"])
    >>> report = benchmark([Group.from_paths("x", ["x.wav"])], loaders=loaders, iterations=1)
    >>> sorted(report.groups[0].loaders)
    ['audiodecode', 'soundfile']
    """
    if iterations < 1:
        msg = f"iterations={iterations} must be a positive integer"
        raise ValueError(msg)
    if loaders is None:
        loaders, statuses = resolve_loaders()
    if not any(loader.name == "audiodecode" for loader in loaders):
        msg = "the audiodecode loader must be among the loaders"
        raise ValueError(msg)
    loaders = sorted(loaders, key=lambda loader: LOADER_NAMES.index(loader.name))
    with _warm_cache_folder(loaders):
        return _benchmark(groups, loaders, iterations, cold_start, memory, progress, statuses,
                          skipped)


@contextlib.contextmanager
def _warm_cache_folder(loaders: Sequence[Loader]) -> Iterator[None]:
    """A private cache folder for ``audiodecode_cached``, named in the environment so that
    its cold-start and peak-memory children find the entries the warm-up wrote."""
    if not any(loader.name == "audiodecode_cached" for loader in loaders):
        yield
        return
    previous = os.environ.get(_CACHE_VARIABLE)
    with tempfile.TemporaryDirectory(prefix="audiodecode-bench-cache-") as folder:
        os.environ[_CACHE_VARIABLE] = folder
        try:
            yield
        finally:
            if previous is None:
                del os.environ[_CACHE_VARIABLE]
            else:
                os.environ[_CACHE_VARIABLE] = previous


_CACHE_VARIABLE = "AUDIODECODE_BENCH_CACHE_DIR"


def _benchmark(
    groups: Sequence[Group], loaders: list[Loader], iterations: int,
    cold_start: ColdStartSpec | None, memory: MemorySpec | None, progress: bool,
    statuses: Sequence[LoaderStatus], skipped: Sequence[dict[str, str]],
) -> Report:
    runs = [[FileRun(e, g.name, [lo for lo in loaders if lo.applies_to(e.info)])
             for e in g.files] for g in groups]
    n_calls = sum(len(r.loaders) for file_runs in runs for r in file_runs)
    n_children = n_stages = 0
    if cold_start is not None:
        n_children += cold_start.repeats * (len(loaders) + 1)
        n_stages += 1
    if memory is not None:
        n_children += len(memory.settings) * len(loaders)
        n_stages += 1
    n_stages += len(groups) + iterations
    unreadable: list[dict[str, Any]] = []
    routes: dict[str, str] = {}
    with Progress(n_calls * (iterations + 1) + n_children, n_stages, progress) as bar:
        for group, file_runs in zip(groups, runs, strict=True):
            bar.stage(f"{group.name}: first load by each loader, compared with librosa's")
            for run in file_runs:
                _warm_up(run, group, bar, routes)
                if "audiodecode" in run.errors:
                    unreadable.append({
                        "path": run.entry.path,
                        "error": run.errors["audiodecode"],
                        "readable_by": [lo.name for lo in run.readers()],
                    })
                    bar.advance(len(run.loaders) * iterations)
        timed = [(group, run) for group, file_runs in zip(groups, runs, strict=True)
                 for run in file_runs if "audiodecode" not in run.errors]
        _timed_iterations(timed, iterations, bar)
        group_results = [_summarise(g, [r for r in rs if "audiodecode" not in r.errors])
                         for g, rs in zip(groups, runs, strict=True)]
        readable = [run for _, run in timed]
        cold = memory_result = None
        if cold_start is not None and readable:
            bar.stage(f"cold starts: a fresh Python process per load, {cold_start.repeats} "
                      f"round(s)")
            cold = measure_cold_start(cold_start, loaders, readable, bar)
        if memory is not None and readable:
            bar.stage("peak memory: a fresh Python process per load")
            memory_result = measure_peak_memory(memory, loaders, readable, bar)
    settings = {
        "iterations": iterations,
        "cold_start_repeats": cold_start.repeats if cold_start is not None else 0,
        "audiodecode": package_version("audiodecode"),
    }
    return Report(settings, machine_info(), list(statuses), [g for g in group_results if g.files],
                  cold, memory_result, unreadable, list(skipped))


def _warm_up(run: FileRun, group: Group, bar: Progress, routes: dict[str, str]) -> None:
    # librosa first: its output is the reference each later output is compared with, and
    # only one output besides it is alive at a time (they can be hundreds of MiB each).
    order = sorted(run.loaders, key=lambda loader: loader.name != "librosa")
    reference: _Call | None = None
    for loader in order:
        bar.detail(f"{loader.name}, {os.path.basename(run.entry.path)}")
        call = _call(loader.function, run.entry.path, group.sr, group.mono, record_warnings=True)
        bar.advance()
        if call.warning:
            run.warnings[loader.name] = call.warning
        if loader.name == "librosa" and not call.error and any(
                _AUDIOREAD_FALLBACK in notice for notice in call.notices):
            if group.name not in routes:  # one codec, one route: ask audioread once a group
                routes[group.name] = _librosa_route(run.entry.path)
            run.librosa_route = routes[group.name]
        if call.error:
            run.errors[loader.name] = call.error
            continue  # audiodecode failing too: the others' outcome goes in the bug report
        if loader.name == "librosa":
            reference = call
        elif reference is not None:
            run.parity[loader.name] = _compare(call.y, call.sr, reference.y, reference.sr)
        run.times[loader.name] = []


def _timed_iterations(timed: list[tuple[Group, FileRun]], iterations: int,
                      bar: Progress) -> None:
    # Interleaved by passes: in every iteration each loader in turn loads all the files of a
    # group, the order of the loaders rotating from one iteration (and group) to the next,
    # so machine noise still hits every loader alike. Interleaving file by file instead lets
    # each loader inherit the caches the previous one left: after PyAV's per-frame Python
    # loop a 0.1 ms WAV load took 0.2 ms, which compressed every sub-millisecond ratio.
    by_group: dict[int, tuple[Group, list[FileRun]]] = {}
    for group, run in timed:
        by_group.setdefault(id(group), (group, []))[1].append(run)
    # Collections triggered inside a timed call would otherwise walk everything imported so
    # far (librosa brings scipy and numba); freezing that heap makes them cheap for all.
    gc.collect()
    gc.freeze()
    try:
        for iteration in range(iterations):
            bar.stage(f"timed loads, round {iteration + 1} of {iterations}")
            for index, (group, file_runs) in enumerate(by_group.values()):
                names = list(dict.fromkeys(lo.name for r in file_runs for lo in r.loaders))
                shift = (iteration + index) % len(names)
                for name in names[shift:] + names[:shift]:
                    bar.detail(f"{group.name}: {name}")
                    for run in file_runs:
                        loader = next((lo for lo in run.readers() if lo.name == name), None)
                        if loader is not None:
                            _timed_call(loader, run, group)
                        bar.advance(int(any(lo.name == name for lo in run.loaders)))
    finally:
        gc.unfreeze()


def _timed_call(loader: Loader, run: FileRun, group: Group) -> None:
    call = _call(loader.function, run.entry.path, group.sr, group.mono, record_warnings=False)
    call.y = None  # free the output before the next call
    if call.error:  # failed now, though it read the file in the warm-up
        run.errors[loader.name] = call.error
        run.times.pop(loader.name, None)
    elif loader.name in run.times:
        run.times[loader.name].append(call.ms)


def _summarise(group: Group, file_runs: list[FileRun]) -> GroupResult:
    names = [lo.name for lo in LOADERS if any(lo in r.loaders for r in file_runs)]
    per_file_median = [
        {name: statistics.median(t) for name, t in r.times.items() if t} for r in file_runs
    ]
    results = {}
    for name in names:
        applicable = [i for i, r in enumerate(file_runs) if any(lo.name == name for lo in r.loaders)]
        read = [i for i in applicable if name in per_file_median[i]]
        both = [i for i in read if "audiodecode" in per_file_median[i]]
        median_ms = statistics.median(per_file_median[i][name] for i in read) if read else None
        speedup = None
        if both and name != "audiodecode":
            ours = statistics.median(per_file_median[i]["audiodecode"] for i in both)
            speedup = statistics.median(per_file_median[i][name] for i in both) / ours
        errors = [file_runs[i].errors[name] for i in applicable if name in file_runs[i].errors]
        warned = [file_runs[i].warnings[name] for i in applicable
                  if name in file_runs[i].warnings]
        results[name] = LoaderResult(
            files_read=len(read), files_failed=len(applicable) - len(read), median_ms=median_ms,
            speedup=speedup, parity=_parity([file_runs[i].parity.get(name) for i in read]),
            error=errors[0] if errors else "", warning=warned[0] if warned else "",
        )
    return GroupResult(
        name=group.name, sr=group.sr, mono=group.mono, files=len(file_runs),
        audio_seconds=sum(r.entry.seconds for r in file_runs),
        sample_rates=sorted({r.entry.info.sample_rate for r in file_runs if r.entry.info}),
        durations=[r.entry.seconds for r in file_runs],
        librosa_route="; ".join(sorted({r.librosa_route for r in file_runs if r.librosa_route})),
        loaders=results,
        per_file=[FileResult(r.entry.path, r.entry.seconds, dict(r.times), dict(r.errors))
                  for r in file_runs],
    )


def _parity(comparisons: list[dict[str, Any] | None]) -> Parity | None:
    done = [c for c in comparisons if c is not None]
    if not done:
        return None
    diffs = [c["max_abs_diff"] for c in done if c["max_abs_diff"] is not None]
    correlations = [c["correlation"] for c in done if c["correlation"] is not None]
    return Parity(
        files=len(done), identical=sum(c["identical"] for c in done),
        max_abs_diff=max(diffs) if diffs else None,
        min_correlation=min(correlations) if correlations else None,
        length_mismatches=sum(not c["same_shape"] for c in done),
    )
