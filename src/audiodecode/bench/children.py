"""Cold starts and peak memory, each measured in fresh child processes."""

from __future__ import annotations

import atexit
import functools
import json
import marshal
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import TYPE_CHECKING, Any

from . import _child
from .discovery import FileEntry
from .results import ColdStartResult, ColdStartSpec, MemoryResult, MemorySpec, MiB

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .loaders import Loader
    from .progress import Progress
    from .runs import FileRun


@functools.cache
def _child_code() -> str:
    """A file holding ``_child.py``'s code object, compiled once per benchmark process.

    A child runs that code rather than importing ``audiodecode.bench._child`` (which would
    import the audiodecode package first, so a peer's cold start would include ours) or
    ``runpy.run_path`` (which imports pkgutil and typing and compiles the source again:
    about 18 ms of every child's start-up). ``marshal`` is built in, so loading the code
    costs next to nothing.
    """
    with open(_child.__file__, "rb") as source:
        code = compile(source.read(), _child.__file__, "exec", dont_inherit=True)
    handle, name = tempfile.mkstemp(prefix="audiodecode-bench-child-", suffix=".marshal")
    with os.fdopen(handle, "wb") as out:
        marshal.dump(code, out)
    atexit.register(os.unlink, name)
    return name


def child_command(arguments: list[str]) -> list[str]:
    """The command line of a child process running ``_child.main(arguments)``."""
    run = (f"import marshal, sys; sys.argv[0] = {_child.__file__!r}; "
           f"exec(marshal.load(open({_child_code()!r}, 'rb')), "
           f"{{'__name__': '__main__', '__file__': {_child.__file__!r}}})")
    return [sys.executable, "-c", run, *arguments]


def _run_child(arguments: list[str], timeout: float = 300.0,
               ) -> tuple[float, subprocess.CompletedProcess[str]]:
    command = child_command(arguments)
    start = time.perf_counter_ns()
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          check=False)
    return (time.perf_counter_ns() - start) / 1e6, done


def _child_error(done: subprocess.CompletedProcess[str]) -> str:
    lines = done.stderr.strip().splitlines()
    return lines[-1] if lines else f"exit status {done.returncode}"


def cold_start(spec: ColdStartSpec, loaders: Sequence[Loader], readable: list[FileRun],
                bar: Progress) -> ColdStartResult:
    if spec.path is not None:
        target = next((r for r in readable if r.entry.path == spec.path), None)
        path = spec.path
    else:
        # The shortest file of the first table (WAV when there is one): the cost of a load
        # is then nearly all start-up, which is what this measures.
        first_group = [r for r in readable if r.group == readable[0].group]
        target = min(first_group, key=lambda r: r.entry.seconds)
        path = target.entry.path
    rows: dict[str, dict[str, Any]] = {}
    runnable = []
    for loader in loaders:
        info = target.entry.info if target is not None else FileEntry.from_path(path).info
        if not loader.applies_to(info):
            continue
        if target is not None and loader.name in target.errors:
            rows[loader.name] = {"median_ms": None, "times_ms": [], "speedup": None,
                                 "error": "cannot read this file"}
            continue
        rows[loader.name] = {"median_ms": None, "times_ms": [], "speedup": None, "error": ""}
        runnable.append(loader)
    interpreter: list[float] = []
    for repeat in range(spec.repeats):
        # Round-robin, rotated, as in the timed loop: noise hits every loader alike.
        shift = repeat % max(len(runnable), 1)
        for child in [None, *runnable[shift:], *runnable[:shift]]:
            arguments = (["nothing"] if child is None
                         else child.child_arguments("cold", path, spec.sr, spec.mono))
            bar.detail(f"round {repeat + 1}, {'python alone' if child is None else child.name}")
            ms, done = _run_child(arguments)
            bar.advance()
            if child is None:
                interpreter.append(ms)
            elif done.returncode != 0:
                rows[child.name]["error"] = _child_error(done)
            else:
                rows[child.name]["times_ms"].append(ms)
    for row in rows.values():
        if row["times_ms"] and not row["error"]:
            row["median_ms"] = statistics.median(row["times_ms"])
    ours = rows.get("audiodecode", {}).get("median_ms")
    for name, row in rows.items():
        if ours and row["median_ms"] and name != "audiodecode":
            row["speedup"] = row["median_ms"] / ours
    return ColdStartResult(path, spec.sr, spec.mono, spec.repeats,
                           statistics.median(interpreter) if interpreter else math.nan, rows)


def peak_memory(spec: MemorySpec, loaders: Sequence[Loader], readable: list[FileRun],
                 bar: Progress) -> MemoryResult:
    if spec.path is not None:
        target = next((r for r in readable if r.entry.path == spec.path), None)
        entry = target.entry if target is not None else FileEntry.from_path(spec.path)
    else:
        target = max(readable, key=lambda r: r.entry.seconds)
        entry = target.entry
    rows = []
    methods = set()
    for sr, mono in spec.settings:
        row: dict[str, Any] = {"sr": sr, "mono": mono, "output_mib": None, "loaders": {}}
        for loader in loaders:
            if not loader.applies_to(entry.info):
                bar.advance()
                continue
            if target is not None and loader.name in target.errors:
                row["loaders"][loader.name] = {"error": "cannot read this file"}
                bar.advance()
                continue
            bar.detail(f"{loader.name}, sr={'native' if sr is None else f'{sr:g}'}")
            _, done = _run_child(loader.child_arguments("memory", entry.path, sr, mono))
            bar.advance()
            if done.returncode != 0:
                row["loaders"][loader.name] = {"error": _child_error(done)}
                continue
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            methods.add(figures["method"])
            above = max(0, figures["peak_kib"] - figures["baseline_kib"]) * 1024 / MiB
            output = figures["output_bytes"] / MiB
            row["loaders"][loader.name] = {
                "peak_above_baseline_mib": above, "baseline_mib": figures["baseline_kib"] / 1024,
                "output_mib": output, "ratio_to_output": above / output if output else None,
            }
            if loader.name == "audiodecode":
                row["output_mib"] = output
        rows.append(row)
    return MemoryResult(entry.path, entry.seconds, "; ".join(sorted(methods)), rows)
