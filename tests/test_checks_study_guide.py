"""The study guide's self-checks: right answers (computed here, independently) pass, the
placeholder ``None`` is "not answered", and typical wrong answers fail with their hint."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, stats

from bda_helpers.checks import study_guide as check

PRIOR_MEAN = np.array([0.0, 10.0])
PRIOR_COV = np.array([[4.0, 0.0], [0.0, 10.0]])  # alpha ~ N(0, 4), beta ~ N(10, 10): variances
CORRELATED_PRIOR_COV = np.array([[4.0, 10.0], [10.0, 100.0]])  # sds 2 and 10, correlation 0.5

#: The windshield data, typed in independently of the data file.
Y = np.array([13.357, 14.928, 14.896, 15.297, 14.82, 12.067, 14.824, 13.865, 17.447])
N = Y.size
SIGMA_HAT2 = np.mean((Y - Y.mean()) ** 2)
S2 = np.var(Y, ddof=1)


def assert_fails_with(result, *fragments):
    assert result.passed is False, repr(result)
    for fragment in fragments:
        assert fragment in result.message, f"{fragment!r} not in {result.message!r}"


# --- references, computed from the reference implementation in conftest -------------------


def log_beta_density(phi, ref, jacobian=True):
    return float(ref.log_likelihood(phi[0], np.exp(phi[1])) + (phi[1] if jacobian else 0.0))


def maximise(f, x0):
    result = optimize.minimize(
        lambda p: -f(p),
        x0=x0,
        method="Nelder-Mead",
        options={"xatol": 1e-11, "fatol": 1e-14, "maxiter": 10_000},
    )
    assert result.success
    return result.x


def fd_information(f, point, h=1e-4):
    info = np.empty((2, 2))
    for i, e_i in enumerate(np.eye(2) * h):
        for j, e_j in enumerate(np.eye(2) * h):
            info[i, j] = -(
                f(point + e_i + e_j) - f(point + e_i - e_j) - f(point - e_i + e_j) + f(point - e_i - e_j)
            ) / (4 * h * h)
    return 0.5 * (info + info.T)


@pytest.fixture(scope="module")
def log_beta_fit(ref):
    mode = maximise(lambda p: log_beta_density(p, ref), [0.5, 2.0])
    info = fd_information(lambda p: log_beta_density(p, ref), mode)
    return mode, info


def prior_fit(ref, prior_cov):
    mode = optimize.root(
        lambda t: ref.gradient(t, prior_mean=PRIOR_MEAN, prior_cov=prior_cov),
        [0.0, 0.0],
        jac=lambda t: ref.hessian(t, prior_cov=prior_cov),
        tol=1e-13,
    ).x
    return mode, np.linalg.inv(ref.information(mode, prior_cov=prior_cov))


@pytest.fixture(scope="module")
def grid_beta_quantiles(ref):
    """Quantiles of beta from the reference density on a fine grid (cell-centre CDF)."""
    alpha = np.linspace(-6, 14, 801)
    beta = np.linspace(-6, 130, 2721)
    log_density = ref.log_likelihood(alpha[:, None], beta[None, :])
    mass = np.exp(log_density - log_density.max()).sum(axis=0)
    cdf = np.cumsum(mass) / mass.sum()
    edges = beta + (beta[1] - beta[0]) / 2  # the CDF reaches cdf[k] at the right edge of cell k
    return np.interp([0.025, 0.5, 0.975], cdf, edges)


# --- every check: None is "not answered", never a failure ---------------------------------

ONE_ANSWER_CHECKS = [
    check.ld90_beyond_data,
    check.ld90_draws,
    check.mode_log_beta,
    check.cov_log_beta,
    check.beta_q975,
    check.mode_prior,
    check.cov_prior,
    check.mode_correlated_prior,
    check.mode_windshield,
    check.log_sigma_marginal_peak,
    check.cov_windshield,
    check.sigma_interval_exact,
    check.sigma_interval_laplace,
    check.nuts_beta_quantiles,
]


@pytest.mark.parametrize("function", ONE_ANSWER_CHECKS, ids=lambda f: f.__name__)
def test_the_placeholder_is_not_answered_yet(function):
    result = function(None)
    assert result.passed is None and repr(result).startswith("… Not answered yet")


def test_nuts_diagnostics_placeholders_are_not_answered_yet():
    assert check.nuts_diagnostics(None, None, None).passed is None
    assert "`ess_nuts`" in check.nuts_diagnostics([1.0, 1.0], None, [1.0, 1.0]).message


@pytest.mark.parametrize("function", ONE_ANSWER_CHECKS[2:-1], ids=lambda f: f.__name__)
def test_answers_that_are_not_numbers_of_the_right_shape_are_refused(function):
    assert_fails_with(function("not a number"))
    assert_fails_with(function(np.zeros(7)), "shape")


def test_nuts_quantiles_that_are_not_numbers_of_the_right_shape_are_refused():
    assert_fails_with(check.nuts_beta_quantiles("not a number", ess=900, tail_ess=900))
    assert_fails_with(check.nuts_beta_quantiles(np.zeros(7), ess=900, tail_ess=900), "shape")


# --- exercise 1 ---------------------------------------------------------------------------


LOGIT_90 = np.log(9.0)  # log(0.9 / 0.1)
HIGHEST_DOSE = 0.73


@pytest.fixture(scope="module")
def laplace_draws(posterior_mode):
    return np.random.default_rng(12).multivariate_normal(posterior_mode.mode, posterior_mode.cov, size=20_000)


def test_ld90_draws_right_answer(laplace_draws):
    alpha, beta = laplace_draws[laplace_draws[:, 1] > 0].T
    result = check.ld90_draws((LOGIT_90 - alpha) / beta)
    assert result.passed, repr(result)
    assert "95 % interval" in result.message


def test_ld90_draws_typical_mistakes(laplace_draws):
    alpha, beta = laplace_draws.T
    kept = beta > 0
    a, b = alpha[kept], beta[kept]
    assert_fails_with(check.ld90_draws((LOGIT_90 - alpha) / beta), "including those with β < 0")
    assert_fails_with(check.ld90_draws(-a / b), "LD50", "logit(0.9), not 0")
    assert_fails_with(check.ld90_draws((0.9 - a) / b), "(0.9 − α)/β", "log-odds scale")
    assert_fails_with(check.ld90_draws((-LOGIT_90 - a) / b), "LD10")
    assert_fails_with(check.ld90_draws((a - LOGIT_90) / b), "wrong sign")
    with np.errstate(divide="ignore"):
        assert_fails_with(check.ld90_draws((LOGIT_90 - alpha) / np.where(kept, beta, 0.0)), "NaN or infinite")
    assert_fails_with(check.ld90_draws((LOGIT_90 - a[:500]) / b[:500]), "at least 1000")
    assert_fails_with(check.ld90_draws(laplace_draws), "1-D")
    assert_fails_with(check.ld90_draws((LOGIT_90 - a) / b + 0.1), "Monte Carlo error")


def ld90_shares(ref, posterior_mode):
    """The Laplace share of LD90 > 0.73 given β > 0 (bivariate normal orthant), and the grid's."""
    mode, cov = posterior_mode.mode, posterior_mode.cov
    # LD90 > d with β > 0  <=>  u = logit(0.9) − α − d β > 0 and β > 0
    transform = np.array([[-1.0, -HIGHEST_DOSE], [0.0, 1.0]])
    mean = transform @ mode + [LOGIT_90, 0.0]
    both = stats.multivariate_normal(-mean, transform @ cov @ transform.T).cdf([0.0, 0.0])
    laplace = both / stats.norm.sf(0.0, mode[1], np.sqrt(cov[1, 1]))
    alpha, beta = np.linspace(-8, 15, 921)[:, None], np.linspace(0.0, 150, 3001)[None, 1:]
    log_density = ref.log_likelihood(alpha, beta)
    mass = np.exp(log_density - log_density.max())
    grid = mass[(LOGIT_90 - alpha) / beta > HIGHEST_DOSE].sum() / mass.sum()
    return laplace, grid


