"""Self-checks for the exercises of notebooks 09 (importance sampling and marginals) and 10
(variational inference and large samples).

The checks recompute their references themselves (nothing is stored), say which typical slip
a wrong answer shows — marginal sds for conditional ones, variances for sds, a missing square,
an unweighted quantile, a flipped sign — and never print the reference value itself.

Examples
--------
>>> mean_field_sds(None)
… Not answered yet: assign your answer to `mean_field_sd` and run the cell again.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import stats

from ..checks import (
    CheckReport,
    CheckResult,
    as_numbers,
    check_close,
    correct,
    describe_miss,
    not_answered,
    report,
    wrong,
)
from ..checks.study_guide import reference_grid
from ..summaries import weighted_quantiles
from .importance import ImportanceSample

__all__ = [
    "MEAN_FIELD_TARGET_SD",
    "MEAN_FIELD_TARGET_RHO",
    "mean_field_sds",
    "ld50_q975_importance",
    "replications_for_coverage",
]

_NAMES = ("θ₁", "θ₂")
#: The target of notebook 10's mean-field exercise: a bivariate normal with these marginal sds ...
MEAN_FIELD_TARGET_SD = (2.0, 3.0)
#: ... and this correlation.
MEAN_FIELD_TARGET_RHO = 0.95


_SPREAD_HINT = (
    "a mean-field q cannot lean along the ridge, so it matches the spread of each parameter "
    "with the other held fixed, not its marginal spread."
)


def mean_field_sds(mean_field_sd, mean_field_gap=None) -> CheckReport:
    """Notebook 10's exercise: the best mean-field normal for a correlated normal, and its ELBO gap.

    The target is bivariate normal with marginal sds :data:`MEAN_FIELD_TARGET_SD` and
    correlation :data:`MEAN_FIELD_TARGET_RHO`. Minimising KL(q ‖ p) over independent normals q,
    for a normal p with precision Λ = Σ⁻¹, gives variances 1/Λ_jj: the *conditional* variances
    σ_j² (1 − ρ²), so the sds σ_j √(1 − ρ²). The gap ``log Z − ELBO`` of that q is
    KL(q ‖ p) = −½ log(1 − ρ²), whatever the sds. The sds pass when right to two significant
    digits; the gap when right to two decimals (a Monte Carlo estimate from enough draws passes).

    Parameters
    ----------
    mean_field_sd : array_like of 2 floats or None
        The sds of the best mean-field normal.
    mean_field_gap : float or None
        Its KL(q ‖ p), the amount by which its ELBO falls short of log Z.

    Returns
    -------
    CheckReport
        One line per answer (a single "not answered" line while both are ``None``).

    Examples
    --------
    >>> mean_field_sds([1.0, 2.0]).passed
    False
    """
    sd, rho = np.array(MEAN_FIELD_TARGET_SD), MEAN_FIELD_TARGET_RHO
    if mean_field_sd is None and mean_field_gap is None:
        return report(not_answered("mean_field_sd"))
    cov = np.outer(sd, sd) * np.array([[1.0, rho], [rho, 1.0]])
    precision = np.linalg.inv(cov)
    expected = 1.0 / np.sqrt(np.diag(precision))  # 1/√Λ_jj, the definition, not the shortcut
    share = float(np.sqrt(1 - rho**2))
    # two significant digits: half a unit in the second digit, and a hair more for ties
    sd_tol = 0.505 * 10.0 ** (np.floor(np.log10(expected)) - 1)
    values = as_numbers(mean_field_sd, "mean_field_sd")  # within about 2 %: a rounding slip, not a concept
    near = isinstance(values, np.ndarray) and values.shape == (2,) and np.allclose(values, expected, 0.02)
    sd_result = check_close(
        mean_field_sd,
        expected,
        name="mean_field_sd",
        rtol=0.0,
        atol=sd_tol,
        names=_NAMES,
        mistakes=[
            (
                sd,
                "those are the marginal sds σ_j, which a full-rank normal keeps; a mean-field q "
                "matches a different spread.",
            ),
            (sd**2 * (1 - rho**2), "those are variances; take their square roots."),
            (
                sd * np.sqrt(1 - rho),
                "the conditional variance involves 1 − ρ², with ρ squared; you took √(1 − ρ).",
            ),
            (sd * (1 - rho**2), "(1 − ρ²) scales the variance, not the sd: the sd takes its square root."),
            (expected[::-1], "the two entries are swapped: give [sd of θ₁, sd of θ₂]."),
            (1.0 / expected, "that is √Λ_jj, a precision's square root; an sd is the reciprocal of it."),
            (
                np.full(2, share),
                "that is the share of each marginal sd that survives, the same for both; "
                "the sds themselves are in the units of θ₁ and θ₂.",
            ),
        ],
        hint=("you are close: check your rounding to two significant digits.", _SPREAD_HINT)[not near],
    )
    if sd_result.passed:
        sd_result = correct(f"{sd_result.message[:-1]}: √(1 − ρ²) = {share:.2f} of each marginal sd.")
    # KL(q ‖ p) between two normals with the same mean, q = N(μ, diag(1/Λ_jj))
    cov_q = np.diag(expected**2)
    gap = 0.5 * (np.trace(precision @ cov_q) - 2 + np.linalg.slogdet(cov)[1] - np.linalg.slogdet(cov_q)[1])
    reverse = 0.5 * (
        np.trace(np.linalg.inv(cov_q) @ cov) - 2 + np.linalg.slogdet(cov_q)[1] - np.linalg.slogdet(cov)[1]
    )
    gap_result = check_close(
        mean_field_gap,
        gap,
        name="mean_field_gap",
        rtol=0.0,
        atol=0.01,
        mistakes=[
            (
                -gap,
                "a KL divergence is never negative. (For a normalised target log Z = 0, so the "
                "gap is minus the ELBO.)",
            ),
            (2 * gap, "the KL divergence between two normals has a factor ½ in front of its bracket."),
            (-0.5 * np.log(1 - rho), "the determinants involve 1 − ρ², with ρ squared."),
            (
                reverse,
                "that is KL(p ‖ q), the divergence the other way round (it is also the "
                "KL(q ‖ p) of the normal with the marginal sds); VI minimises KL(q ‖ p) of its own q.",
            ),
        ],
        hint="the gap log Z − ELBO is KL(q ‖ p) between the best mean-field normal and the target, "
        "which for two normals has a closed form; or estimate it (a normalised target has log Z = 0).",
    )
    if gap_result.passed:
        gap_result = correct(
            f"{gap_result.message[:-1]}: −½ log(1 − ρ²), whatever σ₁ and σ₂. As ρ → 1 the mean-field "
            "sds shrink to 0 like √(1 − ρ²) while the target keeps its marginal sds, and the gap "
            "grows without bound, though only logarithmically."
        )
    return report(sd_result, gap_result)


def _ld50_cells() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """LD50 = −α/β and β at the fine reference grid's cells with β > 0, and their masses."""
    grid = reference_grid()
    alpha, beta = np.meshgrid(grid.axis("alpha"), grid.axis("beta"), indexing="ij")
    positive = beta > 0
    return -alpha[positive] / beta[positive], beta[positive], grid.mass[positive]


