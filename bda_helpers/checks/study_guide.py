"""Self-checks for the study guide, ``notebooks/07_study_guide.ipynb``.

Use them as ``from bda_helpers.checks import study_guide as check``. Every check
recomputes its reference from the data (bioassay or windshield) with :mod:`bda_helpers`,
compares the answer, and, when it is wrong, recognises the typical mistakes (a missing
log-Jacobian, a standard deviation read as a variance, the Hessian instead of −H⁻¹,
draws with β < 0, ...) and says which one it sees. Otherwise a wrong answer is told
which entries are off and in which direction, never the reference value: the study guide
should not give its answers away.

Monte Carlo answers get a tolerance from their Monte Carlo error: the checks assume at
least :data:`MC_DRAWS` independent draws (or the effective sample size the answer
reports) and accept :data:`MC_Z` Monte Carlo standard errors either way; an exact value
passes too.

Examples
--------
>>> from bda_helpers.checks import study_guide as check
>>> check.mode_log_beta(None)
… Not answered yet: assign your answer to `mode_log_beta` and run the cell again.
>>> check.mode_log_beta([0.8466, np.log(7.7488)]).passed   # the (α, β) mode with β logged
False
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial

import numpy as np
from scipy import stats

from .. import bioassay, normal_model
from ..data import load_bioassay, load_windshieldy
from ..grid import GridPosterior
from ..laplace import LaplaceApproximation, laplace
from ..ld50_normal import ld50_normal_quantile
from . import (
    CheckReport,
    CheckResult,
    as_array,
    as_numbers,
    as_probability,
    check_close,
    correct,
    format_answer,
    not_answered,
    report,
    wrong,
)

__all__ = [
    "MC_DRAWS",
    "MC_Z",
    "reference_grid",
    "mc_tolerance",
    "beta_negative_share",
    "ld50_draws",
    "mode_log_beta",
    "cov_log_beta",
    "beta_q975",
    "mode_prior",
    "cov_prior",
    "mode_correlated_prior",
    "mode_windshield",
    "cov_windshield",
    "sigma_interval_exact",
    "sigma_interval_laplace",
    "nuts_diagnostics",
    "nuts_beta_quantiles",
    "CheckReport",
    "report",
]

#: The fewest independent draws a Monte Carlo answer is assumed to come from.
MC_DRAWS = 10_000
#: How many Monte Carlo standard errors a Monte Carlo answer may be off.
MC_Z = 3.5

_PRIOR_MEAN = (0.0, 10.0)
_PRIOR_COV = ((4.0, 0.0), (0.0, 10.0))  # alpha ~ N(0, 4), beta ~ N(10, 10): BDA's N(mean, variance)
_CORRELATED_PRIOR_COV = ((4.0, 10.0), (10.0, 100.0))  # sds 2 and 10, correlation 0.5 (BDA3 Ex. 3.11)
_NAMES_ALPHA_BETA = ("α", "β")
_NAMES_LOG_BETA = ("α", "log β")
_NAMES_WINDSHIELD = ("μ", "log σ")
_LD50_PROBS = (0.025, 0.25, 0.5, 0.75, 0.975)
_NUTS_PROBS = (0.025, 0.5, 0.975)


# --- References, recomputed from the data (cached: a notebook calls several checks) -------


@cache
def _laplace_alpha_beta(prior_cov: tuple | None = None) -> LaplaceApproximation:
    """Laplace in (alpha, beta), flat prior or a normal prior with mean (0, 10)."""
    prior = None if prior_cov is None else bioassay.NormalPrior(mean=_PRIOR_MEAN, cov=prior_cov)
    return bioassay.laplace_fit(load_bioassay(), prior)


@cache
def _laplace_log_beta(jacobian: bool = True) -> LaplaceApproximation:
    """Laplace in (alpha, log beta), with or without the log-Jacobian term."""
    data = load_bioassay()
    # The log-Jacobian is log beta itself: it adds 1 to d/d(log beta) and nothing to the Hessian.
    shift = np.array([0.0, 0.0 if jacobian else 1.0])
    model = bioassay.model_functions_log_beta(data)
    if jacobian:
        # log_density guards Newton's steps: at (0, 0) the Hessian in log beta is not negative definite.
        return laplace(model.gradient, [0.0, 0.0], hessian=model.hessian, log_density=model.log_density)
    return laplace(
        lambda phi: model.gradient(phi) - shift,
        [0.0, 0.0],
        hessian=model.hessian,
        log_density=lambda phi: model.log_density(phi) - shift @ phi,
    )


@cache
def reference_grid() -> GridPosterior:
    """The flat-prior bioassay posterior on a fine grid wide enough to hold all but ~1e-9 of it.

    The reference of the checks that compare quantiles of beta: 341 × 1251 cells on
    α ∈ [−5, 12], β ∈ [−5, 120], with the names ("alpha", "beta"). Computed once and cached.

    Examples
    --------
    >>> grid = reference_grid()
    >>> grid.names, grid.mass.shape, grid.edge_mass().largest < 1e-6
    (('alpha', 'beta'), (341, 1251), True)
    """
    return bioassay.grid_posterior(
        load_bioassay(), alpha=np.linspace(-5.0, 12.0, 341), beta=np.linspace(-5.0, 120.0, 1251)
    )


@cache
def _windshield() -> tuple[np.ndarray, LaplaceApproximation]:
    y = load_windshieldy()
    fit = laplace(
        partial(normal_model.gradient, y=y),
        [float(np.median(y)), 0.0],
        hessian=partial(normal_model.hessian, y=y),
    )
    return y, fit


def mc_tolerance(quantile: Callable[[np.ndarray], np.ndarray], probs, n: float) -> np.ndarray:
    """``MC_Z`` Monte Carlo standard errors of sample quantiles from ``n`` independent draws.

    The rule of :func:`bda_helpers.quantile_mcse`, with the exact quantile function ``Q`` in
    place of the draws' empirical one: the sample ``p``-quantile sits at a uniform order
    statistic whose position is Beta(n·p + 1, n·(1 − p) + 1) distributed, and that
    distribution's ±1 sd points (its Φ(−1) and Φ(1) quantiles), mapped through ``Q``, span
    twice the standard error. ``n`` may be an effective sample size.

    Parameters
    ----------
    quantile : callable
        The exact quantile function ``Q``, vectorised over probabilities.
    probs : float or array_like
        The probabilities of the sample quantiles, in (0, 1).
    n : float
        The number of independent draws (or the effective sample size).

    Returns
    -------
    numpy.ndarray
        The tolerance for each of ``probs``: ``MC_Z`` standard errors.

    Examples
    --------
    >>> from scipy import stats
    >>> tolerance = mc_tolerance(stats.norm.ppf, [0.5, 0.975], 10_000)
    >>> (tolerance / MC_Z).round(4).tolist()   # sqrt(p (1 - p) / n) / phi(Q(p)) for a normal
    [0.0125, 0.0267]
    """
    probs = np.asarray(probs, dtype=float)
    below, above = stats.norm.cdf([-1.0, 1.0])
    position = stats.beta(n * probs + 1, n * (1 - probs) + 1)
    return MC_Z * (quantile(position.ppf(above)) - quantile(position.ppf(below))) / 2


# --- Comparing answers ------------------------------------------------------------------


def _covariance_mistakes(answer: np.ndarray, hessian: np.ndarray, name: str) -> CheckResult | None:
    """The mistakes every Laplace covariance can have: asymmetry, H, −H or H⁻¹ given."""
    if not np.allclose(answer, answer.T, rtol=1e-6, atol=1e-12):
        return wrong(
            f"`{name}` is not symmetric.",
            "A covariance equals its transpose, and −H⁻¹ of a symmetric Hessian is symmetric; "
            "check the off-diagonal entries (and symmetrise a finite-difference Hessian as "
            "(H + Hᵀ) / 2 before inverting it).",
        )
    for candidate, hint in (
        (hessian, "That is the Hessian H itself; the Laplace covariance is its negative inverse, −H⁻¹."),
        (-hessian, "That is −H, the precision (information) matrix; the covariance is its inverse, −H⁻¹."),
        (np.linalg.inv(hessian), "That is H⁻¹, which is negative definite; the covariance is −H⁻¹."),
    ):
        if np.allclose(answer, candidate, rtol=1e-3, atol=1e-9):
            return wrong(f"`{name}` is not the Laplace covariance.", hint)
    if np.any(np.linalg.eigvalsh(0.5 * (answer + answer.T)) <= 0):
        return wrong(
            f"`{name}` is not positive definite, so it is no covariance.",
            "Take the covariance as −H⁻¹ with H the Hessian of the log density at the mode.",
        )
    return None


def _check_covariance(
    answer, fit: LaplaceApproximation, hessian: np.ndarray, *, name: str, names, mistakes=(), hint=""
) -> CheckResult:
    values = as_array(answer, (2, 2), name)
    if isinstance(values, CheckResult):
        return values
    if not np.allclose(values, fit.cov, rtol=1e-3, atol=1e-9 * np.abs(fit.cov).max()):
        found = _covariance_mistakes(values, hessian, name)
        if found is not None:
            return found
    return check_close(
        values, fit.cov, name=name, names=names, rtol=1e-3, atol=1e-9, mistakes=mistakes, hint=hint
    )


# --- Exercise 1: LD50 from Laplace draws -------------------------------------------------


def beta_negative_share(answer) -> CheckResult:
    """Exercise 1: the share of Laplace draws of (α, β) with β < 0 (a number in [0, 1]).

    The exact share under the Laplace normal is ``Φ(−β̂ / sd(β))``; a Monte Carlo answer
    from :data:`MC_DRAWS` or more draws passes.

    Examples
    --------
    >>> beta_negative_share(5.6)   # a percentage, not a share  # doctest: +NORMALIZE_WHITESPACE
    ❌ Not yet: beta_negative_share = 5.6 is not a share: it must lie between 0 and 1. Hint: give a share
    between 0 and 1, not a percentage.
    """
    name = "beta_negative_share"
    value = as_probability(answer, name, what="share")
    if isinstance(value, CheckResult):
        return value
    fit = _laplace_alpha_beta()
    share = float(stats.norm.cdf(0.0, fit.mode[1], fit.sd[1]))
    tolerance = MC_Z * np.sqrt(share * (1 - share) / MC_DRAWS)
    return check_close(
        value,
        share,
        name=name,
        rtol=0.0,
        atol=tolerance,
        mistakes=[
            (1 - share, "That is the share with β > 0; the question asks for β < 0."),
            (
                0.0,
                "Laplace draws do fall below β = 0 (the normal has unbounded support); "
                "did you count grid draws, or draws already filtered to β > 0?",
            ),
        ],
        hint="Draw from N(mode, −H⁻¹) of the (α, β) Laplace fit and count the draws with β < 0 "
        f"(use {MC_DRAWS:,} or more draws).",
    )


def ld50_draws(answer) -> CheckResult:
    """Exercise 1: LD50 = −α/β computed from Laplace draws with β > 0 (a 1-D array).

    The draws' 2.5 %, 25 %, 50 %, 75 % and 97.5 % quantiles are compared with the exact
    quantiles of −α/β under the Laplace normal conditioned on β > 0
    (:func:`bda_helpers.ld50_normal.ld50_normal_quantile`), each within ``MC_Z`` Monte
    Carlo standard errors for the number of draws given (at least 1000).

    Examples
    --------
    >>> ld50_draws(np.array([0.1, np.inf])).passed
    False
    """
    name = "ld50_draws"
    draws = as_numbers(answer, name, expected="a 1-D array of numbers")
    if isinstance(draws, CheckResult):
        return draws
    if draws.ndim != 1:
        return wrong(
            f"`{name}` has shape {draws.shape}, but it should be a 1-D array of LD50 values.",
            "Compute one LD50 = −α/β per draw, e.g. from the columns of an (n, 2) array of draws.",
        )
    if not np.isfinite(draws).all():
        return wrong(
            f"`{name}` contains {int(np.count_nonzero(~np.isfinite(draws)))} NaN or infinite values.",
            "Those come from draws with β = 0 (or a 0/0): LD50 = −α/β is meaningful only for β > 0, "
            "so keep the draws with β > 0 before dividing.",
        )
    if draws.size < 1000:
        return wrong(f"`{name}` has only {draws.size} values.", "Use at least 1000 draws with β > 0.")
    fit = _laplace_alpha_beta()
    probs = np.array(_LD50_PROBS)
    sample = np.quantile(draws, probs)

    def conditional(p):
        return ld50_normal_quantile(p, fit.mode, fit.cov)

    def unconditional(p):
        return ld50_normal_quantile(p, fit.mode, fit.cov, beta_positive=False)

    tolerance = mc_tolerance(conditional, probs, draws.size)
    if np.all(np.abs(sample - conditional(probs)) <= tolerance):
        low, high = np.quantile(draws, [0.025, 0.975])
        return correct(f"{draws.size} LD50 draws with 95 % interval [{low:.3f}, {high:.3f}].")
    if np.all(np.abs(sample - unconditional(probs)) <= mc_tolerance(unconditional, probs, draws.size)):
        return wrong(
            f"`{name}` matches −α/β over all Laplace draws, including those with β < 0.",
            "LD50 = −α/β is meaningful only for β > 0 (a dose that kills more as it grows); "
            "draws with β < 0 (and β near 0) give huge values of either sign. Keep the draws "
            "with β > 0 first, as bda_helpers.ld50 insists.",
        )
    if np.all(np.abs(-sample[::-1] - conditional(probs)) <= tolerance):
        return wrong(f"`{name}` has the wrong sign.", "LD50 solves α + β·x = 0, so it is −α/β, not α/β.")
    off = [f"{p:.1%}" for p, s, c, t in zip(probs, sample, conditional(probs), tolerance) if abs(s - c) > t]
    return wrong(
        f"the quantiles of `{name}` at {', '.join(off)} are further from the Laplace LD50 "
        "distribution than Monte Carlo error explains.",
        "Draw (α, β) from N(mode, −H⁻¹) of the flat-prior (α, β) fit, keep β > 0, then take −α/β.",
    )


# --- Exercise 2: Laplace in (α, log β) ---------------------------------------------------


def mode_log_beta(answer) -> CheckResult:
    """Exercise 2: the mode of the posterior density of (α, log β), shape (2,).

    Examples
    --------
    >>> mode_log_beta([0.8466, 7.7488]).passed   # the (α, β) mode
    False
    """
    fit = _laplace_log_beta()
    no_jacobian = _laplace_log_beta(jacobian=False)
    return check_close(
        answer,
        fit.mode,
        name="mode_log_beta",
        names=_NAMES_LOG_BETA,
        mistakes=[
            (
                no_jacobian.mode,
                "This is the (α, β) mode with β logged: the maximum of p(α, e^φ | y) without the "
                "Jacobian. Did you add the log-Jacobian of the log β transform? The density of "
                "φ = log β is p(α, β = e^φ | y) · e^φ, so add φ to the log posterior.",
            ),
            (_laplace_alpha_beta().mode, "That is the mode in (α, β); the exercise works in (α, log β)."),
            ([fit.mode[0], np.exp(fit.mode[1])], "The second entry should be log β at the mode, not β."),
        ],
        hint="Maximise log p(α, e^φ | y) + φ over (α, φ), e.g. with model = "
        "bioassay.model_functions_log_beta(data) and laplace(model.gradient, [0.0, 0.0], "
        "hessian=model.hessian, log_density=model.log_density): from (0, 0) the Hessian is not negative "
        "definite, and the log density lets Newton guard its steps.",
    )


def cov_log_beta(answer) -> CheckResult:
    """Exercise 2: the Laplace covariance in (α, log β), shape (2, 2).

    Examples
    --------
    >>> cov_log_beta([[1.0, 2.0], [0.0, 1.0]]).message  # doctest: +NORMALIZE_WHITESPACE
    '`cov_log_beta` is not symmetric. Hint: A covariance equals its transpose, and −H⁻¹ of a symmetric Hessian
    is symmetric; check the off-diagonal entries (and symmetrise a finite-difference Hessian as (H + Hᵀ) / 2
    before inverting it).'
    """
    fit = _laplace_log_beta()
    hessian = bioassay.hessian_log_beta(fit.mode, load_bioassay())
    return _check_covariance(
        answer,
        fit,
        hessian,
        name="cov_log_beta",
        names=_NAMES_LOG_BETA,
        mistakes=[
            (
                _laplace_log_beta(jacobian=False).cov,
                "This is the covariance at the mode found without the log-Jacobian. Did you add "
                "the log-Jacobian of the log β transform (+ log β) before finding the mode?",
            ),
            (
                _laplace_alpha_beta().cov,
                "That is the covariance in (α, β); the exercise works in (α, log β).",
            ),
        ],
        hint="Take −H⁻¹ with H the Hessian of log p(α, e^φ | y) + φ at its mode (bioassay.hessian_log_beta).",
    )


def beta_q975(answer) -> CheckResult:
    """Exercise 2: the 97.5 % quantile of β from Laplace draws made in (α, log β).

    Exact: ``exp(φ̂ + 1.96 sd(φ))`` (a quantile maps through the monotone ``exp``); Monte
    Carlo answers from :data:`MC_DRAWS` or more draws pass.

    Examples
    --------
    >>> beta_q975(17.3).passed   # the (α, β) Laplace's quantile
    False
    """
    fit = _laplace_log_beta()
    log_beta = stats.norm(fit.mode[1], fit.sd[1])

    def quantile(p):
        return np.exp(log_beta.ppf(p))

    old = _laplace_alpha_beta()
    tolerance = float(mc_tolerance(quantile, 0.975, MC_DRAWS))
    return check_close(
        answer,
        float(quantile(0.975)),
        name="beta_q975",
        rtol=0.0,
        atol=tolerance,
        mistakes=[
            (float(log_beta.ppf(0.975)), "That is a quantile of log β; exponentiate to get β's."),
            (
                float(old.mode[1] + stats.norm.ppf(0.975) * old.sd[1]),
                "That is the 97.5 % quantile of the (α, β) Laplace approximation, whose β is normal; "
                "draw in (α, log β) and transform the draws back with β = exp(log β).",
            ),
        ],
        hint=f"Draw (α, log β) from the new Laplace fit ({MC_DRAWS:,} or more draws), set β = exp(log β), "
        "and take the 97.5 % quantile of β.",
    )


# --- Exercise 3: a normal prior ----------------------------------------------------------


def _prior_mistakes(kind: str) -> list[tuple[object, str]]:
    """Modes (or covariances) from the usual misreadings of the priors."""
    sqrt10 = np.sqrt(10.0)
    attr = "mode" if kind == "mode" else "cov"
    return [
        (
            getattr(_laplace_alpha_beta(((16.0, 0.0), (0.0, 100.0))), attr),
            "You read N(0, 4) and N(10, 10) as standard deviations 4 and 10. BDA writes N(mean, variance): "
            "the prior variances are 4 and 10 (sds 2 and √10).",
        ),
        (
            getattr(_laplace_alpha_beta(((2.0, 0.0), (0.0, sqrt10))), attr),
            "You put the standard deviations (2, √10) where the covariance needs variances (4, 10).",
        ),
        (
            getattr(_laplace_alpha_beta(((4.0, 0.0), (0.0, 100.0))), attr),
            "β ~ N(10, 10) has variance 10 (sd √10 ≈ 3.16), not sd 10: BDA writes N(mean, variance).",
        ),
        (
            getattr(_laplace_alpha_beta(), attr),
            "That is the flat-prior fit: pass the prior to the gradient and Hessian "
            "(bioassay.gradient(theta, data, prior)).",
        ),
    ]


def mode_prior(answer) -> CheckResult:
    """Exercise 3: the posterior mode under α ~ N(0, 4), β ~ N(10, 10), independent; shape (2,).

    Examples
    --------
    >>> mode_prior([0.8466, 7.7488]).passed   # the flat-prior mode
    False
    """
    return check_close(
        answer,
        _laplace_alpha_beta(_PRIOR_COV).mode,
        name="mode_prior",
        names=_NAMES_ALPHA_BETA,
        mistakes=_prior_mistakes("mode"),
        hint="Use bioassay.NormalPrior(mean=[0, 10], cov=[[4, 0], [0, 10]]) in the gradient and "
        "Hessian, then Newton's method.",
    )


def cov_prior(answer) -> CheckResult:
    """Exercise 3: the Laplace covariance under the independent normal prior; shape (2, 2).

    Examples
    --------
    >>> cov_prior(None).passed is None
    True
    """
    fit = _laplace_alpha_beta(_PRIOR_COV)
    prior = bioassay.NormalPrior(mean=_PRIOR_MEAN, cov=_PRIOR_COV)
    hessian = bioassay.hessian(fit.mode, load_bioassay(), prior)
    return _check_covariance(
        answer,
        fit,
        hessian,
        name="cov_prior",
        names=_NAMES_ALPHA_BETA,
        mistakes=_prior_mistakes("cov")
        + [
            (
                np.array(_PRIOR_COV),
                "That is the prior covariance; the question asks for the posterior's Laplace covariance.",
            )
        ],
        hint="Take −H⁻¹ at the new mode, with the prior's precision in H.",
    )


def mode_correlated_prior(answer) -> CheckResult:
    """Exercise 3 (follow-up): the mode under BDA3 Exercise 3.11's prior; shape (2,).

    The prior has means (0, 10), sds 2 and 10 and correlation 0.5, so its covariance is
    ``[[4, 10], [10, 100]]``.

    Examples
    --------
    >>> mode_correlated_prior([0.7392, 7.6602]).passed   # the correlation left out
    False
    """
    cov_with_variances = 0.5 * 2.0 * np.sqrt(10.0)
    return check_close(
        answer,
        _laplace_alpha_beta(_CORRELATED_PRIOR_COV).mode,
        name="mode_correlated_prior",
        names=_NAMES_ALPHA_BETA,
        mistakes=[
            (
                _laplace_alpha_beta(((4.0, 0.0), (0.0, 100.0))).mode,
                "That is the mode without the correlation: the prior covariance's off-diagonal "
                "entry is ρ·σ_α·σ_β = 0.5 · 2 · 10 = 10.",
            ),
            (
                _laplace_alpha_beta(((4.0, 0.5), (0.5, 100.0))).mode,
                "0.5 is the correlation, not the covariance: the off-diagonal entry is ρ·σ_α·σ_β.",
            ),
            (
                _laplace_alpha_beta(((4.0, cov_with_variances), (cov_with_variances, 10.0))).mode,
                "Exercise 3.11's prior has standard deviations 2 and 10 (variances 4 and 100), "
                "not the variances 4 and 10 of the first part.",
            ),
            (_laplace_alpha_beta(_PRIOR_COV).mode, "That is the mode under the first, independent prior."),
        ],
        hint="Build the prior covariance from sds 2 and 10 and correlation 0.5.",
    )


# --- Exercise 4: the windshield normal model in (μ, log σ) -------------------------------


def mode_windshield(answer) -> CheckResult:
    """Exercise 4: the mode of p(μ, log σ | y) for the windshield data; shape (2,).

    Examples
    --------
    >>> y = load_windshieldy()
    >>> mode_windshield([y.mean(), np.log(y.std(ddof=1))]).passed   # s instead of σ̂
    False
    """
    y, fit = _windshield()
    ybar, s, sigma_hat = y.mean(), y.std(ddof=1), y.std(ddof=0)
    n_note = "σ̂² = Σ(y − ȳ)² / n divides by n: that is where the density of log σ peaks"
    return check_close(
        answer,
        fit.mode,
        name="mode_windshield",
        names=_NAMES_WINDSHIELD,
        mistakes=[
            ([ybar, np.log(s)], f"You used the sample sd s (dividing by n − 1); {n_note}."),
            ([ybar, sigma_hat], "The second entry should be log σ̂, not σ̂."),
            ([ybar, s], f"The second entry should be log σ̂, not σ; and {n_note}, not s (n − 1)."),
            ([ybar, sigma_hat**2], "The second entry should be log σ̂, not σ̂²."),
            ([ybar, np.log(sigma_hat**2)], "The second entry should be log σ̂, not log σ̂² = 2 log σ̂."),
        ],
        hint="Set the gradient of −n log σ − Σ(y − μ)² / (2σ²) in (μ, log σ) to zero.",
    )


def cov_windshield(answer) -> CheckResult:
    """Exercise 4: the Laplace covariance in (μ, log σ); shape (2, 2).

    Examples
    --------
    >>> cov_windshield([[0.2, 0.0], [0.0, 0.05]]).passed
    False
    """
    y, fit = _windshield()
    n, s2, sigma2 = y.size, y.var(ddof=1), y.var(ddof=0)
    hessian = normal_model.hessian(fit.mode, y)
    return _check_covariance(
        answer,
        fit,
        hessian,
        name="cov_windshield",
        names=_NAMES_WINDSHIELD,
        mistakes=[
            (
                np.diag([s2 / n, 1 / (2 * n)]),
                "var(μ) uses σ̂² = Σ(y − ȳ)² / n (the mode), not the sample variance s² (n − 1).",
            ),
            (
                np.diag([sigma2 / n, 1 / (2 * (n - 1))]),
                "var(log σ) at the mode is 1 / (2n), not 1 / (2(n − 1)).",
            ),
            (
                np.diag([s2 / n, 1 / (2 * (n - 1))]),
                "Both entries use n − 1; at the mode of (μ, log σ) they use n: σ̂² / n and 1 / (2n).",
            ),
            (
                np.diag([sigma2 / n, sigma2 / (2 * n)]),
                "σ̂² / (2n) is (by the delta method) the variance of σ; the exercise works in log σ.",
            ),
        ],
        hint="Invert the negative Hessian of −n log σ − Σ(y − μ)² / (2σ²) in (μ, log σ) at the mode.",
    )


def _sigma_exact_quantile(p):
    y, _ = _windshield()
    return np.sqrt(normal_model.exact_marginal_sigma2(y).ppf(p))


def _sigma_laplace_quantile(p):
    _, fit = _windshield()
    return np.exp(stats.norm.ppf(p, fit.mode[1], fit.sd[1]))


def sigma_interval_exact(answer) -> CheckResult:
    """Exercise 4: the 95 % central interval of σ from the exact factored sampler; shape (2,).

    Exact: square roots of the Inv-χ²(n − 1, s²) quantiles; Monte Carlo answers from
    :data:`MC_DRAWS` or more draws pass.

    Examples
    --------
    >>> sigma_interval_exact(None).passed is None
    True
    """
    probs = np.array([0.025, 0.975])
    _, fit = _windshield()
    return check_close(
        answer,
        _sigma_exact_quantile(probs),
        name="sigma_interval_exact",
        names=("lower end", "upper end"),
        rtol=0.0,
        atol=mc_tolerance(_sigma_exact_quantile, probs, MC_DRAWS),
        mistakes=[
            (
                _sigma_laplace_quantile(probs),
                "That is the Laplace interval; this one is from the exact sampler.",
            ),
            (_sigma_exact_quantile(probs) ** 2, "That is an interval for σ²; take square roots for σ."),
            (
                fit.mode[1] + stats.norm.ppf(probs) * fit.sd[1],
                "That is an interval for log σ, and from Laplace.",
            ),
        ],
        hint=f"Draw σ² = (n − 1) s² / X with X ~ χ²(n − 1) ({MC_DRAWS:,} or more draws), take σ = √σ², "
        "then its 2.5 % and 97.5 % quantiles.",
    )


def sigma_interval_laplace(answer) -> CheckResult:
    """Exercise 4: the 95 % central interval of σ under the Laplace fit in (μ, log σ); shape (2,).

    Exact: ``exp(log σ̂ ± 1.96 / sqrt(2n))``; Monte Carlo answers pass too.

    Examples
    --------
    >>> y = load_windshieldy()
    >>> sigma_hat, sd = y.std(), y.std() / np.sqrt(2 * y.size)   # normal in σ, not log σ
    >>> sigma_interval_laplace([sigma_hat - 1.96 * sd, sigma_hat + 1.96 * sd]).passed
    False
    """
    probs = np.array([0.025, 0.975])
    _, fit = _windshield()
    sigma_hat = np.exp(fit.mode[1])
    z = stats.norm.ppf(probs)
    return check_close(
        answer,
        _sigma_laplace_quantile(probs),
        name="sigma_interval_laplace",
        names=("lower end", "upper end"),
        rtol=0.0,
        atol=mc_tolerance(_sigma_laplace_quantile, probs, MC_DRAWS),
        mistakes=[
            (_sigma_exact_quantile(probs), "That is the exact interval; this one is from the Laplace fit."),
            (
                sigma_hat + z * sigma_hat * fit.sd[1],
                "That interval is symmetric in σ. The Laplace approximation is normal in log σ: "
                "exponentiate the endpoints of the interval for log σ.",
            ),
            (fit.mode[1] + z * fit.sd[1], "That is the interval for log σ; exponentiate its endpoints."),
        ],
        hint="The Laplace fit makes log σ normal; map its 2.5 % and 97.5 % quantiles through exp.",
    )


# --- Exercise 5: NUTS --------------------------------------------------------------------


def nuts_diagnostics(rhat, ess) -> CheckResult:
    """Exercise 5: R-hat and bulk ESS of (α, β) from the NUTS run; each shape (2,).

    Passes when every R-hat is at most 1.01 and every ESS at least 400 (Vehtari et al.
    2021's thresholds).

    Examples
    --------
    >>> nuts_diagnostics([1.0, 1.0], [900.0, 850.0])  # doctest: +NORMALIZE_WHITESPACE
    ✅ Correct: R-hat (1.000, 1.000) ≤ 1.01 and bulk ESS (900, 850) ≥ 400: the chains agree and there are
    enough effective draws.
    >>> nuts_diagnostics([1.0, 1.0], [150.0, 120.0]).passed
    False
    """
    if rhat is None and ess is None:
        return CheckResult(None, "assign your answers to `rhat_nuts` and `ess_nuts` and run the cell again.")
    if rhat is None or ess is None:
        return not_answered("rhat_nuts" if rhat is None else "ess_nuts")
    rhat = as_array(rhat, (2,), "rhat_nuts")
    if isinstance(rhat, CheckResult):
        return rhat
    ess = as_array(ess, (2,), "ess_nuts")
    if isinstance(ess, CheckResult):
        return ess
    if np.any(rhat > 10) and np.all(ess < 10):
        return wrong("`rhat_nuts` and `ess_nuts` look swapped.", "R-hat is near 1; ESS counts draws.")
    if np.any(rhat < 0.9):
        return wrong(
            f"R-hat {format_answer(rhat)} is below 0.9, which R-hat never is for real chains.",
            "Use arviz.rhat on the posterior of α and β.",
        )
    if np.any(rhat > 1.01):
        return wrong(
            f"R-hat {format_answer(rhat)} is above 1.01: the chains do not agree yet.",
            "Run more tuning and draws, and several chains (R-hat compares them).",
        )
    if np.any(ess < 400):
        return wrong(
            f"bulk ESS {format_answer(ess)} is below 400: too few effective draws for stable quantiles.",
            "Draw more: 4 chains of 1000 draws give about 1000 effective draws here.",
        )
    return correct(
        f"R-hat ({rhat[0]:.3f}, {rhat[1]:.3f}) ≤ 1.01 and bulk ESS ({ess[0]:.0f}, {ess[1]:.0f}) ≥ 400: "
        "the chains agree and there are enough effective draws."
    )


def nuts_beta_quantiles(answer, ess=None) -> CheckResult:
    """Exercise 5: the 2.5 %, 50 % and 97.5 % quantiles of β from the NUTS draws; shape (3,).

    Compared with the exact flat-prior quantiles from a fine, wide grid, within ``MC_Z``
    Monte Carlo standard errors for the effective sample size ``ess`` of β: a number, or
    the (α, β) pair ``ess_nuts`` (β's entry is used); ``None`` means 400, the smallest
    :func:`nuts_diagnostics` accepts.

    Examples
    --------
    >>> nuts_beta_quantiles([10.6, 3.4, 25.4]).passed   # not in increasing order
    False
    """
    name = "beta_quantiles_nuts"
    probs = np.array(_NUTS_PROBS)
    grid = reference_grid()
    ess = np.atleast_1d(np.asarray(400.0 if ess is None else ess, dtype=float))
    if ess.shape not in ((1,), (2,)) or not (np.isfinite(ess[-1]) and ess[-1] > 1):
        return wrong(
            f"ess = {ess.tolist()} is not a usable effective sample size.",
            "Pass the bulk ESS of β, or `ess_nuts`.",
        )
    ess = float(ess[-1])
    if answer is not None:
        values = as_array(answer, (3,), name)
        if isinstance(values, CheckResult):
            return values
        if np.any(np.diff(values) < 0):
            return wrong(
                f"`{name}` is not increasing.", "Give the 2.5 %, 50 % and 97.5 % quantiles in that order."
            )
    laplace_fit = _laplace_alpha_beta()
    return check_close(
        answer,
        grid.quantile("beta", probs),
        name=name,
        names=("2.5 %", "50 %", "97.5 %"),
        rtol=0.0,
        atol=mc_tolerance(lambda p: grid.quantile("beta", p), probs, ess),
        mistakes=[
            (
                stats.norm.ppf(probs, laplace_fit.mode[1], laplace_fit.sd[1]),
                "Those are the (α, β) Laplace quantiles; take them from the NUTS draws of β.",
            ),
            (grid.quantile("alpha", probs), "Those look like quantiles of α; the question asks for β."),
        ],
        hint="Pool the chains' draws of β (e.g. idata.posterior['beta'].values.ravel()) and take "
        "np.quantile at 0.025, 0.5 and 0.975. With a flat prior on (α, β), NUTS should match the grid.",
    )


# --- Several checks at once ---------------------------------------------------------------
