"""Past ten million points: the density overview of a Zarr store shown through a LocalCluster.

Usage: python benchmarks/overview.py [--rows 100000000] [--dims 32] [--store PATH] [--no-main]
       [--peer-rows 10000000] [--peer-dims 128] [--peer-store PATH] [--no-peer]

Writes (once) a Zarr group of ``--rows`` x ``--dims`` float32 rows (16 clusters plus noise,
uncompressed, 1M-row chunks: 12.8 GB at 100M x 32) and their cluster codes. Then, in JupyterLab
driven by headless chromium, one notebook runs ``Projector(da.from_zarr(store), meta)`` on the
widget's own LocalCluster (worker processes, one a core; started before the clock) and measures:

* time to the overview: the cell's run (sent from the page) -> the overview drawn on the canvas;
* kernel and worker peak memory (``ru_maxrss`` of the kernel and of each worker process);
* bytes to the browser for the first view (the widget's state: ``kernel.wire_bytes``) and for a
  zoom (tile replies counted by the page, and the zoom's time until its points are drawn);
* the lasso round trip on the overview: pointerup in the page -> ``w.selected`` observed in the
  kernel (the rows inside are found on the cluster).

With the peer (default), the same code runs at ``--peer-rows`` x ``--peer-dims`` (its own store)
both as shipped (at 10M the points themselves are drawn: the overview starts above 10M) and with
the overview forced (``overview_above=1_000_000``), and jupyter-scatter is given our 2-D
coordinates (saved, not timed) with the same cluster column, in the same run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from pagetools import (  # noqa: E402
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
    write_notebook,
)
from peers import measure_jscatter  # noqa: E402

WIDGET = ".projector-widget"
CHUNK_ROWS = 1_000_000
CLUSTERS = 16


def write_store(path: Path, rows: int, dims: int) -> None:
    """A Zarr group ``x`` (rows x dims float32, clustered) and ``cluster`` (uint8), written a
    chunk at a time; uncompressed (random floats do not compress, and the size is the point)."""
    import zarr

    if (path / "cluster").exists():
        return
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(CLUSTERS, dims)).astype(np.float32) * 4
    group = zarr.open_group(str(path), mode="w")
    x = group.create_array(
        "x", shape=(rows, dims), chunks=(CHUNK_ROWS, dims), dtype="f4", compressors=None
    )
    codes = group.create_array(
        "cluster", shape=(rows,), chunks=(CHUNK_ROWS,), dtype="u1", compressors=None
    )
    for start in range(0, rows, CHUNK_ROWS):
        n = min(CHUNK_ROWS, rows - start)
        groups = rng.integers(0, CLUSTERS, n).astype(np.uint8)
        block = rng.standard_normal((n, dims), dtype=np.float32)
        block += centres[groups]
        x[start : start + n] = block
        codes[start : start + n] = groups


SETUP = """
import sys, time, resource, json
sys.path.insert(0, {bench!r})
import numpy as np, pandas as pd, zarr, dask.array as da
from projector_widget import Projector
from projector_widget.dask import cluster as dask_cluster
from kernel import wire_bytes
_client = dask_cluster.client()  # the LocalCluster starts before the clock
_group = zarr.open_group({store!r}, mode="r")
_codes = np.asarray(_group["cluster"][:])
meta = {{"cluster": pd.Categorical.from_codes(_codes, [f"c{{i}}" for i in range({clusters})])}}
x = da.from_zarr(_group["x"])
def _workers_peak_mb():
    return _client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""

CELL = """
_t = time.perf_counter()
w = Projector(x, meta{extra})
_build_s = time.perf_counter() - _t
w
"""

# The page's view of the overview (the test hook's ``overview`` state).
STATE_JS = f"() => {{ const pw = document.querySelector('{WIDGET}').__pw; return pw.overview(); }}"


def _kernel_figures(nb: object) -> dict:
    """Build time, kernel and worker peaks, first-view bytes."""
    return nb.kernel_json(  # type: ignore[attr-defined]
        "dict(build_s=_build_s, kernel_peak=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss"
        "/1024, workers=list(_workers_peak_mb().values()), wire=wire_bytes(w), "
        "overview=bool(w._overview))"
    )


# The centre of the grid's densest cell, in data coordinates.
DENSEST = (
    "(lambda o: (lambda c, w, h, b: [b[0] + (c % w + 0.5) * (b[2] - b[0]) / w, "
    "b[1] + (c // w + 0.5) * (b[3] - b[1]) / h])(int(np.frombuffer(o['counts'], np.uint32)"
    ".argmax()), o['size'][0], o['size'][1], o['bounds']))(w._overview)"
)


