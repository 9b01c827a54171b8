"""Which decode cache ``load`` uses: one slot that :mod:`audiodecode.cache` fills and empties.

A module of its own so that ``_api`` reads it and ``cache`` writes it without either importing
the other at call time (no import cycle), and so that a load with the cache off pays one
attribute lookup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .cache._store import DecodeCache

#: The store ``audiodecode.load`` reads and writes; ``None`` while the cache is off.
active: DecodeCache | None = None
