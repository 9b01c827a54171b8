"""Decode many files at once, on every core: :func:`load_batch` and its lazy twin :func:`imap`.

Both are thin layers over :func:`audiodecode.load`: each file is one ``load`` call (plus the
caller's ``transform``) run in a worker; nothing here decodes on its own.

Threads or processes
--------------------
The work runs in **threads** by default (``executor="thread"``); ``executor="process"`` is for
a ``transform`` that spends its time in pure Python. Why, in short (the figures, measured on
this project's 2-core machine, are in BENCHMARKS.md, "Batch loading"; the command that
reproduces them is ``benchmarks/bench_batch.py``):

* Decoding releases the GIL for most of its time: libsndfile (called through cffi), the numpy
  WAV path (file reads, dtype casts), FFmpeg (PyAV) and soxr's resampling (filter design
  included: ``audiodecode._libsoxr``) all run without it; only the Python around them holds
  it. Threads therefore decode in parallel, start at once, and hand the arrays back without
  copying them.
* A process pool pays for every clip it returns: pickling it in the worker, a pipe, and
  unpickling it in the parent cost more CPU than ``load`` itself for a speech clip, and the
  parent's half runs under its own GIL, so it caps a process pool's throughput too.
* A pure-Python ``transform`` holds the GIL throughout, so two of them never run at once in
  threads; in processes they do, and a small result (features, an embedding) is cheap to send
  back. numpy-heavy transforms release the GIL for most of their time and do well in threads.

Files go to the workers four at a time (one at a time towards the end of the input).
:func:`imap`'s calling thread takes each result as soon as it is ready; :func:`load_batch`'s
only collects, so it keeps more files in flight and sleeps until half of them are done, waking
a few times per hundred files rather than once per group.
"""

from __future__ import annotations

import collections
import concurrent.futures
import itertools
import os
import pickle
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ._api import load_with_options
from ._options import LoadOptions
from .errors import AudioDecodeError, DecodeTimeoutError, describe_failure

if TYPE_CHECKING:
    from typing_extensions import Self

    from ._source import AudioSource

__all__ = [
    "BatchIterator",
    "BatchResult",
    "Failure",
    "SkippedFilesWarning",
    "imap",
    "load_batch",
]

ExecutorKind = Literal["thread", "process"]
OnError = Literal["raise", "skip"]

_ON_ERROR = ("raise", "skip")
_EXECUTORS = ("thread", "process")


class SkippedFilesWarning(UserWarning):
    """Some files failed with ``on_error="skip"``; the message lists every one of them."""


@dataclass(frozen=True)
class Failure:
    """One file that could not be loaded (or transformed) with ``on_error="skip"``.

    Attributes
    ----------
    index : int
        Its position in the input, which is also the ``None`` slot in the results.
    path : str
        The input as a printable name (a path or URL; ``<bytes #i>`` for other inputs).
    reason : str
        Why it failed, e.g. ``"CorruptAudioError: truncated data chunk [wav]"``.
    exception : Exception
        The exception itself (its traceback dropped, so a long run's failures do not keep
        every worker frame alive).
    """

    index: int
    path: str
    reason: str
    exception: Exception

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class BatchResult(list):  # type: ignore[type-arg]
    """The list :func:`load_batch` returns: one entry per input path, in input order.

    With ``on_error="skip"``, a file that failed has ``None`` in its slot and a
    :class:`Failure` in :attr:`failures`; otherwise :attr:`failures` is empty.
    """

    failures: list[Failure]

    def __init__(self, items: Iterable[Any] = (), failures: Iterable[Failure] = ()) -> None:
        super().__init__(items)
        self.failures = list(failures)

    def __reduce__(self) -> tuple[Any, ...]:
        # list subclasses pickle their items but not their attributes by default.
        return (type(self), (list(self), self.failures))


