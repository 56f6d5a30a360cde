"""Self-checks for notebook 06, quantiles and LD50.

The checks rebuild the exact posterior on the course grid and refit the Laplace
approximation from the data (nothing is stored). Monte Carlo answers are accepted within
a tolerance set by the Monte Carlo error of the number of draws the exercise names, and the
usual slips — the Laplace answer where the exact one was asked for, the wrong side of a CDF,
a death probability where a probability of an event was asked for, the LD50 or the LD90 where
the LD10 was asked for, a flipped sign — are named.

Examples
--------
>>> ld10_interval(None)
… Not answered yet: assign your answer to `ld10_95` and run the cell again.
"""

from __future__ import annotations

from functools import lru_cache
from types import SimpleNamespace

import numpy as np
from scipy import special, stats

from .. import bioassay, load_bioassay
from ..summaries import quantile_mcse, weighted_quantiles
from . import CheckResult, as_interval, as_probability, check_close, correct, describe_miss, wrong

__all__ = ["DEATH_SHARE", "LD10_DRAWS", "prob_half_die_at_zero", "ld10_interval"]

#: Exercise 2's share of deaths: the LD10 is the log dose at which 10 % of the animals die.
DEATH_SHARE = 0.1
#: Exercise 2's Monte Carlo answers pass if they are within three Monte Carlo standard errors of
#: this many draws.
LD10_DRAWS = 4000
_PROB_DRAWS = 10_000  # exercise 1's Monte Carlo answers: a share of at least this many draws
_NOTEBOOK_DRAWS = 1500  # the notebook's grid draws: an answer from them is "close", not a method slip
_SEED = 6  # the check's own draws, to measure the Monte Carlo error of LD10 quantiles


@lru_cache(maxsize=1)
def _reference() -> SimpleNamespace:
    """The notebook's grid and Laplace fit, recomputed from the data."""
    data = load_bioassay()
    return SimpleNamespace(approx=bioassay.laplace_fit(data), grid=bioassay.grid_posterior(data))


def prob_half_die_at_zero(prob_half_die_at_zero) -> CheckResult:
    """Exercise 1: the exact posterior probability that more than half the animals die at log dose 0.

    Examples
    --------
    >>> prob_half_die_at_zero(0.5)  # doctest: +NORMALIZE_WHITESPACE
    ❌ Not yet: prob_half_die_at_zero = 0.5 is too small. Hint: what is the log-odds α + βx at x = 0,
    and when is logit⁻¹ of it above 1/2? Then ask the exact posterior (the grid), not the Laplace normal.
    """
    name = "prob_half_die_at_zero"
    value = as_probability(prob_half_die_at_zero, name)
    if isinstance(value, CheckResult):
        return value
    reference = _reference()
    grid, approx = reference.grid, reference.approx
    expected = 1.0 - float(grid.cdf("alpha", 0.0))
    # exact from the grid's CDF, or a share of at least 10,000 grid draws: 3 Monte Carlo sds
    tolerance = max(2e-3, 3 * np.sqrt(expected * (1 - expected) / _PROB_DRAWS))
    alpha = grid.axis("alpha")
    hint = (
        "what is the log-odds α + βx at x = 0, and when is logit⁻¹ of it above 1/2? Then ask the exact "
        "posterior (the grid), not the Laplace normal."
    )
    if abs(value - expected) <= 3 * np.sqrt(expected * (1 - expected) / _NOTEBOOK_DRAWS):
        hint = (
            "close: within the Monte Carlo error of a share of the notebook's 1,500 draws, but outside "
            f"that of {_PROB_DRAWS:,} draws. Use the grid's CDF, or a share of many more draws."
        )
    result = check_close(
        value,
        expected,
        name=name,
        rtol=0.0,
        atol=tolerance,
        mistakes=[
            (
                stats.norm.sf(0.0, approx.mode[0], approx.sd[0]),
                "that is what the Laplace normal says; the exercise asks the exact posterior: use the grid.",
            ),
            (
                1.0 - expected,
                "that is the probability of the other side: that fewer than half die at x = 0.",
            ),
            (
                special.expit(approx.mode[0]),
                "that is the death probability at x = 0 on the mode's curve, logit⁻¹(α̂): a probability of "
                "death, not the posterior probability that it exceeds 1/2.",
            ),
            (
                grid.marginal("alpha") @ special.expit(alpha),
                "that is the posterior mean of the death probability at x = 0, not the posterior "
                "probability that it exceeds 1/2.",
            ),
        ],
        hint=hint,
    )
    if result.passed:
        laplace = stats.norm.sf(0.0, approx.mode[0], approx.sd[0])
        return correct(
            f"{result.message[:-1]}: exactly {expected:.3f} = P(α > 0), where the Laplace normal says "
            f"{laplace:.3f}."
        )
    return result


