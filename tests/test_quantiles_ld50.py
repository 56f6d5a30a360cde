"""Notebook 06's key numbers against independent references, and the new summary helpers.

References: scipy.stats.norm with the conftest mode and covariance for the Laplace
quantiles; a grid finer and wider than the course's (α ∈ [−6, 14], β ∈ [−12, 130],
1000 × 3000 points), normalised here with numpy and the conftest log-likelihood, for the exact
quantiles, interval coverage and the LD50 (whose CDF is inverted by root finding, not by the
weighted-quantile helper under test); and the adaptive-quadrature values of
tests/test_exact_reference.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from bda_helpers import bioassay, laplace
from bda_helpers.summaries import ld50_unconditioned, quantile_mcse, quantile_table, weighted_quantiles

PROBS = np.array([0.025, 0.25, 0.75, 0.975])


@pytest.fixture(scope="module")
def grid(data):
    """The notebook's grid: the course's default, 500 × 1500 points on α ∈ [−5, 12], β ∈ [−10, 100]."""
    return bioassay.grid_posterior(data)


def fine_cdf(centres, cell_mass, values):
    """Marginal CDF through the cell edges, by linear interpolation (own implementation)."""
    step = centres[1] - centres[0]
    edges = np.concatenate([[centres[0] - step / 2], centres + step / 2])
    return np.interp(values, edges, np.concatenate([[0.0], np.cumsum(cell_mass)]))


def fine_quantiles(centres, cell_mass, probs):
    step = centres[1] - centres[0]
    edges = np.concatenate([[centres[0] - step / 2], centres + step / 2])
    return np.interp(probs, np.concatenate([[0.0], np.cumsum(cell_mass)]), edges)


def test_laplace_quantiles_are_scipy_normal_quantiles(data, posterior_mode):
    approx = laplace(bioassay.model_functions(data).gradient, [0.0, 0.0])
    for i in range(2):
        expected = stats.norm(posterior_mode.mode[i], np.sqrt(posterior_mode.cov[i, i])).ppf(PROBS)
        np.testing.assert_allclose(approx.mode[i] + approx.sd[i] * stats.norm.ppf(PROBS), expected, atol=1e-6)
    beta_95 = stats.norm(posterior_mode.mode[1], np.sqrt(posterior_mode.cov[1, 1])).ppf([0.025, 0.975])
    np.testing.assert_allclose(beta_95, [-1.80, 17.30], atol=5e-3)


def test_grid_quantiles_against_the_finer_grid(grid, fine_grid):
    for name, centres, axis in (("alpha", fine_grid.alpha, 1), ("beta", fine_grid.beta, 0)):
        reference = fine_quantiles(centres, fine_grid.mass.sum(axis=axis), PROBS)
        np.testing.assert_allclose(grid.quantile(name, PROBS), reference, atol=1e-3)
    beta_95 = fine_quantiles(fine_grid.beta, fine_grid.mass.sum(axis=0), [0.025, 0.975])
    np.testing.assert_allclose(beta_95, [3.449, 25.414], atol=1e-3)  # adaptive quadrature's values


def test_laplace_interval_coverage_under_the_exact_posterior(grid, fine_grid, posterior_mode):
    """Notebook 06 section 3: Laplace 50 % intervals hold ~48 % / 46 %, the 95 % ones 91 % / 85 %,
    β's 95 % interval missing 15.4 % above and nothing below."""
    expected = {("alpha", 0.5): 0.477, ("alpha", 0.95): 0.907, ("beta", 0.5): 0.464, ("beta", 0.95): 0.846}
    for (name, level), inside in expected.items():
        index = 0 if name == "alpha" else 1
        centres, axis = (fine_grid.alpha, 1) if name == "alpha" else (fine_grid.beta, 0)
        lower, upper = stats.norm(posterior_mode.mode[index], np.sqrt(posterior_mode.cov[index, index])).ppf(
            [(1 - level) / 2, (1 + level) / 2]
        )
        below, to_upper = fine_cdf(centres, fine_grid.mass.sum(axis=axis), [lower, upper])
        assert to_upper - below == pytest.approx(inside, abs=1e-3)
        np.testing.assert_allclose(grid.cdf(name, [lower, upper]), [below, to_upper], atol=5e-4)
        if (name, level) == ("beta", 0.95):
            assert 1 - to_upper == pytest.approx(0.154, abs=2e-3) and below < 1e-4


