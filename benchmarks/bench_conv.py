"""Benchmark: conv2d forward and forward+backward against torch, the scipy.signal loop and the
naive loops of ``dlbook.functional.reference``.

For float32 and float64 and each of six shapes (a LeNet on MNIST, the digits CNN, a CIFAR-size
layer with stride 1 and 2), it prints the median time of ``conv2d`` (forward) and of
``conv2d`` + ``conv2d_backward`` (forward+backward: y, dx, dw, and db), the strategy
:func:`dlbook.functional.conv.choose_strategy` picked, and the ratios measured in the same run.
With ``--strategy NAME`` it times that entry of the table
:data:`dlbook.functional.conv.STRATEGIES` instead (``im2col``, the readable path, or a tuned
one), on every shape:

- ``/torch``: dlbook's time over ``torch.nn.functional.conv2d`` (forward+backward through
  ``torch.autograd.grad`` for dx and dw), 2 threads, on the same data (when torch is installed);
- ``scipy x``: how many times faster dlbook is than the oracle of ``dlbook.verify`` (a loop of
  ``scipy.signal.correlate2d`` / ``convolve2d`` calls over images, filters and channels);
- ``naive x``: how many times faster dlbook is than ``conv2d_naive`` + ``conv2d_backward_naive``.

The two loops are too slow to run on whole batches: they are timed on a few images (scipy) or
on one image and one filter (naive; its seven nested Python loops cost the same per iteration)
and scaled to the full problem by their loop counts. All other times are medians of interleaved
repeats (see :func:`benchmarks.time_interleaved`).

Usage::

    python -m benchmarks.bench_conv            # the six shapes, float32 and float64
    python -m benchmarks.bench_conv --quick    # small shapes, one dtype, a few seconds
    python -m benchmarks.bench_conv --strategy im2col   # the readable path on the six shapes
"""

import time

import numpy as np

from benchmarks import (
    OtherLoad,
    describe_load,
    geometric_mean,
    kernel_arguments,
    kernel_setup,
    print_flush,
    time_interleaved,
)
from dlbook import verify
from dlbook.functional import conv2d, conv2d_backward
from dlbook.functional.conv import STRATEGIES, choose_strategy
from dlbook.functional.reference import conv2d_backward_naive, conv2d_naive

# (x shape, w shape, padding, stride): the shapes of the performance issue.
SHAPES = [
    ((64, 1, 28, 28), (6, 1, 5, 5), 2, 1),
    ((64, 6, 14, 14), (16, 6, 5, 5), 0, 1),
    ((128, 1, 8, 8), (16, 1, 3, 3), 1, 1),
    ((128, 16, 4, 4), (32, 16, 3, 3), 1, 1),
    ((32, 32, 32, 32), (64, 32, 3, 3), 1, 1),
    ((32, 32, 32, 32), (64, 32, 3, 3), 1, 2),
]
QUICK_SHAPES = [
    ((8, 1, 12, 12), (4, 1, 5, 5), 2, 1),
    ((16, 4, 4, 4), (8, 4, 3, 3), 1, 1),
    ((4, 8, 16, 16), (8, 8, 3, 3), 1, 2),
]
TARGET_GEOMEAN = 1.5
TARGET_WORST = 2.5
TARGET_SCIPY = 50.0


def shape_label(x_shape, w_shape, padding, stride):
    return f"{x_shape};{w_shape};{padding},{stride}"


