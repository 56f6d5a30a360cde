"""The evidence triangle: log Z by quadrature and by (Pareto-smoothed) importance sampling, and the ELBO.

For an unnormalised density ``p(θ)`` (a log posterior up to a constant) with
``Z = ∫ p(θ) dθ``, any normal ``q`` gives

    log Z = ELBO(q) + KL(q ‖ p/Z),   ELBO(q) = E_q[log p(θ) − log q(θ)],
                                     KL(q ‖ p/Z) = E_q[log q(θ) − log p(θ) + log Z] ≥ 0,

so the ELBO is a lower bound on ``log Z`` and the gap is the KL divergence. This is an
identity, and it holds draw by draw: ``(log p − log q) + (log q − log p + log Z) = log Z``.
No Monte Carlo estimate of the KL can test it, because the normalised posterior ``p/Z`` needs
``log Z``: any KL estimate is ``log Z`` minus an ELBO estimate. What *can* be checked is
``log Z`` itself, by methods that share nothing: the cell sum on a grid
(:func:`grid_log_evidence`) and importance sampling, ``log Z = log E_g[p(θ)/g(θ)]`` for a
proposal ``g``, from the raw weights (:func:`log_evidence_importance`) or the Pareto-smoothed
ones (:func:`log_evidence_smoothed`). :func:`evidence_triangle` draws once from ``q`` and returns
the ELBO and both importance-sampling estimates of ``log Z`` with ``q`` as the proposal, with
Monte Carlo standard errors and the Pareto ``k̂`` of the weights. Vehtari et al.'s (2024)
threshold, ``k̂ < min(1 − 1/log10 S, 0.7)``, is for the *smoothed* estimate (the 0.5 / 0.7 tiers
are their earlier guidance); for the raw one, a ``k̂`` above 0.5 says the weights' variance looks
infinite, so its standard error means little.
:meth:`EvidenceTriangle.kl` is the gap
``log Z − ELBO`` for a ``log Z`` computed elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special

from .._validation import check_finite
from ..random import check_draw_count, check_generator
from .importance import MIN_DRAWS, ImportanceSample

__all__ = [
    "EvidenceTriangle",
    "evidence_triangle",
    "grid_log_evidence",
    "log_evidence_importance",
    "log_evidence_smoothed",
    "normal_logpdf",
]


def _check_axis(values, name: str) -> np.ndarray:
    values = check_finite(values, name)
    if values.ndim != 1 or values.size < 3:
        raise ValueError(f"{name} must be a 1-D array of at least 3 grid values, got shape {values.shape}")
    steps = np.diff(values)
    if not (steps > 0).all() or not np.allclose(steps, steps[0], rtol=1e-6, atol=0.0):
        raise ValueError(f"{name} must be evenly spaced and increasing")
    return values


def grid_log_evidence(log_density: Callable[[np.ndarray], np.ndarray], alpha, beta) -> float:
    """``log ∫∫ exp(log_density)`` over the box of an evenly spaced 2-D grid, by the cell sum.

    ``log Σ_ij exp(log_density(α_i, β_j)) + log(Δα Δβ)``: the rectangle rule, which equals the
    trapezoid rule when the density is negligible at the box's edges (then, for a smooth
    density, it is accurate far beyond the grid spacing squared). Mass outside the box is
    not counted: check the edge mass of the normalised grid.

    Parameters
    ----------
    log_density : callable
        Unnormalised log density of points of shape (..., 2), returning shape (...).
    alpha, beta : array_like
        The evenly spaced, increasing grid values of the two parameters.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If an axis is not a 1-D, finite, evenly spaced, increasing array of at least 3 values,
        or the log density is NaN or +inf somewhere, or -inf everywhere.

    Examples
    --------
    A standard bivariate normal's unnormalised density integrates to 2π:

    >>> axis = np.linspace(-10.0, 10.0, 201)
    >>> log_z = grid_log_evidence(lambda t: -0.5 * (t**2).sum(axis=-1), axis, axis)
    >>> bool(np.isclose(log_z, np.log(2 * np.pi), rtol=1e-12))
    True
    """
    alpha, beta = _check_axis(alpha, "alpha"), _check_axis(beta, "beta")
    points = np.stack(np.meshgrid(alpha, beta, indexing="ij"), axis=-1)
    values = np.asarray(log_density(points), dtype=float)
    if values.shape != points.shape[:-1]:
        raise ValueError(f"log_density must return shape {points.shape[:-1]}, got {values.shape}")
    if np.isnan(values).any() or (values == np.inf).any():
        raise ValueError("log_density is NaN or +inf on the grid")
    if np.isneginf(values).all():
        raise ValueError("log_density is -inf everywhere on the grid: no mass")
    return float(special.logsumexp(values) + np.log((alpha[1] - alpha[0]) * (beta[1] - beta[0])))


def _check_normal(mean, cov) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``mean``, ``cov`` as float arrays of shapes (d,), (d, d) and the Cholesky factor of ``cov``,
    or a ValueError naming what is wrong: shape, non-finite values, asymmetry, not positive definite."""
    mean, cov = check_finite(mean, "mean"), check_finite(cov, "cov")
    d = mean.size
    if mean.ndim != 1 or d == 0 or cov.shape != (d, d):
        raise ValueError(f"mean must have shape (d,) and cov shape (d, d), got {mean.shape} and {cov.shape}")
    if not np.allclose(cov, cov.T, rtol=1e-10, atol=0.0):
        raise ValueError("cov must be symmetric, got cov != cov.T")
    try:
        chol = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError("cov must be positive definite (its Cholesky factorisation failed)") from None
    return mean, cov, chol


