"""The course renderer: chart data embedded as CSV that reads back exactly, and a compact PNG
static view for dense charts only.

Vega-Lite reads CSV given as ``{"values": "<text>", "format": {"type": "csv"}}`` (here: a
named dataset holding the text, and ``format`` on each reference to it). The renderer lists
every numeric column in ``format.parse``, so the numbers are numbers whatever they are used
for. These tests check that on every chart function of the course: the CSV holds the same
values, and vl-convert draws the same picture from it as from JSON rows, with the Vega-Lite
version the course pins and with 5.8, the oldest vl-convert has (JupyterLab 4 draws with
Vega-Lite 5.6).
"""

import base64
import copy
import csv
import io
import json
import re

import altair as alt
import numpy as np
import pandas as pd
import pytest
import vl_convert
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from bda_helpers import GridPosterior, bioassay, charts, load_bioassay
from bda_helpers.beyond import charts as beyond_charts

VEGALITE = "application/vnd.vegalite.v5+json"
VERSIONS = (charts._VEGALITE_VERSION, "5.8")


def _course_charts() -> dict:
    """One chart from every chart function in the package (bda_helpers.charts and
    bda_helpers.beyond.charts), and the layered charts the notebooks draw."""
    data = load_bioassay()
    grid = GridPosterior.from_log_density(
        bioassay.model_functions(data).log_density,
        (np.linspace(-4, 8, 30), np.linspace(-10, 40, 45)),
        names=("alpha", "beta"),
    )
    approx = bioassay.laplace_fit(data)
    draws = grid.sample(200, np.random.default_rng(1))
    steps = np.logspace(-1, -9, 17)
    coverage = pd.DataFrame(
        {
            "design": ["n = 5"] * 2 + ["n = 50"] * 2,
            "quantity": ["beta", "LD50"] * 2,
            "level": [0.5, 0.95] * 2,
            "method": ["grid", "Laplace"] * 2,
            "coverage": [0.4475, 0.97, 0.5, 0.9425],
            "mc_se": [0.0249, 0.0085, 0.025, 0.0117],
        }
    )
    cost_rows = [
        {
            "d": d,
            "fit_median_s": 1e-9 * d**3 + 1e-4,
            "hessian_median_s": 1e-10 * d**3,
            "cholesky_median_s": 3e-11 * d**3,
        }
        for d in (10, 20, 50, 100, 200)
    ]
    gaussians = {"Laplace": (approx.mode, approx.cov), "wider": (approx.mode, 2 * approx.cov)}
    x = np.linspace(-3, 3, 61)
    return {
        "dose response": charts.dose_response_chart(data).properties(title="Deaths rise with the dose"),
        "dose response curves": charts.dose_response_chart(data, alpha=draws[:5, 0], beta=draws[:5, 1]),
        "regions": charts.posterior_region_chart(grid, title="regions"),
        "regions + Laplace ellipses": charts.posterior_region_chart(grid)
        + charts.laplace_ellipses_chart(approx),
        "regions + gaussian ellipses": charts.posterior_region_chart(grid)
        + charts.gaussian_ellipses_chart(gaussians),
        "draws": charts.draws_chart({"grid": draws, "shifted": draws + 1}, title="draws"),
        "draws with points": charts.draws_with_points_chart(
            {"grid": draws}, {"mode": approx.mode}, title="mode"
        ),
        "lines": charts.lines_chart(
            x, {"exact": np.exp(-(x**2) / 2), "fit": np.exp(-(x**2) / 3)}, title="lines"
        ),
        "log lines": charts.lines_chart(
            np.linspace(1, 10, 10), {"a": np.arange(1, 11.0) ** 2}, log_x=True, log_y=True
        ),
        "histogram": charts.histogram_chart(
            {"grid": draws[:, 0], "shifted": draws[:, 0] + 1}, np.linspace(-2, 4, 25)
        ),
        "step error": charts.step_error_chart(
            steps,
            {"central": steps**2 + 1e-16 / steps},
            references={"∝ h²": steps**2},
            marks={"ε^(1/3)": 6.1e-6},
            title="U",
        ),
        "coverage": beyond_charts.coverage_chart(coverage, title="coverage"),
        "cost": beyond_charts.cost_chart({"rows": cost_rows}),
    }


