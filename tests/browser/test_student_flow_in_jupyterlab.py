"""A student's session in JupyterLab never breaks the test suite.

The test does what a student does with a notebook of the course: open it in JupyterLab
(trusting it if Lab asks), run it top to bottom in a fresh kernel with Kernel > "Restart
Kernel and Run All Cells…", save it with Ctrl+S and close its tab. Lab then has written the
notebook with its new outputs and ``.ipynb_checkpoints/NAME-checkpoint.ipynb`` beside it.
The test checks that

* the run finished with no error, and Lab shows every output and chart with no stderr;
* Lab wrote the checkpoint, and the saved notebook's cells are the course's (same ids and
  sources) with execution counts 1..N;
* on a copy of that folder, checkpoint included, laid out like the repository (README.md,
  pyproject.toml, tests/conftest.py, the tests that read the notebooks, notebooks/), the
  layout tests (tests/test_layout.py) and the chart-fallback tests pass, and strict nbval
  (with the project's options from pyproject.toml) passes on the saved notebook and does
  not collect the checkpoint.

Lab's save is not a plain re-execution: its Vega renderer adds an ``image/png`` snapshot to
every chart output it drew, beside the course's SVG. The test prints what differs from the
committed notebook besides counts and output contents (``-s`` shows it).

Lab serves its own copy of notebooks/ (``student-flow/notebooks/`` in the ``lab`` fixture's
temporary root), so neither the repository nor the other browser tests see what it saved.
It leaves ``student-flow__NN_topic.png`` (and one picture per chart) and the saved notebook,
``student-flow__NN_topic.saved.ipynb``, in ``browser-artifacts/``.

Opt-in (marker ``browser``): ``python tasks.py browser -k student_flow``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest

from .test_notebooks_in_browser import (
    ERROR_TEXTS,
    FIRST_HEIGHT,
    JS_INSPECT,
    JS_TAG_NOTEBOOK,
    TIMEOUT_MS,
    WIDTH,
    charts_pending,
    problems_in,
    read_notebook,
    save_screenshots,
    watched_page,
)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = "03_newton_mode_finding.ipynb"  # a few seconds to run
SERVED = "student-flow"  # the folder under Lab's root that holds this test's copy of notebooks/
# The repository's tests that read the notebooks (copied with README.md, pyproject.toml and
# tests/conftest.py into the repository-shaped folder the test builds).
NOTEBOOK_TESTS = ("tests/test_layout.py", "tests/test_chart_fallbacks.py", "tests/test_notebook_sizes.py")
RUN_TIMEOUT_S = 300  # the project's --nbval-cell-timeout, for the whole notebook
PYTEST_TIMEOUT_S = 600

# Console errors Lab itself logs in this flow. Its debugger asks a new kernel for its state;
# restarting that kernel while the answer is pending cancels the request, which it logs.
HARMLESS_CONSOLE_ERRORS = (
    "Could not restore the debugger state: "
    "Canceled future for debug_request message before replies were done",
)

# Installed in the page before "Run All": records, per code cell, the execution count the
# kernel gives it from now on (the committed counts are on the page before the run).
JS_WATCH_RUN = """
() => {
  const widget = window.jupyterapp.shell.currentWidget;
  const cells = widget.content.widgets.filter(cell => cell.model.type === 'code');
  window.__testRun = {counts: cells.map(() => null)};
  cells.forEach((cell, k) => cell.model.stateChanged.connect((model, change) => {
    if (change.name === 'executionCount' && change.newValue !== null) {
      window.__testRun.counts[k] = change.newValue;
    }
  }));
  return cells.length;
}
"""

# The state of the run: kernel status, the counts recorded by JS_WATCH_RUN, which code cells
# are still running or hold an error output, and whether the document has unsaved changes.
JS_RUN_STATE = """
() => {
  const widget = window.jupyterapp.shell.currentWidget;
  const kernel = widget.sessionContext.session && widget.sessionContext.session.kernel;
  const cells = widget.content.widgets.filter(cell => cell.model.type === 'code');
  return {
    kernel: kernel ? kernel.status : null,
    counts: window.__testRun ? window.__testRun.counts : null,
    running: cells.map((cell, k) => cell.model.executionState === 'running' ? k : -1).filter(k => k >= 0),
    errors: cells.map((cell, k) => cell.model.outputs.toJSON().filter(o => o.output_type === 'error')
                          .map(o => `code cell ${k}: ${o.ename}: ${o.evalue}`.slice(0, 300))).flat(),
    dirty: widget.context.model.dirty,
  };
}
"""

JS_KERNEL_IDLE = """
() => {
  const widget = window.jupyterapp.shell.currentWidget;
  const session = widget && widget.sessionContext && widget.sessionContext.session;
  return !!(session && session.kernel) && session.kernel.status === 'idle';
}
"""


def answer_dialogs(page, expected: tuple[str, ...], answered: list[str]) -> None:
    """Accept each open dialog whose title starts with one of ``expected`` (a trust question
    counts as expected everywhere); fail on any other."""
    for _ in range(5):
        dialogs = page.locator(".jp-Dialog")
        if not dialogs.count():
            return
        dialog = dialogs.first
        title = dialog.locator(".jp-Dialog-header").inner_text().strip()
        if not title.startswith((*expected, "Trust")):
            pytest.fail(
                f"JupyterLab opened an unexpected dialog: {dialog.inner_text()[:300]!r}", pytrace=False
            )
        answered.append(title)
        dialog.locator("button.jp-mod-accept").click()
        page.wait_for_timeout(300)


def code_counts(notebook: dict) -> list:
    return [
        cell.get("execution_count")
        for cell in notebook["cells"]
        if cell["cell_type"] == "code" and "".join(cell["source"]).strip()
    ]


def saved_counts(path: Path) -> list | None:
    """The execution counts in the file at ``path``, or None while it is not a whole notebook."""
    try:
        return code_counts(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError):
        return None


def differences(original: dict, saved: dict) -> list[str]:
    """What differs between two versions of a notebook besides execution counts and output
    contents: top-level keys, cells (ids, sources, metadata) and which views each output has."""
    found = []
    for key in sorted(set(original) | set(saved)):
        if key != "cells" and original.get(key) != saved.get(key):
            found.append(
                f"top-level {key}: {json.dumps(original.get(key))[:300]} -> "
                f"{json.dumps(saved.get(key))[:300]}"
            )
    if len(original["cells"]) != len(saved["cells"]):
        found.append(f"{len(original['cells'])} cells -> {len(saved['cells'])}")
    for index, (before, after) in enumerate(zip(original["cells"], saved["cells"])):
        for key in sorted(set(before) | set(after)):
            if key not in ("outputs", "execution_count") and before.get(key) != after.get(key):
                found.append(
                    f"cell {index} {key}: {json.dumps(before.get(key))[:200]} -> "
                    f"{json.dumps(after.get(key))[:200]}"
                )
        views = [[o["output_type"], *sorted(o.get("data", {}))] for o in before.get("outputs", [])]
        saved_views = [[o["output_type"], *sorted(o.get("data", {}))] for o in after.get("outputs", [])]
        if views != saved_views:
            found.append(f"cell {index} outputs: {views} -> {saved_views}")
    return found


def run_pytest(args: list[str], cwd: Path, workdir: Path) -> subprocess.CompletedProcess:
    """``python -m pytest ARGS`` in ``cwd`` with this interpreter (the .venv's under tasks.py),
    its Jupyter and IPython state in ``workdir`` rather than the user's."""
    env = {name: value for name, value in os.environ.items() if name != "PYTEST_ADDOPTS"}
    for name, folder in (
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("IPYTHONDIR", "ipython"),
    ):
        env[name] = str(workdir / folder)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=PYTEST_TIMEOUT_S,
    )


