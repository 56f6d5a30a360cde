"""The self-checks of notebook 01: right answers (computed here independently) pass, the
placeholder is "not answered", and the typical mistakes get their specific hints."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from scipy import integrate, optimize, special, stats

from bda_helpers import laplace, laplace_mixture
from bda_helpers.checks import one_dimension as check_01


def second_derivative(log_density, theta, h=1e-4):
    """A plain central difference, written here rather than borrowed from bda_helpers."""
    return (log_density(theta + h) - 2 * log_density(theta) + log_density(theta - h)) / h**2


BIMODAL_TILTED = {
    "gradient": lambda theta: -4 * theta**3 + 4 * theta + check_01.TILT,
    "rest": {
        "hessian": lambda theta: (-12 * theta**2 + 4).reshape(1, 1),
        "log_density": lambda theta: -(theta[0] ** 4) + 2 * theta[0] ** 2 + check_01.TILT * theta[0],
    },
}


def gamma_kernel(theta, shape=check_01.GAMMA_SHAPE, rate=check_01.GAMMA_RATE):
    return (shape - 1) * np.log(theta) - rate * theta


def gamma_reference(shape=check_01.GAMMA_SHAPE, rate=check_01.GAMMA_RATE):
    """Mode by scipy's bounded scalar optimiser, variance by central differences, Z from them."""
    found = optimize.minimize_scalar(
        lambda t: -gamma_kernel(t, shape, rate),
        bounds=(1e-6, 100.0),
        method="bounded",
        options={"xatol": 1e-10},
    )
    mode = found.x
    variance = -1.0 / second_derivative(lambda t: gamma_kernel(t, shape, rate), mode)
    z = np.exp(gamma_kernel(mode, shape, rate)) * np.sqrt(2 * np.pi * variance)
    return mode, variance, z


# --- exercise 1 ------------------------------------------------------------------------


def tilted(theta, tilt=check_01.TILT):
    return -(theta**4) + 2 * theta**2 + tilt * theta


def tilted_reference(tilt=check_01.TILT):
    """Modes by brentq on the slope either side of the valley, variances by central differences,
    Laplace masses from them; the true masses either side of the valley by quad."""

    def slope(t):
        return -4 * t**3 + 4 * t + tilt

    valley = optimize.brentq(slope, -0.5, 0.5, xtol=1e-14)
    modes = np.array(
        [optimize.brentq(slope, -2.0, valley - 1e-3), optimize.brentq(slope, valley + 1e-3, 2.0)]
    )
    variances = np.array([-1.0 / second_derivative(lambda t: tilted(t, tilt), m) for m in modes])
    heights = np.exp(tilted(modes, tilt))
    masses = heights * np.sqrt(2 * np.pi * variances)
    true = np.array(
        [
            integrate.quad(lambda t: np.exp(tilted(t, tilt)), -np.inf, valley)[0],
            integrate.quad(lambda t: np.exp(tilted(t, tilt)), valley, np.inf)[0],
        ]
    )
    return SimpleNamespace(
        modes=modes,
        variances=variances,
        heights=heights,
        masses=masses,
        weights=masses / masses.sum(),
        true=true / true.sum(),
        valley=valley,
    )


def test_tilted_mixture_right_answers_pass():
    ref = tilted_reference()
    assert ref.modes[0] < ref.valley < 0 < ref.modes[1]
    assert check_01.tilted_mixture(ref.modes, ref.variances, ref.weights).passed is True
    # the course's helpers give the same answer
    fits = [laplace(BIMODAL_TILTED["gradient"], [start], **BIMODAL_TILTED["rest"]) for start in (-1.0, 1.0)]
    mixture = laplace_mixture(fits)
    answers = ([f.mode[0] for f in fits], [f.cov[0, 0] for f in fits], mixture.weights)
    assert check_01.tilted_mixture(*answers).passed is True


def test_tilted_mixture_accepts_the_fits_lists_as_they_stand():
    # one-dimensional fits hold a mode of shape (1,) and a covariance of shape (1, 1)
    fits = [laplace(BIMODAL_TILTED["gradient"], [start], **BIMODAL_TILTED["rest"]) for start in (-1.0, 1.0)]
    modes, covs = [f.mode for f in fits], [f.cov for f in fits]
    assert np.shape(modes) == (2, 1) and np.shape(covs) == (2, 1, 1)
    assert check_01.tilted_mixture(modes, covs, laplace_mixture(fits).weights).passed is True
    # only axes of length 1 are dropped, and only after the answer's own axes
    ref = tilted_reference()
    assert "shape (1, 2)" in check_01.tilted_mixture([ref.modes], None, None).results[0].message
    assert check_01.tilted_mixture(np.column_stack([ref.modes, ref.modes]), None, None).passed is False
    assert "shape" in check_01.tilted_mixture([[ref.modes]], None, None).results[0].message


