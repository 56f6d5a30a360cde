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
    check.beta_negative_share,
    check.ld50_draws,
    check.mode_log_beta,
    check.cov_log_beta,
    check.beta_q975,
    check.mode_prior,
    check.cov_prior,
    check.mode_correlated_prior,
    check.mode_windshield,
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
    assert check.nuts_diagnostics(None, None).passed is None
    assert "`ess_nuts`" in check.nuts_diagnostics([1.0, 1.0], None).message


@pytest.mark.parametrize("function", ONE_ANSWER_CHECKS[2:], ids=lambda f: f.__name__)
def test_answers_that_are_not_numbers_of_the_right_shape_are_refused(function):
    assert_fails_with(function("not a number"))
    assert_fails_with(function(np.zeros(7)), "shape")


# --- exercise 1 ---------------------------------------------------------------------------


def test_beta_negative_share(posterior_mode):
    mode, cov = posterior_mode.mode, posterior_mode.cov
    share = stats.norm.cdf(0.0, mode[1], np.sqrt(cov[1, 1]))
    assert check.beta_negative_share(share).passed
    draws = np.random.default_rng(11).multivariate_normal(mode, cov, size=check.MC_DRAWS)
    assert check.beta_negative_share(np.mean(draws[:, 1] < 0)).passed
    assert_fails_with(check.beta_negative_share(100 * share), "not a percentage")
    assert_fails_with(check.beta_negative_share(1 - share), "share with β > 0")
    assert_fails_with(check.beta_negative_share(0.0), "filtered to β > 0")


@pytest.fixture(scope="module")
def laplace_draws(posterior_mode):
    return np.random.default_rng(12).multivariate_normal(posterior_mode.mode, posterior_mode.cov, size=20_000)


def test_ld50_draws_right_answer(laplace_draws):
    kept = laplace_draws[laplace_draws[:, 1] > 0]
    result = check.ld50_draws(-kept[:, 0] / kept[:, 1])
    assert result.passed, repr(result)
    assert "95 % interval" in result.message


def test_ld50_draws_typical_mistakes(laplace_draws):
    alpha, beta = laplace_draws.T
    assert_fails_with(check.ld50_draws(-alpha / beta), "including those with β < 0")
    kept = beta > 0
    assert_fails_with(check.ld50_draws(alpha[kept] / beta[kept]), "wrong sign", "−α/β, not α/β")
    with np.errstate(divide="ignore"):
        assert_fails_with(check.ld50_draws(-alpha / np.where(kept, beta, 0.0)), "NaN or infinite", "β > 0")
    assert_fails_with(check.ld50_draws(-alpha[kept][:500] / beta[kept][:500]), "at least 1000")
    assert_fails_with(check.ld50_draws(laplace_draws), "1-D")
    assert_fails_with(check.ld50_draws(-alpha[kept] / beta[kept] + 0.2), "Monte Carlo error")


# --- exercise 2 ---------------------------------------------------------------------------


def test_mode_log_beta(ref, log_beta_fit):
    mode, _ = log_beta_fit
    assert check.mode_log_beta(mode).passed
    alpha_hat, beta_hat = ref.mode()
    assert_fails_with(check.mode_log_beta([alpha_hat, np.log(beta_hat)]), "log-Jacobian")
    assert_fails_with(check.mode_log_beta([alpha_hat, beta_hat]), "mode in (α, β)")
    assert_fails_with(check.mode_log_beta([mode[0], np.exp(mode[1])]), "log β at the mode, not β")
    assert_fails_with(check.mode_log_beta(mode + [0.0, 0.1]), "log β is too large")


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


def test_beta_q975(posterior_mode, log_beta_fit):
    mode, info = log_beta_fit
    sd_log_beta = np.sqrt(np.linalg.inv(info)[1, 1])
    exact = np.exp(mode[1] + stats.norm.ppf(0.975) * sd_log_beta)
    assert check.beta_q975(exact).passed
    draws = np.random.default_rng(13).normal(mode[1], sd_log_beta, size=check.MC_DRAWS)
    assert check.beta_q975(np.quantile(np.exp(draws), 0.975)).passed
    old = posterior_mode.mode[1] + 1.959964 * np.sqrt(posterior_mode.cov[1, 1])
    assert_fails_with(check.beta_q975(old), "(α, β) Laplace approximation")
    assert_fails_with(check.beta_q975(np.log(exact)), "exponentiate")


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


# --- exercise 4 ---------------------------------------------------------------------------


def test_mode_windshield():
    assert check.mode_windshield([Y.mean(), 0.5 * np.log(SIGMA_HAT2)]).passed
    assert_fails_with(check.mode_windshield([Y.mean(), 0.5 * np.log(S2)]), "sample sd s", "divides by n")
    assert_fails_with(check.mode_windshield([Y.mean(), np.sqrt(SIGMA_HAT2)]), "log σ̂, not σ̂")
    assert_fails_with(check.mode_windshield([Y.mean(), np.log(SIGMA_HAT2)]), "log σ̂²")


def test_cov_windshield():
    cov = np.diag([SIGMA_HAT2 / N, 1 / (2 * N)])
    assert check.cov_windshield(cov).passed
    assert_fails_with(check.cov_windshield(np.diag([S2 / N, 1 / (2 * N)])), "not the sample variance s²")
    assert_fails_with(check.cov_windshield(np.diag([SIGMA_HAT2 / N, SIGMA_HAT2 / (2 * N)])), "variance of σ")
    assert_fails_with(check.cov_windshield(-np.linalg.inv(cov)), "Hessian H itself")
    assert_fails_with(check.cov_windshield(cov + [[0.0, 0.01], [0.0, 0.0]]), "not symmetric")


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
    assert check.nuts_diagnostics([1.001, 1.002], [950.0, 900.0]).passed
    assert_fails_with(check.nuts_diagnostics([1.05, 1.2], [950.0, 900.0]), "do not agree")
    assert_fails_with(check.nuts_diagnostics([1.0, 1.0], [150.0, 900.0]), "below 400")
    assert_fails_with(check.nuts_diagnostics([950.0, 900.0], [1.0, 1.0]), "swapped")


