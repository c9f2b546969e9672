"""The density overview in a real JupyterLab, driven by a real mouse (issue 14 part 3).

Above ``overview_above`` rows the first view is a grid of per-category counts, with no point in
the browser; zooming in with the wheel switches to the points of the visible quadtree tiles,
held within the overview's budget; a lasso drawn on it selects, in the kernel, exactly the rows
inside the polygon; zooming back out shows the grid again.
"""

from __future__ import annotations

import numpy as np
from harness import lasso_gesture

WIDGET = ".projector-widget"
HOOK = f"document.querySelector('{WIDGET}').__pw"
N = 300_000
BUDGET = 40_000

# Six clusters of 50,000 points in 2-D, a categorical column naming them; the overview starts
# above 100,000 rows, and the browser may hold 40,000 points (the kernel's budget, made small).
CELL = f"""
import numpy as np
import projector_widget.compute.overview as _ov
from projector_widget import Projector
_ov.BROWSER_BUDGET = {BUDGET}
rng = np.random.default_rng(7)
centers = np.array([[0, 0], [9, 1], [-8, 4], [2, 10], [-3, -9], [8, -8]], np.float32)
labels = np.repeat(np.arange(6), {N} // 6)
emb = (centers[labels] + rng.standard_normal(({N}, 2)).astype(np.float32)).astype(np.float32)
names = np.array(["a", "b", "c", "d", "e", "f"])[labels].tolist()
w = Projector(emb, {{"cluster": names}}, color_by="cluster", overview_above=100_000)
w
"""

# Painted pixels of the WebGL canvas (its drawing buffer is preserved): those differing from
# the background (the top-left pixel, far from the data after a fit).
PAINTED_JS = f"""() => {{
  const c = document.querySelector('{WIDGET} canvas.pw-canvas');
  const o = document.createElement('canvas');
  o.width = c.width; o.height = c.height;
  const g = o.getContext('2d');
  g.drawImage(c, 0, 0);
  const d = g.getImageData(0, 0, o.width, o.height).data;
  let painted = 0;
  for (let i = 0; i < d.length; i += 4) {{
    if (Math.abs(d[i] - d[0]) + Math.abs(d[i + 1] - d[1]) + Math.abs(d[i + 2] - d[2]) > 30) painted++;
  }}
  return {{ painted, total: o.width * o.height }};
}}"""

# Brute force in the kernel: the rows of the layout inside a polygon (even-odd rule), and those
# within `tol` data units of its edges (where screen rounding may decide either way).
INSIDE = """
def _inside(poly, tol):
    xy = w.coordinates[:, :2].astype(np.float64)
    x, y = xy[:, 0], xy[:, 1]
    p = np.asarray(poly, np.float64)
    q = np.roll(p, -1, axis=0)
    inside = np.zeros(len(x), bool)
    near = np.zeros(len(x), bool)
    for (x0, y0), (x1, y1) in zip(p, q):
        crosses = (y0 > y) != (y1 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            at = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
        inside ^= crosses & (x < at)
        dx, dy = x1 - x0, y1 - y0
        t = np.clip(((x - x0) * dx + (y - y0) * dy) / (dx * dx + dy * dy), 0, 1)
        near |= np.hypot(x - (x0 + t * dx), y - (y0 + t * dy)) < tol
    return inside, near
"""


def _overview(nb):
    return nb.page.evaluate(f"() => {HOOK}.overview()")


def _first_view(nb):
    """Wait for the overview of the settled layout; check it is a grid with no point held."""
    page = nb.page
    page.wait_for_selector(f'{WIDGET}[data-ready="1"]', timeout=120_000)
    # The background PCA of every row lands after the first frame: a new layout, a new version.
    nb.wait_kernel("w.pca_refined.is_set()", timeout=120)
    version = nb.kernel_json("w._overview['version']")
    page.wait_for_function(
        f"() => {HOOK}.overview() && {HOOK}.overview().version === {version}", timeout=60_000
    )
    first = _overview(nb)
    assert first["mode"] == "grid", first
    assert first["points"] == 0 and first["tiles"] == 0 and first["drawn"] == 0, first
    assert first["budget"] == BUDGET
    assert nb.kernel_json("w._points['n']") == 0
    painted = page.evaluate(PAINTED_JS)
    assert painted["painted"] > 0.02 * painted["total"], painted
    # The 3-D toggle is hidden: the overview is 2-D. The status counts every row.
    assert page.is_hidden(f"{WIDGET} .pw-3d")
    status = page.text_content(f"{WIDGET} .pw-status")
    assert status.startswith(f"{N:,} points · 0 selected"), status
    return version, first


