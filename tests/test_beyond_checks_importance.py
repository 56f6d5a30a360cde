"""The self-check of notebook 09's exercise: LD50's upper tail from both importance samples.

The answers are functions of the student's samples, so the check grades them against those
samples: the tests compute the weighted quantiles and the tail mean here with plain numpy (the
inverted CDF, and the midpoint rule), check that every quantile definition passes and the
neighbouring probabilities do not, that each recognised slip gets its own hint, that no failing
message shows an answer, and that what the right answers' messages claim is true (an independent
fine grid, and replications over seeds).
"""

import re

import numpy as np
import pytest

from bda_helpers import bioassay, load_bioassay
from bda_helpers.beyond import checks as check_beyond
from bda_helpers.beyond.importance import ImportanceSample, importance_sample

SEED = 20261126  # notebook 09's
N_IS = 4000
NAMES = ("ld50_q975_ab", "ld50_q975_lb", "beta_in_ld50_tail", "ab_ld50_biased_low")


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


def tail_mean(values, weights, beta, threshold):
    tail = values > threshold
    return np.sum(weights[tail] * beta[tail]) / np.sum(weights[tail])


def fine_exact(fine_grid):
    """The exact 97.5 % LD50 quantile and the mean of β over LD50's upper 2.5 %, on the fine grid."""
    alpha_grid, beta_grid = np.meshgrid(fine_grid.alpha, fine_grid.beta, indexing="ij")
    positive = beta_grid > 0
    values, beta, mass = (
        -alpha_grid[positive] / beta_grid[positive],
        beta_grid[positive],
        fine_grid.mass[positive],
    )
    quantile = midpoint_quantile(values, mass, 0.975)
    return quantile, tail_mean(values, mass, beta, quantile)


@pytest.fixture(scope="module")
def notebook():
    """The notebook's samples, its resampled draws and the right answers computed here."""
    rng = np.random.default_rng(SEED)
    sample_ab, sample_lb = two_samples(rng)
    resampled = sample_lb.resample(1000, rng)
    q_ab = midpoint_quantile(ld50(sample_ab, False), sample_ab.weights, 0.975)
    q_lb = midpoint_quantile(ld50(sample_lb, True), sample_lb.weights, 0.975)
    beta_tail = tail_mean(ld50(sample_lb, True), sample_lb.weights, np.exp(sample_lb.draws[:, 1]), q_lb)
    return sample_ab, sample_lb, resampled, (float(q_ab), float(q_lb), float(beta_tail), False)


def run(notebook, *answers):
    sample_ab, sample_lb, resampled, _ = notebook
    return check_beyond.ld50_q975_importance(
        *answers, sample_alpha_beta=sample_ab, sample_log_beta=sample_lb, resampled=resampled
    )


def test_placeholder_and_bad_input(notebook):
    sample_ab, sample_lb, resampled, right = notebook
    assert [r.passed for r in run(notebook, None, None, None, None).results] == [None] * 4
    assert "one number" in run(notebook, [0.1, 0.2], *right[1:]).results[0].message
    assert "without quotes" in run(notebook, "0.1", *right[1:]).results[0].message
    assert "not finite" in run(notebook, right[0], np.nan, *right[2:]).results[1].message
    assert "True or False" in run(notebook, *right[:3], "no").results[3].message
    check = check_beyond.ld50_q975_importance
    with pytest.raises(TypeError, match="sample_log_beta must be an ImportanceSample"):
        check(*right, sample_alpha_beta=sample_ab, sample_log_beta=sample_lb.draws)
    with pytest.raises(TypeError, match="sample_alpha_beta must be an ImportanceSample"):
        check(*right, sample_alpha_beta={"(α, β)": sample_ab}, sample_log_beta=sample_lb)
    one_column = ImportanceSample(sample_lb.draws[:, :1], sample_lb.log_weights)
    with pytest.raises(ValueError, match="two columns"):
        check(*right, sample_alpha_beta=sample_ab, sample_log_beta=one_column)
    with pytest.raises(ValueError, match="resampled must be"):
        check(*right, sample_alpha_beta=sample_ab, sample_log_beta=sample_lb, resampled=resampled[:, :1])
    # without the resampled draws the check still grades
    assert check(*right, sample_alpha_beta=sample_ab, sample_log_beta=sample_lb).passed is True