def test_tilted_mixture_other_tilt():
    ref = tilted_reference(tilt=-0.3)
    assert check_01.tilted_mixture(ref.modes, ref.variances, ref.weights, tilt=-0.3).passed is True
    assert check_01.tilted_mixture(ref.modes, ref.variances, ref.weights).passed is False
    with pytest.raises(ValueError, match="two peaks only"):
        check_01.tilted_mixture(None, None, None, tilt=2.0)


def test_tilted_mixture_not_answered():
    result = check_01.tilted_mixture(None, None, None)
    assert result.passed is None
    assert all(name in repr(result) for name in ("tilted_modes", "tilted_variances", "tilted_weights"))


def _leak_secrets(ref):
    return (ref.modes, ref.variances, 1 / ref.variances, ref.weights, ref.masses, ref.heights)


@pytest.mark.parametrize(
    ("make_modes", "hint"),
    [
        (lambda ref: [-1.0, 1.0], "modes of the untilted"),
        (lambda ref: ref.modes[::-1], "the peaks are in the wrong order"),
        (lambda ref: [ref.valley, ref.modes[1]], "the minimum between the peaks"),
        (lambda ref: [ref.modes[0], ref.valley], "the minimum between the peaks"),
        (lambda ref: [-0.5, 0.5], "vanishes and (ln f)''(θ) = -12θ² + 4 < 0"),
    ],
)
def test_tilted_modes_slips(make_modes, hint, assert_no_leak):
    ref = tilted_reference()
    answer = make_modes(ref)
    result = check_01.tilted_mixture(answer, ref.variances, ref.weights)
    modes_result = result.results[0]
    assert modes_result.passed is False and hint in modes_result.message
    assert result.results[1].passed is True and result.results[2].passed is True
    assert_no_leak(modes_result, *_leak_secrets(ref), answer=answer)


@pytest.mark.parametrize(
    ("make_variances", "hint"),
    [
        (lambda ref: -ref.variances, "a sign was lost"),
        (lambda ref: 1 / ref.variances, "the precisions"),
        (lambda ref: np.sqrt(ref.variances), "standard deviations"),
        (lambda ref: [0.125, 0.125], "the untilted peaks"),
        (lambda ref: ref.variances[::-1], "mixed up between the two peaks"),
        (lambda ref: ref.variances / ref.heights, "-1/f'' of the density f itself"),
        (lambda ref: [0.2, 0.2], "take -1/(ln f)''(θ̂) at each mode"),
        (lambda ref: np.round(ref.variances, 2), "at least three significant digits"),
    ],
)
def test_tilted_variances_slips(make_variances, hint, assert_no_leak):
    ref = tilted_reference()
    answer = make_variances(ref)
    result = check_01.tilted_mixture(ref.modes, answer, ref.weights).results[1]
    assert result.passed is False and hint in result.message
    assert_no_leak(result, *_leak_secrets(ref), answer=answer)


@pytest.mark.parametrize(
    ("make_weights", "hint"),
    [
        (lambda ref: [0.5, 0.5], "equal weights suit mirror-image peaks only"),
        (lambda ref: ref.heights / ref.heights.sum(), "proportional to the heights"),
        (
            lambda ref: ref.heights * 0.125**0.5 / np.sum(ref.heights * 0.125**0.5),
            "proportional to the heights",
        ),
        (
            lambda ref: ref.heights * ref.variances / np.sum(ref.heights * ref.variances),
            "square root is missing",
        ),
        (
            lambda ref: ref.heights / np.sqrt(ref.variances) / np.sum(ref.heights / np.sqrt(ref.variances)),
            "the precision A_k",
        ),
        (lambda ref: ref.true, "the true masses on either side of the valley"),
        (lambda ref: ref.masses, "the Laplace masses Z_k themselves"),
        (lambda ref: ref.weights[::-1], "mixed up between the two peaks"),
        (lambda ref: [0.4, 0.6], "w_k = Z_k / (Z_1 + Z_2)"),
    ],
)
def test_tilted_weights_slips(make_weights, hint, assert_no_leak):
    ref = tilted_reference()
    answer = np.asarray(make_weights(ref), dtype=float)
    result = check_01.tilted_mixture(ref.modes, ref.variances, answer).results[2]
    assert result.passed is False and hint in result.message
    assert_no_leak(result, *_leak_secrets(ref), ref.true, answer=answer)


