"""Self-checks for the study guide, ``notebooks/07_study_guide.ipynb``.

Use them as ``from bda_helpers.checks import study_guide as check``. Every check but
:func:`nuts_diagnostics` (which can only compare the numbers given with thresholds: it
cannot see the student's run) recomputes its reference from the data (bioassay or
windshield) with :mod:`bda_helpers`, compares the answer, and, when it is wrong,
recognises the typical mistakes (a missing log-Jacobian, a standard deviation read as a
variance, the Hessian instead of −H⁻¹, draws with β < 0, ...) and says which one it sees.
Otherwise a wrong answer is told which entries are off and in which direction, never the
reference value: the study guide should not give its answers away.

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
from ..ld50_normal import ld50_normal_cdf, ld50_normal_quantile
from . import (
    CheckReport,
    CheckResult,
    as_array,
    as_numbers,
    as_probability,
    check_close,
    correct,
    describe_miss,
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
    "HIGHEST_DOSE",
    "ld90_draws",
    "ld90_beyond_data",
    "mode_log_beta",
    "cov_log_beta",
    "beta_q975",
    "mode_prior",
    "cov_prior",
    "mode_correlated_prior",
    "mode_windshield",
    "log_sigma_marginal_peak",
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
_NUTS_PROBS = (0.05, 0.5, 0.95)


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


#: How close an array answer must be to the reference: 0.1 % of each entry's scale (see
#: :func:`_entry_scale`).
_ARRAY_RTOL = 1e-3
#: Array answers within 1 % of each entry's scale of the reference, but not within
#: :data:`_ARRAY_RTOL`, are told they are close (rounded, say) rather than given a method hint.
_ARRAY_NEAR = 1e-2


def _entry_scale(reference: np.ndarray) -> np.ndarray:
    """Each entry's scale, against which its error is measured: the entry's size for a vector,
    and sqrt(Σ_ii Σ_jj) for entry (i, j) of a covariance Σ (the variance on the diagonal, the
    product of the two sds off it, so an off-diagonal entry that is exactly 0 is still judged
    at the scale of the matrix)."""
    reference = np.asarray(reference, dtype=float)
    if reference.ndim == 2:
        diagonal = np.abs(np.diag(reference))
        return np.sqrt(np.outer(diagonal, diagonal))
    return np.abs(reference)


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
        if np.allclose(answer, candidate, rtol=0.0, atol=_ARRAY_RTOL * _entry_scale(candidate)):
            return wrong(f"`{name}` is not the Laplace covariance.", hint)
    if np.any(np.linalg.eigvalsh(0.5 * (answer + answer.T)) <= 0):
        return wrong(
            f"`{name}` is not positive definite, so it is no covariance.",
            "Take the covariance as −H⁻¹ with H the Hessian of the log density at the mode.",
        )
    return None


def _check_array(
    answer, expected, *, name: str, names, mistakes=(), hint: str = "", covariance: bool = False
) -> CheckResult:
    """:func:`~bda_helpers.checks.check_close` for an exact array answer (a mode, a covariance),
    with each entry's tolerance ``_ARRAY_RTOL`` times its scale (:func:`_entry_scale`).

    A wrong answer that matches a slip in ``mistakes`` gets that slip's hint. One within
    ``_ARRAY_NEAR`` of the scale of the right value is told it is close (it was rounded, or
    computed imprecisely) rather than given the method hint; one within ``_ARRAY_NEAR`` of
    a slip (a rounded slip) gets the slip's hint, or each hint when it is that near to
    several slips. The slips lie further than twice ``_ARRAY_NEAR`` from the right value, so
    no answer is near both.
    """
    expected = np.asarray(expected, dtype=float)
    values = as_array(answer, expected.shape, name)
    if isinstance(values, CheckResult):
        return values
    atol = _ARRAY_RTOL * _entry_scale(expected)
    result = check_close(
        values, expected, name=name, names=names, rtol=0.0, atol=atol, mistakes=mistakes, hint=hint
    )
    if result.passed or any(np.allclose(values, mistaken, rtol=0.0, atol=atol) for mistaken, _ in mistakes):
        return result
    near_slips = [
        mistake_hint
        for mistaken, mistake_hint in mistakes
        if np.allclose(values, mistaken, rtol=0.0, atol=_ARRAY_NEAR * _entry_scale(mistaken))
    ]
    if len(near_slips) == 1:
        hint = near_slips[0]
    elif near_slips:
        hint = f"Your answer is near {len(near_slips)} slips at once: " + " ".join(
            f"({number}) {text}" for number, text in enumerate(near_slips, start=1)
        )
    elif np.allclose(values, expected, rtol=0.0, atol=_ARRAY_NEAR * _entry_scale(expected)):
        scale = (
            "0.1 % of each variance, and off the diagonal 0.1 % of the product of the two sds"
            if covariance
            else "0.1 % of each entry"
        )
        hint = (
            f"Close, but not within the check's tolerance ({scale}). If you typed rounded numbers, "
            "assign the values your code computes instead (at least 4 significant digits); if your "
            "code computed these, make it more precise (a tighter tolerance for the optimiser, say)."
        )
    return wrong(describe_miss(name, values, expected, rtol=0.0, atol=atol, names=names), hint)


def _check_covariance(
    answer, fit: LaplaceApproximation, hessian: np.ndarray, *, name: str, names, mistakes=(), hint=""
) -> CheckResult:
    values = as_array(answer, (2, 2), name)
    if isinstance(values, CheckResult):
        return values
    if not np.allclose(values, fit.cov, rtol=0.0, atol=_ARRAY_RTOL * _entry_scale(fit.cov)):
        found = _covariance_mistakes(values, hessian, name)
        if found is not None:
            return found
    return _check_array(
        values, fit.cov, name=name, names=names, mistakes=mistakes, hint=hint, covariance=True
    )


def _check_with_slips(
    answer, expected, *, name: str, atol, names=(), slips=(), hint: str = ""
) -> CheckResult:
    """Like :func:`~bda_helpers.checks.check_close` for a Monte Carlo answer, but each slip has
    its own tolerance.

    ``slips`` holds ``(value, atol, hint)`` triples: the answer a student who made that slip
    would give, that answer's own Monte Carlo tolerance (on the slip's scale: a quantile of
    log β scatters far less than one of β), and the hint. A slip is named only when every
    entry of the answer lies within the slip's tolerance of it *and* the answer is closer to
    it than to the right value. When several slips match (their answers can lie within Monte
    Carlo error of each other), the message says that Monte Carlo error cannot tell them apart
    and gives each hint, the nearest in units of its tolerance first. Any other wrong answer
    gets ``hint``.
    """
    expected = np.asarray(expected, dtype=float)
    values = as_array(answer, expected.shape, name)
    if isinstance(values, CheckResult):
        return values
    atol = np.broadcast_to(np.asarray(atol, dtype=float), expected.shape)
    if np.all(np.abs(values - expected) <= atol):
        return correct(f"{name} = {format_answer(values)}.")
    distance_right = np.linalg.norm(values - expected)
    found = []
    for value, slip_atol, slip_hint in slips:
        offset = np.abs(values - np.asarray(value, dtype=float))
        scaled = float(np.max(offset / np.asarray(slip_atol, dtype=float)))
        if scaled <= 1.0 and np.linalg.norm(offset) < distance_right:
            found.append((scaled, slip_hint))
    if len(found) == 1:
        hint = found[0][1]
    elif found:  # two slips can give answers within Monte Carlo error of each other: name each
        hints = [slip_hint for _, slip_hint in sorted(found, key=lambda pair: pair[0])]
        hint = (
            f"Your answer fits {len(hints)} slips, which Monte Carlo error cannot tell apart here: "
            + " ".join(f"({number}) {text}" for number, text in enumerate(hints, start=1))
        )
    return wrong(describe_miss(name, values, expected, rtol=0.0, atol=atol, names=names), hint)


# --- Exercise 1: LD90 from Laplace draws -------------------------------------------------

#: The highest log dose of the bioassay (g/ml), the edge of the data in exercise 1.
HIGHEST_DOSE = 0.73
_LOGIT_90 = float(np.log(0.9 / 0.1))


def _lethal_dose_quantile(level: float, *, beta_positive: bool = True, sign: float = 1.0):
    """The exact quantile function of sign · (level − α)/β under the flat-prior (α, β) Laplace
    normal: (level − α)/β is the LD50 −α'/β of α' = α − level."""
    fit = _laplace_alpha_beta()
    mean = fit.mode - np.array([level, 0.0])

    def quantile(p):
        p = np.asarray(p, dtype=float)
        if sign > 0:
            return ld50_normal_quantile(p, mean, fit.cov, beta_positive=beta_positive)
        return -ld50_normal_quantile(1 - p, mean, fit.cov, beta_positive=beta_positive)

    return quantile


def ld90_draws(answer) -> CheckResult:
    """Exercise 1: the LD90, (logit 0.9 − α)/β, of Laplace draws with β > 0 (a 1-D array).

    The draws' 2.5 %, 25 %, 50 %, 75 % and 97.5 % quantiles are compared with the exact
    quantiles under the flat-prior Laplace normal conditioned on β > 0 (through
    :func:`bda_helpers.ld50_normal.ld50_normal_quantile`), each within ``MC_Z`` Monte Carlo
    standard errors for the number of draws given (at least 1000). The slips recognised,
    each within its own Monte Carlo error: the LD50, 0.9 in place of logit(0.9), the LD10,
    the opposite sign, and all draws (β < 0 included).

    Examples
    --------
    >>> ld90_draws(np.array([0.1, np.inf])).passed
    False
    """
    name = "ld90_draws"
    draws = as_numbers(answer, name, expected="a 1-D array of numbers")
    if isinstance(draws, CheckResult):
        return draws
    if draws.ndim != 1:
        return wrong(
            f"`{name}` has shape {draws.shape}, but it should be a 1-D array of LD90 values.",
            "Compute one LD90 per draw, e.g. from the columns of an (n, 2) array of draws.",
        )
    if not np.isfinite(draws).all():
        return wrong(
            f"`{name}` contains {int(np.count_nonzero(~np.isfinite(draws)))} NaN or infinite values.",
            "Those come from draws with β = 0 (or a 0/0): a lethal dose is meaningful only for β > 0, "
            "so keep the draws with β > 0 before dividing.",
        )
    if draws.size < 1000:
        return wrong(f"`{name}` has only {draws.size} values.", "Use at least 1000 draws with β > 0.")
    probs = np.array(_LD50_PROBS)
    sample = np.quantile(draws, probs)

    def matches(quantile):
        return bool(np.all(np.abs(sample - quantile(probs)) <= mc_tolerance(quantile, probs, draws.size)))

    right = _lethal_dose_quantile(_LOGIT_90)
    if matches(right):
        low, high = np.quantile(draws, [0.025, 0.975])
        return correct(f"{draws.size} LD90 draws with 95 % interval [{low:.3f}, {high:.3f}].")
    for quantile, message, hint in (
        (
            _lethal_dose_quantile(_LOGIT_90, beta_positive=False),
            "matches the LD90 over all Laplace draws, including those with β < 0.",
            "A lethal dose is meaningful only for β > 0 (a dose that kills more as it grows); "
            "keep the draws with β > 0 first.",
        ),
        (
            _lethal_dose_quantile(0.0),
            "matches the LD50 of the draws, not their LD90.",
            "At the LD90 the probability of death is 0.9, so α + β·x equals logit(0.9), not 0.",
        ),
        (
            _lethal_dose_quantile(0.9),
            "matches (0.9 − α)/β.",
            "α + β·x is on the log-odds scale: set it to logit(0.9) = log(0.9 / 0.1), not to 0.9.",
        ),
        (
            _lethal_dose_quantile(-_LOGIT_90),
            "matches the LD10, the dose that kills 10 %.",
            "logit(0.9) = log(0.9 / 0.1) is positive; check the sign of the log-odds.",
        ),
        (
            _lethal_dose_quantile(_LOGIT_90, sign=-1.0),
            "has the wrong sign.",
            "Solve α + β·x = logit(0.9) for x.",
        ),
    ):
        if matches(quantile):
            return wrong(f"`{name}` {message}", hint)
    off = [
        f"{p:.1%}"
        for p, s, c, t in zip(probs, sample, right(probs), mc_tolerance(right, probs, draws.size))
        if abs(s - c) > t
    ]
    return wrong(
        f"the quantiles of `{name}` at {', '.join(off)} are further from the Laplace LD90 "
        "distribution than Monte Carlo error explains.",
        "Draw (α, β) from N(mode, −H⁻¹) of the flat-prior (α, β) fit, keep β > 0, then solve "
        "α + β·x = logit(0.9) for x in each draw.",
    )


def _share_beyond(level: float) -> float:
    """P((level − α)/β > HIGHEST_DOSE | β > 0) under the flat-prior Laplace normal."""
    fit = _laplace_alpha_beta()
    return float(1 - ld50_normal_cdf(HIGHEST_DOSE, fit.mode - np.array([level, 0.0]), fit.cov))


#: How far a share may be from the share of the student's own draws: rounding to 3 decimals.
_SHARE_ROUNDING = 5e-4
#: How near a share must be to the draws' own share (or the exact Laplace share) to be told it is
#: close but not computed from the draws: a printed percentage rounded to 2 decimals, say.
_SHARE_NEAR = 5e-3


def _ld90_draws_for_share(draws) -> np.ndarray | CheckResult:
    """The student's ``ld90_draws`` as a 1-D array of finite numbers, or why not."""
    if draws is None:
        return CheckResult(None, "assign `ld90_draws` (part 1) too: the share is checked against your draws.")
    sample = as_numbers(draws, "ld90_draws", expected="a 1-D array of numbers")
    if isinstance(sample, CheckResult) or sample.ndim != 1 or not (sample.size and np.isfinite(sample).all()):
        return wrong(
            "the share cannot be checked: `ld90_draws` is not a 1-D array of finite numbers.",
            "Fix `ld90_draws` first (see its check); the share is a share of those draws.",
        )
    return sample


