"""Altair charts the notebooks share, and the renderer that makes them work everywhere.

:func:`use_course_renderer` makes every chart display as one bundle of three views:

* ``application/vnd.vegalite.v5+json`` — JupyterLab draws it itself, interactive and
  offline (no CDN);
* a static picture made offline by vl-convert, for GitHub, nbviewer and nbconvert, which
  cannot run Vega: ``image/svg+xml``, or ``image/png`` for a dense chart (thousands of
  points or grid cells) whose SVG would exceed 100 KB;
* ``text/plain`` — a one-line description.

Front ends show the richest view they can draw. The Vega-Lite view and the SVG are
deterministic, so strict nbval compares them (it skips PNGs; the test suite checks those
against a fresh rendering of the Vega-Lite view). Chart data are rounded
(:func:`round_significant`) and embedded in the Vega-Lite view as CSV text, a quarter to
a half of the size of JSON rows; selections are named, so the same chart gives the same
spec on every run.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import math
import numbers
import re

import altair as alt
import numpy as np
import pandas as pd
import vl_convert
from PIL import Image

from ._validation import check_finite, check_int, check_not_empty
from .bioassay import DoseResponseBands
from .data import BioassayData
from .grid import GridPosterior
from .laplace import LaplaceApproximation

__all__ = [
    "use_course_renderer",
    "round_significant",
    "dose_response_chart",
    "dose_response_bands_chart",
    "posterior_region_chart",
    "draws_chart",
    "lines_chart",
    "histogram_chart",
    "laplace_ellipses_chart",
    "draws_with_points_chart",
    "step_error_chart",
    "step_slider_chart",
    "slider_title",
    "gaussian_ellipses_chart",
]

_VEGALITE_VERSION = alt.SCHEMA_VERSION.lstrip("v").rsplit(".", 1)[0]  # "5.20" for Altair 5.5
_CREDIBLE_LEVELS = (0.5, 0.8, 0.95, 0.99)


#: A chart whose SVG would be larger than this many bytes gets a PNG static view instead.
#: The course's line, bar and step charts make SVGs of 10–80 KB, about the size of their
#: PNG (0.5 to 3 times it; and nbval compares SVGs, not PNGs); its point clouds and grid-cell
#: charts make 280–850 KB (an element per point or cell), 5 to 40 times their PNG.
_SVG_LIMIT_BYTES = 100_000
#: Pixels per CSS pixel of a PNG static view: sharp on high-density screens. The PNG says
#: so (72 × 2 = 144 ppi), and its output metadata gives its size in CSS pixels.
_PNG_SCALE = 2
_VEGALITE_MIME = "application/vnd.vegalite.v5+json"


def _course_renderer(spec: dict, **options) -> tuple[dict, dict]:
    r"""Render a Vega-Lite spec as a (mime bundle, metadata) pair for Jupyter.

    The bundle holds the spec (its data as CSV, :func:`_csv_datasets`), a static picture
    and a text line. The picture is the SVG, unless that exceeds ``_SVG_LIMIT_BYTES``:
    then it is a PNG at ``_PNG_SCALE`` pixels per CSS pixel, and the metadata give its
    size in CSS pixels so front ends show it at the chart's size. Altair's embed
    ``options`` are ignored.

    Examples
    --------
    >>> table = pd.DataFrame({"x": [0.5, 1.0, 2.0], "y": [1.0, 3.0, 2.0]})
    >>> chart = alt.Chart(table, title="t").mark_line().encode(x="x", y="y")
    >>> bundle, metadata = _course_renderer(chart.to_dict())
    >>> sorted(bundle), metadata
    (['application/vnd.vegalite.v5+json', 'image/svg+xml', 'text/plain'], {})
    >>> next(iter(bundle["application/vnd.vegalite.v5+json"]["datasets"].values()))
    'x,y\n0.5,1\n1,3\n2,2'
    >>> dense = pd.DataFrame({"x": np.arange(2000.0), "y": np.arange(2000.0) % 37})
    >>> bundle, metadata = _course_renderer(alt.Chart(dense).mark_circle().encode(x="x", y="y").to_dict())
    >>> sorted(bundle), metadata["image/png"]["width"] > 300
    (['application/vnd.vegalite.v5+json', 'image/png', 'text/plain'], True)
    """
    spec = _csv_datasets(spec)
    svg = vl_convert.vegalite_to_svg(spec, vl_version=_VEGALITE_VERSION)
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    bundle = {_VEGALITE_MIME: spec, "text/plain": f"<Altair chart{': ' + str(title) if title else ''}>"}
    if len(svg.encode("utf-8")) <= _SVG_LIMIT_BYTES:
        bundle["image/svg+xml"] = svg
        return bundle, {}
    png = _compact_png(vl_convert.vegalite_to_png(spec, vl_version=_VEGALITE_VERSION, scale=_PNG_SCALE))
    bundle["image/png"] = base64.b64encode(png).decode("ascii")
    with Image.open(io.BytesIO(png)) as image:
        width, height = image.size
    return bundle, {"image/png": {"width": round(width / _PNG_SCALE), "height": round(height / _PNG_SCALE)}}


def _csv_number(value) -> str:
    """A number as CSV text that reads back as the same float: Python's shortest repr, ``.0`` dropped.

    The repr is exact and the same on every machine, and the digits are those the JSON
    view would hold (``json`` writes floats with the same repr).

    Examples
    --------
    >>> [_csv_number(v) for v in (0.1234, 123000.0, -0.0, 1.2e-05, 3, np.float64(2.5), np.int64(7))]
    ['0.1234', '123000', '-0', '1.2e-05', '3', '2.5', '7']
    """
    if isinstance(value, numbers.Integral):
        return str(int(value))
    text = float.__repr__(float(value))
    return text[:-2] if text.endswith(".0") else text


def _csv_text(text: str) -> str:
    """A string as a CSV field: quoted (quotes doubled) if it holds a comma, quote or line break."""
    if any(character in text for character in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _is_csv_number(value) -> bool:
    """A finite int or float (not a boolean, which is an int to Python but not to Vega)."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, numbers.Integral):
        return True
    return isinstance(value, numbers.Real) and math.isfinite(value)


def _rows_as_csv(rows) -> tuple[str, list[str]] | None:
    r"""Rows of a dataset as (CSV text, numeric columns), or None if CSV could not hold them exactly.

    CSV holds them exactly when the rows are flat dicts with the same columns in the same
    order, and each column is all finite numbers or all strings (no null, boolean, NaN,
    nested or mixed values). Column names must be plain: not empty, and without the
    ``.``, ``[``, ``]`` or ``\`` with which Vega-Lite reads a field name as a path. The text
    has a header line and no final line break.

    Examples
    --------
    >>> _rows_as_csv([{"x": 1.5, "label": "a, b"}, {"x": 2.0, "label": 'say "hi" now'}])
    ('x,label\n1.5,"a, b"\n2,"say ""hi"" now"', ['x'])
    >>> _rows_as_csv([{"x": 1.5}, {"x": None}]) is None
    True
    """
    if not isinstance(rows, list) or not rows or not all(isinstance(row, dict) for row in rows):
        return None
    columns = list(rows[0])
    if not columns or not all(
        isinstance(column, str) and column and not set(column) & set(".[]\\") for column in columns
    ):
        return None  # an empty name, or one Vega-Lite would read as a path (a.b, a[0])
    if any(list(row) != columns for row in rows):
        return None
    numeric = []
    for column in columns:
        values = [row[column] for row in rows]
        if all(_is_csv_number(value) for value in values):
            numeric.append(column)
        elif not all(isinstance(value, str) for value in values):
            return None
    writers = [_csv_number if column in numeric else _csv_text for column in columns]
    lines = [",".join(_csv_text(column) for column in columns)]
    lines += [",".join(write(row[column]) for write, column in zip(writers, columns)) for row in rows]
    return "\n".join(lines), numeric


