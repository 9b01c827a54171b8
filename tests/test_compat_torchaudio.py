"""patch_torchaudio / unpatch_torchaudio, against a stand-in ``torchaudio`` module.

CI has no torchaudio (it needs torch <= 2.11), so these tests put a small fake module in
``sys.modules["torchaudio"]``: they check which attributes the patch replaces, that calls
reach audiodecode.torchaudio, and that unpatching restores the very same objects. They say
nothing about a real torchaudio's internals; ``benchmarks/torchaudio_parity.py`` runs against
torchaudio 2.8 itself.
"""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("torch")

from audiodecode.compat import is_torchaudio_patched, patch_torchaudio, unpatch_torchaudio


def _original(*args, **kwargs):
    msg = "the original torchaudio function was called"
    raise AssertionError(msg)


@pytest.fixture
def fake_torchaudio(monkeypatch):
    module = types.ModuleType("torchaudio")
    for name in ("load", "info", "save", "load_with_torchcodec", "save_with_torchcodec"):
        setattr(module, name, types.FunctionType(_original.__code__, {}, name))
    module.resample = object()  # not ours: never touched
    monkeypatch.setitem(sys.modules, "torchaudio", module)
    yield module
    unpatch_torchaudio()


def test_patch_replaces_and_unpatch_restores_the_same_objects(fake_torchaudio):
    before = dict(vars(fake_torchaudio))
    patch_torchaudio()
    assert is_torchaudio_patched()
    for name in ("load", "info", "save", "load_with_torchcodec", "save_with_torchcodec"):
        assert getattr(fake_torchaudio, name) is not before[name]
    assert fake_torchaudio.resample is before["resample"]
    patch_torchaudio()  # twice: still restorable to the originals
    unpatch_torchaudio()
    assert not is_torchaudio_patched()
    assert dict(vars(fake_torchaudio)) == before
    assert all(vars(fake_torchaudio)[k] is v for k, v in before.items())


def test_patched_calls_reach_audiodecode(fake_torchaudio, tmp_path):
    import torch

    path = str(tmp_path / "a.wav")
    data = (np.arange(2000, dtype=np.int16).reshape(1000, 2) - 1000)
    sf.write(path, data, 16000, subtype="PCM_16")
    patch_torchaudio()
    waveform, sr = fake_torchaudio.load(path, normalize=False, backend="soundfile")
    assert sr == 16000
    assert waveform.dtype == torch.int16
    assert waveform.t().contiguous().numpy().tobytes() == data.tobytes()
    assert fake_torchaudio.info(path).num_frames == 1000
    same, _ = fake_torchaudio.load_with_torchcodec(path, normalize=False)
    assert same.dtype == torch.float32  # torchcodec always gives float32
    assert same.numpy().tobytes() == (data.T / 32768).astype(np.float32).tobytes()
    out = str(tmp_path / "b.flac")
    fake_torchaudio.save_with_torchcodec(out, torch.zeros(400), 8000)  # 1D: one channel
    assert sf.info(out).channels == 1
    fake_torchaudio.save(out, torch.zeros(2, 400), 8000)
    assert sf.info(out).channels == 2


def test_patch_only_what_exists(monkeypatch):
    module = types.ModuleType("torchaudio")
    module.load = _original
    monkeypatch.setitem(sys.modules, "torchaudio", module)
    patch_torchaudio()
    try:
        assert module.load is not _original
        assert not hasattr(module, "load_with_torchcodec")
    finally:
        unpatch_torchaudio()
    assert module.load is _original


def test_without_torchaudio_the_patch_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torchaudio", None)
    with pytest.raises(ImportError, match=r"pip install 'torchaudio<2\.12'"):
        patch_torchaudio()