def _inputs(x_shape, w_shape, padding, stride, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    y = conv2d(x, w, stride=stride, padding=padding)
    dy = rng.standard_normal(y.shape).astype(dtype)
    return x, w, dy


def _time_once(call):
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def scipy_loop_seconds(x, w, dy, padding, stride, images):
    """Forward+backward time of the scipy.signal oracle, timed on ``images`` images and scaled
    to the batch (its loops are exactly linear in the number of images)."""
    part = slice(0, min(images, x.shape[0]))
    kwargs = {"stride": stride, "padding": padding}
    seconds = _time_once(lambda: (verify.scipy_conv2d(x[part], w, **kwargs),
                                  verify.scipy_conv2d_backward(dy[part], x[part], w, **kwargs)))
    return seconds * x.shape[0] / (part.stop - part.start)


def naive_loop_seconds(x, w, dy, padding, stride):
    """Forward+backward time of the naive loops, timed on one image and one filter and scaled
    by the loop counts (the loops' bodies cost the same whatever the sizes)."""
    kwargs = {"stride": stride, "padding": padding}
    x1, w1, dy1 = x[:1], w[:1], dy[:1, :1]
    seconds = _time_once(lambda: (conv2d_naive(x1, w1, **kwargs),
                                  conv2d_backward_naive(dy1, x1, w1, **kwargs)))
    return seconds * x.shape[0] * w.shape[0]


def torch_calls(torch, x, w, dy, padding, stride):
    xt, wt, dyt = (torch.from_numpy(a.copy()) for a in (x, w, dy))
    xg, wg = xt.clone().requires_grad_(True), wt.clone().requires_grad_(True)

    def forward():
        with torch.no_grad():
            return torch.nn.functional.conv2d(xt, wt, stride=stride, padding=padding)

    def forward_backward():
        y = torch.nn.functional.conv2d(xg, wg, stride=stride, padding=padding)
        return (y,) + torch.autograd.grad(y, (xg, wg), dyt)

    return forward, forward_backward


def bench_shape(x_shape, w_shape, padding, stride, dtype, torch, rounds, loops=True,
                strategy=None):
    """Times of one shape; ``strategy`` names an entry of ``STRATEGIES`` to time instead of
    ``conv2d`` / ``conv2d_backward`` (None: the library's own choice)."""
    x, w, dy = _inputs(x_shape, w_shape, padding, stride, dtype)
    kwargs = {"stride": stride, "padding": padding}
    conv, conv_backward = (conv2d, conv2d_backward) if strategy is None else STRATEGIES[strategy]

    def forward():
        return conv(x, w, **kwargs)

    def forward_backward():
        return (conv(x, w, **kwargs),) + conv_backward(dy, x, w, **kwargs)

    contenders = {"fwd": forward, "fb": forward_backward}
    result = {"strategy": strategy or choose_strategy(x_shape, w_shape, stride, padding)}
    if torch is not None:
        contenders["torch fwd"], contenders["torch fb"] = torch_calls(
            torch, x, w, dy, padding, stride)
        ours, theirs = forward_backward(), contenders["torch fb"]()
        result["max_diff"] = max(
            float(np.max(np.abs(a - b.detach().numpy()))) for a, b in zip(ours[:3], theirs))
    result.update(time_interleaved(contenders, rounds=rounds))
    if loops:
        result["scipy"] = scipy_loop_seconds(x, w, dy, padding, stride, images=2)
        result["naive"] = naive_loop_seconds(x, w, dy, padding, stride)
    return result


def print_table(dtype, shapes, results, torch, targets=True):
    name = np.dtype(dtype).name
    print_flush(f"\nconv2d, {name}: median ms per call; '/torch' = dlbook time / torch time; "
                "'scipy x', 'naive x' = how many times faster dlbook is (forward+backward)")
    header = (f"{'x ; w ; padding, stride':<42} {'strategy':<20} {'fwd':>7} {'/torch':>6} "
              f"{'fwd+bwd':>8} {'/torch':>6} {'scipy x':>8} {'naive x':>8} {'max|d|':>8}")
    print_flush(header)
    print_flush("-" * len(header))
    for shape, r in zip(shapes, results):
        has_torch = "torch fb" in r
        fwd_ratio = f"{r['fwd'] / r['torch fwd']:.2f}" if has_torch else "-"
        fb_ratio = f"{r['fb'] / r['torch fb']:.2f}" if has_torch else "-"
        scipy_x = f"{r['scipy'] / r['fb']:.0f}" if "scipy" in r else "-"
        naive_x = f"{r['naive'] / r['fb']:.0f}" if "naive" in r else "-"
        diff = f"{r['max_diff']:.1e}" if has_torch else "-"
        print_flush(f"{shape_label(*shape):<42} {r['strategy']:<20} {r['fwd'] * 1e3:>7.3f} "
                    f"{fwd_ratio:>6} {r['fb'] * 1e3:>8.3f} {fb_ratio:>6} {scipy_x:>8} "
                    f"{naive_x:>8} {diff:>8}")
    if torch is not None:
        ratios = [r["fb"] / r["torch fb"] for r in results]
        print_flush(f"forward+backward vs torch: geometric mean {geometric_mean(ratios):.2f}x, "
                    f"worst {max(ratios):.2f}x"
                    + (f" (targets for float32: <= {TARGET_GEOMEAN}x and <= {TARGET_WORST}x)"
                       if targets and name == "float32" else ""))
    if all("scipy" in r for r in results):
        speedups = [r["scipy"] / r["fb"] for r in results]
        slowest = shape_label(*shapes[int(np.argmin(speedups))])
        print_flush(f"faster than the scipy.signal loop: geometric mean "
                    f"{geometric_mean(speedups):.0f}x, least {min(speedups):.0f}x (on {slowest})"
                    + (f" (target >= {TARGET_SCIPY:.0f}x)" if targets else ""))


def main(argv=None):
    parser = kernel_arguments(__doc__.splitlines()[0], "three small shapes, float32 only, two rounds")
    parser.add_argument("--no-loops", action="store_true",
                        help="skip the (slow) scipy and naive loop baselines")
    parser.add_argument("--strategy", choices=list(STRATEGIES), default=None,
                        help="time this entry of dlbook.functional.conv.STRATEGIES on every "
                             "shape (default: conv2d, which picks by choose_strategy)")
    args = parser.parse_args(argv)
    torch, dtypes, rounds = kernel_setup(args)
    shapes = QUICK_SHAPES if args.quick else SHAPES
    for dtype in dtypes:
        with OtherLoad() as load:
            results = [bench_shape(*shape, dtype, torch, rounds, loops=not args.no_loops,
                                   strategy=args.strategy)
                       for shape in shapes]
        print_table(dtype, shapes, results, torch, targets=not args.quick)
        print_flush(describe_load(load))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
