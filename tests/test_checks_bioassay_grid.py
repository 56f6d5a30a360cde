"""Notebook 02's self-checks: right answers from grids built on the reference model pass,
the typical slips get their own hints, and unanswered exercises say so."""

import numpy as np
import pytest

from bda_helpers import GridPosterior
from bda_helpers.checks import bioassay_grid as check

ALPHA_RANGE, BETA_RANGE = (-5.0, 12.0), (-10.0, 100.0)  # the course grid's ranges, 500 × 1500 points
DEMOS_ALPHA, DEMOS_BETA = (-4.0, 8.0), (-10.0, 40.0)  # the BDA Python demos' window


@pytest.fixture(scope="module")
def build(ref):
    def build(alpha_points, beta_points, beta_range=BETA_RANGE, alpha_range=ALPHA_RANGE):
        return GridPosterior.from_log_density(
            lambda theta: ref.log_likelihood(theta[..., 0], theta[..., 1]),
            (np.linspace(*alpha_range, alpha_points), np.linspace(*beta_range, beta_points)),
            names=("alpha", "beta"),
        )

    return build


@pytest.fixture(scope="module")
def grids(build):
    return {
        "coarse": build(30, 45),
        "swapped": build(45, 30),
        "course": build(500, 1500),
        "cut": build(500, 1500, (-10.0, 20.0)),
    }


def beyond(grid, high=20.0):
    """The grid's mass at β > ``high``, from its piecewise-linear marginal CDF written here."""
    step = grid.step[1]
    upper = grid.axis("beta") + step / 2
    share_above = np.clip((upper - high) / step, 0.0, 1.0)  # the part of each cell above ``high``
    return float(grid.marginal("beta") @ share_above)


def summary(grid):
    """β's mean and its [2.5 %, 97.5 %] quantiles, then α's: the three answers of exercise 1."""
    return (
        float(np.sum(grid.marginal("beta") * grid.axis("beta"))),
        grid.quantile("beta", [0.025, 0.975]),
        grid.quantile("alpha", [0.025, 0.975]),
    )


def draws(grid, n=1000, seed=20260402):
    """``n`` jittered draws (α, β) from the grid, by inverse-CDF sampling written here."""
    rng = np.random.default_rng(seed)
    cells = np.searchsorted(np.cumsum(grid.mass.ravel()), rng.uniform(size=n))
    j, k = np.unravel_index(cells, grid.mass.shape)
    centres = np.column_stack([grid.axis("alpha")[j], grid.axis("beta")[k]])
    return centres + rng.uniform(-0.5, 0.5, size=(n, 2)) * grid.step


def assert_named(report, hints, rights, answers, assert_no_leak):
    """Each part of ``report`` fails with its hint (``None``: passes), shows no right value, and
    never speaks of draws."""
    for result, hint, right, answer in zip(report.results, hints, rights, answers):
        if hint is None:
            assert result.passed is True, repr(result)
            continue
        assert result.passed is False and hint in result.message, repr(result)
        assert "random draws" not in result.message
        assert_no_leak(result, right, answer=answer)


def test_coarse_grid_right_answers_pass(grids):
    assert check.coarse_grid_beta(*summary(grids["coarse"])).passed is True


def test_coarse_grid_slips_are_named(grids, assert_no_leak):
    right = summary(grids["coarse"])
    fine = check.coarse_grid_beta(*summary(grids["course"]))
    hints = ("much finer grid in β", "much finer grid in β", "course's 500 × 1500 grid")
    assert_named(fine, hints, right, summary(grids["course"]), assert_no_leak)
    swapped = check.coarse_grid_beta(*summary(grids["swapped"]))
    hints = ("30 points in β: are the counts swapped?",) * 2 + ("45 points in α and 30 in β",)
    assert_named(swapped, hints, right, summary(grids["swapped"]), assert_no_leak)
    half = check.coarse_grid_beta(right[0], None, right[2])
    assert half.passed is None and "coarse_beta_interval" in repr(half)


