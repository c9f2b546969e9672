"""The cross-filter chart in a real JupyterLab: bars and a histogram brushed as a person would."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
from harness import VIEWPORT
from PIL import Image

WIDGET = ".projector-widget"
CHART = f"{WIDGET} .pw-chart"

DATA = """
import numpy as np
from projector_widget import Projector
rng = np.random.default_rng(3)
n = 800
digit = rng.choice([str(d) for d in range(10)], n, p=np.r_[np.full(9, 0.09), 0.19])
ink = rng.normal(40, 12, n)
ink[rng.choice(n, 25, replace=False)] = np.nan
emb = rng.standard_normal((n, 16)) + (digit.astype(int)[:, None] == np.arange(16)) * 4
w = Projector(emb, {"digit": digit, "ink": ink, "note": [f"row {i}" for i in range(n)]}, dimensions=2)
events = []
w.observe(lambda change: events.append(len(change["new"])), "selected")
w
"""


def _bars(nb) -> list[dict]:
    """The chart's bars (category rows and histogram bins) as the DOM states them."""
    raw = nb.page.evaluate(
        f"""() => Array.from(document.querySelectorAll('{CHART} .pw-chart-bar, {CHART} .pw-chart-bin'),
              (el) => ({{...el.dataset, cls: el.className}}))"""
    )
    return list(raw)


def _wait_bars(nb, predicate_js: str) -> None:
    """Wait until the chart's bars satisfy `predicate_js` (a JS expression over `bars`, their datasets)."""
    nb.page.wait_for_function(
        f"""() => {{
          const bars = Array.from(document.querySelectorAll('{CHART} .pw-chart-bar, {CHART} .pw-chart-bin'),
            (el) => el.dataset);
          return bars.length > 0 && ({predicate_js});
        }}""",
        timeout=20_000,
    )


def test_chart_brushing_reaches_the_kernel_and_follows_the_selection(open_notebook):
    nb = open_notebook("charts.ipynb", [DATA])
    nb.page.wait_for_selector(f'{WIDGET}[data-ready="1"]', timeout=60_000)
    nb.page.query_selector(WIDGET).scroll_into_view_if_needed()
    digit = np.asarray(nb.kernel_json("w.metadata['digit'].tolist()"))
    ink = np.asarray(
        nb.kernel_json("[None if np.isnan(x) else x for x in w.metadata['ink']]"), dtype=float
    )

    # The toolbar's Chart button opens the chart on the first chartable column; Python reads it back.
    assert nb.page.is_hidden(CHART)
    nb.page.click(f"{WIDGET} .pw-chart-toggle")
    assert nb.wait_kernel("w.chart") == "digit"
    _assert_beside_the_map(nb)
    options = nb.page.eval_on_selector_all(
        f"{CHART} select.pw-chart-column option", "os => os.map(o => o.value)"
    )
    assert options == ["digit", "ink"]  # the text column carries no values to the browser
    _click_bars(nb, digit)
    _drag_bins(nb, digit, ink)

    # Closing the chart from the browser reads back in Python.
    nb.page.click(f"{CHART} .pw-chart-close")
    assert nb.wait_kernel("w.chart == ''")
    assert nb.page.is_hidden(CHART)


def _assert_beside_the_map(nb) -> None:
    """The chart covers no part of the map: the canvas (where points and their names are drawn,
    here every point's label) does not reach under it."""
    nb.kernel("w.label_by = 'note'")
    nb.page.wait_for_function(
        f"() => document.querySelector('{WIDGET}').__pw.labelCount() > 5", timeout=20_000
    )
    chart = nb.page.query_selector(CHART).bounding_box()
    canvas = nb.page.query_selector(f"{WIDGET} canvas.pw-canvas").bounding_box()
    overlap_x = min(chart["x"] + chart["width"], canvas["x"] + canvas["width"]) - max(
        chart["x"], canvas["x"]
    )
    overlap_y = min(chart["y"] + chart["height"], canvas["y"] + canvas["height"]) - max(
        chart["y"], canvas["y"]
    )
    assert overlap_x <= 0 or overlap_y <= 0, (chart, canvas)
    boxes = nb.page.evaluate(f"() => document.querySelector('{WIDGET}').__pw.labelBoxes()")
    for left, top, width, height in boxes:  # every name drawn lies on the canvas
        assert left >= 0 and top >= 0, (left, top)
        assert left + width <= canvas["width"] + 1 and top + height <= canvas["height"] + 1
    nb.kernel("w.label_by = ''")


