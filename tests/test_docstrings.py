"""Every example in the package's docstrings runs, and prints what it says it prints."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "audiodecode._api", "audiodecode._info", "audiodecode._span", "audiodecode._source",
    "audiodecode._resample", "audiodecode._pipeline", "audiodecode.errors",
    "audiodecode._corpus", "audiodecode._bench", "audiodecode.batch", "audiodecode.compat",
    "audiodecode.torch", "audiodecode.ray", "audiodecode.cli", "audiodecode.cache",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples write their files into the working directory
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(module, name) if t.examples]
    for test in tests:
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.failed == 0
