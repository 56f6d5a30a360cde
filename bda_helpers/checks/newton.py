"""Self-checks for the exercises of notebook 03 (Newton's method for the bioassay mode).

Each check recomputes its reference from the bioassay data with :mod:`bda_helpers`, and
recognises the typical mistakes: a step with the wrong sign, a gradient step instead of a
Newton step, the Hessian instead of the information, a count that includes the start.
A wrong answer learns which entries are off and which way, never the reference value.

Examples
--------
>>> first_newton_step(None)
… Not answered yet: assign your answer to `theta_1` and run the cell again.
>>> first_newton_step([-1.0, 4.4])  # doctest: +NORMALIZE_WHITESPACE
❌ Not yet: theta_1 = [-1.   4.4] is not right: α is too small; β is too large. Hint: that looks like a
gradient-ascent step, the start plus the gradient. Newton scales the gradient by the inverse of the negative
Hessian: theta_1 = theta_0 + (-H)⁻¹ g, e.g. theta_0 - np.linalg.solve(H, g).
"""

from __future__ import annotations

import numpy as np

from .. import bioassay
from ..data import load_bioassay
from ..newton import newton
from . import CheckResult, as_array, check_close, correct, format_answer, not_answered, wrong

__all__ = ["first_newton_step", "observed_information", "iterations_from"]

#: The start of the exercise on counting iterations.
EXERCISE_START = (-2.0, -5.0)

_NAMES = ("α", "β")


def _model():
    model = bioassay.model_functions(load_bioassay())
    return model.gradient, model.hessian, model.log_density


def _tolerances(reference: np.ndarray, rtol: float) -> dict[str, float]:
    """``rtol`` relative to each entry, and to the largest entry for entries near zero."""
    return {"rtol": rtol, "atol": rtol * float(np.max(np.abs(reference)))}


def first_newton_step(answer, name: str = "theta_1") -> CheckResult:
    """Check the first Newton iterate from (0, 0) for the bioassay posterior.

    The reference is ``theta_0 - H(theta_0)⁻¹ g(theta_0)`` with the analytic gradient and
    Hessian at ``theta_0 = (0, 0)``.

    Examples
    --------
    >>> first_newton_step([0.1143, 2.6189])
    ✅ Correct: theta_1 = [0.1143 2.6189], the first Newton step from (0, 0).
    """
    gradient, hessian, _ = _model()
    theta0 = np.zeros(2)
    g, h = gradient(theta0), hessian(theta0)
    step = -np.linalg.solve(h, g)
    expected = theta0 + step
    gradient_step = (
        "that looks like a gradient-ascent step, the start plus the gradient. Newton scales the gradient "
        "by the inverse of the negative Hessian: theta_1 = theta_0 + (-H)⁻¹ g, "
        "e.g. theta_0 - np.linalg.solve(H, g)."
    )
    result = check_close(
        answer,
        expected,
        name=name,
        names=_NAMES,
        **_tolerances(expected, 1e-4),
        mistakes=[
            (
                theta0 - step,
                "that step points the opposite way, downhill: H is negative definite, so the ascent "
                "step is -H⁻¹ g = (-H)⁻¹ g, not H⁻¹ g.",
            ),
            (theta0 + g, gradient_step),
            (theta0 - g, gradient_step),
            (
                theta0 - g / np.diag(h),
                "that divides the gradient by the Hessian's diagonal. Solve with the whole "
                "2 x 2 matrix (np.linalg.solve(H, g)); the off-diagonal entry couples alpha and beta.",
            ),
            (
                newton(gradient, hessian, theta0).mode,
                "that is the mode, where Newton ends after all its steps. Take only one step from (0, 0).",
            ),
        ],
        hint="Evaluate the gradient g and Hessian H at (0, 0) (bioassay.gradient, bioassay.hessian) "
        "and compute theta_0 - np.linalg.solve(H, g).",
    )
    if result.passed:
        return correct(f"{result.message[:-1]}, the first Newton step from (0, 0).")
    return result


