"""Approximate nearest neighbours for large embedding sets (the optional ``ann`` extra).

:class:`ApproximateIndex` wraps a faiss inverted-file index with 8-bit scalar-quantised codes
(``IndexIVFScalarQuantizer``, one byte per dimension: a quarter of a float32 copy). The codes
only *shortlist* rows: each search takes ``rerank * k`` candidates from the probed lists and
ranks them exactly against the caller's float32 matrix, so the distances returned are exact for
the rows returned, and the semantics match :func:`projector_widget.compute.neighbours.nearest`.

The index keeps a reference to ``x`` and ``sq_norms`` (no copy); do not modify them afterwards.
For cosine the vectors are normalised chunk by chunk while training and adding, never as a whole.

What the chunked index shares with this one (options, training, query checks, the exact
ranking of a shortlist) is in :mod:`projector_widget.compute.ivf`; this module adds the rows in
memory: the build in chunks of ``x``, candidate subsets, and the exact fallback.

Install faiss with ``pip install "projector-widget[ann]"``.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.compute.ivf import (
    INSTALL_HINT,
    TRAIN_PER_LIST,
    IVFIndex,
    check_query,
    default_nlist,
    default_nprobe,
    import_faiss,
    positive_int,
    prepare_query,
    rank_rows,
    reserve_lists,
    shortlist,
)
from projector_widget.compute.neighbours import check_metric, inverse_norms, nearest
from projector_widget.util.progress import ProgressArg, Reporter, reporting

# The shared names this module has always offered.
__all__ = [
    "ADD_CHUNK",
    "INSTALL_HINT",
    "TRAIN_PER_LIST",
    "ApproximateIndex",
    "default_nlist",
    "default_nprobe",
    "import_faiss",
    "positive_int",
]

#: Rows normalised / encoded per faiss call (16,384 x 768 float32 = 48 MiB; faiss adds about as
#: much again while encoding a chunk).
ADD_CHUNK = 16_384


class ApproximateIndex(IVFIndex):
    """Approximate k-nearest-neighbour search over the rows of ``x`` (N x D, float32).

    ``sq_norms`` are the squared row norms of ``x`` (as the widget already computes them).
    ``metric`` is ``"cosine"`` (distance 1 - cosine similarity) or ``"euclidean"``.
    ``progress`` receives the build's phases (see :mod:`projector_widget.util.progress`; by default
    a tqdm bar when tqdm is installed).
    ``nlist`` (inverted lists) and ``nprobe`` (lists scanned per query) default from N, see
    :func:`default_nlist` and :func:`default_nprobe`; ``rerank`` is how many candidates per
    neighbour wanted are re-ranked exactly (more: better recall, slower queries). ``seed``
    fixes the training sample and k-means, so two builds with the same inputs are identical.

    Memory: about N x D bytes of codes plus nlist x D floats of centroids; the build
    additionally holds one chunk and the training sample (<= 64 x nlist rows) in float32.
    Raises ImportError when faiss is not installed.
    """

    def __init__(
        self,
        x: npt.NDArray[np.float32],
        sq_norms: npt.NDArray[np.float32],
        metric: str = "cosine",
        *,
        nlist: int | None = None,
        nprobe: int | None = None,
        rerank: int = 10,
        seed: int = 0,
        progress: ProgressArg = None,
    ) -> None:
        faiss = import_faiss()
        self.metric = check_metric(metric)
        if not isinstance(x, np.ndarray) or x.ndim != 2:
            raise TypeError(
                f"x must be a 2-D numpy array (N x D), got {type(x).__name__}"
                + (f" with shape {x.shape}" if isinstance(x, np.ndarray) else "")
            )
        if x.dtype != np.float32:
            raise TypeError(
                f"x must be float32 (the index re-ranks against it without a copy), got "
                f"{x.dtype}; convert once with x.astype(np.float32)"
            )
        n, d = x.shape
        if n < 1 or d < 1:
            raise ValueError(f"x must have at least one row and one column, got shape {x.shape}")
        sq_norms = np.asarray(sq_norms)
        if sq_norms.shape != (n,):
            raise ValueError(
                f"sq_norms must have shape ({n},) (one squared norm per row of x), "
                f"got {sq_norms.shape}"
            )
        if sq_norms.dtype != np.float32:
            sq_norms = sq_norms.astype(np.float32)
        nprobe = self._set_options(n, nlist, nprobe, rerank, seed)
        self.x = x
        self.sq_norms = sq_norms
        self._inv_norms = inverse_norms(sq_norms) if self.metric == "cosine" else None

        self._faiss = faiss
        with reporting(progress) as report:
            self._index = self._build(faiss, report)
        self.nprobe = nprobe

    def _build(self, faiss: ModuleType, report: Reporter) -> Any:
        """Train the IVF-SQ8 index on a sample of the rows, then add every row in chunks
        (two passes, each chunk a step of the "building index" phase)."""
        x = self.x
        n = x.shape[0]
        nlist = self.nlist
        rng = np.random.default_rng(self.seed)
        n_train = self._sample_size(n)
        sample = np.sort(rng.choice(n, n_train, replace=False)) if n_train < n else np.arange(n)
        report.phase("building index", detail=f"k-means of {n_train:,} rows into {nlist:,} lists")
        index = self._trained(faiss, self._prepared(x[sample], sample))
        # Two passes over x in chunks: assign every row to its list, size each list once to its
        # final length (see reserve_lists), then encode.
        chunks = -(-n // ADD_CHUNK)
        report.phase("building index", 2 * chunks, unit="chunks")
        assign = np.empty(n, dtype=np.int64)
        for start, stop, block in self._chunks():
            assign[start:stop] = index.quantizer.assign(block, 1).reshape(-1)
            report.advance()
        reserve_lists(faiss, index, np.bincount(assign, minlength=nlist))
        for start, stop, block in self._chunks():
            part = np.ascontiguousarray(assign[start:stop])
            index.add_core(stop - start, faiss.swig_ptr(block), None, faiss.swig_ptr(part))
            report.advance()
        del assign
        return index

    @property
    def code_bytes(self) -> int:
        """Bytes held by the index's codes and centroids (excludes ``x`` itself)."""
        n, d = self.x.shape
        return n * (self._index.code_size + 8) + self.nlist * d * 4

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def _prepared(
        self, block: npt.NDArray[np.float32], rows: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float32]:
        """A gathered (private, C-contiguous) ``block`` of ``rows`` as faiss takes it: unit rows
        for cosine, normalised in place."""
        block = np.ascontiguousarray(block, dtype=np.float32)
        if self._inv_norms is not None:
            block *= self._inv_norms[rows, None]
        return block

    def _chunks(self) -> Iterator[tuple[int, int, npt.NDArray[np.float32]]]:
        """``(start, stop, rows)`` over ``x`` as faiss takes them (C-contiguous, unit rows for
        cosine). Views of ``x`` where possible, else one reused buffer of ``ADD_CHUNK`` rows."""
        x, inv = self.x, self._inv_norms
        n = x.shape[0]
        buffer = None
        if inv is not None or not x.flags.c_contiguous:
            buffer = np.empty((min(n, ADD_CHUNK), x.shape[1]), dtype=np.float32)
        for start in range(0, n, ADD_CHUNK):
            stop = min(n, start + ADD_CHUNK)
            if buffer is None:
                yield start, stop, x[start:stop]
                continue
            block = buffer[: stop - start]
            if inv is None:
                block[...] = x[start:stop]
            else:
                np.multiply(x[start:stop], inv[start:stop, None], out=block)
            yield start, stop, block

    def search(
        self,
        query: npt.NDArray[np.floating] | int,
        k: int = 10,
        *,
        candidates: npt.ArrayLike | None = None,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """The ``k`` rows (approximately) closest to ``query``, closest first.

        Same contract as :func:`projector_widget.compute.neighbours.nearest`: ``query`` is a row index
        (that row is excluded) or a D-vector; ``candidates`` restricts the result to those row
        indices. Returns ``(indices int64, distances float32)``; the distances are exact.
        Small candidate sets are searched exactly; a filtered search that finds too few
        candidates in the probed lists falls back to exact search.
        """
        k = positive_int("k", k)
        n, d = self.x.shape
        exclude, vector = check_query(query, n, d)
        if vector is None:
            vector = self.x[exclude]

        subset = None if candidates is None else self._check_candidates(candidates, n)
        if subset is not None:
            if exclude >= 0:
                subset = subset[subset != exclude]
            available = len(subset)
        else:
            available = n - (exclude >= 0)
        k = min(k, available)
        if k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)

        if self.metric == "cosine" and not np.any(vector):
            # Every cosine distance is 1; the exact path breaks the tie by row index.
            return self._exact(vector, k, exclude, subset)
        # A small subset is cheaper to rank exactly than the probed lists are to scan.
        if subset is not None and len(subset) <= max(
            4 * self.rerank * k, n * self.nprobe // self.nlist
        ):
            return self._rank_rows(subset, vector, k)

        size = self._shortlist_size(available, k, exclude)
        q = prepare_query(vector, self.metric == "cosine")
        selector = None
        if subset is not None:
            mask = np.zeros(n, dtype=bool)
            mask[subset] = True
            bitmap = np.packbits(mask, bitorder="little")  # faiss reads bit i & 7 of byte i >> 3
            selector = self._faiss.IDSelectorBitmap(n, self._faiss.swig_ptr(bitmap))
        ids, _ = shortlist(self._faiss, self._index, q, size, self._nprobe, selector=selector)
        if exclude >= 0:
            ids = ids[ids != exclude]
        if len(ids) < k:
            return self._exact(vector, k, exclude, subset)
        return self._rank_rows(ids, vector, k)

    @staticmethod
    def _check_candidates(candidates: npt.ArrayLike, n: int) -> npt.NDArray[np.int64]:
        arr = np.asarray(candidates)
        if arr.ndim != 1:
            raise ValueError(
                f"candidates must be a 1-D array of row indices, got shape {arr.shape}"
            )
        if arr.size == 0:
            return np.zeros(0, np.int64)
        if not np.issubdtype(arr.dtype, np.integer):
            raise TypeError(f"candidates must be integer row indices, got dtype {arr.dtype}")
        arr = np.unique(arr.astype(np.int64))
        if arr[0] < 0 or arr[-1] >= n:
            bad = arr[0] if arr[0] < 0 else arr[-1]
            raise IndexError(f"candidate index {bad} is out of range for {n} points")
        return arr

    def _exact(
        self,
        vector: npt.NDArray[np.float32],
        k: int,
        exclude: int,
        subset: npt.NDArray[np.int64] | None,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Exact search (the fallback): over ``subset`` rows, or every row."""
        if subset is not None:
            return self._rank_rows(subset, vector, k)
        query: npt.NDArray[np.float32] | int = exclude if exclude >= 0 else vector
        return nearest(self.x, self.sq_norms, query, k, self.metric, inv_norms=self._inv_norms)

    def _rank_rows(
        self, rows: npt.NDArray[np.int64], vector: npt.NDArray[np.float32], k: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Exactly rank ``rows`` (distinct, query row already removed) against ``vector``,
        gathering ``ADD_CHUNK`` rows at a time (:func:`~projector_widget.compute.ivf.rank_rows`)."""
        return rank_rows(
            self.x, self.sq_norms, rows, vector, k, metric=self.metric, chunk=ADD_CHUNK
        )
