"""When is the Laplace approximation good enough? Two measurements on the bioassay model.

* **Large samples (BDA3 §4.2).** Replicate the data ``k`` times (same doses and death
  proportions, ``k`` times the animals) and compare the exact posterior, on a grid, with
  its Laplace approximation: :func:`laplace_grid_distance` for one data set,
  :func:`large_sample_study` for a sequence of ``k``. The posterior contracts like
  ``1/sqrt(k)`` and its skewness fades at the same rate, so the total variation distance
  and the quantile errors in posterior sds fall like ``1/sqrt(k)``.
* **Frequency coverage (BDA3 §4.4).** Simulate many data sets from a fixed true
  ``(alpha, beta)`` and count how often the 50 % and 95 % central intervals of beta and of
  LD50 = −alpha/beta, from the Laplace approximation and from the exact grid posterior,
  contain the truth: :func:`coverage_study`.

The grids follow the posterior: :func:`laplace_grid_distance` centres its grid on the
Laplace mode and spans a fixed number of Laplace sds, so it keeps its resolution however
far the posterior contracts; :func:`coverage_study` shares one grid between all
replications of a design, the union of every replication's Laplace box.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

from .._validation import check_int, check_positive_int, read_only
from ..bioassay import NormalPrior, grid_posterior, is_separable, laplace_fit
from ..data import BioassayData
from ..grid import GridPosterior
from ..laplace import LaplaceApproximation
from ..ld50_normal import ld50_normal_quantile
from ..random import check_generator
from ..summaries import ld50, weighted_quantiles

__all__ = [
    "QUANTILE_PROBS",
    "DEFAULT_KS",
    "WEAK_PRIOR",
    "replicate",
    "total_variation",
    "LaplaceGridDistance",
    "laplace_grid_distance",
    "LargeSampleStudy",
    "large_sample_study",
    "beta_marginal_curves",
    "grid_log_posteriors",
    "CoverageStudy",
    "coverage_study",
]

#: The quantiles of beta compared in the large-sample study: the ends of the central 95 % interval.
QUANTILE_PROBS = (0.025, 0.975)

#: The replication factors of the large-sample study.
DEFAULT_KS = (1, 2, 4, 8, 16, 32, 64)

#: The weakly informative prior of the coverage study: alpha ~ N(0, 5²), beta ~ N(0, 20²),
#: independent. It is wide against the bioassay posterior (sds 1.0 and 4.9) but keeps the
#: posterior proper when a simulated data set is separable (e.g. y = (0, 0, 5, 5)), where
#: the flat prior's posterior is improper and has no finite mode.
WEAK_PRIOR = NormalPrior(mean=[0.0, 0.0], cov=[[5.0**2, 0.0], [0.0, 20.0**2]])

#: The grid of :func:`laplace_grid_distance`: from 8 Laplace sds below the mode to 14 above
#: (the k = 1 posterior of beta is skewed and reaches 6–7 sds above the mode), 400 points
#: in each parameter (0.055 sd apart).
_SPAN = (-8.0, 14.0)
_POINTS = 400

#: Replications whose grid log posteriors are computed in one matrix product; bounds the
#: temporary arrays at this many grid-sized rows.
_CHUNK = 32

_QUANTITIES = ("beta", "LD50")
_METHODS = ("Laplace", "grid")


def _check_data(data) -> None:
    if not isinstance(data, BioassayData):
        raise TypeError(f"data must be a BioassayData, got {type(data).__name__}")


def _check_span(span) -> tuple[float, float]:
    span = np.asarray(span, dtype=float)
    if span.shape != (2,) or not np.isfinite(span).all() or not span[0] < 0 < span[1]:
        raise ValueError(
            f"span must be (lower, upper) in Laplace sds with lower < 0 < upper, got {span.tolist()}"
        )
    return float(span[0]), float(span[1])


def _check_ks(ks) -> np.ndarray:
    """The replication factors as an int array: at least two positive integers, increasing."""
    if np.ndim(ks) != 1 or len(ks) < 2:
        raise ValueError(f"ks must be a sequence of at least two replication factors, got {ks!r}")
    ks_array = np.array([check_positive_int(k, "each k") for k in ks])
    if np.any(np.diff(ks_array) <= 0):
        raise ValueError(f"ks must be strictly increasing, got {ks_array.tolist()}")
    return ks_array


def _log_log_slope(ks: np.ndarray, values: np.ndarray) -> float:
    """Least-squares slope of log |values| against log ks."""
    values = np.abs(values)
    if np.any(values == 0):
        raise ValueError("cannot fit a log-log slope: a value is exactly 0")
    return float(np.polyfit(np.log(ks), np.log(values), 1)[0])


# --- A. Large samples ------------------------------------------------------------------------


def replicate(data: BioassayData, k: int) -> BioassayData:
    """The bioassay data repeated ``k`` times: the same doses, ``k·n`` animals and ``k·y`` deaths.

    Parameters
    ----------
    data : BioassayData
    k : int
        Positive replication factor.

    Returns
    -------
    BioassayData

    Raises
    ------
    TypeError
        If ``data`` is not a :class:`~bda_helpers.BioassayData` or ``k`` not an integer.
    ValueError
        If ``k`` is below 1.

    Examples
    --------
    >>> from bda_helpers import load_bioassay
    >>> replicate(load_bioassay(), 4).y.tolist()
    [0, 4, 12, 20]
    """
    _check_data(data)
    k = check_positive_int(k, "k")
    return BioassayData(x=data.x, n=k * data.n, y=k * data.y)


def total_variation(p: GridPosterior, q: GridPosterior) -> float:
    """Total variation distance ½ Σ |p − q| of two posteriors normalised on the same grid.

    The sum over cells approximates ½ ∫ |p − q|; both are evaluated at the cell centres and
    normalised on the grid, so they are on the same footing.

    Raises
    ------
    TypeError
        If ``p`` or ``q`` is not a :class:`~bda_helpers.GridPosterior`.
    ValueError
        If their grids differ (their axes are not equal; their parameter names may differ).

    Examples
    --------
    Two unit normals one sd apart: ½ ∫ |p − q| = 2Φ(1/2) − 1 = 0.3829.

    >>> axis = np.linspace(-8, 9, 341)
    >>> p = GridPosterior.from_log_density(lambda t: -0.5 * np.sum(t**2, axis=-1), (axis, axis))
    >>> q = GridPosterior.from_log_density(lambda t: -0.5 * np.sum((t - [1, 0])**2, axis=-1), (axis, axis))
    >>> round(total_variation(p, q), 4)
    0.3829
    """
    for name, value in (("p", p), ("q", q)):
        if not isinstance(value, GridPosterior):
            raise TypeError(f"{name} must be a GridPosterior, got {type(value).__name__}")
    if not all(np.array_equal(a, b) for a, b in zip(p.axes, q.axes)):
        raise ValueError("p and q must be normalised on the same grid (equal axes)")
    return float(0.5 * np.abs(p.mass - q.mass).sum())


@dataclass(frozen=True)
class LaplaceGridDistance:
    """How far the Laplace approximation is from the exact (grid) posterior of one data set.

    Attributes
    ----------
    total_variation : float
        ½ Σ |p − q| over the grid's cells, p the exact posterior and q the Laplace normal,
        both evaluated at the cell centres and normalised on the grid.
    probs : numpy.ndarray, shape (2,)
        The quantile probabilities, :data:`QUANTILE_PROBS`.
    beta_quantile_laplace : numpy.ndarray, shape (2,)
        Beta's quantiles under the Laplace normal (exact normal quantiles).
    beta_quantile_grid : numpy.ndarray, shape (2,)
        Beta's exact quantiles, from the grid's piecewise-linear CDF.
    beta_sd_grid : float
        The exact posterior sd of beta (from the grid).
    edge_mass : float
        The largest exact posterior mass in an outermost row or column of the grid: near 0
        when the grid holds the whole posterior.
    laplace : LaplaceApproximation
        The Laplace approximation the grid is centred on.
    """

    total_variation: float
    probs: np.ndarray
    beta_quantile_laplace: np.ndarray
    beta_quantile_grid: np.ndarray
    beta_sd_grid: float
    edge_mass: float
    laplace: LaplaceApproximation

    def __post_init__(self) -> None:
        for name in ("probs", "beta_quantile_laplace", "beta_quantile_grid"):
            object.__setattr__(self, name, read_only(getattr(self, name)))

    @property
    def beta_quantile_error(self) -> np.ndarray:
        """Laplace quantile minus exact quantile of beta, in units of beta."""
        return self.beta_quantile_laplace - self.beta_quantile_grid

    @property
    def beta_quantile_error_sd(self) -> np.ndarray:
        """:attr:`beta_quantile_error` in exact posterior sds of beta."""
        return self.beta_quantile_error / self.beta_sd_grid


def laplace_grid_distance(
    data: BioassayData, prior: NormalPrior | None = None, *, span=_SPAN, points: int = _POINTS
) -> LaplaceGridDistance:
    """Compare the bioassay posterior with its Laplace approximation on a grid centred on the mode.

    The grid runs from ``mode + span[0]·sd`` to ``mode + span[1]·sd`` in each parameter
    (``sd`` the Laplace sds), with ``points`` points in each: it follows the posterior as it
    contracts, so the same settings serve every sample size.

    Parameters
    ----------
    data : BioassayData
    prior : NormalPrior, optional
        ``None`` (the default) is the flat prior of BDA3 §3.7.
    span : (float, float), default (-8, 14)
        Grid limits in Laplace sds from the mode, lower < 0 < upper. The default leaves
        less than 1e-7 of the k = 1 bioassay posterior in the outermost cells.
    points : int, default 400
        Grid points per parameter (at least 10).

    Returns
    -------
    LaplaceGridDistance

    Raises
    ------
    TypeError
        If ``data`` is not a :class:`~bda_helpers.BioassayData` or ``prior`` not a
        :class:`~bda_helpers.bioassay.NormalPrior` (or ``None``).
    ValueError
        If ``span`` or ``points`` is invalid.
    ImproperPosteriorError
        (a ``ValueError``) If ``prior`` is ``None`` and the data are separable
        (:func:`~bda_helpers.bioassay.check_proper`): the flat-prior posterior has no mode.
    ConvergenceError
        If Newton's method finds no mode.

    Examples
    --------
    >>> from bda_helpers import load_bioassay
    >>> result = laplace_grid_distance(load_bioassay())
    >>> round(result.total_variation, 3), result.beta_quantile_error_sd.round(2).tolist()
    (0.233, [-0.91, -1.41])
    """
    _check_data(data)
    span = _check_span(span)
    points = check_int(points, "points", minimum=10)
    approx = laplace_fit(data, prior)
    alpha, beta = (
        np.linspace(mode + span[0] * sd, mode + span[1] * sd, points)
        for mode, sd in zip(approx.mode, approx.sd)
    )
    exact = grid_posterior(data, prior, alpha=alpha, beta=beta)
    normal = GridPosterior.from_log_density(approx.logpdf, exact.axes, names=exact.names)
    probs = np.array(QUANTILE_PROBS)
    return LaplaceGridDistance(
        total_variation=total_variation(exact, normal),
        probs=probs,
        beta_quantile_laplace=stats.norm.ppf(probs, approx.mode[1], approx.sd[1]),
        beta_quantile_grid=exact.quantile("beta", probs),
        beta_sd_grid=float(np.sqrt(exact.cov()[1, 1])),
        edge_mass=exact.edge_mass().largest,
        laplace=approx,
    )


@dataclass(frozen=True)
class LargeSampleStudy:
    """:func:`laplace_grid_distance` for the data replicated ``k`` times, for several ``k``.

    Attributes
    ----------
    ks : numpy.ndarray of int, shape (m,)
        Replication factors, increasing.
    total_variation : numpy.ndarray, shape (m,)
    beta_quantile_error : numpy.ndarray, shape (m, 2)
        Laplace minus exact quantile of beta at :data:`QUANTILE_PROBS`, in units of beta.
    beta_quantile_error_sd : numpy.ndarray, shape (m, 2)
        The same in exact posterior sds of beta.
    beta_sd_grid : numpy.ndarray, shape (m,)
        Exact posterior sd of beta.
    edge_mass : numpy.ndarray, shape (m,)
        Largest exact posterior mass in an outermost grid row or column.
    slope_total_variation : float
        Least-squares slope of log TV against log k, over all k (theory: −1/2).
    slope_error : numpy.ndarray, shape (2,)
        Slopes of log |beta_quantile_error| (theory: −1).
    slope_error_sd : numpy.ndarray, shape (2,)
        Slopes of log |beta_quantile_error_sd| (theory: −1/2).
    """

    ks: np.ndarray
    total_variation: np.ndarray
    beta_quantile_error: np.ndarray
    beta_quantile_error_sd: np.ndarray
    beta_sd_grid: np.ndarray
    edge_mass: np.ndarray
    slope_total_variation: float
    slope_error: np.ndarray
    slope_error_sd: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "ks", read_only(self.ks, dtype=int))
        for name in (
            "total_variation",
            "beta_quantile_error",
            "beta_quantile_error_sd",
            "beta_sd_grid",
            "edge_mass",
            "slope_error",
            "slope_error_sd",
        ):
            object.__setattr__(self, name, read_only(getattr(self, name)))

    def table(self) -> pd.DataFrame:
        """One row per ``k``: TV, beta's quantile errors (absolute and in sds), sd and edge mass.

        Examples
        --------
        >>> from bda_helpers import load_bioassay
        >>> table = large_sample_study(load_bioassay(), ks=(1, 4)).table()
        >>> table.columns.tolist()  # doctest: +NORMALIZE_WHITESPACE
        ['k', 'total_variation', 'error_lower', 'error_upper', 'error_lower_sd', 'error_upper_sd',
         'beta_sd_grid', 'edge_mass']
        """
        return pd.DataFrame(
            {
                "k": self.ks,
                "total_variation": self.total_variation,
                "error_lower": self.beta_quantile_error[:, 0],
                "error_upper": self.beta_quantile_error[:, 1],
                "error_lower_sd": self.beta_quantile_error_sd[:, 0],
                "error_upper_sd": self.beta_quantile_error_sd[:, 1],
                "beta_sd_grid": self.beta_sd_grid,
                "edge_mass": self.edge_mass,
            }
        )


def large_sample_study(
    data: BioassayData, ks=DEFAULT_KS, prior: NormalPrior | None = None, *, span=_SPAN, points: int = _POINTS
) -> LargeSampleStudy:
    """Laplace against the exact posterior for the data replicated ``k`` times (BDA3 §4.2).

    Parameters
    ----------
    data : BioassayData
    ks : sequence of int, default (1, 2, 4, ..., 64)
        At least two distinct positive integers, in increasing order.
    prior : NormalPrior, optional
        ``None`` (the default) is the flat prior.
    span, points
        The grid, as in :func:`laplace_grid_distance`.

    Returns
    -------
    LargeSampleStudy

    Raises
    ------
    TypeError, ValueError
        As :func:`laplace_grid_distance`; ``TypeError`` also if a ``k`` is not an integer,
        ``ValueError`` if ``ks`` is not an increasing sequence of at least two positive integers.

    Examples
    --------
    >>> from bda_helpers import load_bioassay
    >>> study = large_sample_study(load_bioassay(), ks=(1, 4, 16, 64))
    >>> study.total_variation.round(3).tolist()
    [0.233, 0.12, 0.061, 0.031]
    >>> round(study.slope_total_variation, 2)
    -0.49
    """
    ks_array = _check_ks(ks)
    results = [laplace_grid_distance(replicate(data, k), prior, span=span, points=points) for k in ks_array]
    tv = np.array([r.total_variation for r in results])
    error = np.array([r.beta_quantile_error for r in results])
    error_sd = np.array([r.beta_quantile_error_sd for r in results])
    return LargeSampleStudy(
        ks=ks_array,
        total_variation=tv,
        beta_quantile_error=error,
        beta_quantile_error_sd=error_sd,
        beta_sd_grid=np.array([r.beta_sd_grid for r in results]),
        edge_mass=np.array([r.edge_mass for r in results]),
        slope_total_variation=_log_log_slope(ks_array, tv),
        slope_error=np.array([_log_log_slope(ks_array, column) for column in error.T]),
        slope_error_sd=np.array([_log_log_slope(ks_array, column) for column in error_sd.T]),
    )


def beta_marginal_curves(
    data: BioassayData, ks, prior: NormalPrior | None = None, *, points: int = 80
) -> pd.DataFrame:
    """The exact and the Laplace marginal density of beta, for the data replicated ``k`` times.

    For each ``k`` the window shown runs from 4 Laplace sds below the mode of beta to 8
    above (the exact marginal's right tail is the longer); the exact marginal comes from a
    grid over that window in beta and over −8 … +14 Laplace sds in alpha (as
    :func:`laplace_grid_distance`'s), with ``points`` beta values and 300 alpha values,
    normalised there. For the bioassay data about 0.01 % of the exact mass lies beyond the
    window at ``k = 1``, less for larger ``k``; normalising within it raises the density by
    that fraction.

    Parameters
    ----------
    data : BioassayData
    ks : sequence of int
        Replication factors, positive and increasing (at least two). For
        :func:`~bda_helpers.beyond.charts.k_slider_chart` they must be consecutive (one curve per
        slider step), e.g. ``range(1, 11)``.
    prior : NormalPrior, optional
        ``None`` (the default) is the flat prior.
    points : int, default 80
        Beta values per curve (at least 10).

    Returns
    -------
    pandas.DataFrame
        Columns ``k``, ``method`` ("exact" or "Laplace"), ``beta`` and ``density``, one row per
        beta value per method per ``k``.

    Raises
    ------
    TypeError, ValueError
        As :func:`large_sample_study`; ``ValueError`` also if ``points`` is below 10.

    Examples
    --------
    >>> from bda_helpers import load_bioassay
    >>> curves = beta_marginal_curves(load_bioassay(), ks=(1, 2), points=50)
    >>> curves.groupby(["k", "method"]).size().tolist()
    [50, 50, 50, 50]
    """
    ks_array = _check_ks(ks)
    points = check_int(points, "points", minimum=10)
    frames = []
    for k in ks_array:
        replicated = replicate(data, int(k))
        approx = laplace_fit(replicated, prior)
        (mode_a, mode_b), (sd_a, sd_b) = approx.mode, approx.sd
        beta = np.linspace(mode_b - 4 * sd_b, mode_b + 8 * sd_b, points)
        alpha = np.linspace(mode_a - 8 * sd_a, mode_a + 14 * sd_a, 300)
        exact = grid_posterior(replicated, prior, alpha=alpha, beta=beta)
        densities = {
            "exact": exact.marginal("beta") / (beta[1] - beta[0]),
            "Laplace": stats.norm.pdf(beta, mode_b, sd_b),
        }
        frames += [
            pd.DataFrame({"k": int(k), "method": method, "beta": beta, "density": density})
            for method, density in densities.items()
        ]
    return pd.concat(frames, ignore_index=True)


# --- B. Frequency coverage -------------------------------------------------------------------


def grid_log_posteriors(y, data: BioassayData, prior: NormalPrior | None, alpha, beta) -> np.ndarray:
    """Unnormalised log posteriors of many replications of one design on one grid at once.

    All replications share the doses ``data.x`` and group sizes ``data.n`` and differ in
    their deaths ``y``, so their log likelihoods on the grid are two matrix products,
    ``Y @ log p + (N − Y) @ log(1 − p)``, with ``log p`` and ``log(1 − p)`` computed once
    per grid point and dose (``data.y`` is not used).

    Parameters
    ----------
    y : array_like of int, shape (r, J)
        Deaths in each of ``r`` replications and ``J`` dose groups, ``0 <= y <= data.n``.
    data : BioassayData
        The design: doses ``x`` and group sizes ``n``.
    prior : NormalPrior or None
    alpha, beta : array_like, shape (a,) and (b,)
        The grid axes.

    Returns
    -------
    numpy.ndarray, shape (r, a, b)
        The same values as :func:`~bda_helpers.bioassay.log_posterior` of each replication.

    Examples
    --------
    >>> from bda_helpers import bioassay, load_bioassay
    >>> data = load_bioassay()
    >>> alpha, beta = np.linspace(-2, 4, 5), np.linspace(0, 20, 7)
    >>> values = grid_log_posteriors([[0, 1, 3, 5], [0, 0, 4, 5]], data, None, alpha, beta)
    >>> theta = np.stack(np.meshgrid(alpha, beta, indexing="ij"), axis=-1)   # (5, 7, 2)
    >>> values.shape, bool(np.allclose(values[0], bioassay.log_posterior(theta, data)))
    ((2, 5, 7), True)
    """
    _check_data(data)
    if prior is not None and not isinstance(prior, NormalPrior):
        raise TypeError(f"prior must be a NormalPrior or None, got {type(prior).__name__}")
    y = np.asarray(y)
    if y.ndim != 2 or y.shape[1] != len(data):
        raise ValueError(f"y must have shape (replications, {len(data)}), got {y.shape}")
    if not np.issubdtype(y.dtype, np.integer) or np.any((y < 0) | (y > data.n)):
        raise ValueError("y must hold whole numbers of deaths between 0 and n in each group")
    alpha = np.asarray(alpha, dtype=float)
    beta = np.asarray(beta, dtype=float)
    eta = (alpha[:, None, None] + beta[None, :, None] * data.x).reshape(-1, len(data)).T  # (J, a·b)
    values = y @ special.log_expit(eta) + (data.n - y) @ special.log_expit(-eta)
    if prior is not None:
        values += prior.log_density(np.stack(np.meshgrid(alpha, beta, indexing="ij"), axis=-1)).ravel()
    return values.reshape(y.shape[0], alpha.size, beta.size)


@dataclass(frozen=True)
class CoverageStudy:
    """Frequency coverage of posterior intervals for beta and LD50 over simulated data sets.

    Arrays indexed by quantity use the order ("beta", "LD50"), by method ("Laplace", "grid").

    Attributes
    ----------
    theta_true : numpy.ndarray, shape (2,)
        The (alpha, beta) the data were simulated from.
    doses : numpy.ndarray, shape (J,)
    n_per_dose : int
    prior : NormalPrior
    levels : numpy.ndarray, shape (L,)
        Central interval levels.
    y : numpy.ndarray of int, shape (R, J)
        The simulated deaths.
    intervals : numpy.ndarray, shape (2, L, 2, R, 2)
        [quantity, level, method, replication, (lower, upper)].
    coverage : numpy.ndarray, shape (2, L, 2)
        [quantity, level, method]: the share of replications whose interval holds the truth.
    n_separable : int
        Simulated data sets that are separable (:func:`~bda_helpers.bioassay.is_separable`):
        improper under the flat prior, proper under ``prior``.
    max_edge_mass : float
        The worst replication's largest posterior mass in an outermost row or column of the
        shared grid.
    max_prob_beta_nonpositive : float
        The largest exact (grid) posterior probability of beta <= 0 over the replications,
        the mass that LD50's conditioning on beta > 0 leaves out.
    max_laplace_prob_beta_nonpositive : float
        The same under the replications' Laplace normals.
    alpha, beta : numpy.ndarray
        The shared grid.
    """

    theta_true: np.ndarray
    doses: np.ndarray
    n_per_dose: int
    prior: NormalPrior
    levels: np.ndarray
    y: np.ndarray
    intervals: np.ndarray
    coverage: np.ndarray
    n_separable: int
    max_edge_mass: float
    max_prob_beta_nonpositive: float
    max_laplace_prob_beta_nonpositive: float
    alpha: np.ndarray
    beta: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "y", read_only(self.y, dtype=int))
        for name in ("theta_true", "doses", "levels", "intervals", "coverage", "alpha", "beta"):
            object.__setattr__(self, name, read_only(getattr(self, name)))

    @property
    def n_reps(self) -> int:
        """Number of simulated data sets R."""
        return self.y.shape[0]

    @property
    def mc_se(self) -> np.ndarray:
        """Monte Carlo standard error of each coverage, ``sqrt(c (1 − c) / R)``."""
        return np.sqrt(self.coverage * (1 - self.coverage) / self.n_reps)

    def table(self) -> pd.DataFrame:
        """Tidy table: one row per quantity, level and method, with coverage and its MC error.

        Examples
        --------
        >>> from bda_helpers import load_bioassay
        >>> rng = np.random.default_rng(0)
        >>> study = coverage_study([0.85, 7.75], load_bioassay().x, 50, WEAK_PRIOR, 10, rng)
        >>> study.table().columns.tolist(), len(study.table())
        (['quantity', 'level', 'method', 'coverage', 'mc_se'], 8)
        """
        rows = [
            {
                "quantity": quantity,
                "level": float(level),
                "method": method,
                "coverage": float(self.coverage[q, i, m]),
                "mc_se": float(self.mc_se[q, i, m]),
            }
            for q, quantity in enumerate(_QUANTITIES)
            for i, level in enumerate(self.levels)
            for m, method in enumerate(_METHODS)
        ]
        return pd.DataFrame(rows)


# The checks of coverage_study's inputs, one per argument that needs more than a shared check.


def _check_theta_true(theta_true) -> np.ndarray:
    theta_true = np.asarray(theta_true, dtype=float)
    if theta_true.shape != (2,) or not np.isfinite(theta_true).all():
        raise ValueError(
            f"theta_true must be a finite (alpha, beta) of shape (2,), got {theta_true.tolist()}"
        )
    if theta_true[1] <= 0:
        raise ValueError(
            f"theta_true needs beta > 0 for LD50 = -alpha/beta to exist, got beta={theta_true[1]}"
        )
    return theta_true


def _check_doses(doses) -> np.ndarray:
    doses = np.asarray(doses, dtype=float)
    if doses.ndim != 1 or doses.size < 2 or not np.isfinite(doses).all():
        raise ValueError(f"doses must be a 1-D array of at least two finite values, got {doses.tolist()}")
    if np.unique(doses).size != doses.size:
        raise ValueError(f"doses must be distinct, got {doses.tolist()}")
    return doses


def _check_proper_prior(prior) -> NormalPrior:
    if not isinstance(prior, NormalPrior):
        raise TypeError(
            f"prior must be a NormalPrior (e.g. WEAK_PRIOR): separable data sets need a proper prior, "
            f"got {type(prior).__name__}"
        )
    return prior


def _check_levels(levels) -> np.ndarray:
    levels = np.atleast_1d(np.asarray(levels, dtype=float))
    if levels.ndim != 1 or levels.size == 0 or not np.all((levels > 0) & (levels < 1)):
        raise ValueError(f"levels must be probabilities strictly between 0 and 1, got {levels.tolist()}")
    return levels


def _check_grid_points(points) -> tuple[int, int]:
    if np.shape(points) != (2,):
        raise ValueError(f"points must be (points in alpha, points in beta), got {points!r}")
    return tuple(check_int(p, f"points[{i}]", minimum=10) for i, p in enumerate(points))


# The steps of coverage_study.


def _interval_probs(levels: np.ndarray) -> np.ndarray:
    """(lower, upper) probabilities of each central interval, shape (L, 2)."""
    return np.column_stack([(1 - levels) / 2, (1 + levels) / 2])


def _laplace_intervals(fits: list[LaplaceApproximation], probs: np.ndarray) -> np.ndarray:
    """Each fit's central intervals of beta (normal) and LD50 (:func:`~bda_helpers.ld50_normal_quantile`).

    Returns an array of shape (2, L, D, 2): [quantity, level, data set, (lower, upper)].
    """
    modes = np.array([fit.mode for fit in fits])
    sds = np.array([fit.sd for fit in fits])
    intervals = np.empty((2, probs.shape[0], len(fits), 2))
    intervals[0] = stats.norm.ppf(probs[:, None, :], modes[None, :, 1, None], sds[None, :, 1, None])
    for d, fit in enumerate(fits):
        intervals[1, :, d] = ld50_normal_quantile(probs, fit.mode, fit.cov)
    return intervals


def _shared_grid(fits: list[LaplaceApproximation], span, points) -> tuple[np.ndarray, np.ndarray]:
    """The axes (alpha, beta) of the union of every fit's box ``mode + span·sd``."""
    modes = np.array([fit.mode for fit in fits])
    sds = np.array([fit.sd for fit in fits])
    return tuple(
        np.linspace(
            (modes[:, i] + span[0] * sds[:, i]).min(), (modes[:, i] + span[1] * sds[:, i]).max(), points[i]
        )
        for i in range(2)
    )


@dataclass(frozen=True)
class _GridIntervals:
    """:func:`_grid_intervals`' results for D data sets on the shared grid.

    ``intervals`` has shape (2, L, D, 2): [quantity, level, data set, (lower, upper)];
    ``edge_mass`` and ``prob_beta_nonpositive`` have shape (D,).
    """

    intervals: np.ndarray
    edge_mass: np.ndarray
    prob_beta_nonpositive: np.ndarray


def _grid_intervals(y, design: BioassayData, prior, alpha, beta, levels) -> _GridIntervals:
    """The exact central intervals of beta and LD50 of data sets with deaths ``y`` (D, J), on one grid.

    The log posteriors come :data:`_CHUNK` data sets at a time from :func:`grid_log_posteriors`;
    beta's interval is the grid's piecewise-linear one, LD50's the weighted quantiles of the
    cells with beta > 0, whose order by LD50 is the same for every data set.
    """
    probs = _interval_probs(levels)
    ld50_cells = ld50(*np.meshgrid(alpha, beta[beta > 0], indexing="ij")).ravel()
    order = np.argsort(ld50_cells)  # the same for every data set: sort once
    ld50_sorted = ld50_cells[order]
    intervals = np.empty((2, levels.size, len(y), 2))
    edge = np.empty(len(y))
    beta_nonpositive = np.empty(len(y))
    for start in range(0, len(y), _CHUNK):
        log_post = grid_log_posteriors(y[start : start + _CHUNK], design, prior, alpha, beta)
        for d, values in enumerate(log_post, start=start):
            grid = GridPosterior.from_log_density(values, (alpha, beta), names=("alpha", "beta"))
            edge[d] = grid.edge_mass().largest
            beta_nonpositive[d] = grid.mass[:, beta <= 0].sum()
            for i_level, level in enumerate(levels):
                intervals[0, i_level, d] = grid.central_interval("beta", level)
            weights = grid.mass[:, beta > 0].ravel()[order]
            intervals[1, :, d] = weighted_quantiles(ld50_sorted, weights, probs)
    return _GridIntervals(intervals=intervals, edge_mass=edge, prob_beta_nonpositive=beta_nonpositive)


def coverage_study(
    theta_true,
    doses,
    n_per_dose: int,
    prior: NormalPrior,
    n_reps: int,
    rng: np.random.Generator,
    *,
    levels=(0.5, 0.95),
    span=(-8.0, 12.0),
    points=(200, 300),
) -> CoverageStudy:
    """Frequency coverage of Laplace and exact central intervals for beta and LD50 (BDA3 §4.4).

    Simulates ``n_reps`` data sets ``y_ij ~ Binomial(n_per_dose, logit⁻¹(alpha + beta x_j))``
    from ``theta_true`` and, for each, computes central intervals

    * **Laplace**: from :func:`~bda_helpers.bioassay.laplace_fit` (Newton). Beta's interval
      is the normal one; LD50's has the exact quantiles of −alpha/beta under the normal,
      given beta > 0 (:func:`~bda_helpers.ld50_normal_quantile`), so it carries no Monte
      Carlo error.
    * **grid**: from the exact posterior on one grid shared by all replications, the union
      of every replication's box ``mode + span·sd`` (Laplace mode and sds), with
      ``points`` points; the log likelihoods are matrix products
      (:func:`grid_log_posteriors`), in chunks. Beta's interval comes from the grid's
      piecewise-linear CDF, LD50's from the cells with beta > 0 weighted by their mass
      (:func:`~bda_helpers.weighted_quantiles`).

    Replications that drew the same deaths share their intervals: each distinct data set is
    analysed once (with n = 5 animals per dose, 400 replications hold only a few dozen).

    Parameters
    ----------
    theta_true : array_like, shape (2,)
        The true (alpha, beta); beta must be positive (LD50 is defined only then).
    doses : array_like, shape (J,)
        At least two distinct log doses.
    n_per_dose : int
        Animals per dose group.
    prior : NormalPrior
        A proper prior, needed because some simulated data sets can be separable; the course
        uses :data:`WEAK_PRIOR`.
    n_reps : int
        Number of simulated data sets R.
    rng : numpy.random.Generator
        Draws the data.
    levels : sequence of float, default (0.5, 0.95)
        Central interval levels, strictly between 0 and 1.
    span : (float, float), default (-8, 12)
        Grid limits around each replication's mode, in its Laplace sds.
    points : (int, int), default (200, 300)
        Grid points in alpha and beta, each at least 10.

    Returns
    -------
    CoverageStudy

    Raises
    ------
    TypeError
        If ``prior`` is not a NormalPrior, ``rng`` not a Generator, or ``n_per_dose``,
        ``n_reps`` or a number of ``points`` not an integer.
    ValueError
        If ``theta_true`` is not a finite pair with beta > 0, ``doses`` are not distinct
        finite numbers, ``n_per_dose`` or ``n_reps`` is below 1, a level is not strictly
        between 0 and 1, or ``span`` or ``points`` is invalid.

    Examples
    --------
    >>> from bda_helpers import load_bioassay
    >>> study = coverage_study([0.85, 7.75], load_bioassay().x, 5, WEAK_PRIOR, 20, np.random.default_rng(1))
    >>> study.coverage.shape, study.n_reps
    ((2, 2, 2), 20)
    """
    theta_true = _check_theta_true(theta_true)
    doses = _check_doses(doses)
    n_per_dose = check_positive_int(n_per_dose, "n_per_dose")
    prior = _check_proper_prior(prior)
    n_reps = check_positive_int(n_reps, "n_reps")
    rng = check_generator(rng)
    levels = _check_levels(levels)
    span = _check_span(span)
    points = _check_grid_points(points)

    n = np.full(doses.size, n_per_dose)
    y = rng.binomial(n, special.expit(theta_true[0] + theta_true[1] * doses), size=(n_reps, doses.size))
    distinct, which = np.unique(y, axis=0, return_inverse=True)  # y == distinct[which]
    data_sets = [BioassayData(x=doses, n=n, y=y_d) for y_d in distinct]
    fits = [laplace_fit(data, prior) for data in data_sets]
    alpha, beta = _shared_grid(fits, span, points)
    exact = _grid_intervals(distinct, data_sets[0], prior, alpha, beta, levels)
    # [quantity, level, method, replication, (lower, upper)]: one row per replication.
    intervals = np.stack([_laplace_intervals(fits, _interval_probs(levels)), exact.intervals], axis=2)
    intervals = intervals[:, :, :, which]
    truth = np.array([theta_true[1], -theta_true[0] / theta_true[1]])[:, None, None, None]
    covered = (intervals[..., 0] <= truth) & (truth <= intervals[..., 1])
    separable = np.array([is_separable(data) for data in data_sets])
    laplace_beta_nonpositive = [stats.norm.cdf(0.0, fit.mode[1], fit.sd[1]) for fit in fits]
    return CoverageStudy(
        theta_true=theta_true,
        doses=doses,
        n_per_dose=n_per_dose,
        prior=prior,
        levels=levels,
        y=y,
        intervals=intervals,
        coverage=covered.mean(axis=-1),
        n_separable=int(separable[which].sum()),
        max_edge_mass=float(exact.edge_mass.max()),
        max_prob_beta_nonpositive=float(exact.prob_beta_nonpositive.max()),
        max_laplace_prob_beta_nonpositive=float(max(laplace_beta_nonpositive)),
        alpha=alpha,
        beta=beta,
    )
