"""``audiodecode.compat``: the librosa patch, its routing, the switches and compare_backends.

librosa is the oracle: every patched answer is compared with the original function's answer
on the same call. A spy on ``audiodecode._api`` tells whether audiodecode or librosa answered.
"""

from __future__ import annotations

import importlib
import inspect
import io
import json
import os
import pickle
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import _assert
import librosa
import librosa.core.audio
import numpy as np
import pytest
import soundfile as sf
from _assert import assert_same_array, assert_same_blocks, assert_same_value

import audiodecode
from audiodecode import _api, _load, compat
from audiodecode.bench import compare_backends

LIBROSA_MAJOR = int(librosa.__version__.split(".")[0])
ORIGINALS = {name: getattr(librosa.core.audio, name) for name in compat.PATCHED_FUNCTIONS}
FEATURE_KINDS = ["wav_pcm16", "flac_16", "mp3", "ogg_vorbis"]


@pytest.fixture(scope="module")
def files(corpus: dict[str, Path]) -> dict[str, Path]:
    """The session corpus's files these tests use (44.1 kHz stereo, 1 s)."""
    return {kind: corpus[kind] for kind in [*FEATURE_KINDS, "m4a_aac"]}


@pytest.fixture(autouse=True)
def _leave_librosa_unpatched():
    yield
    compat.unpatch_librosa()
    for name, original in ORIGINALS.items():
        assert getattr(librosa, name) is original


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the patched librosa asked of audiodecode: "load", "info" or "stream".

    ``stream`` is recorded once its arguments pass validation (the patch asks
    ``audiodecode._api`` to validate them, and lets librosa answer calls it
    refuses).
    """
    calls: list[str] = []
    # The patched load checks librosa's options once and hands them to load_with_options;
    # get_duration and get_samplerate read the header with read_info.
    for name, module, attribute in (("load", _load, "load_with_options"),
                                    ("info", _api, "read_info"),
                                    ("stream", _api, "stream_blocks")):
        real = getattr(module, attribute)

        def record(*args, _name=name, _real=real, **kwargs):
            if _name == "stream":
                blocks = _real(*args, **kwargs)
                calls.append(_name)
                return blocks
            calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, attribute, record)
    return calls


def outcome(function, *args, **kwargs):
    """What a call gives: its result or its exception, and the warnings on the way."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = ("returned", function(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - the type and message are what is compared
            result = ("raised", type(exc), str(exc))
    return result, [(w.category, str(w.message)) for w in caught]


def assert_same_outcome(patched, original):
    (kind, *details), patched_warnings = patched
    (expected_kind, *expected), original_warnings = original
    assert kind == expected_kind, (details, expected)
    if kind == "returned":
        assert_same_value(details[0], expected[0])
    else:
        assert details == expected
    assert patched_warnings == original_warnings


assert_same_load = _assert.assert_same_load


# --- the patch takes effect everywhere ----------------------------------------------------


@pytest.mark.parametrize("where", ["librosa", "librosa.core", "librosa.core.audio"])
def test_every_spelling_of_load_is_patched(files, spy, where):
    compat.patch_librosa(verbose=False)
    patched_load = importlib.import_module(where).load
    assert patched_load is not ORIGINALS["load"]
    assert_same_load(patched_load(files["wav_pcm16"], sr=16000),
                     ORIGINALS["load"](files["wav_pcm16"], sr=16000))
    assert spy == ["load"]


def test_get_duration_and_get_samplerate_read_the_header(files, spy):
    path = files["flac_16"]
    expected = (ORIGINALS["get_duration"](path=path), ORIGINALS["get_samplerate"](path))
    compat.patch_librosa(verbose=False)
    actual = (librosa.get_duration(path=path), librosa.core.get_samplerate(path))
    assert actual == expected
    assert [type(a) for a in actual] == [type(e) for e in expected]
    assert spy == ["info", "info"]


def stream_kwargs():
    kwargs = {"block_length": 3, "frame_length": 2048, "hop_length": 512, "mono": False}
    if LIBROSA_MAJOR >= 1:
        kwargs["sr"] = None  # explicit: without it librosa 1.0 warns (see the next tests)
    return kwargs


