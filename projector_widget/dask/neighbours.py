"""The neighbour queries of a chunked array: exact on the cluster, or through a chunked index."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.compute.neighbours import Metric, check_metric
from projector_widget.dask.ann import OPTIONS, ChunkedIndex, IndexLostError
from projector_widget.dask.array import ChunkedMatrix
from projector_widget.dask.exact import exact_nearest
from projector_widget.util.progress import ProgressArg


class IndexLostWarning(UserWarning):
    """An approximate index was lost with its cluster: its queries are answered exactly."""


class ChunkedSearch:
    """Neighbour queries over a :class:`ChunkedMatrix`, computed on the cluster.

    Exact: every chunk's k best rows on the cluster, merged in the kernel (same distances as
    :func:`projector_widget.compute.neighbours.nearest`). After :meth:`build_index` for a metric, its
    :class:`projector_widget.dask.ann.ChunkedIndex` (codes kept on the workers) answers
    queries of that metric instead, unless ``exact``; one whose cluster was closed is dropped
    and its queries answered exactly, with an :class:`IndexLostWarning`.
    """

    def __init__(self, matrix: ChunkedMatrix) -> None:
        self._matrix = matrix
        self._indexes: dict[str, ChunkedIndex] = {}

    def offer_subspace(
        self, _basis: npt.NDArray[np.float32], _scores: npt.NDArray[np.float32]
    ) -> None:
        """Nothing to keep: the chunked PCA has no subspace scores."""

    def build_index(
        self, metric: str, *, progress: ProgressArg = None, **options: Any
    ) -> ChunkedIndex:
        """Build an approximate index of every row for ``metric`` on the cluster and answer
        queries of ``metric`` through it from now on (replacing, and releasing, an earlier one).

        ``options`` (``nlist``, ``nprobe``, ``rerank``, ``seed``, ``shards``) go to
        :class:`~projector_widget.dask.ann.ChunkedIndex`; ``progress`` receives its phases.
        Needs faiss and Dask: ``pip install "projector-widget[dask,ann]"``.
        """
        m = check_metric(metric)
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            raise TypeError(f"unknown index option(s) {unknown}; the options are {list(OPTIONS)}")
        index = ChunkedIndex(self._matrix, m, progress=progress, **options)
        old = self._indexes.get(m)
        self._indexes[m] = index
        if old is not None:
            old.close()
        return index

    def close(self) -> None:
        """Release every index (its shards leave the workers)."""
        indexes, self._indexes = list(self._indexes.values()), {}
        for index in indexes:
            index.close()

    def has_index(self, metric: str) -> bool:
        """Whether an approximate index answers queries of ``metric``."""
        return metric in self._indexes

    def query(
        self,
        query: int | npt.NDArray[np.float32],
        k: int,
        metric: str,
        *,
        candidates: npt.NDArray[np.int64] | None = None,
        exact: bool = False,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """The ``k`` nearest rows to a row index or a vector: ``(indices, distances)``, through
        the index of ``metric`` when one is built (and not ``exact``), else exactly."""
        m = check_metric(metric)
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}")
        if candidates is not None:
            self._matrix.require("neighbours among isolated rows")
        index = None if exact else self._indexes.get(m)
        if index is not None:
            try:
                return index.search(query, int(k))
            except IndexLostError as lost:
                return self._exact_instead(m, lost, query, int(k))
        return exact_nearest(self._matrix, query, int(k), m)

    def _exact_instead(
        self, m: Metric, lost: IndexLostError, query: int | npt.NDArray[np.float32], k: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """The exact answer of a query whose index was ``lost`` with its cluster: the index is
        dropped (later queries do not try it again) and an :class:`IndexLostWarning` says so;
        IndexLostError saying what to do when no cluster can compute the rows either."""
        self._drop(m)
        try:
            found = exact_nearest(self._matrix, query, k, m)
        except Exception as exc:
            raise IndexLostError(
                f"the approximate {m} index is lost ({lost}), and the exact search cannot run "
                f"either ({type(exc).__name__}: {exc}). Connect a Dask client that can compute "
                "the embeddings (a persisted array's chunks go with the client that held them: "
                f"persist or read them again, and pass the new array to a new Projector), then "
                f"build_index({m!r}) again"
            ) from exc
        warnings.warn(
            f"the approximate {m} index is lost ({lost}); these neighbours come from the exact "
            f"search, as every {m} query will until build_index({m!r}) is called again",
            IndexLostWarning,
            stacklevel=3,
        )
        return found

    def _drop(self, metric: str) -> None:
        """Forget the index of ``metric`` and release what is left of it."""
        index = self._indexes.pop(metric, None)
        if index is not None:
            index.close()
