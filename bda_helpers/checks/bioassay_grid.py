"""Self-checks for notebook 02, the bioassay posterior on a grid.

Each check rebuilds the grid the exercise describes from the data (nothing is stored),
compares the answer, and recognises the usual slips — an answer from the course's own
500 × 1500 grid, the point counts of α and β swapped, quantiles read at cell centres, and
a mean or quantiles of random draws instead of the grid's exact ones — to say which one it
was.

Examples
--------
>>> coarse_grid_beta(None, None)
… Not answered yet: assign your answer to `coarse_beta_mean` and run the cell again.
… Not answered yet: assign your answer to `coarse_beta_interval` and run the cell again.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from .. import bioassay, load_bioassay
from ..grid import GridPosterior
from . import CheckReport, check_close, report

__all__ = ["COARSE_POINTS", "TRUNCATED_BETA", "coarse_grid_beta", "truncated_grid_beta"]

#: Exercise 1: points in α and in β of the coarse grid, on the course's ranges.
COARSE_POINTS = (30, 45)
#: Exercise 2: the cut β range, with as many points as the course grid has in β.
TRUNCATED_BETA = (float(bioassay.GRID_BETA[0]), 20.0)

_PROBS = (0.025, 0.975)
_RTOL = 1e-6  # the answers are exact grid computations: only rounding differs
# The course grid (bioassay.GRID_ALPHA × bioassay.GRID_BETA): its ranges and point counts.
_ALPHA_RANGE = (float(bioassay.GRID_ALPHA[0]), float(bioassay.GRID_ALPHA[-1]))
_BETA_RANGE = (float(bioassay.GRID_BETA[0]), float(bioassay.GRID_BETA[-1]))
_POINTS = (bioassay.GRID_ALPHA.size, bioassay.GRID_BETA.size)
#: An answer within this many Monte Carlo standard errors of a sample of :data:`_FEW_DRAWS`
#: draws (but not right) is taken for a mean or quantiles of random draws.
_DRAW_SES, _FEW_DRAWS = 4.0, 100
_DRAWS_HINT = (
    "that is close but not exact, within the scatter of a mean or quantiles of random draws: if you "
    "used draws (grid.sample), take the grid's exact values instead (grid.mean(), grid.quantile), which "
    "have no Monte Carlo error; if you typed a rounded number, assign the computed value itself."
)


@cache
def _grid(
    alpha_points: int = _POINTS[0], beta_points: int = _POINTS[1], beta_range: tuple = _BETA_RANGE
) -> GridPosterior:
    alpha = np.linspace(*_ALPHA_RANGE, alpha_points)
    return bioassay.grid_posterior(load_bioassay(), alpha=alpha, beta=np.linspace(*beta_range, beta_points))


def _beta_summary(grid: GridPosterior) -> tuple[float, np.ndarray]:
    return float(grid.mean()[1]), grid.quantile("beta", _PROBS)


def _centre_rule(grid: GridPosterior, probs) -> np.ndarray:
    """β's quantiles read at cell centres: the first centre where the cumulative mass reaches p."""
    cumulative = np.cumsum(grid.marginal("beta"))
    return grid.axis("beta")[np.searchsorted(cumulative, probs)]


def _within_draw_error(answer, expected, ses) -> bool:
    """Whether ``answer`` (any shape ``expected`` has) lies within ``_DRAW_SES`` of its standard errors."""
    try:
        values = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return False
    if values.shape != np.shape(expected) or not np.isfinite(values).all():
        return False
    return bool(np.all(np.abs(values - expected) <= _DRAW_SES * np.asarray(ses)))


def _quantile_ses(grid: GridPosterior, quantile) -> np.ndarray:
    """Standard errors of β's sample quantiles from :data:`_FEW_DRAWS` draws: sqrt(p(1-p)/n) / density."""
    probs = np.atleast_1d(_PROBS if np.ndim(quantile) else 0.975)
    cell = np.clip(
        np.searchsorted(grid.axis("beta") + grid.step[1] / 2, quantile), 0, grid.axis("beta").size - 1
    )
    density = np.atleast_1d(grid.marginal("beta")[cell] / grid.step[1])
    return np.sqrt(probs * (1 - probs) / _FEW_DRAWS) / density


