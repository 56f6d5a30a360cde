"""Self-checks for the exercises of notebook 04 (the finite-difference Hessian).

The references are recomputed from the bioassay data: the mode by :func:`~bda_helpers.newton`,
forward differences of the analytic gradient written out here, and the step sweep by
:func:`~bda_helpers.derivatives.fd_step_sweep` against the analytic Hessian.

Examples
--------
>>> forward_best_step(None)
… Not answered yet: assign your answer to `forward_best_h` and run the cell again.
"""

from __future__ import annotations

import numpy as np

from .. import bioassay
from ..data import load_bioassay
from ..derivatives import fd_hessian, fd_step_sweep
from ..newton import newton
from . import CheckResult, as_array, check_close, correct, describe_miss, format_answer, wrong

__all__ = ["forward_difference_hessian", "forward_best_step", "SWEEP_STEPS"]

#: The steps of the notebook's sweeps, 1e-1 down to 1e-10, four per decade.
SWEEP_STEPS = np.logspace(-1, -10, 37)

_NAMES = ("α", "β")


def _gradient_and_mode():
    model = bioassay.model_functions(load_bioassay())
    return model.gradient, model.hessian, newton(model.gradient, model.hessian, np.zeros(2)).mode


def _forward_jacobian(gradient, theta: np.ndarray, h: float) -> np.ndarray:
    """Forward differences ``(g(theta + h e_j) - g(theta)) / h``, column by column, not symmetrised.

    The exercise is about this one-sided scheme, which :mod:`bda_helpers.derivatives` (central
    differences) does not offer; it stays private to the checks.
    """
    centre = gradient(theta)
    return np.column_stack([(gradient(theta + h * e) - centre) / h for e in np.eye(theta.size)])


def _symmetrised(matrix: np.ndarray) -> np.ndarray:
    return 0.5 * (matrix + matrix.T)


def _full_digits(values: np.ndarray) -> str:
    """A matrix with ten significant digits: at four, forward, central and analytic Hessians look alike."""
    return np.array2string(np.asarray(values, dtype=float), formatter={"float_kind": "{:.10g}".format})


def _with_full_digits(result: CheckResult, name: str, values: np.ndarray, size_of_miss: float | None):
    """``result`` with the answer echoed to ten digits and, if given, the order of magnitude of its miss."""
    message = result.message.replace(
        f"{name} = {format_answer(values)}", f"{name} = {_full_digits(values)}", 1
    )
    if size_of_miss is not None:
        order = f"1e{int(np.round(np.log10(size_of_miss))):+03d}"
        head, _, hint = message.partition(" Hint: ")
        message = f"{head} (Its entries are off by up to about {order}.)" + (f" Hint: {hint}" if hint else "")
    return CheckResult(result.passed, message)


