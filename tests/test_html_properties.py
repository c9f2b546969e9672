"""Property-based: arbitrary widget states through save_html.

Whatever the labels hold (script tags, quotes, unicode, tabs), the page parses, nothing in the
data can end its script element, and the embedded state reads back as the widget's: points,
selection, every column's text with missing values marked.
"""

from __future__ import annotations

import base64
import json
import re

import decoders
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from projector_widget import Projector

HOSTILE = ["</script><script>window.__pwned=1</script>", "<!--", "]]>", "\u2028", "&amp;", "\"'"]
HOSTILE += ["caf\udce9.png", "half \ud83d"]  # not valid Unicode (os.listdir's surrogates)
label = st.one_of(st.none(), st.text(max_size=10), st.sampled_from(HOSTILE))


@st.composite
def widgets(draw: st.DrawFn) -> Projector:
    n = draw(st.integers(1, 30))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((n, draw(st.integers(1, 5))))
    names = draw(st.lists(st.text(min_size=1, max_size=6), max_size=3, unique=True))
    meta = {name: draw(st.lists(label, min_size=n, max_size=n)) for name in names} or None
    w = Projector(x, meta, dimensions=draw(st.sampled_from([2, 3])))
    w.selected = draw(st.sets(st.integers(0, n - 1)))
    w.focus = draw(st.integers(-1, n - 1))
    if names:
        w.label_by = draw(st.sampled_from(["", *names]))
    if draw(st.booleans()) and len(w.selected):
        w.isolate()
    if draw(st.booleans()):
        w.camera = {"dims": 2, "center": [0.5, -1.0], "zoom": draw(st.floats(0.01, 100))}
    return w


def _payload(page: str) -> dict:
    match = re.search(
        r'<script type="application/json" id="pw-data-\w+">(.*?)</script>', page, re.S
    )
    assert match, "the data script is missing or was cut short"
    return json.loads(match.group(1))


def _b64(value: dict) -> bytes:
    return base64.b64decode(value["$b64"])


@given(w=widgets())
def test_any_state_saves_to_a_page_that_reads_back(w):
    page = w.to_html(title="</title><script>x</script>")
    head, _, _ = page.partition('<script type="text/plain"')
    # Exactly the page's own scripts: the data cannot open or close one.
    assert head.count("</script>") == 1
    body = head[head.index('type="application/json"') :].split(">", 1)[1]
    assert "<" not in body.removesuffix("</script>\n")  # every "<" in the data is escaped
    data = _payload(page)
    state = data["state"]
    assert state["_standalone"] is True and state["_spec"]["methods"]
    sel = np.frombuffer(_b64(state["selected"]["indices"]), "<u4")
    assert sel.tolist() == w.selected.tolist()
    points = data["points_by_dims"][str(state["dimensions"])]
    assert points["n"] == w.n_points and np.all(np.isfinite(points["lo"] + points["hi"]))
    for col in w._parts.metadata.columns:
        entry = data["texts"][col.name]
        offsets = np.frombuffer(_b64(entry["offsets"]), "<u4")
        blob = _b64(entry["text"])
        missing = np.frombuffer(_b64(entry["missing"]), np.uint8) if "missing" in entry else None
        # A categorical column holds each category once and a code per row.
        at = np.frombuffer(_b64(entry["codes"]), "<u2") if "codes" in entry else range(w.n_points)
        for i in range(w.n_points):
            text = blob[offsets[at[i]] : offsets[at[i] + 1]].decode("utf-8")
            want = col.text(i)
            if want is None:
                assert missing is not None and missing[i] == 1 and text == ""
            else:
                assert text == want and (missing is None or missing[i] == 0)
    if w.label_by:
        labels = state["_labels"]
        rows = np.frombuffer(_b64(labels["indices"]), "<u4")
        shown = w.isolated if w.isolated is not None else np.arange(w.n_points)
        assert rows.tolist() == shown.tolist()


def test_points_decode_to_the_coordinates():
    w = Projector(np.random.default_rng(0).standard_normal((40, 6)))
    state = _payload(w.to_html())["state"]
    value = {**state["_points"], "data": _b64(state["_points"]["data"])}
    np.testing.assert_allclose(
        decoders.decode_points(value), w.coordinates, atol=2e-4 * np.ptp(w.coordinates)
    )
