"""Every loader and helper refuses bad input with an exception that names the problem.

One table: each row is a call that must fail, the exception type, and a regex the
message must match (so the message says *what* is wrong, not just that something is).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from bda_helpers import (
    BioassayData,
    GridPosterior,
    LaplaceApproximation,
    bioassay,
    central_interval,
    fd_hessian,
    fd_hessian_from_log_density,
    ld50,
    load_bioassay,
    load_windshieldy,
    newton,
    quantiles,
)
from bda_helpers.bioassay import NormalPrior

X4, N4, Y4 = [-0.86, -0.30, -0.05, 0.73], [5, 5, 5, 5], [0, 1, 3, 5]
DATA = BioassayData(x=X4, n=N4, y=Y4)
ALPHA, BETA = np.linspace(-4, 8, 3), np.linspace(-10, 40, 4)
NAMES = ("alpha", "beta")
GRID = GridPosterior.from_log_density(
    lambda theta: -0.5 * (theta[..., 0] ** 2 + theta[..., 1] ** 2 / 100), (ALPHA, BETA), names=NAMES
)
APPROX = LaplaceApproximation(mode=[0.0, 1.0], cov=[[1.0, 0.2], [0.2, 2.0]])


def summed(theta):
    return theta.sum(axis=-1)


def grad2(t):
    return -np.asarray(t)


def hess2(t):
    return -np.eye(2)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def bad_grid_values(values):
    return lambda tmp_path: GridPosterior.from_log_density(values, (ALPHA, BETA), names=NAMES)


CASES = [
    # --- BioassayData ------------------------------------------------------------------
    (
        "y exceeds n",
        lambda p: BioassayData(x=[0, 1, 2], n=[5, 5, 5], y=[0, 1, 6]),
        ValueError,
        r"y\[2\]=6 exceeds n\[2\]=5",
    ),
    (
        "negative y",
        lambda p: BioassayData(x=[0, 1], n=[5, 5], y=[-1, 2]),
        ValueError,
        r"y\[0\]=-1 is negative",
    ),
    (
        "negative n",
        lambda p: BioassayData(x=[0, 1], n=[5, -5], y=[1, 0]),
        ValueError,
        r"n\[1\]=-5 is negative",
    ),
    (
        "non-integer n",
        lambda p: BioassayData(x=[0, 1], n=[5, 4.5], y=[1, 2]),
        ValueError,
        r"n\[1\]=4\.5 is not a whole number",
    ),
    (
        "non-integer y",
        lambda p: BioassayData(x=[0, 1], n=[5, 5], y=[1.25, 2]),
        ValueError,
        r"y\[0\]=1\.25 is not a whole number",
    ),
    (
        "length mismatch",
        lambda p: BioassayData(x=[0, 1, 2], n=[5, 5], y=[1, 2, 3]),
        ValueError,
        r"same length, got 3, 2 and 3",
    ),
    (
        "NaN in x",
        lambda p: BioassayData(x=[0, np.nan], n=[5, 5], y=[1, 2]),
        ValueError,
        r"x\[1\]=nan is not finite",
    ),
    (
        "inf in x",
        lambda p: BioassayData(x=[np.inf, 0], n=[5, 5], y=[1, 2]),
        ValueError,
        r"x\[0\]=inf is not finite",
    ),
    ("empty data", lambda p: BioassayData(x=[], n=[], y=[]), ValueError, r"the data are empty"),
    (
        "n = 0",
        lambda p: BioassayData(x=[0, 1], n=[0, 5], y=[0, 1]),
        ValueError,
        r"n\[0\]=0: every dose group needs at least one animal",
    ),
    (
        "2-D x",
        lambda p: BioassayData(x=[[0, 1]], n=[5, 5], y=[1, 2]),
        ValueError,
        r"x must be one-dimensional, got shape \(1, 2\)",
    ),
    # --- load_bioassay -------------------------------------------------------------------
    (
        "CSV wrong header",
        lambda p: load_bioassay(write(p, "b.csv", "dose,n,y\n0,5,1\n")),
        ValueError,
        r"b\.csv: expected the header 'x,n,y', found \['dose', 'n', 'y'\]",
    ),
    (
        "CSV empty file",
        lambda p: load_bioassay(write(p, "b.csv", "")),
        ValueError,
        r"expected the header 'x,n,y', found nothing",
    ),
    (
        "CSV non-number field",
        lambda p: load_bioassay(write(p, "b.csv", "x,n,y\n0,5,1\n0.5,five,2\n")),
        ValueError,
        r"b\.csv line 3: 'five' is not a number",
    ),
    (
        "CSV missing field",
        lambda p: load_bioassay(write(p, "b.csv", "x,n,y\n0,5\n")),
        ValueError,
        r"b\.csv line 2: expected 3 fields, found 2",
    ),
    (
        "CSV y exceeds n",
        lambda p: load_bioassay(write(p, "b.csv", "x,n,y\n0,5,1\n1,5,6\n")),
        ValueError,
        r"y\[1\]=6 exceeds n\[1\]=5",
    ),
    # --- load_windshieldy -------------------------------------------------------------------
    (
        "windshieldy bad line",
        lambda p: load_windshieldy(write(p, "w.txt", "13.5\n14,2\n15.0\n")),
        ValueError,
        r"w\.txt line 2: '14,2' is not a number",
    ),
    (
        "windshieldy one value",
        lambda p: load_windshieldy(write(p, "w.txt", "13.5\n\n")),
        ValueError,
        r"need at least two measurements, found 1",
    ),
    (
        "windshieldy NaN",
        lambda p: load_windshieldy(write(p, "w.txt", "13.5\nnan\n")),
        ValueError,
        r"y\[1\]=nan is not finite",
    ),
    # --- newton -------------------------------------------------------------------------------
    (
        "theta0 not finite",
        lambda p: newton(grad2, hess2, [0.0, np.nan]),
        ValueError,
        r"theta0 must be finite, got \[0\.0, nan\]",
    ),
    (
        "theta0 wrong shape",
        lambda p: newton(grad2, hess2, [[0.0], [1.0]]),
        ValueError,
        r"theta0 must be a non-empty 1-D array, got shape \(2, 1\)",
    ),
    (
        "theta0 empty",
        lambda p: newton(grad2, hess2, []),
        ValueError,
        r"theta0 must be a non-empty 1-D array, got shape \(0,\)",
    ),
    (
        "tol zero",
        lambda p: newton(grad2, hess2, [1.0, 1.0], tol=0.0),
        ValueError,
        r"tol must be a positive number, got 0\.0",
    ),
    (
        "tol negative",
        lambda p: newton(grad2, hess2, [1.0, 1.0], tol=-1e-8),
        ValueError,
        r"tol must be a positive number, got -1e-08",
    ),
    (
        "tol NaN",
        lambda p: newton(grad2, hess2, [1.0, 1.0], tol=np.nan),
        ValueError,
        r"tol must be a positive number, got nan",
    ),
    (
        "max_iter zero",
        lambda p: newton(grad2, hess2, [1.0, 1.0], max_iter=0),
        ValueError,
        r"max_iter must be at least 1, got 0",
    ),
    (
        "max_iter float",
        lambda p: newton(grad2, hess2, [1.0, 1.0], max_iter=2.5),
        TypeError,
        r"max_iter must be an integer, got float 2\.5",
    ),
    (
        "max_iter bool",
        lambda p: newton(grad2, hess2, [1.0, 1.0], max_iter=True),
        TypeError,
        r"max_iter must be an integer, got bool True",
    ),
    (
        "gradient wrong shape",
        lambda p: newton(lambda t: np.zeros(3), hess2, [1.0, 1.0]),
        ValueError,
        r"gradient returned shape \(3,\), expected \(2,\)",
    ),
    (
        "hessian wrong shape",
        lambda p: newton(grad2, lambda t: -np.eye(3), [1.0, 1.0]),
        ValueError,
        r"hessian returned shape \(3, 3\), expected \(2, 2\)",
    ),
    (
        "log density not finite at start",
        lambda p: newton(grad2, hess2, [1.0, 1.0], log_density=lambda t: -np.inf),
        ValueError,
        r"log_density is not finite at theta0=\[1\.0, 1\.0\]",
    ),
    # --- LaplaceApproximation -------------------------------------------------------------------
    (
        "indefinite Hessian at the mode",
        lambda p: LaplaceApproximation.from_mode([0.0, 0.0], [[-1.0, 0.0], [0.0, 2.0]]),
        ValueError,
        r"the Hessian at the mode is not negative definite",
    ),
    (
        "singular Hessian at the mode",
        lambda p: LaplaceApproximation.from_mode([0.0, 0.0], [[-1.0, -1.0], [-1.0, -1.0]]),
        ValueError,
        r"not negative definite \(eigenvalues",
    ),
    (
        "zero Hessian at the mode",
        lambda p: LaplaceApproximation.from_mode([0.0, 0.0], np.zeros((2, 2))),
        ValueError,
        r"not negative definite",
    ),
    (
        "non-symmetric Hessian",
        lambda p: LaplaceApproximation.from_mode([0.0, 0.0], [[-2.0, 1.0], [0.0, -2.0]]),
        ValueError,
        r"the Hessian at the mode is not symmetric",
    ),
    (
        "NaN Hessian",
        lambda p: LaplaceApproximation.from_mode([0.0, 0.0], [[-2.0, np.nan], [np.nan, -2.0]]),
        ValueError,
        r"the Hessian at the mode is not finite",
    ),
    (
        "Hessian wrong shape",
        lambda p: LaplaceApproximation.from_mode([0.0, 0.0], -np.eye(3)),
        ValueError,
        r"hessian must have shape \(2, 2\), got \(3, 3\)",
    ),
    (
        "non-symmetric cov",
        lambda p: LaplaceApproximation(mode=[0.0, 0.0], cov=[[1.0, 0.5], [0.4, 1.0]]),
        ValueError,
        r"cov is not symmetric",
    ),
    (
        "non-PD cov",
        lambda p: LaplaceApproximation(mode=[0.0, 0.0], cov=[[1.0, 2.0], [2.0, 1.0]]),
        ValueError,
        r"cov is not positive definite",
    ),
    (
        "cov wrong shape",
        lambda p: LaplaceApproximation(mode=[0.0, 0.0], cov=np.eye(3)),
        ValueError,
        r"cov must have shape \(2, 2\), got \(3, 3\)",
    ),
    (
        "logpdf wrong dimension",
        lambda p: APPROX.logpdf(np.zeros((4, 3))),
        ValueError,
        r"theta must have last axis of length 2, got shape \(4, 3\)",
    ),
    (
        "log_evidence without log density",
        lambda p: APPROX.log_evidence,
        ValueError,
        r"log_evidence needs log_density_at_mode",
    ),
    # --- GridPosterior construction ------------------------------------------------------------
    (
        "zero-width grid",
        lambda p: GridPosterior.from_log_density(summed, (np.full(5, 1.0), BETA), names=NAMES),
        ValueError,
        r"the alpha grid has zero width",
    ),
    (
        "non-increasing grid",
        lambda p: GridPosterior.from_log_density(summed, (ALPHA, BETA[::-1]), names=NAMES),
        ValueError,
        r"the beta grid must be strictly increasing",
    ),
    (
        "unevenly spaced grid",
        lambda p: GridPosterior.from_log_density(summed, ([0.0, 1.0, 3.0], BETA), names=NAMES),
        ValueError,
        r"the alpha grid must be evenly spaced",
    ),
    (
        "one-point grid",
        lambda p: GridPosterior.from_log_density(summed, ([0.0], BETA), names=NAMES),
        ValueError,
        r"the alpha grid needs at least two points",
    ),
    (
        "non-finite grid",
        lambda p: GridPosterior.from_log_density(summed, (ALPHA, [0.0, np.inf]), names=NAMES),
        ValueError,
        r"the beta grid must be finite",
    ),
    (
        "transposed log density values",
        bad_grid_values(np.zeros((4, 3))),
        ValueError,
        r"must have shape \(len\(alpha\), len\(beta\)\) = \(3, 4\), got \(4, 3\); "
        r"build grids with indexing='ij'",
    ),
    (
        "log density from meshgrid xy",
        lambda p: GridPosterior.from_log_density(
            lambda theta: np.add(*np.meshgrid(ALPHA, BETA)), (ALPHA, BETA), names=NAMES
        ),
        ValueError,
        r"got \(4, 3\); it is called with the grid's points theta, shape \(3, 4, 2\)",
    ),
    (
        "log density around 1e308",
        bad_grid_values(np.full((3, 4), 1e308) - np.arange(12).reshape(3, 4) * 1e300),
        ValueError,
        r"the log density reaches 1e\+308 on the grid, too large in magnitude for floating point",
    ),
    (
        "log density from a model that overflows",
        lambda p: GridPosterior.from_log_density(
            bioassay.model_functions(DATA).log_density, ([1e308, 1.5e308], [1.0, 2.0])
        ),
        ValueError,
        r"log posterior overflows at alpha=1e\+308, beta=1\.0",
    ),
    (
        "all -inf log density",
        bad_grid_values(np.full((3, 4), -np.inf)),
        ValueError,
        r"the log density is -inf everywhere on the grid",
    ),
    (
        "NaN log density",
        bad_grid_values(np.where(np.eye(3, 4) > 0, np.nan, 0.0)),
        ValueError,
        r"the log density has NaN or \+inf values",
    ),
    (
        "+inf log density",
        bad_grid_values(np.where(np.eye(3, 4) > 0, np.inf, 0.0)),
        ValueError,
        r"the log density has NaN or \+inf values",
    ),
    (
        "mass not normalised",
        lambda p: GridPosterior(axes=(ALPHA, BETA), mass=np.full((3, 4), 0.1), names=NAMES),
        ValueError,
        r"mass must sum to 1, got 1\.2",
    ),
    (
        "negative mass",
        lambda p: GridPosterior(axes=(ALPHA, BETA), mass=np.eye(3, 4) * 2 - np.eye(3, 4, 1), names=NAMES),
        ValueError,
        r"mass must be finite and non-negative",
    ),
    # --- GridPosterior queries -----------------------------------------------------------------
    (
        "quantile prob above 1",
        lambda p: GRID.quantile("alpha", [0.5, 1.5]),
        ValueError,
        r"quantile probabilities must lie in \[0, 1\], got \[0\.5, 1\.5\]",
    ),
    (
        "quantile prob below 0",
        lambda p: GRID.quantile("beta", -0.1),
        ValueError,
        r"quantile probabilities must lie in \[0, 1\], got -0\.1",
    ),
    (
        "quantile prob NaN",
        lambda p: GRID.quantile("beta", np.nan),
        ValueError,
        r"quantile probabilities must lie in \[0, 1\]",
    ),
    (
        "unknown parameter name",
        lambda p: GRID.quantile("gamma", 0.5),
        ValueError,
        r"parameter must be one of 'alpha', 'beta', got 'gamma'",
    ),
    (
        "unknown marginal",
        lambda p: GRID.marginal("Alpha"),
        ValueError,
        r"parameter must be one of 'alpha', 'beta', got 'Alpha'",
    ),
    (
        "central interval level 1",
        lambda p: GRID.central_interval("alpha", 1.0),
        ValueError,
        r"level must lie strictly between 0 and 1, got 1\.0",
    ),
    # --- draws and generators ------------------------------------------------------------------
    (
        "grid sample n = 0",
        lambda p: GRID.sample(0, np.random.default_rng(0)),
        ValueError,
        r"the number of draws must be at least 1, got 0",
    ),
    (
        "grid sample n negative",
        lambda p: GRID.sample(-5, np.random.default_rng(0)),
        ValueError,
        r"the number of draws must be at least 1, got -5",
    ),
    (
        "grid sample n non-integer",
        lambda p: GRID.sample(2.5, np.random.default_rng(0)),
        TypeError,
        r"the number of draws must be an integer, got float 2\.5",
    ),
    (
        "laplace sample n float",
        lambda p: APPROX.sample(100.0, np.random.default_rng(0)),
        TypeError,
        r"the number of draws must be an integer, got float 100\.0",
    ),
    (
        "grid sample with an int seed",
        lambda p: GRID.sample(10, 42),
        TypeError,
        r"rng must be a numpy\.random\.Generator .* got int",
    ),
    (
        "laplace sample with RandomState",
        lambda p: APPROX.sample(10, np.random.RandomState(0)),
        TypeError,
        r"rng must be a numpy\.random\.Generator .* got RandomState",
    ),
    ("sample with no generator", lambda p: APPROX.sample(10, None), TypeError, r"got NoneType"),
    # --- summaries ------------------------------------------------------------------------------
    (
        "ld50 with negative beta",
        lambda p: ld50([0.5, 0.5, 0.1], [2.0, -1.0, 3.0]),
        ValueError,
        r"LD50 = -alpha/beta needs beta > 0, but 1 of 3 values have beta <= 0",
    ),
    ("ld50 with zero beta", lambda p: ld50(0.5, 0.0), ValueError, r"needs beta > 0, but 1 of 1 values"),
    ("ld50 with NaN", lambda p: ld50([np.nan], [1.0]), ValueError, r"alpha and beta must be finite"),
    (
        "quantiles of empty draws",
        lambda p: quantiles([], [0.5]),
        ValueError,
        r"draws must be a non-empty 1-D array, got shape \(0,\)",
    ),
    (
        "quantiles prob outside",
        lambda p: quantiles([1.0, 2.0], [2.0]),
        ValueError,
        r"quantile probabilities must lie in \[0, 1\]",
    ),
    (
        "central interval level 0",
        lambda p: central_interval([1.0, 2.0], 0.0),
        ValueError,
        r"level must lie strictly between 0 and 1",
    ),
    # --- the bioassay model ---------------------------------------------------------------------
    (
        "NormalPrior non-PD cov",
        lambda p: NormalPrior(mean=[0.0, 10.0], cov=[[4.0, 5.0], [5.0, 4.0]]),
        ValueError,
        r"prior cov is not positive definite",
    ),
    (
        "NormalPrior non-symmetric cov",
        lambda p: NormalPrior(mean=[0.0, 10.0], cov=[[4.0, 1.0], [0.0, 4.0]]),
        ValueError,
        r"prior cov is not symmetric",
    ),
    (
        "NormalPrior mean wrong shape",
        lambda p: NormalPrior(mean=[0.0, 10.0, 1.0], cov=np.eye(2)),
        ValueError,
        r"prior mean must have shape \(2,\), got \(3,\)",
    ),
    (
        "gradient theta of shape (3,)",
        lambda p: bioassay.gradient([0.0, 1.0, 2.0], DATA),
        ValueError,
        r"theta must be \(alpha, beta\) with shape \(2,\), got shape \(3,\)",
    ),
    (
        "hessian theta not finite",
        lambda p: bioassay.hessian([0.0, np.inf], DATA),
        ValueError,
        r"theta must be finite, got \[0\.0, inf\]",
    ),
    # --- finite differences ----------------------------------------------------------------------
    (
        "fd step zero",
        lambda p: fd_hessian(grad2, [1.0, 2.0], step=0.0),
        ValueError,
        r"step must be positive and finite, got 0\.0",
    ),
    (
        "fd step negative",
        lambda p: fd_hessian_from_log_density(lambda t: -t @ t, [1.0, 2.0], step=[1e-3, -1e-3]),
        ValueError,
        r"step must be positive and finite, got \[0\.001, -0\.001\]",
    ),
    (
        "fd step wrong shape",
        lambda p: fd_hessian(grad2, [1.0, 2.0], step=[1e-3, 1e-3, 1e-3]),
        ValueError,
        r"step must be a number or have shape \(2,\), got shape \(3,\)",
    ),
    ("fd theta not finite", lambda p: fd_hessian(grad2, [np.nan, 2.0]), ValueError, r"theta must be finite"),
    (
        "fd gradient wrong shape",
        lambda p: fd_hessian(lambda t: np.zeros(3), [1.0, 2.0]),
        ValueError,
        r"gradient returned shape \(3,\), expected \(2,\)",
    ),
    (
        "fd log density not finite",
        lambda p: fd_hessian_from_log_density(
            lambda t: -np.inf if t[0] < 0 else -t @ t, [1e-4, 1.0], step=1e-3
        ),
        ValueError,
        r"the log density is not finite near theta",
    ),
]


@pytest.mark.parametrize(
    "call, exception, message",
    [pytest.param(call, exception, message, id=name) for name, call, exception, message in CASES],
)
def test_bad_input_is_refused_with_a_message_naming_the_problem(tmp_path, call, exception, message):
    with pytest.raises(exception, match=message):
        call(tmp_path)


def test_the_table_is_large_and_unambiguous():
    names = [name for name, *_ in CASES]
    assert len(names) >= 30
    assert len(set(names)) == len(names)
    for _, _, _, message in CASES:
        re.compile(message)
