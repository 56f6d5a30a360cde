"""The eight schools data load with BDA3's values and refuse bad files; the hierarchical model of
bda_helpers.beyond.eight_schools agrees with independent computations (scipy quadrature over mu,
scipy.stats densities, the Gaussian algebra of the conditional posterior, finite differences)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from bda_helpers import load_eight_schools
from bda_helpers.beyond import eight_schools
from bda_helpers.data import SchoolsData, data_file

#: BDA3 Table 5.2 (Rubin 1981), typed in independently of data/eight_schools.csv.
SCHOOLS = ("A", "B", "C", "D", "E", "F", "G", "H")
Y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
SIGMA = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])
J = 8


@pytest.fixture(scope="module")
def data() -> SchoolsData:
    return SchoolsData(school=SCHOOLS, y=Y, sigma=SIGMA)


# --- The data and the loader ---------------------------------------------------------------------


def test_the_bundled_file_holds_bda3_table_5_2():
    data = load_eight_schools()
    assert data.school == SCHOOLS
    assert data.y.tolist() == Y.tolist() and data.sigma.tolist() == SIGMA.tolist()
    assert data.y.dtype == np.float64 and len(data) == J
    assert data_file("eight_schools.csv").is_file()


def test_the_data_are_read_only_and_frozen():
    data = load_eight_schools()
    for array in (data.y, data.sigma):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.y = Y


def test_the_callers_arrays_are_copied():
    y = Y.copy()
    data = SchoolsData(school=list(SCHOOLS), y=y, sigma=SIGMA)
    y[0] = 99.0
    assert data.y[0] == 28.0 and y.flags.writeable


def test_whitespace_blank_lines_crlf_and_a_byte_order_mark(tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes("\ufeff school , y , sigma \r\n\r\n A ,1.5, 2\r\nB,-3,4\r\nC,0,1\r\n".encode())
    data = load_eight_schools(path)
    assert data.school == ("A", "B", "C") and data.y.tolist() == [1.5, -3.0, 0.0]
    assert data.sigma.tolist() == [2.0, 4.0, 1.0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"s\.csv: expected the header 'school,y,sigma', found nothing \(the file is empty\)"),
        ("school,y,sigma\n", r"s\.csv: no data after the header"),
        (
            "school,y,se\nA,1,2\n",
            r"s\.csv: expected the header 'school,y,sigma', found \['school', 'y', 'se'\]",
        ),
        ("school,y,sigma\nA,1\n", r"s\.csv line 2: expected 3 fields, found 2"),
        ("school,y,sigma\nA,1,2\nB,one,2\n", r"s\.csv line 3: 'one' is not a number"),
        ("school,y,sigma\nA,1,2\nB,3,0\n", r"s\.csv line 3: sigma\[1\]=0 is not positive"),
        ("school,y,sigma\nA,1,-2\n", r"s\.csv line 2: sigma\[0\]=-2 is not positive"),
        ("school,y,sigma\nA,inf,2\n", r"s\.csv line 2: y\[0\]=inf is not finite"),
        ("school,y,sigma\nA,1,nan\n", r"s\.csv line 2: sigma\[0\]=nan is not finite"),
        ("school,y,sigma\n,1,2\n", r"s\.csv line 2: school\[0\] is empty"),
        (
            "school,y,sigma\nA,1,2\n\nA,3,4\n",
            r"s\.csv line 4: school\[1\]='A' repeats the name of school\[0\]",
        ),
        ('school,y,sigma\n"A,1,2\n', r"s\.csv line \d+: (not valid CSV|expected 3 fields)"),
    ],
)
def test_a_bad_file_is_refused_naming_the_file_and_line(tmp_path, text, message):
    path = tmp_path / "s.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_eight_schools(path)


def test_binary_and_non_utf8_files_are_refused(tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes(b"school,y,sigma\nA,1,2\x00\n")
    with pytest.raises(ValueError, match=r"s\.csv is not a text file: it holds a NUL byte"):
        load_eight_schools(path)
    path.write_bytes(b"school,y,sigma\n\xe9,1,2\n")
    with pytest.raises(ValueError, match=r"s\.csv is not UTF-8 text: byte 0xe9"):
        load_eight_schools(path)
    with pytest.raises(FileNotFoundError):
        load_eight_schools(tmp_path / "missing.csv")


def test_schools_data_refuses_bad_values():
    with pytest.raises(ValueError, match="the same length, got 2, 1 and 2"):
        SchoolsData(school=["A", "B"], y=[1.0], sigma=[1.0, 2.0])
    with pytest.raises(ValueError, match="the data are empty"):
        SchoolsData(school=[], y=[], sigma=[])
    with pytest.raises(TypeError, match=r"school\[1\] must be a name \(a string\), got int"):
        SchoolsData(school=["A", 2], y=[1.0, 2.0], sigma=[1.0, 2.0])
    with pytest.raises(ValueError, match="y must be real numbers"):
        SchoolsData(school=["A"], y=[1j], sigma=[1.0])
    with pytest.raises(ValueError, match="sigma must be one-dimensional"):
        SchoolsData(school=["A"], y=[1.0], sigma=[[1.0]])


# --- The model against independent computations ---------------------------------------------------


def marginal_likelihood_by_quadrature(tau: float) -> float:
    """log ∫ Π_j N(y_j | mu, sigma_j² + tau²) dmu (theta integrated out by convolution; mu by quad)."""
    scale = np.sqrt(SIGMA**2 + tau**2)
    log_at = lambda mu: stats.norm.logpdf(Y, loc=mu, scale=scale).sum()  # noqa: E731
    peak = optimize.minimize_scalar(lambda mu: -log_at(mu)).x
    width = 12 / np.sqrt(np.sum(1 / scale**2))  # 12 sds of mu's normalised likelihood either side
    value, _ = integrate.quad(
        lambda mu: np.exp(log_at(mu) - log_at(peak)), peak - width, peak + width, points=[peak], epsabs=0
    )
    return float(np.log(value) + log_at(peak))


@pytest.mark.parametrize("tau", [0.0, 0.3, 2.0, 7.5, 30.0, 400.0])
def test_log_marginal_tau_is_log_p_y_given_tau_by_quadrature(data, tau):
    assert float(eight_schools.log_marginal_tau(tau, data)) == pytest.approx(
        marginal_likelihood_by_quadrature(tau), abs=1e-9
    )


def test_log_marginal_tau_against_a_multivariate_normal_with_a_vague_prior_on_mu(data):
    """With mu ~ N(0, M²), p(y | tau) = N(y; 0, diag(sigma² + tau²) + M² 11ᵀ); times sqrt(2π) M → flat."""
    big = 1e4
    for tau in (0.0, 5.0, 12.0):
        cov = np.diag(SIGMA**2 + tau**2) + big**2 * np.ones((J, J))
        expected = stats.multivariate_normal(np.zeros(J), cov).logpdf(Y) + np.log(np.sqrt(2 * np.pi) * big)
        assert float(eight_schools.log_marginal_tau(tau, data)) == pytest.approx(expected, abs=1e-5)


def test_mu_given_tau_is_the_normalised_likelihood_of_mu(data):
    for tau in (0.0, 4.0, 25.0):
        scale = np.sqrt(SIGMA**2 + tau**2)
        density = lambda mu, k: mu**k * np.exp(stats.norm.logpdf(Y, mu, scale).sum() + 30)  # noqa: E731, B023
        mass, first, second = (integrate.quad(density, -150, 150, args=(k,), epsabs=0)[0] for k in range(3))
        fit = eight_schools.mu_given_tau(tau, data)
        assert float(fit.mean) == pytest.approx(first / mass, rel=1e-8)
        assert float(fit.var) == pytest.approx(second / mass - (first / mass) ** 2, rel=1e-6)


def gaussian_posterior_of_mu_and_theta(tau: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of (mu, theta) | tau, y from the precision matrix of the quadratic form."""
    precision = np.zeros((J + 1, J + 1))
    precision[0, 0] = J / tau**2
    precision[0, 1:] = precision[1:, 0] = -1.0 / tau**2
    precision[1:, 1:] = np.diag(1.0 / tau**2 + 1.0 / SIGMA**2)
    linear = np.concatenate([[0.0], Y / SIGMA**2])
    cov = np.linalg.inv(precision)
    return cov @ linear, cov


