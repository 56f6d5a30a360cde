"""Notebook 08's self-checks (when no normal works): right answers, computed here independently,
pass; placeholders are "not answered"; each typical slip gets its own hint; no failing message
shows the expected values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, stats

from bda_helpers.beyond import no_normal_checks as check_08

#: BDA3 Table 5.2, typed in independently of data/eight_schools.csv.
Y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
SIGMA = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])
#: The answers of exercise 1 never appear in a failing message, in any of these spellings.
DEATHS_PHRASES = ("[0, 5]", "[5]", "y = 0", "y = 5", "0 and 5")


def _phrases(answer) -> tuple[str, ...]:
    """The phrases that would leak the answer, less the student's own list, which the message echoes."""
    return tuple(phrase for phrase in DEATHS_PHRASES if phrase != str(sorted(answer)))


def test_placeholders_are_not_answered():
    assert check_08.improper_second_dose(None, None, None).passed is None
    assert check_08.separating_sign(None, [0]).passed is None
    assert check_08.improper_two_doses(None).passed is None
    assert check_08.improper_three_doses(None).passed is None
    assert check_08.tau_below_five(None).passed is None


@pytest.fixture(scope="module")
def improper_deaths(lp_separable):
    """The deaths at x = 0.73 that make the groups separable, by linear programming: with the one-dose
    group (3 of 5 at x = -0.05) only, and with a third group (0 of 5 at x = -0.86) too."""
    two = [y for y in range(6) if lp_separable([-0.05, 0.73], [5, 5], [3, y])]
    three = [y for y in range(6) if lp_separable([-0.05, 0.73, -0.86], [5, 5, 5], [3, y, 0])]
    return two, three


def test_improper_two_doses(improper_deaths, assert_no_leak):
    expected = improper_deaths[0]
    assert expected == [0, 5]
    for right in (expected, tuple(expected), set(expected), np.array(expected)):
        assert check_08.improper_two_doses(right).passed is True
    assert check_08.improper_two_doses([5, 0, 5]).passed is True  # order and repeats do not matter
    cases = {
        (5,): ["misses some y", "quasi-separation", "fall with the dose"],
        (0,): ["misses some y", "quasi-separation", "rise with the dose (β > 0) as well as fall"],
        (): ["misses some y", "quasi-separation", "rise with the dose (β > 0) or fall with it"],
        (0, 3, 5): ["leave the posterior proper", "two doses identify both"],
        (1, 2, 3, 4): ["leave the posterior proper", "misses some y"],
        (0, 1, 2, 3, 4, 5): ["leave the posterior proper"],
    }
    for answer, fragments in cases.items():
        result = check_08.improper_two_doses(list(answer))
        assert result.passed is False
        for fragment in fragments:
            assert fragment in result.message, (answer, result.message)
        # the hint never lists the answer's values, nor which of the student's values are wrong
        assert_no_leak(result, answer=list(answer), phrases=_phrases(answer))
    assert "fall with the dose" not in check_08.improper_two_doses([0]).message  # only the falling y is there
    assert "outside 0..5" in check_08.improper_two_doses([6]).message
    assert "whole numbers" in check_08.improper_two_doses([2.5]).message
    assert "without quotes" in check_08.improper_two_doses("0").message


def test_improper_three_doses(improper_deaths, assert_no_leak):
    expected = improper_deaths[1]
    assert expected == [5]  # the group with no deaths below rules out a falling curve
    assert check_08.improper_three_doses(expected).passed is True
    assert check_08.improper_three_doses({5}).passed is True
    cases = {
        (0, 5): ["leave the posterior proper", "x = -0.86 included"],
        (0,): ["leave the posterior proper", "x = -0.86 included", "misses some y", "quasi-separation"],
        (): ["misses some y", "quasi-separation"],
        (3, 5): ["leave the posterior proper", "two doses identify both"],
    }
    for answer, fragments in cases.items():
        result = check_08.improper_three_doses(list(answer))
        assert result.passed is False
        for fragment in fragments:
            assert fragment in result.message, (answer, result.message)
        assert "fall with the dose" not in result.message  # no falling curve separates these data
        assert "improper_y_three" in result.message
        assert_no_leak(result, answer=list(answer), phrases=_phrases(answer))


def _lp_slope_signs(x, n, y) -> set[int]:
    """The signs of b over the separating cone of :func:`conftest._lp_separable` (linear programming):
    +1 if a separating (a, b) with b > 0 exists, -1 if one with b < 0 does."""
    rows = [[-1.0, -x_i] for x_i, y_i in zip(x, y) if y_i > 0]
    rows += [[1.0, x_i] for x_i, n_i, y_i in zip(x, n, y) if y_i < n_i]
    signs = set()
    for sign in (1, -1):  # maximise sign * b
        result = optimize.linprog([0, -sign], A_ub=rows, b_ub=np.zeros(len(rows)), bounds=[(-1, 1), (-1, 1)])
        assert result.status == 0
        if result.fun < -1e-9:
            signs.add(sign)
    return signs


