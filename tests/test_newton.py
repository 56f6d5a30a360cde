"""Newton's method with a guarded step, on targets whose answers are known analytically."""

from __future__ import annotations

import numpy as np
import pytest

from bda_helpers import BioassayData, ConvergenceError, NewtonTrace, bioassay, newton

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
    log_density = (lambda t: float(bioassay.log_posterior(t[0], t[1], data))) if with_log_density else None
    with pytest.raises(
        ConvergenceError, match=rf"did not converge in max_iter={max_iter} iterations"
    ) as info:
        newton(
            lambda t: bioassay.gradient(t, data),
            lambda t: bioassay.hessian(t, data),
            [0.0, 0.0],
            log_density=log_density,
            max_iter=max_iter,
        )
    assert "no finite maximum" in str(info.value)
    assert isinstance(info.value, RuntimeError)
    trace = info.value.trace
    assert trace.theta.shape == (max_iter + 1, 2)
    assert trace.grad_norm.shape == (max_iter + 1,)
    # The iterates run off along the ridge with steps that do not shrink.
    assert np.all(np.diff(trace.theta[:, 0]) < 0)
    assert np.all(trace.step_norm[-5:] > 0.5)
    if with_log_density:
        assert np.all(np.diff(trace.log_density) > 0)


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
