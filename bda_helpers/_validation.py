"""Checks shared by the public functions of :mod:`bda_helpers`, so each error reads the same everywhere.

Internal: the public functions call these at their boundary; nothing here is part of the course's API.
"""

from __future__ import annotations

import numbers

import numpy as np

#: log of the largest float (about 709.78): ``exp(x)`` overflows for ``x`` above it.
LOG_FLOAT_MAX = float(np.log(np.finfo(float).max))


def check_int(value, name: str, *, minimum: int | None = None) -> int:
    """``value`` as an ``int``, refusing bools, floats and anything below ``minimum``.

    Examples
    --------
    >>> check_int(np.int64(3), "n", minimum=1)
    3
    >>> check_int(2.0, "n")
    Traceback (most recent call last):
    ...
    TypeError: n must be an integer, got float 2.0
    >>> check_int(0, "n", minimum=1)
    Traceback (most recent call last):
    ...
    ValueError: n must be at least 1, got 0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def check_real(value, name: str) -> float:
    """``value`` as a finite ``float``, refusing bools, strings and arrays.

    Examples
    --------
    >>> check_real(np.float32(0.5), "level")
    0.5
    >>> check_real("0.5", "level")
    Traceback (most recent call last):
    ...
    TypeError: level must be a real number, got str '0.5'
    >>> check_real(float("nan"), "level")
    Traceback (most recent call last):
    ...
    ValueError: level must be finite, got nan
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return float(value)


def check_positive_int(value, name: str) -> int:
    """``value`` as an ``int`` of at least 1 (see :func:`check_int`).

    Examples
    --------
    >>> check_positive_int(4, "draws")
    4
    """
    return check_int(value, name, minimum=1)


def read_only(values, dtype=float) -> np.ndarray:
    """A read-only copy of ``values`` as an array: results can be shared without being changed.

    Examples
    --------
    >>> frozen = read_only([1, 2])
    >>> frozen.dtype, frozen.flags.writeable
    (dtype('float64'), False)
    """
    array = np.array(values, dtype=dtype)
    array.flags.writeable = False
    return array


def check_finite(values, what: str) -> np.ndarray:
    """``values`` as a float array, refusing NaN and infinity and naming the first one.

    Examples
    --------
    >>> check_finite([1.0, np.inf], "x")
    Traceback (most recent call last):
    ...
    ValueError: x must be finite, got inf at index (1,)
    """
    array = np.asarray(values, dtype=float)
    bad = ~np.isfinite(array)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{what} must be finite, got {array[index]} at index {index}")
    return array


def check_points(theta, names: str, what: str = "theta", *, batch: bool = True) -> np.ndarray:
    """Points of a two-parameter model as a finite float array: one point of shape (2,) or,
    with ``batch``, points stacked along leading axes, shape (..., 2).

    ``names`` names the two parameters in the messages; a batch's messages name its shape, or
    the first point that is not finite.

    Examples
    --------
    >>> check_points([[0.0, 1.0], [np.nan, 2.0]], "alpha, beta")
    Traceback (most recent call last):
    ...
    ValueError: theta must be finite, got [nan, 2.0] at index (1,)
    >>> check_points([[0.0, 1.0]], "mu, log_sigma", batch=False)
    Traceback (most recent call last):
    ...
    ValueError: theta must be (mu, log_sigma) with shape (2,), got shape (1, 2)
    """
    theta = np.asarray(theta, dtype=float)
    if theta.ndim <= 1 or not batch:
        if theta.shape != (2,):
            raise ValueError(f"{what} must be ({names}) with shape (2,), got shape {theta.shape}")
        if not np.isfinite(theta).all():
            raise ValueError(f"{what} must be finite, got {theta.tolist()}")
        return theta
    if theta.shape[-1] != 2:
        raise ValueError(f"{what} must be points ({names}) with shape (..., 2), got shape {theta.shape}")
    bad = ~np.isfinite(theta).all(axis=-1)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{what} must be finite, got {theta[index].tolist()} at index {index}")
    return theta


def check_not_empty(entries: dict, name: str, entry: str) -> None:
    """Refuse an empty mapping ``entries``, saying what one entry should be.

    Examples
    --------
    >>> check_not_empty({}, "gaussians", "(mean, cov) pair")
    Traceback (most recent call last):
    ...
    ValueError: gaussians is empty: give at least one (mean, cov) pair
    """
    if not entries:
        raise ValueError(f"{name} is empty: give at least one {entry}")
