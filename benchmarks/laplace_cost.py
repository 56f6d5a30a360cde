"""The cost of the Laplace fit as the dimension grows: Bayesian logistic regression, n = 10 d.

Run with ``python tasks.py bench laplace_cost`` (which calls ``.venv/bin/python
benchmarks/laplace_cost.py``); ``--quick`` takes 3 repeats per timing instead of 9.
For each d in ``DIMS`` the script simulates data (:func:`simulate_logistic`, seeded), times
the whole Laplace fit (:func:`laplace_logistic`: Newton with the analytic Hessian, then the
covariance), one Hessian and one Cholesky factorisation, records Newton's step count and
the fit's peak traced memory, and fits log–log slopes of time against d. It then samples
the same posterior with PyMC's NUTS for d = 10 and 50, as a sanity check and for scale.
Results go to ``benchmarks/results/laplace_cost.json`` and ``laplace_cost.svg``.
Benchmarks are not pass/fail: the script prints whether the target is met and exits 0.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from run import Target, describe_machine, format_mb, format_seconds, machine_info, peak_memory_mb, time_call

from bda_helpers.beyond.charts import cost_chart
from bda_helpers.beyond.logistic import hessian, laplace_logistic, newton_logistic, simulate_logistic
from bda_helpers.charts import round_significant

#: The dimensions measured; n = N_PER_D * d observations each.
DIMS = (10, 20, 50, 100, 200, 500, 1000)
N_PER_D = 10
PRIOR_SD = 1.0
#: Data for dimension d come from ``np.random.default_rng([SEED, d])``.
SEED = 2024
#: Slopes are fitted over d >= SLOPE_MIN_D, where BLAS dominates the cost.
SLOPE_MIN_D = 100
#: Repeats per timing: (full run, --quick).
REPEATS = (9, 3)
#: The target: the d = 1000 fit (mode and covariance) in at most 2 s.
TARGET_D = 1000
TARGET = Target(max_seconds=2.0)
#: NUTS runs, the same model and data as the Laplace rows of the same d.
NUTS_DIMS = (10, 50)
NUTS_SETTINGS = {"draws": 1000, "tune": 1000, "chains": 2, "cores": 1}
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def simulate(d: int):
    """The benchmark's data set for dimension ``d`` (deterministic)."""
    return simulate_logistic(N_PER_D * d, d, np.random.default_rng([SEED, d]), prior_sd=PRIOR_SD)


def measure_dimension(d: int, repeats: int) -> dict:
    """Time the fit, one Hessian and one Cholesky at dimension ``d``; steps and peak memory."""
    data = simulate(d)
    newton = newton_logistic(data, PRIOR_SD)
    neg_hessian = -newton.hessian

    def fit():
        return laplace_logistic(data, PRIOR_SD)

    fit()  # warm-up
    fit_median, fit_min, calls = time_call(fit, repeats)
    hessian_median, _, _ = time_call(lambda: hessian(newton.mode, data, PRIOR_SD), repeats)
    cholesky_median, _, _ = time_call(lambda: np.linalg.cholesky(neg_hessian), repeats)
    return {
        "d": d,
        "n": data.n,
        "newton_steps": newton.n_iter,
        "fit_median_s": fit_median,
        "fit_min_s": fit_min,
        "repeats": repeats,
        "calls_per_repeat": calls,
        "peak_mb": peak_memory_mb(fit),
        "hessian_median_s": hessian_median,
        "cholesky_median_s": cholesky_median,
    }


def loglog_slopes(rows: list[dict]) -> dict:
    """Slopes of log time against log d: least squares over d >= SLOPE_MIN_D, and between the two
    largest d."""
    series = (("fit", "fit_median_s"), ("hessian", "hessian_median_s"), ("cholesky", "cholesky_median_s"))
    used = [row for row in rows if row["d"] >= SLOPE_MIN_D]
    slopes = {"over_d": [row["d"] for row in used]}
    if len(used) >= 2:
        log_d = np.log([row["d"] for row in used])
        for name, key in series:
            slopes[name] = float(np.polyfit(log_d, np.log([row[key] for row in used]), 1)[0])
        last, before = used[-1], used[-2]
        slopes["largest_pair"] = {"d": [before["d"], last["d"]]} | {
            name: float(np.log(last[key] / before[key]) / np.log(last["d"] / before["d"]))
            for name, key in series
        }
    return slopes


