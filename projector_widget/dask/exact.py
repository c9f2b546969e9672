"""Exact neighbours of a chunked array: each chunk's k best rows on the cluster, merged here."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from projector_widget.compute.neighbours import Metric, nearest
from projector_widget.dask.array import ChunkedMatrix
from projector_widget.dask.cluster import client, run_blocks


def _chunk_nearest(
    block: np.ndarray, start: int, query: tuple[np.ndarray, int, str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """A chunk's ``k`` nearest rows to ``vector`` (global indices, never row ``exclude``) and
    their distances; ``query`` is ``(vector, k, metric, exclude)``."""
    vector, k, metric, exclude = query
    x = np.ascontiguousarray(block, dtype=np.float32)
    sq = np.einsum("ij,ij->i", x, x)
    candidates = None
    if start <= exclude < start + x.shape[0]:
        keep = np.ones(x.shape[0], bool)
        keep[exclude - start] = False
        candidates = np.flatnonzero(keep)
        if candidates.size == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
    idx, dist = nearest(x, sq, vector, k, metric, candidates=candidates)
    return idx + start, dist


def exact_nearest(
    matrix: ChunkedMatrix, query: int | npt.NDArray[np.float32], k: int, m: Metric
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """The ``k`` nearest rows to a row index (itself excluded) or a vector, with their distances
    (the same as :func:`projector_widget.compute.neighbours.nearest` on the rows in memory)."""
    import dask

    n, d = matrix.shape
    exclude = -1
    if isinstance(query, (int, np.integer)) and not isinstance(query, bool):
        exclude = int(query)
        if not 0 <= exclude < n:
            raise IndexError(f"index {exclude} is out of range for {n} points")
        vector = np.asarray(client().compute(matrix.array[exclude]).result(), np.float32)
    else:
        vector = np.asarray(query, np.float32).reshape(-1)
        if vector.shape[0] != d:
            raise ValueError(f"query has {vector.shape[0]} dimensions but the embeddings have {d}")
    blocks, starts = matrix.blocks()
    tasks = [
        dask.delayed(_chunk_nearest)(b, int(s), (vector, int(k), m, exclude))
        for b, s in zip(blocks, starts, strict=True)
    ]
    found = [part for _i, part in run_blocks(tasks)]
    idx = np.concatenate([f[0] for f in found]).astype(np.int64)
    dist = np.concatenate([f[1] for f in found]).astype(np.float32)
    order = np.lexsort((idx, dist))[:k]
    return idx[order], dist[order]
