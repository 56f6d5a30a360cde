"""Notebook 04's numbers against independent references, and the helpers it uses.

The error curves here are computed with finite-difference formulas written out in this file,
applied to the first-principles reference model of ``conftest.py``, against the analytic
Hessian of that model taken as exact. The reference gradient and log likelihood round
differently from the package's, so the noisy round-off side of the curves differs in its
details; the conclusions the notebook draws (where the minimum is, how steep each side is)
must not.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from bda_helpers import fd_hessian
from bda_helpers.charts import step_error_chart
from bda_helpers.derivatives import StepSweep, fd_jacobian, fd_step_sweep

EPS = np.finfo(float).eps
STEPS = np.logspace(-1, -10, 37)


def central_from_gradient(gradient, theta, h):
    """Symmetrised central differences of the gradient, written out."""
    columns = [(gradient(theta + h * e) - gradient(theta - h * e)) / (2 * h) for e in np.eye(2)]
    raw = np.column_stack(columns)
    return raw, 0.5 * (raw + raw.T)


def second_differences(logf, theta, h):
    """Second differences of the log density, written out for two parameters."""
    e0, e1 = h * np.eye(2)
    f = lambda t: float(logf(*t))  # noqa: E731
    centre = f(theta)
    h00 = (f(theta + e0) - 2 * centre + f(theta - e0)) / h**2
    h11 = (f(theta + e1) - 2 * centre + f(theta - e1)) / h**2
    h01 = (f(theta + e0 + e1) - f(theta + e0 - e1) - f(theta - e0 + e1) + f(theta - e0 - e1)) / (4 * h**2)
    return np.array([[h00, h01], [h01, h11]])


@pytest.fixture(scope="module")
def curves(ref):
    mode = ref.mode()
    exact = ref.hessian(mode)
    scale = np.abs(exact).max()
    gradient = (
        np.array([np.abs(central_from_gradient(ref.gradient, mode, h)[1] - exact).max() for h in STEPS])
        / scale
    )
    density = (
        np.array([np.abs(second_differences(ref.log_likelihood, mode, h) - exact).max() for h in STEPS])
        / scale
    )
    return gradient, density


def slope(errors, low, high):
    inside = (low <= STEPS) & (high >= STEPS)
    return np.polyfit(np.log10(STEPS[inside]), np.log10(errors[inside]), 1)[0]


def bottom(errors):
    """The level of the bottom of the U: the middle one of its three smallest errors.

    At the bottom truncation and round-off are of one size, and round-off's sign varies from step
    to step, so the single smallest error can be a lucky cancellation of the two, arbitrarily
    small (the density curve's minimum, 3.4e-9, is already below the ~5e-9 truncation there); the
    middle of the three smallest would need two such accidents to move."""
    return np.sort(errors)[1]


def test_the_gradient_curve_bottoms_out_near_eps_to_the_third(curves):
    gradient, _ = curves
    best = STEPS[np.argmin(gradient)]
    assert EPS ** (1 / 3) / 10 <= best <= 10 * EPS ** (1 / 3)
    assert gradient.min() < 1e-10
    assert 1e-10 < gradient[np.isclose(STEPS, 1e-4)][0] < 1e-9  # the source's step: ~3.5e-10


def test_the_density_curve_bottoms_out_near_eps_to_the_quarter_and_higher(curves):
    gradient, density = curves
    best = STEPS[np.argmin(density)]
    assert EPS ** (1 / 4) / 10 <= best <= 10 * EPS ** (1 / 4)
    # Measured bottoms: 1.2e-8 (density) and 1.2e-11 (gradient).
    assert bottom(density) > 100 * bottom(gradient)
    assert 1e-9 < bottom(density) < 1e-7


def test_the_slopes_of_the_two_sides(curves):
    gradient, density = curves
    assert slope(gradient, 1e-3, 1e-1) == pytest.approx(2.0, abs=0.1)
    assert slope(density, 1e-3, 1e-1) == pytest.approx(2.0, abs=0.1)
    assert slope(gradient, 1e-10, 1e-7) == pytest.approx(-1.0, abs=0.3)
    assert slope(density, 1e-10, 1e-6) == pytest.approx(-2.0, abs=0.3)


def test_raw_matrix_asymmetry_at_the_source_step(ref):
    raw, _ = central_from_gradient(ref.gradient, ref.mode(), 1e-4)
    assert 1e-13 < abs(raw[0, 1] - raw[1, 0]) < 1e-10


def test_the_hessian_is_negative_definite_at_the_mode_and_everywhere(ref):
    assert np.allclose(np.linalg.eigvalsh(ref.hessian(ref.mode())), [-2.0095, -0.0412], atol=1e-4)
    rng = np.random.default_rng(4)
    for theta in rng.uniform([-4.0, -10.0], [8.0, 40.0], size=(200, 2)):
        assert np.linalg.eigvalsh(ref.hessian(theta)).max() < 0


def test_a_single_dose_makes_the_information_singular(ref):
    x = np.zeros(4)
    info = ref.information([0.0, 0.0], x=x, n=ref.N, y=ref.Y)
    assert np.linalg.matrix_rank(info) == 1


# --- fd_jacobian -------------------------------------------------------------------------------


def test_fd_jacobian_is_exact_for_a_linear_map_of_another_dimension():
    a = np.array([[1.0, -2.0], [0.5, 3.0], [4.0, 0.0]])
    got = fd_jacobian(lambda t: a @ t, [0.3, -1.2], step=1e-3)
    assert got.shape == (3, 2)
    assert np.allclose(got, a, rtol=0, atol=1e-12)


@pytest.mark.parametrize("point", ["mode", (0.0, 0.0), (2.0, 20.0)])
@pytest.mark.parametrize("step", [None, 1e-4, [1e-5, 1e-4]])
def test_fd_jacobian_and_fd_hessian_of_the_reference_gradient_match_the_analytic_hessian(ref, point, step):
    # Both against the reference model's closed-form Hessian, never against each other.
    theta = ref.mode() if point == "mode" else np.array(point)
    exact = ref.hessian(theta)
    scale = np.abs(exact).max()
    raw = fd_jacobian(ref.gradient, theta, step=step)
    symmetric = fd_hessian(ref.gradient, theta, step=step)
    assert raw.shape == symmetric.shape == (2, 2)
    assert np.abs(raw - exact).max() < 1e-8 * scale
    assert np.abs(symmetric - exact).max() < 1e-8 * scale
    assert symmetric[0, 1] == symmetric[1, 0]


@pytest.mark.parametrize(
    ("function", "theta", "step", "message"),
    [
        (lambda t: t, [[0.0, 1.0]], None, "non-empty 1-D"),
        (lambda t: t, [0.0, 1.0], -1.0, "positive and finite"),
        (lambda t: t if t[0] > 0 else t[:1], [0.0, 1.0], 0.1, "one shape"),
        (lambda t: np.log(t), [0.0, 1.0], 0.1, "not finite"),
        (lambda t: t, [0.0, 1.0], 10.0, r"step 10 is too large for theta\[0\] = 0"),
        (lambda t: t, [0.0, 1.0], [0.1, 1e-17], r"step 1e-17 is too small for theta\[1\] = 1"),
    ],
)
def test_fd_jacobian_bad_input(function, theta, step, message):
    with np.errstate(invalid="ignore", divide="ignore"), pytest.raises(ValueError, match=message):
        fd_jacobian(function, theta, step=step)


# --- fd_step_sweep -------------------------------------------------------------------------------


def test_fd_step_sweep_against_the_exact_truncation_error():
    # (cos(1 + h) - cos(1 - h)) / (2h) = -sin(1) sin(h) / h exactly, so the relative error
    # is 1 - sin(h) / h, about h^2 / 6, as long as round-off is negligible.
    steps = np.array([0.2, 0.1, 0.05, 0.01])
    sweep = fd_step_sweep(lambda h: (np.cos(1 + h) - np.cos(1 - h)) / (2 * h), -np.sin(1.0), steps)
    assert isinstance(sweep, StepSweep)
    assert np.allclose(sweep.errors, 1 - np.sin(steps) / steps, rtol=1e-6)
    assert sweep.best_step == 0.01 and sweep.best_error == sweep.errors[-1]
    assert np.array_equal(sweep.steps, steps)
    # A frozen result: its arrays cannot be changed, and changing the input does not reach them.
    assert not sweep.steps.flags.writeable and not sweep.errors.flags.writeable
    steps[0] = 99.0
    assert sweep.steps[0] == 0.2


def test_fd_step_sweep_error_is_relative_to_the_largest_exact_entry():
    exact = np.array([[100.0, 0.0], [0.0, 1.0]])
    sweep = fd_step_sweep(lambda h: exact + np.array([[0.0, 0.0], [0.0, h]]), exact, [0.5, 2.0])
    assert sweep.errors.tolist() == [0.005, 0.02]


@pytest.mark.parametrize(
    ("estimate", "exact", "steps", "message"),
    [
        (lambda h: 1.0, 1.0, [0.1, -0.1], "positive, finite"),
        (lambda h: 1.0, 1.0, [], "non-empty"),
        (lambda h: 1.0, 0.0, [0.1], "non-zero entry"),
        (lambda h: 1.0, np.nan, [0.1], "exact must be finite"),
        (lambda h: np.ones(2), 1.0, [0.1], r"estimate\(0.1\) has shape \(2,\)"),
        (lambda h: np.nan if h < 0.05 else 1.0, 1.0, [0.1, 0.01], r"estimate\(0.01\) is not finite"),
    ],
)
def test_fd_step_sweep_bad_input(estimate, exact, steps, message):
    with pytest.raises(ValueError, match=message):
        fd_step_sweep(estimate, exact, steps)


# --- step_error_chart ---------------------------------------------------------------------------


def test_step_error_chart_clips_references_and_has_no_auto_names():
    h = np.logspace(-1, -8, 8)
    chart = step_error_chart(
        h,
        {"measured": h**2 + 1e-12 / h},
        references={"far below": 1e-30 * h, "h²": h**2},
        marks={"a": 1e-5, "b": 1e-3},
    )
    spec = chart.to_dict()
    text = json.dumps(spec, sort_keys=True)
    assert not re.search(r'"(param|view|selector)_?\d+"', text)
    (rows,) = [rows for rows in spec["datasets"].values() if "curve" in rows[0]]
    (marks,) = [rows for rows in spec["datasets"].values() if "label" in rows[0]]
    assert [row["label"] for row in marks] == ["a", "b"]
    curves = {row["curve"] for row in rows}
    assert curves == {"measured", "h²"}  # a reference entirely off the scale is dropped
    assert sum(row["curve"] == "h²" for row in rows) < len(h)  # h² ~ 1e-16 at h = 1e-8 is clipped
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["line", "line", "rule", "text"]


@pytest.mark.parametrize(
    ("steps", "errors", "message"),
    [
        ([0.1, 0.0], {"a": [1.0, 1.0]}, "positive"),
        ([0.1, 0.01], {"a": [1.0, 0.0]}, "must be positive"),
        ([0.1, 0.01], {"a": [1.0]}, "has shape"),
        ([0.1, 0.01], {}, "at least one measured curve"),
    ],
)
def test_step_error_chart_bad_input(steps, errors, message):
    with pytest.raises(ValueError, match=message):
        step_error_chart(steps, errors)