def test_stream_is_patched(files, spy):
    path = files["ogg_vorbis"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # 0.11 deprecates stream's behaviour
        expected = list(ORIGINALS["stream"](path, **stream_kwargs()))
        compat.patch_librosa(verbose=False)
        actual = list(librosa.stream(path, **stream_kwargs()))
    assert spy == ["stream"]
    assert_same_blocks(actual, expected)


@pytest.mark.skipif(LIBROSA_MAJOR < 1, reason="librosa 0.11's stream has no sr argument")
def test_stream_resampled_is_patched(files, spy):
    path = files["wav_pcm16"]
    kwargs = {"block_length": 4, "frame_length": 1024, "hop_length": 256, "sr": 22050}
    expected = list(ORIGINALS["stream"](path, **kwargs))
    compat.patch_librosa(verbose=False)
    actual = list(librosa.stream(path, **kwargs))
    assert spy == ["stream"]
    assert_same_blocks(actual, expected)


@pytest.mark.skipif(LIBROSA_MAJOR < 1, reason="librosa 0.11's stream has no sr default to change")
def test_stream_without_sr_keeps_librosas_future_warning(files, spy):
    compat.patch_librosa(verbose=False)
    with pytest.warns(FutureWarning, match="default value of 'sr'"):
        blocks = list(librosa.stream(files["wav_pcm16"], block_length=2, frame_length=1024,
                                     hop_length=512))
    assert blocks
    assert spy == []


MODULE_BOUND_BEFORE = """
import librosa
from librosa import load
from librosa import load as librosa_load
from librosa.core.audio import get_duration

HELD_IN_A_DICT = {"load": librosa.load}


def loader_as_default(loader=librosa.load):
    return loader
"""


@pytest.fixture
def module_bound_before(tmp_path, monkeypatch):
    (tmp_path / "bound_before_patch.py").write_text(MODULE_BOUND_BEFORE)
    monkeypatch.syspath_prepend(tmp_path)
    module = importlib.import_module("bound_before_patch")
    yield module
    del sys.modules["bound_before_patch"]


def test_names_bound_before_the_patch_are_rebound(files, spy, module_bound_before):
    module = module_bound_before
    compat.patch_librosa(verbose=False)
    assert module.load is librosa.load
    assert module.librosa_load is librosa.load
    assert module.get_duration is librosa.get_duration
    module.load(files["wav_pcm16"])
    module.librosa_load(files["wav_pcm16"])
    assert spy == ["load", "load"]
    # The documented limit: references outside module globals keep the original.
    assert module.HELD_IN_A_DICT["load"] is ORIGINALS["load"]
    assert module.loader_as_default() is ORIGINALS["load"]
    compat.unpatch_librosa()
    assert module.load is ORIGINALS["load"]
    assert module.librosa_load is ORIGINALS["load"]
    assert module.get_duration is ORIGINALS["get_duration"]


def test_patch_imports_librosa_itself():
    code = ("import sys, audiodecode.compat as c\nassert 'librosa' not in sys.modules\n"
            "c.patch_librosa(verbose=False)\nimport librosa\n"
            "print(c.is_patched(), librosa.load.__wrapped__ is librosa.core.audio.load.__wrapped__)")
    assert run_python(code).stdout.split() == ["True", "True"]


# --- unpatch, idempotence, the rest of librosa ---------------------------------------------


def namespaces():
    return {name: vars(importlib.import_module(name))
            for name in ("librosa", "librosa.core", "librosa.core.audio")}


def test_unpatch_restores_the_originals_exactly():
    before = {module: {name: namespace.get(name, "absent") for name in compat.PATCHED_FUNCTIONS}
              for module, namespace in namespaces().items()}
    compat.patch_librosa(verbose=False)
    assert compat.is_patched()
    compat.unpatch_librosa()
    assert not compat.is_patched()
    after = {module: {name: namespace.get(name, "absent") for name in compat.PATCHED_FUNCTIONS}
             for module, namespace in namespaces().items()}
    for module, names in before.items():
        for name, value in names.items():
            assert after[module][name] is value, (module, name)
    for name, original in ORIGINALS.items():
        assert getattr(librosa, name) is original
        assert getattr(librosa.core, name) is original


def test_every_other_librosa_function_is_untouched():
    before = {module: dict(namespace) for module, namespace in namespaces().items()}
    compat.patch_librosa(verbose=False)
    for module, namespace in namespaces().items():
        for name, value in before[module].items():
            if name not in compat.PATCHED_FUNCTIONS:
                assert namespace[name] is value, (module, name)


def test_patch_is_idempotent_and_says_so_once(capsys):
    compat.patch_librosa()
    first = librosa.load
    compat.patch_librosa()
    assert librosa.load is first
    err = capsys.readouterr().err
    assert err.count("audiodecode:") == 1
    assert "load, get_duration, get_samplerate and stream" in err
    assert "unpatch_librosa()" in err
    compat.unpatch_librosa()
    compat.unpatch_librosa()  # unpatching twice is harmless too
    assert librosa.load is ORIGINALS["load"]


def test_verbose_false_is_silent(capsys):
    compat.patch_librosa(verbose=False)
    assert capsys.readouterr() == ("", "")


def test_the_message_names_modules_rebound_outside_librosa(capsys, module_bound_before):
    compat.patch_librosa()
    assert "bound_before_patch" in capsys.readouterr().err


def test_context_manager_patches_and_nests():
    with compat.librosa_patched():
        assert compat.is_patched()
        with compat.librosa_patched():
            assert compat.is_patched()
        assert compat.is_patched()  # the inner block found it patched and left it so
    assert not compat.is_patched()
    assert librosa.load is ORIGINALS["load"]


def test_context_manager_unpatches_on_error():
    reason = "raised inside the block"
    with pytest.raises(KeyError, match=reason), compat.librosa_patched():
        raise KeyError(reason)
    assert librosa.load is ORIGINALS["load"]


def test_a_reference_taken_during_the_patch_calls_librosa_after_it(files, spy):
    with compat.librosa_patched():
        kept = librosa.load
    assert_same_load(kept(files["wav_pcm16"]), ORIGINALS["load"](files["wav_pcm16"]))
    assert spy == []


@pytest.mark.parametrize("name", compat.PATCHED_FUNCTIONS)
def test_wrappers_look_like_librosas_functions(name):
    compat.patch_librosa(verbose=False)
    wrapper, original = getattr(librosa, name), ORIGINALS[name]
    assert inspect.signature(wrapper) == inspect.signature(original)
    assert wrapper.__name__ == original.__name__
    assert wrapper.__module__ == original.__module__
    assert wrapper.__wrapped__ is original
    assert original.__doc__ in wrapper.__doc__
    assert "audiodecode" in wrapper.__doc__
    assert pickle.loads(pickle.dumps(wrapper)) is wrapper  # pickled by reference, as before


def test_missing_librosa_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "librosa", None)  # what an uninstalled package looks like
    with pytest.raises(ImportError, match=r"pip install librosa") as info:
        compat.patch_librosa()
    assert "audiodecode[librosa]" in str(info.value)
    assert not compat.is_patched()
    with pytest.raises(ImportError, match=r"pip install librosa"):
        compat.load_with_librosa("anything.wav")


