"""Code that ``tests/`` and ``benchmarks/`` share, and that is never shipped.

The two folders do not import each other: what both need lives here, at the repository's
root, which pytest puts on ``sys.path`` (``pythonpath`` in pyproject.toml) and a benchmark
script inserts itself. The wheel holds ``src/audiodecode`` only.
"""
