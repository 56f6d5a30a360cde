"""Self-checks for the exercises.

Each check takes a student's answer, recomputes the reference value itself (never from a
stored number), and returns a :class:`CheckResult` that says whether the answer is right
and, if not, what is off and a hint at why. A check called with ``None`` (the scaffold's
placeholder) says the exercise is not answered yet instead of failing, so a notebook with
empty scaffolds runs cleanly.

One module per notebook holds its checks, e.g. :mod:`bda_helpers.checks.study_guide`;
the building blocks shared by all of them live here.

Examples
--------
>>> check_close(None, 0.125, name="variance")
… Not answered yet: assign your answer to `variance` and run the cell again.
>>> check_close(0.125, 0.125, name="variance")
✅ Correct: variance = 0.125.
>>> check_close(8.0, 0.125, name="variance", hint="The variance is the inverse of -f''.")
❌ Not yet: variance = 8 is too large. Hint: The variance is the inverse of -f''.

The rule every check keeps: a wrong answer is told which entries are off, in which
direction, and the likely mistake, but never the expected value, nor a number one step from
it (its inverse, its square, one more than it, the missing term of a sum ...). Hints explain
the method, not the numbers. Only a correct answer's message may show exact values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "CheckResult",
    "CheckReport",
    "report",
    "not_answered",
    "correct",
    "wrong",
    "as_numbers",
    "as_array",
    "as_interval",
    "as_probability",
    "describe_miss",
    "check_close",
    "format_answer",
    "typed_decimals",
]


@dataclass(frozen=True)
class CheckResult:
    """The verdict of a self-check.

    Attributes
    ----------
    passed : bool or None
        ``True`` if right, ``False`` if wrong, ``None`` if not answered yet.
    message : str
        What was checked, what is off, and a hint at why.
    """

    passed: bool | None
    message: str

    def __repr__(self) -> str:
        prefix = {True: "✅ Correct: ", False: "❌ Not yet: ", None: "… Not answered yet: "}[self.passed]
        return prefix + self.message

    def _repr_pretty_(self, printer, cycle: bool) -> None:  # IPython shows the verdict, not the fields
        printer.text(repr(self))


@dataclass(frozen=True)
class CheckReport:
    """The verdicts of several checks, shown one per line (as one output, not several).

    Attributes
    ----------
    results : tuple of CheckResult
    """

    results: tuple[CheckResult, ...]

    @property
    def passed(self) -> bool | None:
        """``False`` if any check failed, else ``None`` if any is not answered, else ``True``."""
        verdicts = [result.passed for result in self.results]
        if False in verdicts:
            return False
        return None if None in verdicts else True

    def __repr__(self) -> str:
        return "\n".join(repr(result) for result in self.results)

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(repr(self))


def report(*results: CheckResult) -> CheckReport:
    """Collect the results of several checks, e.g. all the answers of one exercise.

    Examples
    --------
    >>> both = report(check_close(None, 1.0, name="mode"), check_close(2.0, 1.0, name="sd"))
    >>> both.passed
    False
    >>> both
    … Not answered yet: assign your answer to `mode` and run the cell again.
    ❌ Not yet: sd = 2 is too large.
    """
    for result in results:
        if not isinstance(result, CheckResult):
            raise TypeError(f"report() takes the results of checks, got {type(result).__name__}")
    return CheckReport(tuple(results))


def not_answered(name: str) -> CheckResult:
    """The result for an answer still at its ``None`` placeholder."""
    return CheckResult(None, f"assign your answer to `{name}` and run the cell again.")


def correct(message: str) -> CheckResult:
    """A passing result."""
    return CheckResult(True, message)


def wrong(message: str, hint: str = "") -> CheckResult:
    """A failing result: what is off, then a hint at why."""
    return CheckResult(False, message + (f" Hint: {hint}" if hint else ""))


def as_numbers(answer, name: str, *, expected: str = "numbers") -> np.ndarray | CheckResult:
    """Convert ``answer`` to a float array of any shape, or explain why it cannot be.

    Returns the array, or a :class:`CheckResult` for the check to return as it is: not
    answered yet (``None``), or failing because the answer is text, a boolean, or not
    numbers at all. Strings and booleans are refused although numpy would convert them
    (``"0.125"`` to 0.125, ``True`` to 1.0): an answer in quotes or a comparison's result
    is a slip to point out, not a number to grade.

    Examples
    --------
    >>> as_numbers([1, 2], "draws").tolist()
    [1.0, 2.0]
    >>> as_numbers("0.125", "variance")
    ❌ Not yet: `variance` is the string '0.125'; give the number itself, without quotes.
    >>> as_numbers(True, "variance")
    ❌ Not yet: `variance` is True, a boolean (the result of a comparison?); give numbers.
    """
    if answer is None:
        return not_answered(name)
    if isinstance(answer, (str, bytes)):
        return wrong(f"`{name}` is the string {answer!r}; give the number itself, without quotes.")
    try:
        raw = np.asarray(answer)
    except (TypeError, ValueError):  # e.g. ragged nested lists
        return wrong(f"`{name}` should be {expected}, got {type(answer).__name__}.")
    if raw.dtype.kind == "b":
        shown = repr(bool(raw)) if raw.ndim == 0 else "an array of booleans"
        return wrong(f"`{name}` is {shown}, a boolean (the result of a comparison?); give numbers.")
    if raw.dtype.kind in "US":
        return wrong(f"`{name}` holds strings; give numbers, without quotes.")
    if raw.dtype.kind == "c":  # converting would drop the imaginary part with a warning
        return wrong(f"`{name}` holds complex numbers; give real numbers.")
    try:
        return raw.astype(float)
    except (TypeError, ValueError):
        return wrong(f"`{name}` should be {expected}, got {type(answer).__name__}.")


def as_array(answer, shape: tuple[int, ...], name: str) -> np.ndarray | CheckResult:
    """Convert ``answer`` to a float array of ``shape``, or explain why it cannot be.

    Returns the array, or a :class:`CheckResult` for the check to return as it is: not
    answered yet (``None``, the scaffold's placeholder), or failing with the problem named
    (not numbers — strings and booleans included, see :func:`as_numbers` — wrong shape,
    not finite).

    Examples
    --------
    >>> as_array([[1, 2], [3, 4]], (2, 2), "cov").tolist()
    [[1.0, 2.0], [3.0, 4.0]]
    >>> as_array([1, 2, 3], (2,), "mode")
    ❌ Not yet: `mode` has shape (3,), but the answer needs shape (2,).
    """
    values = as_numbers(answer, name, expected=f"numbers (an array of shape {shape})")
    if isinstance(values, CheckResult):
        return values
    if values.shape != shape:
        return wrong(f"`{name}` has shape {values.shape}, but the answer needs shape {shape}.")
    if not np.isfinite(values).all():
        return wrong(f"`{name}` contains NaN or infinite values.")
    return values


def as_probability(answer, name: str, *, what: str = "probability") -> float | CheckResult:
    """A probability answer as a float, or the verdict that it is none: checked for range
    before anything else, so a value outside [0, 1] is never diagnosed as some other slip.

    Examples
    --------
    >>> as_probability(0.25, "p")
    0.25
    >>> as_probability(-0.3, "p")
    ❌ Not yet: p = -0.3 is not a probability: it must lie between 0 and 1.
    >>> as_probability(5.6, "share", what="share")  # doctest: +NORMALIZE_WHITESPACE
    ❌ Not yet: share = 5.6 is not a share: it must lie between 0 and 1. Hint: give a share between 0 and 1,
    not a percentage.
    """
    value = as_array(answer, (), name)
    if isinstance(value, CheckResult):
        return value
    value = float(value)
    if 0.0 <= value <= 1.0:
        return value
    percentage = f"give a {what} between 0 and 1, not a percentage." if 1.0 < value <= 100.0 else ""
    return wrong(f"{name} = {format_answer(value)} is not a {what}: it must lie between 0 and 1.", percentage)


def as_interval(answer, name: str) -> np.ndarray | CheckResult:
    """An interval answer ``[lower, upper]`` as an array, or the verdict that it is not one yet.

    Examples
    --------
    >>> as_interval([-0.28, 0.10], "ld50_95").tolist()
    [-0.28, 0.1]
    >>> as_interval([0.10, -0.28], "ld50_95")
    ❌ Not yet: give `ld50_95` as [lower, upper], lower first.
    """
    values = as_array(answer, (2,), name)
    if isinstance(values, CheckResult):
        return values
    if values[0] > values[1]:
        return wrong(f"give `{name}` as [lower, upper], lower first.")
    return values


def typed_decimals(values) -> np.ndarray | None:
    """How many decimals each entry of ``values`` was given with, if every entry has at most 8:
    a number typed by hand, rounded or truncated. ``None`` for a computed value, whose digits run on.

    Examples
    --------
    >>> typed_decimals(np.array([11.64, 3.0])).tolist()
    [2, 0]
    >>> typed_decimals(np.array([np.pi])) is None
    True
    """
    values = np.asarray(values, dtype=float)
    decimals = []
    for value in values.ravel():
        found = [d for d in range(9) if abs(value - round(value, d)) <= 1e-12 * max(1.0, abs(value))]
        if not found:
            return None
        decimals.append(found[0])
    return np.reshape(decimals, values.shape)


def format_answer(values) -> str:
    """An answer as the messages show it: 4 significant digits, arrays as numpy prints them."""
    values = np.asarray(values, dtype=float)
    return (
        np.array2string(values, precision=4, suppress_small=True) if values.ndim else f"{float(values):.4g}"
    )


def describe_miss(
    name: str, answer, expected, *, rtol: float = 1e-3, atol=0.0, names: Sequence[str] = ()
) -> str:
    """Say how ``answer`` misses ``expected`` — which entries, too large or too small — without
    giving the expected value away.

    ``names`` label the entries (e.g. ``("α", "β")``); a symmetric matrix is described by
    its upper triangle only.

    Examples
    --------
    >>> describe_miss("variance", 8.0, 0.125)
    'variance = 8 is too large.'
    >>> describe_miss("mode", [0.8466, 5.0], [0.8466, 7.7488], names=("α", "β"))
    'mode = [0.8466 5.    ] is not right: β is too small.'
    """
    values = np.asarray(answer, dtype=float)
    expected = np.asarray(expected, dtype=float)
    if values.ndim == 0:
        return f"{name} = {format_answer(values)} is too {'large' if values > expected else 'small'}."
    atol = np.broadcast_to(np.asarray(atol, dtype=float), expected.shape)
    symmetric = values.ndim == 2 and np.allclose(values, values.T) and np.allclose(expected, expected.T)
    parts = []
    for index in np.ndindex(expected.shape):
        if (symmetric and index[0] > index[1]) or np.isclose(
            values[index], expected[index], rtol=rtol, atol=atol[index]
        ):
            continue
        if names:
            label = (
                names[index[0]] if len(index) == 1 else f"the [{', '.join(names[i] for i in index)}] entry"
            )
        else:
            label = f"entry {list(index)}"
        parts.append(f"{label} is too {'large' if values[index] > expected[index] else 'small'}")
    if len(parts) > 4:
        parts = [f"{len(parts)} of {values.size} entries are off"]
    return f"{name} = {format_answer(values)} is not right: {'; '.join(parts)}."


def check_close(
    answer,
    expected,
    *,
    name: str,
    rtol: float = 1e-3,
    atol=0.0,
    names: Sequence[str] = (),
    mistakes: Sequence[tuple[object, str]] = (),
    hint: str = "",
) -> CheckResult:
    """Check a number or array against the ``expected`` value the checker computed.

    Parameters
    ----------
    answer : float or array_like or None
        The student's answer; ``None`` means not answered yet.
    expected : float or array_like
    name : str
        The variable the student assigns, used in the messages.
    rtol, atol : float (``atol`` may be an array, one tolerance per entry)
        Tolerances as in :func:`numpy.allclose`; widen them for Monte Carlo answers.
    names : sequence of str, optional
        Labels of the entries, for saying which ones are off.
    mistakes : sequence of (value, hint) pairs, optional
        What the answer would be after each typical mistake, and the hint for it; the
        first one the answer matches (within the same tolerances) gives the message.
    hint : str, optional
        Shown when the answer is wrong in a way none of ``mistakes`` explains.

    Examples
    --------
    >>> check_close(-0.125, 0.125, name="v", mistakes=[(-0.125, "A variance is positive.")])
    ❌ Not yet: v = -0.125 is too small. Hint: A variance is positive.
    """
    expected = np.asarray(expected, dtype=float)
    values = as_array(answer, expected.shape, name)
    if isinstance(values, CheckResult):
        return values
    if np.allclose(values, expected, rtol=rtol, atol=atol):
        return correct(f"{name} = {format_answer(values)}.")
    for mistaken, mistake_hint in mistakes:
        mistaken = np.asarray(mistaken, dtype=float)
        if mistaken.shape == expected.shape and np.allclose(values, mistaken, rtol=rtol, atol=atol):
            hint = mistake_hint
            break
    return wrong(describe_miss(name, values, expected, rtol=rtol, atol=atol, names=names), hint)
