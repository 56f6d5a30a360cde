"""The bioassay model of BDA3 §3.7: binomial deaths with a logistic dose-response curve.

    y_i ~ Binomial(n_i, logit⁻¹(alpha + beta * x_i)),   p(alpha, beta) ∝ 1 (or a normal prior)

All densities are unnormalised: they leave out the binomial coefficients and the prior's
normalising constant, which do not depend on (alpha, beta).

Every model function takes the parameters first, as one array ``theta`` whose last axis
holds ``(alpha, beta)`` (or ``phi = (alpha, log beta)``), and broadcasts over the leading
axes: a log density returns ``theta.shape[:-1]`` (a 0-d value for one point), a gradient
``theta.shape`` and a Hessian ``theta.shape + (2,)``. So one function serves the optimiser
(one point, shape ``(2,)``), draws ``(S, 2)`` and a grid ``(m, k, 2)``;
:func:`model_functions` binds the data (and prior) into functions of ``theta`` alone.

Under the flat prior the posterior is proper only when the data are not separated
(BDA3 Exercise 3.14): :func:`check_proper` says so, and :func:`laplace_fit` and
:func:`grid_posterior` refuse an improper posterior with :class:`ImproperPosteriorError`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from scipy.special import expit

from ._validation import LOG_FLOAT_MAX, check_points, read_only
from .data import BioassayData
from .grid import GridPosterior
from .laplace import LaplaceApproximation, laplace
from .summaries import weighted_quantiles

__all__ = [
    "NormalPrior",
    "ImproperPosteriorError",
    "log_likelihood",
    "log_posterior",
    "gradient",
    "hessian",
    "GRID_ALPHA",
    "GRID_BETA",
    "ModelFunctions",
    "model_functions",
    "is_separable",
    "check_proper",
    "laplace_fit",
    "laplace_fit_log_beta",
    "grid_posterior",
    "DoseResponseBands",
    "dose_response_bands",
    "log_posterior_log_beta",
    "gradient_log_beta",
    "hessian_log_beta",
    "model_functions_log_beta",
]

#: The course's grid for the exact posterior, α ∈ [−5, 12] and β ∈ [−10, 100], with 500 × 1500
#: points — different lengths, so an axis mix-up fails loudly. It is wider than the BDA Python
#: demos' α ∈ [−4, 8], β ∈ [−10, 40], which cut off about 0.07 % of the flat-prior posterior (almost
#: all of it at β > 40) and so put β's 97.5 % quantile and sd low in their first decimal; this grid leaves out
#: less than 1e-7 and gives quantiles to three decimals (tests/test_exact_reference.py checks
#: them against adaptive quadrature). Read-only: they are the defaults of :func:`grid_posterior`,
#: shared by every caller.
GRID_ALPHA = read_only(np.linspace(-5.0, 12.0, 500))
GRID_BETA = read_only(np.linspace(-10.0, 100.0, 1500))


class ImproperPosteriorError(ValueError):
    """The posterior asked for is improper: it cannot be normalised, and has no unique finite mode.

    Raised by :func:`check_proper` (and so by :func:`laplace_fit`, :func:`laplace_fit_log_beta`
    and :func:`grid_posterior`) for separated data, or data at a single dose, under the flat prior.
    """


def _first_bad_point(finite: np.ndarray, theta: np.ndarray, value_dims: int) -> list[float]:
    """The point of ``theta`` (shape (..., 2)) at the first entry of ``finite`` that is False.

    ``value_dims`` is how many trailing axes of ``finite`` belong to one point's value:
    0 for a density, 1 for a gradient, 2 for a Hessian.
    """
    index = tuple(int(i) for i in np.argwhere(~finite)[0])
    return theta[index[: len(index) - value_dims]].tolist()


@dataclass(frozen=True)
class NormalPrior:
    """A bivariate normal prior on theta = (alpha, beta).

    Parameters
    ----------
    mean : array_like, shape (2,)
        Prior mean of (alpha, beta).
    cov : array_like, shape (2, 2)
        Prior covariance; must be symmetric positive definite. BDA writes N(mean, variance),
        so alpha ~ N(1, 9) is a variance of 9 (sd 3).

    Examples
    --------
    >>> prior = NormalPrior(mean=[1.0, 5.0], cov=[[2.0, 1.0], [1.0, 8.0]])
    >>> prior.precision.round(3).tolist()
    [[0.533, -0.067], [-0.067, 0.133]]
    """

    mean: np.ndarray
    cov: np.ndarray
    precision: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        mean = np.array(self.mean, dtype=float)  # copies: never alias or freeze the caller's arrays
        cov = np.array(self.cov, dtype=float)
        if mean.shape != (2,):
            raise ValueError(f"prior mean must have shape (2,), got {mean.shape}")
        if cov.shape != (2, 2):
            raise ValueError(f"prior cov must have shape (2, 2), got {cov.shape}")
        if not (np.isfinite(mean).all() and np.isfinite(cov).all()):
            raise ValueError("prior mean and cov must be finite")
        if not np.allclose(cov, cov.T, rtol=1e-12, atol=0.0):
            raise ValueError(f"prior cov is not symmetric: {cov.tolist()}")
        if np.any(np.linalg.eigvalsh(cov) <= 0):
            raise ValueError(f"prior cov is not positive definite: {cov.tolist()}")
        for name, value in (("mean", mean), ("cov", cov), ("precision", np.linalg.inv(cov))):
            object.__setattr__(self, name, read_only(value))

    def _quadratic(self, theta: np.ndarray) -> np.ndarray:
        """``-½ (theta - mean)ᵀ precision (theta - mean)`` for checked ``theta``, unguarded."""
        d_alpha = theta[..., 0] - self.mean[0]
        d_beta = theta[..., 1] - self.mean[1]
        p = self.precision
        return -0.5 * (p[0, 0] * d_alpha**2 + 2 * p[0, 1] * d_alpha * d_beta + p[1, 1] * d_beta**2)

    def log_density(self, theta) -> np.ndarray:
        """Unnormalised log prior density at ``theta = (alpha, beta)``, shape ``theta.shape[:-1]``.

        Parameters
        ----------
        theta : array_like, shape (2,) or (..., 2)
            One point, or points stacked along leading axes.

        Raises
        ------
        ValueError
            If ``theta`` is not finite or has the wrong shape, or the quadratic form overflows
            (a point around 1e154 or beyond); the message names the first such point.

        Examples
        --------
        >>> prior = NormalPrior(mean=[0.0, 10.0], cov=[[4.0, 0.0], [0.0, 10.0]])
        >>> prior.log_density([[0.0, 10.0], [2.0, 10.0]]).tolist()   # -(2**2) / (2 * 4)
        [-0.0, -0.5]
        """
        theta = check_points(theta, "alpha, beta")
        with np.errstate(over="ignore", invalid="ignore"):
            value = self._quadratic(theta)
        finite = np.isfinite(value)
        if not finite.all():
            point = _first_bad_point(finite, theta, 0)
            raise ValueError(f"the prior's log density overflows at (alpha, beta)={point}")
        return value


def _check_model(data, prior) -> None:
    """Refuse data that is not a BioassayData and a prior that is not a NormalPrior (or None)."""
    if not isinstance(data, BioassayData):
        raise TypeError(
            "data must be a BioassayData (e.g. load_bioassay() or BioassayData(x=..., n=..., y=...)), "
            f"got {type(data).__name__}"
        )
    if prior is not None and not isinstance(prior, NormalPrior):
        raise TypeError(f"prior must be a NormalPrior or None, got {type(prior).__name__}")


def _log_likelihood_values(theta: np.ndarray, data: BioassayData) -> np.ndarray:
    """The log-likelihood at checked points ``theta``; ``inf`` or ``nan`` where it overflows."""
    alpha, beta = theta[..., 0], theta[..., 1]
    total = np.zeros(theta.shape[:-1])
    with np.errstate(over="ignore", invalid="ignore"):
        for x_i, n_i, y_i in zip(data.x, data.n, data.y):
            eta = alpha + beta * x_i
            total += y_i * eta - n_i * np.logaddexp(0.0, eta)
    return total


def _log_posterior_values(theta: np.ndarray, data: BioassayData, prior: NormalPrior | None) -> np.ndarray:
    """The log posterior at checked points ``theta``; ``inf`` or ``nan`` where it overflows."""
    total = _log_likelihood_values(theta, data)
    if prior is not None:
        with np.errstate(over="ignore", invalid="ignore"):
            total = total + prior._quadratic(theta)
    return total


def _refuse_overflow(values: np.ndarray, theta: np.ndarray, what: str) -> np.ndarray:
    """Return ``values`` if finite everywhere, else raise naming the first point where not."""
    finite = np.isfinite(values)
    if finite.all():
        return values
    alpha, beta = _first_bad_point(finite, theta, 0)
    raise ValueError(
        f"the {what} overflows at alpha={alpha}, beta={beta}: the logits alpha + beta * x_i "
        "(or their products with the counts, or the prior) are too large for floating point"
    )


def log_likelihood(theta, data: BioassayData) -> np.ndarray:
    """Binomial log-likelihood at ``theta = (alpha, beta)``, up to a constant.

    Uses ``log p = eta - log(1 + e^eta)`` and ``log(1 - p) = -log(1 + e^eta)`` with
    ``log(1 + e^eta) = logaddexp(0, eta)``, which does not overflow while the logits
    ``eta_i = alpha + beta * x_i`` are finite. Loops over the (few) dose groups, so a grid
    needs only a few grid-sized temporaries.

    Parameters
    ----------
    theta : array_like, shape (2,) or (..., 2)
        One point (alpha, beta), or points stacked along leading axes: draws ``(S, 2)``, or a
        whole grid ``(m, k, 2)``.
    data : BioassayData
        The dose groups.

    Returns
    -------
    numpy.ndarray, shape ``theta.shape[:-1]``
        ``sum_i y_i * eta_i - n_i * log(1 + exp(eta_i))``.

    Raises
    ------
    ValueError
        If ``theta`` is not finite or has the wrong shape, or the value overflows at some
        point (e.g. ``alpha = beta = 1e308``, where a logit ``alpha + beta * x_i``, or its
        product with ``n_i``, is beyond the largest float); the message names the first such
        point.

    Examples
    --------
    >>> from bda_helpers import load_bioassay
    >>> data = load_bioassay()
    >>> float(np.round(log_likelihood([0.8466, 7.7488], data), 4))
    -5.8944
    >>> float(log_likelihood([1e6, -1e6], data)) < 0   # extreme logits stay finite
    True
    """
    _check_model(data, None)
    theta = check_points(theta, "alpha, beta")
    return _refuse_overflow(_log_likelihood_values(theta, data), theta, "log-likelihood")


def log_posterior(theta, data: BioassayData, prior: NormalPrior | None = None) -> np.ndarray:
    """Unnormalised log posterior density at ``theta = (alpha, beta)``.

    Parameters
    ----------
    theta : array_like, shape (2,) or (..., 2)
        One point (alpha, beta), or points stacked along leading axes: draws ``(S, 2)``, or a
        whole grid ``(m, k, 2)``.
    data : BioassayData
        The dose groups.
    prior : NormalPrior, optional
        A normal prior on (alpha, beta); ``None`` (the default) is the uniform prior of
        BDA3 §3.7. Under it the posterior is proper unless the data are separated (see
        :func:`check_proper`); this function evaluates the density either way.

    Returns
    -------
    numpy.ndarray, shape ``theta.shape[:-1]``
        Log-likelihood plus log prior, up to an additive constant; always finite.

    Raises
    ------
    ValueError
        If ``theta`` is not finite or has the wrong shape, or the value overflows at some
        point (e.g. ``alpha = beta = 1e308``, where a logit ``alpha + beta * x_i``, or its
        product with ``n_i``, is beyond the largest float); the message names the first such
        point. It never returns NaN or inf.

    Examples
    --------
    >>> from bda_helpers import load_bioassay
    >>> data = load_bioassay()
    >>> alpha, beta = np.linspace(-4, 8, 3), np.linspace(-10, 40, 5)
    >>> grid = np.stack(np.meshgrid(alpha, beta, indexing="ij"), axis=-1)   # shape (3, 5, 2)
    >>> log_posterior(grid, data).shape   # a 3 x 5 grid in one call
    (3, 5)
    >>> round(float(log_posterior([0.0, 0.0], data)), 4)   # 20 animals, each p = 1/2
    -13.8629
    """
    _check_model(data, prior)
    theta = check_points(theta, "alpha, beta")
    return _refuse_overflow(_log_posterior_values(theta, data, prior), theta, "log posterior")


def gradient(theta, data: BioassayData, prior: NormalPrior | None = None) -> np.ndarray:
    """Analytic gradient (score) of :func:`log_posterior` at ``theta = (alpha, beta)``.

    ``sum_i (y_i - n_i p_i) (1, x_i)`` with ``p_i = logit⁻¹(alpha + beta x_i)``, minus
    ``prior.precision @ (theta - prior.mean)`` when there is a prior.

    Parameters
    ----------
    theta : array_like, shape (2,) or (..., 2)
        One point (alpha, beta), or points stacked along leading axes (e.g. ``(S, 2)``
        draws), each of which gets its own gradient.
    data : BioassayData
    prior : NormalPrior, optional

    Returns
    -------
    numpy.ndarray, the shape of ``theta``

    Examples
    --------
    >>> from bda_helpers import load_bioassay
    >>> gradient([0.0, 0.0], load_bioassay()).round(3).tolist()
    [-1.0, 4.4]
    >>> gradient([[0.0, 0.0], [0.8466, 7.7488]], load_bioassay()).round(3).tolist()   # two points
    [[-1.0, 4.4], [-0.0, 0.0]]
    """
    _check_model(data, prior)
    theta = check_points(theta, "alpha, beta")
    alpha, beta = theta[..., 0, None], theta[..., 1, None]
    residual = data.y - data.n * expit(alpha + beta * data.x)  # (..., groups)
    grad = np.empty_like(theta)  # filled in place: np.stack would cost a third of a one-point call
    grad[..., 0] = residual.sum(axis=-1)
    grad[..., 1] = residual @ data.x
    if prior is not None:
        grad -= (theta - prior.mean) @ prior.precision.T
    return grad


def hessian(theta, data: BioassayData, prior: NormalPrior | None = None) -> np.ndarray:
    """Analytic Hessian of :func:`log_posterior` at ``theta = (alpha, beta)``.

    ``-sum_i n_i p_i (1 - p_i) (1, x_i)(1, x_i)^T``, minus ``prior.precision`` when there
    is a prior. It is negative definite whenever two doses differ, so the log posterior
    is strictly concave (a canonical-link GLM).

    Parameters
    ----------
    theta : array_like, shape (2,) or (..., 2)
        One point (alpha, beta), or points stacked along leading axes.
    data : BioassayData
    prior : NormalPrior, optional

    Returns
    -------
    numpy.ndarray, shape ``theta.shape + (2,)``
        ``(2, 2)`` for one point, ``(..., 2, 2)`` for a batch.

    Examples
    --------
    >>> from bda_helpers import load_bioassay
    >>> hessian([0.0, 0.0], load_bioassay()).round(4).tolist()
    [[-5.0, 0.6], [0.6, -1.7062]]
    >>> hessian(np.zeros((3, 2)), load_bioassay()).shape   # three points
    (3, 2, 2)
    """
    _check_model(data, prior)
    theta = check_points(theta, "alpha, beta")
    if theta.ndim == 1:  # one point: the 2 x 2 product is the fastest form (Newton calls it often)
        p = expit(theta[0] + theta[1] * data.x)
        design = np.column_stack([np.ones_like(data.x), data.x])
        hess = -(design.T * (data.n * p * (1.0 - p))) @ design
    else:
        p = expit(theta[..., 0, None] + theta[..., 1, None] * data.x)  # (..., groups)
        weight = data.n * p * (1.0 - p)
        hess = np.empty(theta.shape + (2,))
        hess[..., 0, 0] = -weight.sum(axis=-1)
        hess[..., 0, 1] = hess[..., 1, 0] = -(weight @ data.x)
        hess[..., 1, 1] = -(weight @ data.x**2)
    if prior is not None:
        hess -= prior.precision
    return hess


@dataclass(frozen=True)
class ModelFunctions:
    """A log posterior and its derivatives as functions of the parameters alone.

    Each broadcasts over leading axes of its argument (shape ``(..., 2)``), so the same
    function goes into :func:`~bda_helpers.newton` and :func:`~bda_helpers.laplace` (one
    point), into :meth:`~bda_helpers.GridPosterior.from_log_density` (a grid ``(m, k, 2)``)
    and evaluates draws ``(S, 2)``.

    Attributes
    ----------
    log_density : callable, theta -> array of shape ``theta.shape[:-1]`` (0-d for one point)
    gradient : callable, theta -> array of the shape of ``theta``
    hessian : callable, theta -> array of shape ``theta.shape + (2,)``
    """

    log_density: Callable[[np.ndarray], np.ndarray]
    gradient: Callable[[np.ndarray], np.ndarray]
    hessian: Callable[[np.ndarray], np.ndarray]


def model_functions(data: BioassayData, prior: NormalPrior | None = None) -> ModelFunctions:
    """Bind ``data`` (and ``prior``) into :func:`log_posterior`, :func:`gradient` and
    :func:`hessian` as functions of ``theta = (alpha, beta)`` alone.

    Raises
    ------
    TypeError
        If ``data`` is not a :class:`~bda_helpers.BioassayData` or ``prior`` is not a
        :class:`NormalPrior` (or ``None``).

    Examples
    --------
    >>> from bda_helpers import load_bioassay
    >>> model = model_functions(load_bioassay())
    >>> model.gradient([0.0, 0.0]).round(3).tolist(), round(float(model.log_density([0.0, 0.0])), 4)
    ([-1.0, 4.4], -13.8629)
    >>> model.log_density(np.zeros((4, 3, 2))).shape   # a grid of points in one call
    (4, 3)
    """
    _check_model(data, prior)
    return ModelFunctions(
        log_density=partial(log_posterior, data=data, prior=prior),
        gradient=partial(gradient, data=data, prior=prior),
        hessian=partial(hessian, data=data, prior=prior),
    )


# --- Is the posterior proper? ---------------------------------------------------------------


def _separating_cut(data: BioassayData, beta_positive: bool = False) -> tuple[float, bool] | None:
    """A dose ``c`` that separates the data, and whether deaths lie above it; ``None`` if none does.

    With ``beta_positive``, only a separation the likelihood can follow with beta > 0 counts:
    deaths above the cut (or all at one dose, or all alike, which any direction follows).
    """
    directions = [(data.y == 0, data.y == data.n, True)]
    if not beta_positive:
        directions.append((data.y == data.n, data.y == 0, False))
    for alive, dead, deaths_above in directions:
        for cut in np.unique(data.x):
            if alive[data.x < cut].all() and dead[data.x > cut].all():
                return float(cut), deaths_above
    return None


def is_separable(data: BioassayData) -> bool:
    """Whether the dose groups are (quasi-)separated, so that the flat-prior posterior is improper.

    The logistic likelihood then keeps rising towards a steeper and steeper curve and has no
    finite maximum: there is a dose ``c`` with no deaths below it and only deaths above it
    (or the reverse), whatever happens at ``c`` itself. With all groups at one dose the
    slope is not identified either, and that counts as separable too.

    Examples
    --------
    >>> x, n = [-0.86, -0.30, -0.05, 0.73], [5, 5, 5, 5]
    >>> is_separable(BioassayData(x=x, n=n, y=[0, 1, 3, 5]))   # the bioassay data
    False
    >>> is_separable(BioassayData(x=x, n=n, y=[0, 0, 5, 5]))   # separated
    True
    >>> is_separable(BioassayData(x=x, n=n, y=[0, 2, 5, 5]))   # quasi-separated: mixed only at x=-0.30
    True
    """
    _check_model(data, None)
    return _separating_cut(data) is not None


def _separation_reason(data: BioassayData, beta_positive: bool = False) -> str | None:
    """Why the flat-prior posterior of ``data`` is improper, in words; ``None`` if it is proper.

    A separation is described group by group, e.g. "no deaths at or below x = -0.30, only deaths
    at or above x = -0.05", so the doses named are those of groups, never the cut between them.
    """
    found = _separating_cut(data, beta_positive)
    if found is None:
        return None
    cut, deaths_above = found
    decimals = min(6, max(len(np.format_float_positional(x, trim="-").partition(".")[2]) for x in data.x))

    def dose(x: float) -> str:  # every dose with as many decimals as the data's doses need
        return f"{x:.{decimals}f}"

    if np.unique(data.x).size == 1:
        return (
            f"all the dose groups are at one dose, x = {dose(cut)}, so the slope beta is not identified: "
            "the likelihood depends on (alpha, beta) only through alpha + beta * x, so it is constant "
            "along lines and has no unique mode and no finite integral"
        )
    if np.all(data.y == 0) or np.all(data.y == data.n):
        none_died = bool(np.all(data.y == 0))
        what = "no animal died at any dose" if none_died else "every animal died, at every dose"
        return (
            f"the data are separated ({what}), so the likelihood keeps rising as the death probability "
            f"goes to {0 if none_died else 1} at every dose and has no finite mode"
        )
    low, high = (data.y == 0, data.y == data.n) if deaths_above else (data.y == data.n, data.y == 0)
    low_words, high_words = ("no deaths", "only deaths") if deaths_above else ("only deaths", "no deaths")
    at_cut = data.x == cut
    below = data.x[(data.x < cut) | (at_cut & low[at_cut].all())]  # groups on the low side
    above = data.x[(data.x > cut) | (at_cut & high[at_cut].all())]
    parts = [f"{low_words} at or below x = {dose(below.max())}"] if below.size else []
    if not (low[at_cut].all() or high[at_cut].all()):  # quasi-separation: both outcomes at the cut
        end = {data.x.min(): "the lowest dose ", data.x.max(): "the highest dose "}.get(cut, "")
        parts.append(f"both deaths and survivors only at {end}x = {dose(cut)}")
    if above.size:
        parts.append(f"{high_words} at or above x = {dose(above.min())}")
    return (
        f"the data are separated ({', '.join(parts)}), so the likelihood keeps rising as the curve "
        "steepens and has no finite mode"
    )


def check_proper(
    data: BioassayData, prior: NormalPrior | None = None, *, beta_positive: bool = False
) -> None:
    """Refuse a posterior that is improper: the flat prior with separated data or a single dose.

    With a :class:`NormalPrior` the posterior is always proper (the likelihood is bounded by
    1 and the prior integrates to 1). Under the flat prior it is proper exactly when the data
    are not separated (:func:`is_separable`): then the log-likelihood is strictly concave and
    tends to −∞ in every direction, so it has one finite mode and a finite integral.

    The (alpha, log beta) posterior covers only beta > 0. There a separation with deaths only
    *below* a dose (a curve that falls with the dose, beta → −∞) does not make it improper:
    with ``beta_positive=True`` only the separations the likelihood can follow with beta > 0
    are refused (deaths above a dose, all groups alike, or a single dose).

    Parameters
    ----------
    data : BioassayData
    prior : NormalPrior, optional
    beta_positive : bool, default False
        Check the posterior restricted to beta > 0, as :func:`laplace_fit_log_beta` needs.

    Raises
    ------
    ImproperPosteriorError
        If ``prior`` is ``None`` and the data are (quasi-)separated or all at one dose; the
        message says which groups separate and how to fix it.
    TypeError
        If ``data`` is not a :class:`~bda_helpers.BioassayData` or ``prior`` is not a
        :class:`NormalPrior` (or ``None``).

    Examples
    --------
    >>> from bda_helpers import load_bioassay
    >>> check_proper(load_bioassay())   # the bioassay data: proper, nothing to say
    >>> separated = BioassayData(x=[-0.86, -0.30, -0.05, 0.73], n=[5, 5, 5, 5], y=[0, 0, 5, 5])
    >>> check_proper(separated, NormalPrior(mean=[0.0, 10.0], cov=[[4.0, 0.0], [0.0, 100.0]]))
    >>> try:  # doctest: +NORMALIZE_WHITESPACE
    ...     check_proper(separated)
    ... except ImproperPosteriorError as error:
    ...     print(error)
    the flat-prior posterior is improper: the data are separated (no deaths at or below
    x = -0.30, only deaths at or above x = -0.05), so the likelihood keeps rising as the curve
    steepens and has no finite mode; give a proper prior (prior=NormalPrior(...))
    """
    _check_model(data, prior)
    if prior is not None:
        return
    reason = _separation_reason(data, beta_positive)
    if reason is not None:
        raise ImproperPosteriorError(
            f"the flat-prior posterior is improper: {reason}; give a proper prior (prior=NormalPrior(...))"
        )


def laplace_fit(data: BioassayData, prior: NormalPrior | None = None) -> LaplaceApproximation:
    """The Laplace approximation of the bioassay posterior: guarded Newton from (0, 0) with the
    analytic gradient and Hessian, and the log density at the mode (for the evidence).

    Raises
    ------
    ImproperPosteriorError
        If the posterior is improper (flat prior, separated data or one dose; see
        :func:`check_proper`): there is no mode to approximate around.
    TypeError
        If ``data`` is not a :class:`~bda_helpers.BioassayData` or ``prior`` is not a
        :class:`NormalPrior` (or ``None``).

    Examples
    --------
    >>> from bda_helpers import load_bioassay
    >>> approx = laplace_fit(load_bioassay())
    >>> approx.mode.round(4).tolist(), approx.sd.round(3).tolist()
    ([0.8466, 7.7488], [1.019, 4.873])
    """
    check_proper(data, prior)
    model = model_functions(data, prior)
    return laplace(model.gradient, [0.0, 0.0], hessian=model.hessian, log_density=model.log_density)


def laplace_fit_log_beta(data: BioassayData, prior: NormalPrior | None = None) -> LaplaceApproximation:
    """The Laplace approximation of the bioassay posterior of (α, log β), Jacobian included.

    Guarded Newton from (0, 0) with the functions of
    :func:`model_functions_log_beta`: at (0, 0) the Hessian is not
    negative definite, so the steps are checked against the log density.

    Raises
    ------
    TypeError
        If ``data`` is not a :class:`~bda_helpers.BioassayData` or ``prior`` is not a
        :class:`NormalPrior` (or ``None``).
    ImproperPosteriorError
        (a ``ValueError``) If ``prior`` is None and the data are separated in a way a curve with
        beta > 0 can follow (:func:`check_proper` with ``beta_positive=True``): the posterior
        then has no mode. Data with deaths only at low doses have a proper posterior in
        (α, log β), though not in (α, β).
    ConvergenceError
        If Newton's method finds no mode.

    Examples
    --------
    >>> from bda_helpers import load_bioassay
    >>> fit = laplace_fit_log_beta(load_bioassay())
    >>> fit.mode.round(3).tolist(), fit.sd.round(3).tolist()
    ([1.271, 2.375], [1.074, 0.515])
    """
    check_proper(data, prior, beta_positive=True)
    model = model_functions_log_beta(data, prior)
    return laplace(model.gradient, [0.0, 0.0], hessian=model.hessian, log_density=model.log_density)


def grid_posterior(
    data: BioassayData, prior: NormalPrior | None = None, *, alpha=GRID_ALPHA, beta=GRID_BETA
) -> GridPosterior:
    """The exact bioassay posterior normalised on a grid (by default the course's
    :data:`GRID_ALPHA` × :data:`GRID_BETA`), with the parameter names ("alpha", "beta").

    Raises
    ------
    ImproperPosteriorError
        If the posterior is improper (flat prior, separated data or one dose; see
        :func:`check_proper`): normalising it on a grid would give an answer set by the
        grid's edges, not by the data.
    TypeError
        If ``data`` is not a :class:`~bda_helpers.BioassayData` or ``prior`` is not a
        :class:`NormalPrior` (or ``None``).

    Examples
    --------
    >>> from bda_helpers import load_bioassay
    >>> grid = grid_posterior(load_bioassay())
    >>> grid.names, grid.mass.shape, round(float(grid.mean()[1]), 2)
    (('alpha', 'beta'), (500, 1500), 11.64)
    """
    check_proper(data, prior)
    return GridPosterior.from_log_density(
        model_functions(data, prior).log_density, (alpha, beta), names=("alpha", "beta")
    )


@dataclass(frozen=True)
class DoseResponseBands:
    """Pointwise posterior quantiles of the dose–response curve p(x) = logit⁻¹(alpha + beta x).

    Made by :func:`dose_response_bands`. Read vertically, a band says how probable each death
    probability is at a fixed dose. Read horizontally at a death probability ``p``, and only if
    every point has beta > 0 (every curve increasing), its ends swap roles: the upper
    (1 + L)/2 curve crosses ``p`` at the (1 − L)/2 quantile of the dose at which ``p`` of the
    animals die, and the lower (1 − L)/2 curve at its (1 + L)/2 quantile (L a band's level).

    Attributes
    ----------
    x : numpy.ndarray, shape (m,)
        The log doses.
    levels : tuple of float
        The central probability of each band, e.g. ``(0.5, 0.95)``.
    median : numpy.ndarray, shape (m,)
        The posterior median of p(x) at each dose.
    lower, upper : numpy.ndarray, shape (len(levels), m)
        Row ``k`` holds the ``(1 - levels[k]) / 2`` and ``(1 + levels[k]) / 2`` quantiles of p(x).

    Raises
    ------
    ValueError
        If the shapes do not fit, ``x`` is not finite, the levels are not distinct and strictly
        between 0 and 1, a value is not a probability in [0, 1], or a band misses the median
        (``lower <= median <= upper`` fails at a dose).

    Examples
    --------
    >>> bands = DoseResponseBands(x=[0.0], levels=(0.5,), median=[0.5], lower=[[0.4]], upper=[[0.6]])
    >>> bands.band(0.5)
    (array([0.4]), array([0.6]))
    """

    x: np.ndarray
    levels: tuple[float, ...]
    median: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    def __post_init__(self) -> None:
        x = read_only(self.x)
        levels = tuple(float(level) for level in self.levels)
        shape = (len(levels), x.size)
        if x.ndim != 1 or np.shape(self.median) != x.shape:
            raise ValueError(
                f"x and median must be 1-D of one length, got shapes {x.shape} and {np.shape(self.median)}"
            )
        if np.shape(self.lower) != shape or np.shape(self.upper) != shape:
            raise ValueError(f"lower and upper must have shape {shape} (levels, doses)")
        if not np.isfinite(x).all():
            raise ValueError(f"x must be finite log doses, got {x.tolist()}")
        if not all(0.0 < level < 1.0 for level in levels) or len(set(levels)) != len(levels):
            raise ValueError(f"levels must be distinct and strictly between 0 and 1, got {list(levels)}")
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "levels", levels)
        for name in ("median", "lower", "upper"):
            values = read_only(getattr(self, name))
            if not ((values >= 0.0) & (values <= 1.0)).all():  # also refuses NaN
                raise ValueError(f"{name} must hold probabilities in [0, 1], got {values.tolist()}")
            object.__setattr__(self, name, values)
        if not ((self.lower <= self.median) & (self.median <= self.upper)).all():
            raise ValueError("every band must hold the median: lower <= median <= upper at each dose")

    def band(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        """The (lower, upper) ends of the band of central probability ``level``, one value per dose."""
        if level not in self.levels:
            raise ValueError(f"no band of level {level}; the levels are {list(self.levels)}")
        index = self.levels.index(level)
        return self.lower[index], self.upper[index]


def dose_response_bands(theta, x, *, weights=None, levels=(0.5, 0.95)) -> DoseResponseBands:
    """Posterior median and central bands of the death probability p(x) = logit⁻¹(alpha + beta x).

    Dose by dose, the bands are logit⁻¹ of the (interpolated) sample quantiles of the log-odds
    alpha + beta x. Because logit⁻¹ is increasing, they equal the quantiles of p(x) exactly for
    a continuous distribution, and up to interpolation for draws or cells: between two order
    statistics numpy interpolates linearly in the log-odds, not in p (in the example below the
    upper 50 % end is logit⁻¹(2.5) = 0.9241, where numpy's 75 % quantile of the three values
    of p is 0.9167). Without ``weights``, for draws, the bands are numpy's default sample
    quantiles (as :func:`~bda_helpers.quantiles`); with ``weights``, e.g. a grid's cell masses,
    they are interpolated quantiles of that discrete distribution by the midpoint rule of
    :func:`~bda_helpers.weighted_quantiles`. The two paths interpolate differently, so equal
    weights do not give the unweighted bands: in the example, ``weights=np.ones(3)`` puts the
    upper 50 % end at logit⁻¹(2.75) = 0.9399, not 0.9241.

    Parameters
    ----------
    theta : array_like, shape (..., 2)
        Points (alpha, beta), at least two: draws, shape (S, 2), or grid cells, shape (m, k, 2).
    x : array_like, shape (n_doses,)
        Finite log doses.
    weights : array_like, shape ``theta.shape[:-1]``, optional
        Non-negative probabilities of the points, not all 0 (normalised here).
    levels : sequence of float, default (0.5, 0.95)
        Central probabilities of the bands, each strictly between 0 and 1.

    Returns
    -------
    DoseResponseBands

    Raises
    ------
    ValueError
        If ``theta`` is not finite points of shape (..., 2) (at least two), ``x`` is not a
        non-empty 1-D finite array, ``weights`` has the wrong shape, a negative or
        non-finite entry or sums to 0, a level is not strictly between 0 and 1 (or levels
        repeat), or a log-odds ``alpha + beta x`` overflows (the message names the point and
        the dose).

    Examples
    --------
    Three curves with log-odds 1, 2 and 3 at x = 1: the median is the middle one, logit⁻¹(2).

    >>> bands = dose_response_bands([[0.0, 1.0], [0.0, 2.0], [0.0, 3.0]], [0.0, 1.0], levels=(0.5,))
    >>> bands.median.round(4).tolist(), bands.band(0.5)[1].round(4).tolist()
    ([0.5, 0.8808], [0.5, 0.9241])

    The same three points with equal weights: the midpoint rule interpolates otherwise.

    >>> weighted = dose_response_bands(
    ...     [[0.0, 1.0], [0.0, 2.0], [0.0, 3.0]], [0.0, 1.0], weights=np.ones(3), levels=(0.5,)
    ... )
    >>> weighted.band(0.5)[1].round(4).tolist()
    [0.5, 0.9399]
    """

    theta = check_points(theta, "alpha, beta")
    if theta.ndim < 2 or theta[..., 0].size < 2:
        raise ValueError(f"theta must hold at least two points (alpha, beta), got shape {theta.shape}")
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or x.size == 0 or not np.isfinite(x).all():
        raise ValueError(f"x must be a non-empty 1-D array of finite log doses, got shape {x.shape}")
    levels = tuple(float(level) for level in np.atleast_1d(levels))
    if not levels or not all(0.0 < level < 1.0 for level in levels):
        raise ValueError(f"levels must lie strictly between 0 and 1, got {list(levels)}")
    alpha, beta = theta[..., 0].ravel(), theta[..., 1].ravel()
    if weights is not None:
        weights = np.asarray(weights, dtype=float)
        if weights.shape != theta.shape[:-1]:
            raise ValueError(
                f"weights must have shape {theta.shape[:-1]} (one per point), got {weights.shape}"
            )
        weights = weights.ravel()  # weighted_quantiles refuses negative, non-finite or all-zero weights
    probs = [(1 - level) / 2 for level in levels] + [0.5] + [(1 + level) / 2 for level in levels]
    columns = []
    for dose in x:
        with np.errstate(over="ignore", invalid="ignore"):  # checked just below
            log_odds = alpha + beta * dose
        if not np.isfinite(log_odds).all():
            k = int(np.argmin(np.isfinite(log_odds)))
            where = ", ".join(str(int(i)) for i in np.unravel_index(k, theta.shape[:-1]))
            raise ValueError(
                f"the log-odds alpha + beta x overflow at theta[{where}] = "
                f"({float(alpha[k])!r}, {float(beta[k])!r}) and the dose x = {float(dose)!r}: "
                "|alpha + beta x| must stay within floating point"
            )
        columns.append(
            np.quantile(log_odds, probs) if weights is None else weighted_quantiles(log_odds, weights, probs)
        )
    p = expit(np.column_stack(columns))  # (2 len(levels) + 1, n_doses)
    k = len(levels)
    return DoseResponseBands(x=x, levels=levels, median=p[k], lower=p[:k], upper=p[k + 1 :])


# --- The same model in (alpha, log beta) --------------------------------------------------
#
# With phi = log beta, beta = e^phi > 0 and |d beta / d phi| = e^phi = beta, so
#     log p(alpha, phi | y) = log p(alpha, beta = e^phi | y) + phi.
# The derivatives follow from those in (alpha, beta) by the chain rule.
#
# Each function refuses a log beta too large for its own arithmetic: the density and the
# gradient need beta = e^phi (finite up to phi ≈ 709.78), the Hessian needs beta² (up to
# phi ≈ 354.89); and a result that still overflows (beta · x_i, beta · g_beta, the prior at
# a huge beta) is refused too, naming the point, rather than returned as inf or nan.

#: The largest log beta each function can take: where beta, resp. beta², overflows.
_LOG_BETA_LIMITS = {
    "log density": (LOG_FLOAT_MAX, "beta = exp(log_beta) overflows"),
    "gradient": (LOG_FLOAT_MAX, "beta = exp(log_beta) overflows"),
    "Hessian": (LOG_FLOAT_MAX / 2, "beta² = exp(2 log_beta) overflows"),
}


def _check_phi(phi, what: str) -> np.ndarray:
    """Points ``phi = (alpha, log_beta)``, shape (..., 2), finite and with a usable log beta."""
    phi = check_points(phi, "alpha, log_beta", "phi")
    limit, reason = _LOG_BETA_LIMITS[what]
    too_large = phi[..., 1] > limit
    if np.any(too_large):
        value = float(phi[..., 1][too_large].ravel()[0])
        raise ValueError(f"log_beta={value} is too large for the {what}: {reason} above log_beta={limit:.2f}")
    return phi


def _refuse_overflow_log_beta(values: np.ndarray, phi: np.ndarray, what: str, value_dims: int) -> np.ndarray:
    """Return ``values`` if all finite, else raise naming the first point where they are not."""
    finite = np.isfinite(values)
    if finite.all():
        return values
    a, log_beta = _first_bad_point(finite, phi, value_dims)
    raise ValueError(
        f"the {what} overflows at alpha={a}, log_beta={log_beta} "
        f"(beta = exp(log_beta) = {np.exp(log_beta):.3g}): the logits alpha + beta * x_i, "
        "their products with beta, or the prior are too large for floating point"
    )


def _alpha_beta(phi: np.ndarray) -> np.ndarray:
    """``(alpha, beta = exp(log_beta))`` from checked ``phi = (alpha, log_beta)``."""
    theta = phi.copy()
    theta[..., 1] = np.exp(phi[..., 1])
    return theta


def log_posterior_log_beta(phi, data: BioassayData, prior: NormalPrior | None = None) -> np.ndarray:
    """Unnormalised log posterior density at ``phi = (alpha, log beta)``.

    The density of ``log beta`` carries the Jacobian of ``beta = e^(log beta)``:
    ``log p(alpha, log beta | y) = log p(alpha, beta | y) + log beta``. Leaving out the
    ``+ log beta`` gives a function whose maximum is just the (alpha, beta) mode with beta
    logged, which is not the mode of the density of (alpha, log beta).

    Parameters
    ----------
    phi : array_like, shape (2,) or (..., 2)
        One point (alpha, log beta), or points stacked along leading axes (draws, a grid).
    data : BioassayData
    prior : NormalPrior, optional
        A normal prior on (alpha, beta) (not on log beta); ``None`` is the uniform prior
        on (alpha, beta) of BDA3 §3.7.

    Returns
    -------
    numpy.ndarray, shape ``phi.shape[:-1]``

    Raises
    ------
    ValueError
        If ``phi`` is not finite or has the wrong shape, ``log_beta`` exceeds about 709.78
        (where ``beta = exp(log_beta)`` overflows), or the density overflows at some point;
        the message names the first such value.

    Examples
    --------
    >>> from bda_helpers import load_bioassay
    >>> data = load_bioassay()
    >>> value = log_posterior_log_beta([0.8466, np.log(7.7488)], data)
    >>> bool(np.isclose(value, log_posterior([0.8466, 7.7488], data) + np.log(7.7488)))
    True
    >>> log_posterior_log_beta(np.zeros((5, 2)), data).shape   # five points
    (5,)
    """
    _check_model(data, prior)
    phi = _check_phi(phi, "log density")
    with np.errstate(over="ignore", invalid="ignore"):
        value = _log_posterior_values(_alpha_beta(phi), data, prior) + phi[..., 1]
    return _refuse_overflow_log_beta(value, phi, "log density", 0)


def gradient_log_beta(phi, data: BioassayData, prior: NormalPrior | None = None) -> np.ndarray:
    """Analytic gradient of :func:`log_posterior_log_beta` at ``phi = (alpha, log beta)``.

    With ``g`` the gradient in (alpha, beta): ``(g_alpha, beta * g_beta + 1)``; the ``+ 1``
    is the derivative of the log-Jacobian ``log beta``.

    Parameters
    ----------
    phi : array_like, shape (2,) or (..., 2)
        One point (alpha, log beta), or points stacked along leading axes.
    data : BioassayData
    prior : NormalPrior, optional

    Returns
    -------
    numpy.ndarray, the shape of ``phi``

    Raises
    ------
    ValueError
        If ``phi`` is not finite or has the wrong shape, ``log beta`` exceeds about 709.78
        (where ``beta = exp(log_beta)`` overflows), or ``beta * g_beta`` overflows.

    Examples
    --------
    >>> from bda_helpers import load_bioassay
    >>> gradient_log_beta([0.0, 0.0], load_bioassay()).round(3).tolist()   # beta = 1
    [-0.426, 3.776]
    """
    _check_model(data, prior)
    phi = _check_phi(phi, "gradient")
    theta = _alpha_beta(phi)
    with np.errstate(over="ignore", invalid="ignore"):
        grad = gradient(theta, data, prior)
        grad[..., 1] = theta[..., 1] * grad[..., 1] + 1.0
    return _refuse_overflow_log_beta(grad, phi, "gradient", 1)


def hessian_log_beta(phi, data: BioassayData, prior: NormalPrior | None = None) -> np.ndarray:
    """Analytic Hessian of :func:`log_posterior_log_beta` at ``phi = (alpha, log beta)``.

    With ``g`` and ``H`` the gradient and Hessian in (alpha, beta), the chain rule gives
    ``[[H_aa, beta H_ab], [beta H_ab, beta² H_bb + beta g_b]]`` (the Jacobian term is
    linear in log beta, so it adds nothing here).

    Parameters
    ----------
    phi : array_like, shape (2,) or (..., 2)
        One point (alpha, log beta), or points stacked along leading axes.
    data : BioassayData
    prior : NormalPrior, optional

    Returns
    -------
    numpy.ndarray, shape ``phi.shape + (2,)``

    Raises
    ------
    ValueError
        If ``phi`` is not finite or has the wrong shape, ``log beta`` exceeds about 354.89
        (where ``beta² = exp(2 log_beta)`` overflows), or a term still overflows.

    Examples
    --------
    >>> from bda_helpers import load_bioassay
    >>> hessian_log_beta([0.0, 0.0], load_bioassay()).round(4).tolist()
    [[-4.6134, 0.5266], [0.5266, 1.3053]]
    """
    _check_model(data, prior)
    phi = _check_phi(phi, "Hessian")
    theta = _alpha_beta(phi)
    beta = theta[..., 1]
    with np.errstate(over="ignore", invalid="ignore"):
        g_beta = gradient(theta, data, prior)[..., 1]
        hess = hessian(theta, data, prior)
        hess[..., 1, 1] = beta**2 * hess[..., 1, 1] + beta * g_beta
        hess[..., 0, 1] *= beta
        hess[..., 1, 0] = hess[..., 0, 1]
    return _refuse_overflow_log_beta(hess, phi, "Hessian", 2)


def model_functions_log_beta(data: BioassayData, prior: NormalPrior | None = None) -> ModelFunctions:
    """Bind ``data`` (and ``prior``) into :func:`log_posterior_log_beta`, :func:`gradient_log_beta`
    and :func:`hessian_log_beta` as functions of ``phi = (alpha, log beta)`` alone.

    ``prior`` is a normal prior on (alpha, beta), as everywhere in this module.

    Raises
    ------
    TypeError
        If ``data`` is not a :class:`~bda_helpers.BioassayData` or ``prior`` is not a
        :class:`NormalPrior` (or ``None``).

    Examples
    --------
    >>> from bda_helpers import load_bioassay
    >>> model = model_functions_log_beta(load_bioassay())
    >>> fit = laplace(model.gradient, [0.0, 0.0], hessian=model.hessian, log_density=model.log_density)
    >>> fit.mode.round(3).tolist(), round(float(np.exp(fit.mode[1])), 2)   # beta = 10.75 there
    ([1.271, 2.375], 10.75)
    """
    _check_model(data, prior)
    return ModelFunctions(
        log_density=partial(log_posterior_log_beta, data=data, prior=prior),
        gradient=partial(gradient_log_beta, data=data, prior=prior),
        hessian=partial(hessian_log_beta, data=data, prior=prior),
    )
