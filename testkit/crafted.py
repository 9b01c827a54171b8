"""Files that lie, made byte by byte: the hostile inputs of ``tests/test_hostile.py`` and of
``benchmarks/hostile_corpus.py``.

* WAV headers that lie (:func:`riff`), with two ``data`` chunks (:func:`two_data_chunks`), or
  RF64 sizes that disagree (:func:`rf64`);
* FLAC written by hand: :func:`flac_silence` codes hours of digital silence in 65535-frame
  blocks of constant subframes (14 bytes each: 9362 samples a byte, FLAC's worst case), and
  :func:`flac_rate` makes STREAMINFO claim another rate;
* patches of a real file's header, each yielding ``(variant, patched bytes)``: FLAC total
  samples, MP3 Xing frames, the last Ogg page's granule, Matroska, MP4 and ASF durations.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "asf_duration",
    "flac_rate",
    "flac_silence",
    "flac_total_samples",
    "matroska_duration",
    "mp4_duration",
    "ogg_granule",
    "rf64",
    "riff",
    "two_data_chunks",
    "xing_frames",
]


# --- WAV ------------------------------------------------------------------------------------

def riff(tag: int, channels: int, rate: int, bits: int, payload: bytes, *,
         data_size: int = -1) -> bytes:
    """A RIFF WAVE file: a 16-byte ``fmt `` chunk with format ``tag``, then ``payload``.

    The ``data`` chunk claims ``data_size`` bytes (default: the payload's), and is not padded
    to an even size: the header says what the caller asks, whatever follows.
    """
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", tag, channels, rate, (rate * block) % 2**32, block, bits)
    size = len(payload) if data_size < 0 else data_size
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", size)
    body += payload
    return b"RIFF" + struct.pack("<I", len(body) % 2**32) + body


def _chunk(chunk_id: bytes, body: bytes) -> bytes:
    return chunk_id + struct.pack("<I", len(body)) + body + b"\0" * (len(body) & 1)


def two_data_chunks(first: bytes, second: bytes, rate: int = 8000) -> bytes:
    """A mono 16-bit WAV with two ``data`` chunks, a LIST chunk between them."""
    fmt = struct.pack("<HHIIHH", 1, 1, rate, 2 * rate, 2, 16)
    body = (b"WAVE" + _chunk(b"fmt ", fmt) + _chunk(b"data", first)
            + _chunk(b"LIST", b"INFOISFT\x04\x00\x00\x00abc\x00") + _chunk(b"data", second))
    return b"RIFF" + struct.pack("<I", len(body)) + body


def rf64(payload: bytes, ds64_size: int, data_size: int, rate: int = 8000) -> bytes:
    """A mono 16-bit RF64 file whose ``ds64`` and 32-bit ``data`` sizes are as given."""
    fmt = struct.pack("<HHIIHH", 1, 1, rate, 2 * rate, 2, 16)
    ds64 = struct.pack("<QQQI", 0, ds64_size, 0, 0)
    body = (b"WAVE" + _chunk(b"ds64", ds64) + _chunk(b"fmt ", fmt) + b"data"
            + struct.pack("<I", data_size) + payload)
    return b"RF64" + struct.pack("<I", 0xFFFFFFFF) + body


# --- FLAC by hand ---------------------------------------------------------------------------

def _crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def _crc16_table() -> list[int]:
    table = []
    for i in range(256):
        crc = i << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
        table.append(crc)
    return table


_CRC16 = _crc16_table()


def _crc16(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC16[(crc >> 8) ^ byte]
    return crc


def _frame_number(n: int) -> bytes:
    """FLAC's UTF-8-like coding of a frame number (below 2**31)."""
    if n < 0x80:
        return bytes([n])
    for length, lead in ((2, 0xC0), (3, 0xE0), (4, 0xF0), (5, 0xF8), (6, 0xFC)):
        if n < 1 << (5 * length + 1):
            tail = []
            for _ in range(length - 1):
                tail.append(0x80 | (n & 0x3F))
                n >>= 6
            return bytes([lead | n, *tail[::-1]])
    raise ValueError(n)


def flac_silence(seconds: float, rate: int = 192000, channels: int = 2) -> bytes:
    """``seconds`` of 16-bit digital silence as FLAC, in 65535-frame constant blocks.

    libsndfile and FFmpeg decode it (to zeros); 90 minutes of 192 kHz stereo take 283 KB.
    """
    block = 65535
    total = round(seconds * rate)
    info = struct.pack(">HH", block, block) + bytes(6)
    info += ((rate << 44) | ((channels - 1) << 41) | (15 << 36) | total).to_bytes(8, "big")
    parts = [b"fLaC", bytes([0x80, 0, 0, 34]), info, bytes(16)]
    subframes = b"\0\0\0" * channels  # constant subframe, value 0, 16 bits
    for n in range(-(-total // block)):
        size = min(block, total - n * block)
        # fixed block size, size in 16 bits after the number, rate from STREAMINFO, 16 bits
        head = bytes([0xFF, 0xF8, 0x70, ((channels - 1) << 4) | (4 << 1)])
        head += _frame_number(n) + struct.pack(">H", size - 1)
        frame = head + bytes([_crc8(head)]) + subframes
        parts.append(frame + struct.pack(">H", _crc16(frame)))
    return b"".join(parts)


def flac_rate(raw: bytes, rate: int) -> bytes:
    """The FLAC file ``raw`` with STREAMINFO claiming ``rate`` (its frames keep their own)."""
    data = bytearray(raw)
    packed = int.from_bytes(data[18:21], "big")  # 20 bits of rate from byte 18
    data[18:21] = ((packed & 0xF) | (rate << 4)).to_bytes(3, "big")
    return bytes(data)


# --- header patches -------------------------------------------------------------------------

def flac_total_samples(raw: bytearray) -> Iterable[tuple[str, bytearray]]:
    """STREAMINFO's total samples set to 2**36 - 1, 2e9 and 0."""
    # STREAMINFO starts at byte 8; total samples are the low 36 bits of its bytes 10-17.
    for variant, total in (("max", 2**36 - 1), ("2e9", 2_000_000_000), ("zero", 0)):
        data = bytearray(raw)
        packed = int.from_bytes(data[18:26], "big")
        packed = (packed & ~(2**36 - 1)) | total
        data[18:26] = packed.to_bytes(8, "big")
        yield variant, data


def xing_frames(raw: bytearray) -> Iterable[tuple[str, bytearray]]:
    """The Xing (or Info) header's frame count set to 2**32 - 1 and 1e8; none without one."""
    at = raw.find(b"Xing")
    if at < 0:
        at = raw.find(b"Info")
    if at < 0:
        return
    for variant, frames in (("max", 2**32 - 1), ("1e8", 100_000_000)):
        data = bytearray(raw)
        data[at + 4 : at + 8] = b"\x00\x00\x00\x0f"  # frames, bytes, TOC, quality present
        data[at + 8 : at + 12] = frames.to_bytes(4, "big")
        yield variant, data


def _ogg_crc(page: bytes) -> int:
    crc = 0
    for byte in page:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def ogg_granule(raw: bytearray) -> Iterable[tuple[str, bytearray]]:
    """The last Ogg page's granule position set to 2**63 - 1 and 1e12, its CRC redone; none
    for a stream of fewer than three pages (the headers only)."""
    pages, at = [], raw.find(b"OggS")
    while at >= 0:
        pages.append(at)
        at = raw.find(b"OggS", at + 1)
    if len(pages) < 3:
        return
    last = pages[-1]
    for variant, granule in (("max", 2**63 - 1), ("1e12", 10**12)):
        data = bytearray(raw)
        data[last + 6 : last + 14] = struct.pack("<q", granule)
        segments = data[last + 26]
        end = last + 27 + segments + sum(data[last + 27 : last + 27 + segments])
        data[last + 22 : last + 26] = b"\x00\x00\x00\x00"
        data[last + 22 : last + 26] = struct.pack("<I", _ogg_crc(bytes(data[last:end])))
        yield variant, data


def matroska_duration(raw: bytearray) -> Iterable[tuple[str, bytearray]]:
    """The Matroska Segment Info's Duration set to 1e15, 1, -5e9 and NaN."""
    at = raw.find(b"\x44\x89")  # Segment Info / Duration
    width = {0x84: 4, 0x88: 8}.get(raw[at + 2]) if at >= 0 else None
    if width is None:
        return
    fmt = ">f" if width == 4 else ">d"
    for variant, value in (("huge", 1e15), ("tiny", 1.0), ("negative", -5e9),
                           ("nan", float("nan"))):
        data = bytearray(raw)
        data[at + 3 : at + 3 + width] = struct.pack(fmt, value)
        yield variant, data


def mp4_duration(raw: bytearray) -> Iterable[tuple[str, bytearray]]:
    """The ``mvhd`` and then the ``mdhd`` duration set to its largest value, one at a time."""
    for box in (b"mvhd", b"mdhd"):
        at = raw.find(box)
        if at < 0:
            continue
        version = raw[at + 4]
        data = bytearray(raw)
        if version == 0:  # version, flags, created, modified, timescale, duration (32 bits)
            data[at + 20 : at + 24] = b"\xff\xff\xff\xff"
        else:
            data[at + 32 : at + 40] = b"\x7f\xff\xff\xff\xff\xff\xff\xff"
        yield box.decode(), data


def asf_duration(raw: bytearray) -> Iterable[tuple[str, bytearray]]:
    """The ASF File Properties' play and send durations set to 2**63 - 1."""
    at = raw.find(bytes.fromhex("a1dcab8c47a9cf118ee400c00c205365"))  # File Properties
    if at < 0:
        return
    data = bytearray(raw)
    play = at + 24 + 16 + 8 + 8 + 8  # object header, file id, size, date, packets
    data[play : play + 16] = b"\xff" * 7 + b"\x7f" + b"\xff" * 7 + b"\x7f"  # play, send
    yield "max", data
