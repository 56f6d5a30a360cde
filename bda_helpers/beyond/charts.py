"""Charts of the beyond-Laplace notebooks: the exact and Laplace marginals of beta as the data
are replicated (with a slider), the frequency coverage of intervals, and the cost of the Laplace
fit as the dimension grows.

They follow :mod:`bda_helpers.charts`: data rounded (:func:`~bda_helpers.charts.round_significant`),
no automatic names, so the same input gives the same spec on every run.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from .._validation import check_finite
from ..charts import round_significant, slider_title

__all__ = ["coverage_chart", "cost_chart", "k_slider_chart"]

_COVERAGE_COLUMNS = ("design", "quantity", "level", "method", "coverage", "mc_se")

#: The measured series of :func:`cost_chart`: legend name -> key of a benchmark row.
_COST_SERIES = {
    "Laplace fit": "fit_median_s",
    "one Hessian": "hessian_median_s",
    "one Cholesky": "cholesky_median_s",
}
#: Its reference lines: power of d -> legend name.
_COST_REFERENCES = {2: "∝ d² (reference)", 3: "∝ d³ (reference)"}


def _coverage_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The rows :func:`coverage_chart` draws: design, interval, method, and the error in
    percentage points with its ±2 standard-error bar (rounded to 0.01). Refuses a ``table``
    that lacks a column, is empty, or holds a level, coverage or mc_se that is not finite."""
    missing = [column for column in _COVERAGE_COLUMNS if column not in table.columns]
    if missing:
        raise ValueError(f"table lacks the columns {missing}")
    if table.empty:
        raise ValueError("table is empty")
    values = table[["level", "coverage", "mc_se"]].to_numpy(dtype=float)
    for column, value in zip(("level", "coverage", "mc_se"), values.T):
        check_finite(value, f"table[{column!r}]")
    level, coverage, mc_se = values.T
    error = 100 * (coverage - level)  # percentage points, rounded to 0.01 below
    return pd.DataFrame(
        {
            "design": table["design"].astype(str).to_numpy(),
            "interval": [f"{q} {100 * p:g} %" for q, p in zip(table["quantity"], level)],
            "method": table["method"].astype(str).to_numpy(),
            "error": np.round(error, 2) + 0.0,  # + 0.0 turns -0.0 into 0.0
            "low": np.round(error - 200 * mc_se, 2) + 0.0,
            "high": np.round(error + 200 * mc_se, 2) + 0.0,
        }
    )


def coverage_chart(table: pd.DataFrame, *, title: str = "") -> alt.FacetChart:
    """Actual minus nominal coverage of intervals, with ±2 Monte Carlo standard errors.

    One row per quantity and nominal level, one point per method, one panel per design;
    a vertical rule marks the nominal coverage (0 on the axis). A point whose bar
    misses the rule shows a miscalibration larger than the simulation's noise.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``design``, ``quantity``, ``level``, ``method``, ``coverage`` and ``mc_se``
        (e.g. several :meth:`bda_helpers.beyond.asymptotics.CoverageStudy.table` results, each with
        a ``design`` column added); ``level`` and ``coverage`` are probabilities.
    title : str, optional

    Raises
    ------
    ValueError
        If a column is missing, the table is empty, or a value is not finite.

    Examples
    --------
    >>> table = pd.DataFrame({"design": "n = 5", "quantity": "beta", "level": [0.5, 0.95],
    ...                       "method": "grid", "coverage": [0.45, 0.97], "mc_se": [0.025, 0.009]})
    >>> rows = next(iter(coverage_chart(table).to_dict()["datasets"].values()))
    >>> [(row["interval"], row["error"], row["low"], row["high"]) for row in rows]
    [('beta 50 %', -5.0, -10.0, 0.0), ('beta 95 %', 2.0, 0.2, 3.8)]
    """
    frame = _coverage_frame(table)
    methods = list(dict.fromkeys(frame["method"]))
    y = alt.Y("interval:N", title="", sort=list(dict.fromkeys(frame["interval"])))
    color = alt.Color("method:N", title="", sort=methods)
    offset = alt.YOffset("method:N", sort=methods)
    x_title = "coverage − nominal (points), ±2 s.e."
    bars = (
        alt.Chart()
        .mark_rule()
        .encode(x=alt.X("low:Q", title=x_title), x2="high:Q", y=y, yOffset=offset, color=color)
    )
    points = (
        alt.Chart()
        .mark_point(filled=True, size=50)
        .encode(
            x="error:Q",
            y=y,
            yOffset=offset,
            color=color,
            tooltip=[
                alt.Tooltip("interval:N"),
                alt.Tooltip("method:N"),
                alt.Tooltip("error:Q", title="error (points)"),
            ],
        )
    )
    nominal = alt.Chart().mark_rule(color="gray", strokeDash=[4, 4]).encode(x=alt.datum(0))
    return (
        alt.layer(nominal, bars, points, data=frame)
        .properties(width=260, height=160)
        .facet(
            column=alt.Column("design:N", title="", sort=list(dict.fromkeys(frame["design"]))), title=title
        )
    )


