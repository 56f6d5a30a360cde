"""Bayesian logistic regression with a normal prior: the cost of Laplace as d grows.

    y_i ~ Bernoulli(logit⁻¹(x_i · coef)),   coef ~ N(0, prior_sd² I_d),   i = 1, …, n

The log posterior here includes the prior's normalising constant, so ``exp`` of it
integrates to the marginal likelihood p(y) and the Laplace approximation's
:attr:`~bda_helpers.LaplaceApproximation.log_evidence` estimates log p(y).

One Newton step needs the Hessian ``-(Xᵀ W X + I / prior_sd²)`` with
``W = diag(p_i (1 - p_i))``, which costs O(n d²), and a Cholesky solve, O(d³); with
``n = 10 d`` both grow like d³. ``benchmarks/laplace_cost.py`` measures this, and
:func:`bda_helpers.beyond.charts.cost_chart` draws its results.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from .._validation import check_finite, check_positive_int, read_only
from ..laplace import LaplaceApproximation
from ..newton import NewtonResult, newton
from ..random import check_generator

__all__ = [
    "LogisticData",
    "simulate_logistic",
    "log_likelihood",
    "log_posterior",
    "gradient",
    "hessian",
    "newton_logistic",
    "laplace_logistic",
]


@dataclass(frozen=True)
class LogisticData:
    """Binary outcomes ``y`` with covariates ``X`` (no intercept column is added).

    Attributes
    ----------
    X : numpy.ndarray, shape (n, d)
        Covariates, finite.
    y : numpy.ndarray of int, shape (n,)
        Outcomes, each 0 or 1.
    coef_true : numpy.ndarray, shape (d,), or None
        The coefficients the data were simulated from (``None`` for real data).

    The arrays are copies, made read-only.

    Examples
    --------
    >>> data = LogisticData(X=[[1.0, 0.5], [0.2, -1.0], [-0.3, 0.1]], y=[1, 0, 1])
    >>> data.n, data.d, data.y.tolist()
    (3, 2, [1, 0, 1])
    >>> LogisticData(X=[[1.0], [2.0]], y=[1, 2])
    Traceback (most recent call last):
    ...
    ValueError: y must hold only 0 and 1, got 2
    """

    X: np.ndarray
    y: np.ndarray
    coef_true: np.ndarray | None = None

    def __post_init__(self) -> None:
        X = np.array(self.X, dtype=float)
        if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
            raise ValueError(
                f"X must be a 2-D array with at least one row and one column, got shape {X.shape}"
            )
        check_finite(X, "X")
        y = np.array(self.y)
        if y.shape != (X.shape[0],):
            raise ValueError(f"y must have shape ({X.shape[0]},), one outcome per row of X, got {y.shape}")
        if y.dtype == bool or not np.issubdtype(y.dtype, np.number):
            raise ValueError(f"y must hold the numbers 0 and 1, got dtype {y.dtype}")
        bad = (y != 0) & (y != 1)
        if bad.any():
            raise ValueError(f"y must hold only 0 and 1, got {y[bad][0]}")
        y = y.astype(int)
        arrays = {"X": X, "y": y}
        if self.coef_true is not None:
            coef = np.array(self.coef_true, dtype=float)
            if coef.shape != (X.shape[1],) or not np.isfinite(coef).all():
                raise ValueError(
                    f"coef_true must be finite with shape ({X.shape[1]},), got shape {coef.shape}"
                )
            arrays["coef_true"] = coef
        for name, value in arrays.items():
            object.__setattr__(self, name, read_only(value, dtype=value.dtype))

    @property
    def n(self) -> int:
        """Number of observations."""
        return self.X.shape[0]

    @property
    def d(self) -> int:
        """Number of coefficients."""
        return self.X.shape[1]


def _check_prior_sd(prior_sd) -> float:
    if isinstance(prior_sd, bool) or not isinstance(prior_sd, numbers.Real):
        raise TypeError(f"prior_sd must be a number, got {type(prior_sd).__name__}")
    if not (np.isfinite(prior_sd) and prior_sd > 0):
        raise ValueError(f"prior_sd must be a positive, finite number, got {prior_sd}")
    return float(prior_sd)


def _check_data(data) -> None:
    if not isinstance(data, LogisticData):
        raise TypeError(
            f"data must be a LogisticData (e.g. from simulate_logistic), got {type(data).__name__}"
        )


def _check_model(coef, data, prior_sd) -> tuple[np.ndarray, float]:
    """Validate the arguments every model function takes; return coef as floats and prior_sd."""
    _check_data(data)
    coef = check_finite(coef, "coef")
    if coef.ndim == 0 or coef.shape[-1] != data.d:
        raise ValueError(
            f"coef must have shape ({data.d},) or (..., {data.d}), one entry per column of X, "
            f"got {coef.shape}"
        )
    return coef, _check_prior_sd(prior_sd)


def simulate_logistic(n: int, d: int, rng: np.random.Generator, *, prior_sd: float = 1.0) -> LogisticData:
    """Simulate ``n`` outcomes from the model, with ``coef_true`` drawn from the prior.

    The entries of ``X`` are independent N(0, 1/d), so the linear predictor
    ``x_i · coef_true`` has variance ``prior_sd²`` on average over ``coef_true``, whatever
    ``d``: the probabilities stay away from 0 and 1 and the posterior is similarly well
    conditioned for every ``d`` (with ``n`` a fixed multiple of ``d``).

    Parameters
    ----------
    n, d : int
        Numbers of observations and coefficients (positive integers).
    rng : numpy.random.Generator
        Draws ``X`` (first), then ``coef_true``, then ``y``.
    prior_sd : float, default 1.0
        Standard deviation of the prior the coefficients are drawn from.

    Returns
    -------
    LogisticData

    Raises
    ------
    ValueError
        If ``n`` or ``d`` is below 1, or ``prior_sd`` is not positive.
    TypeError
        If ``n`` or ``d`` is not an integer, ``rng`` is not a Generator or ``prior_sd`` is
        not a number.

    Examples
    --------
    >>> data = simulate_logistic(1000, 50, np.random.default_rng(1))
    >>> data.X.shape, data.y.shape, data.coef_true.shape
    ((1000, 50), (1000,), (50,))
    >>> round(float(np.std(data.X @ data.coef_true)), 1)   # sd of the linear predictor, order 1
    1.0
    """
    n = check_positive_int(n, "n")
    d = check_positive_int(d, "d")
    rng = check_generator(rng)
    prior_sd = _check_prior_sd(prior_sd)
    X = rng.standard_normal((n, d)) / np.sqrt(d)
    coef_true = prior_sd * rng.standard_normal(d)
    y = (rng.random(n) < expit(X @ coef_true)).astype(int)
    return LogisticData(X=X, y=y, coef_true=coef_true)


def log_likelihood(coef, data: LogisticData) -> np.ndarray:
    """Bernoulli log-likelihood ``sum_i y_i eta_i - log(1 + e^eta_i)``, ``eta = X coef``.

    ``coef`` holds the coefficients on its last axis, like every model function of the course:
    shape ``(d,)`` for one point (a 0-d result), or ``(..., d)`` for points stacked along
    leading axes (a result of shape ``coef.shape[:-1]``). ``log(1 + e^eta)`` is
    ``np.logaddexp(0, eta)``, which does not overflow, so the result is finite for any finite
    ``coef``.

    Examples
    --------
    >>> data = LogisticData(X=[[1.0], [-1.0]], y=[1, 0])
    >>> round(float(log_likelihood([0.0], data)), 4)      # 2 log(1/2)
    -1.3863
    >>> round(float(log_likelihood([1e6], data)), 4)      # extreme logits: both outcomes certain
    0.0
    >>> log_likelihood([[0.0], [1e6], [0.0]], data).shape  # three points at once
    (3,)
    """
    coef, _ = _check_model(coef, data, 1.0)
    eta = coef @ data.X.T  # (..., n)
    return eta @ data.y - np.logaddexp(0.0, eta).sum(axis=-1)


def log_posterior(coef, data: LogisticData, prior_sd: float = 1.0) -> np.ndarray:
    """Log-likelihood plus the normalised log prior density of N(0, prior_sd² I).

    Parameters
    ----------
    coef : array_like, shape (d,) or (..., d)
        One point, or points stacked along leading axes.
    data : LogisticData
    prior_sd : float, default 1.0
        Prior standard deviation of each coefficient (positive).

    Returns
    -------
    numpy.ndarray, shape ``coef.shape[:-1]``
        ``log p(y | coef) + log p(coef)``: unnormalised in ``coef``, normalised so that it
        integrates to the marginal likelihood ``p(y)``.

    Raises
    ------
    TypeError
        If ``data`` is not a LogisticData or ``prior_sd`` is not a number.
    ValueError
        If ``coef`` is not finite with shape ``(d,)`` or ``(..., d)``, or ``prior_sd`` is not
        positive.
        :func:`log_likelihood`, :func:`gradient` and :func:`hessian` check the same.

    Examples
    --------
    >>> data = LogisticData(X=[[1.0], [-1.0]], y=[1, 0])
    >>> round(float(log_posterior([0.0], data, prior_sd=1.0)), 4)   # 2 log(1/2) - log(2 pi) / 2
    -2.3052
    """
    coef, prior_sd = _check_model(coef, data, prior_sd)
    normalising = data.d * (np.log(prior_sd) + 0.5 * np.log(2 * np.pi))
    log_prior = -0.5 * np.sum((coef / prior_sd) ** 2, axis=-1) - normalising
    return log_likelihood(coef, data) + log_prior


def gradient(coef, data: LogisticData, prior_sd: float = 1.0) -> np.ndarray:
    """Gradient of :func:`log_posterior`: ``Xᵀ (y - p) - coef / prior_sd²``, ``p = logit⁻¹(X coef)``.

    Of the shape of ``coef``: one point ``(d,)`` or points stacked along leading axes ``(..., d)``.

    Examples
    --------
    >>> data = LogisticData(X=[[1.0], [-1.0]], y=[1, 1])
    >>> gradient([0.0], data).tolist()     # (1 - 1/2) - (1 - 1/2)
    [0.0]
    """
    coef, prior_sd = _check_model(coef, data, prior_sd)
    return (data.y - expit(coef @ data.X.T)) @ data.X - coef / prior_sd**2


def hessian(coef, data: LogisticData, prior_sd: float = 1.0) -> np.ndarray:
    """Hessian of :func:`log_posterior`: ``-(Xᵀ W X + I / prior_sd²)``, ``W = diag(p (1 - p))``.

    ``Xᵀ W X`` is computed as ``Aᵀ A`` with ``A = X * sqrt(w)[:, None]``, which numpy
    hands to a symmetric rank-k BLAS update: half the work of a general product, and an
    exactly symmetric result. ``p (1 - p)`` is ``expit(eta) * expit(-eta)``, accurate for
    large ``|eta|``. Cost O(n d²), memory one extra copy of ``X``. One point ``coef`` of
    shape ``(d,)`` at a time: a d × d matrix per point is what Newton needs.

    Examples
    --------
    >>> data = LogisticData(X=[[1.0, 0.0], [0.0, 2.0]], y=[1, 0])
    >>> hessian([0.0, 0.0], data, prior_sd=1.0).tolist()   # -(diag(1, 4) / 4 + I)
    [[-1.25, -0.0], [-0.0, -2.0]]
    """
    coef, prior_sd = _check_model(coef, data, prior_sd)
    if coef.ndim != 1:
        raise ValueError(f"hessian takes one point coef of shape ({data.d},), got {coef.shape}")
    eta = data.X @ coef
    a = data.X * np.sqrt(expit(eta) * expit(-eta))[:, None]
    precision = a.T @ a
    precision[np.diag_indices_from(precision)] += 1.0 / prior_sd**2
    return -precision


def newton_logistic(data: LogisticData, prior_sd: float = 1.0, *, tol: float = 1e-10) -> NewtonResult:
    """The posterior mode by :func:`~bda_helpers.newton` from ``coef = 0``, analytic Hessian.

    The log posterior is strictly concave (the prior makes it so), so Newton's method
    converges from anywhere; :func:`log_posterior` guards the steps (backtracking).

    Parameters
    ----------
    data : LogisticData
    prior_sd : float, default 1.0
    tol : float, default 1e-10
        Passed to :func:`~bda_helpers.newton`.

    Returns
    -------
    NewtonResult
        The mode, the Hessian there, the number of steps (``n_iter``) and the trace.

    Raises
    ------
    TypeError, ValueError
        For data that is not a LogisticData, a prior_sd that is not a positive number, or
        an invalid ``tol``.

    Examples
    --------
    >>> data = simulate_logistic(200, 20, np.random.default_rng(3))
    >>> result = newton_logistic(data)
    >>> result.n_iter, bool(np.linalg.norm(gradient(result.mode, data)) < 1e-10)
    (4, True)
    """
    _check_data(data)
    prior_sd = _check_prior_sd(prior_sd)
    return newton(
        lambda c: gradient(c, data, prior_sd),
        lambda c: hessian(c, data, prior_sd),
        np.zeros(data.d),
        log_density=lambda c: log_posterior(c, data, prior_sd),
        tol=tol,
    )


def laplace_logistic(data: LogisticData, prior_sd: float = 1.0) -> LaplaceApproximation:
    """The Laplace approximation of the posterior: :func:`newton_logistic`, then the covariance.

    Parameters
    ----------
    data : LogisticData
    prior_sd : float, default 1.0
        Prior standard deviation of each coefficient.

    Returns
    -------
    LaplaceApproximation
        Mode, covariance ``(Xᵀ W X + I / prior_sd²)⁻¹`` at the mode, and the log posterior
        there (so ``log_evidence`` is the Laplace estimate of log p(y)).

    Raises
    ------
    TypeError, ValueError
        For data that is not a LogisticData, or a prior_sd that is not a positive number.

    Examples
    --------
    >>> data = simulate_logistic(500, 5, np.random.default_rng(0))
    >>> approx = laplace_logistic(data)
    >>> approx.mode.round(2).tolist(), data.coef_true.round(2).tolist()
    ([-0.71, -1.99, -1.15, -0.56, 1.26], [-0.86, -2.2, -0.89, -0.51, 1.48])
    >>> approx.sd.round(2).tolist()
    [0.22, 0.25, 0.24, 0.22, 0.23]
    """
    result = newton_logistic(data, prior_sd)
    return LaplaceApproximation.from_mode(result.mode, result.hessian, result.trace.log_density[-1])
