"""The rollback switch, read once at import by every module that honours it.

``AUDIODECODE_BACKEND=librosa`` makes :func:`audiodecode.load` and the patched librosa
functions call librosa's own, so a deployment goes back to librosa without a code change.
A deployment sets it before the program starts; reading it once costs nothing per call.
"""

from __future__ import annotations

import os

#: The environment variable.
BACKEND_ENV = "AUDIODECODE_BACKEND"

#: Whether it asks for librosa.
ROLLED_BACK: bool = os.environ.get(BACKEND_ENV, "").strip().lower() == "librosa"
