"""The large-sample and frequency-coverage studies, against independent references.

References: closed forms (the total variation of two shifted normals, 2Φ(δ/2) − 1; the
1/sqrt(k) rate), the conftest model (scipy root and the analytic information for the
Laplace fit, log_expit for the likelihood, a 5x finer grid normalised with numpy), scipy's
linear programming for separability, Monte Carlo from scipy's multivariate normal, and
grids finer and wider than the studies' own.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from bda_helpers import BioassayData, GridPosterior, bioassay, ld50, weighted_quantiles
from bda_helpers.beyond.asymptotics import (
    QUANTILE_PROBS,
    WEAK_PRIOR,
    _log_log_slope,
    coverage_study,
    grid_log_posteriors,
    laplace_grid_distance,
    large_sample_study,
    replicate,
    total_variation,
)
from bda_helpers.bioassay import ImproperPosteriorError, is_separable

THETA_TRUE = (0.85, 7.75)


def cell_quantiles(centres, cell_mass, q):
    """Quantiles of a histogram with cells centred on ``centres``: the piecewise-linear CDF
    through the cell edges, inverted by interpolation (written here, not the package's)."""
    step = centres[1] - centres[0]
    edges = np.concatenate([[centres[0] - step / 2], centres + step / 2])
    cdf = np.concatenate([[0.0], np.cumsum(cell_mass)])
    return np.interp(q, cdf / cdf[-1], edges)


@pytest.fixture(scope="module")
def study(data):
    return large_sample_study(data)


@pytest.fixture(scope="module")
def coverage5(data):
    return coverage_study(THETA_TRUE, data.x, 5, WEAK_PRIOR, 400, np.random.default_rng(2026))


# --- A. Large samples ------------------------------------------------------------------------


def test_replicate_multiplies_animals_and_deaths(data, ref):
    for k in (1, 3, 64):
        copy = replicate(data, k)
        np.testing.assert_array_equal(copy.x, ref.X)
        np.testing.assert_array_equal(copy.n, k * ref.N)
        np.testing.assert_array_equal(copy.y, k * ref.Y)


@pytest.mark.parametrize("shift", [[0.5, 0.0], [1.0, -2.0], [3.0, 1.0]])
def test_total_variation_of_shifted_normals_matches_the_closed_form(shift):
    cov = np.array([[1.0, 0.6], [0.6, 2.0]])
    axis_a, axis_b = np.linspace(-9, 12, 421), np.linspace(-12, 12, 481)
    a, b = np.meshgrid(axis_a, axis_b, indexing="ij")
    points = np.stack([a, b], axis=-1)
    axes = (axis_a, axis_b)
    p = GridPosterior.from_log_density(stats.multivariate_normal([0, 0], cov).logpdf(points), axes)
    q = GridPosterior.from_log_density(stats.multivariate_normal(shift, cov).logpdf(points), axes)
    delta = np.sqrt(np.array(shift) @ np.linalg.solve(cov, shift))
    assert total_variation(p, q) == pytest.approx(2 * stats.norm.cdf(delta / 2) - 1, abs=1e-6)
    assert total_variation(p, p) == 0.0


def test_k1_distance_matches_a_finer_reference_grid(ref, data, posterior_mode):
    result = laplace_grid_distance(data)
    # The reference: the conftest model normalised with numpy on a fine grid over a box wide
    # enough for beta's long upper tail (the course's box stops at beta = 40, which cuts
    # 0.07 % of this posterior and moves its 97.5 % quantile by 0.1) and for the normal's
    # lower tail (1.5e-4 of it lies below beta = -10), and the Laplace normal from scipy's
    # root and the analytic information, normalised on the same grid.
    alpha, beta = np.linspace(-6, 20, 1000), np.linspace(-35, 120, 1900)
    log_density = ref.log_likelihood(alpha[:, None], beta[None, :])
    mass = np.exp(log_density - log_density.max())
    mass /= mass.sum()
    assert max(mass[[0, -1]].sum(axis=1).max(), mass[:, [0, -1]].sum(axis=0).max()) < 1e-12
    a, b = np.meshgrid(alpha, beta, indexing="ij")
    normal = stats.multivariate_normal(posterior_mode.mode, posterior_mode.cov).pdf(np.stack([a, b], axis=-1))
    tv = 0.5 * np.abs(mass - normal / normal.sum()).sum()
    assert result.total_variation == pytest.approx(tv, abs=1e-5)
    beta_mass = mass.sum(axis=0)
    grid_q = cell_quantiles(beta, beta_mass, QUANTILE_PROBS)
    laplace_q = stats.norm.ppf(QUANTILE_PROBS, posterior_mode.mode[1], np.sqrt(posterior_mode.cov[1, 1]))
    np.testing.assert_allclose(result.beta_quantile_grid, grid_q, atol=0.01)
    np.testing.assert_allclose(result.beta_quantile_laplace, laplace_q, atol=1e-6)
    np.testing.assert_allclose(result.beta_quantile_error, laplace_q - grid_q, atol=0.01)
    beta_sd = np.sqrt(beta_mass @ (beta - beta @ beta_mass) ** 2)
    assert result.beta_sd_grid == pytest.approx(beta_sd, rel=1e-3)
    np.testing.assert_allclose(
        result.beta_quantile_error_sd, result.beta_quantile_error / result.beta_sd_grid
    )
    # The exact posterior is skewed to large beta: both Laplace quantiles are too low.
    assert np.all(result.beta_quantile_error < 0)


@pytest.mark.parametrize("k", [1, 64])
def test_default_grid_is_stable_against_finer_and_wider_grids(data, k):
    copy = replicate(data, k)
    default = laplace_grid_distance(copy)
    finer = laplace_grid_distance(copy, points=800)  # twice as fine, same span
    wider = laplace_grid_distance(copy, span=(-16.0, 28.0), points=800)  # twice as wide, same spacing
    assert default.edge_mass < 1e-7
    for other in (finer, wider):
        assert other.total_variation == pytest.approx(default.total_variation, rel=1e-4)
        np.testing.assert_allclose(
            other.beta_quantile_grid, default.beta_quantile_grid, atol=2e-3 * default.beta_sd_grid
        )
        np.testing.assert_allclose(other.beta_sd_grid, default.beta_sd_grid, rtol=1e-4)


def test_total_variation_falls_like_one_over_sqrt_k(data):
    # In the Gaussian limit the leading error is the skewness, of order 1/sqrt(k): quadrupling
    # k halves the distance, and the distance goes to 0.
    tv = [laplace_grid_distance(replicate(data, k)).total_variation for k in (1024, 4096)]
    assert tv[1] < 0.005
    assert tv[1] / tv[0] == pytest.approx(0.5, abs=0.01)


def test_study_rates_and_table(study):
    ks = study.ks
    assert ks.tolist() == [1, 2, 4, 8, 16, 32, 64] and ks.dtype.kind == "i"
    assert np.all(np.diff(study.total_variation) < 0) and study.edge_mass.max() < 1e-7
    # Slopes by the closed-form least-squares formula on the logs.
    log_k = np.log(ks)

    def slope(values):
        log_v = np.log(np.abs(values))
        return np.sum((log_k - log_k.mean()) * (log_v - log_v.mean())) / np.sum((log_k - log_k.mean()) ** 2)

    assert study.slope_total_variation == pytest.approx(slope(study.total_variation))
    np.testing.assert_allclose(study.slope_error, [slope(c) for c in study.beta_quantile_error.T])
    np.testing.assert_allclose(study.slope_error_sd, [slope(c) for c in study.beta_quantile_error_sd.T])
    # Theory: TV and the errors in sds ~ k^(-1/2), absolute errors ~ k^(-1). The last doubling
    # of k shows the rates; over all k the lower quantile's error in sds falls more slowly.
    assert study.slope_total_variation == pytest.approx(-0.5, abs=0.03)
    last = np.log(np.abs(study.beta_quantile_error_sd[-1] / study.beta_quantile_error_sd[-2])) / np.log(2)
    np.testing.assert_allclose(last, -0.5, atol=0.03)
    last_abs = np.log(np.abs(study.beta_quantile_error[-1] / study.beta_quantile_error[-2])) / np.log(2)
    np.testing.assert_allclose(last_abs, -1.0, atol=0.03)
    table = study.table()
    assert table["k"].tolist() == ks.tolist()
    np.testing.assert_array_equal(table["error_upper_sd"], study.beta_quantile_error_sd[:, 1])
    with pytest.raises(ValueError):
        study.total_variation[0] = 0.0


@pytest.mark.parametrize(
    "k, error, message",
    [
        (0, ValueError, "k must be at least 1, got 0"),
        (-2, ValueError, "k must be at least 1, got -2"),
        (1.5, TypeError, "k must be an integer, got float"),
        (True, TypeError, "k must be an integer, got bool"),
        ("2", TypeError, "k must be an integer, got str"),
        (None, TypeError, "k must be an integer, got NoneType"),
    ],
)
def test_replicate_refuses_a_k_that_is_not_a_positive_integer(data, k, error, message):
    with pytest.raises(error, match=message):
        replicate(data, k)


@pytest.mark.parametrize(
    "ks, error, message",
    [
        ((4,), ValueError, "at least two"),
        (5, ValueError, "at least two"),
        ((1, 0), ValueError, "each k must be at least 1"),
        ((1, 2.5), TypeError, "each k must be an integer"),
        ((4, 2), ValueError, "strictly increasing"),
        ((2, 2), ValueError, "strictly increasing"),
    ],
)
def test_large_sample_study_refuses_bad_ks(data, ks, error, message):
    with pytest.raises(error, match=message):
        large_sample_study(data, ks)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"span": (1.0, 10.0)}, ValueError, "lower < 0 < upper"),
        ({"span": (-5.0,)}, ValueError, "span"),
        ({"span": (-5.0, np.inf)}, ValueError, "span"),
        ({"points": 5}, ValueError, "points must be at least 10"),
        ({"points": 100.0}, TypeError, "points must be an integer"),
    ],
)
def test_laplace_grid_distance_refuses_bad_grids(data, kwargs, error, message):
    with pytest.raises(error, match=message):
        laplace_grid_distance(data, **kwargs)


