"""The dose–response bands chart of notebook 06 (`charts.dose_response_bands_chart`)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import vl_convert

from bda_helpers import bioassay, charts, load_bioassay


@pytest.fixture(scope="module")
def bands():
    rng = np.random.default_rng(21)
    x = np.linspace(-1.2, 1.2, 25)
    first = bioassay.dose_response_bands(rng.normal([0.8, 7.7], [1.0, 4.9], size=(500, 2)), x)
    second = bioassay.dose_response_bands(rng.normal([1.3, 11.6], [1.1, 5.8], size=(500, 2)), x)
    return {"Laplace": first, "exact": second}


def _datasets(spec):
    return list(spec["datasets"].values())


def test_layers_areas_lines_and_the_data_on_top(bands):
    spec = charts.dose_response_bands_chart(load_bioassay(), bands, title="bands").to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["area", "line", "circle"]
    assert spec["title"] == "bands"
    area = spec["layer"][0]["encoding"]
    assert area["color"]["sort"] == ["Laplace", "exact"]  # the legend in the order given
    assert area["opacity"]["scale"]["domain"] == ["95%", "50%"]  # the wider band drawn first, lighter
    assert area["opacity"]["scale"]["range"][0] < area["opacity"]["scale"]["range"][1]
    assert area["y"]["scale"]["domain"] == [0, 1]
    # one axis for all three layers: the doses' range, not widened
    domains = [layer["encoding"]["x"]["scale"]["domain"] for layer in spec["layer"]]
    assert domains == [[-1.2, 1.2]] * 3


def test_the_data_are_the_bands_rounded(bands):
    spec = charts.dose_response_bands_chart(load_bioassay(), bands).to_dict()
    rows = {len(r): r for r in _datasets(spec)}
    areas, medians, points = rows[2 * 2 * 25], rows[2 * 25], rows[4]
    exact_95 = [r for r in areas if r["source"] == "exact" and r["band"] == "95%"]
    np.testing.assert_allclose(
        [r["upper"] for r in exact_95], charts.round_significant(bands["exact"].band(0.95)[1]), rtol=0
    )
    laplace = [r["median"] for r in medians if r["source"] == "Laplace"]
    np.testing.assert_allclose(laplace, charts.round_significant(bands["Laplace"].median), rtol=0)
    assert [r["deaths"] for r in points] == [0, 1, 3, 5]


def test_the_spec_is_deterministic_and_renders(bands):
    first = json.dumps(charts.dose_response_bands_chart(load_bioassay(), bands).to_dict(), sort_keys=True)
    second = json.dumps(charts.dose_response_bands_chart(load_bioassay(), bands).to_dict(), sort_keys=True)
    assert first == second
    assert not re.search(r'"(param|view|selector)_?\d+"', first), "auto-numbered name in the spec"
    svg = vl_convert.vegalite_to_svg(json.loads(first))
    assert svg.startswith("<svg") and "log dose x" in svg


def test_bad_input_is_refused(bands):
    with pytest.raises(ValueError, match="bands is empty"):
        charts.dose_response_bands_chart(load_bioassay(), {})
    with pytest.raises(TypeError, match=r"bands\['grid'\] must be a DoseResponseBands"):
        charts.dose_response_bands_chart(load_bioassay(), {"grid": np.zeros((3, 5))})


def _band_labels(spec):
    return {row["band"] for data in _datasets(spec) for row in data if "band" in row}


def test_levels_are_labelled_without_rounding_them_away():
    theta = np.random.default_rng(3).normal([0.8, 7.7], [1.0, 4.9], size=(300, 2))
    bands = bioassay.dose_response_bands(theta, [0.0, 0.5], levels=(0.004, 0.5, 0.504, 0.999))
    spec = charts.dose_response_bands_chart(load_bioassay(), {"draws": bands}).to_dict()
    assert _band_labels(spec) == {"0.4%", "50%", "50.4%", "99.9%"}


def test_levels_with_the_same_label_are_refused():
    theta = np.random.default_rng(3).normal([0.8, 7.7], [1.0, 4.9], size=(300, 2))
    bands = bioassay.dose_response_bands(theta, [0.0], levels=(0.5, 0.5 + 1e-9))
    with pytest.raises(ValueError, match=r"bands\['draws'\] has levels .* whose labels .* repeat"):
        charts.dose_response_bands_chart(load_bioassay(), {"draws": bands})


def test_a_bands_object_or_none_instead_of_a_dict_is_a_type_error(bands):
    for wrong in (bands["Laplace"], None):
        with pytest.raises(TypeError, match="bands must be a dict of source name to DoseResponseBands"):
            charts.dose_response_bands_chart(load_bioassay(), wrong)
    with pytest.raises(TypeError, match="data must be a BioassayData"):
        charts.dose_response_bands_chart(None, bands)
