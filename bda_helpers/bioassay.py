"""The bioassay model of BDA3 §3.7: binomial deaths with a logistic dose-response curve.

    y_i ~ Binomial(n_i, logit⁻¹(alpha + beta * x_i)),   p(alpha, beta) ∝ 1 (or a normal prior)

All densities are unnormalised: they leave out the binomial coefficients and the prior's
normalising constant, which do not depend on (alpha, beta).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit

from .data import BioassayData
from .grid import GridPosterior
from .laplace import LaplaceApproximation, laplace

__all__ = [
    "NormalPrior",
    "log_likelihood",
    "log_posterior",
    "gradient",
    "hessian",
    "GRID_ALPHA",
    "GRID_BETA",
    "ModelFunctions",
    "model_functions",
    "laplace_fit",
    "grid_posterior",
    "log_posterior_log_beta",
    "gradient_log_beta",
    "hessian_log_beta",
]

#: The course's grid for the exact posterior: the ranges of BDA3 §3.7's demos, α ∈ [−4, 8] and
#: β ∈ [−10, 40], with 240 × 360 points — different lengths, so an axis mix-up fails loudly.
#: Read-only: they are the defaults of :func:`grid_posterior`, shared by every caller.
GRID_ALPHA = np.linspace(-4.0, 8.0, 240)
GRID_BETA = np.linspace(-10.0, 40.0, 360)
GRID_ALPHA.flags.writeable = False
GRID_BETA.flags.writeable = False

#: log of the largest float (about 709.78): ``exp(x)`` overflows for ``x`` above it.
_LOG_FLOAT_MAX = float(np.log(np.finfo(float).max))


@dataclass(frozen=True)
class NormalPrior:
    """A bivariate normal prior on theta = (alpha, beta).

    Parameters
    ----------
    mean : array_like, shape (2,)
        Prior mean of (alpha, beta).
    cov : array_like, shape (2, 2)
        Prior covariance; must be symmetric positive definite. BDA writes N(mean, variance),
        so alpha ~ N(0, 4) is a variance of 4 (sd 2).

    Examples
    --------
    >>> prior = NormalPrior(mean=[0.0, 10.0], cov=[[4.0, 0.0], [0.0, 10.0]])
    >>> prior.precision.round(3).tolist()
    [[0.25, 0.0], [0.0, 0.1]]
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
            value.flags.writeable = False
            object.__setattr__(self, name, value)

    def log_density(self, alpha, beta) -> np.ndarray:
        """Unnormalised log prior density, broadcasting over ``alpha`` and ``beta``.

        Examples
        --------
        >>> prior = NormalPrior(mean=[0.0, 10.0], cov=[[4.0, 0.0], [0.0, 10.0]])
        >>> prior.log_density(np.array([0.0, 2.0]), 10.0).tolist()   # -(2**2) / (2 * 4)
        [-0.0, -0.5]
        """
        d_alpha = np.asarray(alpha, dtype=float) - self.mean[0]
        d_beta = np.asarray(beta, dtype=float) - self.mean[1]
        p = self.precision
        return -0.5 * (p[0, 0] * d_alpha**2 + 2 * p[0, 1] * d_alpha * d_beta + p[1, 1] * d_beta**2)


def _check_model(data, prior) -> None:
    """Refuse data that is not a BioassayData and a prior that is not a NormalPrior (or None)."""
    if not isinstance(data, BioassayData):
        raise TypeError(
            "data must be a BioassayData (e.g. load_bioassay() or BioassayData(x=..., n=..., y=...)), "
            f"got {type(data).__name__}"
        )
    if prior is not None and not isinstance(prior, NormalPrior):
        raise TypeError(f"prior must be a NormalPrior or None, got {type(prior).__name__}")


def _check_theta(theta) -> np.ndarray:
    theta = np.asarray(theta, dtype=float)
    if theta.shape != (2,):
        raise ValueError(f"theta must be (alpha, beta) with shape (2,), got shape {theta.shape}")
    if not np.isfinite(theta).all():
        raise ValueError(f"theta must be finite, got {theta.tolist()}")
    return theta


def _check_theta_batch(theta) -> np.ndarray:
    """Like :func:`_check_theta`, but also accept points stacked along leading axes, (..., 2).

    A single point gets exactly :func:`_check_theta`'s messages; a batch's messages name its
    shape, or the first point that is not finite.
    """
    theta = np.asarray(theta, dtype=float)
    if theta.ndim <= 1:
        return _check_theta(theta)
    if theta.shape[-1] != 2:
        raise ValueError(f"theta must be points (alpha, beta) with shape (..., 2), got shape {theta.shape}")
    bad = ~np.isfinite(theta).all(axis=-1)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"theta must be finite, got {theta[index].tolist()} at index {index}")
    return theta


