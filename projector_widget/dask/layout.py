"""t-SNE and UMAP of every row of a chunked array: fitted on a sample, the rest placed by it.

The sample is prepared as the in-memory path prepares every row (centred, reduced to 50
principal axes when wider, scaled) and the model is fitted on it in the kernel; then the model
travels to the workers, which place each chunk with the library's own ``transform``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.compute.backend import LAYOUT_SAMPLE_ROWS
from projector_widget.compute.projections.base import Hooks, Method, finite_layout
from projector_widget.compute.projections.pca import pca as pca_in_memory
from projector_widget.compute.projections.tsne import Iterations, early_iterations, import_opentsne
from projector_widget.compute.projections.umap import import_umap
from projector_widget.dask.array import ChunkedMatrix, sample
from projector_widget.dask.cluster import client, run_blocks
from projector_widget.data.inputs import BadRows, squared_norms
from projector_widget.util.progress import OPTIMISING, Reporter, Stopped

#: Dimensions the sample is reduced to before t-SNE (as the in-memory path does).
LAYOUT_INPUT_DIMS = 50


@dataclass(frozen=True)
class Reduction:
    """What turns rows into a layout's input: centre, project (when D is large), scale.

    Fitted on the sample; shipped to the workers with the model so every row is prepared the
    same way. The sample comes out within [-1, 1]; a row outside it can come out larger, and one
    that comes out too large for float32 (non-finite, or a squared norm past float32: NaN
    affinities in the native code of openTSNE and umap-learn, which can crash the worker) is
    refused by name, never handed to them.
    """

    mean: npt.NDArray[np.float32]
    axes: npt.NDArray[np.float32] | None
    scale: float
    #: Rows the reduction was fitted on (named in the refusal of a row it cannot prepare).
    sample_rows: int = 0

    @classmethod
    def fit(cls, x: npt.NDArray[np.float32], *, centre: bool, dims: int) -> Reduction:
        """The reduction of the sample ``x``: its mean, up to ``dims`` principal axes."""

        mean = (
            x.mean(axis=0, dtype=np.float64).astype(np.float32)
            if centre
            else np.zeros(x.shape[1], np.float32)
        )
        axes = None
        if centre and x.shape[1] > dims:
            axes = pca_in_memory(x, dims).components
        y = cls(mean, axes, 1.0).unchecked(x)
        scale = float(np.max(np.abs(y))) if y.size else 0.0
        if not scale > 0 or not math.isfinite(scale):
            raise ValueError(
                f"the sample of {x.shape[0]} rows has no spread: every row is the same, so there "
                "is no neighbourhood structure to lay out"
            )
        return cls(mean, axes, scale, int(x.shape[0]))

    def __call__(
        self, x: np.ndarray, first_row: int = 0, rows: npt.NDArray[np.int64] | None = None
    ) -> npt.NDArray[np.float32]:
        """Rows ``x`` (numbered from ``first_row`` in the whole array; or rows ``rows`` of a
        chunk that begins there) prepared as the sample was; ValueError naming the first row
        that comes out too large for float32."""
        y = self.unchecked(x)
        bad = BadRows.find(y, squared_norms(y))
        if bad is not None:
            number = first_row + (bad.row if rows is None else int(rows[bad.row]))
            # The row in float64, where it does not overflow: how far out it lies.
            far = np.asarray(x[bad.row], np.float64) - self.mean
            if self.axes is not None:
                far = far @ self.axes.T.astype(np.float64)
            raise ValueError(
                f"row {number} lies too far outside the {self.sample_rows:,} sampled "
                "rows the layout was fitted on to be placed: centred and scaled as they were, "
                f"it reaches {float(np.max(np.abs(far))) / self.scale:.3g} times their extent, "
                "too large for float32. Drop the outlying rows, or fit on more rows "
                "(Projector(x, layout_sample=...))"
            )
        return y

    def unchecked(self, x: np.ndarray) -> npt.NDArray[np.float32]:
        """Rows ``x`` centred, projected and scaled (Inf where they overflow float32)."""
        with np.errstate(over="ignore", invalid="ignore"):
            y = np.asarray(x, np.float32) - self.mean
            if self.axes is not None:
                y = y @ self.axes.T
            return np.ascontiguousarray(y / np.float32(self.scale), dtype=np.float32)


@dataclass(frozen=True)
class TSNEModel:
    """A fitted openTSNE embedding as it travels to the workers: ``TSNEEmbedding`` is an ndarray
    subclass whose attributes (the affinities that place new rows) a pickle drops, so they go
    beside the layout and the embedding is rebuilt where it is used."""

    layout: npt.NDArray[np.float64]
    affinities: Any
    params: dict[str, Any]
    random_state: Any

    @classmethod
    def of(cls, embedding: Any) -> TSNEModel:
        """The parts of a fitted ``openTSNE.TSNEEmbedding``."""
        return cls(
            np.asarray(embedding, np.float64),
            embedding.affinities,
            # Without the fit's progress callback (a closure over the job: not sent anywhere).
            {k: v for k, v in embedding.gradient_descent_params.items() if k != "callbacks"},
            embedding.random_state,
        )

    def transform(self, x: npt.NDArray[np.float32]) -> np.ndarray:
        """New rows placed in the fitted layout (openTSNE's ``TSNEEmbedding.transform``)."""

        openTSNE = import_opentsne()
        embedding = openTSNE.TSNEEmbedding(
            self.layout, self.affinities, random_state=self.random_state, **self.params
        )
        return embedding.transform(x)


def _place_tsne(prepared: npt.NDArray[np.float32], model: TSNEModel) -> np.ndarray:
    """Prepared rows placed in a fitted t-SNE layout (on a worker)."""
    return np.asarray(model.transform(prepared), np.float32)


def _placed(
    place: Callable[..., np.ndarray],
    block: np.ndarray,
    reduction: Reduction,
    model: Any,
    where: tuple[int, npt.NDArray[np.int64] | None],
) -> np.ndarray:
    """Rows of a chunk prepared by ``reduction`` and placed by ``place`` with ``model``, on a
    worker: ``where`` is the chunk's first row and the rows of it to place (None: all)."""
    start, rows = where
    x = np.asarray(block) if rows is None else np.asarray(block)[rows]
    return place(reduction(x, start, rows), model)


def _without_umap_tensorflow() -> None:
    """Import umap-learn on a worker without its TensorFlow module (before a fitted model
    arrives there, whose unpickling imports umap-learn): seconds and a screen of TensorFlow's
    log lines per worker otherwise."""
    import_umap()


def _place_umap(prepared: npt.NDArray[np.float32], model: Any) -> np.ndarray:
    """Prepared rows placed by a fitted umap-learn model (on a worker)."""
    return np.asarray(model.transform(prepared), np.float32)


def _fit_tsne(
    x: npt.NDArray[np.float32], p: dict[str, Any], report: Reporter
) -> tuple[Any, Callable[..., np.ndarray]]:
    """openTSNE fitted on the prepared sample: its embedding and the function that places rows."""

    openTSNE = import_opentsne()
    n = x.shape[0]
    if n < 4:
        raise ValueError(f"t-SNE needs at least 4 points in the sample, got {n}")
    perplexity = min(p["perplexity"], max(1.0, (n - 1) / 3.0))
    report.phase("computing affinities", detail=f"sample of {n:,} rows")
    # Annoy (openTSNE's own index) pickles its trees, so the embedding travels to the workers.
    affinities = openTSNE.affinity.PerplexityBasedNN(
        x,
        perplexity=perplexity,
        method="exact" if n < 1000 else "annoy",
        n_jobs=p["n_jobs"],
        random_state=p["seed"],
    )
    init = openTSNE.initialization.pca(x, n_components=p["dims"], random_state=p["seed"])
    early = early_iterations(p["n_iter"])
    total = early + p["n_iter"]
    report.phase(OPTIMISING, total)
    counter = Iterations(early)

    def callback(iteration: int, _error: float, _embedding: np.ndarray) -> bool:
        try:
            report.update(counter.done(iteration))
        except Stopped:
            counter.stopped = True
        return counter.stopped

    model = openTSNE.TSNE(
        n_components=p["dims"],
        perplexity=perplexity,
        learning_rate=p["learning_rate"],
        early_exaggeration_iter=early,
        n_iter=p["n_iter"],
        negative_gradient_method="fft" if p["dims"] == 2 else "bh",
        callbacks=[counter.calling(callback)],
        callbacks_every_iters=10,
        random_state=p["seed"],
        n_jobs=p["n_jobs"],
        verbose=False,
    )
    embedding = model.fit(affinities=affinities, initialization=init)
    if not counter.stopped:
        report.update(total)
    embedding.affinities.n_jobs = 1  # each worker thread places its own chunk
    return TSNEModel.of(embedding), _place_tsne


def _fit_umap(
    x: npt.NDArray[np.float32], p: dict[str, Any], report: Reporter
) -> tuple[Any, Callable[..., np.ndarray]]:
    """umap-learn fitted on the prepared sample: the model and the function that places rows."""
    umap_learn = import_umap()
    if x.shape[0] <= p["n_neighbors"]:
        raise ValueError(
            f"UMAP needs more sampled rows ({x.shape[0]}) than n_neighbors ({p['n_neighbors']})"
        )
    report.phase("fitting UMAP", detail=f"sample of {x.shape[0]:,} rows")
    model = umap_learn.UMAP(
        n_neighbors=p["n_neighbors"],
        min_dist=p["min_dist"],
        metric=p["metric"],
        n_components=p["dims"],
        random_state=p["seed"],
        n_jobs=1 if p["seed"] is not None else -1,
        verbose=False,
    )
    model.fit(x)
    return model, _place_umap


def layout(
    matrix: ChunkedMatrix,
    method: Method,
    p: dict[str, Any],
    hooks: Hooks,
    sample_rows: int = LAYOUT_SAMPLE_ROWS,
) -> npt.NDArray[np.float32]:
    """t-SNE or UMAP of every row: fitted on a random sample, the rest placed on the cluster.

    The sample (``sample_rows`` rows, gathered to the kernel) is prepared as the in-memory path
    prepares every row (centred, reduced to 50 principal axes when wider, scaled), the model is
    fitted on it here, then shipped to the workers, which place each chunk with the library's
    own ``transform``; the sample keeps its fitted places. Returns the (N, dims) layout.
    """
    import dask

    report = Reporter(hooks.progress)
    seed = 0 if p.get("seed") is None else int(p["seed"])
    report.phase("gathering a sample", detail=f"{min(sample_rows, matrix.n):,} rows")
    rows, values = sample(matrix, sample_rows, seed)
    centre = method.name == "tsne" or p.get("metric") in ("euclidean", "manhattan")
    dims = LAYOUT_INPUT_DIMS if method.name == "tsne" or centre else matrix.dims
    reduction = Reduction.fit(values, centre=centre, dims=dims)
    fit = _fit_tsne if method.name == "tsne" else _fit_umap
    model, place = fit(reduction(values), p, report)
    fitted = np.asarray(model.embedding_ if method.name == "umap" else model.layout, np.float32)
    blocks, starts = matrix.blocks()
    out = np.zeros((matrix.n, p["dims"]), np.float32)
    out[rows] = fitted
    # The rows outside the sample, chunk by chunk (the sampled ones keep their fitted places).
    ends = np.append(starts[1:], matrix.n)
    other: list[npt.NDArray[np.int64] | None] = []
    for start, end in zip(starts, ends, strict=True):
        inside = rows[(rows >= start) & (rows < end)] - start
        other.append(None if inside.size == 0 else np.setdiff1d(np.arange(end - start), inside))
    todo = [i for i, keep in enumerate(other) if keep is None or keep.size > 0]
    if todo:
        c = client()
        if method.name == "umap":
            c.run(_without_umap_tensorflow)
        shipped = c.scatter(model, broadcast=True)
        ready = c.scatter(reduction, broadcast=True)
        tasks = [
            dask.delayed(_placed)(place, blocks[i], ready, shipped, (int(starts[i]), other[i]))
            for i in todo
        ]
        for j, part in run_blocks(tasks, report, "placing the other rows"):
            i = todo[j]
            keep = other[i]
            out[starts[i] + (np.arange(part.shape[0]) if keep is None else keep)] = part
    report.flush()
    return finite_layout(out, "t-SNE" if method.name == "tsne" else "UMAP")
