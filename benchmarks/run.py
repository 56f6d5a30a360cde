"""Benchmarks of bda_helpers: the bioassay Laplace fit and the log posterior on a grid.

Run with ``python tasks.py bench`` (which calls ``.venv/bin/python benchmarks/run.py``);
``--quick`` takes fewer repeats and ``--json PATH`` also writes the results as JSON.
Benchmarks are not pass/fail: the script prints which targets are missed and exits 0.
Every input is deterministic (the bioassay data file and ``np.linspace`` grids).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import timeit
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import scipy

from bda_helpers import GridPosterior, bioassay, laplace, load_bioassay

#: The bioassay mode of BDA3 §3.7 under the uniform prior, to 4 decimals.
EXPECTED_MODE = (0.8466, 7.7488)
#: The grid of BDA3 §3.7, refined to 1000 x 1000 points.
GRID_SIZE = 1000
ALPHA_RANGE = (-4.0, 8.0)
BETA_RANGE = (-10.0, 40.0)
#: Bytes per MB (decimal megabytes).
MB = 1e6
#: Environment variables that change how numpy's BLAS runs; reported, never changed.
BLAS_ENV_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
#: Repeats per benchmark kind: (full run, --quick).
REPEATS = {"fit": (30, 5), "grid": (15, 3)}


@dataclass(frozen=True)
class Target:
    """A target for one benchmark: an upper bound on the median time and/or peak memory.

    Attributes
    ----------
    max_seconds : float or None
        Upper bound on the median time per call, in seconds.
    max_mb : float or None
        Upper bound on the peak traced memory of one call, in MB.
    """

    max_seconds: float | None = None
    max_mb: float | None = None

    def describe(self) -> str:
        """The target as table text, e.g. ``≤ 0.2 s, ≤ 200 MB``; ``—`` if there is none."""
        parts = []
        if self.max_seconds is not None:
            parts.append(f"≤ {format_seconds(self.max_seconds, 'g')}")
        if self.max_mb is not None:
            parts.append(f"≤ {self.max_mb:g} MB")
        return ", ".join(parts) or "—"

    def missed(self, median_s: float, peak_mb: float) -> list[str]:
        """Descriptions of the bounds that ``median_s`` and ``peak_mb`` exceed."""
        misses = []
        if self.max_seconds is not None and median_s > self.max_seconds:
            misses.append(f"median {format_seconds(median_s)} > {format_seconds(self.max_seconds, 'g')}")
        if self.max_mb is not None and peak_mb > self.max_mb:
            misses.append(f"peak memory {peak_mb:.1f} MB > {self.max_mb:g} MB")
        return misses

    @property
    def exists(self) -> bool:
        """Whether any bound is set."""
        return self.max_seconds is not None or self.max_mb is not None


@dataclass(frozen=True)
class Benchmark:
    """One benchmarked call.

    Attributes
    ----------
    name : str
        Row label in the table.
    func : callable
        The call to time, with no arguments.
    kind : {'fit', 'grid'}
        Selects the number of repeats (see ``REPEATS``).
    target : Target
        What the call should achieve.
    """

    name: str
    func: Callable[[], object]
    kind: str
    target: Target


@dataclass(frozen=True)
class Result:
    """Measurements of one benchmark (times per call, in seconds; memory in MB)."""

    name: str
    median_s: float
    min_s: float
    repeats: int
    calls_per_repeat: int
    peak_mb: float
    target: str
    met: bool | None
    missed: list[str]


def cpu_model() -> str:
    """The CPU model name from ``/proc/cpuinfo``, else :func:`platform.processor`."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Model", "Hardware") and value.strip():
                return value.strip()
    return platform.processor() or "unknown CPU"


def blas_info() -> str:
    """numpy's BLAS library, from ``numpy.show_config(mode='dicts')`` where available."""
    try:
        config = np.show_config(mode="dicts")
    except TypeError:  # numpy < 1.26 has no mode argument
        return "unknown"
    blas = (config or {}).get("Build Dependencies", {}).get("blas", {})
    if not blas:
        return "unknown"
    text = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    detail = blas.get("openblas configuration")
    return f"{text} ({detail.strip()})" if detail else text


def machine_info() -> dict:
    """CPU, core count, Python, numpy, scipy and BLAS, plus any BLAS environment variables."""
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "blas": blas_info(),
        "blas_env": {name: os.environ[name] for name in BLAS_ENV_VARS if name in os.environ},
    }


