"""The projector in marimo (``mo.ui.anywidget``), driven in headless chromium as a person would.

marimo hosts anywidgets without ipywidgets' front end: the model, its binary buffers and the
custom messages go through marimo's own websocket, and updates from background threads (t-SNE
frames, the PCA of every row) through the comm bound to the session it was opened in. Each test
writes an app, serves it with ``marimo run`` on 127.0.0.1 (with an access token) and reads what
reached Python from the app's own output: a cell that shows ``w.selected`` re-runs whenever the
widget changes, and a thread writes the kernel's coordinates to a file when t-SNE finishes.
"""

from __future__ import annotations

import io
import json
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from harness import VIEWPORT, lasso_gesture, marimo_page_url, start_marimo, stop_jupyter
from PIL import Image

pytest.importorskip("marimo", reason="the marimo tests need marimo (the test extra)")

W = ".projector-widget"

#: The widget's element, wherever marimo puts it (its anywidget output may sit in a shadow root).
FIND_WIDGET_JS = """
const findWidget = () => {
  const walk = (root) => {
    const hit = root.querySelector('.projector-widget');
    if (hit) return hit;
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) {
        const found = walk(el.shadowRoot);
        if (found) return found;
      }
    }
    return null;
  };
  return walk(document);
};
"""


def _app(cells: list[str]) -> str:
    """A marimo app file of ``cells``: marimo reads each cell's names from its code (its
    definitions and references), so every cell is written as ``def _():`` and its body."""
    out = ["import marimo", "", 'app = marimo.App(width="full")']
    for body in cells:
        out += ["", "", "@app.cell", "def _():"]
        out += [
            "    " + line if line else "" for line in textwrap.dedent(body).strip().splitlines()
        ]
    out += ["", "", 'if __name__ == "__main__":', "    app.run()", ""]
    return "\n".join(out)


SETUP = """
import json
import threading
import marimo as mo
import numpy as np
from pathlib import Path
from projector_widget import Projector
"""

#: Four clusters in 2-D, and what writes t-SNE's final coordinates to a file when it is done.
SMALL = """
out = Path({out!r})
rng = np.random.default_rng(0)
centers = rng.standard_normal((4, 32)) * 6
labels = rng.integers(0, 4, 3000)
emb = centers[labels] + rng.standard_normal((3000, 32))
w = Projector(emb, {{"region": np.array(["north", "east", "south", "west"])[labels]}}, dimensions=2)
def dump_when_done(job):
    def dump():
        job.wait()  # the final layout is in place when it returns
        np.save(out / "tsne.part.npy", w.coordinates)
        (out / "tsne.part.npy").replace(out / "tsne.npy")  # whole, or not there yet
    threading.Thread(target=dump, daemon=True).start()
"""

#: Over 262,144 points: sent in parts, then the PCA of every row (a background thread) replaces
#: the first, sample-based layout; an observer writes the kernel's coordinates when it does.
LARGE = """
out = Path({out!r})
rng = np.random.default_rng(11)
w = Projector(rng.standard_normal((300_000, 8)).astype(np.float32), dimensions=2)
def dump(change):
    np.save(out / "refined.part.npy", w.coordinates)
    (out / "refined.part.npy").replace(out / "refined.npy")
w.observe(dump, "_pca_variance")
"""

VIEW = """
view = mo.ui.anywidget(w)
view
"""

#: Re-runs whenever the widget's state changes in the browser (marimo's reactivity).
SHOW_SELECTED = """
mo.Html(f"<pre id='pw-selected'>{json.dumps(view.selected.tolist())}</pre>")
"""

TSNE_BUTTON = """
tsne_button = mo.ui.run_button(label="Run t-SNE")
tsne_button
"""

#: Starts t-SNE from Python when the button is pressed; its frames come from a background thread.
START_TSNE = """
job = w.tsne(perplexity=30, n_iter=250, seed=0) if tsne_button.value else None
if job is not None:
    dump_when_done(job)
"""