# --- results under the patch are librosa's --------------------------------------------------


def librosa_features(path):
    y, sr = librosa.load(path)
    return np.vstack([
        librosa.feature.mfcc(y=y, sr=sr, n_mfcc=20),
        librosa.feature.chroma_stft(y=y, sr=sr),
        librosa.feature.spectral_centroid(y=y, sr=sr),
        librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sr)),
    ])


@pytest.mark.parametrize("kind", FEATURE_KINDS)
def test_features_under_the_patch_are_identical(files, spy, kind):
    expected = librosa_features(files[kind])
    with compat.librosa_patched():
        actual = librosa_features(files[kind])
    assert_same_array(actual, expected)
    assert spy == ["load"]


@pytest.mark.skipif(LIBROSA_MAJOR < 1, reason="librosa 0.11 reads such a path with audioread: "
                    "test_a_path_libsndfile_cannot_read_is_librosa_0_11s_to_read")
def test_a_file_only_ffmpeg_reads_loads_without_warnings(files, spy):
    # librosa 1.0 cannot read it. Patched, it decodes in-process (filterwarnings=error: any
    # warning fails this test).
    path = files["m4a_aac"]
    with compat.librosa_patched():
        y, sr = librosa.load(path, sr=16000)
    assert spy == ["load"]
    assert_same_load((y, sr), audiodecode.load(path, sr=16000))