def _zoom_in(nb, at, domain):
    """Wheel in at ``at`` (page px): first to a view much smaller than the first grid but over
    the budget (a finer grid is asked for), then until the visible tiles are in; check what it
    cost."""
    page = nb.page
    before = _overview(nb)
    page.mouse.move(*at)
    for _ in range(7):
        page.mouse.wheel(0, -120)
    page.wait_for_function(
        f"() => {{ const o = {HOOK}.overview(); return o.mode === 'grid' && o.grid && "
        f"o.grid[2] - o.grid[0] < {domain[2] / 2}; }}",
        timeout=120_000,
        polling=100,
    )
    finer = _overview(nb)
    assert finer["points"] == 0 and finer["requests"] == before["requests"] + 1, finer
    assert finer["bytes"] - before["bytes"] == 512 * 512 * 5, finer
    for _ in range(7):
        page.mouse.wheel(0, -120)
    page.wait_for_function(
        f"() => {HOOK}.overview().mode === 'points' && {HOOK}.overview().drawn > 0",
        timeout=120_000,
        polling=100,
    )
    zoomed = _overview(nb)
    assert zoomed["tiles"] > 0
    assert 0 < zoomed["points"] <= BUDGET, zoomed
    assert zoomed["drawn"] <= zoomed["points"]
    zoom_bytes = zoomed["bytes"] - before["bytes"]
    # The zoom's bytes: the tiles' points (14 bytes each: row, x, y, code, flag), at most the
    # budget's worth, and any finer grids asked for on the way (512 x 512 cells, 5 bytes each).
    grids = zoomed["requests"] - before["requests"] - 1
    assert zoom_bytes <= BUDGET * 14 + max(0, grids) * 512 * 512 * 5, zoomed
    print(
        f"overview: first view {512 * 512 * 5:,} bytes (grid); zoom {zoom_bytes:,} bytes, "
        f"{zoomed['tiles']} tiles, {zoomed['points']:,} points held (budget {BUDGET:,}), "
        f"{zoomed['requests'] - before['requests']} requests"
    )
    painted = page.evaluate(PAINTED_JS)
    assert painted["painted"] > 0.01 * painted["total"], painted
    return zoomed


def _hover_and_click(nb, zoomed, box, at):
    """Hover shows the nearest tile point's row (metadata from the kernel); a click selects it."""
    page = nb.page
    x0, _, x1, y1 = zoomed["view"]
    page.mouse.move(*at)
    title = page.wait_for_selector(f"{WIDGET} .pw-tooltip-title", timeout=30_000).inner_text()
    row = int(title.lstrip("#"))
    page.wait_for_selector(f"{WIDGET} .pw-tooltip-value:has-text('a')", timeout=30_000)
    px_data = (x1 - x0) / box["width"]
    under = [x0 + (at[0] - box["x"]) * px_data, y1 - (at[1] - box["y"]) * px_data]
    gap = nb.kernel_json(f"float(np.hypot(*(w.coordinates[{row}, :2] - np.array({under!r}))))")
    assert gap < 10 * px_data, (row, gap, px_data)
    assert nb.kernel_json(f"names[{row}]") == "a"
    page.mouse.click(*at)
    assert nb.wait_kernel(f"w.selected.tolist() == [{row}]", timeout=30)


