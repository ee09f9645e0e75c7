"""The book's structure: every chapter has its parts, exercises, solutions and figures."""

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = [
    "01_backpropagation",
    "02_adam",
    "03_convolution",
    "04_cnn",
    "05_summary",
]
ALLOWED_IMPORTS = {"dlbook", "numpy", "scipy", "matplotlib"}
ORACLE_WORDS = ("scipy", "numerical_", "rel_error", "verify", "assert_allclose", "assert_array_equal")


def _load(path):
    return json.loads(path.read_text())


def _source(cell):
    return "".join(cell["source"])


def _code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code" and _source(c).strip()]


def _markdown(nb):
    return [_source(c) for c in nb["cells"] if c["cell_type"] == "markdown"]


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def test_the_book_has_exactly_the_listed_chapters():
    found = sorted(p.stem for p in (ROOT / "chapters").glob("*.ipynb"))
    assert found == CHAPTERS
    solutions = sorted(p.stem for p in (ROOT / "chapters" / "solutions").glob("*.ipynb"))
    assert solutions == [f"{c}_solutions" for c in CHAPTERS]


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_has_title_goals_math_oracle_figure_and_summary(name):
    nb = _load(ROOT / "chapters" / f"{name}.ipynb")
    markdown = _markdown(nb)
    assert nb["cells"][0]["cell_type"] == "markdown"
    assert re.match(rf"# {int(name[:2])}\. \S", _source(nb["cells"][0]))
    assert any("## Learning goals" in m and "\n- " in m for m in markdown)
    assert any("$$" in m for m in markdown), "no displayed formula"
    assert any("## Summary" in m for m in markdown)
    code = [_source(c) for c in _code_cells(nb)]
    assert any(any(word in c for word in ORACLE_WORDS) for c in code), "no oracle check"
    figures = re.findall(r"!\[[^\]]*\]\((\.\./figures/[^)]+\.png)\)", "\n".join(markdown))
    assert figures, "no figure from figures/"
    for figure in figures:
        assert (ROOT / "chapters" / figure).resolve().is_file(), figure
    plots = [
        o for c in _code_cells(nb) for o in c.get("outputs", []) if "image/png" in o.get("data", {})
    ]
    assert plots, "no plot drawn in the chapter"


def _exercises(nb):
    """(stub cell, check cell) pairs: the two code cells after each '### Exercise' heading."""
    cells = nb["cells"]
    pairs = []
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "markdown" and _source(cell).lstrip().startswith("### Exercise"):
            following = [c for c in cells[i + 1 : i + 3] if c["cell_type"] == "code"]
            pairs.append(following)
    return pairs


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_has_at_least_three_exercises_with_checks(name):
    nb = _load(ROOT / "chapters" / f"{name}.ipynb")
    exercises = _exercises(nb)
    assert len(exercises) >= 3
    for pair in exercises:
        assert len(pair) == 2, "an exercise needs a stub cell and a check cell"
        stub, check = pair
        assert "raise NotImplementedError" in _source(stub)
        assert "exercises.check_" in _source(check)
        assert "raises-exception" in _tags(check)
        assert any(o["output_type"] == "error" and o["ename"] == "NotImplementedError" for o in check["outputs"])
    last_exercise = max(i for i, c in enumerate(nb["cells"]) if _source(c).lstrip().startswith("### Exercise"))
    first_exercise = min(i for i, c in enumerate(nb["cells"]) if _source(c).lstrip().startswith("### Exercise"))
    sections_between = [
        c for c in nb["cells"][first_exercise:last_exercise]
        if c["cell_type"] == "markdown" and _source(c).lstrip().startswith("## ")
    ]
    assert sections_between, "exercises belong at the ends of their sections, not in one dump"


@pytest.mark.parametrize("name", CHAPTERS)
def test_solutions_solve_every_exercise(name):
    chapter = _load(ROOT / "chapters" / f"{name}.ipynb")
    solutions = _load(ROOT / "chapters" / "solutions" / f"{name}_solutions.ipynb")
    pairs = _exercises(solutions)
    assert len(pairs) == len(_exercises(chapter))
    for solution, check in pairs:
        assert "NotImplementedError" not in _source(solution)
        assert "exercises.check_" in _source(check)
        assert "raises-exception" not in _tags(check)
        text = "".join("".join(o.get("text", "")) for o in check["outputs"])
        assert "Passed:" in text


def _notebooks():
    return sorted((ROOT / "chapters").glob("*.ipynb")) + sorted((ROOT / "chapters" / "solutions").glob("*.ipynb"))


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.name)
def test_notebook_is_stored_executed_and_imports_only_the_allowed_packages(path):
    nb = _load(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    counts = []
    for cell in _code_cells(nb):
        assert cell["execution_count"] is not None, _source(cell)[:80]
        counts.append(cell["execution_count"])
        for output in cell["outputs"]:
            text = json.dumps(output)
            assert "0x7f" not in text and "Wall time" not in text, _source(cell)[:80]
        tree = ast.parse("\n".join(l for l in _source(cell).splitlines() if not l.lstrip().startswith(("%", "!"))))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for module in names:
                assert module.split(".")[0] in ALLOWED_IMPORTS, module
    assert counts == list(range(1, len(counts) + 1)), "cells must be executed once, in order"


def test_every_image_a_chapter_references_exists():
    for path in _notebooks():
        for markdown in _markdown(_load(path)):
            for target in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown):
                assert (path.parent / target).resolve().is_file(), f"{path.name}: {target}"


def test_figure_script_produces_exactly_the_committed_figures(tmp_path):
    subprocess.run(
        [sys.executable, str(ROOT / "figures" / "make_figures.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    produced = sorted(p.name for p in tmp_path.iterdir())
    committed = sorted(p.name for p in (ROOT / "figures").glob("*.png"))
    assert produced == committed
    assert len(committed) >= 5
