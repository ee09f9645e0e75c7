"""Benchmark: 2x2 max and average pooling, forward+backward, against torch.

For float32 and float64 and the two shapes of the performance issue, it prints the median time
of ``max_pool2d`` + ``max_pool2d_backward`` (and the average-pooling pair), of the forward pass
alone, and the ratio to ``torch.nn.functional.max_pool2d`` / ``avg_pool2d`` with the gradient
from ``torch.autograd.grad`` (2 threads), measured in the same run on the same data.

Usage::

    python -m benchmarks.bench_pool            # both shapes, float32 and float64
    python -m benchmarks.bench_pool --quick    # one small shape, float32, a second or two
"""


import numpy as np

from benchmarks import (
    OtherLoad,
    describe_load,
    kernel_arguments,
    kernel_setup,
    print_flush,
    time_interleaved,
)
from dlbook.functional import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward

SHAPES = [(64, 6, 28, 28), (32, 64, 32, 32)]
QUICK_SHAPES = [(8, 4, 16, 16)]
POOL = 2
TARGET = 2.0
KERNELS = {
    "max": (max_pool2d, max_pool2d_backward),
    "avg": (avg_pool2d, avg_pool2d_backward),
}


def bench_shape(shape, dtype, torch, rounds):
    rng = np.random.default_rng(0)
    # Rounded values, as after a ReLU and a few layers: ties are common and must be handled.
    x = np.round(rng.standard_normal(shape), 1).astype(dtype)
    dy = rng.standard_normal(shape[:2] + (shape[2] // POOL, shape[3] // POOL)).astype(dtype)
    contenders = {}
    for kind, (forward, backward) in KERNELS.items():
        contenders[f"{kind} fwd"] = lambda forward=forward: forward(x, POOL)
        contenders[f"{kind} fb"] = lambda forward=forward, backward=backward: (
            forward(x, POOL), backward(dy, x, POOL))
        if torch is not None:
            function = getattr(torch.nn.functional, f"{kind}_pool2d")
            xt = torch.from_numpy(x.copy()).requires_grad_(True)
            dyt = torch.from_numpy(dy.copy())

            def torch_fb(function=function, xt=xt, dyt=dyt):
                y = function(xt, POOL)
                return y, torch.autograd.grad(y, (xt,), dyt)[0]

            contenders[f"torch {kind} fb"] = torch_fb
    return time_interleaved(contenders, rounds=rounds)


def main(argv=None):
    parser = kernel_arguments(__doc__.splitlines()[0], "one small shape, float32")
    args = parser.parse_args(argv)
    torch, dtypes, rounds = kernel_setup(args)
    shapes = QUICK_SHAPES if args.quick else SHAPES
    print_flush(f"\npooling {POOL}x{POOL}, stride {POOL}: median ms per call; '/torch' = dlbook "
                "forward+backward time / torch's"
                + ("" if args.quick else f" (target <= {TARGET:.0f}x)"))
    header = (f"{'dtype':<8} {'x shape':<18} {'kind':<4} {'fwd':>7} {'fwd+bwd':>8} "
              f"{'torch f+b':>9} {'/torch':>6}")
    print_flush(header)
    print_flush("-" * len(header))
    with OtherLoad() as load:
        for dtype in dtypes:
            for shape in shapes:
                r = bench_shape(shape, dtype, torch, rounds)
                for kind in KERNELS:
                    theirs = r.get(f"torch {kind} fb")
                    print_flush(
                        f"{np.dtype(dtype).name:<8} {str(shape):<18} {kind:<4} "
                        f"{r[f'{kind} fwd'] * 1e3:>7.3f} {r[f'{kind} fb'] * 1e3:>8.3f} "
                        + (f"{theirs * 1e3:>9.3f} {r[f'{kind} fb'] / theirs:>6.2f}"
                           if theirs else f"{'-':>9} {'-':>6}"))
    print_flush(describe_load(load))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
