"""The evidence triangle: the grid quadrature against scipy's adaptive quadrature, the Monte Carlo
ELBO and the derived KL against closed forms (normal targets) and a grid quadrature of the ELBO,
and log Z by importance sampling against a known log Z and against the grid quadrature."""

import re
import warnings

import numpy as np
import pytest
from scipy import integrate, special, stats

from bda_helpers import bioassay, load_bioassay
from bda_helpers.beyond.evidence_triangle import (
    EvidenceTriangle,
    evidence_triangle,
    grid_log_evidence,
    log_evidence_importance,
    log_evidence_smoothed,
    normal_logpdf,
)
from bda_helpers.beyond.importance import ImportanceSample, importance_sample


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


def _normal_target(target_mean, target_cov, log_z):
    """An unnormalised normal log density that integrates to e^log_z."""
    precision = np.linalg.inv(target_cov)
    log_norm = -0.5 * np.log(np.linalg.det(2 * np.pi * target_cov))

    def log_p(theta):
        diff = theta - target_mean
        return log_z + log_norm - 0.5 * np.einsum("si,ij,sj->s", diff, precision, diff)

    return log_p, precision


def test_normal_target_gives_the_closed_form_elbo_and_kl():
    target_mean, target_cov = np.array([1.0, -1.0]), np.array([[2.0, 1.2], [1.2, 1.0]])
    log_z = 1.7  # the target's unnormalised density integrates to e^1.7
    log_p, precision = _normal_target(target_mean, target_cov, log_z)
    q_mean, q_cov = np.array([0.8, -1.1]), np.diag(1.0 / np.diag(precision))  # a mean-field normal
    result = evidence_triangle(log_p, q_mean, q_cov, 50_000, np.random.default_rng(4))
    exact_kl = kl_normals(q_mean, q_cov, target_mean, target_cov)
    assert isinstance(result, EvidenceTriangle) and result.n_draws == 50_000
    assert result.elbo == pytest.approx(log_z - exact_kl, abs=4 * result.elbo_se)
    assert result.kl(log_z) == pytest.approx(exact_kl, abs=4 * result.elbo_se)
    assert result.elbo <= result.log_evidence_is  # Jensen, on the same draws


def test_a_wide_proposal_recovers_log_z_by_importance_sampling():
    """q wider than the target in every direction: weights of finite variance, k̂ below 0.5,
    and log mean exp of the log weights returns the known log Z within its standard error."""
    target_mean, target_cov = np.array([1.0, -1.0]), np.array([[2.0, 1.2], [1.2, 1.0]])
    log_z = -0.4
    log_p, _ = _normal_target(target_mean, target_cov, log_z)
    result = evidence_triangle(log_p, [1.3, -0.8], 2.0 * target_cov, 40_000, np.random.default_rng(5))
    assert result.pareto_k < 0.5
    assert 0 < result.log_evidence_is_se < 0.02
    assert result.log_evidence_is == pytest.approx(log_z, abs=4 * result.log_evidence_is_se)
    # the delta-method error against the spread of the estimate over independent repetitions
    repeats = [
        evidence_triangle(log_p, [1.3, -0.8], 2.0 * target_cov, 2_000, np.random.default_rng(seed))
        for seed in range(200)
    ]
    spread = np.std([r.log_evidence_is for r in repeats], ddof=1)
    assert np.median([r.log_evidence_is_se for r in repeats]) == pytest.approx(spread, rel=0.2)


def test_log_evidence_importance_against_a_direct_computation():
    weights = np.array([0.5, 2.0, 1.0, 4.0, 0.25, 3.0])
    log_z, se = log_evidence_importance(np.log(weights))
    assert log_z == pytest.approx(np.log(weights.mean()), rel=1e-12)
    assert se == pytest.approx(weights.std(ddof=1) / np.sqrt(weights.size) / weights.mean(), rel=1e-12)
    shifted, shifted_se = log_evidence_importance(np.log(weights) + 800.0)  # exp would overflow
    assert shifted == pytest.approx(log_z + 800.0, rel=1e-12) and shifted_se == pytest.approx(se)
    with_zero, _ = log_evidence_importance(np.append(np.log(weights), -np.inf))  # a draw where p = 0
    assert with_zero == pytest.approx(np.log(weights.sum() / 7), rel=1e-12)


@pytest.mark.parametrize(
    ("log_weights", "message"),
    [
        ([0.0], "at least 2"),
        ([[0.0, 1.0]], "1-D"),
        ([0.0, np.nan], "NaN"),
        ([0.0, np.inf], "NaN or \\+inf"),
        ([-np.inf, -np.inf], "everywhere"),
    ],
)
def test_log_evidence_importance_refuses_bad_weights(log_weights, message):
    with pytest.raises(ValueError, match=message):
        log_evidence_importance(log_weights)


@pytest.fixture(scope="module")
def bioassay_model():
    data = load_bioassay()
    return data, bioassay.model_functions(data), bioassay.laplace_fit(data)


