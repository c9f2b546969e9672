"""Embeddings larger than the kernel's memory: a Dask array computed on a ``distributed`` cluster.

Every Dask-specific computation of the widget lives here, and nothing here imports Dask before it
is needed (``import projector_widget`` never does). The kernel keeps only what the view needs:
each row's three coordinates (12 bytes a row), the D x D statistics of the PCA, a sample for
t-SNE/UMAP and the k best rows of a neighbour query. Each computation is one pass over the
array's chunks on the cluster (:func:`client`: the user's ``distributed.Client`` when one is
active, else a LocalCluster started once per process); results come back chunk by chunk, so
the phases report progress and a stop cancels what is still queued.

* :func:`as_chunked` validates an array without loading it (2-D, real numbers, known chunks);
* :func:`pca` finds the principal axes from per-chunk sums and ``X^T X`` (the pass that also
  counts non-finite rows) and projects every row on the cluster;
* :func:`layout` fits t-SNE or UMAP on a random sample and places the other rows with the
  library's own ``transform``, chunk by chunk on the workers;
* :class:`ChunkedSearch` finds exact neighbours: each chunk's k best on the cluster, merged here,
  or approximate ones through an index built from the chunks (:mod:`.chunked_ann`);
* :func:`metadata_table` turns a Dask DataFrame or an Arrow table into columns, one at a time.

Features that need every row in the kernel (spherize, isolation, layout quality, sequences,
exports) raise :class:`NeedsMemoryError` instead of copying the array.
"""

from __future__ import annotations

import atexit
import math
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .progress import OPTIMISING, Reporter

if TYPE_CHECKING:
    from .chunked_ann import ChunkedIndex
    from .progress import ProgressArg
    from .projections import Hooks, Layout, Method, PCAResult

#: Rows gathered to fit t-SNE or UMAP; the other rows are placed by the fitted model.
SAMPLE_ROWS = 20_000
#: Principal components the widget keeps (the UI may put any of the first ten on an axis).
COMPONENTS = 10
#: Dimensions the sample is reduced to before t-SNE (as the in-memory path does).
LAYOUT_INPUT_DIMS = 50

_EXTRA = 'pip install "projector-widget[dask]"'


class NeedsMemoryError(TypeError):
    """A feature needs every row of the embeddings in the kernel; they are a Dask array."""


def needs_memory(feature: str, shape: tuple[int, int]) -> NeedsMemoryError:
    """The error for ``feature`` on a Dask array of ``shape``: what to do instead."""
    n, d = shape
    return NeedsMemoryError(
        f"{feature} needs the embeddings in the kernel's memory, but they are a Dask array of "
        f"{n:,} x {d} (chunked, computed on the cluster). Pass Projector(x.compute()) when "
        f"{n * d * 4 / 2**30:.1f} GiB fits, or a sample of the rows "
        "(x[rows].compute() with its metadata)"
    )


def is_chunked(obj: object) -> bool:
    """Whether ``obj`` is a Dask array or a Zarr array (checked without importing either)."""
    module = type(obj).__module__.split(".")[0]
    if module == "dask":
        return hasattr(obj, "chunks") and hasattr(obj, "dask") and hasattr(obj, "ndim")
    return module == "zarr" and hasattr(obj, "chunks") and hasattr(obj, "shape")


def _import(name: str) -> Any:
    try:
        if name == "distributed":
            import distributed

            return distributed
        import dask.array

        return dask.array
    except ImportError:
        raise ImportError(
            f"embeddings larger than memory (Dask and Zarr arrays) need {name}: {_EXTRA}"
        ) from None


# ----------------------------------------------------------------------------- the scheduler
#: This process's own client (of a LocalCluster), once one was needed.
_own: dict[str, Any] = {}
_own_lock = threading.Lock()


