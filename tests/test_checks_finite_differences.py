"""Self-checks of notebook 04: right answers pass, placeholders are not answered, typical
mistakes get their specific hints. The right answers are computed here from the reference
model of ``conftest.py``."""

from __future__ import annotations

import numpy as np
import pytest

from bda_helpers.checks import CheckResult
from bda_helpers.checks import finite_differences as check_04

H = 1e-4


def without_echo(result, answer):
    """The result with the answer's ten-digit echo taken out, for the leak test (which strips only
    the usual four-digit echo)."""
    return CheckResult(
        result.passed, result.message.replace(check_04._full_digits(np.asarray(answer)), "«answer»")
    )


def forward_raw(ref, h=H):
    mode = ref.mode()
    return np.column_stack([(ref.gradient(mode + h * e) - ref.gradient(mode)) / h for e in np.eye(2)])


@pytest.mark.parametrize("check", [check_04.forward_difference_hessian, check_04.forward_best_step])
def test_placeholder_is_not_answered(check):
    result = check(None)
    assert result.passed is None and "Not answered yet" in repr(result)


def test_forward_difference_hessian_right(ref):
    raw = forward_raw(ref)
    result = check_04.forward_difference_hessian(0.5 * (raw + raw.T))
    assert result.passed is True, result.message
    # Its error against the analytic Hessian is first order: ~5e-6 at h = 1e-4.
    assert "5.5e-06" in result.message


@pytest.mark.parametrize(
    ("make", "hint"),
    [
        (lambda raw, central, exact: raw, "not symmetric"),
        (lambda raw, central, exact: 0.25 * (raw + raw.T), "not by 2h"),
        (lambda raw, central, exact: central, "one-sided"),
        (lambda raw, central, exact: exact, "analytic Hessian"),
        (lambda raw, central, exact: 0.5 * (raw + raw.T) + 1e-3, "then (J + J.T) / 2"),
    ],
)
def test_forward_difference_hessian_typical_mistakes(ref, make, hint, assert_no_leak):
    raw = forward_raw(ref)
    mode = ref.mode()
    central = np.column_stack(
        [(ref.gradient(mode + H * e) - ref.gradient(mode - H * e)) / (2 * H) for e in np.eye(2)]
    )
    answer = make(raw, 0.5 * (central + central.T), ref.hessian(mode))
    result = check_04.forward_difference_hessian(answer)
    assert result.passed is False and hint in result.message
    # Neither the estimate nor its error against the analytic Hessian (one step from it).
    error = np.abs(0.5 * (raw + raw.T) - ref.hessian(mode)).max() / np.abs(ref.hessian(mode)).max()
    assert_no_leak(without_echo(result, answer), 0.5 * (raw + raw.T), error, answer=answer)
    # The answer is echoed to ten digits, where forward, central and analytic Hessians differ.
    assert check_04._full_digits(np.asarray(answer)) in result.message


@pytest.mark.parametrize("decimals", [6, 7])
def test_forward_difference_hessian_close_to_the_analytic_one(ref, decimals, assert_no_leak):
    # The analytic Hessian as printed: closer to it than the forward estimate (error ~1e-5) is.
    answer = ref.hessian(ref.mode()).round(decimals)
    result = check_04.forward_difference_hessian(answer)
    assert result.passed is False and "closer to the analytic Hessian than" in result.message
    raw = forward_raw(ref)
    error = (
        np.abs(0.5 * (raw + raw.T) - ref.hessian(ref.mode())).max() / np.abs(ref.hessian(ref.mode())).max()
    )
    assert_no_leak(without_echo(result, answer), 0.5 * (raw + raw.T), error, answer=answer)


