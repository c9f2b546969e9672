"""Several views of one widget in a real JupyterLab: a second view costs no transfer.

The points of a widget live with its model in the browser (anywidget's ``initialize``), so a
second ``display(w)`` draws what the first view received: no request for points, no points sent.
"""

from __future__ import annotations

from harness import RUN_COMMAND_JS

WIDGET = ".projector-widget"

# Over 262,144 points: the first _points value carries a first part, the rest arrives on request.
LARGE = """
import numpy as np
from projector_widget import Projector
rng = np.random.default_rng(11)
w = Projector(rng.standard_normal((300_000, 8)).astype(np.float32), dimensions=2)
rest_sent = []
w.observe(lambda change: rest_sent.append(int(change["new"].get("count", 0))), "_points_rest")
w
"""

AGAIN = "w"

# Count, in the kernel, every comm message of the widget both ways (JSON bytes + buffer bytes).
COUNT_MESSAGES = """
import json as _json

_traffic = {"to_browser": [], "from_browser": []}


def _size(data, buffers):
    return len(_json.dumps(data, default=str)) + sum(memoryview(b).nbytes for b in buffers or [])


def _kind(data):
    content = data.get("content") if isinstance(data, dict) else None
    if data.get("method") == "custom" and isinstance(content, dict):
        return content.get("type")
    return data.get("method") if isinstance(data, dict) else None


_comm_send = w.comm.send
_comm_handle = w.comm.handle_msg


def _counting_send(data=None, metadata=None, buffers=None, **kw):
    _traffic["to_browser"].append([_kind(data or {}), _size(data, buffers)])
    return _comm_send(data=data, metadata=metadata, buffers=buffers, **kw)


def _counting_handle(msg):
    data = msg["content"].get("data", {})
    _traffic["from_browser"].append([_kind(data), _size(data, msg.get("buffers"))])
    return _comm_handle(msg)


w.comm.send = _counting_send
w.comm.handle_msg = _counting_handle
"""

THREE_FRAMES_JS = """() => new Promise((done) =>
  requestAnimationFrame(() => requestAnimationFrame(() => requestAnimationFrame(() => done(true)))))"""

COMPLETE_VIEWS_JS = (
    "(n) => document.querySelectorAll('.projector-widget[data-complete=\"1\"]').length >= n"
)


def test_a_second_view_of_a_large_widget_sends_no_points(open_notebook):
    nb = open_notebook("two_views.ipynb", [LARGE, AGAIN], run=False)
    page = nb.page
    page.evaluate(RUN_COMMAND_JS, [nb.path, "notebook:run-cell", 0, True])
    page.wait_for_function(COMPLETE_VIEWS_JS, arg=1, timeout=60_000)
    hook = f"document.querySelectorAll('{WIDGET}')[0].__pw"
    assert page.evaluate(f"() => {hook}.lastDrawCount") == 300_000
    # The first view got a first part, then asked for the rest: the parts path was taken. (Read
    # in the kernel: whether the browser drew the first part alone before the rest arrived
    # depends on how busy the machine is.)
    assert nb.kernel_json("max(rest_sent, default=0)") == 300_000 - 131_072

    # The first view's complete frame lets the kernel replace the first, sample-based PCA with
    # the PCA of every row (a whole new _points value): let that go out before counting.
    nb.wait_kernel("w.pca_refined.is_set()", timeout=60)
    nb.kernel(COUNT_MESSAGES)
    page.evaluate(RUN_COMMAND_JS, [nb.path, "notebook:run-cell", 1, True])
    page.wait_for_function(COMPLETE_VIEWS_JS, arg=2, timeout=60_000)
    second = f"document.querySelectorAll('{WIDGET}')[1].__pw"
    assert page.evaluate(f"() => {second}.lastDrawCount") == 300_000
    # A view tells the kernel of its complete frame two animation frames later: wait three, so
    # that any such message is on the socket before the request that reads the counts.
    page.evaluate(THREE_FRAMES_JS)
    traffic = nb.kernel_json("_traffic")
    sent = sum(b for _, b in traffic["to_browser"])
    received = sum(b for _, b in traffic["from_browser"])
    print(
        f"\nsecond view of 300,000 points: kernel -> browser {sent:,} B in "
        f"{len(traffic['to_browser'])} messages {traffic['to_browser']}; "
        f"browser -> kernel {received:,} B in {len(traffic['from_browser'])} messages "
        f"{traffic['from_browser']}"
    )
    requests = [k for k, _ in traffic["from_browser"]]
    assert "points" not in requests, requests
    assert "drawn" not in requests, requests
    assert not any(k == "points" for k, _ in traffic["to_browser"]), traffic["to_browser"]
    # Nothing close to the points (300,000 x 2 uint16 = 1.2 MB) crossed the socket either way.
    assert sent + received < 16_384, (sent, received)