class BatchIterator(Iterator[Any]):
    """The iterator :func:`imap` returns: results in input order, computed ahead of time.

    :attr:`failures` grows as skipped files are reached. Closing the iterator (``close()``,
    leaving a ``with`` block, or dropping the last reference) cancels the work still queued
    and waits for the files being decoded; a process pool it started is shut down.
    """

    failures: list[Failure]

    def __init__(self, generator: Iterator[Any], failures: list[Failure]) -> None:
        self._generator = generator
        self.failures = failures

    def __next__(self) -> Any:
        return next(self._generator)

    def close(self) -> None:
        """Stop: cancel what is queued and release the workers."""
        close = getattr(self._generator, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def load_batch(
    paths: Iterable[AudioSource],
    *,
    workers: int | None = None,
    executor: ExecutorKind | concurrent.futures.Executor = "thread",
    on_error: OnError = "raise",
    progress: bool = False,
    transform: Callable[[Any, float], Any] | None = None,
    timeout: float | None = None,
    **load_kwargs: Any,
) -> BatchResult:
    """Load many files in parallel; the results come back in input order.

    Each entry is what ``audiodecode.load(path, **load_kwargs)`` returns, ``(y, sr)``, or
    ``transform(y, sr)`` when a ``transform`` is given: the same arrays a loop over
    ``librosa.load`` gives, computed on every core.

    Parameters
    ----------
    paths : iterable of str, os.PathLike, URL, bytes or binary file-like
        What to load; anything :func:`audiodecode.load` accepts. URLs (``s3://``, ``gs://``,
        ``https://``, ``memory://``...) are read through fsspec.
    workers : int > 0 or None
        How many files to decode at once; ``None`` uses every core this process may run on.
        ``workers=1`` with threads decodes in the calling thread.
    executor : {"thread", "process"} or concurrent.futures.Executor
        Where the work runs. Threads suit decoding, which releases the GIL; processes suit a
        ``transform`` that runs pure-Python code (see the module docstring for the measurements).
        Pass your own ``Executor`` to reuse a pool across calls; ``workers`` then only sets how
        many files are queued ahead.
    on_error : {"raise", "skip"}
        ``"raise"``: the first failing file (in input order) cancels the work still queued and
        raises :class:`~audiodecode.AudioDecodeError` naming it. ``"skip"``: its slot holds
        ``None``, everything else finishes, and every failure (path and reason) is listed in
        one :class:`SkippedFilesWarning` and in the result's ``failures``.
    progress : bool
        Show a progress bar with files/s on stderr (needs tqdm, or rich).
    transform : callable ``(y, sr) -> object``, optional
        Run on each decoded clip inside the worker; its result replaces ``(y, sr)``. With
        processes it must pickle: a function defined at the top level of an importable module.
    timeout : float > 0 or None
        Seconds a file (its ``load`` and ``transform``) may take, counted from when the
        results before it are in: a file not done by then fails with
        :class:`~audiodecode.DecodeTimeoutError`, like any other failure (``on_error``
        decides). Its worker cannot be interrupted (the time is spent in C): a thread stays
        busy until the call returns, and its result is dropped; a process pool this call
        started is killed at the end. Files are then sent to the workers one at a time, and
        with one worker the work runs in a worker thread rather than the calling thread.
    **load_kwargs
        ``sr``, ``mono``, ``offset``, ``duration``, ``dtype``, ``res_type``, ``backend``,
        ``max_duration``: as in :func:`audiodecode.load`, the same for every file.

    Returns
    -------
    BatchResult
        A ``list`` with one entry per path, plus ``failures`` (a list of :class:`Failure`).

    Raises
    ------
    AudioDecodeError
        ``on_error="raise"`` and a file failed; the original exception (``FileNotFoundError``,
        the transform's own error...) is its ``__cause__`` unless it was an
        ``AudioDecodeError`` already.
    TypeError
        An unknown keyword, a ``transform`` that is not callable, or one that cannot be
        pickled when the workers are processes.
    ValueError
        A bad ``workers``, ``executor`` or ``on_error``, or a ``load`` argument out of range.
    ImportError
        ``progress=True`` without tqdm or rich installed.

    See Also
    --------
    imap : The same, as a lazy iterator in bounded memory.

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> for i in range(3):
    ...     sf.write(f"clip{i}.wav", np.random.default_rng(i).uniform(-0.5, 0.5, 48000), 48000)
    >>> results = load_batch([f"clip{i}.wav" for i in range(3)], sr=16000)
    >>> [(y.shape, sr) for y, sr in results]
    [((16000,), 16000), ((16000,), 16000), ((16000,), 16000)]
    >>> def rms(y, sr):
    ...     return round(float(np.sqrt(np.mean(y**2))), 2)
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", SkippedFilesWarning)
    ...     levels = load_batch(["clip0.wav", "missing.wav"], sr=None, transform=rms,
    ...                         on_error="skip")
    >>> levels, levels.failures[0].path
    ([0.29, None], 'missing.wav')
    """
    # The warning's frames: _run, BatchIterator.__next__, BatchResult.__init__, here, caller.
    with _start(
        paths,
        workers=workers,
        executor=executor,
        on_error=on_error,
        progress=progress,
        transform=transform,
        read_ahead=None,
        timeout=timeout,
        load_kwargs=load_kwargs,
        warn_stacklevel=5,
        eager=True,
    ) as iterator:
        results = BatchResult(iterator)
    results.failures = iterator.failures
    return results


def imap(
    paths: Iterable[AudioSource],
    *,
    workers: int | None = None,
    executor: ExecutorKind | concurrent.futures.Executor = "thread",
    on_error: OnError = "raise",
    progress: bool = False,
    transform: Callable[[Any, float], Any] | None = None,
    read_ahead: int | None = None,
    timeout: float | None = None,
    **load_kwargs: Any,
) -> BatchIterator:
    """Load many files in parallel, lazily: yield each result in input order as it is ready.

    ``paths`` is read only as far as the workers need, and at most ``read_ahead`` results are
    held at any time, so a manifest of a million paths streams in flat memory::

        with open("manifest.txt") as lines:
            for y, sr in imap((line.rstrip("\\n") for line in lines), sr=16000):
                ...

    Parameters
    ----------
    paths : iterable
        As in :func:`load_batch`; consumed lazily (a generator is fine).
    workers, executor, on_error, progress, transform, timeout, **load_kwargs
        As in :func:`load_batch`. With ``on_error="skip"`` the warning listing the failures
        is issued when the iterator is exhausted.
    read_ahead : int > 0 or None
        Files decoded (or queued) ahead of the one being consumed; ``None`` means
        ``8 * workers`` (workers take files four at a time). It bounds memory: at most this
        many decoded clips exist at once.

    Returns
    -------
    BatchIterator
        An iterator with a ``failures`` list and a ``close()`` method; also a context manager.

    Raises
    ------
    See :func:`load_batch`. Argument errors are raised here, before anything is decoded;
    decoding errors when the failing file's result is reached.

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> sf.write("tone.wav", np.sin(np.arange(8000) / 10.0), 8000)
    >>> lengths = (len(y) for y, sr in imap(["tone.wav"] * 4, sr=None, workers=2))
    >>> list(lengths)
    [8000, 8000, 8000, 8000]
    """
    # The warning's frames: _run, BatchIterator.__next__, the caller's loop.
    return _start(
        paths,
        workers=workers,
        executor=executor,
        on_error=on_error,
        progress=progress,
        transform=transform,
        read_ahead=read_ahead,
        timeout=timeout,
        load_kwargs=load_kwargs,
        warn_stacklevel=3,
    )


def _start(
    paths: Iterable[AudioSource],
    *,
    workers: int | None,
    executor: ExecutorKind | concurrent.futures.Executor,
    on_error: OnError,
    progress: bool,
    transform: Callable[[Any, float], Any] | None,
    read_ahead: int | None,
    load_kwargs: dict[str, Any],
    warn_stacklevel: int,
    eager: bool = False,
    timeout: float | None = None,
) -> BatchIterator:
    """Check every argument, then set up (but do not start) the scheduler.

    ``eager`` is for :func:`load_batch`, whose caller wants every result before it does
    anything: the calling thread then wakes once per many files (see ``_EAGER_FILES``) instead
    of as soon as the next result is ready.
    """
    if on_error not in _ON_ERROR:
        msg = f"on_error={on_error!r}; expected 'raise' or 'skip'"
        raise ValueError(msg)
    n_workers = _resolve_workers(workers)
    if read_ahead is not None and (
        not isinstance(read_ahead, int) or isinstance(read_ahead, bool) or read_ahead < 1
    ):
        msg = f"read_ahead={read_ahead!r} must be a positive integer or None"
        raise ValueError(msg)
    if transform is not None and not callable(transform):
        msg = f"transform={transform!r} is not callable"
        raise TypeError(msg)
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0
    ):
        msg = f"timeout={timeout!r} must be a positive number of seconds or None"
        raise ValueError(msg)
    options = LoadOptions.from_keywords(load_kwargs, "load_batch/imap")
    kind = _resolve_executor(executor)
    if kind == "process":
        _check_picklable(transform)
    total = _length_hint(paths)
    bar = _progress_bar(total) if progress else None
    failures: list[Failure] = []
    generator = _run(
        iter(paths),
        total=total,
        kind=kind,
        executor=executor,
        workers=n_workers,
        window=read_ahead or (_EAGER_FILES if eager else 2 * _GROUP) * n_workers,
        wait_for_half=eager and timeout is None,
        timeout=timeout,
        on_error=on_error,
        transform=transform,
        options=options,
        failures=failures,
        bar=bar,
        warn_stacklevel=warn_stacklevel,
    )
    return BatchIterator(generator, failures)


