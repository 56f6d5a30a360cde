"""The self-check of notebook 09's exercise, LD50's 97.5 % quantile by importance sampling.

The answer is a function of the student's sample, so the check grades it against that sample:
the tests compute the weighted quantile here with plain numpy (the inverted CDF, and the midpoint
rule), check that every definition passes and the neighbouring probabilities do not, that each
recognised slip gets its own hint, and that no failing message shows the answer. The Monte Carlo
error the right answer's message quotes is checked against the spread over seeds.
"""

import re

import numpy as np
import pytest

from bda_helpers import bioassay, load_bioassay
from bda_helpers.beyond import checks as check_beyond
from bda_helpers.beyond.importance import ImportanceSample, importance_sample

SEED = 20261126  # notebook 09's
N_IS = 4000


def two_samples(rng):
    """Notebook 09's two samples, drawn in its order from one generator."""
    data = load_bioassay()
    sample_ab = importance_sample(
        bioassay.model_functions(data).log_density, bioassay.laplace_fit(data), N_IS, rng
    )
    sample_lb = importance_sample(
        bioassay.model_functions_log_beta(data).log_density, bioassay.laplace_fit_log_beta(data), N_IS, rng
    )
    return sample_ab, sample_lb


def inverted_cdf_quantile(values, weights, p):
    """The smallest value whose weighted CDF reaches p (numpy's 'inverted_cdf' with weights)."""
    order = np.argsort(values)
    cdf = np.cumsum(weights[order]) / weights.sum()
    return values[order][np.searchsorted(cdf, p)]


def midpoint_quantile(values, weights, p):
    """Values at W_(i) − w_(i)/2, interpolated linearly (the course's rule, written out here)."""
    order = np.argsort(values)
    w = weights[order] / weights.sum()
    return np.interp(p, np.cumsum(w) - w / 2, values[order])


def ld50(sample, log_beta):
    alpha, second = sample.draws.T
    return -alpha / (np.exp(second) if log_beta else second)


@pytest.fixture(scope="module")
def samples():
    return two_samples(np.random.default_rng(SEED))


def test_placeholder_and_bad_input(samples):
    check = check_beyond.ld50_q975_importance
    assert check(None, *samples).passed is None
    assert "one number" in check([0.1, 0.2], *samples).message
    assert "without quotes" in check("0.1", *samples).message
    assert "not finite" in check(np.nan, *samples).message
    with pytest.raises(TypeError, match="sample_log_beta must be an ImportanceSample"):
        check(0.1, samples[0], samples[1].draws)
    with pytest.raises(TypeError, match="sample_alpha_beta must be an ImportanceSample"):
        check(0.1, {"(α, β)": samples[0]}, samples[1])
    one_column = ImportanceSample(samples[1].draws[:, :1], samples[1].log_weights)
    with pytest.raises(ValueError, match="two columns"):
        check(0.1, samples[0], one_column)


def test_right_answers_pass_by_any_quantile_definition(samples):
    sample_lb = samples[1]
    values, weights = ld50(sample_lb, True), sample_lb.weights
    for answer in (
        inverted_cdf_quantile(values, weights, 0.975),
        midpoint_quantile(values, weights, 0.975),
        np.quantile(values, 0.975, weights=weights, method="inverted_cdf"),
    ):
        assert check_beyond.ld50_q975_importance(float(answer), *samples).passed is True, answer


def test_right_answers_pass_for_other_seeds():
    for seed in range(3):
        sample_ab, sample_lb = two_samples(np.random.default_rng([SEED, 100 + seed]))
        answer = inverted_cdf_quantile(ld50(sample_lb, True), sample_lb.weights, 0.975)
        assert check_beyond.ld50_q975_importance(float(answer), sample_ab, sample_lb).passed is True


def test_each_slip_gets_its_hint_and_nothing_leaks(samples, fine_grid, assert_no_leak):
    sample_ab, sample_lb = samples
    values, weights = ld50(sample_lb, True), sample_lb.weights
    right = midpoint_quantile(values, weights, 0.975)
    alpha, log_beta = sample_lb.draws.T
    cases = {
        midpoint_quantile(values, weights, 0.97): "a probability below 0.975",
        midpoint_quantile(values, weights, 0.98): "a probability above 0.975",
        midpoint_quantile(values, weights, 0.985): "a probability above 0.975",
        midpoint_quantile(values, weights, 0.99): "a probability above 0.975",
        midpoint_quantile(ld50(sample_ab, False), sample_ab.weights, 0.975): "of the (α, β) sample",
        np.quantile(values, 0.975): "(α, log β) proposal's draws without their importance weights",
        np.quantile(ld50(sample_ab, False), 0.975): "(α, β) proposal's draws without their importance",
        midpoint_quantile(-values, weights, 0.975): "sign is flipped",
        midpoint_quantile(-alpha / log_beta, weights, 0.975): "second column is log β",
        -0.5: "a probability below 0.975",
    }
    alpha_grid, beta_grid = np.meshgrid(fine_grid.alpha, fine_grid.beta, indexing="ij")
    positive = beta_grid > 0
    exact = midpoint_quantile(-alpha_grid[positive] / beta_grid[positive], fine_grid.mass[positive], 0.975)
    for answer, hint in cases.items():
        result = check_beyond.ld50_q975_importance(float(answer), *samples)
        assert result.passed is False and hint in result.message, (answer, result.message)
        assert "weighted_quantiles" not in result.message and "np." not in result.message  # no code
        assert_no_leak(result, right, exact, answer=float(answer))


def test_right_message_is_true(samples, fine_grid):
    """The message quotes the exact value (checked on the independent fine grid) and the distance
    in ESS-based Monte Carlo standard errors; over 20 seeds that standard error is within a factor
    of 1.6 of the estimates' actual spread, and the notebook's estimate is within 2.5 sds of exact."""
    sample_lb = samples[1]
    right = midpoint_quantile(ld50(sample_lb, True), sample_lb.weights, 0.975)
    message = check_beyond.ld50_q975_importance(float(right), *samples).message
    alpha_grid, beta_grid = np.meshgrid(fine_grid.alpha, fine_grid.beta, indexing="ij")
    positive = beta_grid > 0
    exact = midpoint_quantile(-alpha_grid[positive] / beta_grid[positive], fine_grid.mass[positive], 0.975)
    assert f"is {exact:.3f}," in message
    estimates, standard_errors = [], []
    for seed in range(20):
        _, sample = two_samples(np.random.default_rng([SEED, 200 + seed]))
        estimates.append(midpoint_quantile(ld50(sample, True), sample.weights, 0.975))
        quoted = check_beyond.ld50_q975_importance(float(estimates[-1]), _, sample).message
        distance = float(re.search(r"(\d+\.\d) Monte Carlo standard errors", quoted).group(1))
        standard_errors.append(abs(estimates[-1] - exact) / distance if distance > 0.2 else np.nan)
    spread = np.std(estimates, ddof=1)
    assert abs(np.mean(estimates) - exact) < 3 * spread / np.sqrt(20)  # no bias beyond Monte Carlo error
    assert 1 / 1.6 < np.nanmedian(standard_errors) / spread < 1.6
    assert abs(right - exact) < 2.5 * spread
