"""The normal model with unknown mean and variance (BDA3 §3.2), in (mu, log sigma).

    y_i ~ N(mu, sigma²),   p(mu, sigma) ∝ 1 / sigma   (uniform on (mu, log sigma))

With ``tau = log sigma`` the prior is flat, so the log posterior of (mu, tau) is the
log-likelihood, ``-n tau - [S + n (ybar - mu)²] / (2 e^{2 tau})`` with
``S = sum_i (y_i - ybar)²``. Its mode is ``(ybar, log sigma_hat)`` with
``sigma_hat² = S / n``, and the Laplace covariance there is ``diag(sigma_hat² / n, 1 / (2n))``.

The exact posterior factors (BDA3 §3.2): ``sigma² | y ~ Inv-χ²(n - 1, s²)`` with
``s² = S / (n - 1)``, and ``mu | sigma², y ~ N(ybar, sigma² / n)``; marginally
``mu | y`` is Student-t with ``n - 1`` degrees of freedom, location ``ybar``, scale ``s / sqrt(n)``.

The two kinds of signature are deliberate. :func:`log_posterior` takes ``mu`` and ``log_sigma``
as separate arrays that broadcast, so one call evaluates a whole grid (``mu[:, None]`` against
``log_sigma``) for contour plots and grid normalisation, like
:func:`bda_helpers.bioassay.log_posterior`. :func:`gradient` and :func:`hessian` take one
vector ``theta = (mu, log_sigma)``, the form :func:`~bda_helpers.newton`,
:func:`~bda_helpers.laplace` and the finite-difference helpers call; wrap the density as
``lambda theta: float(log_posterior(theta[0], theta[1], y))`` to pass it there.

Points where the density or its derivatives cannot be represented in floating point (a
``sigma = exp(log_sigma)`` so small that ``1 / sigma²`` overflows, say ``log_sigma < -350``)
are refused with a ``ValueError`` rather than answered with ``inf``, ``nan`` or a warning.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from .random import check_draw_count, check_generator

#: log of the largest float: exp(x) overflows for x above this (about 709.78).
_LOG_FLOAT_MAX = float(np.log(np.finfo(float).max))

__all__ = [
    "NormalModelDraws",
    "log_posterior",
    "gradient",
    "hessian",
    "sample_exact",
    "exact_marginal_mu",
    "exact_marginal_sigma2",
]


def _check_y(y) -> np.ndarray:
    y = np.asarray(y, dtype=float)
    if y.ndim != 1 or y.size < 2:
        raise ValueError(f"y must be a 1-D array of at least two measurements, got shape {y.shape}")
    if not np.isfinite(y).all():
        raise ValueError("y must be finite")
    if np.all(y == y[0]):
        raise ValueError("all measurements in y are equal: the posterior of sigma is not proper")
    return y


def _overflow_reason(mu: float, log_sigma: float, y: np.ndarray) -> str:
    """Why the model's arithmetic overflows at (mu, log_sigma): for an error message."""
    if -2.0 * log_sigma > _LOG_FLOAT_MAX:
        return f"sigma = exp(log_sigma) is so small that 1/sigma² = exp({-2.0 * log_sigma:.4g}) overflows"
    if abs(y.size * log_sigma) > np.finfo(float).max / 2:
        return "log_sigma is so large that n * log_sigma overflows"
    return "the squared distances (y_i - mu)² divided by sigma² overflow: mu is too far from the data for this sigma"


def _checked_finite(values, mu, log_sigma, y: np.ndarray, what: str) -> np.ndarray:
    """Return ``values`` if finite everywhere, else raise naming the first point where not."""
    finite = np.isfinite(values)
    if finite.all():
        return values
    mu, log_sigma = np.broadcast_arrays(mu, log_sigma)
    # A grid of values has the points' shape; a gradient or Hessian belongs to one point.
    index = tuple(np.argwhere(~finite)[0]) if mu.shape == finite.shape else ()
    m, t = float(mu[index]), float(log_sigma[index])
    raise ValueError(f"the {what} overflows at mu={m}, log_sigma={t}: {_overflow_reason(m, t, y)}")