def run_nuts(d: int) -> dict:
    """Sample the posterior with PyMC's NUTS and compare it with the Laplace fit.

    ``wall_s`` is the wall-clock time of building the model and ``pm.sample`` (PyTensor
    compiles the log density and its gradient, both chains tune and sample, one after the
    other on one core), ``sampling_s`` is PyMC's own ``sampling_time`` (tuning and
    sampling only), and ``compile_s`` the difference.
    """
    import arviz as az
    import pymc as pm
    import pytensor

    logging.getLogger("pymc").setLevel(logging.ERROR)
    data = simulate(d)
    with warnings.catch_warnings():
        # Reported in the results as pytensor_blas instead of printed on every run.
        warnings.filterwarnings("ignore", message="PyTensor could not link to a BLAS installation")
        start = time.perf_counter()
        with pm.Model():
            coef = pm.Normal("coef", mu=0.0, sigma=PRIOR_SD, shape=d)
            pm.Bernoulli("y", logit_p=pm.math.dot(data.X, coef), observed=data.y)
            idata = pm.sample(
                **NUTS_SETTINGS, random_seed=SEED + d, progressbar=False, compute_convergence_checks=False
            )
        wall = time.perf_counter() - start
    draws = idata.posterior["coef"].values.reshape(-1, d)
    mean, sd = draws.mean(axis=0), draws.std(axis=0, ddof=1)
    approx = laplace_logistic(data, PRIOR_SD)
    sampling = float(idata.sample_stats.attrs["sampling_time"])
    return {
        "d": d,
        "n": data.n,
        **{key: NUTS_SETTINGS[key] for key in ("draws", "tune", "chains")},
        "wall_s": wall,
        "sampling_s": sampling,
        "compile_s": wall - sampling,
        "divergences": int(idata.sample_stats["diverging"].values.sum()),
        "min_ess_bulk": float(az.ess(idata, var_names=["coef"])["coef"].min()),
        "max_abs_mean_minus_mode_over_sd": float(np.max(np.abs(mean - approx.mode) / sd)),
        "max_abs_sd_ratio_minus_1": float(np.max(np.abs(approx.sd / sd - 1.0))),
        "pytensor_blas": bool(pytensor.config.blas__ldflags),
    }


def rounded(value, key: str = ""):
    """Numbers rounded for the JSON file: times to 3 significant digits, others sensibly."""
    if isinstance(value, dict):
        return {k: rounded(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v, key) for v in value]
    if isinstance(value, bool) or not isinstance(value, float):
        return value
    if key.startswith("min_ess"):
        return round(value)
    if key.endswith("_mb"):
        return float(round_significant(value, 3))
    if key.endswith("_s") or key == "max_seconds":
        return float(round_significant(value, 3))
    return round(value, 3)


def markdown_table(rows: list[dict]) -> str:
    """The per-d measurements as a Markdown table."""
    lines = [
        "| d | n | Newton steps | fit median | fit min | repeats | peak memory | one Hessian "
        "| one Cholesky |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['d']} | {r['n']} | {r['newton_steps']} | {format_seconds(r['fit_median_s'])} | "
            f"{format_seconds(r['fit_min_s'])} | {r['repeats']} × {r['calls_per_repeat']} | "
            f"{format_mb(r['peak_mb'])} | {format_seconds(r['hessian_median_s'])} | "
            f"{format_seconds(r['cholesky_median_s'])} |"
        )
    return "\n".join(lines)


def nuts_table(rows: list[dict]) -> str:
    """The NUTS runs as a Markdown table."""
    lines = [
        "| d | n | wall clock (build + compile + sample) | sampling only | compile etc. | divergences | "
        "min bulk ESS | max \\|mean − mode\\| / sd | max \\|sd ratio − 1\\| |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['d']} | {r['n']} | {r['wall_s']:.2f} s | {r['sampling_s']:.2f} s | "
            f"{r['compile_s']:.2f} s | "
            f"{r['divergences']} | {r['min_ess_bulk']:.0f} | {r['max_abs_mean_minus_mode_over_sd']:.3f} | "
            f"{r['max_abs_sd_ratio_minus_1']:.3f} |"
        )
    return "\n".join(lines)


