"""Self-checks for notebook 05, Laplace against the grid.

Each check refits the bioassay Laplace approximation from the data (nothing is stored)
and recognises the usual slips — the variance where the sd belongs, a probability from the
wrong side, the flat-prior fit where the prior was asked for, sds or precisions where a
covariance matrix wants variances, swapped prior means, a dropped covariance term, the dose
where the log dose belongs, a rounded log dose, another normal quantile than the 97.5 % one —
to say which one it was. Both exercises ask for exact values (no draws): an answer rounded to
sensible precision passes, one rounded too coarsely or within the Monte Carlo error of draws
is told so.

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
from ..summaries import quantile_mcse, weighted_quantiles
from . import CheckResult, as_interval, as_probability, correct, describe_miss, wrong

__all__ = [
    "PRIOR_MEAN",
    "PRIOR_SD",
    "DOSE",
    "prior_beta_negative_probability",
    "log_odds_interval",
]

#: Exercise 1's independent normal priors, α ~ N(0, 2²) and β ~ N(10, 10²): means and sds.
PRIOR_MEAN = (0.0, 10.0)
PRIOR_SD = (2.0, 10.0)
#: Exercise 2's dose in g/ml; the model's x is its natural log.
DOSE = 2.0

_DRAWS = 1500  # the notebook's number of draws, for the Monte Carlo tolerances
_PROB_TOLERANCE = 5e-4  # exercise 1: the probability rounded to two significant digits passes
_END_TOLERANCE = 0.01  # exercise 2: the interval's ends to two decimals pass
_SEED = 5  # the check's own grid draws, to measure the Monte Carlo error of the grid's interval


@lru_cache(maxsize=1)
def _laplace() -> LaplaceApproximation:
    return bioassay.laplace_fit(load_bioassay())


@lru_cache(maxsize=16)
def _prior_fit(
    variances: tuple[float, float], mean: tuple[float, float] = PRIOR_MEAN
) -> LaplaceApproximation:
    """The Laplace fit under independent normal priors with these variances (and means)."""
    prior = bioassay.NormalPrior(mean=mean, cov=np.diag(variances))
    return bioassay.laplace_fit(load_bioassay(), prior)


@lru_cache(maxsize=1)
def _exact_beta_negative() -> tuple[float, float]:
    """What the exact posterior puts below β = 0 on the course grid: with exercise 1's prior, flat."""
    data = load_bioassay()
    prior = bioassay.NormalPrior(mean=PRIOR_MEAN, cov=np.diag(np.square(PRIOR_SD)))
    return (
        float(bioassay.grid_posterior(data, prior).cdf("beta", 0.0)),
        float(bioassay.grid_posterior(data).cdf("beta", 0.0)),
    )


def _below_zero(fit: LaplaceApproximation, scale: float | None = None) -> float:
    """P(β < 0) under the fit's normal marginal of β (with another scale, for a slip)."""
    return float(stats.norm.cdf(0.0, fit.mode[1], fit.sd[1] if scale is None else scale))


def _half_unit_of_second_digit(value: float) -> float:
    """How far rounding to two significant digits can move ``value`` (a little more, for ties)."""
    return 0.5001 * 10.0 ** (np.floor(np.log10(abs(value))) - 1)


