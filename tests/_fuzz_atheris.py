"""Coverage-guided fuzzing of the sniffer, the WAV header parser and ``load``, with atheris.

    PYTHONPATH=src python tests/_fuzz_atheris.py -runs=100000 -artifact_prefix=/tmp/ SEEDS/

libFuzzer mutates the files in ``SEEDS/`` (any audio files; ``tests/test_fuzz.py`` writes one
per format of its ``SEED_KINDS``, each behind a first byte that picks
the target), guided by the branches our Python code takes (atheris instruments
``audiodecode``; libsndfile and FFmpeg are not instrumented, so their code is reached, not
steered). The first byte of each input chooses the target of ``tests/_fuzz_targets.py``: the
sniffer, the WAV reader's header parser, or ``load``. A failed check is a finding, and so is
any exception other than the targets' accepted answers, or a segmentation fault: libFuzzer
writes the input to a ``crash-*`` file. ``tests/test_fuzz.py`` runs a bounded number of inputs.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["audiodecode"]):
    # Instrumented here, before the targets import them.
    import audiodecode  # noqa: F401
    import audiodecode._source  # noqa: F401
    import audiodecode.backends.wav  # noqa: F401

from _fuzz_targets import check_load, check_sniff, check_wav_header  # noqa: E402


def one_input(data: bytes) -> None:
    if not data:
        return
    target, body = data[0] % 3, data[1:]
    if target == 0:
        check_sniff(body)
    elif target == 1:
        check_wav_header(b"RIFF" + body)
    else:
        check_load(body)


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
