"""Laplace approximations of marginal densities (Tierney & Kadane 1986, JASA 81:82–86).

For a log density ``log p(theta)``, ``theta`` in R^d, and one coordinate ``j``, the marginal
density of ``theta_j`` at ``v`` is ``∫ p(v, theta_{-j}) d theta_{-j}``. Laplace's method
applied to that integral, one ``v`` at a time, gives

    log p̃(v) = log p(θ̂(v)) + (d - 1)/2 log 2π − ½ log det(−H_{-j,-j}(θ̂(v))),

where ``θ̂(v)`` maximises ``p`` over the other coordinates with ``theta_j = v`` held fixed and
``H_{-j,-j}`` is the Hessian of ``log p`` restricted to those coordinates. It is exact when
the conditional of ``theta_{-j}`` given ``theta_j`` is normal, however its mean and
covariance change with ``v`` (the determinant cancels the conditional's normalising
constant), and Tierney & Kadane show its error is of smaller order in the sample size than
that of the normal marginal ``N(mode_j, cov_jj)``: it follows the skew a single normal misses.

Each conditional maximisation is a :func:`~bda_helpers.newton` run, warm-started from the
solution at the neighbouring value. The values are then normalised on the grid with the
trapezoid rule, which needs no even spacing; the CDF interpolates the cumulative trapezoid
integral linearly between the values, and mass outside the values is left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from .. import bioassay
from .._piecewise import segment_cdf, segment_quantile
from .._validation import check_finite, check_int, read_only
from ..data import BioassayData
from ..laplace import LaplaceApproximation
from ..newton import ConvergenceError, newton

__all__ = ["LaplaceMarginal", "bioassay_laplace_marginal", "laplace_marginal"]

_BIOASSAY_NAMES = ("alpha", "beta")


def _check_values(values) -> np.ndarray:
    values = np.array(values, dtype=float)
    if values.ndim != 1 or values.size < 2:
        raise ValueError(f"values must be a 1-D array of at least two points, got shape {values.shape}")
    check_finite(values, "values")
    if np.any(np.diff(values) <= 0):
        raise ValueError("values must be strictly increasing")
    return values


def _check_index(index, dim: int) -> int:
    index = check_int(index, "index")
    if not 0 <= index < dim:
        raise ValueError(f"index must lie in [0, {dim - 1}] for a {dim}-dimensional density, got {index}")
    return index


@dataclass(frozen=True)
class LaplaceMarginal:
    """A marginal density of one coordinate, approximated by Laplace's method at each value.

    Build it with :func:`laplace_marginal` (or :func:`bioassay_laplace_marginal`).

    Attributes
    ----------
    values : numpy.ndarray, shape (m,)
        Strictly increasing values of ``theta_index``.
    log_density_unnormalised : numpy.ndarray, shape (m,)
        ``log p̃(v)``: the Laplace approximation of ``log ∫ p(v, theta_{-j}) d theta_{-j}``
        for the (unnormalised) ``p`` that was given, ``(d - 1)/2 log 2π`` included.
    conditional_modes : numpy.ndarray, shape (m, d)
        ``θ̂(v)``, the full point at which each conditional maximum is reached
        (column ``index`` holds the values themselves).
    index : int
        The coordinate ``j`` whose marginal this is.
    density : numpy.ndarray, shape (m,)
        ``p̃`` normalised so that its trapezoid integral over ``values`` is 1.

    Examples
    --------
    >>> values = np.linspace(0.0, 1.0, 3)
    >>> marginal = LaplaceMarginal(values, np.zeros(3), np.column_stack([values, values]), index=0)
    >>> marginal.density.tolist(), marginal.cdf(0.25).round(3).tolist()
    ([1.0, 1.0, 1.0], 0.25)
    """

    values: np.ndarray
    log_density_unnormalised: np.ndarray
    conditional_modes: np.ndarray
    index: int
    density: np.ndarray = field(init=False)
    _segment_mass: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        values = _check_values(self.values)
        log_density = np.array(self.log_density_unnormalised, dtype=float)
        modes = np.array(self.conditional_modes, dtype=float)
        if log_density.shape != values.shape:
            raise ValueError(
                f"log_density_unnormalised must have the shape of values {values.shape}, "
                f"got {log_density.shape}"
            )
        if modes.ndim != 2 or modes.shape[0] != values.size or modes.shape[1] < 2:
            raise ValueError(
                f"conditional_modes must have shape ({values.size}, d) with d >= 2, got {modes.shape}"
            )
        index = _check_index(self.index, modes.shape[1])
        if np.any(np.isnan(log_density)) or np.any(log_density == np.inf) or np.all(log_density == -np.inf):
            raise ValueError("log_density_unnormalised must be finite or -inf, and not -inf everywhere")
        weight = np.exp(log_density - log_density.max())
        segment = 0.5 * (weight[:-1] + weight[1:]) * np.diff(values)  # the trapezoid rule
        total = segment.sum()
        for name, value in (
            ("values", read_only(values)),
            ("log_density_unnormalised", read_only(log_density)),
            ("conditional_modes", read_only(modes)),
            ("density", read_only(weight / total)),
            ("_segment_mass", read_only(segment / total)),
        ):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "index", index)

    def cdf(self, t) -> np.ndarray:
        """The approximate CDF at ``t``: the trapezoid integral of :attr:`density` up to ``t``.

        Exact at the values and linear between them; 0 below ``values[0]``, 1 above ``values[-1]``.

        Parameters
        ----------
        t : float or array_like
            Finite points.

        Examples
        --------
        >>> values = np.linspace(0.0, 2.0, 3)
        >>> marginal = LaplaceMarginal(values, np.zeros(3), np.column_stack([values, values]), index=0)
        >>> marginal.cdf([-1.0, 0.5, 2.0, 3.0]).round(3).tolist()
        [0.0, 0.25, 1.0, 1.0]
        """
        t = check_finite(t, "t")
        return segment_cdf(self.values, self._segment_mass, t)

    def quantile(self, probs) -> np.ndarray:
        """Quantiles: the inverse of :meth:`cdf` at ``probs`` in [0, 1].

        Examples
        --------
        >>> values = np.linspace(0.0, 2.0, 3)
        >>> marginal = LaplaceMarginal(values, np.zeros(3), np.column_stack([values, values]), index=0)
        >>> marginal.quantile([0.0, 0.25, 1.0]).round(3).tolist()
        [0.0, 0.5, 2.0]
        """
        probs = np.asarray(probs, dtype=float)
        if not np.isfinite(probs).all() or np.any((probs < 0) | (probs > 1)):
            raise ValueError(f"quantile probabilities must lie in [0, 1], got {probs.tolist()}")
        return segment_quantile(self.values, self._segment_mass, probs)


def _starting_point(start, index) -> tuple[np.ndarray, np.ndarray, int]:
    """The joint mode, the slope of the other coordinates' first guess in ``v``, and ``index``."""
    if isinstance(start, LaplaceApproximation):
        mode = np.array(start.mode)
        index = _check_index(index, mode.size)
        # The normal's conditional mean: mode_{-j} + Σ_{-j,j} / Σ_jj (v - mode_j).
        slope = np.delete(start.cov[:, index], index) / start.cov[index, index]
        return mode, slope, index
    mode = np.array(start, dtype=float)
    if mode.ndim != 1 or mode.size < 2:
        raise ValueError(
            "start must be a LaplaceApproximation or a point of shape (d,) with d >= 2, "
            f"got shape {mode.shape}"
        )
    check_finite(mode, "start")
    index = _check_index(index, mode.size)
    return mode, np.zeros(mode.size - 1), index


