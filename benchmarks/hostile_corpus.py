"""The hostile-input corpus and its runner: what ``load`` does with files that lie.

Owned by ``benchmarks/hostile_input.py`` (the README's "Untrusted input" table); the tests
(``tests/test_hostile.py``) write their own small cases of each family, with the same
hand-made headers (``testkit/crafted.py``). Three parts:

* :func:`write_hostile_corpus` makes the cases: hand-made headers that lie (a WAV at 1 Hz, FLAC
  STREAMINFO, MP3 Xing, Ogg granule, Matroska, MP4 and ASF durations), decompression bombs (a
  lying rate, a format tag FFmpeg probes for ever, hours of digital silence in FLAC), files
  that name other files (ffconcat scripts, HLS playlists under audio names), malformed WAVs,
  truncations of ten formats at many offsets, seeded byte mutations of the same files,
  special paths (FIFO, character devices, a socket, ``file.wav/``, a symlink loop, a closed
  descriptor...) and extreme arguments (``sr=1e9``, ``sr=1e-300``, huge offsets...).
* :func:`run_cases` runs each case in its own forked child of a fresh runner process, with a
  timeout, and records the outcome class, the child's peak RSS growth, the bytes it reserved
  through numpy (tracemalloc) and what C libraries printed on its stderr.
* :func:`table` prints the outcome counts.

Nothing is downloaded: every file is generated here, with soundfile and PyAV
(:func:`write_source`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

# The files made by hand come from testkit/ at the repository's root, which the tests use too
# (benchmarks and tests do not import each other). Inserted here rather than by the caller:
# run_cases also runs this file as its runner's script.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from testkit import crafted  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "CLASSES",
    "MUTATED_KINDS",
    "Case",
    "Outcome",
    "family_table",
    "run_cases",
    "table",
    "write_hostile_corpus",
    "write_source",
]

#: Outcome classes, in the order the table prints them.
CLASSES = ("array", "typed error", "documented builtin", "other", "crash", "hang")

#: The formats that are truncated and mutated: one file of each, 2 s of stereo noise.
MUTATED_KINDS = (
    "wav_pcm16", "flac_16", "ogg_vorbis", "ogg_opus", "mp3", "aiff_pcm16",
    "m4a_aac", "mka_opus", "wma", "ac3",
)  # fmt: skip

# A case may use at most this much memory beyond its output (peak RSS growth and the bytes
# numpy reserved), or it is counted as an over-allocation.
OVER_ALLOCATION_BYTES = 64 << 20

# Builtins that ``load`` documents, for the cases where one is the right answer.
_PATH_ERRORS = ("FileNotFoundError", "IsADirectoryError")


@dataclass
class Case:
    """One call of ``load`` to try.

    ``target`` is a path, or ``"closed-fd"`` / ``"pipe-fd"`` for a descriptor the child makes;
    ``as_bytes`` passes the file's bytes instead of its path. ``builtins`` names the builtin
    exceptions that are a right answer for this case (none for a file's content: that must
    give an array or an ``AudioDecodeError``).
    """

    name: str
    group: str
    target: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    as_bytes: bool = False
    builtins: tuple[str, ...] = ()
    size: int = 0  # bytes in the file, 0 when it is not a regular file
    call: str = "load"  # or "info"


@dataclass
class Outcome:
    """What one case did."""

    name: str
    group: str
    outcome: str  # one of CLASSES
    detail: str  # the exception's type and message, or the array's shape
    size: int  # the file's bytes
    output_bytes: int = 0
    rss_growth: int = 0  # peak RSS of the child minus its RSS before the call
    reserved: int = 0  # tracemalloc's peak: every numpy array allocated, touched or not
    stderr_bytes: int = 0  # what C libraries printed on file descriptor 2
    warnings: int = 0  # Python warnings issued
    zeros: bool = False  # an array of more than 1000 samples, all exactly zero
    named: bool = True  # an AudioDecodeError names the file
    seconds: float = 0.0  # wall time of the call in the child
    call: str = "load"

    @property
    def over_allocation(self) -> bool:
        limit = OVER_ALLOCATION_BYTES + self.output_bytes
        return self.rss_growth > limit or self.reserved > limit


# --------------------------------------------------------------------------------------------
# the corpus


def write_hostile_corpus(
    folder: str | os.PathLike[str],
    *,
    truncations: int = 12,
    mutations: int = 20,
    seed: int = 0,
    kinds: Sequence[str] = MUTATED_KINDS,
    long_seconds: float = 0.0,
) -> list[Case]:
    """Write the hostile files into ``folder`` and return the cases that try them.

    ``truncations`` prefixes of each file in ``kinds`` (offsets spread over the header and the
    whole file) and ``mutations`` seeded mutated copies of each (1-64 bytes overwritten, flipped,
    inserted or deleted, mostly in the first kilobytes where the headers are); every fourth
    mutated copy is passed as ``bytes``. ``long_seconds`` adds intact files of that length
    (FLAC, MP3, AAC), to show memory against a real output.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     cases = write_hostile_corpus(d, truncations=1, mutations=1, kinds=["wav_pcm16"])
    ...     sorted({case.group for case in cases})[:3]
    ['arguments', 'header', 'mutated']
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []
    sources: dict[str, Path] = {}
    for kind in kinds:
        path = write_source(folder / f"source_{kind}{_EXTENSIONS[kind]}", kind, 2.0, seed)
        if path is None:
            continue
        sources[kind] = path
        cases.append(_file_case(f"intact/{kind}", "intact", path))
    for kind in ("flac_16", "mp3", "m4a_aac") if long_seconds else ():
        path = write_source(folder / f"long_{kind}{_EXTENSIONS[kind]}", kind, long_seconds, 0)
        if path is not None:
            cases.append(_file_case(f"intact/long_{kind}", "intact", path, sr=None, mono=False))
    rng = np.random.default_rng([seed, 14])
    for kind, path in sources.items():
        raw = path.read_bytes()
        ext = path.suffix
        for i, cut in enumerate(_cut_points(len(raw), truncations)):
            out = folder / f"truncated_{kind}_{i}{ext}"
            out.write_bytes(raw[:cut])
            cases.append(_file_case(f"truncated/{kind}@{cut}", "truncated", out))
        for i in range(mutations):
            out = folder / f"mutated_{kind}_{i}{ext}"
            out.write_bytes(_mutate(raw, rng))
            case = _file_case(f"mutated/{kind}#{i}", "mutated", out)
            case.as_bytes = i % 4 == 3
            cases.append(case)
    cases.extend(_header_cases(folder, sources))
    cases.extend(_bomb_cases(folder))
    cases.extend(_referencing_cases(folder, sources))
    cases.extend(_malformed_wav_cases(folder))
    cases.extend(_special_cases(folder, sources))
    cases.extend(_argument_cases(sources))
    return cases


