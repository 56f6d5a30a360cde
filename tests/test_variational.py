"""Gaussian VI: the analytic ELBO gradient against finite differences, the closed-form optima for
Gaussian targets, the bioassay fit against an independent Gauss–Hermite optimisation of the ELBO,
and the checks of a fit: wrong gradients and improper targets are refused."""

import numpy as np
import pytest
from scipy import optimize, special

from bda_helpers import bioassay
from bda_helpers.beyond import variational
from bda_helpers.beyond.variational import (
    FAMILIES,
    GradientMismatchError,
    ImproperTargetError,
    VIConvergenceError,
    _Objective,
    gaussian_summary_table,
    gaussian_vi,
)

# A correlated 3-D Gaussian target N(MU, SIGMA), unnormalised: log p = -(θ-μ)ᵀ Λ (θ-μ) / 2.
MU = np.array([1.0, -2.0, 0.5])
SIGMA = np.array([[2.0, 1.2, -0.3], [1.2, 1.5, 0.4], [-0.3, 0.4, 0.8]])
LAMBDA = np.linalg.inv(SIGMA)
LOG_Z = 0.5 * (3 * np.log(2 * np.pi) + np.linalg.slogdet(SIGMA)[1])  # log ∫ p, Gaussian integral


def gauss_log_p(theta):
    offset = theta - MU
    return -0.5 * np.einsum("si,ij,sj->s", offset, LAMBDA, offset)


def gauss_grad(theta):
    return -(theta - MU) @ LAMBDA


def bioassay_functions(data):
    model = bioassay.model_functions(data)  # both broadcast over draws of shape (S, 2)
    return model.log_density, model.gradient


# --- the ELBO and its gradient ---------------------------------------------------------------


def _plain_elbo(log_density, mean, chol, z):
    """The ELBO estimate written out directly: mean log p(m + L z) + log|det L| + d/2 (1 + log 2π)."""
    d = mean.size
    return (
        log_density(mean + z @ chol.T).mean()
        + np.log(np.abs(np.diag(chol))).sum()
        + 0.5 * d * (1 + np.log(2 * np.pi))
    )


@pytest.mark.parametrize("family", FAMILIES)
def test_elbo_gradient_matches_central_differences(data, family):
    """The analytic reparameterisation gradient equals central differences of the ELBO written out
    independently, in the packed parameters (m, log diag L[, below-diagonal entries])."""
    log_density, gradient = bioassay_functions(data)
    z = np.random.default_rng(3).standard_normal((400, 2))
    objective = _Objective(log_density, gradient, z, family)
    chol = np.array([[0.9, 0.0], [2.5, 3.0]]) if family == "full-rank" else np.diag([0.9, 3.0])
    params = objective.pack(np.array([1.1, 9.0]), chol)

    def plain(p):
        mean, log_diag = p[:2], p[2:4]
        lower = np.diag(np.exp(log_diag))
        if family == "full-rank":
            lower[1, 0] = p[4]
        return _plain_elbo(log_density, mean, lower, z)

    value, grad = objective.elbo(params)
    assert value == pytest.approx(plain(params), rel=1e-13)
    step = 1e-5
    numeric = np.array(
        [(plain(params + step * e) - plain(params - step * e)) / (2 * step) for e in np.eye(params.size)]
    )
    np.testing.assert_allclose(grad, numeric, rtol=1e-7, atol=1e-8)


# --- Gaussian targets: closed-form optima ----------------------------------------------------


