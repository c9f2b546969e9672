"""Issue 13's kernel computations at scale: layout quality, clusters and their names.

Usage: python benchmarks/explain.py [--sizes 100000x64,100000x768] [--k 10] [--threads 2]

For each size: clustered float32 embeddings (benchmarks/kernel.py's make_embeddings: 20 groups,
a decaying spectrum) and their 2-D PCA layout; a text column gives each row its group's word
and three words drawn from 200 shared ones. Prints one Markdown table with the seconds of

* ``layout_quality`` (exact: every pair compared), with its trustworthiness and continuity, and,
  once per process, the seconds numba takes to compile its scan (cached on disk afterwards);
* ``find_clusters`` (HDBSCAN on a 20,000-point sample, the rest following it) and
  ``name_clusters`` on the text column, with how many clusters were found and the share of
  them named after their majority group's word;
* ``cluster_levels`` (three levels, named).

``--threads`` caps BLAS, OpenMP and numba threads (the issue's target machine has two cores).
Needs the dev extra (scikit-learn, scipy, numba). Density contours are traced in the browser.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def _cap_threads(threads: int) -> None:
    """Set the thread pools' sizes before NumPy, scikit-learn or numba start them."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = str(threads)


class Timer:
    """Wall and process CPU seconds of each call, in order."""

    def __init__(self) -> None:
        self.cpu: list[float] = []

    def __call__(self, fn, *a, **kw):  # type: ignore[no-untyped-def]
        start, cpu = time.perf_counter(), time.process_time()
        out = fn(*a, **kw)
        self.cpu.append(time.process_time() - cpu)
        return time.perf_counter() - start, out


def compile_scans(timed: Timer) -> tuple[str, str, float, str]:
    """Compile numba's scans (small inputs, both precisions) so later rows time the work."""
    import numpy as np

    from projector_widget.compute.explain import quality

    small = np.random.default_rng(0).standard_normal((2000, 8)).astype(np.float32)
    wall = cpu = 0.0
    saved = quality.FLOAT64_MAX_ROWS
    try:
        for limit in (10**9, 10):  # float64, then float32
            quality.FLOAT64_MAX_ROWS = limit
            s, _ = timed(quality.layout_quality, small, small[:, :2], k=5, kernel="numba")
            wall, cpu = wall + s, cpu + timed.cpu[-1]
    finally:
        quality.FLOAT64_MAX_ROWS = saved
    return ("numba compile of the scans (once per machine, then cached)", f"{wall:.1f}", cpu, "")


def measure(n: int, d: int, k: int, timed: Timer) -> list[tuple[str, str, float, str]]:
    """The table rows of one size."""
    import numpy as np
    from kernel import make_embeddings

    from projector_widget.compute.explain.clusters import cluster_levels, find_clusters
    from projector_widget.compute.explain.naming import name_clusters
    from projector_widget.compute.explain.quality import layout_quality

    rng = np.random.default_rng(0)
    x, groups = make_embeddings(n, d)
    centred = x - x.mean(axis=0)
    basis = np.linalg.svd(centred[:20_000], full_matrices=False)[2][:2].T
    layout = (centred @ basis).astype(np.float32)
    vocab = np.array([f"filler{i:03d}" for i in range(200)])
    words = np.array([f"topic{g:02d}" for g in range(20)])
    fillers = vocab[rng.integers(0, vocab.size, (n, 3))]
    texts = [f"{words[g]} {' '.join(f)}" for g, f in zip(groups, fillers, strict=True)]
    rows = []

    s, report = timed(layout_quality, x, layout, k=k)
    kept = float(np.mean(report.kept))
    result = f"T {report.trustworthiness:.4f}, C {report.continuity:.4f}, kept {kept:.3f}"
    rows.append((f"layout_quality {n:,} x {d}, k={k} (exact)", f"{s:.1f}", timed.cpu[-1], result))

    s, labels = timed(find_clusters, layout)
    noise = float(np.mean(labels < 0))
    result = f"{int(labels.max()) + 1} clusters, {noise:.1%} noise"
    rows.append((f"find_clusters {n:,} points (2-D)", f"{s:.1f}", timed.cpu[-1], result))

    s, names = timed(name_clusters, labels, texts=texts)
    right = np.mean(
        [
            nm.terms[:1] == (words[np.bincount(groups[labels == nm.cluster]).argmax()],)
            for nm in names
        ]
    )
    result = f"{right:.0%} named after their majority group"
    rows.append((f"name_clusters {n:,} texts", f"{s:.1f}", timed.cpu[-1], result))

    s, levels = timed(cluster_levels, layout, texts=texts)
    result = " / ".join(str(len(lv.clusters)) for lv in levels) + " clusters"
    rows.append(
        (f"cluster_levels {n:,} points, 3 levels, named", f"{s:.1f}", timed.cpu[-1], result)
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000x64")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    _cap_threads(args.threads)
    sys.path.insert(0, str(Path(__file__).parent))

    timed = Timer()
    rows = [compile_scans(timed)]
    for size in args.sizes.split(","):
        n, d = (int(v) for v in size.lower().split("x"))
        rows += measure(n, d, args.k, timed)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{args.threads} threads, {os.cpu_count()} CPUs seen, load average {load:.1f} at the end")
    print("(CPU seconds / threads is about the wall time on an otherwise idle machine)\n")
    print("| step | wall s | CPU s | result |\n|---|---|---|---|")
    for step, wall, used, result in rows:
        print(f"| {step} | {wall} | {used:.1f} | {result} |")


if __name__ == "__main__":
    main()
