"""A sequence in a real JupyterLab: play animates the points from one step to the next through
intermediate positions (interpolated on the GPU from layouts already in the browser), the
slider moved with the mouse or the keyboard sets ``w.step`` in the kernel, one click selects the
rows that moved most, and ``w.step`` set from Python moves the view."""

from __future__ import annotations

import numpy as np

W = ".projector-widget"
MOVED = list(range(30))

# Three groups; at step 1 rows 0-29 have moved from the first group to the third; step 2 is
# step 1 rotated (nothing moves once aligned).
CELL = """
import numpy as np
from projector_widget import Projector
rng = np.random.default_rng(3)
centres = np.array([[-8.0, 0, 0, 0, 0, 0], [0, 8.0, 0, 0, 0, 0], [8.0, 0, 0, 0, 0, 0]])
groups = np.arange(150) % 3
a = centres[np.where(np.arange(150) < 30, 0, groups)] + rng.standard_normal((150, 6))
b = a.copy()
b[:30] += centres[2] - centres[0]
q, _ = np.linalg.qr(rng.standard_normal((6, 6)))
c = b @ q
w = Projector.sequence([a, b, c], {"group": [f"g{g}" for g in groups]},
                       names=["epoch 1", "epoch 2", "epoch 3"], dimensions=2, point_size=6)
"""

# Collects, every animation frame after a click on play, where the moved rows are drawn while
# a transition runs, until the slider has reached step 1 and that transition has ended.
SAMPLE_PLAY_JS = """([sel, rows]) => new Promise((resolve, reject) => {
  const root = document.querySelector(sel);
  const hook = root.__pw;
  const slider = root.querySelector('.pw-timeline-slider');
  const samples = [];
  let seen = false;
  const started = performance.now();
  const tick = () => {
    const moving = hook.isAnimating();
    if (moving) {
      seen = true;
      samples.push(Array.from(hook.positionsNow(rows)));
    } else if (seen && slider.value === '1') {
      samples.push(Array.from(hook.positionsNow(rows)));
      resolve(samples);
      return;
    }
    if (performance.now() - started > 30000) reject(new Error('no transition to step 1'));
    else requestAnimationFrame(tick);
  };
  root.querySelector('.pw-timeline-play').click();
  requestAnimationFrame(tick);
})"""


def test_play_animates_and_the_slider_sets_the_step(open_notebook):
    nb = open_notebook("sequence_play.ipynb", [CELL + "w\n"])
    page = nb.page
    page.wait_for_selector(f'{W}[data-ready="1"]', timeout=60_000)
    page.query_selector(W).scroll_into_view_if_needed()
    page.wait_for_selector(f"{W} .pw-timeline", state="visible")
    label = f"{W} .pw-timeline-label"
    assert page.text_content(label) == "epoch 1 (1/3)"

    samples = np.asarray(page.evaluate(SAMPLE_PLAY_JS, [W, MOVED]), float)
    pos = samples.reshape(len(samples), len(MOVED), 2)
    assert np.isfinite(pos).all()
    start, end = pos[0], pos[-1]
    travel = np.linalg.norm(end - start, axis=1)
    assert travel.min() > 40, travel  # the moved rows cross the plot
    # Between the two steps, frames drawn them part of the way: neither at the start nor at
    # the end, on the way from one to the other.
    from_start = np.linalg.norm(pos - start, axis=2)
    from_end = np.linalg.norm(pos - end, axis=2)
    between = (from_start > 0.1 * travel) & (from_end > 0.1 * travel)
    assert between.all(axis=1).any(), "no frame between step 0 and step 1"
    on_the_way = from_start[between] + from_end[between]
    assert np.all(on_the_way < 1.05 * np.broadcast_to(travel, between.shape)[between] + 1)

    # Playing goes on to the last step and stops there; the kernel follows.
    assert nb.wait_kernel("w.step == 2")
    page.wait_for_selector(f"{W} .pw-timeline-play[aria-pressed='false']")
    assert page.text_content(label) == "epoch 3 (3/3)"

    # The mouse: a click at the slider's left end goes back to the first step.
    box = page.query_selector(f"{W} .pw-timeline-slider").bounding_box()
    page.mouse.click(box["x"] + 2, box["y"] + box["height"] / 2)
    assert nb.wait_kernel("w.step == 0")
    # The keyboard: one step right.
    page.focus(f"{W} .pw-timeline-slider")
    page.keyboard.press("ArrowRight")
    assert nb.wait_kernel("w.step == 1")
    assert page.text_content(label) == "epoch 2 (2/3)"
    # One click selects the rows that moved most (5%: 8 of 150), all of them rows moved on purpose.
    page.click(f"{W} .pw-timeline-moved")
    selected = nb.wait_kernel("w.selected.tolist()")
    assert len(selected) == 8 and set(selected) <= set(MOVED), selected
    np.testing.assert_array_equal(
        nb.kernel_json("w.embeddings[:2].tolist()"),
        nb.kernel_json("b[:2].astype('float32').tolist()"),
    )

    # Python moves the view: back to the first step, and the moved rows go back.
    at_step1 = np.asarray(
        page.evaluate(f"r => Array.from(document.querySelector('{W}').__pw.positionsNow(r))", MOVED)
    )
    nb.kernel("w.step = 0")
    page.wait_for_function(
        f"""() => {{
          const root = document.querySelector('{W}');
          return root.querySelector('.pw-timeline-slider').value === '0' && !root.__pw.isAnimating();
        }}"""
    )
    back = np.asarray(
        page.evaluate(f"r => Array.from(document.querySelector('{W}').__pw.positionsNow(r))", MOVED)
    )
    moved_back = np.linalg.norm((back - at_step1).reshape(-1, 2), axis=1)
    assert moved_back.min() > 40, moved_back
    assert page.text_content(label) == "epoch 1 (1/3)"

    # Other principal components are not the sequence's layouts: the kernel says so and the bar
    # can no longer step; back on the first three it can again.
    nb.kernel('w.project("pca", components=[3, 4, 5])')
    page.wait_for_selector(f"{W} .pw-timeline-slider:disabled")
    assert page.is_disabled(f"{W} .pw-timeline-play")
    nb.kernel('w.project("pca")')
    page.wait_for_selector(f"{W} .pw-timeline-slider:enabled")
    assert page.is_enabled(f"{W} .pw-timeline-play")
