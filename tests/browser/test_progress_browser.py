"""Issue 12, point 5 in a real JupyterLab: the panel says what long kernel work is doing.

Each step is held at a gate in the kernel (a threading.Event the test opens), so what the page
shows is checked while that step is running, without timing.
"""

from __future__ import annotations

import numpy as np
import pytest

W = ".projector-widget"

SETUP = """
import threading
import numpy as np
import openTSNE
from projector_widget import Projector
from projector_widget.formats import tsv

rng = np.random.default_rng(0)
centers = rng.standard_normal((5, 8)) * 6
emb = (centers[rng.integers(0, 5, 1500)] + rng.standard_normal((1500, 8))).astype("float32")

gates = {"perplexities": threading.Event(), "tensors": threading.Event()}
_calibrate = openTSNE.affinity.joint_probabilities_nn
def _gated_calibrate(*args, **kwargs):  # openTSNE's perplexity calibration waits for the test
    gates["perplexities"].wait(120)
    return _calibrate(*args, **kwargs)
openTSNE.affinity.joint_probabilities_nn = _gated_calibrate
_digits = tsv._float32_digits
def _gated_digits(block):  # writing tensors.tsv waits for the test before its first rows
    gates["tensors"].wait(120)
    return _digits(block)
tsv._float32_digits = _gated_digits

w = Projector(emb, dimensions=2)
w
"""


@pytest.fixture(scope="module")
def nb(open_notebook):
    pytest.importorskip("openTSNE")
    page = open_notebook("progress.ipynb", [SETUP])
    page.page.wait_for_selector(f'{W}[data-ready="1"]', timeout=60_000)
    page.wait_kernel("w._parts.session.displayed")  # the browser said it drew the points
    page.page.query_selector(W).scroll_into_view_if_needed()
    panel = page.page.query_selector(f"{W} .pw-panel")
    if panel is None or not panel.is_visible():
        page.page.click(f"{W} .pw-panel-toggle")
    return page


def progress_text(nb) -> str:
    return str(nb.page.text_content(f"{W} .pw-progress") or "")


def status_text(nb) -> str:
    return str(nb.page.text_content(f"{W} .pw-status") or "")


def positions(nb) -> np.ndarray:
    flat = nb.page.evaluate(
        f"() => Array.from(document.querySelector('{W}').__pw.screenPositions())"
    )
    return np.asarray(flat, dtype=float).reshape(-1, 2)


def settled(nb) -> np.ndarray:
    """Where the points are drawn once the last layout has landed (no transition running)."""
    nb.page.wait_for_function(f"() => !document.querySelector('{W}').__pw.isAnimating()")
    return positions(nb)


def assert_framed(nb, pos: np.ndarray) -> None:
    """The layout fills the canvas along one axis and sits in its middle: it was fitted."""
    box = nb.page.query_selector(f"{W} canvas.pw-canvas").bounding_box()
    size = np.array([box["width"], box["height"]])
    lo, hi = pos.min(axis=0), pos.max(axis=0)
    assert (lo >= 0).all() and (hi <= size).all(), (lo, hi, size)
    assert ((hi - lo) / size).max() > 0.8, (lo, hi, size)
    assert (np.abs((lo + hi) / 2 - size / 2) / size).max() < 0.03, (lo, hi, size)


def test_tsne_shows_its_affinity_phase_before_any_iteration(nb):
    nb.page.select_option(f"{W} .pw-method", "tsne")
    nb.page.fill(f"{W} .pw-iterations", "200")
    nb.page.click(f"{W} .pw-run")
    # The perplexity calibration is held: the k-NN index and search are done, no iteration yet.
    nb.page.wait_for_selector(
        f"{W} .pw-progress:has-text('t-SNE · computing affinities (perplexities)')",
        timeout=60_000,
    )
    assert nb.kernel_json("[w._progress['iteration'], w._progress['state']]") == [0, "running"]
    assert "iteration 0" not in progress_text(nb)
    # The status line under the plot says it too (it shows with the panel closed).
    status = status_text(nb)
    assert status.endswith("selected · t-SNE in 2-D · computing affinities (perplexities)"), status
    nb.kernel("gates['perplexities'].set()")
    nb.page.wait_for_selector(f"{W} .pw-progress:has-text('t-SNE · optimising layout')")
    nb.wait_kernel("w._progress['state'] == 'done'", timeout=120)
    nb.page.wait_for_selector(f"{W} .pw-progress:has-text('t-SNE · done')")
    nb.page.wait_for_function(
        f"() => document.querySelector('{W} .pw-status').textContent.endsWith(' selected')"
    )
    # The layout grew from its start as it ran; the view followed it: it ends framed.
    assert_framed(nb, settled(nb))


def test_switching_dimensions_of_a_tsne_layout_says_so_and_keeps_it_until_the_new_one(nb):
    nb.kernel("gates['perplexities'].set(); w.tsne(n_iter=10, perplexity=10, wait=True)")
    nb.page.wait_for_function(
        f"() => document.querySelector('{W} .pw-status').textContent.endsWith(' selected')"
    )
    # Before: the 3D button says that it runs t-SNE again, and what that costs.
    title = str(nb.page.get_attribute(f"{W} .pw-3d", "title"))
    assert title.startswith("Runs t-SNE again in 3-D (the 2-D one took "), title
    assert title.endswith("; the 2-D layout stays on screen until the new one is ready"), title
    before = settled(nb)
    nb.kernel("gates['perplexities'].clear()")
    nb.page.click(f"{W} .pw-3d")
    # As it happens: the status line says it, and the 2-D layout stays drawn, unmoved.
    nb.page.wait_for_function(
        f"""() => document.querySelector('{W} .pw-status').textContent
            .endsWith('t-SNE in 3-D · computing affinities (perplexities)')""",
        timeout=60_000,
    )
    assert np.array_equal(positions(nb), before)
    nb.kernel("gates['perplexities'].set()")
    nb.wait_kernel("w._progress['state'] == 'done' and w._points['dims'] == 3", timeout=120)
    nb.page.wait_for_function(
        f"() => document.querySelector('{W} .pw-status').textContent.endsWith(' selected')"
    )
    # The 3-D layout replaced it at once, framed.
    after = settled(nb)
    assert not np.array_equal(after, before)
    assert_framed(nb, after)
    nb.kernel("w.dimensions = 2")  # back to the 2-D layout (from the kernel's cache)
    nb.wait_kernel("w._progress['state'] == 'done' and w._points['dims'] == 2", timeout=60)


def test_writing_files_shows_in_the_panel_then_the_projection_again(nb, tmp_path):
    nb.kernel("w.project('pca')")
    nb.page.wait_for_selector(f"{W} .pw-progress:has-text('PCA · done')")
    out = str(tmp_path / "tsv")
    # In a thread, so the kernel answers while the write waits at its gate.
    nb.kernel(f"threading.Thread(target=w.to_tsv, args=({out!r},)).start()")
    nb.page.wait_for_selector(f"{W} .pw-progress:has-text('writing tensors.tsv 0/1,500 rows')")
    assert nb.page.is_disabled(f"{W} .pw-pause")  # a task is not a job: nothing to pause
    nb.kernel("gates['tensors'].set()")
    nb.page.wait_for_selector(f"{W} .pw-progress:has-text('PCA · done')")
    assert nb.wait_kernel(f"tsv.read_tensor_tsv({out!r} + '/tensors.tsv').shape == (1500, 8)")
