"""Self-checks for notebook 01, Laplace in one dimension.

Each check recomputes its reference value from the target's derivatives (nothing is
stored), and recognises the usual slips — the precision for the variance, a lost sign,
the second derivative of the density f where that of ln f belongs, the modes of the
untilted target, weights by height alone without the width, the distribution's mean for
its mode, a missing ``sqrt(2π)`` — to say which one it was. The messages write (ln f)' and
(ln f)'' for the derivatives of the log density ln f, and f'' for that of the density itself.
Answers rounded to three significant digits pass.

Examples
--------
>>> gamma_laplace(None, 1.25)
… Not answered yet: assign your answer to `gamma_mode` and run the cell again.
>>> gamma_laplace(2.5, 0.8)  # doctest: +NORMALIZE_WHITESPACE
❌ Not yet: gamma_variance = 0.8 is too small. Hint: that is -(ln f)'' at the mode, the precision; the
variance is its inverse.

No hint shows a number computed from the target: it names the likely slip and the method.
"""

from __future__ import annotations

import numpy as np
from scipy import integrate, special

from . import CheckReport, CheckResult, check_close, correct, report

__all__ = ["TILT", "GAMMA_SHAPE", "GAMMA_RATE", "tilted_mixture", "gamma_laplace", "gamma_evidence"]

#: The tilt c of exercise 1's target, log f(θ) = -θ⁴ + 2θ² + cθ: it makes the two peaks unequal.
TILT = 0.5
#: The Gamma(a, b) target of exercises 2 and 3: shape a and rate b, density ∝ θ^(a-1) e^(-bθ).
GAMMA_SHAPE = 6.0
GAMMA_RATE = 2.0
#: Ends every fallback hint: a typed answer rounded too far is off for no other reason.
_TYPED = " If you typed the numbers, give at least three significant digits."


def _three_digits(expected) -> np.ndarray:
    """Per-entry absolute tolerances that accept ``expected`` rounded to three significant digits:
    half a unit in the third digit (and a hair more, so that a tie rounded either way passes)."""
    size = np.abs(np.asarray(expected, dtype=float))
    exponent = np.floor(np.log10(np.where(size > 0, size, 1.0)))
    return np.where(size > 0, 0.5 * 10.0 ** (exponent - 2) * (1 + 1e-9), 0.0)