def _check_derivative_shapes(gradient: Callable, hessian: Callable, point: np.ndarray) -> None:
    """Refuse a gradient or Hessian whose value at ``point`` has the wrong shape."""
    dim = point.size
    for what, value, shape in (
        ("gradient", gradient(point), (dim,)),
        ("hessian", hessian(point), (dim, dim)),
    ):
        if np.shape(value) != shape:
            raise ValueError(f"{what} returned shape {np.shape(value)} at start, expected {shape}")


def _conditional_laplace(
    model: tuple[Callable, Callable, Callable], index: int, v: float, guess: np.ndarray, *, tol, max_iter
) -> tuple[np.ndarray, float]:
    """Laplace's method over the coordinates other than ``index``, with ``theta[index] = v`` fixed.

    ``model`` is (log_density, gradient, hessian) of the full ``theta``; :func:`~bda_helpers.newton`
    maximises over the other coordinates from ``guess``. Returns the full point θ̂(v) and
    ``log p̃(v) = log p(θ̂(v)) + (d − 1)/2 log 2π − ½ log det(−H_{-j,-j}(θ̂(v)))``.
    """
    log_density, gradient, hessian = model
    others = np.delete(np.arange(guess.size + 1), index)

    def full(rest: np.ndarray) -> np.ndarray:
        return np.insert(rest, index, v)

    try:
        result = newton(
            lambda rest: np.asarray(gradient(full(rest)), dtype=float)[others],
            lambda rest: np.asarray(hessian(full(rest)), dtype=float)[np.ix_(others, others)],
            guess,
            log_density=lambda rest: log_density(full(rest)),
            tol=tol,
            max_iter=max_iter,
        )
    except ConvergenceError as error:
        raise ConvergenceError(
            f"the maximisation over the other coordinates at theta[{index}] = {v:.6g} failed: {error}",
            error.trace,
        ) from error
    except ValueError as error:
        raise ValueError(
            f"the maximisation over the other coordinates at theta[{index}] = {v:.6g} failed: {error}"
        ) from error
    # Newton converged, so -H is positive definite and its Cholesky factor exists.
    log_det = 2.0 * np.sum(np.log(np.diag(np.linalg.cholesky(-result.hessian))))
    log_p = result.trace.log_density[-1] + 0.5 * others.size * np.log(2 * np.pi) - 0.5 * log_det
    return full(result.mode), log_p


