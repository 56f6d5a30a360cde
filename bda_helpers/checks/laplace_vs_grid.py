"""Self-checks for notebook 05, Laplace against the grid.

Each check refits the bioassay Laplace approximation from the data (nothing is stored)
and recognises the usual slips — the variance where the sd belongs, a probability from the
wrong side, a Monte Carlo share where the exact value was asked for, the flat-prior fit where
the prior was asked for, sds where a covariance matrix wants variances, a dropped covariance
term — to say which one it was.

Examples
--------
>>> prior_beta_negative_probability(None)
… Not answered yet: assign your answer to `prior_prob_beta_negative` and run the cell again.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import stats

from .. import bioassay, load_bioassay
from ..laplace import LaplaceApproximation
from . import CheckResult, as_interval, as_probability, check_close, correct

__all__ = [
    "PRIOR_MEAN",
    "PRIOR_SD",
    "LOG_DOSE",
    "prior_beta_negative_probability",
    "log_odds_interval",
]

#: Exercise 1's independent normal priors, α ~ N(0, 2²) and β ~ N(10, 10²): means and sds.
PRIOR_MEAN = (0.0, 10.0)
PRIOR_SD = (2.0, 10.0)
#: The log dose of exercise 2.
LOG_DOSE = 0.5

_DRAWS = 1500  # the notebook's number of draws, for the Monte Carlo tolerance


@lru_cache(maxsize=1)
def _laplace() -> LaplaceApproximation:
    return bioassay.laplace_fit(load_bioassay())


@lru_cache(maxsize=4)
def _prior_fit(variances: tuple[float, float]) -> LaplaceApproximation:
    """The Laplace fit under independent normal priors with PRIOR_MEAN and these variances."""
    prior = bioassay.NormalPrior(mean=PRIOR_MEAN, cov=np.diag(variances))
    return bioassay.laplace_fit(load_bioassay(), prior)


@lru_cache(maxsize=1)
def _grid_beta_negative_with_prior() -> float:
    """What the exact posterior under exercise 1's prior, on the course grid, puts below β = 0."""
    prior = bioassay.NormalPrior(mean=PRIOR_MEAN, cov=np.diag(np.square(PRIOR_SD)))
    return float(bioassay.grid_posterior(load_bioassay(), prior).cdf("beta", 0.0))


def _below_zero(fit: LaplaceApproximation, scale: float | None = None) -> float:
    """P(β < 0) under the fit's normal marginal of β (with another scale, for a slip)."""
    return float(stats.norm.cdf(0.0, fit.mode[1], fit.sd[1] if scale is None else scale))


