"""Newton's method with a guarded step, on targets whose answers are known analytically."""

from __future__ import annotations

import numpy as np
import pytest

from bda_helpers import BioassayData, ConvergenceError, NewtonTrace, bioassay, fd_jacobian, newton

# --- quadratic targets: Newton is exact in one step -------------------------------------


def random_quadratic(d: int, seed: int):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((d, d))
    precision = a @ a.T + d * np.eye(d)  # symmetric positive definite
    mu = rng.normal(scale=3.0, size=d)
    theta0 = rng.normal(scale=10.0, size=d)
    return precision, mu, theta0


@pytest.mark.parametrize("d, seed", [(1, 0), (2, 1), (3, 2), (5, 3)])
@pytest.mark.parametrize("with_log_density", [False, True])
def test_quadratic_target_is_solved_in_one_step(d, seed, with_log_density):
    precision, mu, theta0 = random_quadratic(d, seed)

    def grad(t):
        return -precision @ (t - mu)

    def hess(t):
        return -precision

    def logf(t):
        return float(-0.5 * (t - mu) @ precision @ (t - mu))

    result = newton(grad, hess, theta0, log_density=logf if with_log_density else None)
    assert result.n_iter == 1
    assert np.allclose(result.mode, mu, rtol=0, atol=1e-12 * (1 + np.abs(mu).max()))
    assert np.array_equal(result.hessian, -precision)
    trace = result.trace
    assert trace.theta.shape == (2, d)
    assert np.array_equal(trace.theta[0], theta0)
    assert trace.step_scale[1] == 1.0  # a full step, never backtracked
    assert trace.step_norm[1] == pytest.approx(np.linalg.norm(mu - theta0))
    assert trace.grad_norm[1] < 1e-10
    assert not trace.shifted.any()
    if with_log_density:
        assert trace.log_density[1] == pytest.approx(0.0, abs=1e-12)
        assert trace.log_density[0] < trace.log_density[1]


def test_start_at_the_mode_takes_no_steps():
    result = newton(lambda t: -2.0 * (t - 3.0), lambda t: np.array([[-2.0]]), [3.0])
    assert result.n_iter == 0
    assert result.mode.tolist() == [3.0]
    assert result.trace.theta.shape == (1, 1)


# --- the bimodal log density -t^4 + 2 t^2: modes at +-1, a minimum at 0 ------------------


def bimodal_grad(t):
    return -4 * t**3 + 4 * t


def bimodal_hess(t):
    return np.atleast_2d(-12 * t**2 + 4)


def bimodal_logf(t):
    return float(-(t[0] ** 4) + 2 * t[0] ** 2)


def plain_newton_1d(t, steps=30):
    """Unguarded Newton, t <- t - f'(t) / f''(t), written out here as the reference."""
    for _ in range(steps):
        t = t - (-4 * t**3 + 4 * t) / (-12 * t**2 + 4)
    return t


def test_bimodal_from_one_is_already_at_the_mode():
    result = newton(bimodal_grad, bimodal_hess, [1.0])
    assert result.mode.tolist() == [1.0]
    assert result.hessian.tolist() == [[-8.0]]  # f''(1) = -12 + 4
    assert result.n_iter == 0


@pytest.mark.parametrize("start, mode", [(1.3, 1.0), (0.1, 1.0), (-0.3, -1.0), (-2.0, -1.0)])
def test_bimodal_guarded_newton_reaches_a_mode(start, mode):
    result = newton(bimodal_grad, bimodal_hess, [start], log_density=bimodal_logf)
    # Stopping at |gradient| <= tol = 1e-10 with f'' = -8 leaves |t - mode| <~ 1e-10 / 8.
    assert result.mode[0] == pytest.approx(mode, abs=1e-10)
    assert result.hessian[0, 0] == pytest.approx(-8.0, abs=1e-9)
    values = result.trace.log_density
    assert np.all(np.diff(values) >= -1e-12)  # the guard only ever climbs
    assert values[-1] == pytest.approx(1.0, abs=1e-12)  # f(+-1) = -1 + 2


