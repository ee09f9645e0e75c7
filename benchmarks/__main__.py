"""Run every benchmark with one command: ``python -m benchmarks [--quick] [--only PARTS]``.

Parts, in order:

- ``conv``: conv2d forward and forward+backward, float32 and float64, against torch, the
  scipy.signal loop and the naive loops (:mod:`benchmarks.bench_conv`);
- ``pool``: 2x2 max and average pooling forward+backward against torch
  (:mod:`benchmarks.bench_pool`);
- ``adam``: one Adam step on 1M and 10M float32 parameters (``benchmarks/bench_adam.py``);
- ``memory``: peak memory of a large conv2d forward+backward (:mod:`benchmarks.bench_memory`);
- ``digits``: wall time to train the digits CNN to 98.5% test accuracy
  (``benchmarks/bench_digits_cnn.py``).

The machine, the library versions and the thread counts come first; every part says how busy
the rest of the machine was while it ran. ``--quick`` runs every part on small sizes with few
repeats (a few seconds in all), to check that the benchmarks work.
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import (
    OtherLoad,
    bench_conv,
    bench_memory,
    bench_pool,
    describe_load,
    environment_lines,
    import_torch,
    print_flush,
)

HERE = Path(__file__).resolve().parent


def _script(name):
    """A part that lives in its own script, run in a fresh process."""

    def run(quick):
        path = HERE / name
        if not path.exists():
            print_flush(f"skipped: {path.name} not found")
            return 0
        command = [sys.executable, str(path)] + (["--quick"] if quick else [])
        with OtherLoad() as load:
            done = subprocess.run(command, cwd=HERE.parent, check=False)
        print_flush(describe_load(load))
        return done.returncode

    return run


def _module(module):
    def run(quick):
        return module.main(["--quick"] if quick else [])

    return run


PARTS = {
    "conv": _module(bench_conv),
    "pool": _module(bench_pool),
    "adam": _script("bench_adam.py"),
    "memory": _module(bench_memory),
    "digits": _script("bench_digits_cnn.py"),
}


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="small sizes and few repeats: checks that everything runs")
    parser.add_argument("--only", default=",".join(PARTS),
                        help=f"comma-separated parts to run (default: all of {','.join(PARTS)})")
    args = parser.parse_args(argv)
    parts = [part.strip() for part in args.only.split(",") if part.strip()]
    unknown = [part for part in parts if part not in PARTS]
    if unknown:
        parser.error(f"--only: unknown part(s) {', '.join(unknown)}; choose from "
                     f"{', '.join(PARTS)}")

    print_flush("dlbook benchmarks" + (" (--quick: small sizes, not for quoting)"
                                       if args.quick else ""))
    for line in environment_lines(import_torch(threads=2)):
        print_flush(line)
    failed = []
    for part in parts:
        print_flush(f"\n=== {part} ===")
        start = time.perf_counter()
        status = PARTS[part](args.quick)
        print_flush(f"[{part}: {time.perf_counter() - start:.1f} s]")
        if status:
            failed.append(part)
    if failed:
        print_flush(f"\nparts that failed or missed their target: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
