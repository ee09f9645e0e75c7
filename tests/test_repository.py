"""The repository keeps its promises: CI runs the README's test command, dependencies float."""

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands():
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```bash\n(.*?)\n```", text, flags=re.S)


def test_readme_has_a_read_command_and_a_test_command():
    commands = _readme_commands()
    assert any("jupyter lab chapters/" in c for c in commands)
    assert any("pytest" in c and "--nbval" in c for c in commands)


def test_ci_runs_exactly_the_readme_test_command():
    test_command = next(c for c in _readme_commands() if "pytest" in c and "--nbval" in c)
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command.strip() in [line.strip() for line in ci_lines]
    assert "--nbval-lax" not in test_command


def test_ci_does_not_set_the_matplotlib_backend():
    assert "MPLBACKEND" not in (ROOT / ".ci" / "run").read_text()


# jupyter-book 2.x downloads its theme at build time, which fails offline: it is the one
# upper bound the project carries.
ALLOWED_UPPER_BOUNDS = {"jupyter-book"}


def test_dependencies_have_lower_bounds_only():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    for requirement in requirements:
        name = re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0]
        assert "==" not in requirement, requirement
        assert "<" not in requirement or name in ALLOWED_UPPER_BOUNDS, requirement


def test_the_readme_example_runs_and_gives_the_shape_it_states():
    text = (ROOT / "README.md").read_text()
    example = re.search(r"```python\n(.*?)\n```", text, flags=re.S).group(1)
    namespace = {}
    exec(compile(example, "README.md", "exec"), namespace)
    assert namespace["y"].shape == (8, 16, 32, 32)
    assert "# (8, 16, 32, 32)" in example


LIBRARY = ROOT / "dlbook"


def _library_modules():
    return sorted(LIBRARY.rglob("*.py"))


def test_no_room_of_the_library_is_over_400_lines_and_no_class_over_300():
    too_long = []
    for path in _library_modules():
        text = path.read_text()
        if len(text.splitlines()) > 400:
            too_long.append(f"{path.relative_to(ROOT)}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > 300:
                too_long.append(f"{path.relative_to(ROOT)}: class {node.name} "
                                f"{node.end_lineno - node.lineno + 1} lines")
    assert too_long == []


def _imports(path):
    """(module, imported name) for every ``from dlbook... import name`` and ``import dlbook...``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("dlbook"):
            found += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names if alias.name.startswith("dlbook")]
    return found


def test_the_naive_reference_imports_nothing_private_from_the_kernels_it_checks():
    imported = _imports(LIBRARY / "functional" / "reference.py")
    private = [(module, name) for module, name in imported
               if module.startswith("dlbook.functional") and (name or "").startswith("_")]
    fast = [module for module, _ in imported if module == "dlbook.functional._conv_fast"]
    assert imported, "reference.py should at least use the shared argument checks"
    assert private == [] and fast == []


def test_data_flows_one_way_functional_knows_nothing_of_layers_or_models():
    later = ("dlbook.layers", "dlbook.model", "dlbook.training", "dlbook.optim", "dlbook.saving")
    for path in sorted((LIBRARY / "functional").glob("*.py")):
        for module, _ in _imports(path):
            assert not module.startswith(later), f"{path.name} imports {module}"
    for path in sorted((LIBRARY / "layers").glob("*.py")):
        for module, _ in _imports(path):
            assert not module.startswith(later[1:]), f"layers/{path.name} imports {module}"
