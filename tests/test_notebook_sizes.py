"""The committed notebooks stay lean: at most 500 KB each and 3 MB together.

Notebooks are committed with their outputs, so every chart's data and pictures are in the
repository's history for good. The course renderer (:mod:`bda_helpers.charts`) keeps them
small: chart data as CSV text, and a PNG instead of the SVG for dense charts. A notebook
over the limit names its heaviest outputs, which are the cells to look at.

A notebook a student ran and saved in JupyterLab is weighed as the course renderer made it:
Lab adds its own PNG snapshot to every chart output that has none (those with an SVG), and
that copy is not the course's to keep small.
"""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(  # none in a hidden folder such as .ipynb_checkpoints
    path
    for path in (ROOT / "notebooks").rglob("*.ipynb")
    if not any(part.startswith(".") for part in path.relative_to(ROOT).parts)
)
NOTEBOOK_LIMIT = 500_000  # bytes (500 KB)
TOTAL_LIMIT = 3_000_000  # bytes (3 MB)


def remedy(path: str = "") -> str:
    """What to do about a notebook that is too big."""
    command = f"python tasks.py refresh {path}".strip()
    return (
        f"Refresh the outputs with the course renderer ({command}): it embeds chart data as CSV and gives "
        "dense charts a PNG instead of an SVG. If that is not enough, draw fewer points or a coarser grid in "
        "the heaviest chart cells, or print less in the heaviest text outputs."
    )


def heaviest_outputs(path: Path, count: int = 3) -> list[str]:
    """The ``count`` largest output views of a notebook, e.g. ``"cell 12 image/png 209 KB"``
    (sizes as indented JSON, about what they take in the file)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    sizes = []
    for index, cell in enumerate(cells):
        for output in cell.get("outputs", []):
            views = dict(output.get("data", {}))
            if "text" in output:
                views[f"{output.get('name', 'stream')} text"] = output["text"]
            for kind, value in views.items():
                sizes.append(
                    (len(json.dumps(value, indent=1, ensure_ascii=False).encode("utf-8")), index, kind)
                )
    sizes.sort(key=lambda item: -item[0])
    return [f"cell {index} {kind} {size / 1000:.0f} KB" for size, index, kind in sizes[:count]]


def weight(path: Path) -> int:
    """The notebook's size in bytes as nbformat writes it, without JupyterLab's PNG snapshots
    (an ``image/png`` beside an ``image/svg+xml``: the course renderer gives a chart one or the other)."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/svg+xml" in data:
                data.pop("image/png", None)
    return len((json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"))


def size_problem(path: Path, limit: int = NOTEBOOK_LIMIT) -> str | None:
    """Why the notebook at ``path`` is too big, or None if it is within ``limit`` bytes."""
    size = weight(path)
    if size <= limit:
        return None
    name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
    return (
        f"{name} is {size / 1000:.0f} KB, over the {limit / 1000:.0f} KB limit; its heaviest outputs: "
        f"{'; '.join(heaviest_outputs(path)) or 'none'}. " + remedy(name)
    )


def test_there_are_notebooks_to_weigh():
    assert len(NOTEBOOKS) >= 9, [path.name for path in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(ROOT / "notebooks").as_posix())
def test_each_notebook_is_at_most_500_kb(path):
    problem = size_problem(path)
    assert problem is None, problem


def test_all_notebooks_together_are_at_most_3_mb():
    sizes = {path.relative_to(ROOT).as_posix(): weight(path) for path in NOTEBOOKS}
    total = sum(sizes.values())
    largest = ", ".join(
        f"{name} {size / 1000:.0f} KB" for name, size in sorted(sizes.items(), key=lambda i: -i[1])[:3]
    )
    assert total <= TOTAL_LIMIT, (
        f"the notebooks weigh {total / 1e6:.2f} MB together, over the {TOTAL_LIMIT / 1e6:.0f} MB limit; "
        "the largest: "
        f"{largest}. " + remedy()
    )


def test_an_oversized_notebook_is_named_with_its_heaviest_outputs(tmp_path):
    chart = {
        "application/vnd.vegalite.v5+json": {"datasets": {"d": [{"x": 0.5}] * 40_000}},
        "text/plain": "<chart>",
    }
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": "# a notebook", "metadata": {}},
            {
                "cell_type": "code",
                "source": "chart",
                "outputs": [{"output_type": "display_data", "data": chart}],
            },
            {
                "cell_type": "code",
                "source": "print()",
                "outputs": [{"output_type": "stream", "name": "stdout", "text": "1\n"}],
            },
        ]
    }
    path = tmp_path / "99_heavy.ipynb"
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    assert size_problem(path, limit=10**7) is None
    message = size_problem(path, limit=100_000)
    assert message.startswith(f"{path} is ") and "over the 100 KB limit" in message
    assert "cell 1 application/vnd.vegalite.v5+json" in message and "cell 2 stdout text" in message
    assert "python tasks.py refresh" in message and "fewer points" in message


def test_the_weight_of_a_notebook_nbformat_wrote_is_its_file_size(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            for output in cell.get("outputs", []):
                if "image/svg+xml" in output.get("data", {}):
                    output["data"].pop("image/png", None)  # as committed: no snapshot of JupyterLab's
        nbformat.write(notebook, tmp_path / path.name)
        assert weight(tmp_path / path.name) == (tmp_path / path.name).stat().st_size, path.name


def test_jupyterlabs_png_snapshots_do_not_count(tmp_path):
    """Lab saves a PNG beside each chart's SVG; a student's saved notebook weighs what the committed
    one does."""
    chart = {"image/svg+xml": "<svg/>", "text/plain": "<chart>"}
    cell = {
        "cell_type": "code",
        "source": "chart",
        "metadata": {},
        "execution_count": 1,
        "outputs": [{"output_type": "display_data", "metadata": {}, "data": chart}],
    }
    committed, saved = tmp_path / "01_a.ipynb", tmp_path / "01_b.ipynb"
    committed.write_text(json.dumps({"cells": [cell]}, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    cell["outputs"][0]["data"]["image/png"] = "iVBORw0KGgo" * 50_000
    saved.write_text(json.dumps({"cells": [cell]}, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    assert saved.stat().st_size > 500_000 and weight(saved) == weight(committed) == committed.stat().st_size
