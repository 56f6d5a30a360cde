"""Tables for studying mode finding: the iterations of :func:`~bda_helpers.newton` at a glance."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .newton import NewtonTrace

__all__ = ["trace_table"]


def _scientific(value: float) -> str:
    return f"{value:.1e}"


def _one_decimal(value: float) -> str:
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


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
        Column names of the parameters; default ``theta[0]``, ``theta[1]``, ...
    decimals : int, default 6
        Decimals for the parameters and the log density.
    noise_floor : float, default 1e-13
        Gradient norms below this are shown as ``< noise_floor``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``iteration``.

    Raises
    ------
    ValueError
        If ``names`` does not have one name per parameter, or ``noise_floor`` is not positive.

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
    d = theta.shape[1]
    names = [f"theta[{j}]" for j in range(d)] if names is None else list(names)
    if len(names) != d:
        raise ValueError(f"names must have one name per parameter ({d}), got {len(names)}: {names}")
    if not (np.isfinite(noise_floor) and noise_floor > 0):
        raise ValueError(f"noise_floor must be a positive number, got {noise_floor}")
    floor_text = f"< {noise_floor:.0e}"
    log_floor_text = f"< {np.log10(noise_floor):.0f}"
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
