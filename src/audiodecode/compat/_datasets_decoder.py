"""The value a patched ``datasets.Audio`` column decodes to: torchcodec's ``AudioDecoder``
surface, decoded by :func:`audiodecode.load`.

``datasets`` 4 and later hand out a ``torchcodec.decoders.AudioDecoder`` (a subclass that
also answers ``value["array"]`` and ``value["sampling_rate"]``). :class:`AudioDecoder` here
answers the same calls, with no torch or torchcodec needed:

- ``value["array"]``: ``audiodecode.load(source, sr=sampling_rate, mono=True,
  dtype=np.float32)[0]``, byte for byte;
- ``value["sampling_rate"]``: the ``Audio`` feature's ``sampling_rate``, else the file's own;
- ``get_all_samples()`` / ``get_samples_played_in_range(start, stop)``: an
  :class:`AudioSamples` whose ``data`` (a ``torch.Tensor`` where torch imports, else a NumPy
  array) has shape ``(channels, n)`` and holds ``audiodecode.load(source, sr=sampling_rate,
  mono=num_channels == 1, dtype=np.float32)[0]`` (``num_channels=2`` of a mono file repeats
  its one channel);
- ``metadata``: an :class:`AudioStreamMetadata`, read from the header without decoding.

Nothing is decoded, and nothing is read, until one of these is used; every call decodes
afresh (as torchcodec's do), so a value holds no samples between calls.
"""

from __future__ import annotations

import dataclasses
import io
import math
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from .._api import info
from .._load import load
from ..errors import AudioDecodeError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["AudioDecoder", "AudioSamples", "AudioStreamMetadata", "RemoteFile"]


@dataclasses.dataclass
class AudioStreamMetadata:
    """What the header says about the audio stream (torchcodec's ``AudioStreamMetadata``).

    Read by :func:`audiodecode.info`, without decoding. Mutable, as torchcodec's is:
    ``datasets`` sets ``path`` on it.

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> sf.write("beep.wav", np.zeros((8000, 2), dtype="float32"), 8000)
    >>> meta = AudioDecoder("beep.wav").metadata
    >>> meta.sample_rate, meta.num_channels, meta.duration_seconds, meta.codec
    (8000, 2, 1.0, 'pcm_s16le')
    """

    duration_seconds_from_header: float
    """``frames / sample_rate`` from the header (an estimate where ``frames`` is one)."""
    begin_stream_seconds_from_header: float
    """Always 0.0: audiodecode reads from the first sample."""
    bit_rate: float | None
    """Not read; always ``None``."""
    codec: str
    """Codec, as :attr:`audiodecode.AudioInfo.codec` names it (``"pcm_s16le"``, ``"mp3"``...)."""
    stream_index: int
    """Index (among all the container's streams) of the audio stream decoded: the first one."""
    duration_seconds: float
    """Same as ``duration_seconds_from_header``: the file is not scanned."""
    begin_stream_seconds: float
    """Always 0.0."""
    sample_rate: int
    """The file's own sampling rate, in Hz (not the ``Audio`` feature's target rate)."""
    num_channels: int
    """The file's own number of channels."""
    sample_format: str | None
    """Not read; always ``None``."""
    path: str | None = None
    """The example's ``path`` in the dataset (set by ``datasets``), or the path decoded."""


@dataclasses.dataclass
class AudioSamples:
    """Decoded samples (torchcodec's ``AudioSamples``).

    Iterating gives the fields in order, as torchcodec's does.

    Examples
    --------
    >>> import numpy as np
    >>> samples = AudioSamples(np.zeros((1, 160), "float32"), 0.0, 0.01, 16000)
    >>> data, pts, duration, rate = samples
    >>> data.shape, rate
    ((1, 160), 16000)
    """

    data: Any
    """``torch.Tensor`` (where torch imports) or ``np.ndarray``, float32, shape
    ``(num_channels, num_samples)``."""
    pts_seconds: float
    """Time of the first sample, in seconds."""
    duration_seconds: float
    """``num_samples / sample_rate``."""
    sample_rate: int
    """Sampling rate of ``data``, in Hz."""

    def __post_init__(self) -> None:
        if self.data.ndim != 2:
            msg = f"data must be 2-dimensional, got shape {tuple(self.data.shape)}"
            raise ValueError(msg)
        self.pts_seconds = float(self.pts_seconds)
        self.sample_rate = int(self.sample_rate)

    def __iter__(self) -> Iterator[Any]:
        for field in dataclasses.fields(self):
            yield getattr(self, field.name)

    def __repr__(self) -> str:
        return (
            f"AudioSamples:\n  data (shape): {tuple(self.data.shape)}\n"
            f"  pts_seconds: {self.pts_seconds}\n  duration_seconds: {self.duration_seconds}\n"
            f"  sample_rate: {self.sample_rate}\n"
        )


