"""Small hostile files for ``tests/test_hostile.py``, and a runner that measures each call.

The full corpus (truncations, mutations, every family at full size) and its table belong to
``benchmarks/hostile_corpus.py``; the tests make only the few bytes each regression needs:

* WAV headers that lie (:func:`riff`), with two ``data`` chunks (:func:`two_data_chunks`), or
  RF64 sizes that disagree (:func:`rf64`);
* FLAC written by hand: :func:`flac_silence` codes hours of digital silence in 65535-frame
  blocks of constant subframes (14 bytes each: 9362 samples a byte, FLAC's worst case), and
  :func:`flac_rate` makes STREAMINFO claim another rate;
* header patches for MP3 Xing, Ogg granule, Matroska and ASF durations;
* :func:`isolated` runs calls of ``load``/``info`` each in a forked child of a fresh process,
  with a timeout, and reports the exception and the child's peak RSS growth.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence


def riff(tag: int, channels: int, rate: int, bits: int, payload: bytes, *,
         data_size: int = -1) -> bytes:
    """A RIFF WAVE file: a 16-byte ``fmt `` chunk with format ``tag``, then ``payload``."""
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

def xing_frames(raw: bytearray) -> Iterable[tuple[str, bytearray]]:
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


def asf_duration(raw: bytearray) -> Iterable[tuple[str, bytearray]]:
    at = raw.find(bytes.fromhex("a1dcab8c47a9cf118ee400c00c205365"))  # File Properties
    if at < 0:
        return
    data = bytearray(raw)
    play = at + 24 + 16 + 8 + 8 + 8  # object header, file id, size, date, packets
    data[play : play + 16] = b"\xff" * 7 + b"\x7f" + b"\xff" * 7 + b"\x7f"  # play, send
    yield "max", data


# --- the runner -----------------------------------------------------------------------------

_CHILD = textwrap.dedent('''
    import io, json, os, sys, wave
    import av, numpy, soundfile, soxr
    import audiodecode
    from audiodecode.backends import pyav, sndfile, wav

    def vm(field):
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field):
                    return int(line.split()[1]) * 1024
        return 0

    buffer = io.BytesIO()  # warm every backend up, so that a child's growth is its own
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000); w.writeframes(bytes(1600))
    audiodecode.load(buffer.getvalue()); audiodecode.load(buffer.getvalue(), backend="pyav")
    results = []
    for call, target, kwargs, as_bytes in json.load(sys.stdin):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            result = {}
            data = open(target, "rb").read() if as_bytes else target
            before = vm("VmRSS")  # the fork reset the peak to the current RSS
            try:
                if call == "info":
                    audiodecode.info(data)
                else:
                    y, sr = audiodecode.load(data, **kwargs)
                    result["shape"] = list(y.shape)
                result["error"] = None
            except BaseException as exc:
                result["error"] = type(exc).__name__
                result["message"] = str(exc)
                result["source"] = getattr(exc, "source", None)
            result["rss_growth"] = vm("VmHWM") - before
            with os.fdopen(write_end, "w") as out:
                json.dump(result, out)
            os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end) as answer:
            text = answer.read()
        os.waitpid(pid, 0)
        results.append(json.loads(text) if text else {"error": "crash"})
    json.dump(results, sys.stdout)
''')


def isolated(calls: Sequence[tuple[str, str, dict[str, Any], bool]], *,
             timeout: float = 120.0) -> list[dict[str, Any]]:
    """Run ``(call, path, kwargs, as_bytes)`` calls (``call`` is ``"load"`` or ``"info"``),
    each in a forked child of one fresh process; for each, the exception's type, message and
    ``source`` (or the output's shape) and the child's peak RSS growth in bytes.
    ``timeout`` bounds the whole run: a hang fails the test instead of stalling it."""
    import audiodecode

    env = dict(os.environ)
    src = str(Path(audiodecode.__file__).resolve().parent.parent)  # the package under test
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD], input=json.dumps([list(c) for c in calls]),
        capture_output=True, text=True, env=env, timeout=timeout, check=False,
    )
    if proc.returncode != 0:
        msg = f"the isolated runner failed ({proc.returncode}):\n{proc.stderr[-4000:]}"
        raise RuntimeError(msg)
    results: list[dict[str, Any]] = json.loads(proc.stdout)
    return results