def test_right_answers_pass_by_any_quantile_definition(notebook):
    sample_ab, sample_lb, _, right = notebook
    assert run(notebook, *right).passed is True
    for which, (sample, log_beta) in enumerate(((sample_ab, False), (sample_lb, True))):
        values, weights = ld50(sample, log_beta), sample.weights
        for answer in (
            inverted_cdf_quantile(values, weights, 0.975),
            midpoint_quantile(values, weights, 0.975),
            np.quantile(values, 0.975, weights=weights, method="inverted_cdf"),
        ):
            answers = list(right)
            answers[which] = float(answer)
            assert run(notebook, *answers).results[which].passed is True, (which, answer)
    # the tail mean with the tail cut at the inverted-CDF quantile, and LD50 only where β > 0
    values, beta = ld50(sample_lb, True), np.exp(sample_lb.draws[:, 1])
    cut = inverted_cdf_quantile(values, sample_lb.weights, 0.975)
    assert run(notebook, *right[:2], float(tail_mean(values, sample_lb.weights, beta, cut)), False).passed
    positive = sample_ab.draws[:, 1] > 0
    answer = midpoint_quantile(ld50(sample_ab, False)[positive], sample_ab.weights[positive], 0.975)
    assert run(notebook, float(answer), *right[1:]).passed is True


def test_right_answers_pass_for_other_seeds():
    for seed in range(3):
        sample_ab, sample_lb = two_samples(np.random.default_rng([SEED, 100 + seed]))
        q_lb = inverted_cdf_quantile(ld50(sample_lb, True), sample_lb.weights, 0.975)
        answers = (
            float(inverted_cdf_quantile(ld50(sample_ab, False), sample_ab.weights, 0.975)),
            float(q_lb),
            float(tail_mean(ld50(sample_lb, True), sample_lb.weights, np.exp(sample_lb.draws[:, 1]), q_lb)),
            False,
        )
        result = check_beyond.ld50_q975_importance(
            *answers, sample_alpha_beta=sample_ab, sample_log_beta=sample_lb
        )
        assert result.passed is True, result


def test_each_quantile_slip_gets_its_hint_and_nothing_leaks(notebook, fine_grid, assert_no_leak):
    sample_ab, sample_lb, resampled, right = notebook
    exact, exact_tail = fine_exact(fine_grid)
    v_ab, v_lb = ld50(sample_ab, False), ld50(sample_lb, True)
    w_ab, w_lb = sample_ab.weights, sample_lb.weights
    alpha, log_beta = sample_lb.draws.T
    v_res = -resampled[:, 0] / np.exp(resampled[:, 1])
    cases = {
        0: {
            midpoint_quantile(v_lb, w_lb, 0.975): "matches the (α, log β) sample; this answer is the (α, β)",
            np.quantile(v_ab, 0.975): "this sample's draws without their importance weights",
            np.quantile(v_lb, 0.975): "the (α, log β) sample's draws without their importance weights",
            midpoint_quantile(-v_ab, w_ab, 0.975): "sign is flipped",
            np.quantile(v_res, 0.975): "resampled draws, which come from the (α, log β) sample",
            midpoint_quantile(v_ab, w_ab, 0.97): "a probability below 0.975",
            midpoint_quantile(v_ab, w_ab, 0.99): "a probability above 0.975",
            0.1: "rounded to one or two significant digits",
            -0.5: "a probability below 0.975",
        },
        1: {
            midpoint_quantile(v_ab, w_ab, 0.975): "matches the (α, β) sample; this answer is the (α, log β)",
            np.quantile(v_lb, 0.975): "this sample's draws without their importance weights",
            midpoint_quantile(-v_lb, w_lb, 0.975): "sign is flipped",
            midpoint_quantile(-alpha / log_beta, w_lb, 0.975): "second column is log β",
            np.quantile(v_res, 0.975): "1,000 importance-resampled draws: an estimate too",
            midpoint_quantile(v_lb, w_lb, 0.97): "a probability below 0.975",
            midpoint_quantile(v_lb, w_lb, 0.98): "a probability above 0.975",
            midpoint_quantile(v_lb, w_lb, 0.99): "a probability above 0.975",
            0.1: "rounded to one or two significant digits",
        },
    }
    for which, slips in cases.items():
        for answer, hint in slips.items():
            answers = list(right)
            answers[which] = float(answer)
            result = run(notebook, *answers).results[which]
            assert result.passed is False and hint in result.message, (which, answer, result.message)
            assert "np." not in result.message and "weighted_quantiles" not in result.message  # no code
            assert_no_leak(result, *right[:3], exact, exact_tail, answer=float(answer))


