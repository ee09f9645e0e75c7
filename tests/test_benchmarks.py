"""The benchmark command runs end to end and what it prints adds up.

Speed itself is measured, never asserted. What is asserted: every part ran, every printed time
is positive and finite, and every printed ratio agrees with the numbers printed beside it within
the rounding of their printed digits (interval arithmetic: a number printed with d decimals is
the true one to within half a unit of its last digit). The command runs once with torch as it
is installed and once with torch hidden (a stand-in package on PYTHONPATH whose import fails,
as when torch is not installed), in which case the torch columns print '-'.
"""

import importlib.util
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import bench_conv, bench_pool

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("conv", "pool", "adam", "memory", "digits")
TORCH_INSTALLED = importlib.util.find_spec("torch") is not None
NUMBER = r"[-+]?\d[\d,]*\.?\d*(?:e[-+]?\d+)?"


def _run(tmp_dir, hide_torch, parts):
    env = dict(os.environ)
    # Scripts run as files (bench_adam.py, bench_digits_cnn.py) import this checkout's dlbook.
    paths = [str(ROOT)]
    if hide_torch:
        blocker = tmp_dir / "torch"
        blocker.mkdir()
        (blocker / "__init__.py").write_text('raise ImportError("torch is hidden for this run")\n')
        paths.insert(0, str(tmp_dir))
    env["PYTHONPATH"] = os.pathsep.join(paths + [env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", ",".join(parts)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("torch"), hide_torch=False, parts=PARTS)


@pytest.fixture(scope="module")
def output_without_torch(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("no_torch"), hide_torch=True, parts=("conv", "pool", "adam"))


# ---- reading the printed numbers --------------------------------------------------------------


def _decimals(text):
    """Half a unit of the last printed digit of ``text``, as an absolute error."""
    text = text.replace(",", "").rstrip("x")
    mantissa, _, exponent = text.lower().partition("e")
    places = len(mantissa.partition(".")[2])
    return 0.5 * 10.0 ** (-places + (int(exponent) if exponent else 0))


def _value(text):
    value = float(text.replace(",", "").rstrip("x"))
    assert math.isfinite(value), text
    return value


def _interval(text):
    value, half = _value(text), _decimals(text)
    return value - half, value + half


def _quotient(numerator, denominator):
    """The interval of numerator / denominator for two printed positive numbers."""
    (n_low, n_high), (d_low, d_high) = _interval(numerator), _interval(denominator)
    assert d_high > 0, denominator
    return n_low / d_high, (n_high / d_low if d_low > 0 else math.inf)


def assert_ratio(printed, numerator, denominator):
    """``printed`` (a ratio) agrees with numerator / denominator within the printed digits."""
    low, high = _quotient(numerator, denominator)
    ratio_low, ratio_high = _interval(printed)
    assert ratio_low <= high and ratio_high >= low, (
        f"ratio {printed} but {numerator} / {denominator} is in [{low:.4g}, {high:.4g}]")


def assert_time(text):
    assert _value(text) > 0, text


def assert_ratio_printed(text):
    """A printed ratio of two positive times: at least 0 (it rounds to 0 when the denominator
    is hundreds of times larger)."""
    assert _interval(text)[1] > 0, text


def _section(output, part):
    match = re.search(rf"^=== {part} ===\n(.*?)^\[{part}: ({NUMBER}) s\]$", output, re.S | re.M)
    assert match, f"part {part} did not run or did not finish"
    assert_time(match.group(2))
    return match.group(1)


def _table(section, header_words):
    """The rows under the header line that holds ``header_words`` (in order) and its dashes."""
    lines = section.splitlines()
    for index, line in enumerate(lines):
        if re.search(r"\s+".join(re.escape(word) for word in header_words), line):
            assert set(lines[index + 1]) == {"-"}, lines[index + 1]
            rows = []
            for row in lines[index + 2:]:
                if not row.strip() or not re.search(r"\d", row) or ":" in row:
                    break
                rows.append(row)
            assert rows, f"no rows under {line!r}"
            return rows
    raise AssertionError(f"no table with the columns {header_words}")


# ---- conv -------------------------------------------------------------------------------------

CONV_COLUMNS = ("fwd", "/torch", "fwd+bwd", "/torch", "scipy x", "naive x", "max|d|")


def _conv_rows(output):
    section = _section(output, "conv")
    assert "conv2d, float32:" in section  # --quick runs float32 only
    rows = []
    for line in _table(section, ("strategy",) + CONV_COLUMNS):
        head, *cells = line.rsplit(maxsplit=7)
        label, strategy = head.rsplit(maxsplit=1)
        rows.append((label.strip(), strategy, dict(zip(("fwd", "fwd_torch", "fb", "fb_torch",
                                                        "scipy", "naive", "diff"), cells))))
    return section, rows


def _geometric_mean_interval(cells):
    lows, highs = zip(*(_interval(cell) for cell in cells))
    mean = lambda values: math.exp(sum(math.log(v) for v in values) / len(values))  # noqa: E731
    return mean([max(low, 1e-300) for low in lows]), mean(highs)


def _check_conv(output, torch_expected):
    section, rows = _conv_rows(output)
    expected = [bench_conv.shape_label(*shape) for shape in bench_conv.QUICK_SHAPES]
    assert [label for label, _, _ in rows] == expected
    for label, strategy, cell in rows:
        assert strategy and not re.fullmatch(NUMBER, strategy), strategy
        assert_time(cell["fwd"])
        assert_time(cell["fb"])
        for ratio in ("scipy", "naive") + (("fwd_torch", "fb_torch") if torch_expected else ()):
            assert_ratio_printed(cell[ratio])
        if torch_expected:
            assert 0 <= _value(cell["diff"]) < 1e-3, (label, cell["diff"])  # float32 vs torch
        else:
            assert (cell["fwd_torch"], cell["fb_torch"], cell["diff"]) == ("-", "-", "-"), label

    summary = re.search(rf"forward\+backward vs torch: geometric mean ({NUMBER})x, worst "
                        rf"({NUMBER})x", section)
    if torch_expected:
        ratios = [cell["fb_torch"] for _, _, cell in rows]
        low, high = _geometric_mean_interval(ratios)
        printed_low, printed_high = _interval(summary.group(1))
        assert printed_low <= high and printed_high >= low, (summary.group(0), ratios)
        assert summary.group(2) == max(ratios, key=_value)
    else:
        assert summary is None

    scipy = re.search(rf"faster than the scipy.signal loop: geometric mean ({NUMBER})x, least "
                      rf"({NUMBER})x \(on (.*)\)$", section, re.M)
    speedups = [cell["scipy"] for _, _, cell in rows]
    low, high = _geometric_mean_interval(speedups)
    printed_low, printed_high = _interval(scipy.group(1))
    assert printed_low <= high and printed_high >= low, (scipy.group(0), speedups)
    assert scipy.group(2) == min(speedups, key=_value)
    # the shape it names is one whose row shows the least speed-up
    assert scipy.group(3) in [label for label, _, cell in rows if cell["scipy"] == scipy.group(2)]


def test_conv_table_times_are_positive_and_its_summaries_match_its_rows(output):
    _check_conv(output, torch_expected=TORCH_INSTALLED)


def test_conv_table_without_torch_marks_the_torch_columns(output_without_torch):
    assert "torch not installed" in output_without_torch
    _check_conv(output_without_torch, torch_expected=False)


# ---- pool -------------------------------------------------------------------------------------


def _check_pool(output, torch_expected):
    section = _section(output, "pool")
    rows = _table(section, ("dtype", "x shape", "kind", "fwd", "fwd+bwd", "torch f+b", "/torch"))
    seen = []
    for line in rows:
        match = re.fullmatch(r"(\w+)\s+(\(.*?\))\s+(max|avg)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)",
                             line.strip())
        assert match, line
        dtype, shape, kind, fwd, fb, torch_fb, ratio = match.groups()
        seen.append((dtype, shape, kind))
        assert_time(fwd)
        assert_time(fb)
        if torch_expected:
            assert_time(torch_fb)
            assert_ratio(ratio, fb, torch_fb)
        else:
            assert (torch_fb, ratio) == ("-", "-"), line
    assert seen == [("float32", str(shape), kind)
                    for shape in bench_pool.QUICK_SHAPES for kind in bench_pool.KERNELS]


def test_pool_ratios_are_the_printed_times_divided(output):
    _check_pool(output, torch_expected=TORCH_INSTALLED)


def test_pool_table_without_torch_marks_the_torch_columns(output_without_torch):
    _check_pool(output_without_torch, torch_expected=False)


# ---- adam -------------------------------------------------------------------------------------

ADAM_BYTES_PER_PARAMETER = 28  # read p, g, m, v; write p, m, v (float32)


def _check_adam(output, torch_expected):
    section = _section(output, "adam")
    rows = _table(section, ("parameters", "contender", "ms/step", "GB/s eff.", "dlbook/this",
                            "max |dp| vs naive"))
    contenders = {}
    for line in rows:
        match = re.fullmatch(rf"({NUMBER})\s+(.+?)\s+({NUMBER})\s+({NUMBER})\s+({NUMBER}x)\s+"
                             rf"({NUMBER})", line.strip())
        assert match, line
        size, name, ms, bandwidth, ratio, disagreement = match.groups()
        contenders.setdefault(int(size.replace(",", "")), []).append(name)
        assert_time(ms)
        # GB/s = 28 bytes * parameters / seconds: recomputed from the printed ms/step
        megabytes = ADAM_BYTES_PER_PARAMETER * int(size.replace(",", "")) / 1e6
        ms_low, ms_high = _interval(ms)
        low, high = megabytes / ms_high, (megabytes / ms_low if ms_low > 0 else math.inf)
        b_low, b_high = _interval(bandwidth)
        assert b_low <= high and b_high >= low, line
        # the ratio is a median over repeats of per-repeat ratios, so it need not equal the
        # ratio of the medians; dlbook against itself is exactly 1
        assert_ratio_printed(ratio)
        if name == "dlbook":
            assert ratio == "1.00x", line
        # every contender took the same steps from the same start
        assert 0 <= _value(disagreement) < 1e-4, line
        if name == "naive":
            assert _value(disagreement) == 0, line
    assert len(contenders) >= 2, contenders
    for size, names in contenders.items():
        assert {"dlbook", "naive"} <= set(names), (size, names)
        assert ("torch foreach" in names) == torch_expected, (size, names)
        assert names == contenders[min(contenders)], "every size runs the same contenders"


def test_adam_bandwidth_follows_from_the_printed_time(output):
    _check_adam(output, torch_expected=TORCH_INSTALLED)


def test_adam_table_without_torch_has_no_torch_row(output_without_torch):
    assert "torch not importable" in _section(output_without_torch, "adam")
    _check_adam(output_without_torch, torch_expected=False)


# ---- memory -----------------------------------------------------------------------------------


def test_memory_figures_follow_from_the_printed_shapes(output):
    section = _section(output, "memory")
    shapes = re.search(r"x \((\d+), (\d+), (\d+), (\d+)\), w \((\d+), (\d+), (\d+), (\d+)\), "
                       r"padding 1, float32", section)
    n, c, h, w, o, _, kh, kw = (int(v) for v in shapes.groups())
    megabytes = {key: re.search(rf"{pattern}\s*({NUMBER}) MB", section).group(1)
                 for key, pattern in [("peak", "inputs and outputs included:"),
                                      ("above", "minus the inputs x, w, dy:"),
                                      ("outputs", r"outputs y, dx, dw, db:"),
                                      ("rss", "size of the process:"),
                                      ("rss_before", "before the inputs:"),
                                      ("columns", "for the whole batch:")]}
    for text in megabytes.values():
        assert_time(text)
    value = {key: _value(text) for key, text in megabytes.items()}
    inputs = (n * c * h * w + o * c * kh * kw + n * o * h * w) * 4 / 1e6  # x, w, dy (same size)
    outputs = (n * o * h * w + n * c * h * w + o * c * kh * kw + o) * 4 / 1e6  # y, dx, dw, db
    assert abs(value["peak"] - value["above"] - inputs) <= 1.0  # each printed to 0.5 MB
    assert abs(value["outputs"] - outputs) <= 0.5
    assert abs(value["columns"] - c * kh * kw * n * h * w * 4 / 1e6) <= 0.5
    assert value["peak"] >= inputs + outputs - 1.0  # inputs and outputs are alive at the end
    assert value["rss"] >= value["rss_before"]
    # the batch is processed in chunks: far less than one column matrix above inputs and outputs
    assert value["above"] - value["outputs"] < value["columns"]


# ---- digits -----------------------------------------------------------------------------------


def test_digits_run_reports_consistent_epochs_and_accuracy(output):
    section = _section(output, "digits")
    run = re.search(rf"run 1/1: ({NUMBER}) s, (\d+) epochs \(({NUMBER}) s/epoch\), test "
                    rf"accuracy ({NUMBER})", section)
    seconds, epochs, per_epoch, accuracy = run.groups()
    assert_time(seconds)
    assert int(epochs) == 2  # --quick: two epochs, no target
    assert_ratio(per_epoch, seconds, epochs)
    per_epoch_accuracy = re.search(r"test accuracy per epoch: (.*)", section).group(1).split()
    assert len(per_epoch_accuracy) == int(epochs)
    assert all(0 <= _value(a) <= 1 for a in per_epoch_accuracy)
    assert abs(_value(per_epoch_accuracy[-1]) - _value(accuracy)) <= 0.0005 + 0.00005
    median = re.search(rf"median wall time: ({NUMBER}) s for (\d+) epochs to test accuracy "
                       rf"({NUMBER})", section)
    assert median.groups() == (seconds, epochs, accuracy)  # one repeat: its median is itself
    counts = [int(v.replace(",", "")) for v in re.findall(r"^\w+ \(\w+\)\s+\(.*?\)\s+(\S+)$",
                                                          section, re.M)]
    total = int(re.search(r"Total params: ([\d,]+)", section).group(1).replace(",", ""))
    assert len(counts) == 5 and sum(counts) == total


def test_every_part_ran_and_none_failed(output):
    assert output.startswith("dlbook benchmarks (--quick")
    for part in ("conv2d", "pool", "adam", "memory", "digits"):
        assert part in output.lower(), part
    for part in PARTS:
        _section(output, part)
    assert "parts that failed" not in output
    assert "skipped" not in output
    assert ("torch not installed" in output) != TORCH_INSTALLED


# ---- compare_conv -----------------------------------------------------------------------------


def test_compare_conv_against_this_checkout_finds_the_same_numbers_and_consistent_ratios():
    """Compared with itself, every case gives the same numbers, and each new/old is the ratio
    of the two times printed beside it."""
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.compare_conv",
         str(ROOT / "dlbook" / "functional" / "conv.py"), "--quick"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = re.findall(rf"^(\(.*?\);\(.*?\);\d+,\d+)\s+({NUMBER})\s+({NUMBER})\s+({NUMBER})\s+(\w+)$",
                      result.stdout, re.M)
    expected = [bench_conv.shape_label(*shape) for shape in bench_conv.QUICK_SHAPES]
    assert [row[0] for row in rows] == expected * 2  # float32, then float64
    for _, old, new, ratio, same in rows:
        assert_time(old)
        assert_time(new)
        assert_ratio(ratio, new, old)
        assert same == "True"
