"""Kernel-side cost of building a Projector: validation + PCA + encoding, and bytes to the browser.

Usage: python benchmarks/kernel.py [--sizes 100000x768,1000000x128,1000000x768]

Prints, for each size, the seconds to build the widget (median of --repeat runs, after the
embeddings exist), the bytes the browser receives (binary buffers plus the JSON remainder,
later parts of the points included), bytes per point, the peak memory the build allocates
beyond the input, and the seconds and peak memory of the background PCA of every row that
replaces the first frame's sample PCA on inputs above 60,000 rows.
"""

from __future__ import annotations

import argparse
import json
import time
import tracemalloc

import numpy as np
from ipywidgets.widgets.widget import _remove_buffers

from projector_widget import Projector


def make_embeddings(n: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Clustered float32 embeddings with a decaying spectrum, and a 20-way category label."""
    rng = np.random.default_rng(seed)
    scales = (1.0 / np.arange(1, d + 1) ** 0.5).astype(np.float32)
    centers = rng.standard_normal((20, d)).astype(np.float32) * scales * 3
    labels = rng.integers(0, 20, n)
    x = np.empty((n, d), np.float32)
    step = 100_000
    for s in range(0, n, step):
        m = min(step, n - s)
        x[s : s + m] = (
            rng.standard_normal((m, d), dtype=np.float32) * scales + centers[labels[s : s + m]]
        )
    return x, labels


def wire_bytes(w: object) -> tuple[int, int]:
    """(binary buffer bytes, JSON bytes) the browser receives: the state message plus, for
    points sent in parts, the ``_points_rest`` update the browser asks for."""
    # Without a _points_rest the browser may have asked for already: counted once, below.
    state = {k: v for k, v in w.get_state().items() if k != "_points_rest"}
    state, _paths, buffers = _remove_buffers(state)
    binary, text = sum(memoryview(b).nbytes for b in buffers), len(json.dumps(state))
    parts = getattr(w, "_parts", None)  # ours only (peers' widgets are measured too)
    rest = parts.points.pending() if parts is not None else None
    if rest is not None:
        header, _paths, rest_buffers = _remove_buffers({"_points_rest": rest})
        binary += sum(memoryview(b).nbytes for b in rest_buffers)
        text += len(json.dumps(header))
    return binary, text


def _finish_background_pca(w: Projector) -> None:
    """Start the PCA of every row now (as a browser's first frame would) and wait for it."""
    # The message a browser sends once its first frame is on screen, through the comm.
    w.comm.handle_msg({"content": {"data": {"method": "custom", "content": {"type": "drawn"}}}})
    w.pca_refined.wait()


def bench(n: int, d: int, repeat: int) -> dict[str, float]:
    """Build the widget ``repeat`` times for an (n, d) input and measure it."""
    x, labels = make_embeddings(n, d)
    meta = {"cluster": [f"c{i}" for i in labels]}
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        w = Projector(x, meta, dimensions=3)  # the README table is of the 3-D view
        times.append(time.perf_counter() - t)
        _finish_background_pca(w)
        w.close()
    tracemalloc.start()
    w = Projector(x, meta, dimensions=3)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    t = time.perf_counter()
    _finish_background_pca(w)
    refine_s = time.perf_counter() - t
    _, refine_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    binary, js = wire_bytes(w)
    w.close()
    return {
        "n": n,
        "d": d,
        "build_s": float(np.median(times)),
        "binary_bytes": binary,
        "json_bytes": js,
        "bytes_per_point": (binary + js) / n,
        "peak_extra_mb": peak / 2**20,
        "refine_s": refine_s,
        "refine_peak_mb": refine_peak / 2**20,
        "input_mb": x.nbytes / 2**20,
    }


def main() -> None:
    """Run the kernel benchmark and print a table."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="100000x768,1000000x128,1000000x768")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(
        f"{'N':>9} {'D':>5} {'build s':>8} {'sent MB':>8} {'B/point':>8} {'peak MB':>8} "
        f"{'input MB':>9} {'full PCA s':>10} {'its peak MB':>11}"
    )
    for size in args.sizes.split(","):
        n, d = (int(v) for v in size.lower().split("x"))
        r = bench(n, d, args.repeat)
        sent = (r["binary_bytes"] + r["json_bytes"]) / 1e6
        print(
            f"{n:>9} {d:>5} {r['build_s']:>8.2f} {sent:>8.2f} {r['bytes_per_point']:>8.2f} "
            f"{r['peak_extra_mb']:>8.0f} {r['input_mb']:>9.0f} {r['refine_s']:>10.2f} "
            f"{r['refine_peak_mb']:>11.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
