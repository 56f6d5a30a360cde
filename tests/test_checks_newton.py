"""Self-checks of notebook 03: right answers pass, placeholders are not answered, typical
mistakes get their specific hints. The right answers are computed here from the reference
model of ``conftest.py`` (not with the checks' own code)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bda_helpers.checks import newton as check_03


def backtracking_newton(ref, theta0, tol=1e-10, scales=None):
    """Newton with Armijo halving on the reference model, written out; returns (mode, steps).
    If ``scales`` is a list, the step scale of every step is appended to it."""
    theta, steps = np.asarray(theta0, dtype=float), 0
    while np.linalg.norm(grad := ref.gradient(theta)) > tol:
        direction = np.linalg.solve(ref.information(theta), grad)
        value, scale = float(ref.log_likelihood(*theta)), 1.0
        while (
            float(ref.log_likelihood(*(theta + scale * direction))) < value + 1e-4 * scale * grad @ direction
        ):
            scale /= 2
        theta, steps = theta + scale * direction, steps + 1
        if scales is not None:
            scales.append(scale)
    return theta, steps


@pytest.mark.parametrize(
    "check",
    [check_03.centred_mode, check_03.largest_good_start, check_03.iterations_from, check_03.shortened_steps],
)
def test_placeholder_is_not_answered(check):
    result = check(None)
    assert result.passed is None and "Not answered yet" in repr(result)


# --- centred_mode ----------------------------------------------------------------------------


def centred_reference(ref):
    """The mode for doses x - mean(x), by the reference root finder on the centred doses."""
    return ref.mode(x=ref.X - ref.X.mean())


def test_centred_mode_right(ref):
    mode = centred_reference(ref)
    # The same curve: alpha_c + beta (x - x̄) = alpha + beta x at every dose.
    flat = ref.mode()
    assert np.allclose(mode, [flat[0] + flat[1] * ref.X.mean(), flat[1]], atol=1e-9)
    assert check_03.centred_mode(mode).passed is True
    assert check_03.centred_mode(mode.round(4).tolist()).passed is True


def significant(values, digits):
    """Each entry rounded to ``digits`` significant digits."""
    return [float(f"{value:.{digits - 1}e}") for value in values]


def test_centred_mode_three_significant_digits_pass(ref):
    # The exercise asks for three or more significant digits in each entry: all of these pass.
    mode = centred_reference(ref)
    for digits in (3, 4, 6):
        assert check_03.centred_mode(significant(mode, digits)).passed is True, digits
    assert check_03.centred_mode(mode.round(3).tolist()).passed is True


@pytest.mark.parametrize(
    "coarse",
    [
        lambda mode: mode.round(2),  # two decimals: the small intercept keeps one significant digit
        lambda mode: significant(mode, 2),
        lambda mode: [float(f"{mode[0]:.3f}"), round(mode[1], 1)],  # three decimals, then one
    ],
)
def test_centred_mode_rounded_too_coarsely_is_a_near_miss(ref, coarse, assert_no_leak):
    mode = centred_reference(ref)
    given = np.asarray(coarse(mode), dtype=float)
    result = check_03.centred_mode(given)
    assert result.passed is False and "keep three or more significant digits" in result.message
    assert "run newton from (0, 0)" not in result.message  # not sent back to redo a right method
    assert_no_leak(result, mode, answer=given)


def test_centred_mode_two_decimals_get_the_rounding_hint_and_a_wrong_intercept_does_not(ref):
    # The hand answer [-0.08, 7.75] (the right mode to two decimals) gets the rounding hint;
    # an intercept of 0 (the log-odds at the mean dose taken for even odds) is not a rounding.
    mode = centred_reference(ref)
    assert np.allclose(mode.round(2), [-0.08, 7.75])
    assert "keep three or more significant digits" in check_03.centred_mode([-0.08, 7.75]).message
    assert "significant digits" not in check_03.centred_mode([0.0, mode[1]]).message


@pytest.mark.parametrize(
    ("make", "hint"),
    [
        (lambda centred, flat, x: flat, "the mode for the original doses"),
        (lambda centred, flat, x: [flat[0] - flat[1] * x.mean(), flat[1]], "the wrong way"),
        (lambda centred, flat, x: [centred[0], centred[1] * x.std()], "divide the doses"),
        (lambda centred, flat, x: [centred[0], centred[1] * x.std(ddof=1)], "divide the doses"),
        (lambda centred, flat, x: [centred[0] + 0.5, centred[1]], "run newton from (0, 0)"),
    ],
)
def test_centred_mode_typical_mistakes(ref, make, hint, assert_no_leak):
    centred = centred_reference(ref)
    given = make(centred, ref.mode(), ref.X)
    result = check_03.centred_mode(given)
    assert result.passed is False and hint in result.message
    assert_no_leak(result, centred, answer=given)
    # The hints say the curve must stay the same function of the dose; they do not hand over the
    # equation that gives the answer.
    assert "alpha_c +" not in result.message and "solve for" not in result.message


def test_centred_mode_docstring_does_not_show_the_answer(ref):
    # help(check_03.centred_mode) must not give the exercise away: the slope is the printed one,
    # the centred intercept is the answer.
    centred = centred_reference(ref)
    for decimals in (2, 3, 4):
        assert f"{centred[0]:.{decimals}f}" not in check_03.centred_mode.__doc__
    assert f"{centred[0]:.4f}" not in check_03.__doc__


@pytest.mark.parametrize("answer", ["-0.08, 7.75", [True, False], [0.1, 2.6, 0.0]])
def test_centred_mode_refuses_text_booleans_and_wrong_shapes(answer):
    result = check_03.centred_mode(answer)
    assert result.passed is False
    assert "string" in result.message or "boolean" in result.message or "shape" in result.message


# --- largest_good_start ----------------------------------------------------------------------

NU = 5  # the exercise's Student-t target: log p = -3 log(1 + theta² / 5), concave for |theta| < sqrt(5)
# |theta_1| = 2 theta³ / (nu - theta²) equals theta where 3 theta² = nu
EDGE = np.sqrt(NU / 3)
CAUCHY_EDGE = 1 / np.sqrt(3)  # the same for nu = 1, printed in the notebook for another target


def test_the_exercise_target_is_the_checks():
    assert check_03.STUDENT_T_DF == NU


def test_largest_good_start_right_by_a_scan():
    # A student's scan: from which starts on a grid does one plain step raise -3 log(1 + theta²/5)?
    theta = np.linspace(0.001, np.sqrt(NU) - 0.001, 4000)
    gradient = -6 * theta / (NU + theta**2)
    second = -6 * (NU - theta**2) / (NU + theta**2) ** 2
    step = theta - gradient / second
    good = -3 * np.log1p(step**2 / NU) > -3 * np.log1p(theta**2 / NU)
    largest = theta[good].max()
    assert abs(largest - EDGE) < 1e-3
    assert check_03.largest_good_start(largest).passed is True
    assert check_03.largest_good_start(EDGE).passed is True
    assert check_03.largest_good_start(round(EDGE, 3)).passed is True


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (np.sqrt(NU), "stops being concave"),
        (CAUCHY_EDGE, "Cauchy target of section 4"),
        (EDGE**2, "theta_0² rather than"),
        (3.0, "beyond √5"),
        (2.0, "overshoots the mode"),
        (1.0, "still raises the log density"),
        (0.3, "still raises the log density"),
        (-EDGE, "not a positive start"),
        (0.0, "not a positive start"),
        ("0.3", "is the string"),
        ([0.5, 0.6], "shape"),
    ],
)
def test_largest_good_start_typical_mistakes(answer, hint, assert_no_leak):
    result = check_03.largest_good_start(answer)
    assert result.passed is False and hint in result.message
    assert_no_leak(
        result,
        EDGE,
        EDGE**2,
        answer=answer if isinstance(answer, float) else None,
        phrases=("√(ν/3)", "√(5/3)", "1.291", "ν/3"),
    )


def test_the_cauchy_hint_is_true_for_the_target_without_its_nu():
    # -3 log(1 + theta²), the exercise's target with /nu dropped, is 3 times the Cauchy's log density:
    # the same Newton steps, so the same edge 1/sqrt(3).
    theta = np.linspace(0.001, 0.999, 4000)
    gradient = -6 * theta / (1 + theta**2)
    second = -6 * (1 - theta**2) / (1 + theta**2) ** 2
    step = theta - gradient / second
    good = -3 * np.log1p(step**2) > -3 * np.log1p(theta**2)
    assert abs(theta[good].max() - CAUCHY_EDGE) < 1e-3
    result = check_03.largest_good_start(theta[good].max())
    assert result.passed is False and "/ν dropped" in result.message


def test_the_hints_are_true():
    # Beyond sqrt(nu) the step goes outwards; between the edge and sqrt(nu) it overshoots.
    def plain_step(theta):
        return theta - (-6 * theta / (NU + theta**2)) / (-6 * (NU - theta**2) / (NU + theta**2) ** 2)

    assert plain_step(3.0) > 3.0
    assert plain_step(2.0) < -2.0
    assert abs(plain_step(1.0)) < 1.0  # 1 is a good start: the answer is farther out


# --- iterations_from -----------------------------------------------------------------------------


def test_iterations_from_right(ref):
    # Plain Newton fails from (-2, -5) (its iterates reach a point where the information is
    # singular), so the reference backtracks, as newton() does on this concave target.
    mode, steps = backtracking_newton(ref, check_03.EXERCISE_START)
    assert np.allclose(mode, ref.mode(), atol=1e-9)
    result = check_03.iterations_from(steps)
    assert result.passed is True, result.message
    # A whole-number float is that whole number, as shortened_steps accepts [2.0, 3.0].
    for answer in (float(steps), np.float64(steps), np.int64(steps)):
        assert check_03.iterations_from(answer).passed is True, repr(answer)


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (11, "count the steps"),
        (9, "the last, tiny step counts too"),
        (50, "textbook loop"),
        (8, "the count from (0, 0)"),
        (3, "Count the steps in result.trace"),
        (14, "Count the steps in result.trace"),
        (11.0, "count the steps"),
        (2.5, "whole number"),
        (float("nan"), "whole number"),
        (float("inf"), "whole number"),
    ],
)
def test_iterations_from_typical_mistakes(ref, answer, hint):
    result = check_03.iterations_from(answer)
    assert result.passed is False and hint in result.message
    # The exercise already passes log_density (without it newton raises): no hint sends the student there.
    assert "Pass log_density" not in result.message
    # No count one step from the right one: neither "one too many" nor the count itself.
    _, steps = backtracking_newton(ref, check_03.EXERCISE_START)
    assert "one too many" not in result.message and "one too few" not in result.message
    assert f"{steps} steps" not in result.message and f"= {steps}" not in result.message


@pytest.mark.parametrize("answer", ["10", True])
def test_iterations_from_refuses_text_and_booleans(answer):
    result = check_03.iterations_from(answer)
    assert result.passed is False and "whole number" in result.message


def test_iterations_from_a_looser_tol_can_stop_a_step_earlier(ref):
    # The hint for a count one too small says a looser tol can stop a step earlier: true here.
    _, steps = backtracking_newton(ref, check_03.EXERCISE_START)
    _, looser = backtracking_newton(ref, check_03.EXERCISE_START, tol=1e-8)
    assert looser == steps - 1
    assert "a looser one can stop a step earlier" in check_03.iterations_from(steps - 1).message


# --- shortened_steps ---------------------------------------------------------------------------


def shortened_reference(ref):
    """The steps (numbered from 1) whose written-out Armijo halving shortened them."""
    scales = []
    backtracking_newton(ref, check_03.EXERCISE_START, scales=scales)
    return {k for k, scale in enumerate(scales, start=1) if scale < 1}, scales


def test_shortened_steps_right(ref):
    expected, scales = shortened_reference(ref)
    assert expected == {2, 3} and scales[0] == 1.0  # step 1 is a full step, though it goes far
    for answer in (sorted(expected), sorted(expected, reverse=True), expected, np.array(sorted(expected))):
        result = check_03.shortened_steps(answer)
        assert result.passed is True, result.message
    # float step numbers that are whole are accepted too
    assert check_03.shortened_steps([float(k) for k in expected]).passed is True


def without_numbers_of(result, answer):
    """The message with the echo of the answer taken out."""
    return result.message.replace(f"shortened = {sorted(set(np.atleast_1d(answer).tolist()))}", "«answer»")


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        ([0, 2, 3], "row 0 is the start"),
        ([1, 2], "positions counted from 0"),
        ([], "not in `shifted`"),
        ([2], "even after a single halving"),
        ([1, 2, 3], "Armijo's test accepted the whole step"),
        ([5], "list the steps whose `step scale`"),
        ([2, 3, 40], "this run has no step 40"),
        ([0.000244, 0.5], "not the step scales"),
        ("2, 3", "is the string"),
        ([[2, 3]], "flat list"),
    ],
)
def test_shortened_steps_typical_mistakes(ref, answer, hint):
    result = check_03.shortened_steps(answer)
    assert result.passed is False and hint in result.message
    # No shortened step the answer leaves out is named.
    expected, _ = shortened_reference(ref)
    if isinstance(answer, list) and np.ndim(answer) == 1:
        text = without_numbers_of(result, answer)
        for k in expected - {round(a) for a in answer}:
            assert not re.search(rf"\b{k}\b", text), text


def test_shortened_steps_hints_are_true(ref):
    # "the start's step scale is a placeholder 0"; "step 1 lands far from the mode, yet its step scale
    # is 1: the log posterior rose enough"
    from bda_helpers import bioassay, load_bioassay, newton

    model = bioassay.model_functions(load_bioassay())
    run = newton(model.gradient, model.hessian, check_03.EXERCISE_START, log_density=model.log_density)
    assert run.trace.step_scale[0] == 0.0 and run.trace.step_scale[1] == 1.0
    start, first = np.asarray(check_03.EXERCISE_START), run.trace.theta[1]
    assert np.linalg.norm(first - ref.mode()) > 2 * np.linalg.norm(start - ref.mode())
    assert ref.log_likelihood(*first) > ref.log_likelihood(*start) + 10