def tail(result: subprocess.CompletedProcess, chars: int = 4000) -> str:
    return (result.stdout + result.stderr)[-chars:]


def test_student_flow_in_jupyterlab_keeps_the_tests_passing(lab, chromium, artifacts, tmp_path):
    timings: dict[str, float] = {}
    started = time.monotonic()

    def lap(name: str) -> None:
        nonlocal started
        now = time.monotonic()
        timings[name] = round(now - started, 1)
        started = now

    # The student's folder: a fresh copy of notebooks/, served by Lab, away from the other tests'.
    served = lab.root / SERVED / "notebooks"
    shutil.rmtree(served.parent, ignore_errors=True)
    shutil.copytree(ROOT / "notebooks", served, ignore=shutil.ignore_patterns(".*"))
    path = f"{SERVED}/notebooks/{NOTEBOOK}"
    saved_file = served / NOTEBOOK
    checkpoint = served / ".ipynb_checkpoints" / NOTEBOOK.replace(".ipynb", "-checkpoint.ipynb")
    original = json.loads((ROOT / "notebooks" / NOTEBOOK).read_text(encoding="utf-8"))
    n_code = len(code_counts(original))
    stem = f"{SERVED}__{NOTEBOOK.removesuffix('.ipynb')}"
    for old in artifacts.glob(f"{stem}.*"):
        old.unlink()

    dialogs: list[str] = []
    with watched_page(chromium, lab, artifacts, stem) as session:
        page = session.page
        # Open the notebook and wait for its kernel.
        page.goto(
            f"{lab.base}/lab/workspaces/test-{uuid.uuid4().hex[:8]}/tree/"
            f"{urllib.parse.quote(path)}?token={lab.token}",
            wait_until="domcontentloaded",
        )
        page.wait_for_function(JS_TAG_NOTEBOOK, arg=path)
        page.wait_for_function(JS_KERNEL_IDLE)
        answer_dialogs(page, (), dialogs)
        lap("open")

        # Kernel > Restart Kernel and Run All Cells…, and confirm the restart.
        watched = page.evaluate(JS_WATCH_RUN)
        page.locator(".lm-MenuBar-itemLabel", has_text="Kernel").click()
        page.locator(
            ".lm-Menu-item:not(.lm-mod-disabled) .lm-Menu-itemLabel",
            has_text="Restart Kernel and Run All Cells",
        ).click()
        page.locator(".jp-Dialog").wait_for()
        answer_dialogs(page, ("Restart Kernel",), dialogs)
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while True:
            state = page.evaluate(JS_RUN_STATE)
            if state["errors"]:
                pytest.fail(f"{NOTEBOOK} failed in JupyterLab: {state['errors']}", pytrace=False)
            if None not in state["counts"] and not state["running"] and state["kernel"] == "idle":
                break
            if time.monotonic() > deadline:
                pytest.fail(
                    f"{NOTEBOOK} did not finish within {RUN_TIMEOUT_S} s in JupyterLab: {state}",
                    pytrace=False,
                )
            answer_dialogs(page, (), dialogs)
            page.wait_for_timeout(200)
        assert watched == len(state["counts"]) and state["counts"] == list(range(1, n_code + 1)), state
        lap("restart and run all")

        # Ctrl+S, with the notebook focused; wait until Lab has written the file.
        page.locator("[data-test-notebook] .jp-Cell").first.click()
        page.keyboard.press("Control+s")
        deadline = time.monotonic() + 30
        while page.evaluate(JS_RUN_STATE)["dirty"] or saved_counts(saved_file) != list(range(1, n_code + 1)):
            if time.monotonic() > deadline:
                pytest.fail(f"Ctrl+S did not save {path} within 30 s", pytrace=False)
            answer_dialogs(page, (), dialogs)
            page.wait_for_timeout(200)
        lap("save")

        # What Lab shows after the run, and the pictures.
        expected = read_notebook(saved_file)
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while charts_pending(page.evaluate(JS_INSPECT, [expected.charts, ERROR_TEXTS]), expected.charts):
            if time.monotonic() > deadline:
                break
            page.wait_for_timeout(250)
        page.evaluate("() => document.fonts.ready.then(() => true)")
        page.wait_for_timeout(500)
        dom = page.evaluate(JS_INSPECT, [expected.charts, ERROR_TEXTS])
        save_screenshots(page, stem, expected.charts, artifacts)
        page.set_viewport_size({"width": WIDTH, "height": FIRST_HEIGHT})

        # Close the tab: with everything saved, Lab must not ask anything.
        page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabCloseIcon").click()
        page.locator("[data-test-notebook]").wait_for(state="detached", timeout=10_000)
        open_dialogs = page.locator(".jp-Dialog").all_inner_texts()
        lap("inspect, screenshots and close")

    problems = problems_in(dom, expected)
    problems += [f"a dialog is open after closing the notebook: {text[:120]!r}" for text in open_dialogs]
    problems += session.problems(HARMLESS_CONSOLE_ERRORS)
    assert not problems, f"{NOTEBOOK} after Run All in JupyterLab:\n  " + "\n  ".join(problems)

    # What Lab wrote.
    saved = json.loads(saved_file.read_text(encoding="utf-8"))
    shutil.copyfile(saved_file, artifacts / f"{stem}.saved.ipynb")
    assert checkpoint.is_file(), f"Lab wrote no checkpoint: {sorted(p.name for p in served.rglob('*'))}"
    assert json.loads(checkpoint.read_text(encoding="utf-8"))["cells"], "the checkpoint holds no cells"
    assert code_counts(saved) == list(range(1, n_code + 1)), f"saved execution counts {code_counts(saved)}"
    assert [(c["id"], c["cell_type"], "".join(c["source"])) for c in saved["cells"]] == [
        (c["id"], c["cell_type"], "".join(c["source"])) for c in original["cells"]
    ], "Lab changed the cells"
    changed = differences(original, saved)

    # The repository's layout, with the folder Lab wrote (checkpoint included) as notebooks/.
    repo = tmp_path / "repo"
    (repo / "tests").mkdir(parents=True)
    for name in ("README.md", "pyproject.toml", "tests/conftest.py", *NOTEBOOK_TESTS):
        shutil.copyfile(ROOT / name, repo / name)
    shutil.copytree(served, repo / "notebooks")
    assert (repo / "notebooks" / checkpoint.relative_to(served)).is_file()

    layout = run_pytest(["-o", "addopts=", "-q", *NOTEBOOK_TESTS], repo, tmp_path)
    lap("layout and chart tests")
    # Strict nbval with the project's addopts (pyproject.toml) on the saved notebook, and the
    # folder's collection: the checkpoint is no notebook of the course.
    nbval = run_pytest(["-q", "--nbval", "--nbval-current-env", f"notebooks/{NOTEBOOK}"], repo, tmp_path)
    lap("strict nbval")
    collected = run_pytest(["-q", "--collect-only", "notebooks"], repo, tmp_path)
    lap("nbval collection")

    same = checkpoint.read_bytes() == saved_file.read_bytes()
    report = [
        f"dialogs answered: {dialogs or 'none'}; browser console errors: {session.console_errors or 'none'}",
        f"checkpoint: {checkpoint.relative_to(lab.root)} "
        f"({'same as' if same else 'differs from'} the saved file)",
        "the saved notebook against the committed one, besides counts and output contents:",
        *[f"  {line}" for line in changed or ["no difference"]],
        f"timings (s): {timings}",
    ]
    print("\n" + "\n".join(report))
    failures = []
    if layout.returncode != 0:
        failures.append(f"{' and '.join(NOTEBOOK_TESTS)} fail on the folder Lab wrote:\n{tail(layout)}")
    if nbval.returncode != 0:
        failures.append(f"strict nbval fails on the notebook Lab saved:\n{tail(nbval)}")
    if collected.returncode != 0 or "checkpoint" in collected.stdout or NOTEBOOK not in collected.stdout:
        failures.append(
            f"collecting notebooks/ with nbval went wrong (checkpoint collected?):\n{tail(collected)}"
        )
    assert not failures, "\n".join(report) + "\n\n" + "\n\n".join(failures)
