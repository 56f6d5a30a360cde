"""The posterior dose–response bands of notebook 06 (`bioassay.dose_response_bands`).

References: numpy order statistics of the death probabilities themselves (not of the
log-odds), the closed-form quantiles of a normal log-odds, and the flat-prior posterior on a
grid finer and wider than the course's (α ∈ [−6, 14], β ∈ [−12, 130], 1000 × 3000 points),
normalised here from the conftest likelihood, with its quantiles taken by an own sort-and-
interpolate (no package code).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import special, stats

from bda_helpers import bioassay, load_bioassay

PROBS = (0.025, 0.25, 0.5, 0.75, 0.975)


def own_weighted_quantiles(values, weights, probs):
    """Each value at the middle of its probability step, linear in between (written afresh)."""
    order = np.argsort(values.ravel())
    v, w = values.ravel()[order], weights.ravel()[order]
    position = np.cumsum(w) / w.sum() - w / (2 * w.sum())
    return np.interp(probs, position, v)


@pytest.fixture(scope="module")
def course_bands():
    data = load_bioassay()
    grid = bioassay.grid_posterior(data)
    alpha, beta = np.meshgrid(grid.axis("alpha"), grid.axis("beta"), indexing="ij")
    cells = np.stack([alpha, beta], axis=-1)
    return bioassay.dose_response_bands(cells, data.x, weights=grid.mass)


def test_bands_from_draws_are_order_statistics_of_the_death_probabilities():
    # 401 draws: (n − 1) p is a whole number for every p, so each quantile is one order statistic,
    # and the quantile of p(x) is then logit⁻¹ of the log-odds' quantile exactly.
    theta = np.random.default_rng(3).normal([0.8, 7.7], [1.0, 4.9], size=(401, 2))
    x = np.array([-0.9, -0.2, 0.0, 0.4])
    bands = bioassay.dose_response_bands(theta, x)
    p = special.expit(theta[:, [0]] + theta[:, [1]] * x)
    ordered = np.sort(p, axis=0)
    index = {q: round(q * 400) for q in PROBS}
    np.testing.assert_allclose(bands.median, ordered[index[0.5]], rtol=1e-12)
    np.testing.assert_allclose(bands.band(0.95)[0], ordered[index[0.025]], rtol=1e-12)
    np.testing.assert_allclose(bands.band(0.95)[1], ordered[index[0.975]], rtol=1e-12)
    np.testing.assert_allclose(bands.band(0.5)[0], ordered[index[0.25]], rtol=1e-12)
    np.testing.assert_allclose(bands.band(0.5)[1], ordered[index[0.75]], rtol=1e-12)
    assert bands.levels == (0.5, 0.95) and bands.lower.shape == bands.upper.shape == (2, 4)


def test_equal_weights_give_hazen_quantiles_and_weights_are_normalised():
    theta = np.random.default_rng(5).normal([0.0, 5.0], [1.0, 2.0], size=(300, 2))
    x = np.array([-0.5, 0.5])
    ones = bioassay.dose_response_bands(theta, x, weights=np.ones(300), levels=(0.9,))
    sevens = bioassay.dose_response_bands(theta, x, weights=np.full(300, 7.0), levels=(0.9,))
    log_odds = theta[:, [0]] + theta[:, [1]] * x
    hazen = special.expit(np.quantile(log_odds, [0.05, 0.5, 0.95], axis=0, method="hazen"))
    np.testing.assert_allclose(np.stack([ones.lower[0], ones.median, ones.upper[0]]), hazen, rtol=1e-12)
    np.testing.assert_array_equal(ones.median, sevens.median)
    # Equal weights are not the unweighted path: numpy's default ("linear") interpolates otherwise.
    unweighted = bioassay.dose_response_bands(theta, x, levels=(0.9,))
    linear = special.expit(np.quantile(log_odds, [0.05, 0.95], axis=0))
    np.testing.assert_allclose(np.stack([unweighted.lower[0], unweighted.upper[0]]), linear, rtol=1e-12)
    assert not np.allclose(unweighted.upper[0], ones.upper[0], rtol=1e-9, atol=0.0)


def test_laplace_bands_from_draws_converge_to_the_normal_quantiles(posterior_mode):
    """Under a normal (α, β), α + βx is normal: the bands are logit⁻¹(a'θ̂ ± z sqrt(a'Σa))."""
    mode, cov = posterior_mode.mode, posterior_mode.cov
    draws = np.random.default_rng(11).multivariate_normal(mode, cov, size=200_000)
    x = np.array([-0.86, -0.3, 0.0, 0.73])
    bands = bioassay.dose_response_bands(draws, x)
    design = np.column_stack([np.ones_like(x), x])
    sd = np.sqrt(np.einsum("ij,jk,ik->i", design, cov, design))
    for q, got in ((0.025, bands.band(0.95)[0]), (0.5, bands.median), (0.975, bands.band(0.95)[1])):
        exact_log_odds = design @ mode + stats.norm.ppf(q) * sd
        # the sample quantile of 200,000 normal draws is within ~4 sd·sqrt(q(1−q)/n)/φ(z) of the truth
        tolerance = 4 * sd * np.sqrt(q * (1 - q) / draws.shape[0]) / stats.norm.pdf(stats.norm.ppf(q))
        assert np.all(np.abs(special.logit(got) - exact_log_odds) < tolerance)
    # symmetric on the logit scale around the mode's curve
    median = special.logit(bands.median)
    np.testing.assert_allclose(median, design @ mode, atol=0.03)


def test_exact_bands_at_the_tested_doses_against_a_finer_wider_grid(course_bands, fine_grid):
    """Notebook 06 section 5 prints these to three decimals."""
    data = load_bioassay()
    alpha, beta = fine_grid.alpha[:, None], fine_grid.beta[None, :]
    for j, x in enumerate(data.x):
        reference = special.expit(
            own_weighted_quantiles(alpha + beta * x, fine_grid.mass, [0.025, 0.5, 0.975])
        )
        got = [course_bands.band(0.95)[0][j], course_bands.median[j], course_bands.band(0.95)[1][j]]
        np.testing.assert_allclose(got, reference, atol=5e-4)
    np.testing.assert_allclose(course_bands.band(0.95)[0], [0.0, 0.005, 0.278, 0.925], atol=5e-4)
    np.testing.assert_allclose(course_bands.median, [0.0, 0.121, 0.662, 1.0], atol=5e-4)
    np.testing.assert_allclose(course_bands.band(0.95)[1], [0.070, 0.460, 0.940, 1.0], atol=5e-4)
    # the notebook's prose: "below 0.07" and "above 0.92"
    assert course_bands.band(0.95)[1][0] < 0.07 and course_bands.band(0.95)[0][-1] > 0.92


def test_the_median_curve_crosses_a_share_at_the_median_dose(fine_grid):
    """For increasing curves P(p(x) ≥ s) = P(LD_s ≤ x): the median curve reaches 10 % at the LD10's
    posterior median (notebook 06: −0.320), and 50 % at the LD50's (−0.112)."""
    alpha, beta = np.meshgrid(fine_grid.alpha, fine_grid.beta, indexing="ij")
    positive = beta > 0
    for share, printed in ((0.1, -0.320), (0.5, -0.112)):
        doses = (special.logit(share) - alpha[positive]) / beta[positive]
        median_dose = own_weighted_quantiles(doses, fine_grid.mass[positive], 0.5)
        assert median_dose == pytest.approx(printed, abs=5e-4)
        at = np.array([median_dose])
        curve = own_weighted_quantiles(alpha + beta * at[0], fine_grid.mass, 0.5)
        assert special.expit(curve) == pytest.approx(share, abs=1e-3)


