"""Self-checks for notebook 02, the bioassay posterior on a grid.

Each check rebuilds the grid the exercise describes from the data (nothing is stored) and
compares the answer with the grid's own, deterministic values. A wrong answer is matched
against the right value rounded to the digits typed (a typed number, not the computed one)
and against the values of the usual slips — the usual wrong grids (the course's own
500 × 1500, the BDA Python demos' window α ∈ [−4, 8], β ∈ [−10, 40], the 360 points in β of
notebook 02's grid on that window, point counts swapped or one off, one axis coarsened only),
quantiles read at cell centres or interpolated between them, a quantile put at the cut grid's
edge, a mass read from the wrong grid or the wrong side — each at the digits typed. A typed answer
that fits both the right value and a slip at its digits is told so, with the slip, and asked for
more digits (a slip the right value cannot be told from, such as a point more or less in β on a fine
grid, is never named). Only an answer that matches none of these but lies within the scatter of a
mean, quantiles or a share of random draws is asked whether it came from draws (of 100 draws for
exercise 1, of the notebook's 1000 for exercise 2).

Examples
--------
>>> coarse_grid_beta(None, None, None)
… Not answered yet: assign your answer to `coarse_beta_mean` and run the cell again.
… Not answered yet: assign your answer to `coarse_beta_interval` and run the cell again.
… Not answered yet: assign your answer to `coarse_alpha_interval` and run the cell again.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np

from .. import bioassay, load_bioassay
from ..grid import GridPosterior
from . import (
    CheckReport,
    CheckResult,
    as_array,
    as_probability,
    correct,
    describe_miss,
    format_answer,
    report,
    typed_decimals,
    wrong,
)

__all__ = ["COARSE_POINTS", "TRUNCATED_BETA", "coarse_grid_beta", "truncated_grid_beta"]

#: Exercise 1: points in α and in β of the coarse grid, on the course's ranges.
COARSE_POINTS = (30, 45)
#: Exercise 2: the cut β range, with as many points as the course grid has in β.
TRUNCATED_BETA = (float(bioassay.GRID_BETA[0]), 20.0)

_PROBS = (0.025, 0.975)
_RTOL = 1e-6  # the answers are deterministic grid computations: only round-off differs
# The course grid (bioassay.GRID_ALPHA × bioassay.GRID_BETA): its ranges and point counts.
_ALPHA_RANGE = (float(bioassay.GRID_ALPHA[0]), float(bioassay.GRID_ALPHA[-1]))
_BETA_RANGE = (float(bioassay.GRID_BETA[0]), float(bioassay.GRID_BETA[-1]))
_POINTS = (bioassay.GRID_ALPHA.size, bioassay.GRID_BETA.size)
# The window of the BDA Python demos' grids (demo3_6, demo4_1; both use 100 × 100 points), and the
# β count of notebook 02's finer grid on that window, 240 × 360 (the course's choice, not the demos').
_DEMOS_ALPHA, _DEMOS_BETA, _WINDOW_BETA_POINTS = (-4.0, 8.0), (-10.0, 40.0), 360
#: An answer within this many Monte Carlo standard errors of a sample of :data:`_FEW_DRAWS`
#: draws, but matching none of the grid slips, is asked whether it came from random draws.
_DRAW_SES, _FEW_DRAWS = 4.0, 100
#: A share of draws (the mass beyond a point), and exercise 2's quantile, are asked about within the
#: scatter of the notebook's 1000 draws: a wider window would take in answers that are slips of the grid.
_NOTEBOOK_DRAWS = 1000
_LINSPACE = "np.linspace(start, stop, n) makes n points, n - 1 steps apart"


@cache
def _grid(
    alpha_points: int = _POINTS[0],
    beta_points: int = _POINTS[1],
    beta_range: tuple = _BETA_RANGE,
    alpha_range: tuple = _ALPHA_RANGE,
) -> GridPosterior:
    alpha = np.linspace(*alpha_range, alpha_points)
    return bioassay.grid_posterior(load_bioassay(), alpha=alpha, beta=np.linspace(*beta_range, beta_points))


def _typed_tolerance(values: np.ndarray) -> np.ndarray | None:
    """Half a unit in the last decimal of each entry, if every entry has at most 8 decimals (a typed,
    rounded number); ``None`` for a computed value, whose digits run on. A typed 0 has no significant
    digit to round: its tolerance is 0 (never half a unit of its units digit)."""
    decimals = typed_decimals(values)
    if decimals is None:
        return None
    half_unit = 0.5 * 10.0**-decimals * (1 + 1e-9)
    return np.where(values == 0, 0.0, half_unit)


def _within_draw_error(values: np.ndarray, expected, ses) -> bool:
    """Whether ``values`` lie within ``_DRAW_SES`` of their Monte Carlo standard errors of ``expected``."""
    return bool(np.all(np.abs(values - expected) <= _DRAW_SES * np.asarray(ses)))


def _check(
    answer,
    expected,
    *,
    name: str,
    mistakes: Sequence[tuple[object, str]],
    scatter_ses,
    draws_hint: str,
    hint: str,
    names: Sequence[str] = (),
) -> CheckResult:
    """Like :func:`~bda_helpers.checks.check_close`, for a grid's deterministic values: the right value
    and the mistakes are matched to the digits typed; a typed answer that fits the right value is told
    it is rounded (and, if it also fits a mistake, which one); an answer matching no mistake but within
    ``scatter_ses`` Monte Carlo errors gets ``draws_hint``."""
    expected = np.asarray(expected, dtype=float)
    values = as_array(answer, expected.shape, name)
    if isinstance(values, CheckResult):
        return values
    if np.allclose(values, expected, rtol=_RTOL, atol=0.0):
        return correct(f"{name} = {format_answer(values)}.")
    typed = _typed_tolerance(values)
    atol = 0.0 if typed is None else typed
    rounded = typed is not None and bool(np.all(np.abs(values - expected) <= typed))
    slip = next(
        (
            mistake_hint
            for mistaken, mistake_hint in mistakes
            if np.shape(mistaken) == expected.shape
            # a slip whose value the right one cannot be told from (a point more or less on a fine
            # grid) is never named: the right value itself passes, and a rounded one would be told of it
            and not np.allclose(mistaken, expected, rtol=_RTOL, atol=0.0)
            and np.allclose(values, np.asarray(mistaken, dtype=float), rtol=_RTOL, atol=atol)
        ),
        None,
    )
    computed = f"assign the value your code computes to `{name}` (not a typed number)."
    shown = format_answer(values)
    if rounded and slip is not None:
        return wrong(
            f"{name} = {shown} is rounded too far to tell: to the digits given it is right, but it also "
            "fits a usual slip.",
            f"It may be this one: {slip} Either way, {computed}",
        )
    if rounded:
        return wrong(
            f"{name} = {shown} is rounded: right to the digits given, but give more digits.", computed
        )
    if slip is not None:
        hint = slip
    elif _within_draw_error(values, expected, scatter_ses):
        hint = draws_hint
    return wrong(describe_miss(name, values, expected, rtol=_RTOL, names=names), hint)


def _quantile_ses(grid: GridPosterior, name: str, quantile, probs, draws: int = _FEW_DRAWS) -> np.ndarray:
    """Standard errors of sample quantiles from ``draws`` draws: sqrt(p(1-p)/n) / density."""
    axis = grid.axis(name)
    step = grid.step[0 if name == "alpha" else 1]
    cell = np.clip(np.searchsorted(axis + step / 2, quantile), 0, axis.size - 1)
    density = grid.marginal(name)[cell] / step
    return np.sqrt(np.asarray(probs) * (1 - np.asarray(probs)) / draws) / density


def _centre_rule(grid: GridPosterior, name: str, probs) -> np.ndarray:
    """Quantiles read at cell centres: the first centre where the cumulative mass reaches p."""
    return grid.axis(name)[np.searchsorted(np.cumsum(grid.marginal(name)), probs)]


def _centre_interpolation(grid: GridPosterior, name: str, probs) -> np.ndarray:
    """Quantiles interpolated with the cumulative mass put at cell centres (``np.interp``): exactly half a
    cell low, since the grid's piecewise-linear CDF reaches each cumulative mass at the cell's upper edge."""
    return np.interp(probs, np.cumsum(grid.marginal(name)), grid.axis(name))


def _reading_slips(grid: GridPosterior, name: str, probs) -> list[tuple[object, str]]:
    """The two usual misreadings of a grid's CDF, each with its hint (``probs`` a number or a list)."""
    reader = f'grid.quantile("{name}", {probs})'
    plural = np.ndim(probs) > 0
    those, interpolate = ("Those are", "Those interpolate") if plural else ("That is", "That interpolates")
    spread = (
        f"the grid spreads each cell's mass across the cell, and {reader} reads its piecewise-linear CDF, "
        "which reaches a cell's cumulative mass at the cell's upper edge."
    )
    return [
        (
            _centre_rule(grid, name, probs),
            f"{those} read at cell centres (the first centre where the cumulative mass reaches the "
            f"probability); {spread}",
        ),
        (
            _centre_interpolation(grid, name, probs),
            f"{interpolate} the cumulative mass as if each cell's were reached at its centre; {spread}",
        ),
    ]


