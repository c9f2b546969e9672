"""Embeddings that stay on the cluster: a validated 2-D Dask array and its chunks of rows."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.dask.cluster import client, import_module
from projector_widget.data.embeddings import needs_memory
from projector_widget.util.extras import imported


@dataclass(frozen=True)
class ChunkedMatrix:
    """Validated embeddings that stay on the cluster: a 2-D float32 Dask array of real numbers.

    It has no ``values``: code that needs the rows in the kernel asks the backend for them
    (:meth:`projector_widget.dask.backend.DaskBackend.memory`), which raises NeedsMemoryError.
    """

    array: Any
    #: Whether the array was converted from a wider float (a value past float32 reads as Inf).
    wide_source: bool = False

    @property
    def n(self) -> int:
        """Number of rows (points)."""
        return int(self.array.shape[0])

    @property
    def dims(self) -> int:
        """Number of columns (embedding dimensions)."""
        return int(self.array.shape[1])

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, dimensions)."""
        return self.n, self.dims

    def require(self, feature: str) -> None:
        """Raise NeedsMemoryError naming ``feature``."""
        raise needs_memory(feature, self.shape)

    def blocks(self) -> tuple[list[Any], npt.NDArray[np.int64]]:
        """One delayed (rows, D) block per chunk of rows, and each block's first row."""
        arr = self.array
        if len(arr.chunks[1]) > 1:
            arr = arr.rechunk({1: -1})
        blocks = list(arr.to_delayed().ravel())
        starts = np.concatenate([[0], np.cumsum(arr.chunks[0])[:-1]]).astype(np.int64)
        return blocks, starts


def as_chunked(embeddings: object) -> ChunkedMatrix:
    """Validate a Dask (or Zarr) array without loading it; a :class:`ChunkedMatrix`.

    Raises TypeError for values that are not real numbers and ValueError for a shape that is not
    (rows >= 2, dims >= 1) or for unknown chunk sizes. The rows the in-memory path refuses (NaN,
    Inf, squared norms past float32) are found by the first pass of the PCA
    (:func:`projector_widget.dask.pca.pca`), before anything else reads them.
    """
    da = import_module("dask")
    arr: Any = embeddings
    if type(embeddings).__module__.startswith("zarr"):
        arr = da.from_zarr(embeddings)
    kind = np.dtype(arr.dtype).kind
    if kind not in "fiub":
        raise TypeError(
            f"embeddings must be real numbers (float or int); got a Dask array of dtype "
            f"{arr.dtype} and shape {arr.shape}"
        )
    if arr.ndim != 2:
        raise ValueError(
            f"embeddings must be a 2-D array of shape (n_points, n_dims); got a {arr.ndim}-D "
            f"Dask array of shape {arr.shape}"
        )
    if any(math.isnan(c) for c in arr.chunks[0]):
        raise ValueError(
            "the Dask array's chunk sizes are unknown (NaN rows); call x.compute_chunk_sizes(), "
            "or read Parquet with ddf.to_dask_array(lengths=True)"
        )
    n, d = (int(s) for s in arr.shape)
    if n < 2 or d < 1:
        raise ValueError(
            f"embeddings must have at least 2 rows and 1 dimension; got shape {(n, d)}"
        )
    dtype = np.dtype(arr.dtype)
    return ChunkedMatrix(
        arr.astype(np.float32) if dtype != np.float32 else arr,
        wide_source=dtype.kind == "f" and dtype.itemsize > 4,
    )


def sample(matrix: ChunkedMatrix, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``size`` random rows (sorted indices, their (size, D) float32 values) from the cluster."""
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(matrix.n, size=min(size, matrix.n), replace=False))
    values = client().compute(matrix.array[rows]).result()
    return rows, np.ascontiguousarray(values, np.float32)


#: Rows a chunk of :func:`from_npy` holds by default.
NPY_CHUNK_ROWS = 65_536


def _npy_rows(path: str, start: int, stop: int) -> np.ndarray:
    """Rows ``start:stop`` of the .npy file ``path``, read from it memory-mapped (on a worker)."""
    return np.array(np.load(path, mmap_mode="r")[start:stop])


def from_npy(paths: Iterable[str | os.PathLike[str]], *, chunk_rows: int = NPY_CHUNK_ROWS) -> Any:
    """A Dask array of the rows of 2-D ``.npy`` files (shards, one after another), read lazily.

    Each chunk (``chunk_rows`` rows of one file) is a task that opens its file memory-mapped
    where it runs and copies its rows: the task graph holds paths and row ranges, never the data
    (``da.from_array(np.load(p, mmap_mode="r"))`` puts every row into the graph, which the
    scheduler is then sent whole). Only the files' headers are read here. ValueError when a
    file is not 2-D or its columns or dtype differ from the first's.
    """
    da = import_module("dask")
    delayed = imported("dask", "from_npy needs dask", "dask").delayed
    files = [os.fspath(p) for p in paths]
    if not files:
        raise ValueError("from_npy needs at least one .npy file")
    if not isinstance(chunk_rows, int) or chunk_rows < 1:
        raise ValueError(f"chunk_rows must be a whole number from 1, got {chunk_rows!r}")
    parts = []
    first: tuple[int, np.dtype[Any]] | None = None
    for path in files:
        head = np.load(path, mmap_mode="r")  # the header only: nothing is read
        if head.ndim != 2:
            raise ValueError(f"{path}: a shard must be 2-D (rows, dims), got shape {head.shape}")
        n, d = head.shape
        if first is None:
            first = (d, head.dtype)
        elif (d, head.dtype) != first:
            raise ValueError(
                f"{path} has {d} columns of {head.dtype}, but {files[0]} has {first[0]} of "
                f"{first[1]}: every shard must have the first one's"
            )
        for start in range(0, n, chunk_rows):
            stop = min(n, start + chunk_rows)
            rows = delayed(_npy_rows, pure=True)(path, start, stop)
            parts.append(da.from_delayed(rows, shape=(stop - start, d), dtype=head.dtype))
        del head
    if not parts:
        raise ValueError(f"the .npy files {files} have no rows")
    return da.concatenate(parts, axis=0)
