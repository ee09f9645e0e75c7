"""Benchmark: peak memory of conv2d forward+backward on a large layer.

The layer is x (256, 64, 56, 56), w (64, 64, 3, 3), padding 1, stride 1, float32 (a ResNet
stage on ImageNet-size feature maps). A column matrix for the whole batch would need 1.85 GB;
dlbook processes the batch in chunks whose column matrix fits in
``dlbook.functional.conv.TUNING.column_budget_bytes``. ``--strategy NAME`` measures that entry
of :data:`dlbook.functional.conv.STRATEGIES` instead of ``conv2d``'s own choice (``im2col``, the
readable path, builds the whole column matrix at once).

The measurement runs in a fresh Python process (so nothing else is in memory) and reports:

- ``tracemalloc`` peak: the largest total of numpy arrays alive at once (numpy reports its
  allocations to :mod:`tracemalloc`), counted from before the inputs are created, so it
  includes the inputs x, w, dy (411 MB) and the outputs y, dx (411 MB);
- the same peak minus the inputs;
- the child process's peak resident set size (``VmHWM`` of ``/proc/self/status``, or
  ``resource.getrusage`` where that is missing), which also counts the interpreter and the
  libraries.

Usage::

    python -m benchmarks.bench_memory            # the large layer
    python -m benchmarks.bench_memory --quick    # a batch of 16 instead of 256
    python -m benchmarks.bench_memory --quick --strategy im2col-images-inner
"""

import argparse
import json
import subprocess
import sys

X_SHAPE = (256, 64, 56, 56)
QUICK_X_SHAPE = (16, 64, 56, 56)
W_SHAPE = (64, 64, 3, 3)
TARGET_BYTES = 1.5e9


def peak_rss_bytes():
    """Peak resident set size of this process. ``VmHWM`` belongs to the process's own memory
    map; ``ru_maxrss`` would include the parent's peak from before the exec on Linux."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child(x_shape, strategy=None):
    """The measurement itself; prints one JSON line. ``strategy`` names an entry of
    ``STRATEGIES`` (None: ``conv2d`` and ``conv2d_backward``, which choose their own)."""
    import tracemalloc

    import numpy as np

    from dlbook.functional import conv2d, conv2d_backward
    from dlbook.functional.conv import STRATEGIES, TUNING, choose_strategy

    conv, conv_backward = (conv2d, conv2d_backward) if strategy is None else STRATEGIES[strategy]

    rss_before = peak_rss_bytes()
    tracemalloc.start()
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape, dtype=np.float32)
    w = rng.standard_normal(W_SHAPE, dtype=np.float32)
    dy = rng.standard_normal((x_shape[0], W_SHAPE[0]) + x_shape[2:], dtype=np.float32)
    inputs = x.nbytes + w.nbytes + dy.nbytes
    y = conv(x, w, padding=1)
    dx, dw, db = conv_backward(dy, x, w, padding=1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    columns = W_SHAPE[1] * W_SHAPE[2] * W_SHAPE[3] * x_shape[0] * x_shape[2] * x_shape[3] * 4
    print(json.dumps({
        "x_shape": x_shape,
        "strategy": strategy or choose_strategy(x_shape, W_SHAPE, 1, 1),
        "budget": TUNING.column_budget_bytes,
        "inputs": inputs,
        "outputs": y.nbytes + dx.nbytes + dw.nbytes + db.nbytes,
        "peak": peak,
        "whole_batch_columns": columns,
        "rss_before": rss_before,
        "max_rss": peak_rss_bytes(),
    }))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a batch of 16 instead of 256")
    parser.add_argument("--strategy", default=None,
                        help="an entry of dlbook.functional.conv.STRATEGIES to measure "
                             "(default: conv2d's own choice)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    x_shape = QUICK_X_SHAPE if args.quick else X_SHAPE
    if args.child:
        child(x_shape, args.strategy)
        return 0
    command = [sys.executable, "-m", "benchmarks.bench_memory", "--child"]
    command += ["--quick"] if args.quick else []
    command += ["--strategy", args.strategy] if args.strategy else []
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(done.stdout + done.stderr)
        return done.returncode
    r = json.loads(done.stdout.strip().splitlines()[-1])
    mb = 1e6
    print(f"\npeak memory of conv2d forward+backward, x {tuple(r['x_shape'])}, w {W_SHAPE}, "
          f"padding 1, float32 (strategy {r['strategy']}, column budget "
          f"{r['budget'] / 2**20:.0f} MiB), measured in a fresh process")
    print(f"  tracemalloc peak, inputs and outputs included: {r['peak'] / mb:8.0f} MB"
          + ("" if args.quick else
             f"  ({'meets' if r['peak'] <= TARGET_BYTES else 'MISSES'} the "
             f"{TARGET_BYTES / 1e9:.1f} GB target)"))
    above_inputs = (r["peak"] - r["inputs"]) / mb
    print(f"  the same minus the inputs x, w, dy:           {above_inputs:8.0f} MB"
          f"  (outputs y, dx, dw, db: {r['outputs'] / mb:.0f} MB)")
    print(f"  peak resident set size of the process:        {r['max_rss'] / mb:8.0f} MB"
          f"  (before the inputs: {r['rss_before'] / mb:.0f} MB)")
    print(f"  for comparison, one column matrix for the whole batch: "
          f"{r['whole_batch_columns'] / mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
