"""Small hostile files for ``tests/test_hostile.py``, and a runner that measures each call.

The full corpus (truncations, mutations, every family at full size) and its table belong to
``benchmarks/hostile_corpus.py``; the tests make only the few bytes each regression needs,
with the functions of ``testkit/crafted.py`` (shared with that benchmark, re-exported here):
WAV headers that lie (:func:`riff`, :func:`two_data_chunks`, :func:`rf64`), FLAC by hand
(:func:`flac_silence`, :func:`flac_rate`) and header patches for MP3 Xing, Ogg granule,
Matroska and ASF durations.

:func:`isolated` runs calls of ``load``/``info`` each in a forked child of a fresh process,
with a timeout, and reports the exception and the child's peak RSS growth.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from testkit.crafted import (
    asf_duration,
    flac_rate,
    flac_silence,
    matroska_duration,
    ogg_granule,
    rf64,
    riff,
    two_data_chunks,
    xing_frames,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "asf_duration",
    "flac_rate",
    "flac_silence",
    "isolated",
    "matroska_duration",
    "ogg_granule",
    "rf64",
    "riff",
    "two_data_chunks",
    "xing_frames",
]


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
    for call, target, kwargs, as_bytes, *warm_up in json.load(sys.stdin):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            result = {}
            data = open(target, "rb").read() if as_bytes else target
            if warm_up:
                audiodecode.load(warm_up[0], **kwargs)
                with open("/proc/self/clear_refs", "w") as refs:
                    refs.write("5")  # the peak back to the current RSS
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


def isolated(calls: Sequence[tuple[Any, ...]], *,
             timeout: float = 120.0) -> list[dict[str, Any]]:
    """Run ``(call, path, kwargs, as_bytes)`` calls (``call`` is ``"load"`` or ``"info"``),
    each in a forked child of one fresh process; for each, the exception's type, message and
    ``source`` (or the output's shape) and the child's peak RSS growth in bytes.
    ``timeout`` bounds the whole run: a hang fails the test instead of stalling it.

    A fifth item, a path, is loaded (with the same ``kwargs``) before the peak is taken: a
    forked child faults in a decoder's code and tables as it first runs them (fork copies no
    page tables for mapped files), which is not what the measured file costs; FFmpeg 9's AAC
    decoder adds 9 MiB so."""
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