def test_full_rank_recovers_a_gaussian_target_exactly():
    """With base draws of sample mean 0 and sample covariance I, the sample ELBO of a Gaussian
    target equals the exact ELBO, whose maximum is q = p: ELBO = log Z, and no Monte Carlo error,
    so other base draws give the same fit.

    The sharp certificate is the ELBO: log Z - ELBO = KL(q || p) <= 1e-9 bounds the errors in the
    mean and covariance to about sqrt(2e-9 * max eig Σ) ~ 1e-4. The optimiser stops well inside
    that (it stops when the ELBO changes by less than 1e-13 relative; measured: ELBO within 3e-13,
    mean within 8e-7, covariance within 1.2e-6), but exactly where depends on its path, so mean
    and covariance are held to 1e-4: two orders above where it stops, and still some 500 times
    below the Monte Carlo error (~1 / sqrt(200)) this exactness rules out."""
    fits = [
        gaussian_vi(
            gauss_log_p,
            gauss_grad,
            np.zeros(3),
            family="full-rank",
            n_base_draws=n,
            rng=np.random.default_rng(seed),
        )
        for seed, n in ((0, 200), (1, 2000))
    ]
    for fit in fits:
        assert fit.elbo == pytest.approx(LOG_Z, abs=1e-9)
        np.testing.assert_allclose(fit.mean, MU, rtol=0, atol=1e-4)
        np.testing.assert_allclose(fit.cov, SIGMA, rtol=0, atol=1e-4)
        np.testing.assert_array_equal(np.triu(fit.cholesky, 1), 0.0)
        assert fit.family == "full-rank" and fit.n_iter > 0 and "CONVERGENCE" in fit.message
    np.testing.assert_allclose(fits[0].cov, fits[1].cov, atol=1e-9)


def test_mean_field_gives_the_conditional_variances_of_a_gaussian_target():
    """Mean-field optimum for N(μ, Σ): mean μ, variances 1/Λ_ii (Λ = Σ⁻¹), and
    ELBO = log Z - KL(q || p) with KL = (log det Σ + Σ log Λ_ii) / 2."""
    fit = gaussian_vi(
        gauss_log_p,
        gauss_grad,
        np.zeros(3),
        family="mean-field",
        n_base_draws=200,
        rng=np.random.default_rng(4),
    )
    np.testing.assert_allclose(fit.mean, MU, atol=1e-6)
    np.testing.assert_allclose(fit.cov, np.diag(1 / np.diag(LAMBDA)), atol=1e-7)
    assert np.all(fit.sd < np.sqrt(np.diag(SIGMA)))  # the variance shrinkage
    kl = 0.5 * (np.linalg.slogdet(SIGMA)[1] + np.log(np.diag(LAMBDA)).sum())
    assert fit.elbo == pytest.approx(LOG_Z - kl, abs=1e-9)
    np.testing.assert_array_equal(fit.corr, np.eye(3))


def test_base_draws_are_antithetic_and_moment_matched():
    fit = gaussian_vi(gauss_log_p, gauss_grad, MU, n_base_draws=10, rng=np.random.default_rng(8))
    z = fit.base_draws
    assert z.shape == (10, 3) and not z.flags.writeable
    np.testing.assert_allclose(z[:5], -z[5:], rtol=0, atol=1e-15)
    np.testing.assert_allclose(z.T @ z / 10, np.eye(3), atol=1e-13)
    again = gaussian_vi(gauss_log_p, gauss_grad, MU, n_base_draws=10, rng=np.random.default_rng(8))
    np.testing.assert_array_equal(again.base_draws, z)  # same Generator state, same fit


# --- the bioassay posterior ------------------------------------------------------------------