def test_a_file_object_only_ffmpeg_reads_is_decoded_by_audiodecode(files, spy):
    # Neither librosa reads it from a file object (0.11 gives only paths to audioread).
    data = files["m4a_aac"].read_bytes()
    with pytest.raises(sf.SoundFileRuntimeError):
        ORIGINALS["load"](io.BytesIO(data), sr=16000)
    with compat.librosa_patched():
        y, sr = librosa.load(io.BytesIO(data), sr=16000)
    assert spy == ["load"]
    assert_same_load((y, sr), audiodecode.load(io.BytesIO(data), sr=16000))


@pytest.fixture(scope="module")
def wav_int64(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """64-bit integer PCM: audiodecode's WAV reader reads it, libsndfile does not."""
    from scipy.io import wavfile

    path = tmp_path_factory.mktemp("wide") / "int64.wav"
    rng = np.random.default_rng(5)
    wavfile.write(path, 22050, (rng.uniform(-0.5, 0.5, 22050) * 2.0**63).astype(np.int64))
    return path


@pytest.mark.skipif(LIBROSA_MAJOR >= 1, reason="librosa 1.0 has no audioread fallback: such a "
                    "path is audiodecode's to read, test_a_file_only_ffmpeg_reads_loads_...")
@pytest.mark.parametrize("as_str", [False, True], ids=["Path", "str"])
@pytest.mark.parametrize("kind", ["m4a_aac", "wav_int64"])
@pytest.mark.parametrize(("name", "kwargs", "api_calls"), [
    ("load", {"sr": 16000}, ["load"]),
    ("get_duration", {}, ["info"]),
    ("get_samplerate", {}, ["info"]),
], ids=["load", "get_duration", "get_samplerate"])
def test_a_path_libsndfile_cannot_read_is_librosa_0_11s_to_read(
    files, wav_int64, spy, as_str, kind, name, kwargs, api_calls
):
    # librosa 0.11 hands a path libsndfile cannot read to audioread (the ffmpeg program, when
    # there is one), warning that it does; its own test_load_force_audioread checks the
    # warning. That answer, or its failure without ffmpeg, is librosa's to give, whether
    # FFmpeg (m4a) or audiodecode's WAV reader (64-bit integers) would read the file.
    path = wav_int64 if kind == "wav_int64" else files[kind]
    path = str(path) if as_str else path
    if name == "get_duration":
        args, kwargs = (), {"path": path}
    else:
        args = (path,)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # audioread's first use warns about its own imports
        call(name, args, kwargs)
    expected = outcome(call, name, args, kwargs)
    compat.patch_librosa(verbose=False)
    assert_same_outcome(outcome(call, name, args, kwargs), expected)
    assert any("audioread" in message for _, message in expected[1])
    assert spy == api_calls  # audiodecode opened it, found libsndfile does not read it, gave it back
    assert audiodecode.load(path, sr=None)[0].size  # and audiodecode itself still reads it


@pytest.mark.skipif(LIBROSA_MAJOR >= 1, reason="librosa 1.0 has no audioread fallback")
def test_a_cached_ffmpeg_decode_does_not_answer_for_librosa_0_11(files, spy, tmp_path):
    from audiodecode import cache

    path = files["m4a_aac"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # audioread's first use warns about its own imports
        ORIGINALS["load"](path, sr=16000)
    expected = outcome(librosa.load, path, sr=16000)
    cache.enable(tmp_path / "cache")
    try:
        audiodecode.load(path, sr=16000)  # FFmpeg's decode, now in the cache
        compat.patch_librosa(verbose=False)
        assert_same_outcome(outcome(librosa.load, path, sr=16000), expected)
    finally:
        cache.disable()
    assert spy == ["load", "load"]  # the plain load that filled the cache, then the patched one


# --- calls that librosa answers --------------------------------------------------------------


def _deferred_cases(files):
    wav, ogg = files["wav_pcm16"], files["ogg_vorbis"]
    cases = {
        "dtype=int16": ("load", (wav,), {"sr": None, "mono": False, "dtype": np.int16}),
        "dtype=float16": ("load", (wav,), {"dtype": np.float16}),
        "unknown res_type": ("load", (wav,), {"res_type": "no_such_method"}),
        "positional sr": ("load", (wav, 16000), {}),
        "get_duration(y=)": ("get_duration", (), {"y": np.zeros(1000), "sr": 1000}),
        "get_duration(S=)": ("get_duration", (), {"S": np.zeros((1025, 10))}),
        "stream block_length=0": ("stream", (ogg,), {"block_length": 0, "frame_length": 2048,
                                                     "hop_length": 512}),
    }
    if LIBROSA_MAJOR >= 1:
        cases["stream non-soxr res_type"] = ("stream", (ogg,), {
            "block_length": 2, "frame_length": 2048, "hop_length": 512, "sr": 16000,
            "res_type": "scipy"})
    else:
        cases["negative offset on 0.11"] = ("load", (wav,), {"offset": -0.5})
        cases["stream duration=0 on 0.11"] = ("stream", (ogg,), {
            "block_length": 2, "frame_length": 2048, "hop_length": 512, "duration": 0})
    return cases


DEFERRED = list(_deferred_cases({"wav_pcm16": Path("x.wav"), "ogg_vorbis": Path("x.ogg")}))


def call(name, args, kwargs):
    result = getattr(librosa, name)(*args, **kwargs)
    return list(result) if name == "stream" else result


@pytest.mark.parametrize("case", DEFERRED)
def test_calls_librosa_answers_itself(files, spy, case):
    name, args, kwargs = _deferred_cases(files)[case]
    expected = outcome(call, name, args, kwargs)
    compat.patch_librosa(verbose=False)
    assert_same_outcome(outcome(call, name, args, kwargs), expected)
    assert spy == []


@pytest.mark.skipif(LIBROSA_MAJOR < 1, reason="librosa 0.11's stream has no sr argument")
def test_a_step_that_does_not_fit_an_open_soundfile_is_librosas_error(files, spy):
    # librosa 1.0's own test_stream_bad_hop[as_sfo]: 3 * 513 samples at 16 kHz are not a whole
    # number of samples at 44.1 kHz. audiodecode checks that before reading the SoundFile,
    # which is then librosa's to refuse with its ParameterError.
    kwargs = {"block_length": 3, "frame_length": 2048, "hop_length": 513, "sr": 16000}
    with sf.SoundFile(files["ogg_vorbis"]) as sfo:
        expected = outcome(call, "stream", (sfo,), kwargs)
    assert expected[0][1] is librosa.ParameterError
    compat.patch_librosa(verbose=False)
    with sf.SoundFile(files["ogg_vorbis"]) as sfo:
        assert_same_outcome(outcome(call, "stream", (sfo,), kwargs), expected)
    assert spy == []


def test_stream_checks_the_step_of_an_open_soundfile_before_reading_it(files):
    with sf.SoundFile(files["ogg_vorbis"]) as sfo:
        sfo.seek(100)
        with pytest.raises(ValueError, match="fractional sample advance"):
            _api.stream(sfo, block_length=3, frame_length=2048, hop_length=513, sr=16000)
        assert not sfo.closed
        assert sfo.tell() == 100
        # A step that fits (3 * 512 samples at 11025 Hz are 6144 at 44.1 kHz) streams.
        blocks = _api.stream(sfo, block_length=3, frame_length=2048, hop_length=512, sr=11025)
        assert next(blocks).shape == (2 * 512 + 2048,)
        blocks.close()


@pytest.mark.skipif(LIBROSA_MAJOR >= 1, reason="librosa 1.0 dropped audioread")
def test_an_audioread_object_goes_to_librosa(files, spy):
    from audioread.rawread import RawAudioFile

    path = files["wav_pcm16"]
    with RawAudioFile(str(path)) as handle:
        expected = outcome(librosa.load, handle, sr=None)
    compat.patch_librosa(verbose=False)
    with RawAudioFile(str(path)) as handle:
        assert_same_outcome(outcome(librosa.load, handle, sr=None), expected)
    assert spy == []


def failing_cases(files):
    return {
        "missing file": ((files["wav_pcm16"].with_name("missing.wav"),), {}),
        "offset past the end": ((files["flac_16"],), {"offset": 30.0}),
        "not audio": ((files["wav_pcm16"].with_name("notes.txt"),), {}),
        "not audio, in a file object": ((io.BytesIO(b"definitely not audio" * 10),), {}),
    }


FAILING = list(failing_cases({"wav_pcm16": Path("x.wav"), "flac_16": Path("x.flac")}))


@pytest.mark.parametrize("case", FAILING)
def test_failures_are_librosas_own(files, spy, case):
    files["wav_pcm16"].with_name("notes.txt").write_text("hello " * 100)
    args, kwargs = failing_cases(files)[case]
    expected = outcome(librosa.load, *args, **kwargs)
    if isinstance(args[0], io.BytesIO):
        args[0].seek(0)  # the same object again: librosa's message names it
    compat.patch_librosa(verbose=False)
    assert_same_outcome(outcome(librosa.load, *args, **kwargs), expected)
    assert spy == ["load"]  # audiodecode tried, failed, and librosa answered


@pytest.mark.skipif(LIBROSA_MAJOR < 1, reason="librosa 0.11 has no negative offsets: it answers "
                    "them itself, see test_calls_librosa_answers_itself")
def test_negative_offset_on_librosa_1_is_answered_by_audiodecode(files, spy):
    expected = ORIGINALS["load"](files["wav_pcm16"], offset=-0.5)
    compat.patch_librosa(verbose=False)
    assert_same_load(librosa.load(files["wav_pcm16"], offset=-0.5), expected)
    assert spy == ["load"]


def test_file_objects_are_read_from_where_they_stand(files, spy):
    data = files["wav_pcm16"].read_bytes()
    expected = ORIGINALS["load"](io.BytesIO(data), sr=None)
    compat.patch_librosa(verbose=False)
    assert_same_load(librosa.load(io.BytesIO(data), sr=None), expected)
    assert spy == ["load"]


def test_load_with_librosa_skips_the_patch(files, spy):
    expected = ORIGINALS["load"](files["mp3"], sr=8000)
    with compat.librosa_patched():
        actual = compat.load_with_librosa(files["mp3"], sr=8000)
    assert_same_load(actual, expected)
    assert spy == []
    # Every keyword reaches librosa as it is: librosa's defaults, and librosa's own errors.
    assert_same_load(compat.load_with_librosa(files["mp3"]), ORIGINALS["load"](files["mp3"]))
    assert_same_outcome(outcome(compat.load_with_librosa, files["mp3"], rate=8000),
                        outcome(ORIGINALS["load"], files["mp3"], rate=8000))


# --- environment switches (subprocesses: they are read at import) --------------------------


def run_python(code, env=None, **kwargs):
    full_env = {**os.environ, **(env or {})}
    switches = [compat.patch_switch(library) for library in compat.LIBRARIES]
    for name in (*switches, compat.BACKEND_ENV):
        if env is None or name not in env:
            full_env.pop(name, None)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=full_env,
                          capture_output=True, text=True, check=True, timeout=120, **kwargs)


def test_patch_env_patches_librosa_on_import():
    code = """
        import audiodecode
        import librosa
        wrapped = getattr(librosa.load, "__wrapped__", None)
        print(audiodecode.compat.is_patched(), wrapped is librosa.core.audio.load.__wrapped__)
    """
    result = run_python(code, env={compat.PATCH_ENV: "1"})
    assert result.stdout.split() == ["True", "True"], (
        "import audiodecode did not patch librosa: is the AUDIODECODE_PATCH_LIBROSA hook at the "
        "end of audiodecode/__init__.py?"
    )
    assert result.stderr == ""  # quiet: nothing for a service's logs to trip on


def test_without_the_patch_env_importing_audiodecode_leaves_librosa_alone():
    code = """
        import sys
        import audiodecode
        print("librosa" in sys.modules, "audiodecode.compat" in sys.modules)
    """
    assert run_python(code).stdout.split() == ["False", "False"]


BACKEND_ENV_CHECK = """
    import sys
    import librosa
    import numpy as np

    calls = []
    librosa_load = librosa.load
    def spy(*args, **kwargs):
        calls.append(args)
        return librosa_load(*args, **kwargs)
    librosa.load = spy

    import audiodecode
    import audiodecode._api
    def no_decoding(*args, **kwargs):
        raise AssertionError("audiodecode decoded despite AUDIODECODE_BACKEND=librosa "
                             "(is the hook at the top of audiodecode._load.load?)")
    audiodecode._api.decode = no_decoding

    path = sys.argv[1]
    y, sr = audiodecode.load(path, sr=16000)
    assert y.tobytes() == librosa_load(path, sr=16000)[0].tobytes() and sr == 16000
    assert len(calls) == 1, calls

    audiodecode.compat.patch_librosa(verbose=False)
    y, sr = librosa.load(path, sr=8000)
    assert y.tobytes() == librosa_load(path, sr=8000)[0].tobytes() and sr == 8000
    assert len(calls) == 2, calls
    print("routed to librosa")
"""


def test_backend_env_routes_load_and_the_patch_to_librosa(files):
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(BACKEND_ENV_CHECK), str(files["flac_16"])],
        env={**os.environ, compat.BACKEND_ENV: "librosa"}, capture_output=True, text=True,
        timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "routed to librosa"


