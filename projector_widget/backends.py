"""The one place that picks the backend of the embeddings and reads metadata tables.

A Dask or Zarr array stays on its cluster (``projector_widget.dask``); anything else is
validated into memory (:func:`projector_widget.data.inputs.as_matrix`). Neither Dask nor the
Dask backend is imported unless the input needs it.
"""

from __future__ import annotations

from typing import Any

from projector_widget.compute.backend import Backend, MemoryBackend
from projector_widget.data.columns import Column, as_columns
from projector_widget.data.embeddings import is_out_of_core, is_out_of_core_table
from projector_widget.data.inputs import Matrix, as_matrix


def open_embeddings(embeddings: Any, *, copy: bool | None, layout_sample: int) -> Backend:
    """The backend of ``embeddings``: on their cluster for a Dask or Zarr array (t-SNE and UMAP
    fitted on ``layout_sample`` rows), else validated into the kernel's memory."""
    if is_out_of_core(embeddings):
        from projector_widget.dask.array import as_chunked
        from projector_widget.dask.backend import DaskBackend

        return DaskBackend(as_chunked(embeddings), layout_sample)
    return in_memory(as_matrix(embeddings, copy=copy))


def in_memory(matrix: Matrix) -> MemoryBackend:
    """The backend of validated rows in the kernel (a lazy overview selection becomes a Dask
    array through the Dask backend when asked)."""
    from projector_widget.dask.overview import delayed_array

    return MemoryBackend(matrix, delayed_array)


def open_metadata(metadata: Any, n: int) -> list[Column]:
    """Typed metadata columns of ``n`` rows; a Dask DataFrame is read one column at a time."""
    if is_out_of_core_table(metadata):
        from projector_widget.dask.tables import metadata_table

        metadata = metadata_table(metadata, n)
    return as_columns(metadata, n)