def ld90_beyond_data(answer, draws=None) -> CheckResult:
    """Exercise 1: the share of the student's LD90 draws (β > 0) above the highest dose tested.

    The question asks for a share of the student's own ``ld90_draws``, passed as ``draws``, so
    the answer must equal ``np.mean(draws > HIGHEST_DOSE)`` to rounding (±0.0005), and that
    share must lie within ``MC_Z`` Monte Carlo standard errors (binomial, for ``draws.size``
    draws) of the exact share under the Laplace normal conditioned on β > 0 (through
    :func:`bda_helpers.ld50_normal.ld50_normal_cdf`).

    Checking against the draws themselves tells apart a slip that Monte Carlo error alone
    would hide: dividing the count by all the draws, β < 0 included, instead of by the draws
    kept. That answer is the draws' share times (draws kept)/(all draws), a ratio within
    Monte Carlo error of the Laplace P(β > 0), and is recognised as such. An answer within
    ±0.005 of the draws' own share or of the exact Laplace share, but not the draws' share to
    3 decimals (a printed percentage typed in, or the exact share), is asked to come from the
    draws, with at least 3 decimals. Also recognised: the share at or below the dose, and,
    each within its own Monte Carlo error, the grid's (exact posterior's) share and the
    LD50's share; those two lie within Monte Carlo error of each other, and an answer that
    fits both is told so, with both hints.

    Examples
    --------
    >>> ld90_beyond_data(11.0, np.zeros(1000)).passed   # a percentage
    False
    >>> ld90_beyond_data(0.1).passed is None   # the draws are needed too
    True
    """
    name = "ld90_beyond_data"
    value = as_probability(answer, name, what="share")
    if isinstance(value, CheckResult):
        return value
    sample = _ld90_draws_for_share(draws)
    if isinstance(sample, CheckResult):
        return sample
    own = float(np.mean(sample > HIGHEST_DOSE))
    fit = _laplace_alpha_beta()
    p_positive = float(stats.norm.sf(0.0, fit.mode[1], fit.sd[1]))  # Laplace P(β > 0)

    def tolerance(share, n):
        return MC_Z * np.sqrt(share * (1 - share) / n)

    share = _share_beyond(_LOGIT_90)
    if abs(value - own) <= _SHARE_ROUNDING:
        if abs(own - share) <= tolerance(share, sample.size):
            return correct(f"{name} = {format_answer(value)}, the share of your {sample.size} LD90 draws.")
        return wrong(
            f"`{name}` is the share of your `ld90_draws` above {HIGHEST_DOSE}, but that share is further "
            "from the Laplace LD90's than Monte Carlo error explains.",
            "Fix `ld90_draws` first (see its check); the share follows from them.",
        )
    all_draws = sample.size / p_positive  # about how many draws the student made in all
    if 0 < value < own and abs(value / own - p_positive) <= (
        tolerance(p_positive, all_draws) + _SHARE_ROUNDING / own
    ):
        return wrong(
            describe_miss(name, value, own),
            "It looks like the count divided by all the draws, β < 0 included. The question asks for a "
            "share of your `ld90_draws`: divide by the number of draws kept (β > 0), len(ld90_draws).",
        )
    if min(abs(value - own), abs(value - share)) <= _SHARE_NEAR:
        return wrong(
            describe_miss(name, value, own),
            f"Close, but not the share of your own `ld90_draws` to 3 decimals. Compute it from those "
            f"draws (count the values above {HIGHEST_DOSE} and divide by len(ld90_draws)) rather than "
            "typing a rounded printout or using an exact formula, and keep at least 3 decimals.",
        )
    grid = reference_grid()
    alpha, beta = np.meshgrid(*grid.axes, indexing="ij")
    positive = beta > 0
    grid_share = float(
        grid.mass[positive & (_LOGIT_90 - alpha > HIGHEST_DOSE * np.where(positive, beta, 1.0))].sum()
    )
    ld50_share = _share_beyond(0.0)
    return _check_with_slips(
        value,
        own,
        name=name,
        atol=_SHARE_ROUNDING,
        slips=[
            (
                1 - own,
                _SHARE_ROUNDING,
                "That is the share at or below the highest dose; the question asks for the share above it.",
            ),
            (
                grid_share,
                tolerance(grid_share, MC_DRAWS),
                "That matches the exact (grid) posterior's share; this part asks for the Laplace draws "
                "(part 3 compares the two).",
            ),
            (
                ld50_share,
                tolerance(ld50_share, sample.size),
                "That matches the share of the Laplace LD50s (−α/β) beyond the dose, not the LD90s'.",
            ),
        ],
        hint=f"Count your `ld90_draws` above {HIGHEST_DOSE} and divide by how many draws `ld90_draws` holds.",
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
    return _check_array(
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
        hint="Write log p(α, e^φ | y) + φ as a function of θ = (α, φ), from the (α, β) log posterior "
        "evaluated at β = e^φ, and maximise it over (α, φ). Newton's method needs its gradient (by the "
        "chain rule, ∂/∂φ [log p(α, e^φ | y) + φ] = β·∂ log p/∂β + 1); from (0, 0) the Hessian is not "
        "negative definite, so let the log density guard Newton's steps.",
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
                "This is the covariance at the mode found without the log-Jacobian (or the (α, β) fit "
                "carried over to log β by the delta method, J Σ Jᵀ, which gives the same thing). The "
                "density of (α, log β) has its own mode and curvature: add the log-Jacobian of the "
                "log β transform (+ log β) to the log posterior, then find its mode and Hessian.",
            ),
            (
                _laplace_alpha_beta().cov,
                "That is the covariance in (α, β); the exercise works in (α, log β).",
            ),
        ],
        hint="Take −H⁻¹ with H the Hessian of your log p(α, e^φ | y) + φ at its mode, in (α, φ) "
        "(by the chain rule, or by finite differences).",
    )


