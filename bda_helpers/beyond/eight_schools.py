"""The hierarchical normal model of the eight schools (BDA3 §5.4–5.5), with a uniform prior on tau.

    y_j | theta_j ~ N(theta_j, sigma_j²)  (sigma_j known),   theta_j | mu, tau ~ N(mu, tau²),
    p(mu, tau) ∝ 1  (tau ≥ 0)

The model has no adequate normal approximation (a boundary mode in tau, a skewed density in
log tau, no joint mode), which is why the course shows it:

- the marginal posterior of tau (BDA3 eq. 5.21, theta and mu integrated out) is, for the eight
  schools, largest at the boundary tau = 0 (:func:`log_marginal_tau`);
- in log tau the Jacobian ``tau`` makes that density vanish at the boundary, so its mode is
  interior, but the density is skewed (:func:`log_marginal_log_tau`);
- the joint density of ``(mu, log tau, theta_1, ..., theta_J)`` (:func:`log_joint`) grows
  without bound as tau → 0 with every theta_j = mu, like ``(1 - J) log tau``: a funnel with no
  joint mode at all.

The densities are normalised consistently: :func:`log_marginal_tau` is exactly
``log p(y | tau)`` with mu integrated over the flat prior, :func:`log_marginal_log_tau` adds
the Jacobian ``log tau``, and integrating theta and mu out of ``exp(log_joint)`` at a fixed
log tau gives ``exp(log_marginal_log_tau)``. With a uniform prior on tau the posterior is
proper only for J ≥ 3 groups (far out, p(tau | y) falls like tau^(1 - J)); the posterior
densities refuse fewer groups.

Parameter convention: the scalar tau (or log tau) may be an array of any shape, and the result
has that shape; the joint parameters lie on the last axis, ``params[..., 0] = mu``,
``params[..., 1] = log tau``, ``params[..., 2:] = theta``, so one function takes one point of
shape ``(J + 2,)``, draws ``(S, J + 2)`` or a grid.

This is model code: it knows no charts and reads no files (the data come from
:func:`bda_helpers.load_eight_schools`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import read_only
from ..data import SchoolsData

__all__ = [
    "ConditionalNormal",
    "mu_given_tau",
    "deviations_given_tau",
    "log_marginal_tau",
    "log_marginal_log_tau",
    "log_joint",
    "gradient_joint",
]

#: The smallest number of groups for which the uniform prior on tau gives a proper posterior.
MIN_GROUPS = 3
#: The largest |log tau| the functions take: a little inside log(float max) / 2 ≈ 354.89, so that
#: tau² and 1/tau² fit in floating point, and so does sigma_j² + tau² (SchoolsData keeps sigma_j
#: below 9e153, while exp(354.5) ≈ 9.07e153).
_MAX_ABS_LOG_TAU = 354.5


@dataclass(frozen=True)
class ConditionalNormal:
    """Means and variances of a normal conditional distribution, entry by entry.

    Attributes
    ----------
    mean, var : numpy.ndarray
        Read-only arrays of the same shape.
    """

    mean: np.ndarray
    var: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", read_only(self.mean))
        object.__setattr__(self, "var", read_only(self.var))

    @property
    def sd(self) -> np.ndarray:
        """Standard deviations, ``sqrt(var)``."""
        return np.sqrt(self.var)


def _check_data(data, *, posterior: bool) -> SchoolsData:
    if not isinstance(data, SchoolsData):
        raise TypeError(
            "data must be a SchoolsData (e.g. load_eight_schools() or SchoolsData(school=..., y=..., "
            f"sigma=...)), got {type(data).__name__}"
        )
    if posterior and len(data) < MIN_GROUPS:
        raise ValueError(
            f"the posterior needs at least {MIN_GROUPS} groups, got {len(data)}: with a uniform prior on tau "
            "and fewer groups, p(tau | y) falls like tau^(1 - J) and has no finite integral"
        )
    return data


def _check_tau(tau) -> np.ndarray:
    """``tau`` as a float array of finite values from 0 to exp(354.5) ≈ 9.07e153 (so that
    sigma_j² + tau² still fits)."""
    tau = np.asarray(tau, dtype=float)
    bad = ~(np.isfinite(tau) & (tau >= 0) & (tau <= np.exp(_MAX_ABS_LOG_TAU)))
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"tau must be finite, non-negative and at most exp({_MAX_ABS_LOG_TAU}) ≈ 9.07e153 (beyond, "
            f"sigma_j² + tau² may overflow), got {tau[index]}" + (f" at index {index}" if index else "")
        )
    return tau


def _check_log_tau(log_tau) -> np.ndarray:
    log_tau = np.asarray(log_tau, dtype=float)
    bad = ~(np.isfinite(log_tau) & (np.abs(log_tau) <= _MAX_ABS_LOG_TAU))
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"log tau must be finite with |log tau| <= {_MAX_ABS_LOG_TAU} (beyond, tau², 1/tau² or "
            f"sigma_j² + tau² may overflow), got {log_tau[index]}" + (f" at index {index}" if index else "")
        )
    return log_tau


def mu_given_tau(tau, data: SchoolsData) -> ConditionalNormal:
    """The conditional posterior ``mu | tau, y ~ N(mu_hat, V_mu)`` (BDA3 eq. 5.20).

    ``mu_hat = sum_j y_j / (sigma_j² + tau²) / sum_j 1 / (sigma_j² + tau²)`` and
    ``V_mu = 1 / sum_j 1 / (sigma_j² + tau²)``: the precision-weighted mean of the y_j.

    Parameters
    ----------
    tau : array_like
        Values of tau >= 0, any shape.
    data : SchoolsData

    Returns
    -------
    ConditionalNormal
        ``mean`` and ``var`` of the shape of ``tau``.

    Raises
    ------
    TypeError
        If ``data`` is not a :class:`~bda_helpers.data.SchoolsData`.
    ValueError
        If a ``tau`` is negative, not finite, or above exp(354.5) ≈ 9.07e153.

    Examples
    --------
    >>> from bda_helpers import load_eight_schools
    >>> fit = mu_given_tau([0.0, 1e6], load_eight_schools())
    >>> fit.mean.round(2).tolist()   # tau = 0: weighted by 1/sigma_j²; tau large: the plain mean
    [7.69, 8.75]
    """
    data = _check_data(data, posterior=False)
    tau = _check_tau(tau)
    total_var = data.sigma**2 + tau[..., None] ** 2
    smallest = total_var.min(axis=-1)
    # Weights relative to the largest, in (0, 1]: their sum cannot overflow even when sigma_j² is tiny.
    weights = smallest[..., None] / total_var
    total = weights.sum(axis=-1)
    return ConditionalNormal(mean=(weights * data.y).sum(axis=-1) / total, var=smallest / total)


def deviations_given_tau(tau, data: SchoolsData) -> ConditionalNormal:
    """The posterior of each ``theta_j - mu`` given tau, with mu integrated out.

    Given mu and tau, ``theta_j ~ N((y_j / sigma_j² + mu / tau²) V_j, V_j)`` with
    ``V_j = 1 / (1 / sigma_j² + 1 / tau²)`` (BDA3 eq. 5.17); with ``mu | tau, y`` from
    :func:`mu_given_tau`, ``theta_j - mu`` is normal with mean ``s_j (y_j - mu_hat)`` and
    variance ``s_j² V_mu + V_j``, where ``s_j = tau² / (sigma_j² + tau²)``. Both shrink to 0
    with tau: the neck of the funnel.

    Parameters
    ----------
    tau : array_like
        Values of tau >= 0, any shape.
    data : SchoolsData

    Returns
    -------
    ConditionalNormal
        ``mean`` and ``var`` of shape ``tau.shape + (J,)``.

    Raises
    ------
    TypeError
        If ``data`` is not a :class:`~bda_helpers.data.SchoolsData`.
    ValueError
        If a ``tau`` is negative, not finite, or above exp(354.5) ≈ 9.07e153.

    Examples
    --------
    >>> from bda_helpers import load_eight_schools
    >>> fit = deviations_given_tau([0.0, 10.0], load_eight_schools())
    >>> fit.sd[:, 0].round(2).tolist()   # school A: theta_A = mu exactly when tau = 0
    [0.0, 8.49]
    """
    data = _check_data(data, posterior=False)
    tau = _check_tau(tau)
    mu = mu_given_tau(tau, data)
    tau2, sigma2 = tau[..., None] ** 2, data.sigma**2
    shrink = tau2 / (sigma2 + tau2)  # s_j; and V_j = s_j sigma_j²
    return ConditionalNormal(
        mean=shrink * (data.y - mu.mean[..., None]), var=shrink**2 * mu.var[..., None] + shrink * sigma2
    )


def log_marginal_tau(tau, data: SchoolsData) -> np.ndarray:
    """``log p(tau | y)`` under the uniform prior on tau, up to a constant (BDA3 eq. 5.21).

    Exactly ``log p(y | tau)`` with theta and mu integrated out over the flat prior on mu:

        ½ log V_mu − ½ Σ_j log(sigma_j² + tau²) − Σ_j (y_j − mu_hat)² / (2 (sigma_j² + tau²))
        − (J − 1)/2 log 2π,

    with ``mu_hat`` and ``V_mu`` of :func:`mu_given_tau`. Defined at tau = 0 too.

    Parameters
    ----------
    tau : array_like
        Values of tau >= 0, any shape.
    data : SchoolsData
        At least 3 groups (:data:`MIN_GROUPS`), for a proper posterior.

    Returns
    -------
    numpy.ndarray
        Of the shape of ``tau`` (0-d for one value); ``-inf`` where
        ``Σ_j (y_j − mu_hat)² / (sigma_j² + tau²)`` overflows (the density underflows to 0).

    Raises
    ------
    TypeError
        If ``data`` is not a :class:`~bda_helpers.data.SchoolsData`.
    ValueError
        If there are fewer than 3 groups, or a ``tau`` is negative, not finite, or above
        exp(354.5) ≈ 9.07e153.

    Examples
    --------
    >>> from bda_helpers import load_eight_schools
    >>> log_p = log_marginal_tau([0.0, 5.0, 10.0], load_eight_schools())
    >>> (log_p - log_p[0]).round(3).tolist()   # largest at the boundary tau = 0
    [0.0, -0.221, -0.914]
    """
    data = _check_data(data, posterior=True)
    tau = _check_tau(tau)
    mu = mu_given_tau(tau, data)
    total_var = data.sigma**2 + tau[..., None] ** 2
    with np.errstate(over="ignore"):  # (y_j - mu_hat)² / (sigma_j² + tau²) beyond floating point: p = 0
        misfit = ((data.y - mu.mean[..., None]) ** 2 / total_var).sum(axis=-1)
    return (
        0.5 * np.log(mu.var)
        - 0.5 * np.log(total_var).sum(axis=-1)
        - 0.5 * misfit
        - 0.5 * (len(data) - 1) * np.log(2 * np.pi)
    )


def log_marginal_log_tau(log_tau, data: SchoolsData) -> np.ndarray:
    """``log p(log tau | y)`` under the uniform prior on tau: :func:`log_marginal_tau` + log tau.

    The Jacobian ``|d tau / d log tau| = tau`` sends the density to 0 as tau → 0, so in
    log tau the mode is interior, though the eight schools' density is far from normal.

    Parameters
    ----------
    log_tau : array_like
        Values of log tau, any shape, with ``|log tau| <= 354.5`` (tau² and 1/tau² finite).
    data : SchoolsData
        At least 3 groups.

    Returns
    -------
    numpy.ndarray
        Of the shape of ``log_tau``.

    Raises
    ------
    TypeError
        If ``data`` is not a :class:`~bda_helpers.data.SchoolsData`.
    ValueError
        If there are fewer than 3 groups or a ``log_tau`` is not finite or too large in size.

    Examples
    --------
    >>> from bda_helpers import load_eight_schools
    >>> log_p = log_marginal_log_tau([-5.0, 2.0, 5.0], load_eight_schools())
    >>> (log_p - log_p[1]).round(2).tolist()   # low at both ends: an interior mode
    [-6.5, 0.0, -11.66]
    """
    log_tau = _check_log_tau(log_tau)
    return log_marginal_tau(np.exp(log_tau), data) + log_tau


def _split(params, data: SchoolsData) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``params`` checked and split into mu, log tau, theta; and the array itself."""
    params = np.asarray(params, dtype=float)
    size = len(data) + 2
    if params.ndim == 0 or params.shape[-1] != size:
        raise ValueError(
            f"params must be (mu, log tau, theta_1, ..., theta_{len(data)}) on the last axis, of length "
            f"{size}, got shape {params.shape}"
        )
    bad = ~np.isfinite(params).all(axis=-1)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        where = f" at index {index}" if index else ""
        raise ValueError(f"params must be finite, got {params[index].tolist()}{where}")
    _check_log_tau(params[..., 1])
    return params[..., 0], params[..., 1], params[..., 2:], params