def _draws_hint(what: str, build: str) -> str:
    return (
        f"that is within the scatter of {what} of random draws: if you used draws (grid.sample), take the "
        f"grid's own values instead (grid.mean(), grid.quantile), which are deterministic; if not, check "
        f"that your grid is the exercise's, {build}."
    )


def _coarse_mistakes(parameter: str, summary) -> list[tuple[object, str]]:
    """The usual wrong grids of exercise 1 and the hint for each, as ``summary(grid)`` values.

    β's summaries hardly depend on α's point count (they move by about 1e-7), so their hints name
    only what they can tell apart: β's points and the ranges; α's quantiles depend on both counts."""
    a, b = COARSE_POINTS
    wanted = f"the exercise asks for {a} points in α and {b} in β"
    demos = (
        f"the BDA Python demos' window, α ∈ [{_DEMOS_ALPHA[0]:g}, {_DEMOS_ALPHA[1]:g}] and "
        f"β ∈ [{_DEMOS_BETA[0]:g}, {_DEMOS_BETA[1]:g}]"
    )
    keep = f"the exercise keeps the course's ranges, α ∈ [{_ALPHA_RANGE[0]:g}, {_ALPHA_RANGE[1]:g}] and β ∈ "
    keep += f"[{_BETA_RANGE[0]:g}, {_BETA_RANGE[1]:g}]"
    grids = [
        (_grid(a, b, _DEMOS_BETA, _DEMOS_ALPHA), f"That is the value on {demos}; {keep}."),
        (_grid(a, b, _DEMOS_BETA), f"That is the value with the demos' β range; {keep}."),
        (_grid(a, b, _BETA_RANGE, _DEMOS_ALPHA), f"That is the value with the demos' α range; {keep}."),
    ]
    if parameter == "beta":
        grids += [
            (
                _grid(a, _POINTS[1]),
                f"That is the value on a much finer grid in β, such as the course grid's "
                f"{_POINTS[1]} points; {wanted}.",
            ),
            (
                _grid(b, a),
                f"That is the value with {a} points in β: are the counts swapped? {wanted.capitalize()}.",
            ),
        ]
        grids += [
            (_grid(a, n), f"That is the value with {n} points in β; {wanted}: {_LINSPACE}.")
            for n in (b - 1, b + 1)
        ]
    else:
        grids += [
            (
                _grid(*_POINTS),
                f"That is the value on the course's {_POINTS[0]} × {_POINTS[1]} grid; {wanted}.",
            ),
            (
                _grid(_POINTS[0], b),
                f"That grid has {_POINTS[0]} points in α: only β was coarsened; {wanted}.",
            ),
            (
                _grid(a, _POINTS[1]),
                f"That grid has {_POINTS[1]} points in β: only α was coarsened; {wanted}.",
            ),
            (_grid(b, a), f"That grid has {b} points in α and {a} in β: the counts are swapped; {wanted}."),
        ]
        counts = [(m, n) for m in (a - 1, a, a + 1) for n in (b - 1, b, b + 1) if (m, n) != (a, b)]
        grids += [
            (_grid(m, n), f"That grid has {m} points in α and {n} in β; {wanted}: {_LINSPACE}.")
            for m, n in counts
        ]
    return [(summary(grid), hint) for grid, hint in grids]


