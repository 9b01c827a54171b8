"""Shared fixtures: the synthetic audio corpus, generated once per test session.

Nothing is downloaded: every file comes from :mod:`_corpus` and ``_edge_cases.py``.

Fixtures
--------
``corpus``
    ``dict[str, Path]``: one file per kind this machine can write (44.1 kHz where the codec
    allows, stereo, 1 s).
``corpus_mono``
    The same kinds, mono, 22050 Hz where the codec allows.
``short_corpus``
    The same kinds as ``corpus`` but 0.25 s long.
``edge_files``
    ``dict[str, Path]`` from :func:`_edge_cases.write_edge_cases`.

Parametrising over kinds
------------------------
A test that takes an argument named ``librosa_kind``, ``pyav_kind``, ``lossless_kind`` or
``corpus_kind`` is run once per kind name (ids are the names, e.g. ``test_x[flac_16]``)::

    def test_parity(corpus, librosa_kind):
        path = corpus[librosa_kind]

* ``librosa_kind``: kinds libsndfile reads (``librosa.load`` gives the reference array);
* ``pyav_kind``: kinds only FFmpeg reads;
* ``lossless_kind``: kinds that decode to exactly what was written;
* ``corpus_kind``: all of them.

Kinds this machine cannot write (a PyAV build without that encoder) are collected but
skipped, with the reason. ``librosa_kinds``, ``pyav_kinds``, ``lossless_kinds`` and
``corpus_kinds`` below are the same lists as ``pytest.param`` objects, for
``@pytest.mark.parametrize`` with another argument name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import _corpus
import pytest
from _edge_cases import write_edge_cases

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path


def _params(names: Iterable[str]) -> list[Any]:
    params = []
    for name in names:
        kind = _corpus.KINDS[name]
        marks = []
        if not kind.available():
            what = ", ".join(kind.codecs) if kind.writer == "pyav" else kind.subtype
            marks.append(pytest.mark.skip(reason=f"{name}: this build cannot encode {what}"))
        params.append(pytest.param(name, id=name, marks=marks))
    return params


librosa_kinds = _params(_corpus.LIBROSA_KINDS)
pyav_kinds = _params(_corpus.PYAV_KINDS)
lossless_kinds = _params(_corpus.LOSSLESS_KINDS)
corpus_kinds = _params(_corpus.KINDS)

_KIND_ARGUMENTS = {
    "librosa_kind": librosa_kinds,
    "pyav_kind": pyav_kinds,
    "lossless_kind": lossless_kinds,
    "corpus_kind": corpus_kinds,
}


def _explicitly_parametrised(metafunc: pytest.Metafunc) -> set[str]:
    names: set[str] = set()
    for marker in metafunc.definition.iter_markers("parametrize"):
        argnames = marker.args[0] if marker.args else marker.kwargs.get("argnames", ())
        if isinstance(argnames, str):
            argnames = argnames.split(",")
        names.update(name.strip() for name in argnames)
    return names


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # A test that parametrises one of these names itself keeps its own values.
    explicit = _explicitly_parametrised(metafunc)
    for argument, params in _KIND_ARGUMENTS.items():
        if argument in metafunc.fixturenames and argument not in explicit:
            metafunc.parametrize(argument, params)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every writable kind: 44.1 kHz (or the codec's rate), stereo, 1 s."""
    return _corpus.write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="session")
def corpus_mono(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every writable kind: 22050 Hz (or the codec's rate), mono, 1 s."""
    return _corpus.write_corpus(
        tmp_path_factory.mktemp("corpus_mono"), sample_rate=22050, channels=1
    )


@pytest.fixture(scope="session")
def short_corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every writable kind, 44.1 kHz (or the codec's rate), stereo, 0.25 s: for tests that
    loop over many block sizes or options and only need a few thousand frames."""
    return _corpus.write_corpus(tmp_path_factory.mktemp("short_corpus"), seconds=0.25)


@pytest.fixture(scope="session")
def edge_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Odd, broken and extreme files, see :func:`_edge_cases.write_edge_cases`."""
    return write_edge_cases(tmp_path_factory.mktemp("edge"))