NUMPY_METHODS = (
    "inverted_cdf",
    "averaged_inverted_cdf",
    "closest_observation",
    "interpolated_inverted_cdf",
    "hazen",
    "weibull",
    "linear",
    "median_unbiased",
    "normal_unbiased",
    "lower",
    "higher",
    "midpoint",
    "nearest",
)


def test_a_wrong_probability_on_the_right_sample_is_named(notebook, fine_grid, assert_no_leak):
    """Quantiles at 0.965 to 0.985 of the right sample are told to check the probability; a slip is
    named with them only where it is true: for the 1,000 equally weighted resampled draws, only values
    numpy's quantile methods give (up to four significant digits)."""
    sample_ab, sample_lb, resampled, right = notebook
    exact, exact_tail = fine_exact(fine_grid)
    v_res = -resampled[:, 0] / np.exp(resampled[:, 1])
    by_method = [np.quantile(v_res, 0.975, method=m) for m in NUMPY_METHODS]
    res_low, res_high = min(by_method) * (1 - 5e-4), max(by_method) * (1 + 5e-4)
    # the third review's false hints: 98 %, 97.7 %, 97.8 % "matched" the resampled draws, 97.6 % the
    # (α, log β) sample; on either sample these are plain probability slips
    plain = {0: (0.976, 0.977, 0.978, 0.98), 1: (0.976, 0.977, 0.979, 0.98)}
    for which, (sample, log_beta) in enumerate(((sample_ab, False), (sample_lb, True))):
        values = ld50(sample, log_beta)
        for prob in np.arange(0.965, 0.98501, 0.001):
            if abs(prob - 0.975) < 1e-6:
                continue
            answer = float(midpoint_quantile(values, sample.weights, prob))
            answers = list(right)
            answers[which] = answer
            result = run(notebook, *answers).results[which]
            side = "below" if prob < 0.975 else "above"
            assert result.passed is False, (which, prob)
            assert f"a probability {side} 0.975, within 0.01 of it" in result.message, (which, prob)
            assert "check the probability: 0.975" in result.message, (which, prob)
            if "importance-resampled" in result.message:
                assert res_low <= answer <= res_high, (which, prob, result.message)
            if round(prob, 3) in plain[which]:
                assert "matches" not in result.message, (which, prob, result.message)
            assert_no_leak(result, *right[:3], exact, exact_tail, answer=answer)


def test_raw_weights_give_nearly_the_same_answers_and_pass(notebook):
    """The exercise says so: with the notebook's samples, raw (unsmoothed) weights pass too."""
    sample_ab, sample_lb, _, right = notebook
    raw_ab, raw_lb = (np.exp(s.log_weights - s.log_weights.max()) for s in (sample_ab, sample_lb))
    v_lb = ld50(sample_lb, True)
    q_lb = midpoint_quantile(v_lb, raw_lb, 0.975)
    answers = (
        float(midpoint_quantile(ld50(sample_ab, False), raw_ab, 0.975)),
        float(q_lb),
        float(tail_mean(v_lb, raw_lb, np.exp(sample_lb.draws[:, 1]), q_lb)),
        False,
    )
    assert run(notebook, *answers).passed is True
    assert np.allclose(answers[:3], right[:3], rtol=0.02)  # "nearly the same"


