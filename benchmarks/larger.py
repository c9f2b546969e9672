"""PCA of embeddings in a Zarr store: on a LocalCluster (projector_widget.dask) against the in-memory path.

Usage: python benchmarks/larger.py [--rows 2000000] [--dims 64] [--chunk 65536] [--store PATH]
                                  [--ann [--metric cosine] [--queries 20]]

Writes (once) a Zarr store of --rows x --dims float32 rows, 16 clusters plus noise, a chunk at a
time. Then, each in a fresh process so one's peak cannot hide the other's, it times
``Projector(store)`` (the widget's own LocalCluster: worker processes, one a core; the first
frame is the PCA of every row) and ``Projector(store[:])`` (the rows read into the kernel, then
the in-memory PCA), and reports the kernel's peak resident memory (``ru_maxrss`` of the kernel
process alone: the workers are other processes). Needs the ``dask`` extra.

With ``--ann`` it times neighbour search instead (needs the ``ann`` extra too), on the same
LocalCluster: the exact chunked scan (``ChunkedSearch.query``: every chunk read per query) against
the approximate index built from the chunks (``chunked_ann.ChunkedIndex``): build time, query
times and recall@10 over ``--queries`` random rows, once with the rows read from the Zarr store
and once persisted in the workers' memory (where gathering the rows to re-rank costs no read).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

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

    from projector_widget import Projector
    from projector_widget.dask import cluster as dask_cluster
    from projector_widget.parts import session

    session.REFINE_WAIT_S = 0.0  # no browser draws here: refine the in-memory PCA at once
    z = zarr.open_array(path, mode="r")
    base = _peak_mib()
    if chunked:
        dask_cluster.client()  # the cluster starts before the clock: its start is not PCA
        base = _peak_mib()
    start = time.perf_counter()
    w = Projector(z if chunked else np.asarray(z[:]))
    w.pca_refined.wait()
    seconds = time.perf_counter() - start
    out.send((seconds, _peak_mib() - base, w.explained_variance_ratio[:3].tolist()))


def _search_times(
    search: Any, queries: list[int], metric: str
) -> tuple[list[float], list[np.ndarray]]:
    """Seconds of each query of ``search`` (a ChunkedSearch) and the rows it found."""
    seconds, answers = [], []
    for q in queries:
        start = time.perf_counter()
        answers.append(search.query(q, 10, metric)[0])
        seconds.append(time.perf_counter() - start)
    return seconds, answers


def _run_ann(path: str, metric: str, n_queries: int, out: Connection) -> None:
    """Exact chunked scan against the chunked index, from the store and persisted."""
    import dask.array as da
    import zarr

    from projector_widget.dask import array as dask_array
    from projector_widget.dask import cluster as dask_cluster
    from projector_widget.dask import neighbours as dask_neighbours

    c = dask_cluster.client()  # the widget's own LocalCluster, started before any clock
    stored = da.from_zarr(zarr.open_array(path, mode="r"))
    rng = np.random.default_rng(1)
    queries = sorted(int(q) for q in rng.choice(stored.shape[0], n_queries, replace=False))
    results = {}
    for where in ("Zarr store", "persisted"):
        array = stored
        if where == "persisted":
            array = c.persist(stored)
            c.compute(array[-1, 0]).result()  # waits for the chunks (gathers one number)
        search = dask_neighbours.ChunkedSearch(dask_array.as_chunked(array))
        exact_s, exact = _search_times(search, queries, metric)
        start = time.perf_counter()
        index = search.build_index(metric, progress=False)
        build_s = time.perf_counter() - start
        ann_s, found = _search_times(search, queries, metric)
        recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, exact, strict=True)])
        results[where] = {
            "exact_s": exact_s,
            "build_s": build_s,
            "ann_s": ann_s,
            "recall": float(recall),
            "shards": len(index.shards),
            "nlist": index.nlist,
            "nprobe": index.nprobe,
            "code_mib": index.code_bytes / 2**20,
        }
        index.close()
        del array
    out.send((results, sum(c.nthreads().values())))
    dask_cluster._close_own()  # the workers end before this process does


def _report_ann(path: Path, metric: str, n_queries: int) -> None:
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    load = os.getloadavg()
    proc = ctx.Process(target=_run_ann, args=(str(path), metric, n_queries, send))
    proc.start()
    while not receive.poll(1.0):
        if not proc.is_alive():
            raise SystemExit("the benchmark's process failed: see its traceback above")
    results, threads = receive.recv()
    proc.join()
    print(
        f"{metric} neighbours, k=10, {n_queries} row queries, LocalCluster of {threads} worker "
        f"processes; load average {load[0]:.2f} before, {os.getloadavg()[0]:.2f} after"
    )
    for where, r in results.items():
        exact, ann = np.array(r["exact_s"]), np.array(r["ann_s"])
        print(
            f"{where:>11}: exact scan median {np.median(exact) * 1e3:7.0f} ms (max "
            f"{exact.max() * 1e3:.0f}); index build {r['build_s']:6.1f} s ({r['shards']} shards, "
            f"nlist {r['nlist']}, nprobe {r['nprobe']}, {r['code_mib']:.0f} MiB on the workers), "
            f"query median {np.median(ann) * 1e3:5.0f} ms (max {ann.max() * 1e3:.0f}), "
            f"recall@10 {r['recall']:.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--dims", type=int, default=64)
    parser.add_argument("--chunk", type=int, default=65_536)
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument(
        "--ann", action="store_true", help="time neighbour search: exact scan against the index"
    )
    parser.add_argument("--metric", choices=("cosine", "euclidean"), default="cosine")
    parser.add_argument("--queries", type=int, default=20)
    args = parser.parse_args()
    path = args.store or Path(f"/tmp/projector-larger-{args.rows}x{args.dims}.zarr")
    write_store(path, args.rows, args.dims, args.chunk)
    print(f"{args.rows:,} x {args.dims} float32 in {path} ({args.chunk:,}-row chunks)")
    if args.ann:
        _report_ann(path, args.metric, args.queries)
        return
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
