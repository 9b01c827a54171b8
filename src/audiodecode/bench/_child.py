"""The loaders as plain functions, and what a benchmark child process runs.

This file imports only ``sys`` at module level: a child runs its code (compiled once by the
parent, see ``children._child_code``) without importing the audiodecode package, so a cold
start or a peak-memory figure imports what the loader imports and nothing else (not even
audiodecode, for the peers). The parent times the same functions in-process, so both measure
one piece of code.
"""

from __future__ import annotations

import sys

# Not ``from typing import TYPE_CHECKING``: importing typing would be part of every child's
# measured start-up (mypy treats this constant as it treats typing's).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    import numpy as np


# ------------------------------------------------------------------------------------------
# The loaders. Each is a plain function ``(path, sr, mono) -> (y, sr)`` that imports its own
# library inside, so that running one imports that library and nothing else. ``_finish`` is
# the shared tail of the peers.


def _finish(y: np.ndarray, sr_native: float, sr: float | None, mono: bool) -> tuple[Any, float]:
    """librosa's downmix, soxr_hq resampling and length fix, for ``(channels, n)`` input."""
    import numpy as np

    y = np.asarray(y, dtype=np.float32)
    if mono and y.shape[0] > 1:
        y = np.mean(y, axis=0)  # librosa.to_mono
    elif y.shape[0] == 1:
        y = y[0]  # librosa returns a one-channel file as 1-d, whatever ``mono`` says
    if sr is None or sr == sr_native:
        return y, sr_native
    import math

    import soxr

    n_out = math.ceil(y.shape[-1] * (float(sr) / sr_native))  # librosa.resample's length
    y = soxr.resample(y.T, sr_native, sr, quality="soxr_hq").T
    if y.shape[-1] != n_out:
        fixed = np.zeros((*y.shape[:-1], n_out), dtype=y.dtype)
        n = min(n_out, y.shape[-1])
        fixed[..., :n] = y[..., :n]
        y = fixed
    return y, sr


def _load_audiodecode(path: str, sr: float | None, mono: bool) -> tuple[Any, float]:
    import audiodecode

    return audiodecode.load(path, sr=sr, mono=mono)


def _load_audiodecode_cached(path: str, sr: float | None, mono: bool) -> tuple[Any, float]:
    # audiodecode.load with its decode cache on, in the folder the benchmark made for it
    # (a child process gets it from the environment too), through the public API only.
    # Everything a hit costs is timed, turning the cache on (the store's construction)
    # included; it is turned off again so that the plain audiodecode loader, timed in the same
    # process, never reads it. The warm-up load writes the entry.
    import os

    import audiodecode
    import audiodecode.cache

    audiodecode.cache.enable(os.environ["AUDIODECODE_BENCH_CACHE_DIR"])
    try:
        return audiodecode.load(path, sr=sr, mono=mono)
    finally:
        audiodecode.cache.disable()


def _load_librosa(path: str, sr: float | None, mono: bool) -> tuple[Any, float]:
    import librosa

    return librosa.load(path, sr=sr, mono=mono)


def _load_soundfile(path: str, sr: float | None, mono: bool) -> tuple[Any, float]:
    import soundfile

    y, sr_native = soundfile.read(path, dtype="float32", always_2d=True)
    return _finish(y.T, sr_native, sr, mono)


def _load_pyav(path: str, sr: float | None, mono: bool) -> tuple[Any, float]:
    import av
    import numpy as np

    # A bare decode loop, as a PyAV user writes it: no resampler, ``to_ndarray`` per frame.
    chunks: list[np.ndarray[Any, np.dtype[Any]]] = []
    frame = None
    with av.open(path) as container:
        for frame in container.decode(audio=0):
            chunks.append(frame.to_ndarray())
    if frame is None:
        msg = "no audio frames decoded"
        raise ValueError(msg)
    sample_format = frame.format
    channels = len(frame.layout.channels)
    sr_native = frame.sample_rate
    y = np.concatenate(chunks, axis=1)
    if not sample_format.is_planar:  # packed: one row of interleaved samples
        y = y.reshape(-1, channels).T
    name = sample_format.name.rstrip("p")
    if name == "s16":
        y = y * np.float32(2.0**-15)
    elif name == "s32":
        y = y * np.float32(2.0**-31)
    elif name == "u8":
        y = (y.astype(np.float32) - 128) / 128
    return _finish(y, sr_native, sr, mono)


def _load_pedalboard(path: str, sr: float | None, mono: bool) -> tuple[Any, float]:
    from pedalboard.io import AudioFile

    with AudioFile(path) as f:
        y = f.read(f.frames)
        sr_native = f.samplerate
    return _finish(y, sr_native, sr, mono)


