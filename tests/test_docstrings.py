"""Every example in the package's docstrings runs, and prints what it says it prints."""

from __future__ import annotations

import doctest
import importlib
import importlib.util

import pytest


def _package_modules() -> list[str]:
    """Every module of the package, found rather than listed, so that a new one is covered."""
    import pkgutil

    import audiodecode

    names = ["audiodecode"] + [
        info.name for info in pkgutil.walk_packages(audiodecode.__path__, "audiodecode.")
    ]
    # ``python -m audiodecode`` runs the command line when imported.
    return sorted(name for name in names if name != "audiodecode.__main__")


MODULES = _package_modules()

# Integrations whose examples need their optional extra: without it there is nothing to run
# (the integration's own tests say whether it works).
EXTRAS = {"audiodecode.torch": "torch", "audiodecode.torchaudio": "torch", "audiodecode.ray": "ray"}


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
