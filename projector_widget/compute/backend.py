"""Where the embeddings are and how the projections reach them: one interface, two backends.

A :class:`Backend` is what the projection session, the neighbour queries and the overview see of
the embeddings. :class:`MemoryBackend` holds them in the kernel (a validated
:class:`~projector_widget.data.inputs.Matrix`); the Dask backend
(``projector_widget.dask.backend``) keeps them on a cluster and computes there. Only
``projector_widget.backends.open_embeddings`` picks one; everything above it is written against
this interface, and a feature that needs every row in the kernel asks :meth:`Backend.memory`,
which returns the rows or raises a NeedsMemoryError naming the feature.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from projector_widget.compute.overview.executors import Executor, LazyArrays, LocalExecutor
from projector_widget.compute.projections import Hooks, Inputs, Layout, Method, PCAResult
from projector_widget.compute.projections.pca import COMPONENTS, EXACT_MAX_ROWS, pca, sample_pca
from projector_widget.compute.searcher import NeighbourSearch
from projector_widget.data.columns import Column
from projector_widget.data.inputs import Matrix
from projector_widget.util.progress import ProgressArg, Reporter

#: Rows of out-of-core embeddings t-SNE and UMAP are fitted on (the model places the others).
LAYOUT_SAMPLE_ROWS = 20_000
#: Which rows projections see: (spherize, isolated subset or None).
Rows = tuple[bool, "npt.NDArray[np.int64] | None"]
#: Every row, as given.
ALL_ROWS: Rows = (False, None)
#: ``refine(stopped)``: the PCA of every row computed exactly, to replace a first one from a
#: sample; ``stopped()`` is asked between two passes over the rows (True raises ``Stopped``).
Refine = Callable[[Callable[[], bool]], PCAResult]
#: An iterative layout's work: ``run(params, hooks)`` returns the (N, dims) layout.
LayoutRun = Callable[[dict[str, Any], Hooks], npt.NDArray[np.float32]]


class Searcher(Protocol):
    """Neighbour queries over the embeddings (exact, or through an approximate index)."""

    def offer_subspace(
        self, basis: npt.NDArray[np.float32], scores: npt.NDArray[np.float32]
    ) -> None:
        """Keep a PCA subspace that speeds up exact queries (when the backend can use one)."""
        ...

    def build_index(self, metric: str, *, progress: ProgressArg = None, **options: Any) -> Any:
        """Build an approximate index for ``metric``; queries of that metric use it."""
        ...

    def has_index(self, metric: str) -> bool:
        """Whether an approximate index answers queries of ``metric``."""
        ...

    def query(
        self,
        query: int | npt.NDArray[np.float32],
        k: int,
        metric: str,
        *,
        candidates: npt.NDArray[np.int64] | None = None,
        exact: bool = False,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """The ``k`` nearest rows to a row index or a vector: ``(indices, distances)``."""
        ...

    def close(self) -> None:
        """Release the indexes."""
        ...


class Backend(Protocol):
    """The embeddings where they are, and the work on them that depends on where."""

    @property
    def n(self) -> int:
        """Number of rows."""
        ...

    @property
    def dims(self) -> int:
        """Number of dimensions."""
        ...

    @property
    def source(self) -> Any:
        """What ``Projector.embeddings`` returns: the validated array (never a copy)."""
        ...

    def memory(self, feature: str) -> Matrix:
        """The rows in the kernel's memory; NeedsMemoryError naming ``feature`` when they are
        not there."""
        ...

    def first_pca(self, report: Reporter) -> tuple[PCAResult, Refine | None]:
        """The PCA the first view shows, and the exact one to compute after the first frame
        (None when the first is exact)."""
        ...

    def pca(self, rows: Rows) -> PCAResult:
        """The PCA of ``rows`` (not cached here: the session caches per row set)."""
        ...

    def check(
        self,
        method: Method,
        params: dict[str, Any],
        rows: Rows,
        pca_of_rows: Callable[[], PCAResult],
        columns: list[Column],
    ) -> dict[str, Any]:
        """``params`` merged over ``method``'s defaults and checked on ``rows``; ValueError (or
        NeedsMemoryError) says what is wrong before anything runs."""
        ...

    def instant(
        self,
        method: Method,
        checked: dict[str, Any],
        rows: Rows,
        pca_of_rows: Callable[[], PCAResult],
        columns: list[Column],
    ) -> Layout:
        """The layout of an instant ``method`` with ``checked`` parameters on ``rows``."""
        ...

    def layout_run(self, method: Method, rows: Rows) -> LayoutRun:
        """The work of an iterative ``method`` on ``rows`` (run in the job's thread)."""
        ...

    def centre(self, spherize: bool) -> npt.NDArray[np.float64] | None:
        """The mean row a new vector is centred by before spherizing (None: not spherized)."""
        ...

    def searcher(self) -> Searcher:
        """The neighbour queries of these embeddings."""
        ...

    def overview_executor(self) -> tuple[Executor, list[int] | None]:
        """Where the overview's chunks live, and the first row of each chunk (None: any)."""
        ...

    def close(self) -> None:
        """Release what the backend holds (caches, the rows' derived copies)."""
        ...


class MemoryBackend:
    """Embeddings held in the kernel: projections see the rows, spherized or a subset.

    ``lazy_arrays`` makes a lazy selection of the overview a Dask array (given by the factory
    when the Dask extra is installed).
    """

    def __init__(self, matrix: Matrix, lazy_arrays: LazyArrays | None = None) -> None:
        self.matrix = matrix
        self._lazy_arrays = lazy_arrays
        self._spherized: Matrix | None = None
        self._search: NeighbourSearch | None = None

    @property
    def n(self) -> int:
        """Number of rows."""
        return self.matrix.n

    @property
    def dims(self) -> int:
        """Number of dimensions."""
        return self.matrix.dims

    @property
    def source(self) -> npt.NDArray[np.float32]:
        """The validated float32 rows."""
        return self.matrix.values

    def memory(self, feature: str) -> Matrix:
        """The rows (always in memory here)."""
        return self.matrix

    def input_matrix(self, spherize: bool) -> Matrix:
        """The matrix projections see: spherized (centred, unit rows) when asked."""
        if not spherize:
            return self.matrix
        if self._spherized is None:
            x = self.matrix.values
            centred = x - x.mean(axis=0, dtype=np.float64).astype(np.float32)
            norms = np.sqrt(np.einsum("ij,ij->i", centred, centred))
            norms[norms == 0] = 1.0
            centred /= norms[:, None]
            self._spherized = Matrix(values=centred, sq_norms=np.ones(self.n, np.float32))
        return self._spherized

    def first_pca(self, report: Reporter) -> tuple[PCAResult, Refine | None]:
        """Exact up to ``EXACT_MAX_ROWS`` rows; above, a sample's axes with every row projected
        (one thin pass) and the exact PCA to refine it with, which hands its subspace to the
        neighbour search (the sketch that prunes exact queries)."""
        m = self.matrix
        if self.n <= EXACT_MAX_ROWS:
            return pca(m.values, COMPONENTS, sq_norms=m.sq_norms), None

        def refine(stopped: Callable[[], bool]) -> PCAResult:
            refined = pca(
                m.values,
                COMPONENTS,
                sq_norms=m.sq_norms,
                power_iterations=1,
                keep_subspace=True,
                stopped=stopped,
            )
            if refined.subspace is not None and refined.subspace_scores is not None:
                self.searcher().offer_subspace(refined.subspace, refined.subspace_scores)
            return dataclasses.replace(refined, subspace=None, subspace_scores=None)

        return sample_pca(m.values, COMPONENTS), refine

    def pca(self, rows: Rows) -> PCAResult:
        """The PCA of ``rows`` (exact)."""
        spherize, subset = rows
        m = self.input_matrix(spherize)
        values = m.values if subset is None else m.values[subset]
        norms = m.sq_norms if subset is None else m.sq_norms[subset]
        return pca(values, COMPONENTS, sq_norms=norms)

    def inputs(
        self, rows: Rows, pca_of_rows: Callable[[], PCAResult], columns: list[Column]
    ) -> Inputs:
        """What a projection of ``rows`` sees."""
        spherize, subset = rows
        return Inputs(self.input_matrix(spherize).values, subset, pca_of_rows, columns)

    def check(
        self,
        method: Method,
        params: dict[str, Any],
        rows: Rows,
        pca_of_rows: Callable[[], PCAResult],
        columns: list[Column],
    ) -> dict[str, Any]:
        """The method's own checks on the rows."""
        return method.check(params, self.inputs(rows, pca_of_rows, columns))

    def instant(
        self,
        method: Method,
        checked: dict[str, Any],
        rows: Rows,
        pca_of_rows: Callable[[], PCAResult],
        columns: list[Column],
    ) -> Layout:
        """The method's own run on the rows."""
        layout: Layout = method.run(self.inputs(rows, pca_of_rows, columns), checked)
        return layout

    def layout_run(self, method: Method, rows: Rows) -> LayoutRun:
        """The method's own run on a contiguous copy of the shown rows."""
        spherize, subset = rows
        values = self.input_matrix(spherize).values
        shown = np.ascontiguousarray(values if subset is None else values[subset])
        run = method.run
        return lambda params, hooks: run(shown, params, hooks)

    def centre(self, spherize: bool) -> npt.NDArray[np.float64] | None:
        """The rows' mean when spherized."""
        return self.matrix.values.mean(axis=0, dtype=np.float64) if spherize else None

    def searcher(self) -> NeighbourSearch:
        """Exact queries (pruned by the PCA's sketch) and the approximate indexes built."""
        if self._search is None:
            self._search = NeighbourSearch(self.matrix)
        return self._search

    def overview_executor(self) -> tuple[Executor, list[int] | None]:
        """The kernel's threads, chunks of any size."""
        return LocalExecutor(self._lazy_arrays), None

    def close(self) -> None:
        """Drop the derived copies and the indexes."""
        self._spherized = None
        if self._search is not None:
            self._search.close()
            self._search = None
