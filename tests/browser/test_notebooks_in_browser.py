"""Every notebook, opened in a real JupyterLab in headless Chromium, offline, draws every chart.

For each notebook under notebooks/ (solutions included) the test opens it as a student
would (untrusted, nothing executed: the committed outputs are shown) and checks that

* every cell is attached to the page, with as many outputs as the file holds;
* every chart output (a Vega or Vega-Lite mimetype, or HTML calling vegaEmbed) holds a
  ``.vega-embed`` with a drawn ``svg.marks`` or ``canvas.marks``;
* no output shows an error or stderr text, or a known renderer failure such as
  "renderer has not been properly enabled" or "Javascript Error";
* every slider a chart binds to an Altair parameter (``alt.binding_range``) is on the page,
  and moving it redraws the chart in the browser, with no kernel running;
* no dialog is open, no notification asks about Jupyter news (the course's environment
  turns that prompt off, see ``tasks.py``), the page logged no error, and nothing tried to
  reach the network.

It saves, in ``browser-artifacts/`` (git-ignored), a screenshot of the whole notebook
(``NN_topic.png``, or ``NN_topic.partKK.png`` pieces when it is very tall) and one per chart
(``NN_topic.chartKK-cellC.png``), or ``NN_topic.failed.png`` when the page did not load;
solutions start with ``solutions__``.

Opt-in (marker ``browser``, deselected by default): run ``python tasks.py browser``.
"""

from __future__ import annotations

import contextlib
import json
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(  # every notebook under notebooks/, but none in a hidden folder such as .ipynb_checkpoints
    path.relative_to(ROOT).as_posix()
    for path in (ROOT / "notebooks").rglob("*.ipynb")
    if not any(part.startswith(".") for part in path.relative_to(ROOT).parts)
)
VEGA_PREFIXES = ("application/vnd.vega.", "application/vnd.vegalite.")
ERROR_TEXTS = (
    "renderer has not been properly enabled",
    "Error loading script",
    "Javascript Error",
    "Unable to determine the preferred mime type",
    "Unrecognized mimetype",
    "Error rendering output",
)
STDERR_MIME = "application/vnd.jupyter.stderr"  # Lab shows stderr streams and tracebacks with it
WIDTH, FIRST_HEIGHT, MAX_HEIGHT = 1280, 900, 15_000  # pixels
TIMEOUT_MS = 60_000


@dataclass(frozen=True)
class NotebookFile:
    """What JupyterLab should show for a notebook file.

    Attributes
    ----------
    n_cells : int
        Number of cells.
    outputs : tuple of int
        Number of outputs of each code cell, as Lab shows them (it merges consecutive
        stream outputs of the same name into one).
    charts : tuple of (int, int)
        (cell index, output index) of every chart output: one carrying a Vega or Vega-Lite
        mimetype, or HTML that calls vegaEmbed (which cannot draw offline, so it fails).
    sliders : tuple of int
        For each chart, how many of its parameters are bound to a range input (a slider).
    """

    n_cells: int
    outputs: tuple[int, ...]
    charts: tuple[tuple[int, int], ...]
    sliders: tuple[int, ...] = ()


def _is_chart(data: dict) -> bool:
    html = data.get("text/html", "")
    html = "".join(html) if isinstance(html, list) else html
    return any(key.startswith(VEGA_PREFIXES) for key in data) or "vegaEmbed" in html


def count_sliders(node) -> int:
    """Parameters bound to a range input anywhere in a Vega-Lite spec (layers and concatenations
    included)."""
    if isinstance(node, list):
        return sum(count_sliders(item) for item in node)
    if not isinstance(node, dict):
        return 0
    own = sum(
        isinstance(param, dict)
        and isinstance(param.get("bind"), dict)
        and param["bind"].get("input") == "range"
        for param in node.get("params", []) or []
    )
    return own + sum(count_sliders(value) for key, value in node.items() if key not in ("params", "datasets"))