def _prior_slip(value: float, fit: LaplaceApproximation) -> str:
    """The hint for the slip whose P(β < 0) the answer matches (to two significant digits), or ''."""
    variances = tuple(np.square(PRIOR_SD))
    small_beta = (
        "your prior variance for β looks like 10: N(10, 10²) has sd 10, so the variance on the diagonal "
        "of NormalPrior's cov is 10² (and α's is 2²)."
    )
    slips = [
        (_below_zero(_laplace()), "that is the flat-prior fit's P(β < 0) (section 3); refit with the prior."),
        (
            _below_zero(fit, fit.cov[1, 1]),
            "you used the variance Σ_ββ as the normal's scale; the scale is the sd, sqrt(Σ_ββ).",
        ),
        (1.0 - _below_zero(fit), "that is P(β > 0); the question asks for the other side, P(β < 0)."),
        (
            float(stats.norm.cdf(0.0, PRIOR_MEAN[1], PRIOR_SD[1])),
            "that is what the prior alone puts below 0; the question asks the Laplace approximation of "
            "the posterior, which combines the prior with the data.",
        ),
        (_below_zero(_prior_fit((PRIOR_SD[0], PRIOR_SD[1]))), small_beta),  # both sds where variances go
        (_below_zero(_prior_fit((variances[0], PRIOR_SD[1]))), small_beta),
        (
            _below_zero(_prior_fit((PRIOR_SD[0], variances[1]))),
            "your answer matches the fit with prior variance 2 for α: N(0, 2²) has sd 2, so the variance "
            "on the diagonal of NormalPrior's cov is 2². (If you used draws instead, a share of draws can "
            "land here by chance: the question asks for the exact probability.)",
        ),
        (
            _below_zero(_prior_fit(variances[::-1])),
            "your answer matches the fit with the two prior variances swapped: the diagonal of "
            "NormalPrior's cov holds the variances in the order (α, β).",
        ),
        (
            _below_zero(_prior_fit(variances, PRIOR_MEAN[::-1])),
            "your answer matches the fit with the two prior means swapped: NormalPrior's mean holds "
            "the means in the order (α, β), and it is β's prior that is centred at 10.",
        ),
        (
            _below_zero(_prior_fit(variances[::-1], PRIOR_MEAN[::-1])),
            "your answer matches the fit with the priors of α and β swapped (means and variances): "
            "NormalPrior's mean and cov take them in the order (α, β).",
        ),
    ]
    for slip, hint in slips:
        if slip > 0 and abs(value - slip) <= _half_unit_of_second_digit(slip):
            return hint
    exact = _exact_beta_negative()
    if min(exact) / 1.25 <= value <= max(exact) * 1.25:
        return (
            "that is about what the exact posterior puts below 0; the question asks what the Laplace "
            "normal puts there, and a normal has mass on both sides of its mean."
        )
    if value == 0.0:  # what the Laplace normal gives, in floating point, with precisions as the cov
        return (
            "0 is what the Laplace normal gives if NormalPrior's cov gets the precisions (1/variance) "
            "instead of the variances — that prior pins β to 10 — and about what the exact posterior "
            "puts below 0. A normal has mass on both sides of its mean: with the prior as given, "
            "the Laplace normal's share below 0 is not 0."
        )
    return ""


