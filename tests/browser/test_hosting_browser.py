"""The projector outside JupyterLab (a saved page on a Flask server, Notebook 7, Voila), and its
chrome in light and dark hosts (the system's scheme, VS Code, Colab, JupyterLab's dark theme)."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from harness import (
    NOTEBOOK_READY_JS,
    RUN_COMMAND_JS,
    VIEWPORT,
    start_jupyter,
    stop_jupyter,
    write_notebook,
)
from PIL import Image

W = ".projector-widget"
ROOT = Path(__file__).resolve().parents[2]

CELL = """
import numpy as np
from projector_widget import Projector
rng = np.random.default_rng(0)
centers = rng.standard_normal((3, 16)) * 5
g = rng.integers(0, 3, 2000)
emb = centers[g] + rng.standard_normal((2000, 16))
words = [f"w{i}" for i in range(2000)]
words[0] = "queen"
words[1] = '<img src=x onerror="window.__pwned=1">'
w = Projector(emb, {"word": words, "group": [f"g{k}" for k in g]}, dimensions=3)
w
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _painted(page) -> int:
    canvas = page.query_selector(f"{W} canvas.pw-canvas")
    img = np.asarray(Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")).astype(int)
    background = np.median(img.reshape(-1, 3), axis=0)
    return int((np.abs(img - background).sum(axis=2) > 60).sum())


@pytest.fixture
def flask_page(tmp_path):
    """A saved page served by the Flask example on 127.0.0.1."""
    from projector_widget import Projector

    ns: dict = {}
    exec(CELL.replace("\nw\n", "\n"), ns)  # the same data as the notebook cell
    w: Projector = ns["w"]
    page = w.save_html(tmp_path / "projector.html")
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "notebooks" / "serve_projector.py"),
            str(page),
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                assert r.status == 200
                break
        except OSError:
            if time.monotonic() > deadline:
                proc.terminate()
                raise
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def test_saved_page_on_flask_renders_and_searches_offline(browser, flask_page):
    ctx = browser.new_context(viewport=VIEWPORT)
    ctx.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(flask_page) or route.request.url.startswith("blob:")
            else route.abort()
        ),
    )
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(flask_page)
    page.wait_for_selector(f'{W}[data-ready="1"]', timeout=30_000)
    assert _painted(page) > 1000
    assert page.inner_text(f"{W} .pw-status") == "2,000 points · 0 selected"
    panel = page.query_selector(f"{W} .pw-panel")
    if panel is None or not panel.is_visible():
        page.click(f"{W} .pw-panel-toggle")
    page.fill(f"{W} .pw-search", "queen")
    page.press(f"{W} .pw-search", "Enter")
    page.wait_for_function(f"() => document.querySelector('{W}').__pw.selectedCount() === 1")
    assert page.inner_text(f"{W} .pw-status") == "2,000 points · 1 selected"
    page.fill(f"{W} .pw-search", "^g1$")
    page.check(f"{W} .pw-search-regex")
    page.select_option(f"{W} .pw-search-column", "group")
    page.press(f"{W} .pw-search", "Enter")
    page.wait_for_function(f"() => document.querySelector('{W}').__pw.selectedCount() > 500")
    # Hovering the hostile label shows it as text; nothing ran.
    pos = page.evaluate(f"() => Array.from(document.querySelector('{W}').__pw.screenPositions())")
    box = page.query_selector(f"{W} canvas.pw-canvas").bounding_box()
    page.mouse.move(box["x"] + pos[2], box["y"] + pos[3])
    page.wait_for_selector(f"{W} .pw-tooltip:has-text('onerror')", timeout=10_000)
    assert page.evaluate("() => window.__pwned === undefined")
    assert not errors, errors
    ctx.close()


def test_renders_in_jupyter_notebook_7(browser, tmp_path):
    root = tmp_path / "nb7"
    root.mkdir()
    write_notebook(root / "nb7.ipynb", [CELL])
    server = start_jupyter("notebook", root, "notebook.log")
    try:
        ctx = browser.new_context(viewport=VIEWPORT)
        page = ctx.new_page()
        page.goto(f"{server.url}/notebooks/nb7.ipynb?token={server.token}")
        # Its kernel connected and idle (a run-all before that runs nothing), as JupyterLab's.
        page.wait_for_function(NOTEBOOK_READY_JS, arg="nb7.ipynb", timeout=90_000)
        page.evaluate(RUN_COMMAND_JS, ["nb7.ipynb", "notebook:run-all-cells", None, False])
        page.wait_for_selector(f'{W}[data-ready="1"]', timeout=90_000)
        page.query_selector(W).scroll_into_view_if_needed()
        assert _painted(page) > 1000
        assert page.inner_text(f"{W} .pw-status") == "2,000 points · 0 selected"
        ctx.close()
    finally:
        stop_jupyter(server)


