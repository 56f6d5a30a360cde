"""Self-checks for notebook 01, Laplace in one dimension.

Each check recomputes its reference value from the target's derivatives (nothing is
stored), and recognises the usual slips — the precision for the variance, a lost sign,
the second derivative of the density f where that of ln f belongs, the modes of the
untilted target, weights by height alone without the width, the distribution's mean and
variance for Laplace's, a missing constant factor — to say which one it was. The messages write
(ln f)' and (ln f)'' for the derivatives of the log density ln f, and f'' for that of the density
itself.

An answer passes if it agrees with the right value to three significant digits (within half a
unit in the third digit, with no relative slack on top). A typed number must also be right to
every digit it gives, within one unit of its last decimal (so that a number rounded, truncated or
rounded twice passes). For a right value 1.919004..., 1.92, 1.919 and 1.9190 pass; 1.93, 1.921 and
1.9 (too few digits) do not. A slip is recognised by the same rule against the value the slip gives.
Axes of length 1 after the answer's own are dropped, so the one-dimensional fits of `laplace` can be
passed as they stand: ``fit.mode`` (shape (1,)), ``fit.cov`` (shape (1, 1)), or lists of them.

The examples use a Gamma(3, 1) target, not the exercises' Gamma(6, 2), so that they answer nothing.

Examples
--------
>>> gamma_laplace(None, None)
… Not answered yet: assign your answer to `gamma_mode` and run the cell again.
… Not answered yet: assign your answer to `gamma_variance` and run the cell again.
>>> gamma_laplace(2.0, 0.5, shape=3.0, rate=1.0)  # doctest: +NORMALIZE_WHITESPACE
✅ Correct: gamma_mode = 2.
❌ Not yet: gamma_variance = 0.5 is too small. Hint: that looks like -(ln f)'' at the mode, the
precision A; how is the Laplace variance related to A?

No hint shows a number computed from the target, nor the operation that would turn the answer
into the right one: it names the likely slip and the method.
"""

from __future__ import annotations

import numpy as np
from scipy import integrate, special

from . import (
    CheckReport,
    CheckResult,
    as_array,
    correct,
    describe_miss,
    format_answer,
    report,
    typed_decimals,
    wrong,
)

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


def _typed_unit(values: np.ndarray) -> np.ndarray | None:
    """One unit in the last decimal of each entry, if every entry has at most 8 decimals: a typed,
    rounded or truncated number. ``None`` for a computed value, whose digits run on."""
    decimals = typed_decimals(values)
    return None if decimals is None else 10.0**-decimals


def _tolerance(values: np.ndarray, reference) -> np.ndarray:
    """Per-entry absolute tolerance for comparing ``values`` with ``reference``: three significant
    digits of ``reference``, narrowed for a typed answer to one unit in its last decimal (which
    takes the reference rounded, truncated, or rounded twice, to the answer's decimals)."""
    band = _three_digits(reference)
    unit = _typed_unit(values)
    return band if unit is None else np.minimum(band, unit * (1 + 1e-9))


def _trailing_squeezed(answer, shape: tuple[int, ...]):
    """``answer`` reshaped to ``shape`` if it has that shape followed by axes of length 1 only, else as
    it is. The one-dimensional fits of `laplace` hold a mode of shape (1,) and a covariance of shape
    (1, 1), so ``fit.mode``, ``fit.cov`` or ``[f.mode for f in fits]`` are right answers as they stand."""
    try:
        values = np.asarray(answer)
    except (TypeError, ValueError):  # e.g. ragged nested lists: as_array names the problem
        return answer
    extra = values.shape[len(shape) :]
    if values.shape[: len(shape)] == shape and extra and all(length == 1 for length in extra):
        return values.reshape(shape)
    return answer


def _check(
    answer,
    expected,
    *,
    name: str,
    names=(),
    mistakes=(),
    hint: str = "",
) -> CheckResult:
    """Like :func:`~bda_helpers.checks.check_close`, with this module's rule: right to three
    significant digits and, if typed, to within one unit of its own last digit (no relative
    tolerance on top); each mistake in ``mistakes`` is matched by the same rule against the value
    it gives."""
    expected = np.asarray(expected, dtype=float)
    values = as_array(_trailing_squeezed(answer, expected.shape), expected.shape, name)
    if isinstance(values, CheckResult):
        return values
    atol = _tolerance(values, expected)
    if np.all(np.abs(values - expected) <= atol):
        return correct(f"{name} = {format_answer(values)}.")
    for mistaken, mistake_hint in mistakes:
        mistaken = np.asarray(mistaken, dtype=float)
        if mistaken.shape == expected.shape and np.all(
            np.abs(values - mistaken) <= _tolerance(values, mistaken)
        ):
            hint = mistake_hint
            break
    return wrong(describe_miss(name, values, expected, rtol=0.0, atol=atol, names=names), hint)


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


