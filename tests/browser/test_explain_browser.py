"""Cluster names and density contours in a real JupyterLab: a person finds clusters from the
side panel, their names show on the map without overlapping each other or point labels, finer
ones as they zoom in with the wheel; the panel's toggle draws density contours under the points
in 2-D (not in 3-D). On digits' t-SNE (a saved page) every island is named at the first view and
the contours ring the islands apart, also zoomed out."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
from harness import VIEWPORT
from PIL import Image

W = ".projector-widget"

# Four groups (fruit, tools, birds, cars) of three subgroups each, on a plane of a 64-D space
# so that the 2-D PCA shows them: zoomed out the groups read as four clusters, zoomed in each
# splits into its three.
CELL = """
import numpy as np
from projector_widget import Projector
rng = np.random.default_rng(0)
groups = {"fruit": ["apple", "banana", "cherry"], "tools": ["hammer", "saw", "drill"],
          "birds": ["robin", "crow", "finch"], "cars": ["sedan", "coupe", "truck"]}
centres = [(-20, -15), (20, -15), (-20, 15), (20, 15)]
offsets = [(0, -3.5), (-3, 1.8), (3, 1.8)]
basis, _ = np.linalg.qr(rng.standard_normal((64, 2)))
rows, texts = [], []
for g, (name, subs) in enumerate(groups.items()):
    for s, sub in enumerate(subs):
        centre = np.add(centres[g], offsets[s])
        for i in range(100):
            rows.append(centre)
            texts.append(f"{name} {sub} w{i % 50}")
plane = np.asarray(rows) + 0.5 * rng.standard_normal((len(rows), 2))
emb = plane @ basis.T + 0.05 * rng.standard_normal((len(rows), 64))
w = Projector(emb, {"text": texts, "name": [f"r{i}" for i in range(len(rows))]},
              dimensions=2, height=520)