def _data_references(node, found: dict) -> None:
    """Collect, by name, every ``{"name": ...}`` data object (a view's ``data``, a lookup's ``from``)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if (
                key == "data"
                and isinstance(value, dict)
                and set(value) == {"name"}
                and isinstance(value["name"], str)
            ):
                found.setdefault(value["name"], []).append(value)
            else:
                _data_references(value, found)
    elif isinstance(node, list):
        for item in node:
            _data_references(item, found)


def _csv_datasets(spec: dict) -> dict:
    r"""The spec with its named ``datasets`` embedded as CSV text wherever that is exact.

    Altair puts a chart's rows in the top-level ``datasets`` and points each view at them
    with ``{"name": ...}``. JSON rows repeat every column name on every row, and a notebook
    (indented JSON) spends a line per value; CSV text is a quarter to a half of that. Each such
    dataset becomes one string, and each reference to it says
    ``"format": {"type": "csv", "parse": {<numeric column>: "number", ...}}``, so
    Vega-Lite reads the numbers back as the same floats and leaves string columns as
    strings — whatever the fields are used for (encodings, tooltips, filters).

    A dataset stays as JSON rows if CSV could not hold it exactly (:func:`_rows_as_csv`) or
    if its name occurs in the spec other than as ``{"name": ...}`` (say in an expression,
    ``data('name')``; Altair's names, ``data-<hash>``, do not); a spec with temporal fields
    is left alone (Vega-Lite would parse dates itself). The input is not modified.

    Examples
    --------
    >>> table = pd.DataFrame({"x": [0.25, 1e-05], "group": ["a", "b"]})
    >>> chart = alt.Chart(table).mark_point().encode(x="x", color="group")
    >>> spec = _csv_datasets(chart.to_dict())
    >>> spec["data"]["format"], next(iter(spec["datasets"].values()))
    ({'type': 'csv', 'parse': {'x': 'number'}}, 'x,group\n0.25,a\n1e-05,b')
    """
    datasets = spec.get("datasets")
    if not isinstance(datasets, dict) or not datasets:
        return spec
    views = {key: value for key, value in spec.items() if key != "datasets"}
    text = json.dumps(views)
    if '"temporal"' in text or '"timeUnit"' in text:
        return spec
    views = copy.deepcopy(views)
    references: dict[str, list] = {}
    _data_references(views, references)
    compact = {}
    for name, rows in datasets.items():
        uses = references.get(name, [])
        named_elsewhere = text.count(json.dumps(name)[1:-1]) != len(
            uses
        )  # e.g. in an expression: data('name')
        converted = None if named_elsewhere else _rows_as_csv(rows)
        if converted is None:
            compact[name] = rows
            continue
        compact[name], numeric = converted
        data_format = {"type": "csv"}
        if numeric:
            data_format["parse"] = dict.fromkeys(numeric, "number")
        for use in uses:
            use["format"] = copy.deepcopy(data_format)
    return {**views, "datasets": compact}


def _compact_png(png: bytes) -> bytes:
    """vl-convert's PNG made small: flattened on white, 256 colours, optimised, marked at its ppi.

    vl-convert writes RGBA compressed for speed. A chart is opaque and nearly all of its
    pixels take a few colours (background, text, the series), so a 256-colour palette image
    without dithering is two to eight times smaller, with only the anti-aliased shades of
    overlapping points moved to a near colour (a mean change of about 0.1 of 255 levels).

    Examples
    --------
    >>> spec = alt.Chart(pd.DataFrame({"x": [0, 1], "y": [1, 0]})).mark_line().encode(x="x", y="y").to_dict()
    >>> with Image.open(io.BytesIO(_compact_png(vl_convert.vegalite_to_png(spec, scale=2)))) as image:
    ...     image.mode, [round(ppi) for ppi in image.info["dpi"]]
    ('P', [144, 144])
    """
    with Image.open(io.BytesIO(png)) as image:
        rgba = image.convert("RGBA")
    flat = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("RGB")
    palette = flat.quantize(colors=256, dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True, dpi=(72 * _PNG_SCALE, 72 * _PNG_SCALE))
    return out.getvalue()


def use_course_renderer() -> None:
    """Display Altair charts as Vega-Lite (interactive in JupyterLab) plus a static picture.

    Call it once in a notebook's setup cell. Each chart then shows as the bundle the
    module's docstring describes: its Vega-Lite spec with the data as CSV text, an SVG (or,
    for a dense chart, a PNG) and a text line. It also lifts Altair's 5,000-row limit,
    since the course's charts embed their (rounded) data.

    Examples
    --------
    >>> use_course_renderer()
    >>> alt.renderers.active
    'bda_course'
    """
    alt.renderers.register("bda_course", _course_renderer)
    alt.renderers.enable("bda_course")
    alt.data_transformers.disable_max_rows()


def round_significant(values, digits: int = 4) -> np.ndarray:
    """Round to ``digits`` significant digits, so chart data do not carry float noise.

    Examples
    --------
    >>> round_significant([123456.0, 0.000123456, 0.0], 3).tolist()
    [123000.0, 0.000123, 0.0]
    """
    values = np.asarray(values, dtype=float)
    # Formatting with "g" rounds in decimal exactly; arithmetic with powers of ten would not.
    rounded = [float(f"{value:.{digits}g}") for value in values.ravel()]
    return np.array(rounded).reshape(values.shape)


def dose_response_chart(data: BioassayData, *, alpha=None, beta=None) -> alt.Chart:
    """Observed death proportions y/n against log dose, optionally with logistic curves.

    Parameters
    ----------
    data : BioassayData
    alpha, beta : array_like, optional
        Parameter values (e.g. a few posterior draws) whose curves
        ``logit⁻¹(alpha + beta x)`` are drawn under the points.

    Examples
    --------
    >>> from bda_helpers import load_bioassay
    >>> chart = dose_response_chart(load_bioassay(), alpha=[0.8, 1.2], beta=[7.7, 9.0])
    >>> chart.to_dict()["layer"][1]["mark"]["type"]
    'circle'
    """
    observed = pd.DataFrame(
        {"log dose": data.x, "proportion dead": data.y / data.n, "deaths": data.y, "animals": data.n}
    )
    points = (
        alt.Chart(observed)
        .mark_circle(size=90, color="black")
        .encode(
            x=alt.X("log dose:Q", title="log dose x  (log g/ml)"),
            y=alt.Y(
                "proportion dead:Q", title="proportion of animals that died", scale=alt.Scale(domain=[0, 1])
            ),
            tooltip=["log dose", "deaths", "animals"],
        )
    )
    if alpha is None and beta is None:
        return points.properties(width=360, height=240)
    alpha, beta = np.broadcast_arrays(np.atleast_1d(alpha), np.atleast_1d(beta))
    x = np.linspace(data.x.min() - 0.3, data.x.max() + 0.3, 60)
    curves = pd.DataFrame(
        {
            "curve": np.repeat(np.arange(alpha.size), x.size),
            "log dose": np.tile(round_significant(x), alpha.size),
            "proportion dead": round_significant(
                (1.0 / (1.0 + np.exp(-(alpha[:, None] + beta[:, None] * x)))).ravel()
            ),
        }
    )
    lines = (
        alt.Chart(curves)
        .mark_line(opacity=0.25, color="steelblue")
        .encode(x="log dose:Q", y="proportion dead:Q", detail="curve:N")
    )
    return (lines + points).properties(width=360, height=240)


def _band_rows(bands: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The bands (wider first) and the medians of :func:`dose_response_bands_chart` as rounded rows."""

    if not isinstance(bands, dict):
        raise TypeError(
            "bands must be a dict of source name to DoseResponseBands, e.g. {'exact (grid)': bands}, "
            f"got {type(bands).__name__}"
        )
    check_not_empty(bands, "bands", "source's DoseResponseBands (bioassay.dose_response_bands)")
    areas, medians = [], []
    for name, result in bands.items():
        if not isinstance(result, DoseResponseBands):
            raise TypeError(
                f"bands[{name!r}] must be a DoseResponseBands (from bioassay.dose_response_bands), "
                f"got {type(result).__name__}"
            )
        x = round_significant(result.x)
        labels = {level: f"{100 * level:g}%" for level in result.levels}
        if len(set(labels.values())) != len(labels):
            raise ValueError(
                f"bands[{name!r}] has levels {list(result.levels)} whose labels {list(labels.values())} "
                "repeat: use levels that differ in their first 6 significant digits of percent"
            )
        for level in sorted(result.levels, reverse=True):
            lower, upper = result.band(level)
            areas.append(
                pd.DataFrame(
                    {
                        "log dose": x,
                        "lower": round_significant(lower),
                        "upper": round_significant(upper),
                        "source": name,
                        "band": labels[level],
                    }
                )
            )
        medians.append(
            pd.DataFrame({"log dose": x, "median": round_significant(result.median), "source": name})
        )
    return pd.concat(areas, ignore_index=True), pd.concat(medians, ignore_index=True)


