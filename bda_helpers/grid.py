"""A two-parameter posterior evaluated on a rectangular grid (BDA3 §3.7's method).

Generic: the grid knows its two parameters only by the names it is given (by default
``theta[0]`` and ``theta[1]``); :func:`bda_helpers.bioassay.grid_posterior` names them
``alpha`` and ``beta``.

Each grid point is the centre of a cell, and the cell's probability is spread uniformly
over it. That one convention gives jittered draws (a uniform offset within the cell),
marginal quantiles from a piecewise-linear CDF (exact for the grid, as close to the posterior's
as the grid is fine and wide) and moments that agree with each other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from ._piecewise import segment_cdf, segment_quantile
from ._validation import read_only
from .random import check_draw_count, check_generator

__all__ = ["EdgeMass", "GridPosterior"]

_DEFAULT_NAMES = ("theta[0]", "theta[1]")

#: The largest floating-point spacing (ulp) tolerated at a log density's largest value: the
#: log density is rounded to that spacing, so the masses exp(value - max) are off by about that
#: much, relatively. Values of 2**33 ≈ 8.6e9 or more in magnitude have a coarser spacing.
_LOG_RESOLUTION = 1e-6


@dataclass(frozen=True)
class EdgeMass:
    """Posterior mass in the outermost row or column of grid cells on each side.

    Mass there means the grid probably cuts off some of the posterior on that side.

    Attributes
    ----------
    low, high : mapping of str to float
        For each parameter name, the mass in the first (``low``) or last (``high``) cells
        along that parameter's axis; read-only.

    Examples
    --------
    >>> edge = EdgeMass(low={"mu": 0.01, "sigma": 0.0}, high={"mu": 0.02, "sigma": 0.05})
    >>> edge.high["sigma"], edge.largest
    (0.05, 0.05)
    """

    low: Mapping[str, float]
    high: Mapping[str, float]

    def __post_init__(self) -> None:
        for side in ("low", "high"):
            values = {str(name): float(mass) for name, mass in dict(getattr(self, side)).items()}
            object.__setattr__(self, side, MappingProxyType(values))
        if set(self.low) != set(self.high):
            raise ValueError(
                f"low and high must name the same parameters, got {list(self.low)} and {list(self.high)}"
            )

    @property
    def largest(self) -> float:
        """The largest of the edge masses."""
        return max(*self.low.values(), *self.high.values())


def _check_axis(values, name: str) -> np.ndarray:
    values = np.array(values, dtype=float)
    if values.ndim != 1 or values.size < 2:
        raise ValueError(
            f"the {name} grid needs at least two points in a 1-D array, got shape {values.shape}"
        )
    if not np.isfinite(values).all():
        raise ValueError(f"the {name} grid must be finite")
    if values[-1] == values[0]:
        raise ValueError(f"the {name} grid has zero width ({name}[0] = {name}[-1] = {values[0]:g})")
    spacing = np.diff(values)
    if np.any(spacing <= 0):
        raise ValueError(f"the {name} grid must be strictly increasing")
    if not np.allclose(spacing, spacing[0], rtol=1e-6, atol=0.0):
        raise ValueError(f"the {name} grid must be evenly spaced (use np.linspace)")
    return read_only(values)


def _check_names(names) -> tuple[str, str]:
    if not isinstance(names, tuple | list) or len(names) != 2:
        raise ValueError(f"names must be two parameter names, got {names!r}")
    names = tuple(names)
    if not all(isinstance(name, str) and name for name in names) or names[0] == names[1]:
        raise ValueError(f"names must be two different non-empty strings, got {names!r}")
    return names


def _check_axes(axes, names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(axes, np.ndarray) or not hasattr(axes, "__len__") or len(axes) != 2:
        raise ValueError(
            "axes must be a pair (axis of "
            f"{names[0]}, axis of {names[1]}) of 1-D arrays, got {type(axes).__name__}"
            + (f" of length {len(axes)}" if hasattr(axes, "__len__") else "")
        )
    return _check_axis(axes[0], names[0]), _check_axis(axes[1], names[1])


def _normalise(values: np.ndarray) -> np.ndarray:
    """Cell masses ``exp(values)`` normalised to sum to 1, refusing values they cannot come from."""
    if np.any(np.isnan(values)) or np.any(values == np.inf):
        raise ValueError("the log density has NaN or +inf values on the grid")
    if np.all(values == -np.inf):
        raise ValueError("the log density is -inf everywhere on the grid: no mass to normalise")
    top = float(values.max())
    if np.spacing(abs(top)) > _LOG_RESOLUTION:
        raise ValueError(
            f"the log density reaches {top:.4g} on the grid, too large in magnitude for floating point: "
            f"values that big are resolved only to ±{np.spacing(abs(top)):.2g}, so the masses, exp of "
            "their differences, would be off by about that much relatively; subtract a constant inside "
            "the log density, or check it for an overflow"
        )
    with np.errstate(over="ignore"):  # a value near -1.8e308 minus the maximum is -inf: mass 0
        weights = np.exp(values - top)
    return weights / weights.sum()  # the largest weight is 1, so the sum is at least 1


@dataclass(frozen=True)
class GridPosterior:
    """A posterior of two parameters normalised on an evenly spaced grid.

    Build it with :meth:`from_log_density`. The grid knows its parameters only by the
    ``names`` given to it; the methods that concern one parameter take its name.

    Attributes
    ----------
    axes : tuple of two numpy.ndarray, shapes (m,) and (k,)
        Cell centres of the two parameters, each evenly spaced.
    mass : numpy.ndarray, shape (m, k)
        Probability of each cell (sums to 1); ``mass[i, j]`` belongs to
        ``(axes[0][i], axes[1][j])``, i.e. ``indexing="ij"``.
    names : tuple of two str, default ("theta[0]", "theta[1]")
        The parameters' names, used by :meth:`axis`, :meth:`marginal`, :meth:`quantile`,
        :meth:`cdf`, :meth:`central_interval` and :meth:`edge_mass`.
    step : numpy.ndarray, shape (2,)
        The cell widths along the two axes.

    Examples
    --------
    >>> from bda_helpers import bioassay, load_bioassay
    >>> model = bioassay.model_functions(load_bioassay())
    >>> grid = GridPosterior.from_log_density(
    ...     model.log_density, (np.linspace(-4, 8, 200), np.linspace(-10, 40, 300)), names=("alpha", "beta"))
    >>> grid.mass.shape, round(float(grid.mass.sum()), 12)
    ((200, 300), 1.0)
    >>> grid.mean().round(1).tolist(), grid.axis("beta")[:2].round(3).tolist()
    ([1.3, 11.6], [-10.0, -9.833])
    """

    axes: tuple[np.ndarray, np.ndarray]
    mass: np.ndarray
    names: tuple[str, str] = _DEFAULT_NAMES
    step: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        names = _check_names(self.names)
        axes = _check_axes(self.axes, names)
        shape = (axes[0].size, axes[1].size)
        mass = np.array(self.mass, dtype=float)
        if mass.shape != shape:
            raise ValueError(
                f"mass must have shape (len({names[0]}), len({names[1]})) = {shape}, "
                f"got {mass.shape}; build grids with indexing='ij'"
            )
        if not np.isfinite(mass).all() or np.any(mass < 0):
            raise ValueError("mass must be finite and non-negative")
        if not np.isclose(mass.sum(), 1.0, rtol=0, atol=1e-9):
            raise ValueError(f"mass must sum to 1, got {mass.sum()}")
        mass = read_only(mass)
        step = read_only([axes[0][1] - axes[0][0], axes[1][1] - axes[1][0]])
        for name, value in (("axes", axes), ("mass", mass), ("names", names), ("step", step)):
            object.__setattr__(self, name, value)

    @classmethod
    def from_log_density(
        cls, log_density: Callable | np.ndarray, axes, names=_DEFAULT_NAMES
    ) -> GridPosterior:
        """Normalise an unnormalised log density on the grid ``axes[0]`` × ``axes[1]``.

        Parameters
        ----------
        log_density : callable or array_like
            Either a function of ``theta``, called once with the grid's points stacked on
            the last axis, ``theta`` of shape ``(m, k, 2)`` (``theta[i, j] = (axes[0][i],
            axes[1][j])``), returning the log density at each, shape ``(m, k)``; or those
            values themselves.
        axes : pair of array_like
            Evenly spaced, strictly increasing cell centres of the two parameters (their
            lengths may differ).
        names : pair of str, default ("theta[0]", "theta[1]")
            The parameters' names.

        Raises
        ------
        ValueError
            If the grid is invalid, the values have the wrong shape (e.g. transposed), any
            value is NaN or +inf, all are -inf, or the largest value is too large in
            magnitude for floating point to resolve (beyond about 4.5e9, e.g. an overflowing
            density near 1e308).

        Examples
        --------
        >>> grid = GridPosterior.from_log_density(
        ...     lambda theta: -0.5 * (theta**2).sum(axis=-1),
        ...     (np.linspace(-5, 5, 41), np.linspace(-5, 5, 61)))
        >>> grid.mass.shape, grid.names
        ((41, 61), ('theta[0]', 'theta[1]'))
        """
        names = _check_names(names)
        axes = _check_axes(axes, names)
        shape = (axes[0].size, axes[1].size)
        if callable(log_density):
            theta = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)
            values = np.asarray(log_density(theta), dtype=float)
        else:
            values = np.asarray(log_density, dtype=float)
        if values.shape != shape:
            advice = (
                f"it is called with the grid's points theta, shape {shape + (2,)}, and must return one "
                "value per point"
                if callable(log_density)
                else "build grids with indexing='ij'"
            )
            raise ValueError(
                f"log density values must have shape (len({names[0]}), len({names[1]})) = {shape}, "
                f"got {values.shape}; {advice}"
            )
        return cls(axes=axes, mass=_normalise(values), names=names)

    def _index(self, name: str) -> int:
        if name not in self.names:
            raise ValueError(f"parameter must be one of {', '.join(map(repr, self.names))}, got {name!r}")
        return self.names.index(name)

    def axis(self, name: str) -> np.ndarray:
        """The cell centres of parameter ``name`` (read-only).

        Examples
        --------
        >>> grid = GridPosterior.from_log_density(np.zeros((2, 3)), ([0.0, 1.0], [0.0, 1.0, 2.0]), ("a", "b"))
        >>> grid.axis("b").tolist()
        [0.0, 1.0, 2.0]
        """
        return self.axes[self._index(name)]

    def _edges(self, axis: int) -> np.ndarray:
        """The cell edges along ``axis``: one more than the cell centres."""
        centres = self.axes[axis]
        half = self.step[axis] / 2
        return np.concatenate([[centres[0] - half], centres + half])

    @property
    def density(self) -> np.ndarray:
        """Probability density per unit area in each cell, shape ``(m, k)``."""
        return self.mass / (self.step[0] * self.step[1])

    def marginal(self, name: str) -> np.ndarray:
        """Mass of each cell of the marginal grid of parameter ``name``.

        Examples
        --------
        >>> grid = GridPosterior.from_log_density(np.zeros((2, 3)), ([0.0, 1.0], [0.0, 1.0, 2.0]), ("a", "b"))
        >>> grid.marginal("b").round(4).tolist()
        [0.3333, 0.3333, 0.3333]
        """
        return self.mass.sum(axis=1 - self._index(name))

    def quantile(self, name: str, q) -> np.ndarray:
        """Marginal quantiles of parameter ``name``: those of the grid's piecewise-linear CDF.

        Parameters
        ----------
        name : str
            One of :attr:`names`.
        q : float or array_like
            Probabilities in [0, 1].

        Examples
        --------
        >>> grid = GridPosterior.from_log_density(
        ...     lambda theta: -0.5 * (theta**2).sum(axis=-1),
        ...     (np.linspace(-8, 8, 801), np.linspace(-8, 8, 401)),
        ...     names=("x", "y"))
        >>> (grid.quantile("x", [0.025, 0.5, 0.975]).round(3) + 0.0).tolist()
        [-1.96, 0.0, 1.96]
        """
        axis = self._index(name)
        q = np.asarray(q, dtype=float)
        if np.any(~np.isfinite(q)) or np.any((q < 0) | (q > 1)):
            raise ValueError(f"quantile probabilities must lie in [0, 1], got {q.tolist()}")
        return segment_quantile(self._edges(axis), self.marginal(name), q)

    def central_interval(self, name: str, level: float = 0.95) -> np.ndarray:
        """The central ``level`` interval of parameter ``name``'s marginal, as ``[lower, upper]``.

        Examples
        --------
        >>> grid = GridPosterior.from_log_density(np.zeros((4, 2)), ([0.5, 1.5, 2.5, 3.5], [0.0, 1.0]))
        >>> grid.central_interval("theta[0]", 0.5).round(9).tolist()   # uniform on [0, 4]
        [1.0, 3.0]
        """
        if not 0 < level < 1:
            raise ValueError(f"level must lie strictly between 0 and 1, got {level}")
        return self.quantile(name, [(1 - level) / 2, (1 + level) / 2])

    def mean(self) -> np.ndarray:
        """Posterior mean of the two parameters, in the order of :attr:`names`.

        Examples
        --------
        >>> grid = GridPosterior.from_log_density(np.zeros((4, 2)), ([0.5, 1.5, 2.5, 3.5], [0.0, 1.0]))
        >>> grid.mean().round(9).tolist()
        [2.0, 0.5]
        """
        return np.array([self.mass.sum(axis=1) @ self.axes[0], self.mass.sum(axis=0) @ self.axes[1]])

    def cov(self) -> np.ndarray:
        """Posterior covariance of the two parameters, including the within-cell spread (step²/12).

        Examples
        --------
        >>> grid = GridPosterior.from_log_density(np.zeros((4, 2)), ([0.5, 1.5, 2.5, 3.5], [0.0, 1.0]))
        >>> round(float(grid.cov()[0, 0]), 4)   # uniform on [0, 4]: 16/12
        1.3333
        """
        mean_0, mean_1 = self.mean()
        d_0 = self.axes[0] - mean_0
        d_1 = self.axes[1] - mean_1
        var_0 = self.mass.sum(axis=1) @ d_0**2 + self.step[0] ** 2 / 12
        var_1 = self.mass.sum(axis=0) @ d_1**2 + self.step[1] ** 2 / 12
        cross = d_0 @ self.mass @ d_1
        return np.array([[var_0, cross], [cross, var_1]])

    def credible_level(self) -> np.ndarray:
        """For each cell, the mass of the smallest highest-density region containing it.

        Cells with a value below 0.5 form the 50 % highest-density region, below 0.95 the
        95 % region, and so on: contour bands of the posterior. Shape ``(m, k)``.

        Examples
        --------
        >>> grid = GridPosterior.from_log_density(np.log([[1.0, 2.0], [3.0, 4.0]]), ([0.0, 1.0], [0.0, 1.0]))
        >>> grid.credible_level().round(9).tolist()
        [[1.0, 0.9], [0.7, 0.4]]
        """
        order = np.argsort(self.mass, axis=None)[::-1]
        level = np.empty(self.mass.size)
        level[order] = np.cumsum(self.mass.ravel()[order])
        return level.reshape(self.mass.shape)

    def edge_mass(self) -> EdgeMass:
        """Mass in the outermost cells on each side of the grid (a truncation warning).

        Examples
        --------
        >>> grid = GridPosterior.from_log_density(
        ...     lambda theta: -0.5 * (theta**2).sum(axis=-1),
        ...     (np.linspace(-2, 2, 41), np.linspace(-6, 6, 61)),
        ...     names=("a", "b"))
        >>> edge = grid.edge_mass()
        >>> edge.low["a"] > 0.001, edge.low["b"] < 1e-6   # a is cut at ±2 sd, b is not
        (True, True)
        """
        first, second = self.names
        return EdgeMass(
            low={first: float(self.mass[0, :].sum()), second: float(self.mass[:, 0].sum())},
            high={first: float(self.mass[-1, :].sum()), second: float(self.mass[:, -1].sum())},
        )

    def sample(self, n: int, rng: np.random.Generator, jitter: bool = True) -> np.ndarray:
        """Draw ``n`` points: a cell with probability ``mass``, then a uniform point in it.

        Parameters
        ----------
        n : int
            Number of draws (positive).
        rng : numpy.random.Generator
            The source of randomness.
        jitter : bool, default True
            Spread each draw uniformly over its cell; ``False`` returns cell centres, whose
            repeated values show up as stripes in a scatter plot.

        Returns
        -------
        numpy.ndarray, shape (n, 2)
            One column per parameter, in the order of :attr:`names`.

        Examples
        --------
        >>> grid = GridPosterior.from_log_density(
        ...     lambda theta: -0.5 * (theta**2).sum(axis=-1),
        ...     (np.linspace(-5, 5, 51), np.linspace(-5, 5, 41)))
        >>> grid.sample(4, np.random.default_rng(0)).shape
        (4, 2)
        """
        n = check_draw_count(n)
        rng = check_generator(rng)
        cells = rng.choice(self.mass.size, size=n, p=self.mass.ravel())
        i, j = np.unravel_index(cells, self.mass.shape)
        draws = np.column_stack([self.axes[0][i], self.axes[1][j]])
        if jitter:
            draws += rng.uniform(-0.5, 0.5, size=(n, 2)) * self.step
        return draws

    def cdf(self, name: str, values) -> np.ndarray:
        """The marginal CDF of parameter ``name`` at ``values``, piecewise linear through the cell edges.

        The inverse of :meth:`quantile`: mass is spread uniformly within each cell, so the
        CDF rises linearly across a cell; it is 0 below the grid and 1 above it.

        Parameters
        ----------
        name : str
            One of :attr:`names`.
        values : float or array_like
            Finite values of the parameter.

        Examples
        --------
        >>> grid = GridPosterior.from_log_density(np.zeros((4, 2)), ([0.5, 1.5, 2.5, 3.5], [0.0, 1.0]))
        >>> grid.cdf("theta[0]", [-1.0, 1.0, 2.0, 5.0]).round(9).tolist()   # uniform on [0, 4]
        [0.0, 0.25, 0.5, 1.0]
        """
        axis = self._index(name)
        values = np.asarray(values, dtype=float)
        if not np.isfinite(values).all():
            raise ValueError(f"values must be finite, got {values.tolist()}")
        return segment_cdf(self._edges(axis), self.marginal(name), values)
