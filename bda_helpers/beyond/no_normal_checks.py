"""Self-checks for notebook 08, when no normal works.

Each check recomputes its reference itself (with :mod:`bda_helpers` and scipy; nothing is
stored), names the typical slip a wrong answer shows, and never prints the reference value, nor
which of the student's entries are the wrong ones when that would give the answer away.

Examples
--------
>>> improper_second_dose(None, None, None)
… Not answered yet: assign your answer to `improper_y` and run the cell again.
… Not answered yet: assign your answer to `beta_sign` and run the cell again.
… Not answered yet: assign your answer to `improper_y_three` and run the cell again.
>>> tau_below_five(None)
… Not answered yet: assign your answer to `prob_tau_below_5` and run the cell again.
"""

from __future__ import annotations

from functools import lru_cache
from numbers import Real

import numpy as np
from scipy import integrate, optimize, stats

from .. import bioassay
from ..checks import (
    CheckReport,
    CheckResult,
    as_array,
    as_numbers,
    correct,
    describe_miss,
    format_answer,
    not_answered,
    report,
    wrong,
)
from ..data import BioassayData, load_eight_schools
from . import eight_schools

__all__ = [
    "LOW_DOSE",
    "SECOND_DOSE",
    "TAU_LIMIT",
    "TAU_PRIOR_SCALE",
    "improper_second_dose",
    "improper_three_doses",
    "improper_two_doses",
    "separating_sign",
    "tau_below_five",
]

#: The one-dose group of notebook 08 (x, n, y) and the dose of the second group exercise 1 adds.
ONE_DOSE = (-0.05, 5, 3)
SECOND_DOSE = 0.73
#: Exercise 1b adds a third group at the lowest bioassay dose, with no deaths: (x, n, y).
LOW_DOSE = (-0.86, 5, 0)
#: Exercise 2: P(tau < TAU_LIMIT | y) under a half-Cauchy prior on tau with this scale.
TAU_LIMIT = 5.0
TAU_PRIOR_SCALE = 5.0


def _groups(deaths: int, *, with_low_dose: bool) -> BioassayData:
    """The data of exercise 1: the one-dose group, the second group with ``deaths``, maybe the low one."""
    groups = [ONE_DOSE, (SECOND_DOSE, ONE_DOSE[1], deaths)] + ([LOW_DOSE] if with_low_dose else [])
    x, n, y = zip(*groups)
    return BioassayData(x=list(x), n=list(n), y=list(y))


def _rises(data: BioassayData) -> bool:
    """Whether a curve that rises with the dose (beta -> +inf) separates ``data``."""
    try:
        bioassay.check_proper(data, beta_positive=True)
    except bioassay.ImproperPosteriorError:
        return True
    return False


def _falls(data: BioassayData) -> bool:
    """Whether only a curve that falls with the dose (beta -> -inf) separates ``data``."""
    return not _rises(data) and bioassay.is_separable(data)


def _direction_hint(missing: set[int], given: set[int], *, with_low_dose: bool) -> str:
    """The end of the hint for a list that misses some improper y: which way a curve may run."""
    missing_falls = any(_falls(_groups(y, with_low_dose=with_low_dose)) for y in missing)
    missing_rises = any(_rises(_groups(y, with_low_dose=with_low_dose)) for y in missing)
    # a rising curve is the first one thought of: name it only to a student who found a falling one
    found_falls = any(_falls(_groups(y, with_low_dose=with_low_dose)) for y in given)
    if missing_falls and missing_rises:
        return ", and the steepening curve may rise with the dose (β > 0) or fall with it (β < 0)."
    if missing_falls:
        return ", and a curve may fall with the dose (β < 0) as well as rise."
    if missing_rises and found_falls:
        return ", and a curve may rise with the dose (β > 0) as well as fall."
    return "."


def _as_deaths(answer, name: str) -> set[int] | CheckResult:
    """A list of death counts 0..5 as a set, or the verdict that it is not one."""
    if answer is None:
        return not_answered(name)
    if isinstance(answer, (set, frozenset)):
        answer = sorted(answer)
    values = as_numbers(answer, name, expected="a list of whole numbers")
    if isinstance(values, CheckResult):
        return values
    values = np.atleast_1d(values)
    if values.ndim != 1 or not np.isfinite(values).all() or np.any(values != np.round(values)):
        return wrong(f"`{name}` should be a list of whole numbers of deaths, e.g. [1, 2].")
    n = ONE_DOSE[1]
    if np.any((values < 0) | (values > n)):
        return wrong(f"`{name}` holds a number of deaths outside 0..{n}: five animals are in the group.")
    return {int(v) for v in values}


