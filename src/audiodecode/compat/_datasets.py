"""Decode Hugging Face ``datasets``' ``Audio`` columns with audiodecode: no torch, no torchcodec.

Since ``datasets`` 4.0, ``datasets.Audio`` decodes only through torchcodec, which needs a
torch build it matches and FFmpeg's shared libraries on the system. One line makes it decode
through audiodecode instead::

    import audiodecode.compat
    audiodecode.compat.patch_datasets()

    from datasets import Audio, load_dataset
    ds = load_dataset("audiofolder", data_dir="clips", split="train")
    ds = ds.cast_column("audio", Audio(sampling_rate=16000))
    ds[0]["audio"]["array"]   # == audiodecode.load(path, sr=16000, mono=True)[0], byte for byte

What the patch changes, on the ``datasets`` classes themselves (so every ``Audio`` feature,
made before or after, is patched):

- ``Audio.decode_example`` returns an :class:`~audiodecode.compat._datasets_decoder.AudioDecoder`
  (lazy: nothing is read until the value is used), from a path, the example's bytes, or a
  remote path opened with ``datasets``' own ``xopen`` and the example's token;
- ``Audio.encode_example`` stores the ``{"path", "bytes"}`` a decoded value came from, and
  writes arrays (``{"array", "sampling_rate"}``) as 16-bit PCM WAV with soundfile, as
  ``datasets`` 3.x did (torchcodec, which 4.x uses, also writes 16-bit PCM);
- the numpy, torch, TensorFlow and JAX formatters hand decoded values through unchanged,
  as they do torchcodec's, and ``cast_to_python_objects`` encodes them, as it does torchcodec's;
- ``Audio`` pickles so that unpickling it patches the process it lands in: ``map(num_proc=N)``
  workers, whether forked (Linux before Python 3.14: they inherit the patch anyway),
  started by ``spawn`` (macOS, Windows) or by ``forkserver`` (Linux from Python 3.14). Since
  ``datasets`` fingerprints what it pickles, a cast made under the patch has another fingerprint
  than without it: cached ``map`` results of one are not reused by the other.

How ``Audio(sampling_rate=..., num_channels=...)`` applies, for a value ``v``:

======================================  ==================================================
``v["array"]``                          ``audiodecode.load(src, sr=sampling_rate,
                                        mono=True, dtype=np.float32)[0]``: channels
                                        averaged (``librosa.to_mono``), then resampled by
                                        soxr ``"soxr_hq"``; byte for byte
``v.get_all_samples().data``            ``audiodecode.load(src, sr=sampling_rate,
                                        mono=(num_channels == 1), dtype=np.float32)[0]``
                                        as ``(channels, n)``; ``num_channels=2`` of a mono
                                        file repeats it; a ``torch.Tensor`` if torch imports
``v["sampling_rate"]``                  ``sampling_rate``, else the file's own rate (read
                                        from the header, nothing decoded)
``v.get_samples_played_in_range(a, b)`` ``get_all_samples().data[:, i:j]``, cut where
                                        torchcodec cuts, ``floor(t * rate + 0.5)``
======================================  ==================================================

``sampling_rate=None`` keeps the file's rate. The lengths are librosa's
(``ceil(n * sr / sr_native)``); torchcodec's rounding can be one sample shorter.
Channel conversion averages (``num_channels=1`` is ``(L + R) / 2``); FFmpeg's default
matrix, which torchcodec uses, gives ``(L + R) / sqrt(2)``, and ``num_channels=2`` of a
mono file ``x / sqrt(2)`` in each channel.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._datasets_decoder import AudioDecoder, AudioSamples, AudioStreamMetadata, RemoteFile

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "AudioDecoder",
    "AudioSamples",
    "AudioStreamMetadata",
    "is_datasets_patched",
    "patch_datasets",
    "unpatch_datasets",
]

_LOCK = threading.RLock()
_ABSENT = object()
#: (owner, attribute, what it was before the patch: a value or _ABSENT), in patch order.
_SAVED: list[tuple[Any, str, Any]] = []

#: The formatters whose ``_tensorize`` passes decoders through (``datasets.formatting``).
_FORMATTERS = (
    ("datasets.formatting.np_formatter", "NumpyFormatter"),
    ("datasets.formatting.torch_formatter", "TorchFormatter"),
    ("datasets.formatting.tf_formatter", "TFFormatter"),
    ("datasets.formatting.jax_formatter", "JaxFormatter"),
)

_INSTALL_HINT = "pip install datasets (or pip install 'audiodecode[datasets]')"


def patch_datasets(verbose: bool = False) -> None:
    """Make ``datasets.Audio`` decode with audiodecode, with no torch or torchcodec needed.

    See the module docstring for what changes and how ``sampling_rate`` and
    ``num_channels`` apply. Imports ``datasets``. Calling it again does nothing.

    Parameters
    ----------
    verbose : bool
        Say on stderr what was patched.

    Raises
    ------
    ImportError
        ``datasets`` is not installed (the message says how to install it), or is older than
        4.0 (which decodes with soundfile and needs no patch).

    See Also
    --------
    unpatch_datasets : Put ``datasets``' own methods back.

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> sf.write("clip.wav", np.random.default_rng(0).uniform(-0.5, 0.5, 44100), 44100)
    >>> from audiodecode.compat import patch_datasets, unpatch_datasets
    >>> patch_datasets()
    >>> from datasets import Audio, Dataset
    >>> ds = Dataset.from_dict({"audio": ["clip.wav"]})
    >>> ds = ds.cast_column("audio", Audio(sampling_rate=16000))
    >>> value = ds[0]["audio"]
    >>> value["array"].shape, value["sampling_rate"]
    ((16000,), 16000)
    >>> unpatch_datasets()
    """
    with _LOCK:
        if _SAVED:
            return
        try:
            import datasets
            from datasets.features import audio as audio_module
            from datasets.features import features as features_module
        except ImportError as exc:
            msg = f"audiodecode.compat.patch_datasets needs the datasets package: {_INSTALL_HINT}"
            raise ImportError(msg) from exc
        version = str(getattr(datasets, "__version__", "0"))
        if _major(version) < 4:
            msg = (f"audiodecode.compat.patch_datasets is for datasets 4.0 and later (torchcodec's "
                   f"releases); datasets {version} decodes with soundfile already. To upgrade: "
                   "pip install -U datasets")
            raise ImportError(msg)
        audio_class = audio_module.Audio
        original_encode = audio_class.encode_example
        _set(audio_class, "decode_example", _decode_example)
        _set(audio_class, "encode_example", _make_encode_example(original_encode))
        _set(audio_class, "__reduce__", _reduce_audio)
        _set(features_module, "_cast_to_python_objects",
             _make_cast(features_module._cast_to_python_objects, audio_class))
        for module_name, class_name in _FORMATTERS:
            formatter = _import_attribute(module_name, class_name)
            if formatter is not None and "_tensorize" in vars(formatter):
                _set(formatter, "_tensorize", _make_tensorize(vars(formatter)["_tensorize"]))
    if verbose:
        print(
            f"audiodecode: datasets {version}'s Audio feature now decodes with audiodecode. "
            "Undo with audiodecode.compat.unpatch_datasets().",
            file=sys.stderr,
        )


def unpatch_datasets() -> None:
    """Put back ``datasets``' own methods, exactly as they were.

    Values already decoded stay audiodecode's. Calling it when ``datasets`` is not patched
    does nothing.

    Examples
    --------
    >>> from audiodecode.compat import is_datasets_patched, patch_datasets, unpatch_datasets
    >>> patch_datasets()
    >>> unpatch_datasets()
    >>> is_datasets_patched()
    False
    """
    with _LOCK:
        while _SAVED:
            owner, name, previous = _SAVED.pop()
            if previous is _ABSENT:
                delattr(owner, name)
            else:
                setattr(owner, name, previous)


def is_datasets_patched() -> bool:
    """Whether :func:`patch_datasets` is in effect.

    Examples
    --------
    >>> from audiodecode.compat import is_datasets_patched
    >>> is_datasets_patched()
    False
    """
    return bool(_SAVED)


def _major(version: str) -> int:
    head = version.split(".")[0]
    return int(head) if head.isdigit() else 0


def _set(owner: Any, name: str, value: Any) -> None:
    previous = vars(owner).get(name, _ABSENT) if isinstance(owner, type) else getattr(owner, name)
    _SAVED.append((owner, name, previous))
    setattr(owner, name, value)


def _import_attribute(module_name: str, name: str) -> Any:
    import importlib

    try:
        return getattr(importlib.import_module(module_name), name, None)
    except ImportError:
        return None


# --------------------------------------------------------------------------------------------
# the replacements


def _decode_example(
    self: Any, value: Any, token_per_repo_id: dict[str, str | bool | None] | None = None
) -> Any:
    """``datasets.Audio.decode_example``, returning audiodecode's lazy ``AudioDecoder``."""
    if not self.decode:
        msg = "Decoding is disabled for this feature. Please use Audio(decode=True) instead."
        raise RuntimeError(msg)
    if not isinstance(value, dict):
        return value  # already decoded: decoding is idempotent, as in datasets
    path: str | None = value.get("path")
    data: bytes | None = value.get("bytes")
    if path is None and data is None:
        msg = f"An audio sample should have one of 'path' or 'bytes' but both are None in {value}."
        raise ValueError(msg)
    from datasets.utils.file_utils import is_local_path

    source: Any
    if data is not None:
        source = data
    elif path is None or is_local_path(path):
        source = path
    else:
        source = RemoteFile(path, _remote_opener(path, token_per_repo_id or {}))
    audio = AudioDecoder(
        source,
        stream_index=self.stream_index,
        sample_rate=self.sampling_rate,
        num_channels=getattr(self, "num_channels", None),  # datasets >= 4.4
    )
    audio._hf_encoded = {"path": path, "bytes": data}
    audio._path = path
    return audio


