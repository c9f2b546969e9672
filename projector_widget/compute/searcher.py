"""The neighbour queries of embeddings held in memory, with what makes them fast kept.

Exact queries (:func:`~projector_widget.compute.neighbours.nearest`, pruned by a sketch of the
rows once the PCA of every row hands over its subspace) or, after :meth:`build_index` for a
metric, queries through that metric's approximate index (:mod:`projector_widget.compute.ann`).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.compute.ann import ApproximateIndex
from projector_widget.compute.neighbours import (
    Metric,
    Sketch,
    check_metric,
    inverse_norms,
    make_sketch,
    nearest,
)
from projector_widget.data.inputs import Matrix
from projector_widget.util.progress import ProgressArg


class NeighbourSearch:
    """Neighbour queries over one matrix, with what makes them fast kept between queries.

    Holds the inverse row norms (computed on first use), the sketch (from the subspace that the
    background PCA hands over with :meth:`offer_subspace`) and approximate indexes built with
    :meth:`add_index`. Queries use the index of their metric when one is built, unless ``exact``.
    """

    def __init__(self, matrix: Matrix) -> None:
        self._matrix = matrix
        self._lock = threading.Lock()
        self._inv_norms: npt.NDArray[np.float32] | None = None
        self._sketch: Sketch | None = None
        self._subspace: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]] | None = None
        self._indexes: dict[str, ApproximateIndex] = {}

    def offer_subspace(
        self, basis: npt.NDArray[np.float32], scores: npt.NDArray[np.float32]
    ) -> None:
        """Keep a PCA's (D, w) subspace and (N, w) row scores; the sketch is built from them on
        the next query that can use it."""
        with self._lock:
            self._subspace = (basis, scores)

    def add_index(self, metric: Metric, index: ApproximateIndex) -> None:
        """Answer queries of ``metric`` through ``index`` from now on."""
        self._indexes[metric] = index

    def build_index(
        self, metric: str, *, progress: ProgressArg = None, **options: Any
    ) -> ApproximateIndex:
        """Build an approximate index of the rows for ``metric`` (``options`` go to
        :class:`~projector_widget.compute.ann.ApproximateIndex`, ``progress`` receives its phases) and
        answer queries of ``metric`` through it from now on."""
        m = self._matrix
        checked = check_metric(metric)
        index = ApproximateIndex(m.values, m.sq_norms, checked, progress=progress, **options)
        self.add_index(checked, index)
        return index

    def close(self) -> None:
        """Drop the indexes and the sketch (the rows stay with their owner)."""
        with self._lock:
            self._indexes.clear()
            self._sketch = None
            self._subspace = None

    def has_index(self, metric: str) -> bool:
        """Whether an approximate index answers queries of ``metric``."""
        return metric in self._indexes

    def inverse_norms(self) -> npt.NDArray[np.float32]:
        """1/|x| per row, computed once (N floats) so cosine queries rank in one pass."""
        if self._inv_norms is None:
            self._inv_norms = inverse_norms(self._matrix.sq_norms)
        return self._inv_norms

    def sketch(self) -> Sketch | None:
        """The sketch of the rows (large inputs, once the PCA of every row has run), or None."""
        with self._lock:
            if self._sketch is None and self._subspace is not None:
                basis, scores = self._subspace
                m = self._matrix
                self._sketch = make_sketch(m.values, m.sq_norms, basis, scores)
                self._subspace = None
            return self._sketch

    def query(
        self,
        query: int | npt.NDArray[np.float32],
        k: int,
        metric: str,
        *,
        candidates: npt.NDArray[np.int64] | None = None,
        exact: bool = False,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """The ``k`` nearest rows to a row index or a vector among ``candidates`` (all rows when
        None): ``(indices, distances)``, closest first."""
        m = check_metric(metric)
        index = None if exact else self._indexes.get(m)
        if index is not None:
            return index.search(query, k, candidates=candidates)
        mat = self._matrix
        return nearest(
            mat.values,
            mat.sq_norms,
            query,
            k=k,
            metric=m,
            candidates=candidates,
            inv_norms=self.inverse_norms(),
            sketch=self.sketch(),
        )