@pytest.mark.parametrize("y", [[0, 0, 5, 5], [0, 2, 5, 5], [5, 5, 0, 0]])
def test_separable_data_under_the_flat_prior_are_refused_as_improper(ref, y):
    # Separated (or quasi-separated) deaths: no finite mode under the flat prior, so neither
    # a Laplace approximation nor a grid centred on it exists; a proper prior makes one.
    separable = BioassayData(x=ref.X, n=ref.N, y=y)
    with pytest.raises(ImproperPosteriorError, match="improper"):
        laplace_grid_distance(separable)
    with pytest.raises(ImproperPosteriorError, match="improper"):
        large_sample_study(separable, ks=(1, 2))
    result = laplace_grid_distance(separable, WEAK_PRIOR)
    assert np.isfinite(result.total_variation) and result.edge_mass < 1e-6


def test_wrong_types_are_refused(data):
    grid = bioassay.grid_posterior(data)
    with pytest.raises(TypeError, match="BioassayData"):
        replicate({"x": data.x}, 2)
    with pytest.raises(TypeError, match="GridPosterior"):
        total_variation(grid, grid.mass)
    other = bioassay.grid_posterior(data, alpha=np.linspace(-4, 8, 241))
    with pytest.raises(ValueError, match="same grid"):
        total_variation(grid, other)
    with pytest.raises(TypeError, match="prior"):
        laplace_grid_distance(data, prior="flat")
    with pytest.raises(TypeError, match="BioassayData"):
        laplace_grid_distance((data.x, data.n, data.y))
    with pytest.raises(TypeError, match="BioassayData"):
        grid_log_posteriors([[0, 1, 3, 5]], None, None, [0.0, 1.0], [0.0, 1.0])
    with pytest.raises(TypeError, match="prior"):
        grid_log_posteriors([[0, 1, 3, 5]], data, "flat", [0.0, 1.0], [0.0, 1.0])


