"""PCA of embeddings in a Zarr store: on a LocalCluster (chunked.py) against the in-memory path.

Usage: python benchmarks/larger.py [--rows 2000000] [--dims 64] [--chunk 65536] [--store PATH]

Writes (once) a Zarr store of --rows x --dims float32 rows, 16 clusters plus noise, a chunk at a
time. Then, each in a fresh process so one's peak cannot hide the other's, it times
``Projector(store)`` (the widget's own LocalCluster: worker processes, one a core; the first
frame is the PCA of every row) and ``Projector(store[:])`` (the rows read into the kernel, then
the in-memory PCA), and reports the kernel's peak resident memory (``ru_maxrss`` of the kernel
process alone: the workers are other processes). Needs the ``dask`` extra.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import time
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np


def write_store(path: Path, rows: int, dims: int, chunk: int) -> None:
    """A Zarr store of clustered float32 rows, written a chunk at a time."""
    import zarr

    if path.exists():
        return
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(16, dims)).astype(np.float32) * 4
    z = zarr.open_array(str(path), mode="w", shape=(rows, dims), chunks=(chunk, dims), dtype="f4")
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        groups = rng.integers(0, 16, n)
        z[start : start + n] = centres[groups] + rng.normal(size=(n, dims)).astype(np.float32)


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run(path: str, chunked: bool, out: Connection) -> None:
    import zarr

    from projector_widget import Projector, session
    from projector_widget import chunked as chunked_module

    session.REFINE_WAIT_S = 0.0  # no browser draws here: refine the in-memory PCA at once
    z = zarr.open_array(path, mode="r")
    base = _peak_mib()
    if chunked:
        chunked_module.client()  # the cluster starts before the clock: its start is not PCA
        base = _peak_mib()
    start = time.perf_counter()
    w = Projector(z if chunked else np.asarray(z[:]))
    w.pca_refined.wait()
    seconds = time.perf_counter() - start
    out.send((seconds, _peak_mib() - base, w.explained_variance_ratio[:3].tolist()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--dims", type=int, default=64)
    parser.add_argument("--chunk", type=int, default=65_536)
    parser.add_argument("--store", type=Path, default=None)
    args = parser.parse_args()
    path = args.store or Path(f"/tmp/projector-larger-{args.rows}x{args.dims}.zarr")
    write_store(path, args.rows, args.dims, args.chunk)
    print(f"{args.rows:,} x {args.dims} float32 in {path} ({args.chunk:,}-row chunks)")
    ctx = multiprocessing.get_context("spawn")
    for chunked in (True, False):
        receive, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_run, args=(str(path), chunked, send))
        proc.start()
        seconds, peak, ratio = receive.recv()
        proc.join()
        what = "Dask, LocalCluster" if chunked else "in memory (store[:])"
        print(
            f"{what:>22}: first frame (PCA of every row) {seconds:6.1f} s, kernel peak "
            f"+{peak:,.0f} MiB, variance ratio {np.round(ratio, 4).tolist()}"
        )


if __name__ == "__main__":
    main()