def prior_beta_negative_probability(prior_prob_beta_negative) -> CheckResult:
    """Exercise 1: P(β < 0) under the Laplace approximation of the posterior with the normal prior.

    The exact value rounded to two significant digits passes; an answer that matches a slip's
    value (to two significant digits) is told that slip; one rounded to one significant digit
    is asked for more digits; one within the Monte Carlo error of the notebook's draws is told
    that the exact value is asked for.

    Examples
    --------
    >>> prior_beta_negative_probability(0.5)  # doctest: +NORMALIZE_WHITESPACE
    ❌ Not yet: prior_prob_beta_negative = 0.5 is too large. Hint: which normal? The prior moves
    both the centre and the spread of the Laplace approximation, so the probability asked for is
    the share below 0 of β's normal in the fit *with* the prior.
    """
    name = "prior_prob_beta_negative"
    value = as_probability(prior_prob_beta_negative, name)
    if isinstance(value, CheckResult):
        return value
    fit = _prior_fit(tuple(np.square(PRIOR_SD)))
    expected = _below_zero(fit)
    if abs(value - expected) <= _PROB_TOLERANCE:
        return correct(
            f"{name} = {value:.4g} (Φ(−β̂/sd_β) = {expected:.4f} with β̂ = {fit.mode[1]:.2f}, "
            f"sd_β = {fit.sd[1]:.2f}, against {_below_zero(_laplace()):.4f} with the flat prior)."
        )
    monte_carlo_sd = np.sqrt(expected * (1 - expected) / _DRAWS)
    if np.isclose(value, float(f"{expected:.1g}"), rtol=1e-9, atol=0.0):
        hint = (
            "one significant digit is too coarse to check: at that precision the right value and a "
            "typical slip look the same. Give two or three significant digits."
        )
    else:
        hint = _prior_slip(value, fit)
    if not hint and abs(value - expected) < 3 * monte_carlo_sd:
        hint = (
            "close, but not the exact value to the digits you gave. A share of draws lands this close "
            "by Monte Carlo error alone; the question asks for the exact probability under the fitted "
            "normal (no draws), to two or three significant digits."
        )
    if not hint:
        hint = (
            "which normal? The prior moves both the centre and the spread of the Laplace approximation, "
            "so the probability asked for is the share below 0 of β's normal in the fit *with* the prior"
        )
        # With the prior means as given, a diagonal cov of any size puts P(β < 0) between 0 and the
        # flat prior's value (its limit for large variances): only there can a wrong cov be the cause.
        flat = _below_zero(_laplace())
        if value <= flat + _half_unit_of_second_digit(flat):
            hint += "; and NormalPrior's cov takes variances, not sds"
        hint += "."
    return wrong(describe_miss(name, value, expected, rtol=0.0, atol=_PROB_TOLERANCE), hint)


def _normal_interval(mean: float, variance: float) -> np.ndarray:
    """The central 95 % interval of N(mean, variance)."""
    return mean + stats.norm.ppf(0.975) * np.sqrt(variance) * np.array([-1.0, 1.0])


@lru_cache(maxsize=1)
def _grid_interval() -> tuple[np.ndarray, np.ndarray]:
    """The exact posterior's 95 % interval of α + βx at the dose (cells weighted by mass), and
    three Monte Carlo standard errors of its ends for the notebook's number of grid draws."""
    grid = bioassay.grid_posterior(load_bioassay())
    x = np.log(DOSE)
    alpha, beta = np.meshgrid(grid.axis("alpha"), grid.axis("beta"), indexing="ij")
    exact = weighted_quantiles(alpha + x * beta, grid.mass, [0.025, 0.975])
    draws = grid.sample(16 * _DRAWS, np.random.default_rng(_SEED), jitter=True)
    values = draws[:, 0] + x * draws[:, 1]
    return exact, 3 * 4 * np.array([quantile_mcse(values, p) for p in (0.025, 0.975)])  # sqrt(16) = 4


#: Normal quantiles taken for the 95 % one, and what each gives instead.
_OTHER_Z = (
    (1.0, "±1 sd covers only about 68 % of a normal"),
    (float(stats.norm.ppf(0.95)), "z = 1.645 = Φ⁻¹(0.95) leaves 5 % in each tail, a central 90 % interval"),
    (2.0, "z = 2 is the rounded rule of thumb (±2 sd covers 95.4 %), not the exact quantile"),
    (float(stats.norm.ppf(0.995)), "z = 2.576 = Φ⁻¹(0.995) gives a central 99 % interval"),
)


def _monte_carlo_error(variance: float) -> float:
    """Three Monte Carlo sds of a sample 2.5 % (97.5 %) quantile of the notebook's draws of a
    normal with this variance."""
    return float(3 * np.sqrt(variance * 0.025 * 0.975 / _DRAWS) / stats.norm.pdf(stats.norm.ppf(0.975)))


def _rounding_unit(value: np.ndarray) -> float:
    """The unit the answer's ends were rounded to (10^-d for the fewest decimals d ≤ 6 that
    write both exactly), or 0 for ends given to more digits."""
    for decimals in range(7):
        scaled = value * 10.0**decimals
        if np.allclose(scaled, np.round(scaled), rtol=0.0, atol=1e-6):
            return 10.0**-decimals
    return 0.0


