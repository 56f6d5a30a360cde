"""Gaussian variational inference: the normal q(theta) = N(m, L Lᵀ) that maximises the ELBO.

    ELBO(m, L) = E_q[log p(theta)] + H[q],   H[q] = sum_i log L_ii + d/2 (1 + log 2π),

with ``p`` an unnormalised density, so ``ELBO = log Z - KL(q || p / Z) <= log Z``. The
expectation is estimated with the reparameterisation ``theta_s = m + L z_s`` over base
draws ``z_s`` drawn ONCE: the estimate is then a smooth, deterministic function of
``(m, L)`` with the analytic gradient

    d/dm = mean_s g_s,   d/dL_ij = mean_s g_si z_sj + [i = j] / L_ii,

where ``g_s`` is the gradient of ``log p`` at ``theta_s``, and L-BFGS-B maximises it to
convergence.

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

A returned fit has passed three checks where the optimiser stopped:

* L-BFGS-B reports convergence and the ELBO's derivatives are at most 1e-3 there
  (else :class:`VIConvergenceError`);
* those derivatives, built from the ``gradient`` supplied, agree with central differences
  of the ELBO computed from ``log_density`` alone (else :class:`GradientMismatchError`): a
  wrong gradient cannot pass off a point that is no optimum as one;
* the ELBO does not keep rising as q moves on (else :class:`ImproperTargetError`): with its
  scale doubled, its spread along one column of ``L`` doubled, its mean's distance from the
  start doubled, or its scale and that distance both, once, twice and three times. A rise
  at all three steps of one move shows only that the stopping point is not the ELBO's
  maximum along that move (at most a local one), so no maximum was found. Most often the
  target is improper: when ``∫ p`` is infinite, e.g. for separated data under a flat prior,
  the ELBO may have no maximum, as q can keep widening or drifting along a direction in
  which ``p`` does not fall; L-BFGS-B then stops far out, where the sample ELBO's gradient
  is small although the ELBO rises again further on, or where q's draws overflow (then the
  same check runs at the best q it reached). But the rise does not prove the target
  improper: for a proper one it means that the optimiser stopped short of a maximum (at a
  local optimum, say).

The checks see only what the ELBO sees, and some improper targets pass them:

* a mean-field q cannot stretch along a flat direction that is not an axis (``p``
  depending on ``theta[0] - theta[1]`` alone, say), so its ELBO can have a maximum though
  the target is improper;
* an ELBO that approaches a finite supremum as q widens or moves off, rising ever more
  slowly, is caught only while three doublings each raise it by more than 1e-3 nats. For
  ``p ∝ 1 / (1 + |theta|)`` in one dimension (improper: ``∫ p`` diverges like a logarithm)
  the ELBO tends to about 2.05 as the sd grows; L-BFGS-B stops at an sd of about 1e10,
  where the rises are far below 1e-3, and that fit is returned.

Examples
--------
A Gaussian target with correlation 0.8: full-rank VI recovers its covariance exactly (and
its ELBO is log Z), mean-field VI the conditional variances ``1 / Lambda_ii = 1 - 0.8² = 0.36``.

>>> import numpy as np
>>> precision = np.linalg.inv([[1.0, 0.8], [0.8, 1.0]])
>>> def log_p(theta):
...     return -0.5 * np.einsum("si,ij,sj->s", theta, precision, theta)
>>> def grad_p(theta):
...     return -theta @ precision
>>> full = gaussian_vi(log_p, grad_p, [0.5, -0.5], family="full-rank", rng=np.random.default_rng(1))
>>> full.cov.round(6).tolist(), bool(np.isclose(full.elbo, np.log(2 * np.pi * 0.6)))
([[1.0, 0.8], [0.8, 1.0]], True)
>>> mean_field = gaussian_vi(log_p, grad_p, [0.5, -0.5], rng=np.random.default_rng(1))
>>> bool(np.allclose(mean_field.mean, 0.0, atol=1e-6)), mean_field.cov.round(6).tolist()
(True, [[0.36, 0.0], [0.0, 0.36]])

An improper target: a logistic dose-response likelihood (doses ``x``, 5 animals each) with
no deaths at all, under a flat prior. It rises towards 1 as the curve moves off to the right
or flattens, so q drifts away and widens; the fit is refused.

>>> from scipy.special import expit
>>> x = np.array([-0.86, -0.30, -0.05, 0.73])
>>> def no_deaths(theta):    # sum_i -5 log(1 + exp(alpha + beta x_i)), theta = (alpha, beta)
...     return -5 * np.logaddexp(0.0, theta[:, :1] + theta[:, 1:] * x).sum(axis=1)
>>> def no_deaths_gradient(theta):
...     slope = -5 * expit(theta[:, :1] + theta[:, 1:] * x)
...     return np.stack([slope.sum(axis=1), (slope * x).sum(axis=1)], axis=1)
>>> gaussian_vi(no_deaths, no_deaths_gradient, [0.0, 0.0], rng=np.random.default_rng(0))  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
bda_helpers.beyond.variational.ImproperTargetError: the ELBO keeps rising ... was found. Most often ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

from .._validation import check_finite, check_int, check_not_empty, check_positive_int, read_only
from ..random import check_generator

__all__ = [
    "FAMILIES",
    "GaussianVIResult",
    "VIConvergenceError",
    "GradientMismatchError",
    "ImproperTargetError",
    "gaussian_vi",
    "gaussian_summary_table",
]

#: The variational families :func:`gaussian_vi` knows.
FAMILIES = ("mean-field", "full-rank")

#: Largest absolute ELBO derivative accepted at a reported optimum.
_GRADIENT_TOL = 1e-3
#: Central-difference steps, as fractions of q's scale in each parameter (see ``_Objective.scales``).
_FD_STEPS = (1e-4, 1e-6, 1e-8)
#: Largest disagreement, in nats per unit of q's scale, accepted between the ELBO's derivatives from
#: ``gradient`` and from central differences (plus this fraction of the derivative's own size).
_GRADIENT_CHECK_TOL = 1e-3
#: A rise of the ELBO (nats) larger than this, after a move of q from the optimum, counts as a rise.
_RISE_TOL = 1e-3


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


class GradientMismatchError(ValueError):
    """The ``gradient`` supplied is not the gradient of ``log_density``.

    Where the optimiser stopped, an ELBO derivative built from it disagrees with central
    differences of the ELBO computed from ``log_density`` alone, at every step tried.

    Attributes
    ----------
    parameter : str
        The parameter of q it concerns: ``m[i]``, ``log L[i,i]`` or ``L[i,j]``.
    analytic : float
        The derivative built from ``gradient``.
    central : tuple of float
        The central differences, from the largest step to the smallest.
    """

    def __init__(self, message: str, parameter: str, analytic: float, central: tuple[float, ...]):
        super().__init__(message)
        self.parameter, self.analytic, self.central = parameter, analytic, central


class ImproperTargetError(ValueError):
    """No maximum of the ELBO found along a simple move of q; most often an improper target.

    From where the optimiser stopped, the ELBO rose at each of three successive doublings of
    one move of q (see the module notes), so that point is not the ELBO's maximum along the
    move, at most a local one. The usual cause is an improper target (``∫ p`` infinite),
    whose ELBO may have no maximum at all; but the optimiser may also have stopped short of
    a maximum of a proper target (at a local optimum, say), and then another start may give
    a fit. Not every improper target is caught (module notes).

    A ``ValueError``, like other bad input, because its usual cause lies in the target.

    Attributes
    ----------
    mean, cov : numpy.ndarray
        q where the optimiser stopped.
    elbos : tuple of float
        The ELBO there, and after the move that raises it made once, twice and three times.
    """

    def __init__(self, message: str, mean: np.ndarray, cov: np.ndarray, elbos: tuple[float, ...]):
        super().__init__(message)
        self.mean, self.cov, self.elbos = read_only(mean), read_only(cov), tuple(elbos)


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
        Evaluations of the ELBO and its gradient (each over all base draws) by L-BFGS-B;
        the checks of the fit evaluate the ELBO alone a few times more.
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
            object.__setattr__(self, name, read_only(getattr(self, name)))

    @property
    def sd(self) -> np.ndarray:
        """Marginal standard deviations, ``sqrt(diag(cov))``."""
        return np.sqrt(np.diag(self.cov))

    @property
    def corr(self) -> np.ndarray:
        """Correlation matrix (the identity for the mean-field family)."""
        return self.cov / np.outer(self.sd, self.sd)


class _DrawsOverflow(ValueError):
    """The draws ``m + L z_s`` of a trial q overflow: q has grown past floating point."""


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
    n = check_int(n, "n_base_draws")
    if n < 2 * d or n % 2:
        raise ValueError(
            f"n_base_draws must be an even integer (antithetic pairs) of at least 2 * d = {2 * d}, got {n}"
        )
    return n


def _check_init(init_mean, init_cov, family: str) -> tuple[np.ndarray, np.ndarray]:
    """The starting mean and the Cholesky factor of the starting covariance (the identity by
    default; for the mean-field family, of its diagonal)."""
    mean = check_finite(init_mean, "init_mean")
    if mean.ndim != 1 or mean.size == 0:
        raise ValueError(f"init_mean must be a non-empty 1-D array, got shape {mean.shape}")
    d = mean.size
    cov = np.eye(d) if init_cov is None else check_finite(init_cov, "init_cov")
    if cov.shape != (d, d):
        raise ValueError(f"init_cov must have shape {(d, d)}, got {cov.shape}")
    if not np.allclose(cov, cov.T, rtol=1e-10, atol=0.0):
        raise ValueError(f"init_cov must be symmetric, got {cov.tolist()}")
    try:
        chol = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError(
            f"init_cov is not positive definite (eigenvalues {np.linalg.eigvalsh(cov).tolist()})"
        ) from None
    if family == "mean-field":
        chol = np.diag(np.sqrt(np.diag(chol @ chol.T)))
    return mean, chol


def _numbers(values) -> str:
    """A short list of numbers for a message: 4 significant digits."""
    return "[" + ", ".join(f"{value:.4g}" for value in np.ravel(values)) + "]"


class _Objective:
    """The ELBO estimated over fixed base draws, and its gradient, as a function of the packed
    parameters ``(m, log diag L[, entries of L below the diagonal])``."""

    def __init__(self, log_density, gradient, base_draws: np.ndarray, family: str):
        self.log_density, self.gradient, self.z = log_density, gradient, base_draws
        self.n, self.d = base_draws.shape
        self.full = family == "full-rank"
        self.lower = np.tril_indices(self.d, -1)
        self.constant = 0.5 * self.d * (1.0 + np.log(2 * np.pi))  # entropy of N(0, I)
        self.best: tuple[np.ndarray | None, float] = (None, -np.inf)  # where :meth:`elbo` was highest

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

    def names(self) -> list[str]:
        """The packed parameters' names, for messages."""
        names = [f"m[{i}]" for i in range(self.d)] + [f"log L[{i},{i}]" for i in range(self.d)]
        return names + ([f"L[{i},{j}]" for i, j in zip(*self.lower)] if self.full else [])

    def scales(self, params: np.ndarray) -> np.ndarray:
        """q's scale in each packed parameter: ``L_ii`` for ``m_i`` and the entries of row i of
        ``L`` (moving them by that much moves the draws by about one sd), 1 for ``log L_ii``."""
        diag = np.exp(params[self.d : 2 * self.d])
        return np.concatenate([diag, np.ones(self.d), diag[self.lower[0]] if self.full else []])

    def _log_p(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``m``, ``L``, the draws ``theta_s`` and ``log p`` at each."""
        mean, chol = self.unpack(params)
        with np.errstate(over="ignore", invalid="ignore"):
            theta = mean + self.z @ chol.T
        if not np.isfinite(theta).all():
            raise _DrawsOverflow(
                f"the draws theta_s = m + L z_s overflow at m={mean.tolist()}, "
                f"diag L={np.diag(chol).tolist()}"
            )
        values = np.asarray(self.log_density(theta), dtype=float)
        if values.shape != (self.n,):
            raise ValueError(
                f"log_density must map draws of shape {theta.shape} to shape {(self.n,)}, got {values.shape}"
            )
        return mean, chol, theta, values

    @staticmethod
    def _not_finite(theta: np.ndarray, mean: np.ndarray) -> ValueError:
        return ValueError(
            f"log_density or gradient is not finite at the draw theta={theta.tolist()} "
            f"(q with mean {mean.tolist()}): Gaussian VI needs them finite wherever q's draws go; "
            "put constrained parameters on an unconstrained scale"
        )

    def value(self, params: np.ndarray) -> float:
        """The ELBO alone, from ``log_density`` only (no gradient)."""
        mean, _, theta, values = self._log_p(params)
        bad = ~np.isfinite(values)
        if bad.any():
            raise self._not_finite(theta[bad][0], mean)
        return float(values.mean() + params[self.d : 2 * self.d].sum() + self.constant)

    def elbo(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        """ELBO and its gradient with respect to ``params``.

        Raises ``ValueError`` where ``log p`` or its gradient is not finite at some draw: a
        Gaussian q puts mass everywhere, and scipy's L-BFGS-B can report convergence after a
        line search met an infinite value, so it must never see one.
        """
        mean, chol, theta, values = self._log_p(params)
        scores = np.asarray(self.gradient(theta), dtype=float)
        if scores.shape != theta.shape:
            raise ValueError(
                f"gradient must map draws of shape {theta.shape} to that shape, got {scores.shape}"
            )
        bad = ~(np.isfinite(values) & np.isfinite(scores).all(axis=1))
        if bad.any():
            raise self._not_finite(theta[bad][0], mean)
        log_diag = params[self.d : 2 * self.d]
        value = values.mean() + log_diag.sum() + self.constant
        if value > self.best[1]:
            self.best = (params.copy(), float(value))
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


def _central_difference(objective: _Objective, params: np.ndarray, k: int, step: float) -> float | None:
    """Central difference of the ELBO from ``log_density`` alone in parameter ``k`` (``None`` if
    ``step`` is below that parameter's float resolution)."""
    up, down = params.copy(), params.copy()
    up[k] += step
    down[k] -= step
    if not up[k] > down[k]:
        return None
    return (objective.value(up) - objective.value(down)) / (up[k] - down[k])


def _check_gradient(objective: _Objective, params: np.ndarray, analytic: np.ndarray) -> None:
    """Raise :class:`GradientMismatchError` unless the ELBO's derivatives at ``params`` built from
    ``gradient`` (``analytic``) agree with its central differences computed from ``log_density``.

    Per parameter, steps of ``_FD_STEPS`` times q's scale in it, largest first, until one
    agrees: within ``_GRADIENT_CHECK_TOL`` nats per unit of that scale, plus that fraction of
    the derivative. Smaller steps serve where the sample ELBO bends sharply (a draw near a
    kink of ``log p``); a wrong gradient disagrees at every step. Costs two ELBO evaluations
    per parameter and step.
    """
    scale = objective.scales(params)
    allowed = _GRADIENT_CHECK_TOL * (1.0 + scale * np.abs(analytic))
    for k in range(params.size):
        central = []
        for step in _FD_STEPS:
            value = _central_difference(objective, params, k, step * scale[k])
            if value is None or scale[k] * abs(value - analytic[k]) <= allowed[k]:
                break
            central.append(value)
        else:
            mean, chol = objective.unpack(params)
            name = objective.names()[k]
            raise GradientMismatchError(
                f"gradient is not the gradient of log_density: where L-BFGS-B stopped (q with mean "
                f"{_numbers(mean)}, sd {_numbers(np.sqrt(np.diag(chol @ chol.T)))}) the ELBO's derivative "
                f"in {name} is {analytic[k]:.4g} from gradient, but {_numbers(central)[1:-1]} by central "
                f"differences of log_density (steps {_numbers(_FD_STEPS)[1:-1]} of q's scale); look for "
                "a sign or a factor in gradient",
                name,
                float(analytic[k]),
                tuple(central),
            )


def _check_converged(result: optimize.OptimizeResult, family: str) -> float:
    """The largest ELBO derivative where L-BFGS-B stopped, if it converged; else raise."""
    failure = f"L-BFGS-B did not maximise the {family} ELBO after {result.nit} iterations"
    if not result.success:
        raise VIConvergenceError(f"{failure}: {result.message}", result)
    max_gradient = float(np.max(np.abs(result.jac)))
    if max_gradient > _GRADIENT_TOL:
        raise VIConvergenceError(
            f"{failure}: it reports {result.message!r}, but the ELBO's gradient is still {max_gradient:.3g} "
            "in some parameter (is log_density swamped by a huge constant?)",
            result,
        )
    return max_gradient


def _moves(mean: np.ndarray, chol: np.ndarray, origin: np.ndarray) -> dict[str, list[tuple]]:
    """The moves :func:`_check_bounded` tries, each as the ``(m, L)`` it reaches made once, twice
    and three times: q's scale doubled, its spread along each column of ``L`` doubled (for
    ``d > 1``), and, if the mean left the start ``origin``, its distance from the start doubled,
    alone and with the scale (q scaled up about the start)."""
    factors, d = (2.0, 4.0, 8.0), mean.size
    moves = {"its scale doubled": [(mean, f * chol) for f in factors]}
    for j in range(d if d > 1 else 0):
        column = np.arange(d) == j
        moves[f"its spread along L[:, {j}] doubled"] = [
            (mean, chol * np.where(column, f, 1.0)) for f in factors
        ]
    if np.any(mean != origin):
        away = [origin + f * (mean - origin) for f in factors]
        moves["its distance from the start doubled"] = [(m, chol) for m in away]
        moves["its scale and its distance from the start doubled"] = [
            (m, f * chol) for m, f in zip(away, factors)
        ]
    return moves


def _check_bounded(
    objective: _Objective,
    start: np.ndarray,
    params: np.ndarray,
    elbo: float,
    where: str = "where L-BFGS-B stopped",
) -> None:
    """Raise :class:`ImproperTargetError` if the ELBO keeps rising as q moves on from ``params``.

    At the ELBO's maximum every step of every move (:func:`_moves`) lowers it; the error needs
    all three steps of one move to raise it, each by more than ``_RISE_TOL``, which shows that
    ``params`` is not the maximum along that move (at most a local one). An ELBO that rises by
    less goes unnoticed. A step where ``log p`` is not finite, or the draws overflow, ends that
    move. Costs ``d + 3`` ELBO evaluations at a maximum.
    """
    mean, chol = objective.unpack(params)
    for what, steps in _moves(mean, chol, objective.unpack(start)[0]).items():
        elbos = [elbo]
        for step in steps:
            try:
                with np.errstate(all="ignore"):
                    value = objective.value(objective.pack(*step))
            except ValueError:
                break
            if not value > elbos[-1] + _RISE_TOL:
                break
            elbos.append(value)
        else:
            raise ImproperTargetError(
                f"the ELBO keeps rising as q moves on from {where} (mean {_numbers(mean)}, "
                f"sd {_numbers(np.sqrt(np.diag(chol @ chol.T)))}): from {elbos[0]:.6g} to "
                f"{_numbers(elbos[1:])[1:-1]} with {what} once, twice and three times. So that point is "
                "not the ELBO's maximum along this move (at most a local one), and no maximum of the "
                "ELBO was found. Most often the target is improper, its integral ∫ p infinite (as for "
                "separated data under a flat prior; a proper prior mends that); for a proper target, "
                "the optimiser stopped short of a maximum, and another start may reach one",
                mean,
                chol @ chol.T,
                elbos,
            )


def _overflow_error(objective: _Objective, start: np.ndarray, overflow: _DrawsOverflow) -> ValueError:
    """The error for a trial q whose draws overflowed: :class:`ImproperTargetError` if the ELBO
    keeps rising as q moves on from the best q before, else a ``ValueError`` that says what
    happened."""
    if objective.best[0] is not None:
        try:
            _check_bounded(objective, start, *objective.best, where="the best q before the draws overflowed")
        except ImproperTargetError as error:
            return error
    return ValueError(f"{overflow}: q outgrew floating point while L-BFGS-B climbed the ELBO")


def _fit(
    objective: _Objective, result: optimize.OptimizeResult, family: str, elbo: float, max_gradient: float
) -> GaussianVIResult:
    """The :class:`GaussianVIResult` of a checked optimum."""
    mean, chol = objective.unpack(result.x)
    return GaussianVIResult(
        mean=mean,
        cov=chol @ chol.T,
        cholesky=chol,
        elbo=elbo,
        family=family,
        n_iter=int(result.nit),
        n_evaluations=int(result.nfev),
        max_gradient=max_gradient,
        message=str(result.message),
        base_draws=objective.z,
    )


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
    """Fit a normal q = N(m, L Lᵀ) to an unnormalised density by maximising the ELBO (module notes).

    Parameters
    ----------
    log_density, gradient : callable
        For draws ``theta`` of shape ``(S, d)``: ``log_density(theta)``, the unnormalised log
        density of each, shape ``(S,)``, and ``gradient(theta)``, its gradient at each,
        shape ``(S, d)``.
    init_mean : array_like, shape (d,)
        Starting mean, e.g. the posterior mode.
    family : {"mean-field", "full-rank"}, default "mean-field"
        Diagonal or full covariance.
    n_base_draws : int, default 2000
        Number S of base draws; even (antithetic pairs) and at least ``2 d``.
    rng : numpy.random.Generator
        Source of the base draws, e.g. ``np.random.default_rng(5)``.
    init_cov : array_like, shape (d, d), optional
        Starting covariance, symmetric positive definite (the mean-field family uses its
        diagonal); the identity by default. A Laplace covariance is a good start.
    max_iter : int, default 1000
        Most L-BFGS-B iterations.

    Returns
    -------
    GaussianVIResult

    Raises
    ------
    ValueError
        If an argument is malformed, or the callables return arrays of the wrong shape or
        values that are not finite at a draw (at the start or on the way).
    TypeError
        If ``rng`` is not a Generator, or ``n_base_draws`` or ``max_iter`` not an integer.
    GradientMismatchError, VIConvergenceError, ImproperTargetError
        If a check of the fit fails: ``gradient`` disagrees with ``log_density``, L-BFGS-B
        did not converge, or the ELBO keeps rising along a move of q from where it stopped
        (no maximum found; most often an improper target, see the module notes).

    Examples
    --------
    >>> from bda_helpers import bioassay, load_bioassay   # the module notes fit Gaussian targets
    >>> model = bioassay.model_functions(load_bioassay())   # flat prior; it broadcasts over draws
    >>> fit = gaussian_vi(model.log_density, model.gradient, [0.85, 7.75], family="full-rank",
    ...                   rng=np.random.default_rng(2))
    >>> fit.mean.round(1).tolist(), fit.sd.round(1).tolist()   # the grid's: (1.3, 11.6), (1.1, 5.7)
    ([1.3, 11.5], [1.0, 4.1])
    """
    family = _check_family(family)
    rng = check_generator(rng)
    mean, chol = _check_init(init_mean, init_cov, family)
    n = _check_base_draw_count(n_base_draws, mean.size)
    max_iter = check_positive_int(max_iter, "max_iter")
    objective = _Objective(log_density, gradient, _base_draws(n, mean.size, rng), family)
    start = objective.pack(mean, chol)
    options = {"maxiter": max_iter, "ftol": 1e-13, "gtol": 1e-9}
    try:
        start_elbo = objective.elbo(start)[0]
        result = optimize.minimize(
            objective.negative, start, args=(start_elbo,), jac=True, method="L-BFGS-B", options=options
        )
    except _DrawsOverflow as overflow:  # q outgrew floating point: was the ELBO still rising?
        raise _overflow_error(objective, start, overflow) from None
    _check_gradient(objective, result.x, -result.jac)
    max_gradient = _check_converged(result, family)
    elbo = start_elbo - float(result.fun)
    _check_bounded(objective, start, result.x, elbo)
    return _fit(objective, result, family, elbo, max_gradient)


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
    check_not_empty(gaussians, "gaussians", "(mean, cov) pair")
    rows = {}
    for label, (mean, cov) in gaussians.items():
        mean, cov = check_finite(mean, f"{label!r} mean"), check_finite(cov, f"{label!r} cov")
        if mean.shape != (d,) or cov.shape != (d, d):
            raise ValueError(
                f"{label!r} must have a mean of shape {(d,)} and a cov of shape {(d, d)}, "
                f"got {mean.shape} and {cov.shape}"
            )
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
