"""Every code block in README.md and the documentation pages runs, or says why it does not.

A ```` ```python ```` block is run as a script of its own, in a temporary directory holding the
files the examples name (``speech.wav``, ``song.flac``, ``talk.m4a``, ``audiobook.mp3``,
``not-audio.wav``), generated here with soundfile and PyAV; ``HOME`` points there too, so
``~/.cache`` is the test's, and the switches an example turns on (the librosa patch, the
cache) are turned off after it. A ```` ```bash ```` block is a list of commands: each
``audiodecode ...`` command must parse with the CLI's own argument parser, each
``pip install`` may name only extras that pyproject.toml declares, and a ``python3 -m venv``
or ``bash docs/build.sh`` line is taken as it is. Anything else must be marked by an HTML
comment on the lines just before the fence: ``<!-- not-run: reason -->``. ```` ```text ````
blocks are sample output, and MyST directives (```` ```{toctree} ````...) are not code.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import _corpus
import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parent.parent

# Pages written on other branches; their examples are checked where they are written. Remove a
# name here once its page follows this file's rules.
OTHER_PAGES = frozenset({
    "docs/guide/migrating-torchaudio.md",
})

PAGES = [
    "README.md",
    *sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "docs").rglob("*.md")
        if "_build" not in path.parts and str(path.relative_to(ROOT)) not in OTHER_PAGES
    ),
]

FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,})(?P<info>[^`\n]*)$")
MARK = re.compile(r"^<!--\s*(?P<text>.*?)\s*-->$")
CODE = frozenset({"python", "bash"})
OUTPUT = frozenset({"text"})


class Block(NamedTuple):
    page: str
    line: int  # of the opening fence, 1-based
    language: str
    code: str
    marks: tuple[str, ...]  # the HTML comments on the lines just before the fence

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def not_run(self) -> str | None:
        for mark in self.marks:
            if mark.startswith("not-run:"):
                return mark.removeprefix("not-run:").strip()
        return None


def blocks(page: str) -> list[Block]:
    """The fenced blocks of a Markdown page, with the comments just before each one."""
    lines = (ROOT / page).read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and not lines[end].strip().startswith(opening["fence"]):
            end += 1
        marks: list[str] = []
        before = index - 1
        while before >= 0 and (mark := MARK.match(lines[before].strip())) is not None:
            marks.insert(0, mark["text"])
            before -= 1
        indent = len(opening["indent"])
        code = "\n".join(line[indent:] for line in lines[index + 1 : end]) + "\n"
        language = opening["info"].strip().split(" ")[0]
        found.append(Block(page, index + 1, language, code, tuple(marks)))
        index = end + 1
    return found


ALL_BLOCKS = [block for page in PAGES for block in blocks(page)]
PYTHON = [block for block in ALL_BLOCKS if block.language == "python" and not block.not_run]
BASH = [block for block in ALL_BLOCKS if block.language == "bash" and not block.not_run]


def test_pages_found() -> None:
    assert "README.md" in PAGES
    assert any(page.startswith("docs/guide/") for page in PAGES)
    assert PYTHON
    assert BASH


@pytest.mark.parametrize("block", ALL_BLOCKS, ids=[block.id for block in ALL_BLOCKS])
def test_block_is_run_or_marked(block: Block) -> None:
    """A block is code that this file runs, output, a directive, or says why it is not run."""
    if block.language.startswith("{") or block.language in OUTPUT:
        return
    assert block.language in CODE, f"{block.id}: a ```{block.language} block; use python or bash"
    if block.not_run is not None:
        assert block.not_run, f"{block.id}: <!-- not-run: --> needs a reason"


def test_readme_keeps_the_test_command() -> None:
    """``.ci/run`` reads the line after the marker's fence with awk: keep that shape."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    where = lines.index("<!-- test-command -->")
    assert lines[where + 1] == "```bash"
    assert ".venv/bin/python -m pytest" in lines[where + 2]
    assert lines[where + 3] == "```"


# --- the audio the examples name ------------------------------------------------------------