@lru_cache(maxsize=1)
def _ld50_exact() -> tuple[float, float]:
    """The exact 97.5 % LD50 quantile and the mean of β over LD50's upper 2.5 % (fine grid)."""
    ld50, beta, mass = _ld50_cells()
    quantile = float(weighted_quantiles(ld50, mass, _LD50_PROB))
    tail = ld50 > quantile
    return quantile, float(mass[tail] @ beta[tail] / mass[tail].sum())


#: The answer's probability 0.975, and how far (in weight) from it an answer may sit on the sample's
#: weighted CDF: quantile definitions differ by at most the weights of the two draws around it
#: (the band :func:`_ld50_band` allows), so this is only slack for rounding; the 97 % and 98 %
#: quantiles sit 0.005 away.
_LD50_PROB = 0.975
_LD50_SLACK = 5e-4
_LD50_NAMES = ("ld50_q975_ab", "ld50_q975_lb", "beta_in_ld50_tail", "ab_ld50_biased_low")


def _ld50_band(values: np.ndarray, weights: np.ndarray, x: float) -> tuple[float, float]:
    """The probabilities a weighted quantile of ``values`` equal to ``x`` can stand for.

    Any quantile definition puts the p-quantile at a draw whose step of the weighted CDF covers
    p, or between the two adjacent draws whose steps do: so (W(< v_lo), W(≤ v_hi)), with v_lo the
    largest draw ≤ x and v_hi the smallest draw ≥ x (clipped at the ends).
    """
    order = np.argsort(values)
    v, w = values[order], weights[order] / weights.sum()
    before = np.concatenate([[0.0], np.cumsum(w)])  # before[i] = W(< v[i]), before[i + 1] = W(≤ v[i])
    lo = max(int(np.searchsorted(v, x, side="right")) - 1, 0)
    hi = min(int(np.searchsorted(v, x, side="left")), v.size - 1)
    lo = int(np.searchsorted(v, v[lo], side="left"))  # ties: the whole step of the tied value
    hi = int(np.searchsorted(v, v[hi], side="right")) - 1
    return float(before[lo]), float(before[hi + 1])


