"""Ray Data integration: decode a whole dataset of audio files across a Ray cluster::

    import ray
    from audiodecode.ray import read_audio

    ray.init()                                   # a local instance, or address="ray://head:10001"
    ds = read_audio("s3://bucket/speech/", sr=16000)
    ds = ds.filter(lambda row: row["error"] is None)

Each Ray task decodes its files with :func:`audiodecode.load` (every format, resampled exactly
as ``librosa.load`` resamples), so the arrays in ``ds.take_all()`` equal ``load``'s. A file that
cannot be decoded becomes a row whose ``error`` says why; it never fails the job.

For a Dataset of paths (or of bytes) that you build yourself, :class:`DecodeBatch` is the same
work as a ``map_batches`` function::

    ds = ray.data.read_binary_files("s3://bucket/speech/", include_paths=True)
    ds = ds.map_batches(DecodeBatch(column="bytes", sr=16000), batch_size=32)

Ray is imported only by :func:`read_audio` (``pip install 'audiodecode[ray]'``).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np

from ._discovery import NOT_AUDIO, classify, walk
from ._load import load_with_options
from ._options import LoadOptions
from .errors import describe_failure

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    import ray.data
    from numpy.typing import DTypeLike

__all__ = ["AUDIO_EXTENSIONS", "DecodeBatch", "list_audio_files", "read_audio"]

#: File name endings that usually hold audio (what libsndfile and FFmpeg decode, video
#: containers included). Kept for callers that filter names themselves:
#: :func:`list_audio_files` never trusts a name, it reads each file's first bytes.
AUDIO_EXTENSIONS = frozenset({
    ".wav", ".wave", ".bwf", ".rf64", ".w64", ".aif", ".aiff", ".aifc", ".flac", ".ogg",
    ".oga", ".opus", ".spx", ".mp3", ".mp2", ".m4a", ".m4b", ".aac", ".adts", ".alac", ".caf",
    ".au", ".snd", ".wma", ".asf", ".ac3", ".eac3", ".amr", ".awb", ".weba", ".webm", ".mka",
    ".mkv", ".mp4", ".mov", ".3gp", ".voc",
})  # fmt: skip


class DecodeBatch:
    """Decode one column of a Ray Data batch; use it with ``Dataset.map_batches``.

    Adds three columns to the batch (and keeps the others, such as labels):

    * ``audio``: the decoded array (``load``'s ``y``), or ``transform(y, sr)`` when a
      transform is given. On a failed row: an empty array of the other rows' dtype, or ``None``
      when the transform returns something other than arrays.
    * ``sample_rate``: ``load``'s ``sr`` (``None`` on a failed row).
    * ``error``: ``None``, or ``"<ExceptionType>: <reason>"`` for a file that failed.

    Parameters
    ----------
    column : str
        The column holding what to decode: paths or URLs (``"path"``), or the files' bytes
        (``"bytes"``, as ``ray.data.read_binary_files`` produces).
    sr, mono, offset, duration, dtype, res_type, backend, max_duration
        As in :func:`audiodecode.load`.
    transform : callable ``(y, sr) -> object``, optional
        Run on each decoded clip in the Ray task; its result is stored in ``audio``.

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> sf.write("a.wav", np.random.default_rng(0).uniform(-.5, .5, 8000), 8000)
    >>> decode = DecodeBatch(sr=4000)
    >>> out = decode({"path": np.array(["a.wav", "missing.wav"]), "label": np.array([1, 2])})
    >>> out["audio"][0].shape, out["sample_rate"], out["label"].tolist()
    ((4000,), [4000, None], [1, 2])
    >>> print(out["error"][1])
    FileNotFoundError: [Errno 2] No such file or directory: 'missing.wav'
    """

    def __init__(
        self,
        *,
        column: str = "path",
        sr: float | None = 22050,
        mono: bool = True,
        offset: float = 0.0,
        duration: float | None = None,
        dtype: DTypeLike = np.float32,
        res_type: str = "soxr_hq",
        backend: str | None = None,
        max_duration: float | None = None,
        transform: Callable[[np.ndarray, float], Any] | None = None,
    ) -> None:
        self.column = column
        #: ``load``'s options, checked here, in the driver, rather than in every worker.
        self.options = LoadOptions(sr, mono, offset, duration, dtype, res_type, backend,
                                   max_duration).checked()
        if transform is not None and not callable(transform):
            msg = f"transform={transform!r} is not callable"
            raise TypeError(msg)
        self.transform = transform

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        if self.column not in batch:
            msg = f"the batch has no column {self.column!r}; its columns are {sorted(batch)}"
            raise KeyError(msg)
        values: list[Any] = []
        rates: list[float | None] = []
        errors: list[str | None] = []
        for source in batch[self.column]:
            try:
                y, sr = load_with_options(_plain(source), self.options)
                value = y if self.transform is None else self.transform(y, sr)
            except Exception as exc:  # noqa: BLE001, PERF203 - a bad file is a row, not a crash
                values.append(None)
                rates.append(None)
                errors.append(describe_failure(exc))
            else:
                values.append(value)
                rates.append(sr)
                errors.append(None)
        placeholder = self._placeholder(values, errors)
        out = dict(batch)
        out["audio"] = [
            placeholder if e is not None else v for v, e in zip(values, errors, strict=True)
        ]
        out["sample_rate"] = rates
        out["error"] = errors
        return out

    def _placeholder(self, values: list[Any], errors: list[str | None]) -> Any:
        # A failed row must not change the column's type: Ray stores arrays next to a None
        # as lists (or pickled objects), so it gets an empty array shaped like its neighbours.
        for value, error in zip(values, errors, strict=True):
            if error is None:
                if isinstance(value, np.ndarray):
                    return np.empty((0,) * value.ndim, value.dtype)
                return None
        if self.transform is None:
            return np.empty(0, self.options.dtype)
        return None

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in self.options.keywords().items())
        return f"{type(self).__name__}(column={self.column!r}, {options})"


def _plain(source: Any) -> Any:
    # Ray hands numpy scalars (np.str_, np.bytes_) or object-array items to the function.
    if isinstance(source, np.str_):
        return str(source)
    if isinstance(source, np.bytes_):
        return bytes(source)
    return source


def read_audio(
    paths_or_dir: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    sr: float | None = 22050,
    mono: bool = True,
    offset: float = 0.0,
    duration: float | None = None,
    dtype: DTypeLike = np.float32,
    res_type: str = "soxr_hq",
    backend: str | None = None,
    max_duration: float | None = None,
    transform: Callable[[np.ndarray, float], Any] | None = None,
    batch_size: int = 16,
    override_num_blocks: int | None = None,
    **ray_remote_args: Any,
) -> ray.data.Dataset:
    """A Ray Dataset of decoded audio: one row per file, decoded in Ray tasks.

    Parameters
    ----------
    paths_or_dir : path, URL, or iterable of them
        Files, or directories searched recursively for audio (see :func:`list_audio_files`).
        URLs (``s3://``, ``gs://``, ``https://``...) are listed and read through fsspec; on a
        cluster every worker must be able to reach them (object storage or a shared disk).
    sr, mono, offset, duration, dtype, res_type, backend, max_duration
        As in :func:`audiodecode.load`, the same for every file. ``sr`` defaults to librosa's
        22050; pass ``sr=16000`` (or ``None`` for each file's own rate) for speech models.
    transform : callable ``(y, sr) -> object``, optional
        Run on each decoded clip inside the Ray task; its result is stored in ``audio``.
    batch_size : int > 0
        Files per ``map_batches`` call.
    override_num_blocks : int, optional
        Passed to ``ray.data.from_items``: how many blocks (and so at least how many tasks)
        the list of paths is split into.
    **ray_remote_args
        Passed to ``Dataset.map_batches``: ``num_cpus``, ``memory``, ``concurrency``,
        ``runtime_env``...

    Returns
    -------
    ray.data.Dataset
        Columns ``path`` (str), ``audio`` (the array, variable length), ``sample_rate`` and
        ``error`` (``None``, or ``"<ExceptionType>: <reason>"``). The dataset is lazy: nothing
        is decoded until it is consumed.

    Raises
    ------
    ImportError
        Ray Data is not installed.
    FileNotFoundError
        A path or directory given does not exist.
    TypeError, ValueError
        A ``load`` option is invalid (checked before anything runs).

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> sf.write("a.wav", np.random.default_rng(0).uniform(-.5, .5, 8000), 8000)
    >>> ds = read_audio(["a.wav"], sr=None)  # doctest: +SKIP
    >>> row = ds.take(1)[0]  # doctest: +SKIP
    >>> row["audio"].shape, row["sample_rate"], row["error"]  # doctest: +SKIP
    ((8000,), 8000, None)
    """
    try:
        import ray.data
    except ImportError:
        msg = "audiodecode.ray.read_audio needs Ray Data: pip install 'audiodecode[ray]'"
        raise ImportError(msg) from None
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        msg = f"batch_size={batch_size!r} must be a positive integer"
        raise ValueError(msg)
    options = LoadOptions(sr, mono, offset, duration, dtype, res_type, backend, max_duration)
    decode = DecodeBatch(transform=transform, **options.keywords())
    if isinstance(paths_or_dir, (str, os.PathLike)):
        paths_or_dir = [paths_or_dir]
    paths = [path for entry in paths_or_dir for path in _expand(entry)]
    items = [{"path": path} for path in paths]
    # Only passed when given: older Ray (before 2.10) calls it ``parallelism``.
    blocks = {} if override_num_blocks is None else {"override_num_blocks": override_num_blocks}
    ds = ray.data.from_items(items, **blocks)
    return ds.map_batches(decode, batch_size=batch_size, batch_format="numpy", **ray_remote_args)


def _expand(entry: str | os.PathLike[str]) -> Iterator[str]:
    """A file as itself, a directory as the audio files under it."""
    path = _local(os.fspath(entry))
    if _is_url(path):
        fs, fs_path = _url_to_fs(path)
        if fs.isdir(fs_path):
            yield from list_audio_files(path)
        elif fs.exists(fs_path):
            yield path
        else:
            raise FileNotFoundError(2, "No such file or directory", path)
    elif os.path.isdir(path):
        yield from list_audio_files(path)
    elif os.path.exists(path):
        yield path
    else:
        raise FileNotFoundError(2, "No such file or directory", path)


def list_audio_files(directory: str | os.PathLike[str]) -> list[str]:
    """The audio files under ``directory``, recursively, in sorted order.

    Folders are walked and files judged as everywhere in audiodecode (the ``decode``,
    ``info`` and ``bench`` commands find the same files): from their bytes, never their
    names. A file is taken when a backend can open it as audio, or when its first bytes are
    those of an audio container even if it is damaged (it becomes a row whose ``error`` says
    why); MIDI, images, text and videos without sound are left out. Hidden files and folders
    (``.name``) are skipped and links to folders are not followed. A URL (``s3://bucket/prefix``,
    ``memory://dir``...) is listed through fsspec, and the files are returned as URLs of the
    same scheme.

    Examples
    --------
    >>> import os, numpy as np, soundfile as sf
    >>> os.makedirs("corpus/speaker1", exist_ok=True)
    >>> sf.write("corpus/speaker1/take_001", np.zeros(800), 8000, format="FLAC")
    >>> sf.write("corpus/a.wav", np.zeros(800), 8000)
    >>> with open("corpus/notes.txt", "w") as notes:
    ...     _ = notes.write("not audio")
    >>> list_audio_files("corpus")
    ['corpus/a.wav', 'corpus/speaker1/take_001']
    """
    path = _local(os.fspath(directory))
    if _is_url(path):
        fs, root = _url_to_fs(path)
        # fs.find gives paths without the scheme; put back the caller's spelling of it
        # (fs.unstrip_protocol would turn local:// into file://).
        scheme = path.split("://", 1)[0]
        urls = [
            f"{scheme}://{name}"
            for name in fs.find(root)
            if not _hidden(name[len(root.rstrip("/")) :])
        ]
    elif os.path.isdir(path):
        urls = [found.path for found in walk([path])]
    else:
        raise NotADirectoryError(20, "Not a directory", path)
    return sorted(url for url in urls if classify(url).kind != NOT_AUDIO)


def _hidden(relative: str) -> bool:
    return any(part.startswith(".") for part in relative.split("/") if part)


def _is_url(path: str) -> bool:
    return "://" in path


def _local(path: str) -> str:
    # file:// URLs are plain paths to audiodecode.load as well.
    return path.removeprefix("file://")


def _url_to_fs(url: str) -> tuple[Any, str]:
    try:
        import fsspec
    except ImportError:
        msg = f"{url}: listing URLs needs fsspec (pip install 'audiodecode[remote]')"
        raise ImportError(msg) from None
    fs, fs_path = fsspec.core.url_to_fs(url)
    return fs, fs_path
