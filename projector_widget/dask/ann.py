"""An approximate neighbour index of a Dask array, built from its chunks and kept on the cluster.

:class:`ChunkedIndex` is :class:`projector_widget.compute.ann.ApproximateIndex` for embeddings that stay
on a ``distributed`` cluster (:mod:`projector_widget.dask`). The same faiss index (inverted
lists of 8-bit scalar-quantised codes, one byte a dimension) is built in three steps:

1. a random sample of rows is gathered to the kernel and the coarse quantiser (k-means) and the
   scalar quantiser are trained on it here;
2. the trained, empty index is sent to the workers once; every chunk's rows are encoded where the
   chunk is read (normalised there first for cosine), and consecutive chunks are joined into a
   few *shards* (at least one per worker thread), which stay on the workers as futures: the
   kernel never holds a code;
3. a query runs on every shard in parallel, each returning its ``rerank * k`` best rows by
   quantised distance; the shortlists merge here, and only the rows of the final shortlist are
   gathered from the cluster and ranked exactly. The distances returned are therefore exact for
   the rows returned, and the order is :func:`projector_widget.compute.neighbours.nearest`'s.

What the two indexes share (options, training, query checks, the exact ranking of a shortlist)
is in :mod:`projector_widget.compute.ivf`; this module adds the cluster: shards, their encoding
on the workers, and queries that fan out to them.

Needs the ``dask`` and ``ann`` extras: ``pip install "projector-widget[dask,ann]"``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.compute import ivf
from projector_widget.compute.ivf import (
    IVFIndex,
    check_query,
    positive_int,
    prepare_query,
    rank_rows,
    reserve_lists,
    shortlist,
)
from projector_widget.compute.neighbours import check_metric, inverse_norms
from projector_widget.dask.array import ChunkedMatrix
from projector_widget.dask.array import sample as sample_rows
from projector_widget.dask.cluster import client, import_module
from projector_widget.dask.exact import exact_nearest
from projector_widget.util.extras import install_line
from projector_widget.util.progress import ProgressArg, Reporter, reporting

INSTALL_HINT = install_line("dask,ann")
#: Rows a shard holds before the index is split into more shards than the cluster has threads.
SHARD_ROWS = 1_000_000
#: The options :class:`ChunkedIndex` takes (besides the matrix, metric and progress).
OPTIONS = ("nlist", "nprobe", "rerank", "seed", "shards")


def import_faiss() -> ModuleType:
    """Import faiss, or raise ImportError naming the extras a chunked index needs."""
    return ivf.import_faiss(
        "An approximate index of a Dask array needs faiss (and Dask), which is not installed",
        "dask,ann",
    )


class IndexLostError(RuntimeError):
    """The cluster that held a :class:`ChunkedIndex`'s shards was closed."""


# ----------------------------------------------------------------------------- on the workers
class Shard:
    """Part of a :class:`ChunkedIndex` on a worker: a faiss IVF-SQ8 index of some rows, whose
    ids are the rows' indices in the whole array.

    Pickles as faiss's serialised bytes (when the scheduler moves it between workers), and tells
    Dask its size (the codes, the ids and the centroids) so the workers' memory accounting holds.
    """

    def __init__(self, index: Any) -> None:
        self.index = index

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return _load_shard, (import_faiss().serialize_index(self.index),)

    def __sizeof__(self) -> int:
        index = self.index
        return int(index.ntotal * (index.code_size + 8) + index.nlist * index.d * 4)

    def __len__(self) -> int:
        return int(self.index.ntotal)


def _load_shard(data: npt.NDArray[np.uint8]) -> Shard:
    return Shard(import_faiss().deserialize_index(data))


def _empty(faiss: ModuleType, trained: npt.NDArray[np.uint8]) -> Any:
    index = faiss.deserialize_index(trained)
    index.parallel_mode = 0  # one query scans its lists on one thread (see IVFIndex._trained)
    return index


