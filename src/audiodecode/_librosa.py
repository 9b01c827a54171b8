"""librosa, imported on demand, and its own functions behind the librosa patch's wrappers.

Shared by :mod:`audiodecode.compat` (which patches librosa) and :mod:`audiodecode.bench.compare`
(which times librosa's own ``load`` even while it is patched), so that neither imports the
other.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import types
    from collections.abc import Callable

INSTALL_HINT = "pip install librosa  (or pip install 'audiodecode[librosa]')"

#: Set on each wrapper :func:`audiodecode.compat.patch_librosa` installs; ``functools.wraps``
#: keeps the function it wraps in ``__wrapped__``.
PATCH_MARK = "__audiodecode_patch__"


def import_librosa() -> types.ModuleType:
    """``librosa``, with ``librosa.core.audio`` loaded; an ImportError that says how to install
    it where it is missing."""
    try:
        librosa = importlib.import_module("librosa")
        importlib.import_module("librosa.core.audio")
    except ModuleNotFoundError as exc:
        if exc.name != "librosa":
            raise  # librosa is there but something it needs is not: its own message says what
        msg = f"audiodecode.compat needs librosa, which is not installed: {INSTALL_HINT}"
        raise ImportError(msg, name="librosa") from None
    return librosa


def original(name: str) -> Callable[..., Any]:
    """librosa's own function ``name``, never the patch's wrapper.

    Examples
    --------
    >>> original("load").__module__
    'librosa.core.audio'
    """
    function: Callable[..., Any] = getattr(import_librosa(), name)
    while getattr(function, PATCH_MARK, False):
        function = function.__wrapped__  # type: ignore[attr-defined]
    return function
