"""libsndfile's C functions, through the cffi bindings soundfile itself calls them with.

The sndfile reader makes the calls ``soundfile.read`` makes (``sf_open_fd``, ``sf_readf_*``,
``sf_seek``, ``sf_close``), so its samples are librosa's; it calls them itself because
``SoundFile`` adds work it does not need: about ten microseconds of Python per file opened
(checks of the mode, the format and the name, seven attribute writes), and a ``read`` that
seeks to where it stopped after every call, which changes what libmpg123 decodes next.

These bindings are soundfile's private ``_snd`` (the cffi library) and ``_ffi``, the one place
audiodecode reaches into soundfile's internals; everything that does is in this module, and
``tests/test_backend_sndfile.py::test_soundfile_still_has_the_bindings_we_call`` fails with a
clear message when a soundfile release changes them.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import soundfile as sf
from soundfile import _ffi, _snd  # noqa: PLC2701  # see the module docstring

if TYPE_CHECKING:
    import numpy as np

# What this module uses of soundfile's private bindings (checked by the test named above).
USED_FUNCTIONS = ("sf_open_fd", "sf_close", "sf_seek", "sf_command", "sf_error",
                  "sf_error_number", "sf_readf_float", "sf_readf_double", "sf_readf_short",
                  "sf_readf_int")
USED_CONSTANTS = ("SFM_READ", "SFC_SET_CLIPPING", "SF_TRUE", "SF_FORMAT_TYPEMASK",
                  "SF_FORMAT_SUBMASK")
# ... and of soundfile itself: its name tables, and an open SoundFile's handle and SF_INFO.
USED_MODULE_ATTRIBUTES = ("_formats", "_subtypes", "_endians")
USED_SOUNDFILE_ATTRIBUTES = ("_file", "_info")

# dtype character -> (libsndfile's reading function, the C pointer type it takes). The integer
# reads serve ``audiodecode.torchaudio``'s ``normalize=False``, as ``SoundFile.read`` does.
_READ_FUNCTIONS = {
    "f": (_snd.sf_readf_float, "float[]"),
    "d": (_snd.sf_readf_double, "double[]"),
    "h": (_snd.sf_readf_short, "short[]"),
    "i": (_snd.sf_readf_int, "int[]"),
}
_SEEK_SET, _SEEK_CUR = 0, 1


class LibsndfileError(Exception):
    """libsndfile refused a call; ``reason`` is its own message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Handle:
    """An open ``SNDFILE*`` and what libsndfile said of it when it was opened.

    Made by :func:`open_descriptor`, or by :func:`of_soundfile` from an open
    ``soundfile.SoundFile`` (a caller's, or one made on a file object, whose callbacks must
    outlive the handle: it is closed through it).
    """

    __slots__ = ("_soundfile", "channels", "format", "frames", "pointer", "sample_rate",
                 "seekable")

    def __init__(self, pointer: Any, info: Any, soundfile: sf.SoundFile | None = None) -> None:
        self.pointer = pointer
        self._soundfile = soundfile
        self.sample_rate: int = info.samplerate
        self.channels: int = info.channels
        self.frames: int = info.frames
        self.format: int = info.format
        self.seekable: bool = info.seekable == _snd.SF_TRUE

    @property
    def closed(self) -> bool:
        if self._soundfile is not None:
            return bool(self._soundfile.closed)
        return self.pointer is None

    @property
    def major_format(self) -> str:
        """libsndfile's container name, as ``SoundFile.format`` gives it: ``"WAV"``..."""
        return _format_names().get(self.format & _snd.SF_FORMAT_TYPEMASK, "n/a")

    @property
    def subtype(self) -> str:
        """libsndfile's codec name, as ``SoundFile.subtype`` gives it: ``"PCM_16"``..."""
        return _format_names().get(self.format & _snd.SF_FORMAT_SUBMASK, "n/a")

    def read(self, out: np.ndarray, frames: int) -> int:
        """Decode ``frames`` frames into the C-contiguous ``out``; the frames read.

        cffi releases the GIL for the call. Raises :class:`LibsndfileError` with libsndfile's
        message where ``SoundFile.read`` raises.
        """
        function, array_type = _READ_FUNCTIONS[out.dtype.char]
        got: int = function(self.pointer, _ffi.from_buffer(array_type, out), frames)
        self._check()
        return got

    def seek(self, frame: int) -> int:
        """Seek to ``frame``; the new position. Raises :class:`LibsndfileError` as
        ``SoundFile.seek`` does."""
        position: int = _snd.sf_seek(self.pointer, frame, _SEEK_SET)
        self._check()
        return position

    def tell(self) -> int:
        position: int = _snd.sf_seek(self.pointer, 0, _SEEK_CUR) if self.seekable else 0
        return position

    def close(self) -> None:
        if self._soundfile is not None:
            self._soundfile.close()
        elif self.pointer is not None:
            _snd.sf_close(self.pointer)
        self.pointer = None

    def _check(self) -> None:
        error = _snd.sf_error(self.pointer)
        if error:
            raise LibsndfileError(_error_string(error))


def open_descriptor(fd: int) -> Handle:
    """Open the file at ``fd`` for reading, as ``soundfile.SoundFile(fd, closefd=False)`` does.

    libsndfile takes the descriptor's current position as the start of the file. Raises
    :class:`LibsndfileError` with libsndfile's reason when it cannot parse the file.
    """
    info = _ffi.new("SF_INFO*")
    pointer = _snd.sf_open_fd(fd, _snd.SFM_READ, info, False)
    if pointer == _ffi.NULL:
        # The reason is kept in libsndfile's one global error slot, which another thread may
        # overwrite; soundfile holds a lock around the pair, so open again through it.
        try:
            with sf.SoundFile(fd, closefd=False):
                pass
        except sf.LibsndfileError as exc:
            raise LibsndfileError(exc.error_string) from None
        msg = "libsndfile could not open the file"  # pragma: no cover - SoundFile raised above
        raise LibsndfileError(msg)
    # As SoundFile does: float data read as integers saturates instead of wrapping.
    _snd.sf_command(pointer, _snd.SFC_SET_CLIPPING, _ffi.NULL, _snd.SF_TRUE)
    return Handle(pointer, info)


def of_soundfile(file: sf.SoundFile) -> Handle:
    """The handle of an open ``soundfile.SoundFile``; closing it closes ``file``."""
    return Handle(file._file, file._info, file)  # noqa: SLF001


@functools.cache
def _format_names() -> dict[int, str]:
    """libsndfile's format codes -> soundfile's names, the first name soundfile's own
    lookup (``_format_str``) finds for a code."""
    names: dict[int, str] = {}
    for table in (sf._formats, sf._subtypes, sf._endians):  # noqa: SLF001
        for name, code in table.items():
            names.setdefault(code, name)
    return names


def _error_string(error: int) -> str:
    return str(_ffi.string(_snd.sf_error_number(error)).decode("utf-8", "replace"))
