"""End-to-end benchmark: the projector in JupyterLab under headless chromium, against its peers.

Usage::

    .venv/bin/python benchmarks/browser.py                       # all six sizes, peers, layouts
    .venv/bin/python benchmarks/browser.py --sizes 10000x128     # one small size (~2 minutes)
    .venv/bin/python benchmarks/browser.py --sizes 10000x128,100000x768 --skip-peers \\
        --skip-layouts --skip-knn

Needs the ``bench`` extra (jupyter-scatter, tensorboard, playwright, pandas, Pillow) and
Debian's chromium (``make test`` installs it). Sizes are ``NxD``; the default is
10000x128,10000x768,100000x128,100000x768,1000000x128,1000000x768 (1M x 768 needs ~3 GB of
float32 in the kernel plus the build's working memory).

For each size, in a fresh notebook (so a fresh kernel, shut down afterwards):

1. build s: ``Projector(x, meta)`` timed inside the kernel (validation + PCA + encoding);
2. MB sent / B/point: binary buffers + JSON of the widget state (``kernel.wire_bytes``);
3. first frame s: execute request sent from the page → widget root gets ``data-ready="1"``
   (a MutationObserver and ``performance.now()`` in the page): the first points drawn, which
   above 262,144 points is the first part of a progressive transfer; "all points s": the same
   start → ``data-complete="1"``, every point drawn; "pixels s" is the same start to the first
   100 ms-polled canvas screenshot with painted points, the method the peers get;
4. lasso RTT ms: a Playwright Shift+drag lasso; its pointerup (``Date.now()`` in the page) →
   ``w.selected`` observed in the kernel (``time.time()``; same machine clock);
   hover ms: the mouse moved onto a point → its tooltip visible (median of 5 points; the
   frames drawn meanwhile in brackets: above 200k points a hover redraws nothing);
5. updates/s: pointer moves the page handled per second while 60 Playwright mouse moves (each
   awaited) rotate the 3-D view and pan the 2-D one (events counted by a capturing listener,
   from pointerdown to pointerup, page clock); "full ms": pointerup → the animation frame after
   the first frame that draws every point (on a large set the drag draws a sample, refined to
   every point once released). jupyter-scatter's 2-D pan is measured the same way in the same
   run; it draws every point in every frame, so its "full ms" is pointerup → the second
   animation frame after it;
6. JS heap MB: ``performance.memory.usedJSHeapSize`` (``--enable-precise-memory-info``) after
   a forced GC, once the first frame is drawn (the whole JupyterLab page; "+" is the growth over
   the page before the cell ran);
7. kernel peak MB: ``ru_maxrss`` of the kernel after the build (input size printed beside it).

The embeddings (clustered float32, 20-way category, ``kernel.make_embeddings``) are generated
in an earlier, untimed cell. Peers (see ``peers.py``) use the same data in the same run:
jupyter-scatter on our 2-D PCA coordinates and TensorBoard's projector on a TSV log directory
(not above 100k points). ``--skip-peers`` leaves them out. Then, unless skipped, exact kNN
query time at 1M x 768 (``projector_widget.compute.neighbours.nearest``) and t-SNE / UMAP time at 100k x
768 (``explore.py``; minutes: ``--skip-layouts``).

The table is printed and written to ``benchmarks/results/latest.md``. No figure here is
asserted: it is a measurement script.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pagetools import (
    CHROMIUM,
    LabServer,
    arm_cell_timer,
    js_heap_mb,
    lasso_gesture,
    launch,
    new_context,
    open_notebook_page,
    run_cell,
    shutdown_kernels,
    start_cell,
    start_jupyter,
    stop_jupyter,
    wait_painted,
    write_notebook,
)
from peers import TENSORBOARD_MAX_POINTS, measure_jscatter, measure_tensorboard

HERE = Path(__file__).resolve().parent
WIDGET = ".projector-widget"
DEFAULT_SIZES = "10000x128,10000x768,100000x128,100000x768,1000000x128,1000000x768"

SETUP = """
import sys, time, resource, json
sys.path.insert(0, {bench!r})
import numpy as np
from projector_widget import Projector
from kernel import make_embeddings, wire_bytes
x, labels = make_embeddings({n}, {d})
meta = {{"cluster": [f"c{{i}}" for i in labels]}}
_input_mb = x.nbytes / 2**20
"""

CELL = """
_rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
_t = time.perf_counter()
w = Projector(x, meta, dimensions=3)  # 3-D first: the orbit is measured before the pan
_build_s = time.perf_counter() - _t
_rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
w
"""

# Log a drag: pointer moves handled between pointerdown and pointerup, and when the view shows
# every point again after pointerup. With a widget selector and its point count (ours), frames
# come from the root's ``data-frame`` attribute and the test hook (``lastDrawCount``,
# ``lastFramePartial``); a frame is done at the animation frame after it. Without (a peer that
# draws every point in every frame), done is the second animation frame after pointerup.
DRAG_LOG_JS = """([selector, total]) => {
  const root = selector ? document.querySelector(selector) : null;
  const pw = root ? root.__pw : null;
  if (window.__drag) window.__drag.stop();
  const log = (window.__drag = { down: null, up: null, moves: 0, frames: [], done: null, stop: null, budget: null });
  const full = (rec) => !rec.partial && rec.drawn === total;
  const onDown = () => {
    if (log.down !== null) return;
    log.down = performance.now();
    log.budget = pw ? pw.detailBudget : null; // points a moving frame draws (measured)
  };
  const onMove = () => { if (log.down !== null && log.up === null) log.moves++; };
  const onUp = () => {
    if (log.up !== null) return;
    log.up = performance.now();
    if (!pw) {
      requestAnimationFrame(() => requestAnimationFrame(() => { log.done = performance.now(); }));
      return;
    }
    const last = log.frames[log.frames.length - 1];
    if (last && full(last) && last.shown !== null) log.done = log.up; // every point already shown
  };
  let mo = null;
  if (pw) {
    mo = new MutationObserver(() => {
      const rec = { t: performance.now(), drawn: pw.lastDrawCount, partial: pw.lastFramePartial, shown: null };
      log.frames.push(rec);
      requestAnimationFrame(() => {
        rec.shown = performance.now();
        if (log.up !== null && log.done === null && full(rec)) log.done = rec.shown;
      });
    });
    mo.observe(root, { attributes: true, attributeFilter: ['data-frame'] });
  }
  addEventListener('pointerdown', onDown, true);
  addEventListener('pointermove', onMove, true);
  addEventListener('pointerup', onUp, true);
  log.stop = () => {
    removeEventListener('pointerdown', onDown, true);
    removeEventListener('pointermove', onMove, true);
    removeEventListener('pointerup', onUp, true);
    if (mo) mo.disconnect();
  };
}"""

DRAG_SUMMARY_JS = """() => {
  const median = (a) => (a.length ? a.slice().sort((x, y) => x - y)[a.length >> 1] : null);
  const log = window.__drag;
  log.stop();
  const during = log.frames.filter((f) => f.t >= log.down && f.t <= log.up);
  return {
    moves: log.moves,
    drag_ms: log.up - log.down,
    full_ms: log.done - log.up,
    frames: during.length,
    partial: during.filter((f) => f.partial).length,
    drawn: during.length ? Math.round(during.reduce((a, f) => a + f.drawn, 0) / during.length) : null,
    frame_ms: median(during.slice(1).map((f, i) => f.t - during[i].t)),
    budget: log.budget,
  };
}"""

# A lasso polygon around the densest middle of the drawn points (from a sample of their screen
# positions): a concave pentagon spanning the 35th..65th percentiles in x and y.
LASSO_POLY_JS = f"""() => {{
  const pw = document.querySelector('{WIDGET}').__pw;
  const p = pw.screenPositions();
  const n = p.length / 2, step = Math.max(1, Math.floor(n / 20000));
  const xs = [], ys = [];
  for (let i = 0; i < n; i += step) {{
    if (Number.isFinite(p[2 * i]) && Number.isFinite(p[2 * i + 1])) {{ xs.push(p[2 * i]); ys.push(p[2 * i + 1]); }}
  }}
  xs.sort((a, b) => a - b); ys.sort((a, b) => a - b);
  const q = (a, f) => a[Math.floor(f * (a.length - 1))];
  const x0 = q(xs, 0.3), x1 = q(xs, 0.7), y0 = q(ys, 0.3), y1 = q(ys, 0.7), cy = q(ys, 0.5);
  return [[x0, y0], [x1, y0], [x0 + 0.6 * (x1 - x0), cy], [x1, y1], [x0, y1]];
}}"""

POINTERUP_JS = """() => {
  window.__up = null;
  window.addEventListener('pointerup', () => { window.__up = Date.now(); }, { capture: true, once: true });
}"""


def drag_updates(page: object, box: dict, total: int | None = None) -> dict:
    """Drag across the canvas with 60 awaited mouse moves: updates/s and full-detail ms (5).

    ``total`` is our widget's point count (frames read from its test hook); None for a peer.
    Returns ``updates_per_s`` (pointer moves handled per second of the drag, page clock),
    ``full_ms`` (pointerup → every point shown), the frames drawn during the drag, how many of
    them were samples (``partial``) and the mean points they drew, and the client's drag time.
    """
    page.evaluate(DRAG_LOG_JS, [WIDGET if total else None, total or 0])  # type: ignore[attr-defined]
    mouse = page.mouse  # type: ignore[attr-defined]
    x, y = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.4
    mouse.move(x, y)
    mouse.down()
    t = time.perf_counter()
    for i in range(1, 61):
        mouse.move(x + 5 * i, y + 1.5 * i)
    mouse.up()
    drag_s = time.perf_counter() - t
    page.wait_for_function("() => window.__drag.done !== null", timeout=600_000)  # type: ignore[attr-defined]
    r = page.evaluate(DRAG_SUMMARY_JS)  # type: ignore[attr-defined]
    r["updates_per_s"] = r["moves"] / (r["drag_ms"] / 1000.0) if r["drag_ms"] > 0 else float("nan")
    r["drag_s"] = drag_s
    return dict(r)


def _wait_frames_settle(page: object, quiet_ms: int = 600, timeout_s: float = 60) -> None:
    """Wait until no frame has been drawn for ``quiet_ms`` (a transition has finished)."""
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        now = page.evaluate(f"() => document.querySelector('{WIDGET}').__pw.frameCount")  # type: ignore[attr-defined]
        if now == last:
            return
        last = now
        page.wait_for_timeout(quiet_ms)  # type: ignore[attr-defined]


def _first_frame(nb: object, ctx: object, r: dict) -> None:
    """Run the timed cell: first frame, build, bytes, kernel memory, JS heap (1-3, 6, 7)."""
    heap0 = js_heap_mb(ctx, nb.page)  # type: ignore[attr-defined]
    arm_cell_timer(nb, f'{WIDGET}[data-ready="1"]', f'{WIDGET}[data-complete="1"]')  # type: ignore[arg-type]
    start_cell(nb, 1)  # type: ignore[arg-type]

    def ready() -> bool:
        return bool(nb.page.evaluate("() => window.__bench.t1 !== null"))  # type: ignore[attr-defined]

    t_paint, _ = wait_painted(
        nb.page,  # type: ignore[attr-defined]
        f"{WIDGET} canvas.pw-canvas",
        timeout=900,
        min_pixels=200,
        also=ready,
    )
    b = nb.page.evaluate("() => window.__bench")  # type: ignore[attr-defined]
    if b["t1"] is None:
        raise RuntimeError("the widget never reported data-ready")
    r["first_frame_s"] = (b["t1"] - b["t0"]) / 1000.0
    nb.page.wait_for_function("() => window.__bench.t2 !== null", timeout=600_000)  # type: ignore[attr-defined]
    r["all_points_s"] = (nb.page.evaluate("() => window.__bench.t2") - b["t0"]) / 1000.0  # type: ignore[attr-defined]
    r["first_pixels_s"] = t_paint - b["t0epoch"] / 1000.0 if t_paint else float("nan")
    nb.wait_kernel("'_rss1' in globals()", timeout=600)  # type: ignore[attr-defined]
    k = nb.kernel_json(  # type: ignore[attr-defined]
        "dict(build_s=_build_s, rss0=_rss0/1024, rss1=_rss1/1024, wire=wire_bytes(w))"
    )
    r["build_s"] = k["build_s"]
    r["rss_before_mb"], r["kernel_peak_mb"] = k["rss0"], k["rss1"]
    r["sent_bytes"] = sum(k["wire"])
    r["bytes_per_point"] = r["sent_bytes"] / r["n"]
    _wait_frames_settle(nb.page)  # type: ignore[attr-defined]
    r["heap_mb"] = js_heap_mb(ctx, nb.page)  # type: ignore[attr-defined]
    r["heap_delta_mb"] = r["heap_mb"] - heap0


def _lasso_rtt(nb: object, box: dict, r: dict) -> None:
    """A Shift+drag lasso; its pointerup in the page → ``w.selected`` observed in the kernel (4)."""
    page = nb.page  # type: ignore[attr-defined]
    nb.kernel(  # type: ignore[attr-defined]
        "_sel_t = []\nw.observe(lambda c: _sel_t.append((time.time(), len(c['new']))), 'selected')"
    )
    poly = page.evaluate(LASSO_POLY_JS)
    page.evaluate(POINTERUP_JS)
    lasso_gesture(page, box, poly)
    sel = nb.wait_kernel("_sel_t", timeout=300)  # type: ignore[attr-defined]
    up = page.evaluate("() => window.__up")
    r["lasso_rtt_ms"] = sel[0][0] * 1000.0 - up if up else float("nan")
    r["lasso_selected"] = sel[0][1]


HOVER_JS = f"""(which) => {{
  const pw = document.querySelector('{WIDGET}').__pw;
  const p = pw.screenPositions();
  const i = Math.floor((p.length / 2) * which);
  return [p[2 * i], p[2 * i + 1]];
}}"""


def _hover_ms(page: object, box: dict, r: dict) -> None:
    """Mouse moved onto a point → its tooltip shown (median of 5 points), and frames drawn."""
    times, frames0 = [], page.evaluate(f"() => document.querySelector('{WIDGET}').__pw.frameCount")  # type: ignore[attr-defined]
    for k in range(5):
        x, y = page.evaluate(HOVER_JS, 0.1 + 0.17 * k)  # type: ignore[attr-defined]
        if x is None or y is None or not (math.isfinite(x) and math.isfinite(y)):  # hidden
            continue
        page.mouse.move(box["x"] + 2, box["y"] + 2)  # type: ignore[attr-defined]
        page.wait_for_selector(f"{WIDGET} .pw-tooltip", state="hidden", timeout=30_000)  # type: ignore[attr-defined]
        t = time.perf_counter()
        page.mouse.move(box["x"] + x, box["y"] + y)  # type: ignore[attr-defined]
        page.wait_for_selector(f"{WIDGET} .pw-tooltip", state="visible", timeout=30_000)  # type: ignore[attr-defined]
        times.append((time.perf_counter() - t) * 1000)
    frames = page.evaluate(f"() => document.querySelector('{WIDGET}').__pw.frameCount") - frames0  # type: ignore[attr-defined]
    r["hover_ms"] = statistics.median(times) if times else float("nan")
    r["hover_frames"] = frames


def _save_peer_inputs(nb: object, work: Path, r: dict) -> None:
    """Our 2-D PCA coordinates and labels for jupyter-scatter; a TSV log directory for TensorBoard."""
    tag = f"{r['n']}x{r['d']}"
    xy, lab = work / f"xy_{tag}.npy", work / f"labels_{tag}.npy"
    nb.kernel(f"np.save({str(xy)!r}, w.coordinates[:, :2]); np.save({str(lab)!r}, labels)")  # type: ignore[attr-defined]
    r["peer_xy"], r["peer_labels"] = xy, lab
    if r["n"] <= TENSORBOARD_MAX_POINTS:
        logdir = work / f"tb_{tag}"
        t = time.perf_counter()
        nb.kernel(f"w.to_tensorboard({str(logdir)!r}, tensor_format='tsv')")  # type: ignore[attr-defined]
        r["tb_write_s"] = time.perf_counter() - t
        r["peer_logdir"] = logdir


def measure_ours(
    browser: object, server: LabServer, n: int, d: int, *, work: Path, want_peers: bool
) -> dict:
    """Everything for one size in one fresh notebook; saves peer inputs when asked."""
    name = f"ours_{n}x{d}.ipynb"
    write_notebook(server.root / name, [SETUP.format(bench=str(HERE), n=n, d=d), CELL])
    ctx = new_context(browser)
    r: dict = {"n": n, "d": d}
    try:
        nb = open_notebook_page(ctx, server, name)
        run_cell(nb, 0)
        nb.wait_kernel("'_input_mb' in globals()", timeout=900)
        r["input_mb"] = nb.kernel_json("_input_mb")
        _first_frame(nb, ctx, r)
        el = nb.page.query_selector(f"{WIDGET} canvas.pw-canvas")  # type: ignore[attr-defined]
        el.scroll_into_view_if_needed()
        box = el.bounding_box()
        r["rotate3d"] = drag_updates(nb.page, box, n)  # 5. orbit the 3-D view (left drag)
        _wait_frames_settle(nb.page)
        _lasso_rtt(nb, box, r)
        _wait_frames_settle(nb.page)
        _hover_ms(nb.page, box, r)
        nb.kernel("w.dimensions = 2")
        nb.page.wait_for_timeout(300)  # type: ignore[attr-defined]
        _wait_frames_settle(nb.page)
        r["pan2d"] = drag_updates(nb.page, box, n)  # 5. pan the 2-D view (left drag)
        if want_peers:
            _save_peer_inputs(nb, work, r)
    finally:
        ctx.close()  # type: ignore[attr-defined]
        shutdown_kernels(server)
    return r


def machine_line(browser: object) -> str:
    """CPU model, cores, RAM, chromium version and the WebGL renderer in use."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    ctx = new_context(browser)
    try:
        page = ctx.new_page()
        gl = page.evaluate(
            """() => {
          const gl = document.createElement('canvas').getContext('webgl2');
          if (!gl) return 'no WebGL2';
          const ext = gl.getExtension('WEBGL_debug_renderer_info');
          return ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
        }"""
        )
    finally:
        ctx.close()
    version = browser.version  # type: ignore[attr-defined]
    return (
        f"{cpu}, {os.cpu_count()} cores, {ram:.0f} GiB RAM, {platform.system()} "
        f"{platform.release()}, chromium {version} headless ({CHROMIUM}), WebGL2: {gl}"
    )