# --- the work done in each worker --------------------------------------------------------------


def _load_one(
    path: AudioSource, transform: Callable[..., Any] | None, options: LoadOptions
) -> Any:
    y, sr = load_with_options(path, options)
    if transform is None:
        return y, sr
    return transform(y, sr)


def _load_group(
    paths: list[AudioSource],
    transform: Callable[..., Any] | None,
    options: LoadOptions,
    stop_at_failure: bool,
) -> list[tuple[bool, Any]]:
    """``(True, result)`` or ``(False, exception)`` for each path, in order.

    One task per few files: see ``_GROUP``. A failure does not stop the others unless
    ``stop_at_failure`` (``on_error="raise"``, where nothing after it is wanted).
    Top-level so that process pools can pickle it by reference.
    """
    outcomes: list[tuple[bool, Any]] = []
    for path in paths:
        try:
            outcomes.append((True, _load_one(path, transform, options)))
        except Exception as exc:  # noqa: BLE001, PERF203 - each file's error is its own outcome
            outcomes.append((False, exc))
            if stop_at_failure:
                break
    return outcomes


# --- the ordered, bounded scheduler ----------------------------------------------------------


def _run(
    paths: Iterator[AudioSource],
    *,
    total: int | None,
    kind: str,
    executor: ExecutorKind | concurrent.futures.Executor,
    workers: int,
    window: int,
    wait_for_half: bool,
    on_error: str,
    transform: Callable[..., Any] | None,
    options: LoadOptions,
    failures: list[Failure],
    bar: Any,
    warn_stacklevel: int,
    timeout: float | None = None,
) -> Iterator[Any]:
    """Keep ``window`` files in flight; yield their results in input order.

    When the oldest group is not done yet, this thread sleeps until it is or, with
    ``wait_for_half``, until the oldest half of the groups in flight are. With a ``timeout``,
    each file is its own group, and one not done ``timeout`` seconds after this thread starts
    waiting for it has failed.
    """
    pool, owned = _make_pool(kind, executor, workers)
    if pool is None and timeout is not None:
        pool = _shared_thread_pool(1)  # the calling thread must stay free to give up
    timed_out = False
    # Files go to the workers a few at a time (each task is a group); alone in this thread,
    # one at a time, as computing ahead would only delay the caller.
    group_size = 1 if pool is None else max(1, min(_GROUP, window // (2 * workers)))
    if pool is None:
        window = 1
    elif timeout is not None or (total is None and transform is not None):
        # The end of the input is not known, so groups cannot shrink towards it (below); with
        # a transform a file may take long, and a last group of four would keep one worker
        # busy while the others wait.
        group_size = 1
    stop_at_failure = on_error == "raise"
    pending: collections.deque[tuple[int, list[AudioSource], concurrent.futures.Future[Any]]]
    pending = collections.deque()
    in_flight = 0  # files in the pending groups
    paths_left = True
    index = 0
    try:
        while True:
            while paths_left and in_flight < window:
                size = min(group_size, window - in_flight)
                if total is not None:
                    # Smaller groups towards the end, down to one file, so the workers finish
                    # together whatever a file costs.
                    size = min(size, max(1, (total - index) // (2 * workers)))
                group = list(itertools.islice(paths, size))
                if not group:
                    paths_left = False
                    break
                future = _submit(pool, group, transform, options, stop_at_failure)
                pending.append((index, group, future))
                index += len(group)
                in_flight += len(group)
            if not pending:
                break
            if wait_for_half and not pending[0][2].done():
                oldest = itertools.islice(pending, (len(pending) + 1) // 2)
                concurrent.futures.wait([queued for _, _, queued in oldest])
            first, group, future = pending.popleft()
            in_flight -= len(group)
            try:
                outcomes = future.result(timeout=timeout)
            except concurrent.futures.BrokenExecutor:
                raise  # the pool died (a worker crashed): no file is to blame
            except concurrent.futures.TimeoutError as task_error:
                if future.done():  # the task's own TimeoutError, not ours
                    outcomes = [(False, task_error)] * len(group)
                else:
                    future.cancel()
                    timed_out = True
                    late = DecodeTimeoutError(
                        _name(first, group[0]), f"not done after timeout={timeout:g} s"
                    )
                    outcomes = [(False, late)] * len(group)
            except Exception as task_error:  # noqa: BLE001 - the task failed as a whole
                # e.g. its results could not be pickled back: every file in it failed so.
                outcomes = [(False, task_error)] * len(group)
            for offset, (ok, value) in enumerate(outcomes):
                i, path = first + offset, group[offset]
                if not ok:
                    error: Exception = value
                    if on_error == "raise":
                        for _, _, queued in pending:
                            queued.cancel()
                        pending.clear()
                        raise _batch_error(i, path, error) from _cause(error)
                    failures.append(
                        Failure(i, _name(i, path), describe_failure(error), error.with_traceback(None))
                    )
                    value = None
                if bar is not None:
                    bar.update(1)
                yield value
        if failures:
            warnings.warn(
                _failure_report(failures, index), SkippedFilesWarning, stacklevel=warn_stacklevel
            )
    finally:
        for _, _, queued in pending:
            queued.cancel()
        if owned and timed_out:
            # A worker may be stuck in C for ever: do not wait for it, end it.
            processes = getattr(pool, "_processes", None) or {}
            for process in list(processes.values()):
                process.kill()
            pool.shutdown(wait=False, cancel_futures=True)
        elif owned:
            pool.shutdown(wait=True, cancel_futures=True)
        else:  # a shared or caller's pool: wait for what had started, leave the pool running
            concurrent.futures.wait([queued for _, _, queued in pending])
        if bar is not None:
            bar.close()


# Files per task. A task per file cost a future, a queue hand-off and a wake-up of the calling
# thread for every clip, enough to show against two bare threads looping over the same files;
# groups of 4 closed that gap and groups of 8 were no better (BENCHMARKS.md, "Batch loading").
# Groups shrink towards the end of an input of known length (``_run``), so the workers finish
# together.
_GROUP = 4

# Files in flight per worker for load_batch, whose caller only collects: it sleeps until the
# oldest half of them are done, so it wakes every ~32 files per worker rather than every group.
# Woken per group, it took the GIL and a core from the workers often enough to cost a visible
# share of two threads' throughput (BENCHMARKS.md, "What moved the 16 kHz figure").
_EAGER_FILES = 64


def _submit(
    pool: concurrent.futures.Executor | None,
    group: list[AudioSource],
    transform: Callable[..., Any] | None,
    options: LoadOptions,
    stop_at_failure: bool,
) -> concurrent.futures.Future[list[tuple[bool, Any]]]:
    if pool is not None:
        return pool.submit(_load_group, group, transform, options, stop_at_failure)
    future: concurrent.futures.Future[list[tuple[bool, Any]]] = concurrent.futures.Future()
    future.set_result(_load_group(group, transform, options, stop_at_failure))
    return future


def _make_pool(
    kind: str, executor: ExecutorKind | concurrent.futures.Executor, workers: int
) -> tuple[Any, bool]:
    """``(pool, owned)``; ``pool`` is ``None`` for one thread: work in the caller's thread."""
    if isinstance(executor, concurrent.futures.Executor):
        return executor, False
    if kind == "thread":
        if workers == 1:
            return None, False
        return _shared_thread_pool(workers), False
    return concurrent.futures.ProcessPoolExecutor(workers, mp_context=_mp_context()), True


# Worker threads are kept from one call to the next (one pool per worker count). A new thread
# gets a new malloc arena whose pages must be faulted in again, so a new pool per call made
# a speech-clip batch markedly slower (BENCHMARKS.md, "Batch loading"); a training loop calling
# load_batch per step would pay that every step. Idle threads cost nothing and exit with the
# interpreter.
_shared_pools: dict[int, concurrent.futures.ThreadPoolExecutor] = {}
_shared_pools_lock = threading.Lock()


def _shared_thread_pool(workers: int) -> concurrent.futures.ThreadPoolExecutor:
    with _shared_pools_lock:
        pool = _shared_pools.get(workers)
        if pool is None:
            pool = concurrent.futures.ThreadPoolExecutor(workers, f"audiodecode-{workers}")
            _shared_pools[workers] = pool
        return pool


def _forget_pools_in_child() -> None:
    # A forked child (a DataLoader worker...) inherits the pools but not their threads: work
    # submitted to them would never run. It starts its own on first use.
    global _shared_pools_lock
    _shared_pools.clear()
    _shared_pools_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pools_in_child)


def _mp_context() -> Any:
    import multiprocessing

    # fork would copy a parent that may be running threads (its own pools, a DataLoader's
    # pin-memory thread, Ray's...) and can deadlock; forkserver forks from a clean,
    # single-threaded server instead, and is much cheaper than spawn after its first start.
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        # Preloaded in the server, so each new worker starts with them imported. A no-op once
        # the server runs.
        context.set_forkserver_preload(["numpy", "soundfile", "soxr", "audiodecode"])
        return context
    return multiprocessing.get_context("spawn")


# --- argument checks, resolved before any work starts -----------------------------------------


def _resolve_workers(workers: int | None) -> int:
    if workers is None:
        return _available_cores()
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        msg = f"workers={workers!r} must be a positive integer or None"
        raise ValueError(msg)
    return workers


def _available_cores() -> int:
    counter = getattr(os, "process_cpu_count", None)  # Python 3.13: honours the CPU affinity
    if counter is not None:
        return counter() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _resolve_executor(executor: Any) -> str:
    if isinstance(executor, concurrent.futures.ProcessPoolExecutor):
        return "process"
    if isinstance(executor, concurrent.futures.Executor):
        return "thread"  # a thread pool or a user's own executor: nothing to pickle up front
    if executor not in _EXECUTORS:
        msg = f"executor={executor!r}; expected 'thread', 'process' or an Executor"
        raise ValueError(msg)
    return str(executor)


def _check_picklable(transform: Callable[..., Any] | None) -> None:
    if transform is None:
        return
    try:
        pickle.dumps(transform)
    except Exception as exc:  # noqa: BLE001 - pickling fails in many ways; all mean "no"
        reason = f"it cannot be pickled ({type(exc).__name__}: {exc})"
    else:
        main = sys.modules.get("__main__")
        # Pickled by name, a function of an interactive session (no __main__.__file__) is
        # not found again by the worker processes.
        if getattr(transform, "__module__", None) != "__main__" or hasattr(main, "__file__"):
            return
        reason = "it is defined in an interactive session, which worker processes cannot import"
    msg = (
        f"transform={transform!r} cannot be sent to worker processes: {reason}. Define it at "
        "the top level of an importable module, or pass executor='thread'."
    )
    raise TypeError(msg)



def _length_hint(paths: Iterable[Any]) -> int | None:
    try:
        return len(paths)  # type: ignore[arg-type]
    except TypeError:
        return None


def _progress_bar(total: int | None) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:
        pass
    else:
        return tqdm(total=total, unit=" files", desc="audiodecode", dynamic_ncols=True)
    try:
        import rich.console
        import rich.progress
    except ImportError:
        msg = "progress=True needs tqdm or rich: pip install 'audiodecode[progress]'"
        raise ImportError(msg) from None
    return _RichBar(rich.progress, rich.console.Console(stderr=True), total)


class _RichBar:
    """The two calls of tqdm's interface that the scheduler uses, drawn by rich."""

    def __init__(self, progress_module: Any, console: Any, total: int | None) -> None:
        columns = [
            progress_module.TextColumn("audiodecode"),
            progress_module.BarColumn(),
            progress_module.MofNCompleteColumn(),
            progress_module.TextColumn("{task.fields[rate]} files/s"),
            progress_module.TimeElapsedColumn(),
        ]
        self._progress = progress_module.Progress(*columns, console=console)
        self._task = self._progress.add_task("decode", total=total, rate="-")
        self._progress.start()

    def update(self, n: int) -> None:
        self._progress.advance(self._task, n)
        speed = self._progress.tasks[0].speed
        if speed is not None:
            self._progress.update(self._task, rate=f"{speed:.1f}")

    def close(self) -> None:
        self._progress.stop()


# --- failures ----------------------------------------------------------------------------------


def _name(index: int, path: Any) -> str:
    if isinstance(path, (str, os.PathLike)):
        return os.fsdecode(os.fspath(path))
    return f"<{type(path).__name__} #{index}>"


def _cause(exc: Exception) -> BaseException | None:
    # An AudioDecodeError is raised as it is (already naming the file): keep its own cause.
    return exc.__cause__ if isinstance(exc, AudioDecodeError) else exc


def _batch_error(index: int, path: Any, exc: Exception) -> AudioDecodeError:
    if isinstance(exc, AudioDecodeError):
        return exc
    return AudioDecodeError(_name(index, path), describe_failure(exc))


def _failure_report(failures: list[Failure], total: int) -> str:
    lines = [f"{len(failures)} of {total} files failed and were skipped (None in their slots):"]
    lines.extend(f"  [{f.index}] {f}" for f in failures)
    return "\n".join(lines)
