"""The benchmark behind ``audiodecode bench`` and ``benchmarks/run_benchmarks.py``.

One engine, two front ends: the command line benchmarks a user's files (or a generated demo
corpus), the benchmark script a fixed corpus with fixed settings; both call :func:`benchmark`
and render its :class:`Report` with the functions at the end of this module.

What is measured, and how it is kept fair
-----------------------------------------
* **Same work for every loader.** Each loader decodes to float32, downmixes with librosa's
  ``np.mean`` over the channel axis, and resamples with soxr ``soxr_hq`` (librosa's default)
  when it has no resampler of its own, then trims/pads to librosa's length. pedalboard has a
  resampler (``AudioFile.resampled_to``) but it is a different filter; it gets soxr like the
  others, so that its column measures its decoder, not a choice of filter.
* **Interleaved.** After one untimed warm-up call per loader and file, every iteration
  gives each loader in turn one pass over each group's files, in an order that rotates
  from one iteration (and group) to the next, so a burst of machine noise hits all loaders
  alike, while each loader still runs in its own steady state, as in a data-loading loop
  (see ``_timed_iterations``). Figures are medians: per file over the iterations, then over
  the files of a group.
* **Parity.** The warm-up outputs are compared with ``librosa.load``'s (the oracle), file by
  file: identical (values, shape, dtype and returned rate), max absolute difference,
  correlation.
* **Cold start and peak memory** run in fresh child processes that run ``_child.py`` by path:
  it holds the loaders' own functions (the ones timed in-process) and imports only the
  standard library, so a child imports what its loader imports and nothing else (not even
  audiodecode, for the peers).
* A loader that fails on a file is reported for that file; only audiodecode failing makes
  the file "unreadable" (and the command's exit status 1).
"""

from __future__ import annotations

from .compare import BackendComparison, compare_backends
from .demo import DEMO_CLIPS_PER_FORMAT, DEMO_LONG_SECONDS, make_demo_corpus
from .discovery import FileEntry, Group, find_files, group_by_format
from .engine import benchmark
from .loaders import DEFAULT_LOADER_NAMES, LOADER_NAMES, LOADERS, Loader, resolve_loaders
from .plot import plot, speedup_figure
from .report import (
    format_cold_start,
    format_group,
    format_memory,
    format_notes,
    format_report,
    format_speedup,
    loader_labels,
    summary_table,
    table,
)
from .results import ColdStartSpec, MemorySpec, Report, machine_info

__all__ = [
    "DEFAULT_LOADER_NAMES",
    "DEMO_CLIPS_PER_FORMAT",
    "DEMO_LONG_SECONDS",
    "LOADERS",
    "LOADER_NAMES",
    "BackendComparison",
    "ColdStartSpec",
    "FileEntry",
    "Group",
    "Loader",
    "MemorySpec",
    "Report",
    "benchmark",
    "compare_backends",
    "find_files",
    "format_cold_start",
    "format_group",
    "format_memory",
    "format_notes",
    "format_report",
    "format_speedup",
    "group_by_format",
    "loader_labels",
    "machine_info",
    "make_demo_corpus",
    "plot",
    "resolve_loaders",
    "speedup_figure",
    "summary_table",
    "table",
]
