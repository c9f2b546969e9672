"""The overview's quadtree index in the kernel (overview.py): build, grids, tiles and lassos.

Usage: python benchmarks/overview_index.py [--rows 10000000 30000000] [--dask]

For each size: --rows 2-D float32 points in 16 clusters with their cluster as the category. It
times ``OverviewIndex.build`` (chunks of CHUNK_ROWS sorted by Morton key, in threads) and the
first grid (512 x 512, the whole domain), a zoom's tiles (16 tiles at level 5 around a cluster,
as the browser asks for them), one level-3 tile (sampled to the tile budget), a hand-drawn-like
lasso (a 200-vertex circle) and one over half the domain (above SELECTED_MAX rows it is a
LazySelection), and reports the process's peak resident memory. With ``--dask`` the same runs on
a LocalCluster of two worker processes (chunks of a million rows scattered to them).
"""

from __future__ import annotations

import argparse
import resource
import time
from typing import Any

import numpy as np

from projector_widget.compute.overview import OverviewIndex
from projector_widget.compute.overview import keys as overview_keys
from projector_widget.dask import overview as dask_overview


def clusters(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n, 2) float32 points around 16 centres, their uint8 centre, and the centres."""
    rng = np.random.default_rng(0)
    centres = rng.uniform(-20, 20, size=(16, 2))
    groups = rng.integers(0, 16, n).astype(np.uint8)
    xy = np.empty((n, 2), np.float32)
    step = 1 << 22
    for a in range(0, n, step):
        g = groups[a : a + step]
        xy[a : a + step] = centres[g] + rng.standard_normal((g.size, 2), dtype=np.float32) * 2
    return xy, groups, centres


def timed(fn: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def run(n: int, executor: Any = None) -> None:
    xy, groups, centres = clusters(n)
    starts = None if executor is None else list(range(0, n, 1_000_000))

    def build() -> OverviewIndex:
        index = OverviewIndex.build(xy, groups, starts=starts, executor=executor)
        if executor is not None:  # the chunks are futures: wait until they are built
            import distributed

            distributed.wait(index.chunks)
        return index

    index, t_build = timed(build)
    grid, t_grid = timed(index.grid)
    cx, cy = overview_keys.cells(centres[:1, 0], centres[:1, 1], index.domain, 5)
    tiles = [(5, int(cx[0]) + i - 2, int(cy[0]) + j - 2) for i in range(4) for j in range(4)]
    samples, t_tiles = timed(lambda: index.tiles(tiles))
    (one,), t_one = timed(lambda: index.tiles([(3, int(cx[0]) >> 2, int(cy[0]) >> 2)]))
    angle = np.linspace(0, 2 * np.pi, 200, endpoint=False)
    circle = np.stack([centres[1, 0] + 6 * np.cos(angle), centres[1, 1] + 6 * np.sin(angle)], 1)
    chosen, t_lasso = timed(lambda: index.lasso(circle))
    x0, y0, s = index.domain
    half = np.array([[x0 - 1, y0 - 1], [x0 + s + 1, y0 - 1], [x0 + s + 1, y0 + s / 2]])
    half = np.vstack([half, [[x0 - 1, y0 + s / 2]]])
    halved, t_half = timed(lambda: index.lasso(half))
    where = "kernel" if executor is None else "cluster"
    sent = sum(x.order.size for x in samples)
    print(
        f"{n:,} rows ({where}, {len(index.chunks)} chunks): build {t_build:.2f} s, first grid "
        f"{t_grid:.2f} s (max {grid.max}); 16 tiles {t_tiles:.2f} s ({sent:,} rows); one "
        f"sampled tile {t_one:.2f} s ({one.order.size:,} of {one.total:,}); lasso {t_lasso:.2f} "
        f"s ({len(chosen):,} rows); half the domain {t_half:.2f} s ({len(halved):,} rows, "
        f"{type(halved).__name__})"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"  peak resident memory of this process so far: {peak:.2f} GiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000_000, 30_000_000])
    parser.add_argument("--dask", action="store_true")
    args = parser.parse_args()
    if not args.dask:
        for n in args.rows:
            run(n)
        return
    import distributed

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as local,
        distributed.Client(local) as client,
    ):
        for n in args.rows:
            run(n, dask_overview.DaskExecutor(client))


if __name__ == "__main__":
    main()
