"""tasks.py's safety nets: the refresh that refuses round-off-level changes, the CPU matrix, the lint
that runs before the tests, and the environment that is rebuilt when its requirements change."""

import importlib.util
import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("course_tasks", ROOT / "tasks.py")
tasks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tasks)


def code_cell(cell_id, source, *outputs):
    return {
        "cell_type": "code",
        "id": cell_id,
        "metadata": {},
        "source": source,
        "execution_count": 1,
        "outputs": list(outputs),
    }


def stream(text):
    return {"output_type": "stream", "name": "stdout", "text": text}


def chart(values, png="iVBORw0KGgo="):
    return {
        "output_type": "display_data",
        "metadata": {},
        "data": {
            "application/vnd.vegalite.v5+json": {"data": {"values": [{"error": v} for v in values]}},
            "image/png": png,
            "text/plain": "<Altair chart>",
        },
    }


def notebook(*cells):
    return {"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_chart_data_that_moved_in_the_fourth_digit_is_reported():
    """The case that broke the suite on another CPU: round-off points of a finite-difference error curve."""
    before = notebook(code_cell("a", "chart()", chart([3.5e-10, 9.327e-11, 1.2e-4])))
    after = notebook(code_cell("a", "chart()", chart([3.5e-10, 9.349e-11, 1.2e-4])))
    [line] = tasks.roundoff_report(before, after)
    assert line.startswith("cell 0: 1 number(s)") and "9.327e-11 -> 9.349e-11" in line


@pytest.mark.parametrize(
    "old, new",
    [("R-hat: 1.003", "R-hat: 1.001"), ("ESS 1975", "ESS 1976"), ("error 1.2e-11", "error 1.3e-11")],
)
def test_a_last_digit_that_moved_is_reported(old, new):
    assert tasks.roundoff_report(
        notebook(code_cell("a", "x", stream(old))), notebook(code_cell("a", "x", stream(new)))
    )


@pytest.mark.parametrize(
    "old, new",
    [
        ("coverage 0.520", "coverage 0.600"),  # a real change of the result
        ("mode 0.85", "mode 0.85"),  # no change
        ("1 of 4 draws", "1 of 4 draws kept"),  # the text changed, not just digits
        ("ESS 1975", "ESS 2400"),  # a different seed, say
    ],
)
def test_real_changes_and_no_changes_are_not_reported(old, new):
    assert (
        tasks.roundoff_report(
            notebook(code_cell("a", "x", stream(old))), notebook(code_cell("a", "x", stream(new)))
        )
        == []
    )


def test_edited_excluded_and_png_only_cells_are_not_reported():
    before = notebook(
        code_cell("edited", "print(1.000)", stream("1.000")),
        code_cell("marked", "# NBVAL_IGNORE_OUTPUT\nprint(x)\nassert x", stream("1.003")),
        code_cell("tagged", "print(x)", stream("1.003")),
        code_cell("png", "chart()", chart([1.0], png="AAAA")),
    )
    after = json.loads(json.dumps(before))
    after["cells"][0]["source"] = "print(1.001)"
    after["cells"][0]["outputs"] = [stream("1.001")]
    after["cells"][1]["outputs"] = [stream("1.004")]
    before["cells"][2]["metadata"]["tags"] = after["cells"][2]["metadata"]["tags"] = ["nbval-ignore-output"]
    after["cells"][2]["outputs"] = [stream("1.004")]
    after["cells"][3]["outputs"] = [chart([1.0], png="BBBB")]  # nbval skips image/png
    assert tasks.roundoff_report(before, after) == []


@pytest.mark.parametrize("token, unit", [("3.14", 0.01), ("7.6e-12", 1e-13), ("1975", 1.0), ("-0.5", 0.1)])
def test_last_digit(token, unit):
    assert tasks._last_digit(token) == pytest.approx(unit)


def test_the_matrix_knows_its_configurations_and_refuses_others(capsys):
    assert tasks.run_matrix(["pentium"]) == 2
    assert "unknown configuration 'pentium'" in capsys.readouterr().err
    assert set(tasks.MATRIX) >= {"native", "avx2", "baseline"}


@pytest.mark.parametrize("config", ["avx2", "baseline"])
def test_simulated_cpus_disable_only_what_this_cpu_has(config):
    """numpy refuses to disable a SIMD target the CPU lacks, so each configuration names only real ones."""
    env = tasks.matrix_environment(config)
    if isinstance(env, str):
        pytest.skip(env)
    _, supported = tasks._numpy_simd()
    disabled = env["NPY_DISABLE_CPU_FEATURES"].split()
    assert set(disabled) <= set(supported)
    assert ("X86_V3" in disabled) == (config == "baseline")
    assert env["OPENBLAS_CORETYPE"] in ("Haswell", "Nehalem")
    assert "-march=" in env["PYTENSOR_FLAGS"] and str(tasks.VENV) in env["PYTENSOR_FLAGS"]
    assert tasks.matrix_environment("native") == dict(os.environ)


def test_outputs_that_differ_on_another_cpu_are_reported_where_they_first_differ():
    here = notebook(
        code_cell("a", "x", stream("same")),
        code_cell("b", "y", stream("differ by 7.6e-12")),
        code_cell("c", "# NBVAL_IGNORE_OUTPUT\nz", stream("R-hat 1.003")),
    )
    there = notebook(
        code_cell("a", "x", stream("same")),
        code_cell("b", "y", stream("differ by 6.7e-12")),
        code_cell("c", "# NBVAL_IGNORE_OUTPUT\nz", stream("R-hat 1.001")),
    )
    [line] = tasks.machine_report(here, there)
    assert line.startswith("cell 1: ") and "7.6e-12" in line and "6.7e-12" in line
    assert tasks.machine_report(here, here) == []


# --- the environment --------------------------------------------------------------------------


def _pins(path: Path) -> dict[str, str]:
    """``name==version`` lines of a requirements file."""
    lines = (line.split("#")[0].strip() for line in path.read_text().splitlines())
    return dict(line.split("==") for line in lines if "==" in line)


def test_the_environment_hash_covers_every_requirements_file(tmp_path, monkeypatch):
    for name in tasks.REQUIREMENTS:
        (tmp_path / name).write_text(f"{name}\n")
    monkeypatch.setattr(tasks, "ROOT", tmp_path)
    hashes = {tasks._requirements_hash()}
    for name in tasks.REQUIREMENTS:
        (tmp_path / name).write_text(f"{name} changed\n")
        hashes.add(tasks._requirements_hash())
    assert len(hashes) == 1 + len(tasks.REQUIREMENTS)  # each change gives a new hash
    assert set(tasks.REQUIREMENTS) == {"requirements.txt", "requirements-dev.txt", "pyproject.toml"}


def test_a_stale_environment_installs_requirements_dev_once(tmp_path, monkeypatch):
    for name in tasks.REQUIREMENTS:
        (tmp_path / name).write_text(f"{name}\n")
    python = tmp_path / "python"
    python.write_text("")  # the environment exists; only its requirements are stale
    installed = []
    monkeypatch.setattr(tasks, "ROOT", tmp_path)
    monkeypatch.setattr(tasks, "PYTHON", python)
    monkeypatch.setattr(tasks, "STAMP", tmp_path / "stamp")
    monkeypatch.setattr(tasks, "pip_install", installed.append)
    tasks.ensure_environment()
    assert installed == ["requirements-dev.txt"]
    assert (tmp_path / "stamp").read_text().strip() == tasks._requirements_hash()
    tasks.ensure_environment()
    assert installed == ["requirements-dev.txt"]  # up to date: nothing more to install
    (tmp_path / "requirements-dev.txt").write_text("ruff==0.0.1\n")
    tasks.ensure_environment()
    assert installed == ["requirements-dev.txt"] * 2


def test_requirements_dev_adds_pinned_tools_to_the_course_environment():
    text = (ROOT / "requirements-dev.txt").read_text()
    assert "-r requirements.txt" in text.splitlines()
    pins = _pins(ROOT / "requirements-dev.txt")
    assert {"ruff", "pre-commit", "setuptools"} <= set(pins)
    assert not set(pins) & set(_pins(ROOT / "requirements.txt"))  # each tool pinned in one place


def test_the_pre_commit_hooks_run_the_same_ruff_offline_first():
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    [repo] = config["repos"]
    assert repo["repo"] == "local"  # no hook repository to fetch
    hooks = {hook["entry"].split(" --")[0]: hook for hook in repo["hooks"]}
    assert set(hooks) == {"ruff check", "ruff format"}
    assert "--check" in hooks["ruff format"]["entry"]  # the hook checks, it does not rewrite
    ruff = f"ruff=={_pins(ROOT / 'requirements-dev.txt')['ruff']}"
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["additional_dependencies"] == [ruff]


# --- lint -------------------------------------------------------------------------------------


def test_lint_checks_and_lint_fix_fixes():
    ruff = [str(tasks.PYTHON), "-m", "ruff"]
    assert tasks.lint_commands([]) == [[*ruff, "check", "."], [*ruff, "format", "--check", "."]]
    assert tasks.lint_commands(["--fix"]) == [[*ruff, "check", "--fix", "."], [*ruff, "format", "."]]
    assert tasks.lint_commands(["tasks.py", "--fix", "tests"]) == [
        [*ruff, "check", "--fix", "tasks.py", "tests"],
        [*ruff, "format", "tasks.py", "tests"],
    ]


def record_runs(monkeypatch, failing: tuple[str, ...] = ()) -> list[list[str]]:
    """Replace tasks.run by a recorder; a command whose ruff subcommand is in ``failing`` fails."""
    calls = []

    def fake_run(args, env=None):
        calls.append(list(args))
        return 1 if args[1:3] == ["-m", "ruff"] and args[3] in failing else 0

    monkeypatch.setattr(tasks, "run", fake_run)
    monkeypatch.setattr(tasks, "ensure_environment", lambda: None)
    return calls


@pytest.mark.parametrize("failing", [("check",), ("format",), ("check", "format")])
def test_lint_runs_both_checks_and_says_how_to_fix(monkeypatch, capsys, failing):
    calls = record_runs(monkeypatch, failing)
    assert tasks.main(["lint"]) == 1
    assert calls == tasks.lint_commands([])  # both ran, each reporting its own findings
    err = capsys.readouterr().err
    assert "Lint failed" in err and "python tasks.py lint --fix" in err
    assert all(f"ruff {name}" in err for name in failing)


def test_lint_passes_quietly(monkeypatch, capsys):
    calls = record_runs(monkeypatch)
    assert tasks.main(["lint", "--fix"]) == 0
    assert calls == tasks.lint_commands(["--fix"])
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("failing", [("check",), ("format",)])
def test_the_tests_do_not_run_when_lint_fails(monkeypatch, capsys, failing):
    calls = record_runs(monkeypatch, failing)
    assert tasks.main(["test", "tests/test_grid.py"]) == 1
    assert calls == tasks.lint_commands([])  # no pytest
    assert "The tests did not run" in capsys.readouterr().err


def test_the_tests_run_after_a_clean_lint(monkeypatch):
    calls = record_runs(monkeypatch)
    assert tasks.main(["test", "tests/test_grid.py"]) == 0
    assert calls == [*tasks.lint_commands([]), tasks.test_command(["tests/test_grid.py"])]


def test_quiet_jupyterlab_turns_off_the_news_prompt_and_keeps_other_settings(tmp_path, monkeypatch):
    monkeypatch.setattr(tasks, "VENV", tmp_path)
    overrides = tmp_path / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    overrides.parent.mkdir(parents=True)
    theme = {"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"}}
    overrides.write_text(json.dumps(theme))
    tasks.quiet_jupyterlab()
    written = json.loads(overrides.read_text())
    notification = written["@jupyterlab/apputils-extension:notification"]
    assert notification == {"fetchNews": "false", "checkForUpdates": False}
    assert written["@jupyterlab/apputils-extension:themes"] == theme["@jupyterlab/apputils-extension:themes"]
    stamp = overrides.stat().st_mtime_ns
    tasks.quiet_jupyterlab()  # already quiet: the file is left alone
    assert overrides.stat().st_mtime_ns == stamp


