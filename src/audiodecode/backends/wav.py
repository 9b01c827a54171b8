"""The numpy fast path for PCM and IEEE-float WAV (RIFF, RF64, BW64).

It parses the header once and reads the sample bytes straight into the caller's array,
converting with the same arithmetic libsndfile uses, so the result is bit-identical to
``soundfile.read`` while skipping libsndfile's per-call set-up. Anything it does not fully
understand (compressed formats, big-endian RIFX, odd block alignment, surprising chunk
layouts) makes it :class:`Decline`, and libsndfile reads the file instead.
"""

from __future__ import annotations

import os
import re
import struct
from typing import IO, TYPE_CHECKING

import numpy as np

from .._scratch import borrow_bytes, give_back
from ..errors import CorruptAudioError
from ._base import Decline, Length, Reader, to_float

if TYPE_CHECKING:
    from .._source import Source

_FORMAT_PCM = 0x0001
_FORMAT_FLOAT = 0x0003
_FORMAT_EXTENSIBLE = 0xFFFE
# Subformat GUIDs of WAVE_FORMAT_EXTENSIBLE: the first two bytes are the format tag.
_GUID_TAIL = bytes.fromhex("000000001000800000aa00389b71")

# (format tag, bits) -> (numpy dtype of the stored samples, codec name)
_LAYOUTS: dict[tuple[int, int], tuple[str, str]] = {
    (_FORMAT_PCM, 8): ("u1", "pcm_u8"),
    (_FORMAT_PCM, 16): ("<i2", "pcm_s16le"),
    (_FORMAT_PCM, 24): ("u1", "pcm_s24le"),  # unpacked by hand, three bytes a sample
    (_FORMAT_PCM, 32): ("<i4", "pcm_s32le"),
    (_FORMAT_PCM, 64): ("<i8", "pcm_s64le"),
    (_FORMAT_FLOAT, 32): ("<f4", "pcm_f32le"),
    (_FORMAT_FLOAT, 64): ("<f8", "pcm_f64le"),
}



