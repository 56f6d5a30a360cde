"""The exact LD50 distribution under a bivariate normal, against scipy and Monte Carlo."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from bda_helpers.ld50_normal import ld50_normal_cdf, ld50_normal_quantile

MEAN = np.array([0.8466, 7.7488])
COV = np.array([[1.0385, 3.5460], [3.5460, 23.7439]])  # the bioassay Laplace fit


def orthant_cdf(t, beta_positive=True):
    """P(−α/β ≤ t, ...) as bivariate normal orthant probabilities, by scipy's Genz integration.

    With U = α + tβ: {−α/β ≤ t, β > 0} = {U ≥ 0, β > 0} and {−α/β ≤ t, β < 0} = {U ≤ 0, β < 0}.
    """
    a = np.array([[1.0, t], [0.0, 1.0]])  # (U, β) = a @ (α, β)
    mean, cov = a @ MEAN, a @ COV @ a.T
    both_positive = stats.multivariate_normal.cdf([0.0, 0.0], -mean, cov, abseps=1e-10, releps=1e-10)
    if beta_positive:
        return both_positive / stats.norm.sf(0.0, MEAN[1], np.sqrt(COV[1, 1]))
    both_negative = stats.multivariate_normal.cdf([0.0, 0.0], mean, cov, abseps=1e-10, releps=1e-10)
    return both_positive + both_negative


@pytest.mark.parametrize("beta_positive", [True, False])
@pytest.mark.parametrize("t", [-0.5, -0.2, -0.11, 0.0, 0.3, 2.0])
def test_cdf_matches_bivariate_normal_orthant_probabilities(t, beta_positive):
    ours = float(ld50_normal_cdf(t, MEAN, COV, beta_positive=beta_positive))
    assert ours == pytest.approx(orthant_cdf(t, beta_positive), abs=1e-6)


def test_quantiles_match_a_large_monte_carlo_sample():
    draws = stats.multivariate_normal(MEAN, COV).rvs(size=1_000_000, random_state=np.random.default_rng(5))
    probs = np.array([0.025, 0.25, 0.5, 0.75, 0.975])
    ratio = -draws[:, 0] / draws[:, 1]
    for beta_positive, sample in ((True, ratio[draws[:, 1] > 0]), (False, ratio)):
        exact = ld50_normal_quantile(probs, MEAN, COV, beta_positive=beta_positive)
        np.testing.assert_allclose(np.quantile(sample, probs), exact, atol=0.005)
        np.testing.assert_allclose(ld50_normal_cdf(exact, MEAN, COV, beta_positive=beta_positive), probs, atol=1e-9)


def test_a_tight_normal_far_from_beta_zero_gives_the_delta_method():
    mean, cov = np.array([1.0, 50.0]), np.diag([0.04, 1.0])
    sd = np.sqrt(0.04) / 50  # -alpha/beta ≈ N(-0.02, (sd_alpha / beta)²) when beta hardly varies
    np.testing.assert_allclose(ld50_normal_quantile([0.16, 0.5, 0.84], mean, cov), -0.02 + sd * np.array([-0.994, 0, 0.994]), rtol=0.03)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ld50_normal_cdf(0.0, [0.0], COV), r"shape \(2,\)"),
        (lambda: ld50_normal_cdf(0.0, MEAN, [[1.0, 2.0], [0.0, 1.0]]), "not symmetric"),
        (lambda: ld50_normal_cdf(0.0, MEAN, [[1.0, 2.0], [2.0, 1.0]]), "not positive definite"),
        (lambda: ld50_normal_cdf(np.nan, MEAN, COV), "t must be finite"),
        (lambda: ld50_normal_cdf(0.0, [0.0, -100.0], np.eye(2)), "no mass at beta > 0"),
        (lambda: ld50_normal_quantile(1.0, MEAN, COV), "strictly between 0 and 1"),
    ],
)
def test_bad_input_is_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()