def read_notebook(path: Path) -> NotebookFile:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    outputs, charts, sliders = [], [], []
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        shown = []
        for output in cell["outputs"]:
            previous = shown[-1] if shown else {}
            same_stream = output["output_type"] == previous.get("output_type") == "stream"
            if same_stream and output["name"] == previous["name"]:
                continue
            shown.append(output)
        outputs.append(len(shown))
        for number, output in enumerate(shown):
            data = output.get("data", {})
            if _is_chart(data):
                charts.append((index, number))
                specs = [value for key, value in data.items() if key.startswith(VEGA_PREFIXES)]
                sliders.append(count_sliders(specs))
    return NotebookFile(len(cells), tuple(outputs), tuple(charts), tuple(sliders))


# Run in the page. The notebook panel Lab opened is tagged data-test-notebook; each chart
# output the file says exists is tagged data-test-chart="K" so Python can screenshot it.
JS_TAG_NOTEBOOK = """
(path) => {
  const widget = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!widget || !widget.context || widget.context.path !== path || !widget.context.isReady) return false;
  widget.node.setAttribute('data-test-notebook', '');
  window.jupyterapp.shell.collapseLeft();
  window.jupyterapp.shell.collapseRight();
  return true;
}
"""

JS_INSPECT = """
([charts, errorTexts]) => {
  const notebook = document.querySelector('[data-test-notebook] .jp-Notebook');
  const cells = Array.from(notebook.querySelectorAll('.jp-Cell'))
    .filter(c => c.closest('.jp-Notebook') === notebook);
  const inspected = cells.map(cell => {
    const outputs = Array.from(cell.querySelectorAll('.jp-OutputArea > .jp-OutputArea-child')).map(child => {
      const el = child.querySelector(':scope > .jp-OutputArea-output');
      if (!el) return {mime: null, drawn: false, errors: [], text: ''};
      const embed = el.matches('.vega-embed') ? el : el.querySelector('.vega-embed');
      const marks = embed && embed.querySelector('svg.marks, canvas.marks');
      let drawn = false;
      if (marks) {
        const box = marks.getBoundingClientRect();
        if (marks.tagName === 'CANVAS') {  // drawn = some pixel that is neither transparent nor white
          const pixels = marks.getContext('2d').getImageData(0, 0, marks.width, marks.height).data;
          for (let i = 0; i < pixels.length && !drawn; i += 4)
            drawn = pixels[i + 3] > 0 && (pixels[i] < 250 || pixels[i + 1] < 250 || pixels[i + 2] < 250);
        } else {
          drawn = marks.querySelector('path, rect, line, circle, text') !== null;
        }
        drawn = drawn && box.width > 0 && box.height > 0;
      }
      const text = el.textContent || '';
      return {mime: el.dataset.mimeType || null, marks: marks ? marks.tagName.toLowerCase() : null, drawn,
              errors: errorTexts.filter(t => text.toLowerCase().includes(t.toLowerCase())),
              text: text.slice(0, 160)};
    });
    return {code: cell.classList.contains('jp-CodeCell'), outputs};
  });
  charts.forEach(([c, o], k) => {
    const child = cells[c] && cells[c].querySelectorAll('.jp-OutputArea > .jp-OutputArea-child')[o];
    if (child) child.setAttribute('data-test-chart', String(k + 1));
  });
  return inspected;
}
"""

JS_SCROLLER = """
(top) => {
  const notebook = document.querySelector('[data-test-notebook] .jp-Notebook');
  const scroller = notebook.querySelector('.jp-WindowedPanel-outer') || notebook;
  scroller.scrollTop = top;
  return {scrollHeight: scroller.scrollHeight, clientHeight: scroller.clientHeight};
}
"""


# Run in the page: the marks of chart K (a canvas's pixels or an SVG's markup), to tell
# whether the chart redrew.
JS_MARKS = """
(k) => {
  const embed = document.querySelector(`[data-test-chart="${k}"] .vega-embed`);
  const marks = embed.querySelector('svg.marks, canvas.marks');
  return marks.tagName === 'CANVAS' ? marks.toDataURL() : marks.outerHTML;
}
"""

# Run in the page: move slider `index` of chart K to the other end of its range, as a
# student's drag would (the input event is what Vega listens to); return its old and new value.
JS_MOVE_SLIDER = """
([k, index]) => {
  const inputs = document.querySelectorAll(`[data-test-chart="${k}"] .vega-bindings input[type=range]`);
  const input = inputs[index];
  const before = input.value;
  input.value = Number(input.value) === Number(input.min) ? input.max : input.min;
  input.dispatchEvent(new Event('input', {bubbles: true}));
  input.dispatchEvent(new Event('change', {bubbles: true}));
  return [before, input.value];
}
"""


