"""Notebook 05's key numbers against independent references, and its new chart helpers.

References: the conftest implementation (scipy root for the mode, the analytic information
for the covariance, log_expit for the likelihood), scipy.stats, and a grid finer and wider
than the course's (α ∈ [−6, 14], β ∈ [−12, 130], 1000 × 3000 points) normalised here with
numpy alone.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from scipy import special, stats

from bda_helpers import GridPosterior, LaplaceApproximation, bioassay, charts, laplace


@pytest.fixture(scope="module")
def approx(data):
    return laplace(bioassay.model_functions(data).gradient, [0.0, 0.0])  # finite-difference Hessian


@pytest.fixture(scope="module")
def grid(data):
    """The notebook's grid: the course's default, 500 × 1500 points on α ∈ [−5, 12], β ∈ [−10, 100]."""
    return bioassay.grid_posterior(data)


def test_laplace_mode_sds_and_correlation_match_the_reference(approx, posterior_mode):
    ref_sd = np.sqrt(np.diag(posterior_mode.cov))
    ref_corr = posterior_mode.cov[0, 1] / (ref_sd[0] * ref_sd[1])
    np.testing.assert_allclose(approx.mode, posterior_mode.mode, atol=1e-8)
    np.testing.assert_allclose(approx.cov, posterior_mode.cov, rtol=1e-6)
    np.testing.assert_allclose(approx.sd, ref_sd, rtol=1e-6)
    assert approx.corr[0, 1] == pytest.approx(ref_corr, rel=1e-6)
    # The course's reference facts.
    np.testing.assert_allclose(ref_sd, [1.019, 4.873], atol=1e-3)
    assert ref_corr == pytest.approx(0.714, abs=1e-3)


def test_laplace_probability_of_negative_beta_is_the_analytic_normal_tail(posterior_mode):
    mode, sd = posterior_mode.mode[1], np.sqrt(posterior_mode.cov[1, 1])
    tail = 0.5 * special.erfc(mode / (sd * np.sqrt(2.0)))  # Φ(−mode/sd) by the error function
    assert tail == pytest.approx(0.0559, abs=1e-4)


def test_laplace_draws_hit_negative_beta_at_the_normal_rate(approx, posterior_mode):
    draws = approx.sample(200_000, np.random.default_rng(50))
    tail = stats.norm.cdf(0.0, posterior_mode.mode[1], np.sqrt(posterior_mode.cov[1, 1]))
    share = np.mean(draws[:, 1] < 0)
    assert abs(share - tail) < 4 * np.sqrt(tail * (1 - tail) / draws.shape[0])


def test_laplace_draws_by_hand_are_the_helpers_draws_bit_for_bit(approx):
    """Notebook 05 section 3: mode + z @ L.T with L = cholesky(Σ), on the same generator state."""
    rng = np.random.default_rng(20260405)
    state = rng.bit_generator.state
    by_hand = approx.mode + rng.standard_normal((1500, 2)) @ np.linalg.cholesky(approx.cov).T
    rng.bit_generator.state = state
    np.testing.assert_array_equal(approx.sample(1500, rng), by_hand)


def test_exact_posterior_has_almost_no_mass_below_beta_zero(fine_grid, grid):
    below = fine_grid.mass[:, fine_grid.beta < 0].sum()
    assert below == pytest.approx(4.0e-6, rel=0.05)  # adaptive quadrature: 4.0e-6
    assert grid.cdf("beta", 0.0) == pytest.approx(below, rel=0.3)  # the coarse grid's CDF, same order


def test_grid_mean_against_the_finer_grid(fine_grid, grid):
    """Notebook 05 section 6 prints (1.31, 11.64) and asserts (1.315, 11.636)."""
    fine_mean = np.array(
        [fine_grid.mass.sum(axis=1) @ fine_grid.alpha, fine_grid.mass.sum(axis=0) @ fine_grid.beta]
    )
    np.testing.assert_allclose(fine_mean, [1.3147, 11.6356], atol=5e-4)  # adaptive quadrature's values
    np.testing.assert_allclose(grid.mean(), fine_mean, atol=5e-4)


def test_exact_mass_inside_the_laplace_ellipses(fine_grid, posterior_mode):
    """Notebook 05 section 4: the Laplace 95 % ellipse holds ~83.5 % of the exact posterior."""
    precision = np.linalg.inv(posterior_mode.cov)
    d_alpha = fine_grid.alpha[:, None] - posterior_mode.mode[0]
    d_beta = fine_grid.beta[None, :] - posterior_mode.mode[1]
    mahalanobis2 = (
        precision[0, 0] * d_alpha**2 + 2 * precision[0, 1] * d_alpha * d_beta + precision[1, 1] * d_beta**2
    )
    levels = (0.5, 0.8, 0.95, 0.99)
    held = [fine_grid.mass[mahalanobis2 <= stats.chi2.ppf(level, 2)].sum() for level in levels]
    np.testing.assert_allclose(held, [0.442, 0.682, 0.835, 0.912], atol=1e-3)


def test_what_the_diagonal_approximation_loses(posterior_mode):
    """Notebook 05 section 2: at x* = −Σαβ/Σββ the diagonal sd of α + βx is 1.76 times the full one."""
    (var_alpha, cov), (_, var_beta) = posterior_mode.cov
    x_star = -cov / var_beta
    full = var_alpha - cov**2 / var_beta  # Var(α + βx*) in closed form
    diagonal = var_alpha + x_star**2 * var_beta
    assert x_star == pytest.approx(-0.1493, abs=1e-4)
    assert np.sqrt(diagonal / full) == pytest.approx(1.755, abs=1e-3)


# --- GridPosterior.cdf ---------------------------------------------------------------------


def test_grid_cdf_against_scipy_for_a_gaussian_and_inverts_quantile():
    grid = GridPosterior.from_log_density(
        lambda theta: -0.5 * (theta[..., 0] ** 2 + (theta[..., 1] / 2) ** 2),
        (np.linspace(-8, 8, 801), np.linspace(-16, 16, 601)),
        names=("alpha", "beta"),
    )
    points = np.array([-2.0, -0.5, 0.0, 1.3, 3.0])
    np.testing.assert_allclose(grid.cdf("alpha", points), stats.norm.cdf(points), atol=1e-4)
    np.testing.assert_allclose(grid.cdf("beta", 2 * points), stats.norm.cdf(points), atol=1e-4)
    probs = np.array([0.01, 0.3, 0.5, 0.9])
    np.testing.assert_allclose(grid.cdf("beta", grid.quantile("beta", probs)), probs, atol=1e-12)
    assert grid.cdf("alpha", [-100.0, 100.0]).tolist() == [0.0, 1.0]


def test_grid_cdf_refuses_bad_input():
    grid = GridPosterior.from_log_density(
        np.zeros((2, 3)), ([0.0, 1.0], [0.0, 1.0, 2.0]), names=("alpha", "beta")
    )
    with pytest.raises(ValueError, match="must be finite"):
        grid.cdf("alpha", [0.0, np.nan])
    with pytest.raises(ValueError, match="one of 'alpha', 'beta'"):
        grid.cdf("gamma", 0.0)


# --- charts --------------------------------------------------------------------------------


def _rows(spec):
    (rows,) = spec["datasets"].values()
    return rows


def test_laplace_ellipses_lie_at_the_chi_square_radius(posterior_mode):
    approx = LaplaceApproximation(mode=posterior_mode.mode, cov=posterior_mode.cov)
    levels = [0.5, 0.8, 0.95, 0.99]
    rows = _rows(charts.laplace_ellipses_chart(approx, levels).to_dict())
    precision = np.linalg.inv(posterior_mode.cov)
    for level in levels:
        points = np.array([[r["alpha"], r["beta"]] for r in rows if r["level"] == f"{level:.0%}"])
        offset = points - posterior_mode.mode
        mahalanobis2 = np.einsum("ij,jk,ik->i", offset, precision, offset)
        np.testing.assert_allclose(
            mahalanobis2, stats.chi2.ppf(level, 2), rtol=5e-3
        )  # data rounded to 4 digits
        np.testing.assert_array_equal(points[0], points[-1])  # closed
    assert len(rows) == 4 * 121


def test_laplace_ellipse_holds_its_level_of_normal_draws(posterior_mode):
    """A point lies inside the drawn 80 % ellipse iff its Mahalanobis radius is below the ellipse's
    largest: Monte Carlo draws from the normal fall inside at the stated rate."""
    approx = LaplaceApproximation(mode=posterior_mode.mode, cov=posterior_mode.cov)
    rows = _rows(charts.laplace_ellipses_chart(approx, [0.8], n_points=721).to_dict())
    boundary = np.array([[r["alpha"], r["beta"]] for r in rows]) - posterior_mode.mode
    precision = np.linalg.inv(posterior_mode.cov)
    radius2 = np.einsum("ij,jk,ik->i", boundary, precision, boundary).mean()
    draws = np.random.default_rng(7).multivariate_normal(
        posterior_mode.mode, posterior_mode.cov, size=100_000
    )
    offset = draws - posterior_mode.mode
    inside = np.einsum("ij,jk,ik->i", offset, precision, offset) <= radius2
    assert inside.mean() == pytest.approx(0.8, abs=4 * np.sqrt(0.16 / 100_000) + 1e-3)


def test_new_chart_specs_are_deterministic_and_free_of_auto_names(posterior_mode):
    approx = LaplaceApproximation(mode=posterior_mode.mode, cov=posterior_mode.cov)
    draws = approx.sample(100, np.random.default_rng(3))
    grid = GridPosterior.from_log_density(
        lambda theta: -0.5 * (theta**2).sum(axis=-1),
        (np.linspace(-3, 3, 13), np.linspace(-3, 3, 17)),
        names=("alpha", "beta"),
    )
    built = [
        lambda: charts.laplace_ellipses_chart(approx, title="ellipses"),
        lambda: charts.posterior_region_chart(grid) + charts.laplace_ellipses_chart(approx),
        lambda: charts.draws_with_points_chart({"Laplace": draws}, {"mode": approx.mode}, title="draws"),
    ]
    for make in built:
        first = json.dumps(make().to_dict(), sort_keys=True)
        assert first == json.dumps(make().to_dict(), sort_keys=True)
        assert not re.search(r'"(param|view|selector)_?\d+"', first), "auto-numbered name in the spec"
    spec = built[2]().to_dict()
    assert _rows({"datasets": {k: v for k, v in spec["datasets"].items() if len(v) == 1}}) == [
        {"alpha": 0.8466, "beta": 7.749, "point": "mode"}
    ]


def test_histogram_bars_rise_from_zero():
    spec = charts.histogram_chart({"s": np.array([0.1, 0.2, 0.6])}, np.linspace(0, 1, 3)).to_dict()
    assert spec["encoding"]["y2"] == {"datum": 0}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda a: charts.laplace_ellipses_chart(a, [0.5, 1.0]), "strictly between 0 and 1"),
        (lambda a: charts.laplace_ellipses_chart(a, []), "strictly between 0 and 1"),
        (lambda a: charts.laplace_ellipses_chart(a, n_points=3), "at least 4"),
        (lambda a: charts.laplace_ellipses_chart(LaplaceApproximation([0.0], [[1.0]])), "two parameters"),
        (
            lambda a: charts.draws_with_points_chart({"d": np.zeros((3, 2))}, {"mode": [0.0]}),
            "finite \\(alpha, beta\\) pair",
        ),
        (
            lambda a: charts.draws_with_points_chart({"d": np.zeros((3, 2))}, {"mode": [0.0, np.inf]}),
            "finite",
        ),
    ],
)
def test_new_charts_refuse_bad_input(posterior_mode, call, message):
    approx = LaplaceApproximation(mode=posterior_mode.mode, cov=posterior_mode.cov)
    with pytest.raises(ValueError, match=message):
        call(approx)