def ld90_of(draws):
    """The LD90s of the draws with β > 0."""
    alpha, beta = draws.T
    kept = beta > 0
    return (LOGIT_90 - alpha[kept]) / beta[kept]


def test_ld90_beyond_data_is_the_share_of_the_students_own_draws(ref, posterior_mode, laplace_draws):
    laplace, _ = ld90_shares(ref, posterior_mode)
    ld90 = ld90_of(laplace_draws[:10_000])
    share = np.mean(ld90 > HIGHEST_DOSE)
    assert abs(share - laplace) < 0.01  # the draws are a Laplace sample
    result = check.ld90_beyond_data(share, ld90)
    assert result.passed and "share of your" in result.message
    assert check.ld90_beyond_data(round(share, 3), ld90).passed  # rounded to 3 decimals
    assert check.ld90_beyond_data(share, None).passed is None  # part 1 not answered yet
    assert_fails_with(check.ld90_beyond_data(share, "draws"), "Fix `ld90_draws` first")
    assert_fails_with(check.ld90_beyond_data(1 - share, ld90), "at or below")
    assert_fails_with(check.ld90_beyond_data(100 * share, ld90), "not a percentage")
    assert_fails_with(check.ld90_beyond_data(0.3, ld90), "Count your `ld90_draws`")
    # the exact Laplace share is not the share of these draws: the question asks for the latter
    assert_fails_with(check.ld90_beyond_data(laplace, ld90), "too large" if laplace > share else "too small")


def test_ld90_beyond_data_asks_for_the_draws_share_when_a_near_value_is_typed(
    ref, posterior_mode, laplace_draws
):
    """A printed percentage typed in (rounded to 2 decimals) or the exact Laplace share is near
    the draws' own share but not it: the hint says to compute it from the draws, not to do what
    the student did."""
    laplace, _ = ld90_shares(ref, posterior_mode)
    ld90 = ld90_of(laplace_draws[:10_000])
    share = np.mean(ld90 > HIGHEST_DOSE)
    for answer in (round(share, 2), round(laplace, 3), laplace, share + 0.004, share - 0.004):
        if abs(answer - share) <= 5e-4:  # within rounding of the draws' share: right
            assert check.ld90_beyond_data(answer, ld90).passed
            continue
        result = check.ld90_beyond_data(answer, ld90)
        assert_fails_with(result, "Close, but not the share of your own", "at least 3 decimals")
        assert "Count your" not in result.message
    assert_fails_with(check.ld90_beyond_data(share + 0.02, ld90), "Count your `ld90_draws`")


@pytest.mark.parametrize("seed", range(20))
def test_ld90_beyond_data_tells_dividing_by_all_draws_apart(posterior_mode, seed):
    """Dividing by all 10,000 draws instead of the kept ones is within Monte Carlo error of the
    exact share, but never within rounding of the share of the student's own draws."""
    draws = np.random.default_rng(100 + seed).multivariate_normal(
        posterior_mode.mode, posterior_mode.cov, size=check.MC_DRAWS
    )
    ld90 = ld90_of(draws)
    count = np.count_nonzero(ld90 > HIGHEST_DOSE)
    assert check.ld90_beyond_data(count / ld90.size, ld90).passed
    result = check.ld90_beyond_data(count / check.MC_DRAWS, ld90)
    assert_fails_with(result, "divided by all the draws", "len(ld90_draws)")
    assert_fails_with(check.ld90_beyond_data(round(count / check.MC_DRAWS, 3), ld90), "divided by all")


def test_ld90_beyond_data_sends_wrong_draws_back_to_part_1(laplace_draws):
    alpha, beta = laplace_draws[:10_000].T
    kept = beta > 0
    ld50 = -alpha[kept] / beta[kept]  # the LD50s passed as LD90s: their own share is consistent
    result = check.ld90_beyond_data(np.mean(ld50 > HIGHEST_DOSE), ld50)
    assert_fails_with(result, "further from the Laplace LD90's", "Fix `ld90_draws` first")


def test_ld90_beyond_data_names_both_slips_it_cannot_tell_apart(ref, posterior_mode, laplace_draws):
    _, grid = ld90_shares(ref, posterior_mode)
    alpha, beta = laplace_draws[:10_000].T
    kept = beta > 0
    ld90 = ld90_of(laplace_draws[:10_000])
    ld50_share = np.mean(-alpha[kept] / beta[kept] > HIGHEST_DOSE)
    for answer in (0.016, grid, ld50_share):
        result = check.ld90_beyond_data(answer, ld90)
        assert_fails_with(result, "cannot tell apart", "exact (grid) posterior", "LD50s")


# --- exercise 2 ---------------------------------------------------------------------------