def _load_torchcodec(path: str, sr: float | None, mono: bool) -> tuple[Any, float]:
    from torchcodec.decoders import AudioDecoder

    samples = AudioDecoder(path).get_all_samples()
    return _finish(samples.data.numpy(), samples.sample_rate, sr, mono)


def _load_numpy_floor(path: str, sr: float | None, mono: bool) -> tuple[Any, float]:
    import os
    import struct

    import numpy as np

    # The least any reader of a plain PCM WAV must do: find the data chunk, read its bytes
    # into an array, then scale (and sum the channels) in as few numpy passes as possible.
    # No validation and no fallbacks: it is a yardstick, run only on files known to be plain.
    with open(path, "rb") as f:
        f.seek(12)
        fmt = b""
        while True:
            chunk_id, size = struct.unpack("<4sI", f.read(8))
            if chunk_id == b"data":
                break
            if chunk_id == b"fmt ":
                fmt = f.read(size + (size & 1))
            else:
                f.seek(size + (size & 1), 1)
        tag, channels, sr_native, _, block_align, bits = struct.unpack("<HHIIHH", fmt[:16])
        if tag == 0xFFFE:  # WAVE_FORMAT_EXTENSIBLE: the real tag opens the subformat GUID
            (tag,) = struct.unpack("<H", fmt[24:26])
        stored = {(1, 16): "<i2", (1, 32): "<i4", (3, 32): "<f4"}[(tag, bits)]
        size = min(size, os.fstat(f.fileno()).st_size - f.tell())  # RF64 says 0xFFFFFFFF
        raw = np.empty((size // block_align) * channels, dtype=stored)
        f.readinto(raw.view(np.uint8).data)
    scale = np.float32(1.0 if tag == 3 else 2.0 ** (1 - bits))
    frames = raw.reshape(-1, channels)
    if mono and channels > 1:
        # Summing integer channels, then one scaling, gives librosa's mean exactly for
        # 16-bit stereo, in two passes instead of a strided reduction over the channels.
        y = np.add(frames[:, 0], frames[:, 1], dtype=np.float32)
        for channel in range(2, channels):
            y += frames[:, channel]
        y *= scale / np.float32(channels)
        return _finish(y[np.newaxis], sr_native, sr, mono)
    return _finish(np.multiply(frames, scale, dtype=np.float32).T, sr_native, sr, mono)


#: ``Loader.name`` -> its function, for the children.
FUNCTIONS = {
    "audiodecode": _load_audiodecode,
    "audiodecode_cached": _load_audiodecode_cached,
    "librosa": _load_librosa,
    "soundfile": _load_soundfile,
    "pyav": _load_pyav,
    "pedalboard": _load_pedalboard,
    "torchcodec": _load_torchcodec,
    "numpy_floor": _load_numpy_floor,
}


# ------------------------------------------------------------------------------------------
# Peak memory. The first load pulls in every lazy import and cache (librosa imports scipy and
# numba on first use; that is start-up, not loading); then the kernel's high-water mark is
# reset (5 > clear_refs, Linux >= 4.0) and a second load is measured against the resident size
# right before it: what one more file costs a warm process, such as a DataLoader worker. Where
# the mark cannot be reset (macOS, old kernels) the first load is measured instead, against
# the peak after importing the loader's module, and the method says so.


def _kib(key: str) -> int:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def peak_memory(name: str, module: str, path: str, sr: float | None, mono: bool) -> dict[str, Any]:
    """Peak resident memory of one load by loader ``name``, in KiB, and how it was taken."""
    import gc
    import importlib

    load = FUNCTIONS[name]
    importlib.import_module(module)
    after_import = _kib("VmHWM")
    y, _ = load(path, sr, mono)
    output_bytes = int(y.nbytes)
    del y
    gc.collect()
    if _reset_peak():
        method, baseline = "second load, peak minus resident size before it", _kib("VmRSS")
        load(path, sr, mono)  # the high-water mark keeps its peak
    else:
        method, baseline = "first load, peak minus peak after import", after_import
    return {"baseline_kib": baseline, "peak_kib": _kib("VmHWM"), "output_bytes": output_bytes,
            "method": method}


def main(argv: list[str]) -> None:
    """``nothing`` | ``cold NAME PATH SR MONO`` | ``memory NAME MODULE PATH SR MONO``."""
    mode, *args = argv
    if mode == "nothing":  # the interpreter's own start-up, measured the same way
        return
    if mode == "cold":
        name, path, sr, mono = args
        FUNCTIONS[name](path, _rate(sr), mono == "mono")
    else:
        import json

        name, module, path, sr, mono = args
        print(json.dumps(peak_memory(name, module, path, _rate(sr), mono == "mono")))


def _rate(text: str) -> float | None:
    return None if text == "native" else float(text)


if __name__ == "__main__":
    main(sys.argv[1:])