def test_total_variation_compares_the_axes_not_the_names():
    axes = (np.linspace(-6.0, 6.0, 61), np.linspace(-6.0, 6.0, 81))

    def log_density(t):
        return -0.5 * np.sum(t**2, axis=-1)

    named = GridPosterior.from_log_density(log_density, axes, names=("alpha", "beta"))
    unnamed = GridPosterior.from_log_density(log_density, axes)
    assert total_variation(named, unnamed) == 0.0
    shifted = GridPosterior.from_log_density(log_density, (axes[0], axes[1] + 0.1), names=named.names)
    with pytest.raises(ValueError, match="same grid"):
        total_variation(named, shifted)


def test_slope_fit_refuses_an_error_of_exactly_zero():
    with pytest.raises(ValueError, match="exactly 0"):
        _log_log_slope(np.array([1, 2, 4]), np.array([0.3, 0.0, 0.1]))


# --- B. Frequency coverage -------------------------------------------------------------------


def test_grid_log_posteriors_match_the_reference_model(ref, data):
    alpha, beta = np.linspace(-3, 5, 17), np.linspace(-5, 30, 23)
    y = np.array([[0, 1, 3, 5], [0, 0, 5, 5], [2, 2, 4, 3]])
    for prior in (None, WEAK_PRIOR):
        values = grid_log_posteriors(y, data, prior, alpha, beta)
        assert values.shape == (3, 17, 23)
        for row, y_r in zip(values, y):
            expected = ref.log_likelihood(alpha[:, None], beta[None, :], y=y_r)
            if prior is not None:
                expected = expected + ref.log_prior(
                    alpha[:, None], beta[None, :], [0.0, 0.0], [[25.0, 0], [0, 400.0]]
                )
            np.testing.assert_allclose(row, expected, rtol=1e-12, atol=1e-10)
            theta = np.stack(np.meshgrid(alpha, beta, indexing="ij"), axis=-1)
            package = bioassay.log_posterior(theta, BioassayData(x=ref.X, n=ref.N, y=y_r), prior)
            np.testing.assert_allclose(row, package, rtol=1e-12, atol=1e-10)