def _ld50_matches(values: np.ndarray, weights: np.ndarray, x: float, prob: float = _LD50_PROB) -> bool:
    """Is ``x`` the weighted ``prob``-quantile of ``values`` by some quantile definition?"""
    low, high = _ld50_band(values, weights, x)
    return low - _LD50_SLACK <= prob <= high + _LD50_SLACK


#: A slip's value may be rounded to four significant digits: the relative slack :func:`_slip_matches`
#: allows around it. A right answer gets the wider :data:`_LD50_SLACK`; a slip must match closely,
#: since with 1,000 equally weighted draws that slack alone spans several draws of LD50's tail.
_SLIP_ROUNDING = 5e-4
#: How far (in probability) from 0.975 an answer may sit on the right sample to be told to check
#: its probability: the 96.5 % to 98.5 % quantiles.
_NEAR_PROB = 0.01


def _slip_matches(values: np.ndarray, weights: np.ndarray, x: float) -> bool:
    """Is ``x`` (up to rounding to four significant digits) the weighted 97.5 % quantile of ``values``
    by some quantile definition?

    The definitions put the quantile at the draw v_i whose step of the weighted CDF covers 0.975,
    or interpolate towards a neighbour: towards v_(i+1) always, towards v_(i−1) only when 0.975 lies
    inside v_i's step (not at its top, as with equal weights and 0.975·n whole).
    """
    order = np.argsort(values)
    v, cdf = values[order], np.cumsum(weights[order]) / weights.sum()
    i = min(int(np.searchsorted(cdf, _LD50_PROB - 1e-9)), v.size - 1)
    low = v[i] if cdf[i] <= _LD50_PROB + 1e-9 else v[max(i - 1, 0)]
    high = v[min(i + 1, v.size - 1)]
    return low - _SLIP_ROUNDING * abs(low) <= x <= high + _SLIP_ROUNDING * abs(high)


def _ld50_tail_means(
    ld50: np.ndarray, beta: np.ndarray, weights: np.ndarray, average=None
) -> tuple[float, float]:
    """The smallest and largest mean of ``beta`` over the draws with LD50 above its weighted 97.5 %
    quantile, over every threshold some quantile definition allows (see :func:`_ld50_band`); the
    mean is weighted by ``average`` (default: ``weights``)."""
    average = weights if average is None else average
    order = np.argsort(ld50)
    v, w = ld50[order], weights[order] / weights.sum()
    after = np.cumsum(w)  # W(≤ v[i]); W(< v[i]) = after[i] - w[i]
    steps = (after - w - _LD50_SLACK <= _LD50_PROB) & (after + _LD50_SLACK >= _LD50_PROB)
    means = [
        float(average[tail] @ beta[tail] / average[tail].sum())
        for x in v[steps]
        for tail in (ld50 > x, ld50 >= x)
        if average[tail].sum() > 0
    ]
    return min(means), max(means)


