"""Every committed chart also carries a static picture, so it shows where Vega cannot run.

JupyterLab draws the Vega-Lite view offline; GitHub, nbviewer and nbconvert show the
``image/svg+xml`` (or ``image/png``) copy; a terminal shows ``text/plain``. A chart that
lost its picture, or an HTML output that loads Vega from a CDN, would be blank offline.
The real-browser check of the Vega-Lite views is ``python tasks.py browser``.

Strict nbval compares SVGs but skips PNGs, so each committed PNG (a dense chart's static
view) is checked here against a fresh vl-convert rendering of the committed Vega-Lite view:
same size in pixels, nearly the same pixels, and not blank.
"""

import base64
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import vl_convert
from PIL import Image

from bda_helpers import charts

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(  # none in a hidden folder such as .ipynb_checkpoints
    path
    for path in (ROOT / "notebooks").rglob("*.ipynb")
    if not any(part.startswith(".") for part in path.relative_to(ROOT).parts)
)
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
    assert VEGALITE in data, (
        f"{label}: chart is not Vega-Lite v5 (JupyterLab 4 draws v5 offline), has {sorted(data)}"
    )
    assert "image/svg+xml" in data or "image/png" in data, (
        f"{label}: chart has no static image/svg+xml or image/png"
    )
    if "image/svg+xml" in data:
        check_svg(_text(data["image/svg+xml"]), label)
    if "image/png" in data:
        check_png(data["image/png"], label)
    assert _text(data.get("text/plain", "")).strip(), f"{label}: chart has no text/plain view"


def check_not_cdn_chart(data: dict, label: str) -> None:
    """HTML that calls vegaEmbed loads Vega from a CDN: blank offline and in untrusted notebooks."""
    html = _text(data.get("text/html", ""))
    assert "vegaEmbed" not in html and "vega-embed" not in html, (
        f"{label}: chart is HTML that loads Vega from a CDN"
    )


#: A committed PNG is the chart's picture if at most this share of its pixels differ from a
#: fresh rendering by more than PIXEL_TOLERANCE levels (of 255) in some channel, and the mean
#: difference is at most MEAN_TOLERANCE levels. Anti-aliasing that differs between CPUs, and
#: the renderer's reduction to 256 colours (mean 0.1 level, a few pixels up to ~50), stay far
#: below; a changed title or 2 % of the points missing from a scatter is 0.2-0.9 % of pixels.
PIXEL_TOLERANCE, SHARE_TOLERANCE, MEAN_TOLERANCE = 64, 0.001, 1.0
#: A picture is blank if less than this share of its pixels differ from its corner's colour.
DRAWN_SHARE = 0.01


def _pixels(png: bytes) -> np.ndarray:
    """A PNG file's pixels, RGBA, shape (height, width, 4)."""
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGBA"))


def check_png_is_the_chart(png: str, spec: dict, label: str) -> None:
    """The committed PNG (base64) is a rendering of ``spec``: same size, nearly the same pixels, not blank."""
    committed = _pixels(base64.b64decode(_text(png)))
    fresh = _pixels(
        vl_convert.vegalite_to_png(spec, vl_version=charts._VEGALITE_VERSION, scale=charts._PNG_SCALE)
    )
    remedy = "re-run the notebook (python tasks.py refresh <notebook>) to refresh its outputs"
    assert committed.shape == fresh.shape, (
        f"{label}: image/png is {committed.shape[1]} x {committed.shape[0]} pixels, "
        f"but its Vega-Lite view renders at {fresh.shape[1]} x {fresh.shape[0]} "
        f"(scale {charts._PNG_SCALE}); {remedy}"
    )
    drawn = np.mean((committed != committed[0, 0]).any(axis=2))
    assert drawn >= DRAWN_SHARE, (
        f"{label}: image/png is blank ({drawn:.2%} of its pixels differ from the background)"
    )
    change = np.abs(committed.astype(np.int16) - fresh.astype(np.int16)).max(axis=2)
    changed, mean = np.mean(change > PIXEL_TOLERANCE), change.mean()
    if changed > SHARE_TOLERANCE or mean > MEAN_TOLERANCE:
        rows, columns = np.nonzero(change > PIXEL_TOLERANCE)
        where = (
            f", within x {columns.min()}-{columns.max()}, y {rows.min()}-{rows.max()}" if rows.size else ""
        )
        raise AssertionError(
            f"{label}: image/png is not a rendering of its Vega-Lite view: {changed:.3%} of pixels "
            f"differ by more than {PIXEL_TOLERANCE} levels{where} (at most {SHARE_TOLERANCE:.1%} allowed), "
            f"mean difference {mean:.2f} levels (at most {MEAN_TOLERANCE}); {remedy}"
        )


