"""IVF-SQ8 approximate neighbour indexes: what the in-memory and the chunked index share.

:class:`projector_widget.compute.ann.ApproximateIndex` (rows in memory) and
:class:`projector_widget.dask.ann.ChunkedIndex` (rows on a Dask cluster) are one kind of index:
faiss inverted lists of 8-bit scalar-quantised codes (``IndexIVFScalarQuantizer``, one byte a
dimension) that only *shortlist* rows, which are then ranked exactly, so the distances returned
are exact for the rows returned and the order is that of
:func:`projector_widget.compute.neighbours.nearest`. The two differ in where the rows and the
codes live; what does not depend on that is here:

- the options: defaults (:func:`default_nlist`, :func:`default_nprobe`), checks
  (:func:`positive_int`, :meth:`IVFIndex._set_options`) and the ``nprobe`` property;
- faiss, imported with an install hint (:func:`import_faiss`);
- the build: the empty index trained on a sample (:meth:`IVFIndex._trained`) and its lists
  sized once to their final length (:func:`reserve_lists`);
- a query: its checks (:func:`check_query`), the vector faiss takes (:func:`prepare_query`), the
  shortlist by quantised score (:func:`shortlist`) and its exact ranking (:func:`rank_rows`).

The options are state with an invariant (``1 <= nprobe <= nlist``) that both indexes expose as
attributes, so they live in a small base class, :class:`IVFIndex`, rather than in an object each
index would have to forward to. The rest are functions of arrays: the chunked index's workers,
which hold shards and no index object, call them too.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.compute.neighbours import Metric, inverse_norms
from projector_widget.util.extras import imported, install_line

INSTALL_HINT = install_line("ann")
#: k-means training points per inverted list (faiss warns below 39).
TRAIN_PER_LIST = 64


def import_faiss(
    need: str = "Approximate nearest neighbours need faiss, which is not installed",
    extras: str = "ann",
) -> ModuleType:
    """Import faiss, or raise :class:`~projector_widget.util.extras.MissingExtra`: ``need``
    (who needs it) and the line that installs ``extras``."""
    return imported("faiss", need, extras, note="  (or: pip install faiss-cpu)")


def default_nlist(n: int) -> int:
    """Inverted lists for ``n`` rows: about sqrt(n), at least 39 training points each, <= 4096."""
    return max(1, min(4096, round(math.sqrt(n)), n // 39))


def default_nprobe(nlist: int) -> int:
    """Lists probed per query for ``nlist`` lists: 1/16 of them, at least 8 (at most all)."""
    return min(nlist, max(8, math.ceil(nlist / 16)))


def positive_int(name: str, value: Any) -> int:
    """``value`` as an int, or raise ValueError naming ``name`` if it is not a positive integer."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