def slider_problems(page, expected: NotebookFile) -> list[str]:
    """Move every slider of every chart; each must be on the page and redraw its chart."""
    problems = []
    for k, ((cell, _), wanted) in enumerate(zip(expected.charts, expected.sliders, strict=True), 1):
        selector = f'[data-test-chart="{k}"] .vega-bindings input[type=range]'
        found = page.locator(selector).count()
        if found != wanted:
            problems.append(f"chart {k} (cell {cell}) shows {found} sliders, its spec binds {wanted}")
            continue
        for index in range(found):
            before = page.evaluate(JS_MARKS, k)
            old, new = page.evaluate(JS_MOVE_SLIDER, [k, index])
            page.wait_for_timeout(500)
            if page.evaluate(JS_MARKS, k) == before:
                problems.append(
                    f"chart {k} (cell {cell}): moving slider {index + 1} from {old} to {new} changed nothing"
                )
    return problems


def charts_pending(dom: list[dict], charts) -> int:
    """How many of the expected charts have neither drawn nor shown an error yet."""
    pending = 0
    for cell, number in charts:
        outputs = dom[cell]["outputs"] if cell < len(dom) else []
        output = outputs[number] if number < len(outputs) else None
        pending += output is None or not (output["drawn"] or output["errors"])
    return pending


def problems_in(dom: list[dict], expected: NotebookFile) -> list[str]:
    """Everything that differs from a notebook whose cells and charts all rendered cleanly."""
    problems = []
    if len(dom) != expected.n_cells:
        problems.append(f"{len(dom)} of {expected.n_cells} cells are on the page")
    code = [cell["outputs"] for cell in dom if cell["code"]]
    shown = tuple(len(outputs) for outputs in code)
    if shown != expected.outputs:
        problems.append(f"outputs per code cell on the page {shown}, in the file {expected.outputs}")
    for k, (cell, number) in enumerate(expected.charts, 1):
        outputs = dom[cell]["outputs"] if cell < len(dom) else []
        output = outputs[number] if number < len(outputs) else None
        if output is None:
            problems.append(f"chart {k} (cell {cell}, output {number}) is not on the page")
        elif not output["drawn"]:
            problems.append(
                f"chart {k} (cell {cell}, output {number}) did not draw: renderer {output['mime']}, "
                f"marks {output['marks']}, text {output['text']!r}"
            )
    for index, cell in enumerate(dom):
        for number, output in enumerate(cell["outputs"]):
            if output["errors"]:
                problems.append(f"cell {index} output {number} shows {output['errors']}")
            if output["mime"] == STDERR_MIME:
                problems.append(f"cell {index} output {number} shows stderr or an error: {output['text']!r}")
    return problems


def open_notebook(page, lab, notebook: str, expected: NotebookFile) -> list[dict]:
    """Open ``notebook`` in Lab, wait until its cells are on the page and its charts drew
    (or TIMEOUT_MS passed), and return what every cell's outputs show (see JS_INSPECT)."""
    # A new workspace for each notebook, so nothing is restored from an earlier page.
    page.goto(
        f"{lab.base}/lab/workspaces/test-{uuid.uuid4().hex[:8]}/tree/"
        f"{urllib.parse.quote(notebook)}?token={lab.token}",
        wait_until="domcontentloaded",
    )
    page.wait_for_function(JS_TAG_NOTEBOOK, arg=notebook)
    page.wait_for_function(
        "(n) => document.querySelectorAll('[data-test-notebook] .jp-Notebook .jp-Cell').length >= n",
        arg=expected.n_cells,
    )
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while charts_pending(page.evaluate(JS_INSPECT, [expected.charts, ERROR_TEXTS]), expected.charts):
        if time.monotonic() > deadline:
            break
        page.wait_for_timeout(250)
    page.evaluate("() => document.fonts.ready.then(() => true)")
    page.wait_for_timeout(500)  # let the last frames and fonts settle before the pictures
    return page.evaluate(JS_INSPECT, [expected.charts, ERROR_TEXTS])


