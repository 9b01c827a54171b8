"""pytest plugin for ``benchmarks/torchaudio_own_tests.py``: torchaudio's tests, through audiodecode.

Loaded with ``-p _torchaudio_own_tests_plugin``. With ``AUDIODECODE_TA_RUN=audiodecode`` it
calls ``audiodecode.compat.patch_torchaudio()`` before any test module is imported, then makes
``torchaudio._backend.utils.get_load_func``/``get_info_func``/``get_save_func`` return the
patched ``torchaudio.load``/``info``/``save``: torchaudio's dispatcher tests take their
functions from those getters at import (``partial(get_load_func(), backend="ffmpeg")``), so
without this they would test torchaudio's own objects whatever ``torchaudio.load`` is. With
``AUDIODECODE_TA_RUN=torchaudio`` (the baseline) it changes nothing.
"""

from __future__ import annotations

import os
from typing import Any

_RUN = os.environ.get("AUDIODECODE_TA_RUN", "torchaudio")


def pytest_configure(config: Any) -> None:
    if _RUN != "audiodecode":
        return
    import torchaudio
    from torchaudio._backend import utils

    import audiodecode.compat

    audiodecode.compat.patch_torchaudio()
    patched = {"load": torchaudio.load, "info": torchaudio.info, "save": torchaudio.save}
    if any(fn.__module__ != "audiodecode.torchaudio" for fn in patched.values()):
        msg = f"patch_torchaudio() did not replace torchaudio's functions: {patched}"
        raise RuntimeError(msg)
    utils.get_load_func = lambda: patched["load"]
    utils.get_info_func = lambda: patched["info"]
    utils.get_save_func = lambda: patched["save"]


def pytest_report_header(config: Any) -> str:
    import torchaudio

    import audiodecode

    return (f"run: {_RUN}; torchaudio {torchaudio.__version__}; "
            f"audiodecode from {os.path.dirname(audiodecode.__file__)}")
