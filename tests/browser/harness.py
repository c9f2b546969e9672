"""Real-browser harness: a JupyterLab server on 127.0.0.1, headless Debian chromium, a notebook page.

The server runs from this Python environment (so its kernel imports the package under test) with
``--expose-app-in-browser``: tests reach the kernel through ``window.jupyterapp`` instead of
clicking menus, and drive the widget with real mouse and keyboard events.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import nbformat

CHROMIUM = os.environ.get("PROJECTOR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1200, "height": 900}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LabServer:
    """A running server (JupyterLab, Notebook 7, marimo): where it serves and which folder it serves."""

    url: str
    token: str
    root: Path
    process: subprocess.Popen[bytes]
    log: Path


#: The Jupyter servers (Lab, Notebook 7) started by :func:`start_jupyter` and not yet stopped: the
#: fixtures shut down the kernels a test started on them when that test ends.
JUPYTER_SERVERS: list[LabServer] = []


def start_jupyter(
    app: str, root: Path, log_name: str, settings: dict[str, dict[str, object]] | None = None
) -> LabServer:
    """Start ``jupyter lab`` or ``jupyter notebook`` on a free loopback port; wait until it answers.

    ``settings`` maps a plugin id (``"@jupyter-widgets/jupyterlab-manager:plugin"``) to the user
    settings it starts with.
    """
    port = _free_port()
    token = secrets.token_hex(16)
    config = root / ".jupyter-config"
    (config / "labconfig").mkdir(parents=True, exist_ok=True)
    # No news pop-up and no update check: nothing may cover the widget or reach the network.
    (config / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    )
    for plugin, values in (settings or {}).items():
        package, _, name = plugin.rpartition(":")
        path = config / "lab" / "user-settings" / package / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(config),
        JUPYTER_RUNTIME_DIR=str(root / ".jupyter-runtime"),
        JUPYTERLAB_WORKSPACES_DIR=str(root / ".jupyter-workspaces"),
        JUPYTERLAB_SETTINGS_DIR=str(config / "lab" / "user-settings"),
        PYTHONUNBUFFERED="1",
    )
    log = root / log_name
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        app,
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--expose-app-in-browser",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=root)
    url = f"http://127.0.0.1:{port}"
    _wait_until_answers(proc, f"{url}/api/status?token={token}", log, f"jupyter {app}")
    server = LabServer(url=url, token=token, root=root, process=proc, log=log)
    JUPYTER_SERVERS.append(server)
    return server


def _api(server: LabServer, method: str, path: str) -> object:
    """Call the Jupyter REST API of ``server``; return the decoded JSON answer (None when empty)."""
    request = urllib.request.Request(
        f"{server.url}/api/{path}",
        method=method,
        headers={"Authorization": f"token {server.token}"},
    )
    with urllib.request.urlopen(request, timeout=60) as r:
        body = r.read()
    return json.loads(body) if body else None


def kernel_sessions(server: LabServer) -> set[str]:
    """The ids of the server's sessions (one per open notebook, each with its kernel)."""
    sessions = _api(server, "GET", "sessions")
    assert isinstance(sessions, list), sessions
    return {str(s["id"]) for s in sessions}


def shut_down_sessions(server: LabServer, ids: set[str]) -> None:
    """Delete these sessions, which shuts their kernels down (one already gone is skipped)."""
    for session in sorted(ids):
        try:
            _api(server, "DELETE", f"sessions/{session}")
        except urllib.error.HTTPError as exc:
            if exc.code != 404:
                raise


def _wait_until_answers(proc: subprocess.Popen[bytes], url: str, log: Path, what: str) -> None:
    """Poll ``url`` until it answers 200; raise with the log's tail if ``proc`` exits or 90 s pass."""
    deadline = time.monotonic() + 90
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.terminate()
            raise RuntimeError(f"{what} did not answer in 90 s:\n{log.read_text()[-3000:]}")
        time.sleep(0.25)


def start_marimo(
    app: Path, mode: str = "run", token: str | None = None, config: str = ""
) -> LabServer:
    """Start ``marimo run`` (or ``edit``) headless on ``app`` on a free loopback port.

    With ``token``, the server asks for it (``url`` then needs ``?access_token=``: see
    :func:`marimo_page_url`); without, it runs with ``--no-token``. ``config`` is the text of
    its user configuration (TOML, e.g. ``[display]\ntheme = "dark"``). Stop it with
    :func:`stop_jupyter`.
    """
    if mode not in ("run", "edit"):
        raise ValueError(f"marimo mode is 'run' or 'edit', got {mode!r}")
    port = _free_port()
    root = app.parent
    user_config = root / ".marimo-config" / "marimo" / "marimo.toml"
    user_config.parent.mkdir(parents=True, exist_ok=True)
    user_config.write_text(config)
    log = root / f"marimo-{mode}.log"
    cmd = [sys.executable, "-m", "marimo", "-q", mode, str(app), "--headless", "--no-sandbox"]
    cmd += ["--host", "127.0.0.1", "-p", str(port)]
    cmd += ["--token-password", token] if token else ["--no-token"]
    env = dict(os.environ)
    # No update check (nothing may reach the network), and config and state of its own.
    env.update(
        MARIMO_SKIP_UPDATE_CHECK="1",
        XDG_CONFIG_HOME=str(root / ".marimo-config"),
        XDG_STATE_HOME=str(root / ".marimo-state"),
        XDG_CACHE_HOME=str(root / ".marimo-cache"),
        PYTHONUNBUFFERED="1",
    )
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=root)
    url = f"http://127.0.0.1:{port}"
    _wait_until_answers(proc, f"{url}/health", log, f"marimo {mode}")
    return LabServer(url=url, token=token or "", root=root, process=proc, log=log)


