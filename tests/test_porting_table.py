"""The porting table (docs/porting.md) states only what the code does.

Each table row's first cell is one code span, ``dlbook.module.Name(arg=default, ...)``; the test
imports the name and checks every stated default against ``inspect.signature``. Rows marked
"(planned)" name what the second edition adds: they are checked as soon as the name exists.
The PyTorch column is checked the same way where its cell names a ``torch.`` callable with
defaults, when torch is installed.
"""
import ast
import importlib
import inspect
import pathlib
import re

import pytest

PAGE = pathlib.Path(__file__).resolve().parents[1] / "docs" / "porting.md"
CODE = re.compile(r"`([^`]+)`")


def table_rows(text=None):
    """The cells of every table body row of the page, as lists of stripped strings."""
    text = PAGE.read_text(encoding="utf-8") if text is None else text
    rows = []
    for line in text.splitlines():
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] == "dlbook":  # a header row
            continue
        rows.append(cells)
    return rows


def parse_call(span):
    """``'a.b.C(x=1, y=(2, 3))'`` -> ``('a.b.C', {'x': 1, 'y': (2, 3)})``; no parentheses, no
    defaults."""
    name, _, rest = span.partition("(")
    if not rest:
        return name.strip(), {}
    call = ast.parse(f"f({rest}", mode="eval").body
    assert not call.args, f"{span!r}: only name=value pairs may follow the name"
    return name.strip(), {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}


