"""``audiodecode bench``, driven as a user drives it, on a small folder generated here.

Every run uses ``--iterations 1`` and, except one, ``--quick`` (no child processes): these
tests check what the command reports and how it fails, never how fast anything is.
librosa is the oracle for the "same work" checks of the peer loaders.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING

import _corpus
import librosa
import numpy as np
import pytest
import soundfile as sf
from _assert import assert_same_array

from audiodecode import bench, info
from audiodecode.bench import demo
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
    code, report, _ = bench_json_and_stderr(capsys, *args)
    return code, report


def bench_json_and_stderr(capsys: pytest.CaptureFixture[str], *args: str,
                          ) -> tuple[int, dict, str]:
    code = exit_code(["bench", *args, "--iterations", "1", "--quick", "--json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def installed(report: dict) -> list[str]:
    return [name for name, status in report["loaders"].items() if status["available"]]


def test_prints_one_table_per_format_with_a_row_per_loader(folder, capsys):
    code = exit_code(["bench", str(folder), "--iterations", "1", "--quick"])
    out = capsys.readouterr().out

    assert code == 0
    for name in {group_name(path) for path in audio_files(folder)}:
        assert f"\n{name}\n  files:  " in out
    _, statuses = bench.resolve_loaders()
    for status in statuses:
        if status.available:
            assert f"| {status.label} " in out
        else:
            assert f"{status.name} ({status.reason}" in out
    assert "ms per file" in out
    assert "audiodecode speedup" in out
    assert "identical" in out
    # PyAV's time on WAV is mostly av.open's probing: its rows there say so, others do not.
    pyav_rows = [line for line in out.splitlines() if line.startswith("| pyav")]
    wav_tables = sum(name.startswith("WAV") for name in {group_name(p) for p in audio_files(folder)})
    assert sum("mostly set-up [" in row for row in pyav_rows) == wav_tables
    assert "on PCM files that probing, not decoding, is most of PyAV's time" in out
    # What the numpy floor is, said once, under the tables.
    assert out.count("- numpy floor: not a library but a yardstick") == 1
    assert out.index("| numpy floor") < out.index("How to read these tables")


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


def test_m4a_parity_names_the_reference_librosa_actually_used(folder, capsys):
    """librosa 0.x reads M4A through audioread (here the ffmpeg command-line tool, which hands
    it 16-bit samples); librosa 1.x cannot read it. The parity cells say which."""
    m4a = str(folder / "nested" / "music.m4a")
    code, report = bench_json(capsys, m4a, "--loaders", "librosa")
    assert code == 0
    (group,) = report["groups"]
    ours = group["loaders"]["audiodecode"]
    assert ours["files_read"] == 1
    code = exit_code(["bench", m4a, "--loaders", "librosa", "--iterations", "1", "--quick"])
    row = next(line for line in capsys.readouterr().out.splitlines()
               if line.startswith("| audiodecode"))

    if LIBROSA_MAJOR == 0 and shutil.which("ffmpeg"):
        assert group["librosa_route"] == "audioread (the ffmpeg command-line tool)"
        assert ours["parity"]["identical"] == 0
        assert ours["parity"]["max_abs_diff"] <= 0.5 / 32768  # audioread's 16-bit rounding
        assert f"vs librosa {librosa.__version__} via audioread (ffmpeg CLI): 0/1 identical, " \
               f"max abs diff" in row
    else:  # librosa 1.x has no audioread fallback; librosa 0.x finds no audioread backend
        assert group["loaders"]["librosa"]["files_read"] == 0
        assert ours["parity"] is None
        assert "librosa cannot read these files" in row


def test_librosa_failing_on_a_format_is_said_in_every_parity_cell(folder, capsys, monkeypatch):
    import audioread

    # No audioread backend: librosa 0.x then fails on M4A as librosa 1.x does.
    monkeypatch.setattr(audioread, "available_backends", lambda flush_cache=False: [])
    code = exit_code(["bench", str(folder / "nested" / "music.m4a"), "--loaders",
                      "librosa,pyav", "--iterations", "1", "--quick"])
    out = capsys.readouterr().out

    assert code == 0
    for loader in ("audiodecode", "pyav"):
        row = next(line for line in out.splitlines() if line.startswith(f"| {loader}"))
        assert row.rstrip(" |").endswith("librosa cannot read these files")
    librosa_row = next(line for line in out.splitlines() if line.startswith("| librosa"))
    assert "| cannot read |" in librosa_row
    # The error is a numbered note under the table, whole, not a cell cut short.
    mark = librosa_row.rsplit("error ", 1)[1].split()[0]
    note = next(line for line in out.splitlines() if line.startswith(f"{mark} librosa"))
    assert "..." not in note


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


def test_without_librosa_the_report_names_the_extra_that_installs_it(folder, capsys,
                                                                     monkeypatch):
    monkeypatch.setitem(sys.modules, "librosa", None)
    code = exit_code(["bench", str(folder / "speech.wav"), "--loaders", "librosa,soundfile",
                      "--iterations", "1", "--quick"])
    out = capsys.readouterr().out

    assert code == 0
    assert "not compared: librosa (not installed: pip install 'audiodecode[bench]')" in out
    assert "parity is not checked without librosa: pip install 'audiodecode[bench]'" in out
    row = next(line for line in out.splitlines() if line.startswith("| audiodecode"))
    assert "not checked: librosa not installed" in row


def test_librosa_left_out_by_loaders_is_not_called_missing(folder, capsys):
    code = exit_code(["bench", str(folder / "speech.wav"), "--loaders", "soundfile",
                      "--iterations", "1", "--quick"])
    out = capsys.readouterr().out

    assert code == 0
    assert "pip install" not in out
    row = next(line for line in out.splitlines() if line.startswith("| audiodecode"))
    assert "not checked: librosa not among --loaders" in row


def test_a_failing_loader_is_reported_not_fatal(folder, capsys, monkeypatch):
    def broken_load(*args, **kwargs):
        msg = "simulated decoder crash"
        raise RuntimeError(msg)

    monkeypatch.setattr(librosa, "load", broken_load)
    code = exit_code(["bench", str(folder / "music.wav"), "--iterations", "1", "--quick"])
    out = capsys.readouterr().out

    assert code == 0
    librosa_row = next(line for line in out.splitlines() if line.startswith("| librosa"))
    cells = [cell.strip() for cell in librosa_row.strip(" |").split("|")]
    assert cells[1:] == ["cannot read", "", "error [1]"]
    assert f"\n[1] librosa {librosa.__version__}: RuntimeError: simulated decoder crash\n" in out


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


def test_parity_compares_bytes_so_a_negative_zero_is_not_identical(tmp_path, capsys,
                                                                   monkeypatch):
    silence = tmp_path / "silence.wav"
    sf.write(silence, np.zeros(4000, dtype=np.int16), 16000, subtype="PCM_16")
    real_load = librosa.load

    def negative_zeros(*args, **kwargs):
        y, sr = real_load(*args, **kwargs)
        return np.negative(y), sr  # -0.0 where audiodecode has +0.0: np.array_equal agrees

    monkeypatch.setattr(librosa, "load", negative_zeros)
    code, report = bench_json(capsys, str(silence), "--loaders", "librosa")

    assert code == 0
    parity = report["groups"][0]["loaders"]["audiodecode"]["parity"]
    assert parity["identical"] == 0
    assert parity["max_abs_diff"] == 0.0


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
def test_bad_usage_exits_2_with_one_line(argv, capsys):
    assert exit_code(["bench", *argv]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("audiodecode bench: error: ")


def test_keep_with_paths_or_a_non_empty_folder_is_bad_usage(folder, tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    for argv in (["--keep", str(tmp_path / "new"), str(folder)], ["--keep", str(tmp_path)]):
        assert exit_code(["bench", *argv]) == 2
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1, err
    assert not (tmp_path / "new").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_plot_writes_a_png(folder, tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="--plot needs the plot extra")
    chart = tmp_path / "speedups.png"
    code = exit_code(["bench", str(folder / "music.wav"), "--iterations", "1", "--quick",
                      "--loaders", "soundfile", "--plot", str(chart)])

    assert code == 0
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_marks_what_cannot_be_read_and_no_text_overlaps(folder):
    pytest.importorskip("matplotlib", reason="--plot needs the plot extra")
    found = bench.find_files([folder / "music.wav", folder / "nested"])
    loaders, statuses = bench.resolve_loaders(["soundfile", "pyav", "numpy_floor"])
    report = bench.benchmark(bench.group_by_format(found.files), loaders=loaders, iterations=1,
                             statuses=statuses)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = bench.speedup_figure(report)
    canvas = FigureCanvasAgg(figure)  # what savefig draws a PNG with
    canvas.draw()
    (axes,) = figure.axes
    texts = [t for t in axes.texts if t.get_text()]
    unreadable = sum(g.loaders[n].files_read == 0 for g in report.groups for n in g.loaders)
    assert unreadable  # soundfile cannot read the M4A file
    assert sum(t.get_text() == "cannot read" for t in texts) == unreadable
    renderer = canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in texts]
    for i, box in enumerate(boxes):
        assert not any(box.overlaps(other) for other in boxes[i + 1:]), texts[i].get_text()
    # The legend belongs to the figure, outside the axes: it cannot cover a bar or a label.
    assert axes.get_legend() is None
    (legend,) = figure.legends
    legend_box = legend.get_window_extent(renderer)
    assert not legend_box.overlaps(axes.get_window_extent(renderer))


def test_plot_without_matplotlib_names_the_extra(folder, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code = exit_code(["bench", str(folder / "music.wav"), "--plot", str(tmp_path / "x.png")])

    assert code == 1
    assert "pip install 'audiodecode[plot]'" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_without_rich_or_a_terminal_progress_is_plain_lines_on_stderr(folder, capsys,
                                                                      monkeypatch):
    monkeypatch.setitem(sys.modules, "rich", None)
    code = exit_code(["bench", str(folder / "speech.wav"), str(folder / "music.wav"),
                      "--iterations", "2", "--loaders", "soundfile", "--quick"])
    captured = capsys.readouterr()

    assert code == 0
    assert "WAV pcm_s16le, mono" in captured.out
    stages = [line for line in captured.err.splitlines() if line.startswith("[")]
    assert stages == [
        "[1/4] WAV pcm_s16le, mono: first load by each loader, compared with librosa's ...",
        "[2/4] WAV pcm_s16le, stereo: first load by each loader, compared with librosa's ...",
        "[3/4] timed loads, round 1 of 2 ...",
        "[4/4] timed loads, round 2 of 2 ...",
    ]
    assert "[" not in captured.out.split("\n", 1)[0]  # the report stays on stdout, alone


def test_headings_say_what_the_files_are_and_what_the_output_is(folder, capsys):
    code = exit_code(["bench", str(folder / "music.wav"), "--loaders", "soundfile",
                      "--iterations", "1", "--quick", "--stereo", "--sr", "22050"])
    out = capsys.readouterr().out
    frames = info(folder / "music.wav").frames

    assert code == 0
    assert (f"\nWAV pcm_s16le, stereo\n"
            f"  files:  1 file, 44.1 kHz, {frames / 44100:.1f} s\n"
            f"  output: float32, every channel kept (--stereo), resampled to 22.05 kHz "
            f"(soxr_hq)\n") in out

    code = exit_code(["bench", str(folder / "speech.wav"), str(folder / "music.wav"),
                      str(folder / "nested" / "music.flac"),
                      str(folder / "nested" / "flac_named.wav"), "--loaders", "soundfile",
                      "--iterations", "1", "--quick"])
    out = capsys.readouterr().out
    assert code == 0
    assert ("\nFLAC pcm_s16, stereo\n  files:  2 files, 44.1 kHz, "
            f"{frames / 44100:.1f} s each ({2 * frames / 44100:.1f} s in all)\n"
            "  output: float32, mono (the channels averaged, as librosa.to_mono), at each "
            "file's own rate (no resampling)\n") in out


def test_without_paths_it_benchmarks_a_generated_demo_corpus(capsys, monkeypatch):
    monkeypatch.setattr(demo, "DEMO_CLIPS_PER_FORMAT", 1)
    monkeypatch.setattr(demo, "DEMO_LONG_SECONDS", 0.5)
    code, report, err = bench_json_and_stderr(capsys, "--loaders", "soundfile")

    assert code == 0
    names = [group["name"] for group in report["groups"]]
    for prefix in ("WAV pcm_s16le, mono", "WAV pcm_s16le, stereo", "FLAC", "MP3", "OGG vorbis",
                   "OGG opus", "MP4 aac"):
        assert any(name.startswith(prefix) for name in names), (prefix, names)
    assert "a temporary folder, deleted at the end (--keep DIR keeps it)" in err
    folders = {os.path.dirname(f["path"]) for g in report["groups"] for f in g["per_file"]}
    assert not any(os.path.exists(f) for f in folders)


def test_keep_writes_the_demo_corpus_into_a_folder_and_keeps_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(demo, "DEMO_CLIPS_PER_FORMAT", 1)
    monkeypatch.setattr(demo, "DEMO_LONG_SECONDS", 0.5)
    kept = tmp_path / "demo"
    code, report, err = bench_json_and_stderr(capsys, "--keep", str(kept), "--loaders",
                                              "soundfile")

    assert code == 0
    paths = [f["path"] for g in report["groups"] for f in g["per_file"]]
    assert paths
    assert all(path.startswith(str(kept)) and os.path.isfile(path) for path in paths)
    assert f"The demo corpus is kept in {kept}" in err


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
            assert_same_array(y, expected, loader.name)
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


def test_help_describes_the_demo_corpus_that_is_written(capsys):
    assert exit_code(["bench", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert f"clips ({demo.DEMO_CLIPS_PER_FORMAT} of each)" in text
    assert f"one {demo.DEMO_LONG_SECONDS:g} s WAV" in text