def laplace_marginal(
    log_density: Callable[[np.ndarray], float],
    gradient: Callable[[np.ndarray], np.ndarray],
    hessian: Callable[[np.ndarray], np.ndarray],
    values,
    index: int,
    *,
    start: LaplaceApproximation | np.ndarray,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> LaplaceMarginal:
    """The Tierney–Kadane (Laplace) approximation of the marginal density of ``theta[index]``.

    For each value ``v``, :func:`~bda_helpers.newton` maximises ``log_density`` over the other
    coordinates with ``theta[index] = v`` fixed; the curvature there gives the volume term
    ``-½ log det(-H_{-j,-j})``. The maximisations run outwards from the value nearest the
    joint mode, each started from its neighbour's solution.

    Parameters
    ----------
    log_density : callable
        ``log_density(theta) -> number`` (a float or 0-d array), an unnormalised log density
        of ``theta`` (shape (d,)).
    gradient : callable
        ``gradient(theta) -> array of shape (d,)``.
    hessian : callable
        ``hessian(theta) -> array of shape (d, d)``.
    values : array_like, shape (m,)
        At least two finite, strictly increasing values of ``theta[index]``; they should
        cover the marginal's mass, since the density is normalised over them (trapezoid rule).
    index : int
        The coordinate, ``0 <= index < d``.
    start : LaplaceApproximation or array_like, shape (d,)
        The joint mode, where the first maximisation starts. With a
        :class:`~bda_helpers.LaplaceApproximation`, the first start is the normal's
        conditional mean ``mode_{-j} + Σ_{-j,j} / Σ_jj (v - mode_j)``.
    tol, max_iter
        Passed to :func:`~bda_helpers.newton` for each maximisation.

    Returns
    -------
    LaplaceMarginal

    Raises
    ------
    ValueError
        If ``values``, ``index`` or ``start`` is invalid, or the log density is not finite
        where a maximisation starts (the message names the value ``v``).
    TypeError
        If ``index`` is not an integer.
    ConvergenceError
        If a conditional maximisation fails (e.g. the conditional has no maximum at some
        ``v``); the message names that ``v``.

    Examples
    --------
    A bivariate normal, sd 2 for ``theta[1]``: the approximation is exact.

    >>> cov = np.array([[1.0, 1.2], [1.2, 4.0]])
    >>> precision = np.linalg.inv(cov)
    >>> marginal = laplace_marginal(
    ...     lambda t: -0.5 * t @ precision @ t, lambda t: -precision @ t, lambda t: -precision,
    ...     np.linspace(-16, 16, 401), index=1, start=[0.0, 0.0])
    >>> marginal.quantile([0.025, 0.975]).round(2).tolist()   # ±1.96 sd
    [-3.92, 3.92]
    >>> marginal.conditional_modes[-1].round(6).tolist()      # E[theta_0 | theta_1 = 16] = 1.2 / 4 * 16
    [4.8, 16.0]
    """
    values = _check_values(values)
    mode, slope, index = _starting_point(start, index)
    _check_derivative_shapes(gradient, hessian, mode)
    laplace_at = partial(
        _conditional_laplace, (log_density, gradient, hessian), index, tol=tol, max_iter=max_iter
    )
    modes = np.empty((values.size, mode.size))  # θ̂(v), one row per value
    log_p = np.empty(values.size)
    # Start at the value nearest the joint mode, then walk outwards, each maximisation
    # starting from its neighbour's θ̂ (without the fixed coordinate).
    first = int(np.argmin(np.abs(values - mode[index])))
    guess = np.delete(mode, index) + slope * (values[first] - mode[index])
    modes[first], log_p[first] = laplace_at(values[first], guess)
    for direction in (range(first + 1, values.size), range(first - 1, -1, -1)):
        previous = first
        for k in direction:
            modes[k], log_p[k] = laplace_at(values[k], np.delete(modes[previous], index))
            previous = k
    return LaplaceMarginal(
        values=values, log_density_unnormalised=log_p, conditional_modes=modes, index=index
    )


def bioassay_laplace_marginal(
    data: BioassayData, name: str, values=None, prior: bioassay.NormalPrior | None = None
) -> LaplaceMarginal:
    """The Tierney–Kadane marginal of ``alpha`` or ``beta`` in the bioassay posterior.

    Runs :func:`laplace_marginal` on :func:`bioassay.model_functions` from
    :func:`bioassay.laplace_fit`'s approximation.

    Parameters
    ----------
    data : BioassayData
    name : {'alpha', 'beta'}
    values : array_like, optional
        Values of ``name``; by default the course's grid axis, :data:`bioassay.GRID_ALPHA`
        or :data:`bioassay.GRID_BETA`.
    prior : NormalPrior, optional
        ``None`` (the default) is the uniform prior.

    Raises
    ------
    ValueError
        If ``name`` is neither 'alpha' nor 'beta', or ``values`` are invalid (see
        :func:`laplace_marginal`); :class:`~bda_helpers.bioassay.ImproperPosteriorError` (a
        ``ValueError``) if ``prior`` is ``None`` and the data are separable, so that the
        posterior has no mode (:func:`~bda_helpers.bioassay.check_proper`).
    TypeError
        If ``data`` is not a BioassayData or ``prior`` not a NormalPrior (or ``None``).

    Examples
    --------
    >>> from bda_helpers import load_bioassay
    >>> marginal = bioassay_laplace_marginal(load_bioassay(), "beta")
    >>> marginal.quantile([0.025, 0.5, 0.975]).round(1).tolist()
    [3.4, 10.7, 25.2]
    """
    if name not in _BIOASSAY_NAMES:
        raise ValueError(f"name must be 'alpha' or 'beta', got {name!r}")
    index = _BIOASSAY_NAMES.index(name)
    model = bioassay.model_functions(data, prior)
    if values is None:
        values = (bioassay.GRID_ALPHA, bioassay.GRID_BETA)[index]
    return laplace_marginal(
        model.log_density,
        model.gradient,
        model.hessian,
        values,
        index,
        start=bioassay.laplace_fit(data, prior),
    )
