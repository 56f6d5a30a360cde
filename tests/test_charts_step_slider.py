"""The step slider of notebook 04 (:func:`bda_helpers.charts.step_slider_chart`): a named parameter
bound to a range input, small data for every slider position, the same spec on every run, a
static copy drawn at the initial step, and clear errors for bad input.

The secants are checked against a function whose central difference is known in closed form:
for ``sin`` at ``c``, ``(sin(c + h) - sin(c - h)) / 2h = cos(c) sin(h) / h``.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import vl_convert

from bda_helpers import charts

CENTRE = 0.5


@pytest.fixture(scope="module")
def chart():
    return charts.step_slider_chart(
        np.sin, CENTRE, np.cos(CENTRE), log10_steps=(-3.0, 0.5, 0.25), initial=0.0, title="sine"
    )


def rows(spec: dict, column: str) -> pd.DataFrame:
    """The largest dataset of ``spec`` that has ``column`` (for ``"y"``: the curve, not its tangent)."""
    tables = [pd.DataFrame(data) for data in spec["datasets"].values() if column in data[0]]
    return max(tables, key=len)


def test_the_slider_is_a_named_parameter_bound_to_a_range(chart):
    spec = chart.to_dict()
    (param,) = spec["params"]
    assert param["name"] == "log10_h" and param["value"] == 0.0
    assert param["bind"] == {"input": "range", "min": -3.0, "max": 0.5, "step": 0.25, "name": "log₁₀ h "}
    assert "log10_h" in json.dumps(spec["hconcat"])  # the views filter on it


def test_spec_is_deterministic_and_free_of_auto_names(chart):
    first = json.dumps(chart.to_dict(), sort_keys=True)
    again = charts.step_slider_chart(
        np.sin, CENTRE, np.cos(CENTRE), log10_steps=(-3.0, 0.5, 0.25), initial=0.0, title="sine"
    )
    assert first == json.dumps(again.to_dict(), sort_keys=True)
    assert not re.search(r'"(param|view|selector)_?\d+"', first), "auto-numbered name in the spec"


def test_every_slider_position_has_its_secant_with_the_closed_form_error(chart):
    secants = rows(chart.to_dict(), "log10_h")
    positions = np.arange(-3.0, 0.51, 0.25)
    assert np.allclose(secants["log10_h"], positions, rtol=0, atol=1e-12)
    h = 10.0**positions
    error = np.abs(np.sin(h) / h - 1.0)  # the relative error of cos(c) sin(h) / h against cos(c)
    assert np.allclose(secants["error"], error, rtol=0.05)  # rounded to 2 significant digits
    assert np.allclose(secants["y_plus"], np.sin(CENTRE + h), atol=1e-4)
    assert np.allclose(secants["y_minus"], np.sin(CENTRE - h), atol=1e-4)


def test_the_data_for_all_positions_stay_small(chart):
    charts.use_course_renderer()
    try:
        bundle, _ = charts._course_renderer(chart.to_dict())
    finally:
        import altair as alt

        alt.renderers.enable("default")
    assert len(json.dumps(bundle["application/vnd.vegalite.v5+json"])) < 60_000
    assert "image/svg+xml" in bundle  # a static copy, drawn at the initial step


def test_the_static_copy_follows_the_parameter_value(chart):
    spec = charts._csv_datasets(chart.to_dict())
    drawn = {}
    for value in (-3.0, 0.0):
        spec["params"][0]["value"] = value
        drawn[value] = vl_convert.vegalite_to_svg(spec)
    assert drawn[-3.0] != drawn[0.0]
    assert "h = 1: slope" in drawn[0.0] and "h = 0.001: slope" in drawn[-3.0]


def test_a_gradient_that_is_zero_up_to_rounding_is_drawn_as_zero():
    # The curve crosses zero at the centre: its value there is rounding noise, rounded away.
    chart = charts.step_slider_chart(
        lambda t: np.sin(t - 0.1) + 1e-17, 0.1, 1.0, log10_steps=(-2.0, 0.0, 1.0)
    )
    curve = rows(chart.to_dict(), "y")
    assert 0.0 in set(curve["y"]) and not (np.signbit(curve["y"]) & (curve["y"] == 0)).any()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"function": 1.0}, TypeError, "function must be callable"),
        ({"centre": np.nan}, ValueError, "centre must be a finite number"),
        ({"centre": "0.5"}, ValueError, "centre must be a finite number"),
        ({"exact_slope": 0.0}, ValueError, "exact_slope must be non-zero"),
        ({"log10_steps": (-3.0, 0.0)}, TypeError, "tuple (min, max, step)"),
        ({"log10_steps": (-3.0, "0", 1.0)}, TypeError, "three numbers"),
        ({"log10_steps": (0.0, -3.0, 1.0)}, ValueError, "min < max"),
        ({"log10_steps": (-3.0, 0.0, -1.0)}, ValueError, "step > 0"),
        ({"log10_steps": (-3.0, 0.0, 0.7)}, ValueError, "whole number of steps"),
        ({"log10_steps": (-3.0, 0.0, 0.01)}, ValueError, "more than 101"),
        ({"initial": 0.1}, ValueError, "one of the slider's positions"),
        ({"window": -1.0}, ValueError, "window must be positive"),
        ({"function": lambda t: np.nan}, ValueError, "must return a finite number"),
        ({"function": lambda t: [t]}, ValueError, "must return a finite number"),
        ({"log10_steps": (-9.0, 0.0, 1.0)}, ValueError, "at h = 1e-09"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(kwargs, error, message):
    arguments = {"function": np.sin, "centre": CENTRE, "exact_slope": np.cos(CENTRE)}
    arguments.update(kwargs)
    options = {key: arguments.pop(key) for key in ("log10_steps", "initial", "window") if key in arguments}
    with pytest.raises(error, match=re.escape(message)):
        charts.step_slider_chart(**arguments, **options)


def test_round_off_is_judged_against_the_size_of_the_function_not_its_range():
    # 1e9 + sin: each value carries a rounding error of about eps * 1e9, far more than eps times the
    # curve's range (about 2): at h = 1e-3 the secant's error is mostly round-off.
    with pytest.raises(ValueError, match=re.escape("at h = 0.001")) as refused:
        charts.step_slider_chart(
            lambda t: 1e9 + np.sin(t), CENTRE, np.cos(CENTRE), log10_steps=(-3.0, 0.5, 0.25)
        )
    assert "start the slider at a larger step" in str(refused.value)
    # From h = 1 on the truncation error is over 1000 times the round-off, and the chart is drawn.
    charts.step_slider_chart(lambda t: 1e9 + np.sin(t), CENTRE, np.cos(CENTRE), log10_steps=(0.0, 0.5, 0.25))


@pytest.mark.parametrize(
    ("function", "slope"), [(lambda t: 3.0 * t + 1.0, 3.0), (lambda t: t * t, 2 * CENTRE)]
)
def test_a_function_without_truncation_error_is_refused_for_what_it_is(function, slope):
    # A central difference of a linear or quadratic function is exact: no step is truncation-dominated,
    # so advising a larger step would be wrong.
    with pytest.raises(ValueError, match="no step of the slider is truncation-dominated") as refused:
        charts.step_slider_chart(function, CENTRE, slope, log10_steps=(-3.0, 0.5, 0.25))
    assert "start the slider at a larger step" not in str(refused.value)
