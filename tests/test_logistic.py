"""Bayesian logistic regression: model functions, Laplace fit, bad inputs; and the chart of the
benchmark's results (bda_helpers.beyond.charts.cost_chart).

References are independent of the code under test: scipy.stats for the log densities,
finite differences for the derivatives, scipy.optimize.minimize for the mode, and a
fine grid for the posterior mean in one and two dimensions.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import optimize, special, stats

from bda_helpers import GridPosterior, LaplaceApproximation, fd_hessian_from_log_density, fd_jacobian
from bda_helpers.beyond import logistic
from bda_helpers.beyond.charts import cost_chart
from bda_helpers.beyond.logistic import (
    LogisticData,
    gradient,
    hessian,
    laplace_logistic,
    log_likelihood,
    log_posterior,
    newton_logistic,
    simulate_logistic,
)


def small_data(n=60, d=3, seed=7) -> LogisticData:
    return simulate_logistic(n, d, np.random.default_rng(seed))


def ref_log_posterior(coef, data, prior_sd):
    """log p(y | coef) + log p(coef) from scipy.stats, written without bda_helpers."""
    p = 1.0 / (1.0 + np.exp(-(data.X @ coef)))
    return stats.bernoulli.logpmf(data.y, p).sum() + stats.norm.logpdf(coef, 0.0, prior_sd).sum()


# --- simulation ------------------------------------------------------------------------


def test_simulation_is_reproducible_and_read_only():
    a, b = small_data(seed=3), small_data(seed=3)
    assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y) and np.array_equal(a.coef_true, b.coef_true)
    assert set(np.unique(a.y)) <= {0, 1}
    for array in (a.X, a.y, a.coef_true):
        with pytest.raises(ValueError):
            array[0] = 1


@pytest.mark.parametrize("d", [5, 200])
def test_linear_predictor_has_sd_near_prior_sd_for_every_d(d):
    # Var(x_i . coef) = |coef|^2 / d, and |coef|^2 / d -> prior_sd^2 as d grows.
    data = simulate_logistic(20 * d, d, np.random.default_rng(d), prior_sd=2.0)
    eta = data.X @ data.coef_true
    assert 1.0 < np.std(eta) < 3.5
    assert 0.1 < data.y.mean() < 0.9


def test_logistic_data_copies_its_input():
    X = np.ones((2, 1))
    data = LogisticData(X=X, y=[0, 1])
    X[0, 0] = 5.0
    assert data.X[0, 0] == 1.0 and data.coef_true is None


# --- model functions against scipy.stats and finite differences -------------------------


@pytest.mark.parametrize("prior_sd", [0.5, 1.0, 3.0])
def test_log_posterior_matches_scipy_stats(prior_sd):
    data = small_data()
    coef = np.random.default_rng(1).normal(size=data.d)
    expected = ref_log_posterior(coef, data, prior_sd)
    assert log_posterior(coef, data, prior_sd) == pytest.approx(expected, rel=1e-12)
    p = 1.0 / (1.0 + np.exp(-(data.X @ coef)))
    assert log_likelihood(coef, data) == pytest.approx(stats.bernoulli.logpmf(data.y, p).sum(), rel=1e-12)


def test_log_likelihood_is_finite_for_huge_logits():
    data = LogisticData(X=[[1.0], [1.0], [-1.0]], y=[1, 0, 0])
    # eta = +-800: one outcome has log-probability -800, the others 0 (no overflow to -inf).
    assert log_likelihood([800.0], data) == pytest.approx(-800.0, rel=1e-12)
    assert np.isfinite(gradient([800.0], data)).all() and np.isfinite(hessian([800.0], data)).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradient_and_hessian_match_finite_differences(seed):
    data = small_data(d=4, seed=seed)
    coef = np.random.default_rng(seed + 10).normal(size=data.d)
    prior_sd = 1.5
    fd_grad = fd_jacobian(lambda c: np.atleast_1d(log_posterior(c, data, prior_sd)), coef)[0]
    assert np.allclose(gradient(coef, data, prior_sd), fd_grad, rtol=1e-7, atol=1e-7)
    fd_hess = fd_jacobian(lambda c: gradient(c, data, prior_sd), coef)
    assert np.allclose(hessian(coef, data, prior_sd), fd_hess, rtol=1e-7, atol=1e-8)


def test_hessian_is_exactly_symmetric():
    data = small_data(n=500, d=50)
    h = hessian(np.full(50, 0.3), data)
    assert np.array_equal(h, h.T)


# --- the Laplace fit --------------------------------------------------------------------


def test_mode_matches_scipy_bfgs():
    data = small_data(n=80, d=4, seed=11)

    # The textbook score X'(y - p) - coef / sd^2, written here with scipy.special.expit.
    def ref_neg_gradient(c):
        return -(data.X.T @ (data.y - special.expit(data.X @ c)) - c / 2.0**2)

    reference = optimize.minimize(
        lambda c: -ref_log_posterior(c, data, 2.0),
        np.zeros(data.d),
        jac=ref_neg_gradient,
        method="BFGS",
        options={"gtol": 1e-10},
    )
    assert reference.success, reference.message
    approx = laplace_logistic(data, prior_sd=2.0)
    assert np.allclose(approx.mode, reference.x, rtol=0, atol=1e-8)


def test_covariance_is_inverse_of_finite_difference_hessian_of_the_log_density():
    data = small_data(n=80, d=4, seed=12)
    approx = laplace_logistic(data, prior_sd=2.0)
    fd = fd_hessian_from_log_density(lambda c: ref_log_posterior(c, data, 2.0), approx.mode)
    assert np.allclose(approx.cov, np.linalg.inv(-fd), rtol=1e-4, atol=1e-6)
    assert approx.log_density_at_mode == pytest.approx(ref_log_posterior(approx.mode, data, 2.0), rel=1e-12)


def test_newton_converges_in_a_few_steps_with_gradient_zero():
    data = small_data(n=400, d=40, seed=5)
    result = newton_logistic(data)
    assert result.n_iter <= 8
    assert np.linalg.norm(gradient(result.mode, data)) <= 1e-10


def test_laplace_mean_is_close_to_a_one_dimensional_grid_posterior():
    data = simulate_logistic(30, 1, np.random.default_rng(21))
    approx = laplace_logistic(data)
    grid = np.linspace(-8.0, 8.0, 20001)
    p = 1.0 / (1.0 + np.exp(-np.outer(data.X[:, 0], grid)))  # (n, grid points)
    log_density = stats.bernoulli.logpmf(data.y[:, None], p).sum(axis=0) + stats.norm.logpdf(grid)
    weights = np.exp(log_density - log_density.max())
    weights /= weights.sum()
    mean = weights @ grid
    sd = np.sqrt(weights @ (grid - mean) ** 2)
    # The posterior is slightly skewed: its mean and the mode differ by a small part of an sd.
    assert abs(approx.mode[0] - mean) < 0.1 * sd
    assert approx.sd[0] == pytest.approx(sd, rel=0.05)
    # log p(y) by quadrature on the same grid (log_density includes the prior's constant).
    log_evidence = (
        np.log(np.sum(np.exp(log_density - log_density.max())) * (grid[1] - grid[0])) + log_density.max()
    )
    assert approx.log_evidence == pytest.approx(log_evidence, abs=0.02)


def test_laplace_mean_is_close_to_a_two_dimensional_grid_posterior():
    data = simulate_logistic(40, 2, np.random.default_rng(22))
    approx = laplace_logistic(data)
    axes = [np.linspace(m - 6 * s, m + 6 * s, 301) for m, s in zip(approx.mode, approx.sd)]

    def log_density(theta):  # theta of shape (len a, len b, 2)
        a, b = theta[..., 0], theta[..., 1]
        eta = data.X[:, 0, None, None] * a + data.X[:, 1, None, None] * b  # (n, len a, len b)
        p = 1.0 / (1.0 + np.exp(-eta))
        log_lik = stats.bernoulli.logpmf(data.y[:, None, None], p).sum(axis=0)
        return log_lik + stats.norm.logpdf(a) + stats.norm.logpdf(b)

    grid = GridPosterior.from_log_density(log_density, axes)
    mean, cov = grid.mean(), grid.cov()
    assert np.all(np.abs(approx.mode - mean) < 0.1 * np.sqrt(np.diag(cov)))
    assert np.allclose(approx.cov, cov, rtol=0.1, atol=0.05 * cov.max())


def test_laplace_fit_returns_a_laplace_approximation_with_the_evidence():
    data = small_data()
    approx = laplace_logistic(data)
    assert isinstance(approx, LaplaceApproximation) and approx.dim == data.d
    assert np.isfinite(approx.log_evidence)


# --- the cost chart ---------------------------------------------------------------------


def chart_rows():
    return [
        {
            "d": d,
            "fit_median_s": 1e-9 * d**3,
            "hessian_median_s": 1e-10 * d**3,
            "cholesky_median_s": 2e-11 * d**3,
        }
        for d in (10, 100, 1000)
    ]


def test_cost_chart_reference_lines_pass_through_the_largest_fit():
    spec = cost_chart({"rows": chart_rows()}).to_dict()
    rows = next(iter(spec["datasets"].values()))
    reference = {(r["series"], r["d"]): r["seconds"] for r in rows if r["kind"] == "reference"}
    assert reference[("∝ d³ (reference)", 1000)] == reference[("∝ d² (reference)", 1000)] == 1.0
    assert reference[("∝ d³ (reference)", 10)] == pytest.approx(1e-6)
    assert reference[("∝ d² (reference)", 10)] == pytest.approx(1e-4)
    assert spec["layer"][0]["encoding"]["x"]["scale"]["type"] == "log"
    assert spec["layer"][0]["encoding"]["y"]["scale"]["type"] == "log"


def test_cost_chart_is_deterministic():
    assert cost_chart({"rows": chart_rows()}).to_json() == cost_chart({"rows": chart_rows()}).to_json()


@pytest.mark.parametrize(
    ("results", "error", "match"),
    [
        ([], TypeError, "results must be a dict"),
        ({}, ValueError, "non-empty list"),
        ({"rows": []}, ValueError, "non-empty list"),
        ({"rows": [{"d": 10}]}, ValueError, "lacks"),
        (
            {"rows": [{"d": 10, "fit_median_s": 0.0, "hessian_median_s": 1.0, "cholesky_median_s": 1.0}]},
            ValueError,
            "positive",
        ),
    ],
)
def test_cost_chart_refuses_bad_results(results, error, match):
    with pytest.raises(error, match=match):
        cost_chart(results)


# --- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"X": [1.0, 2.0], "y": [0, 1]}, "X must be a 2-D array"),
        ({"X": np.zeros((0, 2)), "y": []}, "X must be a 2-D array"),
        ({"X": [[np.nan]], "y": [0]}, r"X must be finite, got nan at index \(0, 0\)"),
        ({"X": [[1.0], [2.0]], "y": [0, 1, 1]}, r"y must have shape \(2,\)"),
        ({"X": [[1.0], [2.0]], "y": [[0, 1]]}, r"y must have shape \(2,\)"),
        ({"X": [[1.0], [2.0]], "y": [0, 0.5]}, "only 0 and 1, got 0.5"),
        ({"X": [[1.0], [2.0]], "y": [-1, 1]}, "only 0 and 1, got -1"),
        ({"X": [[1.0], [2.0]], "y": [True, False]}, "numbers 0 and 1"),
        ({"X": [[1.0], [2.0]], "y": ["0", "1"]}, "numbers 0 and 1"),
        ({"X": [[1.0], [2.0]], "y": [0, 1], "coef_true": [1.0, 2.0]}, "coef_true must be finite with shape"),
    ],
)
def test_logistic_data_refuses_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LogisticData(**kwargs)


@pytest.mark.parametrize(
    ("n", "d", "error", "match"),
    [
        (0, 2, ValueError, "n must be at least 1, got 0"),
        (10, -1, ValueError, "d must be at least 1, got -1"),
        (10.0, 2, TypeError, "n must be an integer, got float 10.0"),
        (10, True, TypeError, "d must be an integer, got bool True"),
    ],
)
def test_simulate_refuses_bad_sizes(n, d, error, match):
    with pytest.raises(error, match=match):
        simulate_logistic(n, d, np.random.default_rng(0))


def test_simulate_refuses_a_seed_instead_of_a_generator():
    with pytest.raises(TypeError, match=r"numpy\.random\.Generator"):
        simulate_logistic(10, 2, 42)


@pytest.mark.parametrize("prior_sd", [0.0, -1.0, np.inf, np.nan])
def test_prior_sd_must_be_positive_and_finite(prior_sd):
    data = small_data()
    for call in (
        lambda: log_posterior(np.zeros(3), data, prior_sd),
        lambda: gradient(np.zeros(3), data, prior_sd),
        lambda: hessian(np.zeros(3), data, prior_sd),
        lambda: laplace_logistic(data, prior_sd),
        lambda: simulate_logistic(10, 2, np.random.default_rng(0), prior_sd=prior_sd),
    ):
        with pytest.raises(ValueError, match="prior_sd must be a positive, finite number"):
            call()


@pytest.mark.parametrize("prior_sd", ["1", None, True])
def test_prior_sd_must_be_a_number(prior_sd):
    with pytest.raises(TypeError, match="prior_sd must be a number"):
        laplace_logistic(small_data(), prior_sd)


@pytest.mark.parametrize(
    ("coef", "match"),
    [
        (np.zeros(2), r"coef must have shape \(3,\)"),
        ([0.0, np.inf, 0.0], r"coef must be finite, got inf at index \(1,\)"),
    ],
)
def test_model_functions_refuse_bad_coef(coef, match):
    data = small_data()
    for function in (log_likelihood, log_posterior, gradient, hessian):
        with pytest.raises(ValueError, match=match):
            function(coef, data)


def test_model_functions_refuse_data_of_another_type():
    from bda_helpers import load_bioassay

    for call in (
        lambda: log_posterior(np.zeros(2), load_bioassay()),
        lambda: laplace_logistic(load_bioassay()),
    ):
        with pytest.raises(TypeError, match="data must be a LogisticData"):
            call()


def test_the_committed_benchmark_results_draw_and_the_model_module_reads_no_files():
    """Notebook 10 reads benchmarks/results/laplace_cost.json itself and draws it with cost_chart;
    the model module neither knows where it is nor reads it."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "laplace_cost.json"
    results = json.loads(path.read_text(encoding="utf-8"))
    assert [row["d"] for row in results["rows"]] == sorted(row["d"] for row in results["rows"])
    assert {"rows", "slopes", "target", "nuts", "machine"} <= set(results)
    spec = cost_chart(results).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert {row["d"] for row in rows} == {row["d"] for row in results["rows"]}
    assert not {"COST_RESULTS", "load_cost_results", "cost_chart"} & set(dir(logistic))


def test_log_posterior_and_gradient_broadcast_over_stacked_points():
    """Points stacked along leading axes give, point by point, what one point at a time gives
    (computed here from the formula directly, not by the functions under test)."""
    data = simulate_logistic(40, 3, np.random.default_rng(5))
    points = np.random.default_rng(6).normal(size=(2, 4, 3))
    eta = np.einsum("abd,nd->abn", points, data.X)
    expected = (eta * data.y).sum(-1) - np.logaddexp(0, eta).sum(-1)
    expected += -0.5 * (points**2).sum(-1) - 3 * 0.5 * np.log(2 * np.pi)
    assert np.allclose(log_posterior(points, data), expected, rtol=1e-13, atol=1e-12)
    residual = data.y - 1 / (1 + np.exp(-eta))
    assert np.allclose(gradient(points, data), residual @ data.X - points, rtol=1e-13, atol=1e-12)
    assert log_posterior(points[0, 0], data).shape == ()
    with pytest.raises(ValueError, match="one point"):
        hessian(points, data)