def describe_machine(info: dict) -> str:
    """One header line describing the machine."""
    line = (
        f"Machine: {info['cpu']}, {info['cores']} cores; Python {info['python']}, "
        f"numpy {info['numpy']}, scipy {info['scipy']}; BLAS: {info['blas']}"
    )
    if info["blas_env"]:
        line += "; " + ", ".join(f"{k}={v}" for k, v in info["blas_env"].items())
    return line


def format_seconds(seconds: float, spec: str = "") -> str:
    """A duration in ms below 10 ms and in s above, e.g. ``0.853 ms`` or ``0.0571 s``.

    ``spec`` overrides the format spec (default ``.3f`` for ms, ``.4f`` for s).
    """
    if seconds < 0.01:
        return f"{seconds * 1e3:{spec or '.3f'}} ms"
    return f"{seconds:{spec or '.4f'}} s"


def format_mb(mb: float) -> str:
    """A memory size in MB with a precision that suits its size."""
    return f"{mb:.1f} MB" if mb >= 1 else f"{mb:.3f} MB"


def grid_axes() -> tuple[np.ndarray, np.ndarray]:
    """The deterministic alpha and beta grids, ``GRID_SIZE`` points each."""
    alpha = np.linspace(*ALPHA_RANGE, GRID_SIZE)
    beta = np.linspace(*BETA_RANGE, GRID_SIZE)
    return alpha, beta


