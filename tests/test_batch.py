"""audiodecode.batch: load_batch and imap, in threads and in processes.

librosa is the oracle for every array: a batch must give, slot by slot, what a loop over
``librosa.load`` gives; for a format libsndfile does not read, a plain PyAV decode
(``tests/_plain_pyav.py``) resampled by ``librosa.resample``.
"""

from __future__ import annotations

import concurrent.futures
import os
import pickle
import signal
import sys
import threading
import warnings

import _corpus
import librosa
import numpy as np
import pytest
import soundfile as sf
from _assert import assert_same_array
from _plain_pyav import as_loaded, plain_decode

from audiodecode import (
    AudioDecodeError,
    CorruptAudioError,
    UnsupportedFormatError,
)
from audiodecode._options import LoadOptions
from audiodecode.batch import (
    BatchResult,
    Failure,
    SkippedFilesWarning,
    _scheduler,
    imap,
    load_batch,
)

NATIVE_RATE = LoadOptions(sr=None).checked()

# --- fixtures --------------------------------------------------------------------------------


def _noise(n_frames: int, channels: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    chirp = np.sin(np.cumsum(np.linspace(0.01, 0.5, n_frames)))[:, None]
    return (0.3 * rng.uniform(-1, 1, (n_frames, channels)) + 0.3 * chirp).astype(np.float32)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Twelve different clips, longest first, so that parallel workers finish out of order."""
    folder = tmp_path_factory.mktemp("clips")
    paths = []
    for i in range(12):
        rate = (44100, 48000, 22050)[i % 3]
        channels = 1 + i % 2
        n_frames = int(rate * (1.5 - 0.12 * i))
        path = folder / f"clip{i:02d}{('.wav', '.flac')[i % 2]}"
        sf.write(path, _noise(n_frames, channels, seed=i), rate, subtype="PCM_16")
        paths.append(str(path))
    return paths


@pytest.fixture(scope="module")
def corrupt(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A RIFF/WAVE header followed by noise: libsndfile finds no data chunk."""
    path = tmp_path_factory.mktemp("bad") / "corrupt.wav"
    noise = np.random.default_rng(7).integers(0, 256, 2000, dtype=np.uint8).tobytes()
    path.write_bytes(b"RIFF\x24\x00\x00\x00WAVE" + noise)
    return str(path)


def _assert_same_as_librosa(results: list, paths: list, **load_kwargs: object) -> None:
    assert len(results) == len(paths)
    for (y, sr), path in zip(results, paths, strict=True):
        expected, expected_sr = librosa.load(path, **load_kwargs)
        assert_same_array(y, expected)
        assert sr == expected_sr


# Transforms live at module level so that worker processes can import them by name.


def describe(y: np.ndarray, sr: float) -> tuple[float, float, tuple[int, ...]]:
    return float(np.abs(y).max()), sr, y.shape


def where_am_i(y: np.ndarray, sr: float) -> tuple[int, str]:
    return os.getpid(), threading.current_thread().name


def unpicklable_result(y: np.ndarray, sr: float) -> threading.Lock:
    return threading.Lock()


# --- order and fidelity ------------------------------------------------------------------------


@pytest.mark.parametrize("executor", ["thread", "process"])
@pytest.mark.parametrize("sr", [None, 16000], ids=["native", "16k"])
def test_results_come_back_in_input_order(clips: list[str], executor: str, sr: int | None) -> None:
    paths = [*clips, clips[3], clips[0]]  # repeats too
    results = load_batch(paths, workers=2, executor=executor, sr=sr)
    assert isinstance(results, BatchResult)
    assert results.failures == []
    _assert_same_as_librosa(results, paths, sr=sr)


def _independent_load(kind: str, path: str, sr: int) -> tuple[np.ndarray, float]:
    """``load(path, sr=sr, mono=False)`` by the oracles: librosa where libsndfile reads the
    file, else a plain PyAV decode resampled by librosa."""
    if kind in _corpus.LIBROSA_KINDS:
        return librosa.load(path, sr=sr, mono=False)
    samples, native = plain_decode(path)
    return librosa.resample(as_loaded(samples), orig_sr=native, target_sr=sr), sr


@pytest.mark.parametrize("executor", ["thread", "process"])
def test_every_format_decodes_in_parallel(short_corpus: dict, executor: str) -> None:
    # Every backend (numpy WAV, libsndfile, FFmpeg) in concurrent workers, each file twice.
    kinds = list(short_corpus) * 2
    paths = [str(short_corpus[kind]) for kind in kinds]
    results = load_batch(paths, workers=2, executor=executor, sr=16000, mono=False)
    assert len(results) == len(paths)
    for (y, sr), kind, path in zip(results, kinds, paths, strict=True):
        expected, expected_sr = _independent_load(kind, path, 16000)
        assert_same_array(y, expected, kind)
        assert sr == expected_sr


def test_load_kwargs_reach_every_file(clips: list[str]) -> None:
    kwargs = {"sr": 8000, "mono": False, "offset": 0.1, "duration": 0.5, "dtype": np.float64}
    results = load_batch(clips[:4], workers=2, **kwargs)
    _assert_same_as_librosa(results, clips[:4], **kwargs)
    assert results[1][0].ndim == 2  # clip01 is stereo and mono=False kept it so


def test_one_worker_decodes_in_the_calling_thread(clips: list[str]) -> None:
    [(pid, thread)] = load_batch(clips[:1], workers=1, transform=where_am_i)
    assert (pid, thread) == (os.getpid(), threading.current_thread().name)


def test_inputs_other_than_paths(clips: list[str]) -> None:
    with open(clips[0], "rb") as f:
        data = f.read()
    with open(clips[1], "rb") as f:
        results = load_batch([data, f, clips[2]], workers=2, sr=None)
    _assert_same_as_librosa(results, clips[:3], sr=None)


def test_empty_input() -> None:
    assert load_batch([], workers=2) == []
    assert list(imap(iter([]), workers=2)) == []


# --- on_error ----------------------------------------------------------------------------------


@pytest.mark.parametrize("executor", ["thread", "process"])
def test_raise_names_the_corrupt_file(clips: list[str], corrupt: str, executor: str) -> None:
    paths = [*clips[:3], corrupt, *clips[3:]]
    with pytest.raises(CorruptAudioError) as info:
        load_batch(paths, workers=2, executor=executor)
    assert info.value.source == corrupt
    assert corrupt in str(info.value)


def test_raise_wraps_other_errors_and_keeps_the_cause(clips: list[str], tmp_path) -> None:
    missing = str(tmp_path / "missing.wav")
    with pytest.raises(AudioDecodeError) as info:
        load_batch([clips[0], missing, clips[1]], workers=2)
    assert info.value.source == missing
    assert "FileNotFoundError" in info.value.reason
    assert isinstance(info.value.__cause__, FileNotFoundError)


@pytest.mark.parametrize(
    ("run", "window"),
    [
        (lambda paths, record: list(imap(paths, workers=2, read_ahead=4, transform=record)), 4),
        # load_batch waits for many files at a time, but still stops a window past a failure.
        (lambda paths, record: load_batch(paths, workers=2, transform=record),
         2 * _scheduler.EAGER_FILES),
    ],
    ids=["imap", "load_batch"],
)  # fmt: skip
def test_raise_cancels_the_work_still_queued(clips: list[str], corrupt: str, run, window) -> None:
    seen: list[str] = []
    lock = threading.Lock()

    def record(y: np.ndarray, sr: float) -> None:
        with lock:
            seen.append(threading.current_thread().name)

    paths = [clips[-1]] * 3 + [corrupt] + [clips[-1]] * max(100, 4 * window)
    with pytest.raises(CorruptAudioError):
        run(paths, record)
    # Nothing past the window after the failing file was ever started.
    assert 3 <= len(seen) <= 3 + window


@pytest.mark.parametrize("executor", ["thread", "process"])
def test_skip_fills_none_and_reports_every_failure(
    clips: list[str], corrupt: str, tmp_path, executor: str
) -> None:
    missing = str(tmp_path / "missing.wav")
    paths = [clips[0], clips[1], corrupt, clips[2], missing, clips[3]]
    with pytest.warns(SkippedFilesWarning, match="2 of 6 files failed") as record:
        results = load_batch(paths, workers=2, executor=executor, on_error="skip", sr=16000)
    message = str(record[0].message)
    assert corrupt in message
    assert missing in message
    assert [r is None for r in results] == [False, False, True, False, True, False]
    good = [i for i, r in enumerate(results) if r is not None]
    _assert_same_as_librosa([results[i] for i in good], [paths[i] for i in good], sr=16000)
    assert [(f.index, f.path) for f in results.failures] == [(2, corrupt), (4, missing)]
    assert results.failures[0].reason.startswith("CorruptAudioError: ")
    assert results.failures[1].reason.startswith("FileNotFoundError: ")
    assert isinstance(results.failures[0].exception, CorruptAudioError)


def test_skip_names_inputs_that_are_not_paths(clips: list[str]) -> None:
    not_audio = b"these bytes are not audio in any container. " * 100
    with pytest.warns(SkippedFilesWarning, match=r"<bytes #1>"):
        results = load_batch([clips[0], not_audio], on_error="skip")
    assert results[1] is None
    assert isinstance(results.failures[0].exception, UnsupportedFormatError)


def test_skip_records_a_failing_transform(clips: list[str]) -> None:
    def picky(y: np.ndarray, sr: float) -> int:
        if y.ndim == 1 and len(y) < 30000:
            msg = "too short for this model"
            raise ValueError(msg)
        return len(y)

    with pytest.warns(SkippedFilesWarning, match="too short for this model"):
        results = load_batch(clips, workers=2, sr=22050, on_error="skip", transform=picky)
    failed = {f.index for f in results.failures}
    assert failed  # the last clips are short
    assert all((results[i] is None) == (i in failed) for i in range(len(clips)))
    assert all(f.reason.startswith("ValueError: ") for f in results.failures)


def test_a_group_stops_at_its_failure_only_when_raising(clips: list[str], corrupt: str) -> None:
    """Workers take files a few at a time; a failure ends the group only for on_error="raise"."""
    from audiodecode.batch._scheduler import load_group

    raising = load_group([corrupt, clips[0]], None, NATIVE_RATE, stop_at_failure=True)
    assert [ok for ok, _ in raising] == [False]
    assert isinstance(raising[0][1], CorruptAudioError)
    skipping = load_group([corrupt, clips[0]], None, NATIVE_RATE, stop_at_failure=False)
    assert [ok for ok, _ in skipping] == [False, True]
    assert_same_array(skipping[1][1][0], librosa.load(clips[0], sr=None)[0])


def _group_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    sizes: list[int] = []
    real_submit = _scheduler.submit

    def recording_submit(pool, group, *args):  # type: ignore[no-untyped-def]
        sizes.append(len(group))
        return real_submit(pool, group, *args)

    monkeypatch.setattr(_scheduler, "submit", recording_submit)
    return sizes


def test_groups_shrink_towards_the_end(clips: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Four files per task while many remain, one at a time at the end: workers finish together."""
    sizes = _group_sizes(monkeypatch)
    paths = clips * 3
    results = load_batch(paths, workers=2, sr=None, transform=describe)
    assert results == [describe(*librosa.load(p, sr=None)) for p in paths]
    assert sum(sizes) == 36
    assert sizes[0] == 4
    assert sizes[-4:] == [1, 1, 1, 1]
    sizes.clear()
    list(imap(iter(paths), workers=2, sr=None))  # length unknown, no transform: groups of 4
    assert set(sizes[:-1]) == {4}
    sizes.clear()
    list(imap(iter(paths), workers=2, sr=None, transform=describe))  # a transform may be slow
    assert set(sizes) == {1}


def test_load_batch_waits_for_many_groups_at_once(
    clips: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its calling thread sleeps until half the groups in flight are done, not one group.

    imap, whose caller wants each result as soon as it is ready, waits for one at a time.
    """
    waits: list[int] = []
    real_wait = concurrent.futures.wait

    def recording_wait(futures, *args, **kwargs):  # type: ignore[no-untyped-def]
        waits.append(len(futures))
        return real_wait(futures, *args, **kwargs)

    monkeypatch.setattr(_scheduler.concurrent.futures, "wait", recording_wait)
    paths = clips * 40
    assert len(load_batch(paths, workers=2, sr=None)) == len(paths)
    assert max(waits, default=0) > 1
    waits.clear()
    assert len(list(imap(paths, workers=2, sr=None))) == len(paths)
    assert max(waits, default=0) == 0  # only the final wait for what is left: nothing


def test_results_that_cannot_come_back_from_a_process_fail_each_file(clips: list[str]) -> None:
    """A group whose results cannot be pickled back fails as a whole: each file is reported."""
    paths = clips[:6]
    with pytest.warns(SkippedFilesWarning, match="6 of 6 files failed"):
        results = load_batch(paths, workers=2, executor="process", on_error="skip",
                             transform=unpicklable_result)
    assert list(results) == [None] * 6
    assert [f.path for f in results.failures] == paths
    assert all("pickle" in f.reason for f in results.failures)


def test_imap_skip_warns_when_exhausted(clips: list[str], corrupt: str) -> None:
    iterator = imap([clips[0], corrupt, clips[1]], workers=2, on_error="skip")
    first = next(iterator)
    assert first is not None
    assert next(iterator) is None
    assert [f.index for f in iterator.failures] == [1]
    with pytest.warns(SkippedFilesWarning, match="1 of 3 files failed"):
        rest = list(iterator)
    assert len(rest) == 1


def test_batch_result_pickles_with_its_failures(clips: list[str], corrupt: str) -> None:
    with pytest.warns(SkippedFilesWarning):
        results = load_batch([clips[-1], corrupt], on_error="skip", sr=8000)
    clone = pickle.loads(pickle.dumps(results))
    assert isinstance(clone, BatchResult)
    expected = librosa.load(clips[-1], sr=8000)[0]
    assert_same_array(results[0][0], expected)
    assert_same_array(clone[0][0], expected)
    assert clone[1] is None
    assert [(f.index, f.path, f.reason) for f in clone.failures] == [
        (f.index, f.path, f.reason) for f in results.failures
    ]
    assert isinstance(clone.failures[0], Failure)


# --- transform ---------------------------------------------------------------------------------


@pytest.mark.parametrize("executor", ["thread", "process"])
def test_transform_result_replaces_the_audio(clips: list[str], executor: str) -> None:
    results = load_batch(clips, workers=2, executor=executor, sr=16000, transform=describe)
    expected = [describe(*librosa.load(p, sr=16000)) for p in clips]
    assert results == expected


def test_transform_runs_in_worker_threads(clips: list[str]) -> None:
    places = load_batch(clips, workers=2, executor="thread", transform=where_am_i)
    assert {pid for pid, _ in places} == {os.getpid()}
    assert all(name.startswith("audiodecode") for _, name in places)


def test_transform_runs_in_worker_processes(clips: list[str]) -> None:
    places = load_batch(clips, workers=2, executor="process", transform=where_am_i)
    pids = {pid for pid, _ in places}
    assert os.getpid() not in pids
    assert 1 <= len(pids) <= 2


def test_lambda_with_processes_fails_before_any_work(clips: list[str]) -> None:
    calls = []
    paths = (calls.append(p) or p for p in clips)
    with pytest.raises(TypeError, match=r"cannot be pickled.*executor='thread'"):
        imap(paths, executor="process", transform=lambda y, sr: len(y))
    assert calls == []


def test_closure_with_processes_fails_clearly(clips: list[str]) -> None:
    scale = 2.0

    def scaled(y: np.ndarray, sr: float) -> np.ndarray:
        return y * scale

    with pytest.raises(TypeError, match="top level of an importable module"):
        load_batch(clips, executor="process", transform=scaled)


def test_lambda_is_fine_in_threads(clips: list[str]) -> None:
    assert load_batch(clips[:3], sr=None, transform=lambda y, sr: sr) == [44100, 48000, 22050]


# --- imap: laziness and memory -----------------------------------------------------------------


def _rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    msg = "no VmRSS in /proc/self/status"
    raise AssertionError(msg)  # pragma: no cover


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
def test_imap_streams_10000_paths_in_bounded_memory(tmp_path) -> None:
    few = []
    for i in range(3):
        path = tmp_path / f"short{i}.wav"
        sf.write(path, _noise(4000 + 1000 * i, 1, seed=i), 8000, subtype="PCM_16")
        few.append(str(path))
    read_ahead = 8
    consumed = 0

    def manifest(n: int):
        nonlocal consumed
        for k in range(n):
            consumed += 1
            yield few[k % 3]

    iterator = imap(manifest(10_000), workers=2, sr=None, read_ahead=read_ahead)
    total = 0
    baseline = 0
    for k, (y, _) in enumerate(iterator):
        # Lazy: the manifest is read only as far as the read-ahead window.
        assert consumed <= k + 1 + read_ahead
        total += len(y)
        if k == 500:  # after the pool, the allocator and the page cache have warmed up
            baseline = _rss_bytes()
    growth = _rss_bytes() - baseline
    assert consumed == 10_000
    assert total == sum(4000 + 1000 * (k % 3) for k in range(10_000))
    # Holding all 10,000 results would take 200 MB; a flat stream stays within allocator noise.
    assert growth < 30 * 2**20, f"RSS grew by {growth / 2**20:.1f} MiB"


def test_imap_close_cancels_what_is_queued(clips: list[str]) -> None:
    started: list[int] = []

    def record(y: np.ndarray, sr: float) -> None:
        started.append(len(y))

    with imap(clips * 20, workers=2, read_ahead=4, transform=record) as iterator:
        next(iterator)
        next(iterator)
    done_at_close = len(started)
    assert done_at_close <= 2 + 4  # what was consumed, plus the read-ahead window
    # Closing waited for the files being decoded: nothing runs on behind the caller's back.
    assert len(started) == done_at_close


def test_worker_threads_are_reused_across_calls(clips: list[str]) -> None:
    first = {name for _, name in load_batch(clips, workers=2, transform=where_am_i)}
    second = {name for _, name in load_batch(clips, workers=2, transform=where_am_i)}
    assert first | second <= {t.name for t in threading.enumerate()}
    assert len(first | second) <= 2


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_starts_its_own_workers(clips: list[str]) -> None:
    load_batch(clips[:2], workers=2)  # the parent's pool exists
    read, write = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns about forking a process with threads: the case under test.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        ok = False
        try:
            signal.alarm(30)  # a child stuck on a dead pool dies, and the parent reads b""
            ok = len(load_batch(clips[:4], workers=2, sr=None)) == 4
        finally:
            os.write(write, b"ok" if ok else b"no")
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        assert pipe.read() == b"ok"
    os.waitpid(pid, 0)


def test_a_callers_executor_is_reused_and_left_running(clips: list[str]) -> None:
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        first = load_batch(clips[:3], executor=pool, sr=None)
        second = load_batch(clips[3:6], executor=pool, sr=None)
        assert pool.submit(len, "still running").result() == 13
    _assert_same_as_librosa([*first, *second], clips[:6], sr=None)


# --- progress ------------------------------------------------------------------------------------


def test_progress_bar_shows_files_per_second(clips: list[str], capsys) -> None:
    pytest.importorskip("tqdm")
    load_batch(clips, workers=2, progress=True, sr=None)
    err = capsys.readouterr().err
    assert "12/12" in err
    assert "files/s" in err


def test_progress_falls_back_to_rich(clips: list[str], capsys, monkeypatch) -> None:
    pytest.importorskip("rich")
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    load_batch(clips, workers=2, progress=True, sr=None)
    err = capsys.readouterr().err
    assert "12/12" in err
    assert "files/s" in err


def test_progress_without_tqdm_or_rich_names_the_extra(clips: list[str], monkeypatch) -> None:
    for name in ("tqdm", "tqdm.auto", "rich", "rich.progress"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r"pip install 'audiodecode\[progress\]'"):
        load_batch(clips, progress=True)


# --- argument checks ---------------------------------------------------------------------------


def test_read_ahead_must_be_positive() -> None:
    with pytest.raises(ValueError, match="read_ahead=0"):
        imap(["a.wav"], read_ahead=0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"on_error": "ignore"}, ValueError, "on_error='ignore'"),
        ({"workers": 0}, ValueError, "workers=0"),
        ({"workers": 1.5}, ValueError, "workers=1.5"),
        ({"executor": "fork"}, ValueError, "executor='fork'"),
        ({"transform": "rms"}, TypeError, "not callable"),
        ({"sr": -1}, ValueError, "sr=-1"),
        ({"dtype": np.int16}, ValueError, "dtype="),
        ({"res_type": "best"}, ValueError, "res_type='best'"),
        ({"backend": "ffmpeg"}, ValueError, "backend='ffmpeg'"),
        ({"offset": float("nan")}, ValueError, "offset=nan"),
        ({"samplerate": 16000}, TypeError, "samplerate"),
        ({"path": "x.wav"}, TypeError, "path"),
    ],
    ids=lambda v: repr(v) if not isinstance(v, type) else v.__name__,
)
def test_bad_arguments_fail_before_any_file_is_opened(
    kwargs: dict, error: type, match: str
) -> None:
    opened = []
    paths = (opened.append(p) or p for p in ["a.wav", "b.wav"])
    with pytest.raises(error, match=match):
        imap(paths, **kwargs)
    with pytest.raises(error, match=match):
        load_batch(["a.wav"], **kwargs)
    assert opened == []


def test_the_warning_points_at_the_callers_line(clips: list[str], corrupt: str) -> None:
    with pytest.warns(SkippedFilesWarning) as record:
        load_batch([clips[0], corrupt], on_error="skip")
    with pytest.warns(SkippedFilesWarning) as record_imap:
        for _ in imap([clips[0], corrupt], on_error="skip"):
            pass
    assert record[0].filename == record_imap[0].filename == __file__
