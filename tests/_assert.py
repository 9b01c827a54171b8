"""Parity means bytes: the comparison every parity test uses.

``np.array_equal`` and ``np.testing.assert_array_equal`` call ``-0.0`` and ``+0.0`` equal and,
with ``equal_nan``, any two NaNs equal; an array that differs from librosa's only there is still
not librosa's array (a hash, a cache key or ``np.signbit`` tells them apart). These helpers
compare the dtype, the shape, then the bytes.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def assert_same_array(actual: Any, expected: Any, what: str = "") -> None:
    """Fail unless ``actual`` and ``expected`` are arrays of the same dtype, shape and bytes.

    The message names the first differing index and both values (their bit patterns too, so
    that ``-0.0`` against ``0.0`` or two NaNs are visible).
    """
    prefix = f"{what}: " if what else ""
    assert isinstance(actual, np.ndarray), f"{prefix}got {type(actual).__name__}, not an array"
    assert isinstance(expected, np.ndarray), f"{prefix}expected {type(expected).__name__}"
    assert actual.dtype == expected.dtype, f"{prefix}dtype {actual.dtype} != {expected.dtype}"
    assert actual.shape == expected.shape, f"{prefix}shape {actual.shape} != {expected.shape}"
    if actual.tobytes() == expected.tobytes():
        return
    a = np.ascontiguousarray(actual)
    b = np.ascontiguousarray(expected)
    bits = np.dtype(f"u{a.dtype.itemsize}") if a.dtype.kind in "fc" and a.dtype.itemsize <= 8 \
        else None
    if bits is not None:
        differ = a.view(bits) != b.view(bits)
    else:
        differ = a != b
    flat = np.flatnonzero(differ)
    first = np.unravel_index(flat[0], a.shape) if a.ndim else ()
    index = tuple(int(i) for i in first)
    x, y = a[index], b[index]
    detail = f"{x!r} != {y!r}"
    if bits is not None:
        detail += f" (bits {a.view(bits)[index]:#x} != {b.view(bits)[index]:#x})"
    msg = (f"{prefix}{flat.size} of {a.size} samples differ in their bytes; first at index "
           f"{index}: {detail}")
    raise AssertionError(msg)


def assert_same_load(actual: tuple[Any, Any], expected: tuple[Any, Any], what: str = "") -> None:
    """``(y, sr)`` pairs: the same array (bytes) and the same rate, of the same type."""
    (y, sr), (y_ref, sr_ref) = actual, expected
    assert_same_array(y, y_ref, what)
    assert sr == sr_ref, f"{what}: rate {sr!r} != {sr_ref!r}"
    assert type(sr) is type(sr_ref), f"{what}: rate type {type(sr)} != {type(sr_ref)}"


def assert_same_blocks(actual: list[Any], expected: list[Any], what: str = "") -> None:
    """Two lists of blocks (``stream``'s): the same count, each the same array."""
    assert len(actual) == len(expected), f"{what}: {len(actual)} blocks != {len(expected)}"
    for i, (a, b) in enumerate(zip(actual, expected, strict=True)):
        assert_same_array(a, b, f"{what} block {i}" if what else f"block {i}")


def assert_same_value(actual: Any, expected: Any, what: str = "") -> None:
    """Arrays by :func:`assert_same_array`, tuples and lists item by item, floats by their bit
    pattern (so ``-0.0`` is not ``0.0``, and a NaN equals the same NaN), anything else by ``==``
    and type."""
    if isinstance(expected, np.ndarray) or isinstance(actual, np.ndarray):
        assert_same_array(actual, expected, what)
    elif isinstance(expected, (tuple, list)):
        assert type(actual) is type(expected), f"{what}: {type(actual)} != {type(expected)}"
        assert len(actual) == len(expected), f"{what}: {len(actual)} items != {len(expected)}"
        for i, (a, b) in enumerate(zip(actual, expected, strict=True)):
            assert_same_value(a, b, f"{what}[{i}]")
    else:
        assert type(actual) is type(expected), f"{what}: {type(actual)} != {type(expected)}"
        if isinstance(expected, (float, np.floating)):
            assert np.array(actual).tobytes() == np.array(expected).tobytes(), \
                f"{what}: {actual!r} != {expected!r}"
        else:
            assert actual == expected, f"{what}: {actual!r} != {expected!r}"