def normal_logpdf(theta, mean, cov) -> np.ndarray:
    """Log density of ``N(mean, cov)`` at points ``theta`` of shape (S, d), by the Cholesky factor.

    Parameters
    ----------
    theta : array_like, shape (S, d)
        The points (finite).
    mean : array_like, shape (d,)
    cov : array_like, shape (d, d)
        Symmetric (to 1e-10 relative) and positive definite.

    Returns
    -------
    numpy.ndarray, shape (S,)

    Raises
    ------
    ValueError
        If ``theta``, ``mean`` or ``cov`` is not finite or has the wrong shape, or ``cov`` is not
        symmetric or not positive definite (the Cholesky factor reads only one triangle, so an
        asymmetric ``cov`` would otherwise be used silently as another matrix).

    Examples
    --------
    >>> bool(np.isclose(normal_logpdf([[0.0, 0.0]], [0.0, 0.0], np.eye(2))[0], -np.log(2 * np.pi)))
    True
    """
    mean, _, chol = _check_normal(mean, cov)
    theta = check_finite(theta, "theta")
    if theta.ndim != 2 or theta.shape[1] != mean.size:
        raise ValueError(f"theta must have shape (S, {mean.size}), got {theta.shape}")
    z = np.linalg.solve(chol, (theta - mean).T).T
    d = mean.size
    return -0.5 * np.sum(z**2, axis=-1) - np.log(np.diag(chol)).sum() - 0.5 * d * np.log(2 * np.pi)


def log_evidence_importance(log_weights) -> tuple[float, float]:
    """``log Z`` by importance sampling, ``log mean exp(log_weights)``, and its standard error.

    With draws ``θ_s`` from a normalised proposal ``g`` and ``log_weights`` ``log p(θ_s) −
    log g(θ_s)``, the mean weight ``w̄`` estimates ``Z = E_g[p/g]`` without bias. The standard
    error of ``log w̄`` is the delta method's ``sd(w) / (√S w̄)``. It is an honest error only
    when the weights have finite variance — Pareto ``k̂`` below 0.5
    (:class:`~bda_helpers.beyond.importance.ImportanceSample`); with a proposal thinner than
    ``p`` the estimate is typically too low and the standard error too small.

    Parameters
    ----------
    log_weights : array_like, shape (S,)
        Raw log importance weights, with the proposal's density normalised; ``-inf`` where
        ``p`` is 0. At least 2 of them.

    Returns
    -------
    (float, float)
        The estimate of ``log Z`` and its standard error.

    Raises
    ------
    ValueError
        If ``log_weights`` is not 1-D with at least 2 values, is NaN or +inf somewhere, or is
        -inf everywhere.

    Examples
    --------
    Weights 1 and 3 (in equal numbers) average 2:

    >>> log_z, se = log_evidence_importance(np.log([1.0, 3.0, 1.0, 3.0]))
    >>> bool(np.isclose(log_z, np.log(2.0))), round(se, 4)
    (True, 0.2887)
    """
    log_weights = np.asarray(log_weights, dtype=float)
    if log_weights.ndim != 1 or log_weights.size < 2:
        raise ValueError(
            f"log_weights must be a 1-D array of at least 2 values, got shape {log_weights.shape}"
        )
    if np.isnan(log_weights).any() or (log_weights == np.inf).any():
        raise ValueError("log_weights is NaN or +inf somewhere")
    if np.isneginf(log_weights).all():
        raise ValueError("log_weights is -inf everywhere: the target has no mass where the proposal draws")
    weights = np.exp(log_weights - log_weights.max())  # the largest is 1: no overflow
    log_z = special.logsumexp(log_weights) - np.log(log_weights.size)
    return float(log_z), float(weights.std(ddof=1) / (np.sqrt(weights.size) * weights.mean()))


