"""Fixtures of the real-browser test: a private JupyterLab server and headless Chromium.

The server is the course's own JupyterLab, bound to 127.0.0.1 on a free port with a
random token, and isolated from the user's Jupyter and IPython set-up: its config, data,
runtime, settings, workspace and trust-database paths all point into a temporary folder,
which is deleted at the end. It serves a copy of notebooks/ made there, so Lab's
checkpoints never land in the repository. Lab is set to attach every cell (``windowingMode: none``),
never to autosave (the notebooks are only read), and not to fetch news. Chromium runs
headless with every non-local host name unresolvable, so nothing can load from the network.

The server is stopped at the end of the session, also when a test fails or on Ctrl-C or
SIGTERM; should pytest die outright, Linux stops the server with it. Its log is kept as
``browser-artifacts/jupyter-lab.log``.

Needs the ``playwright`` package (``requirements-browser.txt``) and a Chromium executable:
``/usr/bin/chromium`` or the path in the ``CHROMIUM`` environment variable.
``python tasks.py browser`` sets up both and runs these tests.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "browser-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Offline on purpose: a chart that needs a CDN fails at once instead of hanging.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1, EXCLUDE localhost",
]
LAB_SETTINGS = {
    # Attach every cell to the page (no virtual scrolling), so every output renders.
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "none",
        "scrollPastEnd": False,
    },
    # The notebooks are only read: Lab marks them dirty when a kernel starts and would save them.
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    # Nothing about news or updates: the course's environment sets that itself (tasks.py writes
    # JupyterLab's overrides.json), and the tests check that a student's first open is quiet.
}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _die_with_parent() -> None:
    """In the server's process (Linux): get SIGTERM when the test process dies."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class LabServer:
    """A JupyterLab server on ``127.0.0.1:port`` serving ``root``, with its state in ``workdir``."""

    def __init__(self, root: Path, workdir: Path):
        self.root, self.workdir = root, workdir
        self.token = secrets.token_hex(24)
        self.base = f"http://127.0.0.1:{_free_port()}"
        self.log_path = workdir / "jupyter-lab.log"
        self.proc: subprocess.Popen | None = None

    def request(
        self, method: str, path: str, *, token: bool = True, timeout: float = 5.0
    ) -> tuple[int, bytes]:
        """(HTTP status, body) of one request to the server's REST API."""
        req = urllib.request.Request(self.base + path, method=method, data=b"" if method == "POST" else None)
        if token:
            req.add_header("Authorization", f"token {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, b""

    def start(self, timeout: float = 90.0) -> None:
        settings = self.workdir / "settings"
        for name, values in LAB_SETTINGS.items():
            (settings / name).parent.mkdir(parents=True, exist_ok=True)
            (settings / name).write_text(json.dumps(values), encoding="utf-8")
        command = [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.base.rsplit(':', 1)[1]}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={self.root}",
            "--LabApp.expose_app_in_browser=True",
            f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={self.workdir / 'workspaces'}",
            f"--NotebookNotary.db_file={self.workdir / 'nbsignatures.db'}",
            f"--NotebookNotary.secret_file={self.workdir / 'notebook_secret'}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")  # CI and containers run as root
        env = dict(os.environ, JUPYTER_TOKEN=self.token)  # in the environment, not in `ps`
        for name, folder in (
            ("JUPYTER_CONFIG_DIR", "config"),
            ("JUPYTER_DATA_DIR", "data"),
            ("JUPYTER_RUNTIME_DIR", "runtime"),
            ("IPYTHONDIR", "ipython"),
        ):
            env[name] = str(self.workdir / folder)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=self.root,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
        deadline = time.monotonic() + timeout
        while self._status() != 200:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with code {self.proc.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"jupyter lab did not answer within {timeout} s:\n{self.log_tail()}")
            time.sleep(0.25)
        anonymous, _ = self.request("GET", "/api/status", token=False)
        if anonymous not in (401, 403):
            raise RuntimeError(f"token authentication is off: /api/status without the token gave {anonymous}")

    def _status(self) -> int | None:
        try:
            return self.request("GET", "/api/status", timeout=2)[0]
        except OSError:
            return None

    def shut_down_kernels(self) -> None:
        """End every kernel session (Lab starts one for each notebook it opens)."""
        status, body = self.request("GET", "/api/sessions")
        for session in json.loads(body) if status == 200 else []:
            self.request("DELETE", f"/api/sessions/{session['id']}", timeout=20)

    def stop(self) -> None:
        """Ask the server to shut down; SIGTERM, then SIGKILL its process group if it will not."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.request("POST", "/api/shutdown")
            self.proc.wait(timeout=20)
            return
        except (OSError, subprocess.TimeoutExpired):
            pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(timeout=10)
                return
            except ProcessLookupError:
                return
            except subprocess.TimeoutExpired:
                continue

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """The git-ignored folder the screenshots and the server log go to."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def lab(artifacts):
    """A running private JupyterLab server (see the module docstring); stopped and deleted at the end.

    It serves a copy of the repository's notebooks/ folder, at the same relative paths.
    """
    # SIGTERM (e.g. a CI time-out) becomes KeyboardInterrupt, so pytest still runs this teardown.
    previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    workdir = Path(tempfile.mkdtemp(prefix="bda-browser-test-"))
    server = LabServer(workdir / "root", workdir)
    try:
        shutil.copytree(ROOT / "notebooks", server.root / "notebooks", ignore=shutil.ignore_patterns(".*"))
        server.start()
        yield server
    finally:
        server.stop()
        if server.log_path.exists():
            shutil.copyfile(server.log_path, artifacts / "jupyter-lab.log")
        shutil.rmtree(workdir, ignore_errors=True)
        signal.signal(signal.SIGTERM, previous)


@pytest.fixture(scope="session")
def chromium():
    """Headless Chromium driven by Playwright, offline (see ``CHROMIUM_ARGS``)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the playwright package is missing: run `python tasks.py browser`", pytrace=False)
    executable = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    if not executable.is_file():
        pytest.fail(
            f"no Chromium at {executable}: run `python tasks.py browser`, or set CHROMIUM", pytrace=False
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