def _check_theta(theta) -> np.ndarray:
    theta = np.asarray(theta, dtype=float)
    if theta.shape != (2,):
        raise ValueError(f"theta must be (mu, log_sigma) with shape (2,), got shape {theta.shape}")
    if not np.isfinite(theta).all():
        raise ValueError(f"theta must be finite, got {theta.tolist()}")
    return theta


def log_posterior(mu, log_sigma, y) -> np.ndarray:
    """Unnormalised log posterior density of (mu, log sigma), broadcasting over arrays.

    Parameters
    ----------
    mu, log_sigma : array_like
        Mean and log standard deviation; broadcast against each other.
    y : array_like, shape (n,)
        The measurements.

    Returns
    -------
    numpy.ndarray
        ``-n log_sigma - sum_i (y_i - mu)² / (2 sigma²)``, up to a constant.

    Raises
    ------
    ValueError
        If ``y`` is not valid, ``mu`` or ``log_sigma`` is not finite, or the value overflows
        at some point (e.g. ``log_sigma < -355``, where ``1 / sigma²`` overflows); the
        message names the first such point.

    Notes
    -----
    The separate, broadcasting ``mu`` and ``log_sigma`` (rather than one ``theta``) are there
    for grids: ``log_posterior(mu[:, None], log_sigma, y)`` is the whole grid in one call.

    Examples
    --------
    >>> y = np.array([1.0, 2.0, 3.0])
    >>> float(log_posterior(2.0, 0.0, y))   # -(1 + 0 + 1) / 2
    -1.0
    >>> log_posterior(np.array([1.0, 2.0])[:, None], np.array([0.0, 0.5, 1.0]), y).shape
    (2, 3)
    """
    y = _check_y(y)
    mu = np.asarray(mu, dtype=float)
    log_sigma = np.asarray(log_sigma, dtype=float)
    for name, value in (("mu", mu), ("log_sigma", log_sigma)):
        if not np.isfinite(value).all():
            raise ValueError(f"{name} must be finite, got {float(value[~np.isfinite(value)].ravel()[0])}")
    ybar = y.mean()
    spread = np.sum((y - ybar) ** 2)
    with np.errstate(over="ignore", invalid="ignore"):
        value = -y.size * log_sigma - (spread + y.size * (ybar - mu) ** 2) * np.exp(-2.0 * log_sigma) / 2.0
    return _checked_finite(value, mu, log_sigma, y, "log posterior")


def gradient(theta, y) -> np.ndarray:
    """Analytic gradient of :func:`log_posterior` at ``theta = (mu, log sigma)``.

    Takes one vector ``theta``, the form optimisers call (see the module docstring).

    Raises
    ------
    ValueError
        If ``theta`` is not a finite pair, ``y`` is not valid, or the gradient overflows
        (e.g. ``log_sigma < -355``).

    Examples
    --------
    >>> y = np.array([1.0, 2.0, 3.0])
    >>> gradient([2.0, np.log(np.sqrt(2 / 3))], y).round(12).tolist()   # the mode
    [0.0, 0.0]
    """
    mu, log_sigma = _check_theta(theta)
    y = _check_y(y)
    n = y.size
    with np.errstate(over="ignore", invalid="ignore"):
        squares = np.sum((y - mu) ** 2)
        precision = np.exp(-2.0 * log_sigma)
        grad = np.array([n * (y.mean() - mu) * precision, -n + squares * precision])
    return _checked_finite(grad, mu, log_sigma, y, "gradient")