def coarse_grid_beta(coarse_beta_mean, coarse_beta_interval) -> CheckReport:
    """Exercise 1: β's posterior mean and its 2.5 % and 97.5 % quantiles on the 30 × 45 grid.

    Examples
    --------
    >>> fine_mean, fine_interval = _beta_summary(_grid())
    >>> coarse_grid_beta(fine_mean, fine_interval).passed
    False
    """
    coarse = _grid(*COARSE_POINTS)
    mean, interval = _beta_summary(coarse)
    fine_mean, fine_interval = _beta_summary(_grid())
    swapped_mean, swapped_interval = _beta_summary(_grid(*COARSE_POINTS[::-1]))
    alpha_points, beta_points = COARSE_POINTS
    from_fine = (
        f"That is the value on the course's {_POINTS[0]} × {_POINTS[1]} grid; rebuild it with "
        f"{alpha_points} points in α and {beta_points} in β."
    )
    swapped = (
        f"That grid has {beta_points} points in α and {alpha_points} in β; the exercise asks for "
        f"{alpha_points} in α and {beta_points} in β."
    )
    mean_se = np.sqrt(coarse.cov()[1, 1] / _FEW_DRAWS)
    mean_result = check_close(
        coarse_beta_mean,
        mean,
        name="coarse_beta_mean",
        rtol=_RTOL,
        mistakes=[(fine_mean, from_fine), (swapped_mean, swapped)],
        hint=_DRAWS_HINT
        if _within_draw_error(coarse_beta_mean, mean, mean_se)
        else "grid.mean() gives the posterior means of (α, β) on the grid; take the β entry.",
    )
    interval_result = check_close(
        coarse_beta_interval,
        interval,
        name="coarse_beta_interval",
        rtol=_RTOL,
        names=("2.5 %", "97.5 %"),
        mistakes=[
            (fine_interval, from_fine),
            (swapped_interval, swapped),
            (
                _centre_rule(coarse, _PROBS),
                "those are read at cell centres (the first centre where the cumulative mass reaches "
                "the probability); the grid spreads each cell's mass across the cell, and "
                'grid.quantile("beta", [0.025, 0.975]) reads its piecewise-linear CDF.',
            ),
        ],
        hint=_DRAWS_HINT
        if _within_draw_error(coarse_beta_interval, interval, _quantile_ses(coarse, interval))
        else 'take the grid\'s exact quantiles, grid.quantile("beta", [0.025, 0.975]).',
    )
    return report(mean_result, interval_result)


def truncated_grid_beta(truncated_beta_q975, truncated_beta_high_edge) -> CheckReport:
    """Exercise 2: on a grid with β cut to :data:`TRUNCATED_BETA` = [−10, 20] (α and the point
    counts as on the course grid), β's 97.5 % quantile and the mass in the outermost β column
    (``edge_mass().high["beta"]``).

    Examples
    --------
    >>> truncated_grid_beta(25.4, 4e-12).passed
    False
    """
    truncated = _grid(*_POINTS, TRUNCATED_BETA)
    full = _grid()
    low, high = (f"{end:g}" for end in TRUNCATED_BETA)
    q975 = truncated.quantile("beta", 0.975)
    build = f"build the grid with beta=np.linspace({low}, {high}, {_POINTS[1]}) and α as on the course grid"
    q975_result = check_close(
        truncated_beta_q975,
        q975,
        name="truncated_beta_q975",
        rtol=_RTOL,
        mistakes=[
            (
                full.quantile("beta", 0.975),
                f"That is the 97.5 % quantile of the full grid; on [{low}, {high}] no quantile can "
                f"exceed {high}.",
            )
        ],
        hint=_DRAWS_HINT
        if _within_draw_error(truncated_beta_q975, q975, _quantile_ses(truncated, q975))
        else f'{build}, and take grid.quantile("beta", 0.975).',
    )
    edge = check_close(
        truncated_beta_high_edge,
        truncated.edge_mass().high["beta"],
        name="truncated_beta_high_edge",
        rtol=_RTOL,
        mistakes=[
            (
                full.edge_mass().high["beta"],
                f"That is the edge mass of the full grid, up to β = {_BETA_RANGE[1]:g}.",
            )
        ],
        hint=f'edge_mass().high["beta"] of the cut grid ({build}): the mass in its last column of cells, '
        f"at β = {high}.",
    )
    return report(q975_result, edge)
