"""Newton's method for the mode of a log density, with a guarded step.

Each iteration evaluates the gradient ``g`` and the Hessian ``H``, solves ``A d = g``
with ``A = -H`` for the Newton step ``d``, stops if the point is a mode, and otherwise
takes the step. Two guards sit beside the step. Where ``A`` is not positive definite (a
non-concave region) it is shifted, ``A + mu I``, until it is, which turns the step into an
ascent direction. When the log density is supplied, the step is then halved until it
passes Armijo's sufficient-increase condition: the log density must rise by at least
``1e-4`` of the rise ``g @ step`` the gradient predicts for the step, less a rounding
allowance of ``1e-12 * max(1, |f|)`` (so an accepted step may lower the log density by up
to that allowance). The condition refuses a step only if it gains less than 0.01 % of its
predicted rise: it stops steps that overshoot so far that the log density falls or barely
moves, but it accepts a step that gains little more than that (an overshoot to about the
same height on the far side of the mode, say), and it never refuses a step for being
short. What keeps the steps long is that the halving starts from the full Newton step and
stops at the first step that passes.

Convergence needs a gradient norm below ``tol``, a negative definite Hessian and a Newton
step that has shrunk, so a saddle point, a minimum, or a ridge running off to infinity
(where the Hessian may underflow to zero) is reported as a failure, never returned as a
mode. A Hessian that is not symmetric is refused: it is the Hessian of no function, so it
is a mistake in the code that computes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

import numpy as np

from ._format import brief
from ._validation import check_int

__all__ = ["ConvergenceError", "NewtonResult", "NewtonTrace", "newton"]

#: Armijo's constant: a step must raise the log density by at least this fraction of the rise
#: ``scale * g @ d`` that the gradient predicts for it (less the :data:`ROUNDING` allowance).
#: Small, so that a good Newton step (which achieves about half of ``g @ d`` near the mode)
#: always passes; it refuses overshooting steps, not short ones.
SUFFICIENT_INCREASE = 1e-4

#: Rounding allowance of the log density, relative to ``max(1, |f|)``: near the mode the rise
#: of a step (~ ``g @ d / 2``) falls below the rounding error of the log density itself, and
#: without this allowance rounding would reject good steps and stall Newton there. So an
#: accepted step may lower the log density by up to ``ROUNDING * max(1, |f|)``.
ROUNDING = 1e-12

#: Backtracking gives up when the step has been halved below this fraction of a Newton step.
SMALLEST_SCALE = 1e-12

#: Largest asymmetry ``|H[i, j] - H[j, i]|`` accepted, relative to the scale of that pair of
#: entries, ``max(sqrt(|H[i, i] H[j, j]|), |H[i, j]|, |H[j, i]|)``. Each pair is measured
#: against its own scale, not against the largest entry of ``H``, so that a large entry
#: elsewhere cannot hide a mistake: in ``[[-1e9, 1], [-1, -1]]`` the wrong sign is 2e-9 of
#: the largest entry but 6e-5 of its pair's scale ``sqrt(1e9)``. Rounding leaves a few eps
#: times the size of the terms summed; a mistake (a wrong sign, a missing or transposed term)
#: leaves an asymmetry of the order of the entries themselves. The tolerance also admits the
#: raw finite-difference Jacobian of a gradient (``fd_jacobian``; ``fd_hessian`` symmetrises
#: it), asymmetric by its finite-difference error: on the bioassay model about 1e-10 of the
#: pair's scale near the mode, 4e-8 at (-5, 40) and up to 3e-7 far in the tails, e.g. at
#: (10, 0), where the curvature is small against the rounding of the gradient.
SYMMETRY_TOLERANCE = 1e-6

_EPS = np.finfo(float).eps


class ConvergenceError(RuntimeError):
    """Newton's method stopped without finding a mode.

    Attributes
    ----------
    trace : NewtonTrace
        The iterations up to the failure, to see where it went wrong.

    Examples
    --------
    >>> try:
    ...     newton(lambda t: np.ones(1), lambda t: np.zeros((1, 1)), [0.0], max_iter=3)
    ... except ConvergenceError as error:
    ...     print(error.trace.theta.ravel().round(1).tolist())
    [0.0, 1000.0, 2000.0, 3000.0]
    """

    def __init__(self, message: str, trace: NewtonTrace):
        super().__init__(message)
        self.trace = trace


@dataclass(frozen=True)
class NewtonTrace:
    """One row per iterate; row 0 is the starting point.

    Attributes
    ----------
    theta : numpy.ndarray, shape (k + 1, d)
        The iterates.
    log_density : numpy.ndarray, shape (k + 1,)
        The log density at each iterate (``nan`` when it was not supplied).
    grad_norm : numpy.ndarray, shape (k + 1,)
        Euclidean norm of the gradient at each iterate.
    step_norm : numpy.ndarray, shape (k + 1,)
        Length of the step that led to each iterate (0 for the start).
    step_scale : numpy.ndarray, shape (k + 1,)
        The backtracking factor of that step (1 is a full Newton step; 0 for the start).
    shifted : numpy.ndarray of bool, shape (k + 1,)
        Whether the Hessian had to be shifted to make that step an ascent step.
    """

    theta: np.ndarray
    log_density: np.ndarray
    grad_norm: np.ndarray
    step_norm: np.ndarray
    step_scale: np.ndarray
    shifted: np.ndarray


@dataclass(frozen=True)
class NewtonResult:
    """The mode found by :func:`newton`.

    Attributes
    ----------
    mode : numpy.ndarray, shape (d,)
        The maximiser.
    hessian : numpy.ndarray, shape (d, d)
        The Hessian of the log density at the mode (negative definite).
    n_iter : int
        Number of Newton steps taken.
    trace : NewtonTrace
        Every iterate, for tables and convergence plots.
    """

    mode: np.ndarray
    hessian: np.ndarray
    n_iter: int
    trace: NewtonTrace


class _Record:
    """The iterates of one run of :func:`newton`, row by row, and its failures."""

    def __init__(self, d: int):
        self.d = d
        self.rows: list[tuple] = []

    def add(self, theta, value, grad, step_norm, scale, shifted) -> None:
        self.rows.append((theta.copy(), value, np.linalg.norm(grad), step_norm, scale, shifted))

    def trace(self) -> NewtonTrace:
        columns = list(zip(*self.rows)) or [[] for _ in range(6)]  # no rows: an empty trace
        return NewtonTrace(
            theta=np.array(columns[0]).reshape(len(self.rows), self.d),
            log_density=np.array(columns[1], dtype=float),
            grad_norm=np.array(columns[2], dtype=float),
            step_norm=np.array(columns[3], dtype=float),
            step_scale=np.array(columns[4], dtype=float),
            shifted=np.array(columns[5], dtype=bool),
        )

    def fail(self, message: str) -> NoReturn:
        raise ConvergenceError(message, self.trace())


def _check_arguments(theta0, tol, max_iter) -> np.ndarray:
    """``theta0`` as a float array, after checking it, ``tol`` and ``max_iter``."""
    theta = np.array(theta0, dtype=float)
    if theta.ndim != 1 or theta.size == 0:
        raise ValueError(f"theta0 must be a non-empty 1-D array, got shape {theta.shape}")
    if not np.isfinite(theta).all():
        raise ValueError(f"theta0 must be finite, got {brief(theta)}")
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive number, got {tol}")
    check_int(max_iter, "max_iter", minimum=1)
    return theta


def _log_density_value(log_density: Callable | None, theta: np.ndarray) -> float:
    """The log density at ``theta`` as a float (a float or a 0-d array is accepted); nan if none."""
    if log_density is None:
        return np.nan
    value = log_density(theta)
    if np.ndim(value) != 0:
        raise ValueError(
            f"log_density returned shape {np.shape(value)} at theta={brief(theta)}, expected one number"
        )
    return float(value)


def _check_symmetric(hess: np.ndarray, iteration: int, theta: np.ndarray) -> None:
    """Refuse a Hessian whose asymmetry is more than rounding (see :data:`SYMMETRY_TOLERANCE`)."""
    if np.array_equal(hess, hess.T):  # analytic and symmetrised finite-difference Hessians: no work
        return
    asymmetry = np.abs(hess - hess.T)
    # The scale of pair (i, j): sqrt(|H_ii H_jj|) bounds |H_ij| in a definite matrix (Cauchy-Schwarz),
    # and |H_ij|, |H_ji| themselves take over where it does not (a saddle, a zero diagonal).
    diagonal = np.sqrt(np.abs(np.diag(hess)))
    pair_scale = np.maximum(np.outer(diagonal, diagonal), np.maximum(np.abs(hess), np.abs(hess.T)))
    # + tiny: below the smallest normal float, subnormal rounding leaves no relative precision.
    excess = asymmetry - (SYMMETRY_TOLERANCE * pair_scale + np.finfo(float).tiny)
    if excess.max() <= 0.0:
        return
    i, j = np.unravel_index(np.argmax(excess), excess.shape)
    i, j = min(i, j), max(i, j)
    upper, lower = float(hess[i, j]) + 0.0, float(hess[j, i]) + 0.0  # + 0.0: no "-0.0" in the message
    raise ValueError(
        f"hessian is not symmetric at iteration {iteration}, theta={brief(theta)}: "
        f"H[{i}, {j}]={upper!r} but H[{j}, {i}]={lower!r} (a Hessian is symmetric; differences up to "
        f"{SYMMETRY_TOLERANCE:g} of max(sqrt(|H[{i}, {i}] H[{j}, {j}]|), |H[{i}, {j}]|, |H[{j}, {i}]|) "
        f"= {float(pair_scale[i, j]):.3g} pass as rounding)"
    )


def _derivatives(gradient, hessian, theta: np.ndarray, iteration: int, record: _Record):
    """The gradient and the Hessian at ``theta``, checked: shapes, finite values, symmetry."""
    d = theta.size
    grad = np.asarray(gradient(theta), dtype=float)
    hess = np.asarray(hessian(theta), dtype=float)
    if grad.shape != (d,):
        raise ValueError(f"gradient returned shape {grad.shape}, expected ({d},)")
    if hess.shape != (d, d):
        raise ValueError(f"hessian returned shape {hess.shape}, expected ({d}, {d})")
    if not np.isfinite(grad).all():
        record.fail(f"Newton failed: gradient is not finite at iteration {iteration}, theta={brief(theta)}")
    if not np.isfinite(hess).all():
        record.fail(f"Newton failed: Hessian is not finite at iteration {iteration}, theta={brief(theta)}")
    _check_symmetric(hess, iteration, theta)
    return grad, hess


def _ascent_direction(grad: np.ndarray, hess: np.ndarray) -> tuple[np.ndarray, bool]:
    """Solve ``(-H + mu I) d = g`` with the smallest shift ``mu >= 0`` found that works.

    With ``mu = 0`` this is the Newton step. Where ``-H`` is not positive definite, the
    shift makes it so and ``d`` becomes an ascent direction (``g @ d > 0``). Returns ``d``
    and whether it was shifted; raises ``LinAlgError`` if no shift worked.
    """
    neg_hess = -hess
    shift = 0.0
    with np.errstate(over="ignore", invalid="ignore"):  # a shift or step too large for floats is refused
        for _ in range(60):
            shifted = neg_hess if shift == 0.0 else neg_hess + shift * np.eye(grad.size)
            if not np.isfinite(shifted).all():
                break
            try:
                np.linalg.cholesky(shifted)  # succeeds exactly when `shifted` is positive definite
            except np.linalg.LinAlgError:
                # The shift is in units of curvature; with a (near) zero Hessian, fall back on the
                # gradient's size so the first shifted step has a length of order 1e3, not 1e300.
                scale = max(np.max(np.abs(neg_hess)), np.linalg.norm(grad), 1e-12)
                shift = max(2.0 * shift, 1e-3 * scale)
                continue
            direction = np.linalg.solve(shifted, grad)
            if not np.isfinite(direction).all():
                break
            return direction, shift > 0.0
    raise np.linalg.LinAlgError("no shift made the negative Hessian positive definite with a finite step")


def _not_a_mode_message(theta: np.ndarray, hess: np.ndarray) -> str:
    """Why a point where the gradient vanishes but ``-H`` is not positive definite is no mode."""
    eigenvalues = np.linalg.eigvalsh(hess)
    largest = np.max(np.abs(eigenvalues))
    start = f"Newton stopped where the gradient vanishes, theta={brief(theta)}, but the Hessian there is"
    if np.min(np.abs(eigenvalues)) > hess.shape[0] * _EPS * largest:
        return (
            f"{start} not negative definite (eigenvalues {brief(eigenvalues)}): a saddle or a minimum, "
            "not a mode"
        )
    # Singular to rounding (numpy's matrix_rank tolerance), or zero: flat in some direction.
    what = "zero" if largest == 0.0 else "numerically singular"
    return (
        f"{start} {what}, not negative definite (eigenvalues {brief(eigenvalues)}): a saddle, a minimum, "
        f"a flat ridge, a maximum too flat to approximate by a Gaussian, or a log density that keeps "
        f"rising towards infinity (e.g. separated data, whose Hessian underflows far out)"
    )


def _iteration_limit_message(trace: NewtonTrace, tol: float, direction_norm: float, guarded: bool) -> str:
    """Why Newton stopped after ``max_iter`` steps, and what its last steps suggest.

    The last ``m <= 10`` steps taken are read: steps that shrank to less than half suggest
    more iterations may converge; at least 5 steps that did not shrink, each taking ``theta``
    farther from 0, and together mostly outwards, suggest a log density with no finite
    maximum. Anything else is reported as it is, without a diagnosis.
    """
    k = trace.theta.shape[0] - 1
    theta, m = trace.theta[-1], min(10, k)
    message = (
        f"Newton did not converge in max_iter={k} iterations: at theta={brief(theta)} the gradient "
        f"norm is {trace.grad_norm[-1]:.3g} (tol={tol:g}) and the next step has length {direction_norm:.3g}"
    )
    steps, norms = trace.step_norm[-m:], np.linalg.norm(trace.theta[-m - 1 :], axis=1)
    if steps[-1] < 0.5 * steps[0]:
        shrank = f"the last {m} steps shrank from {steps[0]:.3g} to {steps[-1]:.3g}"
        return f"{message}; {shrank}, so a larger max_iter may reach a mode"
    if m < 5:
        return f"{message}; too few steps ({m}) to tell where the iterates are heading"
    if np.all(np.diff(norms) > 0) and norms[-1] - norms[0] >= 0.5 * steps.sum():
        unguarded = "" if guarded else ", or steps that overshoot because no log_density guards them"
        return (
            f"{message}; over the last {m} steps |theta| grew from {norms[0]:.3g} to {norms[-1]:.3g} by "
            f"steps that did not shrink: iterates that keep moving away suggest a log density with no "
            f"finite maximum (e.g. separable logistic data){unguarded}"
        )
    guard = "" if guarded else " (pass log_density to guard the steps)"
    return f"{message}; the last {m} steps did not shrink, but they do not keep moving away either{guard}"


def _backtrack(log_density, theta, value, grad, direction) -> tuple[float, float] | None:
    """Halve the step until it raises the log density enough: the scale and the new value.

    A step of ``scale * direction`` is accepted when the log density rises by at least
    :data:`SUFFICIENT_INCREASE` of the rise ``scale * grad @ direction`` predicted for it
    (Armijo), less a rounding allowance (:data:`ROUNDING`). ``None`` when no step down to
    :data:`SMALLEST_SCALE` qualifies.
    """
    predicted = grad @ direction  # > 0: an ascent direction
    allowance = ROUNDING * max(1.0, abs(value))
    scale = 1.0
    while scale >= SMALLEST_SCALE:
        new_value = _log_density_value(log_density, theta + scale * direction)
        if (
            np.isfinite(new_value)
            and new_value >= value + SUFFICIENT_INCREASE * scale * predicted - allowance
        ):
            return scale, new_value
        scale /= 2.0
    return None


def newton(
    gradient: Callable[[np.ndarray], np.ndarray],
    hessian: Callable[[np.ndarray], np.ndarray],
    theta0,
    *,
    log_density: Callable[[np.ndarray], float] | None = None,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> NewtonResult:
    """Find the mode of a log density by Newton's method with a guarded step.

    Parameters
    ----------
    gradient : callable
        ``gradient(theta) -> array of shape (d,)``, the gradient of the log density.
    hessian : callable
        ``hessian(theta) -> array of shape (d, d)``, its Hessian (analytic, or e.g.
        ``lambda t: fd_hessian(gradient, t)``, which is symmetrised). It must be symmetric:
        ``H[i, j]`` may differ from ``H[j, i]`` by rounding only, at most ``1e-6`` times
        ``max(sqrt(|H[i, i] H[j, j]|), |H[i, j]|, |H[j, i]|)``.
    theta0 : array_like, shape (d,)
        Starting point.
    log_density : callable, optional
        ``log_density(theta) -> float`` (or a 0-d array). When given, it is recorded in the
        trace and every step is halved until the log density rises by at least ``1e-4``
        of the rise the gradient predicts for the step, less a rounding allowance of
        ``1e-12 * max(1, |f|)`` (Armijo backtracking). That refuses steps that overshoot
        so far that they gain less than 0.01 % of their predicted rise; it never refuses
        a short step, and an accepted step may lower the log density by up to the
        allowance. Starting each halving from the full Newton step keeps the steps long.
    tol : float, default 1e-10
        Stop when the Euclidean norm of the gradient is at most ``tol``, the Hessian is
        negative definite and the next Newton step is shorter than
        ``sqrt(tol) * (1 + |theta|)``.
    max_iter : int, default 100
        Maximum number of Newton steps.

    Returns
    -------
    NewtonResult
        The mode, the Hessian there, the number of steps and the full trace.

    Raises
    ------
    ValueError
        If ``theta0``, ``tol`` or ``max_iter`` is invalid, the callables return arrays of
        the wrong shape, ``log_density`` is not finite at ``theta0`` or returns more than
        one number, or a Hessian is not symmetric (the message names the iteration and the
        entries).
    ConvergenceError
        If a gradient or Hessian is not finite, no step increases the log density, the
        Hessian where the gradient vanishes is not negative definite (a saddle or a
        minimum; or, where it is numerically singular or zero, also a flat ridge, a maximum
        too flat for a Gaussian (as −θ⁴ at 0), or a log density that keeps rising towards
        infinity, as on separated logistic data, whose Hessian underflows far out),
        or the iteration limit is reached. That last message
        also says what the last steps suggest: steps that shrank, that more iterations may
        converge; at least 5 steps that did not shrink and keep moving away, a log density
        with no finite maximum (as on separable logistic data).

    Examples
    --------
    The bimodal log density ``-t**4 + 2 t**2`` from 1.0, and from 0.1 where the plain
    Newton step would head for the minimum at 0:

    >>> grad = lambda t: -4 * t**3 + 4 * t
    >>> hess = lambda t: np.atleast_2d(-12 * t**2 + 4)
    >>> logf = lambda t: float(-t[0] ** 4 + 2 * t[0] ** 2)
    >>> newton(grad, hess, [1.0]).mode.tolist()
    [1.0]
    >>> result = newton(grad, hess, [0.1], log_density=logf)
    >>> result.mode.round(9).tolist(), bool(result.trace.shifted[1])
    ([1.0], True)
    """
    theta = _check_arguments(theta0, tol, max_iter)
    record = _Record(theta.size)
    value = _log_density_value(log_density, theta)
    if log_density is not None and not np.isfinite(value):
        raise ValueError(f"log_density is not finite at theta0={brief(theta)}: {value}")
    step_norm, scale, shifted = 0.0, 0.0, False  # how the start was reached: no step
    for k in range(max_iter + 1):  # k: the number of steps taken so far
        grad, hess = _derivatives(gradient, hessian, theta, k, record)
        record.add(theta, value, grad, step_norm, scale, shifted)
        try:  # the Newton step, solving (-H) d = g; guard: -H shifted to positive definite
            direction, shifted = _ascent_direction(grad, hess)
        except np.linalg.LinAlgError:
            record.fail(f"Newton failed: could not solve for a step at iteration {k + 1}")
        grad_norm, direction_norm = np.linalg.norm(grad), np.linalg.norm(direction)
        if grad_norm <= tol:  # stop on the tolerance, at a maximum only
            if shifted:
                record.fail(_not_a_mode_message(theta, hess))
            if direction_norm <= np.sqrt(tol) * (1.0 + np.linalg.norm(theta)):
                return NewtonResult(mode=theta, hessian=hess, n_iter=k, trace=record.trace())
        if k == max_iter:
            record.fail(
                _iteration_limit_message(record.trace(), tol, direction_norm, log_density is not None)
            )
        scale = 1.0
        if log_density is not None:  # guard: backtrack until the step raises f enough (Armijo)
            accepted = _backtrack(log_density, theta, value, grad, direction)
            if accepted is None:
                record.fail(
                    f"Newton failed: no step along the Newton direction increases the "
                    f"log density at iteration {k + 1}, theta={brief(theta)}"
                )
            scale, value = accepted
        candidate = theta + scale * direction  # the update
        step_norm = np.linalg.norm(candidate - theta)
        theta = candidate
    raise AssertionError("unreachable: the loop returns or fails at k == max_iter")
