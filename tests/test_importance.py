"""Importance sampling from a Laplace proposal, against analytic answers and a fine grid.

References: for a N(0, 1) target and a N(0, s²) proposal the weights w(x) ∝ exp(x²(1/s² − 1)/2)
have, for s < 1, P(w > t) = P(|z| > √(2 log t / (1 − s²))) ~ t^(−1/(1 − s²)) up to a slowly
varying factor, i.e. a Pareto tail of shape k = 1 − s²; for s > 1 they are bounded. The exact
mean and quantiles of N(0, 1) and of the half-normal come from their formulas (scipy.stats);
the bioassay posterior mean from the conftest's 1200 × 1800 reference grid.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from bda_helpers import BioassayData, LaplaceApproximation, bioassay, laplace
from bda_helpers.beyond.importance import ImportanceSample, importance_sample

SEED = 20261126


def normal_proposal(s: float) -> LaplaceApproximation:
    """N(0, s²) as a (one-dimensional) Laplace approximation."""
    return LaplaceApproximation.from_mode([0.0], [[-1.0 / s**2]])


def std_normal(x: np.ndarray) -> np.ndarray:
    """Log density of N(0, 1) plus an arbitrary constant (the weights ignore it)."""
    return stats.norm.logpdf(x[:, 0]) + 12.3


def mcse_of_mean(sample: ImportanceSample, values: np.ndarray) -> float:
    """Monte Carlo standard error of a self-normalised mean: sqrt(Σ w_s² (h_s − ĥ)²)."""
    w = sample.weights
    return float(np.sqrt(np.sum(w**2 * (values - w @ values) ** 2)))


# --- Analytic references -------------------------------------------------------------------


def test_proposal_equal_to_target_gives_equal_weights():
    # A Gaussian target (computed by scipy, up to a constant) and its own Laplace approximation.
    mean, cov = np.array([1.0, -2.0]), np.array([[2.0, 0.6], [0.6, 0.5]])
    precision = np.linalg.inv(cov)
    proposal = laplace(lambda t: -precision @ (t - mean), [0.0, 0.0], hessian=lambda t: -precision)
    sample = importance_sample(
        lambda t: stats.multivariate_normal(mean, cov).logpdf(t) - 4.0,
        proposal,
        4000,
        np.random.default_rng(SEED),
    )
    np.testing.assert_allclose(sample.weights, 1 / 4000, rtol=1e-9)
    assert sample.ess == pytest.approx(4000, rel=1e-9)
    assert sample.raw_ess == pytest.approx(4000, rel=1e-9)
    assert sample.pareto_k == -np.inf
    assert sample.diagnosis.startswith("k̂ = -inf: good")
    np.testing.assert_allclose(sample.mean(), sample.draws.mean(axis=0), rtol=1e-9)


@pytest.mark.parametrize("s", [0.6, 0.8])
def test_narrow_proposal_pareto_k_matches_the_tail_shape(s):
    # k = 1 − s² (module docstring). With S = 100 000 the tail fit uses M = ⌈3√S⌉ = 949 weights;
    # the sd of a Pareto shape estimate from M points is about (1 + k)/√M ≈ 0.05, and the slowly
    # varying factor of the tail pulls k̂ down by a few hundredths at this S (mean 0.60 and 0.35
    # over 40 seeds), so 0.15 (3 sd) is loose enough for any seed and still tells 0.64 from 0.36.
    sample = importance_sample(std_normal, normal_proposal(s), 100_000, np.random.default_rng(SEED))
    assert sample.pareto_k == pytest.approx(1 - s**2, abs=0.15)
    assert sample.ess < sample.n_draws


def test_narrow_proposal_diagnosis_is_usable_for_k_near_two_thirds():
    sample = importance_sample(std_normal, normal_proposal(0.6), 100_000, np.random.default_rng(SEED))
    assert 0.5 <= sample.pareto_k < 0.7
    assert sample.diagnosis.startswith(f"k̂ = {sample.pareto_k:.2f}: usable with Pareto smoothing")


def test_wide_proposal_estimates_within_monte_carlo_error():
    sample = importance_sample(std_normal, normal_proposal(1.5), 4000, np.random.default_rng(SEED))
    assert sample.pareto_k < 0.5
    assert "good" in sample.diagnosis
    x = sample.draws[:, 0]
    assert abs(sample.mean()[0] - 0.0) < 4 * mcse_of_mean(sample, x)
    # Quantile MCSE: sqrt(p(1 − p) / ESS) divided by the density at the quantile.
    p, exact = 0.975, stats.norm.ppf(0.975)
    mcse = np.sqrt(p * (1 - p) / sample.ess) / stats.norm.pdf(exact)
    assert abs(sample.quantile(0, p) - exact) < 4 * mcse


def test_target_zero_on_half_the_proposal():
    # Target: N(0, 1) restricted to x > 0 (a half-normal, mean sqrt(2/π)); proposal N(0, 1).
    def half_normal(x):
        with np.errstate(divide="ignore"):
            return np.where(x[:, 0] > 0, stats.norm.logpdf(x[:, 0]), -np.inf)

    sample = importance_sample(half_normal, normal_proposal(1.0), 4000, np.random.default_rng(SEED))
    positive = sample.draws[:, 0] > 0
    assert np.all(sample.weights[~positive] == 0)
    np.testing.assert_allclose(sample.weights[positive], 1 / positive.sum(), rtol=1e-9)
    assert sample.pareto_k == -np.inf  # the non-zero weights are equal: no tail
    exact = np.sqrt(2 / np.pi)
    assert abs(sample.mean()[0] - exact) < 4 * mcse_of_mean(sample, sample.draws[:, 0])
    with pytest.raises(ValueError, match=f"only {positive.sum()} of the 4000 draws have non-zero weight"):
        sample.resample(positive.sum() + 1, np.random.default_rng(1))
    assert np.all(sample.resample(positive.sum(), np.random.default_rng(1))[:, 0] > 0)


@pytest.mark.parametrize(("n_draws", "expected"), [(100, 0.5), (1000, 2 / 3), (4000, 0.7)])
def test_k_threshold_is_the_papers_sample_size_rule(n_draws, expected):
    # Vehtari et al. (2024): min(1 − 1/log10(S), 0.7).
    log_weights = np.random.default_rng(0).normal(size=n_draws)
    sample = ImportanceSample(np.zeros((n_draws, 1)), log_weights)
    assert sample.k_threshold == pytest.approx(expected)


def test_very_heavy_weights_are_unreliable_without_warnings():
    # These weights make ArviZ's tail fit overflow in exp (ignored on purpose, see the module).
    log_weights = 0.05 * np.random.default_rng(1).standard_cauchy(4000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sample = ImportanceSample(np.zeros((4000, 1)), log_weights)
    assert sample.pareto_k > 1
    assert "unreliable" in sample.diagnosis
    assert np.isfinite(sample.weights).all() and sample.weights.sum() == pytest.approx(1.0)


def test_too_few_distinct_weights_for_a_tail():
    log_weights = np.full(100, -np.inf)
    log_weights[:3] = [0.0, 1.0, 2.0]
    sample = ImportanceSample(np.zeros((100, 1)), log_weights)
    assert sample.pareto_k == np.inf
    assert sample.diagnosis.startswith("k̂ = inf: unreliable")


# --- Bioassay -------------------------------------------------------------------------------


def fine_grid_mean(fine_grid) -> np.ndarray:
    mass = fine_grid.mass
    return np.array([mass.sum(axis=1) @ fine_grid.alpha, mass.sum(axis=0) @ fine_grid.beta])


def test_bioassay_log_beta_proposal_matches_fine_grid_mean(data, fine_grid):
    sample = importance_sample(
        bioassay.model_functions_log_beta(data).log_density,
        bioassay.laplace_fit_log_beta(data),
        4000,
        np.random.default_rng(SEED),
    )
    assert sample.pareto_k < sample.k_threshold
    alpha, beta = sample.draws[:, 0], np.exp(sample.draws[:, 1])
    estimate = np.array([sample.weights @ alpha, sample.weights @ beta])
    mcse = np.array([mcse_of_mean(sample, alpha), mcse_of_mean(sample, beta)])
    assert np.all(np.abs(estimate - fine_grid_mean(fine_grid)) < 4 * mcse)
    assert sample.mean()[0] == pytest.approx(estimate[0])


def test_bioassay_alpha_beta_proposal_corrects_most_of_the_laplace_error(data, fine_grid):
    proposal = bioassay.laplace_fit(data)
    sample = importance_sample(
        bioassay.model_functions(data).log_density, proposal, 4000, np.random.default_rng(SEED)
    )
    exact = fine_grid_mean(fine_grid)
    assert np.all(np.abs(sample.mean() - exact) < 0.5 * np.abs(proposal.mode - exact))
    assert sample.ess < 0.5 * sample.n_draws  # the normal in (α, β) misses the long β tail


def test_laplace_fit_log_beta_is_a_stationary_point_of_the_reference_density(data, ref):
    # d/dφ [log p(α, e^φ | y) + φ] = (g_α, e^φ g_β + 1), with g the reference score in (α, β).
    fit = bioassay.laplace_fit_log_beta(data)
    g = ref.gradient([fit.mode[0], np.exp(fit.mode[1])])
    np.testing.assert_allclose([g[0], np.exp(fit.mode[1]) * g[1] + 1.0], 0.0, atol=1e-8)


def test_laplace_fit_log_beta_of_separable_data_needs_a_prior(ref):
    # No deaths at the two lowest doses, all animals dead at the two highest: under the flat
    # prior the posterior has no mode, in (α, log β) as in (α, β).
    y, mean, cov = [0, 0, 5, 5], [0.0, 0.0], [[25.0, 0.0], [0.0, 400.0]]
    separable = BioassayData(x=ref.X, n=ref.N, y=y)
    with pytest.raises(bioassay.ImproperPosteriorError, match="improper"):
        bioassay.laplace_fit_log_beta(separable)
    fit = bioassay.laplace_fit_log_beta(separable, bioassay.NormalPrior(mean=mean, cov=cov))
    # Stationary for likelihood x prior + Jacobian, by the reference score (prior included).
    beta = np.exp(fit.mode[1])
    g = ref.gradient([fit.mode[0], beta], y=y, prior_mean=mean, prior_cov=cov)
    np.testing.assert_allclose([g[0], beta * g[1] + 1.0], 0.0, atol=1e-8)


# --- Resampling, determinism, immutability --------------------------------------------------


@pytest.fixture(scope="module")
def wide_sample() -> ImportanceSample:
    return importance_sample(std_normal, normal_proposal(1.5), 4000, np.random.default_rng(SEED))


def test_resample_without_replacement_gives_distinct_draws(wide_sample):
    rows = wide_sample.resample(1000, np.random.default_rng(3))
    assert rows.shape == (1000, 1)
    assert np.unique(rows, axis=0).shape[0] == 1000
    assert np.isin(rows[:, 0], wide_sample.draws[:, 0]).all()


def test_resample_with_replacement_may_exceed_the_draws(wide_sample):
    rows = wide_sample.resample(5000, np.random.default_rng(3), replace=True)
    assert rows.shape == (5000, 1)
    assert np.unique(rows, axis=0).shape[0] < 5000


def test_same_seed_same_sample():
    runs = [
        importance_sample(std_normal, normal_proposal(0.8), 500, np.random.default_rng(7)) for _ in range(2)
    ]
    np.testing.assert_array_equal(runs[0].draws, runs[1].draws)
    np.testing.assert_array_equal(runs[0].smoothed_log_weights, runs[1].smoothed_log_weights)
    assert runs[0].pareto_k == runs[1].pareto_k
    rows = [run.resample(50, np.random.default_rng(8)) for run in runs]
    np.testing.assert_array_equal(rows[0], rows[1])


def test_sample_is_frozen_and_read_only(wide_sample):
    for name in ("draws", "log_weights", "smoothed_log_weights"):
        with pytest.raises(ValueError, match="read-only"):
            getattr(wide_sample, name)[0] = 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        wide_sample.pareto_k = 0.0


def test_caller_arrays_are_not_frozen():
    draws, log_weights = np.zeros((30, 1)), np.linspace(0.0, 1.0, 30)
    ImportanceSample(draws, log_weights)
    draws[0, 0] = log_weights[0] = 1.0  # still writable


def test_nothing_reaches_stderr_even_when_arviz_announces_its_refactor(tmp_path):
    # A fresh cache directory makes ArviZ's once-a-day import warning due; it writes its stamp
    # file right after warning, so the stamp proves the warning was raised (and silenced).
    code = (
        "import numpy as np\n"
        "from bda_helpers import LaplaceApproximation\n"
        "from bda_helpers.beyond.importance import importance_sample\n"
        "proposal = LaplaceApproximation.from_mode([0.0], [[-1.0]])\n"
        "s = importance_sample(lambda x: -x[:, 0] ** 2, proposal, 200, np.random.default_rng(1))\n"
        "print(s.pareto_k < 0.5)\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "PYTHONWARNINGS": "default"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[1],
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "True\n"
    assert result.stderr == ""
    assert (tmp_path / "arviz" / "daily_warning").exists()


# --- Bad input ------------------------------------------------------------------------------


def test_bad_rng():
    with pytest.raises(TypeError, match=r"rng must be a numpy\.random\.Generator"):
        importance_sample(std_normal, normal_proposal(1.5), 100, 42)


def test_bad_rng_for_resample(wide_sample):
    with pytest.raises(TypeError, match=r"rng must be a numpy\.random\.Generator"):
        wide_sample.resample(10, np.random.RandomState(1))


@pytest.mark.parametrize(
    ("n_draws", "error", "message"),
    [
        (0, ValueError, "must be at least 1"),
        (-5, ValueError, "must be at least 1"),
        (2.5, TypeError, "must be an integer"),
        (100.0, TypeError, "must be an integer"),
        (True, TypeError, "must be an integer"),
        ("100", TypeError, "must be an integer"),
    ],
)
def test_bad_draw_count(n_draws, error, message):
    with pytest.raises(error, match=f"the number of draws {message}"):
        importance_sample(std_normal, normal_proposal(1.5), n_draws, np.random.default_rng(1))


def test_too_few_draws_for_the_tail_fit():
    with pytest.raises(ValueError, match=r"needs at least 21 draws.*got 20"):
        importance_sample(std_normal, normal_proposal(1.5), 20, np.random.default_rng(1))


@pytest.mark.parametrize("proposal", [None, np.eye(1), stats.norm(0, 1.5)])
def test_bad_proposal(proposal):
    with pytest.raises(TypeError, match="proposal must be a LaplaceApproximation"):
        importance_sample(std_normal, proposal, 100, np.random.default_rng(1))


def test_log_target_not_callable():
    with pytest.raises(TypeError, match="log_target must be a callable, got ndarray"):
        importance_sample(np.zeros(100), normal_proposal(1.5), 100, np.random.default_rng(1))


@pytest.mark.parametrize(
    ("log_target", "shape"),
    [(lambda x: x, r"\(100, 1\)"), (lambda x: 0.0, r"\(\)"), (lambda x: np.zeros(99), r"\(99,\)")],
)
def test_log_target_wrong_shape(log_target, shape):
    message = rf"log_target must have shape \(100,\), one value per draw, got shape {shape}"
    with pytest.raises(ValueError, match=message):
        importance_sample(log_target, normal_proposal(1.5), 100, np.random.default_rng(1))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_log_target_nan_or_plus_inf(bad):
    def log_target(x):
        values = std_normal(x)
        values[[3, 10, 50]] = bad
        return values

    with pytest.raises(ValueError, match="log_target is NaN or \\+inf at 3 of 100 draws"):
        importance_sample(log_target, normal_proposal(1.5), 100, np.random.default_rng(1))


def test_log_target_all_minus_inf():
    with pytest.raises(ValueError, match="log_target is -inf at all 100 draws"):
        importance_sample(
            lambda x: np.full(len(x), -np.inf), normal_proposal(1.5), 100, np.random.default_rng(1)
        )


@pytest.mark.parametrize(
    ("draws", "log_weights", "message"),
    [
        (np.zeros(30), np.zeros(30), r"draws must be a 2-D array of shape \(S, d\), got shape \(30,\)"),
        (np.zeros((30, 0)), np.zeros(30), r"got shape \(30, 0\)"),
        (np.full((30, 1), np.nan), np.zeros(30), "draws must be finite"),
        (np.zeros((30, 1)), np.zeros(29), r"log_weights must have shape \(30,\)"),
        (np.zeros((30, 1)), np.full(30, np.nan), "log_weights is NaN or \\+inf at 30 of 30 draws"),
    ],
)
def test_bad_sample_arrays(draws, log_weights, message):
    with pytest.raises(ValueError, match=message):
        ImportanceSample(draws, log_weights)


@pytest.mark.parametrize("n", [4001, 10_000])
def test_resample_more_than_the_draws_without_replacement(wide_sample, n):
    with pytest.raises(
        ValueError, match=f"cannot resample {n} draws without replacement: only 4000 of the 4000"
    ):
        wide_sample.resample(n, np.random.default_rng(1))


@pytest.mark.parametrize(("n", "error"), [(0, ValueError), (1.5, TypeError)])
def test_resample_bad_count(wide_sample, n, error):
    with pytest.raises(error, match="the number of draws must be"):
        wide_sample.resample(n, np.random.default_rng(1))


@pytest.mark.parametrize("j", [1, -1])
def test_quantile_column_out_of_range(wide_sample, j):
    with pytest.raises(ValueError, match="j must be a column index from 0 to 0"):
        wide_sample.quantile(j, 0.5)


@pytest.mark.parametrize("j", [0.0, True, "0"])
def test_quantile_column_must_be_an_integer(wide_sample, j):
    with pytest.raises(TypeError, match="j must be an integer"):
        wide_sample.quantile(j, 0.5)


def test_quantile_bad_probability(wide_sample):
    with pytest.raises(ValueError, match="quantile probabilities must lie in"):
        wide_sample.quantile(0, 1.5)


def test_laplace_fit_log_beta_refuses_other_data():
    with pytest.raises(TypeError, match="data must be a BioassayData"):
        bioassay.laplace_fit_log_beta({"x": [0.0], "n": [5], "y": [1]})


def test_the_diagnosis_reads_k_hat_as_an_estimate():
    """The reading follows Vehtari et al. (2024): it speaks of the estimates' reliability, never
    of the weights' variance, which k̂ from one set of draws cannot settle."""
    good = importance_sample(std_normal, normal_proposal(1.5), 4000, np.random.default_rng(SEED))
    assert "the estimates are reliable in practice" in good.diagnosis
    usable = importance_sample(std_normal, normal_proposal(0.6), 100_000, np.random.default_rng(SEED))
    assert "converge more slowly than 1/√S" in usable.diagnosis
    for sample in (good, usable):
        assert "variance" not in sample.diagnosis


def test_bioassay_weights_have_infinite_variance_whatever_k_hat_says():
    """The flat-prior bioassay posterior falls off only exponentially along a ray (the log
    likelihood is asymptotically linear), while the Laplace normal falls off like exp(−r²): the
    log weight grows without bound along any ray, so the weights' second moment is infinite,
    although k̂ from 4,000 draws of the (α, log β) proposal can read "good". Checked along the
    ray log β → −∞ at α = 0, where the target tends to L(0, 0) · β (the Jacobian)."""
    from bda_helpers import load_bioassay

    data = load_bioassay()
    fit = bioassay.laplace_fit_log_beta(data)
    log_target = bioassay.model_functions_log_beta(data).log_density
    u = np.array([-5.0, -10.0, -20.0, -40.0])
    points = np.column_stack([np.zeros_like(u), u])
    log_weights = log_target(points) - fit.logpdf(points)
    # the target is log L(0, 0) + u + o(1) there: linear in u, against the proposal's quadratic
    assert np.allclose(log_target(points)[1:] - u[1:], log_target(points)[-1] - u[-1], atol=1e-3)
    assert np.all(np.diff(log_weights) > 0) and log_weights[-1] > log_weights[0] + 100
