"""PyTorch integration: a ``Dataset`` of audio files and a collate function that pads them::

    from torch.utils.data import DataLoader
    from audiodecode.torch import AudioDataset, collate_audio

    dataset = AudioDataset(paths, labels, sr=16000, duration=2.0, random_crop=True)
    loader = DataLoader(dataset, batch_size=32, shuffle=True, num_workers=4,
                        collate_fn=collate_audio)
    for audio, lengths, labels in loader:   # audio: (32, max_len) float32, zero-padded
        ...

Every item is one :func:`audiodecode.load` call, so it is the array ``librosa.load`` returns
for the same arguments. A random crop decodes only its own segment: the file's length comes
from :func:`audiodecode.info` (its header) and the crop from ``load(offset=..., duration=...)``,
which seeks.

Requires PyTorch (``pip install 'audiodecode[torch]'``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

try:
    import torch
    from torch.utils.data import Dataset, default_collate
except ImportError as exc:  # pragma: no cover - exercised where torch is absent
    msg = "audiodecode.torch needs PyTorch: pip install 'audiodecode[torch]'"
    raise ImportError(msg) from exc

from ._api import info
from ._load import load_with_options
from ._options import LoadOptions

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from numpy.typing import DTypeLike

    from ._source import AudioSource

__all__ = ["AudioDataset", "collate_audio"]


class AudioDataset(Dataset):  # type: ignore[type-arg]
    """A map-style dataset over audio files: item ``i`` is ``paths[i]`` decoded (and labelled).

    Works with ``torch.utils.data.DataLoader`` and any ``num_workers``: the dataset holds only
    paths and options, so it pickles cheaply into worker processes, and every decode happens
    in the worker that asked for the item.

    Parameters
    ----------
    paths : sequence of str, os.PathLike or URL
        The files. URLs with a scheme (``s3://``, ``gs://``, ``https://``...) are read through
        fsspec, in each worker.
    labels : sequence, optional
        One label per path, returned next to the audio (any type ``default_collate`` takes).
    sr : number > 0 or None
        Target sampling rate; ``None`` keeps each file's own rate.
    mono : bool
        Average the channels into one.
    duration : float or None
        Seconds per item. ``None`` loads whole files (from ``offset``). Files shorter than
        ``duration`` come back whole and shorter: :func:`collate_audio` pads them.
    random_crop : bool
        With ``duration``: take a random ``duration``-second segment of each file instead of
        the one starting at ``offset``. The start is drawn with ``torch.randint`` from torch's
        global generator, which ``DataLoader`` seeds in each worker from its base seed, so
        ``torch.manual_seed`` (or the ``DataLoader``'s ``generator``) makes runs repeatable.
        Starts fall on whole samples of the file's native rate, so a crop at the native rate is
        exactly a slice of the whole decoded file.
    offset : float
        Start, in seconds, when not cropping at random (negative counts from the end).
    dtype, res_type, backend, max_duration
        As in :func:`audiodecode.load`.
    transform : callable ``(waveform, sr) -> object``, optional
        Applied to each item's tensor in the worker (a feature extractor, an augmentation);
        its result replaces the waveform.

    Examples
    --------
    >>> import numpy as np, soundfile as sf
    >>> for i, seconds in enumerate((1.0, 0.5)):
    ...     sf.write(f"utt{i}.wav", np.random.default_rng(i).uniform(-.5, .5, int(seconds * 48000)),
    ...              48000)
    >>> dataset = AudioDataset(["utt0.wav", "utt1.wav"], labels=[3, 7], sr=16000)
    >>> waveform, label = dataset[0]
    >>> waveform.shape, waveform.dtype, label
    (torch.Size([16000]), torch.float32, 3)
    >>> audio, lengths, labels = collate_audio([dataset[0], dataset[1]])
    >>> audio.shape, lengths.tolist(), labels.tolist()
    (torch.Size([2, 16000]), [16000, 8000], [3, 7])
    """

    def __init__(
        self,
        paths: Sequence[AudioSource],
        labels: Sequence[Any] | None = None,
        *,
        sr: float | None = 16000,
        mono: bool = True,
        duration: float | None = None,
        random_crop: bool = False,
        offset: float = 0.0,
        dtype: DTypeLike = np.float32,
        res_type: str = "soxr_hq",
        backend: str | None = None,
        max_duration: float | None = None,
        transform: Callable[[torch.Tensor, float], Any] | None = None,
    ) -> None:
        self.paths = list(paths)
        if labels is not None:
            labels = list(labels)
            if len(labels) != len(self.paths):
                msg = f"{len(labels)} labels for {len(self.paths)} paths"
                raise ValueError(msg)
        if duration is not None and not (math.isfinite(duration) and duration > 0):
            msg = f"duration={duration!r} must be a positive number of seconds or None"
            raise ValueError(msg)
        if random_crop and duration is None:
            msg = "random_crop=True needs a duration (the length of the crop, in seconds)"
            raise ValueError(msg)
        if random_crop and offset != 0:
            msg = "random_crop=True chooses the offset itself; leave offset=0"
            raise ValueError(msg)
        if transform is not None and not callable(transform):
            msg = f"transform={transform!r} is not callable"
            raise TypeError(msg)
        self.labels = labels
        #: ``load``'s options for every item (``offset`` is drawn per item under random_crop).
        self.options = LoadOptions(sr, mono, offset, duration, dtype, res_type, backend,
                                   max_duration).checked()
        self.random_crop = random_crop
        self.transform = transform

    @property
    def sr(self) -> float | None:
        """The target rate of every item (``None``: each file's own)."""
        return self.options.sr

    @property
    def mono(self) -> bool:
        """Whether every item is downmixed to one channel."""
        return self.options.mono

    @property
    def offset(self) -> float:
        """Where each item starts, in seconds, when not cropping at random."""
        return self.options.offset

    @property
    def duration(self) -> float | None:
        """Seconds per item (``None``: whole files)."""
        return self.options.duration

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> Any:
        path = self.paths[index]
        y, sr = load_with_options(path, self._options_for(path))
        # load returns a fresh, writable array: torch shares its memory instead of copying.
        item: Any = torch.from_numpy(y)
        if self.transform is not None:
            item = self.transform(item, sr)
        if self.labels is None:
            return item
        return item, self.labels[index]

    def _options_for(self, path: AudioSource) -> LoadOptions:
        """The options for this item: ``self.options``, with a random offset under
        ``random_crop``."""
        options = self.options
        if not self.random_crop:
            return options
        assert options.duration is not None
        header = info(path, backend=options.backend)
        crop_frames = int(options.duration * header.sample_rate)  # load's own arithmetic
        last_start = header.frames - crop_frames
        if last_start <= 0:
            return options  # shorter than the crop: the whole file
        start = int(torch.randint(0, last_start + 1, (1,)).item())
        return options._replace(offset=_seconds_at_frame(start, header.sample_rate))

    def __repr__(self) -> str:
        crop = ", random_crop=True" if self.random_crop else ""
        return (
            f"{type(self).__name__}({len(self)} files, sr={self.sr}, mono={self.mono}, "
            f"duration={self.duration}{crop})"
        )


def _seconds_at_frame(frame: int, sample_rate: int) -> float:
    """The smallest offset in seconds that ``load`` turns back into exactly ``frame``.

    ``load`` computes ``int(offset * sample_rate)``; ``frame / sample_rate * sample_rate`` can
    land a hair below ``frame`` in floating point and truncate to ``frame - 1``.
    """
    seconds = frame / sample_rate
    while int(seconds * sample_rate) < frame:
        seconds = math.nextafter(seconds, math.inf)
    return seconds


def collate_audio(
    batch: Sequence[Any],
    *,
    length: int | None = None,
    pad_value: float = 0.0,
) -> tuple[torch.Tensor, ...]:
    """Stack variable-length waveforms into one zero-padded tensor, and say how long each was.

    Use it as ``DataLoader(..., collate_fn=collate_audio)``; for options, pass
    ``functools.partial(collate_audio, length=32000)`` (which pickles into workers).

    Parameters
    ----------
    batch : sequence of tensors, or of ``(tensor, label, ...)`` tuples
        What :class:`AudioDataset` items look like: waveforms of shape ``(n,)`` or
        ``(channels, n)``, time last, alone or with labels.
    length : int > 0 or None
        Samples per item in the output. ``None``: the longest item's length (pad only).
        Otherwise every item is padded or cropped (from its start) to exactly ``length``.
    pad_value : float
        What the padding holds.

    Returns
    -------
    audio : torch.Tensor [shape=(batch, n) or (batch, channels, n)]
    lengths : torch.LongTensor [shape=(batch,)]
        How many samples of each row are real (not padding).
    *rest : torch.Tensor or whatever ``default_collate`` makes of the other fields
        The labels (and any further fields), collated by ``torch.utils.data.default_collate``.

    Examples
    --------
    >>> import torch
    >>> audio, lengths = collate_audio([torch.ones(3), torch.ones(5)])
    >>> audio
    tensor([[1., 1., 1., 0., 0.],
            [1., 1., 1., 1., 1.]])
    >>> lengths
    tensor([3, 5])
    >>> audio, lengths, labels = collate_audio([(torch.ones(6), 0), (torch.ones(2), 1)], length=4)
    >>> audio.shape, lengths.tolist(), labels.tolist()
    (torch.Size([2, 4]), [4, 2], [0, 1])
    """
    if len(batch) == 0:
        msg = "collate_audio got an empty batch"
        raise ValueError(msg)
    if length is not None and (
        isinstance(length, bool) or not isinstance(length, int) or length < 1
    ):
        msg = f"length={length!r} must be a positive integer or None"
        raise ValueError(msg)
    has_fields = isinstance(batch[0], (tuple, list))
    waveforms = [item[0] if has_fields else item for item in batch]
    for waveform in waveforms:
        if not isinstance(waveform, torch.Tensor) or waveform.dim() not in (1, 2):
            msg = (
                "collate_audio expects waveform tensors of shape (n,) or (channels, n), got "
                f"{type(waveform).__name__} {tuple(getattr(waveform, 'shape', ()))}"
            )
            raise TypeError(msg)
    leading = waveforms[0].shape[:-1]
    if any(w.shape[:-1] != leading for w in waveforms):
        msg = f"items differ in channels: {sorted({tuple(w.shape[:-1]) for w in waveforms})}"
        raise ValueError(msg)
    true_lengths = torch.tensor([w.shape[-1] for w in waveforms], dtype=torch.long)
    out_length = int(true_lengths.max()) if length is None else length
    audio = waveforms[0].new_full((len(waveforms), *leading, out_length), pad_value)
    for row, waveform in zip(audio, waveforms, strict=True):
        kept = min(waveform.shape[-1], out_length)
        row[..., :kept] = waveform[..., :kept]
    lengths = true_lengths.clamp(max=out_length)
    if not has_fields:
        return audio, lengths
    rest = default_collate([tuple(item[1:]) for item in batch])
    return (audio, lengths, *rest)
