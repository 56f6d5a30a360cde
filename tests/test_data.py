"""The shipped data sets load with their exact published values, read-only."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bda_helpers import BioassayData, load_bioassay, load_windshieldy
from bda_helpers.data import DATA_DIR

WINDSHIELDY = [13.357, 14.928, 14.896, 15.297, 14.82, 12.067, 14.824, 13.865, 17.447]


def test_bioassay_values_are_bda3_table_3_1():
    data = load_bioassay()
    assert isinstance(data, BioassayData)
    assert len(data) == 4
    assert data.x.tolist() == [-0.86, -0.30, -0.05, 0.73]
    assert data.n.tolist() == [5, 5, 5, 5]
    assert data.y.tolist() == [0, 1, 3, 5]
    assert data.x.dtype == np.float64
    assert np.issubdtype(data.n.dtype, np.integer) and np.issubdtype(data.y.dtype, np.integer)


def test_bioassay_default_path_is_the_repository_file():
    assert (DATA_DIR / "bioassay.csv").is_file()
    explicit = load_bioassay(DATA_DIR / "bioassay.csv")
    default = load_bioassay()
    for name in ("x", "n", "y"):
        assert np.array_equal(getattr(explicit, name), getattr(default, name))


def test_windshieldy_values():
    y = load_windshieldy()
    assert y.shape == (9,)
    assert y.dtype == np.float64
    assert y.tolist() == WINDSHIELDY
    assert np.array_equal(load_windshieldy(DATA_DIR / "windshieldy1.txt"), y)
    assert y.mean() == pytest.approx(sum(WINDSHIELDY) / 9)


def test_arrays_are_read_only():
    data = load_bioassay()
    for array in (data.x, data.n, data.y):
        assert not array.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 1
    y = load_windshieldy()
    assert not y.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        y[0] = 0.0


def test_bioassay_data_is_frozen():
    data = load_bioassay()
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.x = np.zeros(4)
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.y = [0, 0, 0, 0]
    assert data.y.tolist() == [0, 1, 3, 5]


def test_the_callers_arrays_are_copied_not_frozen_or_aliased():
    x = np.array([-0.86, -0.30, -0.05, 0.73])
    rows = np.array([[-0.86, -0.30, -0.05, 0.73], [5.0, 5.0, 5.0, 5.0]])
    data = BioassayData(x=x, n=[5, 5, 5, 5], y=[0, 1, 3, 5])
    assert x.flags.writeable  # the caller's array is left alone
    x[0] = 99.0
    assert data.x[0] == -0.86
    from_view = BioassayData(x=rows[0], n=rows[1], y=[0, 1, 3, 5])
    rows[0, 0] = 99.0  # writing through the base array must not reach the data
    assert from_view.x[0] == -0.86


def test_whole_number_floats_are_accepted_as_counts():
    data = BioassayData(x=[0.0, 1.0], n=[5.0, 3.0], y=[2.0, 3.0])
    assert data.n.tolist() == [5, 3] and data.y.tolist() == [2, 3]
    assert np.issubdtype(data.n.dtype, np.integer)


def test_loaders_tolerate_whitespace_and_blank_lines(tmp_path):
    csv = tmp_path / "bio.csv"
    csv.write_text(" x , n , y \n\n-1.0, 4, 1\n\n1.0 ,4,3\n")
    data = load_bioassay(csv)
    assert data.x.tolist() == [-1.0, 1.0] and data.n.tolist() == [4, 4] and data.y.tolist() == [1, 3]
    txt = tmp_path / "w.txt"
    txt.write_text("1.5\n\n  2.5  \n")
    assert load_windshieldy(str(txt)).tolist() == [1.5, 2.5]
