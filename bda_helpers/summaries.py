"""Derived quantities and summaries of posterior draws."""

from __future__ import annotations

import numpy as np

__all__ = ["ld50", "quantiles", "central_interval"]


def ld50(alpha, beta) -> np.ndarray:
    """Log dose at which the death probability is 1/2: ``-alpha / beta``.

    LD50 is meaningful only for ``beta > 0`` (a dose that kills more as it grows); near
    ``beta = 0`` the ratio explodes. So this function refuses draws with ``beta <= 0``:
    condition on ``beta > 0`` first, and report how many draws that drops.

    Parameters
    ----------
    alpha, beta : array_like
        Draws (or values) of intercept and slope, broadcast against each other.

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    ValueError
        If any ``beta`` is not positive, or any value is not finite.

    Examples
    --------
    >>> ld50([0.8466], [7.7488]).round(4).tolist()
    [-0.1093]
    >>> ld50([0.5, 0.5], [2.0, -1.0])
    Traceback (most recent call last):
    ...
    ValueError: LD50 = -alpha/beta needs beta > 0, but 1 of 2 values have beta <= 0; keep the draws with beta > 0 first
    """
    alpha, beta = np.broadcast_arrays(np.asarray(alpha, dtype=float), np.asarray(beta, dtype=float))
    if not (np.isfinite(alpha).all() and np.isfinite(beta).all()):
        raise ValueError("alpha and beta must be finite")
    bad = int(np.count_nonzero(beta <= 0))
    if bad:
        raise ValueError(
            f"LD50 = -alpha/beta needs beta > 0, but {bad} of {beta.size} values have "
            f"beta <= 0; keep the draws with beta > 0 first"
        )
    return -alpha / beta


def quantiles(draws, probs) -> np.ndarray:
    """Sample quantiles of 1-D ``draws`` (numpy's default, linear interpolation).

    Examples
    --------
    >>> quantiles(np.arange(101.0), [0.025, 0.5, 0.975]).tolist()
    [2.5, 50.0, 97.5]
    """
    draws = np.asarray(draws, dtype=float)
    probs = np.asarray(probs, dtype=float)
    if draws.ndim != 1 or draws.size == 0:
        raise ValueError(f"draws must be a non-empty 1-D array, got shape {draws.shape}")
    if not np.isfinite(draws).all():
        raise ValueError("draws must be finite")
    if np.any(~np.isfinite(probs)) or np.any((probs < 0) | (probs > 1)):
        raise ValueError(f"quantile probabilities must lie in [0, 1], got {probs.tolist()}")
    return np.quantile(draws, probs)


def central_interval(draws, level: float = 0.95) -> np.ndarray:
    """The central ``level`` interval of 1-D ``draws``, as ``[lower, upper]``.

    Examples
    --------
    >>> central_interval(np.arange(101.0), 0.5).tolist()
    [25.0, 75.0]
    """
    if not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level}")
    return quantiles(draws, [(1 - level) / 2, (1 + level) / 2])