def coarse_grid_beta(coarse_beta_mean, coarse_beta_interval, coarse_alpha_interval) -> CheckReport:
    """Exercise 1: on the 30 × 45 grid, β's posterior mean, and the grid's 2.5 % and 97.5 % quantiles
    of β and of α.

    Examples
    --------
    >>> grid = _grid(*COARSE_POINTS)
    >>> right = grid.mean()[1], grid.quantile("beta", [0.025, 0.975]), grid.quantile("alpha", [0.025, 0.975])
    >>> coarse_grid_beta(*right).passed
    True
    >>> three = coarse_grid_beta(round(right[0], 3), *right[1:]).results[0]  # typed: rounded, but right
    >>> three.passed, "is rounded: right to the digits given" in three.message
    (False, True)
    >>> two = coarse_grid_beta(round(right[0], 2), *right[1:]).results[0]  # fits a wrong grid's value too
    >>> two.passed, "rounded too far to tell" in two.message
    (False, True)
    """
    coarse = _grid(*COARSE_POINTS)
    build = f"alpha=np.linspace({_ALPHA_RANGE[0]:g}, {_ALPHA_RANGE[1]:g}, {COARSE_POINTS[0]}), "
    build += f"beta=np.linspace({_BETA_RANGE[0]:g}, {_BETA_RANGE[1]:g}, {COARSE_POINTS[1]})"
    mean = float(coarse.mean()[1])
    mean_result = _check(
        coarse_beta_mean,
        mean,
        name="coarse_beta_mean",
        mistakes=_coarse_mistakes("beta", lambda grid: grid.mean()[1]),
        scatter_ses=np.sqrt(coarse.cov()[1, 1] / _FEW_DRAWS),
        draws_hint=_draws_hint("a mean", build),
        hint=f"grid.mean() gives the posterior means of (α, β) on the grid; take the β entry, on the grid "
        f"built with {build}.",
    )
    intervals = []
    for parameter, answer, symbol in (
        ("beta", coarse_beta_interval, "β"),
        ("alpha", coarse_alpha_interval, "α"),
    ):
        quantiles = coarse.quantile(parameter, _PROBS)
        reader = f'grid.quantile("{parameter}", {list(_PROBS)})'
        intervals.append(
            _check(
                answer,
                quantiles,
                name=f"coarse_{parameter}_interval",
                names=("2.5 %", "97.5 %"),
                mistakes=[
                    *_coarse_mistakes(parameter, lambda grid, p=parameter: grid.quantile(p, _PROBS)),
                    *_reading_slips(coarse, parameter, list(_PROBS)),
                ],
                scatter_ses=_quantile_ses(coarse, parameter, quantiles, _PROBS),
                draws_hint=_draws_hint("quantiles", build),
                hint=f"take the grid's own quantiles of {symbol}, {reader}, on the grid built with {build}.",
            )
        )
    return report(mean_result, *intervals)


