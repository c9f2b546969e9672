"""Timings of the exploration tools: t-SNE and UMAP layouts, exact nearest neighbours.

Usage: python benchmarks/explore.py [--layout-sizes 10000,100000] [--knn 1000000x768]

For t-SNE it prints the seconds to the first live frame (what the user sees streaming) and to
the finished layout; for UMAP the total; for kNN the median milliseconds per exact query, with
and without the PCA-subspace sketch the widget uses on large inputs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from kernel import make_embeddings  # noqa: E402

from projector_widget.compute.neighbours import inverse_norms, make_sketch, nearest  # noqa: E402
from projector_widget.compute.projections.pca import pca  # noqa: E402
from projector_widget.compute.projections.tsne import tsne  # noqa: E402
from projector_widget.compute.projections.umap import umap  # noqa: E402


def bench_tsne(x: np.ndarray) -> tuple[float, float]:
    """(seconds to the first streamed frame, seconds to the finished layout)."""
    t0 = time.perf_counter()
    first: list[float] = []

    def on_frame(_it: int, _total: int, _coords: np.ndarray) -> bool:
        if not first:
            first.append(time.perf_counter() - t0)
        return False

    # As the widget does: the PCA layout it already shows is the first frame.
    preview = pca(x, 2).coords
    tsne(x, {"seed": 0}, on_frame=on_frame, preview=preview)
    return first[0], time.perf_counter() - t0


def bench_umap(x: np.ndarray) -> float:
    """Seconds for a default UMAP layout."""
    t0 = time.perf_counter()
    umap(x, {"seed": 0})
    return time.perf_counter() - t0


def bench_knn(n: int, d: int, queries: int = 10) -> dict[str, float]:
    """Median milliseconds per exact cosine kNN query (k=10), plain scan and through the sketch.

    "plain": one matrix-vector product over all rows; "sketch": what the widget does above 100k
    rows, a bound from its one-pass PCA's subspace ruling rows out first (same answers; the
    run checks that). Also the sketch's build time and the share of rows it had to read.
    """
    x, _ = make_embeddings(n, d)
    sq = np.einsum("ij,ij->i", x, x)
    inv = inverse_norms(sq)  # computed once per widget, as Projector does
    quick = pca(x, 10, sq_norms=sq, power_iterations=0, keep_subspace=True)  # the first frame's
    t = time.perf_counter()
    sketch = make_sketch(x, sq, quick.subspace, quick.subspace_scores)
    build_ms = (time.perf_counter() - t) * 1000
    del quick
    plain, pruned = [], []
    for q in range(queries):
        row = q * 997 % n
        t = time.perf_counter()
        a = nearest(x, sq, row, k=10, metric="cosine", inv_norms=inv)
        plain.append(time.perf_counter() - t)
        t = time.perf_counter()
        b = nearest(x, sq, row, k=10, metric="cosine", inv_norms=inv, sketch=sketch)
        pruned.append(time.perf_counter() - t)
        if a[0].tolist() != b[0].tolist():
            raise AssertionError(f"sketch search disagrees with the plain scan for row {row}")
    return {
        "plain_ms": float(np.median(plain)) * 1000,
        "sketch_ms": float(np.median(pruned)) * 1000,
        "sketch_build_ms": build_ms,
        "sketch_mb": (sketch.scores.nbytes + sketch.residual.nbytes) / 2**20,
    }


def knn_line(n: int, d: int, r: dict[str, float]) -> str:
    """One line of report for :func:`bench_knn`."""
    return (
        f"exact kNN (cosine, k=10) at {n:,} × {d}: {r['plain_ms']:.0f} ms per query scanning "
        f"every row, {r['sketch_ms']:.0f} ms through the PCA-subspace sketch (same results; "
        f"sketch {r['sketch_mb']:.0f} MB, built in {r['sketch_build_ms']:.0f} ms); median of 10"
    )


def main() -> None:
    """Run and print the exploration benchmarks."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--layout-sizes", default="10000,100000")
    ap.add_argument("--dims", type=int, default=768)
    ap.add_argument("--knn", default="1000000x768")
    ap.add_argument("--skip-umap", action="store_true")
    args = ap.parse_args()
    if args.knn:
        n, d = (int(v) for v in args.knn.split("x"))
        print(knn_line(n, d, bench_knn(n, d)), flush=True)
    umap(make_embeddings(500, 16)[0], {"seed": 0})  # numba compiles once; not timed
    for n in (int(v) for v in args.layout_sizes.split(",") if v):
        x, _ = make_embeddings(n, args.dims)
        first, total = bench_tsne(x)
        print(
            f"t-SNE {n}x{args.dims}: first live frame {first:.1f} s, finished {total:.1f} s",
            flush=True,
        )
        if not args.skip_umap:
            print(f"UMAP  {n}x{args.dims}: finished {bench_umap(x):.1f} s", flush=True)


if __name__ == "__main__":
    main()