def client() -> Any:
    """The ``distributed.Client`` that computes: the active one (``distributed.get_client()``)
    when there is one, else this process's own LocalCluster, started on first need (one worker
    process a core, one thread each) and kept until the kernel exits."""
    distributed = _import("distributed")
    try:
        return distributed.get_client()
    except ValueError:  # no client is active
        pass
    with _own_lock:
        own = _own.get("client")
        if own is None or own.status in ("closing", "closed"):
            from .projections.base import cpu_cores

            cluster = distributed.LocalCluster(
                n_workers=cpu_cores(), threads_per_worker=1, processes=True, dashboard_address=":0"
            )
            own = _own["client"] = distributed.Client(cluster, set_as_default=False)
            atexit.register(_close_own)
        return own


def _close_own() -> None:
    """Close this process's own client and LocalCluster (at exit: its workers end cleanly)."""
    own = _own.pop("client", None)
    if own is not None:
        cluster = own.cluster
        own.close()
        cluster.close()


# ----------------------------------------------------------------------------- the array
@dataclass(frozen=True)
class ChunkedMatrix:
    """Validated embeddings that stay on the cluster: a 2-D Dask array of real numbers.

    ``values`` and ``sq_norms`` (what in-memory features read) raise :class:`NeedsMemoryError`,
    so a feature that was not written for chunks fails with a message instead of copying.
    """

    array: Any

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

    @property
    def values(self) -> npt.NDArray[np.float32]:
        """Never: the rows are not in the kernel (NeedsMemoryError)."""
        raise needs_memory("this feature", self.shape)

    @property
    def sq_norms(self) -> npt.NDArray[np.float32]:
        """Never: the rows are not in the kernel (NeedsMemoryError)."""
        raise needs_memory("this feature", self.shape)

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
    (rows >= 2, dims >= 1) or for unknown chunk sizes. NaN and Inf are found by :func:`pca`'s
    pass over the data.
    """
    da = _import("dask")
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
    return ChunkedMatrix(arr.astype(np.float32) if arr.dtype != np.float32 else arr)


def _run_blocks(
    tasks: list[Any], report: Reporter | None = None, phase: str = ""
) -> Iterator[tuple[int, Any]]:
    """Compute ``tasks`` (delayed values) on the cluster; yield ``(i, result)`` as each lands.

    The phase counts chunks; a ``jobs.Stopped`` raised by the reporter cancels the rest.
    """
    distributed = _import("distributed")
    c = client()
    futures = c.compute(tasks)
    position = {f.key: i for i, f in enumerate(futures)}
    if report is not None:
        report.phase(phase, len(tasks), unit="chunks")
    done = 0
    try:
        # The loop of the client that computes (ours is not the default client).
        for future in distributed.as_completed(futures, loop=c.loop):
            result = future.result()
            i = position[future.key]
            future.release()
            done += 1
            if report is not None:
                report.update(done)
            yield i, result
    finally:
        if done < len(futures):
            c.cancel(futures)


# ----------------------------------------------------------------------------- PCA
def _chunk_stats(block: np.ndarray, shift: np.ndarray) -> dict[str, Any]:
    """A chunk's row count, sums and ``X^T X`` (shifted by ``shift``), and its non-finite rows."""
    x = np.asarray(block, dtype=np.float32)
    finite = np.isfinite(x).all(axis=1)
    bad = np.flatnonzero(~finite)
    first: tuple[int, int, str] | None = None
    if bad.size:
        row = x[bad[0]]
        col = int(np.flatnonzero(~np.isfinite(row))[0])
        first = (int(bad[0]), col, "NaN" if math.isnan(row[col]) else "Inf")
        x = x[finite]
    y = x - shift.astype(np.float32)
    # float32 BLAS on shifted rows, accumulated in float64 across chunks: the shift (the first
    # chunk's mean) keeps X^T X - n m m^T from cancelling when the data sit far from the origin.
    return {
        "rows": y.shape[0],
        "sum": y.sum(axis=0, dtype=np.float64),
        "gram": (y.T @ y).astype(np.float64),
        "bad": int(bad.size),
        "first": first,
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
    of the in-memory path reads the rows three times) and counts non-finite rows; the
    eigendecomposition runs here; a second pass projects every row on the first three axes.
    ``coords`` of the result are those (N, 3) scores; the (k, D) ``components`` place others.
    """
    import dask

    from .projections.pca import PCAResult, _flip_signs

    blocks, starts = matrix.blocks()
    shift = np.asarray(client().compute(dask.delayed(_head_mean)(blocks[0])).result())
    if not np.isfinite(shift).all():
        shift = np.zeros(matrix.dims)
    tasks = [dask.delayed(_chunk_stats)(b, shift) for b in blocks]
    rows, total_sum = 0, np.zeros(matrix.dims)
    gram = np.zeros((matrix.dims, matrix.dims))
    bad, first = 0, None
    for i, stats in _run_blocks(tasks, report, "PCA: sums and X^T X"):
        rows += stats["rows"]
        total_sum += stats["sum"]
        gram += stats["gram"]
        bad += stats["bad"]
        if stats["first"] is not None:
            row, col, what = stats["first"]
            if first is None or starts[i] + row < first[0]:
                first = (int(starts[i]) + row, col, what)
    if first is not None:
        row, col, what = first
        raise ValueError(
            f"embeddings contain {what} at row {row}, column {col}; {bad} row(s) in all are not "
            "finite. Drop them first, e.g. x[da.isfinite(x).all(axis=1)] (then "
            "x.compute_chunk_sizes())"
        )
    n, d = matrix.shape
    mean_shifted = total_sum / n
    cov = (gram - n * np.outer(mean_shifted, mean_shifted)) / (n - 1)
    evals, evecs = np.linalg.eigh(cov)
    k = max(1, min(n_components, d, n))
    order = np.argsort(evals)[::-1][:k]
    variances = np.clip(evals[order], 0.0, None)
    comps = _flip_signs(evecs[:, order].T)
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
    for i, part in _run_blocks(tasks, report, phase):
        out[starts[i] : starts[i] + part.shape[0]] = part
    return out


def pca_layout(matrix: ChunkedMatrix, result: PCAResult, components: list[int]) -> Layout:
    """The PCA view on ``components``: the first three come from ``result``, others are
    projected on the cluster (another pass)."""
    from .projections import Layout

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


def sample(matrix: ChunkedMatrix, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``size`` random rows (sorted indices, their (size, D) float32 values) from the cluster."""
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(matrix.n, size=min(size, matrix.n), replace=False))
    values = client().compute(matrix.array[rows]).result()
    return rows, np.ascontiguousarray(values, np.float32)


