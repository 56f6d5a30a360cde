"""Notebook 05's self-checks: right answers (computed here from the reference fit) pass,
placeholders are "not answered", and the typical wrong answers get their specific hint."""

import numpy as np
import pytest
from scipy import optimize, stats

from bda_helpers.checks import laplace_vs_grid as check_05

Z = stats.norm.ppf(0.975)


@pytest.fixture(scope="module")
def normal(posterior_mode):
    return posterior_mode.mode, posterior_mode.cov


def own_weighted_quantiles(values, weights, probs):
    order = np.argsort(values.ravel())
    v, w = values.ravel()[order], weights.ravel()[order] / weights.sum()
    return np.interp(probs, np.cumsum(w) - w / 2, v)


def interval_at(x, mode, cov):
    a = np.array([1.0, x])
    mean, sd = a @ mode, np.sqrt(a @ cov @ a)
    return np.array([mean - Z * sd, mean + Z * sd])


def test_placeholders_are_not_answered():
    assert check_05.log_odds_interval(None).passed is None
    assert check_05.prior_beta_negative_probability(None).passed is None


def test_log_odds_interval_right_answers(normal):
    mode, cov = normal
    assert check_05.DOSE == 2.0
    exact = interval_at(np.log(2.0), mode, cov)
    np.testing.assert_allclose(exact, [-1.949, 14.384], atol=1e-3)
    for answer in (exact, exact.round(3), exact.round(2)):
        result = check_05.log_odds_interval(list(answer))
        assert result.passed is True and "at x = log 2" in result.message, result.message


def test_log_odds_interval_wrong_answers(normal, fine_grid, assert_no_leak):
    mode, cov = normal
    x = np.log(2.0)
    a = np.array([1.0, x])
    mean, sd = a @ mode, np.sqrt(a @ cov @ a)
    exact = interval_at(x, mode, cov)
    diagonal_sd = np.sqrt(cov[0, 0] + x**2 * cov[1, 1])
    alpha, beta = np.meshgrid(fine_grid.alpha, fine_grid.beta, indexing="ij")
    grid = own_weighted_quantiles(alpha + x * beta, fine_grid.mass, [0.025, 0.975])
    cases = {
        tuple(exact.round(1)): "one decimal is too coarse",
        (mean - Z * diagonal_sd, mean + Z * diagonal_sd): "too narrow: it treats α and β as independent",
        tuple(np.round([mean - Z * diagonal_sd, mean + Z * diagonal_sd], 1)): "treats α and β as independent",
        (mean - Z * sd**2, mean + Z * sd**2): "the variance of α + βx where its sd belongs",
        tuple(interval_at(2.0, mode, cov)): "the dose itself",
        tuple(interval_at(np.log10(2.0), mode, cov).round(2)): "base-10 log",
        tuple(grid): "the exact posterior's interval",
        tuple(grid.round(1)): "the exact posterior's interval",
        tuple(exact + [0.3, 0.1]): "close: within the Monte Carlo error",  # not symmetric: draws
        (-2.2, 14.5): "close: within the Monte Carlo error",
        tuple(exact + [0.3, -0.3]): "close, and centred right",  # symmetric: computed, not drawn
        tuple(interval_at(0.68, mode, cov).round(2)): "at a slightly different x",
        tuple(interval_at(0.69, mode, cov).round(2)): "matches x = 0.69, the log dose rounded",
        tuple(interval_at(0.69, mode, cov)): "matches x = 0.69, the log dose rounded",
        tuple(interval_at(0.7, mode, cov).round(2)): "matches x = 0.7, the log dose rounded",
        (mean - 1.645 * sd, mean + 1.645 * sd): "± 1.645 × the sd of α + βx",
        tuple(np.round([mean - 1.645 * sd, mean + 1.645 * sd], 2)): "a central 90 % interval",
        tuple(np.round([mean - 2.576 * sd, mean + 2.576 * sd], 2)): "a central 99 % interval",
        tuple(np.round([mean - 2 * sd, mean + 2 * sd], 2)): "z = 2 is the rounded rule of thumb",
        (mean - 2 * sd, mean + 2 * sd): "z = 2 is the rounded rule of thumb",
        tuple(interval_at(0.7, mode, cov).round(1)): "close: within the Monte Carlo error",  # too coarse
        (mean - sd, mean + sd): "±1 sd covers only about 68 %",
        (mean - 1.5 * sd, mean + 1.5 * sd): "the centre is right, the width is not",
        (0.0, 1.0): "is normal too",
        tuple(interval_at(0.5, mode, cov)): "is normal too",  # another dose
        tuple(exact[::-1]): "lower first",
    }
    for answer, hint in cases.items():
        result = check_05.log_odds_interval(list(answer))
        assert result.passed is False and hint in result.message, (answer, result.message)
        # Not the interval, its centre, sd or half-width, nor the missing covariance term 2x Σ_αβ.
        secrets = (*exact, mean, sd, Z * sd, 2 * x * cov[0, 1])
        assert_no_leak(result, *secrets, answer=np.array(answer))
    assert "shape (2,)" in check_05.log_odds_interval(1.0).message
    # Exact slips within the draws' Monte Carlo error: ends to two decimals say draws can land
    # there by chance; ends at full precision cannot, so they do not.
    for answer in (interval_at(0.69, mode, cov), [mean - 2 * sd, mean + 2 * sd], exact + [0.3, -0.3]):
        assert "If you used draws" not in check_05.log_odds_interval(list(answer)).message
        assert "If you used draws" in check_05.log_odds_interval(list(np.round(answer, 2))).message
    # The slips these numbers name: a wrong quantile, a rounded log dose, ±2 sd.
    np.testing.assert_allclose(np.round([mean - 1.645 * sd, mean + 1.645 * sd], 2), [-0.64, 13.07])
    np.testing.assert_allclose(interval_at(0.69, mode, cov).round(2), [-1.94, 14.33])
    np.testing.assert_allclose(np.round([mean - 2 * sd, mean + 2 * sd], 2), [-2.12, 14.55])


