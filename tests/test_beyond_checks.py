"""The self-checks of notebook 10: right answers (computed here independently) pass, placeholders
are "not answered", the typical wrong answers get their specific hint, and no failing
message shows the expected value. (Notebook 09's check is tested in test_beyond_checks_importance.py.)"""

import numpy as np
from scipy import stats

from bda_helpers.beyond import checks as check_beyond


def test_placeholders_are_not_answered():
    assert check_beyond.mean_field_sds(None).passed is None
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


def test_replications_for_coverage(assert_no_leak):
    # A 95 % Wald interval for a coverage near 0.95 has half-width 1.96 sqrt(0.95 * 0.05 / R);
    # at most 1 point  <=>  R >= 1.95996^2 * 0.0475 / 0.01^2 = 1824.7  <=>  R >= 1825.
    z = stats.norm.ppf(0.975)
    right = 1825
    assert z * np.sqrt(0.95 * 0.05 / right) <= 0.01 < z * np.sqrt(0.95 * 0.05 / (right - 1))
    assert check_beyond.replications_for_coverage(right).passed is True
    assert check_beyond.replications_for_coverage(1825.0).passed is True
    cases = {
        1900: "z = 2",  # 2^2 * 0.0475 / 0.01^2
        475: "one standard error",  # z left out
        931: "enters R squared",  # z not squared: 1.96 * 475 = 930.98
        9604: "p = 0.5",  # 1.96^2 * 0.25 / 0.01^2 = 9603.6
        1286: "one-sided",  # 1.645^2 * 0.0475 / 0.01^2 = 1285.2
        8373: "the sd",  # 1.96^2 * sqrt(0.0475) / 0.01^2 = 8372.4
        7299: "whole interval 1 point wide",  # half-width 0.005: 7298.9
        19: "square the half-width",  # 1.96^2 * 0.0475 / 0.01 = 18.2
        1824: "round up",
        1826: "round up",
    }
    for answer, hint in cases.items():
        result = check_beyond.replications_for_coverage(answer)
        assert result.passed is False and hint in result.message, (answer, result.message)
        assert_no_leak(result, right, answer=answer)
    for answer in (18.5, -1, 0, [1825, 1825]):
        assert "positive whole number" in check_beyond.replications_for_coverage(answer).message
