"""GridPosterior against exact Gaussian answers and a much finer grid computed here."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats

from bda_helpers import EdgeMass, GridPosterior, bioassay

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
    model = bioassay.model_functions(data)
    return GridPosterior.from_log_density(model.log_density, (alpha, beta), names=("alpha", "beta"))


def grid_points(alpha, beta):
    return np.stack(np.meshgrid(alpha, beta, indexing="ij"), axis=-1)


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
    values = bioassay.log_posterior(grid_points(ALPHA, BETA), data) + 123.0  # constants cancel
    from_values = GridPosterior.from_log_density(values, (ALPHA, BETA), names=("alpha", "beta"))
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

    def log_density(theta):
        u, v = theta[..., 0] - MU[0], theta[..., 1] - MU[1]
        return -0.5 * (precision[0, 0] * u * u + 2 * precision[0, 1] * u * v + precision[1, 1] * v * v)

    alpha = np.linspace(MU[0] - 8 * SD[0], MU[0] + 8 * SD[0], 801)
    beta = np.linspace(MU[1] - 8 * SD[1], MU[1] + 8 * SD[1], 1201)
    return GridPosterior.from_log_density(log_density, (alpha, beta), names=("alpha", "beta"))


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
        lambda theta: -50.0 * (theta**2).sum(axis=-1), (np.linspace(-8, 8, 81), np.linspace(-8, 8, 41))
    )
    assert grid.marginal("theta[0]")[0] == 0.0 and grid.marginal("theta[0]")[-1] == 0.0
    q = grid.quantile("theta[0]", [0.0, 1e-9, 0.5, 1 - 1e-9, 1.0])
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
    wrong = np.interp(PROBS, np.cumsum(marginal), standard.axis("beta"))
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
    assert set(edges.low) == set(edges.high) == {"alpha", "beta"}
    assert edges.largest == max(*edges.low.values(), *edges.high.values())
    assert edges.high["beta"] == pytest.approx(standard.mass[:, -1].sum())
    assert edges.low["alpha"] == pytest.approx(standard.mass[0, :].sum())

    cut = bioassay_grid(data, beta=np.linspace(-10, 15, 180))
    cut_edges = cut.edge_mass()
    assert cut_edges.high["beta"] > 1e-3  # measured 0.0083
    assert cut_edges.largest == cut_edges.high["beta"]


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
    beyond = mass_above(wide.axis("beta"), wide.marginal("beta"), 40.0)
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
    assert np.all(np.isin(draws[:, 0], standard.axis("alpha")))
    assert np.all(np.isin(draws[:, 1], standard.axis("beta")))


def test_jittered_draws_stay_in_their_cells_and_match_the_grid_moments(standard):
    n = 100_000
    draws = standard.sample(n, np.random.default_rng(11))
    alpha, beta = standard.axes
    assert not np.any(np.isin(draws[:, 0], alpha))  # off the grid points
    assert np.all(draws[:, 0] >= alpha[0] - standard.step[0] / 2)
    assert np.all(draws[:, 1] <= beta[-1] + standard.step[1] / 2)
    # Nearest grid point of each draw is at most half a step away.
    i = np.rint((draws[:, 0] - alpha[0]) / standard.step[0]).astype(int)
    assert np.all(np.abs(draws[:, 0] - alpha[i]) <= standard.step[0] / 2 + 1e-12)
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


# --- a generic grid: names, axes, edge masses ----------------------------------------------------


def test_a_grid_with_its_own_names_answers_by_those_names():
    mu, log_sigma = np.linspace(-3, 3, 61), np.linspace(-2, 2, 41)
    grid = GridPosterior.from_log_density(
        lambda theta: -0.5 * theta[..., 0] ** 2 - 2.0 * theta[..., 1] ** 2,
        (mu, log_sigma),
        names=("mu", "log_sigma"),
    )
    assert grid.names == ("mu", "log_sigma")
    assert grid.axis("mu") is grid.axes[0] and grid.axis("log_sigma") is grid.axes[1]
    np.testing.assert_array_equal(grid.axis("log_sigma"), log_sigma)
    assert grid.marginal("mu").shape == (61,) and grid.marginal("log_sigma").shape == (41,)
    # Independent normals, sds 1 and 1/2: the marginal medians are 0 and the 97.5 % quantiles
    # those of the normals (the grid is cut at 3 and 4 sds, so only to about 1e-2).
    assert grid.quantile("mu", 0.5) == pytest.approx(0.0, abs=1e-12)
    assert grid.quantile("log_sigma", 0.975) == pytest.approx(stats.norm.ppf(0.975, scale=0.5), abs=1e-2)
    assert grid.cdf("mu", 0.0) == pytest.approx(0.5, abs=1e-12)
    assert grid.central_interval("mu", 0.5) == pytest.approx(stats.norm.ppf([0.25, 0.75]), abs=1e-2)
    edge = grid.edge_mass()
    assert edge.low["mu"] == pytest.approx(grid.mass[0].sum()) and edge.high["log_sigma"] == pytest.approx(
        grid.mass[:, -1].sum()
    )
    for method, args in (("axis", ()), ("marginal", ()), ("quantile", (0.5,)), ("cdf", (0.0,))):
        with pytest.raises(ValueError, match=r"parameter must be one of 'mu', 'log_sigma', got 'alpha'"):
            getattr(grid, method)("alpha", *args)


def test_the_default_names_and_positional_construction():
    mass = np.full((2, 3), 1 / 6)
    grid = GridPosterior(([0.0, 1.0], [0.0, 1.0, 2.0]), mass)
    assert grid.names == ("theta[0]", "theta[1]")
    assert grid.marginal("theta[1]") == pytest.approx([1 / 3] * 3)
    assert grid.axes[0].flags.writeable is False and grid.mass.flags.writeable is False


def test_the_log_density_callable_gets_the_points_stacked_on_the_last_axis():
    seen = []

    def log_density(theta):
        seen.append(theta.copy())
        return np.zeros(theta.shape[:-1])

    a, b = np.array([0.0, 1.0, 2.0]), np.array([10.0, 20.0])
    GridPosterior.from_log_density(log_density, (a, b))
    (theta,) = seen
    assert theta.shape == (3, 2, 2)
    assert theta[2, 1].tolist() == [2.0, 20.0] and theta[0, 1].tolist() == [0.0, 20.0]


def test_edge_mass_is_a_read_only_mapping_per_side():
    edge = EdgeMass(low={"a": 0.1, "b": 0.0}, high={"a": 0.2, "b": 0.3})
    assert edge.largest == 0.3 and dict(edge.low) == {"a": 0.1, "b": 0.0}
    with pytest.raises(TypeError):
        edge.low["a"] = 0.5
    source = {"a": 0.1, "b": 0.0}
    copied = EdgeMass(low=source, high={"a": 0.0, "b": 0.0})
    source["a"] = 0.9  # the caller's dict is copied, not aliased
    assert copied.low["a"] == 0.1
    with pytest.raises(ValueError, match="same parameters"):
        EdgeMass(low={"a": 0.1}, high={"b": 0.1})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"names": ("a", "a")}, "two different non-empty strings"),
        ({"names": ("a",)}, "two parameter names"),
        ({"names": "ab"}, "two parameter names"),
        ({"names": ("a", 3)}, "two different non-empty strings"),
        ({"names": None}, "two parameter names"),
        ({"names": ("a", "b", "c")}, "two parameter names"),
        ({"axes": np.zeros((2, 3))}, "axes must be a pair"),
        ({"axes": ([0.0, 1.0],)}, "axes must be a pair"),
        ({"axes": ([0.0, 1.0], [0.0, 1.0], [0.0, 1.0])}, "axes must be a pair"),
    ],
)
def test_bad_names_and_axes_are_refused(kwargs, message):
    arguments = {"axes": ([0.0, 1.0], [0.0, 1.0]), "names": ("a", "b")} | kwargs
    with pytest.raises(ValueError, match=message):
        GridPosterior.from_log_density(np.zeros((2, 2)), **arguments)


def test_the_axis_named_in_a_message_is_the_parameter_name():
    with pytest.raises(ValueError, match="the log_sigma grid must be evenly spaced"):
        GridPosterior.from_log_density(
            np.zeros((2, 3)), ([0.0, 1.0], [0.0, 1.0, 3.0]), names=("mu", "log_sigma")
        )


@pytest.mark.parametrize("scale", [1e308, -1e308, 1e12])
def test_a_log_density_too_large_for_floating_point_is_refused(scale):
    # Around 1e308 neighbouring floats are 2e292 apart: the values' differences, the
    # posterior's shape, are lost, and normalising would spread the mass over whichever cells
    # round to the top value (formerly "mass must sum to 1, got 35.0").
    axes = (np.linspace(-1, 1, 7), np.linspace(-1, 1, 5))
    with pytest.raises(ValueError, match=r"too large in magnitude for floating point.*subtract a constant"):
        GridPosterior.from_log_density(lambda theta: scale * (1.0 - 1e-3 * (theta**2).sum(axis=-1)), axes)


def test_a_large_but_resolvable_log_density_is_normalised_exactly():
    # A constant of 1e6 costs only ~1e-10 in the log: the grid equals the one without it.
    axes = (np.linspace(-3, 3, 31), np.linspace(-3, 3, 21))
    base = GridPosterior.from_log_density(lambda theta: -0.5 * (theta**2).sum(axis=-1), axes)
    shifted = GridPosterior.from_log_density(lambda theta: 1e6 - 0.5 * (theta**2).sum(axis=-1), axes)
    np.testing.assert_allclose(shifted.mass, base.mass, rtol=1e-8)
    very_negative = GridPosterior.from_log_density(lambda theta: -1.7e308 * (theta[..., 0] > 2.5), axes)
    assert very_negative.mass[-1].sum() == 0.0 and very_negative.mass.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("constant", [3e7, 4e9, -4e9, 8e9])
def test_log_densities_in_the_billions_still_give_a_normalised_grid(constant):
    """Up to 2**33 ≈ 8.6e9 the log density is resolved to 1e-6 or better: the masses sum to 1
    and differ from the unshifted grid's by no more than that resolution allows (formerly
    "mass must sum to 1, got 1.0000003")."""
    rng = np.random.default_rng(3)
    axes = (np.linspace(-3, 3, 41), np.linspace(-2, 2, 29))
    shape = rng.normal(scale=2.0, size=(41, 29))
    reference = np.exp(shape - shape.max())
    reference /= reference.sum()
    grid = GridPosterior.from_log_density(constant + shape, axes)
    assert grid.mass.sum() == pytest.approx(1.0, abs=1e-12)
    # Each value is rounded by at most half the spacing at the constant, and so is the maximum:
    # each mass, exp(value - max) / sum, is off by at most about two spacings, relatively.
    np.testing.assert_allclose(grid.mass, reference, rtol=4 * np.spacing(abs(constant)))
