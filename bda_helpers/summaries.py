"""Derived quantities and summaries of posterior draws."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ._validation import check_finite

__all__ = [
    "ld50",
    "quantiles",
    "central_interval",
    "quantile_mcse",
    "NormalSummary",
    "ld50_delta_method",
    "ld50_unconditioned",
    "weighted_quantiles",
    "quantile_table",
]


def ld50(alpha, beta) -> np.ndarray:
    """Log dose at which the death probability is 1/2: ``-alpha / beta``.

    LD50 is meaningful only for ``beta > 0`` (a dose that kills more as it grows); near
    ``beta = 0`` the ratio explodes. So this function refuses draws with ``beta <= 0``:
    condition on ``beta > 0`` first, and report how many draws that drops.

    Parameters
    ----------
    alpha, beta : array_like
        Draws (or values) of intercept and slope, broadcast against each other.

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    ValueError
        If any ``beta`` is not positive, any value is not finite, or a ratio is too large
        for a float (``beta`` so close to 0, e.g. 1e-320, that ``-alpha/beta`` overflows).

    Examples
    --------
    >>> ld50([0.8466], [7.7488]).round(4).tolist()
    [-0.1093]
    >>> ld50([0.5, 0.5], [2.0, -1.0])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: LD50 = -alpha/beta needs beta > 0, but 1 of 2 values have beta <= 0; keep the draws ...
    >>> ld50(0.5, 1e-320)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: ld50 = -alpha/beta overflows at beta=1e-320 (alpha=0.5): the ratio is beyond ...
    """
    alpha, beta = np.broadcast_arrays(np.asarray(alpha, dtype=float), np.asarray(beta, dtype=float))
    if not (np.isfinite(alpha).all() and np.isfinite(beta).all()):
        raise ValueError("alpha and beta must be finite")
    bad = int(np.count_nonzero(beta <= 0))
    if bad:
        raise ValueError(
            f"LD50 = -alpha/beta needs beta > 0, but {bad} of {beta.size} values have "
            f"beta <= 0; keep the draws with beta > 0 first"
        )
    return _ratio(alpha, beta, "ld50")


def _ratio(alpha: np.ndarray, beta: np.ndarray, name: str) -> np.ndarray:
    """``-alpha / beta`` for finite ``alpha`` and non-zero ``beta``, refusing a ratio that overflows."""
    with np.errstate(over="ignore"):  # an overflow is named below
        ratio = -alpha / beta
    overflow = ~np.isfinite(ratio)
    if overflow.any():
        index = tuple(int(i) for i in np.argwhere(overflow)[0])
        where = f" at index {index}, {int(overflow.sum())} of {ratio.size} values" if ratio.ndim else ""
        raise ValueError(
            f"{name} = -alpha/beta overflows at beta={float(beta[index])!r} (alpha={float(alpha[index])!r}"
            f"{where}): the ratio is beyond the largest float, so this beta is too close to 0 for a "
            f"dose to be computed"
        )
    return ratio


def _check_probabilities(probs) -> np.ndarray:
    """``probs`` as a float array of probabilities in [0, 1] (NaN refused), for quantile functions."""
    probs = np.asarray(probs, dtype=float)
    if np.any(~((probs >= 0) & (probs <= 1))):
        raise ValueError(f"quantile probabilities must lie in [0, 1], got {probs.tolist()}")
    return probs


def quantiles(draws, probs) -> np.ndarray:
    """Sample quantiles of 1-D ``draws`` (numpy's default, linear interpolation).

    Examples
    --------
    >>> quantiles(np.arange(101.0), [0.025, 0.5, 0.975]).tolist()
    [2.5, 50.0, 97.5]
    """
    draws = np.asarray(draws, dtype=float)
    if draws.ndim != 1 or draws.size == 0:
        raise ValueError(f"draws must be a non-empty 1-D array, got shape {draws.shape}")
    check_finite(draws, "draws")
    return np.quantile(draws, _check_probabilities(probs))


def central_interval(draws, level: float = 0.95) -> np.ndarray:
    """The central ``level`` interval of 1-D ``draws``, as ``[lower, upper]``.

    Examples
    --------
    >>> central_interval(np.arange(101.0), 0.5).tolist()
    [25.0, 75.0]
    """
    if not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level}")
    return quantiles(draws, [(1 - level) / 2, (1 + level) / 2])


def quantile_mcse(draws, prob: float) -> float:
    """Monte Carlo standard error of the sample ``prob``-quantile of independent ``draws``.

    The ``prob``-quantile of ``n`` independent draws sits at a uniform order statistic
    whose position is Beta(n·prob + 1, n·(1 − prob) + 1) distributed; mapping that
    distribution's ±1 sd points (its 15.9 % and 84.1 % quantiles) through the draws'
    empirical quantile function gives an interval whose half-width is the standard error.
    This needs no density estimate and is the rule ArviZ uses with the effective sample
    size in place of ``n``. For correlated (MCMC) draws use an ESS-based version instead.

    Parameters
    ----------
    draws : array_like, shape (n,)
        Independent draws, e.g. from a Laplace approximation or a grid.
    prob : float
        One quantile probability in (0, 1).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``draws`` is not a finite 1-D array of at least 2 values, or ``prob`` is not a
        single number strictly between 0 and 1.

    Examples
    --------
    >>> draws = np.random.default_rng(0).normal(size=10_000)
    >>> round(quantile_mcse(draws, 0.5), 3)   # theory: sqrt(0.25 / n) / pdf(0) ≈ 0.0125
    0.013
    """
    draws = np.asarray(draws, dtype=float)
    if draws.ndim != 1 or draws.size < 2:
        raise ValueError(f"draws must be a 1-D array of at least 2 values, got shape {draws.shape}")
    check_finite(draws, "draws")
    if np.ndim(prob) != 0:
        raise ValueError(
            f"prob must be a single probability, got an array of shape {np.shape(prob)}: "
            f"call quantile_mcse once per probability"
        )
    prob = float(prob)
    if not 0 < prob < 1:
        raise ValueError(f"prob must lie strictly between 0 and 1, got {prob}")
    n = draws.size
    one_sd = stats.norm.cdf([-1.0, 1.0])
    lower, upper = stats.beta.ppf(one_sd, n * prob + 1, n * (1 - prob) + 1)
    q_lower, q_upper = np.quantile(draws, [lower, upper])
    return float((q_upper - q_lower) / 2)


@dataclass(frozen=True)
class NormalSummary:
    """A normal approximation N(mean, sd²) to a scalar quantity.

    Attributes
    ----------
    mean : float
        Finite.
    sd : float
        Finite and positive.

    Raises
    ------
    ValueError
        If ``mean`` is not a finite number or ``sd`` is not a finite positive number.

    Examples
    --------
    >>> summary = NormalSummary(mean=1.0, sd=2.0)
    >>> summary.interval(0.95).round(2).tolist()
    [-2.92, 4.92]
    >>> NormalSummary(mean=0.0, sd=-1.0)
    Traceback (most recent call last):
    ...
    ValueError: sd must be a finite positive number, got -1.0
    """

    mean: float
    sd: float

    def __post_init__(self) -> None:
        for name, value in (("mean", self.mean), ("sd", self.sd)):
            if np.ndim(value) != 0:
                raise ValueError(f"{name} must be a single number, got an array of shape {np.shape(value)}")
            try:
                object.__setattr__(self, name, float(value))
            except (TypeError, ValueError):
                raise ValueError(f"{name} must be a number, got {value!r}") from None
        if not np.isfinite(self.mean):
            raise ValueError(f"mean must be finite, got {self.mean}")
        if not (np.isfinite(self.sd) and self.sd > 0):
            raise ValueError(f"sd must be a finite positive number, got {self.sd}")

    def quantile(self, probs) -> np.ndarray:
        """Normal quantiles at ``probs``.

        Parameters
        ----------
        probs : float or array_like
            Probabilities in [0, 1]; 0 and 1 give ``-inf`` and ``inf``.

        Returns
        -------
        numpy.ndarray
            Quantiles, shaped like ``probs``.

        Raises
        ------
        ValueError
            If a probability is not a number in [0, 1].

        Examples
        --------
        >>> NormalSummary(mean=1.0, sd=2.0).quantile([0.5, 0.975]).round(3).tolist()
        [1.0, 4.92]
        >>> NormalSummary(mean=1.0, sd=2.0).quantile(1.5)
        Traceback (most recent call last):
        ...
        ValueError: quantile probabilities must lie in [0, 1], got 1.5
        """
        return stats.norm.ppf(_check_probabilities(probs), self.mean, self.sd)

    def interval(self, level: float = 0.95) -> np.ndarray:
        """The central ``level`` interval, ``[lower, upper]``.

        Parameters
        ----------
        level : float, default 0.95
            Probability strictly between 0 and 1.

        Returns
        -------
        numpy.ndarray, shape (2,)

        Raises
        ------
        ValueError
            If ``level`` is not strictly between 0 and 1.

        Examples
        --------
        >>> NormalSummary(mean=0.0, sd=1.0).interval(0.5).round(4).tolist()
        [-0.6745, 0.6745]
        """
        if not 0 < level < 1:
            raise ValueError(f"level must lie strictly between 0 and 1, got {level}")
        return self.quantile([(1 - level) / 2, (1 + level) / 2])


def ld50_delta_method(mean, cov) -> NormalSummary:
    """Delta-method normal approximation to LD50 = −α/β under (α, β) ~ N(mean, cov).

    Linearising g(α, β) = −α/β at the mean gives g ≈ N(g(mean), ∇gᵀ cov ∇g) with
    ∇g = (−1/β, α/β²). It ignores that a normal β puts mass near 0, where −α/β explodes:
    the approximation is only as good as β's distance from 0 in sds.

    Parameters
    ----------
    mean : array_like, shape (2,)
        (α, β), e.g. the Laplace mode; β must be positive.
    cov : array_like, shape (2, 2)
        Covariance of (α, β), e.g. the Laplace covariance.

    Returns
    -------
    NormalSummary

    Raises
    ------
    ValueError
        If the shapes are wrong, a value is not finite, ``cov`` is not symmetric positive
        semi-definite, β ≤ 0, or ``cov`` gives the linearised LD50 no variance.

    Examples
    --------
    >>> summary = ld50_delta_method([0.8466, 7.7488], [[1.0385, 3.5460], [3.5460, 23.7439]])
    >>> round(summary.mean, 4), round(summary.sd, 4)
    (-0.1093, 0.0955)
    >>> ld50_delta_method([0.8466, 7.7488], [[1.0, 2.0], [2.0, 1.0]])
    Traceback (most recent call last):
    ...
    ValueError: cov is not positive semi-definite (smallest eigenvalue -1): [[1.0, 2.0], [2.0, 1.0]]
    """
    mean, cov = check_bivariate_normal(mean, cov, definite=False)
    alpha, beta = mean
    if beta <= 0:
        raise ValueError(f"LD50 = -alpha/beta needs beta > 0 at the expansion point, got beta={beta}")
    gradient = np.array([-1.0 / beta, alpha / beta**2])
    variance = float(gradient @ cov @ gradient)
    if not variance > 0:
        raise ValueError(
            f"cov gives -alpha/beta no variance along its gradient {gradient.tolist()}: "
            f"the delta method has no spread to report"
        )
    return NormalSummary(mean=float(-alpha / beta), sd=variance**0.5)


def ld50_unconditioned(alpha, beta) -> np.ndarray:
    """The ratio ``-alpha / beta`` for every draw, *including* those with ``beta <= 0``.

    For ``beta <= 0`` the ratio is not an LD50 at all (the dose-response curve does not
    rise, so no dose kills half the animals), and near ``beta = 0`` it explodes. This
    function exists to *show* that explosion, e.g. for draws of a normal approximation
    whose ``beta`` crosses 0; to summarise LD50 use :func:`ld50`, which refuses such draws.

    Parameters
    ----------
    alpha, beta : array_like
        Draws of intercept and slope, broadcast against each other.

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    ValueError
        If any value is not finite, any ``beta`` is exactly 0 (the ratio is undefined), or
        a ratio is too large for a float (``beta`` nearly 0, e.g. 1e-320).

    Examples
    --------
    >>> ld50_unconditioned([0.8, 0.8, 0.8], [8.0, 0.01, -2.0]).round(2).tolist()
    [-0.1, -80.0, 0.4]
    """
    alpha, beta = np.broadcast_arrays(np.asarray(alpha, dtype=float), np.asarray(beta, dtype=float))
    if not (np.isfinite(alpha).all() and np.isfinite(beta).all()):
        raise ValueError("alpha and beta must be finite")
    zero = int(np.count_nonzero(beta == 0))
    if zero:
        raise ValueError(f"-alpha/beta is undefined for beta = 0 ({zero} of {beta.size} values)")
    return _ratio(alpha, beta, "ld50_unconditioned")


def weighted_quantiles(values, weights, probs) -> np.ndarray:
    """Quantiles of a discrete distribution: ``values`` with probabilities ``weights``.

    Each value is treated as the midpoint of its share of probability: sorted values
    ``v_(i)`` sit at cumulative probability ``W_(i) - w_(i)/2``, and quantiles interpolate
    linearly between them (values below the first or above the last point are clipped to
    the smallest or largest value). With equal weights this is the "Hazen" sample
    quantile. It turns a grid posterior into quantiles of any function of the parameters,
    e.g. LD50, by weighting each cell's value with the cell's mass.

    Parameters
    ----------
    values : array_like
        Finite values (any shape; flattened).
    weights : array_like
        Non-negative weights of the same shape, not all 0; normalised here. Values of
        weight 0 are left out.
    probs : float or array_like
        Probabilities in [0, 1].

    Returns
    -------
    numpy.ndarray
        Quantiles, shaped like ``probs``.

    Examples
    --------
    >>> weighted_quantiles([3.0, 1.0, 2.0], [0.25, 0.25, 0.5], [0.125, 0.5, 0.875]).tolist()
    [1.0, 2.0, 3.0]
    >>> weighted_quantiles([0.0, 1.0, 2.0, 3.0], [1.0, 0.0, 0.0, 1.0], 0.5).tolist()  # as if only 0 and 3
    1.5
    """
    values = np.asarray(values, dtype=float).ravel()
    weights = np.asarray(weights, dtype=float).ravel()
    if values.size == 0 or values.shape != weights.shape:
        raise ValueError(
            f"values and weights must be non-empty and of one size, got {values.size} and {weights.size}"
        )
    if not (np.isfinite(values).all() and np.isfinite(weights).all()):
        raise ValueError("values and weights must be finite")
    if np.any(weights < 0) or weights.sum() <= 0:
        raise ValueError("weights must be non-negative and not all 0")
    probs = _check_probabilities(probs)
    # A value of weight 0 is not in the distribution; kept, it would take a place among the
    # interpolation points and move the quantiles.
    values, weights = values[weights > 0], weights[weights > 0]
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    sorted_weights = weights[order] / weights.sum()
    position = np.cumsum(sorted_weights) - sorted_weights / 2
    return np.interp(probs, position, sorted_values)


def quantile_table(probs, names, *, draws=None, exact=None) -> pd.DataFrame:
    """One table of marginal quantiles from several sources, exact and from draws.

    Rows are (parameter, probability); for every source there is an ``exact`` column
    (quantiles computed exactly, e.g. normal ``ppf`` or a grid's CDF) and/or a ``draws``
    column with its Monte Carlo standard error ``± MCSE`` (:func:`quantile_mcse`, for
    independent draws). Sources appear in the order they are first named, ``exact``
    before ``draws``.

    Parameters
    ----------
    probs : array_like, shape (k,)
        Quantile probabilities, strictly between 0 and 1.
    names : sequence of str, length d
        Parameter names, in the order of the draws' columns.
    draws : dict of str to array_like of shape (n, d), optional
        Independent draws per source.
    exact : dict of str to array_like of shape (d, k), optional
        Exact quantiles per source: row ``i`` for parameter ``names[i]``, one column per
        probability.

    Returns
    -------
    pandas.DataFrame
        Index (``parameter``, ``quantile``), with the probabilities labelled like "2.5%";
        columns a MultiIndex (source, ``exact`` / ``draws`` / ``± MCSE``).

    Examples
    --------
    >>> from scipy import stats
    >>> probs = [0.25, 0.75]
    >>> sample = np.random.default_rng(0).normal(size=(4000, 1))
    >>> table = quantile_table(probs, ["z"], draws={"normal": sample},
    ...                        exact={"normal": [stats.norm.ppf(probs)]})
    >>> table.columns.tolist()
    [('normal', 'exact'), ('normal', 'draws'), ('normal', '± MCSE')]
    >>> table.index.tolist()
    [('z', '25%'), ('z', '75%')]
    >>> table.round(2).to_numpy().tolist()
    [[-0.67, -0.69, 0.02], [0.67, 0.66, 0.02]]
    """
    probs = np.asarray(probs, dtype=float)
    names = list(names)
    draws = dict(draws or {})
    exact = dict(exact or {})
    if probs.ndim != 1 or probs.size == 0 or np.any(~((probs > 0) & (probs < 1))):
        raise ValueError(
            f"probs must be a 1-D array of probabilities strictly between 0 and 1, got {probs.tolist()}"
        )
    if not names:
        raise ValueError("names must name at least one parameter")
    if not (draws or exact):
        raise ValueError("give draws or exact quantiles for at least one source")
    columns: dict[tuple[str, str], np.ndarray] = {}
    for source in dict.fromkeys([*exact, *draws]):
        if source in exact:
            values = np.asarray(exact[source], dtype=float)
            if values.shape != (len(names), probs.size):
                raise ValueError(
                    f"exact quantiles of {source!r} must have shape (len(names), len(probs)) = "
                    f"{(len(names), probs.size)}, got {values.shape}"
                )
            columns[(source, "exact")] = values.ravel()
        if source in draws:
            sample = np.asarray(draws[source], dtype=float)
            if sample.ndim != 2 or sample.shape[1] != len(names):
                raise ValueError(
                    f"draws of {source!r} must have shape (n, len(names)) = (n, {len(names)}), "
                    f"got {sample.shape}"
                )
            columns[(source, "draws")] = np.concatenate([quantiles(column, probs) for column in sample.T])
            columns[(source, "± MCSE")] = np.array(
                [quantile_mcse(column, p) for column in sample.T for p in probs]
            )
    labels = [f"{100 * p:g}%" for p in probs]
    index = pd.MultiIndex.from_product([names, labels], names=["parameter", "quantile"])
    table = pd.DataFrame(columns, index=index)
    table.columns = pd.MultiIndex.from_tuples(table.columns, names=["source", ""])
    return table


def check_bivariate_normal(mean, cov, *, definite: bool) -> tuple[np.ndarray, np.ndarray]:
    """Float copies of the mean and covariance of a normal for (α, β), checked.

    Shared by :func:`ld50_delta_method` and :mod:`bda_helpers.ld50_normal`, so the two
    refuse the same bad input with the same words.

    Parameters
    ----------
    mean : array_like, shape (2,)
        The mean of (α, β); finite.
    cov : array_like, shape (2, 2)
        Its covariance: finite, symmetric to 1e-10 of its largest entry, and positive
        definite if ``definite``, else positive semi-definite (eigenvalues down to
        ``-1e-10`` times its largest entry pass, as rounding leaves them).
    definite : bool
        Whether a singular ``cov`` (an eigenvalue 0) is refused too.

    Returns
    -------
    mean : numpy.ndarray, shape (2,)
    cov : numpy.ndarray, shape (2, 2)

    Raises
    ------
    ValueError
        Naming the problem: shapes, non-finite values, asymmetry, or a negative (or, if
        ``definite``, zero) eigenvalue.

    Examples
    --------
    >>> mean, cov = check_bivariate_normal([0.85, 7.75], [[1.0, 3.5], [3.5, 23.7]], definite=True)
    >>> mean.tolist(), cov.shape
    ([0.85, 7.75], (2, 2))
    >>> check_bivariate_normal([0.85, 7.75], [[1.0, 5.0], [-5.0, 1.0]], definite=True)
    Traceback (most recent call last):
    ...
    ValueError: cov is not symmetric: [[1.0, 5.0], [-5.0, 1.0]]
    """
    mean = np.asarray(mean, dtype=float)
    cov = np.asarray(cov, dtype=float)
    if mean.shape != (2,) or cov.shape != (2, 2):
        raise ValueError(f"mean must have shape (2,) and cov (2, 2), got {mean.shape} and {cov.shape}")
    if not (np.isfinite(mean).all() and np.isfinite(cov).all()):
        raise ValueError("mean and cov must be finite")
    scale = np.abs(cov).max()
    if np.abs(cov - cov.T).max() > 1e-10 * scale:
        raise ValueError(f"cov is not symmetric: {cov.tolist()}")
    eigenvalues = np.linalg.eigvalsh(cov)
    if definite and eigenvalues[0] <= 0:
        raise ValueError(
            f"cov is not positive definite (smallest eigenvalue {eigenvalues[0]:.3g}): {cov.tolist()}"
        )
    if eigenvalues[0] < -1e-10 * scale:
        raise ValueError(
            f"cov is not positive semi-definite (smallest eigenvalue {eigenvalues[0]:.3g}): {cov.tolist()}"
        )
    return mean, cov
