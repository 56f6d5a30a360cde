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
    P(−α/β ≤ t, β < 0) = ∫_−∞^0 p(b) Φ(−(m(b) + t b) / s) db,

and the upper tails ``P(−α/β > t, ...)`` the same with the signs inside Φ flipped. For
large ``|t|`` the factor Φ switches from 0 to 1 within a narrow band of b near the point
``b*`` where ``m(b) + t b = 0``; the integrals are split there, and each tail is integrated
directly, so that probabilities far in the tails keep their relative accuracy.
"""

from __future__ import annotations

import numpy as np
from scipy import integrate, optimize, special, stats

from .summaries import check_bivariate_normal

__all__ = ["ld50_normal_cdf", "ld50_normal_quantile"]

#: Tail probabilities (``min(p, 1 - p)``) below this are refused: the integral over β stops
#: 12 sds from its mean, which leaves out up to 4e-33 of mass and would swamp them.
SMALLEST_TAIL = 1e-20

#: Where Φ((m(b) + t b) / s) switches from 0 to 1 — at b* (value 0) and around it — the
#: integrand changes over a width of ``s / |t + c / v_β|`` in b, which is tiny for large |t|.
#: The integration over β is split at these values of ``(m(b) + t b) / s``, so quadrature
#: cannot step over the switch (Φ is below 1e-300 at -37).
_SWITCH_LEVELS = np.array([-37.0, -20.0, -10.0, -5.0, -2.0, 0.0, 2.0, 5.0, 10.0, 20.0, 37.0])

#: Relative accuracy asked of each quadrature.
_RTOL = 1e-10


def _check_normal(mean, cov, beta_positive: bool) -> tuple[np.ndarray, np.ndarray]:
    mean, cov = check_bivariate_normal(mean, cov, definite=True)
    if beta_positive and stats.norm.sf(0.0, mean[1], np.sqrt(cov[1, 1])) < 1e-12:
        raise ValueError("the normal puts (almost) no mass at beta > 0: nothing to condition on")
    return mean, cov


def _tail_one(t: float, mean: np.ndarray, cov: np.ndarray, beta_positive: bool, upper: bool) -> float:
    """``P(−α/β ≤ t)`` or, if ``upper``, ``P(−α/β > t)`` (given β > 0 if ``beta_positive``).

    Each tail is integrated on its own, so a probability near 0 keeps its relative accuracy
    instead of being the difference of two numbers near 1.
    """
    m_alpha, m_beta = mean
    v_alpha, c, v_beta = cov[0, 0], cov[0, 1], cov[1, 1]
    sd_beta = np.sqrt(v_beta)
    s = np.sqrt(v_alpha - c**2 / v_beta)
    # (m(b) + t b) / s = intercept + slope * b
    intercept = (m_alpha - c * m_beta / v_beta) / s
    slope = (c / v_beta + t) / s

    def integrand(b, sign):
        z = (b - m_beta) / sd_beta
        return (
            np.exp(-0.5 * z * z)
            / (sd_beta * np.sqrt(2 * np.pi))
            * special.ndtr(sign * (intercept + slope * b))
        )

    switches = (_SWITCH_LEVELS - intercept) / slope if slope != 0 else np.array([])
    # Integrate over β within 12 sds of its mean (the rest is below 4e-33), split at 0:
    # for β > 0 the lower tail is {α + tβ ≥ 0}, for β < 0 it is {α + tβ ≤ 0}.
    lower, upper_end = m_beta - 12 * sd_beta, m_beta + 12 * sd_beta
    pieces = []
    if upper_end > 0:
        pieces.append((max(lower, 0.0), upper_end, -1.0 if upper else 1.0))
    if not beta_positive and lower < 0:
        pieces.append((lower, min(upper_end, 0.0), 1.0 if upper else -1.0))
    total = error = 0.0
    for start, stop, sign in pieces:
        points = [b for b in switches if start < b < stop] or None
        value, bound, *_ = integrate.quad(
            integrand,
            start,
            stop,
            args=(sign,),
            points=points,
            epsabs=0.0,
            epsrel=_RTOL,
            limit=200,
            full_output=1,
        )
        total += value
        error += bound
    if error > 1e-6 * total + 1e-300:
        raise ValueError(
            f"the quadrature for the LD50 tail at t={t} did not converge "
            f"(value {total:.3g}, error bound {error:.3g})"
        )
    if beta_positive:
        return total / special.ndtr(m_beta / sd_beta)
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

    Raises
    ------
    ValueError
        If ``mean`` does not have shape (2,) or ``cov`` shape (2, 2), a value is not
        finite, ``cov`` is not symmetric positive definite, ``beta_positive`` and the
        normal has (almost) no mass at β > 0, or the quadrature does not converge.

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
    values = [_tail_one(float(value), mean, cov, beta_positive, upper=False) for value in t.ravel()]
    return np.clip(np.array(values), 0.0, 1.0).reshape(t.shape)


def ld50_normal_quantile(probs, mean, cov, *, beta_positive: bool = True) -> np.ndarray:
    """Quantiles of LD50 = −α/β for (α, β) ~ N(mean, cov), by root-finding on the CDF.

    A probability ``p`` below 1/2 is found on the lower tail ``P(−α/β ≤ t)``, one above on
    the upper tail ``P(−α/β > t) = 1 − p``, each integrated directly, so quantiles stay
    accurate far into the heavy tails (``P(−α/β ≤ t)`` falls only like ``1/|t|``).

    Parameters
    ----------
    probs : float or array_like
        Probabilities strictly between 0 and 1, with ``min(p, 1 − p) ≥ SMALLEST_TAIL``
        (1e-20).
    mean, cov, beta_positive
        As in :func:`ld50_normal_cdf`.

    Returns
    -------
    numpy.ndarray
        The quantiles ``t`` with ``P(−α/β ≤ t | β > 0) = p`` (or without the condition),
        of the shape of ``probs``.

    Raises
    ------
    ValueError
        If ``mean`` or ``cov`` are invalid (see :func:`ld50_normal_cdf`), a probability is
        not strictly between 0 and 1, or it is within ``SMALLEST_TAIL`` of 0 or 1, beyond
        what the quadrature resolves.

    Examples
    --------
    >>> ld50_normal_quantile([0.025, 0.975], [0.0, 100.0], [[1.0, 0.0], [0.0, 1.0]]).round(4).tolist()
    [-0.0196, 0.0196]

    When β's normal reaches 0 the tails are heavy: the bioassay fit's 1-in-10,000
    lower quantile is far below its 2.5 % one.

    >>> fit_mean, fit_cov = [0.8466, 7.7488], [[1.0385, 3.5460], [3.5460, 23.7439]]
    >>> ld50_normal_quantile([1e-4, 0.025], fit_mean, fit_cov).round(2).tolist()
    [-38.44, -0.39]
    """
    mean, cov = _check_normal(mean, cov, beta_positive)
    probs = np.asarray(probs, dtype=float)
    if not np.isfinite(probs).all() or np.any((probs <= 0) | (probs >= 1)):
        raise ValueError(f"probabilities must lie strictly between 0 and 1, got {probs.tolist()}")
    if np.any(np.minimum(probs, 1 - probs) < SMALLEST_TAIL):
        raise ValueError(
            f"probabilities within {SMALLEST_TAIL:g} of 0 or 1 are beyond the accuracy of the quadrature, "
            f"got {probs.tolist()}"
        )
    # Start the bracket at -alpha/beta at the mean, one delta-method-like sd either side,
    # and double its width until it holds the quantile.
    centre = -mean[0] / mean[1] if mean[1] > 0 else 0.0
    scale = np.sqrt(cov[0, 0]) / max(abs(mean[1]), np.sqrt(cov[1, 1]))
    out = []
    for p in probs.ravel():
        if p <= 0.5:

            def excess(t, p=p):  # increasing in t
                return _tail_one(t, mean, cov, beta_positive, upper=False) - p
        else:

            def excess(t, p=p):  # increasing in t; 1 - p is exact for p > 1/2
                return (1 - p) - _tail_one(t, mean, cov, beta_positive, upper=True)

        low, high = centre - scale, centre + scale
        for _ in range(2000):
            if excess(low) <= 0:
                break
            low -= high - low
        for _ in range(2000):
            if excess(high) >= 0:
                break
            high += high - low
        if not (np.isfinite(low) and np.isfinite(high) and excess(low) <= 0 <= excess(high)):
            raise ValueError(f"could not bracket the {p} quantile of -alpha/beta")
        out.append(optimize.brentq(excess, low, high, xtol=1e-12, rtol=1e-12))
    return np.array(out).reshape(probs.shape)
