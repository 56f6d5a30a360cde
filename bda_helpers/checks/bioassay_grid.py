"""Self-checks for notebook 02, the bioassay posterior on a grid.

Each check rebuilds the grid the exercise describes from the data (nothing is stored),
compares the answer, and recognises the usual slips — an answer from the original fine
grid, the point counts of α and β swapped, quantiles of random draws instead of the grid's
exact quantile function — to say which one it was.

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


@cache
def _grid(
    alpha_points: int = _POINTS[0], beta_points: int = _POINTS[1], beta_range: tuple = _BETA_RANGE
) -> GridPosterior:
    alpha = np.linspace(*_ALPHA_RANGE, alpha_points)
    return bioassay.grid_posterior(load_bioassay(), alpha=alpha, beta=np.linspace(*beta_range, beta_points))


def _beta_summary(grid: GridPosterior) -> tuple[float, np.ndarray]:
    return float(grid.mean()[1]), grid.quantile("beta", _PROBS)


def coarse_grid_beta(coarse_beta_mean, coarse_beta_interval) -> CheckReport:
    """Exercise 1: β's posterior mean and its 2.5 % and 97.5 % quantiles on the 30 × 45 grid.

    Examples
    --------
    >>> fine_mean, fine_interval = _beta_summary(_grid())
    >>> coarse_grid_beta(fine_mean, fine_interval).passed
    False
    """
    mean, interval = _beta_summary(_grid(*COARSE_POINTS))
    fine_mean, fine_interval = _beta_summary(_grid())
    swapped_mean, swapped_interval = _beta_summary(_grid(*COARSE_POINTS[::-1]))
    alpha_points, beta_points = COARSE_POINTS
    from_fine = (
        f"That is the value on the original {_POINTS[0]} × {_POINTS[1]} grid; rebuild it with "
        f"{alpha_points} points in α and {beta_points} in β."
    )
    swapped = (
        f"That grid has {beta_points} points in α and {alpha_points} in β; the exercise asks for "
        f"{alpha_points} in α and {beta_points} in β."
    )
    mean_result = check_close(
        coarse_beta_mean,
        mean,
        name="coarse_beta_mean",
        rtol=_RTOL,
        mistakes=[(fine_mean, from_fine), (swapped_mean, swapped)],
        hint="grid.mean() gives the posterior means of (α, β) on the grid; take the β entry.",
    )
    interval_result = check_close(
        coarse_beta_interval,
        interval,
        name="coarse_beta_interval",
        rtol=_RTOL,
        names=("2.5 %", "97.5 %"),
        mistakes=[(fine_interval, from_fine), (swapped_interval, swapped)],
        hint='take the grid\'s exact quantiles, grid.quantile("beta", [0.025, 0.975]).',
    )
    return report(mean_result, interval_result)


def truncated_grid_beta(truncated_beta_q975, truncated_beta_high_edge) -> CheckReport:
    """Exercise 2: on a grid with β cut to :data:`TRUNCATED_BETA` = [−10, 20] (α and the point
    counts as on the course grid), β's 97.5 % quantile and the mass in the outermost β column
    (``edge_mass().high["beta"]``).

    Examples
    --------
    >>> truncated_grid_beta(25.3, 2e-5).passed
    False
    """
    truncated = _grid(*_POINTS, TRUNCATED_BETA)
    full = _grid()
    low, high = (f"{end:g}" for end in TRUNCATED_BETA)
    q975 = check_close(
        truncated_beta_q975,
        truncated.quantile("beta", 0.975),
        name="truncated_beta_q975",
        rtol=_RTOL,
        mistakes=[
            (
                full.quantile("beta", 0.975),
                f"That is the 97.5 % quantile of the full grid; on [{low}, {high}] no quantile can "
                f"exceed {high}.",
            )
        ],
        hint=f"build the grid with beta=np.linspace({low}, {high}, {_POINTS[1]}) and take "
        'grid.quantile("beta", 0.975).',
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
        hint=f'edge_mass().high["beta"] of the cut grid: the mass in its last column of cells, β = {high}.',
    )
    return report(q975, edge)