def _beyond_result(mass_beyond, full: GridPosterior, truncated: GridPosterior) -> CheckResult:
    """The second part of :func:`truncated_grid_beta`: the course grid's mass at β > the cut."""
    name, high = "mass_beyond_20", TRUNCATED_BETA[1]
    share = as_probability(mass_beyond, name, what="mass")
    if isinstance(share, CheckResult):
        return share
    axis, marginal = full.axis("beta"), full.marginal("beta")
    window = [
        _grid(*counts, _DEMOS_BETA, _DEMOS_ALPHA) for counts in ((100, 100), (240, _WINDOW_BETA_POINTS))
    ]
    course = "measure it on the course grid (bioassay.grid_posterior(data)), which reaches β = "
    course += f"{_BETA_RANGE[1]:g}"
    expected = 1.0 - full.cdf("beta", high)
    edge_hint = (
        f"That is the cut grid's edge mass, the mass in its outermost cells, at β = {high:g}: a warning "
        f"sign, not the mass beyond β = {high:g}, which lies outside that grid; {course}."
    )
    other_counts = (_WINDOW_BETA_POINTS, _POINTS[1] - 1, _POINTS[1] + 1)
    return _check(
        share,
        expected,
        name=name,
        mistakes=[
            (truncated.edge_mass().high["beta"], edge_hint),
            *(
                (_grid(_POINTS[0], n, TRUNCATED_BETA).edge_mass().high["beta"], edge_hint)
                for n in other_counts
            ),
            (
                0.0,
                f"Nothing lies beyond β = {high:g} on the cut grid, which was normalised on its own cells; "
                f"the posterior's mass beyond β = {high:g} is what that grid cannot see: {course}.",
            ),
            (
                1.0 - truncated.cdf("beta", high),
                f"That is the cut grid's mass beyond β = {high:g}, the upper half of its last cell only, as "
                f"the grid was normalised on its own cells; the posterior's mass beyond β = {high:g} is what "
                f"that grid cannot see: {course}.",
            ),
            (full.cdf("beta", high), f"That looks like the mass below β = {high:g}, not beyond it."),
            (
                marginal[axis > high].sum(),
                "That counts whole cells by their centres; the grid spreads each cell's mass across the "
                f'cell, and grid.cdf("beta", {high:g}) reads that piecewise-linear CDF.',
            ),
            *(
                (
                    1.0 - grid.cdf("beta", high),
                    f"That is measured on the demos' window, α ∈ [{_DEMOS_ALPHA[0]:g}, {_DEMOS_ALPHA[1]:g}], "
                    f"β ∈ [{_DEMOS_BETA[0]:g}, {_DEMOS_BETA[1]:g}], which misses the tail beyond β = "
                    f"{_DEMOS_BETA[1]:g}; {course}.",
                )
                for grid in window
            ),
        ],
        scatter_ses=np.sqrt(expected * (1.0 - expected) / _NOTEBOOK_DRAWS),
        draws_hint=_draws_hint("a share", "bioassay.grid_posterior(data)").replace(
            "(grid.mean(), grid.quantile)", "(grid.cdf)"
        ),
        hint=f'1 - grid.cdf("beta", {high:g}) on the course grid, bioassay.grid_posterior(data).',
    )