def test_mode_log_beta(ref, log_beta_fit):
    mode, _ = log_beta_fit
    assert check.mode_log_beta(mode).passed
    alpha_hat, beta_hat = ref.mode()
    assert_fails_with(check.mode_log_beta([alpha_hat, np.log(beta_hat)]), "log-Jacobian")
    assert_fails_with(check.mode_log_beta([alpha_hat, beta_hat]), "mode in (α, β)")
    assert_fails_with(check.mode_log_beta([mode[0], np.exp(mode[1])]), "log β at the mode, not β")
    assert_fails_with(check.mode_log_beta(mode + [0.0, 0.1]), "log β is too large")
    chain_rule = check.mode_log_beta(mode + [0.0, 0.1]).message
    assert "∂/∂φ [log p(α, e^φ | y) + φ] = β·∂ log p/∂β + 1" in chain_rule  # not an operator identity
    # the hints explain the method but do not spell out the package's log-β functions
    generic = check.mode_log_beta(mode + [0.0, 0.1]).message + check.cov_log_beta(np.eye(2)).message
    assert "Write log p(α, e^φ | y) + φ" in generic
    for call in ("log_beta(", "model_functions", "laplace(", "log_density="):
        assert call not in generic, generic


def test_cov_log_beta(ref, log_beta_fit):
    _, info = log_beta_fit
    cov = np.linalg.inv(info)
    assert check.cov_log_beta(cov).passed
    assert_fails_with(check.cov_log_beta(-info), "Hessian H itself")
    assert_fails_with(check.cov_log_beta(info), "precision")
    assert_fails_with(check.cov_log_beta(-cov), "H⁻¹, which is negative definite")
    assert_fails_with(check.cov_log_beta(cov + [[0.0, 0.1], [0.0, 0.0]]), "not symmetric")
    no_jacobian_mode = np.array([ref.mode()[0], np.log(ref.mode()[1])])
    no_jacobian_cov = np.linalg.inv(
        fd_information(lambda p: log_beta_density(p, ref, False), no_jacobian_mode)
    )
    assert_fails_with(check.cov_log_beta(no_jacobian_cov), "log-Jacobian")


def test_the_delta_method_route_is_named_in_the_log_beta_hints(posterior_mode):
    """Carrying the (α, β) Laplace over to log β by the delta method, J Σ Jᵀ with
    J = diag(1, 1/β̂), gives the no-Jacobian fit (the gradient in β is 0 at the (α, β) mode),
    so the hint must name that route too, not only a forgotten log-Jacobian."""
    mode, cov = posterior_mode.mode, posterior_mode.cov
    jacobian = np.diag([1.0, 1.0 / mode[1]])
    delta_cov = jacobian @ cov @ jacobian.T
    assert_fails_with(check.cov_log_beta(delta_cov), "delta method", "log-Jacobian")
    delta_q975 = np.exp(np.log(mode[1]) + stats.norm.ppf(0.975) * np.sqrt(delta_cov[1, 1]))
    assert_fails_with(check.beta_q975(delta_q975), "delta method", "log-Jacobian")


def test_beta_q975_recognises_each_slip_at_its_own_scale(
    ref, posterior_mode, log_beta_fit, grid_beta_quantiles
):
    """Each slip is computed here as a student would, from 10,000 draws of its own."""
    mode, info = log_beta_fit
    sd_log_beta = np.sqrt(np.linalg.inv(info)[1, 1])
    z = stats.norm.ppf(0.975)
    assert check.beta_q975(np.exp(mode[1] + z * sd_log_beta)).passed
    rng = np.random.default_rng(13)
    log_beta = rng.normal(mode[1], sd_log_beta, size=check.MC_DRAWS)
    assert check.beta_q975(np.quantile(np.exp(log_beta), 0.975)).passed
    assert_fails_with(check.beta_q975(np.quantile(log_beta, 0.975)), "quantile of log β", "exponentiate")
    beta = rng.multivariate_normal(posterior_mode.mode, posterior_mode.cov, size=check.MC_DRAWS)[:, 1]
    assert_fails_with(check.beta_q975(np.quantile(beta, 0.975)), "(α, β) Laplace approximation")
    no_jacobian_mode = np.array([ref.mode()[0], np.log(ref.mode()[1])])
    no_jacobian_cov = np.linalg.inv(
        fd_information(lambda p: log_beta_density(p, ref, False), no_jacobian_mode)
    )
    log_beta = rng.normal(no_jacobian_mode[1], np.sqrt(no_jacobian_cov[1, 1]), size=check.MC_DRAWS)
    assert_fails_with(check.beta_q975(np.quantile(np.exp(log_beta), 0.975)), "without the log-Jacobian")
    assert_fails_with(check.beta_q975(grid_beta_quantiles[2]), "exact (grid) posterior")


def test_beta_q975_gives_no_slip_hint_to_answers_near_no_slip():
    # Within the old shared tolerance (±1.4, β's scale) of the log-β slip or of the (α, β) fit's
    # quantile, but far from them at their own scales: only the generic hint may be given.
    for answer in (2.0, 4.5, 16.0, 18.5, 35.0):
        result = check.beta_q975(answer)
        assert_fails_with(result, "Draw (α, log β) from the new Laplace fit")
        assert "That" not in result.message


# --- exercise 3 ---------------------------------------------------------------------------


def test_mode_and_cov_prior(ref):
    mode, cov = prior_fit(ref, PRIOR_COV)
    assert check.mode_prior(mode).passed
    assert check.cov_prior(cov).passed
    for wrong_cov, fragment in (
        (np.diag([16.0, 100.0]), "standard deviations 4 and 10"),
        (np.diag([2.0, np.sqrt(10.0)]), "standard deviations (2, √10)"),
        (np.diag([4.0, 100.0]), "variance 10"),
    ):
        wrong_mode, wrong_cov_post = prior_fit(ref, wrong_cov)
        assert_fails_with(check.mode_prior(wrong_mode), fragment)
        assert_fails_with(check.cov_prior(wrong_cov_post), fragment)
    assert_fails_with(check.mode_prior(ref.mode()), "flat-prior")
    generic = check.mode_prior(mode + [0.3, -1.0])  # no recognised slip: the generic hint
    assert_fails_with(generic, "prior's variances", "N(mean, variance)")
    for giveaway in ("NormalPrior", "[[4", "cov=", "10]"):
        assert giveaway not in generic.message
    assert_fails_with(check.cov_prior(PRIOR_COV), "prior covariance")
    assert_fails_with(check.cov_prior(-np.linalg.inv(cov)), "Hessian H itself")