def test_the_result_is_frozen_and_read_only():
    bands = bioassay.dose_response_bands([[0.0, 1.0], [1.0, 2.0], [0.5, 3.0]], [0.0, 1.0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        bands.median = np.zeros(2)
    with pytest.raises(ValueError, match="read-only"):
        bands.lower[0, 0] = 1.0
    with pytest.raises(ValueError, match=r"no band of level 0\.8"):
        bands.band(0.8)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"theta": [0.0, 1.0]}, "at least two points"),
        ({"theta": [[0.0, 1.0]]}, "at least two points"),
        ({"theta": np.zeros((3, 3))}, r"shape \(\.\.\., 2\)"),
        ({"theta": [[0.0, 1.0], [np.nan, 1.0]]}, "must be finite"),
        ({"x": [[0.0, 1.0]]}, "1-D array of finite log doses"),
        ({"x": []}, "1-D array of finite log doses"),
        ({"x": [0.0, np.inf]}, "1-D array of finite log doses"),
        ({"weights": [1.0, 1.0]}, r"weights must have shape \(3,\)"),
        ({"weights": [1.0, -1.0, 1.0]}, "non-negative"),
        ({"weights": [0.0, 0.0, 0.0]}, "not all 0"),
        ({"weights": [1.0, np.nan, 1.0]}, "finite"),
        ({"levels": (0.5, 1.0)}, "strictly between 0 and 1"),
        ({"levels": ()}, "strictly between 0 and 1"),
    ],
)
def test_bad_input_is_refused_with_a_named_reason(kwargs, message):
    arguments = {"theta": [[0.0, 1.0], [1.0, 2.0], [0.5, 3.0]], "x": [0.0, 1.0]} | kwargs
    theta, x = arguments.pop("theta"), arguments.pop("x")
    with pytest.raises(ValueError, match=message):
        bioassay.dose_response_bands(theta, x, **arguments)