def log_joint(params, data: SchoolsData) -> np.ndarray:
    """The joint log posterior density of ``(mu, log tau, theta)`` under the uniform prior on tau.

        log p = (1 − J) log tau − Σ_j (theta_j − mu)² / (2 tau²) − Σ_j (y_j − theta_j)² / (2 sigma_j²)
                − J log 2π − Σ_j log sigma_j

    (the Jacobian ``tau`` of log tau included; the constants make ``∫ exp(log p) dtheta dmu``
    equal ``exp(log_marginal_log_tau)``). Along ``theta_j = mu`` the density grows without
    bound as tau → 0: there is no joint mode.

    Parameters
    ----------
    params : array_like, shape (J + 2,) or (..., J + 2)
        ``(mu, log tau, theta_1, ..., theta_J)`` on the last axis, with ``|log tau| <= 354.5``.
    data : SchoolsData
        At least 3 groups.

    Returns
    -------
    numpy.ndarray, shape ``params.shape[:-1]``
        ``-inf`` where ``Σ_j (theta_j − mu)² / tau²`` or ``Σ_j (y_j − theta_j)² / sigma_j²``
        overflows (the density underflows to 0).

    Raises
    ------
    TypeError
        If ``data`` is not a :class:`~bda_helpers.data.SchoolsData`.
    ValueError
        If there are fewer than 3 groups, or ``params`` has the wrong last axis, is not finite,
        or has a log tau too large in size.

    Examples
    --------
    >>> from bda_helpers import load_eight_schools
    >>> data = load_eight_schools()
    >>> neck = np.array([[8.0, log_tau] + [8.0] * 8 for log_tau in (0.0, -1.0, -2.0)])
    >>> np.diff(log_joint(neck, data)).round(6).tolist()   # +7 = J − 1 per unit of −log tau
    [7.0, 7.0]
    """
    data = _check_data(data, posterior=True)
    mu, log_tau, theta, _ = _split(params, data)
    constant = -len(data) * np.log(2 * np.pi) - np.log(data.sigma).sum()
    with np.errstate(over="ignore"):  # a square beyond floating point: the density is 0 there
        spread = ((theta - mu[..., None]) ** 2).sum(axis=-1)
        fit = ((data.y - theta) ** 2 / data.sigma**2).sum(axis=-1)
        return (1 - len(data)) * log_tau - 0.5 * spread * np.exp(-2.0 * log_tau) - 0.5 * fit + constant