def test_tilted_mixture_accepts_answers_rounded_to_three_significant_digits():
    ref = tilted_reference()
    rounded = [np.array([float(f"{value:.3g}") for value in values]) for values in (ref.modes, ref.variances)]
    weights = np.array([float(f"{value:.3g}") for value in ref.weights])
    assert check_01.tilted_mixture(*rounded, weights).passed is True
    assert check_01.tilted_mixture(ref.modes, [0.157, 0.106], ref.weights).passed is True  # as typed
    truncated = [np.trunc(values * 1e5) / 1e5 for values in (ref.modes, ref.variances, ref.weights)]
    assert check_01.tilted_mixture(*truncated).passed is True  # cut, not rounded, at five decimals
    # the hints speak of (ln f)' and (ln f)'', never of the density's own derivatives as if they were those
    wrong = check_01.tilted_mixture([-0.5, 0.5], [0.2, 0.2], [0.4, 0.6])
    assert "f'(" not in repr(wrong).replace("(ln f)'(", "") and "-1/f''" not in repr(wrong)


def test_tilted_mixture_gives_no_relative_slack_on_top_of_three_digits():
    # the weights are 0.3092 and 0.6908: two digits, [0.31, 0.69], are too few, as for the variances
    ref = tilted_reference()
    assert np.allclose(ref.weights.round(3), [0.309, 0.691])
    assert check_01.tilted_mixture(ref.modes, ref.variances, [0.309, 0.691]).passed is True
    weights = check_01.tilted_mixture(ref.modes, ref.variances, [0.31, 0.69]).results[2]
    assert weights.passed is False and "at least three significant digits" in weights.message
    variances = check_01.tilted_mixture(ref.modes, [0.16, 0.11], ref.weights).results[1]
    assert variances.passed is False and "at least three significant digits" in variances.message
    # a typed number must be right to its own last digit
    assert check_01.tilted_mixture(ref.modes, ref.variances, [0.3097, 0.6903]).passed is False
    assert check_01.tilted_mixture(ref.modes, ref.variances, ref.weights.round(4)).passed is True


def test_no_slip_of_exercise_1_is_taken_for_the_right_answer():
    ref = tilted_reference()
    slips = {
        "modes": [[-1.0, 1.0], ref.modes[::-1], [ref.valley, ref.modes[1]], [ref.modes[0], ref.valley]],
        "variances": [
            -ref.variances,
            1 / ref.variances,
            ref.variances / ref.heights,
            np.sqrt(ref.variances),
            [0.125, 0.125],
            ref.variances[::-1],
        ],
        "weights": [[0.5, 0.5], ref.heights / ref.heights.sum(), ref.true, ref.masses, ref.weights[::-1]],
    }
    for part, (name, answers) in enumerate(slips.items()):
        for answer in answers:
            given = [ref.modes, ref.variances, ref.weights]
            given[part] = np.asarray(answer, dtype=float)
            assert check_01.tilted_mixture(*given).results[part].passed is False, (name, answer)
            rounded = np.array([float(f"{value:.3g}") for value in given[part]])
            given[part] = rounded
            assert check_01.tilted_mixture(*given).results[part].passed is False, (name, rounded)


def test_tilted_mixture_unusable_answers():
    ref = tilted_reference()
    assert "shape" in check_01.tilted_mixture([1.0], ref.variances, ref.weights).results[0].message
    assert "NaN" in check_01.tilted_mixture(ref.modes, [np.nan, 0.1], ref.weights).results[1].message


# --- exercise 2 ------------------------------------------------------------------------


def test_gamma_laplace_right_answer_passes():
    mode, variance, _ = gamma_reference()
    result = check_01.gamma_laplace(mode, variance)
    assert result.passed is True, repr(result)
    assert "gamma_mode" in repr(result) and "gamma_variance" in repr(result)
    assert check_01.gamma_laplace(2.5, 1.25).passed is True  # typed: exact with fewer than three digits


