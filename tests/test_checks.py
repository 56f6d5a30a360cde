"""The self-check building blocks: every verdict, and answers that are not numbers at all."""

import numpy as np
import pytest

from bda_helpers.checks import CheckResult, as_array, as_probability, check_close


def test_placeholder_answer_is_not_answered_yet_not_wrong():
    result = check_close(None, 1.0, name="x")
    assert result.passed is None
    assert repr(result).startswith("… Not answered yet") and "`x`" in repr(result)


def test_right_and_wrong_answers_within_and_outside_the_tolerance():
    assert check_close(1.0005, 1.0, name="x", rtol=1e-3).passed is True
    result = check_close(1.01, 1.0, name="x", rtol=1e-3, hint="look at the sign")
    assert result.passed is False
    assert result.message.startswith("x = 1.01 is too large.") and "Hint: look at the sign" in result.message


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("0.125", "is the string '0.125'"),  # numpy would convert it: refused all the same
        (b"0.125", "is the string"),
        (True, "a boolean"),
        (np.bool_(False), "a boolean"),
        (np.ones((2, 2), dtype=bool), "an array of booleans"),
        ([["1", "2"], ["3", "4"]], "holds strings"),
        (np.eye(2) + 1j, "complex"),
        ([1.0, 2.0], "has shape (2,)"),
        ([[1.0, np.nan], [0.0, 1.0]], "NaN or infinite"),
        ({"a": 1}, "should be numbers"),
        ([[1, 2], [3]], "should be numbers"),
    ],
)
def test_unusable_answers_say_what_is_wrong(answer, message):
    result = as_array(answer, (2, 2), "cov")
    assert isinstance(result, CheckResult) and result.passed is False
    assert message in result.message


def test_ipython_shows_the_verdict():
    from IPython.lib.pretty import pretty

    assert pretty(CheckResult(True, "fine.")) == "✅ Correct: fine."


def test_a_miss_says_which_way_but_never_the_expected_value():
    result = check_close([0.5, 7.7488, 3.0], [0.8466, 7.7488, 1.25], name="v")
    assert (
        result.message
        == "v = [0.5    7.7488 3.    ] is not right: entry [0] is too small; entry [2] is too large."
    )
    assert "0.8466" not in result.message and "1.25" not in result.message


@pytest.mark.parametrize("answer", ["0.125", True, np.array(["0.125"])])
def test_strings_and_booleans_are_refused_even_where_numpy_would_convert_them(answer):
    result = check_close(answer, 0.125, name="x")
    assert result.passed is False
    assert "string" in result.message or "boolean" in result.message


@pytest.mark.parametrize(("answer", "percentage"), [(-0.3, False), (1.5, True), (56.0, True), (101.0, False)])
def test_a_probability_outside_zero_one_is_not_a_probability(answer, percentage):
    result = as_probability(answer, "p")
    assert isinstance(result, CheckResult) and result.passed is False
    assert "is not a probability" in result.message
    assert ("not a percentage" in result.message) is percentage


def test_a_probability_inside_zero_one_is_returned_as_a_float():
    assert as_probability(0, "p") == 0.0 and as_probability(np.float64(1.0), "p") == 1.0
    assert as_probability(None, "p").passed is None
