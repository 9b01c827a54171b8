"""The file a decode-cache entry is (audiodecode.cache._format): headers np.load reads, that
parse back to what they were built from, and that refuse anything else."""

from __future__ import annotations

import io
import os
from typing import TYPE_CHECKING

import numpy as np
import pytest

from audiodecode.cache._format import (
    HEADER_BYTES,
    READ_FLAGS,
    WRITE_FLAGS,
    build_header,
    parse_header,
    read_exactly,
    write_all,
)

if TYPE_CHECKING:
    from pathlib import Path

DIGEST = "0123456789abcdef" * 2


@pytest.mark.parametrize(
    ("shape", "descr", "fortran", "sr"),
    [((0,), "<f4", False, 16000), ((5,), "<f8", False, 22050.5), ((2, 3), "<f4", False, 8000),
     ((2, 3), "<f4", True, 1 / 3), ((1, 44100 * 3600), "<f8", True, 44100)],
)
def test_a_header_parses_back_and_np_load_reads_the_entry(shape, descr, fortran, sr):
    header = build_header(shape, descr, fortran, sr, DIGEST)
    assert len(header) == HEADER_BYTES
    parsed = parse_header(header, DIGEST)
    assert parsed == (shape, np.dtype(descr), fortran, sr)
    assert type(parsed[3]) is type(sr)  # an int rate stays an int, a float keeps every bit
    if np.prod(shape) < 100:
        y = np.arange(np.prod(shape), dtype=descr).reshape(shape[::-1] if fortran else shape)
        y = y.T if fortran else y
        loaded = np.load(io.BytesIO(header + (y.T if fortran else y).tobytes()))
        np.testing.assert_array_equal(loaded, y, strict=True)
        assert loaded.flags.f_contiguous == (fortran or y.ndim == 1)


def test_a_header_for_another_key_or_altered_is_refused():
    header = build_header((2, 3), "<f4", False, 16000, DIGEST)
    assert parse_header(header, "f" * 32) is None  # another key's entry under this name
    assert parse_header(header[:-1], DIGEST) is None
    assert parse_header(header + b" ", DIGEST) is None
    assert parse_header(header.replace(b"(2, 3)", b"(3, 2)"), DIGEST) is None  # dict != comment
    assert parse_header(header.replace(b"<f4", b"<i2"), DIGEST) is None  # not a float dtype
    assert parse_header(bytes(HEADER_BYTES), DIGEST) is None
    assert header.startswith(np.lib.format.magic(1, 0))  # np.save's own preamble


def test_fields_that_do_not_fit_fail_as_a_write_would():
    with pytest.raises(OSError, match="too long"):
        build_header((10**100, 10**100), "<f4", False, 16000, DIGEST)


def test_exact_reads_and_writes(tmp_path: Path):
    path = str(tmp_path / "entry")
    data = np.arange(1000, dtype="<f4")
    fd = os.open(path, WRITE_FLAGS, 0o600)
    try:
        write_all(fd, b"x" * HEADER_BYTES)
        write_all(fd, data.data.cast("B"))
    finally:
        os.close(fd)
    assert os.path.getsize(path) == HEADER_BYTES + data.nbytes
    fd = os.open(path, READ_FLAGS)
    try:
        back = np.empty_like(data)
        assert read_exactly(fd, back, HEADER_BYTES)
        np.testing.assert_array_equal(back, data, strict=True)
        assert not read_exactly(fd, np.empty(1001, "<f4"), HEADER_BYTES)  # the file ends first
    finally:
        os.close(fd)
