"""The bioassay model against references computed here from first principles."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, special, stats

from bda_helpers import bioassay, laplace, newton
from bda_helpers.bioassay import NormalPrior

POINTS = [(0.0, 0.0), (0.8466, 7.7488), (-2.0, 3.0), (4.0, 25.0), (1.0, -5.0), (6.0, 35.0)]

#: A correlated prior, so the off-diagonal precision term is exercised too.
PRIOR_MEAN = np.array([0.0, 10.0])
PRIOR_COV = np.array([[4.0, 3.0], [3.0, 100.0]])


def binomial_log_likelihood(alpha, beta, ref):
    """Full binomial log-likelihood (with coefficients) from scipy.stats.binom."""
    alpha = np.asarray(alpha, dtype=float)[..., None]
    beta = np.asarray(beta, dtype=float)[..., None]
    p = special.expit(alpha + beta * ref.X)
    return stats.binom.logpmf(ref.Y, ref.N, p).sum(axis=-1)


def log_binomial_coefficients(ref) -> float:
    return float(np.sum(np.log(special.comb(ref.N, ref.Y, exact=False))))


# --- log density ------------------------------------------------------------------------


def test_log_posterior_equals_binomial_logpmf_up_to_the_binomial_coefficients(data, ref):
    constant = log_binomial_coefficients(ref)
    assert constant == pytest.approx(np.log(1 * 5 * 10 * 1))  # C(5,0) C(5,1) C(5,3) C(5,5)
    for alpha, beta in POINTS:
        full = binomial_log_likelihood(alpha, beta, ref)
        ours = bioassay.log_posterior(alpha, beta, data)
        assert np.shape(ours) == ()
        assert full - ours == pytest.approx(constant, abs=1e-9)
        assert bioassay.log_likelihood(alpha, beta, data) == ours  # flat prior: identical


def test_log_posterior_on_a_grid_broadcasts_and_differs_by_a_constant(data, ref):
    alpha = np.linspace(-4, 8, 13)
    beta = np.linspace(-10, 40, 11)
    values = bioassay.log_posterior(alpha[:, None], beta, data)
    assert values.shape == (13, 11)

    full = binomial_log_likelihood(alpha[:, None], beta[None, :], ref)
    difference = full - values
    # Constant over the grid (binomial coefficients only). Tolerance: scipy evaluates
    # log(1 - p) from p = expit(eta) rounded to double, which near eta = 16.6 (the
    # largest on this grid with y < n) costs ~1e-9 relative in 1 - p.
    assert np.ptp(difference) < 1e-7
    assert np.allclose(difference, log_binomial_coefficients(ref), atol=1e-7)

    # The same values from a meshgrid, a row, a column and one point.
    a_mesh, b_mesh = np.meshgrid(alpha, beta, indexing="ij")
    assert np.array_equal(bioassay.log_posterior(a_mesh, b_mesh, data), values)
    assert bioassay.log_posterior(alpha, beta[3], data).shape == (13,)
    assert np.allclose(bioassay.log_posterior(alpha, beta[3], data), values[:, 3], rtol=0, atol=1e-12)
    assert bioassay.log_posterior(alpha[2], beta[None, :], data).shape == (1, 11)
    assert float(bioassay.log_posterior(alpha[2], beta[4], data)) == pytest.approx(values[2, 4], abs=1e-12)

    # Against the independent log_expit implementation too, on a grid of other lengths.
    alpha2, beta2 = np.linspace(-3, 5, 7), np.linspace(-5, 30, 9)
    got = bioassay.log_posterior(alpha2[:, None], beta2, data)
    assert got.shape == (7, 9)
    assert np.allclose(got, ref.log_likelihood(alpha2[:, None], beta2), rtol=1e-12, atol=1e-10)


def test_log_posterior_with_normal_prior_matches_scipy_multivariate_normal(data, ref):
    prior = NormalPrior(mean=PRIOR_MEAN, cov=PRIOR_COV)
    # log N(theta; m, S) = -log(2 pi) - 1/2 log|S| - 1/2 quadratic form; the package drops
    # the first two terms, and the likelihood drops the binomial coefficients.
    constant = log_binomial_coefficients(ref) - np.log(2 * np.pi) - 0.5 * np.log(np.linalg.det(PRIOR_COV))
    mvn = stats.multivariate_normal(mean=PRIOR_MEAN, cov=PRIOR_COV)
    differences = []
    for alpha, beta in POINTS:
        full = binomial_log_likelihood(alpha, beta, ref) + mvn.logpdf([alpha, beta])
        differences.append(full - bioassay.log_posterior(alpha, beta, data, prior))
    assert np.allclose(differences, constant, rtol=0, atol=1e-9)

    # Grid: broadcasting with the prior, against the hand-written prior density.
    alpha, beta = np.linspace(-4, 8, 5), np.linspace(-10, 40, 8)
    got = bioassay.log_posterior(alpha[:, None], beta, data, prior)
    assert got.shape == (5, 8)
    expected = ref.log_likelihood(alpha[:, None], beta) + ref.log_prior(
        alpha[:, None], beta, PRIOR_MEAN, PRIOR_COV
    )
    assert np.allclose(got, expected, rtol=1e-12, atol=1e-9)
    # The prior shifts the log density by exactly its log density.
    assert np.allclose(
        got - bioassay.log_posterior(alpha[:, None], beta, data), prior.log_density(alpha[:, None], beta)
    )


# --- numerical stability ----------------------------------------------------------------

EXTREME = [(1e6, 1e6), (1e6, -1e6), (-1e6, 1e6), (-1e6, -1e6), (0.0, 1e6), (1e6, 0.0), (-1e6, 0.0)]


@pytest.mark.parametrize("alpha, beta", EXTREME)
def test_extreme_logits_give_the_analytic_limit(data, ref, alpha, beta):
    eta = alpha + beta * ref.X
    assert np.all(np.abs(eta) > 1e4)  # e^-|eta| underflows: the limit is exact in floats
    # eta -> +inf: log p -> 0, log(1 - p) ~ -eta;  eta -> -inf: log p ~ eta, log(1 - p) -> 0.
    log_p = np.where(eta > 0, 0.0, eta)
    log_1mp = np.where(eta > 0, -eta, 0.0)
    expected = float(np.sum(ref.Y * log_p + (ref.N - ref.Y) * log_1mp))
    value = bioassay.log_posterior(alpha, beta, data)
    assert np.isfinite(value)
    assert float(value) == pytest.approx(expected, rel=1e-12)

    # Gradient and Hessian stay finite too: p is exactly 0 or 1 there.
    p = (eta > 0).astype(float)
    residual = ref.Y - ref.N * p
    assert np.array_equal(bioassay.gradient([alpha, beta], data), [residual.sum(), residual @ ref.X])
    assert np.array_equal(bioassay.hessian([alpha, beta], data), np.zeros((2, 2)))


def test_extreme_logits_on_a_grid_are_finite(data):
    alpha = np.array([-1e6, -1e3, 0.0, 1e3, 1e6])
    values = bioassay.log_posterior(alpha[:, None], alpha, data)
    assert values.shape == (5, 5) and np.all(np.isfinite(values))
    assert np.all(values <= 0)  # a binomial probability without its coefficient is <= 1


# --- gradient and Hessian ---------------------------------------------------------------


def central_gradient(f, theta, h=1e-5):
    theta = np.asarray(theta, dtype=float)
    return np.array([(f(theta + h * e) - f(theta - h * e)) / (2 * h) for e in np.eye(theta.size)])


def central_second_differences(f, theta, h=1e-4):
    theta = np.asarray(theta, dtype=float)
    e = np.eye(theta.size) * h
    hess = np.empty((theta.size, theta.size))
    for i in range(theta.size):
        for j in range(theta.size):
            hess[i, j] = (
                f(theta + e[i] + e[j])
                - f(theta + e[i] - e[j])
                - f(theta - e[i] + e[j])
                + f(theta - e[i] - e[j])
            ) / (4 * h * h)
    return hess


@pytest.mark.parametrize("theta", POINTS)
@pytest.mark.parametrize("with_prior", [False, True])
def test_gradient_and_hessian_match_independent_formulas(data, ref, theta, with_prior):
    prior = NormalPrior(mean=PRIOR_MEAN, cov=PRIOR_COV) if with_prior else None
    extra = dict(prior_mean=PRIOR_MEAN, prior_cov=PRIOR_COV) if with_prior else {}
    grad = bioassay.gradient(theta, data, prior)
    hess = bioassay.hessian(theta, data, prior)
    assert grad.shape == (2,) and hess.shape == (2, 2)
    assert np.allclose(grad, ref.gradient(theta, **extra), rtol=1e-12, atol=1e-12)
    expected_hess = ref.hessian(theta, prior_cov=PRIOR_COV) if with_prior else ref.hessian(theta)
    assert np.allclose(hess, expected_hess, rtol=1e-12, atol=1e-12)
    assert np.allclose(hess, hess.T, rtol=1e-14, atol=0)  # symmetric up to rounding
    assert np.all(np.linalg.eigvalsh(hess) < 0)  # strictly concave: doses differ


@pytest.mark.parametrize("theta", POINTS)
def test_gradient_and_hessian_match_finite_differences_of_the_log_posterior(data, theta):
    def f(t):
        return float(bioassay.log_posterior(t[0], t[1], data))

    grad = bioassay.gradient(theta, data)
    # Forward differences (scipy): error ~ h |H| / 2 + 2 eps |f| / h ~ 1e-6 at h = 1e-7.
    assert np.allclose(optimize.approx_fprime(np.asarray(theta, float), f, 1e-7), grad, rtol=1e-5, atol=1e-5)
    # Central differences: error ~ h^2 |f'''| / 6 + eps |f| / h ~ 1e-9.
    assert np.allclose(central_gradient(f, theta), grad, rtol=1e-7, atol=1e-7)
    # Second differences of the log density: error ~ h^2 |f''''| / 12 + eps |f| / h^2 ~ 1e-7.
    hess = bioassay.hessian(theta, data)
    assert np.allclose(central_second_differences(f, theta), hess, rtol=1e-5, atol=1e-5)
    # And the Hessian is the Jacobian of the gradient.
    jac = np.array(
        [
            optimize.approx_fprime(
                np.asarray(theta, float), lambda t, k=k: bioassay.gradient(t, data)[k], 1e-7
            )
            for k in range(2)
        ]
    )
    assert np.allclose(jac, hess, rtol=1e-5, atol=1e-5)


# --- the mode and the normal approximation ----------------------------------------------


def test_reference_mode_solves_the_score_equations(ref, posterior_mode):
    mode = posterior_mode.mode
    p = special.expit(mode[0] + mode[1] * ref.X)
    residual = ref.Y - ref.N * p
    assert abs(residual.sum()) < 1e-12
    assert abs(residual @ ref.X) < 1e-12


def test_mode_from_laplace_and_newton_matches_the_root_of_the_score(data, posterior_mode):
    expected = posterior_mode.mode

    def grad(t):
        return bioassay.gradient(t, data)

    def hess(t):
        return bioassay.hessian(t, data)

    def logf(t):
        return float(bioassay.log_posterior(t[0], t[1], data))

    result = newton(grad, hess, [0.0, 0.0])
    assert np.allclose(result.mode, expected, rtol=0, atol=1e-8)
    guarded = newton(grad, hess, [0.0, 0.0], log_density=logf)
    assert np.allclose(guarded.mode, expected, rtol=0, atol=1e-8)
    for approx in (
        laplace(grad, [0.0, 0.0]),  # finite-difference Hessian
        laplace(grad, [0.0, 0.0], hessian=hess, log_density=logf),
    ):
        assert np.allclose(approx.mode, expected, rtol=0, atol=1e-8)
    # BDA3 §4.1 / the course's numbers, to 4 decimals.
    assert np.round(expected, 4).tolist() == [0.8466, 7.7488]
    assert np.round(result.mode, 4).tolist() == [0.8466, 7.7488]


def test_laplace_covariance_is_the_inverse_observed_information(data, ref, posterior_mode):
    cov = posterior_mode.cov
    # Sanity of the reference itself: inverse of the information computed by hand.
    info = ref.information(posterior_mode.mode)
    assert np.allclose(cov @ info, np.eye(2), atol=1e-12)

    fd = laplace(lambda t: bioassay.gradient(t, data), [0.0, 0.0])
    analytic = laplace(
        lambda t: bioassay.gradient(t, data), [0.0, 0.0], hessian=lambda t: bioassay.hessian(t, data)
    )
    assert np.allclose(fd.cov, cov, rtol=1e-6, atol=0)
    assert np.allclose(analytic.cov, cov, rtol=1e-10, atol=0)

    assert np.round(cov[0, 0], 3) == 1.039
    assert np.round(cov[0, 1], 3) == 3.546
    assert np.round(cov[1, 0], 3) == 3.546
    assert np.round(cov[1, 1], 2) == 23.74
    assert np.round(fd.cov, 3)[:, 0].tolist() == [1.039, 3.546]
    assert np.round(fd.cov[1, 1], 2) == 23.74

    sd = np.sqrt(np.diag(cov))
    corr = cov[0, 1] / (sd[0] * sd[1])
    assert np.round(sd, 2).tolist() == [1.02, 4.87]
    assert np.round(corr, 2) == 0.71
    assert np.allclose(fd.sd, sd, rtol=1e-6)
    assert np.allclose(fd.corr, [[1.0, corr], [corr, 1.0]], rtol=1e-6)


def test_laplace_log_evidence_of_the_bioassay_posterior(data, ref, posterior_mode):
    approx = laplace(
        lambda t: bioassay.gradient(t, data),
        [0.0, 0.0],
        hessian=lambda t: bioassay.hessian(t, data),
        log_density=lambda t: float(bioassay.log_posterior(t[0], t[1], data)),
    )
    mode, cov = posterior_mode.mode, posterior_mode.cov
    expected = float(ref.log_likelihood(*mode)) + np.log(2 * np.pi) + 0.5 * np.log(np.linalg.det(cov))
    assert approx.log_evidence == pytest.approx(expected, rel=0, abs=1e-9)


# --- Newton's trace ---------------------------------------------------------------------


def test_newton_converges_quadratically_from_the_origin(data, posterior_mode):
    result = newton(lambda t: bioassay.gradient(t, data), lambda t: bioassay.hessian(t, data), [0.0, 0.0])
    trace = result.trace
    k = result.n_iter
    assert 1 <= k <= 10

    # Consistent shapes: one row per iterate, row 0 the start.
    assert trace.theta.shape == (k + 1, 2)
    for column in (trace.log_density, trace.grad_norm, trace.step_norm, trace.step_scale, trace.shifted):
        assert column.shape == (k + 1,)
    assert trace.theta[0].tolist() == [0.0, 0.0]
    assert np.array_equal(trace.theta[-1], result.mode)
    assert np.all(np.isnan(trace.log_density))  # no log density supplied
    assert trace.step_norm[0] == 0 and trace.step_scale[0] == 0
    assert np.all(trace.step_scale[1:] == 1.0)  # full Newton steps
    assert np.allclose(trace.step_norm[1:], np.linalg.norm(np.diff(trace.theta, axis=0), axis=1))
    assert not trace.shifted.any()  # the bioassay log posterior is concave everywhere
    assert trace.grad_norm[0] == pytest.approx(np.hypot(-1.0, 4.4))  # residuals y - n/2 at (0, 0)
    assert trace.grad_norm[-1] <= 1e-10

    # Quadratic convergence: once close (|g| < 1e-2) and above round-off (|g_next| > 1e-13),
    # each step roughly squares the gradient norm, i.e. doubles log10 |g|.
    g = trace.grad_norm
    pairs = [(g[i], g[i + 1]) for i in range(k) if g[i] < 1e-2 and g[i + 1] > 1e-13]
    assert len(pairs) >= 2
    for before, after in pairs:
        assert np.log10(after) / np.log10(before) > 1.6
        assert after < 10 * before**2
    # The last steps shrink quadratically as well (measured: 1.2e-3, then 2.2e-7).
    s = trace.step_norm
    assert s[-1] < 10 * s[-2] ** 2 and s[-1] < 1e-5


def test_newton_trace_with_log_density_is_monotone(data, ref, posterior_mode):
    result = newton(
        lambda t: bioassay.gradient(t, data),
        lambda t: bioassay.hessian(t, data),
        [0.0, 0.0],
        log_density=lambda t: float(bioassay.log_posterior(t[0], t[1], data)),
    )
    values = result.trace.log_density
    assert np.all(np.isfinite(values))
    # Rising at every step, up to the rounding error of the log density in the last one.
    assert np.all(np.diff(values) >= -1e-12)
    assert np.all(np.diff(values)[:-1] > 0)
    assert result.n_iter <= 10
    assert values[-1] == pytest.approx(float(ref.log_likelihood(*posterior_mode.mode)), abs=1e-12)
    assert values[0] == pytest.approx(20 * np.log(0.5))  # p = 1/2 everywhere at the origin


def test_model_functions_match_the_reference_with_and_without_a_prior(data, ref):
    prior = bioassay.NormalPrior(mean=[0.0, 10.0], cov=[[4.0, 1.0], [1.0, 10.0]])
    theta = np.array([0.3, 5.0])
    plain, with_prior = bioassay.model_functions(data), bioassay.model_functions(data, prior)
    assert plain.log_density(theta) - plain.log_density([0.0, 0.0]) == pytest.approx(
        ref.log_likelihood(*theta) - ref.log_likelihood(0.0, 0.0)
    )
    assert plain.gradient(theta) == pytest.approx(ref.gradient(theta))
    assert with_prior.gradient(theta) == pytest.approx(
        ref.gradient(theta, prior_mean=prior.mean, prior_cov=prior.cov)
    )
    assert with_prior.hessian(theta) == pytest.approx(-ref.information(theta, prior_cov=prior.cov))


def test_laplace_fit_is_the_reference_mode_and_inverse_information(data, ref):
    approx = bioassay.laplace_fit(data)
    mode = ref.mode()
    assert approx.mode == pytest.approx(mode, abs=1e-8)
    assert approx.cov == pytest.approx(np.linalg.inv(ref.information(mode)), rel=1e-8)


def test_grid_posterior_is_the_course_grid_normalised(data, ref):
    grid = bioassay.grid_posterior(data)
    assert grid.mass.shape == (240, 360)
    assert (grid.alpha[0], grid.alpha[-1], grid.beta[0], grid.beta[-1]) == (-4.0, 8.0, -10.0, 40.0)
    log_mass = ref.log_likelihood(grid.alpha[:, None], grid.beta[None, :])
    expected = np.exp(log_mass - log_mass.max())
    assert grid.mass == pytest.approx(expected / expected.sum(), rel=1e-9, abs=1e-300)
