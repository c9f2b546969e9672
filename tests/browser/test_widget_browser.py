"""The projector in a real JupyterLab, driven in headless chromium as a person would."""

from __future__ import annotations

import io

import numpy as np
import pytest
from harness import lasso_gesture
from PIL import Image

WIDGET = ".projector-widget"

CLUSTERS = """
import numpy as np
from projector_widget import Projector
rng = np.random.default_rng(0)
centers = rng.standard_normal((4, 32)) * 6
labels = rng.integers(0, 4, 3000)
emb = centers[labels] + rng.standard_normal((3000, 32))
names = np.array(["north", "east", "south", "west"])[labels]
w = Projector(emb, {"region": names, "size": rng.random(3000)}, dimensions={dims})
events = []
w.observe(lambda change: events.append(len(change["new"])), "selected")
w
"""

GRID = """
import numpy as np
from projector_widget import Projector
gx, gy = np.meshgrid(np.arange(6) * 1.0, np.arange(5) * 0.8)
emb = np.c_[gx.ravel(), gy.ravel(), np.zeros(30)]
labels = [f"p{i}" for i in range(30)]
labels[7] = '<img src=x onerror="window.__pwned=1">'
w = Projector(emb, {"name": labels, "group": [i % 3 for i in range(30)]}, dimensions=2, point_size=14)
w
"""


def _widget_ready(nb) -> object:
    page = nb.page
    page.wait_for_selector(f'{WIDGET}[data-ready="1"]', timeout=60_000)
    el = page.query_selector(WIDGET)
    el.scroll_into_view_if_needed()
    return el


def _screen_positions(nb) -> np.ndarray:
    flat = nb.page.evaluate(
        f"() => Array.from(document.querySelector('{WIDGET}').__pw.screenPositions())"
    )
    return np.asarray(flat, dtype=np.float64).reshape(-1, 2)


def _canvas_image(nb) -> tuple[np.ndarray, dict]:
    canvas = nb.page.query_selector(f"{WIDGET} canvas.pw-canvas")
    png = canvas.screenshot()  # may scroll the page: read the box afterwards
    box = canvas.bounding_box()
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int), box


def _status(nb) -> str:
    return nb.page.inner_text(f"{WIDGET} .pw-status")


def _assert_framed(pos: np.ndarray, box: dict) -> None:
    """The points fill the canvas along one axis and sit in its middle (what a fit shows)."""
    size = np.array([box["width"], box["height"]])
    lo, hi = pos.min(axis=0), pos.max(axis=0)
    assert (lo >= 0).all() and (hi <= size).all(), (lo, hi, size)
    assert ((hi - lo) / size).max() > 0.8, (lo, hi, size)
    middle = np.abs((lo + hi) / 2 - size / 2) / size
    centroid = np.abs(pos.mean(axis=0) - size / 2) / size
    assert middle.max() < 0.03 and centroid.max() < 0.08, (middle, centroid)


