"""Hostile input: every case of ``audiodecode._hostile`` in its own child, and the table.

    PYTHONPATH=src python benchmarks/hostile_input.py [--mutations 200] [--truncations 24]

Prints the README's "Untrusted input" table: outcome classes per group of cases, peak RSS
growth and numpy reservations against file size; with ``--details`` every case that did not
return an array. The defaults (10 formats x (24 truncations + 200 mutations) + the
hand-made, special-path and argument cases) take a few minutes on two cores.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time

from audiodecode import _hostile


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mutations", type=int, default=200, help="mutated copies per format")
    parser.add_argument("--truncations", type=int, default=24, help="prefixes per format")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per case")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--details", action="store_true", help="list every non-array case")
    parser.add_argument("--fuzz-examples", type=int, default=None,
                        help="the fuzz iterations to report in the table's note")
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        cases = _hostile.write_hostile_corpus(
            folder, truncations=args.truncations, mutations=args.mutations, seed=args.seed
        )
        outcomes = _hostile.run_cases(cases, timeout=args.timeout)
    print(_hostile.table(outcomes, fuzz_examples=args.fuzz_examples))
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
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