COURSE_CHARTS = _course_charts()


def _read_csv(text: str, parse: dict) -> list[dict]:
    """Rows from CSV text as Vega reads them: strings, and floats for the columns in ``parse``."""
    header, *lines = list(csv.reader(io.StringIO(text, newline="")))
    return [
        {key: float(value) if key in parse else value for key, value in zip(header, line)} for line in lines
    ]


def _references(node, found: list) -> list:
    """Every ``data`` object of a spec that names a dataset."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "data" and isinstance(value, dict) and "name" in value:
                found.append(value)
            else:
                _references(value, found)
    elif isinstance(node, list):
        for item in node:
            _references(item, found)
    return found


def _svg(spec: dict, version: str = charts._VEGALITE_VERSION) -> str:
    """vl-convert's SVG with its clip-path ids (a counter that runs on across calls) made uniform."""
    return re.sub(r"clip\d+", "clip", vl_convert.vegalite_to_svg(spec, vl_version=version))


def _spec(rows, **encoding) -> dict:
    return {"data": {"name": "data-1"}, "datasets": {"data-1": rows}, "mark": "point", "encoding": encoding}


@pytest.mark.parametrize("name", COURSE_CHARTS)
def test_every_dataset_of_every_course_chart_is_csv_that_reads_back_exactly(name):
    spec = COURSE_CHARTS[name].to_dict()
    compact = charts._csv_datasets(spec)
    references = _references({k: v for k, v in compact.items() if k != "datasets"}, [])
    assert references and set(compact["datasets"]) == set(spec["datasets"])
    for dataset, rows in spec["datasets"].items():
        text = compact["datasets"][dataset]
        assert isinstance(text, str), f"{name}: dataset {dataset} was left as JSON rows"
        uses = [reference for reference in references if reference["name"] == dataset]
        numeric = [key for key, value in rows[0].items() if not isinstance(value, str)]
        expected_format = {"type": "csv", **({"parse": dict.fromkeys(numeric, "number")} if numeric else {})}
        assert uses and all(use["format"] == expected_format for use in uses)
        read = _read_csv(text, expected_format.get("parse", {}))
        assert read == rows  # the same values, float for float and string for string
        assert [list(row) for row in read] == [list(row) for row in rows]  # and the same columns, in order


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", COURSE_CHARTS)
def test_csv_draws_the_same_chart_as_json_rows(name, version):
    spec = COURSE_CHARTS[name].to_dict()
    assert _svg(charts._csv_datasets(spec), version) == _svg(spec, version)


def test_numbers_used_only_in_transforms_tooltips_and_sorting_are_numbers():
    """A field that no encoding types as quantitative is still parsed: ``datum.x + 1`` adds,
    the ordinal axis sorts 9 before 10, and the filter compares numbers."""
    rows = [
        {"x": 9, "label": "a"},
        {"x": 10.5, "label": "b"},
        {"x": 0.25, "label": "c"},
        {"x": -3, "label": "d"},
    ]
    spec = {
        "data": {"name": "data-1"},
        "datasets": {"data-1": rows},
        "transform": [{"calculate": "datum.x + 1", "as": "x plus one"}, {"filter": "datum.x > 0.1"}],
        "mark": "text",
        "encoding": {
            "y": {"field": "x", "type": "ordinal"},
            "text": {"field": "x plus one", "type": "nominal"},
            "tooltip": [{"field": "x", "type": "nominal"}, {"field": "label", "type": "nominal"}],
        },
    }
    compact = charts._csv_datasets(spec)
    assert compact["data"]["format"] == {"type": "csv", "parse": {"x": "number"}}
    for version in VERSIONS:
        assert _svg(compact, version) == _svg(spec, version)
    unparsed = copy.deepcopy(compact)
    del unparsed["data"]["format"]["parse"]
    assert _svg(unparsed) != _svg(spec), "the test would not notice numbers read as strings"