# ----------------------------------------------------------------------------- t-SNE and UMAP
@dataclass(frozen=True)
class Reduction:
    """What turns rows into a layout's input: centre, project (when D is large), scale.

    Fitted on the sample; shipped to the workers with the model so every row is prepared the
    same way."""

    mean: npt.NDArray[np.float32]
    axes: npt.NDArray[np.float32] | None
    scale: float

    @classmethod
    def fit(cls, x: npt.NDArray[np.float32], *, centre: bool, dims: int) -> Reduction:
        """The reduction of the sample ``x``: its mean, up to ``dims`` principal axes."""
        from .projections.pca import pca as pca_in_memory

        mean = (
            x.mean(axis=0, dtype=np.float64).astype(np.float32)
            if centre
            else np.zeros(x.shape[1], np.float32)
        )
        axes = None
        if centre and x.shape[1] > dims:
            axes = pca_in_memory(x, dims).components
        y = cls(mean, axes, 1.0)(x)
        scale = float(np.max(np.abs(y))) if y.size else 0.0
        if not scale > 0 or not math.isfinite(scale):
            raise ValueError(
                f"the sample of {x.shape[0]} rows has no spread: every row is the same, so there "
                "is no neighbourhood structure to lay out"
            )
        return cls(mean, axes, scale)

    def __call__(self, x: np.ndarray) -> npt.NDArray[np.float32]:
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
        from .projections.tsne import _import_opentsne

        openTSNE = _import_opentsne()
        embedding = openTSNE.TSNEEmbedding(
            self.layout, self.affinities, random_state=self.random_state, **self.params
        )
        return embedding.transform(x)


