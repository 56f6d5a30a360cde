"""Notebook 02's self-checks: right answers from grids built on the reference model pass,
the typical slips get their own hints, and unanswered exercises say so."""

import numpy as np
import pytest

from bda_helpers import GridPosterior
from bda_helpers.checks import bioassay_grid as check

ALPHA_RANGE, BETA_RANGE = (-5.0, 12.0), (-10.0, 100.0)  # the course grid's ranges, 500 × 1500 points


@pytest.fixture(scope="module")
def grids(ref):
    def build(alpha_points, beta_points, beta_range=BETA_RANGE):
        return GridPosterior.from_log_density(
            lambda theta: ref.log_likelihood(theta[..., 0], theta[..., 1]),
            (np.linspace(*ALPHA_RANGE, alpha_points), np.linspace(*beta_range, beta_points)),
            names=("alpha", "beta"),
        )

    return {
        "coarse": build(30, 45),
        "swapped": build(45, 30),
        "course": build(500, 1500),
        "cut": build(500, 1500, (-10.0, 20.0)),
    }


def beta_summary(grid):
    return float(np.sum(grid.marginal("beta") * grid.axis("beta"))), grid.quantile("beta", [0.025, 0.975])


def beta_draws(grid, n=1000, seed=20260402):
    """β of ``n`` jittered draws from the grid, by inverse-CDF sampling written here."""
    rng = np.random.default_rng(seed)
    cells = np.searchsorted(np.cumsum(grid.mass.ravel()), rng.uniform(size=n))
    beta = grid.axis("beta")[np.unravel_index(cells, grid.mass.shape)[1]]
    return beta + rng.uniform(-0.5, 0.5, size=n) * grid.step[1]


def test_coarse_grid_right_answers_pass(grids):
    assert check.coarse_grid_beta(*beta_summary(grids["coarse"])).passed is True


def test_coarse_grid_slips_are_named(grids, assert_no_leak):
    right_mean, right_interval = beta_summary(grids["coarse"])
    fine = check.coarse_grid_beta(*beta_summary(grids["course"]))
    assert "course's 500 × 1500 grid" in repr(fine)
    swapped = check.coarse_grid_beta(*beta_summary(grids["swapped"]))
    assert "45 points in α and 30 in β" in repr(swapped)
    for report, grid in ((fine, grids["course"]), (swapped, grids["swapped"])):
        for result, answer, right in zip(report.results, beta_summary(grid), (right_mean, right_interval)):
            assert result.passed is False
            assert_no_leak(result, right, answer=answer)
    half = check.coarse_grid_beta(right_mean, None)
    assert half.passed is None and "coarse_beta_interval" in repr(half)


def test_coarse_grid_centre_rule_is_named(grids, assert_no_leak):
    coarse = grids["coarse"]
    right_mean, right_interval = beta_summary(coarse)
    cumulative = np.cumsum(coarse.marginal("beta"))
    centres = np.array([coarse.axis("beta")[np.argmax(cumulative >= p)] for p in (0.025, 0.975)])
    result = check.coarse_grid_beta(right_mean, centres).results[1]
    assert result.passed is False and "read at cell centres" in result.message
    assert_no_leak(result, right_interval, answer=centres)


def test_draws_instead_of_the_grid_are_named(grids, assert_no_leak):
    coarse = grids["coarse"]
    right_mean, right_interval = beta_summary(coarse)
    draws = beta_draws(coarse)
    mean, interval = float(draws.mean()), np.quantile(draws, [0.025, 0.975])
    result = check.coarse_grid_beta(mean, interval)
    for part, answer, right in zip(result.results, (mean, interval), (right_mean, right_interval)):
        assert part.passed is False and "random draws" in part.message
        assert_no_leak(part, right, answer=answer)
    cut = grids["cut"]
    q975 = float(np.quantile(beta_draws(cut), 0.975))
    result = check.truncated_grid_beta(q975, cut.edge_mass().high["beta"]).results[0]
    assert result.passed is False and "random draws" in result.message
    assert_no_leak(result, cut.quantile("beta", 0.975), answer=q975)
    # far from the right values: no talk of draws, the method instead
    far = check.coarse_grid_beta(right_mean * 3, right_interval * 3)
    assert all("random draws" not in part.message for part in far.results)
    assert "grid.mean()" in far.results[0].message and "grid.quantile" in far.results[1].message


def test_truncated_grid_right_answers_pass_and_full_grid_values_are_named(grids, assert_no_leak):
    cut, course = grids["cut"], grids["course"]
    assert check.truncated_grid_beta(cut.quantile("beta", 0.975), cut.edge_mass().high["beta"]).passed is True
    result = check.truncated_grid_beta(course.quantile("beta", 0.975), course.edge_mass().high["beta"])
    assert result.passed is False
    assert "no quantile can exceed 20" in repr(result) and "full grid, up to β = 100" in repr(result)
    assert "np.linspace(-10, 20, 1500)" in repr(check.truncated_grid_beta(15.0, None))
    assert_no_leak(result.results[0], cut.quantile("beta", 0.975), answer=course.quantile("beta", 0.975))
    assert_no_leak(result.results[1], cut.edge_mass().high["beta"], answer=course.edge_mass().high["beta"])
    assert 'edge_mass().high["beta"]' in repr(check.truncated_grid_beta(15.0, 0.5))


def test_the_checks_use_the_course_grid():
    assert check._grid().axis("alpha").tolist() == np.linspace(*ALPHA_RANGE, 500).tolist()
    assert check._grid().axis("beta").tolist() == np.linspace(*BETA_RANGE, 1500).tolist()
    assert check.TRUNCATED_BETA == (-10.0, 20.0)


def test_unanswered_exercises_are_not_failures():
    assert check.truncated_grid_beta(None, None).passed is None
    assert check.coarse_grid_beta(None, None).passed is None


def test_unusable_answers_are_not_taken_for_draws():
    result = check.coarse_grid_beta("11.6", [1.0, 2.0, 3.0])
    assert "string" in result.results[0].message and "shape" in result.results[1].message
