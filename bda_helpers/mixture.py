"""Several peaks, one Laplace approximation each: a normal mixture weighted by the peaks' evidence.

A single Laplace approximation describes one peak. For a density with several separated
peaks, fit one at each mode ``θ̂_k`` and combine them (BDA3 §13.3)::

    q(θ) = Σ_k w_k N(θ | θ̂_k, Σ_k),    w_k = Z_k / Σ_j Z_j,

where ``Z_k = f(θ̂_k) (2π)^{d/2} |Σ_k|^{1/2}`` is the Laplace estimate of the mass under
peak ``k`` (:attr:`~bda_helpers.LaplaceApproximation.log_evidence`). A tall narrow peak
and a low wide one can carry the same mass; the weights account for both height and width.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from ._validation import read_only
from .laplace import LaplaceApproximation
from .random import check_draw_count, check_generator

__all__ = ["LaplaceMixture", "laplace_mixture"]

#: Two modes closer than this many standard deviations are taken to be the same peak.
_SAME_PEAK = 1e-6


@dataclass(frozen=True)
class LaplaceMixture:
    """A mixture of Laplace approximations, each weighted by the Laplace evidence of its peak.

    Build it with :func:`laplace_mixture`.

    Attributes
    ----------
    components : tuple of LaplaceApproximation
        One per peak, each built with its log density at the mode.
    weights : numpy.ndarray, shape (k,)
        ``Z_k / Σ_j Z_j``, computed from the components (in log space).
    log_weights : numpy.ndarray, shape (k,)
        ``log Z_k − log Σ_j Z_j``: finite even where a weight underflows to 0.
    log_evidence : float
        ``log Σ_k Z_k``, the mixture's estimate of the log normalising constant.

    Examples
    --------
    Two unit-variance peaks of heights 1 and 3 (log heights 0 and log 3):

    >>> left = LaplaceApproximation.from_mode([-2.0], [[-1.0]], log_density_at_mode=0.0)
    >>> right = LaplaceApproximation.from_mode([2.0], [[-1.0]], log_density_at_mode=np.log(3.0))
    >>> mixture = LaplaceMixture((left, right))
    >>> mixture.weights.round(3).tolist()
    [0.25, 0.75]
    >>> mixture.log_weights.round(3).tolist()
    [-1.386, -0.288]
    """

    components: tuple[LaplaceApproximation, ...]
    weights: np.ndarray = field(init=False)
    log_evidence: float = field(init=False)
    log_weights: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.components, LaplaceApproximation):
            raise TypeError(
                "components must be a sequence of LaplaceApproximation, one per peak, not a single one"
            )
        try:
            components = tuple(self.components)
        except TypeError:
            raise TypeError(
                f"components must be a sequence of LaplaceApproximation, got {type(self.components).__name__}"
            ) from None
        if not components:
            raise ValueError("a mixture needs at least one component")
        for k, component in enumerate(components):
            if not isinstance(component, LaplaceApproximation):
                raise TypeError(f"component {k} is a {type(component).__name__}, not a LaplaceApproximation")
            if not np.isfinite(component.log_density_at_mode):
                raise ValueError(
                    f"component {k} has no log density at its mode, so its peak's mass is unknown; "
                    f"build it with laplace(..., log_density=...) or pass log_density_at_mode"
                )
            if component.dim != components[0].dim:
                raise ValueError(
                    f"component {k} has dimension {component.dim}, component 0 has {components[0].dim}"
                )
        for k, later in enumerate(components):
            for j, earlier in enumerate(components[:k]):
                if np.all(np.abs(later.mode - earlier.mode) <= _SAME_PEAK * earlier.sd):
                    raise ValueError(
                        f"components {j} and {k} sit at the same mode {earlier.mode.tolist()}: "
                        f"fit each peak once, or its mass is counted twice"
                    )
        log_z = np.array([component.log_evidence for component in components])
        log_evidence = float(special.logsumexp(log_z))
        log_weights = read_only(log_z - log_evidence)
        weights = read_only(np.exp(log_weights))
        object.__setattr__(self, "components", components)
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "log_evidence", log_evidence)
        object.__setattr__(self, "log_weights", log_weights)

    @property
    def dim(self) -> int:
        """Number of parameters."""
        return self.components[0].dim

    def logpdf(self, theta) -> np.ndarray:
        """Log density of the mixture, for points stacked in the last axis.

        Parameters
        ----------
        theta : array_like, shape (..., d)

        Returns
        -------
        numpy.ndarray, shape (...)

        Examples
        --------
        >>> left = LaplaceApproximation.from_mode([-2.0], [[-1.0]], log_density_at_mode=0.0)
        >>> right = LaplaceApproximation.from_mode([2.0], [[-1.0]], log_density_at_mode=0.0)
        >>> LaplaceMixture((left, right)).logpdf([[-2.0], [2.0]]).round(4).tolist()
        [-1.6118, -1.6118]
        """
        log_terms = [log_w + c.logpdf(theta) for log_w, c in zip(self.log_weights, self.components)]
        return special.logsumexp(np.stack(log_terms), axis=0)

    def pdf(self, theta) -> np.ndarray:
        """Density of the mixture, ``exp(logpdf(theta))``.

        Examples
        --------
        >>> peak = LaplaceApproximation.from_mode([0.0], [[-1.0]], log_density_at_mode=0.0)
        >>> round(float(laplace_mixture([peak]).pdf([0.0])), 4)   # 1 / sqrt(2π)
        0.3989
        """
        return np.exp(self.logpdf(theta))

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` points: a component ``k`` with probability ``w_k``, then from its normal.

        Parameters
        ----------
        n : int
            Number of draws (positive).
        rng : numpy.random.Generator

        Returns
        -------
        numpy.ndarray, shape (n, d)

        Examples
        --------
        >>> left = LaplaceApproximation.from_mode([-2.0], [[-1.0]], log_density_at_mode=0.0)
        >>> right = LaplaceApproximation.from_mode([2.0], [[-1.0]], log_density_at_mode=0.0)
        >>> LaplaceMixture((left, right)).sample(5, np.random.default_rng(3)).shape
        (5, 1)
        """
        n = check_draw_count(n)
        rng = check_generator(rng)
        which = rng.choice(len(self.components), size=n, p=self.weights)
        z = rng.standard_normal((n, self.dim))
        modes = np.stack([c.mode for c in self.components])
        cholesky = np.stack([c.cholesky for c in self.components])
        return modes[which] + np.einsum("nij,nj->ni", cholesky[which], z)