@dataclasses.dataclass(frozen=True)
class RemoteFile:
    """A file to fetch with ``opener(path)`` on first use (``datasets``' ``xopen`` with the
    example's token), so that building the value reads nothing. Picklable where ``opener``
    is, as ``functools.partial(xopen, mode="rb", download_config=...)`` is.

    Examples
    --------
    >>> RemoteFile("memory://clip.wav", open).path
    'memory://clip.wav'
    """

    path: str
    opener: Callable[[str], Any]

    def read(self) -> bytes:
        with self.opener(self.path) as f:
            data: bytes = f.read()
        return data


class AudioDecoder:
    """A lazily decoded audio example: torchcodec's ``AudioDecoder`` surface over
    :func:`audiodecode.load`.

    Parameters
    ----------
    source : str, os.PathLike, bytes, binary file-like, or RemoteFile
        A local path, the file's bytes, a binary file object (read once, on first use), or a
        :class:`RemoteFile`.
    stream_index : int or None
        ``None``, or the index of the file's first audio stream (the only one audiodecode
        decodes; another index raises ``ValueError`` on first use).
    sample_rate : int > 0 or None
        Resample to this rate (soxr's ``"soxr_hq"``, as ``audiodecode.load`` does);
        ``None`` keeps the file's rate.
    num_channels : {None, 1, 2}
        ``None`` keeps the file's channels; ``1`` averages them (``librosa.to_mono``, before
        resampling); ``2`` repeats a mono file's channel (a file with more than two channels
        raises ``ValueError`` on first use).

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> sf.write("stereo.wav", np.random.default_rng(0).uniform(-0.5, 0.5, (44100, 2)), 44100)
    >>> audio = AudioDecoder("stereo.wav", sample_rate=16000)
    >>> audio["array"].shape, audio["sampling_rate"]
    ((16000,), 16000)
    >>> samples = audio.get_samples_played_in_range(0.25, 0.5)
    >>> tuple(samples.data.shape), samples.pts_seconds, samples.sample_rate
    ((2, 4000), 0.25, 16000)
    """

    def __init__(
        self,
        source: Any,
        *,
        stream_index: int | None = None,
        sample_rate: int | None = None,
        num_channels: int | None = None,
    ) -> None:
        if sample_rate is not None and (
            isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer))
            or sample_rate <= 0
        ):
            msg = f"sample_rate={sample_rate!r} must be a positive integer or None"
            raise ValueError(msg)
        if num_channels not in (None, 1, 2):
            msg = f"num_channels={num_channels!r}: expected None, 1 or 2"
            raise ValueError(msg)
        path: str | None = None
        if isinstance(source, (str, os.PathLike)):
            path = os.fspath(source)
            if not isinstance(path, str):
                path = os.fsdecode(path)
            source = path
        elif isinstance(source, (bytearray, memoryview)):
            source = bytes(source)
        elif not isinstance(source, (bytes, RemoteFile)) and not hasattr(source, "read"):
            msg = (f"source must be a path, bytes or a binary file object, "
                   f"not {type(source).__name__}")
            raise TypeError(msg)
        self._source: Any = source
        self._stream_index = stream_index
        self._sample_rate = None if sample_rate is None else int(sample_rate)
        self._num_channels = num_channels
        self._path = path
        self._metadata: AudioStreamMetadata | None = None
        #: ``{"path": ..., "bytes": ...}`` as stored in the dataset; set by the patched
        #: ``Audio.decode_example`` and returned by ``Audio.encode_example`` (datasets' name).
        self._hf_encoded: dict[str, Any] | None = None

    # ---------------------------------------------------------------- reading the source

    def _payload(self) -> str | bytes:
        """A path or the file's bytes; a file object or remote file is read once, here."""
        source = self._source
        if isinstance(source, RemoteFile):
            source = self._source = source.read()
        elif not isinstance(source, (str, bytes)):
            data = source.read()
            if not isinstance(data, bytes):
                msg = f"{type(source).__name__}.read() returned {type(data).__name__}, not bytes"
                raise TypeError(msg)
            source = self._source = data
        return source  # type: ignore[no-any-return]

    @property
    def metadata(self) -> AudioStreamMetadata:
        """The stream's :class:`AudioStreamMetadata`, read (once) from the header."""
        if self._metadata is None:
            payload = self._payload()
            found = info(payload)
            duration = found.duration
            self._metadata = AudioStreamMetadata(
                duration_seconds_from_header=duration,
                begin_stream_seconds_from_header=0.0,
                bit_rate=None,
                codec=found.codec,
                stream_index=_first_audio_stream(payload) if found.backend == "pyav" else 0,
                duration_seconds=duration,
                begin_stream_seconds=0.0,
                sample_rate=int(found.sample_rate),
                num_channels=found.channels,
                sample_format=None,
                path=self._path,
            )
        return self._metadata

    @property
    def stream_index(self) -> int:
        """Index of the audio stream decoded (the file's first audio stream)."""
        return self.metadata.stream_index

    # ---------------------------------------------------------------- decoding

    def _load(self, *, mono: bool) -> np.ndarray:
        if self._stream_index is not None and self._stream_index != self.stream_index:
            msg = (f"{self._name()}: stream_index={self._stream_index}, but audiodecode decodes "
                   f"only the first audio stream, index {self.stream_index}")
            raise ValueError(msg)
        payload = self._payload()
        try:
            y, _ = load(payload, sr=self._sample_rate, mono=mono, dtype=np.float32)
        except AudioDecodeError as exc:
            if isinstance(payload, str) or self._path is None:
                raise
            # bytes from a dataset: name the example's path rather than "<bytes>"
            raise type(exc)(self._path, exc.reason, exc.backend) from exc
        return y

    def _name(self) -> str:
        return self._path or "<bytes>"

    def _rate(self) -> int:
        return self._sample_rate if self._sample_rate is not None else self.metadata.sample_rate

    def __getitem__(self, key: str) -> Any:
        """``value["array"]`` (mono float32, as ``audiodecode.load(..., mono=True)``) and
        ``value["sampling_rate"]``, as ``datasets``' own ``AudioDecoder`` answers them."""
        if key == "array":
            return self._load(mono=True)
        if key == "sampling_rate":
            return self._rate()
        msg = (f"{key!r}: a decoded audio value has the keys 'array' and 'sampling_rate' "
               "(and .metadata.path, .get_all_samples())")
        raise TypeError(msg)

    def get_all_samples(self) -> AudioSamples:
        """Every sample, as ``(channels, n)`` float32 (see the class docstring).

        Examples
        --------
        >>> import numpy as np, soundfile as sf
        >>> sf.write("mono.flac", np.zeros(22050, dtype="float32"), 22050)
        >>> samples = AudioDecoder("mono.flac", num_channels=2).get_all_samples()
        >>> tuple(samples.data.shape), samples.duration_seconds
        ((2, 22050), 1.0)
        """
        return self.get_samples_played_in_range()

    def get_samples_played_in_range(
        self, start_seconds: float = 0.0, stop_seconds: float | None = None
    ) -> AudioSamples:
        """The samples played in ``[start_seconds, stop_seconds)``.

        A slice of :meth:`get_all_samples`'s data, cut where torchcodec cuts
        (``floor(seconds * sample_rate + 0.5)``): the whole file is decoded, then sliced, so
        that a range is exactly part of the whole (resampling a range alone would differ at
        its edges).

        Examples
        --------
        >>> import numpy as np, soundfile as sf
        >>> sf.write("tone.wav", np.sin(np.arange(16000) / 9).astype("float32"), 16000)
        >>> samples = AudioDecoder("tone.wav").get_samples_played_in_range(0.5)
        >>> tuple(samples.data.shape), samples.pts_seconds
        ((1, 8000), 0.5)
        """
        if stop_seconds is not None and not start_seconds <= stop_seconds:
            msg = (f"Invalid start seconds: {start_seconds}. It must be less than or equal to "
                   f"stop seconds ({stop_seconds}).")
            raise ValueError(msg)
        y = self._load(mono=self._num_channels == 1)
        data = y.reshape(1, -1) if y.ndim == 1 else y
        if self._num_channels == 2 and data.shape[0] != 2:
            if data.shape[0] != 1:
                msg = (f"{self._name()}: num_channels=2 of a {data.shape[0]}-channel file; "
                       "audiodecode does not remix surround to stereo (use None or 1)")
                raise ValueError(msg)
            data = np.repeat(data, 2, axis=0)
        rate = self._rate()

        def offset_of(seconds: float) -> int:
            # torchcodec's rounding: ties go up, whatever the first sample's time
            return math.floor(seconds * rate + 0.5)

        begin = offset_of(start_seconds) if start_seconds > 0 else 0
        end = data.shape[1] if stop_seconds is None else min(data.shape[1], offset_of(stop_seconds))
        data = data[:, begin:max(begin, end)]
        return AudioSamples(
            data=_as_tensor(data),
            pts_seconds=max(start_seconds, 0.0),
            duration_seconds=data.shape[1] / rate,
            sample_rate=rate,
        )

    def __repr__(self) -> str:
        what = self._path if self._path else type(self._source).__name__
        options = "".join(
            f", {name}={value}" for name, value in (
                ("sample_rate", self._sample_rate), ("num_channels", self._num_channels),
                ("stream_index", self._stream_index)) if value is not None
        )
        return f"<audiodecode AudioDecoder {what!s}{options}>"


def _first_audio_stream(payload: str | bytes) -> int:
    """The container index of the audio stream PyAV reads (what ``stream_index`` names)."""
    import av

    with av.open(io.BytesIO(payload) if isinstance(payload, bytes) else payload) as container:
        index: int = container.streams.audio[0].index
    return index


_TORCH: list[Any] = []  # [torch module or None], filled on first use


def _as_tensor(data: np.ndarray) -> Any:
    """``torch.from_numpy(data)`` where torch imports (as torchcodec's samples are), else the
    array itself."""
    if not _TORCH:
        try:
            import torch
        except (ImportError, OSError):  # not installed, or its native libraries do not load
            _TORCH.append(None)
        else:
            _TORCH.append(torch)
    torch_module = _TORCH[0]
    if torch_module is None:
        return data
    return torch_module.from_numpy(np.ascontiguousarray(data))
