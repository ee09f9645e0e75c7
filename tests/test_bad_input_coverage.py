"""The bad-input suite walks the whole public API: every public function and class of the
modules a reader calls has an entry in one of the ``tests/test_bad_input*.py`` tables.

A name counts as covered when it appears as a word in one of those files; the tables there
then check, for each entry, the exception type and that the message names the argument. A new
public function without a bad-input entry fails here.
"""

import importlib
import inspect
import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
MODULES = [
    "dlbook.functional", "dlbook.functional.conv", "dlbook.layers", "dlbook.model",
    "dlbook.optim", "dlbook.autograd", "dlbook.saving", "dlbook.exercises",
    "dlbook.optimizer_exercises", "dlbook.layer_exercises", "dlbook.value_exercises",
    "dlbook.datasets", "dlbook.parameter", "dlbook.callbacks",
    "dlbook.cost",
    "dlbook.signal_propagation",
    "dlbook.receptive_field",
    "dlbook.fitting_exercises",
]


def public_callables(module_name):
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None) or [
        name for name, value in vars(module).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == module_name]
    return sorted(name for name in names
                  if inspect.isfunction(getattr(module, name)) or inspect.isclass(getattr(module, name)))


SUITE = "\n".join(path.read_text() for path in sorted(TESTS.glob("test_bad_input*.py"))
                  if path.name != Path(__file__).name)


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_callable_has_a_bad_input_entry(module_name):
    names = public_callables(module_name)
    assert names, module_name
    missing = [name for name in names if not re.search(rf"\b{re.escape(name)}\b", SUITE)]
    assert missing == [], f"{module_name}: no bad-input entry for {missing}"
