"""GridPosterior against exact Gaussian answers and a much finer grid computed here."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats

from bda_helpers import GridPosterior, bioassay

PROBS = np.array([0.025, 0.25, 0.5, 0.75, 0.975])

# The course's standard grid, and a 5x finer one in each direction over the same box.
ALPHA = np.linspace(-4, 8, 240)
BETA = np.linspace(-10, 40, 360)
FINE_ALPHA = np.linspace(-4, 8, 1200)
FINE_BETA = np.linspace(-10, 40, 1800)


def cell_quantiles(centres, cell_mass, q):
    """Quantiles of a histogram whose cells are centred on ``centres`` (own implementation):
    invert the piecewise-linear CDF through the cell edges by linear interpolation."""
    step = centres[1] - centres[0]
    edges = np.concatenate([[centres[0] - step / 2], centres + step / 2])
    cdf = np.concatenate([[0.0], np.cumsum(cell_mass)])
    return np.interp(q, cdf / cdf[-1], edges)


def normalised_grid(ref, alpha, beta):
    """Cell masses of the bioassay posterior on alpha x beta, by numpy alone."""
    log_density = ref.log_likelihood(alpha[:, None], beta[None, :])
    weights = np.exp(log_density - log_density.max())
    return weights / weights.sum()


def bioassay_grid(data, alpha=ALPHA, beta=BETA):
    return GridPosterior.from_log_density(lambda a, b: bioassay.log_posterior(a, b, data), alpha, beta)


@pytest.fixture(scope="module")
def standard(data):
    return bioassay_grid(data)


@pytest.fixture(scope="module")
def fine(ref):
    mass = normalised_grid(ref, FINE_ALPHA, FINE_BETA)
    alpha_marginal, beta_marginal = mass.sum(axis=1), mass.sum(axis=0)
    return SimpleNamespace(
        mass=mass,
        alpha_quantiles=cell_quantiles(FINE_ALPHA, alpha_marginal, PROBS),
        beta_quantiles=cell_quantiles(FINE_BETA, beta_marginal, PROBS),
        mean=np.array([alpha_marginal @ FINE_ALPHA, beta_marginal @ FINE_BETA]),
    )


# --- normalisation --------------------------------------------------------------------------


def test_mass_is_normalised(standard):
    assert standard.mass.shape == (240, 360)
    assert standard.mass.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(standard.mass >= 0)
    assert standard.marginal("alpha").shape == (240,)
    assert standard.marginal("beta").shape == (360,)
    assert standard.marginal("alpha").sum() == pytest.approx(1.0, abs=1e-12)
    assert standard.marginal("beta").sum() == pytest.approx(1.0, abs=1e-12)
    area = standard.step[0] * standard.step[1]
    assert np.allclose(standard.step, [12 / 239, 50 / 359])
    assert (standard.density * area).sum() == pytest.approx(1.0, abs=1e-12)


def test_values_and_callable_give_the_same_grid(data, standard):
    values = bioassay.log_posterior(ALPHA[:, None], BETA, data) + 123.0  # constants cancel
    from_values = GridPosterior.from_log_density(values, ALPHA, BETA)
    assert np.allclose(from_values.mass, standard.mass, rtol=1e-12, atol=1e-300)


def test_mass_is_proportional_to_the_exponentiated_log_density(ref, standard):
    assert np.allclose(standard.mass, normalised_grid(ref, ALPHA, BETA), rtol=1e-10, atol=1e-300)


# --- a Gaussian: exact answers ----------------------------------------------------------------

MU = np.array([1.0, -2.0])
SD = np.array([0.8, 3.0])
RHO = 0.5
S = np.array([[SD[0] ** 2, RHO * SD[0] * SD[1]], [RHO * SD[0] * SD[1], SD[1] ** 2]])


@pytest.fixture(scope="module")
def gaussian():
    precision = np.linalg.inv(S)

    def log_density(a, b):
        u, v = a - MU[0], b - MU[1]
        return -0.5 * (precision[0, 0] * u * u + 2 * precision[0, 1] * u * v + precision[1, 1] * v * v)

    alpha = np.linspace(MU[0] - 8 * SD[0], MU[0] + 8 * SD[0], 801)
    beta = np.linspace(MU[1] - 8 * SD[1], MU[1] + 8 * SD[1], 1201)
    return GridPosterior.from_log_density(log_density, alpha, beta)


def test_gaussian_quantiles_match_the_normal_ppf(gaussian):
    probs = np.array([0.001, 0.025, 0.25, 0.5, 0.75, 0.975, 0.999])
    # The cell-midpoint CDF is O(step^2) accurate; measured worst 5e-5 (alpha), 9e-5 (beta).
    assert np.allclose(
        gaussian.quantile("alpha", probs), stats.norm.ppf(probs, MU[0], SD[0]), rtol=0, atol=1e-3
    )
    assert np.allclose(
        gaussian.quantile("beta", probs), stats.norm.ppf(probs, MU[1], SD[1]), rtol=0, atol=1e-3
    )
    interval = gaussian.central_interval("beta", 0.9)
    assert np.allclose(interval, stats.norm.ppf([0.05, 0.95], MU[1], SD[1]), atol=1e-3)
    assert gaussian.quantile("alpha", 0.5).shape == ()


def test_gaussian_mean_and_covariance(gaussian):
    assert np.allclose(gaussian.mean(), MU, rtol=0, atol=1e-10)
    cov = gaussian.cov()
    # cov() is the covariance of the cell-uniform histogram: the Gaussian's S plus the
    # within-cell variance step^2 / 12 on the diagonal (no within-cell correlation).
    assert np.allclose(cov - np.diag(gaussian.step**2 / 12), S, rtol=0, atol=1e-10)
    assert np.allclose(cov, S, rtol=1e-3)


def test_quantiles_at_zero_and_one_with_underflowed_edge_cells():
    # A narrow Gaussian on a wide grid: the outer cells' mass underflows to exactly 0.
    grid = GridPosterior.from_log_density(
        lambda a, b: -50.0 * (a**2 + b**2), np.linspace(-8, 8, 81), np.linspace(-8, 8, 41)
    )
    assert grid.marginal("alpha")[0] == 0.0 and grid.marginal("alpha")[-1] == 0.0
    q = grid.quantile("alpha", [0.0, 1e-9, 0.5, 1 - 1e-9, 1.0])
    assert np.all(np.isfinite(q))
    assert np.all(np.diff(q) >= 0)
    assert q[2] == pytest.approx(0.0, abs=1e-12)
    assert -8 < q[0] < 0 < q[-1] < 8


# --- the bioassay posterior against a finer grid ----------------------------------------------


def test_bioassay_quantiles_agree_with_a_five_times_finer_grid(standard, fine):
    # Both grids give the quantiles of the cell-uniform histogram, whose CDF at the cell
    # edges is a midpoint rule for the true marginal CDF: the error is O(step^2), far
    # below one step. A tolerance of 1/20 of the coarse step catches any half-cell slip
    # (e.g. interpolating the CDF through cell centres instead of edges, a ~step/2 shift).
    # Measured: at most 0.0092 steps in alpha and 0.011 steps in beta.
    alpha_diff = standard.quantile("alpha", PROBS) - fine.alpha_quantiles
    beta_diff = standard.quantile("beta", PROBS) - fine.beta_quantiles
    assert np.all(np.abs(alpha_diff) < standard.step[0] / 20)
    assert np.all(np.abs(beta_diff) < standard.step[1] / 20)
    # The fine grid's own numbers (rounded) for the record.
    assert np.round(fine.alpha_quantiles, 1).tolist() == [-0.6, 0.5, 1.2, 2.0, 3.7]
    assert np.round(fine.beta_quantiles, 1).tolist() == [3.4, 7.4, 10.7, 14.8, 25.3]


def test_a_half_cell_slip_would_fail_the_tolerance(standard, fine):
    # The tolerance above is meaningful: CDF knots at cell centres miss by far more.
    marginal = standard.marginal("beta")
    wrong = np.interp(PROBS, np.cumsum(marginal), standard.beta)
    assert np.max(np.abs(wrong - fine.beta_quantiles)) > standard.step[1] / 4


def test_bioassay_grid_mean_and_covariance(standard, fine, ref):
    mean = standard.mean()
    assert np.round(mean, 1).tolist() == [1.3, 11.6]
    assert np.allclose(mean, fine.mean, rtol=0, atol=1e-3)
    # Covariance against the fine grid (plus its own within-cell variance).
    a = FINE_ALPHA - fine.mean[0]
    b = FINE_BETA - fine.mean[1]
    fine_step = np.array([FINE_ALPHA[1] - FINE_ALPHA[0], FINE_BETA[1] - FINE_BETA[0]])
    fine_cov = np.array(
        [
            [fine.mass.sum(1) @ a**2 + fine_step[0] ** 2 / 12, a @ fine.mass @ b],
            [a @ fine.mass @ b, fine.mass.sum(0) @ b**2 + fine_step[1] ** 2 / 12],
        ]
    )
    assert np.allclose(standard.cov(), fine_cov, rtol=2e-3)


def test_edge_mass_flags_a_truncated_grid(data, standard):
    edges = standard.edge_mass()
    assert edges.largest < 1e-4
    assert edges.largest == max(edges.alpha_low, edges.alpha_high, edges.beta_low, edges.beta_high)
    assert edges.beta_high == pytest.approx(standard.mass[:, -1].sum())

    cut = bioassay_grid(data, beta=np.linspace(-10, 15, 180))
    cut_edges = cut.edge_mass()
    assert cut_edges.beta_high > 1e-3  # measured 0.0083
    assert cut_edges.largest == cut_edges.beta_high


def mass_above(centres, cell_mass, threshold):
    """1 - CDF(threshold) of the cell-uniform histogram (own implementation)."""
    step = centres[1] - centres[0]
    edges = np.concatenate([[centres[0] - step / 2], centres + step / 2])
    cdf = np.concatenate([[0.0], np.cumsum(cell_mass)])
    return 1.0 - np.interp(threshold, edges, cdf / cdf[-1])


def test_mass_beyond_beta_40_is_small(data, ref):
    # Widen beta to ~100 at the standard step and measure what the standard grid leaves
    # out: the mass above beta = 40 (half of the cell centred on 40 lies above it).
    step = BETA[1] - BETA[0]
    wide_beta = -10 + step * np.arange(int(np.floor(110 / step)) + 1)
    assert np.isclose(wide_beta[359], 40.0) and wide_beta[-1] > 99.8
    wide = bioassay_grid(data, beta=wide_beta)
    beyond = mass_above(wide.beta, wide.marginal("beta"), 40.0)
    assert np.round(beyond, 4) == 0.0007  # measured 0.000686
    # Cells entirely above 40, plus half the boundary cell, give the same number.
    marginal = wide.marginal("beta")
    assert beyond == pytest.approx(marginal[360:].sum() + marginal[359] / 2, rel=1e-9)
    # The same number from a finer numpy grid of its own (measured 0.000686).
    fine_beta = np.linspace(-10, 100, 3961)
    mass = normalised_grid(ref, np.linspace(-4, 8, 600), fine_beta)
    assert beyond == pytest.approx(mass_above(fine_beta, mass.sum(axis=0), 40.0), rel=0.01)
    # So the standard grid's mean of beta is off by only ~0.02 (0.0007 * ~30).
    assert 0 < wide.mean()[1] - bioassay_grid(data).mean()[1] < 0.05


# --- sampling -----------------------------------------------------------------------------------


def test_sample_shape_and_reproducibility(standard):
    first = standard.sample(1000, np.random.default_rng(3))
    assert first.shape == (1000, 2)
    assert np.array_equal(first, standard.sample(1000, np.random.default_rng(3)))
    assert not np.array_equal(first, standard.sample(1000, np.random.default_rng(4)))


def test_unjittered_draws_are_grid_points(standard):
    draws = standard.sample(2000, np.random.default_rng(8), jitter=False)
    assert np.all(np.isin(draws[:, 0], standard.alpha))
    assert np.all(np.isin(draws[:, 1], standard.beta))


def test_jittered_draws_stay_in_their_cells_and_match_the_grid_moments(standard):
    n = 100_000
    draws = standard.sample(n, np.random.default_rng(11))
    assert not np.any(np.isin(draws[:, 0], standard.alpha))  # off the grid points
    assert np.all(draws[:, 0] >= standard.alpha[0] - standard.step[0] / 2)
    assert np.all(draws[:, 1] <= standard.beta[-1] + standard.step[1] / 2)
    # Nearest grid point of each draw is at most half a step away.
    i = np.rint((draws[:, 0] - standard.alpha[0]) / standard.step[0]).astype(int)
    assert np.all(np.abs(draws[:, 0] - standard.alpha[i]) <= standard.step[0] / 2 + 1e-12)
    # Mean and covariance within Monte Carlo error (5 standard errors).
    cov = standard.cov()
    se = np.sqrt(np.diag(cov) / n)
    assert np.all(np.abs(draws.mean(axis=0) - standard.mean()) < 5 * se)
    assert np.allclose(np.cov(draws, rowvar=False), cov, rtol=0.05)


# --- credible levels ----------------------------------------------------------------------------


def test_credible_level_defines_highest_density_regions(standard):
    level = standard.credible_level()
    assert level.shape == standard.mass.shape
    assert np.all(level > 0) and np.all(level <= 1 + 1e-12)
    assert level.max() == pytest.approx(1.0, abs=1e-12)
    # The densest cell has level equal to its own mass.
    top = np.unravel_index(np.argmax(standard.mass), standard.mass.shape)
    assert level[top] == pytest.approx(standard.mass[top])
    for target in (0.5, 0.8, 0.95):
        inside = level <= target
        held = standard.mass[inside].sum()
        # The region holds the target mass up to one cell (the next cell would exceed it).
        assert target - standard.mass.max() < held <= target + 1e-12
        # ... and it is a highest-density region: every cell inside is at least as dense
        # as every cell outside.
        assert standard.mass[inside].min() >= standard.mass[~inside].max()