def hessian(theta, y) -> np.ndarray:
    """Analytic Hessian of :func:`log_posterior` at ``theta = (mu, log sigma)``.

    Takes one vector ``theta``, the form optimisers call (see the module docstring).

    Raises
    ------
    ValueError
        If ``theta`` is not a finite pair, ``y`` is not valid, or the Hessian overflows
        (e.g. ``log_sigma < -355``).

    Examples
    --------
    >>> y = np.array([1.0, 2.0, 3.0])
    >>> hessian([2.0, 0.0], y).tolist()
    [[-3.0, 0.0], [0.0, -4.0]]
    """
    mu, log_sigma = _check_theta(theta)
    y = _check_y(y)
    n = y.size
    with np.errstate(over="ignore", invalid="ignore"):
        precision = np.exp(-2.0 * log_sigma)
        cross = 2.0 * n * (mu - y.mean()) * precision
        hess = np.array([[-n * precision, cross], [cross, -2.0 * np.sum((y - mu) ** 2) * precision]])
    return _checked_finite(hess, mu, log_sigma, y, "Hessian")


@dataclass(frozen=True)
class NormalModelDraws:
    """Joint posterior draws of the normal model's mean and standard deviation.

    Attributes
    ----------
    mu : numpy.ndarray, shape (n_draws,)
    sigma : numpy.ndarray, shape (n_draws,)
    """

    mu: np.ndarray
    sigma: np.ndarray


def sample_exact(y, n_draws: int, rng: np.random.Generator) -> NormalModelDraws:
    """Draw from the exact posterior of (mu, sigma) under p(mu, sigma) ∝ 1/sigma.

    First ``sigma² ~ Inv-χ²(n_y - 1, s²)``, drawn as ``(n_y - 1) s² / X`` with
    ``X ~ χ²(n_y - 1)``; then ``mu | sigma² ~ N(ybar, sigma² / n_y)`` (BDA3 §3.2).

    Parameters
    ----------
    y : array_like, shape (n_y,)
        The measurements (at least two, not all equal).
    n_draws : int
        Number of draws (not to be confused with ``n_y``, the number of measurements).
    rng : numpy.random.Generator

    Returns
    -------
    NormalModelDraws

    Examples
    --------
    >>> from bda_helpers import load_windshieldy
    >>> draws = sample_exact(load_windshieldy(), 4, np.random.default_rng(0))
    >>> draws.mu.shape, bool((draws.sigma > 0).all())
    ((4,), True)
    """
    y = _check_y(y)
    n_draws = check_draw_count(n_draws)
    rng = check_generator(rng)
    dof = y.size - 1
    s2 = y.var(ddof=1)
    sigma2 = dof * s2 / rng.chisquare(dof, size=n_draws)
    mu = rng.normal(y.mean(), np.sqrt(sigma2 / y.size))
    return NormalModelDraws(mu=mu, sigma=np.sqrt(sigma2))


def exact_marginal_mu(y):
    """The exact marginal posterior of mu: Student-t, ``n - 1`` dof, at ``ybar``, scale ``s / sqrt(n)``.

    Returns
    -------
    scipy.stats frozen distribution

    Examples
    --------
    >>> y = np.array([1.0, 2.0, 3.0])
    >>> marginal = exact_marginal_mu(y)
    >>> float(marginal.median()), round(float(marginal.std()), 4)   # t with 2 dof: infinite sd
    (2.0, inf)
    """
    y = _check_y(y)
    return stats.t(df=y.size - 1, loc=y.mean(), scale=y.std(ddof=1) / np.sqrt(y.size))


def exact_marginal_sigma2(y):
    """The exact marginal posterior of sigma²: ``Inv-χ²(n - 1, s²)``.

    The scaled inverse-χ² with ``nu`` dof and scale ``s²`` is the inverse-gamma with shape
    ``nu / 2`` and scale ``nu s² / 2``; quantiles of sigma are square roots of its quantiles.

    Returns
    -------
    scipy.stats frozen distribution

    Examples
    --------
    >>> y = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    >>> round(float(exact_marginal_sigma2(y).mean()), 4)   # nu s² / (nu - 2) = 4 * 2.5 / 2
    5.0
    """
    y = _check_y(y)
    dof = y.size - 1
    return stats.invgamma(a=dof / 2, scale=dof * y.var(ddof=1) / 2)
