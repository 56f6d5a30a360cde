"""Self-checks for notebook 06, quantiles and LD50.

The checks rebuild the exact posterior on the course grid and refit the Laplace
approximation from the data (nothing is stored). Exercise 1 accepts a Monte Carlo answer
within the Monte Carlo error of the number of draws it names; exercise 2 asks for an exact
answer, because no affordable number of draws tells it from its nearest slip. The usual slips
— the Laplace answer where the exact one was asked for, the wrong side of a CDF, a death
probability where a probability of an event was asked for, the LD50 or the LD90 where the LD10
was asked for, log(0.1) where logit(0.1) belongs, a flipped sign — are named.

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

__all__ = ["DEATH_SHARE", "LD10_TOLERANCE", "prob_half_die_at_zero", "ld10_interval"]

#: Exercise 2's share of deaths: the LD10 is the log dose at which 10 % of the animals die.
DEATH_SHARE = 0.1
#: Exercise 2 asks for the interval exactly, from the grid cells: its ends rounded to two
#: decimals pass. (The course grid's ends agree with a finer, wider grid's to 1e-4.)
LD10_TOLERANCE = 0.006
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
    same for the slips, and three Monte Carlo standard errors of its ends for the notebook's
    1,500 grid draws."""
    grid = _reference().grid
    alpha, beta = np.meshgrid(grid.axis("alpha"), grid.axis("beta"), indexing="ij")
    positive = beta > 0
    alpha, beta, mass = alpha[positive], beta[positive], grid.mass[positive]

    def interval(values):
        return weighted_quantiles(values, mass, [0.025, 0.975])

    draws = grid.sample(16 * _NOTEBOOK_DRAWS, np.random.default_rng(_SEED))
    values = _ld(DEATH_SHARE, draws[:, 0], draws[:, 1])  # no grid draw has β ≤ 0 (its mass there is ~4e-6)
    mcse = 4 * np.array([quantile_mcse(values, p) for p in (0.025, 0.975)])  # sqrt(16): for 1,500 draws
    return SimpleNamespace(
        exact=interval(_ld(DEATH_SHARE, alpha, beta)),
        monte_carlo=3 * mcse,
        ld50=interval(-alpha / beta),
        ld90=interval(_ld(1 - DEATH_SHARE, alpha, beta)),
        no_logit=interval((DEATH_SHARE - alpha) / beta),
        log_share=interval((np.log(DEATH_SHARE) - alpha) / beta),
    )


def ld10_interval(ld10_95) -> CheckResult:
    """Exercise 2: the exact 95 % posterior interval of the LD10 = (logit(0.1) − α)/β, from the grid.

    The exercise asks for the interval exactly, from the grid cells: ends within LD10_TOLERANCE
    (the exact ends rounded to two decimals) pass. A Monte Carlo answer cannot be checked that
    closely — the ends from log(0.1) in place of logit(0.1) lie within the Monte Carlo error of
    thousands of draws — so one within the Monte Carlo error of the notebook's 1,500 draws is
    told to compute it exactly.

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
    expected = reference.exact
    if np.all(np.abs(value - expected) <= LD10_TOLERANCE):
        return correct(
            f"{name} = [{value[0]:.3f}, {value[1]:.3f}]; exactly [{expected[0]:.3f}, {expected[1]:.3f}] "
            "from the grid cells with β > 0."
        )

    def near(interval) -> bool:
        return bool(np.all(np.abs(value - interval) <= LD10_TOLERANCE))

    message = describe_miss(
        name, value, expected, rtol=0.0, atol=LD10_TOLERANCE, names=("lower end", "upper end")
    )
    if near(reference.log_share):
        hint = (
            "your interval matches the one with log(0.1) in place of logit(0.1) = log(0.1 / 0.9): the "
            "LD10 solves logit⁻¹(α + βx) = 0.1. (If you did use logit(0.1) but with draws: draws cannot "
            "tell these two apart; compute it exactly from the grid cells.)"
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
    elif np.all(np.abs(value - expected) <= reference.monte_carlo):
        hint = (
            "close: within the Monte Carlo error of grid draws, but the exercise asks for the interval "
            "exactly, and draws cannot tell a right answer from a near slip. Use the grid cells with "
            "β > 0, each weighted by its mass, as section 4 did for the LD50."
        )
    elif value[1] - value[0] > 2 * (expected[1] - expected[0]):
        hint = (
            "your interval is far too wide: were the draws from the Laplace approximation? Its draws near "
            "β = 0 make the ratio explode, and for β ≤ 0 there is no LD10 at all. Use the grid."
        )
    else:
        hint = (
            "which dose solves logit⁻¹(α + βx) = 0.1 for one cell (α, β)? Then weigh that dose in every "
            "cell with β > 0 by the cell's mass, as section 4 did for the LD50."
        )
    return wrong(message, hint)
