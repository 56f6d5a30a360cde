"""The Laplace (normal) approximation: q(theta) = N(mode, -H⁻¹), H the Hessian at the mode."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ._format import brief
from ._validation import read_only
from .derivatives import fd_hessian
from .newton import newton
from .random import check_draw_count, check_generator

__all__ = ["LaplaceApproximation", "laplace"]


@dataclass(frozen=True)
class LaplaceApproximation:
    """A normal approximation N(mode, cov) at a mode of a log density.

    Build it with :func:`laplace` (which finds the mode) or :meth:`from_mode`.

    Attributes
    ----------
    mode : numpy.ndarray, shape (d,)
        The mode, the mean of the approximation.
    cov : numpy.ndarray, shape (d, d)
        ``-H⁻¹``, the inverse of the negative Hessian at the mode.
    log_density_at_mode : float
        The (unnormalised) log density at the mode, for :attr:`log_evidence`; ``nan``
        when it was not supplied.

    Examples
    --------
    >>> approx = LaplaceApproximation.from_mode([0.0, 1.0], [[-4.0, 0.0], [0.0, -1.0]])
    >>> approx.sd.tolist(), approx.corr.tolist()
    ([0.5, 1.0], [[1.0, 0.0], [0.0, 1.0]])
    """

    mode: np.ndarray
    cov: np.ndarray
    log_density_at_mode: float = np.nan
    cholesky: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        mode = np.array(self.mode, dtype=float)
        cov = np.array(self.cov, dtype=float)
        if mode.ndim != 1 or mode.size == 0:
            raise ValueError(f"mode must be a non-empty 1-D array, got shape {mode.shape}")
        if cov.shape != (mode.size, mode.size):
            raise ValueError(f"cov must have shape {(mode.size, mode.size)}, got {cov.shape}")
        if not (np.isfinite(mode).all() and np.isfinite(cov).all()):
            raise ValueError("mode and cov must be finite")
        if not np.allclose(cov, cov.T, rtol=1e-10, atol=0.0):
            raise ValueError(f"cov is not symmetric: {brief(cov)}")
        try:
            cholesky = np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:
            raise ValueError(
                f"cov is not positive definite (eigenvalues {brief(np.linalg.eigvalsh(cov))})"
            ) from None
        for name, value in (("mode", mode), ("cov", cov), ("cholesky", cholesky)):
            object.__setattr__(self, name, read_only(value))
        object.__setattr__(self, "log_density_at_mode", float(self.log_density_at_mode))

    @classmethod
    def from_mode(cls, mode, hessian, log_density_at_mode: float = np.nan) -> LaplaceApproximation:
        """Build the approximation from a mode and the Hessian of the log density there.

        Parameters
        ----------
        mode : array_like, shape (d,)
        hessian : array_like, shape (d, d)
            Hessian of the log density at ``mode``; must be negative definite.
        log_density_at_mode : float, optional
            Needed only for :attr:`log_evidence`.

        Raises
        ------
        ValueError
            If the Hessian is not finite, not symmetric, or not negative definite (then
            ``mode`` is a minimum, a saddle, a ridge, or a maximum too flat for a Gaussian, as −θ⁴
            at 0, and there is no normal approximation).

        Examples
        --------
        >>> LaplaceApproximation.from_mode([0.0], [[-8.0]]).cov.tolist()   # variance 1/8
        [[0.125]]
        >>> LaplaceApproximation.from_mode([0.0], [[4.0]])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: the Hessian at the mode is not negative definite (eigenvalues [4.0]): the point ...
        """
        hess = np.array(hessian, dtype=float)
        d = np.asarray(mode).size
        if hess.shape != (d, d):
            raise ValueError(f"hessian must have shape {(d, d)}, got {hess.shape}")
        if not np.isfinite(hess).all():
            raise ValueError(f"the Hessian at the mode is not finite: {brief(hess)}")
        if not np.allclose(hess, hess.T, rtol=1e-8, atol=1e-12 * np.max(np.abs(hess))):
            raise ValueError(f"the Hessian at the mode is not symmetric: {brief(hess)}")
        neg_hess = -0.5 * (hess + hess.T)
        try:
            np.linalg.cholesky(neg_hess)  # succeeds exactly when -H is positive definite
        except np.linalg.LinAlgError:
            raise ValueError(
                f"the Hessian at the mode is not negative definite (eigenvalues "
                f"{brief(np.linalg.eigvalsh(hess))}): the point is a minimum, a saddle, a ridge or a "
                f"maximum too flat for a Gaussian, so there is no normal approximation there"
            ) from None
        cov = np.linalg.inv(neg_hess)
        return cls(mode=mode, cov=0.5 * (cov + cov.T), log_density_at_mode=log_density_at_mode)

    @property
    def dim(self) -> int:
        """Number of parameters."""
        return self.mode.size

    @property
    def sd(self) -> np.ndarray:
        """Marginal standard deviations, ``sqrt(diag(cov))``."""
        return np.sqrt(np.diag(self.cov))

    @property
    def corr(self) -> np.ndarray:
        """Correlation matrix."""
        return self.cov / np.outer(self.sd, self.sd)

    @property
    def log_evidence(self) -> float:
        """Laplace estimate of log ∫ f: ``log f(mode) + d/2 log 2π + ½ log |cov|``.

        Raises
        ------
        ValueError
            If the approximation was built without ``log_density_at_mode``.

        Examples
        --------
        For ``f(t) = exp(-t**2 / 2)`` the integral is ``sqrt(2π)``, exactly what Laplace gives:

        >>> approx = LaplaceApproximation.from_mode([0.0], [[-1.0]], log_density_at_mode=0.0)
        >>> bool(np.isclose(approx.log_evidence, 0.5 * np.log(2 * np.pi)))
        True
        """
        if not np.isfinite(self.log_density_at_mode):
            raise ValueError("log_evidence needs log_density_at_mode; pass log_density to laplace()")
        log_det = 2.0 * np.sum(np.log(np.diag(self.cholesky)))
        return self.log_density_at_mode + 0.5 * self.dim * np.log(2 * np.pi) + 0.5 * log_det

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` points ``mode + L z`` with ``L`` the Cholesky factor of ``cov``.

        Parameters
        ----------
        n : int
            Number of draws (positive).
        rng : numpy.random.Generator
            The source of randomness, e.g. ``np.random.default_rng(4)``.

        Returns
        -------
        numpy.ndarray, shape (n, d)

        Examples
        --------
        >>> approx = LaplaceApproximation.from_mode([0.0, 1.0], [[-4.0, 0.0], [0.0, -1.0]])
        >>> approx.sample(3, np.random.default_rng(1)).shape
        (3, 2)
        """
        n = check_draw_count(n)
        rng = check_generator(rng)
        z = rng.standard_normal((n, self.dim))
        return self.mode + z @ self.cholesky.T

    def logpdf(self, theta) -> np.ndarray:
        """Log density of the approximation, for points stacked in the last axis.

        Parameters
        ----------
        theta : array_like, shape (..., d)

        Returns
        -------
        numpy.ndarray, shape (...)

        Examples
        --------
        >>> approx = LaplaceApproximation.from_mode([0.0, 0.0], [[-1.0, 0.0], [0.0, -1.0]])
        >>> bool(np.isclose(approx.logpdf([0.0, 0.0]), -np.log(2 * np.pi)))
        True
        """
        theta = np.asarray(theta, dtype=float)
        if theta.shape[-1:] != (self.dim,):
            raise ValueError(f"theta must have last axis of length {self.dim}, got shape {theta.shape}")
        # Solve L u = (theta - mode) for all points at once: u = L⁻¹ (theta - mode).
        u = np.linalg.solve(self.cholesky, (theta - self.mode)[..., None])[..., 0]
        log_det = 2.0 * np.sum(np.log(np.diag(self.cholesky)))
        return -0.5 * (np.sum(u**2, axis=-1) + self.dim * np.log(2 * np.pi) + log_det)