@pytest.fixture(scope="module")
def example_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("example-audio")
    _corpus.write(folder / "speech.wav", "wav_pcm16", sample_rate=48000, channels=1, seconds=3)
    _corpus.write(folder / "song.flac", "flac_16", sample_rate=44100, channels=2, seconds=8)
    _corpus.write(folder / "talk.m4a", "m4a_aac", sample_rate=44100, channels=2, seconds=12)
    _corpus.write(folder / "audiobook.mp3", "mp3", sample_rate=44100, channels=1, seconds=10)
    # a RIFF header with nothing behind it: what a cut download or a mislabelled file looks like
    (folder / "not-audio.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk" + bytes(200))
    for sub in ("data", "clips"):
        (folder / sub).mkdir()
        for index in range(3):
            _corpus.write(folder / sub / f"clip_{index}.wav", "wav_pcm16", sample_rate=16000,
                          channels=1, seconds=1.5, seed=index)
    return folder


@pytest.fixture
def example_dir(
    example_files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A copy of the example files as the working directory and ``HOME``; afterwards the
    switches an example may turn on (the librosa patch, the cache, environment variables) are
    turned off again, so that the next example, and the next test file, start clean."""
    work = tmp_path / "work"
    shutil.copytree(example_files, work)
    environ = dict(os.environ)
    for key in environ:
        if key.startswith("AUDIODECODE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(work))
    monkeypatch.chdir(work)
    try:
        yield work
    finally:
        compat = sys.modules.get("audiodecode.compat")
        if compat is not None:
            compat.unpatch_librosa()
            compat.unpatch_datasets()
        cache = sys.modules.get("audiodecode.cache")
        if cache is not None:
            cache.disable()
        os.environ.clear()
        os.environ.update(environ)


@pytest.mark.parametrize("block", PYTHON, ids=[block.id for block in PYTHON])
def test_python_block_runs(block: Block, example_dir: Path) -> None:
    """Run in this process, as a fresh ``__main__`` module: a fresh process per block would
    import librosa or torch again for each, seconds apiece on two busy cores."""
    code = compile(block.code, block.id, "exec")
    # A reader sees an example's warnings (a skipped file, say): they are not failures here.
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        exec(code, {"__name__": "__main__"})  # noqa: S102 - the examples are this repository's


# --- commands ------------------------------------------------------------------------------


def _extras() -> set[str]:
    """The extras pyproject.toml declares (read as text: tomllib is Python >= 3.11)."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    section = text.split("[project.optional-dependencies]", 1)[1].split("\n[", 1)[0]
    return set(re.findall(r"^([A-Za-z0-9_-]+) = \[", section, flags=re.MULTILINE))


def _check_pip(argv: list[str], where: str) -> None:
    for word in argv[2:]:
        match = re.fullmatch(r"(?:audiodecode|\.)\[(?P<extras>[^\]]+)\]", word)
        if match is not None:
            unknown = set(match["extras"].split(",")) - _extras()
            assert not unknown, f"{where}: pip install names unknown extras {sorted(unknown)}"


def _check_audiodecode(argv: list[str], where: str) -> None:
    from audiodecode.cli import build_parser

    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # argparse's way of saying "bad usage" (or --help/--version)
        pytest.fail(f"{where}: audiodecode {shlex.join(argv)} does not parse (exit {exit_.code})")
    assert args.command is not None, f"{where}: audiodecode {shlex.join(argv)}: no subcommand"


def _commands(code: str) -> list[list[str]]:
    """The simple commands of a bash block: comments dropped, ``&&`` chains split."""
    commands: list[list[str]] = []
    for line in code.splitlines():
        words = shlex.split(line, comments=True)
        command: list[str] = []
        for word in [*words, "&&"]:
            if word == "&&":
                if command:
                    commands.append(command)
                command = []
            else:
                command.append(word)
    return commands


@pytest.mark.parametrize("block", BASH, ids=[block.id for block in BASH])
def test_bash_block_parses(block: Block) -> None:
    commands = _commands(block.code)
    assert commands, f"{block.id}: an empty bash block"
    for argv in commands:
        program = Path(argv[0]).name if argv[0].startswith(".venv/bin/") else argv[0]
        rest = argv[1:]
        if program in ("python", "python3") and rest[:2] == ["-m", "pip"]:
            program, rest = "pip", rest[2:]
        if program == "audiodecode":
            _check_audiodecode(rest, block.id)
        elif program == "pip" and rest[:1] == ["install"]:
            _check_pip(["pip", *rest], block.id)
        elif (program in ("python", "python3") and rest[:2] == ["-m", "venv"]) or (
            program == "bash" and rest and (ROOT / rest[0]).is_file()
        ):
            continue  # a venv, or one of this repository's scripts: nothing to check
        else:
            pytest.fail(f"{block.id}: cannot check {shlex.join(argv)!r}; mark the block not-run")
