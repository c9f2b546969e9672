"""Shared helpers of the browser benchmarks: the JupyterLab harness, painted-pixel polling, heap.

Imported by ``benchmarks/browser.py`` and ``benchmarks/peers.py``; not a script.
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from harness import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    FIND_PANEL_JS,
    RUN_COMMAND_JS,
    VIEWPORT,
    LabServer,
    NotebookPage,
    lasso_gesture,
    open_notebook_page,
    start_jupyter,
    stop_jupyter,
    write_notebook,
)

__all__ = [
    "VIEWPORT",
    "LabServer",
    "NotebookPage",
    "start_jupyter",
    "stop_jupyter",
    "write_notebook",
    "open_notebook_page",
    "lasso_gesture",
    "launch",
    "new_context",
    "run_cell",
    "arm_cell_timer",
    "start_cell",
    "wait_painted",
    "js_heap_mb",
    "shutdown_kernels",
    "cell_t0_epoch_ms",
]

BENCH_ARGS = ["--enable-precise-memory-info"]


def launch(playwright: object) -> object:
    """Headless Debian chromium with the harness's flags plus precise heap numbers."""
    return playwright.chromium.launch(  # type: ignore[attr-defined]
        executable_path=CHROMIUM, args=CHROMIUM_ARGS + BENCH_ARGS
    )


def new_context(browser: object) -> object:
    """A fresh browser context (its own renderer process, so its own JS heap)."""
    return browser.new_context(viewport=VIEWPORT, device_scale_factor=1)  # type: ignore[attr-defined]


# t0: the moment the page hands the cell's execute request to the kernel connection (patched
# requestExecute); t1 (ours): a MutationObserver sees the widget root get data-ready="1" (the
# first points drawn); t2: it gets data-complete="1" (every point drawn).
ARM_JS = (
    "([path, readySelector, completeSelector]) => {"
    + FIND_PANEL_JS
    + """
  const kernel = findPanel(path).sessionContext.session.kernel;
  const b = (window.__bench = { t0: null, t0epoch: null, t1: null, t2: null });
  const orig = kernel.requestExecute;
  kernel.requestExecute = function (...args) {
    if (b.t0 === null) {
      b.t0 = performance.now();
      b.t0epoch = Date.now();
    }
    return orig.apply(this, args);
  };
  if (readySelector) {
    const mo = new MutationObserver(() => {
      if (b.t1 === null && document.querySelector(readySelector)) b.t1 = performance.now();
      if (b.t2 === null && completeSelector && document.querySelector(completeSelector)) {
        b.t2 = performance.now();
      }
      if (b.t1 !== null && (b.t2 !== null || !completeSelector)) mo.disconnect();
    });
    mo.observe(document.body, {
      subtree: true, childList: true, attributes: true,
      attributeFilter: ["data-ready", "data-complete"],
    });
  }
}
"""
)


def run_cell(nb: NotebookPage, index: int) -> None:
    """Run one cell of the notebook and wait until it has finished (untimed set-up cells)."""
    nb.page.evaluate(RUN_COMMAND_JS, [nb.path, "notebook:run-cell", index, True])  # type: ignore[attr-defined]


def arm_cell_timer(
    nb: NotebookPage, ready_selector: str | None, complete_selector: str | None = None
) -> None:
    """Install the t0 hook (and the data-ready / data-complete observer) before the cell runs."""
    nb.page.evaluate(ARM_JS, [nb.path, ready_selector, complete_selector])  # type: ignore[attr-defined]


def start_cell(nb: NotebookPage, index: int) -> None:
    """Start running a cell without waiting for it."""
    nb.page.evaluate(RUN_COMMAND_JS, [nb.path, "notebook:run-cell", index, False])  # type: ignore[attr-defined]


def cell_t0_epoch_ms(nb: NotebookPage) -> float | None:
    """Date.now() in the page when the timed cell's execute request was sent."""
    return nb.page.evaluate("() => window.__bench && window.__bench.t0epoch")  # type: ignore[attr-defined]


