"""Coverage-guided fuzzing of the sniffer, the WAV header parser and ``load``, with atheris.

    PYTHONPATH=src python benchmarks/fuzz_atheris.py -runs=100000 -artifact_prefix=/tmp/ SEEDS/

libFuzzer mutates the files in ``SEEDS/`` (any audio files; ``hostile_input.py`` passes the
intact files of its corpus), guided by the branches our Python code
takes (atheris instruments ``audiodecode``; libsndfile and FFmpeg are not instrumented, so
their code is reached, not steered). Each input goes to one of three targets, chosen by its
first byte: ``_source.sniff``, the WAV reader's header parser, and ``audiodecode.load`` on the
bytes. Only an array or an ``AudioDecodeError`` (the WAV parser: also its internal ``Decline``)
is an answer; anything else is a finding, and libFuzzer writes the input to a ``crash-*``
file. A segmentation fault is one too. (The test suite has its own bounded run,
``tests/_fuzz_atheris.py``: tests and benchmarks do not run each other's files.)
"""

from __future__ import annotations

import io
import sys

import atheris

with atheris.instrument_imports(include=["audiodecode"]):
    import audiodecode
    from audiodecode._source import Source, sniff
    from audiodecode.backends._base import Decline
    from audiodecode.backends.wav import WavReader

_NAMES = {"wav", "w64", "aiff", "flac", "ogg", "caf", "au", "mp4", "matroska", "asf", "amr",
          "ac3", "mp3", "aac", "midi", "unknown"}


def one_input(data: bytes) -> None:
    if not data:
        return
    target, body = data[0] % 3, data[1:]
    if target == 0:
        if sniff(body) not in _NAMES:
            raise AssertionError(sniff(body))
    elif target == 1:
        source = Source("<fuzz>", fileobj=io.BytesIO(b"RIFF" + body), owned=True)
        try:
            reader = WavReader(source)
        except (Decline, audiodecode.AudioDecodeError):
            return
        if reader.frames * reader._block_align > len(body):
            msg = "more frames than bytes"
            raise AssertionError(msg)
        reader.close()
    else:
        try:
            y, _ = audiodecode.load(body, sr=None, mono=False)
        except audiodecode.AudioDecodeError:
            return
        if y.dtype != "float32" or y.ndim not in (1, 2):
            raise AssertionError(y.shape)


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