def test_mode_correlated_prior(ref):
    mode, _ = prior_fit(ref, CORRELATED_PRIOR_COV)
    assert check.mode_correlated_prior(mode).passed
    assert_fails_with(
        check.mode_correlated_prior(prior_fit(ref, np.diag([4.0, 100.0]))[0]), "without the correlation"
    )
    assert_fails_with(
        check.mode_correlated_prior(prior_fit(ref, [[4.0, 0.5], [0.5, 100.0]])[0]), "0.5 is the correlation"
    )
    cov_with_variances = 0.5 * 2.0 * np.sqrt(10.0)
    assert_fails_with(
        check.mode_correlated_prior(
            prior_fit(ref, [[4.0, cov_with_variances], [cov_with_variances, 10.0]])[0]
        ),
        "their squares",
    )
    for answer in (prior_fit(ref, np.diag([4.0, 100.0]))[0], mode + [0.3, -1.0]):
        message = check.mode_correlated_prior(answer).message
        for giveaway in ("= 10", "· 10", "100", "[[4"):
            assert giveaway not in message, message


# --- exercise 4 ---------------------------------------------------------------------------


def test_mode_windshield():
    assert check.mode_windshield([Y.mean(), 0.5 * np.log(SIGMA_HAT2)]).passed
    result = check.mode_windshield([Y.mean(), 0.5 * np.log(S2)])
    assert_fails_with(result, "sample sd s", "gradient of the log density in (μ, log σ) vanishes")
    assert "peaks" not in result.message  # the peak of log σ's marginal is the next question
    # the hints explain the method; none states the answer to part 1 (σ̂² divides by n)
    for answer in ([Y.mean(), 0.5 * np.log(S2)], [Y.mean(), np.sqrt(S2)], [Y.mean(), np.sqrt(SIGMA_HAT2)]):
        message = check.mode_windshield(answer).message
        for giveaway in ("divides by n", "dividing by n,", "/ n", "Σ(y − ȳ)²", "σ̂"):
            assert giveaway not in message, message
    assert_fails_with(
        check.mode_windshield([Y.mean(), np.sqrt(SIGMA_HAT2)]), "log of σ at the mode, not σ itself"
    )
    assert_fails_with(check.mode_windshield([Y.mean(), np.log(SIGMA_HAT2)]), "not log σ² = 2 log σ")


def test_log_sigma_marginal_peak():
    # The marginal density of log σ, by integrating μ out numerically on a grid, peaks at log s.
    tau = np.linspace(-0.5, 1.5, 4001)
    mu = np.linspace(Y.mean() - 15, Y.mean() + 15, 3001)
    sigma = np.exp(tau)[:, None]
    log_joint = -N * np.log(sigma) - ((Y[None, None, :] - mu[None, :, None]) ** 2).sum(axis=2) / (
        2 * sigma**2
    )
    marginal = np.exp(log_joint - log_joint.max()).sum(axis=1)
    peak = tau[np.argmax(marginal)]
    assert peak == pytest.approx(0.5 * np.log(S2), abs=1e-3)
    assert check.log_sigma_marginal_peak(peak).passed
    result = check.log_sigma_marginal_peak(0.5 * np.log(SIGMA_HAT2))
    assert_fails_with(result, "*joint* mode", "Integrate μ out", "a peak moves under a change of variable")
    # the hint points at the route, not the result that answers "why does it differ?"
    for giveaway in ("factor σ", "one power of σ", "σ · p(σ | y)", "= σ", "log s"):
        assert giveaway not in result.message, result.message
    assert_fails_with(check.log_sigma_marginal_peak(round(0.5 * np.log(SIGMA_HAT2), 3)), "*joint* mode")
    sigma2_mode = (N - 1) * S2 / (N + 1)
    assert_fails_with(check.log_sigma_marginal_peak(0.5 * np.log(sigma2_mode)), "σ²'s density")
    assert_fails_with(check.log_sigma_marginal_peak(np.sqrt(S2)), "σ scale")
    assert_fails_with(check.log_sigma_marginal_peak(np.log(S2)), "log σ²")
    assert_fails_with(check.log_sigma_marginal_peak(0.6), "Integrate μ out")


def log_marginal_log_sigma(tau):
    """The log marginal density of log σ, μ integrated out numerically (trapezoid on a wide grid)."""
    mu = np.linspace(Y.mean() - 15, Y.mean() + 15, 3001)
    sigma = np.exp(np.atleast_1d(tau))[:, None]
    log_joint = -N * np.log(sigma) - ((Y[None, None, :] - mu[None, :, None]) ** 2).sum(axis=2) / (
        2 * sigma**2
    )
    return np.log(np.trapezoid(np.exp(log_joint), mu, axis=1))


@pytest.mark.parametrize("step", [0.005, 0.01])
@pytest.mark.parametrize("offset", np.linspace(0.0, 1.0, 11))
def test_log_sigma_marginal_peak_accepts_a_peak_read_off_a_grid(step, offset):
    tau = np.arange(0.1 + offset * step, 0.7, step)
    peak = tau[np.argmax(log_marginal_log_sigma(tau))]
    assert check.log_sigma_marginal_peak(peak).passed


def test_log_sigma_marginal_peak_asks_for_precision_near_the_peak():
    log_s = 0.5 * np.log(S2)
    assert check.log_sigma_marginal_peak(round(log_s, 2)).passed  # log s rounded to 2 decimals
    for answer in (log_s + 0.01, log_s - 0.01):
        result = check.log_sigma_marginal_peak(answer)
        assert_fails_with(result, "near the peak", "more precisely")
        assert "Integrate μ out of" not in result.message
    assert_fails_with(check.log_sigma_marginal_peak(log_s + 0.03), "Integrate μ out")


def test_cov_windshield():
    cov = np.diag([SIGMA_HAT2 / N, 1 / (2 * N)])
    assert check.cov_windshield(cov).passed
    result = check.cov_windshield(np.diag([S2 / N, 1 / (2 * N)]))
    assert_fails_with(result, "gradient in (μ, log σ) vanishes", "not the sample sd s")
    for giveaway in ("dividing by n)", "σ = σ̂", "divides by n"):
        assert giveaway not in result.message, result.message
    assert_fails_with(
        check.cov_windshield(np.diag([SIGMA_HAT2 / N, 1 / (2 * (N - 1))])), "n − 1 in var(log σ)"
    )
    assert_fails_with(check.cov_windshield(np.diag([S2 / N, 1 / (2 * (N - 1))])), "Both entries")
    assert_fails_with(check.cov_windshield(np.diag([SIGMA_HAT2 / N, SIGMA_HAT2 / (2 * N)])), "variance of σ")
    assert_fails_with(check.cov_windshield(-np.linalg.inv(cov)), "Hessian H itself")
    assert_fails_with(check.cov_windshield(cov + [[0.0, 0.01], [0.0, 0.0]]), "not symmetric")