def truncated_grid_beta(truncated_beta_q975, mass_beyond_20) -> CheckReport:
    """Exercise 2: on a grid with β cut to :data:`TRUNCATED_BETA` = [−10, 20] (α and the point
    counts as on the course grid), β's 97.5 % quantile; and, on the course grid, the posterior mass
    beyond the cut, at β > 20, which the cut grid cannot see.

    Examples
    --------
    >>> truncated_grid_beta(25.4, 4e-12).passed
    False
    >>> print(truncated_grid_beta(None, 0.0))  # doctest: +NORMALIZE_WHITESPACE
    … Not answered yet: assign your answer to `truncated_beta_q975` and run the cell again.
    ❌ Not yet: mass_beyond_20 = 0 is too small. Hint: Nothing lies beyond β = 20 on the cut grid, which
    was normalised on its own cells; the posterior's mass beyond β = 20 is what that grid cannot see:
    measure it on the course grid (bioassay.grid_posterior(data)), which reaches β = 100.
    """
    truncated = _grid(*_POINTS, TRUNCATED_BETA)
    full = _grid()
    low, high = (f"{end:g}" for end in TRUNCATED_BETA)
    build = f"build the grid with beta=np.linspace({low}, {high}, {_POINTS[1]}) and α as on the course grid"
    window_points = _grid(_POINTS[0], _WINDOW_BETA_POINTS, TRUNCATED_BETA)
    q975 = truncated.quantile("beta", 0.975)
    q975_result = _check(
        truncated_beta_q975,
        q975,
        name="truncated_beta_q975",
        mistakes=[
            (
                full.quantile("beta", 0.975),
                f"That is the 97.5 % quantile of the full grid; the cut grid ends at β = {high} (its last "
                "cell reaches half a step beyond), so none of its quantiles can lie above that.",
            ),
            (
                TRUNCATED_BETA[1],
                f"That is where the cut grid ends, β = {high}: a quantile cannot reach that edge here, since "
                f"all the cut grid holds above β = {high} is the upper half of its last cell, far less than "
                '2.5 % of its mass; take grid.quantile("beta", 0.975) on the cut grid.',
            ),
            *_reading_slips(truncated, "beta", 0.975),
            (
                window_points.quantile("beta", 0.975),
                f"That is the value with {_WINDOW_BETA_POINTS} points in β (as on section 4's grid on the "
                f"demos' window); the exercise keeps the course grid's {_POINTS[1]}.",
            ),
            *(
                (
                    _grid(_POINTS[0], n, TRUNCATED_BETA).quantile("beta", 0.975),
                    f"That is the value with {n} points in β; the exercise keeps the course grid's "
                    f"{_POINTS[1]}: {_LINSPACE}.",
                )
                for n in (_POINTS[1] - 1, _POINTS[1] + 1)
            ),
        ],
        scatter_ses=_quantile_ses(truncated, "beta", q975, 0.975, draws=_NOTEBOOK_DRAWS),
        draws_hint=_draws_hint(
            "a quantile", f"beta=np.linspace({low}, {high}, {_POINTS[1]}) with the course grid's α"
        ),
        hint=f'{build}, and take grid.quantile("beta", 0.975).',
    )
    return report(q975_result, _beyond_result(mass_beyond_20, full, truncated))
