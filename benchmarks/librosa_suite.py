"""librosa's own test suite, plain and under ``audiodecode run``: which tests differ.

Sets up a scratch directory with librosa's ``tests/`` (of the librosa release that the given
interpreter has installed) and its test data, runs ``tests/test_core.py`` and
``tests/test_multichannel.py`` once with ``python -m pytest`` and once with
``python -m audiodecode run -m pytest``, and prints the counts of each run and every test whose
outcome differs. Exit status 1 when any test passes plain and not patched.

Where the tests come from: the librosa git directory's tag equal to the installed version
(``0.11.0``), else the release's source distribution (``pip download --no-binary :all:
librosa==X``), whose ``tests/*.py`` are the release's but which lacks the files beside them
(``conftest.py``, ``test_audio.ogg``, ``pitch-*.npy``...): those are taken from the git
directory's ``main``. The data come from a git directory of librosa-test-data (librosa's
``tests/data`` submodule); blobs the snapshot lacks (nine ``.mat`` files of 4 MiB and more) are
left out, and since librosa collects those cases by glob, they are not run at all.

librosa's ``setup.cfg`` asks for pytest-cov and pytest-mpl in ``addopts``; ``-o addopts=``
drops those (neither changes an outcome), its other settings (``xfail_strict``, warning
filters) stay. Tests that download (``librosa.ex``) fail without a network, in both runs.

Not run by CI (it needs the two git directories and a few minutes). ``--librosa-git`` and
``--data-git`` name the two git directories (bare clones, or a checkout's ``.git``) of
https://github.com/librosa/librosa and https://github.com/librosa/librosa-test-data::

    PYTHONPATH=src python benchmarks/librosa_suite.py --python .venv/bin/python \\
        --librosa-git ../librosa/.git --data-git ../librosa-test-data/.git \\
        --workdir /tmp/librosa-suite-011
    python benchmarks/librosa_suite.py --python .venv312/bin/python \\
        --librosa-git ../librosa/.git --data-git ../librosa-test-data/.git \\
        --workdir /tmp/librosa-suite-10
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

TEST_FILES = ("tests/test_core.py", "tests/test_multichannel.py")


def git(git_dir: str, *args: str, binary: bool = False) -> str | bytes:
    out = subprocess.run(["git", "--git-dir", git_dir, *args], check=True, capture_output=True)
    return out.stdout if binary else out.stdout.decode()


def installed_librosa(python: str) -> str:
    code = "import importlib.metadata as m; print(m.version('librosa'))"
    return subprocess.run([python, "-c", code], check=True, capture_output=True,
                          text=True).stdout.strip()


def extract_tests(python: str, version: str, librosa_git: str, workdir: Path) -> str:
    """Put librosa's tests/ and setup.cfg into workdir; return where they came from."""
    tags = str(git(librosa_git, "tag", "--list", version)).split()
    if tags:
        extract_archive(git(librosa_git, "archive", tags[0], "tests", "setup.cfg", binary=True),
                        workdir)
        return f"git tag {tags[0]}"
    # The sdist ships tests/*.py but not the files beside them (test_audio.ogg, pitch-*.npy,
    # conftest.py): those come from the git directory's main, the sdist's files over them.
    extract_archive(git(librosa_git, "archive", "main", "tests", binary=True), workdir)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([python, "-m", "pip", "download", "-q", "--no-deps", "--no-binary",
                        ":all:", f"librosa=={version}", "-d", tmp], check=True)
        (sdist,) = Path(tmp).glob("librosa-*.tar.gz")
        with tarfile.open(sdist) as tar:
            top = f"librosa-{version}/"
            members = [m for m in tar.getmembers()
                       if m.name.startswith((top + "tests/", top + "setup.cfg"))]
            for member in members:
                member.name = member.name[len(top):]
            tar.extractall(workdir, members=members, filter="data")
    return f"sdist librosa-{version}.tar.gz (the files it lacks in tests/ from git main)"


def extract_archive(archive: str | bytes, workdir: Path) -> None:
    with tempfile.TemporaryFile() as tmp:
        tmp.write(archive)  # type: ignore[arg-type]
        tmp.seek(0)
        with tarfile.open(fileobj=tmp) as tar:
            tar.extractall(workdir, filter="data")


def extract_data(data_git: str, target: Path) -> list[str]:
    """Every blob of the data repository's HEAD that the snapshot has; return the missing."""
    target.mkdir(parents=True, exist_ok=True)
    missing = []
    for line in str(git(data_git, "ls-tree", "-r", "HEAD")).splitlines():
        meta, name = line.split("\t", 1)
        blob = meta.split()[2]
        check = subprocess.run(["git", "--git-dir", data_git, "cat-file", "-e", blob],
                               check=False, capture_output=True)
        if check.returncode != 0:
            missing.append(name)
            continue
        (target / name).write_bytes(git(data_git, "cat-file", "blob", blob, binary=True))
    return missing


