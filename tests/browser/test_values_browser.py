"""Values in a real browser: a missing value shows as missing, not as an empty string, and
untrusted text (a column name, a value) stays text, in JupyterLab and in a saved page."""

from __future__ import annotations

from pathlib import Path

from harness import VIEWPORT

W = ".projector-widget"
HOSTILE = '<img src=x onerror="window.__pwned=1">'
MISSING_ROW = 5

CELL = f"""
import numpy as np
from projector_widget import Projector
gx, gy = np.meshgrid(np.arange(4) * 1.0, np.arange(3) * 1.0)
emb = np.c_[gx.ravel(), gy.ravel(), np.zeros(12)]
city = ["Paris"] * 12
city[{MISSING_ROW}] = None
note = ["n"] * 12
note[{MISSING_ROW}] = ""
meta = {{"city": city, "note": note, {HOSTILE!r}: [{HOSTILE!r}] * 12}}
w = Projector(emb, meta, dimensions=2, point_size=14)
"""

#: What the tooltip's cells must read: [key text, value text, value class, value title].
EXPECTED = [
    ["city", "\u2014", "pw-tooltip-value pw-tooltip-missing", "missing"],
    ["note", "", "pw-tooltip-value", ""],
    [HOSTILE, HOSTILE, "pw-tooltip-value", ""],
]

READ_TOOLTIP = """(sel) => {
  const cells = Array.from(document.querySelectorAll(sel + ' .pw-tooltip-table > div'));
  const rows = [];
  for (let i = 0; i + 1 < cells.length; i += 2) {
    const v = cells[i + 1];
    rows.push([cells[i].textContent, v.textContent, v.className, v.getAttribute('title') || '']);
  }
  return rows;
}"""


def _hover_missing_row(page) -> list[list[str]]:
    """Rest the pointer on the row with the missing value; returns the tooltip's cells."""
    page.wait_for_selector(f'{W}[data-ready="1"]', timeout=60_000)
    page.query_selector(W).scroll_into_view_if_needed()
    pos = page.evaluate(f"() => Array.from(document.querySelector('{W}').__pw.screenPositions())")
    box = page.query_selector(f"{W} canvas.pw-canvas").bounding_box()
    x, y = pos[2 * MISSING_ROW], pos[2 * MISSING_ROW + 1]
    page.mouse.move(box["x"] + x, box["y"] + y)
    page.wait_for_selector(
        f"{W} .pw-tooltip:has-text('#{MISSING_ROW}') .pw-tooltip-missing", timeout=15_000
    )
    return page.evaluate(READ_TOOLTIP, W)


def _assert_text_only(page) -> None:
    assert page.query_selector(f"{W} img") is None
    assert page.evaluate("() => window.__pwned === undefined")


def test_tooltip_in_jupyterlab_tells_missing_from_empty_and_keeps_text_as_text(open_notebook):
    nb = open_notebook("values_tooltip.ipynb", [CELL + "w\n"])
    assert _hover_missing_row(nb.page) == EXPECTED
    _assert_text_only(nb.page)


def test_saved_page_tooltip_and_search_tell_missing_from_empty(browser, tmp_path: Path):
    from projector_widget import Projector

    ns: dict = {}
    exec(CELL, ns)
    w: Projector = ns["w"]
    path = w.save_html(tmp_path / "values.html")
    ctx = browser.new_context(viewport=VIEWPORT)
    # Nothing outside the page itself may load (an <img src=x> would try).
    ctx.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(("file://", "blob:", "data:"))
            else route.abort()
        ),
    )
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(Path(path).resolve().as_uri())
    assert _hover_missing_row(page) == EXPECTED
    _assert_text_only(page)
    # Search: "^$" finds the empty note, never the missing city.
    panel = page.query_selector(f"{W} .pw-panel")
    if panel is None or not panel.is_visible():
        page.click(f"{W} .pw-panel-toggle")
    page.check(f"{W} .pw-search-regex")
    for column, count in (("note", 1), ("city", 0)):
        page.select_option(f"{W} .pw-search-column", column)
        page.fill(f"{W} .pw-search", "^$")
        page.press(f"{W} .pw-search", "Enter")
        page.wait_for_function(
            f"() => document.querySelector('{W}').__pw.selectedCount() === {count}",
            timeout=10_000,
        )
        page.wait_for_selector(f"{W} .pw-status:has-text('{count} selected')", timeout=10_000)
    assert not errors, errors
    ctx.close()