@pytest.mark.parametrize(
    "y, message",
    [
        ([0, 1, 3, 5], "shape"),
        ([[0, 1, 3]], "shape"),
        ([[0, 1, 3, 6]], "between 0 and n"),
        ([[0, 1, 3, -1]], "between 0 and n"),
        ([[0.5, 1, 3, 5]], "whole numbers"),
    ],
)
def test_grid_log_posteriors_refuses_bad_counts(data, y, message):
    with pytest.raises(ValueError, match=message):
        grid_log_posteriors(y, data, None, [0.0, 1.0], [0.0, 1.0])


def test_coverage_study_n5_grid_holds_every_replication(coverage5, ref, lp_separable):
    study = coverage5
    assert study.y.shape == (400, 4) and study.n_reps == 400 and study.y.dtype.kind == "i"
    for name in ("y", "intervals", "coverage", "alpha", "beta"):
        with pytest.raises(ValueError, match="read-only"):
            getattr(study, name)[0] = 0
    assert study.max_edge_mass < 1e-5
    assert study.max_prob_beta_nonpositive < 1e-3
    # Separable data sets, counted independently by linear programming.
    distinct, counts = np.unique(study.y, axis=0, return_counts=True)
    expected = sum(c for y, c in zip(distinct, counts) if lp_separable(ref.X, ref.N, y))
    assert study.n_separable == expected and 100 < expected < 200
    # Intervals of replications with the same deaths are the same.
    first = {}
    for r, y in enumerate(map(tuple, study.y)):
        np.testing.assert_array_equal(
            study.intervals[..., r, :], study.intervals[..., first.setdefault(y, r), :]
        )


