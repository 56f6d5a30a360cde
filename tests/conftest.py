"""Shared fixtures: the bioassay data typed in from BDA3 Table 3.1, and a reference
implementation of the bioassay model written from first principles.

The reference never calls ``bda_helpers`` model code: it uses ``scipy.special.log_expit``
(not ``logaddexp``), explicit sums over dose groups, and ``scipy.optimize.root`` for the
mode, so agreement with the package is evidence, not a tautology.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from scipy import optimize, special

from bda_helpers import BioassayData

#: BDA3 Table 3.1 (Racine et al. 1986), typed in independently of data/bioassay.csv.
X = np.array([-0.86, -0.30, -0.05, 0.73])
N = np.array([5, 5, 5, 5])
Y = np.array([0, 1, 3, 5])


def ref_log_likelihood(alpha, beta, x=X, n=N, y=Y):
    """sum_i y_i log p_i + (n_i - y_i) log(1 - p_i), binomial coefficients dropped.

    ``log p = log_expit(eta)`` and ``log(1 - p) = log_expit(-eta)``; loops over the dose
    groups so a big grid needs only grid-sized temporaries.
    """
    alpha = np.asarray(alpha, dtype=float)
    beta = np.asarray(beta, dtype=float)
    total = np.zeros(np.broadcast_shapes(alpha.shape, beta.shape))
    for x_i, n_i, y_i in zip(x, n, y):
        eta = alpha + beta * x_i
        total = total + y_i * special.log_expit(eta) + (n_i - y_i) * special.log_expit(-eta)
    return total


def ref_log_prior(alpha, beta, mean, cov):
    """Unnormalised bivariate normal log density, by an explicit 2x2 inverse."""
    (a, b), (c, d) = np.asarray(cov, dtype=float)
    det = a * d - b * c
    u = np.asarray(alpha, dtype=float) - mean[0]
    v = np.asarray(beta, dtype=float) - mean[1]
    return -0.5 * (d * u * u - (b + c) * u * v + a * v * v) / det


def ref_gradient(theta, x=X, n=N, y=Y, prior_mean=None, prior_cov=None):
    """Score: sum_i (y_i - n_i p_i) * (1, x_i), written as explicit sums."""
    alpha, beta = theta
    g_alpha = g_beta = 0.0
    for x_i, n_i, y_i in zip(x, n, y):
        r = y_i - n_i * special.expit(alpha + beta * x_i)
        g_alpha += r
        g_beta += r * x_i
    grad = np.array([g_alpha, g_beta])
    if prior_mean is not None:
        grad = grad - np.linalg.solve(np.asarray(prior_cov, float), np.asarray(theta) - prior_mean)
    return grad


def ref_information(theta, x=X, n=N, y=Y, prior_cov=None):
    """Observed information -H = sum_i n_i p_i (1 - p_i) [[1, x_i], [x_i, x_i^2]]."""
    alpha, beta = theta
    info = np.zeros((2, 2))
    for x_i, n_i in zip(x, n):
        p = special.expit(alpha + beta * x_i)
        w = n_i * p * (1.0 - p)
        info += w * np.array([[1.0, x_i], [x_i, x_i * x_i]])
    if prior_cov is not None:
        info = info + np.linalg.inv(np.asarray(prior_cov, float))
    return info


def ref_hessian(theta, **kwargs):
    return -ref_information(theta, **kwargs)


def ref_mode(x=X, n=N, y=Y):
    """Solve the two score equations with MINPACK's hybrid method from (0, 0)."""
    solution = optimize.root(
        lambda t: ref_gradient(t, x, n, y),
        x0=[0.0, 0.0],
        jac=lambda t: ref_hessian(t, x=x, n=n, y=y),
        method="hybr",
        tol=1e-13,
    )
    assert solution.success, solution.message
    return solution.x


@pytest.fixture(scope="session")
def data() -> BioassayData:
    """The bioassay data, built from the independently typed arrays."""
    return BioassayData(x=X, n=N, y=Y)


