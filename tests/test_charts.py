"""The chart renderer and helpers: every view present, specs deterministic and free of auto-names."""

import json
import re

import altair as alt
import numpy as np
import pytest

from bda_helpers import GridPosterior, bioassay, charts, load_bioassay

VEGALITE = "application/vnd.vegalite.v5+json"


@pytest.fixture(scope="module")
def all_charts():
    data = load_bioassay()
    grid = bioassay.grid_posterior(data, alpha=np.linspace(-4, 8, 30), beta=np.linspace(-10, 40, 45))
    draws = grid.sample(200, np.random.default_rng(1))
    return [
        charts.dose_response_chart(data),
        charts.dose_response_chart(data, alpha=draws[:5, 0], beta=draws[:5, 1]),
        charts.posterior_region_chart(grid, title="regions"),
        charts.draws_chart({"grid": draws, "other": draws + 1}, title="draws"),
        charts.lines_chart(np.linspace(0.1, 1, 10), {"a": np.ones(10), "b": np.arange(1, 11.0)}, log_y=True),
        charts.histogram_chart({"grid": draws[:, 0], "shifted": draws[:, 0] + 1}, np.linspace(-2, 4, 25)),
    ]


def test_renderer_bundle_has_vegalite_svg_and_text(all_charts):
    charts.use_course_renderer()
    try:
        bundle, metadata = alt.renderers.get()(all_charts[2].to_dict())
    finally:
        alt.renderers.enable("default")
    assert set(bundle) == {VEGALITE, "image/svg+xml", "text/plain"}
    assert metadata == {}
    assert bundle["image/svg+xml"].startswith("<svg")
    assert bundle["text/plain"] == "<Altair chart: regions>"


def test_specs_are_deterministic_and_named(all_charts):
    for chart in all_charts:
        first = json.dumps(chart.to_dict(), sort_keys=True)
        assert first == json.dumps(chart.to_dict(), sort_keys=True)
        assert not re.search(r'"(param|view|selector)_?\d+"', first), "auto-numbered name in the spec"


def test_round_significant_against_formatting():
    values = np.array([1.23456789, -98765.4321, 3.3333e-7, 0.0])
    expected = [float(f"{v:.4g}") for v in values]
    assert charts.round_significant(values).tolist() == expected


def test_region_chart_marks_only_cells_inside_the_99_percent_region():
    grid = GridPosterior.from_log_density(
        lambda theta: -0.5 * (theta**2).sum(axis=-1), (np.linspace(-5, 5, 41), np.linspace(-5, 5, 31))
    )
    rows = charts.posterior_region_chart(grid).to_dict()["datasets"]
    (cells,) = rows.values()
    inside = grid.credible_level() < 0.99
    assert len(cells) == int(inside.sum())
    assert {c["region"] for c in cells} == {"50%", "80%", "95%", "99%"}


def test_region_chart_axes_follow_the_grid_names_and_axes():
    mu, log_sigma = np.linspace(12, 17, 21), np.linspace(-1, 2, 31)
    grid = GridPosterior.from_log_density(
        lambda theta: -0.5 * ((theta[..., 0] - 14.5) ** 2 + (4 * (theta[..., 1] - 0.3)) ** 2),
        (mu, log_sigma),
        names=("mu", "log_sigma"),
    )
    spec = charts.posterior_region_chart(grid).to_dict()
    x, y = spec["encoding"]["x"], spec["encoding"]["y"]
    assert (x["field"], x["title"], y["field"], y["title"]) == ("mu", "μ", "log_sigma", "log σ")
    half = grid.step / 2
    assert x["scale"]["domain"] == pytest.approx([12 - half[0], 17 + half[0]])
    assert y["scale"]["domain"] == pytest.approx([-1 - half[1], 2 + half[1]])
    # A name that is not a plain identifier gets a safe field name (Vega-Lite reads [0] as an index).
    generic = GridPosterior.from_log_density(grid.mass, grid.axes)
    spec = charts.posterior_region_chart(generic).to_dict()
    assert spec["encoding"]["x"]["field"] == "theta_0_" and spec["encoding"]["x"]["title"] == "theta[0]"
    (cells,) = spec["datasets"].values()
    assert {"theta_0_", "theta_0__end", "theta_1_", "theta_1__end", "region"} == set(cells[0])


def test_histogram_bars_integrate_to_the_share_inside_the_edges():
    sample = np.concatenate([np.linspace(0.05, 0.95, 10), [5.0, -7.0]])
    spec = charts.histogram_chart({"s": sample}, np.linspace(0, 1, 5), title="h").to_dict()
    rows = next(iter(spec["datasets"].values()))
    area = sum(row["density"] * (row["end"] - row["start"]) for row in rows)
    assert area == pytest.approx(10 / 12, rel=1e-3)
    assert spec["title"]["subtitle"] == "outside [0, 1]: s 2 of 12"


def test_lines_chart_refuses_mismatched_curves_and_nonpositive_log_values():
    with pytest.raises(ValueError, match="curve 'b' has shape"):
        charts.lines_chart([1, 2, 3], {"a": [1, 2, 3], "b": [1, 2]})
    with pytest.raises(ValueError, match="logarithmic y axis needs positive values"):
        charts.lines_chart([1, 2, 3], {"a": [1, 0, 3]}, log_y=True)
