"""Importance sampling from a Laplace proposal, with Pareto smoothing and the k̂ diagnostic.

When the normal approximation ``g(θ) = N(θ̂, −H⁻¹)`` is not close enough to the posterior,
it can still serve as a proposal (BDA3 §10.4): draw ``θ_s ~ g`` and weight each draw by

    w_s ∝ q(θ_s) / g(θ_s),

``q`` the unnormalised posterior density. Self-normalised sums ``Σ_s w_s h(θ_s) / Σ_s w_s``
then estimate posterior expectations ``E[h(θ) | y]``. They are only as good as the weights'
right tail. A proposal narrower than the posterior in some direction, or with lighter tails,
*can* give a few huge weights and an estimate of infinite variance: for a normal target
``N(0, σ²)`` and a normal proposal ``N(0, τ²)`` the weights' variance is finite only when
``τ² > σ²/2``, and for a target whose tails fall off exponentially (as a logistic regression's
likelihood under a flat prior does) it is infinite for every normal proposal, however wide.

Pareto smoothed importance sampling (PSIS; Vehtari, Simpson, Gelman, Yao and Gabry, JMLR 25(72),
2024) fits a generalised Pareto distribution to the largest weights and replaces them by the
fitted distribution's quantiles. The fitted shape ``k̂`` is the diagnostic. For the true shape
``k`` of the weights' tail, ``k < 1/2`` means finite variance and ``1/2 ≤ k < 1`` infinite
variance (with a finite mean); but ``k̂`` is estimated from the S draws at hand, so it
describes the tail those draws show (the pre-asymptotic behaviour that decides the error at
this S), not the asymptotic tail: weights of infinite variance can give a ``k̂`` well below
1/2. Vehtari et al. (2024) give one threshold, for the *smoothed* estimate: it is reliable
when ``k̂ < min(1 − 1/log10(S), 0.7)`` (:attr:`ImportanceSample.k_threshold`), with the error
shrinking like 1/√S below 0.5 and more slowly from 0.5 up to the threshold; above it, not to be
trusted. (The tiers "below 0.5 good, 0.5–0.7 ok, above 0.7 bad" are the paper's earlier
versions' guidance.) For the *raw* weights 0.5 remains the line: above it their variance looks
infinite and a raw estimate's standard error means little. ``k̂`` also varies from one set of draws to the
next: a value near 0.5 or the threshold is no verdict, and the spread over several seeds says
more about a proposal than one reading.
The smoothing and ``k̂`` come from ArviZ's ``psislw``; this module adds the proposal, the
weighted summaries and the diagnosis.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from .._validation import check_finite, check_int, read_only
from ..laplace import LaplaceApproximation
from ..random import check_draw_count, check_generator
from ..summaries import weighted_quantiles

__all__ = ["ImportanceSample", "importance_sample"]

#: PSIS fits the Pareto tail to the largest ``ceil(min(S/5, 3√S))`` weights and needs at least
#: 5 of them (else ArviZ reports k̂ = inf); that takes S ≥ 21 draws.
MIN_DRAWS = 21

#: Finite log weights whose spread (max − min) is at most this are taken to be equal: the weights
#: then agree to 1e-9 relative, so no estimate can tell them apart. ArviZ finds no tail in equal
#: weights and reports k̂ = inf, which would read as "unreliable"; see :attr:`ImportanceSample.pareto_k`.
EQUAL_LOG_WEIGHTS = 1e-9


def _check_log_values(values, n: int, what: str) -> np.ndarray:
    """``values`` as a float array of shape (n,) with no NaN or +inf and not all −inf, else raise."""
    values = np.asarray(values, dtype=float)
    if values.shape != (n,):
        raise ValueError(f"{what} must have shape ({n},), one value per draw, got shape {values.shape}")
    bad = np.isnan(values) | (values == np.inf)
    if bad.any():
        raise ValueError(f"{what} is NaN or +inf at {int(bad.sum())} of {n} draws")
    if np.isneginf(values).all():
        raise ValueError(f"{what} is -inf at all {n} draws: the target has no mass where the proposal draws")
    return values


def _pareto_smooth(log_weights: np.ndarray) -> tuple[np.ndarray, float]:
    """PSIS of the finite log weights, on the raw weights' scale, and the Pareto shape estimate k̂.

    Only the finite log weights are smoothed (ArviZ's ``psislw`` with ``normalize=False``, which
    keeps their scale); ``-inf`` ones (zero weights) stay ``-inf``. When the finite ones are all
    equal (spread at most :data:`EQUAL_LOG_WEIGHTS`) nothing is smoothed and k̂ is ``-inf``.
    """
    finite = np.isfinite(log_weights)
    smoothed = np.array(log_weights, dtype=float)
    if np.ptp(log_weights[finite]) <= EQUAL_LOG_WEIGHTS:
        return smoothed, -np.inf
    with warnings.catch_warnings():
        # ArviZ announces its refactor once a day on import; nothing else is silenced here.
        warnings.filterwarnings(
            "ignore", message=r"\s*ArviZ is undergoing a major refactor", category=FutureWarning
        )
        import arviz as az
    # For very heavy tails ArviZ's Pareto fit takes exp of large log-likelihood differences;
    # they overflow to inf, so their terms get weight 1/inf = 0, as intended (the returned k̂
    # is still finite and large). Only floating-point overflow is ignored.
    with np.errstate(over="ignore"):
        smoothed[finite], k = az.psislw(np.array(log_weights[finite]), reff=1.0, normalize=False)
    return smoothed, float(k)


@dataclass(frozen=True)
class ImportanceSample:
    """Draws from a proposal with their importance weights, raw and Pareto smoothed.

    Build it with :func:`importance_sample`, or directly from draws and their log weights.

    Attributes
    ----------
    draws : numpy.ndarray, shape (S, d)
        The proposal's draws.
    log_weights : numpy.ndarray, shape (S,)
        Raw log weights ``log q(θ_s) − log g(θ_s)`` (any additive constant); ``-inf`` where the
        target density is 0.
    smoothed_log_weights : numpy.ndarray, shape (S,)
        PSIS-smoothed log weights, normalised so that their ``logsumexp`` is 0. Only the finite
        raw log weights are smoothed (the Pareto tail is fitted to the largest of them); ``-inf``
        ones stay ``-inf``.
    pareto_k : float
        k̂, the estimated shape of the generalised Pareto distribution fitted to the largest
        weights. ``inf`` when the tail could not be fitted (fewer than 5 distinct largest
        weights, e.g. only a handful of draws where the target is non-zero); ``-inf`` when all
        non-zero weights are equal (spread of their logs at most :data:`EQUAL_LOG_WEIGHTS`):
        the weights have no tail at all, and are left unsmoothed.
    smoothed_log_sum : float
        ``logsumexp`` of the smoothed log weights before normalisation, on the scale of the raw
        ``log_weights``: ``smoothed_log_sum − log S`` is the PSIS estimate of ``log Z`` when the
        raw log weights are ``log p − log g`` with ``g`` normalised.

    Raises
    ------
    ValueError
        If ``draws`` is not a finite (S, d) array with S ≥ :data:`MIN_DRAWS`, or
        ``log_weights`` is not of shape (S,), is NaN or +inf somewhere, or is -inf everywhere.

    Examples
    --------
    Four times as much weight on the positive draws:

    >>> draws = np.linspace(-1.0, 1.0, 40)[:, None]
    >>> sample = ImportanceSample(draws, np.where(draws[:, 0] > 0, np.log(4.0), 0.0))
    >>> round(float(sample.weights.sum()), 12), round(sample.raw_ess, 2)
    (1.0, 29.41)
    """

    draws: np.ndarray
    log_weights: np.ndarray
    smoothed_log_weights: np.ndarray = field(init=False, repr=False)
    pareto_k: float = field(init=False)
    smoothed_log_sum: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        draws = np.array(self.draws, dtype=float)  # copies: never freeze the caller's arrays
        if draws.ndim != 2 or draws.shape[1] == 0:
            raise ValueError(f"draws must be a 2-D array of shape (S, d), got shape {draws.shape}")
        if draws.shape[0] < MIN_DRAWS:
            raise ValueError(
                f"importance sampling with Pareto smoothing needs at least {MIN_DRAWS} draws "
                "(the tail fit uses the largest ceil(min(S/5, 3√S)) weights and needs 5), "
                f"got {draws.shape[0]}"
            )
        check_finite(draws, "draws")
        log_weights = np.array(_check_log_values(self.log_weights, draws.shape[0], "log_weights"))
        smoothed, k = _pareto_smooth(log_weights)
        log_sum = float(special.logsumexp(smoothed))
        smoothed = smoothed - log_sum
        for name, value in (
            ("draws", draws),
            ("log_weights", log_weights),
            ("smoothed_log_weights", smoothed),
        ):
            object.__setattr__(self, name, read_only(value))
        object.__setattr__(self, "pareto_k", k)
        object.__setattr__(self, "smoothed_log_sum", log_sum)

    @property
    def n_draws(self) -> int:
        """S, the number of draws."""
        return self.draws.shape[0]

    @property
    def weights(self) -> np.ndarray:
        """The smoothed weights, normalised to sum to 1."""
        return np.exp(self.smoothed_log_weights)

    @property
    def ess(self) -> float:
        """PSIS effective sample size ``1 / Σ_s w_s²`` of the normalised smoothed weights."""
        return float(1.0 / np.sum(self.weights**2))

    @property
    def raw_ess(self) -> float:
        """The same effective sample size for the raw (unsmoothed) weights."""
        raw = np.exp(self.log_weights - special.logsumexp(self.log_weights))
        return float(1.0 / np.sum(raw**2))

    @property
    def k_threshold(self) -> float:
        """Vehtari et al.'s (2024) threshold: below ``min(1 − 1/log10(S), 0.7)`` the smoothed
        estimates are reliable.

        Between 0.5 and this threshold they converge more slowly than 1/√S (see
        :attr:`diagnosis`). Vehtari et al. (2024) derive
        ``1 − 1/log10(S)`` from how fast the error of the smoothed estimate shrinks with S, and cap
        it at 0.7, beyond which the number of draws a reliable estimate needs grows impractically
        large. It is 0.5 for S = 100, about 0.67 for S = 1000 and 0.7 from S ≈ 2154 on.
        """
        return min(1.0 - 1.0 / np.log10(self.n_draws), 0.7)

    @property
    def diagnosis(self) -> str:
        """A one-line reading of k̂: below 0.5 good (the smoothed estimates converge like 1/√S),
        below :attr:`k_threshold` usable with smoothing (Vehtari et al.'s 2024 threshold; the
        convergence is slower), from there on not.

        k̂ estimates the shape of the weights' tail from these draws; the reading is about
        this set of draws, and a k̂ near 0.5 or near the threshold can fall on either side with
        other draws. It says nothing certain about the variance of the weights themselves.

        Examples
        --------
        >>> draws = np.linspace(-1.0, 1.0, 40)[:, None]
        >>> ImportanceSample(draws, np.zeros(40)).diagnosis
        'k̂ = -inf: good, the non-zero weights are all equal (they have no tail)'
        """
        k, threshold = self.pareto_k, self.k_threshold
        if k == -np.inf:
            return "k̂ = -inf: good, the non-zero weights are all equal (they have no tail)"
        if k == np.inf:
            return "k̂ = inf: unreliable, too few distinct large weights to fit the Pareto tail"
        if k >= threshold:
            return (
                f"k̂ = {k:.2f}: unreliable, at or above {threshold:.2f}, the threshold for S = {self.n_draws} "
                "draws; the proposal is too thin in part of the target"
            )
        if k >= 0.5:
            return (
                f"k̂ = {k:.2f}: usable with Pareto smoothing (0.5 ≤ k̂ < {threshold:.2f}), "
                "but the estimates converge more slowly than 1/√S"
            )
        return f"k̂ = {k:.2f}: good (below 0.5), the estimates are reliable in practice"

    def __str__(self) -> str:
        return f"ImportanceSample of {self.n_draws} draws, ESS {self.ess:.0f}; {self.diagnosis}"

    def mean(self) -> np.ndarray:
        """The self-normalised estimate of the posterior mean, ``Σ_s w_s θ_s``, smoothed weights."""
        return self.weights @ self.draws

    def quantile(self, j: int, probs) -> np.ndarray:
        """Weighted quantiles of parameter ``j`` (column ``j`` of :attr:`draws`), smoothed weights.

        Parameters
        ----------
        j : int
            Column index, ``0 <= j < d``.
        probs : float or array_like
            Probabilities in [0, 1].

        Returns
        -------
        numpy.ndarray
            Shaped like ``probs``; see :func:`~bda_helpers.weighted_quantiles`.
        """
        d = self.draws.shape[1]
        if not 0 <= check_int(j, "j") < d:
            raise ValueError(f"j must be a column index from 0 to {d - 1}, got {j!r}")
        return weighted_quantiles(self.draws[:, j], self.weights, probs)

    def resample(self, n: int, rng: np.random.Generator, *, replace: bool = False) -> np.ndarray:
        """Importance resampling: ``n`` of the draws, picked with probabilities the smoothed weights.

        Without replacement (the default, as BDA3 §10.4 recommends) each draw is picked at most
        once: one draw with probability ∝ its weight, the next among the rest, and so on. That
        keeps a few heavy draws from filling the resample, and needs ``n`` at most the number of
        draws of non-zero weight; keep ``n`` well below the ESS or the result leans towards the
        proposal.

        Parameters
        ----------
        n : int
            Number of draws to return.
        rng : numpy.random.Generator
        replace : bool, optional
            Sample with replacement (a draw can appear several times).

        Returns
        -------
        numpy.ndarray, shape (n, d)

        Raises
        ------
        ValueError
            If ``replace`` is False and ``n`` exceeds the number of draws of non-zero weight.
        """
        n = check_draw_count(n)
        rng = check_generator(rng)
        weights = self.weights
        positive = int(np.count_nonzero(weights))
        if not replace and n > positive:
            raise ValueError(
                f"cannot resample {n} draws without replacement: only {positive} of the "
                f"{self.n_draws} draws have non-zero weight"
            )
        return self.draws[rng.choice(self.n_draws, size=n, replace=replace, p=weights)]


def importance_sample(
    log_target: Callable[[np.ndarray], np.ndarray],
    proposal: LaplaceApproximation,
    n_draws: int,
    rng: np.random.Generator,
) -> ImportanceSample:
    """Draw from a Laplace approximation and weight the draws towards the target density.

    Parameters
    ----------
    log_target : callable
        Vectorised unnormalised log target density: an array of shape (S, d) to an array of
        shape (S,). ``-inf`` where the target density is 0.
    proposal : LaplaceApproximation
        The proposal ``g``; its :meth:`~LaplaceApproximation.sample` makes the draws.
    n_draws : int
        S, the number of draws (at least :data:`MIN_DRAWS`).
    rng : numpy.random.Generator

    Returns
    -------
    ImportanceSample
        With log weights ``log_target(draws) − proposal.logpdf(draws)``.

    Raises
    ------
    TypeError
        If ``proposal`` is not a LaplaceApproximation, ``log_target`` is not callable, or
        ``rng`` is not a Generator.
    ValueError
        If ``n_draws`` is not an integer of at least :data:`MIN_DRAWS`, or ``log_target``
        returns the wrong shape, NaN or +inf (the message says at how many draws), or -inf
        at every draw.

    Examples
    --------
    The bioassay posterior in (α, log β), from the Laplace approximation in those coordinates:

    >>> from bda_helpers import bioassay, load_bioassay
    >>> data = load_bioassay()
    >>> log_posterior = bioassay.model_functions_log_beta(data).log_density   # broadcasts over draws
    >>> sample = importance_sample(
    ...     log_posterior, bioassay.laplace_fit_log_beta(data), 4000, np.random.default_rng(20261126))
    >>> print(sample.diagnosis)
    k̂ = 0.48: good (below 0.5), the estimates are reliable in practice

    That reading is of one set of draws: k̂ is an estimate, and with other seeds this proposal's
    k̂ falls on both sides of 0.5 (notebook 09 measures its spread over 20 seeds).

    >>> round(sample.ess, -2), sample.mean().round(1).tolist()
    (3300.0, [1.3, 2.3])
    >>> beta_975 = np.exp(sample.quantile(1, 0.975))   # quantiles follow the monotone exp
    >>> round(float(beta_975), 1)
    25.8
    """
    if not isinstance(proposal, LaplaceApproximation):
        raise TypeError(f"proposal must be a LaplaceApproximation, got {type(proposal).__name__}")
    if not callable(log_target):
        raise TypeError(f"log_target must be a callable, got {type(log_target).__name__}")
    n_draws = check_draw_count(n_draws)
    draws = proposal.sample(n_draws, rng)
    log_q = _check_log_values(log_target(draws), n_draws, "log_target")
    return ImportanceSample(draws, log_q - proposal.logpdf(draws))