def test_the_result_refuses_inconsistent_shapes():
    with pytest.raises(ValueError, match="lower and upper must have shape"):
        bioassay.DoseResponseBands(x=[0.0, 1.0], levels=(0.5,), median=[0.5, 0.6], lower=[0.4], upper=[0.7])
    with pytest.raises(ValueError, match="1-D of one length"):
        bioassay.DoseResponseBands(x=[0.0, 1.0], levels=(0.5,), median=[0.5], lower=[[0.4]], upper=[[0.7]])


@pytest.mark.parametrize("weights", [None, np.ones(3)])
def test_overflowing_log_odds_are_refused_naming_the_point_and_the_dose(weights):
    theta = [[0.0, 1.0], [0.0, 1e308], [0.0, 2.0]]
    message = r"overflow at theta\[1\] = \(0\.0, 1e\+308\) and the dose x = 10\.0"
    with pytest.raises(ValueError, match=message):
        bioassay.dose_response_bands(theta, [1.0, 10.0], weights=weights, levels=(0.5,))
    cells = np.array(theta * 2).reshape(2, 3, 2)  # a grid of cells: the index has two entries
    with pytest.raises(ValueError, match=r"overflow at theta\[0, 1\]"):
        bioassay.dose_response_bands(cells, [10.0], levels=(0.5,))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"x": [np.nan]}, "x must be finite"),
        ({"levels": (1.0,)}, "strictly between 0 and 1"),
        ({"levels": (0.0,)}, "strictly between 0 and 1"),
        ({"levels": (0.5, 0.5), "lower": [[0.4], [0.4]], "upper": [[0.6], [0.6]]}, "distinct"),
        ({"median": [1.2], "upper": [[1.3]]}, r"median must hold probabilities in \[0, 1\]"),
        ({"lower": [[-0.1]]}, r"lower must hold probabilities"),
        ({"median": [np.nan]}, r"median must hold probabilities"),
        ({"median": [0.7]}, "lower <= median <= upper"),
        ({"lower": [[0.55]]}, "lower <= median <= upper"),
    ],
)
def test_the_result_refuses_values_that_are_not_bands(change, message):
    arguments = {"x": [0.0], "levels": (0.5,), "median": [0.5], "lower": [[0.4]], "upper": [[0.6]]} | change
    with pytest.raises(ValueError, match=message):
        bioassay.DoseResponseBands(**arguments)


def test_repeated_levels_are_refused():
    with pytest.raises(ValueError, match="distinct"):
        bioassay.dose_response_bands([[0.0, 1.0], [1.0, 2.0], [0.5, 3.0]], [0.0], levels=(0.5, 0.5))
