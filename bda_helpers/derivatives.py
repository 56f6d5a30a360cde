"""Finite-difference Hessians: from an analytic gradient, or from the log density alone.

Central differences have truncation error ∝ h² and round-off error ∝ ε/h (from the
gradient) or ε/h² (from the density), so the best step is near ε^(1/3) resp. ε^(1/4)
times the scale of each coordinate; those are the defaults.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["fd_hessian", "fd_hessian_from_log_density"]

_EPS = np.finfo(float).eps


def _steps(theta, step, default_power: float) -> tuple[np.ndarray, np.ndarray]:
    theta = np.asarray(theta, dtype=float)
    if theta.ndim != 1 or theta.size == 0:
        raise ValueError(f"theta must be a non-empty 1-D array, got shape {theta.shape}")
    if not np.isfinite(theta).all():
        raise ValueError(f"theta must be finite, got {theta.tolist()}")
    if step is None:
        h = _EPS**default_power * np.maximum(1.0, np.abs(theta))
    else:
        step = np.asarray(step, dtype=float)
        if step.ndim > 0 and step.shape != theta.shape:
            raise ValueError(f"step must be a number or have shape {theta.shape}, got shape {step.shape}")
        h = np.broadcast_to(step, theta.shape).copy()
        if not np.all(np.isfinite(h) & (h > 0)):
            raise ValueError(f"step must be positive and finite, got {np.asarray(step).tolist()}")
    return theta, h


def fd_hessian(gradient: Callable[[np.ndarray], np.ndarray], theta, step=None) -> np.ndarray:
    """Hessian by central differences of the gradient, symmetrised.

    Column ``j`` is ``(g(theta + h_j e_j) - g(theta - h_j e_j)) / (2 h_j)``; the result is
    ``(H + H.T) / 2``.

    Parameters
    ----------
    gradient : callable
        ``gradient(theta) -> array of shape (d,)``.
    theta : array_like, shape (d,)
        Where to evaluate the Hessian.
    step : float or array_like of shape (d,), optional
        The steps ``h``; default ``eps**(1/3) * max(1, |theta_j|)``.

    Returns
    -------
    numpy.ndarray, shape (d, d)

    Examples
    --------
    >>> grad = lambda t: np.array([-2 * t[0] + t[1], t[0] - 4 * t[1] ** 3])
    >>> fd_hessian(grad, [1.0, 1.0], step=1e-4).round(6).tolist()
    [[-2.0, 1.0], [1.0, -12.0]]
    """
    theta, h = _steps(theta, step, 1.0 / 3.0)
    d = theta.size
    hess = np.empty((d, d))
    for j in range(d):
        offset = np.zeros(d)
        offset[j] = h[j]
        upper = np.asarray(gradient(theta + offset), dtype=float)
        lower = np.asarray(gradient(theta - offset), dtype=float)
        if upper.shape != (d,) or lower.shape != (d,):
            raise ValueError(f"gradient returned shape {upper.shape}, expected ({d},)")
        hess[:, j] = (upper - lower) / (2.0 * h[j])
    if not np.isfinite(hess).all():
        raise ValueError(f"the gradient is not finite near theta={theta.tolist()}")
    return 0.5 * (hess + hess.T)


def fd_hessian_from_log_density(
    log_density: Callable[[np.ndarray], float], theta, step=None
) -> np.ndarray:
    """Hessian by second differences of the log density alone (no gradient needed).

    Diagonal: ``(f(t + h e_i) - 2 f(t) + f(t - h e_i)) / h²``; off-diagonal: the
    four-point formula ``(f(++) - f(+-) - f(-+) + f(--)) / (4 h_i h_j)``. Symmetric by
    construction. Less accurate than :func:`fd_hessian`: round-off grows like ε/h².

    Parameters
    ----------
    log_density : callable
        ``log_density(theta) -> float``.
    theta : array_like, shape (d,)
        Where to evaluate the Hessian.
    step : float or array_like of shape (d,), optional
        The steps ``h``; default ``eps**(1/4) * max(1, |theta_j|)``.

    Returns
    -------
    numpy.ndarray, shape (d, d)

    Examples
    --------
    >>> logf = lambda t: -t[0] ** 2 + t[0] * t[1] - t[1] ** 4
    >>> fd_hessian_from_log_density(logf, [1.0, 1.0]).round(5).tolist()
    [[-2.0, 1.0], [1.0, -12.0]]
    """
    theta, h = _steps(theta, step, 1.0 / 4.0)
    d = theta.size

    def f(offset: np.ndarray) -> float:
        return float(log_density(theta + offset))

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
