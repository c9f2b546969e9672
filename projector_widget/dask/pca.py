"""The PCA of every row of a chunked array, as reductions on the cluster.

One pass sums each chunk's rows and ``X^T X`` (D x D, so the kernel never holds more than the
statistics; one pass because every pass re-reads, and for a Zarr store decompresses, the data:
a covariance costs N x D^2 flops but a single read, where the subspace iteration of the
in-memory path reads the rows three times) and finds the rows the in-memory path refuses (NaN,
Inf, squared norms past float32); the eigendecomposition runs in the kernel; a second pass
projects every row on the first three axes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.compute.projections.base import Layout
from projector_widget.compute.projections.pca import COMPONENTS, PCAResult, flip_signs
from projector_widget.dask.array import ChunkedMatrix
from projector_widget.dask.cluster import client, run_blocks
from projector_widget.data.inputs import BadRows, squared_norms
from projector_widget.util.progress import Reporter


def _chunk_stats(block: np.ndarray, shift: np.ndarray) -> dict[str, Any]:
    """A chunk's row count, sums and ``X^T X`` (shifted by ``shift``), and its bad rows: NaN,
    Inf, or a squared norm that overflows float32 (the rows the in-memory path refuses)."""
    x = np.asarray(block, dtype=np.float32)
    sq = squared_norms(x)
    bad = BadRows.find(x, sq)
    if bad is not None:
        x = x[np.isfinite(sq)]
    y = x - shift.astype(np.float32)
    # float32 BLAS on shifted rows, accumulated in float64 across chunks: the shift (the first
    # chunk's mean) keeps X^T X - n m m^T from cancelling when the data sit far from the origin.
    with np.errstate(over="ignore", invalid="ignore"):
        gram = y.T @ y
    if not np.isfinite(gram).all():
        # Rows that square within float32 whose sums of squares do not (values near 1e18):
        # float64 holds them, as the in-memory PCA's float64 statistics do.
        y64 = y.astype(np.float64)
        gram = y64.T @ y64
    return {
        "rows": y.shape[0],
        "sum": y.sum(axis=0, dtype=np.float64),
        "gram": gram.astype(np.float64),
        "bad": bad,
    }


def _chunk_project(
    block: np.ndarray, mean: np.ndarray, axes: np.ndarray
) -> npt.NDArray[np.float32]:
    """Rows of a chunk projected on ``axes`` (k, D) around ``mean``: (rows, k) float32."""
    x = np.asarray(block, dtype=np.float32)
    return ((x @ axes.T) - (mean @ axes.T)).astype(np.float32)


def pca(
    matrix: ChunkedMatrix, n_components: int = COMPONENTS, report: Reporter | None = None
) -> PCAResult:
    """The PCA of every row, as reductions on the cluster; scores of the first three axes.

    One pass sums each chunk's rows and ``X^T X`` (D x D, so the kernel never holds more than
    the statistics; one pass because every pass re-reads, and for a Zarr store decompresses,
    the data: a covariance costs N x D^2 flops but a single read, where the subspace iteration
    of the in-memory path reads the rows three times) and finds the rows the in-memory path
    refuses (ValueError naming the first); the eigendecomposition runs here; a second pass projects every row on the first three axes.
    ``coords`` of the result are those (N, 3) scores; the (k, D) ``components`` place others.
    """
    import dask

    blocks, starts = matrix.blocks()
    shift = np.asarray(client().compute(dask.delayed(_head_mean)(blocks[0])).result())
    if not np.isfinite(shift).all():
        shift = np.zeros(matrix.dims)
    tasks = [dask.delayed(_chunk_stats)(b, shift) for b in blocks]
    rows, total_sum = 0, np.zeros(matrix.dims)
    gram = np.zeros((matrix.dims, matrix.dims))
    bad: BadRows | None = None
    for i, stats in run_blocks(tasks, report, "PCA: sums and X^T X"):
        rows += stats["rows"]
        total_sum += stats["sum"]
        gram += stats["gram"]
        if stats["bad"] is not None:
            bad = stats["bad"].shifted(starts[i]).merged(bad)
    if bad is not None:
        raise bad.error(
            "Drop them first, e.g. x[da.isfinite(x).all(axis=1)] (then x.compute_chunk_sizes())",
            wide_source=matrix.wide_source,
        )
    if not (np.isfinite(gram).all() and np.isfinite(total_sum).all()):
        # Every row squares within float32, so float64 sums overflow only past ~1e270 rows.
        raise ValueError(
            "the sums of squares of the embeddings overflow float64, so their PCA cannot be "
            "computed; rescale the embeddings (divide every value by the same constant)"
        )
    n, d = matrix.shape
    mean_shifted = total_sum / n
    cov = (gram - n * np.outer(mean_shifted, mean_shifted)) / (n - 1)
    evals, evecs = np.linalg.eigh(cov)
    k = max(1, min(n_components, d, n))
    order = np.argsort(evals)[::-1][:k]
    variances = np.clip(evals[order], 0.0, None)
    comps = flip_signs(evecs[:, order].T)
    total = float(np.trace(cov))
    mean = (shift + mean_shifted).astype(np.float32)
    coords = project(matrix, mean, comps[:3], report, "PCA: projecting every row")
    if coords.shape[1] < 3:
        coords = np.hstack([coords, np.zeros((n, 3 - coords.shape[1]), np.float32)])
    return PCAResult(
        coords=coords,
        components=comps.astype(np.float32),
        explained_variance=variances,
        explained_variance_ratio=variances / total if total > 0 else np.zeros_like(variances),
        mean=mean,
    )


def _head_mean(block: np.ndarray) -> npt.NDArray[np.float64]:
    """The mean of a chunk's first rows (at most 1,024): the shift of the PCA's sums."""
    return np.asarray(block[:1024], np.float64).mean(axis=0)


def project(
    matrix: ChunkedMatrix,
    mean: npt.NDArray[np.floating],
    axes: npt.NDArray[np.floating],
    report: Reporter | None = None,
    phase: str = "projecting every row",
) -> npt.NDArray[np.float32]:
    """Every row projected on ``axes`` (k, D) around ``mean``, computed on the cluster: (N, k)."""
    import dask

    blocks, starts = matrix.blocks()
    m = np.asarray(mean, np.float32)
    a = np.asarray(axes, np.float32)
    out = np.zeros((matrix.n, a.shape[0]), np.float32)
    tasks = [dask.delayed(_chunk_project)(b, m, a) for b in blocks]
    for i, part in run_blocks(tasks, report, phase):
        out[starts[i] : starts[i] + part.shape[0]] = part
    return out


def pca_layout(matrix: ChunkedMatrix, result: PCAResult, components: list[int]) -> Layout:
    """The PCA view on ``components``: the first three come from ``result``, others are
    projected on the cluster (another pass)."""

    k = result.components.shape[0]
    axes = np.zeros((3, matrix.dims))
    for j, c in enumerate(components[:3]):
        if c < k:
            axes[j] = result.components[c]
    if list(components[:3]) == [0, 1, 2]:
        coords = result.coords
    else:
        coords = project(matrix, result.mean, axes)
    return Layout(np.ascontiguousarray(coords, np.float32), axes=axes, origin=result.mean)