def _place_tsne(block: np.ndarray, reduction: Reduction, model: TSNEModel) -> np.ndarray:
    """Rows of a chunk placed in a fitted t-SNE layout (on a worker)."""
    return np.asarray(model.transform(reduction(block)), np.float32)


def _place_umap(block: np.ndarray, reduction: Reduction, model: Any) -> np.ndarray:
    """Rows of a chunk placed by a fitted umap-learn model (on a worker)."""
    return np.asarray(model.transform(reduction(block)), np.float32)


def _fit_tsne(
    x: npt.NDArray[np.float32], p: dict[str, Any], report: Reporter
) -> tuple[Any, Callable[..., np.ndarray]]:
    """openTSNE fitted on the prepared sample: its embedding and the function that places rows."""
    from .jobs import Stopped
    from .projections.tsne import _import_opentsne

    openTSNE = _import_opentsne()
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
    early = min(250, max(1, p["n_iter"] // 3))
    total = early + p["n_iter"]
    report.phase(OPTIMISING, total)
    state = {"done": 0}

    def callback(_iteration: int, _error: float, _embedding: np.ndarray) -> bool:
        state["done"] = min(total, state["done"] + 10)
        try:
            report.update(state["done"])
        except Stopped:
            return True
        return False

    model = openTSNE.TSNE(
        n_components=p["dims"],
        perplexity=perplexity,
        learning_rate=p["learning_rate"],
        early_exaggeration_iter=early,
        n_iter=p["n_iter"],
        negative_gradient_method="fft" if p["dims"] == 2 else "bh",
        callbacks=callback,
        callbacks_every_iters=10,
        random_state=p["seed"],
        n_jobs=p["n_jobs"],
        verbose=False,
    )
    embedding = model.fit(affinities=affinities, initialization=init)
    embedding.affinities.n_jobs = 1  # each worker thread places its own chunk
    return TSNEModel.of(embedding), _place_tsne


def _fit_umap(
    x: npt.NDArray[np.float32], p: dict[str, Any], report: Reporter
) -> tuple[Any, Callable[..., np.ndarray]]:
    """umap-learn fitted on the prepared sample: the model and the function that places rows."""
    try:
        import umap as umap_learn
    except ImportError:
        raise ImportError('UMAP needs umap-learn: pip install "projector-widget[umap]"') from None
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
    sample_rows: int = SAMPLE_ROWS,
) -> npt.NDArray[np.float32]:
    """t-SNE or UMAP of every row: fitted on a random sample, the rest placed on the cluster.

    The sample (``sample_rows`` rows, gathered to the kernel) is prepared as the in-memory path
    prepares every row (centred, reduced to 50 principal axes when wider, scaled), the model is
    fitted on it here, then shipped to the workers, which place each chunk with the library's
    own ``transform``; the sample keeps its fitted places. Returns the (N, dims) layout.
    """
    import dask

    from .projections.base import finite_layout

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
    c = client()
    shipped = c.scatter(model, broadcast=True)
    ready = c.scatter(reduction, broadcast=True)
    tasks = [dask.delayed(place)(b, ready, shipped) for b in blocks]
    out = np.zeros((matrix.n, p["dims"]), np.float32)
    for i, part in _run_blocks(tasks, report, "placing the other rows"):
        out[starts[i] : starts[i] + part.shape[0]] = part
    out[rows] = fitted
    report.flush()
    return finite_layout(out, "t-SNE" if method.name == "tsne" else "UMAP")


# ----------------------------------------------------------------------------- neighbours
def _chunk_nearest(
    block: np.ndarray, start: int, query: tuple[np.ndarray, int, str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """A chunk's ``k`` nearest rows to ``vector`` (global indices, never row ``exclude``) and
    their distances; ``query`` is ``(vector, k, metric, exclude)``."""
    from .neighbors import nearest

    vector, k, metric, exclude = query
    x = np.ascontiguousarray(block, dtype=np.float32)
    sq = np.einsum("ij,ij->i", x, x)
    candidates = None
    if start <= exclude < start + x.shape[0]:
        keep = np.ones(x.shape[0], bool)
        keep[exclude - start] = False
        candidates = np.flatnonzero(keep)
        if candidates.size == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
    idx, dist = nearest(x, sq, vector, k, metric, candidates=candidates)
    return idx + start, dist


class ChunkedSearch:
    """Neighbour queries over a :class:`ChunkedMatrix`, computed on the cluster.

    Exact: every chunk's k best rows on the cluster, merged in the kernel (same distances as
    :func:`projector_widget.neighbors.nearest`). After :meth:`build_index` for a metric, its
    :class:`projector_widget.chunked_ann.ChunkedIndex` (codes kept on the workers) answers
    queries of that metric instead, unless ``exact``.
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
        :class:`~projector_widget.chunked_ann.ChunkedIndex`; ``progress`` receives its phases.
        Needs faiss and Dask: ``pip install "projector-widget[dask,ann]"``.
        """
        from .chunked_ann import OPTIONS, ChunkedIndex
        from .neighbors import check_metric

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
        import dask

        from .neighbors import check_metric

        m = check_metric(metric)
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}")
        if candidates is not None:
            self._matrix.require("neighbours among isolated rows")
        index = None if exact else self._indexes.get(m)
        if index is not None:
            return index.search(query, int(k))
        n, d = self._matrix.shape
        exclude = -1
        if isinstance(query, (int, np.integer)) and not isinstance(query, bool):
            exclude = int(query)
            if not 0 <= exclude < n:
                raise IndexError(f"index {exclude} is out of range for {n} points")
            vector = np.asarray(client().compute(self._matrix.array[exclude]).result(), np.float32)
        else:
            vector = np.asarray(query, np.float32).reshape(-1)
            if vector.shape[0] != d:
                raise ValueError(
                    f"query has {vector.shape[0]} dimensions but the embeddings have {d}"
                )
        blocks, starts = self._matrix.blocks()
        tasks = [
            dask.delayed(_chunk_nearest)(b, int(s), (vector, int(k), m, exclude))
            for b, s in zip(blocks, starts, strict=True)
        ]
        found = [part for _i, part in _run_blocks(tasks)]
        idx = np.concatenate([f[0] for f in found]).astype(np.int64)
        dist = np.concatenate([f[1] for f in found]).astype(np.float32)
        order = np.lexsort((idx, dist))[:k]
        return idx[order], dist[order]


# ----------------------------------------------------------------------------- metadata
def is_table(obj: object) -> bool:
    """Whether ``obj`` is a Dask DataFrame or a pyarrow Table (checked without importing)."""
    module = type(obj).__module__.split(".")[0]
    if module == "dask":
        return hasattr(obj, "columns") and hasattr(obj, "npartitions")
    return module == "pyarrow" and hasattr(obj, "column_names") and hasattr(obj, "num_rows")


def metadata_table(table: Any, n: int) -> dict[str, Any]:
    """A Dask DataFrame's or Arrow table's columns as pandas Series, read one at a time.

    A Dask column is computed on the cluster (the scheduler of :func:`client`), so only one
    column of the table is ever being gathered; its row count is checked against ``n`` first.
    """
    if type(table).__module__.startswith("pyarrow"):
        if table.num_rows != n:
            from .columns import _count_message

            raise ValueError(_count_message("metadata", int(table.num_rows), n))
        return {str(name): table.column(name).to_pandas() for name in table.column_names}
    c = client()
    rows = int(c.compute(table.map_partitions(len).sum()).result())
    if rows != n:
        from .columns import _count_message

        raise ValueError(_count_message("metadata", rows, n))
    out: dict[str, Any] = {}
    for name in table.columns:
        out[str(name)] = c.compute(table[name]).result().reset_index(drop=True)
    return out