def test_renders_under_voila(browser, tmp_path):
    root = tmp_path / "voila"
    root.mkdir()
    write_notebook(root / "app.ipynb", [CELL])
    port = _free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(root / ".cfg")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "voila",
            str(root / "app.ipynb"),
            "--no-browser",
            f"--port={port}",
            "--Voila.ip=127.0.0.1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=root,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url, timeout=60).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.5)
        ctx = browser.new_context(viewport=VIEWPORT)
        page = ctx.new_page()
        page.goto(url)
        page.wait_for_selector(f'{W}[data-ready="1"]', timeout=90_000)
        assert _painted(page) > 1000
        ctx.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


# ------------------------------------------------------------------ the host's light or dark theme

#: Computed colours of the widget's chrome: root and panel backgrounds, the status line's text.
CHROME_JS = f"""() => {{
  const root = document.querySelector('{W}');
  const css = (sel, prop) => getComputedStyle(root.querySelector(sel) || root)[prop];
  return {{
    host: root.dataset.pwHost, scheme: root.dataset.pwScheme,
    root: getComputedStyle(root).backgroundColor, panel: css('.pw-panel', 'backgroundColor'),
    status: css('.pw-status', 'color'), labels: root.__pw.labelCount(),
  }};
}}"""

#: A VS Code notebook webview as it looks to a widget: the theme kind and class on <body>, the
#: --vscode-* variables inline on <html>, and ipywidgets' stylesheet with JupyterLab's *light*
#: variables on :root (VS Code loads it whatever its own theme).
VSCODE_JS = """([kind, bg, fg, panel]) => {
  let sheet = document.getElementById('ipywidgets-vars');
  if (!sheet) {
    sheet = document.createElement('style');
    sheet.id = 'ipywidgets-vars';
    sheet.textContent = ':root { --jp-layout-color0: #ffffff; --jp-layout-color1: #ffffff; --jp-ui-font-color1: rgba(0,0,0,.87); }';
    document.head.append(sheet);
  }
  const html = document.documentElement;
  html.style.setProperty('--vscode-editor-background', bg);
  html.style.setProperty('--vscode-editor-foreground', fg);
  html.style.setProperty('--vscode-editorWidget-background', panel);
  document.body.dataset.vscodeThemeKind = kind;
  document.body.classList.remove('vscode-light', 'vscode-dark');
  document.body.classList.add(kind);
}"""

#: Colab's output frame: its --colab-* variables (the "adaptive" theme: no theme attribute).
COLAB_JS = """([surface, text]) => {
  document.body.classList.remove('vscode-light', 'vscode-dark');
  delete document.body.dataset.vscodeThemeKind;
  for (const name of ['--vscode-editor-background', '--vscode-editor-foreground', '--vscode-editorWidget-background'])
    document.documentElement.style.removeProperty(name);
  const root = document.documentElement.style;
  root.setProperty('--colab-primary-surface-color', surface);
  root.setProperty('--colab-secondary-surface-color', surface);
  root.setProperty('--colab-primary-text-color', text);
}"""


def _rgb(css: str) -> np.ndarray:
    """An ``rgb(...)`` / ``rgba(...)`` computed colour as three numbers."""
    return np.asarray([float(v) for v in css[css.index("(") + 1 : -1].split(",")[:3]])


def _luma(rgb) -> float:
    r, g, b = np.asarray(rgb, dtype=float) / 255
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _canvas_background(page) -> np.ndarray:
    """The colour most of the plot shows: WebGL's clear colour (points cover little of it)."""
    shot = page.query_selector(f"{W} .pw-stage").screenshot()
    img = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB")).reshape(-1, 3)
    return np.median(img, axis=0)


def _label_ink(page) -> float:
    """How light the label text is: the luma of the pixel farthest from the background inside
    the label boxes of the overlay (0 black ink, 1 white ink)."""
    boxes = page.evaluate(f"() => document.querySelector('{W}').__pw.labelBoxes()")
    stage = page.query_selector(f"{W} .pw-stage")
    img = np.asarray(Image.open(io.BytesIO(stage.screenshot())).convert("RGB")).astype(float)
    background = np.median(img.reshape(-1, 3), axis=0)
    canvas = page.query_selector(f"{W} canvas.pw-canvas").bounding_box()
    origin = stage.bounding_box()
    dx, dy = canvas["x"] - origin["x"], canvas["y"] - origin["y"]
    inks = []
    for left, top, width, height in boxes[:20]:
        x0, y0 = int(left + dx), int(top + dy)
        patch = img[max(0, y0) : y0 + int(height), max(0, x0) : x0 + int(width)].reshape(-1, 3)
        if patch.size:
            inks.append(patch[np.abs(patch - background).sum(axis=1).argmax()])
    assert inks, "no label drawn"
    return float(np.median([_luma(c) for c in inks]))


def _wait_chrome(page, scheme: str, host: str) -> dict:
    page.wait_for_function(
        f"() => {{ const r = document.querySelector('{W}');"
        f" return r.dataset.pwScheme === '{scheme}' && r.dataset.pwHost === '{host}'; }}"
    )
    return page.evaluate(CHROME_JS)


