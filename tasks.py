"""The course's commands. Each one first makes sure the virtual environment is ready.

    python tasks.py lab        open the course in JupyterLab (localhost only, with a token)
    python tasks.py test       run the unit tests and execute every notebook under strict nbval
    python tasks.py refresh    re-execute notebooks in place after editing them
    python tasks.py bench      run the benchmarks (bench laplace_cost: the cost of Laplace as d grows;
                               bench peers: against scipy and pymc-extras, with grid and scaling)
    python tasks.py browser    open every notebook in JupyterLab in headless Chromium, offline, check
                               that every chart draws, and save screenshots in browser-artifacts/

The environment lives in ``.venv/`` and is (re)built from ``requirements.txt`` whenever
that file or ``pyproject.toml`` changes. Extra arguments go to the underlying tool, e.g.
``python tasks.py test tests/test_grid.py`` or ``python tasks.py refresh notebooks/02_bioassay_posterior.ipynb``.
Needs only Python 3.11+ (with venv and pip) and, the first time, access to PyPI.
``browser`` also installs requirements-browser.txt into ``.venv`` and needs Chromium: it
uses /usr/bin/chromium (or the executable named by the CHROMIUM environment variable) and,
when that is missing and it runs as root with apt-get, installs Debian's ``chromium`` package.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / "requirements.sha256"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def _requirements_hash() -> str:
    digest = hashlib.sha256()
    for name in ("requirements.txt", "pyproject.toml"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_environment() -> None:
    """Create ``.venv`` and install the pinned requirements if they are missing or stale."""
    wanted = _requirements_hash()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not PYTHON.exists():
        print("Creating the virtual environment in .venv ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    print("Installing requirements.txt into .venv ...", flush=True)
    pip_install("requirements.txt")
    STAMP.write_text(wanted + "\n")


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
    print(f"The browser test needs Chromium at {chromium}, which is missing. Install it, e.g. with\n"
          "    sudo apt-get install chromium        (Debian or Ubuntu)\n"
          "or set the CHROMIUM environment variable to a Chromium or Chrome executable.", file=sys.stderr)
    return False


def notebooks() -> list[str]:
    """Every notebook of the course, topic notebooks first, in order."""
    found = sorted(ROOT.glob("notebooks/[0-9][0-9]_*.ipynb")) + sorted(
        ROOT.glob("notebooks/solutions/[0-9][0-9]_*.ipynb")
    )
    return [str(path.relative_to(ROOT)) for path in found]


def run(args: list[str]) -> int:
    return subprocess.run(args, cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    commands = ("lab", "test", "refresh", "bench", "browser")
    if not argv or argv[0] not in commands:
        print(__doc__)
        return 2
    command, extra = argv[0], argv[1:]
    ensure_environment()
    if command == "lab":
        # Bound to localhost, token authentication on (Jupyter prints the URL with the token),
        # serving the repository and opening on the notebooks folder.
        lab = [str(PYTHON), "-m", "jupyter", "lab", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.root_dir={ROOT}", "--LabApp.default_url=/lab/tree/notebooks"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            lab.append("--allow-root")  # containers often run as root; Jupyter refuses without this
        return run([*lab, *extra])
    if command == "test":
        return run([str(PYTHON), "-m", "pytest", "-n", "2", "--dist", "loadscope", *extra])
    if command == "browser":
        # The opt-in tests/browser suite (marker `browser`), one notebook after another.
        pip_install("requirements-browser.txt")
        if not ensure_chromium():
            return 1
        return run([str(PYTHON), "-m", "pytest", "tests/browser", "-m", "browser", *extra])
    if command == "refresh":
        # Fresh kernel, top to bottom, no per-cell timestamps, outputs written back in place.
        targets = extra or notebooks()
        return run(
            [str(PYTHON), "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace",
             "--ExecutePreprocessor.record_timing=False", "--ExecutePreprocessor.timeout=600", *targets]
        )
    script = "benchmarks/run.py"
    if extra[:1] in (["laplace_cost"], ["peers"]):
        script, extra = f"benchmarks/{extra[0]}.py", extra[1:]
    return run([str(PYTHON), script, *extra])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