def test_gamma_laplace_accepts_the_fit_as_it_stands():
    fit = laplace(
        lambda t: (check_01.GAMMA_SHAPE - 1) / t - check_01.GAMMA_RATE,
        [1.0],
        hessian=lambda t: (-(check_01.GAMMA_SHAPE - 1) / t**2).reshape(1, 1),
        log_density=lambda t: gamma_kernel(t[0]),
    )
    assert fit.mode.shape == (1,) and fit.cov.shape == (1, 1)
    assert check_01.gamma_laplace(fit.mode, fit.cov).passed is True
    assert check_01.gamma_laplace([[[2.5]]], [1.25]).passed is True
    result = check_01.gamma_laplace([2.5, 2.5], [[1.25, 0.0]])
    assert [part.passed for part in result.results] == [False, False]
    assert all("shape" in part.message for part in result.results)


def test_gamma_laplace_other_parameters():
    mode, variance, _ = gamma_reference(shape=3.5, rate=0.5)
    assert check_01.gamma_laplace(mode, variance, shape=3.5, rate=0.5).passed is True
    assert check_01.gamma_laplace(mode, variance).passed is False


def test_gamma_laplace_not_answered_names_the_missing_variable():
    mode, _, _ = gamma_reference()
    both = check_01.gamma_laplace(None, None)
    assert both.passed is None and "gamma_mode" in repr(both) and "gamma_variance" in repr(both)
    result = check_01.gamma_laplace(mode, None)
    assert result.passed is None and "gamma_variance" in repr(result)


def test_gamma_laplace_reports_every_part():
    # a wrong mode does not hide the verdict on the variance, nor the other way round
    result = check_01.gamma_laplace(3.0, None)
    assert [part.passed for part in result.results] == [False, None]
    result = check_01.gamma_laplace(None, -1.25)
    assert [part.passed for part in result.results] == [None, False]
    assert "a sign was lost" in result.results[1].message
    result = check_01.gamma_laplace(3.0, 1.5)
    assert [part.passed for part in result.results] == [False, False]


@pytest.mark.parametrize(
    ("mode", "variance", "hint"),
    [
        (3.0, 1.25, "Gamma mean a/b"),
        (10.0, 1.25, "b is a rate"),
        (3.0, 1.25, "or ln f was written with a in place of a - 1"),
        (2.5, 1.5, "variance of the Gamma itself"),
        (2.5, 1.5, "or ln f was written with a in place of a - 1"),
        (2.5, 0.8, "the precision A; how is the Laplace variance related to A?"),
        (2.5, -1.25, "a sign was lost"),
        (2.5, np.sqrt(1.25), "a standard deviation, not a variance"),
        (2.5, 1.12, "a standard deviation, not a variance"),  # typed to three digits
        (2.5, 9.0 / 5.0, "-1/(ln f)'' at the mean a/b"),
        (2.5, 5.0 / 9.0, "-(ln f)'' at the mean a/b: a precision"),
        (2.5, 1.25 / (2.5**5 * np.exp(-5.0)), "-1/f'' of the unnormalised density"),
        (2.5, 1.25 / stats.gamma.pdf(2.5, 6.0, scale=0.5), "-1/f'' of the normalised Gamma density"),
        (2.5, 1.3, "at least three significant digits"),
    ],
)
def test_gamma_laplace_typical_mistakes(mode, variance, hint, assert_no_leak):
    report = check_01.gamma_laplace(mode, variance)
    assert report.passed is False
    (result,) = [part for part in report.results if part.passed is False]
    assert hint in result.message
    right_mode, right_variance, _ = gamma_reference()
    shown = mode if "gamma_mode" in result.message else variance
    secrets = (right_mode, right_variance, 1 / right_variance, right_variance**0.5, -right_variance)
    assert_no_leak(result, *secrets, answer=shown)
    # the hint names the slip, not the operation that undoes it
    for operation in ("its inverse", "their inverse", "its square", "their square", "(a-1)/b"):
        assert operation not in result.message


def test_gamma_laplace_density_slip_is_the_one_the_notebook_describes():
    # -1/f'' of the density itself at the mode: f'' = f(θ̂)·(ln f)''(θ̂) there, so -1/f'' ≈ 1.90, not 1.25.
    mode, _, _ = gamma_reference()
    density = lambda t: np.exp(gamma_kernel(t))  # noqa: E731
    slip = -1.0 / second_derivative(density, mode)
    assert slip == pytest.approx(1.90, abs=5e-3)
    result = check_01.gamma_laplace(mode, slip).results[1]
    assert result.passed is False and "-1/f'' of the unnormalised density" in result.message


