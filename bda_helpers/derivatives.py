"""Finite-difference Hessians: from an analytic gradient, or from the log density alone.

A central difference has two errors. Truncation: about (h / L)² relative, where ``L`` is
the length over which the differenced function changes (set by its third derivatives
against its first; for the second difference of a log density, by the fourth against the
second). Round-off: about ε L / h relative for a difference of the gradient and ε L² / h²
for a second difference of the log density (ε = 2.2e-16, machine epsilon), when the
function's values carry rounding errors of about ε times its change over ``L`` (as they do
when they are of that size). So the best step is near ε^(1/3) resp. ε^(1/4) times ``L``.
The function's ``L`` is not known here; it is assumed to be ``max(1, |theta_j|)`` for
coordinate ``j``, and the default steps are ε^(1/3) resp. ε^(1/4) times that.

A step given explicitly is checked against the same assumed scale, as a guard against
steps that are absurd for it (1e10, 1e300, 1e-20):

* ``h < ε · max(1, |theta_j|)`` is refused as too small. For ``|theta_j| >= 1`` the points
  ``theta_j ± h`` then lie within two units in the last place of ``theta_j`` (or on
  it), so the step actually taken is mostly rounding. For ``|theta_j| < 1`` they may be
  exact (``0 ± 1e-20`` is), but a function that changes on the scale
  ``max(1, |theta_j|)``, with rounding errors as above, changes over ``2 h`` by no more
  than the rounding error of its values, so the quotient is all rounding error (a
  function computed more precisely, like ``-t`` or ``tanh t`` near 0, could still give a
  good quotient; the guard refuses the step all the same).
* ``h > max(1, |theta_j|)`` is refused as too large: for a function that changes on that
  scale, ``theta_j ± h`` lie farther apart than the scale, and the quotient is an average
  slope over that range, not a derivative at ``theta_j`` (a step of 1e10 turns the
  curvature -1 of ``-log cosh`` at 0 into -1e-10).

The guards cannot know the function's actual scale. One that changes much faster than
``max(1, |theta_j|)`` needs smaller steps than the defaults, and an accepted step is no
promise of an accurate answer; one that changes much more slowly would allow larger steps
than the upper bound admits (a central difference of a linear gradient is exact for any
``h``), and is best given coordinates rescaled to order 1.

Between the bounds the error is left for :func:`fd_step_sweep` to show. For a central
difference of a gradient, rounding outweighs truncation below about ε^(1/3) ·
``max(1, |theta_j|)`` and swamps the estimate only near the lower bound ε ·
``max(1, |theta_j|)``. For the second differences of the log density it outweighs
truncation below about ε^(1/4) · ``max(1, |theta_j|)``, and swamps the estimate already
from about sqrt(ε) · ``max(1, |theta_j|)`` down, at steps the lower bound still accepts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._validation import check_finite, read_only

__all__ = ["fd_hessian", "fd_hessian_from_log_density", "fd_jacobian", "StepSweep", "fd_step_sweep"]

_EPS = np.finfo(float).eps


def _check_step_size(theta: np.ndarray, h: np.ndarray) -> None:
    """Refuse a step too small or too large for the scale ``max(1, |theta_j|)`` that the finite
    differences assume for coordinate ``j`` (see the module docstring)."""
    scale = np.maximum(1.0, np.abs(theta))
    for j in range(theta.size):
        assumed = f"the scale max(1, |theta[{j}]|) = {scale[j]:g} these finite differences assume"
        if theta[j] + h[j] == theta[j] or theta[j] - h[j] == theta[j]:
            reason = f"theta[{j}] ± h rounds to theta[{j}] itself in floating point"
        elif h[j] < _EPS * scale[j]:
            reason = (
                f"it is below eps * max(1, |theta[{j}]|) = {_EPS * scale[j]:.3g}: for a function that "
                f"changes on {assumed}, the quotient would be all rounding error"
            )
        elif h[j] > scale[j]:
            raise ValueError(
                f"step {h[j]:g} is too large for theta[{j}] = {theta[j]:g}: it is larger than {assumed}; "
                f"for a function that changes on that scale, theta[{j}] ± h is not near theta[{j}] and the "
                f"quotient would be no derivative there (rescale theta if the function changes more slowly)"
            )
        else:
            continue
        raise ValueError(f"step {h[j]:g} is too small for theta[{j}] = {theta[j]:g}: {reason}")


def _steps(theta, step, default_power: float) -> tuple[np.ndarray, np.ndarray]:
    """``theta`` and the steps ``h`` as float arrays, checked; the default ``eps**power * scale``."""
    theta = np.asarray(theta, dtype=float)
    if theta.ndim != 1 or theta.size == 0:
        raise ValueError(f"theta must be a non-empty 1-D array, got shape {theta.shape}")
    theta = check_finite(theta, "theta")
    if step is None:
        return theta, _EPS**default_power * np.maximum(1.0, np.abs(theta))
    step = np.asarray(step, dtype=float)
    if step.ndim > 0 and step.shape != theta.shape:
        raise ValueError(f"step must be a number or have shape {theta.shape}, got shape {step.shape}")
    h = np.broadcast_to(step, theta.shape).copy()
    if not np.all(np.isfinite(h) & (h > 0)):
        raise ValueError(f"step must be positive and finite, got {step.tolist()}")
    _check_step_size(theta, h)
    return theta, h


def _central_differences(
    function: Callable[[np.ndarray], np.ndarray], theta: np.ndarray, h: np.ndarray, name: str
) -> np.ndarray:
    """The central-difference Jacobian of ``function`` at ``theta`` with steps ``h``.

    The one loop behind :func:`fd_jacobian` and :func:`fd_hessian`; ``name`` names
    ``function`` in the error messages.
    """
    columns = []
    for j in range(theta.size):
        offset = np.zeros(theta.size)
        offset[j] = h[j]
        upper = np.atleast_1d(np.asarray(function(theta + offset), dtype=float))
        lower = np.atleast_1d(np.asarray(function(theta - offset), dtype=float))
        if upper.ndim != 1 or upper.shape != lower.shape or (columns and upper.shape != columns[0].shape):
            raise ValueError(
                f"{name} must return 1-D arrays of one shape, got {upper.shape} and {lower.shape}"
            )
        if not (np.isfinite(upper).all() and np.isfinite(lower).all()):
            raise ValueError(f"the {name} is not finite near theta={theta.tolist()}")
        with np.errstate(over="ignore"):  # a difference too large for a float is refused below
            columns.append((upper - lower) / (2.0 * h[j]))
    jacobian = np.column_stack(columns)
    if not np.isfinite(jacobian).all():
        raise ValueError(f"the {name} is not finite near theta={theta.tolist()}: its differences overflow")
    return jacobian


def fd_hessian(gradient: Callable[[np.ndarray], np.ndarray], theta, step=None) -> np.ndarray:
    """Hessian by central differences of the gradient, symmetrised.

    Column ``j`` is ``(g(theta + h_j e_j) - g(theta - h_j e_j)) / (2 h_j)``; the result is
    ``(H + H.T) / 2``: :func:`fd_jacobian` of the gradient, symmetrised, after checking
    that the gradient has one entry per parameter.

    Parameters
    ----------
    gradient : callable
        ``gradient(theta) -> array of shape (d,)``.
    theta : array_like, shape (d,)
        Where to evaluate the Hessian.
    step : float or array_like of shape (d,), optional
        The steps ``h``; default ``eps**(1/3) * max(1, |theta_j|)``. A step must lie
        between ``eps * max(1, |theta_j|)`` and ``max(1, |theta_j|)``: outside, for a
        gradient that changes on the scale ``max(1, |theta_j|)`` assumed here, a
        difference quotient would be all rounding error or no derivative at all (see the
        module docstring; rescale ``theta`` if the gradient's scale is very different).

    Returns
    -------
    numpy.ndarray, shape (d, d)

    Raises
    ------
    ValueError
        If ``theta`` or ``step`` is invalid (a step too small or too large for its
        coordinate is named with the coordinate), ``gradient`` does not return arrays of
        shape ``(d,)``, or a value is not finite.

    Examples
    --------
    >>> grad = lambda t: np.array([-2 * t[0] + t[1], t[0] - 4 * t[1] ** 3])
    >>> fd_hessian(grad, [1.0, 1.0], step=1e-4).round(6).tolist()
    [[-2.0, 1.0], [1.0, -12.0]]
    >>> fd_hessian(grad, [1.0, 1.0], step=1e-20)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: step 1e-20 is too small for theta[0] = 1: theta[0] ± h rounds to theta[0] itself ...
    """
    theta, h = _steps(theta, step, 1.0 / 3.0)
    d = theta.size

    def checked_gradient(point: np.ndarray) -> np.ndarray:
        value = np.asarray(gradient(point), dtype=float)
        if value.shape != (d,):
            raise ValueError(f"gradient returned shape {value.shape}, expected ({d},)")
        return value

    hess = _central_differences(checked_gradient, theta, h, "gradient")
    return 0.5 * (hess + hess.T)


def fd_hessian_from_log_density(log_density: Callable[[np.ndarray], float], theta, step=None) -> np.ndarray:
    """Hessian by second differences of the log density alone (no gradient needed).

    Diagonal: ``(f(t + h e_i) - 2 f(t) + f(t - h e_i)) / h²``; off-diagonal: the
    four-point formula ``(f(++) - f(+-) - f(-+) + f(--)) / (4 h_i h_j)``. Symmetric by
    construction. Less accurate than :func:`fd_hessian`: round-off grows like ε/h².

    Parameters
    ----------
    log_density : callable
        ``log_density(theta) -> float`` (or a 0-d array).
    theta : array_like, shape (d,)
        Where to evaluate the Hessian.
    step : float or array_like of shape (d,), optional
        The steps ``h``; default ``eps**(1/4) * max(1, |theta_j|)``. A step must lie
        between ``eps * max(1, |theta_j|)`` and ``max(1, |theta_j|)``, as for
        :func:`fd_hessian`. Within those bounds, for a log density that changes on the
        assumed scale ``max(1, |theta_j|)``, rounding outweighs truncation below about the
        default step and leaves only rounding error from about
        ``sqrt(eps) * max(1, |theta_j|)`` down.

    Returns
    -------
    numpy.ndarray, shape (d, d)

    Raises
    ------
    ValueError
        If ``theta`` or ``step`` is invalid (a step too small or too large for its
        coordinate is named with the coordinate), ``log_density`` returns more than one
        number, or a value is not finite.

    Examples
    --------
    >>> logf = lambda t: -t[0] ** 2 + t[0] * t[1] - t[1] ** 4
    >>> fd_hessian_from_log_density(logf, [1.0, 1.0]).round(5).tolist()
    [[-2.0, 1.0], [1.0, -12.0]]
    """
    theta, h = _steps(theta, step, 1.0 / 4.0)
    d = theta.size

    def f(offset: np.ndarray) -> float:
        value = log_density(theta + offset)
        if np.ndim(value) != 0:
            raise ValueError(f"log_density returned shape {np.shape(value)}, expected one number")
        return float(value)

    unit = np.diag(h)
    centre = f(np.zeros(d))
    hess = np.empty((d, d))
    for i in range(d):
        hess[i, i] = (f(unit[i]) - 2.0 * centre + f(-unit[i])) / h[i] ** 2
        for j in range(i):
            mixed = f(unit[i] + unit[j]) - f(unit[i] - unit[j]) - f(unit[j] - unit[i]) + f(-unit[i] - unit[j])
            hess[i, j] = hess[j, i] = mixed / (4.0 * h[i] * h[j])
    if not np.isfinite(hess).all():
        raise ValueError(f"the log density is not finite near theta={theta.tolist()}")
    return hess


def fd_jacobian(function: Callable[[np.ndarray], np.ndarray], theta, step=None) -> np.ndarray:
    """Jacobian of a vector function by central differences, *not* symmetrised.

    Column ``j`` is ``(f(theta + h_j e_j) - f(theta - h_j e_j)) / (2 h_j)``. Applied to a
    gradient it is the raw finite-difference Hessian, before :func:`fd_hessian` averages
    it with its transpose. The difference between the two off-diagonal estimates is the
    difference of their errors: a lower bound on the off-diagonal error, which says nothing
    about the diagonal's (nor about an error the two estimates share).

    Parameters
    ----------
    function : callable
        ``function(theta) -> array of shape (m,)``.
    theta : array_like, shape (d,)
        Where to evaluate the Jacobian.
    step : float or array_like of shape (d,), optional
        The steps ``h``: one number for every coordinate, or one per coordinate; default
        ``eps**(1/3) * max(1, |theta_j|)``, and bounds, as in :func:`fd_hessian`.

    Returns
    -------
    numpy.ndarray, shape (m, d)
        Entry ``[i, j]`` approximates ``d f_i / d theta_j``.

    Raises
    ------
    ValueError
        If ``theta`` or ``step`` is invalid (a step too small or too large for its
        coordinate is named with the coordinate), ``function`` returns arrays of different
        shapes, or a value is not finite.

    Examples
    --------
    >>> f = lambda t: np.array([t[0] * t[1], t[1] ** 3, np.sin(t[0])])
    >>> fd_jacobian(f, [0.0, 2.0], step=1e-5).round(6).tolist()
    [[2.0, 0.0], [0.0, 12.0], [1.0, 0.0]]
    """
    theta, h = _steps(theta, step, 1.0 / 3.0)
    return _central_differences(function, theta, h, "function")


@dataclass(frozen=True)
class StepSweep:
    """The error of a finite-difference estimate, step by step (see :func:`fd_step_sweep`).

    Attributes
    ----------
    steps : numpy.ndarray, shape (m,)
        The steps ``h`` tried, in the order given.
    errors : numpy.ndarray, shape (m,)
        ``max |estimate(h) - exact| / max |exact|`` for each step.
    best_step : float
        The step with the smallest error.
    best_error : float
        That smallest error.
    """

    steps: np.ndarray
    errors: np.ndarray
    best_step: float
    best_error: float


def fd_step_sweep(estimate: Callable[[float], np.ndarray], exact, steps) -> StepSweep:
    """Measure a finite-difference estimate against the exact value for a range of steps.

    The error is the largest entry of ``|estimate(h) - exact|`` relative to the largest
    entry of ``|exact|``: one number per step, comparable between entries of very
    different size and defined when some exact entries are zero. Plotted against ``h`` on
    log–log axes it shows the U of truncation error (falling with ``h``) and round-off
    error (growing as ``h`` shrinks).

    Parameters
    ----------
    estimate : callable
        ``estimate(h) -> array``, e.g. ``lambda h: fd_hessian(gradient, theta, step=h)``.
    exact : array_like
        The exact value (e.g. the analytic Hessian); not all zero, finite.
    steps : array_like, shape (m,)
        Positive, finite steps, e.g. ``np.logspace(-1, -10, 37)``.

    Returns
    -------
    StepSweep

    Raises
    ------
    ValueError
        If ``steps`` or ``exact`` is invalid, or an estimate has the wrong shape or is not
        finite (the message names the step).

    Examples
    --------
    The second derivative of ``sin`` at 1 by a central difference of its derivative:

    >>> sweep = fd_step_sweep(lambda h: (np.cos(1 + h) - np.cos(1 - h)) / (2 * h),
    ...                       -np.sin(1.0), np.logspace(-1, -10, 10))
    >>> [f"{e:.0e}" for e in sweep.errors[:3]]   # truncation: 100 times smaller per decade
    ['2e-03', '2e-05', '2e-07']
    >>> 1e-7 <= sweep.best_step <= 1e-4
    True
    """
    steps = np.asarray(steps, dtype=float)
    if steps.ndim != 1 or steps.size == 0 or not np.all(np.isfinite(steps) & (steps > 0)):
        raise ValueError("steps must be a non-empty 1-D array of positive, finite numbers")
    exact = check_finite(exact, "exact")
    scale = np.max(np.abs(exact)) if exact.size else 0.0
    if scale == 0.0:
        raise ValueError("exact must have a non-zero entry (the error is relative to its largest entry)")
    errors = np.empty(steps.size)
    for k, h in enumerate(steps):
        value = np.asarray(estimate(float(h)), dtype=float)
        if value.shape != exact.shape:
            raise ValueError(f"estimate({h:g}) has shape {value.shape}, but exact has shape {exact.shape}")
        if not np.isfinite(value).all():
            raise ValueError(f"estimate({h:g}) is not finite")
        errors[k] = np.max(np.abs(value - exact)) / scale
    best = int(np.argmin(errors))
    return StepSweep(
        steps=read_only(steps),
        errors=read_only(errors),
        best_step=float(steps[best]),
        best_error=float(errors[best]),
    )