# A pytest plugin for the patched run: how many calls reached audiodecode, and how many of
# those it answered (the rest fell back to librosa), so that a run that patched nothing shows.
COUNTER_PLUGIN = """
import json
from audiodecode import _api

COUNTS = {}


def _counting(name, real):
    def call(*args, **kwargs):
        entry = COUNTS.setdefault(name, {"calls": 0, "answered": 0})
        entry["calls"] += 1
        result = real(*args, **kwargs)
        entry["answered"] += 1  # stream: its arguments passed; a block may still fall back
        return result
    return call


for _name in ("load", "info", "stream"):
    setattr(_api, _name, _counting(_name, getattr(_api, _name)))


def pytest_sessionfinish(session):
    with open("audiodecode_calls.json", "w") as f:
        json.dump(COUNTS, f)
"""


def run_suite(python: str, workdir: Path, patched: bool) -> tuple[dict[str, str], str]:
    """Each test's outcome (passed, failed, error, skipped or xfailed; an xpass counts as
    passed) and pytest's own closing line."""
    report = workdir / ("patched.xml" if patched else "plain.xml")
    runner = [python, "-m", "audiodecode", "run", "-m", "pytest"] if patched else \
        [python, "-m", "pytest"]
    command = [*runner, *TEST_FILES, "-p", "no:cacheprovider", "-q", "-o", "addopts=",
               f"--junitxml={report}"]
    if patched:
        (workdir / "audiodecode_calls.py").write_text(COUNTER_PLUGIN)
        command += ["-p", "audiodecode_calls"]
    print("+", " ".join(command), file=sys.stderr)
    # The suite runs in workdir: a relative PYTHONPATH (``PYTHONPATH=src``) would point elsewhere.
    pythonpath = os.pathsep.join(os.path.abspath(p) for p in
                                 os.environ.get("PYTHONPATH", "").split(os.pathsep) if p)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": pythonpath}
    log_path = workdir / (report.stem + ".log")
    with open(log_path, "w") as log:
        # pytest exits 1 when a test fails: the outcomes are read from the report instead
        subprocess.run(command, check=False, cwd=workdir, stdout=log, stderr=subprocess.STDOUT,
                       env=env)
    outcomes = {}
    for case in ET.parse(report).iter("testcase"):
        name = f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name')}"
        kinds = {child.tag for child in case}
        if "failure" in kinds:
            outcome = "failed"
        elif "error" in kinds:
            outcome = "error"
        elif "skipped" in kinds:
            skipped = case.find("skipped")
            outcome = "xfailed" if skipped is not None and \
                skipped.get("type") == "pytest.xfail" else "skipped"
        else:
            outcome = "passed"
        # an error in teardown adds a second entry for a test that passed
        if outcomes.get(name) in (None, "passed"):
            outcomes[name] = outcome
    lines = log_path.read_text().strip().splitlines()
    return outcomes, lines[-1].strip("= ") if lines else "(no output)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter with librosa, pytest and audiodecode installed")
    parser.add_argument("--workdir", type=Path, required=True,
                        help="scratch directory (emptied first)")
    parser.add_argument("--librosa-git", required=True,
                        help="git directory of librosa (its tags and main branch)")
    parser.add_argument("--data-git", required=True,
                        help="git directory of librosa-test-data (librosa's tests/data)")
    args = parser.parse_args()

    # The suites run in workdir: a relative interpreter path would not be found from there
    # (abspath, not resolve: a venv's python is a symlink that must stay the venv's).
    args.python = os.path.abspath(shutil.which(args.python) or args.python)
    version = installed_librosa(args.python)
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    origin = extract_tests(args.python, version, args.librosa_git, args.workdir)
    missing = extract_data(args.data_git, args.workdir / "tests" / "data")
    print(f"librosa {version}: tests from {origin}; data files missing from the snapshot: "
          f"{len(missing)}")

    plain, plain_summary = run_suite(args.python, args.workdir, patched=False)
    patched, patched_summary = run_suite(args.python, args.workdir, patched=True)
    for label, outcomes, summary in (("plain", plain, plain_summary),
                                     ("patched", patched, patched_summary)):
        print(f"{label:8} {len(outcomes)} tests: {summary}")
    differ = sorted(name for name in plain.keys() | patched.keys()
                    if plain.get(name) != patched.get(name))
    print(f"tests that differ: {len(differ)}")
    for name in differ:
        print(f"  {name}: plain {plain.get(name, 'absent')}, patched {patched.get(name, 'absent')}")
    calls = json.loads((args.workdir / "audiodecode_calls.json").read_text())
    print("calls that reached audiodecode in the patched run: " + ", ".join(
        f"{name} {entry['calls']} ({entry['answered']} answered)"
        for name, entry in sorted(calls.items())))
    regressions = [n for n in differ if plain.get(n) == "passed"]
    return 1 if regressions else 0


if __name__ == "__main__":
    sys.exit(main())
