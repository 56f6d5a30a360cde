"""Self-checks for the exercises of notebook 03 (Newton's method for the bioassay mode).

Each check recomputes its reference from the bioassay data with :mod:`bda_helpers`, and
recognises the typical mistakes: a step with the wrong sign, a gradient step instead of a
Newton step, the Hessian instead of the information, a count that includes the start.

Examples
--------
>>> first_newton_step(None)
… Not answered yet: assign your answer to `theta_1` and run the cell again.
>>> first_newton_step([-1.0, 4.4])
❌ Not yet: theta_1 = [-1.   4.4] is the start plus the gradient, a gradient-ascent step. Hint: Newton scales the gradient by the inverse of the negative Hessian: theta_1 = theta_0 + (-H)⁻¹ g, e.g. theta_0 - np.linalg.solve(H, g).
"""

from __future__ import annotations

import numpy as np

from .. import bioassay
from ..data import load_bioassay
from ..newton import newton
from . import CheckResult, as_array, correct, describe_miss, not_answered, wrong

__all__ = ["first_newton_step", "observed_information", "iterations_from"]

#: The start of the exercise on counting iterations.
EXERCISE_START = (-2.0, -5.0)


def _model():
    model = bioassay.model_functions(load_bioassay())
    return model.gradient, model.hessian, model.log_density


def _close(values: np.ndarray, reference: np.ndarray, rtol: float = 1e-4) -> bool:
    return bool(np.allclose(values, reference, rtol=rtol, atol=rtol * np.max(np.abs(reference))))


def _show(values: np.ndarray) -> str:
    return np.array2string(values, precision=4)


def first_newton_step(answer, name: str = "theta_1") -> CheckResult:
    """Check the first Newton iterate from (0, 0) for the bioassay posterior.

    The reference is ``theta_0 - H(theta_0)⁻¹ g(theta_0)`` with the analytic gradient and
    Hessian at ``theta_0 = (0, 0)``.

    Examples
    --------
    >>> first_newton_step([0.1143, 2.6189])
    ✅ Correct: theta_1 = [0.1143 2.6189], the first Newton step from (0, 0).
    """
    values = as_array(answer, (2,), name)
    if isinstance(values, CheckResult):
        return values
    gradient, hessian, _ = _model()
    theta0 = np.zeros(2)
    g, h = gradient(theta0), hessian(theta0)
    step = -np.linalg.solve(h, g)
    if _close(values, theta0 + step):
        return correct(f"{name} = {_show(values)}, the first Newton step from (0, 0).")
    if _close(values, theta0 - step):
        return wrong(
            f"{name} = {_show(values)} points the opposite way: it goes downhill.",
            "H is negative definite, so the ascent step is -H⁻¹ g = (-H)⁻¹ g; you added H⁻¹ g.",
        )
    if _close(values, theta0 + g) or _close(values, theta0 - g):
        return wrong(
            f"{name} = {_show(values)} is the start plus the gradient, a gradient-ascent step.",
            "Newton scales the gradient by the inverse of the negative Hessian: "
            "theta_1 = theta_0 + (-H)⁻¹ g, e.g. theta_0 - np.linalg.solve(H, g).",
        )
    if _close(values, theta0 - g / np.diag(h)):
        return wrong(
            f"{name} = {_show(values)} divides the gradient by the Hessian's diagonal.",
            "Solve with the whole 2 x 2 matrix (np.linalg.solve(H, g)); the off-diagonal "
            "entry couples alpha and beta.",
        )
    mode = newton(gradient, hessian, theta0).mode
    if _close(values, mode):
        return wrong(
            f"{name} = {_show(values)} is the mode, where Newton ends after all its steps.",
            "Take only one step from (0, 0).",
        )
    return wrong(
        f"{name} = {_show(values)} but the first Newton step from (0, 0) lands elsewhere.",
        "Evaluate the gradient g and Hessian H at (0, 0) (bioassay.gradient, bioassay.hessian) "
        "and compute theta_0 - np.linalg.solve(H, g).",
    )


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
    gradient, hessian, _ = _model()
    mode = newton(gradient, hessian, np.zeros(2)).mode
    information = -hessian(mode)
    if not np.allclose(values, values.T, rtol=1e-6, atol=1e-8):
        return wrong(
            f"{name} is not symmetric: entry [0, 1] = {values[0, 1]:.4g} but [1, 0] = {values[1, 0]:.4g}.",
            "The information is a matrix of second derivatives, and mixed partials do not "
            "depend on the order of differentiation.",
        )
    if _close(values, information, rtol=1e-3):
        return correct(f"{name} = {_show(values)}, the negative Hessian at the mode.")
    if _close(values, -information, rtol=1e-3):
        return wrong(
            f"{name} has a negative diagonal: it is the Hessian H itself.",
            "The observed information is minus the Hessian, -H, which is positive definite at a mode.",
        )
    if _close(values, np.linalg.inv(information), rtol=1e-3):
        return wrong(
            f"{name} = {_show(values)} is the inverse of the information, the Laplace covariance.",
            "The information is -H itself; its inverse is the covariance of the normal approximation.",
        )
    if _close(values, -hessian(np.zeros(2)), rtol=1e-3):
        return wrong(
            f"{name} = {_show(values)} is the information at (0, 0), the start.",
            "Evaluate -H at the mode that newton() returns (result.mode), or use result.hessian.",
        )
    return wrong(
        describe_miss(name, values, information),
        "Find the mode with newton(), then take -bioassay.hessian(mode, data).",
    )


def iterations_from(answer, name: str = "n_steps") -> CheckResult:
    """Check the number of Newton steps from ``EXERCISE_START`` = (-2, -5).

    The reference runs :func:`~bda_helpers.newton` with the analytic gradient and Hessian,
    the log posterior as ``log_density`` and the default tolerance.

    Examples
    --------
    >>> iterations_from(50)
    ❌ Not yet: n_steps = 50 but newton() needs fewer steps from (-2.0, -5.0). Hint: 50 is the fixed count of the textbook loop; run newton(...) from (-2, -5) and read result.n_iter.
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
            f"{name} = {answer} is one too many.",
            "The trace has a row for the start as well; count the steps (result.n_iter), not the rows.",
        )
    if answer == 50:
        return wrong(
            f"{name} = 50 but newton() needs fewer steps from {EXERCISE_START}.",
            "50 is the fixed count of the textbook loop; run newton(...) from (-2, -5) and read result.n_iter.",
        )
    from_origin = newton(gradient, hessian, np.zeros(2), log_density=log_density).n_iter
    if answer == from_origin:
        return wrong(
            f"{name} = {answer} is the count from (0, 0).",
            f"Start from {EXERCISE_START} instead.",
        )
    return wrong(
        f"{name} = {answer} but newton() takes a different number of steps from {EXERCISE_START}.",
        "Pass log_density as well (it decides how far each step goes), keep the default tol, "
        "and read result.n_iter.",
    )