def log_likelihood(alpha, beta, data: BioassayData) -> np.ndarray:
    """Binomial log-likelihood of (alpha, beta), up to a constant, broadcasting over arrays.

    Uses ``log p = eta - log(1 + e^eta)`` and ``log(1 - p) = -log(1 + e^eta)`` with
    ``log(1 + e^eta) = logaddexp(0, eta)``, which never overflows, so the result is finite
    for any finite (alpha, beta). Loops over the (few) dose groups, so a grid needs only a
    few grid-sized temporaries.

    Parameters
    ----------
    alpha, beta : array_like
        Intercept and slope; broadcast against each other (e.g. a whole grid made with
        ``np.meshgrid(alpha, beta, indexing="ij")``, or ``alpha[:, None]`` and ``beta``).
    data : BioassayData
        The dose groups.

    Returns
    -------
    numpy.ndarray
        ``sum_i y_i * eta_i - n_i * log(1 + exp(eta_i))`` with ``eta_i = alpha + beta*x_i``,
        of the broadcast shape of ``alpha`` and ``beta``.

    Examples
    --------
    >>> from bda_helpers import load_bioassay
    >>> data = load_bioassay()
    >>> float(np.round(log_likelihood(0.8466, 7.7488, data), 4))
    -5.8944
    >>> float(log_likelihood(1e6, -1e6, data)) < 0   # extreme logits stay finite
    True
    """
    _check_model(data, None)
    alpha = np.asarray(alpha, dtype=float)
    beta = np.asarray(beta, dtype=float)
    total = np.zeros(np.broadcast_shapes(alpha.shape, beta.shape))
    for x_i, n_i, y_i in zip(data.x, data.n, data.y):
        eta = alpha + beta * x_i
        total += y_i * eta - n_i * np.logaddexp(0.0, eta)
    return total


def log_posterior(alpha, beta, data: BioassayData, prior: NormalPrior | None = None) -> np.ndarray:
    """Unnormalised log posterior density of (alpha, beta), broadcasting over arrays.

    Parameters
    ----------
    alpha, beta : array_like
        Intercept and slope; broadcast against each other.
    data : BioassayData
        The dose groups.
    prior : NormalPrior, optional
        A normal prior on (alpha, beta); ``None`` (the default) is the uniform prior of
        BDA3 §3.7, under which the posterior is proper (BDA3 Exercise 3.14).

    Returns
    -------
    numpy.ndarray
        Log-likelihood plus log prior, up to an additive constant.

    Examples
    --------
    >>> from bda_helpers import load_bioassay
    >>> data = load_bioassay()
    >>> alpha, beta = np.linspace(-4, 8, 3), np.linspace(-10, 40, 5)
    >>> log_posterior(alpha[:, None], beta, data).shape   # a 3 x 5 grid in one call
    (3, 5)
    """
    _check_model(data, prior)
    result = log_likelihood(alpha, beta, data)
    if prior is not None:
        result = result + prior.log_density(alpha, beta)
    return result


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
    theta = _check_theta_batch(theta)
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

    Examples
    --------
    >>> from bda_helpers import load_bioassay
    >>> hessian([0.0, 0.0], load_bioassay()).round(4).tolist()
    [[-5.0, 0.6], [0.6, -1.7062]]
    """
    _check_model(data, prior)
    theta = _check_theta(theta)
    p = expit(theta[0] + theta[1] * data.x)
    weight = data.n * p * (1.0 - p)
    design = np.column_stack([np.ones_like(data.x), data.x])
    hess = -(design.T * weight) @ design
    if prior is not None:
        hess -= prior.precision
    return hess


@dataclass(frozen=True)
class ModelFunctions:
    """The bioassay log posterior and its derivatives as functions of one vector ``theta = (alpha, beta)``,
    the form that :func:`~bda_helpers.newton`, :func:`~bda_helpers.laplace` and the finite-difference
    helpers take.

    Attributes
    ----------
    log_density : callable, theta -> float
    gradient : callable, theta -> array of shape (2,)
    hessian : callable, theta -> array of shape (2, 2)
    """

    log_density: Callable[[np.ndarray], float]
    gradient: Callable[[np.ndarray], np.ndarray]
    hessian: Callable[[np.ndarray], np.ndarray]


def model_functions(data: BioassayData, prior: NormalPrior | None = None) -> ModelFunctions:
    """Bind ``data`` (and ``prior``) into the three functions of ``theta`` an optimiser needs.

    Raises
    ------
    TypeError
        If ``data`` is not a :class:`~bda_helpers.BioassayData` or ``prior`` is not a
        :class:`NormalPrior` (or ``None``).

    Examples
    --------
    >>> from bda_helpers import load_bioassay
    >>> model = model_functions(load_bioassay())
    >>> model.gradient([0.0, 0.0]).round(3).tolist(), round(model.log_density([0.0, 0.0]), 4)
    ([-1.0, 4.4], -13.8629)
    """
    _check_model(data, prior)

    def log_density(theta) -> float:
        theta = _check_theta(theta)
        return float(log_posterior(theta[0], theta[1], data, prior))

    return ModelFunctions(
        log_density=log_density,
        gradient=lambda theta: gradient(theta, data, prior),
        hessian=lambda theta: hessian(theta, data, prior),
    )


def laplace_fit(data: BioassayData, prior: NormalPrior | None = None) -> LaplaceApproximation:
    """The Laplace approximation of the bioassay posterior: guarded Newton from (0, 0) with the
    analytic gradient and Hessian, and the log density at the mode (for the evidence).

    Raises
    ------
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
    model = model_functions(data, prior)
    return laplace(model.gradient, [0.0, 0.0], hessian=model.hessian, log_density=model.log_density)