def _improper_deaths(answer, name: str, *, with_low_dose: bool) -> CheckResult:
    """Check a set of deaths at the second dose against :func:`bioassay.is_separable`, y by y."""
    given = _as_deaths(answer, name)
    if isinstance(given, CheckResult):
        return given
    n = ONE_DOSE[1]
    expected = {y for y in range(n + 1) if bioassay.is_separable(_groups(y, with_low_dose=with_low_dose))}
    if given == expected:
        return correct(
            f"{name} = {sorted(given)}: for each of these y some curve fits no group worse and the other "
            "groups better and better as it steepens (the mixed group, at the cut, keeps its p): "
            "quasi-separation."
        )
    extra, missing = given - expected, expected - given
    parts, hints = [], []
    if extra:
        parts.append("some of your values leave the posterior proper")
        if extra - {0, n}:
            hints.append(
                "with both deaths and survivors at each of two different doses, no dose separates the "
                "groups, and two doses identify both α and β."
            )
        if extra & {0, n}:
            hints.append(
                "a separating dose needs no survivors on one side of it and no deaths on the other (or "
                f"the reverse) for every group, the one at x = {LOW_DOSE[0]} included."
            )
    if missing:
        parts.append("your list misses some y that leave it improper")
        hints.append(
            "a group with both deaths and survivors does not prevent separation when it sits at the "
            "cut itself (quasi-separation)" + _direction_hint(missing, given, with_low_dose=with_low_dose)
        )
    return wrong(f"{name} = {sorted(given)} is not right: {'; '.join(parts)}.", " Also: ".join(hints))


def improper_two_doses(improper_y) -> CheckResult:
    """Exercise 1a: the deaths y at the second dose x = 0.73 that leave the flat-prior posterior improper.

    The reference is :func:`bda_helpers.bioassay.is_separable` applied to each y in 0..5.

    Examples
    --------
    >>> improper_two_doses([]).passed
    False
    """
    return _improper_deaths(improper_y, "improper_y", with_low_dose=False)


def improper_three_doses(improper_y_three) -> CheckResult:
    """Exercise 1b: the same, with a third group at x = -0.86 in which no animal died.

    Examples
    --------
    >>> improper_three_doses([1, 2]).passed
    False
    """
    return _improper_deaths(improper_y_three, "improper_y_three", with_low_dose=True)


def _as_signs(beta_sign, name: str) -> dict[int, int] | CheckResult:
    """A dict {deaths: +1 or -1} with keys in 0..5, or the verdict that it is not one."""
    if beta_sign is None:
        return not_answered(name)
    shape = f"`{name}` should be a dict whose keys are the y of `improper_y` and whose values are +1 or -1"
    if not isinstance(beta_sign, dict):
        return wrong(f"{shape}, e.g. written {{y: sign, ...}}.")
    n = ONE_DOSE[1]
    if not all(isinstance(key, (int, np.integer)) and not isinstance(key, bool) for key in beta_sign):
        return wrong(f"{shape}: its keys are numbers of deaths, whole numbers such as 2, not text or 2.0.")
    if any(not 0 <= key <= n for key in beta_sign):
        return wrong(f"`{name}` has a key outside 0..{n}: five animals are in the group.")
    signs = {}
    for key, value in beta_sign.items():
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
            return wrong(f"{shape}: a number, not {type(value).__name__}.")
        if value not in (1, -1):
            return wrong(
                f"{shape}: +1 where the likelihood keeps rising as β → +∞, -1 where it does as β → -∞.",
            )
        signs[int(key)] = int(value)
    return signs