def test_awkward_strings_survive_the_round_trip():
    labels = [
        "plain",
        "a, b",
        'say "hi" now',
        "two\nlines",
        "carriage\rreturn",
        " padded ",
        "",
        "007",
        "αβ ∝ h²",
        '"',
    ]
    rows = [{"label": label, "y": float(i)} for i, label in enumerate(labels)]
    spec = _spec(
        rows,
        y={"field": "y", "type": "quantitative"},
        x={"field": "label", "type": "nominal", "sort": labels},
    )
    spec["mark"] = {"type": "text"}
    spec["encoding"]["text"] = {"field": "label", "type": "nominal"}
    compact = charts._csv_datasets(spec)
    assert _read_csv(compact["datasets"]["data-1"], {"y": "number"}) == rows
    assert _svg(compact) == _svg(spec)


@pytest.mark.parametrize(
    "rows",
    [
        [{"x": 1.0}, {"x": None}],
        [{"x": 1.0}, {"x": float("nan")}],
        [{"x": True}, {"x": False}],
        [{"x": 1.0}, {"x": "one"}],
        [{"x": 1.0, "y": 2.0}, {"y": 2.0, "x": 1.0}],
        [{"x": 1.0}, {"x": 2.0, "y": 3.0}],
        [{"x": {"nested": 1}}],
        [{"": 1.0}],
        [{"x.y": 1.0}],
        [{"x[0]": 1.0}],
        [1.0, 2.0],
        [],
    ],
    ids=[
        "null",
        "nan",
        "boolean",
        "mixed",
        "column-order",
        "ragged",
        "nested",
        "empty-name",
        "dotted-name",
        "bracketed-name",
        "not-dicts",
        "empty",
    ],
)
def test_data_csv_cannot_hold_exactly_stay_json_rows(rows):
    spec = _spec(rows, x={"field": "x", "type": "quantitative"})
    compact = charts._csv_datasets(spec)
    assert compact["datasets"]["data-1"] == rows and "format" not in compact["data"]


def test_a_dataset_named_elsewhere_or_a_temporal_chart_is_left_alone():
    rows = [{"x": 1.0}, {"x": 2.0}]
    named = _spec(rows, x={"field": "x", "type": "quantitative"})
    named["params"] = [{"name": "count", "expr": "length(data('data-1'))"}]
    assert charts._csv_datasets(named)["datasets"]["data-1"] == rows
    short = {
        **_spec(rows, x={"field": "x", "type": "quantitative"}),
        "data": {"name": "x"},
        "datasets": {"x": rows},
    }
    assert charts._csv_datasets(short)["datasets"]["x"] == rows  # "x" also names a field: too short to tell
    temporal = _spec(rows, x={"field": "x", "type": "temporal"})
    assert charts._csv_datasets(temporal) == temporal
    assert charts._csv_datasets({"mark": "point"}) == {"mark": "point"}


def test_input_is_untouched_and_the_output_deterministic():
    spec = COURSE_CHARTS["regions + Laplace ellipses"].to_dict()
    before = json.dumps(spec, sort_keys=True)
    first = json.dumps(charts._csv_datasets(spec), sort_keys=True)
    assert json.dumps(spec, sort_keys=True) == before
    assert (
        json.dumps(
            charts._csv_datasets(COURSE_CHARTS["regions + Laplace ellipses"].to_dict()), sort_keys=True
        )
        == first
    )
    assert len(first) < len(before) / 2


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_csv_numbers_read_back_as_the_same_float(value):
    text = charts._csv_number(value)
    assert float(text) == value and (value != 0 or str(float(text)) == str(value))  # -0.0 stays -0.0
    assert text == json.dumps(value).removesuffix(".0")  # the digits of the JSON rows, same on every machine


def test_csv_numbers_of_rounded_data_are_short():
    values = charts.round_significant(np.random.default_rng(3).normal(scale=[1e-6, 1, 1e6], size=(50, 3)))
    for value in values.ravel():
        significant = charts._csv_number(value).split("e")[0].lstrip("-").replace(".", "").strip("0")
        assert len(significant) <= 4, (
            value,
            charts._csv_number(value),
        )  # no float noise such as 0.30000000000000004
    assert [charts._csv_number(v) for v in (1e-05, 1e16, 123456.0, -2.5e-07)] == [
        "1e-05",
        "1e+16",
        "123456",
        "-2.5e-07",
    ]


# --- the bundle: SVG for sparse charts, PNG for dense ones ---------------------------------


def _render(chart) -> tuple[dict, dict]:
    return charts._course_renderer(chart.to_dict())


