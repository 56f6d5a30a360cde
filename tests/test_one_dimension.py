"""The numbers notebook 01 prints and asserts, from analytic formulas, closed-form integrals
(modified Bessel functions) and scipy — never from the helpers' own results alone."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import integrate, optimize, special, stats

from bda_helpers import ConvergenceError, fd_hessian_from_log_density, laplace, laplace_mixture, newton


def log_f(theta):
    return -(theta**4) + 2 * theta**2


def dlog_f(theta):
    return -4 * theta**3 + 4 * theta


def d2log_f(theta):
    return -12 * theta**2 + 4


def log_g(theta):
    u = theta - 0.8
    return -0.5 * u**2 - 0.05 * u**4


def dlog_g(theta):
    u = theta - 0.8
    return -u - 0.2 * u**3


BIMODAL = {
    "gradient": dlog_f,
    "hessian": lambda theta: d2log_f(theta).reshape(1, 1),
    "log_density": lambda theta: log_f(theta[0]),
}

#: ∫ exp(-θ⁴ + 2θ²) dθ = (π/2) e^{1/2} (I_{-1/4}(1/2) + I_{1/4}(1/2)).
Z_BIMODAL = np.pi / 2 * np.exp(0.5) * (special.iv(-0.25, 0.5) + special.iv(0.25, 0.5))
#: ∫ exp(-c u² - a u⁴) du = ½ sqrt(c/a) e^{c²/(8a)} K_{1/4}(c²/(8a)), here c = 1/2, a = 1/20.
Z_UNIMODAL = 0.5 * np.sqrt(10.0) * np.exp(0.625) * special.kv(0.25, 0.625)


def test_the_closed_forms_agree_with_scipy_quad():
    assert (
        pytest.approx(integrate.quad(lambda t: np.exp(log_f(t)), -np.inf, np.inf)[0], rel=1e-10) == Z_BIMODAL
    )
    assert (
        pytest.approx(integrate.quad(lambda t: np.exp(log_g(t)), -np.inf, np.inf)[0], rel=1e-10) == Z_UNIMODAL
    )


@pytest.mark.parametrize(("start", "mode"), [(1.0, 1.0), (2.0, 1.0), (0.5, 1.0), (-0.5, -1.0)])
def test_each_start_climbs_to_the_peak_on_its_side(start, mode):
    root = optimize.brentq(dlog_f, *sorted([0.5 * mode, 2.0 * mode]), xtol=1e-14)
    result = newton(BIMODAL["gradient"], BIMODAL["hessian"], [start], log_density=BIMODAL["log_density"])
    assert root == pytest.approx(mode, abs=1e-12)
    assert result.mode[0] == pytest.approx(root, abs=1e-9)  # Newton stops at |gradient| <= 1e-10
    assert result.hessian[0, 0] == pytest.approx(-8.0, abs=1e-7)
    assert (result.n_iter == 0) == (start == 1.0)


def test_the_minimum_at_zero_is_refused():
    assert d2log_f(0.0) == 4.0 and dlog_f(0.0) == 0.0
    with pytest.raises(ConvergenceError, match=r"not negative definite \(eigenvalues \[4\.0\]\)"):
        newton(BIMODAL["gradient"], BIMODAL["hessian"], [0.0], log_density=BIMODAL["log_density"])


def test_bfgs_accepts_the_minimum_and_keeps_its_initial_hess_inv():
    neg = lambda t: -log_f(t[0])  # noqa: E731
    jac = lambda t: -dlog_f(t)  # noqa: E731
    from_zero = optimize.minimize(neg, x0=[0.0], jac=jac, method="BFGS")
    from_one = optimize.minimize(neg, x0=[1.0], jac=jac, method="BFGS")
    assert from_zero.success and from_zero.x[0] == 0.0
    assert from_one.hess_inv[0, 0] == 1.0


def test_laplace_at_one_is_n_1_one_eighth():
    approx = laplace(theta0=[1.0], **BIMODAL)
    assert approx.mode[0] == pytest.approx(1.0, abs=1e-12)
    assert approx.cov[0, 0] == pytest.approx(-1.0 / d2log_f(1.0), rel=1e-12) == 0.125
    # The notebook's P(θ < 0): exactly 1/2 for the symmetric target, Φ(-1/sd) for the Gaussian.
    assert stats.norm.cdf(0.0, 1.0, np.sqrt(0.125)) == pytest.approx(0.0023, abs=5e-5)


def test_unimodal_central_difference_second_derivative():
    def fd(theta):
        return fd_hessian_from_log_density(lambda t: log_g(t[0]), theta)

    approx = laplace(dlog_g, [0.0], hessian=fd, log_density=lambda t: log_g(t[0]))
    assert approx.mode[0] == pytest.approx(0.8, abs=1e-10)  # where -u - 0.2u³ = 0, i.e. u = 0
    # analytic: d²/dθ² log g = -1 - 0.6 u², so -1 at the mode; variance 1
    assert fd(approx.mode)[0, 0] == pytest.approx(-1.0, abs=1e-7)
    assert approx.cov[0, 0] == pytest.approx(1.0, abs=1e-7)
    assert np.finfo(float).eps ** 0.25 == pytest.approx(1.22e-4, rel=1e-3)  # the step the notebook prints


def test_laplace_normalising_constants_against_closed_forms():
    # Laplace Z = f(θ̂) sqrt(2π/A): for g, f(0.8) = 1 and A = 1; for each peak of f, f(±1) = e and A = 8.
    z_g = np.sqrt(2 * np.pi)
    z_peak = np.e * np.sqrt(2 * np.pi / 8)
    assert pytest.approx(2.2760, abs=5e-5) == Z_UNIMODAL and pytest.approx(5.3652, abs=5e-5) == Z_BIMODAL
    assert z_g / Z_UNIMODAL - 1 == pytest.approx(0.1013, abs=5e-5)
    assert z_peak / Z_BIMODAL - 1 == pytest.approx(-0.5510, abs=5e-5)
    assert 2 * z_peak / Z_BIMODAL - 1 == pytest.approx(-0.1020, abs=5e-5)
    # and the helpers give the same
    assert np.exp(laplace(theta0=[1.0], **BIMODAL).log_evidence) == pytest.approx(z_peak, rel=1e-12)
    approx_g = laplace(dlog_g, [0.0], log_density=lambda t: log_g(t[0]))
    assert np.exp(approx_g.log_evidence) == pytest.approx(z_g, rel=1e-8)


def test_valley_numbers_of_the_mixture():
    # True mass in |θ| < 0.5 and density at 0, against the two-peak Gaussian mixture.
    valley_true = integrate.quad(lambda t: np.exp(log_f(t)), -0.5, 0.5)[0] / Z_BIMODAL
    sd = np.sqrt(0.125)
    valley_mixture = stats.norm.cdf(0.5, 1.0, sd) - stats.norm.cdf(-0.5, 1.0, sd)  # same for both peaks
    assert valley_true == pytest.approx(0.219, abs=5e-4)
    assert pytest.approx(0.186, abs=5e-4) == 1.0 / Z_BIMODAL
    assert stats.norm.pdf(0.0, 1.0, sd) == pytest.approx(0.021, abs=5e-4)
    assert valley_mixture == pytest.approx(0.0786, abs=5e-4)
    mixture = laplace_mixture([laplace(theta0=[s], **BIMODAL) for s in (-0.5, 1.0)])
    draws = mixture.sample(4000, np.random.default_rng(20260401))[:, 0]
    share = np.mean(np.abs(draws) < 0.5)
    assert abs(share - valley_mixture) < 4 * np.sqrt(valley_mixture * (1 - valley_mixture) / 4000)


def test_plain_newton_by_hand_from_two():
    # The iterates the notebook prints: θ ← θ - f'/f'' = θ - (θ³ - θ)/(3θ² - 1), exact fractions first.
    theta, path = 2.0, [2.0]
    for _ in range(50):
        step = -dlog_f(theta) / d2log_f(theta)
        theta += step
        path.append(theta)
        if abs(step) < 1e-12:
            break
    assert path[1] == pytest.approx(16 / 11, rel=1e-15)  # 2 - 6/11
    assert [round(t, 4) for t in path[:6]] == [2.0, 1.4545, 1.151, 1.0253, 1.0009, 1.0]
    # From above the mode the slope -4θ³ + 4θ is concave, so no tangent step passes the mode, and ln f rises.
    assert min(path) >= 1.0 and all(b <= a for a, b in itertools.pairwise(path))
    assert all(log_f(b) >= log_f(a) for a, b in itertools.pairwise(path))
    assert theta == pytest.approx(1.0, abs=1e-15)
    helper = laplace(theta0=[2.0], **BIMODAL)
    assert abs(helper.mode[0] - theta) < 1e-10 and helper.cov[0, 0] == pytest.approx(0.125, rel=1e-10)


def test_heights_at_the_mode():
    # The notebook's "more than twice as tall": N(1, 1/8) at its mean against f(1)/Z = e/Z.
    height_laplace = 1 / np.sqrt(2 * np.pi * 0.125)
    height_true = np.e / Z_BIMODAL
    assert round(height_laplace, 3) == 1.128 and round(height_true, 3) == 0.507
    assert height_laplace > 2 * height_true


def test_a_strict_maximum_need_not_have_positive_curvature():
    # The notebook's example: -θ⁴ has a strict maximum at 0 where A = -f''(0) = 0, and the helpers refuse it.
    theta = np.linspace(-1, 1, 2001)
    assert np.all(-(theta[theta != 0] ** 4) < 0)
    with pytest.raises(ConvergenceError, match="not negative definite"):
        newton(
            lambda t: -4 * t**3,
            lambda t: (-12 * t**2).reshape(1, 1),
            [0.0],
            log_density=lambda t: -(t[0] ** 4),
        )


def test_height_ratio_at_the_mode_is_one_plus_the_error_of_laplace_z():
    # Both normalised curves start from g(0.8) = 1: the true one divided by Z, Laplace's by sqrt(2π).
    height_true, height_laplace = 1.0 / Z_UNIMODAL, 1.0 / np.sqrt(2 * np.pi)
    assert round(height_true, 3) == 0.439 and round(height_laplace, 3) == 0.399
    assert round(height_true / height_laplace, 3) == 1.101
    assert height_true / height_laplace == pytest.approx(np.sqrt(2 * np.pi) / Z_UNIMODAL, rel=1e-15)


def test_newton_from_a_bad_side_can_overshoot_despite_negative_curvature():
    # Negative curvature alone does not prevent overshoot: on ln f = -θ⁴ + 2θ², from 0.6 (where
    # (ln f)'' = -0.32 < 0) a plain Newton step jumps far past the mode at 1.
    start = 0.6
    assert d2log_f(start) < 0
    assert start - dlog_f(start) / d2log_f(start) > 2.0