@pytest.mark.parametrize("start, mode", [(0.1, 1.0), (-0.3, -1.0)])
def test_bimodal_where_plain_newton_heads_for_the_minimum(start, mode):
    # In |t| < 1/sqrt(3) the log density is convex: plain Newton converges to the
    # minimum at 0 ...
    assert abs(plain_newton_1d(start)) < 1e-12
    # ... while the guarded step shifts the Hessian (an ascent step) and backtracks.
    result = newton(bimodal_grad, bimodal_hess, [start], log_density=bimodal_logf)
    assert result.trace.shifted[1]
    assert result.trace.step_scale[1] < 1.0
    assert result.mode[0] == pytest.approx(mode, abs=1e-10)
    # Without the log density the shift alone still makes the first step climb.
    unguarded = newton(bimodal_grad, bimodal_hess, [start])
    assert unguarded.trace.shifted[1]
    assert abs(unguarded.mode[0]) == pytest.approx(1.0, abs=1e-10)


@pytest.mark.parametrize("with_log_density", [False, True])
def test_start_exactly_at_the_minimum_is_refused(with_log_density):
    with pytest.raises(ConvergenceError, match="not negative definite") as info:
        newton(bimodal_grad, bimodal_hess, [0.0], log_density=bimodal_logf if with_log_density else None)
    assert "a saddle or a minimum" in str(info.value)
    trace = info.value.trace
    assert isinstance(trace, NewtonTrace)
    assert trace.theta.tolist() == [[0.0]]


def test_saddle_point_is_refused():
    # f = -x^2 + y^2 has a saddle at the origin: gradient zero, Hessian indefinite.
    with pytest.raises(ConvergenceError, match="not negative definite"):
        newton(lambda t: np.array([-2 * t[0], 2 * t[1]]), lambda t: np.diag([-2.0, 2.0]), [0.0, 0.0])


# --- backtracking on a concave target where plain Newton diverges ------------------------


def test_backtracking_tames_a_diverging_newton_iteration():
    # f = -sqrt(1 + t^2): concave, mode 0; the plain Newton map is t -> -t^3, which
    # diverges from |t| > 1.
    t = 2.0
    for _ in range(3):
        t = -(t**3)
    assert abs(t) > 1e8

    def grad(t):
        return -t / np.sqrt(1 + t**2)

    def hess(t):
        return np.atleast_2d(-((1 + t[0] ** 2) ** -1.5))

    result = newton(grad, hess, [2.0], log_density=lambda t: float(-np.sqrt(1 + t[0] ** 2)))
    assert abs(result.mode[0]) < 1e-10
    assert result.trace.step_scale[1] < 1.0
    assert not result.trace.shifted.any()


# --- a Rosenbrock-like, non-concave 2-D target --------------------------------------------


def rosenbrock_logf(t):
    return float(-((1 - t[0]) ** 2) - 100 * (t[1] - t[0] ** 2) ** 2)


def rosenbrock_grad(t):
    return np.array([2 * (1 - t[0]) + 400 * t[0] * (t[1] - t[0] ** 2), -200 * (t[1] - t[0] ** 2)])


def rosenbrock_hess(t):
    return np.array([[-2 + 400 * t[1] - 1200 * t[0] ** 2, 400 * t[0]], [400 * t[0], -200.0]])


@pytest.mark.parametrize(
    "start, non_concave",
    [([-1.2, 1.0], False), ([0.0, 1.0], True), ([-1.0, 3.0], True), ([2.0, -1.0], False)],
)
def test_rosenbrock_converges_to_the_maximum(start, non_concave):
    # At (0, 1) the Hessian is diag(398, -200): indefinite, the start is not in a concave region.
    eigenvalues = np.linalg.eigvalsh(rosenbrock_hess(np.array(start)))
    assert (eigenvalues.max() > 0) == non_concave
    result = newton(rosenbrock_grad, rosenbrock_hess, start, log_density=rosenbrock_logf)
    assert np.allclose(result.mode, [1.0, 1.0], rtol=0, atol=1e-10)
    assert np.allclose(result.hessian, [[-802.0, 400.0], [400.0, -200.0]], rtol=1e-12)
    assert result.trace.shifted.any() == non_concave
    assert np.all(np.diff(result.trace.log_density) >= -1e-12)
    assert result.trace.log_density[-1] == pytest.approx(0.0, abs=1e-20)


