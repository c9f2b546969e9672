"""Approximate nearest neighbours (projector_widget.compute.ann) against exact search.

Usage: python benchmarks/ann.py [--sizes 1000000x768,100000x768] [--metrics cosine,euclidean]
                                [--queries 50] [--nprobe N] [--rerank R] [--seed S]

For each size and metric: seconds to build the index, the peak resident memory the build adds
(read from the kernel, so faiss's C++ allocations count; the embeddings already exist), the
bytes the index keeps, the per-query milliseconds of the index and of exact search (medians over
--queries row queries, k=10) and the mean recall@10 of the index against exact search.
Each (size, metric) runs in a fresh process, so memory freed by an earlier run cannot hide
this one's peak. Needs the ``ann`` extra (faiss). Runs are sequential: one index at a time.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import statistics
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from kernel import make_embeddings  # noqa: E402

from projector_widget.compute.ann import ApproximateIndex, default_nlist, default_nprobe  # noqa: E402
from projector_widget.compute.neighbours import inverse_norms, nearest  # noqa: E402


def _status_kb(field: str) -> int:
    """A ``/proc/self/status`` field (VmRSS, VmHWM) in KiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


class PeakRSS:
    """Peak resident memory growth of this process during a ``with`` block, in bytes.

    Resets the kernel's high-water mark (``/proc/self/clear_refs``) when allowed; otherwise
    samples VmRSS every 5 ms from a thread.
    """

    def __enter__(self) -> PeakRSS:
        gc.collect()
        self.start = _status_kb("VmRSS")
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            self.sampler = None
        except OSError:
            self.samples = [self.start]
            self.stop = threading.Event()
            self.sampler = threading.Thread(target=self._sample, daemon=True)
            self.sampler.start()
        return self

    def _sample(self) -> None:
        while not self.stop.wait(0.005):
            self.samples.append(_status_kb("VmRSS"))

    def __exit__(self, *exc: object) -> None:
        if self.sampler is None:
            peak = _status_kb("VmHWM")
        else:
            self.stop.set()
            self.sampler.join()
            peak = max(self.samples)
        self.growth = (peak - self.start) * 1024
        self.retained = (_status_kb("VmRSS") - self.start) * 1024


def bench(
    n: int, d: int, metric: str, *, queries: int, nprobe: int | None, rerank: int, seed: int
) -> dict[str, float]:
    """Build one index over ``make_embeddings(n, d)``; compare row queries with exact search."""
    x, _ = make_embeddings(n, d)
    sq = np.einsum("ij,ij->i", x, x)
    rows = np.random.default_rng(seed + 1).choice(n, min(n, queries), replace=False)
    with PeakRSS() as mem:
        t = time.perf_counter()
        index = ApproximateIndex(x, sq, metric, nprobe=nprobe, rerank=rerank, seed=seed)
        build_s = time.perf_counter() - t
    inv = inverse_norms(sq) if metric == "cosine" else None
    exact_ms, approx_ms, recalls = [], [], []
    for q in rows.tolist():
        t = time.perf_counter()
        ref, _ = nearest(x, sq, q, 10, metric, inv_norms=inv)
        exact_ms.append((time.perf_counter() - t) * 1e3)
        t = time.perf_counter()
        got, _ = index.search(q, 10)
        approx_ms.append((time.perf_counter() - t) * 1e3)
        recalls.append(len(set(got.tolist()) & set(ref.tolist())) / len(ref))
    return {
        "nlist": index.nlist,
        "nprobe": index.nprobe,
        "build_s": build_s,
        "peak_mb": mem.growth / 2**20,
        "kept_mb": mem.retained / 2**20,
        "codes_mb": index.code_bytes / 2**20,
        "query_ms": statistics.median(approx_ms),
        "exact_ms": statistics.median(exact_ms),
        "recall": float(np.mean(recalls)),
        "min_recall": float(np.min(recalls)),
        "input_mb": x.nbytes / 2**20,
    }


def _child(conn: Connection, args: tuple, kwargs: dict) -> None:
    conn.send(bench(*args, **kwargs))
    conn.close()


def bench_in_subprocess(*args: object, **kwargs: object) -> dict[str, float]:
    """:func:`bench` in a fresh (spawned) process."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, args, kwargs))
    proc.start()
    child.close()
    try:
        result = parent.recv()
    except EOFError:
        proc.join()
        raise RuntimeError(f"benchmark process failed (exit code {proc.exitcode})") from None
    proc.join()
    return result


def main() -> None:
    """Run the approximate-neighbour benchmark and print a table."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", default="1000000x768")
    ap.add_argument("--metrics", default="cosine,euclidean")
    ap.add_argument("--queries", type=int, default=50, help="row queries per size (>= 20)")
    ap.add_argument("--nprobe", type=int, default=None, help="default: from N")
    ap.add_argument("--rerank", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.queries < 20:
        ap.error("--queries must be at least 20")
    print(
        f"{'N':>9} {'D':>4} {'metric':>9} {'nlist':>5} {'nprobe':>6} {'build s':>7} "
        f"{'peak MB':>7} {'kept MB':>7} {'codes MB':>8} {'query ms':>8} {'exact ms':>8} "
        f"{'speedup':>7} {'recall@10':>9} {'min':>4} {'input MB':>8}",
        flush=True,
    )
    for size in args.sizes.split(","):
        n, d = (int(v) for v in size.lower().split("x"))
        for metric in args.metrics.split(","):
            r = bench_in_subprocess(
                n,
                d,
                metric,
                queries=args.queries,
                nprobe=args.nprobe,
                rerank=args.rerank,
                seed=args.seed,
            )
            print(
                f"{n:>9} {d:>4} {metric:>9} {r['nlist']:>5} {r['nprobe']:>6} {r['build_s']:>7.1f} "
                f"{r['peak_mb']:>7.0f} {r['kept_mb']:>7.0f} {r['codes_mb']:>8.0f} "
                f"{r['query_ms']:>8.2f} {r['exact_ms']:>8.1f} {r['exact_ms'] / r['query_ms']:>7.0f} "
                f"{r['recall']:>9.3f} {r['min_recall']:>4.1f} {r['input_mb']:>8.0f}",
                flush=True,
            )
    print(
        f"defaults: nlist = default_nlist(N) (1M: {default_nlist(10**6)}), "
        f"nprobe = default_nprobe(nlist) (1M: {default_nprobe(default_nlist(10**6))})"
    )


if __name__ == "__main__":
    main()