def test_deviations_given_tau_by_gaussian_algebra(data):
    for tau in (0.5, 3.0, 20.0):
        mean, cov = gaussian_posterior_of_mu_and_theta(tau)
        contrast = np.hstack([-np.ones((J, 1)), np.eye(J)])  # theta_j - mu
        fit = eight_schools.deviations_given_tau(tau, data)
        assert np.allclose(fit.mean, contrast @ mean, rtol=1e-9, atol=1e-10)
        assert np.allclose(fit.var, np.diag(contrast @ cov @ contrast.T), rtol=1e-9)
        assert np.allclose(eight_schools.mu_given_tau(tau, data).var, cov[0, 0], rtol=1e-9)
    at_zero = eight_schools.deviations_given_tau(0.0, data)
    assert np.all(at_zero.mean == 0) and np.all(at_zero.var == 0) and at_zero.sd.shape == (J,)


def test_log_joint_is_the_sum_of_scipy_normal_log_densities_plus_the_jacobian(data):
    rng = np.random.default_rng(3)
    params = np.column_stack([rng.normal(8, 5, 6), rng.normal(1, 1.5, 6), rng.normal(8, 10, (6, J))])
    for point in params:
        mu, log_tau, theta = point[0], point[1], point[2:]
        expected = (
            stats.norm.logpdf(theta, mu, np.exp(log_tau)).sum()
            + stats.norm.logpdf(Y, theta, SIGMA).sum()
            + log_tau  # p(tau) ∝ 1 and dtau = tau dlog tau
        )
        assert float(eight_schools.log_joint(point, data)) == pytest.approx(expected, abs=1e-10)
    assert eight_schools.log_joint(params, data).shape == (6,)
    assert eight_schools.log_joint(params.reshape(2, 3, J + 2), data).shape == (2, 3)


