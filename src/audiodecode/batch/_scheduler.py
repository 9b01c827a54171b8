"""The ordered, bounded scheduler behind :func:`~audiodecode.batch.load_batch` and
:func:`~audiodecode.batch.imap`: groups of files go to a pool of workers, each worker calls
``load_with_options`` (and the caller's ``transform``) per file, and the results come back in
input order with at most a window of them in flight.

Why threads by default, why groups of four, why the pools are kept: the module docstring of
:mod:`audiodecode.batch`, and BENCHMARKS.md ("Batch loading") for the measurements.
"""

from __future__ import annotations

import collections
import concurrent.futures
import itertools
import os
import threading
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._load import load_with_options
from ..errors import AudioDecodeError, DecodeTimeoutError, describe_failure

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from .._options import LoadOptions
    from .._source import AudioSource

__all__ = ["EAGER_FILES", "GROUP", "Failure", "SkippedFilesWarning", "run"]


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


# --- the work done in each worker --------------------------------------------------------------


def load_one(
    path: AudioSource, transform: Callable[..., Any] | None, options: LoadOptions
) -> Any:
    y, sr = load_with_options(path, options)
    if transform is None:
        return y, sr
    return transform(y, sr)


def load_group(
    paths: list[AudioSource],
    transform: Callable[..., Any] | None,
    options: LoadOptions,
    stop_at_failure: bool,
) -> list[tuple[bool, Any]]:
    """``(True, result)`` or ``(False, exception)`` for each path, in order.

    One task per few files: see ``GROUP``. A failure does not stop the others unless
    ``stop_at_failure`` (``on_error="raise"``, where nothing after it is wanted).
    Top-level so that process pools can pickle it by reference.
    """
    outcomes: list[tuple[bool, Any]] = []
    for path in paths:
        try:
            outcomes.append((True, load_one(path, transform, options)))
        except Exception as exc:  # noqa: BLE001, PERF203 - each file's error is its own outcome
            outcomes.append((False, _portable(exc, path)))
            if stop_at_failure:
                break
    return outcomes


def _portable(exc: Exception, path: AudioSource) -> Exception:
    """``exc``, or in a worker process an ``AudioDecodeError`` saying the same when ``exc``
    cannot be rebuilt in the parent: unpickling a result fails there, and the pool with it
    (``BrokenProcessPool``), which would take every other file down."""
    import multiprocessing

    if multiprocessing.parent_process() is None:
        return exc
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
    except Exception as problem:  # noqa: BLE001 - whatever rebuilding it raises
        reason = (f"{describe_failure(exc)} (the exception cannot be sent back from a worker "
                  f"process: {type(problem).__name__}: {problem})")
        return AudioDecodeError(_name(0, path), reason)
    return exc


# --- the ordered, bounded scheduler ----------------------------------------------------------


def run(
    paths: Iterator[AudioSource],
    *,
    total: int | None,
    kind: str,
    executor: str | concurrent.futures.Executor,
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
    group_size = 1 if pool is None else max(1, min(GROUP, window // (2 * workers)))
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
                future = submit(pool, group, transform, options, stop_at_failure)
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
                if not owned:
                    raise  # the caller's pool died: it is theirs to replace
                # A worker died (a crash in C, os._exit, out of memory) or a result could not
                # be rebuilt here; every task in flight failed with it. A new pool takes the
                # other groups, and this group's files run one at a time in a pool of their
                # own, so that only the file that breaks it fails.
                pool.shutdown(wait=False, cancel_futures=True)
                pool, owned = _make_pool(kind, executor, workers)
                for slot, (start, queued_group, _) in enumerate(pending):
                    pending[slot] = (start, queued_group, submit(
                        pool, queued_group, transform, options, stop_at_failure))
                outcomes = _one_by_one(first, group, transform, options, stop_at_failure,
                                       timeout)
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
                    reason = describe_failure(error)
                    failures.append(Failure(i, _name(i, path), reason, error.with_traceback(None)))
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
# Groups shrink towards the end of an input of known length (``run``), so the workers finish
# together.
GROUP = 4

# Files in flight per worker for load_batch, whose caller only collects: it sleeps until the
# oldest half of them are done, so it wakes every ~32 files per worker rather than every group.
# Woken per group, it took the GIL and a core from the workers often enough to cost a visible
# share of two threads' throughput (BENCHMARKS.md, "What moved the 16 kHz figure").
EAGER_FILES = 64


def submit(
    pool: concurrent.futures.Executor | None,
    group: list[AudioSource],
    transform: Callable[..., Any] | None,
    options: LoadOptions,
    stop_at_failure: bool,
) -> concurrent.futures.Future[list[tuple[bool, Any]]]:
    if pool is not None:
        return pool.submit(load_group, group, transform, options, stop_at_failure)
    future: concurrent.futures.Future[list[tuple[bool, Any]]] = concurrent.futures.Future()
    future.set_result(load_group(group, transform, options, stop_at_failure))
    return future


def _one_by_one(
    first: int,
    group: list[AudioSource],
    transform: Callable[..., Any] | None,
    options: LoadOptions,
    stop_at_failure: bool,
    timeout: float | None,
) -> list[tuple[bool, Any]]:
    """Each file of a group whose pool broke, alone in a one-worker pool: the outcomes, with
    an ``AudioDecodeError`` for a file that breaks the pool again."""
    outcomes: list[tuple[bool, Any]] = []
    pool = concurrent.futures.ProcessPoolExecutor(1, mp_context=_mp_context())
    try:
        for offset, path in enumerate(group):
            future = submit(pool, [path], transform, options, stop_at_failure)
            try:
                outcomes.extend(future.result(timeout=timeout))
            except concurrent.futures.BrokenExecutor as broken:
                reason = (
                    "the worker process died while loading it (a crash in a C library, "
                    "os._exit in the transform, or out of memory), or its result could not "
                    f"be rebuilt in this process ({type(broken).__name__})"
                )
                outcomes.append((False, AudioDecodeError(_name(first + offset, path), reason)))
                pool.shutdown(wait=False, cancel_futures=True)
                pool = concurrent.futures.ProcessPoolExecutor(1, mp_context=_mp_context())
            except concurrent.futures.TimeoutError:
                late = DecodeTimeoutError(_name(first + offset, path),
                                          f"not done after timeout={timeout:g} s")
                outcomes.append((False, late))
                for process in list((getattr(pool, "_processes", None) or {}).values()):
                    process.kill()
                pool.shutdown(wait=False, cancel_futures=True)
                pool = concurrent.futures.ProcessPoolExecutor(1, mp_context=_mp_context())
            except Exception as task_error:  # noqa: BLE001 - the task failed as a whole
                outcomes.append((False, task_error))
            if stop_at_failure and outcomes and not outcomes[-1][0]:
                break
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return outcomes


def _make_pool(
    kind: str, executor: str | concurrent.futures.Executor, workers: int
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
