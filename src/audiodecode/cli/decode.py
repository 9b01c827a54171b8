"""``audiodecode decode SRC... DST``: decode a whole tree once, on every core, resumably.

Every audio file under the sources (folders recursively, hidden entries skipped, formats
recognised from the bytes) is decoded through :func:`audiodecode.imap` (``load_batch``'s lazy
twin in ``audiodecode.batch``, so that a corpus of any size streams in bounded memory) and
written under DST, mirroring the folders below the deepest folder that holds every source.
``clips/a/x.mp3`` becomes ``DST/a/x.npy``; when two files of one folder share a stem
(``x.wav`` and ``x.mp3``) both keep their suffix (``x.wav.npy``, ``x.mp3.npy``).

Outputs are written to a hidden temporary name in their folder and renamed when complete, so
an existing output is a complete one: a second run skips it (unless its source is newer), and
an interrupted run resumes where it stopped. DST keeps the settings it was made with
(``.audiodecode-decode.json``); a run with other settings is refused rather than mixing two.
``DST/manifest.jsonl`` gets one JSON line per file (source, output, frames, channels,
sample_rate, duration, status: decoded, skipped or failed with the reason), and the command
ends with a summary listing every failure.

Output formats
--------------
* ``npy`` (default): the array ``load`` returns, as ``np.save`` writes it: ``np.load`` gives
  it back bit for bit, ``(channels, n)`` for ``--stereo``.
* ``wav``: 32-bit float WAV (soundfile): ``audiodecode.load(out, sr=None, mono=False)`` gives
  the array back bit for bit.
* ``flac``: FLAC stores integers, 24-bit at most: each sample is rounded to a multiple of
  2**-23 (an error of at most 2**-24, about 6e-8) and clipped to [-1, 1 - 2**-23], as
  libsndfile converts floats (a resampled peak slightly above 1.0 is flattened). Smaller
  files, not the same array.

Exit status: 0 when every file was decoded or already complete, 1 when some failed (they are
listed), 2 for bad usage (a missing source, DST made with other settings...).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from ._options import add_load_options, positive_int

_SETTINGS = ".audiodecode-decode.json"
_MANIFEST = "manifest.jsonl"
_FORMATS = ("npy", "wav", "flac")

_EPILOG = """\
examples:
  audiodecode decode data/ decoded/ --sr 16000              16 kHz mono .npy files
  audiodecode decode a/ b/ song.mp3 out/ --format flac --stereo
  audiodecode decode data/ decoded/ --on-error raise --json  stop at the first failure

