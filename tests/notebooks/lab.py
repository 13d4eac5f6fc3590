"""Live JupyterLab for the tests: a real ``jupyter lab`` server on a free port, driven in
headless Chromium with Playwright, as a user runs the example notebooks.

The server works on a temporary copy of ``notebooks/`` (no output lands in the repo) with
every JupyterLab, Jupyter and IPython folder in a temporary directory, so a developer's
own settings and extensions' state do not leak in. Its environment is the test process's
with every ``GRAPH_OLAP_*`` variable removed except the platform URL: the kernels run
with no username and no API key, as a new user's do.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from graph_olap_server.runner import free_port
from tests.notebooks.kernel import NOTEBOOKS, new_user_env

JUPYTER = Path(sys.executable).with_name("jupyter")
START_TIMEOUT = 60.0
RUN_TIMEOUT_MS = 180_000
SETTLE_TIMEOUT_MS = 30_000
THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}

# Client-side settings: the Light theme to start with, nothing fetched from the internet
# (news, update checks), and every cell kept in the page (no virtual scrolling) so that
# the whole notebook can be checked.
SETTINGS = {
    "@jupyterlab/apputils-extension:themes": {"theme": THEMES["light"]},
    "@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
        "doNotDisturbMode": True,
    },
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
}


def lab_environment(home: Path, api_url: str) -> dict[str, str]:
    """os.environ without any ``GRAPH_OLAP_*`` variable and with every Jupyter, IPython
    and home folder under ``home``; ``GRAPH_OLAP_API_URL`` is the one variable set."""
    env = new_user_env()
    for name in ("JUPYTER_PATH", "JUPYTER_PREFER_ENV_PATH"):
        env.pop(name, None)
    folders = {
        "HOME": home,
        "IPYTHONDIR": home / ".ipython",
        "JUPYTER_CONFIG_DIR": home / ".jupyter",
        "JUPYTER_DATA_DIR": home / ".local" / "share" / "jupyter",
        "JUPYTER_RUNTIME_DIR": home / "runtime",
        "JUPYTERLAB_SETTINGS_DIR": home / ".jupyter" / "lab" / "user-settings",
        "JUPYTERLAB_WORKSPACES_DIR": home / ".jupyter" / "lab" / "workspaces",
        "XDG_CONFIG_HOME": home / ".config",
        "XDG_DATA_HOME": home / ".local" / "share",
        "XDG_CACHE_HOME": home / ".cache",
    }
    for name, path in folders.items():
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    # The one GRAPH_OLAP_ variable: the test platform listens on a free port, not on the
    # default http://localhost:8000 that a user's notebook would find with nothing set.
    env["GRAPH_OLAP_API_URL"] = api_url
    return env


def write_settings(settings_dir: Path) -> None:
    """The user settings of :data:`SETTINGS`, as JupyterLab stores them."""
    for key, values in SETTINGS.items():
        plugin, name = key.split(":")
        path = settings_dir / plugin / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


@dataclass
class Lab:
    """A running ``jupyter lab`` server (see :func:`start_lab`)."""

    url: str
    token: str
    root: Path
    process: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def start_lab(tmp: Path, api_url: str) -> Iterator[Lab]:
    """JupyterLab serving a copy of ``notebooks/``, stopped (with its kernels) on exit."""
    root = tmp / "notebooks"
    shutil.copytree(NOTEBOOKS, root, ignore=shutil.ignore_patterns("*.py", ".ipynb_checkpoints"))
    env = lab_environment(tmp / "home", api_url)
    write_settings(Path(env["JUPYTERLAB_SETTINGS_DIR"]))
    port, token = free_port(), secrets.token_hex(16)
    log = tmp / "jupyter-lab.log"
    command = [
        str(JUPYTER),
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.port_retries=0",
        "--expose-app-in-browser",  # window.jupyterapp: run commands (theme, run all)
        "--LabApp.news_url=",  # nothing fetched from the internet
        "--LabApp.extension_manager=readonly",
        "--allow-root",  # CI containers run as root
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    lab = Lab(f"http://127.0.0.1:{port}/", token, root, process, log)
    try:
        _wait_until_up(lab)
        yield lab
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(lab: Lab) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if lab.process.poll() is not None:
            code = lab.process.returncode
            raise AssertionError(f"jupyter lab exited ({code}); its log:\n{lab.log_text()}")
        try:
            if httpx.get(f"{lab.url}api/status", params={"token": lab.token}, timeout=2).is_success:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            log = lab.log_text()
            raise AssertionError(f"jupyter lab not up in {START_TIMEOUT}s; its log:\n{log}")
        time.sleep(0.1)


@dataclass
class PageLog:
    """What a page reported: console errors and warnings, uncaught errors, refused requests."""

    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def attach(self, page: Any, allowed_origin: str) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", self._on_error)

        def route(route: Any) -> None:
            if route.request.url.startswith(allowed_origin):
                route.continue_()
            else:
                self.refused.append(route.request.url)
                route.abort()

        page.route("**/*", route)

    def _on_error(self, error: Any) -> None:
        frames = [line.strip() for line in (error.stack or "").splitlines()[1:3]]
        self.errors.append(f"{error.name}: {error.message} {' '.join(frames)}".strip())

    def _on_console(self, message: Any) -> None:
        if message.type == "error":
            self.console.append(message.text)


READY = """name => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  const session = panel && panel.sessionContext && panel.sessionContext.session;
  return !!(panel && panel.context && panel.context.path === name && panel.content.widgets.length
    && session && session.kernel && session.kernel.status === 'idle');
}"""
"""Whether the notebook ``name`` is open with its kernel started and idle."""

DONE = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session.kernel;
  const prompts = [...panel.node.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
  const busy = prompts.some(p => p.textContent.includes('*'));
  const cells = panel.context.model.toJSON().cells.filter(c => c.cell_type === 'code');
  const failed = cells.some(c => (c.outputs || []).some(o => o.output_type === 'error'));
  return kernel.status === 'idle' && !busy && (failed || cells.every(c => c.execution_count));
}"""
"""Run All has finished: the kernel is idle and no cell is queued, and every code cell ran
(or one failed, which stops Run All)."""