def windshield_log_posterior(theta):
    mu, log_sigma = theta
    return -N * log_sigma - np.sum((Y - mu) ** 2) / (2 * np.exp(2 * log_sigma))


def windshield_hessian(theta):
    """The Hessian of the log posterior in (μ, log σ), by hand."""
    mu, log_sigma = theta
    sigma2 = np.exp(2 * log_sigma)
    cross = -2 * np.sum(Y - mu) / sigma2
    return np.array([[-N / sigma2, cross], [cross, -2 * np.sum((Y - mu) ** 2) / sigma2]])


@pytest.mark.parametrize("method", ["BFGS", "Nelder-Mead", "rounded closed form"])
def test_cov_windshield_accepts_numerical_modes(method):
    """The true off-diagonal entry is exactly 0; a numerical mode makes it ~1e-7 to ~1e-5, which the
    check judges at the scale of the matrix (the product of the sds), not as an absolute 1e-9."""
    if method == "rounded closed form":
        mode = np.array([Y.mean(), 0.5 * np.log(SIGMA_HAT2)]).round(4)
    else:
        mode = optimize.minimize(lambda t: -windshield_log_posterior(t), [14.0, 0.0], method=method).x
    cov = -np.linalg.inv(windshield_hessian(mode))
    assert 1e-9 < abs(cov[0, 1]) < 1e-4  # not exactly 0
    assert check.mode_windshield(mode).passed
    result = check.cov_windshield(cov)
    assert result.passed, repr(result)


def test_cov_windshield_still_refuses_a_real_correlation():
    cov = np.diag([SIGMA_HAT2 / N, 1 / (2 * N)])
    scale = np.sqrt(cov[0, 0] * cov[1, 1])
    assert check.cov_windshield(cov + 0.5e-3 * scale * (1 - np.eye(2))).passed
    too_large = check.cov_windshield(cov + 0.05 * scale * (1 - np.eye(2)))
    assert_fails_with(too_large, "[μ, log σ] entry is too large", "Invert the negative Hessian")


def right_array_answers(ref):
    """Each exact array check with its right answer, computed here."""
    mode_lb = maximise(lambda p: log_beta_density(p, ref), [0.5, 2.0])
    cov_lb = np.linalg.inv(fd_information(lambda p: log_beta_density(p, ref), mode_lb))
    prior_mode, prior_cov = prior_fit(ref, PRIOR_COV)
    return {
        check.mode_log_beta: mode_lb,
        check.cov_log_beta: cov_lb,
        check.mode_prior: prior_mode,
        check.cov_prior: prior_cov,
        check.mode_correlated_prior: prior_fit(ref, CORRELATED_PRIOR_COV)[0],
        check.mode_windshield: np.array([Y.mean(), 0.5 * np.log(SIGMA_HAT2)]),
        check.cov_windshield: np.diag([SIGMA_HAT2 / N, 1 / (2 * N)]),
    }


def test_rounded_array_answers_are_told_to_keep_more_digits(ref, assert_no_leak):
    for function, right in right_array_answers(ref).items():
        assert function(right.round(6)).passed, function.__name__
        assert function(np.array([float(f"{v:.4g}") for v in right.ravel()]).reshape(right.shape)).passed
        for answer in (
            np.array([float(f"{v:.3g}") for v in right.ravel()]),  # 3 significant digits
            right.ravel() * (1 + 0.006 * np.resize([1.0, -1.0, -1.0], right.size)),
        ):
            answer = answer.reshape(right.shape)
            result = function(answer)
            if result.passed:  # the rounding happened to land within the tolerance
                continue
            assert_fails_with(result, "Close, but not within the check's tolerance", "4 significant digits")
            assert_no_leak(result, right, answer=answer)
        far = function(right * 1.05)  # 5 % off: no longer "close", the method hint
        assert_fails_with(far)
        assert "Close, but" not in far.message, far.message


def test_close_answers_get_the_close_hint_and_never_a_method_hint():
    mode = check.mode_windshield([14.61, 0.33])
    assert_fails_with(mode, "log σ is too large", "Close, but")
    assert "Set the gradient" not in mode.message
    cov = check.cov_windshield(np.diag([0.215, 0.056]))
    assert_fails_with(cov, "Close, but", "product of the two sds")
    assert "Invert the negative Hessian" not in cov.message


def test_rounded_slips_get_the_slips_hints(ref):
    assert_fails_with(check.mode_windshield(np.round([Y.mean(), 0.5 * np.log(S2)], 2)), "sample sd s")
    assert_fails_with(check.cov_windshield(np.diag([S2 / N, 1 / (2 * N)]).round(3)), "not the sample sd s")
    no_correlation = prior_fit(ref, np.diag([4.0, 100.0]))[0]
    assert_fails_with(check.mode_correlated_prior(no_correlation.round(2)), "without the correlation")
    flat = check.mode_prior(ref.mode().round(2))
    assert_fails_with(flat, "flat-prior fit")
    assert "Close, but" not in flat.message


def test_every_slip_is_far_from_the_right_answer(ref):
    """The "close" hint goes to answers within 1 % (of each entry's scale) of the right value; every
    slip the checks know lies more than 2 % away in some entry, so a rounded slip is never "close"."""

    def relative_distance(answer, right):
        answer, right = np.asarray(answer, dtype=float), np.asarray(right, dtype=float)
        scale = np.sqrt(np.outer(np.diag(right), np.diag(right))) if right.ndim == 2 else np.abs(right)
        return np.max(np.abs(answer - right) / scale)

    right = right_array_answers(ref)
    windshield_mode = right[check.mode_windshield]
    prior_variants = [np.diag([16.0, 100.0]), np.diag([2.0, np.sqrt(10.0)]), np.diag([4.0, 100.0])]
    cov_with_variances = 0.5 * 2.0 * np.sqrt(10.0)
    no_jacobian_mode = np.array([ref.mode()[0], np.log(ref.mode()[1])])
    slips = {
        check.mode_log_beta: [no_jacobian_mode, ref.mode(), [right[check.mode_log_beta][0], 10.75]],
        check.cov_log_beta: [
            np.linalg.inv(fd_information(lambda p: log_beta_density(p, ref, False), no_jacobian_mode)),
            np.linalg.inv(ref.information(ref.mode())),
        ],
        check.mode_prior: [prior_fit(ref, c)[0] for c in prior_variants] + [ref.mode()],
        check.cov_prior: [prior_fit(ref, c)[1] for c in prior_variants]
        + [np.linalg.inv(ref.information(ref.mode())), PRIOR_COV],
        check.mode_correlated_prior: [
            prior_fit(ref, c)[0]
            for c in (
                np.diag([4.0, 100.0]),
                [[4.0, 0.5], [0.5, 100.0]],
                [[4.0, cov_with_variances], [cov_with_variances, 10.0]],
                PRIOR_COV,
            )
        ],
        check.mode_windshield: [
            [Y.mean(), 0.5 * np.log(S2)],
            [Y.mean(), np.exp(windshield_mode[1])],
            [Y.mean(), np.sqrt(S2)],
            [Y.mean(), SIGMA_HAT2],
            [Y.mean(), np.log(SIGMA_HAT2)],
        ],
        check.cov_windshield: [
            np.diag([S2 / N, 1 / (2 * N)]),
            np.diag([SIGMA_HAT2 / N, 1 / (2 * (N - 1))]),
            np.diag([S2 / N, 1 / (2 * (N - 1))]),
            np.diag([SIGMA_HAT2 / N, SIGMA_HAT2 / (2 * N)]),
        ],
    }
    for function, answers in slips.items():
        for answer in answers:
            assert relative_distance(answer, right[function]) > 0.02, function.__name__
            assert function(answer).passed is False


