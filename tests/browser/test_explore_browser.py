"""Issue 3 in a real JupyterLab: the exploration tools a person uses in the widget."""

from __future__ import annotations

import base64
import io
import time

import numpy as np
import pytest
from PIL import Image

W = ".projector-widget"

SETUP = """
import numpy as np
from projector_widget import Projector
rng = np.random.default_rng(0)
words = ["man", "woman", "king", "queen", "boy", "girl"] + [f"w{i}" for i in range(2994)]
centers = rng.standard_normal((5, 24)) * 4
group = rng.integers(0, 5, 3000)
emb = (centers[group] + rng.standard_normal((3000, 24))).astype("float32")
emb[1, 0] += 30; emb[3, 0] += 30; emb[5, 0] += 30
vocab = dict(zip(words, emb))
images = (rng.random((3000, 8, 8)) * 255).astype("uint8")
images[:, :4, :4] = 255
w = Projector(emb, {"word": words, "group": [f"g{g}" for g in group], "kind": ["common"] * 3000},
              dimensions=2, images=images, encoder=lambda texts: np.stack([vocab[t] for t in texts]))
w.show_images = False
w
"""


@pytest.fixture(scope="module")
def nb(open_notebook):
    page = open_notebook("explore.ipynb", [SETUP])
    page.page.wait_for_selector(f'{W}[data-ready="1"]', timeout=60_000)
    page.page.query_selector(W).scroll_into_view_if_needed()
    panel = page.page.query_selector(f"{W} .pw-panel")
    if panel is None or not panel.is_visible():
        page.page.click(f"{W} .pw-panel-toggle")
    return page


@pytest.fixture(autouse=True)
def reset(nb):
    nb.kernel(
        "w.stop(); w.show_all(); w.selected = []; w.focus = -1; w.label_by = ''; "
        "w.show_images = False; w.project('pca')"
    )
    nb.page.wait_for_function(f"() => !document.querySelector('{W}').__pw.isAnimating()")
    yield


def hook(nb, expr: str):
    return nb.page.evaluate(f"() => document.querySelector('{W}').__pw.{expr}")


def positions(nb) -> np.ndarray:
    flat = nb.page.evaluate(
        f"() => Array.from(document.querySelector('{W}').__pw.screenPositions())"
    )
    return np.asarray(flat, dtype=float).reshape(-1, 2)


def click_point(nb, i: int, shift: bool = False) -> None:
    box = nb.page.query_selector(f"{W} canvas.pw-canvas").bounding_box()
    p = positions(nb)[i]
    if shift:
        nb.page.keyboard.down("Shift")
    nb.page.mouse.click(box["x"] + p[0], box["y"] + p[1])
    if shift:
        nb.page.keyboard.up("Shift")


def isolated_point(nb) -> int:
    """A point with no other point within 6 px on screen, so a click cannot hit a neighbour."""
    p = positions(nb)
    box = nb.page.query_selector(f"{W} canvas.pw-canvas").bounding_box()
    ok = (
        (p[:, 0] > 40)
        & (p[:, 0] < box["width"] - 260)
        & (p[:, 1] > 40)
        & (p[:, 1] < box["height"] - 40)
    )
    for i in np.flatnonzero(ok):
        d = np.linalg.norm(p - p[i], axis=1)
        d[i] = np.inf
        if d.min() > 6:
            return int(i)
    raise AssertionError("no isolated point on screen")


def test_search_box_selects_matches(nb):
    nb.page.select_option(f"{W} .pw-search-column", "word")
    nb.page.fill(f"{W} .pw-search", "^(king|queen)$")
    nb.page.check(f"{W} .pw-search-regex")
    nb.page.press(f"{W} .pw-search", "Enter")
    assert nb.wait_kernel("w.selected.tolist()") == [2, 3]
    nb.page.wait_for_selector(f"{W} .pw-search-count:has-text('2')")
    nb.page.uncheck(f"{W} .pw-search-regex")


