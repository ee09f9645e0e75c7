"""The repository keeps its promises: CI runs the README's test command, dependencies float."""

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
