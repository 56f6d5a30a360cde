"""The normal model with unknown mean and variance (BDA3 §3.2), in (mu, log sigma).

    y_i ~ N(mu, sigma²),   p(mu, sigma) ∝ 1 / sigma   (uniform on (mu, log sigma))

With ``tau = log sigma`` the prior is flat, so the log posterior of (mu, tau) is the
log-likelihood, ``-n tau - [S + n (ybar - mu)²] / (2 e^{2 tau})`` with
``S = sum_i (y_i - ybar)²``. Its mode is ``(ybar, log sigma_hat)`` with
``sigma_hat² = S / n``, and the Laplace covariance there is ``diag(sigma_hat² / n, 1 / (2n))``.

The exact posterior factors (BDA3 §3.2): ``sigma² | y ~ Inv-χ²(n - 1, s²)`` with
``s² = S / (n - 1)``, and ``mu | sigma², y ~ N(ybar, sigma² / n)``; marginally
``mu | y`` is Student-t with ``n - 1`` degrees of freedom, location ``ybar``, scale ``s / sqrt(n)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from .random import check_draw_count, check_generator

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

    Examples
    --------
    >>> y = np.array([1.0, 2.0, 3.0])
    >>> float(log_posterior(2.0, 0.0, y))   # -(1 + 0 + 1) / 2
    -1.0
    """
    y = _check_y(y)
    mu = np.asarray(mu, dtype=float)
    log_sigma = np.asarray(log_sigma, dtype=float)
    ybar = y.mean()
    spread = np.sum((y - ybar) ** 2)
    return -y.size * log_sigma - (spread + y.size * (ybar - mu) ** 2) * np.exp(-2.0 * log_sigma) / 2.0


def gradient(theta, y) -> np.ndarray:
    """Analytic gradient of :func:`log_posterior` at ``theta = (mu, log sigma)``.

    Examples
    --------
    >>> y = np.array([1.0, 2.0, 3.0])
    >>> gradient([2.0, np.log(np.sqrt(2 / 3))], y).round(12).tolist()   # the mode
    [0.0, 0.0]
    """
    mu, log_sigma = _check_theta(theta)
    y = _check_y(y)
    n = y.size
    squares = np.sum((y - mu) ** 2)
    precision = np.exp(-2.0 * log_sigma)
    return np.array([n * (y.mean() - mu) * precision, -n + squares * precision])


def hessian(theta, y) -> np.ndarray:
    """Analytic Hessian of :func:`log_posterior` at ``theta = (mu, log sigma)``.

    Examples
    --------
    >>> y = np.array([1.0, 2.0, 3.0])
    >>> hessian([2.0, 0.0], y).tolist()
    [[-3.0, 0.0], [0.0, -4.0]]
    """
    mu, log_sigma = _check_theta(theta)
    y = _check_y(y)
    n = y.size
    precision = np.exp(-2.0 * log_sigma)
    cross = 2.0 * n * (mu - y.mean()) * precision
    return np.array(
        [[-n * precision, cross], [cross, -2.0 * np.sum((y - mu) ** 2) * precision]]
    )


@dataclass(frozen=True)
class NormalModelDraws:
    """Joint posterior draws of the normal model's mean and standard deviation.

    Attributes
    ----------
    mu : numpy.ndarray, shape (n,)
    sigma : numpy.ndarray, shape (n,)
    """

    mu: np.ndarray
    sigma: np.ndarray


def sample_exact(y, n: int, rng: np.random.Generator) -> NormalModelDraws:
    """Draw from the exact posterior of (mu, sigma) under p(mu, sigma) ∝ 1/sigma.

    First ``sigma² ~ Inv-χ²(n_y - 1, s²)``, drawn as ``(n_y - 1) s² / X`` with
    ``X ~ χ²(n_y - 1)``; then ``mu | sigma² ~ N(ybar, sigma² / n_y)`` (BDA3 §3.2).

    Parameters
    ----------
    y : array_like, shape (n_y,)
        The measurements (at least two, not all equal).
    n : int
        Number of draws.
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
    n = check_draw_count(n)
    rng = check_generator(rng)
    dof = y.size - 1
    s2 = y.var(ddof=1)
    sigma2 = dof * s2 / rng.chisquare(dof, size=n)
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