def _f(v: object, fmt: str) -> str:
    if v is None:
        return "–"
    if isinstance(v, float) and math.isnan(v):
        return "–"
    return format(v, fmt)


def _drag_cell(d: dict) -> str:
    """Updates/s (full-detail ms after release), and the mean points of the sampled frames."""
    cell = f"{_f(d.get('updates_per_s'), '.1f')} ({_f(d.get('full_ms'), '.0f')})"
    if d.get("partial"):
        cell += f" [{d['partial']}/{d['frames']} fr. sampled, ~{d['drawn']:,} pts]"
    return cell


def _ratio(a: object, b: object) -> str:
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or not b:
        return "–"
    return f"{a / b:.2f}"


def report(rows: list[dict], machine: str, extras: list[str], peers: bool) -> str:
    """The Markdown report."""
    out = [f"Machine: {machine}", ""]
    out.append(
        "| N × D | build s | MB sent | B/point | first frame s | all points s | pixels s "
        "| lasso RTT ms | hover ms (frames) | rotate 3-D upd/s (full ms) "
        "| pan 2-D upd/s (full ms) | JS heap MB (+cell) "
        "| kernel peak MB (input) |"
    )
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            out.append(f"| {r['n']:,} × {r['d']} | error: {r['error']} |" + " |" * 11)
            continue
        out.append(
            f"| {r['n']:,} × {r['d']} | {r['build_s']:.2f} | {r['sent_bytes'] / 1e6:.1f} "
            f"| {r['bytes_per_point']:.1f} | {r['first_frame_s']:.2f} | {r['all_points_s']:.2f} "
            f"| {_f(r['first_pixels_s'], '.2f')} "
            f"| {r['lasso_rtt_ms']:.0f} ({r['lasso_selected']:,} sel.) "
            f"| {_f(r['hover_ms'], '.0f')} ({r['hover_frames']}) "
            f"| {_drag_cell(r['rotate3d'])} | {_drag_cell(r['pan2d'])} "
            f"| {r['heap_mb']:.0f} (+{r['heap_delta_mb']:.0f}) "
            f"| {r['kernel_peak_mb']:.0f} ({r['input_mb']:.0f}) |"
        )
    if peers:
        out += [
            "",
            "Peers, same data. jupyter-scatter gets our 2-D PCA coordinates; first frame = cell run "
            "→ first 100 ms-polled screenshot with painted points (ratios use our 'pixels s', "
            "measured the same way). TensorBoard (shows at most 100k points, PCA on a sample in "
            "the page): its server's TSV parse (waited for first: a page opened during the parse "
            "never loads the points) + page load → screenshot with the points painted; the ratio "
            "uses the sum, the time from a log directory to points on screen.",
            "",
            "| N × D | jscatter first frame s | jscatter heap MB (+cell) | jscatter MB sent "
            "| ours/jscatter frame | ours/jscatter heap | jscatter pan 2-D upd/s (full ms) "
            "| ours/jscatter pan upd/s | TensorBoard parse + first frame s "
            "| TensorBoard heap MB | ours/TB frame | ours/TB heap |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            if "error" in r:
                continue
            js = r.get("jscatter", {})
            tb = r.get("tensorboard", {})
            if "error" in js:
                js_cells = f"{js['error']} | – | – | – | – | – | –"
            else:
                js_cells = (
                    f"{_f(js.get('first_frame_s'), '.2f')} | {_f(js.get('heap_mb'), '.0f')} "
                    f"(+{_f(js.get('heap_delta_mb'), '.0f')}) | {_f((js.get('sent_bytes') or 0) / 1e6, '.1f')} "
                    f"| {_ratio(r['first_pixels_s'], js.get('first_frame_s'))} "
                    f"| {_ratio(r['heap_mb'], js.get('heap_mb'))}"
                )
                pan = js.get("pan2d")
                if isinstance(pan, dict):
                    ours = r["pan2d"].get("updates_per_s")
                    js_cells += f" | {_drag_cell(pan)} | {_ratio(ours, pan.get('updates_per_s'))}"
                else:
                    js_cells += " | – | –"
            tb_total = (tb.get("server_load_s") or 0.0) + (tb.get("first_frame_s") or float("nan"))
            if "error" in tb:
                tb_cells = f"{tb['error']} | – | – | –"
            else:
                tb_cells = (
                    f"{_f(tb.get('server_load_s'), '.1f')} + {_f(tb.get('first_frame_s'), '.1f')} "
                    f"| {_f(tb.get('heap_mb'), '.0f')} "
                    f"| {_ratio(r['first_pixels_s'], tb_total)} "
                    f"| {_ratio(r['heap_mb'], tb.get('heap_mb'))}"
                )
            out.append(f"| {r['n']:,} × {r['d']} | {js_cells} | {tb_cells} |")
    if extras:
        out += ["", *[f"- {e}" for e in extras]]
    return "\n".join(out) + "\n"


def run_explore(skip_knn: bool, skip_layouts: bool, knn_size: str, layout_n: int) -> list[str]:
    """Exact kNN and t-SNE/UMAP timings, each in a subprocess so their memory is freed."""
    lines: list[str] = []
    py = sys.executable
    if not skip_knn:
        n, d = (int(v) for v in knn_size.split("x"))
        code = f"from explore import bench_knn, knn_line\nprint(knn_line({n}, {d}, bench_knn({n}, {d})))"
        p = subprocess.run([py, "-c", code], cwd=HERE, capture_output=True, text=True, check=False)
        if p.returncode == 0:
            lines.append(p.stdout.strip())
        else:
            lines.append(f"exact kNN at {knn_size}: failed: {p.stderr.strip()[-300:]}")
    if not skip_layouts:
        code = (
            "from explore import bench_tsne, bench_umap, make_embeddings\n"
            "from projector_widget.compute.projections.umap import umap\n"
            "umap(make_embeddings(500, 16)[0], {'seed': 0})\n"
            f"x, _ = make_embeddings({layout_n}, 768)\n"
            "first, total = bench_tsne(x)\n"
            "print(f't-SNE {first:.1f} {total:.1f}', flush=True)\n"
            "print(f'UMAP {bench_umap(x):.1f}', flush=True)\n"
        )
        p = subprocess.run([py, "-c", code], cwd=HERE, capture_output=True, text=True, check=False)
        for line in p.stdout.splitlines():
            parts = line.split()
            if parts[0] == "t-SNE":
                lines.append(
                    f"t-SNE at {layout_n:,} × 768: first live frame {parts[1]} s, finished {parts[2]} s"
                )
            elif parts[0] == "UMAP":
                lines.append(f"UMAP at {layout_n:,} × 768: finished {parts[1]} s")
        if p.returncode != 0:
            lines.append(f"layouts: failed: {p.stderr.strip()[-300:]}")
    return lines


def _run_peers(browser: object, server: LabServer, r: dict) -> None:
    """jupyter-scatter and TensorBoard on the inputs ``measure_ours`` saved; cleans them up."""
    tag = f"{r['n']}x{r['d']}"
    t = time.perf_counter()
    try:
        r["jscatter"] = measure_jscatter(
            browser, server, tag, r["peer_xy"], r["peer_labels"], drag=drag_updates
        )
    except Exception as e:  # noqa: BLE001 - report the peer as failed, go on
        r["jscatter"] = {"error": f"{type(e).__name__}: {e}"[:200]}
        shutdown_kernels(server)
    print(f"[{tag}] jscatter ({time.perf_counter() - t:.0f} s): {r['jscatter']}", flush=True)
    t = time.perf_counter()
    logdir = r.pop("peer_logdir", None)
    try:
        r["tensorboard"] = (
            measure_tensorboard(browser, logdir, r["n"]) if logdir else {"error": "n/a (max 100k)"}
        )
    except Exception as e:  # noqa: BLE001
        r["tensorboard"] = {"error": f"{type(e).__name__}: {e}"[:200]}
    print(f"[{tag}] tensorboard ({time.perf_counter() - t:.0f} s): {r['tensorboard']}", flush=True)
    for key in ("peer_xy", "peer_labels"):
        Path(r.pop(key)).unlink(missing_ok=True)
    if logdir:
        shutil.rmtree(logdir, ignore_errors=True)


def main() -> None:
    """Run the end-to-end benchmark and print (and save) the report."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", default=DEFAULT_SIZES, help="comma-separated NxD")
    ap.add_argument("--skip-peers", action="store_true")
    ap.add_argument("--skip-layouts", action="store_true", help="no t-SNE/UMAP timing")
    ap.add_argument("--skip-knn", action="store_true", help="no exact kNN timing")
    ap.add_argument("--knn-size", default="1000000x768")
    ap.add_argument("--layout-n", type=int, default=100_000)
    ap.add_argument("--out", default=str(HERE / "results" / "latest.md"))
    args = ap.parse_args()
    sizes = [tuple(int(v) for v in s.lower().split("x")) for s in args.sizes.split(",") if s]

    from playwright.sync_api import sync_playwright

    rows: list[dict] = []
    work = Path(tempfile.mkdtemp(prefix="pw-bench-"))
    lab_root = work / "lab"
    lab_root.mkdir()
    server = start_jupyter("lab", lab_root, "jupyterlab.log")
    try:
        with sync_playwright() as p:
            browser = launch(p)
            try:
                machine = machine_line(browser)
                print(f"Machine: {machine}", flush=True)
                for n, d in sizes:
                    tag = f"{n}x{d}"
                    t = time.perf_counter()
                    try:
                        r = measure_ours(
                            browser, server, n, d, work=work, want_peers=not args.skip_peers
                        )
                    except Exception as e:  # noqa: BLE001 - report the size as failed, go on
                        r = {"n": n, "d": d, "error": f"{type(e).__name__}: {e}"[:300]}
                        shutdown_kernels(server)
                    print(f"[{tag}] ours ({time.perf_counter() - t:.0f} s): {r}", flush=True)
                    if not args.skip_peers and "error" not in r:
                        _run_peers(browser, server, r)
                    rows.append(r)
                    gc.collect()
            finally:
                browser.close()
    finally:
        stop_jupyter(server)
    extras = run_explore(args.skip_knn, args.skip_layouts, args.knn_size, args.layout_n)
    text = report(rows, machine, extras, not args.skip_peers)
    print()
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