def test_bioassay_elbo_matches_a_grid_quadrature(bioassay_model):
    """The ELBO ∫ q (log p̃ − log q), by a grid quadrature around q: no log Z involved."""
    _, model, approx = bioassay_model
    result = evidence_triangle(model.log_density, approx.mode, approx.cov, 40_000, np.random.default_rng(7))
    alpha = np.linspace(approx.mode[0] - 8 * approx.sd[0], approx.mode[0] + 8 * approx.sd[0], 401)
    beta = np.linspace(approx.mode[1] - 8 * approx.sd[1], approx.mode[1] + 8 * approx.sd[1], 403)
    points = np.stack(np.meshgrid(alpha, beta, indexing="ij"), axis=-1)
    log_q = stats.multivariate_normal(approx.mode, approx.cov).logpdf(points)
    elbo = (
        np.sum(np.exp(log_q) * (model.log_density(points) - log_q))
        * (alpha[1] - alpha[0])
        * (beta[1] - beta[0])
    )
    assert result.elbo == pytest.approx(elbo, abs=4 * result.elbo_se)
    log_z = grid_log_evidence(model.log_density, bioassay.GRID_ALPHA, bioassay.GRID_BETA)
    assert result.elbo < log_z and result.kl(log_z) > 4 * result.elbo_se


def test_bioassay_log_z_by_importance_sampling_matches_the_quadrature(bioassay_model):
    """Importance sampling from the (α, log β) Laplace normal, whose weights are light-tailed
    enough (k̂ near 0.5), against the cell sum on the course grid: two methods sharing nothing."""
    data, model, _ = bioassay_model
    sample = importance_sample(
        bioassay.model_functions_log_beta(data).log_density,
        bioassay.laplace_fit_log_beta(data),
        40_000,
        np.random.default_rng(11),
    )
    log_z_is, se = log_evidence_importance(sample.log_weights)
    log_z = grid_log_evidence(model.log_density, bioassay.GRID_ALPHA, bioassay.GRID_BETA)
    assert se < 0.01 and abs(log_z_is - log_z) < 4 * se