class IVFIndex:
    """The options of an IVF-SQ8 index; subclasses hold the rows and the codes.

    ``metric`` is ``"cosine"`` or ``"euclidean"``; ``nlist`` the inverted lists; ``rerank`` the
    candidates ranked exactly per neighbour wanted; ``seed`` fixes the training sample and
    k-means; ``nprobe`` (a property) the lists scanned per query.
    """

    metric: Metric
    nlist: int
    rerank: int
    seed: int
    _nprobe: int

    def _set_options(
        self,
        n: int,
        nlist: int | None,
        nprobe: int | None,
        rerank: int,
        seed: int,
        *,
        rows_format: str = "",
    ) -> int:
        """Check and set ``nlist``, ``rerank`` and ``seed`` for ``n`` rows; return ``nprobe``.

        ``nlist`` and ``nprobe`` default from ``n`` (:func:`default_nlist`,
        :func:`default_nprobe`); the ``nprobe`` returned is a positive integer, for the caller to
        set (which checks it against ``nlist``) once the index can answer. ``rows_format`` is
        the format spec of ``n`` in the message when ``nlist`` exceeds it.
        """
        nlist = default_nlist(n) if nlist is None else positive_int("nlist", nlist)
        if nlist > n:
            raise ValueError(
                f"nlist ({nlist}) cannot exceed the number of rows ({n:{rows_format}})"
            )
        nprobe = default_nprobe(nlist) if nprobe is None else positive_int("nprobe", nprobe)
        self.rerank = positive_int("rerank", rerank)
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"seed must be an integer, got {seed!r}")
        if not 0 <= int(seed) <= 2**31 - 1:  # faiss takes a 32-bit signed seed
            raise ValueError(f"seed must be from 0 to {2**31 - 1}, got {seed}")
        self.nlist = nlist
        self.seed = int(seed)
        return nprobe

    @property
    def nprobe(self) -> int:
        """Inverted lists scanned per query (on every shard of a chunked index), 1..nlist;
        higher is slower and more accurate."""
        return self._nprobe

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        value = positive_int("nprobe", value)
        if value > self.nlist:
            raise ValueError(f"nprobe ({value}) cannot exceed nlist ({self.nlist})")
        self._nprobe = value

    def _sample_size(self, n: int) -> int:
        """Rows of ``n`` the quantisers are trained on (``TRAIN_PER_LIST`` per list at most)."""
        return min(n, TRAIN_PER_LIST * self.nlist)

    def _trained(self, faiss: ModuleType, sample: npt.NDArray[np.float32]) -> Any:
        """An empty IVF-SQ8 index with its coarse (k-means) and scalar quantisers trained on
        ``sample`` (C-contiguous float32 rows, of unit length for cosine)."""
        d = sample.shape[1]
        faiss_metric = faiss.METRIC_INNER_PRODUCT if self.metric == "cosine" else faiss.METRIC_L2
        quantizer = faiss.IndexFlat(d, faiss_metric)
        index = faiss.IndexIVFScalarQuantizer(
            quantizer, d, self.nlist, faiss.ScalarQuantizer.QT_8bit, faiss_metric
        )
        index.cp.seed = self.seed
        index.cp.niter = 10
        index.cp.max_points_per_centroid = TRAIN_PER_LIST
        # One query scans its lists on one thread (faiss's default): splitting the lists over
        # OpenMP threads halved latency on an idle 2-core machine but tripled it (5 -> 30 ms at
        # 1M x 768) when the other core was busy, as threads waited for each other.
        index.parallel_mode = 0
        index.train(sample)
        return index

    def _shortlist_size(self, available: int, k: int, exclude: int) -> int:
        """Rows to shortlist by quantised score for ``k`` neighbours of ``available`` rows:
        ``rerank`` per neighbour (at least 4), and the query row ``exclude`` (when >= 0), which
        its own search finds too."""
        return min(available, max(self.rerank * k, 4 * k)) + (exclude >= 0)


def reserve_lists(faiss: ModuleType, index: Any, sizes: npt.NDArray[np.int64]) -> Any:
    """Size each inverted list of the empty ``index`` to its final length (``sizes``) once, and
    return the lists, still empty. Appending list by list instead leaves the lists' geometric
    growth resident (about 40% of slack: 1.07 GB instead of 0.75 GB at 1M x 768)."""
    invlists = faiss.downcast_InvertedLists(index.invlists)
    for list_no, size in enumerate(sizes.tolist()):
        if size:
            invlists.resize(list_no, size)  # allocates the list at its final length ...
            invlists.resize(list_no, 0)  # ... and empties it, keeping the capacity
    return invlists


def check_query(
    query: npt.NDArray[np.floating] | int, n: int, d: int
) -> tuple[int, npt.NDArray[np.float32] | None]:
    """``(exclude, vector)`` of a query of ``n`` rows of ``d`` dimensions: a row index gives
    ``(row, None)``, a D-vector ``(-1, the vector as float32)``. Raises IndexError, TypeError or
    ValueError for a row out of range, a bool, or a vector of the wrong length or not finite."""
    if isinstance(query, (int, np.integer)) and not isinstance(query, bool):
        exclude = int(query)
        if not 0 <= exclude < n:
            raise IndexError(f"index {exclude} is out of range for {n} points")
        return exclude, None
    if isinstance(query, bool):
        raise TypeError("query must be a row index or a vector, got a bool")
    vector = np.asarray(query, dtype=np.float32).reshape(-1)
    if vector.shape[0] != d:
        raise ValueError(f"query has {vector.shape[0]} dimensions but the embeddings have {d}")
    if not np.all(np.isfinite(vector)):
        raise ValueError("query vector contains NaN or infinite values")
    return -1, vector


