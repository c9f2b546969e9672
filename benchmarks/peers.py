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
  same chromium. Before the page opens, the plugin is asked for its config until it reports the
  tensor's shape: it parses the TSV in Python within the first request, and a page that asks
  meanwhile is told of no usable tensor ("0 tensors found", only the axes are ever drawn). That
  parse is ``server_load_s``, not part of the first frame. First frame = ``page.goto`` → the
  first screenshot, polled every 100 ms, of the scatter canvas (plugin iframe, shadow DOM) with
  everything but canvases hidden for the capture (its "Parsing tensors..." dialog and grey
  backdrop would otherwise pass for points) showing >= 3000 painted pixels (the axes alone are
  ~300) while the projector reports all n points loaded. It shows at most 100,000 points and
  computes PCA on a sample, so it is skipped above 100k.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from pagetools import (
    LabServer,
    arm_cell_timer,
    cell_t0_epoch_ms,
    js_heap_mb,
    new_context,
    open_notebook_page,
    painted_pixels,
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
    browser: object,
    server: LabServer,
    tag: str,
    xy_path: Path,
    labels_path: Path,
    *,
    drag: Callable[[object, dict], dict] | None = None,
) -> dict[str, object]:
    """jupyter-scatter's cell run → first painted frame, bytes sent, JS heap, kernel build.

    With ``drag`` (``browser.drag_updates``), also its 2-D pan: ``drag(page, canvas box)``.
    """
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
        if drag is not None:
            canvas = nb.page.query_selector(".jp-OutputArea-output canvas")
            canvas.scroll_into_view_if_needed()
            nb.page.wait_for_timeout(1000)  # its points' entry animation
            out["pan2d"] = drag(nb.page, canvas.bounding_box())
    finally:
        ctx.close()  # type: ignore[attr-defined]
        shutdown_kernels(server)
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tensorboard_loaded(url: str, n: int, timeout: float) -> tuple[float | None, str]:
    """Have the projector plugin parse the TSV before the page opens; (seconds, why not).

    The plugin parses ``tensors.tsv`` in Python (``float()`` per value) inside the first
    request that reads its config, and only then adds ``tensorShape`` to it. A request that
    arrives meanwhile (the page asks for ``plugins_listing``, ``runs`` and ``info`` within
    milliseconds) gets the config without ``tensorShape``; the page drops such tensors ("0
    tensors found") and never asks again, so only its 3-D axes are ever drawn. Asking first
    and waiting for the shape avoids that race; the parse time is reported apart.
    """
    base = f"{url}/data/plugin/projector"
    t = time.monotonic()
    deadline = t + timeout
    last = ""
    while time.monotonic() < deadline:
        left = max(1.0, deadline - time.monotonic())
        try:
            with urllib.request.urlopen(f"{base}/runs", timeout=left) as r:
                runs = json.loads(r.read())
            if runs:
                q = urllib.parse.quote(runs[0])
                with urllib.request.urlopen(f"{base}/info?run={q}", timeout=left) as r:
                    info = json.loads(r.read())
                shapes = [e.get("tensorShape") for e in info.get("embeddings", [])]
                if any(s and int(s[0]) == n for s in shapes):
                    return time.monotonic() - t, ""
                last = f"config has no {n}-row tensor yet: {json.dumps(info)[:300]}"
            else:
                last = "the projector plugin lists no runs"
        except (OSError, ValueError) as e:
            last = f"{type(e).__name__}: {e}"
        time.sleep(1.0)
    return None, last


# The projector's own count of loaded points (vz-projector's shadow DOM, in the plugin iframe).
PROJECTOR_STATE_JS = """() => {
  const dash = document.querySelector("vz-projector-dashboard");
  const proj = dash && dash.shadowRoot && dash.shadowRoot.querySelector("vz-projector");
  const root = proj && proj.shadowRoot;
  if (!root) return null;
  const pts = root.querySelector("span.numDataPoints");
  const panel = root.querySelector("vz-projector-data-panel");
  return {
    points: pts ? pts.innerText.trim() : null,
    tensors_found: panel && panel.tensorNames ? panel.tensorNames.length : null,
  };
}"""


