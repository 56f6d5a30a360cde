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


def test_placeholders_are_not_answered():
    assert check_08.improper_second_dose(None).passed is None
    assert check_08.tau_below_five(None).passed is None


@pytest.fixture(scope="module")
def improper_deaths(lp_separable):
    """The deaths at x = 0.73 that make the two groups separable, by linear programming."""
    return [y for y in range(6) if lp_separable([-0.05, 0.73], [5, 5], [3, y])]


def test_improper_second_dose(improper_deaths, assert_no_leak):
    assert improper_deaths == [0, 5]
    for right in (improper_deaths, tuple(improper_deaths), set(improper_deaths), np.array(improper_deaths)):
        assert check_08.improper_second_dose(right).passed is True
    assert check_08.improper_second_dose([5, 0, 5]).passed is True  # order and repeats do not matter
    cases = {
        (5,): ["misses some y", "quasi-separation", "fall with the dose"],
        (0,): ["misses some y", "quasi-separation"],
        (): ["misses some y", "quasi-separation"],
        (0, 3, 5): ["leave the posterior proper", "two doses identify both"],
        (1, 2, 3, 4): ["leave the posterior proper", "misses some y"],
        (0, 1, 2, 3, 4, 5): ["leave the posterior proper"],
    }
    for answer, fragments in cases.items():
        result = check_08.improper_second_dose(list(answer))
        assert result.passed is False
        for fragment in fragments:
            assert fragment in result.message, (answer, result.message)
        # the hint never lists the answer's values, nor which of the student's values are wrong
        assert_no_leak(result, answer=list(answer), phrases=("[0, 5]", "y = 0", "y = 5", "0 and 5"))
    assert "outside 0..5" in check_08.improper_second_dose([6]).message
    assert "whole numbers" in check_08.improper_second_dose([2.5]).message
    assert "without quotes" in check_08.improper_second_dose("0").message


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


@pytest.fixture(scope="module")
def tau_probabilities():
    """P(tau < 5 | y) on a fine trapezoid grid of tau to 2000, and by Laplace in log tau."""
    tau = np.linspace(0.0, 2000.0, 2_000_001)
    density = np.exp(log_p_tau(tau) - log_p_tau(0.0))
    cdf = np.concatenate([[0.0], np.cumsum((density[1:] + density[:-1]) / 2)])
    exact = np.interp(5.0, tau, cdf / cdf[-1])
    log_density = lambda u: log_p_tau(np.exp(u)) + u  # noqa: E731
    mode = optimize.minimize_scalar(lambda u: -log_density(u), bounds=(0, 4), method="bounded").x
    h = 1e-4
    sd = (-(log_density(mode + h) - 2 * log_density(mode) + log_density(mode - h)) / h**2) ** -0.5
    return exact, stats.norm.cdf((np.log(5.0) - mode) / sd), mode, sd


def test_tau_below_five(tau_probabilities, assert_no_leak):
    exact, laplace, mode, sd = tau_probabilities
    assert abs(exact - 0.4805) < 5e-4 and abs(laplace - 0.3004) < 5e-4
    assert check_08.tau_below_five([exact, laplace]).passed is True
    assert check_08.tau_below_five((round(exact, 3), round(laplace, 3))).passed is True
    no_log = stats.norm.cdf((5.0 - mode) / sd)
    variance = stats.norm.cdf((np.log(5.0) - mode) / sd**2)
    cases = {
        (laplace, exact): "wrong order",
        (1 - exact, laplace): "P(τ > 5 | y)",
        (exact, 1 - laplace): "take the CDF itself",
        (exact, no_log): "at log 5, not at 5",
        (exact, variance): "*sd* of log τ",
        (laplace, laplace): "that is the Laplace answer",
        (exact, exact): "that is the exact probability",
        (exact + 0.1, laplace): "normalise p(τ | y)",
        (exact, laplace - 0.1): "Φ((log 5 − mode) / sd)",
        (4.8, laplace): "not a probability",
    }
    for answer, hint in cases.items():
        result = check_08.tau_below_five(list(answer))
        assert result.passed is False and hint in result.message, (answer, result.message)
        assert_no_leak(result, exact, laplace, answer=np.array(answer))
    assert "shape" in check_08.tau_below_five(0.5).message


def test_the_density_of_log_tau_slip_is_recognised(tau_probabilities):
    """Integrating tau p(tau | y) over tau (the density of log tau used as one of tau) is its own slip."""
    tau = np.linspace(0.0, 2000.0, 400_001)
    weighted = tau * np.exp(log_p_tau(tau) - log_p_tau(0.0))
    cdf = np.concatenate([[0.0], np.cumsum((weighted[1:] + weighted[:-1]) / 2)])
    slip = float(np.interp(5.0, tau, cdf / cdf[-1]))
    result = check_08.tau_below_five([slip, tau_probabilities[1]])
    assert result.passed is False and "density of log τ" in result.message