def _rounded_from(value: float, low: float, high: float) -> bool:
    """Is ``value``, written with one or two significant digits, a rounding of a number in [low, high]?"""
    for digits in (1, 2):
        if value != 0 and float(f"{value:.{digits}g}") == value:
            unit = 10.0 ** (np.floor(np.log10(abs(value))) - digits + 1)
            return low - unit / 2 <= value <= high + unit / 2
    return False


_ROUNDED = (
    "it looks like the right value rounded to one or two significant digits, too coarse to tell "
    "apart from the neighbouring quantities: give the number as computed (at least three significant digits)."
)


def _one_number(answer, name: str) -> float | CheckResult:
    """The answer as one finite float, or the verdict that it is none."""
    value = as_numbers(answer, name, expected="a number")
    if isinstance(value, CheckResult):
        return value
    if value.shape != ():
        return wrong(f"`{name}` should be one number, got shape {value.shape}.")
    if not np.isfinite(value):
        return wrong(f"`{name}` is not finite; give a number.")
    return float(value)


def _ld50_quantile_verdict(answer, name: str, values, weights, slips, what: str, pieces: str) -> CheckResult:
    """One weighted 97.5 % LD50 quantile: right by any definition, a recognised slip, rounded, or off."""
    value = _one_number(answer, name)
    if isinstance(value, CheckResult):
        return value
    if _ld50_matches(values, weights, value):
        exact, _ = _ld50_exact()
        return correct(f"{name} = {value:.3f}, {what} (the exact value, from a fine grid: {exact:.3f}).")
    miss = describe_miss(name, value, float(weighted_quantiles(values, weights, _LD50_PROB)))
    low, high = weighted_quantiles(values, weights, [_LD50_PROB - _LD50_SLACK, _LD50_PROB + _LD50_SLACK])
    if _rounded_from(value, float(low), float(high)):
        return wrong(miss, _ROUNDED)
    band = _ld50_band(values, weights, value)
    side = "below" if band[1] < _LD50_PROB else "above"
    near = band[0] <= _LD50_PROB + _NEAR_PROB and band[1] >= _LD50_PROB - _NEAR_PROB
    where = (
        f"a probability {side} 0.975, within {_NEAR_PROB} of it, on this sample's weighted LD50 distribution"
    )
    for slip_values, slip_weights, hint in slips:
        if _slip_matches(slip_values, slip_weights, value):
            if near:
                hint += f" It also sits at {where}: if you used this sample, check the probability: 0.975."
            return wrong(miss, hint)
    if near:
        return wrong(miss, f"your value sits at {where}: check the probability: 0.975.")
    return wrong(
        miss,
        f"on this sample's weighted LD50 distribution your value sits at a probability {side} 0.975. "
        f"Check the pieces: {pieces}.",
    )


def _ld50_check_samples(sample_alpha_beta, sample_log_beta, resampled) -> np.ndarray | None:
    """Refuse anything but notebook 09's two-column importance samples (and its resampled draws);
    return the LD50 of the resampled draws (taken as (α, log β)), or None without them."""
    for what, sample in (("sample_alpha_beta", sample_alpha_beta), ("sample_log_beta", sample_log_beta)):
        if not isinstance(sample, ImportanceSample):
            raise TypeError(f"{what} must be an ImportanceSample, got {type(sample).__name__}")
        if sample.draws.shape[1] != 2:
            raise ValueError(f"{what} must have two columns (α and β or log β), got {sample.draws.shape[1]}")
    if resampled is None:
        return None
    resampled = np.asarray(resampled, dtype=float)
    if resampled.ndim != 2 or resampled.shape[1] != 2 or not np.isfinite(resampled).all():
        raise ValueError(f"resampled must be finite draws of (α, log β), shape (n, 2), got {resampled.shape}")
    return -resampled[:, 0] / np.exp(resampled[:, 1])


