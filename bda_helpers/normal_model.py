"""The normal model with unknown mean and variance (BDA3 §3.2), in (mu, log sigma).

    y_i ~ N(mu, sigma²),   p(mu, sigma) ∝ 1 / sigma   (uniform on (mu, log sigma))

With ``tau = log sigma`` the prior is flat, so the log posterior of (mu, tau) is the
log-likelihood, ``-n tau - [S + n (ybar - mu)²] / (2 e^{2 tau})`` with
``S = sum_i (y_i - ybar)²``. Its mode is ``(ybar, log sigma_hat)`` with
``sigma_hat² = S / n``, and the Laplace covariance there is ``diag(sigma_hat² / n, 1 / (2n))``.

The exact posterior factors (BDA3 §3.2): ``sigma² | y ~ Inv-χ²(n - 1, s²)`` with
``s² = S / (n - 1)``, and ``mu | sigma², y ~ N(ybar, sigma² / n)``; marginally
``mu | y`` is Student-t with ``n - 1`` degrees of freedom, location ``ybar``, scale ``s / sqrt(n)``.

Every model function takes the parameters first, as one array ``theta = (mu, log_sigma)``
(last axis). :func:`log_posterior` broadcasts over leading axes, so the same function takes
one point (for :func:`~bda_helpers.newton` and :func:`~bda_helpers.laplace`), draws ``(S, 2)``
or a whole grid ``(m, k, 2)`` (for contour plots and
:meth:`~bda_helpers.GridPosterior.from_log_density`); :func:`gradient` and :func:`hessian` take
one point. Bind ``y`` with :func:`functools.partial`, e.g. ``partial(gradient, y=y)``.

Points where the density or its derivatives cannot be represented in floating point (a
``sigma = exp(log_sigma)`` so small that ``1 / sigma²`` overflows, say ``log_sigma < -350``)
are refused with a ``ValueError`` rather than answered with ``inf``, ``nan`` or a warning.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ._validation import LOG_FLOAT_MAX, check_points
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


def _overflow_reason(mu: float, log_sigma: float, y: np.ndarray) -> str:
    """Why the model's arithmetic overflows at (mu, log_sigma): for an error message."""
    if -2.0 * log_sigma > LOG_FLOAT_MAX:
        return f"sigma = exp(log_sigma) is so small that 1/sigma² = exp({-2.0 * log_sigma:.4g}) overflows"
    if abs(y.size * log_sigma) > np.finfo(float).max / 2:
        return "log_sigma is so large that n * log_sigma overflows"
    return (
        "the squared distances (y_i - mu)² divided by sigma² overflow: "
        "mu is too far from the data for this sigma"
    )


def _checked_finite(values, theta: np.ndarray, y: np.ndarray, what: str, value_dims: int) -> np.ndarray:
    """Return ``values`` if finite everywhere, else raise naming the first point where not.

    ``value_dims`` is how many trailing axes of ``values`` belong to one point: 0 for a
    density, 1 for a gradient, 2 for a Hessian.
    """
    finite = np.isfinite(values)
    if finite.all():
        return values
    index = tuple(int(i) for i in np.argwhere(~finite)[0])
    m, t = (float(v) for v in theta[index[: len(index) - value_dims]])
    raise ValueError(f"the {what} overflows at mu={m}, log_sigma={t}: {_overflow_reason(m, t, y)}")


def log_posterior(theta, y) -> np.ndarray:
    """Unnormalised log posterior density at ``theta = (mu, log sigma)``.

    Parameters
    ----------
    theta : array_like, shape (2,) or (..., 2)
        One point (mu, log sigma), or points stacked along leading axes: draws ``(S, 2)``, or
        a whole grid ``(m, k, 2)``.
    y : array_like, shape (n,)
        The measurements.

    Returns
    -------
    numpy.ndarray, shape ``theta.shape[:-1]``
        ``-n log_sigma - sum_i (y_i - mu)² / (2 sigma²)``, up to a constant.

    Raises
    ------
    ValueError
        If ``y`` is not valid, ``theta`` is not finite or has the wrong shape, or the value
        overflows at some point (e.g. ``log_sigma < -355``, where ``1 / sigma²`` overflows);
        the message names the first such point.

    Examples
    --------
    >>> y = np.array([1.0, 2.0, 3.0])
    >>> float(log_posterior([2.0, 0.0], y))   # -(1 + 0 + 1) / 2
    -1.0
    >>> grid = np.stack(np.meshgrid([1.0, 2.0], [0.0, 0.5, 1.0], indexing="ij"), axis=-1)
    >>> log_posterior(grid, y).shape   # a 2 x 3 grid in one call
    (2, 3)
    """
    y = _check_y(y)
    theta = check_points(theta, "mu, log_sigma")
    mu, log_sigma = theta[..., 0], theta[..., 1]
    ybar = y.mean()
    spread = np.sum((y - ybar) ** 2)
    with np.errstate(over="ignore", invalid="ignore"):
        value = -y.size * log_sigma - (spread + y.size * (ybar - mu) ** 2) * np.exp(-2.0 * log_sigma) / 2.0
    return _checked_finite(value, theta, y, "log posterior", 0)


def gradient(theta, y) -> np.ndarray:
    """Analytic gradient of :func:`log_posterior` at ``theta = (mu, log sigma)``.

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
    theta = check_points(theta, "mu, log_sigma", batch=False)
    mu, log_sigma = theta
    y = _check_y(y)
    n = y.size
    with np.errstate(over="ignore", invalid="ignore"):
        squares = np.sum((y - mu) ** 2)
        precision = np.exp(-2.0 * log_sigma)
        grad = np.array([n * (y.mean() - mu) * precision, -n + squares * precision])
    return _checked_finite(grad, theta, y, "gradient", 1)


def hessian(theta, y) -> np.ndarray:
    """Analytic Hessian of :func:`log_posterior` at ``theta = (mu, log sigma)``.

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
    theta = check_points(theta, "mu, log_sigma", batch=False)
    mu, log_sigma = theta
    y = _check_y(y)
    n = y.size
    with np.errstate(over="ignore", invalid="ignore"):
        precision = np.exp(-2.0 * log_sigma)
        cross = 2.0 * n * (mu - y.mean()) * precision
        hess = np.array([[-n * precision, cross], [cross, -2.0 * np.sum((y - mu) ** 2) * precision]])
    return _checked_finite(hess, theta, y, "Hessian", 2)


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
