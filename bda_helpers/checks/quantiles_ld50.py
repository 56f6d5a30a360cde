"""Self-checks for notebook 06, quantiles and LD50.

The checks rebuild the exact posterior on the notebook's grid and refit the Laplace
approximation from the data (nothing is stored). Monte Carlo answers are accepted within
a tolerance set by the Monte Carlo error of 1,000 independent draws, and the usual slips
— the Laplace claim for the exact answer, the wrong side of a CDF, a flipped sign, draws
with β ≤ 0 left in, the delta method for the posterior — are named.

Examples
--------
>>> ld50_interval(None)
… Not answered yet: assign your answer to `ld50_95` and run the cell again.
"""

from __future__ import annotations

from functools import lru_cache
from types import SimpleNamespace

import numpy as np
from scipy import stats

from .. import bioassay, ld50_delta_method, load_bioassay
from ..summaries import quantile_mcse, weighted_quantiles
from . import CheckResult, as_interval, as_probability, check_close, correct, describe_miss, wrong

__all__ = ["beta_tail_beyond_laplace", "ld50_interval"]

_MIN_DRAWS = 1000  # answers from at least this many draws pass
_SEED = 6  # the check's own draws, to measure the Monte Carlo error of LD50 quantiles


@lru_cache(maxsize=1)
def _reference() -> SimpleNamespace:
    """The notebook's grid and Laplace fit, recomputed from the data."""
    data = load_bioassay()
    approx = bioassay.laplace_fit(data)
    grid = bioassay.grid_posterior(data)
    return SimpleNamespace(approx=approx, grid=grid)


def beta_tail_beyond_laplace(prob_beta_above_laplace_975) -> CheckResult:
    """Exercise 1: the exact posterior probability that β exceeds the Laplace 97.5 % quantile.

    Examples
    --------
    >>> beta_tail_beyond_laplace(0.025)  # doctest: +NORMALIZE_WHITESPACE
    ❌ Not yet: prob_beta_above_laplace_975 = 0.025 is too small. Hint: 0.025 is what the Laplace normal
    claims lies above its own 97.5 % quantile; evaluate the exact posterior there: 1 − grid.cdf("beta", q).
    >>> beta_tail_beyond_laplace(-0.1)
    ❌ Not yet: prob_beta_above_laplace_975 = -0.1 is not a probability: it must lie between 0 and 1.
    """
    name = "prob_beta_above_laplace_975"
    value = as_probability(prob_beta_above_laplace_975, name)
    if isinstance(value, CheckResult):
        return value
    reference = _reference()
    cut = stats.norm.ppf(0.975, reference.approx.mode[1], reference.approx.sd[1])
    expected = 1.0 - float(reference.grid.cdf("beta", cut))
    # exact from the grid's CDF, or a share of at least 1,000 grid draws: 3 Monte Carlo sds
    tolerance = max(1e-3, 3 * np.sqrt(expected * (1 - expected) / _MIN_DRAWS))
    if np.isclose(value, 0.025, rtol=0.0, atol=2e-3):  # a narrower window than the tolerance
        return wrong(
            describe_miss(name, value, expected),
            "0.025 is what the Laplace normal claims lies above its own 97.5 % quantile; evaluate the "
            'exact posterior there: 1 − grid.cdf("beta", q).',
        )
    # No candidate for q computed with the variance as the scale: that q lies beyond the
    # grid's end, where the tail is ≈ 0, and 0 has more likely causes.
    result = check_close(
        value,
        expected,
        name=name,
        rtol=0.0,
        atol=tolerance,
        mistakes=[
            (1 - expected, 'that is P(β ≤ q), the CDF itself; the upper tail is 1 − grid.cdf("beta", q).')
        ],
        hint="first the Laplace 97.5 % quantile q = stats.norm.ppf(0.975, β̂, sd_β), with the sd (not the "
        'variance) as the scale, then the exact probability above it, 1 − grid.cdf("beta", q).',
    )
    if result.passed:
        return correct(
            f"{result.message[:-1]}; exactly {expected:.3f}, {expected / 0.025:.0f} times the 0.025 that "
            f"Laplace claims (q = {cut:.2f})."
        )
    return result


@lru_cache(maxsize=1)
def _ld50_reference() -> SimpleNamespace:
    """Exact 95 % LD50 interval on the grid (cells with β > 0, weighted by mass) and the
    Monte Carlo error of its ends for 1,000 grid draws."""
    grid = _reference().grid
    alpha, beta = np.meshgrid(grid.axis("alpha"), grid.axis("beta"), indexing="ij")
    positive = beta > 0
    exact = weighted_quantiles(-alpha[positive] / beta[positive], grid.mass[positive], [0.025, 0.975])
    draws = grid.sample(16 * _MIN_DRAWS, np.random.default_rng(_SEED))
    values = -draws[:, 0] / draws[:, 1]  # no grid draw has β ≤ 0 (its mass there is ~3e-6)
    mcse = 4 * np.array([quantile_mcse(values, p) for p in (0.025, 0.975)])  # sqrt(16): for 1,000 draws
    return SimpleNamespace(exact=exact, mcse=mcse)


def ld50_interval(ld50_95) -> CheckResult:
    """Exercise 2: the 95 % posterior interval of LD50 = −α/β from the (exact) grid posterior.

    Examples
    --------
    >>> ld50_interval([0.10, -0.28])
    ❌ Not yet: give `ld50_95` as [lower, upper], lower first.
    """
    name = "ld50_95"
    value = as_interval(ld50_95, name)
    if isinstance(value, CheckResult):
        return value
    reference = _ld50_reference()
    expected, tolerance = reference.exact, 3 * reference.mcse
    approx = _reference().approx
    delta = ld50_delta_method(approx.mode, approx.cov).interval(0.95)
    shown = f"{name} = [{value[0]:.3f}, {value[1]:.3f}]"
    names = ("lower end", "upper end")
    if np.allclose(
        value, delta, rtol=0.0, atol=2e-3
    ):  # may lie within the Monte Carlo tolerance: checked first
        return wrong(
            describe_miss(name, value, expected, names=names),
            "that is the delta-method interval, a normal approximation to LD50; the exercise asks "
            "for the grid posterior: −α/β of grid draws (or of the grid cells, weighted by mass).",
        )
    message = describe_miss(name, value, expected, rtol=0.0, atol=tolerance, names=names)
    if np.all(np.abs(value - expected) <= tolerance):
        return correct(
            f"{shown}; exactly [{expected[0]:.3f}, {expected[1]:.3f}] (Monte Carlo tolerance "
            f"± {tolerance[0]:.3f}, ± {tolerance[1]:.3f} for 1,000 draws)."
        )
    if np.all(np.abs(-value[::-1] - expected) <= tolerance):
        hint = "the sign is flipped: LD50 solves α + β·x = 0, so x = −α/β, not α/β."
    elif value[1] - value[0] > 2 * (expected[1] - expected[0]):
        hint = (
            "your interval is far too wide: were the draws from the Laplace approximation? Its draws near "
            "β = 0 make −α/β explode, and for β ≤ 0 the ratio is no LD50 at all. Use grid draws."
        )
    else:
        hint = "take −α/β for each grid draw (grid.sample(n, rng)) and its 2.5 % and 97.5 % sample quantiles."
    return wrong(message, hint)