# --- failures -----------------------------------------------------------------------------


@pytest.mark.parametrize("max_iter", [20, 100])
@pytest.mark.parametrize("with_log_density", [False, True])
def test_separable_logistic_data_hit_the_iteration_limit(max_iter, with_log_density):
    # All y = 0: the likelihood rises forever as alpha -> -inf; there is no mode.
    data = BioassayData(x=[-0.86, -0.30, -0.05, 0.73], n=[5, 5, 5, 5], y=[0, 0, 0, 0])
    model = bioassay.model_functions(data)
    log_density = model.log_density if with_log_density else None
    with pytest.raises(
        ConvergenceError, match=rf"did not converge in max_iter={max_iter} iterations"
    ) as info:
        newton(model.gradient, model.hessian, [0.0, 0.0], log_density=log_density, max_iter=max_iter)
    assert "keep moving away suggest a log density with no finite maximum" in str(info.value)
    assert ("no log_density guards them" in str(info.value)) != with_log_density
    assert isinstance(info.value, RuntimeError)
    trace = info.value.trace
    assert trace.theta.shape == (max_iter + 1, 2)
    assert trace.grad_norm.shape == (max_iter + 1,)
    # The iterates run off along the ridge with steps that do not shrink.
    assert np.all(np.diff(trace.theta[:, 0]) < 0)
    assert np.all(trace.step_norm[-5:] > 0.5)
    if with_log_density:
        assert np.all(np.diff(trace.log_density) > 0)


@pytest.mark.parametrize("with_log_density", [False, True])
def test_separated_data_stop_where_the_hessian_underflows_and_say_so(with_log_density):
    # Deaths at the two higher doses only: the likelihood rises towards 1 as the curve steepens.
    # Newton follows it out to about (52, 298), where the gradient and the Hessian have both
    # underflowed to ~1e-16: a point that is neither a saddle nor a minimum.
    data = BioassayData(x=[-0.86, -0.30, -0.05, 0.73], n=[5, 5, 5, 5], y=[0, 0, 5, 5])
    model = bioassay.model_functions(data)
    log_density = model.log_density if with_log_density else None
    with pytest.raises(ConvergenceError, match="the Hessian there is numerically singular") as info:
        newton(model.gradient, model.hessian, [0.0, 0.0], log_density=log_density)
    message = str(info.value)
    assert "a log density that keeps rising towards infinity (e.g. separated data" in message
    assert "a maximum too flat to approximate by a Gaussian" in message
    assert "a saddle or a minimum, not a mode" not in message
    last = info.value.trace.theta[-1]
    assert last[1] > 100  # far out along the ridge
    assert np.abs(model.hessian(last)).max() < 1e-12


def test_a_zero_hessian_where_the_gradient_vanishes_is_named():
    # A constant log density: gradient and Hessian exactly zero everywhere.
    with pytest.raises(ConvergenceError, match=r"the Hessian there is zero, not negative definite"):
        newton(lambda t: np.zeros(2), lambda t: np.zeros((2, 2)), [1.0, 2.0])


def test_steps_that_shrink_are_not_taken_for_a_log_density_without_a_maximum():
    # f = -t^4: the Newton map is t -> 2 t / 3, so after 10 steps from 1 the iterate is (2/3)^10
    # and the steps have shrunk by (2/3)^9; more iterations would converge (linearly).
    with pytest.raises(ConvergenceError, match="did not converge in max_iter=10") as info:
        newton(lambda t: -4 * t**3, lambda t: np.atleast_2d(-12 * t[0] ** 2), [1.0], max_iter=10)
    message = str(info.value)
    assert info.value.trace.theta[-1, 0] == pytest.approx((2 / 3) ** 10, rel=1e-12)
    assert "shrank" in message and "a larger max_iter may reach a mode" in message
    assert "no finite maximum" not in message


def test_steps_that_swing_without_moving_away_are_not_taken_for_a_log_density_without_a_maximum():
    # Without the log density the full steps on the Armijo target below swing from side to side
    # at |t| ~ 1000 (its mode is at 0): the steps do not shrink, but the iterates do not recede.
    with pytest.raises(ConvergenceError, match="did not converge in max_iter=100") as info:
        newton(armijo_grad, armijo_hess, [1000.0])
    message = str(info.value)
    assert "do not keep moving away" in message and "pass log_density to guard the steps" in message
    assert "no finite maximum" not in message


