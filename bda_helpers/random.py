"""Checks shared by every function that draws random numbers."""

from __future__ import annotations

import numpy as np

from ._validation import check_int

__all__ = ["check_draw_count", "check_generator"]


def check_draw_count(n) -> int:
    """Return ``n`` as an int if it is a positive whole number of draws, else raise.

    Examples
    --------
    >>> check_draw_count(1500)
    1500
    >>> check_draw_count(0)
    Traceback (most recent call last):
    ...
    ValueError: the number of draws must be at least 1, got 0
    """
    return check_int(n, "the number of draws", minimum=1)


def check_generator(rng) -> np.random.Generator:
    """Return ``rng`` if it is a ``numpy.random.Generator``, else raise ``TypeError``.

    Seeds and the legacy ``RandomState`` are refused on purpose: every random draw in the
    course goes through one explicit Generator, so a notebook re-runs to the same numbers.

    Examples
    --------
    >>> check_generator(np.random.default_rng(2)).__class__.__name__
    'Generator'
    >>> check_generator(42)
    Traceback (most recent call last):
    ...
    TypeError: rng must be a numpy.random.Generator (e.g. np.random.default_rng(42)), got int
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator (e.g. np.random.default_rng(42)), got {type(rng).__name__}"
        )
    return rng
