"""Quantile Monte Carlo standard errors and the LD50 delta method, against independent references."""

import numpy as np
import pytest
from scipy import stats

from bda_helpers.ld50_normal import ld50_normal_cdf
from bda_helpers.summaries import (
    NormalSummary,
    check_bivariate_normal,
    ld50,
    ld50_delta_method,
    ld50_unconditioned,
    quantile_mcse,
)


@pytest.mark.parametrize("prob", [0.025, 0.25, 0.5, 0.975])
def test_quantile_mcse_matches_the_spread_of_repeated_sample_quantiles(prob):
    samples = np.random.default_rng(11).standard_exponential((2000, 2000))
    spread = np.quantile(samples, prob, axis=1).std(ddof=1)
    # One sample's estimate is itself noisy; on average over 300 samples it must match.
    estimates = [quantile_mcse(sample, prob) for sample in samples[:300]]
    assert np.mean(estimates) == pytest.approx(spread, rel=0.08)


def test_quantile_mcse_matches_the_asymptotic_formula_for_normal_draws():
    n, prob = 200_000, 0.75
    draws = np.random.default_rng(5).normal(size=n)
    z = stats.norm.ppf(prob)
    asymptotic = np.sqrt(prob * (1 - prob) / n) / stats.norm.pdf(z)
    assert quantile_mcse(draws, prob) == pytest.approx(asymptotic, rel=0.05)


def test_delta_method_gradient_against_finite_differences_and_tiny_covariance_monte_carlo():
    mean = np.array([0.85, 7.75])
    cov = np.array([[1.04, 3.55], [3.55, 23.7]])
    step = 1e-6
    gradient = np.array(
        [
            (-(mean[0] + step) / mean[1] + (mean[0] - step) / mean[1]) / (2 * step),
            (-mean[0] / (mean[1] + step) + mean[0] / (mean[1] - step)) / (2 * step),
        ]
    )
    summary = ld50_delta_method(mean, cov)
    assert summary.mean == pytest.approx(-mean[0] / mean[1])
    assert summary.sd == pytest.approx(np.sqrt(gradient @ cov @ gradient), rel=1e-6)
    # With a tiny covariance the linearisation is exact: Monte Carlo agrees.
    draws = np.random.default_rng(3).multivariate_normal(mean, cov * 1e-6, size=200_000)
    ratio = -draws[:, 0] / draws[:, 1]
    assert ld50_delta_method(mean, cov * 1e-6).sd == pytest.approx(ratio.std(), rel=0.01)


def test_normal_summary_quantiles_are_scipys():
    summary = NormalSummary(mean=-0.1, sd=0.1)
    assert summary.interval(0.5) == pytest.approx(stats.norm(-0.1, 0.1).ppf([0.25, 0.75]))
    assert summary.quantile([0.0, 0.1, 1.0]) == pytest.approx(
        [-np.inf, -0.1 - 0.1 * 1.2815515655446004, np.inf]
    )


def test_normal_summary_takes_numpy_scalars_as_floats():
    summary = NormalSummary(mean=np.float64(-0.1), sd=np.array(0.1))
    assert type(summary.mean) is float and type(summary.sd) is float
    assert summary == NormalSummary(-0.1, 0.1)


def test_delta_method_with_a_singular_covariance_is_the_projection_on_its_direction():
    # (α, β) = mean + z·v with z ~ N(0, 1): cov = v vᵀ is singular but positive
    # semi-definite, and the linearised −α/β has sd |∇g · v| exactly.
    mean, v = np.array([0.85, 7.75]), np.array([0.3, 2.0])
    summary = ld50_delta_method(mean, np.outer(v, v))
    assert summary.sd == pytest.approx(abs(-v[0] / mean[1] + mean[0] * v[1] / mean[1] ** 2), rel=1e-12)


BAD_COVARIANCES = [
    # xᵀ cov x = xᵀ x for every x: only a symmetry check sees that this is no covariance.
    ("asymmetric", [[1.0, 5.0], [-5.0, 1.0]], "cov is not symmetric"),
    # Eigenvalues 3 and −1, yet gᵀ cov g = 0.0095 > 0 for the gradient g at the mean below.
    ("indefinite", [[1.0, 2.0], [2.0, 1.0]], "cov is not positive"),
    ("not finite", [[1.0, 0.0], [0.0, np.inf]], "finite"),
]


@pytest.mark.parametrize(
    ("cov", "message"), [c[1:] for c in BAD_COVARIANCES], ids=[c[0] for c in BAD_COVARIANCES]
)
def test_delta_method_and_exact_ld50_refuse_the_same_bad_covariances(cov, message):
    with pytest.raises(ValueError, match=message):
        ld50_delta_method([0.85, 7.75], cov)
    with pytest.raises(ValueError, match=message):
        ld50_normal_cdf(0.0, [0.85, 7.75], cov)


