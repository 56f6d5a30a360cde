"""The course's layout: notebook names, the README's contents table, no sys.path tricks."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").rglob("*.ipynb"))
TOPIC_NOTEBOOKS = [p for p in NOTEBOOKS if p.parent.name == "notebooks"]
NAME = re.compile(r"\d{2}_[a-z0-9]+(_[a-z0-9]+)*\.ipynb")


def test_there_are_notebooks():
    assert TOPIC_NOTEBOOKS, "no notebooks found in notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_name_is_nn_topic(path):
    assert NAME.fullmatch(path.name), f"{path.name} is not named NN_topic.ipynb"


def test_notebook_numbers_are_unique():
    numbers = [p.name[:2] for p in TOPIC_NOTEBOOKS]
    assert len(numbers) == len(set(numbers)), f"repeated notebook numbers: {numbers}"


@pytest.mark.parametrize("path", TOPIC_NOTEBOOKS, ids=lambda p: p.name)
def test_readme_lists_notebook(path):
    readme = (ROOT / "README.md").read_text()
    assert f"(notebooks/{path.name})" in readme, f"README.md's contents table does not link {path.name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_was_run_top_to_bottom_and_is_clean(path):
    cells = json.loads(path.read_text())["cells"]
    code = [c for c in cells if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), f"{path.name}: execution counts {counts}"
    for cell in code:
        source = "".join(cell["source"])
        assert "sys.path" not in source, f"{path.name}: touches sys.path"
        for output in cell["outputs"]:
            assert output["output_type"] != "error", f"{path.name}: committed an error"
            assert output.get("name") != "stderr", f"{path.name}: committed stderr output"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_markdown_has_no_control_characters(path):
    """A tab or form feed in a markdown cell is almost always a LaTeX command (\\times, \\frac)
    whose backslash was eaten on the way in: it renders as 'imes' or 'rac'."""
    for index, cell in enumerate(json.loads(path.read_text())["cells"]):
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            bad = sorted({repr(c) for c in source if ord(c) < 32 and c != "\n"})
            assert not bad, f"{path.name} cell {index}: control characters {bad}"
