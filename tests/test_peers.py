"""The peer benchmark's reference, error measures and result readers (benchmarks/peers.py).

No timings: only that the benchmark compares against the right numbers and reads each
library's result correctly. The reference is conftest's, computed without bda_helpers.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import xarray as xr
from scipy import optimize

from bda_helpers import BioassayData, bioassay

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def peers():
    """benchmarks/peers.py, imported the way the script runs (benchmarks/ on sys.path)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(BENCHMARKS))
        yield importlib.import_module("peers")


def test_reference_is_the_exact_laplace_approximation(peers, data, posterior_mode):
    exact = peers.reference(data)
    np.testing.assert_allclose(exact.mode, posterior_mode.mode, rtol=0, atol=1e-10)
    np.testing.assert_allclose(exact.cov, posterior_mode.cov, rtol=1e-10, atol=0)
    # BDA3 §4.1 / the course's reference facts, to the digits quoted there.
    np.testing.assert_allclose(exact.mode, [0.84658, 7.74882], atol=5e-6)


def test_reference_refuses_data_without_a_mode(peers):
    no_deaths = BioassayData(x=[-0.86, -0.30, -0.05, 0.73], n=[5, 5, 5, 5], y=[0, 0, 0, 0])
    with pytest.raises(RuntimeError, match=r"reference mode: scipy\.optimize\.root failed"):
        peers.reference(no_deaths)


def test_errors_by_hand(peers):
    exact = peers.Estimate([1.0, 2.0], [[4.0, 0.0], [0.0, 3.0]])
    estimate = peers.Estimate([1.5, 1.0], [[4.0, 0.0], [0.0, 3.0 - 5.0]])
    result = peers.errors(estimate, exact)
    assert result.mode == pytest.approx(1.0)
    assert result.cov_max_abs == pytest.approx(5.0)
    assert result.cov_rel_frobenius == pytest.approx(5.0 / 5.0)  # ||diag(4, 3)||_F = 5


def test_estimate_is_read_only_and_checks_shapes(peers):
    estimate = peers.Estimate([1.0, 2.0], np.eye(2))
    with pytest.raises(ValueError, match="read-only"):
        estimate.cov[0, 0] = 2.0
    with pytest.raises(ValueError, match=r"mode must have shape \(2,\) and cov \(2, 2\), got \(3,\)"):
        peers.Estimate([1.0, 2.0, 3.0], np.eye(2))


def test_bda_helpers_fit_matches_the_reference(peers, data, posterior_mode):
    exact = peers.Estimate(posterior_mode.mode, posterior_mode.cov)
    result = peers.errors(peers.from_laplace(bioassay.laplace_fit(data)), exact)
    assert result.mode < 1e-10 and result.cov_rel_frobenius < 1e-10


def test_bfgs_finds_the_mode_but_not_the_covariance(peers, data, posterior_mode):
    exact = peers.Estimate(posterior_mode.mode, posterior_mode.cov)
    result = peers.errors(peers.from_bfgs(peers.bfgs_fit(data)), exact)
    assert result.mode < 1e-4
    assert result.cov_rel_frobenius > 1e-4  # hess_inv is BFGS's running approximation


def test_bfgs_failure_is_reported(peers, data, monkeypatch):
    failed = optimize.OptimizeResult(success=False, message="Desired error not necessarily achieved")
    monkeypatch.setattr(peers.optimize, "minimize", lambda *args, **kwargs: failed)
    with pytest.raises(RuntimeError, match="BFGS failed: Desired error not necessarily achieved"):
        peers.bfgs_fit(data)


def test_pymc_extras_result_is_read_by_name(peers):
    """fit_laplace labels its vectors by variable name; the order (beta, alpha) is undone."""
    names = ["beta", "alpha"]
    fit = xr.Dataset(
        {
            "mean_vector": xr.DataArray([7.0, 0.5], dims=["rows"], coords={"rows": names}),
            "covariance_matrix": xr.DataArray(
                [[20.0, 3.0], [3.0, 1.0]], dims=["rows", "columns"], coords={"rows": names, "columns": names}
            ),
        }
    )
    estimate = peers.from_pymc_extras(SimpleNamespace(fit=fit))
    assert estimate.mode.tolist() == [0.5, 7.0]
    assert estimate.cov.tolist() == [[1.0, 3.0], [3.0, 20.0]]


def test_pymc_extras_fit_on_the_bioassay_model(peers, data, posterior_mode):
    """The PyMC model and fit_laplace with exact Hessian-vector products give the reference."""
    from pymc_extras.inference import fit_laplace

    peers.quiet_pymc()
    idata = fit_laplace(
        "trust-ncg",
        model=peers.bioassay_pymc_model(data),
        progressbar=False,
        random_seed=peers.SEED,
        draws=10,
    )
    assert set(idata.fit["mean_vector"].coords["rows"].values.tolist()) == {"alpha", "beta"}
    estimate = peers.from_pymc_extras(idata)
    np.testing.assert_allclose(estimate.mode, posterior_mode.mode, rtol=1e-6)
    np.testing.assert_allclose(estimate.cov, posterior_mode.cov, rtol=1e-5)


def test_ratios_and_goals(peers):
    def row(name, median_s, first_call_s=None, cov_error=1.0):
        return {
            "name": name,
            "median_s": median_s,
            "first_call_s": first_call_s or median_s,
            "cov_max_abs_error": cov_error,
            "cov_rel_frobenius_error": cov_error / 10,
        }

    rows = peers.add_ratios(
        [
            row(peers.BASELINE, 1e-3, cov_error=0.0),
            row(peers.BFGS, 2e-3, cov_error=0.1),
            row(peers.DEFAULT_PYMC_EXTRAS, 0.5, first_call_s=5.0),
        ]
    )
    assert [r["time_ratio"] for r in rows] == pytest.approx([1.0, 2.0, 500.0])
    goals = peers.goals(rows)
    assert goals["speed"]["met"] == {"repeated_calls": False, "first_call": True}
    # A baseline error of exactly 0 gives no ratio, and meets the accuracy goal.
    assert goals["accuracy"]["cov_max_abs_error"] is None
    assert goals["accuracy"]["met"] == {"cov_max_abs_error": True, "cov_rel_frobenius_error": True}
    assert peers.format_ratio(None) == "∞" and peers.format_ratio(2.5e12) == "2.5e+12×"
