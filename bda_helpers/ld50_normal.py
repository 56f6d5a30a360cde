"""The exact distribution of LD50 = −α/β when (α, β) is bivariate normal.

A Laplace approximation makes (α, β) normal, and then LD50 = −α/β is a ratio of
correlated normals: its distribution has heavy tails from draws with β near 0, and draws
with β < 0 give values that mean nothing as an LD50. This module computes its CDF and
quantiles by one-dimensional quadrature over β, either conditioned on β > 0 (what
:func:`bda_helpers.ld50` does to draws) or over all β, so Monte Carlo answers can be
compared with an exact value.

For a fixed β = b, α | b is normal with mean ``m(b) = m_α + c (b − m_β) / v_β`` and
variance ``s² = v_α − c² / v_β``, so

    P(−α/β ≤ t, β > 0) = ∫_0^∞  p(b) Φ((m(b) + t b) / s) db,
    P(−α/β ≤ t, β < 0) = ∫_−∞^0 p(b) Φ(−(m(b) + t b) / s) db.
"""

from __future__ import annotations

import numpy as np
from scipy import integrate, optimize, special, stats

__all__ = ["ld50_normal_cdf", "ld50_normal_quantile"]


def _check_normal(mean, cov, beta_positive: bool) -> tuple[np.ndarray, np.ndarray]:
    mean = np.asarray(mean, dtype=float)
    cov = np.asarray(cov, dtype=float)
    if mean.shape != (2,) or cov.shape != (2, 2):
        raise ValueError(f"mean must have shape (2,) and cov (2, 2), got {mean.shape} and {cov.shape}")
    if not (np.isfinite(mean).all() and np.isfinite(cov).all()):
        raise ValueError("mean and cov must be finite")
    if not np.allclose(cov, cov.T, rtol=1e-10, atol=0.0):
        raise ValueError(f"cov is not symmetric: {cov.tolist()}")
    if np.any(np.linalg.eigvalsh(cov) <= 0):
        raise ValueError(f"cov is not positive definite: {cov.tolist()}")
    if beta_positive and stats.norm.sf(0.0, mean[1], np.sqrt(cov[1, 1])) < 1e-12:
        raise ValueError("the normal puts (almost) no mass at beta > 0: nothing to condition on")
    return mean, cov


def _cdf_one(t: float, mean: np.ndarray, cov: np.ndarray, beta_positive: bool) -> float:
    m_alpha, m_beta = mean
    v_alpha, c, v_beta = cov[0, 0], cov[0, 1], cov[1, 1]
    sd_beta = np.sqrt(v_beta)
    s = np.sqrt(v_alpha - c**2 / v_beta)

    def shifted(b):  # (m(b) + t b) / s
        return (m_alpha + c * (b - m_beta) / v_beta + t * b) / s

    def density_beta(b):
        z = (b - m_beta) / sd_beta
        return np.exp(-0.5 * z * z) / (sd_beta * np.sqrt(2 * np.pi))

    def positive_part(b):
        return density_beta(b) * special.ndtr(shifted(b))

    def negative_part(b):
        return density_beta(b) * special.ndtr(-shifted(b))

    # Integrate over β within 12 sds of its mean (the rest is below 1e-30), split at 0.
    lower, upper = m_beta - 12 * sd_beta, m_beta + 12 * sd_beta
    total = 0.0
    if upper > 0:
        total += integrate.quad(positive_part, max(lower, 0.0), upper, epsabs=1e-13, epsrel=1e-11, limit=200)[0]
    if beta_positive:
        return total / special.ndtr(m_beta / sd_beta)
    if lower < 0:
        total += integrate.quad(negative_part, lower, min(upper, 0.0), epsabs=1e-13, epsrel=1e-11, limit=200)[0]
    return total


def ld50_normal_cdf(t, mean, cov, *, beta_positive: bool = True) -> np.ndarray:
    """CDF of LD50 = −α/β for (α, β) ~ N(mean, cov).

    Parameters
    ----------
    t : float or array_like
        Points at which to evaluate the CDF.
    mean : array_like, shape (2,)
        Mean of (α, β), e.g. a Laplace mode.
    cov : array_like, shape (2, 2)
        Covariance of (α, β); symmetric positive definite.
    beta_positive : bool, default True
        Condition on β > 0 (LD50 is meaningful only there); ``False`` takes every β,
        as a Monte Carlo estimate from unfiltered draws would.

    Returns
    -------
    numpy.ndarray
        ``P(−α/β ≤ t | β > 0)`` (or without the condition), of the shape of ``t``.

    Examples
    --------
    With α and β independent and β far from 0, LD50 is close to normal with sd
    ``sd(α) / mean(β)``:

    >>> float(ld50_normal_cdf(0.0, [0.0, 100.0], [[1.0, 0.0], [0.0, 1.0]]).round(6))
    0.5
    >>> float(ld50_normal_cdf(0.0196, [0.0, 100.0], [[1.0, 0.0], [0.0, 1.0]]).round(3))
    0.975
    """
    mean, cov = _check_normal(mean, cov, beta_positive)
    t = np.asarray(t, dtype=float)
    if not np.isfinite(t).all():
        raise ValueError("t must be finite")
    values = [_cdf_one(float(value), mean, cov, beta_positive) for value in t.ravel()]
    return np.clip(np.array(values), 0.0, 1.0).reshape(t.shape)


def ld50_normal_quantile(probs, mean, cov, *, beta_positive: bool = True) -> np.ndarray:
    """Quantiles of LD50 = −α/β for (α, β) ~ N(mean, cov), by root-finding on the CDF.

    Parameters
    ----------
    probs : float or array_like
        Probabilities strictly between 0 and 1.
    mean, cov, beta_positive
        As in :func:`ld50_normal_cdf`.

    Examples
    --------
    >>> ld50_normal_quantile([0.025, 0.975], [0.0, 100.0], [[1.0, 0.0], [0.0, 1.0]]).round(4).tolist()
    [-0.0196, 0.0196]
    """
    mean, cov = _check_normal(mean, cov, beta_positive)
    probs = np.asarray(probs, dtype=float)
    if not np.isfinite(probs).all() or np.any((probs <= 0) | (probs >= 1)):
        raise ValueError(f"probabilities must lie strictly between 0 and 1, got {probs.tolist()}")
    # Start the bracket at -alpha/beta at the mean, one delta-method-like sd either side,
    # and double its width until it holds the quantile.
    centre = -mean[0] / mean[1] if mean[1] > 0 else 0.0
    scale = np.sqrt(cov[0, 0]) / max(abs(mean[1]), np.sqrt(cov[1, 1]))
    out = []
    for p in probs.ravel():
        def excess(t, p=p):
            return _cdf_one(t, mean, cov, beta_positive) - p

        low, high = centre - scale, centre + scale
        while excess(low) > 0:
            low -= high - low
        while excess(high) < 0:
            high += high - low
        out.append(optimize.brentq(excess, low, high, xtol=1e-12, rtol=1e-12))
    return np.array(out).reshape(probs.shape)
