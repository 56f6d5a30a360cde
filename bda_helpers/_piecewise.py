"""A distribution whose mass is spread uniformly over consecutive segments: its CDF and quantiles.

Internal: shared by :class:`~bda_helpers.grid.GridPosterior` (the cells of a grid marginal) and
:mod:`bda_helpers.beyond.marginal_laplace` (trapezoid segments). The CDF rises linearly by
``segment_mass[k]`` across ``[knots[k], knots[k + 1]]``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["segment_cdf", "segment_quantile"]


def segment_cdf(knots: np.ndarray, segment_mass: np.ndarray, values) -> np.ndarray:
    """The CDF that rises linearly by ``segment_mass[k]`` across ``[knots[k], knots[k + 1]]``.

    Normalised to end at exactly 1; 0 below ``knots[0]`` and 1 above ``knots[-1]``.

    Parameters
    ----------
    knots : numpy.ndarray, shape (K + 1,)
        Increasing segment ends.
    segment_mass : numpy.ndarray, shape (K,)
        Non-negative mass of each segment, not all zero.
    values : float or array_like
        Where to evaluate the CDF.

    Examples
    --------
    >>> segment_cdf(np.array([0.0, 1.0, 3.0]), np.array([0.5, 0.5]), [0.5, 1.0, 2.0, 4.0]).tolist()
    [0.25, 0.5, 0.75, 1.0]
    """
    cumulative = np.concatenate([[0.0], np.cumsum(segment_mass)])
    return np.interp(values, knots, cumulative / cumulative[-1])


def segment_quantile(knots: np.ndarray, segment_mass: np.ndarray, q) -> np.ndarray:
    """The inverse of :func:`segment_cdf` at probabilities ``q`` in [0, 1].

    ``segment_mass`` must sum to 1 (up to rounding) and hold some positive mass.

    Examples
    --------
    >>> segment_quantile(np.array([0.0, 1.0, 3.0]), np.array([0.5, 0.5]), [0.25, 0.5, 0.75]).tolist()
    [0.5, 1.0, 2.0]
    """
    cum = np.cumsum(segment_mass)
    # Clip to the segments that hold mass: segments at the ends whose mass underflowed to 0
    # would otherwise be picked for q = 0 (or q = 1) and divide by zero below.
    positive = np.flatnonzero(segment_mass > 0)
    segment = np.clip(np.searchsorted(cum, q, side="left"), positive[0], positive[-1])
    before = np.where(segment > 0, cum[segment - 1], 0.0)
    fraction = np.clip((q - before) / segment_mass[segment], 0.0, 1.0)
    return knots[segment] + fraction * (knots[segment + 1] - knots[segment])
