#!/usr/bin/env bash
# Build the documentation into docs/_build/html with warnings as errors, then run every code
# block of the README and of the documentation pages (tests/test_readme.py).
#
#   python3 -m venv .venv && bash docs/build.sh
#
# .ci/run calls it with --no-examples: its test command has already run tests/test_readme.py.
#
# Uses the venv in .venv (created by the README's commands) and installs into it the `docs`
# extra and what the examples import: the `test` extra and the CPU build of torch that the
# README's test command installs (already there in CI, so nothing is downloaded again).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--no-examples" ]; then
  # The build alone (what .ci/run asks for, after its test command has set up .venv and it has
  # installed the docs extra: it runs mypy beside this build, so no pip may touch the venv).
  if ! .venv/bin/python -c "import sphinx, myst_parser, numpydoc, pydata_sphinx_theme" \
      2>/dev/null; then
    echo "+ pip install -e '.[docs]'"
    .venv/bin/python -m pip install -q -e '.[docs]'
  fi
else
  echo "+ pip install -e '.[docs,test]' 'torch==2.13.0'"
  .venv/bin/python -m pip install -q -e '.[docs,test]' 'torch==2.13.0'
fi

# autosummary's pages are generated afresh, so a removed function leaves no page behind.
rm -rf docs/_build/html docs/_build/doctrees docs/api/generated
echo "+ sphinx-build -W --keep-going -b html docs docs/_build/html"
.venv/bin/python -m sphinx -W --keep-going -q -b html docs docs/_build/html

# The examples: tests/test_readme.py runs every python block and parses every command.
if [ "${1:-}" != "--no-examples" ]; then
  echo "+ pytest tests/test_readme.py"
  .venv/bin/python -m pytest -q -p no:cacheprovider tests/test_readme.py
fi
