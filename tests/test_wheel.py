"""The package builds as a wheel that works on its own, outside the repository.

The course installs the package editable (``-e .``), which reads the code and the data from the
repository itself, so it cannot show what a wheel leaves out. Here the wheel is built offline
from a copy of the package's sources, installed into a temporary virtual environment without the
editable install, and used from a directory outside the repository: the data load, the bioassay
Laplace fit matches an independent reference, a self-check runs, and every module imports.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
#: What the wheel is built from: the project's metadata, the package and the data sets.
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "bda_helpers", "data")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
#: BDA3 Table 3.1 and the windshield data, typed in independently of data/.
BIOASSAY = {"x": [-0.86, -0.30, -0.05, 0.73], "n": [5, 5, 5, 5], "y": [0, 1, 3, 5]}
WINDSHIELDY = [13.357, 14.928, 14.896, 15.297, 14.82, 12.067, 14.824, 13.865, 17.447]

SMOKE = """
import importlib, json, pkgutil, sys
from pathlib import Path
from scipy import stats
import bda_helpers
from bda_helpers import bioassay, load_bioassay, load_windshieldy
from bda_helpers.checks.laplace_vs_grid import prior_beta_negative_probability
from bda_helpers.data import data_file

data, y = load_bioassay(), load_windshieldy()
fit = bioassay.laplace_fit(data)
prior = bioassay.NormalPrior(mean=[0.0, 10.0], cov=[[4.0, 0.0], [0.0, 100.0]])  # sds 2 and 10
prior_fit = bioassay.laplace_fit(data, prior)
check = prior_beta_negative_probability(float(stats.norm.cdf(0.0, prior_fit.mode[1], prior_fit.sd[1])))
modules = [info.name for info in pkgutil.walk_packages(bda_helpers.__path__, "bda_helpers.")]
for name in modules:
    importlib.import_module(name)
print(json.dumps({
    "package": bda_helpers.__file__,
    "data_file": str(data_file("bioassay.csv")),
    "isolated": sys.flags.isolated,
    "meta_path": [repr(finder) for finder in sys.meta_path],
    "bioassay": {"x": data.x.tolist(), "n": data.n.tolist(), "y": data.y.tolist()},
    "windshieldy": y.tolist(),
    "mode": fit.mode.tolist(),
    "cov": fit.cov.tolist(),
    "check_passed": check.passed,
    "modules": modules,
}))
"""


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a command, failing the test with its output if it fails."""
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _source_files(folder: str) -> set[str]:
    """The files under a folder of the repository, relative to it, without caches."""
    base = ROOT / folder
    return {
        path.relative_to(base).as_posix()
        for path in base.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and ".ipynb_checkpoints" not in path.parts
    }


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The package's wheel, built offline from a copy of its sources (the repository stays untouched)."""
    version = metadata.version("setuptools")
    if int(version.split(".")[0]) < 77:
        pytest.fail(
            f"building the wheel needs setuptools>=77, found {version}: pip install -r requirements-dev.txt"
        )
    folder = tmp_path_factory.mktemp("wheel")
    source = folder / "source"
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=IGNORED)
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    _run(
        [
            *pip,
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(folder),
            str(source),
        ]
    )
    [built] = folder.glob("bda_helpers-*.whl")
    return built


@pytest.fixture(scope="module")
def venv_python(wheel, tmp_path_factory) -> Path:
    """A temporary virtual environment with the wheel installed, seeing this environment's packages
    (numpy, scipy, ...) through a plain path line: that line's own .pth files, among them the
    editable install's finder, are not processed, so only the wheel provides bda_helpers."""
    venv = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    # Installed before the path line is added, so pip sees an empty environment.
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            str(wheel),
        ]
    )
    purelib = Path(
        _run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip()
    )
    ours = dict.fromkeys(sysconfig.get_path(kind) for kind in ("purelib", "platlib"))
    (purelib / "course_dependencies.pth").write_text("".join(f"{path}\n" for path in ours))
    return python


def test_the_wheel_holds_every_module_subpackage_and_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    package = {f"bda_helpers/{name}" for name in _source_files("bda_helpers") if name.endswith(".py")}
    datasets = {f"bda_helpers/datasets/{name}" for name in _source_files("data")}
    assert {
        "bda_helpers/datasets/bioassay.csv",
        "bda_helpers/datasets/eight_schools.csv",
        "bda_helpers/datasets/windshieldy1.txt",
    } <= datasets
    assert "bda_helpers/datasets/README.md" in datasets  # the sources and terms travel with the data
    assert not package - names, f"modules missing from the wheel: {sorted(package - names)}"
    assert not datasets - names, f"data files missing from the wheel: {sorted(datasets - names)}"
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    assert {name.split("/")[0] for name in names} == {
        "bda_helpers",
        wheel.name.split("-py3")[0] + ".dist-info",
    }


def test_the_installed_wheel_works_outside_the_repository(venv_python, tmp_path, posterior_mode):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    result = _run([str(venv_python), "-I", "-c", SMOKE], cwd=elsewhere, env=env)
    smoke = json.loads(result.stdout.strip().splitlines()[-1])
    venv = venv_python.parent.parent
    assert smoke["isolated"] == 1
    assert Path(smoke["package"]).is_relative_to(venv), smoke["package"]  # the wheel's copy, not the repo's
    assert Path(smoke["data_file"]).is_relative_to(venv), smoke["data_file"]
    assert not any("editable" in finder.lower() for finder in smoke["meta_path"])
    assert smoke["bioassay"] == BIOASSAY
    assert smoke["windshieldy"] == WINDSHIELDY
    np.testing.assert_allclose(smoke["mode"], [0.8466, 7.7488], atol=5e-5)  # BDA3 §4.1
    np.testing.assert_allclose(smoke["mode"], posterior_mode.mode, rtol=1e-8)
    np.testing.assert_allclose(smoke["cov"], posterior_mode.cov, rtol=1e-6)
    assert smoke["check_passed"] is True
    assert {"bda_helpers.beyond", "bda_helpers.beyond.checks", "bda_helpers.checks"} <= set(smoke["modules"])
