"""Peers: the bioassay Laplace fit with bda_helpers, scipy's BFGS and pymc-extras, then the grid and
scaling summaries.

Run with ``python tasks.py bench peers`` (which calls ``.venv/bin/python benchmarks/peers.py``).
It fits the Laplace approximation of the bioassay posterior (flat prior, BDA3 §3.7) with

- ``bioassay.laplace_fit(data)`` (Newton, analytic Hessian) and the finite-difference Hessian
  default ``laplace(bioassay.model_functions(data).gradient, [0.0, 0.0])``;
- ``scipy.optimize.minimize(method="BFGS")`` on the negative log posterior with the analytic
  gradient, its ``hess_inv`` taken as the covariance;
- pymc-extras' ``fit_laplace`` on the same model written in PyMC (``pm.Flat`` priors): its
  default (BFGS, whose ``hess_inv`` it returns) and ``"trust-ncg"`` (whose covariance it
  computes from exact Hessian-vector products at the optimum);

times each (the first call, then the median of repeated calls in this process, with
``run.time_call``) and compares mode and covariance with a reference: the mode from
``scipy.optimize.root`` on the analytic gradient at tolerance 1e-13, and the inverse of the
analytic negative Hessian there. It then times the grid (``run.py``'s grid rows) and prints
the committed scaling results of ``laplace_cost.py`` (``--rerun-scaling`` re-runs it first).
``--quick`` takes fewer repeats. Results go to ``benchmarks/results/peers.json``.
Benchmarks are not pass/fail: the script reports which goals are met and exits 0.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import laplace_cost
import numpy as np
from run import (
    REPEATS,
    benchmarks,
    check_fits,
    check_grid,
    describe_machine,
    fit_fd,
    format_seconds,
    grid_axes,
    machine_info,
    run_benchmark,
    time_call,
)
from run import markdown_table as grid_table
from run import summary as grid_summary
from scipy import optimize

from bda_helpers import bioassay, load_bioassay
from bda_helpers.charts import round_significant

#: Parameter names, in the order of every mode and covariance below.
PARAMS = ("alpha", "beta")
#: Repeats per timing (full run, --quick): run.py's for the fast fits, fewer for pymc-extras.
FAST_REPEATS = REPEATS["fit"]
SLOW_REPEATS = (9, 3)
#: Seed of fit_laplace's draws from the fitted normal (they do not affect mode or covariance).
SEED = 2024
#: The row every time and error is compared with.
BASELINE = "bda_helpers laplace_fit (Newton, analytic Hessian)"
DEFAULT_PYMC_EXTRAS = "pymc-extras fit_laplace (default: BFGS)"
BFGS = "scipy BFGS, analytic gradient, hess_inv"
#: Goals: bda_helpers at least this many times faster than pymc-extras' default fit_laplace,
#: and its covariance error at least this many times smaller than BFGS's hess_inv.
SPEED_GOAL = 1e3
ACCURACY_GOAL = 1e6
RESULTS_DIR = laplace_cost.RESULTS_DIR
#: JSON entries written in full precision rather than to 3 significant digits.
FULL_PRECISION = ("reference", "mode", "cov")


@dataclass(frozen=True)
class Estimate:
    """A mode and covariance in (alpha, beta) order, as read-only arrays."""

    mode: np.ndarray
    cov: np.ndarray

    def __post_init__(self) -> None:
        mode = np.array(self.mode, dtype=float)
        cov = np.array(self.cov, dtype=float)
        if mode.shape != (2,) or cov.shape != (2, 2):
            raise ValueError(f"mode must have shape (2,) and cov (2, 2), got {mode.shape} and {cov.shape}")
        for name, value in (("mode", mode), ("cov", cov)):
            value.flags.writeable = False
            object.__setattr__(self, name, value)


@dataclass(frozen=True)
class Errors:
    """How far an :class:`Estimate` is from the reference.

    Attributes
    ----------
    mode : float
        Largest absolute error of the two mode coordinates.
    cov_max_abs : float
        Largest absolute error of the four covariance entries.
    cov_rel_frobenius : float
        Frobenius norm of the covariance error over that of the reference covariance.
    """

    mode: float
    cov_max_abs: float
    cov_rel_frobenius: float


@dataclass(frozen=True)
class Peer:
    """One way to fit the Laplace approximation.

    Attributes
    ----------
    name : str
        Row label in the table.
    fit : callable
        The call that is timed, with no arguments, as a user of that library makes it.
    estimate : callable
        Turns what ``fit`` returns into an :class:`Estimate` (not timed).
    slow : bool
        Whether to take ``SLOW_REPEATS`` rather than ``FAST_REPEATS``.
    """

    name: str
    fit: Callable[[], object]
    estimate: Callable[[object], Estimate]
    slow: bool = False


def reference(data) -> Estimate:
    """The exact Laplace approximation: the root of the analytic gradient (MINPACK's hybrid
    method from (0, 0), tolerance 1e-13) and the inverse of the analytic negative Hessian there.

    Raises
    ------
    RuntimeError
        If the root finder reports failure.
    """
    model = bioassay.model_functions(data)
    solution = optimize.root(model.gradient, x0=[0.0, 0.0], jac=model.hessian, method="hybr", tol=1e-13)
    if not solution.success:
        raise RuntimeError(f"reference mode: scipy.optimize.root failed: {solution.message}")
    return Estimate(solution.x, np.linalg.inv(-model.hessian(solution.x)))


def errors(estimate: Estimate, exact: Estimate) -> Errors:
    """The mode and covariance errors of ``estimate`` against ``exact``."""
    cov_error = estimate.cov - exact.cov
    return Errors(
        mode=float(np.max(np.abs(estimate.mode - exact.mode))),
        cov_max_abs=float(np.max(np.abs(cov_error))),
        cov_rel_frobenius=float(np.linalg.norm(cov_error) / np.linalg.norm(exact.cov)),
    )


def from_laplace(approx) -> Estimate:
    """The mode and covariance of a :class:`~bda_helpers.LaplaceApproximation`."""
    return Estimate(approx.mode, approx.cov)


def bfgs_fit(data) -> optimize.OptimizeResult:
    """BFGS from (0, 0) on the negative log posterior with the analytic gradient (scipy's defaults).

    Raises
    ------
    RuntimeError
        If BFGS reports failure.
    """
    model = bioassay.model_functions(data)
    result = optimize.minimize(
        lambda t: -float(model.log_density(t)), x0=[0.0, 0.0], jac=lambda t: -model.gradient(t), method="BFGS"
    )
    if not result.success:
        raise RuntimeError(f"BFGS failed: {result.message}")
    return result


def from_bfgs(result: optimize.OptimizeResult) -> Estimate:
    """BFGS's optimum and its inverse-Hessian approximation ``hess_inv`` as the covariance."""
    return Estimate(result.x, result.hess_inv)


def from_pymc_extras(idata) -> Estimate:
    """Mode and covariance from ``fit_laplace``'s ``fit`` group, picked by variable name.

    ``mean_vector`` and ``covariance_matrix`` are labelled by the coordinates ``rows`` and
    ``columns``; pymc-extras 0.10.0 orders them (beta, alpha), so they are selected by name
    rather than by position.
    """
    fit = idata.fit
    names = list(PARAMS)
    return Estimate(
        fit["mean_vector"].sel(rows=names).values,
        fit["covariance_matrix"].sel(rows=names, columns=names).values,
    )


def quiet_pymc() -> None:
    """Silence PyMC's, PyTensor's and pymc-extras' informational log messages."""
    for name in ("pymc", "pytensor", "pymc_extras"):
        logging.getLogger(name).setLevel(logging.ERROR)


def bioassay_pymc_model(data):
    """The bioassay model in PyMC: flat priors on alpha and beta, binomial deaths, logit link."""
    import pymc as pm

    with pm.Model() as model:
        alpha = pm.Flat("alpha")
        beta = pm.Flat("beta")
        pm.Binomial("y", n=data.n, logit_p=alpha + beta * data.x, observed=data.y)
    return model


def fast_peers(data) -> list[Peer]:
    """bda_helpers' two fits and scipy's BFGS."""
    return [
        Peer(BASELINE, lambda: bioassay.laplace_fit(data), from_laplace),
        Peer("bda_helpers laplace (Newton, FD Hessian, default)", lambda: fit_fd(data), from_laplace),
        Peer(BFGS, lambda: bfgs_fit(data), from_bfgs),
    ]


def pymc_extras_peers(data) -> tuple[list[Peer], float]:
    """pymc-extras' fit_laplace with its default optimiser and with trust-ncg, and the time
    taken to import PyMC and pymc-extras (0 if they were already imported)."""
    start = time.perf_counter()
    from pymc_extras.inference import fit_laplace

    import_s = time.perf_counter() - start
    quiet_pymc()
    model = bioassay_pymc_model(data)

    def fit(method):
        return lambda: fit_laplace(method, model=model, progressbar=False, random_seed=SEED)

    peers = [
        Peer(DEFAULT_PYMC_EXTRAS, fit("BFGS"), from_pymc_extras, slow=True),
        Peer(
            "pymc-extras fit_laplace (trust-ncg, exact Hessian)",
            fit("trust-ncg"),
            from_pymc_extras,
            slow=True,
        ),
    ]
    return peers, import_s


def measure(peer: Peer, exact: Estimate, quick: bool) -> dict:
    """Time the first call of ``peer.fit`` and then repeated calls; errors of its estimate."""
    start = time.perf_counter()
    result = peer.fit()
    first_call = time.perf_counter() - start
    repeats = (SLOW_REPEATS if peer.slow else FAST_REPEATS)[1 if quick else 0]
    median_s, min_s, number = time_call(peer.fit, repeats)
    estimate = peer.estimate(result)
    return {
        "name": peer.name,
        "first_call_s": first_call,
        "median_s": median_s,
        "min_s": min_s,
        "repeats": repeats,
        "calls_per_repeat": number,
        "mode": estimate.mode.tolist(),
        "cov": estimate.cov.tolist(),
        **{f"{key}_error": value for key, value in asdict(errors(estimate, exact)).items()},
    }


def ratio(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator``, or ``None`` when the denominator is 0."""
    return numerator / denominator if denominator > 0 else None


def add_ratios(rows: list[dict]) -> list[dict]:
    """Each row with its median and first-call times divided by the baseline's median time."""
    base = next(row for row in rows if row["name"] == BASELINE)
    return [
        row
        | {
            "time_ratio": ratio(row["median_s"], base["median_s"]),
            "first_call_ratio": ratio(row["first_call_s"], base["median_s"]),
        }
        for row in rows
    ]


def goals(rows: list[dict]) -> dict:
    """Whether bda_helpers meets the speed goal (against pymc-extras' default fit_laplace, on
    repeated and on first calls) and the accuracy goal (against BFGS's hess_inv, on both
    covariance error measures)."""
    by_name = {row["name"]: row for row in rows}
    base, pymc_extras, bfgs = by_name[BASELINE], by_name[DEFAULT_PYMC_EXTRAS], by_name[BFGS]
    speed = {
        "goal": SPEED_GOAL,
        "repeated_calls": pymc_extras["time_ratio"],
        "first_call": pymc_extras["first_call_ratio"],
    }
    accuracy = {"goal": ACCURACY_GOAL}
    for key in ("cov_max_abs_error", "cov_rel_frobenius_error"):
        accuracy[key] = ratio(bfgs[key], base[key])
    return {
        "speed": speed | {"met": {key: speed[key] >= SPEED_GOAL for key in ("repeated_calls", "first_call")}},
        # A zero baseline error (ratio None) is as accurate as can be: the goal is met.
        "accuracy": accuracy
        | {
            "met": {
                key: accuracy[key] is None or accuracy[key] >= ACCURACY_GOAL
                for key in ("cov_max_abs_error", "cov_rel_frobenius_error")
            }
        },
    }


def format_ratio(value: float | None) -> str:
    """A ratio as table text: ``1.00×``, ``312×``, ``1.2e+12×``; ``∞`` for ``None``."""
    if value is None:
        return "∞"
    if value >= 1e5:
        return f"{value:.1e}×"
    return f"{value:.3g}×" if value < 100 else f"{value:.0f}×"


def peer_table(rows: list[dict]) -> str:
    """The peer measurements as a Markdown table."""
    lines = [
        "| method | first call | median | min | repeats | median ÷ baseline | first call ÷ baseline | "
        "mode error | cov max abs error | cov rel. Frobenius error |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['name']} | {format_seconds(r['first_call_s'])} | {format_seconds(r['median_s'])} | "
            f"{format_seconds(r['min_s'])} | {r['repeats']} × {r['calls_per_repeat']} | "
            f"{format_ratio(r['time_ratio'])} | {format_ratio(r['first_call_ratio'])} | "
            f"{r['mode_error']:.1e} | "
            f"{r['cov_max_abs_error']:.1e} | {r['cov_rel_frobenius_error']:.1e} |"
        )
    return "\n".join(lines)


def goals_text(result: dict) -> str:
    """One line per goal, with the measured ratios and met / NOT MET."""
    speed, accuracy = result["speed"], result["accuracy"]

    def verdict(met: bool) -> str:
        return "met" if met else "NOT MET"

    return "\n".join(
        [
            f"Speed goal, bda_helpers ≥ {speed['goal']:.0f}× faster than pymc-extras' default "
            f"fit_laplace: {format_ratio(speed['repeated_calls'])} on repeated calls "
            f"({verdict(speed['met']['repeated_calls'])}), "
            f"{format_ratio(speed['first_call'])} for the first call in a process "
            f"({verdict(speed['met']['first_call'])}).",
            f"Accuracy goal, bda_helpers' covariance error ≥ {accuracy['goal']:.0e}× smaller than "
            "BFGS's hess_inv: "
            f"{format_ratio(accuracy['cov_max_abs_error'])} in max abs error "
            f"({verdict(accuracy['met']['cov_max_abs_error'])}), "
            f"{format_ratio(accuracy['cov_rel_frobenius_error'])} in relative Frobenius error "
            f"({verdict(accuracy['met']['cov_rel_frobenius_error'])}).",
        ]
    )


def rounded(value, key: str = ""):
    """Floats rounded to 3 significant digits, recursively (for the JSON file), except the
    modes and covariances (entries ``reference``, ``mode``, ``cov``), kept in full."""
    if key in FULL_PRECISION:
        return value
    if isinstance(value, dict):
        return {k: rounded(item, k) for k, item in value.items()}
    if isinstance(value, list):
        return [rounded(item, key) for item in value]
    if isinstance(value, float):
        return float(round_significant(value, 3))
    return value


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command-line options ``--quick``, ``--rerun-scaling`` and ``--out DIR``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a rough check)")
    parser.add_argument(
        "--rerun-scaling",
        action="store_true",
        help="re-run laplace_cost.py (about 1.5 minutes) instead of reading its results",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=RESULTS_DIR,
        metavar="DIR",
        help="where peers.json (and, with --rerun-scaling, laplace_cost's results) go "
        "(default benchmarks/results)",
    )
    return parser.parse_args(argv)


def package_versions() -> dict:
    """The versions of PyMC, PyTensor and pymc-extras (imported by :func:`pymc_extras_peers`)."""
    from importlib.metadata import version

    return {name: version(name) for name in ("pymc", "pytensor", "pymc-extras")}


def print_report(
    exact, import_s: float, rows: list, result: dict, grid: list, scaling: dict, scaling_source: str
):
    """Print the peers table, the goals, the grid rows and the scaling summary."""
    print()
    print("## Peers: the bioassay Laplace fit (flat prior)")
    print(
        f"Reference: mode {exact.mode.round(6).tolist()} (scipy.optimize.root, tol 1e-13), "
        f"cov = inv(-Hessian) = {exact.cov.round(5).tolist()}; (alpha, beta) order."
    )
    print(
        f"Importing PyMC and pymc-extras took {import_s:.2f} s (not in the table). Times per call; "
        f"baseline = the median time of {BASELINE}. First call: the first in this process "
        "(for pymc-extras, PyTensor compiles or loads from its on-disk cache)."
    )
    print()
    print(peer_table(rows))
    print()
    print(goals_text(result))
    print()
    print("## Grid (from run.py)")
    print()
    print(grid_table(grid))
    print()
    print(grid_summary(grid))
    print()
    print(
        f"## Scaling with d (laplace_cost.py, {scaling_source}, "
        "1-minute load average "
        f"{scaling['load_average_1min']['start']}–{scaling['load_average_1min']['end']})"
    )
    print()
    print(laplace_cost.summary(scaling))


def main(argv: list[str]) -> int:
    """Measure the peers and the grid, print them with the scaling summary, write peers.json; return 0."""
    args = parse_args(argv)
    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    data = load_bioassay()
    check_fits(data)
    check_grid(data, *grid_axes())
    exact = reference(data)
    info = machine_info()
    print(describe_machine(info), flush=True)
    print(
        f"1-minute load average at the start: {load_start:.2f} (other processes slow the timings)", flush=True
    )

    peers = fast_peers(data)
    slow, import_s = pymc_extras_peers(data)
    rows = []
    for peer in [*peers, *slow]:
        print(f"  running: {peer.name} ...", file=sys.stderr, flush=True)
        rows.append(measure(peer, exact, args.quick))
    rows = add_ratios(rows)
    result = goals(rows)
    grid = []
    for bench in benchmarks(data):
        if bench.kind == "grid":
            print(f"  running: {bench.name} ...", file=sys.stderr, flush=True)
            grid.append(run_benchmark(bench, args.quick))
    scaling_path = (args.out if args.rerun_scaling else RESULTS_DIR) / "laplace_cost.json"
    if args.rerun_scaling:
        laplace_cost.main(["--out", str(args.out), *(["--quick"] if args.quick else [])])
    scaling = json.loads(scaling_path.read_text())
    source = "re-run now" if args.rerun_scaling else "committed results"

    print_report(exact, import_s, rows, result, grid, scaling, f"{source}: {scaling_path.name}")
    total = time.perf_counter() - started
    load_end = os.getloadavg()[0]
    print()
    print(f"Total runtime {total:.0f} s; 1-minute load average at the end: {load_end:.2f}.")

    payload = {
        "description": __doc__.splitlines()[0],
        "machine": info,
        "quick": args.quick,
        "packages": package_versions(),
        "reference": {"params": list(PARAMS), "mode": exact.mode.tolist(), "cov": exact.cov.tolist()},
        "import_pymc_extras_s": import_s,
        "peers": rows,
        "goals": result,
        "grid": [asdict(r) for r in grid],
        "scaling_source": f"{scaling_path.name} ({source})",
        "total_runtime_s": time.perf_counter() - started,
        "load_average_1min": {"start": load_start, "end": load_end},
    }
    payload = rounded(payload)
    args.out.mkdir(parents=True, exist_ok=True)
    json_path = args.out / "peers.json"
    json_path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    print(f"Results written to {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