def test_each_tail_slip_gets_its_hint_and_nothing_leaks(notebook, fine_grid, assert_no_leak):
    sample_ab, sample_lb, _, right = notebook
    exact, exact_tail = fine_exact(fine_grid)
    v_ab, v_lb = ld50(sample_ab, False), ld50(sample_lb, True)
    w_ab, w_lb = sample_ab.weights, sample_lb.weights
    log_beta = sample_lb.draws[:, 1]
    beta = np.exp(log_beta)
    q_lb = right[1]
    cases = {
        tail_mean(v_ab, w_ab, sample_ab.draws[:, 1], right[0]): "matches the (α, β) sample",
        tail_mean(v_lb, w_lb, log_beta, q_lb): "averages log β",
        tail_mean(v_lb, np.ones_like(w_lb), beta, q_lb): "leaves out the weights",
        w_lb @ beta: "the mean over all draws",
        tail_mean(-v_lb, w_lb, beta, midpoint_quantile(-v_lb, w_lb, 0.975)): "LD50's lower tail",
        np.sum((w_lb * beta)[v_lb > q_lb]): "divided by those weights' sum",
        5.0: "rounded to one or two significant digits",
    }
    for answer, hint in cases.items():
        result = run(notebook, *right[:2], float(answer), False)
        tail, decision = result.results[2:]
        assert tail.passed is False and hint in tail.message, (answer, tail.message)
        assert decision.passed is False and "graded once `beta_in_ld50_tail` is right" in decision.message
        assert_no_leak(tail, *right[:3], exact, exact_tail, answer=float(answer))


def test_decision(notebook):
    right = notebook[3]
    wrong = run(notebook, *right[:3], True).results[3]
    assert wrong.passed is False and "Where in β does LD50's upper tail lie" in wrong.message
    assert "small β" not in wrong.message  # the hint asks, it does not answer
    assert run(notebook, *right[:3], np.bool_(False)).results[3].passed is True
    assert "True or False" in run(notebook, *right[:3], 0).results[3].message


def test_right_messages_are_true(notebook, fine_grid):
    """The right answers' messages quote the exact values (checked on the independent fine grid);
    the decision's message claims: LD50's upper tail lies at small β, where the (α, β) proposal draws
    plenty, so its LD50 estimate has no systematic shortfall, unlike its estimate of β's 97.5 %
    quantile, and its heaviest weights sit at large β. Checked over 40 seeds."""
    right = notebook[3]
    results = run(notebook, *right).results
    exact, exact_tail = fine_exact(fine_grid)
    for result in results[:2]:
        assert f"fine grid: {exact:.3f})" in result.message
    quoted = float(re.search(r"fine grid: (\d+\.\d+)\)", results[2].message).group(1))
    assert abs(quoted - exact_tail) <= 0.006
    assert exact_tail < 6  # "small β": the posterior's β mean is 11.6, its median 10.7
    data = load_bioassay()
    approx = bioassay.laplace_fit(data)
    alpha_grid, beta_grid = np.meshgrid(fine_grid.alpha, fine_grid.beta, indexing="ij")
    in_tail = (beta_grid > 0) & (-alpha_grid / np.where(beta_grid > 0, beta_grid, 1.0) > exact)
    tail_mass = fine_grid.mass[in_tail]
    beta_tail = beta_grid[in_tail]
    assert tail_mass[beta_tail > 15].sum() / tail_mass.sum() < 1e-3  # LD50's tail: β below 15 ...
    from scipy import stats

    assert stats.norm.cdf(15, approx.mode[1], approx.sd[1]) > 0.9  # ... where the proposal draws 90 %+
    ld50_ab, ld50_lb, beta_ab = [], [], []
    for seed in range(40):
        sample_ab, sample_lb = two_samples(np.random.default_rng([SEED, 300 + seed]))
        ld50_ab.append(midpoint_quantile(ld50(sample_ab, False), sample_ab.weights, 0.975))
        ld50_lb.append(midpoint_quantile(ld50(sample_lb, True), sample_lb.weights, 0.975))
        beta_ab.append(midpoint_quantile(sample_ab.draws[:, 1], sample_ab.weights, 0.975))
        heaviest = np.argsort(sample_ab.weights)[-40:]  # the largest 1 % of the weights
        assert np.median(sample_ab.draws[heaviest, 1]) > 15  # at large β, far from LD50's tail (mean β < 6)
    ld50_ab, ld50_lb, beta_ab = map(np.array, (ld50_ab, ld50_lb, beta_ab))
    se_ab = ld50_ab.std(ddof=1) / np.sqrt(40)
    assert abs(ld50_ab.mean() - exact) < 3 * se_ab  # no systematic shortfall of LD50's quantile ...
    _, beta_exact = np.meshgrid(fine_grid.alpha, fine_grid.beta, indexing="ij")
    beta_q975 = midpoint_quantile(beta_exact.ravel(), fine_grid.mass.ravel(), 0.975)
    assert np.median(beta_q975 - beta_ab) > 2 and (beta_ab < beta_q975).mean() > 0.75  # ... but of β's
