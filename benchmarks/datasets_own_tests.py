"""Run ``datasets``' own ``tests/features/test_audio.py`` under ``patch_datasets()``, without
torchcodec.

``datasets``' audio tests are marked ``require_torchcodec`` (skipped where
``datasets.config.TORCHCODEC_AVAILABLE`` is false) and check their values with
``isinstance(value, torchcodec.decoders.AudioDecoder)``. This script copies the test file, its
data and ``datasets``' test helpers out of a ``huggingface/datasets`` git checkout into a
temporary folder and runs them with a small pytest plugin that:

1. calls ``audiodecode.compat.patch_datasets()`` before anything is collected;
2. puts a stand-in ``torchcodec`` package in ``sys.modules`` whose
   ``torchcodec.decoders.AudioDecoder`` *is* audiodecode's decoder class, so that the tests'
   ``isinstance`` checks test audiodecode's values (``VideoDecoder`` is a class nothing is an
   instance of). torchcodec itself is not installed and nothing of it runs;
3. sets ``TORCHCODEC_AVAILABLE`` true while the tests are collected (so that
   ``require_torchcodec`` lets them run) and false again before they run, so that ``datasets``'
   own torchcodec branches (formatters, ``cast_to_python_objects``) stay off and the patch's
   replacements of them are what the tests exercise.

Use a virtual environment without torch or torchcodec::

    python3 -m venv ~/venv-hf
    ~/venv-hf/bin/pip install -e . datasets==5.2.0 pytest pytest-datadir httpx librosa
    ~/venv-hf/bin/python benchmarks/datasets_own_tests.py \\
        --repo /path/to/datasets/.git --ref 5.2.0

``--ref`` defaults to the tag matching the installed ``datasets``, else ``HEAD``. The outcome
of every test is printed, and written as Markdown with ``--markdown FILE``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

TEST_FILE = "tests/features/test_audio.py"
# What the test file imports or uses: datasets' test package, its fixtures and audio data.
NEEDED = [
    "tests/__init__.py", "tests/conftest.py", "tests/utils.py", "tests/fixtures/__init__.py",
    "tests/fixtures/files.py", "tests/fixtures/fsspec.py", "tests/fixtures/hub.py",
    "tests/features/__init__.py", TEST_FILE,
]
DATA = "tests/features/data"

PLUGIN = '''\
"""pytest plugin: datasets' audio tests against audiodecode.compat.patch_datasets()."""
import importlib.machinery
import sys
import types

import audiodecode.compat
from audiodecode.compat._datasets_decoder import AudioDecoder


class VideoDecoder:  # nothing in the audio tests is a video
    def __init__(self, *args, **kwargs):
        raise ImportError("torchcodec is not installed; this stand-in only names the class")


def _stand_in(name, **attributes):
    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
    module.__path__ = []
    vars(module).update(attributes)
    return module


def pytest_configure(config):
    decoders = _stand_in("torchcodec.decoders", AudioDecoder=AudioDecoder,
                         VideoDecoder=VideoDecoder)
    sys.modules["torchcodec"] = _stand_in("torchcodec", decoders=decoders)
    sys.modules["torchcodec.decoders"] = decoders
    audiodecode.compat.patch_datasets(verbose=True)
    import datasets.config

    datasets.config.TORCHCODEC_AVAILABLE = True  # read by require_torchcodec at collection


def pytest_collection_finish(session):
    import datasets.config

    datasets.config.TORCHCODEC_AVAILABLE = False  # datasets' own torchcodec branches stay off
'''


def _git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", f"--git-dir={repo}", *args], check=True,
                          capture_output=True).stdout


def _installed_datasets_version(python: str) -> str:
    out = subprocess.run([python, "-c", "import datasets; print(datasets.__version__)"],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


def _export(repo: Path, ref: str, into: Path) -> None:
    data_files = [name for name in _git(repo, "ls-tree", "--name-only", f"{ref}:{DATA}")
                  .decode().split() if name.startswith("test_audio_")]
    for name in [*NEEDED, *(f"{DATA}/{f}" for f in data_files)]:
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_git(repo, "show", f"{ref}:{name}"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, required=True,
                        help="a huggingface/datasets git directory (or a checkout's .git)")
    parser.add_argument("--ref", help="git ref of the tests; default: the installed version's tag")
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter of the venv to test in (default: this one)")
    parser.add_argument("--markdown", type=Path, help="write the outcomes here, as Markdown")
    args = parser.parse_args()
    repo = args.repo / ".git" if (args.repo / ".git").is_dir() else args.repo
    version = _installed_datasets_version(args.python)
    ref = args.ref
    if ref is None:
        tags = _git(repo, "tag", "--list", version).decode().split()
        ref = tags[0] if tags else "HEAD"
    described = _git(repo, "describe", "--tags", "--always", ref).decode().strip()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _export(repo, ref, root)
        (root / "audiodecode_datasets_plugin.py").write_text(PLUGIN)
        junit = root / "junit.xml"
        command = [args.python, "-m", "pytest", TEST_FILE, "-p", "audiodecode_datasets_plugin",
                   "-p", "no:cacheprovider", "-q", "-rA", "-m", "not integration",
                   f"--junitxml={junit}"]
        completed = subprocess.run(command, cwd=root, check=False)
        rows = _outcomes(junit)
    passed = sum(outcome == "passed" for _, outcome, _ in rows)
    header = (f"datasets {version} installed; tests from `{TEST_FILE}` at `{ref}` "
              f"(`{described}`); {passed} of {len(rows)} passed\n")
    table = ["| test | outcome | reason |", "|---|---|---|"]
    table += [f"| `{name}` | {outcome} | {reason} |" for name, outcome, reason in rows]
    text = header + "\n" + "\n".join(table) + "\n"
    print(text)
    if args.markdown:
        args.markdown.write_text(text)
    return completed.returncode


def _outcomes(junit: Path) -> list[tuple[str, str, str]]:
    rows = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        outcome, reason = "passed", ""
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = {"failure": "failed"}.get(child.tag, child.tag)
                reason = (child.get("message") or "").splitlines()[0][:160].replace("|", "/")
        rows.append((case.get("name", "?"), outcome, reason))
    return rows


if __name__ == "__main__":
    sys.exit(main())
