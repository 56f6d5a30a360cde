"""Self-checks for the exercises of notebook 03 (Newton's method for the bioassay mode).

Each check recomputes its reference itself: the mode for centred doses by
:func:`~bda_helpers.newton` on the centred data, the edge of the starts from which a plain
Newton step raises a Student-t log density by a root finder, and the number of Newton steps
from a bad start, and which of them backtracking shortened, by :func:`~bda_helpers.newton`.
They recognise the typical slips: the mode for the original doses, an intercept moved the
wrong way, doses scaled as well as centred, a right mode rounded too coarsely; the edge of
the concave region taken for the edge of the good starts, the Cauchy target of the
notebook's section 4 (or the exercise's target with its ``/ν`` dropped) in place of the
exercise's; a count that includes the start or misses the last step; the start's row counted
as a step, steps numbered from 0, a mild shortening overlooked. A wrong answer learns which
entries are off and which way, never the reference value.

Examples
--------
>>> centred_mode(None)
… Not answered yet: assign your answer to `mode_centred` and run the cell again.
>>> largest_good_start(2.236)  # doctest: +NORMALIZE_WHITESPACE
❌ Not yet: largest_good_start = 2.236 is too large. Hint: √5 ≈ 2.236 is where this log density stops
being concave. Inside it the plain step points towards the mode, but a full step can overshoot it and
land farther out on the other side: compare log p(theta_1) with log p(theta_0), not only the step's
direction.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

from .. import bioassay
from ..data import BioassayData, load_bioassay
from ..newton import newton
from . import (
    CheckResult,
    as_array,
    as_numbers,
    check_close,
    correct,
    describe_miss,
    format_answer,
    not_answered,
    report,
    wrong,
)

__all__ = [
    "centred_mode",
    "largest_good_start",
    "iterations_from",
    "shortened_steps",
    "report",
    "EXERCISE_START",
    "STUDENT_T_DF",
]

#: The start of the exercise on counting iterations.
EXERCISE_START = (-2.0, -5.0)

#: The degrees of freedom of the Student-t target of the exercise on good starts:
#: log p(theta) = -(nu + 1) / 2 * log(1 + theta² / nu), concave for |theta| < sqrt(nu).
STUDENT_T_DF = 5

_NAMES = ("α", "β")


def _model(data: BioassayData | None = None):
    model = bioassay.model_functions(load_bioassay() if data is None else data)
    return model.gradient, model.hessian, model.log_density


def _mode(data: BioassayData) -> np.ndarray:
    gradient, hessian, log_density = _model(data)
    return newton(gradient, hessian, np.zeros(2), log_density=log_density).mode


def _tolerances(reference: np.ndarray, rtol: float) -> dict[str, float]:
    """``rtol`` relative to each entry, and to the largest entry for entries near zero."""
    return {"rtol": rtol, "atol": rtol * float(np.max(np.abs(reference)))}


def centred_mode(answer, name: str = "mode_centred") -> CheckResult:
    """Check the posterior mode ``(alpha_c, beta)`` of the bioassay model with centred doses.

    The doses are ``x - mean(x)``; the reference runs :func:`~bda_helpers.newton` on that data
    set's model from (0, 0). Accepted within 0.01 % of each entry plus 0.01 % of the largest
    entry, which three significant digits in each entry meet; an answer that agrees only to
    about two decimals or two significant digits is told to keep more.

    Examples
    --------
    The mode for the original doses, which notebook 03 prints:

    >>> centred_mode([0.8466, 7.7488])  # doctest: +NORMALIZE_WHITESPACE
    ❌ Not yet: mode_centred = [0.8466 7.7488] is not right: α is too large. Hint: that is the mode for the
    original doses. Centring changes what the intercept means (the log-odds at the mean dose, not at x = 0),
    but the dose-response curve must stay the same function of the dose; or run newton on the centred data.
    """
    data = load_bioassay()
    x_bar = float(data.x.mean())
    expected = _mode(BioassayData(x=data.x - x_bar, n=data.n, y=data.y))
    original = _mode(data)
    mistakes = [
        (
            original,
            "that is the mode for the original doses. Centring changes what the intercept means (the "
            "log-odds at the mean dose, not at x = 0), but the dose-response curve must stay the same "
            "function of the dose; or run newton on the centred data.",
        ),
        (
            [original[0] - original[1] * x_bar, original[1]],
            "the intercept moved the wrong way. The dose-response curve must stay the same function of "
            "the dose, whichever way you write it; mind the sign of x̄ (negative here).",
        ),
    ]
    for ddof in (0, 1):  # doses standardised, not only centred: the slope is per sd of the dose
        spread = float(data.x.std(ddof=ddof))
        mistakes.append(
            (
                [expected[0], expected[1] * spread],
                "the slope changed: shifting the doses leaves beta alone. Did you also divide the doses "
                "by their spread? Only subtract the mean.",
            )
        )
    result = check_close(
        answer,
        expected,
        name=name,
        names=_NAMES,
        **_tolerances(expected, 1e-4),
        mistakes=mistakes,
        hint="Build BioassayData(x=data.x - data.x.mean(), n=data.n, y=data.y), run newton from (0, 0) on "
        "its bioassay.model_functions (with log_density), and read .mode.",
    )
    if result.passed:
        return correct(f"{result.message[:-1]}: the same dose-response curve, so the same slope.")
    values = as_array(answer, expected.shape, name)
    if not isinstance(values, CheckResult) and np.all(np.abs(values - expected) <= _rounding_slack(expected)):
        return wrong(
            describe_miss(name, values, expected, names=_NAMES, **_tolerances(expected, 1e-4)),
            "close, but not to the check's tolerance: your answer agrees with the mode only to about two "
            "decimals or two significant digits. If you rounded, keep three or more significant digits in "
            "each entry, or assign the .mode that newton returns, unrounded.",
        )
    return result


def _rounding_slack(expected: np.ndarray) -> np.ndarray:
    """Per entry, the larger of half a unit in the second decimal place and half a unit in the
    second significant digit of ``expected``: how far a coarse rounding of it can land."""
    magnitude = np.floor(np.log10(np.maximum(np.abs(expected), 1e-300)))
    return 1.001 * np.maximum(0.005, 0.5 * 10.0 ** (magnitude - 1))


def _plain_step(theta0: float, nu: float) -> float:
    """One plain Newton step on log p(theta) = -(nu + 1) / 2 * log(1 + theta² / nu), from ``theta0``."""
    gradient = -(nu + 1) * theta0 / (nu + theta0**2)
    second = -(nu + 1) * (nu - theta0**2) / (nu + theta0**2) ** 2
    return theta0 - gradient / second


def _good_start_edge(nu: float) -> float:
    """The root of ``|theta_1(theta_0)| - theta_0`` on (0, sqrt(nu)), by :func:`scipy.optimize.brentq`."""
    edge = np.sqrt(nu)
    return optimize.brentq(lambda t: abs(_plain_step(t, nu)) - t, 1e-3 * edge, (1 - 1e-3) * edge, xtol=1e-14)


def largest_good_start(answer, name: str = "largest_good_start") -> CheckResult:
    """Check the edge of the starts ``theta_0 > 0`` from which one plain Newton step raises the
    Student-t log density ``-(nu + 1) / 2 * log(1 + theta² / nu)``, ``nu =`` :data:`STUDENT_T_DF`.

    The log density falls with ``|theta|``, so a step raises it exactly when ``|theta_1| < theta_0``;
    the reference is the root of ``|theta_1(theta_0)| - theta_0`` on (0, sqrt(nu)), found by
    :func:`scipy.optimize.brentq`. Accepted within 0.2 %.

    Examples
    --------
    >>> largest_good_start(0.2)  # doctest: +NORMALIZE_WHITESPACE
    ❌ Not yet: largest_good_start = 0.2 is too small. Hint: from a little farther out the plain step
    still raises the log density; look for the start where |theta_1| = theta_0.
    """
    value = as_array(answer, (), name)
    if isinstance(value, CheckResult):
        return value
    value = float(value)
    if value <= 0:
        return wrong(f"{name} = {format_answer(value)} is not a positive start.")
    nu = STUDENT_T_DF
    expected = _good_start_edge(nu)
    concave_edge = np.sqrt(nu)
    if np.isclose(value, expected, rtol=2e-3, atol=0.0):
        return correct(
            f"{name} = {format_answer(value)}; the edge is {expected:.4f} = √(ν/3). Between it and √ν the "
            "target is concave and the step points the right way, yet a full step overshoots the mode."
        )
    miss = describe_miss(name, value, expected)
    if np.isclose(value, concave_edge, rtol=1e-2, atol=0.0):
        return wrong(
            miss,
            f"√{nu} ≈ {concave_edge:.3f} is where this log density stops being concave. Inside it the plain "
            "step points towards the mode, but a full step can overshoot it and land farther out on the "
            "other side: compare log p(theta_1) with log p(theta_0), not only the step's direction.",
        )
    if np.isclose(value, _good_start_edge(1.0), rtol=2e-3, atol=0.0):
        return wrong(
            miss,
            "that is the edge for the Cauchy target of section 4 (ν = 1), and also for "
            f"-{(nu + 1) / 2:g} log(1 + θ²), this exercise's target with the /ν dropped (a constant factor "
            "does not change a Newton step). This exercise's target is the Student-t with "
            f"ν = {nu}, log p = -{(nu + 1) / 2:g} log(1 + θ²/{nu}): its derivatives differ.",
        )
    if np.isclose(value, expected**2, rtol=2e-3, atol=0.0):
        return wrong(
            miss, "that looks like the edge for theta_0² rather than for theta_0: check what you solved for."
        )
    if value > concave_edge:
        return wrong(
            miss,
            f"beyond √{nu} the second derivative is positive and the plain step goes away from the mode "
            "(as in section 4): no start there raises the log density.",
        )
    if value > expected:
        return wrong(
            miss,
            "from such a start the full step overshoots the mode and lands farther out on the other side "
            "(|theta_1| > theta_0): compare log p(theta_1) with log p(theta_0).",
        )
    return wrong(
        miss,
        "from a little farther out the plain step still raises the log density; look for the start "
        "where |theta_1| = theta_0.",
    )


def _exercise_run():
    """The run the exercise describes: newton from :data:`EXERCISE_START`, with ``log_density``."""
    gradient, hessian, log_density = _model()
    return newton(gradient, hessian, EXERCISE_START, log_density=log_density)


def iterations_from(answer, name: str = "n_steps") -> CheckResult:
    """Check the number of Newton steps from ``EXERCISE_START`` = (-2, -5).

    The reference runs :func:`~bda_helpers.newton` with the analytic gradient and Hessian,
    the log posterior as ``log_density`` and the default tolerance. A whole-number float
    (``10.0``) counts as that whole number, as in :func:`shortened_steps`.

    Examples
    --------
    >>> iterations_from(50)  # doctest: +NORMALIZE_WHITESPACE
    ❌ Not yet: n_steps = 50 but newton() needs fewer steps from (-2.0, -5.0). Hint: 50 is the fixed count of
    the textbook loop; run newton(...) from (-2, -5) and read result.n_iter.
    """
    if answer is None:
        return not_answered(name)
    if isinstance(answer, (float, np.floating)) and float(answer).is_integer():
        answer = int(answer)  # 10.0 is a whole number of steps, as shortened_steps accepts [2.0, 3.0]
    if isinstance(answer, bool) or not isinstance(answer, (int, np.integer)):
        return wrong(f"`{name}` should be a whole number of steps, got {answer!r}.")
    expected = _exercise_run().n_iter
    if answer == expected:
        return correct(f"{name} = {answer}: newton() needs {expected} steps from {EXERCISE_START}.")
    if answer == expected + 1:
        return wrong(
            f"{name} = {answer} is too large.",
            "The trace has a row for the start as well; count the steps (result.n_iter), not the rows.",
        )
    if answer == 50:
        return wrong(
            f"{name} = 50 but newton() needs fewer steps from {EXERCISE_START}.",
            "50 is the fixed count of the textbook loop; run newton(...) from (-2, -5) and read "
            "result.n_iter.",
        )
    gradient, hessian, log_density = _model()
    from_origin = newton(gradient, hessian, np.zeros(2), log_density=log_density).n_iter
    if answer == from_origin:
        return wrong(
            f"{name} = {answer} is the count from (0, 0).",
            f"Start from {EXERCISE_START} instead.",
        )
    count = (
        "Count the steps in result.trace (or its trace table): every row after the start, row 0, is one "
        "step, and the last, tiny step counts too; result.n_iter counts the same."
    )
    if answer == expected - 1:
        return wrong(
            f"{name} = {answer} is too small.",
            f"{count} Keep the default tol: a looser one can stop a step earlier.",
        )
    return wrong(f"{name} = {answer} is too {'large' if answer > expected else 'small'}.", count)


def _as_step_numbers(answer, name: str) -> set[int] | CheckResult:
    """The answer as a set of step numbers, or the verdict that it is none."""
    if isinstance(answer, (set, frozenset)):
        answer = sorted(answer)
    values = as_numbers(answer, name, expected="step numbers (a list of whole numbers)")
    if isinstance(values, CheckResult):
        return values
    values = np.atleast_1d(values)
    if values.ndim != 1:
        return wrong(f"`{name}` should be a flat list of step numbers, got shape {values.shape}.")
    if not np.all(np.isfinite(values) & (values == np.round(values))):
        return wrong(
            f"`{name}` = {format_answer(values)} holds numbers that are not whole.",
            "Give the step numbers (the trace table's `iteration` column), not the step scales.",
        )
    return {int(value) for value in values}


def shortened_steps(answer, name: str = "shortened") -> CheckResult:
    """Check which Newton steps from ``EXERCISE_START`` = (-2, -5) backtracking shortened.

    A step is shortened when its step scale is below 1 (the full Newton step was refused and
    halved). Steps are numbered as the trace table's ``iteration`` column: step ``k`` leads to
    row ``k``, and row 0 is the start. The reference runs the same :func:`~bda_helpers.newton`
    as :func:`iterations_from`. Any order is accepted.

    Examples
    --------
    >>> shortened_steps([])  # doctest: +NORMALIZE_WHITESPACE
    ❌ Not yet: shortened = [] is not right: not every shortened step is listed. Hint: backtracking shows
    in the `step scale` column, not in `shifted`: a step scale below 1 means the full Newton step was
    refused and halved.
    """
    if answer is None:
        return not_answered(name)
    given = _as_step_numbers(answer, name)
    if isinstance(given, CheckResult):
        return given
    trace = _exercise_run().trace
    n_steps = trace.theta.shape[0] - 1
    scales = trace.step_scale
    expected = {int(k) for k in np.flatnonzero(scales[1:] < 1.0) + 1}
    shown = f"{name} = {sorted(given)}"
    if given == expected:
        halvings = "; ".join(f"step {k} was halved {_times(-np.log2(scales[k]))}" for k in sorted(expected))
        first = (
            ""
            if 1 in expected
            else " Step 1 went far too, but it raised the log posterior enough for Armijo's test."
        )
        return correct(f"{shown}: {halvings}.{first}")
    extra, missing = sorted(given - expected), sorted(expected - given)
    problems = []
    full = [k for k in extra if 1 <= k <= n_steps]
    if full:
        problems.append(f"{_steps(full)} {'was a full step' if len(full) == 1 else 'were full steps'}")
    if 0 in extra:
        problems.append("row 0 is the start, not a step")
    outside = [k for k in extra if k < 0 or k > n_steps]
    if outside:
        problems.append(f"this run has no {_steps(outside)}")
    if missing:
        problems.append("not every shortened step is listed")
    verdict = f"{shown} is not right: {'; '.join(problems)}."
    if given == expected | {0}:
        hint = "the start's step scale is a placeholder 0, not a shortening: look at rows 1 onwards."
    elif given == {k - 1 for k in expected}:
        hint = (
            "those look like positions counted from 0 (in step_scale[1:]?): number the steps as the trace "
            "table's `iteration` column does, step k leading to row k."
        )
    elif not given:
        hint = (
            "backtracking shows in the `step scale` column, not in `shifted`: a step scale below 1 means "
            "the full Newton step was refused and halved."
        )
    elif given < expected and all(scales[k] >= 0.5 for k in missing):
        hint = "a step counts as shortened whenever its step scale is below 1, even after a single halving."
    elif 1 in full:
        hint = (
            "step 1 lands far from the mode, yet its step scale is 1: the log posterior rose enough, so "
            "Armijo's test accepted the whole step. Shortened means a step scale below 1."
        )
    else:
        hint = "list the steps whose `step scale` in the trace table is below 1."
    return wrong(verdict, hint)


def _times(count: float) -> str:
    count = round(count)
    return "once" if count == 1 else f"{count} times"


def _steps(numbers: list[int]) -> str:
    return f"step {numbers[0]}" if len(numbers) == 1 else f"steps {', '.join(map(str, numbers))}"
