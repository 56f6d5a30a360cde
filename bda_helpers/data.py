"""Loaders for the course's data sets, with validation of what they read.

The files live in the repository's ``data/`` folder, with their sources and terms in
``data/README.md``. They install with the package as ``bda_helpers.datasets`` (in the editable
install of the repository and in a wheel alike), and :func:`data_file` finds them with
:mod:`importlib.resources`, so the loaders work from any working directory. Every loader checks
what it reads and raises ``ValueError`` naming the file, the line and the first problem it finds,
so a damaged file never turns into a silent ``nan`` or a wrapped-around integer later on.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import numpy as np

from ._validation import read_only

__all__ = [
    "MAX_COUNT",
    "BioassayData",
    "SchoolsData",
    "data_file",
    "load_bioassay",
    "load_windshieldy",
    "load_eight_schools",
]

#: The package the data files install as (the repository's ``data/`` folder).
_DATASETS = "bda_helpers.datasets"
#: What the data files are (the folder also holds ``__init__.py`` and ``README.md``).
_DATA_SUFFIXES = (".csv", ".txt")

#: The largest count accepted, 2**53: above it floating point does not hold every whole number.
MAX_COUNT = 2**53


def data_file(name: str) -> Traversable:
    """One of the data files shipped with the package, found with :mod:`importlib.resources`.

    Parameters
    ----------
    name : str
        The file's name, e.g. ``"bioassay.csv"``.

    Returns
    -------
    importlib.resources.abc.Traversable
        The file; in an ordinary install (the repository's editable one, or a wheel) a
        :class:`pathlib.Path`.

    Raises
    ------
    FileNotFoundError
        If no data file has that name (the message lists the ones there are), or if the data
        sets' package is not installed (e.g. the repository is on ``sys.path`` but not installed).

    Examples
    --------
    >>> data_file("bioassay.csv").name
    'bioassay.csv'
    >>> data_file("bioassay.xlsx")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: no data file 'bioassay.xlsx'; the data files are bioassay.csv, eight_schools.csv, ...
    """
    try:
        folder = resources.files(_DATASETS)
    except ModuleNotFoundError:
        raise FileNotFoundError(
            f"the data sets (package {_DATASETS}) are not installed: install bda_helpers with "
            "`python -m pip install -e .` in the repository (or `python -m pip install .`)"
        ) from None
    names = sorted(item.name for item in folder.iterdir() if item.name.endswith(_DATA_SUFFIXES))
    if name not in names:
        raise FileNotFoundError(f"no data file {name!r}; the data files are {', '.join(names)}")
    return folder / name


def _show(value: float) -> str:
    """A number as a message shows it: whole numbers without a decimal point, others exactly."""
    if np.isfinite(value) and value == np.round(value) and abs(value) < 1e16:
        return str(int(value))
    return repr(float(value))


def _as_vector(values, name: str) -> np.ndarray:
    """``values`` as a new 1-D float array (never the caller's), or raise naming what is wrong."""
    if np.iscomplexobj(values):
        raise ValueError(f"{name} must be real numbers, got complex values")
    try:
        array = np.array(values, dtype=float)
    except (TypeError, ValueError, OverflowError) as error:
        raise ValueError(f"{name} must be numbers: {error}") from None
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array


def _count_problem(value: float) -> str | None:
    """What makes ``value`` no count of animals, or None if it is one."""
    if not np.isfinite(value):
        return "is not finite"
    if value != np.round(value):
        return "is not a whole number"
    if value < 0:
        return "is negative"
    if value > MAX_COUNT:
        return f"is too large for a count (the limit is 2**53 = {MAX_COUNT})"
    return None


def _group_problem(i: int, x: np.ndarray, n: np.ndarray, y: np.ndarray) -> str | None:
    """What is wrong with dose group ``i``, e.g. ``'y[2]=6 exceeds n[2]=5'``, or None."""
    if not np.isfinite(x[i]):
        return f"x[{i}]={_show(x[i])} is not finite"
    for name, values in (("n", n), ("y", y)):
        problem = _count_problem(values[i])
        if problem is not None:
            return f"{name}[{i}]={_show(values[i])} {problem}"
    if n[i] == 0:
        return f"n[{i}]=0: every dose group needs at least one animal"
    if y[i] > n[i]:
        return f"y[{i}]={_show(y[i])} exceeds n[{i}]={_show(n[i])}"
    return None


@dataclass(frozen=True)
class BioassayData:
    """Dose groups of a bioassay experiment.

    Parameters
    ----------
    x : array_like
        Log dose of each group.
    n : array_like
        Number of animals in each group (whole numbers from 1 to :data:`MAX_COUNT`).
    y : array_like
        Number of deaths in each group (whole numbers with ``0 <= y <= n``).

    The arrays are copied and made read-only; ``n`` and ``y`` become integer arrays. Dose groups
    may share a dose (replicate batches).

    Raises
    ------
    ValueError
        If the arrays are empty, of different lengths, not one-dimensional or not numbers, if an
        ``x`` is not finite, or if the counts are not whole numbers with ``1 <= n <= 2**53`` and
        ``0 <= y <= n``. The message names the first bad entry.

    Examples
    --------
    >>> data = BioassayData(x=[-0.86, -0.30, -0.05, 0.73], n=[5, 5, 5, 5], y=[0, 1, 3, 5])
    >>> data.y.tolist()
    [0, 1, 3, 5]
    >>> BioassayData(x=[0.0], n=[5], y=[6])
    Traceback (most recent call last):
    ...
    ValueError: y[0]=6 exceeds n[0]=5
    >>> BioassayData(x=[0.0], n=[1e19], y=[1])
    Traceback (most recent call last):
    ...
    ValueError: n[0]=1e+19 is too large for a count (the limit is 2**53 = 9007199254740992)
    """

    x: np.ndarray
    n: np.ndarray
    y: np.ndarray

    def __post_init__(self) -> None:
        x, n, y = _as_vector(self.x, "x"), _as_vector(self.n, "n"), _as_vector(self.y, "y")
        if not (x.size == n.size == y.size):
            raise ValueError(f"x, n and y must have the same length, got {x.size}, {n.size} and {y.size}")
        if x.size == 0:
            raise ValueError("the data are empty: x, n and y have no entries")
        for i in range(x.size):
            problem = _group_problem(i, x, n, y)
            if problem is not None:
                raise ValueError(problem)
        object.__setattr__(self, "x", read_only(x))
        object.__setattr__(self, "n", read_only(n, dtype=np.int64))
        object.__setattr__(self, "y", read_only(y, dtype=np.int64))

    def __len__(self) -> int:
        return self.x.size


def _open(path: str | os.PathLike | None, default: str) -> tuple[Traversable, str]:
    """The file to read (``path``, or the bundled data file ``default``) and the name messages use."""
    source = data_file(default) if path is None else Path(path)
    return source, source.name


def _read_text(source: Traversable, label: str) -> str:
    """The file's text, refusing a binary file or one that is not UTF-8 with a message naming it."""
    raw = source.read_bytes()
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ValueError(f"{label} is UTF-16 text, not UTF-8: save it as UTF-8 (plain text)")
    nul = raw.find(b"\0")
    if nul >= 0:
        raise ValueError(f"{label} is not a text file: it holds a NUL byte (at offset {nul})")
    try:
        return raw.decode("utf-8-sig")  # a byte-order mark (as some spreadsheets write) is dropped
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{label} is not UTF-8 text: byte 0x{raw[error.start]:02x} at offset {error.start} "
            "cannot be decoded (is it a binary file? save it as plain UTF-8 text)"
        ) from error


def _csv_rows(
    text: str, label: str, header: list[str], per: str, names: int = 0
) -> tuple[list[list], list[int]]:
    """The rows of a CSV text with the given ``header`` (its first ``names`` columns kept as text,
    the others read as numbers) and the line each comes from; ``per`` says what one row is."""
    expected = ",".join(header)
    reader = csv.reader(io.StringIO(text, newline=""))
    found, rows, lines = None, [], []
    try:
        for row in reader:
            if not any(field.strip() for field in row):
                continue  # a blank line, or a row of empty fields
            if found is None:
                found = [field.strip() for field in row]
                if found != header:
                    raise ValueError(f"{label}: expected the header '{expected}', found {found}")
                continue
            where = f"{label} line {reader.line_num}"
            if len(row) != len(header):
                raise ValueError(f"{where}: expected {len(header)} fields, found {len(row)}")
            values = [field.strip() for field in row[:names]]
            for field in row[names:]:
                try:
                    values.append(float(field))
                except ValueError:
                    raise ValueError(f"{where}: {field.strip()!r} is not a number") from None
            rows.append(values)
            lines.append(reader.line_num)
    except csv.Error as error:
        raise ValueError(f"{label} line {reader.line_num}: not valid CSV ({error})") from error
    if found is None:
        raise ValueError(f"{label}: expected the header '{expected}', found nothing (the file is empty)")
    if not rows:
        raise ValueError(
            f"{label}: no data after the header '{expected}': expected one row {expected} per {per}"
        )
    return rows, lines


def load_bioassay(path: str | os.PathLike | None = None) -> BioassayData:
    """Read the bioassay data (BDA3 Table 3.1) from a CSV file with columns x, n, y.

    Parameters
    ----------
    path : str or path-like, optional
        The CSV file, UTF-8 text; defaults to the bundled ``bioassay.csv`` (see :func:`data_file`).

    Returns
    -------
    BioassayData
        The validated dose groups.

    Raises
    ------
    ValueError
        If the file is binary or not UTF-8, is empty, its header is not ``x,n,y``, it has no
        data rows, a row has the wrong number of fields or a value that is not a number, or the
        values fail :class:`BioassayData`'s checks. The message names the file and the line.
    FileNotFoundError
        If the file does not exist.

    Examples
    --------
    >>> data = load_bioassay()
    >>> data.x.tolist(), data.n.tolist(), data.y.tolist()
    ([-0.86, -0.3, -0.05, 0.73], [5, 5, 5, 5], [0, 1, 3, 5])
    """
    source, label = _open(path, "bioassay.csv")
    rows, lines = _csv_rows(_read_text(source, label), label, ["x", "n", "y"], "dose group")
    x, n, y = (np.array(column) for column in zip(*rows))
    for i, line in enumerate(lines):
        problem = _group_problem(i, x, n, y)
        if problem is not None:
            raise ValueError(f"{label} line {line}: {problem}")
    return BioassayData(x=x, n=n, y=y)


def load_windshieldy(path: str | os.PathLike | None = None) -> np.ndarray:
    """Read the windshield hardness measurements, one number per line.

    Parameters
    ----------
    path : str or path-like, optional
        The text file, UTF-8; defaults to the bundled ``windshieldy1.txt`` (see :func:`data_file`).

    Returns
    -------
    numpy.ndarray
        The measurements as a read-only float array.

    Raises
    ------
    ValueError
        If the file is binary or not UTF-8, a line is not a number, a value is not finite, or
        there are fewer than two values (a sample variance needs two). The message names the
        file (and the line).
    FileNotFoundError
        If the file does not exist.

    Examples
    --------
    >>> y = load_windshieldy()
    >>> y.size, round(float(y.mean()), 3)
    (9, 14.611)
    """
    source, label = _open(path, "windshieldy1.txt")
    values = []
    for line, text in enumerate(_read_text(source, label).splitlines(), start=1):
        if not text.strip():
            continue
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{label} line {line}: {text.strip()!r} is not a number") from None
        if not np.isfinite(value):
            raise ValueError(f"{label} line {line}: y[{len(values)}]={_show(value)} is not finite")
        values.append(value)
    if len(values) < 2:
        raise ValueError(f"{label}: need at least two measurements, found {len(values)}")
    return read_only(values)


@dataclass(frozen=True)
class SchoolsData:
    """Estimated effects and their standard errors in J groups (the eight schools of BDA3 §5.5).

    Parameters
    ----------
    school : sequence of str
        The groups' names, non-empty and distinct; leading and trailing spaces are stripped.
    y : array_like
        The estimated effect in each group (finite numbers).
    sigma : array_like
        The standard error of each estimate (finite and positive), taken as known.

    ``school`` becomes a tuple, ``y`` and ``sigma`` read-only float arrays (copies).

    Raises
    ------
    ValueError
        If there are no groups, the lengths differ, a name is empty or repeated (after leading
        and trailing spaces are stripped, as :func:`load_eight_schools` does), a ``y`` is not
        finite or has ``|y| > 6e153`` (so that squared differences of effects fit in floating
        point), or a ``sigma`` is not finite and positive or lies outside ``[1.5e-154, 9e153]``
        (where ``sigma²`` neither underflows nor overflows, nor does ``sigma² + tau²``). The
        message names the first bad entry.
    TypeError
        If a school's name is not a string.

    Examples
    --------
    >>> data = SchoolsData(school=["A", "B"], y=[28, 8], sigma=[15, 10])
    >>> data.y.tolist(), len(data)
    ([28.0, 8.0], 2)
    >>> SchoolsData(school=["A", "B"], y=[28, 8], sigma=[15, 0])
    Traceback (most recent call last):
    ...
    ValueError: sigma[1]=0 is not positive: a standard error must be > 0
    """

    school: tuple[str, ...]
    y: np.ndarray
    sigma: np.ndarray

    def __post_init__(self) -> None:
        school = tuple(self.school) if not isinstance(self.school, str) else (self.school,)
        school = tuple(name.strip() if isinstance(name, str) else name for name in school)
        y, sigma = _as_vector(self.y, "y"), _as_vector(self.sigma, "sigma")
        if not (len(school) == y.size == sigma.size):
            raise ValueError(
                f"school, y and sigma must have the same length, got {len(school)}, {y.size} and {sigma.size}"
            )
        if y.size == 0:
            raise ValueError("the data are empty: school, y and sigma have no entries")
        for i in range(y.size):
            problem = _school_problem(i, school, y, sigma)
            if problem is not None:
                raise ValueError(problem)
        object.__setattr__(self, "school", school)
        object.__setattr__(self, "y", read_only(y))
        object.__setattr__(self, "sigma", read_only(sigma))

    def __len__(self) -> int:
        return self.y.size


#: The standard errors allowed: sigma² does not underflow (sqrt of the smallest normal float is
#: 1.49e-154) and sigma² plus another square up to 8.2e307 (tau² in the eight schools model) fits.
_MIN_SIGMA, _MAX_SIGMA = 1.5e-154, 9e153
#: The largest |y|: two effects then differ by at most 1.2e154, whose square still fits.
_MAX_ABS_EFFECT = 6e153


def _school_problem(i: int, school: tuple, y: np.ndarray, sigma: np.ndarray) -> str | None:
    """What is wrong with group ``i``, e.g. ``'sigma[1]=0 is not positive: ...'``, or None."""
    if not isinstance(school[i], str):
        raise TypeError(f"school[{i}] must be a name (a string), got {type(school[i]).__name__}")
    if not school[i].strip():
        return f"school[{i}] is empty: every group needs a name"
    if school[i] in school[:i]:
        return f"school[{i}]={school[i]!r} repeats the name of school[{school.index(school[i])}]"
    if not np.isfinite(y[i]):
        return f"y[{i}]={_show(y[i])} is not finite"
    if abs(y[i]) > _MAX_ABS_EFFECT:
        return (
            f"y[{i}]={_show(y[i])} is too large: |y| must be at most {_MAX_ABS_EFFECT:.0e}, so that "
            "(y_j - mu)² fits in floating point"
        )
    if not np.isfinite(sigma[i]):
        return f"sigma[{i}]={_show(sigma[i])} is not finite"
    if sigma[i] <= 0:
        return f"sigma[{i}]={_show(sigma[i])} is not positive: a standard error must be > 0"
    if not _MIN_SIGMA <= sigma[i] <= _MAX_SIGMA:
        return (
            f"sigma[{i}]={_show(sigma[i])} is outside [{_MIN_SIGMA:.2g}, {_MAX_SIGMA:.2g}], where sigma² "
            "neither underflows nor overflows (nor does sigma² + tau²)"
        )
    return None


def load_eight_schools(path: str | os.PathLike | None = None) -> SchoolsData:
    """Read the eight schools data (BDA3 Table 5.2) from a CSV file with columns school, y, sigma.

    Parameters
    ----------
    path : str or path-like, optional
        The CSV file, UTF-8 text; defaults to the bundled ``eight_schools.csv`` (see
        :func:`data_file`).

    Returns
    -------
    SchoolsData
        The validated groups: each school's estimated coaching effect ``y`` and its standard
        error ``sigma``.

    Raises
    ------
    ValueError
        If the file is binary or not UTF-8, is empty, its header is not ``school,y,sigma``, it
        has no data rows, a row has the wrong number of fields or a ``y`` or ``sigma`` that is
        not a number, or the values fail :class:`SchoolsData`'s checks (an empty or repeated
        name, a value that is not finite, a ``sigma`` that is not positive, a ``y`` or ``sigma``
        out of range: |y| > 6e153, ``sigma`` outside [1.5e-154, 9e153]). The message names the
        file and the line.
    FileNotFoundError
        If the file does not exist.

    Examples
    --------
    >>> data = load_eight_schools()
    >>> data.school, data.y.tolist(), data.sigma.tolist()  # doctest: +NORMALIZE_WHITESPACE
    (('A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'), [28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0],
     [15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])
    """
    source, label = _open(path, "eight_schools.csv")
    rows, lines = _csv_rows(_read_text(source, label), label, ["school", "y", "sigma"], "school", names=1)
    school = tuple(row[0] for row in rows)
    y, sigma = (np.array([row[k] for row in rows]) for k in (1, 2))
    for i, line in enumerate(lines):
        problem = _school_problem(i, school, y, sigma)
        if problem is not None:
            raise ValueError(f"{label} line {line}: {problem}")
    return SchoolsData(school=school, y=y, sigma=sigma)
