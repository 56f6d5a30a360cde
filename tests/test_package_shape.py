"""The helpers package keeps its shape: two layers, no leaks between them, short functions.

Read from the source with :mod:`ast`, so the rules hold for every module, including ones added later:

- the core (``bda_helpers/*.py`` and ``bda_helpers/checks/``) never imports the research subpackage
  ``bda_helpers.beyond``;
- generic numerics know no model and no charts;
- models know no charts and read no files (only ``bda_helpers.data`` reads the bundled data sets);
- no module imports another module's private names (``_name``), except from private modules
  (``bda_helpers._validation``), which exist to be shared;
- no function of the package, the course's commands or the benchmarks is longer than 80 lines of
  code, docstring excluded (blank lines and comments count);
- the notebooks call the model functions directly, with no adapter that only re-packs arguments.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "bda_helpers"

GENERIC = {
    "bda_helpers.newton",
    "bda_helpers.derivatives",
    "bda_helpers.laplace",
    "bda_helpers.grid",
    "bda_helpers.mixture",
    "bda_helpers.summaries",
    "bda_helpers.evidence",
    "bda_helpers.random",
    "bda_helpers.mode_finding",
    "bda_helpers.beyond.evidence_triangle",
    "bda_helpers._validation",
    "bda_helpers._piecewise",
    "bda_helpers._format",
    "bda_helpers.beyond.importance",
    "bda_helpers.beyond.variational",
}
MODELS = {
    "bda_helpers.bioassay",
    "bda_helpers.normal_model",
    "bda_helpers.beyond.logistic",
    "bda_helpers.beyond.eight_schools",
}
MODEL_OR_DATA = MODELS | {"bda_helpers.data"}
CHARTS = {"bda_helpers.charts", "bda_helpers.beyond.charts", "altair", "vl_convert"}
FILE_READERS = {"open", "read_text", "read_bytes", "loadtxt", "genfromtxt", "read_csv", "load"}
MAX_CODE_LINES = 80


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def parse(name: str) -> ast.Module:
    return ast.parse(MODULES[name].read_text(encoding="utf-8"), filename=str(MODULES[name]))


def resolve(name: str, node: ast.ImportFrom) -> str:
    """The absolute module an ``ImportFrom`` in module ``name`` reads from."""
    if node.level == 0:
        return node.module or ""
    package = name.split(".") if MODULES[name].name == "__init__.py" else name.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(name: str) -> list[tuple[str, str | None, int]]:
    """``(module, imported name or None, line)`` for every import in module ``name``.

    ``from . import bioassay`` is recorded as the module ``bda_helpers.bioassay``.
    """
    found = []
    for node in ast.walk(parse(name)):
        if isinstance(node, ast.Import):
            found += [(alias.name, None, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = resolve(name, node)
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in MODULES:
                    found.append((submodule, None, node.lineno))
                else:
                    found.append((source, alias.name, node.lineno))
    return found


def in_package(module: str, prefixes: set[str]) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def test_the_modules_are_found():
    assert {"bda_helpers.bioassay", "bda_helpers.grid", "bda_helpers.checks"} <= set(MODULES)
    assert any(name.startswith("bda_helpers.beyond.") for name in MODULES)
    assert set(MODULES) >= GENERIC | MODELS, sorted((GENERIC | MODELS) - set(MODULES))


@pytest.mark.parametrize("name", [n for n in MODULES if not n.startswith("bda_helpers.beyond")])
def test_the_core_does_not_import_the_research_code(name):
    leaks = [
        (module, line) for module, _, line in imports(name) if in_package(module, {"bda_helpers.beyond"})
    ]
    assert not leaks, f"{name} imports the research subpackage: {leaks}"


@pytest.mark.parametrize("name", sorted(GENERIC))
def test_generic_numerics_know_no_model_and_no_charts(name):
    leaks = [(m, line) for m, _, line in imports(name) if in_package(m, MODEL_OR_DATA | CHARTS)]
    assert not leaks, f"{name} is generic numerics but imports {leaks}"


@pytest.mark.parametrize("name", sorted(MODELS))
def test_models_know_no_charts_and_read_no_files(name):
    leaks = [(m, line) for m, _, line in imports(name) if in_package(m, CHARTS | {"pathlib", "json", "csv"})]
    assert not leaks, f"{name} is a model but imports {leaks}"
    reads = [
        node.lineno
        for node in ast.walk(parse(name))
        if isinstance(node, ast.Call)
        and (
            getattr(node.func, "id", None) in FILE_READERS or getattr(node.func, "attr", None) in FILE_READERS
        )
    ]
    assert not reads, f"{name} is a model but reads a file at lines {reads}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_imports_private_names_of_another(name):
    private = [
        (module, imported, line)
        for module, imported, line in imports(name)
        if imported is not None
        and imported.startswith("_")
        and imported != "__future__"
        and not module.rsplit(".", 1)[-1].startswith("_")
    ]
    assert not private, f"{name} imports private names: {private}"
    modules = {alias for _, alias, _ in imports(name) if alias is None}
    tree = parse(name)
    bound = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if f"{resolve(name, node)}.{alias.name}" in MODULES
    } | modules
    reached = [
        (node.value.id, node.attr, node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in bound
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
    ]
    assert not reached, f"{name} reaches into another module's private names: {reached}"


def code_lines(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines from ``def`` to the function's last line, less its docstring."""
    total = function.end_lineno - function.lineno + 1
    first = function.body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        total -= first.end_lineno - first.lineno + 1
    return total


