"""gaussian_ellipses_chart: each ellipse at the chi-square radius of its own normal, legend in dict
order, deterministic, layered over the region chart without sharing its colour scale."""

import json
import re

import numpy as np
import pytest
import vl_convert
from scipy import stats

from bda_helpers import GridPosterior, LaplaceApproximation, charts

GAUSSIANS = {
    "Laplace": (np.array([0.8466, 7.749]), np.array([[1.0385, 3.546], [3.546, 23.7439]])),
    "mean-field VI": (np.array([1.17, 11.04]), np.diag([0.786**2, 3.444**2])),
    "full-rank VI": (np.array([1.32, 11.46]), np.array([[0.95, 2.3], [2.3, 16.7]])),
}


def _rows(spec):
    (rows,) = spec["datasets"].values()
    return rows


def _points(rows, name):
    return np.array([[r["alpha"], r["beta"]] for r in rows if r["gaussian"] == name])


@pytest.mark.parametrize("level", [0.5, 0.95])
def test_each_ellipse_lies_at_the_chi_square_radius_of_its_normal(level):
    rows = _rows(charts.gaussian_ellipses_chart(GAUSSIANS, level=level).to_dict())
    assert len(rows) == 3 * 121 and set(rows[0]) == {"alpha", "beta", "order", "gaussian"}
    for name, (mean, cov) in GAUSSIANS.items():
        points = _points(rows, name)
        offset = points - mean
        mahalanobis2 = np.einsum("ij,jk,ik->i", offset, np.linalg.inv(cov), offset)
        np.testing.assert_allclose(
            mahalanobis2, stats.chi2.ppf(level, 2), rtol=5e-3
        )  # data rounded to 4 digits
        np.testing.assert_array_equal(points[0], points[-1])  # closed
        assert [r["order"] for r in rows if r["gaussian"] == name] == list(range(121))


def test_same_ellipse_as_laplace_ellipses_chart():
    mean, cov = GAUSSIANS["Laplace"]
    laplace_rows = _rows(
        charts.laplace_ellipses_chart(LaplaceApproximation(mean, cov), [0.8], n_points=31).to_dict()
    )
    rows = _rows(charts.gaussian_ellipses_chart({"q": (mean, cov)}, level=0.8, n_points=31).to_dict())
    assert [(r["alpha"], r["beta"]) for r in rows] == [(r["alpha"], r["beta"]) for r in laplace_rows]


def test_legend_keeps_dict_order_on_its_own_channel():
    order = ["full-rank VI", "Laplace", "mean-field VI"]
    spec = charts.gaussian_ellipses_chart({name: GAUSSIANS[name] for name in order}, title="t").to_dict()
    assert spec["encoding"]["stroke"]["scale"]["domain"] == order
    assert spec["encoding"]["stroke"]["sort"] == order
    assert "color" not in spec["encoding"]
    assert spec["encoding"]["x"]["field"] == "alpha" and spec["encoding"]["y"]["field"] == "beta"


def test_layered_over_the_region_chart_deterministic_and_renderable():
    grid = GridPosterior.from_log_density(
        lambda theta: -0.5 * ((theta[..., 0] - 1) ** 2 + ((theta[..., 1] - 10) / 5) ** 2),
        (np.linspace(-4, 8, 25), np.linspace(-10, 40, 31)),
        names=("alpha", "beta"),
    )

    def make():
        return charts.posterior_region_chart(grid) + charts.gaussian_ellipses_chart(
            GAUSSIANS, title="normals"
        )

    first = json.dumps(make().to_dict(), sort_keys=True)
    assert first == json.dumps(make().to_dict(), sort_keys=True)
    assert not re.search(r'"(param|view|selector)_?\d+"', first), "auto-numbered name in the spec"
    spec = make().to_dict()
    assert spec["layer"][0]["encoding"]["color"]["scale"]["scheme"] == "blues"  # region colours untouched
    assert spec["layer"][1]["encoding"]["stroke"]["scale"]["domain"] == list(GAUSSIANS)
    assert vl_convert.vegalite_to_svg(spec, vl_version=charts._VEGALITE_VERSION).startswith("<svg")


@pytest.mark.parametrize(
    ("gaussians", "options", "error", "message"),
    [
        ({}, {}, ValueError, "gaussians is empty"),
        (
            {"q": ([0.0, 0.0, 0.0], np.eye(3))},
            {},
            ValueError,
            r"gaussian 'q' must have a mean of shape \(2,\)",
        ),
        ({"q": ([0.0, 0.0], np.eye(3))}, {}, ValueError, r"cov of shape \(2, 2\), got \(2,\) and \(3, 3\)"),
        ({"q": ([0.0, np.nan], np.eye(2))}, {}, ValueError, "gaussian 'q': mode and cov must be finite"),
        ({"q": ([0.0, 0.0], [[1.0, 0.5], [0.4, 1.0]])}, {}, ValueError, "gaussian 'q': cov is not symmetric"),
        (
            {"q": ([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]])},
            {},
            ValueError,
            "gaussian 'q': cov is not positive definite",
        ),
        (
            GAUSSIANS,
            {"level": 1.0},
            ValueError,
            "level must be a probability strictly between 0 and 1, got 1.0",
        ),
        (GAUSSIANS, {"level": 0}, ValueError, "strictly between 0 and 1, got 0"),
        (GAUSSIANS, {"level": "95%"}, TypeError, "level must be a number, got str"),
        (GAUSSIANS, {"level": True}, TypeError, "level must be a number, got bool"),
        (GAUSSIANS, {"n_points": 3}, ValueError, "n_points must be at least 4, got 3"),
        (GAUSSIANS, {"n_points": 50.0}, TypeError, "n_points must be an integer, got float 50.0"),
    ],
)
def test_refuses_bad_input(gaussians, options, error, message):
    with pytest.raises(error, match=message):
        charts.gaussian_ellipses_chart(gaussians, **options)
