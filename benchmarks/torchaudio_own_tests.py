"""Run torchaudio 2.8's own dispatcher tests twice: on torchaudio itself, then patched.

torchaudio's ``test/torchaudio_unittest/backend/dispatcher/{soundfile,ffmpeg}`` tests check
``load``/``info``/``save`` with ``backend="soundfile"`` and ``backend="ffmpeg"``. This script
runs them, unmodified, from a pytorch/audio checkout given as ``--tests`` (its ``test/``
folder, read only; its real ``common_utils`` is the harness) in the environment of
``--python``:

1. as they are, against torchaudio 2.8 itself (``AUDIODECODE_TA_RUN=torchaudio``);
2. with ``benchmarks/_torchaudio_own_tests_plugin.py``, which calls
   ``audiodecode.compat.patch_torchaudio()`` before the tests are imported and makes the
   getters they take their functions from (``torchaudio._backend.utils.get_load_func`` and
   the ``info``/``save`` ones) return the patched functions (``AUDIODECODE_TA_RUN=audiodecode``).

Each run writes pytest's JUnit XML; the script prints, as Markdown, a table of counts per
suite and run, the tests deselected and why, and every test whose outcome differs between the
two runs, grouped by cause, with the first line of its error. The environment::

    python3.11 -m venv ~/venv-ta28
    ~/venv-ta28/bin/pip install torch==2.8.0 torchaudio==2.8.0 numpy soundfile av soxr fsspec
    ~/venv-ta28/bin/pip install pytest parameterized expecttest scipy requests
    apt-get install -y ffmpeg sox libsox-fmt-all   # the ffmpeg tests make files with both
    git clone --depth 1 --branch v2.8.0 https://github.com/pytorch/audio ~/audio-2.8
    PYTHONPATH=$PWD/src ~/venv-ta28/bin/python benchmarks/torchaudio_own_tests.py \\
        --tests ~/audio-2.8/test --which soundfile,ffmpeg

(``PYTHONPATH=$PWD/src``, or ``pip install --no-deps -e .`` in that venv, puts this tree's
audiodecode in the child runs.) ``CI`` is removed from the children's environment so that
torchaudio's ``@disabledInCI`` classes run as they do on a developer's machine.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from pathlib import Path

SUITES = ("soundfile", "ffmpeg")
RUNS = ("torchaudio", "audiodecode")
PLUGIN = "_torchaudio_own_tests_plugin"

#: Tests not run, per suite, and why ("file::Class::test" under the suite's folder). None
#: must be: the largest (torchaudio's 1-2 hour WAV, FLAC and Vorbis files) take 4-64 s each,
#: and both suites, twice, run in about 8 minutes on two shared cores.
DESELECT: dict[str, dict[str, str]] = {"soundfile": {}, "ffmpeg": {}}

#: Known causes of a difference: (pattern on "file::Class::test", explanation). The first
#: match names the group; a difference nothing matches is grouped by its error's first line.
CAUSES = [
    (r"soundfile/load_test\.py::MockedLoadTest::",
     ("mock: replaces `soundfile.SoundFile` with a class that invents a file from its name "
      "(`int16_16000_1_48000.flac`) and checks the dtype torchaudio asks it for; no such file "
      "exists, and audiodecode opens the path itself to recognise the container")),
    (r"soundfile/info_test\.py::TestInfo::test_unknown_subtype_warning",
     ("mock: replaces `soundfile.info` to invent a file `foo` of an unknown subtype; "
      "audiodecode opens the path itself")),
    (r"ffmpeg/save_test\.py::SaveTest::test_save_wav_(path|fileobj|bytesio)_(ULAW|ALAW)_8",
     ("encoder: audiodecode's save writes mu-law/A-law WAV with libsndfile, torchaudio 2.8's "
      "FFmpeg backend with FFmpeg's encoders, and the two compand differently (on a "
      "full-scale int32 ramp, 1.4% of the samples differ, some by up to 1.97)")),
    (r"ffmpeg/save_test\.py::SaveTest::test_save_wav_dtype_\w+_(float32|int32)$",
     ("default: with no encoding, audiodecode's save follows torchaudio 2.8's soundfile "
      "rule (the tensor's dtype: float32 -> 32-bit float, int32 -> 32-bit PCM WAV); its FFmpeg "
      "backend wrote 16-bit PCM whatever the dtype")),
]


def _run(python: str, tests: Path, suite: str, run: str, junit: Path) -> int:
    unittest_dir = tests / "torchaudio_unittest"
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["AUDIODECODE_TA_RUN"] = run
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # the checkout is only read: no __pycache__ in it
    here = str(Path(__file__).resolve().parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH")) if p)
    # torchaudio's HttpServerMixin starts `python -m http.server`: let that be this venv's.
    env["PATH"] = os.pathsep.join((str(Path(python).parent), env.get("PATH", "")))
    relative = f"backend/dispatcher/{suite}"
    # --rootdir fixes the node ids that --deselect matches, whatever config the checkout has.
    command = [python, "-m", "pytest", relative, f"--rootdir={unittest_dir}", "-p", PLUGIN,
               "-p", "no:cacheprovider", "-q", "--tb=line", "-o", "junit_family=xunit1",
               f"--junitxml={junit}"]
    for test in DESELECT[suite]:
        command += ["--deselect", f"{relative}/{test}"]
    print(f"$ AUDIODECODE_TA_RUN={run} {' '.join(command)}", file=sys.stderr, flush=True)
    # torchaudio's conftest.py opens ffmpeg_fail_ids.txt from the working directory.
    return subprocess.run(command, cwd=unittest_dir, env=env, check=False,
                          stdout=sys.stderr).returncode


def _outcomes(junit: Path, suite: str) -> dict[str, tuple[str, str]]:
    """``"file::Class::test"`` -> (outcome, first line of its message)."""
    rows: dict[str, tuple[str, str]] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        # "<...>.load_test.TestLoad", whatever rootdir pytest chose
        module, cls = case.get("classname", "").split(".")[-2:]
        test_id = f"{suite}/{module}.py::{cls}::{case.get('name')}"
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = {"failure": "failed"}.get(child.tag, child.tag)
                text = child.get("message") or child.text or ""
                message = text.strip().splitlines()[0][:200] if text.strip() else ""
        rows[test_id] = (outcome, message)
    return rows


def _cause(test_id: str, message: str) -> str:
    for pattern, explanation in CAUSES:
        if re.search(pattern, test_id):
            return explanation
    # Unknown: group by the error with paths and numbers blurred.
    blurred = re.sub(r"/\S+", "<path>", message)
    return "unexplained: " + re.sub(r"\d+(\.\d+)?(e-?\d+)?", "N", blurred)


def _report(results: dict[tuple[str, str], dict[str, tuple[str, str]]],
            suites: list[str], runs: list[str]) -> str:
    lines = ["| suite | run | passed | failed | errors | skipped | deselected | total run |",
             "|---|---|---|---|---|---|---|---|"]
    for suite in suites:
        for run in runs:
            counts = Counter(outcome for outcome, _ in results[suite, run].values())
            lines.append(f"| {suite} | {run} | {counts['passed']} | {counts['failed']} | "
                         f"{counts['error']} | {counts['skipped']} | {len(DESELECT[suite])} | "
                         f"{sum(counts.values())} |")
    deselected = [f"- `{suite}/{test}`: {why}" for suite in suites
                  for test, why in DESELECT[suite].items()]
    lines += ["", "Deselected in both runs:" if deselected else "Nothing deselected.", ""]
    lines += deselected
    if len(runs) < 2:
        return "\n".join(lines) + "\n"
    base, ours = runs
    for suite in suites:
        a, b = results[suite, base], results[suite, ours]
        differing = sorted(t for t in a.keys() | b.keys()
                           if a.get(t, ("absent", ""))[0] != b.get(t, ("absent", ""))[0])
        lines += ["", f"### {suite}: {len(differing)} tests whose outcome differs", ""]
        groups: dict[str, list[str]] = defaultdict(list)
        for test in differing:
            (was, _), (now, message) = a.get(test, ("absent", "")), b.get(test, ("absent", ""))
            shown = message or a.get(test, ("", ""))[1]
            groups[_cause(test, shown)].append(f"`{test}`: {was} -> {now}: {shown}")
        for cause, members in sorted(groups.items(), key=lambda kv: -len(kv[1])):
            lines += [f"**{len(members)}: {cause}**", ""]
            lines += [f"- {m}" for m in members] + [""]
        both = sorted(t for t in a if a[t][0] in ("failed", "error")
                      and b.get(t, ("", ""))[0] == a[t][0])
        lines += [(f"{len(both)} tests fail in both runs (torchaudio's error; audiodecode's "
                   "where it differs):"), ""]
        for t in both:
            theirs, ours_message = a[t][1], b[t][1]
            shown = theirs if ours_message == theirs else f"{theirs} / {ours_message}"
            lines.append(f"- `{t}`: {shown}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", type=Path, required=True,
                        help="the test/ folder of a pytorch/audio v2.8.0 checkout (read only)")
    parser.add_argument("--which", default="soundfile,ffmpeg",
                        help="comma-separated suites: soundfile, ffmpeg")
    parser.add_argument("--runs", default="torchaudio,audiodecode",
                        help="comma-separated runs: torchaudio (the baseline), audiodecode")
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter of the torchaudio 2.8 venv (default: this one)")
    parser.add_argument("--junit-dir", type=Path, help="keep the JUnit XML files here")
    parser.add_argument("--markdown", type=Path, help="also write the report here")
    args = parser.parse_args()
    suites = [s for s in args.which.split(",") if s]
    runs = [r for r in args.runs.split(",") if r]
    if not set(suites) <= set(SUITES) or not set(runs) <= set(RUNS):
        parser.error(f"--which takes {SUITES}, --runs takes {RUNS}")
    tests = args.tests.resolve()
    for suite in suites:
        if not (tests / "torchaudio_unittest/backend/dispatcher" / suite).is_dir():
            parser.error(f"{tests} has no torchaudio_unittest/backend/dispatcher/{suite}")
    with tempfile.TemporaryDirectory() as tmp:
        out = args.junit_dir or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        results = {}
        for suite in suites:
            for run in runs:
                junit = out / f"{suite}-{run}.xml"
                code = _run(args.python, tests, suite, run, junit)
                if not junit.exists():  # pytest itself died (a crash in native code)
                    parser.exit(1, f"{suite}/{run}: pytest exited with {code} and wrote no "
                                   "report; its output above names the last test\n")
                results[suite, run] = _outcomes(junit, suite)
    report = _report(results, suites, runs)
    print(report)
    if args.markdown:
        args.markdown.write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