def laplace_mixture(approximations: Iterable[LaplaceApproximation]) -> LaplaceMixture:
    """Combine Laplace approximations at different peaks into one normal mixture.

    Each peak ``k`` gets the weight ``Z_k / Σ_j Z_j``, with ``Z_k`` its Laplace evidence
    ``f(θ̂_k) (2π)^{d/2} |Σ_k|^{1/2}``.

    Parameters
    ----------
    approximations : iterable of LaplaceApproximation
        One per peak, each with ``log_density_at_mode`` (e.g. from
        ``laplace(..., log_density=log_f)``), all of the same dimension, at distinct modes.

    Returns
    -------
    LaplaceMixture

    Raises
    ------
    TypeError
        If an element is not a :class:`~bda_helpers.LaplaceApproximation` (or a single one
        is passed instead of a list).
    ValueError
        If the list is empty, a component lacks its log density at the mode, the
        dimensions differ, or two components sit at the same mode (the same peak twice).

    Examples
    --------
    The bimodal ``log f(θ) = -θ⁴ + 2θ²`` has peaks at ±1 with ``f'' = -8``:

    >>> peaks = [LaplaceApproximation.from_mode([m], [[-8.0]], log_density_at_mode=1.0) for m in (-1.0, 1.0)]
    >>> mixture = laplace_mixture(peaks)
    >>> mixture.weights.round(12).tolist(), round(float(np.exp(mixture.log_evidence)), 4)
    ([0.5, 0.5], 4.818)
    >>> laplace_mixture([peaks[0], peaks[0]])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: components 0 and 1 sit at the same mode [-1.0]: fit each peak once, or its mass is ...
    """
    if isinstance(approximations, LaplaceApproximation):
        raise TypeError("pass a list of LaplaceApproximation, one per peak, not a single one")
    return LaplaceMixture(tuple(approximations))
