"""``datasets`` decoding throughput: ``patch_datasets()`` against datasets 3.6.

datasets 3.6 is the last release before torchcodec: its ``Audio`` reads with soundfile,
downmixes with ``librosa.to_mono`` and resamples with ``librosa.resample`` (soxr_hq). The
patched datasets decodes the same files with audiodecode (soxr_hq too). Both run the same job,
in their own virtual environment: the rows of an ``Audio(sampling_rate=16000)`` column, decoded
to their mono ``array`` inside ``Dataset.map(..., num_proc=2)``, timed around ``map`` only
(imports and a one-row warm-up in the parent come first, so forked workers start warm in
both). The runs alternate between the two environments, each a fresh process.

Generate the clips once, then run (the defaults are the environments used for BENCHMARKS.md)::

    python benchmarks/datasets_throughput.py generate /tmp/dsbench --clips 200 --seconds 6
    python benchmarks/datasets_throughput.py run /tmp/dsbench --rounds 5 \\
        --patched-python ~/venv-hf/bin/python --baseline-python ~/venv-hf36/bin/python

``~/venv-hf``: ``pip install -e . datasets==5.2.0`` (no torch, no torchcodec);
``~/venv-hf36``: ``pip install datasets==3.6.0 librosa soundfile``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

KINDS = ("wav", "flac", "mp3")
RATE = 44100

CHILD = r"""
import json, sys, time
import numpy as np
patched, folder, out = sys.argv[1] == "patched", sys.argv[2], sys.argv[3]
verify = sys.argv[4] == "verify"
if patched:
    import audiodecode.compat
    audiodecode.compat.patch_datasets()
import datasets
from datasets import Audio, Dataset
datasets.disable_progress_bar()
paths = sorted(str(p) for p in __import__("pathlib").Path(folder).iterdir()
               if p.suffix in (".wav", ".flac", ".mp3"))

def summarise(example):
    array = example["audio"]["array"]
    return {"n": len(array), "dtype": str(array.dtype)}

ds = Dataset.from_dict({"audio": paths}).cast_column("audio", Audio(sampling_rate=16000))
first = ds[0]["audio"]["array"]  # warm-up: imports decoders and resamplers in the parent
start = time.perf_counter()
result = ds.map(summarise, num_proc=2, remove_columns=["audio"], load_from_cache_file=False)
elapsed = time.perf_counter() - start

def digest(example):  # of the values as float32 (datasets 3.6 hands out float64)
    array = example["audio"]["array"].astype(np.float32)
    return {"sha": __import__("hashlib").sha256(array.tobytes()).hexdigest()}

# after the timing, and only when asked: the values of every row, to compare the two
shas = list(ds.map(digest, num_proc=2, remove_columns=["audio"])["sha"]) if verify else []
json.dump({"rows": len(paths), "seconds": elapsed, "n": list(result["n"]), "sha": shas,
           "dtype": list(result["dtype"])[0], "datasets": datasets.__version__}, open(out, "w"))
"""


def generate(folder: Path, clips: int, seconds: float) -> None:
    import numpy as np
    import soundfile as sf

    folder.mkdir(parents=True, exist_ok=True)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    for i in range(clips):
        kind = KINDS[i % len(KINDS)]
        rng = np.random.default_rng(i)
        chirp = 0.3 * np.sin(2 * np.pi * (100 + 40 * i + 500 * t) * t)
        y = (chirp[:, None] + rng.uniform(-0.1, 0.1, (n, 2))).astype(np.float32)
        path = folder / f"clip{i:04d}.{kind}"
        if kind == "mp3":
            sf.write(path, y, RATE, format="MP3")
        else:
            sf.write(path, y, RATE, subtype="PCM_16")


def run(folder: Path, rounds: int, pythons: dict[str, str]) -> None:
    results: dict[str, list[dict]] = {name: [] for name in pythons}
    for r in range(rounds):
        for name, python in pythons.items():  # interleaved: one of each per round
            out = folder.parent / f"{folder.name}-{name}.json"
            verify = "verify" if r == 0 else "time"
            subprocess.run([python, "-c", CHILD, name, str(folder), str(out), verify],
                           check=True)
            result = json.loads(out.read_text())
            results[name].append(result)
            print(f"round {r + 1} {name:8s} datasets {result['datasets']}: "
                  f"{result['rows'] / result['seconds']:.1f} rows/s", flush=True)
    print()
    for name, runs in results.items():
        rates = [run["rows"] / run["seconds"] for run in runs]
        print(f"{name:8s} datasets {runs[0]['datasets']}: median {statistics.median(rates):.1f} "
              f"rows/s (min {min(rates):.1f}, max {max(rates):.1f}; {len(rates)} runs, "
              f"{runs[0]['rows']} rows, array dtype {runs[0]['dtype']})")
    patched, baseline = results["patched"][0], results["baseline"][0]
    same = sum(a == b for a, b in zip(patched["sha"], baseline["sha"], strict=True))
    print(f"rows whose array is the same (datasets 3.6's cast to float32): {same} of "
          f"{len(patched['sha'])}; same lengths in every row: {patched['n'] == baseline['n']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="write the clips")
    gen.add_argument("folder", type=Path)
    gen.add_argument("--clips", type=int, default=200)
    gen.add_argument("--seconds", type=float, default=6.0)
    bench = sub.add_parser("run", help="time both environments, interleaved")
    bench.add_argument("folder", type=Path)
    bench.add_argument("--rounds", type=int, default=5)
    bench.add_argument("--patched-python", default="~/venv-hf/bin/python")
    bench.add_argument("--baseline-python", default="~/venv-hf36/bin/python")
    args = parser.parse_args()
    if args.command == "generate":
        generate(args.folder, args.clips, args.seconds)
    else:
        run(args.folder, args.rounds,
            {"patched": args.patched_python, "baseline": args.baseline_python})


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"({time.perf_counter() - start:.0f} s)", file=sys.stderr)
