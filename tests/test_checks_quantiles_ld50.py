"""Notebook 06's self-checks: right answers (computed here independently) pass, placeholders
are "not answered", and the typical wrong answers get their specific hint."""

import re

import numpy as np
from scipy import stats

from bda_helpers.checks import format_answer
from bda_helpers.checks import quantiles_ld50 as check_06


def test_placeholders_are_not_answered():
    assert check_06.beta_tail_beyond_laplace(None).passed is None
    assert check_06.ld50_interval(None).passed is None


def test_beta_tail_beyond_laplace(fine_grid, posterior_mode, assert_no_leak):
    mode, var = posterior_mode.mode[1], posterior_mode.cov[1, 1]
    cut = stats.norm.ppf(0.975, mode, np.sqrt(var))
    right = fine_grid.mass[
        :, fine_grid.beta > cut
    ].sum()  # finer grid, cell centres: within 1e-3 of the check's CDF
    assert check_06.beta_tail_beyond_laplace(right).passed is True
    assert "times the 0.025" in check_06.beta_tail_beyond_laplace(right).message
    cases = {
        0.025: "what the Laplace normal claims",
        1 - right: "the CDF itself",
        0.4: "first the Laplace",
        # 0 is no sign of the variance used as the scale (that q lies past the grid, where the
        # tail is ≈ 0, but so do other slips): it gets the method, not that diagnosis.
        0.0: "first the Laplace",
        -0.1: "is not a probability",
        1.5: "is not a probability",
    }
    for answer, hint in cases.items():
        result = check_06.beta_tail_beyond_laplace(answer)
        assert result.passed is False and hint in result.message, (answer, result.message)
        # Neither the tail probability, nor q, sd_β or Σ_ββ (the quantile is one step from them).
        assert_no_leak(result, right, cut, np.sqrt(var), var, answer=answer)
    assert "your quantile q is far out" not in check_06.beta_tail_beyond_laplace(0.0).message


def test_ld50_interval_from_grid_draws_passes(fine_grid):
    """Draws from the finer grid (own sampler) give an interval the check accepts."""
    rng = np.random.default_rng(66)
    cells = rng.choice(fine_grid.mass.size, size=4000, p=fine_grid.mass.ravel())
    i, j = np.unravel_index(cells, fine_grid.mass.shape)
    alpha, beta = fine_grid.alpha[i], fine_grid.beta[j]
    assert (beta > 0).all()
    interval = np.quantile(-alpha / beta, [0.025, 0.975])
    result = check_06.ld50_interval(interval)
    assert result.passed is True, result.message


def test_ld50_interval_wrong_answers(posterior_mode, assert_no_leak):
    mode, cov = posterior_mode.mode, posterior_mode.cov
    gradient = np.array([-1 / mode[1], mode[0] / mode[1] ** 2])
    delta = -mode[0] / mode[1] + stats.norm.ppf([0.025, 0.975]) * np.sqrt(gradient @ cov @ gradient)
    cases = {
        (0.10, -0.28): "lower first",
        (-0.103, 0.276): "sign is flipped",
        tuple(delta): "delta-method",
        (-0.73, 0.57): "far too wide",
        (-0.39, 0.45): "far too wide",
        (-0.2, 0.2): "sample quantiles",
    }
    for answer, hint in cases.items():
        result = check_06.ld50_interval(list(answer))
        assert result.passed is False and hint in result.message, (answer, result.message)
        # Apart from the echoed answer and the interval's probabilities, a failure shows no number
        # with decimals: no end of the exact interval, no Monte Carlo tolerance, no delta-method end.
        text = (
            result.message.replace(format_answer(np.array(answer)), "")
            .replace("2.5 %", "")
            .replace("97.5 %", "")
        )
        assert re.search(r"\d\.\d", text) is None, result.message
        assert_no_leak(result, delta, answer=np.array(answer))
