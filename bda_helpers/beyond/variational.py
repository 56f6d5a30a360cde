"""Gaussian variational inference: the normal q(theta) = N(m, L Lᵀ) that maximises the ELBO.

    ELBO(m, L) = E_q[log p(theta)] + H[q],   H[q] = sum_i log L_ii + d/2 (1 + log 2π),

with ``p`` an unnormalised density, so ``ELBO = log Z - KL(q || p / Z) <= log Z``. The
expectation is estimated with the reparameterisation ``theta_s = m + L z_s`` over base
draws ``z_s`` drawn ONCE: the estimate is then a smooth, deterministic function of
``(m, L)`` with an analytic gradient, which L-BFGS-B optimises to convergence.

The base draws come in antithetic pairs ``(z, -z)`` and are then linearly rescaled so
that their sample mean is exactly 0 and their sample covariance exactly the identity.
Quadratic terms of ``log p`` are then averaged exactly: for a Gaussian target the
optimum carries no Monte Carlo error at all, and for a nearly Gaussian one only the
non-Gaussian part of ``log p`` does.

Two families:

* ``"mean-field"``: ``L`` diagonal (parameters ``m`` and ``log sd``). For a Gaussian
  target N(mu, Sigma) its optimum has mean ``mu`` and variances ``1 / Lambda_ii`` with
  ``Lambda = Sigma⁻¹``: the conditional variances, smaller than the marginal ones
  whenever the parameters are correlated.
* ``"full-rank"``: ``L`` lower triangular with a positive diagonal (parameters ``m``,
  ``log L_ii`` and the entries below the diagonal). For a Gaussian target it recovers
  (mu, Sigma) exactly.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

from ..random import check_generator

__all__ = ["FAMILIES", "GaussianVIResult", "VIConvergenceError", "gaussian_vi", "gaussian_summary_table"]

#: The variational families :func:`gaussian_vi` knows.
FAMILIES = ("mean-field", "full-rank")

#: Largest absolute ELBO derivative accepted at a reported optimum.
_GRADIENT_TOL = 1e-3


class VIConvergenceError(RuntimeError):
    """The optimiser stopped without maximising the ELBO.

    Attributes
    ----------
    result : scipy.optimize.OptimizeResult
        What L-BFGS-B returned, to see where it stopped.
    """

    def __init__(self, message: str, result: optimize.OptimizeResult):
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class GaussianVIResult:
    """The fitted normal approximation q = N(mean, cov) of a Gaussian VI fit.

    Attributes
    ----------
    mean : numpy.ndarray, shape (d,)
    cov : numpy.ndarray, shape (d, d)
        ``L Lᵀ``; diagonal for the mean-field family.
    cholesky : numpy.ndarray, shape (d, d)
        The fitted ``L``, lower triangular with a positive diagonal.
    elbo : float
        The ELBO at the optimum, estimated over the base draws (entropy constant
        included, so it is a lower bound on log ∫ p up to that estimate's error).
    family : str
        ``"mean-field"`` or ``"full-rank"``.
    n_iter : int
        L-BFGS-B iterations.
    n_evaluations : int
        Evaluations of the ELBO and its gradient (each over all base draws).
    max_gradient : float
        Largest absolute derivative of the ELBO with respect to the fitted parameters at
        the optimum (at most 1e-3, else :func:`gaussian_vi` raises).
    message : str
        The optimiser's report of why it stopped (it converged, else
        :func:`gaussian_vi` raises).
    base_draws : numpy.ndarray, shape (S, d)
        The fixed standard-normal base draws ``z_s`` (antithetic, moment-matched).
    """

    mean: np.ndarray
    cov: np.ndarray
    cholesky: np.ndarray
    elbo: float
    family: str
    n_iter: int
    n_evaluations: int
    max_gradient: float
    message: str
    base_draws: np.ndarray = field(repr=False)

    def __post_init__(self) -> None:
        for name in ("mean", "cov", "cholesky", "base_draws"):
            value = np.array(getattr(self, name), dtype=float)
            value.flags.writeable = False
            object.__setattr__(self, name, value)

    @property
    def sd(self) -> np.ndarray:
        """Marginal standard deviations, ``sqrt(diag(cov))``."""
        return np.sqrt(np.diag(self.cov))

    @property
    def corr(self) -> np.ndarray:
        """Correlation matrix (the identity for the mean-field family)."""
        return self.cov / np.outer(self.sd, self.sd)


def _base_draws(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` antithetic standard-normal draws in ``d`` dimensions, rescaled to sample mean 0
    and sample covariance exactly the identity."""
    half = rng.standard_normal((n // 2, d))
    z = np.concatenate([half, -half])  # sample mean exactly 0
    chol = np.linalg.cholesky(z.T @ z / n)
    return np.linalg.solve(chol, z.T).T  # z K⁻ᵀ: sample covariance K⁻¹ (K Kᵀ) K⁻ᵀ = I


def _check_family(family) -> str:
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {list(FAMILIES)}, got {family!r}")
    return family


def _check_base_draw_count(n, d: int) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 2 * d or n % 2:
        raise ValueError(
            f"n_base_draws must be an even integer (antithetic pairs) of at least 2 * d = {2 * d}, got {n!r}"
        )
    return int(n)


def _check_init(init_mean, init_cov) -> tuple[np.ndarray, np.ndarray]:
    """The starting mean and the Cholesky factor of the starting covariance (identity by default)."""
    mean = np.array(init_mean, dtype=float)
    if mean.ndim != 1 or mean.size == 0 or not np.isfinite(mean).all():
        raise ValueError(f"init_mean must be a finite, non-empty 1-D array, got {mean.tolist()}")
    d = mean.size
    cov = np.eye(d) if init_cov is None else np.array(init_cov, dtype=float)
    if cov.shape != (d, d):
        raise ValueError(f"init_cov must have shape {(d, d)}, got {cov.shape}")
    if not np.isfinite(cov).all() or not np.allclose(cov, cov.T, rtol=1e-10, atol=0.0):
        raise ValueError(f"init_cov must be finite and symmetric, got {cov.tolist()}")
    try:
        return mean, np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError(
            f"init_cov is not positive definite (eigenvalues {np.linalg.eigvalsh(cov).tolist()})"
        ) from None


class _Objective:
    """The ELBO estimated over fixed base draws, and its gradient, as a function of the packed
    parameters ``(m, log diag L[, entries of L below the diagonal])``."""

    def __init__(self, log_density, gradient, base_draws: np.ndarray, family: str):
        self.log_density, self.gradient, self.z = log_density, gradient, base_draws
        self.n, self.d = base_draws.shape
        self.full = family == "full-rank"
        self.lower = np.tril_indices(self.d, -1)
        self.constant = 0.5 * self.d * (1.0 + np.log(2 * np.pi))  # entropy of N(0, I)

    def pack(self, mean: np.ndarray, chol: np.ndarray) -> np.ndarray:
        parts = [mean, np.log(np.diag(chol))]
        if self.full:
            parts.append(chol[self.lower])
        return np.concatenate(parts)

    def unpack(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = self.d
        with np.errstate(over="ignore"):
            chol = np.diag(np.exp(params[d : 2 * d]))
        if self.full:
            chol[self.lower] = params[2 * d :]
        return params[:d], chol

    def elbo(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        """ELBO and its gradient with respect to ``params``.

        Raises ``ValueError`` where ``log p`` or its gradient is not finite at some draw: a
        Gaussian q puts mass everywhere, and scipy's L-BFGS-B can report convergence after a
        line search met an infinite value, so it must never see one.
        """
        mean, chol = self.unpack(params)
        with np.errstate(over="ignore", invalid="ignore"):
            theta = mean + self.z @ chol.T
        if not np.isfinite(theta).all():
            raise ValueError(
                f"the draws theta_s = m + L z_s overflow at m={mean.tolist()}, diag L={np.diag(chol).tolist()}"
            )
        values = np.asarray(self.log_density(theta), dtype=float)
        if values.shape != (self.n,):
            raise ValueError(
                f"log_density must map draws of shape {theta.shape} to shape {(self.n,)}, got {values.shape}"
            )
        scores = np.asarray(self.gradient(theta), dtype=float)
        if scores.shape != theta.shape:
            raise ValueError(
                f"gradient must map draws of shape {theta.shape} to that shape, got {scores.shape}"
            )
        bad = ~(np.isfinite(values) & np.isfinite(scores).all(axis=1))
        if bad.any():
            raise ValueError(
                f"log_density or gradient is not finite at the draw theta={theta[bad][0].tolist()} "
                f"(q with mean {mean.tolist()}): Gaussian VI needs them finite wherever q's draws go; "
                "put constrained parameters on an unconstrained scale"
            )
        log_diag = params[self.d : 2 * self.d]
        value = values.mean() + log_diag.sum() + self.constant
        # d/dm = E[g]; d/dL_ij = E[g_i z_j] (+ 1/L_ii from the entropy); chain rule for log L_ii.
        cross = scores.T @ self.z / self.n
        parts = [scores.mean(axis=0), np.diag(cross) * np.diag(chol) + 1.0]
        if self.full:
            parts.append(cross[self.lower])
        return float(value), np.concatenate(parts)

    def negative(self, params: np.ndarray, offset: float) -> tuple[float, np.ndarray]:
        """``offset - ELBO`` and its gradient, for the minimiser. With ``offset`` the starting
        ELBO, its relative-reduction test compares changes with the change so far, not with
        an arbitrary constant in ``log p``."""
        value, grad = self.elbo(params)
        return offset - value, -grad


def gaussian_vi(
    log_density: Callable[[np.ndarray], np.ndarray],
    gradient: Callable[[np.ndarray], np.ndarray],
    init_mean,
    *,
    family: str = "mean-field",
    n_base_draws: int = 2000,
    rng: np.random.Generator,
    init_cov=None,
    max_iter: int = 1000,
) -> GaussianVIResult:
    """Fit a normal q = N(m, L Lᵀ) to an unnormalised density by maximising the ELBO.

    The ELBO is estimated over ``n_base_draws`` fixed base draws (antithetic,
    moment-matched; see the module notes), so the objective is deterministic and
    L-BFGS-B maximises it with the analytic reparameterisation gradient
    ``d/dm = mean_s g_s``, ``d/dL_ij = mean_s g_si z_sj + [i = j] / L_ii``, where
    ``g_s`` is the gradient of ``log p`` at ``theta_s = m + L z_s``.

    Parameters
    ----------
    log_density : callable
        ``log_density(theta)`` for draws ``theta`` of shape ``(S, d)``, returning the
        (unnormalised) log density of each, shape ``(S,)``.
    gradient : callable
        ``gradient(theta)`` for draws of shape ``(S, d)``, returning the gradient of
        ``log_density`` at each, shape ``(S, d)``.
    init_mean : array_like, shape (d,)
        Starting mean, e.g. the posterior mode.
    family : {"mean-field", "full-rank"}, default "mean-field"
        Diagonal or full covariance.
    n_base_draws : int, default 2000
        Number S of base draws; even (antithetic pairs) and at least ``2 d``. The Monte
        Carlo error of the fit comes only from the non-Gaussian part of ``log p``.
    rng : numpy.random.Generator
        Source of the base draws, e.g. ``np.random.default_rng(5)``.
    init_cov : array_like, shape (d, d), optional
        Starting covariance (symmetric positive definite; the mean-field family uses its
        diagonal); the identity by default. A Laplace covariance is a good start.
    max_iter : int, default 1000
        Most L-BFGS-B iterations.

    Returns
    -------
    GaussianVIResult

    Raises
    ------
    ValueError
        If ``family`` is unknown, ``n_base_draws`` is not an even integer of at least
        ``2 d``, ``init_mean`` or ``init_cov`` is malformed, the callables return arrays
        of the wrong shape, or ``log_density`` or ``gradient`` is not finite at a draw
        (at the start or at a point the optimiser tries).
    TypeError
        If ``rng`` is not a ``numpy.random.Generator``.
    VIConvergenceError
        If L-BFGS-B stops without converging (the message quotes scipy's), or reports
        convergence where the ELBO's gradient is not small.

    Examples
    --------
    A Gaussian target with correlation 0.8: full-rank VI recovers its covariance exactly,
    mean-field VI the conditional variances ``1 / Lambda_ii = 1 - 0.8² = 0.36``.

    >>> sigma = np.array([[1.0, 0.8], [0.8, 1.0]])
    >>> precision = np.linalg.inv(sigma)
    >>> def log_p(theta):
    ...     return -0.5 * np.einsum("si,ij,sj->s", theta, precision, theta)
    >>> def grad_p(theta):
    ...     return -theta @ precision
    >>> full = gaussian_vi(log_p, grad_p, [0.5, -0.5], family="full-rank", rng=np.random.default_rng(1))
    >>> full.cov.round(6).tolist(), bool(np.isclose(full.elbo, np.log(2 * np.pi * 0.6)))   # ELBO = log Z
    ([[1.0, 0.8], [0.8, 1.0]], True)
    >>> mean_field = gaussian_vi(log_p, grad_p, [0.5, -0.5], family="mean-field", rng=np.random.default_rng(1))
    >>> bool(np.allclose(mean_field.mean, 0.0, atol=1e-6)), mean_field.cov.round(6).tolist()
    (True, [[0.36, 0.0], [0.0, 0.36]])

    The bioassay posterior (flat prior), with the batched :func:`~bda_helpers.bioassay.gradient`:

    >>> from bda_helpers import bioassay, load_bioassay
    >>> data = load_bioassay()
    >>> fit = gaussian_vi(lambda t: bioassay.log_posterior(t[:, 0], t[:, 1], data),
    ...                   lambda t: bioassay.gradient(t, data), [0.85, 7.75],
    ...                   family="full-rank", rng=np.random.default_rng(2))
    >>> fit.mean.round(1).tolist(), fit.sd.round(1).tolist()   # the grid's: (1.3, 11.6), (1.1, 5.7)
    ([1.3, 11.5], [1.0, 4.1])
    """
    family = _check_family(family)
    rng = check_generator(rng)
    mean, chol = _check_init(init_mean, init_cov)
    if family == "mean-field":
        chol = np.diag(np.sqrt(np.diag(chol @ chol.T)))
    n = _check_base_draw_count(n_base_draws, mean.size)
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
    objective = _Objective(log_density, gradient, _base_draws(n, mean.size, rng), family)
    start = objective.pack(mean, chol)
    start_elbo = objective.elbo(start)[0]
    result = optimize.minimize(
        objective.negative,
        start,
        args=(start_elbo,),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": int(max_iter), "ftol": 1e-13, "gtol": 1e-9},
    )
    failure = f"L-BFGS-B did not maximise the {family} ELBO after {result.nit} iterations"
    if not result.success:
        raise VIConvergenceError(f"{failure}: {result.message}", result)
    max_gradient = float(np.max(np.abs(result.jac)))
    if max_gradient > _GRADIENT_TOL:
        raise VIConvergenceError(
            f"{failure}: it reports {result.message!r}, but the ELBO's gradient is still {max_gradient:.3g} "
            "in some parameter (is log_density swamped by a huge constant, or gradient not its gradient?)",
            result,
        )
    fit_mean, fit_chol = objective.unpack(result.x)
    return GaussianVIResult(
        mean=fit_mean,
        cov=fit_chol @ fit_chol.T,
        cholesky=fit_chol,
        elbo=start_elbo - float(result.fun),
        family=family,
        n_iter=int(result.nit),
        n_evaluations=int(result.nfev),
        max_gradient=max_gradient,
        message=str(result.message),
        base_draws=objective.z,
    )


def gaussian_summary_table(gaussians: dict, names=("alpha", "beta")) -> pd.DataFrame:
    """Means, standard deviations and correlations of named normal approximations, one row each.

    Parameters
    ----------
    gaussians : dict of str to (mean, cov)
        E.g. ``{"grid": (grid.mean(), grid.cov()), "Laplace": (approx.mode, approx.cov),
        "full-rank VI": (fit.mean, fit.cov)}``; rows keep the dict's order.
    names : sequence of str, default ("alpha", "beta")
        Parameter names, one per dimension.

    Returns
    -------
    pandas.DataFrame
        Columns ``mean <name>`` and ``sd <name>`` per parameter and ``corr(<a>, <b>)`` per
        pair, indexed by approximation.

    Raises
    ------
    ValueError
        If ``gaussians`` is empty, or a mean or covariance has the wrong shape, is not
        finite, or a covariance is not symmetric with positive variances.

    Examples
    --------
    >>> table = gaussian_summary_table({"q": ([1.0, 2.0], [[4.0, 1.0], [1.0, 1.0]])})
    >>> table.round(3).to_dict("records")
    [{'mean alpha': 1.0, 'mean beta': 2.0, 'sd alpha': 2.0, 'sd beta': 1.0, 'corr(alpha, beta)': 0.5}]
    """
    names = list(names)
    d = len(names)
    if len(gaussians) == 0:
        raise ValueError("gaussians is empty: give at least one (mean, cov) to summarise")
    rows = {}
    for label, (mean, cov) in gaussians.items():
        mean, cov = np.asarray(mean, dtype=float), np.asarray(cov, dtype=float)
        if mean.shape != (d,) or cov.shape != (d, d):
            raise ValueError(
                f"{label!r} must have a mean of shape {(d,)} and a cov of shape {(d, d)}, got {mean.shape} and {cov.shape}"
            )
        if not (np.isfinite(mean).all() and np.isfinite(cov).all()):
            raise ValueError(f"{label!r} has a mean or cov that is not finite")
        if not np.allclose(cov, cov.T, rtol=1e-8, atol=0.0) or np.any(np.diag(cov) <= 0):
            raise ValueError(f"{label!r} cov must be symmetric with positive variances, got {cov.tolist()}")
        sd = np.sqrt(np.diag(cov))
        row = {f"mean {name}": mean[i] for i, name in enumerate(names)}
        row |= {f"sd {name}": sd[i] for i, name in enumerate(names)}
        for i in range(d):
            for j in range(i + 1, d):
                row[f"corr({names[i]}, {names[j]})"] = cov[i, j] / (sd[i] * sd[j])
        rows[label] = row
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("approximation")