_EXTENSIONS = {
    "wav_pcm16": ".wav", "flac_16": ".flac", "ogg_vorbis": ".ogg", "ogg_opus": ".opus",
    "mp3": ".mp3", "aiff_pcm16": ".aiff", "m4a_aac": ".m4a", "mka_opus": ".mka", "wma": ".wma",
    "ac3": ".ac3",
}  # fmt: skip
# Kinds FFmpeg writes: (muxer, encoder, sample rate).
_FFMPEG_KINDS = {"mka_opus": ("matroska", "libopus", 48000), "wma": ("asf", "wmav2", 44100),
                 "ac3": ("ac3", "ac3", 44100)}


def write_source(path: Path, kind: str, seconds: float, seed: int) -> Path | None:
    """Write ``seconds`` of stereo noise plus a chirp as ``kind``; ``None`` when this build
    of libsndfile or FFmpeg cannot write it."""
    from audiodecode.bench import synth

    if kind in synth.DEMO_KINDS:
        return synth.write(path, kind, sample_rate=44100 if kind != "ogg_opus" else 48000,
                           channels=2, seconds=seconds, seed=seed)
    rate = _FFMPEG_KINDS[kind][2] if kind in _FFMPEG_KINDS else 44100
    data = synth.signal(round(seconds * rate), 2, sample_rate=rate, seed=seed)
    if kind == "aiff_pcm16":
        import soundfile

        soundfile.write(path, data, rate, format="AIFF", subtype="PCM_16")
        return path
    return _write_ffmpeg(path, kind, data, rate)