def dose_response_bands_chart(data: BioassayData, bands: dict, *, title: str = "") -> alt.LayerChart:
    """Posterior bands of the dose–response curve from one or more sources, with the data on top.

    Each source gets one colour: its central bands as shaded areas (the wider the band, the
    lighter), its median as a line. The observed proportions y/n are the black points of
    :func:`dose_response_chart`, drawn last.

    Parameters
    ----------
    data : BioassayData
    bands : dict of str to DoseResponseBands
        One entry per source, e.g. ``{"Laplace": ..., "exact (grid)": ...}`` from
        :func:`bda_helpers.bioassay.dose_response_bands`; listed in the legend in this order.
    title : str, optional

    Raises
    ------
    ValueError
        If ``bands`` is empty, or two levels of one source have the same label (levels are
        labelled in percent with up to 6 significant digits: 0.999 is "99.9%").
    TypeError
        If ``data`` is not a ``BioassayData``, ``bands`` is not a dict, or an entry of ``bands``
        is not a ``DoseResponseBands``.

    Examples
    --------
    >>> from bda_helpers import bioassay, load_bioassay
    >>> theta = np.random.default_rng(0).normal([0.8, 7.7], [1.0, 4.9], size=(200, 2))
    >>> bands = bioassay.dose_response_bands(theta, np.linspace(-1, 1, 21))
    >>> spec = dose_response_bands_chart(load_bioassay(), {"normal": bands}).to_dict()
    >>> [layer["mark"]["type"] for layer in spec["layer"]]
    ['area', 'line', 'circle']
    """
    if not isinstance(data, BioassayData):
        raise TypeError(f"data must be a BioassayData (e.g. load_bioassay()), got {type(data).__name__}")
    areas, medians = _band_rows(bands)
    sources, levels = list(bands), sorted(set(areas["band"]), key=lambda label: -float(label[:-1]))
    colour = alt.Color(
        "source:N",
        title="posterior",
        sort=sources,
        scale=alt.Scale(domain=sources),
        legend=alt.Legend(labelLimit=320),
    )
    doses = [float(areas["log dose"].min()), float(areas["log dose"].max())]
    x = alt.X("log dose:Q", title="log dose x  (log g/ml)", scale=alt.Scale(domain=doses, nice=False))
    shaded = (
        alt.Chart(areas)
        .mark_area()
        .encode(
            x=x,
            # the points' title: one axis title for curves and data (a curve is the expected proportion)
            y=alt.Y("lower:Q", title="proportion of animals that died", scale=alt.Scale(domain=[0, 1])),
            y2="upper:Q",
            color=colour,
            opacity=alt.Opacity(
                "band:N",
                title="central band",
                sort=levels,
                scale=alt.Scale(domain=levels, range=list(np.linspace(0.15, 0.4, len(levels)).round(2))),
            ),
            detail="source:N",
        )
    )
    lines = (
        alt.Chart(medians)
        .mark_line()
        .encode(x=x, y="median:Q", color=colour, tooltip=["source:N", "log dose:Q", "median:Q"])
    )
    points = dose_response_chart(data).encode(x=x)  # the same dose axis, not widened to "nice" values
    return alt.layer(shaded, lines, points, title=title).properties(width=360, height=240)


#: Axis titles for the parameter names the course uses; any other name is its own title.
_AXIS_TITLES = {"alpha": "α", "beta": "β", "log_beta": "log β", "mu": "μ", "sigma": "σ", "log_sigma": "log σ"}


def _field_name(name: str) -> str:
    """A Vega-Lite field name for parameter ``name``: brackets and dots would address nested data."""
    return re.sub(r"\W", "_", name)


def posterior_region_chart(grid: GridPosterior, *, title: str = "") -> alt.Chart:
    """Highest-density regions of a grid posterior (50/80/95/99 %) as filled contour bands.

    Each grid cell is coloured by the smallest highest-density region that contains it
    (:meth:`GridPosterior.credible_level`), which reads like a contour plot. Cells outside
    the 99 % region are left blank. Use a moderate grid (a few thousand cells): every cell
    is one rectangle in the chart. The axes are the grid's two parameters, named after
    :attr:`GridPosterior.names` (``alpha`` and ``beta`` are titled α and β).

    Examples
    --------
    >>> grid = GridPosterior.from_log_density(
    ...     lambda theta: -0.5 * (theta**2).sum(axis=-1), (np.linspace(-4, 4, 21), np.linspace(-4, 4, 31)),
    ...     names=("alpha", "beta"))
    >>> spec = posterior_region_chart(grid, title="standard normal").to_dict()
    >>> spec["mark"]["type"], spec["encoding"]["x"]["field"], spec["encoding"]["x"]["title"]
    ('rect', 'alpha', 'α')
    """
    level = grid.credible_level()
    band = np.searchsorted(np.array(_CREDIBLE_LEVELS), level, side="left")
    labels = np.array([f"{p:.0%}" for p in _CREDIBLE_LEVELS] + [""])[band]
    x_axis, y_axis = grid.axes
    x_name, y_name = (_field_name(name) for name in grid.names)
    x_mesh, y_mesh = np.meshgrid(x_axis, y_axis, indexing="ij")
    half = grid.step / 2
    inside = band < len(_CREDIBLE_LEVELS)
    cells = pd.DataFrame(
        {
            x_name: round_significant(x_mesh[inside] - half[0]),
            f"{x_name}_end": round_significant(x_mesh[inside] + half[0]),
            y_name: round_significant(y_mesh[inside] - half[1]),
            f"{y_name}_end": round_significant(y_mesh[inside] + half[1]),
            "region": labels[inside],
        }
    )
    order = [f"{p:.0%}" for p in _CREDIBLE_LEVELS]
    return (
        alt.Chart(cells, title=title)
        .mark_rect()
        .encode(
            x=alt.X(
                f"{x_name}:Q",
                title=_AXIS_TITLES.get(grid.names[0], grid.names[0]),
                scale=alt.Scale(domain=[float(x_axis[0] - half[0]), float(x_axis[-1] + half[0])], nice=False),
            ),
            x2=f"{x_name}_end:Q",
            y=alt.Y(
                f"{y_name}:Q",
                title=_AXIS_TITLES.get(grid.names[1], grid.names[1]),
                scale=alt.Scale(domain=[float(y_axis[0] - half[1]), float(y_axis[-1] + half[1])], nice=False),
            ),
            y2=f"{y_name}_end:Q",
            color=alt.Color(
                "region:O",
                title="HPD region",
                sort=order,
                scale=alt.Scale(domain=order, scheme="blues", reverse=True),
            ),
        )
        .properties(width=360, height=360)
    )


