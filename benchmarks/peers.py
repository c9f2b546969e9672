"""Peer measurements for the browser benchmark: jupyter-scatter and TensorBoard's projector.

Not meant to be run alone: ``benchmarks/browser.py`` calls these after measuring the projector
on the same data, and prints the ratios. Each peer gets a fresh browser context (its own
renderer process, hence its own JS heap) and, for jupyter-scatter, a fresh kernel.

* jupyter-scatter (PyPI ``jupyter-scatter``, regl-scatterplot in an anywidget): given the 2-D PCA
  coordinates our widget computed (saved beforehand, not timed) and the 20-way category column.
  First frame = cell run (execute request sent from the page) → the first screenshot of its
  canvas that shows painted points, polled every 100 ms.
* TensorBoard's projector: a log directory written by ``Projector.to_tensorboard(...,
  tensor_format="tsv")``, ``tensorboard --logdir`` on 127.0.0.1, ``/#projector`` opened in the
  same chromium. First frame = ``page.goto`` → the first screenshot of its WebGL canvas with
  painted points. It shows at most 100,000 points and computes PCA on a sample, so it is
  skipped above 100k.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from pagetools import (
    LabServer,
    arm_cell_timer,
    cell_t0_epoch_ms,
    js_heap_mb,
    new_context,
    open_notebook_page,
    run_cell,
    shutdown_kernels,
    start_cell,
    wait_painted,
    write_notebook,
)

HERE = Path(__file__).resolve().parent
TENSORBOARD_MAX_POINTS = 100_000

JSCATTER_SETUP = """
import sys, time, resource
sys.path.insert(0, {bench!r})
import numpy as np, pandas as pd
import jscatter
from kernel import wire_bytes
_xy = np.load({xy!r})
_labels = np.load({labels!r})
df = pd.DataFrame({{"x": _xy[:, 0], "y": _xy[:, 1],
                    "cluster": pd.Categorical([f"c{{i}}" for i in _labels])}})
del _xy, _labels
"""

JSCATTER_CELL = """
_rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
_t = time.perf_counter()
sc = jscatter.Scatter(x="x", y="y", data=df, color_by="cluster", height=600)
_view = sc.show()
_build_s = time.perf_counter() - _t
_view
"""


def measure_jscatter(
    browser: object, server: LabServer, tag: str, xy_path: Path, labels_path: Path
) -> dict[str, object]:
    """jupyter-scatter's cell run → first painted frame, bytes sent, JS heap, kernel build."""
    name = f"jscatter_{tag}.ipynb"
    setup = JSCATTER_SETUP.format(bench=str(HERE), xy=str(xy_path), labels=str(labels_path))
    write_notebook(server.root / name, [setup, JSCATTER_CELL])
    ctx = new_context(browser)
    out: dict[str, object] = {}
    try:
        nb = open_notebook_page(ctx, server, name)
        run_cell(nb, 0)
        nb.wait_kernel("'df' in globals()", timeout=600)
        heap0 = js_heap_mb(ctx, nb.page)
        arm_cell_timer(nb, None)
        start_cell(nb, 1)
        t_paint, pixels = wait_painted(
            nb.page, ".jp-OutputArea-output canvas", timeout=600, min_pixels=200
        )
        t0 = cell_t0_epoch_ms(nb)
        if t_paint is None or t0 is None:
            out["error"] = "no painted canvas within 600 s"
            return out
        out["first_frame_s"] = t_paint - t0 / 1000.0
        out["painted_pixels"] = pixels
        nb.wait_kernel("'_build_s' in globals()", timeout=600)
        out["heap_mb"] = js_heap_mb(ctx, nb.page)
        out["heap_delta_mb"] = out["heap_mb"] - heap0  # type: ignore[operator]
        binary, js = nb.kernel_json("wire_bytes(sc.widget)")  # type: ignore[misc]
        out["sent_bytes"] = binary + js
        out["build_s"] = nb.kernel_json("_build_s")
    finally:
        ctx.close()  # type: ignore[attr-defined]
        shutdown_kernels(server)
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def measure_tensorboard(browser: object, logdir: Path, n: int) -> dict[str, object]:
    """TensorBoard projector: page load → points drawn, and its JS heap."""
    if n > TENSORBOARD_MAX_POINTS:
        return {"error": "n/a (max 100k)"}
    port = _free_port()
    log = logdir.parent / f"{logdir.name}.tensorboard.log"
    exe = Path(sys.executable).with_name("tensorboard")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [str(exe), "--logdir", str(logdir), "--host", "127.0.0.1", "--port", str(port)],
            stdout=fh,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    out: dict[str, object] = {}
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out["error"] = f"tensorboard did not start: {log.read_text()[-500:]}"
                return out
            time.sleep(0.5)
        ctx = new_context(browser)
        try:
            page = ctx.new_page()  # type: ignore[attr-defined]
            t0 = time.time()
            page.goto(f"{url}/#projector", wait_until="commit")
            # More than its 3-D axes (a few hundred pixels, drawn before the data arrives).
            t_paint, pixels = wait_painted(page, "canvas", timeout=600, min_pixels=3000)
            if t_paint is None:
                out["error"] = "no painted canvas within 600 s"
                return out
            out["first_frame_s"] = t_paint - t0
            out["painted_pixels"] = pixels
            out["heap_mb"] = js_heap_mb(ctx, page)
        finally:
            ctx.close()  # type: ignore[attr-defined]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    return out
