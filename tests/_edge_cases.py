"""Odd, broken and extreme files for the tests (``edge_files`` in ``conftest.py``).

Hand-built WAV/FLAC files whose exact samples are known (:data:`HAND_BUILT`), files that are
not audio, and truncated and corrupted copies of ordinary files. Test-only: the package itself
never writes damaged files.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from _corpus import KINDS, PathLike, write
from _corpus.signals import pcm, seeded_rng

if TYPE_CHECKING:
    from collections.abc import Sequence



# --------------------------------------------------------------------------------------------
# hand-built and broken files

#: Exactly what the hand-built WAVs of :func:`write_edge_cases` hold: :func:`pcm` arguments.
#: ``pcm(**HAND_BUILT[name])`` gives the integers a reader must return.
HAND_BUILT: dict[str, dict[str, Any]] = {
    "zero_frames": {"n_frames": 0, "channels": 1, "sample_rate": 44100, "dtype": "int16"},
    "one_sample": {"n_frames": 1, "channels": 1, "sample_rate": 44100, "dtype": "int16"},
    # Odd number of 1-byte frames: the data chunk itself needs a pad byte.
    "odd_chunk": {"n_frames": 1001, "channels": 1, "sample_rate": 11025, "dtype": "uint8"},
    "extra_chunks": {"n_frames": 2205, "channels": 2, "sample_rate": 22050, "dtype": "int16"},
    # The header claims 4096 frames more than the file holds.
    "wav_header_too_long": {
        "n_frames": 4410,
        "channels": 2,
        "sample_rate": 44100,
        "dtype": "int16",
    },
}
_MISSING_FRAMES = 4096  # for wav_header_too_long

# Edge-case sources that get a truncated and a corrupted copy.
_DAMAGED_SOURCES = ("wav_pcm16", "flac_16", "ogg_vorbis", "mp3", "m4a_aac")


def _chunk(fourcc: bytes, payload: bytes) -> bytes:
    # RIFF: a chunk's size excludes the pad byte that keeps the next chunk word-aligned.
    pad = b"\x00" if len(payload) % 2 else b""
    return fourcc + struct.pack("<I", len(payload)) + payload + pad


def _fmt_chunk(channels: int, sample_rate: int, bits: int) -> bytes:
    block_align = channels * bits // 8
    payload = struct.pack(
        "<HHIIHH", 1, channels, sample_rate, sample_rate * block_align, block_align, bits
    )
    return _chunk(b"fmt ", payload)


def _riff_wave(chunks: Sequence[bytes]) -> bytes:
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _info_list(**tags: str) -> bytes:
    # LIST/INFO sub-chunks hold NUL-terminated strings; odd lengths keep their own pad bytes.
    subs = b"".join(_chunk(k.encode("ascii"), v.encode("ascii") + b"\x00") for k, v in tags.items())
    return b"INFO" + subs


def _id3_tag(title: str) -> bytes:
    # A minimal ID3v2.3 tag with one TIT2 frame, as taggers put in WAV files.
    text = b"\x00" + title.encode("latin-1")
    frame = b"TIT2" + struct.pack(">I", len(text)) + b"\x00\x00" + text
    size = len(frame)
    syncsafe = bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])
    return b"ID3\x03\x00\x00" + syncsafe + frame


def _hand_built_wav(name: str) -> bytes:
    spec = HAND_BUILT[name]
    samples = pcm(**spec)
    bits = samples.dtype.itemsize * 8
    fmt = _fmt_chunk(spec["channels"], spec["sample_rate"], bits)
    # Explicit little-endian: the bytes must not depend on the machine.
    data = samples.astype(samples.dtype.newbyteorder("<")).tobytes()
    if name == "odd_chunk":
        # An INFO string of odd length written without its own pad byte, as some encoders
        # do: the LIST payload is odd (4 + 8 + 9 = 21 bytes) and only _chunk's pad byte after
        # it keeps 'data' aligned. The data chunk (1001 one-byte frames) is odd too.
        listing = b"INFO" + b"ICMT" + struct.pack("<I", 9) + b"odd chunk"
        return _riff_wave([fmt, _chunk(b"LIST", listing), _chunk(b"data", data)])
    if name == "extra_chunks":
        before = [
            _chunk(b"LIST", _info_list(INAM="before data", ISFT="audiodecode")),
            _chunk(b"id3 ", _id3_tag("before data")),
        ]
        after = [
            _chunk(b"LIST", _info_list(ICMT="after the data chunk")),
            _chunk(b"id3 ", _id3_tag("after")),
        ]
        return _riff_wave([fmt, *before, _chunk(b"data", data), *after])
    if name == "wav_header_too_long":
        missing = _MISSING_FRAMES * spec["channels"] * bits // 8
        header = b"data" + struct.pack("<I", len(data) + missing)
        riff = b"WAVE" + fmt + header + data
        return b"RIFF" + struct.pack("<I", len(riff) + missing) + riff
    return _riff_wave([fmt, _chunk(b"data", data)])


def _empty_flac(sample_rate: int, channels: int, bits: int) -> bytes:
    # soundfile.write of zero frames leaves a 0-byte .flac (libFLAC is started lazily), so
    # build what `flac` writes for empty input: the signature and one STREAMINFO block. Its
    # total_samples field is 0, which FLAC also uses for "unknown length".
    packed = (sample_rate << 44) | ((channels - 1) << 41) | ((bits - 1) << 36)
    md5_of_nothing = bytes.fromhex("d41d8cd98f00b204e9800998ecf8427e")
    info = struct.pack(">HH", 4096, 4096) + bytes(6) + packed.to_bytes(8, "big") + md5_of_nothing
    last_block_streaminfo = b"\x80" + len(info).to_bytes(3, "big")
    return b"fLaC" + last_block_streaminfo + info


def _damage(source: Path, truncated: Path, corrupt: Path, seed: int) -> None:
    raw = source.read_bytes()
    truncated.write_bytes(raw[: len(raw) * 6 // 10])
    # 2 KB of noise in the middle: past every header, before the end.
    mid = len(raw) // 2
    start = max(mid - 1024, 0)
    noise = seeded_rng([seed, 3]).integers(0, 256, size=2048, dtype=np.uint8).tobytes()
    corrupt.write_bytes(raw[:start] + noise[: len(raw) - start] + raw[start + 2048 :])


def write_edge_cases(folder: PathLike, *, seed: int = 0) -> dict[str, Path]:
    """Write odd, broken and extreme files into ``folder``.

    Keys (file names are ``<key>.<ext>``):

    * ``empty`` -- a 0-byte ``.wav``.
    * ``zero_frames`` -- valid 16-bit WAV header, empty ``data`` chunk (hand-built).
    * ``zero_frames_flac`` -- a FLAC with a STREAMINFO block and no frames (hand-built:
      libsndfile writes a 0-byte file for zero frames). FLAC stores "0 samples" as "length
      unknown", and libsndfile 1.2.2 then reports a huge frame count and fails to read.
    * ``one_sample`` -- 16-bit mono WAV with a single frame (hand-built).
    * ``six_channels`` -- 6 channels, 16-bit, 48 kHz, 0.25 s.
    * ``sr8000`` -- 8 kHz mono 16-bit, 1 s; ``sr192000`` -- 192 kHz stereo 24-bit, 0.25 s.
    * ``odd_chunk`` -- hand-built: an odd-sized ``LIST`` chunk with its pad byte before
      ``data``; the data is 8-bit mono with an odd number of frames, followed by a pad byte.
    * ``extra_chunks`` -- hand-built: ``fmt``, ``LIST``/INFO and ``id3 `` before ``data``,
      ``LIST`` and ``id3 `` after it.
    * ``wav_header_too_long`` -- the ``data`` (and RIFF) size claims 4096 frames more than the
      file holds.
    * ``text_as_wav`` -- a text file named ``.wav``; ``random_bytes`` -- 4 KB of noise.
    * ``truncated_<kind>`` -- the first 60 % of the bytes of a 2 s file, and
      ``corrupt_<kind>`` -- the same file with 2 KB in the middle overwritten with random
      bytes, for ``wav_pcm16``, ``flac_16``, ``ogg_vorbis``, ``mp3`` and ``m4a_aac`` (the
      last only where PyAV has an AAC encoder). The intact 2 s sources are ``source_<kind>``.

    The hand-built files hold exactly ``pcm(**HAND_BUILT[key])``.

    Examples
    --------
    >>> import tempfile, soundfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     files = write_edge_cases(d)
    ...     soundfile.info(files["odd_chunk"]).frames
    1001
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}

    def put(key: str, ext: str, payload: bytes) -> None:
        out[key] = folder / f"{key}{ext}"
        out[key].write_bytes(payload)

    put("empty", ".wav", b"")
    for name in ("zero_frames", "one_sample"):
        put(name, ".wav", _hand_built_wav(name))
    put("zero_frames_flac", ".flac", _empty_flac(44100, 1, 16))
    for key, (rate, channels, seconds, kind) in {
        "six_channels": (48000, 6, 0.25, "wav_pcm16"),
        "sr8000": (8000, 1, 1.0, "wav_pcm16"),
        "sr192000": (192000, 2, 0.25, "wav_pcm24"),
    }.items():
        out[key] = write(
            folder / f"{key}.wav",
            kind,
            sample_rate=rate,
            channels=channels,
            seconds=seconds,
            seed=seed,
        )
    for name in ("odd_chunk", "extra_chunks", "wav_header_too_long"):
        put(name, ".wav", _hand_built_wav(name))
    put(
        "text_as_wav",
        ".wav",
        b"This is not audio. It is a text file that somebody named .wav.\n" * 20,
    )
    put("random_bytes", ".wav", seeded_rng([seed, 4]).integers(0, 256, 4096, dtype=np.uint8).tobytes())

    for kind in _DAMAGED_SOURCES:
        if not KINDS[kind].available():
            continue
        ext = KINDS[kind].extension
        source = write(folder / f"source_{kind}{ext}", kind, seconds=2.0, seed=seed)
        out[f"source_{kind}"] = source
        out[f"truncated_{kind}"] = folder / f"truncated_{kind}{ext}"
        out[f"corrupt_{kind}"] = folder / f"corrupt_{kind}{ext}"
        _damage(source, out[f"truncated_{kind}"], out[f"corrupt_{kind}"], seed)
    return out
