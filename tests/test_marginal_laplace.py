"""Tierney–Kadane marginals against exact answers: normal targets, a conditionally normal
target with a known marginal, and the bioassay posterior on a much finer grid."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from bda_helpers import BioassayData, LaplaceApproximation, bioassay
from bda_helpers.beyond.marginal_laplace import LaplaceMarginal, bioassay_laplace_marginal, laplace_marginal
from bda_helpers.newton import ConvergenceError

# --- a normal target in three dimensions: the approximation is exact ---------------------------

MU = np.array([0.5, -1.0, 2.0])
COV = np.array([[2.0, 0.6, -0.3], [0.6, 1.0, 0.2], [-0.3, 0.2, 0.5]])
PRECISION = np.linalg.inv(COV)
OFFSET = 1.3  # an arbitrary constant: the log density is unnormalised


def normal_log_density(t):
    r = np.asarray(t) - MU
    return float(OFFSET - 0.5 * r @ PRECISION @ r)


def normal_gradient(t):
    return -PRECISION @ (np.asarray(t) - MU)


def normal_hessian(t):
    return -PRECISION


def normal_marginal(index, values, start):
    return laplace_marginal(normal_log_density, normal_gradient, normal_hessian, values, index, start=start)


@pytest.mark.parametrize("index", [0, 1, 2])
def test_normal_target_gives_the_exact_marginal(index):
    sd = np.sqrt(COV[index, index])
    values = MU[index] + sd * np.linspace(-9, 9, 721)
    marginal = normal_marginal(index, values, start=MU)
    assert np.allclose(marginal.density, stats.norm.pdf(values, MU[index], sd), rtol=1e-9, atol=1e-15)
    probs = np.array([0.025, 0.5, 0.975])
    # Values h = 0.025 sd apart: the cumulative trapezoid is off by h²/12 |φ'| and the linear
    # interpolation between values by at most h²/8 |φ'|; with |φ'(1.96)| = 0.115 that is 1.5e-5 in
    # probability, or 2.6e-4 sd in the 2.5 % and 97.5 % quantiles (φ(1.96) = 0.058).
    assert np.allclose(marginal.quantile(probs), stats.norm.ppf(probs, MU[index], sd), rtol=0, atol=4e-4 * sd)


@pytest.mark.parametrize("index", [0, 1, 2])
def test_normal_target_log_density_and_conditional_modes_are_exact(index):
    values = np.linspace(-3.0, 4.0, 29)
    marginal = normal_marginal(index, values, start=MU)
    others = [k for k in range(3) if k != index]
    # ∫ exp(offset - ½ r'Pr) d theta_others = exp(offset - ½ (v - mu_j)² / S_jj) (2π)^(2/2) det(S_cond)^(1/2),
    # with S_cond = S_oo - S_oj S_jo / S_jj the conditional covariance (written out here, not solved for).
    s_oo = COV[np.ix_(others, others)]
    s_oj = COV[others, index]
    conditional_cov = s_oo - np.outer(s_oj, s_oj) / COV[index, index]
    exact = (
        OFFSET
        - 0.5 * (values - MU[index]) ** 2 / COV[index, index]
        + np.log(2 * np.pi)
        + 0.5 * np.log(np.linalg.det(conditional_cov))
    )
    assert np.allclose(marginal.log_density_unnormalised, exact, rtol=0, atol=1e-9)
    expected_modes = MU[others] + np.outer(values - MU[index], s_oj / COV[index, index])
    assert np.allclose(marginal.conditional_modes[:, others], expected_modes, rtol=0, atol=1e-8)
    assert np.array_equal(marginal.conditional_modes[:, index], values)
    assert marginal.index == index


def test_a_laplace_approximation_as_start_gives_the_same_marginal():
    values = np.linspace(-4.0, 3.0, 15)
    approx = LaplaceApproximation.from_mode(MU, -PRECISION)
    from_approx = normal_marginal(1, values, start=approx)
    from_point = normal_marginal(1, values, start=MU + 0.5)  # not even the mode
    assert np.allclose(
        from_approx.log_density_unnormalised, from_point.log_density_unnormalised, rtol=0, atol=1e-9
    )
    assert np.allclose(from_approx.conditional_modes, from_point.conditional_modes, rtol=0, atol=1e-8)


# --- conditionally normal with a varying variance: the exact marginal is g(b) -------------------
#
# p(a, b) = Gamma(b | shape 3, rate 1) · N(a | sin b, s(b)²) with s(b) = exp(0.3 b). Integrating a
# out leaves the gamma density exactly. Laplace in a is exact too, but only if the volume term
# is -½ log det(-H_aa) = -½ log(1 / s²) = log s: a wrong sign or factor leaves a trend of 0.3 b.


def gamma_normal_log_density(t):
    a, b = t
    if b <= 0:
        return -np.inf
    return float(stats.gamma.logpdf(b, 3.0) + stats.norm.logpdf(a, np.sin(b), np.exp(0.3 * b)))


def gamma_normal_gradient(t):
    a, b = t
    z = (a - np.sin(b)) * np.exp(-0.3 * b)
    return np.array([-z * np.exp(-0.3 * b), 2.0 / b - 1.3 + z * (np.cos(b) * np.exp(-0.3 * b) + 0.3 * z)])


def gamma_normal_hessian(t):
    a, b = t
    e = np.exp(-0.3 * b)
    z = (a - np.sin(b)) * e
    dz = -np.cos(b) * e - 0.3 * z  # dz/db
    h_ab = np.cos(b) * e**2 + 0.6 * (a - np.sin(b)) * e**2
    h_bb = -2.0 / b**2 + dz * (np.cos(b) * e + 0.6 * z) + z * (-np.sin(b) * e - 0.3 * np.cos(b) * e)
    return np.array([[-(e**2), h_ab], [h_ab, h_bb]])


def test_the_gamma_normal_target_has_consistent_derivatives():
    # The test target's own derivatives, checked against scipy's finite differences.
    for point in ([0.3, 1.2], [-2.0, 4.5], [1.0, 0.4]):
        point = np.array(point)
        fd_gradient = optimize.approx_fprime(point, gamma_normal_log_density, 1e-7)
        fd_hessian = optimize.approx_fprime(point, gamma_normal_gradient, 1e-7)
        assert np.allclose(gamma_normal_gradient(point), fd_gradient, rtol=1e-5, atol=1e-5)
        assert np.allclose(gamma_normal_hessian(point), fd_hessian, rtol=1e-5, atol=1e-5)


@pytest.fixture(scope="module")
def gamma_normal():
    values = np.linspace(0.01, 30.0, 1500)
    marginal = laplace_marginal(
        gamma_normal_log_density, gamma_normal_gradient, gamma_normal_hessian, values, 1, start=[0.8, 2.0]
    )
    return SimpleNamespace(values=values, marginal=marginal)


def test_conditionally_normal_target_recovers_the_exact_marginal(gamma_normal):
    values, marginal = gamma_normal.values, gamma_normal.marginal
    assert np.allclose(marginal.log_density_unnormalised, stats.gamma.logpdf(values, 3.0), rtol=0, atol=1e-9)
    assert np.allclose(marginal.conditional_modes[:, 0], np.sin(values), rtol=0, atol=1e-8)
    # Normalised on [0.01, 30]: the gamma's mass there, 1 - 1.5e-10, over the trapezoid's
    # (relative error about h² / 12 · max|g''| / 1 ≈ 1e-5).
    assert np.allclose(marginal.density, stats.gamma.pdf(values, 3.0), rtol=1e-4, atol=0)
    probs = np.array([0.025, 0.5, 0.975])
    assert np.allclose(marginal.quantile(probs), stats.gamma.ppf(probs, 3.0), rtol=0, atol=1e-3)


def test_cdf_is_the_cumulative_trapezoid_and_quantile_inverts_it(gamma_normal):
    values, marginal = gamma_normal.values, gamma_normal.marginal
    cumulative = integrate.cumulative_trapezoid(marginal.density, values, initial=0.0)
    assert np.allclose(marginal.cdf(values), cumulative, rtol=0, atol=1e-12)
    assert marginal.cdf(values[0] - 1.0) == 0.0 and marginal.cdf(values[-1] + 1.0) == 1.0
    t = np.array([0.5, 1.234, 2.0, 7.77])
    assert np.allclose(marginal.quantile(marginal.cdf(t)), t, rtol=0, atol=1e-9)
    assert marginal.quantile([0.0, 1.0]).tolist() == [values[0], values[-1]]


def test_unevenly_spaced_values_are_normalised_by_the_trapezoid_rule():
    values = np.concatenate(
        [np.linspace(-10.0, -1.0, 10), np.linspace(-0.9, 0.9, 37), np.linspace(1.0, 10.0, 19)]
    )
    marginal = normal_marginal(1, values, start=MU)
    assert np.isclose(integrate.trapezoid(marginal.density, values), 1.0, rtol=0, atol=1e-12)
    ratio = marginal.density / stats.norm.pdf(values, MU[1], 1.0)
    assert np.allclose(ratio, ratio[0], rtol=1e-9)  # exact shape, normalised by the coarse trapezoid


def test_results_are_read_only():
    marginal = normal_marginal(0, np.linspace(-3.0, 3.0, 7), start=MU)
    for array in (
        marginal.values,
        marginal.density,
        marginal.log_density_unnormalised,
        marginal.conditional_modes,
    ):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0.0


# --- bioassay: against a 5x finer grid (conftest, plain numpy) and the normal marginal ----------

PROBS = np.array([0.025, 0.5, 0.975])


def cell_quantiles(centres, cell_mass, q):
    """Quantiles of the cell-uniform histogram: invert its CDF through the cell edges."""
    step = centres[1] - centres[0]
    edges = np.concatenate([[centres[0] - step / 2], centres + step / 2])
    cdf = np.concatenate([[0.0], np.cumsum(cell_mass)])
    return np.interp(q, cdf / cdf[-1], edges)


@pytest.fixture(scope="module")
def bioassay_marginals(data):
    return {name: bioassay_laplace_marginal(data, name) for name in ("alpha", "beta")}


@pytest.mark.parametrize("index, name", [(0, "alpha"), (1, "beta")])
def test_bioassay_quantiles_are_far_closer_to_the_grid_than_the_normal_ones(
    index, name, bioassay_marginals, fine_grid, posterior_mode
):
    axis = (fine_grid.alpha, fine_grid.beta)[index]
    cell_mass = fine_grid.mass.sum(axis=1 - index)
    exact = cell_quantiles(axis, cell_mass, PROBS)
    sd = np.sqrt(cell_mass @ axis**2 - (cell_mass @ axis) ** 2)  # about 1.0 (alpha) and 6.0 (beta)
    normal = stats.norm.ppf(PROBS, posterior_mode.mode[index], np.sqrt(posterior_mode.cov[index, index]))
    tk_error = np.abs(bioassay_marginals[name].quantile(PROBS) - exact)
    normal_error = np.abs(normal - exact)
    # The normal marginal misses the skew: its quantiles are off by 0.3 to 1.3 sd. Tierney–Kadane
    # is itself an approximation (measured: within 0.03 sd); 0.05 sd is well above the fine
    # grid's own error (half a cell: 0.005 sd) and far below the normal's.
    assert np.all(normal_error > 0.3 * sd)
    assert np.all(tk_error < 0.05 * sd)
    assert np.all(tk_error < normal_error / 10)


@pytest.mark.parametrize("index, name", [(0, "alpha"), (1, "beta")])
def test_bioassay_cdf_is_within_a_percent_of_the_grid(
    index, name, bioassay_marginals, fine_grid, posterior_mode
):
    axis = (fine_grid.alpha, fine_grid.beta)[index]
    step = axis[1] - axis[0]
    edges = np.concatenate([[axis[0] - step / 2], axis + step / 2])
    exact = np.concatenate([[0.0], np.cumsum(fine_grid.mass.sum(axis=1 - index))])
    normal = stats.norm.cdf(edges, posterior_mode.mode[index], np.sqrt(posterior_mode.cov[index, index]))
    tk_distance = np.max(np.abs(bioassay_marginals[name].cdf(edges) - exact))
    normal_distance = np.max(np.abs(normal - exact))
    assert tk_distance < 0.01  # measured 0.005 (alpha), 0.0015 (beta)
    assert normal_distance > 0.1  # measured 0.14 (alpha), 0.23 (beta)


def test_bioassay_conditional_modes_and_log_density_against_the_reference_model(bioassay_marginals, ref):
    marginal = bioassay_marginals["beta"]
    for k in (0, 40, 123, 300, 359):
        beta = marginal.values[k]
        # alpha-hat(beta) solves the alpha score equation; MINPACK from 0, independently.
        solution = optimize.root(lambda a, beta=beta: ref.gradient([a[0], beta])[:1], x0=[0.0], tol=1e-13)
        alpha_hat = solution.x[0]
        assert np.isclose(marginal.conditional_modes[k, 0], alpha_hat, rtol=0, atol=1e-7)
        information = ref.information([alpha_hat, beta])[0, 0]
        expected = ref.log_likelihood(alpha_hat, beta) + 0.5 * np.log(2 * np.pi) - 0.5 * np.log(information)
        assert np.isclose(marginal.log_density_unnormalised[k], expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("index, name", [(0, "alpha"), (1, "beta")])
def test_bioassay_marginal_with_a_prior_against_a_grid(index, name, data, ref):
    mean, cov = [0.0, 10.0], [[4.0, 0.0], [0.0, 100.0]]
    values = np.linspace(-10.0, 40.0, 201) if name == "beta" else np.linspace(-4.0, 8.0, 121)
    marginal = bioassay_laplace_marginal(data, name, values, prior=bioassay.NormalPrior(mean=mean, cov=cov))
    assert np.array_equal(marginal.values, values)
    # An independent 600 x 900 grid of likelihood x prior (half a cell: 0.01 alpha, 0.03 beta).
    alpha, beta = np.linspace(-4, 8, 600), np.linspace(-10, 40, 900)
    log_density = ref.log_likelihood(alpha[:, None], beta) + ref.log_prior(alpha[:, None], beta, mean, cov)
    cell_mass = np.exp(log_density - log_density.max()).sum(axis=1 - index)
    axis = (alpha, beta)[index]
    cell_mass /= cell_mass.sum()
    sd = np.sqrt(cell_mass @ axis**2 - (cell_mass @ axis) ** 2)
    # Measured: within 0.025 sd (alpha) and 0.008 sd (beta); the normal marginal is off by 0.2 to 0.9 sd.
    assert np.all(np.abs(marginal.quantile(PROBS) - cell_quantiles(axis, cell_mass, PROBS)) < 0.05 * sd)


# --- bad input --------------------------------------------------------------------------------


def collapse_target():
    """log p(a, b) = -b²/2 - a² b / 2: the conditional in a has a maximum only where b > 0."""
    return SimpleNamespace(
        log_density=lambda t: float(-0.5 * t[1] ** 2 - 0.5 * t[0] ** 2 * t[1]),
        gradient=lambda t: np.array([-t[0] * t[1], -t[1] - 0.5 * t[0] ** 2]),
        hessian=lambda t: np.array([[-t[1], -t[0]], [-t[0], -1.0]]),
    )


def test_a_conditional_with_no_maximum_names_the_value():
    target = collapse_target()
    with pytest.raises(
        ConvergenceError, match=r"at theta\[1\] = 0 failed: .*not negative definite"
    ) as caught:
        laplace_marginal(
            target.log_density, target.gradient, target.hessian, np.linspace(-1, 2, 7), 1, start=[0.0, 1.0]
        )
    assert caught.value.trace.theta.shape[1] == 1  # the trace of the failed one-dimensional maximisation


def test_a_log_density_not_finite_where_a_maximisation_starts_names_the_value():
    def log_density(t):
        return normal_log_density(t) if t[1] <= 1.0 else -np.inf

    with pytest.raises(ValueError, match=r"at theta\[1\] = 1.5 failed: log_density is not finite"):
        laplace_marginal(log_density, normal_gradient, normal_hessian, np.linspace(-2.0, 2.0, 9), 1, start=MU)


def test_a_gradient_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match=r"gradient returned shape \(2,\) at start, expected \(3,\)"):
        laplace_marginal(
            normal_log_density, lambda t: normal_gradient(t)[:2], normal_hessian, [0.0, 1.0], 0, start=MU
        )
    with pytest.raises(ValueError, match=r"hessian returned shape \(3,\) at start, expected \(3, 3\)"):
        laplace_marginal(normal_log_density, normal_gradient, lambda t: np.ones(3), [0.0, 1.0], 0, start=MU)


@pytest.mark.parametrize(
    "values, index, start, exception, message",
    [
        (
            [[0.0, 1.0], [2.0, 3.0]],
            0,
            MU,
            ValueError,
            r"values must be a 1-D array of at least two points, got",
        ),
        ([1.0], 0, MU, ValueError, r"at least two points, got shape \(1,\)"),
        ([0.0, np.nan, 1.0], 0, MU, ValueError, "values must be finite"),
        ([0.0, np.inf], 0, MU, ValueError, "values must be finite"),
        ([0.0, 2.0, 1.0], 0, MU, ValueError, "values must be strictly increasing"),
        ([0.0, 1.0, 1.0], 0, MU, ValueError, "values must be strictly increasing"),
        ([0.0, 1.0], 3, MU, ValueError, r"index must lie in \[0, 2\] for a 3-dimensional density, got 3"),
        ([0.0, 1.0], -1, MU, ValueError, r"index must lie in \[0, 2\] .* got -1"),
        ([0.0, 1.0], 1.0, MU, TypeError, "index must be an integer, got float"),
        ([0.0, 1.0], True, MU, TypeError, "index must be an integer, got bool"),
        (
            [0.0, 1.0],
            0,
            [0.5],
            ValueError,
            r"start must be .* a point of shape \(d,\) with d >= 2, got shape \(1,\)",
        ),
        ([0.0, 1.0], 0, np.zeros((3, 3)), ValueError, r"got shape \(3, 3\)"),
        ([0.0, 1.0], 0, [0.0, np.nan, 1.0], ValueError, "start must be finite"),
    ],
)
def test_bad_input_is_refused_with_a_message(values, index, start, exception, message):
    with pytest.raises(exception, match=message):
        laplace_marginal(normal_log_density, normal_gradient, normal_hessian, values, index, start=start)


def test_an_index_out_of_range_of_a_laplace_approximation_is_refused():
    approx = LaplaceApproximation.from_mode(MU, -PRECISION)
    with pytest.raises(ValueError, match=r"index must lie in \[0, 2\]"):
        normal_marginal(5, [0.0, 1.0], start=approx)


def test_bad_probabilities_and_points_are_refused():
    marginal = normal_marginal(0, np.linspace(-3.0, 3.0, 7), start=MU)
    for probs in ([0.5, 1.5], -0.1, np.nan):
        with pytest.raises(ValueError, match=r"quantile probabilities must lie in \[0, 1\]"):
            marginal.quantile(probs)
    with pytest.raises(ValueError, match="t must be finite"):
        marginal.cdf([0.0, np.nan])


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"log_density_unnormalised": np.zeros(2)}, r"must have the shape of values \(3,\), got \(2,\)"),
        (
            {"conditional_modes": np.zeros((3, 1))},
            r"conditional_modes must have shape \(3, d\) with d >= 2, got",
        ),
        ({"log_density_unnormalised": [0.0, np.nan, 0.0]}, "must be finite or -inf"),
        ({"log_density_unnormalised": [-np.inf] * 3}, "not -inf everywhere"),
        ({"index": 2}, r"index must lie in \[0, 1\]"),
    ],
)
def test_an_inconsistent_laplace_marginal_is_refused(changes, message):
    fields = {
        "values": [0.0, 1.0, 2.0],
        "log_density_unnormalised": np.zeros(3),
        "conditional_modes": np.zeros((3, 2)),
        "index": 0,
    }
    with pytest.raises(ValueError, match=message):
        LaplaceMarginal(**{**fields, **changes})


def test_bioassay_separable_data_need_a_prior(ref):
    # No deaths at the two lowest doses, all animals dead at the two highest: the flat-prior
    # posterior has no mode, so there is no joint Laplace fit to start from; a proper prior gives one.
    y, mean, cov = [0, 0, 5, 5], [0.0, 0.0], [[25.0, 0.0], [0.0, 400.0]]
    separable = BioassayData(x=ref.X, n=ref.N, y=y)
    with pytest.raises(bioassay.ImproperPosteriorError, match="improper"):
        bioassay_laplace_marginal(separable, "beta")
    prior = bioassay.NormalPrior(mean=mean, cov=cov)
    marginal = bioassay_laplace_marginal(separable, "beta", np.linspace(-20.0, 80.0, 201), prior)
    # Each conditional mode solves the alpha score equation of likelihood x prior (scipy, independently).
    for k in (20, 100, 180):

        def score(a, beta=marginal.values[k]):
            return ref.gradient([a[0], beta], y=y, prior_mean=mean, prior_cov=cov)[:1]

        alpha_hat = optimize.root(score, x0=[0.0], tol=1e-13).x[0]
        assert np.isclose(marginal.conditional_modes[k, 0], alpha_hat, rtol=0, atol=1e-7)


def test_bioassay_bad_name_and_data_are_refused(data):
    with pytest.raises(ValueError, match="name must be 'alpha' or 'beta', got 'gamma'"):
        bioassay_laplace_marginal(data, "gamma")
    with pytest.raises(TypeError, match="data must be a BioassayData"):
        bioassay_laplace_marginal({"x": [0.0]}, "beta")