def _positive_column(rows: list, key: str) -> np.ndarray:
    values = np.array([row[key] for row in rows], dtype=float)
    if not (np.isfinite(values) & (values > 0)).all():
        raise ValueError(f"every row's {key!r} must be a positive number for a logarithmic axis")
    return values


def _cost_table(results: dict) -> pd.DataFrame:
    """The benchmark's rows, checked, as a long table (d, seconds, series, kind), with the
    reference lines ``c d²`` and ``c d³`` through the fit's time at the largest d; rounded."""
    if not isinstance(results, dict):
        raise TypeError(f"results must be a dict (the benchmark's JSON), got {type(results).__name__}")
    rows = results.get("rows")
    if not isinstance(rows, list) or not rows:
        raise ValueError("results['rows'] must be a non-empty list of measured rows")
    for i, row in enumerate(rows):
        missing = [
            key for key in ("d", *_COST_SERIES.values()) if not isinstance(row, dict) or key not in row
        ]
        if missing:
            raise ValueError(f"results['rows'][{i}] lacks {missing}")
    d = _positive_column(rows, "d")
    measured = pd.concat(
        [
            pd.DataFrame({"d": d, "seconds": _positive_column(rows, key), "series": name})
            for name, key in _COST_SERIES.items()
        ],
        ignore_index=True,
    )
    fit = measured[measured["series"] == "Laplace fit"]
    anchor_d, anchor_s = d.max(), float(fit["seconds"][fit["d"] == d.max()].iloc[0])
    reference = pd.concat(
        [
            pd.DataFrame({"d": d, "seconds": anchor_s * (d / anchor_d) ** power, "series": name})
            for power, name in _COST_REFERENCES.items()
        ],
        ignore_index=True,
    )
    table = pd.concat(
        [measured.assign(kind="measured"), reference.assign(kind="reference")], ignore_index=True
    )
    return table.assign(d=round_significant(table["d"]), seconds=round_significant(table["seconds"], 3))


def cost_chart(
    results: dict, *, title: str = "Cost of the Laplace fit against the dimension d"
) -> alt.LayerChart:
    """Time against d on log–log axes, with lines ∝ d² and ∝ d³ through the largest d.

    Parameters
    ----------
    results : dict
        The content of ``benchmarks/results/laplace_cost.json``: ``results["rows"]`` is a
        list of dicts with keys ``d``, ``fit_median_s`` (the whole Laplace fit),
        ``hessian_median_s`` (one :func:`~bda_helpers.beyond.logistic.hessian`, i.e.
        ``Xᵀ W X``) and ``cholesky_median_s`` (one Cholesky factorisation), all positive.
    title : str, optional

    Returns
    -------
    altair.LayerChart
        A line with points per measured series, and dashed, labelled reference lines
        ``c d²`` and ``c d³`` through the fit's time at the largest ``d``.

    Raises
    ------
    TypeError
        If ``results`` is not a dict.
    ValueError
        If it has no rows, a row lacks a key, or a value is not positive.

    Examples
    --------
    >>> rows = [{"d": d, "fit_median_s": 1e-9 * d**3, "hessian_median_s": 1e-10 * d**3,
    ...          "cholesky_median_s": 1e-11 * d**3} for d in (10, 100, 1000)]
    >>> spec = cost_chart({"rows": rows}).to_dict()
    >>> [layer["mark"]["type"] for layer in spec["layer"]]
    ['line', 'line', 'text']
    """
    table = _cost_table(results)
    order = [*_COST_SERIES, *_COST_REFERENCES.values()]
    colors = ["#4c78a8", "#f58518", "#e45756", "#9a9a9a", "#555555"]
    base = alt.Chart(table).encode(
        x=alt.X("d:Q", title="number of parameters d  (n = 10 d observations)", scale=alt.Scale(type="log")),
        y=alt.Y("seconds:Q", title="time (s)", scale=alt.Scale(type="log"), axis=alt.Axis(format=".0e")),
        color=alt.Color(
            "series:N",
            title="",
            sort=order,
            scale=alt.Scale(domain=order, range=colors),
            legend=alt.Legend(labelLimit=240),
        ),
        tooltip=[alt.Tooltip("series:N"), alt.Tooltip("d:Q"), alt.Tooltip("seconds:Q", format=".3g")],
    )
    lines = base.transform_filter(alt.datum.kind == "measured").mark_line(point=True)
    references = base.transform_filter(alt.datum.kind == "reference").mark_line(
        strokeDash=[5, 4], strokeWidth=1.2
    )
    first = table[(table["kind"] == "reference") & (table["d"] == table["d"].min())]
    labels = (
        alt.Chart(first.assign(label=first["series"].str.replace(" (reference)", "", regex=False)))
        .mark_text(align="left", baseline="bottom", dx=4, dy=-4, color="#555555")
        .encode(x="d:Q", y="seconds:Q", text="label:N")
    )
    return alt.layer(lines, references, labels, title=title).properties(width=420, height=300)