def check_against_finer_grids(study, replications):
    """Compare the study's grid intervals of some replications with a grid of their own,
    twice as fine and reaching further (bioassay.grid_posterior), and its Laplace LD50
    intervals with Monte Carlo from scipy's normal."""
    probs = np.array([[(1 - level) / 2, (1 + level) / 2] for level in study.levels])
    for r in replications:
        data = BioassayData(x=study.doses, n=np.full(study.doses.size, study.n_per_dose), y=study.y[r])
        fit = bioassay.laplace_fit(data, WEAK_PRIOR)
        alpha, beta = (
            np.linspace(m - 10 * s, m + 16 * s, size) for m, s, size in zip(fit.mode, fit.sd, (400, 600))
        )
        grid = bioassay.grid_posterior(data, WEAK_PRIOR, alpha=alpha, beta=beta)
        sd_beta = np.sqrt(grid.cov()[1, 1])
        for i, level in enumerate(study.levels):
            ours = study.intervals[0, i, 1, r]
            np.testing.assert_allclose(ours, grid.central_interval("beta", level), atol=0.03 * sd_beta)
        a, b = np.meshgrid(alpha, beta[beta > 0], indexing="ij")
        ld50_fine = weighted_quantiles(ld50(a, b), grid.mass[:, beta > 0], probs)
        width = ld50_fine[-1, 1] - ld50_fine[-1, 0]
        np.testing.assert_allclose(study.intervals[1, :, 1, r], ld50_fine, atol=0.02 * width)
        # Monte Carlo: the share of normal draws (given beta > 0) below each Laplace LD50 end.
        draws = stats.multivariate_normal(fit.mode, fit.cov).rvs(
            200_000, random_state=np.random.default_rng(r)
        )
        draws = draws[draws[:, 1] > 0]
        share = np.mean(
            -draws[:, 0, None, None] / draws[:, 1, None, None] <= study.intervals[1, :, 0, r], axis=0
        )
        assert np.all(np.abs(share - probs) < 4 * np.sqrt(probs * (1 - probs) / draws.shape[0])), (
            share,
            probs,
        )


def test_coverage_study_n5_intervals_match_finer_grids(coverage5):
    width = np.diff(coverage5.intervals[0, -1, 1], axis=-1)[:, 0]  # of beta's 95 % grid interval
    # The narrowest and the widest posteriors of beta, and a separable data set.
    separable = next(
        r
        for r, y in enumerate(coverage5.y)
        if is_separable(BioassayData(x=coverage5.doses, n=np.full(4, 5), y=y))
    )
    check_against_finer_grids(coverage5, [int(np.argmin(width)), int(np.argmax(width)), separable])


def test_coverage_study_n50(data):
    study = coverage_study(THETA_TRUE, data.x, 50, WEAK_PRIOR, 40, np.random.default_rng(3))
    assert study.max_edge_mass < 1e-5 and study.n_separable == 0
    width = np.diff(study.intervals[0, -1, 1], axis=-1)[:, 0]
    check_against_finer_grids(study, [int(np.argmin(width)), int(np.argmax(width))])


def test_coverage_table_and_mc_errors(coverage5):
    table = coverage5.table()
    assert table.columns.tolist() == ["quantity", "level", "method", "coverage", "mc_se"]
    assert len(table) == 8
    assert set(table["method"]) == {"Laplace", "grid"} and set(table["quantity"]) == {"beta", "LD50"}
    truth = {"beta": THETA_TRUE[1], "LD50": -THETA_TRUE[0] / THETA_TRUE[1]}
    for row in table.itertuples():
        q, i = ["beta", "LD50"].index(row.quantity), [0.5, 0.95].index(row.level)
        m = ["Laplace", "grid"].index(row.method)
        lower, upper = coverage5.intervals[q, i, m].T
        hits = np.count_nonzero((lower <= truth[row.quantity]) & (truth[row.quantity] <= upper))
        assert row.coverage == hits / 400
        assert row.mc_se == pytest.approx(np.sqrt(hits * (400 - hits)) / 400**1.5)


