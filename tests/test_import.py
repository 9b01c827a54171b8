"""Import time is a feature: nothing heavy loads until it is needed."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["av", "soxr", "soundfile", "librosa", "scipy", "torch", "ray", "matplotlib", "rich",
         "tqdm", "fsspec", "numba"]


def modules_after(code: str) -> set[str]:
    probe = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                         text=True).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def test_import_loads_nothing_heavy():
    loaded = modules_after("import audiodecode")
    assert not loaded & set(HEAVY)


def test_loading_a_wav_needs_neither_ffmpeg_nor_soxr_nor_libsndfile(corpus):
    path = corpus["wav_pcm16"]
    loaded = modules_after(f"import audiodecode\naudiodecode.load({str(path)!r}, sr=None)")
    assert not loaded & {"av", "soxr", "soundfile", "librosa", "scipy"}


def test_resampling_a_wav_loads_soxr_but_not_ffmpeg(corpus):
    path = corpus["wav_pcm16"]
    loaded = modules_after(f"import audiodecode\naudiodecode.load({str(path)!r}, sr=16000)")
    assert "soxr" in loaded
    assert not loaded & {"av", "librosa", "scipy"}


def test_version_and_public_names():
    import audiodecode

    assert isinstance(audiodecode.__version__, str)
    for name in audiodecode.__all__:
        assert getattr(audiodecode, name) is not None
    assert "from audiodecode import load" in audiodecode.__doc__


def test_batch_functions_are_exported_lazily():
    import audiodecode
    import audiodecode.batch

    assert audiodecode.load_batch is audiodecode.batch.load_batch
    assert audiodecode.imap is audiodecode.batch.imap
    loaded = modules_after("import audiodecode")
    assert "audiodecode.batch" not in loaded