def _at(approx: LaplaceApproximation, x: float) -> np.ndarray:
    """The Laplace 95 % interval of α + βx at this x."""
    a = np.array([1.0, x])
    return _normal_interval(float(a @ approx.mode), float(a @ approx.cov @ a))


def _other_z(value: np.ndarray, mean: float, sd: float, tolerance: float, near: bool) -> str:
    """The hint if the answer is the right centre ± z·sd for a z of _OTHER_Z (to ``tolerance``
    at each end) whose interval lies within (``near``) or beyond the draws' Monte Carlo error."""
    implied_z = (value[1] - value[0]) / 2 / sd
    if abs(np.mean(value) - mean) > tolerance:
        return ""
    for z, what in _OTHER_Z:
        is_near = abs(z - stats.norm.ppf(0.975)) * sd <= _monte_carlo_error(sd**2)
        if is_near == near and abs(implied_z - z) <= max(tolerance / sd, 1e-3):
            return (
                f"your interval is the right centre ± {z:.4g} × the sd of α + βx: {what}. A central "
                "95 % interval cuts 2.5 % from each tail, so its z is Φ⁻¹(0.975)."
            )
    return ""


def _log_odds_slip(value: np.ndarray, approx: LaplaceApproximation, variance: float) -> str:
    """The hint for the slip whose interval the answer matches (ends to one decimal), or ''.

    These slips move the interval by more than the Monte Carlo error of the notebook's draws;
    those that move it less are told apart by :func:`_close_hint`."""
    weights = np.array([1.0, np.log(DOSE)])
    mean = float(weights @ approx.mode)
    diagonal = float(weights**2 @ np.diag(approx.cov))
    slips = [
        (
            _normal_interval(mean, diagonal),
            f"your interval is too {'narrow' if approx.cov[0, 1] * np.log(DOSE) > 0 else 'wide'}: it treats "
            "α and β as independent. They are correlated, and the variance of a sum of correlated terms "
            "has a covariance term.",
        ),
        (
            _normal_interval(mean, variance**2),
            "your half-width uses the variance of α + βx where its sd belongs.",
        ),
        (_at(approx, DOSE), f"x = {DOSE:g} is the dose itself; the model's x is its natural log."),
        (
            _at(approx, np.log10(DOSE)),
            "you took the base-10 log of the dose; the model's log doses are natural logs.",
        ),
    ]
    for slip, hint in slips:
        if np.allclose(value, slip, rtol=0.0, atol=0.05):
            return hint
    hint = _other_z(value, mean, np.sqrt(variance), 0.05, near=False)
    if hint:
        return hint
    grid_exact, grid_tolerance = _grid_interval()
    if np.all(np.abs(value - grid_exact) <= np.maximum(grid_tolerance, 0.05)):
        return (
            "that looks like the exact posterior's interval (the grid, or grid draws); the question asks "
            "for the Laplace normal's."
        )
    return ""