def forward_difference_hessian(answer, step: float = 1e-4, name: str = "forward_hessian") -> CheckResult:
    """Check the symmetrised forward-difference Hessian of the bioassay log posterior at its mode.

    The answer must agree with the reference estimate to 1 % of the estimate's own error
    against the analytic Hessian, so that the analytic Hessian does not pass for it while an
    answer kept to seven decimals does. Recognised slips: the raw (unsymmetrised) matrix, half
    of it, the central-difference or analytic Hessian, minus the Hessian (the information), and
    a near miss (a rounded answer, or rounded digits of the mode) well below the estimate's error.

    Examples
    --------
    A wrong answer is echoed to ten significant digits (at four, the forward, central and
    analytic Hessians look alike). The analytic Hessian as notebook 04 prints it, to six decimals:

    >>> result = forward_difference_hessian([[-1.964769, 0.293425], [0.293425, -0.085937]])
    >>> print(result.message.split(" is not right")[0])
    forward_hessian = [[-1.964769 0.293425]
     [0.293425 -0.085937]]
    >>> result.message.split("Hint: ")[1]  # doctest: +NORMALIZE_WHITESPACE
    'that is closer to the analytic Hessian than the forward-difference estimate with h = 0.0001 is (the
    analytic Hessian itself, a smaller step or a more accurate formula?). Build it from gradient evaluations:
    column j is (g(mode + h e_j) - g(mode)) / h with h = 0.0001; then symmetrise.'
    """
    values = as_array(answer, (2, 2), name)
    if isinstance(values, CheckResult):
        return values
    gradient, hessian, mode = _gradient_and_mode()
    reference = _symmetrised(_forward_jacobian(gradient, mode, step))
    exact = hessian(mode)
    scale = float(np.max(np.abs(exact)))
    own_error = float(np.max(np.abs(reference - exact)))  # the forward estimate's error, absolute
    atol = 1e-2 * own_error  # far below the forward-difference error itself
    if not np.allclose(values, values.T, rtol=0.0, atol=atol):
        return wrong(
            f"{name} = {_full_digits(values)} is not symmetric: its entries [0, 1] and [1, 0] differ by "
            f"{abs(values[0, 1] - values[1, 0]):.1e}.",
            "Average the two off-diagonal estimates: (J + J.T) / 2.",
        )
    build_it = (
        f"Build it from gradient evaluations: column j is (g(mode + h e_j) - g(mode)) / h "
        f"with h = {step:g}; then symmetrise."
    )
    if np.allclose(values, exact, rtol=0.0, atol=1e-12 * scale):  # closer than the central estimate's error
        analytic = wrong(
            describe_miss(name, values, reference, rtol=0.0, atol=atol, names=_NAMES),
            f"that is the analytic Hessian, not its forward-difference estimate. {build_it}",
        )
        return _with_full_digits(analytic, name, values, None)
    if np.all(np.diag(values) > 0):  # at a maximum the log density curves down: H has a negative diagonal
        information = wrong(
            describe_miss(name, values, reference, rtol=0.0, atol=atol, names=_NAMES),
            "its diagonal is positive, so that is minus the Hessian (the observed information -H), not H: "
            "at the mode the log density curves down. Difference the gradient of the log posterior as it is.",
        )
        return _with_full_digits(information, name, values, None)
    central = fd_hessian(gradient, mode, step=step)
    # The central estimate itself: its distance to the analytic Hessian (~1e-9) is far above the
    # round-off by which a student's own central differences may differ from fd_hessian's (~1e-12).
    if np.allclose(values, central, rtol=0.0, atol=1e-10):
        central_result = wrong(
            describe_miss(name, values, reference, rtol=0.0, atol=atol, names=_NAMES),
            "that is the central-difference Hessian (which agrees with the analytic one to about nine "
            "digits), not the forward one. Forward differences use g(mode + h e_j) - g(mode), one-sided, "
            "divided by h.",
        )
        return _with_full_digits(central_result, name, values, None)
    return _forward_verdict(values, reference, exact, central, atol, step, name, build_it)


