"""Every public function that passes options on to ``load`` takes them as ``load`` does.

python-soundfile's ``test_argspec.py`` idea: the layers (``stream``, the PyTorch dataset, the
Ray decoder and reader, the batch functions) must not drift from ``load``'s keywords and
defaults, and ``load``'s must be :class:`LoadOptions`'s fields, the one value they all build. Each deliberate difference is listed with its reason; anything else fails.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

import audiodecode
from audiodecode import batch
from audiodecode._options import LoadOptions

LOAD = {name: p for name, p in inspect.signature(audiodecode.load).parameters.items()
        if name != "path"}


def test_loads_keywords_are_the_options_fields_in_order_with_their_defaults() -> None:
    assert list(LOAD) == list(LoadOptions._fields)
    for name, parameter in LOAD.items():
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, name
        default = LoadOptions._field_defaults[name]
        assert parameter.default == default, name
        assert type(parameter.default) is type(default), name


def _layers() -> list[Any]:
    layers = [pytest.param(audiodecode.stream, {
        "sr": "librosa.stream's default is None (the native rate), not load's 22050",
    }, {"max_duration": "a stream's memory is bounded by its block size, whatever the length"},
        id="stream")]
    # The [torch] extra, which the test environment installs: a missing torch fails here
    # rather than dropping the contract silently.
    from audiodecode.torch import AudioDataset

    layers.append(pytest.param(AudioDataset.__init__, {
        "sr": "speech models' rate: a dataset is built for training, not librosa parity",
    }, {}, id="AudioDataset"))
    from audiodecode.ray import DecodeBatch, read_audio  # ray is imported only when used

    layers.append(pytest.param(DecodeBatch.__init__, {}, {}, id="DecodeBatch"))
    layers.append(pytest.param(read_audio, {}, {}, id="read_audio"))
    return layers


@pytest.mark.parametrize(("function", "other_defaults", "absent"), _layers())
def test_layer_takes_loads_keywords_with_loads_defaults(
    function: Any, other_defaults: dict[str, str], absent: dict[str, str]
) -> None:
    parameters = inspect.signature(function).parameters
    for name, load_parameter in LOAD.items():
        if name in absent:
            assert name not in parameters
            continue
        assert name in parameters, f"{function.__qualname__} lacks load's {name}"
        assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY, name
        if name not in other_defaults:
            assert parameters[name].default == load_parameter.default, name
        else:
            assert parameters[name].default != load_parameter.default, name


@pytest.mark.parametrize("function", [batch.load_batch, batch.imap])
def test_batch_functions_pass_every_load_keyword_through(function: Any) -> None:
    parameters = inspect.signature(function).parameters
    assert any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    # None of their own keywords shadows one of load's.
    assert not set(parameters) & set(LOAD)
    with pytest.raises(TypeError, match="unexpected keyword argument 'rate'"):
        function(["x.wav"], rate=16000)
    with pytest.raises(ValueError, match="sr=-1"):
        function(["x.wav"], sr=-1)


def _one_second_wav(folder: Any) -> Any:
    import numpy as np
    import soundfile as sf

    path = folder / "one_second.wav"
    sf.write(path, np.random.default_rng(0).uniform(-0.5, 0.5, 8000), 8000)
    return path


def test_max_duration_reaches_load_through_the_layers(tmp_path: Any) -> None:
    import numpy as np

    from audiodecode.ray import DecodeBatch

    path = _one_second_wav(tmp_path)
    rows = DecodeBatch(sr=None, max_duration=0.5)({"path": np.array([str(path)])})
    assert rows["error"][0].startswith("AudioTooLargeError")
    with pytest.raises(audiodecode.AudioTooLargeError):
        batch.load_batch([path], sr=None, max_duration=0.5)


def test_max_duration_reaches_load_through_the_dataset(tmp_path: Any) -> None:
    pytest.importorskip("torch")  # the [torch] extra
    from audiodecode.torch import AudioDataset

    with pytest.raises(audiodecode.AudioTooLargeError):
        AudioDataset([_one_second_wav(tmp_path)], sr=None, max_duration=0.5)[0]


def test_imap_takes_load_batchs_keywords_with_its_defaults() -> None:
    eager = inspect.signature(batch.load_batch).parameters
    lazy = inspect.signature(batch.imap).parameters
    assert set(lazy) - set(eager) == {"read_ahead"}
    for name, parameter in eager.items():
        assert lazy[name].kind is parameter.kind, name
        assert lazy[name].default == parameter.default, name