@pytest.mark.parametrize(
    ("grid_args", "hints"),
    [
        ((30, 45, DEMOS_BETA, DEMOS_ALPHA), ("demos' window, α ∈ [-4, 8] and β ∈ [-10, 40]",) * 3),
        ((30, 45, DEMOS_BETA), ("demos' β range",) * 3),
        ((30, 45, BETA_RANGE, DEMOS_ALPHA), ("demos' α range",) * 3),
        ((31, 46), ("46 points in β", "46 points in β", "31 points in α and 46 in β")),
        ((29, 44), ("44 points in β", "44 points in β", "29 points in α and 44 in β")),
        ((30, 46), ("46 points in β", "46 points in β", "30 points in α and 46 in β")),
        ((31, 45), (None, None, "31 points in α and 45 in β")),  # β's summaries hardly see α's count
        ((500, 45), (None, None, "only β was coarsened")),
        ((30, 1500), ("much finer grid in β",) * 2 + ("only α was coarsened",)),
    ],
)
def test_coarse_grid_mistakes_are_named_and_not_taken_for_draws(
    build, grids, grid_args, hints, assert_no_leak
):
    answers = summary(build(*grid_args))
    assert_named(check.coarse_grid_beta(*answers), hints, summary(grids["coarse"]), answers, assert_no_leak)


def test_coarse_grid_centre_rule_is_named(grids, assert_no_leak):
    coarse = grids["coarse"]
    right = summary(coarse)
    for parameter, part in (("beta", 1), ("alpha", 2)):
        cumulative = np.cumsum(coarse.marginal(parameter))
        centres = np.array([coarse.axis(parameter)[np.argmax(cumulative >= p)] for p in (0.025, 0.975)])
        answers = list(right)
        answers[part] = centres
        result = check.coarse_grid_beta(*answers).results[part]
        assert result.passed is False and "read at cell centres" in result.message
        assert f'grid.quantile("{parameter}"' in result.message
        assert_no_leak(result, right[part], answer=centres)


def test_coarse_grid_centre_interpolation_is_named(grids, assert_no_leak):
    coarse = grids["coarse"]
    right = summary(coarse)
    for parameter, part in (("beta", 1), ("alpha", 2)):
        # np.interp with the cumulative mass put at the cell centres
        interpolated = np.interp(
            [0.025, 0.975], np.cumsum(coarse.marginal(parameter)), coarse.axis(parameter)
        )
        answers = list(right)
        answers[part] = interpolated
        result = check.coarse_grid_beta(*answers).results[part]
        assert result.passed is False and "as if each cell's were reached at its centre" in result.message
        assert "random draws" not in result.message
        assert_no_leak(result, right[part], answer=interpolated)


def test_truncated_grid_misreadings_are_named(grids, assert_no_leak):
    cut = grids["cut"]
    right = cut.quantile("beta", 0.975)
    cumulative, axis = np.cumsum(cut.marginal("beta")), cut.axis("beta")
    answers = {
        "read at cell centres": float(axis[np.argmax(cumulative >= 0.975)]),
        "as if each cell's were reached at its centre": float(np.interp(0.975, cumulative, axis)),
        "where the cut grid ends": 20.0,
    }
    for hint, answer in answers.items():
        for given in (answer, round(answer, 2)):  # computed, and typed to two decimals
            result = check.truncated_grid_beta(given, None).results[0]
            assert result.passed is False and hint in result.message, repr(result)
            assert "random draws" not in result.message and "rounded" not in result.message
            assert 'grid.quantile("beta", 0.975)' in result.message
            assert_no_leak(result, right, answer=given)
    assert "where the cut grid ends" in check.truncated_grid_beta(20, None).results[0].message


def test_truncated_grid_draws_window_is_that_of_the_notebooks_1000_draws(grids):
    right = grids["cut"].quantile("beta", 0.975)
    # a quantile of 1000 draws scatters by about 0.2 here: 1.5 away is no longer put down to draws
    for answer in (right - 1.5, right + 1.5):
        result = check.truncated_grid_beta(answer, None).results[0]
        assert result.passed is False and "random draws" not in result.message
        assert 'grid.quantile("beta", 0.975)' in result.message
    assert "random draws" in check.truncated_grid_beta(right - 0.4, None).results[0].message


def test_a_rounded_right_answer_is_not_told_of_a_slip_it_cannot_be_told_from(grids):
    # the quantile with 1499 or 1501 points in β differs from the right one by 3e-7 of itself only
    right = grids["cut"].quantile("beta", 0.975)
    result = check.truncated_grid_beta(round(right, 3), None).results[0]
    assert result.passed is False and "is rounded: right to the digits given" in result.message
    assert "usual slip" not in result.message and "points in β" not in result.message


