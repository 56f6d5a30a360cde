"""Self-checks for notebook 01, Laplace in one dimension.

Each check recomputes its reference value from the target's derivatives (nothing is
stored), and recognises the usual slips — the precision for the variance, a lost sign,
the distribution's mean for its mode, a missing ``sqrt(2π)`` — to say which one it was.

Examples
--------
>>> variance_at_other_mode(None)
… Not answered yet: assign your answer to `variance_at_minus_one` and run the cell again.
>>> variance_at_other_mode(8.0)  # doctest: +NORMALIZE_WHITESPACE
❌ Not yet: variance_at_minus_one = 8 is too large. Hint: that looks like the curvature -f'' (the precision),
not the variance; the Laplace variance is the inverse of the precision, -1/f''.

No hint shows a number computed from the target: it names the likely slip and the method.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from . import CheckResult, check_close, correct

__all__ = ["GAMMA_SHAPE", "GAMMA_RATE", "variance_at_other_mode", "gamma_laplace", "gamma_evidence"]

#: The Gamma(a, b) target of exercises 2 and 3: shape a and rate b, density ∝ θ^(a-1) e^(-bθ).
GAMMA_SHAPE = 6.0
GAMMA_RATE = 2.0


def _bimodal_second_derivative(theta: float) -> float:
    """d²/dθ² of the bimodal log density -θ⁴ + 2θ²."""
    return -12.0 * theta**2 + 4.0


def variance_at_other_mode(variance_at_minus_one) -> CheckResult:
    """Exercise 1: the Laplace variance of ``log f(θ) = -θ⁴ + 2θ²`` at its mode θ = -1.

    Examples
    --------
    >>> variance_at_other_mode(0.125)
    ✅ Correct: variance_at_minus_one = 0.125.
    >>> variance_at_other_mode(-0.125)  # doctest: +NORMALIZE_WHITESPACE
    ❌ Not yet: variance_at_minus_one = -0.125 is too small. Hint: a variance is positive: at a maximum f'' <
    0, so the variance is -1/f'', not 1/f''.
    """
    mode = -1.0  # f'(θ) = -4θ³ + 4θ vanishes at -1, 0 and 1; f'' < 0 at ±1
    curvature = _bimodal_second_derivative(mode)
    expected = -1.0 / curvature
    mistakes = [
        (
            -curvature,
            "that looks like the curvature -f'' (the precision), not the variance; the Laplace variance "
            "is the inverse of the precision, -1/f''.",
        ),
        (curvature, "that looks like f'' itself, not the variance; the Laplace variance is -1/f''."),
        (-expected, "a variance is positive: at a maximum f'' < 0, so the variance is -1/f'', not 1/f''."),
        (np.sqrt(expected), "that is the standard deviation; the variance is its square."),
    ]
    at_zero = 1.0 / _bimodal_second_derivative(0.0)
    mistakes += [
        (
            value,
            "that comes from f''(0), the curvature at the minimum between the peaks; evaluate f'' at θ = -1.",
        )
        for value in (at_zero, -at_zero)
    ]
    return check_close(
        variance_at_minus_one,
        expected,
        name="variance_at_minus_one",
        mistakes=mistakes,
        hint="differentiate -θ⁴ + 2θ² twice, evaluate at θ = -1, and take -1/f''.",
    )


def _gamma_laplace(shape: float, rate: float) -> tuple[float, float, float]:
    """Mode, Laplace variance and log f at the mode of ``log f(θ) = (a-1) log θ - bθ``."""
    if not (np.isfinite(shape) and np.isfinite(rate) and shape > 1 and rate > 0):
        raise ValueError(f"the Gamma target needs shape > 1 and rate > 0, got shape={shape}, rate={rate}")
    mode = (shape - 1.0) / rate  # where f'(θ) = (a-1)/θ - b vanishes
    curvature = -(shape - 1.0) / mode**2  # f''(θ) = -(a-1)/θ²
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
    mode, variance, _ = _gamma_laplace(shape, rate)
    mode_result = check_close(
        gamma_mode,
        mode,
        name="gamma_mode",
        mistakes=[
            (
                shape / rate,
                "that is the Gamma mean a/b; Laplace centres its normal at the mode, where (a-1)/θ - b = 0.",
            ),
            ((shape - 1.0) * rate, "b is a rate (density ∝ e^(-bθ)), so the mode is (a-1)/b, not (a-1)·b."),
        ],
        hint="set the derivative of (a-1) log θ - bθ to zero.",
    )
    variance_result = check_close(
        gamma_variance,
        variance,
        name="gamma_variance",
        mistakes=[
            (
                shape / rate**2,
                "that is the variance of the Gamma itself, a/b²; Laplace's is -1/f'' at the mode.",
            ),
            (1.0 / variance, "that is -f'' at the mode, the precision; the variance is its inverse."),
            (np.sqrt(variance), "that is the standard deviation; the variance is its square."),
            (
                (shape - 1.0) / (shape / rate) ** 2,
                "that is -1/f'' at the mean a/b; evaluate f'' at the mode.",
            ),
        ],
        hint="f''(θ) = -(a-1)/θ²; evaluate it at the mode and take -1/f''.",
    )
    for result in (mode_result, variance_result):
        if result.passed is not True:
            return result
    return correct(f"{mode_result.message[:-1]} and {variance_result.message}")


def gamma_evidence(laplace_z, *, shape: float = GAMMA_SHAPE, rate: float = GAMMA_RATE) -> CheckResult:
    """Exercise 3: the Laplace estimate of ``Z = ∫ θ^(a-1) e^(-bθ) dθ``, compared with ``Γ(a)/b^a``.

    Examples
    --------
    >>> gamma_evidence(1.8441)  # doctest: +NORMALIZE_WHITESPACE
    ✅ Correct: laplace_z = 1.844. The exact value is Γ(6)/2^6 = 1.875, so Laplace is off by -1.65 %: this is
    Stirling's formula for Γ(a), and its error shrinks like 1/(12(a-1)).
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
            "A is the precision -f'', the inverse of the variance: Z ≈ f(θ̂)·sqrt(2π/A).",
        ),
        (np.log(expected), "that looks like log Z; the exercise asks for Z itself."),
    ]
    result = check_close(
        laplace_z,
        expected,
        name="laplace_z",
        mistakes=mistakes,
        hint="Z ≈ f(θ̂)·sqrt(2π/A) with A = -f''(θ̂), from the mode and variance of exercise 2.",
    )
    if result.passed is not True:
        return result
    return correct(
        f"{result.message} The exact value is Γ({shape:g})/{rate:g}^{shape:g} = {exact:.4g}, so Laplace "
        f"is off by {100 * (expected / exact - 1):+.2f} %: this is Stirling's formula for Γ(a), and its "
        f"error shrinks like 1/(12(a-1))."
    )
