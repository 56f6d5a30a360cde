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
from . import CheckResult, as_array, correct, not_answered, wrong

__all__ = ["forward_difference_hessian", "forward_best_step", "SWEEP_STEPS"]

#: The steps of the notebook's sweeps, 1e-1 down to 1e-10, four per decade.
SWEEP_STEPS = np.logspace(-1, -10, 37)


def _gradient_and_mode():
    model = bioassay.model_functions(load_bioassay())
    return model.gradient, model.hessian, newton(model.gradient, model.hessian, np.zeros(2)).mode


def forward_jacobian(gradient, theta, h: float) -> np.ndarray:
    """Forward differences ``(g(theta + h e_j) - g(theta)) / h``, column by column, not symmetrised.

    Examples
    --------
    >>> forward_jacobian(lambda t: t**2, np.array([1.0, 2.0]), 1e-3).round(3).tolist()
    [[2.001, 0.0], [0.0, 4.001]]
    """
    theta = np.asarray(theta, dtype=float)
    centre = np.asarray(gradient(theta), dtype=float)
    return np.column_stack([(np.asarray(gradient(theta + h * e), dtype=float) - centre) / h for e in np.eye(theta.size)])


def _relative(values: np.ndarray, reference: np.ndarray) -> float:
    return float(np.max(np.abs(values - reference)) / np.max(np.abs(reference)))


def forward_difference_hessian(answer, step: float = 1e-4, name: str = "forward_hessian") -> CheckResult:
    """Check the symmetrised forward-difference Hessian of the bioassay log posterior at its mode.

    Examples
    --------
    >>> forward_difference_hessian([[-1.9648, 0.2934], [0.2934, -0.0859]])
    ❌ Not yet: forward_hessian is close to the analytic Hessian (to 1e-4), but not the forward-difference estimate, whose own error is 5.5e-06. Hint: Build it from gradient evaluations: column j is (g(mode + h e_j) - g(mode)) / h with h = 0.0001; then symmetrise.
    """
    values = as_array(answer, (2, 2), name)
    if isinstance(values, CheckResult):
        return values
    gradient, hessian, mode = _gradient_and_mode()
    raw = forward_jacobian(gradient, mode, step)
    reference = 0.5 * (raw + raw.T)
    exact = hessian(mode)
    error = _relative(reference, exact)
    tolerance = 1e-3 * error  # far below the forward-difference error itself
    if _relative(values, reference) <= tolerance:
        return correct(
            f"{name} matches the forward-difference Hessian with h = {step:g}; its relative "
            f"error against the analytic Hessian is {error:.1e}."
        )
    if _relative(values, raw) <= tolerance:
        return wrong(
            f"{name} is not symmetric: entry [0, 1] = {values[0, 1]:.8f} but [1, 0] = {values[1, 0]:.8f}.",
            "Average the two off-diagonal estimates: (J + J.T) / 2.",
        )
    if _relative(values, 0.5 * reference) <= tolerance:
        return wrong(
            f"{name} is half the forward-difference Hessian.",
            "A forward difference divides by h, not by 2h (that is the central difference's spacing).",
        )
    build_it = (
        f"Build it from gradient evaluations: column j is (g(mode + h e_j) - g(mode)) / h "
        f"with h = {step:g}; then symmetrise."
    )
    if _relative(values, exact) <= 1e-12:
        return wrong(f"{name} is the analytic Hessian, not its forward-difference estimate.", build_it)
    if _relative(values, fd_hessian(gradient, mode, step=step)) <= tolerance:
        return wrong(
            f"{name} is the central-difference Hessian.",
            "Forward differences use g(mode + h e_j) - g(mode), one-sided, divided by h.",
        )
    if _relative(values, exact) <= 1e-4:
        return wrong(
            f"{name} is close to the analytic Hessian (to 1e-4), but not the forward-difference "
            f"estimate, whose own error is {error:.1e}.",
            build_it,
        )
    return wrong(
        f"{name} differs from the forward-difference Hessian by {_relative(values, reference):.1e} (relative).",
        f"Evaluate at the mode, with h = {step:g} in both coordinates, column j = "
        f"(g(mode + h e_j) - g(mode)) / h, then (J + J.T) / 2.",
    )


def forward_best_step(answer, name: str = "forward_best_h") -> CheckResult:
    """Check the best step of the forward-difference Hessian over :data:`SWEEP_STEPS`.

    Accepted within a factor of 10 of the reference sweep's best step (the bottom of the U
    is flat and its exact place is decided by round-off noise).

    Examples
    --------
    >>> forward_best_step(1e-5)
    ❌ Not yet: forward_best_h = 1e-05 is near the best step of *central* differences. Hint: A forward difference has truncation error ∝ h (not h²); balanced against round-off ∝ ε/h the best step is of the order of sqrt(ε) ≈ 1.5e-08, smaller than for central differences.
    """
    if answer is None:
        return not_answered(name)
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return wrong(f"`{name}` should be a number (a step h), got {type(answer).__name__}.")
    if not (np.isfinite(value) and value > 0):
        return wrong(f"`{name}` = {answer!r} is not a positive step.")
    gradient, hessian, mode = _gradient_and_mode()
    exact = hessian(mode)

    def forward(h: float) -> np.ndarray:
        raw = forward_jacobian(gradient, mode, h)
        return 0.5 * (raw + raw.T)

    best = fd_step_sweep(forward, exact, SWEEP_STEPS).best_step
    if best / 10 <= value <= best * 10:
        return correct(
            f"{name} = {value:.1e}; the sweep's minimum is at h = {best:.1e}, of the order of "
            f"sqrt(ε) = {np.sqrt(np.finfo(float).eps):.1e} (times the problem's scale)."
        )
    central = fd_step_sweep(lambda h: fd_hessian(gradient, mode, step=h), exact, SWEEP_STEPS).best_step
    eps = np.finfo(float).eps
    if central / 3 <= value <= central * 3:
        return wrong(
            f"{name} = {value:.0e} is near the best step of *central* differences.",
            f"A forward difference has truncation error ∝ h (not h²); balanced against round-off "
            f"∝ ε/h the best step is of the order of sqrt(ε) ≈ {np.sqrt(eps):.1e}, smaller than for central differences.",
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