def _assert_scheme(page, chrome: dict, dark: bool) -> None:
    """Root, panel and plot background dark (light) with light (dark) text and label ink."""
    for part in ("root", "panel"):
        assert (_luma(_rgb(chrome[part])) < 0.2) == dark, (part, chrome)
    assert (_luma(_rgb(chrome["status"])) > 0.5) == dark, chrome
    # The WebGL clear colour follows (the renderer redraws on the change: wait for the frame).
    want = _rgb(chrome["root"])
    deadline = time.monotonic() + 20
    while np.abs(_canvas_background(page) - want).max() > 3:
        assert time.monotonic() < deadline, (_canvas_background(page), want)
        page.wait_for_timeout(100)
    assert (_label_ink(page) > 0.5) == dark


def test_chrome_follows_the_system_vscode_and_colab_themes(browser, tmp_path):
    from projector_widget import Projector

    ns: dict = {}
    exec(CELL.replace("\nw\n", "\n"), ns)
    w: Projector = ns["w"]
    w.label_by = "word"
    w.selected = list(range(0, 2000, 50))  # labelled (2,000 points are too many to label all)
    path = w.save_html(tmp_path / "themed.html")
    ctx = browser.new_context(viewport=VIEWPORT, color_scheme="light")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.resolve().as_uri())
    page.wait_for_selector(f'{W}[data-ready="1"]', timeout=30_000)
    page.wait_for_function(f"() => document.querySelector('{W}').__pw.labelCount() > 5")

    # A page with no theme of its own follows the system: light, then dark.
    _assert_scheme(page, _wait_chrome(page, "light", "other"), dark=False)
    page.emulate_media(color_scheme="dark")
    _assert_scheme(page, _wait_chrome(page, "dark", "other"), dark=True)

    # VS Code dark on a light system: VS Code's colours, not ipywidgets' light --jp-* ones.
    page.emulate_media(color_scheme="light")
    page.evaluate(VSCODE_JS, ["vscode-dark", "#1f1f1f", "#cccccc", "#252526"])
    chrome = _wait_chrome(page, "dark", "vscode")
    assert chrome["root"] == "rgb(31, 31, 31)" and chrome["panel"] == "rgb(37, 37, 38)", chrome
    _assert_scheme(page, chrome, dark=True)
    # ... and back to VS Code light, live.
    page.evaluate(VSCODE_JS, ["vscode-light", "#ffffff", "#3b3b3b", "#f8f8f8"])
    chrome = _wait_chrome(page, "light", "vscode")
    assert chrome["root"] == "rgb(255, 255, 255)", chrome
    _assert_scheme(page, chrome, dark=False)

    # Colab dark (its adaptive theme states nothing but its colours).
    page.evaluate(COLAB_JS, ["#1e1e1e", "#e3e3e3"])
    chrome = _wait_chrome(page, "dark", "colab")
    assert chrome["root"] == "rgb(30, 30, 30)", chrome
    _assert_scheme(page, chrome, dark=True)
    assert not errors, errors
    ctx.close()


def test_chrome_follows_jupyterlab_switching_to_its_dark_theme(open_notebook):
    labelled = "\nw.label_by = 'word'\nw.selected = list(range(0, 2000, 50))\nw\n"
    nb = open_notebook("dark_theme.ipynb", [CELL.replace("\nw\n", labelled)])
    page = nb.page
    page.wait_for_selector(f'{W}[data-ready="1"]', timeout=60_000)
    page.query_selector(W).scroll_into_view_if_needed()
    page.wait_for_function(f"() => document.querySelector('{W}').__pw.labelCount() > 5")
    theme = "(name) => window.jupyterapp.commands.execute('apputils:change-theme', { theme: name })"
    layout0 = "() => getComputedStyle(document.body).getPropertyValue('--jp-layout-color0').trim()"
    _assert_scheme(page, _wait_chrome(page, "light", "jupyter"), dark=False)
    try:
        page.evaluate(theme, "JupyterLab Dark")
        _wait_chrome(page, "dark", "jupyter")
        page.wait_for_function(
            f"() => getComputedStyle(document.querySelector('{W}')).backgroundColor !== 'rgb(255, 255, 255)'"
        )
        chrome = page.evaluate(CHROME_JS)
        # The theme's own colours, through its --jp-* variables.
        probe = page.evaluate(
            "(c) => { const d = document.createElement('div'); d.style.background = c;"
            " document.body.append(d); const v = getComputedStyle(d).backgroundColor; d.remove(); return v; }",
            page.evaluate(layout0),
        )
        assert chrome["root"] == probe, (chrome, probe)
        _assert_scheme(page, chrome, dark=True)
    finally:
        # The theme is a user setting of the shared server: later tests expect the light one.
        page.evaluate(theme, "JupyterLab Light")
        _wait_chrome(page, "light", "jupyter")