def test_rounded_answers_are_named_without_a_direction(build, grids, assert_no_leak):
    right = summary(grids["coarse"])
    rounded = (round(right[0], 3), right[1].round(3), right[2].round(4))  # α's at 3 decimals: ambiguous
    result = check.coarse_grid_beta(*rounded)
    for part, answer, value in zip(result.results, rounded, right):
        assert part.passed is False and "is rounded" in part.message and "give more digits" in part.message
        assert "too large" not in part.message and "too small" not in part.message
        assert_no_leak(part, value, answer=answer)
    assert "is rounded" in repr(check.coarse_grid_beta(round(right[0], 1), *right[1:]).results[0])
    # a wrong grid's value, rounded, is still named for its grid, not for rounding
    demos = summary(build(30, 45, DEMOS_BETA, DEMOS_ALPHA))
    result = check.coarse_grid_beta(round(demos[0], 2), demos[1].round(2), demos[2].round(2))
    assert all("demos' window" in part.message for part in result.results)
    cut, course = grids["cut"], grids["course"]
    q975 = cut.quantile("beta", 0.975)
    result = check.truncated_grid_beta(round(float(q975), 2), round(beyond(course), 4))
    assert all("is rounded" in part.message for part in result.results)


def test_a_typed_answer_that_also_fits_a_slip_is_called_ambiguous(build, grids, assert_no_leak):
    # β's mean on the course grid and on the 30 × 45 grid both round to two decimals alike: a
    # student who used the course grid and typed two decimals must not be told only "right, but rounded"
    right, course = summary(grids["coarse"]), summary(grids["course"])
    assert round(right[0], 2) == round(course[0], 2) and round(right[0], 3) != round(course[0], 3)
    result = check.coarse_grid_beta(round(course[0], 2), *right[1:]).results[0]
    assert result.passed is False and "rounded too far to tell" in result.message
    assert (
        "It may be this one: That is the value" in result.message
        and "value your code computes" in result.message
    )
    assert "too large" not in result.message and "too small" not in result.message
    assert_no_leak(result, right[0], answer=round(course[0], 2))
    # three decimals tell them apart: the course grid's value is then named as such
    result = check.coarse_grid_beta(round(course[0], 3), *right[1:]).results[0]
    assert result.passed is False and "much finer grid in β" in result.message
    assert "rounded" not in result.message


def test_draws_instead_of_the_grid_are_named(grids, assert_no_leak):
    coarse = grids["coarse"]
    right = summary(coarse)
    sample = draws(coarse)
    answers = (
        float(sample[:, 1].mean()),
        np.quantile(sample[:, 1], [0.025, 0.975]),
        np.quantile(sample[:, 0], [0.025, 0.975]),
    )
    result = check.coarse_grid_beta(*answers)
    for part, answer, value in zip(result.results, answers, right):
        assert part.passed is False and "random draws" in part.message
        assert_no_leak(part, value, answer=answer)
    cut, course = grids["cut"], grids["course"]
    q975 = float(np.quantile(draws(cut)[:, 1], 0.975))
    result = check.truncated_grid_beta(q975, beyond(course)).results[0]
    assert result.passed is False and "random draws" in result.message
    assert_no_leak(result, cut.quantile("beta", 0.975), answer=q975)
    share = float(np.mean(draws(course)[:, 1] > 20))
    result = check.truncated_grid_beta(None, share).results[1]
    assert result.passed is False and "random draws" in result.message and "grid.cdf" in result.message
    assert_no_leak(result, beyond(course), answer=share)
    # far from the right values: no talk of draws, the method instead
    far = check.coarse_grid_beta(right[0] * 3, right[1] * 3, right[2] * 3)
    assert all("random draws" not in part.message for part in far.results)
    assert "grid.mean()" in far.results[0].message
    assert (
        'grid.quantile("beta"' in far.results[1].message and 'grid.quantile("alpha"' in far.results[2].message
    )