def log_evidence_smoothed(sample: ImportanceSample) -> float:
    """``log Z`` by Pareto-smoothed importance sampling (PSIS): the mean of the smoothed weights.

    PSIS replaces the largest raw weights by quantiles of a generalised Pareto distribution
    fitted to them (capped at the largest raw weight) and leaves the others as they are; Vehtari
    et al.'s (2024) threshold on ``k̂``,
    :attr:`~bda_helpers.beyond.importance.ImportanceSample.k_threshold`, below which such
    smoothed estimates are reliable, is about them. The smoothing trades the raw estimate's variance for a
    bias of its own, in either direction, which shrinks as the draws grow.
    Only the finite raw log weights are smoothed, on their own scale (ArviZ's ``psislw`` with
    ``normalize=False``, see :attr:`ImportanceSample.smoothed_log_sum`); draws where ``p`` is 0
    count as zero weights, so ``log Z = logsumexp(smoothed) − log S`` with S all the draws. No
    standard error is given: the smoothed weights are not independent draws, so the delta
    method of :func:`log_evidence_importance` does not apply.

    Parameters
    ----------
    sample : ImportanceSample
        Draws from a proposal ``g`` with their raw log weights ``log p(θ_s) − log g(θ_s)``, the
        proposal's density normalised (as for :func:`log_evidence_importance`).

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``sample`` is not an :class:`~bda_helpers.beyond.importance.ImportanceSample`.

    Examples
    --------
    Light-tailed weights (a wide normal proposal for a normal target with ``Z = e²``): the
    smoothed and raw estimates nearly agree, and both are close to 2.

    >>> rng = np.random.default_rng(0)
    >>> draws = 2.0 * rng.standard_normal((4000, 1))
    >>> log_w = (2.0 + normal_logpdf(draws, [0.0], [[1.0]])) - normal_logpdf(draws, [0.0], [[4.0]])
    >>> sample = ImportanceSample(draws, log_w)
    >>> smoothed, (raw, _) = log_evidence_smoothed(sample), log_evidence_importance(log_w)
    >>> abs(smoothed - raw) < 0.01, abs(smoothed - 2.0) < 0.05
    (True, True)
    """
    if not isinstance(sample, ImportanceSample):
        raise TypeError(f"sample must be an ImportanceSample, got {type(sample).__name__}")
    return sample.smoothed_log_sum - float(np.log(sample.n_draws))


def _check_log_density(values, theta: np.ndarray) -> np.ndarray:
    """The values of ``log p`` at the draws ``theta``: shape (S,), no NaN or ±inf, else a
    ValueError naming the first bad draw."""
    values = np.asarray(values, dtype=float)
    if values.shape != theta.shape[:1]:
        raise ValueError(
            f"log_density must return shape ({theta.shape[0]},), one value per draw, got {values.shape}"
        )
    for test, what in ((np.isnan, "NaN"), (lambda v: v == np.inf, "+inf")):
        (bad,) = np.nonzero(test(values))
        if bad.size:
            raise ValueError(
                f"log_density is {what} at {bad.size} draws, the first at θ = {theta[bad[0]].tolist()}"
            )
    (zero,) = np.nonzero(np.isneginf(values))
    if zero.size:
        raise ValueError(
            f"log_density is -inf at {zero.size} draws, the first at θ = {theta[zero[0]].tolist()}: "
            "q puts mass where p = 0, so the ELBO is -inf and the KL infinite; for log Z alone, use "
            "log_evidence_importance on the log weights"
        )
    return values