def test_a_few_steps_towards_a_proper_mode_are_not_taken_for_a_log_density_without_a_maximum(ref):
    # From (0, 0) the bioassay iterates move steadily outwards for 4 steps before converging.
    with pytest.raises(ConvergenceError, match="did not converge in max_iter=3") as info:
        newton(ref.gradient, ref.hessian, [0.0, 0.0], max_iter=3)
    assert "too few steps (3)" in str(info.value) and "no finite maximum" not in str(info.value)


def test_non_finite_gradient_at_the_start():
    with pytest.raises(ConvergenceError, match="gradient is not finite at iteration 0") as info:
        newton(lambda t: np.array([np.nan, 0.0]), lambda t: -np.eye(2), [0.0, 0.0])
    trace = info.value.trace
    assert isinstance(trace, NewtonTrace)
    assert trace.theta.shape == (0, 2)  # nothing was evaluated successfully


def test_non_finite_gradient_after_a_step():
    # A concave quadratic with mode 5, whose gradient is NaN beyond t = 3.
    def grad(t):
        return np.where(t > 3, np.nan, -(t - 5.0))

    with pytest.raises(
        ConvergenceError, match=r"gradient is not finite at iteration 1, theta=\[5.0\]"
    ) as info:
        newton(grad, lambda t: np.array([[-1.0]]), [0.0])
    assert info.value.trace.theta.tolist() == [[0.0]]


def test_non_finite_hessian_raises_convergence_error():
    with pytest.raises(ConvergenceError, match="Hessian is not finite at iteration 0"):
        newton(lambda t: -t, lambda t: np.full((2, 2), np.inf), [1.0, 1.0])


# --- the sufficient-increase (Armijo) condition ---------------------------------------------
#
# f = -(1 + t^2)^(3/4) is concave with its mode at 0, f''(0) = -3/2. Far out it grows like
# -|t|^(3/2), whose Newton map is t -> -t: the Newton map of f is t -> -t^3 / (2 + t^2), so
# from t = 1000 a full step lands at -999.998, on the other side of the mode and only a hair
# higher. The rise is about 1e-6 of the rise g * d the gradient predicts for the step: a guard
# that asks only for *some* rise accepts it, and the iterates swing from side to side for
# hundreds of thousands of steps. Armijo's condition (a rise of at least 1e-4 of the
# prediction) refuses it; the halved step lands at t / (2 + t^2) ~ 1e-3, next to the mode.


def armijo_logf(t):
    return float(-((1 + t[0] ** 2) ** 0.75))


def armijo_grad(t):
    return -1.5 * t * (1 + t**2) ** -0.25


def armijo_hess(t):
    return np.atleast_2d(-1.5 * (1 + t[0] ** 2) ** -1.25 * (1 + 0.5 * t[0] ** 2))


def test_full_newton_steps_on_the_armijo_target_climb_but_barely():
    # The premise of the next test, checked with the Newton map written out in closed form.
    t, rises, ratios = 1000.0, [], []
    for _ in range(100):
        landed = -(t**3) / (2 + t**2)
        rise = armijo_logf([landed]) - armijo_logf([t])
        predicted = armijo_grad(np.array([t]))[0] * (landed - t)
        rises.append(rise)
        ratios.append(rise / predicted)
        t = landed
    assert min(rises) > 0  # a guard asking only for a rise accepts every one of these steps
    assert max(ratios) < 1.1e-6  # ... each achieving about 1e-6 of its predicted rise
    assert abs(t) > 999.0  # after 100 steps the iterate is still about 1000 from the mode


