"""``audiodecode decode``, run as a user runs it: a subprocess over a generated tree."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import _corpus
import numpy as np
import pytest

import audiodecode

SRC = str(Path(audiodecode.__file__).parents[1])


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIODECODE_")}
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    return env


def decode(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "audiodecode", "decode", *map(str, args)],
                          env=_env(), capture_output=True, text=True, timeout=120, cwd=cwd,
                          check=False)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    (root / "speakers" / "a").mkdir(parents=True)
    (root / "speakers" / "b").mkdir(parents=True)
    _corpus.write(root / "speakers" / "a" / "one.wav", "wav_pcm16", sample_rate=44100,
                  channels=2, seconds=0.4)
    _corpus.write(root / "speakers" / "a" / "one.mp3", "mp3", sample_rate=44100, channels=2,
                  seconds=0.4, seed=1)
    _corpus.write(root / "speakers" / "b" / "two.flac", "flac_16", sample_rate=22050,
                  channels=1, seconds=0.4, seed=2)
    _corpus.write(root / "three.m4a", "m4a_aac", sample_rate=44100, channels=2, seconds=0.4,
                  seed=3)
    (root / "README.txt").write_text("not audio")
    (root / ".hidden.wav").write_bytes(b"ignored")
    return root


def _manifest(destination: Path) -> list[dict[str, object]]:
    lines = (destination / "manifest.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_a_tree_is_mirrored_and_each_output_is_the_decoded_array(tree, tmp_path):
    out = tmp_path / "out"
    done = decode(tree, out, "--sr", "16000", "--stereo", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["decoded"], summary["skipped"], summary["failed"]) == (4, 0, 0)
    assert summary["not_audio"] == [str(tree / "README.txt")]
    outputs = sorted(str(p.relative_to(out)) for p in out.rglob("*.npy"))
    assert outputs == ["speakers/a/one.mp3.npy", "speakers/a/one.wav.npy",
                       "speakers/b/two.npy", "three.npy"]
    for record in _manifest(out):
        y, _sr = audiodecode.load(record["source"], sr=16000, mono=False)
        saved = np.load(out / record["output"])
        np.testing.assert_array_equal(saved, y, strict=True)
        assert saved.flags.f_contiguous == y.flags.f_contiguous
        assert record["status"] == "decoded"
        assert (record["frames"], record["sample_rate"]) == (y.shape[-1], 16000)
        assert record["channels"] == (1 if y.ndim == 1 else y.shape[0])
        assert record["duration"] == pytest.approx(y.shape[-1] / 16000)
    assert "audiodecode" in done.stderr  # the progress bar


def test_a_second_run_does_nothing_and_a_changed_source_is_redone(tree, tmp_path):
    out = tmp_path / "out"
    assert decode(tree, out).returncode == 0
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*.npy")}
    again = decode(tree, out, "--json")
    summary = json.loads(again.stdout)
    assert (summary["decoded"], summary["skipped"]) == (0, 4)
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.npy")} == stamps
    assert [r["status"] for r in _manifest(out)] == ["skipped"] * 4
    changed = tree / "speakers" / "b" / "two.flac"
    _corpus.write(changed, "flac_16", sample_rate=22050, channels=1, seconds=0.3, seed=7)
    os.utime(changed, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    third = json.loads(decode(tree, out, "--json").stdout)
    assert (third["decoded"], third["skipped"]) == (1, 3)
    np.testing.assert_array_equal(np.load(out / "speakers" / "b" / "two.npy"),
                                  audiodecode.load(changed, sr=None)[0], strict=True)


def test_float_wav_outputs_load_back_bit_for_bit(tree, tmp_path):
    out = tmp_path / "wav"
    done = decode(tree / "speakers", tree / "three.m4a", out, "--format", "wav", "--stereo",
                  "--sr", "16000")
    assert done.returncode == 0, done.stderr
    # The sources' deepest common folder is ``data``: the tree below it is kept.
    for record in _manifest(out):
        assert str(record["output"]).endswith(".wav")
        expected, _ = audiodecode.load(record["source"], sr=16000, mono=False)
        y, sr = audiodecode.load(out / record["output"], sr=None, mono=False)
        np.testing.assert_array_equal(y, expected, strict=True)
        assert sr == 16000
    assert (out / "speakers" / "a" / "one.wav.wav").exists()
    assert (out / "three.wav").exists()


def test_flac_outputs_are_24_bit_integers(tree, tmp_path):
    out = tmp_path / "flac"
    source = tree / "speakers" / "a" / "one.wav"
    assert decode(source, out, "--format", "flac", "--sr", "22050").returncode == 0
    expected, _ = audiodecode.load(source, sr=22050)
    y, _ = audiodecode.load(out / "one.flac", sr=None)
    assert y.shape == expected.shape
    clipped = np.clip(expected, -1.0, 1.0 - 2.0**-23)
    assert np.max(np.abs(y - clipped)) <= 2.0**-24
    assert np.all(np.round(y.astype(np.float64) * 2**23) == y.astype(np.float64) * 2**23)


def test_failures_are_listed_and_exit_1(tree, tmp_path):
    (tree / "broken.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00garbage")
    out = tmp_path / "out"
    done = decode(tree, out)
    assert done.returncode == 1
    assert "4 decoded, 0 already complete, 1 failed, of 5 files" in done.stdout
    assert f"{tree / 'broken.wav'}: " in done.stdout
    failed = [r for r in _manifest(out) if r["status"] == "failed"]
    assert [r["source"] for r in failed] == [str(tree / "broken.wav")]
    assert not (out / "broken.npy").exists()
    stopped = decode(tree, tmp_path / "stopped", "--on-error", "raise", "--workers", "1",
                     "--json")
    assert stopped.returncode == 1
    summary = json.loads(stopped.stdout)
    assert [f["source"] for f in summary["failures"]] == [str(tree / "broken.wav")]
    assert summary["decoded"] < 4  # it stopped at the failure (broken.wav sorts first)


def test_usage_errors_exit_2(tree, tmp_path):
    out = tmp_path / "out"
    assert decode(tree, out, "--sr", "16000").returncode == 0
    other = decode(tree, out, "--sr", "22050")
    assert other.returncode == 2
    assert "other settings" in other.stderr
    assert "--sr 16000" in other.stderr
    missing = decode(tmp_path / "nowhere", out)
    assert missing.returncode == 2
    assert "nowhere" in missing.stderr
    a_file = tmp_path / "file"
    a_file.write_text("x")
    assert decode(tree, a_file).returncode == 2
    assert decode(tree).returncode == 2  # DST missing: argparse's own usage error
    assert decode(tree, out, "--format", "mp3").returncode == 2
    assert decode(tree, tmp_path / "x", "--format", "wav", "--sr", "22050.5").returncode == 2


def test_a_killed_run_resumes_without_a_half_written_output(tmp_path):
    # Enough work that the run is still going when the first outputs appear.
    source = tmp_path / "many"
    source.mkdir()
    n_files = 60
    for i in range(n_files):
        _corpus.write(source / f"clip{i:02d}.flac", "flac_16", sample_rate=44100, channels=2,
                      seconds=4.0, seed=i)
    out = tmp_path / "out"
    child = subprocess.Popen(
        [sys.executable, "-m", "audiodecode", "decode", str(source), str(out), "--sr", "16000",
         "--workers", "1"],
        env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(out.glob("*.npy"))) < 3:
        time.sleep(0.002)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    finished = sorted(out.glob("*.npy"))
    assert 3 <= len(finished) < n_files
    for path in finished:  # every output that exists is whole
        expected, _ = audiodecode.load(source / (path.stem + ".flac"), sr=16000)
        np.testing.assert_array_equal(np.load(path), expected, strict=True)
    resumed = decode(source, out, "--sr", "16000", "--json")
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert summary["skipped"] == len(finished)
    assert summary["decoded"] == n_files - len(finished)
    assert len(list(out.glob("*.npy"))) == n_files
    assert not list(out.glob(".*.partial"))  # what the killed run was writing is gone
    last, _ = audiodecode.load(source / "clip59.flac", sr=16000)
    np.testing.assert_array_equal(np.load(out / "clip59.npy"), last, strict=True)