def test_log_odds_interval_from_laplace_draws_is_told_to_compute_it_exactly(normal, assert_no_leak):
    """Quantiles of 1,500 Laplace draws (Monte Carlo error ≈ 0.3 at each end) are told they are
    close, never given a hint at a wrong method."""
    mode, cov = normal
    x = np.log(2.0)
    exact = interval_at(x, mode, cov)
    verdicts = set()
    for seed in range(40):
        draws = np.random.default_rng(seed).multivariate_normal(mode, cov, size=1500)
        answer = np.quantile(draws[:, 0] + x * draws[:, 1], [0.025, 0.975])
        result = check_05.log_odds_interval(list(answer))
        assert result.passed or "close: within the Monte Carlo error" in result.message, result.message
        if not result.passed:
            assert_no_leak(result, *exact, answer=answer)
        verdicts.add(bool(result.passed))
    assert False in verdicts


@pytest.fixture(scope="module")
def prior_normal(ref):
    """The Laplace fit under independent normal priors with means (0, 10) and the given variances,
    from scipy's root of the conftest score."""

    def fit(variances, mean=(0.0, 10.0)):
        mean, cov = np.array(mean), np.diag(variances)
        solution = optimize.root(
            lambda t: ref.gradient(t, prior_mean=mean, prior_cov=cov), x0=[0.0, 0.0], tol=1e-13
        )
        assert solution.success
        return solution.x, np.linalg.inv(ref.information(solution.x, prior_cov=cov))

    return fit


@pytest.fixture(scope="module")
def below_zero(prior_normal):
    def probability(variances, mean=(0.0, 10.0)):
        mode, cov = prior_normal(variances, mean)
        return stats.norm.cdf(0.0, mode[1], np.sqrt(cov[1, 1]))

    return probability


@pytest.fixture(scope="module")
def exact_with_prior(ref, fine_grid):
    """What the exact posterior under α ~ N(0, 2²), β ~ N(10, 10²) puts below β = 0 (finer grid)."""
    log_density = ref.log_likelihood(fine_grid.alpha[:, None], fine_grid.beta[None, :]) + ref.log_prior(
        fine_grid.alpha[:, None], fine_grid.beta[None, :], (0.0, 10.0), np.diag([4.0, 100.0])
    )
    mass = np.exp(log_density - log_density.max())
    return mass[:, fine_grid.beta < 0].sum() / mass.sum()


def test_prior_beta_negative_probability_right_answers(prior_normal, below_zero):
    assert check_05.PRIOR_MEAN == (0.0, 10.0) and check_05.PRIOR_SD == (2.0, 10.0)
    right = below_zero([4.0, 100.0])
    assert right == pytest.approx(0.0338, abs=1e-4)
    for answer in (right, round(right, 4), float(f"{right:.3g}"), float(f"{right:.2g}")):
        result = check_05.prior_beta_negative_probability(answer)
        assert result.passed is True and "0.0559 with the flat prior" in result.message, (answer, result)


