"""The course's commands. Each one first makes sure the virtual environment is ready.

    python tasks.py lab        open the course in JupyterLab (localhost only, with a token)
    python tasks.py test       lint (as `lint` does), then run the unit tests and execute every notebook
                               under strict nbval
    python tasks.py lint       check the code and the notebooks with ruff: `ruff check` and
                               `ruff format --check` (lint --fix applies ruff's fixes and formatting)
    python tasks.py refresh    re-execute notebooks in place after editing them, then again on a simulated
                               x86-64-v2 CPU: fails if an output the tests compare differs there, or
                               changed only in its last digits (--no-cpu-check, --allow-roundoff)
    python tasks.py matrix     run the test suite once per simulated CPU (native, avx2, baseline,
                               nocc), e.g. `matrix baseline -- notebooks/04_finite_difference_hessian.ipynb`
    python tasks.py bench      run the benchmarks (bench laplace_cost: the cost of Laplace as d grows;
                               bench peers: against scipy and pymc-extras, with grid and scaling)
    python tasks.py browser    open every notebook in JupyterLab in headless Chromium, offline, check
                               that every chart draws, and save screenshots in browser-artifacts/

The environment lives in ``.venv/`` and is (re)built from ``requirements-dev.txt`` (the pinned
``requirements.txt`` plus ruff, pre-commit and setuptools) whenever it, ``requirements.txt`` or
``pyproject.toml`` changes. Extra arguments go to the underlying tool, e.g.
``python tasks.py test tests/test_grid.py`` or
``python tasks.py refresh notebooks/02_bioassay_posterior.ipynb``; ``lint`` takes paths (default:
the whole repository, as configured in pyproject.toml).
Needs only Python 3.11+ (with venv and pip) and, the first time, access to PyPI.
``browser`` also installs requirements-browser.txt into ``.venv`` and needs Chromium: it
uses /usr/bin/chromium (or the executable named by the CHROMIUM environment variable) and,
when that is missing and it runs as root with apt-get, installs Debian's ``chromium`` package.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / "requirements.sha256"
#: The files the environment is built from: a change to any of them rebuilds it.
REQUIREMENTS = ("requirements.txt", "requirements-dev.txt", "pyproject.toml")
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def _requirements_hash() -> str:
    digest = hashlib.sha256()
    for name in REQUIREMENTS:
        digest.update(name.encode() + b"\0" + (ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_environment() -> None:
    """Create ``.venv`` and install the pinned requirements (requirements-dev.txt) if missing or stale."""
    wanted = _requirements_hash()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not PYTHON.exists():
        print("Creating the virtual environment in .venv ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    print("Installing requirements-dev.txt (with requirements.txt) into .venv ...", flush=True)
    pip_install("requirements-dev.txt")
    STAMP.write_text(wanted + "\n")


#: JupyterLab settings the course's environment starts from (a student can still change them in
#: Settings): no "Would you like to get notified about official Jupyter news?" prompt and no
#: update check on first open — the course works offline and pins its versions.
LAB_OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}


def _read_overrides(path: Path) -> dict:
    """The settings in ``overrides.json`` as a dict of plugin to dict; what cannot be read as such
    is dropped with a warning on stderr (an empty or corrupt file, a top level that is not an
    object, a plugin whose settings are not an object)."""
    if not path.exists():
        return {}
    try:
        current = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        print(f"warning: {path} is not readable JSON ({error}); rewriting it", file=sys.stderr)
        return {}
    if not isinstance(current, dict):
        print(
            f"warning: {path} holds a {type(current).__name__}, not an object; rewriting it", file=sys.stderr
        )
        return {}
    kept = {plugin: values for plugin, values in current.items() if isinstance(values, dict)}
    for plugin in current.keys() - kept.keys():
        print(f"warning: {path}: the settings of {plugin} are not an object; dropping them", file=sys.stderr)
    return kept


def quiet_jupyterlab() -> None:
    """Write :data:`LAB_OVERRIDES` into the ``overrides.json`` of the JupyterLab installed in
    ``.venv`` (its application settings folder), keeping any other setting already there.

    An unreadable file, or entries that are not objects, are replaced (with a warning on stderr)
    rather than stopping every command; the file is written atomically (a temporary file in the
    same folder, then ``os.replace``), so an interrupted run never leaves it half written."""
    path = VENV / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    current = _read_overrides(path)
    wanted = {
        **current,
        **{plugin: {**current.get(plugin, {}), **values} for plugin, values in LAB_OVERRIDES.items()},
    }
    if wanted != current or not path.exists() or current != _read_json_quietly(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".overrides-", suffix=".json")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(json.dumps(wanted, indent=2) + "\n")
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _read_json_quietly(path: Path):
    """The JSON in ``path``, or None if it cannot be read."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None


