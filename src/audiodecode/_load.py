"""``load``: the rollback switch, then the decode cache if one is on, then the core's decode.

The layers that decode whole files (``load_batch``/``imap``, ``AudioDataset``, ``DecodeBatch``,
``read_audio``, the librosa patch) check their options once and call
:func:`load_with_options` per file, so each of them honours both switches as ``load`` does.
The core (:mod:`audiodecode._api` and below) knows neither: the cache wraps
:func:`audiodecode._api.decode` from here (:func:`use_cache`), and the rollback calls librosa
instead of it.

The rollback switch, ``AUDIODECODE_BACKEND=librosa``, is read once, at import: a deployment
goes back to librosa's own ``load`` (and the patched librosa functions to librosa's) without a
code change, and a load pays nothing for the check.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from ._api import decode
from ._options import FLOAT32, LoadOptions

if TYPE_CHECKING:
    import types
    from collections.abc import Callable

    from numpy.typing import DTypeLike

    from ._source import AudioSource

    #: A cache around the core's decode: ``(path, options, libsndfile_only) -> (y, sr)``.
    # (path, options, libsndfile_only, one_channel_as_decoded) -> (y, sr): _api.decode's
    CachedDecode = Callable[[str | os.PathLike[str], LoadOptions, bool, bool],
                            tuple[np.ndarray, float]]

__all__ = ["BACKEND_ENV", "PATCH_MARK", "ROLLED_BACK", "import_librosa", "load",
           "load_with_options", "original", "use_cache"]

#: The rollback switch's environment variable.
BACKEND_ENV = "AUDIODECODE_BACKEND"

#: Whether it asks for librosa.
ROLLED_BACK: bool = os.environ.get(BACKEND_ENV, "").strip().lower() == "librosa"

#: Set on each wrapper :func:`audiodecode.compat.patch_librosa` installs; ``functools.wraps``
#: keeps the function it wraps in ``__wrapped__``, so :func:`original` finds librosa's own.
PATCH_MARK = "__audiodecode_patch__"

LIBROSA_INSTALL_HINT = "pip install librosa  (or pip install 'audiodecode[librosa]')"

# The decode cache in use (audiodecode.cache.enable/disable set it); None: decode every time.
_cached_decode: CachedDecode | None = None


def use_cache(cached_decode: CachedDecode | None) -> None:
    """Send every load of a local path through ``cached_decode`` (``None``: decode directly).

    :mod:`audiodecode.cache` calls it from ``enable`` and ``disable``.

    Examples
    --------
    >>> use_cache(None)
    """
    global _cached_decode  # noqa: PLW0603 - the one switch, set by audiodecode.cache
    _cached_decode = cached_decode


def load(
    path: AudioSource,
    *,
    sr: float | None = 22050,
    mono: bool = True,
    offset: float = 0.0,
    duration: float | None = None,
    dtype: DTypeLike = np.float32,
    res_type: str = "soxr_hq",
    backend: str | None = None,
    max_duration: float | None = None,
) -> tuple[np.ndarray, float]:
    """Decode an audio file into a NumPy array, exactly as ``librosa.load`` would.

    Parameters
    ----------
    path : str, os.PathLike, int, bytes, binary file-like, or soundfile.SoundFile
        What to read: a path or URL, an open file descriptor (closed afterwards, as soundfile
        does), a binary file object, the file's bytes, or an open ``SoundFile`` (closed
        afterwards, as ``librosa.load`` does). The container is recognised from its first
        bytes, not its name.
    sr : number from 1 to 2**20, or None
        Target sampling rate in Hz; ``None`` keeps the file's own rate. Beyond that range
        libsoxr hangs or crashes (librosa accepts it and does).
    mono : bool
        Average all channels into one (``librosa.to_mono``).
    offset : float
        Start, in seconds; negative counts back from the end.
    duration : float or None
        Length to read, in seconds; ``None`` reads to the end.
    dtype : np.float32 or np.float64
        Floating-point type of ``y``.
    res_type : str
        Resampling method, as ``librosa.resample`` names them: ``"soxr_hq"`` (default),
        ``"soxr_vhq"``, ``"soxr_mq"``, ``"soxr_lq"``, ``"soxr_qq"``, ``"scipy"``/``"fft"``,
        ``"polyphase"``, ``"linear"``, ``"zero_order_hold"``, ``"sinc_best"``,
        ``"sinc_medium"``, ``"sinc_fastest"``, ``"kaiser_best"``, ``"kaiser_fast"``. Only the
        ``soxr_*`` methods stream in constant memory; the others need their package installed.
    backend : {"wav", "sndfile", "pyav"} or None
        Force one decoder; by default the first that reads the file, in that order.
    max_duration : float > 0 or None
        Refuse audio lasting longer than this many seconds (of the part read) with
        :class:`~audiodecode.AudioTooLargeError`; ``None`` uses the process default, 24 hours
        (:func:`set_max_duration`). With that default, a file may also decode to at most 1024
        bytes of output per byte of the file (or 256 MiB, whichever is more), the
        decompression-bomb bound: honest files stay far below it (FLAC about 4, 128 kbit/s
        MP3 about 22, 6 kbit/s Opus 512), a header claiming 22 Hz or 90 minutes of silence
        does not. Passing ``max_duration`` (``math.inf`` included) replaces both bounds.
        Not a ``librosa.load`` argument.

    Returns
    -------
    y : np.ndarray [shape=(n,) or (channels, n)]
        The samples; one-dimensional when mono or when the file has one channel.
    sr : number > 0
        ``sr`` as passed, or the file's native rate when ``sr=None``.

    Raises
    ------
    FileNotFoundError, IsADirectoryError, PermissionError
        ``path`` does not name a file (missing, a dangling symlink, a symlink loop,
        ``song.wav/``), names a directory, or names a file we may not read.
    ValueError
        An argument is out of range (``sr`` outside 1 to 2**20 Hz, an ``offset`` outside the
        audio, a file descriptor that is not open...).
    AudioDecodeError
        The data cannot be decoded; the message names the file and the reason. Subclasses:
        :class:`~audiodecode.CorruptAudioError`, :class:`~audiodecode.UnsupportedFormatError`
        (including a header rate beyond 16384 times ``sr``),
        :class:`~audiodecode.AudioTooLargeError` (``max_duration``, or the decompression-bomb
        bound above; never a bare ``MemoryError``),
        :class:`~audiodecode.NonFiniteAudioError` (NaN or infinity where librosa refuses them:
        ``mono=True`` or a target ``sr``) and
        :class:`~audiodecode.NotRegularFileError` (a FIFO, socket or device).

    See Also
    --------
    audiodecode.stream : The same pipeline, in fixed-size overlapping blocks.
    audiodecode.info : Rate, channels and length, without decoding.

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> sf.write("noise.wav", np.random.default_rng(0).uniform(-0.5, 0.5, 48000), 48000)
    >>> y, sr = load("noise.wav", sr=16000)
    >>> y.shape, y.dtype, sr
    ((16000,), dtype('float32'), 16000)
    """
    # The default dtype goes in resolved: checked() then has nothing to rebuild (``load`` is
    # called per file, and a rebuild costs as much as every check together).
    resolved = FLOAT32 if dtype is np.float32 else dtype
    options = LoadOptions(sr, mono, offset, duration, resolved, res_type, backend, max_duration)
    return load_with_options(path, options.checked())


def load_with_options(
    path: AudioSource, options: LoadOptions, *, libsndfile_only: bool = False,
    one_channel_as_decoded: bool = False,
) -> tuple[np.ndarray, float]:
    """:func:`load` with checked options: what the layers call for each file.

    ``load_batch``, ``imap``, ``AudioDataset``, ``DecodeBatch`` and the librosa patch check
    the options once (:meth:`LoadOptions.checked`), then call this per file.
    ``libsndfile_only`` and ``one_channel_as_decoded`` are :func:`audiodecode._api.decode`'s
    (the librosa patch's, under librosa 0.11).

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> sf.write("tone.wav", np.sin(np.arange(8000) / 10).astype("float32"), 8000)
    >>> y, sr = load_with_options("tone.wav", LoadOptions(sr=None).checked())
    >>> y.shape, sr
    ((8000,), 8000)
    """
    if ROLLED_BACK:
        # librosa's own load, behind the patch's wrapper if librosa is patched.
        result: tuple[np.ndarray, float] = original("load")(path, **options.librosa_keywords())
        return result
    cached_decode = _cached_decode
    if cached_decode is not None and isinstance(path, (str, os.PathLike)):
        return cached_decode(path, options, libsndfile_only, one_channel_as_decoded)
    return decode(path, options, libsndfile_only=libsndfile_only,
                  one_channel_as_decoded=one_channel_as_decoded)


def import_librosa() -> types.ModuleType:
    """``librosa``, with ``librosa.core.audio`` loaded; an ImportError that says how to install
    it where it is missing.

    Examples
    --------
    >>> import_librosa().__name__
    'librosa'
    """
    try:
        librosa = importlib.import_module("librosa")
        importlib.import_module("librosa.core.audio")
    except ModuleNotFoundError as exc:
        if exc.name != "librosa":
            raise  # librosa is there but something it needs is not: its own message says what
        msg = f"audiodecode.compat needs librosa, which is not installed: {LIBROSA_INSTALL_HINT}"
        raise ImportError(msg, name="librosa") from None
    return librosa


def original(name: str) -> Callable[..., Any]:
    """librosa's own function ``name``, never the librosa patch's wrapper.

    Examples
    --------
    >>> original("load").__module__
    'librosa.core.audio'
    """
    function: Callable[..., Any] = getattr(import_librosa(), name)
    while getattr(function, PATCH_MARK, False):
        function = function.__wrapped__  # type: ignore[attr-defined]
    return function
