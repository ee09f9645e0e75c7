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


EXERCISE_HEADING = re.compile(
    r"### Exercise (?P<chapter>\d+)\.(?P<k>\d+) \((?P<stars>★{1,3})(?P<predict>, predict then run)?\): "
    r"(?P<title>\S.*)")
VERDICT = re.compile(r"(True|False)\s*$|passes|passed|agree|equal", re.IGNORECASE)


def _exercises(nb):
    """One record per '### Exercise' heading: its parsed heading and the two code cells after it
    (the stub or answer cell, and the check cell)."""
    cells = nb["cells"]
    found = []
    for i, cell in enumerate(cells):
        source = _source(cell).lstrip()
        if cell["cell_type"] == "markdown" and source.startswith("### Exercise"):
            heading = source.splitlines()[0].strip()
            following = [c for c in cells[i + 1 : i + 3] if c["cell_type"] == "code"]
            found.append({"heading": heading, "match": EXERCISE_HEADING.fullmatch(heading),
                          "index": i, "cells": following})
    return found


def _check_calls(cell, first=False):
    """The ``exercises.check_*`` calls of a check cell, each as its function name and the source
    of every argument after the first (the first is the reader's function or answer); with
    ``first``, the source of that first argument instead."""
    calls = []
    for node in ast.walk(ast.parse(_source(cell))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "exercises"
                and node.func.attr.startswith("check_")):
            if first:
                calls.append(ast.unparse(node.args[0]) if node.args else None)
                continue
            rest = [ast.unparse(a) for a in node.args[1:]]
            rest += sorted(f"{k.arg}={ast.unparse(k.value)}" for k in node.keywords)
            calls.append((node.func.attr, ", ".join(rest)))
    return calls


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_has_five_marked_exercises_with_stubs_and_checks(name):
    nb = _load(ROOT / "chapters" / f"{name}.ipynb")
    exercises = _exercises(nb)
    assert len(exercises) >= 5, "at least five exercises per chapter"
    kinds = []
    for k, exercise in enumerate(exercises, start=1):
        match = exercise["match"]
        assert match, f"heading not '### Exercise N.k (★..., predict then run): title': {exercise['heading']}"
        assert (int(match["chapter"]), int(match["k"])) == (int(name[:2]), k), exercise["heading"]
        assert len(exercise["cells"]) == 2, f"{exercise['heading']}: needs a stub cell and a check cell"
        stub, check = exercise["cells"]
        calls = _check_calls(check)
        assert len(calls) == 1, f"{exercise['heading']}: one exercises.check_* call"
        if match["predict"]:
            kinds.append("predict")
            assert re.search(r"^answer = None$", _source(stub), re.M), exercise["heading"]
            assert calls[0][0].endswith("_answer"), exercise["heading"]
            assert _check_calls(check, first=True) == ["answer"], exercise["heading"]
        else:
            kinds.append("code")
            assert "raise NotImplementedError" in _source(stub), exercise["heading"]
            assert not calls[0][0].endswith("_answer"), exercise["heading"]
        assert "raises-exception" in _tags(check)
        assert any(o["output_type"] == "error" and o["ename"] == "NotImplementedError"
                   for o in check["outputs"]), exercise["heading"]
    assert kinds.count("predict") >= 1, "at least one predict-then-run exercise"
    assert kinds.count("code") >= 3, "at least three write-code exercises"
    indices = [e["index"] for e in exercises]
    sections_between = [
        c for c in nb["cells"][indices[0]:indices[-1]]
        if c["cell_type"] == "markdown" and _source(c).lstrip().startswith("## ")
    ]
    assert sections_between, "exercises belong at the ends of their sections, not in one dump"


def test_no_task_appears_twice_in_the_book():
    titles, calls = {}, {}
    for name in CHAPTERS:
        for exercise in _exercises(_load(ROOT / "chapters" / f"{name}.ipynb")):
            heading = exercise["heading"]
            match = exercise["match"]
            title = re.sub(r"\W+", " ", (match["title"] if match else heading).lower()).strip()
            assert title not in titles, f"{heading} repeats {titles.get(title)}"
            titles[title] = heading
            for call in _check_calls(exercise["cells"][1]):
                assert call not in calls, f"{heading} repeats the check of {calls.get(call)}"
                calls[call] = heading


@pytest.mark.parametrize("name", CHAPTERS)
def test_solutions_solve_every_exercise(name):
    chapter = _exercises(_load(ROOT / "chapters" / f"{name}.ipynb"))
    solutions = _exercises(_load(ROOT / "chapters" / "solutions" / f"{name}_solutions.ipynb"))
    assert [e["heading"] for e in solutions] == [e["heading"] for e in chapter]
    for exercise, solved in zip(chapter, solutions):
        solution, check = solved["cells"]
        assert "NotImplementedError" not in _source(solution)
        assert not re.search(r"^answer = None$", _source(solution), re.M), solved["heading"]
        assert _check_calls(check) == _check_calls(exercise["cells"][1]), solved["heading"]
        assert "raises-exception" not in _tags(check)
        text = "".join("".join(o.get("text", "")) for o in check["outputs"])
        assert "Passed:" in text, solved["heading"]


def _printed_lines(nb):
    for cell in _code_cells(nb):
        for output in cell.get("outputs", []):
            if output["output_type"] == "stream":
                yield from "".join(output["text"]).splitlines()
            elif "text/plain" in output.get("data", {}):
                yield from "".join(output["data"]["text/plain"]).splitlines()


def test_the_book_prints_at_most_forty_verdict_lines():
    counts = {name: sum(1 for line in _printed_lines(_load(ROOT / "chapters" / f"{name}.ipynb"))
                        if VERDICT.search(line))
              for name in CHAPTERS}
    assert sum(counts.values()) <= 40, counts


def _prose_words(nb):
    words = 0
    for text in _markdown(nb):
        text = re.sub(r"```.*?```", " ", text, flags=re.S)
        text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
        text = re.sub(r"\$[^$]*\$", " ", text)
        words += len(text.split())
    return words


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_prose_is_at_most_five_thousand_words(name):
    assert _prose_words(_load(ROOT / "chapters" / f"{name}.ipynb")) <= 5000


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