def test_laplace_coverage_is_nominal_at_huge_n(data):
    # With 20,000 animals per dose the posterior is normal to high accuracy, and the normal
    # intervals are the Wald intervals, whose coverage is then the nominal level.
    reps = 100
    study = coverage_study(
        THETA_TRUE, data.x, 20_000, WEAK_PRIOR, reps, np.random.default_rng(11), levels=(0.8,)
    )
    nominal_se = np.sqrt(0.8 * 0.2 / reps)
    assert np.all(np.abs(study.coverage - 0.8) < 3.5 * nominal_se)
    # ... and Laplace and exact intervals agree to 2 % of their width.
    width = np.diff(study.intervals[:, :, 1], axis=-1)
    assert np.all(np.abs(study.intervals[:, :, 0] - study.intervals[:, :, 1]) < 0.02 * width)


def test_coverage_study_is_deterministic(data):
    runs = [
        coverage_study(THETA_TRUE, data.x, 5, WEAK_PRIOR, 10, np.random.default_rng(seed))
        for seed in (9, 9, 10)
    ]
    np.testing.assert_array_equal(runs[0].y, runs[1].y)
    np.testing.assert_array_equal(runs[0].intervals, runs[1].intervals)
    assert not np.array_equal(runs[0].y, runs[2].y)


@pytest.mark.parametrize(
    "changes, error, message",
    [
        ({"theta_true": [0.85]}, ValueError, "theta_true"),
        ({"theta_true": [0.85, np.nan]}, ValueError, "theta_true"),
        ({"theta_true": [0.85, -1.0]}, ValueError, "beta > 0"),
        ({"doses": [0.1, 0.1, 0.5]}, ValueError, "distinct"),
        ({"doses": [[0.1, 0.2]]}, ValueError, "1-D"),
        ({"doses": [0.1, np.inf]}, ValueError, "finite"),
        ({"doses": [0.1]}, ValueError, "at least two"),
        ({"n_per_dose": 0}, ValueError, "n_per_dose must be at least 1"),
        ({"n_per_dose": 2.5}, TypeError, "n_per_dose must be an integer"),
        ({"n_per_dose": True}, TypeError, "n_per_dose must be an integer"),
        ({"n_reps": 0}, ValueError, "n_reps must be at least 1"),
        ({"n_reps": 10.0}, TypeError, "n_reps must be an integer"),
        ({"rng": 42}, TypeError, "Generator"),
        ({"rng": np.random.RandomState(1)}, TypeError, "Generator"),
        ({"prior": None}, TypeError, "NormalPrior"),
        ({"levels": (0.5, 1.0)}, ValueError, "levels"),
        ({"levels": (0.0,)}, ValueError, "levels"),
        ({"levels": ()}, ValueError, "levels"),
        ({"levels": 95}, ValueError, "levels"),
        ({"points": (200,)}, ValueError, "points"),
        ({"points": (200, 3)}, ValueError, r"points\[1\] must be at least 10"),
        ({"points": (200.0, 300)}, TypeError, r"points\[0\] must be an integer"),
        ({"span": (-8.0, 0.0)}, ValueError, "span"),
    ],
)
def test_coverage_study_refuses_bad_input(data, changes, error, message):
    arguments = {
        "theta_true": THETA_TRUE,
        "doses": data.x,
        "n_per_dose": 5,
        "prior": WEAK_PRIOR,
        "n_reps": 5,
        "rng": np.random.default_rng(0),
    }
    arguments.update(changes)
    with pytest.raises(error, match=message):
        coverage_study(**arguments)
