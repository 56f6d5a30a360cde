"""Tables for studying mode finding: the iterations of :func:`~bda_helpers.newton` at a glance."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._validation import check_int
from .newton import NewtonTrace

__all__ = ["trace_table"]


def _scientific(value: float) -> str:
    return f"{value:.1e}"


def _one_decimal(value: float) -> str:
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def _floor_labels(noise_floor: float) -> tuple[str, str]:
    """The labels ``< floor`` and ``< log10(floor)`` for norms below ``noise_floor``.

    The floor is written with all its digits (``1.5e-08``, which ``.0e`` would round to
    ``2e-08``), and its log10 is rounded *up* to one decimal (``-12.3`` for ``5e-13``, not
    ``-12``; ``-12.5`` for ``3e-13``, not ``-13``), so every norm shown as below a label
    really is below it; a decade floor keeps the short ``1e-13`` and ``-13``.
    """
    floor_text = np.format_float_scientific(noise_floor, trim="-", exp_digits=2)
    tenths = math.ceil(round(math.log10(noise_floor) * 10, 6))  # round first: log10(1e-13) * 10 is not exact
    log_floor_text = f"{tenths // 10}" if tenths % 10 == 0 else f"{tenths / 10:.1f}"
    return f"< {floor_text}", f"< {log_floor_text}"


def _parameter_names(names, d: int) -> list[str]:
    """``names`` as a list of ``d`` strings, checked; default ``theta[0]``, ``theta[1]``, ..."""
    if names is None:
        return [f"theta[{j}]" for j in range(d)]
    if isinstance(names, str) or not isinstance(names, (Sequence, np.ndarray, pd.Index)):
        raise TypeError(
            f"names must be a sequence of str, one per parameter (e.g. ['alpha', 'beta']), got {names!r}"
        )
    names = list(names)
    not_str = [name for name in names if not isinstance(name, str)]
    if not_str:
        raise TypeError(f"names must be strings, got {not_str[0]!r} ({type(not_str[0]).__name__})")
    if len(names) != d:
        raise ValueError(f"names must have one name per parameter ({d}), got {len(names)}: {names}")
    return names


def trace_table(
    trace: NewtonTrace,
    names: Sequence[str] | None = None,
    *,
    decimals: int = 6,
    noise_floor: float = 1e-13,
) -> pd.DataFrame:
    """The iterations of :func:`~bda_helpers.newton` as a table, rounded for display.

    One row per iterate (row 0 is the start), with columns

    * one per parameter, and ``log density`` (when the trace has it), rounded to
      ``decimals`` decimals;
    * ``gradient norm`` and ``log10 gradient norm``, as text: ``1.5e-08`` and ``-7.8``.
      A norm below ``noise_floor`` is shown as ``< 1e-13`` and ``< -13``: at that size a
      gradient is rounding error in its own evaluation, whose exact digits depend on the
      machine and library, so printing them would only print noise;
    * ``step length`` (text, ``1.2e-03``), ``step scale`` (1 is a full Newton step, smaller
      means the step was halved that often; text, three significant digits) and
      ``shifted`` (the Hessian had to be shifted to give an ascent step). For the start
      these three are blank.

    Parameters
    ----------
    trace : NewtonTrace
        ``result.trace`` of :func:`~bda_helpers.newton`, or ``error.trace`` of its
        :class:`~bda_helpers.ConvergenceError`.
    names : sequence of str, optional
        Column names of the parameters, one per parameter (a list or tuple, not a single
        string); default ``theta[0]``, ``theta[1]``, ...
    decimals : int, default 6
        Decimals (an integer) for the parameters and the log density.
    noise_floor : float, default 1e-13
        Gradient norms below this are shown as ``< noise_floor`` (and its log10, rounded
        up to one decimal: ``< -13`` for ``1e-13``, ``< -12.3`` for ``5e-13``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``iteration``.

    Raises
    ------
    TypeError
        If ``names`` is a single string or holds something other than strings,
        ``decimals`` is not an integer, or ``noise_floor`` is not a number.
    ValueError
        If ``names`` does not have one name per parameter, or ``noise_floor`` is not a
        positive number.

    Examples
    --------
    >>> from bda_helpers import newton
    >>> result = newton(lambda t: -4 * t**3 + 4 * t, lambda t: np.atleast_2d(-12 * t**2 + 4), [1.5])
    >>> table = trace_table(result.trace, ["theta"])
    >>> table["theta"].tolist()
    [1.5, 1.173913, 1.032307, 1.001456, 1.000003, 1.0, 1.0]
    >>> table["log10 gradient norm"].tolist()   # the digits double from step to step
    ['0.9', '0.2', '-0.6', '-1.9', '-4.6', '-9.9', '< -13']
    """
    theta = np.asarray(trace.theta, dtype=float)
    names = _parameter_names(names, theta.shape[1])
    decimals = check_int(decimals, "decimals")
    if isinstance(noise_floor, bool) or not isinstance(noise_floor, numbers.Real):
        raise TypeError(f"noise_floor must be a number, got {noise_floor!r} ({type(noise_floor).__name__})")
    if not (np.isfinite(noise_floor) and noise_floor > 0):
        raise ValueError(f"noise_floor must be a positive number, got {noise_floor}")
    floor_text, log_floor_text = _floor_labels(float(noise_floor))
    # Adding 0.0 turns the -0.0 that rounding leaves for tiny negative numbers into 0.0.
    table = pd.DataFrame({name: theta[:, j].round(decimals) + 0.0 for j, name in enumerate(names)})
    if not np.isnan(trace.log_density).all():
        table["log density"] = np.round(trace.log_density, decimals) + 0.0
    table["gradient norm"] = [floor_text if g < noise_floor else _scientific(g) for g in trace.grad_norm]
    table["log10 gradient norm"] = [
        log_floor_text if g < noise_floor else _one_decimal(np.log10(g)) for g in trace.grad_norm
    ]
    start = np.arange(len(table)) == 0
    table["step length"] = ["" if s else _scientific(v) for s, v in zip(start, trace.step_norm)]
    table["step scale"] = ["" if s else f"{v:.3g}" for s, v in zip(start, trace.step_scale)]
    table["shifted"] = ["" if s else ("yes" if v else "no") for s, v in zip(start, trace.shifted)]
    table.index = pd.RangeIndex(len(table), name="iteration")
    return table
