"""The projector outside JupyterLab: a saved page on a Flask server, Notebook 7, and Voila."""

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
from harness import VIEWPORT, start_jupyter, stop_jupyter, write_notebook
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
w = Projector(emb, {"word": words, "group": [f"g{k}" for k in g]})
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
        page.wait_for_function(
            "() => window.jupyterapp && window.jupyterapp.commands.hasCommand('notebook:run-all-cells')",
            timeout=90_000,
        )
        page.wait_for_function(
            "() => { const s = document.querySelector('.jp-Notebook'); return !!s; }",
            timeout=60_000,
        )
        page.wait_for_timeout(1500)  # the kernel connects
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
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
