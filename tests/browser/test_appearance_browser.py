"""Colour maps, palettes, opacity and sizes in a real JupyterLab (and a saved page): set from
Python they change the pixels of known points; set in the side panel they reach Python."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from harness import VIEWPORT
from PIL import Image

W = ".projector-widget"

# Twelve points in a thin band across the middle of the canvas (clear of the legend in the top
# right corner), far enough apart that the largest size never touches a neighbour.
CELL = """
import numpy as np
from projector_widget import Projector
x = np.arange(12.0)
emb = np.c_[x, 0.4 * (x % 2), np.zeros(12)]
meta = {"value": x, "group": [f"g{i % 3}" for i in range(12)]}
w = Projector(emb, meta, color_by="value", dimensions=2, point_size=12)
"""

# d3-scale-chromatic's colours at the ends of its maps and the first of its palettes.
VIRIDIS = {0: (0x44, 0x01, 0x54), 1: (0xFD, 0xE7, 0x25)}
MAGMA = {0: (0x00, 0x00, 0x04), 1: (0xFC, 0xFD, 0xBF)}
PROJECTOR20 = {(0x1F, 0x77, 0xD4), (0xF2, 0x8E, 0x1C), (0x2C, 0xA0, 0x2C)}
SET1 = {(0xE4, 0x1A, 0x1C), (0x37, 0x7E, 0xB8), (0x4D, 0xAF, 0x4A)}


class View:
    """The widget on a page (JupyterLab's or a saved one), read through pixels and its test hook."""

    def __init__(self, page: Any) -> None:
        self.page = page
        page.wait_for_selector(f'{W}[data-ready="1"]', timeout=60_000)
        page.query_selector(W).scroll_into_view_if_needed()
        flat = page.evaluate(
            f"() => Array.from(document.querySelector('{W}').__pw.screenPositions())"
        )
        self.pos = np.asarray(flat, dtype=float).reshape(-1, 2)
        assert np.isfinite(self.pos).all()
        order = np.argsort(self.pos[:, 0])
        # The two ends of the band: the smallest and the largest value (PCA may flip the axis).
        self.ends = (int(order[0]), int(order[-1]))

    def image(self) -> np.ndarray:
        png = self.page.query_selector(f"{W} canvas.pw-canvas").screenshot()
        return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)

    def colour(self, img: np.ndarray, row: int) -> tuple[int, ...]:
        x, y = np.round(self.pos[row]).astype(int)
        return tuple(int(c) for c in img[y, x])

    def diameter(self, img: np.ndarray, row: int) -> int:
        """Width in px of the run of the point's own colour through its centre (a point is a
        disc of one colour)."""
        x, y = np.round(self.pos[row]).astype(int)
        same = np.abs(img[y] - img[y, x]).sum(axis=1) <= 12
        left = x
        while left > 0 and same[left - 1]:
            left -= 1
        right = x
        while right < len(same) - 1 and same[right + 1]:
            right += 1
        return right - left + 1

    def until(self, measure: Callable[[np.ndarray], Any], ok: Callable[[Any], bool]) -> Any:
        """Poll the canvas until ``ok(measure(image))`` (the change reaches the page and is
        drawn asynchronously); returns the last measurement."""
        deadline = time.monotonic() + 20
        while True:
            value = measure(self.image())
            if ok(value) or time.monotonic() > deadline:
                return value
            self.page.wait_for_timeout(100)

    def open_panel(self) -> None:
        panel = self.page.query_selector(f"{W} .pw-panel")
        if panel is None or not panel.is_visible():
            self.page.click(f"{W} .pw-panel-toggle")
        self.page.wait_for_selector(f"{W} .pw-panel", state="visible")