def test_same_seed_same_estimates():
    log_p = lambda theta: -0.5 * np.sum(theta**2, axis=-1)  # noqa: E731
    first = evidence_triangle(log_p, [0.1, 0.0], np.eye(2) * 0.5, 100, np.random.default_rng(1))
    again = evidence_triangle(log_p, [0.1, 0.0], np.eye(2) * 0.5, 100, np.random.default_rng(1))
    assert first == again


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"mean": [0.0]}, ValueError, "shape"),
        ({"cov": [[1.0, 2.0], [2.0, 1.0]]}, ValueError, "positive definite"),
        ({"cov": [[1.0, np.nan], [np.nan, 1.0]]}, ValueError, "cov"),
        ({"n_draws": 20}, ValueError, "at least 21"),
        ({"rng": 3}, TypeError, "Generator"),
        ({"cov": [[1.0, 0.5], [0.0, 1.0]]}, ValueError, "symmetric"),
        ({"cov": np.eye(3)}, ValueError, "shape"),
        (
            {"log_density": lambda theta: np.full(len(theta), np.nan)},
            ValueError,
            "NaN at 50 draws, the first",
        ),
        ({"log_density": lambda theta: np.full(len(theta), np.inf)}, ValueError, r"\+inf at 50 draws"),
        ({"log_density": lambda theta: np.zeros(3)}, ValueError, r"shape \(50,\)"),
        (
            {"log_density": lambda theta: np.where(theta[:, 1] < 0, -np.inf, 0.0)},
            ValueError,
            "-inf at .* draws, the first at θ = .*: q puts mass where p = 0",
        ),
    ],
)
def test_bad_input_is_refused(kwargs, error, message):
    arguments = {
        "log_density": lambda theta: -0.5 * np.sum(theta**2, axis=-1),
        "mean": [0.0, 0.0],
        "cov": np.eye(2),
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


def test_log_evidence_smoothed_restores_the_scale_of_the_smoothed_weights():
    """A normal target with Z = e^1.5 and a wider normal proposal: the PSIS estimate is close to 1.5,
    moves by exactly c when every log weight moves by c, and equals the raw estimate when PSIS
    finds no tail to smooth (equal weights)."""
    rng = np.random.default_rng(3)
    draws = 1.5 * rng.standard_normal((20_000, 2))
    log_w = (
        1.5 + normal_logpdf(draws, [0.0, 0.0], np.eye(2)) - normal_logpdf(draws, [0.0, 0.0], 2.25 * np.eye(2))
    )
    smoothed = log_evidence_smoothed(ImportanceSample(draws, log_w))
    raw, se = log_evidence_importance(log_w)
    assert abs(smoothed - 1.5) < 0.02 and abs(smoothed - raw) < 2 * se
    shifted = log_evidence_smoothed(ImportanceSample(draws, log_w + 700.0))
    assert shifted - 700.0 == pytest.approx(smoothed, abs=1e-9)
    equal = ImportanceSample(draws[:50], np.full(50, -3.0))
    assert log_evidence_smoothed(equal) == pytest.approx(-3.0, abs=1e-12)
    with_zero = ImportanceSample(draws[:100], np.append(log_w[:99], -np.inf))  # a draw where p = 0
    direct = log_evidence_smoothed(ImportanceSample(draws[:99], log_w[:99])) + np.log(99 / 100)
    assert log_evidence_smoothed(with_zero) == pytest.approx(direct, abs=1e-9)


def test_log_evidence_smoothed_on_the_bioassay_matches_the_quadrature(bioassay_model):
    data, model, _ = bioassay_model
    sample = importance_sample(
        bioassay.model_functions_log_beta(data).log_density,
        bioassay.laplace_fit_log_beta(data),
        40_000,
        np.random.default_rng(11),
    )
    log_z = grid_log_evidence(model.log_density, bioassay.GRID_ALPHA, bioassay.GRID_BETA)
    assert abs(log_evidence_smoothed(sample) - log_z) < 0.02


def test_evidence_triangle_carries_the_smoothed_estimate_of_its_draws():
    log_p = lambda theta: 0.7 - 0.5 * np.sum(theta**2, axis=-1) - np.log(2 * np.pi)  # noqa: E731
    result = evidence_triangle(log_p, [0.2, -0.1], 1.5 * np.eye(2), 5_000, np.random.default_rng(2))
    rng = np.random.default_rng(2)
    theta = np.array([0.2, -0.1]) + rng.standard_normal((5_000, 2)) @ np.linalg.cholesky(1.5 * np.eye(2)).T
    sample = ImportanceSample(theta, log_p(theta) - normal_logpdf(theta, [0.2, -0.1], 1.5 * np.eye(2)))
    assert result.log_evidence_psis == log_evidence_smoothed(sample)
    assert abs(result.log_evidence_psis - 0.7) < 0.05


def test_log_evidence_smoothed_refuses_raw_arrays():
    with pytest.raises(TypeError, match="ImportanceSample"):
        log_evidence_smoothed(np.zeros(50))


def test_the_first_draw_where_p_is_zero_is_named():
    rng = np.random.default_rng(0)
    theta = rng.standard_normal((50, 2))
    first = int(np.argmax(theta[:, 1] < 0))
    with pytest.raises(ValueError, match=re.escape(f"the first at θ = {theta[first].tolist()}")):
        evidence_triangle(
            lambda t: np.where(t[:, 1] < 0, -np.inf, 0.0), [0.0, 0.0], np.eye(2), 50, np.random.default_rng(0)
        )


@pytest.mark.parametrize(
    ("theta", "mean", "cov", "message"),
    [
        ([[0.0, 0.0]], [0.0, 0.0], [[1.0, 0.5], [0.0, 1.0]], "symmetric"),
        ([[0.0, 0.0]], [0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]], "positive definite"),
        ([[0.0, 0.0]], [0.0, 0.0], np.eye(3), "shape"),
        ([[0.0, 0.0]], [[0.0, 0.0]], np.eye(2), "shape"),
        ([0.0, 0.0], [0.0, 0.0], np.eye(2), r"theta must have shape \(S, 2\)"),
        ([[0.0, 0.0, 0.0]], [0.0, 0.0], np.eye(2), "theta must have shape"),
        ([[np.nan, 0.0]], [0.0, 0.0], np.eye(2), "theta"),
    ],
)
def test_normal_logpdf_refuses_bad_input(theta, mean, cov, message):
    with pytest.raises(ValueError, match=message):
        normal_logpdf(theta, mean, cov)


def test_normal_logpdf_matches_scipy():
    cov = np.array([[1.039, 3.546], [3.546, 23.74]])
    theta = np.random.default_rng(4).standard_normal((30, 2)) * 3
    expected = stats.multivariate_normal([0.85, 7.75], cov).logpdf(theta)
    assert np.allclose(normal_logpdf(theta, [0.85, 7.75], cov), expected, rtol=1e-12)


def test_log_evidence_smoothed_when_most_draws_have_zero_weight():
    """170 of 200 log weights -inf: only the 30 finite ones are smoothed (the tail fitted to the
    largest of them, not to a fifth of all 200), and log Z = logsumexp(smoothed) - log 200."""
    rng = np.random.default_rng(5)
    log_w = np.full(200, -np.inf)
    log_w[rng.choice(200, 30, replace=False)] = 2.0 * rng.standard_normal(30)
    sample = ImportanceSample(rng.standard_normal((200, 1)), log_w)
    finite = np.isfinite(log_w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # ArviZ's notice of its refactor
        import arviz as az
    smoothed, k = az.psislw(log_w[finite].copy(), reff=1.0, normalize=False)
    assert sample.pareto_k == pytest.approx(float(k), abs=1e-12)
    assert np.isneginf(sample.smoothed_log_weights[~finite]).all()
    assert log_evidence_smoothed(sample) == pytest.approx(
        special.logsumexp(smoothed) - np.log(200), abs=1e-12
    )
    assert not np.allclose(smoothed, log_w[finite])  # the tail was smoothed, so the check has teeth
