"""``audiodecode info``: exact lengths plain, estimated ones marked and explained."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

import numpy as np
import pytest
import soundfile as sf
from _corpus import KINDS, write

from audiodecode.cli import main
from audiodecode.cli.info import ESTIMATE_NOTE

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("info")
    wav = folder / "exact.wav"
    sf.write(wav, np.zeros(16000, dtype="float32"), 16000)
    # FLAC in Matroska: the container stores a duration, not a sample count.
    assert KINDS["mkv_flac"].available()
    mkv = write(folder / "estimated.mkv", "mkv_flac", sample_rate=48000, channels=1,
                seconds=1.3)
    return {"exact": wav, "estimated": mkv}


def test_exact_length_is_printed_plain(files: dict[str, Path],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(files["exact"])]) == 0
    out = capsys.readouterr().out
    assert "16000 Hz, 1 ch, 1.000 s (16000 frames)" in out
    assert "~" not in out


def test_estimated_length_is_marked_and_explained(files: dict[str, Path],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(files["exact"]), str(files["estimated"])]) == 0
    lines = capsys.readouterr().out.splitlines()
    estimated = next(line for line in lines if line.startswith(str(files["estimated"])))
    assert ", ~1." in estimated
    assert "(~" in estimated
    assert lines[-1] == ESTIMATE_NOTE


def test_exact_option_counts_the_frames_load_returns(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    import audiodecode

    assert main(["info", "--exact", str(files["estimated"])]) == 0
    out = capsys.readouterr().out
    y, _ = audiodecode.load(files["estimated"], sr=None)
    assert f"({len(y)} frames)" in out
    assert "~" not in out


def test_json_output_parses_and_says_whether_exact(files: dict[str, Path]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "audiodecode", "info", "--json", str(files["exact"]),
         str(files["estimated"])],
        capture_output=True, text=True, check=True,
    )
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [record["frames_exact"] for record in records] == [True, False]
    assert records[0]["duration"] == 1.0


def test_a_cut_mp3_is_marked_and_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A truncated download: the Xing header still promises the whole track's frames."""
    import audiodecode

    whole = tmp_path / "whole.mp3"
    sf.write(whole, np.random.default_rng(0).uniform(-0.5, 0.5, (44100 * 4, 2)), 44100,
             format="MP3")
    cut = tmp_path / "cut.mp3"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    assert audiodecode.info(whole).frames_exact
    assert not audiodecode.info(cut).frames_exact
    assert main(["info", str(cut)]) == 0
    assert "~4.000 s" in capsys.readouterr().out
    assert main(["info", "--exact", str(cut)]) == 0
    y, _ = audiodecode.load(cut, sr=None)
    assert 0 < len(y) < 44100 * 3
    assert f"({len(y)} frames)" in capsys.readouterr().out


def test_a_folder_gives_one_line_per_audio_file(files: dict[str, Path],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    folder = files["exact"].parent
    (folder / "notes.txt").write_text("speaker ids")  # found in the folder: skipped, named
    try:
        assert main(["info", str(folder)]) == 0
        captured = capsys.readouterr()
    finally:
        (folder / "notes.txt").unlink()
    lines = [line for line in captured.out.splitlines() if line.startswith(str(folder))]
    assert [line.split(": ")[0] for line in lines] == [str(files["estimated"]),
                                                        str(files["exact"])]
    assert captured.err.splitlines() == ["1 files skipped as not audio:",
                                         (f"  {folder / 'notes.txt'}: no audio decoder "
                                         "recognises it")]


def test_a_named_midi_file_is_not_audio(tmp_path: Path, files: dict[str, Path],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    song = tmp_path / "song.mid"
    song.write_bytes(b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x00\x60"
                     b"MTrk\x00\x00\x00\x04\x00\xff\x2f\x00")
    assert main(["info", str(song), str(files["exact"])]) == 1
    captured = capsys.readouterr()
    assert captured.err == f"{song}: error: not audio: a MIDI sequence (notes, not sound)\n"
    assert captured.out.startswith(f"{files['exact']}: wav/")


def test_a_missing_path_is_a_usage_error(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(tmp_path / "nowhere.wav")]) == 2
    assert capsys.readouterr().err == (f"audiodecode info: error: {tmp_path / 'nowhere.wav'}: "
                                       "No such file or directory\n")
