"""One walker and one "is it audio" rule (``audiodecode._discovery``), and every layer that
searches folders agreeing with it: ``ray.list_audio_files``, ``bench.find_files``, and the
``decode``, ``info`` and ``bench`` commands.

The non-audio files are made by hand to their formats' specifications (a Standard MIDI File,
a PNG) or by PyAV (a video with no soundtrack); the audio files by soundfile.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from audiodecode import bench
from audiodecode._discovery import AUDIO, CORRUPT, NOT_AUDIO, classify, walk
from audiodecode.cli import main
from audiodecode.ray import list_audio_files


def midi_file() -> bytes:
    """A Standard MIDI File: an ``MThd`` header (format 0, one track, 96 ticks per quarter)
    and one ``MTrk`` track playing middle C for a quarter note."""
    events = bytes([0x00, 0x90, 0x3C, 0x40,  # note on, C4
                    0x60, 0x80, 0x3C, 0x40,  # 96 ticks later, note off
                    0x00, 0xFF, 0x2F, 0x00])  # end of track
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, 96)
    return header + b"MTrk" + struct.pack(">I", len(events)) + events


def png_file() -> bytes:
    """A 1x1 greyscale PNG: signature, IHDR, IDAT, IEND, each with its CRC."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b""))


def write_silent_video(path: Path) -> None:
    """Three 16x16 MPEG-4 video frames in MP4, and no audio stream."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width = stream.height = 16
        stream.pix_fmt = "yuv420p"
        for _ in range(3):
            frame = av.VideoFrame.from_ndarray(np.zeros((16, 16, 3), np.uint8), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())


def tone(seconds: float = 0.05, rate: int = 8000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (0.3 * rng.uniform(-1, 1, int(seconds * rate))).astype(np.float32)


# A RIFF/WAVE signature with a cut 'fmt ' chunk: it says "audio" and cannot be read.
DAMAGED_WAV = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00garbage"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mixed")
    sf.write(root / "a.wav", tone(), 8000)
    (root / "song.mid").write_bytes(midi_file())
    (root / "cover.png").write_bytes(png_file())
    (root / "notes.txt").write_text("speaker ids and transcripts\n")
    (root / "damaged.wav").write_bytes(DAMAGED_WAV)
    write_silent_video(root / "clip.mp4")
    (root / "sub").mkdir()
    sf.write(root / "sub" / "take_001", tone(seed=1), 8000, format="FLAC")  # no extension
    (root / ".hidden.wav").write_bytes((root / "a.wav").read_bytes())
    return root


AUDIO_FILES = ["a.wav", "damaged.wav", "sub/take_001"]  # what every layer decodes
NOT_AUDIO_FILES = ["clip.mp4", "cover.png", "notes.txt", "song.mid"]


def test_the_fixtures_are_what_they_claim(folder: Path) -> None:
    # Independent readers: PyAV sees an image and a video stream and no audio; libsndfile
    # reads neither, nor the MIDI file.
    with av.open(str(folder / "clip.mp4")) as container:
        assert (len(container.streams.video), len(container.streams.audio)) == (1, 0)
    with av.open(str(folder / "cover.png")) as container:
        assert (len(container.streams.video), len(container.streams.audio)) == (1, 0)
    for name in ("song.mid", "cover.png", "damaged.wav"):
        with pytest.raises(sf.LibsndfileError):
            sf.info(folder / name)
    assert midi_file()[:4] == b"MThd"
    assert midi_file()[14:18] == b"MTrk"


@pytest.mark.parametrize(
    ("name", "kind"),
    [("a.wav", AUDIO), ("sub/take_001", AUDIO), ("damaged.wav", CORRUPT),
     ("song.mid", NOT_AUDIO), ("cover.png", NOT_AUDIO), ("notes.txt", NOT_AUDIO),
     ("clip.mp4", NOT_AUDIO)],
)
def test_each_file_is_audio_not_audio_or_corrupt(folder: Path, name: str, kind: str) -> None:
    verdict = classify(folder / name, probe=True)
    assert verdict.kind == kind, verdict
    assert (verdict.info is not None) == (kind == AUDIO)
    if kind != AUDIO:
        assert verdict.reason
    # Without probing, a damaged file with an audio signature is still kept as audio.
    assert classify(folder / name).kind == (AUDIO if kind == CORRUPT else kind)


def test_midi_is_not_audio_without_opening_a_decoder(folder: Path, monkeypatch) -> None:
    import audiodecode._api

    def refuse(*args: object, **kwargs: object) -> None:
        msg = "a decoder was opened"
        raise AssertionError(msg)

    monkeypatch.setattr(audiodecode._api, "info", refuse)
    verdict = classify(folder / "song.mid")
    assert (verdict.kind, verdict.container) == (NOT_AUDIO, "midi")
    assert classify(folder / "a.wav").kind == AUDIO  # the signature is enough


def test_empty_files_links_and_folders_are_not_audio(tmp_path: Path) -> None:
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "dangling.wav").symlink_to(tmp_path / "nowhere.wav")
    assert classify(tmp_path / "empty.wav") == (NOT_AUDIO, "unknown", "the file is empty", None)
    assert classify(tmp_path / "dangling.wav").reason == "a broken symbolic link"
    assert classify(tmp_path).reason == "a folder"
    os.mkfifo(tmp_path / "pipe.wav")
    assert classify(tmp_path / "pipe.wav").kind == NOT_AUDIO  # and it did not block


def test_walk_is_sorted_skips_hidden_entries_and_does_not_follow_folder_links(
    tmp_path: Path,
) -> None:
    tree, outside = tmp_path / "tree", tmp_path / "outside"
    (tree / "b" / "c").mkdir(parents=True)
    (tree / ".git").mkdir()
    outside.mkdir()
    for name in ("z.wav", "b/c/y.wav", "b/x.wav", ".git/h.wav", "b/.hidden.wav"):
        (tree / name).write_bytes(b"x")
    (outside / "far.wav").write_bytes(b"x")
    (tree / "b" / "loop").symlink_to(tree, target_is_directory=True)  # a loop
    (tree / "out").symlink_to(outside, target_is_directory=True)  # out of the tree
    (tree / "linked.wav").symlink_to(outside / "far.wav")  # a link to a file is taken
    (tree / "dangling.wav").symlink_to(tmp_path / "nowhere")  # not a file: not found
    found = walk([tree, tree / "b" / "x.wav"])
    relative = [str(Path(f.path).relative_to(tree)) for f in found]
    assert relative == ["b/c/y.wav", "b/x.wav", "linked.wav", "z.wav"]
    assert [f.named for f in found] == [False] * 4  # b/x.wav was found first, in the folder
    assert {f.root for f in found} == {str(tree)}
    named = walk([tree / "dangling.wav"])
    assert [(f.path, f.named) for f in named] == [(str(tree / "dangling.wav"), True)]
    with pytest.raises(FileNotFoundError):
        walk([tmp_path / "missing"])


def test_walk_refuses_a_folder_it_cannot_list(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "locked").mkdir()

    def scandir_fails(path: object) -> object:
        raise PermissionError(13, "Permission denied", str(path))

    # root may read any folder, so the refusal is simulated where os.walk lists one.
    monkeypatch.setattr(os, "scandir", scandir_fails)
    with pytest.raises(PermissionError):
        walk([tmp_path])


# --- every layer agrees -------------------------------------------------------------------------


def test_ray_listing_keeps_audio_and_damaged_audio_only(folder: Path) -> None:
    assert list_audio_files(folder) == [str(folder / name) for name in AUDIO_FILES]


def test_bench_finds_the_same_files_and_skips_the_rest(folder: Path) -> None:
    found = bench.find_files([folder])
    assert [f.path for f in found.files] == [str(folder / name) for name in AUDIO_FILES]
    assert found.skipped == [{"path": str(folder / n), "reason": "not audio"}
                             for n in NOT_AUDIO_FILES]
    damaged = found.files[1]
    assert (damaged.info, damaged.container, damaged.not_audio) == (None, "wav", False)


def test_decode_decodes_the_same_files_and_names_the_rest(folder: Path, tmp_path: Path,
                                                           capsys) -> None:
    out = tmp_path / "out"
    assert main(["decode", str(folder), str(out), "--workers", "1"]) == 1  # damaged.wav
    text = capsys.readouterr().out
    assert "4 files skipped as not audio:" in text
    assert f"{folder / 'song.mid'}: a MIDI sequence (notes, not sound)" in text
    records = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    statuses = {Path(r["source"]).relative_to(folder).as_posix(): r["status"] for r in records}
    assert statuses == {"a.wav": "decoded", "sub/take_001": "decoded", "damaged.wav": "failed",
                        **dict.fromkeys(NOT_AUDIO_FILES, "not_audio")}


def test_info_lists_the_same_files(folder: Path, capsys) -> None:
    assert main(["info", str(folder)]) == 1  # damaged.wav
    captured = capsys.readouterr()
    listed = [line.split(": ")[0] for line in captured.out.splitlines() if line]
    assert listed == [str(folder / "a.wav"), str(folder / "sub" / "take_001")]
    assert f"{folder / 'damaged.wav'}: error: cannot read it: " in captured.err
    for name in NOT_AUDIO_FILES:
        assert f"  {folder / name}: " in captured.err


def test_bench_on_a_wav_and_a_midi_file_exits_0(tmp_path: Path, capsys) -> None:
    sf.write(tmp_path / "a.wav", tone(), 8000)
    (tmp_path / "song.mid").write_bytes(midi_file())
    code = main(["bench", str(tmp_path), "--quick", "--iterations", "1", "--loaders",
                 "soundfile", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["skipped"] == [{"path": str(tmp_path / "song.mid"), "reason": "not audio"}]
    assert report["unreadable"] == []


@pytest.mark.parametrize("command", ["bench", "decode"])
def test_a_rate_load_refuses_is_a_one_line_usage_error(command: str, tmp_path: Path,
                                                       capsys) -> None:
    sf.write(tmp_path / "a.wav", tone(), 8000)
    argv = [command, str(tmp_path / "a.wav")]
    if command == "decode":
        argv.append(str(tmp_path / "out"))
    for rate in ("1e9", "2000000", "0", "nan", "fast"):
        with pytest.raises(SystemExit) as stopped:
            main([*argv, "--sr", rate])
        assert stopped.value.code == 2
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1, err
        assert err.startswith(f"audiodecode {command}: error: argument --sr: ")
    assert not (tmp_path / "out").exists()