def _remote_opener(path: str, token_per_repo_id: dict[str, str | bool | None]) -> Any:
    """``xopen(path, "rb")`` with the token of the Hub repository ``path`` is in, as
    ``datasets`` opens remote audio (the same URL patterns, ``::``-chained paths)."""
    from datasets import config
    from datasets.download.download_config import DownloadConfig
    from datasets.utils.file_utils import xopen
    from datasets.utils.py_utils import string_to_dict

    source_url = path.split("::")[-1]
    pattern = (config.HUB_DATASETS_URL if source_url.startswith(config.HF_ENDPOINT)
               else config.HUB_DATASETS_HFFS_URL)
    fields = string_to_dict(source_url, pattern)
    token = token_per_repo_id.get(fields["repo_id"]) if fields is not None else None
    return functools.partial(xopen, mode="rb", download_config=DownloadConfig(token=token))


def _make_encode_example(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def encode_example(self: Any, value: Any) -> dict[str, Any]:
        if value is None:
            msg = "value must be provided"
            raise ValueError(msg)
        if isinstance(value, AudioDecoder):
            if value._hf_encoded is not None:
                return value._hf_encoded
            samples = value.get_all_samples()
            return {"bytes": _wav_bytes(samples.data, samples.sample_rate, None), "path": None}
        if _is_torchcodec_decoder(value):
            return original(self, value)  # type: ignore[no-any-return]
        if isinstance(value, str):
            return {"bytes": None, "path": value}
        if isinstance(value, Path):
            return {"bytes": None, "path": str(value.absolute())}
        if isinstance(value, (bytes, bytearray)):
            return {"bytes": value, "path": None}
        num_channels = getattr(self, "num_channels", None)
        if "array" in value:
            wav = _wav_bytes(value["array"], value["sampling_rate"], num_channels)
            return {"bytes": wav, "path": None}
        path = value.get("path")
        if path is not None and os.path.isfile(path):
            if path.endswith("pcm"):
                # Headerless 16-bit PCM: datasets scales it to float by 1/32767 and stores a
                # WAV; writing that back as 16-bit restores the integers exactly.
                if value.get("sampling_rate") is None:
                    msg = "To use PCM files, please specify a 'sampling_rate' in Audio object"
                    raise KeyError(msg)
                if value.get("bytes"):
                    pcm = np.frombuffer(value["bytes"], dtype=np.int16)
                else:
                    pcm = np.fromfile(path, dtype="<i2")
                wav = _wav_bytes(pcm.astype(np.float32) / 32767, value["sampling_rate"],
                                 num_channels)
                return {"bytes": wav, "path": None}
            return {"bytes": None, "path": path}
        if value.get("bytes") is not None or path is not None:
            return {"bytes": value.get("bytes"), "path": path}
        msg = (f"An audio sample should have one of 'path' or 'bytes' but they are missing or "
               f"None in {value}.")
        raise ValueError(msg)

    return encode_example


def _is_torchcodec_decoder(value: Any) -> bool:
    decoders = sys.modules.get("torchcodec.decoders")
    decoder_class = getattr(decoders, "AudioDecoder", None)
    return (isinstance(decoder_class, type) and decoder_class is not AudioDecoder
            and isinstance(value, decoder_class))


def _wav_bytes(array: Any, sample_rate: int, num_channels: int | None) -> bytes:
    """A 16-bit PCM WAV of ``array`` (``(n,)`` or ``(channels, n)``), as soundfile writes it.

    ``num_channels=1`` averages the channels, ``2`` repeats a mono channel (as decoding
    does).
    """
    import soundfile as sf

    if hasattr(array, "numpy") and not isinstance(array, np.ndarray):  # a torch tensor
        array = array.detach().cpu().numpy()
    data = np.asarray(array, dtype=np.float32)
    data = data.reshape(1, -1) if data.ndim == 1 else data
    if num_channels == 1 and data.shape[0] > 1:
        data = data.mean(axis=0, keepdims=True)
    elif num_channels == 2 and data.shape[0] == 1:
        data = np.repeat(data, 2, axis=0)
    buffer = BytesIO()
    sf.write(buffer, data.T, int(sample_rate), format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def _make_cast(original: Callable[..., Any], audio_class: type) -> Callable[..., Any]:
    @functools.wraps(original)
    def _cast_to_python_objects(obj: Any, *args: Any, **kwargs: Any) -> Any:
        # as datasets does for torchcodec's decoders: store what the value was decoded from
        if isinstance(obj, AudioDecoder):
            return audio_class().encode_example(obj), True
        return original(obj, *args, **kwargs)

    return _cast_to_python_objects


def _make_tensorize(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def _tensorize(self: Any, value: Any) -> Any:
        # as datasets does for torchcodec's decoders: the value is handed out as it is
        if isinstance(value, AudioDecoder):
            return value
        return original(self, value)

    return _tensorize


def _reduce_audio(self: Any) -> tuple[Callable[..., Any], tuple[dict[str, Any]]]:
    # A worker process started by spawn/forkserver imports datasets afresh, unpatched; the
    # Audio features pickled to it (in the dataset shard) patch it as they are unpickled.
    return _rebuild_patched_audio, (dict(vars(self)),)


def _rebuild_patched_audio(state: dict[str, Any]) -> Any:
    patch_datasets()
    from datasets.features.audio import Audio

    audio = Audio.__new__(Audio)
    vars(audio).update(state)
    return audio