@pytest.fixture(scope="module")
def separating_signs(improper_deaths):
    """For each improper y of exercise 1a, the one sign of beta along which the likelihood keeps rising."""
    signs = {y: _lp_slope_signs([-0.05, 0.73], [5, 5], [3, y]) for y in improper_deaths[0]}
    assert all(len(found) == 1 for found in signs.values())  # one direction for each y
    return {y: found.pop() for y, found in signs.items()}


def test_separating_sign(separating_signs, assert_no_leak):
    expected = separating_signs
    assert expected == {0: -1, 5: 1}  # y = 0: no deaths at the high dose, only a falling curve separates
    right_list = sorted(expected)
    assert check_08.separating_sign(expected, right_list).passed is True
    assert check_08.separating_sign({y: float(s) for y, s in expected.items()}, right_list).passed is True
    assert check_08.separating_sign({np.int64(y): s for y, s in expected.items()}, right_list).passed is True
    sign_cases = {
        (1, 1): ["not every sign", "may fall with the dose (β < 0)", "p goes to 0 below the cut"],
        (-1, -1): ["not every sign", "may rise with the dose (β > 0)", "p goes to 0 below the cut"],
        (1, -1): ["not every sign", "p goes to 0 below the cut"],
    }
    for (sign_0, sign_5), fragments in sign_cases.items():
        result = check_08.separating_sign({0: sign_0, 5: sign_5}, right_list)
        assert result.passed is False
        for fragment in fragments:
            assert fragment in result.message, ((sign_0, sign_5), result.message)
        assert_no_leak(result, phrases=("0: -1", "5: 1", "y = 0", "y = 5"))
    assert "as well as fall" not in check_08.separating_sign({0: 1, 5: 1}, right_list).message
    # the signs are judged only once improper_y is right, so no verdict tells which y are improper
    for answer in ([5], [0], [0, 3, 5]):
        signs = {y: expected.get(y, 1) for y in answer}
        result = check_08.separating_sign(signs, answer)
        assert result.passed is False and "once `improper_y` is right" in result.message
        assert_no_leak(result, answer=answer, phrases=_phrases(answer))
    assert "keys of `beta_sign` should be exactly" in check_08.separating_sign(expected, [5]).message
    assert "answer `improper_y` first" in check_08.separating_sign(expected, None).message
    assert check_08.separating_sign(expected, None).passed is False
    bad = {
        "a dict": [1, -1],
        "whole numbers such as 2": {0.0: -1, 5.0: 1},
        "not text": {"0": -1, "5": 1},
        "outside 0..5": {0: -1, 6: 1},
        "a number, not str": {0: "-", 5: "+"},
        "a number, not bool": {0: False, 5: True},
        "+1 where the likelihood keeps rising": {0: -2, 5: 2},
    }
    for fragment, answer in bad.items():
        result = check_08.separating_sign(answer, right_list)
        assert result.passed is False and fragment in result.message, (answer, result.message)


def test_improper_second_dose_reports_every_part(separating_signs):
    all_three = check_08.improper_second_dose([0, 5], separating_signs, [0, 5])
    assert all_three.passed is False
    assert [result.passed for result in all_three.results] == [True, True, False]
    assert check_08.improper_second_dose([5, 0], separating_signs, [5]).passed is True
    assert check_08.improper_second_dose([5, 0], None, [5]).passed is None
    assert check_08.improper_second_dose([5, 0], separating_signs, None).passed is None


def log_p_tau(tau):
    """BDA3 eq. 5.21 with mu integrated out, written out independently of the package; any shape of tau."""
    v = SIGMA**2 + np.asarray(tau, dtype=float)[..., None] ** 2
    v_mu = 1 / np.sum(1 / v, axis=-1)
    mu_hat = v_mu * np.sum(Y / v, axis=-1)
    return (
        0.5 * np.log(v_mu)
        - 0.5 * np.sum(np.log(v), axis=-1)
        - 0.5 * np.sum((Y - mu_hat[..., None]) ** 2 / v, axis=-1)
    )


def log_half_cauchy(tau, scale=5.0):
    """The half-Cauchy log density on tau >= 0, written out: 2 / (pi s (1 + (tau / s)²))."""
    tau = np.asarray(tau, dtype=float)
    return np.log(2 / (np.pi * scale)) - np.log1p((tau / scale) ** 2)


def _grid_probability(weight):
    """P(tau < 5 | y) for the posterior weight(tau) p(y | tau), by a trapezoid rule to tau = 2000."""
    tau = np.linspace(0.0, 2000.0, 2_000_001)
    density = weight(tau) * np.exp(log_p_tau(tau) - log_p_tau(0.0))
    cdf = np.concatenate([[0.0], np.cumsum((density[1:] + density[:-1]) / 2)])
    return float(np.interp(5.0, tau, cdf / cdf[-1]))