def test_inspector_lists_neighbours_and_moves_focus(nb):
    i = isolated_point(nb)
    click_point(nb, i)
    assert nb.wait_kernel(f"w.focus == {i}")
    nb.page.wait_for_function(
        f"() => document.querySelectorAll('{W} .pw-inspector .pw-neighbor').length === 10"
    )
    shown = nb.page.eval_on_selector_all(
        f"{W} .pw-inspector .pw-neighbor", "els => els.map(e => Number(e.dataset.index))"
    )
    assert shown == nb.kernel_json(f"w.nearest({i}, k=10)[0].tolist()")
    assert hook(nb, "neighborCount()") == 10
    # Each neighbour says which row it is, its text (the first text column) and its colour value,
    # as text: not ten rows of one group's name.
    rows = nb.page.eval_on_selector_all(
        f"{W} .pw-inspector .pw-neighbor",
        """els => els.map(e => [e.children.length,
            ...['id', 'label', 'color'].map(k => e.querySelector('.pw-neighbor-' + k).textContent)])""",
    )
    meta = nb.kernel_json(f"w.metadata.iloc[{shown}][['word', 'group']].values.tolist()")
    assert nb.kernel_json("w.color_by") == "group"
    assert rows == [[4, f"#{r}", word, group] for r, (word, group) in zip(shown, meta, strict=True)]
    nb.page.fill(f"{W} .pw-k", "5")
    nb.page.press(f"{W} .pw-k", "Enter")
    assert nb.wait_kernel("w.k_neighbors == 5")
    nb.page.wait_for_function(
        f"() => document.querySelectorAll('{W} .pw-inspector .pw-neighbor').length === 5"
    )
    nb.page.click(f"{W} .pw-inspector .pw-neighbor >> nth=0")
    assert nb.wait_kernel(f"w.focus == {shown[0]}")
    nb.kernel("w.k_neighbors = 10")


def test_tsne_streams_while_ui_and_kernel_respond_and_pause_works(nb):
    nb.page.select_option(f"{W} .pw-method", "tsne")
    nb.page.fill(f"{W} .pw-iterations", "5000")
    nb.page.fill(f"{W} .pw-perplexity", "30")
    frame0 = int(nb.page.get_attribute(W, "data-frame"))
    nb.page.click(f"{W} .pw-run")
    nb.wait_kernel(
        "w._progress.get('state') == 'running' and w._progress.get('iteration', 0) >= 20",
        timeout=60,
    )
    # Live frames keep arriving and being drawn.
    p1 = positions(nb)
    nb.page.wait_for_timeout(1500)
    p2 = positions(nb)
    assert np.nanmax(np.abs(p2 - p1)) > 0.5, "the layout should move between streamed frames"
    assert int(nb.page.get_attribute(W, "data-frame")) > frame0
    # The kernel answers while t-SNE runs ...
    t = time.monotonic()
    assert nb.kernel("print(1 + 1)").strip() == "2"
    assert time.monotonic() - t < 5
    # ... and so does the UI: pause from the button.
    nb.page.wait_for_selector(f"{W} .pw-progress:has-text('/')")
    nb.page.click(f"{W} .pw-pause")
    nb.wait_kernel("w._progress['state'] == 'paused'")
    it = nb.kernel_json("w.job.iteration")
    nb.page.wait_for_timeout(800)
    assert nb.kernel_json("w.job.iteration") == it
    nb.page.click(f"{W} .pw-pause")  # resume
    nb.wait_kernel(f"w.job.iteration > {it}")
    nb.page.click(f"{W} .pw-stop")
    nb.wait_kernel("w._progress['state'] == 'stopped'")
    assert hook(nb, "projection()") == "tsne"


def test_pca_component_pickers_show_variance(nb):
    options = nb.page.eval_on_selector_all(
        f"{W} .pw-pc-x option", "els => els.map(e => e.textContent)"
    )
    assert len(options) == 10 and options[0].startswith("PC1") and "%" in options[0]
    nb.page.select_option(f"{W} .pw-pc-x", "2")
    assert nb.wait_kernel("w.projection_params['components'][0] == 2")


def test_label_edit_from_ui_reaches_python(nb):
    nb.kernel("w.selected = [1, 2]")
    nb.page.wait_for_selector(f"{W} .pw-status:has-text('2 selected')")
    nb.page.select_option(f"{W} .pw-edit-column", "kind")
    nb.page.fill(f"{W} .pw-edit-value", "edited")
    nb.page.click(f"{W} .pw-edit-apply")
    assert nb.wait_kernel("list(w.metadata['kind'][:4])") == [
        "common",
        "edited",
        "edited",
        "common",
    ]


