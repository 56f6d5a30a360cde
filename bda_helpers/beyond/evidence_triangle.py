"""The evidence triangle: log Z by quadrature, by Laplace, and bounded below by the ELBO.

For an unnormalised density ``p(θ)`` (a log posterior up to a constant) with
``Z = ∫ p(θ) dθ``, any normal ``q`` gives

    log Z = ELBO(q) + KL(q ‖ p/Z),   ELBO(q) = E_q[log p(θ) − log q(θ)],
                                     KL(q ‖ p/Z) = E_q[log q(θ) − log p(θ) + log Z] ≥ 0,

so the ELBO is a lower bound on ``log Z`` and the gap is exactly the KL divergence. The
identity holds draw by draw: ``(log p − log q) + (log q − log p + log Z) = log Z``. What a
Monte Carlo check can test is therefore a *pairing*: an ELBO from one set of draws (e.g. the
fixed base draws a variational fit maximised) against a KL estimated from other, fresh draws,
with a ``log Z`` from an independent method (quadrature on a grid). This module computes the
pieces: :func:`grid_log_evidence` (the quadrature) and :func:`evidence_triangle` (the fresh
Monte Carlo estimates of ELBO and KL, with their standard errors).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special

from .._validation import check_finite
from ..random import check_draw_count, check_generator

__all__ = ["EvidenceTriangle", "evidence_triangle", "grid_log_evidence", "normal_logpdf"]


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


@dataclass(frozen=True)
class EvidenceTriangle:
    """Monte Carlo estimates of ELBO(q) and KL(q ‖ p/Z), beside ``log Z`` by quadrature.

    Attributes
    ----------
    log_evidence : float
        ``log Z``, the reference (e.g. :func:`grid_log_evidence`).
    elbo, elbo_se : float
        ``E_q[log p − log q]`` from the first batch of draws from q, and its standard error.
    kl, kl_se : float
        ``E_q[log q − log p] + log Z`` from a second, independent batch, and its standard error.
    n_draws : int
        Draws in each batch.
    """

    log_evidence: float
    elbo: float
    elbo_se: float
    kl: float
    kl_se: float
    n_draws: int

    @property
    def gap(self) -> float:
        """``log Z − ELBO``: what the bound misses (equal to KL in expectation)."""
        return self.log_evidence - self.elbo

    @property
    def closure(self) -> float:
        """``ELBO + KL − log Z`` from the two independent batches: zero up to Monte Carlo error."""
        return self.elbo + self.kl - self.log_evidence

    @property
    def closure_se(self) -> float:
        """The standard error of :attr:`closure`, ``√(elbo_se² + kl_se²)``."""
        return float(np.hypot(self.elbo_se, self.kl_se))


def evidence_triangle(
    log_density: Callable[[np.ndarray], np.ndarray],
    mean,
    cov,
    log_evidence: float,
    n_draws: int,
    rng: np.random.Generator,
) -> EvidenceTriangle:
    """Estimate ELBO(q) and KL(q ‖ p/Z) for ``q = N(mean, cov)`` from two batches of fresh draws.

    Each batch is ``mean + z Lᵀ`` with ``z = rng.standard_normal((n_draws, d))`` and ``L`` the
    Cholesky factor of ``cov``: first the ELBO's batch, then the KL's.

    Parameters
    ----------
    log_density : callable
        Unnormalised log density ``log p`` of draws of shape (S, d), returning shape (S,).
    mean, cov : array_like
        The normal q, shapes (d,) and (d, d), ``cov`` symmetric positive definite.
    log_evidence : float
        ``log Z = log ∫ p``, computed independently (quadrature).
    n_draws : int
        Draws per batch.
    rng : numpy.random.Generator

    Returns
    -------
    EvidenceTriangle

    Raises
    ------
    ValueError
        If ``mean`` or ``cov`` has the wrong shape or is not finite, ``cov`` is not positive
        definite, ``log_evidence`` is not finite, or ``log_density`` returns values that are
        not finite at a draw.
    TypeError
        If ``rng`` is not a Generator or ``n_draws`` not an integer.

    Examples
    --------
    A normal target with q equal to it: the ELBO is log Z and the KL is 0, at every draw.

    >>> cov = [[1.0, 0.5], [0.5, 2.0]]
    >>> log_p = lambda t: normal_logpdf(t, [1.0, 2.0], cov) + 3.0   # Z = e³
    >>> t = evidence_triangle(log_p, [1.0, 2.0], cov, 3.0, 100, np.random.default_rng(0))
    >>> round(t.elbo, 12), round(t.kl, 12), t.elbo_se < 1e-12
    (3.0, 0.0, True)
    """
    mean, cov = check_finite(mean, "mean"), check_finite(cov, "cov")
    d = mean.size
    if mean.shape != (d,) or cov.shape != (d, d):
        raise ValueError(f"mean must have shape (d,) and cov shape (d, d), got {mean.shape} and {cov.shape}")
    try:
        chol = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError("cov must be symmetric positive definite") from None
    log_evidence = float(check_finite(log_evidence, "log_evidence"))
    n_draws, rng = check_draw_count(n_draws), check_generator(rng)
    estimates = []
    for _ in range(2):
        theta = mean + rng.standard_normal((n_draws, d)) @ chol.T
        log_p = np.asarray(log_density(theta), dtype=float)
        if log_p.shape != (n_draws,) or not np.isfinite(log_p).all():
            raise ValueError(f"log_density must return {n_draws} finite values, one per draw")
        log_ratio = log_p - normal_logpdf(theta, mean, cov)  # log p − log q, per draw
        estimates.append((float(log_ratio.mean()), float(log_ratio.std(ddof=1) / np.sqrt(n_draws))))
    (elbo, elbo_se), (minus_kl, kl_se) = estimates
    return EvidenceTriangle(
        log_evidence=log_evidence,
        elbo=elbo,
        elbo_se=elbo_se,
        kl=log_evidence - minus_kl,
        kl_se=kl_se,
        n_draws=n_draws,
    )
