"""Speed and memory benchmarks of dlbook's kernels against their baselines (not timed tests).

Run them all with one command from the repository root (see ``benchmarks/README.md``)::

    python -m benchmarks            # the full run, several minutes
    python -m benchmarks --quick    # small shapes and few repeats, a few seconds

This package holds the helpers the benchmark modules share: interleaved timing, the
description of the machine, and a measure of how busy the rest of the machine was.
"""

import argparse
import datetime
import os
import platform
import statistics
import sys
import time

import numpy as np


def time_interleaved(contenders, rounds=7, block_seconds=0.05, max_calls=20,
                     warmup_seconds=0.15):
    """Median wall time of each callable, measured in interleaved blocks.

    Every round runs each contender in turn: first untimed for ``warmup_seconds`` (at least
    once), then a timed block of calls lasting about ``block_seconds`` (at least 1, at most
    ``max_calls`` calls). The warm-up matters on a few cores: after numpy's matrix products,
    OpenBLAS's idle threads keep spinning for a while, and torch's threads would compete with
    them (and the other way round), so the first calls after a switch of library are slow for
    reasons that have nothing to do with the contender. The order of the contenders rotates
    from round to round, so none always follows the same other one.

    Returns ``{name: median seconds per call}``.
    """
    names = list(contenders)
    samples = {name: [] for name in names}
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            call = contenders[name]
            warmup_end = time.perf_counter() + warmup_seconds
            while True:
                start = time.perf_counter()
                call()
                last = time.perf_counter() - start
                if start + last >= warmup_end:
                    break
            calls = max(1, min(max_calls, int(block_seconds / max(last, 1e-6))))
            for _ in range(calls):
                start = time.perf_counter()
                call()
                samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(times) for name, times in samples.items()}


def import_torch(threads=2):
    """torch with ``threads`` intra-op threads, or None when it is not installed.

    torch is never a dependency of dlbook; when present it is only the yardstick.
    """
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


def blas_description():
    """numpy's BLAS and its threads, e.g. ``'openblas 0.3.31 (SkylakeX kernels), 2 threads'``."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown BLAS (threadpoolctl not installed)"
    for pool in threadpool_info():
        if pool.get("user_api") == "blas" and "numpy" in pool.get("filepath", ""):
            arch = pool.get("architecture")
            return (f"{pool['internal_api']} {pool.get('version')}"
                    + (f" ({arch} kernels)" if arch else "")
                    + f", {pool['num_threads']} thread" + ("s" if pool["num_threads"] != 1 else ""))
    return "unknown BLAS"


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment_lines(torch=None):
    """Lines describing the run: date, machine, versions and thread counts."""
    import scipy

    env = {name: os.environ.get(name, "unset")
           for name in ("OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "OMP_NUM_THREADS")}
    lines = [
        f"date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"machine: {_cpu_model()}, {os.cpu_count()} CPUs, {platform.system()} "
        f"{platform.release()}",
        f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}"
        + (f", torch {torch.__version__}" if torch is not None else ", torch not installed"),
        f"numpy BLAS: {blas_description()}; "
        + ", ".join(f"{name}={value}" for name, value in env.items()),
    ]
    if torch is not None:
        lines.append(f"torch: {torch.get_num_threads()} intra-op thread(s) (torch.set_num_threads)")
    return lines


class OtherLoad:
    """How busy the machine was with OTHER processes while the block ran (Linux only).

    Shared machines are noisy; this says how noisy. ``share`` is the fraction of all CPUs'
    time used by other processes (0.0 = the machine was ours alone), or None where
    ``/proc/stat`` is unavailable.

    >>> with OtherLoad() as load:
    ...     pass
    >>> load.share is None or 0.0 <= load.share <= 1.0
    True
    """

    def __enter__(self):
        self._start = self._sample()
        return self

    def __exit__(self, *exc):
        end = self._sample()
        self.share = None
        if self._start is None or end is None:
            return False
        (busy0, wall0, own0), (busy1, wall1, own1) = self._start, end
        capacity = (wall1 - wall0) * (os.cpu_count() or 1)
        if capacity > 0:
            self.share = min(max((busy1 - busy0 - (own1 - own0)) / capacity, 0.0), 1.0)
        return False

    @staticmethod
    def _sample():
        try:
            with open("/proc/stat") as stat:
                fields = [int(v) for v in stat.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        ticks = os.sysconf("SC_CLK_TCK")
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        busy = (sum(fields[:8]) - idle) / ticks
        own = sum(os.times()[:4])
        return busy, time.monotonic(), own


def describe_load(load):
    if load.share is None:
        return "load from other processes: unknown"
    return f"load from other processes during this part: {100 * load.share:.0f}% of the CPUs"


def geometric_mean(values):
    return float(np.exp(np.mean(np.log(values))))


def print_flush(*args, **kwargs):
    print(*args, **kwargs)
    sys.stdout.flush()


def kernel_arguments(description, quick_help):
    """The command-line options the kernel benchmarks share: --quick, --rounds, --no-torch,
    --torch-threads and --header."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--rounds", type=int, default=None,
                        help="interleaved rounds per shape (default 7, or 2 with --quick)")
    parser.add_argument("--no-torch", action="store_true", help="skip torch even if installed")
    parser.add_argument("--torch-threads", type=int, default=2,
                        help="torch.set_num_threads (default 2; numpy's BLAS threads are set "
                             "by OPENBLAS_NUM_THREADS)")
    parser.add_argument("--header", action="store_true",
                        help="print the machine and versions first")
    return parser


def kernel_setup(args):
    """From the parsed shared options: ``(torch or None, dtypes, rounds)``; prints the header
    when asked."""
    torch = None if args.no_torch else import_torch(threads=args.torch_threads)
    dtypes = [np.float32] if args.quick else [np.float32, np.float64]
    rounds = args.rounds or (2 if args.quick else 7)
    if args.header:
        for line in environment_lines(torch):
            print_flush(line)
    return torch, dtypes, rounds