def marimo_page_url(server: LabServer) -> str:
    """The address of the app (with its access token, when it has one)."""
    return f"{server.url}/?access_token={server.token}" if server.token else f"{server.url}/"


def stop_jupyter(server: LabServer) -> None:
    """Stop the server and its kernels."""
    if server in JUPYTER_SERVERS:
        JUPYTER_SERVERS.remove(server)
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=10)


FIND_PANEL_JS = """
const findPanel = (path) => {
  const app = window.jupyterapp;
  for (const w of app.shell.widgets("main")) {
    if (w.context && w.context.path === path && w.sessionContext && w.content) return w;
  }
  return null;
};
"""

KERNEL_EXEC_JS = (
    "async ([path, code]) => {"
    + FIND_PANEL_JS
    + """
  const kernel = findPanel(path).sessionContext.session.kernel;
  const future = kernel.requestExecute({ code, store_history: false });
  let out = "";
  let err = null;
  future.onIOPub = (msg) => {
    const t = msg.header.msg_type;
    if (t === "stream") out += msg.content.text;
    if (t === "error") err = msg.content.ename + ": " + msg.content.evalue;
  };
  await future.done;
  if (err) throw new Error(err);
  return out;
}
"""
)

# Synchronous on purpose: wait_for_function would take a returned Promise as truthy.
NOTEBOOK_READY_JS = (
    "(path) => {"
    + FIND_PANEL_JS
    + """
  const app = window.jupyterapp;
  if (!app || !app.commands.hasCommand("notebook:run-all-cells")) return false;
  const panel = findPanel(path);
  if (!panel || !panel.context.isReady || !panel.sessionContext.isReady) return false;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.connectionStatus === "connected" && kernel.status === "idle";
}
"""
)

# Run a notebook command (run all cells, run one cell: ``index`` becomes the active cell first)
# in the notebook at ``path``; with ``wait``, resolve when the command has finished.
RUN_COMMAND_JS = (
    "async ([path, command, index, wait]) => {"
    + FIND_PANEL_JS
    + """
  const app = window.jupyterapp;
  const panel = findPanel(path);
  app.shell.activateById(panel.id);
  panel.content.activate();
  if (index !== null) panel.content.activeCellIndex = index;
  const done = app.commands.execute(command);
  if (wait) await done;
}
"""
)


class NotebookPage:
    """One notebook open in JupyterLab in a Playwright page, with its kernel at hand."""

    def __init__(self, page: object, server: LabServer, path: str) -> None:
        self.page = page
        self.server = server
        self.path = path

    def kernel(self, code: str) -> str:
        """Run ``code`` in the notebook's kernel; return what it printed (raise on error)."""
        return str(self.page.evaluate(KERNEL_EXEC_JS, [self.path, code]))  # type: ignore[attr-defined]

    def kernel_json(self, expr: str) -> object:
        """Evaluate a Python expression in the kernel and return it decoded from JSON."""
        out = self.kernel(f"import json as _j; print(_j.dumps({expr}))")
        return json.loads(out)

    def wait_kernel(self, expr: str, timeout: float = 20.0) -> object:
        """Poll a Python expression in the kernel until it is truthy; return its value."""
        deadline = time.monotonic() + timeout
        value: object = None
        while time.monotonic() < deadline:
            value = self.kernel_json(expr)
            if value:
                return value
            self.page.wait_for_timeout(100)  # type: ignore[attr-defined]
        raise AssertionError(f"kernel expression {expr!r} still {value!r} after {timeout} s")

    def run_all(self) -> None:
        """Run every cell (as a person would with Run All)."""
        self.page.evaluate(RUN_COMMAND_JS, [self.path, "notebook:run-all-cells", None, True])  # type: ignore[attr-defined]


def launch_chromium(playwright: object) -> object:
    """Launch Debian's chromium headless with the flags this machine needs."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} not found: run `make test` (it installs Debian's chromium)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)  # type: ignore[attr-defined]


def write_notebook(path: Path, cells: list[str]) -> None:
    """Write a notebook of code cells for the python3 kernel."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


def open_notebook_page(context: object, server: LabServer, name: str) -> NotebookPage:
    """Open ``name`` in JupyterLab in a new page of ``context``; wait for its kernel to be idle."""
    page = context.new_page()  # type: ignore[attr-defined]
    # A workspace of its own, reset: the default workspace would restore every notebook an earlier
    # test opened, and their widgets (in hidden tabs, kernels still running) would come first in
    # the DOM, so `querySelector` could pick an invisible one.
    workspace = "t" + secrets.token_hex(6)
    page.goto(f"{server.url}/lab/workspaces/{workspace}/tree/{name}?reset&token={server.token}")
    page.wait_for_function(NOTEBOOK_READY_JS, arg=name, timeout=90_000, polling=250)
    return NotebookPage(page, server, name)


def lasso_gesture(page: object, box: dict, polygon: object) -> None:
    """Shift+drag a closed lasso through ``polygon`` (canvas CSS px) on a canvas at ``box``."""
    mouse, kb = page.mouse, page.keyboard  # type: ignore[attr-defined]
    pts = [(box["x"] + float(px), box["y"] + float(py)) for px, py in polygon]  # type: ignore[attr-defined]
    kb.down("Shift")
    mouse.move(*pts[0])
    mouse.down()
    for p in pts[1:] + pts[:1]:
        mouse.move(*p, steps=10)
    mouse.up()
    kb.up("Shift")