def _laplace_in_log_tau(log_prior):
    """Mode and sd of the Laplace normal in log tau of log_prior(tau) + log p(y | tau) + log tau."""
    log_density = lambda u: log_p_tau(np.exp(u)) + log_prior(np.exp(u)) + u  # noqa: E731
    mode = optimize.minimize_scalar(lambda u: -log_density(u), bounds=(-2, 4), method="bounded").x
    h = 1e-4
    sd = (-(log_density(mode + h) - 2 * log_density(mode) + log_density(mode - h)) / h**2) ** -0.5
    return mode, sd


@pytest.fixture(scope="module")
def tau_probabilities():
    """P(tau < 5 | y) under the half-Cauchy(5) prior on a trapezoid grid and by Laplace in log tau;
    the same under the uniform prior (a slip), and the Laplace mode and sd."""
    exact = _grid_probability(lambda t: np.exp(log_half_cauchy(t)))
    mode, sd = _laplace_in_log_tau(log_half_cauchy)
    laplace = stats.norm.cdf((np.log(5.0) - mode) / sd)
    uniform_exact = _grid_probability(lambda t: np.ones_like(t))
    uniform_mode, uniform_sd = _laplace_in_log_tau(lambda t: 0.0)
    uniform_laplace = stats.norm.cdf((np.log(5.0) - uniform_mode) / uniform_sd)
    return exact, laplace, mode, sd, uniform_exact, uniform_laplace


def test_tau_below_five(tau_probabilities, assert_no_leak):
    exact, laplace, mode, sd, uniform_exact, uniform_laplace = tau_probabilities
    assert abs(exact - 0.7470) < 5e-4 and abs(laplace - 0.6288) < 5e-4
    assert abs(uniform_exact - 0.4805) < 5e-4 and abs(uniform_laplace - 0.3004) < 5e-4
    assert check_08.tau_below_five([exact, laplace]).passed is True
    assert check_08.tau_below_five((round(exact, 3), round(laplace, 3))).passed is True
    no_log = stats.norm.cdf((5.0 - mode) / sd)
    variance = stats.norm.cdf((np.log(5.0) - mode) / sd**2)
    cases = {
        (laplace, exact): "wrong order",
        (uniform_exact, laplace): "under the uniform prior of section 3",
        (exact, uniform_laplace): "moves the mode of the density of log τ",
        (uniform_exact, uniform_laplace): "under the uniform prior",
        (1 - exact, laplace): "P(τ > 5 | y)",
        (exact, 1 - laplace): "the upper tail",
        (exact, no_log): "written in log τ too",
        (exact, variance): "*sd* of log τ",
        (0.0, laplace): "halfcauchy(scale=5)",
        (laplace, laplace): "that is the Laplace answer",
        (exact, exact): "that is the exact probability",
        (exact + 0.1, laplace): "the share of its integral over all τ ≥ 0",
        (exact, laplace - 0.1): "prior and Jacobian both included",
        (4.8, laplace): "not a probability",
    }
    for answer, hint in cases.items():
        result = check_08.tau_below_five(list(answer))
        assert result.passed is False and hint in result.message, (answer, result.message)
        assert_no_leak(result, exact, laplace, answer=np.array(answer))
    assert "Φ(" not in check_08.tau_below_five([exact, laplace - 0.1]).message  # a concept, not a formula
    assert "shape" in check_08.tau_below_five(0.5).message


def test_the_density_of_log_tau_slip_is_recognised(tau_probabilities):
    """Integrating tau p(tau | y) over tau (the density of log tau used as one of tau) is its own slip."""
    slip = _grid_probability(lambda t: t * np.exp(log_half_cauchy(t)))
    result = check_08.tau_below_five([slip, tau_probabilities[1]])
    assert result.passed is False and "density of log τ" in result.message


def test_the_jacobian_counted_twice_and_a_coarse_grid_get_their_own_hints(tau_probabilities):
    """log_marginal_log_tau holds the Jacobian already; a student who adds log tau again gets a
    Laplace answer near 0.35, and one who sums a grid of step 0.1 an exact answer off by about 0.007."""
    exact, laplace = tau_probabilities[:2]
    twice_mode, twice_sd = _laplace_in_log_tau(lambda t: log_half_cauchy(t) + np.log(t))
    twice = stats.norm.cdf((np.log(5.0) - twice_mode) / twice_sd)
    result = check_08.tau_below_five([exact, twice])
    assert result.passed is False and "counts it twice" in result.message
    tau = np.linspace(0.0, 100.0, 1001)
    weight = np.exp(log_half_cauchy(tau) + log_p_tau(tau) - log_p_tau(0.0))
    coarse = float(weight[tau <= 5].sum() / weight.sum())
    assert abs(coarse - exact) > 2e-3  # the cell at tau = 5 alone moves it past the tolerance
    result = check_08.tau_below_five([coarse, laplace])
    assert result.passed is False and "refine it" in result.message