def near(a: tuple[int, ...], b: tuple[int, ...], tol: int = 8) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def test_python_settings_change_the_pixels(open_notebook):
    nb = open_notebook("appearance_pixels.ipynb", [CELL + "w\n"])
    v = View(nb.page)
    lo, hi = v.ends

    def ends(img):
        return v.colour(img, lo), v.colour(img, hi)

    # The default colour map, viridis: dark purple at the minimum, yellow at the maximum.
    got = v.until(ends, lambda c: near(c[0], VIRIDIS[0]) and near(c[1], VIRIDIS[1]))
    assert near(got[0], VIRIDIS[0]) and near(got[1], VIRIDIS[1]), got

    nb.kernel("w.color_map = 'Magma'")
    got = v.until(ends, lambda c: near(c[0], MAGMA[0]) and near(c[1], MAGMA[1]))
    assert near(got[0], MAGMA[0]) and near(got[1], MAGMA[1]), got
    assert nb.kernel_json("w.color_map") == "magma"

    nb.kernel("w.color_map = 'magma_r'")  # reversed: the ends swap
    got = v.until(ends, lambda c: near(c[0], MAGMA[1]) and near(c[1], MAGMA[0]))
    assert near(got[0], MAGMA[1]) and near(got[1], MAGMA[0]), got
    gradient = nb.page.eval_on_selector(f"{W} .pw-gradient", "el => el.style.background")
    assert gradient.startswith("linear-gradient(to right, rgb(252, 253, 191)"), gradient

    # Categories: the default palette, then Set1, on the first three points (one per group).
    nb.kernel("w.color_by = 'group'")
    first3 = [int(i) for i in np.argsort(v.pos[:, 0])[:3]]

    def groups(img):
        return {v.colour(img, i) for i in first3}

    got = v.until(groups, lambda c: c == PROJECTOR20)
    assert got == PROJECTOR20, got
    nb.kernel("w.palette = 'Set1'")
    got = v.until(groups, lambda c: c == SET1)
    assert got == SET1, got
    swatches = nb.page.eval_on_selector_all(
        f"{W} .pw-legend .pw-swatch", "els => els.map((e) => e.style.background)"
    )
    assert swatches == ["rgb(228, 26, 28)", "rgb(55, 126, 184)", "rgb(77, 175, 74)"]

    # Opacity: a point over the background shows 30 % of its colour.
    img = v.image()
    background = np.median(img.reshape(-1, 3), axis=0)
    solid = v.colour(img, lo)
    nb.kernel("w.opacity = 0.3")
    want = tuple(int(round(0.3 * c + 0.7 * b)) for c, b in zip(solid, background, strict=True))
    got = v.until(lambda img: v.colour(img, lo), lambda c: near(c, want, 6))
    assert near(got, want, 6), (got, want, solid)
    assert nb.page.eval_on_selector(f"{W} .pw-legend .pw-swatch", "e => e.style.opacity") == "0.3"

    # Sizes follow the value: 0.5x the point size at the minimum, 2.5x at the maximum.
    nb.kernel("w.opacity = 1; w.size_by = 'value'")
    got = v.until(
        lambda img: (v.diameter(img, lo), v.diameter(img, hi)),
        lambda d: abs(d[0] - 6) <= 2 and abs(d[1] - 30) <= 2,
    )
    assert abs(got[0] - 6) <= 2 and abs(got[1] - 30) <= 2, got
    nb.kernel("w.size_range = (1.5, 0.5)")  # downward: the maximum is now the smaller one
    got = v.until(
        lambda img: (v.diameter(img, lo), v.diameter(img, hi)),
        lambda d: abs(d[0] - 18) <= 2 and abs(d[1] - 6) <= 2,
    )
    spacing = np.ptp(v.pos[:, 0]) / 11
    assert abs(got[0] - 18) <= 2 and abs(got[1] - 6) <= 2, (got, spacing)


