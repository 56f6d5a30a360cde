"""Self-checks for notebook 08, when no normal works.

Each check recomputes its reference itself (with :mod:`bda_helpers` and scipy; nothing is
stored), names the typical slip a wrong answer shows, and never prints the reference value, nor
which of the student's entries are the wrong ones when that would give the answer away.

Examples
--------
>>> improper_second_dose(None)
… Not answered yet: assign your answer to `improper_y` and run the cell again.
>>> tau_below_five(None)
… Not answered yet: assign your answer to `prob_tau_below_5` and run the cell again.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import integrate, optimize, stats

from .. import bioassay
from ..checks import (
    CheckResult,
    as_array,
    as_numbers,
    correct,
    describe_miss,
    format_answer,
    not_answered,
    wrong,
)
from ..data import BioassayData, load_eight_schools
from . import eight_schools

__all__ = ["SECOND_DOSE", "improper_second_dose", "tau_below_five"]

#: The one-dose group of notebook 08 (x, n, y) and the dose of the second group the exercise adds.
ONE_DOSE = (-0.05, 5, 3)
SECOND_DOSE = 0.73
#: The threshold of exercise 2: P(tau < TAU_LIMIT | y).
TAU_LIMIT = 5.0


def _improper_deaths() -> set[int]:
    """The deaths y at the second dose for which the two groups are (quasi-)separated."""
    x, n, y = ONE_DOSE
    return {
        deaths
        for deaths in range(n + 1)
        if bioassay.is_separable(BioassayData(x=[x, SECOND_DOSE], n=[n, n], y=[y, deaths]))
    }


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


def improper_second_dose(improper_y) -> CheckResult:
    """Exercise 1: the deaths y at the second dose x = 0.73 that leave the flat-prior posterior improper.

    The reference is :func:`bda_helpers.bioassay.is_separable` applied to each y in 0..5.

    Examples
    --------
    >>> improper_second_dose([]).passed
    False
    """
    name = "improper_y"
    given = _as_deaths(improper_y, name)
    if isinstance(given, CheckResult):
        return given
    expected = _improper_deaths()
    if given == expected:
        return correct(
            f"{name} = {sorted(given)}: with every animal dead, or every animal alive, at x = {SECOND_DOSE}, "
            "some curve — rising or falling — fits both groups better and better as it steepens "
            "(quasi-separation: the mixed group sits at the cut itself)."
        )
    extra, missing = given - expected, expected - given
    parts, hints = [], []
    if extra:
        parts.append("some of your values leave the posterior proper")
        hints.append(
            "with both deaths and survivors at each of two different doses, no dose separates the "
            "groups, and two doses identify both α and β."
        )
    if missing:
        parts.append("your list misses some y that leave it improper")
        hints.append(
            "a group with both deaths and survivors does not prevent separation when it sits at the "
            "cut itself (quasi-separation), and a curve may fall with the dose (β < 0) as well as rise."
        )
    return wrong(f"{name} = {sorted(given)} is not right: {'; '.join(parts)}.", " Also: ".join(hints))


@lru_cache(maxsize=1)
def _tau_references() -> dict[str, float]:
    """P(tau < 5 | y) exactly and under Laplace in log tau, and the answers typical slips give."""
    schools = load_eight_schools()
    log_p0 = float(eight_schools.log_marginal_tau(0.0, schools))

    def density(t: float, power: int = 0) -> float:
        return t**power * np.exp(float(eight_schools.log_marginal_tau(t, schools)) - log_p0)

    def probability(power: int = 0) -> float:
        below = integrate.quad(density, 0, TAU_LIMIT, args=(power,), epsabs=0, epsrel=1e-11)[0]
        above = integrate.quad(density, TAU_LIMIT, np.inf, args=(power,), epsabs=0, epsrel=1e-11)[0]
        return below / (below + above)

    def log_tau_density(u: float) -> float:
        return float(eight_schools.log_marginal_log_tau(u, schools))

    mode = optimize.minimize_scalar(
        lambda u: -log_tau_density(u), bounds=(-5, 5), method="bounded", options={"xatol": 1e-10}
    ).x
    h = 1e-3
    sd = 1 / np.sqrt(
        -(log_tau_density(mode + h) - 2 * log_tau_density(mode) + log_tau_density(mode - h)) / h**2
    )
    sd_at_zero = 1 / np.sqrt(-2 * (density(0.01) / density(0.0) - 1) / 0.01**2)  # log p ≈ −A τ²/2 near 0
    exact, laplace = probability(), float(stats.norm.cdf((np.log(TAU_LIMIT) - mode) / sd))
    return {
        "exact": exact,
        "laplace": laplace,
        "log tau density": probability(power=1),
        "no log": float(stats.norm.cdf((TAU_LIMIT - mode) / sd)),
        "variance": float(stats.norm.cdf((np.log(TAU_LIMIT) - mode) / sd**2)),
        "boundary normal": float(2 * stats.norm.cdf(TAU_LIMIT / sd_at_zero) - 1),
        "boundary normal untruncated": float(stats.norm.cdf(TAU_LIMIT / sd_at_zero)),
        "exact upper": 1 - exact,
        "laplace upper": 1 - laplace,
    }


_TOLERANCE = 2e-3
_EXACT_HINTS = {
    "log tau density": "that integrates τ·p(τ | y), the density of log τ, over τ: integrate p(τ | y) "
    "itself over τ from 0 to 5, or p(log τ | y) over log τ up to log 5.",
    "exact upper": "that is P(τ > 5 | y); the exercise asks for P(τ < 5 | y).",
    "laplace": "that is the Laplace answer; the exact one integrates the normalised p(τ | y).",
}
_LAPLACE_HINTS = {
    "no log": "the normal is in log τ: evaluate its CDF at log 5, not at 5.",
    "variance": "divide by the Laplace *sd* of log τ, not its variance.",
    "boundary normal": "that is the normal at τ̂ = 0 (cut at 0); the exercise asks for the Laplace "
    "approximation in log τ.",
    "boundary normal untruncated": "that is the normal at τ̂ = 0; the exercise asks for the Laplace "
    "approximation in log τ.",
    "laplace upper": "that is the normal's P(log τ > log 5); take the CDF itself.",
    "exact": "that is the exact probability; the Laplace one comes from the normal in log τ.",
}


def _matches(value: float, reference: float) -> bool:
    return abs(value - reference) <= _TOLERANCE


def tau_below_five(prob_tau_below_5) -> CheckResult:
    """Exercise 2: ``[exact, laplace]`` values of P(tau < 5 | y) for the eight schools.

    The exact one by quadrature of :func:`~bda_helpers.beyond.eight_schools.log_marginal_tau`,
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
            f"{name} = [{exact:.3f}, {laplace:.3f}]: the normal in log τ has too little mass at small τ, "
            "where the data are most consistent with no variation between schools."
        )
    if _matches(exact, ref["laplace"]) and _matches(laplace, ref["exact"]):
        return wrong(f"{name} is in the wrong order.", "give [exact, laplace].")
    expected = np.array([ref["exact"], ref["laplace"]])
    hints = []
    for index, (value, hint_table) in enumerate(((exact, _EXACT_HINTS), (laplace, _LAPLACE_HINTS))):
        if _matches(value, expected[index]):
            continue
        slip = next((key for key in hint_table if _matches(value, ref[key])), None)
        if slip is not None:
            hints.append(hint_table[slip])
        elif index == 0:
            hints.append(
                "normalise p(τ | y) by its integral over all τ ≥ 0 (quadrature, e.g. scipy.integrate.quad)."
            )
        else:
            hints.append("use Φ((log 5 − mode) / sd) with the mode and sd of log τ from section 3.")
    miss = describe_miss(
        name, values, expected, rtol=0.0, atol=_TOLERANCE, names=("the exact value", "the Laplace value")
    )
    return wrong(miss, " Also: ".join(hints))