def test_quiet_jupyterlab_creates_the_settings_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(tasks, "VENV", tmp_path)
    tasks.quiet_jupyterlab()
    written = json.loads((tmp_path / "share" / "jupyter" / "lab" / "settings" / "overrides.json").read_text())
    assert written["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"


def test_compared_outputs_merge_a_stream_split_differently_on_another_run():
    once = code_cell("a", "print(1); print(2)", stream("1\n2\n"))
    split = code_cell("a", "print(1); print(2)", stream("1\n"), stream("2\n"))
    assert tasks.compared_outputs(once) == tasks.compared_outputs(split)
    other = code_cell("a", "print(1); print(3)", stream("1\n"), stream("3\n"))
    assert tasks.compared_outputs(other) != tasks.compared_outputs(once)


@pytest.mark.parametrize(
    ("text", "warning"),
    [
        ("", "not readable JSON"),
        ("{not json", "not readable JSON"),
        ("[]", "holds a list, not an object"),
        ('{"@jupyterlab/apputils-extension:notification": null}', "are not an object; dropping them"),
    ],
)
def test_quiet_jupyterlab_repairs_a_broken_overrides_file(tmp_path, monkeypatch, capsys, text, warning):
    monkeypatch.setattr(tasks, "VENV", tmp_path)
    overrides = tmp_path / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    overrides.parent.mkdir(parents=True)
    overrides.write_text(text)
    tasks.quiet_jupyterlab()
    assert warning in capsys.readouterr().err
    written = json.loads(overrides.read_text())
    assert written["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    assert list(overrides.parent.iterdir()) == [overrides]  # no temporary file left behind


def test_quiet_jupyterlab_keeps_the_valid_plugins_of_a_partly_broken_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tasks, "VENV", tmp_path)
    overrides = tmp_path / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    overrides.parent.mkdir(parents=True)
    theme = {"theme": "JupyterLab Dark"}
    overrides.write_text(json.dumps({"themes": theme, "broken": 3}))
    tasks.quiet_jupyterlab()
    written = json.loads(overrides.read_text())
    assert written["themes"] == theme and "broken" not in written
    assert "broken" in capsys.readouterr().err
