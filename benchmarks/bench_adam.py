"""Benchmark: one Adam step on 1M and 10M float32 parameters, dlbook against its baselines.

Compares, in one run with the implementations interleaved (A/B/C, A/B/C, ...):

- ``dlbook``: ``dlbook.optim.Adam.step`` (in place, in chunks of 1 MiB per array, constants
  folded, one thread);
- ``naive``: the formulas written one numpy expression per term, as in a first implementation;
- ``torch foreach``: ``torch.optim.Adam(foreach=True)`` with 2 threads, when torch is importable
  (torch is not a dependency of dlbook; it is only a yardstick here).

Reports the median time per step over the repeats and the ratios of dlbook to each baseline
measured in the same run (shared machines make absolute times noisy; ratios are what to quote).
The effective bandwidth assumes the 28 bytes per parameter a step must move at least
(read p, g, m, v; write p, m, v).

Usage::

    python benchmarks/bench_adam.py            # 1M and 10M parameters
    python benchmarks/bench_adam.py --quick    # small sizes, a second or two
"""

import argparse
import os
import time

import numpy as np

from dlbook import Parameter
from dlbook.optim import Adam

LEARNING_RATE = 1e-3
BETA_1 = 0.9
BETA_2 = 0.999
EPSILON = 1e-8


def naive_adam_step(p, g, m, v, t):
    """The formulas of Kingma & Ba, one numpy expression per term; ``p`` in place."""
    m = BETA_1 * m + (1 - BETA_1) * g
    v = BETA_2 * v + (1 - BETA_2) * g**2
    m_hat = m / (1 - BETA_1**t)
    v_hat = v / (1 - BETA_2**t)
    p -= LEARNING_RATE * m_hat / (np.sqrt(v_hat) + EPSILON)
    return m, v


def make_dlbook(p0, g0):
    param = Parameter(p0)
    param.grad[...] = g0
    optimizer = Adam(learning_rate=LEARNING_RATE, beta_1=BETA_1, beta_2=BETA_2, epsilon=EPSILON)
    params = [param]
    return lambda: optimizer.step(params), lambda: param.data


def make_naive(p0, g0):
    p, g = p0.copy(), g0.copy()
    moments = {"m": np.zeros_like(p), "v": np.zeros_like(p), "t": 0}

    def step():
        moments["t"] += 1
        moments["m"], moments["v"] = naive_adam_step(p, g, moments["m"], moments["v"],
                                                      moments["t"])

    return step, lambda: p


def make_torch(torch, p0, g0):
    tensor = torch.tensor(p0, requires_grad=True)
    tensor.grad = torch.tensor(g0)
    optimizer = torch.optim.Adam([tensor], lr=LEARNING_RATE, betas=(BETA_1, BETA_2),
                                 eps=EPSILON, foreach=True)

    def step():
        with torch.no_grad():
            optimizer.step()

    return step, lambda: tensor.detach().numpy()


def bench_size(size, repeats, torch):
    rng = np.random.default_rng(0)
    p0 = rng.standard_normal(size, dtype=np.float32)
    g0 = rng.standard_normal(size, dtype=np.float32) * np.float32(1e-2)
    contenders = {
        "dlbook": make_dlbook(p0, g0),
        "naive": make_naive(p0, g0),
    }
    if torch is not None:
        contenders["torch foreach"] = make_torch(torch, p0, g0)
    names = list(contenders)
    times = {name: [] for name in names}
    for name in names:  # warm-up: allocate state, fault in pages
        contenders[name][0]()
    for repeat in range(repeats):
        # Rotate the order so that no contender always runs right after the same one.
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            step = contenders[name][0]
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    # Every contender took the same number of steps from the same start: they must agree.
    reference = contenders["naive"][1]()
    disagreement = {
        name: float(np.max(np.abs(contenders[name][1]() - reference))) for name in names
    }
    return {name: np.array(times[name]) for name in names}, disagreement


def busy_cpu_seconds():
    """CPU time used by the whole machine so far (Linux), or None elsewhere."""
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()[1:]
    except OSError:
        return None
    user, nice, system, idle, iowait, irq, softirq = (int(x) for x in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="small sizes (10k and 100k parameters), a second or two")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed steps per contender and size (default 30, or 20 with --quick)")
    parser.add_argument("--no-torch", action="store_true", help="skip torch even if importable")
    args = parser.parse_args()

    sizes = [10_000, 100_000] if args.quick else [1_000_000, 10_000_000]
    repeats = args.repeats or (20 if args.quick else 30)
    torch = None
    torch_note = ", torch skipped (--no-torch)"
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            torch_note = ", torch not importable"
        else:
            torch.set_num_threads(2)
            torch_note = f", torch {torch.__version__} with 2 threads"

    print(f"Adam step, float32, median of {repeats} interleaved repeats{torch_note}")
    print("dlbook/this: median over the repeats of dlbook's time over this contender's time in "
          "the same repeat")
    header = (f"{'parameters':>11}  {'contender':<16} {'ms/step':>9} {'GB/s eff.':>9} "
              f"{'dlbook/this':>11} {'max |dp| vs naive':>18}")
    print(header)
    print("-" * len(header))
    wall_start, busy_start, own_start = time.perf_counter(), busy_cpu_seconds(), time.process_time()
    ratios = {}
    for size in sizes:
        times, disagreement = bench_size(size, repeats, torch)
        for name, seconds in times.items():
            median = float(np.median(seconds))
            bandwidth = 28 * size / median / 1e9
            ratios[name] = float(np.median(times["dlbook"] / seconds))
            print(f"{size:>11,}  {name:<16} {median * 1e3:>9.3f} {bandwidth:>9.1f} "
                  f"{ratios[name]:>10.2f}x {disagreement[name]:>18.1e}")
    # The largest size, against the target: at most 1.0x torch foreach, without threads.
    summary = f"{sizes[-1]:,} parameters: dlbook / naive {ratios['naive']:.2f}x"
    if "torch foreach" in ratios:
        summary += f", dlbook / torch foreach {ratios['torch foreach']:.2f}x (target <= 1.0x)"
    print(summary)
    if busy_start is not None:
        others = (busy_cpu_seconds() - busy_start) - (time.process_time() - own_start)
        print(f"other processes kept {max(others, 0.0) / (time.perf_counter() - wall_start):.2f} "
              f"of {os.cpu_count()} CPUs busy during the run (shared machine: quote runs near 0)")


if __name__ == "__main__":
    main()
