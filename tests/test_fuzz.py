"""Fuzzing: the sniffer, the WAV header parser and ``load`` on mutated files of every format.

Two engines: Hypothesis (random and structured inputs, shrunk to a minimal failing case) and
atheris (libFuzzer, coverage-guided over our Python code; ``tests/_fuzz_atheris.py``),
run in a subprocess so that a crash it finds fails a test instead of ending the run. Both feed
the same targets (``tests/_fuzz_targets.py``). Both are
bounded to a few seconds here; ``AUDIODECODE_FUZZ_EXAMPLES=N`` runs N examples per test (and
50 N atheris inputs) on demand. Each crash either finds becomes a regression test in
``tests/test_hostile.py``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import _corpus
import pytest
from _fuzz_targets import check_load, check_sniff, check_wav_header
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import audiodecode

EXAMPLES = int(os.environ.get("AUDIODECODE_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
# One seed per container family the decoders parse differently (libsndfile and FFmpeg).
SEED_KINDS = ("wav_pcm16", "flac_16", "ogg_vorbis", "ogg_opus", "mp3", "aiff_pcm16",
              "m4a_aac", "mka_opus", "wma", "ac3")
KINDS = [k for k in SEED_KINDS if _corpus.KINDS[k].available()]


@FUZZ
@given(head=st.binary(max_size=64) | st.sampled_from([b"RIFF", b"OggS", b"fLaC", b"ID3"]).flatmap(
    lambda magic: st.binary(max_size=32).map(lambda rest: magic + rest)))
def test_sniff_names_a_container_for_any_bytes(head):
    check_sniff(head)


_CHUNK_IDS = st.sampled_from([b"fmt ", b"data", b"LIST", b"ds64", b"fact", b"JUNK", b"\x00\x01ab"])


@st.composite
def wav_files(draw):
    riff = draw(st.sampled_from([b"RIFF", b"RF64", b"BW64", b"RIFX"]))
    chunks = []
    for chunk_id in draw(st.lists(_CHUNK_IDS, max_size=5)):
        if chunk_id == b"fmt ":
            fmt = struct.pack("<HHIIHH", draw(st.sampled_from([1, 3, 0xFFFE, 2])),
                              draw(st.integers(0, 70000)) % 65536, draw(st.integers(0, 2**32 - 1)),
                              0, draw(st.integers(0, 65535)), draw(st.sampled_from([0, 8, 16, 24,
                                                                                    32, 64, 7])))
            body = fmt + draw(st.binary(max_size=32))
        else:
            body = draw(st.binary(max_size=64))
        size = draw(st.sampled_from([len(body), 0, 0xFFFFFFFF, draw(st.integers(0, 2**32 - 1))]))
        chunks.append(chunk_id + struct.pack("<I", size) + body)
    return riff + struct.pack("<I", draw(st.integers(0, 2**32 - 1))) + b"WAVE" + b"".join(chunks)


@FUZZ
@given(data=wav_files())
def test_the_wav_header_parser_reads_or_declines(data):
    check_wav_header(data)


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz_seeds")
    return {kind: _corpus.write(folder / f"{kind}{_corpus.KINDS[kind].extension}", kind,
                                seconds=0.5, seed=3).read_bytes() for kind in KINDS}


_MUTATIONS = st.lists(
    st.tuples(st.floats(0, 1), st.sampled_from(["set", "flip", "insert", "delete", "extreme"]),
              st.binary(min_size=1, max_size=16)),
    min_size=1, max_size=4,
)


def _apply(raw: bytes, mutations) -> bytes:
    data = bytearray(raw)
    for where, op, payload in mutations:
        # Squared: most mutations land in the first bytes, where the headers are.
        at = int(where * where * max(len(data) - 1, 0))
        if op == "set":
            data[at : at + len(payload)] = payload
        elif op == "flip":
            for i, byte in enumerate(payload):
                if at + i < len(data):
                    data[at + i] ^= byte
        elif op == "insert":
            data[at:at] = payload
        elif op == "delete":
            del data[at : at + len(payload)]
        else:
            data[at : at + 4] = b"\xff\xff\xff\xff" if payload[0] & 1 else b"\x00\x00\x00\x00"
    return bytes(data)


@pytest.mark.parametrize("kind", KINDS)
def test_load_on_mutated_files_returns_audio_or_a_typed_error(seeds, kind):
    @FUZZ
    @given(mutations=_MUTATIONS, sr=st.sampled_from([None, 16000]), mono=st.booleans())
    def mutated(mutations, sr, mono):
        check_load(_apply(seeds[kind], mutations), sr=sr, mono=mono)

    mutated()


@pytest.mark.skipif(importlib.util.find_spec("atheris") is None,
                    reason="atheris has wheels for x86-64 Linux only; Hypothesis fuzzes here")
def test_atheris_finds_nothing_in_a_bounded_run(seeds, tmp_path):
    """libFuzzer over the three targets, from one seed file per format, in a subprocess."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for kind, raw in seeds.items():
        (corpus / kind).write_bytes(bytes([2]) + raw)  # first byte 2: the load target
    (corpus / "wav_header").write_bytes(bytes([1]) + seeds["wav_pcm16"][4:200])
    runs = 50 * EXAMPLES
    harness = Path(__file__).resolve().parent / "_fuzz_atheris.py"
    env = dict(os.environ, PYTHONPATH=str(Path(audiodecode.__file__).parent.parent))
    proc = subprocess.run(
        [sys.executable, str(harness), f"-runs={runs}", "-seed=1", "-max_len=65536",
         f"-artifact_prefix={tmp_path}/", "-print_final_stats=1", str(corpus)],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    done = re.search(r"Done (\d+) runs", proc.stderr)
    assert done is not None, proc.stderr[-2000:]
    assert int(done.group(1)) >= runs
    assert not list(tmp_path.glob("crash-*"))
