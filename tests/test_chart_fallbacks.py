"""Every committed chart also carries a static picture, so it shows where Vega cannot run.

JupyterLab draws the Vega-Lite view offline; GitHub, nbviewer and nbconvert show the
``image/svg+xml`` (or ``image/png``) copy; a terminal shows ``text/plain``. A chart that
lost its picture, or an HTML output that loads Vega from a CDN, would be blank offline.
The real-browser check of the Vega-Lite views is ``python tasks.py browser``.
"""

import base64
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(  # none in a hidden folder such as .ipynb_checkpoints
    path for path in (ROOT / "notebooks").rglob("*.ipynb")
    if not any(part.startswith(".") for part in path.relative_to(ROOT).parts))
VEGALITE = "application/vnd.vegalite.v5+json"
SVG = "{http://www.w3.org/2000/svg}"
DRAWN = {f"{SVG}{tag}" for tag in ("path", "rect", "line", "circle", "text")}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _text(value) -> str:
    """A notebook stores a text view as one string or as a list of lines."""
    return "".join(value) if isinstance(value, list) else value


def _outputs(path: Path):
    """(label, output) for every output of every code cell of the notebook at ``path``."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for index, cell in enumerate(cells):
        for number, output in enumerate(cell.get("outputs", [])):
            yield f"{path.name} cell {index} output {number}", output


def _is_chart(data: dict) -> bool:
    return any(key.startswith(("application/vnd.vega.", "application/vnd.vegalite.")) for key in data)


def check_svg(svg: str, label: str) -> None:
    """A well-formed SVG document with at least one drawn Vega data mark.

    Vega tags each data layer ``<g class="mark-... role-mark ...">``; axes, legends and the
    background are other roles, so an empty chart frame does not pass.
    """
    assert svg.strip(), f"{label}: image/svg+xml is empty"
    try:
        root = ET.fromstring(svg)
    except ET.ParseError as error:
        raise AssertionError(f"{label}: image/svg+xml is not well-formed XML ({error})") from None
    assert root.tag == f"{SVG}svg", f"{label}: image/svg+xml's root element is {root.tag}, not <svg>"
    layers = [g for g in root.iter(f"{SVG}g") if "role-mark" in g.get("class", "").split()]
    drawn = [e for layer in layers for e in layer.iter() if e.tag in DRAWN]
    assert drawn, f"{label}: image/svg+xml draws no data marks ({len(layers)} empty mark layers)"


def check_png(png: str, label: str) -> None:
    """Base64 text that decodes to a PNG file."""
    raw = base64.b64decode(_text(png), validate=False)
    assert raw.startswith(PNG_SIGNATURE) and len(raw) > len(PNG_SIGNATURE), f"{label}: image/png is not a PNG"


def check_chart_output(data: dict, label: str) -> None:
    """A chart's mime bundle: Vega-Lite v5, a static picture and a text line."""
    assert VEGALITE in data, f"{label}: chart is not Vega-Lite v5 (JupyterLab 4 draws v5 offline), has {sorted(data)}"
    assert "image/svg+xml" in data or "image/png" in data, f"{label}: chart has no static image/svg+xml or image/png"
    if "image/svg+xml" in data:
        check_svg(_text(data["image/svg+xml"]), label)
    if "image/png" in data:
        check_png(data["image/png"], label)
    assert _text(data.get("text/plain", "")).strip(), f"{label}: chart has no text/plain view"


def check_not_cdn_chart(data: dict, label: str) -> None:
    """HTML that calls vegaEmbed loads Vega from a CDN: blank offline and in untrusted notebooks."""
    html = _text(data.get("text/html", ""))
    assert "vegaEmbed" not in html and "vega-embed" not in html, f"{label}: chart is HTML that loads Vega from a CDN"


def test_there_are_charts_to_check():
    charts = [label for path in NOTEBOOKS for label, o in _outputs(path) if _is_chart(o.get("data", {}))]
    assert len(charts) >= 10, f"only {len(charts)} chart outputs found: did the notebooks lose their outputs?"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_chart_has_a_static_fallback(path):
    for label, output in _outputs(path):
        data = output.get("data", {})
        check_not_cdn_chart(data, label)
        if _is_chart(data):
            check_chart_output(data, label)


SQUARE = '<svg xmlns="http://www.w3.org/2000/svg"><rect width="9" height="9"/>{}</svg>'
MARK = '<g class="mark-line role-mark"><path d="M0,0L5,5"/></g>'


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({VEGALITE: {}, "text/plain": "<chart>"}, "no static image"),
        ({"application/vnd.vegalite.v6+json": {}, "image/svg+xml": SQUARE.format(MARK)}, "not Vega-Lite v5"),
        ({VEGALITE: {}, "image/svg+xml": "", "text/plain": "<chart>"}, "is empty"),
        ({VEGALITE: {}, "image/svg+xml": "<svg><g></svg>", "text/plain": "<chart>"}, "not well-formed"),
        ({VEGALITE: {}, "image/svg+xml": "<html/>", "text/plain": "<chart>"}, "not <svg>"),
        ({VEGALITE: {}, "image/svg+xml": SQUARE.format(""), "text/plain": "<chart>"}, "draws no data marks"),
        ({VEGALITE: {}, "image/svg+xml": SQUARE.format(MARK)}, "no text/plain"),
        ({VEGALITE: {}, "image/png": "bm90IGEgcG5n", "text/plain": "<chart>"}, "is not a PNG"),
    ],
    ids=["no-picture", "vegalite-v6", "empty-svg", "broken-svg", "not-svg", "blank-svg", "no-text", "bad-png"],
)
def test_a_broken_chart_output_fails_with_a_clear_message(data, message):
    with pytest.raises(AssertionError, match=message):
        check_chart_output(data, "nb cell 1 output 0")


def test_a_chart_that_is_cdn_html_fails():
    html = '<div id="vis"></div><script>vegaEmbed("#vis", spec)</script>'
    with pytest.raises(AssertionError, match="loads Vega from a CDN"):
        check_not_cdn_chart({"text/html": [html]}, "nb cell 1 output 0")


def test_a_good_chart_output_passes():
    png = base64.b64encode(PNG_SIGNATURE + b"IHDR").decode()
    check_chart_output({VEGALITE: {}, "image/svg+xml": [SQUARE.format(MARK)], "text/plain": "<chart>"}, "nb")
    check_chart_output({VEGALITE: {}, "image/png": png, "text/plain": "<chart>"}, "nb")
