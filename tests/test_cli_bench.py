"""``audiodecode bench``, driven as a user drives it, on a small folder generated here.

Every run uses ``--iterations 1`` and, except one, ``--quick`` (no child processes): these
tests check what the command reports and how it fails, never how fast anything is.
librosa is the oracle for the "same work" checks of the peer loaders.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import _corpus
import librosa
import numpy as np
import pytest

from audiodecode import bench, info
from audiodecode.cli import main

if TYPE_CHECKING:
    from pathlib import Path

LIBROSA_MAJOR = int(librosa.__version__.split(".")[0])
SECONDS = 0.3
CHANNEL_WORDS = {1: "mono", 2: "stereo"}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One tiny file per format, some in a sub-folder, one with a misleading extension.

    The stereo files are longer than ``speech.wav``, which is the shortest file of the first
    table (so the cold starts load it) while ``music.wav`` is the longest (peak memory).
    """
    root = tmp_path_factory.mktemp("bench")
    nested = root / "nested"
    nested.mkdir()
    stereo = {"sample_rate": 44100, "channels": 2, "seconds": 1.5 * SECONDS}
    _corpus.write(root / "speech.wav", "wav_pcm16", sample_rate=16000, channels=1,
                  seconds=SECONDS)
    _corpus.write(root / "music.wav", "wav_pcm16", **stereo)
    _corpus.write(nested / "music.flac", "flac_16", **stereo, seed=1)
    _corpus.write(nested / "flac_named.wav", "flac_16", **stereo, seed=2)  # sniffed: FLAC
    _corpus.write(nested / "music.mp3", "mp3", **stereo)
    _corpus.write(nested / "music.ogg", "ogg_vorbis", **stereo)
    _corpus.write(nested / "music.m4a", "m4a_aac", **stereo)
    return root


def audio_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def group_name(path: Path) -> str:
    """The table a file belongs in: container, codec and channels as its header says."""
    details = info(path)
    return f"{details.format.upper()} {details.codec}, {CHANNEL_WORDS[details.channels]}"