def test_sigma_intervals():
    exact = np.sqrt((N - 1) * S2 / stats.chi2.ppf([0.975, 0.025], N - 1))
    laplace = np.sqrt(SIGMA_HAT2) * np.exp(stats.norm.ppf([0.025, 0.975]) / np.sqrt(2 * N))
    assert check.sigma_interval_exact(exact).passed
    assert check.sigma_interval_laplace(laplace).passed
    rng = np.random.default_rng(14)
    sigma = np.sqrt((N - 1) * S2 / rng.chisquare(N - 1, size=check.MC_DRAWS))
    assert check.sigma_interval_exact(np.quantile(sigma, [0.025, 0.975])).passed
    assert_fails_with(check.sigma_interval_exact(laplace), "Laplace interval")
    assert_fails_with(check.sigma_interval_laplace(exact), "exact interval")
    assert_fails_with(check.sigma_interval_exact(exact**2), "interval for σ²")
    symmetric = np.sqrt(SIGMA_HAT2) * (1 + stats.norm.ppf([0.025, 0.975]) / np.sqrt(2 * N))
    assert_fails_with(check.sigma_interval_laplace(symmetric), "symmetric in σ")


# --- exercise 5 ---------------------------------------------------------------------------


def test_nuts_diagnostics():
    result = check.nuts_diagnostics([1.001, 1.002], [950.0, 900.0], [1200.0, 1100.0])
    assert result.passed and "tail ESS" in result.message
    assert_fails_with(check.nuts_diagnostics([1.05, 1.2], [950.0, 900.0], [950.0, 900.0]), "do not agree")
    assert_fails_with(check.nuts_diagnostics([1.0, 1.0], [150.0, 900.0], [950.0, 900.0]), "bulk ESS")
    assert_fails_with(check.nuts_diagnostics([1.0, 1.0], [950.0, 900.0], [950.0, 300.0]), "tail ESS", "95 %")
    assert_fails_with(check.nuts_diagnostics([950.0, 900.0], [1.0, 1.0], [1.0, 1.0]), "swapped")
    assert_fails_with(
        check.nuts_diagnostics([2756.0, 2488.0], [1996.0, 1949.0], [1.0, 1.0]),
        "`rhat_nuts` and `tail_ess_nuts` look swapped",
    )
    assert_fails_with(
        check.nuts_diagnostics([1996.0, 1949.0], [1.0, 1.0], [2756.0, 2488.0]),
        "`rhat_nuts` and `ess_nuts` look swapped",
    )
    assert_fails_with(
        check.nuts_diagnostics([1996.0, 1949.0], [2756.0, 2488.0], [2700.0, 2400.0]),
        "looks like an effective sample size",
        "arviz.rhat",
    )
    # the relative ESS (az.ess(..., relative=True)), a fraction of the 8000 draws
    relative = check.nuts_diagnostics([1.0, 1.0], [0.25, 0.24], [0.34, 0.31])
    assert_fails_with(relative, "bulk ESS", "relative ESS", "without relative=True")
    assert "Draw more" not in relative.message
    relative_tail = check.nuts_diagnostics([1.0, 1.0], [1996.0, 1949.0], [0.34, 0.31])
    assert_fails_with(relative_tail, "tail ESS", "relative ESS", "`tail_ess_nuts`")
    # it checks the numbers given against thresholds; it does not claim to have seen the run
    passed = check.nuts_diagnostics([1.001, 1.002], [950.0, 900.0], [1200.0, 1100.0])
    assert "thresholds" in passed.message and "the chains agree" not in passed.message
    assert "cannot see the run" in check.nuts_diagnostics.__doc__
    assert check.nuts_diagnostics(None, None, None).passed is None
    assert "`tail_ess_nuts`" in check.nuts_diagnostics([1.0, 1.0], [950.0, 900.0], None).message


@pytest.fixture(scope="module")
def grid_beta_5_50_95(ref):
    """β's 5 %, 50 % and 95 % quantiles from the reference density on a fine grid."""
    alpha = np.linspace(-6, 14, 801)
    beta = np.linspace(-6, 130, 2721)
    log_density = ref.log_likelihood(alpha[:, None], beta[None, :])
    mass = np.exp(log_density - log_density.max()).sum(axis=0)
    cdf = np.cumsum(mass) / mass.sum()
    return np.interp([0.05, 0.5, 0.95], cdf, beta + (beta[1] - beta[0]) / 2)


def test_nuts_beta_quantiles(grid_beta_5_50_95, grid_beta_quantiles, posterior_mode):
    right = grid_beta_5_50_95
    assert check.nuts_beta_quantiles(right, ess=2000, tail_ess=2500).passed
    assert check.nuts_beta_quantiles(right, ess=[1950.0, 2000.0], tail_ess=[2700.0, 2500.0]).passed
    assert check.nuts_beta_quantiles(right + [0.2, 0.3, 1.0], ess=2000, tail_ess=2500).passed  # MC error
    laplace = posterior_mode.mode[1] + stats.norm.ppf([0.05, 0.5, 0.95]) * np.sqrt(posterior_mode.cov[1, 1])
    assert_fails_with(check.nuts_beta_quantiles(laplace, ess=2000, tail_ess=2500), "Laplace quantiles")
    assert_fails_with(
        check.nuts_beta_quantiles(grid_beta_quantiles, ess=2000, tail_ess=2500), "2.5 %, 50 % and 97.5 %"
    )
    assert_fails_with(check.nuts_beta_quantiles(right[::-1], ess=2000, tail_ess=2500), "not increasing")
    generic = check.nuts_beta_quantiles(right + [0.0, 0.0, 6.0], ess=2000, tail_ess=2500)
    assert_fails_with(generic, "95 % is too large", "Pool the chains' draws")
    assert "grid" not in generic.message  # which NUTS agrees with is part 3's question
    assert_fails_with(
        check.nuts_beta_quantiles(right, ess=float("nan"), tail_ess=2500), "effective sample size"
    )
    assert check.nuts_beta_quantiles(right, ess=2000).passed is None  # the tail ESS is needed too
    assert "`tail_ess_nuts`" in check.nuts_beta_quantiles(right, ess=2000).message