def _write_ffmpeg(path: Path, kind: str, data: np.ndarray, rate: int) -> Path | None:
    import av

    muxer, encoder, _ = _FFMPEG_KINDS[kind]
    for name in (encoder, "opus") if encoder == "libopus" else (encoder,):
        try:
            codec = av.Codec(name, "w")
            break
        except (av.FFmpegError, ValueError):
            continue
    else:
        return None
    sample_format = "fltp" if "fltp" in [f.name for f in codec.audio_formats or ()] else "flt"
    with av.open(str(path), "w", format=muxer) as container:
        stream = container.add_stream(codec.name, rate=rate)
        ctx = stream.codec_context
        ctx.layout, ctx.format = "stereo", sample_format
        if codec.name == "wmav2":
            ctx.bit_rate = 128000  # its default (0) makes avcodec_open2 fail
        if codec.name == "opus":
            ctx.options = {"strict": "-2"}  # FFmpeg's own Opus encoder is "experimental"
        ctx.open()
        step = ctx.frame_size or 1024
        samples = data.astype(np.float32)
        for start in range(0, len(samples), step):
            block = samples[start : start + step]
            array = (np.ascontiguousarray(block.T) if sample_format == "fltp"
                     else block.reshape(1, -1))
            frame = av.AudioFrame.from_ndarray(array, format=sample_format, layout="stereo")
            frame.sample_rate, frame.pts = rate, start
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def _file_case(name: str, group: str, path: Path, **kwargs: Any) -> Case:
    return Case(name, group, str(path), kwargs, size=path.stat().st_size)


def _encoded_silence(path: Path, seconds: float, rate: int = 192000, channels: int = 2) -> Path:
    """``seconds`` of digital silence as 16-bit FLAC, as libsndfile's encoder writes it (about
    1/2048 of its float32 size; :func:`testkit.crafted.flac_silence`, made by hand, is
    smaller still and is what the tests use)."""
    import soundfile

    block = np.zeros((rate * 10, channels), np.int16)
    with soundfile.SoundFile(path, "w", rate, channels, format="FLAC", subtype="PCM_16") as f:
        for start in range(0, round(seconds * rate), len(block)):
            f.write(block[: round(seconds * rate) - start])
    return path