def _zoom(nb: object, box: dict, r: dict) -> None:
    """Wheel in, a notch at a time, on the densest cell of the grid until the page holds points:
    the bytes (grid and tile replies) and the time of the whole zoom, notches and waits included
    (until no request has been sent for 2 s)."""
    page = nb.page  # type: ignore[attr-defined]
    dense = nb.kernel_json(DENSEST)  # type: ignore[attr-defined]
    before = page.evaluate(STATE_JS)
    t = time.perf_counter()
    state, quiet = before, 0.0
    for notch in range(1, 31):
        r["zoom_notches"] = notch
        x0, y0, x1, y1 = state["view"]
        px = box["x"] + (dense[0] - x0) / (x1 - x0) * box["width"]
        py = box["y"] + (y1 - dense[1]) / (y1 - y0) * box["height"]
        page.mouse.move(px, py)
        page.mouse.wheel(0, -300)
        quiet, last = 0.0, None
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and quiet < 2.0:
            page.wait_for_timeout(250)
            state = page.evaluate(STATE_JS)
            now = (state["mode"], state["requests"], state["bytes"])
            quiet = quiet + 0.25 if now == last else 0.0
            last = now
        if state["mode"] == "points":
            break
    r["zoom_s"] = time.perf_counter() - t - quiet
    r["zoom_mode"] = state["mode"]
    r["zoom_bytes"] = state["bytes"] - before["bytes"]
    r["zoom_requests"] = state["requests"] - before["requests"]
    r["zoom_points"] = state["points"]
    r["zoom_tiles"] = state["tiles"]
    r["zoom_view"] = state["view"]


def _lasso(nb: object, box: dict, r: dict) -> None:
    """A Shift+drag lasso over the middle of the overview; pointerup -> ``w.selected`` seen."""
    page = nb.page  # type: ignore[attr-defined]
    nb.kernel(  # type: ignore[attr-defined]
        "_sel_t = []\nw.observe(lambda c: _sel_t.append((time.time(), len(c['new']))), 'selected')"
    )
    page.evaluate(
        "() => { window.__up = null; window.addEventListener('pointerup', () => "
        "{ window.__up = Date.now(); }, { capture: true, once: true }); }"
    )
    w, h = box["width"], box["height"]
    poly = [(0.3 * w, 0.3 * h), (0.7 * w, 0.3 * h), (0.55 * w, 0.5 * h), (0.7 * w, 0.7 * h)]
    poly.append((0.3 * w, 0.7 * h))
    lasso_gesture(page, box, poly)
    sel = nb.wait_kernel("_sel_t", timeout=600)  # type: ignore[attr-defined]
    up = page.evaluate("() => window.__up")
    r["lasso_rtt_ms"] = sel[0][0] * 1000.0 - up if up else float("nan")
    r["lasso_selected"] = sel[0][1]


def measure(
    browser: object,
    server: object,
    store: Path,
    tag: str,
    *,
    extra: str = "",
    save_xy: Path | None = None,
) -> dict:
    """One notebook: the timed cell, then the zoom and the lasso (overview mode only)."""
    name = f"overview_{tag}.ipynb"
    setup = SETUP.format(bench=str(HERE), store=str(store), clusters=CLUSTERS)
    write_notebook(server.root / name, [setup, CELL.format(extra=extra)])  # type: ignore[attr-defined]
    ctx = new_context(browser)
    r: dict = {"tag": tag}
    try:
        nb = open_notebook_page(ctx, server, name)
        run_cell(nb, 0)
        nb.wait_kernel("'x' in globals()", timeout=900)
        heap0 = js_heap_mb(ctx, nb.page)
        arm_cell_timer(nb, f'{WIDGET}[data-ready="1"]', f'{WIDGET}[data-ready="1"]')
        start_cell(nb, 1)
        nb.page.wait_for_function("() => window.__bench.t1 !== null", timeout=1_800_000)
        b = nb.page.evaluate("() => window.__bench")
        r["first_view_s"] = (b["t1"] - b["t0"]) / 1000.0
        nb.wait_kernel("'_build_s' in globals()", timeout=600)
        k = _kernel_figures(nb)
        r.update(
            build_s=k["build_s"],
            kernel_peak_mb=k["kernel_peak"],
            worker_peak_mb=max(k["workers"]),
            workers_total_mb=sum(k["workers"]),
            first_view_bytes=sum(k["wire"]),
            overview=k["overview"],
        )
        nb.page.wait_for_timeout(1500)
        r["heap_mb"] = js_heap_mb(ctx, nb.page)
        r["heap_delta_mb"] = r["heap_mb"] - heap0
        el = nb.page.query_selector(f"{WIDGET} canvas.pw-canvas")
        el.scroll_into_view_if_needed()
        box = el.bounding_box()
        if r["overview"]:
            _lasso(nb, box, r)
            _zoom(nb, box, r)
            r["heap_after_zoom_mb"] = js_heap_mb(ctx, nb.page)
        if save_xy is not None:
            nb.kernel(f"np.save({str(save_xy)!r}, w.coordinates[:, :2])")
    finally:
        ctx.close()  # type: ignore[attr-defined]
        shutdown_kernels(server)  # type: ignore[arg-type]
    print(json.dumps(r), flush=True)
    return r