def test_forward_difference_hessian_rounded_coarser_than_its_error_is_not_called_closer(ref):
    # Rounded to 4 decimals the analytic Hessian is farther from itself (up to 5e-5) than the
    # forward estimate (1e-5): the check must not claim it is closer.
    answer = ref.hessian(ref.mode()).round(4)
    raw = forward_raw(ref)
    exact = ref.hessian(ref.mode())
    assert np.abs(answer - exact).max() > np.abs(0.5 * (raw + raw.T) - exact).max()
    result = check_04.forward_difference_hessian(answer)
    assert result.passed is False and "closer to the analytic Hessian" not in result.message


@pytest.mark.parametrize(
    ("make", "order"),
    [
        (lambda forward, exact: forward + 1e-3, "1e-03"),
        (lambda forward, exact: exact.round(4), "1e-04"),
        (lambda forward, exact: 0.5 * forward, "1e+00"),
    ],
)
def test_forward_difference_hessian_says_how_far_off(ref, make, order, assert_no_leak):
    # A miss the printed digits hide is sized, as an order of magnitude only.
    raw = forward_raw(ref)
    forward, exact = 0.5 * (raw + raw.T), ref.hessian(ref.mode())
    answer = make(forward, exact)
    result = check_04.forward_difference_hessian(answer)
    assert result.passed is False and f"off by up to about {order}" in result.message
    error = np.abs(forward - exact).max() / np.abs(exact).max()
    assert_no_leak(without_echo(result, answer), forward, error, answer=answer)


@pytest.mark.parametrize("which", ["analytic", "central"])
def test_forward_difference_hessian_does_not_size_the_estimates_own_error(ref, which, assert_no_leak):
    # At the analytic or the central Hessian the miss is the forward estimate's own error, which the
    # exercise asks for: it is not sized.
    mode = ref.mode()
    central = np.column_stack(
        [(ref.gradient(mode + H * e) - ref.gradient(mode - H * e)) / (2 * H) for e in np.eye(2)]
    )
    answer = ref.hessian(mode) if which == "analytic" else 0.5 * (central + central.T)
    result = check_04.forward_difference_hessian(answer)
    assert result.passed is False and "off by up to" not in result.message
    assert check_04._full_digits(answer) in result.message


def test_forward_best_step_right_within_a_factor_of_ten(ref):
    # The reference sweep here: written-out forward differences of the reference gradient.
    exact = ref.hessian(ref.mode())
    steps = check_04.SWEEP_STEPS
    errors = []
    for h in steps:
        raw = forward_raw(ref, h)
        errors.append(np.abs(0.5 * (raw + raw.T) - exact).max())
    errors = np.array(errors)
    # Of the order of sqrt(eps) = 1.5e-8: truncation ~ 0.05 h against round-off ~ eps / h puts
    # the bottom of the U near 1e-7. The bottom is flat: from 3e-8 to 3e-7 the error stays within
    # a factor 2 of its minimum, and which of those five steps is the smallest is decided by
    # round-off noise (measured: 1.8e-7 here, 1.0e-7 or 1.8e-7 in the checker's own sweep, by
    # CPU). So the answer given is the geometric centre of that flat bottom (measured: 1.0e-7),
    # which the noise hardly moves, rather than either argmin: the checker's argmin, anywhere in
    # the bottom, is then within a factor 3.2 of it, well inside the factor 10 it allows.
    bottom = steps[errors <= 2 * errors.min()]
    centre = float(np.exp(np.log(bottom).mean()))
    assert 3e-8 <= centre <= 3e-7
    result = check_04.forward_best_step(centre)
    assert result.passed is True, result.message


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (1e-5, "*central* differences"),
        (1e-2, "truncation error (∝ h) dominates"),
        (1e-10, "round-off (∝ ε/h) dominates"),
        ("small", "is the string 'small'"),
        ("1e-7", "without quotes"),
        (True, "a boolean"),
        ([1e-7, 1e-6], "shape"),
        (-1e-7, "not a positive step"),
        (0.0, "not a positive step"),
    ],
)
def test_forward_best_step_typical_mistakes(answer, hint, assert_no_leak):
    result = check_04.forward_best_step(answer)
    assert result.passed is False and hint in result.message
    # No step that would pass: no sqrt(eps) ≈ 1.5e-08, no step of the sweep's best decades.
    echoed = answer if isinstance(answer, float) else None
    assert_no_leak(result, answer=echoed, phrases=("1.5e-08", "e-07", "e-08", "sqrt(ε)"))


