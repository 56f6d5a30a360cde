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

from collections.abc import Callable
from functools import lru_cache

import numpy as np
from scipy import stats

from ..checks import CheckResult, as_numbers, check_close, correct, describe_miss, wrong
from ..checks.study_guide import mc_tolerance, reference_grid
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


def mean_field_sds(mean_field_sd) -> CheckResult:
    """Notebook 10's exercise: the sds of the best mean-field normal for a correlated normal.

    The target is bivariate normal with marginal sds :data:`MEAN_FIELD_TARGET_SD` and
    correlation :data:`MEAN_FIELD_TARGET_RHO`. Minimising KL(q ‖ p) over independent normals q,
    for a normal p with precision Λ = Σ⁻¹, gives variances 1/Λ_jj: the *conditional* variances
    σ_j² (1 − ρ²), so the sds σ_j √(1 − ρ²).

    Examples
    --------
    >>> mean_field_sds([1.0, 2.0]).passed
    False
    """
    name = "mean_field_sd"
    sd = np.array(MEAN_FIELD_TARGET_SD)
    rho = MEAN_FIELD_TARGET_RHO
    cov = np.outer(sd, sd) * np.array([[1.0, rho], [rho, 1.0]])
    expected = 1.0 / np.sqrt(np.diag(np.linalg.inv(cov)))  # 1/√Λ_jj, the definition, not the shortcut
    result = check_close(
        mean_field_sd,
        expected,
        name=name,
        rtol=1e-3,
        names=_NAMES,
        mistakes=[
            (
                sd,
                "those are the marginal sds σ_j, which a full-rank normal keeps. A mean-field q "
                "matches the conditional spread: sd_j = 1/√Λ_jj with Λ = Σ⁻¹.",
            ),
            (sd**2 * (1 - rho**2), "those are variances; take their square roots."),
            (
                sd * np.sqrt(1 - rho),
                "the conditional variance is σ_j² (1 − ρ²), with ρ squared; you took √(1 − ρ).",
            ),
            (
                sd * (1 - rho**2),
                "(1 − ρ²) scales the variance, not the sd: the sd takes its square root.",
            ),
            (sd[::-1] * np.sqrt(1 - rho**2), "the two entries are swapped: give [sd of θ₁, sd of θ₂]."),
            (1.0 / expected, "that is √Λ_jj; the sd is its reciprocal, 1/√Λ_jj."),
        ],
        hint="write the covariance Σ from the sds and ρ, invert it, and take 1/√Λ_jj.",
    )
    if result.passed:
        return correct(
            f"{result.message[:-1]}: √(1 − ρ²) = {np.sqrt(1 - rho**2):.2f} of each marginal sd. "
            "The tighter the correlation, the more mean-field VI shrinks."
        )
    return result


def _ld50_cells() -> tuple[np.ndarray, np.ndarray]:
    """LD50 = −α/β at the fine reference grid's cells with β > 0, and their masses."""
    grid = reference_grid()
    alpha, beta = np.meshgrid(grid.axis("alpha"), grid.axis("beta"), indexing="ij")
    positive = beta > 0
    return -alpha[positive] / beta[positive], grid.mass[positive]


@lru_cache(maxsize=1)
def _ld50_q975_reference() -> tuple[float, Callable]:
    """The exact 97.5 % LD50 quantile (fine grid) and the exact quantile function."""
    values, mass = _ld50_cells()

    def quantile(probs):
        return weighted_quantiles(values, mass, probs)

    return float(quantile(_LD50_PROB)), quantile


#: The answer's probability 0.975, and how far (in weight) from it an answer may sit on the sample's
#: weighted CDF: quantile definitions differ by at most the weights of the two draws around it
#: (the band :func:`_ld50_band` allows), so this is only slack for rounding; the 97 % and 98 %
#: quantiles sit 0.005 away.
_LD50_PROB = 0.975
_LD50_SLACK = 5e-4


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


def _ld50_matches(values: np.ndarray, weights: np.ndarray, x: float, prob: float) -> bool:
    """Is ``x`` the weighted ``prob``-quantile of ``values`` by some quantile definition?"""
    low, high = _ld50_band(values, weights, x)
    return low - _LD50_SLACK <= prob <= high + _LD50_SLACK


def _ld50_check_samples(sample_alpha_beta, sample_log_beta) -> None:
    """Refuse anything but the two two-column importance samples of notebook 09."""
    for what, sample in (("sample_alpha_beta", sample_alpha_beta), ("sample_log_beta", sample_log_beta)):
        if not isinstance(sample, ImportanceSample):
            raise TypeError(f"{what} must be an ImportanceSample, got {type(sample).__name__}")
        if sample.draws.shape[1] != 2:
            raise ValueError(f"{what} must have two columns (α and β or log β), got {sample.draws.shape[1]}")


