"""The file a decode-cache entry is (audiodecode.cache._format): headers np.load reads, that
parse back to what they were built from, and that refuse anything else."""

from __future__ import annotations

import errno
import io
import os
import stat
from typing import TYPE_CHECKING

import numpy as np
import pytest
from _assert import assert_same_array

from audiodecode.cache._format import (
    DIR_FLAGS,
    HEADER_BYTES,
    READ_FLAGS,
    WRITE_FLAGS,
    build_header,
    is_cache_header,
    parse_header,
    payload_bytes,
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
        assert_same_array(loaded, y)
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
        assert_same_array(back, data)
        assert not read_exactly(fd, np.empty(1001, "<f4"), HEADER_BYTES)  # the file ends first
    finally:
        os.close(fd)


def test_a_header_marks_the_entry_as_the_caches_in_any_format_version():
    header = build_header((2, 3), "<f4", False, 16000, DIGEST)
    assert is_cache_header(header, DIGEST)
    assert not is_cache_header(header, "f" * 32)  # the name spells another digest
    older = header.replace(b"audiodecode-cache 1 ", b"audiodecode-cache 0 ")
    assert parse_header(older, DIGEST) is None  # never read as an array...
    assert is_cache_header(older, DIGEST)  # ...but still the cache's to evict
    plain = io.BytesIO()
    np.save(plain, np.zeros((2, 3), "<f4"))  # np.save's header is 128 bytes: not ours
    assert not is_cache_header(plain.getvalue()[:HEADER_BYTES], DIGEST)
    assert not is_cache_header(header[:-1], DIGEST)
    assert not is_cache_header(header.replace(b"audiodecode-cache", b"someone-elses-cache"),
                               DIGEST)


def test_the_size_a_header_claims_is_exact_for_any_shape():
    assert payload_bytes((2**20, 2**20), np.dtype("<f4")) == 4 * 2**40
    assert payload_bytes((10**30,), np.dtype("<f8")) == 8 * 10**30  # no int64 wrap-around
    assert payload_bytes((0,), np.dtype("<f4")) == 0
    assert payload_bytes((2, 3), np.dtype("<f8")) == 48


def open_error(path: Path, flags: int) -> int | None:
    """The errno with which ``os.open`` refuses ``path``, or None if it opens it."""
    try:
        os.close(os.open(path, flags))
    except OSError as exc:
        return exc.errno
    return None


@pytest.mark.skipif(not hasattr(os, "O_NOFOLLOW"), reason="POSIX open flags")
def test_writes_create_only_new_files_and_follow_no_symlink(tmp_path: Path):
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    (tmp_path / "link").symlink_to(victim)
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    for name in ("victim", "link", "dangling"):
        with pytest.raises(FileExistsError):
            os.open(tmp_path / name, WRITE_FLAGS, 0o600)
    assert victim.read_bytes() == b"precious"
    assert not (tmp_path / "nowhere").exists()
    # An entry is never read through a symlink (ELOOP; FreeBSD says EMLINK).
    assert open_error(tmp_path / "link", READ_FLAGS) in (errno.ELOOP, errno.EMLINK)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_reading_a_fifo_opens_at_once(tmp_path: Path):
    # With no writer, a blocking open would wait for ever; this one returns, and the store's
    # fstat then refuses what is not a regular file.
    os.mkfifo(tmp_path / "fifo")
    fd = os.open(tmp_path / "fifo", READ_FLAGS)
    try:
        assert stat.S_ISFIFO(os.fstat(fd).st_mode)
    finally:
        os.close(fd)


@pytest.mark.skipif(not hasattr(os, "O_DIRECTORY"), reason="POSIX open flags")
def test_a_symlinked_folder_is_not_opened(tmp_path: Path):
    (tmp_path / "real").mkdir()
    (tmp_path / "ab").symlink_to(tmp_path / "real", target_is_directory=True)
    os.close(os.open(tmp_path / "real", DIR_FLAGS))
    assert open_error(tmp_path / "ab", DIR_FLAGS) in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK)
