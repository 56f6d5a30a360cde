"""Notebook 02's self-checks: right answers from grids built on the reference model pass,
the typical slips get their own hints, and unanswered exercises say so."""

import numpy as np
import pytest

from bda_helpers import GridPosterior
from bda_helpers.checks import bioassay_grid as check


@pytest.fixture(scope="module")
def grids(ref):
    def build(alpha_points, beta_points, beta_range=(-10.0, 40.0)):
        return GridPosterior.from_log_density(
            lambda theta: ref.log_likelihood(theta[..., 0], theta[..., 1]),
            (np.linspace(-4.0, 8.0, alpha_points), np.linspace(*beta_range, beta_points)),
            names=("alpha", "beta"),
        )

    return {
        "coarse": build(30, 45),
        "swapped": build(45, 30),
        "fine": build(240, 360),
        "cut": build(240, 360, (-10.0, 20.0)),
    }


def beta_summary(grid):
    return float(np.sum(grid.marginal("beta") * grid.axis("beta"))), grid.quantile("beta", [0.025, 0.975])


def test_coarse_grid_right_answers_pass(grids):
    assert check.coarse_grid_beta(*beta_summary(grids["coarse"])).passed is True


def test_coarse_grid_slips_are_named(grids, assert_no_leak):
    right_mean, right_interval = beta_summary(grids["coarse"])
    fine = check.coarse_grid_beta(*beta_summary(grids["fine"]))
    assert "original 240 × 360 grid" in repr(fine)
    swapped = check.coarse_grid_beta(*beta_summary(grids["swapped"]))
    assert "45 points in α and 30 in β" in repr(swapped)
    for report, grid in ((fine, grids["fine"]), (swapped, grids["swapped"])):
        answers = beta_summary(grid)  # a mean may agree with the coarse one to 1e-3 and pass
        for result, answer, right in zip(report.results, answers, (right_mean, right_interval)):
            if result.passed is False:
                assert_no_leak(result, right, answer=answer)
    assert fine.results[1].passed is False and swapped.results[1].passed is False
    half = check.coarse_grid_beta(beta_summary(grids["coarse"])[0], None)
    assert half.passed is None and "coarse_beta_interval" in repr(half)


def test_truncated_grid_right_answers_pass_and_full_grid_values_are_named(grids, assert_no_leak):
    cut, fine = grids["cut"], grids["fine"]
    assert check.truncated_grid_beta(cut.quantile("beta", 0.975), cut.edge_mass().high["beta"]).passed is True
    result = check.truncated_grid_beta(fine.quantile("beta", 0.975), fine.edge_mass().high["beta"])
    assert result.passed is False
    assert "no quantile can exceed 20" in repr(result) and "full grid, up to β = 40" in repr(result)
    assert "np.linspace(-10, 20, 360)" in repr(check.truncated_grid_beta(15.0, None))
    assert_no_leak(result.results[0], cut.quantile("beta", 0.975), answer=fine.quantile("beta", 0.975))
    assert_no_leak(result.results[1], cut.edge_mass().high["beta"], answer=fine.edge_mass().high["beta"])
    assert 'edge_mass().high["beta"]' in repr(check.truncated_grid_beta(15.0, 0.5))


def test_the_checks_use_the_course_grid():
    assert check._grid().axis("alpha").tolist() == np.linspace(-5.0, 12.0, 500).tolist()
    assert check._grid().axis("beta").tolist() == np.linspace(-10.0, 100.0, 1500).tolist()
    assert check.TRUNCATED_BETA == (-10.0, 20.0)


def test_unanswered_exercises_are_not_failures():
    assert check.truncated_grid_beta(None, None).passed is None
