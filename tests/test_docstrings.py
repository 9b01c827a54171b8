"""Every example in the package's docstrings runs, and prints what it says it prints."""

from __future__ import annotations

import doctest
import importlib
import importlib.util

import pytest

MODULES = [
    "audiodecode._api", "audiodecode._info", "audiodecode._span", "audiodecode._source",
    "audiodecode._resample", "audiodecode._pipeline", "audiodecode.errors",
    "audiodecode._corpus", "audiodecode._corpus.signals", "audiodecode.batch", "audiodecode.compat",
    "audiodecode.torch", "audiodecode.ray", "audiodecode.cli", "audiodecode.cache",
    "audiodecode.cache._store", "audiodecode.cache._format",
    "audiodecode.backends", "audiodecode.backends.wav", "audiodecode.backends.sndfile",
    "audiodecode.backends.pyav", "audiodecode.backends._pyav_seek",
    "audiodecode.bench", "audiodecode.bench.loaders", "audiodecode.bench.discovery",
    "audiodecode.bench.engine", "audiodecode.bench.report",
    "audiodecode.bench.results", "audiodecode.bench.children", "audiodecode.bench.plot",
    "audiodecode.bench.demo", "audiodecode.bench.compare", "audiodecode._librosa",
]

# Integrations whose examples need their optional extra: without it there is nothing to run
# (the integration's own tests say whether it works).
EXTRAS = {"audiodecode.torch": "torch", "audiodecode.ray": "ray"}


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, tmp_path, monkeypatch):
    extra = EXTRAS.get(name)
    if extra is not None and importlib.util.find_spec(extra) is None:
        pytest.skip(f"{name}'s examples need the optional {extra!r} package")
    monkeypatch.chdir(tmp_path)  # examples write their files into the working directory
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(module, name) if t.examples]
    for test in tests:
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.failed == 0
