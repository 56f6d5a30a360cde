"""The Laplace approximation is exact for a Gaussian target: check it against N(mu, S)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats

from bda_helpers import LaplaceApproximation, laplace

CASES = [(2, 11), (3, 12), (4, 13), (5, 14)]


def gaussian_target(d: int, seed: int) -> SimpleNamespace:
    """An unnormalised N(mu, S) log density with a random SPD S and a constant offset."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((d, d))
    cov = a @ a.T + 0.5 * d * np.eye(d)  # SPD, condition number ~ 10-100
    mu = rng.normal(scale=2.0, size=d)
    precision = np.linalg.inv(cov)
    offset = 3.7  # log f(mode): an arbitrary unnormalised constant

    def log_density(t):
        r = np.asarray(t) - mu
        return float(offset - 0.5 * r @ precision @ r)

    return SimpleNamespace(
        d=d,
        mu=mu,
        cov=cov,
        precision=precision,
        offset=offset,
        log_density=log_density,
        gradient=lambda t: -precision @ (np.asarray(t) - mu),
        hessian=lambda t: -precision,
        start=rng.normal(scale=5.0, size=d),
    )


@pytest.fixture(params=CASES, ids=[f"d{d}" for d, _ in CASES])
def target(request):
    return gaussian_target(*request.param)


def test_laplace_recovers_mean_and_covariance(target):
    approx = laplace(target.gradient, target.start, hessian=target.hessian, log_density=target.log_density)
    assert approx.dim == target.d
    assert np.allclose(approx.mode, target.mu, rtol=0, atol=1e-8)
    assert np.allclose(approx.cov, target.cov, rtol=1e-8, atol=1e-8)
    assert np.array_equal(approx.cov, approx.cov.T)
    assert approx.log_density_at_mode == pytest.approx(target.offset, abs=1e-12)


def test_laplace_with_finite_difference_hessian(target):
    # The gradient is linear, so central differences are exact up to round-off.
    approx = laplace(target.gradient, target.start)
    assert np.allclose(approx.mode, target.mu, rtol=0, atol=1e-8)
    assert np.allclose(approx.cov, target.cov, rtol=1e-6, atol=1e-8)


def test_log_evidence_is_the_exact_gaussian_normaliser(target):
    approx = laplace(target.gradient, target.start, hessian=target.hessian, log_density=target.log_density)
    # int exp(c - r'P r / 2) dr = e^c (2 pi)^(d/2) |S|^(1/2)
    sign, log_det = np.linalg.slogdet(target.cov)
    assert sign == 1
    exact = 0.5 * target.d * np.log(2 * np.pi) + 0.5 * log_det + target.offset
    assert approx.log_evidence == pytest.approx(exact, rel=0, abs=1e-8)


def test_log_evidence_needs_the_log_density(target):
    approx = laplace(target.gradient, target.start, hessian=target.hessian)
    assert np.isnan(approx.log_density_at_mode)
    with pytest.raises(ValueError, match="log_evidence needs log_density_at_mode"):
        _ = approx.log_evidence  # a property: reading it raises


def test_logpdf_matches_scipy(target):
    approx = LaplaceApproximation(mode=target.mu, cov=target.cov)
    reference = stats.multivariate_normal(mean=target.mu, cov=target.cov)
    rng = np.random.default_rng(99)
    points = target.mu + 2.0 * rng.standard_normal((50, target.d))
    assert np.allclose(approx.logpdf(points), reference.logpdf(points), rtol=1e-12, atol=1e-10)
    # One point gives a scalar; stacked points keep their leading shape.
    assert approx.logpdf(points[0]).shape == ()
    assert approx.logpdf(points[0]) == pytest.approx(reference.logpdf(points[0]), abs=1e-10)
    stacked = points[:48].reshape(4, 12, target.d)
    assert approx.logpdf(stacked).shape == (4, 12)
    assert np.allclose(approx.logpdf(stacked), reference.logpdf(points[:48]).reshape(4, 12), atol=1e-10)
    # The density peaks at the mode with the value -(d log 2 pi + log |S|) / 2.
    peak = -0.5 * (target.d * np.log(2 * np.pi) + np.linalg.slogdet(target.cov)[1])
    assert approx.logpdf(target.mu) == pytest.approx(peak, abs=1e-10)


