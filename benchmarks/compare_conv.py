"""A/B of conv2d forward+backward against another version of ``dlbook/functional/conv.py``.

``python -m benchmarks.compare_conv OLD_CONV_PY [--rounds N] [--quick]`` loads the given file
as a module of its own (it may import ``dlbook._validation``, as every version does) and times
its ``conv2d`` + ``conv2d_backward`` against this checkout's, alternately in one process, on
the shapes of :mod:`benchmarks.bench_conv`, float32 and float64. It prints the median times,
their ratio, and whether the two versions give the same numbers. On a shared machine this is
the fair way to show that moving code did not change its speed: both versions meet the same
load in the same seconds.
"""

import argparse
import importlib.util
from pathlib import Path

import numpy as np

from benchmarks import describe_load, OtherLoad, print_flush, time_interleaved
from benchmarks.bench_conv import QUICK_SHAPES, SHAPES, _inputs, shape_label
from dlbook.functional import conv as current


def load_version(path):
    """The module defined by the file at ``path``, under a name of its own."""
    spec = importlib.util.spec_from_file_location("conv_compared", Path(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def forward_backward(module, x, w, dy, padding, stride):
    y = module.conv2d(x, w, stride=stride, padding=padding)
    return (y,) + module.conv2d_backward(dy, x, w, stride=stride, padding=padding)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compare_conv",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("old", help="path of the other version's conv.py")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="small shapes, 3 rounds")
    args = parser.parse_args(argv)
    old = load_version(args.old)
    shapes, rounds = (QUICK_SHAPES, 3) if args.quick else (SHAPES, args.rounds)
    with OtherLoad() as load:
        for dtype in (np.float32, np.float64):
            print_flush(f"conv2d forward+backward, {np.dtype(dtype).name}: median ms of "
                        f"{rounds} interleaved rounds, old = {args.old}")
            print_flush(f"{'x ; w ; padding, stride':42s} {'old':>9s} {'new':>9s} {'new/old':>8s}"
                        "  same numbers")
            for x_shape, w_shape, padding, stride in shapes:
                x, w, dy = _inputs(x_shape, w_shape, padding, stride, dtype)
                calls = {name: (lambda m=module: forward_backward(m, x, w, dy, padding, stride))
                         for name, module in (("old", old), ("new", current))}
                same = all(np.array_equal(a, b) for a, b in zip(calls["old"](), calls["new"]()))
                times = time_interleaved(calls, rounds=rounds)
                print_flush(f"{shape_label(x_shape, w_shape, padding, stride):42s} "
                            f"{times['old'] * 1e3:9.3f} {times['new'] * 1e3:9.3f} "
                            f"{times['new'] / times['old']:8.3f}  {same}")
    print_flush(describe_load(load))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
