"""Placeholder: `audiodecode run` is being written."""

from __future__ import annotations

from typing import Any


def add_parser(subparsers: Any) -> None:
    """Register the subcommand (not yet available)."""