def gradient_joint(params, data: SchoolsData) -> np.ndarray:
    """The gradient of :func:`log_joint` with respect to ``(mu, log tau, theta)``.

        d/dmu = Σ_j (theta_j − mu) / tau²,   d/dlog tau = 1 − J + Σ_j (theta_j − mu)² / tau²,
        d/dtheta_j = −(theta_j − mu) / tau² + (y_j − theta_j) / sigma_j²

    Parameters
    ----------
    params : array_like, shape (J + 2,) or (..., J + 2)
    data : SchoolsData
        At least 3 groups.

    Returns
    -------
    numpy.ndarray, of the shape of ``params``

    Raises
    ------
    TypeError, ValueError
        As :func:`log_joint`; and a ``ValueError`` naming the point where the gradient
        overflows.

    Examples
    --------
    >>> from bda_helpers import load_eight_schools
    >>> data = load_eight_schools()
    >>> gradient_joint([8.0, 0.0] + [8.0] * 8, data)[:2].tolist()   # on the neck: log tau wants to fall
    [0.0, -7.0]
    """
    data = _check_data(data, posterior=True)
    mu, log_tau, theta, params = _split(params, data)
    precision = np.exp(-2.0 * log_tau)[..., None]
    deviation = theta - mu[..., None]
    grad = np.empty(params.shape)
    with np.errstate(over="ignore", invalid="ignore"):
        pull = deviation * precision  # (theta_j - mu) / tau²: the prior's terms
        fit = (data.y - theta) / data.sigma**2  # (y_j - theta_j) / sigma_j²: the data's terms
        grad[..., 0] = pull.sum(axis=-1)
        grad[..., 1] = 1 - len(data) + (deviation**2 * precision).sum(axis=-1)
        grad[..., 2:] = fit - pull
    finite = np.isfinite(grad).all(axis=-1)
    if not finite.all():
        index = tuple(int(i) for i in np.argwhere(~finite)[0])
        if not np.isfinite(fit[index]).all():
            cause = "(y_j - theta_j) / sigma_j² is too large: a theta_j is too far from y_j for its sigma_j"
        else:
            cause = "(theta_j - mu)² / tau² is too large: the theta_j are too far from mu for this tau"
        raise ValueError(
            f"the gradient overflows at params={params[index].tolist()}: {cause}, in floating point"
        )
    return grad
