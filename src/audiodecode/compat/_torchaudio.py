"""Run existing ``torchaudio.load``/``info``/``save`` code through audiodecode.

For programs that ``import torchaudio`` where it still imports (torch <= 2.11)::

    import audiodecode.compat
    audiodecode.compat.patch_torchaudio()

    import torchaudio
    waveform, sr = torchaudio.load("speech.flac")   # decoded by audiodecode.torchaudio

:func:`patch_torchaudio` replaces ``torchaudio.load``, ``info`` and ``save`` (and, where
torchaudio has them, ``load_with_torchcodec``/``save_with_torchcodec``, which then need
neither torchcodec nor FFmpeg's libraries) as attributes of the ``torchaudio`` module;
:func:`unpatch_torchaudio` puts the very same objects back. Names a module bound earlier with
``from torchaudio import load`` keep the original: import after patching, or call
``torchaudio.load``.
"""

from __future__ import annotations

import functools
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["is_torchaudio_patched", "patch_torchaudio", "unpatch_torchaudio"]

_lock = threading.Lock()
#: name -> the torchaudio attribute it replaced, while patched
_originals: dict[str, Any] = {}

#: What :func:`patch_torchaudio` replaces, where torchaudio has it.
TORCHAUDIO_FUNCTIONS = ("load", "info", "save", "load_with_torchcodec", "save_with_torchcodec")


def _import_torchaudio() -> Any:
    try:
        import torchaudio
    except ImportError as exc:
        msg = ("patch_torchaudio needs torchaudio installed (pip install 'torchaudio<2.12'); "
               "without it, use `import audiodecode.torchaudio as torchaudio` instead")
        raise ImportError(msg) from exc
    return torchaudio


def _replacements() -> dict[str, Callable[..., Any]]:
    from .. import torchaudio as ours

    def load_with_torchcodec(uri: Any, frame_offset: int = 0, num_frames: int = -1,
                             normalize: bool = True, channels_first: bool = True,
                             format: str | None = None,  # noqa: A002 - torchaudio's name
                             buffer_size: int = 4096, backend: str | None = None) -> Any:
        # torchcodec always returns float32 decoded by FFmpeg; the other arguments are ignored.
        return ours.load(uri, frame_offset, num_frames, True, channels_first, backend="ffmpeg")

    def save_with_torchcodec(uri: Any, src: Any, sample_rate: int, channels_first: bool = True,
                             format: str | None = None,  # noqa: A002 - torchaudio's name
                             encoding: str | None = None, bits_per_sample: int | None = None,
                             buffer_size: int = 4096, backend: str | None = None,
                             compression: Any = None) -> None:
        if src.ndim == 1:  # torchcodec's encoder takes one channel as a 1D tensor
            src = src.unsqueeze(0) if channels_first else src.unsqueeze(1)
        ours.save(uri, src, sample_rate, channels_first, format, encoding, bits_per_sample)

    return {"load": ours.load, "info": ours.info, "save": ours.save,
            "load_with_torchcodec": load_with_torchcodec,
            "save_with_torchcodec": save_with_torchcodec}


def patch_torchaudio(verbose: bool = False) -> None:
    """Make ``torchaudio.load``/``info``/``save`` (and the ``*_with_torchcodec`` pair) decode
    and encode through :mod:`audiodecode.torchaudio`. Calling it twice changes nothing.

    Parameters
    ----------
    verbose : bool
        Say once, on stderr, what was patched (as :func:`patch_librosa` does).

    Raises
    ------
    ImportError
        torchaudio is not installed (or does not import with this torch).

    Examples
    --------
    >>> import sys, types
    >>> real = sys.modules.get("torchaudio")
    >>> sys.modules["torchaudio"] = types.SimpleNamespace(load=print)  # a stand-in
    >>> patch_torchaudio()
    >>> sys.modules["torchaudio"].load.__module__
    'audiodecode.torchaudio'
    >>> unpatch_torchaudio()
    >>> sys.modules["torchaudio"].load is print
    True
    >>> _ = sys.modules.pop("torchaudio") if real is None else sys.modules.update(torchaudio=real)
    """
    torchaudio = _import_torchaudio()
    with _lock:
        if _originals:
            return
        for name, replacement in _replacements().items():
            if not hasattr(torchaudio, name):
                continue
            _originals[name] = getattr(torchaudio, name)
            setattr(torchaudio, name, _mark(replacement, _originals[name]))
        names = list(_originals)
    if verbose and names:
        import sys

        version = getattr(torchaudio, "__version__", "?")
        print(f"audiodecode: torchaudio {version}'s {', '.join(names)} now run through "
              "audiodecode. Undo with audiodecode.compat.unpatch_torchaudio().", file=sys.stderr)


def _mark(replacement: Callable[..., Any], original: Any) -> Callable[..., Any]:
    @functools.wraps(replacement)
    def patched(*args: Any, **kwargs: Any) -> Any:
        return replacement(*args, **kwargs)

    patched.__audiodecode_original__ = original  # type: ignore[attr-defined]
    return patched


def unpatch_torchaudio() -> None:
    """Put back the objects :func:`patch_torchaudio` replaced (the same objects).

    Examples
    --------
    >>> unpatch_torchaudio()  # not patched: nothing to do
    """
    with _lock:
        if not _originals:
            return
        torchaudio = _import_torchaudio()
        for name, original in _originals.items():
            setattr(torchaudio, name, original)
        _originals.clear()


def is_torchaudio_patched() -> bool:
    """Whether :func:`patch_torchaudio` is in effect.

    Examples
    --------
    >>> is_torchaudio_patched()
    False
    """
    return bool(_originals)