def _inside(poly: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Even-odd ray casting, independent of the widget's own implementation."""
    inside = np.zeros(len(pts), dtype=bool)
    x, y = pts[:, 0], pts[:, 1]
    j = len(poly) - 1
    for i in range(len(poly)):
        xi, yi = poly[i]
        xj, yj = poly[j]
        crosses = (yi > y) != (yj > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            xcross = (xj - xi) * (y - yi) / (yj - yi) + xi
        inside ^= crosses & (x < xcross)
        j = i
    return inside


def _distance_to_polygon(poly: np.ndarray, pts: np.ndarray) -> np.ndarray:
    best = np.full(len(pts), np.inf)
    for a, b in zip(poly, np.roll(poly, -1, axis=0), strict=True):
        ab = b - a
        t = np.clip(((pts - a) @ ab) / max(ab @ ab, 1e-12), 0, 1)
        best = np.minimum(best, np.linalg.norm(pts - (a + t[:, None] * ab), axis=1))
    return best


@pytest.mark.parametrize("dims", [2, 3])
def test_canvas_draws_points_and_lasso_selects_in_kernel(open_notebook, dims):
    nb = open_notebook(f"clusters{dims}d.ipynb", [CLUSTERS.replace("{dims}", str(dims))])
    _widget_ready(nb)
    assert _status(nb) == "3,000 points · 0 selected"

    # (a) the canvas shows points: pixels, not just a DOM node.
    img, box = _canvas_image(nb)
    background = np.median(img.reshape(-1, 3), axis=0)
    painted = np.abs(img - background).sum(axis=2) > 60
    assert painted.sum() > 1500, f"only {painted.sum()} painted pixels"
    colours = {tuple(c // 32) for c in img[painted]}
    assert len(colours) >= 4, "four regions should be drawn in distinct colours"
    assert nb.page.evaluate(f"() => document.querySelector('{WIDGET}').__pw.lastDrawCount") == 3000

    # (b) a Shift+drag lasso over part of the plot selects exactly the points inside it.
    pos = _screen_positions(nb)
    visible = np.isfinite(pos).all(axis=1)
    assert visible.sum() == 3000
    # The first view is framed in the middle of the canvas (in 3-D too), filling it.
    _assert_framed(pos, box)
    # Around one cluster, cutting through it, so the selection is a real part of the data.
    cx, cy = np.median(pos[pos[:, 0] <= np.percentile(pos[:, 0], 20)], axis=0)
    rx, ry = 45.0, 30.0
    # A concave pentagon-ish polygon around the centre of the data.
    poly = np.array(
        [
            [cx - rx, cy - ry],
            [cx + rx, cy - ry],
            [cx + 0.2 * rx, cy],
            [cx + rx, cy + ry],
            [cx - rx, cy + ry],
        ]
    )
    poly = np.clip(poly, [8, 8], [box["width"] - 8, box["height"] - 8])  # stay on the canvas
    lasso_gesture(nb.page, box, poly)
    selected = np.asarray(nb.wait_kernel("w.selected.tolist()"), dtype=int)
    expected = np.flatnonzero(_inside(poly, pos))
    near_edge = _distance_to_polygon(poly, pos) < 2.0
    got = np.zeros(3000, bool)
    got[selected] = True
    want = np.zeros(3000, bool)
    want[expected] = True
    disagree = np.flatnonzero((got != want) & ~near_edge)
    assert disagree.size == 0, f"{disagree.size} points disagree, e.g. {disagree[:10]}"
    assert 50 < selected.size < 2950
    assert nb.kernel_json("events")[-1] == selected.size
    assert nb.kernel_json("str(w.selected.dtype)") == "int64"
    nb.page.wait_for_function(
        f"() => document.querySelector('{WIDGET} .pw-status').textContent.endsWith('{selected.size:,} selected')"
    )


def test_python_assignment_highlights_and_updates_status(open_notebook):
    nb = open_notebook("grid_assign.ipynb", [GRID])
    _widget_ready(nb)
    before, _ = _canvas_image(nb)
    pos = _screen_positions(nb)

    nb.kernel("w.selected = [3, 17, 29]")
    nb.page.wait_for_function(
        f"() => document.querySelector('{WIDGET} .pw-status').textContent === '30 points · 3 selected'"
    )
    assert nb.page.evaluate(f"() => document.querySelector('{WIDGET}').__pw.selectedCount()") == 3
    nb.page.wait_for_timeout(300)  # let the next animation frame land
    after, _ = _canvas_image(nb)
    background = np.median(after.reshape(-1, 3), axis=0)

    def centre(img, i):
        x, y = np.round(pos[i]).astype(int)
        return img[y, x]

    for i in (3, 17, 29):  # selected: keep their colour
        assert np.abs(centre(after, i) - centre(before, i)).sum() < 40, i
    for i in (0, 10, 22):  # the rest: dimmed toward the background
        d_before = np.abs(centre(before, i) - background).sum()
        d_after = np.abs(centre(after, i) - background).sum()
        assert d_after < 0.7 * d_before, (i, d_before, d_after)

    nb.kernel("w.selected = []")
    nb.page.wait_for_function(
        f"() => document.querySelector('{WIDGET} .pw-status').textContent === '30 points · 0 selected'"
    )


def test_click_shift_click_escape_and_clear(open_notebook):
    nb = open_notebook("grid_click.ipynb", [GRID])
    _widget_ready(nb)
    box = nb.page.query_selector(f"{WIDGET} canvas.pw-canvas").bounding_box()
    mouse = nb.page.mouse

    def at(i):  # where it is drawn now, as a person aims (the inspector's opening refits the view)
        pos = _screen_positions(nb)
        return box["x"] + pos[i][0], box["y"] + pos[i][1]

    def shift_click(xy):
        nb.page.keyboard.down("Shift")
        mouse.click(*xy)
        nb.page.keyboard.up("Shift")

    mouse.click(*at(4))
    assert nb.wait_kernel("w.selected.tolist()") == [4]
    shift_click(at(11))
    assert nb.wait_kernel("w.selected.tolist() if len(w.selected) == 2 else None") == [4, 11]
    shift_click(at(4))
    assert nb.wait_kernel("w.selected.tolist() if len(w.selected) == 1 else None") == [11]
    mouse.click(*at(20))
    assert nb.wait_kernel("w.selected.tolist() if w.selected.tolist() != [11] else None") == [20]
    nb.page.keyboard.press("Escape")
    assert nb.wait_kernel("len(w.selected) == 0")
    mouse.click(*at(5))
    assert nb.wait_kernel("w.selected.tolist()") == [5]
    nb.page.click(f"{WIDGET} .pw-clear")
    assert nb.wait_kernel("len(w.selected) == 0")


def test_hover_tooltip_renders_metadata_as_text(open_notebook):
    nb = open_notebook("grid_hover.ipynb", [GRID])
    _widget_ready(nb)
    box = nb.page.query_selector(f"{WIDGET} canvas.pw-canvas").bounding_box()
    pos = _screen_positions(nb)
    nb.page.mouse.move(box["x"] + pos[7][0], box["y"] + pos[7][1])
    tooltip = nb.page.wait_for_selector(f"{WIDGET} .pw-tooltip:has-text('onerror')", timeout=10_000)
    text = tooltip.inner_text()
    assert "#7" in text
    assert '<img src=x onerror="window.__pwned=1">' in text
    assert tooltip.query_selector("img") is None
    assert nb.page.evaluate("() => window.__pwned === undefined")


def test_toolbar_reaches_python(open_notebook):
    nb = open_notebook("grid_toolbar.ipynb", [GRID])
    _widget_ready(nb)
    assert nb.kernel_json("w.color_by") == "group"
    nb.page.select_option(f"{WIDGET} select.pw-color-by", "")
    assert nb.wait_kernel("w.color_by == ''")
    nb.page.click(f"{WIDGET} .pw-3d")
    assert nb.wait_kernel("w.dimensions == 3 and w._points['dims'] == 3")
    nb.page.wait_for_function(f"() => document.querySelector('{WIDGET}').__pw.lastDrawCount === 30")
    nb.kernel("w.dimensions = 2")
    nb.page.wait_for_selector(f"{WIDGET} .pw-2d.active, {WIDGET} .pw-2d[aria-pressed='true']")


PARTS = """
import numpy as np
import projector_widget.sync.wire as enc
from projector_widget import Projector
enc.PROGRESSIVE_MIN_POINTS, enc.FIRST_PART_POINTS = 1000, 500
rng = np.random.default_rng(3)
emb = rng.standard_normal((6000, 16))
w = Projector(emb, {"group": [f"g{i % 5}" for i in range(6000)]}, dimensions=2)
display(w)
import time
time.sleep(4)  # the kernel is busy: the browser's request for the rest waits until the cell ends
"""


def test_large_points_arrive_in_parts_and_the_first_part_is_drawn_first(open_notebook):
    nb = open_notebook("parts.ipynb", [PARTS])
    _widget_ready(nb)  # the first part, drawn while the kernel is still running the cell
    nb.page.wait_for_selector(f'{WIDGET}[data-complete="1"]', timeout=60_000)
    hook = f"document.querySelector('{WIDGET}').__pw"
    assert nb.page.evaluate(f"() => {hook}.firstDrawCount") == 500
    assert nb.page.evaluate(f"() => {hook}.lastDrawCount") == 6000
    assert _status(nb).startswith("6,000 points")
    # Every row is on screen where Python put it (later parts landed at the right rows).
    pos = _screen_positions(nb)
    assert pos.shape == (6000, 2) and np.isfinite(pos).all()
    xy = np.asarray(nb.kernel_json("w.coordinates[:, :2].tolist()"))
    for a in (0, 1):
        assert abs(np.corrcoef(pos[:, a], xy[:, a])[0, 1]) > 0.999
    # A selection made in Python reaches rows beyond the first part.
    nb.kernel("w.selected = list(range(5990, 6000))")
    nb.page.wait_for_function(f"() => {hook}.selectedCount() === 10", timeout=20_000)


LARGE = """
import numpy as np
from projector_widget import Projector
rng = np.random.default_rng(5)
emb = rng.standard_normal((250_000, 6)).astype(np.float32)
w = Projector(emb, {"id": [f"row{i}" for i in range(250_000)]}, dimensions=2)
w
"""


def test_hover_on_a_large_set_marks_the_point_without_redrawing_all(open_notebook):
    """Above 200k points a hover redraws nothing: the ring and the label go on the overlay."""
    nb = open_notebook("large_hover.ipynb", [LARGE])
    _widget_ready(nb)
    nb.page.wait_for_selector(f'{WIDGET}[data-complete="1"]', timeout=60_000)
    hook = f"document.querySelector('{WIDGET}').__pw"
    # The background PCA of every row replaces the points once (and animates): let it land, and
    # the frames settle, before counting the frames a hover draws.
    nb.wait_kernel("w.pca_refined.is_set()", timeout=120)
    nb.page.wait_for_function(
        f"""() => {{
      const pw = {hook};
      if (pw.isAnimating()) {{ window.__settle = undefined; return false; }}
      const now = performance.now();
      if (!window.__settle || window.__settle.frames !== pw.frameCount) {{
        window.__settle = {{ frames: pw.frameCount, since: now }};
        return false;
      }}
      return now - window.__settle.since > 1500;
    }}""",
        timeout=60_000,
        polling=100,
    )
    # Row 0 (standard normal data: well inside the plot; its pixel may hold other rows too).
    x, y = nb.page.evaluate(
        f"""() => {{
      const p = {hook}.screenPositions();
      return [p[0], p[1]];
    }}"""
    )
    nb.page.wait_for_timeout(500)
    frames = nb.page.evaluate(f"() => {hook}.frameCount")
    box = nb.page.query_selector(f"{WIDGET} canvas.pw-canvas").bounding_box()
    nb.page.mouse.move(box["x"] + x, box["y"] + y)
    nb.page.wait_for_selector(f"{WIDGET} .pw-tooltip:has-text('row')", timeout=20_000)
    assert nb.page.evaluate(f"() => {hook}.frameCount") == frames
    # The ring is on the label overlay, around the point.
    ring = nb.page.evaluate(
        f"""() => {{
      const c = document.querySelector('{WIDGET} canvas.pw-labels');
      const k = c.width / c.clientWidth, r = 9 * k;
      const d = c.getContext('2d').getImageData(Math.round({x} * k - r), Math.round({y} * k - r), 2 * r, 2 * r).data;
      let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    }}"""
    )
    assert ring > 20
    nb.page.mouse.move(box["x"] + 2, box["y"] + 2)
    nb.page.wait_for_selector(f"{WIDGET} .pw-tooltip", state="hidden", timeout=10_000)
