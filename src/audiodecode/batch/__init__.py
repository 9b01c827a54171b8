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

import concurrent.futures
import os
import pickle
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from .._options import LoadOptions
from ._progress import progress_bar
from ._scheduler import EAGER_FILES, GROUP, Failure, SkippedFilesWarning, run

if TYPE_CHECKING:
    from typing import Self

    from .._source import AudioSource

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
    # The warning's frames: _scheduler.run, BatchIterator.__next__, BatchResult.__init__,
    # here, the caller.
    settings = _Settings(workers, executor, on_error, progress, transform, None, timeout)
    with _start(paths, settings, load_kwargs, warn_stacklevel=5, eager=True) as iterator:
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
    # The warning's frames: _scheduler.run, BatchIterator.__next__, the caller's loop.
    settings = _Settings(workers, executor, on_error, progress, transform, read_ahead, timeout)
    return _start(paths, settings, load_kwargs, warn_stacklevel=3)


class _Settings(NamedTuple):
    """The batch functions' own keywords, as the caller passed them (checked by ``_start``)."""

    workers: int | None
    executor: ExecutorKind | concurrent.futures.Executor
    on_error: OnError
    progress: bool
    transform: Callable[[Any, float], Any] | None
    read_ahead: int | None
    timeout: float | None


def _start(
    paths: Iterable[AudioSource],
    settings: _Settings,
    load_kwargs: dict[str, Any],
    *,
    warn_stacklevel: int,
    eager: bool = False,
) -> BatchIterator:
    """Check every argument, then set up (but do not start) the scheduler.

    ``eager`` is for :func:`load_batch`, whose caller wants every result before it does
    anything: the calling thread then wakes once per many files (see
    ``_scheduler.EAGER_FILES``) instead of as soon as the next result is ready.
    """
    workers, executor, on_error, progress, transform, read_ahead, timeout = settings
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
    bar = progress_bar(total) if progress else None
    failures: list[Failure] = []
    generator = run(
        iter(paths),
        total=total,
        kind=kind,
        executor=executor,
        workers=n_workers,
        window=read_ahead or (EAGER_FILES if eager else 2 * GROUP) * n_workers,
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