def test_nuts_beta_quantiles(grid_beta_quantiles, posterior_mode):
    assert check.nuts_beta_quantiles(grid_beta_quantiles, ess=900).passed
    assert check.nuts_beta_quantiles(grid_beta_quantiles, ess=[950.0, 900.0]).passed
    assert check.nuts_beta_quantiles(grid_beta_quantiles + [0.3, 0.3, 2.0], ess=900).passed  # within MC error
    laplace = posterior_mode.mode[1] + stats.norm.ppf([0.025, 0.5, 0.975]) * np.sqrt(posterior_mode.cov[1, 1])
    assert_fails_with(check.nuts_beta_quantiles(laplace, ess=900), "Laplace quantiles")
    assert_fails_with(check.nuts_beta_quantiles(grid_beta_quantiles[::-1], ess=900), "not increasing")
    assert_fails_with(
        check.nuts_beta_quantiles(grid_beta_quantiles + [0.0, 0.0, 10.0], ess=900), "97.5 % is too large"
    )
    assert_fails_with(
        check.nuts_beta_quantiles(grid_beta_quantiles, ess=float("nan")), "effective sample size"
    )


# --- no failure gives the answer away -------------------------------------------------------


def test_failures_never_show_the_reference(
    ref, posterior_mode, log_beta_fit, laplace_draws, grid_beta_quantiles, assert_no_leak
):
    mode, cov = posterior_mode.mode, posterior_mode.cov
    share = stats.norm.cdf(0.0, mode[1], np.sqrt(cov[1, 1]))
    mode_lb, info_lb = log_beta_fit
    cov_lb = np.linalg.inv(info_lb)
    q975 = np.exp(mode_lb[1] + stats.norm.ppf(0.975) * np.sqrt(cov_lb[1, 1]))
    old_q975 = mode[1] + stats.norm.ppf(0.975) * np.sqrt(cov[1, 1])
    prior_mode, prior_cov = prior_fit(ref, PRIOR_COV)
    correlated_mode, _ = prior_fit(ref, CORRELATED_PRIOR_COV)
    windshield_mode = np.array([Y.mean(), 0.5 * np.log(SIGMA_HAT2)])
    exact = np.sqrt((N - 1) * S2 / stats.chi2.ppf([0.975, 0.025], N - 1))
    laplace = np.sqrt(SIGMA_HAT2) * np.exp(stats.norm.ppf([0.025, 0.975]) / np.sqrt(2 * N))
    laplace_beta = mode[1] + stats.norm.ppf([0.025, 0.5, 0.975]) * np.sqrt(cov[1, 1])
    cases = [
        (check.beta_negative_share, 1 - share, [share]),
        (check.beta_negative_share, 0.0, [share]),
        (check.mode_log_beta, [mode[0], np.log(mode[1])], [mode_lb]),
        (check.mode_log_beta, [mode_lb[0], np.exp(mode_lb[1])], [mode_lb[1]]),
        (check.cov_log_beta, -info_lb, [cov_lb]),
        (check.cov_log_beta, info_lb, [cov_lb]),
        (check.beta_q975, old_q975, [q975]),
        (check.beta_q975, np.log(q975), [q975]),
        (check.mode_prior, mode, [prior_mode]),
        (check.cov_prior, PRIOR_COV, [prior_cov]),
        (check.cov_prior, -np.linalg.inv(prior_cov), [prior_cov]),
        (check.mode_correlated_prior, prior_fit(ref, np.diag([4.0, 100.0]))[0], [correlated_mode]),
        (check.mode_windshield, [Y.mean(), 0.5 * np.log(S2)], [windshield_mode[1], np.sqrt(SIGMA_HAT2)]),
        (check.cov_windshield, np.diag([S2 / N, 1 / (2 * N)]), [SIGMA_HAT2 / N]),
        (check.sigma_interval_exact, laplace, [exact]),
        (check.sigma_interval_laplace, exact, [laplace, np.log(laplace)]),
        (lambda answer: check.nuts_beta_quantiles(answer, ess=900), laplace_beta, [grid_beta_quantiles]),
    ]
    for function, answer, secrets in cases:
        assert_no_leak(function(answer), *secrets, answer=np.asarray(answer, dtype=float))
    alpha, beta = laplace_draws.T
    kept = beta > 0
    conditional = np.quantile(-alpha[kept] / beta[kept], [0.025, 0.25, 0.5, 0.75, 0.975])
    for answer in (-alpha / beta, alpha[kept] / beta[kept], -alpha[kept] / beta[kept] + 0.2):
        assert_no_leak(check.ld50_draws(answer), conditional)


def test_text_and_booleans_are_refused():
    assert_fails_with(check.beta_negative_share("0.05"), "without quotes")
    assert_fails_with(check.beta_negative_share(True), "boolean")
    assert_fails_with(check.ld50_draws(np.full(2000, "0.1")), "strings")
    assert_fails_with(check.ld50_draws(np.ones(2000, dtype=bool)), "booleans")
    assert_fails_with(check.beta_negative_share(-0.05), "not a share")


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