@pytest.fixture(scope="module")
def fine_ld50(fine_grid):
    alpha, beta = np.meshgrid(fine_grid.alpha, fine_grid.beta, indexing="ij")
    positive = beta > 0
    return -alpha[positive] / beta[positive], fine_grid.mass[positive] / fine_grid.mass[positive].sum()


def test_ld50_quantiles_against_a_root_of_the_finer_grid_cdf(grid, fine_ld50):
    values, mass = fine_ld50

    def cdf_minus(prob):
        return lambda t: mass[values <= t].sum() - prob

    reference = [optimize.brentq(cdf_minus(p), -2.0, 2.0, xtol=1e-6) for p in (0.025, 0.5, 0.975)]
    np.testing.assert_allclose(reference, [-0.276, -0.112, 0.103], atol=5e-4)
    # The notebook's method: the coarse grid's cells weighted by their mass.
    alpha, beta = np.meshgrid(grid.axis("alpha"), grid.axis("beta"), indexing="ij")
    positive = beta > 0
    coarse = weighted_quantiles(-alpha[positive] / beta[positive], grid.mass[positive], [0.025, 0.5, 0.975])
    np.testing.assert_allclose(coarse, reference, atol=5e-4)


def test_laplace_ld50_quantiles_converge_to_the_normal_quantiles(posterior_mode):
    """Notebook 06: under the normal, the quantiles of −α/β exist ([−0.644, −0.115, 0.523] over all
    draws, [−0.394, −0.112, 0.452] for β > 0), and sample quantiles of many draws approach them."""
    draws = np.random.default_rng(61).multivariate_normal(posterior_mode.mode, posterior_mode.cov, 400_000)
    ratio = ld50_unconditioned(draws[:, 0], draws[:, 1])
    for sample, printed in (
        (ratio, [-0.644, -0.115, 0.523]),
        (ratio[draws[:, 1] > 0], [-0.394, -0.112, 0.452]),
    ):
        for p, value in zip([0.025, 0.5, 0.975], printed):
            # within 4 Monte Carlo standard errors, plus the printed value's rounding
            assert abs(np.quantile(sample, p) - value) < 4 * quantile_mcse(sample, p) + 5e-4


def test_exploding_laplace_ratios_have_the_bivariate_normal_probability(data, posterior_mode):
    """P(|−α/β| > 1) = P(|α| > |β|) = P((α − β)(α + β) > 0) under the Laplace normal, from the
    bivariate normal CDF of (α − β, α + β); Laplace draws reproduce it."""
    transform = np.array([[1.0, -1.0], [1.0, 1.0]])
    mean = transform @ posterior_mode.mode
    cov = transform @ posterior_mode.cov @ transform.T
    both_negative = stats.multivariate_normal(mean, cov).cdf([0.0, 0.0])
    both_positive = stats.multivariate_normal(-mean, cov).cdf([0.0, 0.0])
    exact = both_negative + both_positive
    assert 0.025 < exact < 0.045
    draws = laplace(bioassay.model_functions(data).gradient, [0.0, 0.0]).sample(
        100_000, np.random.default_rng(60)
    )
    share = np.mean(np.abs(ld50_unconditioned(draws[:, 0], draws[:, 1])) > 1)
    assert share == pytest.approx(exact, abs=4 * np.sqrt(exact * (1 - exact) / 100_000))


# --- helpers -------------------------------------------------------------------------------


def test_weighted_quantiles_with_equal_weights_are_hazen_sample_quantiles():
    values = np.random.default_rng(2).gamma(2.0, size=57)
    probs = np.linspace(0.05, 0.95, 13)
    np.testing.assert_allclose(
        weighted_quantiles(values, np.ones_like(values), probs), np.quantile(values, probs, method="hazen")
    )


