"""beyond.charts.coverage_chart: the errors it draws are actual minus nominal coverage, in points, with
±2 Monte Carlo standard errors; the spec is deterministic; bad tables are refused."""

import numpy as np
import pandas as pd
import pytest
import vl_convert

from bda_helpers.beyond.charts import coverage_chart


def _table():
    return pd.DataFrame(
        {
            "design": ["n = 5"] * 2 + ["n = 50"] * 2,
            "quantity": ["beta", "LD50"] * 2,
            "level": [0.5, 0.95, 0.5, 0.95],
            "method": ["grid", "Laplace", "grid", "Laplace"],
            "coverage": [0.4475, 0.97, 0.5, 0.9425],
            "mc_se": [0.0249, 0.0085, 0.025, 0.0117],
        }
    )


def test_rows_are_errors_in_points_with_two_standard_errors():
    spec = coverage_chart(_table()).to_dict()
    rows = spec["datasets"][spec["data"]["name"]]
    assert [row["interval"] for row in rows] == ["beta 50 %", "LD50 95 %", "beta 50 %", "LD50 95 %"]
    np.testing.assert_allclose([row["error"] for row in rows], [-5.25, 2.0, 0.0, -0.75])
    np.testing.assert_allclose([row["low"] for row in rows], [-10.23, 0.3, -5.0, -3.09])
    np.testing.assert_allclose([row["high"] for row in rows], [-0.27, 3.7, 5.0, 1.59])
    assert spec["facet"]["column"]["sort"] == ["n = 5", "n = 50"]


def test_spec_is_deterministic_and_renders():
    first, second = (
        coverage_chart(_table(), title="t").to_json(),
        coverage_chart(_table(), title="t").to_json(),
    )
    assert first == second
    assert vl_convert.vegalite_to_svg(coverage_chart(_table()).to_dict()).startswith("<svg")


@pytest.mark.parametrize(
    "table, message",
    [
        (_table().drop(columns="mc_se"), "lacks the columns"),
        (_table().iloc[:0], "empty"),
        (_table().assign(coverage=[0.5, np.nan, 0.5, 0.9]), r"table\['coverage'\] must be finite, got nan"),
        (_table().assign(mc_se=[0.01, 0.01, np.inf, 0.01]), r"table\['mc_se'\] must be finite, got inf"),
    ],
)
def test_bad_tables_are_refused(table, message):
    with pytest.raises(ValueError, match=message):
        coverage_chart(table)
