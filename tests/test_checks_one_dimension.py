"""The self-checks of notebook 01: right answers (computed here independently) pass, the
placeholder is "not answered", and the typical mistakes get their specific hints."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, optimize, special

from bda_helpers.checks import one_dimension as check_01


def second_derivative(log_density, theta, h=1e-4):
    """A plain central difference, written here rather than borrowed from bda_helpers."""
    return (log_density(theta + h) - 2 * log_density(theta) + log_density(theta - h)) / h**2


def bimodal(theta):
    return -(theta**4) + 2 * theta**2


def gamma_kernel(theta, shape=check_01.GAMMA_SHAPE, rate=check_01.GAMMA_RATE):
    return (shape - 1) * np.log(theta) - rate * theta


def gamma_reference(shape=check_01.GAMMA_SHAPE, rate=check_01.GAMMA_RATE):
    """Mode by scipy's bounded scalar optimiser, variance by central differences, Z from them."""
    found = optimize.minimize_scalar(
        lambda t: -gamma_kernel(t, shape, rate),
        bounds=(1e-6, 100.0),
        method="bounded",
        options={"xatol": 1e-10},
    )
    mode = found.x
    variance = -1.0 / second_derivative(lambda t: gamma_kernel(t, shape, rate), mode)
    z = np.exp(gamma_kernel(mode, shape, rate)) * np.sqrt(2 * np.pi * variance)
    return mode, variance, z


# --- exercise 1 ------------------------------------------------------------------------


def test_variance_at_other_mode_right_answer_passes():
    mode = optimize.brentq(lambda t: -4 * t**3 + 4 * t, -2.0, -0.5)
    variance = -1.0 / second_derivative(bimodal, mode)
    assert mode == pytest.approx(-1.0)
    assert check_01.variance_at_other_mode(variance).passed is True
    assert check_01.variance_at_other_mode(np.float64(0.125)).passed is True


def test_variance_at_other_mode_not_answered():
    result = check_01.variance_at_other_mode(None)
    assert result.passed is None and "variance_at_minus_one" in result.message


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (8.0, "the precision"),
        (-8.0, "f'' itself"),
        (-0.125, "a variance is positive"),
        (np.sqrt(0.125), "standard deviation"),
        (0.25, "f''(0), the curvature at the minimum"),
        (-0.25, "f''(0), the curvature at the minimum"),
        (0.3, "differentiate -θ⁴ + 2θ² twice"),
    ],
)
def test_variance_at_other_mode_typical_mistakes(answer, hint, assert_no_leak):
    result = check_01.variance_at_other_mode(answer)
    assert result.passed is False
    assert hint in result.message
    # Neither the variance nor the curvatures it is one step from (f''(-1) = -8, f''(0) = 4).
    assert_no_leak(result, 0.125, answer=answer, phrases=("8 is", "= 8", "= -8", "= 4", "1/8"))


def test_variance_at_other_mode_unusable_answers():
    assert "shape" in check_01.variance_at_other_mode([0.125, 0.125]).message
    assert "NaN" in check_01.variance_at_other_mode(np.nan).message


# --- exercise 2 ------------------------------------------------------------------------


def test_gamma_laplace_right_answer_passes():
    mode, variance, _ = gamma_reference()
    result = check_01.gamma_laplace(mode, variance)
    assert result.passed is True, result.message
    assert "gamma_mode" in result.message and "gamma_variance" in result.message


def test_gamma_laplace_other_parameters():
    mode, variance, _ = gamma_reference(shape=3.5, rate=0.5)
    assert check_01.gamma_laplace(mode, variance, shape=3.5, rate=0.5).passed is True
    assert check_01.gamma_laplace(mode, variance).passed is False


def test_gamma_laplace_not_answered_names_the_missing_variable():
    mode, _, _ = gamma_reference()
    assert check_01.gamma_laplace(None, None).passed is None
    result = check_01.gamma_laplace(mode, None)
    assert result.passed is None and "gamma_variance" in result.message


@pytest.mark.parametrize(
    ("mode", "variance", "hint"),
    [
        (3.0, 1.25, "Gamma mean a/b"),
        (10.0, 1.25, "b is a rate"),
        (2.5, 1.5, "variance of the Gamma itself"),
        (2.5, 0.8, "the precision"),
        (2.5, np.sqrt(1.25), "standard deviation"),
        (2.5, 5.0 / 9.0, "at the mean a/b"),
    ],
)
def test_gamma_laplace_typical_mistakes(mode, variance, hint, assert_no_leak):
    result = check_01.gamma_laplace(mode, variance)
    assert result.passed is False and hint in result.message
    right_mode, right_variance, _ = gamma_reference()
    shown = mode if "gamma_mode" in result.message else variance
    assert_no_leak(result, right_mode, right_variance, 1 / right_variance, answer=shown)


def test_gamma_target_must_have_a_mode():
    with pytest.raises(ValueError, match="shape > 1 and rate > 0"):
        check_01.gamma_laplace(1.0, 1.0, shape=1.0)


# --- exercise 3 ------------------------------------------------------------------------


def test_gamma_evidence_right_answer_passes_and_reports_the_error_against_the_exact_value():
    _, _, z = gamma_reference()
    exact, _ = integrate.quad(lambda t: np.exp(gamma_kernel(t)), 0.0, np.inf)
    assert exact == pytest.approx(special.gamma(6.0) / 2.0**6)
    result = check_01.gamma_evidence(z)
    assert result.passed is True, result.message
    assert f"{100 * (z / exact - 1):+.2f} %" in result.message and "Stirling" in result.message


def test_gamma_evidence_not_answered():
    assert check_01.gamma_evidence(None).passed is None


@pytest.mark.parametrize(
    ("make_answer", "hint"),
    [
        (lambda height, variance, z: special.gamma(6.0) / 2.0**6, "exact Γ(a)/b^a"),
        (lambda height, variance, z: height, "only the height"),
        (lambda height, variance, z: height * np.sqrt(variance), "sqrt(2π) is missing"),
        (lambda height, variance, z: height * 2 * np.pi * variance, "square root is missing"),
        (lambda height, variance, z: height * np.sqrt(2 * np.pi / variance), "A is the precision"),
        (lambda height, variance, z: np.log(z), "log Z"),
    ],
)
def test_gamma_evidence_typical_mistakes(make_answer, hint, assert_no_leak):
    mode, variance, z = gamma_reference()
    height = np.exp(gamma_kernel(mode))
    answer = make_answer(height, variance, z)
    result = check_01.gamma_evidence(answer)
    assert result.passed is False and hint in result.message
    assert_no_leak(result, z, np.log(z), special.gamma(6.0) / 2.0**6, answer=answer)