def test_sufficient_increase_turns_steps_that_barely_climb_into_convergence():
    result = newton(armijo_grad, armijo_hess, [1000.0], log_density=armijo_logf)
    assert result.trace.step_scale[1] == 0.5  # the full step was refused, the halved one taken
    assert abs(result.trace.theta[1, 0]) < 1.1e-3  # t / (2 + t^2) = 1e-3
    assert result.n_iter <= 5
    assert abs(result.mode[0]) < 1e-10
    assert result.hessian[0, 0] == pytest.approx(-1.5, rel=1e-12)
    # With no log density there is no backtracking at all, and the full steps swing on.
    with pytest.raises(ConvergenceError, match="did not converge in max_iter=100"):
        newton(armijo_grad, armijo_hess, [1000.0])


def test_sufficient_increase_accepts_a_full_step_that_gains_little():
    # From t = 50 the full Newton step lands at -50^3 / (2 + 50^2) = -49.96, on the far side of the
    # mode and gaining only 4.0e-4 of the rise it predicts (written out here): above 1e-4, so it
    # is taken whole. Armijo's condition asks for no more than that fraction, so the iterates
    # swing from side to side and 3 iterations end as far from the mode as they began.
    t, landed = 50.0, -(50.0**3) / (2 + 50.0**2)
    ratio = (armijo_logf([landed]) - armijo_logf([t])) / (armijo_grad(np.array([t]))[0] * (landed - t))
    assert 3e-4 < ratio < 5e-4
    with pytest.raises(ConvergenceError, match="did not converge in max_iter=3") as info:
        newton(armijo_grad, armijo_hess, [t], log_density=armijo_logf, max_iter=3)
    trace = info.value.trace
    assert trace.step_scale[1] == 1.0 and trace.theta[1, 0] == pytest.approx(landed, rel=1e-12)
    assert np.all(np.abs(trace.theta[:, 0]) > 49.0)


def test_an_accepted_step_may_lower_the_log_density_by_the_rounding_allowance():
    # A quadratic with mode 1, started 1e-7 away, whose log density (like a rounded one) is 5e-13
    # lower at the mode than at the start: within the allowance 1e-12 * max(1, |f|), so the full
    # step is taken and the mode returned.
    def log_density(t):
        return 0.0 if t[0] > 1.0 + 5e-8 else -5e-13

    result = newton(lambda t: -(t - 1.0), lambda t: np.array([[-1.0]]), [1.0 + 1e-7], log_density=log_density)
    assert result.trace.step_scale[1] == 1.0
    assert result.trace.log_density[1] < result.trace.log_density[0]
    assert result.mode[0] == pytest.approx(1.0, abs=1e-15)


# --- the log density may return a 0-d array ------------------------------------------------------


def test_log_density_returning_a_0d_array_gives_the_same_run_as_a_float():
    as_float = newton(bimodal_grad, bimodal_hess, [0.1], log_density=bimodal_logf)
    as_array = newton(bimodal_grad, bimodal_hess, [0.1], log_density=lambda t: np.asarray(bimodal_logf(t)))
    assert np.array_equal(as_float.trace.theta, as_array.trace.theta)
    assert np.array_equal(as_float.trace.log_density, as_array.trace.log_density)
    assert as_array.trace.log_density.dtype == float


def test_log_density_returning_an_array_of_values_is_refused():
    with pytest.raises(
        ValueError, match=r"log_density returned shape \(1,\) at theta=\[0\.1\], expected one"
    ):
        newton(bimodal_grad, bimodal_hess, [0.1], log_density=lambda t: -(t**4) + 2 * t**2)


# --- the Hessian must be symmetric -------------------------------------------------------------------


def test_non_symmetric_hessian_is_refused_naming_the_iteration_and_the_entries():
    with pytest.raises(
        ValueError, match=r"hessian is not symmetric at iteration 0, theta=\[1\.0, 2\.0\]"
    ) as info:
        newton(lambda t: -t, lambda t: np.array([[-1.0, 5.0], [0.0, -1.0]]), [1.0, 2.0])
    assert "H[0, 1]=5.0 but H[1, 0]=0.0" in str(info.value)


def test_hessian_that_turns_non_symmetric_after_a_step_is_refused_at_that_iteration():
    # The concave quadratic with mode (1, 1): one Newton step from the origin reaches it, where
    # this Hessian has a stray entry in its lower triangle.
    def hess(t):
        return -np.eye(3) + (np.array([[0, 0, 0], [0, 0, 0], [0.5, 0, 0]]) if t[0] > 0.5 else 0.0)

    with pytest.raises(ValueError, match=r"not symmetric at iteration 1, theta=\[1\.0, 1\.0, 1\.0\]") as info:
        newton(lambda t: -(t - 1.0), hess, [0.0, 0.0, 0.0])
    assert "H[0, 2]=0.0 but H[2, 0]=0.5" in str(info.value)