def _bomb_cases(folder: Path) -> list[Case]:
    """Files whose few bytes decode (or probe) to far more than they hold."""
    rng = np.random.default_rng(3)
    folder = folder / "bomb"
    folder.mkdir(exist_ok=True)
    noise = rng.integers(0, 256, 8_000_000, dtype=np.uint8).tobytes()
    files = {
        # Format tag 0 at 7 Hz: FFmpeg buffered 1.2 GB of tiny packets while probing.
        "tag0_7hz_2mb.wav": crafted.riff(0, 1, 7, 16, noise[:2_000_000]),
        "tag0_7hz_8mb.wav": crafted.riff(0, 1, 7, 16, noise),
        # Honest PCM "at 22 Hz": 1002 times more frames at the default sr.
        "pcm_22hz_1.9mb.wav": crafted.riff(1, 1, 22, 16, noise[:1_900_000]),
        "pcm_22hz_1mb.wav": crafted.riff(1, 1, 22, 16, noise[:1_000_000]),
    }
    cases = []
    for name, payload in files.items():
        (folder / name).write_bytes(payload)
        cases.append(_file_case(f"bomb/{name}", "bomb", folder / name))
        if name.startswith("tag0"):
            cases.append(_file_case(f"bomb/{name}/info", "bomb", folder / name))
            cases[-1].call = "info"
            cases.append(_file_case(f"bomb/{name}/bytes", "bomb", folder / name))
            cases[-1].as_bytes = True
    silence = _encoded_silence(folder / "silence_90min_192k.flac", 90 * 60)
    cases.append(_file_case("bomb/silence_90min_192k.flac/native", "bomb", silence, sr=None))
    cases.append(_file_case("bomb/silence_90min_192k.flac/stereo", "bomb", silence, sr=None,
                            mono=False))
    cases.append(_file_case("bomb/silence_90min_192k.flac/info", "bomb", silence))
    cases[-1].call = "info"
    tone = folder / "tone.flac"
    import soundfile

    soundfile.write(tone, rng.standard_normal(44100) * 0.1, 44100, subtype="PCM_16")
    two_hz = folder / "streaminfo_2hz.flac"
    two_hz.write_bytes(crafted.flac_rate(tone.read_bytes(), 2))
    cases.append(_file_case("bomb/streaminfo_2hz.flac", "bomb", two_hz, sr=16000))
    return cases


