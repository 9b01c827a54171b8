"""Hostile input: every case of ``benchmarks/hostile_corpus.py`` in its own child, and the table.

    PYTHONPATH=src python benchmarks/hostile_input.py [--mutations 200] [--truncations 24]

Prints the README's "Untrusted input" tables: outcome classes per group of cases, peak RSS
growth and numpy reservations against file size; then, case by case, the families made to
hurt (decompression bombs, files naming other files, malformed WAVs) with the peak RSS growth
and the time of each ``load``/``info``; and the inputs the coverage-guided fuzzer
(``benchmarks/fuzz_atheris.py``, atheris) ran from the corpus's intact files; with
``--details`` every case that did not return an array. The defaults (10 formats x (24
truncations + 200 mutations), the hand-made, bomb, playlist, malformed-WAV, special-path and
argument cases, 120 s intact FLAC/MP3/AAC files, 20,000 fuzz inputs: 2390 cases) took 295 s
on two cores shared with other jobs. Exits 1 on any
crash, hang, untyped error, over-allocation or fuzz finding.
"""

from __future__ import annotations

import argparse
import collections
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The corpus and its runner live beside this script (the directory of a script is on
# sys.path): benchmarks and tests do not import each other.
import hostile_corpus as _hostile


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mutations", type=int, default=200, help="mutated copies per format")
    parser.add_argument("--truncations", type=int, default=24, help="prefixes per format")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per case")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--long-seconds", type=float, default=120.0,
                        help="length of the intact long FLAC/MP3/AAC files (0: none)")
    parser.add_argument("--details", action="store_true", help="list every non-array case")
    parser.add_argument("--atheris-runs", type=int, default=20000,
                        help="coverage-guided inputs (benchmarks/fuzz_atheris.py); 0: none")
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        cases = _hostile.write_hostile_corpus(
            folder, truncations=args.truncations, mutations=args.mutations, seed=args.seed,
            long_seconds=args.long_seconds,
        )
        outcomes = _hostile.run_cases(cases, timeout=args.timeout)
        fuzz = _atheris(Path(folder), args.atheris_runs, args.seed) if args.atheris_runs else None
    print(_hostile.table(outcomes, fuzz_examples=fuzz[0] if fuzz else None))
    print()
    print(_hostile.family_table(outcomes))
    if fuzz:
        print(f"atheris: {fuzz[0]} inputs, {fuzz[1]} findings (crash-* files)")
    print(f"\n{len(outcomes)} cases in {time.monotonic() - started:.0f} s")
    if args.details:
        by_class = collections.defaultdict(list)
        for o in outcomes:
            if o.outcome != "array" or o.over_allocation or o.zeros:
                by_class[o.outcome].append(o)
        for outcome, items in by_class.items():
            print(f"\n## {outcome}")
            for o in items:
                flag = " OVER-ALLOCATION" if o.over_allocation else ""
                print(f"  {o.name}: {o.detail}{flag} (rss +{o.rss_growth >> 20} MiB, "
                      f"reserved {o.reserved >> 20} MiB, stderr {o.stderr_bytes} B)")
    bad = sum(o.outcome in ("other", "crash", "hang") or o.over_allocation for o in outcomes)
    return 1 if bad or (fuzz and fuzz[1]) else 0


def _atheris(folder: Path, runs: int, seed: int) -> tuple[int, int]:
    """Run the atheris harness from the corpus's intact files; (inputs run, findings)."""
    seeds = folder / "atheris_seeds"
    seeds.mkdir()
    for source in folder.glob("source_*"):
        (seeds / source.name).write_bytes(bytes([2]) + source.read_bytes())
    artifacts = folder / "atheris_findings"
    artifacts.mkdir()
    harness = Path(__file__).resolve().parent / "fuzz_atheris.py"
    proc = subprocess.run(
        [sys.executable, str(harness), f"-runs={runs}", f"-seed={seed + 1}", "-max_len=65536",
         f"-artifact_prefix={artifacts}/", str(seeds)],
        capture_output=True, text=True, check=False,
    )
    done = re.search(r"Done (\d+) runs", proc.stderr)
    findings = len(list(artifacts.iterdir())) + (proc.returncode != 0)
    return (int(done.group(1)) if done else 0), findings


if __name__ == "__main__":
    sys.exit(main())