def test_integrating_the_joint_over_mu_and_theta_gives_the_marginal_of_log_tau(data):
    """The joint is Gaussian in (mu, theta) at fixed tau: its integral is f(mode) (2π)^{d/2} |A|^{-1/2}."""
    for tau in (0.7, 6.0):
        mode, cov = gaussian_posterior_of_mu_and_theta(tau)
        log_at_mode = float(eight_schools.log_joint(np.concatenate([[mode[0], np.log(tau)], mode[1:]]), data))
        log_integral = log_at_mode + 0.5 * (J + 1) * np.log(2 * np.pi) + 0.5 * np.linalg.slogdet(cov)[1]
        assert log_integral == pytest.approx(
            float(eight_schools.log_marginal_log_tau(np.log(tau), data)), abs=1e-9
        )


def test_gradient_joint_against_finite_differences(data):
    rng = np.random.default_rng(5)
    for _ in range(4):
        point = np.concatenate([[rng.normal(8, 3), rng.normal(1.5, 1)], rng.normal(8, 8, J)])
        numeric = optimize.approx_fprime(point, lambda p: float(eight_schools.log_joint(p, data)), 1e-7)
        assert np.allclose(eight_schools.gradient_joint(point, data), numeric, rtol=1e-4, atol=1e-4)
    batch = rng.normal(size=(3, 4, J + 2))
    assert eight_schools.gradient_joint(batch, data).shape == (3, 4, J + 2)


def test_the_joint_has_no_mode_it_rises_without_bound_into_the_neck(data):
    log_tau = np.array([0.0, -5.0, -50.0, -300.0])
    neck = np.column_stack([np.full(4, 7.0), log_tau, np.full((4, J), 7.0)])
    values = eight_schools.log_joint(neck, data)
    assert np.allclose(np.diff(values), (J - 1) * -np.diff(log_tau))
    assert np.allclose(eight_schools.gradient_joint(neck, data)[:, 1], 1 - J)


def test_the_marginal_of_tau_peaks_at_zero_and_of_log_tau_inside(data):
    tau = np.linspace(0.0, 40.0, 4001)
    log_p = eight_schools.log_marginal_tau(tau, data)
    assert np.all(np.diff(log_p) < 0)  # strictly decreasing from tau = 0: a boundary mode
    log_tau = np.linspace(-6.0, 6.0, 1201)
    inside = int(np.argmax(eight_schools.log_marginal_log_tau(log_tau, data)))
    assert 0 < inside < log_tau.size - 1 and abs(log_tau[inside] - 1.99) < 0.02


def test_the_tail_of_p_tau_falls_like_tau_to_the_power_one_minus_j(data):
    slope = np.diff(eight_schools.log_marginal_tau([1e6, 1e7], data)) / np.log(10.0)
    assert float(slope[0]) == pytest.approx(1 - J, abs=1e-6)


def test_bad_input_is_refused_with_a_clear_message(data):
    with pytest.raises(TypeError, match="data must be a SchoolsData"):
        eight_schools.log_marginal_tau(1.0, {"y": Y})
    two = SchoolsData(school=["A", "B"], y=[1.0, 2.0], sigma=[1.0, 1.0])
    with pytest.raises(ValueError, match=r"at least 3 groups, got 2.*tau\^\(1 - J\)"):
        eight_schools.log_marginal_tau(1.0, two)
    # a conditional distribution needs no proper posterior
    assert eight_schools.mu_given_tau(1.0, two).mean == pytest.approx(1.5)
    with pytest.raises(ValueError, match=r"non-negative.*got -1.0 at index \(1,\)"):
        eight_schools.log_marginal_tau([1.0, -1.0], data)
    with pytest.raises(ValueError, match="got nan"):
        eight_schools.mu_given_tau(np.nan, data)
    with pytest.raises(ValueError, match=r"\|log tau\| <= 354\.5"):
        eight_schools.log_marginal_log_tau(400.0, data)
    with pytest.raises(ValueError, match=r"on the last axis, of length 10, got shape \(9,\)"):
        eight_schools.log_joint(np.zeros(9), data)
    with pytest.raises(ValueError, match="params must be finite"):
        eight_schools.log_joint(np.r_[np.zeros(9), np.inf], data)
    with pytest.raises(ValueError, match=r"\|log tau\| <= 354\.5"):
        eight_schools.gradient_joint(np.r_[0.0, -400.0, np.zeros(J)], data)