def test_prior_beta_negative_probability_wrong_answers(
    prior_normal, below_zero, posterior_mode, exact_with_prior, assert_no_leak
):
    mode, cov = prior_normal([4.0, 100.0])
    sd = np.sqrt(cov[1, 1])
    right = below_zero([4.0, 100.0])
    flat = stats.norm.cdf(0.0, posterior_mode.mode[1], np.sqrt(posterior_mode.cov[1, 1]))
    assert exact_with_prior == pytest.approx(3.4e-6, rel=0.1)
    alpha_variance_two = below_zero([2.0, 100.0])
    swapped_means = below_zero([4.0, 100.0], mean=(10.0, 0.0))
    swapped_priors = below_zero([100.0, 4.0], mean=(10.0, 0.0))
    assert swapped_means == pytest.approx(0.00333, abs=1e-5)
    cases = {
        flat: "flat-prior fit",
        stats.norm.cdf(0.0, mode[1], cov[1, 1]): "used the variance Σ_ββ as the normal's scale",
        1 - right: "the other side",
        stats.norm.cdf(0.0, 10.0, 10.0): "what the prior alone puts below 0",
        below_zero([2.0, 10.0]): "looks like 10",  # the sds put where the variances belong
        below_zero([4.0, 10.0]): "looks like 10",  # β's sd taken for its variance
        alpha_variance_two: "prior variance 2 for α",  # α's sd taken for its variance
        float(f"{alpha_variance_two:.2g}"): "prior variance 2 for α",
        below_zero([100.0, 4.0]): "two prior variances swapped",
        float(f"{below_zero([100.0, 4.0]):.2g}"): "two prior variances swapped",
        swapped_means: "two prior means swapped",
        float(f"{swapped_means:.2g}"): "two prior means swapped",
        float(f"{swapped_means:.3g}"): "two prior means swapped",
        swapped_priors: "priors of α and β swapped (means and variances)",
        float(f"{swapped_priors:.2g}"): "priors of α and β swapped",
        below_zero([0.25, 0.01]): "precisions",  # 1/variance on the diagonal: 0 in floating point
        exact_with_prior: "exact posterior puts below 0",
        float(f"{exact_with_prior:.1g}"): "exact posterior puts below 0",
        4e-6: "exact posterior puts below 0",  # the flat prior's exact value, printed in section 3
        float(f"{right:.1g}"): "one significant digit is too coarse",
        right + 0.006: "close, but not the exact value",
        right - 0.0015: "close, but not the exact value",
        0.2: "which normal?",
        1e-4: "which normal?",  # tiny, but no slip's value: not told it is the exact posterior's
        1e-10: "which normal?",
        -0.3: "is not a probability",
        "0.03": "without quotes",
    }
    for answer, hint in cases.items():
        result = check_05.prior_beta_negative_probability(answer)
        assert result.passed is False and hint in result.message, (answer, result.message)
        # Neither the probability, nor the refit's β̂, sd_β or Σ_ββ, nor β̂ / sd_β.
        echoed = None if isinstance(answer, str) else answer
        assert_no_leak(result, right, mode[1], sd, cov[1, 1], mode[1] / sd, answer=echoed)
    assert below_zero([0.25, 0.01]) == 0.0
    # The cov clause only where a wrong diagonal cov can be the cause: between 0 and the flat value.
    cov_clause = "NormalPrior's cov takes variances, not sds"
    for answer in (1e-4, 0.01, 0.05):
        assert cov_clause in check_05.prior_beta_negative_probability(answer).message, answer
    for answer in (0.06, 0.2, 0.5, swapped_means):
        assert cov_clause not in check_05.prior_beta_negative_probability(answer).message, answer


def test_prior_beta_negative_probability_from_draws_gets_no_false_hint(below_zero, assert_no_leak):
    """A share of 1,500 draws from the right normal is passed (rarely), told it is close, told one
    significant digit is too coarse (k = 45 gives 0.03), or matches the α-variance slip, whose hint
    then says that draws can land there too."""
    right = below_zero([4.0, 100.0])
    allowed = ("close, but not the exact value", "one significant digit", "If you used draws instead")
    monte_carlo_sd = np.sqrt(right * (1 - right) / 1500)
    shares = [k / 1500 for k in range(1501) if abs(k / 1500 - right) < 3 * monte_carlo_sd]
    assert len(shares) > 35
    for share in shares:
        result = check_05.prior_beta_negative_probability(share)
        assert result.passed or any(phrase in result.message for phrase in allowed), (share, result.message)
        if not result.passed:
            assert_no_leak(result, right, answer=share)
