"""The self-checks of notebooks 09 and 10: right answers (computed here independently) pass, placeholders
are "not answered", the typical wrong answers get their specific hint, and no failing
message shows the expected value."""

import numpy as np
import pytest
from scipy import stats

from bda_helpers.beyond import checks as check_beyond


def test_placeholders_are_not_answered():
    assert check_beyond.mean_field_sds(None).passed is None
    assert check_beyond.ld50_q975_importance(None).passed is None
    assert check_beyond.replications_for_coverage(None).passed is None


def test_mean_field_sds(assert_no_leak):
    # The target: sds (2, 3), correlation 0.95. The best mean-field normal's sds are the
    # conditional sds σ_j √(1 − ρ²), here from the closed form rather than the check's inverse.
    sd, rho = np.array([2.0, 3.0]), 0.95
    assert (tuple(sd), rho) == (check_beyond.MEAN_FIELD_TARGET_SD, check_beyond.MEAN_FIELD_TARGET_RHO)
    right = sd * np.sqrt(1 - rho**2)
    assert check_beyond.mean_field_sds(right).passed is True
    assert check_beyond.mean_field_sds(list(right.round(4))).passed is True
    cases = {
        tuple(sd): "marginal sds",
        tuple(sd**2 * (1 - rho**2)): "those are variances",
        tuple(sd * np.sqrt(1 - rho)): "with ρ squared",
        tuple(sd * (1 - rho**2)): "scales the variance, not the sd",
        tuple(right[::-1]): "swapped",
        tuple(1.0 / right): "its reciprocal",
        (0.5, 11.6): "invert it",
    }
    for answer, hint in cases.items():
        result = check_beyond.mean_field_sds(list(answer))
        assert result.passed is False and hint in result.message, (answer, result.message)
        assert_no_leak(result, right, answer=np.array(answer))
    assert "shape" in check_beyond.mean_field_sds([1.0]).message
    assert check_beyond.mean_field_sds("0.7").passed is False


def test_mean_field_sds_are_what_mean_field_vi_finds():
    """The check's answer is the optimum gaussian_vi reaches on that normal target."""
    from bda_helpers.beyond.variational import gaussian_vi

    sd, rho = np.array(check_beyond.MEAN_FIELD_TARGET_SD), check_beyond.MEAN_FIELD_TARGET_RHO
    precision = np.linalg.inv(np.outer(sd, sd) * np.array([[1.0, rho], [rho, 1.0]]))
    fit = gaussian_vi(
        lambda theta: -0.5 * np.einsum("si,ij,sj->s", theta, precision, theta),
        lambda theta: -theta @ precision,
        [0.3, -0.2],
        rng=np.random.default_rng(3),
    )
    assert check_beyond.mean_field_sds(fit.sd).passed is True


@pytest.fixture(scope="module")
def ld50_q975(fine_grid):
    """The exact 97.5 % quantile of LD50 given β > 0, from the finer reference grid's cells."""
    alpha, beta = np.meshgrid(fine_grid.alpha, fine_grid.beta, indexing="ij")
    positive = beta > 0
    values, mass = -alpha[positive] / beta[positive], fine_grid.mass[positive]
    order = np.argsort(values)
    cdf = np.cumsum(mass[order]) / mass.sum()
    quantile = lambda p: values[order][np.searchsorted(cdf, p)]  # noqa: E731
    return quantile(0.975), quantile(0.025)


def test_ld50_q975_importance(ld50_q975, assert_no_leak):
    right, lower = ld50_q975
    assert check_beyond.ld50_q975_importance(right).passed is True
    assert check_beyond.ld50_q975_importance(float(right) + 0.02).passed is True  # Monte Carlo error allowed
    cases = {
        0.16: "unweighted proposal draws",  # the (α, log β) Laplace normal's own 97.5 % quantile
        -lower: "sign is flipped",
        right + 0.4: "compute ld50",
        -0.5: "compute ld50",
    }
    for answer, hint in cases.items():
        result = check_beyond.ld50_q975_importance(answer)
        assert result.passed is False and hint in result.message, (answer, result.message)
        assert_no_leak(result, right, answer=answer)
    assert "one number" in check_beyond.ld50_q975_importance([0.1, 0.2]).message
    assert "without quotes" in check_beyond.ld50_q975_importance("0.1").message


def test_ld50_slip_reference_is_the_unweighted_proposal():
    """0.16 above is the unweighted answer: check it against scipy's normal draws of the proposal."""
    from bda_helpers import bioassay, load_bioassay

    fit = bioassay.laplace_fit_log_beta(load_bioassay())
    draws = stats.multivariate_normal(fit.mode, fit.cov).rvs(200_000, random_state=np.random.default_rng(1))
    assert abs(np.quantile(-draws[:, 0] / np.exp(draws[:, 1]), 0.975) - 0.16) < 0.005


def test_replications_for_coverage(assert_no_leak):
    right = 475  # sqrt(0.95 * 0.05 / R) <= 0.01  <=>  R >= 475
    assert np.sqrt(0.95 * 0.05 / right) <= 0.01 < np.sqrt(0.95 * 0.05 / (right - 1))
    assert check_beyond.replications_for_coverage(right).passed is True
    assert check_beyond.replications_for_coverage(475.0).passed is True
    cases = {
        2500: "p = 0.5",
        1900: "two* standard errors",
        5: "squared",
        474: "sqrt(p(1 − p)/R)",
        476: "sqrt(p(1 − p)/R)",
    }
    for answer, hint in cases.items():
        result = check_beyond.replications_for_coverage(answer)
        assert result.passed is False and hint in result.message, (answer, result.message)
        assert_no_leak(result, right, answer=answer)
    for answer in (4.75, -1, 0, [475, 475]):
        assert "positive whole number" in check_beyond.replications_for_coverage(answer).message
