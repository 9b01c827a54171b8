"""libsndfile through soundfile: the decoder librosa itself uses.

For every format libsndfile reads (WAV variants, AIFF, FLAC, Ogg Vorbis/Opus, MP3, CAF, ...)
this backend produces librosa's samples by construction. Two details matter for identity:

* ``SoundFile.read`` clips a request to ``frames - tell()``; libsndfile's decoders can
  produce a few frames more than they report (MP3), so reads here are clipped the same way.
* Seeking changes what libsndfile's MP3 decoder returns, even to the frame it is already at:
  libmpg123 restarts without its bit reservoir (printing ``part2_3_length ... too large``)
  and its synthesis state differs, so the samples after the seek differ in the last bits.
  librosa reads a span with one ``SoundFile.read``, i.e. one ``sf_readf_*`` call followed by
  one seek to where it stopped. ``SoundFile.buffer_read_into`` also seeks after *every* call,
  so reading a whole track block by block through soundfile gives other samples than
  librosa's one read. This reader therefore calls ``sf_readf_float``/``sf_readf_double``
  itself and never seeks between blocks: libsndfile's decoders are sequential, so any block
  size gives exactly the samples of one read (``tests/test_backend_sndfile.py`` checks it).
  The pipeline seeks exactly when librosa does; this reader never seeks on its own.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import soundfile as sf

from .._source import sniff
from ..errors import CorruptAudioError
from ._base import Decline, Length, Reader
from ._libsndfile import Handle, LibsndfileError, of_soundfile, open_descriptor

if TYPE_CHECKING:
    import numpy as np

    from .._source import Source

# libsndfile's major format -> our container name
_CONTAINERS = {
    "WAV": "wav", "WAVEX": "wav", "RF64": "wav", "W64": "w64", "AIFF": "aiff", "FLAC": "flac",
    "OGG": "ogg", "MP3": "mp3", "CAF": "caf", "AU": "au",
}
_CODECS = {
    "PCM_U8": ("pcm_u8", 8), "PCM_S8": ("pcm_s8", 8), "PCM_16": ("pcm_s16", 16),
    "PCM_24": ("pcm_s24", 24), "PCM_32": ("pcm_s32", 32), "FLOAT": ("pcm_f32", 32),
    "DOUBLE": ("pcm_f64", 64), "VORBIS": ("vorbis", None), "OPUS": ("opus", None),
    "MPEG_LAYER_III": ("mp3", None), "MPEG_LAYER_II": ("mp2", None),
    "MPEG_LAYER_I": ("mp1", None), "ALAC_16": ("alac", 16), "ALAC_24": ("alac", 24),
    "ALAC_32": ("alac", 32), "ULAW": ("pcm_mulaw", 8), "ALAW": ("pcm_alaw", 8),
}

# libsndfile reports SF_COUNT_MAX (2**63 - 1) frames when a stream does not say its length.
_UNKNOWN_LENGTH = 1 << 62


class SndfileReader(Reader):
    """Read through libsndfile; accepts a caller's open ``soundfile.SoundFile`` too.

    ``libsndfile_format`` and ``libsndfile_subtype`` are libsndfile's own names for the
    container and the codec (``"WAV"``, ``"PCM_16"``), as ``SoundFile.format``/``.subtype``.
    """

    name = "sndfile"

    def __init__(self, source: Source, *, decoding: bool = True) -> None:
        super().__init__(source, decoding=decoding)
        if source.soundfile is not None:
            if source.soundfile.closed:
                msg = "the soundfile.SoundFile passed in is closed"
                raise ValueError(msg)
            handle = of_soundfile(source.soundfile)
        else:
            if sniff(source.head()) == "mp3" and _cut_short_of_xing_bytes(source):
                self.length = Length.DOUBTED
            try:
                handle = self._open(source)
            except (LibsndfileError, sf.LibsndfileError, RuntimeError, TypeError,
                    ValueError) as exc:
                # libsndfile could not even parse the header: the data may still be something
                # FFmpeg reads (a codec libsndfile lacks, or bytes that only looked like MP3).
                reason = exc.error_string if isinstance(exc, sf.LibsndfileError) else str(exc)
                raise Decline(reason) from exc
        self._handle = handle
        self.sample_rate = handle.sample_rate
        self.channels = handle.channels
        self.frames = handle.frames
        if self.frames >= _UNKNOWN_LENGTH:
            # libsndfile's "unknown" (a FLAC stream whose header has no sample count): it can
            # then neither tell nor seek, and soundfile.read tries to allocate 2**63 frames.
            # FFmpeg decodes such streams (to the same integers, for lossless ones).
            if source.soundfile is None:
                handle.close()
            msg = "libsndfile does not know the length of this stream"
            raise Decline(msg)
        self.libsndfile_format = handle.major_format
        self.libsndfile_subtype = handle.subtype
        self.format = _CONTAINERS.get(self.libsndfile_format, self.libsndfile_format.lower())
        self.codec, self.bits_per_sample = _CODECS.get(
            self.libsndfile_subtype, (self.libsndfile_subtype.lower(), None))
        self._position = handle.tell()

    @staticmethod
    def _open(source: Source) -> Handle:
        if source.fd is not None:
            # By the descriptor the Source opened, not by name: libsndfile reads the very
            # file that was sniffed, and a name that is not UTF-8 (which soundfile cannot
            # encode) does not send the file to another decoder. libsndfile takes the
            # descriptor's position as the start of the file.
            os.lseek(source.fd, 0, os.SEEK_SET)
            return open_descriptor(source.fd)
        assert source.fileobj is not None
        source.fileobj.seek(0)
        # soundfile's virtual io turns the file object into libsndfile's callbacks.
        return of_soundfile(sf.SoundFile(_SeekGuard(source.fileobj), closefd=False))

    def seek(self, frame: int) -> None:
        try:
            self._position = self._handle.seek(frame)
        except LibsndfileError as exc:
            raise CorruptAudioError(self.source.name, exc.reason, self.name) from exc

    def tell(self) -> int:
        return self._position

    def readinto(self, out: np.ndarray) -> int:
        # Clip as SoundFile.read does: libsndfile's MP3 decoder can run past ``frames``.
        n = min(len(out), self.frames - self._position)
        if n <= 0:
            return 0
        handle = self._handle
        if handle.closed:
            msg = "the soundfile.SoundFile was closed while it was being read"
            raise ValueError(msg)
        try:
            got = handle.read(out, n)  # ``out`` is C-contiguous (the Reader contract)
        except LibsndfileError as exc:
            # What SoundFile.read raises at this point: librosa fails on the same file.
            raise CorruptAudioError(self.source.name, exc.reason, self.name) from exc
        self._position += got
        if self.seek_after_read:
            self.seek(self._position)
        return got

    def close(self) -> None:
        # librosa.load closes a caller's SoundFile (its ``with`` block) but librosa.stream
        # does not; the Source says which rule applies.
        if (self.source.soundfile is None or self.source.owned) and not self._handle.closed:
            self._handle.close()


class _SeekGuard:
    """A caller's file object as libsndfile sees it: a seek that fails leaves it in place.

    soundfile hands libsndfile's seeks to ``file.seek`` from a cffi callback. A damaged header
    can make libsndfile seek before the start; ``BytesIO.seek(-1)`` then raises in the callback,
    where the exception can only be printed ("Exception ignored from cffi callback") and the
    seek reports position 0. Here the seek fails as C's ``fseek`` does: the position does not
    move, and libsndfile, finding the data it then reads wrong, reports the file as damaged.
    """

    def __init__(self, file: Any) -> None:
        self._file = file
        if hasattr(file, "readinto"):
            self.readinto = file.readinto

    def read(self, size: int = -1) -> bytes:
        data: bytes = self._file.read(size)
        return data

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        try:
            position: int = self._file.seek(offset, whence)
        except (ValueError, OSError):
            position = self._file.tell()
        return position

    def tell(self) -> int:
        position: int = self._file.tell()
        return position


def _cut_short_of_xing_bytes(source: Source) -> bool:
    """Whether an MP3 holds fewer bytes than its Xing/Info header says (a cut download).

    libmpg123 makes the same comparison ("Xing stream size off by more than 1%"); libsndfile
    still reports the header's frame count, which is then more than the file decodes to.
    """
    head = source.head()
    start = 0
    if head[:3] == b"ID3" and len(head) >= 10:
        start = 10 + sum((b & 0x7F) << (7 * (3 - i)) for i, b in enumerate(head[6:10]))
        if head[5] & 0x10:  # a footer follows the tag
            start += 10
    first_frame = source.read_at(start, 256)
    tag = max(first_frame.find(b"Xing"), first_frame.find(b"Info"))
    if len(first_frame) < 4 or first_frame[0] != 0xFF or tag < 0:
        return False
    flags = int.from_bytes(first_frame[tag + 4 : tag + 8], "big")
    if not flags & 0x2:  # no byte count
        return False
    at = tag + 8 + (4 if flags & 0x1 else 0)
    declared = int.from_bytes(first_frame[at : at + 4], "big")
    size = source.size()
    return declared > 0 and size is not None and size - start < 0.99 * declared