class WavReader(Reader):
    """Read PCM/float WAV with numpy, bit-identical to libsndfile."""

    name = "wav"
    format = "wav"
    length = Length.PROVEN  # the data chunk's size is clipped to the file's

    def __init__(self, source: Source, *, decoding: bool = True) -> None:
        super().__init__(source, decoding=decoding)
        if source.soundfile is not None:
            msg = "a soundfile.SoundFile is read by libsndfile"
            raise Decline(msg)
        # A local file is read with pread: no seek, no Python-level buffering.
        self._fd = source.fd
        self._file = source.raw_file() if self._fd is None else None
        # A short file's samples, read whole with the header (see ``_read_small_data``).
        self._data: np.ndarray | None = None
        self._parse_header(source.head(), read_small_data=decoding)

    def _parse_header(self, head: bytes, *, read_small_data: bool) -> None:
        riff = head[:4]
        if riff not in (b"RIFF", b"RF64", b"BW64") or head[8:12] != b"WAVE":
            msg = "not a little-endian RIFF/RF64 WAVE file"
            raise Decline(msg)
        # A short local file about to be decoded has its samples read now, and that read says
        # how much is there (``_read_small_data``); anything else asks for the file's size.
        end_of_file: int | None = None
        position = 12
        fmt: bytes | None = None
        data_size64: int | None = None
        data_offset = data_size = -1
        while True:
            if position + 8 <= len(head):
                chunk_header = head[position : position + 8]
            else:
                chunk_header = self.source.read_at(position, 8)
                if len(chunk_header) < 8:
                    break  # the end of the file
            chunk_id = chunk_header[:4]
            (chunk_size,) = _U32.unpack(chunk_header[4:])
            if not _is_chunk_id(chunk_id):
                msg = f"unexpected bytes {chunk_id!r} where a chunk should start"
                raise Decline(msg)
            body = position + 8
            if chunk_id == b"data":
                if fmt is None:
                    msg = "data chunk before fmt chunk"
                    raise Decline(msg)
                data_offset = body
                data_size = chunk_size
                if riff != b"RIFF" and data_size64 is not None:
                    # libsndfile takes ds64's size, whatever the 32-bit field says.
                    data_size = data_size64
                elif riff != b"RIFF" and chunk_size == 0xFFFFFFFF:
                    msg = "RF64 without a ds64 chunk"
                    raise Decline(msg)
                break
            if chunk_id in (b"fmt ", b"ds64"):
                if chunk_size < 16 or chunk_size > 1024:
                    msg = f"unusual {chunk_id!r} chunk size"
                    raise Decline(msg)
                if body + chunk_size <= len(head):
                    chunk = head[body : body + chunk_size]
                else:
                    chunk = self.source.read_at(body, chunk_size)
                if len(chunk) < chunk_size:  # the file ends inside the chunk
                    msg = f"truncated {chunk_id!r} chunk"
                    raise Decline(msg)
                if chunk_id == b"fmt ":
                    fmt = chunk
                else:
                    data_size64 = _U64.unpack(chunk[8:16])[0]
            # Chunks are word-aligned: an odd-sized chunk is followed by one pad byte.
            position = body + chunk_size + (chunk_size & 1)
        if fmt is None or data_offset < 0:
            msg = "no fmt or data chunk"
            raise Decline(msg)
        if riff == b"RIFF" and data_size in (0, 0xFFFFFFFF):
            end_of_file = self._size()
            if data_offset < end_of_file:
                # A streaming writer's placeholder size: libsndfile has its own rules for it.
                msg = "data chunk size is a placeholder"
                raise Decline(msg)

        format_tag, channels, sample_rate, _byte_rate, block_align, bits = _FMT.unpack(fmt[:16])
        if format_tag == _FORMAT_EXTENSIBLE:
            if len(fmt) < 40:
                msg = "short WAVE_FORMAT_EXTENSIBLE header"
                raise Decline(msg)
            valid_bits = _U16.unpack(fmt[18:20])[0]
            guid = fmt[24:40]
            if guid[4:] != _GUID_TAIL[2:] or guid[2:4] != b"\x00\x00":
                msg = "extensible subformat is not PCM or float"
                raise Decline(msg)
            format_tag = _U16.unpack(guid[:2])[0]
            if valid_bits not in (0, bits):
                msg = "valid bits differ from container bits"
                raise Decline(msg)
        layout = _LAYOUTS.get((format_tag, bits))
        if layout is None and format_tag == _FORMAT_PCM and 32 < bits <= 64:
            # 33- to 64-bit integers in 5- to 8-byte containers (scipy writes them; neither
            # libsndfile nor FFmpeg reads 5-7 bytes). Samples are left-justified in their
            # container, so the container's width sets the scale, as it does for 24-bit.
            layout = ("u1", f"pcm_s{8 * ((bits + 7) // 8)}le")
        if layout is None:
            msg = f"format tag {format_tag:#06x} with {bits} bits is not plain PCM/float"
            raise Decline(msg)
        if channels < 1 or sample_rate < 1 or block_align != channels * ((bits + 7) // 8):
            msg = "inconsistent channels / block alignment"
            raise Decline(msg)

        self._storage_dtype = np.dtype(layout[0])
        self.codec = layout[1]
        self.bits_per_sample = bits
        self._sample_bytes = block_align // channels
        self.sample_rate = sample_rate
        self.channels = channels
        self._block_align = block_align
        self._data_offset = data_offset
        self._position = 0
        # libsndfile trusts the header unless the file is shorter, then reads what is there.
        tail = b""
        if read_small_data and self._fd is not None and data_size <= _SMALL_DATA_BYTES:
            available = self._read_small_data(data_size)
            after = data_size + (data_size & 1)
            tail = bytes(self._data[after:available]) if self._data is not None else b""
            if available < data_size + _TAIL_BYTES:
                end_of_file = data_offset + available
        else:
            if end_of_file is None:
                end_of_file = self._size()
            available = max(0, end_of_file - data_offset)
        self.frames = min(data_size, available) // block_align
        if available > data_size:
            self._check_chunks_after_data(data_offset + data_size + (data_size & 1), tail,
                                          end_of_file)

    def _check_chunks_after_data(self, position: int, tail: bytes, end: int | None) -> None:
        """Decline a file with a second ``data`` chunk after the first.

        We read the first; libsndfile 1.2 refuses such a file (others read the last), so
        whatever the fallback reads is the answer, not a guess of ours. ``tail`` holds the
        bytes from ``position`` on, as far as they were read with the samples.
        """
        start = position
        for _ in range(_CHUNKS_AFTER_DATA):
            at = position - start
            header = tail[at : at + 8] if at + 8 <= len(tail) else b""
            if not header:
                if end is None:
                    end = self._size()
                if position + 8 > end:
                    return
                header = self.source.read_at(position, 8)
                if len(header) < 8:
                    return
            chunk_id = header[:4]
            if chunk_id == b"data":
                msg = "a second data chunk after the first"
                raise Decline(msg)
            if not _is_chunk_id(chunk_id):
                return  # junk after the samples: libsndfile's parser stops there too
            (size,) = _U32.unpack(header[4:])
            position += 8 + size + (size & 1)
        msg = "too many chunks after the data chunk"
        raise Decline(msg)

    def _read_small_data(self, data_size: int) -> int:
        """Read a short file's samples now, in one call; return how many bytes were there.

        That one ``pread`` both fetches the samples and tells how many the file really holds,
        which would otherwise take an ``fstat`` and a second read: two fewer system calls,
        and two fewer GIL hand-offs, for a speech clip. The bytes live in a buffer borrowed
        from this thread's pool until ``close``.
        """
        assert self._fd is not None
        # A few bytes past the samples come in the same call: the chunks after them.
        wanted = data_size + _TAIL_BYTES
        self._data = borrow_bytes(wanted)
        return os.preadv(self._fd, [self._data[:wanted].data], self._data_offset)

    def _size(self) -> int:
        size = self.source.size()  # the fstat made when the file was opened
        if size is not None:
            return size
        if self._fd is not None:
            return os.fstat(self._fd).st_size
        assert self._file is not None
        return self._file.seek(0, os.SEEK_END)

    def close(self) -> None:
        data, self._data = self._data, None
        if data is not None:
            give_back(data)

    def seek(self, frame: int) -> None:
        self._position = frame

    def readinto(self, out: np.ndarray) -> int:
        n = min(len(out), self.frames - self._position)
        if n <= 0:
            return 0
        channels, block_align = self.channels, self._block_align
        flat_out = out.reshape(-1)
        if self._data is not None:
            start = self._position * block_align
            raw = self._data[start : start + n * block_align].data
            _convert(raw, self._storage_dtype, self._sample_bytes, flat_out[: n * channels])
            self._position += n
            return n
        done = 0
        buffer = borrow_bytes(min(n, _CHUNK_FRAMES) * block_align)
        try:
            while done < n:
                step = min(n - done, _CHUNK_FRAMES)
                raw = buffer[: step * block_align].data
                offset = self._data_offset + (self._position + done) * block_align
                if self._fd is not None:
                    got_bytes = os.preadv(self._fd, [raw], offset)
                else:
                    assert self._file is not None
                    self._file.seek(offset)
                    got_bytes = _fill(self._file, raw)
                got = got_bytes // block_align
                if got == 0:
                    break
                dest = flat_out[done * channels : (done + got) * channels]
                _convert(raw[: got * block_align], self._storage_dtype, self._sample_bytes, dest)
                done += got
                if got < step:
                    break
        finally:
            give_back(buffer)
        self._position += done
        if done < n:
            raise CorruptAudioError(self.source.name, "file shrank while it was read", self.name)
        return done


_CHUNK_ID = re.compile(rb"[\x20-\x7e]{4}")  # four printable ASCII characters
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_FMT = struct.Struct("<HHIIHH")

# Frames converted per read. The raw bytes land in a buffer borrowed from the thread's pool
# (``audiodecode._scratch``), so a load does not pay for a fresh allocation (and its page
# faults) each time.
_CHUNK_FRAMES = 1 << 18

# A local file whose samples take up to this many bytes (10.9 s of 48 kHz mono 16-bit) is
# read whole when it is opened. Reading a bit more than a short excerpt needs costs less than
# the system calls it saves; a longer file is read as it is decoded, in bounded memory.
_SMALL_DATA_BYTES = 1 << 20
# Bytes read past a short file's samples in the same call: the headers of the chunks that
# follow them (LIST, id3...) are nearly always within them.
_TAIL_BYTES = 256
# Chunks after the data chunk looked at before the file is left to libsndfile.
_CHUNKS_AFTER_DATA = 64


def _fill(file: IO[bytes], buffer: memoryview) -> int:
    """Read into ``buffer`` until it is full or the file ends; the number of bytes read.

    A caller's file object may return short reads, and may have ``read`` but no ``readinto``.
    """
    readinto = getattr(file, "readinto", None)
    done = 0
    while done < len(buffer):
        if readinto is not None:
            got = readinto(buffer[done:]) or 0
        else:
            chunk = file.read(len(buffer) - done)
            got = len(chunk)
            buffer[done : done + got] = chunk
        if got == 0:
            break
        done += got
    return done


def _is_chunk_id(chunk_id: bytes) -> bool:
    return _CHUNK_ID.fullmatch(chunk_id) is not None


def _convert(raw: memoryview, storage: np.dtype, sample_bytes: int, dest: np.ndarray) -> None:
    """Scale stored samples into ``dest`` (float32/64) exactly as libsndfile does."""
    if storage.itemsize == 1 and sample_bytes > 1:
        # 3, 5, 6 or 7 bytes a sample: place them in the top of an int32 (24-bit, as
        # libsndfile does) or an int64, which is then scaled like any other integer.
        wide_bytes = 4 if sample_bytes == 3 else 8
        packed = np.frombuffer(raw, dtype=np.uint8).reshape(-1, sample_bytes)
        wide = np.zeros((len(packed), wide_bytes), dtype=np.uint8)
        wide[:, wide_bytes - sample_bytes :] = packed
        to_float(wide.view(f"<i{wide_bytes}").reshape(-1), dest)
    else:
        to_float(np.frombuffer(raw, dtype=storage), dest)
