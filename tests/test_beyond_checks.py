"""Notebook 08's self-checks: right answers (computed here independently) pass, placeholders
are "not answered", the typical wrong answers get their specific hint, and no failing
message shows the expected value."""

import numpy as np
import pytest
from scipy import stats

from bda_helpers.beyond import checks as check_08


def test_placeholders_are_not_answered():
    assert check_08.mean_field_sds(None).passed is None
    assert check_08.ld50_q975_importance(None).passed is None
    assert check_08.replications_for_coverage(None).passed is None


def test_mean_field_sds(posterior_mode, ref, assert_no_leak):
    # For a normal target the mean-field optimum has variances 1/Λ_jj: from the reference
    # observed information (the precision of the Laplace normal), not from the check's code.
    information = ref.information(posterior_mode.mode)
    right = 1.0 / np.sqrt(np.diag(information))
    assert check_08.mean_field_sds(right).passed is True
    assert check_08.mean_field_sds(list(right.round(4))).passed is True
    marginal = np.sqrt(np.diag(posterior_mode.cov))
    cases = {
        tuple(marginal): "marginal sds",
        tuple(1.0 / np.diag(information)): "those are variances",
        tuple(np.sqrt(np.diag(information))): "its reciprocal",
        tuple(1.0 / marginal): "invert the whole matrix first",
        (0.5, 11.6): "invert the Laplace covariance",
    }
    for answer, hint in cases.items():
        result = check_08.mean_field_sds(list(answer))
        assert result.passed is False and hint in result.message, (answer, result.message)
        assert_no_leak(result, right, answer=np.array(answer))
    assert "shape" in check_08.mean_field_sds([1.0]).message
    assert check_08.mean_field_sds("0.7").passed is False


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
    assert check_08.ld50_q975_importance(right).passed is True
    assert check_08.ld50_q975_importance(float(right) + 0.02).passed is True  # Monte Carlo error allowed
    cases = {
        0.16: "unweighted proposal draws",  # the (α, log β) Laplace normal's own 97.5 % quantile
        -lower: "sign is flipped",
        right + 0.4: "compute ld50",
        -0.5: "compute ld50",
    }
    for answer, hint in cases.items():
        result = check_08.ld50_q975_importance(answer)
        assert result.passed is False and hint in result.message, (answer, result.message)
        assert_no_leak(result, right, answer=answer)
    assert "one number" in check_08.ld50_q975_importance([0.1, 0.2]).message
    assert "without quotes" in check_08.ld50_q975_importance("0.1").message


def test_ld50_slip_reference_is_the_unweighted_proposal():
    """0.16 above is the unweighted answer: check it against scipy's normal draws of the proposal."""
    from bda_helpers import bioassay, load_bioassay

    fit = bioassay.laplace_fit_log_beta(load_bioassay())
    draws = stats.multivariate_normal(fit.mode, fit.cov).rvs(200_000, random_state=np.random.default_rng(1))
    assert abs(np.quantile(-draws[:, 0] / np.exp(draws[:, 1]), 0.975) - 0.16) < 0.005


def test_replications_for_coverage(assert_no_leak):
    right = 475  # sqrt(0.95 * 0.05 / R) <= 0.01  <=>  R >= 475
    assert np.sqrt(0.95 * 0.05 / right) <= 0.01 < np.sqrt(0.95 * 0.05 / (right - 1))
    assert check_08.replications_for_coverage(right).passed is True
    assert check_08.replications_for_coverage(475.0).passed is True
    cases = {
        2500: "p = 0.5",
        1900: "two* standard errors",
        5: "squared",
        474: "sqrt(p(1 − p)/R)",
        476: "sqrt(p(1 − p)/R)",
    }
    for answer, hint in cases.items():
        result = check_08.replications_for_coverage(answer)
        assert result.passed is False and hint in result.message, (answer, result.message)
        assert_no_leak(result, right, answer=answer)
    for answer in (4.75, -1, 0, [475, 475]):
        assert "positive whole number" in check_08.replications_for_coverage(answer).message