def _forward_verdict(values, reference, exact, central, atol, step, name, build_it) -> CheckResult:
    """The verdict of :func:`forward_difference_hessian` once the special answers are ruled out."""
    own_error = float(np.max(np.abs(reference - exact)))
    miss = float(np.max(np.abs(values - reference)))
    # Nearer the analytic (or the central) Hessian than a small fraction of the forward estimate's
    # error: the analytic Hessian, a smaller step or a better formula. A near miss (rounded digits of
    # the answer or of the mode) sits at the estimate's own distance from it and is no such thing.
    near_central = np.max(np.abs(values - central)) < 0.25 * own_error
    near_analytic = near_central or np.max(np.abs(values - exact)) < 0.25 * own_error
    if near_analytic:
        hint = (
            f"that is closer to the analytic Hessian than the forward-difference estimate with h = {step:g} "
            f"is (the analytic Hessian itself, a smaller step or a more accurate formula?). {build_it}"
        )
    elif miss < 0.2 * own_error:
        hint = (
            "that miss is well below the forward estimate's own error against the analytic Hessian, so the "
            "formula looks right: did you round the answer (keep every digit), or evaluate at the rounded "
            "digits of the mode printed above (use the variable `mode` itself)?"
        )
    else:
        hint = (
            f"Evaluate at the variable `mode` (not its printed digits), with h = {step:g} in both "
            "coordinates, column j = (g(mode + h e_j) - g(mode)) / h, then (J + J.T) / 2; keep every digit."
        )
    result = check_close(
        values,
        reference,
        name=name,
        names=_NAMES,
        rtol=0.0,
        atol=atol,
        mistakes=[
            (
                0.5 * reference,
                "that is half the forward-difference Hessian: a forward difference divides by h, "
                "not by 2h (that is the central difference's spacing).",
            ),
        ],
        hint=hint,
    )
    if result.passed:
        return correct(
            f"{name} matches the forward-difference Hessian with h = {step:g}; its relative "
            f"error against the analytic Hessian is {own_error / np.max(np.abs(exact)):.1e}."
        )
    # How far off, as an order of magnitude; not where the miss is the estimate's own error against
    # the analytic Hessian (an answer at or near the analytic or the central one), which the exercise
    # asks the student to measure.
    return _with_full_digits(result, name, values, None if near_analytic else miss)


def forward_best_step(answer, name: str = "forward_best_h") -> CheckResult:
    """Check the best step of the forward-difference Hessian over :data:`SWEEP_STEPS`.

    Accepted within a factor of 10 of the reference sweep's best step (the bottom of the U
    is flat and its exact place is decided by round-off noise).

    Examples
    --------
    >>> forward_best_step(1e-5)  # doctest: +NORMALIZE_WHITESPACE
    ❌ Not yet: forward_best_h = 1e-05 is near the best step of *central* differences. Hint: A forward
    difference has truncation error ∝ h (not h²), so truncation and round-off (∝ ε/h) balance at a smaller
    step than for central differences. Sweep h over SWEEP_STEPS with the forward scheme and take the step with
    the smallest error.
    """
    value = as_array(answer, (), name)
    if isinstance(value, CheckResult):
        return value
    value = float(value)
    if value <= 0:
        return wrong(f"{name} = {format_answer(value)} is not a positive step.")
    gradient, hessian, mode = _gradient_and_mode()
    exact = hessian(mode)
    best = fd_step_sweep(
        lambda h: _symmetrised(_forward_jacobian(gradient, mode, h)), exact, SWEEP_STEPS
    ).best_step
    if best / 10 <= value <= best * 10:
        return correct(
            f"{name} = {value:.1e}; the sweep's minimum is at h = {best:.1e}, of the order of "
            f"sqrt(ε) = {np.sqrt(np.finfo(float).eps):.1e} (times the problem's scale)."
        )
    central = fd_step_sweep(lambda h: fd_hessian(gradient, mode, step=h), exact, SWEEP_STEPS).best_step
    if central / 3 <= value <= central * 3:
        return wrong(
            f"{name} = {value:.0e} is near the best step of *central* differences.",
            "A forward difference has truncation error ∝ h (not h²), so truncation and round-off (∝ ε/h) "
            "balance at a smaller step than for central differences. Sweep h over SWEEP_STEPS with the "
            "forward scheme and take the step with the smallest error.",
        )
    if value > best * 10:
        return wrong(
            f"{name} = {value:.1e} is too large: there the truncation error (∝ h) dominates.",
            "Sweep h over SWEEP_STEPS = np.logspace(-1, -10, 37) and take the step with the smallest error.",
        )
    return wrong(
        f"{name} = {value:.1e} is too small: there round-off (∝ ε/h) dominates.",
        "Sweep h over SWEEP_STEPS = np.logspace(-1, -10, 37) and take the step with the smallest error.",
    )