def test_panel_controls_set_the_traits(open_notebook):
    nb = open_notebook("appearance_panel.ipynb", [CELL + "w\n"])
    v = View(nb.page)
    v.open_panel()
    page = nb.page
    # Colouring by a number: the colour map applies, not the palette.
    assert page.is_visible(f"{W} .pw-color-map") and not page.is_visible(f"{W} .pw-palette")
    offered = page.eval_on_selector_all(
        f"{W} .pw-color-map option", "els => els.map((e) => e.value)"
    )
    assert offered == nb.kernel_json("[m['name'] for m in w._spec['appearance']['color_maps']]")
    assert "viridis" in offered and "rdbu" in offered

    page.select_option(f"{W} .pw-color-map", "plasma")
    assert nb.wait_kernel("w.color_map == 'plasma'")
    page.check(f"{W} .pw-color-map-reversed")
    assert nb.wait_kernel("w.color_map == 'plasma_r'")
    assert nb.kernel_json("w.color_map") == "plasma_r"
    # ... and the points show it: the maximum is plasma's dark end.
    lo, hi = v.ends
    dark = (0x0D, 0x08, 0x87)
    got = v.until(lambda img: v.colour(img, hi), lambda c: near(c, dark))
    assert near(got, dark), got

    # Python -> panel.
    nb.kernel("w.color_map = 'cividis'")
    page.wait_for_function(
        f"() => document.querySelector('{W} .pw-color-map').value === 'cividis'"
        f" && !document.querySelector('{W} .pw-color-map-reversed').checked"
    )

    # Colouring by a category: the palette applies.
    nb.kernel("w.color_by = 'group'")
    page.wait_for_selector(f"{W} .pw-palette", state="visible")
    assert not page.is_visible(f"{W} .pw-color-map")
    page.select_option(f"{W} .pw-palette", "dark2")
    assert nb.wait_kernel("w.palette == 'dark2'")

    page.fill(f"{W} .pw-opacity", "0.4")  # a range input: fill sets it and fires change
    assert nb.wait_kernel("w.opacity == 0.4")
    page.fill(f"{W} .pw-point-size", "9")
    page.press(f"{W} .pw-point-size", "Tab")
    assert nb.wait_kernel("w.point_size == 9")

    assert not page.is_visible(f"{W} .pw-size-min")
    page.select_option(f"{W} .pw-size-by", "value")
    assert nb.wait_kernel("w.size_by == 'value'")
    page.wait_for_selector(f"{W} .pw-size-min", state="visible")
    page.fill(f"{W} .pw-size-min", "1.5")
    page.press(f"{W} .pw-size-min", "Tab")
    assert nb.wait_kernel("w.size_range == (1.5, 2.5)")
    page.fill(f"{W} .pw-size-max", "500")  # beyond the limit: clamped, never refused
    page.press(f"{W} .pw-size-max", "Tab")
    assert nb.wait_kernel("w.size_range == (1.5, 32.0)")
    # The smallest value's point is now 1.5 x 9 px wide.
    got = v.until(lambda img: v.diameter(img, lo), lambda d: abs(d - 13.5) <= 2)
    assert abs(got - 13.5) <= 2, got
    page.select_option(f"{W} .pw-size-by", "")
    assert nb.wait_kernel("w.size_by == ''")


def test_saved_page_draws_the_saved_look(browser, tmp_path: Path):
    ns: dict = {}
    exec(CELL, ns)
    w = ns["w"]
    w.color_map, w.opacity, w.size_by, w.size_range = "magma_r", 0.5, "value", (1, 2)
    path = w.save_html(tmp_path / "look.html")
    ctx = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(Path(path).resolve().as_uri())
    v = View(page)
    lo, hi = v.ends
    img = v.image()
    background = np.median(img.reshape(-1, 3), axis=0)
    for row, end in ((lo, MAGMA[1]), (hi, MAGMA[0])):
        want = tuple(int(round(0.5 * c + 0.5 * b)) for c, b in zip(end, background, strict=True))
        assert near(v.colour(img, row), want, 6), (row, v.colour(img, row), want)
    assert abs(v.diameter(img, lo) - 12) <= 2 and abs(v.diameter(img, hi) - 24) <= 2
    # The panel offers the same choices offline, and a change there redraws.
    v.open_panel()
    assert page.eval_on_selector(f"{W} .pw-color-map", "e => e.value") == "magma"
    assert page.is_checked(f"{W} .pw-color-map-reversed")
    page.uncheck(f"{W} .pw-color-map-reversed")
    want = tuple(int(round(0.5 * c + 0.5 * b)) for c, b in zip(MAGMA[0], background, strict=True))
    got = v.until(lambda img: v.colour(img, lo), lambda c: near(c, want, 6))
    assert near(got, want, 6), (got, want)
    assert not errors, errors
    ctx.close()
