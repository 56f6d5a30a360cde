"""The bioassay model against references computed here from first principles.

Conventions: every model function takes ``theta = (alpha, beta)`` first, on the last axis,
and broadcasts over leading axes. References are scipy.stats.binom, the conftest model
(log_expit, explicit sums), scipy's root finder and linear programming.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy import optimize, special, stats

from bda_helpers import BioassayData, bioassay, laplace, newton
from bda_helpers.bioassay import ImproperPosteriorError, NormalPrior, is_separable

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


def stacked(alpha, beta) -> np.ndarray:
    """Points (alpha, beta) broadcast against each other and stacked on a last axis."""
    return np.stack(np.broadcast_arrays(np.asarray(alpha, float), np.asarray(beta, float)), axis=-1)


# --- log density ------------------------------------------------------------------------


def test_log_posterior_equals_binomial_logpmf_up_to_the_binomial_coefficients(data, ref):
    constant = log_binomial_coefficients(ref)
    assert constant == pytest.approx(np.log(1 * 5 * 10 * 1))  # C(5,0) C(5,1) C(5,3) C(5,5)
    for alpha, beta in POINTS:
        full = binomial_log_likelihood(alpha, beta, ref)
        ours = bioassay.log_posterior([alpha, beta], data)
        assert np.shape(ours) == ()
        assert full - ours == pytest.approx(constant, abs=1e-9)
        assert bioassay.log_likelihood([alpha, beta], data) == ours  # flat prior: identical


def test_log_posterior_on_a_grid_broadcasts_and_differs_by_a_constant(data, ref):
    alpha = np.linspace(-4, 8, 13)
    beta = np.linspace(-10, 40, 11)
    values = bioassay.log_posterior(stacked(alpha[:, None], beta), data)
    assert values.shape == (13, 11)

    full = binomial_log_likelihood(alpha[:, None], beta[None, :], ref)
    difference = full - values
    # Constant over the grid (binomial coefficients only). Tolerance: scipy evaluates
    # log(1 - p) from p = expit(eta) rounded to double, which near eta = 16.6 (the
    # largest on this grid with y < n) costs ~1e-9 relative in 1 - p.
    assert np.ptp(difference) < 1e-7
    assert np.allclose(difference, log_binomial_coefficients(ref), atol=1e-7)

    # The same values from a meshgrid, a row, a column and one point.
    mesh = np.stack(np.meshgrid(alpha, beta, indexing="ij"), axis=-1)
    assert np.array_equal(bioassay.log_posterior(mesh, data), values)
    assert bioassay.log_posterior(stacked(alpha, beta[3]), data).shape == (13,)
    assert np.allclose(
        bioassay.log_posterior(stacked(alpha, beta[3]), data), values[:, 3], rtol=0, atol=1e-12
    )
    assert bioassay.log_posterior(stacked(alpha[2], beta[None, :]), data).shape == (1, 11)
    assert float(bioassay.log_posterior([alpha[2], beta[4]], data)) == pytest.approx(values[2, 4], abs=1e-12)

    # Against the independent log_expit implementation too, on a grid of other lengths.
    alpha2, beta2 = np.linspace(-3, 5, 7), np.linspace(-5, 30, 9)
    got = bioassay.log_posterior(stacked(alpha2[:, None], beta2), data)
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
        differences.append(full - bioassay.log_posterior([alpha, beta], data, prior))
    assert np.allclose(differences, constant, rtol=0, atol=1e-9)

    # Grid: broadcasting with the prior, against the hand-written prior density.
    alpha, beta = np.linspace(-4, 8, 5), np.linspace(-10, 40, 8)
    grid = stacked(alpha[:, None], beta)
    got = bioassay.log_posterior(grid, data, prior)
    assert got.shape == (5, 8)
    expected = ref.log_likelihood(alpha[:, None], beta) + ref.log_prior(
        alpha[:, None], beta, PRIOR_MEAN, PRIOR_COV
    )
    assert np.allclose(got, expected, rtol=1e-12, atol=1e-9)
    # The prior shifts the log density by exactly its log density.
    assert np.allclose(got - bioassay.log_posterior(grid, data), prior.log_density(grid))
    assert prior.log_density(grid).shape == (5, 8) and np.shape(prior.log_density([0.0, 10.0])) == ()


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
    value = bioassay.log_posterior([alpha, beta], data)
    assert np.isfinite(value)
    assert float(value) == pytest.approx(expected, rel=1e-12)

    # Gradient and Hessian stay finite too: p is exactly 0 or 1 there.
    p = (eta > 0).astype(float)
    residual = ref.Y - ref.N * p
    assert np.array_equal(bioassay.gradient([alpha, beta], data), [residual.sum(), residual @ ref.X])
    assert np.array_equal(bioassay.hessian([alpha, beta], data), np.zeros((2, 2)))


def test_extreme_logits_on_a_grid_are_finite(data):
    alpha = np.array([-1e6, -1e3, 0.0, 1e3, 1e6])
    values = bioassay.log_posterior(stacked(alpha[:, None], alpha), data)
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
    extra = {"prior_mean": PRIOR_MEAN, "prior_cov": PRIOR_COV} if with_prior else {}
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
        return float(bioassay.log_posterior(t, data))

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
    model = bioassay.model_functions(data)
    grad, hess, logf = model.gradient, model.hessian, model.log_density

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

    model = bioassay.model_functions(data)
    fd = laplace(model.gradient, [0.0, 0.0])
    analytic = laplace(model.gradient, [0.0, 0.0], hessian=model.hessian)
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
    model = bioassay.model_functions(data)
    approx = laplace(model.gradient, [0.0, 0.0], hessian=model.hessian, log_density=model.log_density)
    mode, cov = posterior_mode.mode, posterior_mode.cov
    expected = float(ref.log_likelihood(*mode)) + np.log(2 * np.pi) + 0.5 * np.log(np.linalg.det(cov))
    assert approx.log_evidence == pytest.approx(expected, rel=0, abs=1e-9)


# --- Newton's trace ---------------------------------------------------------------------


def test_newton_converges_quadratically_from_the_origin(data, posterior_mode):
    model = bioassay.model_functions(data)
    result = newton(model.gradient, model.hessian, [0.0, 0.0])
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
    model = bioassay.model_functions(data)
    result = newton(model.gradient, model.hessian, [0.0, 0.0], log_density=model.log_density)
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
    assert grid.mass.shape == (500, 1500) and grid.names == ("alpha", "beta")
    alpha, beta = grid.axis("alpha"), grid.axis("beta")
    assert (alpha[0], alpha[-1], beta[0], beta[-1]) == (-5.0, 12.0, -10.0, 100.0)
    log_mass = ref.log_likelihood(alpha[:, None], beta[None, :])
    expected = np.exp(log_mass - log_mass.max())
    assert grid.mass == pytest.approx(expected / expected.sum(), rel=1e-9, abs=1e-300)


# --- broadcasting and the model functions -----------------------------------------------


def test_model_functions_log_density_takes_one_point_draws_and_a_grid(data, ref):
    model = bioassay.model_functions(data)
    draws = np.random.default_rng(5).normal([1.0, 10.0], [2.0, 8.0], size=(7, 2))
    alpha, beta = np.linspace(-3, 5, 4), np.linspace(-5, 30, 6)
    grid = np.stack(np.meshgrid(alpha, beta, indexing="ij"), axis=-1)
    one = model.log_density([0.3, 5.0])
    assert np.shape(one) == () and float(one) == pytest.approx(ref.log_likelihood(0.3, 5.0), rel=1e-12)
    on_draws = model.log_density(draws)
    assert on_draws.shape == (7,)
    np.testing.assert_allclose(on_draws, ref.log_likelihood(draws[:, 0], draws[:, 1]), rtol=1e-12)
    on_grid = model.log_density(grid)
    assert on_grid.shape == (4, 6)
    np.testing.assert_allclose(on_grid, ref.log_likelihood(alpha[:, None], beta), rtol=1e-12)
    assert model.gradient(draws).shape == (7, 2) and model.hessian(grid).shape == (4, 6, 2, 2)


@pytest.mark.parametrize("with_prior", [False, True])
def test_batched_hessian_matches_a_loop_over_points(data, ref, with_prior):
    prior = NormalPrior(mean=PRIOR_MEAN, cov=PRIOR_COV) if with_prior else None
    extra = {"prior_cov": PRIOR_COV} if with_prior else {}
    points = np.random.default_rng(12).normal([1.0, 10.0], [3.0, 15.0], size=(3, 5, 2))
    batched = bioassay.hessian(points, data, prior)
    assert batched.shape == (3, 5, 2, 2)
    looped = np.array([[bioassay.hessian(point, data, prior) for point in row] for row in points])
    np.testing.assert_allclose(batched, looped, rtol=1e-13, atol=1e-13)
    expected = np.array([[ref.hessian(point, **extra) for point in row] for row in points])
    np.testing.assert_allclose(batched, expected, rtol=1e-12, atol=1e-12)
    assert bioassay.hessian(np.zeros((0, 2)), data).shape == (0, 2, 2)


def test_prior_log_density_broadcasts_and_takes_theta_first():
    prior = NormalPrior(mean=PRIOR_MEAN, cov=PRIOR_COV)
    points = np.array([[[0.0, 10.0], [1.0, 12.0]], [[-2.0, 0.0], [3.0, 30.0]]])
    expected = stats.multivariate_normal(PRIOR_MEAN, PRIOR_COV).logpdf(points) - stats.multivariate_normal(
        PRIOR_MEAN, PRIOR_COV
    ).logpdf(PRIOR_MEAN)
    np.testing.assert_allclose(prior.log_density(points), expected, rtol=1e-12, atol=1e-12)
    assert float(prior.log_density(PRIOR_MEAN)) == 0.0


# --- refusing points that floating point cannot represent ---------------------------------


@pytest.mark.parametrize("function", [bioassay.log_posterior, bioassay.log_likelihood])
def test_an_overflowing_logit_is_refused_naming_the_point(data, function):
    # alpha + beta * x_i overflows to inf at x_i = 0.73, and y * inf - n * inf is NaN: refused.
    with pytest.raises(
        ValueError, match=r"overflows at alpha=1e\+308, beta=1e\+308.*too large for floating point"
    ):
        function([1e308, 1e308], data)
    # In a batch, the first such point is named.
    with pytest.raises(ValueError, match=r"overflows at alpha=-1e\+308, beta=1e\+308"):
        function([[0.0, 0.0], [-1e308, 1e308], [1e308, 1e308]], data)


def test_an_overflowing_prior_is_refused_naming_the_point(data):
    prior = NormalPrior(mean=PRIOR_MEAN, cov=PRIOR_COV)
    # (1e200)² overflows: the log prior would be -inf (or NaN once the cross term is added).
    with pytest.raises(ValueError, match=r"overflows at alpha=1e\+200, beta=0\.0"):
        bioassay.log_posterior([1e200, 0.0], data, prior)
    with pytest.raises(
        ValueError, match=r"prior's log density overflows at \(alpha, beta\)=\[1e\+200, 0\.0\]"
    ):
        prior.log_density([1e200, 0.0])
    # Large but representable: finite.
    assert np.isfinite(bioassay.log_posterior([1e100, 0.0], data, prior))


@pytest.mark.parametrize(
    ("theta", "message"),
    [
        ([0.0, np.nan], r"theta must be finite, got \[0\.0, nan\]"),
        ([[0.0, 1.0], [np.inf, 0.0]], r"theta must be finite, got \[inf, 0\.0\] at index \(1,\)"),
        ([0.0, 1.0, 2.0], r"theta must be \(alpha, beta\) with shape \(2,\), got shape \(3,\)"),
        (np.zeros((4, 3)), r"shape \(\.\.\., 2\), got shape \(4, 3\)"),
        (0.5, r"shape \(2,\), got shape \(\)"),
    ],
)
def test_bad_points_are_refused_by_the_density(data, theta, message):
    for function in (bioassay.log_posterior, bioassay.log_likelihood):
        with pytest.raises(ValueError, match=message):
            function(theta, data)


# --- separation and improper posteriors ---------------------------------------------------


def test_is_separable_agrees_with_linear_programming(ref, lp_separable):
    checked = 0
    for y in np.stack(np.meshgrid(*[[0, 2, 5]] * 4, indexing="ij"), axis=-1).reshape(-1, 4):
        data = BioassayData(x=ref.X, n=ref.N, y=y)
        assert is_separable(data) == lp_separable(ref.X, ref.N, y), y.tolist()
        checked += 1
    assert checked == 81
    # Doses out of order (a mixed group at the cut still separates; two mixed groups do not),
    # a reversed (decreasing) pattern, and all animals at one dose.
    for x, y, separable in [
        ([0.7, -0.9, -0.3], [5, 0, 1], True),
        ([0.7, -0.9, -0.3], [4, 0, 1], False),
        ([0.7, -0.9, -0.3], [0, 5, 5], True),
        ([0.2, 0.2], [1, 3], True),
    ]:
        assert (
            is_separable(BioassayData(x=x, n=[5] * len(x), y=y))
            == separable
            == lp_separable(x, [5] * len(x), y)
        )
    with pytest.raises(TypeError, match="BioassayData"):
        is_separable([0, 1, 3, 5])


def test_check_proper_refuses_exactly_the_separable_data_under_the_flat_prior(ref, lp_separable):
    prior = NormalPrior(mean=[0.0, 10.0], cov=[[4.0, 0.0], [0.0, 100.0]])
    refused = 0
    for y in np.stack(np.meshgrid(*[[0, 2, 5]] * 4, indexing="ij"), axis=-1).reshape(-1, 4):
        data = BioassayData(x=ref.X, n=ref.N, y=y)
        assert bioassay.check_proper(data, prior) is None  # a proper prior: always proper
        if lp_separable(ref.X, ref.N, y):
            with pytest.raises(ImproperPosteriorError, match="the flat-prior posterior is improper"):
                bioassay.check_proper(data)
            refused += 1
        else:
            assert bioassay.check_proper(data) is None
    assert 0 < refused < 81


ISSUE_DATA = BioassayData(x=[2.81, 0.0], n=[14, 1], y=[6, 1])


@pytest.mark.parametrize(
    ("x", "n", "y", "message"),
    [
        (None, None, [0, 0, 5, 5], "no deaths at or below x = -0.30, only deaths at or above x = -0.05"),
        (
            None,
            None,
            [0, 2, 5, 5],
            "no deaths at or below x = -0.86, both deaths and survivors only at x = -0.30, "
            "only deaths at or above x = -0.05",
        ),
        (None, None, [5, 5, 0, 0], "only deaths at or below x = -0.30, no deaths at or above x = -0.05"),
        (
            None,
            None,
            [0, 0, 0, 3],
            "no deaths at or below x = -0.05, both deaths and survivors only at the highest dose x = 0.73",
        ),
        (
            None,
            None,
            [3, 5, 5, 5],
            "both deaths and survivors only at the lowest dose x = -0.86, only deaths at or above x = -0.30",
        ),
        (None, None, [0, 0, 0, 0], "separated (no animal died at any dose)"),
        (None, None, [5, 5, 5, 5], "separated (every animal died, at every dose)"),
        (
            [2.81, 0.0],
            [14, 1],
            [6, 1],
            "only deaths at or below x = 0.00, both deaths and survivors only at the highest dose x = 2.81",
        ),
        ([0.2, 0.2], [5, 5], [1, 3], "at one dose, x = 0.2, so the slope beta is not identified"),
    ],
)
def test_check_proper_names_the_separation(ref, x, n, y, message):
    data = BioassayData(x=ref.X if x is None else x, n=ref.N if n is None else n, y=y)
    with pytest.raises(ImproperPosteriorError, match=re.escape(message)) as error:
        bioassay.check_proper(data)
    assert isinstance(error.value, ValueError)
    message = str(error.value)
    one_dose = np.unique(data.x).size == 1
    assert ("no unique mode" if one_dose else "has no finite mode") in message
    assert "prior=NormalPrior(...)" in message
    assert bioassay.check_proper(data, NormalPrior(mean=[0.0, 0.0], cov=np.eye(2))) is None


def test_the_separation_message_names_only_doses_of_groups(ref, lp_separable):
    """Every dose the message names is a dose of the data (never the cut between two groups), and
    each side it describes holds what it says: checked for every separable outcome of 3 groups."""
    x, n = ref.X[:3], ref.N[:3]
    for y in np.ndindex(6, 6, 6):
        if not lp_separable(x, n, y):
            continue
        data = BioassayData(x=x, n=n, y=list(y))
        with pytest.raises(ImproperPosteriorError) as error:
            bioassay.check_proper(data)
        for words, side, dose in re.findall(
            r"(no deaths|only deaths) at or (below|above) x = (-?[0-9.]+)", str(error.value)
        ):
            assert float(dose) in x.tolist(), (y, str(error.value))
            group = x <= float(dose) if side == "below" else x >= float(dose)
            pure = np.asarray(y)[group] == (0 if words == "no deaths" else 5)
            assert group.any() and pure.all(), (y, str(error.value))


def test_check_proper_accepts_the_bioassay_data_and_refuses_wrong_types(data):
    assert bioassay.check_proper(data) is None
    with pytest.raises(TypeError, match="BioassayData"):
        bioassay.check_proper({"x": [0.0]})
    with pytest.raises(TypeError, match="prior must be a NormalPrior"):
        bioassay.check_proper(data, prior="flat")


@pytest.mark.parametrize(
    "separated",
    [
        ISSUE_DATA,  # Newton used to stop at (36.85, -13.22) with sds of ~4e7
        BioassayData(x=[-0.86, -0.30, -0.05, 0.73], n=[5, 5, 5, 5], y=[5, 5, 5, 5]),
        BioassayData(x=[-0.86, -0.30, -0.05, 0.73], n=[5, 5, 5, 5], y=[0, 0, 0, 0]),
        BioassayData(x=[-0.86, -0.30, -0.05, 0.73], n=[5, 5, 5, 5], y=[0, 0, 5, 5]),
        BioassayData(x=[0.2, 0.2], n=[5, 5], y=[1, 3]),
    ],
)
def test_laplace_fit_and_grid_posterior_refuse_an_improper_posterior(separated):
    with pytest.raises(ImproperPosteriorError, match="improper"):
        bioassay.laplace_fit(separated)
    with pytest.raises(ImproperPosteriorError, match="improper"):
        bioassay.grid_posterior(separated)


def test_a_normal_prior_makes_separated_data_proper(ref):
    """With a prior, the fit is the root of the reference score (prior included) and the grid is
    the reference density normalised by numpy: no error, and the right answer."""
    mean, cov = np.array([0.0, 10.0]), np.array([[4.0, 0.0], [0.0, 100.0]])
    prior = NormalPrior(mean=mean, cov=cov)
    for x, n, y in [(ref.X, ref.N, [0, 0, 5, 5]), ([2.81, 0.0], [14, 1], [6, 1])]:
        x, n, y = (np.asarray(v, dtype=float) for v in (x, n, y))
        data = BioassayData(x=x, n=n, y=y)
        fit = bioassay.laplace_fit(data, prior)
        score = ref.gradient(fit.mode, x=x, n=n, y=y, prior_mean=mean, prior_cov=cov)
        assert np.all(np.abs(score) < 1e-8)
        np.testing.assert_allclose(fit.cov, np.linalg.inv(ref.information(fit.mode, x=x, n=n, prior_cov=cov)))
        grid = bioassay.grid_posterior(data, prior)
        alpha, beta = grid.axis("alpha"), grid.axis("beta")
        log_mass = ref.log_likelihood(alpha[:, None], beta, x=x, n=n, y=y) + ref.log_prior(
            alpha[:, None], beta, mean, cov
        )
        expected = np.exp(log_mass - log_mass.max())
        np.testing.assert_allclose(grid.mass, expected / expected.sum(), rtol=1e-9, atol=1e-300)


def test_separated_data_have_no_finite_mode(ref):
    """Why the refusal is right: along the separating direction the reference log-likelihood
    keeps rising towards its supremum 0 (every group fitted exactly), so no point is a maximum."""
    y = np.array([0, 0, 5, 5])
    steeper = [ref.log_likelihood(0.175 * t, t, y=y) for t in (1.0, 10.0, 100.0, 1000.0)]
    assert np.all(np.diff(steeper) > 0) and steeper[-1] > -1e-12


def test_the_log_beta_fit_accepts_a_falling_curve_that_the_flat_prior_cannot(ref):
    """Deaths only at the low doses separate the data with beta -> -inf: improper in (alpha, beta),
    but on beta > 0 the log posterior falls in every direction, so the (alpha, log beta) fit exists.
    Its mode is checked against scipy's root of the reference score in (alpha, log beta)."""
    falling = BioassayData(x=ref.X, n=ref.N, y=[5, 5, 0, 0])
    with pytest.raises(ImproperPosteriorError, match="only deaths at or below"):
        bioassay.laplace_fit(falling)
    fit = bioassay.laplace_fit_log_beta(falling)

    def score(phi):
        alpha, beta = phi[0], np.exp(phi[1])
        residual = falling.y - falling.n * special.expit(alpha + beta * falling.x)
        return [residual.sum(), beta * (residual @ falling.x) + 1.0]

    root = optimize.root(score, fit.mode, tol=1e-13)
    assert root.success and np.allclose(fit.mode, root.x, atol=1e-6)
    rising = BioassayData(x=ref.X, n=ref.N, y=[0, 0, 5, 5])
    for improper in (
        rising,
        BioassayData(x=ref.X, n=ref.N, y=[0, 0, 0, 0]),
        BioassayData(x=[0.2, 0.2], n=[5, 5], y=[1, 3]),
    ):
        with pytest.raises(ImproperPosteriorError):
            bioassay.laplace_fit_log_beta(improper)