def test_overflow_far_down_the_funnel_is_minus_infinity_or_a_named_error(data):
    point = np.r_[0.0, -350.0, np.full(J, 1e3)]
    assert eight_schools.log_joint(point, data) == -np.inf  # the density underflows to 0 there
    with pytest.raises(ValueError, match="the gradient overflows at params="):
        eight_schools.gradient_joint(point, data)


# --- Extreme but valid inputs, and the ones refused -----------------------------------------------


def test_the_documented_log_tau_bound_is_the_one_enforced(data):
    assert np.isfinite(eight_schools.log_marginal_log_tau([-354.5, 354.5], data)).all()
    for beyond in (-354.51, 354.51):
        with pytest.raises(ValueError, match=r"\|log tau\| <= 354\.5 "):
            eight_schools.log_marginal_log_tau(beyond, data)
    for doc in (eight_schools.log_marginal_log_tau.__doc__, eight_schools.log_joint.__doc__):
        assert "354.5" in doc and "354.8" not in doc


@pytest.mark.parametrize(
    ("y", "sigma", "message"),
    [
        ([1.0, 2.0, 3.0], [1.0, 1.0, 1e-160], r"sigma\[2\]=1e-160 is outside \[1.5e-154, 9e\+153\]"),
        ([1.0, 2.0, 3.0], [1.0, 1e160, 1.0], r"sigma\[1\]=1e\+160 is outside"),
        ([1.0, 2.0, 1e300], [1.0, 1.0, 1.0], r"y\[2\]=1e\+300 is too large"),
        ([-1e154, 2.0, 3.0], [1.0, 1.0, 1.0], r"y\[0\]=-1e\+154 is too large"),
    ],
)
def test_values_whose_squares_leave_floating_point_are_refused(y, sigma, message):
    with pytest.raises(ValueError, match=message):
        SchoolsData(school=["A", "B", "C"], y=y, sigma=sigma)


def test_names_are_stripped_like_the_loader_strips_them():
    assert SchoolsData(school=[" A", "B "], y=[1.0, 2.0], sigma=[1.0, 1.0]).school == ("A", "B")
    with pytest.raises(ValueError, match=r"school\[1\]='A' repeats the name of school\[0\]"):
        SchoolsData(school=["A", "A "], y=[1.0, 2.0], sigma=[1.0, 1.0])


def test_the_extremes_allowed_give_finite_answers():
    tiny = SchoolsData(school=list("ABCDEFGH"), y=np.arange(8.0), sigma=np.full(8, 1.5e-154))
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        fit = eight_schools.mu_given_tau([0.0, 1.0], tiny)  # 1 / sigma² summed 8 times would overflow
        assert fit.mean.tolist() == [3.5, 3.5] and np.all(fit.var > 0)
    huge = SchoolsData(school=["A", "B", "C"], y=[6e153, -6e153, 0.0], sigma=[9e153] * 3)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        tau = [0.0, np.exp(354.5)]  # sigma² + tau² still fits
        assert np.isfinite(eight_schools.log_marginal_tau(tau, huge)).all()
        assert np.isfinite(eight_schools.mu_given_tau(tau, huge).var).all()
    # y_j that far apart with so small sigma_j: the density underflows to 0, honestly -inf
    assert eight_schools.log_marginal_tau(0.0, tiny) == -np.inf


def test_a_gradient_overflow_caused_by_sigma_does_not_blame_tau():
    data = SchoolsData(school=["A", "B", "C"], y=[1.0, 2.0, 3.0], sigma=[1.0, 1.0, 1.5e-154])
    with pytest.raises(ValueError, match=r"\(y_j - theta_j\) / sigma_j² is too large") as refused:
        eight_schools.gradient_joint([0.0, 0.0, 0.0, 0.0, 1e10], data)
    assert "tau" not in str(refused.value).split(":", 1)[1]
    with pytest.raises(ValueError, match=r"\(theta_j - mu\)² / tau² is too large"):
        eight_schools.gradient_joint([0.0, -354.0, 1e10, 0.0, 3.0], data)