def _tail_beta_verdict(answer, ld50, beta, weights, slips) -> CheckResult:
    """The weighted mean of β over the (α, log β) sample's draws in LD50's upper 2.5 %."""
    name = _LD50_NAMES[2]
    value = _one_number(answer, name)
    if isinstance(value, CheckResult):
        return value
    low, high = _ld50_tail_means(ld50, beta, weights)
    if low * (1 - 2e-3) <= value <= high * (1 + 2e-3):
        return correct(
            f"{name} = {value:.2f} (the exact posterior's, from a fine grid: {_ld50_exact()[1]:.2f})."
        )
    miss = describe_miss(name, value, (low + high) / 2)
    if _rounded_from(value, low, high):
        return wrong(miss, _ROUNDED)
    for (slip_low, slip_high), hint in slips:
        if slip_low * (1 - 2e-3) <= value <= slip_high * (1 + 2e-3):
            return wrong(miss, hint)
    return wrong(
        miss,
        "take the (α, log β) sample's draws whose LD50 = −α/β exceeds its weighted 97.5 % quantile, "
        "and average β = exp(log β) over them with their smoothed weights, divided by those weights' sum.",
    )


def _biased_low_verdict(answer, tail_result: CheckResult) -> CheckResult:
    """The decision: is the (α, β) sample's LD50 quantile systematically low, like its β quantile?"""
    name = _LD50_NAMES[3]
    if answer is None:
        return not_answered(name)
    if not isinstance(answer, (bool, np.bool_)):
        return wrong(f"`{name}` should be True or False, got {type(answer).__name__}.")
    if tail_result.passed is not True:
        return wrong(f"`{name}` is graded once `beta_in_ld50_tail` is right: that number decides it.")
    if answer:
        return wrong(
            f"`{name}` = True is not right.",
            "the (α, β) proposal's estimate of β's 97.5 % quantile falls short because it almost never "
            "draws β that large. Where in β does LD50's upper tail lie (your `beta_in_ld50_tail`), and "
            "does that proposal draw there?",
        )
    return correct(
        f"{name} = False. LD50's upper tail lies at small β, where the (α, β) proposal draws plenty, so "
        "nothing cuts its estimate off; β's upper tail lies at large β, which it rarely reaches. k̂ "
        "describes the weights as a whole, and this proposal's heaviest weights sit at large β, far from "
        "LD50's upper tail. Whether a proposal can be trusted depends on the quantity, not on k̂ alone."
    )


