"""The Dask backend: embeddings that stay on a ``distributed`` cluster, computed there.

The kernel keeps only what the view needs: each row's three coordinates (12 bytes a row), the
D x D statistics of the PCA, a sample for t-SNE/UMAP and the k best rows of a neighbour query.
What needs every row in the kernel (spherize, isolating a selection, the custom projection,
layout quality, exports) raises NeedsMemoryError from :meth:`DaskBackend.memory`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.compute.backend import LAYOUT_SAMPLE_ROWS, LayoutRun, Refine, Rows
from projector_widget.compute.overview.executors import Executor
from projector_widget.compute.projections import Hooks, Inputs, Layout, Method, PCAResult
from projector_widget.dask.array import ChunkedMatrix
from projector_widget.dask.cluster import client
from projector_widget.dask.layout import layout
from projector_widget.dask.neighbours import ChunkedSearch
from projector_widget.dask.overview import DaskExecutor
from projector_widget.dask.pca import pca, pca_layout
from projector_widget.data.columns import Column
from projector_widget.data.embeddings import needs_memory
from projector_widget.data.inputs import Matrix
from projector_widget.util.progress import Reporter


class DaskBackend:
    """A validated Dask array: PCA in two passes over its chunks, t-SNE and UMAP fitted on a
    sample of ``layout_sample`` rows (the model places the others on the workers), neighbours
    chunk by chunk."""

    def __init__(self, matrix: ChunkedMatrix, layout_sample: int = LAYOUT_SAMPLE_ROWS) -> None:
        self.matrix = matrix
        self.layout_sample = int(layout_sample)
        self._search: ChunkedSearch | None = None

    @property
    def n(self) -> int:
        """Number of rows."""
        return self.matrix.n

    @property
    def dims(self) -> int:
        """Number of dimensions."""
        return self.matrix.dims

    @property
    def source(self) -> Any:
        """The Dask array itself (never a copy in the kernel)."""
        return self.matrix.array

    def memory(self, feature: str) -> Matrix:
        """Never: NeedsMemoryError naming ``feature`` and what to do instead."""
        raise needs_memory(feature, self.matrix.shape)

    def first_pca(self, report: Reporter) -> tuple[PCAResult, Refine | None]:
        """The PCA of every row, on the cluster (exact at once: nothing to refine)."""
        return pca(self.matrix, report=report), None

    def pca(self, rows: Rows) -> PCAResult:
        """The PCA of every row (other row sets need the rows in memory)."""
        self._require_all(rows)
        return pca(self.matrix)

    def check(
        self,
        method: Method,
        params: dict[str, Any],
        rows: Rows,
        pca_of_rows: Callable[[], PCAResult],
        columns: list[Column],
    ) -> dict[str, Any]:
        """PCA, t-SNE and UMAP on every row (their checks read the PCA only, never the rows);
        the custom projection and other row sets need the rows in memory."""
        self._require_all(rows)
        if method.name == "custom":
            self.memory("the custom projection")
        no_rows = np.empty((0, self.dims), np.float32)
        return method.check(params, Inputs(no_rows, None, pca_of_rows, []))

    def instant(
        self,
        method: Method,
        checked: dict[str, Any],
        rows: Rows,
        pca_of_rows: Callable[[], PCAResult],
        columns: list[Column],
    ) -> Layout:
        """The PCA view (components past the first three: one more pass over the chunks)."""
        self._require_all(rows)
        return pca_layout(self.matrix, pca_of_rows(), checked["components"])

    def layout_run(self, method: Method, rows: Rows) -> LayoutRun:
        """t-SNE or UMAP fitted on a sample, the other rows placed chunk by chunk."""
        self._require_all(rows)
        matrix, sample = self.matrix, self.layout_sample

        def run(params: dict[str, Any], hooks: Hooks) -> npt.NDArray[np.float32]:
            return layout(matrix, method, params, hooks, sample)

        return run

    def centre(self, spherize: bool) -> npt.NDArray[np.float64] | None:
        """Never spherized (spherize needs the rows in memory)."""
        return None

    def searcher(self) -> ChunkedSearch:
        """Exact queries chunk by chunk, or through an index built from the chunks."""
        if self._search is None:
            self._search = ChunkedSearch(self.matrix)
        return self._search

    def overview_executor(self) -> tuple[Executor, list[int] | None]:
        """The cluster; one overview chunk per chunk of rows."""
        starts = [0, *np.cumsum(self.matrix.array.chunks[0])[:-1].tolist()]
        return DaskExecutor(client()), [int(s) for s in starts]

    def close(self) -> None:
        """Release the indexes kept on the workers."""
        if self._search is not None:
            self._search.close()
            self._search = None

    def _require_all(self, rows: Rows) -> None:
        spherize, subset = rows
        if spherize:
            self.memory("spherize")
        if subset is not None:
            self.memory("isolating a selection")