def grid_posterior(
    data: BioassayData, prior: NormalPrior | None = None, *, alpha=GRID_ALPHA, beta=GRID_BETA
) -> GridPosterior:
    """The exact bioassay posterior normalised on a grid (by default the course's
    :data:`GRID_ALPHA` × :data:`GRID_BETA`).

    Raises
    ------
    TypeError
        If ``data`` is not a :class:`~bda_helpers.BioassayData` or ``prior`` is not a
        :class:`NormalPrior` (or ``None``).

    Examples
    --------
    >>> from bda_helpers import load_bioassay
    >>> grid = grid_posterior(load_bioassay())
    >>> grid.mass.shape, round(float(grid.mean()[1]), 2)
    ((240, 360), 11.61)
    """
    _check_model(data, prior)
    return GridPosterior.from_log_density(lambda a, b: log_posterior(a, b, data, prior), alpha, beta)


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
    "log density": (_LOG_FLOAT_MAX, "beta = exp(log_beta) overflows"),
    "gradient": (_LOG_FLOAT_MAX, "beta = exp(log_beta) overflows"),
    "Hessian": (_LOG_FLOAT_MAX / 2, "beta² = exp(2 log_beta) overflows"),
}


def _check_log_beta_limit(log_beta: np.ndarray, what: str) -> None:
    limit, reason = _LOG_BETA_LIMITS[what]
    too_large = log_beta > limit
    if np.any(too_large):
        value = float(np.asarray(log_beta)[too_large].ravel()[0])
        raise ValueError(f"log_beta={value} is too large for the {what}: {reason} above log_beta={limit:.2f}")


def _check_phi(phi, what: str) -> np.ndarray:
    phi = np.asarray(phi, dtype=float)
    if phi.shape != (2,):
        raise ValueError(f"phi must be (alpha, log_beta) with shape (2,), got shape {phi.shape}")
    if not np.isfinite(phi).all():
        raise ValueError(f"phi must be finite, got {phi.tolist()}")
    _check_log_beta_limit(phi[1], what)
    return phi


def _refuse_overflow(values: np.ndarray, alpha, log_beta, what: str) -> np.ndarray:
    """Return ``values`` if all finite, else raise naming the first point where they are not."""
    finite = np.isfinite(values)
    if finite.all():
        return values
    alpha, log_beta = np.broadcast_arrays(np.asarray(alpha, dtype=float), np.asarray(log_beta, dtype=float))
    index = tuple(np.argwhere(~finite)[0]) if alpha.shape == finite.shape else ()
    a, phi = float(alpha[index]), float(log_beta[index])
    raise ValueError(
        f"the {what} overflows at alpha={a}, log_beta={phi} (beta = exp(log_beta) = {np.exp(phi):.3g}): "
        "the logits alpha + beta * x_i, their products with beta, or the prior are too large for floating point"
    )