def ld50_q975_importance(
    ld50_q975_ab,
    ld50_q975_lb,
    beta_in_ld50_tail,
    ab_ld50_biased_low,
    *,
    sample_alpha_beta,
    sample_log_beta,
    resampled=None,
) -> CheckReport:
    """Notebook 09's exercise: LD50's upper tail from both importance samples, and which to trust.

    The answers are functions of the samples, so the check recomputes them from the samples:
    the weighted 97.5 % quantile of LD50 = −α/β from each sample with its smoothed weights (any
    quantile definition passes, see :func:`_ld50_band`; the 97 % or 98 % quantile does not), the
    weighted mean of β over the (α, log β) sample's draws in LD50's upper 2.5 %, and the decision
    ``ab_ld50_biased_low`` (False: LD50's upper tail lies at small β, which the (α, β) proposal
    covers), graded once that mean is right. The slips it names: the other sample, unweighted
    draws, the resampled draws, a flipped sign, log β used as β, too coarse a rounding, the
    mean over all draws or without weights; a quantile at a probability within 0.01 of 0.975 is
    told to check the probability. Raw (unsmoothed) weights are not told apart from smoothed ones:
    where they differ by less than the answer's tolerance, as in notebook 09, they pass.

    Parameters
    ----------
    ld50_q975_ab, ld50_q975_lb, beta_in_ld50_tail : float or None
        The answers; ``None`` means not answered yet.
    ab_ld50_biased_low : bool or None
    sample_alpha_beta, sample_log_beta : ImportanceSample
        Notebook 09's two samples, from the proposals in (α, β) and in (α, log β).
    resampled : array_like, shape (n, 2), optional
        The notebook's importance-resampled (α, log β) draws, so that an answer from them is named.

    Returns
    -------
    CheckReport
        One verdict per answer.

    Raises
    ------
    TypeError, ValueError
        If a sample is not a two-column ImportanceSample, or ``resampled`` not finite (n, 2) draws.

    Examples
    --------
    >>> from bda_helpers import bioassay, load_bioassay
    >>> from bda_helpers.beyond.importance import importance_sample
    >>> data, rng = load_bioassay(), np.random.default_rng(1)
    >>> sample_ab = importance_sample(bioassay.model_functions(data).log_density,
    ...                               bioassay.laplace_fit(data), 4000, rng)
    >>> sample_lb = importance_sample(bioassay.model_functions_log_beta(data).log_density,
    ...                               bioassay.laplace_fit_log_beta(data), 4000, rng)
    >>> ld50_q975_importance(-0.5, None, None, None, sample_alpha_beta=sample_ab,
    ...                      sample_log_beta=sample_lb).passed
    False
    """
    ld50_resampled = _ld50_check_samples(sample_alpha_beta, sample_log_beta, resampled)
    alpha_ab, beta_ab = sample_alpha_beta.draws.T
    alpha, log_beta = sample_log_beta.draws.T
    beta = np.exp(log_beta)
    ld50_ab, ld50 = -alpha_ab / beta_ab, -alpha / beta
    w_ab, w = sample_alpha_beta.weights, sample_log_beta.weights
    quantile_ab = _ld50_quantile_verdict(
        ld50_q975_ab,
        _LD50_NAMES[0],
        ld50_ab,
        w_ab,
        _quantile_slips(sample_alpha_beta, ld50_ab, (ld50, w, "(α, log β)"), ld50_resampled),
        "the (α, β) sample's weighted 97.5 % quantile",
        "LD50 = −α/β, the (α, β) sample's smoothed weights, and the probability 0.975",
    )
    log_beta_slip = (
        -alpha / log_beta,
        w,
        "the sample's second column is log β, not β: take its exponential first.",
    )
    quantile_lb = _ld50_quantile_verdict(
        ld50_q975_lb,
        _LD50_NAMES[1],
        ld50,
        w,
        (*_quantile_slips(sample_log_beta, ld50, (ld50_ab, w_ab, "(α, β)"), ld50_resampled), log_beta_slip),
        "the (α, log β) sample's weighted 97.5 % quantile",
        "LD50 = −α/β with β = exp(log β), this sample's smoothed weights, and the probability 0.975",
    )
    tail_slips = (
        (
            _ld50_tail_means(ld50_ab, beta_ab, w_ab),
            "that matches the (α, β) sample; this asks for the (α, log β) one's.",
        ),
        (
            _ld50_tail_means(ld50, log_beta, w),
            "that averages log β: the second column is log β; average β itself.",
        ),
        (
            _ld50_tail_means(ld50, beta, w, np.ones_like(w)),
            "that leaves out the weights; weight each draw by its smoothed weight.",
        ),
        (
            (float(w @ beta),) * 2,
            "that is the mean over all draws; take only those with LD50 above its 97.5 % quantile.",
        ),
        (
            _ld50_tail_means(-ld50, beta, w),
            "that is the mean over LD50's lower tail: the sign of LD50 = −α/β is flipped.",
        ),
    )
    tail = _tail_beta_verdict(beta_in_ld50_tail, ld50, beta, w, tail_slips)
    return report(quantile_ab, quantile_lb, tail, _biased_low_verdict(ab_ld50_biased_low, tail))


def _quantile_slips(sample: ImportanceSample, ld50: np.ndarray, other: tuple, ld50_resampled) -> list:
    """The recognised slips of one sample's weighted LD50 quantile: (values, weights, hint) triples."""
    other_values, other_weights, other_name = other
    unweighted = (
        "draws without their importance weights: the weights turn proposal draws into posterior ones."
    )
    this = "(α, log β)" if other_name == "(α, β)" else "(α, β)"
    slips = [
        (
            other_values,
            other_weights,
            f"that matches the {other_name} sample; this answer is the {this} sample's.",
        ),
        (ld50, np.ones_like(ld50), f"that matches this sample's {unweighted}"),
        (other_values, np.ones_like(other_values), f"that matches the {other_name} sample's {unweighted}"),
        (-ld50, sample.weights, "the sign is flipped: LD50 = −α/β."),
    ]
    if ld50_resampled is not None:
        n = ld50_resampled.size
        resampled = f"that matches the 97.5 % quantile of section 1's {n:,} importance-resampled draws"
        if this == "(α, log β)":
            hint = (
                f"{resampled}: an estimate too, but from draws picked out of this sample, with the noise of "
                "the picking added; use all the sample's draws with their smoothed weights."
            )
        else:
            hint = f"{resampled}, which come from the (α, log β) sample; this answer is the (α, β) sample's."
        slips.append((ld50_resampled, np.ones_like(ld50_resampled), hint))
    return slips


