"""More helpers refusing bad input with an exception that names the problem.

The same pattern as ``test_bad_input.py``: each row is a call that must fail, the exception
type and a regex its message must match. Every call runs with all warnings turned into
errors, so a numpy ``RuntimeWarning`` (overflow, invalid value) on the way to the error
fails the test too: bad input must be refused, not computed into ``inf`` or ``nan``.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from bda_helpers import (
    BioassayData,
    LaplaceApproximation,
    bioassay,
    charts,
    fd_hessian,
    fd_jacobian,
    newton,
    normal_model,
    quadrature_log_evidence,
)
from bda_helpers.bioassay import NormalPrior
from bda_helpers.mode_finding import trace_table

Y = np.array([13.357, 14.928, 14.896, 15.297, 14.82, 12.067, 14.824, 13.865, 17.447])
DATA = BioassayData(x=[-0.86, -0.30, -0.05, 0.73], n=[5, 5, 5, 5], y=[0, 1, 3, 5])
#: Deaths falling with the dose: at a huge beta the score in beta is -10, and beta times it overflows.
REVERSED = BioassayData(x=[-1.0, 1.0], n=[5, 5], y=[5, 0])
X = np.linspace(0.0, 1.0, 5)
H = np.logspace(-1, -4, 4)
APPROX = LaplaceApproximation.from_mode([0.0, 0.0], [[-1.0, 0.0], [0.0, -4.0]])
TRACE = newton(lambda t: -2.0 * t, lambda t: -2.0 * np.eye(2), [1.0, -1.0]).trace
PRIOR = NormalPrior(mean=[0.0, 10.0], cov=[[4.0, 0.0], [0.0, 100.0]])

CASES = [
    # --- normal_model -------------------------------------------------------------------
    (
        "normal log posterior NaN mu",
        lambda: normal_model.log_posterior([np.nan, 0.0], Y),
        ValueError,
        r"theta must be finite, got \[nan, 0\.0\]",
    ),
    (
        "normal log posterior inf log_sigma",
        lambda: normal_model.log_posterior([[14.0, 0.0], [14.0, -np.inf]], Y),
        ValueError,
        r"theta must be finite, got \[14\.0, -inf\] at index \(1,\)",
    ),
    (
        "normal log posterior tiny sigma",
        lambda: normal_model.log_posterior([14.0, -1000.0], Y),
        ValueError,
        r"the log posterior overflows at mu=14\.0, log_sigma=-1000\.0: sigma = exp\(log_sigma\) is so small "
        r"that 1/sigma² = exp\(2000\) overflows",
    ),
    (
        "normal log posterior grid names the bad point",
        lambda: normal_model.log_posterior(
            np.stack(np.meshgrid([14.0, 15.0], [0.0, -500.0], indexing="ij"), axis=-1), Y
        ),
        ValueError,
        r"overflows at mu=14\.0, log_sigma=-500\.0",
    ),
    (
        "normal log posterior mu far away",
        lambda: normal_model.log_posterior([1e200, 0.0], Y),
        ValueError,
        r"mu is too far from the data",
    ),
    (
        "normal gradient tiny sigma",
        lambda: normal_model.gradient([14.0, -400.0], Y),
        ValueError,
        r"the gradient overflows at mu=14\.0, log_sigma=-400\.0: .*1/sigma² = exp\(800\) overflows",
    ),
    (
        "normal hessian tiny sigma",
        lambda: normal_model.hessian([14.0, -400.0], Y),
        ValueError,
        r"the Hessian overflows at mu=14\.0, log_sigma=-400\.0",
    ),
    (
        "normal gradient NaN theta",
        lambda: normal_model.gradient([np.nan, 0.0], Y),
        ValueError,
        r"theta must be finite, got \[nan, 0\.0\]",
    ),
    (
        "normal sample n_draws float",
        lambda: normal_model.sample_exact(Y, 10.0, np.random.default_rng(0)),
        TypeError,
        r"the number of draws must be an integer, got float 10\.0",
    ),
    # --- bioassay in (alpha, log beta) ----------------------------------------------------------
    (
        "log-beta density log_beta too large",
        lambda: bioassay.log_posterior_log_beta([0.0, 800.0], DATA),
        ValueError,
        r"log_beta=800\.0 is too large for the log density: beta = exp\(log_beta\) overflows above "
        r"log_beta=709\.78",
    ),
    (
        "log-beta density NaN alpha",
        lambda: bioassay.log_posterior_log_beta([np.nan, 1.0], DATA),
        ValueError,
        r"phi must be finite, got \[nan, 1\.0\]",
    ),
    (
        "log-beta density NaN in a grid",
        lambda: bioassay.log_posterior_log_beta([[0.0, 1.0], [0.0, np.nan]], DATA),
        ValueError,
        r"phi must be finite, got \[0\.0, nan\] at index \(1,\)",
    ),
    (
        "log-beta density beta times x overflows",
        lambda: bioassay.log_posterior_log_beta([[0.0, 1.0], [0.0, 709.0]], DATA),
        ValueError,
        r"the log density overflows at alpha=0\.0, log_beta=709\.0 \(beta = exp\(log_beta\) = 8\.22e\+307\)",
    ),
    (
        "log-beta density prior overflows",
        lambda: bioassay.log_posterior_log_beta([0.0, 400.0], DATA, PRIOR),
        ValueError,
        r"the log density overflows at alpha=0\.0, log_beta=400\.0",
    ),
    (
        "log-beta gradient log_beta too large",
        lambda: bioassay.gradient_log_beta([0.0, 710.0], DATA),
        ValueError,
        r"log_beta=710\.0 is too large for the gradient: beta = exp\(log_beta\) overflows",
    ),
    (
        "log-beta gradient beta times score overflows",
        lambda: bioassay.gradient_log_beta([0.0, 709.0], REVERSED),
        ValueError,
        r"the gradient overflows at alpha=0\.0, log_beta=709\.0",
    ),
    (
        "log-beta Hessian beta squared overflows",
        lambda: bioassay.hessian_log_beta([0.0, 650.0], DATA),
        ValueError,
        r"log_beta=650\.0 is too large for the Hessian: beta² = exp\(2 log_beta\) overflows above "
        r"log_beta=354\.89",
    ),
    (
        "log-beta Hessian NaN",
        lambda: bioassay.hessian_log_beta([np.nan, 1.0], DATA),
        ValueError,
        r"phi must be finite, got \[nan, 1\.0\]",
    ),
    # --- bioassay: data and prior of the wrong type -----------------------------------------------
    (
        "model_functions with no data",
        lambda: bioassay.model_functions(None),
        TypeError,
        r"data must be a BioassayData \(e\.g\. load_bioassay\(\) .*\), got NoneType",
    ),
    (
        "laplace_fit with a str",
        lambda: bioassay.laplace_fit("bioassay.csv"),
        TypeError,
        r"data must be a BioassayData .* got str",
    ),
    (
        "grid_posterior with a dict",
        lambda: bioassay.grid_posterior({"x": [0.0], "n": [5], "y": [1]}),
        TypeError,
        r"data must be a BioassayData .* got dict",
    ),
    (
        "log_posterior with no data",
        lambda: bioassay.log_posterior([0.0, 1.0], None),
        TypeError,
        r"data must be a BioassayData .* got NoneType",
    ),
    (
        "log_likelihood with a list",
        lambda: bioassay.log_likelihood([0.0, 1.0], [[-0.86], [5], [0]]),
        TypeError,
        r"data must be a BioassayData .* got list",
    ),
    (
        "gradient with a str",
        lambda: bioassay.gradient([0.0, 1.0], "data"),
        TypeError,
        r"data must be a BioassayData .* got str",
    ),
    (
        "hessian with a dict prior",
        lambda: bioassay.hessian([0.0, 1.0], DATA, {"mean": [0, 10]}),
        TypeError,
        r"prior must be a NormalPrior or None, got dict",
    ),
    (
        "laplace_fit with a list prior",
        lambda: bioassay.laplace_fit(DATA, [0.0, 10.0]),
        TypeError,
        r"prior must be a NormalPrior or None, got list",
    ),
    ("course grid is read-only", lambda: bioassay.GRID_BETA.__setitem__(0, 0.0), ValueError, r"read-only"),
    # --- quadrature_log_evidence ----------------------------------------------------------------
    (
        "evidence log density of shape (1,)",
        lambda: quadrature_log_evidence(lambda t: np.array([-0.5 * t**2]), 0.0),
        ValueError,
        r"log_density must return a single number, got an array of shape \(1,\) at theta=0\.0",
    ),
    (
        "evidence log density returns a list",
        lambda: quadrature_log_evidence(lambda t: [-0.5 * t**2], 1.0),
        ValueError,
        r"got an array of shape \(1,\) at theta=1\.0",
    ),
    (
        "evidence log density returns text",
        lambda: quadrature_log_evidence(lambda t: "-0.5", 0.0),
        TypeError,
        r"log_density must return a real number",
    ),
    (
        "evidence log density NaN in the tail",
        lambda: quadrature_log_evidence(lambda t: np.nan if t > 5 else -0.5 * t**2, 0.0),
        ValueError,
        r"log_density returned nan at theta=",
    ),
    (
        "evidence peak far from the maximum",
        lambda: quadrature_log_evidence(lambda t: -0.5 * (t - 100.0) ** 2, 0.0),
        ValueError,
        r"peak=0\.0 is not near the maximum of the density: log_density\(.*\) exceeds log_density\(peak\) "
        r"by .*; pass a point at or near the mode",
    ),
    # --- charts ------------------------------------------------------------------------------------
    (
        "lines_chart no curves",
        lambda: charts.lines_chart(X, {}),
        ValueError,
        r"curves is empty: give at least one curve",
    ),
    (
        "lines_chart NaN curve",
        lambda: charts.lines_chart(X, {"ok": X, "gap": np.where(X > 0.5, np.nan, X)}),
        ValueError,
        r"curve 'gap' must be finite, got nan at index \(3,\)",
    ),
    (
        "lines_chart inf x",
        lambda: charts.lines_chart([0.0, np.inf], {"a": [1.0, 2.0]}),
        ValueError,
        r"x must be finite, got inf at index \(1,\)",
    ),
    (
        "histogram_chart no samples",
        lambda: charts.histogram_chart({}, X),
        ValueError,
        r"values is empty: give at least one sample",
    ),
    (
        "draws_chart no sources",
        lambda: charts.draws_chart({}),
        ValueError,
        r"draws is empty: give at least one source of draws",
    ),
    (
        "draws_chart 1-D draws",
        lambda: charts.draws_chart({"grid": np.zeros(6)}),
        ValueError,
        r"draws 'grid' must have shape \(n, 2\) with n >= 1, got shape \(6,\)",
    ),
    (
        "draws_chart NaN draws",
        lambda: charts.draws_chart({"grid": [[0.0, 1.0], [np.nan, 2.0]]}),
        ValueError,
        r"draws 'grid' must be finite",
    ),
    (
        "step_error_chart inf step",
        lambda: charts.step_error_chart([0.1, np.inf], {"a": [1.0, 1.0]}),
        ValueError,
        r"steps must be a 1-D array of positive, finite numbers, got \[0\.1, inf\]",
    ),
    (
        "step_error_chart inf error",
        lambda: charts.step_error_chart(H, {"a": [1.0, 1.0, np.inf, 1.0]}),
        ValueError,
        r"curve 'a' must be positive and finite for a logarithmic axis",
    ),
    (
        "step_error_chart NaN reference",
        lambda: charts.step_error_chart(H, {"a": H}, references={"h²": H * np.nan}),
        ValueError,
        r"curve 'h²' must be positive and finite",
    ),
    (
        "step_error_chart negative mark",
        lambda: charts.step_error_chart(H, {"a": H}, marks={"best": -1e-3}),
        ValueError,
        r"mark 'best' must be a positive, finite step for a logarithmic axis, got -0\.001",
    ),
    (
        "step_error_chart NaN mark",
        lambda: charts.step_error_chart(H, {"a": H}, marks={"best": np.nan}),
        ValueError,
        r"mark 'best' must be a positive, finite step .*got nan",
    ),
    (
        "step_error_chart text mark",
        lambda: charts.step_error_chart(H, {"a": H}, marks={"best": "1e-3"}),
        TypeError,
        r"mark 'best' must be a number \(a step\), got str",
    ),
    (
        "laplace_ellipses_chart given a mode",
        lambda: charts.laplace_ellipses_chart([0.0, 0.0]),
        TypeError,
        r"approx must be a LaplaceApproximation \(e\.g\. from laplace .*\), got list",
    ),
    (
        "laplace_ellipses_chart n_points float",
        lambda: charts.laplace_ellipses_chart(APPROX, n_points=10.0),
        TypeError,
        r"n_points must be an integer, got float 10\.0",
    ),
    # --- trace_table ------------------------------------------------------------------------------
    (
        "trace_table decimals float",
        lambda: trace_table(TRACE, decimals=2.5),
        TypeError,
        r"decimals must be an integer, got float 2\.5",
    ),
    (
        "trace_table decimals text",
        lambda: trace_table(TRACE, decimals="6"),
        TypeError,
        r"decimals must be an integer, got str '6'",
    ),
    (
        "trace_table names a str",
        lambda: trace_table(TRACE, "ab"),
        TypeError,
        r"names must be a sequence of str, one per parameter \(e\.g\. \['alpha', 'beta'\]\), got 'ab'",
    ),
    (
        "trace_table names not str",
        lambda: trace_table(TRACE, ["alpha", 2]),
        TypeError,
        r"names must be strings, got 2 \(int\)",
    ),
    (
        "trace_table names a set",
        lambda: trace_table(TRACE, {"alpha", "beta"}),
        TypeError,
        r"names must be a sequence of str",
    ),
    (
        "trace_table too many names",
        lambda: trace_table(TRACE, ["alpha", "beta", "gamma"]),
        ValueError,
        r"names must have one name per parameter \(2\), got 3",
    ),
    (
        "trace_table noise_floor text",
        lambda: trace_table(TRACE, noise_floor="1e-13"),
        TypeError,
        r"noise_floor must be a number, got '1e-13' \(str\)",
    ),
    # --- finite differences -------------------------------------------------------------------------
    (
        "fd_hessian scalar gradient",
        lambda: fd_hessian(lambda t: -2.0 * t[0], [1.0]),
        ValueError,
        r"gradient returned shape \(\), expected \(1,\)",
    ),
    (
        "fd_hessian gradient NaN nearby",
        lambda: fd_hessian(lambda t: np.sqrt(t) if t[0] > 0 else t * np.nan, [1e-9], step=1e-6),
        ValueError,
        r"the gradient is not finite near theta=\[1e-09\]",
    ),
    (
        "fd_jacobian 2-D output",
        lambda: fd_jacobian(lambda t: np.outer(t, t), [1.0, 2.0]),
        ValueError,
        r"function must return 1-D arrays of one shape, got \(2, 2\) and \(2, 2\)",
    ),
    (
        "fd_jacobian inf output",
        lambda: fd_jacobian(lambda t: t * np.inf, [1.0, 2.0]),
        ValueError,
        r"the function is not finite near theta=\[1\.0, 2\.0\]",
    ),
    (
        "fd_jacobian difference overflows",
        lambda: fd_jacobian(lambda t: np.array([1e308 * np.sign(t[0] - 1.0)]), [1.0]),
        ValueError,
        r"the function is not finite near theta=\[1\.0\]: its differences overflow",
    ),
]


@pytest.mark.parametrize(
    "call, exception, message",
    [pytest.param(call, exception, message, id=name) for name, call, exception, message in CASES],
)
def test_bad_input_is_refused_with_a_message_naming_the_problem(call, exception, message):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(exception, match=message):
            call()


def test_the_table_is_unambiguous():
    names = [name for name, *_ in CASES]
    assert len(set(names)) == len(names)
    for _, _, _, message in CASES:
        re.compile(message)


def test_each_log_beta_function_works_up_to_its_own_limit():
    # The Hessian needs beta², so it stops near log beta = 354.89; the gradient needs only
    # beta and is finite (and huge) well beyond.
    assert np.isfinite(bioassay.hessian_log_beta([0.0, 354.0], DATA)).all()
    with pytest.raises(ValueError, match="too large for the Hessian"):
        bioassay.hessian_log_beta([0.0, 355.0], DATA)
    assert np.isfinite(bioassay.gradient_log_beta([0.0, 650.0], DATA)).all()
    assert np.isfinite(bioassay.log_posterior_log_beta([0.0, 650.0], DATA))


def test_laplace_ellipses_chart_takes_a_numpy_integer_n_points():
    spec = charts.laplace_ellipses_chart(APPROX, [0.5], n_points=np.int64(5)).to_dict()
    (rows,) = spec["datasets"].values()
    assert [row["order"] for row in rows] == [0, 1, 2, 3, 4]
    assert spec == charts.laplace_ellipses_chart(APPROX, [0.5], n_points=5).to_dict()