w.label_by = "name"
w
"""


def hook(page: Any, expr: str) -> Any:
    return page.evaluate(
        f"() => {{ const h = document.querySelector('{W}').__pw; return {expr}; }}"
    )


def overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def check_names(page: Any) -> tuple[int, list[str]]:
    """The cluster names drawn now: inside the canvas, inked, and clear of each other and of
    the point labels. Returns the level shown and the texts."""
    state = hook(
        page,
        "({level: h.clusterLevel(), boxes: h.clusterBoxes(), texts: h.clusterTexts(), "
        "points: h.labelBoxes()})",
    )
    boxes, points = state["boxes"], state["points"]
    shown = hook(page, "Array.from(h.screenPositions()).filter((v) => v >= 0 && v < 2000).length")
    assert boxes, (state, shown)
    assert points, "point labels should be drawn too"
    size = page.eval_on_selector(f"{W} canvas.pw-canvas", "c => [c.clientWidth, c.clientHeight]")
    for i, b in enumerate(boxes):
        assert b[2] > 0 and b[3] > 0
        assert b[0] >= 0 and b[1] >= 0 and b[0] + b[2] <= size[0] and b[1] + b[3] <= size[1]
        assert not any(overlap(b, c) for c in boxes[i + 1 :]), (b, boxes)
        assert not any(overlap(b, p) for p in points), b
        # Ink in the box on the label overlay (text with its halo).
        inked = page.evaluate(
            """([x, y, w, h]) => {
                const c = document.querySelector('.projector-widget canvas.pw-labels');
                const k = c.width / c.clientWidth;
                const d = c.getContext('2d').getImageData(x * k, y * k, w * k, h * k).data;
                let n = 0;
                for (let i = 3; i < d.length; i += 4) if (d[i] > 128) n++;
                return n;
            }""",
            b,
        )
        assert inked > 20, (b, inked)
    return state["level"], state["texts"]


def assert_beside_anchors(boxes: list[list[float]], anchors: np.ndarray) -> None:
    """Each name box lies on or beside (the 5 px gap) one of the anchor points."""
    for x, y, w, h in boxes:
        dx = np.maximum(np.maximum(x - anchors[:, 0], anchors[:, 0] - x - w), 0)
        dy = np.maximum(np.maximum(y - anchors[:, 1], anchors[:, 1] - y - h), 0)
        assert np.min(np.hypot(dx, dy)) <= 6, ((x, y, w, h), anchors)


def canvas_image(page: Any) -> np.ndarray:
    png = page.query_selector(f"{W} canvas.pw-canvas").screenshot()
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def test_cluster_names_follow_the_zoom_and_density_lies_under_the_points(open_notebook):
    nb = open_notebook("explain_clusters.ipynb", [CELL])
    page = nb.page
    page.wait_for_selector(f'{W}[data-ready="1"]', timeout=60_000)
    page.query_selector(W).scroll_into_view_if_needed()
    if not page.is_visible(f"{W} .pw-panel"):
        page.click(f"{W} .pw-panel-toggle")
    # The panel's Map section: name clusters by the text column, find them (the kernel runs
    # w.cluster and the names switch on).
    page.select_option(f"{W} .pw-cluster-column", "text")
    page.click(f"{W} .pw-find-clusters")
    assert nb.wait_kernel("'cluster' in w.columns and w.show_clusters and w._clusters['column']")
    page.wait_for_function(
        f"() => document.querySelector('{W}').__pw.clusterBoxes().length >= 4", timeout=30_000
    )
    level_out, texts_out = check_names(page)
    assert level_out == 0 and len(texts_out) == 4, texts_out  # the four groups
    assert any("fruit" in t for t in texts_out)

    # Density: contours appear under the points; the points themselves stay on top.
    before = canvas_image(page)
    pos = np.asarray(hook(page, "Array.from(h.screenPositions())"), float).reshape(-1, 2)
    page.check(f"{W} .pw-show-density")
    assert nb.wait_kernel("w.show_density")
    page.wait_for_function(
        f"() => document.querySelector('{W}').__pw.densityCount() > 0", timeout=30_000
    )
    page.wait_for_timeout(300)  # the underlay is drawn with the next frame
    after = canvas_image(page)
    changed = np.abs(after - before).sum(axis=2) > 30
    assert changed.sum() > 500, changed.sum()
    centres = np.round(pos[::7]).astype(int)
    inside = (centres[:, 0] < before.shape[1]) & (centres[:, 1] < before.shape[0])
    xs, ys = centres[inside, 0], centres[inside, 1]
    same = np.abs(after[ys, xs] - before[ys, xs]).sum(axis=1) <= 12
    assert same.mean() > 0.9, same.mean()  # point centres keep their colour: drawn over

    # A new layout (the axes swapped): the names move with their anchor rows, no new clusters.
    rows = nb.kernel_json("[c['row'] for c in w._clusters['levels'][0]['clusters']]")
    old = hook(page, "h.clusterBoxes()")
    nb.kernel("w.pca(components=(1, 0))")
    page.wait_for_function(
        f"""(old) => {{
            const h = document.querySelector('{W}').__pw;
            const b = h.clusterBoxes();
            return !h.isAnimating() && b.length === old.length && JSON.stringify(b) !== JSON.stringify(old);
        }}""",
        arg=old,
        timeout=30_000,
    )
    moved = hook(page, "h.clusterBoxes()")
    pos = np.asarray(hook(page, "Array.from(h.screenPositions())"), float).reshape(-1, 2)
    assert_beside_anchors(moved, pos[rows])
    assert nb.kernel_json("w._clusters['stale']") is True
    page.wait_for_function(  # the contours are traced again for the new layout
        f"() => document.querySelector('{W}').__pw.densityCount() > 0", timeout=30_000
    )

    # Zoom in with the wheel over the first group: finer names.
    anchor = hook(page, "h.clusterBoxes()[0]")
    box = page.query_selector(f"{W} canvas.pw-canvas").bounding_box()
    page.mouse.move(box["x"] + anchor[0] + anchor[2] / 2, box["y"] + anchor[1] + anchor[3] / 2)
    for _ in range(2):
        page.mouse.wheel(0, -250)
        page.wait_for_timeout(200)
    page.wait_for_function(
        f"() => document.querySelector('{W}').__pw.clusterLevel() > 0", timeout=30_000
    )
    level_in, texts_in = check_names(page)
    assert level_in > level_out
    assert set(texts_in) != set(texts_out), texts_in

    # 3-D: no contours (their screen density would mix in depth).
    nb.kernel("w.dimensions = 3")
    page.wait_for_function(
        f"() => document.querySelector('{W}').__pw.densityCount() === 0", timeout=30_000
    )
    note = page.text_content(f"{W} .pw-explain-note") or ""
    assert "2-D" in note and "earlier layout" in note, note
    assert_density_says_2d_only(page)


def assert_density_says_2d_only(page) -> None:
    """Density asked for in a 3-D view is not silently off: the status line says so (it shows
    with the panel closed), and so does the checkbox's title."""
    status = page.text_content(f"{W} .pw-status") or ""
    assert status.endswith("· density contours: 2-D views only"), status
    title = page.eval_on_selector(f"{W} .pw-show-density", "el => el.closest('label').title")
    assert "2-D views only" in title, title