def prior_beta_negative_probability(prior_prob_beta_negative) -> CheckResult:
    """Exercise 1: P(β < 0) under the Laplace approximation of the posterior with the normal prior.

    Examples
    --------
    >>> prior_beta_negative_probability(0.5)  # doctest: +NORMALIZE_WHITESPACE
    ❌ Not yet: prior_prob_beta_negative = 0.5 is too large. Hint: build the prior with
    bioassay.NormalPrior(mean=[0, 10], cov=...) — variances on the diagonal — refit with
    bioassay.laplace_fit(data, prior), and evaluate the normal CDF of β at 0 with the refit's mode and sd.
    """
    name = "prior_prob_beta_negative"
    value = as_probability(prior_prob_beta_negative, name)
    if isinstance(value, CheckResult):
        return value
    fit = _prior_fit(tuple(np.square(PRIOR_SD)))
    expected = _below_zero(fit)
    monte_carlo_sd = np.sqrt(expected * (1 - expected) / _DRAWS)
    if abs(value - expected) < 3 * monte_carlo_sd:
        hint = (
            "close: this looks like a share of draws, a Monte Carlo estimate. The exact normal probability "
            "is scipy.stats.norm.cdf(0, loc=β̂, scale=sd_β) with the refit's β̂ and sd_β."
        )
    else:
        hint = (
            "build the prior with bioassay.NormalPrior(mean=[0, 10], cov=...) — variances on the diagonal — "
            "refit with bioassay.laplace_fit(data, prior), and evaluate the normal CDF of β at 0 with the "
            "refit's mode and sd."
        )
    small_variance = (
        "your prior's variance for β looks like 10: N(10, 10²) has sd 10, so the variance on the diagonal "
        "of NormalPrior's cov is 10² (and α's is 2²)."
    )
    exact = (
        "that is (about) what the exact posterior puts below 0; the question asks what the Laplace normal "
        "puts there, and a normal has mass on both sides of its mean."
    )
    result = check_close(
        value,
        expected,
        name=name,
        rtol=0.0,
        atol=1e-4,
        mistakes=[
            (
                _below_zero(_laplace()),
                "that is the flat-prior fit's P(β < 0) (section 3); refit with the prior.",
            ),
            (
                _below_zero(fit, fit.cov[1, 1]),
                "you used the variance Σ_ββ as the normal's scale; the scale is the sd, sqrt(Σ_ββ).",
            ),
            (1 - expected, "that is P(β > 0); the question asks for the other side, P(β < 0)."),
            (_below_zero(_prior_fit((2.0, 10.0))), small_variance),
            (_below_zero(_prior_fit((4.0, 10.0))), small_variance),
            (_grid_beta_negative_with_prior(), exact),
            (0.0, exact),
        ],
        hint=hint,
    )
    if result.passed:
        return correct(
            f"{result.message[:-1]} (Φ(−β̂/sd_β) = {expected:.4f} with β̂ = {fit.mode[1]:.2f}, "
            f"sd_β = {fit.sd[1]:.2f}, against {_below_zero(_laplace()):.4f} with the flat prior)."
        )
    return result


def log_odds_interval(log_odds_95) -> CheckResult:
    """Exercise 2: the Laplace 95 % central interval of the log-odds α + β·x at x = 0.5.

    Examples
    --------
    >>> log_odds_interval([6.3, 2.0])
    ❌ Not yet: give `log_odds_95` as [lower, upper], lower first.
    """
    name = "log_odds_95"
    value = as_interval(log_odds_95, name)
    if isinstance(value, CheckResult):
        return value
    approx = _laplace()
    weights = np.array([1.0, LOG_DOSE])
    mean = float(weights @ approx.mode)
    variance = float(weights @ approx.cov @ weights)
    diagonal = float(weights**2 @ np.diag(approx.cov))
    z = stats.norm.ppf(0.975)
    plus_minus = np.array([-1.0, 1.0])
    expected = mean + z * np.sqrt(variance) * plus_minus
    atol = 0.01
    if np.allclose(np.mean(value), mean, rtol=0.0, atol=atol):
        hint = f"the centre is right; the half-width is 1.96 × sqrt(aᵀΣa) with a = (1, {LOG_DOSE:g})."
    else:
        hint = (
            f"under Laplace α + βx is normal with mean aᵀθ̂ and variance aᵀΣa, a = (1, {LOG_DOSE:g}); "
            "the exact grid posterior gives a different (skewed) interval."
        )
    result = check_close(
        value,
        expected,
        name=name,
        names=("lower end", "upper end"),
        rtol=0.0,
        atol=atol,
        mistakes=[
            (
                mean + z * np.sqrt(diagonal) * plus_minus,
                f"your interval is too {'narrow' if approx.cov[0, 1] * LOG_DOSE > 0 else 'wide'}: "
                "it leaves out the covariance term. Var(α + βx) = aᵀΣa with a = (1, x), "
                "i.e. Σ_αα + 2x Σ_αβ + x² Σ_ββ.",
            ),
            (
                mean + z * variance * plus_minus,
                "aᵀΣa is the variance of α + βx; the interval needs its square root, the sd.",
            ),
        ],
        hint=hint,
    )
    if result.passed:
        return correct(f"{result.message[:-1]}: mean {mean:.3f} ± 1.96 × sd {np.sqrt(variance):.3f}.")
    return result