def _lasso(nb, zoomed, box, version):
    """A lasso on the overview: the kernel selects exactly the rows inside the polygon."""
    page = nb.page
    x0, y0, x1, y1 = zoomed["view"]
    w_px, h_px = box["width"], box["height"]
    poly_px = np.array([[0.3, 0.3], [0.7, 0.25], [0.75, 0.6], [0.5, 0.75], [0.25, 0.6]]) * [
        w_px,
        h_px,
    ]
    poly_data = [
        [x0 + px / w_px * (x1 - x0), y1 - py / h_px * (y1 - y0)] for px, py in poly_px.tolist()
    ]
    lasso_gesture(page, box, poly_px)
    count = nb.wait_kernel("len(w.selected) > 1 and len(w.selected)", timeout=60)
    tol = 2.0 * (x1 - x0) / w_px  # 2 CSS px in data units
    nb.kernel(INSIDE)
    result = nb.kernel_json(
        f"(lambda r: [np.flatnonzero(r[0]).tolist(), np.flatnonzero(r[1]).tolist()])"
        f"(_inside({poly_data!r}, {tol!r}))"
    )
    inside, near = np.zeros(N, bool), np.zeros(N, bool)
    inside[result[0]] = True
    near[result[1]] = True
    got = np.zeros(N, bool)
    got[np.asarray(nb.kernel_json("w.selected.tolist()"), int)] = True
    disagree = np.flatnonzero((got != inside) & ~near)
    assert disagree.size == 0, f"{disagree.size} rows disagree, e.g. {disagree[:10]}"
    assert count == got.sum() and 1000 < count < N / 6, count
    assert nb.kernel_json("w._overview['version']") == version  # the same layout throughout
    # The browser asked for its tiles again: their flags now show the selection.
    page.wait_for_function(f"() => {HOOK}.overview().selected > 0", timeout=60_000)
    page.wait_for_function(
        f"() => document.querySelector('{WIDGET} .pw-status').textContent"
        f".startsWith('{N:,} points · {count:,} selected')",
        timeout=30_000,
    )


def test_overview_zooms_from_the_grid_to_tiles_and_lassoes_in_the_kernel(open_notebook):
    nb = open_notebook("overview.ipynb", [CELL])
    page = nb.page
    version, first = _first_view(nb)

    # Zoom in with the wheel on the first cluster's centre until its tiles fit the budget.
    x0, y0, x1, y1 = first["view"]
    box = page.query_selector(f"{WIDGET} canvas.pw-canvas").bounding_box()
    cx, cy = nb.kernel_json("w.coordinates[:50_000, :2].mean(axis=0).tolist()")
    sx = box["x"] + (cx - x0) / (x1 - x0) * box["width"]
    sy = box["y"] + (y1 - cy) / (y1 - y0) * box["height"]
    zoomed = _zoom_in(nb, (sx, sy), nb.kernel_json("w._overview['domain']"))
    _hover_and_click(nb, zoomed, box, (sx + 1, sy + 1))
    _lasso(nb, zoomed, box, version)

    # Back out: the grid again, and no tile drawn.
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(16):
        page.mouse.wheel(0, 120)
    page.wait_for_function(
        f"() => {HOOK}.overview().mode === 'grid' && {HOOK}.overview().drawn === 0",
        timeout=60_000,
        polling=100,
    )
    assert _overview(nb)["points"] <= BUDGET
    painted = page.evaluate(PAINTED_JS)
    assert painted["painted"] > 0.02 * painted["total"], painted

    # A lasso past the array limit (made 1,000 rows here) is a lazy selection: the page shows
    # its count, and Escape clears it (the page holds no indices of it).
    nb.kernel("_ov.SELECTED_MAX = 1000")
    poly = np.array([[0.2, 0.2], [0.8, 0.2], [0.8, 0.8], [0.2, 0.8]]) * [
        box["width"],
        box["height"],
    ]
    lasso_gesture(page, box, poly)
    lazy = nb.wait_kernel("type(w.selected).__name__ == 'LazySelection' and len(w.selected)", 60)
    assert lazy > 1000
    page.wait_for_function(
        f"() => document.querySelector('{WIDGET} .pw-status').textContent"
        f".startsWith('{N:,} points · {lazy:,} selected')",
        timeout=30_000,
    )
    page.keyboard.press("Escape")
    assert nb.wait_kernel("isinstance(w.selected, np.ndarray) and w.selected.size == 0", 30)
