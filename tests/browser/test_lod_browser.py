"""Level of detail while the view moves, in a real JupyterLab driven by a real mouse.

During a drag on a large set the renderer draws a stratified sample (rare categories and the
emphasised rows kept), and every point again once the drag ends. The sample's size is measured
from frame times, so it depends on the machine; the test forces it through the test hook, and
checks separately that a budget was measured.
"""

from __future__ import annotations

WIDGET = ".projector-widget"
HOOK = f"document.querySelector('{WIDGET}').__pw"
N_BLOB = 300_000
N_RARE = 40
N_SELECTED = 30
TOTAL = N_BLOB + N_RARE + N_SELECTED
RARE_ROWS = list(range(N_BLOB, N_BLOB + N_RARE))
SELECTED_ROWS = list(range(N_BLOB + N_RARE, TOTAL))

# A dense blob of three common categories; far from it, a rare category of 40 points and 30
# points of a common category that are selected. In a 5,000-point sample drawn at random, each
# small group would be expected to show fewer than one point.
CELL = f"""
import numpy as np
from projector_widget import Projector
rng = np.random.default_rng(3)
blob = rng.standard_normal(({N_BLOB}, 2)).astype(np.float32)
rare = rng.normal([6.0, 6.0], 0.15, ({N_RARE}, 2)).astype(np.float32)
far = rng.normal([-6.0, 6.0], 0.15, ({N_SELECTED}, 2)).astype(np.float32)
emb = np.vstack([blob, rare, far])
kind = np.array(["a", "b", "c"])[rng.integers(0, 3, {N_BLOB})].tolist()
kind += ["rare"] * {N_RARE} + ["a"] * {N_SELECTED}
w = Projector(emb, {{"kind": kind}}, dimensions=2, color_by="kind")
w.selected = {SELECTED_ROWS!r}
w
"""

# The WebGL canvas's pixels (its drawing buffer is preserved), without the overlays over it:
# for each row, whether a pixel within 1 px of where it is drawn differs from the background,
# and how many pixels of the canvas are painted.
PIXELS_JS = f"""(rows) => {{
  const pw = {HOOK};
  const c = document.querySelector('{WIDGET} canvas.pw-canvas');
  const k = c.width / c.clientWidth;
  const o = document.createElement('canvas');
  o.width = c.width; o.height = c.height;
  const g = o.getContext('2d');
  g.drawImage(c, 0, 0);
  const d = g.getImageData(0, 0, o.width, o.height).data;
  const bg = [d[0], d[1], d[2]];
  const painted = (x, y) => {{
    if (x < 0 || y < 0 || x >= o.width || y >= o.height) return false;
    const i = 4 * (y * o.width + x);
    return Math.abs(d[i] - bg[0]) + Math.abs(d[i + 1] - bg[1]) + Math.abs(d[i + 2] - bg[2]) > 30;
  }};
  const pos = pw.positionsNow(rows);
  const hits = rows.map((_, j) => {{
    const x = Math.floor(pos[2 * j] * k), y = Math.floor(pos[2 * j + 1] * k);
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) if (painted(x + dx, y + dy)) return true;
    return false;
  }});
  let total = 0;
  for (let y = 0; y < o.height; y++) for (let x = 0; x < o.width; x++) if (painted(x, y)) total++;
  return {{ hits, total }};
}}"""

# Frames drawn once the points stop changing: the background PCA of every row lands (and
# animates) after the first frame; wait until no frame has come for a while.
SETTLED_JS = f"""() => {{
  const pw = {HOOK};
  if (pw.isAnimating()) {{ window.__settle = undefined; return false; }}
  const now = performance.now();
  if (!window.__settle || window.__settle.frames !== pw.frameCount) {{
    window.__settle = {{ frames: pw.frameCount, since: now }};
    return false;
  }}
  return now - window.__settle.since > 1000;
}}"""