def save_screenshots(page, stem: str, charts, artifacts: Path) -> None:
    """The whole notebook (the window grown to its height, in pieces when taller than
    MAX_HEIGHT), then each of the ``charts`` (tagged on the page by JS_INSPECT)."""
    geometry = page.evaluate(JS_SCROLLER, 0)
    hidden = geometry["scrollHeight"] - geometry["clientHeight"]
    page.set_viewport_size({"width": WIDTH, "height": min(FIRST_HEIGHT + hidden + 20, MAX_HEIGHT)})
    page.wait_for_timeout(300)
    geometry = page.evaluate(JS_SCROLLER, 0)
    if geometry["scrollHeight"] <= geometry["clientHeight"] + 1:
        page.screenshot(path=artifacts / f"{stem}.png")
    else:
        for part, top in enumerate(range(0, geometry["scrollHeight"], geometry["clientHeight"]), 1):
            page.evaluate(JS_SCROLLER, top)
            page.wait_for_timeout(300)
            page.screenshot(path=artifacts / f"{stem}.part{part:02d}.png")
    for k, (cell, _) in enumerate(charts, 1):
        chart = page.locator(f'[data-test-chart="{k}"]')
        if chart.count():
            chart.screenshot(path=artifacts / f"{stem}.chart{k:02d}-cell{cell}.png")


def _is_remote(url: str) -> bool:
    """A request that leaves this machine (data: and blob: URLs never do)."""
    parts = urllib.parse.urlsplit(url)
    return parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in ("127.0.0.1", "localhost")


@dataclass
class WatchedPage:
    """A Chromium page on the test's Lab, with what it logged: console errors and remote requests."""

    page: object
    console_errors: list[str]
    network: list[str]

    def problems(self, harmless: tuple[str, ...] = ()) -> list[str]:
        errors = [text for text in self.console_errors if not (harmless and text.startswith(harmless))]
        return [f"browser console error: {text}" for text in errors] + [
            f"request to the network: {url}" for url in self.network
        ]


@contextlib.contextmanager
def watched_page(chromium, lab, artifacts: Path, stem: str):
    """A fresh browser context and page that records console errors and requests leaving the
    machine; on failure a screenshot ``{stem}.failed.png``; at the end, the context closed and
    Lab's kernels shut down."""
    context = chromium.new_context(viewport={"width": WIDTH, "height": FIRST_HEIGHT})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    watched = WatchedPage(page, [], [])
    page.on(
        "console",
        lambda message: message.type == "error" and watched.console_errors.append(message.text[:300]),
    )
    page.on("pageerror", lambda error: watched.console_errors.append(str(error)[:300]))
    page.on("request", lambda request: _is_remote(request.url) and watched.network.append(request.url[:150]))
    try:
        yield watched
    except (Exception, pytest.fail.Exception):
        with contextlib.suppress(Exception):
            page.screenshot(path=artifacts / f"{stem}.failed.png")
        raise
    finally:
        context.close()
        lab.shut_down_kernels()


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook_renders_in_jupyterlab(notebook, lab, chromium, artifacts):
    expected = read_notebook(ROOT / notebook)
    stem = notebook.removeprefix("notebooks/").removesuffix(".ipynb").replace("/", "__")
    for old in [*artifacts.glob(f"{stem}.png"), *artifacts.glob(f"{stem}.*.png")]:
        old.unlink()
    with watched_page(chromium, lab, artifacts, stem) as watched:
        dom = open_notebook(watched.page, lab, notebook, expected)
        dialogs = watched.page.locator(".jp-Dialog").all_inner_texts()
        news = watched.page.get_by_text("official Jupyter news").count()
        save_screenshots(watched.page, stem, expected.charts, artifacts)
        sliders = slider_problems(watched.page, expected)

    problems = problems_in(dom, expected)
    problems += [f"a dialog is open: {text[:120]!r}" for text in dialogs]
    problems += ["a notification asks about Jupyter news (tasks.py's overrides.json is missing)"] * bool(news)
    problems += sliders
    problems += watched.problems()
    if problems:
        heading = f"{notebook} in JupyterLab (screenshots: {artifacts.name}/{stem}*.png):"
        pytest.fail("\n  ".join([heading, *problems]), pytrace=False)