def test_nuts_beta_quantiles_scale_each_tolerance_by_its_own_ess(grid_beta_5_50_95):
    # off by 0.6 at 5 %: within 3.5 MC errors for 600 effective draws, not for 3000; the bulk ESS
    # (for the median) plays no part in the tails' tolerance
    answer = grid_beta_5_50_95 + [0.6, 0.0, 0.0]
    assert check.nuts_beta_quantiles(answer, ess=3000, tail_ess=600).passed
    assert_fails_with(check.nuts_beta_quantiles(answer, ess=600, tail_ess=3000), "5 % is too large")


@pytest.mark.parametrize("median", np.linspace(10.0, 11.2, 7))
def test_nuts_beta_quantiles_cannot_be_passed_from_the_printed_95_interval(median):
    # the study guide prints the grid's 95 % interval of β, [3.45, 25.41]
    result = check.nuts_beta_quantiles([3.45, median, 25.41], ess=1800, tail_ess=2000)
    assert result.passed is False


# --- no failure gives the answer away -------------------------------------------------------


def test_failures_never_show_the_reference(
    ref, posterior_mode, log_beta_fit, laplace_draws, grid_beta_quantiles, grid_beta_5_50_95, assert_no_leak
):
    mode, cov = posterior_mode.mode, posterior_mode.cov
    _, grid_share = ld90_shares(ref, posterior_mode)
    kept = laplace_draws[:10_000, 1] > 0
    own_ld90 = ld90_of(laplace_draws[:10_000])
    own_share = np.mean(own_ld90 > HIGHEST_DOSE)

    def ld90_beyond(answer):
        return check.ld90_beyond_data(answer, own_ld90)

    mode_lb, info_lb = log_beta_fit
    cov_lb = np.linalg.inv(info_lb)
    q975 = np.exp(mode_lb[1] + stats.norm.ppf(0.975) * np.sqrt(cov_lb[1, 1]))
    old_q975 = mode[1] + stats.norm.ppf(0.975) * np.sqrt(cov[1, 1])
    prior_mode, prior_cov = prior_fit(ref, PRIOR_COV)
    correlated_mode, _ = prior_fit(ref, CORRELATED_PRIOR_COV)
    windshield_mode = np.array([Y.mean(), 0.5 * np.log(SIGMA_HAT2)])
    exact = np.sqrt((N - 1) * S2 / stats.chi2.ppf([0.975, 0.025], N - 1))
    laplace = np.sqrt(SIGMA_HAT2) * np.exp(stats.norm.ppf([0.025, 0.975]) / np.sqrt(2 * N))
    laplace_beta = mode[1] + stats.norm.ppf([0.05, 0.5, 0.95]) * np.sqrt(cov[1, 1])

    def nuts_quantiles(answer):
        return check.nuts_beta_quantiles(answer, ess=2000, tail_ess=2500)

    cases = [
        (ld90_beyond, 1 - own_share, [own_share]),
        (ld90_beyond, grid_share, [own_share]),
        (ld90_beyond, 0.016, [own_share]),
        (ld90_beyond, own_share * kept.mean(), [own_share]),
        (ld90_beyond, 0.3, [own_share]),
        (ld90_beyond, round(own_share, 2), [own_share]),
        (ld90_beyond, own_share + 0.004, [own_share]),
        (check.mode_log_beta, [mode[0], np.log(mode[1])], [mode_lb]),
        (check.mode_log_beta, [mode_lb[0], np.exp(mode_lb[1])], [mode_lb[1]]),
        (check.cov_log_beta, -info_lb, [cov_lb]),
        (check.cov_log_beta, info_lb, [cov_lb]),
        (check.beta_q975, old_q975, [q975]),
        (check.beta_q975, np.log(q975), [q975, np.log(q975)]),
        (check.beta_q975, grid_beta_quantiles[2], [q975, np.log(q975)]),
        (check.beta_q975, 2.0, [q975, np.log(q975)]),
        (check.mode_prior, mode, [prior_mode]),
        (check.cov_prior, PRIOR_COV, [prior_cov]),
        (check.cov_prior, -np.linalg.inv(prior_cov), [prior_cov]),
        (check.mode_correlated_prior, prior_fit(ref, np.diag([4.0, 100.0]))[0], [correlated_mode]),
        (check.mode_windshield, [Y.mean(), 0.5 * np.log(S2)], [windshield_mode[1], np.sqrt(SIGMA_HAT2)]),
        (check.log_sigma_marginal_peak, windshield_mode[1], [0.5 * np.log(S2), np.sqrt(S2)]),
        (
            check.log_sigma_marginal_peak,
            0.5 * np.log((N - 1) * S2 / (N + 1)),
            [0.5 * np.log(S2), np.sqrt(S2)],
        ),
        (check.log_sigma_marginal_peak, 0.6, [0.5 * np.log(S2), np.sqrt(S2)]),
        (check.log_sigma_marginal_peak, 0.5 * np.log(S2) + 0.01, [0.5 * np.log(S2), np.sqrt(S2)]),
        (check.log_sigma_marginal_peak, 0.5 * np.log(S2) - 0.01, [0.5 * np.log(S2), np.sqrt(S2)]),
        (check.cov_windshield, np.diag([S2 / N, 1 / (2 * N)]), [SIGMA_HAT2 / N, 1 / (2 * N)]),
        (
            check.cov_log_beta,
            np.diag([1.0, 1.0 / mode[1]]) @ cov @ np.diag([1.0, 1.0 / mode[1]]),
            [cov_lb],
        ),
        (check.mode_windshield, [Y.mean(), np.sqrt(S2)], [windshield_mode[1], np.sqrt(SIGMA_HAT2)]),
        (check.cov_windshield, np.diag([SIGMA_HAT2 / N, 1 / (2 * (N - 1))]), [SIGMA_HAT2 / N, 1 / (2 * N)]),
        (check.cov_windshield, np.diag([S2 / N, 1 / (2 * (N - 1))]), [SIGMA_HAT2 / N, 1 / (2 * N)]),
        (
            check.cov_windshield,
            np.diag([SIGMA_HAT2 / N, SIGMA_HAT2 / (2 * N)]),
            [SIGMA_HAT2 / N, 1 / (2 * N)],
        ),
        (check.sigma_interval_exact, laplace, [exact]),
        (check.sigma_interval_laplace, exact, [laplace, np.log(laplace)]),
        (check.mode_prior, mode + [0.3, -1.0], [prior_mode]),
        (check.mode_correlated_prior, mode + [0.3, -1.0], [correlated_mode]),
        (nuts_quantiles, laplace_beta, [grid_beta_5_50_95]),
        (nuts_quantiles, [3.45, 10.66, 25.41], [grid_beta_5_50_95]),
        (nuts_quantiles, grid_beta_5_50_95 + [0.0, 0.0, 6.0], [grid_beta_5_50_95]),
    ]
    for function, answer, secrets in cases:
        assert_no_leak(function(answer), *secrets, answer=np.asarray(answer, dtype=float))
    alpha, beta = laplace_draws.T
    kept = beta > 0
    a, b = alpha[kept], beta[kept]
    conditional = np.quantile((LOGIT_90 - a) / b, [0.025, 0.25, 0.5, 0.75, 0.975])
    for answer in (
        (LOGIT_90 - alpha) / beta,
        -a / b,
        (0.9 - a) / b,
        (a - LOGIT_90) / b,
        (LOGIT_90 - a) / b + 0.1,
    ):
        assert_no_leak(check.ld90_draws(answer), conditional, phrases=["2.197", "2.20"])