_CURVE_COLUMNS = ("k", "method", "beta", "density")

#: The most slider positions :func:`k_slider_chart` accepts: every position's curves travel in
#: the spec, and a range input with more steps is hard to set to one k.
MAX_K_POSITIONS = 50


def _curves_frame(curves: pd.DataFrame) -> pd.DataFrame:
    """The rows :func:`k_slider_chart` draws, checked and rounded to 4 significant digits."""
    if not isinstance(curves, pd.DataFrame):
        raise TypeError(f"curves must be a pandas DataFrame, got {type(curves).__name__}")
    missing = [column for column in _CURVE_COLUMNS if column not in curves.columns]
    if missing:
        raise ValueError(f"curves lacks the columns {missing}")
    if curves.empty:
        raise ValueError("curves is empty")
    k = curves["k"].to_numpy()
    if np.issubdtype(k.dtype, np.floating) and np.isfinite(k).all() and (k == np.round(k)).all():
        k = k.astype(np.int64)  # whole-number floats, e.g. 2.0, are the integers they equal
    if not np.issubdtype(k.dtype, np.integer) or (k < 1).any():
        raise ValueError("curves['k'] must hold positive integers (whole-number floats are accepted)")
    for column in ("beta", "density"):
        check_finite(curves[column].to_numpy(dtype=float), f"curves[{column!r}]")
    return pd.DataFrame(
        {
            "k": k.astype(int),
            "method": curves["method"].astype(str).to_numpy(),
            "beta": round_significant(curves["beta"].to_numpy(dtype=float)),
            "density": round_significant(curves["density"].to_numpy(dtype=float)),
        }
    )


def k_slider_chart(curves: pd.DataFrame, *, title: str = "") -> alt.LayerChart:
    """The marginal density of beta, exact and Laplace, for one replication count k at a time,
    chosen with a slider that works in the browser without a kernel.

    Every k's curves travel in the spec; the parameter ``k`` (bound to a range input, from the
    smallest to the largest k in ``curves``, step 1) filters them. The axes follow the curves
    of the chosen k. A static copy of the chart shows the smallest k.

    Parameters
    ----------
    curves : pandas.DataFrame
        Columns ``k`` (positive integers, or floats equal to them; consecutive, so that every
        slider step has curves; at most :data:`MAX_K_POSITIONS` of them),
        ``method``, ``beta`` and ``density``, e.g. from
        :func:`~bda_helpers.beyond.asymptotics.beta_marginal_curves`.
    title : str, optional

    Returns
    -------
    altair.LayerChart

    Raises
    ------
    TypeError
        If ``curves`` is not a DataFrame.
    ValueError
        If a column is missing, it is empty, ``k`` is not positive whole numbers with no gaps or
        spans more than :data:`MAX_K_POSITIONS` values, or ``beta`` or ``density`` is not finite.

    Examples
    --------
    >>> curves = pd.DataFrame({"k": [1, 1, 2, 2], "method": "exact", "beta": [0.0, 1.0, 0.0, 1.0],
    ...                        "density": [0.5, 0.5, 0.2, 0.8]})
    >>> spec = k_slider_chart(curves).to_dict()
    >>> param = spec["params"][0]
    >>> param["name"], param["value"], param["bind"]["min"], param["bind"]["max"], param["bind"]["step"]
    ('k', 1, 1, 2, 1)
    """
    frame = _curves_frame(curves)
    ks = np.unique(frame["k"])
    if not np.array_equal(ks, np.arange(ks[0], ks[-1] + 1)):
        raise ValueError(
            f"curves['k'] must be consecutive integers (one curve per slider step), got {ks.tolist()}"
        )
    if ks.size > MAX_K_POSITIONS:
        raise ValueError(f"curves['k'] spans {ks.size} slider positions; at most {MAX_K_POSITIONS} are drawn")
    k = alt.param(
        name="k",
        value=int(ks[0]),
        bind=alt.binding_range(min=int(ks[0]), max=int(ks[-1]), step=1, name="replications k "),
    )
    methods = list(dict.fromkeys(frame["method"]))
    lines = (
        alt.Chart(frame, name="k_slider_curves")
        .mark_line()
        .encode(
            x=alt.X("beta:Q", title="β", scale=alt.Scale(zero=False)),
            y=alt.Y("density:Q", title="p(β | k copies of the data)"),
            color=alt.Color("method:N", title="", sort=methods),
            strokeDash=alt.StrokeDash("method:N", sort=methods, legend=None),  # one legend: the colour's
            tooltip=[alt.Tooltip("method:N"), alt.Tooltip("beta:Q"), alt.Tooltip("density:Q")],
        )
        .transform_filter(alt.datum.k == k)
    )
    return (
        alt.layer(lines, title=slider_title(title, "k", int(ks[0])))
        .add_params(k)
        .properties(width=420, height=260)
    )