def ld50_q975_importance(ld50_q975, sample_alpha_beta, sample_log_beta) -> CheckResult:
    """Notebook 09's exercise: LD50's 97.5 % posterior quantile from the sample whose weights to trust.

    The answer is a function of the sample, so the check recomputes it from the sample itself:
    the weighted 97.5 % quantile of LD50 = −α/β over ``sample_log_beta``'s draws (β = e^{log β})
    with its smoothed weights. Any quantile definition passes (see :func:`_ld50_band`); the
    97 % or 98 % quantile does not. The slips it names: the (α, β) sample, unweighted draws, a
    flipped sign, log β used as β. A right answer's message compares it with the exact value
    (a fine grid) and that value's distance in Monte Carlo standard errors.

    Parameters
    ----------
    ld50_q975 : float or None
        The answer.
    sample_alpha_beta, sample_log_beta : ImportanceSample
        Notebook 09's two samples, from the proposals in (α, β) and in (α, log β).

    Raises
    ------
    TypeError, ValueError
        If a sample is not a two-column ImportanceSample.

    Examples
    --------
    >>> from bda_helpers import bioassay, load_bioassay
    >>> from bda_helpers.beyond.importance import importance_sample
    >>> data, rng = load_bioassay(), np.random.default_rng(1)
    >>> sample_ab = importance_sample(bioassay.model_functions(data).log_density,
    ...                               bioassay.laplace_fit(data), 4000, rng)
    >>> sample_lb = importance_sample(bioassay.model_functions_log_beta(data).log_density,
    ...                               bioassay.laplace_fit_log_beta(data), 4000, rng)
    >>> ld50_q975_importance(-0.5, sample_ab, sample_lb).passed
    False
    """
    from ..checks.study_guide import MC_Z

    name = "ld50_q975"
    _ld50_check_samples(sample_alpha_beta, sample_log_beta)
    value = as_numbers(ld50_q975, name, expected="a number")
    if isinstance(value, CheckResult):
        return value
    if value.shape != ():
        return wrong(f"`{name}` should be one number, got shape {value.shape}.")
    value = float(value)
    if not np.isfinite(value):
        return wrong(f"`{name}` is not finite; give a number.")
    alpha, log_beta = sample_log_beta.draws.T
    ld50, weights = -alpha / np.exp(log_beta), sample_log_beta.weights
    estimate = float(weighted_quantiles(ld50, weights, _LD50_PROB))
    ld50_ab = -sample_alpha_beta.draws[:, 0] / sample_alpha_beta.draws[:, 1]
    if _ld50_matches(ld50, weights, value, _LD50_PROB):
        expected, quantile = _ld50_q975_reference()
        standard_error = float(mc_tolerance(quantile, _LD50_PROB, sample_log_beta.ess)) / MC_Z
        other = float(weighted_quantiles(ld50_ab, sample_alpha_beta.weights, _LD50_PROB))
        return correct(
            f"{name} = {value:.3f}, the weighted 97.5 % quantile of the (α, log β) sample, the proposal "
            f"whose k̂ is the lower across seeds. The exact value (a fine grid) is {expected:.3f}, "
            f"{abs(estimate - expected) / standard_error:.1f} Monte Carlo standard errors (ESS-based) away. "
            f"The (α, β) sample gives {other:.3f}: LD50's upper tail lies at small β, where that proposal "
            "does draw; but only the exact value shows that, its k̂ gave no such assurance."
        )
    slips = (
        (
            ld50_ab,
            sample_alpha_beta.weights,
            _LD50_PROB,
            "that matches the weighted 97.5 % quantile of the (α, β) sample. Which of the two "
            "proposals' weights does PSIS let you trust? Judge by k̂ over the seeds of section 1, "
            "not by one reading.",
        ),
        (
            ld50,
            np.ones_like(ld50),
            _LD50_PROB,
            "that matches the (α, log β) proposal's draws without their importance weights: the "
            "weights are what turn proposal draws into posterior ones.",
        ),
        (
            ld50_ab,
            np.ones_like(ld50_ab),
            _LD50_PROB,
            "that matches the (α, β) proposal's draws without their importance weights: the "
            "weights are what turn proposal draws into posterior ones.",
        ),
        (-ld50, weights, _LD50_PROB, "the sign is flipped: LD50 = −α/β."),
        (
            -alpha / log_beta,
            weights,
            _LD50_PROB,
            "the (α, log β) sample's second column is log β, not β: take its exponential before dividing.",
        ),
    )
    miss = describe_miss(name, value, estimate)
    for values, slip_weights, prob, hint in slips:
        if _ld50_matches(values, slip_weights, value, prob):
            return wrong(miss, hint)
    direction = (
        "e.g. the draws without their weights, or a probability above 0.975"
        if value > estimate
        else "e.g. a probability below 0.975, or the wrong quantile"
    )
    return wrong(
        miss,
        f"not the weighted 97.5 % quantile of the (α, log β) sample's LD50 — {direction}. "
        "Use LD50 = −α/β with β taken back from log β, and the sample's smoothed weights.",
    )


def replications_for_coverage(n_replications) -> CheckResult:
    """Notebook 10's exercise: how many replications give a 95 % interval for a coverage near
    95 % a half-width of at most 1 percentage point.

    The (Wald) interval is ``ĉ ± z √(p (1 − p) / R)`` with ``z = Φ⁻¹(0.975)`` and ``p`` the
    nominal 0.95, so the smallest whole ``R`` with ``z² p (1 − p) / R ≤ 0.01²``.

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
        "the half-width of the interval is z · sqrt(p(1 − p)/R) with z the 97.5 % normal quantile; "
        "solve half-width ≤ 0.01 at p = 0.95 for the smallest whole R (round up).",
    )
    return wrong(f"{name} = {value} is too {'large' if value > expected else 'small'}.", hint)
