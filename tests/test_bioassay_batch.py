"""bioassay.gradient over stacked points (..., 2), against the first-principles reference of conftest."""

import numpy as np
import pytest

from bda_helpers import bioassay
from bda_helpers.bioassay import NormalPrior

PRIOR_MEAN = np.array([0.5, 10.0])
PRIOR_COV = np.array([[4.0, 1.5], [1.5, 10.0]])


@pytest.fixture(scope="module")
def points():
    return np.random.default_rng(11).normal([1.0, 10.0], [3.0, 15.0], size=(3, 4, 2))


@pytest.mark.parametrize("with_prior", [False, True])
def test_batched_gradient_matches_the_reference_point_by_point(data, ref, points, with_prior):
    prior = NormalPrior(PRIOR_MEAN, PRIOR_COV) if with_prior else None
    extra = {"prior_mean": PRIOR_MEAN, "prior_cov": PRIOR_COV} if with_prior else {}
    batched = bioassay.gradient(points, data, prior)
    assert batched.shape == (3, 4, 2)
    expected = np.array([[ref.gradient(point, **extra) for point in row] for row in points])
    np.testing.assert_allclose(batched, expected, rtol=1e-12, atol=1e-12)


def test_batched_gradient_agrees_with_single_points_and_accepts_lists(data, points):
    flat = points.reshape(-1, 2)
    single = np.array([bioassay.gradient(point, data) for point in flat])
    np.testing.assert_allclose(bioassay.gradient(flat, data), single, rtol=1e-13, atol=1e-13)
    assert bioassay.gradient(flat.tolist(), data).shape == (12, 2)
    assert bioassay.gradient(np.zeros((0, 2)), data).shape == (0, 2)


def test_single_point_keeps_shape_and_messages(data):
    assert bioassay.gradient([0.0, 0.0], data).shape == (2,)
    with pytest.raises(
        ValueError, match=r"theta must be \(alpha, beta\) with shape \(2,\), got shape \(3,\)"
    ):
        bioassay.gradient([0.0, 0.0, 0.0], data)
    with pytest.raises(ValueError, match=r"theta must be finite, got \[0\.0, inf\]$"):
        bioassay.gradient([0.0, np.inf], data)


@pytest.mark.parametrize(
    ("theta", "message"),
    [
        (np.zeros((5, 3)), r"shape \(\.\.\., 2\), got shape \(5, 3\)"),
        (np.zeros((2, 2, 1)), r"shape \(\.\.\., 2\), got shape \(2, 2, 1\)"),
        ([[0.0, 1.0], [2.0, np.nan]], r"theta must be finite, got \[2\.0, nan\] at index \(1,\)"),
        ([[[0.0, 1.0]], [[-np.inf, 0.0]]], r"theta must be finite, got \[-inf, 0\.0\] at index \(1, 0\)"),
    ],
)
def test_batched_gradient_refuses_bad_points(data, theta, message):
    with pytest.raises(ValueError, match=message):
        bioassay.gradient(theta, data)