def _encode_chunk(
    block: np.ndarray, start: int, trained: npt.NDArray[np.uint8], cosine: bool
) -> Shard:
    """A chunk's rows (global ids ``start``...) encoded into a copy of the trained index."""
    faiss = import_faiss()
    x = np.asarray(block, dtype=np.float32)
    finite = np.isfinite(x).all(axis=1)
    if not finite.all():
        row = start + int(np.flatnonzero(~finite)[0])
        raise ValueError(
            f"embeddings contain NaN or Inf at row {row}; an index needs finite rows (drop them "
            "first, e.g. x[da.isfinite(x).all(axis=1)] then x.compute_chunk_sizes())"
        )
    if cosine:
        inv = inverse_norms(np.einsum("ij,ij->i", x, x))
        x = x * inv[:, None]  # a new array: the chunk itself is not changed
    x = np.ascontiguousarray(x)
    index = _empty(faiss, trained)
    n = x.shape[0]
    assign = np.ascontiguousarray(index.quantizer.assign(x, 1).reshape(-1), dtype=np.int64)
    reserve_lists(faiss, index, np.bincount(assign, minlength=index.nlist))
    ids = np.arange(start, start + n, dtype=np.int64)
    index.add_core(n, faiss.swig_ptr(x), faiss.swig_ptr(ids), faiss.swig_ptr(assign))
    return Shard(index)


def _join_shards(trained: npt.NDArray[np.uint8], *parts: Shard) -> Shard:
    """One shard holding the codes of ``parts`` (which are read, never changed)."""
    faiss = import_faiss()
    index = _empty(faiss, trained)
    lists = [faiss.downcast_InvertedLists(p.index.invlists) for p in parts]
    sizes = np.zeros(index.nlist, np.int64)
    for inv in lists:
        sizes += np.array([inv.list_size(i) for i in range(index.nlist)], np.int64)
    invlists = reserve_lists(faiss, index, sizes)
    for inv in lists:
        for list_no in range(index.nlist):
            size = inv.list_size(list_no)
            if size:
                invlists.add_entries(list_no, size, inv.get_ids(list_no), inv.get_codes(list_no))
    index.ntotal = int(sizes.sum())
    return Shard(index)


