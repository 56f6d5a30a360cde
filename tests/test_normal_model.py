"""The windshield normal model in (mu, log sigma): closed forms and scipy.stats references."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from scipy import stats

from bda_helpers import laplace, load_windshieldy, normal_model

#: The windshield hardness data, typed in independently of data/windshieldy1.txt.
Y = np.array([13.357, 14.928, 14.896, 15.297, 14.82, 12.067, 14.824, 13.865, 17.447])
N = Y.size
YBAR = Y.sum() / N
SIGMA_HAT2 = np.sum((Y - YBAR) ** 2) / N  # the mode's sigma², dividing by n
S2 = np.sum((Y - YBAR) ** 2) / (N - 1)  # the sample variance, dividing by n - 1


def ref_log_density(mu, log_sigma):
    """Normal log-likelihood from scipy.stats, + log sigma for the Jacobian of the 1/sigma prior.

    p(mu, sigma | y) ∝ sigma⁻¹ prod N(y_i | mu, sigma²); with tau = log sigma the Jacobian
    sigma cancels the prior, so the density of (mu, tau) is the likelihood itself.
    """
    return float(np.sum(stats.norm.logpdf(Y, mu, np.exp(log_sigma))))


def test_the_data_file_holds_the_typed_in_values():
    np.testing.assert_allclose(load_windshieldy(), Y, rtol=0, atol=0)


@pytest.mark.parametrize("point", [(14.6, 0.3), (10.0, -1.0), (20.0, 2.0)])
def test_log_posterior_is_the_likelihood_up_to_a_constant(point):
    constant = ref_log_density(YBAR, 0.0) - float(normal_model.log_posterior([YBAR, 0.0], Y))
    value = normal_model.log_posterior(point, Y)
    assert np.shape(value) == ()
    assert float(value) + constant == pytest.approx(ref_log_density(*point), rel=1e-12)


def test_log_posterior_broadcasts_over_draws_and_grids():
    mu, log_sigma = np.linspace(12, 17, 4), np.linspace(-0.5, 1.5, 3)
    grid = np.stack(np.meshgrid(mu, log_sigma, indexing="ij"), axis=-1)
    values = normal_model.log_posterior(grid, Y)
    assert values.shape == (4, 3)
    constant = ref_log_density(YBAR, 0.0) - float(normal_model.log_posterior([YBAR, 0.0], Y))
    expected = [[ref_log_density(m, t) - constant for t in log_sigma] for m in mu]
    np.testing.assert_allclose(values, expected, rtol=1e-12)
    assert normal_model.log_posterior(grid.reshape(-1, 2), Y).shape == (12,)


def test_an_overflowing_point_in_a_batch_is_named():
    with pytest.raises(ValueError, match=r"log posterior overflows at mu=14\.0, log_sigma=-400\.0: sigma"):
        normal_model.log_posterior([[14.0, 0.0], [14.0, -400.0]], Y)
    with pytest.raises(ValueError, match=r"Hessian overflows at mu=14\.0, log_sigma=-400\.0"):
        normal_model.hessian([14.0, -400.0], Y)


@pytest.mark.parametrize("point", [(14.6, 0.3), (10.0, -1.0), (20.0, 2.0)])
def test_gradient_matches_central_differences_of_the_reference(point):
    h = 1e-5
    point = np.array(point)
    grad = np.array(
        [(ref_log_density(*(point + e)) - ref_log_density(*(point - e))) / (2 * h) for e in np.eye(2) * h]
    )
    np.testing.assert_allclose(normal_model.gradient(point, Y), grad, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("point", [(14.6, 0.3), (10.0, -1.0), (20.0, 2.0)])
def test_hessian_matches_second_differences_of_the_reference(point):
    # Second differences of the scipy.stats reference density alone (never the package's
    # gradient): diagonal (f(+) - 2 f(0) + f(-)) / h², off-diagonal the four-point formula.
    h = 1e-3
    point = np.array(point)
    e0, e1 = np.eye(2) * h

    def f(offset):
        return ref_log_density(*(point + offset))

    centre = f(0.0)
    expected = np.empty((2, 2))
    expected[0, 0] = (f(e0) - 2 * centre + f(-e0)) / h**2
    expected[1, 1] = (f(e1) - 2 * centre + f(-e1)) / h**2
    expected[0, 1] = expected[1, 0] = (f(e0 + e1) - f(e0 - e1) - f(e1 - e0) + f(-e0 - e1)) / (4 * h**2)
    got = normal_model.hessian(point, Y)
    # Truncation error ~ h² times fourth derivatives, round-off ~ eps |f| / h²: both far
    # below 1e-5 of the largest entry here.
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5 * np.abs(expected).max())
    assert got[0, 1] == got[1, 0]


def test_hessian_at_the_mode_is_the_closed_form():
    # At (ybar, log sigma_hat): -n / sigma_hat² for mu, -2n for log sigma, and no cross term.
    mode = [YBAR, 0.5 * np.log(SIGMA_HAT2)]
    np.testing.assert_allclose(
        normal_model.hessian(mode, Y), [[-N / SIGMA_HAT2, 0.0], [0.0, -2.0 * N]], rtol=1e-12, atol=1e-12
    )


def test_laplace_gives_the_closed_form_mode_and_covariance():
    fit = laplace(
        partial(normal_model.gradient, y=Y),
        [10.0, 0.0],
        hessian=partial(normal_model.hessian, y=Y),
        log_density=partial(normal_model.log_posterior, y=Y),
    )
    np.testing.assert_allclose(fit.mode, [YBAR, 0.5 * np.log(SIGMA_HAT2)], rtol=1e-12)
    np.testing.assert_allclose(fit.cov, np.diag([SIGMA_HAT2 / N, 1 / (2 * N)]), rtol=1e-10, atol=1e-14)


def test_exact_marginals_are_student_t_and_scaled_inverse_chi2():
    mu = normal_model.exact_marginal_mu(Y)
    sigma2 = normal_model.exact_marginal_sigma2(Y)
    # Student-t: ybar + s / sqrt(n) * T_{n-1}
    for q in (0.025, 0.5, 0.9):
        assert mu.ppf(q) == pytest.approx(YBAR + np.sqrt(S2 / N) * stats.t.ppf(q, N - 1), rel=1e-12)
    # Scaled inverse chi-square: (n - 1) s² / X with X ~ chi²(n - 1)
    for q in (0.025, 0.5, 0.975):
        assert sigma2.ppf(q) == pytest.approx((N - 1) * S2 / stats.chi2.ppf(1 - q, N - 1), rel=1e-10)


def test_exact_sampler_matches_the_analytic_marginals():
    draws = normal_model.sample_exact(Y, 200_000, np.random.default_rng(3))
    assert draws.mu.shape == draws.sigma.shape == (200_000,)
    # mu: Student-t with n - 1 = 8 dof, variance s²/n * 8/6
    t_var = S2 / N * (N - 1) / (N - 3)
    assert draws.mu.mean() == pytest.approx(YBAR, abs=5 * np.sqrt(t_var / 200_000))
    assert draws.mu.var() == pytest.approx(t_var, rel=0.02)
    # sigma²: Inv-chi²(8, s²) has mean 8 s² / 6
    assert (draws.sigma**2).mean() == pytest.approx((N - 1) * S2 / (N - 3), rel=0.02)
    # Whole distributions, by Kolmogorov-Smirnov against scipy's CDFs.
    t_cdf = stats.t(N - 1, loc=YBAR, scale=np.sqrt(S2 / N)).cdf
    assert stats.kstest(draws.mu, t_cdf).pvalue > 1e-3
    chi2_cdf = stats.chi2(N - 1).cdf
    assert stats.kstest(draws.sigma**2, lambda v: 1 - chi2_cdf((N - 1) * S2 / v)).pvalue > 1e-3


def test_exact_sampler_is_reproducible_with_a_seeded_generator():
    first = normal_model.sample_exact(Y, 5, np.random.default_rng(7))
    second = normal_model.sample_exact(Y, 5, np.random.default_rng(7))
    np.testing.assert_array_equal(first.mu, second.mu)
    np.testing.assert_array_equal(first.sigma, second.sigma)


@pytest.mark.parametrize(
    ("call", "exception", "message"),
    [
        (lambda: normal_model.log_posterior([0.0, 0.0], [1.0]), ValueError, "at least two"),
        (lambda: normal_model.log_posterior([0.0, 0.0], [1.0, np.nan]), ValueError, "finite"),
        (
            lambda: normal_model.log_posterior([0.0, np.nan], Y),
            ValueError,
            r"theta must be finite, got \[0\.0, nan\]",
        ),
        (lambda: normal_model.log_posterior(np.zeros((3, 1)), Y), ValueError, r"shape \(\.\.\., 2\)"),
        (lambda: normal_model.log_posterior(0.0, Y), ValueError, r"\(mu, log_sigma\) with shape \(2,\)"),
        (
            lambda: normal_model.gradient([0.0, 0.0], [2.0, 2.0]),
            ValueError,
            "all measurements in y are equal",
        ),
        (lambda: normal_model.hessian([0.0], Y), ValueError, r"shape \(2,\)"),
        (lambda: normal_model.gradient([np.inf, 0.0], Y), ValueError, "must be finite"),
        (lambda: normal_model.sample_exact(Y, 0, np.random.default_rng(0)), ValueError, "must be at least 1"),
        (lambda: normal_model.sample_exact(Y, 5, 42), TypeError, "numpy.random.Generator"),
    ],
)
def test_bad_input_is_refused(call, exception, message):
    with pytest.raises(exception, match=message):
        call()