def _tilted_peaks(tilt: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Modes (left first), Laplace variances and log heights of ``log f(θ) = -θ⁴ + 2θ² + tilt·θ``,
    and the valley between the two modes."""
    if not (np.isfinite(tilt) and abs(tilt) < 8.0 / (3.0 * np.sqrt(3.0))):
        raise ValueError(f"the tilted target has two peaks only for |tilt| < 8/(3√3), got tilt={tilt}")
    roots = np.sort(np.roots([-4.0, 0.0, 4.0, tilt]).real)  # (ln f)'(θ) = -4θ³ + 4θ + tilt: three real roots
    modes = roots[[0, 2]]  # the outer roots, where (ln f)'' = -12θ² + 4 < 0; the middle one is the valley
    variances = -1.0 / (-12.0 * modes**2 + 4.0)
    log_heights = -(modes**4) + 2.0 * modes**2 + tilt * modes
    return modes, variances, log_heights, float(roots[1])


def _normalised(values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return values / values.sum()


def _tilted_weights_result(tilted_weights, tilt: float, heights, variances, valley: float) -> CheckResult:
    """The weights part of :func:`tilted_mixture`."""
    masses = heights * np.sqrt(2.0 * np.pi * variances)
    weights = masses / masses.sum()
    peaks = ("left peak", "right peak")
    term = f"{tilt:g}θ"
    swapped = "give the left peak first, as for the modes (increasing θ)."
    share_left = integrate.quad(lambda t: np.exp(-(t**4) + 2 * t**2 + tilt * t), -np.inf, valley)[0]
    share_right = integrate.quad(lambda t: np.exp(-(t**4) + 2 * t**2 + tilt * t), valley, np.inf)[0]
    return check_close(
        tilted_weights,
        weights,
        name="tilted_weights",
        atol=_three_digits(weights),
        names=peaks,
        mistakes=[
            (
                [0.5, 0.5],
                "equal weights suit mirror-image peaks only; weight each peak by its Laplace mass "
                "Z_k = f(θ̂_k)·sqrt(2π·var_k).",
            ),
            (
                _normalised(heights),
                "those weights are proportional to the heights f(θ̂_k) alone (or to Z_k with the same "
                "variance at both peaks); a peak's mass is its height times its width: "
                "Z_k = f(θ̂_k)·sqrt(2π·var_k), with each peak's own variance.",
            ),
            (
                _normalised(heights * variances),
                "the square root is missing: Z_k = f(θ̂_k)·sqrt(2π·var_k).",
            ),
            (
                _normalised(heights / np.sqrt(variances)),
                "those use the precision A_k = -(ln f)''(θ̂_k) where the variance belongs: "
                "Z_k = f(θ̂_k)·sqrt(2π/A_k) = f(θ̂_k)·sqrt(2π·var_k).",
            ),
            (
                _normalised([share_left, share_right]),
                "those are the true masses on either side of the valley (by quadrature); the exercise asks "
                "for the mixture's weights Z_k / (Z_1 + Z_2), Laplace's estimate of them.",
            ),
            (masses, "weights sum to 1: divide each Z_k by Z_1 + Z_2."),
            (weights[::-1], swapped),
        ],
        hint="w_k = Z_k / (Z_1 + Z_2) with Z_k = f(θ̂_k)·sqrt(2π·var_k), f(θ) = exp(-θ⁴ + 2θ² + "
        f"{term}) unnormalised." + _TYPED,
    )


def tilted_mixture(tilted_modes, tilted_variances, tilted_weights, *, tilt: float = TILT) -> CheckReport:
    """Exercise 1: the two modes of ``log f(θ) = -θ⁴ + 2θ² + tilt·θ`` (left first), the Laplace
    variance at each, and the weights of the one-Laplace-per-peak mixture, ``w_k ∝ Z_k``.

    Examples
    --------
    >>> tilted_mixture(None, None, None).passed is None
    True
    >>> print(tilted_mixture([-1.0, 1.0], None, [0.5, 0.5]))  # doctest: +NORMALIZE_WHITESPACE
    ❌ Not yet: tilted_modes = [-1.  1.] is not right: left peak is too small; right peak is too small. Hint:
    those are the modes of the untilted -θ⁴ + 2θ²; the term 0.5θ moves both peaks: they are where
    (ln f)'(θ) = -4θ³ + 4θ + 0.5 vanishes and (ln f)''(θ) < 0.
    … Not answered yet: assign your answer to `tilted_variances` and run the cell again.
    ❌ Not yet: tilted_weights = [0.5 0.5] is not right: left peak is too large; right peak is too small.
    Hint: equal weights suit mirror-image peaks only; weight each peak by its Laplace mass
    Z_k = f(θ̂_k)·sqrt(2π·var_k).
    """
    modes, variances, log_heights, valley = _tilted_peaks(tilt)
    heights = np.exp(log_heights)
    peaks = ("left peak", "right peak")
    term = f"{tilt:g}θ"
    sign = "+" if tilt >= 0 else "-"
    equation = f"(ln f)'(θ) = -4θ³ + 4θ {sign} {abs(tilt):g}"
    swapped = "give the left peak first, as for the modes (increasing θ)."
    valley_hint = (
        "one of these is where (ln f)'' > 0: the minimum between the peaks, not a peak; start `laplace` "
        "near each peak."
    )
    mode_result = check_close(
        tilted_modes,
        modes,
        name="tilted_modes",
        atol=_three_digits(modes),
        names=peaks,
        mistakes=[
            (
                [-1.0, 1.0],
                f"those are the modes of the untilted -θ⁴ + 2θ²; the term {term} moves both peaks: they "
                f"are where {equation} vanishes and (ln f)''(θ) < 0.",
            ),
            (modes[::-1], swapped),
            ([valley, modes[1]], valley_hint),
            ([modes[0], valley], valley_hint),
        ],
        hint=f"the modes are where {equation} vanishes and (ln f)''(θ) = -12θ² + 4 < 0; `laplace` "
        "started near each peak finds them." + _TYPED,
    )
    curvature = -1.0 / variances
    variance_result = check_close(
        tilted_variances,
        variances,
        name="tilted_variances",
        atol=_three_digits(variances),
        names=peaks,
        mistakes=[
            (
                -variances,
                "a variance is positive: at a maximum (ln f)'' < 0, so the variance is -1/(ln f)'', "
                "not 1/(ln f)''.",
            ),
            (
                -curvature,
                "those look like -(ln f)'', the precisions; the Laplace variance is their inverse, "
                "-1/(ln f)''.",
            ),
            (
                variances / heights,
                "those look like -1/f'' of the density f itself; Laplace takes the curvature of ln f. At a "
                "mode f'' = f(θ̂)·(ln f)''(θ̂), so the two differ by the height f(θ̂): take -1/(ln f)''(θ̂).",
            ),
            (np.sqrt(variances), "those are standard deviations; the variance is their square."),
            (
                [0.125, 0.125],
                f"that is -1/(ln f)'' at θ = ±1, the untilted peaks; {term} adds nothing to "
                "(ln f)'' = -12θ² + 4, but it moves the modes: evaluate (ln f)'' at the new ones.",
            ),
            (variances[::-1], swapped),
        ],
        hint="take -1/(ln f)''(θ̂) at each mode, with (ln f)''(θ) = -12θ² + 4." + _TYPED,
    )
    weight_result = _tilted_weights_result(tilted_weights, tilt, heights, variances, valley)
    return report(mode_result, variance_result, weight_result)


def _gamma_laplace(shape: float, rate: float) -> tuple[float, float, float]:
    """Mode, Laplace variance and log f at the mode of ``log f(θ) = (a-1) log θ - bθ``."""
    if not (np.isfinite(shape) and np.isfinite(rate) and shape > 1 and rate > 0):
        raise ValueError(f"the Gamma target needs shape > 1 and rate > 0, got shape={shape}, rate={rate}")
    mode = (shape - 1.0) / rate  # where (ln f)'(θ) = (a-1)/θ - b vanishes
    curvature = -(shape - 1.0) / mode**2  # (ln f)''(θ) = -(a-1)/θ²
    log_f_at_mode = (shape - 1.0) * np.log(mode) - rate * mode
    return mode, -1.0 / curvature, log_f_at_mode


def gamma_laplace(
    gamma_mode, gamma_variance, *, shape: float = GAMMA_SHAPE, rate: float = GAMMA_RATE
) -> CheckResult:
    """Exercise 2: the Laplace approximation of a Gamma(shape, rate) density: its mode and variance.

    Examples
    --------
    >>> gamma_laplace(2.5, 1.25)
    ✅ Correct: gamma_mode = 2.5 and gamma_variance = 1.25.
    >>> gamma_laplace(3.0, 1.25).message.split("Hint: ")[1]
    'that is the Gamma mean a/b; Laplace centres its normal at the mode, where (a-1)/θ - b = 0.'
    """
    mode, variance, log_f_at_mode = _gamma_laplace(shape, rate)
    height = np.exp(log_f_at_mode)
    normalised_height = np.exp(log_f_at_mode - special.gammaln(shape) + shape * np.log(rate))
    density_slip = (
        "that is -1/f'' of the {} density f itself; Laplace takes the curvature of ln f. At the mode "
        "f'' = f(θ̂)·(ln f)''(θ̂), so the two differ by the height f(θ̂): take -1/(ln f)'' with "
        "ln f = (a-1) log θ - bθ."
    )
    mode_result = check_close(
        gamma_mode,
        mode,
        name="gamma_mode",
        atol=_three_digits(mode),
        mistakes=[
            (
                shape / rate,
                "that is the Gamma mean a/b; Laplace centres its normal at the mode, where (a-1)/θ - b = 0.",
            ),
            ((shape - 1.0) * rate, "b is a rate (density ∝ e^(-bθ)), so the mode is (a-1)/b, not (a-1)·b."),
        ],
        hint="set the derivative of (a-1) log θ - bθ to zero." + _TYPED,
    )
    variance_result = check_close(
        gamma_variance,
        variance,
        name="gamma_variance",
        atol=_three_digits(variance),
        mistakes=[
            (variance / height, density_slip.format("unnormalised")),
            (variance / normalised_height, density_slip.format("normalised Gamma")),
            (
                shape / rate**2,
                "that is the variance of the Gamma itself, a/b²; Laplace's is -1/(ln f)'' at the mode.",
            ),
            (1.0 / variance, "that is -(ln f)'' at the mode, the precision; the variance is its inverse."),
            (np.sqrt(variance), "that is the standard deviation; the variance is its square."),
            (
                (shape / rate) ** 2 / (shape - 1.0),
                "that is -1/(ln f)'' at the mean a/b; evaluate (ln f)'' at the mode.",
            ),
            (
                (shape - 1.0) / (shape / rate) ** 2,
                "that is -(ln f)'' at the mean a/b: a precision, and at the wrong point; the variance is "
                "-1/(ln f)'' at the mode.",
            ),
        ],
        hint="(ln f)''(θ) = -(a-1)/θ²; evaluate it at the mode and take -1/(ln f)''." + _TYPED,
    )
    for result in (mode_result, variance_result):
        if result.passed is not True:
            return result
    return correct(f"{mode_result.message[:-1]} and {variance_result.message}")


def gamma_evidence(laplace_z, *, shape: float = GAMMA_SHAPE, rate: float = GAMMA_RATE) -> CheckResult:
    """Exercise 3: the Laplace estimate of ``Z = ∫ θ^(a-1) e^(-bθ) dθ``, compared with ``Γ(a)/b^a``.

    Examples
    --------
    >>> gamma_evidence(1.8441)
    ✅ Correct: laplace_z = 1.844.
    >>> gamma_evidence(1.84).passed  # rounded to three significant digits
    True
    """
    _, variance, log_f_at_mode = _gamma_laplace(shape, rate)
    height = np.exp(log_f_at_mode)
    expected = height * np.sqrt(2.0 * np.pi * variance)
    exact = np.exp(special.gammaln(shape) - shape * np.log(rate))
    mistakes = [
        (
            exact,
            "that is the exact Γ(a)/b^a; the exercise asks for Laplace's estimate f(θ̂)·sqrt(2π/A), "
            "to compare with it.",
        ),
        (height, "that is only the height f(θ̂); multiply by the width sqrt(2π/A) = sqrt(2π·variance)."),
        (height * np.sqrt(variance), "the factor sqrt(2π) is missing: Z ≈ f(θ̂)·sqrt(2π/A)."),
        (height * 2.0 * np.pi * variance, "the square root is missing: Z ≈ f(θ̂)·sqrt(2π·variance)."),
        (
            height * np.sqrt(2.0 * np.pi / variance),
            "A is the precision -(ln f)'', the inverse of the variance: Z ≈ f(θ̂)·sqrt(2π/A).",
        ),
        (np.log(expected), "that looks like log Z; the exercise asks for Z itself."),
    ]
    # The success message confirms the number only: the comparison with the exact value, and what
    # the approximation is, are the exercise's questions.
    return check_close(
        laplace_z,
        expected,
        name="laplace_z",
        atol=_three_digits(expected),
        mistakes=mistakes,
        hint="Z ≈ f(θ̂)·sqrt(2π/A) with A = -(ln f)''(θ̂), from the mode and variance of exercise 2." + _TYPED,
    )