Run it again to resume an interrupted run: complete outputs are skipped.
"""


def add_parser(subparsers: Any) -> None:
    """Register ``audiodecode decode``."""
    parser = subparsers.add_parser(
        "decode",
        help="decode a tree of audio files into .npy/.wav/.flac, on every core, resumably",
        description=(
            "Decode every audio file under SRC (files or folders) as audiodecode.load does, "
            "and write the arrays under DST, mirroring the folders. Complete outputs are "
            "skipped, so an interrupted run resumes."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("sources", nargs="+", metavar="SRC", help="audio files or folders")
    parser.add_argument("destination", metavar="DST", help="output folder (created)")
    add_load_options(parser, sr_help="target sampling rate (default: native, no resampling)")
    parser.add_argument("--format", choices=_FORMATS, default="npy",
                        help="output format (default: npy)")
    parser.add_argument("--workers", type=positive_int, default=None, metavar="N",
                        help="files decoded at once (default: every core)")
    parser.add_argument("--on-error", choices=("skip", "raise"), default="skip",
                        help="skip a file that fails and go on (default), or stop")
    parser.add_argument("--json", action="store_true",
                        help="print the summary as one JSON object")
    parser.set_defaults(func=run)


class _UsageError(Exception):
    pass


def run(args: argparse.Namespace) -> int:
    """Decode the sources; returns the exit code."""
    try:
        return _run(args)
    except _UsageError as exc:
        print(f"audiodecode decode: error: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    destination = os.path.abspath(args.destination)
    if os.path.exists(destination) and not os.path.isdir(destination):
        msg = f"DST {args.destination} exists and is not a folder"
        raise _UsageError(msg)
    if args.format != "npy" and args.sr is not None and not isinstance(args.sr, int):
        msg = f"--format {args.format} needs a whole sampling rate, not {args.sr}"
        raise _UsageError(msg)
    settings = {"sr": args.sr, "mono": args.mono, "format": args.format, "dtype": "float32"}
    candidates = _candidates(args.sources, destination, "." + args.format)
    _check_settings(destination, settings)

    work: list[tuple[str, str]] = []  # (source, output) to decode
    records: list[dict[str, Any]] = []
    not_audio: list[str] = []
    for source, output, named in candidates:
        if _complete(source, output):
            records.append(_skipped_record(source, output, destination, args))
        elif named or _is_audio(source):
            work.append((source, output))
        else:
            not_audio.append(source)

    failures: list[dict[str, str]] = []
    interrupted = False
    try:
        _decode(work, destination, args, records, failures)
    except KeyboardInterrupt:
        interrupted = True
    records.extend({"source": f["source"], "status": "failed", "reason": f["reason"]}
                   for f in failures)
    manifest = _write_manifest(destination, records)
    summary = {
        "destination": destination,
        "manifest": manifest,
        "decoded": sum(r["status"] == "decoded" for r in records),
        "skipped": sum(r["status"] == "skipped" for r in records),
        "failed": len(failures),
        "failures": failures,
        "not_audio": not_audio,
        "interrupted": interrupted,
        "seconds": round(time.perf_counter() - started, 3),
    }
    _print_summary(summary, as_json=args.json)
    if interrupted:
        return 130
    return 1 if failures else 0


# --- what to decode, and where it goes --------------------------------------------------------


def _candidates(
    sources: list[str], destination: str, suffix: str
) -> list[tuple[str, str, bool]]:
    """``(source, output, named)`` for every file under ``sources``.

    ``named``: given on the command line (decoded whatever its bytes, so an unreadable one is
    reported), rather than found in a folder (kept only if it is audio).
    """
    missing = [s for s in sources if not os.path.exists(s)]
    if missing:
        msg = f"no such file or folder: {missing[0]}"
        raise _UsageError(msg)
    found: list[tuple[str, bool]] = []
    roots = []
    for source in sources:
        if os.path.isdir(source):
            roots.append(os.path.abspath(source))
            for folder, dirs, names in os.walk(source):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                                 and os.path.abspath(os.path.join(folder, d)) != destination)
                found += [(os.path.join(folder, n), False) for n in sorted(names)
                          if not n.startswith(".")]
        else:
            roots.append(os.path.dirname(os.path.abspath(source)))
            found.append((source, True))
    common = os.path.commonpath(roots)
    seen: set[str] = set()
    unique: list[tuple[str, str, bool]] = []
    for path, named in found:
        absolute = os.path.abspath(path)
        if absolute in seen or not os.path.isfile(path):
            continue
        seen.add(absolute)
        unique.append((path, os.path.relpath(absolute, common), named))
    # Two files of one folder with the same stem both keep their suffix.
    stems: dict[str, int] = {}
    for _, relative, _ in unique:
        stem = os.path.splitext(relative)[0]
        stems[stem] = stems.get(stem, 0) + 1
    candidates = []
    for path, relative, named in unique:
        stem = os.path.splitext(relative)[0]
        kept = relative if stems[stem] > 1 else stem
        candidates.append((path, os.path.join(destination, kept + suffix), named))
    return candidates


def _is_audio(path: str) -> bool:
    from .. import info
    from .._source import HEAD_BYTES, sniff

    try:
        with open(path, "rb") as f:
            if sniff(f.read(HEAD_BYTES)) != "unknown":
                return True
        info(path)  # some containers are only recognised by a backend
    except Exception:  # noqa: BLE001 - unreadable or not audio: not ours to decode
        return False
    return True


def _check_settings(destination: str, settings: dict[str, Any]) -> None:
    path = os.path.join(destination, _SETTINGS)
    try:
        with open(path, encoding="utf-8") as f:
            previous = json.load(f)
    except FileNotFoundError:
        os.makedirs(destination, exist_ok=True)
        _atomic_text(path, json.dumps(settings) + "\n")
        return
    except (OSError, ValueError) as exc:
        msg = f"cannot read {path}: {exc}"
        raise _UsageError(msg) from None
    if previous != settings:
        msg = (f"{destination} was decoded with other settings ({_describe(previous)}; now "
               f"{_describe(settings)}): choose another DST, or delete it to start again")
        raise _UsageError(msg)


def _describe(settings: dict[str, Any]) -> str:
    sr = settings.get("sr")
    return (f"--sr {sr if sr is not None else 'native'} "
            f"{'--mono' if settings.get('mono', True) else '--stereo'} "
            f"--format {settings.get('format')}")


def _complete(source: str, output: str) -> bool:
    """Outputs appear only by a rename once written: one that exists is whole."""
    try:
        return os.stat(output).st_mtime_ns >= os.stat(source).st_mtime_ns
    except OSError:
        return False


# --- decoding and writing ---------------------------------------------------------------------


def _decode(
    work: list[tuple[str, str]], destination: str, args: argparse.Namespace,
    records: list[dict[str, Any]], failures: list[dict[str, str]],
) -> None:
    import warnings

    from .. import AudioDecodeError
    from .. import cache as decode_cache
    from ..batch import SkippedFilesWarning, imap

    if not work:
        return
    # The outputs are this command's cache; storing every array twice would only evict others.
    decode_cache.disable()
    kwargs: dict[str, Any] = {"sr": args.sr, "mono": args.mono, "workers": args.workers,
                              "on_error": args.on_error}
    try:
        results = imap([source for source, _ in work], progress=True, **kwargs)
    except ImportError:  # neither tqdm nor rich: no bar
        results = imap([source for source, _ in work], **kwargs)
    with results, warnings.catch_warnings():
        warnings.simplefilter("ignore", SkippedFilesWarning)  # listed in our own summary
        try:
            for (source, output), result in zip(work, results, strict=False):
                if result is None:  # skipped: its Failure is in results.failures
                    continue
                y, sr = result
                try:
                    _write_output(y, sr, output, args.format)
                except (OSError, RuntimeError, ValueError) as exc:
                    failures.append({"source": source, "reason": f"writing the output: {exc}"})
                    continue
                records.append(_record(source, output, destination, y, sr, "decoded"))
        except AudioDecodeError as exc:  # --on-error raise: stop at the first failure
            failures.append({"source": exc.source, "reason": _reason(exc)})
        failures.extend({"source": f.path, "reason": f.reason} for f in results.failures)


def _reason(exc: Exception) -> str:
    from .. import AudioDecodeError

    if isinstance(exc, AudioDecodeError):
        where = f" [{exc.backend}]" if exc.backend else ""
        return f"{type(exc).__name__}: {exc.reason}{where}"
    return f"{type(exc).__name__}: {exc}"


def _write_output(y: Any, sr: float, output: str, fmt: str) -> None:
    """Write under a temporary name, then rename: an output that exists is complete."""
    folder, name = os.path.split(output)
    os.makedirs(folder, exist_ok=True)
    _remove_leftovers(folder, name)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.partial")
    try:
        if fmt == "npy":
            import numpy as np

            with open(tmp, "wb") as f:
                np.save(f, y)
        else:
            import soundfile

            frames = y.T if y.ndim == 2 else y
            subtype = "FLOAT" if fmt == "wav" else "PCM_24"
            soundfile.write(tmp, frames, int(sr), subtype=subtype, format=fmt.upper())
        os.replace(tmp, output)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _remove_leftovers(folder: str, name: str) -> None:
    """Delete what a killed run left while writing this output."""
    prefix = f".{name}."
    try:
        for item in os.scandir(folder):
            if item.name.startswith(prefix) and item.name.endswith(".partial"):
                os.unlink(item.path)
    except OSError:
        pass


def _record(
    source: str, output: str, destination: str, y: Any, sr: float, status: str
) -> dict[str, Any]:
    frames = int(y.shape[-1])
    channels = 1 if y.ndim == 1 else int(y.shape[0])
    return {"source": source, "output": os.path.relpath(output, destination),
            "frames": frames, "channels": channels, "sample_rate": sr,
            "duration": frames / sr, "status": status}


def _skipped_record(
    source: str, output: str, destination: str, args: argparse.Namespace
) -> dict[str, Any]:
    """The record of an output made by an earlier run, from its header."""
    if args.format == "npy":
        import numpy as np

        shape = np.load(output, mmap_mode="r").shape
        frames, channels = int(shape[-1]), 1 if len(shape) == 1 else int(shape[0])
        if args.sr is not None:
            sr: float = args.sr
        else:
            from .. import info

            sr = info(source).sample_rate
    else:
        import soundfile

        details = soundfile.info(output)
        frames, channels, sr = details.frames, details.channels, details.samplerate
    return {"source": source, "output": os.path.relpath(output, destination),
            "frames": frames, "channels": channels, "sample_rate": sr,
            "duration": frames / sr, "status": "skipped"}


def _write_manifest(destination: str, records: list[dict[str, Any]]) -> str:
    path = os.path.join(destination, _MANIFEST)
    records.sort(key=lambda r: r["source"])
    _atomic_text(path, "".join(json.dumps(r) + "\n" for r in records))
    return path


def _atomic_text(path: str, text: str) -> None:
    tmp = f"{path}.{os.getpid()}.partial"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def _print_summary(summary: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    total = summary["decoded"] + summary["skipped"] + summary["failed"]
    print(f"{summary['decoded']} decoded, {summary['skipped']} already complete, "
          f"{summary['failed']} failed, of {total} files, in {summary['seconds']:.1f} s")
    print(f"outputs in {summary['destination']}, manifest {summary['manifest']}")
    if summary["not_audio"]:
        print(f"{len(summary['not_audio'])} files skipped as not audio")
    if summary["interrupted"]:
        print("interrupted: run the same command again to resume")
    if summary["failures"]:
        print(f"{summary['failed']} files failed:")
        for failure in summary["failures"]:
            print(f"  {failure['source']}: {failure['reason']}")
