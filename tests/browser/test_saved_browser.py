"""Saved notebooks: a notebook saved with its widgets' state, reopened without running its cells.

Above 262,144 points the first ``_points`` value carries the first 131,072 rows and the browser
asks for the rest, which the kernel sends as the ``_points_rest`` trait: state, so JupyterLab's
"save widget state" keeps it and a reopened notebook (or its nbconvert page) shows every point.
A state saved where no browser ever asked (a notebook executed by nbclient, as ``jupyter
nbconvert --execute`` does) holds only the first part; reopened, the widget says what is missing.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import decoders
import nbformat
import numpy as np
import pytest
from harness import (
    FIND_PANEL_JS,
    NOTEBOOK_READY_JS,
    VIEWPORT,
    LabServer,
    open_notebook_page,
    start_jupyter,
    stop_jupyter,
    write_notebook,
)

from projector_widget.sync import wire as encoding

W = ".projector-widget"
N = 300_000
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

# The PCA of this many rows is exact at once here, so no background refinement replaces the
# first value with a whole one: the state stays the one sent in parts, as when a notebook is
# saved right after its first frame.
CELL = f"""
import hashlib
import numpy as np
import projector_widget.compute.backend
projector_widget.compute.backend.EXACT_MAX_ROWS = 10**7
from projector_widget import Projector
from projector_widget.sync import wire as encoding
rng = np.random.default_rng(11)
w = Projector(rng.standard_normal(({N}, 8)).astype(np.float32), dimensions=2)
w
"""

#: sha256 of every row's quantised coordinates, as the kernel computes them.
DIGEST = "hashlib.sha256(bytes(encoding.encode_points(w.coordinates)['data'])).hexdigest()"

SAVE_JS = "async (path) => {" + FIND_PANEL_JS + " await findPanel(path).context.save(); }"
SHUTDOWN_JS = (
    "async (path) => {" + FIND_PANEL_JS + " await findPanel(path).sessionContext.shutdown(); }"
)


@pytest.fixture(scope="module")
def saving_lab(tmp_path_factory: pytest.TempPathFactory):
    """A JupyterLab of its own that saves widget state with the notebook (a user setting)."""
    root = tmp_path_factory.mktemp("saving-lab")
    server = start_jupyter(
        "lab",
        root,
        "jupyterlab.log",
        settings={"@jupyter-widgets/jupyterlab-manager:plugin": {"saveState": True}},
    )
    yield server
    stop_jupyter(server)


def _projector_state(notebook: dict) -> dict:
    """The saved state of the notebook's projector, its base64 buffers put back in place."""
    states = copy.deepcopy(notebook["metadata"]["widgets"][WIDGET_STATE]["state"])
    (model,) = [m for m in states.values() if "_points" in m["state"]]
    state = model["state"]
    for buf in model.get("buffers", []):
        target = state
        for key in buf["path"][:-1]:
            target = target[key]
        target[buf["path"][-1]] = memoryview(base64.b64decode(buf["data"]))
    return state


def _reopen(browser, server: LabServer, name: str):
    """Open ``name`` in a fresh page with a new kernel that runs nothing; wait for the widget."""
    ctx = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    nb = open_notebook_page(ctx, server, name)
    nb.page.wait_for_selector(f'{W}[data-ready="1"]', timeout=60_000)
    nb.page.query_selector(W).scroll_into_view_if_needed()
    return ctx, nb


def _hook(page, expr: str) -> object:
    return page.evaluate(
        f"() => {{ const pw = document.querySelector('{W}').__pw; return {expr}; }}"
    )