def summary(results: dict) -> str:
    """The tables, log–log slopes and target line of ``results`` (the JSON file's contents).

    Used by :func:`main` and by ``peers.py``, which prints the committed results.
    """
    rows, slopes, target = results["rows"], results["slopes"], results["target"]
    n_per_d = results["settings"]["n_per_d"]
    lines = [
        f"Laplace fit of Bayesian logistic regression, n = {n_per_d} d; times per call; 1 MB = 10^6 bytes.",
        "",
        markdown_table(rows),
        "",
    ]
    over = ", ".join(str(d) for d in slopes["over_d"])
    pair = slopes["largest_pair"]
    for label, values in (
        (f"over d = {over}", slopes),
        (f"between d = {pair['d'][0]} and {pair['d'][1]}", pair),
    ):
        lines.append(
            f"log-log slope {label}: fit {values['fit']:.2f}, one Hessian {values['hessian']:.2f}, "
            f"one Cholesky {values['cholesky']:.2f}"
        )
    bound = Target(max_seconds=target["max_seconds"])
    missed = bound.missed(target["median_s"], 0.0)
    lines.append(
        f"d = {target['d']} fit: median {format_seconds(target['median_s'])}, target {bound.describe()}: "
        f"{'met' if not missed else 'MISSED: ' + '; '.join(missed)}"
    )
    return "\n".join([*lines, "", nuts_table(results["nuts"])])


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command-line options ``--quick`` and ``--out DIR``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a rough check)")
    parser.add_argument(
        "--out",
        type=Path,
        default=RESULTS_DIR,
        metavar="DIR",
        help="where laplace_cost.json and laplace_cost.svg go (default benchmarks/results)",
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    """Measure, print the tables, write JSON and SVG; return 0 (not pass/fail)."""
    args = parse_args(argv)
    started = time.perf_counter()
    repeats = REPEATS[1 if args.quick else 0]
    info = machine_info()
    load_start = os.getloadavg()[0]
    print(describe_machine(info), flush=True)
    print(f"1-minute load average at the start: {load_start:.2f} (other processes slow the timings)")

    rows = []
    for d in DIMS:
        print(f"  Laplace fit, d = {d} ...", file=sys.stderr, flush=True)
        rows.append(measure_dimension(d, repeats))
    slopes = loglog_slopes(rows)
    at_target = next(row for row in rows if row["d"] == TARGET_D)
    missed = TARGET.missed(at_target["fit_median_s"], at_target["peak_mb"])
    nuts = []
    for d in NUTS_DIMS:
        print(f"  NUTS, d = {d} ...", file=sys.stderr, flush=True)
        nuts.append(run_nuts(d))

    results = {
        "description": __doc__.splitlines()[0],
        "machine": info,
        "quick": args.quick,
        "settings": {
            "n_per_d": N_PER_D,
            "prior_sd": PRIOR_SD,
            "seed": SEED,
            "repeats": repeats,
            "slope_min_d": SLOPE_MIN_D,
        },
        "rows": rows,
        "slopes": slopes,
        "target": {
            "d": TARGET_D,
            "max_seconds": TARGET.max_seconds,
            "median_s": at_target["fit_median_s"],
            "met": not missed,
        },
        "nuts": nuts,
    }
    print(summary(results))
    total = time.perf_counter() - started
    load_end = os.getloadavg()[0]
    print()
    print(f"Total runtime {total:.0f} s; 1-minute load average at the end: {load_end:.2f}.")

    payload = rounded(
        results
        | {
            "total_runtime_s": total,
            "load_average_1min": {"start": load_start, "end": load_end},
        }
    )
    args.out.mkdir(parents=True, exist_ok=True)
    json_path, svg_path = args.out / "laplace_cost.json", args.out / "laplace_cost.svg"
    json_path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    cost_chart(payload).save(svg_path)
    print(f"Results written to {json_path} and {svg_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