def separating_sign(beta_sign, improper_y) -> CheckResult:
    """Exercise 1a, second half: for each y at x = 0.73 that leaves the posterior improper, the sign of
    beta along which the likelihood keeps rising (+1: a curve rising with the dose, -1: falling).

    The reference: :func:`bda_helpers.bioassay.is_separable` for which y, and
    :func:`bda_helpers.bioassay.check_proper` with ``beta_positive=True`` for the sign (it refuses
    exactly the separations a rising curve follows). The signs are judged only once the keys are
    the right y, so that a verdict on a sign never tells which y are improper.

    Examples
    --------
    >>> separating_sign({1: 1}, [1]).passed
    False
    """
    name = "beta_sign"
    signs = _as_signs(beta_sign, name)
    if isinstance(signs, CheckResult):
        return signs
    n = ONE_DOSE[1]
    expected = {y for y in range(n + 1) if bioassay.is_separable(_groups(y, with_low_dose=False))}
    listed = _as_deaths(improper_y, "improper_y")
    if isinstance(listed, CheckResult):
        return wrong(f"answer `improper_y` first: the keys of `{name}` are the y of that list.")
    if set(signs) != listed:
        return wrong(f"the keys of `{name}` should be exactly the y in `improper_y`.")
    if listed != expected:  # judge no sign before the list is right: a verdict would tell which y
        return wrong(f"`{name}` is judged once `improper_y` is right: its keys are the y of that list.")
    reference = {y: 1 if _rises(_groups(y, with_low_dose=False)) else -1 for y in expected}
    if signs == reference:
        return correct(
            f"{name} = {signs}: a steepening curve sends p towards 0 where no animal died and towards 1 "
            "where every animal died, so the side of the cut those groups sit on fixes the sign of β."
        )
    hints = []
    if set(signs.values()) == {1} and -1 in reference.values():
        hints.append("a curve may fall with the dose (β < 0) as well as rise.")
    elif set(signs.values()) == {-1} and 1 in reference.values():
        hints.append("a curve may rise with the dose (β > 0) as well as fall.")
    hints.append(
        "as a curve with β > 0 steepens, p goes to 0 below the cut and to 1 above it; for each y, ask on "
        "which side of x = -0.05 a group in which no animal died (or every animal died) sits."
    )
    return wrong(f"not every sign in `{name}` is right.", " Also: ".join(hints))


def improper_second_dose(improper_y, beta_sign, improper_y_three) -> CheckReport:
    """Exercise 1: :func:`improper_two_doses`, :func:`separating_sign` and :func:`improper_three_doses`.

    Examples
    --------
    >>> improper_second_dose([], None, None).passed
    False
    """
    return report(
        improper_two_doses(improper_y),
        separating_sign(beta_sign, improper_y),
        improper_three_doses(improper_y_three),
    )


@lru_cache(maxsize=1)
def _tau_references() -> dict[str, float]:
    """P(tau < 5 | y) under the half-Cauchy prior, exactly and by Laplace in log tau, and the
    answers typical slips give (the same under the uniform prior among them)."""
    schools = load_eight_schools()
    log_p0 = float(eight_schools.log_marginal_tau(0.0, schools))
    prior = stats.halfcauchy(scale=TAU_PRIOR_SCALE)

    def probability(weight) -> float:
        def density(t: float) -> float:
            return weight(t) * np.exp(float(eight_schools.log_marginal_tau(t, schools)) - log_p0)

        below = integrate.quad(density, 0, TAU_LIMIT, epsabs=0, epsrel=1e-11)[0]
        above = integrate.quad(density, TAU_LIMIT, np.inf, epsabs=0, epsrel=1e-11)[0]
        return below / (below + above)

    def laplace_in_log_tau(log_prior) -> tuple[float, float]:
        def log_density(u: float) -> float:  # log p(y | tau) + log p(tau) + log tau (the Jacobian)
            return float(eight_schools.log_marginal_log_tau(u, schools)) + log_prior(np.exp(u))

        mode = optimize.minimize_scalar(
            lambda u: -log_density(u), bounds=(-5, 5), method="bounded", options={"xatol": 1e-10}
        ).x
        h = 1e-3
        curvature = -(log_density(mode + h) - 2 * log_density(mode) + log_density(mode - h)) / h**2
        return mode, 1 / np.sqrt(curvature)

    mode, sd = laplace_in_log_tau(prior.logpdf)
    uniform_mode, uniform_sd = laplace_in_log_tau(lambda t: 0.0)
    twice_mode, twice_sd = laplace_in_log_tau(lambda t: prior.logpdf(t) + np.log(t))  # Jacobian added again
    exact = probability(prior.pdf)
    laplace = float(stats.norm.cdf((np.log(TAU_LIMIT) - mode) / sd))
    return {
        "exact": exact,
        "laplace": laplace,
        "uniform exact": probability(lambda t: 1.0),
        "log tau density": probability(lambda t: t * prior.pdf(t)),
        "prior from 5": 0.0,  # scipy's halfcauchy(5) is a prior starting at tau = 5 (loc = 5)
        "exact upper": 1 - exact,
        "uniform laplace": float(stats.norm.cdf((np.log(TAU_LIMIT) - uniform_mode) / uniform_sd)),
        "no log": float(stats.norm.cdf((TAU_LIMIT - mode) / sd)),
        "variance": float(stats.norm.cdf((np.log(TAU_LIMIT) - mode) / sd**2)),
        "laplace upper": 1 - laplace,
        "jacobian twice": float(stats.norm.cdf((np.log(TAU_LIMIT) - twice_mode) / twice_sd)),
    }