def draws_chart(draws: dict[str, np.ndarray], *, title: str = "", opacity: float = 0.35) -> alt.Chart:
    """Scatter of (alpha, beta) draws, one colour per source.

    Parameters
    ----------
    draws : dict of str to array of shape (n, 2)
        E.g. ``{"grid": grid_draws, "Laplace": laplace_draws}``.
    title : str, optional
    opacity : float, default 0.35

    Raises
    ------
    ValueError
        If ``draws`` is empty, or a source's draws are not a finite array of shape ``(n, 2)``.

    Examples
    --------
    >>> draws = np.random.default_rng(0).normal(size=(50, 2))
    >>> spec = draws_chart({"normal": draws}).to_dict()
    >>> spec["params"][0]["name"]   # an explicit name keeps the spec the same on every run
    'zoom_draws'
    """
    check_not_empty(draws, "draws", "source of draws")
    frames = []
    for name, d in draws.items():
        d = np.asarray(d, dtype=float)
        if d.ndim != 2 or d.shape[1] != 2 or d.shape[0] == 0:
            raise ValueError(f"draws {name!r} must have shape (n, 2) with n >= 1, got shape {d.shape}")
        check_finite(d, f"draws {name!r}")
        frames.append(
            pd.DataFrame(
                {"alpha": round_significant(d[:, 0]), "beta": round_significant(d[:, 1]), "source": name}
            )
        )
    zoom = alt.selection_interval(bind="scales", name="zoom_draws")
    return (
        alt.Chart(pd.concat(frames, ignore_index=True), title=title)
        .mark_circle(size=12, opacity=opacity)
        .encode(
            x=alt.X("alpha:Q", title="α"),
            y=alt.Y("beta:Q", title="β"),
            color=alt.Color("source:N", title="draws from", sort=list(draws)),  # legend in the order given
        )
        .add_params(zoom)
        .properties(width=360, height=360)
    )