def test_truncated_grid_right_answers_pass_and_full_grid_values_are_named(grids, assert_no_leak):
    cut, course = grids["cut"], grids["course"]
    assert 0.08 < beyond(course) < 0.09 and cut.edge_mass().high["beta"] < 0.01 * beyond(course)
    assert check.truncated_grid_beta(cut.quantile("beta", 0.975), beyond(course)).passed is True
    result = check.truncated_grid_beta(course.quantile("beta", 0.975), None)
    assert result.passed is False
    assert "none of its quantiles can lie above that" in repr(result)
    assert "np.linspace(-10, 20, 1500)" in repr(check.truncated_grid_beta(15.0, None))
    assert_no_leak(result.results[0], cut.quantile("beta", 0.975), answer=course.quantile("beta", 0.975))
    assert '1 - grid.cdf("beta", 20) on the course grid' in repr(check.truncated_grid_beta(15.0, 0.5))


@pytest.mark.parametrize(
    ("make_answer", "hint"),
    [
        (lambda cut, course: cut.edge_mass().high["beta"], "the cut grid's edge mass"),
        (lambda cut, course: float(f"{cut.edge_mass().high['beta']:.2g}"), "the cut grid's edge mass"),
        (lambda cut, course: 0.0, "Nothing lies beyond β = 20 on the cut grid"),
        (lambda cut, course: beyond(cut), "the upper half of its last cell only"),
        (lambda cut, course: 1 - beyond(course), "the mass below β = 20, not beyond it"),
        (
            lambda cut, course: float(course.marginal("beta")[course.axis("beta") > 20].sum()),
            "counts whole cells by their centres",
        ),
        (lambda cut, course: 0.9, "the mass below β = 20, not beyond it"),  # typed, one digit
    ],
)
def test_mass_beyond_20_slips_are_named(grids, make_answer, hint, assert_no_leak):
    cut, course = grids["cut"], grids["course"]
    answer = make_answer(cut, course)
    result = check.truncated_grid_beta(None, answer).results[1]
    assert result.passed is False and hint in result.message, repr(result)
    assert "random draws" not in result.message
    assert_no_leak(result, beyond(course), answer=answer)


@pytest.mark.parametrize("points", [(100, 100), (240, 360)])
def test_mass_beyond_20_on_the_demos_window_is_named(build, points, assert_no_leak):
    answer = beyond(build(*points, DEMOS_BETA, DEMOS_ALPHA))
    result = check.truncated_grid_beta(None, answer).results[1]
    assert result.passed is False and "measured on the demos' window" in result.message
    assert_no_leak(result, beyond(build(500, 1500)), answer=answer)


def test_mass_beyond_20_is_a_probability():
    result = check.truncated_grid_beta(None, 8.7).results[1]
    assert result.passed is False and "not a percentage" in result.message


@pytest.mark.parametrize(
    ("beta_points", "hints"),
    [
        (360, ("360 points in β (as on section 4's grid on the demos' window)", "the cut grid's edge mass")),
        (1501, (None, "the cut grid's edge mass")),  # the quantile moves by 3e-7 of itself only
        (1499, (None, "the cut grid's edge mass")),
    ],
)
def test_truncated_grid_point_counts_are_named(build, grids, beta_points, hints, assert_no_leak):
    cut, course = grids["cut"], grids["course"]
    other = build(500, beta_points, (-10.0, 20.0))
    answers = (float(other.quantile("beta", 0.975)), other.edge_mass().high["beta"])
    rights = (cut.quantile("beta", 0.975), beyond(course))
    assert_named(check.truncated_grid_beta(*answers), hints, rights, answers, assert_no_leak)
    assert "BDA Python demos' grids" not in repr(check.truncated_grid_beta(*answers))


def test_the_checks_use_the_course_grid():
    assert check._grid().axis("alpha").tolist() == np.linspace(*ALPHA_RANGE, 500).tolist()
    assert check._grid().axis("beta").tolist() == np.linspace(*BETA_RANGE, 1500).tolist()
    assert check.TRUNCATED_BETA == (-10.0, 20.0)


def test_unanswered_exercises_are_not_failures():
    assert check.truncated_grid_beta(None, None).passed is None
    assert check.coarse_grid_beta(None, None, None).passed is None


def test_unusable_answers_are_not_taken_for_draws():
    result = check.coarse_grid_beta("11.6", [1.0, 2.0, 3.0], [True, False])
    assert "string" in result.results[0].message and "shape" in result.results[1].message
    assert "boolean" in result.results[2].message