@pytest.fixture(scope="session")
def ref():
    """The reference implementation, as one namespace."""
    return SimpleNamespace(
        X=X,
        N=N,
        Y=Y,
        log_likelihood=ref_log_likelihood,
        log_prior=ref_log_prior,
        gradient=ref_gradient,
        hessian=ref_hessian,
        information=ref_information,
        mode=ref_mode,
    )


@pytest.fixture(scope="session")
def fine_grid():
    """The flat-prior posterior on a grid finer and wider than the course's (1000 × 3000 points on
    α ∈ [−6, 14], β ∈ [−12, 130]), normalised with plain numpy from the reference model: an
    independent reference for the notebooks' grid numbers."""
    alpha, beta = np.linspace(-6.0, 14.0, 1000), np.linspace(-12.0, 130.0, 3000)
    log_density = ref_log_likelihood(alpha[:, None], beta[None, :])
    mass = np.exp(log_density - log_density.max())
    return SimpleNamespace(alpha=alpha, beta=beta, mass=mass / mass.sum())


@pytest.fixture(scope="session")
def posterior_mode():
    """The posterior mode (uniform prior) and its normal-approximation covariance,
    from ``scipy.optimize.root`` and the inverse of the analytic observed information."""
    mode = ref_mode()
    cov = np.linalg.inv(ref_information(mode))
    return SimpleNamespace(mode=mode, cov=cov)


def _spellings(value: float) -> set[str]:
    """How a message could print ``value``: the usual roundings with 3 or more significant digits."""
    value = float(value)
    spellings = {f"{value:.4g}", f"{value:.3g}", f"{value:.2e}", f"{value:.1e}"}
    if abs(value) >= 0.1:
        spellings |= {f"{value:.3f}", f"{value:.2f}"}
    return {s for s in spellings if sum(c.isdigit() for c in s.lstrip("-0.")) >= 2}


def _assert_no_leak(result, *secrets, answer=None, phrases=()):
    """A failing self-check's message must not show ``secrets`` (the expected value and the
    numbers one step from it) in any usual rounding, nor any of ``phrases``. The student's own
    ``answer``, which the message echoes, is left out of the search."""
    from bda_helpers.checks import format_answer

    assert result.passed is False, repr(result)
    text = result.message
    if answer is not None:
        text = text.replace(format_answer(answer), "«answer»")
    for secret in secrets:
        for value in np.ravel(np.asarray(secret, dtype=float)):
            for spelling in _spellings(value):
                assert spelling not in text, f"{spelling!r} (from {value!r}) leaks in {result.message!r}"
    for phrase in phrases:
        assert phrase not in text, f"{phrase!r} leaks in {result.message!r}"


@pytest.fixture(scope="session")
def assert_no_leak():
    """``assert_no_leak(result, *secrets, answer=None, phrases=())``: see :func:`_assert_no_leak`."""
    return _assert_no_leak


def _lp_separable(x, n, y) -> bool:
    """Separation by linear programming: is there (a, b) ≠ 0 with a + b x_i >= 0 wherever a
    group has a death and a + b x_i <= 0 wherever it has a survivor? Maximise and minimise
    a and b over that cone cut to the unit box; a non-zero optimum means separable."""
    rows = []
    for x_i, n_i, y_i in zip(x, n, y):
        if y_i > 0:
            rows.append([-1.0, -x_i])  # -(a + b x_i) <= 0
        if y_i < n_i:
            rows.append([1.0, x_i])  # a + b x_i <= 0
    for objective in ([1, 0], [-1, 0], [0, 1], [0, -1]):
        result = optimize.linprog(objective, A_ub=rows, b_ub=np.zeros(len(rows)), bounds=[(-1, 1), (-1, 1)])
        assert result.status == 0
        if result.fun < -1e-9:
            return True
    return False


@pytest.fixture(scope="session")
def lp_separable():
    """An independent separability test by linear programming (scipy.optimize.linprog)."""
    return _lp_separable
