"""Loaders for the course's data sets, with validation of what they read.

The files live in the repository's ``data/`` folder (see ``data/README.md`` for their
sources). Every loader checks its input and raises ``ValueError`` naming the first
problem it finds, so a damaged file never turns into a silent ``nan`` later on.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["DATA_DIR", "BioassayData", "load_bioassay", "load_windshieldy"]

#: The repository's ``data/`` folder (the package is installed editable from the repo).
DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def _as_finite_vector(values, name: str) -> np.ndarray:
    """Return ``values`` as a 1-D float array, or raise naming what is wrong."""
    array = np.array(values, dtype=float)  # a copy: never alias or freeze the caller's array
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        i = bad[0]
        raise ValueError(f"{name}[{i}]={array[i]} is not finite")
    return array


def _as_counts(values, name: str) -> np.ndarray:
    """Return ``values`` as a 1-D integer array of non-negative whole numbers."""
    array = _as_finite_vector(values, name)
    for i, value in enumerate(array):
        if value != np.round(value):
            raise ValueError(f"{name}[{i}]={value} is not a whole number")
        if value < 0:
            raise ValueError(f"{name}[{i}]={value:g} is negative")
    return array.astype(np.int64)


@dataclass(frozen=True)
class BioassayData:
    """Dose groups of a bioassay experiment.

    Parameters
    ----------
    x : array_like
        Log dose of each group.
    n : array_like
        Number of animals in each group (positive whole numbers).
    y : array_like
        Number of deaths in each group (whole numbers with ``0 <= y <= n``).

    Raises
    ------
    ValueError
        If the arrays are empty, of different lengths, not finite, or the counts are
        not whole numbers with ``0 <= y <= n`` and ``n > 0``.

    Examples
    --------
    >>> data = BioassayData(x=[-0.86, -0.30, -0.05, 0.73], n=[5, 5, 5, 5], y=[0, 1, 3, 5])
    >>> data.y.tolist()
    [0, 1, 3, 5]
    >>> BioassayData(x=[0.0], n=[5], y=[6])
    Traceback (most recent call last):
    ...
    ValueError: y[0]=6 exceeds n[0]=5
    """

    x: np.ndarray
    n: np.ndarray
    y: np.ndarray

    def __post_init__(self) -> None:
        x = _as_finite_vector(self.x, "x")
        n = _as_counts(self.n, "n")
        y = _as_counts(self.y, "y")
        if not (x.size == n.size == y.size):
            raise ValueError(f"x, n and y must have the same length, got {x.size}, {n.size} and {y.size}")
        if x.size == 0:
            raise ValueError("the data are empty: x, n and y have no entries")
        for i in range(x.size):
            if n[i] == 0:
                raise ValueError(f"n[{i}]=0: every dose group needs at least one animal")
            if y[i] > n[i]:
                raise ValueError(f"y[{i}]={y[i]} exceeds n[{i}]={n[i]}")
        for name, array in (("x", x), ("n", n), ("y", y)):
            array.flags.writeable = False
            object.__setattr__(self, name, array)

    def __len__(self) -> int:
        return self.x.size


def load_bioassay(path: str | Path | None = None) -> BioassayData:
    """Read the bioassay data (BDA3 Table 3.1) from a CSV file with columns x, n, y.

    Parameters
    ----------
    path : str or Path, optional
        The CSV file; defaults to ``data/bioassay.csv`` in the repository.

    Returns
    -------
    BioassayData
        The validated dose groups.

    Raises
    ------
    ValueError
        If the header is not ``x,n,y``, a row has the wrong number of fields or a value
        that is not a number, or the values fail :class:`BioassayData`'s checks.

    Examples
    --------
    >>> data = load_bioassay()
    >>> data.x.tolist(), data.n.tolist(), data.y.tolist()
    ([-0.86, -0.3, -0.05, 0.73], [5, 5, 5, 5], [0, 1, 3, 5])
    """
    path = Path(path) if path is not None else DATA_DIR / "bioassay.csv"
    with open(path, newline="") as handle:
        rows = [row for row in csv.reader(handle) if row]
    if not rows or [field.strip() for field in rows[0]] != ["x", "n", "y"]:
        header = rows[0] if rows else "nothing"
        raise ValueError(f"{path.name}: expected the header 'x,n,y', found {header}")
    columns: list[list[float]] = [[], [], []]
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != 3:
            raise ValueError(f"{path.name} line {line}: expected 3 fields, found {len(row)}")
        for column, field in zip(columns, row):
            try:
                column.append(float(field))
            except ValueError:
                raise ValueError(f"{path.name} line {line}: {field.strip()!r} is not a number") from None
    return BioassayData(x=columns[0], n=columns[1], y=columns[2])


def load_windshieldy(path: str | Path | None = None) -> np.ndarray:
    """Read the windshield hardness measurements, one number per line.

    Parameters
    ----------
    path : str or Path, optional
        The text file; defaults to ``data/windshieldy1.txt`` in the repository.

    Returns
    -------
    numpy.ndarray
        The measurements as a read-only float array.

    Raises
    ------
    ValueError
        If a line is not a number, a value is not finite, or there are fewer than two
        values (a sample variance needs two).

    Examples
    --------
    >>> y = load_windshieldy()
    >>> y.size, round(float(y.mean()), 3)
    (9, 14.611)
    """
    path = Path(path) if path is not None else DATA_DIR / "windshieldy1.txt"
    values = []
    for line, text in enumerate(Path(path).read_text().splitlines(), start=1):
        if not text.strip():
            continue
        try:
            values.append(float(text))
        except ValueError:
            raise ValueError(f"{path.name} line {line}: {text.strip()!r} is not a number") from None
    y = _as_finite_vector(values, "y")
    if y.size < 2:
        raise ValueError(f"{path.name}: need at least two measurements, found {y.size}")
    y.flags.writeable = False
    return y