def test_labels_are_drawn_and_never_overlap(nb):
    nb.page.select_option(f"{W} .pw-label-by", "word")
    assert nb.wait_kernel("w.label_by == 'word'")
    nb.kernel("w.selected = list(range(0, 3000, 7))")
    nb.page.wait_for_function(f"() => document.querySelector('{W}').__pw.labelCount() > 5")
    boxes = hook(nb, "labelBoxes()")
    assert len(boxes) == hook(nb, "labelCount()") > 5
    for a in range(len(boxes)):
        for b in range(a + 1, len(boxes)):
            ax, ay, aw, ah = boxes[a]
            bx, by, bw, bh = boxes[b]
            assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay


def test_isolate_and_show_all(nb):
    nb.kernel("w.selected = list(range(100, 400))")
    nb.page.wait_for_selector(f"{W} .pw-status:has-text('300 selected')")
    nb.page.click(f"{W} .pw-isolate")
    assert nb.wait_kernel("w._isolated")
    nb.page.wait_for_function(
        f"() => Array.from(document.querySelector('{W}').__pw.screenPositions()).filter(Number.isNaN).length === 2 * 2700"
    )
    assert nb.page.inner_text(f"{W} .pw-isolate").lower().startswith("show all")
    nb.page.click(f"{W} .pw-isolate")
    assert nb.wait_kernel("not w._isolated")


def test_bookmark_save_and_restore(nb):
    nb.kernel("w.selected = [10, 11, 12]")
    nb.page.wait_for_selector(f"{W} .pw-status:has-text('3 selected')")
    nb.page.fill(f"{W} .pw-bookmark-name", "three <b>points</b>")
    nb.page.click(f"{W} .pw-bookmark-save")
    nb.page.wait_for_selector(f"{W} .pw-bookmark")
    assert "three <b>points</b>" in nb.page.inner_text(f"{W} .pw-bookmark")
    nb.kernel("w.selected = []; w.color_by = 'kind'")
    nb.page.click(f"{W} .pw-bookmark >> nth=0")
    assert nb.wait_kernel("w.selected.tolist()") == [10, 11, 12]
    assert nb.kernel_json("w.color_by") == "group"
    nb.kernel("w.delete_bookmark('three <b>points</b>')")


def test_sprites_toggle_draws_thumbnails(nb):
    canvas = nb.page.query_selector(f"{W} canvas.pw-canvas")
    dots = np.asarray(Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")).astype(int)
    nb.page.click(f"{W} .pw-images")
    assert nb.wait_kernel("w.show_images")
    nb.page.wait_for_timeout(400)
    sprites = np.asarray(Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")).astype(int)
    assert np.abs(sprites - dots).sum(axis=2).astype(bool).sum() > 2000

    # The thumbnails are grey noise: unsaturated mid-grey pixels appear that dots never draw.
    def greys(img):
        spread = img.max(axis=2) - img.min(axis=2)
        level = img.mean(axis=2)
        return int(((spread < 12) & (level > 40) & (level < 200)).sum())

    assert greys(sprites) > greys(dots) + 1000, (greys(sprites), greys(dots))


def test_png_export_and_semantic_query(nb):
    url = nb.page.evaluate(f"() => document.querySelector('{W}').__pw.exportPNG()")
    assert url.startswith("data:image/png;base64,")
    img = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert img.width > 200 and img.height > 200
    nb.page.fill(f"{W} .pw-query", "queen")
    nb.page.press(f"{W} .pw-query", "Enter")
    nb.page.wait_for_selector(f"{W} .pw-inspector .pw-neighbor")
    first = nb.page.get_attribute(f"{W} .pw-inspector .pw-neighbor >> nth=0", "data-index")
    assert int(first) == 3
    assert nb.kernel_json("w._neighbors['query']") == "queen"


def test_follows_jupyterlab_dark_theme(nb):
    canvas = nb.page.query_selector(f"{W} canvas.pw-canvas")
    light = np.median(np.asarray(Image.open(io.BytesIO(canvas.screenshot())).convert("L")))
    nb.page.evaluate(
        "() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})"
    )
    nb.page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
    nb.page.wait_for_timeout(800)
    dark = np.median(np.asarray(Image.open(io.BytesIO(canvas.screenshot())).convert("L")))
    nb.page.evaluate(
        "() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})"
    )
    assert light > 180 and dark < 80, (light, dark)