@dataclass(frozen=True)
class EvidenceTriangle:
    """The ELBO of a normal ``q`` and ``log Z`` by importance sampling from ``q``, from one set of draws.

    Both are averages over the same draws ``θ_s ~ q`` of the log ratio ``r_s = log p(θ_s) −
    log q(θ_s)``: the ELBO is ``mean(r)``, the importance-sampling ``log Z`` is
    ``log mean exp(r)``. By Jensen's inequality the second is never below the first.

    Attributes
    ----------
    elbo, elbo_se : float
        ``E_q[log p − log q]``, estimated by ``mean(r)``, and its standard error.
    log_evidence_is, log_evidence_is_se : float
        ``log Z`` by importance sampling with ``q`` as the proposal
        (:func:`log_evidence_importance`) and its delta-method standard error.
    pareto_k : float
        The Pareto ``k̂`` of the weights ``exp(r)``. Below 0.5 the standard error above is
        usually adequate in practice (the weights' true variance may still be infinite: it is
        for every normal ``q`` against a posterior with exponential tails, such as the
        bioassay's); above 0.5 only the smoothed estimate may still be reliable, up to
        :attr:`~bda_helpers.beyond.importance.ImportanceSample.k_threshold` (at most 0.7); above
        that ``q`` is too thin a proposal. ``-inf`` when all the weights are equal (``q``
        proportional to ``p``), ``inf`` when too few distinct large weights were left to fit.
    n_draws : int
        Draws from q.
    log_evidence_psis : float
        ``log Z`` by Pareto-smoothed importance sampling from the same draws
        (:func:`log_evidence_smoothed`).
    """

    elbo: float
    elbo_se: float
    log_evidence_is: float
    log_evidence_is_se: float
    pareto_k: float
    n_draws: int
    log_evidence_psis: float

    def kl(self, log_evidence: float) -> float:
        """``KL(q ‖ p/Z) = log Z − ELBO`` for a ``log Z`` computed elsewhere (e.g. by quadrature).

        A derived gap, not an independent estimate: the KL needs the normalised posterior, hence
        ``log Z``. Its Monte Carlo standard error is :attr:`elbo_se` (``log Z`` taken as exact).

        Examples
        --------
        >>> EvidenceTriangle(-3.0, 0.01, -2.5, 0.02, 0.3, 100, -2.5).kl(-2.5)
        0.5
        """
        return float(check_finite(log_evidence, "log_evidence")) - self.elbo


def evidence_triangle(
    log_density: Callable[[np.ndarray], np.ndarray],
    mean,
    cov,
    n_draws: int,
    rng: np.random.Generator,
) -> EvidenceTriangle:
    """The ELBO of ``q = N(mean, cov)`` and ``log Z`` by importance sampling from q, from fresh draws.

    The draws are ``mean + z Lᵀ`` with ``z = rng.standard_normal((n_draws, d))`` and ``L`` the
    Cholesky factor of ``cov``.

    Parameters
    ----------
    log_density : callable
        Unnormalised log density ``log p`` of draws of shape (S, d), returning shape (S,).
    mean, cov : array_like
        The normal q, shapes (d,) and (d, d), ``cov`` symmetric positive definite.
    n_draws : int
        Draws from q (at least 21, for the Pareto ``k̂``).
    rng : numpy.random.Generator

    Returns
    -------
    EvidenceTriangle

    Raises
    ------
    ValueError
        If ``mean`` or ``cov`` has the wrong shape or is not finite, ``cov`` is not symmetric or
        not positive definite, ``n_draws`` is below 21, or ``log_density`` returns the wrong
        shape, or NaN or +inf at a draw. Also if it returns ``-inf`` at a draw: ``q`` then puts
        mass where ``p`` is 0, the ELBO is ``-inf`` and the KL infinite, so the triangle has no
        finite side to report (the importance-sampling ``log Z`` is still valid: compute it with
        :func:`log_evidence_importance`, which accepts ``-inf`` log weights).
    TypeError
        If ``rng`` is not a Generator or ``n_draws`` not an integer.

    Examples
    --------
    A normal target with q equal to it: every log ratio is log Z, so the ELBO and the
    importance-sampling estimate are both log Z, with no error at all.

    >>> cov = [[1.0, 0.5], [0.5, 2.0]]
    >>> log_p = lambda t: normal_logpdf(t, [1.0, 2.0], cov) + 3.0   # Z = e³
    >>> t = evidence_triangle(log_p, [1.0, 2.0], cov, 100, np.random.default_rng(0))
    >>> round(t.elbo, 12), round(t.log_evidence_is, 12), t.elbo_se < 1e-12, round(t.kl(3.0), 12)
    (3.0, 3.0, True, 0.0)
    """
    mean, cov, chol = _check_normal(mean, cov)
    n_draws, rng = check_draw_count(n_draws), check_generator(rng)
    if n_draws < MIN_DRAWS:
        raise ValueError(f"n_draws must be at least {MIN_DRAWS} (for the Pareto k̂), got {n_draws}")
    theta = mean + rng.standard_normal((n_draws, mean.size)) @ chol.T
    log_p = _check_log_density(log_density(theta), theta)
    log_ratio = log_p - normal_logpdf(theta, mean, cov)  # log p − log q, per draw
    log_z, log_z_se = log_evidence_importance(log_ratio)
    sample = ImportanceSample(theta, log_ratio)
    return EvidenceTriangle(
        elbo=float(log_ratio.mean()),
        elbo_se=float(log_ratio.std(ddof=1) / np.sqrt(n_draws)),
        log_evidence_is=log_z,
        log_evidence_is_se=log_z_se,
        pareto_k=sample.pareto_k,
        n_draws=n_draws,
        log_evidence_psis=log_evidence_smoothed(sample),
    )