def resolve(dotted):
    """The object a dotted name refers to: the longest importable module prefix, then
    attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(dotted)


def check_defaults(dotted, stated):
    """Assert that each stated default is the real one; return how many were compared."""
    parameters = inspect.signature(resolve(dotted)).parameters
    for arg, value in stated.items():
        assert arg in parameters, f"{dotted}: the table names {arg!r}, which it does not take"
        real = parameters[arg].default
        assert real is not inspect.Parameter.empty, f"{dotted}: {arg!r} has no default"
        assert real == value and type(real) is type(value) or (
            isinstance(real, (int, float)) and not isinstance(real, bool)
            and isinstance(value, (int, float)) and not isinstance(value, bool)
            and real == value), f"{dotted}: the table says {arg}={value!r}, the code {real!r}"
    return len(stated)


def dlbook_cells():
    return [(CODE.search(row[0]).group(1), "(planned)" in row[0]) for row in table_rows()]


def test_the_parser_reads_a_row_as_written():
    rows = table_rows("| dlbook | Keras 3 | PyTorch | What differs |\n|---|---|---|---|\n"
                      "| `dlbook.optim.Adam(epsilon=1e-08, beta_1=0.9)` | x | y | z |\n")
    assert rows == [["`dlbook.optim.Adam(epsilon=1e-08, beta_1=0.9)`", "x", "y", "z"]]
    assert parse_call("dlbook.layers.MaxPooling2D(pool_size=(2, 2), strides=None)") == (
        "dlbook.layers.MaxPooling2D", {"pool_size": (2, 2), "strides": None})
    assert parse_call("dlbook.layers.Flatten") == ("dlbook.layers.Flatten", {})


def test_a_wrong_default_in_the_table_is_caught():
    with pytest.raises(AssertionError, match="the code 1e-08"):
        check_defaults("dlbook.optim.Adam", {"epsilon": 1e-07})
    with pytest.raises(AssertionError, match="does not take"):
        check_defaults("dlbook.optim.SGD", {"lr": 0.01})


def test_every_dlbook_name_exists_and_its_stated_defaults_are_the_real_ones():
    cells = dlbook_cells()
    checked = 0
    for span, planned in cells:
        name, stated = parse_call(span)
        assert name.startswith("dlbook."), span
        try:
            resolve(name)
        except (ImportError, AttributeError):
            assert planned, f"{name} is in the porting table but not in dlbook"
            continue
        checked += check_defaults(name, stated)
    assert checked >= 60, checked  # the table states defaults, not just names


def test_the_table_covers_every_public_name_of_the_readers_modules():
    named = {parse_call(span)[0] for span, _ in dlbook_cells()}
    modules = {"dlbook.functional": [], "dlbook.optim": ["Optimizer"],
               "dlbook.callbacks": ["ProgressLogger"],
               "dlbook.layers": ["Layer", "ACTIVATIONS", "INITIALIZERS", "serialize",
                                 "deserialize"]}
    for module, internal in modules.items():
        for public in importlib.import_module(module).__all__:
            if public not in internal:
                assert f"{module}.{public}" in named, f"{module}.{public} is not in the table"
    for method in ("compile", "fit", "evaluate", "predict", "summary", "save", "load"):
        assert f"dlbook.model.Sequential.{method}" in named


def test_the_torch_defaults_the_table_states():
    pytest.importorskip("torch")
    checked = 0
    for row in table_rows():
        for span in CODE.findall(row[2]):
            name, stated = parse_call(span)
            if name.startswith("torch."):
                resolve(name)
                checked += check_defaults(name, stated) if stated else 0
    assert checked >= 40, checked


def _epsilon_row():
    rows = [row for row in table_rows() if row[0].startswith("`dlbook.optim.RMSProp(")
            and "INSIDE the root" in row[1]]
    assert len(rows) == 1, "the page needs one RMSprop row in 'Where epsilon goes'"
    return rows[0]


def _rmsprop_step_ratio(g, steps, rho=0.9, epsilon=1e-7, learning_rate=0.001):
    """dlbook's step (dlbook.optim.RMSProp itself) over Keras 3's (its formula), step ``steps``."""
    import numpy as np

    from dlbook import Parameter
    from dlbook.optim import RMSProp
    from dlbook.value_exercises import _keras3_rmsprop_steps

    p, optimizer = Parameter(np.zeros(1)), RMSProp(learning_rate=learning_rate, rho=rho,
                                                   epsilon=epsilon)
    for _ in range(steps):
        previous = p.data.copy()
        p.grad[...] = g
        optimizer.step([p])
    keras = _keras3_rmsprop_steps(g, steps, learning_rate, rho, epsilon)[-1]
    return float(previous[0] - p.data[0]) / keras


def test_the_rmsprop_epsilon_row_states_the_computed_numbers():
    row = _epsilon_row()
    assert "sqrt(s) + ε" in row[0] and "sqrt(s + ε)" in row[1] and "sqrt(s) + ε" in row[2]
    differs = row[3]
    floor = float(re.search(r"floor of sqrt\(ε\) = ([\d.e-]+)", differs).group(1))
    assert abs(floor - 1e-7 ** 0.5) < 0.05 * floor
    claims = [(float(g), int(steps), float(ratio)) for g, ratio, steps in re.findall(
        r"g = ([\d.e-]+) its step is ([\d.]+) times smaller once s ≈ g² \((\d+) steps\)",
        differs)]
    claims += [(claims[0][0], 1, float(re.search(
        r"and ([\d.]+) times smaller on the first step", differs).group(1)))]
    claims += [(float(g), int(steps), float(ratio)) for g, ratio, steps in re.findall(
        r"for g = ([\d.e-]+), ([\d.]+) times \((\d+) steps\)", differs)]
    assert len(claims) == 3, claims
    for g, steps, stated in claims:
        computed = _rmsprop_step_ratio(g, steps)
        assert abs(computed - stated) < 0.006 * stated, (g, steps, stated, computed)


def test_dlbook_rmsprop_puts_epsilon_outside_the_root():
    # with s = (1 - rho) g^2 after one step: g/(sqrt(s) + eps) is dlbook's, g/sqrt(s + eps) is not
    import numpy as np

    from dlbook import Parameter
    from dlbook.optim import RMSProp

    p = Parameter(np.zeros(1))
    p.grad[...] = 1e-4
    RMSProp(learning_rate=1.0, rho=0.9, epsilon=1e-7).step([p])
    s = 0.1 * 1e-8
    assert np.isclose(-p.data[0], 1e-4 / (np.sqrt(s) + 1e-7), rtol=1e-12)
    assert not np.isclose(-p.data[0], 1e-4 / np.sqrt(s + 1e-7), rtol=1e-2)
