"""``examples/speech_emotion``: every way gives the same feature matrix, bit for bit."""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
import soundfile as sf
from _assert import assert_same_array

from audiodecode import _load

if TYPE_CHECKING:
    from types import ModuleType

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "speech_emotion"
N_FILES = 8  # one per emotion


def _example_module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"speech_emotion_{name}", EXAMPLE / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ravdess = _example_module("ravdess")


@pytest.fixture(scope="module")
def example():
    """The example's ``run`` module, imported as the example imports its siblings."""
    sys.path.insert(0, str(EXAMPLE))
    try:
        yield importlib.import_module("run")
    finally:
        sys.path.remove(str(EXAMPLE))
        for name in ("run", "classic", "idiomatic", "ravdess"):
            sys.modules.pop(name, None)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return ravdess.make_ravdess_folder(tmp_path_factory.mktemp("ravdess"), n_files=N_FILES)


@pytest.fixture(scope="module")
def results(example, clips):
    return example.compare(clips, example.VARIANTS, repeat=1)


PARALLEL = "audiodecode, load_batch(transform=features)"


def test_every_way_gives_identical_features(example, results):
    assert list(results) == ["librosa", "librosa + patch", "audiodecode", PARALLEL]
    reference = results["librosa"].features
    assert reference.shape == (N_FILES, 210)
    assert np.isfinite(reference).all()
    for name in ("librosa + patch", "audiodecode", PARALLEL):
        assert_same_array(results[name].features, reference)
    assert example.all_identical(results)


def test_each_variant_times_its_phases(example, results):
    for name, result in results.items():
        expected = (["get_max_min", "load + features"] if name == PARALLEL
                    else ["get_max_min", "load", "features"])
        assert list(result.seconds) == expected
        assert all(seconds > 0 for seconds in result.seconds.values())
    table = example.table(results).splitlines()
    cells = [[cell.strip() for cell in line.split("|")[1:-1]] for line in table]
    assert cells[0] == ["variant", "get_max_min", "load", "features", "load + features",
                        "total", "decoding speedup", "total speedup"]
    assert [row[0] for row in cells[2:]] == list(results)
    assert cells[2][-2:] == ["1.0x", "1.00x"]  # librosa against itself


def test_all_identical_notices_a_difference(example, results):
    changed = dict(results)
    tweaked = results["audiodecode"].features.copy()
    tweaked[0, 0] = np.nextafter(tweaked[0, 0], np.inf)
    changed["audiodecode"] = example.Result(tweaked, results["audiodecode"].seconds)
    assert not example.all_identical(changed)


def test_the_patched_variant_decodes_with_audiodecode(example, clips, monkeypatch):
    loads = []
    real_load = _load.load_with_options  # what the patched librosa.load calls

    def counting_load(*args, **kwargs):
        loads.append(args[0])
        return real_load(*args, **kwargs)

    monkeypatch.setattr(_load, "load_with_options", counting_load)
    example.plain_librosa(clips[:2])
    assert loads == []
    example.librosa_with_patch(clips[:2])
    assert loads == [*clips[:2], *clips[:2]]  # get_max_min, then the features pass


def test_the_durations_from_headers_are_the_decoded_ones(example, clips):
    assert example.idiomatic.get_max_min(clips) == example.classic.get_max_min(clips)


def test_command_line(example, tmp_path, capsys):
    assert example.main(["--n-files", "2", "--folder", str(tmp_path), "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "2 clips in" in out
    assert "| librosa + patch " in out  # cells are padded to the widest variant name
    assert "are identical, bit for bit" in out
    assert len(list(tmp_path.glob("03-01-0?-0?-0?-0?-??.wav"))) == 2


# --- the generated RAVDESS-shaped folder (examples/speech_emotion/ravdess.py) ---

def test_ravdess_name() -> None:
    assert ravdess.ravdess_name(12, 6, 2, 1) == "03-01-06-01-02-01-12.wav"
    assert ravdess.ravdess_name(1, 8, 1, 2, intensity=2) == "03-01-08-02-01-02-01.wav"
    fields = ravdess.parse_ravdess_name("03-01-08-02-01-02-01.wav")
    assert fields == {
        "modality": 3,
        "vocal_channel": 1,
        "emotion": 8,
        "intensity": 2,
        "statement": 1,
        "repetition": 2,
        "actor": 1,
    }
    with pytest.raises(ValueError, match="actor"):
        ravdess.ravdess_name(25, 1, 1, 1)
    with pytest.raises(ValueError, match="neutral"):
        ravdess.ravdess_name(1, 1, 1, 1, intensity=2)


_RAVDESS = re.compile(r"03-01-0[1-8]-0[12]-0[12]-0[12]-(0[1-9]|1[0-9]|2[0-4])\.wav")


def test_ravdess_folder(tmp_path: Path) -> None:
    paths = ravdess.make_ravdess_folder(tmp_path / "a", n_files=10, seed=1)
    assert len(paths) == len({p.name for p in paths}) == 10
    emotions = set()
    for path in paths:
        assert _RAVDESS.fullmatch(path.name), path.name
        info = sf.info(path)
        assert (info.samplerate, info.channels, info.subtype) == (48000, 1, "PCM_16")
        assert 2.0 <= info.duration <= 4.0
        emotions.add(ravdess.parse_ravdess_name(path.name)["emotion"])
    assert emotions == set(range(1, 9))
    again = ravdess.make_ravdess_folder(tmp_path / "b", n_files=10, seed=1, actor_folders=True)
    assert [p.name for p in again] == [p.name for p in paths]
    assert all(p.parent.name == f"Actor_{p.name[-6:-4]}" for p in again)
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(paths, again, strict=True))


def test_ravdess_emotions_sound_different(tmp_path: Path) -> None:
    # The speech-emotion example needs something to learn: angry is louder than sad.
    paths = ravdess.make_ravdess_folder(tmp_path, n_files=24)
    loudness: dict[int, list[float]] = {}
    for path in paths:
        data, _ = sf.read(path)
        loudness.setdefault(ravdess.parse_ravdess_name(path.name)["emotion"], []).append(
            float(np.sqrt(np.mean(data**2)))
        )
    assert np.mean(loudness[5]) > 2 * np.mean(loudness[4])
