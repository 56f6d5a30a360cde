"""Laplace mixtures and quadrature evidence against analytic mixtures, closed forms and scipy."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from scipy import integrate, special, stats

from bda_helpers import LaplaceApproximation, LaplaceMixture, laplace_mixture, quadrature_log_evidence


def peak(mode, variance, height):
    """A 1-D Laplace approximation with the given mode, variance and height f(mode)."""
    return LaplaceApproximation.from_mode([mode], [[-1.0 / variance]], log_density_at_mode=np.log(height))


# --- LaplaceMixture --------------------------------------------------------------------


def test_weights_are_each_peaks_gaussian_mass():
    # Peak k holds height_k * sqrt(2π variance_k): a narrow tall peak and a wide low one.
    modes, variances, heights = [-3.0, 0.5, 4.0], [0.25, 1.0, 4.0], [2.0, 1.0, 0.5]
    mixture = laplace_mixture([peak(m, v, h) for m, v, h in zip(modes, variances, heights)])
    masses = np.array(heights) * np.sqrt(2 * np.pi * np.array(variances))
    assert np.allclose(mixture.weights, masses / masses.sum(), rtol=1e-12)
    assert mixture.log_evidence == pytest.approx(np.log(masses.sum()), rel=1e-12)


def test_pdf_matches_scipy_normal_mixture_and_integrates_to_one():
    modes, variances, heights = [-3.0, 0.5, 4.0], [0.25, 1.0, 4.0], [2.0, 1.0, 0.5]
    mixture = laplace_mixture([peak(m, v, h) for m, v, h in zip(modes, variances, heights)])
    theta = np.linspace(-6, 9, 301)
    expected = sum(
        w * stats.norm.pdf(theta, loc=m, scale=np.sqrt(v))
        for w, m, v in zip(mixture.weights, modes, variances)
    )
    assert np.allclose(mixture.pdf(theta[:, None]), expected, rtol=1e-12, atol=1e-300)
    assert np.allclose(mixture.logpdf(theta[:, None]), np.log(expected), rtol=1e-12)
    area, _ = integrate.quad(lambda t: float(mixture.pdf([t])), -np.inf, np.inf, points=None)
    assert area == pytest.approx(1.0, abs=1e-8)


def test_two_dimensional_mixture_against_scipy_multivariate_normal():
    covs = [np.array([[1.0, 0.3], [0.3, 0.5]]), np.array([[2.0, -0.4], [-0.4, 1.0]])]
    modes = [np.array([0.0, 1.0]), np.array([3.0, -1.0])]
    log_heights = [0.2, -0.7]
    parts = [
        LaplaceApproximation.from_mode(m, -np.linalg.inv(c), log_density_at_mode=h)
        for m, c, h in zip(modes, covs, log_heights)
    ]
    mixture = laplace_mixture(parts)
    masses = np.exp(log_heights) * 2 * np.pi * np.sqrt([np.linalg.det(c) for c in covs])
    weights = masses / masses.sum()
    points = np.random.default_rng(5).normal(size=(7, 3, 2)) * 2
    expected = sum(w * stats.multivariate_normal(m, c).pdf(points) for w, m, c in zip(weights, modes, covs))
    assert mixture.dim == 2
    assert np.allclose(mixture.pdf(points), expected, rtol=1e-10)


def test_far_out_log_density_stays_finite():
    mixture = laplace_mixture([peak(-1.0, 0.125, 1.0), peak(1.0, 0.125, 1.0)])
    far = mixture.logpdf([[60.0]])  # each component's density underflows to 0 here
    expected = (
        np.log(0.5)
        + stats.norm.logpdf(60.0, loc=1.0, scale=np.sqrt(0.125))
        + np.log1p(
            np.exp(
                stats.norm.logpdf(60.0, -1.0, np.sqrt(0.125)) - stats.norm.logpdf(60.0, 1.0, np.sqrt(0.125))
            )
        )
    )
    assert np.isfinite(far).all() and far[0] == pytest.approx(expected, rel=1e-12)


def test_a_weight_that_underflows_to_zero_leaves_the_log_density_finite_and_warning_free():
    # Log heights 800 apart: exp(-800) underflows, so the low peak's weight is exactly 0,
    # but its log weight is still -800 (plus the width term) and it still shapes logpdf.
    log_heights, variances, modes = np.array([0.0, 800.0]), np.array([1.0, 4.0]), np.array([-50.0, 50.0])
    parts = [
        LaplaceApproximation.from_mode([m], [[-1.0 / v]], log_density_at_mode=h)
        for m, v, h in zip(modes, variances, log_heights)
    ]
    log_mass = log_heights + 0.5 * np.log(2 * np.pi * variances)  # closed form of each peak's mass
    log_weights = log_mass - special.logsumexp(log_mass)
    theta = np.array([-50.0, 0.0, 50.0])
    expected = special.logsumexp(
        log_weights[:, None] + stats.norm.logpdf(theta, modes[:, None], np.sqrt(variances)[:, None]), axis=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mixture = laplace_mixture(parts)
        logpdf = mixture.logpdf(theta[:, None])
        draws = mixture.sample(100, np.random.default_rng(0))
    assert mixture.weights.tolist() == [0.0, 1.0]
    assert np.allclose(mixture.log_weights, log_weights, rtol=1e-12)
    assert np.isfinite(logpdf).all() and np.allclose(logpdf, expected, rtol=1e-12)
    assert logpdf[0] == pytest.approx(-800.0 + np.log(np.sqrt(1 / 4)) + stats.norm.logpdf(0.0), rel=1e-12)
    assert np.all(np.abs(draws - 50.0) < 20.0)  # every draw from the peak that holds all the mass


def test_draws_match_the_mixture_moments_and_repeat_with_the_seed():
    modes, variances, heights = [-2.0, 1.0], [0.25, 1.0], [3.0, 1.0]
    mixture = laplace_mixture([peak(m, v, h) for m, v, h in zip(modes, variances, heights)])
    n = 40_000
    draws = mixture.sample(n, np.random.default_rng(11))[:, 0]
    w = mixture.weights
    mean = w @ modes
    variance = w @ (np.array(variances) + np.array(modes) ** 2) - mean**2
    assert draws.shape == (n,)
    assert abs(draws.mean() - mean) < 4 * np.sqrt(variance / n)
    fourth = np.mean((draws - draws.mean()) ** 4)  # the sample variance's sd is sqrt((m4 - s⁴) / n)
    assert abs(draws.var() - variance) < 4 * np.sqrt((fourth - draws.var() ** 2) / n)
    share_left = np.mean(draws < -0.5)
    expected_left = w[0] * stats.norm.cdf(-0.5, -2.0, 0.5) + w[1] * stats.norm.cdf(-0.5, 1.0, 1.0)
    assert abs(share_left - expected_left) < 4 * np.sqrt(expected_left * (1 - expected_left) / n)
    again = mixture.sample(n, np.random.default_rng(11))[:, 0]
    assert np.array_equal(draws, again)


def test_the_bimodal_mixture_of_notebook_01_against_quadrature():
    # -θ⁴ + 2θ²: peaks at ±1, f'' = -8, height e; Z in closed form (modified Bessel I).
    z_true = np.pi / 2 * np.exp(0.5) * (special.iv(-0.25, 0.5) + special.iv(0.25, 0.5))
    mixture = laplace_mixture([peak(-1.0, 0.125, np.e), peak(1.0, 0.125, np.e)])
    z_mixture = np.exp(mixture.log_evidence)
    assert z_mixture == pytest.approx(2 * np.e * np.sqrt(2 * np.pi / 8), rel=1e-12)
    assert z_mixture / z_true - 1 == pytest.approx(-0.1020, abs=1e-4)


BAD = [
    ("a single approximation", lambda: laplace_mixture(peak(0.0, 1.0, 1.0)), TypeError, "not a single one"),
    ("not iterable", lambda: LaplaceMixture(3), TypeError, "got int"),
    ("empty", lambda: laplace_mixture([]), ValueError, "at least one component"),
    (
        "not an approximation",
        lambda: laplace_mixture([peak(0.0, 1.0, 1.0), (1.0, 2.0)]),
        TypeError,
        "component 1 is a tuple",
    ),
    (
        "no log density",
        lambda: laplace_mixture([LaplaceApproximation.from_mode([0.0], [[-1.0]])]),
        ValueError,
        "component 0 has no log density at its mode",
    ),
    (
        "dimensions differ",
        lambda: laplace_mixture(
            [
                peak(0.0, 1.0, 1.0),
                LaplaceApproximation.from_mode([0.0, 1.0], -np.eye(2), log_density_at_mode=0.0),
            ]
        ),
        ValueError,
        "component 1 has dimension 2, component 0 has 1",
    ),
    (
        "same peak twice",
        lambda: laplace_mixture([peak(1.0, 0.125, 1.0), peak(1.0 + 1e-9, 0.125, 1.0)]),
        ValueError,
        "components 0 and 1 sit at the same mode",
    ),
    (
        "wrong theta shape",
        lambda: laplace_mixture([peak(0.0, 1.0, 1.0)]).pdf(np.zeros((3, 2))),
        ValueError,
        "last axis of length 1",
    ),
    (
        "seed, not a Generator",
        lambda: laplace_mixture([peak(0.0, 1.0, 1.0)]).sample(3, 42),
        TypeError,
        "numpy.random.Generator",
    ),
    (
        "no draws",
        lambda: laplace_mixture([peak(0.0, 1.0, 1.0)]).sample(0, np.random.default_rng(0)),
        ValueError,
        "the number of draws must be at least 1",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "message"), [case[1:] for case in BAD], ids=[case[0] for case in BAD]
)
def test_bad_input_is_refused_with_a_message_naming_the_problem(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


def test_mixture_is_frozen():
    mixture = laplace_mixture([peak(0.0, 1.0, 1.0)])
    with pytest.raises(AttributeError):
        mixture.weights = np.array([1.0])
    with pytest.raises(ValueError):
        mixture.weights[0] = 2.0
    with pytest.raises(ValueError):
        mixture.log_weights[0] = 2.0


# --- quadrature_log_evidence ------------------------------------------------------------


@pytest.mark.parametrize(
    ("log_density", "peak_at", "limits", "log_z"),
    [
        (lambda t: -0.5 * (t - 3.0) ** 2 / 0.01 + 700.0, 3.0, {}, 700.0 + 0.5 * np.log(2 * np.pi * 0.01)),
        (lambda t: -(t**4), 0.0, {}, np.log(2 * special.gamma(1.25))),
        (lambda t: 5.0 * np.log(t) - 2.0 * t, 2.5, {"lower": 0.0}, special.gammaln(6.0) - 6.0 * np.log(2.0)),
        (
            lambda t: -0.5 * t**2,
            0.0,
            {"lower": -1.0, "upper": 2.0},
            0.5 * np.log(2 * np.pi) + np.log(stats.norm.cdf(2.0) - stats.norm.cdf(-1.0)),
        ),
        (
            lambda t: -(t**4) + 2 * t**2,
            1.0,
            {},
            np.log(np.pi / 2 * np.exp(0.5) * (special.iv(-0.25, 0.5) + special.iv(0.25, 0.5))),
        ),
    ],
    ids=[
        "narrow normal far from 0 with a huge height",
        "exp(-θ⁴)",
        "gamma kernel on (0, ∞)",
        "truncated normal",
        "bimodal of notebook 01",
    ],
)
def test_quadrature_against_closed_forms(log_density, peak_at, limits, log_z):
    assert quadrature_log_evidence(log_density, peak_at, **limits) == pytest.approx(log_z, rel=1e-9, abs=1e-9)


QUAD_BAD = [
    (
        "peak outside the range",
        lambda: quadrature_log_evidence(lambda t: -t * t, 3.0, upper=2.0),
        "strictly inside",
    ),
    ("peak not finite", lambda: quadrature_log_evidence(lambda t: -t * t, np.nan), "peak must be finite"),
    (
        "log density -inf at the peak",
        lambda: quadrature_log_evidence(lambda t: -np.inf, 0.0),
        "log_density(peak) must be finite",
    ),
    ("divergent integral", lambda: quadrature_log_evidence(lambda t: 0.0 * t, 0.0), "not trustworthy"),
    ("bad rtol", lambda: quadrature_log_evidence(lambda t: -t * t, 0.0, rtol=0.0), "rtol must be a positive"),
]


@pytest.mark.parametrize(
    ("call", "message"), [case[1:] for case in QUAD_BAD], ids=[case[0] for case in QUAD_BAD]
)
def test_quadrature_refuses_bad_input(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()