SETTLED = """() => {
  const outputs = [...document.querySelectorAll('.jp-OutputArea-output')];
  const loading = outputs.some(o => o.textContent.includes('Loading widget'));
  const tables = document.querySelectorAll('.jp-OutputArea-output table[id^="itables_"]');
  return !loading && [...tables].every(t => t.classList.contains('dataTable'));
}"""
"""The outputs are drawn: no widget still loading, every itables table set up."""

THEME_DRAWN = """dark => {
  const rgb = getComputedStyle(document.querySelector('.jp-Notebook')).backgroundColor
    .match(/[\\d.]+/g).slice(0, 3).map(Number);
  const light = (rgb[0] + rgb[1] + rgb[2]) / 3 > 128;
  // the splash screen a theme change shows is gone (JupyterLab removes it 200 ms after
  // it fades; a second change before that makes it remove the node twice: a page error)
  const splash = document.getElementById('jupyterlab-splash');
  return document.body.dataset.jpThemeLight === String(!dark) && light === !dark && !splash;
}"""
"""The theme is applied: JupyterLab's flag and the notebook's painted background agree,
and the splash screen of the change is gone."""


@dataclass
class LiveNotebook:
    """One example notebook open in live JupyterLab in its own browser page."""

    name: str
    page: Any = field(repr=False)  # its URL holds the server's token
    log: PageLog

    @classmethod
    def open(cls, browser: Any, lab: Lab, name: str) -> LiveNotebook:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        log = PageLog()
        log.attach(page, lab.url)
        workspace = Path(name).stem  # a workspace per page: no tab of another page opens
        page.goto(f"{lab.url}lab/workspaces/{workspace}/tree/{name}?reset&token={lab.token}")
        page.wait_for_function(READY, arg=name, timeout=RUN_TIMEOUT_MS)
        return cls(name, page, log)

    def run_all(self) -> None:
        """Run All, as a user does from the Run menu, and wait until it has finished."""
        self.page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        self.page.wait_for_function(DONE, timeout=RUN_TIMEOUT_MS)
        try:
            self.page.wait_for_function(SETTLED, timeout=SETTLE_TIMEOUT_MS)
        except PlaywrightTimeout:
            raise AssertionError(
                f"{self.name}: widgets still loading or itables tables not set up "
                f"{SETTLE_TIMEOUT_MS / 1000:g} s after Run All; page errors: {self.log}"
            ) from None

    def set_theme(self, theme: str) -> None:
        """Switch to ``"light"`` or ``"dark"`` (JupyterLab Light / Dark), as from the menu."""
        self.page.evaluate(
            "theme => window.jupyterapp.commands.execute('apputils:change-theme', {theme})",
            THEMES[theme],
        )
        self.page.wait_for_function(THEME_DRAWN, arg=theme == "dark", timeout=30_000)

    def saved(self) -> dict[str, Any]:
        """The notebook as JupyterLab holds it (nbformat JSON, with outputs)."""
        model: dict[str, Any] = self.page.evaluate(
            "() => window.jupyterapp.shell.currentWidget.context.model.toJSON()"
        )
        return model

    def cell(self, source: str) -> Any:
        """The one cell (a locator) whose text contains ``source``."""
        cells = self.page.locator(".jp-CodeCell").filter(has_text=source)
        assert cells.count() == 1, f"{cells.count()} cells of {self.name} contain {source!r}"
        return cells.first