def long_functions(tree: ast.Module, limit: int = MAX_CODE_LINES) -> list[tuple[str, int, int]]:
    return [
        (node.name, node.lineno, code_lines(node))
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and code_lines(node) > limit
    ]


def test_the_length_count_leaves_out_the_docstring():
    source = 'def f(x):\n    """One.\n\n    Two.\n    """\n    y = x\n\n    return y\n'
    assert code_lines(ast.parse(source).body[0]) == 4
    assert long_functions(ast.parse(source), limit=3) == [("f", 1, 4)]
    assert long_functions(ast.parse(source), limit=4) == []


SCRIPTS = [ROOT / "tasks.py", *sorted((ROOT / "benchmarks").glob("*.py"))]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_function_is_longer_than_80_lines_of_code(name):
    too_long = long_functions(parse(name))
    assert not too_long, f"{name}: (function, line, lines of code) over {MAX_CODE_LINES}: {too_long}"


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_no_function_of_the_course_commands_or_benchmarks_is_longer_than_80_lines(path):
    too_long = long_functions(ast.parse(path.read_text(encoding="utf-8")))
    assert not too_long, f"{path.name}: (function, line, lines of code) over {MAX_CODE_LINES}: {too_long}"


# --- Notebooks: the model functions are called as they are, with no argument-reordering adapters --------

MODEL_NAMES = {"bioassay", "normal_model", "logistic", "eight_schools"}
NOTEBOOKS = sorted(ROOT.glob("notebooks/[0-9][0-9]_*.ipynb")) + sorted(
    ROOT.glob("notebooks/solutions/[0-9][0-9]_*.ipynb")
)


def calls_model(node: ast.AST) -> bool:
    """Whether ``node`` is a call of a model function, e.g. ``bioassay.log_posterior(...)``."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in MODEL_NAMES
    )


def adapters(source: str) -> list[int]:
    """Lines of lambdas and one-line defs whose whole body is a call of a model function."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Lambda) and calls_model(node.body):
            found.append(node.lineno)
        body = getattr(node, "body", None)
        if (
            isinstance(node, ast.FunctionDef)
            and len(body) == 1
            and isinstance(body[0], ast.Return)
            and calls_model(body[0].value)
        ):
            found.append(node.lineno)
    return found


def test_the_adapter_finder_finds_adapters():
    assert adapters("f = lambda t: bioassay.gradient(t, data)") == [1]
    assert adapters("def f(a, b):\n    return bioassay.log_posterior(a, b, data)") == [1]
    assert adapters("model = bioassay.model_functions(data)\nf = lambda h: fd_hessian(g, m, step=h)") == []


def code_cells(path: Path) -> list[tuple[int, str]]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [
        (
            i,
            "\n".join(
                line for line in "".join(c["source"]).splitlines() if not line.lstrip().startswith(("%", "!"))
            ),
        )
        for i, c in enumerate(cells)
        if c["cell_type"] == "code"
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_call_model_functions_without_adapters(path):
    found = [(i, line) for i, source in code_cells(path) for line in adapters(source)]
    assert not found, f"{path.name}: adapters around model functions at (cell, line) {found}"