def _malformed_wav_cases(folder: Path) -> list[Case]:
    """WAVs that libsndfile and a naive parser read differently."""
    samples = np.arange(-3000, 3000, 3, dtype="<i2").tobytes()
    files = {
        "two_data_chunks.wav": crafted.two_data_chunks(samples, samples[::-1]),
        "rf64_ds64_smaller.wav": crafted.rf64(samples, len(samples) // 2, len(samples)),
        "rf64_ds64_larger.wav": crafted.rf64(samples, len(samples), len(samples) // 2),
    }
    cases = []
    for name, payload in files.items():
        (folder / name).write_bytes(payload)
        cases.append(_file_case(f"malformed_wav/{name}", "malformed_wav", folder / name, sr=None))
    return cases


def _referencing_cases(folder: Path, sources: dict[str, Path]) -> list[Case]:
    """Playlists and scripts, under audio names, that name other files."""
    folder = folder / "referencing"
    (folder / "sub").mkdir(parents=True, exist_ok=True)
    import soundfile

    soundfile.write(folder / "sub" / "x.wav", np.full(800, 0.25, np.float32), 8000)
    segment = sources.get("m4a_aac") or folder / "sub" / "x.wav"
    files = {
        "concat.wav": "ffconcat version 1.0\nfile sub/x.wav\n",
        "concat_absolute.mp3": f"ffconcat version 1.0\nfile '{folder / 'sub' / 'x.wav'}'\n",
        "playlist.m3u8": f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:2.0,\n{segment}\n"
                         "#EXT-X-ENDLIST\n",
        "playlist.wav": f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:2.0,\n{segment}\n"
                        "#EXT-X-ENDLIST\n",
    }
    cases = []
    for name, text in files.items():
        (folder / name).write_text(text)
        cases.append(_file_case(f"referencing/{name}", "referencing", folder / name))
        cases.append(_file_case(f"referencing/{name}/bytes", "referencing", folder / name))
        cases[-1].as_bytes = True
    return cases


def _cut_points(size: int, count: int) -> list[int]:
    """``count`` distinct prefix lengths: in the headers (1-4 KB) and across the file."""
    header = [1, 4, 12, 44, 100, 300, 1000, 4000]
    spread = [int(size * f) for f in np.linspace(0.1, 0.99, max(count - len(header), 1))]
    points = sorted({p for p in header[:count] + spread if 0 < p < size})
    return points[:count]


def _mutate(raw: bytes, rng: np.random.Generator) -> bytes:
    data = bytearray(raw)
    for _ in range(int(rng.integers(1, 5))):
        # Mostly the first 4 KB (headers, first packets), sometimes anywhere.
        limit = min(len(data), 4096) if rng.random() < 0.7 else len(data)
        at = int(rng.integers(0, max(limit, 1)))
        n = int(rng.integers(1, 65))
        op = rng.integers(0, 5)
        if op == 0:  # random bytes
            data[at : at + n] = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        elif op == 1:  # flipped bits
            for j in range(at, min(at + n, len(data))):
                data[j] ^= 1 << int(rng.integers(0, 8))
        elif op == 2:  # extreme values: a length or count field becomes 0 or all ones
            data[at : at + 4] = rng.choice([b"\xff\xff\xff\xff", b"\x00\x00\x00\x00", b"\x7f\xff"])
        elif op == 3:  # inserted bytes
            data[at:at] = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        else:  # deleted bytes
            del data[at : at + n]
    return bytes(data)


def _header_cases(folder: Path, sources: dict[str, Path]) -> list[Case]:
    rng = np.random.default_rng(1)
    noise = rng.integers(-20000, 20000, 500_000, dtype=np.int16).astype("<i2").tobytes()
    files: dict[str, bytes] = {
        # 1 MB of samples said to be at 1 Hz: 500,000 s, which the default sr turns into 11e9
        # frames (it crashed libsoxr).
        "wav_1hz_1mb": crafted.riff(1, 1, 1, 16, noise),
        # 1,000 s at 1 Hz: 22 M frames at 22050 Hz, a real output of 88 MB.
        "wav_1hz_2kb": crafted.riff(1, 1, 1, 16, noise[:2000]),
        "wav_rate_4ghz": crafted.riff(1, 1, 2**32 - 1, 16, noise[:100_000]),
        "wav_65535_channels": crafted.riff(1, 65535, 8000, 8, noise[: 65535 * 3]),
        "wav_data_size_4gb": crafted.riff(1, 2, 44100, 16, noise[:40_000], data_size=2**32 - 2),
    }
    for name, payload in files.items():
        (folder / f"{name}.wav").write_bytes(payload)
    cases = [_file_case(f"header/{name}", "header", folder / f"{name}.wav") for name in files]

    def patched(kind: str, name: str, patch: Any) -> None:
        if kind not in sources:
            return
        raw = bytearray(sources[kind].read_bytes())
        for variant, data in patch(raw):
            out = folder / f"{name}_{variant}{sources[kind].suffix}"
            out.write_bytes(bytes(data))
            cases.append(_file_case(f"header/{name}_{variant}", "header", out))
            cases.append(_file_case(f"header/{name}_{variant}/native", "header", out, sr=None))

    patched("flac_16", "flac_total_samples", crafted.flac_total_samples)
    patched("mp3", "mp3_xing_frames", crafted.xing_frames)
    patched("ogg_vorbis", "ogg_granule", crafted.ogg_granule)
    patched("ogg_opus", "opus_granule", crafted.ogg_granule)
    patched("mka_opus", "mka_duration", crafted.matroska_duration)
    patched("m4a_aac", "mp4_duration", crafted.mp4_duration)
    patched("wma", "asf_duration", crafted.asf_duration)
    return cases


def _special_cases(folder: Path, sources: dict[str, Path]) -> list[Case]:
    wav = sources.get("wav_pcm16")
    special = folder / "special"
    special.mkdir(exist_ok=True)
    fifo = special / "fifo.wav"
    if not fifo.exists():
        os.mkfifo(fifo)
    loop = special / "loop.wav"
    if not loop.is_symlink():
        os.symlink(loop, loop)
    dangling = special / "dangling.wav"
    if not dangling.is_symlink():
        os.symlink(special / "nowhere.wav", dangling)
    listed = [
        ("fifo", str(fifo), ()),
        ("dev_zero", "/dev/zero", ()),
        ("dev_null", "/dev/null", ()),
        ("dev_urandom", "/dev/urandom", ()),
        ("socket", str(special / "socket.wav"), ()),  # bound by the runner
        ("directory", str(special), ("IsADirectoryError",)),
        ("symlink_loop", str(loop), _PATH_ERRORS),
        ("dangling_symlink", str(dangling), _PATH_ERRORS),
        ("missing", str(special / "missing.wav"), _PATH_ERRORS),
        ("empty_path", "", _PATH_ERRORS),
        ("closed_fd", "closed-fd", ("ValueError",)),
        ("pipe_fd", "pipe-fd", ()),
    ]
    if wav is not None:
        listed.append(("trailing_slash", f"{wav}/", _PATH_ERRORS))
    return [Case(f"special/{name}", "special", target, builtins=b) for name, target, b in listed]


def _argument_cases(sources: dict[str, Path]) -> list[Case]:
    cases = []
    grid: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
        ("sr=1e9", {"sr": 1e9}, ("ValueError",)),
        ("sr=1e-300", {"sr": 1e-300}, ("ValueError",)),
        ("sr=0.5", {"sr": 0.5}, ("ValueError",)),
        ("sr=nan", {"sr": float("nan")}, ("ValueError",)),
        ("sr=inf", {"sr": float("inf")}, ("ValueError",)),
        ("sr=8e6", {"sr": 8e6}, ("ValueError",)),
        ("sr=2**20", {"sr": 2.0**20}, ()),
        ("sr=1", {"sr": 1}, ()),
        ("offset=1e300", {"offset": 1e300}, ("ValueError",)),
        ("offset=-1e300", {"offset": -1e300}, ("ValueError",)),
        ("offset=nan", {"offset": float("nan")}, ("ValueError",)),
        ("duration=1e300", {"duration": 1e300}, ()),
        ("duration=-1", {"duration": -1.0}, ()),
        ("duration=nan", {"duration": float("nan")}, ("ValueError",)),
        ("max_duration=0.1", {"max_duration": 0.1}, ()),
        ("dtype=int16", {"dtype": "int16"}, ("ValueError",)),
    ]
    for kind in ("wav_pcm16", "m4a_aac", "flac_16", "mp3"):
        if kind not in sources:
            continue
        for label, kwargs, builtins in grid:
            case = _file_case(f"arguments/{kind}/{label}", "arguments", sources[kind], **kwargs)
            case.builtins = builtins
            cases.append(case)
    return cases


# --------------------------------------------------------------------------------------------
# the runner


def run_cases(
    cases: Sequence[Case], *, timeout: float = 20.0, python: str | None = None
) -> list[Outcome]:
    """Run every case in a forked child of a fresh runner process; one :class:`Outcome` each.

    A child that has not answered after ``timeout`` seconds is killed (a hang); one that dies
    without answering crashed. The runner imports numpy, soundfile, soxr and av once, so
    a case costs a ``fork`` and its own work.
    """
    payload = json.dumps([asdict(case) for case in cases])
    import audiodecode

    env = dict(os.environ)
    src = str(Path(audiodecode.__file__).resolve().parent.parent)  # the package being tested
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [python or sys.executable, str(Path(__file__).resolve()), str(timeout)],
        input=payload, capture_output=True, text=True, env=env, check=False,
        timeout=timeout * len(cases) + 120,
    )  # fmt: skip
    if proc.returncode != 0:
        msg = f"the hostile-input runner failed ({proc.returncode}):\n{proc.stderr[-4000:]}"
        raise RuntimeError(msg)
    return [Outcome(**item) for item in json.loads(proc.stdout)]


