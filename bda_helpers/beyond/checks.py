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

from .. import bioassay, load_bioassay
from ..checks import CheckResult, as_numbers, check_close, correct, describe_miss, wrong
from ..checks.study_guide import mc_tolerance, reference_grid
from ..summaries import weighted_quantiles
from .importance import importance_sample

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
# Answers pass within the Monte Carlo error of this effective sample size (the notebook's: ~3,500).
_MIN_ESS = 2500
_SEED = 8  # the check's own importance sample, for the answer a slip would give


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
def _ld50_q975_reference() -> tuple[float, float, dict[str, float]]:
    """The exact 97.5 % LD50 quantile, its tolerance, and the answers typical slips give."""
    values, mass = _ld50_cells()

    def quantile(probs):
        return weighted_quantiles(values, mass, probs)

    expected = float(quantile(0.975))
    tolerance = float(mc_tolerance(quantile, 0.975, _MIN_ESS))
    data = load_bioassay()
    proposal = bioassay.laplace_fit_log_beta(data)
    sample = importance_sample(
        bioassay.model_functions_log_beta(data).log_density, proposal, 40_000, np.random.default_rng(_SEED)
    )
    alpha, log_beta = sample.draws.T
    slips = {
        "unweighted": float(np.quantile(-alpha / np.exp(log_beta), 0.975)),
        "sign": float(-quantile(0.025)),
        "no exp": float(weighted_quantiles(-alpha / log_beta, sample.weights, 0.975)),
    }
    return expected, tolerance, slips


def ld50_q975_importance(ld50_q975) -> CheckResult:
    """Notebook 09's exercise: LD50's 97.5 % posterior quantile from the (α, log β) importance sample.

    The reference is exact (a fine grid's cells with β > 0); an answer passes within
    ``MC_Z`` Monte Carlo standard errors of a sample quantile from 2,500 effective draws.

    Examples
    --------
    >>> ld50_q975_importance(-0.5).passed
    False
    """
    name = "ld50_q975"
    value = as_numbers(ld50_q975, name, expected="a number")
    if isinstance(value, CheckResult):
        return value
    if value.shape != ():
        return wrong(f"`{name}` should be one number, got shape {value.shape}.")
    value = float(value)
    expected, tolerance, slips = _ld50_q975_reference()
    if abs(value - expected) <= tolerance:
        return correct(
            f"{name} = {value:.3f}; exactly {expected:.3f} (Monte Carlo tolerance ± {tolerance:.3f}). "
            "The unweighted proposal draws would have put it too high: the weights pull the tail in."
        )
    hints = {
        "unweighted": "that is the quantile of the unweighted proposal draws, whose LD50 tail is too long; "
        "weight them with the sample's smoothed weights: weighted_quantiles(ld50, weights, 0.975) with "
        'weights = sample["(α, log β)"].weights.',
        "sign": "the sign is flipped: LD50 = −α/β.",
        "no exp": "the proposal's second column is log β; take β = np.exp(draws[:, 1]) before dividing.",
    }
    for slip, slip_value in slips.items():
        if abs(value - slip_value) <= tolerance and abs(slip_value - expected) > tolerance:
            return wrong(describe_miss(name, value, expected), hints[slip])
    return wrong(
        describe_miss(name, value, expected),
        "compute ld50 = −draws[:, 0] / np.exp(draws[:, 1]) from the (α, log β) sample's draws, "
        "then its weighted 97.5 % quantile with the sample's (smoothed) weights.",
    )


def replications_for_coverage(n_replications) -> CheckResult:
    """Notebook 10's exercise: how many replications make a 95 % interval's coverage estimate
    ±1 point (one s.e.).

    The standard error of a coverage estimate from R independent replications is
    ``sqrt(p (1 − p) / R)``, evaluated at the nominal p = 0.95.

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
    p, se = 0.95, 0.01

    def replications(variance: float, divisor: float) -> int:
        # Rounded to 9 decimals first: in floating point 0.95 · 0.05 / 0.01² is 475.0000000000004.
        return int(np.ceil(round(variance / divisor, 9)))

    expected = replications(p * (1 - p), se**2)
    if value == expected:
        return correct(f"{name} = {value}: sqrt(0.95 · 0.05 / {value}) = {np.sqrt(p * (1 - p) / value):.4f}.")
    hints = {
        replications(0.25, se**2): "that uses p = 0.5, the worst case; at p = 0.95 the variance p(1 − p) "
        "is smaller.",
        replications(p * (1 - p), (se / 2) ** 2): "that makes *two* standard errors 1 point; the exercise "
        "asks for one.",
        replications(p * (1 - p), se): "divide by the *squared* standard error: R = p(1 − p) / se².",
    }
    hint = hints.get(
        value,
        "the standard error of a proportion from R replications is sqrt(p(1 − p)/R); "
        "solve sqrt(0.95 · 0.05 / R) ≤ 0.01 for the smallest whole R.",
    )
    return wrong(f"{name} = {value} is too {'large' if value > expected else 'small'}.", hint)