def beta_q975(answer) -> CheckResult:
    """Exercise 2: the 97.5 % quantile of β from Laplace draws made in (α, log β).

    Exact: ``exp(φ̂ + 1.96 sd(φ))`` (a quantile maps through the monotone ``exp``); Monte
    Carlo answers from :data:`MC_DRAWS` or more draws pass. Four slips are recognised, each
    within its own Monte Carlo tolerance (see :func:`_check_with_slips`): the quantile of
    log β, the (α, β) Laplace fit's, a log β fit without the log-Jacobian (which the (α, β)
    fit carried over by the delta method equals), and the grid's.

    Examples
    --------
    >>> beta_q975(17.3).passed   # the (α, β) Laplace's quantile
    False
    """
    probs = 0.975
    fit = _laplace_log_beta()
    no_jacobian = _laplace_log_beta(jacobian=False)
    old = _laplace_alpha_beta()
    grid = reference_grid()

    def normal_quantile(approx, index, log=False):
        ppf = partial(stats.norm.ppf, loc=approx.mode[index], scale=approx.sd[index])
        return (lambda p: np.exp(ppf(p))) if log else ppf

    def exact_and_tolerance(quantile):
        return float(quantile(probs)), float(mc_tolerance(quantile, probs, MC_DRAWS))

    quantile = normal_quantile(fit, 1, log=True)
    slips = [
        (
            *exact_and_tolerance(normal_quantile(fit, 1)),
            "That is a quantile of log β; exponentiate it to get β's (exp is increasing, so "
            "quantiles map through it).",
        ),
        (
            *exact_and_tolerance(normal_quantile(old, 1)),
            "That is the 97.5 % quantile of the (α, β) Laplace approximation, whose β is normal; "
            "draw in (α, log β) and transform the draws back with β = exp(log β).",
        ),
        (
            *exact_and_tolerance(normal_quantile(no_jacobian, 1, log=True)),
            "That matches a fit in (α, log β) made without the log-Jacobian (or the (α, β) fit "
            "carried over to log β by the delta method, which gives the same thing): add log β to the "
            "log posterior before finding the mode and the Hessian.",
        ),
        (
            *exact_and_tolerance(lambda p: grid.quantile("beta", p)),
            "That matches the exact (grid) posterior's quantile; the question asks for the Laplace "
            "approximation in (α, log β), which part 3 then compares with the grid.",
        ),
    ]
    expected, tolerance = exact_and_tolerance(quantile)
    return _check_with_slips(
        answer,
        expected,
        name="beta_q975",
        atol=tolerance,
        slips=slips,
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
    return _check_array(
        answer,
        _laplace_alpha_beta(_PRIOR_COV).mode,
        name="mode_prior",
        names=_NAMES_ALPHA_BETA,
        mistakes=_prior_mistakes("mode"),
        hint="Build the prior covariance from the prior's variances — BDA writes N(mean, variance) — "
        "add the prior to the log posterior's gradient and Hessian, then run Newton's method.",
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

    The prior has means (0, 10), sds 2 and 10 and correlation 0.5; the check builds its
    covariance from those and recognises the usual slips in doing so (the correlation left
    out, the correlation used as the covariance, the first part's variances on the diagonal).

    Examples
    --------
    >>> mode_correlated_prior([0.7392, 7.6602]).passed   # the correlation left out
    False
    """
    cov_with_variances = 0.5 * 2.0 * np.sqrt(10.0)
    return _check_array(
        answer,
        _laplace_alpha_beta(_CORRELATED_PRIOR_COV).mode,
        name="mode_correlated_prior",
        names=_NAMES_ALPHA_BETA,
        mistakes=[
            (
                _laplace_alpha_beta(((4.0, 0.0), (0.0, 100.0))).mode,
                "That is the mode without the correlation: the prior covariance's off-diagonal "
                "entry is ρ·σ_α·σ_β, not 0.",
            ),
            (
                _laplace_alpha_beta(((4.0, 0.5), (0.5, 100.0))).mode,
                "0.5 is the correlation, not the covariance: the off-diagonal entry is ρ·σ_α·σ_β.",
            ),
            (
                _laplace_alpha_beta(((4.0, cov_with_variances), (cov_with_variances, 10.0))).mode,
                "Exercise 3.11's prior has standard deviations 2 and 10: the covariance's diagonal "
                "holds their squares, not the variances of the first part.",
            ),
            (_laplace_alpha_beta(_PRIOR_COV).mode, "That is the mode under the first, independent prior."),
        ],
        hint="Build the prior covariance from sds 2 and 10 and correlation 0.5.",
    )


# --- Exercise 4: the windshield normal model in (μ, log σ) -------------------------------


def mode_windshield(answer) -> CheckResult:
    """Exercise 4: the mode of the joint density p(μ, log σ | y) for the windshield data; shape (2,).

    Examples
    --------
    >>> mode_windshield([15.0, 0.0]).passed
    False
    """
    y, fit = _windshield()
    ybar, s, sigma_hat = y.mean(), y.std(ddof=1), np.exp(fit.mode[1])
    joint = (
        "the joint mode is where the gradient of the log density in (μ, log σ) vanishes: solve that "
        "for σ rather than assuming the sample sd"
    )
    return _check_array(
        answer,
        fit.mode,
        name="mode_windshield",
        names=_NAMES_WINDSHIELD,
        mistakes=[
            (
                [ybar, np.log(s)],
                f"You used the sample sd s (dividing by n − 1); {joint}.",
            ),
            ([ybar, sigma_hat], "The second entry should be the log of σ at the mode, not σ itself."),
            ([ybar, s], f"The second entry should be log σ, not σ; and {joint}."),
            ([ybar, sigma_hat**2], "The second entry should be the log of σ at the mode, not σ²."),
            ([ybar, np.log(sigma_hat**2)], "The second entry should be log σ, not log σ² = 2 log σ."),
        ],
        hint="Set the gradient of −n log σ − Σ(y − μ)² / (2σ²) in (μ, log σ) to zero.",
    )


#: How far an answer may be from the peak of log σ's marginal density: the highest point of a grid
#: of step 0.01 is within 0.005 of the peak (a hair more, for the density's skew), and passes.
_PEAK_TOLERANCE = 6e-3
#: Answers a little further off are told they are near the peak and asked for more precision.
_PEAK_NEAR = 1.5e-2


def log_sigma_marginal_peak(answer) -> CheckResult:
    """Exercise 4: where the marginal posterior density of log σ peaks (μ integrated out); a number.

    The check computes the peak in closed form (μ integrated out analytically) and accepts
    answers within ±0.006 of it, so a peak read off a grid in log σ of step 0.01 or finer
    passes. An answer a little further off (up to ±0.015) is told it is near the
    peak and asked for more precision. Recognised slips: the log σ coordinate of the joint
    mode of (μ, log σ), the peak of a density on another scale (σ²), an answer on the σ scale,
    and log σ² in place of log σ.

    Examples
    --------
    >>> log_sigma_marginal_peak(1.0).passed
    False
    """
    name = "log_sigma_marginal_peak"
    value = as_array(answer, (), name)
    if isinstance(value, CheckResult):
        return value
    y, fit = _windshield()
    n, s = y.size, y.std(ddof=1)
    peak = np.log(s)  # the marginal p(log σ | y) ∝ σ^−(n−1) exp(−(n − 1) s² / (2σ²)) peaks at log s
    if _PEAK_TOLERANCE < abs(value - peak) <= _PEAK_NEAR:
        return wrong(
            describe_miss(name, value, peak),
            "That is near the peak of the marginal density of log σ but not on it: locate it more "
            "precisely (a finer grid in log σ, or set the derivative of the log marginal density to "
            "zero in closed form).",
        )
    sigma2_mode = (n - 1) * s**2 / (n + 1)  # the mode of Inv-χ²(n − 1, s²)
    return check_close(
        value,
        peak,
        name=name,
        rtol=0.0,
        atol=_PEAK_TOLERANCE,
        mistakes=[
            (
                fit.mode[1],
                "That is the log σ coordinate of the *joint* mode of (μ, log σ), not the peak of the "
                "*marginal* density of log σ. Integrate μ out first: what does the normal integral over "
                "μ contribute, as a function of σ? And if you located the peak of a density of σ "
                "rather than of log σ: a peak moves under a change of variable (the density of log σ "
                "carries the Jacobian dσ/d log σ).",
            ),
            (
                0.5 * np.log(sigma2_mode),
                "That is the log of the peak of σ²'s density, Inv-χ²(n − 1, s²). A density's peak "
                "moves when the variable changes: the density of log σ is that of σ² times "
                "|dσ²/d log σ| = 2σ².",
            ),
            (s, "That is on the σ scale; the question asks where the density of log σ peaks, in log σ."),
            (2 * np.log(s), "That is a value of log σ², twice log σ; give it in log σ."),
        ],
        hint="Integrate μ out of p(μ, log σ | y) (a normal integral in μ), then set the derivative "
        "of the log of what is left, in log σ, to zero.",
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
    at_the_mode = (
        "The Laplace covariance is −H⁻¹ with H the Hessian of this log density at its joint mode, "
        "the point where its gradient in (μ, log σ) vanishes"
    )
    return _check_covariance(
        answer,
        fit,
        hessian,
        name="cov_windshield",
        names=_NAMES_WINDSHIELD,
        mistakes=[
            (
                np.diag([s2 / n, 1 / (2 * n)]),
                f"{at_the_mode}; use the σ of that mode (part 1) in H, not the sample sd s.",
            ),
            (
                np.diag([sigma2 / n, 1 / (2 * (n - 1))]),
                "Where did the n − 1 in var(log σ) come from? Differentiate the log density twice "
                "in log σ and evaluate it at the joint mode you found in part 1.",
            ),
            (
                np.diag([s2 / n, 1 / (2 * (n - 1))]),
                f"Both entries carry the n − 1 of the sample variance. {at_the_mode}.",
            ),
            (
                np.diag([sigma2 / n, sigma2 / (2 * n)]),
                "The log σ entry looks like a variance of σ itself (by the delta method); the exercise "
                "works in log σ, so differentiate twice in log σ, not in σ.",
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

    def log_sigma_laplace(p):
        return stats.norm.ppf(p, fit.mode[1], fit.sd[1])

    def sigma2_exact(p):
        return _sigma_exact_quantile(p) ** 2

    return _check_with_slips(
        answer,
        _sigma_exact_quantile(probs),
        name="sigma_interval_exact",
        names=("lower end", "upper end"),
        atol=mc_tolerance(_sigma_exact_quantile, probs, MC_DRAWS),
        slips=[
            (
                _sigma_laplace_quantile(probs),
                mc_tolerance(_sigma_laplace_quantile, probs, MC_DRAWS),
                "That is the Laplace interval; this one is from the exact sampler.",
            ),
            (
                sigma2_exact(probs),
                mc_tolerance(sigma2_exact, probs, MC_DRAWS),
                "That is an interval for σ²; take square roots for σ.",
            ),
            (
                log_sigma_laplace(probs),
                mc_tolerance(log_sigma_laplace, probs, MC_DRAWS),
                "That is an interval for log σ, and from Laplace.",
            ),
        ],
        hint=f"Draw σ² = (n − 1) s² / X with X ~ χ²(n − 1) ({MC_DRAWS:,} or more draws), take σ = √σ², "
        "then its 2.5 % and 97.5 % quantiles.",
    )


def sigma_interval_laplace(answer) -> CheckResult:
    """Exercise 4: the 95 % central interval of σ under the Laplace fit in (μ, log σ); shape (2,).

    Compared with the 2.5 % and 97.5 % quantiles of the Laplace normal in log σ mapped through
    exp, within the Monte Carlo error of :data:`MC_DRAWS` draws (so the interval computed in
    closed form passes, and so do Monte Carlo answers). Recognised slips: the exact
    posterior's interval, an interval symmetric in σ (the delta method's normal in σ), and
    the interval of log σ itself.

    Examples
    --------
    >>> sigma_interval_laplace([0.5, 5.0]).passed
    False
    """
    probs = np.array([0.025, 0.975])
    _, fit = _windshield()
    sigma_hat = np.exp(fit.mode[1])

    def log_sigma_laplace(p):
        return stats.norm.ppf(p, fit.mode[1], fit.sd[1])

    def sigma_normal(p):  # a normal in σ with the delta method's sd, σ̂ · sd(log σ)
        return stats.norm.ppf(p, sigma_hat, sigma_hat * fit.sd[1])

    return _check_with_slips(
        answer,
        _sigma_laplace_quantile(probs),
        name="sigma_interval_laplace",
        names=("lower end", "upper end"),
        atol=mc_tolerance(_sigma_laplace_quantile, probs, MC_DRAWS),
        slips=[
            (
                _sigma_exact_quantile(probs),
                mc_tolerance(_sigma_exact_quantile, probs, MC_DRAWS),
                "That is the exact interval; this one is from the Laplace fit.",
            ),
            (
                sigma_normal(probs),
                mc_tolerance(sigma_normal, probs, MC_DRAWS),
                "That interval is symmetric in σ. The Laplace approximation is normal in log σ: "
                "exponentiate the endpoints of the interval for log σ.",
            ),
            (
                log_sigma_laplace(probs),
                mc_tolerance(log_sigma_laplace, probs, MC_DRAWS),
                "That is the interval for log σ; exponentiate its endpoints.",
            ),
        ],
        hint="The Laplace fit makes log σ normal; map its 2.5 % and 97.5 % quantiles through exp.",
    )


# --- Exercise 5: NUTS --------------------------------------------------------------------

#: An ESS this small, for every parameter, of chains whose R-hat passes, is a relative ESS
#: (ESS / number of draws, ``arviz.ess(..., relative=True)``), which can exceed 1 a little.
_RELATIVE_ESS_MAX = 4.0


def nuts_diagnostics(rhat, bulk_ess, tail_ess) -> CheckResult:
    """Exercise 5: R-hat, bulk ESS and tail ESS of (α, β) from the NUTS run; each shape (2,).

    Checks the numbers given against Vehtari et al. (2021)'s thresholds: every R-hat at most
    1.01 and every ESS, bulk and tail, at least 400. It cannot see the run, so it does not
    verify that the numbers came from it; and passing thresholds is necessary, not
    sufficient: chains can miss part of a posterior together. (The ESS also sets the
    tolerance of :func:`nuts_beta_quantiles`.) Recognised slips: R-hat swapped with the bulk
    or the tail ESS, and the relative ESS (ESS / number of draws) given for the ESS.

    Examples
    --------
    >>> nuts_diagnostics([1.0, 1.0], [900.0, 850.0], [1100.0, 950.0])  # doctest: +NORMALIZE_WHITESPACE
    ✅ Correct: R-hat (1.000, 1.000) ≤ 1.01, bulk ESS (900, 850) and tail ESS (1100, 950) ≥ 400: these
    values pass the usual thresholds, so neither diagnostic flags a problem.
    >>> nuts_diagnostics([1.0, 1.0], [150.0, 120.0], [900.0, 900.0]).passed
    False
    """
    names = {"rhat_nuts": rhat, "ess_nuts": bulk_ess, "tail_ess_nuts": tail_ess}
    missing = [f"`{key}`" for key, value in names.items() if value is None]
    if len(missing) == len(names):
        return CheckResult(
            None, "assign your answers to `rhat_nuts`, `ess_nuts` and `tail_ess_nuts` and run the cell again."
        )
    if missing:
        return CheckResult(None, f"assign your answer to {' and '.join(missing)} and run the cell again.")
    arrays = {}
    for key, value in names.items():
        arrays[key] = as_array(value, (2,), key)
        if isinstance(arrays[key], CheckResult):
            return arrays[key]
    rhat, bulk_ess, tail_ess = arrays.values()
    if np.any(rhat > 10):
        swapped = [
            key for key, ess in (("ess_nuts", bulk_ess), ("tail_ess_nuts", tail_ess)) if np.all(ess < 10)
        ]
        if swapped:
            return wrong(
                f"`rhat_nuts` and `{swapped[0]}` look swapped.", "R-hat is near 1; an ESS counts draws."
            )
        return wrong(
            f"`rhat_nuts` = {format_answer(rhat)} looks like an effective sample size, not R-hat.",
            "R-hat compares the chains and is near 1 when they agree; use arviz.rhat on the posterior "
            "of α and β.",
        )
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
    for kind, key, ess, use in (
        ("bulk", "ess_nuts", bulk_ess, "the centre of the distribution (e.g. the median)"),
        ("tail", "tail_ess_nuts", tail_ess, "the 5 % and 95 % quantiles"),
    ):
        if np.all(ess <= _RELATIVE_ESS_MAX):
            return wrong(
                f"{kind} ESS {format_answer(ess)} looks like a relative ESS, a fraction of the draws.",
                f"`{key}` asks for the effective sample size itself, in draws: call arviz.ess without "
                "relative=True.",
            )
        if np.any(ess < 400):
            return wrong(
                f"{kind} ESS {format_answer(ess)} is below 400: too few effective draws for {use}.",
                "Draw more (more draws per chain, or more chains).",
            )
    return correct(
        f"R-hat ({rhat[0]:.3f}, {rhat[1]:.3f}) ≤ 1.01, bulk ESS ({bulk_ess[0]:.0f}, {bulk_ess[1]:.0f}) "
        f"and tail ESS ({tail_ess[0]:.0f}, {tail_ess[1]:.0f}) ≥ 400: these values pass the usual "
        "thresholds, so neither diagnostic flags a problem."
    )


def _beta_ess(ess, name: str) -> float | CheckResult:
    """β's effective sample size from a number or the (α, β) pair, or why it is unusable."""
    values = np.atleast_1d(np.asarray(ess, dtype=float))
    if values.shape not in ((1,), (2,)) or not (np.isfinite(values[-1]) and values[-1] > 1):
        return wrong(
            f"{name} = {values.tolist()} is not a usable effective sample size.",
            f"Pass β's {name.replace('_', ' ')} from ArviZ, or the (α, β) pair.",
        )
    return float(values[-1])


def nuts_beta_quantiles(answer, ess=None, tail_ess=None) -> CheckResult:
    """Exercise 5: the 5 %, 50 % and 95 % quantiles of β from the NUTS draws; shape (3,).

    Compared with the exact flat-prior quantiles from a fine, wide grid, within ``MC_Z``
    Monte Carlo standard errors of sample quantiles from as many independent draws as the
    effective sample size that fits each quantile: the bulk ESS ``ess`` for the median, the
    tail ESS ``tail_ess`` for the 5 % and 95 % quantiles (ArviZ's tail ESS is the smaller of
    the ESS of the 5 % and 95 % quantiles). Each is a number or the (α, β) pair of the
    exercise, whose β entry is used. Without them the tolerance is unknown, and the answer
    is not graded yet.

    Examples
    --------
    >>> nuts_beta_quantiles([10.6, 4.2, 22.4], ess=2000, tail_ess=2500).passed   # not increasing
    False
    """
    name = "beta_quantiles_nuts"
    if answer is None:
        return not_answered(name)
    if ess is None or tail_ess is None:
        return CheckResult(
            None,
            "assign `ess_nuts` and `tail_ess_nuts` too: the Monte Carlo tolerance of the quantiles "
            "comes from them.",
        )
    bulk, tail = _beta_ess(ess, "bulk_ess"), _beta_ess(tail_ess, "tail_ess")
    for value in (bulk, tail):
        if isinstance(value, CheckResult):
            return value
    values = as_array(answer, (3,), name)
    if isinstance(values, CheckResult):
        return values
    if np.any(np.diff(values) < 0):
        return wrong(f"`{name}` is not increasing.", "Give the 5 %, 50 % and 95 % quantiles in that order.")
    probs = np.array(_NUTS_PROBS)
    grid = reference_grid()
    n_effective = np.array([tail, bulk, tail])
    laplace_fit = _laplace_alpha_beta()

    def laplace_beta(p):
        return stats.norm.ppf(p, laplace_fit.mode[1], laplace_fit.sd[1])

    def grid_quantile(parameter):
        return partial(grid.quantile, parameter)

    def tolerance(quantile, p, n):
        return np.array([mc_tolerance(quantile, p_i, n_i) for p_i, n_i in zip(p, n)])

    wide = np.array([0.025, 0.5, 0.975])
    return _check_with_slips(
        answer,
        grid.quantile("beta", probs),
        name=name,
        names=("5 %", "50 %", "95 %"),
        atol=tolerance(grid_quantile("beta"), probs, n_effective),
        slips=[
            (
                laplace_beta(probs),
                tolerance(laplace_beta, probs, np.minimum(n_effective, MC_DRAWS)),
                "Those are the (α, β) Laplace quantiles; take them from the NUTS draws of β.",
            ),
            (
                grid.quantile("alpha", probs),
                tolerance(grid_quantile("alpha"), probs, n_effective),
                "Those look like quantiles of α; the question asks for β.",
            ),
            (
                grid.quantile("beta", wide),
                tolerance(grid_quantile("beta"), wide, n_effective),
                "Those look like the 2.5 %, 50 % and 97.5 % quantiles; the question asks for the 5 %, "
                "50 % and 95 % quantiles.",
            ),
        ],
        hint="Pool the chains' draws of β (e.g. idata.posterior['beta'].values.ravel()) and take "
        "np.quantile at 0.05, 0.5 and 0.95.",
    )


# --- Several checks at once ---------------------------------------------------------------