def _search_shard(
    shard: Shard, query: np.ndarray, size: int, nprobe: int, cosine: bool
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """A shard's ``size`` best rows for ``query`` (D or 1 x D) by quantised score, and the
    scores (faiss's: larger is closer for inner products, smaller for squared L2). For cosine
    the query is normalised here (a zero query finds arbitrary rows: the kernel then scans)."""
    q = prepare_query(query, cosine)
    return shortlist(import_faiss(), shard.index, q, size, nprobe)


def _take(block: np.ndarray, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
    """Rows of a chunk (local indices), as float32."""
    return np.asarray(block[rows], dtype=np.float32)


# ----------------------------------------------------------------------------- in the kernel
def _groups(chunks: int, shards: int) -> list[npt.NDArray[np.int64]]:
    """Consecutive chunk numbers split into ``shards`` groups of nearly equal count."""
    return [g for g in np.array_split(np.arange(chunks, dtype=np.int64), shards) if g.size]


def default_shards(n: int, chunks: int, threads: int) -> int:
    """Shards for ``n`` rows in ``chunks`` chunks on ``threads`` worker threads: one per thread
    (so a query uses the whole cluster), more when a shard would pass ``SHARD_ROWS`` rows, never
    more than the chunks."""
    return max(1, min(chunks, max(threads, math.ceil(n / SHARD_ROWS))))


class ChunkedIndex(IVFIndex):
    """Approximate k-nearest-neighbour search over the rows of a Dask array, on its cluster.

    ``matrix`` is a :class:`projector_widget.dask.array.ChunkedMatrix` (the widget's validated
    Dask array); ``metric`` is ``"cosine"`` (distance 1 - cosine similarity) or
    ``"euclidean"``. The options are :class:`projector_widget.compute.ann.ApproximateIndex`'s:
    ``nlist`` inverted lists and ``nprobe`` lists probed per query (defaults from N: about
    sqrt(N) and 1/16 of them), ``rerank`` candidates per neighbour wanted ranked exactly, and
    ``seed`` (the training sample and k-means; two builds with the same inputs are the same),
    plus ``shards``: how many parts the codes are kept in (default: one per worker thread, more
    past a million rows each; at most the number of chunks). ``progress`` receives the phases
    (gathering the sample, training, encoding chunks).

    Memory. Workers: D bytes of codes and 8 bytes of id per row (72 bytes a row at D = 64,
    against 256 for the float32 row), plus nlist x D float32 centroids per shard; a chunk being encoded
    holds its rows once more. Kernel: the training sample (at most 64 x nlist rows, float32)
    while training, then only the trained quantisers; a query gathers its shards' shortlists and
    at most ``rerank * k`` rows.

    A query's exact re-ranking reads the chunks its candidates lie in (a row of a Zarr store
    costs its whole chunk, decompressed): it is cheapest when the array is persisted in the
    workers' memory. The index belongs to the ``distributed.Client`` that built it; the shards
    are Dask futures, which Dask recomputes from their chunks when a worker holding one is
    lost.
    Raises ImportError when faiss or Dask is not installed.
    """

    def __init__(
        self,
        matrix: ChunkedMatrix,
        metric: str = "cosine",
        *,
        nlist: int | None = None,
        nprobe: int | None = None,
        rerank: int = 10,
        seed: int = 0,
        shards: int | None = None,
        progress: ProgressArg = None,
    ) -> None:
        faiss = import_faiss()
        if not isinstance(matrix, ChunkedMatrix):
            raise TypeError(
                "matrix must be a projector_widget.dask.array.ChunkedMatrix (from "
                f"as_chunked(dask_array)), got {type(matrix).__name__}"
            )
        self.metric = check_metric(metric)
        n, d = matrix.shape
        self.matrix = matrix
        self.nprobe = self._set_options(n, nlist, nprobe, rerank, seed, rows_format=",")
        blocks, starts = self._blocks = matrix.blocks()
        if shards is not None:
            shards = positive_int("shards", shards)
            if shards > len(blocks):
                raise ValueError(
                    f"shards ({shards}) cannot exceed the array's {len(blocks)} chunks of rows; "
                    "rechunk it (x.rechunk({0: rows})) for more"
                )
        self._client = client()
        if shards is None:
            threads = sum(self._client.nthreads().values()) or 1
            shards = default_shards(n, len(blocks), threads)
        self._shards: list[Any] = []
        with reporting(progress) as report:
            trained = self._train(faiss, report)
            self._shards = self._encode(blocks, starts, trained, shards, report)

    # -------------------------------------------------------------------- build
    def _train(self, faiss: ModuleType, report: Reporter) -> npt.NDArray[np.uint8]:
        """The empty index, trained here on a sample of the rows, serialised for the workers."""
        n = self.matrix.n
        n_train = self._sample_size(n)
        report.phase("gathering a training sample", detail=f"{n_train:,} rows")
        _rows, sample = sample_rows(self.matrix, n_train, self.seed)
        if not np.isfinite(sample).all():
            raise ValueError(
                "the embeddings contain NaN or Inf (found in the training sample); an index "
                "needs finite rows"
            )
        if self.metric == "cosine":
            norms = np.sqrt(np.einsum("ij,ij->i", sample, sample))
            sample /= np.where(norms > 0, norms, 1.0)[:, None].astype(np.float32)
        report.phase(
            "training index", detail=f"k-means of {n_train:,} rows into {self.nlist:,} lists"
        )
        index = self._trained(faiss, sample)
        return np.asarray(faiss.serialize_index(index), dtype=np.uint8)

    def _encode(
        self,
        blocks: list[Any],
        starts: npt.NDArray[np.int64],
        trained: npt.NDArray[np.uint8],
        shards: int,
        report: Reporter,
    ) -> list[Any]:
        """Encode every chunk on the workers and join them into ``shards`` shards: their futures.

        The encoding is counted chunk by chunk; an exception from the reporter (a stop) or from
        a chunk cancels everything still queued.
        """
        import dask

        distributed = import_module("distributed")
        c = self._client
        shipped = c.scatter(trained, broadcast=True)
        cosine = self.metric == "cosine"
        tasks = [
            dask.delayed(_encode_chunk)(b, int(s), shipped, cosine)
            for b, s in zip(blocks, starts, strict=True)
        ]
        encoded = c.compute(tasks)
        groups = _groups(len(encoded), shards)
        joined = [
            encoded[int(g[0])]
            if g.size == 1
            else c.submit(_join_shards, shipped, *[encoded[int(i)] for i in g], pure=False)
            for g in groups
        ]
        report.phase("encoding chunks", len(encoded), unit="chunks", detail=f"{shards} shards")
        finished = False
        try:
            done = 0
            for future in distributed.as_completed(encoded, loop=c.loop):
                if future.status == "error":
                    future.result()  # raises the chunk's exception here
                done += 1
                report.update(done)
            # (distributed.wait would need the client to be the default one; ours may not be.)
            for future in distributed.as_completed(joined, loop=c.loop):
                if future.status == "error":
                    future.result()
            finished = True
        finally:
            if not finished:
                c.cancel(encoded + joined)
        report.flush()
        return joined

    # -------------------------------------------------------------------- queries
    @property
    def shards(self) -> Sequence[Any]:
        """The futures of the shards on the cluster (one ``Shard`` each)."""
        return tuple(self._shards)

    @property
    def code_bytes(self) -> int:
        """Bytes the shards hold on the workers: codes, ids and each shard's centroids."""
        n, d = self.matrix.shape
        return n * (d + 8) + len(self._shards) * self.nlist * d * 4

    def __len__(self) -> int:
        return self.matrix.n

    def close(self) -> None:
        """Release the shards (the workers drop them); the index answers no more queries."""
        futures, self._shards = self._shards, []
        if futures and self._client.status == "running":
            self._client.cancel(futures)

    def _check_open(self) -> Any:
        if not self._shards:
            raise IndexLostError("this index was closed; build it again with build_index()")
        if self._client.status != "running":
            raise IndexLostError(
                "the Dask client that built this index was closed, and its shards with it; "
                "build the index again with build_index()"
            )
        return self._client

    def search(
        self, query: npt.NDArray[np.floating] | int, k: int = 10
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """The ``k`` rows (approximately) closest to ``query``, closest first.

        ``query`` is a row index (that row is excluded) or a D-vector. Returns
        ``(indices int64, distances float32)``: exact distances, ordered by distance then
        index as :func:`projector_widget.compute.neighbours.nearest` orders them. A cosine query of
        zero length, or too few candidates in the probed lists, falls back to the exact scan.
        """
        k = positive_int("k", k)
        c = self._check_open()
        n, d = self.matrix.shape
        exclude, source = check_query(query, n, d)
        if source is None:
            # The shards read the query row where it lies: no round trip through the kernel.
            (source,) = self._take_rows(np.array([exclude], np.int64))
        available = n - (exclude >= 0)
        k = min(k, available)
        size = self._shortlist_size(available, k, exclude)
        cosine = self.metric == "cosine"
        futures = [
            c.submit(_search_shard, shard, source, size, self._nprobe, cosine, pure=False)
            for shard in self._shards
        ]
        if exclude >= 0:
            row, *found = c.gather([source, *futures])
            vector = np.asarray(row, np.float32).reshape(-1)
        else:
            found, vector = c.gather(futures), source
        if cosine and not np.any(vector):
            # Every cosine distance is 1: the exact scan breaks the tie.
            return self._exact(query, k)
        ids = np.concatenate([f[0] for f in found])
        scores = np.concatenate([f[1] for f in found])
        if exclude >= 0:
            keep = ids != exclude
            ids, scores = ids[keep], scores[keep]
        if ids.size < k:
            return self._exact(query, k)
        closer = -scores if cosine else scores
        best = np.lexsort((ids, closer))[: size - (exclude >= 0)]
        return self._rank_rows(np.sort(ids[best]), vector, k)

    def _exact(
        self, query: npt.NDArray[np.floating] | int, k: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """The exact scan of every chunk (:func:`projector_widget.dask.exact.exact_nearest`)."""
        return exact_nearest(self.matrix, query, k, self.metric)

    def _take_rows(self, rows: npt.NDArray[np.int64]) -> list[Any]:
        """Futures of ``rows`` (sorted, distinct): one task per chunk they lie in, each
        returning only its rows (a Dask fancy index costs more to plan than to run here)."""
        import dask

        blocks, starts = self._blocks
        which = np.searchsorted(starts, rows, side="right") - 1
        cuts = np.flatnonzero(np.diff(which)) + 1
        tasks = [
            dask.delayed(_take)(blocks[int(chunk[0])], part - starts[int(chunk[0])])
            for part, chunk in zip(np.split(rows, cuts), np.split(which, cuts), strict=True)
        ]
        return list(self._client.compute(tasks))

    def _rank_rows(
        self, rows: npt.NDArray[np.int64], vector: npt.NDArray[np.float32], k: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Gather ``rows`` (sorted, distinct) from the cluster and rank them exactly."""
        parts = self._client.gather(self._take_rows(rows))
        values = np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)
        sq = np.einsum("ij,ij->i", values, values)
        local = np.arange(len(rows), dtype=np.int64)
        local, dist = rank_rows(values, sq, local, vector, k, metric=self.metric)
        idx = rows[local]
        order = np.lexsort((idx, dist))
        return idx[order], dist[order]