def log_posterior_log_beta(
    alpha, log_beta, data: BioassayData, prior: NormalPrior | None = None
) -> np.ndarray:
    """Unnormalised log posterior density of (alpha, log beta), broadcasting over arrays.

    The density of ``phi = log beta`` carries the Jacobian of ``beta = e^phi``:
    ``log p(alpha, phi | y) = log p(alpha, e^phi | y) + phi``. Leaving out the ``+ phi``
    gives a function whose maximum is just the (alpha, beta) mode with beta logged, which
    is not the mode of the density of (alpha, log beta).

    Parameters
    ----------
    alpha, log_beta : array_like
        Intercept and log slope; broadcast against each other.
    data : BioassayData
    prior : NormalPrior, optional
        A normal prior on (alpha, beta) (not on log beta); ``None`` is the uniform prior
        on (alpha, beta) of BDA3 §3.7.

    Raises
    ------
    ValueError
        If ``alpha`` or ``log_beta`` is not finite, ``log_beta`` exceeds about 709.78 (where
        ``beta = exp(log_beta)`` overflows), or the density overflows at some point; the
        message names the first such value.

    Examples
    --------
    >>> from bda_helpers import load_bioassay
    >>> data = load_bioassay()
    >>> value = log_posterior_log_beta(0.8466, np.log(7.7488), data)
    >>> bool(np.isclose(value, log_posterior(0.8466, 7.7488, data) + np.log(7.7488)))
    True
    """
    alpha = np.asarray(alpha, dtype=float)
    log_beta = np.asarray(log_beta, dtype=float)
    for name, value in (("alpha", alpha), ("log_beta", log_beta)):
        if not np.isfinite(value).all():
            raise ValueError(f"{name} must be finite, got {float(value[~np.isfinite(value)].ravel()[0])}")
    _check_log_beta_limit(log_beta, "log density")
    with np.errstate(over="ignore", invalid="ignore"):
        value = log_posterior(alpha, np.exp(log_beta), data, prior) + log_beta
    return _refuse_overflow(value, alpha, log_beta, "log density")


def gradient_log_beta(phi, data: BioassayData, prior: NormalPrior | None = None) -> np.ndarray:
    """Analytic gradient of :func:`log_posterior_log_beta` at ``phi = (alpha, log beta)``.

    With ``g`` the gradient in (alpha, beta): ``(g_alpha, beta * g_beta + 1)``; the ``+ 1``
    is the derivative of the log-Jacobian ``log beta``.

    Raises
    ------
    ValueError
        If ``phi`` is not a finite pair, ``log beta`` exceeds about 709.78 (where
        ``beta = exp(log_beta)`` overflows), or ``beta * g_beta`` overflows.

    Examples
    --------
    >>> from bda_helpers import load_bioassay
    >>> gradient_log_beta([0.0, 0.0], load_bioassay()).round(3).tolist()   # beta = 1
    [-0.426, 3.776]
    """
    phi = _check_phi(phi, "gradient")
    beta = np.exp(phi[1])
    with np.errstate(over="ignore", invalid="ignore"):
        g_alpha, g_beta = gradient([phi[0], beta], data, prior)
        grad = np.array([g_alpha, beta * g_beta + 1.0])
    return _refuse_overflow(grad, phi[0], phi[1], "gradient")


def hessian_log_beta(phi, data: BioassayData, prior: NormalPrior | None = None) -> np.ndarray:
    """Analytic Hessian of :func:`log_posterior_log_beta` at ``phi = (alpha, log beta)``.

    With ``g`` and ``H`` the gradient and Hessian in (alpha, beta), the chain rule gives
    ``[[H_aa, beta H_ab], [beta H_ab, beta² H_bb + beta g_b]]`` (the Jacobian term is
    linear in log beta, so it adds nothing here).

    Raises
    ------
    ValueError
        If ``phi`` is not a finite pair, ``log beta`` exceeds about 354.89 (where
        ``beta² = exp(2 log_beta)`` overflows), or a term still overflows.

    Examples
    --------
    >>> from bda_helpers import load_bioassay
    >>> hessian_log_beta([0.0, 0.0], load_bioassay()).round(4).tolist()
    [[-4.6134, 0.5266], [0.5266, 1.3053]]
    """
    phi = _check_phi(phi, "Hessian")
    beta = np.exp(phi[1])
    theta = np.array([phi[0], beta])
    with np.errstate(over="ignore", invalid="ignore"):
        g_beta = gradient(theta, data, prior)[1]
        hess = hessian(theta, data, prior)
        result = np.array(
            [[hess[0, 0], beta * hess[0, 1]], [beta * hess[0, 1], beta**2 * hess[1, 1] + beta * g_beta]]
        )
    return _refuse_overflow(result, phi[0], phi[1], "Hessian")