def lines_chart(
    x,
    curves: dict[str, np.ndarray],
    *,
    x_title: str = "x",
    y_title: str = "density",
    title: str = "",
    log_x: bool = False,
    log_y: bool = False,
) -> alt.Chart:
    """Several named curves over one x axis, e.g. an exact density against its Laplace fit.

    Parameters
    ----------
    x : array_like, shape (m,)
    curves : dict of str to array_like of shape (m,)
        One line per entry (at least one), coloured and listed in the legend in the dict's
        order. Values must be finite: a NaN would silently break the line.
    x_title, y_title, title : str, optional
    log_x, log_y : bool, default False
        Logarithmic axes (all values on that axis must then be positive).

    Raises
    ------
    ValueError
        If ``curves`` is empty, ``x`` or a curve is not finite, a curve's shape differs from
        ``x``'s, or a logarithmic axis has values that are not positive.

    Examples
    --------
    >>> x = np.linspace(-3, 3, 61)
    >>> chart = lines_chart(x, {"exact": np.exp(-x**2 / 2), "fit": np.exp(-x**2 / 3)})
    >>> chart.to_dict()["encoding"]["color"]["sort"]
    ['exact', 'fit']
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"x must be 1-D, got shape {x.shape}")
    check_finite(x, "x")
    check_not_empty(curves, "curves", "curve")
    frames = []
    for name, y in curves.items():
        y = np.asarray(y, dtype=float)
        if y.shape != x.shape:
            raise ValueError(f"curve {name!r} has shape {y.shape}, but x has shape {x.shape}")
        check_finite(y, f"curve {name!r}")
        frames.append(pd.DataFrame({"x": round_significant(x), "y": round_significant(y), "curve": name}))
    for axis, values, log in (("x", x, log_x), ("y", np.concatenate([f["y"] for f in frames]), log_y)):
        if log and not (values > 0).all():
            raise ValueError(f"a logarithmic {axis} axis needs positive values")
    return (
        alt.Chart(pd.concat(frames, ignore_index=True), title=title)
        .mark_line()
        .encode(
            x=alt.X("x:Q", title=x_title, scale=alt.Scale(type="log") if log_x else alt.Scale(zero=False)),
            y=alt.Y("y:Q", title=y_title, scale=alt.Scale(type="log") if log_y else alt.Scale()),
            color=alt.Color("curve:N", title="", sort=list(curves)),
            tooltip=[alt.Tooltip("curve:N"), alt.Tooltip("x:Q"), alt.Tooltip("y:Q")],
        )
        .properties(width=360, height=240)
    )


def histogram_chart(
    values: dict[str, np.ndarray], edges, *, x_title: str = "value", title: str = ""
) -> alt.Chart:
    """Overlaid density histograms of several samples on shared bin ``edges``.

    The counts are computed here (only the bars go into the chart), each sample scaled to
    unit area over *all* its values, so samples of different sizes compare directly.
    Values outside ``[edges[0], edges[-1]]`` cannot be drawn; the chart's subtitle says
    how many each sample has there, so nothing disappears silently.

    Parameters
    ----------
    values : dict of str to array_like, 1-D
        One sample per entry (at least one), e.g. ``{"grid": ld50_grid, "Laplace": ld50_laplace}``.
    edges : array_like
        Increasing bin edges.
    x_title, title : str, optional

    Raises
    ------
    ValueError
        If ``values`` is empty, a sample is not a non-empty 1-D array of finite values, or
        ``edges`` is not increasing.

    Examples
    --------
    >>> sample = np.array([-0.5, 0.1, 0.2, 3.0])
    >>> chart = histogram_chart({"draws": sample}, np.linspace(-1, 1, 5), title="demo")
    >>> chart.to_dict()["title"]["subtitle"]
    'outside [-1, 1]: draws 1 of 4'
    """
    edges = np.asarray(edges, dtype=float)
    if edges.ndim != 1 or edges.size < 2 or not (np.diff(edges) > 0).all():
        raise ValueError("edges must be a 1-D increasing array of at least two values")
    check_not_empty(values, "values", "sample")
    frames, outside = [], []
    for name, sample in values.items():
        sample = np.asarray(sample, dtype=float)
        if sample.ndim != 1 or sample.size == 0 or not np.isfinite(sample).all():
            raise ValueError(f"sample {name!r} must be a non-empty 1-D array of finite values")
        counts, _ = np.histogram(sample, edges)
        n_outside = sample.size - int(counts.sum())
        if n_outside:
            outside.append(f"{name} {n_outside} of {sample.size}")
        frames.append(
            pd.DataFrame(
                {
                    "start": round_significant(edges[:-1]),
                    "end": round_significant(edges[1:]),
                    "density": round_significant(counts / (sample.size * np.diff(edges))),
                    "sample": name,
                }
            )
        )
    subtitle = f"outside [{edges[0]:g}, {edges[-1]:g}]: " + ", ".join(outside) if outside else ""
    return (
        alt.Chart(pd.concat(frames, ignore_index=True), title=alt.Title(title, subtitle=subtitle))
        .mark_bar(opacity=0.5, binSpacing=0)
        .encode(
            x=alt.X(
                "start:Q",
                title=x_title,
                scale=alt.Scale(domain=[float(edges[0]), float(edges[-1])], nice=False),
            ),
            x2="end:Q",
            y=alt.Y("density:Q", title="density", stack=None),
            y2=alt.datum(0),  # bars rise from 0: with x and x2 both set, a bar alone would be a thin tick
            color=alt.Color("sample:N", title="", sort=list(values)),
        )
        .properties(width=360, height=240)
    )


def _check_ellipse_points(n_points) -> int:
    """``n_points`` as an int if it is an integer of at least 4 (a closed ellipse needs 3 + 1)."""
    return check_int(n_points, "n_points", minimum=4)


def _ellipse_frame(mean: np.ndarray, cholesky: np.ndarray, level: float, n_points: int) -> pd.DataFrame:
    """The ``level`` highest-density ellipse of N(mean, L Lᵀ) as ``n_points`` rounded (alpha, beta)
    rows in drawing order, the first repeated at the end.

    It is ``mean + L (r cos t, r sin t)`` with Mahalanobis radius ``r = sqrt(chi2.ppf(level, 2))
    = sqrt(-2 log(1 - level))``.
    """
    angle = np.linspace(0.0, 2 * np.pi, n_points)
    angle[-1] = 0.0  # close the ellipse exactly
    circle = np.column_stack([np.cos(angle), np.sin(angle)])
    radius = np.sqrt(-2.0 * np.log1p(-level))  # chi2.ppf(level, 2), in closed form
    points = mean + radius * circle @ np.asarray(cholesky).T
    return pd.DataFrame(
        {
            "alpha": round_significant(points[:, 0]),
            "beta": round_significant(points[:, 1]),
            "order": np.arange(n_points),
        }
    )


def laplace_ellipses_chart(
    approx, levels=_CREDIBLE_LEVELS, *, n_points: int = 121, title: str = ""
) -> alt.Chart:
    """The highest-density ellipses of a two-parameter normal (Laplace) approximation.

    For a normal N(mode, cov) the ``level`` highest-density region is the ellipse of
    Mahalanobis radius ``r = sqrt(chi2.ppf(level, 2)) = sqrt(-2 log(1 - level))``, i.e.
    the points ``mode + L (r cos t, r sin t)`` with ``L`` the Cholesky factor of ``cov``.
    Drawn as black lines, it layers over :func:`posterior_region_chart` (whose bands are
    the same 50/80/95/99 % levels of the exact posterior) to compare the two in one
    picture: ``posterior_region_chart(grid) + laplace_ellipses_chart(approx)``.

    Parameters
    ----------
    approx : LaplaceApproximation
        A two-parameter approximation, parameters (alpha, beta).
    levels : sequence of float, default (0.5, 0.8, 0.95, 0.99)
        Probabilities strictly between 0 and 1.
    n_points : int, default 121
        Points per ellipse (the first is repeated at the end to close it); a Python or
        numpy integer.
    title : str, optional

    Raises
    ------
    TypeError
        If ``approx`` is not a :class:`~bda_helpers.LaplaceApproximation`.
    ValueError
        If it does not have two parameters, ``levels`` are not probabilities strictly
        between 0 and 1, or ``n_points`` is not an integer of at least 4.

    Examples
    --------
    >>> from bda_helpers import LaplaceApproximation
    >>> approx = LaplaceApproximation.from_mode([0.0, 0.0], [[-1.0, 0.0], [0.0, -4.0]])
    >>> spec = laplace_ellipses_chart(approx, [0.5], n_points=5).to_dict()
    >>> rows = next(iter(spec["datasets"].values()))
    >>> len(rows), max(row["alpha"] for row in rows), max(row["beta"] for row in rows)
    (5, 1.177, 0.5887)

    The 50 % radius is ``sqrt(2 log 2) ≈ 1.177`` sds; beta's sd is 1/2.
    """
    if not isinstance(approx, LaplaceApproximation):
        raise TypeError(
            "approx must be a LaplaceApproximation (e.g. from laplace or LaplaceApproximation.from_mode), "
            f"got {type(approx).__name__}"
        )
    mode = np.asarray(approx.mode, dtype=float)
    if mode.shape != (2,):
        raise ValueError(f"the approximation must have two parameters (alpha, beta), got {mode.size}")
    levels = np.asarray(levels, dtype=float)
    if levels.ndim != 1 or levels.size == 0 or np.any(~((levels > 0) & (levels < 1))):
        raise ValueError(f"levels must be probabilities strictly between 0 and 1, got {levels.tolist()}")
    n_points = _check_ellipse_points(n_points)
    frames = [
        _ellipse_frame(mode, approx.cholesky, level, n_points).assign(
            level=f"{level:.0%}", curve="Laplace ellipses"
        )
        for level in levels
    ]
    return (
        alt.Chart(pd.concat(frames, ignore_index=True), title=title)
        .mark_line(color="black", strokeWidth=1.2, clip=True)
        .encode(
            x=alt.X("alpha:Q", title="α"),
            y=alt.Y("beta:Q", title="β"),
            order="order:Q",
            detail="level:N",
            strokeDash=alt.StrokeDash("curve:N", title=""),
            tooltip=[alt.Tooltip("level:N", title="Laplace HPD ellipse")],
        )
        .properties(width=360, height=360)
    )


def draws_with_points_chart(
    draws: dict[str, np.ndarray], points: dict[str, np.ndarray], *, title: str = "", opacity: float = 0.35
) -> alt.LayerChart:
    """:func:`draws_chart` with a few marked points on top, e.g. the posterior mode.

    Parameters
    ----------
    draws : dict of str to array of shape (n, 2)
        (alpha, beta) draws per source, as for :func:`draws_chart`.
    points : dict of str to array_like of shape (2,)
        Labelled (alpha, beta) points, drawn as black crosses with their labels beside them.
    title : str, optional
    opacity : float, default 0.35

    Examples
    --------
    >>> draws = np.random.default_rng(0).normal(size=(50, 2))
    >>> spec = draws_with_points_chart({"normal": draws}, {"mode": [0.0, 0.0]}, title="t").to_dict()
    >>> spec["params"][0]["views"], spec["layer"][1]["mark"]["shape"]
    (['draws'], 'cross')
    """
    rows = []
    for label, point in points.items():
        point = np.asarray(point, dtype=float)
        if point.shape != (2,) or not np.isfinite(point).all():
            raise ValueError(f"point {label!r} must be a finite (alpha, beta) pair, got {point.tolist()}")
        rows.append(
            {
                "alpha": float(round_significant(point[0])),
                "beta": float(round_significant(point[1])),
                "point": label,
            }
        )
    scatter = draws_chart(draws, opacity=opacity).properties(
        name="draws"
    )  # a named view: no auto-numbered name
    marked = alt.Chart(pd.DataFrame(rows)).encode(
        x="alpha:Q", y="beta:Q", tooltip=["point:N", "alpha:Q", "beta:Q"]
    )
    crosses = marked.mark_point(shape="cross", size=220, color="black", filled=True, opacity=1)
    labels = marked.mark_text(align="left", dx=10, dy=-8, fontWeight="bold").encode(text="point:N")
    return alt.layer(scatter, crosses, labels, title=title)


def _check_steps(steps) -> np.ndarray:
    """``steps`` as a 1-D float array, refused unless every step is positive and finite."""
    steps = np.asarray(steps, dtype=float)
    if steps.ndim != 1 or not (np.isfinite(steps) & (steps > 0)).all():
        raise ValueError(f"steps must be a 1-D array of positive, finite numbers, got {steps.tolist()}")
    return steps


def _step_mark_rows(marks: dict) -> pd.DataFrame:
    """The marked steps as rows (h, label, row: the label's offset from the top), each mark
    refused unless it is a positive, finite number."""
    for label, value in marks.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"mark {label!r} must be a number (a step), got {type(value).__name__}")
        if not (np.isfinite(value) and value > 0):
            raise ValueError(
                f"mark {label!r} must be a positive, finite step for a logarithmic axis, got {value}"
            )
    return pd.DataFrame(
        {
            "h": round_significant(list(marks.values())),
            "label": list(marks),
            "row": 14.0 * np.arange(len(marks)),
        }
    )


def _step_error_rows(steps: np.ndarray, errors: dict, references: dict) -> pd.DataFrame:
    """The curves as rows (h, error, curve, kind), each refused unless it has the steps' shape
    and positive, finite values; reference points more than a factor of 10 outside the
    measured errors' range are left out. Rounded to 4 significant digits."""
    frames = []
    for kind, curves in (("measured", errors), ("reference", references)):
        for name, values in curves.items():
            values = np.asarray(values, dtype=float)
            if values.shape != steps.shape:
                raise ValueError(
                    f"curve {name!r} has shape {values.shape}, but steps has shape {steps.shape}"
                )
            if not (np.isfinite(values) & (values > 0)).all():
                raise ValueError(f"curve {name!r} must be positive and finite for a logarithmic axis")
            frames.append(pd.DataFrame({"h": steps, "error": values, "curve": name, "kind": kind}))
    if not errors:
        raise ValueError("errors must hold at least one measured curve")
    measured = np.concatenate([np.asarray(v, dtype=float) for v in errors.values()])
    low, high = measured.min() / 10.0, measured.max() * 10.0
    table = pd.concat(frames, ignore_index=True)
    table = table[(table["kind"] == "measured") | table["error"].between(low, high)]
    return table.assign(h=round_significant(table["h"]), error=round_significant(table["error"]))


def _step_error_encoding(x_title: str, y_title: str, curves: list[str]) -> dict:
    """The encoding of :func:`step_error_chart`'s curves: log–log axes, a colour per curve (in
    the order given), solid lines for measured errors and dashed ones for references."""
    log_axis = {"scale": alt.Scale(type="log"), "axis": alt.Axis(format=".0e")}
    return {
        "x": alt.X("h:Q", title=x_title, **log_axis),
        "y": alt.Y("error:Q", title=y_title, **log_axis),
        "color": alt.Color(
            "curve:N", title="", sort=curves, legend=alt.Legend(symbolType="stroke", labelLimit=320)
        ),
        "strokeDash": alt.StrokeDash(
            "kind:N",
            title="",
            scale=alt.Scale(domain=["measured", "reference"], range=[[1, 0], [5, 4]]),
            legend=None,
        ),
        "tooltip": [
            alt.Tooltip("curve:N"),
            alt.Tooltip("h:Q", format=".2e"),
            alt.Tooltip("error:Q", format=".2e"),
        ],
    }


def step_error_chart(
    steps,
    errors: dict[str, np.ndarray],
    *,
    references: dict[str, np.ndarray] | None = None,
    marks: dict[str, float] | None = None,
    title: str = "",
    x_title: str = "step h",
    y_title: str = "relative error",
) -> alt.LayerChart:
    """Errors against the step on log–log axes: measured curves, reference slopes, marked steps.

    Parameters
    ----------
    steps : array_like, shape (m,)
        Positive, finite steps, e.g. ``np.logspace(-1, -10, 37)``.
    errors : dict of str to array_like of shape (m,)
        Measured errors (positive and finite), drawn as solid lines with points.
    references : dict of str to array_like of shape (m,), optional
        Reference curves such as ``c * h**2`` or ``eps / h``, drawn dashed (name them so
        the legend says what they are, e.g. ``"∝ h² (truncation)"``). Only their
        points within a factor of 10 of the measured errors' range are drawn, so a
        reference line does not stretch the axis.
    marks : dict of str to float, optional
        Steps (positive, finite numbers) to mark with a labelled vertical rule, e.g.
        ``{"ε^(1/3)": 6.1e-6}``.
    title, x_title, y_title : str, optional

    Raises
    ------
    ValueError
        If ``steps``, an error or reference curve, or a mark is not positive and finite, a
        curve's shape differs from ``steps``'s, or ``errors`` is empty.
    TypeError
        If a mark is not a number.

    Examples
    --------
    >>> h = np.logspace(-1, -8, 8)
    >>> chart = step_error_chart(h, {"central": h**2 + 1e-16 / h}, references={"h²": h**2},
    ...                          marks={"best": 1e-5}, title="U")
    >>> [layer["mark"]["type"] for layer in chart.to_dict()["layer"]]
    ['line', 'line', 'rule', 'text']
    """
    steps = _check_steps(steps)
    references = references or {}
    rule_table = _step_mark_rows(marks or {})
    table = _step_error_rows(steps, errors, references)
    base = alt.Chart(table).encode(**_step_error_encoding(x_title, y_title, [*errors, *references]))
    measured_lines = base.transform_filter(alt.datum.kind == "measured").mark_line(
        point=alt.OverlayMarkDef(size=20)
    )
    reference_lines = base.transform_filter(alt.datum.kind == "reference").mark_line(strokeWidth=1.5)
    rules = alt.Chart(rule_table).mark_rule(color="gray", strokeDash=[2, 2]).encode(x="h:Q")
    labels = (
        alt.Chart(rule_table)
        .mark_text(align="left", dx=3, dy=4, baseline="top", color="gray")
        .encode(x="h:Q", y=alt.Y("row:Q", scale=None), text="label:N")
    )
    return alt.layer(measured_lines, reference_lines, rules, labels, title=title).properties(
        width=420, height=300
    )


#: At most this many slider positions in :func:`step_slider_chart`: every position's row
#: travels in the chart's spec.
_MAX_SLIDER_POSITIONS = 101


def _finite_number(value, name: str) -> float:
    """``value`` as a float, refused unless it is a finite real number (not a boolean)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _slider_positions(log10_steps) -> np.ndarray:
    """The slider's values of ``log10 h``, ``min`` to ``max`` by ``step``, refused unless they are
    finite numbers with ``min < max`` and ``step > 0``, a whole number of steps apart, and at most
    ``_MAX_SLIDER_POSITIONS`` positions."""
    if not isinstance(log10_steps, (tuple, list)) or len(log10_steps) != 3:
        raise TypeError(f"log10_steps must be a tuple (min, max, step), got {log10_steps!r}")
    if any(isinstance(value, bool) or not isinstance(value, numbers.Real) for value in log10_steps):
        raise TypeError(f"log10_steps must hold three numbers, got {log10_steps!r}")
    low, high, step = (float(value) for value in log10_steps)
    if not (np.isfinite([low, high, step]).all() and low < high and step > 0):
        raise ValueError(
            f"log10_steps must be finite (min, max, step) with min < max and step > 0, got {log10_steps}"
        )
    count = (high - low) / step
    if abs(count - round(count)) > 1e-9 * max(1.0, count):
        raise ValueError(f"log10_steps: max - min must be a whole number of steps, got {log10_steps}")
    if round(count) + 1 > _MAX_SLIDER_POSITIONS:
        raise ValueError(
            f"log10_steps gives {round(count) + 1} slider positions, more than {_MAX_SLIDER_POSITIONS}: "
            "every position's row travels in the chart's spec; take a larger step"
        )
    return np.round(low + step * np.arange(round(count) + 1), 10)


def _round_to_spread(values, spread: float) -> np.ndarray:
    """``values`` rounded to 4 decimal digits of ``spread`` (and -0.0 made 0.0): a value that is
    zero up to rounding error, like a gradient at a mode, is then exactly 0 on every CPU."""
    decimals = 4 - math.floor(math.log10(spread))
    return np.round(np.asarray(values, dtype=float), decimals) + 0.0


def _secant_rows(function, centre: float, exact: float, positions: np.ndarray, window: float):
    """The curve on ``centre ± window``, its tangent's ends, and one row per slider position: the
    secant's two points and its ends across the window, its slope's relative error and a label.
    Refuses a step whose error is less than 1000 times the round-off it may carry."""

    def value(point: float) -> float:
        result = function(float(point))
        if isinstance(result, bool) or not isinstance(result, numbers.Real) or not np.isfinite(result):
            raise ValueError(f"function({point!r}) must return a finite number, got {result!r}")
        return float(result)

    x = centre + window * np.linspace(-1.0, 1.0, 161)
    y = np.array([value(point) for point in x])
    spread = float(np.ptp(y)) or 1.0
    h = 10.0**positions
    lower, upper = (np.array([value(centre + sign * step) for step in h]) for sign in (-1, 1))
    slope = (upper - lower) / (2 * h)
    error = np.abs(slope - exact) / abs(exact)
    # Each value f(c ± h) carries a rounding error of about eps |f|, whatever the curve's range.
    scale = float(np.max(np.abs(np.concatenate([y, lower, upper])))) or 1.0
    round_off = np.finfo(float).eps * scale / (h * abs(exact))
    if np.any(too_small := error < 1000 * round_off):
        k = int(np.argmax(too_small))
        advice = (
            "no step of the slider is truncation-dominated (a central difference of a linear or quadratic "
            "function has no truncation error at all; otherwise use larger steps)"
            if too_small.all()
            else "start the slider at a larger step"
        )
        raise ValueError(
            f"at h = {h[k]:.3g} the secant's relative error ({error[k]:.1e}) is less than 1000 times the "
            f"round-off it may carry (eps * max|f| / (h |exact_slope|) = {round_off[k]:.1e}): its printed "
            f"digits would differ between CPUs; {advice}"
        )
    middle = (upper + lower) / 2
    tangent_y = value(centre) + exact * window * np.array([-1.0, 1.0])
    return (
        pd.DataFrame({"x": round_significant(x, 6), "y": _round_to_spread(y, spread)}),
        pd.DataFrame({"x": round_significant(x[[0, -1]], 6), "y": _round_to_spread(tangent_y, spread)}),
        pd.DataFrame(
            {
                "log10_h": positions,
                "h": round_significant(h, 4),
                **{
                    f"x_{end}": round_significant(centre + sign * h, 6)
                    for end, sign in (("minus", -1), ("plus", 1))
                },
                "y_minus": _round_to_spread(lower, spread),
                "y_plus": _round_to_spread(upper, spread),
                "x_left": round_significant(centre - window, 6),
                "x_right": round_significant(centre + window, 6),
                "y_left": _round_to_spread(middle - slope * window, spread),
                "y_right": _round_to_spread(middle + slope * window, spread),
                "error": round_significant(error, 2),
                "label": [
                    f"h = {s:.2g}: slope {m:.4g}, relative error {e:.1e}" for s, m, e in zip(h, slope, error)
                ],
            }
        ),
    )


def _decades(values) -> list[float]:
    """The powers of ten from just below the smallest of ``values`` to just above the largest."""
    low, high = np.log10(np.min(values)), np.log10(np.max(values))
    return [10.0**k for k in range(math.floor(low), math.ceil(high) + 1)]


def _step_slider_panels(curve, tangent, secants, chosen, x_title: str, y_title: str):
    """The two panels of :func:`step_slider_chart`: the slice with its tangent and the chosen
    secant, and the secants' errors with the chosen one marked and labelled."""
    low, high = float(curve["y"].min()), float(curve["y"].max())
    x_scale = alt.Scale(domain=[float(curve["x"].min()), float(curve["x"].max())], nice=False)
    x = alt.X("x:Q", title=x_title, scale=x_scale)
    y = alt.Y(
        "y:Q", title=y_title, scale=alt.Scale(domain=[low - 0.05 * (high - low), high + 0.05 * (high - low)])
    )
    red = "#d62728"
    picked = alt.Chart(secants).transform_filter(chosen)
    slice_panel = alt.layer(
        alt.Chart(curve).mark_line(color="black").encode(x=x, y=y),
        alt.Chart(tangent).mark_line(color="gray", strokeDash=[5, 4], clip=True).encode(x=x, y=y),
        picked.mark_rule(color=red, strokeWidth=2, clip=True).encode(
            x="x_left:Q", y="y_left:Q", x2="x_right:Q", y2="y_right:Q"
        ),
        *[
            picked.mark_point(color=red, filled=True, size=60).encode(x=f"x_{end}:Q", y=f"y_{end}:Q")
            for end in ("minus", "plus")
        ],
    ).properties(width=320, height=260, title="the secant through centre ± h (dashed: the tangent)")
    errors = alt.Chart(secants).encode(
        x=alt.X(
            "h:Q",
            title="step h",
            scale=alt.Scale(type="log"),
            axis=alt.Axis(format=".0e", values=_decades(secants["h"])),
        ),
        y=alt.Y(
            "error:Q",
            title="relative error of the slope",
            scale=alt.Scale(type="log"),
            axis=alt.Axis(format=".0e", values=_decades(secants["error"])),
        ),
    )
    error_panel = alt.layer(
        errors.mark_line(color="gray", point=alt.OverlayMarkDef(size=20, color="gray")),
        errors.transform_filter(chosen).mark_point(color=red, filled=True, size=90),
        errors.transform_filter(chosen)
        .mark_rule(color=red, strokeDash=[2, 2])
        .encode(y=alt.value(0), y2=alt.value(260)),
        picked.mark_text(align="left", baseline="top", color=red).encode(
            x=alt.value(4), y=alt.value(4), text="label:N"
        ),
    ).properties(width=320, height=260, title="its error against h")
    return slice_panel, error_panel


def step_slider_chart(
    function,
    centre: float,
    exact_slope: float,
    *,
    log10_steps: tuple[float, float, float] = (-3.0, 0.5, 0.25),
    initial: float | None = None,
    window: float | None = None,
    title: str = "",
    x_title: str = "θ",
    y_title: str = "f(θ)",
) -> alt.HConcatChart:
    """A central difference as a secant, with a slider for the step ``h`` that needs no kernel.

    Left: ``function`` near ``centre``, its tangent there (slope ``exact_slope``, dashed) and the
    secant through ``centre ± h``, whose slope ``(f(centre + h) - f(centre - h)) / 2h`` is the
    central difference. Right: that slope's relative error against ``h`` (log–log), the chosen
    step marked and its error written out. The slider, a Vega-Lite parameter named ``log10_h``
    bound to a range input, sets ``log10 h``: the browser redraws both panels from rows that
    travel in the spec, one per slider position. A static copy (SVG) shows the ``initial`` step.

    Parameters
    ----------
    function : callable
        ``function(t) -> float`` of one real variable, e.g. one component of a gradient along
        one coordinate.
    centre : float
        Where the derivative is taken.
    exact_slope : float
        The derivative there (non-zero): the reference for the errors.
    log10_steps : (min, max, step), default (-3.0, 0.5, 0.25)
        The slider's range and increment in ``log10 h``: a whole number of increments and at
        most 101 positions. Every step must be on the truncation side (see Raises), so that the
        chart, whose errors are rounded to 2 significant digits, is the same on every CPU.
    initial : float, optional
        The slider's first value, one of its positions; default the middle one.
    window : float, optional
        Half-width of the plotted interval; default 1.25 times the largest step.
    title, x_title, y_title : str, optional

    Raises
    ------
    TypeError
        If ``function`` is not callable, or ``log10_steps`` is not three numbers.
    ValueError
        If ``centre``, ``exact_slope``, ``initial`` or ``window`` is not a finite number,
        ``exact_slope`` is zero, ``window`` is not positive, ``initial`` is not a slider position,
        ``log10_steps`` is not a valid range, ``function`` returns something other than a finite
        number, or a step is so small that the secant's error is less than 1000 times the
        round-off it may carry, ``eps * max|f| / (h |exact_slope|)`` (``max|f|``: the largest
        absolute value of ``function`` at the points it was evaluated at), so that its printed
        digits could differ between CPUs.

    Examples
    --------
    >>> chart = step_slider_chart(np.sin, 0.5, np.cos(0.5), log10_steps=(-2.0, 0.0, 0.5), initial=-1.0)
    >>> [(p["name"], p["value"], p["bind"]["input"]) for p in chart.to_dict()["params"]]
    [('log10_h', -1.0, 'range')]
    >>> step_slider_chart(np.sin, 0.5, np.cos(0.5), log10_steps=(-9.0, 0.0, 1.0))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: at h = 1e-09 the secant's relative error (...) is less than 1000 times the round-off ...
    """
    if not callable(function):
        raise TypeError(f"function must be callable, got {type(function).__name__}")
    centre, exact = _finite_number(centre, "centre"), _finite_number(exact_slope, "exact_slope")
    if exact == 0:
        raise ValueError("exact_slope must be non-zero: the errors are relative to it")
    positions = _slider_positions(log10_steps)
    start = positions[len(positions) // 2] if initial is None else _finite_number(initial, "initial")
    if not np.isclose(positions, start, rtol=0.0, atol=1e-9).any():
        raise ValueError(f"initial must be one of the slider's positions {positions.tolist()}, got {start}")
    window = 1.25 * 10.0 ** positions[-1] if window is None else _finite_number(window, "window")
    if window <= 0:
        raise ValueError(f"window must be positive, got {window}")
    curve, tangent, secants = _secant_rows(function, centre, exact, positions, window)
    increment = float(log10_steps[2])
    slider = alt.param(
        name="log10_h",
        value=float(start),
        bind=alt.binding_range(
            min=float(positions[0]), max=float(positions[-1]), step=increment, name="log₁₀ h "
        ),
    )
    chosen = alt.expr.abs(alt.datum.log10_h - slider) < increment / 2
    slice_panel, error_panel = _step_slider_panels(curve, tangent, secants, chosen, x_title, y_title)
    heading = slider_title(title, "log₁₀ h", float(start))
    return alt.hconcat(slice_panel, error_panel, title=heading).add_params(slider)


def slider_title(title: str, slider: str, initial: float) -> alt.Title:
    """A chart title whose subtitle says the chart has a slider and which value a static copy shows.

    A chart with a slider bound to an Altair parameter is interactive only where Vega-Lite runs
    (JupyterLab); GitHub and nbviewer show the static copy, drawn at the slider's first value.

    Examples
    --------
    >>> subtitle = slider_title("Secants", "log₁₀ h", 0.25).to_dict()["subtitle"]
    >>> subtitle[0].startswith("A slider for log₁₀ h redraws this chart in JupyterLab"), subtitle[1]
    (True, 'log₁₀ h = 0.25.')
    """
    subtitle = [
        f"A slider for {slider} redraws this chart in JupyterLab (no kernel needed); a static copy shows",
        f"{slider} = {initial:g}.",
    ]
    return alt.Title(title, subtitle=subtitle)


def gaussian_ellipses_chart(
    gaussians: dict[str, tuple], *, level: float = 0.95, n_points: int = 121, title: str = ""
) -> alt.Chart:
    """One highest-density ellipse per named two-parameter normal, in its own colour.

    To compare several normal approximations (Laplace, variational, ...) with each other
    and with the exact posterior: ``posterior_region_chart(grid) + gaussian_ellipses_chart(
    {"Laplace": (approx.mode, approx.cov), "full-rank VI": (fit.mean, fit.cov)})``. The
    ellipse of N(mean, cov) at ``level`` is the one :func:`laplace_ellipses_chart` draws. The
    colours go on the ``stroke`` channel, so they do not mix with the region chart's fill.

    Parameters
    ----------
    gaussians : dict of str to (mean, cov)
        Mean of shape (2,) and covariance of shape (2, 2) (symmetric positive definite) of
        (alpha, beta); the legend keeps the dict's order.
    level : float, default 0.95
        Probability of each ellipse, strictly between 0 and 1.
    n_points : int, default 121
        Points per ellipse (the first is repeated at the end to close it); at least 4.
    title : str, optional

    Raises
    ------
    ValueError
        If ``gaussians`` is empty, a mean or covariance has the wrong shape, is not finite,
        or the covariance is not symmetric positive definite (the message names the entry),
        ``level`` is not strictly between 0 and 1, or ``n_points`` is not an integer of at
        least 4.
    TypeError
        If ``level`` is not a number.

    Examples
    --------
    >>> spec = gaussian_ellipses_chart({"wide": ([0.0, 0.0], [[4.0, 0.0], [0.0, 1.0]]),
    ...                                 "narrow": ([1.0, 0.0], [[1.0, 0.0], [0.0, 1.0]])},
    ...                                level=0.5, n_points=5).to_dict()
    >>> rows = next(iter(spec["datasets"].values()))
    >>> [(row["gaussian"], row["alpha"]) for row in rows if row["order"] == 0]   # 50 %: 1.177 sds
    [('wide', 2.355), ('narrow', 2.177)]
    >>> spec["encoding"]["stroke"]["scale"]["domain"]
    ['wide', 'narrow']
    """
    check_not_empty(gaussians, "gaussians", "(mean, cov) pair")
    if isinstance(level, bool) or not isinstance(level, numbers.Real):
        raise TypeError(f"level must be a number, got {type(level).__name__}")
    if not 0 < level < 1:
        raise ValueError(f"level must be a probability strictly between 0 and 1, got {level}")
    n_points = _check_ellipse_points(n_points)
    frames = []
    for name, (mean, cov) in gaussians.items():
        mean, cov = np.asarray(mean, dtype=float), np.asarray(cov, dtype=float)
        if mean.shape != (2,) or cov.shape != (2, 2):
            raise ValueError(
                f"gaussian {name!r} must have a mean of shape (2,) and a cov of shape (2, 2), "
                f"got {mean.shape} and {cov.shape}"
            )
        try:
            normal = LaplaceApproximation(mode=mean, cov=cov)  # checks: finite, symmetric, positive definite
        except ValueError as error:
            raise ValueError(f"gaussian {name!r}: {error}") from None
        frames.append(
            _ellipse_frame(normal.mode, normal.cholesky, float(level), n_points).assign(gaussian=name)
        )
    names = list(gaussians)
    return (
        alt.Chart(pd.concat(frames, ignore_index=True), title=title)
        .mark_line(strokeWidth=2, clip=True)
        .encode(
            x=alt.X("alpha:Q", title="α"),
            y=alt.Y("beta:Q", title="β"),
            order="order:Q",
            stroke=alt.Stroke(
                "gaussian:N",
                title=f"{level:.0%} ellipse",
                sort=names,
                scale=alt.Scale(
                    domain=names, scheme="dark2"
                ),  # no blue: it would vanish in the region chart's blues
            ),
            tooltip=[alt.Tooltip("gaussian:N", title="normal")],
        )
        .properties(width=360, height=360)
    )