def _largest_canvas_box(page: object, selector: str) -> dict | None:
    """In every frame (TensorBoard puts its plugins in an iframe); boxes are page-relative."""
    best, area = None, 0.0
    for frame in page.frames:  # type: ignore[attr-defined]
        try:
            els = frame.query_selector_all(selector)
        except Exception:  # noqa: BLE001 - a frame navigating away: skip it this poll
            continue
        for el in els:
            box = el.bounding_box()
            if box and box["width"] * box["height"] > area:
                best, area = box, box["width"] * box["height"]
    return best


def painted_pixels(png: bytes) -> int:
    """Pixels that differ clearly from the background (the most common colour on the border)."""
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(np.int16)
    border = np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]])
    colours, counts = np.unique(border, axis=0, return_counts=True)
    bg = colours[np.argmax(counts)]
    return int((np.abs(img - bg).sum(axis=2) > 60).sum())


def wait_painted(
    page: object,
    selector: str,
    *,
    timeout: float,
    min_pixels: int = 200,
    interval: float = 0.1,
    also: object = None,
) -> tuple[float | None, int]:
    """Poll (every ``interval`` s) screenshots of the largest canvas matching ``selector``.

    Returns (epoch seconds at which the first screenshot showing at least ``min_pixels``
    painted pixels came back, those pixels), or (None, 0) on timeout. The paint happened
    between the previous capture and this one, so this is an upper bound, late by at most one
    poll plus one screenshot. ``also`` is an optional callable run on each poll (returns True when done);
    polling goes on until both are done.
    """
    deadline = time.monotonic() + timeout
    found: tuple[float | None, int] = (None, 0)
    also_done = also is None
    while time.monotonic() < deadline:
        start = time.time()
        if not also_done:
            also_done = bool(also())  # type: ignore[operator]
        if found[0] is None:
            box = _largest_canvas_box(page, selector)
            if box and box["width"] > 10 and box["height"] > 10:
                try:
                    png = page.screenshot(clip=box)  # type: ignore[attr-defined]
                except Exception:  # noqa: BLE001 - canvas moved or detached mid-capture: poll again
                    png = None
                if png is not None:
                    n = painted_pixels(png)
                    if n >= min_pixels:
                        found = (time.time(), n)
                        if os.environ.get("PW_BENCH_SHOTS"):
                            shot = Path(os.environ["PW_BENCH_SHOTS"]) / f"{time.time():.0f}.png"
                            shot.parent.mkdir(parents=True, exist_ok=True)
                            shot.write_bytes(png)
        if found[0] is not None and also_done:
            return found
        left = interval - (time.time() - start)
        if left > 0:
            time.sleep(left)
    return found


def js_heap_mb(context: object, page: object) -> float:
    """The page's used JS heap in MB, after a forced garbage collection."""
    cdp = context.new_cdp_session(page)  # type: ignore[attr-defined]
    try:
        cdp.send("HeapProfiler.enable")
        cdp.send("HeapProfiler.collectGarbage")
        cdp.send("Performance.enable")
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    finally:
        cdp.detach()
    used = page.evaluate("() => performance.memory ? performance.memory.usedJSHeapSize : null")  # type: ignore[attr-defined]
    if used is None:
        used = metrics.get("JSHeapUsedSize", 0.0)
    return float(used) / 1e6


def shutdown_kernels(server: LabServer) -> None:
    """Shut down every kernel of this server (frees the kernel's memory between sizes)."""
    base = f"{server.url}/api/kernels?token={server.token}"
    with urllib.request.urlopen(base, timeout=10) as r:
        kernels = json.loads(r.read())
    for k in kernels:
        req = urllib.request.Request(
            f"{server.url}/api/kernels/{k['id']}?token={server.token}", method="DELETE"
        )
        try:
            urllib.request.urlopen(req, timeout=30).close()
        except OSError:
            pass
    time.sleep(1.0)