_TOLERANCE = 2e-3
_PRIOR = "the posterior of τ is the prior times p(y | τ)"
_EXACT_HINTS = {
    "uniform exact": f"that is the answer under the uniform prior of section 3: {_PRIOR}, normalised.",
    "log tau density": "that integrates τ·p(τ | y), the density of log τ, over τ: integrate p(τ | y) "
    "itself over τ from 0 to 5, or p(log τ | y) over log τ up to log 5.",
    "prior from 5": "a prior with no mass below τ = 5 gives 0: scipy's halfcauchy(5) takes 5 as loc, the "
    "start of its support; give the scale by name, halfcauchy(scale=5).",
    "exact upper": "that is P(τ > 5 | y); the exercise asks for P(τ < 5 | y).",
    "laplace": "that is the Laplace answer; the exact one integrates the normalised posterior of τ.",
}
_LAPLACE_HINTS = {
    "uniform laplace": "that is the Laplace approximation under the uniform prior: the half-Cauchy prior "
    "moves the mode of the density of log τ and changes its curvature, so find both again.",
    "no log": "the normal is a distribution of log τ: the event τ < 5 has to be written in log τ too.",
    "variance": "the Laplace normal's spread is the *sd* of log τ, the inverse square root of the "
    "curvature, not its variance.",
    "laplace upper": "that is the normal's P(τ > 5), the upper tail; the exercise asks for P(τ < 5).",
    "exact": "that is the exact probability; the Laplace one comes from the normal in log τ.",
    "jacobian twice": "eight_schools.log_marginal_log_tau already holds the Jacobian log τ: adding it again "
    "counts it twice.",
}
_EXACT_FALLBACK = (
    f"{_PRIOR} (section 3's eight_schools.log_marginal_tau is log p(y | τ)); P(τ < 5 | y) is the "
    "share of its integral over all τ ≥ 0 that lies below 5. If you summed a grid, refine it (a step of "
    "0.1 in τ is too coarse here) or use scipy.integrate.quad."
)
_LAPLACE_FALLBACK = (
    "Laplace here is a normal in log τ, centred at the mode of this posterior's density of log τ "
    "(prior and Jacobian both included, the Jacobian once: eight_schools.log_marginal_log_tau already "
    "holds it) with the sd its curvature there gives."
)


def _matches(value: float, reference: float) -> bool:
    return abs(value - reference) <= _TOLERANCE


def tau_below_five(prob_tau_below_5) -> CheckResult:
    """Exercise 2: ``[exact, laplace]`` values of P(tau < 5 | y) for the eight schools, half-Cauchy prior.

    The prior on tau is half-Cauchy with scale 5 (the uniform prior on mu stays). The exact value
    by quadrature of the prior times :func:`~bda_helpers.beyond.eight_schools.log_marginal_tau`,
    the Laplace one from the normal approximation of log tau at its mode. Both pass within 0.002.

    Examples
    --------
    >>> tau_below_five([0.9, 0.9]).passed
    False
    """
    name = "prob_tau_below_5"
    values = as_array(prob_tau_below_5, (2,), name)
    if isinstance(values, CheckResult):
        return values
    if np.any((values < 0) | (values > 1)):
        return wrong(
            f"{name} = {format_answer(values)} holds a number outside [0, 1], so not a probability.",
            "an integral of the unnormalised density is not a probability: divide by the integral over "
            "all τ ≥ 0 (and give probabilities, not percentages).",
        )
    ref = _tau_references()
    exact, laplace = float(values[0]), float(values[1])
    if _matches(exact, ref["exact"]) and _matches(laplace, ref["laplace"]):
        return correct(
            f"{name} = [{exact:.3f}, {laplace:.3f}]: even with a prior that favours small τ, the normal in "
            "log τ has too little mass there, where the data are most consistent with no variation "
            "between schools."
        )
    if _matches(exact, ref["laplace"]) and _matches(laplace, ref["exact"]):
        return wrong(f"{name} is in the wrong order.", "give [exact, laplace].")
    expected = np.array([ref["exact"], ref["laplace"]])
    hints = []
    for index, (value, hint_table, fallback) in enumerate(
        ((exact, _EXACT_HINTS, _EXACT_FALLBACK), (laplace, _LAPLACE_HINTS, _LAPLACE_FALLBACK))
    ):
        if _matches(value, expected[index]):
            continue
        slip = next((key for key in hint_table if _matches(value, ref[key])), None)
        hints.append(fallback if slip is None else hint_table[slip])
    miss = describe_miss(
        name, values, expected, rtol=0.0, atol=_TOLERANCE, names=("the exact value", "the Laplace value")
    )
    return wrong(miss, " Also: ".join(hints))
