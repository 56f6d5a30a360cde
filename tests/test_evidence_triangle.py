"""The evidence triangle: the grid quadrature against scipy's adaptive quadrature, and the
Monte Carlo ELBO and KL against closed forms (normal targets) and a grid quadrature of the KL."""

import numpy as np
import pytest
from scipy import integrate, stats

from bda_helpers import bioassay, load_bioassay
from bda_helpers.beyond.evidence_triangle import EvidenceTriangle, evidence_triangle, grid_log_evidence


def kl_normals(m0, s0, m1, s1):
    """KL(N(m0, S0) || N(m1, S1)), the closed form."""
    s1_inv = np.linalg.inv(s1)
    diff = np.asarray(m1) - np.asarray(m0)
    d = len(m0)
    return 0.5 * (
        np.trace(s1_inv @ s0) + diff @ s1_inv @ diff - d + np.log(np.linalg.det(s1) / np.linalg.det(s0))
    )


def test_grid_log_evidence_of_the_bioassay_posterior_matches_adaptive_quadrature():
    model = bioassay.model_functions(load_bioassay())
    log_z = grid_log_evidence(model.log_density, bioassay.GRID_ALPHA, bioassay.GRID_BETA)
    shift = float(model.log_density(bioassay.laplace_fit(load_bioassay()).mode))
    value, _ = integrate.dblquad(
        lambda beta, alpha: np.exp(float(model.log_density(np.array([alpha, beta]))) - shift),
        -5.0,
        12.0,
        -10.0,
        100.0,
        epsabs=1e-10,
        epsrel=1e-8,
    )
    assert log_z == pytest.approx(np.log(value) + shift, abs=1e-4)


def test_normal_target_gives_the_closed_form_kl_and_closes():
    target_mean, target_cov = np.array([1.0, -1.0]), np.array([[2.0, 1.2], [1.2, 1.0]])
    log_z = 1.7  # the target's unnormalised density integrates to e^1.7
    precision = np.linalg.inv(target_cov)
    log_norm = -0.5 * np.log(np.linalg.det(2 * np.pi * target_cov))

    def log_p(theta):
        diff = theta - target_mean
        return log_z + log_norm - 0.5 * np.einsum("si,ij,sj->s", diff, precision, diff)

    q_mean, q_cov = np.array([0.8, -1.1]), np.diag(1.0 / np.diag(precision))  # a mean-field normal
    result = evidence_triangle(log_p, q_mean, q_cov, log_z, 50_000, np.random.default_rng(4))
    exact_kl = kl_normals(q_mean, q_cov, target_mean, target_cov)
    assert isinstance(result, EvidenceTriangle) and result.n_draws == 50_000
    assert result.kl == pytest.approx(exact_kl, abs=4 * result.kl_se)
    assert result.elbo == pytest.approx(log_z - exact_kl, abs=4 * result.elbo_se)
    assert result.gap == pytest.approx(log_z - result.elbo)
    assert abs(result.closure) < 4 * result.closure_se
    assert result.closure_se == pytest.approx(np.hypot(result.elbo_se, result.kl_se))


def test_bioassay_kl_matches_a_grid_quadrature_of_the_kl():
    data = load_bioassay()
    model = bioassay.model_functions(data)
    approx = bioassay.laplace_fit(data)
    log_z = grid_log_evidence(model.log_density, bioassay.GRID_ALPHA, bioassay.GRID_BETA)
    result = evidence_triangle(
        model.log_density, approx.mode, approx.cov, log_z, 40_000, np.random.default_rng(7)
    )
    # KL(q || p) = ∫ q (log q − log p̃ + log Z) on a grid around the Laplace normal q
    alpha = np.linspace(approx.mode[0] - 8 * approx.sd[0], approx.mode[0] + 8 * approx.sd[0], 401)
    beta = np.linspace(approx.mode[1] - 8 * approx.sd[1], approx.mode[1] + 8 * approx.sd[1], 403)
    points = np.stack(np.meshgrid(alpha, beta, indexing="ij"), axis=-1)
    log_q = stats.multivariate_normal(approx.mode, approx.cov).logpdf(points)
    integrand = np.exp(log_q) * (log_q - model.log_density(points) + log_z)
    kl = integrand.sum() * (alpha[1] - alpha[0]) * (beta[1] - beta[0])
    assert result.kl == pytest.approx(kl, abs=4 * result.kl_se)
    assert result.elbo < log_z


def test_same_seed_same_estimates():
    log_p = lambda theta: -0.5 * np.sum(theta**2, axis=-1)  # noqa: E731
    first = evidence_triangle(
        log_p, [0.1, 0.0], np.eye(2) * 0.5, np.log(2 * np.pi), 100, np.random.default_rng(1)
    )
    again = evidence_triangle(
        log_p, [0.1, 0.0], np.eye(2) * 0.5, np.log(2 * np.pi), 100, np.random.default_rng(1)
    )
    assert first == again


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"mean": [0.0]}, ValueError, "shape"),
        ({"cov": [[1.0, 2.0], [2.0, 1.0]]}, ValueError, "positive definite"),
        ({"cov": [[1.0, np.nan], [np.nan, 1.0]]}, ValueError, "cov"),
        ({"log_evidence": np.inf}, ValueError, "log_evidence"),
        ({"rng": 3}, TypeError, "Generator"),
        ({"log_density": lambda theta: np.full(len(theta), np.nan)}, ValueError, "finite values"),
        ({"log_density": lambda theta: np.zeros(3)}, ValueError, "finite values"),
    ],
)
def test_bad_input_is_refused(kwargs, error, message):
    arguments = {
        "log_density": lambda theta: -0.5 * np.sum(theta**2, axis=-1),
        "mean": [0.0, 0.0],
        "cov": np.eye(2),
        "log_evidence": 0.0,
        "n_draws": 50,
        "rng": np.random.default_rng(0),
    } | kwargs
    with pytest.raises(error, match=message):
        evidence_triangle(**arguments)


@pytest.mark.parametrize(
    ("alpha", "message"),
    [
        (np.array([0.0, 1.0]), "at least 3"),
        (np.array([0.0, 1.0, 3.0]), "evenly spaced"),
        (np.array([2.0, 1.0, 0.0]), "evenly spaced and increasing"),
        (np.array([0.0, np.nan, 2.0]), "alpha"),
    ],
)
def test_grid_log_evidence_refuses_bad_axes(alpha, message):
    with pytest.raises(ValueError, match=message):
        grid_log_evidence(lambda t: -0.5 * np.sum(t**2, axis=-1), alpha, np.linspace(-1, 1, 5))


def test_grid_log_evidence_refuses_bad_values():
    axis = np.linspace(-1.0, 1.0, 5)
    with pytest.raises(ValueError, match="NaN"):
        grid_log_evidence(lambda t: np.full(t.shape[:-1], np.nan), axis, axis)
    with pytest.raises(ValueError, match="everywhere"):
        grid_log_evidence(lambda t: np.full(t.shape[:-1], -np.inf), axis, axis)
    with pytest.raises(ValueError, match="shape"):
        grid_log_evidence(lambda t: np.zeros(3), axis, axis)
