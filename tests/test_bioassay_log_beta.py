"""The bioassay model in (alpha, log beta) against the reference implementation in conftest.

The references here never call the code under test: densities are the reference
log-likelihood plus the log-Jacobian, derivatives are finite differences of that, and the
mode is found by scipy's optimiser on the Jacobian-included density.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize

from bda_helpers import bioassay, laplace
from bda_helpers.bioassay import NormalPrior

POINTS = [(0.0, 0.0), (0.8466, np.log(7.7488)), (-2.0, 1.0), (4.0, 3.2), (1.0, -1.5)]
PRIOR_MEAN = np.array([0.0, 10.0])
PRIOR_COV = np.array([[4.0, 3.0], [3.0, 100.0]])


def ref_log_density(phi, ref, prior=False):
    """log p(alpha, e^phi | y) + phi, from the reference log-likelihood (and prior)."""
    alpha, log_beta = phi
    value = ref.log_likelihood(alpha, np.exp(log_beta)) + log_beta
    if prior:
        value = value + ref.log_prior(alpha, np.exp(log_beta), PRIOR_MEAN, PRIOR_COV)
    return float(value)


def central_gradient(f, phi, h=1e-5):
    phi = np.asarray(phi, dtype=float)
    return np.array([(f(phi + h * e) - f(phi - h * e)) / (2 * h) for e in np.eye(2)])


@pytest.mark.parametrize("phi", POINTS)
def test_log_density_is_the_log_posterior_at_exp_phi_plus_the_log_jacobian(data, ref, phi):
    ours = bioassay.log_posterior_log_beta(phi, data)
    assert np.shape(ours) == ()
    assert ours == pytest.approx(ref_log_density(phi, ref), rel=1e-12, abs=1e-12)


def test_log_density_broadcasts_over_a_grid(data, ref):
    alpha, log_beta = np.linspace(-2, 4, 5), np.linspace(0, 3.5, 7)
    values = bioassay.log_posterior_log_beta(
        np.stack(np.meshgrid(alpha, log_beta, indexing="ij"), axis=-1), data
    )
    assert values.shape == (5, 7)
    expected = [[ref_log_density((a, b), ref) for b in log_beta] for a in alpha]
    np.testing.assert_allclose(values, expected, rtol=1e-12)


@pytest.mark.parametrize("with_prior", [False, True])
def test_batched_derivatives_match_a_loop_over_points(data, with_prior):
    prior = NormalPrior(PRIOR_MEAN, PRIOR_COV) if with_prior else None
    phi = np.array(POINTS).reshape(5, 1, 2) + np.array([[0.0, 0.0], [0.1, -0.2]])  # shape (5, 2, 2)
    for function, tail in (
        (bioassay.log_posterior_log_beta, ()),
        (bioassay.gradient_log_beta, (2,)),
        (bioassay.hessian_log_beta, (2, 2)),
    ):
        batched = function(phi, data, prior)
        assert batched.shape == (5, 2) + tail
        looped = np.array([[function(point, data, prior) for point in row] for row in phi])
        np.testing.assert_allclose(batched, looped, rtol=1e-13, atol=1e-13)


def test_model_functions_log_beta_bind_the_data_and_prior(data):
    prior = NormalPrior(PRIOR_MEAN, PRIOR_COV)
    model = bioassay.model_functions_log_beta(data, prior)
    phi = np.array([0.5, 2.0])
    assert model.log_density(phi) == bioassay.log_posterior_log_beta(phi, data, prior)
    np.testing.assert_array_equal(model.gradient(phi), bioassay.gradient_log_beta(phi, data, prior))
    np.testing.assert_array_equal(model.hessian(phi), bioassay.hessian_log_beta(phi, data, prior))
    assert model.log_density(np.zeros((3, 4, 2))).shape == (3, 4)
    with pytest.raises(TypeError, match="BioassayData"):
        bioassay.model_functions_log_beta((data.x, data.n, data.y))


@pytest.mark.parametrize("with_prior", [False, True])
@pytest.mark.parametrize("phi", POINTS)
def test_gradient_matches_central_differences_of_the_reference(data, ref, phi, with_prior):
    prior = NormalPrior(PRIOR_MEAN, PRIOR_COV) if with_prior else None
    expected = central_gradient(lambda p: ref_log_density(p, ref, with_prior), phi)
    assert bioassay.gradient_log_beta(phi, data, prior) == pytest.approx(expected, rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("with_prior", [False, True])
@pytest.mark.parametrize("phi", POINTS)
def test_hessian_matches_differences_of_the_reference_gradient(data, ref, phi, with_prior):
    prior = NormalPrior(PRIOR_MEAN, PRIOR_COV) if with_prior else None

    def ref_gradient(p):
        return central_gradient(lambda q: ref_log_density(q, ref, with_prior), p, h=1e-4)

    h = 1e-4
    expected = np.column_stack(
        [
            (ref_gradient(np.add(phi, h * e)) - ref_gradient(np.subtract(phi, h * e))) / (2 * h)
            for e in np.eye(2)
        ]
    )
    ours = bioassay.hessian_log_beta(phi, data, prior)
    np.testing.assert_allclose(ours, ours.T, rtol=0, atol=0)
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-4)


def test_laplace_mode_and_covariance_match_a_direct_optimisation_of_the_jacobian_density(data, ref):
    model = bioassay.model_functions_log_beta(data)
    fit = laplace(model.gradient, [0.0, 0.0], hessian=model.hessian, log_density=model.log_density)
    direct = optimize.minimize(
        lambda phi: -ref_log_density(phi, ref),
        x0=[0.0, 2.0],
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 5000},
    )
    assert direct.success
    np.testing.assert_allclose(fit.mode, direct.x, atol=1e-6)
    # The mode in (alpha, beta) coordinates: beta = exp(log beta) ≈ 10.75, not the 7.75 of
    # the (alpha, beta) mode, because the Jacobian pulls the mode towards larger beta.
    assert np.exp(fit.mode[1]) == pytest.approx(np.exp(direct.x[1]), rel=1e-6)
    assert np.exp(fit.mode[1]) > ref.mode()[1] + 2

    # Covariance: the inverse of a finite-difference information matrix of the reference.
    def f(offset):
        return ref_log_density(fit.mode + offset, ref)

    h = 1e-4
    info = np.empty((2, 2))
    for i, e_i in enumerate(np.eye(2) * h):
        for j, e_j in enumerate(np.eye(2) * h):
            info[i, j] = -(f(e_i + e_j) - f(e_i - e_j) - f(-e_i + e_j) + f(-e_i - e_j)) / (4 * h * h)
    np.testing.assert_allclose(fit.cov, np.linalg.inv(info), rtol=1e-4)


def test_without_the_jacobian_the_mode_is_just_the_alpha_beta_mode_with_beta_logged(data, ref):
    model = bioassay.model_functions_log_beta(data)
    fit = laplace(lambda phi: model.gradient(phi) - [0.0, 1.0], [0.8, 2.0], hessian=model.hessian)
    alpha, beta = ref.mode()
    np.testing.assert_allclose(fit.mode, [alpha, np.log(beta)], atol=1e-9)


@pytest.mark.parametrize(
    ("phi", "message"),
    [
        ([1.0], r"phi must be \(alpha, log_beta\) with shape \(2,\), got shape \(1,\)"),
        ([np.nan, 1.0], r"phi must be finite, got \[nan, 1\.0\]"),
        ([[0.0, 1.0], [0.0, np.inf]], r"phi must be finite, got \[0\.0, inf\] at index \(1,\)"),
        (np.zeros((2, 3)), r"phi must be points \(alpha, log_beta\) with shape \(\.\.\., 2\)"),
        ([0.0, 800.0], "log_beta=800.0 is too large .* overflows"),
        ([[0.0, 1.0], [0.0, 800.0]], "log_beta=800.0 is too large .* overflows"),
    ],
)
def test_bad_points_are_refused(data, phi, message):
    for function in (bioassay.log_posterior_log_beta, bioassay.gradient_log_beta, bioassay.hessian_log_beta):
        with pytest.raises(ValueError, match=message):
            function(phi, data)


def test_an_overflowing_point_is_named(data):
    # beta = e^709 ≈ 8e307 is finite, but y_i * beta * x_i overflows in the density; with a prior,
    # beta times the prior's gradient term overflows in the gradient. The Hessian's limit is lower.
    with pytest.raises(ValueError, match=r"log density overflows at alpha=0\.0, log_beta=709\.0"):
        bioassay.log_posterior_log_beta([[0.0, 1.0], [0.0, 709.0]], data)
    prior = NormalPrior(PRIOR_MEAN, PRIOR_COV)
    with pytest.raises(ValueError, match=r"gradient overflows at alpha=0\.0, log_beta=709\.0"):
        bioassay.gradient_log_beta([[0.0, 1.0], [0.0, 709.0]], data, prior)
    with pytest.raises(ValueError, match=r"log_beta=400\.0 is too large for the Hessian: beta² .* overflows"):
        bioassay.hessian_log_beta([0.0, 400.0], data)
