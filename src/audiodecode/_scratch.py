"""Per-thread scratch buffers that outlive one load.

A fresh buffer costs its page faults on every call (about a third of a speech clip's load at
16 kHz) and, in threads, the kernel serialises them. So the pipeline's block buffers and the
WAV reader's raw bytes come from here: each thread keeps a few buffers, a run borrows what it
needs and gives it back when it ends. A buffer is never shared while borrowed, so nested runs
in one thread (a ``load`` inside a ``stream`` loop) each get their own.
"""

from __future__ import annotations

import threading

import numpy as np

# Larger buffers are left to the garbage collector: keeping them would pin that much memory
# in every thread that once read a long file.
KEEP_BYTES = 16 << 20
# A downmixed, resampled WAV load borrows three at once (the file's bytes, its samples, the
# mix); one more serves a nested load.
KEEP_BUFFERS = 4


class _Pool(threading.local):
    def __init__(self) -> None:
        self.free: list[np.ndarray] = []


_pool = _Pool()


def borrow_bytes(nbytes: int) -> np.ndarray:
    """A uint8 buffer of at least ``nbytes`` bytes, this thread's to use until :func:`give_back`."""
    free = _pool.free
    for index, buffer in enumerate(free):
        if buffer.nbytes >= nbytes:
            return free.pop(index)
    return np.empty(max(nbytes, 1 << 12), np.uint8)


def give_back(buffer: np.ndarray) -> None:
    """Return a buffer from :func:`borrow_bytes` to this thread's pool (or drop it)."""
    free = _pool.free
    if buffer.nbytes <= KEEP_BYTES and len(free) < KEEP_BUFFERS:
        free.append(buffer)


def borrow_array(shape: tuple[int, ...], dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """``(buffer, array)``: a borrowed buffer, and its start as a C-contiguous ``array``.

    The ``buffer`` is what goes back to :func:`give_back` once the array is no longer used.
    """
    nbytes = dtype.itemsize
    for size in shape:
        nbytes *= size
    buffer = borrow_bytes(nbytes)
    return buffer, buffer[:nbytes].view(dtype).reshape(shape)