def prepare_query(vector: npt.ArrayLike, cosine: bool) -> npt.NDArray[np.float32]:
    """A query as faiss takes it: a (1, D) float32 copy of ``vector``, of unit length for
    cosine (a zero vector stays zero)."""
    q = np.array(vector, dtype=np.float32).reshape(1, -1)
    if cosine:
        q64 = q[0].astype(np.float64)
        norm = math.sqrt(float(q64 @ q64))
        if norm > 0:
            q /= np.float32(norm)
    return q


def shortlist(
    faiss: ModuleType,
    index: Any,
    q: npt.NDArray[np.float32],
    size: int,
    nprobe: int,
    *,
    selector: Any = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """The ``size`` best rows of ``index`` for the prepared query ``q`` (from
    :func:`prepare_query`) by quantised score, scanning ``nprobe`` lists and only the rows
    ``selector`` (a faiss ``IDSelector``, if any) lets through: their ids and faiss's scores
    (larger is closer for inner products, smaller for squared L2). May return fewer rows."""
    params = faiss.SearchParametersIVF()
    params.nprobe = nprobe
    if selector is not None:
        params.sel = selector
    scores, ids = index.search(q, min(size, max(1, index.ntotal)), params=params)
    keep = ids[0] >= 0
    return ids[0][keep].astype(np.int64), scores[0][keep].astype(np.float32)


def rank_rows(
    x: npt.NDArray[np.float32],
    sq_norms: npt.NDArray[np.float32],
    rows: npt.NDArray[np.int64],
    vector: npt.NDArray[np.float32],
    k: int,
    *,
    metric: Metric,
    chunk: int | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """The ``k`` of ``rows`` of ``x`` closest to ``vector``, ranked exactly: ``(indices int64,
    distances float32)``, closest first.

    ``rows`` are distinct, the query row already removed; ``sq_norms`` are the squared norms of
    the rows of ``x``. Scores, order (score, then row) and distances are those of
    :func:`~projector_widget.compute.neighbours.nearest`. The rows are gathered ``chunk`` at a
    time (by default all at once), so a large subset never needs a full copy.
    """
    step = max(1, len(rows)) if chunk is None else chunk
    best_rows = np.zeros(0, np.int64)
    best_scores = np.zeros(0, np.float32)
    for start in range(0, len(rows), step):
        part = rows[start : start + step]
        score = x[part] @ vector
        if metric == "cosine":
            np.multiply(score, inverse_norms(sq_norms[part]), out=score)
            np.negative(score, out=score)
        else:
            np.multiply(score, -2.0, out=score)
            np.add(score, sq_norms[part], out=score)
        best_rows = np.concatenate([best_rows, part])
        best_scores = np.concatenate([best_scores, score])
        if len(best_rows) > k:
            keep = np.argpartition(best_scores, k - 1)[:k]
            best_rows, best_scores = best_rows[keep], best_scores[keep]
    order = np.lexsort((best_rows, best_scores))[:k]
    idx, score = best_rows[order], best_scores[order].astype(np.float64)
    q64 = vector.astype(np.float64)
    q_sq = float(q64 @ q64)
    if metric == "cosine":
        q_norm = math.sqrt(q_sq)
        sim = -score / q_norm if q_norm > 0 else np.zeros(len(idx))
        dist = 1.0 - np.clip(sim, -1.0, 1.0)
    else:
        dist = np.sqrt(np.maximum(score + q_sq, 0.0))
    return idx.astype(np.int64), dist.astype(np.float32)
