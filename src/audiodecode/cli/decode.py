"""``audiodecode decode SRC... DST``: decode a whole tree once, on every core, resumably.

Every audio file under the sources (folders recursively, found and judged as everywhere in
audiodecode: ``audiodecode._discovery``) is decoded through :func:`audiodecode.imap`
(``load_batch``'s lazy twin in ``audiodecode.batch``, so that a corpus of any size streams in
bounded memory) and written under DST. Files in the folders that are not audio (MIDI,
images, text, videos without sound) are skipped and listed; a file named on the command
line that is not audio is a failure.

Output names
------------
One rule, always: an output mirrors its source's path below the deepest folder that holds
every source, with the format's suffix *appended*: ``clips/a/x.mp3`` becomes
``DST/a/x.mp3.npy``, ``x.wav`` becomes ``x.wav.npy`` and ``x.wav.wav`` becomes
``x.wav.wav.npy``. Two sources cannot share an output; the names are still checked before
anything is written, ignoring case and Unicode normalisation (DST may be on a disk that
ignores them), and a clash is refused, naming both files.

Resuming
--------
Outputs are written to a hidden temporary name in their folder (created exclusively, never
through a symbolic link) and renamed when complete, with the source's modification time. An
output is complete when its time still equals its source's and its header is whole; a second
run skips those ("complete" in the manifest) and decodes again, saying why, an output that
is unreadable (a 0-byte file) or older or newer than its source (the source was changed or
replaced). DST keeps the settings it was made with (``.audiodecode-decode.json``); a run
with other settings is refused rather than mixing two. DST may be neither a source folder,
nor inside one, nor hold one, however they are spelled (links are resolved).
``DST/manifest.jsonl`` gets one JSON line per file (source, output, frames, channels,
sample_rate, duration, and the status: ``decoded``, ``complete`` (by an earlier run),
``not_audio`` or ``failed``, with the reason), and the command ends with a summary listing
every failure and every file skipped as not audio.

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

Exit status: 0 when every file was decoded or already complete; 1 when some failed (they are
listed), when no audio was found, or when DST cannot be written; 2 for bad usage (a missing
source, a rate ``load`` refuses, DST inside a source or made with other settings, two
sources for one output...), reported on one line before anything is written; 130 when
interrupted (Ctrl-C), after writing the manifest of what was done.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import functools
import json
import os
import re
import secrets
import stat
import sys
import time
import unicodedata
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Callable

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
    """Bad usage: one line, exit 2, nothing written."""


class _DestinationError(Exception):
    """DST cannot be created or written: one line, exit 1."""


def run(args: argparse.Namespace) -> int:
    """Decode the sources; returns the exit code."""
    try:
        return _run(args)
    except _UsageError as exc:
        print(f"audiodecode decode: error: {exc}", file=sys.stderr)
        return 2
    except _DestinationError as exc:
        print(f"audiodecode decode: error: {exc}", file=sys.stderr)
        return 1


class _Job(NamedTuple):
    source: str
    output: str  # absolute
    named: bool


def _run(args: argparse.Namespace) -> int:
    from .._discovery import NOT_AUDIO, classify

    started = time.perf_counter()
    destination = os.path.abspath(args.destination)
    suffix = "." + args.format
    # Everything is checked before the first byte is written (the settings file included),
    # so that a corrected command is never refused because of a refused one.
    _check_usage(args, destination)
    jobs = _jobs(args.sources, destination, suffix)
    _check_settings(destination, _settings(args))

    records: list[dict[str, Any]] = []
    work: list[_Job] = []
    redone: dict[str, str] = {}  # source -> why its existing output is decoded again
    not_audio: dict[str, str] = {}
    orphans: list[str] = []  # outputs whose source is no longer audio
    failures: list[dict[str, str]] = []
    try:
        for job in jobs:
            record, stale = _existing(job, destination, args)
            if record is not None:
                records.append(record)
                continue
            verdict = classify(job.source)
            if verdict.kind == NOT_AUDIO:
                if stale:
                    orphans.append(job.output)
                if job.named:
                    failures.append({"source": job.source,
                                     "reason": f"not audio: {verdict.reason}"})
                else:
                    not_audio[job.source] = verdict.reason
                    records.append({"source": job.source, "status": "not_audio",
                                    "reason": verdict.reason})
            else:
                work.append(job)
                if stale:
                    redone[job.source] = stale
    except KeyboardInterrupt:
        print("audiodecode decode: interrupted while looking at the files; nothing was written",
              file=sys.stderr)
        return 130
    total = len(jobs) - len(not_audio)
    if total == 0:
        listed = "".join(f"\n  {path}: {why}" for path, why in not_audio.items())
        print(f"audiodecode decode: error: no audio files found under "
              f"{', '.join(args.sources)}{listed}", file=sys.stderr)
        return 1

    target = _Destination(destination)
    target.write_text(_SETTINGS, json.dumps(_settings(args)) + "\n")
    target.remove_leftovers()
    for output in orphans:  # DST holds outputs of the sources as they are, nothing else
        target.remove(output)
    interrupted = stopped = False
    try:
        stopped = _decode(work, target, args, records, failures)
    except KeyboardInterrupt:
        interrupted = True
    records.extend({"source": f["source"], "status": "failed", "reason": f["reason"]}
                   for f in failures)
    for record in records:
        if record["source"] in redone and record["status"] == "decoded":
            record["redone"] = redone[record["source"]]
    manifest = _write_manifest(target, records)
    done = {r["source"] for r in records if r["status"] != "not_audio"}
    summary = {
        "destination": destination,
        "manifest": manifest,
        "files": total,
        "handled": len(done),
        "decoded": sum(r["status"] == "decoded" for r in records),
        "complete": sum(r["status"] == "complete" for r in records),
        "failed": len(failures),
        "failures": failures,
        "redone": [{"source": r["source"], "reason": r["redone"]}
                   for r in records if "redone" in r],
        "not_audio": list(not_audio),  # paths; the manifest and the text summary say why
        "not_audio_reasons": not_audio,
        "interrupted": interrupted,
        "stopped": stopped,
        "seconds": round(time.perf_counter() - started, 3),
    }
    _print_summary(summary, as_json=args.json)
    if interrupted:
        return 130
    return 1 if failures else 0


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    return {"sr": args.sr, "mono": args.mono, "format": args.format, "dtype": "float32"}


# --- checks, before anything is written -------------------------------------------------------


def _check_usage(args: argparse.Namespace, destination: str) -> None:
    if args.format != "npy" and args.sr is not None and not isinstance(args.sr, int):
        msg = f"--format {args.format} needs a whole sampling rate, not {args.sr}"
        raise _UsageError(msg)
    missing = [s for s in args.sources if not os.path.exists(s)]
    if missing:
        msg = f"no such file or folder: {missing[0]}"
        raise _UsageError(msg)
    if os.path.exists(destination) and not os.path.isdir(destination):
        msg = f"DST {args.destination} exists and is not a folder"
        raise _UsageError(msg)
    # Compared by identity (device and inode) along the real paths, so that a link, a bind
    # mount or another case of the same folder is recognised.
    dst_chain = _identities(destination)
    dst_id = dst_chain[0] if os.path.isdir(destination) else None
    for source in args.sources:
        source_chain = _identities(source)
        if os.path.isdir(source) and source_chain[0] in dst_chain:
            where = "is" if dst_id == source_chain[0] else "is inside"
            msg = (f"DST {args.destination} {where} the source folder {source}: outputs would "
                   "be decoded as sources; choose a DST outside it")
            raise _UsageError(msg)
        if dst_id is not None and dst_id in source_chain:
            msg = (f"the source {source} is inside DST {args.destination}: outputs would be "
                   "decoded as sources; choose a DST outside it")
            raise _UsageError(msg)


def _identities(path: str) -> list[tuple[int, int]]:
    """``(st_dev, st_ino)`` of ``path`` (when it exists) and of each folder above it."""
    chain = []
    here = os.path.realpath(path)
    while True:
        try:
            info = os.stat(here)
        except OSError:
            pass
        else:
            chain.append((info.st_dev, info.st_ino))
        parent = os.path.dirname(here)
        if parent == here:
            return chain
        here = parent


def _jobs(sources: list[str], destination: str, suffix: str) -> list[_Job]:
    """Every file under ``sources`` and its output (the module's naming rule), checked for
    clashes."""
    from .._discovery import walk

    try:
        found = walk(sources)
    except OSError as exc:  # a folder that cannot be listed
        msg = f"cannot list {exc.filename}: {exc.strerror or exc}"
        raise _DestinationError(msg) from None
    roots = [os.path.abspath(f.root) if not f.named else os.path.dirname(os.path.abspath(f.path))
             for f in found]
    common = os.path.commonpath(roots) if roots else ""
    jobs = []
    claimed: dict[str, str] = {}
    for entry in found:
        relative = os.path.relpath(os.path.abspath(entry.path), common)
        output = os.path.join(destination, relative + suffix)
        key = unicodedata.normalize("NFC", relative).casefold()
        if key in claimed:
            msg = (f"{claimed[key]} and {entry.path} would both be written to "
                   f"{output} (on a disk that ignores case); rename one")
            raise _UsageError(msg)
        claimed[key] = entry.path
        jobs.append(_Job(entry.path, output, entry.named))
    return jobs


def _check_settings(destination: str, settings: dict[str, Any]) -> None:
    path = os.path.join(destination, _SETTINGS)
    try:
        with open(path, encoding="utf-8") as f:
            previous = json.load(f)
    except FileNotFoundError:
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


def _existing(
    job: _Job, destination: str, args: argparse.Namespace
) -> tuple[dict[str, Any] | None, str | None]:
    """The "complete" record of an output an earlier run made for this very source, or why
    the output there cannot be kept (``None`` when there is none)."""
    try:
        output_stat = os.lstat(job.output)
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"the earlier output cannot be read: {exc.strerror or exc}"
    try:
        source_mtime = os.stat(job.source).st_mtime_ns
    except OSError:
        return None, None  # decoding it says what is wrong
    if not stat.S_ISREG(output_stat.st_mode) or _linked(destination, os.path.dirname(job.output)):
        return None, "the earlier output is not a regular file in DST"
    if output_stat.st_mtime_ns != source_mtime:
        # Outputs get their source's time when written: any other time means the source
        # was changed or replaced since (even by an older file).
        return None, "the source or its output changed since the output was written"
    try:
        frames, channels, sr = _read_output_header(job, args)
    except Exception as exc:  # noqa: BLE001 - whatever is wrong with it, it is decoded again
        return None, f"the earlier output is unreadable ({type(exc).__name__}: {exc})"
    return {"source": job.source, "output": os.path.relpath(job.output, destination),
            "frames": frames, "channels": channels, "sample_rate": sr,
            "duration": frames / sr, "status": "complete"}, None


def _read_output_header(job: _Job, args: argparse.Namespace) -> tuple[int, int, float]:
    """Frames, channels and rate of an output, checking that its data is all there."""
    ndim = 1 if args.mono else 2
    if args.format == "npy":
        import numpy as np

        with open(job.output, "rb") as f:
            version = np.lib.format.read_magic(f)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, _, dtype = read_header(f)
            expected = f.tell() + int(np.prod(shape)) * dtype.itemsize
            size = os.fstat(f.fileno()).st_size
        if size != expected or dtype != np.float32 or len(shape) != ndim:
            msg = f"{size} bytes where a {dtype} array of shape {shape} needs {expected}"
            raise ValueError(msg)
        frames, channels = int(shape[-1]), 1 if ndim == 1 else int(shape[0])
        if args.sr is not None:
            return frames, channels, args.sr
        from .. import info

        return frames, channels, info(job.source).sample_rate
    import soundfile

    details = soundfile.info(job.output)
    return details.frames, details.channels, details.samplerate


# --- decoding and writing ---------------------------------------------------------------------


def _decode(
    work: list[_Job], target: _Destination, args: argparse.Namespace,
    records: list[dict[str, Any]], failures: list[dict[str, str]],
) -> bool:
    """Decode ``work`` into ``target``; returns whether ``--on-error raise`` stopped it."""
    import warnings

    from .. import AudioDecodeError
    from .. import cache as decode_cache
    from ..batch import SkippedFilesWarning, imap

    if not work:
        return False
    # The outputs are this command's cache; storing every array twice would only evict others.
    decode_cache.disable()
    kwargs: dict[str, Any] = {"sr": args.sr, "mono": args.mono, "workers": args.workers,
                              "on_error": args.on_error}
    try:
        results = imap([job.source for job in work], progress=True, **kwargs)
    except ImportError:  # neither tqdm nor rich: no bar
        results = imap([job.source for job in work], **kwargs)
    stopped = False
    with results, warnings.catch_warnings():
        warnings.simplefilter("ignore", SkippedFilesWarning)  # listed in our own summary
        try:
            for job, result in zip(work, results, strict=False):
                if result is None:  # skipped: its Failure is in results.failures
                    continue
                y, sr = result
                try:
                    _write_output(target, job, y, sr, args.format)
                except (OSError, RuntimeError, ValueError) as exc:
                    failures.append({"source": job.source,
                                     "reason": f"writing the output: {_reason(exc)}"})
                    continue
                records.append(_record(job, target.path, y, sr))
        except (AudioDecodeError, OSError, ValueError) as exc:  # --on-error raise
            source = (exc.source if isinstance(exc, AudioDecodeError)
                      else str(getattr(exc, "filename", None)))
            failures.append({"source": source, "reason": _reason(exc)})
            stopped = True
        failures.extend({"source": str(f.path), "reason": f.reason} for f in results.failures)
    # An output left from before belongs to a source that no longer decodes: it goes, so
    # that what DST holds always matches the sources.
    outputs = {job.source: job.output for job in work}
    for failure in failures:
        output = outputs.get(failure["source"])
        if output is not None and target.remove(output):
            failure["reason"] += "; its earlier output was removed"
    return stopped


def _reason(exc: BaseException) -> str:
    from ..errors import describe_failure

    if isinstance(exc, OSError) and exc.strerror:
        return f"{type(exc).__name__}: {exc.strerror}"
    return describe_failure(exc)


def _write_output(target: _Destination, job: _Job, y: Any, sr: float, fmt: str) -> None:
    """Write one output atomically, stamped with its source's time (see "Resuming")."""
    mtime = os.stat(job.source).st_mtime_ns

    def write(f: Any) -> None:
        if fmt == "npy":
            import numpy as np

            np.save(f, y)
        else:
            import soundfile

            frames = y.T if y.ndim == 2 else y
            subtype = "FLOAT" if fmt == "wav" else "PCM_24"
            soundfile.write(f, frames, int(sr), subtype=subtype, format=fmt.upper())

    target.write(os.path.relpath(job.output, target.path), write, mtime_ns=mtime)


def _record(job: _Job, destination: str, y: Any, sr: float) -> dict[str, Any]:
    frames = int(y.shape[-1])
    channels = 1 if y.ndim == 1 else int(y.shape[0])
    return {"source": job.source, "output": os.path.relpath(job.output, destination),
            "frames": frames, "channels": channels, "sample_rate": sr,
            "duration": frames / sr, "status": "decoded"}


def _write_manifest(target: _Destination, records: list[dict[str, Any]]) -> str:
    records.sort(key=lambda r: r["source"])
    target.write_text(_MANIFEST, "".join(json.dumps(r) + "\n" for r in records))
    return os.path.join(target.path, _MANIFEST)


# Temporary names: ``.<name>.<random hex>.partial`` (earlier versions used the process id).
_PARTIAL = re.compile(r"\..+\.[0-9a-f]+\.partial")
_WRITE_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
# Where the OS resolves names relative to an open folder, every folder below DST is opened
# without following links, so no output is written through a link planted in DST.
# (``os.replace`` is ``renameat`` like ``os.rename``, but only the latter is listed.)
_AT = (os.open in os.supports_dir_fd and os.mkdir in os.supports_dir_fd
       and os.rename in os.supports_dir_fd and os.unlink in os.supports_dir_fd)


class _Destination:
    """DST, created if needed; every file written below it atomically, never through a link.

    A file is written to a new hidden temporary name (``O_CREAT | O_EXCL | O_NOFOLLOW``) in
    its folder, then renamed over the final name (``os.replace`` replaces a link, never what
    it points to); a folder that is a link is refused.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            os.makedirs(path, exist_ok=True)
            probe = os.path.join(path, f".audiodecode-{secrets.token_hex(8)}.partial")
            os.close(os.open(probe, _WRITE_FLAGS, 0o600))
            os.unlink(probe)
        except OSError as exc:
            msg = f"cannot write to DST {path}: {exc.strerror or exc}"
            raise _DestinationError(msg) from None

    def write(self, relative: str, fill: Callable[[Any], None], *,
              mtime_ns: int | None = None) -> None:
        folder, name = os.path.split(relative)
        tmp = f".{name}.{secrets.token_hex(8)}.partial"
        dir_fd = self._open_folder(folder)
        try:
            fd = os.open(tmp if _AT else os.path.join(self.path, folder, tmp), _WRITE_FLAGS,
                         0o644, **({"dir_fd": dir_fd} if _AT else {}))
            try:
                with open(fd, "wb") as f:
                    fill(f)
                    f.flush()
                    if mtime_ns is not None:
                        os.utime(f.fileno(), ns=(mtime_ns, mtime_ns))
                if _AT:
                    os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
                else:
                    os.replace(os.path.join(self.path, folder, tmp),
                               os.path.join(self.path, relative))
            except BaseException:
                with contextlib.suppress(OSError):
                    if _AT:
                        os.unlink(tmp, dir_fd=dir_fd)
                    else:
                        os.unlink(os.path.join(self.path, folder, tmp))
                raise
        finally:
            if dir_fd is not None:
                os.close(dir_fd)

    def write_text(self, name: str, text: str) -> None:
        try:
            self.write(name, lambda f: f.write(text.encode("utf-8")))
        except OSError as exc:
            msg = f"cannot write {os.path.join(self.path, name)}: {exc.strerror or exc}"
            raise _DestinationError(msg) from None

    def remove(self, output: str) -> bool:
        """Delete ``output`` (a path below DST) if it exists, never through a link to a
        folder; whether it did."""
        folder, name = os.path.split(os.path.relpath(output, self.path))
        try:
            if not _AT:
                if self.linked(output):
                    return False
                os.unlink(output)
                return True
            dir_fd = self._open_folder(folder, create=False)
            assert dir_fd is not None
            try:
                os.unlink(name, dir_fd=dir_fd)
            finally:
                os.close(dir_fd)
        except OSError:
            return False
        return True

    def linked(self, output: str) -> bool:
        """Whether a folder between DST and ``output`` is a symbolic link."""
        return _linked(self.path, os.path.dirname(output))

    def _open_folder(self, relative: str, *, create: bool = True) -> int | None:
        """Create the folders of ``relative`` below DST, and open the last one."""
        if not _AT:
            here = self.path
            for part in filter(None, relative.split(os.sep)):
                here = os.path.join(here, part)
                if os.path.islink(here):
                    raise OSError(errno.ELOOP, "a symbolic link in DST", here)
                os.makedirs(here, exist_ok=True)
            return None
        fd = os.open(self.path, _DIR_FLAGS & ~getattr(os, "O_NOFOLLOW", 0))
        try:
            for part in filter(None, relative.split(os.sep)):
                if create:
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(part, 0o777, dir_fd=fd)
                try:
                    child = os.open(part, _DIR_FLAGS, dir_fd=fd)
                except OSError as exc:
                    if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                        where = os.path.join(self.path, relative)
                        msg = f"{part} is a symbolic link or a file, not a folder"
                        raise OSError(exc.errno, msg, where) from None
                    raise
                os.close(fd)
                fd = child
        except BaseException:
            os.close(fd)
            raise
        return fd

    def remove_leftovers(self) -> None:
        """Delete what a killed run left while writing (hidden ``.partial`` files)."""
        for folder, dirs, names in os.walk(self.path):
            dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
            for name in names:
                if _PARTIAL.fullmatch(name):
                    with contextlib.suppress(OSError):
                        os.unlink(os.path.join(folder, name))


@functools.lru_cache(maxsize=4096)
def _linked(destination: str, folder: str) -> bool:
    """Whether ``folder`` or one above it, up to ``destination``, is a symbolic link."""
    while folder != destination and len(folder) > len(destination):
        if os.path.islink(folder):
            return True
        folder = os.path.dirname(folder)
    return False


def _print_summary(summary: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    counts = (f"{summary['decoded']} decoded, {summary['complete']} already complete, "
              f"{summary['failed']} failed")
    if summary["interrupted"] or summary["stopped"]:
        why = "interrupted" if summary["interrupted"] else "stopped at a failure"
        print(f"{why} after {summary['handled']} of {summary['files']} files ({counts}), "
              f"in {summary['seconds']:.1f} s")
    else:
        print(f"{counts}, of {summary['files']} files, in {summary['seconds']:.1f} s")
    print(f"outputs in {summary['destination']}, manifest {summary['manifest']}")
    if summary["interrupted"]:
        print("run the same command again to resume")
    if summary["redone"]:
        print(f"{len(summary['redone'])} earlier outputs were decoded again:")
        for item in summary["redone"]:
            print(f"  {item['source']}: {item['reason']}")
    if summary["not_audio"]:
        print(f"{len(summary['not_audio'])} files skipped as not audio:")
        for path, why in summary["not_audio_reasons"].items():
            print(f"  {path}: {why}")
    if summary["failures"]:
        print(f"{summary['failed']} files failed:")
        for failure in summary["failures"]:
            print(f"  {failure['source']}: {failure['reason']}")