@pytest.fixture
def marimo_app(tmp_path: Path):
    """Factory: write an app of ``cells``, serve it with ``marimo run``; stops it afterwards."""
    servers = []

    def _serve(cells: list[str], mode: str = "run", config: str = ""):
        app = tmp_path / "app.py"
        app.write_text(_app(cells))
        server = start_marimo(app, mode=mode, token="pw-" + tmp_path.name[-8:], config=config)
        servers.append(server)
        return server

    yield _serve
    for server in servers:
        stop_jupyter(server)


def _open(browser, server):
    ctx = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(marimo_page_url(server))
    page.wait_for_selector(f'{W}[data-ready="1"]', timeout=120_000)
    page.locator(W).scroll_into_view_if_needed()
    return ctx, page, errors


def _hook(page, expr: str) -> object:
    """Evaluate ``expr`` on the widget's test hook ``pw``."""
    return page.evaluate(
        f"() => {{ {FIND_WIDGET_JS} const pw = findWidget().__pw; return {expr}; }}"
    )


def _positions(page) -> np.ndarray:
    flat = _hook(page, "Array.from(pw.screenPositions())")
    return np.asarray(flat, dtype=np.float64).reshape(-1, 2)


def _inside(poly: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Even-odd ray casting, independent of the widget's own implementation."""
    inside = np.zeros(len(pts), dtype=bool)
    x, y = pts[:, 0], pts[:, 1]
    j = len(poly) - 1
    for i in range(len(poly)):
        (xi, yi), (xj, yj) = poly[i], poly[j]
        crosses = (yi > y) != (yj > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            xcross = (xj - xi) * (y - yi) / (yj - yi) + xi
        inside ^= crosses & (x < xcross)
        j = i
    return inside


def _fit_error(coords: np.ndarray, screen: np.ndarray) -> float:
    """Largest distance (px) between ``screen`` and the best affine map of 2-D ``coords``.

    A 2-D view draws data coordinates through an affine map (scale, offset, the y flip), so the
    points drawn are the kernel's layout exactly when this is well below a pixel or two.
    """
    design = np.c_[coords, np.ones(len(coords))]
    sol, *_ = np.linalg.lstsq(design, screen, rcond=None)
    return float(np.abs(design @ sol - screen).max())


def _wait(predicate, what: str, timeout: float = 120.0):
    """Poll ``predicate`` until it returns a truthy value; return it (raise naming ``what``)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still {value!r} after {timeout} s")
        time.sleep(0.2)


def test_marimo_shows_points_lassos_into_python_and_streams_tsne(browser, marimo_app, tmp_path):
    server = marimo_app(
        [SETUP, SMALL.format(out=str(tmp_path)), VIEW, SHOW_SELECTED, TSNE_BUTTON, START_TSNE]
    )
    ctx, page, errors = _open(browser, server)
    assert page.inner_text(f"{W} .pw-status") == "3,000 points · 0 selected"
    assert _hook(page, "pw.lastDrawCount") == 3000
    assert json.loads(page.inner_text("#pw-selected")) == []

    # A Shift+drag lasso around part of one cluster: Python gets exactly the rows inside it.
    pos = _positions(page)
    assert np.isfinite(pos).all()
    box = page.locator(f"{W} canvas.pw-canvas").bounding_box()
    cx, cy = np.median(pos[pos[:, 0] <= np.percentile(pos[:, 0], 20)], axis=0)
    poly = np.array([[cx - 45, cy - 30], [cx + 45, cy - 30], [cx + 9, cy], [cx + 45, cy + 30]])
    poly = np.vstack([poly, [[cx - 45, cy + 30]]])
    poly = np.clip(poly, [8, 8], [box["width"] - 8, box["height"] - 8])
    lasso_gesture(page, box, poly)
    expected = np.flatnonzero(_inside(poly, pos))
    assert 50 < expected.size < 2950
    got = _wait(
        lambda: json.loads(page.inner_text("#pw-selected")) or None,
        "the selection shown by the Python cell",
    )
    # Points within a pixel of the lasso's edge may fall either way.
    edge = np.zeros(len(pos), bool)
    for a, b in zip(poly, np.roll(poly, -1, axis=0), strict=True):
        ab = b - a
        t = np.clip(((pos - a) @ ab) / (ab @ ab), 0, 1)
        edge |= np.linalg.norm(pos - (a + t[:, None] * ab), axis=1) < 2.0
    disagree = np.setxor1d(np.asarray(got), expected)
    assert not (~edge[disagree]).any(), f"rows selected wrongly: {disagree[~edge[disagree]][:10]}"
    page.wait_for_function(
        f"() => {{ {FIND_WIDGET_JS} return findWidget().querySelector('.pw-status').textContent"
        f".endsWith('{len(got):,} selected'); }}"
    )

    # t-SNE started from a Python cell runs in a background thread; its frames and its final
    # layout reach the widget while the kernel is idle.
    page.get_by_role("button", name="Run t-SNE").click()
    _wait(lambda: _hook(page, "pw.projection()") == "tsne", "the projection drawn")
    done = tmp_path / "tsne.npy"
    final = _wait(
        lambda: [np.load(done)] if done.exists() else None,
        "t-SNE's final coordinates in the kernel",
        timeout=300,
    )[0]
    assert final.shape == (3000, 2)
    _wait(
        lambda: not _hook(page, "pw.isAnimating()") and _fit_error(final, _positions(page)) < 1.5,
        "the drawn points being t-SNE's final layout",
    )
    assert not errors, errors
    ctx.close()


def _luma(css: str) -> float:
    r, g, b = (float(v) / 255 for v in css[css.index("(") + 1 : -1].split(",")[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_marimo_theme_colours_the_widget(browser, marimo_app, tmp_path, theme):
    # The system prefers the other scheme: marimo's own theme decides.
    server = marimo_app(
        [SETUP, SMALL.format(out=str(tmp_path)), VIEW], config=f'[display]\ntheme = "{theme}"\n'
    )
    ctx = browser.new_context(
        viewport=VIEWPORT, color_scheme="light" if theme == "dark" else "dark"
    )
    page = ctx.new_page()
    page.goto(marimo_page_url(server))
    widget = page.locator(W)
    widget.wait_for(timeout=120_000)
    page.wait_for_selector(f'{W}[data-ready="1"][data-pw-scheme="{theme}"]', timeout=120_000)
    colours = widget.evaluate(
        "el => [getComputedStyle(el).backgroundColor,"
        " getComputedStyle(el.querySelector('.pw-status')).color, el.dataset.pwHost]"
    )
    dark = theme == "dark"
    assert colours[2] == "other", colours
    assert (_luma(colours[0]) < 0.2) == dark, colours
    assert (_luma(colours[1]) > 0.5) == dark, colours
    # The plot's clear colour too: most of the canvas is background.
    shot = page.locator(f"{W} canvas.pw-canvas").screenshot()
    img = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB")).reshape(-1, 3)
    background = np.median(img, axis=0)
    assert (_luma(f"rgb({background[0]}, {background[1]}, {background[2]})") < 0.2) == dark
    ctx.close()


def test_marimo_gets_every_part_and_the_background_pca_of_every_row(browser, marimo_app, tmp_path):
    server = marimo_app([SETUP, LARGE.format(out=str(tmp_path)), VIEW])
    ctx, page, errors = _open(browser, server)
    page.wait_for_selector(f'{W}[data-complete="1"]', timeout=120_000)
    # Drawn in parts: the first part first, then the rest (the _points_rest trait) through
    # marimo's model updates.
    assert _hook(page, "pw.firstDrawCount") == 131_072
    assert _hook(page, "pw.lastDrawCount") == 300_000
    assert page.inner_text(f"{W} .pw-status") == "300,000 points · 0 selected"
    # The PCA of every row, computed in a background thread once the first frame is complete,
    # reaches the widget as a second _points value: the points drawn are its layout.
    done = tmp_path / "refined.npy"
    refined = _wait(
        lambda: [np.load(done)] if done.exists() else None, "the kernel's refined PCA", 120
    )[0]
    _wait(lambda: _hook(page, "pw.points().values") == 2, "the refined points in the browser")
    _wait(
        lambda: not _hook(page, "pw.isAnimating()") and _fit_error(refined, _positions(page)) < 1.5,
        "the drawn points being the refined layout",
    )
    assert _hook(page, "pw.points()") == {"n": 300_000, "loaded": 300_000, "values": 2}
    assert not errors, errors
    ctx.close()