INK_JS = """([x, y, w, h]) => {
    const c = document.querySelector('.projector-widget canvas.pw-labels');
    const k = c.width / c.clientWidth;
    const d = c.getContext('2d').getImageData(x * k, y * k, w * k, h * k).data;
    let darkest = 255, brightest = 0;
    for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3] < 250) continue;  // opaque pixels: the text and its halo
        const v = (d[i] + d[i + 1] + d[i + 2]) / 3;
        darkest = Math.min(darkest, v);
        brightest = Math.max(brightest, v);
    }
    return [darkest, brightest];
}"""


def test_saved_page_names_clusters_legibly_in_either_theme(browser, tmp_path: Path):
    """A saved page keeps the names and contours; each name is text in the theme's ink over a
    halo of its background, in the light and the dark scheme."""
    ns: dict = {}
    exec(CELL.replace("\nw\n", "\n"), ns)
    w = ns["w"]
    w.cluster(column="text")
    w.show_clusters = w.show_density = True
    path = Path(w.save_html(tmp_path / "clusters.html")).resolve()
    for scheme in ("light", "dark"):
        ctx = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, color_scheme=scheme)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        page.goto(path.as_uri())
        page.wait_for_selector(f'{W}[data-ready="1"]', timeout=30_000)
        page.wait_for_function(
            f"() => {{ const h = document.querySelector('{W}').__pw;"
            " return h.clusterBoxes().length >= 4 && h.densityCount() > 0; }",
            timeout=30_000,
        )
        for box in hook(page, "h.clusterBoxes()"):
            darkest, brightest = page.evaluate(INK_JS, box)
            # Text and halo contrast: one near black, the other near white, either way round.
            assert darkest < 90 and brightest > 170, (scheme, darkest, brightest)
        assert not page.is_visible(f"{W} .pw-find-clusters")  # no kernel to find them
        assert not errors, errors
        ctx.close()


# Holds the kernel's clustering until the test sets _gate (the panel's request is then under way).
HOLD_CLUSTERS = """
import threading
from projector_widget.compute.explain import named as _explain
_gate, _started = threading.Event(), threading.Event()
_find = _explain.find_named_clusters
def _held(*args, **kwargs):
    _started.set()
    _gate.wait(300)
    return _find(*args, **kwargs)
_explain.find_named_clusters = _held
"""


def text_of(page: Any, selector: str) -> str:
    return page.evaluate(
        f"() => document.querySelector('{W} {selector}')?.textContent ?? ''",
    )


def test_find_clusters_and_check_layout_leave_the_kernel_free(open_notebook):
    nb = open_notebook("explain_background.ipynb", [CELL])
    page = nb.page
    page.wait_for_selector(f'{W}[data-ready="1"]', timeout=60_000)
    page.query_selector(W).scroll_into_view_if_needed()
    if not page.is_visible(f"{W} .pw-panel"):
        page.click(f"{W} .pw-panel-toggle")
    nb.kernel(HOLD_CLUSTERS)
    page.select_option(f"{W} .pw-cluster-column", "text")
    page.click(f"{W} .pw-find-clusters")
    assert nb.wait_kernel("_started.is_set()")
    # The clustering is under way and held, yet the kernel runs another cell...
    assert nb.kernel("print(1 + 1)").strip() == "2"
    # ...the status line says what it does, and a second request is refused with a reason.
    page.wait_for_function(
        f"() => document.querySelector('{W} .pw-status').textContent.includes('finding clusters')",
        timeout=30_000,
    )
    page.click(f"{W} .pw-check-layout")
    page.wait_for_function(
        f"() => document.querySelector('{W} .pw-error-text').textContent"
        ".includes('finding clusters is still running')",
        timeout=30_000,
    )
    assert page.is_visible(f"{W} .pw-error")
    assert hook(page, "h.clusterBoxes().length") == 0
    assert nb.kernel_json("'neighbours kept' in w.columns or 'cluster' in w.columns") is False
    # Released: the names appear on the map, and the status line no longer reports the work.
    nb.kernel("_gate.set()")
    page.wait_for_function(
        f"() => document.querySelector('{W}').__pw.clusterBoxes().length >= 4", timeout=60_000
    )
    assert any("fruit" in t for t in hook(page, "h.clusterTexts()"))
    assert nb.kernel_json("w.show_clusters and w._clusters['column']") == "text"
    page.wait_for_function(
        f"() => !document.querySelector('{W} .pw-status').textContent.includes('finding')",
        timeout=30_000,
    )

    # Check layout with k = 7: the kernel adds the column, the map is coloured by it, and the
    # panel shows the kernel's trustworthiness.
    page.fill(f"{W} .pw-quality-k", "7")
    page.click(f"{W} .pw-check-layout")
    assert nb.wait_kernel(
        "'neighbours kept' in w.columns and w.color_by == 'neighbours kept'", timeout=60
    )
    expected = nb.kernel_json(
        "(lambda r: [f'{r.trustworthiness:.3f}', f'{r.continuity:.3f}'])("
        "__import__('projector_widget.compute.explain.quality', fromlist=['q']).layout_quality(w.embeddings, w.coordinates, 7))"
    )
    page.wait_for_function(
        f"() => document.querySelector('{W} .pw-quality').textContent !== ''", timeout=30_000
    )
    shown = text_of(page, ".pw-quality")
    assert shown == (f"Trustworthiness {expected[0]} · continuity {expected[1]} (k = 7, exact)"), (
        shown
    )
    assert page.is_visible(f"{W} .pw-quality")
    page.wait_for_function(
        f"() => document.querySelector('{W} .pw-color-by').value === 'neighbours kept'",
        timeout=30_000,
    )
    assert not page.is_visible(f"{W} .pw-error")
    # A new layout: the panel says the scores belong to the one measured.
    nb.kernel("w.pca(components=(1, 0))")
    page.wait_for_function(
        f"() => document.querySelector('{W} .pw-explain-note').textContent"
        ".includes('Check layout again')",
        timeout=30_000,
    )


