"""audiodecode.torchaudio against torchaudio 2.8 itself: values, metadata, save, speed.

Runs in a separate environment that has torch==2.8.0 and torchaudio==2.8.0 (and FFmpeg's
shared libraries for torchaudio's FFmpeg backend), with audiodecode installed from source::

    python3.11 -m venv ~/venv-ta28
    ~/venv-ta28/bin/pip install torch==2.8.0 torchaudio==2.8.0 numpy soundfile av soxr
    ~/venv-ta28/bin/pip install --no-deps -e .
    apt-get install -y ffmpeg
    ~/venv-ta28/bin/python benchmarks/torchaudio_parity.py [--repeats 7]

Prints a Markdown report: every (file, backend, window, normalize, channels_first) case
compared as bytes, dtype, shape and rate; the largest difference per lossy codec; ``info``
field by field; files written by ``audiodecode.torchaudio.save`` read back by torchaudio;
median load times, measured interleaved, and their ratios.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import av
import numpy as np
import soundfile as sf
import torch
import torchaudio

import audiodecode.torchaudio as adta

warnings.filterwarnings("ignore")
RATE = 44100


def _signal(frames: int, channels: int) -> np.ndarray:
    t = np.arange(frames) / RATE
    rng = np.random.default_rng(channels)
    columns = [0.4 * np.sin(2 * np.pi * (220 + 110 * c) * t) + 0.05 * rng.standard_normal(frames)
               for c in range(channels)]
    return np.clip(np.stack(columns, axis=1), -1, 1).astype(np.float32)


def _pyav_write(path: Path, signal: np.ndarray, fmt: str, codec: str, rate: int) -> None:
    with av.open(str(path), "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate)
        stream.layout = "mono" if signal.shape[1] == 1 else "stereo"
        frame = av.AudioFrame.from_ndarray(signal.reshape(1, -1), format="flt",
                                           layout=stream.layout.name)
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def make_corpus(folder: Path, seconds: float) -> dict[str, Path]:
    frames = int(seconds * RATE)
    stereo, six = _signal(frames, 2), _signal(frames, 6)
    files: dict[str, Path] = {}
    for name, subtype, data in [
        ("wav_u8", "PCM_U8", stereo), ("wav_s16", "PCM_16", stereo),
        ("wav_s24", "PCM_24", stereo), ("wav_s32", "PCM_32", stereo),
        ("wav_f32", "FLOAT", stereo), ("wav_6ch_s16", "PCM_16", six),
    ]:
        files[name] = folder / f"{name}.wav"
        sf.write(files[name], data, RATE, subtype=subtype)
    for name, subtype in [("flac_16", "PCM_16"), ("flac_24", "PCM_24")]:
        files[name] = folder / f"{name}.flac"
        sf.write(files[name], stereo, RATE, subtype=subtype)
    files["mp3"] = folder / "mp3.mp3"
    sf.write(files["mp3"], stereo, RATE, format="MP3", subtype="MPEG_LAYER_III")
    files["vorbis"] = folder / "vorbis.ogg"
    sf.write(files["vorbis"], stereo, RATE, subtype="VORBIS")
    files["opus"] = folder / "opus.ogg"
    sf.write(files["opus"], _signal(int(seconds * 48000), 2), 48000, subtype="OPUS")
    files["aac_m4a"] = folder / "aac.m4a"
    _pyav_write(files["aac_m4a"], stereo, "mp4", "aac", RATE)
    return files


LOSSLESS = ("wav", "flac")
WINDOWS = [(0, -1), (1000, 5000), (RATE, -1), (123, 1)]


def _call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs), None
    except Exception as exc:  # noqa: BLE001 - compared, not handled
        return None, f"{type(exc).__name__}: {exc}"


def compare_load(files: dict[str, Path]) -> tuple[list[str], dict[str, float]]:
    rows, max_diff = [], {}
    counts = {"same": 0, "differ": 0}
    for name, path in files.items():
        for backend in ("soundfile", "ffmpeg", None):
            for offset, count in WINDOWS:
                for normalize in (True, False):
                    for channels_first in (True, False):
                        args = (str(path), offset, count, normalize, channels_first)
                        ours, our_err = _call(adta.load, *args, backend=backend)
                        ref_backend = "ffmpeg" if backend is None else backend
                        theirs, their_err = _call(torchaudio.load, *args, backend=ref_backend)
                        case = f"{name} backend={backend} window={offset},{count} " \
                               f"normalize={normalize} channels_first={channels_first}"
                        if our_err or their_err:
                            same = (our_err is None) == (their_err is None) and \
                                   (our_err or "").split(":")[0] == (their_err or "").split(":")[0]
                            counts["same" if same else "differ"] += 1
                            if not same:
                                rows.append(f"| {case} | ours: {our_err} | torchaudio: {their_err} |")
                            continue
                        (a, sr_a), (b, sr_b) = ours, theirs
                        same = (a.dtype == b.dtype and a.shape == b.shape and sr_a == sr_b
                                and a.contiguous().numpy().tobytes() == b.contiguous().numpy().tobytes())
                        counts["same" if same else "differ"] += 1
                        if same:
                            continue
                        detail = f"dtype {a.dtype}/{b.dtype} shape {tuple(a.shape)}/{tuple(b.shape)} rate {sr_a}/{sr_b}"
                        if a.shape == b.shape and a.dtype.is_floating_point and b.dtype.is_floating_point:
                            diff = float((a.double() - b.double()).abs().max()) if a.numel() else 0.0
                            detail += f" max|diff| {diff:.3g}"
                            key = f"{name} ({backend or 'None'})"
                            max_diff[key] = max(max_diff.get(key, 0.0), diff)
                        rows.append(f"| {case} | {detail} | |")
    rows.insert(0, f"load cases identical: {counts['same']}, different: {counts['differ']}")
    return rows, max_diff


def compare_info(files: dict[str, Path]) -> list[str]:
    rows = ["| file | backend | audiodecode | torchaudio 2.8 |", "|---|---|---|---|"]
    for name, path in files.items():
        for backend in ("soundfile", "ffmpeg"):
            ours, e1 = _call(adta.info, str(path), backend=backend)
            theirs, e2 = _call(torchaudio.info, str(path), backend=backend)
            a, b = str(ours or e1), str(theirs or e2)
            mark = "" if a == b else " **differs**"
            rows.append(f"| {name} | {backend} | {a}{mark} | {b} |")
    return rows


def compare_file_objects(files: dict[str, Path]) -> list[str]:
    rows = []
    for name in ("wav_s16", "flac_24", "vorbis", "mp3"):
        data = files[name].read_bytes()
        for backend in ("soundfile", "ffmpeg"):
            a, _ = adta.load(io.BytesIO(data), backend=backend)
            b, _ = torchaudio.load(io.BytesIO(data), backend=backend)
            same = a.shape == b.shape and a.contiguous().numpy().tobytes() == b.contiguous().numpy().tobytes()
            rows.append(f"| {name} BytesIO | {backend} | {'identical' if same else 'differs'} |")
    return rows


def check_save(folder: Path) -> list[str]:
    rows = []
    signal = torch.from_numpy(_signal(4410, 2).T.copy())
    cases = [("s.wav", {}, signal), ("s16.wav", {"bits_per_sample": 16}, signal),
             ("s24.wav", {"encoding": "PCM_S", "bits_per_sample": 24}, signal),
             ("i16.wav", {}, (signal * 32767).to(torch.int16)),
             ("u.wav", {"encoding": "ULAW"}, signal),
             ("s.flac", {}, signal), ("s24.flac", {"bits_per_sample": 24}, signal),
             ("s.ogg", {}, signal), ("s.mp3", {}, signal)]
    for filename, kwargs, tensor in cases:
        ours, theirs = folder / f"ours_{filename}", folder / f"theirs_{filename}"
        adta.save(str(ours), tensor, 44100, **kwargs)
        torchaudio.save(str(theirs), tensor, 44100, backend="soundfile", **kwargs)
        same_bytes = ours.read_bytes() == theirs.read_bytes()
        back, sr = torchaudio.load(str(ours), backend="soundfile")
        rows.append(f"| {filename} {kwargs} | file bytes {'identical' if same_bytes else 'differ'}"
                    f" | read back by torchaudio: {tuple(back.shape)} @ {sr} |")
    for filename in ("s.m4a", "s.opus"):
        rate = 48000 if filename.endswith("opus") else 44100
        path = folder / f"ours_{filename}"
        adta.save(str(path), signal, rate)
        back, sr = torchaudio.load(str(path), backend="ffmpeg")
        rows.append(f"| {filename} | (FFmpeg encoder) | read back by torchaudio: "
                    f"{tuple(back.shape)} @ {sr} |")
    return rows


def time_loads(files: dict[str, Path], repeats: int) -> list[str]:
    rows = ["| file | backend | audiodecode ms | torchaudio 2.8 ms | speed-up |", "|---|---|---|---|---|"]
    for name, path in files.items():
        for backend in ("soundfile", "ffmpeg", None):
            ours_t, theirs_t = [], []
            ref = "ffmpeg" if backend is None else backend
            if _call(torchaudio.load, str(path), backend=ref)[1]:
                continue  # torchaudio's soundfile backend does not read AAC
            for _ in range(repeats):  # interleaved: both see the same machine load
                t0 = time.perf_counter()
                adta.load(str(path), backend=backend)
                t1 = time.perf_counter()
                torchaudio.load(str(path), backend=ref)
                t2 = time.perf_counter()
                ours_t.append(t1 - t0)
                theirs_t.append(t2 - t1)
            a, b = statistics.median(ours_t) * 1e3, statistics.median(theirs_t) * 1e3
            rows.append(f"| {name} | {backend} (vs {ref}) | {a:.2f} | {b:.2f} | {b / a:.2f}x |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = make_corpus(folder, args.seconds)
        rows, max_diff = compare_load(files)
        print("## load\n")
        print(rows[0] + "\n")
        if len(rows) > 1:
            print("| case | difference | |\n|---|---|---|")
            print("\n".join(rows[1:]))
        print("\n## largest |difference| where samples differ, per file and backend\n")
        for key, value in sorted(max_diff.items()):
            print(f"- {key}: {value:.3g}")
        print("\n## info\n")
        print("\n".join(compare_info(files)))
        print("\n## file objects\n")
        print("\n".join(compare_file_objects(files)))
        print("\n## save\n")
        print("\n".join(check_save(folder)))
        print(f"\n## load time (median of {args.repeats}, {args.seconds:g} s files)\n")
        print("\n".join(time_loads(files, args.repeats)))


if __name__ == "__main__":
    main()