@pytest.mark.parametrize("decimals", [7, 8])
def test_forward_difference_hessian_kept_to_seven_decimals_passes(ref, decimals):
    # 1 % of the estimate's own error (~1e-5) is ~1e-7: seven decimals are enough, the analytic
    # Hessian (off by the whole error) is far from passing.
    raw = forward_raw(ref)
    result = check_04.forward_difference_hessian((0.5 * (raw + raw.T)).round(decimals))
    assert result.passed is True, result.message


@pytest.mark.parametrize("which", ["rounded to 6 decimals", "at the mode's 5 printed decimals"])
def test_forward_difference_hessian_near_miss_is_not_called_closer(ref, which, assert_no_leak):
    # A right method, slightly off: rounded, or at the mode as notebook 03 prints it, (0.84658, 7.74882).
    # By chance such an answer can sit a little nearer the analytic Hessian than the estimate does;
    # the check must not send the student after the analytic Hessian or a smaller step.
    raw = forward_raw(ref)
    forward, exact = 0.5 * (raw + raw.T), ref.hessian(ref.mode())
    if which == "rounded to 6 decimals":
        answer = forward.round(6)
    else:
        printed = np.array([0.84658, 7.74882])
        at_printed = np.column_stack(
            [(ref.gradient(printed + H * e) - ref.gradient(printed)) / H for e in np.eye(2)]
        )
        answer = 0.5 * (at_printed + at_printed.T)
    own_error = np.abs(forward - exact).max()
    assert np.abs(answer - exact).max() < own_error  # nearer, by chance: the trap the check avoids
    assert np.abs(answer - forward).max() < 0.2 * own_error  # the hint's "well below" is true
    result = check_04.forward_difference_hessian(answer)
    assert result.passed is False and "closer to the analytic Hessian" not in result.message
    assert "well below the forward estimate's own error" in result.message
    assert "did you round the answer" in result.message and "rounded digits of the mode" in result.message
    assert "off by up to about 1e-06" in result.message
    assert_no_leak(without_echo(result, answer), forward, own_error / np.abs(exact).max(), answer=answer)


def test_forward_difference_hessian_smaller_step_is_called_closer(ref):
    # A forward difference with h = 1e-5 is ten times nearer the analytic Hessian: "a smaller step?" is
    # the right question.
    raw = forward_raw(ref, 1e-5)
    result = check_04.forward_difference_hessian(0.5 * (raw + raw.T))
    assert result.passed is False and "a smaller step" in result.message


@pytest.mark.parametrize("which", ["forward", "analytic", "central"])
def test_forward_difference_hessian_sign_slip(ref, which, assert_no_leak):
    # Minus the Hessian (the information): its diagonal is positive.
    mode = ref.mode()
    raw = forward_raw(ref)
    central = np.column_stack(
        [(ref.gradient(mode + H * e) - ref.gradient(mode - H * e)) / (2 * H) for e in np.eye(2)]
    )
    matrix = {"forward": 0.5 * (raw + raw.T), "analytic": ref.hessian(mode), "central": central}[which]
    answer = -matrix
    result = check_04.forward_difference_hessian(answer)
    assert result.passed is False and "minus the Hessian" in result.message
    assert "off by up to" not in result.message
    error = np.abs(0.5 * (raw + raw.T) - ref.hessian(mode)).max() / np.abs(ref.hessian(mode)).max()
    assert_no_leak(without_echo(result, answer), 0.5 * (raw + raw.T), error, answer=answer)
