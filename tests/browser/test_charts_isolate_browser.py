"""The cross-filter chart while a selection is isolated: it counts and selects the shown rows."""

from __future__ import annotations

import json

import numpy as np

WIDGET = ".projector-widget"
CHART = f"{WIDGET} .pw-chart"

DATA = """
import numpy as np
from projector_widget import Projector
rng = np.random.default_rng(5)
n = 600
digit = rng.choice([str(d) for d in range(10)], n)
w = Projector(rng.standard_normal((n, 8)), {"digit": digit}, dimensions=2)
w
"""


def _wait_bars(nb, predicate_js: str) -> None:
    nb.page.wait_for_function(
        f"""() => {{
          const bars = Array.from(document.querySelectorAll('{CHART} .pw-chart-bar'), (el) => el.dataset);
          return bars.length > 0 && ({predicate_js});
        }}""",
        timeout=20_000,
    )


def test_the_chart_counts_and_selects_only_the_isolated_rows(open_notebook):
    nb = open_notebook("charts_isolate.ipynb", [DATA])
    nb.page.wait_for_selector(f'{WIDGET}[data-ready="1"]', timeout=60_000)
    nb.page.query_selector(WIDGET).scroll_into_view_if_needed()
    digit = np.asarray(nb.kernel_json("w.metadata['digit'].tolist()"))
    nb.kernel("w.chart = 'digit'")
    every = {d: int((digit == d).sum()) for d in np.unique(digit)}
    _wait_bars(nb, f"bars.every((b) => String({json.dumps(every)}[b.label]) === b.all)")

    shown = np.arange(0, digit.size, 3)  # a third of the rows, isolated
    nb.kernel(f"w.isolate({json.dumps(shown.tolist())})")
    counts = {d: int((digit[shown] == d).sum()) for d in np.unique(digit[shown])}
    _wait_bars(nb, f"bars.every((b) => String({json.dumps(counts)}[b.label]) === b.all)")
    summary = nb.page.inner_text(f"{CHART} .pw-chart-summary")
    assert summary.startswith(f"{shown.size} shown points"), summary

    # A click on a bar selects that category's shown rows only, as a lasso would.
    nb.page.click(f'{CHART} .pw-chart-bar[data-label="7"]')
    want = shown[digit[shown] == "7"]
    assert nb.wait_kernel(f"len(w.selected) == {want.size} and w.selected.tolist()")
    assert nb.kernel_json("w.selected.tolist()") == want.tolist()
    nb.page.wait_for_function(
        f"() => document.querySelector('{CHART} .pw-chart-summary').innerText"
        f".startsWith('{want.size} of {shown.size} shown points selected')",
        timeout=20_000,
    )