def _ld(share: float, alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """The log dose at which ``share`` of the animals die: α + βx = logit(share)."""
    return (special.logit(share) - alpha) / beta


@lru_cache(maxsize=1)
def _ld10_reference() -> SimpleNamespace:
    """The exact 95 % interval of the LD10 on the grid (cells with β > 0, weighted by mass), the
    same for the slips, and the Monte Carlo error of its ends for LD10_DRAWS grid draws."""
    grid = _reference().grid
    alpha, beta = np.meshgrid(grid.axis("alpha"), grid.axis("beta"), indexing="ij")
    positive = beta > 0
    alpha, beta, mass = alpha[positive], beta[positive], grid.mass[positive]

    def interval(values):
        return weighted_quantiles(values, mass, [0.025, 0.975])

    draws = grid.sample(16 * LD10_DRAWS, np.random.default_rng(_SEED))
    values = _ld(DEATH_SHARE, draws[:, 0], draws[:, 1])  # no grid draw has β ≤ 0 (its mass there is ~4e-6)
    mcse = 4 * np.array([quantile_mcse(values, p) for p in (0.025, 0.975)])  # sqrt(16): for LD10_DRAWS
    return SimpleNamespace(
        exact=interval(_ld(DEATH_SHARE, alpha, beta)),
        mcse=mcse,
        ld50=interval(-alpha / beta),
        ld90=interval(_ld(1 - DEATH_SHARE, alpha, beta)),
        no_logit=interval((DEATH_SHARE - alpha) / beta),
    )


def ld10_interval(ld10_95) -> CheckResult:
    """Exercise 2: the 95 % posterior interval of the LD10 = (logit(0.1) − α)/β from the exact posterior.

    Examples
    --------
    >>> ld10_interval([-0.15, -0.75])
    ❌ Not yet: give `ld10_95` as [lower, upper], lower first.
    """
    name = "ld10_95"
    value = as_interval(ld10_95, name)
    if isinstance(value, CheckResult):
        return value
    reference = _ld10_reference()
    expected, tolerance = reference.exact, 3 * reference.mcse
    names = ("lower end", "upper end")
    if np.all(np.abs(value - expected) <= tolerance):
        return correct(
            f"{name} = [{value[0]:.3f}, {value[1]:.3f}]; exactly [{expected[0]:.3f}, {expected[1]:.3f}] "
            f"(Monte Carlo tolerance ± {tolerance[0]:.3f}, ± {tolerance[1]:.3f} for {LD10_DRAWS:,} draws)."
        )

    def near(interval) -> bool:
        return bool(np.all(np.abs(value - interval) <= tolerance))

    message = describe_miss(name, value, expected, rtol=0.0, atol=tolerance, names=names)
    # the same three standard errors for the notebook's 1,500 draws: a sample interval from them
    notebook_tolerance = tolerance * np.sqrt(LD10_DRAWS / _NOTEBOOK_DRAWS)
    if np.all(np.abs(value - expected) <= notebook_tolerance):
        hint = (
            "close: within the Monte Carlo error of the notebook's 1,500 grid draws, but outside that of "
            f"{LD10_DRAWS:,} draws. Use the grid cells with β > 0 weighted by their mass, or at least "
            f"{LD10_DRAWS:,} grid draws."
        )
    elif near(reference.ld50) or near(reference.no_logit):
        hint = (
            "your interval is about the LD50's, the dose where the log-odds α + βx is 0; at the LD10 the "
            "log-odds is logit(0.1) = log(0.1 / 0.9) — not 0, and not 0.1."
        )
    elif near(reference.ld90):
        hint = (
            "that is the dose at which 90 % die: the LD10 solves α + βx = logit(0.1), and logit(0.1) is "
            "negative."
        )
    elif near(-expected[::-1]):
        hint = "the sign is flipped: α + βx = logit(0.1) gives x = (logit(0.1) − α)/β."
    elif value[1] - value[0] > 2 * (expected[1] - expected[0]):
        hint = (
            "your interval is far too wide: were the draws from the Laplace approximation? Its draws near "
            "β = 0 make the ratio explode, and for β ≤ 0 there is no LD10 at all. Use the grid."
        )
    else:
        hint = (
            "take x = (logit(0.1) − α)/β for each grid draw (or each grid cell with β > 0, weighted by its "
            "mass) and its 2.5 % and 97.5 % quantiles."
        )
    return wrong(message, hint)
