"""The kernel-free slider chart of the large-sample section: one named parameter bound to a
range input over the replication counts, every k's curves in the spec, a filter on the
parameter, rounded data, the same spec on every run, and the curves it draws checked against
an independent computation."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from bda_helpers import bioassay, load_bioassay
from bda_helpers.beyond.asymptotics import beta_marginal_curves, replicate
from bda_helpers.beyond.charts import k_slider_chart


@pytest.fixture(scope="module")
def curves():
    return beta_marginal_curves(load_bioassay(), ks=range(1, 11))


def test_the_slider_is_a_named_range_over_the_ks(curves):
    spec = k_slider_chart(curves, title="t").to_dict()
    (param,) = spec["params"]
    assert param["name"] == "k" and param["value"] == 1
    assert param["bind"] == {"input": "range", "min": 1, "max": 10, "step": 1, "name": "replications k "}
    (layer,) = spec["layer"]
    assert layer["name"] == "k_slider_curves"
    assert layer["transform"] == [{"filter": "(datum.k === k)"}]


def test_every_k_travels_in_a_small_rounded_spec(curves):
    spec = k_slider_chart(curves).to_dict()
    (rows,) = spec["datasets"].values()
    frame = pd.DataFrame(rows)
    assert sorted(frame["k"].unique()) == list(range(1, 11))
    assert set(frame["method"]) == {"exact", "Laplace"}
    assert frame.groupby(["k", "method"]).size().eq(80).all()
    for column in ("beta", "density"):
        values = frame[column].to_numpy()
        assert np.array_equal(values, np.array([float(f"{v:.4g}") for v in values]))
    assert len(json.dumps(spec)) < 120_000  # as JSON; the course renderer stores it as CSV, about half


def test_the_spec_is_the_same_on_every_run(curves):
    assert json.dumps(k_slider_chart(curves).to_dict(), sort_keys=True) == json.dumps(
        k_slider_chart(curves.copy()).to_dict(), sort_keys=True
    )


def test_the_exact_curve_matches_one_dimensional_quadrature(curves):
    """At k = 2, the exact marginal density of beta at a few points, by integrating alpha out
    with scipy's quad and normalising by a 1-D quadrature of that marginal."""
    data = replicate(load_bioassay(), 2)
    model = bioassay.model_functions(data)
    shift = float(model.log_density(bioassay.laplace_fit(data).mode))

    def unnormalised(beta):
        return integrate.quad(
            lambda a: np.exp(float(model.log_density(np.array([a, beta]))) - shift), -30, 40, epsabs=1e-12
        )[0]

    total = integrate.quad(unnormalised, -20, 120, limit=200, epsabs=1e-10)[0]
    exact = curves[(curves["k"] == 2) & (curves["method"] == "exact")]
    for beta, density in zip(exact["beta"].to_numpy()[::16], exact["density"].to_numpy()[::16]):
        assert density == pytest.approx(unnormalised(beta) / total, rel=2e-3, abs=1e-5)


def test_the_laplace_curve_is_the_normal_density(curves):
    approx = bioassay.laplace_fit(replicate(load_bioassay(), 5))
    laplace = curves[(curves["k"] == 5) & (curves["method"] == "Laplace")]
    expected = stats.norm.pdf(laplace["beta"], approx.mode[1], approx.sd[1])
    assert np.allclose(laplace["density"], expected, rtol=1e-12)


@pytest.mark.parametrize(
    ("curves", "error", "message"),
    [
        ([1, 2], TypeError, "DataFrame"),
        (pd.DataFrame({"k": [1], "beta": [0.0], "density": [1.0]}), ValueError, "method"),
        (pd.DataFrame(columns=["k", "method", "beta", "density"]), ValueError, "empty"),
        (pd.DataFrame({"k": [1, 3], "method": "a", "beta": 0.0, "density": 1.0}), ValueError, "consecutive"),
        (pd.DataFrame({"k": [0, 1], "method": "a", "beta": 0.0, "density": 1.0}), ValueError, "positive"),
        (pd.DataFrame({"k": [1.5, 2], "method": "a", "beta": 0.0, "density": 1.0}), ValueError, "integers"),
        (pd.DataFrame({"k": [1, 2], "method": "a", "beta": np.nan, "density": 1.0}), ValueError, "beta"),
        (
            pd.DataFrame({"k": [1.0, np.nan], "method": "a", "beta": 0.0, "density": 1.0}),
            ValueError,
            "integers",
        ),
        (
            pd.DataFrame({"k": np.arange(1, 52), "method": "a", "beta": 0.0, "density": 1.0}),
            ValueError,
            "at most 50",
        ),
    ],
)
def test_bad_curves_are_refused(curves, error, message):
    with pytest.raises(error, match=message):
        k_slider_chart(curves)


def test_beta_marginal_curves_refuses_bad_points():
    with pytest.raises(ValueError, match="points"):
        beta_marginal_curves(load_bioassay(), ks=(1, 2), points=5)


def test_whole_number_float_ks_are_the_integers_they_equal():
    frame = pd.DataFrame(
        {
            "k": [1.0, 1.0, 2.0, 2.0],
            "method": "exact",
            "beta": [0.0, 1.0, 0.0, 1.0],
            "density": [0.5, 0.5, 0.2, 0.8],
        }
    )
    as_int = frame.assign(k=frame["k"].astype(int))
    assert k_slider_chart(frame).to_dict() == k_slider_chart(as_int).to_dict()


def test_fifty_positions_are_accepted():
    frame = pd.DataFrame({"k": np.arange(1, 51), "method": "a", "beta": 0.0, "density": 1.0})
    assert k_slider_chart(frame).to_dict()["params"][0]["bind"]["max"] == 50
