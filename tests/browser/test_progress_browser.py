"""Issue 12, point 5 in a real JupyterLab: the panel says what long kernel work is doing.

Each step is held at a gate in the kernel (a threading.Event the test opens), so what the page
shows is checked while that step is running, without timing.
"""

from __future__ import annotations

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
    status = str(nb.page.text_content(f"{W} .pw-status") or "")
    assert status.endswith("selected · t-SNE · computing affinities (perplexities)"), status
    nb.kernel("gates['perplexities'].set()")
    nb.page.wait_for_selector(f"{W} .pw-progress:has-text('t-SNE · optimising layout')")
    nb.wait_kernel("w._progress['state'] == 'done'", timeout=120)
    nb.page.wait_for_selector(f"{W} .pw-progress:has-text('t-SNE · done')")
    nb.page.wait_for_function(
        f"() => document.querySelector('{W} .pw-status').textContent.endsWith(' selected')"
    )


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