def observed_information(answer, name: str = "information") -> CheckResult:
    """Check the observed information ``-H`` at the bioassay posterior mode.

    Examples
    --------
    >>> observed_information([[1.9648, -0.2934], [-0.2934, 0.0859]])
    ✅ Correct: information = [[ 1.9648 -0.2934]
     [-0.2934  0.0859]], the negative Hessian at the mode.
    """
    values = as_array(answer, (2, 2), name)
    if isinstance(values, CheckResult):
        return values
    if not np.allclose(values, values.T, rtol=1e-6, atol=1e-8):
        return wrong(
            f"{name} = {format_answer(values)} is not symmetric: its entries [0, 1] and [1, 0] differ.",
            "The information is a matrix of second derivatives, and mixed partials do not "
            "depend on the order of differentiation.",
        )
    gradient, hessian, _ = _model()
    information = -hessian(newton(gradient, hessian, np.zeros(2)).mode)
    result = check_close(
        values,
        information,
        name=name,
        names=_NAMES,
        **_tolerances(information, 1e-3),
        mistakes=[
            (
                -information,
                "that is the Hessian H itself (its diagonal is negative). The observed information is "
                "minus the Hessian, -H, which is positive definite at a mode.",
            ),
            (
                np.linalg.inv(information),
                "that is the Laplace covariance. The information is -H itself; "
                "its inverse is the covariance of the normal approximation.",
            ),
            (
                -hessian(np.zeros(2)),
                "that is the information at (0, 0), the start. Evaluate -H at the mode that "
                "newton() returns (result.mode), or use result.hessian.",
            ),
        ],
        hint="Find the mode with newton(), then take -bioassay.hessian(mode, data).",
    )
    if result.passed:
        return correct(f"{result.message[:-1]}, the negative Hessian at the mode.")
    return result


def iterations_from(answer, name: str = "n_steps") -> CheckResult:
    """Check the number of Newton steps from ``EXERCISE_START`` = (-2, -5).

    The reference runs :func:`~bda_helpers.newton` with the analytic gradient and Hessian,
    the log posterior as ``log_density`` and the default tolerance.

    Examples
    --------
    >>> iterations_from(50)  # doctest: +NORMALIZE_WHITESPACE
    ❌ Not yet: n_steps = 50 but newton() needs fewer steps from (-2.0, -5.0). Hint: 50 is the fixed count of
    the textbook loop; run newton(...) from (-2, -5) and read result.n_iter.
    """
    if answer is None:
        return not_answered(name)
    if isinstance(answer, bool) or not isinstance(answer, (int, np.integer)):
        return wrong(f"`{name}` should be a whole number of steps, got {answer!r}.")
    gradient, hessian, log_density = _model()
    result = newton(gradient, hessian, EXERCISE_START, log_density=log_density)
    expected = result.n_iter
    if answer == expected:
        return correct(f"{name} = {answer}: newton() needs {expected} steps from {EXERCISE_START}.")
    if answer == expected + 1:
        return wrong(
            f"{name} = {answer} is too large.",
            "The trace has a row for the start as well; count the steps (result.n_iter), not the rows.",
        )
    if answer == 50:
        return wrong(
            f"{name} = 50 but newton() needs fewer steps from {EXERCISE_START}.",
            "50 is the fixed count of the textbook loop; run newton(...) from (-2, -5) and read "
            "result.n_iter.",
        )
    from_origin = newton(gradient, hessian, np.zeros(2), log_density=log_density).n_iter
    if answer == from_origin:
        return wrong(
            f"{name} = {answer} is the count from (0, 0).",
            f"Start from {EXERCISE_START} instead.",
        )
    return wrong(
        f"{name} = {answer} is too {'large' if answer > expected else 'small'}.",
        "Pass log_density as well (it decides how far each step goes), keep the default tol, "
        "and read result.n_iter.",
    )
