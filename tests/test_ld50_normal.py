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
    (U, β) is standardised first, so that scipy sees a correlation matrix even for large |t|.
    """
    a = np.array([[1.0, t], [0.0, 1.0]])  # (U, β) = a @ (α, β)
    mean, cov = a @ MEAN, a @ COV @ a.T
    sd = np.sqrt(np.diag(cov))
    rho = cov[0, 1] / (sd[0] * sd[1])
    z, corr = mean / sd, np.array([[1.0, rho], [rho, 1.0]])
    both_positive = stats.multivariate_normal.cdf(z, cov=corr, abseps=1e-12, releps=1e-12)
    if beta_positive:
        return both_positive / stats.norm.cdf(z[1])
    both_negative = stats.multivariate_normal.cdf(-z, cov=corr, abseps=1e-12, releps=1e-12)
    return both_positive + both_negative


def heavy_tail_constant(side, beta_positive):
    """lim |t| P(−α/β beyond t) for t → ±∞, in closed form.

    Far out, −α/β is large only because β is near 0: with A = α | β = 0 ~ N(μ₀, s²), the
    event {−α/β ≤ t, β > 0} for t → −∞ is {0 < β ≤ A/|t|}, of probability ≈ p_β(0) E[A⁺] / |t|;
    the upper tail takes E[A⁻]; without the condition β < 0 adds the other part, E|A| in all.
    """
    sd_beta = np.sqrt(COV[1, 1])
    mu0 = MEAN[0] - COV[0, 1] * MEAN[1] / COV[1, 1]
    s = np.sqrt(COV[0, 0] - COV[0, 1] ** 2 / COV[1, 1])
    positive_part = mu0 * stats.norm.cdf(mu0 / s) + s * stats.norm.pdf(mu0 / s)  # E[A⁺]
    negative_part = positive_part - mu0  # E[A⁻] = E[A⁺] − E[A]
    density_at_zero = stats.norm.pdf(0.0, MEAN[1], sd_beta)
    if not beta_positive:
        return density_at_zero * (positive_part + negative_part)
    part = positive_part if side == "lower" else negative_part
    return density_at_zero * part / stats.norm.sf(0.0, MEAN[1], sd_beta)


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
        np.testing.assert_allclose(
            ld50_normal_cdf(exact, MEAN, COV, beta_positive=beta_positive), probs, atol=1e-9
        )


@pytest.mark.parametrize("beta_positive", [True, False])
@pytest.mark.parametrize("t", [-1000.0, -100.0, 100.0, 1000.0])
def test_far_tails_match_orthant_probabilities(t, beta_positive):
    reference = orthant_cdf(t, beta_positive)
    tail = min(reference, 1 - reference)
    assert 1e-6 < tail < 2e-4  # far out: where quadrature used to step over the switch at b*
    ours = float(ld50_normal_cdf(t, MEAN, COV, beta_positive=beta_positive))
    assert ours == pytest.approx(reference, abs=1e-6 * tail)


@pytest.mark.parametrize("beta_positive", [True, False])
def test_extreme_tails_follow_the_closed_form_one_over_t_law(beta_positive):
    lower = heavy_tail_constant("lower", beta_positive)
    upper = heavy_tail_constant("upper", beta_positive)
    assert 1e8 * float(ld50_normal_cdf(-1e8, MEAN, COV, beta_positive=beta_positive)) == pytest.approx(
        lower, rel=1e-6
    )
    # The upper tail through the quantile: 1 − CDF near 1 would have lost the digits.
    probs = np.array([1e-20, 1e-12, 1 - 1e-12])
    quantiles = ld50_normal_quantile(probs, MEAN, COV, beta_positive=beta_positive)
    expected = [-lower / probs[0], -lower / probs[1], upper / (1 - probs[2])]
    np.testing.assert_allclose(quantiles, expected, rtol=1e-6)


def test_tail_quantiles_and_cdf_match_a_big_monte_carlo_sample():
    draws = np.random.default_rng(2026).multivariate_normal(MEAN, COV, size=4_000_000)
    ratio = -draws[:, 0] / draws[:, 1]
    probs = np.array([1e-4, 2e-4, 1 - 2e-4, 1 - 1e-4])
    for beta_positive, sample in ((True, ratio[draws[:, 1] > 0]), (False, ratio)):
        # The share of draws at or below each exact quantile is binomial around its probability.
        exact = ld50_normal_quantile(probs, MEAN, COV, beta_positive=beta_positive)
        share = np.array([np.mean(sample <= q) for q in exact])
        assert np.all(np.abs(share - probs) < 4 * np.sqrt(probs * (1 - probs) / sample.size))
        cdf = ld50_normal_cdf([-100.0, 100.0], MEAN, COV, beta_positive=beta_positive)
        share = np.array([np.mean(sample <= -100.0), np.mean(sample <= 100.0)])
        assert np.all(np.abs(share - cdf) < 4 * np.sqrt(cdf * (1 - cdf) / sample.size))


def test_a_tight_normal_far_from_beta_zero_gives_the_delta_method():
    mean, cov = np.array([1.0, 50.0]), np.diag([0.04, 1.0])
    sd = np.sqrt(0.04) / 50  # -alpha/beta ≈ N(-0.02, (sd_alpha / beta)²) when beta hardly varies
    np.testing.assert_allclose(
        ld50_normal_quantile([0.16, 0.5, 0.84], mean, cov),
        -0.02 + sd * np.array([-0.994, 0, 0.994]),
        rtol=0.03,
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ld50_normal_cdf(0.0, [0.0], COV), r"shape \(2,\)"),
        (lambda: ld50_normal_cdf(0.0, MEAN, [[1.0, 2.0], [0.0, 1.0]]), "not symmetric"),
        (lambda: ld50_normal_cdf(0.0, MEAN, [[1.0, 2.0], [2.0, 1.0]]), "not positive definite"),
        (lambda: ld50_normal_cdf(np.nan, MEAN, COV), "t must be finite"),
        (lambda: ld50_normal_cdf(0.0, [0.0, -100.0], np.eye(2)), "no mass at beta > 0"),
        (lambda: ld50_normal_quantile(1.0, MEAN, COV), "strictly between 0 and 1"),
        (lambda: ld50_normal_quantile(1e-25, MEAN, COV), "beyond the accuracy of the quadrature"),
        (lambda: ld50_normal_quantile([0.5, 1.0 - 1e-17], MEAN, COV), "strictly between 0 and 1"),
    ],
)
def test_bad_input_is_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()