@pytest.mark.parametrize(("relative", "refused"), [(1e-12, False), (5e-7, False), (2e-6, True)])
def test_round_off_asymmetry_passes_and_more_is_refused(relative, refused):
    # Asymmetry relative to the pair's scale max(sqrt(|H00 H11|), |H01|, |H10|) = sqrt(8) here:
    # up to 1e-6 is rounding, beyond it a mistake.
    precision = np.array([[4.0, 1.0], [1.0, 2.0]])
    scale = np.sqrt(4.0 * 2.0)
    skew = scale * relative * np.array([[0.0, 0.5], [-0.5, 0.0]])  # H[0, 1] - H[1, 0] = scale * relative
    mu = np.array([0.5, -1.5])

    def run():
        return newton(lambda t: -precision @ (t - mu), lambda t: -precision + skew, [3.0, 3.0])

    if refused:
        with pytest.raises(ValueError, match="not symmetric"):
            run()
    else:
        assert np.allclose(run().mode, mu, rtol=0, atol=1e-10)


def test_a_sign_error_beside_a_large_entry_is_refused():
    # H[1, 0] has the wrong sign. Against the largest entry the asymmetry is 2 / 1e9 = 2e-9, which
    # a tolerance of 1e-8 of the largest entry let pass; against its own pair's scale
    # max(sqrt(1e9 * 1), 1, 1) = 3.2e4 it is 6e-5.
    hess = np.array([[-1e9, 1.0], [-1.0, -1.0]])
    assert abs(hess[0, 1] - hess[1, 0]) <= 1e-8 * np.abs(hess).max()
    with pytest.raises(ValueError, match=r"not symmetric at iteration 0") as info:
        newton(lambda t: hess @ t, lambda t: hess, [1.0, 1.0])
    assert "H[0, 1]=1.0 but H[1, 0]=-1.0" in str(info.value)
    assert "= 3.16e+04 pass as rounding" in str(info.value)


def pair_asymmetry(hess):
    """|H01 - H10| / max(sqrt(|H00 H11|), |H01|, |H10|), written out for a 2 x 2 matrix."""
    scale = max(np.sqrt(abs(hess[0, 0] * hess[1, 1])), abs(hess[0, 1]), abs(hess[1, 0]))
    return abs(hess[0, 1] - hess[1, 0]) / scale


def test_a_raw_finite_difference_hessian_of_the_bioassay_passes_from_far_out(ref):
    # At (-5, 40) the curvature is small (entries ~1e-5 to 5e-3, nearly singular), and the raw
    # fd_jacobian is asymmetric by 2.2e-9 of its largest entry, 4.4e-8 of the pair's scale.
    def raw_hessian(t):
        return fd_jacobian(ref.gradient, t)

    def log_density(t):
        return float(ref.log_likelihood(t[0], t[1]))

    assert 1e-9 < pair_asymmetry(raw_hessian(np.array([-5.0, 40.0]))) < 1e-7
    assert pair_asymmetry(raw_hessian(ref.mode())) < 1e-9
    result = newton(ref.gradient, raw_hessian, [-5.0, 40.0], log_density=log_density)
    assert np.allclose(result.mode, ref.mode(), rtol=0, atol=1e-9)


def test_an_unsymmetrised_finite_difference_hessian_is_accepted(ref):
    # fd_jacobian of the gradient is not symmetric, but on this path only by finite-difference
    # error, about 1e-11 of the largest entry (fd_hessian would symmetrise it).
    def raw_hessian(t):
        return fd_jacobian(ref.gradient, t)

    start = np.array([0.0, 0.0])
    assert raw_hessian(start)[0, 1] != raw_hessian(start)[1, 0]
    result = newton(ref.gradient, raw_hessian, start)
    assert np.allclose(result.mode, ref.mode(), rtol=0, atol=1e-9)
