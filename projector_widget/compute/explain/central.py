"""How central a cluster's terms and rows are, in the space its rows came from.

A name term should stand for its cluster: frequent in it and rare elsewhere (c-TF-IDF, in
:mod:`.naming`), and carried by rows that lie in the middle of the cluster rather than on its
edge. When every term occurs once (a column of single words or short phrases), frequency cannot
tell the terms apart and the middle is all that can. :class:`Centrality` measures it in the
*original* space of the rows (the embeddings; the layout only when they are not in memory):

* a row's distance to its cluster's centroid, Euclidean or, with the cosine metric (the
  widget's default), between the rows at unit length: the order of their cosine similarity to
  the centroid;
* a row's closeness, ``exp(-d^2 / 2 s^2)`` for a distance d and the cluster's mean squared
  distance ``s^2``: 1 at the centroid, 0.61 at a typical row, continuous (rows at different
  distances never tie), and narrow in many dimensions, where distances concentrate, so it
  orders terms that frequency cannot tell apart more than it reorders those it can;
* a term's centrality: the mean closeness of the rows that carry it, or the closeness of the
  term's own vector from an encoder (the model that made the embeddings) when one is given;
* the representative rows a namer reads: the rows nearest the centroid.

Everything takes plain arrays and returns plain values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.compute.explain.checks import Labels, check_matrix

#: ``encoder(texts)``: one vector per text, in the space of the embeddings.
Encoder = Callable[[list[str]], Any]


#: Rows read at a time when measuring distances (bounds the temporary copies).
CHUNK_ROWS = 16_384


#: How centrality measures distance: "euclidean", or "cosine" (rows at unit length first).
METRICS = ("cosine", "euclidean")


def _unit(x: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.float64]:
    """``x``'s rows at unit length (a zero row stays zero)."""
    norms = np.sqrt((np.asarray(x, dtype=np.float64) ** 2).sum(axis=1, keepdims=True))
    return np.asarray(x / np.where(norms > 0, norms, 1.0), dtype=np.float64)


class ClusterSpace:
    """One cluster's rows in the space: its centroid and their distances to it (of the rows at
    unit length when ``cosine``)."""

    def __init__(
        self, rows: npt.NDArray[np.int64], vectors: npt.NDArray[np.floating[Any]], cosine: bool
    ) -> None:
        self.rows = rows
        self.cosine = cosine
        total = np.zeros(vectors.shape[1], np.float64)
        for start in range(0, rows.size, CHUNK_ROWS):
            total += self._points(vectors[rows[start : start + CHUNK_ROWS]]).sum(axis=0)
        self.centroid = total / max(rows.size, 1)
        self.distance = np.empty(rows.size, np.float64)
        for start in range(0, rows.size, CHUNK_ROWS):
            part = self._points(vectors[rows[start : start + CHUNK_ROWS]]) - self.centroid
            self.distance[start : start + part.shape[0]] = np.sqrt((part**2).sum(axis=1))

    def _points(self, x: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.float64]:
        return _unit(x) if self.cosine else np.asarray(x, dtype=np.float64)

    def closeness(self, distance: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """How central points at ``distance`` from the centroid are: ``exp(-d^2 / 2 s^2)``, with
        ``s^2`` the rows' mean squared distance (1 at the centroid, 0.61 at the typical row's
        distance; continuous, so rows at different distances never tie)."""
        spread = float(np.mean(self.distance**2))
        if spread <= 0:
            return np.ones(distance.shape, np.float64)
        return np.asarray(np.exp(-(distance**2) / (2 * spread)), dtype=np.float64)

    def of_carriers(self, carriers: Any) -> npt.NDArray[np.float64]:
        """Centrality of terms from ``carriers``, a (rows of the cluster, terms) sparse 0/1
        matrix: the mean :meth:`closeness` of each term's rows."""
        counts = np.asarray(carriers.sum(axis=0), dtype=np.float64).ravel()
        sums = np.asarray(carriers.T @ self.closeness(self.distance), dtype=np.float64).ravel()
        return np.asarray(sums / np.maximum(counts, 1.0), dtype=np.float64)

    def of_vectors(self, vectors: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Centrality of points of the space (a term's vector from an encoder)."""
        return self.closeness(np.sqrt(((self._points(vectors) - self.centroid) ** 2).sum(axis=1)))

    def central_rows(self, k: int) -> npt.NDArray[np.int64]:
        """The rows (indices into the whole data) of the ``k`` rows nearest the centroid."""
        return self.rows[np.argsort(self.distance, kind="stable")[:k]]


def cluster_rows(labels: Labels) -> dict[int, npt.NDArray[np.int64]]:
    """The rows of each cluster of ``labels`` (not the noise, -1), in row order."""
    order = np.argsort(labels, kind="stable")
    ids, starts = np.unique(labels[order], return_index=True)
    bounds = [*starts.tolist(), labels.size]
    return {
        int(c): order[bounds[k] : bounds[k + 1]].astype(np.int64)
        for k, c in enumerate(ids.tolist())
        if c >= 0
    }


class Centrality:
    """The rows of every cluster in ``vectors`` (N, D), one row per label, measured with
    ``metric`` (:data:`METRICS`)."""

    def __init__(self, vectors: npt.ArrayLike, labels: Labels, metric: str = "cosine") -> None:
        if metric not in METRICS:
            raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
        self.cosine = metric == "cosine"
        x = check_matrix(vectors, "vectors")
        if x.shape[0] != labels.size:
            raise ValueError(
                f"vectors has {x.shape[0]} rows but labels has {labels.size}; one per point"
            )
        self.vectors = x
        self.members = cluster_rows(labels)
        self._spaces: dict[int, ClusterSpace] = {}

    @property
    def dims(self) -> int:
        """Dimensions of the space."""
        return int(self.vectors.shape[1])

    def cluster(self, c: int) -> ClusterSpace:
        """Cluster ``c``'s rows (computed once)."""
        space = self._spaces.get(c)
        if space is None:
            space = ClusterSpace(self.members[c], self.vectors, self.cosine)
            self._spaces[c] = space
        return space


def encode(encoder: Encoder, terms: list[str], dims: int) -> npt.NDArray[np.float64]:
    """``encoder(terms)`` checked: one finite vector of ``dims`` numbers per term."""
    out = check_matrix(encoder(terms), "the encoder's vectors")
    if out.shape != (len(terms), dims):
        raise ValueError(
            f"the encoder returned shape {out.shape} for {len(terms)} terms; it must return "
            f"one vector per text, in the space of the embeddings ({dims} dimensions)"
        )
    return np.asarray(out, dtype=np.float64)