def laplace(
    gradient: Callable[[np.ndarray], np.ndarray],
    theta0,
    *,
    hessian: Callable[[np.ndarray], np.ndarray] | None = None,
    log_density: Callable[[np.ndarray], float] | None = None,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> LaplaceApproximation:
    """Find the mode by :func:`newton` and fit the normal approximation there.

    Parameters
    ----------
    gradient : callable
        ``gradient(theta) -> array of shape (d,)`` of the log density.
    theta0 : array_like, shape (d,)
        Starting point for Newton's method.
    hessian : callable, optional
        The analytic Hessian; by default :func:`fd_hessian` of ``gradient``.
    log_density : callable, optional
        Guards Newton's steps (backtracking) and gives :attr:`~LaplaceApproximation.log_evidence`.
    tol, max_iter
        Passed to :func:`newton`.

    Returns
    -------
    LaplaceApproximation

    Raises
    ------
    ConvergenceError
        If Newton's method finds no mode.
    ValueError
        If the Hessian at the mode is not negative definite.

    Examples
    --------
    >>> from bda_helpers import bioassay, load_bioassay
    >>> model = bioassay.model_functions(load_bioassay())
    >>> approx = laplace(model.gradient, [0.0, 0.0])   # Hessian by finite differences of the gradient
    >>> approx.mode.round(4).tolist(), approx.cov.round(3).tolist()
    ([0.8466, 7.7488], [[1.039, 3.546], [3.546, 23.744]])
    """
    if hessian is None:

        def hessian(theta):
            return fd_hessian(gradient, theta)

    result = newton(gradient, hessian, theta0, log_density=log_density, tol=tol, max_iter=max_iter)
    at_mode = np.nan if log_density is None else float(log_density(result.mode))
    return LaplaceApproximation.from_mode(result.mode, result.hessian, at_mode)