def test_a_drag_on_a_large_set_draws_a_sample_that_keeps_rare_and_selected_points(open_notebook):
    nb = open_notebook("lod.ipynb", [CELL])
    page = nb.page
    page.wait_for_selector(f'{WIDGET}[data-complete="1"]', timeout=120_000)
    nb.wait_kernel("w.pca_refined.is_set()", timeout=120)
    page.wait_for_function(f"() => {HOOK}.selectedCount() === {N_SELECTED}", timeout=60_000)
    page.wait_for_function(SETTLED_JS, timeout=60_000, polling=100)
    assert page.evaluate(f"() => {HOOK}.lastDrawCount") == TOTAL
    assert page.evaluate(f"() => {HOOK}.lastFramePartial") is False
    # The frames so far were measured: a budget is known (the whole set on a fast GPU).
    assert 0 < page.evaluate(f"() => {HOOK}.detailBudget") <= TOTAL
    full = page.evaluate(PIXELS_JS, RARE_ROWS + SELECTED_ROWS)
    assert all(full["hits"]), "every rare and selected point is drawn before the drag"

    # A sample of 5,000 points while moving, whatever this machine's speed.
    page.evaluate(f"() => {HOOK}.forceDetailBudget(5000)")
    # The frame count when the last pointer move was handled: a later frame shows that move.
    page.evaluate(
        f"""() => window.addEventListener('pointermove', () => {{
          window.__moveFrame = {HOOK}.frameCount;
        }}, {{ capture: true }})"""
    )
    box = page.query_selector(f"{WIDGET} canvas.pw-canvas").bounding_box()
    mouse = page.mouse
    x0, y0 = box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.7
    mouse.move(x0, y0)
    mouse.down()
    for i in range(1, 7):  # a short drag: the fit leaves 5% of the canvas around the outer points
        mouse.move(x0 + 2 * i, y0 - i)
    page.wait_for_function(
        f"() => {HOOK}.frameCount > window.__moveFrame && {HOOK}.lastFramePartial",
        timeout=60_000,
        polling=50,
    )
    drawn = page.evaluate(f"() => {HOOK}.lastDrawCount")
    # The sample and the emphasised rows: far fewer than every point.
    assert drawn <= 5000 + N_SELECTED < TOTAL
    moving = page.evaluate(PIXELS_JS, RARE_ROWS + SELECTED_ROWS)
    rare_hits, selected_hits = moving["hits"][:N_RARE], moving["hits"][N_RARE:]
    assert all(rare_hits), f"rare points missing while moving: {rare_hits.count(False)} of {N_RARE}"
    assert all(selected_hits), (
        f"selected points missing while moving: {selected_hits.count(False)} of {N_SELECTED}"
    )
    assert moving["total"] < full["total"] * 0.8, (moving["total"], full["total"])

    # Released: every point again, and the sample's view moved with the drag.
    mouse.up()
    page.wait_for_function(
        f"() => !{HOOK}.lastFramePartial && {HOOK}.lastDrawCount === {TOTAL}",
        timeout=120_000,
        polling=50,
    )
    after = page.evaluate(PIXELS_JS, RARE_ROWS + SELECTED_ROWS)
    assert all(after["hits"])
    assert after["total"] > moving["total"] * 1.25, (after["total"], moving["total"])
    assert page.get_attribute(WIDGET, "data-complete") == "1"

    # A burst of wheel steps (zooming out, so every group stays in view): a sample too, then
    # every point once it settles.
    page.evaluate(
        f"""() => {{
          const root = document.querySelector('{WIDGET}'), pw = root.__pw;
          window.__wheelFrames = [];
          new MutationObserver(() => window.__wheelFrames.push([pw.lastDrawCount, pw.lastFramePartial]))
            .observe(root, {{ attributes: true, attributeFilter: ['data-frame'] }});
        }}"""
    )
    mouse.move(x0, y0 - 40)
    for _ in range(3):
        mouse.wheel(0, 120)
    page.wait_for_function(
        f"""() => window.__wheelFrames.length > 0 &&
          window.__wheelFrames.some(([drawn, partial]) => !partial && drawn === {TOTAL})""",
        timeout=120_000,
        polling=50,
    )
    wheel_frames = page.evaluate("() => window.__wheelFrames")
    first_drawn, first_partial = wheel_frames[0]
    assert first_partial and first_drawn <= 5000 * 3 + N_SELECTED, wheel_frames[:5]
    assert all(page.evaluate(PIXELS_JS, RARE_ROWS + SELECTED_ROWS)["hits"])
    # The pan reached the kernel's camera (the drag was a camera gesture, not a click).
    assert nb.wait_kernel("w.camera.get('dims') == 2", timeout=30)
    assert nb.kernel_json("len(w.selected)") == N_SELECTED