def _row(r: dict) -> str:
    def f(key: str, fmt: str) -> str:
        v = r.get(key)
        return "–" if v is None else format(v, fmt)

    return (
        f"| {r['tag']} | {f('first_view_s', '.1f')} | {f('kernel_peak_mb', ',.0f')} "
        f"| {f('worker_peak_mb', ',.0f')} | {r.get('first_view_bytes', 0) / 1e6:.2f} "
        f"| {(r.get('zoom_bytes') or 0) / 1e6:.2f} ({f('zoom_points', ',')} pts, "
        f"{f('zoom_s', '.1f')} s) | {f('lasso_rtt_ms', ',.0f')} ({f('lasso_selected', ',')}) "
        f"| {f('heap_mb', '.0f')} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--dims", type=int, default=32)
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--peer-rows", type=int, default=10_000_000)
    parser.add_argument("--peer-dims", type=int, default=128)
    parser.add_argument("--peer-store", type=Path, default=None)
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--no-main", action="store_true", help="only the 10M comparison")
    args = parser.parse_args()
    work = Path("/tmp/projector-overview-bench")
    work.mkdir(exist_ok=True)
    main_store = args.store or Path(f"/tmp/projector-{args.rows}x{args.dims}.zarr")
    peer_store = args.peer_store or Path(f"/tmp/projector-{args.peer_rows}x{args.peer_dims}.zarr")
    t = time.perf_counter()
    if not args.no_main:
        write_store(main_store, args.rows, args.dims)
    if not args.no_peer:
        write_store(peer_store, args.peer_rows, args.peer_dims)
    print(f"stores ready in {time.perf_counter() - t:.0f} s", flush=True)

    from playwright.sync_api import sync_playwright

    server = start_jupyter("lab", work, "jupyterlab.log")
    rows: list[dict] = []
    peer: dict = {}
    try:
        with sync_playwright() as p:
            browser = launch(p)
            if not args.no_main:
                rows.append(measure(browser, server, main_store, f"{args.rows:,} x {args.dims}"))
            if not args.no_peer:
                tag = f"{args.peer_rows:,} x {args.peer_dims}"
                xy = work / "peer_xy.npy"
                rows.append(measure(browser, server, peer_store, tag + " (points)", save_xy=xy))
                rows.append(
                    measure(
                        browser,
                        server,
                        peer_store,
                        tag + " (overview)",
                        extra=", overview_above=1_000_000",
                    )
                )
                import zarr

                labels = work / "peer_labels.npy"
                np.save(labels, np.asarray(zarr.open_group(str(peer_store))["cluster"][:]))
                peer = measure_jscatter(browser, server, "overview_peer", xy, labels)
                print(json.dumps(peer, default=str), flush=True)
            browser.close()
    finally:
        stop_jupyter(server)
    print()
    print(
        "| rows x dims | first view s | kernel peak MB | worker peak MB | first view MB "
        "| zoom MB (points, s) | lasso RTT ms (rows) | JS heap MB |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(_row(r))
    if peer:
        sent = peer.get("sent_bytes")
        print(
            f"| jupyter-scatter {args.peer_rows:,} (2-D given) | "
            f"{peer.get('first_frame_s', float('nan')):.1f} | – | – | "
            f"{(sent or 0) / 1e6:.2f} | – | – | {peer.get('heap_mb', float('nan')):.0f} |"
        )


if __name__ == "__main__":
    main()
