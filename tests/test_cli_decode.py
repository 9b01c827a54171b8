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
import soundfile as sf
from _assert import assert_same_array

import audiodecode
from audiodecode.cli import main

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
    assert (summary["decoded"], summary["complete"], summary["failed"]) == (4, 0, 0)
    assert summary["not_audio"] == [str(tree / "README.txt")]
    outputs = sorted(str(p.relative_to(out)) for p in out.rglob("*.npy"))
    assert outputs == ["speakers/a/one.mp3.npy", "speakers/a/one.wav.npy",
                       "speakers/b/two.flac.npy", "three.m4a.npy"]
    records = _manifest(out)
    assert [(r["source"], r["status"]) for r in records if r["status"] != "decoded"] == [
        (str(tree / "README.txt"), "not_audio")]
    for record in (r for r in records if r["status"] == "decoded"):
        y, _sr = audiodecode.load(record["source"], sr=16000, mono=False)
        saved = np.load(out / record["output"])
        assert_same_array(saved, y)
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
    assert (summary["decoded"], summary["complete"]) == (0, 4)
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.npy")} == stamps
    assert [r["status"] for r in _manifest(out)] == ["not_audio", *["complete"] * 4]
    changed = tree / "speakers" / "b" / "two.flac"
    _corpus.write(changed, "flac_16", sample_rate=22050, channels=1, seconds=0.3, seed=7)
    os.utime(changed, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    third = json.loads(decode(tree, out, "--json").stdout)
    assert (third["decoded"], third["complete"]) == (1, 3)
    assert third["redone"] == [{"source": str(changed), "reason": "the source or its output "
                                "changed since the output was written"}]
    assert_same_array(np.load(out / "speakers" / "b" / "two.flac.npy"),
                      audiodecode.load(changed, sr=None)[0])


def test_float_wav_outputs_load_back_bit_for_bit(tree, tmp_path):
    out = tmp_path / "wav"
    done = decode(tree / "speakers", tree / "three.m4a", out, "--format", "wav", "--stereo",
                  "--sr", "16000")
    assert done.returncode == 0, done.stderr
    # The sources' deepest common folder is ``data``: the tree below it is kept.
    for record in _manifest(out):
        if record["status"] == "not_audio":
            continue
        assert str(record["output"]).endswith(".wav")
        expected, _ = audiodecode.load(record["source"], sr=16000, mono=False)
        y, sr = audiodecode.load(out / record["output"], sr=None, mono=False)
        assert_same_array(y, expected)
        assert sr == 16000
    assert (out / "speakers" / "a" / "one.wav.wav").exists()
    assert (out / "three.m4a.wav").exists()


def test_flac_outputs_are_24_bit_integers(tree, tmp_path):
    out = tmp_path / "flac"
    source = tree / "speakers" / "a" / "one.wav"
    assert decode(source, out, "--format", "flac", "--sr", "22050").returncode == 0
    expected, _ = audiodecode.load(source, sr=22050)
    y, _ = audiodecode.load(out / "one.wav.flac", sr=None)
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
    assert not (out / "broken.wav.npy").exists()
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
        expected, _ = audiodecode.load(source / path.stem, sr=16000)
        assert_same_array(np.load(path), expected)
    resumed = decode(source, out, "--sr", "16000", "--json")
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert summary["complete"] == len(finished)
    assert summary["decoded"] == n_files - len(finished)
    assert len(list(out.glob("*.npy"))) == n_files
    assert not list(out.glob(".*.partial"))  # what the killed run was writing is gone
    last, _ = audiodecode.load(source / "clip59.flac", sr=16000)
    assert_same_array(np.load(out / "clip59.flac.npy"), last)


# --- names, resuming, and the checks made before anything is written ------------------------


# A Standard MIDI File: MThd (format 0, one track, 96 ticks) and one MTrk with one note.
MIDI = (b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x00\x60"
        b"MTrk\x00\x00\x00\x0c\x00\x90\x3c\x40\x60\x80\x3c\x40\x00\xff\x2f\x00")


def run_cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """``audiodecode decode ...`` in this process (faster than a subprocess)."""
    try:
        code = main(["decode", *map(str, args)])
    except SystemExit as exc:  # argparse's usage errors
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _tone(path: Path, seed: int, seconds: float = 0.05) -> np.ndarray:
    data = (0.3 * np.random.default_rng(seed).uniform(-1, 1, int(8000 * seconds)))
    sf.write(path, data.astype(np.float32), 8000, subtype="PCM_16")
    return sf.read(path, dtype="float32")[0]  # the oracle: libsndfile's own reading


def _records(destination: Path) -> dict[str, dict[str, object]]:
    return {Path(str(r["source"])).name: r for r in _manifest(destination)}


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    """``x.wav`` and ``x.wav.wav``, which the old rule wrote to one ``x.wav.npy``."""
    src = tmp_path / "src"
    src.mkdir()
    return src, {name: _tone(src / name, seed) for seed, name in enumerate(["x.wav",
                                                                             "x.wav.wav"])}


def test_every_source_has_its_own_output(pair, tmp_path, capsys):
    src, expected = pair
    out = tmp_path / "out"
    code, text, _ = run_cli(capsys, src, out, "--sr", "native")
    assert code == 0, text
    for name, samples in expected.items():
        saved = np.load(out / f"{name}.npy")
        assert saved.tobytes() == samples.tobytes()
        assert (saved.dtype, saved.shape) == (samples.dtype, samples.shape)
    assert sorted(p.name for p in out.iterdir()) == [
        ".audiodecode-decode.json", "manifest.jsonl", "x.wav.npy", "x.wav.wav.npy"]
    assert {r["output"] for r in _manifest(out)} == {"x.wav.npy", "x.wav.wav.npy"}
    code, text, _ = run_cli(capsys, src, out, "--sr", "native")
    assert (code, text.splitlines()[0][:45]) == (0, "0 decoded, 2 already complete, 0 failed, of 2")


def test_names_that_differ_only_in_case_are_refused_before_writing(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    _tone(src / "Take.wav", 0)
    _tone(src / "take.wav", 1)
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, src, out)
    assert code == 2
    assert str(src / "Take.wav") in err
    assert str(src / "take.wav") in err
    assert len(err.splitlines()) == 1
    assert not out.exists()


def test_an_unreadable_output_is_decoded_again_with_the_reason(pair, tmp_path, capsys):
    src, expected = pair
    out = tmp_path / "out"
    assert run_cli(capsys, src, out, "--sr", "native")[0] == 0
    emptied = out / "x.wav.npy"
    emptied.write_bytes(b"")  # a 0-byte output, with its source's time: looks complete
    mtime = (src / "x.wav").stat().st_mtime_ns
    os.utime(emptied, ns=(mtime, mtime))
    code, text, err = run_cli(capsys, src, out, "--sr", "native", "--json")
    assert code == 0, err
    summary = json.loads(text)
    assert (summary["decoded"], summary["complete"]) == (1, 1)
    [redone] = summary["redone"]
    assert redone["source"] == str(src / "x.wav")
    assert redone["reason"].startswith("the earlier output is unreadable")
    assert _records(out)["x.wav"]["redone"] == redone["reason"]
    assert np.load(emptied).tobytes() == expected["x.wav"].tobytes()


def test_a_source_replaced_by_an_older_file_is_decoded_again(pair, tmp_path, capsys):
    src, _ = pair
    out = tmp_path / "out"
    assert run_cli(capsys, src, out, "--sr", "native")[0] == 0
    source = src / "x.wav"
    before = source.stat().st_mtime_ns
    replacement = _tone(source, seed=9, seconds=0.03)  # readable, and older than the output
    os.utime(source, ns=(before - 10**10, before - 10**10))
    code, text, _ = run_cli(capsys, src, out, "--sr", "native")
    assert code == 0
    assert "1 earlier outputs were decoded again:" in text
    assert np.load(out / "x.wav.npy").tobytes() == replacement.tobytes()
    # Now replaced by a damaged file, older still: a failure, not a traceback, and the
    # output of the audio that is gone is not kept as if it were this file's.
    source.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00garbage")
    os.utime(source, ns=(before - 2 * 10**10, before - 2 * 10**10))
    code, text, err = run_cli(capsys, src, out, "--sr", "native")
    assert code == 1
    assert "Traceback" not in err
    assert f"{source}: CorruptAudioError: " in text
    assert "its earlier output was removed" in text
    assert not (out / "x.wav.npy").exists()
    assert _records(out)["x.wav"]["status"] == "failed"
    assert _records(out)["x.wav.wav"]["status"] == "complete"
    # Replaced by something that is not audio: skipped, and its old output goes too.
    (src / "x.wav.wav").write_text("not audio any more")
    assert run_cli(capsys, src, out, "--sr", "native")[0] == 1  # x.wav still fails
    assert _records(out)["x.wav.wav"]["status"] == "not_audio"
    assert not (out / "x.wav.wav.npy").exists()


def test_dst_may_not_be_a_source_or_inside_one_however_spelled(pair, tmp_path, capsys):
    src, _ = pair
    link = tmp_path / "link"
    link.symlink_to(src, target_is_directory=True)
    for dst in (src, link, link / "out", tmp_path / "src" / "." / "deeper" / "out"):
        code, _, err = run_cli(capsys, src, dst)
        assert code == 2, dst
        assert len(err.splitlines()) == 1
        assert "choose a DST outside it" in err
    code, _, err = run_cli(capsys, link / "x.wav", tmp_path / "elsewhere", )
    assert code == 0
    code, _, err = run_cli(capsys, src / "x.wav", src)  # a source file inside DST
    assert (code, "is inside DST" in err) == (2, True)
    assert sorted(p.name for p in src.iterdir()) == ["x.wav", "x.wav.wav"]  # nothing written


def test_a_refused_rate_writes_nothing_and_the_corrected_command_runs(pair, tmp_path, capsys):
    src, _ = pair
    out = tmp_path / "out"
    code, text, err = run_cli(capsys, src, out, "--sr", "1e9")
    assert code == 2
    assert err.startswith("audiodecode decode: error: argument --sr: sr=1000000000 must be")
    assert len(err.splitlines()) == 1
    assert (text, out.exists()) == ("", False)
    assert run_cli(capsys, src, out, "--sr", "16000")[0] == 0


def test_an_unwritable_destination_is_one_line(pair, tmp_path, capsys):
    src, _ = pair
    code, _, err = run_cli(capsys, src, "/proc/audiodecode-cannot-be-here/out")
    assert code == 1
    assert err.startswith("audiodecode decode: error: cannot write to DST ")
    assert len(err.splitlines()) == 1


def test_outputs_are_never_written_through_a_link_in_dst(tmp_path, capsys):
    src, out, elsewhere = tmp_path / "src", tmp_path / "out", tmp_path / "elsewhere"
    (src / "sub").mkdir(parents=True)
    elsewhere.mkdir()
    _tone(src / "a.wav", 0)
    _tone(src / "sub" / "b.wav", 1)
    out.mkdir()
    (out / "sub").symlink_to(elsewhere, target_is_directory=True)
    precious = elsewhere / "precious"
    precious.write_text("keep me")
    (elsewhere / "b.wav.npy").write_text("keep me too")  # where sub/b.wav's output would go
    (out / "a.wav.npy").symlink_to(precious)  # an output name that is a link
    code, text, _ = run_cli(capsys, src, out)
    assert code == 1
    assert "symbolic link" in text
    assert precious.read_text() == "keep me"
    assert sorted(p.name for p in elsewhere.iterdir()) == ["b.wav.npy", "precious"]
    assert (elsewhere / "b.wav.npy").read_text() == "keep me too"
    assert not (out / "a.wav.npy").is_symlink()  # the link was replaced, not followed
    assert np.load(out / "a.wav.npy").dtype == np.float32


def test_interrupted_counts_are_honest(tmp_path, capsys, monkeypatch):
    from audiodecode.cli import decode as decode_module

    src = tmp_path / "src"
    src.mkdir()
    for i in range(8):
        _tone(src / f"{i}.wav", i)
    written = []
    real_write = decode_module._write_output

    def write_then_interrupt(*args, **kwargs):
        if len(written) == 2:
            raise KeyboardInterrupt
        written.append(args)
        real_write(*args, **kwargs)

    monkeypatch.setattr(decode_module, "_write_output", write_then_interrupt)
    out = tmp_path / "out"
    code, text, _ = run_cli(capsys, src, out, "--workers", "1")
    assert code == 130
    assert text.startswith("interrupted after 2 of 8 files (2 decoded, 0 already complete, "
                           "0 failed)")
    assert [r["status"] for r in _manifest(out)] == ["decoded", "decoded"]
    monkeypatch.undo()
    code, text, _ = run_cli(capsys, src, out, "--workers", "1", "--json")
    summary = json.loads(text)
    assert (code, summary["handled"], summary["files"], summary["interrupted"]) == (0, 8, 8,
                                                                                    False)
    assert (summary["decoded"], summary["complete"]) == (6, 2)


def test_a_folder_without_audio_is_an_error_naming_its_files(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    (src / "song.mid").write_bytes(MIDI)
    (src / "notes.txt").write_text("not audio")
    code, _text, err = run_cli(capsys, src, tmp_path / "out")
    assert code == 1
    assert err.splitlines() == [f"audiodecode decode: error: no audio files found under {src}",
                                f"  {src / 'notes.txt'}: no audio decoder recognises it",
                                f"  {src / 'song.mid'}: a MIDI sequence (notes, not sound)"]
    assert not (tmp_path / "out").exists()


def test_a_named_file_that_is_not_audio_is_a_failure(tmp_path, capsys):
    (tmp_path / "song.mid").write_bytes(MIDI)
    _tone(tmp_path / "a.wav", 0)
    code, text, _ = run_cli(capsys, tmp_path / "song.mid", tmp_path / "a.wav", tmp_path / "out")
    assert code == 1
    assert f"{tmp_path / 'song.mid'}: not audio: a MIDI sequence (notes, not sound)" in text