def exit_code(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # argparse's usage errors
        return int(exc.code or 0)


def bench_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = exit_code(["bench", *args, "--iterations", "1", "--quick", "--json"])
    return code, json.loads(capsys.readouterr().out)


def installed(report: dict) -> list[str]:
    return [name for name, status in report["loaders"].items() if status["available"]]


def test_prints_one_table_per_format_with_a_row_per_loader(folder, capsys):
    code = exit_code(["bench", str(folder), "--iterations", "1", "--quick"])
    out = capsys.readouterr().out

    assert code == 0
    for name in {group_name(path) for path in audio_files(folder)}:
        assert f"\n{name}, " in out
    _, statuses = bench.resolve_loaders()
    for status in statuses:
        if status.available:
            assert f"| {status.label} " in out
        else:
            assert f"{status.name} ({status.reason})" in out
    assert "ms per file" in out
    assert "audiodecode speedup" in out
    assert "identical" in out


def test_json_has_every_loader_on_every_format(folder, capsys):
    code, report = bench_json(capsys, str(folder))

    assert code == 0
    assert report["unreadable"] == []
    assert report["skipped"] == []
    files = audio_files(folder)
    expected = {}
    for path in files:
        expected.setdefault(group_name(path), set()).add(str(path))
    assert {g["name"]: {f["path"] for f in g["per_file"]} for g in report["groups"]} == expected

    names = installed(report)
    for group in report["groups"]:
        is_plain_wav = group["name"].startswith("WAV pcm_s16le")
        assert set(group["loaders"]) == {n for n in names if n != "numpy_floor" or is_plain_wav}
        for name, result in group["loaders"].items():
            if result["files_read"]:
                assert result["files_read"] + result["files_failed"] == group["files"]
                assert result["median_ms"] > 0
            else:
                assert result["error"], f"{name} read nothing in {group['name']} and said nothing"
        ours = group["loaders"]["audiodecode"]
        assert ours["files_read"] == group["files"]
        if group["loaders"]["soundfile"]["files_read"]:
            # Where librosa reads the file with libsndfile (not through librosa 0.x's
            # audioread fallback), audiodecode's array is librosa's, bit for bit.
            assert ours["parity"]["identical"] == group["files"]
            assert group["loaders"]["librosa"]["speedup"] > 0


@pytest.mark.skipif(LIBROSA_MAJOR < 1, reason="librosa 0.x reads M4A through audioread")
def test_librosa_1_on_m4a_is_reported_as_cannot_read(folder, capsys):
    code, report = bench_json(capsys, str(folder / "nested" / "music.m4a"))

    assert code == 0
    (group,) = report["groups"]
    assert group["loaders"]["librosa"]["files_read"] == 0
    assert "Error" in group["loaders"]["librosa"]["error"]
    assert group["loaders"]["audiodecode"]["files_read"] == 1
    assert group["loaders"]["audiodecode"]["parity"] is None


def test_keeps_the_channels_with_stereo(folder, capsys):
    code, report = bench_json(capsys, str(folder / "music.wav"), str(folder / "nested"),
                              "--stereo", "--sr", "22050")

    assert code == 0
    for group in report["groups"]:
        assert group["mono"] is False
        assert group["sr"] == 22050
        ours = group["loaders"]["audiodecode"]
        if group["loaders"]["soundfile"]["files_read"]:
            assert ours["parity"]["identical"] == group["files"]


def test_without_librosa_the_others_are_still_compared(folder, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "librosa", None)  # import librosa now raises ImportError
    code, report = bench_json(capsys, str(folder))

    assert code == 0
    assert report["loaders"]["librosa"] == {
        "name": "librosa", "available": False, "version": "", "reason": "not installed",
        "label": "librosa",
    }
    assert "soundfile" in installed(report)
    for group in report["groups"]:
        assert "librosa" not in group["loaders"]
        assert group["loaders"]["audiodecode"]["parity"] is None
        assert group["loaders"]["soundfile"]["speedup"] is not None or \
            group["loaders"]["soundfile"]["files_read"] == 0


def test_a_failing_loader_is_reported_not_fatal(folder, capsys, monkeypatch):
    def broken_load(*args, **kwargs):
        msg = "simulated decoder crash"
        raise RuntimeError(msg)

    monkeypatch.setattr(librosa, "load", broken_load)
    code = exit_code(["bench", str(folder / "music.wav"), "--iterations", "1", "--quick"])
    out = capsys.readouterr().out

    assert code == 0
    librosa_row = next(line for line in out.splitlines() if line.startswith("| librosa"))
    assert "cannot read" in librosa_row
    assert "RuntimeError: simulated decoder crash" in librosa_row


def test_parity_notices_an_output_that_differs_from_librosa(folder, capsys, monkeypatch):
    real_load = librosa.load

    def off_by_a_millionth_of_full_scale(*args, **kwargs):
        y, sr = real_load(*args, **kwargs)
        return y + np.float32(2.0**-20), sr

    monkeypatch.setattr(librosa, "load", off_by_a_millionth_of_full_scale)
    code, report = bench_json(capsys, str(folder / "music.wav"))

    assert code == 0
    parity = report["groups"][0]["loaders"]["audiodecode"]["parity"]
    assert parity["files"] == 1
    assert parity["identical"] == 0
    assert parity["max_abs_diff"] == pytest.approx(2.0**-20, rel=1e-3)
    assert parity["min_correlation"] > 0.999999
    assert parity["length_mismatches"] == 0


def test_an_unreadable_file_is_reported_and_the_exit_status_is_1(folder, tmp_path, capsys):
    broken = tmp_path / "broken.flac"
    broken.write_bytes(b"fLaC" + np.random.default_rng(0).bytes(3000))
    code = exit_code(["bench", str(folder / "speech.wav"), str(broken), "--iterations", "1",
                      "--quick"])
    out = capsys.readouterr().out

    assert code == 1
    assert f"audiodecode could not read 1 file(s):\n  {broken}: " in out
    assert "WAV pcm_s16le, mono" in out  # the readable file is still measured


def test_a_named_non_audio_file_is_unreadable_but_one_in_a_folder_is_skipped(
    folder, tmp_path, capsys
):
    notes = tmp_path / "notes.txt"
    notes.write_text("speaker ids and transcripts, not audio\n")
    (tmp_path / "speech.wav").write_bytes((folder / "speech.wav").read_bytes())

    code, report = bench_json(capsys, str(tmp_path))
    assert code == 0
    assert report["skipped"] == [{"path": str(notes), "reason": "not audio"}]

    code, report = bench_json(capsys, str(notes), str(tmp_path / "speech.wav"))
    assert code == 1
    assert [u["path"] for u in report["unreadable"]] == [str(notes)]
    assert "UnsupportedFormatError" in report["unreadable"][0]["error"]


@pytest.mark.parametrize(
    "argv",
    [
        ["--sr", "-16000"],
        ["--sr", "fast"],
        ["--iterations", "0"],
        ["--mono", "--stereo"],
        ["--loaders", "librosa,nosuch"],
        ["--no-such-option"],
        ["does/not/exist.wav"],
    ],
    ids=["negative-sr", "word-sr", "zero-iterations", "mono-and-stereo", "unknown-loader",
         "unknown-option", "missing-path"],
)
def test_bad_usage_exits_2(argv, capsys):
    assert exit_code(["bench", *argv]) == 2
    assert "error" in capsys.readouterr().err


def test_plot_writes_a_png(folder, tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="--plot needs the plot extra")
    chart = tmp_path / "speedups.png"
    code = exit_code(["bench", str(folder / "music.wav"), "--iterations", "1", "--quick",
                      "--plot", str(chart)])

    assert code == 0
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib_names_the_extra(folder, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code = exit_code(["bench", str(folder / "music.wav"), "--plot", str(tmp_path / "x.png")])

    assert code == 1
    assert "pip install 'audiodecode[plot]'" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_without_rich_there_is_no_bar_but_the_same_report(folder, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "rich", None)
    code = exit_code(["bench", str(folder / "speech.wav"), "--iterations", "1", "--quick"])

    assert code == 0
    assert "WAV pcm_s16le, mono" in capsys.readouterr().out


def test_without_paths_it_benchmarks_a_generated_demo_corpus(capsys, monkeypatch):
    monkeypatch.setattr(bench.discovery, "DEMO_CLIPS_PER_FORMAT", 1)
    monkeypatch.setattr(bench.discovery, "DEMO_LONG_SECONDS", 1.0)
    code, report = bench_json(capsys)

    assert code == 0
    names = [group["name"] for group in report["groups"]]
    for prefix in ("WAV pcm_s16le, mono", "WAV pcm_s16le, stereo", "FLAC", "MP3", "OGG vorbis",
                   "OGG opus", "MP4 aac"):
        assert any(name.startswith(prefix) for name in names), (prefix, names)


def test_python_m_measures_cold_start_and_memory_in_children_without_librosa(folder, tmp_path):
    # A librosa that cannot be imported, for this process and for its children alike.
    fake = tmp_path / "site" / "librosa"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('librosa hidden by the test')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(fake.parent), *filter(None, [os.environ.get("PYTHONPATH")])])}
    done = subprocess.run(
        [sys.executable, "-m", "audiodecode", "bench", str(folder / "speech.wav"),
         str(folder / "music.wav"), "--iterations", "1", "--loaders", "librosa,soundfile",
         "--json"],
        capture_output=True, text=True, env=env, check=False, timeout=300,
    )

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert installed(report) == ["audiodecode", "soundfile"]
    cold = report["cold_start"]
    assert cold["path"] == str(folder / "speech.wav")  # the shortest file of the first table
    assert cold["interpreter_ms"] > 0
    assert set(cold["loaders"]) == {"audiodecode", "soundfile"}
    for row in cold["loaders"].values():
        assert row["error"] == ""
        assert len(row["times_ms"]) == 1
    memory = report["memory"]
    assert memory["path"] == str(folder / "music.wav")  # the longest file
    assert [(row["sr"], row["mono"]) for row in memory["rows"]] == [(16000, True), (None, True)]
    frames = info(folder / "music.wav").frames
    expected_output = [int(np.ceil(frames * 16000 / 44100)) * 4, frames * 4]
    for row, output_bytes in zip(memory["rows"], expected_output, strict=True):
        assert row["output_mib"] == pytest.approx(output_bytes / 2**20)
        for figures in row["loaders"].values():
            assert figures["peak_above_baseline_mib"] >= 0
            assert figures["baseline_mib"] > 0