PNG_CHARTS = [  # (label, bundle) of every chart output whose static view is a PNG of the course renderer's
    (label, output["data"])
    for path in NOTEBOOKS
    for label, output in _outputs(path)
    if "image/png" in output.get("data", {})
    and VEGALITE in output.get("data", {})
    and "image/svg+xml"
    not in output["data"]  # beside an SVG, a PNG is JupyterLab's snapshot, saved by a student's Lab
]


@pytest.mark.parametrize(("label", "data"), PNG_CHARTS, ids=[label for label, _ in PNG_CHARTS])
def test_every_png_is_a_rendering_of_its_vegalite_view(label, data):
    check_png_is_the_chart(data["image/png"], data[VEGALITE], label)


def test_there_are_charts_to_check():
    found = [label for path in NOTEBOOKS for label, o in _outputs(path) if _is_chart(o.get("data", {}))]
    assert len(found) >= 10, f"only {len(found)} chart outputs found: did the notebooks lose their outputs?"


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
    ids=[
        "no-picture",
        "vegalite-v6",
        "empty-svg",
        "broken-svg",
        "not-svg",
        "blank-svg",
        "no-text",
        "bad-png",
    ],
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


def _chart_png(spec: dict, scale: float = charts._PNG_SCALE) -> str:
    png = vl_convert.vegalite_to_png(spec, vl_version=charts._VEGALITE_VERSION, scale=scale)
    return base64.b64encode(png).decode("ascii")


def _blank_like(png: str) -> str:
    """A white PNG of the same size."""
    with Image.open(io.BytesIO(base64.b64decode(png))) as image:
        size = image.size
    out = io.BytesIO()
    Image.new("RGB", size, "white").save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode("ascii")


LINE_SPEC = {
    "data": {"values": [{"x": x, "y": (x * 7) % 5} for x in range(12)]},
    "mark": "line",
    "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"}},
    "title": "a line",
}


def test_a_png_of_the_chart_passes_even_in_few_colours():
    check_png_is_the_chart(_chart_png(LINE_SPEC), LINE_SPEC, "nb")
    with Image.open(io.BytesIO(base64.b64decode(_chart_png(LINE_SPEC)))) as image:
        few = image.convert("RGB").quantize(colors=16, dither=Image.Dither.NONE)  # 16, not the renderer's 256
    out = io.BytesIO()
    few.save(out, format="PNG")
    check_png_is_the_chart(base64.b64encode(out.getvalue()).decode(), LINE_SPEC, "nb")


@pytest.mark.parametrize(
    ("picture", "message"),
    [
        (lambda: _chart_png(LINE_SPEC, scale=1), "renders at"),
        (lambda: _chart_png({**LINE_SPEC, "title": "another line"}), "not a rendering of its Vega-Lite view"),
        (
            lambda: _chart_png({**LINE_SPEC, "mark": {"type": "line", "color": "red"}}),
            "not a rendering of its Vega-Lite",
        ),
        (lambda: _blank_like(_chart_png(LINE_SPEC)), "is blank"),
    ],
    ids=["wrong-scale", "other-title", "other-colour", "blank"],
)
def test_a_png_that_is_not_the_chart_fails_with_a_clear_message(picture, message):
    with pytest.raises(AssertionError, match=message):
        check_png_is_the_chart(picture(), LINE_SPEC, "nb cell 1 output 0")