def test_sample_moments_match_within_monte_carlo_error(target):
    approx = LaplaceApproximation(mode=target.mu, cov=target.cov)
    n = 200_000
    draws = approx.sample(n, np.random.default_rng(2024))
    assert draws.shape == (n, target.d)
    # Standard errors: mean sqrt(S_ii / n); covariance entry sqrt((S_ij^2 + S_ii S_jj) / n).
    var = np.diag(target.cov)
    mean_se = np.sqrt(var / n)
    assert np.all(np.abs(draws.mean(axis=0) - target.mu) < 5 * mean_se)
    cov_se = np.sqrt((target.cov**2 + np.outer(var, var)) / n)
    assert np.all(np.abs(np.cov(draws, rowvar=False) - target.cov) < 5 * cov_se)


def test_sample_is_reproducible_with_the_same_seed(target):
    approx = LaplaceApproximation(mode=target.mu, cov=target.cov)
    first = approx.sample(100, np.random.default_rng(5))
    again = approx.sample(100, np.random.default_rng(5))
    other = approx.sample(100, np.random.default_rng(6))
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)
    # The draws are mode + L z with z from the generator's standard normals, L = chol(S).
    z = np.random.default_rng(5).standard_normal((100, target.d))
    assert np.allclose(first, target.mu + z @ np.linalg.cholesky(target.cov).T, rtol=1e-12, atol=1e-12)


def test_sd_and_corr():
    cov = np.array([[4.0, -1.2, 0.0], [-1.2, 1.0, 0.3], [0.0, 0.3, 9.0]])
    approx = LaplaceApproximation(mode=[0.0, 1.0, 2.0], cov=cov)
    assert np.allclose(approx.sd, [2.0, 1.0, 3.0])
    expected = np.array([[1.0, -0.6, 0.0], [-0.6, 1.0, 0.1], [0.0, 0.1, 1.0]])
    assert np.allclose(approx.corr, expected, rtol=1e-14)


def test_from_mode_inverts_the_negative_hessian():
    hessian = np.array([[-4.0, 1.0], [1.0, -2.0]])
    approx = LaplaceApproximation.from_mode([1.0, -1.0], hessian, log_density_at_mode=0.0)
    # (-H)^-1 for a 2x2 matrix, by hand: [[2, 1], [1, 4]] / 7.
    assert np.allclose(approx.cov, np.array([[2.0, 1.0], [1.0, 4.0]]) / 7.0, rtol=1e-14)
    assert approx.log_evidence == pytest.approx(np.log(2 * np.pi) + 0.5 * np.log(1 / 7.0))


@pytest.mark.parametrize(
    "hessian", [[[-1.0, 0.0], [0.0, 2.0]], [[1.0, 0.0], [0.0, 1.0]], [[-1.0, 2.0], [2.0, -1.0]]]
)
def test_from_mode_refuses_an_indefinite_hessian(hessian):
    with pytest.raises(ValueError, match="not negative definite"):
        LaplaceApproximation.from_mode([0.0, 0.0], hessian)


def test_approximation_is_immutable():
    approx = LaplaceApproximation.from_mode([0.0, 1.0], [[-4.0, 0.0], [0.0, -1.0]])
    with pytest.raises(ValueError, match="read-only"):
        approx.mode[0] = 5.0
    with pytest.raises(ValueError, match="read-only"):
        approx.cov[0, 0] = 5.0


def test_messages_about_large_matrices_stay_short():
    """A 1000-parameter failure names the problem and the smallest eigenvalues, not a million numbers."""
    d = 1000
    hess = -np.eye(d)
    hess[0, 0] = 1.0  # one positive curvature: not a mode
    with pytest.raises(ValueError, match=r"array of shape \(1000,\): \[-1.0, -1.0") as error:
        LaplaceApproximation.from_mode(np.zeros(d), hess)
    assert len(str(error.value)) < 400
    with pytest.raises(ValueError, match="not positive definite") as error:
        LaplaceApproximation(np.zeros(d), -np.eye(d))
    assert len(str(error.value)) < 400