# scikit-learn's digits laid out as the clusters notebook does (openTSNE, 150 iterations, seed
# 0; tests/data/digits_tsne.npz, written by benchmarks/names.py), with the notebook's text.
DIGITS = """
import numpy as np
from pathlib import Path
from sklearn.datasets import load_digits
from projector_widget import Projector
digits = load_digits()
names = np.array('zero one two three four five six seven eight nine'.split())
ink = digits.data.sum(axis=1)
heavy = np.where(ink > np.median(ink), 'heavy', 'light')
description = [f'handwritten {names[t]}, {h} ink, sample {i}'
               for i, (t, h) in enumerate(zip(digits.target, heavy))]
layout = np.load(Path(DATA) / 'digits_tsne.npz')['layout'].astype(np.float32)
# A 2-D layout as the embeddings: its PCA is the t-SNE layout turned, islands and all.
w = Projector(layout, {'digit': names[digits.target], 'description': description},
              dimensions=2, height=520)
w.cluster(column='description')
w.show_clusters = w.show_density = True
"""


def test_digits_islands_are_all_named_and_ringed_apart(browser, tmp_path: Path):
    ns: dict = {"DATA": str(Path(__file__).parents[1] / "data")}
    exec(DIGITS, ns)
    w, target = ns["w"], ns["digits"].target
    path = Path(w.save_html(tmp_path / "digits.html")).resolve()
    ctx = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    page = ctx.new_page()
    page.goto(path.as_uri())
    page.wait_for_selector(f'{W}[data-ready="1"]', timeout=30_000)
    page.wait_for_function(
        f"() => {{ const h = document.querySelector('{W}').__pw;"
        " return h.clusterBoxes().length > 0 && h.densityCount() > 0; }",
        timeout=30_000,
    )
    page.wait_for_timeout(300)  # the contours of the settled frame
    texts = hook(page, "h.clusterTexts()")
    boxes = hook(page, "h.clusterBoxes()")
    pos = np.asarray(hook(page, "Array.from(h.screenPositions())"), float).reshape(-1, 2)
    # Each digit's island carries a name: a name's centre lies nearest a point of that digit.
    named = {
        int(target[np.nanargmin(np.hypot(pos[:, 0] - x - bw / 2, pos[:, 1] - y - bh / 2))])
        for x, y, bw, bh in boxes
    }
    assert named == set(range(10)), (sorted(named), texts)
    assert not any("handwritten" in t for t in texts), texts
    assert len(set(texts)) == len(texts), texts

    def rings() -> list[int]:
        return hook(page, "h.densityGroups()")

    # The contours ring the islands apart, at the first view and zoomed out three notches
    # (a fixed 18 px blur drew rings around the whole set there).
    for step in range(2):
        groups = rings()
        assert max(groups) >= 8, groups
        assert sum(g == 1 for g in groups) <= 2, groups  # not nested rings around everything
        if step == 0:
            box = page.query_selector(f"{W} canvas.pw-canvas").bounding_box()
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            before = json.dumps(groups)
            for _ in range(3):
                page.mouse.wheel(0, 250)
                page.wait_for_timeout(150)
            page.wait_for_function(
                f"(before) => {{ const h = document.querySelector('{W}').__pw;"
                " return JSON.stringify(h.densityGroups()) !== before && !h.isAnimating(); }",
                arg=before,
                timeout=30_000,
            )
            page.wait_for_timeout(400)  # traced again for the settled view
    ctx.close()