def replications_for_coverage(n_replications) -> CheckResult:
    """Notebook 10's exercise: how many replications give a 95 % interval for a coverage near
    95 % a half-width of at most 1 percentage point.

    The exercise does not give the formula. The (Wald) interval is ``ĉ ± z √(p (1 − p) / R)``
    with ``z = Φ⁻¹(0.975)`` and ``p`` the nominal 0.95, so the answer is the smallest whole
    ``R`` with ``z² p (1 − p) / R ≤ 0.01²``.

    Examples
    --------
    >>> replications_for_coverage(2500).passed
    False
    """
    name = "n_replications"
    value = as_numbers(n_replications, name, expected="a whole number")
    if isinstance(value, CheckResult):
        return value
    if value.shape != () or not float(value).is_integer() or value < 1:
        return wrong(
            f"`{name}` should be one positive whole number, got {n_replications!r}.",
            "replications come in whole numbers: round up.",
        )
    value = int(value)
    p, half_width, z = 0.95, 0.01, float(stats.norm.ppf(0.975))

    def replications(z_value: float, spread: float, width: float) -> int:
        # Rounded to 9 decimals first, so that a product landing on a whole number in exact
        # arithmetic (2² · 0.95 · 0.05 / 0.01² = 1900) is not pushed one up by round-off.
        return int(np.ceil(round(z_value**2 * spread / width**2, 9)))

    expected = replications(z, p * (1 - p), half_width)
    if value == expected:
        return correct(
            f"{name} = {value}: the half-width is {z:.2f} · sqrt(0.95 · 0.05 / {value}) = "
            f"{z * np.sqrt(p * (1 - p) / value):.4f}. The notebook's 400 replications give about "
            f"{100 * z * np.sqrt(p * (1 - p) / 400):.1f} points: the half-width shrinks only like 1/√R."
        )
    slips = {
        replications(2.0, p * (1 - p), half_width): "that uses z = 2, a rounding of the normal quantile; "
        "use the 97.5 % quantile itself, stats.norm.ppf(0.975).",
        replications(1.0, p * (1 - p), half_width): "that makes one standard error 1 point; a 95 % "
        "interval reaches z ≈ 1.96 standard errors either side.",
        int(np.ceil(round(z * p * (1 - p) / half_width**2, 9))): "z multiplies the standard error, so it "
        "enters R squared.",
        replications(z, 0.25, half_width): "that uses p(1 − p) at p = 0.5, the worst case; the coverage "
        "here is near its nominal 0.95, where p(1 − p) is smaller.",
        replications(float(stats.norm.ppf(0.95)), p * (1 - p), half_width): "that uses the 95 % normal "
        "quantile, as for a one-sided bound; a central 95 % interval leaves 2.5 % in each tail.",
        replications(z, np.sqrt(p * (1 - p)), half_width): "that uses the sd √(p(1 − p)) where the "
        "variance p(1 − p) belongs: se² = p(1 − p)/R.",
        replications(z, p * (1 - p), half_width / 2): "that makes the whole interval 1 point wide; "
        "the exercise asks for a half-width of 1 point.",
        int(np.ceil(round(z**2 * p * (1 - p) / half_width, 9))): "square the half-width as well: "
        "z² p(1 − p) / R ≤ 0.01².",
    }
    hint = slips.get(
        value,
        "a coverage estimate is the share of R independent replications whose interval covers the "
        "truth, so its standard error is the binomial sd of a share, which shrinks like 1/√R; a 95 % "
        "interval for it reaches the normal 97.5 % quantile of those standard errors either side. "
        "Take the smallest whole R that meets the bound (round up).",
    )
    return wrong(f"{name} = {value} is too {'large' if value > expected else 'small'}.", hint)