def _svg_size(svg: str) -> tuple[int, int]:
    width, height = re.search(r'<svg[^>]* width="(\d+)" height="(\d+)"', svg).groups()
    return int(width), int(height)


def test_a_sparse_chart_keeps_its_svg():
    chart = COURSE_CHARTS["lines"]
    bundle, metadata = _render(chart)
    assert set(bundle) == {VEGALITE, "image/svg+xml", "text/plain"} and metadata == {}
    assert len(bundle["image/svg+xml"].encode()) <= charts._SVG_LIMIT_BYTES
    assert bundle[VEGALITE] == charts._csv_datasets(chart.to_dict())
    assert bundle["text/plain"] == "<Altair chart: lines>"


def test_a_dense_chart_gets_a_png_at_twice_its_size():
    draws = np.random.default_rng(2).normal(size=(800, 2))
    chart = charts.draws_chart({"a": draws, "b": draws + 1}, title="1600 points")
    spec = chart.to_dict()
    svg = vl_convert.vegalite_to_svg(charts._csv_datasets(spec), vl_version=charts._VEGALITE_VERSION)
    assert len(svg.encode()) > charts._SVG_LIMIT_BYTES  # the SVG it would have had
    bundle, metadata = charts._course_renderer(spec)
    assert set(bundle) == {VEGALITE, "image/png", "text/plain"}
    assert bundle[VEGALITE] == charts._csv_datasets(spec)
    png = base64.b64decode(bundle["image/png"], validate=True)
    pixels = _pixels(png)
    width, height = _svg_size(svg)
    assert pixels.shape == (charts._PNG_SCALE * height, charts._PNG_SCALE * width, 4)
    assert metadata == {"image/png": {"width": width, "height": height}}
    assert 4 * len(bundle["image/png"]) < len(svg)  # a quarter of the SVG, or less
    fresh = _pixels(
        vl_convert.vegalite_to_png(spec, vl_version=charts._VEGALITE_VERSION, scale=charts._PNG_SCALE)
    )
    change = np.abs(pixels.astype(int) - fresh.astype(int)).max(axis=2)
    assert change.mean() < 0.5 and np.mean(change > 64) < 1e-4  # the same picture, in at most 256 colours


@pytest.mark.parametrize(("limit", "expected"), [(0, "image/png"), (10**9, "image/svg+xml")])
def test_the_svg_size_decides_the_static_view(monkeypatch, limit, expected):
    monkeypatch.setattr(charts, "_SVG_LIMIT_BYTES", limit)
    bundle, metadata = _render(COURSE_CHARTS["dose response"])
    (other,) = {"image/png", "image/svg+xml"} - {expected}
    assert expected in bundle and other not in bundle
    assert bool(metadata) == (expected == "image/png")


def test_the_renderer_draws_in_a_notebook_bundle():
    charts.use_course_renderer()
    try:
        bundle, metadata = COURSE_CHARTS["histogram"]._repr_mimebundle_()
    finally:
        alt.renderers.enable("default")
    assert {VEGALITE, "text/plain"} <= set(bundle) and isinstance(metadata, dict)


# --- the compact PNG ----------------------------------------------------------------------


def _pixels(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGBA"))


def test_the_compact_png_is_the_same_picture_several_times_smaller():
    png = vl_convert.vegalite_to_png(
        COURSE_CHARTS["draws"].to_dict(), vl_version=charts._VEGALITE_VERSION, scale=2
    )
    compact = charts._compact_png(png)
    assert 2 * len(compact) < len(png)
    before, after = _pixels(png), _pixels(compact)
    assert after.shape == before.shape and (after[..., 3] == 255).all()  # opaque, on white
    change = np.abs(after.astype(int) - before.astype(int))[..., :3].max(axis=2)
    assert change.mean() < 0.5 and np.mean(change > 32) < 1e-3
    assert np.array_equal(after[0, 0, :3], before[0, 0, :3])  # the background stays exact


def test_a_transparent_png_is_flattened_on_white_not_black():
    clear = Image.new("RGBA", (8, 6), (0, 0, 0, 0))
    out = io.BytesIO()
    clear.save(out, format="PNG")
    assert (_pixels(charts._compact_png(out.getvalue()))[..., :3] == 255).all()
