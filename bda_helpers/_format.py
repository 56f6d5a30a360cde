"""Arrays in error messages: whole when small, a short summary when large."""

from __future__ import annotations

import numpy as np

#: Arrays with at most this many entries are shown in full.
FULL_LIMIT = 12


def brief(values) -> str:
    """``values`` as a list when small, else its shape, first four and last two entries.

    A message about a 1000 × 1000 Hessian should not be megabytes long. Sorted values such
    as ``eigvalsh``'s keep their smallest entries at the front, the ones that matter.

    Examples
    --------
    >>> brief([[1.0, 2.0], [3.0, 4.0]])
    '[[1.0, 2.0], [3.0, 4.0]]'
    >>> brief(np.arange(100.0))
    'array of shape (100,): [0.0, 1.0, 2.0, 3.0, ..., 98.0, 99.0]'
    """
    array = np.asarray(values, dtype=float)
    if array.size <= FULL_LIMIT:
        return str(array.tolist())
    flat = array.ravel()
    head, tail = ", ".join(map(repr, flat[:4].tolist())), ", ".join(map(repr, flat[-2:].tolist()))
    return f"array of shape {array.shape}: [{head}, ..., {tail}]"