def test_reopened_notebook_shows_every_point_of_its_saved_state(browser, saving_lab, tmp_path):
    name = "saved_large.ipynb"
    write_notebook(saving_lab.root / name, [CELL])
    ctx = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    nb = open_notebook_page(ctx, saving_lab, name)
    nb.run_all()
    nb.page.wait_for_selector(f'{W}[data-complete="1"]', timeout=120_000)
    assert _hook(nb.page, "pw.firstDrawCount") == encoding.FIRST_PART_POINTS  # drawn in parts
    # The synced _points still holds the first part; the rest is the _points_rest trait.
    assert nb.kernel_json("[w._points['loaded'], w._points_rest['count']]") == [131_072, 168_928]
    digest = nb.kernel_json(DIGEST)
    nb.page.evaluate(SAVE_JS, name)
    nb.page.evaluate(SHUTDOWN_JS, name)
    ctx.close()

    # The saved notebook holds every row (what the nbconvert page embeds as well).
    saved = json.loads((saving_lab.root / name).read_text())
    state = _projector_state(saved)
    whole = decoders.join_parts(state["_points"], state["_points_rest"])
    assert whole is not None and whole["n"] == N
    assert hashlib.sha256(bytes(whole["data"])).hexdigest() == digest
    coords = decoders.decode_points(whole)
    # Its nbconvert page embeds that state for the HTML widget manager (from a CDN, which this
    # machine cannot reach: the page is read here, and the reopened notebook shows the drawing).
    from nbconvert import HTMLExporter

    html, _ = HTMLExporter().from_notebook_node(nbformat.reads(json.dumps(saved), as_version=4))
    script = html.split(f'<script type="{WIDGET_STATE}">', 1)[1].split("</script>", 1)[0]
    embedded = _projector_state({"metadata": {"widgets": {WIDGET_STATE: json.loads(script)}}})
    page_whole = decoders.join_parts(embedded["_points"], embedded["_points_rest"])
    assert page_whole is not None and bytes(page_whole["data"]) == bytes(whole["data"])

    # Reopened in a fresh page with a new kernel that runs nothing: every point is drawn, where
    # the kernel had put it, and nothing says points are missing.
    ctx, nb = _reopen(browser, saving_lab, name)
    page = nb.page
    page.wait_for_selector(f'{W}[data-complete="1"]', timeout=60_000)
    assert _hook(page, "pw.lastDrawCount") == N
    assert _hook(page, "pw.points()") == {"n": N, "loaded": N, "values": 1}
    assert page.inner_text(f"{W} .pw-status") == "300,000 points · 0 selected"
    assert not page.query_selector(f"{W} .pw-notice").is_visible()
    flat = page.evaluate(f"() => Array.from(document.querySelector('{W}').__pw.screenPositions())")
    pos = np.asarray(flat, dtype=np.float64).reshape(-1, 2)
    assert np.isfinite(pos).all()
    design = np.c_[coords, np.ones(N)]
    fit, *_ = np.linalg.lstsq(design, pos, rcond=None)
    assert np.abs(design @ fit - pos).max() < 1.5  # rows past the first part too
    assert nb.kernel_json("'w' in globals()") is False  # nothing ran: the state drew it
    ctx.close()


def test_reopened_notebook_says_which_points_its_state_lacks(browser, saving_lab, tmp_path):
    """Executed by nbclient (``jupyter nbconvert --execute``), no browser asked for the rest."""
    from nbclient import NotebookClient

    name = f"executed_{secrets.token_hex(3)}.ipynb"
    path = saving_lab.root / name
    write_notebook(path, [CELL])
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        store_widget_state=True,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    nbformat.write(notebook, path)
    # Trusted, as its author trusts a notebook executed elsewhere (JupyterLab renders no widget
    # output of an untrusted notebook); the server signs with this machine's notary.
    subprocess.run(
        [sys.executable, "-m", "jupyter", "trust", str(path)],
        check=True,
        capture_output=True,
        env={**os.environ, "JUPYTER_CONFIG_DIR": str(saving_lab.root / ".jupyter-config")},
    )
    state = _projector_state(json.loads(Path(path).read_text()))
    assert state["_points"]["loaded"] == 131_072 and not state.get("_points_rest")

    ctx, nb = _reopen(browser, saving_lab, name)
    page = nb.page
    notice = page.wait_for_selector(f"{W} .pw-notice:not([hidden])", timeout=30_000)
    assert notice.inner_text() == (
        "Showing 131,072 of 300,000 points: the rest was not saved with this notebook's widget"
        " state. Run the cell to show them all."
    )
    assert page.inner_text(f"{W} .pw-status") == "131,072 of 300,000 points · 0 selected"
    assert _hook(page, "pw.lastDrawCount") == 131_072
    # Running the cell gives a live widget with every point, and the notice goes.
    page.wait_for_function(NOTEBOOK_READY_JS, arg=name, timeout=60_000)
    nb.run_all()
    page.wait_for_selector(f'{W}[data-complete="1"]', timeout=120_000)
    assert page.query_selector_all(f"{W} .pw-notice:not([hidden])") == []
    ctx.close()
