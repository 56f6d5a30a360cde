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
    right = sd * np.sqrt(1 - rho**2)  # [0.6245, 0.9367]
    gap = -0.5 * np.log(1 - rho**2)  # 1.164
    for answer in (right, list(right.round(4)), [0.62, 0.94]):  # two significant digits pass
        assert check_beyond.mean_field_sds(answer, gap).passed is True, answer
    for answer in ([0.63, 0.94], [0.62, 0.93], [0.6, 0.9]):  # ... but not a wrong second digit
        assert check_beyond.mean_field_sds(answer, gap).passed is False, answer
    cases = {
        tuple(sd): "marginal sds",
        tuple(sd**2 * (1 - rho**2)): "those are variances",
        tuple(sd * np.sqrt(1 - rho)): "with ρ squared",
        tuple(sd * (1 - rho**2)): "scales the variance, not the sd",
        tuple(right[::-1]): "swapped",
        tuple(1.0 / right): "reciprocal",
        tuple(np.full(2, np.sqrt(1 - rho**2)).round(2)): "share of each marginal sd",
        (0.5, 11.6): "with the other held fixed",
    }
    for answer, hint in cases.items():
        result = check_beyond.mean_field_sds(list(answer), gap)
        sd_result, gap_result = result.results
        assert sd_result.passed is False and hint in sd_result.message, (answer, sd_result.message)
        assert gap_result.passed is True
        assert_no_leak(sd_result, right, answer=np.array(answer))
    for answer in ([0.62, 0.93], [0.63, 0.94], [0.625, 0.93]):  # truncation, double rounding: near misses
        sd_result = check_beyond.mean_field_sds(answer, gap).results[0]
        assert sd_result.passed is False and "check your rounding" in sd_result.message, answer
        assert "held fixed" not in sd_result.message
        assert_no_leak(sd_result, right, answer=np.array(answer))
    for answer in ([0.6, 0.9], [0.64, 0.96]):  # 3 % or more off: not a rounding slip
        assert "check your rounding" not in check_beyond.mean_field_sds(answer, gap).results[0].message
    generic = check_beyond.mean_field_sds([0.5, 11.6], gap).results[0].message
    assert "1/√Λ" not in generic and "invert" not in generic  # the idea, not the recipe
    assert "shape" in repr(check_beyond.mean_field_sds([1.0], gap))
    assert check_beyond.mean_field_sds("0.7", gap).passed is False


def test_mean_field_gap(assert_no_leak):
    sd, rho = np.array([2.0, 3.0]), 0.95
    right_sd, gap = sd * np.sqrt(1 - rho**2), -0.5 * np.log(1 - rho**2)
    # KL(p ‖ q) for that q, and KL(q ‖ p) for q with the marginal sds, agree: ½[2/(1 − ρ²) − 2 + log(1 − ρ²)]
    reverse = 0.5 * (2 / (1 - rho**2) - 2 + np.log(1 - rho**2))
    for answer in (gap, 1.16, 1.17, round(gap, 3)):  # two decimals, or a Monte Carlo estimate, pass
        assert check_beyond.mean_field_sds(right_sd, answer).passed is True, answer
    cases = {
        -gap: "never negative",
        2 * gap: "factor ½",
        -0.5 * np.log(1 - rho): "with ρ squared",
        reverse: "KL(p ‖ q)",
        3.0: "closed form",
        0.5: "closed form",
    }
    for answer, hint in cases.items():
        sd_result, gap_result = check_beyond.mean_field_sds(right_sd, answer).results
        assert sd_result.passed is True
        assert gap_result.passed is False and hint in gap_result.message, (answer, gap_result.message)
        assert_no_leak(gap_result, gap, answer=answer)
    # one answer given, the other still at its placeholder: one verdict, one "not answered"
    sd_only = check_beyond.mean_field_sds(right_sd, None)
    assert sd_only.passed is None and [r.passed for r in sd_only.results] == [True, None]
    assert "mean_field_gap" in repr(sd_only)
    gap_only = check_beyond.mean_field_sds(None, gap)
    assert [r.passed for r in gap_only.results] == [None, True]
    # the gap is what evidence_triangle measures: minus the ELBO of q on the normalised target
    from bda_helpers.beyond.evidence_triangle import evidence_triangle, normal_logpdf

    cov = np.outer(sd, sd) * np.array([[1.0, rho], [rho, 1.0]])
    t = evidence_triangle(
        lambda theta: normal_logpdf(theta, [0.0, 0.0], cov),
        [0.0, 0.0],
        np.diag(right_sd**2),
        200_000,
        np.random.default_rng(5),
    )
    assert abs(-t.elbo - gap) < 4 * t.elbo_se


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
    assert check_beyond.mean_field_sds(fit.sd).results[0].passed is True


def test_replications_for_coverage(assert_no_leak):
    # A 95 % Wald interval for a coverage near 0.95 has half-width 1.96 sqrt(0.95 * 0.05 / R);
    # at most 1 point  <=>  R >= 1.95996^2 * 0.0475 / 0.01^2 = 1824.7  <=>  R >= 1825.
    z = stats.norm.ppf(0.975)
    right = 1825
    generic = check_beyond.replications_for_coverage(5000).message
    assert "binomial sd of a share" in generic and "sqrt" not in generic  # the idea, not the formula
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
