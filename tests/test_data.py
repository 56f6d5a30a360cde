"""The shipped data sets load with their exact published values, read-only, and a bad data file
gets an error that names the file, the line and the problem."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import bda_helpers
from bda_helpers import BioassayData, load_bioassay, load_windshieldy
from bda_helpers.data import MAX_COUNT, data_file

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


def test_bioassay_default_path_is_the_bundled_file():
    assert data_file("bioassay.csv").is_file()
    explicit = load_bioassay(data_file("bioassay.csv"))
    default = load_bioassay()
    for name in ("x", "n", "y"):
        assert np.array_equal(getattr(explicit, name), getattr(default, name))


def test_windshieldy_values():
    y = load_windshieldy()
    assert y.shape == (9,)
    assert y.dtype == np.float64
    assert y.tolist() == WINDSHIELDY
    assert np.array_equal(load_windshieldy(data_file("windshieldy1.txt")), y)
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


def test_the_data_files_are_the_repositorys_data_folder_in_the_editable_install():
    """One copy of the data: the editable install reads data/ itself (a wheel ships it as a package)."""
    root = Path(__file__).resolve().parent.parent
    if Path(bda_helpers.__file__).resolve().parent != root / "bda_helpers":
        pytest.skip("bda_helpers is not this repository's editable install")
    assert Path(data_file("bioassay.csv")).resolve() == root / "data" / "bioassay.csv"
    assert Path(data_file("windshieldy1.txt")).resolve() == root / "data" / "windshieldy1.txt"


@pytest.mark.parametrize("name", ["bioassay.xlsx", "../pyproject.toml", "__init__.py", "README.md"])
def test_data_file_refuses_names_that_are_no_data_file(name):
    with pytest.raises(
        FileNotFoundError,
        match=r"no data file .*the data files are bioassay\.csv, eight_schools\.csv, windshieldy1",
    ):
        data_file(name)


def test_a_missing_data_package_says_to_install_the_package(monkeypatch):
    monkeypatch.setattr(bda_helpers.data, "_DATASETS", "bda_helpers.no_such_datasets")
    with pytest.raises(
        FileNotFoundError, match=r"bda_helpers\.no_such_datasets\) are not installed.*pip install"
    ):
        load_bioassay()


def test_duplicate_doses_crlf_and_a_byte_order_mark_load(tmp_path):
    """Replicate batches at one dose are valid data; Windows line ends and a UTF-8 BOM are text."""
    path = tmp_path / "bio.csv"
    path.write_bytes("\ufeffx,n,y\r\n0.5,5,1\r\n0.5,5,2\r\n1.0,4,4\r\n".encode())
    data = load_bioassay(path)
    assert (
        data.x.tolist() == [0.5, 0.5, 1.0] and data.n.tolist() == [5, 5, 4] and data.y.tolist() == [1, 2, 4]
    )


def test_the_largest_count_is_accepted_exactly():
    data = BioassayData(x=[0.0, 1.0], n=[MAX_COUNT, 5], y=[MAX_COUNT, 0])
    assert MAX_COUNT == 2**53
    assert data.n.tolist() == [2**53, 5] and data.y.tolist() == [2**53, 0]
    with pytest.raises(ValueError, match=r"n\[0\]=9007199254740994 is too large for a count"):
        BioassayData(x=[0.0], n=[2**53 + 2], y=[1])


PNG_START = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"

BAD_BIOASSAY_FILES = [
    # (what, file content, regex the ValueError must match)
    ("count past int64", b"x,n,y\n0.0,1e19,1\n", r"b\.csv line 2: n\[0\]=1e\+19 is too large for a count"),
    (
        "count past 2**53",
        b"x,n,y\n0,5,1\n1,9223372036854775808,1\n",
        r"b\.csv line 3: n\[1\]=9\.2.*e\+18 is too large",
    ),
    ("y past int64", b"x,n,y\n0.0,5,1e19\n", r"b\.csv line 2: y\[0\]=1e\+19 is too large for a count"),
    (
        "latin-1 text",
        "x,n,y\n0,5,1\n# dosé\n".encode("latin-1"),
        r"b\.csv is not UTF-8 text: byte 0xe9 at offset 17",
    ),
    ("binary (PNG)", PNG_START, r"b\.csv is not a text file: it holds a NUL byte"),
    ("UTF-16 text", "x,n,y\n0,5,1\n".encode("utf-16"), r"b\.csv is UTF-16 text, not UTF-8"),
    ("NUL in text", b"x,n,y\n0,5\x00,1\n", r"b\.csv is not a text file: it holds a NUL byte \(at offset 9\)"),
    ("empty file", b"", r"b\.csv: expected the header 'x,n,y', found nothing \(the file is empty\)"),
    ("blank lines only", b"\n \n\n", r"b\.csv: expected the header 'x,n,y', found nothing"),
    ("header only", b"x,n,y\n", r"b\.csv: no data after the header 'x,n,y'"),
    ("header missing a column", b"x,n\n0,5\n", r"b\.csv: expected the header 'x,n,y', found \['x', 'n'\]"),
    ("header with another name", b"dose,n,y\n0,5,1\n", r"found \['dose', 'n', 'y'\]"),
    ("row missing a field", b"x,n,y\n0,5,1\n1,5\n", r"b\.csv line 3: expected 3 fields, found 2"),
    ("row with an extra field", b"x,n,y\n0,5,1,7\n", r"b\.csv line 2: expected 3 fields, found 4"),
    ("not a number", b"x,n,y\n0,five,1\n", r"b\.csv line 2: 'five' is not a number"),
    ("negative n", b"x,n,y\n0,-5,1\n", r"b\.csv line 2: n\[0\]=-5 is negative"),
    ("negative y", b"x,n,y\n0,5,1\n1,5,-1\n", r"b\.csv line 3: y\[1\]=-1 is negative"),
    ("fractional n", b"x,n,y\n0,4.5,1\n", r"b\.csv line 2: n\[0\]=4\.5 is not a whole number"),
    ("fractional y", b"x,n,y\n0,5,2.5\n", r"b\.csv line 2: y\[0\]=2\.5 is not a whole number"),
    ("y exceeds n", b"x,n,y\n0,5,1\n1,5,6\n", r"b\.csv line 3: y\[1\]=6 exceeds n\[1\]=5"),
    ("no animals", b"x,n,y\n0,0,0\n", r"b\.csv line 2: n\[0\]=0: every dose group needs at least one animal"),
    ("NaN dose", b"x,n,y\nnan,5,1\n", r"b\.csv line 2: x\[0\]=nan is not finite"),
    ("infinite dose", b"x,n,y\n0,5,1\n-inf,5,1\n", r"b\.csv line 3: x\[1\]=-inf is not finite"),
    ("NaN count", b"x,n,y\n0,NaN,1\n", r"b\.csv line 2: n\[0\]=nan is not finite"),
    (
        "line numbers count blank lines",
        b"x,n,y\n\n0,5,1\n\n1,5,6\n",
        r"b\.csv line 5: y\[1\]=6 exceeds n\[1\]=5",
    ),
    (
        "oversized field",
        b"x,n,y\n" + b"1" * 200_000 + b",5,1\n",
        r"b\.csv line 2: not valid CSV \(field larger",
    ),
]


@pytest.mark.parametrize(
    "content, pattern", [case[1:] for case in BAD_BIOASSAY_FILES], ids=[c[0] for c in BAD_BIOASSAY_FILES]
)
def test_a_bad_bioassay_file_gets_an_error_naming_file_line_and_problem(tmp_path, content, pattern):
    path = tmp_path / "b.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=pattern) as info:
        load_bioassay(path)
    assert not isinstance(info.value, UnicodeDecodeError)  # wrapped, with the file's name


BAD_WINDSHIELD_FILES = [
    ("latin-1 text", "13.5\n14.0 µ\n".encode("latin-1"), r"w\.txt is not UTF-8 text: byte 0xb5 at offset 10"),
    ("binary (PNG)", PNG_START, r"w\.txt is not a text file"),
    ("empty file", b"", r"w\.txt: need at least two measurements, found 0"),
    ("one value", b"13.5\n\n", r"w\.txt: need at least two measurements, found 1"),
    ("not a number", b"13.5\n14,2\n15.0\n", r"w\.txt line 2: '14,2' is not a number"),
    ("two numbers on a line", b"13.5\n14.2 15.0\n", r"w\.txt line 2: '14.2 15.0' is not a number"),
    ("NaN", b"13.5\nnan\n", r"w\.txt line 2: y\[1\]=nan is not finite"),
    ("overflow to inf", b"13.5\n\n1e400\n", r"w\.txt line 3: y\[1\]=inf is not finite"),
]


@pytest.mark.parametrize(
    "content, pattern", [case[1:] for case in BAD_WINDSHIELD_FILES], ids=[c[0] for c in BAD_WINDSHIELD_FILES]
)
def test_a_bad_windshield_file_gets_an_error_naming_file_line_and_problem(tmp_path, content, pattern):
    path = tmp_path / "w.txt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=pattern) as info:
        load_windshieldy(path)
    assert not isinstance(info.value, UnicodeDecodeError)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.csv"):
        load_bioassay(tmp_path / "nope.csv")
    with pytest.raises(FileNotFoundError, match=r"nope\.txt"):
        load_windshieldy(str(tmp_path / "nope.txt"))


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"n": [1e19]}, r"n\[0\]=1e\+19 is too large for a count \(the limit is 2\*\*53"),
        ({"y": [1e19], "n": [1e19]}, r"n\[0\]=1e\+19 is too large"),
        ({"n": [10**400]}, r"n must be numbers"),
        ({"x": ["low"]}, r"x must be numbers"),
        ({"x": [None]}, r"x\[0\]=nan is not finite"),
        ({"x": np.array([1 + 2j])}, r"x must be real numbers, got complex"),
        ({"y": [np.inf]}, r"y\[0\]=inf is not finite"),
    ],
)
def test_bioassay_data_refuses_values_no_count_or_dose_can_be(kwargs, pattern):
    arrays = {"x": [0.0], "n": [5], "y": [1]} | kwargs
    with pytest.raises(ValueError, match=pattern):
        BioassayData(**arrays)