def test_quantile_mcse_of_one_probability_equals_the_normal_theory_for_a_numpy_scalar():
    draws = np.random.default_rng(5).normal(size=100_000)
    asymptotic = np.sqrt(0.25 / draws.size) / stats.norm.pdf(0.0)
    # One estimate is itself noisy (about 7 % here): this checks the scalar path, not the rule.
    assert quantile_mcse(draws, np.float64(0.5)) == pytest.approx(asymptotic, rel=0.25)
    assert quantile_mcse(draws, np.array(0.5)) == quantile_mcse(draws, 0.5)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ld50_delta_method([0.8, -1.0], np.eye(2)), "needs beta > 0"),
        (lambda: ld50_delta_method([0.8, 7.0, 1.0], np.eye(2)), "mean must have shape"),
        (lambda: ld50_delta_method([0.8, 7.0], [[np.nan, 0], [0, 1]]), "must be finite"),
        (lambda: quantile_mcse([1.0, 2.0, np.nan], 0.5), "draws must be finite"),
        (lambda: quantile_mcse([1.0, 2.0], 1.0), "strictly between 0 and 1"),
        (lambda: quantile_mcse([1.0], 0.5), "at least 2 values"),
        (lambda: NormalSummary(0.0, 1.0).interval(1.5), "strictly between 0 and 1"),
        (lambda: quantile_mcse([1.0, 2.0, 3.0], [0.1, 0.2]), "single probability"),
        (lambda: NormalSummary(0.0, -1.0), "sd must be a finite positive number"),
        (lambda: NormalSummary(0.0, 0.0), "sd must be a finite positive number"),
        (lambda: NormalSummary(0.0, np.inf), "sd must be a finite positive number"),
        (lambda: NormalSummary(0.0, np.nan), "sd must be a finite positive number"),
        (lambda: NormalSummary(np.nan, 1.0), "mean must be finite"),
        (lambda: NormalSummary(-np.inf, 1.0), "mean must be finite"),
        (lambda: NormalSummary([0.0, 1.0], 1.0), "mean must be a single number"),
        (lambda: NormalSummary("zero", 1.0), "mean must be a number"),
        (lambda: NormalSummary(0.0, 1.0).quantile(2.0), r"lie in \[0, 1\]"),
        (lambda: NormalSummary(0.0, 1.0).quantile([0.5, -0.1]), r"lie in \[0, 1\]"),
        (lambda: NormalSummary(0.0, 1.0).quantile(np.nan), r"lie in \[0, 1\]"),
        (lambda: NormalSummary(0.0, 1.0).interval(np.nan), "strictly between 0 and 1"),
        (lambda: ld50_delta_method([0.0, 7.0], np.zeros((2, 2))), "no variance"),
    ],
)
def test_bad_input_is_refused_with_a_named_reason(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- -alpha/beta near beta = 0: finite where a float holds it, refused where it overflows ----------


def test_ld50_for_a_tiny_beta_is_exact_while_the_ratio_fits_in_a_float():
    # -1e-10 / 1e-300 = -1e290, and -alpha / beta is one correctly rounded division.
    assert ld50(1e-10, 1e-300).tolist() == -1e290
    assert ld50([1e-20, 0.0], [5e-324, 1e-320]).tolist() == [-1e-20 / 5e-324, -0.0]  # about -2e303


@pytest.mark.parametrize("function", [ld50, ld50_unconditioned])
def test_a_ratio_beyond_the_largest_float_is_refused_with_its_beta(function):
    # 0.5 / 1e-320 = 5e319 > 1.8e308 = the largest float: no finite answer is correct.
    assert 0.5 / 1e-300 < np.finfo(float).max < 5e319
    name = function.__name__
    with pytest.raises(ValueError, match=rf"{name} = -alpha/beta overflows at beta=1e-320 \(alpha=0\.5\)"):
        function(0.5, 1e-320)
    with pytest.raises(
        ValueError, match=r"overflows at beta=1e-320 \(alpha=-2\.0 at index \(1,\), 1 of 3 values\)"
    ):
        function([0.8, -2.0, 0.1], [7.7, 1e-320, 1e-300])


def test_ld50_unconditioned_still_takes_negative_beta():
    assert ld50_unconditioned([0.8], [-2.0]).tolist() == [0.4]


# --- check_bivariate_normal, shared with ld50_normal ------------------------------------------------


def test_check_bivariate_normal_returns_float_copies():
    mean_in, cov_in = [1, 2], [[2, 1], [1, 2]]
    mean, cov = check_bivariate_normal(mean_in, cov_in, definite=True)
    assert mean.dtype == cov.dtype == float
    assert mean.tolist() == [1.0, 2.0] and cov.tolist() == [[2.0, 1.0], [1.0, 2.0]]


def test_check_bivariate_normal_refuses_a_singular_cov_only_when_definite():
    singular = np.outer([0.3, 2.0], [0.3, 2.0])  # rank 1: eigenvalues 0 (up to rounding) and 4.09
    _, cov = check_bivariate_normal([0.85, 7.75], singular, definite=False)
    assert np.array_equal(cov, singular)
    with pytest.raises(ValueError, match="cov is not positive definite"):
        check_bivariate_normal([0.85, 7.75], singular, definite=True)
