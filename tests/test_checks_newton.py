"""Self-checks of notebook 03: right answers pass, placeholders are not answered, typical
mistakes get their specific hints. The right answers are computed here from the reference
model of ``conftest.py`` (not with the checks' own code)."""

from __future__ import annotations

import numpy as np
import pytest

from bda_helpers.checks import newton as check_03


def backtracking_newton(ref, theta0, tol=1e-10):
    """Newton with Armijo halving on the reference model, written out; returns (mode, steps)."""
    theta, steps = np.asarray(theta0, dtype=float), 0
    while np.linalg.norm(grad := ref.gradient(theta)) > tol:
        direction = np.linalg.solve(ref.information(theta), grad)
        value, scale = float(ref.log_likelihood(*theta)), 1.0
        while (
            float(ref.log_likelihood(*(theta + scale * direction))) < value + 1e-4 * scale * grad @ direction
        ):
            scale /= 2
        theta, steps = theta + scale * direction, steps + 1
    return theta, steps


@pytest.mark.parametrize(
    "check", [check_03.first_newton_step, check_03.observed_information, check_03.iterations_from]
)
def test_placeholder_is_not_answered(check):
    result = check(None)
    assert result.passed is None and "Not answered yet" in repr(result)


# --- first_newton_step ---------------------------------------------------------------------


def test_first_newton_step_right(ref):
    theta_1 = np.linalg.solve(ref.information([0.0, 0.0]), ref.gradient([0.0, 0.0]))
    assert np.allclose(theta_1, [0.1143, 2.6189], atol=1e-4)
    assert check_03.first_newton_step(theta_1).passed is True
    assert check_03.first_newton_step(theta_1.tolist()).passed is True


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (lambda s, g, m: -s, "(-H)⁻¹ g"),  # wrong sign: H⁻¹ g added
        (lambda s, g, m: g, "gradient-ascent step"),
        (lambda s, g, m: m, "only one step"),
        (lambda s, g, m: [1.0, 1.0], "np.linalg.solve(H, g)"),
    ],
)
def test_first_newton_step_typical_mistakes(ref, answer, hint, assert_no_leak):
    step = np.linalg.solve(ref.information([0.0, 0.0]), ref.gradient([0.0, 0.0]))
    given = answer(step, ref.gradient([0.0, 0.0]), ref.mode())
    result = check_03.first_newton_step(given)
    assert result.passed is False and hint in result.message
    assert_no_leak(result, step, answer=given)


def test_first_newton_step_diagonal_only(ref, assert_no_leak):
    g = ref.gradient([0.0, 0.0])
    given = g / np.diag(ref.information([0.0, 0.0]))
    result = check_03.first_newton_step(given)
    assert result.passed is False and "diagonal" in result.message
    assert_no_leak(result, np.linalg.solve(ref.information([0.0, 0.0]), g), answer=given)


@pytest.mark.parametrize("answer", ["0.1143, 2.6189", [True, False]])
def test_first_newton_step_refuses_text_and_booleans(answer):
    result = check_03.first_newton_step(answer)
    assert result.passed is False and ("string" in result.message or "boolean" in result.message)


def test_first_newton_step_wrong_shape():
    result = check_03.first_newton_step([0.1, 2.6, 0.0])
    assert result.passed is False and "shape" in result.message


# --- observed_information ---------------------------------------------------------------------


def test_observed_information_right(ref):
    assert check_03.observed_information(ref.information(ref.mode())).passed is True


@pytest.mark.parametrize(
    ("transform", "hint"),
    [
        (lambda info: -info, "minus the Hessian"),
        (lambda info: np.linalg.inv(info), "its inverse is the covariance"),
        (lambda info: info + np.array([[0.0, 0.1], [0.0, 0.0]]), "not symmetric"),
        (lambda info: 2 * info, "bioassay.hessian(mode, data)"),
    ],
)
def test_observed_information_typical_mistakes(ref, transform, hint, assert_no_leak):
    information = ref.information(ref.mode())
    given = transform(information)
    result = check_03.observed_information(given)
    assert result.passed is False and hint in result.message
    assert_no_leak(result, information, answer=given)


def test_observed_information_at_the_start(ref, assert_no_leak):
    given = ref.information([0.0, 0.0])
    result = check_03.observed_information(given)
    assert result.passed is False and "at (0, 0)" in result.message
    assert_no_leak(result, ref.information(ref.mode()), answer=given)


# --- iterations_from -----------------------------------------------------------------------------


def test_iterations_from_right(ref):
    # Plain Newton fails from (-2, -5) (its iterates reach a point where the information is
    # singular), so the reference backtracks, as newton() does on this concave target.
    mode, steps = backtracking_newton(ref, check_03.EXERCISE_START)
    assert np.allclose(mode, ref.mode(), atol=1e-9)
    result = check_03.iterations_from(steps)
    assert result.passed is True, result.message


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (11, "count the steps"),
        (50, "textbook loop"),
        (8, "the count from (0, 0)"),
        (3, "read result.n_iter"),
        (2.5, "whole number"),
    ],
)
def test_iterations_from_typical_mistakes(ref, answer, hint):
    result = check_03.iterations_from(answer)
    assert result.passed is False and hint in result.message
    # No count one step from the right one: neither "one too many" nor the count itself.
    _, steps = backtracking_newton(ref, check_03.EXERCISE_START)
    assert "one too many" not in result.message and "one too few" not in result.message
    assert f"{steps} steps" not in result.message and f"= {steps}" not in result.message


@pytest.mark.parametrize("answer", ["10", True])
def test_iterations_from_refuses_text_and_booleans(answer):
    result = check_03.iterations_from(answer)
    assert result.passed is False and "whole number" in result.message
