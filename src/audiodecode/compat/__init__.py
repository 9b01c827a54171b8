"""Run existing librosa code through audiodecode, without changing it.

Two lines at the top of a program (or ``audiodecode run script.py``, or
``AUDIODECODE_PATCH_LIBROSA=1``) and every ``librosa.load`` in it returns the same array,
decoded by audiodecode::

    import audiodecode.compat
    audiodecode.compat.patch_librosa()

    import librosa
    y, sr = librosa.load("speech.wav")   # decoded by audiodecode, bit for bit librosa's array

:func:`patch_librosa` replaces four functions, wherever a program reaches them:
``librosa.load``, ``librosa.get_duration``, ``librosa.get_samplerate`` and ``librosa.stream``,
as attributes of ``librosa``, ``librosa.core`` and ``librosa.core.audio``, and as names that
other modules bound with ``from librosa import load`` (under any alias) before the patch.
Every other librosa function is left alone. :func:`unpatch_librosa` puts the originals back,
:func:`librosa_patched` does both around a ``with`` block, :func:`is_patched` tells.

Which calls audiodecode answers
-------------------------------
A patched function hands a call to audiodecode only where audiodecode gives librosa's answer;
everything else goes to the original librosa function, unchanged:

* ``load`` with ``dtype`` float32/float64 and a ``res_type`` ``librosa.resample`` knows:
  audiodecode.
* ``load`` with any other ``dtype`` (int16, float16...): librosa.
* ``load`` with an unknown ``res_type``: librosa (and its ``ParameterError``).
* ``load`` of an ``audioread`` object (librosa 0.11): librosa.
* ``load``, ``get_duration``, ``get_samplerate`` of a path libsndfile cannot read, on
  librosa < 1.0: librosa (0.11 reads it with audioread, and warns that it does).
* ``load``/``stream`` with a negative ``offset``, on librosa < 1.0: librosa (0.11 seeks
  before the start and fails; 1.0 counts from the end).
* ``stream`` with ``duration=0`` on librosa < 1.0: librosa (0.11 reads it as "to the end").
* ``get_duration(path=...)``, ``get_samplerate(path)``: audiodecode (the header, no
  decoding).
* ``get_duration(y=...)`` / ``get_duration(S=...)``: librosa (arithmetic: nothing to
  decode).
* ``stream`` with a non-soxr ``res_type``, a non-positive length, or (on an open
  ``SoundFile``) a block step that is fractional at the file's rate: librosa (its
  ``ParameterError``).
* ``stream`` without ``sr=`` on librosa 1.0: librosa (its decorator warns that the default
  changes in 1.1).
* a parameter audiodecode does not know, given a value other than its default (a future
  librosa's): librosa.
* arguments that do not fit the signature: librosa (its ``TypeError``).
* anything audiodecode fails on (a missing file, a damaged one, an ``offset`` past the
  end...): librosa, from the start: same result or same exception as without the patch.

The last case makes errors librosa's own: code that catches ``soundfile.LibsndfileError`` or
``librosa.util.exceptions.ParameterError`` keeps working. (A file descriptor or an open
``soundfile.SoundFile`` has been consumed by then, so for those audiodecode's exception
propagates instead.) The ``audiodecode.compat`` logger says at DEBUG level which calls fell
back, and why.

One difference is deliberate: where librosa has no answer, audiodecode may give one. For a
file libsndfile cannot read (AAC/M4A, WMA, video, integer WAV wider than 32 bits...) librosa
1.0 raises, and so do librosa 0.11's ``stream`` and its ``load`` of anything but a path.
Patched, those calls decode in-process (through FFmpeg's libraries, PyAV, or audiodecode's
WAV reader) at full precision. A *path* that librosa 0.11 hands to audioread (which runs the
``ffmpeg`` program and returns 16-bit samples, with a warning) still goes to librosa: that
answer is librosa's own.

Limits of the rebinding
-----------------------
A reference to ``librosa.load`` taken *before* the patch is replaced where it is a global name
of a module (``from librosa import load``, ``from librosa import load as lr_load``): the patch
scans the namespaces in ``sys.modules`` for the original function objects (5-10 ms with
librosa, scipy and numba loaded). References held anywhere else keep the original: a default argument
(``def f(loader=librosa.load)``), a class attribute, a dict or list, a ``functools.partial``, a
closure. Bind those after the patch, or call through the module (``librosa.load(...)``).
A reference taken *during* the patch calls the original again after :func:`unpatch_librosa`.
Processes started with ``spawn``/``forkserver`` import librosa afresh and are not patched
(``fork``, Linux's default before Python 3.14, inherits the patch).

Environment switches
--------------------
``AUDIODECODE_BACKEND=librosa``
    Rollback without a code change: :func:`audiodecode.load` calls ``librosa.load``
    (:func:`load_with_librosa`), and the patched functions call librosa's own. Read once, at
    import.
``AUDIODECODE_PATCH_LIBROSA=1``
    ``import audiodecode`` patches librosa, quietly (importing librosa then).

The wrappers keep librosa's names, docstrings and signatures (``functools.wraps``), so
``inspect.signature(librosa.load)``, ``help(librosa.load)`` and pickling by reference still work.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import sys
import threading
import types
from typing import TYPE_CHECKING, Any

from .. import _load
from .._load import BACKEND_ENV, import_librosa, original
from ._datasets import is_datasets_patched, patch_datasets, unpatch_datasets
from ._routes import make_wrapper
from ._state import ABSENT, STATE, Binding
from ._torchaudio import is_torchaudio_patched, patch_torchaudio, unpatch_torchaudio

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import numpy as np

    from .._source import AudioSource

__all__ = [
    "BACKEND_ENV",
    "LIBRARIES",
    "PATCHED_FUNCTIONS",
    "PATCH_ENV",
    "is_datasets_patched",
    "is_patched",
    "is_torchaudio_patched",
    "librosa_patched",
    "load_with_librosa",
    "patch_datasets",
    "patch_from_environment",
    "patch_installed",
    "patch_librosa",
    "patch_switch",
    "patch_torchaudio",
    "unpatch_datasets",
    "unpatch_librosa",
    "unpatch_torchaudio",
]

#: The librosa functions :func:`patch_librosa` replaces.
PATCHED_FUNCTIONS = ("load", "get_duration", "get_samplerate", "stream")

#: The libraries audiodecode can stand in for, in the order :func:`patch_installed` patches
#: them. ``AUDIODECODE_PATCH_<NAME>=1`` (:func:`patch_switch`) patches one when audiodecode is
#: imported; ``=0`` keeps ``audiodecode run`` from patching it.
LIBRARIES = ("librosa", "torchaudio", "datasets")

#: ``AUDIODECODE_PATCH_LIBROSA=1`` patches librosa when audiodecode is imported.
#: (``BACKEND_ENV``, ``AUDIODECODE_BACKEND=librosa``, is the rollback switch: ``audiodecode._load``.)
PATCH_ENV = "AUDIODECODE_PATCH_LIBROSA"


# --------------------------------------------------------------------------------------------
# the patch
#
# The state (compat._state) is changed here, under _LOCK; each call's routing, which reads
# it, is compat._routes's.

_LOCK = threading.RLock()


def patch_librosa(verbose: bool = True) -> None:
    """Make ``librosa.load``, ``get_duration``, ``get_samplerate`` and ``stream`` decode with
    audiodecode.

    The arrays are librosa's own, bit for bit; calls audiodecode would answer differently go
    to librosa unchanged (see the module docstring for the list). Imports librosa if the
    program has not yet. Calling it again does nothing.

    Parameters
    ----------
    verbose : bool
        Say once, on stderr, what was patched. (Not a warning: test suites that turn warnings
        into errors keep passing.)

    Raises
    ------
    ImportError
        librosa is not installed; the message says how to install it.

    See Also
    --------
    unpatch_librosa : Put librosa's functions back.
    librosa_patched : The patch for the duration of a ``with`` block.

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> sf.write("tone.wav", np.sin(np.arange(44100) / 7).astype("float32"), 44100)
    >>> from audiodecode.compat import patch_librosa, unpatch_librosa
    >>> patch_librosa(verbose=False)
    >>> import librosa
    >>> y, sr = librosa.load("tone.wav")  # decoded by audiodecode
    >>> y.shape, sr
    ((22050,), 22050)
    >>> unpatch_librosa()
    """
    with _LOCK:
        if STATE.active:
            return
        librosa = import_librosa()
        # Where librosa defines them; what a lazy ``librosa.load`` lookup would return.
        defined = {name: getattr(sys.modules["librosa.core.audio"], name)
                   for name in PATCHED_FUNCTIONS}
        originals = _find_originals(defined)
        wrappers = {id(obj): make_wrapper(name, obj) for name, obj in originals.values()}
        bindings = _rebind_module_globals(originals, wrappers)
        # librosa and librosa.core resolve their attributes lazily (lazy_loader) and cache them
        # on first access: where nothing has touched a name yet, set it, and remember to delete
        # it again on unpatch so that the lazy lookup finds the original.
        for package_name in _LAZY_PACKAGES:
            namespace = _namespace(sys.modules[package_name])
            assert namespace is not None  # both are imported by now
            for name in PATCHED_FUNCTIONS:
                if name not in namespace:
                    wrapper = wrappers[id(defined[name])]
                    namespace[name] = wrapper
                    bindings.append(Binding(namespace, package_name, name, ABSENT, wrapper))
        STATE.active = True
        STATE.librosa_version = str(getattr(librosa, "__version__", "?"))
        STATE.legacy_librosa = _major_version(STATE.librosa_version) < 1
        STATE.stream_is_decorated = inspect.unwrap(defined["stream"]) is not defined["stream"]
        STATE.bindings = bindings
    if verbose:
        print(_patch_message(bindings), file=sys.stderr)


def unpatch_librosa() -> None:
    """Put back librosa's own functions, exactly as they were (``librosa.load is original``).

    Names that the patch rebound and that something else has rebound since are left alone.
    Calling it when librosa is not patched does nothing.

    Examples
    --------
    >>> from audiodecode.compat import is_patched, patch_librosa, unpatch_librosa
    >>> patch_librosa(verbose=False)
    >>> unpatch_librosa()
    >>> is_patched()
    False
    """
    with _LOCK:
        if not STATE.active:
            return
        for binding in reversed(STATE.bindings):
            if binding.namespace.get(binding.key, ABSENT) is not binding.wrapper:
                continue
            if binding.previous is ABSENT:
                del binding.namespace[binding.key]
            else:
                binding.namespace[binding.key] = binding.previous
        STATE.active = False
        STATE.bindings = []


def is_patched() -> bool:
    """Whether :func:`patch_librosa` is in effect.

    Examples
    --------
    >>> from audiodecode.compat import is_patched, librosa_patched
    >>> with librosa_patched():
    ...     is_patched()
    True
    """
    return STATE.active


@contextlib.contextmanager
def librosa_patched(verbose: bool = False) -> Iterator[None]:
    """Patch librosa for the duration of a ``with`` block.

    On exit librosa is unpatched, unless it was already patched on entry (so blocks nest).

    Parameters
    ----------
    verbose : bool
        As in :func:`patch_librosa`; quiet by default, since a block may run many times.

    Examples
    --------
    >>> import numpy as np, soundfile as sf, librosa
    >>> sf.write("tone.wav", np.sin(np.arange(44100) / 7).astype("float32"), 44100)
    >>> with librosa_patched():
    ...     y, sr = librosa.load("tone.wav", sr=None)
    >>> y.shape, sr
    ((44100,), 44100)
    """
    was_patched = is_patched()
    patch_librosa(verbose=verbose)
    try:
        yield
    finally:
        if not was_patched:
            unpatch_librosa()


_LAZY_PACKAGES = ("librosa", "librosa.core")


def _find_originals(
    defined: dict[str, Callable[..., Any]],
) -> dict[int, tuple[str, Callable[..., Any]]]:
    """The function objects to replace, by ``id``, with their librosa name.

    Usually one object per name, librosa.core.audio's; more when something has rebound
    ``librosa.load`` or ``librosa.core.load`` to a wrapper of its own: each then gets a wrapper
    that calls it. Only names already in the lazy packages' namespaces are looked at, so
    that finding them does not change those namespaces.
    """
    found = {id(function): (name, function) for name, function in defined.items()}
    for package_name in _LAZY_PACKAGES:
        namespace = _namespace(sys.modules[package_name]) or {}
        for name in PATCHED_FUNCTIONS:
            if name in namespace:
                found.setdefault(id(namespace[name]), (name, namespace[name]))
    return found


def _major_version(version: str) -> int:
    head = version.split(".")[0]
    return int(head) if head.isdigit() else 0


def _namespace(module: Any) -> dict[str, Any] | None:
    """A module's globals, without triggering a lazy module's load (``object.__getattribute__``)."""
    if not isinstance(module, types.ModuleType):
        return None
    try:
        namespace = object.__getattribute__(module, "__dict__")
    except AttributeError:
        return None
    return namespace if isinstance(namespace, dict) else None


def _rebind_module_globals(
    originals: dict[int, tuple[str, Callable[..., Any]]],
    wrappers: dict[int, Callable[..., Any]],
) -> list[Binding]:
    """Replace every module-global reference to an original by its wrapper."""
    targets = set(originals)
    bindings = []
    for module_name, module in list(sys.modules.items()):
        namespace = _namespace(module)
        # The C-level disjointness test skips the ~99% of modules that hold none of the
        # originals without a Python-level loop over their names.
        if namespace is None or targets.isdisjoint(map(id, list(namespace.values()))):
            continue
        for key, value in list(namespace.items()):
            if id(value) in targets and value is originals[id(value)][1]:
                namespace[key] = wrappers[id(value)]
                bindings.append(Binding(namespace, module_name, key, value, wrappers[id(value)]))
    return bindings


def _patch_message(bindings: list[Binding]) -> str:
    functions = ", ".join(PATCHED_FUNCTIONS[:-1]) + f" and {PATCHED_FUNCTIONS[-1]}"
    elsewhere = sorted({b.module_name for b in bindings if not b.module_name.startswith("librosa")})
    also = f" (also rebound in {', '.join(elsewhere)})" if elsewhere else ""
    if _load.ROLLED_BACK:
        effect = f"are patched{also}, but {BACKEND_ENV}=librosa is set: librosa answers every call"
    else:
        effect = f"now decode with audiodecode{also}"
    return (
        f"audiodecode: librosa {STATE.librosa_version}'s {functions} {effect}. "
        "Undo with audiodecode.compat.unpatch_librosa()."
    )


# --------------------------------------------------------------------------------------------
# every library at once: audiodecode run, and the switches read at import


def patch_switch(library: str) -> str:
    """The environment variable that switches the patch of ``library`` on (``1``) or off
    (``0``).

    Examples
    --------
    >>> patch_switch("torchaudio")
    'AUDIODECODE_PATCH_TORCHAUDIO'
    """
    return f"AUDIODECODE_PATCH_{library.upper()}"


def _switch(library: str) -> str:
    """What ``AUDIODECODE_PATCH_<NAME>`` says for ``library``: ``"1"``, ``"0"`` or ``""``."""
    return os.environ.get(patch_switch(library), "").strip()


def _patcher(library: str) -> Callable[..., None]:
    patcher: Callable[..., None] = globals()[f"patch_{library}"]
    return patcher


def patch_installed(*, verbose: bool = False) -> dict[str, str]:
    """Patch each of :data:`LIBRARIES` that is installed, unless its switch says ``0``.

    What ``audiodecode run`` does before it runs a program. A library that is installed but
    does not import (torchaudio built for another torch, say) is reported, not raised: the
    others are still patched.

    Parameters
    ----------
    verbose : bool
        Let each patch say, on stderr, what it replaced.

    Returns
    -------
    dict
        Library name -> ``"patched"``, ``"not installed"``, ``"switched off"`` or
        ``"not patched: <the import error>"``.

    Examples
    --------
    >>> import os
    >>> os.environ["AUDIODECODE_PATCH_DATASETS"] = "0"
    >>> os.environ["AUDIODECODE_PATCH_TORCHAUDIO"] = "0"
    >>> patch_installed()
    {'librosa': 'patched', 'torchaudio': 'switched off', 'datasets': 'switched off'}
    >>> unpatch_librosa()
    >>> del os.environ["AUDIODECODE_PATCH_DATASETS"], os.environ["AUDIODECODE_PATCH_TORCHAUDIO"]
    """
    import importlib.util

    outcome: dict[str, str] = {}
    for library in LIBRARIES:
        if _switch(library) == "0":
            outcome[library] = "switched off"
        elif importlib.util.find_spec(library) is None:
            outcome[library] = "not installed"
        else:
            try:
                _patcher(library)(verbose=verbose)
            except Exception as exc:  # noqa: BLE001 - any import failure: say it, go on
                outcome[library] = f"not patched: {exc}"
            else:
                outcome[library] = "patched"
    return outcome


def patch_from_environment() -> list[str]:
    """Patch, quietly, each library whose ``AUDIODECODE_PATCH_<NAME>`` is ``1``; return them.

    ``import audiodecode`` calls it where any such variable is set, so that a deployment
    patches a program (through a ``sitecustomize`` that imports audiodecode, say) without
    changing its code.

    Examples
    --------
    >>> patch_from_environment()  # none is set here
    []
    """
    chosen = [library for library in LIBRARIES if _switch(library) == "1"]
    for library in chosen:
        _patcher(library)(verbose=False)
    return chosen


# --------------------------------------------------------------------------------------------
# librosa's own functions, patched or not


def load_with_librosa(path: AudioSource, **librosa_kwargs: Any) -> tuple[np.ndarray, float]:
    """Decode with librosa's own ``librosa.load``, even while librosa is patched.

    The keywords go to librosa as they are, so this is librosa's ``load`` whatever its
    release takes (``AUDIODECODE_BACKEND=librosa`` sends :func:`audiodecode.load` to the same
    function, for a deployment to go back to librosa without a code change).

    Parameters
    ----------
    path : str, os.PathLike, or file-like
        What ``librosa.load`` reads.
    **librosa_kwargs
        ``librosa.load``'s keywords: ``sr``, ``mono``, ``offset``, ``duration``, ``dtype``,
        ``res_type``, with librosa's defaults.

    Returns
    -------
    y : np.ndarray
    sr : number

    Raises
    ------
    ImportError
        librosa is not installed.

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> sf.write("tone.wav", np.sin(np.arange(16000) / 5).astype("float32"), 16000)
    >>> y, sr = load_with_librosa("tone.wav", sr=None)
    >>> y.shape, sr
    ((16000,), 16000)
    """
    result: tuple[np.ndarray, float] = original("load")(path, **librosa_kwargs)
    return result