def test_gamma_target_must_have_a_mode():
    with pytest.raises(ValueError, match="shape > 1 and rate > 0"):
        check_01.gamma_laplace(1.0, 1.0, shape=1.0)


# --- exercise 3 ------------------------------------------------------------------------


def test_gamma_evidence_right_answer_passes_and_confirms_the_number_only():
    _, _, z = gamma_reference()
    exact, _ = integrate.quad(lambda t: np.exp(gamma_kernel(t)), 0.0, np.inf)
    assert exact == pytest.approx(special.gamma(6.0) / 2.0**6)
    result = check_01.gamma_evidence(z)
    assert result.passed is True, result.message
    assert result.message == f"laplace_z = {z:.4g}."  # the exercise's questions stay the student's
    for spoiler in ("Stirling", "12", "%", f"{exact:.4g}", f"{exact:.3g}", f"{100 * (z / exact - 1):.2f}"):
        assert spoiler not in result.message
    assert check_01.gamma_evidence(float(f"{z:.3g}")).passed is True


def test_gamma_evidence_not_answered():
    assert check_01.gamma_evidence(None).passed is None


@pytest.mark.parametrize(
    ("make_answer", "hint"),
    [
        (lambda height, variance, z: special.gamma(6.0) / 2.0**6, "exact Γ(a)/b^a"),
        (lambda height, variance, z: height, "only the height"),
        (lambda height, variance, z: height * np.sqrt(variance), "a constant factor is missing"),
        (lambda height, variance, z: height * 2 * np.pi * variance, "no square root"),
        (lambda height, variance, z: height * np.sqrt(2 * np.pi / variance), "A is the precision"),
        (lambda height, variance, z: np.log(z), "log Z"),
        (lambda height, variance, z: GAMMA_MEAN_AND_VARIANCE, "the Gamma's own mean a/b and variance a/b²"),
        (lambda height, variance, z: 1.85, "the Gamma's own mean a/b and variance a/b²"),  # rounded
        (lambda height, variance, z: 1.849, "the Gamma's own mean a/b and variance a/b²"),  # rounded
        (lambda height, variance, z: height * np.sqrt(2 * np.pi * 1.5), "the Gamma's own variance a/b²"),
        (lambda height, variance, z: HEIGHT_AT_MEAN * np.sqrt(2 * np.pi * variance), "the Gamma's mean a/b"),
        (lambda height, variance, z: round(z, 1), "at least three significant digits"),
    ],
)
def test_gamma_evidence_typical_mistakes(make_answer, hint, assert_no_leak):
    mode, variance, z = gamma_reference()
    height = np.exp(gamma_kernel(mode))
    answer = make_answer(height, variance, z)
    result = check_01.gamma_evidence(answer)
    assert result.passed is False and hint in result.message
    assert_no_leak(result, z, np.log(z), special.gamma(6.0) / 2.0**6, answer=answer)
    # the hint names the slip, not the operation that undoes it
    for operation in ("Z itself", "multiply", "divide", "exponentiate", "sqrt(2π) is missing"):
        assert operation not in result.message


# The mean-and-variance slip of exercise 3: f at the Gamma's mean a/b = 3 with its variance a/b² = 1.5.
HEIGHT_AT_MEAN = np.exp(gamma_kernel(3.0))
GAMMA_MEAN_AND_VARIANCE = HEIGHT_AT_MEAN * np.sqrt(2 * np.pi * 1.5)


def test_gamma_evidence_takes_three_digits_without_relative_slack():
    _, _, z = gamma_reference()
    assert 1.8440 < z < 1.8441 and 1.849 < GAMMA_MEAN_AND_VARIANCE < 1.8495
    for right in (z, 1.84, 1.844, 1.8441, 1.84405, 1.844049, np.trunc(z * 1e5) / 1e5):
        assert check_01.gamma_evidence(right).passed is True, right
    for wrong in (1.85, 1.849, 1.846, 1.842, 1.83, 1.8, GAMMA_MEAN_AND_VARIANCE):
        assert check_01.gamma_evidence(wrong).passed is False, wrong
    assert "at least three significant digits" in check_01.gamma_evidence(1.8).message
