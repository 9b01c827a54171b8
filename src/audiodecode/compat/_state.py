"""The librosa patch's state: written by :mod:`audiodecode.compat` when it patches and unpatches,
read by the per-call routers of :mod:`audiodecode.compat._routes` on every call.

A module of its own so that both import it and neither imports the other back (no import
cycle): compat builds the wrappers, and the per-call routing needs only this.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["ABSENT", "STATE", "Binding", "PatchState"]


@dataclass
class Binding:
    """One name in one namespace that the patch rebound, and what was there before."""

    namespace: dict[str, Any]
    module_name: str
    key: str
    previous: Any  # ABSENT when the name was not in the namespace (a lazy package attribute)
    wrapper: Callable[..., Any]


#: ``Binding.previous`` of a name the patch added rather than replaced.
ABSENT = object()


@dataclass
class PatchState:
    active: bool = False
    librosa_version: str = ""
    #: librosa < 1.0 has its own rules for negative offsets and ``duration=0`` (see the routers).
    legacy_librosa: bool = False
    #: librosa 1.0 wraps ``stream`` in ``future_default(sr)``, which warns when sr is left out.
    stream_is_decorated: bool = False
    bindings: list[Binding] = field(default_factory=list)


#: The one patch state; compat changes it under its lock.
STATE = PatchState()
