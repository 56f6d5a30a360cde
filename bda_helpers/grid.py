"""A two-parameter posterior evaluated on a rectangular grid (BDA3 §3.7's method).

Each grid point is the centre of a cell, and the cell's probability is spread uniformly
over it. That one convention gives jittered draws (a uniform offset within the cell),
exact marginal quantiles (a piecewise-linear CDF) and moments that agree with each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.special import logsumexp

from .random import check_draw_count, check_generator

__all__ = ["EdgeMass", "GridPosterior"]

_NAMES = ("alpha", "beta")


@dataclass(frozen=True)
class EdgeMass:
    """Posterior mass in the outermost row or column of grid cells on each side.

    Mass there means the grid probably cuts off some of the posterior on that side.
    """

    alpha_low: float
    alpha_high: float
    beta_low: float
    beta_high: float

    @property
    def largest(self) -> float:
        """The largest of the four edge masses."""
        return max(self.alpha_low, self.alpha_high, self.beta_low, self.beta_high)


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
    values.flags.writeable = False
    return values


def _segment_cdf(knots: np.ndarray, segment_mass: np.ndarray, values) -> np.ndarray:
    """The CDF that rises linearly by ``segment_mass[k]`` across ``[knots[k], knots[k + 1]]``.

    Normalised to end at exactly 1; 0 below ``knots[0]`` and 1 above ``knots[-1]``. Shared
    by the grid's cells and by :mod:`bda_helpers.beyond.marginal_laplace`'s trapezoid segments.
    """
    cumulative = np.concatenate([[0.0], np.cumsum(segment_mass)])
    return np.interp(values, knots, cumulative / cumulative[-1])


def _segment_quantile(knots: np.ndarray, segment_mass: np.ndarray, q) -> np.ndarray:
    """The inverse of :func:`_segment_cdf` at probabilities ``q`` in [0, 1].

    ``segment_mass`` must sum to 1 (up to rounding) and hold some positive mass.
    """
    cum = np.cumsum(segment_mass)
    # Clip to the segments that hold mass: segments at the ends whose mass underflowed to 0
    # would otherwise be picked for q = 0 (or q = 1) and divide by zero below.
    positive = np.flatnonzero(segment_mass > 0)
    segment = np.clip(np.searchsorted(cum, q, side="left"), positive[0], positive[-1])
    before = np.where(segment > 0, cum[segment - 1], 0.0)
    fraction = np.clip((q - before) / segment_mass[segment], 0.0, 1.0)
    return knots[segment] + fraction * (knots[segment + 1] - knots[segment])


@dataclass(frozen=True)
class GridPosterior:
    """A posterior of (alpha, beta) normalised on an evenly spaced grid.

    Build it with :meth:`from_log_density`.

    Attributes
    ----------
    alpha : numpy.ndarray, shape (m,)
        Cell centres in alpha, evenly spaced.
    beta : numpy.ndarray, shape (k,)
        Cell centres in beta, evenly spaced.
    mass : numpy.ndarray, shape (m, k)
        Probability of each cell (sums to 1); ``mass[i, j]`` belongs to
        ``(alpha[i], beta[j])``, i.e. ``indexing="ij"``.

    Examples
    --------
    >>> from bda_helpers import bioassay, load_bioassay
    >>> data = load_bioassay()
    >>> grid = GridPosterior.from_log_density(
    ...     lambda a, b: bioassay.log_posterior(a, b, data),
    ...     alpha=np.linspace(-4, 8, 200), beta=np.linspace(-10, 40, 300))
    >>> grid.mass.shape, round(float(grid.mass.sum()), 12)
    ((200, 300), 1.0)
    >>> grid.mean().round(1).tolist()
    [1.3, 11.6]
    """

    alpha: np.ndarray
    beta: np.ndarray
    mass: np.ndarray
    step: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        alpha = _check_axis(self.alpha, "alpha")
        beta = _check_axis(self.beta, "beta")
        mass = np.array(self.mass, dtype=float)
        if mass.shape != (alpha.size, beta.size):
            raise ValueError(
                f"mass must have shape (len(alpha), len(beta)) = {(alpha.size, beta.size)}, "
                f"got {mass.shape}; build grids with indexing='ij'"
            )
        if not np.isfinite(mass).all() or np.any(mass < 0):
            raise ValueError("mass must be finite and non-negative")
        if not np.isclose(mass.sum(), 1.0, rtol=0, atol=1e-9):
            raise ValueError(f"mass must sum to 1, got {mass.sum()}")
        mass.flags.writeable = False
        step = np.array([alpha[1] - alpha[0], beta[1] - beta[0]])
        step.flags.writeable = False
        for name, value in (("alpha", alpha), ("beta", beta), ("mass", mass), ("step", step)):
            object.__setattr__(self, name, value)

    @classmethod
    def from_log_density(cls, log_density: Callable | np.ndarray, alpha, beta) -> GridPosterior:
        """Normalise an unnormalised log density on the grid ``alpha`` × ``beta``.

        Parameters
        ----------
        log_density : callable or array_like
            Either ``f(alpha[:, None], beta[None, :])`` returning the log density on the
            whole grid, shape ``(len(alpha), len(beta))``, or those values themselves.
        alpha, beta : array_like
            Evenly spaced, strictly increasing cell centres (lengths may differ).

        Raises
        ------
        ValueError
            If the grid is invalid, the values have the wrong shape (e.g. transposed), or
            any value is NaN or +inf, or all are -inf.

        Examples
        --------
        >>> grid = GridPosterior.from_log_density(
        ...     lambda a, b: -0.5 * (a**2 + b**2), np.linspace(-5, 5, 41), np.linspace(-5, 5, 61))
        >>> grid.mass.shape
        (41, 61)
        """
        alpha = _check_axis(alpha, "alpha")
        beta = _check_axis(beta, "beta")
        if callable(log_density):
            values = np.asarray(log_density(alpha[:, None], beta[None, :]), dtype=float)
        else:
            values = np.asarray(log_density, dtype=float)
        if values.shape != (alpha.size, beta.size):
            raise ValueError(
                f"log density values must have shape (len(alpha), len(beta)) = "
                f"{(alpha.size, beta.size)}, got {values.shape}; build grids with indexing='ij'"
            )
        if np.any(np.isnan(values)) or np.any(values == np.inf):
            raise ValueError("the log density has NaN or +inf values on the grid")
        if np.all(values == -np.inf):
            raise ValueError("the log density is -inf everywhere on the grid: no mass to normalise")
        return cls(alpha=alpha, beta=beta, mass=np.exp(values - logsumexp(values)))

    def _axis(self, name: str) -> int:
        if name not in _NAMES:
            raise ValueError(f"parameter must be 'alpha' or 'beta', got {name!r}")
        return _NAMES.index(name)

    def _edges(self, axis: int) -> np.ndarray:
        """The cell edges along ``axis``: one more than the cell centres."""
        centres = (self.alpha, self.beta)[axis]
        half = self.step[axis] / 2
        return np.concatenate([[centres[0] - half], centres + half])

    @property
    def density(self) -> np.ndarray:
        """Probability density per unit area in each cell, shape ``(m, k)``."""
        return self.mass / (self.step[0] * self.step[1])

    def marginal(self, name: str) -> np.ndarray:
        """Mass of each cell of the marginal grid of ``name`` ('alpha' or 'beta').

        Examples
        --------
        >>> grid = GridPosterior.from_log_density(np.zeros((2, 3)), [0.0, 1.0], [0.0, 1.0, 2.0])
        >>> grid.marginal("beta").round(4).tolist()
        [0.3333, 0.3333, 0.3333]
        """
        axis = self._axis(name)
        return self.mass.sum(axis=1 - axis)

    def quantile(self, name: str, q) -> np.ndarray:
        """Exact marginal quantiles from the grid's piecewise-linear CDF.

        Parameters
        ----------
        name : {'alpha', 'beta'}
        q : float or array_like
            Probabilities in [0, 1].

        Examples
        --------
        >>> grid = GridPosterior.from_log_density(
        ...     lambda a, b: -0.5 * (a**2 + b**2), np.linspace(-8, 8, 801), np.linspace(-8, 8, 401))
        >>> (grid.quantile("alpha", [0.025, 0.5, 0.975]).round(3) + 0.0).tolist()
        [-1.96, 0.0, 1.96]
        """
        axis = self._axis(name)
        q = np.asarray(q, dtype=float)
        if np.any(~np.isfinite(q)) or np.any((q < 0) | (q > 1)):
            raise ValueError(f"quantile probabilities must lie in [0, 1], got {q.tolist()}")
        return _segment_quantile(self._edges(axis), self.marginal(name), q)

    def central_interval(self, name: str, level: float = 0.95) -> np.ndarray:
        """The central ``level`` interval of ``name``'s marginal, as ``[lower, upper]``.

        Examples
        --------
        >>> grid = GridPosterior.from_log_density(np.zeros((4, 2)), [0.5, 1.5, 2.5, 3.5], [0.0, 1.0])
        >>> grid.central_interval("alpha", 0.5).round(9).tolist()   # uniform on [0, 4]
        [1.0, 3.0]
        """
        if not 0 < level < 1:
            raise ValueError(f"level must lie strictly between 0 and 1, got {level}")
        return self.quantile(name, [(1 - level) / 2, (1 + level) / 2])

    def mean(self) -> np.ndarray:
        """Posterior mean of (alpha, beta).

        Examples
        --------
        >>> GridPosterior.from_log_density(np.zeros((4, 2)), [0.5, 1.5, 2.5, 3.5], [0.0, 1.0]).mean().round(9).tolist()
        [2.0, 0.5]
        """
        return np.array([self.marginal("alpha") @ self.alpha, self.marginal("beta") @ self.beta])

    def cov(self) -> np.ndarray:
        """Posterior covariance of (alpha, beta), including the within-cell spread (step²/12).

        Examples
        --------
        >>> grid = GridPosterior.from_log_density(np.zeros((4, 2)), [0.5, 1.5, 2.5, 3.5], [0.0, 1.0])
        >>> round(float(grid.cov()[0, 0]), 4)   # uniform on [0, 4]: 16/12
        1.3333
        """
        mean_alpha, mean_beta = self.mean()
        d_alpha = self.alpha - mean_alpha
        d_beta = self.beta - mean_beta
        var_alpha = self.marginal("alpha") @ d_alpha**2 + self.step[0] ** 2 / 12
        var_beta = self.marginal("beta") @ d_beta**2 + self.step[1] ** 2 / 12
        cross = d_alpha @ self.mass @ d_beta
        return np.array([[var_alpha, cross], [cross, var_beta]])

    def credible_level(self) -> np.ndarray:
        """For each cell, the mass of the smallest highest-density region containing it.

        Cells with a value below 0.5 form the 50 % highest-density region, below 0.95 the
        95 % region, and so on: contour bands of the posterior. Shape ``(m, k)``.

        Examples
        --------
        >>> grid = GridPosterior.from_log_density(np.log([[1.0, 2.0], [3.0, 4.0]]), [0.0, 1.0], [0.0, 1.0])
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
        ...     lambda a, b: -0.5 * (a**2 + b**2), np.linspace(-2, 2, 41), np.linspace(-6, 6, 61))
        >>> edge = grid.edge_mass()
        >>> edge.alpha_low > 0.001, edge.beta_low < 1e-6   # alpha is cut at ±2 sd, beta is not
        (True, True)
        """
        return EdgeMass(
            alpha_low=float(self.mass[0, :].sum()),
            alpha_high=float(self.mass[-1, :].sum()),
            beta_low=float(self.mass[:, 0].sum()),
            beta_high=float(self.mass[:, -1].sum()),
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
            Columns alpha and beta.

        Examples
        --------
        >>> grid = GridPosterior.from_log_density(
        ...     lambda a, b: -0.5 * (a**2 + b**2), np.linspace(-5, 5, 51), np.linspace(-5, 5, 41))
        >>> grid.sample(4, np.random.default_rng(0)).shape
        (4, 2)
        """
        n = check_draw_count(n)
        rng = check_generator(rng)
        cells = rng.choice(self.mass.size, size=n, p=self.mass.ravel())
        i, j = np.unravel_index(cells, self.mass.shape)
        draws = np.column_stack([self.alpha[i], self.beta[j]])
        if jitter:
            draws += rng.uniform(-0.5, 0.5, size=(n, 2)) * self.step
        return draws

    def cdf(self, name: str, values) -> np.ndarray:
        """The marginal CDF of ``name`` at ``values``, piecewise linear through the cell edges.

        The inverse of :meth:`quantile`: mass is spread uniformly within each cell, so the
        CDF rises linearly across a cell; it is 0 below the grid and 1 above it.

        Parameters
        ----------
        name : {'alpha', 'beta'}
        values : float or array_like
            Finite values of the parameter.

        Examples
        --------
        >>> grid = GridPosterior.from_log_density(np.zeros((4, 2)), [0.5, 1.5, 2.5, 3.5], [0.0, 1.0])
        >>> grid.cdf("alpha", [-1.0, 1.0, 2.0, 5.0]).round(9).tolist()   # uniform on [0, 4]
        [0.0, 0.25, 0.5, 1.0]
        """
        axis = self._axis(name)
        values = np.asarray(values, dtype=float)
        if not np.isfinite(values).all():
            raise ValueError(f"values must be finite, got {values.tolist()}")
        return _segment_cdf(self._edges(axis), self.marginal(name), values)
