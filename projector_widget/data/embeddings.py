"""What every backend of the embeddings shares: its size, and the error for rows not in memory.

The widget keeps the embeddings either in the kernel's memory (:class:`~.inputs.Matrix`) or on a
``distributed`` cluster (``projector_widget.dask``). Code that needs the rows themselves asks the
backend for them (``backend.memory(feature)``) and gets a :class:`~.inputs.Matrix` or a
:class:`NeedsMemoryError` naming the feature, never a placeholder that fails later.
"""

from __future__ import annotations

from projector_widget.util.sizes import memory


class NeedsMemoryError(TypeError):
    """A feature needs every row of the embeddings in the kernel; they stay on a cluster."""


def needs_memory(feature: str, shape: tuple[int, int]) -> NeedsMemoryError:
    """The error for ``feature`` on out-of-core embeddings of ``shape``: what to do instead."""
    n, d = shape
    return NeedsMemoryError(
        f"{feature} needs the embeddings in the kernel's memory, but they are a Dask array of "
        f"{n:,} x {d} (chunked, computed on the cluster). Pass Projector(x.compute()) when "
        f"{memory(n * d * 4)} fits, or a sample of the rows "
        "(x[rows].compute() with its metadata)"
    )


def is_out_of_core(obj: object) -> bool:
    """Whether ``obj`` is a Dask or a Zarr array: rows that stay out of the kernel until asked
    for (told by the type's module and attributes, without importing either library)."""
    module = type(obj).__module__.split(".")[0]
    if module == "dask":
        return hasattr(obj, "chunks") and hasattr(obj, "dask") and hasattr(obj, "ndim")
    return module == "zarr" and hasattr(obj, "chunks") and hasattr(obj, "shape")


def is_out_of_core_table(obj: object) -> bool:
    """Whether ``obj`` is a Dask DataFrame (metadata read column by column on the cluster)."""
    return type(obj).__module__.split(".")[0] == "dask" and hasattr(obj, "npartitions")