@pytest.fixture(scope="module")
def gauss_hermite_optimum(ref):
    """The exact ELBO optimum of each family on the flat-prior bioassay posterior: the expectation
    by a 40 × 40 Gauss–Hermite product rule (not Monte Carlo), optimised by Nelder–Mead (no
    gradient), with the model from conftest's reference log-likelihood."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(40)
    z1, z2 = np.meshgrid(nodes, nodes, indexing="ij")
    w = np.outer(weights, weights) / weights.sum() ** 2
    optima = {}
    for family, start in (("mean-field", [0.85, 7.7, 0.0, 1.5]), ("full-rank", [0.85, 7.7, 0.0, 1.5, 0.0])):

        def negative_elbo(p):
            l21 = p[4] if len(p) == 5 else 0.0
            alpha = p[0] + np.exp(p[2]) * z1
            beta = p[1] + l21 * z1 + np.exp(p[3]) * z2
            return -((w * ref.log_likelihood(alpha, beta)).sum() + p[2] + p[3] + 1 + np.log(2 * np.pi))

        found = optimize.minimize(
            negative_elbo,
            start,
            method="Nelder-Mead",
            options={"xatol": 1e-8, "fatol": 1e-12, "maxiter": 20_000, "maxfev": 20_000},
        )
        assert found.success, found.message
        l21 = found.x[4] if family == "full-rank" else 0.0
        chol = np.array([[np.exp(found.x[2]), 0.0], [l21, np.exp(found.x[3])]])
        optima[family] = (found.x[:2], chol @ chol.T, -found.fun)
    return optima


# Monte Carlo tolerance with 20,000 base draws: 4 × the spread over 20 seeds of (mean α, mean β,
# sd α, sd β, corr, ELBO), measured as (0.0019, 0.011, 0.0027, 0.021, 0.0049, 0.0039) full-rank
# and about a quarter of that mean-field.
TOLERANCE = np.array([0.008, 0.044, 0.011, 0.084, 0.02, 0.016])


def _summary(mean, cov, elbo):
    sd = np.sqrt(np.diag(cov))
    return np.array([*mean, *sd, cov[0, 1] / sd.prod(), elbo])


@pytest.mark.parametrize("family", FAMILIES)
def test_bioassay_fit_matches_the_gauss_hermite_optimum(data, gauss_hermite_optimum, family):
    log_density, gradient = bioassay_functions(data)
    fit = gaussian_vi(
        log_density, gradient, [0.85, 7.75], family=family, n_base_draws=20_000, rng=np.random.default_rng(21)
    )
    expected = _summary(*gauss_hermite_optimum[family])
    np.testing.assert_array_less(np.abs(_summary(fit.mean, fit.cov, fit.elbo) - expected), TOLERANCE)


def test_bioassay_lessons(ref, gauss_hermite_optimum, posterior_mode, fine_grid):
    """On the exact VI optima: mean-field sds lie near the conditional sds 1/sqrt(-H_ii) at the
    mode, below the marginal ones; full-rank VI's mean moves from the mode to near the posterior
    mean, but its sds stay below Laplace's and the exact ones (KL(q||p) avoids the long tail);
    and every ELBO is below log Z."""
    _, mf_cov, mf_elbo = gauss_hermite_optimum["mean-field"]
    fr_mean, fr_cov, fr_elbo = gauss_hermite_optimum["full-rank"]
    conditional_sd = 1 / np.sqrt(np.diag(np.linalg.inv(posterior_mode.cov)))
    laplace_sd = np.sqrt(np.diag(posterior_mode.cov))
    mass = fine_grid.mass
    grid_mean = np.array([mass.sum(1) @ fine_grid.alpha, mass.sum(0) @ fine_grid.beta])
    grid_sd = np.sqrt(
        [
            mass.sum(1) @ (fine_grid.alpha - grid_mean[0]) ** 2,
            mass.sum(0) @ (fine_grid.beta - grid_mean[1]) ** 2,
        ]
    )
    np.testing.assert_allclose(np.sqrt(np.diag(mf_cov)), conditional_sd, rtol=0.15)
    assert np.all(np.sqrt(np.diag(mf_cov)) < np.sqrt(np.diag(fr_cov)))
    assert np.all(np.sqrt(np.diag(fr_cov)) < laplace_sd) and np.all(laplace_sd < grid_sd)
    assert np.all(np.abs(fr_mean - grid_mean) < 0.2 * np.abs(posterior_mode.mode - grid_mean))
    alpha, beta = np.linspace(-6, 14, 1000), np.linspace(-15, 90, 2000)
    log_z = special.logsumexp(ref.log_likelihood(alpha[:, None], beta)) + np.log(
        (alpha[1] - alpha[0]) * (beta[1] - beta[0])
    )
    assert mf_elbo < fr_elbo < log_z


# --- the summary table -----------------------------------------------------------------------


def test_summary_table_rows_and_columns():
    table = gaussian_summary_table(
        {"b": ([1.0, 2.0, 3.0], np.diag([1.0, 4.0, 9.0])), "a": (MU, SIGMA)}, names=("x", "y", "z")
    )
    assert table.index.tolist() == ["b", "a"] and table.index.name == "approximation"
    assert table.columns.tolist() == [
        "mean x",
        "mean y",
        "mean z",
        "sd x",
        "sd y",
        "sd z",
        "corr(x, y)",
        "corr(x, z)",
        "corr(y, z)",
    ]
    assert table.loc["b", "sd z"] == 3.0 and table.loc["b", "corr(x, y)"] == 0.0
    assert table.loc["a", "corr(y, z)"] == pytest.approx(0.4 / np.sqrt(1.5 * 0.8), rel=1e-14)


@pytest.mark.parametrize(
    ("gaussians", "message"),
    [
        ({}, "gaussians is empty"),
        ({"q": ([0.0], [[1.0]])}, r"'q' must have a mean of shape \(2,\)"),
        ({"q": ([0.0, np.nan], np.eye(2))}, r"'q' mean must be finite, got nan at index \(1,\)"),
        ({"q": ([0.0, 0.0], [[1.0, np.inf], [0.0, 1.0]])}, "'q' cov must be finite"),
        ({"q": ([0.0, 0.0], [[1.0, 0.5], [0.4, 1.0]])}, "'q' cov must be symmetric with positive variances"),
        ({"q": ([0.0, 0.0], [[0.0, 0.0], [0.0, 1.0]])}, "'q' cov must be symmetric with positive variances"),
    ],
)
def test_summary_table_refuses_bad_input(gaussians, message):
    with pytest.raises(ValueError, match=message):
        gaussian_summary_table(gaussians)


# --- bad input and failures ------------------------------------------------------------------


def _fit(**changes):
    arguments = {"family": "full-rank", "n_base_draws": 20, "rng": np.random.default_rng(0)} | changes
    init_mean = arguments.pop("init_mean", MU)
    log_density = arguments.pop("log_density", gauss_log_p)
    gradient = arguments.pop("gradient", gauss_grad)
    return gaussian_vi(log_density, gradient, init_mean, **arguments)


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        (
            {"family": "diagonal"},
            ValueError,
            r"family must be one of \['mean-field', 'full-rank'\], got 'diagonal'",
        ),
        (
            {"n_base_draws": 21},
            ValueError,
            r"even integer \(antithetic pairs\) of at least 2 \* d = 6, got 21",
        ),
        ({"n_base_draws": 4}, ValueError, "at least 2 \\* d = 6, got 4"),
        ({"n_base_draws": 20.0}, TypeError, "n_base_draws must be an integer, got float 20.0"),
        ({"n_base_draws": True}, TypeError, "n_base_draws must be an integer, got bool True"),
        ({"rng": 42}, TypeError, "rng must be a numpy.random.Generator"),
        ({"init_mean": [0.0, np.nan, 0.0]}, ValueError, r"init_mean must be finite, got nan at index \(1,\)"),
        (
            {"init_mean": np.zeros((3, 1))},
            ValueError,
            r"init_mean must be a non-empty 1-D array, got shape \(3, 1\)",
        ),
        ({"init_cov": np.eye(2)}, ValueError, r"init_cov must have shape \(3, 3\), got \(2, 2\)"),
        ({"init_cov": [[1, 0.5, 0], [0, 1, 0], [0, 0, 1]]}, ValueError, "init_cov must be symmetric"),
        ({"init_cov": np.diag([1.0, np.inf, 1.0])}, ValueError, "init_cov must be finite"),
        ({"init_cov": -np.eye(3)}, ValueError, "init_cov is not positive definite"),
        ({"max_iter": 0}, ValueError, "max_iter must be at least 1, got 0"),
        ({"max_iter": 10.5}, TypeError, "max_iter must be an integer"),
        (
            {"log_density": lambda t: gauss_log_p(t)[:, None]},
            ValueError,
            r"log_density must map draws of shape \(20, 3\) to shape \(20,\), got \(20, 1\)",
        ),
        (
            {"gradient": lambda t: gauss_grad(t)[:, :2]},
            ValueError,
            r"gradient must map draws of shape \(20, 3\) to that shape, got \(20, 2\)",
        ),
        (
            {"log_density": lambda t: np.where(t[:, 0] > 1.5, -np.inf, gauss_log_p(t))},
            ValueError,
            r"log_density or gradient is not finite at the draw theta=\[\d\.\d+, ",
        ),
    ],
)
def test_gaussian_vi_refuses_bad_input(changes, error, message):
    with pytest.raises(error, match=message):
        _fit(**changes)


def test_optimiser_failure_is_reported_with_scipys_message():
    with pytest.raises(VIConvergenceError, match=r"after 1 iterations: STOP: TOTAL NO\.") as caught:
        _fit(init_mean=np.zeros(3), max_iter=1)
    assert not caught.value.result.success


def test_a_draw_where_log_p_is_infinite_is_refused_not_passed_to_the_optimiser():
    """Target N(0, 4²) cut off below -10: the start (sd 1) is finite, but the way to the optimum
    (sd about 4) puts base draws beyond the cut. An infinite ELBO there would make L-BFGS-B report
    convergence at the start (sd 1), a wrong answer; it must be refused instead."""

    def log_p(theta):
        return np.where(theta[:, 0] > -10, -(theta[:, 0] ** 2) / 32, -np.inf)

    def grad(theta):
        return -theta / 16

    with pytest.raises(ValueError, match=r"not finite at the draw theta=\[-1\d\.\d+\].*unconstrained scale"):
        gaussian_vi(log_p, grad, [0.0], n_base_draws=2000, rng=np.random.default_rng(1))
    # A trial point whose log sd overflows (white-box: the optimiser would have to step there).
    objective = _Objective(gauss_log_p, gauss_grad, np.ones((2, 3)), "mean-field")
    with pytest.raises(ValueError, match=r"the draws theta_s = m \+ L z_s overflow"):
        objective.elbo(np.array([0.0, 0.0, 0.0, 800.0, 0.0, 0.0]))


WRONG_GRADIENTS = {
    "sign": lambda gradient: lambda theta: -gradient(theta),
    "factor 2": lambda gradient: lambda theta: 2.0 * gradient(theta),
    "plus 10": lambda gradient: lambda theta: gradient(theta) + 10.0,
}


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("mistake", WRONG_GRADIENTS)
def test_a_gradient_that_is_not_the_gradient_is_refused(data, family, mistake):
    """Wherever L-BFGS-B stops with a wrong gradient (a sign error makes it give up at the start; a
    factor 2 can lead it to a point where the ELBO assembled from the wrong gradient is flat but the
    true one is not: full-rank, its derivative in log L_00 there is 0.5), some ELBO derivative built
    from it disagrees with central differences of the ELBO from log_density: measured, by 0.06
    (factor 2, mean-field) to 10 (plus 10), against a tolerance of about 1e-3. gaussian_vi must
    refuse, never return that point; the same call with the right gradient passes."""
    log_density, gradient = bioassay_functions(data)
    wrong = WRONG_GRADIENTS[mistake](gradient)
    with pytest.raises(GradientMismatchError, match="gradient is not the gradient of log_density") as caught:
        gaussian_vi(log_density, wrong, [0.85, 7.75], family=family, rng=np.random.default_rng(0))
    error = caught.value
    assert error.parameter in ("m[0]", "m[1]", "log L[0,0]", "log L[1,1]", "L[1,0]")
    assert len(error.central) == 3 and np.ptp(error.central) < 1e-4  # the steps agree with each other
    assert abs(error.analytic - error.central[0]) > 0.04
    fit = gaussian_vi(log_density, gradient, [0.85, 7.75], family=family, rng=np.random.default_rng(0))
    assert fit.max_gradient < 1e-3


# --- improper targets -------------------------------------------------------------------------

X = np.array([-0.86, -0.30, -0.05, 0.73])  # the bioassay doses


def logistic_target(y, n=5):
    """The bioassay flat-prior log posterior sum_i y_i eta_i - n log(1 + e^eta_i), eta_i = alpha +
    beta x_i, written here (theta on the last axis), and its gradient."""

    def log_density(theta):
        eta = theta[..., :1] + theta[..., 1:] * X
        return np.sum(y * eta - n * np.logaddexp(0.0, eta), axis=-1)

    def gradient(theta):
        residual = y - n * special.expit(theta[..., :1] + theta[..., 1:] * X)
        return np.stack([residual.sum(axis=-1), (residual * X).sum(axis=-1)], axis=-1)

    return log_density, gradient


def flat_in_theta_1(theta):
    return -0.5 * theta[:, 0] ** 2


def flat_in_theta_1_gradient(theta):
    return np.stack([-theta[:, 0], np.zeros(len(theta))], axis=1)


IMPROPER = {
    # No deaths at any dose: the likelihood rises to 1 as alpha -> -inf (the curve moves right).
    "no deaths": (*logistic_target(np.zeros(4)), [0.0, 0.0]),
    # Separated: no deaths at the two lower doses, all at the two higher: beta -> +inf.
    "separated": (*logistic_target(np.array([0, 0, 5, 5])), [0.0, 1.0]),
    # N(0, 1) in theta[0] and flat in theta[1]: q widens along theta[1] until its draws overflow.
    "flat in theta[1]": (flat_in_theta_1, flat_in_theta_1_gradient, [0.0, 0.0]),
    "flat in 1-D": (lambda theta: np.zeros(len(theta)), np.zeros_like, [0.0]),
}


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("target", IMPROPER)
def test_an_improper_target_is_refused(target, family, seed):
    """Each target's integral is infinite, so the ELBO has no maximum. Without the check, L-BFGS-B
    stopped far out and reported convergence (no deaths: mean about (-1.5e5, 3e3), sd about
    (3e4, 4e4)), or a trial q's draws overflowed; both must end in ImproperTargetError, whose ELBOs
    rise at every step of the move that shows it."""
    log_density, gradient, start = IMPROPER[target]
    with pytest.raises(
        ImproperTargetError, match=r"keeps rising.*no maximum of the ELBO was found.*target is improper"
    ) as caught:
        gaussian_vi(log_density, gradient, start, family=family, rng=np.random.default_rng(seed))
    elbos = np.array(caught.value.elbos)
    assert elbos.shape == (4,) and np.all(np.diff(elbos) > 1e-3)
    assert isinstance(caught.value, ValueError)


def test_the_no_deaths_target_looks_like_a_converged_fit_without_the_check(monkeypatch):
    """What the check guards against: L-BFGS-B reports convergence, with a small ELBO gradient, at a
    q some 10⁵ from the start, which would be returned as a fit."""
    monkeypatch.setattr(variational, "_check_bounded", lambda *args, **kwargs: None)
    log_density, gradient, start = IMPROPER["no deaths"]
    fit = gaussian_vi(log_density, gradient, start, rng=np.random.default_rng(0))
    assert "CONVERGENCE" in fit.message and fit.max_gradient < 1e-3
    assert fit.mean[0] < -1e4 and np.all(fit.sd > 1e3)


def test_the_improper_target_message_says_what_the_rises_show_and_what_they_do_not():
    log_density, gradient, start = IMPROPER["no deaths"]
    with pytest.raises(ImproperTargetError) as caught:
        gaussian_vi(log_density, gradient, start, rng=np.random.default_rng(0))
    message = str(caught.value)
    assert "not the ELBO's maximum along this move (at most a local one)" in message
    assert "Most often the target is improper" in message
    assert "the optimiser stopped short of a maximum, and another start may reach one" in message


def test_a_slowly_rising_improper_target_goes_undetected_as_documented():
    """The known gap in the check (module notes): p ∝ 1 / (1 + |θ|) is improper (∫ p diverges
    like 2 log R), but its ELBO tends to a finite supremum as q widens: with the mean at 0,
    E[-log(1 + σ|z|)] + log σ + (1 + log 2π) / 2 → -E[log |z|] + (1 + log 2π) / 2 = 2.0541
    (E log |z| = -(γ + log 2) / 2 for z ~ N(0, 1)). L-BFGS-B stops at an sd near 1e10, where
    three doublings raise the ELBO by far less than 1e-3, and the fit is returned."""
    supremum = (np.euler_gamma + np.log(2.0)) / 2 + 0.5 * (1 + np.log(2 * np.pi))
    fit = gaussian_vi(
        lambda theta: -np.log1p(np.abs(theta[:, 0])),
        lambda theta: -np.sign(theta) / (1 + np.abs(theta)),
        [0.0],
        rng=np.random.default_rng(0),
    )
    assert fit.sd[0] > 1e8
    assert fit.elbo == pytest.approx(supremum, abs=0.1)  # the base draws' own E log |z| differs


def test_a_heavy_tailed_proper_target_is_not_mistaken_for_an_improper_one():
    """A Cauchy target, log p = -log(1 + x²): proper, but with tails so heavy that the ELBO falls
    slowly as q widens. Its optimum (mean 0 by symmetry) has sd 1.63398 and ELBO 0.96197, by a
    200-node Gauss–Hermite rule maximised over the sd (checked with scipy's quad); the fit over
    20,000 base draws lands within its Monte Carlo error (spread over 10 seeds: 0.013 in the sd,
    0.004 in the ELBO)."""
    fit = gaussian_vi(
        lambda theta: -np.log1p(theta[:, 0] ** 2),
        lambda theta: -2 * theta / (1 + theta**2),
        [3.0],
        n_base_draws=20_000,
        rng=np.random.default_rng(0),
    )
    assert abs(fit.mean[0]) < 1e-6
    assert fit.sd[0] == pytest.approx(1.63398, abs=0.05)
    assert fit.elbo == pytest.approx(0.96197, abs=0.016)


def test_a_large_constant_in_log_p_does_not_stop_the_optimiser_early(data, monkeypatch):
    """Only changes of the ELBO from its start count in the stopping rule, not the size of log p.

    L-BFGS-B stops when a step lowers its objective by less than 1e-13 relative to the objective's
    size; were that objective -ELBO, about 1e6 here, it would stop at changes below 1e-7. So what it
    is handed must be the ELBO's change from its start: 0 there and within the ELBO's gain of it
    throughout (measured: at most 1.2 in size), whatever constant log p carries. That is checked
    on every value L-BFGS-B sees, against 1e3: far from both 1.2 and 1e6.

    The fits themselves can agree only as well as the constant allows: it rounds every log p value
    to about 1e6 * eps = 2e-10, which leaves the ELBO's maximum located to about sqrt(2e-10) ~ 1e-5
    relative (measured: 6e-6 with this seed, 2e-7 and 2e-6 with others); 1e-4 is ten times that,
    and far below the gap between fits on other base draws (~1e-2)."""
    seen = []
    minimize = optimize.minimize

    def recording(fun, x0, args=(), **options):
        values = []
        seen.append(values)

        def fun_recorded(x, *more):
            value, grad = fun(x, *more)
            values.append(value)
            return value, grad

        return minimize(fun_recorded, x0, args=args, **options)

    monkeypatch.setattr(variational.optimize, "minimize", recording)
    log_density, gradient = bioassay_functions(data)
    plain = gaussian_vi(log_density, gradient, [0.85, 7.75], family="full-rank", rng=np.random.default_rng(0))
    shifted = gaussian_vi(
        lambda t: log_density(t) - 1e6,
        gradient,
        [0.85, 7.75],
        family="full-rank",
        rng=np.random.default_rng(0),
    )
    assert len(seen) == 2
    for values in seen:
        assert values[0] == pytest.approx(0.0, abs=1e-9)
        assert np.max(np.abs(values)) < 1e3
    assert shifted.elbo == pytest.approx(plain.elbo - 1e6, abs=1e-6)
    np.testing.assert_allclose(shifted.cov, plain.cov, rtol=1e-4)
    assert plain.max_gradient < 1e-6