def test_weighted_quantiles_leave_out_values_of_weight_zero():
    # Values of weight 0 are not in the distribution: the quantiles are the Hazen quantiles
    # of the other values alone (with zeros kept, [0, 1, 2, 3] gave 0.6 and 2.0 here).
    np.testing.assert_allclose(
        weighted_quantiles([0.0, 1.0, 2.0, 3.0], [1.0, 0.0, 0.0, 1.0], [0.4, 0.5]), [0.9, 1.5], rtol=1e-12
    )
    rng = np.random.default_rng(12)
    values = rng.gamma(2.0, size=60)
    weights = (rng.uniform(size=60) < 0.6).astype(float)
    probs = np.linspace(0.0, 1.0, 21)
    np.testing.assert_allclose(
        weighted_quantiles(values, weights, probs),
        np.quantile(values[weights > 0], probs, method="hazen"),
        rtol=1e-12,
    )


def test_weighted_quantiles_of_a_fine_discretised_normal():
    x = np.linspace(-6, 6, 4001)
    np.testing.assert_allclose(
        weighted_quantiles(x, stats.norm.pdf(x), [0.025, 0.5, 0.9]),
        stats.norm.ppf([0.025, 0.5, 0.9]),
        atol=2e-3,
    )


def test_ld50_unconditioned_keeps_every_sign():
    np.testing.assert_allclose(ld50_unconditioned([1.0, 1.0, -2.0], [4.0, -0.5, 1e-3]), [-0.25, 2.0, 2000.0])


def test_quantile_table_layout_and_values():
    rng = np.random.default_rng(4)
    draws = rng.normal(size=(3000, 2)) * [1.0, 3.0]
    exact = [stats.norm.ppf(PROBS), stats.norm.ppf(PROBS, scale=3.0)]
    table = quantile_table(
        PROBS, ["a", "b"], draws={"sampler": draws, "other": draws[:1000]}, exact={"normal": exact}
    )
    assert table.columns.tolist() == [
        ("normal", "exact"),
        ("sampler", "draws"),
        ("sampler", "± MCSE"),
        ("other", "draws"),
        ("other", "± MCSE"),
    ]
    assert table.index.tolist() == [(p, q) for p in "ab" for q in ["2.5%", "25%", "75%", "97.5%"]]
    np.testing.assert_allclose(table[("sampler", "draws")].loc["b"], np.quantile(draws[:, 1], PROBS))
    np.testing.assert_allclose(table[("normal", "exact")].loc["b"], 3.0 * stats.norm.ppf(PROBS))
    # MCSE against the asymptotic formula sqrt(p(1-p)/n) / density at the quantile.
    asymptotic = np.sqrt(PROBS * (1 - PROBS) / 3000) / stats.norm.pdf(stats.norm.ppf(PROBS))
    np.testing.assert_allclose(table[("sampler", "± MCSE")].loc["a"], asymptotic, rtol=0.35)
    assert isinstance(table, pd.DataFrame)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: quantile_table([0.5], ["a"]), "at least one source"),
        (lambda: quantile_table([0.0, 0.5], ["a"], exact={"s": [[0.0, 1.0]]}), "strictly between 0 and 1"),
        (lambda: quantile_table([0.5], [], exact={"s": [[0.0]]}), "at least one parameter"),
        (lambda: quantile_table([0.5], ["a", "b"], exact={"s": [[0.0, 1.0]]}), "must have shape"),
        (
            lambda: quantile_table([0.5], ["a", "b"], draws={"s": np.zeros((10, 3))}),
            "draws of 's' must have shape",
        ),
        (lambda: weighted_quantiles([1.0, 2.0], [1.0], 0.5), "of one size"),
        (lambda: weighted_quantiles([1.0, 2.0], [-1.0, 2.0], 0.5), "non-negative"),
        (lambda: weighted_quantiles([1.0, 2.0], [0.0, 0.0], 0.5), "not all 0"),
        (lambda: weighted_quantiles([1.0, np.nan], [1.0, 1.0], 0.5), "finite"),
        (lambda: weighted_quantiles([1.0, 2.0], [1.0, 1.0], 1.5), r"lie in \[0, 1\]"),
        (lambda: ld50_unconditioned([1.0, 2.0], [0.0, 1.0]), "undefined for beta = 0"),
        (lambda: ld50_unconditioned([np.inf], [1.0]), "finite"),
    ],
)
def test_bad_input_is_refused_with_a_named_reason(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_quantile_mcse_is_what_the_table_reports():
    draws = np.random.default_rng(9).normal(size=(500, 1))
    table = quantile_table([0.3], ["z"], draws={"s": draws})
    assert table[("s", "± MCSE")].iloc[0] == quantile_mcse(draws[:, 0], 0.3)
