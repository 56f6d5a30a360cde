"""The numbers the course calls *exact* are exact to the digits it prints.

The course's grid (:data:`bda_helpers.bioassay.GRID_ALPHA` × :data:`~bda_helpers.bioassay.GRID_BETA`)
is checked against an independent computation that shares no code with the package: the
flat-prior bioassay posterior written out with numpy, its marginals by adaptive quadrature
(``scipy.integrate.quad``) over ranges far wider than any grid, and the marginal CDFs, means
and second moments integrated as one ODE (``solve_ivp``, DOP853) whose events are the quantiles.
The notebooks print these summaries to two or three decimals, so the grid must agree to within
half a unit of the third decimal.
"""

import numpy as np
import pytest
from scipy import integrate, optimize

from bda_helpers import bioassay, load_bioassay

X = np.array([-0.86, -0.30, -0.05, 0.73])
N = np.array([5, 5, 5, 5])
Y = np.array([0, 1, 3, 5])
PROBS = (0.025, 0.25, 0.5, 0.75, 0.975)
# Far beyond the posterior: the mass outside is below 1e-15 (the density falls like
# exp(-|alpha|) and beta^-k there), so it cannot show in the third decimal.
RANGES = {"alpha": (-15.0, 40.0), "beta": (-30.0, 600.0)}
HALF_A_THIRD_DECIMAL = 5e-4


def log_posterior(alpha: float, beta: float) -> float:
    """Flat prior, binomial likelihood, written out afresh (binomial coefficients dropped)."""
    eta = alpha + beta * X
    return float(np.sum(-Y * np.logaddexp(0.0, -eta) - (N - Y) * np.logaddexp(0.0, eta)))


@pytest.fixture(scope="module")
def reference() -> dict:
    mode = optimize.minimize(lambda theta: -log_posterior(*theta), [0.8, 7.7]).x
    top = log_posterior(*mode)

    def density(alpha, beta):
        return np.exp(log_posterior(alpha, beta) - top)

    def marginal(name, value):
        other = "beta" if name == "alpha" else "alpha"
        index = 1 if name == "alpha" else 0

        def integrand(v):
            return density(value, v) if name == "alpha" else density(v, value)

        return integrate.quad(
            integrand, *RANGES[other], points=[mode[index]], limit=200, epsabs=0.0, epsrel=1e-11
        )[0]

    total = integrate.quad(
        lambda beta: marginal("beta", beta), *RANGES["beta"], points=[mode[1], 40.0, 100.0], limit=200
    )[0]
    summaries = {}
    for name in ("alpha", "beta"):
        events = [lambda v, y, q=q: y[0] - q for q in PROBS]

        def rates(v, y, name=name):
            p = marginal(name, v) / total
            return [p, v * p, v * v * p]

        solution = integrate.solve_ivp(
            rates, RANGES[name], [0.0, 0.0, 0.0], method="DOP853", rtol=1e-11, atol=1e-13, events=events
        )
        mass, first, second = solution.y[:, -1]
        summaries[name] = {
            "mass": mass,
            "quantiles": np.array([e[0] for e in solution.t_events]),
            "mean": first,
            "sd": np.sqrt(second - first**2),
        }
    return summaries


@pytest.fixture(scope="module")
def course_grid():
    return bioassay.grid_posterior(load_bioassay())


def test_the_reference_integrates_to_one(reference):
    for summary in reference.values():
        assert summary["mass"] == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("name", ["alpha", "beta"])
def test_course_grid_quantiles_are_exact_to_three_decimals(reference, course_grid, name):
    grid_values = course_grid.quantile(name, PROBS)
    assert np.abs(grid_values - reference[name]["quantiles"]).max() < HALF_A_THIRD_DECIMAL


@pytest.mark.parametrize("index, name", [(0, "alpha"), (1, "beta")])
def test_course_grid_mean_and_sd_are_exact_to_three_decimals(reference, course_grid, index, name):
    assert abs(course_grid.mean()[index] - reference[name]["mean"]) < HALF_A_THIRD_DECIMAL
    sd = np.sqrt(course_grid.cov()[index, index])
    assert abs(sd - reference[name]["sd"]) < HALF_A_THIRD_DECIMAL


def test_the_sources_grid_is_not_exact_in_betas_upper_tail(reference):
    """Why the course grid is wider than BDA3's: cutting at β = 40 moves the printed digits."""
    sources = bioassay.grid_posterior(
        load_bioassay(), alpha=np.linspace(-4, 8, 240), beta=np.linspace(-10, 40, 360)
    )
    assert reference["beta"]["quantiles"][-1] - sources.quantile("beta", 0.975) > 0.1
    assert reference["beta"]["sd"] - np.sqrt(sources.cov()[1, 1]) > 0.05