LOSSLESS_LOADERS = {"soundfile", "pyav", "numpy_floor"}


@pytest.mark.parametrize(("sr", "mono"), [(None, True), (16000, True), (None, False)],
                         ids=["native-mono", "16k-mono", "native-stereo"])
def test_every_loader_does_the_same_work_as_librosa(folder, sr, mono):
    path = str(folder / "music.wav")
    expected, expected_sr = librosa.load(path, sr=sr, mono=mono)
    loaders, _ = bench.resolve_loaders()
    for loader in loaders:
        if loader.name == "librosa":
            continue
        y, y_sr = loader.function(path, sr, mono)
        assert y.dtype == np.float32, loader.name
        assert y.shape == expected.shape, loader.name
        assert y_sr == expected_sr, loader.name
        if sr is None and loader.name in LOSSLESS_LOADERS:
            np.testing.assert_array_equal(y, expected, err_msg=loader.name)
        else:  # another decoder's scaling (pedalboard) or soxr on different input blocks
            np.testing.assert_allclose(y, expected, atol=1e-4, err_msg=loader.name)


def test_cache_option_adds_a_warm_cache_row_with_librosas_arrays(folder, capsys):
    code, report = bench_json(capsys, str(folder / "music.wav"), "--cache", "--loaders",
                              "librosa")
    assert code == 0
    assert "AUDIODECODE_BENCH_CACHE_DIR" not in os.environ  # the folder was the run's own
    (group,) = report["groups"]
    assert set(group["loaders"]) == {"audiodecode", "audiodecode_cached", "librosa"}
    warm = group["loaders"]["audiodecode_cached"]
    assert warm["files_read"] == group["files"]
    assert warm["parity"]["identical"] == group["files"]
    assert report["loaders"]["audiodecode_cached"]["available"]