def _serve(timeout: float) -> None:
    """The runner's side: read cases on stdin, print outcomes on stdout."""
    import socket
    import tempfile

    import av  # noqa: F401 - imported before forking, so that every child has them
    import soundfile  # noqa: F401
    import soxr  # noqa: F401

    import audiodecode
    from audiodecode.backends import pyav, sndfile, wav  # noqa: F401

    cases = [Case(**item) for item in json.load(sys.stdin)]
    listeners = []
    for case in cases:
        if case.name == "special/socket" and not os.path.exists(case.target):
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(case.target)
            listener.listen(1)
            listeners.append(listener)
    # Warm up every backend once, so that a child's RSS growth is its own work.
    with tempfile.TemporaryDirectory() as warm:
        for kind in ("wav_pcm16", "flac_16", "m4a_aac"):
            path = write_source(Path(warm) / f"w{_EXTENSIONS[kind]}", kind, 0.2, 0)
            if path is not None:
                audiodecode.load(path)
    results = [asdict(_run_one(case, timeout)) for case in cases]
    for listener in listeners:
        os.unlink(listener.getsockname())
        listener.close()
    json.dump(results, sys.stdout)


def _run_one(case: Case, timeout: float) -> Outcome:
    import select
    import signal
    import tempfile
    import time

    read_end, write_end = os.pipe()
    stderr_file = tempfile.TemporaryFile()  # noqa: SIM115 - closed below, after the fork
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        os.dup2(stderr_file.fileno(), 2)
        try:
            result = _child(case)
        except BaseException as exc:  # noqa: BLE001 - reported, whatever it is
            result = {"outcome": "other", "detail": f"runner: {type(exc).__name__}: {exc}"}
        with os.fdopen(write_end, "w") as out:
            json.dump(result, out)
        os._exit(0)
    os.close(write_end)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    hung = False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            hung = True
            break
        ready, _, _ = select.select([read_end], [], [], left)
        if ready:
            chunk = os.read(read_end, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    if hung:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    os.close(read_end)
    stderr_file.seek(0, os.SEEK_END)
    stderr_bytes = stderr_file.tell()
    stderr_file.close()
    base: dict[str, Any] = {"name": case.name, "group": case.group, "size": case.size}
    if hung:
        return Outcome(**base, outcome="hang", detail=f"no answer after {timeout} s")
    if not chunks or os.WIFSIGNALED(status) or os.WEXITSTATUS(status) != 0:
        how = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"status {status}"
        return Outcome(**base, outcome="crash", detail=how, stderr_bytes=stderr_bytes)
    answer = json.loads(b"".join(chunks))
    return Outcome(**base, **answer, stderr_bytes=stderr_bytes)


def _rss(field_name: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field_name):
                return int(line.split()[1]) * 1024
    return 0


def _child(case: Case) -> dict[str, Any]:
    import time
    import tracemalloc
    import warnings

    import audiodecode

    target: Any = case.target
    if target == "closed-fd":
        target = os.open(os.devnull, os.O_RDONLY)
        os.close(target)
    elif target == "pipe-fd":
        target, _writer = os.pipe()  # a writer that never writes: a read would block
    elif case.as_bytes:
        target = Path(target).read_bytes()
    kwargs = dict(case.kwargs)
    if "dtype" in kwargs:
        kwargs["dtype"] = np.dtype(kwargs["dtype"])
    # The fork reset the peak RSS to the current RSS; tracemalloc sees every numpy buffer.
    before = _rss("VmRSS")
    result: dict[str, Any]
    tracemalloc.start()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        started = time.perf_counter()
        try:
            if case.call == "info":
                described = audiodecode.info(target)
                y = np.zeros(0, np.float32)
            else:
                y, _sr = audiodecode.load(target, **kwargs)
        except audiodecode.AudioDecodeError as exc:
            result = {"outcome": "typed error", "detail": f"{type(exc).__name__}: {exc}"}
            result["named"] = bool(exc.source) and exc.source in str(exc)
        except Exception as exc:  # noqa: BLE001 - classified below
            documented = any(cls.__name__ in case.builtins for cls in type(exc).__mro__)
            kind = "documented builtin" if documented else "other"
            result = {"outcome": kind, "detail": f"{type(exc).__name__}: {exc}"}
        else:
            valid = isinstance(y, np.ndarray) and y.dtype.kind == "f" and y.ndim in (1, 2)
            shown = f"shape {y.shape} {y.dtype}"
            if case.call == "info":
                shown = (f"info: {described.sample_rate} Hz, {described.channels} ch, "
                         f"{described.frames} frames")
            result = {
                "outcome": "array" if valid else "other",
                "detail": shown,
                "output_bytes": int(y.nbytes),
                "zeros": bool(y.size > 1000 and not np.any(y)),
            }
    result["seconds"] = time.perf_counter() - started
    result["call"] = case.call
    result["reserved"] = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    result["rss_growth"] = max(0, _rss("VmHWM") - before)
    result["warnings"] = len(caught)
    result["detail"] = result["detail"][:300]
    return result


# --------------------------------------------------------------------------------------------
# the table


def table(outcomes: Sequence[Outcome], *, fuzz_examples: int | None = None) -> str:
    """The outcome counts by group, as a Markdown table, and the memory figures."""
    groups = list(dict.fromkeys(o.group for o in outcomes))
    header = ["cases", "tried", *CLASSES, "zeros", "over-allocation", "largest file",
              "max RSS growth", "max reserved", "max beyond output"]  # fmt: skip
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for group in [*groups, "all"]:
        chosen = [o for o in outcomes if group in ("all", o.group)]
        counts = [sum(o.outcome == c for o in chosen) for c in CLASSES]
        row = [
            f"**{group}**" if group == "all" else group,
            str(len(chosen)),
            *map(str, counts),
            str(sum(o.zeros for o in chosen)),
            str(sum(o.over_allocation for o in chosen)),
            _mib(max((o.size for o in chosen), default=0)),
            _mib(max((o.rss_growth for o in chosen), default=0)),
            _mib(max((o.reserved for o in chosen), default=0)),
            _mib(max((max(o.rss_growth, o.reserved) - o.output_bytes for o in chosen),
                     default=0)),
        ]
        lines.append("| " + " | ".join(row) + " |")
    chatty = [o for o in outcomes if o.stderr_bytes]
    lines.append("")
    lines.append(
        f"Peak memory beyond the output, worst case: "
        f"{_mib(max((o.rss_growth - o.output_bytes for o in outcomes), default=0))} RSS, "
        f"{_mib(max((o.reserved - o.output_bytes for o in outcomes), default=0))} reserved "
        f"(limit {_mib(OVER_ALLOCATION_BYTES)} plus the output). "
        f"{len(chatty)} cases printed to stderr (largest {max((o.stderr_bytes for o in chatty), default=0)} bytes); "
        f"{sum(not o.named for o in outcomes)} typed errors did not name the file."
    )
    if fuzz_examples is not None:
        lines.append(f"Coverage-guided fuzz inputs run (atheris, benchmarks/fuzz_atheris.py): {fuzz_examples}.")
    return "\n".join(lines)


#: The groups :func:`family_table` lists case by case.
FAMILIES = ("bomb", "referencing", "malformed_wav")


def family_table(outcomes: Sequence[Outcome], groups: Sequence[str] = FAMILIES) -> str:
    """One row per case of ``groups``: the call, what it gave, its peak RSS growth and time."""
    lines = ["| case | call | file | outcome | peak RSS growth | time |", "|---|---|---|---|---|---|"]
    for o in outcomes:
        if o.group not in groups:
            continue
        what = o.detail.split(":")[0] if o.outcome != "array" else o.detail
        lines.append(f"| {o.name} | {o.call} | {_mib(o.size)} | {what} | "
                     f"{_mib(o.rss_growth)} | {o.seconds:.2f} s |")
    return "\n".join(lines)


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


if __name__ == "__main__":
    _serve(float(sys.argv[1]))
