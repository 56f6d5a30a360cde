"""Notebook 05's self-checks: right answers (computed here from the reference fit) pass,
placeholders are "not answered", and the typical wrong answers get their specific hint."""

import numpy as np
import pytest
from scipy import optimize, stats

from bda_helpers.checks import laplace_vs_grid as check_05


@pytest.fixture(scope="module")
def normal(posterior_mode):
    return posterior_mode.mode, posterior_mode.cov


def test_placeholders_are_not_answered():
    assert check_05.log_odds_interval(None).passed is None


def test_log_odds_interval(normal, assert_no_leak):
    mode, cov = normal
    a = np.array([1.0, check_05.LOG_DOSE])
    mean, sd = a @ mode, np.sqrt(a @ cov @ a)
    z = stats.norm.ppf(0.975)
    assert check_05.log_odds_interval([mean - z * sd, mean + z * sd]).passed is True
    diagonal_sd = np.sqrt(cov[0, 0] + a[1] ** 2 * cov[1, 1])
    cases = {
        (mean - z * diagonal_sd, mean + z * diagonal_sd): "too narrow: it leaves out the covariance",
        (mean - z * sd**2, mean + z * sd**2): "needs its square root",
        (mean - sd, mean + sd): "the centre",
        (mean + z * sd, mean - z * sd): "lower first",
        (0.0, 1.0): "variance aᵀΣa",
    }
    for answer, hint in cases.items():
        result = check_05.log_odds_interval(list(answer))
        assert result.passed is False and hint in result.message, (answer, result.message)
        # Not the interval, its centre, sd or half-width, nor the missing covariance term 2x Σ_αβ.
        secrets = (mean - z * sd, mean + z * sd, mean, sd, z * sd, 2 * a[1] * cov[0, 1])
        assert_no_leak(result, *secrets, answer=np.array(answer))
    assert "shape (2,)" in check_05.log_odds_interval(1.0).message


@pytest.fixture(scope="module")
def prior_normal(ref):
    """The Laplace fit under α ~ N(0, 2²), β ~ N(10, 10²), from scipy's root of the conftest score."""

    def fit(variances):
        mean, cov = np.array([0.0, 10.0]), np.diag(variances)
        solution = optimize.root(
            lambda t: ref.gradient(t, prior_mean=mean, prior_cov=cov), x0=[0.0, 0.0], tol=1e-13
        )
        assert solution.success
        return solution.x, np.linalg.inv(ref.information(solution.x, prior_cov=cov))

    return fit


def test_prior_beta_negative_probability(prior_normal, posterior_mode, assert_no_leak):
    assert check_05.PRIOR_MEAN == (0.0, 10.0) and check_05.PRIOR_SD == (2.0, 10.0)
    mode, cov = prior_normal([4.0, 100.0])
    sd = np.sqrt(cov[1, 1])
    right = stats.norm.cdf(0.0, mode[1], sd)
    assert right == pytest.approx(0.0338, abs=1e-4)
    result = check_05.prior_beta_negative_probability(right)
    assert result.passed is True and "0.0559 with the flat prior" in result.message
    flat = stats.norm.cdf(0.0, posterior_mode.mode[1], np.sqrt(posterior_mode.cov[1, 1]))

    def below_zero(variances):
        m, c = prior_normal(variances)
        return stats.norm.cdf(0.0, m[1], np.sqrt(c[1, 1]))

    cases = {
        flat: "flat-prior fit",
        stats.norm.cdf(0.0, mode[1], cov[1, 1]): "used the variance Σ_ββ as the normal's scale",
        1 - right: "the other side",
        below_zero([2.0, 10.0]): "looks like 10",  # the sds put where the variances belong
        below_zero([4.0, 10.0]): "looks like 10",  # β's sd taken for its variance
        3e-6: "exact posterior",
        0.0: "exact posterior",
        right + 0.006: "share of draws",
        0.2: "variances on the diagonal",
        -0.3: "is not a probability",
        "0.03": "without quotes",
    }
    for answer, hint in cases.items():
        result = check_05.prior_beta_negative_probability(answer)
        assert result.passed is False and hint in result.message, (answer, result.message)
        # Neither the probability, nor the refit's β̂, sd_β or Σ_ββ, nor β̂ / sd_β.
        echoed = None if isinstance(answer, str) else answer
        assert_no_leak(result, right, mode[1], sd, cov[1, 1], mode[1] / sd, answer=echoed)
    assert check_05.prior_beta_negative_probability(None).passed is None