def test_without_the_cache_option_no_warm_cache_row(folder, capsys):
    _, report = bench_json(capsys, str(folder / "music.wav"), "--loaders", "librosa")
    assert "audiodecode_cached" not in report["groups"][0]["loaders"]


def test_cache_row_is_labelled_and_says_how_much_faster_than_decoding(folder, capsys):
    code = exit_code(["bench", str(folder / "music.wav"), "--cache", "--loaders", "librosa",
                      "--iterations", "1", "--quick"])
    out = capsys.readouterr().out
    assert code == 0
    rows = [line for line in out.splitlines() if line.startswith("| audiodecode")]
    row = next(line for line in rows if "warm cache" in line)
    assert "identical" in row
    assert "faster than decoding" in row


@pytest.mark.parametrize("loader", ["soundfile", "audiodecode"])
def test_a_cold_start_child_imports_what_its_loader_imports(folder, loader):
    """The child runs the loader's own function from a file run by path, so a peer's cold
    start never includes importing audiodecode."""
    import subprocess

    from audiodecode.bench import children

    python, *arguments = children.child_command(
        ["cold", loader, str(folder / "music.wav"), "native", "mono"])
    done = subprocess.run([python, "-X", "importtime", *arguments], capture_output=True,
                          text=True, check=True)
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()
                if line.startswith("import time:")}
    assert loader in imported
    assert ("audiodecode" in imported) == (loader == "audiodecode")
