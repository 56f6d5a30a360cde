"""Finite-difference Hessians against the analytic logistic-regression Hessian.

Tolerances, and why
-------------------
``fd_hessian`` (central differences of the analytic gradient, default step
``h = eps**(1/3) * max(1, |theta|)`` ~ 6e-6):

* truncation error ~ h^2 |g'''| / 6, which scales with the curvature (relative);
* round-off error ~ eps * sum_i n_i |x_i| / h, which does *not* shrink with the curvature
  (the residuals ``y - n p`` are computed to ~eps * n whatever p is): it is absolute.

So the test uses ``|FD - H| <= 1e-7 * max(1, max|H|)``: absolute 1e-7 when the Hessian is
small (e.g. every group has p ~ 0 or 1, where a purely relative test would ask the
round-off to vanish), relative 1e-7 when it is large. Measured over 20 000 random data
sets (including box corners) the worst was 5e-9, i.e. a 20x margin.

``fd_hessian_from_log_density`` (second differences of the log density, default step
``eps**(1/4) * max(1, |theta|)`` ~ 1.2e-4) has round-off ~ eps * |terms| / h^2, where
|terms| = sum_i n_i (|eta_i| + log 2) bounds the magnitude of what the log density sums.
The test uses ``1e-4 * max(1, max|H|) + 16 * eps * |terms| / min(h)^2``: the first part
is the "1e-4 relative" target, the second the round-off bound that a log density of
magnitude ~10^3 (8 groups of 20 with |eta| ~ 13) genuinely needs. Measured: the error
never exceeded 4 * eps * |terms| / h^2, and never 2.3e-5 * max(1, max|H|).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit

from bda_helpers import (
    BioassayData,
    bioassay,
    fd_hessian,
    fd_hessian_from_log_density,
    fd_jacobian,
    fd_step_sweep,
)
from bda_helpers.checks.finite_differences import SWEEP_STEPS

EPS = np.finfo(float).eps


def analytic_hessian(theta, x, n):
    """-sum_i n_i p_i (1 - p_i) (1, x_i)(1, x_i)^T, written out here."""
    p = expit(theta[0] + theta[1] * x)
    w = n * p * (1 - p)
    return -np.array([[w.sum(), w @ x], [w @ x, w @ x**2]])


@st.composite
def logistic_problems(draw):
    k = draw(st.integers(3, 8))
    x = draw(st.lists(st.floats(-2, 2, allow_nan=False, allow_infinity=False), min_size=k, max_size=k))
    n = draw(st.lists(st.integers(1, 20), min_size=k, max_size=k))
    y = [draw(st.integers(0, n_i)) for n_i in n]
    theta = np.array([draw(st.floats(-3, 3)), draw(st.floats(-5, 5))])
    return BioassayData(x=x, n=n, y=y), theta


@settings(max_examples=60, deadline=None)
@given(logistic_problems())
def test_fd_hessian_of_the_gradient_matches_the_analytic_hessian(problem):
    data, theta = problem
    expected = analytic_hessian(theta, np.asarray(data.x), np.asarray(data.n))
    got = fd_hessian(lambda t: bioassay.gradient(t, data), theta)
    assert got.shape == (2, 2)
    assert np.array_equal(got, got.T)  # symmetrised
    scale = max(1.0, np.abs(expected).max())
    assert np.abs(got - expected).max() <= 1e-7 * scale


@settings(max_examples=60, deadline=None)
@given(logistic_problems())
def test_fd_hessian_from_log_density_matches_the_analytic_hessian(problem):
    data, theta = problem
    x, n = np.asarray(data.x), np.asarray(data.n)
    expected = analytic_hessian(theta, x, n)
    got = fd_hessian_from_log_density(bioassay.model_functions(data).log_density, theta)
    assert got.shape == (2, 2)
    assert np.array_equal(got, got.T)  # symmetric by construction
    h = EPS**0.25 * np.maximum(1.0, np.abs(theta))
    magnitude = np.sum(n * (np.abs(theta[0] + theta[1] * x) + np.log(2.0)))
    tolerance = 1e-4 * max(1.0, np.abs(expected).max()) + 16 * EPS * magnitude / h.min() ** 2
    assert np.abs(got - expected).max() <= tolerance


def test_the_two_finite_difference_hessians_agree_on_the_bioassay_data(data, posterior_mode):
    mode = posterior_mode.mode
    from_gradient = fd_hessian(lambda t: bioassay.gradient(t, data), mode)
    from_density = fd_hessian_from_log_density(bioassay.model_functions(data).log_density, mode)
    expected = analytic_hessian(mode, np.asarray(data.x), np.asarray(data.n))
    assert np.allclose(from_gradient, expected, rtol=1e-8, atol=0)
    assert np.allclose(from_density, expected, rtol=1e-5, atol=0)
    # Inverting gives the covariance of the normal approximation.
    assert np.allclose(np.linalg.inv(-from_gradient), posterior_mode.cov, rtol=1e-7)


# --- explicit steps: polynomials whose finite-difference error is known exactly ----------


def test_explicit_scalar_and_per_coordinate_step_for_fd_hessian():
    # g = grad of f = -t0^2 + t0 t1 - t1^4. Central differences are exact for the linear
    # parts, and ((t+h)^3 - (t-h)^3) / (2h) = 3 t^2 + h^2, so H[1, 1] = -12 t1^2 - 4 h1^2.
    def grad(t):
        return np.array([-2 * t[0] + t[1], t[0] - 4 * t[1] ** 3])

    theta = np.array([0.3, 1.5])
    for step in (1e-2, [1e-3, 1e-2], np.array([0.05, 0.1])):
        h = np.broadcast_to(np.asarray(step, dtype=float), (2,))
        got = fd_hessian(grad, theta, step=step)
        expected = np.array([[-2.0, 1.0], [1.0, -12 * theta[1] ** 2 - 4 * h[1] ** 2]])
        assert np.allclose(got, expected, rtol=1e-10, atol=1e-10)


def test_explicit_step_for_fd_hessian_from_log_density():
    # ((t+h)^4 - 2 t^4 + (t-h)^4) / h^2 = 12 t^2 + 2 h^2, so H[1, 1] = -12 t1^2 - 2 h1^2;
    # the four-point mixed difference of t0 t1 is exact.
    def logf(t):
        return -(t[0] ** 2) + t[0] * t[1] - t[1] ** 4

    theta = np.array([0.3, 1.5])
    for step in (1e-2, [1e-3, 1e-2], np.array([0.05, 0.1])):
        h = np.broadcast_to(np.asarray(step, dtype=float), (2,))
        got = fd_hessian_from_log_density(logf, theta, step=step)
        expected = np.array([[-2.0, 1.0], [1.0, -12 * theta[1] ** 2 - 2 * h[1] ** 2]])
        assert np.allclose(got, expected, rtol=1e-8, atol=1e-8)


def test_fd_hessian_in_higher_dimension_is_exact_for_a_quadratic():
    rng = np.random.default_rng(7)
    a = rng.standard_normal((4, 4))
    precision = a @ a.T + np.eye(4)
    theta = rng.standard_normal(4)
    got = fd_hessian(lambda t: -precision @ t, theta, step=1e-3)
    assert np.allclose(got, -precision, rtol=0, atol=1e-10)
    got = fd_hessian_from_log_density(lambda t: -0.5 * t @ precision @ t, theta, step=1e-3)
    assert np.allclose(got, -precision, rtol=0, atol=1e-8)


# --- the error as a function of the step is U-shaped ----------------------------------------


def test_fd_error_is_u_shaped_in_the_step(data, posterior_mode):
    mode = posterior_mode.mode
    expected = analytic_hessian(mode, np.asarray(data.x), np.asarray(data.n))

    def error_from_gradient(h):
        return np.abs(fd_hessian(lambda t: bioassay.gradient(t, data), mode, step=h) - expected).max()

    def error_from_density(h):
        logf = bioassay.model_functions(data).log_density
        return np.abs(fd_hessian_from_log_density(logf, mode, step=h) - expected).max()

    # From the gradient: truncation ~ h^2 on the left, round-off ~ eps / h on the right.
    # Measured: 6.8e-4 at 1e-1, 4.1e-11 at 1e-5, 2.4e-6 at 1e-10.
    best = error_from_gradient(1e-5)
    assert error_from_gradient(1e-1) > 1e3 * best
    assert error_from_gradient(1e-10) > 1e3 * best
    # The truncation branch falls like h^2: a 10x smaller step, a ~100x smaller error.
    assert 50 < error_from_gradient(1e-1) / error_from_gradient(1e-2) < 200
    # The default step sits near the bottom of the U.
    default = np.abs(fd_hessian(lambda t: bioassay.gradient(t, data), mode) - expected).max()
    assert default < 1e-8

    # From the density: round-off ~ eps / h^2, so the bottom is near h ~ eps^(1/4) ~ 1e-4.
    # Measured: 3.4e-4 at 1e-1, 4.7e-8 at 1e-3, 71 at 1e-8.
    best = error_from_density(1e-3)
    assert error_from_density(1e-1) > 100 * best
    assert error_from_density(1e-8) > 100 * best
    assert 50 < error_from_density(1e-1) / error_from_density(1e-2) < 200


# --- steps that cannot give a meaningful difference are refused -----------------------------------
#
# f = -log cosh(t) has f' = -tanh(t) and f''(0) = -1. Unchecked, a step of 1e10 averages the slope
# over [-1e10, 1e10] and returns -1e-10, and a step of 1e-20 at t = 1 returns exactly 0 (1 + 1e-20
# is 1 in floating point); the next test shows it with the quotient written out.


def log_cosh_density(t):
    # -log cosh t, written so that it does not overflow for large |t|
    a = abs(t[0])
    return -(a + np.log1p(np.exp(-2 * a)) - np.log(2.0))


def log_cosh_gradient(t):
    return -np.tanh(t)


def test_out_of_scale_steps_give_meaningless_quotients_when_written_out():
    huge = 1e10
    assert (-np.tanh(huge) + np.tanh(-huge)) / (2 * huge) == pytest.approx(-1e-10)
    tiny = 1e-20
    assert 1.0 + tiny == 1.0
    assert (-np.tanh(1.0 + tiny) + np.tanh(1.0 - tiny)) / (2 * tiny) == 0.0  # exact: -sech(1)^2 = -0.42


FD_FUNCTIONS = {
    "fd_hessian": lambda theta, step: fd_hessian(log_cosh_gradient, theta, step=step),
    "fd_hessian_from_log_density": lambda theta, step: fd_hessian_from_log_density(
        log_cosh_density, theta, step=step
    ),
    "fd_jacobian": lambda theta, step: fd_jacobian(log_cosh_gradient, theta, step=step),
}

BAD_STEPS = [
    (
        "huge",
        [0.0],
        1e10,
        r"step 1e\+10 is too large for theta\[0\] = 0: it is larger than the scale "
        r"max\(1, \|theta\[0\]\|\) = 1 these finite differences assume",
    ),
    ("astronomical", [0.0], 1e300, r"step 1e\+300 is too large for theta\[0\]"),
    (
        "rounds away",
        [1.0],
        1e-20,
        r"step 1e-20 is too small for theta\[0\] = 1: theta\[0\] ± h rounds to theta\[0\]",
    ),
    (
        "all rounding",
        [0.0],
        1e-20,
        r"step 1e-20 is too small for theta\[0\] = 0: it is below eps .*for a function that changes on "
        r"the scale max\(1, \|theta\[0\]\|\) = 1 these finite differences assume, .* all rounding",
    ),
    ("large theta", [1e6], 1e-11, r"step 1e-11 is too small for theta\[0\] = 1e\+06: theta\[0\] ± h rounds"),
    ("beyond a large theta", [-1e6], 2e6, r"too large for theta\[0\] = -1e\+06: .* = 1e\+06"),
    ("second coordinate", [1.0, 3.0], [1e-4, 1e-20], r"step 1e-20 is too small for theta\[1\] = 3"),
]


@pytest.mark.parametrize("function", list(FD_FUNCTIONS))
@pytest.mark.parametrize(
    ("theta", "step", "message"), [c[1:] for c in BAD_STEPS], ids=[c[0] for c in BAD_STEPS]
)
def test_steps_out_of_scale_are_refused_naming_step_and_coordinate(function, theta, step, message):
    call = FD_FUNCTIONS[function]
    if len(theta) == 2:  # the separable 2-D version of the same target
        call = {
            "fd_hessian": lambda t, s: fd_hessian(lambda u: -np.tanh(u), t, step=s),
            "fd_hessian_from_log_density": lambda t, s: fd_hessian_from_log_density(
                lambda u: log_cosh_density(u[:1]) + log_cosh_density(u[1:]), t, step=s
            ),
            "fd_jacobian": lambda t, s: fd_jacobian(lambda u: -np.tanh(u), t, step=s),
        }[function]
    with pytest.raises(ValueError, match=message):
        call(theta, step)


@pytest.mark.parametrize("function", list(FD_FUNCTIONS))
@pytest.mark.parametrize(("theta", "step"), [([0.0], 1.0), ([1.0], EPS), ([-1e6], 1e6), ([1e6], 1e-9)])
def test_steps_at_the_edges_of_the_range_are_accepted(function, theta, step):
    # max(1, |theta|) and eps * max(1, |theta|) themselves pass (1e-9 is 4.5 eps * 1e6).
    assert np.isfinite(FD_FUNCTIONS[function](theta, step)).all()


def test_the_notebook_sweeps_still_run_over_every_step(data, posterior_mode):
    # Notebook 04 and checks/finite_differences sweep h over 1e-1 ... 1e-10 at the mode.
    mode = posterior_mode.mode
    model = bioassay.model_functions(data)
    exact = analytic_hessian(mode, np.asarray(data.x), np.asarray(data.n))
    assert np.array_equal(SWEEP_STEPS, np.logspace(-1, -10, 37))
    from_gradient = fd_step_sweep(lambda h: fd_hessian(model.gradient, mode, step=h), exact, SWEEP_STEPS)
    from_density = fd_step_sweep(
        lambda h: fd_hessian_from_log_density(model.log_density, mode, step=h), exact, SWEEP_STEPS
    )
    for sweep in (from_gradient, from_density):
        assert sweep.errors.shape == (37,) and np.isfinite(sweep.errors).all()
    assert (
        from_density.errors[-1] > 1.0
    )  # at 1e-10 second differences are all rounding, as the notebook shows


# --- the bounds are guards for an assumed scale, not facts about every function --------------------


def test_the_step_bounds_refuse_steps_that_would_suit_a_linear_gradient():
    # g(t) = -t: at theta = 0 the points 0 +- 1e-20 are exact, and a central difference of a
    # linear function is exact for any step, small or large (written out here) ...
    assert 0.0 + 1e-20 != 0.0
    assert (-1e-20 - 1e-20) / (2 * 1e-20) == -1.0
    assert (-10.0 - 10.0) / (2 * 10.0) == -1.0
    # ... yet both steps are refused: the message names the scale the guard assumes.
    for step, words in [(1e-20, "too small"), (10.0, "too large")]:
        with pytest.raises(
            ValueError,
            match=rf"step {step:g} is {words} for theta\[0\] = 0: .*the scale max\(1, \|theta\[0\]\|\) = 1 "
            r"these finite differences assume",
        ):
            fd_hessian(lambda t: -t, [0.0], step=step)


def test_below_the_lower_bound_a_function_of_the_assumed_scale_gives_all_rounding():
    # -log cosh t is computed from terms of size log 2 ~ 1: at theta = 0 the points +-1e-20 are
    # exact, but its values there round to the value at 0, so the second difference is 0, not -1.
    values = [log_cosh_density([t]) for t in (1e-20, 0.0, -1e-20)]
    assert values[0] == values[1] == values[2]


@pytest.mark.parametrize("theta", [0.5, 1.0, 3.0])
def test_at_sqrt_eps_steps_second_differences_are_noise_but_gradient_differences_are_not(theta):
    # The module's claim: for -log cosh (scale ~1), second differences of the log density are
    # swamped by rounding from about sqrt(eps) * max(1, |theta|) down (measured: relative error
    # 0.27, 1.4 and 1.0), while central differences of the gradient are still accurate there
    # (measured: at most 7e-8); at the default steps both are (measured: at most 1.5e-7, 4.4e-11).
    exact = -1.0 / np.cosh(theta) ** 2
    h = np.sqrt(EPS) * max(1.0, abs(theta))

    def relative_error(value):
        return abs(value[0, 0] - exact) / abs(exact)

    assert relative_error(fd_hessian_from_log_density(log_cosh_density, [theta], step=h)) > 0.1
    assert relative_error(fd_hessian(log_cosh_gradient, [theta], step=h)) < 1e-6
    assert relative_error(fd_hessian_from_log_density(log_cosh_density, [theta])) < 1e-6
    assert relative_error(fd_hessian(log_cosh_gradient, [theta])) < 1e-9
