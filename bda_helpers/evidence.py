"""Normalising constants in one dimension by adaptive quadrature: the reference for Laplace's.

For a one-dimensional log density, ``Z = ∫ f(θ) dθ`` is cheap and accurate by quadrature
(:func:`scipy.integrate.quad`), which makes it the yardstick for the Laplace estimate
:attr:`~bda_helpers.LaplaceApproximation.log_evidence` and for normalising a density to plot it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
from scipy import integrate

__all__ = ["quadrature_log_evidence"]

#: How far (in log units) the log density may rise above its value at ``peak``. Beyond
#: e^300 the rescaled integrand heads for overflow: ``peak`` is then nowhere near the maximum.
_MAX_RISE_ABOVE_PEAK = 300.0


def _log_density_value(log_density: Callable[[float], float], theta: float) -> float:
    """``log_density(theta)`` as a float, refusing arrays with more than one value and NaN."""
    value = np.asarray(log_density(theta))
    if value.shape != ():
        raise ValueError(
            f"log_density must return a single number, got an array of shape {value.shape} at theta={theta}"
        )
    if not np.issubdtype(value.dtype, np.number) or np.issubdtype(value.dtype, np.complexfloating):
        raise TypeError(f"log_density must return a real number, got {value.dtype} at theta={theta}")
    value = float(value)
    if np.isnan(value):
        raise ValueError(f"log_density returned nan at theta={theta}")
    return value


def quadrature_log_evidence(
    log_density: Callable[[float], float],
    peak: float,
    *,
    lower: float = -np.inf,
    upper: float = np.inf,
    rtol: float = 1e-8,
) -> float:
    """``log ∫ f(θ) dθ`` over ``[lower, upper]`` by adaptive quadrature, for a 1-D log density.

    The integrand is ``exp(log f(θ) - log f(peak))``, at most about 1 near the peak, so
    neither overflows nor underflows where the mass is; the range is split at ``peak`` so
    that the quadrature rule cannot step over a narrow peak on an infinite range.

    Parameters
    ----------
    log_density : callable
        ``log_density(theta) -> float`` for a number ``theta``; ``-inf`` where the density is 0.
    peak : float
        A point at or near the highest value of the density (e.g. a mode), strictly inside
        ``(lower, upper)``.
    lower, upper : float, optional
        The range of integration, default the whole real line.
    rtol : float, default 1e-8
        The largest relative error estimate accepted from the quadrature.

    Returns
    -------
    float
        ``log Z``.

    Raises
    ------
    ValueError
        If ``peak`` is not finite or not inside the range, ``log_density(peak)`` is not
        finite, ``log_density`` returns an array rather than one number or returns NaN,
        the log density rises more than 300 above its value at ``peak`` (``peak`` is then
        far from the maximum and the rescaled integrand would overflow), the integral is not
        finite and positive, or the quadrature reports trouble (a warning from scipy or an
        error estimate above ``rtol``): then the result would not be a trustworthy reference.

    Examples
    --------
    The standard normal kernel ``exp(-θ²/2)`` integrates to ``sqrt(2π)``:

    >>> log_z = quadrature_log_evidence(lambda t: -0.5 * t**2, peak=0.0)
    >>> bool(np.isclose(log_z, 0.5 * np.log(2 * np.pi), rtol=1e-12))
    True
    >>> quadrature_log_evidence(lambda t: -0.5 * t**2, peak=3.0, upper=2.0)
    Traceback (most recent call last):
    ...
    ValueError: peak=3.0 must lie strictly inside (lower, upper) = (-inf, 2.0)
    """
    peak, lower, upper = float(peak), float(lower), float(upper)
    if not np.isfinite(peak):
        raise ValueError(f"peak must be finite, got {peak}")
    if np.isnan(lower) or np.isnan(upper) or not lower < peak < upper:
        raise ValueError(f"peak={peak} must lie strictly inside (lower, upper) = ({lower}, {upper})")
    if not (np.isfinite(rtol) and rtol > 0):
        raise ValueError(f"rtol must be a positive number, got {rtol}")
    offset = _log_density_value(log_density, peak)
    if not np.isfinite(offset):
        raise ValueError(f"log_density(peak) must be finite, got {offset} at peak={peak}")

    def integrand(theta: float) -> float:
        rise = _log_density_value(log_density, theta) - offset
        if rise > _MAX_RISE_ABOVE_PEAK:
            raise ValueError(
                f"peak={peak} is not near the maximum of the density: log_density({theta:.6g}) exceeds "
                f"log_density(peak) by {rise:.4g}; pass a point at or near the mode (e.g. from newton)"
            )
        return np.exp(rise)

    total = error = 0.0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for a, b in ((lower, peak), (peak, upper)):
            value, abserr = integrate.quad(integrand, a, b, epsabs=0.0, epsrel=rtol / 10, limit=200)
            total += value
            error += abserr
    if caught:
        warning = caught[0]
        raise ValueError(f"the quadrature is not trustworthy: {warning.category.__name__}: {warning.message}")
    if not (np.isfinite(total) and total > 0):
        raise ValueError(f"the integral of the density is not finite and positive: {total} × exp({offset})")
    if error > rtol * total:
        raise ValueError(
            f"the quadrature's error estimate {error / total:.2g} (relative) exceeds rtol={rtol:g}"
        )
    return offset + float(np.log(total))