def pip_install(requirements: str) -> None:
    """Install a requirements file into ``.venv`` (quick when everything is already there)."""
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "-r", requirements], check=True, cwd=ROOT)


def ensure_chromium() -> bool:
    """Make sure the Chromium the browser test drives exists; install Debian's if we can.

    Playwright's own browser download (``playwright install``) is never used.
    """
    chromium = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    if chromium.is_file():
        return True
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if "CHROMIUM" not in os.environ and as_root and shutil.which("apt-get"):
        print("Installing Chromium (the chromium package) with apt-get ...", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for step in (["update"], ["install", "-y", "--no-install-recommends", "chromium"]):
            if subprocess.run(["apt-get", *step], env=env).returncode != 0:
                break
        if chromium.is_file():
            return True
    print(
        f"The browser test needs Chromium at {chromium}, which is missing. Install it, e.g. with\n"
        "    sudo apt-get install chromium        (Debian or Ubuntu)\n"
        "or set the CHROMIUM environment variable to a Chromium or Chrome executable.",
        file=sys.stderr,
    )
    return False


def notebooks() -> list[str]:
    """Every notebook of the course, topic notebooks first, in order."""
    found = sorted(ROOT.glob("notebooks/[0-9][0-9]_*.ipynb")) + sorted(
        ROOT.glob("notebooks/solutions/[0-9][0-9]_*.ipynb")
    )
    return [str(path.relative_to(ROOT)) for path in found]


def run(args: list[str], env: dict[str, str] | None = None) -> int:
    return subprocess.run(args, cwd=ROOT, env=env).returncode


def test_command(extra: list[str]) -> list[str]:
    """The README's test command: unit tests, doctests and every notebook under strict nbval."""
    return [str(PYTHON), "-m", "pytest", "-n", "2", "--dist", "loadscope", *extra]


def lint_commands(argv: list[str]) -> list[list[str]]:
    """``lint [--fix] [PATH ...]``: ruff's lint and format check, or with ``--fix`` its fixes and format."""
    ruff = [str(PYTHON), "-m", "ruff"]
    paths = [arg for arg in argv if arg != "--fix"] or ["."]
    if "--fix" in argv:
        return [[*ruff, "check", "--fix", *paths], [*ruff, "format", *paths]]
    return [[*ruff, "check", *paths], [*ruff, "format", "--check", *paths]]


def lint(argv: list[str]) -> int:
    """Run both ruff commands (each reports its findings) and say what failed and how to fix it."""
    failed = [command[3] for command in lint_commands(argv) if run(command) != 0]
    if failed:
        print(
            f"\nLint failed (ruff {' and ruff '.join(failed)}, configured in pyproject.toml): "
            "fix the findings above, or run\n    python tasks.py lint --fix\n"
            "to apply ruff's automatic fixes and formatting (review the changes).",
            file=sys.stderr,
        )
        return 1
    return 0


# ---------------------------------------------------------------------------------------------
# The CPU matrix. Another machine changes three things in what the course computes: numpy's
# SIMD kernels (exp, log, sums), OpenBLAS's kernels (matrix products, solves) and the
# instruction set PyTensor compiles the NUTS model for. Each configuration below simulates a
# machine on this one; the suite must pass under every one of them from the same committed
# outputs.

MATRIX = ("native", "avx2", "baseline", "nocc")
MATRIX_HELP = {
    "native": "this machine as it is",
    "avx2": (
        "an AVX2 machine (numpy's AVX-512 kernels off, OpenBLAS's Haswell kernels, PyTensor -march=haswell)"
    ),
    "baseline": (
        "an x86-64-v2 machine (numpy's baseline kernels, OpenBLAS's Nehalem kernels, "
        "PyTensor -march=x86-64-v2)"
    ),
    "nocc": "a machine without a C compiler (PyTensor falls back to Python, as on many laptops)",
}


def _numpy_simd() -> tuple[list[str], list[str]]:
    """numpy's dispatchable SIMD targets, lowest first, and those this CPU supports."""
    probe = (
        "import json; from numpy._core import _multiarray_umath as m; "
        "print(json.dumps([m.__cpu_dispatch__, [k for k, v in m.__cpu_features__.items() if v]]))"
    )
    env = {key: value for key, value in os.environ.items() if key != "NPY_DISABLE_CPU_FEATURES"}
    dispatch, supported = json.loads(
        subprocess.run([str(PYTHON), "-c", probe], capture_output=True, text=True, check=True, env=env).stdout
    )
    return dispatch, [target for target in dispatch if target in supported]


def matrix_environment(config: str) -> dict[str, str] | str:
    """The environment that simulates ``config`` on this machine, or why it cannot here."""
    env = dict(os.environ)
    if config == "native":
        return env
    cache = str(VENV / f"pytensor-{config}")  # a compile cache per configuration
    if config == "nocc":
        env["PYTENSOR_FLAGS"] = f"cxx=,base_compiledir={cache}"
        return env
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return f"skipped: {config} simulates an x86-64 CPU, this machine is {platform.machine()}"
    _, supported = _numpy_simd()
    if config == "avx2":
        if "X86_V3" not in supported:
            return "skipped: this CPU has no AVX2 (x86-64-v3)"
        disabled = supported[supported.index("X86_V3") + 1 :]
        blas, march = "Haswell", "haswell"
    else:  # baseline
        disabled = supported
        blas, march = "Nehalem", "x86-64-v2"
    # Only targets this CPU has are named: numpy objects to disabling the others.
    env["NPY_DISABLE_CPU_FEATURES"] = " ".join(disabled)
    env["OPENBLAS_CORETYPE"] = blas
    env["PYTENSOR_FLAGS"] = f"gcc__cxxflags=-march={march},base_compiledir={cache}"
    return env


def run_matrix(argv: list[str]) -> int:
    """``matrix [CONFIG ...] [-- PYTEST ARGS]``: the test suite once per configuration."""
    configs, extra = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    unknown = [config for config in configs if config not in MATRIX]
    if unknown:
        print(f"unknown configuration {unknown[0]!r}: choose from {', '.join(MATRIX)}", file=sys.stderr)
        return 2
    results = {}
    for config in configs or MATRIX:
        env = matrix_environment(config)
        if isinstance(env, str):
            results[config] = env
            continue
        changed = {
            key: env[key]
            for key in ("NPY_DISABLE_CPU_FEATURES", "OPENBLAS_CORETYPE", "PYTENSOR_FLAGS")
            if env.get(key) != os.environ.get(key)
        }
        print(f"=== {config}: {MATRIX_HELP[config]}", flush=True)
        print(
            "    " + (" ".join(f"{key}={value!r}" for key, value in changed.items()) or "(no changes)"),
            flush=True,
        )
        start = time.monotonic()
        status = run(test_command(extra), env=env)
        results[config] = f"{'passed' if status == 0 else 'FAILED'} in {time.monotonic() - start:.0f} s"
    print("\nCPU matrix:")
    for config, result in results.items():
        print(f"  {config:9} {result}")
    return 1 if any(result.startswith("FAILED") for result in results.values()) else 0


# ---------------------------------------------------------------------------------------------
# A safe refresh. An output that strict nbval compares must be the same on every CPU. The
# refresh checks that twice: it executes each notebook again on a simulated other CPU and
# compares, and it reports unchanged cells whose outputs moved only in their last digits since
# the last commit (the sign of outputs refreshed on another machine). Either means rounding
# error has reached an output the tests compare: committing it would fail on other machines.

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_NOT_COMPARED = {"image/png", "image/jpeg"}  # strict nbval skips these
_IGNORE_MARKERS = ("NBVAL_IGNORE_OUTPUT", "NBVAL_SKIP")
_POLICY = (
    "Print the number at the precision the text discusses (or round the chart data), or exclude\n"
    "the output with a first line `# NBVAL_IGNORE_OUTPUT` and assert the claim in that cell."
)


def compared_outputs(cell: dict) -> str | None:
    """A cell's outputs as strict nbval compares them, or None if nbval does not compare them."""
    source = "".join(cell.get("source", ""))
    tags = cell.get("metadata", {}).get("tags", [])
    marked = any(line.strip().lstrip("#").strip() in _IGNORE_MARKERS for line in source.splitlines())
    if cell.get("cell_type") != "code" or marked or {"nbval-ignore-output", "nbval-skip"} & set(tags):
        return None
    kept, streams = [], {}
    for output in cell.get("outputs", []):
        output = {key: value for key, value in output.items() if key not in ("execution_count", "metadata")}
        if "data" in output:
            output["data"] = {key: value for key, value in output["data"].items() if key not in _NOT_COMPARED}
        if output.get("output_type") == "stream":
            # As nbval does: a kernel may split one cell's printing into several stream outputs,
            # differently on each run, so all the text of one stream counts as one output.
            text = "".join(output.get("text", ""))
            if output.get("name") in streams:
                streams[output["name"]]["text"] += text
                continue
            output = {**output, "text": text}
            streams[output.get("name")] = output
        kept.append(output)
    return json.dumps(kept, sort_keys=True, ensure_ascii=False)


def _last_digit(token: str) -> float:
    """The value of one unit in the last printed digit of a number: 0.01 for '3.14', 1e-13 for '7.6e-12'."""
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (int(exponent or 0) - decimals)


def roundoff_change(old: str, new: str) -> list[tuple[str, str]]:
    """The numbers that differ, if ``old`` and ``new`` differ only by round-off-sized changes of numbers.

    Round-off-sized: one unit in the number's last printed digit, or 1 % of its value. An empty
    list means the texts are equal or differ by more than that.
    """
    if old == new or _NUMBER.sub("#", old) != _NUMBER.sub("#", new):
        return []
    changed = []
    for a, b in zip(_NUMBER.findall(old), _NUMBER.findall(new)):
        if a == b:
            continue
        x, y = float(a), float(b)
        if abs(x - y) > max(_last_digit(a), _last_digit(b)) * 1.000001 and abs(x - y) > 0.01 * max(
            abs(x), abs(y)
        ):
            return []
        changed.append((a, b))
    return changed


def roundoff_report(before: dict, after: dict) -> list[str]:
    """One line per unchanged cell whose compared outputs changed only at round-off level."""
    old_cells = {cell.get("id"): cell for cell in before["cells"]}
    lines = []
    for index, cell in enumerate(after["cells"]):
        old = old_cells.get(cell.get("id"))
        if old is None or old.get("source") != cell.get("source"):
            continue  # a new or edited cell is expected to change
        old_out, new_out = compared_outputs(old), compared_outputs(cell)
        if old_out is None or new_out is None:
            continue
        changed = roundoff_change(old_out, new_out)
        if changed:
            examples = ", ".join(f"{a} -> {b}" for a, b in changed[:3])
            lines.append(f"cell {index}: {len(changed)} number(s) changed in their last digits ({examples})")
    return lines


def _first_difference(a: str, b: str, context: int = 30) -> str:
    """Where two texts first differ, with a little context: ``'…by 7.6e-12…' here, '…by 6.7e-12…' there``."""
    start = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    left = max(0, start - context)
    return f"{a[left : start + context]!r} here, {b[left : start + context]!r} there"


def machine_report(here: dict, there: dict) -> list[str]:
    """One line per cell whose compared outputs differ between two executions of one notebook."""
    lines = []
    for index, (cell, other) in enumerate(zip(here["cells"], there["cells"])):
        a, b = compared_outputs(cell), compared_outputs(other)
        if a is not None and a != b:
            lines.append(f"cell {index}: {_first_difference(a, b or '')}")
    return lines


def _execute(targets: list[str], env: dict[str, str] | None = None, output_dir: Path | None = None) -> int:
    """Execute notebooks top to bottom in a fresh kernel, in place or into ``output_dir``."""
    where = ["--inplace"] if output_dir is None else [f"--output-dir={output_dir}"]
    return run(
        [
            str(PYTHON),
            "-m",
            "jupyter",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            *where,
            "--ExecutePreprocessor.record_timing=False",
            "--ExecutePreprocessor.timeout=600",
            *targets,
        ],
        env=env,
    )


def _other_cpu_report(targets: list[str]) -> dict[str, list[str]] | str:
    """Execute the refreshed notebooks on a simulated x86-64-v2 CPU and compare the compared outputs."""
    env = matrix_environment("baseline")
    if isinstance(env, str):
        return env
    report = {}
    with tempfile.TemporaryDirectory() as folder:
        for path in targets:  # one at a time: notebooks with the same name would overwrite each other
            print(f"Executing {path} again on a simulated x86-64-v2 CPU ...", flush=True)
            out = Path(folder) / Path(path).parent
            if _execute([path], env=env, output_dir=out) != 0:
                report[path] = ["does not run on a simulated x86-64-v2 CPU (see the error above)"]
                continue
            there = json.loads((out / Path(path).name).read_text(encoding="utf-8"))
            report[path] = machine_report(json.loads((ROOT / path).read_text(encoding="utf-8")), there)
    return {path: lines for path, lines in report.items() if lines}


def refresh(extra: list[str]) -> int:
    """``refresh [--allow-roundoff] [--no-cpu-check] [NOTEBOOK ...]``: re-execute notebooks in place,
    then check that what the tests compare is the same on another CPU."""
    flags = {"--allow-roundoff", "--no-cpu-check"}
    targets = [arg for arg in extra if arg not in flags] or notebooks()
    before = {path: json.loads((ROOT / path).read_text(encoding="utf-8")) for path in targets}
    status = _execute(targets)
    if status != 0:
        return status
    failed = False
    if "--no-cpu-check" not in extra:
        machine = _other_cpu_report(targets)
        if isinstance(machine, str):
            print(f"The check on another CPU was {machine}.", file=sys.stderr)
        elif machine:
            failed = True
            print(
                "\nThese outputs, which the tests compare, differ on a simulated x86-64-v2 CPU:",
                file=sys.stderr,
            )
            for path, lines in machine.items():
                for line in lines:
                    print(f"  {path} {line}", file=sys.stderr)
            print("They would fail the tests on other machines. " + _POLICY, file=sys.stderr)
    roundoff = {
        path: roundoff_report(old, json.loads((ROOT / path).read_text(encoding="utf-8")))
        for path, old in before.items()
    }
    roundoff = {path: lines for path, lines in roundoff.items() if lines}
    if roundoff:
        print(
            "\nThese outputs changed only in their last digits, although their cells did not change:",
            file=sys.stderr,
        )
        for path, lines in roundoff.items():
            for line in lines:
                print(f"  {path} {line}", file=sys.stderr)
        print(
            "If they were committed from another machine, rounding error that differs between CPUs has\n"
            "reached them. " + _POLICY + "\nIf you changed what these cells compute on purpose, "
            "run again with --allow-roundoff.",
            file=sys.stderr,
        )
        failed = failed or "--allow-roundoff" not in extra
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    commands = ("lab", "test", "lint", "refresh", "matrix", "bench", "browser")
    if not argv or argv[0] not in commands:
        print(__doc__)
        return 2
    command, extra = argv[0], argv[1:]
    ensure_environment()
    quiet_jupyterlab()
    if command == "lab":
        # Bound to localhost, token authentication on (Jupyter prints the URL with the token),
        # serving the repository and opening on the notebooks folder.
        lab = [
            str(PYTHON),
            "-m",
            "jupyter",
            "lab",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.root_dir={ROOT}",
            "--LabApp.default_url=/lab/tree/notebooks",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            lab.append("--allow-root")  # containers often run as root; Jupyter refuses without this
        return run([*lab, *extra])
    if command == "lint":
        return lint(extra)
    if command == "test":
        if lint([]) != 0:
            print("The tests did not run: `python tasks.py test` lints first.", file=sys.stderr)
            return 1
        return run(test_command(extra))
    if command == "matrix":
        return run_matrix(extra)
    if command == "browser":
        # The opt-in tests/browser suite (marker `browser`), one notebook after another.
        pip_install("requirements-browser.txt")
        if not ensure_chromium():
            return 1
        return run([str(PYTHON), "-m", "pytest", "tests/browser", "-m", "browser", *extra])
    if command == "refresh":
        return refresh(extra)
    script = "benchmarks/run.py"
    if extra[:1] in (["laplace_cost"], ["peers"]):
        script, extra = f"benchmarks/{extra[0]}.py", extra[1:]
    return run([str(PYTHON), script, *extra])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