# --- compare_backends --------------------------------------------------------------------------


def test_compare_backends_on_a_file_both_read(files, capsys):
    result = compare_backends(files["wav_pcm16"], iterations=3, sr=22050)
    out = capsys.readouterr().out
    assert result.identical is True
    assert result.max_abs_diff == 0.0
    assert result.correlation == pytest.approx(1.0)
    assert result.librosa_length == result.audiodecode_length == 22050
    assert result.audiodecode_backend == "wav"
    assert len(result.librosa_times) == len(result.audiodecode_times) == 3
    assert result.librosa_seconds == float(np.median(result.librosa_times))
    assert result.speedup == result.librosa_seconds / result.audiodecode_seconds
    assert result.librosa_error is None
    assert out == result.report() + "\n"
    for line in ("librosa.load", "audiodecode.load", "speedup", "identical arrays  yes",
                 "max |difference|  0", "correlation       1.0", "length            22050",
                 "backend: wav", "sr=22050"):
        assert line in out


def test_compare_backends_uses_the_original_librosa_while_patched(files, spy):
    with compat.librosa_patched():
        result = compare_backends(files["mp3"], iterations=1)
    assert result.identical is True
    assert result.audiodecode_backend == "sndfile"
    # audiodecode's warm-up and timed call; librosa's two would add two more through the patch
    assert spy.count("load") == 2