def test_docstrings_do_not_state_the_answers():
    """``check.f?`` shows a check's docstring: it says what is checked, never the answer."""
    giveaways = {
        check.log_sigma_marginal_peak: ("peaks at log s", "ddof", "σ̂² =", "(n − 1) s²"),
        check.sigma_interval_laplace: ("1.96 / sqrt(2n)", "sqrt(2 * y.size)", "ddof", "y.std()"),
        check.mode_correlated_prior: ("[[4, 10]", "10], [10", "100]"),
        check.mode_windshield: ("ddof", "σ̂² =", "divides by n"),
        check.cov_windshield: ("1 / (2n)", "1/(2n)", "σ̂²/n", "ddof"),
        check.nuts_beta_quantiles: ("should match the grid",),
    }
    for function, phrases in giveaways.items():
        for phrase in phrases:
            assert phrase not in function.__doc__, f"{phrase!r} in the docstring of {function.__name__}"


def test_text_and_booleans_are_refused():
    assert_fails_with(check.ld90_beyond_data("0.05"), "without quotes")
    assert_fails_with(check.ld90_beyond_data(True), "boolean")
    assert_fails_with(check.ld90_draws(np.full(2000, "0.1")), "strings")
    assert_fails_with(check.ld90_draws(np.ones(2000, dtype=bool)), "booleans")
    assert_fails_with(check.ld90_beyond_data(-0.05), "not a share")


def test_the_monte_carlo_tolerance_is_that_of_quantile_mcse():
    """For many draws the checks' tolerance is MC_Z times quantile_mcse of actual draws."""
    from bda_helpers import quantile_mcse

    draws = np.random.default_rng(15).normal(size=200_000)
    tolerance = check.mc_tolerance(stats.norm.ppf, [0.025, 0.5, 0.975], 10_000)
    sample = draws[:10_000]
    mcse = np.array([quantile_mcse(sample, p) for p in (0.025, 0.5, 0.975)])
    assert np.allclose(
        tolerance, check.MC_Z * mcse, rtol=0.25
    )  # quantile_mcse of one sample is noisy in the tails
    spread = np.std([np.quantile(chunk, [0.025, 0.5, 0.975]) for chunk in draws.reshape(20, 10_000)], axis=0)
    assert np.allclose(tolerance / check.MC_Z, spread, rtol=0.5)  # 20 replicates: a rough check


# --- reports of several checks ------------------------------------------------------------


def test_a_report_passes_only_when_every_check_passes():
    right = check.mode_windshield([Y.mean(), 0.5 * np.log(SIGMA_HAT2)])
    assert check.report(right, right).passed is True
    assert check.report(right, check.cov_windshield(None)).passed is None
    assert check.report(check.cov_windshield(None), check.cov_windshield(np.eye(2) * 3)).passed is False
    assert repr(check.report(right, check.cov_windshield(None))).count("\n") == 1
    with pytest.raises(TypeError, match="results of checks"):
        check.report(right, True)


# --- the study guide uses every check, and its scaffolds give nothing away ---------------


def test_the_study_guide_scaffolds_are_empty_and_call_every_check():
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "notebooks" / "07_study_guide.ipynb"
    cells = ["".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    scaffolds = [source for source in cells if source.startswith("# your code here")]
    assert len(scaffolds) == 5
    for source in scaffolds:
        assignments = [line for line in source.splitlines() if " = " in line and not line.startswith("#")]
        assert assignments and all(line.endswith(" = None") for line in assignments), source
    text = "\n".join(cells)
    references = {"reference_grid", "mc_tolerance"}  # shared references, not checks
    for name in set(check.__all__) - references:
        if callable(getattr(check, name)) and name[0].islower():
            assert f"check.{name}(" in text, f"the study guide never calls check.{name}"


def test_the_reference_grid_is_the_flat_prior_posterior_on_a_wide_fine_grid(ref):
    grid = check.reference_grid()
    assert grid is check.reference_grid()  # computed once
    assert grid.names == ("alpha", "beta") and grid.mass.shape == (341, 1251)
    alpha, beta = grid.axes
    assert (alpha[0], alpha[-1], beta[0], beta[-1]) == (-5.0, 12.0, -5.0, 120.0)
    log_mass = ref.log_likelihood(alpha[:, None], beta)
    expected = np.exp(log_mass - log_mass.max())
    np.testing.assert_allclose(grid.mass, expected / expected.sum(), rtol=1e-9, atol=1e-300)
    assert grid.edge_mass().largest < 1e-8


def test_mc_tolerance_of_a_median_is_the_normal_formula():
    # For large n the sample median's sd is sqrt(p (1 - p) / n) / phi(Q(p)) = sqrt(pi / 2 / n).
    tolerance = check.mc_tolerance(stats.norm.ppf, 0.5, 1_000_000)
    assert tolerance / check.MC_Z == pytest.approx(np.sqrt(np.pi / 2 / 1_000_000), rel=1e-3)
