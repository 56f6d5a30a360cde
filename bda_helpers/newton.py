"""Newton's method for the mode of a log density, with a guarded step.

Each iteration solves ``A d = g`` with ``g`` the gradient and ``A = -H`` the negative
Hessian. Where ``A`` is not positive definite (a non-concave region) it is shifted,
``A + mu I``, until it is, which turns the step into an ascent direction; when the log
density is supplied, the step is then halved until the log density rises (backtracking).
Convergence needs a gradient norm below ``tol``, a negative definite Hessian and a
Newton step that has shrunk, so a saddle point, a minimum or a ridge running off to
infinity is reported as a failure, never returned as a mode.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._format import brief

__all__ = ["ConvergenceError", "NewtonResult", "NewtonTrace", "newton"]


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


def _newton_direction(grad: np.ndarray, hess: np.ndarray) -> tuple[np.ndarray, bool]:
    """Solve ``(-H + mu I) d = g`` with the smallest shift ``mu >= 0`` found that works."""
    neg_hess = -hess
    # The shift is in units of curvature; with a (near) zero Hessian, fall back on the
    # gradient's size so the first shifted step has a length of order 1e3, not 1e300.
    scale = max(np.max(np.abs(neg_hess)), np.linalg.norm(grad), 1e-12)
    shift = 0.0
    for _ in range(60):
        shifted = neg_hess + shift * np.eye(grad.size)
        try:
            np.linalg.cholesky(shifted)  # succeeds exactly when `shifted` is positive definite
        except np.linalg.LinAlgError:
            shift = max(2.0 * shift, 1e-3 * scale)
            continue
        return np.linalg.solve(shifted, grad), shift > 0.0
    raise np.linalg.LinAlgError("no shift made the negative Hessian positive definite")


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
        ``lambda t: fd_hessian(gradient, t)``).
    theta0 : array_like, shape (d,)
        Starting point.
    log_density : callable, optional
        ``log_density(theta) -> float``. When given, it is recorded in the trace and every
        step is halved until the log density rises (Armijo backtracking, allowing for
        rounding error of 1e-12 relative near the mode), which keeps the method from
        overshooting on non-concave targets.
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
        If ``theta0``, ``tol`` or ``max_iter`` is invalid, or the callables return arrays
        of the wrong shape.
    ConvergenceError
        If a gradient or Hessian is not finite, no step increases the log density, the
        point where the gradient vanishes is not a maximum (a saddle or a minimum), or the
        iteration limit is reached (as on separable logistic data, whose log density rises
        forever along a ridge).

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
    theta = np.array(theta0, dtype=float)
    if theta.ndim != 1 or theta.size == 0:
        raise ValueError(f"theta0 must be a non-empty 1-D array, got shape {theta.shape}")
    if not np.isfinite(theta).all():
        raise ValueError(f"theta0 must be finite, got {brief(theta)}")
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive number, got {tol}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
    d = theta.size

    rows: list[tuple] = []

    def trace() -> NewtonTrace:
        columns = list(zip(*rows)) or [[] for _ in range(6)]  # no rows: an empty trace
        return NewtonTrace(
            theta=np.array(columns[0]).reshape(len(rows), d),
            log_density=np.array(columns[1], dtype=float),
            grad_norm=np.array(columns[2], dtype=float),
            step_norm=np.array(columns[3], dtype=float),
            step_scale=np.array(columns[4], dtype=float),
            shifted=np.array(columns[5], dtype=bool),
        )

    def fail(message: str):
        raise ConvergenceError(message, trace())

    def evaluate(point: np.ndarray, iteration: int):
        grad = np.asarray(gradient(point), dtype=float)
        hess = np.asarray(hessian(point), dtype=float)
        if grad.shape != (d,):
            raise ValueError(f"gradient returned shape {grad.shape}, expected ({d},)")
        if hess.shape != (d, d):
            raise ValueError(f"hessian returned shape {hess.shape}, expected ({d}, {d})")
        if not np.isfinite(grad).all():
            fail(f"Newton failed: gradient is not finite at iteration {iteration}, theta={brief(point)}")
        if not np.isfinite(hess).all():
            fail(f"Newton failed: Hessian is not finite at iteration {iteration}, theta={brief(point)}")
        return grad, hess

    def logf(point: np.ndarray) -> float:
        if log_density is None:
            return np.nan
        return float(log_density(point))

    value = logf(theta)
    if log_density is not None and not np.isfinite(value):
        raise ValueError(f"log_density is not finite at theta0={brief(theta)}: {value}")
    grad, hess = evaluate(theta, 0)
    rows.append((theta.copy(), value, np.linalg.norm(grad), 0.0, 0.0, False))

    for iteration in range(1, max_iter + 2):
        grad_norm = np.linalg.norm(grad)
        try:
            direction, shifted = _newton_direction(grad, hess)
        except np.linalg.LinAlgError:
            fail(f"Newton failed: could not solve for a step at iteration {iteration}")
        if grad_norm <= tol:
            if shifted:
                fail(
                    f"Newton stopped where the gradient vanishes, theta={brief(theta)}, but "
                    f"the Hessian there is not negative definite (eigenvalues "
                    f"{brief(np.linalg.eigvalsh(hess))}): a saddle or a minimum, not a mode"
                )
            if np.linalg.norm(direction) <= np.sqrt(tol) * (1.0 + np.linalg.norm(theta)):
                break
        if iteration > max_iter:
            fail(
                f"Newton did not converge in max_iter={max_iter} iterations: at "
                f"theta={brief(theta)} the gradient norm is {grad_norm:.3g} (tol={tol:g}) "
                f"and the next step has length {np.linalg.norm(direction):.3g}; steps that "
                f"do not shrink suggest a log density with no finite maximum (e.g. "
                f"separable logistic data)"
            )
        scale = 1.0
        if log_density is not None:
            slope = grad @ direction  # > 0: an ascent direction
            # Near the mode the rise (~ slope / 2) drops below the log density's rounding
            # error; without this allowance rounding rejects good steps and Newton stalls.
            noise = 1e-12 * max(1.0, abs(value))
            while True:
                candidate = theta + scale * direction
                new_value = logf(candidate)
                if np.isfinite(new_value) and new_value >= value + 1e-4 * scale * slope - noise:
                    break
                scale /= 2.0
                if scale < 1e-12:
                    fail(
                        f"Newton failed: no step along the Newton direction increases the "
                        f"log density at iteration {iteration}, theta={brief(theta)}"
                    )
            value = new_value
        else:
            candidate = theta + direction
        step = candidate - theta
        theta = candidate
        grad, hess = evaluate(theta, iteration)
        rows.append((theta.copy(), value, np.linalg.norm(grad), np.linalg.norm(step), scale, shifted))

    return NewtonResult(mode=theta, hessian=hess, n_iter=len(rows) - 1, trace=trace())
