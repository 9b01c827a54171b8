"""``stream``'s blocks as the librosa patch asks for them under the installed librosa.

``audiodecode.stream`` follows librosa 1.0 whatever is installed; under librosa 0.11 the
patch passes ``librosa_011=True`` to ``_api.stream_blocks``. The parity suites compare
librosa's own ``stream`` with these blocks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import librosa

from audiodecode import _api
from audiodecode._options import LoadOptions

if TYPE_CHECKING:
    import numpy as np

LIBROSA_MAJOR = int(librosa.__version__.split(".")[0])


def stream_as_patched(path: Any, **kwargs: Any) -> list[np.ndarray]:
    """The blocks of ``audiodecode.stream(path, **kwargs)``, read as the patch reads them."""
    shape = _api.BlockShape(kwargs.pop("block_length"), kwargs.pop("frame_length"),
                            kwargs.pop("hop_length"), kwargs.pop("fill_value", None)).checked()
    options = _api.stream_options(LoadOptions(**{"sr": None, **kwargs}))  # stream's default
    return list(_api.stream_blocks(path, options, shape, librosa_011=LIBROSA_MAJOR < 1))