def test_compare_backends_reports_different_arrays():
    expected = np.arange(6.0).reshape(2, 3)
    from audiodecode.bench import compare

    figures = compare._agreement(expected, expected[:, :2] * 2)
    assert figures["identical"] is False
    assert figures["max_abs_diff"] == 4.0
    assert figures["correlation"] == pytest.approx(1.0)


COMPARE_M4A = """
    import json, sys
    from audiodecode.bench import compare_backends
    result = compare_backends(sys.argv[1], iterations=2)
    print(json.dumps({"librosa_seconds": result.librosa_seconds, "error": result.librosa_error,
                      "identical": result.identical, "backend": result.audiodecode_backend,
                      "times": len(result.audiodecode_times), "length": result.audiodecode_length}))
"""


def test_compare_backends_on_a_file_librosa_cannot_read(files):
    # librosa 1.0 has no fallback; 0.11 falls back to audioread, which needs the ffmpeg
    # program: with nothing but Python on PATH, there is none, as on a machine without it.
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(COMPARE_M4A), str(files["m4a_aac"])],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    *report, figures = result.stdout.strip().splitlines()
    figures = json.loads(figures)
    expected_length = audiodecode.load(files["m4a_aac"], sr=None)[0].shape[-1]
    assert figures["librosa_seconds"] is None
    assert figures["identical"] is None
    assert figures["error"]
    assert figures["backend"] == "pyav"
    assert figures["times"] == 2
    assert figures["length"] == expected_length
    report = "\n".join(report)
    assert "librosa.load      cannot read it:" in report
    assert "audiodecode.load" in report
    assert "backend: pyav" in report
    assert "speedup" not in report


def test_compare_backends_checks_iterations(files):
    with pytest.raises(ValueError, match="iterations=0"):
        compare_backends(files["wav_pcm16"], iterations=0)