def _projector_state(page: object) -> dict | None:
    """{"points": the "Points:" label, "tensors_found": n} from the projector, or None."""
    for frame in page.frames:  # type: ignore[attr-defined]
        if "projector_binary" not in frame.url:
            continue
        try:
            return frame.evaluate(PROJECTOR_STATE_JS)  # type: ignore[no-any-return]
        except Exception:  # noqa: BLE001 - frame still loading: no state yet
            return None
    return None


# Applied only while a screenshot is taken (Playwright puts it in every frame and shadow root):
# every element but canvases (and the iframes holding them) is invisible, so the projector's
# "Fetching tensor values..." / "Parsing tensors..." dialog, its grey backdrop and its buttons
# do not count as painted pixels; what is left is what WebGL drew.
CANVAS_ONLY_STYLE = (
    "body * { visibility: hidden !important; } canvas, iframe { visibility: visible !important; }"
)


def _scatter_box(page: object) -> dict | None:
    """Page-relative box of the projector's scatter canvas (plugin iframe, shadow DOM)."""
    for frame in page.frames:  # type: ignore[attr-defined]
        if "projector_binary" not in frame.url:
            continue
        try:
            els = frame.query_selector_all("#scatter canvas")
            boxes = [b for b in (el.bounding_box() for el in els) if b]
        except Exception:  # noqa: BLE001 - frame still loading: no canvas yet
            return None
        return max(boxes, key=lambda b: b["width"] * b["height"], default=None)
    return None


def _wait_points(page: object, n: int, timeout: float) -> tuple[float | None, int]:
    """Poll every 100 ms: the scatter canvas alone shows >= 3000 painted pixels, n points loaded.

    Its 3-D axes alone are ~300 pixels. Returns (epoch seconds of the first such screenshot,
    its painted pixels) or (None, the last count); late by at most one poll plus one capture.
    """
    deadline = time.monotonic() + timeout
    pixels = 0
    while time.monotonic() < deadline:
        start = time.time()
        box = _scatter_box(page)
        if box and box["width"] > 10 and box["height"] > 10:
            try:
                png = page.screenshot(clip=box, style=CANVAS_ONLY_STYLE)  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001 - canvas moved or detached mid-capture: poll again
                png = None
            if png is not None:
                pixels = painted_pixels(png)
                if pixels >= 3000 and (_projector_state(page) or {}).get("points") == str(n):
                    if os.environ.get("PW_BENCH_SHOTS"):
                        shot = Path(os.environ["PW_BENCH_SHOTS"]) / f"tensorboard_{n}.png"
                        shot.parent.mkdir(parents=True, exist_ok=True)
                        shot.write_bytes(png)
                    return time.time(), pixels
        # Not time.sleep: the sync API only learns of new frames while it waits on the page.
        page.wait_for_timeout(max(1.0, 100.0 - 1000.0 * (time.time() - start)))  # type: ignore[attr-defined]
    return None, pixels


def _tensorboard_page(browser: object, url: str, n: int) -> dict[str, object]:
    """Open ``/#projector`` in a fresh context; time to the first frame with all n points."""
    out: dict[str, object] = {}
    ctx = new_context(browser)
    errors: list[str] = []
    try:
        page = ctx.new_page()  # type: ignore[attr-defined]
        page.on("pageerror", lambda e: errors.append(str(e)[:200]))
        t0 = time.time()
        page.goto(f"{url}/#projector", wait_until="commit")
        t_paint, pixels = _wait_points(page, n, timeout=600)
        if t_paint is None:
            out["error"] = (
                f"no painted points within 600 s (painted pixels {pixels}, projector state "
                f"{_projector_state(page)}, page errors {errors[:2]})"
            )[:300]
            return out
        out["first_frame_s"] = t_paint - t0
        out["painted_pixels"] = pixels
        out["heap_mb"] = js_heap_mb(ctx, page)
    finally:
        ctx.close()  # type: ignore[attr-defined]
    return out


def measure_tensorboard(browser: object, logdir: Path, n: int) -> dict[str, object]:
    """TensorBoard projector: page load → points drawn, its JS heap, the server's TSV parse."""
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
                return {"error": f"tensorboard did not start: {log.read_text()[-500:]}"}
            time.sleep(0.5)
        load_s, why = _tensorboard_loaded(url, n, timeout=900)
        if load_s is None:
            return {"error": f"tensorboard did not load the TSV within 900 s: {why}"[:300]}
        return {"server_load_s": load_s, **_tensorboard_page(browser, url, n)}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