def _click_bars(nb, digit: np.ndarray) -> None:
    """Bars of a category column: their counts, clicks select, a Python selection is counted."""
    bars = _bars(nb)
    counts = {b["label"]: int(b["all"]) for b in bars}
    assert counts == {d: int((digit == d).sum()) for d in np.unique(digit)}
    assert [int(b["all"]) for b in bars] == sorted(counts.values(), reverse=True)

    # A click on a bar selects exactly that category's rows, in one change of w.selected.
    nb.page.click(f'{CHART} .pw-chart-bar[data-label="3"]')
    want3 = np.flatnonzero(digit == "3")
    got = nb.wait_kernel("w.selected.tolist()")
    assert got == want3.tolist()
    assert nb.kernel_json("events") == [want3.size]
    _wait_bars(nb, f'bars.find((b) => b.label === "3").selected === "{want3.size}"')

    # Shift+click adds another category.
    nb.page.click(f'{CHART} .pw-chart-bar[data-label="9"]', modifiers=["Shift"])
    want = np.flatnonzero((digit == "3") | (digit == "9"))
    assert nb.wait_kernel(f"len(w.selected) == {want.size} and w.selected.tolist()")
    assert nb.kernel_json("w.selected.tolist()") == want.tolist()

    # A selection made in Python: the chart's selection bars count it.
    rows = np.arange(0, digit.size, 7)
    nb.kernel(f"w.selected = {json.dumps(rows.tolist())}")
    expect = {d: int((digit[rows] == d).sum()) for d in np.unique(digit)}
    _wait_bars(nb, f"bars.every((b) => String({json.dumps(expect)}[b.label]) === b.selected)")
    assert nb.page.inner_text(f"{CHART} .pw-chart-summary").startswith(
        f"{rows.size} of {digit.size:,} selected"
    )


def _drag_bins(nb, digit: np.ndarray, ink: np.ndarray) -> None:
    """Python opens the histogram of a number; a drag over bins 4..9 selects the rows in them."""
    nb.kernel("w.chart = 'ink'")
    nb.page.wait_for_selector(f"{CHART} .pw-chart-bin")
    bins = nb.page.query_selector_all(f"{CHART} .pw-chart-bin")
    assert len(bins) == 20
    finite = np.isfinite(ink)
    values = ink.astype(np.float32).astype(np.float64)  # what the browser holds
    lo, hi = values[finite].min(), values[finite].max()
    width = (hi - lo) / 20
    b = np.clip(np.floor((values[finite] - lo) / width), 0, 19).astype(int)
    assert [int(x["all"]) for x in _bars(nb) if "pw-chart-bin" in x["cls"]] == np.bincount(
        b, minlength=20
    ).tolist()
    nan_bar = nb.page.query_selector(f'{CHART} .pw-chart-bar[data-label="NaN"]')
    assert nan_bar is not None and nan_bar.get_attribute("data-all") == "25"

    start, end = bins[4].bounding_box(), bins[9].bounding_box()
    y = start["y"] + start["height"] / 2
    nb.page.mouse.move(start["x"] + start["width"] / 2, y)
    nb.page.mouse.down()
    nb.page.mouse.move(start["x"] + start["width"] * 2, y, steps=4)
    nb.page.mouse.move(end["x"] + end["width"] / 2, y, steps=4)
    nb.page.mouse.up()
    in_range = np.zeros(digit.size, bool)
    in_range[np.flatnonzero(finite)[(b >= 4) & (b <= 9)]] = True
    want = np.flatnonzero(in_range)
    assert 50 < want.size < 700
    assert (
        nb.wait_kernel(f"w.selected.tolist() if len(w.selected) == {want.size} else []")
        == want.tolist()
    )


def _colour(page, selector: str) -> tuple[int, ...]:
    """The median colour of an element as drawn (a screenshot of it)."""
    png = page.locator(selector).first.screenshot()
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3)
    return tuple(int(c) for c in np.median(img, axis=0))


def test_saved_page_charts_and_brushes_offline_in_either_theme(browser, tmp_path: Path):
    ns: dict = {}
    exec(DATA, ns)
    w = ns["w"]
    w.chart = "digit"
    path = Path(w.save_html(tmp_path / "chart.html")).resolve()
    digit = np.asarray(w.metadata["digit"])
    want3 = int((digit == "3").sum())
    looks = {}
    for scheme in ("light", "dark"):
        ctx = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, color_scheme=scheme)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        page.goto(path.as_uri())
        page.wait_for_selector(f'{WIDGET}[data-ready="1"]', timeout=30_000)
        assert page.is_visible(CHART)  # the saved w.chart opens it
        page.click(f'{CHART} .pw-chart-bar[data-label="3"]')
        page.wait_for_function(
            f"() => document.querySelector('{WIDGET}').__pw.selectedCount() === {want3}"
        )
        bar = f'{CHART} .pw-chart-bar[data-label="3"]'
        assert page.get_attribute(bar, "data-selected") == str(want3)
        looks[scheme] = (
            _colour(page, f"{CHART} .pw-chart-summary"),
            _colour(page, f"{bar} .pw-chart-sel"),
        )
        page.screenshot(path=str(tmp_path / f"chart-{scheme}.png"))
        assert not errors, errors
        ctx.close()
    (light_bg, light_sel), (dark_bg, dark_sel) = looks["light"], looks["dark"]
    assert sum(light_bg) > 600 and sum(dark_bg) < 200, looks  # the panel follows the theme
    assert light_sel not in (dark_sel, light_bg), looks  # the selection in each theme's accent
    assert dark_sel != dark_bg, looks
