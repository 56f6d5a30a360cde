"""The evidence triangle: log Z by quadrature, by Laplace, by importance sampling, and the ELBO below it.

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
Monte Carlo standard errors and the Pareto ``k̂`` of the weights. Vehtari et al.'s ``k̂`` cut-offs
(below 0.5 reliable, to 0.7 usable, above not) describe the *smoothed* estimate; for the raw one,
a ``k̂`` above 0.5 says the weights' variance looks infinite, so its standard error means little.
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


def normal_logpdf(theta, mean, cov) -> np.ndarray:
    """Log density of ``N(mean, cov)`` at points ``theta`` of shape (S, d), by the Cholesky factor.

    Examples
    --------
    >>> bool(np.isclose(normal_logpdf([[0.0, 0.0]], [0.0, 0.0], np.eye(2))[0], -np.log(2 * np.pi)))
    True
    """
    theta, mean = np.asarray(theta, dtype=float), np.asarray(mean, dtype=float)
    cov = np.asarray(cov, dtype=float)
    chol = np.linalg.cholesky(cov)
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
    et al.'s guidance on ``k̂`` — below 0.5 reliable, up to
    :attr:`~bda_helpers.beyond.importance.ImportanceSample.k_threshold` usable, above it not —
    is about such smoothed estimates. The smoothing trades the raw estimate's variance for a
    bias of its own, in either direction, which shrinks as the draws grow.
    :attr:`ImportanceSample.smoothed_log_weights` are normalised; their scale is
    restored from the weights PSIS leaves untouched (the lower half), where smoothed and raw
    log weights differ by one constant. No standard error is given: the smoothed weights are
    not independent draws, so the delta method of :func:`log_evidence_importance` does not apply.

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
    raw, smoothed = sample.log_weights, sample.smoothed_log_weights
    finite = np.isfinite(raw)
    lower = finite & (raw <= np.median(raw[finite]))  # PSIS smooths at most the largest fifth
    scale = float(np.median(raw[lower] - smoothed[lower]))  # log of the raw weights' sum
    return scale - float(np.log(raw.size))


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
        The Pareto ``k̂`` of the weights ``exp(r)``. Below 0.5 the raw weights look to have
        finite variance and the standard error above is trustworthy; above 0.5 only the smoothed
        estimate may still be usable, up to about 0.7; above that ``q`` is too thin a proposal.
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
        If ``mean`` or ``cov`` has the wrong shape or is not finite, ``cov`` is not positive
        definite, ``n_draws`` is below 21, or ``log_density`` returns values that are not
        finite at a draw.
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
    mean, cov = check_finite(mean, "mean"), check_finite(cov, "cov")
    d = mean.size
    if mean.shape != (d,) or cov.shape != (d, d):
        raise ValueError(f"mean must have shape (d,) and cov shape (d, d), got {mean.shape} and {cov.shape}")
    try:
        chol = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError("cov must be symmetric positive definite") from None
    n_draws, rng = check_draw_count(n_draws), check_generator(rng)
    if n_draws < MIN_DRAWS:
        raise ValueError(f"n_draws must be at least {MIN_DRAWS} (for the Pareto k̂), got {n_draws}")
    theta = mean + rng.standard_normal((n_draws, d)) @ chol.T
    log_p = np.asarray(log_density(theta), dtype=float)
    if log_p.shape != (n_draws,) or not np.isfinite(log_p).all():
        raise ValueError(f"log_density must return {n_draws} finite values, one per draw")
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