def _close_hint(value: np.ndarray, approx: LaplaceApproximation, mean: float, variance: float) -> str:
    """The hint for an answer within the Monte Carlo error of quantiles of the notebook's draws.

    An exact computation gives an interval symmetric about α̂ + β̂x, for the x it used; quantiles
    of draws are not. So ends given to two decimals or more that are symmetric to their own
    rounding are told the exact slip they match (the log dose rounded, z = 2) or which part to
    recompute, and only the others are told about draws."""
    unit = _rounding_unit(value)
    draws = (
        f"close: within the Monte Carlo error of quantiles of {_DRAWS:,} Laplace draws. The question "
        "asks for the exact interval of the Laplace normal (no draws): α + βx is normal under it."
    )
    if unit > 0.01:  # one decimal: too coarse to tell draws from an exact slip
        return draws
    rounding = max(unit / 2, 1e-6) + 1e-9
    # Rounded draws land symmetric to their rounding by chance (2 % at two decimals, 0.2 % at three).
    chance = (
        " (If you used draws: rounded quantiles of draws can land this symmetric by chance; the "
        "question asks for the exact interval.)"
        if unit >= 0.001
        else ""
    )
    for x in (round(np.log(DOSE), 2), round(np.log(DOSE), 1)):
        if np.allclose(value, _at(approx, x), rtol=0.0, atol=rounding):
            return (
                f"your interval matches x = {x:g}, the log dose rounded before the computation; β "
                f"multiplies x, so the rounding moves the interval. Use x = log {DOSE:g} at full "
                "precision and round only the ends." + chance
            )
    hint = _other_z(value, mean, np.sqrt(variance), rounding, near=True)
    if hint:
        return hint + chance
    centre, half = float(np.mean(value)), float(value[1] - value[0]) / 2
    if abs(centre - mean) <= rounding:
        return (
            "close, and centred right, but the half-width is off by more than rounding: check the sd "
            "of α + βx and the normal quantile, and round only the ends." + chance
        )
    x = (centre - approx.mode[0]) / approx.mode[1]  # the x an exact interval with this centre used
    if abs(half - (_at(approx, x)[1] - centre)) <= 2 * rounding:
        return (
            "close, and it matches the Laplace interval at a slightly different x: use "
            f"x = log {DOSE:g} at full precision, and round only the ends." + chance
        )
    return draws


def log_odds_interval(log_odds_95) -> CheckResult:
    """Exercise 2: the Laplace 95 % central interval of the log-odds α + β·x at a dose of DOSE g/ml.

    Exact ends to two decimals pass; ends rounded to one decimal are asked for more digits; the
    usual slips are named (the log dose rounded, another normal quantile, ...). Ends within the
    Monte Carlo error of quantiles of the notebook's 1,500 Laplace draws are told that the exact
    interval is asked for, unless they are symmetric about α̂ + β̂x as an exact computation's are
    (for the right x, or another): then they are told which part to recompute.

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
    weights = np.array([1.0, np.log(DOSE)])
    mean = float(weights @ approx.mode)
    variance = float(weights @ approx.cov @ weights)
    expected = _normal_interval(mean, variance)
    if np.allclose(value, expected, rtol=0.0, atol=_END_TOLERANCE):
        return correct(
            f"{name} = [{value[0]:.2f}, {value[1]:.2f}]: mean {mean:.3f} ± 1.96 × sd {np.sqrt(variance):.3f} "
            f"at x = log {DOSE:g} = {np.log(DOSE):.3f}."
        )
    one_decimal = np.allclose(value * 10, np.round(value * 10), rtol=0.0, atol=1e-9)
    if one_decimal and np.allclose(value, expected, rtol=0.0, atol=0.05 + 1e-9):
        hint = (
            "one decimal is too coarse to check: at that precision quantiles of draws and the exact "
            "interval look the same. Give the ends to two decimals."
        )
    else:
        hint = _log_odds_slip(value, approx, variance)
    if not hint and np.all(np.abs(value - expected) <= _monte_carlo_error(variance)):
        hint = _close_hint(value, approx, mean, variance)
    if not hint and np.isclose(np.mean(value), mean, rtol=0.0, atol=0.05):
        hint = (
            "the centre is right, the width is not: check the variance of α + βx, a linear combination "
            "of two correlated normal parameters, and the quantile that cuts 2.5 % from each tail."
        )
    if not hint:
        hint = (
            "under the Laplace approximation (α, β) is normal, so any linear combination α + βx is normal "
            "too, its mean and variance set by θ̂ and Σ. Is your x the log of the dose?"
        )
    names = ("lower end", "upper end")
    return wrong(describe_miss(name, value, expected, rtol=0.0, atol=_END_TOLERANCE, names=names), hint)
