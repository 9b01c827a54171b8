"""``audiodecode run``: an unmodified script runs as with ``python``, with librosa patched.

Every test starts a real process, since ``run`` is about what a process sees: its argv,
``__main__``, sys.path, exit code and traceback. The script under test reports those facts
as JSON and compares ``librosa.load``'s result with librosa's own function.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

BIN = Path(sys.executable).parent
LAUNCHERS = {
    "console-script": [str(BIN / "audiodecode"), "run"],
    "python -m": [sys.executable, "-m", "audiodecode", "run"],
}

SCRIPT = """
    import json
    import sys

    import librosa
    import numpy as np

    import audiodecode.compat

    if __name__ == "__main__":
        path, *rest = sys.argv[1:]
        y, sr = librosa.load(path, sr=16000)
        reference, _ = audiodecode.compat.load_with_librosa(path, sr=16000)
        print(json.dumps({
            "argv": sys.argv[1:],
            "name": __name__,
            "file": __file__,
            "path0": sys.path[0],
            "patched": audiodecode.compat.is_patched(),
            "datasets_patched": audiodecode.compat.is_datasets_patched(),
            "shape": list(y.shape),
            "sr": sr,
            "same_as_librosa": (y.dtype, y.shape, y.tobytes())
                              == (reference.dtype, reference.shape, reference.tobytes()),
        }))
        if "--exit" in rest:
            sys.exit(int(rest[rest.index("--exit") + 1]))
        if "--raise" in rest:
            def decode_everything():
                raise ValueError("the script failed on purpose")
            decode_everything()
"""


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("run")
    path = folder / "pipeline.py"
    path.write_text(textwrap.dedent(SCRIPT))
    rng = np.random.default_rng(1)
    sf.write(folder / "clip.wav", rng.uniform(-0.5, 0.5, (44100, 2)).astype(np.float32), 44100)
    return path


# The tests of what a script sees (argv, exit code, traceback, -m) leave datasets unpatched:
# importing it (pyarrow, pandas) costs each process seconds, and the default run above covers
# it; the tests that are about what run patches keep it.
LIBROSA_ONLY = {"AUDIODECODE_PATCH_DATASETS": "0"}


def run(command: list[str], cwd: Path, **switches: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIODECODE_")}
    env.update(switches)
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=180,
                          check=False)


def facts(result: subprocess.CompletedProcess[str]) -> dict[str, object]:
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("launcher", LAUNCHERS.values(), ids=LAUNCHERS.keys())
def test_script_runs_patched_with_its_arguments(script, launcher):
    clip = str(script.with_name("clip.wav"))
    result = run([*launcher, str(script), clip, "--flag", "-v", "value"], cwd=script.parent)
    assert result.returncode == 0, result.stderr
    # One line says what was patched (-v before SCRIPT says more); torchaudio is not a test
    # dependency, so its line says so.
    assert result.stderr == ("audiodecode run: librosa and datasets decode through audiodecode "
                             "(torchaudio: not installed)\n")
    assert facts(result) == {
        "argv": [clip, "--flag", "-v", "value"],  # options after SCRIPT are the script's
        "name": "__main__",
        "file": str(script),
        "path0": str(script.parent),
        "patched": True,
        "datasets_patched": True,
        "shape": [16000],
        "sr": 16000,
        "same_as_librosa": True,
    }


def test_script_sees_what_python_gives_it(script):
    clip = str(script.with_name("clip.wav"))
    direct = run([sys.executable, str(script), clip, "x"], cwd=script.parent)
    wrapped = run([*LAUNCHERS["console-script"], str(script), clip, "x"], cwd=script.parent)
    expected = {**facts(direct), "patched": True, "datasets_patched": True}
    assert facts(wrapped) == expected


def test_a_switch_at_zero_leaves_its_library_alone(script):
    clip = str(script.with_name("clip.wav"))
    result = run([*LAUNCHERS["console-script"], str(script), clip], cwd=script.parent,
                 AUDIODECODE_PATCH_DATASETS="0")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ("audiodecode run: librosa decodes through audiodecode "
                             "(torchaudio: not installed; datasets: switched off)\n")
    assert facts(result)["patched"] is True
    assert facts(result)["datasets_patched"] is False


def test_verbose_says_what_was_patched(script):
    clip = str(script.with_name("clip.wav"))
    result = run([*LAUNCHERS["console-script"], "-v", str(script), clip], cwd=script.parent,
                 **LIBROSA_ONLY)
    assert result.returncode == 0, result.stderr
    assert "audiodecode: librosa" in result.stderr
    assert "now decode with audiodecode" in result.stderr


def test_exit_code_passes_through(script):
    clip = str(script.with_name("clip.wav"))
    result = run([*LAUNCHERS["python -m"], str(script), clip, "--exit", "3"], cwd=script.parent,
                 **LIBROSA_ONLY)
    assert result.returncode == 3
    assert facts(result)["patched"] is True


def test_exception_traceback_is_the_scripts_own(script):
    clip = str(script.with_name("clip.wav"))
    direct = run([sys.executable, str(script), clip, "--raise"], cwd=script.parent)
    wrapped = run([*LAUNCHERS["console-script"], str(script), clip, "--raise"],
                  cwd=script.parent, **LIBROSA_ONLY)
    assert direct.returncode == wrapped.returncode == 1
    said, _, traceback = wrapped.stderr.partition("\n")
    assert said.startswith("audiodecode run: librosa")
    assert traceback == direct.stderr  # same frames, same lines, nothing of ours
    assert "ValueError: the script failed on purpose" in wrapped.stderr
    assert "decode_everything" in wrapped.stderr
    assert "runpy" not in wrapped.stderr


def test_module_mode(script):
    clip = str(script.with_name("clip.wav"))
    result = run([*LAUNCHERS["console-script"], "-m", "pipeline", clip, "more"],
                 cwd=script.parent, **LIBROSA_ONLY)
    assert result.returncode == 0, result.stderr
    got = facts(result)
    assert got["argv"] == [clip, "more"]
    assert got["name"] == "__main__"
    assert got["file"] == str(script)
    assert got["path0"] == str(script.parent)
    assert got["patched"] is True
    assert got["same_as_librosa"] is True


def test_missing_script_or_module(tmp_path):
    missing = run([*LAUNCHERS["console-script"], "no_such_script.py"], cwd=tmp_path,
                  **LIBROSA_ONLY)
    assert missing.returncode == 2  # as python's
    assert "can't open file" in missing.stderr
    assert "no_such_script.py" in missing.stderr
    no_module = run([*LAUNCHERS["console-script"], "-m", "no_such_module"], cwd=tmp_path,
                    **LIBROSA_ONLY)
    assert no_module.returncode == 1
    assert "No module named no_such_module" in no_module.stderr


def test_help_lists_the_subcommand():
    from audiodecode.cli import build_parser

    assert "run" in build_parser().format_help()