def grid_points(alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """The grid's points ``(alpha[i], beta[j])`` stacked on the last axis, shape ``(m, k, 2)``."""
    return np.stack(np.meshgrid(alpha, beta, indexing="ij"), axis=-1)


def fit_fd(data):
    """The Laplace fit as a user calls it: Newton from (0, 0) with the FD Hessian."""
    return laplace(bioassay.model_functions(data).gradient, [0.0, 0.0])


def fit_analytic(data):
    """The same fit with the analytic Hessian."""
    model = bioassay.model_functions(data)
    return laplace(model.gradient, [0.0, 0.0], hessian=model.hessian)


def check_fits(data) -> None:
    """Sanity check before timing: both fits find the known mode and agree on the covariance.

    Raises
    ------
    AssertionError
        If a mode differs from ``EXPECTED_MODE`` by more than 5e-5 or the two covariances
        disagree, i.e. the benchmark would time a wrong answer.
    """
    fd = fit_fd(data)
    exact = fit_analytic(data)
    for label, approx in (("FD Hessian", fd), ("analytic Hessian", exact)):
        if not np.allclose(approx.mode, EXPECTED_MODE, rtol=0.0, atol=5e-5):
            raise AssertionError(f"{label} fit: mode {approx.mode.tolist()} != {EXPECTED_MODE}")
    if not np.allclose(fd.cov, exact.cov, rtol=1e-6, atol=0.0):
        raise AssertionError(f"covariances disagree: {fd.cov.tolist()} vs {exact.cov.tolist()}")


def check_grid(data, alpha: np.ndarray, beta: np.ndarray) -> None:
    """Sanity check before timing: the grid's values are finite and peak at the mode.

    Raises
    ------
    AssertionError
        If the log posterior has the wrong shape or non-finite values, its grid maximum
        is more than one cell from ``EXPECTED_MODE``, or the grid posterior's mass does
        not sum to 1.
    """
    values = bioassay.log_posterior(grid_points(alpha, beta), data)
    if values.shape != (alpha.size, beta.size) or not np.all(np.isfinite(values)):
        raise AssertionError(f"log posterior on the grid: shape {values.shape} or non-finite values")
    i, j = np.unravel_index(np.argmax(values), values.shape)
    steps = (alpha[1] - alpha[0], beta[1] - beta[0])
    if abs(alpha[i] - EXPECTED_MODE[0]) > steps[0] or abs(beta[j] - EXPECTED_MODE[1]) > steps[1]:
        raise AssertionError(f"grid maximum at ({alpha[i]}, {beta[j]}), not near {EXPECTED_MODE}")
    grid = GridPosterior.from_log_density(values, (alpha, beta), names=("alpha", "beta"))
    if not np.isclose(grid.mass.sum(), 1.0, rtol=0.0, atol=1e-9):
        raise AssertionError(f"grid mass sums to {grid.mass.sum()}")


def benchmarks(data) -> list[Benchmark]:
    """The benchmarked calls, built on ``data``, with their targets."""
    alpha, beta = grid_axes()
    points = grid_points(alpha, beta)
    model = bioassay.model_functions(data)

    def grid_log_posterior():
        return model.log_density(points)

    def grid_posterior():
        return GridPosterior.from_log_density(model.log_density, (alpha, beta), names=("alpha", "beta"))

    size = f"{GRID_SIZE}×{GRID_SIZE}"
    fit_target = Target(max_seconds=1e-3)
    return [
        Benchmark("bioassay Laplace fit (FD Hessian, default)", lambda: fit_fd(data), "fit", fit_target),
        Benchmark("bioassay Laplace fit (analytic Hessian)", lambda: fit_analytic(data), "fit", fit_target),
        Benchmark(
            f"log posterior on a {size} grid", grid_log_posterior, "grid", Target(max_seconds=0.2, max_mb=200)
        ),
        Benchmark(f"GridPosterior.from_log_density, {size}", grid_posterior, "grid", Target()),
    ]


def time_call(func: Callable[[], object], repeats: int) -> tuple[float, float, int]:
    """Median and minimum time per call of ``func`` (seconds), and the calls per repeat.

    ``timeit.Timer.autorange`` picks the number of calls per repeat (so that one repeat
    takes at least 0.2 s); ``repeats`` repeats of that many calls are then timed.
    """
    timer = timeit.Timer(func)
    number, _ = timer.autorange()
    per_call = [total / number for total in timer.repeat(repeat=repeats, number=number)]
    return statistics.median(per_call), min(per_call), number


def peak_memory_mb(func: Callable[[], object]) -> float:
    """Peak memory traced by :mod:`tracemalloc` during one call of ``func``, in MB.

    numpy reports its array allocations to tracemalloc, so this counts the temporaries
    and the returned arrays. Call ``func`` once beforehand so one-off allocations
    (caches, lazy imports) are not counted.
    """
    tracemalloc.start()
    try:
        func()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / MB


def run_benchmark(bench: Benchmark, quick: bool) -> Result:
    """Time ``bench`` and measure its peak memory (after a warm-up call)."""
    repeats = REPEATS[bench.kind][1 if quick else 0]
    bench.func()  # warm-up
    median_s, min_s, number = time_call(bench.func, repeats)
    peak_mb = peak_memory_mb(bench.func)
    missed = bench.target.missed(median_s, peak_mb)
    return Result(
        name=bench.name,
        median_s=median_s,
        min_s=min_s,
        repeats=repeats,
        calls_per_repeat=number,
        peak_mb=peak_mb,
        target=bench.target.describe(),
        met=(not missed) if bench.target.exists else None,
        missed=missed,
    )


def markdown_table(results: list[Result]) -> str:
    """The results as a Markdown table."""
    met_text = {True: "yes", False: "**NO**", None: "—"}
    lines = [
        "| benchmark | median | min | repeats | peak memory | target | met? |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {format_seconds(r.median_s)} | {format_seconds(r.min_s)} | "
            f"{r.repeats} × {r.calls_per_repeat} | {format_mb(r.peak_mb)} | {r.target} | {met_text[r.met]} |"
        )
    return "\n".join(lines)


def summary(results: list[Result]) -> str:
    """A line per missed target, or a line saying that every target is met."""
    misses = [f"MISSED: {r.name}: {'; '.join(r.missed)}" for r in results if r.missed]
    return "\n".join(misses) if misses else "All targets met."


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command-line options ``--quick`` and ``--json PATH``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a rough check)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    """Run every benchmark, print the table and missed targets; return 0 (not pass/fail)."""
    args = parse_args(argv)
    data = load_bioassay()
    check_fits(data)
    check_grid(data, *grid_axes())

    info = machine_info()
    print(describe_machine(info), flush=True)
    results = []
    for bench in benchmarks(data):
        print(f"  running: {bench.name} ...", file=sys.stderr, flush=True)
        results.append(run_benchmark(bench, args.quick))

    print("Times are per call; repeats = repeats × calls per repeat; 1 MB = 10^6 bytes.")
    print()
    print(markdown_table(results))
    print()
    print(summary(results))
    if args.json:
        payload = {"machine": info, "quick": args.quick, "results": [asdict(r) for r in results]}
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        print(f"Results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