_SWAPPED = "the entries look mixed up between the two peaks: which value belongs to which peak?"


def _tilted_weights_result(tilted_weights, tilt: float, heights, variances, valley: float) -> CheckResult:
    """The weights part of :func:`tilted_mixture`."""
    masses = heights * np.sqrt(2.0 * np.pi * variances)
    weights = masses / masses.sum()
    term = f"{tilt:g}θ"
    share_left = integrate.quad(lambda t: np.exp(-(t**4) + 2 * t**2 + tilt * t), -np.inf, valley)[0]
    share_right = integrate.quad(lambda t: np.exp(-(t**4) + 2 * t**2 + tilt * t), valley, np.inf)[0]
    return _check(
        tilted_weights,
        weights,
        name="tilted_weights",
        names=("left peak", "right peak"),
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
                "the width's square root is missing: Z_k = f(θ̂_k)·sqrt(2π·var_k).",
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
            (
                masses,
                "those look like the Laplace masses Z_k themselves; the weights of a mixture are "
                "probabilities: what must they add up to?",
            ),
            (weights[::-1], _SWAPPED),
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
    valley_hint = (
        "one of these is where (ln f)'' > 0: the minimum between the peaks, not a peak; start `laplace` "
        "near each peak."
    )
    mode_result = _check(
        tilted_modes,
        modes,
        name="tilted_modes",
        names=peaks,
        mistakes=[
            (
                [-1.0, 1.0],
                f"those are the modes of the untilted -θ⁴ + 2θ²; the term {term} moves both peaks: they "
                f"are where {equation} vanishes and (ln f)''(θ) < 0.",
            ),
            (modes[::-1], "the peaks are in the wrong order: check the order the exercise asks for."),
            ([valley, modes[1]], valley_hint),
            ([modes[0], valley], valley_hint),
        ],
        hint=f"the modes are where {equation} vanishes and (ln f)''(θ) = -12θ² + 4 < 0; `laplace` "
        "started near each peak finds them." + _TYPED,
    )
    variance_result = _check(
        tilted_variances,
        variances,
        name="tilted_variances",
        names=peaks,
        mistakes=[
            (
                -variances,
                "a variance cannot be negative: a sign was lost. At a maximum, what is the sign of (ln f)''?",
            ),
            (
                1.0 / variances,
                "those look like -(ln f)'' at the modes, the precisions A_k; how is the Laplace variance "
                "related to A?",
            ),
            (
                variances / heights,
                "those look like -1/f'' of the density f itself; Laplace takes the curvature of ln f, not "
                "of f.",
            ),
            (np.sqrt(variances), "those look like standard deviations, not variances."),
            (
                [0.125, 0.125],
                f"that is -1/(ln f)'' at θ = ±1, the untilted peaks; {term} adds nothing to "
                "(ln f)'' = -12θ² + 4, but it moves the modes: evaluate (ln f)'' at the new ones.",
            ),
            (variances[::-1], _SWAPPED),
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
) -> CheckReport:
    """Exercise 2: the Laplace approximation of a Gamma(shape, rate) density: its mode and variance,
    each reported.

    Examples
    --------
    >>> gamma_laplace(2.0, 2.0, shape=3.0, rate=1.0)
    ✅ Correct: gamma_mode = 2.
    ✅ Correct: gamma_variance = 2.
    >>> print(gamma_laplace(3.0, 2.0, shape=3.0, rate=1.0).results[0])  # doctest: +NORMALIZE_WHITESPACE
    ❌ Not yet: gamma_mode = 3 is too large. Hint: that is the Gamma mean a/b, or ln f was written with
    a in place of a - 1; Laplace centres its normal at the mode, where (a-1)/θ - b = 0.
    >>> fit_mode, fit_cov = np.array([2.0]), np.array([[2.0]])  # as `laplace` returns them in one dimension
    >>> gamma_laplace(fit_mode, fit_cov, shape=3.0, rate=1.0).passed
    True
    """
    mode, variance, log_f_at_mode = _gamma_laplace(shape, rate)
    height = np.exp(log_f_at_mode)
    normalised_height = np.exp(log_f_at_mode - special.gammaln(shape) + shape * np.log(rate))
    density_slip = (
        "that looks like -1/f'' of the {} density f itself; Laplace takes the curvature of ln f, with "
        "ln f = (a-1) log θ - bθ, not of f."
    )
    mode_result = _check(
        gamma_mode,
        mode,
        name="gamma_mode",
        mistakes=[
            (
                shape / rate,
                "that is the Gamma mean a/b, or ln f was written with a in place of a - 1; Laplace centres "
                "its normal at the mode, where (a-1)/θ - b = 0.",
            ),
            (
                (shape - 1.0) * rate,
                "b is a rate (density ∝ e^(-bθ)), not a scale: solve (a-1)/θ - b = 0 for θ again.",
            ),
        ],
        hint="set the derivative of (a-1) log θ - bθ to zero." + _TYPED,
    )
    variance_result = _check(
        gamma_variance,
        variance,
        name="gamma_variance",
        mistakes=[
            (variance / height, density_slip.format("unnormalised")),
            (variance / normalised_height, density_slip.format("normalised Gamma")),
            (
                shape / rate**2,
                "that is the variance of the Gamma itself, a/b², or ln f was written with a in place of "
                "a - 1; Laplace's is -1/(ln f)'' at the mode of (a-1) log θ - bθ.",
            ),
            (
                -variance,
                "a variance cannot be negative: a sign was lost. At a maximum, what is the sign of (ln f)''?",
            ),
            (
                1.0 / variance,
                "that looks like -(ln f)'' at the mode, the precision A; how is the Laplace variance "
                "related to A?",
            ),
            (np.sqrt(variance), "that looks like a standard deviation, not a variance."),
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
    return report(mode_result, variance_result)


def gamma_evidence(laplace_z, *, shape: float = GAMMA_SHAPE, rate: float = GAMMA_RATE) -> CheckResult:
    """Exercise 3: the Laplace estimate of ``Z = ∫ θ^(a-1) e^(-bθ) dθ``, compared with ``Γ(a)/b^a``.

    Examples
    --------
    >>> gamma_evidence(1.919, shape=3.0, rate=1.0)
    ✅ Correct: laplace_z = 1.919.
    >>> gamma_evidence(1.92, shape=3.0, rate=1.0).passed  # rounded to three significant digits
    True
    >>> gamma_evidence(1.921, shape=3.0, rate=1.0).passed  # wrong in its last digit
    False
    """
    _, variance, log_f_at_mode = _gamma_laplace(shape, rate)
    height = np.exp(log_f_at_mode)
    expected = height * np.sqrt(2.0 * np.pi * variance)
    exact = np.exp(special.gammaln(shape) - shape * np.log(rate))
    mean, gamma_variance = shape / rate, shape / rate**2
    height_at_mean = np.exp((shape - 1.0) * np.log(mean) - rate * mean)
    mistakes = [
        (
            exact,
            "that is the exact Γ(a)/b^a; the exercise asks for Laplace's estimate f(θ̂)·sqrt(2π/A), "
            "to compare with it.",
        ),
        (
            height_at_mean * np.sqrt(2.0 * np.pi * gamma_variance),
            "that is Laplace's formula with the Gamma's own mean a/b and variance a/b²; Laplace takes the "
            "height at the mode and A = -(ln f)'' there (exercise 2).",
        ),
        (
            height * np.sqrt(2.0 * np.pi * gamma_variance),
            "the width uses the Gamma's own variance a/b²; Laplace's variance is -1/(ln f)'' at the mode "
            "(exercise 2).",
        ),
        (
            height_at_mean * np.sqrt(2.0 * np.pi * variance),
            "the height is taken at the Gamma's mean a/b; Laplace takes f at the mode.",
        ),
        (height, "that is only the height f(θ̂); Laplace's Z is the height times the peak's width."),
        (
            height * np.sqrt(variance),
            "a constant factor is missing: compare your formula with Z ≈ f(θ̂)·sqrt(2π/A) factor by factor.",
        ),
        (
            height * 2.0 * np.pi * variance,
            "the width term has no square root: compare with Z ≈ f(θ̂)·sqrt(2π/A).",
        ),
        (
            height * np.sqrt(2.0 * np.pi / variance),
            "A is the precision -(ln f)'', not the variance: Z ≈ f(θ̂)·sqrt(2π/A).",
        ),
        (
            np.log(expected),
            "that looks like log Z, the scale the helpers' `log_evidence` works on; on which scale does "
            "the exercise ask for Z?",
        ),
    ]
    # The success message confirms the number only: the comparison with the exact value, and what
    # the approximation is, are the exercise's questions.
    return _check(
        laplace_z,
        expected,
        name="laplace_z",
        mistakes=mistakes,
        hint="Z ≈ f(θ̂)·sqrt(2π/A) with A = -(ln f)''(θ̂), from the mode and variance of exercise 2." + _TYPED,
    )
